/* test_vpci.c -- the virtio-pci transport through the model guest driver: registers, negotiation, reset */
#include <string.h>

#include <criterion/criterion.h>

#include "vr/trace.h"
#include "vr/virtq.h"
#include "testdev.h"

#define F(b) (1ull << (b))

static const int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };

Test(vpci, init_both_profiles)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 256);
		harness_up(&h, GUEST_IRQ_MSIX);
		cr_assert_eq(vpci_status(h.d), 0x0f);
		cr_assert_eq(guest_num_queues(h.g), 2);
		cr_assert_eq(guest_queue_size(h.g, 0), 256);
		cr_assert_eq(vpci_driver_features(h.d), F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_INDIRECT_DESC) |
		    F(VIRTIO_F_EVENT_IDX));
		const struct guest_caps *c = guest_caps(h.g);
		cr_assert_eq(c->common.bar, l == 0 ? 4 : 2);
		cr_assert_eq(c->msix_bar, l == 0 ? 1 : 0);
		cr_assert_eq(c->notify_mult, l == 0 ? 4u : 2u);
		if (l == 0) {
			cr_assert_eq(c->isr.off, 0x1000);
			cr_assert_eq(c->device.off, 0x2000);
			cr_assert_eq(c->notify.off, 0x3000);
		}
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
		harness_fini(&h);
	}
}

Test(vpci, common_registers)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 3, 128);
	harness_up(&h, GUEST_IRQ_MSIX);
	struct guest *g = h.g;
	guest_common_write(g, 0x00, 4, 1);
	cr_assert_eq(guest_common_read(g, 0x00, 4), 1);
	cr_assert_eq(guest_common_read(g, 0x04, 4), 1);		/* VERSION_1 is bit 32 */
	guest_common_write(g, 0x00, 4, 0);
	cr_assert_eq(guest_common_read(g, 0x04, 4), F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX));
	guest_common_write(g, 0x00, 4, 2);
	cr_assert_eq(guest_common_read(g, 0x04, 4), 0);
	guest_common_write(g, 0x08, 4, 1);
	cr_assert_eq(guest_common_read(g, 0x0c, 4), 1);
	cr_assert_eq(guest_common_read(g, 0x10, 2), 0);		/* msix_config */
	cr_assert_eq(guest_common_read(g, 0x12, 2), 3);		/* num_queues */
	cr_assert_eq(guest_common_read(g, 0x14, 1), 0x0f);
	guest_common_write(g, 0x16, 2, 2);
	cr_assert_eq(guest_common_read(g, 0x16, 2), 2);
	cr_assert_eq(guest_common_read(g, 0x18, 2), 128);
	cr_assert_eq(guest_common_read(g, 0x1a, 2), 3);		/* vector 1 + q */
	cr_assert_eq(guest_common_read(g, 0x1c, 2), 1);
	cr_assert_eq(guest_common_read(g, 0x1e, 2), 2);
	uint64_t desc = guest_desc_addr(g, 2);
	cr_assert_eq(guest_common_read(g, 0x20, 4), (uint32_t)desc);
	cr_assert_eq(guest_common_read(g, 0x24, 4), desc >> 32);
	cr_assert_eq(guest_common_read(g, 0x28, 8), guest_avail_addr(g, 2));
	cr_assert_eq(guest_common_read(g, 0x30, 8), guest_used_addr(g, 2));
	/* a vector beyond the table reads back NO_VECTOR */
	guest_common_write(g, 0x1a, 2, 40);
	cr_assert_eq(guest_common_read(g, 0x1a, 2), 0xffff);
	guest_common_write(g, 0x10, 2, 0xffff);
	cr_assert_eq(guest_common_read(g, 0x10, 2), 0xffff);
	/* names of what was touched */
	char name[64];
	vpci_reg_name(h.d, false, 4, 0x20, 4, name, sizeof name);
	cr_assert_str_eq(name, "common.queue_desc[31:0]");
	vpci_reg_name(h.d, false, 4, 0x24, 4, name, sizeof name);
	cr_assert_str_eq(name, "common.queue_desc[63:32]");
	vpci_reg_name(h.d, false, 1, 0x38, 4, name, sizeof name);
	cr_assert_str_eq(name, "msix.table[3].data");
	vpci_reg_name(h.d, false, 4, 0x1000, 1, name, sizeof name);
	cr_assert_str_eq(name, "isr");
	vpci_reg_name(h.d, false, 4, 0x3004, 2, name, sizeof name);
	cr_assert_str_eq(name, "notify[1]");
	vpci_reg_name(h.d, false, 4, 0x2004, 4, name, sizeof name);
	cr_assert_str_eq(name, "devcfg+0x4");
	vpci_reg_name(h.d, true, 0, 0x04, 2, name, sizeof name);
	cr_assert_str_eq(name, "cfg.command");
	vpci_reg_name(h.d, true, 0, 0x20, 4, name, sizeof name);
	cr_assert_str_eq(name, "cfg.bar4");
	harness_fini(&h);
}

