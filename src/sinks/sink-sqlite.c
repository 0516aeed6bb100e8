/* sink-sqlite.c -- the store: every replay event as rows in an SQLite database (virtio-replay-db(5)) */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "vr/cause.h"
#include "vr/sink-sqlite.h"
#include "vr/xmalloc.h"

/*
 * Schema, version 1. Integers are stored as SQLite's signed 64-bit values
 * (a u64 above 2^63 reads back negative; printf('0x%x', ...) shows it right).
 * Tables looked up by their key (events, transactions, descriptors, buffers)
 * are WITHOUT ROWID so their primary key is their only b-tree (a rowid table
 * with a UNIQUE key costs two b-tree inserts a row) and rows arrive in key
 * order. Tables with an index by event (dma, interrupts, notes, ...) keep a
 * rowid and a UNIQUE (run, id): made WITHOUT ROWID, SQLite's planner (no
 * ANALYZE statistics) prefers a walk of the run's primary key range to the
 * by-event index for "run = ? AND event = ?". Databases whose buffers table
 * has a rowid and a UNIQUE key (written before) are read and appended to alike.
 */
static const char schema_sql[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
	"INSERT INTO schema_version VALUES (1);\n"
	"CREATE TABLE event_kinds (code INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
	"CREATE TABLE registers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
	"CREATE TABLE runs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  trace TEXT, trace_sha256 TEXT, version TEXT, options TEXT,\n"
	"  device TEXT, layout TEXT,\n"
	"  features_offered INTEGER, features_negotiated INTEGER,\n"
	"  outcome TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0,\n"
	"  started TEXT NOT NULL,\n"
	"  events INTEGER NOT NULL DEFAULT 0, transactions INTEGER NOT NULL DEFAULT 0,\n"
	"  divergences INTEGER NOT NULL DEFAULT 0, violations INTEGER NOT NULL DEFAULT 0);\n"
	"CREATE TABLE events (\n"
	"  run INTEGER NOT NULL, event INTEGER NOT NULL, sub INTEGER NOT NULL,\n"
	"  file_offset INTEGER, vtime INTEGER, kind INTEGER NOT NULL,\n"
	"  space INTEGER, addr INTEGER, size INTEGER, value INTEGER, recorded INTEGER,\n"
	"  reg INTEGER, len INTEGER, bytes BLOB,\n"
	"  PRIMARY KEY (run, event, sub)) WITHOUT ROWID;\n"
	"CREATE TABLE transactions (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL,\n"
	"  queue INTEGER NOT NULL, queue_name TEXT, head INTEGER NOT NULL,\n"
	"  device TEXT, type TEXT, fields TEXT, status TEXT,\n"
	"  bytes_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL, used_len INTEGER NOT NULL,\n"
	"  ndesc INTEGER NOT NULL,\n"
	"  first_event INTEGER NOT NULL, last_event INTEGER NOT NULL, latency_events INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run, id)) WITHOUT ROWID;\n"
	"CREATE INDEX transactions_by_queue ON transactions (run, queue, id);\n"
	"CREATE INDEX transactions_by_type ON transactions (run, type, id);\n"
	"CREATE INDEX transactions_by_event ON transactions (run, first_event);\n"
	"CREATE TABLE descriptors (\n"
	"  run INTEGER NOT NULL, txn INTEGER NOT NULL, seq INTEGER NOT NULL,\n"
	"  idx INTEGER NOT NULL, addr INTEGER NOT NULL, len INTEGER NOT NULL,\n"
	"  flags INTEGER NOT NULL, next INTEGER NOT NULL, indirect INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run, txn, seq)) WITHOUT ROWID;\n"
	"CREATE TABLE buffers (\n"
	"  run INTEGER NOT NULL, txn INTEGER NOT NULL,\n"
	"  dir TEXT NOT NULL CHECK (dir IN ('out', 'in')),\n"
	"  len INTEGER NOT NULL, bytes BLOB,\n"
	"  PRIMARY KEY (run, txn, dir)) WITHOUT ROWID;\n"
	"CREATE TABLE dma (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL,\n"
	"  addr INTEGER NOT NULL, len INTEGER NOT NULL, what TEXT, bytes BLOB,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX dma_by_event ON dma (run, event);\n"
	"CREATE TABLE interrupts (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL,\n"
	"  msix INTEGER NOT NULL, vector INTEGER, level INTEGER, isr INTEGER,\n"
	"  msg_addr INTEGER, msg_data INTEGER, cause TEXT,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX interrupts_by_event ON interrupts (run, event);\n"
	"CREATE TABLE violations (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, file_offset INTEGER,\n"
	"  name TEXT NOT NULL, queue INTEGER, desc_index INTEGER, addr INTEGER, detail TEXT,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX violations_by_event ON violations (run, event);\n"
	"CREATE INDEX violations_by_name ON violations (run, name);\n"
	"CREATE TABLE divergences (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, file_offset INTEGER,\n"
	"  what TEXT NOT NULL, field TEXT, expected INTEGER, produced INTEGER,\n"
	"  expected_bytes BLOB, produced_bytes BLOB, report TEXT,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX divergences_by_event ON divergences (run, event);\n"
	"CREATE TABLE frames (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, vtime INTEGER,\n"
	"  tx INTEGER NOT NULL, queue INTEGER NOT NULL, len INTEGER NOT NULL, bytes BLOB,\n"
	"  UNIQUE (run, id));\n"
	"CREATE TABLE notes (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, text TEXT NOT NULL,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX notes_by_event ON notes (run, event);\n"
	/* Views: readable forms of the common questions. */
	"CREATE VIEW v_runs AS SELECT id, trace, substr(trace_sha256, 1, 12) AS sha256, device, layout,\n"
	"  printf('0x%x', features_negotiated) AS features, outcome, complete, events, transactions,\n"
	"  divergences, violations, started FROM runs;\n"
	"CREATE VIEW v_events AS SELECT e.run, e.event, e.sub, e.file_offset, e.vtime, k.name AS kind,\n"
	"  e.space, printf('0x%x', e.addr) AS addr, e.size,\n"
	"  CASE WHEN e.value IS NULL THEN NULL ELSE printf('0x%x', e.value) END AS value,\n"
	"  CASE WHEN e.recorded IS NULL THEN NULL ELSE printf('0x%x', e.recorded) END AS recorded,\n"
	"  r.name AS reg, e.len\n"
	"  FROM events e JOIN event_kinds k ON k.code = e.kind LEFT JOIN registers r ON r.id = e.reg;\n"
	"CREATE VIEW v_txn_summary AS SELECT run, id, queue, queue_name, head, first_event, last_event,\n"
	"  latency_events, trim(coalesce(device, '') || ' ' || coalesce(type, '') ||\n"
	"  CASE WHEN coalesce(fields, '') = '' THEN '' ELSE ' ' || fields END ||\n"
	"  CASE WHEN coalesce(status, '') = '' THEN '' ELSE ' status=' || status END) AS summary\n"
	"  FROM transactions;\n"
	"CREATE VIEW v_descriptors AS SELECT run, txn, seq, idx, printf('0x%x', addr) AS addr, len,\n"
	"  trim(CASE WHEN flags & 1 THEN 'NEXT ' ELSE '' END || CASE WHEN flags & 2 THEN 'WRITE ' ELSE '' END ||\n"
	"  CASE WHEN flags & 4 THEN 'INDIRECT' ELSE '' END) AS flags, next, indirect FROM descriptors;\n"
	"CREATE VIEW v_violations AS SELECT run, event, name, queue, desc_index,\n"
	"  printf('0x%x', addr) AS addr, detail FROM violations;\n"
	"CREATE VIEW v_divergences AS SELECT run, event, printf('0x%x', file_offset) AS file_offset, what, field,\n"
	"  printf('0x%x', expected) AS expected, printf('0x%x', produced) AS produced, report FROM divergences;\n"
	"CREATE VIEW v_queue_stats AS SELECT run, queue, min(queue_name) AS queue_name, count(*) AS txns,\n"
	"  sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in,\n"
	"  round(avg(latency_events), 2) AS avg_latency, max(latency_events) AS max_latency\n"
	"  FROM transactions GROUP BY run, queue;\n";

/* Device-model accesses that came with no trace event (e.g. the record command's model driver). */
#define KIND_ACCESS_BASE	0x80	/* + 2*bar + write: cfg-read, cfg-write, bar-read, bar-write */
static const char *const access_kind_names[4] = {
	"model-cfg-read", "model-cfg-write", "model-bar-read", "model-bar-write",
};

enum st {
	ST_BEGIN, ST_COMMIT,
	ST_RUN_INSERT, ST_RUN_END, ST_RUN_ABORT, ST_RUN_PROGRESS,
	ST_KIND, ST_REG_INSERT, ST_REG_SELECT,
	ST_EVENT, ST_TXN, ST_DESC, ST_BUF, ST_DMA, ST_IRQ, ST_VIOL, ST_DIV, ST_FRAME, ST_NOTE,
	ST_COUNT
};

static const char *const st_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_RUN_INSERT] = "INSERT INTO runs (trace, trace_sha256, version, options, device, layout,"
		" features_offered, outcome, complete, started) VALUES (?,?,?,?,?,?,?,'running',0,?)",
	[ST_RUN_END] = "UPDATE runs SET features_negotiated = ?, outcome = ?, complete = ?, events = ?,"
		" transactions = ?, divergences = ?, violations = ? WHERE id = ?",
	[ST_RUN_ABORT] = "UPDATE runs SET outcome = 'aborted', complete = 0, events = ?,"
		" transactions = ?, divergences = ?, violations = ? WHERE id = ?",
	[ST_RUN_PROGRESS] = "UPDATE runs SET events = ?, transactions = ?, divergences = ?, violations = ?"
		" WHERE id = ?",
	[ST_KIND] = "INSERT OR IGNORE INTO event_kinds (code, name) VALUES (?, ?)",
	[ST_REG_INSERT] = "INSERT OR IGNORE INTO registers (name) VALUES (?)",
	[ST_REG_SELECT] = "SELECT id FROM registers WHERE name = ?",
	[ST_EVENT] = "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_TXN] = "INSERT INTO transactions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_DESC] = "INSERT INTO descriptors VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_BUF] = "INSERT INTO buffers VALUES (?,?,?,?,?)",
	[ST_DMA] = "INSERT INTO dma VALUES (?,?,?,?,?,?,?)",
	[ST_IRQ] = "INSERT INTO interrupts VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_VIOL] = "INSERT INTO violations VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_DIV] = "INSERT INTO divergences VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_FRAME] = "INSERT INTO frames VALUES (?,?,?,?,?,?,?,?)",
	[ST_NOTE] = "INSERT INTO notes VALUES (?,?,?,?)",
};

