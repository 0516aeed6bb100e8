/* test_tui_model.c -- the browser without a terminal: queries, keyset paging, search, jumps, and the key table */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vr/sink-sqlite.h"
#include "vr/tui-model.h"
#include "vr/tui.h"
#include "sink-sample.h"

#define BIG_EVENTS	20000

static char dir[64];
static char db[128];

static void emit_violation(struct evbus *bus, uint64_t no, const char *name)
{
	struct vr_event ev = { .kind = VR_EV_VIOLATION };

	sample_at(bus, no, 0x100 + no * 0x20, no * 1000);
	ev.u.violation.name = name;
	ev.u.violation.queue = 0;
	ev.u.violation.desc = -1;
	ev.u.violation.detail = "synthetic";
	evbus_emit(bus, &ev);
}

static void emit_divergence(struct evbus *bus, uint64_t no)
{
	struct vr_event ev = { .kind = VR_EV_DIVERGENCE };

	sample_at(bus, no, 0x100 + no * 0x20, no * 1000);
	ev.u.divergence.what = "bar-read";
	ev.u.divergence.field = "common.device_status";
	ev.u.divergence.expected = 0x4f;
	ev.u.divergence.produced = 0x0f;
	ev.u.divergence.report = "line one\nline two";
	evbus_emit(bus, &ev);
}

static void run_end(struct evbus *bus, uint64_t events)
{
	struct vr_event ev = { .kind = VR_EV_RUN_END };

	ev.u.run.outcome = "matched";
	ev.u.run.events = events;
	ev.u.run.complete = true;
	evbus_emit(bus, &ev);
}

/*
 * Run 1: the shared sample (a transaction, a violation, a divergence...).
 * Run 2: BIG_EVENTS register accesses, violations at 1000 and 3000, a
 * divergence at 2000, a register name with control and UTF-8 bytes at 7.
 * Run 3: empty.
 */
static void make_db(void)
{
	struct sink_sqlite *s;
	struct evbus bus;
	char *cause = NULL;

	snprintf(dir, sizeof(dir), "/tmp/vr-tui.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/t.db", dir);
	s = sink_sqlite_open(db, &cause);
	cr_assert_not_null(s, "%s", cause);
	evbus_init(&bus);
	cr_assert_eq(sink_sqlite_attach(s, &bus, NULL), 0);
	sample_run(&bus, true);

	sample_run_begin(&bus);
	for (uint64_t i = 1; i <= BIG_EVENTS; i++) {
		const char *reg = i % 10 == 3 ? "common.queue_select" : i % 2 ? "common.device_status" : "notify[0]";

		if (i == 7)
			reg = "evil\x1b[31m\xc3\xa9name";
		sample_access(&bus, i, i % 2 == 0, 4, i % 2 ? 0x14 : 0x3000, 2, i & 0xff, i & 0xff, reg);
		if (i == 1000 || i == 3000)
			emit_violation(&bus, i, i == 1000 ? "desc-loop" : "avail-idx-jump");
		if (i == 2000)
			emit_divergence(&bus, i);
	}
	run_end(&bus, BIG_EVENTS);

	sample_run_begin(&bus);
	run_end(&bus, 0);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0, "%s", cause);
}

