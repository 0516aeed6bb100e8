/* cmd-cut.c -- write a self-contained trace of events N..M that starts from a checkpoint of the state at N */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "cmd.h"
#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/vpci.h"

static const struct cmd_option cut_options[] = {
	{ .name = "from", .arg = "N", .type = CMD_ARG_U64,
	  .help = "first event kept (the device state at N becomes the starting checkpoint)" },
	{ .name = "to", .arg = "M", .type = CMD_ARG_U64, .help = "last event kept (default: the end)" },
	{ .name = "checkpoints", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "device checkpoints of this trace (as replay --checkpoints): start at the\n"
	      "last one before N if FILE holds this trace's; otherwise write FILE up to N" },
	{ .name = "output", .short_name = 'o', .arg = "OUT", .complete = CMD_COMPLETE_FILE, .flags = CMD_OPT_REQUIRED,
	  .help = "the new trace; .vrb = binary, otherwise text" },
	{ .name = NULL },
};

static bool is_guest_event(const struct trace_event *ev)
{
	return ev->kind != TRACE_DMA && ev->kind != TRACE_IRQ;
}

/*
 * The device state at N is the state after replaying events 0..N-1. A cut
 * must not separate a guest event from the outputs it caused, so a start
 * on a dma/irq event moves back to the guest event before it.
 */
static int cut(const char *in, const char *out, const char *ckpts, uint64_t from, uint64_t to, uint64_t *start,
    char **cause)
{
	struct trace_reader *rd = NULL;
	struct trace_writer *w = NULL;
	struct replay *r = NULL;
	struct replay_opts o;
	struct trace_header h;
	struct trace_event ev;
	struct buf state;
	uint64_t t;
	char mark[256];
	int rc = -1, fmt, outcome;

	buf_init(&state);
	if ((rd = trace_open(in, cause)) == NULL)
		goto out;
	h = *trace_header(rd);
	*start = from;
	if (from > 0) {
		int found = replay_find_before(in, from, is_guest_event, start, &t, cause);

		if (found < 0)
			goto out;
		if (found == 0)
			*start = 0;
	}
	memset(&o, 0, sizeof(o));
	o.path = in;
	o.layout = -1;
	o.from = *start > 0 ? *start - 1 : 0;
	o.to = *start > 0 ? *start - 1 : 0;
	o.lenient = true;
	o.no_checkpoint_verify = true;
	o.checkpoints = ckpts;
	o.version = PACKAGE_VERSION;	/* a checkpoint file is this version's */
	if ((r = replay_new(&o, NULL, cause)) == NULL)
		goto out;
	if (*start > 0) {
		outcome = replay_run(r, cause);
		if (outcome == REPLAY_BADINPUT || outcome == REPLAY_ERROR)
			goto out;
	}
	vpci_save(replay_device(r), &state);

	fmt = trace_format_from_name(out);
	if ((w = trace_writer_open(out, fmt < 0 ? TRACE_FMT_TEXT : (enum trace_fmt)fmt, 0, &h, cause)) == NULL)
		goto out;
	snprintf(mark, sizeof(mark), "cut of %s: events %" PRIu64 "..%" PRIu64 " from the state at %" PRIu64, in,
	    *start, to, *start);
	memset(&ev, 0, sizeof(ev));
	ev.kind = TRACE_MARK;
	ev.data = (const uint8_t *)mark;
	ev.len = (uint32_t)strlen(mark);
	if (trace_write(w, &ev, cause) < 0)
		goto out;
	if (*start > 0 && replay_vtime(r) > 0) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = TRACE_TIME;
		ev.value = replay_vtime(r);
		if (trace_write(w, &ev, cause) < 0)
			goto out;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = TRACE_CHECKPOINT;
	ev.data = state.data;
	ev.len = (uint32_t)state.len;
	if (trace_write(w, &ev, cause) < 0)
		goto out;
	if (trace_seek(rd, *start, cause) < 0)
		goto out;
	for (;;) {
		int n = trace_read(rd, &ev, cause);

		if (n < 0)
			goto out;
		/* Past M, keep the outputs of the last guest event: they belong to it. */
		if (n == 0 || (trace_event_no(rd) > to && is_guest_event(&ev)))
			break;
		if (trace_write(w, &ev, cause) < 0)
			goto out;
	}
	rc = 0;
out:
	if (w != NULL && trace_writer_close(w, rc == 0 ? cause : NULL) < 0)
		rc = -1;
	replay_free(r);
	trace_close(rd);
	buf_release(&state);
	return rc;
}

static int cmd_cut_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	unsigned long long from = cmd_args_u64(a, "from", 0), to = cmd_args_u64(a, "to", UINT64_MAX);
	const char *out = cmd_args_get(a, "output");
	uint64_t start;
	char *cause = NULL;

	if (a->argc != 1)
		return cmd_usage_error(e, a->argc == 0 ? "missing TRACE" : "too many arguments");
	if (out == NULL)
		return cmd_usage_error(e, "-o OUT is required");
	if (to < from)
		return cmd_usage_error(e, "--to %llu is before --from %llu", to, from);
	if (cut(a->argv[0], out, cmd_args_get(a, "checkpoints"), from, to, &start, &cause) < 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (start != from)
		fprintf(stderr, "cut: event %llu is a device output; the cut starts at event %" PRIu64
		    ", the guest event that caused it\n", from, start);
	return EXIT_OK;
}

const struct cmd_entry cmd_cut_entry = {
	.name = "cut",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = cut_options,
	.summary = "write events N..M of a trace as a self-contained trace starting from a checkpoint",
	.help =
	    "The new trace starts with a mark, the virtual time at N and a checkpoint (events 0-2,\n"
	    "or 0-1 without time); event N of the original follows. Replaying it produces what\n"
	    "replaying the original from N to M produces. A cut never separates a guest event from\n"
	    "the device outputs it caused: N moves back to that guest event, M forward past them.\n",
	.exec = cmd_cut_exec,
};
