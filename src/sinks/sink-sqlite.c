/* sink-sqlite.c -- the store: every replay event as rows in an SQLite database (virtio-replay-db(5)) */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/sink-sqlite.h"
#include "vr/xmalloc.h"
#include "sink-sqlite-int.h"

/*
 * The writer. The schema (sink-sqlite-schema.c) says what each table holds;
 * here each event becomes its rows, staged and written in blocks, one
 * transaction per batch of events, with the run's counts kept up to date
 * so a killed replay leaves a readable database with the run incomplete.
 */

/* Device-model accesses that came with no trace event (e.g. the record command's model driver). */
#define KIND_ACCESS_BASE	0x80	/* + 2*bar + write: cfg-read, cfg-write, bar-read, bar-write */
static const char *const access_kind_names[4] = {
	"model-cfg-read", "model-cfg-write", "model-bar-read", "model-bar-write",
};

static void bind_text(sqlite3_stmt *st, int i, const char *t)
{
	if (t)
		sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);	/* stepped before the callback returns */
	else
		sqlite3_bind_null(st, i);
}

/* Bytes valid only during the callback; the statement is stepped before it returns. */
static void bind_blob_static(sqlite3_stmt *st, int i, const uint8_t *p, uint32_t n)
{
	if (p && n)
		sqlite3_bind_blob(st, i, p, (int)(n > SINK_SQLITE_MAX_BLOB ? SINK_SQLITE_MAX_BLOB : n), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void kind_seen(struct sink_sqlite *s, unsigned code, const char *name)
{
	if (s->kind_known[code & 0xff])
		return;
	s->kind_known[code & 0xff] = 1;
	sqlite3_bind_int(s->st[ST_KIND], 1, (int)(code & 0xff));
	bind_text(s->st[ST_KIND], 2, name ? name : "?");
	sqw_step(s, ST_KIND, "insert event kind");
}

/* events.sub: 0 for the first row of an event number, then 1, 2... */
static uint32_t next_sub(struct sink_sqlite *s, uint64_t event_no)
{
	if (s->have_last && s->last_event == event_no)
		return ++s->last_sub;
	s->have_last = true;
	s->last_event = event_no;
	s->last_sub = 0;
	return 0;
}

static void flush_pending(struct sink_sqlite *s)
{
	if (!s->pending)
		return;
	s->pending = false;
	stage_push(s, STG_EVENT);	/* counted in n_events once inserted */
	row_done(s);
}

static void close_run(struct sink_sqlite *s, const struct vr_ev_run *end);

static void start_run(struct sink_sqlite *s, const struct vr_ev_run *r)
{
	static const struct vr_ev_run none;
	sqlite3_stmt *st = s->st[ST_RUN_INSERT];
	char started[32];
	time_t now = time(NULL);
	struct tm tm;

	if (s->in_run)
		close_run(s, NULL);
	if (r == NULL)
		r = &none;
	/* The only non-deterministic column. */
	gmtime_r(&now, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	sqw_commit(s);
	sqw_begin(s);
	bind_text(st, 1, r->trace_path);
	bind_text(st, 2, r->trace_sha256);
	bind_text(st, 3, r->version);
	bind_text(st, 4, r->options);
	bind_text(st, 5, r->device);
	bind_text(st, 6, r->layout);
	bind_u64(st, 7, r->features);
	bind_text(st, 8, started);
	if (!sqw_step(s, ST_RUN_INSERT, "insert run"))
		return;
	s->run = sqlite3_last_insert_rowid(s->db);
	s->in_run = true;
	s->n_events = s->n_txn = s->n_dma = s->n_irq = 0;
	s->n_viol = s->n_div = s->n_frame = s->n_note = 0;
	s->have_last = false;
	/* The run row is durable before any of its events. */
	sqw_commit(s);
	sqw_begin(s);
}

/* end == NULL: the run stopped without RUN_END; keep it, marked incomplete. */
static void close_run(struct sink_sqlite *s, const struct vr_ev_run *end)
{
	sqlite3_stmt *st;

	if (!s->in_run)
		return;
	flush_pending(s);
	sqw_begin(s);
	sqw_stages_flush(s);	/* the counters say what is in the tables */
	if (end) {
		st = s->st[ST_RUN_END];
		bind_u64(st, 1, end->features);
		bind_text(st, 2, end->outcome ? end->outcome : "unknown");
		/* never complete if a row was lost */
		sqlite3_bind_int(st, 3, end->complete && s->err == NULL);
		bind_u64(st, 4, end->events);
		bind_u64(st, 5, s->n_txn);
		bind_u64(st, 6, end->divergences);
		bind_u64(st, 7, end->violations);
		sqlite3_bind_int64(st, 8, s->run);
		sqw_step(s, ST_RUN_END, "finish run");
	} else {
		sqlite3_bind_int64(s->st[ST_RUN_ABORT], 1, s->run);
		sqw_step(s, ST_RUN_ABORT, "mark run aborted");
	}
	sqw_qstats_write(s);
	sqw_istats_write(s);
	sqw_commit(s);
	sqw_qstats_free(s);
	s->in_run = false;
	if (s->err == NULL && sqlite3_exec(s->db, sink_sqlite_index_sql, NULL, NULL, NULL) != SQLITE_OK)
		sqw_set_err(s, "create indexes");
}

/* Columns 1-9 of an event row (run, event, sub, file_offset, vtime, kind, space, addr, size). */
static struct cell *event_row(struct sink_sqlite *s, const struct vr_event *ev, unsigned kind, unsigned space,
    uint64_t addr, unsigned size)
{
	struct cell *c = stage_row(&s->stages[STG_EVENT]);

	cell_int(&c[0], s->run);
	cell_u64(&c[1], ev->event_no);
	cell_int(&c[2], next_sub(s, ev->event_no));
	cell_u64(&c[3], ev->offset);
	cell_u64(&c[4], ev->vtime);
	cell_int(&c[5], kind);
	cell_int(&c[6], space);
	cell_u64(&c[7], addr);
	cell_int(&c[8], size);
	return c;
}

static void ev_trace(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_trace *t = &ev->u.trace;
	const char *kn = t->kind_name ? t->kind_name : "?";
	size_t kl = strlen(kn);
	bool access = strncmp(kn, "cfg-", 4) == 0 || strncmp(kn, "bar-", 4) == 0;
	bool read = kl >= 5 && strcmp(kn + kl - 5, "-read") == 0;

	flush_pending(s);
	kind_seen(s, t->kind, kn);
	struct cell *c = event_row(s, ev, t->kind, t->space, t->addr, t->size);

	/* value: what was written or produced; recorded: what the real device answered */
	if (t->has_value)
		cell_u64(&c[read ? 10 : 9], t->value);
	if (t->data || t->len)
		cell_int(&c[12], t->len);
	sqw_cell_payload(s, &s->stages[STG_EVENT], &c[13], t->data, t->len);
	s->pending = true;
	s->pend_event = ev->event_no;
	s->pend_access = false;
	s->pend_read = read;
	/* an access waits for the device's ACCESS to add the register and produced value */
	if (!access)
		flush_pending(s);
}

static void ev_access(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_access *a = &ev->u.access;
	int64_t reg = a->reg ? sqw_reg_id(s, a->reg) : -1;
	struct cell *c;

	if (!(s->pending && s->pend_event == ev->event_no && !s->pend_access)) {
		unsigned code = KIND_ACCESS_BASE + (a->cfg ? 0 : 2) + (a->write ? 1 : 0);

		flush_pending(s);
		kind_seen(s, code, access_kind_names[code - KIND_ACCESS_BASE]);
		event_row(s, ev, code, a->cfg ? 0 : a->bar, a->offset, a->size);
		s->pending = true;
		s->pend_event = ev->event_no;
	}
	c = stage_row(&s->stages[STG_EVENT]);
	cell_u64(&c[9], a->value);
	if (reg >= 0)
		cell_int(&c[11], reg);
	s->pend_access = true;
	flush_pending(s);
}

/* The descriptor chain as a JSON array of [idx, addr, len, flags, next, indirect] (the descriptors view). */
static const char *chain_json(struct sink_sqlite *s, const struct vr_ev_txn *t)
{
	struct buf *b = &s->chain;

	buf_reset(b);
	buf_add_u8(b, '[');
	for (unsigned i = 0; t->desc && i < t->ndesc; i++) {
		const struct vr_desc *d = &t->desc[i];

		buf_add_str(b, i ? ",[" : "[");
		buf_add_dec(b, d->index);
		buf_add_u8(b, ',');
		if ((int64_t)d->addr < 0) {
			buf_add_u8(b, '-');
			buf_add_dec(b, -d->addr);
		} else {
			buf_add_dec(b, d->addr);
		}
		buf_add_u8(b, ',');
		buf_add_dec(b, d->len);
		buf_add_u8(b, ',');
		buf_add_dec(b, d->flags);
		buf_add_u8(b, ',');
		buf_add_dec(b, d->next);
		buf_add_str(b, d->indirect ? ",1]" : ",0]");
	}
	buf_add_u8(b, ']');
	return buf_str(b);
}

static void ev_txn(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_txn *t = &ev->u.txn;
	struct stage *g = &s->stages[STG_TXN];
	struct cell *c = stage_row(g);
	uint64_t id = ++s->n_txn;
	uint64_t lat = ev->event_no >= t->first_event ? ev->event_no - t->first_event : 0;

	cell_int(&c[0], s->run);
	cell_u64(&c[1], id);
	cell_int(&c[2], t->queue);
	cell_text(g, &c[3], t->queue_name);
	cell_int(&c[4], t->head);
	cell_text(g, &c[5], t->device);
	cell_text(g, &c[6], t->type);
	cell_text(g, &c[7], t->fields);
	cell_text(g, &c[8], t->status);
	cell_int(&c[9], t->out_len);
	cell_int(&c[10], t->in_len);
	cell_int(&c[11], t->used_len);
	cell_int(&c[12], t->ndesc);
	cell_u64(&c[13], t->first_event);
	cell_u64(&c[14], ev->event_no);
	cell_u64(&c[15], lat);
	chain_json(s, t);
	cell_bytes(g, &c[16], CELL_TEXT, s->chain.data, (uint32_t)s->chain.len);
	for (int dir = 0; dir < 2; dir++) {
		uint32_t len = dir ? t->in_len : t->out_len;
		uint32_t shown = dir ? t->in_shown : t->out_shown;
		const uint8_t *p = dir ? t->in : t->out;

		sqw_cell_payload(s, g, &c[dir ? 19 : 17], p, shown < len ? shown : len);
	}
	stage_push(s, STG_TXN);
	if (t->queue >= s->nqs) {
		size_t n = (size_t)t->queue + 1;

		s->qs = xrealloc(s->qs, n * sizeof(*s->qs));
		memset(s->qs + s->nqs, 0, (n - s->nqs) * sizeof(*s->qs));
		s->nqs = n;
	}
	struct qstat *q = &s->qs[t->queue];

	if (t->queue_name && (q->name == NULL || strcmp(t->queue_name, q->name) < 0)) {
		free(q->name);
		q->name = xstrdup(t->queue_name);
	}
	q->txns++;
	q->bytes_out += t->out_len;
	q->bytes_in += t->in_len;
	q->latency_sum += lat;
	if (lat > q->max_latency)
		q->max_latency = lat;
	q->dirty = true;
	row_done(s);
}

static void ev_dma(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_dma *d = &ev->u.dma;
	struct stage *g = &s->stages[STG_DMA];
	struct cell *c = stage_row(g);

	cell_int(&c[0], s->run);
	cell_u64(&c[1], ev->event_no);
	cell_u64(&c[2], ++s->n_dma);
	cell_u64(&c[3], d->addr);
	cell_int(&c[4], d->len);
	cell_text(g, &c[5], d->what);
	sqw_cell_payload(s, g, &c[6], d->data, d->len);
	stage_push(s, STG_DMA);
	row_done(s);
}

static void ev_irq(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_irq *q = &ev->u.irq;
	struct stage *g = &s->stages[STG_IRQ];
	struct cell *c = stage_row(g);

	cell_int(&c[0], s->run);
	cell_u64(&c[1], ++s->n_irq);
	cell_u64(&c[2], ev->event_no);
	cell_int(&c[3], q->msix);
	if (q->msix) {
		cell_int(&c[4], q->vector);
		cell_u64(&c[7], q->msg_addr);
		cell_int(&c[8], q->msg_data);
	} else {
		cell_int(&c[5], q->level);
		cell_int(&c[6], q->isr);
	}
	cell_text(g, &c[9], q->cause);
	stage_push(s, STG_IRQ);
	sqw_istat_count(s, q->msix, q->msix ? q->vector : -1);
	row_done(s);
}

static void ev_violation(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_violation *v = &ev->u.violation;
	sqlite3_stmt *st = s->st[ST_VIOL];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_viol);
	bind_u64(st, 3, ev->event_no);
	bind_u64(st, 4, ev->offset);
	bind_text(st, 5, v->name ? v->name : "?");
	if (v->queue >= 0)
		sqlite3_bind_int(st, 6, v->queue);
	else
		sqlite3_bind_null(st, 6);
	if (v->desc >= 0)
		sqlite3_bind_int(st, 7, v->desc);
	else
		sqlite3_bind_null(st, 7);
	bind_u64(st, 8, v->addr);
	bind_text(st, 9, v->detail);
	if (sqw_step(s, ST_VIOL, "insert violation"))
		row_done(s);
}

static void ev_divergence(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_divergence *d = &ev->u.divergence;
	sqlite3_stmt *st = s->st[ST_DIV];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_div);
	bind_u64(st, 3, ev->event_no);
	bind_u64(st, 4, ev->offset);
	bind_text(st, 5, d->what ? d->what : "?");
	bind_text(st, 6, d->field);
	bind_u64(st, 7, d->expected);
	bind_u64(st, 8, d->produced);
	bind_blob_static(st, 9, d->exp_data, d->exp_len);
	bind_blob_static(st, 10, d->got_data, d->got_len);
	bind_text(st, 11, d->report);
	if (sqw_step(s, ST_DIV, "insert divergence"))
		row_done(s);
}

static void ev_frame(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_frame *f = &ev->u.frame;
	sqlite3_stmt *st = s->st[ST_FRAME];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_frame);
	bind_u64(st, 3, ev->event_no);
	bind_u64(st, 4, ev->vtime);
	sqlite3_bind_int(st, 5, f->tx);
	sqlite3_bind_int(st, 6, f->queue);
	sqlite3_bind_int64(st, 7, f->len);
	bind_blob_static(st, 8, f->data, f->len);
	if (sqw_step(s, ST_FRAME, "insert frame"))
		row_done(s);
}

