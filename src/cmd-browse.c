/* cmd-browse.c -- browse a replay database in the terminal (list, detail and hex panes) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/tui-crt.h"
#include "vr/tui-model.h"

static int cmd_browse_exec(int argc, char **argv);

const struct cmd_entry cmd_browse_entry = {
	.name = "browse",
	.usage = "DB [--run N]",
	.summary = "browse a replay database in the terminal: events, transactions, violations, divergences",
	.help = "  --run N   the run to show (default: the newest; virtio-replay runs DB lists them)\n"
		"\nLists events, transactions, violations and divergences of one run, with a detail\n"
		"pane and a hex pane for the selected row; search, filter, go to an event, jump to\n"
		"the next violation or divergence. Keys: h inside the browser, or virtio-replay(1).\n"
		"Reads the database only (written by replay --db, see virtio-replay-db(5)).\n",
	.exec = cmd_browse_exec,
};

static int cmd_browse_exec(int argc, char **argv)
{
	const char *path = NULL;
	unsigned long long run = 0;
	struct tui_model *m;
	char *cause = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--run") == 0) {
			if (i + 1 >= argc)
				return cmd_usage_error(&cmd_browse_entry, "--run needs a run number");
			if (cmd_parse_u64(argv[++i], &run) < 0 || run == 0 || run > INT64_MAX)
				return cmd_usage_error(&cmd_browse_entry, "bad run number '%s'", argv[i]);
		} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && path == NULL) {
			path = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cmd_usage_error(&cmd_browse_entry, "unknown option '%s'", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return cmd_usage_error(&cmd_browse_entry, "one database at a time");
		}
	}
	if (path == NULL)
		return cmd_usage_error(&cmd_browse_entry, "missing database");
	/* the database first: a bad one is reported the same with or without a terminal */
	if ((m = tui_model_open(path, (int64_t)run, &cause)) == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		tui_model_free(m);
		return cmd_fail(EXIT_BADINPUT, "browse needs a terminal");
	}
	rc = tui_crt_run(m, &cause);
	if (rc < 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	/* interrupted: the shell's convention, as replay does */
	return rc > 0 ? 128 + rc : EXIT_OK;
}
