/* cmd-minimize.c -- shrink a trace to the smallest one that keeps its divergence, violation or exit status */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "vr/minimize.h"
#include "vr/trace.h"

static const struct cmd_option minimize_options[] = {
	{ .name = "output", .short_name = 'o', .arg = "OUT", .complete = CMD_COMPLETE_FILE, .flags = CMD_OPT_REQUIRED,
	  .help = "the minimized trace; .vrb = binary, otherwise text" },
	{ .name = "keep", .arg = "SPEC", .complete = CMD_COMPLETE_WORDS, .words = "diverge violation: exit:",
	  .help = "what must stay the same (default: the first divergence if the trace\n"
	      "diverges, else its first violation, else its exit status):\n"
	      "  diverge         the first divergence: same kind, same field\n"
	      "  violation:NAME  a violation NAME occurs (e.g. violation:desc-loop)\n"
	      "  exit:N          the replay exits N (0 matched, 1 diverged, 2 bad input)" },
	{ .name = "layout", .arg = "L", .complete = CMD_COMPLETE_LAYOUT,
	  .help = "replay under this layout profile instead of the trace's" },
	{ .name = "image-dir", .arg = "DIR", .complete = CMD_COMPLETE_DIR,
	  .help = "where the disk images the header names are (default: beside TRACE);\n"
	      "OUT names the same images, so replay it with the same --image-dir" },
	{ .name = "max-replays", .arg = "N", .type = CMD_ARG_U64,
	  .help = "stop after N candidate replays (default 50000): smaller, not minimal" },
	{ .name = "quiet", .short_name = 'q', .help = "no report" },
	{ .name = "progress", .help = "show progress (replays, their rate, events left) on stderr even when\n"
	      "it is not a terminal (on a terminal it shows unless --quiet)" },
	{ .name = NULL },
};

struct min_cli {
	struct progress progress;
	uint64_t events;	/* the original's */
};

/* Counted in replays (the work) with the events left of the original's. */
static void progress(void *opaque, uint64_t replays, uint64_t events)
{
	struct min_cli *c = opaque;
	char note[64];

	snprintf(note, sizeof(note), "%" PRIu64 " of %" PRIu64 " events left", events, c->events);
	progress_update(&c->progress, replays, note);
}

static int cmd_minimize_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct min_opts o;
	struct min_result res;
	struct min_cli cli;
	unsigned long long max = cmd_args_u64(a, "max-replays", 0);
	const char *tmp;
	char scratch[4096];
	char *cause = NULL;
	bool quiet = cmd_args_has(a, "quiet");
	double t0;
	int rc;

	memset(&o, 0, sizeof(o));
	o.layout = -1;
	o.out = cmd_args_get(a, "output");
	o.image_dir = cmd_args_get(a, "image-dir");
	if (cmd_args_has(a, "keep") && min_spec_parse(cmd_args_get(a, "keep"), &o.spec, &cause) < 0) {
		rc = cmd_usage_error(e, "%s", cause);
		free(cause);
		return rc;
	}
	if (cmd_args_has(a, "layout") && (o.layout = trace_layout_parse(cmd_args_get(a, "layout"))) < 0)
		return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", cmd_args_get(a, "layout"));
	if (cmd_args_has(a, "max-replays") && max == 0)
		return cmd_usage_error(e, "bad --max-replays '%s'", cmd_args_get(a, "max-replays"));
	if (a->argc != 1)
		return cmd_usage_error(e, a->argc == 0 ? "missing TRACE" : "too many arguments");
	if (o.out == NULL)
		return cmd_usage_error(e, "-o OUT is required");
	o.in = a->argv[0];
	o.max_replays = max;
	if (strcmp(o.in, "-") == 0)
		return cmd_usage_error(e, "TRACE must be a file (minimize reads it many times)");
	if ((tmp = getenv("TMPDIR")) == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(scratch, sizeof(scratch), "%s/virtio-replay-min.XXXXXX", tmp) >= sizeof(scratch) ||
	    mkdtemp(scratch) == NULL)
		return cmd_fail(EXIT_INTERNAL, "minimize: cannot make a scratch directory in %s", tmp);
	o.scratch_dir = scratch;
	progress_init(&cli.progress, "minimize", "replays", 0, cmd_args_has(a, "progress") ? PROGRESS_ON :
	    quiet ? PROGRESS_OFF : PROGRESS_AUTO);
	if (cli.progress.on) {
		cli.events = progress_trace_events(o.in);
		o.progress = progress;
		o.progress_opaque = &cli;
	}
	t0 = progress_now();
	rc = minimize_trace(&o, &res, &cause);
	progress_end(&cli.progress, res.replays);
	rmdir(scratch);
	if (rc < 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (!quiet) {
		fprintf(stderr, "minimize: %s -> %s: %" PRIu64 " events -> %" PRIu64 ", %" PRIu64
		    " payload bytes -> %" PRIu64 "\n", o.in, o.out, res.events_before, res.events_after,
		    res.bytes_before, res.bytes_after);
		fprintf(stderr, "  kept      %s\n", res.what);
		if (res.cut)
			fprintf(stderr, "  starts    from a checkpoint (%" PRIu64 " bytes) of the state at event %" PRIu64
			    " of the original\n", res.checkpoint_bytes, res.cut_at);
		fprintf(stderr, "  replays   %" PRIu64 " in %.2f s%s\n", res.replays, progress_now() - t0,
		    res.budget_hit ? " (--max-replays reached: smaller, not minimal)" : "");
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_minimize_entry = {
	.name = "minimize",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = minimize_options,
	.summary = "shrink a trace to the fewest events and bytes that keep the same outcome",
	.help =
	    "Delta debugging: events after the one that revealed the outcome go first, then ddmin\n"
	    "removes chunks of events (halving the chunk size down to single events), then the bytes\n"
	    "of guest stores and host inputs shrink from both ends, then header facts (device config,\n"
	    "queue count, RAM regions) are dropped where the outcome holds. Each candidate replays in\n"
	    "this process from a scratch file in $TMPDIR. A trace of more than 10000 events is first\n"
	    "cut, like `cut`, at the latest event from whose checkpointed state the outcome follows\n"
	    "(binary search). A cut trace's starting checkpoint and time\n"
	    "are kept, so OUT is self-contained. The result is deterministic; OUT starts with a mark\n"
	    "naming the original and what was kept. A report goes to stderr.\n",
	.exec = cmd_minimize_exec,
};
