/* cmd-replay.c -- replay a trace against the device model, report divergences, feed the sinks */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cmd.h"
#include "progress.h"
#include "vr/buf.h"
#include "vr/event.h"
#include "vr/le.h"
#include "vr/replay.h"
#include "vr/sink-log.h"
#include "vr/sink-pcap.h"
#include "vr/sink-sqlite.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

/*
 * Interrupted replays exit 128 + signal (130 for SIGINT, 143 for SIGTERM),
 * deliberately outside 0-3: an interrupted run is neither a verdict nor a
 * bad trace. The sinks are closed first, so the run is kept, marked incomplete.
 */
static volatile sig_atomic_t replay_signal;

static void on_signal(int sig)
{
	replay_signal = sig;
}

/* --json lists at most this many violations and divergences (the counts cover all of them). */
#define JSON_MAX_ITEMS	1000

struct replay_cli {
	bool quiet, json;
	struct progress progress;
	struct buf jviol, jdiv;		/* --json: the objects listed so far, comma-separated */
	unsigned njviol, njdiv;
};

static void print_violation(void *opaque, const struct vr_event *ev)
{
	const struct vr_ev_violation *v = &ev->u.violation;

	(void)opaque;
	printf("violation %s at event %" PRIu64 " (offset 0x%" PRIx64 ")", v->name ? v->name : "?", ev->event_no,
	    ev->offset);
	if (v->queue >= 0)
		printf(" queue %d", v->queue);
	if (v->desc >= 0)
		printf(" desc %d", v->desc);
	if (v->detail != NULL && v->detail[0] != '\0')
		printf(": %s", v->detail);
	putchar('\n');
}

static void print_divergence(void *opaque, const struct vr_event *ev)
{
	(void)opaque;
	if (ev->u.divergence.report != NULL)
		fputs(ev->u.divergence.report, stdout);
}

static void json_violation(void *opaque, const struct vr_event *ev)
{
	struct replay_cli *c = opaque;
	const struct vr_ev_violation *v = &ev->u.violation;
	struct buf *b = &c->jviol;

	if (c->njviol++ >= JSON_MAX_ITEMS)
		return;
	buf_printf(b, "%s{\"name\":", b->len > 0 ? "," : "");
	buf_add_json_string(b, v->name != NULL ? v->name : "?");
	buf_printf(b, ",\"event\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"queue\":%d,\"desc\":%d,\"addr\":\"0x%" PRIx64
	    "\",\"detail\":", ev->event_no, ev->offset, v->queue, v->desc, v->addr);
	buf_add_json_string(b, v->detail);
	buf_add_u8(b, '}');
}

