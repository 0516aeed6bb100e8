/* sweep.c -- the generated sweep: seeded register, interrupt and request scenarios, compared against QEMU */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/record.h"
#include "vr/replay.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/*
 * Every scenario brings the device to a state the seed picks (no driver
 * yet, features negotiated, queues live, requests done) and then makes the
 * accesses of its kind, raw, through the recording port: every offset of a
 * region at every size (1, 2, 4, 8) so unaligned, wide and straddling
 * accesses all occur; random writes followed by reads of every field.
 * Nothing here knows what the answers should be: QEMU answers, the replay
 * compares.
 */

#define SW_STAGES	4
#define SW_MAX_QUEUES	64		/* queues whose vectors a scenario moves and puts back */
#define PCI_STATUS_OFF	PCI_CFG_STATUS
#define PCI_CMD_OFF	PCI_CFG_COMMAND
#define PCI_CMD_INTX_OFF PCI_CMD_INTX_DISABLE
#define MSIX_ENABLE	PCI_MSIX_CTRL_ENABLE
#define MSIX_MASKALL	PCI_MSIX_CTRL_MASKALL

struct sw {
	struct record *rec;
	const struct guest_port *p;
	struct guest *g;
	enum guest_irq_mode irq;
	const struct guest_caps *c;
	unsigned stage;			/* see begin() */
	unsigned nreq;			/* requests made so far (their numbering) */
	bool io_ready;
};

static uint64_t rnd(struct sw *s, uint64_t n)
{
	return n ? record_rand(s->rec) % n : 0;
}

/* Interesting values first, then noise: what a confused or hostile driver writes. */
static uint64_t any_value(struct sw *s)
{
	static const uint64_t v[] = { 0, 1, 2, 3, 4, 0x7f, 0xff, 0x100, 0x3ff, 0x400, 0x401, 0x7fff, 0xffff,
		0x10000, 0xfffffffful, 0x100000000ull, 0xffffffffffffffffull };
	uint64_t k = rnd(s, sizeof v / sizeof v[0] + 3);

	uint64_t noise;

	if (k < sizeof v / sizeof v[0])
		return v[k];
	/* one draw after the other: the order of two calls in one expression is the compiler's */
	noise = record_rand(s->rec);
	return noise >> rnd(s, 64);
}

static unsigned any_size(struct sw *s)
{
	return 1u << rnd(s, 4);
}

static uint64_t cfg_rd(struct sw *s, uint32_t off, unsigned size)
{
	return s->p->cfg_read(s->p->opaque, off, size);
}