static void rm_db(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(tui_model, .init = make_db, .fini = rm_db);
TestSuite(tui, .init = make_db, .fini = rm_db);

static struct tui_model *open_run(int64_t run)
{
	char *cause = NULL;
	struct tui_model *m = tui_model_open(db, run, &cause);

	cr_assert_not_null(m, "%s", cause);
	return m;
}

Test(tui_model, open_newest_and_named_runs)
{
	struct tui_model *m = open_run(0);

	cr_expect_eq(tui_model_run(m)->id, 3);
	tui_model_free(m);
	m = open_run(1);
	cr_expect_eq(tui_model_run(m)->id, 1);
	cr_expect_str_eq(tui_model_run(m)->device, "blk");
	cr_expect_str_eq(tui_model_run(m)->outcome, "diverged");
	cr_expect_eq(tui_model_run(m)->transactions, 1);
	tui_model_free(m);
	tui_model_free(NULL);
}

Test(tui_model, refuses_bad_databases)
{
	char *cause = NULL;
	char path[160];
	FILE *f;

	cr_expect_null(tui_model_open(db, 9, &cause));
	cr_expect(strstr(cause, "no run 9") != NULL, "%s", cause);
	free(cause);
	cause = NULL;

	snprintf(path, sizeof(path), "%s/none.db", dir);
	cr_expect_null(tui_model_open(path, 0, &cause));
	cr_expect(strstr(cause, "No such file") != NULL, "%s", cause);
	free(cause);
	cause = NULL;

	snprintf(path, sizeof(path), "%s/text.db", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("this is not an sqlite database, just text that is long enough.....................\n", f);
	fclose(f);
	cr_expect_null(tui_model_open(path, 0, &cause));
	cr_expect(strstr(cause, "not a virtio-replay database") != NULL, "%s", cause);
	free(cause);
	cause = NULL;

	/* a store with no runs at all */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	struct sink_sqlite *s = sink_sqlite_open(path, &cause);
	cr_assert_not_null(s);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	cr_expect_null(tui_model_open(path, 0, &cause));
	cr_expect(strstr(cause, "no runs stored") != NULL, "%s", cause);
	free(cause);
}

Test(tui_model, keyset_paging_forward_and_backward)
{
	struct tui_model *m = open_run(2);
	struct tui_row rows[16];
	struct tui_pos p = { 19995, 0 };
	char *cause = NULL;
	int n;

	n = tui_model_fetch(m, TUI_VIEW_EVENTS, NULL, 1, rows, 16, &cause);
	cr_assert_eq(n, 16, "%s", cause);
	cr_expect_eq(rows[0].pos.a, 1);
	cr_expect_eq(rows[15].pos.a, 16);
	cr_expect(strstr(rows[0].text, "common.device_status") != NULL, "%s", rows[0].text);
	cr_expect(strstr(rows[0].text, "bar-read") != NULL);

	n = tui_model_fetch(m, TUI_VIEW_EVENTS, &p, 1, rows, 16, &cause);
	cr_expect_eq(n, 6);
	cr_expect_eq(rows[0].pos.a, 19995);
	cr_expect_eq(rows[5].pos.a, 20000);

	n = tui_model_fetch(m, TUI_VIEW_EVENTS, NULL, -1, rows, 3, &cause);
	cr_assert_eq(n, 3);
	cr_expect_eq(rows[0].pos.a, 19998);	/* handed back in key order */
	cr_expect_eq(rows[2].pos.a, 20000);

	n = tui_model_fetch(m, TUI_VIEW_EVENTS, &p, -1, rows, 2, &cause);
	cr_assert_eq(n, 2);
	cr_expect_eq(rows[0].pos.a, 19993);
	cr_expect_eq(rows[1].pos.a, 19994);

	p.a = 1;
	cr_expect_eq(tui_model_fetch(m, TUI_VIEW_EVENTS, &p, -1, rows, 4, &cause), 0);
	cr_expect_eq(tui_model_count(m, TUI_VIEW_EVENTS, &cause), BIG_EVENTS);
	cr_expect_eq(tui_model_count(m, TUI_VIEW_TXNS, &cause), 0);
	tui_model_free(m);
}

Test(tui_model, marks_and_sanitized_text)
{
	struct tui_model *m = open_run(2);
	struct tui_row rows[4];
	struct tui_pos p = { 999, 0 };
	char *cause = NULL;

	cr_assert_eq(tui_model_fetch(m, TUI_VIEW_EVENTS, &p, 1, rows, 3, &cause), 3);
	cr_expect_eq(rows[0].mark, TUI_MARK_NONE);
	cr_expect_eq(rows[1].mark, TUI_MARK_VIOLATION);
	cr_expect_eq(rows[1].event, 1000);
	p.a = 2000;
	cr_assert_eq(tui_model_fetch(m, TUI_VIEW_EVENTS, &p, 1, rows, 1, &cause), 1);
	cr_expect_eq(rows[0].mark, TUI_MARK_DIVERGENCE);
	p.a = 7;
	cr_assert_eq(tui_model_fetch(m, TUI_VIEW_EVENTS, &p, 1, rows, 1, &cause), 1);
	cr_expect(strstr(rows[0].text, "evil?[31m??name") != NULL, "%s", rows[0].text);
	for (const char *c = rows[0].text; *c; c++)
		cr_expect((*c >= 0x20 && *c < 0x7f) || *c == TUI_COL_SEP, "byte 0x%02x in row text", (unsigned char)*c);
	tui_model_free(m);
}

Test(tui_model, sample_run_rows_in_every_view)
{
	struct tui_model *m = open_run(1);
	struct tui_row rows[8];
	char *cause = NULL;
	int n;

	n = tui_model_fetch(m, TUI_VIEW_TXNS, NULL, 1, rows, 8, &cause);
	cr_assert_eq(n, 1, "%s", cause);
	cr_expect(strstr(rows[0].text, "0 requestq") != NULL, "%s", rows[0].text);
	cr_expect(strstr(rows[0].text, "sector=2048 len=20") != NULL);
	cr_expect(strstr(rows[0].text, "OK") != NULL);
	cr_expect_eq(rows[0].event, 3);

	n = tui_model_fetch(m, TUI_VIEW_VIOLATIONS, NULL, 1, rows, 8, &cause);
	cr_assert_eq(n, 1);
	cr_expect(strstr(rows[0].text, "desc-loop") != NULL);
	cr_expect(strstr(rows[0].text, "descriptor 7 loops to 3") != NULL);
	cr_expect_eq(rows[0].event, 5);

	n = tui_model_fetch(m, TUI_VIEW_DIVERGENCES, NULL, 1, rows, 8, &cause);
	cr_assert_eq(n, 1);
	cr_expect(strstr(rows[0].text, "dma") != NULL);
	cr_expect(strstr(rows[0].text, "0x3") != NULL);
	cr_expect(strstr(rows[0].text, "0x9") != NULL);

	struct tui_pos found;
	cr_expect_eq(tui_model_search(m, TUI_VIEW_TXNS, NULL, 1, "SECTOR=2048", &found, &cause), 1);
	cr_expect_eq(found.a, 1);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_TXNS, &found, 1, "sector", &found, &cause), 0);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_VIOLATIONS, NULL, 1, "loops to", &found, &cause), 1);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_DIVERGENCES, NULL, -1, "expected 03", &found, &cause), 1);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_DIVERGENCES, NULL, 1, "expected 04", &found, &cause), 0);

	/* the read at event 2 produced 0x0b where 0x0f was recorded */
	struct tui_pos p = { 2, 0 };
	n = tui_model_fetch(m, TUI_VIEW_EVENTS, &p, 1, rows, 1, &cause);
	cr_assert_eq(n, 1);
	cr_expect(strstr(rows[0].text, "!0xf") != NULL, "%s", rows[0].text);
	tui_model_free(m);
}

