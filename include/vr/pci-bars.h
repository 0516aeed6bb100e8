/* pci-bars.h -- where a guest placed the BARs of a QEMU virtio-pci function, followed through its config writes */
#ifndef VR_PCI_BARS_H
#define VR_PCI_BARS_H
#include <stdbool.h>
#include <stdint.h>

/*
 * QEMU's virtio-pci layout (trace layout "qemu"): the legacy I/O BAR 0
 * (transitional and legacy-only functions), the MSI-X table and pending
 * bits in BAR 1 (at least 4 KiB), the virtio structures in the 64-bit BAR
 * 4/5 (16 KiB; not on a legacy-only function, disable-modern=on). Import maps absolute addresses to BAR offsets with it and
 * export the other way round.
 */

#define PCI_BARS_LEGACY_SIZE	0x80u		/* virtio header + device config, rounded up */
#define PCI_BARS_MSIX		1
#define PCI_BARS_MODERN		4
#define PCI_BARS_MODERN_SIZE	0x4000u

struct pci_bars {
	bool legacy;		/* BAR 0 exists */
	bool modern;		/* BAR 4/5 exists */
	unsigned vectors;	/* MSI-X table size (sizes BAR 1) */
	uint32_t reg[6];	/* the BAR registers as the guest wrote them */
	bool sizing[6];		/* the last write to the register was all ones */
	uint32_t learned[6];	/* the size a sizing read showed (0: the default above) */
};

void pci_bars_init(struct pci_bars *b, bool legacy, bool modern, unsigned vectors);
/* A config-space write of size bytes at off (only BAR registers matter). */
void pci_bars_cfg_write(struct pci_bars *b, uint32_t off, unsigned size, uint64_t value);
/*
 * A config-space read QEMU answered (value as read): a BAR register read
 * whole after the guest wrote all ones to it shows that BAR's size, which
 * then holds over the default (the legacy BAR 0 is a power of two of at
 * least the registers and device config, 32 to 128 bytes by device).
 */
void pci_bars_cfg_read(struct pci_bars *b, uint32_t off, unsigned size, uint64_t value);
bool pci_bars_exists(const struct pci_bars *b, unsigned bar);
uint64_t pci_bars_size(const struct pci_bars *b, unsigned bar);
/* Where BAR bar decodes; 0 if the guest has not placed it (never written, or being sized). */
uint64_t pci_bars_addr(const struct pci_bars *b, unsigned bar);
/* The memory BAR (1..5) holding addr, with the bytes left in it; -1 if none. */
int pci_bars_find(const struct pci_bars *b, uint64_t addr, uint64_t *left);

#endif