static void ev_note(struct sink_sqlite *s, const struct vr_event *ev)
{
	sqlite3_stmt *st = s->st[ST_NOTE];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_note);
	bind_u64(st, 3, ev->event_no);
	bind_text(st, 4, ev->u.note.text ? ev->u.note.text : "");
	if (sqw_step(s, ST_NOTE, "insert note"))
		row_done(s);
}

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct sink_sqlite *s = opaque;

	if (s->err)
		return;
	if (ev->kind == VR_EV_RUN_BEGIN) {
		start_run(s, &ev->u.run);
		return;
	}
	if (!s->in_run) {
		if (ev->kind == VR_EV_RUN_END)
			return;
		/* events outside a run still belong somewhere */
		start_run(s, NULL);
		if (s->err)
			return;
	}
	switch (ev->kind) {
	case VR_EV_RUN_END:
		close_run(s, &ev->u.run);
		break;
	case VR_EV_TRACE:
		ev_trace(s, ev);
		break;
	case VR_EV_ACCESS:
		ev_access(s, ev);
		break;
	case VR_EV_TXN:
		ev_txn(s, ev);
		break;
	case VR_EV_DMA:
		ev_dma(s, ev);
		break;
	case VR_EV_IRQ:
		ev_irq(s, ev);
		break;
	case VR_EV_VIOLATION:
		ev_violation(s, ev);
		break;
	case VR_EV_DIVERGENCE:
		ev_divergence(s, ev);
		break;
	case VR_EV_FRAME:
		ev_frame(s, ev);
		break;
	case VR_EV_NOTE:
		ev_note(s, ev);
		break;
	default:
		break;
	}
}