static uint64_t fit(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void cfg_wr(struct sw *s, uint32_t off, unsigned size, uint64_t v)
{
	s->p->cfg_write(s->p->opaque, off, size, fit(v, size));
}

static uint64_t bar_rd(struct sw *s, unsigned bar, uint64_t off, unsigned size)
{
	return s->p->bar_read(s->p->opaque, bar, off, size);
}

static void bar_wr(struct sw *s, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	s->p->bar_write(s->p->opaque, bar, off, size, fit(v, size));
}

/* Every offset of [start, start + len) at every size in sizes (bit n: n bytes). */
static void read_all(struct sw *s, unsigned bar, uint64_t start, uint64_t len, unsigned sizes)
{
	for (uint64_t off = start; off < start + len; off++)
		for (unsigned size = 1; size <= 8; size *= 2)
			if (sizes & size)
				(void)bar_rd(s, bar, off, size);
}

/* The common config fields at their own sizes (the state after a write). */
static void read_fields(struct sw *s)
{
	static const struct { uint8_t off, size; } f[] = {
		{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 }, { 0x15, 1 },
		{ 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 4 }, { 0x24, 4 }, { 0x28, 4 },
		{ 0x2c, 4 }, { 0x30, 4 }, { 0x34, 4 }, { 0x38, 2 }, { 0x3a, 2 },
	};

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		(void)bar_rd(s, s->c->common.bar, s->c->common.off + f[i].off, f[i].size);
}

static int requests(struct sw *s, unsigned n, char **cause)
{
	int rc = record_requests(s->rec, s->g, s->irq, s->nreq, n, !s->io_ready, cause);

	s->io_ready = true;
	s->nreq += n;
	return rc;
}

/*
 * The guest, and the device brought to a stage: 0 PCI set up and
 * capabilities found (status 0), 1 features negotiated, 2 queues live and
 * DRIVER_OK, 3 requests done.
 */
static int begin(struct sw *s, struct record *rec, enum guest_irq_mode irq, unsigned stage, char **cause)
{
	memset(s, 0, sizeof(*s));
	s->rec = rec;
	s->p = record_port(rec);
	s->irq = irq;
	s->stage = stage;
	if ((s->g = record_guest(rec, irq, 0)) == NULL)
		return cause_set(cause, "cannot create the guest");
	record_mark(rec, "sweep: stage %u (%s interrupts)", stage,
	    irq == GUEST_IRQ_INTX ? "intx" : irq == GUEST_IRQ_MSIX ? "msi-x per queue" : "msi-x shared");
	if (stage == 0) {
		if (guest_pci_setup(s->g, cause) < 0 || guest_find_caps(s->g, cause) < 0)
			return -1;
	} else if (stage == 1) {
		if (guest_pci_setup(s->g, cause) < 0 || guest_find_caps(s->g, cause) < 0 ||
		    guest_negotiate(s->g, 0, cause) < 0)
			return -1;
	} else if (guest_init(s->g, cause) < 0) {
		return -1;
	}
	s->c = guest_caps(s->g);
	if (stage >= 3 && requests(s, 2, cause) < 0)
		return -1;
	record_mark(rec, "sweep: accesses");
	return 0;
}

static enum guest_irq_mode any_irq(struct sw *s)
{
	static const enum guest_irq_mode m[] = { GUEST_IRQ_MSIX, GUEST_IRQ_MSIX_SHARED, GUEST_IRQ_INTX };

	return m[rnd(s, 3)];
}

/* A fresh generator view before begin() exists: the mode and stage come from the same stream. */
static int begin_any(struct sw *s, struct record *rec, char **cause)
{
	struct sw pick = { .rec = rec };
	enum guest_irq_mode irq = any_irq(&pick);

	return begin(s, rec, irq, (unsigned)rnd(&pick, SW_STAGES), cause);
}

/* ---- common config: every offset and size read, then random writes each followed by every field ---- */

int sweep_sc_common(struct record *rec, char **cause)
{
	struct sw s;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	read_all(&s, s.c->common.bar, s.c->common.off, 0x44, 0xf);
	for (unsigned i = 0; i < 24; i++) {
		uint32_t off = (uint32_t)rnd(&s, 0x40);
		unsigned size = any_size(&s);
		uint64_t v = any_value(&s);

		/* a reset now and then, not at every other write */
		if (off <= 0x14 && off + size > 0x14 && (v & 0xff) == 0 && rnd(&s, 4) != 0)
			v |= 0x01;
		record_mark(rec, "sweep: common +0x%x, %u bytes, 0x%" PRIx64, off, size, v);
		bar_wr(&s, s.c->common.bar, s.c->common.off + off, size, v);
		read_fields(&s);
	}
	return 0;
}

/* ---- ISR, device config, notify, and the edges between the regions of the structures BAR ---- */

int sweep_sc_regions(struct record *rec, char **cause)
{
	struct sw s;
	const struct guest_region *r;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	read_all(&s, s.c->isr.bar, s.c->isr.off, 8, 0xf);
	if (s.stage >= 2 && s.irq != GUEST_IRQ_INTX && requests(&s, 1, cause) < 0)
		return -1;
	read_all(&s, s.c->isr.bar, s.c->isr.off, 4, 0xf);
	r = &s.c->device;
	read_all(&s, r->bar, r->off, 0x28, 0xf);
	r = &s.c->notify;
	read_all(&s, r->bar, r->off, 0x10, 0xf);
	/* Straddling the ends of the regions; the regions are laid out in one BAR. */
	{
		const struct guest_region *all[] = { &s.c->common, &s.c->isr, &s.c->device, &s.c->notify };

		for (size_t i = 0; i < 4; i++)
			if (all[i]->len >= 8)
				read_all(&s, all[i]->bar, all[i]->off + all[i]->len - 4, 4, 0xf);
	}
	/* Notify writes of every size and value at every offset of the first slots (queues live or not). */
	for (unsigned i = 0; i < 12; i++) {
		uint32_t off = (uint32_t)rnd(&s, 0x10);
		unsigned size = any_size(&s);

		bar_wr(&s, r->bar, r->off + off, size, rnd(&s, 2) ? off / 4 : any_value(&s));
	}
	/* Device config writes (the devices keep most bytes read-only). */
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = any_value(&s);
		unsigned size = any_size(&s);

		bar_wr(&s, s.c->device.bar, s.c->device.off + rnd(&s, 0x20), size, v);
	}
	read_all(&s, s.c->device.bar, s.c->device.off, 0x20, 0x4);
	read_fields(&s);
	return 0;
}

/* ---- MSI-X: table, PBA, the BAR's holes, masking, vectors past the table and for missing queues ---- */

static void msix_ctrl(struct sw *s, uint16_t set, uint16_t clear)
{
	uint32_t at = s->c->msix_cap + 2u;
	uint16_t v = (uint16_t)cfg_rd(s, at, 2);

	cfg_wr(s, at, 2, (uint16_t)((v | set) & ~clear));
}

static void msix_reads(struct sw *s)
{
	unsigned bar = s->c->msix_bar;
	uint32_t tab = s->c->msix_table, pba = s->c->msix_pba, n = s->c->msix_size;

	/* the table's address and data words at their sizes (sub-dword accesses are not valid there) */
	for (uint32_t v = 0; v < n && v < 8; v++) {
		for (uint32_t w = 0; w < 16; w += 4)
			(void)bar_rd(s, bar, tab + 16 * v + w, 4);
		(void)bar_rd(s, bar, tab + 16 * v, 8);
		(void)bar_rd(s, bar, tab + 16 * v + 8, 8);
		read_all(s, bar, tab + 16 * v + 12, 4, 0xf);
	}
	read_all(s, bar, pba, 16, 0xf);
	/* holes: between the table and the PBA, after the PBA, across both ends */
	read_all(s, bar, tab + 16 * n - 4, 8, 0xf);
	read_all(s, bar, pba - 4, 4, 0xf);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t hole = tab + 16 * n + (uint32_t)rnd(s, pba > tab + 16 * n ? pba - tab - 16 * n : 1);

		read_all(s, bar, hole & ~7u, 8, 0xf);
	}
	read_all(s, bar, pba + 8 * ((n + 63) / 64), 8, 0xf);
}

/*
 * Every queue and the config on vector v, v masked, a request left pending,
 * then every user moved to vector w (or v written again) and v unmasked:
 * whether the pending message survives its vector losing its users.
 */
