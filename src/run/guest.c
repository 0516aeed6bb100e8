/* guest.c -- model virtio-pci guest driver: Linux's bring-up and split-ring driver side, through a port */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/virtio-spec.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

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

/* ------------------------------------------------------------------ direct port */

static uint64_t vp_cfg_read(void *o, uint32_t off, unsigned size)
{
	return vpci_cfg_read(o, off, size);
}

static void vp_cfg_write(void *o, uint32_t off, unsigned size, uint64_t v)
{
	vpci_cfg_write(o, off, size, v);
}

static uint64_t vp_bar_read(void *o, unsigned bar, uint64_t off, unsigned size)
{
	return vpci_bar_read(o, bar, off, size);
}

static void vp_bar_write(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	vpci_bar_write(o, bar, off, size, v);
}

static int vp_mem_write(void *o, uint64_t addr, const void *p, uint32_t len)
{
	return gmem_write(vpci_gmem(o), addr, p, len);
}

static int vp_mem_read(void *o, uint64_t addr, void *p, uint32_t len)
{
	return gmem_read(vpci_gmem(o), addr, p, len);
}

void guest_port_vpci(struct guest_port *p, struct vpci *d)
{
	p->opaque = d;
	p->cfg_read = vp_cfg_read;
	p->cfg_write = vp_cfg_write;
	p->bar_read = vp_bar_read;
	p->bar_write = vp_bar_write;
	p->mem_write = vp_mem_write;
	p->mem_read = vp_mem_read;
	p->wait = NULL;
}

/* ------------------------------------------------------------------ basics */

struct guest *guest_new(const struct guest_port *port, const struct guest_config *cfg)
{
	struct guest *g = xcalloc(1, sizeof *g);
	g->port = *port;
	g->cfg = *cfg;
	unsigned n = cfg->nram < 16 ? cfg->nram : 16;
	if (n > 0)
		memcpy(g->ram, cfg->ram, n * sizeof *g->ram);
	g->cfg.ram = g->ram;
	g->cfg.nram = n;
	uint64_t b0 = n ? g->ram[0].base : 0, s0 = n ? g->ram[0].size : 0;
	g->ring_base = cfg->ring_base ? cfg->ring_base : b0 + 0x10000;
	g->data_base = cfg->data_base ? cfg->data_base : b0 + 0x100000;
	if (cfg->data_size)
		g->data_end = g->data_base + cfg->data_size;
	else
		g->data_end = s0 > 0x100000 ? b0 + s0 : g->data_base;
	g->data_next = g->data_base;
	g->data_top = g->data_end;
	return g;
}

/*
 * Where queue qi's rings go: 32 KiB each from ring_base (room for 1024
 * entries); a queue whose slot would reach the data area (past the 30th,
 * as virtio-serial's 64 queues are) goes below the top of the data area
 * instead, and the data area ends below it.
 */
static uint64_t ring_slot(struct guest *g, unsigned qi)
{
	uint64_t at = g->ring_base + 0x8000ull * qi, first, low;

	if (g->ring_base >= g->data_base || at + 0x8000 <= g->data_base)
		return at;
	first = (g->data_base - g->ring_base) / 0x8000;
	low = 0x8000ull * (qi - first + 1);
	if (g->data_top < g->data_base + low)
		return at;		/* no room: as before */
	at = g->data_top - low;
	if (at < g->data_end)
		g->data_end = at;
	return at;
}

static void queue_forget(struct gq *q)
{
	free(q->next);
	free(q->head);
	memset(q, 0, sizeof *q);
}

void guest_free(struct guest *g)
{
	if (g == NULL)
		return;
	for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++)
		queue_forget(&g->q[i]);
	free(g);
}

static void irq_sink(void *opaque, const struct vr_event *ev)
{
	guest_irq(opaque, &ev->u.irq);
}

int guest_watch_bus(struct guest *g, struct evbus *bus)
{
	return evbus_add(bus, 1u << VR_EV_IRQ, irq_sink, g);
}

void guest_irq(struct guest *g, const struct vr_ev_irq *irq)
{
	if (irq->msix) {
		if (irq->vector < GUEST_VECTORS)
			g->irq[irq->vector]++;
		g->irq_total++;
	} else if (irq->level) {
		g->intx++;
		g->irq_total++;
	}
}

uint64_t guest_irq_count(const struct guest *g, uint16_t vector)
{
	if (vector == GUEST_INTX)
		return g->intx;
	return vector < GUEST_VECTORS ? g->irq[vector] : 0;
}

uint64_t guest_irq_total(const struct guest *g)
{
	return g->irq_total;
}

static uint64_t cfg_rd(struct guest *g, uint32_t off, unsigned size)
{
	return g->port.cfg_read(g->port.opaque, off, size);
}

static void cfg_wr(struct guest *g, uint32_t off, unsigned size, uint64_t v)
{
	g->port.cfg_write(g->port.opaque, off, size, v);
}

