/* tui-model.c -- the browser's queries: keyset-paged lists, counts, search, goto, the run shown (details: tui-detail.c) */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/cause.h"
#include "vr/sink-sqlite.h"
#include "vr/tui-model.h"
#include "vr/tui-qstate.h"
#include "vr/tui-rings.h"
#include "vr/xmalloc.h"
#include "tui-model-int.h"

/*
 * One list view: where its rows come from, their key, how they are
 * filtered and searched, and how a row becomes a line. Result columns 0-2
 * are always key a, key b and the event number; format() reads from 3 on.
 */
struct view_def {
	const char *name;
	const char *header;
	const char *from;
	const char *run;
	const char *ka, *kb;
	const char *order, *order_desc;
	const char *ev;
	const char *cols;
	const char *filter;	/* ?5 the filter text (NULL: none), ?6 the filter as a number */
	const char *search;	/* ?7 the needle */
	void (*format)(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r);
};

/* Database strings go to a terminal: keep printable ASCII only (and sep, a column separator, if not 0). */
void tm_sanitize_keep(char *s, int sep)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++) {
		if (*p == sep && sep != 0)
			continue;
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
		else if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	}
}

void tm_sanitize(char *s)
{
	tm_sanitize_keep(s, 0);
}

bool tm_is_null(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL;
}

long long tm_i64(sqlite3_stmt *st, int c)
{
	return (long long)sqlite3_column_int64(st, c);
}

unsigned long long tm_u64(sqlite3_stmt *st, int c)
{
	return (unsigned long long)sqlite3_column_int64(st, c);
}

const char *tm_txt(sqlite3_stmt *st, int c, const char *dflt)
{
	const unsigned char *t = sqlite3_column_text(st, c);

	return t ? (const char *)t : dflt;
}

/* A string for a list cell: cut and made printable, so it cannot split the row's columns. */
const char *tm_ctxt(sqlite3_stmt *st, int c, const char *dflt)
{
	static char b[8][TUI_ROW_TEXT];
	static int k;
	char *r = b[k++ & 7];

	snprintf(r, TUI_ROW_TEXT, "%s", tm_txt(st, c, dflt));
	tm_sanitize(r);
	return r;
}

/* "0x1f" or "-" for NULL, into one of a few rotating buffers. */
const char *tm_hexval(sqlite3_stmt *st, int c)
{
	static char b[4][24];
	static int k;
	char *r = b[k++ & 3];

	if (tm_is_null(st, c))
		return "-";
	snprintf(r, 24, "0x%llx", tm_u64(st, c));
	return r;
}

const char *tm_optnum(sqlite3_stmt *st, int c)
{
	static char b[4][24];
	static int k;
	char *r = b[k++ & 3];

	if (tm_is_null(st, c))
		return "-";
	snprintf(r, 24, "%lld", tm_i64(st, c));
	return r;
}

char tm_mark_of(sqlite3_stmt *st, int cv, int cd)
{
	int v = sqlite3_column_int(st, cv), d = sqlite3_column_int(st, cd);

	return v && d ? TUI_MARK_BOTH : v ? TUI_MARK_VIOLATION : d ? TUI_MARK_DIVERGENCE : TUI_MARK_NONE;
}

bool tm_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * events: 3 offset, 4 vtime, 5 kind, 6 reg, 7 space, 8 addr, 9 size, 10 value, 11 recorded, 12 len,
 * 13 violation here, 14 divergence here, 15 the start of a mark's text, 16 what a device write
 * touched (requestq.used.ring[0]); other guest addresses are named from the ring layouts
 */