static int reassign_pending(struct sw *s, uint16_t v, char **cause)
{
	uint16_t nq = guest_num_queues(s->g), keep[SW_MAX_QUEUES], cfg;
	uint16_t w = rnd(s, 3) ? (uint16_t)rnd(s, s->c->msix_size) : v;

	if (nq > SW_MAX_QUEUES)
		nq = SW_MAX_QUEUES;
	record_mark(s->rec, "sweep: vector %u pending while its queues move to vector %u", v, w);
	cfg = (uint16_t)guest_common_read(s->g, VIRTIO_PCI_COMMON_MSIX, 2);
	for (uint16_t q = 0; q < nq; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		keep[q] = (uint16_t)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
	}
	guest_common_write(s->g, VIRTIO_PCI_COMMON_MSIX, 2, v);
	guest_msix_mask(s->g, v, true);
	if (requests(s, 1, cause) < 0)
		return -1;
	read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0xc);
	for (uint16_t q = 0; q < nq; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, w);
		read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	}
	guest_common_write(s->g, VIRTIO_PCI_COMMON_MSIX, 2, w);
	read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	guest_msix_mask(s->g, v, false);
	read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	/* back as the driver set them up */
	for (uint16_t q = 0; q < nq; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, keep[q]);
	}
	guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_MSIX, 2, cfg);
	read_fields(s);
	return 0;
}

int sweep_sc_msix(struct record *rec, char **cause)
{
	struct sw s;
	struct sw pick = { .rec = rec };
	enum guest_irq_mode irq = rnd(&pick, 2) ? GUEST_IRQ_MSIX : GUEST_IRQ_MSIX_SHARED;
	uint16_t nq;

	if (begin(&s, rec, irq, 2 + (unsigned)rnd(&pick, 2), cause) < 0)
		return -1;
	if (s.c->msix_cap == 0)
		return cause_set(cause, "the device has no MSI-X capability");
	nq = guest_num_queues(s.g);
	msix_reads(&s);
	for (unsigned round = 0; round < 6; round++) {
		uint16_t v = (uint16_t)rnd(&s, s.c->msix_size);
		uint16_t q = (uint16_t)rnd(&s, nq + 2u);
		uint64_t val;
		unsigned size;

		switch (rnd(&s, 8)) {
		case 0:
			record_mark(rec, "sweep: vector %u masked, a request, unmasked", v);
			guest_msix_mask(s.g, v, true);
			if (requests(&s, 1, cause) < 0)
				return -1;
			read_all(&s, s.c->msix_bar, s.c->msix_pba, 8, 0xc);
			guest_msix_mask(s.g, v, false);
			break;
		case 1:
			record_mark(rec, "sweep: function mask, a request, unmasked");
			msix_ctrl(&s, MSIX_MASKALL, 0);
			if (requests(&s, 1, cause) < 0)
				return -1;
			read_all(&s, s.c->msix_bar, s.c->msix_pba, 8, 0xc);
			msix_ctrl(&s, 0, MSIX_MASKALL);
			break;
		case 2:
			record_mark(rec, "sweep: queue %u gets vector %u", q, v);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
			read_fields(&s);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
			if (requests(&s, 1, cause) < 0)
				return -1;
			break;
		case 3: {
			uint64_t past = s.c->msix_size + rnd(&s, 4);

			record_mark(rec, "sweep: queue %u and config get vector %" PRIu64 " (past the table)", q, past);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_MSIX, 2, past);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_MSIX, 2, rnd(&s, 2) ? past : 0xffff);
			read_fields(&s);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
			break;
		}
		case 4:
			record_mark(rec, "sweep: table control words at every size");
			for (unsigned i = 0; i < 3; i++) {
				val = any_value(&s);
				size = any_size(&s);
				bar_wr(&s, s.c->msix_bar, s.c->msix_table + 16u * v + 12 + (uint32_t)rnd(&s, 4), size, val);
			}
			msix_reads(&s);
			guest_msix_mask(s.g, v, false);
			break;
		case 5:
			record_mark(rec, "sweep: MSI-X disabled, a request, enabled");
			msix_ctrl(&s, 0, MSIX_ENABLE);
			if (requests(&s, 1, cause) < 0)
				return -1;
			(void)cfg_rd(&s, PCI_STATUS_OFF, 2);
			msix_ctrl(&s, MSIX_ENABLE, 0);
			(void)bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			break;
		case 6:
			if (reassign_pending(&s, v, cause) < 0)
				return -1;
			break;
		default:
			record_mark(rec, "sweep: writes into the PBA and the holes");
			val = any_value(&s);
			bar_wr(&s, s.c->msix_bar, s.c->msix_pba + 4 * (uint32_t)rnd(&s, 2), 4, val);
			val = any_value(&s);
			bar_wr(&s, s.c->msix_bar, s.c->msix_table + 16u * s.c->msix_size + 4 * (uint32_t)rnd(&s, 8), 4, val);
			msix_reads(&s);
			break;
		}
	}
	return requests(&s, 1, cause);
}

/* ---- INTx: ISR, the PCI status interrupt bit, INTX_DISABLE ---- */

static void intx_reads(struct sw *s)
{
	(void)cfg_rd(s, PCI_STATUS_OFF, 2);
	(void)cfg_rd(s, PCI_STATUS_OFF, 1);
	(void)cfg_rd(s, PCI_CMD_OFF, 4);
}

