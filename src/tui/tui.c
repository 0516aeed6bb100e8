/* tui.c -- the browser's state machine: key table, handlers, paging the lists a screen at a time */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/tui.h"
#include "vr/xmalloc.h"

#define HEX_PANE_W	78	/* "00000000  xx xx ... |16 chars|" */
#define SPLIT_MIN_COLS	120	/* detail and hex side by side from this width on */
#define HSCROLL_STEP	8
#define SPARK_MIN_LIST	24
#define SPARK_LABEL	16	/* "in flight NNN " and a margin */	/* list lines from which the events list shows the queue depth row */

/* The search compares as SQLite's lower() does: ASCII letters only. */
static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

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
static void model_err(struct tui *t, char *cause)
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

static int list_h(const struct tui *t)
{
	struct tui_layout l;

	tui_layout(t, &l);
	return l.list_h;
}

static int pane_h(const struct tui *t)
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

static bool pos_eq(const struct tui_pos *a, const struct tui_pos *b)
{
	return a->a == b->a && a->b == b->b;
}

static void load_panes(struct tui *t)
{
	const struct tui_row *r = tui_selected(t);
	char *cause = NULL;

	t->panes_stale = false;
	if (!t->qstate || r == NULL || t->qstate_at != r->event)
		t->detail_top = 0;
	t->hex_top = 0;
	if (r == NULL) {
		t->qstate_at = -1;
		tui_text_clear(&t->detail);
		tui_blobs_clear(&t->blobs);
		tui_text_add(&t->detail, "no %s in this run%s", tui_view_name(t->view),
		    tui_model_filter(t->m, t->view) ? " under the filter" : "");
		return;
	}
	if (t->qstate) {
		/* rows of one event share it: read once per event */
		if (t->qstate_at != r->event || t->detail.n == 0) {
			t->qstate_at = r->event;
			if (tui_model_qstate(t->m, r->event, &t->detail, &cause) < 0) {
				t->qstate_at = -1;
				model_err(t, cause);
			}
		}
	} else if (tui_model_detail(t->m, t->view, &r->pos, &t->detail, &cause) < 0) {
		model_err(t, cause);
	}
	cause = NULL;
	if (tui_model_bytes(t->m, t->view, &r->pos, &t->blobs, &cause) < 0)
		model_err(t, cause);
}

/* The selection moved: the panes follow it if they are open. */
static int selection_moved(struct tui *t)
{
	t->panes_stale = true;
	if (t->detail_open) {
		load_panes(t);
		return TUI_DRAW_LIST | TUI_DRAW_PANES | TUI_DRAW_STATUS;
	}
	return TUI_DRAW_LIST | TUI_DRAW_STATUS;
}

/* ---- the queue depth over the events on screen ---- */

static void spark(struct tui *t)
{
	struct tui_layout l;
	char *cause = NULL;

	tui_layout(t, &l);
	t->nspark = 0;
	if (l.spark_y < 0 || t->nrows == 0)
		return;
	t->nspark = t->cols - SPARK_LABEL;
	if (t->nspark > TUI_LINE - SPARK_LABEL - 1)
		t->nspark = TUI_LINE - SPARK_LABEL - 1;
	if (t->nspark <= 0 || tui_model_depth(t->m, t->rows[0].event, t->rows[t->nrows - 1].event, t->spark,
	    t->nspark, &cause) < 0) {
		t->nspark = 0;
		free(cause);
	}
}

void tui_spark_line(const struct tui *t, char *out)
{
	static const char level[] = " .:-=+*#";
	int max = 0, k;

	for (int i = 0; i < t->nspark; i++)
		if (t->spark[i] > max)
			max = t->spark[i];
	k = snprintf(out, TUI_LINE, "in flight %3d ", max);
	for (int i = 0; i < t->nspark && k + 1 < TUI_LINE; i++) {
		/* 0 blank; otherwise 1..7 in proportion to the busiest column */
		int v = t->spark[i] == 0 ? 0 : 1 + (t->spark[i] - 1) * 6 / (max > 1 ? max - 1 : 1);

		out[k++] = level[v];
	}
	out[k] = '\0';
}

