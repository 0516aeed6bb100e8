/* virtq.h -- split virtqueue, device side (the seed's queue API, rebuilt) */
#ifndef VR_VIRTQ_H
#define VR_VIRTQ_H
#include <stdbool.h>
#include <stdint.h>
#include "vr/event.h"

#include "vr/violation.h"
#include "vr/virtio-spec.h"

#define VIRTQ_MAX_SIZE		1024
#define VIRTQ_MAX_QUEUES	1024		/* per device (QEMU's VIRTIO_QUEUE_MAX) */
#define VIRTQ_NAME_MAX		32
#define VIRTQ_MAX_SG		1024		/* scatter-gather entries per chain */
#define VIRTQ_BOUNCE_MAX	4096		/* QEMU's bounce buffer: one target page */
#define VIRTQ_OUT_MAX		(16u << 20)	/* OUT bytes gathered per chain */

struct virtq;

/*
 * Where QEMU and the letter of the spec disagree on a ring rule, the layout
 * profile chooses; these are its switches for the ring code.
 */
struct virtq_policy {
	bool indirect_with_next_ok;	/* INDIRECT+NEXT: report, ignore next (QEMU) instead of refusing */
	bool zero_len_fatal;		/* a zero-length descriptor breaks the chain (QEMU virtqueue_map_desc) */
	bool misaligned_ring_ok;	/* misaligned rings reported but used (QEMU never checks) */
	bool avail_jump_ok;		/* avail idx jumps reported, stale slots popped (QEMU) */
	bool first_sync_notifies;	/* EVENT_IDX: the first sync after enable always interrupts */
	bool signalled_wrap_guard;	/* EVENT_IDX: notify when signalled_used left the window */
	/*
	 * Work bound: chains one guest action (a notify or other register write)
	 * or host input may take from a queue; the rest waits for the next one.
	 * 0: the queue size (the spec's bound on what a driver can make
	 * available at once; QEMU's in-flight limit, vring.num).
	 */
	uint16_t kick_max;
	/*
	 * QEMU's vq->notification: virtq_disable_notify turns it off, and while
	 * it is off neither a pop nor the disable itself writes avail_event
	 * (vring_set_avail_event returns early); resume writes it again.
	 */
	bool notify_off_gates_event;
	/*
	 * QEMU's asynchronous completion (blk and scsi I/O finish in a bottom
	 * half after the notify returns): a chain completed with
	 * virtq_put_async stays in flight, and its used element is written
	 * when the transport's handler call returns, then used idx is
	 * published and the driver interrupted as virtq_sync does; a device
	 * broken meanwhile writes none of them. Off: virtq_put_async is
	 * virtq_put.
	 */
	bool async_complete;
	/*
	 * Rings and buffers mapped as QEMU 7.2 maps them (address_space_cache_init,
	 * address_space_map): a ring is as long as QEMU's (the event words only
	 * with EVENT_IDX) and must lie in one piece of RAM or of unassigned space
	 * (reads 0, writes dropped); a buffer outside RAM goes through the
	 * machine's one bounce buffer, at most a page, held until the chain is
	 * used. Off: rings and buffers must be RAM.
	 */
	bool map_as_qemu;
	/*
	 * QEMU's virtqueue_split_pop takes a head (last_avail_idx) and writes
	 * avail_event (EVENT_IDX) before it walks the chain: a chain that fails
	 * has still moved both.
	 */
	bool event_before_walk;
	/*
	 * QEMU's chain walk (virtqueue_split_pop and its count): INDIRECT
	 * counts only on the descriptor an avail slot names; anywhere else
	 * (later in a chain, inside a table) the descriptor is a buffer. A
	 * table is any non-zero multiple of 16 bytes, over 1024 entries too.
	 */
	bool indirect_head_only;
	/*
	 * QEMU's virtqueue_split_get_avail_bytes for virtq_count_in: it stops
	 * as soon as the IN total reaches what was asked (what follows is not
	 * looked at), adds lengths in 32 bits (they wrap), and counts the
	 * descriptors of every direct chain (an indirect one as 1) against
	 * the queue size: past it is a loop. Off: each chain walked whole,
	 * with every check of a pop.
	 */
	bool count_as_qemu;
	/*
	 * QEMU reads the device's features at each use (virtio_vdev_has_feature),
	 * not the ones a queue was enabled with: a feature write the device
	 * takes changes a started queue's EVENT_IDX and ring features, and one
	 * holding EVENT_IDX maps the rings again with their event words
	 * (virtio_set_features, virtio_init_region_cache), which breaks the
	 * device if they do not fit. Off: a queue keeps the features it was
	 * enabled with.
	 */
	bool features_follow_device;
};

