/* cmd-diff.c -- compare what the device did in two replays: two traces, or one trace under two profiles */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/rundiff.h"
#include "vr/trace.h"

extern const struct cmd_entry cmd_diff_entry;

static const struct option diff_longopts[] = {
	{ "layout-a", required_argument, NULL, 'a' },
	{ "layout-b", required_argument, NULL, 'b' },
	{ "image-dir", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 },
};

static void event_text(char *out, size_t n, uint64_t ev)
{
	if (ev == UINT64_MAX)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%" PRIu64, ev);
}

static void print_text(const struct rundiff_side *a, const struct rundiff_side *b, const struct rundiff_result *r)
{
	const struct rundiff_first *f = &r->first;
	char ea[24], eb[24];

	printf("diff: A %s (%s, %s)\n      B %s (%s, %s)\n", a->path, a->layout_name, a->outcome, b->path,
	    b->layout_name, b->outcome);
	if (f->found) {
		event_text(ea, sizeof(ea), f->a_event);
		event_text(eb, sizeof(eb), f->b_event);
		printf("first difference: %s #%" PRIu64 " (A event %s, B event %s)\n", rundiff_kind_name(f->kind),
		    f->index, ea, eb);
		printf("  A: %s\n  B: %s\n", f->a[0] ? f->a : "(nothing: A has no more)",
		    f->b[0] ? f->b : "(nothing: B has no more)");
	} else {
		printf("the devices did the same; the outcomes differ: A %s, B %s\n", a->outcome, b->outcome);
	}
	printf("%-14s %12s %12s %12s\n", "kind", "A", "B", "differ");
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++)
		printf("%-14s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", rundiff_kind_name((enum rundiff_kind)k),
		    a->count[k], b->count[k], r->differ[k]);
}

static void json_side(struct buf *o, const char *key, const struct rundiff_side *s)
{
	buf_printf(o, "\"%s\":{\"trace\":", key);
	buf_add_json_string(o, s->path);
	buf_printf(o, ",\"layout\":\"%s\",\"outcome\":\"%s\",\"events\":%" PRIu64 "}", s->layout_name, s->outcome,
	    s->events);
}

static void print_json(const struct rundiff_side *a, const struct rundiff_side *b, const struct rundiff_result *r)
{
	const struct rundiff_first *f = &r->first;
	struct buf o;

	buf_init(&o);
	buf_printf(&o, "{\"same\":%s,", r->same ? "true" : "false");
	json_side(&o, "a", a);
	buf_add(&o, ",", 1);
	json_side(&o, "b", b);
	buf_add(&o, ",\"first\":", 9);
	if (f->found) {
		buf_printf(&o, "{\"kind\":\"%s\",\"index\":%" PRIu64 ",", rundiff_kind_name(f->kind), f->index);
		if (f->a_event != UINT64_MAX)
			buf_printf(&o, "\"a_event\":%" PRIu64 ",", f->a_event);
		else
			buf_printf(&o, "\"a_event\":null,");
		if (f->b_event != UINT64_MAX)
			buf_printf(&o, "\"b_event\":%" PRIu64 ",", f->b_event);
		else
			buf_printf(&o, "\"b_event\":null,");
		buf_printf(&o, "\"a\":");
		buf_add_json_string(&o, f->a);
		buf_printf(&o, ",\"b\":");
		buf_add_json_string(&o, f->b);
		buf_printf(&o, "}");
	} else {
		buf_printf(&o, "null");
	}
	buf_printf(&o, ",\"kinds\":[");
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++)
		buf_printf(&o, "%s{\"kind\":\"%s\",\"a\":%" PRIu64 ",\"b\":%" PRIu64 ",\"differ\":%" PRIu64 "}",
		    k ? "," : "", rundiff_kind_name((enum rundiff_kind)k), a->count[k], b->count[k], r->differ[k]);
	buf_printf(&o, "]}\n");
	fwrite(o.data, 1, o.len, stdout);
	buf_release(&o);
}

static int cmd_diff_exec(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_diff_entry;
	struct rundiff_side a, b;
	struct rundiff_result r;
	char *cause = NULL;
	bool json = false;
	int c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.layout = b.layout = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", diff_longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if ((a.layout = trace_layout_parse(optarg)) < 0)
				return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", optarg);
			break;
		case 'b':
			if ((b.layout = trace_layout_parse(optarg)) < 0)
				return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", optarg);
			break;
		case 'i': a.image_dir = b.image_dir = optarg; break;
		case 'j': json = true; break;
		default:
			return cmd_usage_error(e, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cmd_usage_error(e, "missing TRACE");
	if (argc - optind > 2)
		return cmd_usage_error(e, "too many arguments");
	a.path = argv[optind];
	b.path = argc - optind == 2 ? argv[optind + 1] : argv[optind];
	if (strcmp(a.path, "-") == 0 || strcmp(b.path, "-") == 0)
		return cmd_usage_error(e, "traces must be files");
	if (argc - optind == 1 && a.layout == b.layout)
		return cmd_usage_error(e, "one trace: name two profiles with --layout-a and --layout-b");
	if (rundiff_run(&a, &b, &r, &cause) < 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (json)
		print_json(&a, &b, &r);
	else if (!r.same)
		print_text(&a, &b, &r);
	return r.same ? EXIT_OK : EXIT_DIVERGED;
}

const struct cmd_entry cmd_diff_entry = {
	.name = "diff",
	.usage = "A [B] [--layout-a qemu|vbox] [--layout-b qemu|vbox] [--image-dir DIR] [--json]",
	.summary = "replay two traces (or one under two profiles) and name the first thing their devices did differently",
	.help =
	    "  A, B            traces; with one trace, --layout-a and --layout-b name two profiles\n"
	    "  --layout-a L    replay A under profile L instead of its own (likewise --layout-b)\n"
	    "  --image-dir DIR where the disk images the headers name are (default: beside each trace)\n"
	    "  --json          one JSON object: both sides, the first difference, counts per kind\n"
	    "\nBoth sides replay leniently (a divergence from their own recording does not stop them).\n"
	    "What each device did is split into streams: register reads (name and value), DMA writes\n"
	    "(address, length, CRC32C and the first bytes), interrupts, violations and completed\n"
	    "requests. The n-th item of each stream in A is compared with the n-th in B, so traces\n"
	    "numbered differently still line up. Identical: prints nothing, exits 0. Otherwise the\n"
	    "first difference (by B's event order) and a table per kind, exit 1. A's streams are\n"
	    "spooled to temporary files, so memory does not grow with the traces.\n",
	.exec = cmd_diff_exec,
};
