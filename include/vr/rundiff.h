/* rundiff.h -- replay two traces (or one trace under two profiles) and compare what the devices did */
#ifndef VR_RUNDIFF_H
#define VR_RUNDIFF_H
#include <stdbool.h>
#include <stdint.h>

/*
 * Each side is replayed (leniently, so a divergence from its own recording
 * does not stop it) and what its device did is taken apart into streams,
 * one per kind. The streams are compared position by position: the n-th
 * register read of A with the n-th of B, and so on, so two traces whose
 * events are numbered differently still line up as long as the device did
 * the same things in the same order.
 *
 * A is replayed first and its streams are spooled to temporary files;
 * B is compared against them as it runs, so memory does not grow with the
 * length of the traces.
 */

enum rundiff_kind {
	RUNDIFF_READS = 0,	/* register reads: name and the value the device returned */
	RUNDIFF_DMA,		/* device writes into guest RAM: address, length, bytes */
	RUNDIFF_IRQ,		/* interrupts: MSI-X vector or INTx level, cause */
	RUNDIFF_VIOLATIONS,	/* guest misbehaviour named by the device */
	RUNDIFF_TXNS,		/* completed requests: queue, type, fields, status, used length */
	RUNDIFF_KINDS
};

struct vr_event;

struct rundiff_side {
	const char *path;
	int layout;		/* -1: the trace's own */
	const char *image_dir;	/* NULL: beside the trace */
	/*
	 * NULL: path is a trace, replayed here. Otherwise what the device did
	 * comes from elsewhere (a stored run): feed calls observe(ctx, ev) for
	 * each register read, DMA write, interrupt, violation and completed
	 * request, in event order, and fills layout_name, outcome and events.
	 * 0 / -1 + cause.
	 */
	int (*feed)(struct rundiff_side *side, void (*observe)(void *ctx, const struct vr_event *ev), void *ctx,
	    char **cause);
	void *feed_arg;
	/* filled by rundiff_run */
	char layout_name[16];
	char outcome[16];	/* "matched", "diverged", ... */
	uint64_t events;
	uint64_t count[RUNDIFF_KINDS];
};

#define RUNDIFF_TEXT 200

struct rundiff_first {
	bool found;
	enum rundiff_kind kind;
	uint64_t index;			/* position in the kind's stream */
	uint64_t a_event, b_event;	/* trace events that produced them (UINT64_MAX: none on that side) */
	char a[RUNDIFF_TEXT], b[RUNDIFF_TEXT];	/* "" where that side has none */
};

struct rundiff_result {
	uint64_t differ[RUNDIFF_KINDS];	/* positions that differ, plus what one side has more */
	struct rundiff_first first;	/* the difference at the earliest event of B */
	bool same;
};

const char *rundiff_kind_name(enum rundiff_kind k);	/* "reads", "dma", ... */
/* 0 and *res filled, or -1 + cause (a side is bad input or cannot be replayed). */
int rundiff_run(struct rundiff_side *a, struct rundiff_side *b, struct rundiff_result *res, char **cause);

#endif