/* ---- search matches, highlighted where they show ---- */

int tui_match_mask(const struct tui *t, const char *s, char *hl, size_t n)
{
	size_t nl = strlen(t->search), len = strlen(s);
	int found = 0;

	memset(hl, 0, n);
	if (nl == 0 || t->search_hidden)
		return 0;
	for (size_t i = 0; i + nl <= len; i++) {
		size_t k = 0;

		while (k < nl && ascii_lower(s[i + k]) == ascii_lower(t->search[k]))
			k++;
		if (k < nl)
			continue;
		for (k = 0; k < nl && i + k < n; k++)
			hl[i + k] = 1;
		found++;
		i += nl - 1;
	}
	return found;
}

/* ---- columns sized to what is on screen ---- */

#define COL_GAP		2
#define COL_MIN		12	/* a text column is cut no narrower than this to fit the screen */

/* Cell k of a TUI_COL_SEP separated line: its start and length; false past the last. */
static bool cell(const char *s, int k, const char **start, int *len)
{
	for (; k > 0; k--) {
		s = strchr(s, TUI_COL_SEP);
		if (s == NULL)
			return false;
		s++;
	}
	*start = s;
	*len = (int)strcspn(s, "\x1f");
	return true;
}

static void size_columns(struct tui *t)
{
	const char *h = tui_model_header(t->view), *c;
	int len, total = 0, avail = t->cols - 2;

	for (t->ncols = 0; t->ncols < TUI_MAX_COLS && cell(h, t->ncols, &c, &len); t->ncols++) {
		t->colright[t->ncols] = len > 0 && c[0] == '>';
		t->colw[t->ncols] = len - t->colright[t->ncols];
	}
	for (int i = 0; i < t->nrows; i++)
		for (int k = 0; k < t->ncols && cell(t->rows[i].text, k, &c, &len); k++)
			if (len > t->colw[k])
				t->colw[k] = len;
	for (int k = 0; k < t->ncols; k++)
		total += t->colw[k] + (k ? COL_GAP : 0);
	/* too wide: cut the widest text column (never the last, which runs off the edge) */
	while (total > avail) {
		int widest = -1;

		for (int k = 0; k + 1 < t->ncols; k++)
			if (!t->colright[k] && t->colw[k] > COL_MIN && (widest < 0 || t->colw[k] > t->colw[widest]))
				widest = k;
		if (widest < 0)
			break;
		len = t->colw[widest] - (total - avail);
		if (len < COL_MIN)
			len = COL_MIN;
		total -= t->colw[widest] - len;
		t->colw[widest] = len;
	}
}

void tui_list_line(const struct tui *t, int i, char *out)
{
	const char *s = i < 0 ? tui_model_header(t->view) : i < t->nrows ? t->rows[i].text : "";
	size_t o = 0;

	out[0] = '\0';
	for (int k = 0; k < t->ncols; k++) {
		const char *c;
		int len, w = t->colw[k], pad;

		if (!cell(s, k, &c, &len))
			break;
		if (i < 0 && t->colright[k]) {
			c++;
			len--;
		}
		if (k + 1 == t->ncols)
			w = len;	/* the last column is not padded */
		pad = w > len ? w - len : 0;
		if (len > w)
			len = w;
		if (o + (size_t)w + COL_GAP + 1 >= TUI_LINE)
			break;
		if (k > 0)
			o += (size_t)snprintf(out + o, TUI_LINE - o, "%*s", COL_GAP, "");
		if (t->colright[k])
			o += (size_t)snprintf(out + o, TUI_LINE - o, "%*s%.*s", pad, "", len, c);
		else
			o += (size_t)snprintf(out + o, TUI_LINE - o, "%.*s%*s", len, c, pad, "");
		/* a cell cut to fit ends in '~' */
		if (len < (int)strcspn(c, "\x1f") && len > 0 && !(i < 0))
			out[o - (size_t)pad - 1] = '~';
	}
}