static void format_event(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	char ev[32], where[128], rec[24], ring[64];
	const char *kind = tm_ctxt(st, 5, "?");

	if (tm_i64(st, 1))
		snprintf(ev, sizeof(ev), "%lld.%lld", tm_i64(st, 0), tm_i64(st, 1));
	else
		snprintf(ev, sizeof(ev), "%lld", tm_i64(st, 0));
	if (!tm_is_null(st, 6))
		snprintf(where, sizeof(where), "%s", tm_ctxt(st, 6, ""));
	else if (tm_starts(kind, "cfg-") || tm_starts(kind, "model-cfg-"))
		snprintf(where, sizeof(where), "cfg+0x%llx", tm_u64(st, 8));
	else if (tm_starts(kind, "bar-") || tm_starts(kind, "model-bar-"))
		snprintf(where, sizeof(where), "bar%lld+0x%llx", tm_i64(st, 7), tm_u64(st, 8));
	else if (!tm_is_null(st, 15))
		snprintf(where, sizeof(where), "\"%s\"", tm_ctxt(st, 15, ""));
	else if (!tm_is_null(st, 16))	/* a device write the store named */
		snprintf(where, sizeof(where), "%s 0x%llx [%lld]", tm_ctxt(st, 16, ""), tm_u64(st, 8), tm_i64(st, 12));
	else if (!tm_is_null(st, 12) && tui_rings_name(m->rings, tm_i64(st, 0), tm_u64(st, 8), tm_u64(st, 12), ring, sizeof(ring)))
		snprintf(where, sizeof(where), "%s 0x%llx [%lld]", ring, tm_u64(st, 8), tm_i64(st, 12));
	else if (!tm_is_null(st, 12))
		snprintf(where, sizeof(where), "0x%llx [%lld]", tm_u64(st, 8), tm_i64(st, 12));
	else if (tm_u64(st, 8))
		snprintf(where, sizeof(where), "0x%llx", tm_u64(st, 8));
	else
		where[0] = '\0';
	/* a read whose model value differs from the recording is flagged with '!' */
	snprintf(rec, sizeof(rec), "%s%s",
	    !tm_is_null(st, 10) && !tm_is_null(st, 11) && tm_i64(st, 10) != tm_i64(st, 11) ? "!" : "", tm_hexval(st, 11));
	snprintf(r->text, sizeof(r->text), "%s" SEP "%llx" SEP "%s" SEP "%s" SEP "%s" SEP "%s" SEP "%s",
	    ev, tm_u64(st, 3), tm_optnum(st, 4), kind, where, tm_hexval(st, 10), rec);
	r->mark = tm_mark_of(st, 13, 14);
}

/*
 * transactions: 3 queue, 4 name, 5 head, 6 type, 7 fields, 8 status, 9 out, 10 in, 11 ndesc, 12 first, 13 last,
 * 14 v, 15 d, 16 latency in events
 */
static void format_txn(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	(void)m;
	char q[48], evs[48];

	snprintf(q, sizeof(q), "%lld %s", tm_i64(st, 3), tm_ctxt(st, 4, ""));
	snprintf(evs, sizeof(evs), "%lld-%lld", tm_i64(st, 12), tm_i64(st, 13));
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%s" SEP "%lld" SEP "%s" SEP "%s" SEP "%s" SEP "%lld" SEP "%lld"
	    SEP "%lld" SEP "%lld" SEP "%s",
	    tm_i64(st, 0), q, tm_i64(st, 5), tm_ctxt(st, 6, "-"), tm_ctxt(st, 7, ""), tm_ctxt(st, 8, "-"),
	    tm_i64(st, 9), tm_i64(st, 10), tm_i64(st, 11), tm_i64(st, 16), evs);
	r->mark = tm_mark_of(st, 14, 15);
}

/* violations: 3 offset, 4 name, 5 queue, 6 desc, 7 addr, 8 detail */
static void format_violation(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	(void)m;
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%lld" SEP "%llx" SEP "%s" SEP "%s" SEP "%s" SEP "%s" SEP "%s",
	    tm_i64(st, 0), tm_i64(st, 2), tm_u64(st, 3), tm_ctxt(st, 4, "?"), tm_optnum(st, 5), tm_optnum(st, 6),
	    tm_hexval(st, 7), tm_ctxt(st, 8, ""));
	r->mark = TUI_MARK_VIOLATION;
}

