/* cmd-import.c -- import a QEMU qtest log or command stream (bug reproducers) as a trace */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "vr/qtest-import.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"

static void import_progress(void *opaque, uint64_t events, uint64_t total)
{
	struct progress *p = opaque;

	p->total = total;
	progress_update(p, events, NULL);
}

/* What QEMU 7.2 offers under its default properties: the device model's qemu defaults. */
static uint64_t import_offer(uint8_t device, uint16_t nqueues)
{
	const struct vdev_ops *ops = vdev_find_id(device);

	return ops != NULL ? vdev_default_features(ops, VDEV_LAYOUT_QEMU, nqueues) : 0;
}

static uint32_t import_legacy_only(uint8_t device, bool has_v1)
{
	const struct vdev_ops *ops = vdev_find_id(device);

	return ops != NULL ? vdev_legacy_only_features(ops, VDEV_LAYOUT_QEMU, has_v1) : 0;
}

static const struct qtest_import_qemu import_qemu = { .offer = import_offer, .legacy_only = import_legacy_only };

static const struct cmd_option import_options[] = {
	{ .name = "output", .short_name = 'o', .arg = "TRACE", .complete = CMD_COMPLETE_FILE, .flags = CMD_OPT_REQUIRED,
	  .help = "the trace to write (.vrt text, .vrb binary, \"-\" text on stdout)" },
	{ .name = "cmdline", .arg = "'ARGS'",
	  .help = "the QEMU command line, for a -qtest-log log (which has none);\n"
	      "a shell-form input's own command line wins" },
	{ .name = "to", .arg = "text|binary", .complete = CMD_COMPLETE_WORDS, .words = "text binary",
	  .help = "output format when TRACE's extension does not say" },
	{ .name = "quiet", .short_name = 'q', .help = "no summary line on standard error (notes still show)" },
	{ .name = "progress", .help = "show progress (events written, rate, time left) on stderr even when\n"
	      "it is not a terminal (on a terminal it shows unless --quiet)" },
	{ .name = NULL },
};

