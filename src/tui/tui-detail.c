/* tui-detail.c -- the browser's detail pane (every table's rows about the selected row) and the bytes for its hex pane */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/cause.h"
#include "vr/tui-model.h"
#include "vr/tui-qstate.h"
#include "vr/tui-rings.h"
#include "vr/xmalloc.h"
#include "tui-model-int.h"

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
	tm_sanitize(s);
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
		sqlite3_stmt *st = tm_prep(m, sql[k], cause);
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
				tui_text_add(out, "  V #%lld %s queue %s desc %s addr %s: %s", tm_i64(st, 0), tm_txt(st, 1, "?"),
				    tm_optnum(st, 2), tm_optnum(st, 3), tm_hexval(st, 4), tm_txt(st, 5, ""));
				break;
			case 1:
				tui_text_add(out, "  D #%lld %s %s: expected %s produced %s", tm_i64(st, 0), tm_txt(st, 1, "?"),
				    tm_txt(st, 2, "-"), tm_hexval(st, 3), tm_hexval(st, 4));
				text_add_lines(out, "    ", tm_txt(st, 5, ""));
				break;
			case 2:
				tui_text_add(out, "  #%lld 0x%llx len %lld %s", tm_i64(st, 0), tm_u64(st, 1), tm_i64(st, 2),
				    tm_txt(st, 3, ""));
				break;
			case 3:
				if (sqlite3_column_int(st, 1))
					tui_text_add(out, "  #%lld msi-x vector %s msg 0x%llx/0x%llx %s", tm_i64(st, 0),
					    tm_optnum(st, 2), tm_u64(st, 5), tm_u64(st, 6), tm_txt(st, 7, ""));
				else
					tui_text_add(out, "  #%lld intx level %s isr %s %s", tm_i64(st, 0), tm_optnum(st, 3),
					    tm_hexval(st, 4), tm_txt(st, 7, ""));
				break;
			case 4:
				tui_text_add(out, "  #%lld %s", tm_i64(st, 0), tm_txt(st, 1, ""));
				break;
			default:
				tui_text_add(out, "  #%lld queue %lld %s %s %s %s (events %lld-%lld)", tm_i64(st, 0),
				    tm_i64(st, 1), tm_txt(st, 2, ""), tm_txt(st, 3, "-"), tm_txt(st, 4, ""), tm_txt(st, 5, "-"),
				    tm_i64(st, 6), tm_i64(st, 7));
				break;
			}
		}
		if (tm_done(m, st, rc, title[k], cause) < 0)
			return -1;
	}
	return 0;
}

static int detail_event(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = tm_prep(m, "SELECT e.event, e.sub, e.file_offset, e.vtime, e.kind, coalesce(k.name, '?'),"
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
		const char *kind = tm_txt(st, 5, "?");
		bool read = strstr(kind, "-read") != NULL;

		tui_text_add(out, "event %lld%s  (run %lld)", tm_i64(st, 0), tm_i64(st, 1) ? " sub-row" : "",
		    (long long)m->run.id);
		if (tm_i64(st, 1))
			tui_text_add(out, "sub        %lld (an access the device model made)", tm_i64(st, 1));
		tui_text_add(out, "offset     0x%llx (%lld)", tm_u64(st, 2), tm_i64(st, 2));
		tui_text_add(out, "vtime      %s ns", tm_optnum(st, 3));
		tui_text_add(out, "kind       %s (%lld)", kind, tm_i64(st, 4));
		tui_text_add(out, "space      %s", tm_optnum(st, 6));
		tui_text_add(out, "addr       %s", tm_hexval(st, 7));
		tui_text_add(out, "size       %s", tm_optnum(st, 8));
		tui_text_add(out, "register   %s", tm_txt(st, 11, "-"));
		tui_text_add(out, "value      %s%s", tm_hexval(st, 9), tm_is_null(st, 9) ? "" : read ? " (model)" : "");
		tui_text_add(out, "recorded   %s%s", tm_hexval(st, 10),
		    !tm_is_null(st, 9) && !tm_is_null(st, 10) && tm_i64(st, 9) != tm_i64(st, 10) ? "  MISMATCH" : "");
		tui_text_add(out, "payload    %s%s", tm_optnum(st, 12), tm_is_null(st, 12) ? "" : " bytes (hex pane)");
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "event %lld.%lld is not in run %lld", (long long)pos->a, (long long)pos->b,
		    (long long)m->run.id);
	}
	if (tm_done(m, st, rc, "events", cause) < 0)
		return -1;
	tui_text_add(out, "%s", "");
	return detail_event_related(m, event, out, cause);
}

/* Violations and divergences between two events (those of a transaction). */
static int detail_range_flags(struct tui_model *m, int64_t first, int64_t last, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = tm_prep(m, "SELECT 'V', id, event, name, detail FROM violations WHERE run = ?1"
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
		tui_text_add(out, "  %s #%lld event %lld %s %s", tm_txt(st, 0, "?"), tm_i64(st, 1), tm_i64(st, 2),
		    tm_txt(st, 3, "?"), tm_txt(st, 4, ""));
	}
	return tm_done(m, st, rc, "violations", cause);
}