static int mem_wr(struct guest *g, uint64_t addr, const void *p, uint32_t len)
{
	return g->port.mem_write(g->port.opaque, addr, p, len);
}

static int mem_rd(struct guest *g, uint64_t addr, void *p, uint32_t len)
{
	return g->port.mem_read(g->port.opaque, addr, p, len);
}

static uint16_t mem_rd16(struct guest *g, uint64_t addr)
{
	uint8_t b[2] = { 0, 0 };
	mem_rd(g, addr, b, 2);
	return le16_load(b);
}

static int mem_wr16(struct guest *g, uint64_t addr, uint16_t v)
{
	uint8_t b[2];
	le16_store(b, v);
	return mem_wr(g, addr, b, 2);
}

uint64_t guest_legacy_read(struct guest *g, uint32_t off, unsigned size)
{
	return g->port.bar_read(g->port.opaque, g->legacy_bar, off, size);
}

void guest_legacy_write(struct guest *g, uint32_t off, unsigned size, uint64_t v)
{
	g->port.bar_write(g->port.opaque, g->legacy_bar, off, size, v);
}

/* Where device config starts in the legacy block: after the vector registers while MSI-X is on. */
static uint32_t legacy_cfg(const struct guest *g)
{
	return g->msix_on ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG;
}

uint64_t guest_common_read(struct guest *g, uint32_t off, unsigned size)
{
	return g->port.bar_read(g->port.opaque, g->caps.common.bar, (uint64_t)g->caps.common.off + off, size);
}

void guest_common_write(struct guest *g, uint32_t off, unsigned size, uint64_t v)
{
	g->port.bar_write(g->port.opaque, g->caps.common.bar, (uint64_t)g->caps.common.off + off, size, v);
}

uint64_t guest_devcfg_read(struct guest *g, uint32_t off, unsigned size)
{
	if (g->cfg.legacy)
		return guest_legacy_read(g, legacy_cfg(g) + off, size);
	return g->port.bar_read(g->port.opaque, g->caps.device.bar, (uint64_t)g->caps.device.off + off, size);
}

void guest_devcfg_write(struct guest *g, uint32_t off, unsigned size, uint64_t v)
{
	if (g->cfg.legacy) {
		guest_legacy_write(g, legacy_cfg(g) + off, size, v);
		return;
	}
	g->port.bar_write(g->port.opaque, g->caps.device.bar, (uint64_t)g->caps.device.off + off, size, v);
}

uint8_t guest_isr_read(struct guest *g)
{
	if (g->cfg.legacy)
		return (uint8_t)guest_legacy_read(g, VIRTIO_PCI_LEGACY_ISR, 1);
	return (uint8_t)g->port.bar_read(g->port.opaque, g->caps.isr.bar, g->caps.isr.off, 1);
}

uint8_t guest_status(struct guest *g)
{
	if (g->cfg.legacy)
		return (uint8_t)guest_legacy_read(g, VIRTIO_PCI_LEGACY_STATUS, 1);
	return (uint8_t)guest_common_read(g, 0x14, 1);
}

static void set_status(struct guest *g, uint8_t v)
{
	if (g->cfg.legacy)
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_STATUS, 1, v);
	else
		guest_common_write(g, 0x14, 1, v);
}

static void add_status(struct guest *g, uint8_t bits)
{
	uint8_t s = guest_status(g);
	set_status(g, s | bits);
}

const struct guest_caps *guest_caps(const struct guest *g)
{
	return &g->caps;
}

uint64_t guest_device_features(const struct guest *g)
{
	return g->devfeat;
}

uint64_t guest_features(const struct guest *g)
{
	return g->feat;
}

uint16_t guest_num_queues(const struct guest *g)
{
	return g->nq_dev;
}

uint16_t guest_queue_size(const struct guest *g, unsigned q)
{
	return q < VIRTQ_MAX_QUEUES ? g->q[q].size : 0;
}

/* ------------------------------------------------------------------ PCI bring-up */

