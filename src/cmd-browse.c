/* cmd-browse.c -- browse a replay database in the terminal (list, detail and hex panes) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/tui-crt.h"
#include "vr/tui-model.h"

static int cmd_browse_exec(const struct cmd_entry *e, struct cmd_args *a);

static const struct cmd_option browse_options[] = {
	{ .name = "run", .arg = "N", .what = "a run number",
	  .help = "the run to show (default: the newest; virtio-replay runs DB lists them)" },
	{ .name = NULL },
};

const struct cmd_entry cmd_browse_entry = {
	.name = "browse",
	.args = "DB",
	.args_complete = CMD_COMPLETE_FILE,
	.options = browse_options,
	.summary = "browse a replay database in the terminal: events, transactions, violations, divergences",
	.help = "Lists events, transactions, violations and divergences of one run, with a detail\n"
		"pane and a hex pane for the selected row; search, filter, go to an event, jump to\n"
		"the next violation or divergence. Keys: h inside the browser, or virtio-replay(1).\n"
		"Reads the database only (written by replay --db, see virtio-replay-db(5)).\n",
	.exec = cmd_browse_exec,
};

static int cmd_browse_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	const char *path = a->argc > 0 ? a->argv[0] : NULL;
	unsigned long long run = 0;
	struct tui_model *m;
	char *cause = NULL;
	int rc;

	if (cmd_args_has(a, "run") &&
	    (cmd_parse_u64(cmd_args_get(a, "run"), &run) < 0 || run == 0 || run > INT64_MAX))
		return cmd_usage_error(e, "bad run number '%s'", cmd_args_get(a, "run"));
	if (a->argc > 1)
		return cmd_usage_error(e, "one database at a time");
	if (path == NULL)
		return cmd_usage_error(e, "missing database");
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
