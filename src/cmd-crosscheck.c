/* cmd-crosscheck.c -- would real QEMU do the same? play a trace's guest side on QEMU, replay its answers here */
#include <getopt.h>
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

extern const struct cmd_entry cmd_crosscheck_entry;

static const struct option crosscheck_longopts[] = {
	{ "lenient", no_argument, NULL, 'n' },
	{ "qemu", required_argument, NULL, 'Q' },
	{ "keep", required_argument, NULL, 'k' },
	{ "wait", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
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

static int cmd_crosscheck_exec(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_crosscheck_entry;
	struct crosscheck_opts co;
	struct replay_opts ro;
	struct xc_cli cli;
	struct crosscheck_origin *origin = NULL;
	uint64_t norigin = 0;
	struct replay *r = NULL;
	struct evbus bus;
	char tmp[256];
	const char *keep = NULL;
	char *cause = NULL;
	unsigned long long v;
	bool lenient = false;
	int c, rc, outcome, status;

	memset(&co, 0, sizeof(co));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", crosscheck_longopts, NULL)) != -1) {
		switch (c) {
		case 'n': lenient = true; break;
		case 'Q': co.qemu = optarg; break;
		case 'k': keep = optarg; break;
		case 'w':
			if (cmd_parse_u64(optarg, &v) < 0 || v > 60000)
				return cmd_usage_error(e, "bad --wait '%s' (0 to 60000 ms)", optarg);
			co.wait_ms = (unsigned)v;
			break;
		default:
			return cmd_usage_error(e, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cmd_usage_error(e, optind == argc ? "missing TRACE" : "too many arguments");
	co.path = argv[optind];
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
	.usage = "TRACE [--lenient] [--qemu PATH] [--keep QTRACE] [--wait MS]",
	.summary = "play a trace's guest side on QEMU and report where virtio-replay answers differently",
	.help =
	    "  --lenient        list every difference, not only the first\n"
	    "  --qemu PATH      the QEMU binary (default: qemu-system-x86_64 on PATH)\n"
	    "  --keep QTRACE    keep QEMU's trace (its answers, text) at QTRACE\n"
	    "  --wait MS        how long to give QEMU for an interrupt or RAM contents the trace\n"
	    "                   expects before taking what it has (default 200)\n"
	    "\nThe trace's guest side (config and BAR accesses, RAM stores, host inputs) is played on\n"
	    "QEMU's device of the trace's type (qemu layout only); QEMU's register values,\n"
	    "interrupts, and QEMU's RAM under each of the trace's mem-read read-backs, become a\n"
	    "trace that is replayed against virtio-replay's device model. The\n"
	    "report names the first event of TRACE where the two differ (expected: QEMU, produced:\n"
	    "virtio-replay). Exit 0 same, 1 differ, 2 bad input (or a trace QEMU cannot play: a\n"
	    "checkpoint start, another layout, a device without a QEMU model), 3 QEMU missing or failed.\n",
	.exec = cmd_crosscheck_exec,
};
