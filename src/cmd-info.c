/* cmd-info.c -- placeholder until the info command lands */
#include "cmd.h"

static int cmd_info_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "info: not implemented yet");
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_info_exec,
};
