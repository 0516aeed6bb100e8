/* virtq-int.h -- the split ring's state, shared by virtq.c (setup, avail side) and virtq-used.c (used side, state) */
#ifndef VR_VIRTQ_INT_H
#define VR_VIRTQ_INT_H
#include "vr/gmem.h"
#include "vr/virtq.h"

enum dma_what { DMA_USED_ELEM, DMA_USED_IDX, DMA_USED_FLAGS, DMA_AVAIL_EVENT, DMA_BUFFER };

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
	uint16_t size;
	uint64_t desc, avail, used;
	uint64_t features;
	uint16_t last_avail;		/* next avail slot to take */
	uint16_t used_idx;		/* next used slot to fill (write-ahead) */
	uint16_t pub_used;		/* used idx last published */
	uint16_t signalled_used;
	bool signalled_valid;
	uint16_t in_flight;
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

static inline uint16_t virtq_rd16(struct virtq *q, uint64_t addr)
{
	uint16_t v = 0;
	(void)gmem_read_u16(q->m, addr, &v);
	return v;
}

static inline uint16_t virtq_avail_idx(struct virtq *q)
{
	return virtq_rd16(q, q->avail + 2);
}

#endif
