/* tui-qstate.c -- the queue-state panel: ring indices, heads in flight and pending interrupts at an event, by bounded queries */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/cause.h"
#include "vr/tui-qstate.h"
#include "vr/tui-rings.h"
#include "vr/xmalloc.h"

#define MAX_SHOWN_QUEUES	64
#define MAX_HEADS		16	/* heads in flight listed per queue */
#define MAX_VECTORS		64
/* requests taken at most this many events before: as the queue depth row looks back */
#define INFLIGHT_LOOKBACK	16384

/* What the panel learns about one queue. */
struct qrow {
	struct tui_ring_layout l;
	int64_t avail_idx, avail_at;	/* -1: no write in the window */
	int64_t used_idx, used_at;
	int64_t inflight;
	char heads[160];
};

static int fail(sqlite3 *db, const char *path, const char *what, char **cause)
{
	return cause_set(cause, "%s: queue state: %s: %s", path, what, sqlite3_errmsg(db));
}

static sqlite3_stmt *prep(sqlite3 *db, const char *path, const char *sql, int64_t run, char **cause)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(db, path, "prepare", cause);
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, run);
	return st;
}

/*
 * The interrupt queries through interrupts_by_vector: without statistics on
 * the table the planner walks its primary key instead, every interrupt of
 * the run. A database whose run was killed before the index was built
 * gets the query without the hint.
 */
static sqlite3_stmt *prep_irq(sqlite3 *db, const char *path, const char *cols, const char *where, int64_t run,
    char **cause)
{
	char sql[320];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql), "SELECT %s FROM interrupts INDEXED BY interrupts_by_vector WHERE %s", cols, where);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		return st;
	}
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "SELECT %s FROM interrupts WHERE %s", cols, where);
	return prep(db, path, sql, run, cause);
}

static int finish(sqlite3 *db, const char *path, sqlite3_stmt *st, int rc, const char *what, char **cause)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return fail(db, path, what, cause);
	return 0;
}

/*
 * The last 2-byte write at or before event to each queue's avail.idx (dev
 * false: the guest's stores, trace events) or used.idx (dev true: the
 * device's writes as the replay produced them), walking back through at
 * most TUI_QSTATE_WINDOW events; stops as soon as every queue has one.
 */
static int indices(sqlite3 *db, const char *path, int64_t run, int64_t event, struct qrow *q, size_t nq, bool dev,
    char **cause)
{
	sqlite3_stmt *st = prep(db, path, dev ? "SELECT event, addr, bytes FROM dma WHERE run = ?1 AND event <= ?2"
	    " AND event > ?3 AND len = 2 ORDER BY event DESC, id DESC" : "SELECT e.event, e.addr, e.bytes FROM events e"
	    " WHERE e.run = ?1 AND e.event <= ?2 AND e.event > ?3 AND e.len = 2"
	    " AND e.kind IN (SELECT code FROM event_kinds WHERE name = 'mem') ORDER BY e.event DESC, e.sub DESC",
	    run, cause);
	size_t missing = nq;
	int rc = SQLITE_DONE;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int64(st, 3, event > INT64_MIN + TUI_QSTATE_WINDOW ? event - TUI_QSTATE_WINDOW : INT64_MIN);
	while (missing > 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t addr = (uint64_t)sqlite3_column_int64(st, 1);
		const uint8_t *b = sqlite3_column_blob(st, 2);
		int64_t at = sqlite3_column_int64(st, 0);

		if (b == NULL || sqlite3_column_bytes(st, 2) < 2)
			continue;
		for (size_t i = 0; i < nq; i++) {
			int64_t *idx = dev ? &q[i].used_idx : &q[i].avail_idx;
			int64_t *seen = dev ? &q[i].used_at : &q[i].avail_at;
			uint64_t ring = dev ? q[i].l.used : q[i].l.avail;

			/* a write before the queue was laid out this way is not about this ring */
			if (*seen >= 0 || ring == 0 || addr != ring + 2 || at < q[i].l.since)
				continue;
			*idx = b[0] | b[1] << 8;
			*seen = at;
			missing--;
		}
	}
	return finish(db, path, st, missing == 0 ? SQLITE_DONE : rc, dev ? "dma" : "events", cause);
}

/* Requests taken at or before event and completed after it, per queue. */
static int inflight(sqlite3 *db, const char *path, int64_t run, int64_t event, struct qrow *q, size_t nq,
    char **cause)
{
	sqlite3_stmt *st = prep(db, path, "SELECT queue, head, id, first_event FROM transactions"
	    " WHERE run = ?1 AND first_event BETWEEN ?2 AND ?3 AND last_event > ?3 ORDER BY first_event, id",
	    run, cause);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event > INT64_MIN + INFLIGHT_LOOKBACK ? event - INFLIGHT_LOOKBACK : INT64_MIN);
	sqlite3_bind_int64(st, 3, event);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t queue = sqlite3_column_int64(st, 0);

		for (size_t i = 0; i < nq; i++) {
			size_t len = strlen(q[i].heads);

			if (q[i].l.queue != queue)
				continue;
			if (q[i].inflight++ < MAX_HEADS && len + 48 < sizeof(q[i].heads))
				snprintf(q[i].heads + len, sizeof(q[i].heads) - len, "%s%" PRId64 "@%" PRId64,
				    len ? " " : "", (int64_t)sqlite3_column_int64(st, 1), (int64_t)sqlite3_column_int64(st, 3));
		}
	}
	return finish(db, path, st, rc, "transactions", cause);
}

