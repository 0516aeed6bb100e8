/* tui-model.c -- the browser's queries: keyset-paged lists, search, goto, detail text and bytes of a row */
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

#define BLOB_BUDGET	(8u << 20)	/* bytes the hex pane loads for one row */
#define MAX_DMA_BLOBS	64
#define MAX_RELATED	32	/* rows of each related table listed in a detail */
#define MAX_DESC_LINES	1100	/* a chain is at most 1024 descriptors plus an indirect table head */
/*
 * A transaction completed at event E is found through the index on
 * first_event, among those taken at most this many events before E.
 */
#define TXN_LOOKBACK	16384

enum q {
	Q_FWD, Q_BACK, Q_COUNT, Q_SEARCH_FWD, Q_SEARCH_BACK, Q_GOTO,
	Q_N
};

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

struct tui_model {
	sqlite3 *db;
	char *path;
	struct tui_run run;
	sqlite3_stmt *q[TUI_VIEW_COUNT][Q_N];
	char *filter[TUI_VIEW_COUNT];
	int64_t count[TUI_VIEW_COUNT];	/* -1: not counted under the current filter */
	struct tui_rings *rings;	/* names of ring addresses, for the run shown */
};

#define SEP	"\x1f"	/* TUI_COL_SEP in a format string */

/* Database strings go to a terminal: keep printable ASCII only (and sep, a column separator, if not 0). */
static void sanitize_keep(char *s, int sep)
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

static void sanitize(char *s)
{
	sanitize_keep(s, 0);
}

static bool is_null(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL;
}

static long long i64(sqlite3_stmt *st, int c)
{
	return (long long)sqlite3_column_int64(st, c);
}

static unsigned long long u64(sqlite3_stmt *st, int c)
{
	return (unsigned long long)sqlite3_column_int64(st, c);
}

static const char *txt(sqlite3_stmt *st, int c, const char *dflt)
{
	const unsigned char *t = sqlite3_column_text(st, c);

	return t ? (const char *)t : dflt;
}

/* A string for a list cell: cut and made printable, so it cannot split the row's columns. */
static const char *ctxt(sqlite3_stmt *st, int c, const char *dflt)
{
	static char b[8][TUI_ROW_TEXT];
	static int k;
	char *r = b[k++ & 7];

	snprintf(r, TUI_ROW_TEXT, "%s", txt(st, c, dflt));
	sanitize(r);
	return r;
}

/* "0x1f" or "-" for NULL, into one of a few rotating buffers. */
static const char *hexval(sqlite3_stmt *st, int c)
{
	static char b[4][24];
	static int k;
	char *r = b[k++ & 3];

	if (is_null(st, c))
		return "-";
	snprintf(r, 24, "0x%llx", u64(st, c));
	return r;
}

static const char *optnum(sqlite3_stmt *st, int c)
{
	static char b[4][24];
	static int k;
	char *r = b[k++ & 3];

	if (is_null(st, c))
		return "-";
	snprintf(r, 24, "%lld", i64(st, c));
	return r;
}

static char mark_of(sqlite3_stmt *st, int cv, int cd)
{
	int v = sqlite3_column_int(st, cv), d = sqlite3_column_int(st, cd);

	return v && d ? TUI_MARK_BOTH : v ? TUI_MARK_VIOLATION : d ? TUI_MARK_DIVERGENCE : TUI_MARK_NONE;
}