Test(tui_model, numbers)
{
	int64_t n = -1;

	cr_expect_eq(tui_parse_number("0", &n), 0);
	cr_expect_eq(n, 0);
	cr_expect_eq(tui_parse_number("010", &n), 0);
	cr_expect_eq(n, 10);
	cr_expect_eq(tui_parse_number("0x1F", &n), 0);
	cr_expect_eq(n, 31);
	cr_expect_eq(tui_parse_number("9223372036854775807", &n), 0);
	cr_expect_eq(n, INT64_MAX);
	cr_expect_eq(tui_parse_number("9223372036854775808", &n), -1);
	cr_expect_eq(tui_parse_number("", &n), -1);
	cr_expect_eq(tui_parse_number("0x", &n), -1);
	cr_expect_eq(tui_parse_number("-1", &n), -1);
	cr_expect_eq(tui_parse_number("12a", &n), -1);
	cr_expect_eq(tui_parse_number("1f", &n), -1);
}

Test(tui_model, filters)
{
	struct tui_model *m = open_run(2);
	struct tui_row rows[4];
	char *cause = NULL;

	tui_model_set_filter(m, TUI_VIEW_EVENTS, "bar-write");
	cr_expect_str_eq(tui_model_filter(m, TUI_VIEW_EVENTS), "bar-write");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_EVENTS, &cause), BIG_EVENTS / 2);
	cr_assert_eq(tui_model_fetch(m, TUI_VIEW_EVENTS, NULL, 1, rows, 2, &cause), 2);
	cr_expect_eq(rows[0].pos.a, 2);
	cr_expect_eq(rows[1].pos.a, 4);
	tui_model_set_filter(m, TUI_VIEW_EVENTS, "common.queue_*");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_EVENTS, &cause), BIG_EVENTS / 10);
	tui_model_set_filter(m, TUI_VIEW_EVENTS, "");
	cr_expect_null(tui_model_filter(m, TUI_VIEW_EVENTS));
	cr_expect_eq(tui_model_count(m, TUI_VIEW_EVENTS, &cause), BIG_EVENTS);
	/* a quote in a filter is data, not SQL */
	tui_model_set_filter(m, TUI_VIEW_EVENTS, "x' OR '1'='1");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_EVENTS, &cause), 0);

	tui_model_set_filter(m, TUI_VIEW_VIOLATIONS, "avail-*");
	cr_assert_eq(tui_model_fetch(m, TUI_VIEW_VIOLATIONS, NULL, 1, rows, 4, &cause), 1);
	cr_expect_eq(rows[0].event, 3000);
	tui_model_free(m);

	m = open_run(1);
	tui_model_set_filter(m, TUI_VIEW_TXNS, "0");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_TXNS, &cause), 1);
	tui_model_set_filter(m, TUI_VIEW_TXNS, "1");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_TXNS, &cause), 0);
	tui_model_set_filter(m, TUI_VIEW_TXNS, "OUT");
	cr_expect_eq(tui_model_count(m, TUI_VIEW_TXNS, &cause), 1);
	tui_model_free(m);
}

