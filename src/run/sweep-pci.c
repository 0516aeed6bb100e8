/* sweep-pci.c -- sweep scenarios of the PCI side: bus mastering, config space, PCI_CFG, decoding, legacy BAR, requests */
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

/* ---- bus mastering cleared in COMMAND while DRIVER_OK ---- */

int sweep_sc_busmaster(struct record *rec, char **cause)
{
	struct sw s;
	struct sw pick = { .rec = rec };
	unsigned stage = 2 + (unsigned)sw_rnd(&pick, 2);
	uint16_t cmd;

	if (sw_begin(&s, rec, sw_any_irq(&pick), stage, cause) < 0)
		return -1;
	cmd = (uint16_t)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: bus mastering off while DRIVER_OK");
	sw_cfg_wr(&s, PCI_CMD_OFF, sw_rnd(&s, 2) ? 2 : 1, (uint16_t)(cmd & ~PCI_CMD_MASTER));
	sw_read_fields(&s);
	(void)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: bus mastering on again");
	sw_cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
	sw_read_fields(&s);
	if (sw_rnd(&s, 2)) {
		record_mark(rec, "sweep: DRIVER_OK written again");
		guest_common_write(s.g, VIRTIO_PCI_COMMON_STATUS, 1,
		    guest_common_read(s.g, VIRTIO_PCI_COMMON_STATUS, 1) | VIRTIO_STATUS_DRIVER_OK);
		sw_read_fields(&s);
	} else {
		record_mark(rec, "sweep: reset and bring-up");
		guest_reset(s.g);
		if (guest_negotiate(s.g, 0, cause) < 0 || guest_setup_queues(s.g, cause) < 0)
			return -1;
		guest_driver_ok(s.g);
	}
	return sw_requests(&s, 1, cause);
}

/* ---- PCI config space: every offset and size, across dwords too; writes to every byte but the BARs ---- */

static void cfg_read_all(struct sw *s)
{
	for (uint32_t off = 0; off < 256; off += 4)
		(void)sw_cfg_rd(s, off, 4);
}

