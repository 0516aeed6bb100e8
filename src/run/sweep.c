/* sweep.c -- the generated sweep's machine scenarios: registers, MSI-X, INTx, status, queues */
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

#include "sweep-int.h"

uint64_t sw_rnd(struct sw *s, uint64_t n)
{
	return record_below(s->rec, n);
}

/* Interesting values first, then noise: what a confused or hostile driver writes. */
uint64_t sw_any_value(struct sw *s)
{
	static const uint64_t v[] = { 0, 1, 2, 3, 4, 0x7f, 0xff, 0x100, 0x3ff, 0x400, 0x401, 0x7fff, 0xffff,
		0x10000, 0xfffffffful, 0x100000000ull, 0xffffffffffffffffull };
	uint64_t k = sw_rnd(s, sizeof v / sizeof v[0] + 3);

	uint64_t noise;

	if (k < sizeof v / sizeof v[0])
		return v[k];
	/* one draw after the other: the order of two calls in one expression is the compiler's */
	noise = record_rand(s->rec);
	return noise >> sw_rnd(s, 64);
}

unsigned sw_any_size(struct sw *s)
{
	return 1u << sw_rnd(s, 4);
}

uint64_t sw_cfg_rd(struct sw *s, uint32_t off, unsigned size)
{
	return s->p->cfg_read(s->p->opaque, off, size);
}

uint64_t sw_fit(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

void sw_cfg_wr(struct sw *s, uint32_t off, unsigned size, uint64_t v)
{
	s->p->cfg_write(s->p->opaque, off, size, sw_fit(v, size));
}

uint64_t sw_bar_rd(struct sw *s, unsigned bar, uint64_t off, unsigned size)
{
	return s->p->bar_read(s->p->opaque, bar, off, size);
}

void sw_bar_wr(struct sw *s, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	s->p->bar_write(s->p->opaque, bar, off, size, sw_fit(v, size));
}

/* Every offset of [start, start + len) at every size in sizes (bit n: n bytes). */
void sw_read_all(struct sw *s, unsigned bar, uint64_t start, uint64_t len, unsigned sizes)
{
	for (uint64_t off = start; off < start + len; off++)
		for (unsigned size = 1; size <= 8; size *= 2)
			if (sizes & size)
				(void)sw_bar_rd(s, bar, off, size);
}

/* The common config fields at their own sizes (the state after a write). */
void sw_read_fields(struct sw *s)
{
	static const struct { uint8_t off, size; } f[] = {
		{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 }, { 0x15, 1 },
		{ 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 4 }, { 0x24, 4 }, { 0x28, 4 },
		{ 0x2c, 4 }, { 0x30, 4 }, { 0x34, 4 }, { 0x38, 2 }, { 0x3a, 2 },
	};

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		(void)sw_bar_rd(s, s->c->common.bar, s->c->common.off + f[i].off, f[i].size);
}

int sw_requests(struct sw *s, unsigned n, char **cause)
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
int sw_begin(struct sw *s, struct record *rec, enum guest_irq_mode irq, unsigned stage, char **cause)
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
	if (stage >= 3 && sw_requests(s, 2, cause) < 0)
		return -1;
	record_mark(rec, "sweep: accesses");
	return 0;
}

enum guest_irq_mode sw_any_irq(struct sw *s)
{
	static const enum guest_irq_mode m[] = { GUEST_IRQ_MSIX, GUEST_IRQ_MSIX_SHARED, GUEST_IRQ_INTX };

	return m[sw_rnd(s, 3)];
}

/* A fresh generator view before sw_begin() exists: the mode and stage come from the same stream. */
int sw_begin_any(struct sw *s, struct record *rec, char **cause)
{
	struct sw pick = { .rec = rec };
	enum guest_irq_mode irq = sw_any_irq(&pick);

	return sw_begin(s, rec, irq, (unsigned)sw_rnd(&pick, SW_STAGES), cause);
}

