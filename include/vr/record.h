/* record.h -- record a trace by running a scenario of the model guest driver against the simulated device */
#ifndef VR_RECORD_H
#define VR_RECORD_H
#include <stdbool.h>
#include <stdint.h>
#include "vr/guest.h"
#include "vr/trace.h"
#include "vr/vpci.h"

/*
 * The recorder wraps the guest's port: every config/BAR access and every
 * guest store into RAM becomes a trace event (reads carry the value the
 * device returned), followed by the outputs the device produced meanwhile
 * (DMA writes, interrupts) as expectations. Host inputs are written before
 * they are applied. Checkpoints (vpci_save blobs) are written every K events,
 * always between a guest event's outputs and the next guest event, each
 * preceded by a TIME event so a seek can restore the virtual clock.
 *
 * The device never sees randomness: --seed only drives the scenario's
 * xorshift generator (which sectors, what payloads, how many buffers).
 */

struct record_opts {
	const char *device;		/* "blk", "net", "scsi", "rng", "console" (NULL: the scenario's default) */
	const char *scenario;
	const char *out;		/* trace path; "-" = text on stdout */
	int format;			/* enum trace_fmt; -1: from out's extension (text if none) */
	int layout;			/* enum trace_layout; -1: the scenario's default (qemu) */
	uint64_t seed;
	uint64_t checkpoint_every;	/* events between checkpoints; 0: none */
	uint64_t count;			/* scenario size (bulk: requests); 0: the scenario's default */
	bool qemu;			/* --target qemu: drive a real QEMU device instead of the simulator */
	const char *qemu_binary;	/* NULL: qemu-system-x86_64 on PATH */
	int transport;			/* enum trace_transport (0: modern) */
	int driver;			/* RECORD_DRIVER_*; -1: legacy for a legacy transport, else modern */
};

#define RECORD_DRIVER_MODERN	0
#define RECORD_DRIVER_LEGACY	1

struct record;

struct record_scenario {
	const char *name;
	const char *summary;
	const char *devices;		/* devices it runs on, e.g. "blk scsi"; "*" = any */
	const char *default_device;
	/* Adjust the trace header (features offered, queue sizes, RAM) before the device is built. */
	void (*prepare)(struct record *rec, struct trace_header *h);
	int (*run)(struct record *rec, char **cause);
	const char *no_qemu;		/* NULL: runs on QEMU too (--target qemu); else why it cannot */
};

extern const struct record_scenario record_scenarios[];	/* terminated by name == NULL */
const struct record_scenario *record_find(const char *name);
bool record_scenario_supports(const struct record_scenario *s, const char *device);

/*
 * Run one scenario and write its trace. 0 / -1 + cause (usage or bad
 * scenario) / -2 + cause (QEMU missing or failed: the cause says which).
 */
int record_run(const struct record_opts *opts, char **cause);

/* ---- for scenarios (src/run/scenarios.c) ---- */

struct vpci *record_device(struct record *rec);
const char *record_device_name(const struct record *rec);
uint8_t record_device_id(const struct record *rec);
int record_layout(const struct record *rec);
/* The guest drives the legacy block (--driver legacy, or the default for --transport legacy). */
bool record_legacy_driver(const struct record *rec);
/*
 * From a scenario's prepare, when the options left transport and driver to
 * it: a transitional function driven through its legacy block.
 */
void record_pick_legacy_driver(struct record *rec, struct trace_header *h);
uint64_t record_count(const struct record *rec, uint64_t dflt);
const struct trace_header *record_header(const struct record *rec);
/* The scenario's deterministic generator (xorshift64*, seeded by --seed). */
uint64_t record_rand(struct record *rec);
/* One draw of it below n (0 when n is 0): the sweeps' seeded choices. */
uint64_t record_below(struct record *rec, uint64_t n);
/* A guest on the recording port; freed by the recorder. irq: enum guest_irq_mode. */
struct guest *record_guest(struct record *rec, enum guest_irq_mode irq, uint64_t features);
/* The same with the size of the guest's data area (buffers are handed out round-robin in it). */
struct guest *record_guest_sized(struct record *rec, enum guest_irq_mode irq, uint64_t features,
    uint64_t data_size);
/* Host input: written as an INPUT event, then given to the device. */
int record_input(struct record *rec, uint8_t type, uint64_t addr, const void *data, uint32_t len, char **cause);
void record_mark(struct record *rec, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Advance virtual time by ns and write a TIME event. */
void record_time(struct record *rec, uint64_t ns);
/*
 * Stop writing events (the device and guest go on) / start again. Resuming
 * writes a checkpoint first, so the trace replays from that state: the
 * wrap-around scenario uses it to skip 65 000 uninteresting requests.
 */
void record_pause(struct record *rec);
int record_resume(struct record *rec, char **cause);
uint64_t record_events(const struct record *rec);
/* The device is QEMU (record --target qemu), not the simulator. */
bool record_on_qemu(const struct record *rec);
/* The recording port itself, for raw accesses the guest driver would never make (the sweep's). */
const struct guest_port *record_port(const struct record *rec);
/*
 * n requests of the device's usual kind (those of the basic scenario,
 * numbered from first) on a guest brought up already; setup: first the
 * device's preparation (receive buffers posted, the disk's first sector).
 */
int record_requests(struct record *rec, struct guest *g, enum guest_irq_mode irq, unsigned first, unsigned n,
    bool setup, char **cause);
/* A raw BAR read through the recording port (for accesses the guest driver would never make). */
uint64_t record_bar_read(struct record *rec, unsigned bar, uint64_t off, unsigned size);
/*
 * Write a deliberately inconsistent checkpoint as the trace's first event
 * (and offer it to the device, which must refuse it: violation checkpoint-bad).
 */
void record_bad_checkpoint(struct record *rec);

#endif