/*
 * What the ring decided (rust-vmm virtio-queue's Error, with detail): up to
 * VIRTQ_REPORTS_MAX findings in order; the last may be fatal (the operation
 * was refused). The caller reports them and applies the reaction.
 */
#define VIRTQ_REPORTS_MAX	4
struct virtq_report {
	enum violation v;
	int desc;
	uint64_t addr;
	bool fatal;			/* needs a reaction (NEEDS_RESET, queue or device stops) */
	char detail[200];
};
struct virtq_result {
	unsigned n;
	bool refused;			/* the operation did not happen */
	struct virtq_report r[VIRTQ_REPORTS_MAX];
};

struct virtq_sg {
	uint64_t addr;
	uint32_t len;
};

/*
 * A descriptor chain taken from the avail ring. OUT (device-readable) bytes
 * are gathered into `out`; IN (device-writable) buffers are a scatter-gather
 * list the device fills with virtq_chain_write(). Storage belongs to the
 * queue and stays valid until virtq_put() (or the next virtq_get()).
 */
struct virtq_chain {
	uint16_t head;
	uint8_t *out;
	uint32_t out_len;
	struct virtq_sg *in;
	unsigned nin;
	uint32_t in_len;		/* total IN capacity */
	uint32_t in_written;		/* highest IN byte written so far */
	struct vr_desc *desc;		/* the walk, for events */
	unsigned ndesc;
	uint64_t first_event;
	uint32_t gen;			/* which virtq_get filled it (stale-chain check) */
	bool bounced;			/* a buffer went through the bounce buffer (map_as_qemu) */
};

/* Decoded description of a finished request, for the TXN event. */
struct virtq_txn_info {
	const char *type;		/* "OUT" */
	const char *fields;		/* "sector=2048 len=4096" */
	const char *status;		/* "OK" */
};

/*
 * How a device model uses a queue (it never sees ring addresses):
 *
 *   ops->queue_notified(dev, qi):        the guest kicked queue qi
 *       struct virtq *q = vdev_queue(ctx, qi);
 *       struct virtq_chain c;
 *       int r;
 *       while ((r = virtq_get(q, &c, true)) == 1) {
 *           ... parse c.out / c.out_len, produce the answer ...
 *           virtq_chain_write(q, &c, 0, reply, n);        // DMA into the IN buffers
 *           virtq_put(q, &c, n, &info);                   // used.ring[...] (not yet visible)
 *           virtq_sync(q);                                // used.idx, then maybe an interrupt
 *       }
 *       // r == -1: the guest broke the rules; the violation is already
 *       // reported and the queue/device stopped per profile: just return.
 *
 * - The model drains the queue itself inside queue_notified; the transport
 *   calls it only for a live, enabled queue (use before that is violation
 *   queue-not-ready, handled by the transport).
 * - Who syncs: the model, after each put (QEMU's virtio-blk pushes and
 *   notifies per request; replays compare interrupts one by one, so models
 *   should do the same). virtq_sync decides whether to interrupt: with
 *   EVENT_IDX by used_event (qemu profile: the first sync after queue enable
 *   always interrupts, like QEMU's signalled_used_valid), else by the avail
 *   NO_INTERRUPT flag. A sync with nothing put since the last one does nothing.
 * - Driver notifications (kicks): with EVENT_IDX every removing virtq_get
 *   writes avail_event = the new last_avail_idx (as QEMU's virtqueue_pop does),
 *   so the driver keeps kicking; without it the device never sets NO_NOTIFY
 *   unless a model calls virtq_disable_notify / virtq_resume_notify.
 * - Host-driven queues (net rx, console rx): on ops->input take a chain with
 *   virtq_get; 0 means no buffer posted (drop or keep the input, per device).
 * - Every write into guest RAM is a VR_EV_DMA event; keep writes in the order
 *   the real device does them (data first, then put, then sync).
 * - Violations found while walking a chain (cases 1-12, 17) are reported by
 *   virtq_get; models report device-level ones (e.g. a zero-length status
 *   buffer: "desc-zero-len") with vdev_violation().
 */

