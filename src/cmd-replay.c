/* cmd-replay.c -- placeholder until the replay command lands */
#include "cmd.h"

static int cmd_replay_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "replay: not implemented yet");
}

const struct cmd_entry cmd_replay_entry = {
	.name = "replay",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_replay_exec,
};
