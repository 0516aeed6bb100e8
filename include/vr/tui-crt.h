/* tui-crt.h -- the browser's terminal: curses setup, key translation, drawing (the only code using curses) */
#ifndef VR_TUI_CRT_H
#define VR_TUI_CRT_H

#include "vr/tui-model.h"

/*
 * Take over the terminal on stdin/stdout, browse m until the user quits,
 * restore the terminal. Takes m (freed before returning). Returns 0 after
 * q, the signal number after SIGINT or SIGTERM, or -1 with *cause if the
 * terminal cannot be driven (unknown TERM).
 */
int tui_crt_run(struct tui_model *m, char **cause);

#endif