/* What firmware does: size every BAR, assign addresses, then the OS enables memory and bus mastering. */
int guest_pci_setup(struct guest *g, char **cause)
{
	uint16_t vendor = (uint16_t)cfg_rd(g, 0x00, 2);
	if (vendor != 0x1af4)
		return cause_set(cause, "guest: vendor 0x%04x is not virtio", vendor);
	uint16_t enable = 0x0006;	/* MEM | MASTER, and IO once an I/O BAR is assigned */
	if (!g->cfg.no_bar_assign) {
		uint64_t base = g->cfg.bar_base ? g->cfg.bar_base : 0xfe000000ull;
		uint32_t io = 0xc000;
		for (unsigned b = 0; b < 6; b++) {
			uint32_t off = 0x10 + 4 * b;
			cfg_wr(g, off, 4, 0xffffffffu);
			uint32_t lo = (uint32_t)cfg_rd(g, off, 4);
			if (lo == 0)
				continue;
			if (lo & 1) {
				/* the legacy block of legacy and transitional devices */
				uint32_t iosize = ~(lo & 0xfffffffcu) + 1;
				io = (io + iosize - 1) & ~(iosize - 1);
				cfg_wr(g, off, 4, io);
				io += iosize;
				enable |= 0x0001;
				continue;
			}
			bool is64 = ((lo >> 1) & 3) == 2;
			uint64_t mask = lo & 0xfffffff0u;
			if (is64 && b < 5) {
				cfg_wr(g, off + 4, 4, 0xffffffffu);
				mask |= cfg_rd(g, off + 4, 4) << 32;
			} else {
				mask |= 0xffffffff00000000ull;
			}
			uint64_t size = ~mask + 1;
			if (size == 0)
				continue;
			base = (base + size - 1) & ~(size - 1);
			cfg_wr(g, off, 4, (uint32_t)base);
			if (is64 && b < 5) {
				cfg_wr(g, off + 4, 4, base >> 32);
				b++;
			}
			base += size;
		}
	}
	uint16_t cmd = (uint16_t)cfg_rd(g, 0x04, 2);
	cfg_wr(g, 0x04, 2, cmd | enable);
	return 0;
}

/* Linux's virtio_pci_find_capability + vp_modern_map_capability, one config read at a time. */
int guest_find_caps(struct guest *g, char **cause)
{
	struct guest_caps *c = &g->caps;
	memset(c, 0, sizeof *c);
	if (g->cfg.legacy) {
		/* Linux's legacy driver takes BAR0; it must be the I/O BAR */
		if (!(cfg_rd(g, 0x10, 4) & 1))
			return cause_set(cause, "guest: BAR0 is not an I/O BAR (no legacy interface)");
		g->legacy_bar = 0;
		if (!(cfg_rd(g, 0x06, 2) & 0x10)) {
			g->have_caps = true;
			return 0;	/* no MSI-X either: INTx only */
		}
	} else if (!(cfg_rd(g, 0x06, 2) & 0x10)) {
		return cause_set(cause, "guest: device has no capability list");
	}
	uint8_t ptr = (uint8_t)cfg_rd(g, 0x34, 1) & 0xfc;
	bool have[6] = { false };
	for (unsigned n = 0; ptr >= 0x40 && n < 48; n++) {
		uint8_t id = (uint8_t)cfg_rd(g, ptr, 1);
		uint8_t next = (uint8_t)cfg_rd(g, ptr + 1u, 1) & 0xfc;
		if (id == 0x09) {
			uint8_t type = (uint8_t)cfg_rd(g, ptr + 3u, 1);
			uint8_t bar = (uint8_t)cfg_rd(g, ptr + 4u, 1);
			struct guest_region *r = NULL;
			switch (type) {
			case 1: r = &c->common; break;
			case 2: r = &c->notify; break;
			case 3: r = &c->isr; break;
			case 4: r = &c->device; break;
			case 5:
				if (!have[5])
					c->pci_cfg_cap = ptr;
				have[5] = true;
				break;
			default: break;
			}
			if (r != NULL && !have[type] && bar < 6) {
				have[type] = true;
				r->bar = bar;
				r->off = (uint32_t)cfg_rd(g, ptr + 8u, 4);
				r->len = (uint32_t)cfg_rd(g, ptr + 12u, 4);
				if (type == 2)
					c->notify_mult = (uint32_t)cfg_rd(g, ptr + 16u, 4);
			}
		} else if (id == 0x11 && c->msix_cap == 0) {
			c->msix_cap = ptr;
			uint16_t ctrl = (uint16_t)cfg_rd(g, ptr + 2u, 2);
			uint32_t t = (uint32_t)cfg_rd(g, ptr + 4u, 4), p = (uint32_t)cfg_rd(g, ptr + 8u, 4);
			c->msix_size = (uint16_t)((ctrl & 0x7ff) + 1);
			c->msix_bar = t & 7;
			c->msix_table = t & ~7u;
			c->msix_pba = p & ~7u;
		}
		ptr = next;
	}
	if (!g->cfg.legacy && (!have[1] || !have[2] || !have[3]))
		return cause_set(cause, "guest: missing virtio capability (common %d, notify %d, isr %d)", have[1],
		    have[2], have[3]);
	g->have_caps = true;
	return 0;
}

void guest_reset(struct guest *g)
{
	set_status(g, 0);
	/* Linux polls until the device reads 0; ours resets at once, but bound it anyway. */
	for (unsigned i = 0; i < 16 && guest_status(g) != 0; i++)
		;
	for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++)
		queue_forget(&g->q[i]);
	g->feat = 0;
}