/* Register names interned to small integers (registers table); open addressing on the name. */
struct reg_slot {
	char *name;
	uint32_t hash;
	int64_t id;
};

struct sink_sqlite {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	char *err;
	bool in_txn;
	uint32_t batch_rows;

	int64_t run;
	bool in_run;
	/* per-run counters, also the per-run ids of their tables */
	uint64_t n_events, n_txn, n_dma, n_irq, n_viol, n_div, n_frame, n_note;

	/* the events row being built: a cfg/bar trace event waits for its ACCESS */
	bool pending;
	bool pend_access;
	bool pend_read;
	uint64_t pend_event;
	bool have_last;
	uint64_t last_event;
	uint32_t last_sub;

	uint8_t kind_known[256];

	struct reg_slot *regs;
	size_t nregs, capregs;	/* capregs: power of two */
};

static void set_err(struct sink_sqlite *s, const char *what)
{
	if (s->err == NULL)
		xasprintf(&s->err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* Step a single-row statement and reset it; false after recording the error. */
static bool step(struct sink_sqlite *s, enum st which, const char *what)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		set_err(s, what);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return false;
	}
	sqlite3_reset(st);
	return true;
}

static bool begin(struct sink_sqlite *s)
{
	if (s->in_txn)
		return true;
	if (!step(s, ST_BEGIN, "begin"))
		return false;
	s->in_txn = true;
	s->batch_rows = 0;
	return true;
}