/* ---- common config: every offset and size read, then random writes each followed by every field ---- */

int sweep_sc_common(struct record *rec, char **cause)
{
	struct sw s;

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	sw_read_all(&s, s.c->common.bar, s.c->common.off, 0x44, 0xf);
	for (unsigned i = 0; i < 24; i++) {
		uint32_t off = (uint32_t)sw_rnd(&s, 0x40);
		unsigned size = sw_any_size(&s);
		uint64_t v = sw_any_value(&s);

		/* a reset now and then, not at every other write */
		if (off <= 0x14 && off + size > 0x14 && (v & 0xff) == 0 && sw_rnd(&s, 4) != 0)
			v |= 0x01;
		record_mark(rec, "sweep: common +0x%x, %u bytes, 0x%" PRIx64, off, size, v);
		sw_bar_wr(&s, s.c->common.bar, s.c->common.off + off, size, v);
		sw_read_fields(&s);
	}
	return 0;
}

/* ---- ISR, device config, notify, and the edges between the regions of the structures BAR ---- */

int sweep_sc_regions(struct record *rec, char **cause)
{
	struct sw s;
	const struct guest_region *r;

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	sw_read_all(&s, s.c->isr.bar, s.c->isr.off, 8, 0xf);
	if (s.stage >= 2 && s.irq != GUEST_IRQ_INTX && sw_requests(&s, 1, cause) < 0)
		return -1;
	sw_read_all(&s, s.c->isr.bar, s.c->isr.off, 4, 0xf);
	r = &s.c->device;
	sw_read_all(&s, r->bar, r->off, 0x28, 0xf);
	r = &s.c->notify;
	sw_read_all(&s, r->bar, r->off, 0x10, 0xf);
	/* Straddling the ends of the regions; the regions are laid out in one BAR. */
	{
		const struct guest_region *all[] = { &s.c->common, &s.c->isr, &s.c->device, &s.c->notify };

		for (size_t i = 0; i < 4; i++)
			if (all[i]->len >= 8)
				sw_read_all(&s, all[i]->bar, all[i]->off + all[i]->len - 4, 4, 0xf);
	}
	/* Notify writes of every size and value at every offset of the first slots (queues live or not). */
	for (unsigned i = 0; i < 12; i++) {
		uint32_t off = (uint32_t)sw_rnd(&s, 0x10);
		unsigned size = sw_any_size(&s);

		sw_bar_wr(&s, r->bar, r->off + off, size, sw_rnd(&s, 2) ? off / 4 : sw_any_value(&s));
	}
	/* Device config writes (the devices keep most bytes read-only). */
	for (unsigned i = 0; i < 4; i++) {
		uint64_t v = sw_any_value(&s);
		unsigned size = sw_any_size(&s);

		sw_bar_wr(&s, s.c->device.bar, s.c->device.off + sw_rnd(&s, 0x20), size, v);
	}
	sw_read_all(&s, s.c->device.bar, s.c->device.off, 0x20, 0x4);
	sw_read_fields(&s);
	return 0;
}

/* ---- MSI-X: table, PBA, the BAR's holes, masking, vectors past the table and for missing queues ---- */

static void msix_ctrl(struct sw *s, uint16_t set, uint16_t clear)
{
	uint32_t at = s->c->msix_cap + 2u;
	uint16_t v = (uint16_t)sw_cfg_rd(s, at, 2);

	sw_cfg_wr(s, at, 2, (uint16_t)((v | set) & ~clear));
}