/*
 * What differs, expected -> produced: for bytes the first differing offset
 * (or both addresses, when the device wrote elsewhere), else the values.
 * The byte columns hold at most 64 KiB of each side.
 */
void tm_divergence_difference(sqlite3_stmt *st, int c, char *out, size_t n)
{
	const uint8_t *e = sqlite3_column_blob(st, c + 2), *p = sqlite3_column_blob(st, c + 3);
	size_t ne = (size_t)sqlite3_column_bytes(st, c + 2), np = (size_t)sqlite3_column_bytes(st, c + 3);
	long long le = tm_i64(st, c + 4), lp = tm_i64(st, c + 5);
	int64_t at;

	if (tm_is_null(st, c + 2) || tm_is_null(st, c + 3)) {
		snprintf(out, n, "%s -> %s", tm_hexval(st, c), tm_hexval(st, c + 1));
		return;
	}
	if (!tm_is_null(st, c) && !tm_is_null(st, c + 1) && tm_i64(st, c) != tm_i64(st, c + 1)) {
		snprintf(out, n, "addr %s -> %s (%lld -> %lld bytes)", tm_hexval(st, c), tm_hexval(st, c + 1), le, lp);
		return;
	}
	at = tui_bytes_first_diff(e, ne, p, np);
	if (at < 0)
		snprintf(out, n, le == lp ? "no difference in %lld bytes" : "%lld -> %lld bytes", le, lp);
	else if ((size_t)at < ne && (size_t)at < np)
		snprintf(out, n, "+0x%llx: %02x -> %02x (%lld bytes)", (long long)at, e[at], p[at], le);
	else
		snprintf(out, n, "+0x%llx: %lld -> %lld bytes", (long long)at, le, lp);
}

/* divergences: 3 offset, 4 what, 5 field, 6 expected, 7 produced, 8-9 bytes (cut), 10-11 their lengths */
static void format_divergence(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	(void)m;
	char diff[96];

	tm_divergence_difference(st, 6, diff, sizeof(diff));
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%lld" SEP "%llx" SEP "%s" SEP "%s" SEP "%s",
	    tm_i64(st, 0), tm_i64(st, 2), tm_u64(st, 3), tm_ctxt(st, 4, "?"), tm_ctxt(st, 5, "-"), diff);
	r->mark = TUI_MARK_DIVERGENCE;
}

