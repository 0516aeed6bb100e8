/* cmd-convert.c -- placeholder until the convert command lands */
#include "cmd.h"

static int cmd_convert_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "convert: not implemented yet");
}

const struct cmd_entry cmd_convert_entry = {
	.name = "convert",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_convert_exec,
};