Test(tui_model, search_goto_and_jumps)
{
	struct tui_model *m = open_run(2);
	struct tui_pos p = { 1, 0 }, out;
	char *cause = NULL;
	int64_t ev, id;

	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, &p, 1, "QUEUE_SELECT", &out, &cause), 1);
	cr_expect_eq(out.a, 3);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, &out, 1, "queue_select", &out, &cause), 1);
	cr_expect_eq(out.a, 13);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, &out, -1, "queue_select", &out, &cause), 1);
	cr_expect_eq(out.a, 3);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, &out, -1, "queue_select", &out, &cause), 0);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, NULL, 1, "no such register", &out, &cause), 0);
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, NULL, -1, "queue_select", &out, &cause), 1);
	cr_expect_eq(out.a, 19993);
	/* hex values are searchable */
	cr_expect_eq(tui_model_search(m, TUI_VIEW_EVENTS, NULL, 1, "0xff", &out, &cause), 1);
	cr_expect_eq(out.a, 255);

	cr_expect_eq(tui_model_goto_event(m, TUI_VIEW_EVENTS, 12345, &out, &cause), 1);
	cr_expect_eq(out.a, 12345);
	cr_expect_eq(tui_model_goto_event(m, TUI_VIEW_EVENTS, 99999, &out, &cause), 0);
	cr_expect_eq(tui_model_goto_event(m, TUI_VIEW_VIOLATIONS, 1001, &out, &cause), 1);
	cr_expect_eq(out.a, 2);

	cr_expect_eq(tui_model_next_flagged(m, TUI_VIEW_VIOLATIONS, 0, 1, &ev, &id, &cause), 1);
	cr_expect_eq(ev, 1000);
	cr_expect_eq(tui_model_next_flagged(m, TUI_VIEW_VIOLATIONS, 1000, 1, &ev, &id, &cause), 1);
	cr_expect_eq(ev, 3000);
	cr_expect_eq(id, 2);
	cr_expect_eq(tui_model_next_flagged(m, TUI_VIEW_VIOLATIONS, 3000, 1, &ev, &id, &cause), 0);
	cr_expect_eq(tui_model_next_flagged(m, TUI_VIEW_VIOLATIONS, 3000, -1, &ev, &id, &cause), 1);
	cr_expect_eq(ev, 1000);
	cr_expect_eq(tui_model_next_flagged(m, TUI_VIEW_DIVERGENCES, 0, 1, &ev, &id, &cause), 1);
	cr_expect_eq(ev, 2000);
	tui_model_free(m);
}

static bool text_has(const struct tui_text *t, const char *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (strstr(t->line[i], s))
			return true;
	return false;
}

