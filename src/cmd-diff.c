/* cmd-diff.c -- compare what the device did in two replays: two traces, or one trace under two profiles */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diff-db.h"
#include "vr/buf.h"
#include "vr/rundiff.h"
#include "vr/trace.h"

static const struct cmd_option diff_options[] = {
	{ .name = "layout-a", .arg = "L", .complete = CMD_COMPLETE_LAYOUT,
	  .help = "replay A under profile L instead of its own (likewise --layout-b)" },
	{ .name = "layout-b", .arg = "L", .complete = CMD_COMPLETE_LAYOUT,
	  .help = "replay B under profile L instead of its own" },
	{ .name = "image-dir", .arg = "DIR", .complete = CMD_COMPLETE_DIR,
	  .help = "where the disk images the headers name are (default: beside each trace)" },
	{ .name = "json", .help = "one JSON object: both sides, the first difference, counts per kind" },
	{ .name = NULL },
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

/*
 * A side that names a stored run (DB, DB:RUN) is read from the database;
 * anything else is a trace. 0, or an exit status for bad usage.
 */
static int diff_side(const struct cmd_entry *e, const char *arg, const char *opt, struct rundiff_side *side,
    struct diff_db *db)
{
	char *cause = NULL;
	int rc, k = diff_db_parse(arg, db, &cause);

	if (k < 0) {
		rc = cmd_usage_error(e, "%s", cause);
		free(cause);
		return rc;
	}
	side->path = arg;
	if (k == 0)
		return strcmp(arg, "-") == 0 ? cmd_usage_error(e, "traces must be files") : 0;
	if (side->layout >= 0)
		return cmd_usage_error(e, "%s applies to a trace, not a stored run (%s)", opt, arg);
	side->feed = diff_db_feed;
	side->feed_arg = db;
	return 0;
}

static int cmd_diff_exec(const struct cmd_entry *e, struct cmd_args *args)
{
	struct rundiff_side a, b;
	struct rundiff_result r;
	struct diff_db da, db;
	char name_a[4200], name_b[4200];
	const char *v;
	char *cause = NULL;
	bool json = cmd_args_has(args, "json");
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&da, 0, sizeof(da));
	memset(&db, 0, sizeof(db));
	a.layout = b.layout = -1;
	if ((v = cmd_args_get(args, "layout-a")) != NULL && (a.layout = trace_layout_parse(v)) < 0)
		return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", v);
	if ((v = cmd_args_get(args, "layout-b")) != NULL && (b.layout = trace_layout_parse(v)) < 0)
		return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", v);
	a.image_dir = b.image_dir = cmd_args_get(args, "image-dir");
	if (args->argc == 0)
		return cmd_usage_error(e, "missing TRACE");
	if (args->argc > 2)
		return cmd_usage_error(e, "too many arguments");
	if ((rc = diff_side(e, args->argv[0], "--layout-a", &a, &da)) != 0 ||
	    (rc = diff_side(e, args->argv[args->argc - 1], "--layout-b", &b, &db)) != 0)
		goto out;
	if (args->argc == 1 && a.feed != NULL) {
		rc = cmd_usage_error(e, "a stored run needs a second side to compare with");
		goto out;
	}
	if (args->argc == 1 && a.layout == b.layout) {
		rc = cmd_usage_error(e, "one trace: name two profiles with --layout-a and --layout-b");
		goto out;
	}
	if (rundiff_run(&a, &b, &r, &cause) < 0) {
		rc = cmd_fail_cause(EXIT_BADINPUT, cause);
		goto out;
	}
	/* A stored run by its database and number (the newest one resolved). */
	if (a.feed != NULL && snprintf(name_a, sizeof(name_a), "%s:%" PRId64, da.path, da.run) > 0)
		a.path = name_a;
	if (b.feed != NULL && snprintf(name_b, sizeof(name_b), "%s:%" PRId64, db.path, db.run) > 0)
		b.path = name_b;
	if (json)
		print_json(&a, &b, &r);
	else if (!r.same)
		print_text(&a, &b, &r);
	rc = r.same ? EXIT_OK : EXIT_DIVERGED;
out:
	free(da.path);
	free(db.path);
	return rc;
}

const struct cmd_entry cmd_diff_entry = {
	.name = "diff",
	.args = "A [B]",
	.args_complete = CMD_COMPLETE_FILE,
	.options = diff_options,
	.summary = "the first difference between two runs (stored, replayed, or one trace, two profiles)",
	.help =
	    "A and B are traces or stored runs: DB:RUN (a database replay --db wrote and a run\n"
	    "number, see virtio-replay runs DB), or DB alone for its newest run; a trace and a run\n"
	    "mix. With one trace, --layout-a and --layout-b name two profiles.\n"
	    "A stored run is read from the database as replay stored it (register values the device\n"
	    "produced, DMA writes with their bytes, interrupts, violations, completed requests);\n"
	    "a run that stopped at its first divergence holds only what happened until then.\n"
	    "Traces replay leniently (a divergence from their own recording does not stop them).\n"
	    "What each device did is split into streams: register reads (name and value), DMA writes\n"
	    "(address, length, CRC32C and the first bytes), interrupts, violations and completed\n"
	    "requests. The n-th item of each stream in A is compared with the n-th in B, so traces\n"
	    "numbered differently still line up. Identical: prints nothing, exits 0. Otherwise the\n"
	    "first difference (by B's event order) and a table per kind, exit 1. A's streams are\n"
	    "spooled to temporary files, so memory does not grow with the traces.\n",
	.exec = cmd_diff_exec,
};
