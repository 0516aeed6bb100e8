/* tui-crt.c -- curses for the browser: set up the terminal, translate keys, draw struct tui */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "vr/cause.h"
#include "vr/tui-crt.h"
#include "vr/tui.h"

enum { PAIR_MARK = 1, PAIR_ERR, PAIR_DIFF, PAIR_BAR, PAIR_MATCH };

static bool have_color;
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* curses key codes to the browser's; -1 for keys it does not use */
static const struct {
	int curses, tui;
} keymap[] = {
	{ KEY_UP, TUI_KEY_UP }, { KEY_DOWN, TUI_KEY_DOWN }, { KEY_LEFT, TUI_KEY_LEFT }, { KEY_RIGHT, TUI_KEY_RIGHT },
	{ KEY_PPAGE, TUI_KEY_PGUP }, { KEY_NPAGE, TUI_KEY_PGDN }, { KEY_HOME, TUI_KEY_HOME }, { KEY_END, TUI_KEY_END },
	{ KEY_BTAB, TUI_KEY_BTAB }, { KEY_F(1), TUI_KEY_F1 }, { KEY_BACKSPACE, TUI_KEY_BACKSPACE },
	{ KEY_ENTER, TUI_KEY_ENTER }, { '\r', TUI_KEY_ENTER }, { 127, TUI_KEY_BACKSPACE },
};