Test(tui_model, detail_and_bytes)
{
	struct tui_model *m = open_run(1);
	struct tui_text t = { 0 };
	struct tui_blobs b = { 0 };
	struct tui_pos p = { 1, 0 };
	char *cause = NULL, line[TUI_HEX_LINE];

	cr_assert_eq(tui_model_detail(m, TUI_VIEW_TXNS, &p, &t, &cause), 0, "%s", cause);
	cr_expect(text_has(&t, "descriptor chain (3)"));
	cr_expect(text_has(&t, "0x0000000000101000         20 NEXT"));
	cr_expect(text_has(&t, "WRITE"));
	cr_expect(text_has(&t, "sector=2048 len=20"));
	cr_expect(text_has(&t, "buffer out  36 bytes"));

	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_TXNS, &p, &b, &cause), 0);
	cr_assert_eq(b.n, 2);
	cr_expect_str_eq(b.v[0].title, "OUT buffer (36 bytes)");
	cr_expect_str_eq(b.v[1].title, "IN buffer (1 bytes)");
	cr_expect_eq(tui_hex_lines(&b), 1 + 3 + 1 + 1);
	tui_hex_line(&b, 1, line, NULL);
	cr_expect_str_eq(line, "00000000  01 00 00 00 00 00 00 00  00 08 00 00 00 00 00 00  |................|");
	tui_hex_line(&b, 2, line, NULL);
	cr_expect(strstr(line, "|hello, world!...|") != NULL, "%s", line);
	tui_hex_line(&b, 4, line, NULL);
	cr_expect_str_eq(line, "IN buffer (1 bytes)");

	cr_assert_eq(tui_model_detail(m, TUI_VIEW_DIVERGENCES, &p, &t, &cause), 0);
	cr_expect(text_has(&t, "first divergence at event 5"));
	cr_expect(text_has(&t, "  expected 03, produced 09"));
	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_DIVERGENCES, &p, &b, &cause), 0);
	cr_assert_eq(b.n, 2);
	cr_expect_eq(b.v[1].bytes[2], 9);

	/* event 4 took the transaction; event 2 read a value that differs from the recording */
	p.a = 4;
	cr_assert_eq(tui_model_detail(m, TUI_VIEW_EVENTS, &p, &t, &cause), 0);
	cr_expect(text_has(&t, "notify[0]"));
	cr_expect(text_has(&t, "device writes (dma) at this event:"));
	cr_expect(text_has(&t, "used.ring[0]"));
	cr_expect(text_has(&t, "interrupts at this event:"));
	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_EVENTS, &p, &b, &cause), 0);
	cr_expect_eq(b.n, 1);
	p.a = 2;
	cr_assert_eq(tui_model_detail(m, TUI_VIEW_EVENTS, &p, &t, &cause), 0);
	cr_expect(text_has(&t, "MISMATCH"));
	p.a = 3;
	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_EVENTS, &p, &b, &cause), 0);
	cr_assert_eq(b.n, 1);
	cr_expect_eq(b.v[0].len, 8);

	/* at the divergence's event, the expected and produced bytes */
	p.a = 5;
	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_EVENTS, &p, &b, &cause), 0);
	cr_assert_eq(b.n, 2);
	cr_expect_str_eq(b.v[0].title, "divergence #1 expected (4 bytes)");
	cr_expect_str_eq(b.v[1].title, "divergence #1 produced (4 bytes)");
	/* side by side, the differing byte highlighted */
	cr_expect(b.v[0].paired);
	cr_expect_eq(b.v[0].first_diff, 2);
	cr_expect_eq(tui_hex_lines(&b), 3);
	tui_hex_line(&b, 0, line, NULL);
	cr_expect_str_eq(line, "divergence #1 expected (4 bytes)           | divergence #1 produced (4 bytes)");
	tui_hex_line(&b, 1, line, NULL);
	cr_expect_str_eq(line, "first difference at +0x2 (2)");
	{
		char hl[TUI_HEX_LINE];
		int lit = 0;

		tui_hex_line(&b, 2, line, hl);
		cr_expect_str_eq(line, "00000000  01 02 03 04             ....     | 01 02 09 04             ....    ");
		for (size_t i = 0; i < strlen(line); i++)
			lit += hl[i] != 0;
		cr_expect_eq(lit, 6, "two hex digits and an ASCII column on each side");
		cr_expect(hl[16] && hl[17] && hl[36] && hl[51] && hl[52] && hl[71] && !hl[13]);
	}
	/* without colour a marker line follows */
	b.markers = true;
	cr_assert_eq(tui_model_bytes(m, TUI_VIEW_EVENTS, &p, &b, &cause), 0);
	cr_expect_eq(tui_hex_lines(&b), 4);
	tui_hex_line(&b, 3, line, NULL);
	cr_expect_str_eq(line, "                ^^                  ^      |       ^^                  ^");
	b.markers = false;

	p.a = 1;
	cr_assert_eq(tui_model_detail(m, TUI_VIEW_VIOLATIONS, &p, &t, &cause), 0);
	cr_expect(text_has(&t, "descriptor 7 loops to 3"));
	/* a row that is gone says so instead of failing */
	p.a = 77;
	cr_assert_eq(tui_model_detail(m, TUI_VIEW_TXNS, &p, &t, &cause), 0);
	cr_expect(text_has(&t, "not in run 1"));
	tui_text_clear(&t);
	tui_blobs_clear(&b);
	tui_model_free(m);
}

