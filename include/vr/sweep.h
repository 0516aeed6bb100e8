/* sweep.h -- generated register, interrupt and request scenarios recorded on QEMU and replayed here */
#ifndef VR_SWEEP_H
#define VR_SWEEP_H
#include <stdbool.h>
#include <stdint.h>
#include "vr/record.h"
#include "vr/trace.h"

/*
 * The sweep is a set of record scenarios ("sweep-*", in record --list) whose
 * every choice comes from the seed: which registers, at which sizes and
 * offsets, in which device state, with which values. Each can be recorded
 * on the simulator like any scenario; the sweep driver records each on
 * QEMU 7.2 (record --target qemu: QEMU answers, its header facts probed)
 * and replays QEMU's trace against the simulator, so every read, interrupt
 * and status where the two part is a difference, the same comparison
 * crosscheck makes.
 *
 * A scenario's kind says whose code a difference points at: "machine" (the
 * PCI function, MSI-X, INTx, the modern transport: src/machine) or
 * "device" (requests through the device models: src/dev). A difference in
 * guest RAM the device wrote is the device model's whatever the scenario.
 */

struct sweep_kind {
	const char *scenario;		/* the record scenario, "sweep-common" ... */
	bool machine;			/* differences are the machine layer's */
};

extern const struct sweep_kind sweep_kinds[];	/* terminated by scenario == NULL */

/* The record scenarios' run functions (rows of record_scenarios[] in scenarios.c). */
int sweep_sc_common(struct record *rec, char **cause);
int sweep_sc_regions(struct record *rec, char **cause);
int sweep_sc_msix(struct record *rec, char **cause);
int sweep_sc_intx(struct record *rec, char **cause);
int sweep_sc_status(struct record *rec, char **cause);
int sweep_sc_queues(struct record *rec, char **cause);
int sweep_sc_busmaster(struct record *rec, char **cause);
int sweep_sc_cfgspace(struct record *rec, char **cause);
int sweep_sc_pcicfg(struct record *rec, char **cause);
int sweep_sc_decode(struct record *rec, char **cause);
int sweep_sc_legacy(struct record *rec, char **cause);
void sweep_legacy_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_random(struct record *rec, char **cause);
int sweep_sc_scsi(struct record *rec, char **cause);		/* src/run/sweep-scsi.c */
/* sweep-scsi's header: the disk options (discard mode, write cache) from the seed. */
void sweep_scsi_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_net(struct record *rec, char **cause);		/* src/run/sweep-dev.c */
/* sweep-net's header: now and then a transitional function with a legacy driver (seeded). */
void sweep_net_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_console(struct record *rec, char **cause);
int sweep_sc_rng(struct record *rec, char **cause);
/* sweep-rng's header: now and then a transitional function with a legacy driver (seeded). */
void sweep_rng_prepare(struct record *rec, struct trace_header *h);
/*
 * sweep-serial (src/run/sweep-dev.c): virtio-serial with 2..6 ports and
 * MULTIPORT offered (the guest may refuse it): control messages in seeded
 * orders with ctrl-rx buffers posted or not (short ones too), hostile ones
 * (short, unknown port or event, split, with IN buffers), data both ways on
 * every port, bytes waiting for a port the guest has not opened, resets
 * with control messages before DRIVER_OK.
 */
void sweep_serial_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_serial(struct record *rec, char **cause);

struct sweep_opts {
	uint64_t seed;			/* scenario i runs with seed + i */
	uint64_t count;			/* scenarios to compare */
	const char *devices;		/* space-separated, NULL: "blk net scsi rng console" */
	const char *kinds;		/* space-separated scenario names, NULL: all; "machine": the machine kinds */
	const char *qemu;		/* NULL: qemu-system-x86_64 on PATH */
	const char *keep_dir;		/* keep QEMU's traces there (NULL: temporary files, removed) */
	const char *tmp_dir;		/* for temporary files (NULL: /tmp) */
};

/* One compared scenario, as the driver hands it to the caller. */
struct sweep_result {
	uint64_t index, seed;
	const char *scenario;
	const char *device;
	bool machine;
	const char *trace;		/* QEMU's trace (gone after the callback unless keep_dir) */
	uint64_t events;
	uint64_t differences;		/* divergences found replaying QEMU's trace here */
	uint64_t device_differences;	/* of them in guest RAM (the device models' answers) */
	const char *first;		/* the first one's report, or NULL */
	const char *failed;		/* not compared: why (QEMU failed, the scenario could not run) */
};

struct sweep_totals {
	uint64_t compared;		/* scenarios recorded on QEMU and replayed here */
	uint64_t failed;		/* scenarios that could not be compared */
	uint64_t differing;		/* scenarios with at least one difference */
	uint64_t differences;		/* divergences, summed */
	uint64_t machine_differing;	/* machine-kind scenarios with a difference outside guest RAM */
};

/*
 * Run the sweep; report(opaque, r) after each scenario. 0 with *t filled;
 * -1 + cause: bad options (unknown device or kind); -2 + cause: QEMU missing.
 */
int sweep_run(const struct sweep_opts *o, void (*report)(void *opaque, const struct sweep_result *r),
    void *opaque, struct sweep_totals *t, char **cause);

#endif