/*
 * Read the screenful starting at the view's top row. Near the end there may
 * be fewer rows than lines: the window then slides back so the screen stays
 * full, as less does at the end of a file.
 */
static void rows_reserve(struct tui *t, int h)
{
	if (t->caprows < h) {
		t->rows = xreallocarray(t->rows, (size_t)h, sizeof(*t->rows));
		t->caprows = h;
	}
}

static void reload(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = list_h(t), n, k;
	char *cause = NULL;

	rows_reserve(t, h);
	n = tui_model_fetch(t->m, t->view, vs->from_start ? NULL : &vs->top, 1, t->rows, h, &cause);
	if (n < 0) {
		model_err(t, cause);
		t->nrows = 0;
		vs->sel = 0;
		return;
	}
	if (n < h && !vs->from_start) {
		struct tui_row *before = xreallocarray(NULL, (size_t)(h - n), sizeof(*before));
		struct tui_pos p = n ? t->rows[0].pos : vs->top;

		k = tui_model_fetch(t->m, t->view, &p, -1, before, h - n, &cause);
		if (k < 0) {
			model_err(t, cause);
			k = 0;
		}
		if (k > 0) {
			memmove(t->rows + k, t->rows, (size_t)n * sizeof(*t->rows));
			memcpy(t->rows, before, (size_t)k * sizeof(*t->rows));
			vs->sel += k;
			n += k;
		}
		free(before);
	}
	t->nrows = n;
	size_columns(t);
	spark(t);
	if (n > 0) {
		vs->top = t->rows[0].pos;
		vs->from_start = false;
	}
	if (vs->sel >= n)
		vs->sel = n - 1;
	if (vs->sel < 0)
		vs->sel = 0;
}

/* The key of the row after the last on screen; false at the end. */
static bool row_after_last(struct tui *t, struct tui_pos *out)
{
	struct tui_row r[2];
	char *cause = NULL;
	int n;

	if (t->nrows == 0)
		return false;
	n = tui_model_fetch(t->m, t->view, &t->rows[t->nrows - 1].pos, 1, r, 2, &cause);
	if (n < 0)
		model_err(t, cause);
	if (n < 2)
		return false;
	*out = r[1].pos;
	return true;
}

static int move_down(struct tui *t, int count)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int moved = 0;

	while (count-- > 0) {
		struct tui_pos next;

		if (vs->sel + 1 < t->nrows) {
			vs->sel++;
			moved++;
			continue;
		}
		if (!row_after_last(t, &next))
			break;
		vs->top = t->nrows > 1 ? t->rows[1].pos : next;
		reload(t);
		vs->sel = t->nrows - 1;
		moved++;
	}
	return moved ? selection_moved(t) : TUI_DRAW_STATUS;
}

static int move_up(struct tui *t, int count)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int moved = 0;

	while (count-- > 0) {
		struct tui_row r;
		char *cause = NULL;
		int n;

		if (vs->sel > 0) {
			vs->sel--;
			moved++;
			continue;
		}
		if (t->nrows == 0)
			break;
		n = tui_model_fetch(t->m, t->view, &t->rows[0].pos, -1, &r, 1, &cause);
		if (n < 0)
			model_err(t, cause);
		if (n < 1)
			break;
		vs->top = r.pos;
		reload(t);
		vs->sel = 0;
		moved++;
	}
	return moved ? selection_moved(t) : TUI_DRAW_STATUS;
}

static int page_down(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	struct tui_pos next;

	if (t->nrows == 0)
		return TUI_DRAW_STATUS;
	if (!row_after_last(t, &next)) {
		if (vs->sel == t->nrows - 1)
			return TUI_DRAW_STATUS;
		vs->sel = t->nrows - 1;
		return selection_moved(t);
	}
	vs->top = next;
	reload(t);
	return selection_moved(t);
}