static const struct view_def views[TUI_VIEW_COUNT] = {
	[TUI_VIEW_EVENTS] = {
		.name = "events",
		.header = ">EVENT" SEP ">OFFSET" SEP ">VTIME" SEP "KIND" SEP "REGISTER / WHERE" SEP "VALUE" SEP "RECORDED",
		.from = "events e LEFT JOIN event_kinds k ON k.code = e.kind LEFT JOIN registers r ON r.id = e.reg",
		.run = "e.run", .ka = "e.event", .kb = "e.sub",
		.order = "e.event, e.sub", .order_desc = "e.event DESC, e.sub DESC",
		.ev = "e.event",
		.cols = "e.file_offset, e.vtime, coalesce(k.name, '?'), r.name, e.space, e.addr, e.size,"
			" e.value, e.recorded, e.len,"
			" EXISTS (SELECT 1 FROM violations v WHERE v.run = e.run AND v.event = e.event),"
			" EXISTS (SELECT 1 FROM divergences d WHERE d.run = e.run AND d.event = e.event),"
			" CASE WHEN k.name = 'mark' THEN CAST(substr(e.bytes, 1, 60) AS TEXT) END,"
			" CASE WHEN k.name = 'dma' THEN (SELECT d.what FROM dma d WHERE d.run = e.run AND d.event = e.event"
			"  AND d.addr = e.addr ORDER BY +d.id LIMIT 1) END",
		.filter = "?5 IS NULL OR e.kind IN (SELECT code FROM event_kinds WHERE name GLOB ?5)"
			" OR e.reg IN (SELECT id FROM registers WHERE name GLOB ?5)"
			" OR (e.len IS NOT NULL AND e.kind IN (SELECT code FROM event_kinds WHERE name IN ('mem', 'dma'))"
			"  AND EXISTS (SELECT 1 FROM temp.ring_filter f WHERE e.addr BETWEEN f.lo AND f.hi"
			"  AND e.event BETWEEN f.first AND f.last))",
		/* names are matched once in their small tables, so a scan costs two lookups a row */
		.search = "e.kind IN (SELECT code FROM event_kinds WHERE instr(lower(name), lower(?7)) > 0)"
			" OR e.reg IN (SELECT id FROM registers WHERE instr(lower(name), lower(?7)) > 0)"
			" OR (?8 IS NOT NULL AND ((e.value IS NOT NULL AND instr(printf('0x%x', e.value), ?8) > 0)"
			" OR (e.recorded IS NOT NULL AND instr(printf('0x%x', e.recorded), ?8) > 0)))",
		.format = format_event,
	},
	[TUI_VIEW_TXNS] = {
		.name = "transactions",
		.header = ">ID" SEP "QUEUE" SEP ">HEAD" SEP "TYPE" SEP "FIELDS" SEP "STATUS" SEP ">OUT" SEP ">IN" SEP ">DESC"
			SEP ">LAT" SEP "EVENTS",
		.from = "transactions t", .run = "t.run", .ka = "t.id", .kb = "0",
		.order = "t.id", .order_desc = "t.id DESC",
		.ev = "t.first_event",
		.cols = "t.queue, t.queue_name, t.head, t.type, t.fields, t.status, t.bytes_out, t.bytes_in,"
			" t.ndesc, t.first_event, t.last_event,"
			" EXISTS (SELECT 1 FROM violations v WHERE v.run = t.run"
			"  AND v.event BETWEEN t.first_event AND t.last_event),"
			" EXISTS (SELECT 1 FROM divergences d WHERE d.run = t.run"
			"  AND d.event BETWEEN t.first_event AND t.last_event), t.latency_events",
		.filter = "?5 IS NULL OR t.queue = ?6 OR t.type GLOB ?5 OR t.queue_name GLOB ?5 OR t.status GLOB ?5",
		.search = "instr(lower(coalesce(t.queue_name, '') || ' ' || coalesce(t.type, '') || ' ' ||"
			" coalesce(t.fields, '') || ' ' || coalesce(t.status, '')), lower(?7)) > 0",
		.format = format_txn,
	},
	[TUI_VIEW_VIOLATIONS] = {
		.name = "violations",
		.header = ">ID" SEP ">EVENT" SEP ">OFFSET" SEP "NAME" SEP ">QUEUE" SEP ">DESC" SEP "ADDR" SEP "DETAIL",
		.from = "violations v", .run = "v.run", .ka = "v.id", .kb = "0",
		.order = "v.id", .order_desc = "v.id DESC",
		.ev = "v.event",
		.cols = "v.file_offset, v.name, v.queue, v.desc_index, v.addr, v.detail",
		.filter = "?5 IS NULL OR v.queue = ?6 OR v.name GLOB ?5",
		.search = "instr(lower(v.name || ' ' || coalesce(v.detail, '')), lower(?7)) > 0",
		.format = format_violation,
	},
	[TUI_VIEW_DIVERGENCES] = {
		.name = "divergences",
		.header = ">ID" SEP ">EVENT" SEP ">OFFSET" SEP "WHAT" SEP "FIELD" SEP "DIFFERENCE (expected -> produced)",
		.from = "divergences d", .run = "d.run", .ka = "d.id", .kb = "0",
		.order = "d.id", .order_desc = "d.id DESC",
		.ev = "d.event",
		.cols = "d.file_offset, d.what, d.field, d.expected, d.produced, substr(d.expected_bytes, 1, 65536),"
			" substr(d.produced_bytes, 1, 65536), length(d.expected_bytes), length(d.produced_bytes)",
		.filter = "?5 IS NULL OR d.what GLOB ?5 OR d.field GLOB ?5",
		.search = "instr(lower(d.what || ' ' || coalesce(d.field, '') || ' ' || coalesce(d.report, '')),"
			" lower(?7)) > 0",
		.format = format_divergence,
	},
};

