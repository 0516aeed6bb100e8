/* test_msix.c -- MSI-X table, masking, pending delivery, NO_VECTOR; INTx line and disable bit */
#include <string.h>

#include <criterion/criterion.h>

#include "vr/trace.h"
#include "testdev.h"

static void kick_one(struct harness *h, unsigned q)
{
	uint8_t b[4] = { 1, 2, 3, 4 };
	harness_echo(h, q, b, 4, 4, false);
	struct guest_used u;
	cr_assert_eq(guest_poll(h->g, q, &u), 1);
}

Test(msix, vector_mask_and_pending)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 1ull << 32, 2, 64);	/* no EVENT_IDX: every completion interrupts */
		harness_up(&h, GUEST_IRQ_MSIX);
		const struct guest_caps *c = guest_caps(h.g);
		kick_one(&h, 0);
		cr_assert_eq(guest_irq_count(h.g, 1), 1);
		const struct rec_ev *e = harness_last(&h, VR_EV_IRQ);
		cr_assert_eq(e->a, 1);
		guest_msix_mask(h.g, 1, true);
		kick_one(&h, 0);
		kick_one(&h, 0);
		cr_assert_eq(guest_irq_count(h.g, 1), 1);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), 2);	/* bit 1 pending */
		guest_msix_mask(h.g, 1, false);
		cr_assert_eq(guest_irq_count(h.g, 1), 2);		/* one delivery for the pending bit */
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), 0);
		/* function mask */
		guest_msix_function_mask(h.g, true);
		kick_one(&h, 1);
		cr_assert_eq(guest_irq_count(h.g, 2), 0);
		guest_msix_function_mask(h.g, false);
		cr_assert_eq(guest_irq_count(h.g, 2), 1);
		/* table contents as programmed */
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_table + 16, 4), 0xfee00000u);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_table + 24, 4), 0x4021);
		/* QEMU keeps the whole vector control dword; vbox only the mask bit */
		vpci_bar_write(h.d, c->msix_bar, c->msix_table + 12, 4, 0xfffffffe);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_table + 12, 4),
		    layouts[l] == TRACE_LAYOUT_QEMU ? 0xfffffffeu : 0);
		harness_fini(&h);
	}
}

Test(msix, no_vector_means_no_interrupt)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 1ull << 32, 2, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	guest_common_write(h.g, 0x16, 2, 0);
	guest_common_write(h.g, 0x1a, 2, 0xffff);
	uint64_t before = guest_irq_total(h.g);
	kick_one(&h, 0);
	cr_assert_eq(guest_irq_total(h.g), before);
	harness_fini(&h);
}

Test(msix, intx_disable_bit)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 1ull << 32, 1, 64);
	harness_up(&h, GUEST_IRQ_INTX);
	uint16_t cmd = (uint16_t)vpci_cfg_read(h.d, 0x04, 2);
	vpci_cfg_write(h.d, 0x04, 2, cmd | 0x400);
	kick_one(&h, 0);
	cr_assert_eq(guest_irq_count(h.g, GUEST_INTX), 0);
	vpci_cfg_write(h.d, 0x04, 2, cmd);
	cr_assert_eq(guest_irq_count(h.g, GUEST_INTX), 1);	/* line rises once enabled */
	cr_assert_eq(guest_isr_read(h.g), 1);
	harness_fini(&h);
}

Test(msix, config_interrupt_isr_bits)
{
	/* qemu sets ISR 0x3 for a config change (QEMU's virtio_notify_config); vbox 0x2 */
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	uint8_t want[2] = { 3, 2 };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 1, 64);
		harness_up(&h, GUEST_IRQ_INTX);
		guest_devcfg_write(h.g, 7, 1, 1);
		cr_assert_eq(guest_irq_count(h.g, GUEST_INTX), 1);
		cr_assert_eq(guest_isr_read(h.g), want[l]);
		harness_fini(&h);
	}
}

/* A message whose address lies in guest RAM is a memory write: the data dword lands there. */
Test(msix, message_into_ram)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 1ull << 32, 2, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	const struct guest_caps *c = guest_caps(h.g);
	const uint64_t at = 0x1fffff000ull;	/* end of the RAM region at 4 GiB, away from the guest's rings */
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 16, 4, (uint32_t)at);	/* vector 1 */
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 20, 4, (uint32_t)(at >> 32));
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 24, 4, 0xcafe0001u);
	unsigned first = h.nev;
	uint8_t b[4] = { 1, 2, 3, 4 };
	unsigned irqs = harness_count(&h, VR_EV_IRQ, NULL);
	harness_echo(&h, 0, b, 4, 4, false);
	/* QEMU on x86: outside the APIC's window a message is a memory write, not an interrupt */
	cr_assert_eq(harness_count(&h, VR_EV_IRQ, NULL), irqs);
	uint32_t got = 0;
	cr_assert_eq(gmem_read_u32(vpci_gmem(h.d), at, &got), 0);
	cr_assert_eq(got, 0xcafe0001u);
	/* no DMA event for the message itself (the IRQ event describes it) */
	for (unsigned i = first; i < h.nev; i++)
		cr_assert(!(h.ev[i].kind == VR_EV_DMA && h.ev[i].a == at));
	/* back in the window it interrupts */
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 16, 4, 0xfee00000u);
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 20, 4, 0);
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(harness_last(&h, VR_EV_IRQ)->a, 1);
	harness_fini(&h);

	/* vbox: every message is an interrupt; one outside RAM writes nothing and still interrupts */
	harness_init(&h, TRACE_LAYOUT_VBOX, 1ull << 32, 2, 64);
	harness_up(&h, GUEST_IRQ_MSIX);
	c = guest_caps(h.g);
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 16, 4, (uint32_t)at);
	vpci_bar_write(h.d, c->msix_bar, c->msix_table + 20, 4, 0x100);
	harness_echo(&h, 0, b, 4, 4, false);
	cr_assert_eq(harness_last(&h, VR_EV_IRQ)->a, 1);
	harness_fini(&h);
}

/* QEMU's msix_vector_unuse: a pending vector left without users loses its message; a reset clears every one. */
Test(msix, pending_dropped_when_its_vector_loses_its_users)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		bool qemu = layouts[l] == TRACE_LAYOUT_QEMU;
		struct harness h;
		harness_init(&h, layouts[l], 1ull << 32, 2, 64);
		harness_up(&h, GUEST_IRQ_MSIX);
		const struct guest_caps *c = guest_caps(h.g);
		guest_msix_mask(h.g, 1, true);		/* queue 0's vector */
		kick_one(&h, 0);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), 2);
		/* queue 0 moves to vector 2: vector 1 has no user left */
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x1a, 2, 2);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), qemu ? 0 : 2);
		unsigned before = guest_irq_count(h.g, 1);
		guest_msix_mask(h.g, 1, false);
		cr_assert_eq(guest_irq_count(h.g, 1), before + (qemu ? 0 : 1));
		/* pending again on vector 2, then a reset */
		guest_msix_mask(h.g, 2, true);
		kick_one(&h, 0);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), 4);
		guest_common_write(h.g, 0x14, 1, 0);
		cr_assert_eq(vpci_bar_read(h.d, c->msix_bar, c->msix_pba, 8), qemu ? 0 : 4);
		harness_fini(&h);
	}
}