Test(vpci, access_events_named)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	cr_assert_gt(harness_count(&h, VR_EV_ACCESS, "common.queue_desc[31:0]"), 0);
	cr_assert_gt(harness_count(&h, VR_EV_ACCESS, "common.device_status"), 0);
	cr_assert_gt(harness_count(&h, VR_EV_ACCESS, "msix.table[1].data"), 0);
	cr_assert_gt(harness_count(&h, VR_EV_ACCESS, "cfg.bar4"), 0);
	cr_assert_gt(harness_count(&h, VR_EV_ACCESS, "cfg.msix.control"), 0);
	harness_fini(&h);
}

Test(vpci, negotiation_subset)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 1, 64);
	char *cause = NULL;
	cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
	cr_assert_eq(guest_find_caps(h.g, &cause), 0);
	cr_assert_eq(guest_negotiate(h.g, F(VIRTIO_F_VERSION_1), &cause), 0);
	cr_assert_eq(vpci_driver_features(h.d), F(VIRTIO_F_VERSION_1));
	cr_assert_eq(vpci_status(h.d), 0x0b);
	harness_fini(&h);
}

Test(vpci, reset_keeps_driver_feature_on_qemu_only)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		guest_common_write(h.g, 0x14, 1, 0);
		cr_assert_eq(vpci_status(h.d), 0);
		cr_assert_eq(vpci_driver_features(h.d), 0);
		guest_common_write(h.g, 0x08, 4, 0);
		uint64_t gf = guest_common_read(h.g, 0x0c, 4);
		if (l == 0)
			cr_assert_eq(gf, F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX));
		else
			cr_assert_eq(gf, 0);
		/* queues are off, vectors gone, size back to the maximum */
		guest_common_write(h.g, 0x16, 2, 0);
		cr_assert_eq(guest_common_read(h.g, 0x1c, 2), 0);
		cr_assert_eq(guest_common_read(h.g, 0x1a, 2), 0xffff);
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 64);
		cr_assert_eq(guest_common_read(h.g, 0x10, 2), 0xffff);
		cr_assert_gt(harness_count(&h, VR_EV_NOTE, "device reset"), 0);
		/* and the device comes up again */
		harness_up(&h, GUEST_IRQ_MSIX);
		cr_assert_eq(vpci_status(h.d), 0x0f);
		harness_fini(&h);
	}
}

Test(vpci, devcfg_and_generation)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	cr_assert_eq(guest_devcfg_read(h.g, 0, 4), 0x44332211);
	cr_assert_eq(guest_devcfg_read(h.g, 4, 2), 0x6655);
	cr_assert_eq(guest_devcfg_read(h.g, 0, 8), 0x8877665544332211ull);
	uint8_t gen = (uint8_t)guest_common_read(h.g, 0x15, 1);
	uint64_t before = guest_irq_count(h.g, 0);
	guest_devcfg_write(h.g, 7, 1, 0x99);
	cr_assert_eq(guest_devcfg_read(h.g, 4, 4), 0x99776655);
	cr_assert_eq((uint8_t)guest_common_read(h.g, 0x15, 1), (uint8_t)(gen + 1));
	cr_assert_eq(guest_irq_count(h.g, 0), before + 1);
	/* host input event: config change */
	struct vdev_input in = { TRACE_INPUT_EVENT, 1, NULL, 0 };
	char *cause = NULL;
	cr_assert_eq(vpci_input(h.d, &in, &cause), 0);
	cr_assert_eq(guest_irq_count(h.g, 0), before + 2);
	harness_fini(&h);
}