/* Legacy: 32 bits each way, no FEATURES_OK; queues counted by their sizes (legacy has no num_queues). */
static int negotiate_legacy(struct guest *g, uint64_t want)
{
	g->devfeat = (uint32_t)guest_legacy_read(g, VIRTIO_PCI_LEGACY_HOST_FEATURES, 4);
	/* acking "everything" leaves out BAD_FEATURE, as every real driver does */
	g->feat = want ? want : g->devfeat & ~(1ull << VIRTIO_F_BAD_FEATURE);
	guest_legacy_write(g, VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4, (uint32_t)g->feat);
	unsigned n = g->cfg.nqueues;
	if (n == 0)
		for (n = 0; n < VIRTQ_MAX_QUEUES; n++) {
			guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, n);
			if (guest_legacy_read(g, VIRTIO_PCI_LEGACY_QUEUE_NUM, 2) == 0)
				break;
		}
	g->nq_dev = (uint16_t)n;
	return 0;
}

/* The driver's features into driver_feature, low half then high. */
static void write_features(struct guest *g, uint64_t f)
{
	guest_common_write(g, 0x08, 4, 0);
	guest_common_write(g, 0x0c, 4, (uint32_t)f);
	guest_common_write(g, 0x08, 4, 1);
	guest_common_write(g, 0x0c, 4, f >> 32);
}

/* first: features written (and num_queues read) before the ones kept, or NULL. */
static int negotiate(struct guest *g, const uint64_t *first, uint64_t want, char **cause)
{
	guest_reset(g);
	add_status(g, VIRTIO_STATUS_ACK);
	add_status(g, VIRTIO_STATUS_DRIVER);
	if (g->cfg.legacy)
		return negotiate_legacy(g, want);
	guest_common_write(g, 0x00, 4, 0);
	uint64_t lo = guest_common_read(g, 0x04, 4);
	guest_common_write(g, 0x00, 4, 1);
	uint64_t hi = guest_common_read(g, 0x04, 4);
	g->devfeat = lo | hi << 32;
	if (first != NULL) {
		write_features(g, *first);
		(void)guest_common_read(g, 0x12, 2);
	}
	g->feat = want ? want : g->devfeat;
	if (want == 0)
		g->feat &= g->devfeat;
	write_features(g, g->feat);
	add_status(g, VIRTIO_STATUS_FEATURES_OK);
	uint8_t s = guest_status(g);
	if (!(s & VIRTIO_STATUS_FEATURES_OK))
		return cause_set(cause, "guest: device refused features 0x%llx (status 0x%02x)",
		    (unsigned long long)g->feat, s);
	g->nq_dev = (uint16_t)guest_common_read(g, 0x12, 2);
	return 0;
}

int guest_negotiate(struct guest *g, uint64_t want, char **cause)
{
	return negotiate(g, NULL, want, cause);
}

int guest_negotiate_twice(struct guest *g, uint64_t first, uint64_t want, char **cause)
{
	return negotiate(g, &first, want, cause);
}

static uint16_t queue_vector(const struct guest *g, unsigned q)
{
	switch (g->cfg.irq) {
	case GUEST_IRQ_MSIX: return (uint16_t)(1 + q);
	case GUEST_IRQ_MSIX_SHARED: return 1;
	default: return 0xffff;
	}
}

/* Fresh ring memory reads zero, as dma_alloc_coherent's does; then the driver's bookkeeping. */
static void queue_rings(struct guest *g, struct gq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	uint8_t *zero = xcalloc(1, 16ull * size);
	mem_wr(g, desc, zero, 16u * size);
	mem_wr(g, avail, zero, 6u + 2u * size);
	mem_wr(g, used, zero, 6u + 8u * size);
	free(zero);
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->next = xcalloc(size, sizeof *q->next);
	q->head = xcalloc(size, sizeof *q->head);
	for (unsigned i = 0; i < size; i++)
		q->next[i] = (uint16_t)(i + 1 < size ? i + 1 : 0);
	q->free_head = 0;
	q->num_free = size;
}

/* Linux's setup_vq of virtio_pci_legacy: the device's size, one page frame number, then the vector. */
static int setup_queue_legacy(struct guest *g, unsigned qi, uint64_t desc, char **cause)
{
	struct gq *q = &g->q[qi];
	guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, qi);
	uint16_t size = (uint16_t)guest_legacy_read(g, VIRTIO_PCI_LEGACY_QUEUE_NUM, 2);
	if (size == 0 || guest_legacy_read(g, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4) != 0)
		return cause_set(cause, "guest: queue %u unavailable (size %u)", qi, size);
	if (size > VIRTQ_MAX_SIZE)
		return cause_set(cause, "guest: queue %u size %u too large", qi, size);
	if (desc == 0)
		desc = ring_slot(g, qi);
	desc &= ~(uint64_t)(VIRTIO_LEGACY_ALIGN - 1);
	uint64_t avail = desc + 16ull * size;
	uint64_t used = (avail + 6 + 2ull * size + VIRTIO_LEGACY_ALIGN - 1) & ~(uint64_t)(VIRTIO_LEGACY_ALIGN - 1);
	queue_rings(g, q, size, desc, avail, used);
	guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, desc >> VIRTIO_LEGACY_PFN_SHIFT);
	uint16_t vec = queue_vector(g, qi);
	if (vec != 0xffff && g->msix_on) {
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_VECTOR, 2, vec);
		if (guest_legacy_read(g, VIRTIO_PCI_LEGACY_QUEUE_VECTOR, 2) != vec)
			return cause_set(cause, "guest: queue %u refused msix vector %u", qi, vec);
	}
	q->ready = true;
	return 0;
}

