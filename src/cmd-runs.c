/* cmd-runs.c -- placeholder until the runs command lands */
#include "cmd.h"

static int cmd_runs_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "runs: not implemented yet");
}

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_runs_exec,
};