static int page_up(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = list_h(t), n;
	struct tui_row *r;
	char *cause = NULL;

	if (t->nrows == 0)
		return TUI_DRAW_STATUS;
	r = xreallocarray(NULL, (size_t)h, sizeof(*r));
	n = tui_model_fetch(t->m, t->view, &t->rows[0].pos, -1, r, h, &cause);
	if (n < 0)
		model_err(t, cause);
	if (n > 0) {
		vs->top = r[0].pos;
		reload(t);
	} else if (vs->sel > 0) {
		vs->sel = 0;
	} else {
		free(r);
		return TUI_DRAW_STATUS;
	}
	free(r);
	return selection_moved(t);
}

static int go_first(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];

	vs->from_start = true;
	vs->sel = 0;
	reload(t);
	return selection_moved(t);
}

static int go_last(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = list_h(t), n;
	char *cause = NULL;

	rows_reserve(t, h);
	n = tui_model_fetch(t->m, t->view, NULL, -1, t->rows, h, &cause);
	if (n < 0) {
		model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (n == 0)
		return TUI_DRAW_STATUS;
	vs->top = t->rows[0].pos;
	vs->from_start = false;
	reload(t);
	vs->sel = t->nrows - 1;
	return selection_moved(t);
}

/* Read the list so the row at p is selected with ctx rows above it (fewer near the start). */
static void place(struct tui *t, const struct tui_pos *p, int ctx)
{
	struct tui_vstate *vs = &t->vs[t->view];
	struct tui_row *r = xreallocarray(NULL, (size_t)(ctx > 0 ? ctx : 1), sizeof(*r));
	char *cause = NULL;
	int n;

	n = ctx > 0 ? tui_model_fetch(t->m, t->view, p, -1, r, ctx, &cause) : 0;
	if (n < 0) {
		model_err(t, cause);
		n = 0;
	}
	vs->top = n > 0 ? r[0].pos : *p;
	vs->from_start = false;
	free(r);
	reload(t);
	vs->sel = 0;
	for (int i = 0; i < t->nrows; i++)
		if (pos_eq(&t->rows[i].pos, p))
			vs->sel = i;
}

/* Select the row at p, with a third of a screen of context above it. */
static int go_pos(struct tui *t, const struct tui_pos *p)
{
	place(t, p, list_h(t) / 3);
	return selection_moved(t);
}

/* Select the row at p in the middle of the list (d, D, v, V). */
static int go_pos_centred(struct tui *t, const struct tui_pos *p)
{
	place(t, p, (list_h(t) - 1) / 2);
	return selection_moved(t);
}

/*
 * The list's height changed (panes opened or closed, the terminal resized):
 * read it again keeping the selected row selected, on the same screen line
 * if it still fits, else in the middle. Without this the window kept its
 * top, the selection index was cut to the shorter list, and the status line
 * and the next key followed another row than the one the detail showed.
 */
static void relayout(struct tui *t)
{
	const struct tui_row *r = tui_selected(t);
	struct tui_pos p;
	int h = list_h(t), sel = t->vs[t->view].sel;

	if (r == NULL) {
		reload(t);
		return;
	}
	p = r->pos;
	place(t, &p, sel < h ? sel : (h - 1) / 2);
}

static int set_view(struct tui *t, enum tui_view v)
{
	const struct tui_row *r = tui_selected(t);
	struct tui_vstate *vs;

	if (r != NULL) {
		t->vs[t->view].selpos = r->pos;
		t->vs[t->view].has_selpos = true;
	}
	t->view = v;
	t->hscroll = 0;
	vs = &t->vs[v];
	if (vs->has_selpos && !vs->from_start)
		place(t, &vs->selpos, vs->sel < list_h(t) ? vs->sel : (list_h(t) - 1) / 2);
	else
		reload(t);
	selection_moved(t);
	return TUI_DRAW_ALL;
}

/* ---- scrolling the focused text pane ---- */

static size_t pane_lines(const struct tui *t)
{
	return t->focus == TUI_FOCUS_HEX ? tui_hex_lines(&t->blobs) : t->detail.n;
}

/* The longest line of the focused pane, the limit of scrolling it right. */
static int pane_width(const struct tui *t)
{
	size_t w = 0, n = pane_lines(t);

	if (t->focus == TUI_FOCUS_HEX)
		return TUI_HEX_LINE;
	for (size_t i = 0; i < n; i++)
		if (strlen(t->detail.line[i]) > w)
			w = strlen(t->detail.line[i]);
	return w > INT32_MAX ? INT32_MAX : (int)w;
}

static int pane_scroll(struct tui *t, long delta, int to)
{
	size_t *top = t->focus == TUI_FOCUS_HEX ? &t->hex_top : &t->detail_top;
	size_t n = pane_lines(t), h = (size_t)pane_h(t), max = n > h ? n - h : 0;
	size_t old = *top;

	if (to < 0)
		*top = 0;
	else if (to > 0)
		*top = max;
	else if (delta < 0)
		*top = (size_t)-delta > *top ? 0 : *top - (size_t)-delta;
	else
		*top = *top + (size_t)delta > max ? max : *top + (size_t)delta;
	return *top != old ? TUI_DRAW_PANES : TUI_DRAW_NONE;
}

static int help_scroll(struct tui *t, long delta, int to)
{
	size_t h = t->lines > 2 ? (size_t)t->lines - 2 : 1, n = t->helptext.n, max = n > h ? n - h : 0;

	if (to < 0)
		t->help_top = 0;
	else if (to > 0)
		t->help_top = max;
	else if (delta < 0)
		t->help_top = (size_t)-delta > t->help_top ? 0 : t->help_top - (size_t)-delta;
	else
		t->help_top = t->help_top + (size_t)delta > max ? max : t->help_top + (size_t)delta;
	return TUI_DRAW_ALL;
}

/* ---- key handlers: each returns what to redraw ---- */

static int k_down(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, 1, 0);
	return move_down(t, 1);
}

