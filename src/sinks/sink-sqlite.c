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

enum st {
	ST_BEGIN, ST_COMMIT,
	ST_RUN_INSERT, ST_RUN_END, ST_RUN_ABORT, ST_RUN_PROGRESS,
	ST_KIND, ST_REG_INSERT, ST_REG_SELECT,
	ST_EVENT, ST_TXN, ST_BLOB, ST_QSTATS, ST_ISTATS_CLEAR, ST_ISTATS, ST_DMA, ST_IRQ, ST_VIOL, ST_DIV, ST_FRAME, ST_NOTE,
	ST_COUNT
};

static const char *const st_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN",
	[ST_COMMIT] = "COMMIT",
	[ST_RUN_INSERT] = "INSERT INTO runs (trace, trace_sha256, version, options, device, layout,"
		" features_offered, outcome, complete, started) VALUES (?,?,?,?,?,?,?,'running',0,?)",
	[ST_RUN_END] = "UPDATE runs SET features_negotiated = ?, outcome = ?, complete = ?, events = ?,"
		" transactions = ?, divergences = ?, violations = ? WHERE id = ?",
	/* Counted, not remembered: after a failed write (disk full) only the committed rows are there. */
	[ST_RUN_ABORT] = "UPDATE runs SET outcome = 'aborted', complete = 0,"
		" events = (SELECT count(*) FROM event_rows WHERE run = ?1),"
		" transactions = (SELECT count(*) FROM transactions WHERE run = ?1),"
		" divergences = (SELECT count(*) FROM divergences WHERE run = ?1),"
		" violations = (SELECT count(*) FROM violations WHERE run = ?1) WHERE id = ?1",
	[ST_RUN_PROGRESS] = "UPDATE runs SET events = ?, transactions = ?, divergences = ?, violations = ?"
		" WHERE id = ?",
	[ST_KIND] = "INSERT OR IGNORE INTO event_kinds (code, name) VALUES (?, ?)",
	[ST_REG_INSERT] = "INSERT OR IGNORE INTO registers (name) VALUES (?)",
	[ST_REG_SELECT] = "SELECT id FROM registers WHERE name = ?",
	[ST_EVENT] = "INSERT INTO event_rows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_TXN] = "INSERT INTO transactions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_BLOB] = "INSERT INTO blobs (bytes) VALUES (?)",
	[ST_QSTATS] = "INSERT OR REPLACE INTO queue_stats VALUES (?,?,?,?,?,?,?,?)",
	[ST_ISTATS_CLEAR] = "DELETE FROM irq_stats WHERE run = ?",
	[ST_ISTATS] = "INSERT INTO irq_stats VALUES (?,?,?,?)",
	[ST_DMA] = "INSERT INTO dma_rows VALUES (?,?,?,?,?,?,?,?)",
	[ST_IRQ] = "INSERT INTO interrupts VALUES (?,?,?,?,?,?,?,?,?,?)",
	[ST_VIOL] = "INSERT INTO violations VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_DIV] = "INSERT INTO divergences VALUES (?,?,?,?,?,?,?,?,?,?,?)",
	[ST_FRAME] = "INSERT INTO frames VALUES (?,?,?,?,?,?,?,?)",
	[ST_NOTE] = "INSERT INTO notes VALUES (?,?,?,?)",
};

/*
 * Rows of the per-event tables wait in memory and go SINK_STAGE_ROWS at a
 * time into their table through one multi-row INSERT: a statement step per
 * block instead of per row, which is most of what a row cost. Values are
 * copied (text and bytes into the stage's arena), so an event's data may go
 * away when its callback returns. A row being built (a trace event waiting
 * for the device's access) survives a flush.
 */
#define SINK_STAGE_ROWS		64

enum cell_type { CELL_NULL, CELL_INT, CELL_TEXT, CELL_BLOB };

struct cell {
	uint8_t type;		/* enum cell_type; zero (all bytes) is NULL */
	uint32_t len;		/* text and bytes */
	int64_t v;		/* the integer, or the offset of text and bytes in the arena */
};

enum stage_id { STG_EVENT, STG_TXN, STG_DMA, STG_IRQ, STG_COUNT };

/* The one-row INSERT of each staged table; the block statement repeats its VALUES. */
static const enum st stage_stmt[STG_COUNT] = {
	[STG_EVENT] = ST_EVENT, [STG_TXN] = ST_TXN, [STG_DMA] = ST_DMA, [STG_IRQ] = ST_IRQ,
};

struct stage {
	sqlite3_stmt *block;
	int ncols;
	unsigned nrows;		/* rows complete, waiting */
	bool building;		/* the row after them is being filled */
	size_t row_arena;	/* where the building row's text and bytes start in the arena */
	struct cell *cells;	/* SINK_STAGE_ROWS + 1 rows */
	struct buf arena;
};

