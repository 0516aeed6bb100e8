/*
 * tui-nav.c -- moving through the browser's lists and panes: reading the list
 * a screenful at a time (keyset paging), moving and placing the selection,
 * sizing the list's columns, the queue-depth sparkline, search highlights,
 * and scrolling the text panes. tui.c's key handlers call these.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/tui.h"
#include "vr/xmalloc.h"
#include "tui-int.h"

#define SPARK_LABEL	16	/* "in flight NNN " and a margin */

/* The search compares as SQLite's lower() does: ASCII letters only. */
static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void tui_load_panes(struct tui *t)
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
				tui_model_err(t, cause);
			}
		}
	} else if (tui_model_detail(t->m, t->view, &r->pos, &t->detail, &cause) < 0) {
		tui_model_err(t, cause);
	}
	cause = NULL;
	if (tui_model_bytes(t->m, t->view, &r->pos, &t->blobs, &cause) < 0)
		tui_model_err(t, cause);
}

/* The selection moved: the panes follow it if they are open. */
int tui_selection_moved(struct tui *t)
{
	t->panes_stale = true;
	if (t->detail_open) {
		tui_load_panes(t);
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

void tui_reload(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = tui_list_h(t), n, k;
	char *cause = NULL;

	rows_reserve(t, h);
	n = tui_model_fetch(t->m, t->view, vs->from_start ? NULL : &vs->top, 1, t->rows, h, &cause);
	if (n < 0) {
		tui_model_err(t, cause);
		t->nrows = 0;
		vs->sel = 0;
		return;
	}
	if (n < h && !vs->from_start) {
		struct tui_row *before = xreallocarray(NULL, (size_t)(h - n), sizeof(*before));
		struct tui_pos p = n ? t->rows[0].pos : vs->top;

		k = tui_model_fetch(t->m, t->view, &p, -1, before, h - n, &cause);
		if (k < 0) {
			tui_model_err(t, cause);
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
		tui_model_err(t, cause);
	if (n < 2)
		return false;
	*out = r[1].pos;
	return true;
}

int tui_move_down(struct tui *t, int count)
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
		tui_reload(t);
		vs->sel = t->nrows - 1;
		moved++;
	}
	return moved ? tui_selection_moved(t) : TUI_DRAW_STATUS;
}

int tui_move_up(struct tui *t, int count)
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
			tui_model_err(t, cause);
		if (n < 1)
			break;
		vs->top = r.pos;
		tui_reload(t);
		vs->sel = 0;
		moved++;
	}
	return moved ? tui_selection_moved(t) : TUI_DRAW_STATUS;
}

int tui_page_down(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	struct tui_pos next;

	if (t->nrows == 0)
		return TUI_DRAW_STATUS;
	if (!row_after_last(t, &next)) {
		if (vs->sel == t->nrows - 1)
			return TUI_DRAW_STATUS;
		vs->sel = t->nrows - 1;
		return tui_selection_moved(t);
	}
	vs->top = next;
	tui_reload(t);
	return tui_selection_moved(t);
}

int tui_page_up(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = tui_list_h(t), n;
	struct tui_row *r;
	char *cause = NULL;

	if (t->nrows == 0)
		return TUI_DRAW_STATUS;
	r = xreallocarray(NULL, (size_t)h, sizeof(*r));
	n = tui_model_fetch(t->m, t->view, &t->rows[0].pos, -1, r, h, &cause);
	if (n < 0)
		tui_model_err(t, cause);
	if (n > 0) {
		vs->top = r[0].pos;
		tui_reload(t);
	} else if (vs->sel > 0) {
		vs->sel = 0;
	} else {
		free(r);
		return TUI_DRAW_STATUS;
	}
	free(r);
	return tui_selection_moved(t);
}

int tui_go_first(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];

	vs->from_start = true;
	vs->sel = 0;
	tui_reload(t);
	return tui_selection_moved(t);
}

int tui_go_last(struct tui *t)
{
	struct tui_vstate *vs = &t->vs[t->view];
	int h = tui_list_h(t), n;
	char *cause = NULL;

	rows_reserve(t, h);
	n = tui_model_fetch(t->m, t->view, NULL, -1, t->rows, h, &cause);
	if (n < 0) {
		tui_model_err(t, cause);
		return TUI_DRAW_STATUS;
	}
	if (n == 0)
		return TUI_DRAW_STATUS;
	vs->top = t->rows[0].pos;
	vs->from_start = false;
	tui_reload(t);
	vs->sel = t->nrows - 1;
	return tui_selection_moved(t);
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
		tui_model_err(t, cause);
		n = 0;
	}
	vs->top = n > 0 ? r[0].pos : *p;
	vs->from_start = false;
	free(r);
	tui_reload(t);
	vs->sel = 0;
	for (int i = 0; i < t->nrows; i++)
		if (tui_pos_eq(&t->rows[i].pos, p))
			vs->sel = i;
}

/* Select the row at p, with a third of a screen of context above it. */
int tui_go_pos(struct tui *t, const struct tui_pos *p)
{
	place(t, p, tui_list_h(t) / 3);
	return tui_selection_moved(t);
}

/* Select the row at p in the middle of the list (d, D, v, V). */
int tui_go_pos_centred(struct tui *t, const struct tui_pos *p)
{
	place(t, p, (tui_list_h(t) - 1) / 2);
	return tui_selection_moved(t);
}

/*
 * The list's height changed (panes opened or closed, the terminal resized):
 * read it again keeping the selected row selected, on the same screen line
 * if it still fits, else in the middle. Without this the window kept its
 * top, the selection index was cut to the shorter list, and the status line
 * and the next key followed another row than the one the detail showed.
 */
void tui_relayout(struct tui *t)
{
	const struct tui_row *r = tui_selected(t);
	struct tui_pos p;
	int h = tui_list_h(t), sel = t->vs[t->view].sel;

	if (r == NULL) {
		tui_reload(t);
		return;
	}
	p = r->pos;
	place(t, &p, sel < h ? sel : (h - 1) / 2);
}

int tui_set_view(struct tui *t, enum tui_view v)
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
		place(t, &vs->selpos, vs->sel < tui_list_h(t) ? vs->sel : (tui_list_h(t) - 1) / 2);
	else
		tui_reload(t);
	tui_selection_moved(t);
	return TUI_DRAW_ALL;
}

/* ---- scrolling the focused text pane ---- */

static size_t pane_lines(const struct tui *t)
{
	return t->focus == TUI_FOCUS_HEX ? tui_hex_lines(&t->blobs) : t->detail.n;
}

/* The longest line of the focused pane, the limit of scrolling it right. */
int tui_pane_width(const struct tui *t)
{
	size_t w = 0, n = pane_lines(t);

	if (t->focus == TUI_FOCUS_HEX)
		return TUI_HEX_LINE;
	for (size_t i = 0; i < n; i++)
		if (strlen(t->detail.line[i]) > w)
			w = strlen(t->detail.line[i]);
	return w > INT32_MAX ? INT32_MAX : (int)w;
}

int tui_pane_scroll(struct tui *t, long delta, int to)
{
	size_t *top = t->focus == TUI_FOCUS_HEX ? &t->hex_top : &t->detail_top;
	size_t n = pane_lines(t), h = (size_t)tui_pane_h(t), max = n > h ? n - h : 0;
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

int tui_help_scroll(struct tui *t, long delta, int to)
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