Test(vpci, pci_cfg_window)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		uint8_t cap = guest_caps(h.g)->pci_cfg_cap;
		cr_assert_neq(cap, 0);
		vpci_cfg_write(h.d, cap + 4u, 1, l == 0 ? 4 : 2);
		vpci_cfg_write(h.d, cap + 8u, 4, 0x12);		/* num_queues */
		vpci_cfg_write(h.d, cap + 12u, 4, 2);
		cr_assert_eq(vpci_cfg_read(h.d, cap + 16u, 2), 2);
		vpci_cfg_write(h.d, cap + 8u, 4, 0x14);		/* device_status */
		vpci_cfg_write(h.d, cap + 12u, 4, 1);
		cr_assert_eq(vpci_cfg_read(h.d, cap + 16u, 1), 0x0f);
		harness_fini(&h);
	}
}

/* Past its dword a config access leaves QEMU's 0xcfc data port: all ones, writes dropped (vbox: refused). */
Test(vpci, cfg_access_across_a_dword)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		uint32_t id = (uint32_t)vpci_cfg_read(h.d, 0, 4);
		cr_assert_eq(vpci_cfg_read(h.d, 1, 4), l == 0 ? 0xff000000u | id >> 8 : 0xffffffffu);
		cr_assert_eq(vpci_cfg_read(h.d, 2, 4), l == 0 ? 0xffff0000u | id >> 16 : 0xffffffffu);
		cr_assert_eq(vpci_cfg_read(h.d, 3, 2), l == 0 ? 0xff00u | id >> 24 : 0xffffu);
		/* 0xa4..0xab: spare bytes past the capabilities, writable under qemu */
		vpci_cfg_write(h.d, 0xa5, 4, 0x44332211);
		vpci_cfg_write(h.d, 0xa7, 2, 0x5566);
		cr_assert_eq(vpci_cfg_read(h.d, 0xa4, 4), l == 0 ? 0x66221100u : 0);
		cr_assert_eq(vpci_cfg_read(h.d, 0xa8, 4), 0);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 5);
		harness_fini(&h);
	}
}

/* COMMAND.MEM clear: qemu unmaps the BARs (reads 0, writes dropped), the window still works; vbox ignores it. */
Test(vpci, mem_decoding_off)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		const struct guest_caps *c = guest_caps(h.g);
		uint16_t cmd = (uint16_t)vpci_cfg_read(h.d, 0x04, 2);
		vpci_bar_write(h.d, c->common.bar, c->common.off + 0x16, 2, 1);
		vpci_cfg_write(h.d, 0x04, 2, cmd & ~0x0002u);
		cr_assert_eq(vpci_bar_read(h.d, c->common.bar, c->common.off + 0x14, 1), l == 0 ? 0 : 0x0f);
		cr_assert_eq(vpci_bar_read(h.d, c->common.bar, c->common.off + 0x12, 2), l == 0 ? 0 : 2);
		vpci_bar_write(h.d, c->common.bar, c->common.off + 0x16, 2, 7);	/* queue_select, 1 before */
		vpci_cfg_write(h.d, c->pci_cfg_cap + 4u, 1, c->common.bar);
		vpci_cfg_write(h.d, c->pci_cfg_cap + 8u, 4, c->common.off + 0x12);
		vpci_cfg_write(h.d, c->pci_cfg_cap + 12u, 4, 2);
		cr_assert_eq(vpci_cfg_read(h.d, c->pci_cfg_cap + 16u, 2), 2);
		vpci_cfg_write(h.d, 0x04, 2, cmd);
		cr_assert_eq(vpci_bar_read(h.d, c->common.bar, c->common.off + 0x16, 2), l == 0 ? 1 : 7);
		cr_assert_eq(vpci_status(h.d), 0x0f);
		harness_fini(&h);
	}
}