int sweep_sc_intx(struct record *rec, char **cause)
{
	struct sw s;

	if (begin(&s, rec, GUEST_IRQ_INTX, 2, cause) < 0)
		return -1;
	intx_reads(&s);
	for (unsigned round = 0; round < 6; round++) {
		uint16_t cmd = (uint16_t)cfg_rd(&s, PCI_CMD_OFF, 2);
		unsigned size;

		switch (rnd(&s, 4)) {
		case 0:
			record_mark(rec, "sweep: a request; status and ISR read");
			if (requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			size = any_size(&s);
			(void)bar_rd(&s, s.c->isr.bar, s.c->isr.off + rnd(&s, 4), size);
			intx_reads(&s);
			break;
		case 1:
			record_mark(rec, "sweep: INTX_DISABLE around a request");
			cfg_wr(&s, PCI_CMD_OFF, 2, cmd | PCI_CMD_INTX_OFF);
			if (requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			cfg_wr(&s, PCI_CMD_OFF, 2, cmd & ~PCI_CMD_INTX_OFF);
			intx_reads(&s);
			(void)bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			intx_reads(&s);
			break;
		case 2:
			record_mark(rec, "sweep: MSI-X enabled without vectors, a request, disabled");
			msix_ctrl(&s, MSIX_ENABLE, 0);
			if (requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			msix_ctrl(&s, 0, MSIX_ENABLE);
			intx_reads(&s);
			(void)bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			break;
		default:
			record_mark(rec, "sweep: two requests, ISR not read until after");
			if (requests(&s, 2, cause) < 0)
				return -1;
			intx_reads(&s);
			read_all(&s, s.c->isr.bar, s.c->isr.off, 2, 0x3);
			intx_reads(&s);
			break;
		}
	}
	return 0;
}

/* ---- device status: the four driver bits in every order, FAILED and NEEDS_RESET written by the driver ---- */

int sweep_sc_status(struct record *rec, char **cause)
{
	static const uint8_t bits[4] = { VIRTIO_STATUS_ACK, VIRTIO_STATUS_DRIVER, VIRTIO_STATUS_FEATURES_OK,
		VIRTIO_STATUS_DRIVER_OK };
	struct sw s;
	uint8_t order[4], st = 0;
	uint64_t perm;

	if (begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	perm = rnd(&s, 24);
	memcpy(order, bits, 4);
	for (unsigned i = 0; i < 4; i++) {
		unsigned k = i + (unsigned)(perm % (4 - i));
		uint8_t t = order[i];

		perm /= 4 - i;
		order[i] = order[k];
		order[k] = t;
	}
	record_mark(rec, "sweep: status bits in the order 0x%x 0x%x 0x%x 0x%x", order[0], order[1], order[2], order[3]);
	guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	guest_common_write(s.g, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	guest_common_write(s.g, VIRTIO_PCI_COMMON_GF, 4, 1);	/* VERSION_1 */
	guest_common_write(s.g, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	for (unsigned i = 0; i < 4; i++) {
		st |= order[i];
		if (rnd(&s, 5) == 0)
			st |= rnd(&s, 2) ? VIRTIO_STATUS_FAILED : VIRTIO_STATUS_NEEDS_RESET;
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1, st);
		read_fields(&s);
		if (order[i] == VIRTIO_STATUS_FEATURES_OK || rnd(&s, 3) == 0) {
			/* queue 0 enabled at this point, its rings in RAM (QEMU has RAM where the header has none) */
			uint64_t ram = record_header(rec)->ram[0].base;

			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
			(void)guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)ram + 0x10000);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_DESCHI, 4, ram >> 32);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)ram + 0x11000);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, ram >> 32);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)ram + 0x12000);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_USEDHI, 4, ram >> 32);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
			read_fields(&s);
		}
	}
	/* bits taken away again, one at a time, then a reset and a proper bring-up */
	for (unsigned i = 0; i < 2; i++) {
		st &= (uint8_t)~order[rnd(&s, 4)];
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1, st);
		read_fields(&s);
	}
	guest_reset(s.g);
	read_fields(&s);
	if (guest_negotiate(s.g, 0, cause) < 0 || guest_setup_queues(s.g, cause) < 0)
		return -1;
	guest_driver_ok(s.g);
	return requests(&s, 1, cause);
}

/* ---- queues: selects past the device's queues, sizes, queue reset with and without RING_RESET ---- */

int sweep_sc_queues(struct record *rec, char **cause)
{
	struct sw s;
	uint16_t nq, max;
	uint64_t offered, want;
	bool ring_reset;

	if (begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	offered = guest_device_features(s.g);
	if (offered == 0) {
		guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
		offered = guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
		offered |= guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4) << 32;
	}
	ring_reset = rnd(&s, 2) != 0;
	want = ring_reset ? offered : offered & ~(1ull << VIRTIO_F_RING_RESET);
	record_mark(rec, "sweep: RING_RESET %s", ring_reset ? "asked for (when offered)" : "not negotiated");
	if (guest_negotiate(s.g, want, cause) < 0)
		return -1;
	nq = (uint16_t)guest_common_read(s.g, VIRTIO_PCI_COMMON_NUMQ, 2);
	{
		const uint64_t sel[] = { nq, nq + 1u, 1023, 1024, 0x8000, 0xffff, rnd(&s, 0x10000) };

		for (size_t i = 0; i < sizeof sel / sizeof sel[0]; i++) {
			record_mark(rec, "sweep: queue_select %" PRIu64, sel[i]);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, sel[i]);
			read_fields(&s);
			for (unsigned k = 0; k < 3; k++) {
				uint64_t v = any_value(&s);

				bar_wr(&s, s.c->common.bar, s.c->common.off + 0x18 + 2 * (uint32_t)rnd(&s, 18), 2, v);
			}
			read_fields(&s);
		}
	}
	/* a queue_enable other than 1 breaks QEMU's device: start again from a reset */
	guest_reset(s.g);
	if (guest_negotiate(s.g, want, cause) < 0)
		return -1;
	/* sizes the driver may try before it settles on one */
	guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	max = (uint16_t)guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	for (unsigned i = 0; i < 4; i++) {
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2, fit(rnd(&s, 2) ? 1u << rnd(&s, 12) : any_value(&s), 2));
		(void)guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	}
	guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2, max);
	if (guest_setup_queues(s.g, cause) < 0)
		return -1;
	guest_driver_ok(s.g);
	if (requests(&s, 1, cause) < 0)
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t q = (uint16_t)rnd(&s, nq);
		uint64_t v = rnd(&s, 3) ? 1 : any_value(&s);

		record_mark(rec, "sweep: queue_reset of queue %u with %" PRIu64, q, v);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_RESET, 2, fit(v, 2));
		read_fields(&s);
		/* set it up again if the reset took effect */
		if (guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_ENABLE, 2) == 0 &&
		    guest_setup_queue(s.g, q, 0, 0, 0, 0, cause) < 0)
			return -1;
		read_fields(&s);
	}
	guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	return 0;
}