static void qrows_text(const struct qrow *q, size_t nq, struct tui_text *out)
{
	tui_text_add(out, "  %-16s %5s %14s %14s %6s %5s %8s", "QUEUE", "SIZE", "AVAIL.IDX@EV", "USED.IDX@EV", "TAKEN",
	    "NEW", "INFLIGHT");
	for (size_t i = 0; i < nq; i++) {
		char qn[48], av[32], us[32], taken[16], fresh[16];
		int64_t t = -1;

		snprintf(qn, sizeof(qn), "%" PRId64 " %s", q[i].l.queue, q[i].l.name);
		if (q[i].avail_at >= 0)
			snprintf(av, sizeof(av), "%" PRId64 "@%" PRId64, q[i].avail_idx, q[i].avail_at);
		else
			snprintf(av, sizeof(av), "-");
		if (q[i].used_at >= 0) {
			snprintf(us, sizeof(us), "%" PRId64 "@%" PRId64, q[i].used_idx, q[i].used_at);
			t = (q[i].used_idx + q[i].inflight) & 0xffff;
			snprintf(taken, sizeof(taken), "%" PRId64, t);
		} else {
			snprintf(us, sizeof(us), "-");
			snprintf(taken, sizeof(taken), "%s", q[i].inflight ? "?" : "0");
			if (q[i].inflight == 0)
				t = 0;
		}
		if (t >= 0 && q[i].avail_at >= 0)
			snprintf(fresh, sizeof(fresh), "%" PRId64, (q[i].avail_idx - t) & 0xffff);
		else
			snprintf(fresh, sizeof(fresh), "-");
		tui_text_add(out, "  %-16s %5" PRIu32 " %14s %14s %6s %5s %8" PRId64, qn, q[i].l.size, av, us, taken, fresh,
		    q[i].inflight);
	}
	for (size_t i = 0; i < nq; i++)
		if (q[i].inflight > 0)
			tui_text_add(out, "  %s in flight (head@taken): %s%s", q[i].l.name, q[i].heads,
			    q[i].inflight > MAX_HEADS ? " ..." : "");
}

/* The INTx line and ISR byte as last changed at or before event. */
static int intx_text(sqlite3 *db, const char *path, int64_t run, int64_t event, struct tui_text *out, char **cause)
{
	sqlite3_stmt *st = prep_irq(db, path, "event, level, isr, cause",
	    "run = ?1 AND msix = 0 AND vector IS NULL AND event <= ?2 ORDER BY event DESC, id DESC LIMIT 1", run, cause);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, event);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *c = sqlite3_column_text(st, 3);
		char why[40];

		snprintf(why, sizeof(why), "%s", c ? (const char *)c : "");
		for (char *p = why; *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				*p = '?';
		tui_text_add(out, "  INTx  line %s, ISR 0x%02x%s (since event %lld, %s)",
		    sqlite3_column_int(st, 1) ? "raised" : "low", sqlite3_column_int(st, 2) & 0xff,
		    sqlite3_column_int(st, 2) ? " pending" : "", (long long)sqlite3_column_int64(st, 0), why);
	} else if (rc == SQLITE_DONE) {
		tui_text_add(out, "  INTx  not raised so far, ISR 0x00");
	}
	return finish(db, path, st, rc, "interrupts", cause);
}

/*
 * Did a request complete after event `after` and at or before event? A
 * completion is what asks for an interrupt.
 */
static int completed_between(sqlite3 *db, const char *path, int64_t run, int64_t after, int64_t event, char **cause)
{
	sqlite3_stmt *st = prep(db, path, "SELECT 1 FROM transactions WHERE run = ?1 AND first_event BETWEEN ?2 AND ?4"
	    " AND last_event > ?3 AND last_event <= ?4 LIMIT 1", run, cause);
	int rc, yes;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, after > INT64_MIN + INFLIGHT_LOOKBACK ? after - INFLIGHT_LOOKBACK : INT64_MIN);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int64(st, 4, event);
	rc = sqlite3_step(st);
	yes = rc == SQLITE_ROW;
	if (finish(db, path, st, rc, "transactions", cause) < 0)
		return -1;
	return yes;
}

