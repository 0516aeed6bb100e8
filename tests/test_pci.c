/* test_pci.c -- PCI config space: header, BAR sizing under both profiles, capability list, write masks */
#include <string.h>

#include <criterion/criterion.h>

#include "vr/trace.h"
#include "testdev.h"

Test(pci, header)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		struct vpci *d = h.d;
		cr_assert_eq(vpci_cfg_read(d, 0x00, 2), 0x1af4);
		cr_assert_eq(vpci_cfg_read(d, 0x02, 2), 0x1040 + TESTDEV_ID);
		cr_assert_eq(vpci_cfg_read(d, 0x00, 4), (0x1040u + TESTDEV_ID) << 16 | 0x1af4);
		cr_assert_geq(vpci_cfg_read(d, 0x08, 1), 1);
		cr_assert_eq(vpci_cfg_read(d, 0x0b, 1), 0xff);
		cr_assert_eq(vpci_cfg_read(d, 0x06, 2) & 0x10, 0x10);
		cr_assert_eq(vpci_cfg_read(d, 0x2c, 2), 0x1af4);
		cr_assert_eq(vpci_cfg_read(d, 0x3d, 1), 1);
		/* read-only fields ignore writes; command keeps only its writable bits */
		vpci_cfg_write(d, 0x00, 4, 0);
		cr_assert_eq(vpci_cfg_read(d, 0x00, 2), 0x1af4);
		vpci_cfg_write(d, 0x04, 2, 0xffff);
		/* QEMU's pci_init_wmask leaves PARITY read-only */
		cr_assert_eq(vpci_cfg_read(d, 0x04, 2), layouts[l] == TRACE_LAYOUT_QEMU ? 0x0507 : 0x0547);
		vpci_cfg_write(d, 0x3c, 1, 11);
		cr_assert_eq(vpci_cfg_read(d, 0x3c, 1), 11);
		harness_fini(&h);
	}
}

struct barexp {
	uint32_t lo;		/* after writing all-ones */
};

static void sizing(int layout, const uint32_t want[6], uint32_t hi5)
{
	struct harness h;
	harness_init(&h, layout, 0, 2, 64);
	for (unsigned b = 0; b < 6; b++) {
		vpci_cfg_write(h.d, 0x10 + 4 * b, 4, 0xffffffffu);
		uint32_t got = (uint32_t)vpci_cfg_read(h.d, 0x10 + 4 * b, 4);
		uint32_t exp = b == 5 ? hi5 : want[b];
		cr_assert_eq(got, exp, "layout %d bar%u: 0x%08x, expected 0x%08x", layout, b, got, exp);
	}
	/* assign and read back */
	for (unsigned b = 0; b < 6; b++)
		vpci_cfg_write(h.d, 0x10 + 4 * b, 4, 0);
	vpci_cfg_write(h.d, 0x10 + 4 * (layout == TRACE_LAYOUT_QEMU ? 4 : 2), 4, 0xfebf4000u);
	if (layout == TRACE_LAYOUT_QEMU) {
		vpci_cfg_write(h.d, 0x24, 4, 0x1);
		cr_assert_eq(vpci_cfg_read(h.d, 0x20, 4), 0xfebf400cu);
		cr_assert_eq(vpci_cfg_read(h.d, 0x24, 4), 1);
	} else {
		cr_assert_eq(vpci_cfg_read(h.d, 0x18, 4), 0xfebf4000u);
	}
	harness_fini(&h);
}

Test(pci, bar_sizing_qemu)
{
	/* BAR1: 4 KiB 32-bit MSI-X; BAR4/5: 16 KiB 64-bit prefetchable */
	const uint32_t want[6] = { 0, 0xfffff000u, 0, 0, 0xffffc00cu, 0 };
	sizing(TRACE_LAYOUT_QEMU, want, 0xffffffffu);
}

Test(pci, bar_sizing_vbox)
{
	/* BAR0: 4 KiB MSI-X; BAR2: 16 KiB 32-bit */
	const uint32_t want[6] = { 0xfffff000u, 0, 0xffffc000u, 0, 0, 0 };
	sizing(TRACE_LAYOUT_VBOX, want, 0);
}

static void walk(struct vpci *d, uint8_t *order, unsigned *n)
{
	uint8_t p = (uint8_t)vpci_cfg_read(d, 0x34, 1);
	*n = 0;
	while (p != 0 && *n < 16) {
		order[(*n)++] = p;
		p = (uint8_t)vpci_cfg_read(d, p + 1u, 1);
	}
}

Test(pci, capability_lists)
{
	struct harness h;
	uint8_t order[16];
	unsigned n;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 2, 64);
	walk(h.d, order, &n);
	const uint8_t q[] = { 0x98, 0x84, 0x70, 0x60, 0x50, 0x40 };
	cr_assert_eq(n, 6);
	cr_assert_arr_eq(order, q, 6);
	cr_assert_eq(vpci_cfg_read(h.d, 0x98, 1), 0x11);
	cr_assert_eq(vpci_cfg_read(h.d, 0x9a, 2), 2);		/* 3 vectors */
	cr_assert_eq(vpci_cfg_read(h.d, 0x9c, 4), 1);		/* table in BAR1 at 0 */
	cr_assert_eq(vpci_cfg_read(h.d, 0xa0, 4), 0x801);	/* PBA at 0x800 */
	cr_assert_eq(vpci_cfg_read(h.d, 0x73, 1), 2);		/* notify */
	cr_assert_eq(vpci_cfg_read(h.d, 0x80, 4), 4);		/* multiplier */
	harness_fini(&h);
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 2, 64);
	walk(h.d, order, &n);
	const uint8_t v[] = { 0x40, 0x50, 0x64, 0x74, 0x84, 0x98 };
	cr_assert_eq(n, 6);
	cr_assert_arr_eq(order, v, 6);
	cr_assert_eq(vpci_cfg_read(h.d, 0x60, 4), 2);		/* multiplier */
	cr_assert_eq(vpci_cfg_read(h.d, 0x44, 1), 2);		/* common in BAR2 */
	cr_assert_eq(vpci_cfg_read(h.d, 0x9c, 4), 0);		/* table in BAR0 */
	harness_fini(&h);
}