struct sink_sqlite *sink_sqlite_open(const char *path, char **cause)
{
	struct sink_sqlite *s;
	int version;
	char *sql;

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->blob_cache = xcalloc(BLOB_CACHE_SLOTS, sizeof(*s->blob_cache));
	buf_init(&s->chain);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cause_set(cause, "%s: cannot open database: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 0);
	if (sink_sqlite_check_schema(s->db, path, &version, cause) < 0)
		goto fail;
	/*
	 * WAL: a crash never corrupts committed batches and readers (the TUI)
	 * can look while a replay writes. synchronous=NORMAL: a power cut may
	 * lose the last batches, never the database. 32 KiB pages (new files
	 * only) hold seven 4 KiB blobs each without overflow chains; 32 MiB of
	 * page cache avoids re-reading b-tree pages.
	 * Checkpoints every 4096 pages (128 MiB of WAL) instead of SQLite's
	 * 1000: each checkpoint copies the b-trees' hot pages (interior, last
	 * leaf) once however many batches rewrote them, and the WAL is read
	 * back fewer times.
	 */
	if (sink_sqlite_exec(s->db, path, "PRAGMA page_size=32768; PRAGMA cache_size=-32768;"
	    " PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4096;", cause) < 0)
		goto fail;
	if (version == 0) {
		xasprintf(&sql, "BEGIN; %s %s PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
		    sink_sqlite_common_sql, sink_sqlite_tables_sql, SINK_SQLITE_APP_ID, SINK_SQLITE_SCHEMA_VERSION);
		int rc = sink_sqlite_exec(s->db, path, sql, cause);
		free(sql);
		if (rc < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	if (version > 0 && version < SINK_SQLITE_SCHEMA_VERSION) {
		cause_set(cause, "%s: schema version %d is older than this program's %d; convert it with"
		    " 'virtio-replay runs --upgrade %s' or write to a new file", path, version,
		    SINK_SQLITE_SCHEMA_VERSION, path);
		goto fail;
	}
	if (sqw_prepare(s, cause) < 0)
		goto fail;
	return s;
fail:
	sqw_finalize(s);
	sqlite3_close(s->db);
	buf_release(&s->chain);
	free(s->blob_cache);
	free(s->path);
	free(s);
	return NULL;
}

int sink_sqlite_attach(struct sink_sqlite *s, struct evbus *bus, char **cause)
{
	if (evbus_add(bus, EVBUS_ALL, on_event, s) < 0)
		return cause_set(cause, "%s: too many event sinks", s->path);
	return 0;
}

int64_t sink_sqlite_run_id(const struct sink_sqlite *s)
{
	return s->run;
}

int sink_sqlite_error(const struct sink_sqlite *s, char **cause)
{
	if (s->err == NULL)
		return 0;
	return cause_set(cause, "%s", s->err);
}

int sink_sqlite_close(struct sink_sqlite *s, char **cause)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	if (s->err) {
		/* best effort: keep what was stored and say the run is not whole */
		char *first = s->err;

		s->err = NULL;
		s->pending = false;
		s->stages[STG_EVENT].building = false;
		if (s->in_txn) {
			s->in_txn = false;
			sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		}
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		close_run(s, NULL);
		free(s->err);
		s->err = first;
	} else {
		close_run(s, NULL);
		flush_pending(s);
		sqw_commit(s);
	}
	if (s->err)
		rc = cause_set(cause, "%s", s->err);
	sqw_finalize(s);
	/*
	 * Back to a single file for readers (a read-only connection to a WAL
	 * database leaves -wal/-shm files behind) and for copying. Fails
	 * harmlessly, without waiting, while another connection (a browser
	 * watching the run) still has the file open.
	 */
	if (rc == 0) {
		sqlite3_busy_timeout(s->db, 0);
		sqlite3_exec(s->db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	}
	if (sqlite3_close(s->db) != SQLITE_OK && rc == 0)
		rc = cause_set(cause, "%s: close: %s", s->path, sqlite3_errmsg(s->db));
	for (size_t i = 0; i < s->capregs; i++)
		free(s->regs[i].name);
	free(s->regs);
	buf_release(&s->chain);
	sqw_qstats_free(s);
	free(s->blob_cache);
	free(s->err);
	free(s->path);
	free(s);
	return rc;
}