/* ---- the state machine, driven by keys as the terminal would ---- */

static int keys(struct tui *t, const char *s)
{
	int flags = 0;

	for (; *s; s++)
		flags |= tui_key(t, (unsigned char)*s);
	return flags;
}

static int64_t sel_event(const struct tui *t)
{
	const struct tui_row *r = tui_selected(t);

	cr_assert_not_null(r);
	return r->pos.a;
}

static int list_rows(const struct tui *t)
{
	struct tui_layout l;

	tui_layout(t, &l);
	return l.list_h;
}

Test(tui, moves_pages_and_goto)
{
	struct tui *t = tui_new(open_run(2), 24, 100);
	struct tui_layout l;

	tui_layout(t, &l);
	cr_expect_eq(l.list_h, 20);	/* title, column titles, status line, key bar */
	cr_expect_eq(t->nrows, 20);
	cr_expect_eq(sel_event(t), 1);
	cr_expect(tui_key(t, 'j') & TUI_DRAW_LIST);
	cr_expect_eq(sel_event(t), 2);
	tui_key(t, TUI_KEY_DOWN);
	keys(t, "jjjjjjjjjjjjjjjjjjjjjj");	/* past the bottom: the window scrolls */
	cr_expect_eq(sel_event(t), 25);
	cr_expect_eq(t->rows[0].pos.a, 6);
	keys(t, "k");
	cr_expect_eq(sel_event(t), 24);
	keys(t, " ");
	cr_expect_eq(t->rows[0].pos.a, 26);
	keys(t, "b");
	cr_expect_eq(t->rows[0].pos.a, 6);
	keys(t, "G");
	cr_expect_eq(sel_event(t), BIG_EVENTS);
	cr_expect_eq(t->nrows, 20);
	keys(t, " j");	/* nothing below the end */
	cr_expect_eq(sel_event(t), BIG_EVENTS);
	keys(t, "g");
	cr_expect_eq(sel_event(t), 1);
	keys(t, "kb");	/* nothing above the start */
	cr_expect_eq(sel_event(t), 1);
	keys(t, ":12345\n");
	cr_expect_eq(sel_event(t), 12345);
	keys(t, ":0x20\n");
	cr_expect_eq(sel_event(t), 32);
	keys(t, ":99999999\n");
	cr_expect(strstr(t->msg, "no events at or after event 99999999") != NULL, "%s", t->msg);
	keys(t, ":010\n");	/* decimal, never octal */
	cr_expect_eq(sel_event(t), 10);
	keys(t, ":abc\n");
	cr_expect(strstr(t->msg, "not an event number") != NULL);
	keys(t, ":-5\n");
	cr_expect(strstr(t->msg, "not an event number") != NULL);
	keys(t, ":0x\n");
	cr_expect(strstr(t->msg, "not an event number") != NULL);
	keys(t, ":99999999999999999999\n");
	cr_expect(strstr(t->msg, "not an event number") != NULL);
	/* a prompt can be left without effect */
	keys(t, ":77");
	tui_key(t, TUI_KEY_ESC);
	cr_expect_eq(sel_event(t), 10);
	cr_expect_eq(tui_key(t, 'q'), TUI_QUIT | TUI_DRAW_STATUS);
	tui_free(t);
}

