/* test_virtq.c -- split ring mechanics: direct and indirect chains, wrap-around, EVENT_IDX, NO_INTERRUPT */
#include <string.h>

#include <criterion/criterion.h>

#include "vr/trace.h"
#include "vr/virtq.h"
#include "testdev.h"

#define F(b) (1ull << (b))

static void roundtrip(struct harness *h, unsigned q, bool indirect, uint32_t n)
{
	uint8_t out[300], in[300];
	for (uint32_t i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 7 + q);
	int head = harness_echo(h, q, out, n, n, indirect);
	struct guest_used u;
	cr_assert_eq(guest_poll(h->g, q, &u), 1);
	cr_assert_eq(u.head, head);
	cr_assert_eq(u.len, n);
	cr_assert_eq(guest_read_in(h->g, q, u.head, 0, in, n), 0);
	cr_assert_arr_eq(in, out, n);
	cr_assert_eq(guest_poll(h->g, q, &u), 0);
}

Test(virtq, direct_and_indirect)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		roundtrip(&h, 0, false, 100);
		roundtrip(&h, 1, true, 300);
		cr_assert_eq(harness_count(&h, VR_EV_TXN, "echo"), 2);
		cr_assert_eq(harness_count(&h, VR_EV_DMA, "echo0.used.ring[0]"), 1);
		cr_assert_eq(harness_count(&h, VR_EV_DMA, "echo1.used.idx"), 1);
		cr_assert_eq(harness_count(&h, VR_EV_DMA, "echo0.buffer"), 1);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
		harness_fini(&h);
	}
}

Test(virtq, dma_order_is_data_elem_idx_irq)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, F(VIRTIO_F_VERSION_1), 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	harness_clear(&h);
	uint8_t b[8] = "abcdefg";
	harness_echo(&h, 0, b, 8, 8, false);
	const char *want[] = { "echo0.buffer", "echo0.used.ring[0]", "echo0.used.idx", "msix" };
	unsigned k = 0;
	for (unsigned i = 0; i < h.nev && k < 4; i++)
		if ((h.ev[i].kind == VR_EV_DMA || h.ev[i].kind == VR_EV_IRQ) && strcmp(h.ev[i].name, want[k]) == 0)
			k++;
	cr_assert_eq(k, 4);
	const struct rec_ev *irq = harness_last(&h, VR_EV_IRQ);
	cr_assert_eq(irq->a, 1);
	harness_fini(&h);
}

Test(virtq, mixed_chain_multi_buffers)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	uint8_t a[10], b[20];
	memset(a, 0xaa, sizeof a);
	memset(b, 0xbb, sizeof b);
	struct guest_buf out[2] = { { 0, 10, a }, { 0, 20, b } };
	struct guest_buf in[3] = { { 0, 5, NULL }, { 0, 5, NULL }, { 0, 30, NULL } };
	char *cause = NULL;
	int head = guest_add(h.g, 0, out, 2, in, 3, 0, &cause);
	cr_assert_geq(head, 0);
	guest_kick(h.g, 0);
	struct guest_used u;
	cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	cr_assert_eq(u.len, 30);
	uint8_t got[30];
	cr_assert_eq(guest_read_in(h.g, 0, u.head, 0, got, 30), 0);
	cr_assert_arr_eq(got, a, 10);
	cr_assert_arr_eq(got + 10, b, 20);
	cr_assert_eq(harness_count(&h, VR_EV_DMA, "echo0.buffer"), 3);
	harness_fini(&h);
}

/* Drive 65536 + 5 requests so every free-running index crosses 65535 -> 0. */
Test(virtq, wrap_around)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 8);
	harness_up(&h, GUEST_IRQ_MSIX);
	h.mask = 0;
	h.bus.mask = 1u << VR_EV_IRQ;		/* keep the run cheap: only the guest's irq sink */
	h.bus.sinks[0].mask = 0;
	uint8_t b[4];
	for (uint32_t i = 0; i < 65541; i++) {
		b[0] = (uint8_t)i;
		b[1] = (uint8_t)(i >> 8);
		b[2] = b[3] = 0;
		harness_echo(&h, 0, b, 4, 4, (i & 1) != 0);
		struct guest_used u;
		cr_assert_eq(guest_poll(h.g, 0, &u), 1, "request %u", i);
		uint8_t in[4];
		guest_read_in(h.g, 0, u.head, 0, in, 4);
		cr_assert_arr_eq(in, b, 4);
	}
	cr_assert_eq(guest_avail_idx(h.g, 0), (uint16_t)65541);
	cr_assert_eq(testdev_requests(h.d), 65541);
	/* every completion interrupted (the guest re-arms used_event each time) */
	cr_assert_eq(guest_irq_count(h.g, 1), 65541);
	harness_fini(&h);
}