int sweep_sc_cfgspace(struct record *rec, char **cause)
{
	struct sw s;

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	/*
	 * Config cycles go through 0xcf8/0xcfc: an access past 0xcff leaves the
	 * data port (the port selects the dword, then in/out at 0xcfc + off % 4);
	 * 8 bytes do not exist.
	 */
	for (uint32_t off = 0; off < 256; off++)
		for (unsigned size = 1; size <= 4; size *= 2)
			(void)sw_cfg_rd(&s, off, size);
	for (unsigned i = 0; i < 32; i++) {
		uint32_t off = (uint32_t)sw_rnd(&s, 256);
		unsigned size = 1u << sw_rnd(&s, 3);
		uint64_t v = sw_any_value(&s);

		/* BAR addresses and decoding stay as set up: the harness reaches the BARs through them */
		if (off >= 0x10 && off < 0x28)
			continue;
		if (off < PCI_CMD_OFF + 2 && off + size > PCI_CMD_OFF)
			v |= (uint64_t)(PCI_CMD_MEM | PCI_CMD_MASTER) << (8 * (PCI_CMD_OFF - (off & ~1u)));
		record_mark(rec, "sweep: config 0x%x, %u bytes, 0x%" PRIx64, off, size, v);
		sw_cfg_wr(&s, off, size, v);
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

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	cap = s.c->pci_cfg_cap;
	if (cap == 0)
		return cause_set(cause, "the device has no PCI_CFG capability");
	for (unsigned i = 0; i < 20; i++) {
		static const uint8_t lens[] = { 1, 2, 4, 1, 2, 4, 0, 3, 8 };
		uint8_t bar = sw_rnd(&s, 4) ? s.c->common.bar : (uint8_t)sw_rnd(&s, 8);
		uint32_t region = (uint32_t)sw_rnd(&s, 4) * 0x1000;
		uint32_t off = region + (uint32_t)sw_rnd(&s, 0x40);
		uint32_t len = lens[sw_rnd(&s, sizeof lens)];
		unsigned size = 1u << sw_rnd(&s, 3);
		uint32_t at = cap + 16u + (uint32_t)sw_rnd(&s, 4);	/* past the data dword too */

		record_mark(rec, "sweep: pci_cfg window bar %u +0x%x len %u; data %u bytes at 0x%x", bar, off, len, size, at);
		sw_cfg_wr(&s, cap + 4u, 1, bar);
		sw_cfg_wr(&s, cap + 8u, 4, off);
		sw_cfg_wr(&s, cap + 12u, 4, len);
		if (sw_rnd(&s, 3) == 0)
			sw_cfg_wr(&s, at, size, sw_any_value(&s));
		else
			(void)sw_cfg_rd(&s, at, size);
		for (uint32_t k = cap; k < cap + 20u; k += 4)
			(void)sw_cfg_rd(&s, k, 4);
		if (i % 5 == 4)
			sw_read_fields(&s);
	}
	return 0;
}

/* ---- COMMAND's MEM bit cleared: the BARs unmapped, the PCI_CFG window still reaching the regions ---- */

static const struct guest_region *any_region(struct sw *s)
{
	const struct guest_region *all[] = { &s->c->common, &s->c->isr, &s->c->device, &s->c->notify };

	return all[sw_rnd(s, 4)];
}

/* Writes QEMU drops while the BAR is unmapped; none of them would break the device if it took them. */
static void decode_writes(struct sw *s)
{
	const struct guest_region *cm = &s->c->common;
	uint16_t nq = guest_num_queues(s->g);

	sw_bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_DFSELECT, 4, sw_rnd(s, 3));
	sw_bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_GFSELECT, 4, sw_rnd(s, 3));
	sw_bar_wr(s, cm->bar, cm->off + VIRTIO_PCI_COMMON_Q_SELECT, 2, sw_rnd(s, nq ? nq : 1));
	sw_bar_wr(s, s->c->notify.bar, s->c->notify.off, 2, 0);
	if (s->c->msix_cap != 0)
		(void)sw_bar_rd(s, s->c->msix_bar, s->c->msix_table + 16 * sw_rnd(s, s->c->msix_size), 4);
}