/* qemu: a 4-byte write at queue_size lands in QEMU's 16-bit field (seen in sweep-pcicfg, seed 4161). */
Test(vpci, queue_size_wide_write)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 2, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	const struct guest_caps *c = guest_caps(h.g);
	vpci_bar_write(h.d, c->common.bar, c->common.off + 0x16, 2, 0);
	vpci_bar_write(h.d, c->common.bar, c->common.off + 0x18, 4, 0x100c0);
	cr_assert_eq(vpci_bar_read(h.d, c->common.bar, c->common.off + 0x18, 2), 0xc0);
	harness_fini(&h);
}

Test(vpci, layout_constants_match_trace)
{
	cr_assert_eq(VDEV_LAYOUT_QEMU, TRACE_LAYOUT_QEMU);
	cr_assert_eq(VDEV_LAYOUT_VBOX, TRACE_LAYOUT_VBOX);
}

/* qemu: QEMU's virtio_notify_config returns early before DRIVER_OK; vbox counts every change. */
Test(vpci, generation_before_driver_ok)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 1, 64);
		char *cause = NULL;
		cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
		cr_assert_eq(guest_find_caps(h.g, &cause), 0);
		cr_assert_eq(guest_negotiate(h.g, 0, &cause), 0);
		uint8_t gen = (uint8_t)guest_common_read(h.g, 0x15, 1);
		guest_devcfg_write(h.g, 7, 1, 0x42);
		cr_assert_eq((uint8_t)guest_common_read(h.g, 0x15, 1), (uint8_t)(gen + (l == 0 ? 0 : 1)));
		cr_assert_eq(guest_irq_total(h.g), 0);
		harness_fini(&h);
	}
}

Test(vpci, model_services)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 2, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	struct vdev_ctx *ctx = testdev_ctx();
	cr_assert_eq(vdev_num_queues(ctx), 2);
	cr_assert(vdev_has_feature(ctx, VIRTIO_F_EVENT_IDX));
	cr_assert_eq(vdev_layout(ctx), VDEV_LAYOUT_VBOX);
	cr_assert_null(vdev_queue(ctx, 2));
	vdev_queue_attach(ctx, 1, "renamed");
	cr_assert_str_eq(virtq_name(vdev_queue(ctx, 1)), "renamed");
	uint8_t b[4] = { 1 };
	harness_echo(&h, 1, b, 4, 4, false);
	cr_assert_eq(harness_count(&h, VR_EV_DMA, "renamed.used.idx"), 1);
	/* a stopped queue hands out nothing until restarted */
	virtq_enable(vdev_queue(ctx, 0), false);
	harness_echo(&h, 0, b, 4, 4, false);
	struct guest_used u;
	cr_assert_eq(guest_poll(h.g, 0, &u), 0);
	virtq_enable(vdev_queue(ctx, 0), true);
	guest_notify(h.g, 0);
	cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	/* DMA outside RAM is refused, inside it is an event */
	cr_assert_eq(vdev_dma_write(ctx, 0x7fffffff0ull, b, 4, "x"), -1);
	cr_assert_eq(vdev_dma_write(ctx, 0x1000, b, 4, "probe"), 0);
	cr_assert_eq(harness_count(&h, VR_EV_DMA, "probe"), 1);
	uint8_t r[4];
	cr_assert_eq(vdev_dma_read(ctx, 0x1000, r, 4), 0);
	cr_assert_arr_eq(r, b, 4);
	uint64_t cfgirq = guest_irq_count(h.g, 0);
	vdev_reset_all(ctx);
	cr_assert_eq(vpci_status(h.d), 0x4f);
	cr_assert_eq(guest_irq_count(h.g, 0), cfgirq + 1);
	harness_fini(&h);
}

/*
 * QEMU's virtio_notify on a broken device: virtio_irq sets ISR bit 0 before
 * virtio_notify_vector gives up, so a completion after the break shows in
 * the ISR, with no interrupt (INTx or MSI-X). vbox stops the queue instead.
 */