/* The row of SQL with ?1 the run shown and ?2 id: sqlite3_step's code, or -1 with *cause (*st NULL). */
static int step_id(struct tui_model *m, const char *sql, int64_t id, sqlite3_stmt **st, char **cause)
{
	if ((*st = tm_prep(m, sql, cause)) == NULL)
		return -1;
	sqlite3_bind_int64(*st, 2, id);
	return sqlite3_step(*st);
}

static int detail_txn(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st;
	int64_t first = 0, last = -1;
	int rc, n = 0;

	if ((rc = step_id(m, "SELECT id, queue, queue_name, head, device, type, fields, status, bytes_out,"
	    " bytes_in, used_len, ndesc, first_event, last_event, latency_events FROM transactions"
	    " WHERE run = ?1 AND id = ?2", pos->a, &st, cause)) < 0)
		return -1;
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "transaction %lld  (run %lld)", tm_i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "queue      %lld %s", tm_i64(st, 1), tm_txt(st, 2, ""));
		tui_text_add(out, "head       %lld", tm_i64(st, 3));
		tui_text_add(out, "request    %s %s", tm_txt(st, 4, ""), tm_txt(st, 5, "-"));
		tui_text_add(out, "fields     %s", tm_txt(st, 6, "-"));
		tui_text_add(out, "status     %s", tm_txt(st, 7, "-"));
		tui_text_add(out, "bytes      out %lld, in %lld, used_len %lld", tm_i64(st, 8), tm_i64(st, 9), tm_i64(st, 10));
		tui_text_add(out, "events     %lld-%lld (latency %lld)", tm_i64(st, 12), tm_i64(st, 13), tm_i64(st, 14));
		first = tm_i64(st, 12);
		last = tm_i64(st, 13);
		tui_text_add(out, "descriptor chain (%lld):", tm_i64(st, 11));
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "transaction %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	if (tm_done(m, st, rc, "transactions", cause) < 0)
		return -1;
	if (last < first)
		return 0;

	if ((st = tm_prep(m, "SELECT seq, idx, addr, len, flags, next, indirect FROM descriptors"
	    " WHERE run = ?1 AND txn = ?2 ORDER BY seq", cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	tui_text_add(out, "    SEQ   IDX ADDR                      LEN FLAGS               NEXT");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long fl = tm_i64(st, 4);
		char flags[40];

		if (++n > MAX_DESC_LINES) {
			tui_text_add(out, "  ... more");
			break;
		}
		snprintf(flags, sizeof(flags), "%s%s%s%s", fl & 1 ? "NEXT " : "", fl & 2 ? "WRITE " : "",
		    fl & 4 ? "INDIRECT " : "", sqlite3_column_int(st, 6) ? "(in indirect)" : "");
		tui_text_add(out, "  %5lld %5lld 0x%016llx %10lld %-19s %5lld", tm_i64(st, 0), tm_i64(st, 1), tm_u64(st, 2),
		    tm_i64(st, 3), flags, tm_i64(st, 5));
	}
	if (tm_done(m, st, rc, "descriptors", cause) < 0)
		return -1;

	if ((st = tm_prep(m, "SELECT dir, len, length(bytes) FROM buffers WHERE run = ?1 AND txn = ?2 ORDER BY dir DESC",
	    cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, pos->a);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		tui_text_add(out, "buffer %-4s %lld bytes, %lld stored (hex pane)", tm_txt(st, 0, "?"), tm_i64(st, 1),
		    tm_is_null(st, 2) ? 0LL : tm_i64(st, 2));
	if (tm_done(m, st, rc, "buffers", cause) < 0)
		return -1;
	return detail_range_flags(m, first, last, out, cause);
}

static int detail_violation(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st;
	int64_t event = -1;
	int rc;

	if ((rc = step_id(m, "SELECT id, event, file_offset, name, queue, desc_index, addr, detail FROM violations"
	    " WHERE run = ?1 AND id = ?2", pos->a, &st, cause)) < 0)
		return -1;
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "violation %lld  (run %lld)", tm_i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "name       %s", tm_txt(st, 3, "?"));
		tui_text_add(out, "event      %lld (offset 0x%llx)", tm_i64(st, 1), tm_u64(st, 2));
		tui_text_add(out, "queue      %s", tm_optnum(st, 4));
		tui_text_add(out, "desc       %s", tm_optnum(st, 5));
		tui_text_add(out, "addr       %s", tm_hexval(st, 6));
		tui_text_add(out, "detail     %s", tm_txt(st, 7, ""));
		event = tm_i64(st, 1);
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "violation %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	if (tm_done(m, st, rc, "violations", cause) < 0)
		return -1;
	if (event < 0)
		return 0;
	tui_text_add(out, "%s", "");
	struct tui_pos ep = { event, 0 };
	return detail_event(m, &ep, out, cause);
}

static int detail_divergence(struct tui_model *m, const struct tui_pos *pos, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st;
	char diff[96];
	int rc;

	if ((rc = step_id(m, "SELECT id, event, file_offset, what, field, expected, produced,"
	    " substr(expected_bytes, 1, 65536), substr(produced_bytes, 1, 65536), length(expected_bytes),"
	    " length(produced_bytes), report FROM divergences WHERE run = ?1 AND id = ?2", pos->a, &st, cause)) < 0)
		return -1;
	if (rc == SQLITE_ROW) {
		tui_text_add(out, "divergence %lld  (run %lld)", tm_i64(st, 0), (long long)m->run.id);
		tui_text_add(out, "event      %lld (offset 0x%llx)", tm_i64(st, 1), tm_u64(st, 2));
		tui_text_add(out, "what       %s", tm_txt(st, 3, "?"));
		tui_text_add(out, "field      %s", tm_txt(st, 4, "-"));
		tui_text_add(out, "expected   %s", tm_hexval(st, 5));
		tui_text_add(out, "produced   %s", tm_hexval(st, 6));
		if (!tm_is_null(st, 9) || !tm_is_null(st, 10))
			tui_text_add(out, "bytes      expected %s, produced %s (hex pane)", tm_optnum(st, 9), tm_optnum(st, 10));
		tm_divergence_difference(st, 5, diff, sizeof(diff));
		tui_text_add(out, "difference %s", diff);
		tui_text_add(out, "report:");
		text_add_lines(out, "  ", tm_txt(st, 11, "(none)"));
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "divergence %lld is not in run %lld", (long long)pos->a, (long long)m->run.id);
	}
	return tm_done(m, st, rc, "divergences", cause);
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
	tm_sanitize(x->title);
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
		if (!tm_is_null(st, c + k))
			blob_add(out, budget, st, c + k, sqlite3_column_bytes(st, c + k), "%s%s (%d bytes)", name, side[k],
			    sqlite3_column_bytes(st, c + k));
	if (out->n == first + 2)
		tui_blobs_pair(out, first);
}

static int bytes_event(struct tui_model *m, int64_t event, int64_t sub, struct tui_blobs *out, size_t *budget,
    char **cause)
{
	sqlite3_stmt *st = tm_prep(m, "SELECT len, bytes FROM events WHERE run = ?1 AND event = ?2 AND sub = ?3"
	    " AND bytes IS NOT NULL", cause);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int64(st, 3, sub);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		blob_add(out, budget, st, 1, tm_i64(st, 0), "event %lld payload (%lld bytes)", (long long)event, tm_i64(st, 0));
	if (tm_done(m, st, rc, "events", cause) < 0)
		return -1;
	if (sub != 0 || *budget == 0)
		return 0;
	/* what the device produced instead, side by side with the recording above */
	if ((st = tm_prep(m, "SELECT id, expected_bytes, produced_bytes FROM divergences WHERE run = ?1 AND event = ?2"
	    " AND (expected_bytes IS NOT NULL OR produced_bytes IS NOT NULL) ORDER BY +id LIMIT 4", cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		blob_add_divergence(out, budget, st, 1, tm_i64(st, 0));
	if (tm_done(m, st, rc, "divergences", cause) < 0)
		return -1;
	if ((st = tm_prep(m, "SELECT id, addr, len, what, bytes FROM dma WHERE run = ?1 AND event = ?2 ORDER BY +id LIMIT ?3",
	    cause)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int(st, 3, MAX_DMA_BLOBS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!blob_add(out, budget, st, 4, tm_i64(st, 2), "dma #%lld %s 0x%llx (%lld bytes)", tm_i64(st, 0),
		    tm_txt(st, 3, ""), tm_u64(st, 1), tm_i64(st, 2)))
			break;
	return tm_done(m, st, rc, "dma", cause);
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
		if ((st = tm_prep(m, "SELECT dir, len, bytes FROM buffers WHERE run = ?1 AND txn = ?2 ORDER BY dir DESC",
		    cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			blob_add(out, &budget, st, 2, tm_i64(st, 1), "%s buffer (%lld bytes)",
			    strcmp(tm_txt(st, 0, ""), "out") == 0 ? "OUT" : "IN", tm_i64(st, 1));
		return tm_done(m, st, rc, "buffers", cause);
	case TUI_VIEW_VIOLATIONS:
		if ((st = tm_prep(m, "SELECT event FROM violations WHERE run = ?1 AND id = ?2", cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		rc = sqlite3_step(st);
		int64_t event = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		if (tm_done(m, st, rc, "violations", cause) < 0)
			return -1;
		return event < 0 ? 0 : bytes_event(m, event, 0, out, &budget, cause);
	case TUI_VIEW_DIVERGENCES:
		if ((st = tm_prep(m, "SELECT expected_bytes, produced_bytes FROM divergences WHERE run = ?1 AND id = ?2",
		    cause)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 2, pos->a);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			blob_add_divergence(out, &budget, st, 0, 0);
		return tm_done(m, st, rc, "divergences", cause);
	default:
		return 0;
	}
}