Test(tui, search_repeat_and_jumps)
{
	struct tui *t = tui_new(open_run(2), 24, 100);
	char status[256];

	keys(t, "/queue_select\n");
	cr_expect_eq(sel_event(t), 3);
	keys(t, "n");
	cr_expect_eq(sel_event(t), 13);
	keys(t, "nn");
	cr_expect_eq(sel_event(t), 33);
	keys(t, "N");
	cr_expect_eq(sel_event(t), 23);
	keys(t, "?device_status\n");
	cr_expect_eq(sel_event(t), 21);
	keys(t, "n");	/* n goes on upwards after ? */
	cr_expect_eq(sel_event(t), 19);
	keys(t, "/nothing like this\n");
	cr_expect(strstr(t->msg, "pattern not found") != NULL, "%s", t->msg);
	cr_expect_eq(sel_event(t), 19);

	keys(t, "v");
	cr_expect_eq(sel_event(t), 1000);
	tui_status(t, status, sizeof(status));
	cr_expect(strstr(status, "violation 1 at event 1000") != NULL, "%s", status);
	keys(t, "v");
	cr_expect_eq(sel_event(t), 3000);
	keys(t, "v");
	cr_expect(strstr(t->msg, "no further violation") != NULL);
	cr_expect_eq(sel_event(t), 3000);
	keys(t, "V");
	cr_expect_eq(sel_event(t), 1000);
	keys(t, "d");
	cr_expect_eq(sel_event(t), 2000);
	keys(t, "d");
	cr_expect(strstr(t->msg, "no further divergence") != NULL);
	keys(t, "D");
	cr_expect(strstr(t->msg, "no earlier divergence") != NULL);

	/* in the violations list v walks its rows; from there d jumps back to the events */
	keys(t, "3");
	cr_expect_eq(t->view, TUI_VIEW_VIOLATIONS);
	cr_expect_eq(sel_event(t), 1);
	keys(t, "v");
	cr_expect_eq(sel_event(t), 2);
	keys(t, "v");
	cr_expect(strstr(t->msg, "no further violation") != NULL);
	keys(t, "V");
	cr_expect_eq(sel_event(t), 1);
	keys(t, "d");
	cr_expect_eq(t->view, TUI_VIEW_EVENTS);
	cr_expect_eq(sel_event(t), 2000);
	tui_free(t);
}

Test(tui, filter_views_panes_help)
{
	struct tui *t = tui_new(open_run(1), 30, 140);
	struct tui_layout l;

	keys(t, "fbar-write\n");
	cr_expect_str_eq(tui_model_filter(t->m, TUI_VIEW_EVENTS), "bar-write");
	cr_expect_eq(t->nrows, 2);
	cr_expect_eq(sel_event(t), 1);
	keys(t, "j");
	cr_expect_eq(sel_event(t), 4);
	keys(t, "f\n");
	cr_expect_null(tui_model_filter(t->m, TUI_VIEW_EVENTS));
	cr_expect(t->nrows > 2);

	cr_expect_eq(tui_key(t, '\n'), TUI_DRAW_ALL);
	cr_expect(t->detail_open);
	cr_expect_eq(t->focus, TUI_FOCUS_LIST);	/* Enter opens the panes, the list keeps the keys */
	tui_layout(t, &l);
	cr_expect(l.show_detail && l.show_hex);
	cr_expect(text_has(&t->detail, "event 1"));
	keys(t, "j");	/* the panes follow the selection */
	cr_expect(text_has(&t->detail, "event 2"));
	tui_key(t, TUI_KEY_TAB);
	cr_expect_eq(t->focus, TUI_FOCUS_DETAIL);
	keys(t, "\n");
	cr_expect_eq(t->focus, TUI_FOCUS_LIST);
	keys(t, "ww");
	cr_expect_eq(t->focus, TUI_FOCUS_HEX);
	tui_key(t, TUI_KEY_BTAB);
	cr_expect_eq(t->focus, TUI_FOCUS_DETAIL);
	keys(t, "w");
	cr_expect_eq(t->focus, TUI_FOCUS_HEX);
	tui_key(t, TUI_KEY_TAB);
	cr_expect_eq(t->focus, TUI_FOCUS_LIST);

	keys(t, "t");
	cr_expect_eq(t->view, TUI_VIEW_TXNS);
	cr_expect(text_has(&t->detail, "descriptor chain"));
	cr_expect_eq(t->blobs.n, 2);
	keys(t, "T");
	cr_expect_eq(t->view, TUI_VIEW_EVENTS);
	keys(t, "4");
	cr_expect_eq(t->view, TUI_VIEW_DIVERGENCES);
	cr_expect(text_has(&t->detail, "report:"));
	tui_key(t, TUI_KEY_ESC);
	cr_expect(!t->detail_open);

	keys(t, "h");
	cr_expect(t->help);
	cr_expect(text_has(&t->helptext, "j Down ^N ^E"));
	cr_expect(text_has(&t->helptext, "quit"));
	keys(t, "q");	/* q leaves the help, not the browser */
	cr_expect(!t->help);
	keys(t, "Z");
	cr_expect(strstr(t->msg, "unknown key") != NULL);

	/* ] and [ step through the runs */
	keys(t, "1G]");
	cr_expect_eq(tui_model_run(t->m)->id, 2);
	cr_expect_eq(sel_event(t), 1);
	cr_expect(strstr(t->msg, "run 2: traces/blk-basic.vrt") != NULL, "%s", t->msg);
	keys(t, "]");
	cr_expect_eq(tui_model_run(t->m)->id, 3);
	cr_expect_null(tui_selected(t));
	keys(t, "]");
	cr_expect(strstr(t->msg, "no later run") != NULL);
	keys(t, "[[");
	cr_expect_eq(tui_model_run(t->m)->id, 1);
	keys(t, "[");
	cr_expect(strstr(t->msg, "no earlier run") != NULL);
	tui_free(t);
}