int sweep_sc_decode(struct record *rec, char **cause)
{
	struct sw s;
	uint16_t cmd;
	uint8_t cap;

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	cap = s.c->pci_cfg_cap;
	cmd = (uint16_t)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
	for (unsigned round = 0; round < 3; round++) {
		uint16_t off = (uint16_t)(cmd & ~(PCI_CMD_MEM | (sw_rnd(&s, 2) ? PCI_CMD_IO : 0)));

		record_mark(rec, "sweep: memory decoding off (COMMAND 0x%x)", off);
		sw_cfg_wr(&s, PCI_CMD_OFF, sw_rnd(&s, 2) ? 2 : 1, off);
		(void)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
		for (unsigned i = 0; i < 12; i++) {
			const struct guest_region *r = any_region(&s);

			unsigned size = sw_any_size(&s);

			(void)sw_bar_rd(&s, r->bar, r->off + sw_rnd(&s, 0x20), size);
		}
		sw_read_fields(&s);
		decode_writes(&s);
		if (cap != 0) {
			/* the window reaches the regions themselves: status, then num_queues */
			sw_cfg_wr(&s, cap + 4u, 1, s.c->common.bar);
			sw_cfg_wr(&s, cap + 8u, 4, s.c->common.off + VIRTIO_PCI_COMMON_STATUS);
			sw_cfg_wr(&s, cap + 12u, 4, 1);
			(void)sw_cfg_rd(&s, cap + 16u, 1);
			sw_cfg_wr(&s, cap + 8u, 4, s.c->common.off + VIRTIO_PCI_COMMON_NUMQ);
			sw_cfg_wr(&s, cap + 12u, 4, 2);
			(void)sw_cfg_rd(&s, cap + 16u, 2);
		}
		record_mark(rec, "sweep: memory decoding on");
		sw_cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
		sw_read_fields(&s);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	}
	if (s.stage >= 2 && sw_requests(&s, 1, cause) < 0)
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

	if (sw_begin_any(&s, rec, cause) < 0)
		return -1;
	nq = guest_num_queues(s.g);
	/* x86 port I/O has 1, 2 and 4 bytes: every offset at each, unaligned and across registers */
	sw_read_all(&s, SW_LEGACY_BAR, 0, SW_LEGACY_LEN, 0x7);
	for (unsigned i = 0; i < 4; i++) {
		/* queue_num and queue_sel, not beyond: notify and status follow */
		uint32_t off = VIRTIO_PCI_LEGACY_QUEUE_SEL - 2 + (uint32_t)sw_rnd(&s, 3);

		record_mark(rec, "sweep: legacy queue_sel around 0x%x", off);
		uint64_t v = sw_rnd(&s, 2) ? sw_rnd(&s, nq + 2u) : sw_any_value(&s);

		sw_bar_wr(&s, SW_LEGACY_BAR, off, 1u << sw_rnd(&s, 2), v);
		sw_read_all(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 8, 0x7);
	}
	sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 0);
	/*
	 * Before the queues run: one handed over as a page frame number, read
	 * back through both interfaces (QEMU's legacy path leaves the modern
	 * queue_enable and address registers as they were), now and then
	 * taken away with pfn 0, which resets the whole device.
	 */
	if (s.stage < 2 && sw_rnd(&s, 2)) {
		uint32_t qi = (uint32_t)sw_rnd(&s, nq + 1u);
		uint64_t pfn = (record_header(rec)->ram[0].base + 0x10000 + 0x4000 * sw_rnd(&s, 4)) >>
		    VIRTIO_LEGACY_PFN_SHIFT;

		record_mark(rec, "sweep: legacy queue_pfn 0x%" PRIx64 " for queue %u", pfn, qi);
		sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, qi);
		sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, pfn);
		sw_read_all(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 8, 0x4);
		sw_read_fields(&s);
		/*
		 * Now and then the modern queue_enable on it: QEMU maps the rings
		 * its registers name, none written (0: nothing mapped), the legacy
		 * layout's, or others in RAM.
		 */
		if (sw_rnd(&s, 2)) {
			uint64_t n = sw_bar_rd(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_NUM, 2), at = sw_rnd(&s, 3);
			uint64_t desc = (pfn << VIRTIO_LEGACY_PFN_SHIFT) + (at == 2 ? 0x20000 : 0), avail = desc + 16 * n;
			uint64_t a[3] = { desc, avail, (avail + 6 + 2 * n + VIRTIO_LEGACY_ALIGN - 1) & ~(VIRTIO_LEGACY_ALIGN - 1ull) };

			record_mark(rec, "sweep: modern queue_enable for queue %u after its legacy queue_pfn, %s", qi,
			    at == 0 ? "no addresses" : at == 1 ? "the legacy rings' addresses" : "other addresses");
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_SELECT, 2, qi);
			for (unsigned k = 0; k < 3 && at > 0; k++)
				guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_DESCLO + 8 * k, 4, a[k]);
			guest_common_write(s.g, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
			sw_read_all(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 8, 0x4);
			sw_read_fields(&s);
		}
		if (sw_rnd(&s, 3) == 0) {
			record_mark(rec, "sweep: legacy queue_pfn 0 for queue %u", qi);
			sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, 0);
			sw_read_fields(&s);
		}
		sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 0);
	}
	/*
	 * Now and then the modern driver_feature with legacy-only bits
	 * (NOTIFY_ON_EMPTY, ANY_LAYOUT, BAD_FEATURE, net's GSO: QEMU's
	 * host_features hold them though device_feature hides them), read back
	 * through the legacy guest_features.
	 */
	if (sw_rnd(&s, 2)) {
		uint64_t host = sw_bar_rd(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_HOST_FEATURES, 4);
		uint64_t v = (host & record_rand(rec)) | (sw_rnd(&s, 2) ? 1ull << VIRTIO_F_BAD_FEATURE : 0);

		record_mark(rec, "sweep: modern driver_feature[0] 0x%" PRIx64, v);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_GF, 4, v);
		sw_read_all(&s, SW_LEGACY_BAR, 0, 8, 0x4);
		sw_read_fields(&s);
	}
	/*
	 * guest_features at the status the stage left (FEATURES_OK from stage 1
	 * on, where QEMU's virtio_set_features refuses it), then both interfaces'
	 * feature registers read back.
	 */
	for (unsigned i = 0, n = (unsigned)sw_rnd(&s, 3); i < n; i++) {
		uint64_t host = sw_bar_rd(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_HOST_FEATURES, 4);
		uint64_t v = sw_rnd(&s, 2) ? host & record_rand(rec) : sw_any_value(&s);

		record_mark(rec, "sweep: legacy guest_features 0x%" PRIx64, sw_fit(v, 4));
		sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4, v);
		sw_read_all(&s, SW_LEGACY_BAR, 0, 8, 0x4);
		guest_common_write(s.g, VIRTIO_PCI_COMMON_GFSELECT, 4, sw_rnd(&s, 2));
		sw_read_fields(&s);
	}
	cmd = (uint16_t)sw_cfg_rd(&s, PCI_CMD_OFF, 2);
	record_mark(rec, "sweep: I/O decoding off");
	sw_cfg_wr(&s, PCI_CMD_OFF, sw_rnd(&s, 2) ? 2 : 1, cmd & ~PCI_CMD_IO);
	sw_read_all(&s, SW_LEGACY_BAR, 0, 0x18, 0x7);
	sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 1);
	sw_bar_wr(&s, SW_LEGACY_BAR, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, 2, 0);
	record_mark(rec, "sweep: I/O decoding on");
	sw_cfg_wr(&s, PCI_CMD_OFF, 2, cmd);
	sw_read_all(&s, SW_LEGACY_BAR, 0, 0x18, 0x4);
	sw_read_fields(&s);
	if (s.stage >= 2 && sw_requests(&s, 1, cause) < 0)
		return -1;
	return 0;
}