static void msix_reads(struct sw *s)
{
	unsigned bar = s->c->msix_bar;
	uint32_t tab = s->c->msix_table, pba = s->c->msix_pba, n = s->c->msix_size;

	/* the table's address and data words at their sizes (sub-dword accesses are not valid there) */
	for (uint32_t v = 0; v < n && v < 8; v++) {
		for (uint32_t w = 0; w < 16; w += 4)
			(void)sw_bar_rd(s, bar, tab + 16 * v + w, 4);
		(void)sw_bar_rd(s, bar, tab + 16 * v, 8);
		(void)sw_bar_rd(s, bar, tab + 16 * v + 8, 8);
		sw_read_all(s, bar, tab + 16 * v + 12, 4, 0xf);
	}
	sw_read_all(s, bar, pba, 16, 0xf);
	/* holes: between the table and the PBA, after the PBA, across both ends */
	sw_read_all(s, bar, tab + 16 * n - 4, 8, 0xf);
	sw_read_all(s, bar, pba - 4, 4, 0xf);
	for (unsigned i = 0; i < 4; i++) {
		uint32_t hole = tab + 16 * n + (uint32_t)sw_rnd(s, pba > tab + 16 * n ? pba - tab - 16 * n : 1);

		sw_read_all(s, bar, hole & ~7u, 8, 0xf);
	}
	sw_read_all(s, bar, pba + 8 * ((n + 63) / 64), 8, 0xf);
}

/*
 * Every queue and the config on vector v, v masked, a request left pending,
 * then every user moved to vector w (or v written again) and v unmasked:
 * whether the pending message survives its vector losing its users.
 */
static int reassign_pending(struct sw *s, uint16_t v, char **cause)
{
	uint16_t nq = guest_num_queues(s->g), keep[SW_MAX_QUEUES], cfg;
	uint16_t w = sw_rnd(s, 3) ? (uint16_t)sw_rnd(s, s->c->msix_size) : v;

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
	if (sw_requests(s, 1, cause) < 0)
		return -1;
	sw_read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0xc);
	for (uint16_t q = 0; q < nq; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, w);
		sw_read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	}
	guest_common_write(s->g, VIRTIO_PCI_COMMON_MSIX, 2, w);
	sw_read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	guest_msix_mask(s->g, v, false);
	sw_read_all(s, s->c->msix_bar, s->c->msix_pba, 8, 0x4);
	/* back as the driver set them up */
	for (uint16_t q = 0; q < nq; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, keep[q]);
	}
	guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_MSIX, 2, cfg);
	sw_read_fields(s);
	return 0;
}

