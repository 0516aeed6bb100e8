/* tui-model-int.h -- what the browser's list queries (tui-model.c) and its detail panes (tui-detail.c) share */
#ifndef VR_TUI_MODEL_INT_H
#define VR_TUI_MODEL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "vr/tui-model.h"

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

/* Database strings go to a terminal: printable ASCII only (and sep, a column separator, if not 0). */
void tm_sanitize_keep(char *s, int sep);
void tm_sanitize(char *s);
/* Column readers; ctxt, hexval and optnum return one of a few rotating static buffers. */
bool tm_is_null(sqlite3_stmt *st, int c);
long long tm_i64(sqlite3_stmt *st, int c);
unsigned long long tm_u64(sqlite3_stmt *st, int c);
const char *tm_txt(sqlite3_stmt *st, int c, const char *dflt);
const char *tm_ctxt(sqlite3_stmt *st, int c, const char *dflt);
const char *tm_hexval(sqlite3_stmt *st, int c);
const char *tm_optnum(sqlite3_stmt *st, int c);
char tm_mark_of(sqlite3_stmt *st, int cv, int cd);
bool tm_starts(const char *s, const char *prefix);
/* The difference a divergence row (columns c.. : field, expected, produced) shows, as text. */
void tm_divergence_difference(sqlite3_stmt *st, int c, char *out, size_t n);
/* "PATH: what: sqlite's message" into *cause; -1. */
int tm_db_error(struct tui_model *m, char **cause, const char *what);
/* A statement with ?1 bound to the run shown; NULL with *cause. */
sqlite3_stmt *tm_prep(struct tui_model *m, const char *sql, char **cause);
/* Finalize st; -1 with *cause if its last step (rc) was an error. */
int tm_done(struct tui_model *m, sqlite3_stmt *st, int rc, const char *what, char **cause);

#endif