static bool commit(struct sink_sqlite *s)
{
	if (!s->in_txn)
		return true;
	s->in_txn = false;
	return step(s, ST_COMMIT, "commit");
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static void bind_counts(struct sink_sqlite *s, sqlite3_stmt *st)
{
	bind_u64(st, 1, s->n_events);
	bind_u64(st, 2, s->n_txn);
	bind_u64(st, 3, s->n_div);
	bind_u64(st, 4, s->n_viol);
	sqlite3_bind_int64(st, 5, s->run);
}

/*
 * Count a row; a full batch is committed so a crash loses at most one batch,
 * and the run row's counters say what the committed batches hold.
 */
static void row_done(struct sink_sqlite *s)
{
	if (++s->batch_rows >= SINK_SQLITE_BATCH) {
		if (s->in_run) {
			bind_counts(s, s->st[ST_RUN_PROGRESS]);
			step(s, ST_RUN_PROGRESS, "update run counters");
		}
		commit(s);
		begin(s);
	}
}

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

static uint32_t name_hash(const char *p)
{
	uint32_t h = 2166136261u;

	while (*p)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static void regs_grow(struct sink_sqlite *s)
{
	size_t ncap = s->capregs ? s->capregs * 2 : 64;
	struct reg_slot *n = xcalloc(ncap, sizeof(*n));

	for (size_t i = 0; i < s->capregs; i++) {
		struct reg_slot *o = &s->regs[i];

		if (o->name == NULL)
			continue;
		size_t j = o->hash & (ncap - 1);
		while (n[j].name)
			j = (j + 1) & (ncap - 1);
		n[j] = *o;
	}
	free(s->regs);
	s->regs = n;
	s->capregs = ncap;
}

/* The registers.id of name, inserting it on first sight; -1 on error. */
static int64_t reg_id(struct sink_sqlite *s, const char *name)
{
	uint32_t h = name_hash(name);
	size_t j;
	int64_t id = -1;

	if (s->capregs) {
		for (j = h & (s->capregs - 1); s->regs[j].name; j = (j + 1) & (s->capregs - 1))
			if (s->regs[j].hash == h && strcmp(s->regs[j].name, name) == 0)
				return s->regs[j].id;
	}
	sqlite3_bind_text(s->st[ST_REG_INSERT], 1, name, -1, SQLITE_STATIC);
	if (!step(s, ST_REG_INSERT, "insert register"))
		return -1;
	sqlite3_stmt *sel = s->st[ST_REG_SELECT];
	sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(sel) == SQLITE_ROW)
		id = sqlite3_column_int64(sel, 0);
	else
		set_err(s, "look up register");
	sqlite3_reset(sel);
	if (id < 0)
		return -1;
	if ((s->nregs + 1) * 2 > s->capregs)
		regs_grow(s);
	for (j = h & (s->capregs - 1); s->regs[j].name; j = (j + 1) & (s->capregs - 1))
		;
	s->regs[j].name = xstrdup(name);
	s->regs[j].hash = h;
	s->regs[j].id = id;
	s->nregs++;
	return id;
}

static void kind_seen(struct sink_sqlite *s, unsigned code, const char *name)
{
	if (s->kind_known[code & 0xff])
		return;
	s->kind_known[code & 0xff] = 1;
	sqlite3_bind_int(s->st[ST_KIND], 1, (int)(code & 0xff));
	bind_text(s->st[ST_KIND], 2, name ? name : "?");
	step(s, ST_KIND, "insert event kind");
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
	if (step(s, ST_EVENT, "insert event")) {
		s->n_events++;
		row_done(s);
	}
	/* columns 1-9 are bound for every row; the rest only when present */
	for (int i = 10; i <= 14; i++)
		sqlite3_bind_null(s->st[ST_EVENT], i);
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
	commit(s);
	begin(s);
	bind_text(st, 1, r->trace_path);
	bind_text(st, 2, r->trace_sha256);
	bind_text(st, 3, r->version);
	bind_text(st, 4, r->options);
	bind_text(st, 5, r->device);
	bind_text(st, 6, r->layout);
	bind_u64(st, 7, r->features);
	bind_text(st, 8, started);
	if (!step(s, ST_RUN_INSERT, "insert run"))
		return;
	s->run = sqlite3_last_insert_rowid(s->db);
	s->in_run = true;
	s->n_events = s->n_txn = s->n_dma = s->n_irq = 0;
	s->n_viol = s->n_div = s->n_frame = s->n_note = 0;
	s->have_last = false;
	/* The run row is durable before any of its events. */
	commit(s);
	begin(s);
}

/* end == NULL: the run stopped without RUN_END; keep it, marked incomplete. */
static void close_run(struct sink_sqlite *s, const struct vr_ev_run *end)
{
	sqlite3_stmt *st;

	if (!s->in_run)
		return;
	flush_pending(s);
	begin(s);
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
		step(s, ST_RUN_END, "finish run");
	} else {
		bind_counts(s, s->st[ST_RUN_ABORT]);
		step(s, ST_RUN_ABORT, "mark run aborted");
	}
	commit(s);
	s->in_run = false;
}

