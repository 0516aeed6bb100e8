/* progress.c -- one line on stderr saying how far long work is, counted in events, with rate and time left */
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "vr/trace.h"

double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, const char *what, const char *unit, uint64_t total, enum progress_mode mode)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->tty = isatty(STDERR_FILENO) != 0;
	p->on = mode == PROGRESS_ON || (mode == PROGRESS_AUTO && p->tty);
	p->start = progress_now();
}

/* "1:02:03" or "2:03" */
static void hms(char *out, size_t n, double secs)
{
	uint64_t s = secs > 0 ? (uint64_t)(secs + 0.5) : 0;

	if (s >= 3600)
		snprintf(out, n, "%" PRIu64 ":%02u:%02u", s / 3600, (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	else
		snprintf(out, n, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

void progress_update(struct progress *p, uint64_t done, const char *note)
{
	double now, secs, rate;
	char left[32];

	if (!p->on)
		return;
	now = progress_now();
	if (p->shown && now - p->last < 0.2)
		return;
	/* On a terminal, work that ends within half a second shows nothing. */
	if (p->tty && now - p->start < 0.5)
		return;
	p->last = now;
	secs = now - p->start;
	rate = secs > 0 ? (double)done / secs : 0;
	fprintf(stderr, "%s%s: %" PRIu64, p->tty ? "\r" : "", p->what, done);
	if (p->total > 0 && done <= p->total)
		fprintf(stderr, "/%" PRIu64 " %s (%u%%)", p->total, p->unit, (unsigned)(done * 100 / p->total));
	else
		fprintf(stderr, " %s", p->unit);
	fprintf(stderr, ", %.0f %s/s", rate, p->unit);
	if (p->total > 0 && done <= p->total && rate > 0) {
		hms(left, sizeof(left), (double)(p->total - done) / rate);
		fprintf(stderr, ", %s left", left);
	}
	if (note != NULL)
		fprintf(stderr, ", %s", note);
	fputs(p->tty ? "\033[K" : "\n", stderr);
	p->shown = true;
}

void progress_clear(struct progress *p)
{
	if (p->on && p->tty && p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = false;
	}
}

void progress_end(struct progress *p, uint64_t done)
{
	double secs;

	if (!p->on)
		return;
	if (p->tty) {
		if (p->shown)
			fputs("\r\033[K", stderr);
		return;
	}
	secs = progress_now() - p->start;
	fprintf(stderr, "%s: %" PRIu64 " %s in %.2f s, %.0f %s/s\n", p->what, done, p->unit, secs,
	    secs > 0 ? (double)done / secs : 0.0, p->unit);
}

/* Newlines from byte off to the end of the file. */
static uint64_t lines_from(const char *path, uint64_t off)
{
	char buf[1 << 16];
	uint64_t n = 0;
	size_t got;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return 0;
	if (fseeko(f, (off_t)off, SEEK_SET) == 0)
		while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
			for (const char *c = buf; (c = memchr(c, '\n', (size_t)(buf + got - c))) != NULL; c++)
				n++;
	fclose(f);
	return n;
}

uint64_t progress_trace_events(const char *path)
{
	struct trace_reader *r;
	struct trace_file_info fi;
	struct trace_event ev;
	char *cause = NULL;
	uint64_t n = 0;

	if (strcmp(path, "-") == 0 || (r = trace_open(path, &cause)) == NULL) {
		free(cause);
		return 0;
	}
	trace_get_file_info(r, &fi);
	if (trace_format(r) == TRACE_FMT_BINARY)
		n = fi.indexed ? fi.index_events : 0;
	else if (trace_read(r, &ev, &cause) > 0)
		n = lines_from(path, trace_event_offset(r));
	free(cause);
	trace_close(r);
	return n;
}
