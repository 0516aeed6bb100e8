/* msix.c -- MSI-X: capability, vector table, pending bits, masking, delivery as an event and a memory write */
#include <stdlib.h>
#include <string.h>

#include "vr/le.h"
#include "vr/xmalloc.h"
#include "machine.h"

/*
 * After QEMU hw/pci/msix.c: the table sits at offset 0 of its BAR and the
 * PBA at 0x800, or right after the table once it outgrows 2 KiB; the BAR is
 * 4 KiB or the next power of two that holds both (msix_init_exclusive_bar).
 * A message is a memory write of the data dword to the address: when the
 * address lies in declared guest RAM, the device stores it there (no DMA
 * event: the IRQ event describes it), so a guest polling that word sees it.
 */

#define MSIX_PBA_MIN	0x800u

uint32_t msix_bar_size(uint16_t n, uint32_t *pba_off)
{
	uint32_t table = (uint32_t)n * PCI_MSIX_ENTRY_SIZE;
	uint32_t pba = table > MSIX_PBA_MIN ? table : MSIX_PBA_MIN;
	uint32_t end = pba + (((uint32_t)n + 63) / 64) * 8;
	uint32_t size = 0x1000;
	while (size < end)
		size *= 2;
	*pba_off = pba;
	return size;
}

size_t msix_pba_words(const struct msix *x)
{
	return ((size_t)x->n + 63) / 64;
}

void msix_init(struct msix *x, struct pci_func *p, uint8_t cap_at, uint8_t bar, uint16_t n)
{
	msix_free(x);
	x->n = n;
	x->bar = bar;
	x->bar_size = msix_bar_size(n, &x->pba_off);
	x->table = xcalloc(n ? n : 1, PCI_MSIX_ENTRY_SIZE);
	x->pba = xcalloc(msix_pba_words(x) ? msix_pba_words(x) : 1, sizeof *x->pba);
	/* every vector starts masked (PCI spec) */
	for (unsigned v = 0; v < n; v++)
		le32_store(x->table + PCI_MSIX_ENTRY_SIZE * v + 12, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_set_bar(p, bar, x->bar_size, 0);
	x->cap = pci_add_cap(p, cap_at, PCI_CAP_ID_MSIX, 12);
	pci_w16(p, x->cap + 2u, (uint16_t)(n - 1));
	pci_w32(p, x->cap + 4u, 0x0000u | bar);
	pci_w32(p, x->cap + 8u, x->pba_off | bar);
	le16_store(p->wmask + x->cap + 2, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
}

void msix_free(struct msix *x)
{
	free(x->table);
	free(x->pba);
	x->table = NULL;
	x->pba = NULL;
}

static uint16_t ctrl(const struct msix *x, const struct pci_func *p)
{
	return le16_load(p->cfg + x->cap + 2);
}

bool msix_enabled(const struct msix *x, const struct pci_func *p)
{
	return ctrl(x, p) & PCI_MSIX_CTRL_ENABLE;
}

static bool vmasked(const struct msix *x, unsigned v)
{
	return le32_load(x->table + PCI_MSIX_ENTRY_SIZE * v + 12) & PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

#define MSIX_WINDOW		0xfee00000ull
#define MSIX_WINDOW_MASK	0xfffffull

static void deliver(const struct msix *x, const struct msix_out *o, unsigned v, const char *why)
{
	uint64_t addr = le64_load(x->table + PCI_MSIX_ENTRY_SIZE * v);
	uint32_t data = le32_load(x->table + PCI_MSIX_ENTRY_SIZE * v + 8);
	if (gmem_valid(o->m, addr, 4)) {
		uint8_t b[4];
		le32_store(b, data);
		(void)gmem_write(o->m, addr, b, 4);
	}
	/* QEMU's msi_send_message is a memory write: only the x86 interrupt window (the APIC's) makes it an interrupt */
	if (x->msi_window_only && (addr & ~(uint64_t)MSIX_WINDOW_MASK) != MSIX_WINDOW)
		return;
	if (!evbus_wants(o->bus, VR_EV_IRQ))
		return;
	struct vr_event ev;
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = true;
	ev.u.irq.vector = (uint16_t)v;
	ev.u.irq.level = 0;
	ev.u.irq.isr = o->isr;
	ev.u.irq.msg_addr = addr;
	ev.u.irq.msg_data = data;
	ev.u.irq.cause = why;
	evbus_emit(o->bus, &ev);
}

void msix_notify(struct msix *x, const struct pci_func *p, const struct msix_out *o, uint16_t v, const char *why)
{
	if (v == VIRTIO_MSI_NO_VECTOR || v >= x->n)
		return;
	if ((ctrl(x, p) & PCI_MSIX_CTRL_MASKALL) || vmasked(x, v)) {
		x->pba[v / 64] |= 1ull << (v % 64);
		return;
	}
	deliver(x, o, v, why);
}

void msix_clear_pending(struct msix *x, uint16_t v)
{
	if (v < x->n)
		x->pba[v / 64] &= ~(1ull << (v % 64));
}

void msix_flush(struct msix *x, const struct pci_func *p, const struct msix_out *o)
{
	if (!msix_enabled(x, p) || (ctrl(x, p) & PCI_MSIX_CTRL_MASKALL))
		return;
	for (unsigned v = 0; v < x->n; v++) {
		if ((x->pba[v / 64] >> (v % 64) & 1) && !vmasked(x, v)) {
			x->pba[v / 64] &= ~(1ull << (v % 64));
			deliver(x, o, v, "pending");
		}
	}
}

int msix_access(struct msix *x, const struct pci_func *p, const struct msix_out *o, bool pba, uint32_t rel,
    unsigned size, uint64_t *v, bool write)
{
	if ((size != 4 && size != 8) || rel % size != 0) {
		if (!write)
			*v = 0;
		return -1;
	}
	if (pba) {
		if (!write) {
			uint64_t r = 0;
			for (unsigned i = 0; i < size; i++) {
				uint32_t byte = rel + i;
				if (byte / 8 < msix_pba_words(x))
					r |= ((x->pba[byte / 8] >> (8 * (byte % 8))) & 0xff) << (8 * i);
			}
			*v = r;
		}
		return 0;		/* the PBA is read-only */
	}
	if (!write) {
		*v = leN_load(x->table + rel, size);
		return 0;
	}
	for (unsigned i = 0; i < size; i += 4) {
		uint32_t off = rel + i;
		uint32_t val = (uint32_t)(*v >> (8 * i));
		if (off % PCI_MSIX_ENTRY_SIZE == 12) {
			/* only the mask bit is writable, unless the profile keeps the whole dword */
			le32_store(x->table + off, x->ctrl_whole ? val : val & PCI_MSIX_ENTRY_CTRL_MASKBIT);
			msix_flush(x, p, o);
		} else {
			le32_store(x->table + off, val);
		}
	}
	return 0;
}
