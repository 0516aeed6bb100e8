/* pci-bars.c -- follow the BAR registers of a QEMU virtio-pci function through config writes */
#include <string.h>

#include "vr/pci-bars.h"

void pci_bars_init(struct pci_bars *b, bool legacy, bool modern, unsigned vectors)
{
	memset(b, 0, sizeof *b);
	b->legacy = legacy;
	b->modern = modern;
	b->vectors = vectors;
}

void pci_bars_cfg_write(struct pci_bars *b, uint32_t off, unsigned size, uint64_t value)
{
	/* Byte by byte: a guest may write a BAR in halves or bytes. */
	for (unsigned i = 0; i < size; i++) {
		uint32_t at = off + i;
		unsigned sh;

		if (at < 0x10 || at >= 0x28)
			continue;
		at -= 0x10;
		sh = 8 * (at & 3);
		b->reg[at / 4] = (b->reg[at / 4] & ~(0xffu << sh)) | (uint32_t)((value >> (8 * i)) & 0xff) << sh;
		b->sizing[at / 4] = b->reg[at / 4] == UINT32_MAX;
	}
}

void pci_bars_cfg_read(struct pci_bars *b, uint32_t off, unsigned size, uint64_t value)
{
	unsigned bar = (off - 0x10) / 4;
	uint32_t v, mask, n;

	if (off < 0x10 || off >= 0x28 || (off & 3) != 0 || size != 4 || !b->sizing[bar] || bar == 5)
		return;
	mask = (value & 1) ? ~3u : ~0xfu;	/* I/O: bits 0-1 are flags; memory: 0-3 */
	v = (uint32_t)value & mask;
	n = ~v + 1;
	if (v != 0 && (n & (n - 1)) == 0 && n >= 4)
		b->learned[bar] = n;
}

bool pci_bars_exists(const struct pci_bars *b, unsigned bar)
{
	return (bar == 0 && b->legacy) || bar == PCI_BARS_MSIX || (bar == PCI_BARS_MODERN && b->modern);
}

uint64_t pci_bars_size(const struct pci_bars *b, unsigned bar)
{
	if (bar < 6 && b->learned[bar] != 0)
		return b->learned[bar];
	if (bar == 0)
		return PCI_BARS_LEGACY_SIZE;
	if (bar == PCI_BARS_MSIX) {
		/* Table and pending bits in one BAR of at least 4 KiB (QEMU's exclusive MSI-X BAR). */
		uint64_t need = (uint64_t)b->vectors * 16 + (b->vectors + 63) / 64 * 8, size = 0x1000;
		while (size < need)
			size *= 2;
		return size;
	}
	return PCI_BARS_MODERN_SIZE;
}

/*
 * QEMU's pci_bar_address: the register's address bits below the BAR's size
 * do not count (its write mask clears them), and a BAR that wraps, sits at
 * 0, ends at the top of 32 bits (a 32-bit BAR being sized) or past the
 * 52-bit physical address space (a 64-bit one) is not mapped. The legacy
 * I/O BAR 0 keeps its register's bits unless a sizing read showed its size
 * (a power of two of at least the registers and device config, which the
 * default 0x80 would misplace for a 32- or 64-byte BAR at a 0x20/0x40
 * boundary).
 */
uint64_t pci_bars_addr(const struct pci_bars *b, unsigned bar)
{
	uint64_t a, last, size;

	if (!pci_bars_exists(b, bar))
		return 0;
	if (bar == 0 && b->learned[0] == 0)
		return (b->reg[0] | 3u) == UINT32_MAX ? 0 : b->reg[0] & 0xfffcu;
	size = pci_bars_size(b, bar);
	a = b->reg[bar];
	if (bar == PCI_BARS_MODERN)
		a |= (uint64_t)b->reg[5] << 32;
	a &= ~(size - 1);
	last = a + size - 1;
	if (last <= a || a == 0 || (bar != PCI_BARS_MODERN && last >= UINT32_MAX) || last >= (1ull << 52) - 1)
		return 0;
	return a;
}

int pci_bars_find(const struct pci_bars *b, uint64_t addr, uint64_t *left)
{
	for (unsigned bar = 1; bar < 6; bar++) {
		uint64_t a = pci_bars_addr(b, bar);
		if (a != 0 && addr >= a && addr - a < pci_bars_size(b, bar)) {
			*left = pci_bars_size(b, bar) - (addr - a);
			return (int)bar;
		}
	}
	return -1;
}
