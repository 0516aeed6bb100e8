/* perfetto.c -- a replay run as Chrome/Perfetto trace-event JSON: queues as tracks, requests as slices, instants */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/perfetto.h"
#include "vr/sink-sqlite.h"
#include "vr/xmalloc.h"

/* Tracks (thread ids) of the instants; queue q's request tracks are QUEUE_TID(q) + lane. */
enum { TID_IRQ = 1, TID_VIOLATIONS, TID_DIVERGENCES };
#define QUEUE_TID(q)	(((int64_t)(q) + 1) * 10000)
#define MAX_LANES	9999

/* One queue: the end of the last slice on each of its tracks, and requests in flight. */
struct queue {
	int64_t q;
	char name[64];
	int64_t *lane_end;
	size_t nlanes;
	int64_t *ends;		/* ends of the requests in flight, a min-heap */
	size_t nends, cap;
};

struct writer {
	sqlite3 *db;
	const char *path;
	int64_t run;
	FILE *out;
	struct buf b;
	bool first;
	struct queue *qs;
	size_t nqs;
};

/* Printable ASCII only: the JSON stays valid UTF-8 whatever bytes the database holds. */
static void json_str(struct buf *b, const unsigned char *s)
{
	char tmp[512];
	size_t i = 0;

	for (; s && s[i] && i + 1 < sizeof(tmp); i++)
		tmp[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	tmp[i] = '\0';
	buf_add_json_string(b, tmp);
}

/* Start one trace event object; the caller adds its fields and closes it with end_event. */
static void begin_event(struct writer *w, const char *ph, int64_t tid, int64_t ts)
{
	buf_printf(&w->b, "%s\n{\"ph\":\"%s\",\"pid\":%" PRId64 ",\"tid\":%" PRId64 ",\"ts\":%" PRId64,
	    w->first ? "" : ",", ph, w->run, tid, ts);
	w->first = false;
}

static int end_event(struct writer *w, char **cause)
{
	buf_add(&w->b, "}", 1);
	if (w->b.len < 65536)
		return 0;
	if (fwrite(w->b.data, 1, w->b.len, w->out) != w->b.len)
		return cause_set(cause, "write error");
	buf_reset(&w->b);
	return 0;
}

static int meta(struct writer *w, const char *what, int64_t tid, const char *name, char **cause)
{
	begin_event(w, "M", tid, 0);
	buf_printf(&w->b, ",\"name\":\"%s\",\"args\":{\"name\":", what);
	json_str(&w->b, (const unsigned char *)name);
	buf_add(&w->b, "}", 1);
	if (end_event(w, cause) < 0)
		return -1;
	begin_event(w, "M", tid, 0);
	buf_printf(&w->b, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%" PRId64 "}", tid);
	return end_event(w, cause);
}

static int db_err(struct writer *w, const char *what, char **cause)
{
	return cause_set(cause, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
}

static sqlite3_stmt *prep(struct writer *w, const char *sql, char **cause)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(w, "prepare", cause);
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, w->run);
	return st;
}

static struct queue *queue_of(struct writer *w, int64_t q, const unsigned char *name)
{
	for (size_t i = 0; i < w->nqs; i++)
		if (w->qs[i].q == q)
			return &w->qs[i];
	w->qs = xreallocarray(w->qs, w->nqs + 1, sizeof(*w->qs));
	struct queue *x = &w->qs[w->nqs++];
	memset(x, 0, sizeof(*x));
	x->q = q;
	snprintf(x->name, sizeof(x->name), "%s", name ? (const char *)name : "");
	return x;
}

static void heap_push(struct queue *x, int64_t v)
{
	size_t i;

	if (x->nends == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->ends = xreallocarray(x->ends, x->cap, sizeof(*x->ends));
	}
	for (i = x->nends++; i > 0 && x->ends[(i - 1) / 2] > v; i = (i - 1) / 2)
		x->ends[i] = x->ends[(i - 1) / 2];
	x->ends[i] = v;
}

static int64_t heap_pop(struct queue *x)
{
	int64_t top = x->ends[0], v = x->ends[--x->nends];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= x->nends)
			break;
		if (c + 1 < x->nends && x->ends[c + 1] < x->ends[c])
			c++;
		if (x->ends[c] >= v)
			break;
		x->ends[i] = x->ends[c];
		i = c;
	}
	if (x->nends)
		x->ends[i] = v;
	return top;
}

/* The queue's requests-in-flight counter at ts. */
static int depth(struct writer *w, struct queue *x, int64_t ts, char **cause)
{
	char name[96];

	begin_event(w, "C", QUEUE_TID(x->q), ts);
	snprintf(name, sizeof(name), "queue %" PRId64 " %s in flight", x->q, x->name);
	buf_add_str(&w->b, ",\"name\":");
	json_str(&w->b, (const unsigned char *)name);
	buf_printf(&w->b, ",\"args\":{\"requests\":%zu}", x->nends);
	return end_event(w, cause);
}

