/* tui.c -- the browser's state machine: layout, key table and handlers, prompt, help, mouse, status */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/tui.h"
#include "tui-int.h"
#include "vr/xmalloc.h"

#define HEX_PANE_W	78	/* "00000000  xx xx ... |16 chars|" */
#define SPLIT_MIN_COLS	120	/* detail and hex side by side from this width on */
#define HSCROLL_STEP	8
#define SPARK_MIN_LIST	24	/* list lines from which the events list shows the queue depth row */


static void set_msg(struct tui *t, bool err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_err = err;
}

/* A model error becomes the status message; the browser goes on. */
void tui_model_err(struct tui *t, char *cause)
{
	set_msg(t, true, "%s", cause ? cause : "database error");
	free(cause);
}

void tui_layout(const struct tui *t, struct tui_layout *l)
{
	int avail;

	memset(l, 0, sizeof(*l));
	l->title_y = 0;
	l->header_y = 1;
	l->list_y = 2;
	/* the key bar goes first when the screen is short */
	l->keybar_y = t->lines >= 8 ? t->lines - 1 : -1;
	l->status_y = t->lines - 1 - (l->keybar_y >= 0);
	if (l->status_y < 0)
		l->status_y = 0;
	avail = l->status_y - 2;
	if (avail < 1)
		avail = 1;
	l->list_h = avail;
	l->spark_y = -1;
	/* a tall events list ends in a sparkline of the queue depth over its events */
	if (t->view == TUI_VIEW_EVENTS && avail >= SPARK_MIN_LIST && (!t->detail_open || avail < 5)) {
		l->list_h = avail - 1;
		l->spark_y = l->list_y + l->list_h;
	}
	if (!t->detail_open || avail < 5)
		return;
	l->list_h = avail * 2 / 5;
	if (l->list_h < 3)
		l->list_h = 3;
	l->sep_y = l->list_y + l->list_h;
	l->pane_y = l->sep_y + 1;
	l->pane_h = l->status_y - l->pane_y;
	if (t->cols >= SPLIT_MIN_COLS) {
		l->show_detail = l->show_hex = true;
		l->detail_x = 0;
		l->detail_w = t->cols - HEX_PANE_W - 1;
		l->hex_x = t->cols - HEX_PANE_W;
		l->hex_w = HEX_PANE_W;
	} else if (t->focus == TUI_FOCUS_HEX) {
		l->show_hex = true;
		l->hex_w = t->cols;
	} else {
		l->show_detail = true;
		l->detail_w = t->cols;
	}
}

int tui_list_h(const struct tui *t)
{
	struct tui_layout l;

	tui_layout(t, &l);
	return l.list_h;
}

int tui_pane_h(const struct tui *t)
{
	struct tui_layout l;

	tui_layout(t, &l);
	return l.pane_h > 0 ? l.pane_h : 1;
}

const struct tui_row *tui_selected(const struct tui *t)
{
	int sel = t->vs[t->view].sel;

	return sel >= 0 && sel < t->nrows ? &t->rows[sel] : NULL;
}

/* ---- key handlers: each returns what to redraw ---- */

static int k_down(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, 1, 0);
	return tui_move_down(t, 1);
}

static int k_up(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, -1, 0);
	return tui_move_up(t, 1);
}

static int k_pgdn(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, tui_pane_h(t), 0);
	return tui_page_down(t);
}

static int k_pgup(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, -(long)tui_pane_h(t), 0);
	return tui_page_up(t);
}

static int k_half_down(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, tui_pane_h(t) / 2 + 1, 0);
	return tui_move_down(t, tui_list_h(t) / 2 + 1);
}

static int k_half_up(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, -(long)(tui_pane_h(t) / 2 + 1), 0);
	return tui_move_up(t, tui_list_h(t) / 2 + 1);
}

static int k_first(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, 0, -1);
	return tui_go_first(t);
}

static int k_last(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return tui_pane_scroll(t, 0, 1);
	return tui_go_last(t);
}

/* Left, Right: scroll the focused list or pane sideways. */
static int *hscroll_of(struct tui *t)
{
	return t->focus == TUI_FOCUS_DETAIL ? &t->detail_left : t->focus == TUI_FOCUS_HEX ? &t->hex_left : &t->hscroll;
}

