/* bench-tui.c -- the browser's model and key handling against a big database, without a terminal */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vr/tui.h"

/*
 * usage: bench-tui DB
 * Prints one line per step: "STEP MILLISECONDS", then "maxrss KIB". The
 * steps are what a user does first in a big run: open, last page, go to
 * the middle, page, search for something absent (a full scan), filter by
 * kind (a scan that counts), open the panes, the queue-state panel. "open"
 * is tui_model_open and tui_new (the first screen's rows read);
 * "first-screen" adds formatting everything the first screen shows.
 */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *keys;
	} steps[] = {
		{ "last-page", "G" },
		{ "first-page", "g" },
		{ "goto-middle", NULL },
		{ "page-down-x10", "          " },
		{ "page-up-x10", "bbbbbbbbbb" },
		{ "row-down-x100", "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj" },
		{ "search-absent", "g/no-such-register-anywhere\n" },
		{ "filter-kind", "fbar-write\n" },
		{ "filter-last-page", "G" },
		{ "filter-off", "f\n" },
		{ "open-panes", "\n" },
		{ "transactions-last", "\n2G" },
		{ "panes-middle", NULL },
		{ "panes-step-x100", "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj" },
		{ "queue-state-on", "s" },
		{ "queue-state-step-x100", "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj" },
	};
	struct tui_model *m;
	struct tui *t;
	struct rusage ru;
	char *cause = NULL, mid[64], qmid[80];
	double t0;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-tui DB\n");
		return 2;
	}
	t0 = now_ms();
	if ((m = tui_model_open(argv[1], 0, &cause)) == NULL) {
		fprintf(stderr, "bench-tui: %s\n", cause);
		return 2;
	}
	t = tui_new(m, 50, 200);
	printf("open %.3f\n", now_ms() - t0);
	/* what the first screen shows: the title, the list's lines, the status line */
	{
		char line[TUI_LINE], title[512];

		tui_title(t, title, sizeof(title));
		for (int i = -1; i < t->nrows; i++)
			tui_list_line(t, i, line);
		tui_spark_line(t, line);
		tui_status(t, title, sizeof(title));
	}
	printf("first-screen %.3f\n", now_ms() - t0);
	snprintf(mid, sizeof(mid), ":%lld\n", (long long)(tui_model_run(m)->events / 2));
	/* the panes in the middle of the run following the selection, then the queue-state panel */
	snprintf(qmid, sizeof(qmid), "\n1:%lld\n\n", (long long)(tui_model_run(m)->events / 2));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *k = steps[i].keys ? steps[i].keys : strcmp(steps[i].name, "goto-middle") == 0 ? mid : qmid;
		char status[512];

		t0 = now_ms();
		for (; *k; k++)
			tui_key(t, (unsigned char)*k);
		tui_status(t, status, sizeof(status));
		printf("%s %.3f\n", steps[i].name, now_ms() - t0);
	}
	tui_free(t);
	getrusage(RUSAGE_SELF, &ru);
	printf("maxrss %ld\n", ru.ru_maxrss);
	return 0;
}