/* exact: the addresses as given, 0 too (no default placement). */
static int setup_queue(struct guest *g, unsigned qi, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
    bool exact, char **cause)
{
	if (qi >= VIRTQ_MAX_QUEUES)
		return cause_set(cause, "guest: queue %u out of range", qi);
	struct gq *q = &g->q[qi];
	queue_forget(q);
	if (g->cfg.legacy)
		return setup_queue_legacy(g, qi, desc, cause);
	guest_common_write(g, 0x16, 2, qi);
	uint16_t max = (uint16_t)guest_common_read(g, 0x18, 2);
	if (max == 0 || guest_common_read(g, 0x1c, 2) != 0)
		return cause_set(cause, "guest: queue %u unavailable (size %u)", qi, max);
	if (size == 0)
		size = g->cfg.queue_size && g->cfg.queue_size < max ? g->cfg.queue_size : max;
	if (size > VIRTQ_MAX_SIZE)
		return cause_set(cause, "guest: queue %u size %u too large", qi, size);
	if (desc == 0 && !exact)
		desc = ring_slot(g, qi);
	if (avail == 0 && !exact)
		avail = desc + 16ull * size;
	if (used == 0 && !exact)
		used = (avail + 6 + 2ull * size + 63) & ~63ull;
	queue_rings(g, q, size, desc, avail, used);
	guest_common_write(g, 0x18, 2, size);
	guest_common_write(g, 0x20, 4, (uint32_t)desc);
	guest_common_write(g, 0x24, 4, desc >> 32);
	guest_common_write(g, 0x28, 4, (uint32_t)avail);
	guest_common_write(g, 0x2c, 4, avail >> 32);
	guest_common_write(g, 0x30, 4, (uint32_t)used);
	guest_common_write(g, 0x34, 4, used >> 32);
	q->notify_off = (uint16_t)guest_common_read(g, 0x1e, 2);
	uint16_t vec = queue_vector(g, qi);
	if (vec != 0xffff) {
		guest_common_write(g, 0x1a, 2, vec);
		if (guest_common_read(g, 0x1a, 2) != vec)
			return cause_set(cause, "guest: queue %u refused msix vector %u", qi, vec);
	}
	q->ready = true;
	guest_common_write(g, 0x1c, 2, 1);
	return 0;
}

int guest_setup_queue(struct guest *g, unsigned qi, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used,
    char **cause)
{
	return setup_queue(g, qi, size, desc, avail, used, false, cause);
}

int guest_setup_queue_exact(struct guest *g, unsigned qi, uint16_t size, uint64_t desc, uint64_t avail,
    uint64_t used, char **cause)
{
	return setup_queue(g, qi, size, desc, avail, used, true, cause);
}

static void msix_program(struct guest *g)
{
	const struct guest_caps *c = &g->caps;
	if (c->msix_cap == 0)
		return;
	uint16_t ctrl = (uint16_t)cfg_rd(g, c->msix_cap + 2u, 2);
	cfg_wr(g, c->msix_cap + 2u, 2, ctrl | 0xc000);		/* enable, all masked */
	unsigned nvec = g->cfg.irq == GUEST_IRQ_MSIX_SHARED ? 2 : (unsigned)g->nq_dev + 1;
	if (nvec > c->msix_size)
		nvec = c->msix_size;
	for (unsigned v = 0; v < nvec; v++) {
		uint64_t e = c->msix_table + 16ull * v;
		g->port.bar_write(g->port.opaque, c->msix_bar, e + 0, 4, MSIX_ADDR);
		g->port.bar_write(g->port.opaque, c->msix_bar, e + 4, 4, 0);
		g->port.bar_write(g->port.opaque, c->msix_bar, e + 8, 4, MSIX_DATA_BASE + v);
		g->port.bar_write(g->port.opaque, c->msix_bar, e + 12, 4, 0);
	}
	cfg_wr(g, c->msix_cap + 2u, 2, (ctrl | 0x8000) & ~0x4000);
	g->msix_on = true;
}

/* MSI-X programmed and msix_config set (nothing with INTx): what comes before the first queue. */
static int setup_config_vector(struct guest *g, char **cause)
{
	if (g->cfg.irq != GUEST_IRQ_INTX) {
		if (g->caps.msix_cap == 0)
			return cause_set(cause, "guest: no msi-x capability");
		msix_program(g);
		uint32_t at = g->cfg.legacy ? VIRTIO_PCI_LEGACY_MSIX_CONFIG : 0x10;
		uint64_t (*rd)(struct guest *, uint32_t, unsigned) = g->cfg.legacy ? guest_legacy_read : guest_common_read;
		void (*wr)(struct guest *, uint32_t, unsigned, uint64_t) = g->cfg.legacy ? guest_legacy_write :
		    guest_common_write;
		wr(g, at, 2, 0);
		if (rd(g, at, 2) != 0)
			return cause_set(cause, "guest: device refused config vector 0");
	}
	return 0;
}

