/* fuzz_replay.c -- libFuzzer target: the whole replay engine on a fuzzer-written text trace must never crash or hang */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/event.h"
#include "vr/replay.h"
#include "vr/sink-log.h"
#include "fuzz-common.h"

/*
 * Input: a text trace (.vrt), seeded from traces/. Invariants checked beyond
 * "no crash, no leak, no UB": every failure carries a message, a bad-input
 * message names the trace, and the outcome is one of the documented ones.
 * Every 8th input also goes through the log sink (into /dev/null), which
 * walks every event field the engine emits.
 *
 * Budget: one notify can make a device take up to 65535 requests (an avail
 * index moved backwards; the qemu profile only reports it), so a small input
 * can do a lot of honest work. Past BUDGET device outputs the replay is
 * stopped through opts.stop at the next event boundary, which keeps each run
 * well inside the fuzzer's timeout and exercises the stop path too.
 */
#define BUDGET	20000

static FILE *devnull;
static unsigned long iteration;
static volatile sig_atomic_t stop;
static unsigned long outputs;

static void count_output(void *opaque, const struct vr_event *ev)
{
	(void)opaque;
	(void)ev;
	if (++outputs > BUDGET)
		stop = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_opts o;
	struct evbus bus;
	struct replay *r;
	struct sink_log *slog = NULL;
	char *cause = NULL;
	const char *path;
	int outcome;

	if (size > (1u << 16))
		return 0;
	path = fuzz_file(data, size);
	evbus_init(&bus);
	stop = 0;
	outputs = 0;
	if (evbus_add(&bus, (1u << VR_EV_DMA) | (1u << VR_EV_IRQ) | (1u << VR_EV_TXN), count_output, NULL) < 0)
		abort();
	if (iteration++ % 8 == 0) {
		if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
			abort();
		slog = sink_log_new(devnull, 64);
		if (sink_log_attach(slog, &bus, &cause) < 0)
			abort();
	}
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.layout = -1;
	o.to = UINT64_MAX;
	o.stop = &stop;
	/* Lenient on odd sizes: the engine must also survive going on after a divergence. */
	o.lenient = (size & 1) != 0;
	if ((r = replay_new(&o, &bus, &cause)) == NULL) {
		if (cause == NULL || strstr(cause, path) == NULL)
			abort();
		free(cause);
		sink_log_close(slog, NULL);
		return 0;
	}
	outcome = replay_run(r, &cause);
	switch (outcome) {
	case REPLAY_MATCHED:
	case REPLAY_DIVERGED:
		if (cause != NULL)
			abort();
		break;
	case REPLAY_BADINPUT:
		if (cause == NULL || strstr(cause, path) == NULL)
			abort();
		break;
	case REPLAY_ERROR:
		if (cause == NULL)
			abort();
		break;
	case REPLAY_STOPPED:
		if (!stop)
			abort();	/* only the budget stops a run */
		break;
	default:
		abort();
	}
	if (outcome == REPLAY_DIVERGED && replay_get_stats(r)->divergences == 0)
		abort();
	free(cause);
	replay_free(r);
	if (slog != NULL) {
		cause = NULL;
		sink_log_close(slog, &cause);
		free(cause);	/* /dev/null does not fail, but do not insist */
	}
	return 0;
}