static bool starts(const char *s, const char *prefix)
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
	const char *kind = ctxt(st, 5, "?");

	if (i64(st, 1))
		snprintf(ev, sizeof(ev), "%lld.%lld", i64(st, 0), i64(st, 1));
	else
		snprintf(ev, sizeof(ev), "%lld", i64(st, 0));
	if (!is_null(st, 6))
		snprintf(where, sizeof(where), "%s", ctxt(st, 6, ""));
	else if (starts(kind, "cfg-") || starts(kind, "model-cfg-"))
		snprintf(where, sizeof(where), "cfg+0x%llx", u64(st, 8));
	else if (starts(kind, "bar-") || starts(kind, "model-bar-"))
		snprintf(where, sizeof(where), "bar%lld+0x%llx", i64(st, 7), u64(st, 8));
	else if (!is_null(st, 15))
		snprintf(where, sizeof(where), "\"%s\"", ctxt(st, 15, ""));
	else if (!is_null(st, 16))	/* a device write the store named */
		snprintf(where, sizeof(where), "%s 0x%llx [%lld]", ctxt(st, 16, ""), u64(st, 8), i64(st, 12));
	else if (!is_null(st, 12) && tui_rings_name(m->rings, i64(st, 0), u64(st, 8), u64(st, 12), ring, sizeof(ring)))
		snprintf(where, sizeof(where), "%s 0x%llx [%lld]", ring, u64(st, 8), i64(st, 12));
	else if (!is_null(st, 12))
		snprintf(where, sizeof(where), "0x%llx [%lld]", u64(st, 8), i64(st, 12));
	else if (u64(st, 8))
		snprintf(where, sizeof(where), "0x%llx", u64(st, 8));
	else
		where[0] = '\0';
	/* a read whose model value differs from the recording is flagged with '!' */
	snprintf(rec, sizeof(rec), "%s%s",
	    !is_null(st, 10) && !is_null(st, 11) && i64(st, 10) != i64(st, 11) ? "!" : "", hexval(st, 11));
	snprintf(r->text, sizeof(r->text), "%s" SEP "%llx" SEP "%s" SEP "%s" SEP "%s" SEP "%s" SEP "%s",
	    ev, u64(st, 3), optnum(st, 4), kind, where, hexval(st, 10), rec);
	r->mark = mark_of(st, 13, 14);
}

/*
 * transactions: 3 queue, 4 name, 5 head, 6 type, 7 fields, 8 status, 9 out, 10 in, 11 ndesc, 12 first, 13 last,
 * 14 v, 15 d, 16 latency in events
 */
static void format_txn(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	(void)m;
	char q[48], evs[48];

	snprintf(q, sizeof(q), "%lld %s", i64(st, 3), ctxt(st, 4, ""));
	snprintf(evs, sizeof(evs), "%lld-%lld", i64(st, 12), i64(st, 13));
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%s" SEP "%lld" SEP "%s" SEP "%s" SEP "%s" SEP "%lld" SEP "%lld"
	    SEP "%lld" SEP "%lld" SEP "%s",
	    i64(st, 0), q, i64(st, 5), ctxt(st, 6, "-"), ctxt(st, 7, ""), ctxt(st, 8, "-"),
	    i64(st, 9), i64(st, 10), i64(st, 11), i64(st, 16), evs);
	r->mark = mark_of(st, 14, 15);
}

/* violations: 3 offset, 4 name, 5 queue, 6 desc, 7 addr, 8 detail */
static void format_violation(struct tui_model *m, sqlite3_stmt *st, struct tui_row *r)
{
	(void)m;
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%lld" SEP "%llx" SEP "%s" SEP "%s" SEP "%s" SEP "%s" SEP "%s",
	    i64(st, 0), i64(st, 2), u64(st, 3), ctxt(st, 4, "?"), optnum(st, 5), optnum(st, 6),
	    hexval(st, 7), ctxt(st, 8, ""));
	r->mark = TUI_MARK_VIOLATION;
}

/*
 * What differs, expected -> produced: for bytes the first differing offset
 * (or both addresses, when the device wrote elsewhere), else the values.
 * The byte columns hold at most 64 KiB of each side.
 */