static int k_left(struct tui *t, int key)
{
	int *h = hscroll_of(t);

	(void)key;
	if (*h == 0)
		return TUI_DRAW_NONE;
	*h = *h > HSCROLL_STEP ? *h - HSCROLL_STEP : 0;
	return TUI_DRAW_LIST | TUI_DRAW_TITLE | TUI_DRAW_PANES;
}

static int k_right(struct tui *t, int key)
{
	int *h = hscroll_of(t);
	int max = t->focus == TUI_FOCUS_LIST ? TUI_ROW_TEXT : tui_pane_width(t);

	(void)key;
	if (*h + HSCROLL_STEP >= max)
		return TUI_DRAW_NONE;
	*h += HSCROLL_STEP;
	return TUI_DRAW_LIST | TUI_DRAW_TITLE | TUI_DRAW_PANES;
}

static int k_prompt(struct tui *t, int key)
{
	t->prompt = key;
	t->ilen = 0;
	t->input[0] = '\0';
	return TUI_DRAW_STATUS;
}

static int do_search(struct tui *t, int dir)
{
	const struct tui_row *r = tui_selected(t);
	struct tui_pos p;
	char *cause = NULL;
	int found;

	if (t->search[0] == '\0') {
		set_msg(t, true, "no previous search");
		return TUI_DRAW_STATUS;
	}
	found = tui_model_search(t->m, t->view, r ? &r->pos : NULL, dir, t->search, &p, &cause);
	if (found < 0) {
		tui_model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "pattern not found %s: %s", dir > 0 ? "below" : "above", t->search);
		return TUI_DRAW_STATUS;
	}
	return tui_go_pos(t, &p);
}

/* u: hide the highlighted matches (n, N or a new search shows them again), as less's ESC-u */
static int k_unmark(struct tui *t, int key)
{
	(void)key;
	if (t->search[0] == '\0')
		return TUI_DRAW_NONE;
	t->search_hidden = !t->search_hidden;
	return TUI_DRAW_LIST | TUI_DRAW_PANES;
}

static int k_next_match(struct tui *t, int key)
{
	t->search_hidden = false;
	return do_search(t, key == 'n' ? t->search_dir : -t->search_dir);
}

/* Event number of the selection, for jumps between views. */
static int64_t current_event(const struct tui *t, int dir)
{
	const struct tui_row *r = tui_selected(t);

	if (r == NULL)
		return dir > 0 ? INT64_MIN : INT64_MAX;
	return r->event;
}

static int goto_event(struct tui *t, int64_t event, bool centre)
{
	struct tui_pos p;
	char *cause = NULL;
	int found = tui_model_goto_event(t->m, t->view, event, &p, &cause);
	int flags;

	if (found < 0) {
		tui_model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "no %s at or after event %" PRId64 "%s", tui_view_name(t->view), event,
		    tui_model_filter(t->m, t->view) ? " under the filter" : "");
		return TUI_DRAW_STATUS;
	}
	flags = centre ? tui_go_pos_centred(t, &p) : tui_go_pos(t, &p);
	if (tui_selected(t) && tui_selected(t)->event != event && t->msg[0] == '\0')
		set_msg(t, false, "event %" PRId64 " is not in this list; at event %" PRId64, event,
		    tui_selected(t)->event);
	return flags;
}