static void ev_trace(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_trace *t = &ev->u.trace;
	sqlite3_stmt *st = s->st[ST_EVENT];
	const char *kn = t->kind_name ? t->kind_name : "?";
	size_t kl = strlen(kn);
	bool access = strncmp(kn, "cfg-", 4) == 0 || strncmp(kn, "bar-", 4) == 0;
	bool read = kl >= 5 && strcmp(kn + kl - 5, "-read") == 0;

	flush_pending(s);
	kind_seen(s, t->kind, kn);
	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ev->event_no);
	sqlite3_bind_int(st, 3, (int)next_sub(s, ev->event_no));
	bind_u64(st, 4, ev->offset);
	bind_u64(st, 5, ev->vtime);
	sqlite3_bind_int(st, 6, t->kind);
	sqlite3_bind_int(st, 7, t->space);
	bind_u64(st, 8, t->addr);
	sqlite3_bind_int(st, 9, t->size);
	/* value: what was written or produced; recorded: what the real device answered */
	if (t->has_value && !read)
		bind_u64(st, 10, t->value);
	if (t->has_value && read)
		bind_u64(st, 11, t->value);
	if (t->data || t->len)
		sqlite3_bind_int64(st, 13, t->len);
	s->pending = true;
	s->pend_event = ev->event_no;
	s->pend_access = false;
	s->pend_read = read;
	if (access) {
		/* wait for the device's ACCESS to add the register and produced value */
		if (t->data && t->len) {
			uint32_t n = t->len > SINK_SQLITE_MAX_BLOB ? SINK_SQLITE_MAX_BLOB : t->len;
			sqlite3_bind_blob(st, 14, t->data, (int)n, SQLITE_TRANSIENT);
		}
		return;
	}
	bind_blob_static(st, 14, t->data, t->len);
	flush_pending(s);
}