int sweep_sc_msix(struct record *rec, char **cause)
{
	struct sw s;
	struct sw pick = { .rec = rec };
	enum guest_irq_mode irq = sw_rnd(&pick, 2) ? GUEST_IRQ_MSIX : GUEST_IRQ_MSIX_SHARED;
	uint16_t nq;

	if (sw_begin(&s, rec, irq, 2 + (unsigned)sw_rnd(&pick, 2), cause) < 0)
		return -1;
	if (s.c->msix_cap == 0)
		return cause_set(cause, "the device has no MSI-X capability");
	nq = guest_num_queues(s.g);
	msix_reads(&s);
	for (unsigned round = 0; round < 6; round++) {
		uint16_t v = (uint16_t)sw_rnd(&s, s.c->msix_size);
		uint16_t q = (uint16_t)sw_rnd(&s, nq + 2u);
		uint64_t val;
		unsigned size;

		switch (sw_rnd(&s, 8)) {
		case 0:
			record_mark(rec, "sweep: vector %u masked, a request, unmasked", v);
			guest_msix_mask(s.g, v, true);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			sw_read_all(&s, s.c->msix_bar, s.c->msix_pba, 8, 0xc);
			guest_msix_mask(s.g, v, false);
			break;
		case 1:
			record_mark(rec, "sweep: function mask, a request, unmasked");
			msix_ctrl(&s, MSIX_MASKALL, 0);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			sw_read_all(&s, s.c->msix_bar, s.c->msix_pba, 8, 0xc);
			msix_ctrl(&s, 0, MSIX_MASKALL);
			break;
		case 2:
			record_mark(rec, "sweep: queue %u gets vector %u", q, v);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_MSIX, 2, v);
			sw_read_fields(&s);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			break;
		case 3: {
			uint64_t past = s.c->msix_size + sw_rnd(&s, 4);

			record_mark(rec, "sweep: queue %u and config get vector %" PRIu64 " (past the table)", q, past);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_MSIX, 2, past);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_MSIX, 2, sw_rnd(&s, 2) ? past : 0xffff);
			sw_read_fields(&s);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
			break;
		}
		case 4:
			record_mark(rec, "sweep: table control words at every size");
			for (unsigned i = 0; i < 3; i++) {
				val = sw_any_value(&s);
				size = sw_any_size(&s);
				sw_bar_wr(&s, s.c->msix_bar, s.c->msix_table + 16u * v + 12 + (uint32_t)sw_rnd(&s, 4), size, val);
			}
			msix_reads(&s);
			guest_msix_mask(s.g, v, false);
			break;
		case 5:
			record_mark(rec, "sweep: MSI-X disabled, a request, enabled");
			msix_ctrl(&s, 0, MSIX_ENABLE);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			(void)sw_cfg_rd(&s, PCI_STATUS_OFF, 2);
			msix_ctrl(&s, MSIX_ENABLE, 0);
			(void)sw_bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			break;
		case 6:
			if (reassign_pending(&s, v, cause) < 0)
				return -1;
			break;
		default:
			record_mark(rec, "sweep: writes into the PBA and the holes");
			val = sw_any_value(&s);
			sw_bar_wr(&s, s.c->msix_bar, s.c->msix_pba + 4 * (uint32_t)sw_rnd(&s, 2), 4, val);
			val = sw_any_value(&s);
			sw_bar_wr(&s, s.c->msix_bar, s.c->msix_table + 16u * s.c->msix_size + 4 * (uint32_t)sw_rnd(&s, 8), 4, val);
			msix_reads(&s);
			break;
		}
	}
	return sw_requests(&s, 1, cause);
}

/* ---- INTx: ISR, the PCI status interrupt bit, INTX_DISABLE ---- */

static void intx_reads(struct sw *s)
{
	(void)sw_cfg_rd(s, PCI_STATUS_OFF, 2);
	(void)sw_cfg_rd(s, PCI_STATUS_OFF, 1);
	(void)sw_cfg_rd(s, PCI_CMD_OFF, 4);
}

int sweep_sc_intx(struct record *rec, char **cause)
{
	struct sw s;

	if (sw_begin(&s, rec, GUEST_IRQ_INTX, 2, cause) < 0)
		return -1;
	intx_reads(&s);
	for (unsigned round = 0; round < 6; round++) {
		uint16_t cmd = (uint16_t)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
		unsigned size;

		switch (sw_rnd(&s, 4)) {
		case 0:
			record_mark(rec, "sweep: a request; status and ISR read");
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			size = sw_any_size(&s);
			(void)sw_bar_rd(&s, s.c->isr.bar, s.c->isr.off + sw_rnd(&s, 4), size);
			intx_reads(&s);
			break;
		case 1:
			record_mark(rec, "sweep: INTX_DISABLE around a request");
			sw_cfg_wr(&s, PCI_CMD_OFF, 2, cmd | PCI_CMD_INTX_OFF);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			sw_cfg_wr(&s, PCI_CMD_OFF, 2, cmd & ~PCI_CMD_INTX_OFF);
			intx_reads(&s);
			(void)sw_bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			intx_reads(&s);
			break;
		case 2:
			record_mark(rec, "sweep: MSI-X enabled without vectors, a request, disabled");
			msix_ctrl(&s, MSIX_ENABLE, 0);
			if (sw_requests(&s, 1, cause) < 0)
				return -1;
			intx_reads(&s);
			msix_ctrl(&s, 0, MSIX_ENABLE);
			intx_reads(&s);
			(void)sw_bar_rd(&s, s.c->isr.bar, s.c->isr.off, 1);
			break;
		default:
			record_mark(rec, "sweep: two requests, ISR not read until after");
			if (sw_requests(&s, 2, cause) < 0)
				return -1;
			intx_reads(&s);
			sw_read_all(&s, s.c->isr.bar, s.c->isr.off, 2, 0x3);
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

	if (sw_begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	perm = sw_rnd(&s, 24);
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
		if (sw_rnd(&s, 5) == 0)
			st |= sw_rnd(&s, 2) ? VIRTIO_STATUS_FAILED : VIRTIO_STATUS_NEEDS_RESET;
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1, st);
		sw_read_fields(&s);
		if (order[i] == VIRTIO_STATUS_FEATURES_OK || sw_rnd(&s, 3) == 0) {
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
			sw_read_fields(&s);
		}
	}
	/* bits taken away again, one at a time, then a reset and a proper bring-up */
	for (unsigned i = 0; i < 2; i++) {
		st &= (uint8_t)~order[sw_rnd(&s, 4)];
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1, st);
		sw_read_fields(&s);
	}
	guest_reset(s.g);
	sw_read_fields(&s);
	if (guest_negotiate(s.g, 0, cause) < 0 || guest_setup_queues(s.g, cause) < 0)
		return -1;
	guest_driver_ok(s.g);
	return sw_requests(&s, 1, cause);
}