/*
 * Payloads already in blobs, by content: a direct-mapped cache of 128-bit
 * hashes (two independent 64-bit ones) and length. A payload seen again
 * while its slot still holds it is stored as a reference to the first copy.
 */
#define BLOB_CACHE_SLOTS	(1u << 16)
struct blob_slot {
	uint64_t h1, h2;
	uint32_t len;
	int64_t id;		/* 0: empty */
};

/* A queue's transaction totals in the current run (queue_stats), written with each batch. */
struct qstat {
	char *name;		/* least queue_name seen, as min() would give */
	uint64_t txns, bytes_out, bytes_in, latency_sum, max_latency;
	bool dirty;
};

/* Interrupts of the current run per (msix, vector) (irq_stats); vector -1: none (INTx). */
struct istat {
	int msix;
	int64_t vector;
	uint64_t n;
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
	struct stage stages[STG_COUNT];
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
	struct blob_slot *blob_cache;

	struct reg_slot *regs;
	size_t nregs, capregs;	/* capregs: power of two */
	struct buf chain;	/* a transaction's descriptors as JSON */
	struct qstat *qs;	/* by queue index */
	size_t nqs;
	struct istat *is;
	size_t nis;
	bool is_dirty;
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

/* The row being built in stage g (a fresh one is all NULL). */
static struct cell *stage_row(struct stage *g)
{
	struct cell *c = &g->cells[(size_t)g->nrows * (size_t)g->ncols];