const char *tui_view_name(enum tui_view v)
{
	return v < TUI_VIEW_COUNT ? views[v].name : "?";
}

const char *tui_model_header(enum tui_view v)
{
	return v < TUI_VIEW_COUNT ? views[v].header : "";
}

int tm_db_error(struct tui_model *m, char **cause, const char *what)
{
	return cause_set(cause, "%s: %s: %s", m->path, what, sqlite3_errmsg(m->db));
}

static char *view_sql(const struct view_def *d, enum q which)
{
	char *sql = NULL;

	switch (which) {
	case Q_FWD:
	case Q_BACK:
		xasprintf(&sql, "SELECT %s, %s, %s, %s FROM %s WHERE %s = ?1 AND (%s, %s) %s (?2, ?3)"
		    " AND (%s) ORDER BY %s LIMIT ?4", d->ka, d->kb, d->ev, d->cols, d->from, d->run,
		    d->ka, d->kb, which == Q_FWD ? ">=" : "<", d->filter, which == Q_FWD ? d->order : d->order_desc);
		break;
	case Q_COUNT:
		xasprintf(&sql, "SELECT count(*) FROM %s WHERE %s = ?1 AND (%s)", d->from, d->run, d->filter);
		break;
	case Q_SEARCH_FWD:
	case Q_SEARCH_BACK:
		xasprintf(&sql, "SELECT %s, %s FROM %s WHERE %s = ?1 AND (%s, %s) %s (?2, ?3) AND (%s) AND (%s)"
		    " ORDER BY %s LIMIT 1", d->ka, d->kb, d->from, d->run, d->ka, d->kb,
		    which == Q_SEARCH_FWD ? ">" : "<", d->filter, d->search,
		    which == Q_SEARCH_FWD ? d->order : d->order_desc);
		break;
	case Q_GOTO:
		xasprintf(&sql, "SELECT %s, %s FROM %s WHERE %s = ?1 AND %s >= ?2 AND (%s) ORDER BY %s, %s LIMIT 1",
		    d->ka, d->kb, d->from, d->run, d->ev, d->filter, d->ev, d->order);
		break;
	default:
		break;
	}
	return sql;
}