/* Opening the panes or shrinking the screen keeps the selected row selected and on screen. */
Test(tui, selection_survives_a_shorter_list)
{
	struct tui *t = tui_new(open_run(2), 48, 160);
	int64_t want;

	for (int i = 0; i < 40; i++)
		tui_key(t, 'j');
	want = sel_event(t);
	cr_assert(t->vs[t->view].sel >= 30, "selection in the lower part of the list");
	keys(t, "\n");
	cr_expect(t->detail_open);
	cr_expect_eq(sel_event(t), want);
	cr_expect(t->vs[t->view].sel < list_rows(t));
	cr_expect(text_has(&t->detail, "event "));
	keys(t, "k");
	cr_expect_eq(sel_event(t), want - 1);
	keys(t, "\n");
	cr_expect_eq(sel_event(t), want - 1);
	tui_resize(t, 10, 80);
	cr_expect_eq(sel_event(t), want - 1);
	cr_expect(t->vs[t->view].sel < list_rows(t));
	keys(t, "t");
	tui_resize(t, 48, 160);
	keys(t, "T");
	cr_expect_eq(sel_event(t), want - 1);
	tui_free(t);
}

Test(tui, every_binding_on_empty_run_and_tiny_screen)
{
	struct tui *t = tui_new(open_run(3), 24, 80);
	char buf[512];

	cr_expect_eq(t->nrows, 0);
	cr_expect_null(tui_selected(t));
	for (int size = 0; size < 3; size++) {
		if (size == 1)
			tui_resize(t, 3, 10);
		if (size == 2)
			tui_resize(t, 1, 1);
		for (size_t i = 0; i < tui_nbindings; i++) {
			int f = tui_key(t, tui_bindings[i].key);

			if (t->prompt)
				tui_key(t, TUI_KEY_ENTER);
			if (t->help)
				tui_key(t, 'q');
			cr_expect(tui_bindings[i].key == 'q' ? (f & TUI_QUIT) : !(f & TUI_QUIT));
			tui_status(t, buf, sizeof(buf));
			tui_title(t, buf, sizeof(buf));
		}
	}
	tui_free(t);

	/* the same on a real run with a screen that shrinks and grows */
	t = tui_new(open_run(2), 2, 5);
	keys(t, "jjG\nj");
	tui_resize(t, 50, 200);
	cr_expect_eq(sel_event(t), BIG_EVENTS);
	keys(t, "w ");
	tui_resize(t, 4, 20);
	for (size_t i = 0; i < tui_nbindings; i++) {
		tui_key(t, tui_bindings[i].key);
		if (t->prompt)
			keys(t, "1\n");
		if (t->help)
			tui_key(t, 'q');
	}
	tui_free(t);
}

/* Every key of the table is documented in the browse section of virtio-replay(1). */
Test(tui, man_page_lists_every_key)
{
	const char *src = getenv("srcdir");
	char path[512], line[512], keys[8192] = " ";
	bool in = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/virtio-replay.1", src ? src : ".");
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, ".Ss ", 4) == 0)
			in = strcmp(line, ".Ss browse\n") == 0;
		if (!in || strncmp(line, ".It Ic ", 7) != 0)
			continue;
		/* tokens of ".It Ic g < Home" / ".It Ic \&? Ns Ar text" / ".It Ic ^D , ^U" */
		for (char *tok = strtok(line + 7, " ,\n"); tok; tok = strtok(NULL, " ,\n")) {
			if (strncmp(tok, "\\&", 2) == 0)
				tok += 2;
			strncat(keys, tok, sizeof(keys) - strlen(keys) - 2);
			strcat(keys, " ");
		}
	}
	fclose(f);
	cr_assert(strlen(keys) > 20, "no browse key list in %s", path);
	for (size_t i = 0; i < tui_nbindings; i++) {
		char want[32];

		snprintf(want, sizeof(want), " %s ", tui_bindings[i].label);
		cr_expect(strstr(keys, want) != NULL, "key %s is not in the browse section of %s", tui_bindings[i].label,
		    path);
	}
}
