/* guest-int.h -- the model guest's state, shared by guest.c (bring-up, registers, misbehaviour) and guest-ring.c (buffers) */
#ifndef VR_GUEST_INT_H
#define VR_GUEST_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/guest.h"
#include "vr/le.h"
#include "vr/virtq.h"

#define GUEST_MAX_IN	16		/* IN buffers remembered per head for guest_read_in */
#define GUEST_VECTORS	64
#define MSIX_ADDR	0xfee00000u
#define MSIX_DATA_BASE	0x4020u

struct ghead {
	uint16_t ndesc;			/* ring descriptors used (1 for an indirect chain) */
	bool busy;
	uint8_t nin;
	struct {
		uint64_t addr;
		uint32_t len;
	} in[GUEST_MAX_IN];
};

struct gq {
	bool ready;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t notify_off;
	uint16_t avail_idx;		/* shadow of what the guest published (or will) */
	uint16_t kicked_idx;		/* avail idx at the last kick decision */
	uint16_t last_used;
	uint16_t free_head, num_free;
	bool no_interrupt;		/* avail flags shadow */
	uint16_t *next;			/* free list links (Linux's desc_extra[].next) */
	struct ghead *head;
};

struct guest {
	struct guest_port port;
	struct guest_config cfg;
	struct vpci_ram ram[16];
	struct guest_caps caps;
	bool have_caps;
	uint64_t devfeat, feat;
	uint16_t nq_dev;
	struct gq q[VIRTQ_MAX_QUEUES];
	uint64_t data_base, data_end, data_next;
	uint64_t data_top;		/* data_end as configured; rings past the first 30 queues go below it */
	uint64_t ring_base;
	uint64_t irq[GUEST_VECTORS];
	uint64_t intx;
	uint64_t irq_total;
	uint8_t legacy_bar;		/* the I/O BAR of the legacy block (legacy mode) */
	bool msix_on;			/* the guest enabled MSI-X (legacy device config moves to 24) */
};

/* ---- the port, as the driver uses it ---- */

static inline uint64_t cfg_rd(struct guest *g, uint32_t off, unsigned size)
{
	return g->port.cfg_read(g->port.opaque, off, size);
}

static inline void cfg_wr(struct guest *g, uint32_t off, unsigned size, uint64_t v)
{
	g->port.cfg_write(g->port.opaque, off, size, v);
}

static inline int mem_wr(struct guest *g, uint64_t addr, const void *p, uint32_t len)
{
	return g->port.mem_write(g->port.opaque, addr, p, len);
}

static inline int mem_rd(struct guest *g, uint64_t addr, void *p, uint32_t len)
{
	return g->port.mem_read(g->port.opaque, addr, p, len);
}

static inline uint16_t mem_rd16(struct guest *g, uint64_t addr)
{
	uint8_t b[2] = { 0, 0 };
	mem_rd(g, addr, b, 2);
	return le16_load(b);
}

static inline int mem_wr16(struct guest *g, uint64_t addr, uint16_t v)
{
	uint8_t b[2];
	le16_store(b, v);
	return mem_wr(g, addr, b, 2);
}

/* A split-ring descriptor (virtio 1.x 2.7.5) into p. */
static inline void desc_bytes(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	le64_store(p, addr);
	le32_store(p + 8, len);
	le16_store(p + 12, flags);
	le16_store(p + 14, next);
}

#endif