/* The statement, prepared on first use; reset and bound with the run and the view's filter. */
static sqlite3_stmt *stmt(struct tui_model *m, enum tui_view v, enum q which, char **cause)
{
	sqlite3_stmt *st = m->q[v][which];
	const char *f = m->filter[v];
	int np;

	if (st == NULL) {
		char *sql = view_sql(&views[v], which);
		int rc = sqlite3_prepare_v2(m->db, sql, -1, &st, NULL);

		free(sql);
		if (rc != SQLITE_OK) {
			tm_db_error(m, cause, "prepare");
			sqlite3_finalize(st);
			return NULL;
		}
		m->q[v][which] = st;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	np = sqlite3_bind_parameter_count(st);
	sqlite3_bind_int64(st, 1, m->run.id);
	if (np >= 5 && f != NULL) {
		int64_t n;

		sqlite3_bind_text(st, 5, f, -1, SQLITE_TRANSIENT);
		if (np >= 6 && tui_parse_number(f, &n) == 0)
			sqlite3_bind_int64(st, 6, n);
	}
	return st;
}

int tui_parse_number(const char *s, int64_t *out)
{
	int base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
		    base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;

		if (d < 0 || v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = (int64_t)v;
	return 0;
}

static void bind_pos(sqlite3_stmt *st, const struct tui_pos *p, int dir)
{
	if (p) {
		sqlite3_bind_int64(st, 2, p->a);
		sqlite3_bind_int64(st, 3, p->b);
	} else {
		sqlite3_bind_int64(st, 2, dir > 0 ? INT64_MIN : INT64_MAX);
		sqlite3_bind_int64(st, 3, dir > 0 ? INT64_MIN : INT64_MAX);
	}
}

int tui_model_fetch(struct tui_model *m, enum tui_view v, const struct tui_pos *from, int dir,
    struct tui_row *rows, int n, char **cause)
{
	sqlite3_stmt *st;
	int k = 0, rc;

	if (v >= TUI_VIEW_COUNT || n <= 0)
		return 0;
	if ((st = stmt(m, v, dir > 0 ? Q_FWD : Q_BACK, cause)) == NULL)
		return -1;
	bind_pos(st, from, dir);
	sqlite3_bind_int(st, 4, n);
	while (k < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct tui_row *r = &rows[k++];

		r->pos.a = sqlite3_column_int64(st, 0);
		r->pos.b = sqlite3_column_int64(st, 1);
		r->event = sqlite3_column_int64(st, 2);
		views[v].format(m, st, r);
		/* a separator inside a database string only splits a column, it reaches no terminal */
		tm_sanitize_keep(r->text, TUI_COL_SEP);
	}
	if (k < n && rc != SQLITE_DONE) {
		tm_db_error(m, cause, views[v].name);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (dir < 0) {
		/* read newest first; hand back in key order */
		for (int i = 0, j = k - 1; i < j; i++, j--) {
			struct tui_row t = rows[i];

			rows[i] = rows[j];
			rows[j] = t;
		}
	}
	return k;
}

int64_t tui_model_count(struct tui_model *m, enum tui_view v, char **cause)
{
	sqlite3_stmt *st;

	if (v >= TUI_VIEW_COUNT)
		return 0;
	if (m->count[v] >= 0)
		return m->count[v];
	if (m->filter[v] == NULL) {
		/* the run's own counters: counting millions of rows would stall the first screen */
		static const size_t off[TUI_VIEW_COUNT] = {
			[TUI_VIEW_EVENTS] = offsetof(struct tui_run, events),
			[TUI_VIEW_TXNS] = offsetof(struct tui_run, transactions),
			[TUI_VIEW_VIOLATIONS] = offsetof(struct tui_run, violations),
			[TUI_VIEW_DIVERGENCES] = offsetof(struct tui_run, divergences),
		};
		memcpy(&m->count[v], (const char *)&m->run + off[v], sizeof(int64_t));
		return m->count[v];
	}
	if ((st = stmt(m, v, Q_COUNT, cause)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		tm_db_error(m, cause, "count");
		sqlite3_reset(st);
		return -1;
	}
	m->count[v] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return m->count[v];
}

/* Step a one-row key query: 1 with *out, 0 without a row, -1 on error. */
static int one_pos(struct tui_model *m, sqlite3_stmt *st, struct tui_pos *out, char **cause)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		out->a = sqlite3_column_int64(st, 0);
		out->b = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return tm_db_error(m, cause, "search");
}

int tui_model_search(struct tui_model *m, enum tui_view v, const struct tui_pos *from, int dir,
    const char *needle, struct tui_pos *out, char **cause)
{
	sqlite3_stmt *st;

	if (v >= TUI_VIEW_COUNT || needle == NULL || *needle == '\0')
		return 0;
	if ((st = stmt(m, v, dir > 0 ? Q_SEARCH_FWD : Q_SEARCH_BACK, cause)) == NULL)
		return -1;
	bind_pos(st, from, dir);
	sqlite3_bind_text(st, 7, needle, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= 8) {
		/* ?8: the needle if it can be part of a hex number, for searching values */
		char hex[64];
		size_t i;

		for (i = 0; needle[i] && i + 1 < sizeof(hex); i++) {
			char c = needle[i] >= 'A' && needle[i] <= 'Z' ? (char)(needle[i] - 'A' + 'a') : needle[i];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x'))
				break;
			hex[i] = c;
		}
		hex[i] = '\0';
		if (needle[i] == '\0')
			sqlite3_bind_text(st, 8, hex, -1, SQLITE_TRANSIENT);
	}
	return one_pos(m, st, out, cause);
}

int tui_model_goto_event(struct tui_model *m, enum tui_view v, int64_t event, struct tui_pos *out, char **cause)
{
	sqlite3_stmt *st;

	if (v >= TUI_VIEW_COUNT)
		return 0;
	if ((st = stmt(m, v, Q_GOTO, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	return one_pos(m, st, out, cause);
}

sqlite3_stmt *tm_prep(struct tui_model *m, const char *sql, char **cause)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
		tm_db_error(m, cause, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, m->run.id);
	return st;
}

/* Finalize st; -1 with *cause if its last step was an error. */
int tm_done(struct tui_model *m, sqlite3_stmt *st, int rc, const char *what, char **cause)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		tm_db_error(m, cause, what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int tui_model_next_flagged(struct tui_model *m, enum tui_view which, int64_t after, int dir,
    int64_t *event_out, int64_t *id_out, char **cause)
{
	const char *table = which == TUI_VIEW_DIVERGENCES ? "divergences" : "violations";
	char sql[192];
	sqlite3_stmt *st;
	int rc, found = 0;

	snprintf(sql, sizeof(sql), "SELECT event, id FROM %s WHERE run = ?1 AND event %s ?2 ORDER BY event %s, id %s"
	    " LIMIT 1", table, dir > 0 ? ">" : "<", dir > 0 ? "" : "DESC", dir > 0 ? "" : "DESC");
	if ((st = tm_prep(m, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*event_out = sqlite3_column_int64(st, 0);
		if (id_out)
			*id_out = sqlite3_column_int64(st, 1);
		found = 1;
	}
	if (tm_done(m, st, rc, table, cause) < 0)
		return -1;
	return found;
}

int tui_model_depth(struct tui_model *m, int64_t first, int64_t last, int *depth, int n, char **cause)
{
	sqlite3_stmt *st;
	double span;
	int rc;

	memset(depth, 0, (size_t)n * sizeof(*depth));
	if (n <= 0 || last < first)
		return 0;
	span = ((double)last - (double)first + 1) / n;
	/* through the index on first_event: requests taken at most TXN_LOOKBACK events before the range */
	if ((st = tm_prep(m, "SELECT first_event, last_event FROM transactions WHERE run = ?1"
	    " AND first_event BETWEEN ?2 AND ?3 AND last_event >= ?4", cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, first > INT64_MIN + TXN_LOOKBACK ? first - TXN_LOOKBACK : INT64_MIN);
	sqlite3_bind_int64(st, 3, last);
	sqlite3_bind_int64(st, 4, first);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(st, 0), b = sqlite3_column_int64(st, 1);
		int i = a <= first ? 0 : (int)(((double)a - (double)first) / span);
		int j = b >= last ? n - 1 : (int)(((double)b - (double)first) / span);

		for (i = i < 0 ? 0 : i; i <= j && i < n; i++)
			depth[i]++;
	}
	return tm_done(m, st, rc, "transactions", cause);
}

void tui_model_set_filter(struct tui_model *m, enum tui_view v, const char *filter)
{
	if (v >= TUI_VIEW_COUNT)
		return;
	/* events: guest memory whose ring name matches (requestq.used*), as address ranges */
	if (v == TUI_VIEW_EVENTS && filter && *filter)
		tui_rings_filter(m->rings, filter);
	free(m->filter[v]);
	m->filter[v] = filter && *filter ? xstrdup(filter) : NULL;
	m->count[v] = -1;
}

const char *tui_model_filter(const struct tui_model *m, enum tui_view v)
{
	return v < TUI_VIEW_COUNT ? m->filter[v] : NULL;
}

const struct tui_run *tui_model_run(const struct tui_model *m)
{
	return &m->run;
}

const char *tui_model_path(const struct tui_model *m)
{
	return m->path;
}

static int load_run(struct tui_model *m, int64_t run, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(m->db, run ? "SELECT id, trace, device, layout, outcome, complete, events, transactions,"
	    " divergences, violations FROM runs WHERE id = ?1" : "SELECT id, trace, device, layout, outcome, complete,"
	    " events, transactions, divergences, violations FROM runs ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		tm_db_error(m, cause, "runs");
		return -1;
	}
	if (run)
		sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct tui_run *r = &m->run;

		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->trace, sizeof(r->trace), "%s", tm_txt(st, 1, "-"));
		snprintf(r->device, sizeof(r->device), "%s", tm_txt(st, 2, "-"));
		snprintf(r->layout, sizeof(r->layout), "%s", tm_txt(st, 3, "-"));
		snprintf(r->outcome, sizeof(r->outcome), "%s", tm_txt(st, 4, "-"));
		r->complete = sqlite3_column_int(st, 5);
		r->events = sqlite3_column_int64(st, 6);
		r->transactions = sqlite3_column_int64(st, 7);
		r->divergences = sqlite3_column_int64(st, 8);
		r->violations = sqlite3_column_int64(st, 9);
		tui_rings_free(m->rings);
		m->rings = tui_rings_new(m->db, r->id);
		tm_sanitize(r->trace);
		tm_sanitize(r->device);
		tm_sanitize(r->layout);
		tm_sanitize(r->outcome);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tm_db_error(m, cause, "runs");
	if (run == 0)
		return cause_set(cause, "%s: no runs stored", m->path);
	return cause_set(cause, "%s: no run %lld (virtio-replay runs %s lists the runs)", m->path, (long long)run,
	    m->path);
}

int tui_model_step_run(struct tui_model *m, int dir, char **cause)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int rc;

	if (sqlite3_prepare_v2(m->db, dir > 0 ? "SELECT min(id) FROM runs WHERE id > ?1" :
	    "SELECT max(id) FROM runs WHERE id < ?1", -1, &st, NULL) != SQLITE_OK)
		return tm_db_error(m, cause, "runs");
	sqlite3_bind_int64(st, 1, m->run.id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !tm_is_null(st, 0))
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return tm_db_error(m, cause, "runs");
	if (id == 0)
		return 0;
	if (load_run(m, id, cause) < 0)
		return -1;
	if (m->filter[TUI_VIEW_EVENTS])
		tui_rings_filter(m->rings, m->filter[TUI_VIEW_EVENTS]);
	for (int v = 0; v < TUI_VIEW_COUNT; v++)
		m->count[v] = -1;
	return 1;
}

struct tui_model *tui_model_open(const char *path, int64_t run, char **cause)
{
	struct tui_model *m;
	sqlite3 *db = (sqlite3 *)sink_sqlite_open_readonly(path, NULL, cause);

	if (db == NULL)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->db = db;
	/* the ranges a ring filter matches, in the connection's own temporary database */
	sqlite3_exec(db, TUI_RINGS_FILTER_TABLE, NULL, NULL, NULL);
	m->path = xstrdup(path);
	for (int v = 0; v < TUI_VIEW_COUNT; v++)
		m->count[v] = -1;
	if (load_run(m, run, cause) < 0) {
		tui_model_free(m);
		return NULL;
	}
	return m;
}

void tui_model_free(struct tui_model *m)
{
	if (m == NULL)
		return;
	for (int v = 0; v < TUI_VIEW_COUNT; v++) {
		for (int q = 0; q < Q_N; q++)
			sqlite3_finalize(m->q[v][q]);
		free(m->filter[v]);
	}
	tui_rings_free(m->rings);
	sqlite3_close(m->db);
	free(m->path);
	free(m);
}
