/* diff-db.c -- a stored run as one side of diff: what its device did, read back from the database */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cmd.h"
#include "diff-db.h"
#include "vr/cause.h"
#include "vr/event.h"
#include "vr/sink-sqlite.h"

/*
 * One query per stream, each in the order the replay emitted its events:
 * register reads (trace reads and the model's own, with the value the device
 * produced), DMA writes, interrupts, violations, completed requests (by the
 * event that completed them). Column 0 is always the event number.
 */
enum { Q_READS, Q_DMA, Q_IRQ, Q_VIOL, Q_TXN, Q_COUNT };

static const char *const feed_sql[Q_COUNT] = {
	[Q_READS] = "SELECT e.event, e.kind, e.value, r.name FROM events e LEFT JOIN registers r ON r.id = e.reg"
		" WHERE e.run = ?1 AND e.kind IN (1, 3, 128, 130) ORDER BY e.event, e.sub",
	[Q_DMA] = "SELECT event, addr, len, what, bytes FROM dma WHERE run = ?1 ORDER BY event, id",
	[Q_IRQ] = "SELECT event, msix, vector, level, isr, cause FROM interrupts WHERE run = ?1 ORDER BY event, id",
	[Q_VIOL] = "SELECT event, name, queue, desc_index, detail, addr FROM violations WHERE run = ?1 ORDER BY id",
	[Q_TXN] = "SELECT last_event, queue_name, head, type, fields, status, used_len, queue FROM transactions"
		" WHERE run = ?1 ORDER BY id",
};

static const char *col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

static int col_int_or(sqlite3_stmt *st, int c, int dflt)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? dflt : sqlite3_column_int(st, c);
}

/* The current row of stream q as the event the replay emitted for it. */
static void row_event(int q, sqlite3_stmt *st, struct vr_event *ev)
{
	int kind;

	memset(ev, 0, sizeof(*ev));
	ev->event_no = (uint64_t)sqlite3_column_int64(st, 0);
	switch (q) {
	case Q_READS:
		kind = sqlite3_column_int(st, 1);
		ev->kind = VR_EV_ACCESS;
		ev->u.access.cfg = kind == 1 || kind == 128;
		ev->u.access.value = (uint64_t)sqlite3_column_int64(st, 2);
		ev->u.access.reg = col_text(st, 3);
		break;
	case Q_DMA:
		ev->kind = VR_EV_DMA;
		ev->u.dma.addr = (uint64_t)sqlite3_column_int64(st, 1);
		ev->u.dma.len = (uint32_t)sqlite3_column_int64(st, 2);
		ev->u.dma.what = col_text(st, 3);
		ev->u.dma.data = sqlite3_column_blob(st, 4);
		/* A payload over the store's blob cap is kept truncated: compare what is there. */
		if ((uint32_t)sqlite3_column_bytes(st, 4) < ev->u.dma.len)
			ev->u.dma.len = (uint32_t)sqlite3_column_bytes(st, 4);
		break;
	case Q_IRQ:
		ev->kind = VR_EV_IRQ;
		ev->u.irq.msix = sqlite3_column_int(st, 1) != 0;
		ev->u.irq.vector = (uint16_t)col_int_or(st, 2, 0);
		ev->u.irq.level = (uint8_t)col_int_or(st, 3, 0);
		ev->u.irq.isr = (uint8_t)col_int_or(st, 4, 0);
		ev->u.irq.cause = col_text(st, 5);
		break;
	case Q_VIOL:
		ev->kind = VR_EV_VIOLATION;
		ev->u.violation.name = col_text(st, 1);
		ev->u.violation.queue = col_int_or(st, 2, -1);
		ev->u.violation.desc = col_int_or(st, 3, -1);
		ev->u.violation.detail = col_text(st, 4);
		ev->u.violation.addr = (uint64_t)sqlite3_column_int64(st, 5);
		break;
	default:
		ev->kind = VR_EV_TXN;
		ev->u.txn.queue_name = col_text(st, 1);
		ev->u.txn.head = (uint16_t)sqlite3_column_int(st, 2);
		ev->u.txn.type = col_text(st, 3);
		ev->u.txn.fields = col_text(st, 4);
		ev->u.txn.status = col_text(st, 5);
		ev->u.txn.used_len = (uint32_t)sqlite3_column_int64(st, 6);
		ev->u.txn.queue = (uint16_t)sqlite3_column_int(st, 7);
		break;
	}
}