static void ev_access(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_access *a = &ev->u.access;
	sqlite3_stmt *st = s->st[ST_EVENT];
	int64_t reg = a->reg ? reg_id(s, a->reg) : -1;

	if (!(s->pending && s->pend_event == ev->event_no && !s->pend_access)) {
		unsigned code = KIND_ACCESS_BASE + (a->cfg ? 0 : 2) + (a->write ? 1 : 0);

		flush_pending(s);
		kind_seen(s, code, access_kind_names[code - KIND_ACCESS_BASE]);
		sqlite3_bind_int64(st, 1, s->run);
		bind_u64(st, 2, ev->event_no);
		sqlite3_bind_int(st, 3, (int)next_sub(s, ev->event_no));
		bind_u64(st, 4, ev->offset);
		bind_u64(st, 5, ev->vtime);
		sqlite3_bind_int(st, 6, (int)code);
		sqlite3_bind_int(st, 7, a->cfg ? 0 : a->bar);
		bind_u64(st, 8, a->offset);
		sqlite3_bind_int(st, 9, a->size);
		s->pending = true;
		s->pend_event = ev->event_no;
	}
	bind_u64(st, 10, a->value);
	if (reg >= 0)
		sqlite3_bind_int64(st, 12, reg);
	s->pend_access = true;
	flush_pending(s);
}