static int k_up(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, -1, 0);
	return move_up(t, 1);
}

static int k_pgdn(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, pane_h(t), 0);
	return page_down(t);
}

static int k_pgup(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, -(long)pane_h(t), 0);
	return page_up(t);
}

static int k_half_down(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, pane_h(t) / 2 + 1, 0);
	return move_down(t, list_h(t) / 2 + 1);
}

static int k_half_up(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, -(long)(pane_h(t) / 2 + 1), 0);
	return move_up(t, list_h(t) / 2 + 1);
}

static int k_first(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, 0, -1);
	return go_first(t);
}

static int k_last(struct tui *t, int key)
{
	(void)key;
	if (t->focus != TUI_FOCUS_LIST)
		return pane_scroll(t, 0, 1);
	return go_last(t);
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
	int max = t->focus == TUI_FOCUS_LIST ? TUI_ROW_TEXT : pane_width(t);

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
		model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "pattern not found %s: %s", dir > 0 ? "below" : "above", t->search);
		return TUI_DRAW_STATUS;
	}
	return go_pos(t, &p);
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
		model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "no %s at or after event %" PRId64 "%s", tui_view_name(t->view), event,
		    tui_model_filter(t->m, t->view) ? " under the filter" : "");
		return TUI_DRAW_STATUS;
	}
	flags = centre ? go_pos_centred(t, &p) : go_pos(t, &p);
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

		flags = dir > 0 ? move_down(t, 1) : move_up(t, 1);
		if (before == NULL || (tui_selected(t) && pos_eq(&tui_selected(t)->pos, &was)))
			set_msg(t, true, "no %s %s", dir > 0 ? "further" : "earlier", what);
		return flags | TUI_DRAW_STATUS;
	}
	found = tui_model_next_flagged(t->m, which, current_event(t, dir), dir, &event, &id, &cause);
	if (found < 0) {
		model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (found == 0) {
		set_msg(t, true, "no %s %s", dir > 0 ? "further" : "earlier", what);
		return TUI_DRAW_STATUS;
	}
	flags = 0;
	if (t->view != TUI_VIEW_EVENTS)
		flags = set_view(t, TUI_VIEW_EVENTS);
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
		load_panes(t);
	/* the list's height changed: keep the selection on screen */
	relayout(t);
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
			load_panes(t);
		relayout(t);
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
		load_panes(t);
		relayout(t);
		return TUI_DRAW_ALL;
	}
	load_panes(t);
	return TUI_DRAW_ALL;
}