static void divergence_difference(sqlite3_stmt *st, int c, char *out, size_t n)
{
	const uint8_t *e = sqlite3_column_blob(st, c + 2), *p = sqlite3_column_blob(st, c + 3);
	size_t ne = (size_t)sqlite3_column_bytes(st, c + 2), np = (size_t)sqlite3_column_bytes(st, c + 3);
	long long le = i64(st, c + 4), lp = i64(st, c + 5);
	int64_t at;

	if (is_null(st, c + 2) || is_null(st, c + 3)) {
		snprintf(out, n, "%s -> %s", hexval(st, c), hexval(st, c + 1));
		return;
	}
	if (!is_null(st, c) && !is_null(st, c + 1) && i64(st, c) != i64(st, c + 1)) {
		snprintf(out, n, "addr %s -> %s (%lld -> %lld bytes)", hexval(st, c), hexval(st, c + 1), le, lp);
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

	divergence_difference(st, 6, diff, sizeof(diff));
	snprintf(r->text, sizeof(r->text), "%lld" SEP "%lld" SEP "%llx" SEP "%s" SEP "%s" SEP "%s",
	    i64(st, 0), i64(st, 2), u64(st, 3), ctxt(st, 4, "?"), ctxt(st, 5, "-"), diff);
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

static int db_error(struct tui_model *m, char **cause, const char *what)
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
			db_error(m, cause, "prepare");
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
		sanitize_keep(r->text, TUI_COL_SEP);
	}
	if (k < n && rc != SQLITE_DONE) {
		db_error(m, cause, views[v].name);
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
		db_error(m, cause, "count");
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
	return db_error(m, cause, "search");
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

static sqlite3_stmt *prep(struct tui_model *m, const char *sql, char **cause)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(m, cause, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, m->run.id);
	return st;
}

/* Finalize st; -1 with *cause if its last step was an error. */
static int done(struct tui_model *m, sqlite3_stmt *st, int rc, const char *what, char **cause)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(m, cause, what);
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
	if ((st = prep(m, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*event_out = sqlite3_column_int64(st, 0);
		if (id_out)
			*id_out = sqlite3_column_int64(st, 1);
		found = 1;
	}
	if (done(m, st, rc, table, cause) < 0)
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
	if ((st = prep(m, "SELECT first_event, last_event FROM transactions WHERE run = ?1"
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
	return done(m, st, rc, "transactions", cause);
}

void tui_text_clear(struct tui_text *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	free(t->line);
	t->line = NULL;
	t->n = t->cap = 0;
}

static void text_push(struct tui_text *t, char *s)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->line = xreallocarray(t->line, t->cap, sizeof(*t->line));
	}
	sanitize(s);
	t->line[t->n++] = s;
}

void tui_text_add(struct tui_text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = xstrdup("?");
	va_end(ap);
	text_push(t, s);
}

/* Multi-line text (a divergence report), one pane line per text line. */
static void text_add_lines(struct tui_text *t, const char *indent, const char *s)
{
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		tui_text_add(t, "%s%.*s", indent, (int)n, s);
		s += n + (nl != NULL);
	}
}

/*
 * The rows at one event in dma, interrupts and notes, and the transactions it
 * took or completed. "ORDER BY +id": ordering by the bare column lets SQLite
 * pick the UNIQUE (run, id) index and walk the whole run instead of the
 * by-event index.
 */
static int detail_event_related(struct tui_model *m, int64_t event, struct tui_text *out, char **cause)
{
	static const char *const sql[] = {
		"SELECT id, name, queue, desc_index, addr, detail FROM violations WHERE run = ?1 AND event = ?2"
		" ORDER BY +id LIMIT 33",
		"SELECT id, what, field, expected, produced, report FROM divergences WHERE run = ?1 AND event = ?2"
		" ORDER BY +id LIMIT 33",
		"SELECT id, addr, len, what FROM dma WHERE run = ?1 AND event = ?2 ORDER BY +id LIMIT 33",
		"SELECT id, msix, vector, level, isr, msg_addr, msg_data, cause FROM interrupts"
		" WHERE run = ?1 AND event = ?2 ORDER BY +id LIMIT 33",
		"SELECT id, text FROM notes WHERE run = ?1 AND event = ?2 ORDER BY +id LIMIT 33",
		"SELECT id, queue, queue_name, type, fields, status, first_event, last_event FROM transactions"
		" WHERE run = ?1 AND first_event BETWEEN ?3 AND ?2 AND (first_event = ?2 OR last_event = ?2)"
		" ORDER BY +id LIMIT 33",
	};
	static const char *const title[] = {
		"violations", "divergences", "device writes (dma)", "interrupts", "notes", "transactions",
	};

	for (size_t k = 0; k < sizeof(sql) / sizeof(sql[0]); k++) {
		sqlite3_stmt *st = prep(m, sql[k], cause);
		int rc, n = 0;

		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, event);
		if (sqlite3_bind_parameter_count(st) >= 3)
			sqlite3_bind_int64(st, 3, event > INT64_MIN + TXN_LOOKBACK ? event - TXN_LOOKBACK : INT64_MIN);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n++ == 0)
				tui_text_add(out, "%s at this event:", title[k]);
			if (n > MAX_RELATED) {
				tui_text_add(out, "  ... more");
				break;
			}
			switch (k) {
			case 0:
				tui_text_add(out, "  V #%lld %s queue %s desc %s addr %s: %s", i64(st, 0), txt(st, 1, "?"),
				    optnum(st, 2), optnum(st, 3), hexval(st, 4), txt(st, 5, ""));
				break;
			case 1:
				tui_text_add(out, "  D #%lld %s %s: expected %s produced %s", i64(st, 0), txt(st, 1, "?"),
				    txt(st, 2, "-"), hexval(st, 3), hexval(st, 4));
				text_add_lines(out, "    ", txt(st, 5, ""));
				break;
			case 2:
				tui_text_add(out, "  #%lld 0x%llx len %lld %s", i64(st, 0), u64(st, 1), i64(st, 2),
				    txt(st, 3, ""));
				break;
			case 3:
				if (sqlite3_column_int(st, 1))
					tui_text_add(out, "  #%lld msi-x vector %s msg 0x%llx/0x%llx %s", i64(st, 0),
					    optnum(st, 2), u64(st, 5), u64(st, 6), txt(st, 7, ""));
				else
					tui_text_add(out, "  #%lld intx level %s isr %s %s", i64(st, 0), optnum(st, 3),
					    hexval(st, 4), txt(st, 7, ""));
				break;
			case 4:
				tui_text_add(out, "  #%lld %s", i64(st, 0), txt(st, 1, ""));
				break;
			default:
				tui_text_add(out, "  #%lld queue %lld %s %s %s %s (events %lld-%lld)", i64(st, 0),
				    i64(st, 1), txt(st, 2, ""), txt(st, 3, "-"), txt(st, 4, ""), txt(st, 5, "-"),
				    i64(st, 6), i64(st, 7));
				break;
			}
		}
		if (done(m, st, rc, title[k], cause) < 0)
			return -1;
	}
	return 0;
}

