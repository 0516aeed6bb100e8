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
		cr_assert_eq(vpci_cfg_read(d, 0x04, 2), 0x0547);
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