/* v V d D: the next/previous violation or divergence. */
static int k_flagged(struct tui *t, int key)
{
	enum tui_view which = key == 'v' || key == 'V' ? TUI_VIEW_VIOLATIONS : TUI_VIEW_DIVERGENCES;
	int dir = key == 'v' || key == 'd' ? 1 : -1;
	const char *what = which == TUI_VIEW_VIOLATIONS ? "violation" : "divergence";
	int64_t event, id;
	char *cause = NULL;
	int found, flags;

	if (t->view == which) {
		/* in its own list it is just the next row */
		const struct tui_row *before = tui_selected(t);
		struct tui_pos was = before ? before->pos : (struct tui_pos){ 0, 0 };

		flags = dir > 0 ? tui_move_down(t, 1) : tui_move_up(t, 1);
		if (before == NULL || (tui_selected(t) && tui_pos_eq(&tui_selected(t)->pos, &was)))
			set_msg(t, true, "no %s %s", dir > 0 ? "further" : "earlier", what);
		return flags | TUI_DRAW_STATUS;
	}
	found = tui_model_next_flagged(t->m, which, current_event(t, dir), dir, &event, &id, &cause);
	if (found < 0) {
		tui_model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "no %s %s", dir > 0 ? "further" : "earlier", what);
		return TUI_DRAW_STATUS;
	}
	flags = 0;
	if (t->view != TUI_VIEW_EVENTS)
		flags = tui_set_view(t, TUI_VIEW_EVENTS);
	flags |= goto_event(t, event, true);
	if (t->msg[0] == '\0')
		set_msg(t, false, "%s %" PRId64 " at event %" PRId64, what, id, event);
	return flags | TUI_DRAW_STATUS;
}

static int k_enter(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST) {
		t->focus = TUI_FOCUS_LIST;
		return TUI_DRAW_ALL;
	}
	/* the focus stays on the list, so j and k walk the rows with the panes following */
	t->detail_open = !t->detail_open;
	if (t->detail_open && (t->panes_stale || t->detail.n == 0))
		tui_load_panes(t);
	/* the list's height changed: keep the selection on screen */
	tui_relayout(t);
	return TUI_DRAW_ALL;
}

/* Tab, S-Tab: the focus to the next or previous pane, as in termshark (opens the panes if closed) */
static int k_pane(struct tui *t, int key)
{
	int dir = key == TUI_KEY_BTAB ? 2 : 1;

	if (!t->detail_open) {
		t->detail_open = true;
		t->focus = key == TUI_KEY_BTAB ? TUI_FOCUS_HEX : TUI_FOCUS_DETAIL;
		if (t->panes_stale || t->detail.n == 0)
			tui_load_panes(t);
		tui_relayout(t);
		return TUI_DRAW_ALL;
	}
	t->focus = (enum tui_focus)((t->focus + dir) % 3);
	return TUI_DRAW_ALL;
}

/* s: the detail pane shows the queue state at the selected event, or the row's detail again */
static int k_qstate(struct tui *t, int key)
{
	(void)key;
	t->qstate = !t->qstate;
	t->qstate_at = -1;
	t->detail_top = 0;
	t->detail_left = 0;
	if (!t->detail_open) {
		t->detail_open = true;
		tui_load_panes(t);
		tui_relayout(t);
		return TUI_DRAW_ALL;
	}
	tui_load_panes(t);
	return TUI_DRAW_ALL;
}

static int k_close(struct tui *t, int key)
{
	(void)key;
	if (!t->detail_open)
		return TUI_DRAW_NONE;
	t->detail_open = false;
	t->focus = TUI_FOCUS_LIST;
	tui_relayout(t);
	return TUI_DRAW_ALL;
}

static int k_view(struct tui *t, int key)
{
	enum tui_view v;

	if (key >= '1' && key < '1' + TUI_VIEW_COUNT)
		v = (enum tui_view)(key - '1');
	else if (key == 't')
		v = (enum tui_view)((t->view + 1) % TUI_VIEW_COUNT);
	else
		v = (enum tui_view)((t->view + TUI_VIEW_COUNT - 1) % TUI_VIEW_COUNT);
	return tui_set_view(t, v);
}

