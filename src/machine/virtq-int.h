/* virtq-int.h -- the split ring's state, shared by virtq.c (setup, avail side), virtq-count.c and virtq-used.c */
#ifndef VR_VIRTQ_INT_H
#define VR_VIRTQ_INT_H
#include "vr/gmem.h"
#include "vr/virtq.h"

enum dma_what { DMA_USED_ELEM, DMA_USED_IDX, DMA_USED_FLAGS, DMA_AVAIL_EVENT, DMA_BUFFER };
/* The rings whose map reads 0 (gmem_map: GMEM_MAP_ZERO): nothing is read from them, nothing written. */
enum { VIRTQ_ZERO_DESC = 1, VIRTQ_ZERO_AVAIL = 2, VIRTQ_ZERO_USED = 4 };

struct virtq {
	void *owner;			/* the transport's handle, opaque here */
	struct gmem *m;
	struct evbus *bus;
	unsigned index;
	char name[VIRTQ_NAME_MAX];
	const char *device;		/* device model name, for TXN events */
	struct virtq_policy pol;
	bool live;			/* the transport lets the ring run */
	bool started;
	bool halted;
	bool event_idx;
	bool notify_off;		/* notifications disabled (policy notify_off_gates_event) */
	bool unmapped;			/* enabled with descriptor address 0: QEMU maps nothing and serves nothing */
	uint64_t counted;		/* descriptors the avail-bytes count has read (the replay's work budget) */
	bool counting;			/* walk() counts lengths only (QEMU's virtqueue_get_avail_bytes) */
	uint16_t size;
	/*
	 * The size the rings were mapped for (at enable, or a feature write
	 * with EVENT_IDX): QEMU's ring caches. A queue_size written to a
	 * running queue (virtq_renum) leaves them, and QEMU's pops and counts
	 * then find the descriptor table too short.
	 */
	uint16_t mapped;
	bool nocache;			/* a map again failed: QEMU has no ring caches for it */
	uint8_t zero;			/* VIRTQ_ZERO_*: rings mapped where they read 0 (unassigned space, zero ROM) */
	uint64_t desc, avail, used;
	uint64_t features;
	uint16_t last_avail;		/* next avail slot to take */
	uint16_t used_idx;		/* next used slot to fill (write-ahead) */
	uint16_t pub_used;		/* used idx last published */
	uint16_t signalled_used;
	bool signalled_valid;
	uint16_t in_flight;
	uint16_t notify_owed;		/* virtio_notify calls a stopped ring owes: chains put while stopped, a loop's end */
	bool jump_seen;
	uint16_t jump_idx;
	uint64_t work_stimulus;		/* the guest action / input the count is for */
	uint32_t work_done;		/* chains taken on it */
	bool work_said;			/* the bound was reported for it */
	uint32_t gen;
	/* completions held by virtq_put_async until the handler returns (policy async_complete) */
	struct virtq_later {
		uint16_t head;
		uint32_t len;
		bool held;		/* virtq_put_held: before the ones the block layer answers */
	} *later;
	uint16_t nlater, later_next;
	/* chain storage (one chain at a time) */
	uint8_t *out;
	uint32_t out_cap;
	uint8_t *scratch;
	struct virtq_sg sg[VIRTQ_MAX_SG];
	struct vr_desc descs[VIRTQ_MAX_SG + 2];
};

void virtq_dma(struct virtq *q, uint64_t addr, const void *p, uint32_t len, enum dma_what what, unsigned idx);
/* Record a finding in res; fatal ones end the operation (returns -1 for them, 0 otherwise). */
int virtq_report(struct virtq_result *res, enum violation v, int desc, uint64_t addr, bool fatal,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The size outgrew the descriptor table's mapping: QEMU's "Cannot map descriptor ring" (when: a suffix). -1. */
int virtq_outgrown_desc(struct virtq *q, struct virtq_result *res, const char *when);
/* Walk the chain at head with every check of a pop (q->counting: lengths only); 1 walked, -1 refused (in res). */
int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c, struct virtq_result *res);
/* How a ring (or indirect table) of len bytes at addr maps: gmem_map, and only RAM unless map_as_qemu. */
enum gmem_map virtq_ring_map(const struct virtq *q, uint64_t addr, uint64_t len);
/*
 * QEMU's virtio_init_region_cache: the descriptor table, used ring and
 * avail ring for size entries (its order), each mapped (virtq_ring_map); at
 * enable (align) each is checked for alignment too, which QEMU never does.
 * 0 with *zero the VIRTQ_ZERO_* rings, -1 with the report for the first refused.
 */
int virtq_rings_fit(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, bool ei,
    bool align, const char *when, struct virtq_result *res, uint8_t *zero);
/* Descriptor i of the table at table (zero: its map reads 0) into raw; -1 if unreadable. */
int virtq_desc_read(struct virtq *q, uint64_t table, bool zero, uint32_t i, uint8_t raw[16]);
/* Bytes of each ring for size entries: QEMU's (event words only with EVENT_IDX) under map_as_qemu. */
void virtq_ring_lens(const struct virtq_policy *pol, uint16_t size, bool event_idx, uint64_t len[3]);
/* Who holds the bounce buffer when chain head of q does (gmem_bounce). */
static inline uint32_t virtq_bounce_tag(const struct virtq *q, uint16_t head)
{
	return (uint32_t)(q->index + 1) << 16 | head;
}

/* Whether a chain of q holds the bounce buffer (the queue half of virtq_bounce_tag). */
static inline bool virtq_holds_bounce(const struct virtq *q)
{
	return gmem_bounce(q->m) >> 16 == (uint32_t)q->index + 1;
}

/*
 * The rings are there to read: started, not halted, mapped. Unlike
 * virtq_is_enabled this holds on a broken device (q->live false), where
 * QEMU still counts buffers and keeps the notification bookkeeping.
 */
static inline bool virtq_rings_there(const struct virtq *q)
{
	return q->started && !q->halted && !q->unmapped && !q->nocache;
}

/* The 16-bit word at off in the avail ring (used: the used ring); 0 from a ring whose map reads 0. */
static inline uint16_t virtq_rd16(struct virtq *q, bool used, uint64_t off)
{
	uint8_t b[2] = { 0, 0 };
	if (!(q->zero & (used ? VIRTQ_ZERO_USED : VIRTQ_ZERO_AVAIL)))
		(void)gmem_dev_read(q->m, (used ? q->used : q->avail) + off, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint16_t virtq_avail_idx(struct virtq *q)
{
	return virtq_rd16(q, false, 2);
}

#endif