static int cmd_import_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	const char *out = cmd_args_get(a, "output"), *cmdline = cmd_args_get(a, "cmdline"), *in, *to;
	const struct trace_header *h;
	struct qtest_import *qi;
	struct qtest_import_stats st = { 0 };
	struct trace_writer *w;
	char *cause = NULL, *tmp = NULL;
	int fmt = -1, rc;
	bool quiet = cmd_args_has(a, "quiet");
	struct progress pr;

	if ((to = cmd_args_get(a, "to")) != NULL && (fmt = cmd_trace_fmt(e, to)) < 0)
		return EXIT_BADINPUT;
	if (a->argc != 1)
		return cmd_usage_error(e, "need one qtest log or command stream");
	if (out == NULL)
		return cmd_usage_error(e, "need -o TRACE");
	in = a->argv[0];
	if (fmt < 0) {
		if (strcmp(out, "-") == 0)
			fmt = TRACE_FMT_TEXT;
		else if ((fmt = trace_format_from_name(out)) < 0)
			return cmd_usage_error(e, "cannot tell the format of '%s' (use .vrt, .vrb or --to)", out);
	}
	if ((qi = qtest_import_open(in, cmdline, &import_qemu, &cause)) == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	h = qtest_import_header(qi);
	if (vdev_find_id(h->device) == NULL) {
		const char *name = qtest_import_cmdline(qi)->device;
		rc = cmd_fail(EXIT_BADINPUT, "%s: %s%s (virtio device type %u) has no device model in virtio-replay yet, "
		    "so its trace could not be replayed", in, name[0] ? "-device " : "the device", name[0] ? name : "",
		    h->device);
		qtest_import_free(qi);
		return rc;
	}
	if (strcmp(out, "-") != 0)
		xasprintf(&tmp, "%s.tmp", out);
	w = trace_writer_open(tmp != NULL ? tmp : out, (enum trace_fmt)fmt, 0, h, &cause);
	if (w == NULL) {
		qtest_import_free(qi);
		free(tmp);
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	}
	progress_init(&pr, "import", "events", 0, cmd_args_has(a, "progress") ? PROGRESS_ON :
	    quiet ? PROGRESS_OFF : PROGRESS_AUTO);
	if (pr.on)
		qtest_import_set_progress(qi, import_progress, &pr);
	rc = qtest_import_write(qi, w, &st, &cause);
	progress_end(&pr, st.events);
	if (trace_writer_close(w, rc == 0 ? &cause : NULL) != 0)
		rc = -1;
	rc = cmd_output_done(tmp, out, rc, &cause);
	free(tmp);
	if (rc == 0 && !quiet) {
		unsigned devfn = qtest_import_devfn(qi);
		fprintf(stderr, "import: %s (%s): %" PRIu64 " qtest lines, %" PRIu64 " events, device %s at 00:%02x.%u",
		    in, qtest_import_form(qi), st.lines, st.events, trace_device_name(h->device), devfn >> 3, devfn & 7);
		if (st.dropped > 0)
			fprintf(stderr, "; %" PRIu64 " access%s to other devices dropped", st.dropped, st.dropped == 1 ? "" : "es");
		fputc('\n', stderr);
	}
	/* notes: where the trace is not what the input's QEMU had (--quiet too) */
	if (rc == 0 && qtest_import_cmdline(qi)->drive_note[0] != '\0')
		fprintf(stderr, "import: note: %s: %s\n", in, qtest_import_cmdline(qi)->drive_note);
	if (rc == 0 && qtest_import_cmdline(qi)->ports_note[0] != '\0')
		fprintf(stderr, "import: note: %s: QEMU's virtio-serial ports are not the console model's: %s; "
		    "replay differs where the guest sees it\n", in, qtest_import_cmdline(qi)->ports_note);
	qtest_import_free(qi);
	if (rc != 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	return EXIT_OK;
}

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.args = "FILE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = import_options,
	.summary = "turn a QEMU qtest log or command stream (a bug reproducer) into a trace",
	.help =
	    "FILE is one of: a QEMU -qtest-log log (\"[R +T] readl 0x...\" / \"[S +T] OK 0x...\"),\n"
	    "a qtest command stream (one command a line), or the shell form of bug reports:\n"
	    "  cat << EOF | qemu-system-x86_64 -M q35 -device virtio-blk-pci,... -qtest stdio\n"
	    "  outl 0xcf8 0x80001010\n"
	    "  ...\n"
	    "  EOF\n"
	    "Config accesses through ports 0xcf8/0xcfc to the virtio function become cfg\n"
	    "events, accesses inside its BARs (as the guest placed them) bar events, RAM\n"
	    "stores mem events; a log's read replies become recorded values and RAM\n"
	    "read-backs mem-read events. The device type and its serial=, vectors= and drive\n"
	    "size come from the command line, and virtio-serial-pci's max_ports= (queues),\n"
	    "emergency-write= (features) and class=, the feature properties indirect_desc=,\n"
	    "event_idx=, queue_reset=, iommu_platform= (QEMU's offer with them applied;\n"
	    "packed=on is refused), virtio-blk's discard=, write-zeroes=, config-wce=,\n"
	    "num-queues=, class= and virtio-scsi's hotplug=, param_change=, num_queues=\n"
	    "(other properties the guest sees are refused unless QEMU's default); offered\n"
	    "features (each half a log reads of the feature register; the other half stays\n"
	    "QEMU's offer), queue sizes and PCI identity from what a log shows QEMU answered (a\n"
	    "note says when its virtconsole/virtserialport ports differ from the console\n"
	    "model's). Port accesses to the legacy I/O BAR 0 become bar 0 events (header:\n"
	    "transport transitional; disable-modern=on: legacy). A device type without a\n"
	    "model is refused with one message; bad input\n"
	    "gives FILE: line N: ..., exit 2.\n",
	.exec = cmd_import_exec,
};