/* ---- bus mastering cleared in COMMAND while DRIVER_OK ---- */

int sweep_sc_busmaster(struct record *rec, char **cause)
{
	struct sw s;
	struct sw pick = { .rec = rec };
	unsigned stage = 2 + (unsigned)rnd(&pick, 2);
	uint16_t cmd;

	if (begin(&s, rec, any_irq(&pick), stage, cause) < 0)
		return -1;
	cmd = (uint16_t)cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: bus mastering off while DRIVER_OK");
	cfg_wr(&s, PCI_CMD_OFF, rnd(&s, 2) ? 2 : 1, (uint16_t)(cmd & ~PCI_CMD_MASTER));
	read_fields(&s);
	(void)cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: bus mastering on again");
	cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
	read_fields(&s);
	if (rnd(&s, 2)) {
		record_mark(rec, "sweep: DRIVER_OK written again");
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1,
		    guest_common_read(s.g, VIRTIO_PCI_COMMON_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
		read_fields(&s);
	} else {
		record_mark(rec, "sweep: reset and bring-up");
		guest_reset(s.g);
		if (guest_negotiate(s.g, 0, cause) < 0 || guest_setup_queues(s.g, cause) < 0)
			return -1;
		guest_driver_ok(s.g);
	}
	return requests(&s, 1, cause);
}

/* ---- PCI config space: every offset and size, across dwords too; writes to every byte but the BARs ---- */

static void cfg_read_all(struct sw *s)
{
	for (uint32_t off = 0; off < 256; off += 4)
		(void)cfg_rd(s, off, 4);
}

int sweep_sc_cfgspace(struct record *rec, char **cause)
{
	struct sw s;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	/*
	 * Config cycles go through 0xcf8/0xcfc: an access past 0xcff leaves the
	 * data port (the port selects the dword, then in/out at 0xcfc + off % 4);
	 * 8 bytes do not exist.
	 */
	for (uint32_t off = 0; off < 256; off++)
		for (unsigned size = 1; size <= 4; size *= 2)
			(void)cfg_rd(&s, off, size);
	for (unsigned i = 0; i < 32; i++) {
		uint32_t off = (uint32_t)rnd(&s, 256);
		unsigned size = 1u << rnd(&s, 3);
		uint64_t v = any_value(&s);

		/* BAR addresses and decoding stay as set up: the harness reaches the BARs through them */
		if (off >= 0x10 && off < 0x28)
			continue;
		if (off < PCI_CMD_OFF + 2 && off + size > PCI_CMD_OFF)
			v |= (uint64_t)(PCI_CMD_MEM | PCI_CMD_MASTER) << (8 * (PCI_CMD_OFF - (off & ~1u)));
		record_mark(rec, "sweep: config 0x%x, %u bytes, 0x%" PRIx64, off, size, v);
		cfg_wr(&s, off, size, v);
		if (i % 4 == 3)
			cfg_read_all(&s);
	}
	cfg_read_all(&s);
	return 0;
}

/* ---- the VIRTIO_PCI_CAP_PCI_CFG window: any bar, offset, length; data at every size and offset ---- */

int sweep_sc_pcicfg(struct record *rec, char **cause)
{
	struct sw s;
	uint8_t cap;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	cap = s.c->pci_cfg_cap;
	if (cap == 0)
		return cause_set(cause, "the device has no PCI_CFG capability");
	for (unsigned i = 0; i < 20; i++) {
		static const uint8_t lens[] = { 1, 2, 4, 1, 2, 4, 0, 3, 8 };
		uint8_t bar = rnd(&s, 4) ? s.c->common.bar : (uint8_t)rnd(&s, 8);
		uint32_t region = (uint32_t)rnd(&s, 4) * 0x1000;
		uint32_t off = region + (uint32_t)rnd(&s, 0x40);
		uint32_t len = lens[rnd(&s, sizeof lens)];
		unsigned size = 1u << rnd(&s, 3);
		uint32_t at = cap + 16u + (uint32_t)rnd(&s, 4);	/* past the data dword too */

		record_mark(rec, "sweep: pci_cfg window bar %u +0x%x len %u; data %u bytes at 0x%x", bar, off, len, size, at);
		cfg_wr(&s, cap + 4u, 1, bar);
		cfg_wr(&s, cap + 8u, 4, off);
		cfg_wr(&s, cap + 12u, 4, len);
		if (rnd(&s, 3) == 0)
			cfg_wr(&s, at, size, any_value(&s));
		else
			(void)cfg_rd(&s, at, size);
		for (uint32_t k = cap; k < cap + 20u; k += 4)
			(void)cfg_rd(&s, k, 4);
		if (i % 5 == 4)
			read_fields(&s);
	}
	return 0;
}

/* ---- COMMAND's MEM bit cleared: the BARs unmapped, the PCI_CFG window still reaching the regions ---- */

static const struct guest_region *any_region(struct sw *s)
{
	const struct guest_region *all[] = { &s->c->common, &s->c->isr, &s->c->device, &s->c->notify };

	return all[rnd(s, 4)];
}

/* Writes QEMU drops while the BAR is unmapped; none of them would break the device if it took them. */
static void decode_writes(struct sw *s)
{
	const struct guest_region *cm = &s->c->common;
	uint16_t nq = guest_num_queues(s->g);

	bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_DFSELECT, 4, rnd(s, 3));
	bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_GFSELECT, 4, rnd(s, 3));
	bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_Q_SELECT, 2, rnd(s, nq ? nq : 1));
	bar_wr(s, s->c->notify.bar, s->c->notify.off, 2, 0);
	if (s->c->msix_cap != 0)
		(void)bar_rd(s, s->c->msix_bar, s->c->msix_table + 16 * rnd(s, s->c->msix_size), 4);
}