/* Requests that ended at or before ts leave the in-flight counters. */
static int retire(struct writer *w, int64_t ts, char **cause)
{
	for (size_t i = 0; i < w->nqs; i++) {
		struct queue *x = &w->qs[i];

		while (x->nends && x->ends[0] <= ts) {
			int64_t at = heap_pop(x);

			while (x->nends && x->ends[0] == at)
				heap_pop(x);
			if (depth(w, x, at, cause) < 0)
				return -1;
		}
	}
	return 0;
}

static int requests(struct writer *w, char **cause)
{
	sqlite3_stmt *st = prep(w, "SELECT id, queue, queue_name, head, type, fields, status, bytes_out, bytes_in,"
	    " used_len, ndesc, first_event, last_event FROM transactions WHERE run = ?1 ORDER BY first_event, id", cause);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct queue *x = queue_of(w, sqlite3_column_int64(st, 1), sqlite3_column_text(st, 2));
		int64_t first = sqlite3_column_int64(st, 11), last = sqlite3_column_int64(st, 12);
		int64_t end = last >= first ? last + 1 : first + 1;	/* a slice covers its events */
		size_t lane;
		char tname[96];

		if (retire(w, first, cause) < 0)
			goto fail;
		for (lane = 0; lane < x->nlanes && x->lane_end[lane] > first; lane++)
			;
		if (lane == x->nlanes && lane < MAX_LANES) {
			x->lane_end = xreallocarray(x->lane_end, ++x->nlanes, sizeof(*x->lane_end));
			if (lane == 0)
				snprintf(tname, sizeof(tname), "queue %" PRId64 " %s", x->q, x->name);
			else
				snprintf(tname, sizeof(tname), "queue %" PRId64 " %s #%zu", x->q, x->name, lane + 1);
			if (meta(w, "thread_name", QUEUE_TID(x->q) + (int64_t)lane, tname, cause) < 0)
				goto fail;
		}
		if (lane == x->nlanes)
			lane--;	/* more overlapping requests than tracks: share the last */
		x->lane_end[lane] = end;
		heap_push(x, end);
		if (depth(w, x, first, cause) < 0)
			goto fail;

		begin_event(w, "X", QUEUE_TID(x->q) + (int64_t)lane, first);
		buf_printf(&w->b, ",\"dur\":%" PRId64 ",\"cat\":\"request\",\"name\":", end - first);
		json_str(&w->b, sqlite3_column_text(st, 4) ? sqlite3_column_text(st, 4) : (const unsigned char *)"request");
		buf_printf(&w->b, ",\"args\":{\"transaction\":%" PRId64 ",\"head\":%" PRId64 ",\"fields\":",
		    (int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 3));
		json_str(&w->b, sqlite3_column_text(st, 5));
		buf_add_str(&w->b, ",\"status\":");
		json_str(&w->b, sqlite3_column_text(st, 6));
		buf_printf(&w->b, ",\"bytes_out\":%" PRId64 ",\"bytes_in\":%" PRId64 ",\"used_len\":%" PRId64
		    ",\"descriptors\":%" PRId64 ",\"first_event\":%" PRId64 ",\"last_event\":%" PRId64 "}",
		    (int64_t)sqlite3_column_int64(st, 7), (int64_t)sqlite3_column_int64(st, 8),
		    (int64_t)sqlite3_column_int64(st, 9), (int64_t)sqlite3_column_int64(st, 10), first, last);
		if (end_event(w, cause) < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		db_err(w, "transactions", cause);
		goto fail;
	}
	sqlite3_finalize(st);
	return retire(w, INT64_MAX, cause);
fail:
	sqlite3_finalize(st);
	return -1;
}

/*
 * Instant events from one table: columns 0 event, 1 name, then args named
 * by argn (NULL-terminated); scope "t" (its track), "p" or "g" (global).
 */