/* [ ]: the previous or next run of the database, each list from its start */
static int k_run(struct tui *t, int key)
{
	char *cause = NULL;
	int rc = tui_model_step_run(t->m, key == ']' ? 1 : -1, &cause);

	if (rc < 0) {
		tui_model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (rc == 0) {
		set_msg(t, true, "no %s run", key == ']' ? "later" : "earlier");
		return TUI_DRAW_STATUS;
	}
	for (int v = 0; v < TUI_VIEW_COUNT; v++) {
		t->vs[v].from_start = true;
		t->vs[v].sel = 0;
	}
	t->hscroll = 0;
	t->qstate_at = -1;
	tui_reload(t);
	tui_selection_moved(t);
	set_msg(t, false, "run %" PRId64 ": %s", tui_model_run(t->m)->id, tui_model_run(t->m)->trace);
	return TUI_DRAW_ALL;
}

static int k_help(struct tui *t, int key)
{
	(void)key;
	t->help = true;
	t->help_top = 0;
	return TUI_DRAW_ALL;
}

static int k_redraw(struct tui *t, int key)
{
	(void)key;
	return TUI_DRAW_ALL | TUI_DRAW_CLEAR;
}

static int k_quit(struct tui *t, int key)
{
	(void)t;
	(void)key;
	return TUI_QUIT;
}

const struct tui_binding tui_bindings[] = {
	{ 'j', "j", k_down, "next row (in a pane: scroll down)", NULL },
	{ TUI_KEY_DOWN, "Down", k_down, NULL, NULL },
	{ TUI_CTRL('n'), "^N", k_down, NULL, NULL },
	{ TUI_CTRL('e'), "^E", k_down, NULL, NULL },
	{ 'k', "k", k_up, "previous row (in a pane: scroll up)", NULL },
	{ TUI_KEY_UP, "Up", k_up, NULL, NULL },
	{ TUI_CTRL('p'), "^P", k_up, NULL, NULL },
	{ TUI_CTRL('y'), "^Y", k_up, NULL, NULL },
	{ ' ', "Space", k_pgdn, "next page", NULL },
	{ TUI_KEY_PGDN, "PgDn", k_pgdn, NULL, NULL },
	{ TUI_CTRL('f'), "^F", k_pgdn, NULL, NULL },
	{ 'b', "b", k_pgup, "previous page", NULL },
	{ TUI_KEY_PGUP, "PgUp", k_pgup, NULL, NULL },
	{ TUI_CTRL('b'), "^B", k_pgup, NULL, NULL },
	{ TUI_CTRL('d'), "^D", k_half_down, "half a page down", NULL },
	{ TUI_CTRL('u'), "^U", k_half_up, "half a page up", NULL },
	{ 'g', "g", k_first, "first row", NULL },
	{ '<', "<", k_first, NULL, NULL },
	{ TUI_KEY_HOME, "Home", k_first, NULL, NULL },
	{ 'G', "G", k_last, "last row", NULL },
	{ '>', ">", k_last, NULL, NULL },
	{ TUI_KEY_END, "End", k_last, NULL, NULL },
	{ TUI_KEY_LEFT, "Left", k_left, "scroll the focused list or pane left / right", NULL },
	{ TUI_KEY_RIGHT, "Right", k_right, NULL, NULL },
	{ '/', "/", k_prompt, "search forward (register, kind, value; type, fields...)", "Search" },
	{ '?', "?", k_prompt, "search backward", NULL },
	{ 'n', "n", k_next_match, "repeat the search", NULL },
	{ 'N', "N", k_next_match, "repeat the search in the other direction", NULL },
	{ 'u', "u", k_unmark, "hide/show the highlighted search matches", NULL },
	{ ':', ":", k_prompt, "go to event N (other lists: first row at or after N)", "Goto" },
	{ 'f', "f", k_prompt, "filter: kind/register glob, queue, type... (empty: off)", "Filter" },
	{ 'v', "v", k_flagged, "next event with a violation (violations list: next row)", "Viol" },
	{ 'V', "V", k_flagged, "previous violation", NULL },
	{ 'd', "d", k_flagged, "next event with a divergence (divergences: next row)", "Diverg" },
	{ 'D', "D", k_flagged, "previous divergence", NULL },
	{ TUI_KEY_ENTER, "Enter", k_enter, "open/close the detail and hex panes (in a pane: back to the list)", "Panes" },
	{ TUI_KEY_TAB, "Tab", k_pane, "focus the next pane: list, detail, hex", "Focus" },
	{ 'w', "w", k_pane, NULL, NULL },
	{ TUI_KEY_BTAB, "S-Tab", k_pane, "focus the previous pane", NULL },
	{ 's', "s", k_qstate, "queue state at the selected event in the detail pane (again: the detail)", NULL },
	{ TUI_KEY_ESC, "Esc", k_close, "close the panes", NULL },
	{ 'c', "c", k_close, NULL, NULL },
	{ 't', "t", k_view, "next list: events, transactions, violations, divergences", "List" },
	{ 'T', "T", k_view, "previous list", NULL },
	{ '1', "1", k_view, "events", NULL },
	{ '2', "2", k_view, "transactions", NULL },
	{ '3', "3", k_view, "violations", NULL },
	{ '4', "4", k_view, "divergences", NULL },
	{ ']', "]", k_run, "next run of the database", NULL },
	{ '[', "[", k_run, "previous run", NULL },
	{ 'h', "h", k_help, "this help", "Help" },
	{ TUI_KEY_F1, "F1", k_help, NULL, NULL },
	{ TUI_CTRL('l'), "^L", k_redraw, "repaint the screen", NULL },
	{ 'q', "q", k_quit, "quit", "Quit" },
};
const size_t tui_nbindings = sizeof(tui_bindings) / sizeof(tui_bindings[0]);

/* ---- the prompt line: / ? : f ---- */

static int prompt_done(struct tui *t)
{
	int key = t->prompt;
	int64_t n;
	char *cause = NULL;

	t->prompt = 0;
	switch (key) {
	case '/':
	case '?':
		if (t->ilen > 0)
			snprintf(t->search, sizeof(t->search), "%s", t->input);
		t->search_dir = key == '/' ? 1 : -1;
		t->search_hidden = false;
		return do_search(t, t->search_dir) | TUI_DRAW_STATUS;
	case ':':
		if (t->ilen == 0)
			return TUI_DRAW_STATUS;
		if (tui_parse_number(t->input, &n) < 0) {
			set_msg(t, true, "not an event number: %s", t->input);
			return TUI_DRAW_STATUS;
		}
		return goto_event(t, n, false) | TUI_DRAW_STATUS;
	case 'f': {
		int64_t c;

		tui_model_set_filter(t->m, t->view, t->input);
		t->vs[t->view].from_start = true;
		t->vs[t->view].sel = 0;
		tui_reload(t);
		c = tui_model_count(t->m, t->view, &cause);
		if (c < 0)
			tui_model_err(t, cause);
		else if (t->ilen == 0)
			set_msg(t, false, "filter off: %" PRId64 " %s", c, tui_view_name(t->view));
		else
			set_msg(t, c == 0, "filter %s: %" PRId64 " %s", t->input, c, tui_view_name(t->view));
		tui_selection_moved(t);
		return TUI_DRAW_ALL;
	}
	default:
		return TUI_DRAW_STATUS;
	}
}

static int prompt_key(struct tui *t, int key)
{
	if (key == TUI_KEY_ENTER || key == '\r')
		return prompt_done(t);
	if (key == TUI_KEY_ESC || key == TUI_CTRL('g') || key == TUI_CTRL('c')) {
		t->prompt = 0;
		return TUI_DRAW_STATUS;
	}
	if (key == TUI_KEY_BACKSPACE || key == 127 || key == TUI_CTRL('h')) {
		if (t->ilen == 0)
			t->prompt = 0;	/* as in less: backspace on an empty prompt leaves it */
		else
			t->input[--t->ilen] = '\0';
		return TUI_DRAW_STATUS;
	}
	if (key == TUI_CTRL('u')) {
		t->ilen = 0;
		t->input[0] = '\0';
		return TUI_DRAW_STATUS;
	}
	if (key >= 0x20 && key < 0x7f && t->ilen + 1 < sizeof(t->input)) {
		t->input[t->ilen++] = (char)key;
		t->input[t->ilen] = '\0';
	}
	return TUI_DRAW_STATUS;
}

static void build_help(struct tui *t)
{
	tui_text_clear(&t->helptext);
	tui_text_add(&t->helptext, "virtio-replay browse: keys (q, h or Esc to leave this help)");
	tui_text_add(&t->helptext, "%s", "");
	for (size_t i = 0; i < tui_nbindings; i++) {
		char keys[64];
		size_t j = i + 1;
		int n = snprintf(keys, sizeof(keys), "%s", tui_bindings[i].label);

		if (tui_bindings[i].help == NULL)
			continue;
		for (; j < tui_nbindings && tui_bindings[j].help == NULL; j++)
			if (n > 0 && (size_t)n < sizeof(keys))
				n += snprintf(keys + n, sizeof(keys) - (size_t)n, " %s", tui_bindings[j].label);
		tui_text_add(&t->helptext, "  %-16s %s", keys, tui_bindings[i].help);
	}
	tui_text_add(&t->helptext, "%s", "");
	tui_text_add(&t->helptext, "Marks in the first column: V violation, D divergence, * both.");
	tui_text_add(&t->helptext, "'!' before RECORDED: the model read a different value.");
	tui_text_add(&t->helptext, "Searches: case-insensitive substrings. Filters: globs (* ? [..]).");
}

static int help_key(struct tui *t, int key)
{
	switch (key) {
	case 'j': case TUI_KEY_DOWN: case TUI_KEY_ENTER:
		return tui_help_scroll(t, 1, 0);
	case 'k': case TUI_KEY_UP:
		return tui_help_scroll(t, -1, 0);
	case ' ': case TUI_KEY_PGDN: case TUI_CTRL('f'):
		return tui_help_scroll(t, t->lines > 3 ? t->lines - 3 : 1, 0);
	case 'b': case TUI_KEY_PGUP: case TUI_CTRL('b'):
		return tui_help_scroll(t, -(t->lines > 3 ? t->lines - 3 : 1), 0);
	case 'g': case TUI_KEY_HOME:
		return tui_help_scroll(t, 0, -1);
	case 'G': case TUI_KEY_END:
		return tui_help_scroll(t, 0, 1);
	case TUI_CTRL('l'):
		return TUI_DRAW_ALL | TUI_DRAW_CLEAR;
	default:
		t->help = false;
		return TUI_DRAW_ALL;
	}
}

int tui_key(struct tui *t, int key)
{
	t->msg[0] = '\0';
	t->msg_err = false;
	if (t->prompt)
		return prompt_key(t, key);
	if (t->help)
		return help_key(t, key);
	for (size_t i = 0; i < tui_nbindings; i++)
		if (tui_bindings[i].key == key)
			return tui_bindings[i].fn(t, key) | TUI_DRAW_STATUS;
	set_msg(t, true, "unknown key (h for help)");
	return TUI_DRAW_STATUS;
}

/* A tab of the title bar at column x, or -1; the same widths as tui_title writes. */
static int title_tab_at(const struct tui *t, int x)
{
	int at = 0;

	for (int v = 0; v < TUI_VIEW_COUNT; v++) {
		int w = (int)strlen(tui_view_name(v)) + 5;	/* "[1 name] " or " 1 name  " */

		if (x >= at && x < at + w)
			return v;
		at += w;
	}
	(void)t;
	return -1;
}

int tui_mouse(struct tui *t, int y, int x, int button)
{
	struct tui_layout l;
	int wheel = button == TUI_MOUSE_WHEEL_UP ? -3 : button == TUI_MOUSE_WHEEL_DOWN ? 3 : 0;
	int v;

	t->msg[0] = '\0';
	if (t->prompt)
		return TUI_DRAW_NONE;
	if (t->help)
		return wheel ? tui_help_scroll(t, wheel, 0) : TUI_DRAW_NONE;
	tui_layout(t, &l);
	if (y == l.title_y && !wheel && (v = title_tab_at(t, x)) >= 0)
		return tui_set_view(t, (enum tui_view)v);
	if (y >= l.list_y && y < l.list_y + l.list_h) {
		int i = y - l.list_y, flags = t->focus != TUI_FOCUS_LIST ? TUI_DRAW_ALL : 0;

		t->focus = TUI_FOCUS_LIST;
		if (wheel)
			return flags | (wheel > 0 ? tui_move_down(t, wheel) : tui_move_up(t, -wheel));
		if (i >= t->nrows)
			return flags | TUI_DRAW_STATUS;
		t->vs[t->view].sel = i;
		return flags | tui_selection_moved(t);
	}
	if (t->detail_open && y >= l.pane_y && y < l.pane_y + l.pane_h) {
		enum tui_focus f = l.show_hex && (!l.show_detail || x >= l.hex_x) ? TUI_FOCUS_HEX : TUI_FOCUS_DETAIL;

		if (f != t->focus) {
			t->focus = f;
			return TUI_DRAW_ALL;
		}
		return wheel ? tui_pane_scroll(t, wheel, 0) : TUI_DRAW_NONE;
	}
	return TUI_DRAW_NONE;
}

int tui_resize(struct tui *t, int lines, int cols)
{
	t->lines = lines > 1 ? lines : 1;
	t->cols = cols > 1 ? cols : 1;
	tui_relayout(t);
	return TUI_DRAW_ALL | TUI_DRAW_CLEAR;
}

void tui_title(const struct tui *t, char *buf, size_t n)
{
	const struct tui_run *r = tui_model_run(t->m);
	size_t k = 0;

	/* the list tabs first: on a narrow terminal they stay on screen */
	for (int v = 0; v < TUI_VIEW_COUNT && k < n; v++)
		k += (size_t)snprintf(buf + k, n - k, v == (int)t->view ? "[%d %s] " : " %d %s  ", v + 1, tui_view_name(v));
	if (k < n)
		snprintf(buf + k, n - k, "| run %" PRId64 " %s/%s %s%s  %" PRId64 " events %" PRId64 " txns %" PRId64
		    " viol %" PRId64 " div  %s", r->id, r->device, r->layout, r->outcome, r->complete ? "" : " (incomplete)",
		    r->events, r->transactions, r->violations, r->divergences, r->trace);
}

void tui_status(struct tui *t, char *buf, size_t n)
{
	const struct tui_row *r = tui_selected(t);
	const char *f = tui_model_filter(t->m, t->view);
	static const char *const focus[] = { "list", "detail", "hex" };
	char *cause = NULL;
	int64_t count;

	if (t->prompt) {
		snprintf(buf, n, "%s%s", t->prompt == 'f' ? "filter: " : t->prompt == ':' ? ":" :
		    t->prompt == '/' ? "/" : "?", t->input);
		return;
	}
	if (t->msg[0]) {
		snprintf(buf, n, "%s", t->msg);
		return;
	}
	count = tui_model_count(t->m, t->view, &cause);
	if (count < 0) {
		snprintf(buf, n, "%s", cause ? cause : "database error");
		free(cause);
		return;
	}
	if (r == NULL)
		snprintf(buf, n, "%s: none%s%s  (h help, q quit)", tui_view_name(t->view), f ? " under filter " : "",
		    f ? f : "");
	else if (t->view == TUI_VIEW_EVENTS)
		snprintf(buf, n, "event %" PRId64 "%s  [%" PRId64 " %s%s%s]  focus %s  (h help, q quit)", r->pos.a,
		    r->pos.b ? "+" : "", count, f ? "rows, filter " : "events", f ? f : "", "", focus[t->focus]);
	else
		snprintf(buf, n, "%s %" PRId64 ", event %" PRId64 "  [%" PRId64 " %s%s]  focus %s  (h help, q quit)",
		    tui_view_name(t->view), r->pos.a, r->event, count, f ? "rows, filter " : tui_view_name(t->view),
		    f ? f : "", focus[t->focus]);
}

struct tui *tui_new(struct tui_model *m, int lines, int cols)
{
	struct tui *t = xcalloc(1, sizeof(*t));

	t->m = m;
	t->search_dir = 1;
	t->qstate_at = -1;
	for (int v = 0; v < TUI_VIEW_COUNT; v++)
		t->vs[v].from_start = true;
	build_help(t);
	tui_resize(t, lines, cols);
	t->panes_stale = true;
	return t;
}

void tui_free(struct tui *t)
{
	if (t == NULL)
		return;
	tui_model_free(t->m);
	tui_text_clear(&t->detail);
	tui_text_clear(&t->helptext);
	tui_blobs_clear(&t->blobs);
	free(t->rows);
	free(t);
}