/* avail idx moving by exactly the queue size, across the wrap, is legal. */
Test(virtq, full_batch_across_wrap)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 1, 8);
	harness_up(&h, GUEST_IRQ_MSIX);
	h.bus.sinks[0].mask = 0;
	h.bus.mask = 1u << VR_EV_IRQ;
	uint8_t b[4] = { 1, 2, 3, 4 };
	for (uint32_t i = 0; i < 65532; i++) {
		harness_echo(&h, 0, b, 4, 4, false);
		struct guest_used u;
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	}
	/* 8 chains at once: avail idx goes 65532 -> 4 */
	for (unsigned i = 0; i < 8; i++) {
		struct guest_buf o = { 0, 4, b }, in = { 0, 4, NULL };
		cr_assert_geq(guest_add(h.g, 0, &o, 1, &in, 1, GUEST_ADD_INDIRECT, NULL), 0);
	}
	h.bus.sinks[0].mask = EVBUS_ALL;
	h.bus.mask = EVBUS_ALL;
	guest_notify(h.g, 0);
	struct guest_used u;
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	cr_assert_eq(guest_avail_idx(h.g, 0), 4);
	cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
	cr_assert_eq(vpci_status(h.d), 0x0f);
	harness_fini(&h);
}

Test(virtq, event_idx_suppresses_interrupts)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		uint8_t b[4] = { 0 };
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_irq_count(h.g, 1), 1);
		/* driver disables callbacks: used_event stays behind, no interrupts */
		guest_disable_cb(h.g, 0);
		struct guest_used u;
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
		/* used_event = 0 (Linux's value): need_event(0, 2, 1) is false */
		harness_echo(&h, 0, b, 4, 4, false);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_irq_count(h.g, 1), 1);
		while (guest_poll(h.g, 0, &u) == 1)
			;
		guest_enable_cb(h.g, 0);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_irq_count(h.g, 1), 2);
		harness_fini(&h);
	}
}

Test(virtq, event_idx_suppresses_kicks)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	uint8_t b[4] = { 0 };
	struct guest_buf o = { 0, 4, b }, in = { 0, 4, NULL };
	/* first chain: avail_event is 0, old 0 -> new 1: kick */
	cr_assert_geq(guest_add(h.g, 0, &o, 1, &in, 1, 0, NULL), 0);
	cr_assert(guest_kick(h.g, 0));
	/* the device wrote avail_event = 1 when it took the chain */
	cr_assert_eq(harness_count(&h, VR_EV_DMA, "echo0.used.avail_event"), 1);
	/* device asks for a kick only when idx passes avail_event: pretend it wants one at 5 */
	uint8_t ev[2] = { 5, 0 };
	guest_raw_mem(h.g, guest_used_addr(h.g, 0) + 4 + 8 * 64, ev, 2);
	cr_assert_geq(guest_add(h.g, 0, &o, 1, &in, 1, 0, NULL), 0);
	cr_assert_not(guest_kick(h.g, 0));	/* 1 -> 2 does not cross 5 */
	harness_fini(&h);
}

Test(virtq, no_interrupt_flag_without_event_idx)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, F(VIRTIO_F_VERSION_1), 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	uint8_t b[4] = { 0 };
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(guest_irq_count(h.g, 1), 1);
	guest_disable_cb(h.g, 0);
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(guest_irq_count(h.g, 1), 1);
	guest_enable_cb(h.g, 0);
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(guest_irq_count(h.g, 1), 2);
	harness_fini(&h);
}