static int detail_event(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT e.event, e.sub, e.file_offset, e.vtime, e.kind, coalesce(k.name, '?'),"
	    " e.space, e.addr, e.size, e.value, e.recorded, r.name, e.len FROM events e"
	    " LEFT JOIN event_kinds k ON k.code = e.kind LEFT JOIN registers r ON r.id = e.reg"
	    " WHERE e.run = ?1 AND e.event = ?2 AND e.sub = ?3", cause);
	int rc;
	int64_t event = pos->a;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	sqlite3_bind_int64(st, 3, pos->b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *kind = txt(st, 5, "?");
		bool read = strstr(kind, "-read") != NULL;

		tui_text_add(out, "event %lld%s  (run %lld)", i64(st, 0), i64(st, 1) ? " sub-row" : "",
		    (long long)m->run.id);
		if (i64(st, 1))
			tui_text_add(out, "sub        %lld (an access the device model made)", i64(st, 1));
		tui_text_add(out, "offset     0x%llx (%lld)", u64(st, 2), i64(st, 2));
		tui_text_add(out, "vtime      %s ns", optnum(st, 3));
		tui_text_add(out, "kind       %s (%lld)", kind, i64(st, 4));
		tui_text_add(out, "space      %s", optnum(st, 6));
		tui_text_add(out, "addr       %s", hexval(st, 7));
		tui_text_add(out, "size       %s", optnum(st, 8));
		tui_text_add(out, "register   %s", txt(st, 11, "-"));
		tui_text_add(out, "value      %s%s", hexval(st, 9), is_null(st, 9) ? "" : read ? " (model)" : "");
		tui_text_add(out, "recorded   %s%s", hexval(st, 10),
		    !is_null(st, 9) && !is_null(st, 10) && i64(st, 9) != i64(st, 10) ? "  MISMATCH" : "");
		tui_text_add(out, "payload    %s%s", optnum(st, 12), is_null(st, 12) ? "" : " bytes (hex pane)");
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "event %lld.%lld is not in run %lld", (long long)pos->a, (long long)pos->b,
		    (long long)m->run.id);
	}
	if (done(m, st, rc, "events", cause) < 0)
		return -1;
	tui_text_add(out, "%s", "");
	return detail_event_related(m, event, out, cause);
}

