/* event.h -- typed events the device and the replay engine emit, and the bus that carries them to sinks */
#ifndef VR_EVENT_H
#define VR_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Data flows one way: the device (machine layer) and the replay engine (run
 * layer) emit events; sinks (SQLite, log, pcap, stats) consume them. The
 * device never knows who listens. Every pointer in an event is valid only for
 * the duration of the callback: a sink that keeps data copies it.
 *
 * The bus stamps each event with the trace event being processed (number,
 * byte offset, virtual time), so the device itself never needs to know about
 * traces. Emission order is deterministic.
 */

enum vr_ev_kind {
	VR_EV_RUN_BEGIN,	/* replay starts: run fields */
	VR_EV_RUN_END,		/* replay ended: run fields (outcome) */
	VR_EV_TRACE,		/* a trace event is about to be applied (raw event) */
	VR_EV_ACCESS,		/* decoded register access (cfg space or BAR) */
	VR_EV_TXN,		/* a request completed: descriptor chain + decoded request */
	VR_EV_DMA,		/* the device wrote bytes into guest RAM */
	VR_EV_IRQ,		/* the device raised an interrupt */
	VR_EV_VIOLATION,	/* the guest misbehaved */
	VR_EV_DIVERGENCE,	/* produced output differs from the recording */
	VR_EV_FRAME,		/* a network frame crossed the device (pcap) */
	VR_EV_NOTE,		/* free text: status changes, resets, device notes */
	VR_EV_KIND_COUNT
};

/* One descriptor as walked, for logs and the descriptors table. */
struct vr_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;		/* VIRTQ_DESC_F_* as read from the guest */
	uint16_t next;
	uint16_t index;		/* index in its table */
	uint8_t indirect;	/* 1 if it came from an indirect table */
};

struct vr_ev_run {
	const char *trace_path;
	const char *trace_sha256;	/* hex */
	const char *version;		/* program version */
	const char *options;		/* command line options, canonical */
	const char *device;		/* "blk" */
	const char *layout;		/* "qemu" / "vbox" */
	uint64_t features;		/* negotiated (RUN_END) / offered (RUN_BEGIN) */
	const char *outcome;		/* RUN_END: "matched", "diverged", "bad-input", "error" */
	uint64_t events;		/* RUN_END: events replayed */
	uint64_t divergences;
	uint64_t violations;
	bool complete;			/* RUN_END: replay reached the end it was asked for */
};

struct vr_ev_trace {
	uint8_t kind;			/* TRACE_* from trace.h */
	const char *kind_name;		/* "bar-write" etc. */
	uint8_t space;			/* BAR number / irq type / input type */
	uint8_t size;
	bool has_value;
	uint64_t addr;
	uint64_t value;			/* written value, or recorded read value */
	const uint8_t *data;
	uint32_t len;
};

struct vr_ev_access {
	bool write;
	bool cfg;			/* true: PCI config space; false: BAR */
	uint8_t bar;
	uint8_t size;
	uint64_t offset;
	uint64_t value;			/* value written, or value the device returned */
	const char *reg;		/* "common.queue_desc[31:0]", "msix.table[3].data" */
};

struct vr_ev_txn {
	uint16_t queue;
	const char *queue_name;		/* "requestq", "rx0" */
	uint16_t head;
	const char *device;		/* "blk" */
	const char *type;		/* "IN", "OUT", "READ(10)", "tx" */
	const char *fields;		/* decoded fields "sector=2048 len=4096" */
	const char *status;		/* "OK", "IOERR", "GOOD" */
	const struct vr_desc *desc;
	unsigned ndesc;
	const uint8_t *out;		/* device-readable bytes (may be capped: out_len is the real size) */
	uint32_t out_len;
	uint32_t out_shown;		/* bytes available at out */
	const uint8_t *in;		/* bytes the device wrote */
	uint32_t in_len;
	uint32_t in_shown;
	uint32_t used_len;		/* len published in the used ring */
	uint64_t first_event;		/* event at which the chain was taken */
};

struct vr_ev_dma {
	uint64_t addr;
	const uint8_t *data;
	uint32_t len;
	const char *what;		/* "used.ring[3]", "used.idx", "buffer" */
};

struct vr_ev_irq {
	bool msix;
	uint16_t vector;		/* MSI-X vector */
	uint8_t level;			/* INTx level (1 raised, 0 lowered) */
	uint8_t isr;			/* ISR byte after the change (INTx) */
	uint64_t msg_addr;		/* MSI-X message address/data as delivered */
	uint32_t msg_data;
	const char *cause;		/* "queue 0", "config" */
};

struct vr_ev_violation {
	const char *name;		/* stable identifier, e.g. "desc-loop" */
	int queue;			/* -1 if none */
	int desc;			/* -1 if none */
	uint64_t addr;
	const char *detail;		/* human-readable, lowercase */
};

struct vr_ev_divergence {
	const char *what;		/* "bar-read", "dma", "irq", "missing-dma" ... */
	const char *field;		/* "common.device_status", "used.ring[2].len" */
	uint64_t expected;
	uint64_t produced;
	const uint8_t *exp_data;
	uint32_t exp_len;
	const uint8_t *got_data;
	uint32_t got_len;
	const char *report;		/* full multi-line report text */
};

struct vr_ev_frame {
	bool tx;			/* true: guest -> wire; false: wire -> guest */
	uint16_t queue;
	const uint8_t *data;		/* ethernet frame, no virtio-net header */
	uint32_t len;
};

struct vr_ev_note {
	const char *text;
};

struct vr_event {
	enum vr_ev_kind kind;
	uint64_t event_no;		/* stamped by the bus */
	uint64_t offset;		/* stamped by the bus: byte offset of that trace event */
	uint64_t vtime;			/* stamped by the bus: virtual time (ns) */
	union {
		struct vr_ev_run run;
		struct vr_ev_trace trace;
		struct vr_ev_access access;
		struct vr_ev_txn txn;
		struct vr_ev_dma dma;
		struct vr_ev_irq irq;
		struct vr_ev_violation violation;
		struct vr_ev_divergence divergence;
		struct vr_ev_frame frame;
		struct vr_ev_note note;
	} u;
};

typedef void (*evbus_fn)(void *opaque, const struct vr_event *ev);

#define EVBUS_MAX_SINKS 16

struct evbus {
	uint64_t event_no;		/* current trace event */
	uint64_t offset;
	uint64_t vtime;
	unsigned nsinks;
	struct {
		evbus_fn fn;
		void *opaque;
		uint32_t mask;		/* bit per vr_ev_kind */
	} sinks[EVBUS_MAX_SINKS];
	uint32_t mask;			/* union of sink masks: emitters may skip building unwanted events */
};

void evbus_init(struct evbus *bus);
/* Subscribe fn to the kinds in mask (1u << VR_EV_*; EVBUS_ALL for all). -1 if full. */
int evbus_add(struct evbus *bus, uint32_t mask, evbus_fn fn, void *opaque);
#define EVBUS_ALL 0xffffffffu
static inline bool evbus_wants(const struct evbus *bus, enum vr_ev_kind k)
{
	return bus && (bus->mask & (1u << k));
}
/* Stamp ev with the bus position and deliver it to every interested sink, in subscription order. */
void evbus_emit(struct evbus *bus, struct vr_event *ev);
const char *vr_ev_kind_name(enum vr_ev_kind k);

#endif