Test(virtq, intx_and_isr)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_INTX);
	uint8_t b[4] = { 0 };
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(guest_irq_count(h.g, GUEST_INTX), 1);
	const struct rec_ev *e = harness_last(&h, VR_EV_IRQ);
	cr_assert_str_eq(e->name, "intx");
	cr_assert_eq(e->b, 1);
	cr_assert_eq(guest_isr_read(h.g), 1);
	e = harness_last(&h, VR_EV_IRQ);
	cr_assert_eq(e->b, 0);		/* read lowered the line */
	cr_assert_eq(guest_isr_read(h.g), 0);
	harness_fini(&h);
}

Test(virtq, qemu_accepts_non_power_of_two)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	char *cause = NULL;
	cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
	cr_assert_eq(guest_find_caps(h.g, &cause), 0);
	cr_assert_eq(guest_negotiate(h.g, 0, &cause), 0);
	cr_assert_eq(guest_setup_queue(h.g, 0, 100, 0, 0, 0, &cause), 0);
	guest_driver_ok(h.g);
	cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-size-bad"), 1);
	for (unsigned i = 0; i < 250; i++) {
		uint8_t b[4] = { (uint8_t)i, 0, 0, 0 };
		harness_echo(&h, 0, b, 4, 4, false);
		struct guest_used u;
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	}
	cr_assert_eq(vpci_status(h.d), 0x0f);
	harness_fini(&h);
}

/* qemu: signalled_used_valid starts false, so the first completion interrupts whatever used_event says. */
Test(virtq, first_completion_after_enable)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		uint8_t ev[2] = { 5, 0 };
		guest_raw_mem(h.g, guest_avail_addr(h.g, 0) + 4 + 2 * 64, ev, 2);
		uint8_t b[4] = { 0 };
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_irq_count(h.g, 1), l == 0 ? 1 : 0);
		harness_fini(&h);
	}
}

/* A request kicked just before a reset has completed (the device works synchronously). */
Test(virtq, kick_then_reset_completes)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	uint8_t b[4] = { 1, 2, 3, 4 };
	harness_echo(&h, 0, b, 4, 4, false);
	guest_common_write(h.g, 0x14, 1, 0);
	struct guest_used u;
	cr_assert_eq(guest_poll(h.g, 0, &u), 1);
	cr_assert_eq(u.len, 4);
	harness_fini(&h);
}

/* A descriptor's 16 bytes at addr. */
static void put_desc(struct harness *h, uint64_t at, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];

	for (unsigned i = 0; i < 8; i++)
		d[i] = (uint8_t)(addr >> 8 * i);
	for (unsigned i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(len >> 8 * i);
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
	cr_assert_eq(guest_raw_mem(h->g, at, d, 16), 0);
}

/*
 * Two requests, then queue 0 enabled again on other (zeroed) rings with an
 * echo request in avail slot 2. qemu: QEMU's virtio_queue_set_rings keeps
 * the indices, so that request is served into used slot 2 (used idx 3).
 * vbox: a started queue ignores queue_enable and stays on its rings.
 */