const char *virtq_name(const struct virtq *q);
unsigned virtq_index(const struct virtq *q);
uint16_t virtq_size(const struct virtq *q);		/* size in use (0 if not enabled) */
uint64_t virtq_features(const struct virtq *q);	/* the ones it runs with (features_follow_device: the device's) */
uint64_t virtq_counted(const struct virtq *q);		/* descriptors its avail-bytes counts have read, ever */
bool virtq_is_enabled(const struct virtq *q);		/* queue_enable set and device live */
bool virtq_is_empty(struct virtq *q);			/* true also when not enabled */
bool virtq_has_rings(const struct virtq *q);		/* rings mapped, live or not (QEMU's virtio_queue_ready) */

/*
 * Take (remove=true) or peek at the next available chain. (Implemented by the
 * transport, src/machine/vdev-ctx.c: the ring decides, the transport reports.)
 * Returns 1 with *c filled, 0 if the queue is empty or not enabled/live,
 * -1 if the guest broke the rules (the violation has been emitted and, per
 * the layout profile, the queue or device is stopped; the caller just stops
 * processing this queue).
 * c's storage (out, in, desc) belongs to the queue: valid until the next
 * virtq_get on this queue. Finish (put) one chain before taking the next; a
 * model that must hold several uses virtq_chain_keep.
 */
int virtq_get(struct virtq *q, struct virtq_chain *c, bool remove);
/*
 * Keep a chain past the next virtq_get (QEMU's virtio-scsi pops a whole
 * batch before it runs the first request). virtq_chain_keep copies the head
 * and the descriptors the walk read (at most VIRTQ_MAX_SG + 1), not their
 * bytes; virtq_chain_restore makes the chain the queue's current one again,
 * filling c as virtq_get did, its OUT bytes read from guest memory anew
 * (QEMU reads a request's data when it runs it, not when it pops it), and
 * frees k. A kept chain is still in flight: put it once restored. A model
 * restores or drops every chain it keeps before its handler returns.
 */
struct virtq_kept;
struct virtq_kept *virtq_chain_keep(const struct virtq_chain *c);
void virtq_chain_restore(struct virtq *q, struct virtq_kept *k, struct virtq_chain *c);
/* Give a kept chain up unused (QEMU's virtqueue_detach_element): out of flight, no used element; frees k. */
void virtq_chain_drop(struct virtq *q, struct virtq_kept *k);
/*
 * Copy len bytes into the chain's IN buffers at byte offset off (a DMA event
 * per buffer piece, what="buffer"). -1 if it does not fit the IN capacity,
 * RAM is bad, or c is no longer the queue's current chain.
 */
int virtq_chain_write(struct virtq *q, struct virtq_chain *c, uint32_t off, const void *src, uint32_t len);
/*
 * Write-ahead the used element (head, len) into the used ring without
 * publishing it, and emit the TXN event described by info (info may be NULL
 * for chains that are not requests, e.g. pre-posted rx buffers returned at reset).
 */