static void ev_txn(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_txn *t = &ev->u.txn;
	sqlite3_stmt *st = s->st[ST_TXN];
	uint64_t id = ++s->n_txn;

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, id);
	sqlite3_bind_int(st, 3, t->queue);
	bind_text(st, 4, t->queue_name);
	sqlite3_bind_int(st, 5, t->head);
	bind_text(st, 6, t->device);
	bind_text(st, 7, t->type);
	bind_text(st, 8, t->fields);
	bind_text(st, 9, t->status);
	sqlite3_bind_int64(st, 10, t->out_len);
	sqlite3_bind_int64(st, 11, t->in_len);
	sqlite3_bind_int64(st, 12, t->used_len);
	sqlite3_bind_int(st, 13, (int)t->ndesc);
	bind_u64(st, 14, t->first_event);
	bind_u64(st, 15, ev->event_no);
	bind_u64(st, 16, ev->event_no >= t->first_event ? ev->event_no - t->first_event : 0);
	if (!step(s, ST_TXN, "insert transaction"))
		return;
	row_done(s);

	st = s->st[ST_DESC];
	for (unsigned i = 0; t->desc && i < t->ndesc; i++) {
		const struct vr_desc *d = &t->desc[i];

		sqlite3_bind_int64(st, 1, s->run);
		bind_u64(st, 2, id);
		sqlite3_bind_int(st, 3, (int)i);
		sqlite3_bind_int(st, 4, d->index);
		bind_u64(st, 5, d->addr);
		sqlite3_bind_int64(st, 6, d->len);
		sqlite3_bind_int(st, 7, d->flags);
		sqlite3_bind_int(st, 8, d->next);
		sqlite3_bind_int(st, 9, d->indirect);
		if (!step(s, ST_DESC, "insert descriptor"))
			return;
		row_done(s);
	}

	st = s->st[ST_BUF];
	for (int dir = 0; dir < 2; dir++) {
		uint32_t len = dir ? t->in_len : t->out_len;
		uint32_t shown = dir ? t->in_shown : t->out_shown;
		const uint8_t *p = dir ? t->in : t->out;

		if (len == 0)
			continue;
		if (p == NULL)
			shown = 0;
		sqlite3_bind_int64(st, 1, s->run);
		bind_u64(st, 2, id);
		sqlite3_bind_text(st, 3, dir ? "in" : "out", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, len);
		bind_blob_static(st, 5, p, shown < len ? shown : len);
		if (!step(s, ST_BUF, "insert buffer"))
			return;
		row_done(s);
	}
}

static void ev_dma(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_dma *d = &ev->u.dma;
	sqlite3_stmt *st = s->st[ST_DMA];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_dma);
	bind_u64(st, 3, ev->event_no);
	bind_u64(st, 4, d->addr);
	sqlite3_bind_int64(st, 5, d->len);
	bind_text(st, 6, d->what);
	bind_blob_static(st, 7, d->data, d->len);
	if (step(s, ST_DMA, "insert dma"))
		row_done(s);
}

static void ev_irq(struct sink_sqlite *s, const struct vr_event *ev)
{
	const struct vr_ev_irq *q = &ev->u.irq;
	sqlite3_stmt *st = s->st[ST_IRQ];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_irq);
	bind_u64(st, 3, ev->event_no);
	sqlite3_bind_int(st, 4, q->msix);
	if (q->msix) {
		sqlite3_bind_int(st, 5, q->vector);
		sqlite3_bind_null(st, 6);
		sqlite3_bind_null(st, 7);
		bind_u64(st, 8, q->msg_addr);
		sqlite3_bind_int64(st, 9, q->msg_data);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_int(st, 6, q->level);
		sqlite3_bind_int(st, 7, q->isr);
		sqlite3_bind_null(st, 8);
		sqlite3_bind_null(st, 9);
	}
	bind_text(st, 10, q->cause);
	if (step(s, ST_IRQ, "insert interrupt"))
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
	if (step(s, ST_VIOL, "insert violation"))
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
	if (step(s, ST_DIV, "insert divergence"))
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
	if (step(s, ST_FRAME, "insert frame"))
		row_done(s);
}