static int translate(int ch)
{
	for (size_t i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
		if (keymap[i].curses == ch)
			return keymap[i].tui;
	if (ch >= 0 && ch < 0x100)
		return ch;
	return -1;
}

/* curses button state to tui_mouse's buttons; 0 for the others (releases...) */
static int mouse_button(mmask_t b)
{
	if (b & (BUTTON1_PRESSED | BUTTON1_CLICKED))
		return TUI_MOUSE_CLICK;
	if (b & BUTTON4_PRESSED)
		return TUI_MOUSE_WHEEL_UP;
#ifdef BUTTON5_PRESSED
	if (b & BUTTON5_PRESSED)
		return TUI_MOUSE_WHEEL_DOWN;
#endif
	return 0;
}

/* Print s from column skip on, clipped or padded to w columns. */
static void put_clipped(int y, int x, int w, const char *s, int skip)
{
	size_t len = strlen(s);

	if (w <= 0)
		return;
	s = (size_t)skip < len ? s + skip : "";
	mvprintw(y, x, "%-*.*s", w, w, s);
}

/*
 * As put_clipped, with the columns hl marks (hlen of them: differing bytes,
 * search matches) drawn with attribute on instead of the current one.
 */
static void put_marked(int y, int x, int w, const char *s, const char *hl, size_t hlen, int skip, attr_t on)
{
	size_t len = strlen(s);
	attr_t base = getattrs(stdscr);

	for (int c = 0; c < w; c++) {
		size_t k = (size_t)skip + (size_t)c;
		bool lit = k < len && k < hlen && hl[k];

		if (lit)
			attrset(on);
		mvaddch(y, x + c, k < len ? (chtype)(unsigned char)s[k] : ' ');
		if (lit)
			attrset(base);
	}
}

/* The look of a search match: reverse bold (in colour if allowed); in a reversed row, bold underlined */
static attr_t match_attr(bool in_reverse)
{
	if (in_reverse)
		return A_BOLD | A_UNDERLINE | (have_color ? COLOR_PAIR(PAIR_MATCH) : 0);
	return A_REVERSE | A_BOLD | (have_color ? COLOR_PAIR(PAIR_MATCH) : 0);
}

static void draw_title(const struct tui *t, const struct tui_layout *l)
{
	char buf[512], line[TUI_LINE];

	tui_title(t, buf, sizeof(buf));
	attron(A_REVERSE);
	put_clipped(l->title_y, 0, t->cols, buf, 0);
	attroff(A_REVERSE);
	attron(A_BOLD);
	mvprintw(l->header_y, 0, "%-2s", "");
	tui_list_line(t, -1, line);
	put_clipped(l->header_y, 2, t->cols - 2, line, t->hscroll);
	attroff(A_BOLD);
}

static void draw_list(const struct tui *t, const struct tui_layout *l)
{
	int sel = t->vs[t->view].sel;
	char line[TUI_LINE], hl[TUI_LINE];

	for (int i = 0; i < l->list_h; i++) {
		int y = l->list_y + i;

		move(y, 0);
		clrtoeol();
		if (i >= t->nrows) {
			if (i == 0)
				mvprintw(y, 2, "(no %s%s)", tui_view_name(t->view),
				    tui_model_filter(t->m, t->view) ? " under the filter" : " in this run");
			continue;
		}
		const struct tui_row *r = &t->rows[i];
		attr_t a = i == sel ? (t->focus == TUI_FOCUS_LIST ? A_REVERSE : A_UNDERLINE) : A_NORMAL;

		if (r->mark != TUI_MARK_NONE)
			attron(A_BOLD | (have_color ? COLOR_PAIR(PAIR_MARK) : 0));
		mvaddch(y, 0, (chtype)(unsigned char)r->mark);
		attroff(A_BOLD | (have_color ? COLOR_PAIR(PAIR_MARK) : 0));
		attron(a);
		put_clipped(y, 1, t->cols - 1, " ", 0);
		tui_list_line(t, i, line);
		if (tui_match_mask(t, line, hl, sizeof(hl)) > 0)
			put_marked(y, 2, t->cols - 2, line, hl, sizeof(hl), t->hscroll, match_attr(a == A_REVERSE));
		else
			put_clipped(y, 2, t->cols - 2, line, t->hscroll);
		attroff(a);
	}
}

static void draw_spark(const struct tui *t, const struct tui_layout *l)
{
	char line[TUI_LINE];

	if (l->spark_y < 0)
		return;
	tui_spark_line(t, line);
	attron(A_DIM);
	put_clipped(l->spark_y, 2, t->cols - 2, line, 0);
	attroff(A_DIM);
}

static void draw_sep(const struct tui *t, const struct tui_layout *l)
{
	mvhline(l->sep_y, 0, ACS_HLINE, t->cols);
	if (l->show_detail) {
		if (t->focus == TUI_FOCUS_DETAIL)
			attron(A_REVERSE);
		mvprintw(l->sep_y, l->detail_x + 2, t->qstate ? " queue state " : " detail ");
		attroff(A_REVERSE);
	}
	if (l->show_hex) {
		if (t->focus == TUI_FOCUS_HEX)
			attron(A_REVERSE);
		mvprintw(l->sep_y, l->hex_x + 2, " hex (%zu lines) ", tui_hex_lines(&t->blobs));
		attroff(A_REVERSE);
	}
	if (l->show_detail && l->show_hex)
		mvvline(l->pane_y, l->hex_x - 1, ACS_VLINE, l->pane_h);
}

static void draw_panes(const struct tui *t, const struct tui_layout *l)
{
	char line[TUI_HEX_LINE], hl[TUI_HEX_LINE], mhl[TUI_LINE];
	attr_t diff = A_REVERSE | A_BOLD | (have_color ? COLOR_PAIR(PAIR_DIFF) : 0);
	size_t nhex = tui_hex_lines(&t->blobs);

	if (!t->detail_open)
		return;
	draw_sep(t, l);
	for (int i = 0; i < l->pane_h; i++) {
		int y = l->pane_y + i;

		if (l->show_detail) {
			size_t k = t->detail_top + (size_t)i;

			const char *s = k < t->detail.n ? t->detail.line[k] : "";

			/* matches past the first TUI_LINE columns of a line are not marked */
			if (tui_match_mask(t, s, mhl, sizeof(mhl)) > 0)
				put_marked(y, l->detail_x, l->detail_w, s, mhl, sizeof(mhl), t->detail_left, match_attr(false));
			else
				put_clipped(y, l->detail_x, l->detail_w, s, t->detail_left);
		}
		if (l->show_hex) {
			size_t k = t->hex_top + (size_t)i;

			memset(hl, 0, sizeof(hl));
			if (k < nhex)
				tui_hex_line(&t->blobs, k, line, hl);
			else
				snprintf(line, sizeof(line), "%s", nhex == 0 && i == 0 ? "(no bytes)" : "");
			put_marked(y, l->hex_x, l->hex_w, line, hl, sizeof(hl), t->hex_left, diff);
		}
	}
}

static void draw_status(struct tui *t, const struct tui_layout *l)
{
	char buf[512];
	bool err = t->msg[0] && t->msg_err && !t->prompt;

	tui_status(t, buf, sizeof(buf));
	if (err)
		attron(A_BOLD | (have_color ? COLOR_PAIR(PAIR_ERR) : 0));
	put_clipped(l->status_y, 0, t->cols, buf, 0);
	attroff(A_BOLD | (have_color ? COLOR_PAIR(PAIR_ERR) : 0));
	if (t->prompt) {
		int x = (int)strlen(buf);

		move(l->status_y, x < t->cols ? x : t->cols - 1);
	}
	curs_set(t->prompt ? 1 : 0);
}

/* htop's function bar: each key, then its name in reverse, from the key table */
static void draw_keybar(const struct tui *t, const struct tui_layout *l)
{
	int x = 0;

	if (l->keybar_y < 0)
		return;
	move(l->keybar_y, 0);
	clrtoeol();
	for (size_t i = 0; i < tui_nbindings && x < t->cols; i++) {
		const struct tui_binding *b = &tui_bindings[i];
		int w;

		if (b->bar == NULL)
			continue;
		w = (int)strlen(b->label);
		attron(A_BOLD);
		put_clipped(l->keybar_y, x, t->cols - x < w ? t->cols - x : w, b->label, 0);
		attroff(A_BOLD);
		x += w;
		w = (int)strlen(b->bar) + 1;
		if (x >= t->cols)
			break;
		attron(A_REVERSE | (have_color ? COLOR_PAIR(PAIR_BAR) : 0));
		put_clipped(l->keybar_y, x, t->cols - x < w ? t->cols - x : w, b->bar, 0);
		attroff(A_REVERSE | (have_color ? COLOR_PAIR(PAIR_BAR) : 0));
		x += w;
	}
}

static void draw_help(const struct tui *t)
{
	erase();
	attron(A_REVERSE);
	put_clipped(0, 0, t->cols, "help", 0);
	attroff(A_REVERSE);
	for (int i = 1; i < t->lines; i++) {
		size_t k = t->help_top + (size_t)i - 1;

		if (k < t->helptext.n)
			put_clipped(i, 0, t->cols, t->helptext.line[k], 0);
	}
	curs_set(0);
}

static void draw(struct tui *t, int flags)
{
	struct tui_layout l;

	if (flags & TUI_DRAW_CLEAR)
		clearok(curscr, TRUE);
	if (t->help) {
		draw_help(t);
		refresh();
		return;
	}
	tui_layout(t, &l);
	if ((flags & TUI_DRAW_ALL) == TUI_DRAW_ALL)
		erase();
	if (flags & TUI_DRAW_TITLE)
		draw_title(t, &l);
	if (flags & TUI_DRAW_LIST) {
		draw_list(t, &l);
		draw_spark(t, &l);
	}
	if (flags & TUI_DRAW_PANES)
		draw_panes(t, &l);
	if ((flags & TUI_DRAW_ALL) == TUI_DRAW_ALL)
		draw_keybar(t, &l);
	draw_status(t, &l);
	refresh();
}

int tui_crt_run(struct tui_model *m, char **cause)
{
	SCREEN *scr;
	struct tui *t;
	int flags = TUI_DRAW_ALL;
	bool no_color;

	struct sigaction sa, old_int, old_term;

	/*
	 * Our own SIGINT/SIGTERM handlers, installed before curses (which then
	 * leaves them alone): without SA_RESTART they interrupt getch(), and the
	 * loop restores the terminal and leaves like q, with status 128+signal.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	stop_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	setlocale(LC_ALL, "");
	if ((scr = newterm(NULL, stdout, stdin)) == NULL) {
		const char *term = getenv("TERM");

		tui_model_free(m);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		return cause_set(cause, "cannot drive the terminal (TERM=%s)", term ? term : "unset");
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* presses, not clicks: no wait to tell a click from a double click */
	mouseinterval(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	    | BUTTON5_PRESSED
#endif
	    , NULL);
	/* https://no-color.org: a set, non-empty NO_COLOR means no colour; attributes stay */
	no_color = getenv("NO_COLOR") != NULL && getenv("NO_COLOR")[0] != '\0';
	have_color = false;
	if (has_colors() && !no_color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_MARK, COLOR_RED, -1);
		init_pair(PAIR_ERR, COLOR_RED, -1);
		init_pair(PAIR_DIFF, COLOR_YELLOW, -1);
		init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_MATCH, COLOR_GREEN, -1);
		have_color = true;
	}
	t = tui_new(m, LINES, COLS);
	/* without colour, a line of '^' under differing bytes as well */
	t->blobs.markers = !have_color;
	while (!stop_signal) {
		int ch, key;

		if (flags)
			draw(t, flags);
		ch = getch();
		if (ch == ERR) {
			flags = TUI_DRAW_NONE;
			continue;
		}
		if (ch == KEY_RESIZE) {
			flags = tui_resize(t, LINES, COLS);
			continue;
		}
		if (ch == KEY_MOUSE) {
			MEVENT ev;

			flags = TUI_DRAW_NONE;
			if (getmouse(&ev) == OK)
				flags = tui_mouse(t, ev.y, ev.x, mouse_button(ev.bstate));
			if (flags)
				flags |= TUI_DRAW_STATUS;
			continue;
		}
		if ((key = translate(ch)) < 0) {
			flags = TUI_DRAW_NONE;
			continue;
		}
		flags = tui_key(t, key);
		if (flags & TUI_QUIT)
			break;
		if (flags)
			flags |= TUI_DRAW_STATUS;
	}
	endwin();
	delscreen(scr);
	tui_free(t);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return stop_signal;
}