int sweep_sc_decode(struct record *rec, char **cause)
{
	struct sw s;
	uint16_t cmd;
	uint8_t cap;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	cap = s.c->pci_cfg_cap;
	cmd = (uint16_t)cfg_rd(&s, PCI_CMD_OFF, 2);
	for (unsigned round = 0; round < 3; round++) {
		uint16_t off = (uint16_t)(cmd & ~(PCI_CMD_MEM | (rnd(&s, 2) ? PCI_CMD_IO : 0)));

		record_mark(rec, "sweep: memory decoding off (COMMAND 0x%x)", off);
		cfg_wr(&s, PCI_CMD_OFF, rnd(&s, 2) ? 2 : 1, off);
		(void)cfg_rd(&s, PCI_CMD_OFF, 2);
		for (unsigned i = 0; i < 12; i++) {
			const struct guest_region *r = any_region(&s);

			unsigned size = any_size(&s);

			(void)bar_rd(&s, r->bar, r->off + rnd(&s, 0x20), size);
		}
		read_fields(&s);
		decode_writes(&s);
		if (cap != 0) {
			/* the window reaches the regions themselves: status, then num_queues */
			cfg_wr(&s, cap + 4u, 1, s.c->common.bar);
			cfg_wr(&s, cap + 8u, 4, s.c->common.off + VIRTIO_PCI_COMMON_STATUS);
			cfg_wr(&s, cap + 12u, 4, 1);
			(void)cfg_rd(&s, cap + 16u, 1);
			cfg_wr(&s, cap + 8u, 4, s.c->common.off + VIRTIO_PCI_COMMON_NUMQ);
			cfg_wr(&s, cap + 12u, 4, 2);
			(void)cfg_rd(&s, cap + 16u, 2);
		}
		record_mark(rec, "sweep: memory decoding on");
		cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
		read_fields(&s);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	}
	if (s.stage >= 2 && requests(&s, 1, cause) < 0)
		return -1;
	return 0;
}

/* ---- the legacy I/O BAR of a transitional function: every offset and size; COMMAND.IO cleared ---- */

#define SW_LEGACY_BAR	0		/* a transitional function's legacy block (QEMU: BAR0, I/O) */
#define SW_LEGACY_LEN	0x40		/* the registers (20 or 24 bytes), then device config */

void sweep_legacy_prepare(struct record *rec, struct trace_header *h)
{
	(void)rec;
	h->transport = TRACE_TRANSPORT_TRANSITIONAL;
}

int sweep_sc_legacy(struct record *rec, char **cause)
{
	struct sw s;
	uint16_t cmd, nq;

	if (begin_any(&s, rec, cause) < 0)
		return -1;
	nq = guest_num_queues(s.g);
	/* x86 port I/O has 1, 2 and 4 bytes: every offset at each, unaligned and across registers */
	read_all(&s, SW_LEGACY_BAR, 0, SW_LEGACY_LEN, 0x7);
	for (unsigned i = 0; i < 4; i++) {
		/* queue_num and queue_sel, not beyond: notify and status follow */
		uint32_t off = VIRTIO_PCI_LEGACY_QUEUE_SEL - 2 + (uint32_t)rnd(&s, 3);

		record_mark(rec, "sweep: legacy queue_sel around 0x%x", off);
		uint64_t v = rnd(&s, 2) ? rnd(&s, nq + 2u) : any_value(&s);

		bar_wr(&s, SW_LEGACY_BAR, off, 1u << rnd(&s, 2), v);
		read_all(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 8, 0x7);
	}
	bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 0);
	/*
	 * Before the queues run: one handed over as a page frame number, read
	 * back through both interfaces (QEMU's legacy path leaves the modern
	 * queue_enable and address registers as they were), now and then
	 * taken away with pfn 0, which resets the whole device.
	 */
	if (s.stage < 2 && rnd(&s, 2)) {
		uint32_t qi = (uint32_t)rnd(&s, nq + 1u);
		uint64_t pfn = (record_header(rec)->ram[0].base + 0x10000 + 0x4000 * rnd(&s, 4)) >>
		    VIRTIO_LEGACY_PFN_SHIFT;

		record_mark(rec, "sweep: legacy queue_pfn 0x%" PRIx64 " for queue %u", pfn, qi);
		bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, qi);
		bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, pfn);
		read_all(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 8, 0x4);
		read_fields(&s);
		if (rnd(&s, 3) == 0) {
			record_mark(rec, "sweep: legacy queue_pfn 0 for queue %u", qi);
			bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, 0);
			read_fields(&s);
		}
		bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 0);
	}
	/*
	 * guest_features at the status the stage left (FEATURES_OK from stage 1
	 * on, where QEMU's virtio_set_features refuses it), then both interfaces'
	 * feature registers read back.
	 */
	for (unsigned i = 0, n = (unsigned)rnd(&s, 3); i < n; i++) {
		uint64_t host = bar_rd(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_HOST_FEATURES, 4);
		uint64_t v = rnd(&s, 2) ? host & record_rand(rec) : any_value(&s);

		record_mark(rec, "sweep: legacy guest_features 0x%" PRIx64, fit(v, 4));
		bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4, v);
		read_all(&s, SW_LEGACY_BAR, 0, 8, 0x4);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_GFSELECT, 4, rnd(&s, 2));
		read_fields(&s);
	}
	cmd = (uint16_t)cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: I/O decoding off");
	cfg_wr(&s, PCI_CMD_OFF, rnd(&s, 2) ? 2 : 1, cmd & ~PCI_CMD_IO);
	read_all(&s, SW_LEGACY_BAR, 0, 0x18, 0x7);
	bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 1);
	bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, 2, 0);
	record_mark(rec, "sweep: I/O decoding on");
	cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
	read_all(&s, SW_LEGACY_BAR, 0, 0x18, 0x4);
	read_fields(&s);
	if (s.stage >= 2 && requests(&s, 1, cause) < 0)
		return -1;
	return 0;
}