Test(vpci, isr_on_broken_device)
{
	for (int l = 0; l < 2; l++) {
		for (int intx = 0; intx < 2; intx++) {
			struct harness h;
			uint8_t b[4] = { 0 };
			struct guest_buf o = { 0, 4, b };

			testdev_mode = TESTDEV_HOLD;
			harness_init(&h, layouts[l], 0, 2, 64);
			harness_up(&h, intx ? GUEST_IRQ_INTX : GUEST_IRQ_MSIX);
			cr_assert_geq(guest_add(h.g, 0, &o, 1, NULL, 0, 0, NULL), 0);
			guest_notify(h.g, 0);
			uint16_t idx = guest_avail_idx(h.g, 0);
			guest_raw_avail_ring(h.g, 0, idx, 200);		/* a head past the queue */
			guest_raw_avail_idx(h.g, 0, (uint16_t)(idx + 1));
			guest_notify(h.g, 0);
			cr_assert_eq(vpci_status(h.d) & 0x40, 0x40, "NEEDS_RESET");
			(void)guest_isr_read(h.g);			/* the break's configuration interrupt */
			unsigned irqs = harness_count(&h, VR_EV_IRQ, NULL);
			testdev_release(h.d, 0);
			cr_assert_eq(harness_count(&h, VR_EV_IRQ, NULL), irqs, "no interrupt goes out");
			cr_assert_eq(guest_isr_read(h.g), layouts[l] == TRACE_LAYOUT_QEMU ? 1 : 0);
			cr_assert_eq(guest_isr_read(h.g), 0);
			harness_fini(&h);
		}
	}
}

/*
 * QEMU's modern interface hides NOTIFY_ON_EMPTY from device_feature, but
 * masks driver_feature with host_features, which hold it: a modern driver
 * that acks it has it, and a queue the device empties interrupts even with
 * NO_INTERRUPT set (QEMU 7.2, sweep-random), and a checkpoint of that state
 * loads. vbox refuses FEATURES_OK for a bit it did not offer.
 */
Test(vpci, modern_notify_on_empty)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		char *cause = NULL;
		uint8_t b[4] = { 1, 2, 3, 4 };
		struct guest_buf o = { 0, 4, b }, in = { 0, 4, NULL };
		struct buf blob;

		testdev_mode = TESTDEV_ECHO;
		harness_init(&h, layouts[l], 0, 1, 64);
		cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
		cr_assert_eq(guest_find_caps(h.g, &cause), 0);
		if (layouts[l] == TRACE_LAYOUT_VBOX) {
			/* not offered: FEATURES_OK does not stick */
			cr_assert_lt(guest_negotiate(h.g, F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_NOTIFY_ON_EMPTY), &cause), 0);
			cr_assert_eq(vpci_driver_features(h.d) >> VIRTIO_F_NOTIFY_ON_EMPTY & 1, 0);
			free(cause);
			harness_fini(&h);
			continue;
		}
		cr_assert_eq(guest_negotiate(h.g, F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_NOTIFY_ON_EMPTY), &cause), 0);
		cr_assert_eq(vpci_driver_features(h.d) >> VIRTIO_F_NOTIFY_ON_EMPTY & 1, 1);
		cr_assert_eq(guest_setup_queues(h.g, &cause), 0, "%s", cause ? cause : "?");
		guest_driver_ok(h.g);
		guest_disable_cb(h.g, 0);
		harness_clear(&h);
		cr_assert_geq(guest_add(h.g, 0, &o, 1, &in, 1, 0, &cause), 0);
		guest_notify(h.g, 0);
		cr_assert_eq(harness_count(&h, VR_EV_IRQ, NULL), 1, "the queue emptied: an interrupt despite NO_INTERRUPT");
		buf_init(&blob);
		vpci_save(h.d, &blob);
		cr_assert_eq(vpci_load(h.d, blob.data, blob.len, &cause), 0, "%s", cause ? cause : "?");
		cr_assert_eq(vpci_driver_features(h.d) >> VIRTIO_F_NOTIFY_ON_EMPTY & 1, 1);
		buf_release(&blob);
		harness_fini(&h);
	}
}
