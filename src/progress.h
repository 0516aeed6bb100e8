/* progress.h -- one line on stderr saying how far long work is, counted in events, with rate and time left */
#ifndef VR_PROGRESS_H
#define VR_PROGRESS_H
#include <stdbool.h>
#include <stdint.h>

/* When to show it: on a terminal only (the default), always (--progress), never (--quiet, --json). */
enum progress_mode { PROGRESS_AUTO, PROGRESS_ON, PROGRESS_OFF };

struct progress {
	const char *what;	/* "replay" */
	const char *unit;	/* "events" */
	uint64_t total;		/* 0: not known */
	bool on;		/* drawing at all */
	bool tty;		/* redraw one line in place; else one line per update */
	bool shown;
	double start, last;
};

/* Seconds on a monotonic clock (for durations and rates; never in the device path). */
double progress_now(void);
void progress_init(struct progress *p, const char *what, const char *unit, uint64_t total, enum progress_mode mode);
/* done units of total so far; note (may be NULL) follows the numbers. Draws at most five times a second. */
void progress_update(struct progress *p, uint64_t done, const char *note);
/* On a terminal, clear the line so other output can be written; the next update draws it again. */
void progress_clear(struct progress *p);
/* Finish: on a terminal the line is cleared; otherwise a last line with the total time and rate. */
void progress_end(struct progress *p, uint64_t done);
/*
 * Events in the trace at path, cheaply: a binary trace's seek index says,
 * a text trace's lines from its first event on are counted (comments count
 * too: an estimate). 0 if it cannot tell (standard input, no index, error).
 */
uint64_t progress_trace_events(const char *path);

#endif