int guest_setup_queues(struct guest *g, char **cause)
{
	if (setup_config_vector(g, cause) < 0)
		return -1;
	unsigned n = g->cfg.nqueues ? g->cfg.nqueues : g->nq_dev;
	if (n > g->nq_dev || n > VIRTQ_MAX_QUEUES)
		return cause_set(cause, "guest: %u queues asked, device has %u", n, g->nq_dev);
	for (unsigned i = 0; i < n; i++)
		if (guest_setup_queue(g, i, 0, 0, 0, 0, cause) < 0)
			return -1;
	return 0;
}

int guest_setup_queue_mask(struct guest *g, uint64_t mask, char **cause)
{
	if (setup_config_vector(g, cause) < 0)
		return -1;
	for (unsigned i = 0; i < 64 && i < g->nq_dev; i++)
		if (((mask >> i) & 1) && guest_setup_queue(g, i, 0, 0, 0, 0, cause) < 0)
			return -1;
	return 0;
}

bool guest_queue_ready(const struct guest *g, unsigned q)
{
	return q < VIRTQ_MAX_QUEUES && g->q[q].ready;
}

void guest_driver_ok(struct guest *g)
{
	add_status(g, VIRTIO_STATUS_DRIVER_OK);
}

int guest_init(struct guest *g, char **cause)
{
	if (guest_pci_setup(g, cause) < 0 || guest_find_caps(g, cause) < 0)
		return -1;
	if (guest_negotiate(g, g->cfg.features, cause) < 0)
		return -1;
	if (guest_setup_queues(g, cause) < 0)
		return -1;
	guest_driver_ok(g);
	uint8_t s = guest_status(g);
	if (!(s & VIRTIO_STATUS_DRIVER_OK))
		return cause_set(cause, "guest: DRIVER_OK did not stick (status 0x%02x)", s);
	return 0;
}

/* ------------------------------------------------------------------ buffers */

static uint64_t data_alloc(struct guest *g, uint32_t len, uint32_t align)
{
	uint64_t a = (g->data_next + align - 1) & ~((uint64_t)align - 1);
	if (a + len > g->data_end || a < g->data_next) {
		a = (g->data_base + align - 1) & ~((uint64_t)align - 1);
		if (a + len > g->data_end)
			return 0;
	}
	g->data_next = a + len;
	return a;
}

static struct gq *getq(struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES && g->q[qi].ready ? &g->q[qi] : NULL;
}

static void desc_bytes(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	le64_store(p, addr);
	le32_store(p + 8, len);
	le16_store(p + 12, flags);
	le16_store(p + 14, next);
}

