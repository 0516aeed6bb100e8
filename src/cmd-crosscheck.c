/* cmd-crosscheck.c -- would real QEMU do the same? play a trace's guest side on QEMU, replay its answers here */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cmd.h"
#include "vr/buf.h"
#include "vr/crosscheck.h"
#include "vr/replay.h"
#include "vr/trace.h"

static const struct cmd_option crosscheck_options[] = {
	{ .name = "lenient", .help = "list every difference, not only the first" },
	{ .name = "qemu", .arg = "PATH", .complete = CMD_COMPLETE_FILE,
	  .help = "the QEMU binary (default: qemu-system-x86_64 on PATH)" },
	{ .name = "keep", .arg = "QTRACE", .complete = CMD_COMPLETE_FILE,
	  .help = "keep QEMU's trace (its answers, text) at QTRACE" },
	{ .name = "wait", .arg = "MS", .type = CMD_ARG_U64,
	  .help = "how long to give QEMU for an interrupt or RAM contents the trace\n"
	      "expects before taking what it has (default 200)" },
	{ .name = NULL },
};

struct xc_cli {
	const char *src;
	const char *qtrace;
	const struct crosscheck_origin *origin;
	uint64_t norigin;
	uint64_t first;			/* source event of the first difference */
	bool any;
};

/*
 * A divergence of QEMU's trace against the simulator, told as a point of the
 * source trace: the report's "QTRACE: event M (offset ...)" becomes the source's
 * "TRACE: event N (offset ...)"; the rest (register, expected = QEMU,
 * produced = virtio-replay, the events before it in QEMU's trace) follows.
 */
static void print_difference(void *opaque, const struct vr_event *ev)
{
	struct xc_cli *c = opaque;
	const char *rep = ev->u.divergence.report ? ev->u.divergence.report : "";
	const char *rest = rep;
	const struct crosscheck_origin *o = ev->event_no < c->norigin ? &c->origin[ev->event_no] : NULL;
	const char *colon = strstr(rep, "): ");

	if (colon != NULL && strchr(rep, '\n') > colon)
		rest = colon + 3;
	if (!c->any)
		c->first = o ? o->no : ev->event_no;
	c->any = true;
	if (o != NULL)
		printf("%s: event %" PRIu64 " (offset 0x%" PRIx64 "): %s", c->src, o->no, o->off, rest);
	else
		printf("%s", rep);
	printf("  (expected: QEMU's answer; produced: virtio-replay's; QEMU's trace %s event %" PRIu64 ")\n",
	    c->qtrace, ev->event_no);
}

static int cmd_crosscheck_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct crosscheck_opts co;
	struct replay_opts ro;
	struct xc_cli cli;
	struct crosscheck_origin *origin = NULL;
	uint64_t norigin = 0;
	struct replay *r = NULL;
	struct evbus bus;
	char tmp[256];
	const char *keep = cmd_args_get(a, "keep");
	char *cause = NULL;
	bool lenient = cmd_args_has(a, "lenient");
	int rc, outcome, status;

	memset(&co, 0, sizeof(co));
	co.qemu = cmd_args_get(a, "qemu");
	if (cmd_args_has(a, "wait")) {
		if (cmd_args_u64(a, "wait", 0) > 60000)
			return cmd_usage_error(e, "bad --wait '%s' (0 to 60000 ms)", cmd_args_get(a, "wait"));
		co.wait_ms = (unsigned)cmd_args_u64(a, "wait", 0);
	}
	if (a->argc != 1)
		return cmd_usage_error(e, a->argc == 0 ? "missing TRACE" : "too many arguments");
	co.path = a->argv[0];
	if (keep != NULL) {
		snprintf(tmp, sizeof(tmp), "%s", keep);
	} else {
		const char *dir = getenv("TMPDIR");
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/vr-crosscheck.XXXXXX", dir && *dir && strlen(dir) < 200 ? dir : "/tmp");
		if ((fd = mkstemp(tmp)) < 0)
			return cmd_fail(EXIT_INTERNAL, "crosscheck: cannot make a temporary file: %s", tmp);
		close(fd);
	}
	co.out = tmp;
	rc = crosscheck_record(&co, &origin, &norigin, &cause);
	if (rc < 0) {
		if (keep == NULL)
			unlink(tmp);
		return cmd_fail_cause(rc == -2 ? EXIT_INTERNAL : EXIT_BADINPUT, cause);
	}

	memset(&cli, 0, sizeof(cli));
	cli.src = co.path;
	cli.qtrace = keep ? keep : "(temporary)";
	cli.origin = origin;
	cli.norigin = norigin;
	evbus_init(&bus);
	evbus_add(&bus, 1u << VR_EV_DIVERGENCE, print_difference, &cli);
	memset(&ro, 0, sizeof(ro));
	ro.path = tmp;
	ro.layout = -1;
	ro.to = UINT64_MAX;
	ro.lenient = lenient;
	ro.version = PACKAGE_VERSION;
	if ((r = replay_new(&ro, &bus, &cause)) == NULL) {
		outcome = REPLAY_ERROR;
	} else {
		outcome = replay_run(r, &cause);
	}
	fflush(stdout);
	switch (outcome) {
	case REPLAY_MATCHED:
		fprintf(stderr, "crosscheck: %s: virtio-replay answers as QEMU does\n", co.path);
		status = EXIT_OK;
		break;
	case REPLAY_DIVERGED:
		fprintf(stderr, "crosscheck: %s: virtio-replay and QEMU differ (first at event %" PRIu64 "; %" PRIu64
		    " difference%s)\n", co.path, cli.first, replay_get_stats(r)->divergences,
		    replay_get_stats(r)->divergences == 1 ? "" : "s");
		status = EXIT_DIVERGED;
		break;
	default:
		/* QEMU's trace is ours: if it does not replay, that is our fault, not the input's. */
		fprintf(stderr, "virtio-replay: crosscheck: QEMU's trace does not replay: %s\n",
		    cause ? cause : "internal error");
		status = EXIT_INTERNAL;
		break;
	}
	free(cause);
	replay_free(r);
	free(origin);
	if (keep == NULL)
		unlink(tmp);
	return status;
}

const struct cmd_entry cmd_crosscheck_entry = {
	.name = "crosscheck",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = crosscheck_options,
	.summary = "play a trace's guest side on QEMU and report where virtio-replay answers differently",
	.help =
	    "The trace's guest side (config and BAR accesses, RAM stores, host inputs) is played on\n"
	    "QEMU's device of the trace's type (qemu layout only); QEMU's register values,\n"
	    "interrupts, and QEMU's RAM under each of the trace's mem-read read-backs, become a\n"
	    "trace that is replayed against virtio-replay's device model. The\n"
	    "report names the first event of TRACE where the two differ (expected: QEMU, produced:\n"
	    "virtio-replay). Exit 0 same, 1 differ, 2 bad input (or a trace QEMU cannot play: a\n"
	    "checkpoint start, another layout, a device without a QEMU model), 3 QEMU missing or failed.\n",
	.exec = cmd_crosscheck_exec,
};