Test(virtq, enable_again_on_other_rings_keeps_indices)
{
	static const int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	const uint64_t desc = 0xf00000, avail = 0xf01000, used = 0xf02000, buf = 0xf10000;

	for (int l = 0; l < 2; l++) {
		struct harness h;
		uint8_t b[4] = { 1, 2, 3, 4 }, two[2];
		uint16_t idx = 0, id = 0;
		struct guest_used u;

		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		for (int i = 0; i < 2; i++) {
			harness_echo(&h, 0, b, 4, 4, false);
			cr_assert_eq(guest_poll(h.g, 0, &u), 1);
		}
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x20, 4, desc);
		guest_common_write(h.g, 0x28, 4, avail);
		guest_common_write(h.g, 0x30, 4, used);
		guest_common_write(h.g, 0x1c, 2, 1);
		cr_assert_eq(guest_raw_mem(h.g, buf, b, 4), 0);
		put_desc(&h, desc, buf, 4, VIRTQ_DESC_F_NEXT, 1);
		put_desc(&h, desc + 16, buf + 16, 4, VIRTQ_DESC_F_WRITE, 0);
		/* slots 0 and 1 name a head past the queue: a queue started over meets it */
		two[0] = 0xff;
		two[1] = 0;
		cr_assert_eq(guest_raw_mem(h.g, avail + 4, two, 2), 0);
		cr_assert_eq(guest_raw_mem(h.g, avail + 4 + 2, two, 2), 0);
		two[0] = 0;
		cr_assert_eq(guest_raw_mem(h.g, avail + 4 + 2 * 2, two, 2), 0);
		two[0] = 3;
		cr_assert_eq(guest_raw_mem(h.g, avail + 2, two, 2), 0);
		guest_notify(h.g, 0);
		cr_assert_eq(gmem_read_u16(vpci_gmem(h.d), used + 2, &idx), 0);
		cr_assert_eq(gmem_read_u16(vpci_gmem(h.d), used + 4 + 8 * 2, &id), 0);
		cr_expect_eq(idx, l == 0 ? 3 : 0, "layout %d: used idx %u", l, idx);
		cr_expect_eq(id, 0, "layout %d: used slot 2 names head %u", l, id);
		cr_expect_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0, "layout %d", l);
		harness_fini(&h);
	}
}

/*
 * A started queue follows the device's features (qemu): EVENT_IDX taken
 * away by a feature write (after a status write that drops FEATURES_OK),
 * queue 0 enabled again with its used ring ending at the end of RAM (it
 * fits without the event word), then a feature write with EVENT_IDX maps
 * the rings again with it: the used ring no longer fits, the device breaks
 * (QEMU's virtio_set_features, "Cannot map used"). vbox: the queue keeps
 * the features it was enabled with, nothing happens.
 */
Test(virtq, feature_write_with_event_idx_maps_rings_again)
{
	static const int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	const uint64_t used = (16u << 20) - (4 + 8 * 64), desc = 0xf00000, avail = 0xf01000;

	for (int l = 0; l < 2; l++) {
		struct harness h;
		uint32_t lo;

		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		guest_common_write(h.g, 0x14, 1, 0x03);		/* ACKNOWLEDGE | DRIVER: FEATURES_OK dropped */
		guest_common_write(h.g, 0x00, 4, 0);
		lo = (uint32_t)guest_common_read(h.g, 0x04, 4);
		cr_assert(lo >> VIRTIO_F_EVENT_IDX & 1, "the device offers EVENT_IDX");
		guest_common_write(h.g, 0x08, 4, 0);
		guest_common_write(h.g, 0x0c, 4, lo & ~(1u << VIRTIO_F_EVENT_IDX));
		guest_common_write(h.g, 0x08, 4, 1);
		guest_common_write(h.g, 0x0c, 4, 1);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x20, 4, desc);
		guest_common_write(h.g, 0x28, 4, avail);
		guest_common_write(h.g, 0x30, 4, used);
		guest_common_write(h.g, 0x1c, 2, 1);
		harness_clear(&h);
		cr_expect_eq(vpci_status(h.d) & 0x40, 0, "layout %d: the rings fit without EVENT_IDX", l);
		guest_common_write(h.g, 0x08, 4, 0);
		guest_common_write(h.g, 0x0c, 4, lo);
		cr_expect_eq(vpci_status(h.d) & 0x40, l == 0 ? 0x40 : 0, "layout %d: status 0x%02x", l, vpci_status(h.d));
		cr_expect_eq(harness_count(&h, VR_EV_VIOLATION, "ring-addr-bad"), l == 0 ? 1u : 0u, "layout %d", l);
		harness_fini(&h);
	}
}

/*
 * qemu: a queue_size write reaches the running queue at once (QEMU 7.2's
 * virtio_queue_set_num), its rings still mapped for the old size. Larger:
 * the next pop finds the descriptor table short ("Cannot map descriptor
 * ring", without EVENT_IDX) or writes avail_event past the used ring's cache
 * (QEMU aborts, with it); both break the device here. A feature write with
 * EVENT_IDX maps the rings again for the new size and the queue serves.
 * vbox: the size applies at the next enable only.
 */
