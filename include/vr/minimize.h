/* minimize.h -- shrink a trace to the fewest events and bytes that keep the same replay outcome */
#ifndef VR_MINIMIZE_H
#define VR_MINIMIZE_H
#include <stdbool.h>
#include <stdint.h>

/*
 * Delta debugging (Zeller's ddmin, complements only) over a trace's events,
 * then over the bytes of guest stores and host inputs, then over header
 * facts. Every candidate is written to a scratch file and replayed in this
 * process; a candidate is kept when its outcome matches what is kept:
 *
 *   MIN_KEEP_DIVERGE    the first divergence has the same kind and field
 *   MIN_KEEP_VIOLATION  a violation with the given name occurs
 *   MIN_KEEP_EXIT       the replay ends with the same exit status (0/1/2)
 *
 * The search is deterministic: the same trace and the same spec give the
 * same output, byte for byte. A trace of more than MIN_CUT_EVENTS events
 * is first cut (like `virtio-replay cut`) at the latest guest event from
 * whose checkpointed state the outcome still follows, found by binary
 * search. Events before the trace's first guest event
 * that establish its starting state (a cut trace's checkpoint, its time)
 * are never removed, so the result stays self-contained.
 */

enum min_keep { MIN_KEEP_AUTO = 0, MIN_KEEP_DIVERGE, MIN_KEEP_VIOLATION, MIN_KEEP_EXIT };

struct min_spec {
	enum min_keep keep;
	char violation[40];		/* MIN_KEEP_VIOLATION */
	int exit_status;		/* MIN_KEEP_EXIT: 0 matched, 1 diverged, 2 bad input */
};

/* Parse "diverge", "violation:NAME" or "exit:N". 0 / -1 + cause. */
int min_spec_parse(const char *s, struct min_spec *spec, char **cause);

struct min_opts {
	const char *in;			/* the trace to shrink */
	const char *out;		/* where the result goes (.vrb binary, else text) */
	const char *scratch_dir;	/* directory for candidate files (must exist) */
	const char *image_dir;		/* where disk images named by the header are (NULL: beside `in`) */
	int layout;			/* -1: the trace's */
	struct min_spec spec;		/* MIN_KEEP_AUTO: derived from the original replay */
	uint64_t max_replays;		/* 0: default (MIN_DEFAULT_REPLAYS) */
	/* Called after each replay (may be NULL). */
	void (*progress)(void *opaque, uint64_t replays, uint64_t events_now);
	void *progress_opaque;
};

#define MIN_DEFAULT_REPLAYS	50000
#define MIN_CUT_EVENTS		10000u		/* above this, look for a checkpointed start first */
#define MIN_MAX_EVENTS		(16u << 20)	/* events a trace may have to be minimized */

struct min_result {
	struct min_spec spec;		/* what was kept (AUTO resolved) */
	char what[160];			/* the kept outcome, e.g. "divergence bar-read at common.device_status" */
	uint64_t events_before, events_after;
	uint64_t bytes_before, bytes_after;	/* payload bytes of stores and inputs */
	uint64_t replays;
	bool cut;			/* the result starts from a checkpoint of the state at cut_at */
	uint64_t cut_at;		/* event number in the original */
	uint64_t checkpoint_bytes;
	bool budget_hit;		/* stopped at max_replays: the result is smaller, not minimal */
};

/*
 * Returns 0 and fills *res, or -1 + cause (the trace cannot be read, or its
 * own replay is bad input or an internal error, or the original does not
 * show what spec asks to keep).
 */
int minimize_trace(const struct min_opts *o, struct min_result *res, char **cause);

#endif
