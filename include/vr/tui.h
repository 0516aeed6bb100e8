/* tui.h -- the browser's screen state and key bindings; tui-crt.c draws it and feeds it keys */
#ifndef VR_TUI_H
#define VR_TUI_H
#include <stdbool.h>
#include <stddef.h>

#include "vr/tui-model.h"

/*
 * After htop: keys map through one table (tui_bindings) to handlers that
 * change the state and return what must be redrawn. Nothing here knows
 * about the terminal; tui-crt.c turns curses keys into the codes below,
 * draws from struct tui and calls tui_resize() on a resize. The Criterion
 * tests drive the same code with synthetic keys.
 *
 * To add a key: write a handler `static int k_<name>(struct tui *, int key)`
 * in tui.c, add a row to bindings[] (a NULL help line joins the row above
 * in the help screen), and list it in the browse section of virtio-replay(1).
 */

/* Keys that are not characters. */
enum {
	TUI_KEY_UP = 0x1000, TUI_KEY_DOWN, TUI_KEY_LEFT, TUI_KEY_RIGHT,
	TUI_KEY_PGUP, TUI_KEY_PGDN, TUI_KEY_HOME, TUI_KEY_END,
	TUI_KEY_BTAB, TUI_KEY_F1, TUI_KEY_BACKSPACE,
};
#define TUI_KEY_ENTER	'\n'
#define TUI_KEY_ESC	27
#define TUI_KEY_TAB	'\t'
#define TUI_CTRL(c)	((c) & 0x1f)

/* What a key changed; the terminal redraws those parts. */
enum {
	TUI_DRAW_NONE = 0,
	TUI_DRAW_TITLE = 1 << 0,
	TUI_DRAW_LIST = 1 << 1,
	TUI_DRAW_PANES = 1 << 2,	/* detail and hex */
	TUI_DRAW_STATUS = 1 << 3,
	TUI_DRAW_ALL = 0xff,
	TUI_DRAW_CLEAR = 1 << 8,	/* repaint the terminal from scratch (Ctrl-L) */
	TUI_QUIT = 1 << 9,
};

enum tui_focus { TUI_FOCUS_LIST, TUI_FOCUS_DETAIL, TUI_FOCUS_HEX };

#define TUI_MAX_COLS	12
#define TUI_LINE	512	/* bytes for one rendered list line */

/* Where things go on a lines x cols screen. */
struct tui_layout {
	int title_y, header_y;
	int list_y, list_h;
	int sep_y;		/* the line above the panes (detail open) */
	int pane_y, pane_h;
	bool show_detail, show_hex;
	int detail_x, detail_w, hex_x, hex_w;
	int status_y;
	int keybar_y;		/* -1: no room for the key bar */
	int spark_y;		/* the queue depth row under the events list, -1: none */
};

/* Each list view keeps its place while another is shown. */
struct tui_vstate {
	struct tui_pos top;	/* key of the first row on screen */
	bool from_start;	/* top is "the very first row" (not yet known or view reset) */
	int sel;		/* selected row, index on screen */
	struct tui_pos selpos;	/* the selected row when another view was shown */
	bool has_selpos;
};

struct tui {
	struct tui_model *m;
	int lines, cols;
	enum tui_view view;
	struct tui_vstate vs[TUI_VIEW_COUNT];
	struct tui_row *rows;	/* the rows on screen, read by keyset */
	int nrows, caprows;
	int hscroll;		/* columns the list is shifted left */
	int ncols, colw[TUI_MAX_COLS];	/* the list's columns, sized to the rows on screen */
	int spark[TUI_LINE];	/* requests in flight across the events on screen, per column */
	int nspark;
	bool colright[TUI_MAX_COLS];

	bool detail_open;
	bool qstate;		/* s: the detail pane shows the queue state at the selected event */
	int64_t qstate_at;	/* the event it was read for (-1: none) */
	enum tui_focus focus;
	bool panes_stale;	/* the selection moved since the panes were read */
	struct tui_text detail;
	size_t detail_top;
	struct tui_blobs blobs;
	size_t hex_top;
	int detail_left, hex_left;	/* columns the panes are scrolled right */

	bool help;
	struct tui_text helptext;
	size_t help_top;

	int prompt;		/* 0, or the key that opened the prompt: / ? : f */
	char input[128];
	size_t ilen;
	char search[128];	/* the last search, repeated by n and N */
	int search_dir;
	bool search_hidden;	/* u: matches not highlighted until the next search */

	char msg[256];		/* shown on the status line until the next key */
	bool msg_err;
};

struct tui_binding {
	int key;
	const char *label;	/* as shown in the help screen */
	int (*fn)(struct tui *t, int key);
	const char *help;	/* NULL: same action as the row above */
	const char *bar;	/* its name in the key bar, NULL: not there */
};
extern const struct tui_binding tui_bindings[];
extern const size_t tui_nbindings;

/* The state for model m on a lines x cols screen (takes m, freed by tui_free). */
struct tui *tui_new(struct tui_model *m, int lines, int cols);
void tui_free(struct tui *t);
/* A key (a character or TUI_KEY_*): returns TUI_DRAW_* flags, TUI_QUIT to leave. */
int tui_key(struct tui *t, int key);
/* Mouse buttons tui_mouse knows. */
enum { TUI_MOUSE_CLICK = 1, TUI_MOUSE_WHEEL_UP, TUI_MOUSE_WHEEL_DOWN };
/*
 * A mouse button at screen line y, column x: a click selects a list row,
 * focuses a pane or switches to a list tab of the title; the wheel scrolls
 * what is under it. Returns TUI_DRAW_* flags.
 */
int tui_mouse(struct tui *t, int y, int x, int button);
/* The screen changed size: returns TUI_DRAW_* flags. */
int tui_resize(struct tui *t, int lines, int cols);
void tui_layout(const struct tui *t, struct tui_layout *l);
/* The selected row, NULL if the view is empty. */
const struct tui_row *tui_selected(const struct tui *t);
/* The queue depth row as text (TUI_LINE bytes): a label, then one level character a column. */
void tui_spark_line(const struct tui *t, char *out);
/* List line i (0 <= i < nrows; -1 the column titles), columns aligned, into out (TUI_LINE bytes). */
void tui_list_line(const struct tui *t, int i, char *out);
/*
 * Mark in hl (n bytes, for the first n columns of s) the columns of s where
 * the last search matches, case-insensitively as the search compares.
 * Returns the number of matches (0: no search, or none in s).
 */
int tui_match_mask(const struct tui *t, const char *s, char *hl, size_t n);
/* The title bar and the status line (prompt, message or position) as text. */
void tui_title(const struct tui *t, char *buf, size_t n);
void tui_status(struct tui *t, char *buf, size_t n);

#endif
