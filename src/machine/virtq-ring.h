/* virtq-ring.h -- the split ring's interface to the transport: create, start, pop/publish (decide and return), state */
#ifndef VR_VIRTQ_RING_H
#define VR_VIRTQ_RING_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/event.h"
#include "vr/gmem.h"
#include "vr/virtq.h"

/* Split ring internals the transport drives (virtq.c, virtq-used.c). */
struct virtq *virtq_new(void *owner, struct gmem *m, struct evbus *bus, unsigned index, const char *name,
    const char *device, const struct virtq_policy *pol);
void *virtq_owner(const struct virtq *q);
void virtq_free(struct virtq *q);
void virtq_reset(struct virtq *q);
/* The next avail slot to take (QEMU's last_avail_idx). */
uint16_t virtq_last_avail(const struct virtq *q);
/* queue_enable: validate and start; -1 if refused (res says why). */
int virtq_start(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
    struct virtq_result *res);
/*
 * QEMU's virtio_queue_set_rings on a started queue: the rings move (checked
 * and mapped as virtq_start maps them), indices, chains in flight and the
 * notification state stay; a ring that cannot be mapped leaves the queue
 * without rings. -1 if refused.
 */
int virtq_remap(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
    struct virtq_result *res);
/*
 * The device's features changed while q is started (features_follow_device;
 * else nothing): q takes them, and with EVENT_IDX its rings are mapped again
 * as QEMU does (virtq_map_again), the event words included; -1 (res says
 * why) if they cannot be.
 */
int virtq_features_changed(struct virtq *q, uint64_t features, struct virtq_result *res);
/*
 * QEMU's virtio_init_region_cache on a started queue (a memory commit; when:
 * for the report): its rings mapped again for its size now. -1 (res says
 * why) if they cannot be: the queue keeps its rings but has no ring caches
 * (nothing of it is read or written) until a later map succeeds or a reset.
 */
int virtq_map_again(struct virtq *q, const char *when, struct virtq_result *res);
/* Ring core for the model-facing virtq_get/virtq_sync (those live in vdev-ctx.c, which reports and interrupts). */
int virtq_pop(struct virtq *q, struct virtq_chain *c, struct virtq_result *res);
void virtq_take(struct virtq *q);	/* consume the chain virtq_pop returned (avail_event with EVENT_IDX) */
/*
 * QEMU's virtqueue_get_avail_bytes: the IN descriptors' lengths of the
 * chains available, up to want, no buffer mapped. A head past the queue, a
 * chain it refuses (loop, next past its table, a bad indirect table) or
 * avail idx moved by more than the queue size: 0, and res says why (fatal,
 * QEMU's virtio_error). Counts while the rings are there, on a broken
 * device too. Backs virtq_avail_len_in.
 */
uint32_t virtq_count_in(struct virtq *q, uint32_t want, struct virtq_result *res);
bool virtq_publish(struct virtq *q);	/* true: the driver wants an interrupt */
bool virtq_publish_always(struct virtq *q);	/* the same, asked even when nothing was put since */
/*
 * QEMU's virtio_notify after a push on a broken device: virtio_should_notify
 * still decides (and keeps its EVENT_IDX bookkeeping) though nothing was
 * published. True: ISR bit 0 is set. Only when a notify is owed (chains put
 * since, or virtq_publish_owe), unless always (virtq_notify's unconditional one).
 */
bool virtq_publish_stopped(struct virtq *q, bool always);
/* Publish what was put, the notify to follow after the break (a loop that notifies once at its end). */
void virtq_publish_owe(struct virtq *q);
/*
 * The work bound (virtq_policy.kick_max) for the guest action or input
 * numbered stimulus: 1 chains may still be taken, 0 the bound was reached
 * (first time for this stimulus: the caller says so), -1 reached and said.
 */
int virtq_work_left(struct virtq *q, uint64_t stimulus);
/*
 * Completions held by virtq_put_async: how many, and write the next one's
 * used element (nothing if the ring is not live; in flight drops either
 * way). The transport publishes and interrupts after each.
 */
unsigned virtq_later_count(const struct virtq *q);
void virtq_later_put(struct virtq *q);
/* After a handler returns: write the used elements it held, then publish and interrupt (vdev-ctx.c). */
void virtq_complete_later(struct virtq *q);
/* The transport's gate: may the ring hand out chains and write the used ring. */
void virtq_set_live(struct virtq *q, bool live);
/* halt: the vbox reaction to a fatal violation; the queue stops until reset. */
void virtq_halt(struct virtq *q);
void virtq_rename(struct virtq *q, const char *name);
/*
 * A started ring takes size, its rings as mapped (virtq_map_again maps them
 * for it): QEMU's virtio_queue_set_num on a running queue, and its
 * virtio_del_queue and virtio_add_queue on a running device (the ring keeps
 * its addresses and indices).
 */
void virtq_renum(struct virtq *q, uint16_t size);
/* QEMU's virtio_delete_queue: no ring caches (nothing read or written) until virtq_map_again. */
void virtq_drop_caches(struct virtq *q);
bool virtq_halted(const struct virtq *q);
bool virtq_started(const struct virtq *q);
uint64_t virtq_desc_addr(const struct virtq *q);	/* the descriptor table it was started with (0: not started) */
void virtq_ring_addrs(const struct virtq *q, uint64_t a[3]);	/* descriptor table, avail, used (0s: not started) */
void virtq_rebind(struct virtq *q, void *owner, struct gmem *m);	/* after a checkpoint swap */
void virtq_save(const struct virtq *q, struct buf *out);
int virtq_load(struct virtq *q, struct cursor *c, char **cause);

#endif
