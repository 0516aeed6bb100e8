/* replay-int.h -- the replay engine's state, shared by replay.c (the run) and replay-match.c (matching and reports) */
#ifndef VR_REPLAY_INT_H
#define VR_REPLAY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/ckpt-file.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/virtq.h"

/* Bytes of each historic event kept for the report (the text notes the cut). */
#define HIST_BYTES	32
/* Bytes shown in a divergence hex dump. */
#define DIFF_BYTES	128
/* Cap on queued unmatched outputs: a runaway device cannot grow memory without bound. */
#define MAX_PENDING	65536

struct hist {
	struct trace_event ev;
	uint64_t no, off;
	uint32_t full_len;
	uint8_t data[HIST_BYTES];
};

struct pending {
	uint8_t kind;			/* TRACE_DMA or TRACE_IRQ */
	uint64_t addr;
	size_t off;			/* data in r->arena */
	uint32_t len;
	char what[40];
	bool msix;
	uint16_t vector;
	uint8_t level;
};

/* What the guest told the device about each queue, snooped from common-config writes (for reports). */
struct qshadow {
	uint16_t size;
	uint64_t desc, avail, used;
	char name[32];
};

#define RP_MSIX_VECTORS	2048		/* PCI: the MSI-X table size field has 11 bits */

struct replay {
	struct replay_opts opts;
	/*
	 * MSI-X vectors matched since the last guest event. QEMU's recording
	 * reads each vector's mailbox once per access (and per poll while it
	 * waits), so messages a device sends on one vector in between are one
	 * interrupt there: the model's further ones on that vector are not extra.
	 */
	uint8_t msix_seen[(RP_MSIX_VECTORS + 7) / 8];
	bool unlooked;			/* outputs pending since an event the recorder looks after later (main_loop_turn) */
	struct trace_reader *rd;
	struct trace_header hdr;
	int layout;
	struct replay_devsetup ds;
	struct vpci *dev;
	struct evbus dbus;		/* the device's bus; the engine forwards to ubus */
	struct evbus *ubus;		/* the caller's sinks */
	bool reporting;			/* event_no >= from */
	bool guest_seen;		/* a guest event was applied (checkpoints after it are verified) */
	uint64_t vtime;

	struct pending *pend;
	unsigned npend, pend_head, pend_cap;
	struct buf arena;

	struct hist hist[REPLAY_HISTORY];
	unsigned nhist, hist_next;

	struct replay_stats st;
	char *first_report;
	char trace_sha[65];
	struct buf tmp, tmp2;
	struct buf ram;			/* simulated RAM under a mem-read */
	int outcome;
	bool diverged_stop;		/* a divergence outside lenient mode */
	uint64_t dev_violations;	/* every violation seen, reported or not */
	/* Work budget: what the device did, and the first event that went over (over_what names it). */
	uint64_t served_requests, served_bytes, served_counted;
	uint64_t allow_requests, allow_bytes, allow_counted;	/* current allowance; recomputed when reached */
	const char *over_what;			/* NULL: within budget */
	uint64_t over_no, over_off, over_allowed;
	struct qshadow q[VIRTQ_MAX_QUEUES];
	uint16_t qsel;
	/* (bar, offset, size) -> snooped register, so names are built once per register, not per write. */
	struct {
		uint64_t key;		/* 0: empty */
		int8_t reg;		/* index in the snoop table, -1: not a queue register */
	} snoop_cache[64];
	/* --checkpoints: read (ckpt_writing false) or being written, and the event of the last one written */
	struct ckpt_file *ckpt;
	bool ckpt_writing;
	uint64_t ckpt_last;
};

/* replay.c */
void rp_hist_text(struct replay *r, struct buf *b);

/* replay-match.c: outputs matched against the recording, reads checked, divergences reported */
int rp_check_mem_read(struct replay *r, const struct trace_event *ev, uint64_t no, uint64_t off, char **cause);
void rp_check_read(struct replay *r, const struct trace_event *ev, uint64_t got);
void rp_check_unmatched(struct replay *r);

/* the work budget (replay-budget.c) */
/* The allowances for b trace bytes read (the options' fixed budgets win). */
void rp_budget_allow(struct replay *r, uint64_t b);
/*
 * Count amount units of device work against the budget. False once it is
 * spent: from then on the device's outputs reach no sink (nothing more is
 * written) and the run stops after the current event with a message.
 */
bool rp_budget_take(struct replay *r, uint64_t *served, uint64_t *allow, uint64_t amount, const char *what);
/* The descriptors the device's counts read since the last call, against their budget. */
void rp_budget_counted(struct replay *r);
/* After each event: -1 with "FILE: event N (offset 0xOFF): ..." once the work or memory budget is spent. */
int rp_over_budget(struct replay *r, char **cause);
void rp_match_dma(struct replay *r, const struct trace_event *ev);
void rp_match_irq(struct replay *r, const struct trace_event *ev);
void rp_snoop_write(struct replay *r, const struct trace_event *ev);
void rp_verify_checkpoint(struct replay *r, const struct trace_event *ev);

#endif