	if (!g->building) {
		g->building = true;
		g->row_arena = g->arena.len;
		memset(c, 0, (size_t)g->ncols * sizeof(*c));
	}
	return c;
}

static void cell_int(struct cell *c, int64_t v)
{
	c->type = CELL_INT;
	c->v = v;
}

static void cell_u64(struct cell *c, uint64_t v)
{
	cell_int(c, (int64_t)v);
}

static void cell_bytes(struct stage *g, struct cell *c, enum cell_type type, const void *p, uint32_t n)
{
	c->type = (uint8_t)type;
	c->len = n;
	c->v = (int64_t)g->arena.len;
	buf_add(&g->arena, p, n);
}

/* Text (NULL stays NULL). */
static void cell_text(struct stage *g, struct cell *c, const char *t)
{
	if (t)
		cell_bytes(g, c, CELL_TEXT, t, (uint32_t)strlen(t));
}

/* Bind row r of g at parameter base + 1... of st. */
static void stage_bind(sqlite3_stmt *st, const struct stage *g, unsigned r, int base)
{
	const struct cell *c = &g->cells[(size_t)r * (size_t)g->ncols];
	const char *arena = (const char *)g->arena.data;

	for (int i = 0; i < g->ncols; i++) {
		switch (c[i].type) {
		case CELL_INT:
			sqlite3_bind_int64(st, base + i + 1, c[i].v);
			break;
		case CELL_TEXT:
			sqlite3_bind_text(st, base + i + 1, arena + c[i].v, (int)c[i].len, SQLITE_STATIC);
			break;
		case CELL_BLOB:
			sqlite3_bind_blob(st, base + i + 1, arena + c[i].v, (int)c[i].len, SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(st, base + i + 1);
			break;
		}
	}
}

/*
 * Insert the complete rows of stage k: a full stage in one step of the
 * block statement, fewer row by row. The rows of the events stage are
 * counted in n_events once inserted. A row being built moves to the front.
 */
static void stage_flush(struct sink_sqlite *s, enum stage_id k)
{
	struct stage *g = &s->stages[k];
	unsigned n = g->nrows;
	bool ok = true;

	if (n == SINK_STAGE_ROWS) {
		for (unsigned r = 0; r < n; r++)
			stage_bind(g->block, g, r, (int)r * g->ncols);
		ok = sqlite3_step(g->block) == SQLITE_DONE;
		if (!ok)
			set_err(s, "insert rows");
		sqlite3_reset(g->block);
	} else {
		for (unsigned r = 0; r < n && ok; r++) {
			stage_bind(s->st[stage_stmt[k]], g, r, 0);
			ok = step(s, stage_stmt[k], "insert row");
		}
	}
	if (ok && k == STG_EVENT)
		s->n_events += n;
	g->nrows = 0;
	if (!g->building) {
		buf_reset(&g->arena);
		return;
	}
	struct cell *c = &g->cells[(size_t)n * (size_t)g->ncols];
	size_t from = g->row_arena, len = g->arena.len - from;

	for (int i = 0; i < g->ncols; i++)
		if (c[i].type == CELL_TEXT || c[i].type == CELL_BLOB)
			c[i].v -= (int64_t)from;
	if (n)
		memmove(g->cells, c, (size_t)g->ncols * sizeof(*c));
	memmove(g->arena.data, g->arena.data + from, len);
	g->arena.len = len;
	g->row_arena = 0;
}

static void stages_flush(struct sink_sqlite *s)
{
	for (int k = 0; k < STG_COUNT; k++)
		if (s->err == NULL)
			stage_flush(s, (enum stage_id)k);
}

/* The row being built in stage k is complete. */
static void stage_push(struct sink_sqlite *s, enum stage_id k)
{
	struct stage *g = &s->stages[k];

	g->building = false;
	if (++g->nrows == SINK_STAGE_ROWS)
		stage_flush(s, k);
}

static bool commit(struct sink_sqlite *s)
{
	if (!s->in_txn)
		return true;
	stages_flush(s);
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
static void qstats_write(struct sink_sqlite *s)
{
	sqlite3_stmt *st = s->st[ST_QSTATS];

	for (size_t q = 0; q < s->nqs; q++) {
		struct qstat *x = &s->qs[q];

		if (!x->dirty)
			continue;
		x->dirty = false;
		sqlite3_bind_int64(st, 1, s->run);
		sqlite3_bind_int64(st, 2, (int64_t)q);
		if (x->name)
			sqlite3_bind_text(st, 3, x->name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		bind_u64(st, 4, x->txns);
		bind_u64(st, 5, x->bytes_out);
		bind_u64(st, 6, x->bytes_in);
		bind_u64(st, 7, x->latency_sum);
		bind_u64(st, 8, x->max_latency);
		step(s, ST_QSTATS, "update queue statistics");
	}
}

/* The run's irq_stats rows, replaced whole (a few rows). */
static void istats_write(struct sink_sqlite *s)
{
	sqlite3_stmt *st = s->st[ST_ISTATS];

	if (!s->is_dirty)
		return;
	s->is_dirty = false;
	sqlite3_bind_int64(s->st[ST_ISTATS_CLEAR], 1, s->run);
	step(s, ST_ISTATS_CLEAR, "update interrupt statistics");
	for (size_t i = 0; i < s->nis; i++) {
		sqlite3_bind_int64(st, 1, s->run);
		sqlite3_bind_int(st, 2, s->is[i].msix);
		if (s->is[i].vector >= 0)
			sqlite3_bind_int64(st, 3, s->is[i].vector);
		else
			sqlite3_bind_null(st, 3);
		bind_u64(st, 4, s->is[i].n);
		step(s, ST_ISTATS, "update interrupt statistics");
	}
}

static void istat_count(struct sink_sqlite *s, int msix, int64_t vector)
{
	size_t i;

	for (i = 0; i < s->nis; i++)
		if (s->is[i].msix == msix && s->is[i].vector == vector)
			break;
	if (i == s->nis) {
		s->is = xrealloc(s->is, (s->nis + 1) * sizeof(*s->is));
		s->is[s->nis++] = (struct istat){ .msix = msix, .vector = vector };
	}
	s->is[i].n++;
	s->is_dirty = true;
}

static void qstats_free(struct sink_sqlite *s)
{
	free(s->is);
	s->is = NULL;
	s->nis = 0;
	s->is_dirty = false;
	for (size_t q = 0; q < s->nqs; q++)
		free(s->qs[q].name);
	free(s->qs);
	s->qs = NULL;
	s->nqs = 0;
}

static void row_done(struct sink_sqlite *s)
{
	if (++s->batch_rows >= SINK_SQLITE_BATCH) {
		stages_flush(s);
		if (s->in_run) {
			bind_counts(s, s->st[ST_RUN_PROGRESS]);
			step(s, ST_RUN_PROGRESS, "update run counters");
			qstats_write(s);
			istats_write(s);
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

/* Two 64-bit hashes of p in one pass (multiply-xorshift over 8-byte words). */
static void payload_hash(const uint8_t *p, uint32_t n, uint64_t *h1, uint64_t *h2)
{
	uint64_t a = 0x9e3779b97f4a7c15ull ^ n, b = 0xc2b2ae3d27d4eb4full + n;
	uint32_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		a = (a ^ w) * 0xff51afd7ed558ccdull;
		a ^= a >> 32;
		b = (b + w) * 0x9fb21c651e98df25ull;
		b ^= b >> 29;
	}
	for (; i < n; i++) {
		a = (a ^ p[i]) * 0x100000001b3ull;
		b = (b + p[i]) * 0xd6e8feb86659fd93ull;
	}
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ull;
	a ^= a >> 29;
	b ^= b >> 31;
	b *= 0xff51afd7ed558ccdull;
	b ^= b >> 33;
	*h1 = a;
	*h2 = b;
}

/* blobs.id of the payload p (n > SINK_SQLITE_INLINE bytes), stored on first sight; -1 on error. */
static int64_t blob_ref(struct sink_sqlite *s, const uint8_t *p, uint32_t n)
{
	uint64_t h1, h2;
	struct blob_slot *slot;

	if (n > SINK_SQLITE_MAX_BLOB)
		n = SINK_SQLITE_MAX_BLOB;
	payload_hash(p, n, &h1, &h2);
	slot = &s->blob_cache[h1 & (BLOB_CACHE_SLOTS - 1)];
	if (slot->id && slot->h1 == h1 && slot->h2 == h2 && slot->len == n)
		return slot->id;
	sqlite3_bind_blob(s->st[ST_BLOB], 1, p, (int)n, SQLITE_STATIC);
	if (!step(s, ST_BLOB, "insert payload"))
		return -1;
	slot->h1 = h1;
	slot->h2 = h2;
	slot->len = n;
	slot->id = sqlite3_last_insert_rowid(s->db);
	s->batch_rows++;	/* no commit here: a row referring to it may be half built */
	return slot->id;
}

/*
 * A payload into the cell pair (bytes, payload) at c: short ones inline,
 * longer ones by reference to blobs.
 */
static void cell_payload(struct sink_sqlite *s, struct stage *g, struct cell *c, const uint8_t *p, uint32_t n)
{
	if (p == NULL || n == 0)
		return;
	if (n <= SINK_SQLITE_INLINE) {
		cell_bytes(g, c, CELL_BLOB, p, n);
		return;
	}
	int64_t id = blob_ref(s, p, n);

	if (id > 0)
		cell_int(c + 1, id);
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
	stages_flush(s);	/* the counters say what is in the tables */
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
		sqlite3_bind_int64(s->st[ST_RUN_ABORT], 1, s->run);
		step(s, ST_RUN_ABORT, "mark run aborted");
	}
	qstats_write(s);
	istats_write(s);
	commit(s);
	qstats_free(s);
	s->in_run = false;
	if (s->err == NULL && sqlite3_exec(s->db, sink_sqlite_index_sql, NULL, NULL, NULL) != SQLITE_OK)
		set_err(s, "create indexes");
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
	cell_payload(s, &s->stages[STG_EVENT], &c[13], t->data, t->len);
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
	int64_t reg = a->reg ? reg_id(s, a->reg) : -1;
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

		cell_payload(s, g, &c[dir ? 19 : 17], p, shown < len ? shown : len);
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
	cell_payload(s, g, &c[6], d->data, d->len);
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
	istat_count(s, q->msix, q->msix ? q->vector : -1);
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

/* Stage k: its block statement (the one-row INSERT's VALUES SINK_STAGE_ROWS times) and its rows. */
static int stage_open(struct sink_sqlite *s, enum stage_id k, char **cause)
{
	struct stage *g = &s->stages[k];
	const char *one = st_sql[stage_stmt[k]];
	const char *values = strstr(one, "VALUES (");
	struct buf sql;
	int rc = 0;

	g->ncols = 0;
	for (const char *p = one; *p; p++)
		g->ncols += *p == '?';
	g->cells = xcalloc((size_t)(SINK_STAGE_ROWS + 1) * (size_t)g->ncols, sizeof(*g->cells));
	buf_init(&g->arena);
	buf_init(&sql);
	buf_add(&sql, one, (size_t)(values - one) + strlen("VALUES "));
	for (int r = 0; r < SINK_STAGE_ROWS; r++) {
		buf_add_str(&sql, r ? ",(" : "(");
		for (int i = 0; i < g->ncols; i++)
			buf_add_str(&sql, i ? ",?" : "?");
		buf_add_u8(&sql, ')');
	}
	if (sqlite3_prepare_v3(s->db, buf_str(&sql), -1, SQLITE_PREPARE_PERSISTENT, &g->block, NULL) != SQLITE_OK)
		rc = cause_set(cause, "%s: prepare: %s", s->path, sqlite3_errmsg(s->db));
	buf_release(&sql);
	return rc;
}

static void stages_close(struct sink_sqlite *s)
{
	for (int k = 0; k < STG_COUNT; k++) {
		sqlite3_finalize(s->stages[k].block);
		free(s->stages[k].cells);
		buf_release(&s->stages[k].arena);
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
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			cause_set(cause, "%s: prepare: %s", path, sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	for (int k = 0; k < STG_COUNT; k++)
		if (stage_open(s, (enum stage_id)k, cause) < 0)
			goto fail;
	return s;
fail:
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	stages_close(s);
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
		commit(s);
	}
	if (s->err)
		rc = cause_set(cause, "%s", s->err);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	stages_close(s);
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
	qstats_free(s);
	free(s->blob_cache);
	free(s->err);
	free(s->path);
	free(s);
	return rc;
}
