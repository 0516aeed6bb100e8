/* cmd-record.c -- placeholder until the record command lands */
#include "cmd.h"

static int cmd_record_exec(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_fail(EXIT_INTERNAL, "record: not implemented yet");
}

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.usage = "",
	.summary = "(not implemented yet)",
	.help = "",
	.exec = cmd_record_exec,
};