/* ---- requests through the model guest: feature subsets, queue sizes, interrupt modes, resets ---- */

int sweep_sc_random(struct record *rec, char **cause)
{
	struct sw s;
	unsigned rounds;

	if (begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	rounds = 1 + (unsigned)rnd(&s, 3);
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t offered = guest_device_features(s.g), want;
		uint16_t nq = guest_num_queues(s.g);

		if (r > 0)
			guest_reset(s.g);
		if (offered == 0) {
			guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
			offered = guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
			offered |= guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4) << 32;
		}
		/* drop some of the optional ring features; keep VERSION_1 and the device's own bits */
		want = offered & ~(record_rand(rec) & ((1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX) |
		    (1ull << VIRTIO_F_RING_RESET)));
		/* now and then NOTIFY_ON_EMPTY too, a legacy feature the modern interface does not offer */
		if (rnd(&s, 4) == 0)
			want |= 1ull << VIRTIO_F_NOTIFY_ON_EMPTY;
		record_mark(rec, "sweep: round %u, features 0x%" PRIx64, r, want);
		if (guest_negotiate(s.g, want, cause) < 0)
			return -1;
		if (nq == 0)
			nq = (uint16_t)guest_common_read(s.g, VIRTIO_PCI_COMMON_NUMQ, 2);
		for (unsigned q = 0; q < nq; q++) {
			uint16_t size = (uint16_t)(1u << (3 + rnd(&s, 6)));

			if (guest_setup_queue(s.g, q, size, 0, 0, 0, cause) < 0)
				return -1;
		}
		guest_driver_ok(s.g);
		s.io_ready = false;
		/* interrupts suppressed by the driver now and then (NO_INTERRUPT, or used_event with EVENT_IDX) */
		if (rnd(&s, 3) == 0)
			for (unsigned q = 0; q < nq; q++)
				guest_disable_cb(s.g, q);
		if (requests(&s, 1 + (unsigned)rnd(&s, 6), cause) < 0)
			return -1;
	}
	return 0;
}

/* ---- the driver: record each on QEMU, replay here ---- */

const struct sweep_kind sweep_kinds[] = {
	{ "sweep-common", true },
	{ "sweep-regions", true },
	{ "sweep-msix", true },
	{ "sweep-intx", true },
	{ "sweep-status", true },
	{ "sweep-queues", true },
	{ "sweep-busmaster", true },
	{ "sweep-cfgspace", true },
	{ "sweep-pcicfg", true },
	{ "sweep-decode", true },
	{ "sweep-legacy", true },
	{ "sweep-random", false },
	{ "sweep-scsi", false },
	{ "sweep-blk", false },
	{ "sweep-net", false },
	{ "sweep-console", false },
	{ "sweep-rng", false },
	{ "sweep-serial", false },
	{ "sweep-mq", false },
	{ "sweep-mmio", true },
	{ NULL, false },
};

#define SW_DEVICES	"blk net scsi rng console"
#define SW_MAX_LIST	32

static unsigned split(const char *s, char *store, size_t n, const char **w)
{
	unsigned k = 0;

	snprintf(store, n, "%s", s);
	for (char *t = strtok(store, " ,"); t != NULL && k < SW_MAX_LIST; t = strtok(NULL, " ,"))
		w[k++] = t;
	return k;
}

static const struct sweep_kind *kind_find(const char *name)
{
	for (const struct sweep_kind *k = sweep_kinds; k->scenario != NULL; k++)
		if (strcmp(k->scenario, name) == 0 || (strncmp(k->scenario, "sweep-", 6) == 0 &&
		    strcmp(k->scenario + 6, name) == 0))
			return k;
	return NULL;
}

struct sw_diff {
	uint64_t n;
	uint64_t device;		/* of them in RAM the device wrote: the device models' */
	struct buf first;
};

/* Guest RAM a device wrote differs: the device model's answer, not the transport's. */
static bool device_owned(const char *what)
{
	static const char *const ram[] = { "mem-read", "dma", "missing-dma", "unexpected-dma" };

	for (size_t i = 0; what != NULL && i < sizeof ram / sizeof ram[0]; i++)
		if (strcmp(what, ram[i]) == 0)
			return true;
	return false;
}

static void on_divergence(void *opaque, const struct vr_event *ev)
{
	struct sw_diff *d = opaque;

	if (device_owned(ev->u.divergence.what))
		d->device++;
	if (d->n++ == 0 && ev->u.divergence.report != NULL)
		buf_printf(&d->first, "%s", ev->u.divergence.report);
}

