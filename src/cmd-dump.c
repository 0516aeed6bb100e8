/* cmd-dump.c -- placeholder until the dump command lands */
#include "cmd.h"

static int cmd_dump_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "dump: not implemented yet");
}

const struct cmd_entry cmd_dump_entry = {
	.name = "dump",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_dump_exec,
};