/* ---- requests through the model guest: feature subsets, queue sizes, interrupt modes, resets ---- */

int sweep_sc_random(struct record *rec, char **cause)
{
	struct sw s;
	unsigned rounds;

	if (sw_begin(&s, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	rounds = 1 + (unsigned)sw_rnd(&s, 3);
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
		if (sw_rnd(&s, 4) == 0)
			want |= 1ull << VIRTIO_F_NOTIFY_ON_EMPTY;
		record_mark(rec, "sweep: round %u, features 0x%" PRIx64, r, want);
		if (guest_negotiate(s.g, want, cause) < 0)
			return -1;
		if (nq == 0)
			nq = (uint16_t)guest_common_read(s.g, VIRTIO_PCI_COMMON_NUMQ, 2);
		for (unsigned q = 0; q < nq; q++) {
			uint16_t size = (uint16_t)(1u << (3 + sw_rnd(&s, 6)));

			if (guest_setup_queue(s.g, q, size, 0, 0, 0, cause) < 0)
				return -1;
		}
		guest_driver_ok(s.g);
		s.io_ready = false;
		/* interrupts suppressed by the driver now and then (NO_INTERRUPT, or used_event with EVENT_IDX) */
		if (sw_rnd(&s, 3) == 0)
			for (unsigned q = 0; q < nq; q++)
				guest_disable_cb(s.g, q);
		if (sw_requests(&s, 1 + (unsigned)sw_rnd(&s, 6), cause) < 0)
			return -1;
	}
	return 0;
}
