/*
 * sink-sqlite-int.h -- what the store's writer shares: sink-sqlite.c (events
 * into rows, opening and closing), sink-sqlite-rows.c (staged rows, statements,
 * transactions, statistics rows, the payload and register caches) and
 * sink-sqlite-schema.c (the tables). The staging calls every event makes are
 * inline here, so the split costs the hot path no calls.
 */
#ifndef VR_SINK_SQLITE_INT_H
#define VR_SINK_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/buf.h"
#include "vr/sink-sqlite.h"

/* The tables version 1 had in the same form, and the current per-event tables and views. */
extern const char sink_sqlite_common_sql[];
extern const char sink_sqlite_tables_sql[];
/* Secondary indexes of the per-event tables, built when a run ends (IF NOT EXISTS). */
extern const char sink_sqlite_index_sql[];

/* Run SQL; -1 with "PATH: message" in *cause if it fails. */
int sink_sqlite_exec(sqlite3 *db, const char *path, const char *sql, char **cause);
/* Classify an open database: *version 0 = empty, 1.. = our schema; a foreign or newer one is an error. */
int sink_sqlite_check_schema(sqlite3 *db, const char *path, int *version, char **cause);

/* ---- the writer's state ---- */

enum st {
	ST_BEGIN, ST_COMMIT,
	ST_RUN_INSERT, ST_RUN_END, ST_RUN_ABORT, ST_RUN_PROGRESS,
	ST_KIND, ST_REG_INSERT, ST_REG_SELECT,
	ST_EVENT, ST_TXN, ST_BLOB, ST_QSTATS, ST_ISTATS_CLEAR, ST_ISTATS, ST_DMA, ST_IRQ, ST_VIOL, ST_DIV, ST_FRAME, ST_NOTE,
	ST_COUNT
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


/* sink-sqlite-rows.c */
void sqw_set_err(struct sink_sqlite *s, const char *what);	/* keeps the first error */
bool sqw_step(struct sink_sqlite *s, enum st which, const char *what);
bool sqw_begin(struct sink_sqlite *s);
bool sqw_commit(struct sink_sqlite *s);
void sqw_stage_flush(struct sink_sqlite *s, enum stage_id k);
void sqw_stages_flush(struct sink_sqlite *s);
void sqw_batch_end(struct sink_sqlite *s);
void sqw_qstats_write(struct sink_sqlite *s);
void sqw_istats_write(struct sink_sqlite *s);
void sqw_istat_count(struct sink_sqlite *s, int msix, int64_t vector);
void sqw_qstats_free(struct sink_sqlite *s);
void sqw_cell_payload(struct sink_sqlite *s, struct stage *g, struct cell *c, const uint8_t *p, uint32_t n);
int64_t sqw_reg_id(struct sink_sqlite *s, const char *name);
/* Prepare every statement and stage block; -1 with "PATH: prepare: ..." in *cause. */
int sqw_prepare(struct sink_sqlite *s, char **cause);
/* Finalize what sqw_prepare made (also after it failed half way). */
void sqw_finalize(struct sink_sqlite *s);

/* ---- staging, inline: every event calls these ---- */

/* The row being built in stage g (a fresh one is all NULL). */
static inline struct cell *stage_row(struct stage *g)
{
	struct cell *c = &g->cells[(size_t)g->nrows * (size_t)g->ncols];

	if (!g->building) {
		g->building = true;
		g->row_arena = g->arena.len;
		memset(c, 0, (size_t)g->ncols * sizeof(*c));
	}
	return c;
}

static inline void cell_int(struct cell *c, int64_t v)
{
	c->type = CELL_INT;
	c->v = v;
}

static inline void cell_u64(struct cell *c, uint64_t v)
{
	cell_int(c, (int64_t)v);
}

static inline void cell_bytes(struct stage *g, struct cell *c, enum cell_type type, const void *p, uint32_t n)
{
	c->type = (uint8_t)type;
	c->len = n;
	c->v = (int64_t)g->arena.len;
	buf_add(&g->arena, p, n);
}

/* Text (NULL stays NULL). */
static inline void cell_text(struct stage *g, struct cell *c, const char *t)
{
	if (t)
		cell_bytes(g, c, CELL_TEXT, t, (uint32_t)strlen(t));
}

static inline void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/* The row being built in stage k is complete. */
static inline void stage_push(struct sink_sqlite *s, enum stage_id k)
{
	struct stage *g = &s->stages[k];

	g->building = false;
	if (++g->nrows == SINK_STAGE_ROWS)
		sqw_stage_flush(s, k);
}
/*
 * Count a row; a full batch is committed so a crash loses at most one batch,
 * and the run row's counters say what the committed batches hold.
 */
static inline void row_done(struct sink_sqlite *s)
{
	if (++s->batch_rows >= SINK_SQLITE_BATCH)
		sqw_batch_end(s);
}

#endif
