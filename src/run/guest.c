/* guest.c -- model virtio-pci guest driver: Linux's bring-up, registers, interrupts and misbehaviour, through a port */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "guest-int.h"

/* ------------------------------------------------------------------ direct port */

static uint64_t vp_cfg_read(void *o, uint32_t off, unsigned size)
{
	return vpci_cfg_read(o, off, size);
}

/* After each write and store QEMU's main loop turns (vpci_main_loop), as between two qtest commands. */
static void vp_cfg_write(void *o, uint32_t off, unsigned size, uint64_t v)
{
	vpci_cfg_write(o, off, size, v);
	vpci_main_loop(o);
}

static uint64_t vp_bar_read(void *o, unsigned bar, uint64_t off, unsigned size)
{
	return vpci_bar_read(o, bar, off, size);
}

static void vp_bar_write(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	vpci_bar_write(o, bar, off, size, v);
	vpci_main_loop(o);
}

static int vp_mem_write(void *o, uint64_t addr, const void *p, uint32_t len)
{
	int rc = gmem_write(vpci_gmem(o), addr, p, len);

	vpci_main_loop(o);
	return rc;
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