static int instants(struct writer *w, const char *sql, int64_t tid, const char *scope, const char *cat,
    const char *const *argn, char **cause)
{
	sqlite3_stmt *st = prep(w, sql, cause);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		begin_event(w, "i", tid, sqlite3_column_int64(st, 0));
		buf_printf(&w->b, ",\"s\":\"%s\",\"cat\":\"%s\",\"name\":", scope, cat);
		json_str(&w->b, sqlite3_column_text(st, 1));
		buf_add_str(&w->b, ",\"args\":{");
		for (int i = 0; argn[i]; i++) {
			buf_printf(&w->b, "%s\"%s\":", i ? "," : "", argn[i]);
			if (sqlite3_column_type(st, i + 2) == SQLITE_INTEGER)
				buf_printf(&w->b, "%" PRId64, (int64_t)sqlite3_column_int64(st, i + 2));
			else if (sqlite3_column_type(st, i + 2) == SQLITE_NULL)
				buf_add_str(&w->b, "null");
			else
				json_str(&w->b, sqlite3_column_text(st, i + 2));
		}
		buf_add(&w->b, "}", 1);
		if (end_event(w, cause) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_err(w, cat, cause);
	return 0;
}

static int run_header(struct writer *w, int64_t run, char **cause)
{
	sqlite3_stmt *st = prep(w, run ? "SELECT id, trace, device, outcome FROM runs WHERE id = ?1" :
	    "SELECT id, trace, device, outcome FROM runs ORDER BY id DESC LIMIT 1", cause);
	char name[320];
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_err(w, "runs", cause);
		if (run == 0)
			return cause_set(cause, "%s: no runs stored", w->path);
		return cause_set(cause, "%s: no run %" PRId64 " (virtio-replay runs %s lists the runs)", w->path, run,
		    w->path);
	}
	w->run = sqlite3_column_int64(st, 0);
	snprintf(name, sizeof(name), "run %" PRId64 " %s %s: %s", w->run, sqlite3_column_text(st, 2) ?
	    (const char *)sqlite3_column_text(st, 2) : "?", sqlite3_column_text(st, 3) ?
	    (const char *)sqlite3_column_text(st, 3) : "?", sqlite3_column_text(st, 1) ?
	    (const char *)sqlite3_column_text(st, 1) : "?");
	sqlite3_finalize(st);
	buf_add_str(&w->b, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"time\":\"1 us = 1 trace event\",\"run\":");
	json_str(&w->b, (const unsigned char *)name);
	buf_add_str(&w->b, "},\"traceEvents\":[");
	begin_event(w, "M", 0, 0);
	buf_add_str(&w->b, ",\"name\":\"process_name\",\"args\":{\"name\":");
	json_str(&w->b, (const unsigned char *)name);
	buf_add(&w->b, "}", 1);
	if (end_event(w, cause) < 0)
		return -1;
	if (meta(w, "thread_name", TID_IRQ, "interrupts", cause) < 0 ||
	    meta(w, "thread_name", TID_VIOLATIONS, "violations", cause) < 0 ||
	    meta(w, "thread_name", TID_DIVERGENCES, "divergences", cause) < 0)
		return -1;
	return 0;
}

int perfetto_write(const char *path, int64_t run, FILE *out, char **cause)
{
	static const char *const irq_args[] = { "vector", "msg_addr", "msg_data", "isr", NULL };
	static const char *const viol_args[] = { "id", "queue", "desc", "addr", "detail", NULL };
	static const char *const div_args[] = { "id", "what", "field", "expected", "produced", NULL };
	struct writer w = { .path = path, .out = out, .first = true };
	int rc = -1;

	if ((w.db = (sqlite3 *)sink_sqlite_open_readonly(path, NULL, cause)) == NULL)
		return -1;
	buf_init(&w.b);
	if (run_header(&w, run, cause) < 0 || requests(&w, cause) < 0)
		goto out;
	if (instants(&w, "SELECT event, CASE WHEN msix THEN 'msi-x ' || coalesce(vector, '?') ELSE 'intx' END"
	    " || coalesce(' (' || cause || ')', ''), vector, msg_addr, msg_data, isr FROM interrupts"
	    " WHERE run = ?1 ORDER BY event, id", TID_IRQ, "t", "interrupt", irq_args, cause) < 0)
		goto out;
	if (instants(&w, "SELECT event, 'violation: ' || name, id, queue, desc_index, addr, detail FROM violations"
	    " WHERE run = ?1 ORDER BY event, id", TID_VIOLATIONS, "p", "violation", viol_args, cause) < 0)
		goto out;
	if (instants(&w, "SELECT event, 'divergence: ' || coalesce(field, what), id, what, field, expected, produced"
	    " FROM divergences WHERE run = ?1 ORDER BY event, id", TID_DIVERGENCES, "g", "divergence", div_args,
	    cause) < 0)
		goto out;
	buf_add_str(&w.b, "\n]}\n");
	if (fwrite(w.b.data, 1, w.b.len, out) != w.b.len || fflush(out) != 0) {
		cause_set(cause, "write error");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < w.nqs; i++) {
		free(w.qs[i].lane_end);
		free(w.qs[i].ends);
	}
	free(w.qs);
	buf_release(&w.b);
	sqlite3_close(w.db);
	return rc;
}