/* First differing byte of two buffers (the shorter length if one is a prefix of the other). */
static uint32_t first_difference(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	uint32_t n = al < bl ? al : bl, i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Up to 16 bytes of data from byte off, as "at byte OFF: hex" (empty if off is past the end). */
static void bytes_at(struct buf *b, const uint8_t *data, uint32_t len, uint32_t off)
{
	uint32_t n = off < len ? len - off : 0;

	buf_printf(b, "at byte %" PRIu32 ": ", off);
	buf_add_hex(b, data + (n > 0 ? off : 0), n < 16 ? n : 16);
	if (n > 16)
		buf_printf(b, "...");
}

/*
 * The expected and produced values of a divergence as short strings, for the
 * sentence "expected E, produced P": register and interrupt values as hex
 * numbers, a used-ring element's id or len decoded, other buffers as their
 * bytes from the first difference, a missing or surplus output as "nothing".
 */
static void divergence_values(const struct vr_ev_divergence *d, struct buf *exp, struct buf *got, uint32_t *diff)
{
	const char *what = d->what != NULL ? d->what : "", *field = d->field != NULL ? d->field : "";

	*diff = UINT32_MAX;
	if (strncmp(what, "missing-", 8) == 0 || strncmp(what, "unexpected-", 11) == 0) {
		bool missing = what[0] == 'm';
		struct buf *out = missing ? exp : got;
		uint64_t v = missing ? d->expected : d->produced;

		buf_printf(missing ? got : exp, "nothing");
		if (strcmp(what + (missing ? 8 : 11), "dma") == 0)
			buf_printf(out, "dma 0x%" PRIx64 " (%" PRIu32 " bytes)", v, missing ? d->exp_len : d->got_len);
		else
			buf_printf(out, "0x%" PRIx64, v);
		return;
	}
	if (d->exp_data != NULL && d->got_data != NULL && strncmp(field, "dma address", 11) != 0) {
		*diff = first_difference(d->exp_data, d->exp_len, d->got_data, d->got_len);
		if (d->exp_len == 8 && d->got_len == 8 && (ends_with(field, ".id") || ends_with(field, ".len"))) {
			unsigned at = ends_with(field, ".id") ? 0 : 4;

			buf_printf(exp, "0x%" PRIx32, le32_load(d->exp_data + at));
			buf_printf(got, "0x%" PRIx32, le32_load(d->got_data + at));
		} else {
			bytes_at(exp, d->exp_data, d->exp_len, *diff);
			bytes_at(got, d->got_data, d->got_len, *diff);
		}
		return;
	}
	if (strcmp(what, "checkpoint") == 0) {
		buf_printf(exp, "checkpoint of %" PRIu64 " bytes", d->expected);
		buf_printf(got, "device state of %" PRIu64 " bytes", d->produced);
		return;
	}
	buf_printf(exp, "0x%" PRIx64, d->expected);
	buf_printf(got, "0x%" PRIx64, d->produced);
}

static void json_divergence(void *opaque, const struct vr_event *ev)
{
	struct replay_cli *c = opaque;
	const struct vr_ev_divergence *d = &ev->u.divergence;
	struct buf *b = &c->jdiv, exp, got;
	uint32_t diff;

	if (c->njdiv++ >= JSON_MAX_ITEMS)
		return;
	buf_init(&exp);
	buf_init(&got);
	divergence_values(d, &exp, &got, &diff);
	buf_printf(b, "%s{\"name\":", b->len > 0 ? "," : "");
	buf_add_json_string(b, d->what != NULL ? d->what : "?");
	buf_printf(b, ",\"event\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"field\":", ev->event_no, ev->offset);
	buf_add_json_string(b, d->field);
	buf_printf(b, ",\"expected\":");
	buf_add_json_string(b, buf_str(&exp));
	buf_printf(b, ",\"produced\":");
	buf_add_json_string(b, buf_str(&got));
	if (diff != UINT32_MAX)
		buf_printf(b, ",\"first_difference\":%" PRIu32, diff);
	buf_printf(b, ",\"detail\":");
	buf_add_json_string(b, d->report);
	buf_add_u8(b, '}');
	buf_release(&exp);
	buf_release(&got);
}

static void progress(void *opaque, uint64_t no, uint64_t off)
{
	struct replay_cli *c = opaque;

	(void)off;
	progress_update(&c->progress, no, NULL);
}

static void summary_text(const char *path, const char *outcome, const struct replay_stats *st, double secs)
{
	fprintf(stderr, "replay: %s: %s\n", path, outcome);
	fprintf(stderr, "  events       %" PRIu64, st->events);
	for (unsigned k = 1, first = 1; k < TRACE_KIND_COUNT; k++) {
		if (st->kinds[k] == 0)
			continue;
		fprintf(stderr, "%s%s %" PRIu64, first ? " (" : ", ", trace_kind_name((uint8_t)k), st->kinds[k]);
		first = 0;
	}
	fprintf(stderr, "%s\n", st->events ? ")" : "");
	fprintf(stderr, "  requests     %" PRIu64 "\n", st->txns);
	for (unsigned i = 0; i < st->ntxn; i++)
		fprintf(stderr, "    queue %u %-12s %-12s %" PRIu64 "\n", st->txn[i].queue, st->txn[i].queue_name,
		    st->txn[i].type, st->txn[i].count);
	fprintf(stderr, "  interrupts   %" PRIu64 "\n", st->irqs);
	fprintf(stderr, "  dma writes   %" PRIu64 "\n", st->dmas);
	fprintf(stderr, "  violations   %" PRIu64 "\n", st->violations);
	fprintf(stderr, "  divergences  %" PRIu64, st->divergences);
	if (st->divergences > 0)
		fprintf(stderr, " (first at event %" PRIu64 ")", st->first_divergence);
	fputc('\n', stderr);
	if (st->seeked_from != UINT64_MAX)
		fprintf(stderr, "  started from checkpoint at event %" PRIu64 "\n", st->seeked_from);
	if (secs > 0)
		fprintf(stderr, "  speed        %.0f events/s\n", (double)st->events / secs);
}

/*
 * The --json summary; st may be NULL (the trace could not be opened: a bad
 * header still gives a JSON object, with the error).
 */
static void summary_json(const struct replay_cli *c, const char *path, const char *outcome,
    const struct replay_stats *st, double secs, const char *report, const char *error)
{
	static const struct replay_stats none;
	struct buf b;

	if (st == NULL)
		st = &none;
	buf_init(&b);
	buf_printf(&b, "{\"trace\":");
	buf_add_json_string(&b, path);
	buf_printf(&b, ",\"outcome\":\"%s\",\"events\":%" PRIu64 ",\"kinds\":{", outcome, st->events);
	for (unsigned k = 1, first = 1; k < TRACE_KIND_COUNT; k++) {
		buf_printf(&b, "%s\"%s\":%" PRIu64, first ? "" : ",", trace_kind_name((uint8_t)k), st->kinds[k]);
		first = 0;
	}
	buf_printf(&b, "},\"requests\":%" PRIu64 ",\"transactions\":[", st->txns);
	for (unsigned i = 0; i < st->ntxn; i++) {
		buf_printf(&b, "%s{\"queue\":%u,\"name\":", i ? "," : "", st->txn[i].queue);
		buf_add_json_string(&b, st->txn[i].queue_name);
		buf_printf(&b, ",\"type\":");
		buf_add_json_string(&b, st->txn[i].type);
		buf_printf(&b, ",\"count\":%" PRIu64 "}", st->txn[i].count);
	}
	buf_printf(&b, "],\"interrupts\":%" PRIu64 ",\"dma_writes\":%" PRIu64 ",\"violation_count\":%" PRIu64
	    ",\"violations\":[", st->irqs, st->dmas, st->violations);
	buf_add(&b, c->jviol.data, c->jviol.len);
	buf_printf(&b, "],\"divergences\":%" PRIu64 ",\"divergence_list\":[", st->divergences);
	buf_add(&b, c->jdiv.data, c->jdiv.len);
	buf_add_u8(&b, ']');
	if (st->divergences > 0) {
		buf_printf(&b, ",\"first_divergence\":%" PRIu64 ",\"report\":", st->first_divergence);
		buf_add_json_string(&b, report);
	}
	if (error != NULL) {
		buf_printf(&b, ",\"error\":");
		buf_add_json_string(&b, error);
	}
	buf_printf(&b, ",\"events_per_second\":%.0f}\n", secs > 0 ? (double)st->events / secs : 0.0);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

static const struct cmd_option replay_options[] = {
	{ .name = "db", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "store the run (events, transactions, violations...) in an SQLite database" },
	{ .name = "log", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "write the inspection log (register accesses, transactions, hex dumps)" },
	{ .name = "log-bytes", .arg = "N", .type = CMD_ARG_U64,
	  .help = "cap each hex dump in the log at N bytes (default 256, 0 = no cap)" },
	{ .name = "pcap", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "write network frames crossing the device as a pcap file" },
	{ .name = "from", .arg = "N", .type = CMD_ARG_U64,
	  .help = "report from event N on, starting at the last checkpoint before it" },
	{ .name = "to", .arg = "M", .type = CMD_ARG_U64,
	  .help = "stop after event M (and the device outputs recorded after it)" },
	{ .name = "checkpoints", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "device checkpoints of this trace: with --from, start at the last one\n"
	      "before N if FILE holds this trace's; otherwise write FILE while replaying" },
	{ .name = "checkpoint-every", .arg = "N", .type = CMD_ARG_U64,
	  .help = "with --checkpoints, write a checkpoint every N events (default 100000)" },
	{ .name = "layout", .arg = "L", .complete = CMD_COMPLETE_LAYOUT,
	  .help = "override the trace's register layout profile (vbox or qemu)" },
	{ .name = "lenient", .help = "count divergences and go on instead of stopping at the first" },
	{ .name = "quiet", .help = "no violation lines and no summary (divergence reports and errors stay)" },
	{ .name = "json", .help = "print the summary as one JSON object on stdout (each divergence and\n"
	      "violation an object; a bad trace still gives the object, with \"error\")" },
	{ .name = "no-verify-checkpoints", .help = "do not compare checkpoints with the device state" },
	{ .name = "image-dir", .arg = "DIR", .complete = CMD_COMPLETE_DIR,
	  .help = "look disk images up in DIR instead of the trace's directory" },
	{ .name = "budget", .arg = "N", .type = CMD_ARG_U64,
	  .help = "let the device serve at most N requests (0 = no limit; default\n"
	      "max(16384, 32 per byte of trace read))" },
	{ .name = "budget-bytes", .arg = "N", .type = CMD_ARG_SIZE,
	  .help = "let the device write at most N bytes into guest RAM (0 = no limit;\n"
	      "default max(256M, 64K per byte of trace read)); K, M, G, T suffixes" },
	{ .name = "mem-limit", .arg = "N", .type = CMD_ARG_SIZE,
	  .help = "allocate at most N bytes of guest RAM (default 2G, 0 = no limit)" },
	{ .name = "progress", .help = "show progress (events, rate, time left) on stderr even when it is not\n"
	      "a terminal (on a terminal it shows unless --quiet or --json)" },
	{ .name = NULL },
};

/* 0 on the command line means no limit; 0 in replay_opts means the default. */
static unsigned long long limit_option(const struct cmd_args *a, const char *name)
{
	unsigned long long v = cmd_args_u64(a, name, 0);

	return cmd_args_has(a, name) && v == 0 ? UINT64_MAX : v;
}

static int cmd_replay_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	const char *db = cmd_args_get(a, "db"), *logpath = cmd_args_get(a, "log"), *pcap = cmd_args_get(a, "pcap");
	unsigned long long log_bytes = cmd_args_u64(a, "log-bytes", 256), from = cmd_args_u64(a, "from", 0);
	unsigned long long to = cmd_args_u64(a, "to", UINT64_MAX);
	unsigned long long budget = limit_option(a, "budget"), budget_bytes = limit_option(a, "budget-bytes");
	unsigned long long mem_limit = limit_option(a, "mem-limit");
	const char *image_dir = cmd_args_get(a, "image-dir");
	struct replay_opts o;
	struct replay_cli cli;
	struct replay *r = NULL;
	struct sink_sqlite *sdb = NULL;
	struct sink_log *slog = NULL;
	struct sink_pcap *spcap = NULL;
	struct sigaction sa, old_int, old_term;
	struct evbus bus;
	struct buf opts;
	char *cause = NULL, *close_cause[3] = { NULL, NULL, NULL };
	int layout = -1, outcome, status;
	bool lenient = cmd_args_has(a, "lenient"), noverify = cmd_args_has(a, "no-verify-checkpoints");
	double t0, secs;

	memset(&cli, 0, sizeof(cli));
	cli.quiet = cmd_args_has(a, "quiet");
	cli.json = cmd_args_has(a, "json");
	if (cmd_args_has(a, "layout") && (layout = trace_layout_parse(cmd_args_get(a, "layout"))) < 0)
		return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", cmd_args_get(a, "layout"));
	if (a->argc != 1)
		return cmd_usage_error(e, a->argc == 0 ? "missing TRACE" : "too many arguments");
	if (to < from)
		return cmd_usage_error(e, "--to %llu is before --from %llu", to, from);
	if (cmd_args_has(a, "checkpoint-every") && (!cmd_args_has(a, "checkpoints") ||
	    cmd_args_u64(a, "checkpoint-every", 0) == 0))
		return cmd_usage_error(e, "--checkpoint-every needs --checkpoints and a count of at least 1");

	/* Options that change what is replayed, for the run record (output paths are not among them). */
	buf_init(&opts);
	if (from > 0)
		buf_printf(&opts, " --from %llu", from);
	if (to != UINT64_MAX)
		buf_printf(&opts, " --to %llu", to);
	if (layout >= 0)
		buf_printf(&opts, " --layout %s", trace_layout_name((uint8_t)layout));
	if (lenient)
		buf_printf(&opts, " --lenient");
	if (noverify)
		buf_printf(&opts, " --no-verify-checkpoints");

	/* From here on a signal only sets the flag: the replay stops at an event boundary. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	evbus_init(&bus);
	if (db != NULL && ((sdb = sink_sqlite_open(db, &cause)) == NULL || sink_sqlite_attach(sdb, &bus, &cause) < 0))
		goto usage_fail;
	if (logpath != NULL && ((slog = sink_log_open(logpath, log_bytes, &cause)) == NULL ||
	    sink_log_attach(slog, &bus, &cause) < 0))
		goto usage_fail;
	if (pcap != NULL && ((spcap = sink_pcap_open(pcap, &cause)) == NULL || sink_pcap_attach(spcap, &bus, &cause) < 0))
		goto usage_fail;
	if (!cli.json) {
		if (!cli.quiet)
			evbus_add(&bus, 1u << VR_EV_VIOLATION, print_violation, &cli);
		evbus_add(&bus, 1u << VR_EV_DIVERGENCE, print_divergence, &cli);
	} else {
		evbus_add(&bus, 1u << VR_EV_VIOLATION, json_violation, &cli);
		evbus_add(&bus, 1u << VR_EV_DIVERGENCE, json_divergence, &cli);
	}

	memset(&o, 0, sizeof(o));
	o.path = a->argv[0];
	o.layout = layout;
	o.from = from;
	o.to = to;
	o.lenient = lenient;
	o.no_checkpoint_verify = noverify;
	o.image_dir = image_dir;
	o.budget_requests = budget;
	o.budget_bytes = budget_bytes;
	o.mem_limit = mem_limit;
	o.checkpoints = cmd_args_get(a, "checkpoints");
	o.checkpoint_every = cmd_args_u64(a, "checkpoint-every", 0);
	o.options = opts.len > 0 ? buf_str(&opts) + 1 : "";
	o.version = PACKAGE_VERSION;
	o.stop = &replay_signal;
	progress_init(&cli.progress, "replay", "events", 0, cmd_args_has(a, "progress") ? PROGRESS_ON :
	    cli.quiet || cli.json ? PROGRESS_OFF : PROGRESS_AUTO);
	if (cli.progress.on) {
		/* Counted in events, whatever the file's size or compression. */
		cli.progress.total = progress_trace_events(o.path);
		o.progress = progress;
		o.progress_opaque = &cli;
		o.progress_every = 4096;
	}

	if ((r = replay_new(&o, &bus, &cause)) == NULL)
		goto usage_fail;
	t0 = progress_now();
	outcome = replay_run(r, &cause);
	secs = progress_now() - t0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	progress_end(&cli.progress, replay_get_stats(r)->events);
	fflush(stdout);

	/* Close the sinks before reporting: what they hold is kept whatever the outcome. */
	/* Each sink's own error: a full disk under the log must not hide behind the database's. */
	sink_sqlite_close(sdb, &close_cause[0]);
	sink_log_close(slog, &close_cause[1]);
	sink_pcap_close(spcap, &close_cause[2]);

	switch (outcome) {
	case REPLAY_MATCHED: status = EXIT_OK; break;
	case REPLAY_DIVERGED: status = EXIT_DIVERGED; break;
	case REPLAY_BADINPUT: status = EXIT_BADINPUT; break;
	case REPLAY_STOPPED: status = 128 + (int)replay_signal; break;
	default: status = EXIT_INTERNAL; break;
	}
	if (cli.json)
		summary_json(&cli, o.path, replay_outcome_name(outcome), replay_get_stats(r), secs,
		    replay_first_report(r), cause);
	/* With --json too: a script that reads only stdout still gets the error, a person reads stderr. */
	if (cause != NULL)
		fprintf(stderr, "virtio-replay: %s\n", cause);
	else if (outcome == REPLAY_STOPPED)
		fprintf(stderr, "virtio-replay: %s: interrupted by signal %d; the run is kept, marked incomplete\n",
		    o.path, (int)replay_signal);
	if (!cli.json && !cli.quiet)
		summary_text(o.path, replay_outcome_name(outcome), replay_get_stats(r), secs);
	free(cause);
	replay_free(r);
	buf_release(&opts);
	buf_release(&cli.jviol);
	buf_release(&cli.jdiv);
	for (size_t i = 0; i < sizeof(close_cause) / sizeof(close_cause[0]); i++) {
		if (close_cause[i] == NULL)
			continue;
		fprintf(stderr, "virtio-replay: %s\n", close_cause[i]);
		free(close_cause[i]);
		/* An output that cannot be written is bad usage (a full disk, a bad path), as in cut and record. */
		if (status == EXIT_OK)
			status = EXIT_BADINPUT;
	}
	return status;

usage_fail:
	/* A trace or output that cannot be opened still gives --json its object. */
	if (cli.json)
		summary_json(&cli, a->argv[0], replay_outcome_name(REPLAY_BADINPUT), NULL, 0, NULL, cause);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sink_sqlite_close(sdb, NULL);
	sink_log_close(slog, NULL);
	sink_pcap_close(spcap, NULL);
	buf_release(&opts);
	buf_release(&cli.jviol);
	buf_release(&cli.jdiv);
	return cmd_fail_cause(EXIT_BADINPUT, cause);
}

const struct cmd_entry cmd_replay_entry = {
	.name = "replay",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = replay_options,
	.summary = "replay a trace against the device model and compare its outputs with the recording",
	.help =
	    "Violation lines and divergence reports go to stdout, the summary to stderr.\n"
	    "A replay interrupted by SIGINT/SIGTERM keeps what its sinks stored (marked incomplete)\n"
	    "and exits 130/143.\n",
	.exec = cmd_replay_exec,
};
