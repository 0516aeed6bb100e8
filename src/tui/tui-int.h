/*
 * tui-int.h -- what the browser's state machine (tui.c) and its list and
 * pane navigation (tui-nav.c) share. Not for other layers: vr/tui.h is the
 * browser's interface.
 */
#ifndef VR_TUI_INT_H
#define VR_TUI_INT_H

#include <stdbool.h>

#include "vr/tui.h"

static inline bool tui_pos_eq(const struct tui_pos *a, const struct tui_pos *b)
{
	return a->a == b->a && a->b == b->b;
}

/* tui.c */
void tui_model_err(struct tui *t, char *cause);	/* takes cause */
int tui_list_h(const struct tui *t);
int tui_pane_h(const struct tui *t);

/* tui-nav.c: each int function returns what to redraw (TUI_DRAW_*) */
void tui_load_panes(struct tui *t);
int tui_selection_moved(struct tui *t);
void tui_reload(struct tui *t);
void tui_relayout(struct tui *t);
int tui_move_down(struct tui *t, int count);
int tui_move_up(struct tui *t, int count);
int tui_page_down(struct tui *t);
int tui_page_up(struct tui *t);
int tui_go_first(struct tui *t);
int tui_go_last(struct tui *t);
int tui_go_pos(struct tui *t, const struct tui_pos *p);		/* a third of a screen above it */
int tui_go_pos_centred(struct tui *t, const struct tui_pos *p);	/* in the middle of the list */
int tui_set_view(struct tui *t, enum tui_view v);
int tui_pane_width(const struct tui *t);
int tui_pane_scroll(struct tui *t, long delta, int to);
int tui_help_scroll(struct tui *t, long delta, int to);

#endif
