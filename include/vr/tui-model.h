/* tui-model.h -- what the browser shows, read from a replay database; no terminal code here */
#ifndef VR_TUI_MODEL_H
#define VR_TUI_MODEL_H
#include <stddef.h>
#include <stdint.h>

#include "vr/tui-hex.h"

/*
 * The browser never loads a table: every list is read a window at a time by
 * keyset (rows whose key is >= or < a position, ORDER BY key LIMIT n), so
 * memory stays flat whether a run has ten events or ten million. Strings
 * coming from the database are cut to printable ASCII before they reach the
 * screen. Errors (a database changed or damaged underneath) come back as
 * -1 and *cause; the caller shows them and goes on.
 */

enum tui_view {
	TUI_VIEW_EVENTS,	/* raw trace events */
	TUI_VIEW_TXNS,		/* decoded transactions */
	TUI_VIEW_VIOLATIONS,
	TUI_VIEW_DIVERGENCES,
	TUI_VIEW_COUNT
};

/* A row's key in its view: events (event, sub); the other views (id, 0). */
struct tui_pos {
	int64_t a, b;
};

#define TUI_ROW_TEXT	320

enum tui_mark {
	TUI_MARK_NONE = ' ',
	TUI_MARK_VIOLATION = 'V',
	TUI_MARK_DIVERGENCE = 'D',
	TUI_MARK_BOTH = '*',
};

/*
 * A row's text and a view's header are columns separated by TUI_COL_SEP;
 * the browser sizes each column to the widest cell on screen. A header
 * title starting with '>' is a right-aligned (numeric) column.
 */
#define TUI_COL_SEP	0x1f

struct tui_row {
	struct tui_pos pos;
	int64_t event;		/* the event the row is about (first_event for a transaction) */
	char mark;		/* enum tui_mark */
	char text[TUI_ROW_TEXT];	/* the columns, separated by TUI_COL_SEP */
};

struct tui_run {
	int64_t id;
	char trace[256];
	char device[16];
	char layout[16];
	char outcome[16];
	int complete;
	int64_t events, transactions, divergences, violations;
};

/* Lines of text (the detail pane, the help screen). */
struct tui_text {
	char **line;
	size_t n, cap;
};


struct tui_model;
struct sqlite3;

/*
 * Open path read-only (through sink_sqlite_open_readonly) and select run
 * (0: the newest). Fails for a missing, foreign or newer-schema database, a
 * database without runs, or a run that does not exist.
 */
struct tui_model *tui_model_open(const char *path, int64_t run, char **cause);
void tui_model_free(struct tui_model *m);
/*
 * Switch to the next (dir > 0) or previous run of the database; filters
 * stay. 1 switched, 0 no such run, -1 error (the run is unchanged).
 */
int tui_model_step_run(struct tui_model *m, int dir, char **cause);
const struct tui_run *tui_model_run(const struct tui_model *m);
const char *tui_model_path(const struct tui_model *m);
const char *tui_view_name(enum tui_view v);
/* The column titles of a view, separated by TUI_COL_SEP as in tui_row.text. */
const char *tui_model_header(enum tui_view v);

/*
 * Filter a view (NULL or "" clears). events: kind or register name, a glob
 * ("bar-*", "common.queue_*"); transactions: a queue number, or a glob on
 * type, queue name or status; violations: a queue number or a glob on the
 * name; divergences: a glob on what or field.
 */
void tui_model_set_filter(struct tui_model *m, enum tui_view v, const char *filter);
const char *tui_model_filter(const struct tui_model *m, enum tui_view v);

/*
 * Read up to n rows of view v, in key order, into rows. dir > 0: the first
 * rows whose key is >= *from (from NULL: from the start); dir < 0: the last
 * rows whose key is < *from (from NULL: up to the end). Returns the number
 * of rows, or -1.
 */
int tui_model_fetch(struct tui_model *m, enum tui_view v, const struct tui_pos *from, int dir,
    struct tui_row *rows, int n, char **cause);
/*
 * Rows of view v: without a filter the run's own counter (runs.events...),
 * under a filter counted once (a scan). -1 on error.
 */
int64_t tui_model_count(struct tui_model *m, enum tui_view v, char **cause);

/*
 * The next (dir > 0) or previous row after/before *from whose text contains
 * needle (case-insensitive): events search kind, register and hex values;
 * transactions queue name, type, fields and status; violations name and
 * detail; divergences what, field and report. 1 found (*out set), 0 none, -1 error.
 */
int tui_model_search(struct tui_model *m, enum tui_view v, const struct tui_pos *from, int dir,
    const char *needle, struct tui_pos *out, char **cause);
/* The first row of view v (under its filter) about event >= event. 1 / 0 / -1 as above. */
int tui_model_goto_event(struct tui_model *m, enum tui_view v, int64_t event, struct tui_pos *out, char **cause);
/*
 * The next (dir > 0, event > after) or previous (dir < 0, event < after)
 * event with a violation (which == TUI_VIEW_VIOLATIONS) or a divergence
 * (TUI_VIEW_DIVERGENCES). 1 found (*event_out, and *id_out the row id), 0 none, -1 error.
 */
int tui_model_next_flagged(struct tui_model *m, enum tui_view which, int64_t after, int dir,
    int64_t *event_out, int64_t *id_out, char **cause);

/*
 * Queue depth over events first..last cut into n equal spans: depth[i] is
 * the number of requests (all queues) in flight during span i. 0 / -1.
 */
int tui_model_depth(struct tui_model *m, int64_t first, int64_t last, int *depth, int n, char **cause);

/* Everything about one row (all columns, descriptor walk, report...), replacing out. 0 / -1. */
int tui_model_detail(struct tui_model *m, enum tui_view v, const struct tui_pos *pos, struct tui_text *out,
    char **cause);
/* The queue-state panel as of event (see tui_qstate), replacing out. 0 / -1. */
int tui_model_qstate(struct tui_model *m, int64_t event, struct tui_text *out, char **cause);
/* The bytes of one row (payload, buffers, expected/produced), replacing out. 0 / -1. */
int tui_model_bytes(struct tui_model *m, enum tui_view v, const struct tui_pos *pos, struct tui_blobs *out,
    char **cause);

/* Parse a non-negative number, decimal or 0x hex (no sign, no octal), up to INT64_MAX. 0 / -1. */
int tui_parse_number(const char *s, int64_t *out);

void tui_text_clear(struct tui_text *t);
void tui_text_add(struct tui_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