void virtq_put(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info);
/*
 * virtq_put for a request the real device completes later (QEMU: block I/O,
 * flushes; requests it answers at once use virtq_put). Under a profile with
 * async_complete the TXN event goes out now (the chain's bytes are still
 * there) and the chain stays in flight: the used elements are written in
 * put order when the notify handler returns, then used idx is published and
 * the driver interrupted once (QEMU notifies per request, but a recording
 * sees one MSI-X message per vector between two guest actions; with
 * EVENT_IDX the decision is the same), so a notify cannot have more such chains than
 * the queue size (QEMU's "Virtqueue size exceeded", violation
 * too-many-in-flight). Data and status bytes go into the IN buffers now, as
 * QEMU's block layer writes them whatever happens to the device.
 */
void virtq_put_async(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info);
/*
 * virtq_put for a request the real device answers inside the notify
 * handler but only after it has popped every request of the batch (QEMU's
 * virtio-scsi prepares all, answering framing errors at once, then submits
 * them): under async_complete its used element is written when the handler
 * returns, after every earlier held one and before the virtq_put_async
 * ones; the TXN event goes out now. Off: virtq_put.
 */
void virtq_put_held(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info);
/* Publish used idx, then interrupt the driver as negotiated (EVENT_IDX / NO_INTERRUPT). */
void virtq_sync(struct virtq *q);
/*
 * virtq_sync for a handler QEMU ends with virtio_notify() whether or not it
 * used a buffer: with nothing put since the last sync the driver is still
 * interrupted when it asks for it (no NO_INTERRUPT; with EVENT_IDX only the
 * first notification after queue enable).
 */
void virtq_notify(struct virtq *q);
/* Ask the driver not to kick (NO_NOTIFY, or avail_event unless notify_off_gates_event); a DMA write. */
void virtq_disable_notify(struct virtq *q);
/* Re-enable notifications (avail_event = avail idx / clear NO_NOTIFY) after draining. */
void virtq_resume_notify(struct virtq *q);
/*
 * After a model's pop loop, what QEMU's notification switch-on leaves
 * (EVENT_IDX): avail_event = avail idx. Written only where the pops left
 * it elsewhere (they stopped short), so an ordinary loop makes no extra DMA.
 */
void virtq_event_catch_up(struct virtq *q);
/* Device-side stop/restart of a queue (the seed's enable): a stopped queue hands out no chains. */
void virtq_enable(struct virtq *q, bool enabled);
/* Chains taken and not yet put. */
unsigned virtq_in_flight(const struct virtq *q);
/*
 * Device-writable bytes in the chains available and not yet taken, counted
 * up to want as QEMU's virtqueue_get_avail_bytes counts them (virtio-rng
 * asks its backend for that many bytes, virtio-serial's chardev reads no
 * more, virtio-net asks whether the buffers hold a whole frame): descriptor
 * lengths, no buffer mapped, a length of 0 or an order the pop refuses
 * taken as they are; under the qemu profile QEMU's rules besides
 * (virtq_policy.count_as_qemu). Counts on a broken device too, as QEMU's
 * does (not on a queue stopped or without rings). What the count itself
 * refuses (a head past the queue, a descriptor loop, next past its table,
 * a bad indirect table, avail idx moved by more than the queue size) is
 * reported with the profile's reaction, fatal (QEMU: virtio_error, the
 * device breaks before any chain is served), and counts 0. Invalidates a
 * chain peeked before.
 */
uint32_t virtq_avail_len_in(struct virtq *q, uint32_t want);
/*
 * Hand len bytes from src to chains popped one by one, each taking what its
 * IN buffers hold (QEMU's virtio-rng chr_read, virtio-serial write_to_port),
 * until the bytes are handed or no chain pops. Each chain is put with what
 * it took, as a transaction of the given type whose fields each(op, head, n,
 * failed) writes into fields first; a chain whose buffers cannot be written
 * takes 0, status IOERR, failed true. Returns the bytes handed.
 */
size_t virtq_hand_out(struct virtq *q, const uint8_t *src, size_t len, const char *type, const char *fields,
    void (*each)(void *op, uint16_t head, uint32_t n, bool failed), void *op);
/* Enabled with descriptor address 0: QEMU maps no ring and its kicks call no handler. */
bool virtq_unmapped(const struct virtq *q);

#endif