int guest_add(struct guest *g, unsigned qi, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin, unsigned flags, char **cause)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return cause_set(cause, "guest: queue %u not set up", qi);
	unsigned total = nout + nin;
	bool indirect = flags & GUEST_ADD_INDIRECT;
	if (total == 0 || total > VIRTQ_MAX_SG)
		return cause_set(cause, "guest: chain of %u buffers", total);
	unsigned need = indirect ? 1 : total;
	if (need > q->num_free)
		return cause_set(cause, "guest: queue %u full (%u free, %u needed)", qi, q->num_free, need);
	/* place and fill the buffers first, as a driver's data is ready before it is queued */
	uint64_t *addr = xcalloc(total, sizeof *addr);
	for (unsigned i = 0; i < total; i++) {
		const struct guest_buf *b = i < nout ? &out[i] : &in[i - nout];
		addr[i] = b->addr ? b->addr : data_alloc(g, b->len ? b->len : 1, 16);
		if (addr[i] == 0) {
			free(addr);
			return cause_set(cause, "guest: no data space for %u bytes", b->len);
		}
		/* IN data: what the buffer holds before the device writes (a driver's reused, stale memory) */
		if (b->data != NULL && b->len > 0)
			mem_wr(g, addr[i], b->data, b->len);
	}
	uint16_t head = q->free_head;
	struct ghead *h = &q->head[head];
	h->nin = 0;
	for (unsigned i = 0; i < nin && i < GUEST_MAX_IN; i++) {
		h->in[i].addr = addr[nout + i];
		h->in[i].len = in[i].len;
		h->nin++;
	}
	uint8_t d[16];
	if (indirect) {
		uint64_t table = data_alloc(g, 16u * total, 16);
		if (table == 0) {
			free(addr);
			return cause_set(cause, "guest: no data space for an indirect table");
		}
		uint8_t *t = xmalloc(16u * total);
		for (unsigned i = 0; i < total; i++) {
			const struct guest_buf *b = i < nout ? &out[i] : &in[i - nout];
			uint16_t f = (uint16_t)((i + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (i >= nout ? VIRTQ_DESC_F_WRITE : 0));
			desc_bytes(t + 16 * i, addr[i], b->len, f, (uint16_t)(i + 1 < total ? i + 1 : 0));
		}
		mem_wr(g, table, t, 16u * total);
		free(t);
		desc_bytes(d, table, 16u * total, VIRTQ_DESC_F_INDIRECT, q->next[head]);
		mem_wr(g, q->desc + 16ull * head, d, 16);
		q->free_head = q->next[head];
		h->ndesc = 1;
	} else {
		uint16_t i = head, last = head;
		for (unsigned k = 0; k < total; k++) {
			const struct guest_buf *b = k < nout ? &out[k] : &in[k - nout];
			uint16_t f = (uint16_t)((k + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (k >= nout ? VIRTQ_DESC_F_WRITE : 0));
			desc_bytes(d, addr[k], b->len, f, q->next[i]);
			mem_wr(g, q->desc + 16ull * i, d, 16);
			last = i;
			i = q->next[i];
		}
		q->free_head = q->next[last];
		h->ndesc = (uint16_t)total;
	}
	free(addr);
	q->num_free = (uint16_t)(q->num_free - h->ndesc);
	h->busy = true;
	mem_wr16(g, q->avail + 4 + 2ull * (q->avail_idx % q->size), head);
	q->avail_idx++;
	if (!(flags & GUEST_ADD_NO_PUBLISH))
		mem_wr16(g, q->avail + 2, q->avail_idx);
	return head;
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void guest_notify(struct guest *g, unsigned qi)
{
	if (g->cfg.legacy) {
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, 2, qi);
		return;
	}
	uint16_t off = qi < VIRTQ_MAX_QUEUES && g->q[qi].ready ? g->q[qi].notify_off : (uint16_t)qi;
	uint64_t a = g->caps.notify.off + (uint64_t)off * g->caps.notify_mult;
	g->port.bar_write(g->port.opaque, g->caps.notify.bar, a, 2, qi);
}

bool guest_kick(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return false;
	uint16_t old = q->kicked_idx, nw = q->avail_idx;
	q->kicked_idx = nw;
	bool kick;
	if ((g->feat >> VIRTIO_F_EVENT_IDX) & 1)
		kick = need_event(mem_rd16(g, q->used + 4 + 8ull * q->size), nw, old);
	else
		kick = !(mem_rd16(g, q->used) & VIRTQ_USED_F_NO_NOTIFY);
	if (kick)
		guest_notify(g, qi);
	return kick;
}

int guest_poll(struct guest *g, unsigned qi, struct guest_used *u)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return 0;
	uint16_t uidx = mem_rd16(g, q->used + 2);
	if (uidx == q->last_used)
		return 0;
	uint8_t e[8] = { 0 };
	mem_rd(g, q->used + 4 + 8ull * (q->last_used % q->size), e, 8);
	uint32_t id = le32_load(e);
	if (id >= q->size || !q->head[id].busy)
		return -1;
	struct ghead *h = &q->head[id];
	uint16_t last = (uint16_t)id;
	for (unsigned k = 1; k < h->ndesc; k++)
		last = q->next[last];
	q->next[last] = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free = (uint16_t)(q->num_free + h->ndesc);
	h->busy = false;
	q->last_used++;
	u->head = (uint16_t)id;
	u->len = le32_load(e + 4);
	if (((g->feat >> VIRTIO_F_EVENT_IDX) & 1) && !q->no_interrupt)
		mem_wr16(g, q->avail + 4 + 2ull * q->size, q->last_used);
	return 1;
}

int guest_wait(struct guest *g, unsigned qi, uint16_t n)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || g->port.wait == NULL)
		return 0;
	return g->port.wait(g->port.opaque, q->used + 2, q->last_used, n);
}

int guest_read_in(struct guest *g, unsigned qi, uint16_t head, uint32_t off, void *dst, uint32_t len)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || head >= q->size)
		return -1;
	const struct ghead *h = &q->head[head];
	uint8_t *p = dst;
	uint32_t pos = 0;
	for (unsigned i = 0; i < h->nin && len > 0; i++) {
		if (off < pos + h->in[i].len) {
			uint32_t in = off - pos, n = h->in[i].len - in < len ? h->in[i].len - in : len;
			if (mem_rd(g, h->in[i].addr + in, p, n) < 0)
				return -1;
			p += n;
			off += n;
			len -= n;
		}
		pos += h->in[i].len;
	}
	return len == 0 ? 0 : -1;
}