/* Violations and divergences between two events (those of a transaction). */
static int detail_range_flags(struct tui_model *m, int64_t first, int64_t last, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT 'V', id, event, name, detail FROM violations WHERE run = ?1"
	    " AND event BETWEEN ?2 AND ?3 UNION ALL SELECT 'D', id, event, what, field FROM divergences"
	    " WHERE run = ?1 AND event BETWEEN ?2 AND ?3 ORDER BY 3, 1, 2 LIMIT 33", cause);
	int rc, n = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0)
			tui_text_add(out, "violations and divergences during the transaction:");
		if (n > MAX_RELATED) {
			tui_text_add(out, "  ... more");
			break;
		}
		tui_text_add(out, "  %s #%lld event %lld %s %s", txt(st, 0, "?"), i64(st, 1), i64(st, 2),
		    txt(st, 3, "?"), txt(st, 4, ""));
	}
	return done(m, st, rc, "violations", cause);
}

static int detail_txn(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT id, queue, queue_name, head, device, type, fields, status, bytes_out,"
	    " bytes_in, used_len, ndesc, first_event, last_event, latency_events FROM transactions"
	    " WHERE run = ?1 AND id = ?2", cause);
	int64_t first = 0, last = -1;
	int rc, n = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "transaction %lld  (run %lld)", i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "queue      %lld %s", i64(st, 1), txt(st, 2, ""));
		tui_text_add(out, "head       %lld", i64(st, 3));
		tui_text_add(out, "request    %s %s", txt(st, 4, ""), txt(st, 5, "-"));
		tui_text_add(out, "fields     %s", txt(st, 6, "-"));
		tui_text_add(out, "status     %s", txt(st, 7, "-"));
		tui_text_add(out, "bytes      out %lld, in %lld, used_len %lld", i64(st, 8), i64(st, 9), i64(st, 10));
		tui_text_add(out, "events     %lld-%lld (latency %lld)", i64(st, 12), i64(st, 13), i64(st, 14));
		first = i64(st, 12);
		last = i64(st, 13);
		tui_text_add(out, "descriptor chain (%lld):", i64(st, 11));
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "transaction %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	if (done(m, st, rc, "transactions", cause) < 0)
		return -1;
	if (last < first)
		return 0;

	if ((st = prep(m, "SELECT seq, idx, addr, len, flags, next, indirect FROM descriptors"
	    " WHERE run = ?1 AND txn = ?2 ORDER BY seq", cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	tui_text_add(out, "    SEQ   IDX ADDR                      LEN FLAGS               NEXT");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long fl = i64(st, 4);
		char flags[40];

		if (++n > MAX_DESC_LINES) {
			tui_text_add(out, "  ... more");
			break;
		}
		snprintf(flags, sizeof(flags), "%s%s%s%s", fl & 1 ? "NEXT " : "", fl & 2 ? "WRITE " : "",
		    fl & 4 ? "INDIRECT " : "", sqlite3_column_int(st, 6) ? "(in indirect)" : "");
		tui_text_add(out, "  %5lld %5lld 0x%016llx %10lld %-19s %5lld", i64(st, 0), i64(st, 1), u64(st, 2),
		    i64(st, 3), flags, i64(st, 5));
	}
	if (done(m, st, rc, "descriptors", cause) < 0)
		return -1;

	if ((st = prep(m, "SELECT dir, len, length(bytes) FROM buffers WHERE run = ?1 AND txn = ?2 ORDER BY dir DESC",
	    cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		tui_text_add(out, "buffer %-4s %lld bytes, %lld stored (hex pane)", txt(st, 0, "?"), i64(st, 1),
		    is_null(st, 2) ? 0LL : i64(st, 2));
	if (done(m, st, rc, "buffers", cause) < 0)
		return -1;
	return detail_range_flags(m, first, last, out, cause);
}

static int detail_violation(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT id, event, file_offset, name, queue, desc_index, addr, detail FROM violations"
	    " WHERE run = ?1 AND id = ?2", cause);
	int64_t event = -1;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "violation %lld  (run %lld)", i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "name       %s", txt(st, 3, "?"));
		tui_text_add(out, "event      %lld (offset 0x%llx)", i64(st, 1), u64(st, 2));
		tui_text_add(out, "queue      %s", optnum(st, 4));
		tui_text_add(out, "desc       %s", optnum(st, 5));
		tui_text_add(out, "addr       %s", hexval(st, 6));
		tui_text_add(out, "detail     %s", txt(st, 7, ""));
		event = i64(st, 1);
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "violation %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	if (done(m, st, rc, "violations", cause) < 0)
		return -1;
	if (event < 0)
		return 0;
	tui_text_add(out, "%s", "");
	struct tui_pos ep = { event, 0 };
	return detail_event(m, &ep, out, cause);
}

static int detail_divergence(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT id, event, file_offset, what, field, expected, produced,"
	    " substr(expected_bytes, 1, 65536), substr(produced_bytes, 1, 65536), length(expected_bytes),"
	    " length(produced_bytes), report FROM divergences WHERE run = ?1 AND id = ?2", cause);
	char diff[96];
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "divergence %lld  (run %lld)", i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "event      %lld (offset 0x%llx)", i64(st, 1), u64(st, 2));
		tui_text_add(out, "what       %s", txt(st, 3, "?"));
		tui_text_add(out, "field      %s", txt(st, 4, "-"));
		tui_text_add(out, "expected   %s", hexval(st, 5));
		tui_text_add(out, "produced   %s", hexval(st, 6));
		if (!is_null(st, 9) || !is_null(st, 10))
			tui_text_add(out, "bytes      expected %s, produced %s (hex pane)", optnum(st, 9), optnum(st, 10));
		divergence_difference(st, 5, diff, sizeof(diff));
		tui_text_add(out, "difference %s", diff);
		tui_text_add(out, "report:");
		text_add_lines(out, "  ", txt(st, 11, "(none)"));
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "divergence %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	return done(m, st, rc, "divergences", cause);
}

