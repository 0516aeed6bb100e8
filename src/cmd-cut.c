/* cmd-cut.c -- placeholder until the cut command lands */
#include "cmd.h"

static int cmd_cut_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "cut: not implemented yet");
}

const struct cmd_entry cmd_cut_entry = {
	.name = "cut",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_cut_exec,
};