uint32_t guest_in_size(const struct guest *g, unsigned qi, uint16_t head)
{
	if (qi >= VIRTQ_MAX_QUEUES || !g->q[qi].ready || head >= g->q[qi].size)
		return 0;
	const struct ghead *h = &g->q[qi].head[head];
	uint64_t n = 0;
	for (unsigned i = 0; i < h->nin; i++)
		n += h->in[i].len;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint64_t guest_in_addr(const struct guest *g, unsigned qi, uint16_t head, unsigned i, uint32_t *len)
{
	if (qi >= VIRTQ_MAX_QUEUES || !g->q[qi].ready || head >= g->q[qi].size || i >= g->q[qi].head[head].nin)
		return 0;
	*len = g->q[qi].head[head].in[i].len;
	return g->q[qi].head[head].in[i].addr;
}

unsigned guest_drain(struct guest *g, unsigned q, unsigned n, uint8_t *last)
{
	struct guest_used u;
	unsigned got = 0;

	while (got < n && guest_poll(g, q, &u) == 1) {
		uint32_t len = guest_in_size(g, q, u.head);
		uint8_t *p;

		got++;
		if (u.len < len)
			len = u.len;
		if (len == 0)
			continue;
		p = xmalloc(len);
		if (guest_read_in(g, q, u.head, 0, p, len) == 0 && last != NULL)
			*last = p[len - 1];
		free(p);
	}
	return got;
}

void guest_disable_cb(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || q->no_interrupt)
		return;
	q->no_interrupt = true;
	if ((g->feat >> VIRTIO_F_EVENT_IDX) & 1)
		mem_wr16(g, q->avail + 4 + 2ull * q->size, 0);	/* Linux's "hack" value */
	else
		mem_wr16(g, q->avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void guest_enable_cb(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return;
	if (q->no_interrupt) {
		q->no_interrupt = false;
		if (!((g->feat >> VIRTIO_F_EVENT_IDX) & 1))
			mem_wr16(g, q->avail, 0);
	}
	mem_wr16(g, q->avail + 4 + 2ull * q->size, q->last_used);
}

void guest_msix_mask(struct guest *g, uint16_t vector, bool masked)
{
	const struct guest_caps *c = &g->caps;
	g->port.bar_write(g->port.opaque, c->msix_bar, c->msix_table + 16ull * vector + 12, 4, masked);
}

void guest_msix_function_mask(struct guest *g, bool masked)
{
	const struct guest_caps *c = &g->caps;
	if (c->msix_cap == 0)
		return;
	uint16_t ctrl = (uint16_t)cfg_rd(g, c->msix_cap + 2u, 2);
	ctrl = masked ? (uint16_t)(ctrl | 0x4000) : (uint16_t)(ctrl & ~0x4000);
	cfg_wr(g, c->msix_cap + 2u, 2, ctrl);
}

/* ------------------------------------------------------------------ misbehaviour */

int guest_raw_desc(struct guest *g, unsigned qi, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	if (qi >= VIRTQ_MAX_QUEUES || g->q[qi].size == 0)
		return -1;
	uint8_t d[16];
	desc_bytes(d, addr, len, flags, next);
	return mem_wr(g, g->q[qi].desc + 16ull * idx, d, 16);
}

int guest_raw_avail_ring(struct guest *g, unsigned qi, uint16_t slot, uint16_t head)
{
	if (qi >= VIRTQ_MAX_QUEUES || g->q[qi].size == 0)
		return -1;
	return mem_wr16(g, g->q[qi].avail + 4 + 2ull * (slot % g->q[qi].size), head);
}

int guest_raw_avail_idx(struct guest *g, unsigned qi, uint16_t idx)
{
	if (qi >= VIRTQ_MAX_QUEUES || g->q[qi].size == 0)
		return -1;
	g->q[qi].avail_idx = idx;
	return mem_wr16(g, g->q[qi].avail + 2, idx);
}

int guest_raw_mem(struct guest *g, uint64_t addr, const void *p, uint32_t len)
{
	return mem_wr(g, addr, p, len);
}

uint64_t guest_desc_addr(const struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES ? g->q[qi].desc : 0;
}

uint64_t guest_avail_addr(const struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES ? g->q[qi].avail : 0;
}

uint64_t guest_used_addr(const struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES ? g->q[qi].used : 0;
}

uint16_t guest_avail_idx(const struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES ? g->q[qi].avail_idx : 0;
}

int guest_raw_avail_flood(struct guest *g, unsigned qi, uint16_t head, unsigned n)
{
	if (qi >= VIRTQ_MAX_QUEUES || g->q[qi].size == 0)
		return -1;
	uint16_t idx = g->q[qi].avail_idx;
	for (unsigned i = 0; i < n; i++)
		if (guest_raw_avail_ring(g, qi, (uint16_t)(idx + i), head) < 0)
			return -1;
	if (guest_raw_avail_idx(g, qi, (uint16_t)(idx + n)) < 0)
		return -1;
	guest_notify(g, qi);
	return 0;
}

/* The size guest_setup_queues asks for from now on (0: each queue's maximum; larger: the maximum). */
void guest_set_queue_size(struct guest *g, uint16_t size)
{
	g->cfg.queue_size = size;
}