/*
 * Each MSI-X vector: its last delivery at or before event, and whether it
 * is pending (its bit set in the PBA): the device held a notification back
 * behind a mask when the vector's next delivery is the one an unmask
 * flushes (cause "pending"), and the notification came before event when a
 * request completed between the last delivery and event. The database has
 * no row for the masked notification itself, so a vector shared by several
 * queues may be called pending for another queue's completion.
 */
static int msix_text(sqlite3 *db, const char *path, int64_t run, int64_t event, struct tui_text *out, char **cause)
{
	sqlite3_stmt *vec = prep_irq(db, path, "vector",
	    "run = ?1 AND msix = 1 AND vector > ?2 ORDER BY vector LIMIT 1", run, cause);
	sqlite3_stmt *last = NULL, *next = NULL;
	int64_t v = -1;
	int rc = SQLITE_DONE, n = 0;
	bool failed = false;

	if (vec == NULL)
		return -1;
	last = prep_irq(db, path, "event, cause",
	    "run = ?1 AND msix = 1 AND vector = ?2 AND event <= ?3 ORDER BY event DESC, id DESC LIMIT 1", run, cause);
	next = last ? prep_irq(db, path, "event, cause",
	    "run = ?1 AND msix = 1 AND vector = ?2 AND event > ?3 ORDER BY event, id LIMIT 1", run, cause) : NULL;
	if (next == NULL) {
		sqlite3_finalize(vec);
		sqlite3_finalize(last);
		return -1;
	}
	while (n < MAX_VECTORS) {
		char seen[64] = "none yet", pend[64] = "";

		sqlite3_reset(vec);
		sqlite3_bind_int64(vec, 2, v);
		if ((rc = sqlite3_step(vec)) != SQLITE_ROW)
			break;
		v = sqlite3_column_int64(vec, 0);
		sqlite3_reset(last);
		sqlite3_bind_int64(last, 2, v);
		sqlite3_bind_int64(last, 3, event);
		if ((rc = sqlite3_step(last)) == SQLITE_ROW)
			snprintf(seen, sizeof(seen), "event %lld", (long long)sqlite3_column_int64(last, 0));
		else if (rc != SQLITE_DONE)
			break;
		sqlite3_reset(next);
		sqlite3_bind_int64(next, 2, v);
		sqlite3_bind_int64(next, 3, event);
		if ((rc = sqlite3_step(next)) == SQLITE_ROW) {
			const unsigned char *c = sqlite3_column_text(next, 1);

			int64_t at = sqlite3_column_int64(next, 0);
			int64_t prev = sqlite3_column_type(last, 0) == SQLITE_INTEGER ? sqlite3_column_int64(last, 0) : -1;
			int done;

			if (c && strcmp((const char *)c, "pending") == 0) {
				if ((done = completed_between(db, path, run, prev, event, cause)) < 0) {
					failed = true;
					break;
				}
				if (done)
					snprintf(pend, sizeof(pend), "  PENDING (masked; delivered at event %lld)",
					    (long long)at);
			}
		} else if (rc != SQLITE_DONE) {
			break;
		}
		tui_text_add(out, "  MSI-X vector %-3" PRId64 " last delivered: %s%s", v, seen, pend);
		n++;
		rc = SQLITE_DONE;
	}
	if (n == 0 && rc == SQLITE_DONE)
		tui_text_add(out, "  MSI-X no vector delivered in this run");
	sqlite3_finalize(last);
	sqlite3_finalize(next);
	if (failed) {
		sqlite3_finalize(vec);
		return -1;
	}
	return finish(db, path, vec, rc, "interrupts", cause);
}

int tui_qstate(struct sqlite3 *db, const char *path, int64_t run, struct tui_rings *rings, int64_t event,
    struct tui_text *out, char **cause)
{
	struct tui_ring_layout *l = xcalloc(MAX_SHOWN_QUEUES, sizeof(*l));
	size_t nq = tui_rings_layouts(rings, event, l, MAX_SHOWN_QUEUES);
	struct qrow *q = xcalloc(nq ? nq : 1, sizeof(*q));
	int rc = 0;

	tui_text_clear(out);
	tui_text_add(out, "queue state after event %" PRId64 "  (s: back to the detail)", event);
	for (size_t i = 0; i < nq; i++) {
		q[i].l = l[i];
		q[i].avail_idx = q[i].avail_at = q[i].used_idx = q[i].used_at = -1;
	}
	if (nq == 0)
		tui_text_add(out, "  no queue laid out yet");
	else if (indices(db, path, run, event, q, nq, false, cause) < 0 ||
	    indices(db, path, run, event, q, nq, true, cause) < 0 || inflight(db, path, run, event, q, nq, cause) < 0)
		rc = -1;
	else
		qrows_text(q, nq, out);
	if (rc == 0) {
		tui_text_add(out, "interrupts");
		if (intx_text(db, path, run, event, out, cause) < 0 || msix_text(db, path, run, event, out, cause) < 0)
			rc = -1;
	}
	free(q);
	free(l);
	return rc;
}
