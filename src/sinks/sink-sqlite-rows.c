/*
 * sink-sqlite-rows.c -- the store writer's plumbing: its prepared statements,
 * rows staged and inserted SINK_STAGE_ROWS at a time, transactions and the
 * commit of each batch with the run's counters, the queue and interrupt
 * statistics rows, and the caches that store a payload or a register name
 * once. sink-sqlite.c turns events into rows with these.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/sink-sqlite.h"
#include "vr/xmalloc.h"
#include "sink-sqlite-int.h"

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

/* The one-row INSERT of each staged table; the block statement repeats its VALUES. */
static const enum st stage_stmt[STG_COUNT] = {
	[STG_EVENT] = ST_EVENT, [STG_TXN] = ST_TXN, [STG_DMA] = ST_DMA, [STG_IRQ] = ST_IRQ,
};

void sqw_set_err(struct sink_sqlite *s, const char *what)
{
	if (s->err == NULL)
		xasprintf(&s->err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* Step a single-row statement and reset it; false after recording the error. */
bool sqw_step(struct sink_sqlite *s, enum st which, const char *what)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		sqw_set_err(s, what);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return false;
	}
	sqlite3_reset(st);
	return true;
}

bool sqw_begin(struct sink_sqlite *s)
{
	if (s->in_txn)
		return true;
	if (!sqw_step(s, ST_BEGIN, "begin"))
		return false;
	s->in_txn = true;
	s->batch_rows = 0;
	return true;
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
void sqw_stage_flush(struct sink_sqlite *s, enum stage_id k)
{
	struct stage *g = &s->stages[k];
	unsigned n = g->nrows;
	bool ok = true;

	if (n == SINK_STAGE_ROWS) {
		for (unsigned r = 0; r < n; r++)
			stage_bind(g->block, g, r, (int)r * g->ncols);
		ok = sqlite3_step(g->block) == SQLITE_DONE;
		if (!ok)
			sqw_set_err(s, "insert rows");
		sqlite3_reset(g->block);
	} else {
		for (unsigned r = 0; r < n && ok; r++) {
			stage_bind(s->st[stage_stmt[k]], g, r, 0);
			ok = sqw_step(s, stage_stmt[k], "insert row");
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

void sqw_stages_flush(struct sink_sqlite *s)
{
	for (int k = 0; k < STG_COUNT; k++)
		if (s->err == NULL)
			sqw_stage_flush(s, (enum stage_id)k);
}

bool sqw_commit(struct sink_sqlite *s)
{
	if (!s->in_txn)
		return true;
	sqw_stages_flush(s);
	s->in_txn = false;
	return sqw_step(s, ST_COMMIT, "commit");
}

static void bind_counts(struct sink_sqlite *s, sqlite3_stmt *st)
{
	bind_u64(st, 1, s->n_events);
	bind_u64(st, 2, s->n_txn);
	bind_u64(st, 3, s->n_div);
	bind_u64(st, 4, s->n_viol);
	sqlite3_bind_int64(st, 5, s->run);
}

/* The run's queue_stats rows that changed since the last batch. */
void sqw_qstats_write(struct sink_sqlite *s)
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
		sqw_step(s, ST_QSTATS, "update queue statistics");
	}
}

/* The run's irq_stats rows, replaced whole (a few rows). */
void sqw_istats_write(struct sink_sqlite *s)
{
	sqlite3_stmt *st = s->st[ST_ISTATS];

	if (!s->is_dirty)
		return;
	s->is_dirty = false;
	sqlite3_bind_int64(s->st[ST_ISTATS_CLEAR], 1, s->run);
	sqw_step(s, ST_ISTATS_CLEAR, "update interrupt statistics");
	for (size_t i = 0; i < s->nis; i++) {
		sqlite3_bind_int64(st, 1, s->run);
		sqlite3_bind_int(st, 2, s->is[i].msix);
		if (s->is[i].vector >= 0)
			sqlite3_bind_int64(st, 3, s->is[i].vector);
		else
			sqlite3_bind_null(st, 3);
		bind_u64(st, 4, s->is[i].n);
		sqw_step(s, ST_ISTATS, "update interrupt statistics");
	}
}

void sqw_istat_count(struct sink_sqlite *s, int msix, int64_t vector)
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

void sqw_qstats_free(struct sink_sqlite *s)
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
	if (!sqw_step(s, ST_BLOB, "insert payload"))
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
void sqw_cell_payload(struct sink_sqlite *s, struct stage *g, struct cell *c, const uint8_t *p, uint32_t n)
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
int64_t sqw_reg_id(struct sink_sqlite *s, const char *name)
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
	if (!sqw_step(s, ST_REG_INSERT, "insert register"))
		return -1;
	sqlite3_stmt *sel = s->st[ST_REG_SELECT];
	sqlite3_bind_text(sel, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(sel) == SQLITE_ROW)
		id = sqlite3_column_int64(sel, 0);
	else
		sqw_set_err(s, "look up register");
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

/* A full batch: its rows and the run's counters are committed together, so a crash loses at most one batch. */
void sqw_batch_end(struct sink_sqlite *s)
{
	sqw_stages_flush(s);
	if (s->in_run) {
		bind_counts(s, s->st[ST_RUN_PROGRESS]);
		sqw_step(s, ST_RUN_PROGRESS, "update run counters");
		sqw_qstats_write(s);
		sqw_istats_write(s);
	}
	sqw_commit(s);
	sqw_begin(s);
}

int sqw_prepare(struct sink_sqlite *s, char **cause)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, st_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK)
			return cause_set(cause, "%s: prepare: %s", s->path, sqlite3_errmsg(s->db));
	for (int k = 0; k < STG_COUNT; k++)
		if (stage_open(s, (enum stage_id)k, cause) < 0)
			return -1;
	return 0;
}

void sqw_finalize(struct sink_sqlite *s)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	stages_close(s);
}