/* ---- queues: selects past the device's queues, sizes, queue reset with and without RING_RESET ---- */

int sweep_sc_queues(struct record *rec, char **cause)
{
	struct sw s;
	uint16_t nq, max;
	uint64_t offered, want;
	bool ring_reset;

	if (sw_begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	offered = guest_device_features(s.g);
	if (offered == 0) {
		guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
		offered = guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
		offered |= guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4) << 32;
	}
	ring_reset = sw_rnd(&s, 2) != 0;
	want = ring_reset ? offered : offered & ~(1ull << VIRTIO_F_RING_RESET);
	record_mark(rec, "sweep: RING_RESET %s", ring_reset ? "asked for (when offered)" : "not negotiated");
	if (guest_negotiate(s.g, want, cause) < 0)
		return -1;
	nq = (uint16_t)guest_common_read(s.g, VIRTIO_PCI_COMMON_NUMQ, 2);
	{
		const uint64_t sel[] = { nq, nq + 1u, 1023, 1024, 0x8000, 0xffff, sw_rnd(&s, 0x10000) };

		for (size_t i = 0; i < sizeof sel / sizeof sel[0]; i++) {
			record_mark(rec, "sweep: queue_select %" PRIu64, sel[i]);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, sel[i]);
			sw_read_fields(&s);
			for (unsigned k = 0; k < 3; k++) {
				uint64_t v = sw_any_value(&s);

				sw_bar_wr(&s, s.c->common.bar, s.c->common.off + 0x18 + 2 * (uint32_t)sw_rnd(&s, 18), 2, v);
			}
			sw_read_fields(&s);
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
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2, sw_fit(sw_rnd(&s, 2) ? 1u << sw_rnd(&s, 12) : sw_any_value(&s), 2));
		(void)guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
	}
	guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SIZE, 2, max);
	if (guest_setup_queues(s.g, cause) < 0)
		return -1;
	guest_driver_ok(s.g);
	if (sw_requests(&s, 1, cause) < 0)
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t q = (uint16_t)sw_rnd(&s, nq);
		uint64_t v = sw_rnd(&s, 3) ? 1 : sw_any_value(&s);

		record_mark(rec, "sweep: queue_reset of queue %u with %" PRIu64, q, v);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_RESET, 2, sw_fit(v, 2));
		sw_read_fields(&s);
		/* set it up again if the reset took effect */
		if (guest_common_read(s.g, VIRTIO_PCI_COMMON_Q_ENABLE, 2) == 0 &&
		    guest_setup_queue(s.g, q, 0, 0, 0, 0, cause) < 0)
			return -1;
		sw_read_fields(&s);
	}
	guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	return 0;
}