Test(virtq, queue_size_written_while_running)
{
	const uint64_t offers[2] = { F(VIRTIO_F_VERSION_1), 0 };	/* without EVENT_IDX, with it */

	for (unsigned k = 0; k < 2; k++) {
		struct harness h;
		uint8_t b[4] = "abc";
		struct guest_used u;

		harness_init(&h, TRACE_LAYOUT_QEMU, offers[k], 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
		harness_clear(&h);
		guest_common_write(h.g, 0x16, 2, 0);
		if (k == 0) {
			/* smaller: runs on (with EVENT_IDX its avail_event would move under the guest) */
			guest_common_write(h.g, 0x18, 2, 32);
			harness_echo(&h, 0, b, 4, 4, false);
			cr_assert_eq(guest_poll(h.g, 0, &u), 1);
			guest_common_write(h.g, 0x18, 2, 64);
			harness_echo(&h, 0, b, 4, 4, false);
			cr_assert_eq(guest_poll(h.g, 0, &u), 1);
			cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
		}
		guest_common_write(h.g, 0x18, 2, 128);		/* larger than mapped */
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_poll(h.g, 0, &u), 0, "case %u", k);
		cr_assert_eq(vpci_status(h.d) & 0x40, 0x40, "case %u: status 0x%02x", k, vpci_status(h.d));
		/* the write (over the maximum, accepted) and the pop */
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-size-bad"), 2, "case %u", k);
		harness_fini(&h);
	}
	{
		struct harness h;
		uint8_t b[4] = "abc";
		struct guest_used u;
		uint32_t lo;

		harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x18, 2, 128);
		guest_common_write(h.g, 0x14, 1, 0x03);		/* FEATURES_OK dropped: features can be written */
		guest_common_write(h.g, 0x08, 4, 0);
		lo = (uint32_t)guest_common_read(h.g, 0x0c, 4);
		cr_assert(lo >> VIRTIO_F_EVENT_IDX & 1);
		guest_common_write(h.g, 0x0c, 4, lo);		/* EVENT_IDX again: mapped for 128 */
		guest_common_write(h.g, 0x14, 1, 0x0b);
		guest_common_write(h.g, 0x14, 1, 0x0f);
		harness_clear(&h);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
		cr_assert_eq(vpci_status(h.d) & 0x40, 0);
		harness_fini(&h);
	}
	{
		struct harness h;
		uint8_t b[4] = "abc";
		struct guest_used u;

		harness_init(&h, TRACE_LAYOUT_VBOX, 0, 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x18, 2, 32);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_poll(h.g, 0, &u), 1);
		cr_assert_eq(vpci_status(h.d) & 0x40, 0);
		harness_fini(&h);
	}
}

/*
 * qemu: every change of the memory map (a BAR in or out, bus mastering on
 * or off) maps every queue's rings again for its size then
 * (virtio_memory_listener_commit), and so does a queue_enable on the same
 * rings (virtio_queue_set_rings): a size written to the running queue is
 * mapped from there on.
 */
Test(virtq, memory_commit_maps_rings_again)
{
	for (unsigned k = 0; k < 2; k++) {
		struct harness h;
		uint8_t b[4] = "abc";
		struct guest_used u;
		uint16_t cmd;

		harness_init(&h, TRACE_LAYOUT_QEMU, F(VIRTIO_F_VERSION_1), 1, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x18, 2, 128);		/* runs with 128 on rings mapped for 64 */
		if (k == 0) {
			cmd = (uint16_t)vpci_cfg_read(h.d, 0x04, 2);
			vpci_cfg_write(h.d, 0x04, 2, cmd & ~4u);	/* bus mastering off: DRIVER_OK goes too */
			vpci_cfg_write(h.d, 0x04, 2, cmd);
			guest_common_write(h.g, 0x14, 1, 0x0f);
		} else {
			guest_common_write(h.g, 0x1c, 2, 1);	/* enabled again, the same rings */
		}
		harness_clear(&h);
		harness_echo(&h, 0, b, 4, 4, false);
		cr_assert_eq(guest_poll(h.g, 0, &u), 1, "case %u", k);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0, "case %u", k);
		cr_assert_eq(vpci_status(h.d) & 0x40, 0, "case %u", k);
		harness_fini(&h);
	}
}