int tui_model_qstate(struct tui_model *m, int64_t event, struct tui_text *out, char **cause)
{
	return tui_qstate(m->db, m->path, m->run.id, m->rings, event, out, cause);
}

int tui_model_detail(struct tui_model *m, enum tui_view v, const struct tui_pos *pos, struct tui_text *out,
    char **cause)
{
	static int (*const fn[TUI_VIEW_COUNT])(struct tui_model *, const struct tui_pos *, struct tui_text *,
	    char **) = {
		[TUI_VIEW_EVENTS] = detail_event,
		[TUI_VIEW_TXNS] = detail_txn,
		[TUI_VIEW_VIOLATIONS] = detail_violation,
		[TUI_VIEW_DIVERGENCES] = detail_divergence,
	};

	tui_text_clear(out);
	if (v >= TUI_VIEW_COUNT || pos == NULL)
		return 0;
	return fn[v](m, pos, out, cause);
}

/* Add a blob from column c (bytes) of st; false once the budget is spent. */
static bool blob_add(struct tui_blobs *b, size_t *budget, sqlite3_stmt *st, int c, int64_t len, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static bool blob_add(struct tui_blobs *b, size_t *budget, sqlite3_stmt *st, int c, int64_t len, const char *fmt, ...)
{
	const void *p = sqlite3_column_blob(st, c);
	size_t n = (size_t)sqlite3_column_bytes(st, c);
	struct tui_blob *x;
	va_list ap;

	if (n > *budget)
		n = *budget;
	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	x = &b->v[b->n++];
	memset(x, 0, sizeof(*x));
	va_start(ap, fmt);
	vsnprintf(x->title, sizeof(x->title), fmt, ap);
	va_end(ap);
	sanitize(x->title);
	if (p && n) {
		x->bytes = xmalloc(n);
		memcpy(x->bytes, p, n);
		x->shown = n;
	}
	x->len = len < (int64_t)x->shown ? (int64_t)x->shown : len;
	*budget -= n;
	return *budget > 0;
}

/*
 * A divergence's expected (column c) and produced (c + 1) bytes, as a pair
 * dumped side by side when both are there; id > 0 names the divergence.
 */
static void blob_add_divergence(struct tui_blobs *out, size_t *budget, sqlite3_stmt *st, int c, long long id)
{
	static const char *const side[2] = { "expected", "produced" };
	char name[48] = "";
	size_t first = out->n;

	if (id > 0)
		snprintf(name, sizeof(name), "divergence #%lld ", id);
	for (int k = 0; k < 2; k++)
		if (!is_null(st, c + k))
			blob_add(out, budget, st, c + k, sqlite3_column_bytes(st, c + k), "%s%s (%d bytes)", name, side[k],
			    sqlite3_column_bytes(st, c + k));
	if (out->n == first + 2)
		tui_blobs_pair(out, first);
}

static int bytes_event(struct tui_model *m, int64_t event, int64_t sub, struct tui_blobs *out, size_t *budget,
    char **cause)
{
	sqlite3_stmt *st = prep(m, "SELECT len, bytes FROM events WHERE run = ?1 AND event = ?2 AND sub = ?3"
	    " AND bytes IS NOT NULL", cause);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int64(st, 3, sub);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		blob_add(out, budget, st, 1, i64(st, 0), "event %lld payload (%lld bytes)", (long long)event, i64(st, 0));
	if (done(m, st, rc, "events", cause) < 0)
		return -1;
	if (sub != 0 || *budget == 0)
		return 0;
	/* what the device produced instead, side by side with the recording above */
	if ((st = prep(m, "SELECT id, expected_bytes, produced_bytes FROM divergences WHERE run = ?1 AND event = ?2"
	    " AND (expected_bytes IS NOT NULL OR produced_bytes IS NOT NULL) ORDER BY +id LIMIT 4", cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		blob_add_divergence(out, budget, st, 1, i64(st, 0));
	if (done(m, st, rc, "divergences", cause) < 0)
		return -1;
	if ((st = prep(m, "SELECT id, addr, len, what, bytes FROM dma WHERE run = ?1 AND event = ?2 ORDER BY +id LIMIT ?3",
	    cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int(st, 3, MAX_DMA_BLOBS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!blob_add(out, budget, st, 4, i64(st, 2), "dma #%lld %s 0x%llx (%lld bytes)", i64(st, 0),
		    txt(st, 3, ""), u64(st, 1), i64(st, 2)))
			break;
	return done(m, st, rc, "dma", cause);
}

int tui_model_bytes(struct tui_model *m, enum tui_view v, const struct tui_pos *pos, struct tui_blobs *out,
    char **cause)
{
	size_t budget = BLOB_BUDGET;
	sqlite3_stmt *st;
	int rc;

	tui_blobs_clear(out);
	if (pos == NULL)
		return 0;
	switch (v) {
	case TUI_VIEW_EVENTS:
		return bytes_event(m, pos->a, pos->b, out, &budget, cause);
	case TUI_VIEW_TXNS:
		if ((st = prep(m, "SELECT dir, len, bytes FROM buffers WHERE run = ?1 AND txn = ?2 ORDER BY dir DESC",
		    cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			blob_add(out, &budget, st, 2, i64(st, 1), "%s buffer (%lld bytes)",
			    strcmp(txt(st, 0, ""), "out") == 0 ? "OUT" : "IN", i64(st, 1));
		return done(m, st, rc, "buffers", cause);
	case TUI_VIEW_VIOLATIONS:
		if ((st = prep(m, "SELECT event FROM violations WHERE run = ?1 AND id = ?2", cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		rc = sqlite3_step(st);
		int64_t event = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		if (done(m, st, rc, "violations", cause) < 0)
			return -1;
		return event < 0 ? 0 : bytes_event(m, event, 0, out, &budget, cause);
	case TUI_VIEW_DIVERGENCES:
		if ((st = prep(m, "SELECT expected_bytes, produced_bytes FROM divergences WHERE run = ?1 AND id = ?2",
		    cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			blob_add_divergence(out, &budget, st, 0, 0);
		return done(m, st, rc, "divergences", cause);
	default:
		return 0;
	}
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
		db_error(m, cause, "runs");
		return -1;
	}
	if (run)
		sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct tui_run *r = &m->run;

		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->trace, sizeof(r->trace), "%s", txt(st, 1, "-"));
		snprintf(r->device, sizeof(r->device), "%s", txt(st, 2, "-"));
		snprintf(r->layout, sizeof(r->layout), "%s", txt(st, 3, "-"));
		snprintf(r->outcome, sizeof(r->outcome), "%s", txt(st, 4, "-"));
		r->complete = sqlite3_column_int(st, 5);
		r->events = sqlite3_column_int64(st, 6);
		r->transactions = sqlite3_column_int64(st, 7);
		r->divergences = sqlite3_column_int64(st, 8);
		r->violations = sqlite3_column_int64(st, 9);
		tui_rings_free(m->rings);
		m->rings = tui_rings_new(m->db, r->id);
		sanitize(r->trace);
		sanitize(r->device);
		sanitize(r->layout);
		sanitize(r->outcome);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(m, cause, "runs");
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
		return db_error(m, cause, "runs");
	sqlite3_bind_int64(st, 1, m->run.id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && !is_null(st, 0))
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_error(m, cause, "runs");
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