/* The run's row: layout, outcome, events; the newest run if db->run is 0. */
static int run_facts(sqlite3 *h, struct diff_db *db, struct rundiff_side *side, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h, "SELECT id, layout, outcome, events FROM runs WHERE id = ?1 OR (?1 = 0 AND"
	    " id = (SELECT max(id) FROM runs))", -1, &st, NULL) != SQLITE_OK)
		return cause_set(cause, "%s: %s", db->path, sqlite3_errmsg(h));
	sqlite3_bind_int64(st, 1, db->run);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db->run = sqlite3_column_int64(st, 0);
		snprintf(side->layout_name, sizeof(side->layout_name), "%s", col_text(st, 1) ? col_text(st, 1) : "?");
		snprintf(side->outcome, sizeof(side->outcome), "%s", col_text(st, 2) ? col_text(st, 2) : "?");
		side->events = (uint64_t)sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE) {
		if (db->run == 0)
			cause_set(cause, "%s: no runs stored", db->path);
		else
			cause_set(cause, "%s: no run %" PRId64 " (virtio-replay runs %s lists them)", db->path, db->run,
			    db->path);
	} else {
		cause_set(cause, "%s: %s", db->path, sqlite3_errmsg(h));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int diff_db_feed(struct rundiff_side *side, void (*observe)(void *ctx, const struct vr_event *ev), void *ctx,
    char **cause)
{
	struct diff_db *db = side->feed_arg;
	sqlite3_stmt *st[Q_COUNT] = { NULL };
	bool have[Q_COUNT];
	struct vr_event ev;
	sqlite3 *h;
	int rc = -1;

	if ((h = (sqlite3 *)sink_sqlite_open_readonly(db->path, NULL, cause)) == NULL)
		return -1;
	if (run_facts(h, db, side, cause) < 0)
		goto out;
	for (int q = 0; q < Q_COUNT; q++) {
		if (sqlite3_prepare_v2(h, feed_sql[q], -1, &st[q], NULL) != SQLITE_OK) {
			cause_set(cause, "%s: %s", db->path, sqlite3_errmsg(h));
			goto out;
		}
		sqlite3_bind_int64(st[q], 1, db->run);
		have[q] = false;
	}
	/* Merge the streams by event number (ties in stream order), as the replay emitted them. */
	for (int q = 0; q < Q_COUNT; q++) {
		int s = sqlite3_step(st[q]);

		if (s != SQLITE_ROW && s != SQLITE_DONE) {
			cause_set(cause, "%s: %s", db->path, sqlite3_errmsg(h));
			goto out;
		}
		have[q] = s == SQLITE_ROW;
	}
	for (;;) {
		int best = -1, s;

		for (int q = 0; q < Q_COUNT; q++)
			if (have[q] && (best < 0 || sqlite3_column_int64(st[q], 0) < sqlite3_column_int64(st[best], 0)))
				best = q;
		if (best < 0)
			break;
		row_event(best, st[best], &ev);
		observe(ctx, &ev);
		if ((s = sqlite3_step(st[best])) != SQLITE_ROW && s != SQLITE_DONE) {
			cause_set(cause, "%s: %s", db->path, sqlite3_errmsg(h));
			goto out;
		}
		have[best] = s == SQLITE_ROW;
	}
	rc = 0;
out:
	for (int q = 0; q < Q_COUNT; q++)
		sqlite3_finalize(st[q]);
	sqlite3_close(h);
	return rc;
}

int diff_db_parse(const char *arg, struct diff_db *db, char **cause)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *f;
	bool is_db;

	memset(db, 0, sizeof(*db));
	if (cmd_split_run(arg, &db->path, &db->run, cause) < 0)
		return -1;
	is_db = (f = fopen(db->path, "rb")) != NULL && fread(head, 1, sizeof(head), f) == sizeof(head) &&
	    memcmp(head, magic, sizeof(magic)) == 0;
	if (f != NULL)
		fclose(f);
	if (!is_db) {
		free(db->path);
		db->path = NULL;
		return 0;
	}
	return 1;
}