/* Replay QEMU's trace here, listing every divergence. 0, or -1 + cause (the trace does not replay). */
static int compare(const char *path, struct sw_diff *d, uint64_t *events, char **cause)
{
	struct replay_opts ro;
	struct evbus bus;
	struct replay *r;
	int outcome;

	evbus_init(&bus);
	evbus_add(&bus, 1u << VR_EV_DIVERGENCE, on_divergence, d);
	memset(&ro, 0, sizeof(ro));
	ro.path = path;
	ro.layout = -1;
	ro.to = UINT64_MAX;
	ro.lenient = true;
	if ((r = replay_new(&ro, &bus, cause)) == NULL)
		return -1;
	outcome = replay_run(r, cause);
	*events = replay_get_stats(r)->events;
	replay_free(r);
	return outcome == REPLAY_MATCHED || outcome == REPLAY_DIVERGED ? 0 : -1;
}

int sweep_run(const struct sweep_opts *o, void (*report)(void *opaque, const struct sweep_result *r),
    void *opaque, struct sweep_totals *t, char **cause)
{
	char dstore[256], kstore[512];
	const char *dev[SW_MAX_LIST];
	const struct sweep_kind *kind[SW_MAX_LIST];
	const char *kw[SW_MAX_LIST];
	unsigned ndev, nkind = 0, nk, npair = 0;
	unsigned pair[SW_MAX_LIST * SW_MAX_LIST];	/* kind + nkind * device, the pairs that run */
	const char *tmp = o->tmp_dir ? o->tmp_dir : "/tmp";

	memset(t, 0, sizeof(*t));
	ndev = split(o->devices ? o->devices : SW_DEVICES, dstore, sizeof dstore, dev);
	for (unsigned i = 0; i < ndev; i++)
		if (trace_device_parse(dev[i]) < 0)
			return cause_set(cause, "unknown device '%s'", dev[i]);
	nk = split(o->kinds ? o->kinds : "all", kstore, sizeof kstore, kw);
	for (unsigned i = 0; i < nk; i++) {
		bool all = strcmp(kw[i], "all") == 0, mach = strcmp(kw[i], "machine") == 0;

		if (all || mach) {
			for (const struct sweep_kind *k = sweep_kinds; k->scenario != NULL && nkind < SW_MAX_LIST; k++)
				if (all || k->machine)
					kind[nkind++] = k;
		} else if ((kind[nkind] = kind_find(kw[i])) != NULL) {
			nkind++;
		} else {
			return cause_set(cause, "unknown sweep scenario '%s' (sweep --list shows them)", kw[i]);
		}
	}
	if (ndev == 0 || nkind == 0)
		return cause_set(cause, "no device or no scenario to sweep");
	/* every kind on every device it runs on (sweep-scsi: scsi only) before any pair repeats */
	for (unsigned i = 0; i < nkind * ndev && npair < SW_MAX_LIST * SW_MAX_LIST; i++)
		if (record_scenario_supports(record_find(kind[i % nkind]->scenario), dev[i / nkind]))
			pair[npair++] = i;
	if (npair == 0)
		return cause_set(cause, "none of the scenarios runs on the devices given");
	for (uint64_t i = 0; i < o->count; i++) {
		const struct sweep_kind *k = kind[pair[i % npair] % nkind];
		const char *device = dev[pair[i % npair] / nkind];
		struct sweep_result res;
		struct record_opts ro;
		struct sw_diff d;
		char path[512], *why = NULL;
		int rc;

		memset(&res, 0, sizeof(res));
		res.index = i;
		res.seed = o->seed + i;
		res.scenario = k->scenario;
		res.device = device;
		res.machine = k->machine;
		if (o->keep_dir != NULL)
			snprintf(path, sizeof path, "%s/%04" PRIu64 "-%s-%s.vrt", o->keep_dir, i, k->scenario + 6, device);
		else
			snprintf(path, sizeof path, "%s/vr-sweep-%ld-%" PRIu64 ".vrt", tmp, (long)getpid(), i);
		res.trace = path;
		memset(&ro, 0, sizeof(ro));
		ro.device = device;
		ro.scenario = k->scenario;
		ro.out = path;
		ro.format = TRACE_FMT_TEXT;
		ro.layout = TRACE_LAYOUT_QEMU;
		ro.seed = res.seed;
		ro.driver = -1;			/* a scenario may pick a legacy driver (sweep-net) */
		ro.qemu = true;
		ro.qemu_binary = o->qemu;
		memset(&d, 0, sizeof(d));
		buf_init(&d.first);
		rc = record_run(&ro, &why);
		if (rc == -2 && t->compared == 0 && t->failed == 0 && why != NULL && strstr(why, "qemu missing") != NULL) {
			cause_set(cause, "%s", why);
			free(why);
			buf_release(&d.first);
			if (o->keep_dir == NULL)
				unlink(path);
			return -2;
		}
		if (rc == 0 && compare(path, &d, &res.events, &why) < 0)
			rc = -1;
		if (rc < 0) {
			res.failed = why ? why : "failed";
			t->failed++;
		} else {
			t->compared++;
			res.differences = d.n;
			res.first = d.n ? buf_str(&d.first) : NULL;
			t->differences += d.n;
			res.device_differences = d.device;
			if (d.n) {
				t->differing++;
				if (k->machine && d.n > d.device)
					t->machine_differing++;
			}
		}
		if (report != NULL)
			report(opaque, &res);
		free(why);
		buf_release(&d.first);
		if (o->keep_dir == NULL)
			unlink(path);
	}
	return 0;
}