static void ev_note(struct sink_sqlite *s, const struct vr_event *ev)
{
	sqlite3_stmt *st = s->st[ST_NOTE];

	sqlite3_bind_int64(st, 1, s->run);
	bind_u64(st, 2, ++s->n_note);
	bind_u64(st, 3, ev->event_no);
	bind_text(st, 4, ev->u.note.text ? ev->u.note.text : "");
	if (step(s, ST_NOTE, "insert note"))
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

static int exec_sql(sqlite3 *db, const char *path, const char *sql, char **cause)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		cause_set(cause, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Run a one-integer query; -1 with *cause if it fails (e.g. the file is not a database). */
static int query_int(sqlite3 *db, const char *path, const char *sql, int64_t *out, char **cause)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_NOTADB || sqlite3_errcode(db) == SQLITE_NOTADB)
			cause_set(cause, "%s: not a virtio-replay database (not an SQLite file)", path);
		else
			cause_set(cause, "%s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Classify an open database: 0 = empty (no tables), 1.. = our schema version.
 * A foreign or newer database is an error.
 */
static int check_schema(sqlite3 *db, const char *path, int *version, char **cause)
{
	int64_t app, ver, ntables;

	if (query_int(db, path, "SELECT count(*) FROM sqlite_master", &ntables, cause) < 0 ||
	    query_int(db, path, "PRAGMA application_id", &app, cause) < 0 ||
	    query_int(db, path, "PRAGMA user_version", &ver, cause) < 0)
		return -1;
	if (ntables == 0 && app == 0 && ver == 0) {
		*version = 0;
		return 0;
	}
	if (app != SINK_SQLITE_APP_ID || ver <= 0)
		return cause_set(cause, "%s: not a virtio-replay database (an SQLite database of another program)", path);
	if (ver > SINK_SQLITE_SCHEMA_VERSION)
		return cause_set(cause, "%s: schema version %lld is newer than this program's %d; use a newer virtio-replay",
		    path, (long long)ver, SINK_SQLITE_SCHEMA_VERSION);
	*version = (int)ver;
	return 0;
}

struct sink_sqlite *sink_sqlite_open(const char *path, char **cause)
{
	struct sink_sqlite *s;
	int version;
	char *sql;

	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cause_set(cause, "%s: cannot open database: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	sqlite3_extended_result_codes(s->db, 0);
	if (check_schema(s->db, path, &version, cause) < 0)
		goto fail;
	/*
	 * WAL: a crash never corrupts committed batches and readers (the TUI)
	 * can look while a replay writes. synchronous=NORMAL: a power cut may
	 * lose the last batches, never the database. 16 KiB pages (new files
	 * only) keep a 4 KiB buffer blob on its row's page instead of an
	 * overflow chain; 32 MiB of page cache avoids re-reading b-tree pages.
	 * Checkpoints every 8192 pages (128 MiB of WAL) instead of SQLite's
	 * 1000: each checkpoint copies the b-trees' hot pages (interior, last
	 * leaf) once however many batches rewrote them, and the WAL is read
	 * back fewer times.
	 */
	if (exec_sql(s->db, path, "PRAGMA page_size=16384; PRAGMA cache_size=-32768;"
	    " PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;", cause) < 0)
		goto fail;
	if (version == 0) {
		xasprintf(&sql, "BEGIN; %s PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
		    schema_sql, SINK_SQLITE_APP_ID, SINK_SQLITE_SCHEMA_VERSION);
		int rc = exec_sql(s->db, path, sql, cause);
		free(sql);
		if (rc < 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	/* Schema upgrades from older versions go here once there are any. */
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			cause_set(cause, "%s: prepare: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	return s;
fail:
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
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
		commit(s);
	}
	if (s->err)
		rc = cause_set(cause, "%s", s->err);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
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
	free(s->err);
	free(s->path);
	free(s);
	return rc;
}

struct sqlite3 *sink_sqlite_open_readonly(const char *path, int *version, char **cause)
{
	sqlite3 *db = NULL;
	struct stat sb;
	int v;

	if (stat(path, &sb) < 0) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		cause_set(cause, "%s: not a regular file", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		cause_set(cause, "%s: cannot open database: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	if (check_schema(db, path, &v, cause) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	if (v == 0) {
		cause_set(cause, "%s: not a virtio-replay database (no tables)", path);
		sqlite3_close(db);
		return NULL;
	}
	if (version)
		*version = v;
	return db;
}
