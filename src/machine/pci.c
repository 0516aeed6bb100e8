/* pci.c -- one PCI function: type-0 config space with write masks, BAR sizing, the capability builder */
#include <string.h>

#include "vr/le.h"
#include "machine.h"

/*
 * Capabilities are placed and linked by one builder (libvfio-user's
 * vfu_pci_add_capability is the model): a caller names an offset or lets
 * the builder take the next free dword, and the builder writes the id and
 * the next pointer in the order the profile asks for. QEMU's
 * pci_add_capability prepends (the newest capability is the head of the
 * list); the VirtualBox layout appends in ascending order.
 */

#define PCI_CAP_FIRST	0x40

void pci_w16(struct pci_func *p, unsigned off, uint16_t v)
{
	le16_store(p->cfg + off, v);
}

void pci_w32(struct pci_func *p, unsigned off, uint32_t v)
{
	le32_store(p->cfg + off, v);
}

void pci_init(struct pci_func *p, const struct pci_ident *id, bool newest_first)
{
	memset(p, 0, sizeof *p);
	p->newest_first = newest_first;
	p->cap_free = PCI_CAP_FIRST;
	pci_w16(p, PCI_CFG_VENDOR, id->vendor);
	pci_w16(p, PCI_CFG_DEVICE, id->device);
	p->cfg[PCI_CFG_REVISION] = id->revision;
	p->cfg[PCI_CFG_PROGIF] = id->progif;
	p->cfg[PCI_CFG_SUBCLASS] = id->subclass;
	p->cfg[PCI_CFG_CLASS] = id->class;
	pci_w16(p, PCI_CFG_SUBSYS_VENDOR, id->subsys_vendor);
	pci_w16(p, PCI_CFG_SUBSYS_ID, id->subsys_id);
	p->cfg[PCI_CFG_INT_PIN] = 1;			/* INTA# */
	/* command: IO MEM MASTER PARITY SERR INTX_DISABLE */
	le16_store(p->wmask + PCI_CFG_COMMAND, 0x0547);
	p->wmask[0x0c] = 0xff;				/* cache line size */
	p->wmask[0x0d] = 0xff;				/* latency timer */
	p->wmask[PCI_CFG_INT_LINE] = 0xff;
}

void pci_set_bar(struct pci_func *p, unsigned bar, uint64_t size, unsigned flags)
{
	bool io = flags & PCI_BAR_IO;
	uint32_t type = io ? PCI_BAR_IO : flags & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
	pci_w32(p, PCI_CFG_BAR0 + 4 * bar, type);
	uint32_t mask = (uint32_t)~(size - 1) & (io ? 0xfffffffcu : 0xfffffff0u);
	le32_store(p->wmask + PCI_CFG_BAR0 + 4 * bar, mask);
	p->bar_size[bar] = size;
	p->bar_io[bar] = io;
	if (!io && (flags & PCI_BAR_MEM64))
		le32_store(p->wmask + PCI_CFG_BAR0 + 4 * (bar + 1), 0xffffffffu);
}

uint8_t pci_add_cap(struct pci_func *p, uint8_t at, uint8_t id, uint8_t len)
{
	if (at == 0)
		at = p->cap_free;
	if (at < PCI_CAP_FIRST || at % 4 != 0 || (unsigned)at + len > sizeof p->cfg)
		return 0;
	p->cfg[at] = id;
	memset(p->wmask + at, 0, len);		/* a capability is read-only unless its owner says otherwise */
	if (!(le16_load(p->cfg + PCI_CFG_STATUS) & PCI_STATUS_CAP_LIST)) {
		pci_w16(p, PCI_CFG_STATUS, le16_load(p->cfg + PCI_CFG_STATUS) | PCI_STATUS_CAP_LIST);
		p->cfg[PCI_CFG_CAP_PTR] = at;
		p->cfg[at + 1] = 0;
	} else if (p->newest_first) {
		p->cfg[at + 1] = p->cfg[PCI_CFG_CAP_PTR];
		p->cfg[PCI_CFG_CAP_PTR] = at;
	} else {
		p->cfg[p->cap_last + 1] = at;
		p->cfg[at + 1] = 0;
	}
	p->cap_last = at;
	uint32_t end = ((unsigned)at + len + 3u) & ~3u;
	if (end > p->cap_free)
		p->cap_free = end > 0xfc ? 0xfc : (uint8_t)end;
	return at;
}

bool pci_cfg_access_ok(uint32_t off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < 256 && off + size <= 256 && (off & (size - 1)) == 0;
}

uint64_t pci_cfg_load(const struct pci_func *p, uint32_t off, unsigned size)
{
	return leN_load(p->cfg + off, size);
}

void pci_cfg_store(struct pci_func *p, uint32_t off, unsigned size, uint64_t value)
{
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i)), m = p->wmask[off + i];
		p->cfg[off + i] = (uint8_t)((p->cfg[off + i] & ~m) | (b & m));
	}
}

bool pci_overlaps(uint32_t off, unsigned size, uint32_t start, unsigned len)
{
	return off < start + len && start < off + size;
}

uint64_t pci_size_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}