static int k_close(struct tui *t, int key)
{
	(void)key;
	if (!t->detail_open)
		return TUI_DRAW_NONE;
	t->detail_open = false;
	t->focus = TUI_FOCUS_LIST;
	relayout(t);
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
	return set_view(t, v);
}

/* [ ]: the previous or next run of the database, each list from its start */
static int k_run(struct tui *t, int key)
{
	char *cause = NULL;
	int rc = tui_model_step_run(t->m, key == ']' ? 1 : -1, &cause);

	if (rc < 0) {
		model_err(t, cause);
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
	reload(t);
	selection_moved(t);
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
		reload(t);
		c = tui_model_count(t->m, t->view, &cause);
		if (c < 0)
			model_err(t, cause);
		else if (t->ilen == 0)
			set_msg(t, false, "filter off: %" PRId64 " %s", c, tui_view_name(t->view));
		else
			set_msg(t, c == 0, "filter %s: %" PRId64 " %s", t->input, c, tui_view_name(t->view));
		selection_moved(t);
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
		return help_scroll(t, 1, 0);
	case 'k': case TUI_KEY_UP:
		return help_scroll(t, -1, 0);
	case ' ': case TUI_KEY_PGDN: case TUI_CTRL('f'):
		return help_scroll(t, t->lines > 3 ? t->lines - 3 : 1, 0);
	case 'b': case TUI_KEY_PGUP: case TUI_CTRL('b'):
		return help_scroll(t, -(t->lines > 3 ? t->lines - 3 : 1), 0);
	case 'g': case TUI_KEY_HOME:
		return help_scroll(t, 0, -1);
	case 'G': case TUI_KEY_END:
		return help_scroll(t, 0, 1);
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
		return wheel ? help_scroll(t, wheel, 0) : TUI_DRAW_NONE;
	tui_layout(t, &l);
	if (y == l.title_y && !wheel && (v = title_tab_at(t, x)) >= 0)
		return set_view(t, (enum tui_view)v);
	if (y >= l.list_y && y < l.list_y + l.list_h) {
		int i = y - l.list_y, flags = t->focus != TUI_FOCUS_LIST ? TUI_DRAW_ALL : 0;

		t->focus = TUI_FOCUS_LIST;
		if (wheel)
			return flags | (wheel > 0 ? move_down(t, wheel) : move_up(t, -wheel));
		if (i >= t->nrows)
			return flags | TUI_DRAW_STATUS;
		t->vs[t->view].sel = i;
		return flags | selection_moved(t);
	}
	if (t->detail_open && y >= l.pane_y && y < l.pane_y + l.pane_h) {
		enum tui_focus f = l.show_hex && (!l.show_detail || x >= l.hex_x) ? TUI_FOCUS_HEX : TUI_FOCUS_DETAIL;

		if (f != t->focus) {
			t->focus = f;
			return TUI_DRAW_ALL;
		}
		return wheel ? pane_scroll(t, wheel, 0) : TUI_DRAW_NONE;
	}
	return TUI_DRAW_NONE;
}

int tui_resize(struct tui *t, int lines, int cols)
{
	t->lines = lines > 1 ? lines : 1;
	t->cols = cols > 1 ? cols : 1;
	relayout(t);
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