Test(pci, guest_finds_what_is_there)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_VBOX, 0, 3, 64);
	char *cause = NULL;
	cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
	cr_assert_eq(vpci_cfg_read(h.d, 0x04, 2) & 6, 6);
	cr_assert_eq(guest_find_caps(h.g, &cause), 0);
	const struct guest_caps *c = guest_caps(h.g);
	cr_assert_eq(c->common.bar, 2);
	cr_assert_eq(c->notify.off, 0x1000);
	cr_assert_eq(c->notify.len, 6);
	cr_assert_eq(c->isr.off, 0x2000);
	cr_assert_eq(c->device.len, 8);
	cr_assert_eq(c->msix_size, 4);
	cr_assert_eq(c->pci_cfg_cap, 0x84);
	harness_fini(&h);
}

/* Identity fields of struct vpci_setup override the model's and the profile's defaults; 0 keeps them. */
Test(pci, identity_overrides)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct vpci_setup s;
		memset(&s, 0, sizeof s);
		s.ops = &testdev_ops;
		s.layout = layouts[l];
		s.nqueues = 3;
		s.pci_class = 0x01;
		s.pci_subclass = 0x80;
		s.pci_progif = 0x05;
		s.pci_revision = 0x07;
		s.subsys_vendor = 0x1234;
		s.subsys_id = 0x5678;
		s.msix_vectors = 9;
		char *cause = NULL;
		struct vpci *d = vpci_new(&s, NULL, &cause);
		cr_assert_not_null(d, "%s", cause ? cause : "?");
		cr_assert_eq(vpci_cfg_read(d, 0x08, 4), 0x01800507u);
		cr_assert_eq(vpci_cfg_read(d, 0x2c, 4), 0x56781234u);
		cr_assert_eq(vpci_cfg_read(d, 0x9a, 2), 8);		/* 9 vectors */
		vpci_free(d);
		/* defaults */
		memset(&s, 0, sizeof s);
		s.ops = &testdev_ops;
		s.layout = layouts[l];
		s.nqueues = 3;
		d = vpci_new(&s, NULL, &cause);
		cr_assert_not_null(d);
		cr_assert_eq(vpci_cfg_read(d, 0x08, 1), 1);
		cr_assert_eq(vpci_cfg_read(d, 0x2e, 2), layouts[l] == TRACE_LAYOUT_QEMU ? 0x1100 : 0x40 + TESTDEV_ID);
		cr_assert_eq(vpci_cfg_read(d, 0x9a, 2), 3);		/* queues + 1 */
		vpci_free(d);
	}
	struct vpci_setup bad;
	memset(&bad, 0, sizeof bad);
	bad.ops = &testdev_ops;
	bad.msix_vectors = 4096;
	char *cause = NULL;
	cr_assert_null(vpci_new(&bad, NULL, &cause));
	cr_assert_not_null(strstr(cause, "msi-x vectors"), "%s", cause);
	free(cause);
}

/* Up to 1024 queues: the MSI-X BAR grows past 4 KiB as QEMU's msix_init_exclusive_bar does. */
Test(pci, many_queues)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 1024, 64);
	/* the model guest sets up queue 0 only; queue 1023 gets rings in the RAM at 4 GiB */
	struct guest_config gc;
	memset(&gc, 0, sizeof gc);
	gc.ram = h.ram;
	gc.nram = 2;
	gc.irq = GUEST_IRQ_MSIX;
	gc.nqueues = 1;
	guest_free(h.g);
	h.g = guest_new(&h.port, &gc);
	h.bus.nsinks = 1;
	h.bus.mask = h.bus.sinks[0].mask;
	guest_watch_bus(h.g, &h.bus);
	char *why = NULL;
	cr_assert_eq(guest_init(h.g, &why), 0, "%s", why ? why : "?");
	cr_assert_eq(guest_setup_queue(h.g, 1023, 64, 1ull << 32, (1ull << 32) + 0x1000, (1ull << 32) + 0x2000, &why), 0,
	    "%s", why ? why : "?");
	cr_assert_eq(guest_common_read(h.g, 0x12, 2), 1024);
	cr_assert_eq(vpci_cfg_read(h.d, 0x9a, 2) & 0x7ff, 1024);	/* 1025 vectors */
	cr_assert_eq(vpci_cfg_read(h.d, 0xa0, 4), 1025u * 16 | 1);	/* PBA right after the table */
	vpci_cfg_write(h.d, 0x14, 4, 0xffffffffu);
	cr_assert_eq(vpci_cfg_read(h.d, 0x14, 4), ~(32768u - 1));	/* 32 KiB BAR1 */
	/* the last queue works */
	uint8_t b[4] = { 9, 8, 7, 6 };
	harness_echo(&h, 1023, b, 4, 4, false);
	struct guest_used u;
	cr_assert_eq(guest_poll(h.g, 1023, &u), 1);
	cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
	cr_assert_eq(harness_last(&h, VR_EV_IRQ)->a, 1024);		/* the guest gives queue q vector q + 1 */
	harness_fini(&h);
	struct vpci_setup s;
	memset(&s, 0, sizeof s);
	s.ops = &testdev_ops;
	s.nqueues = 1025;
	char *cause = NULL;
	cr_assert_null(vpci_new(&s, NULL, &cause));
	free(cause);
}
