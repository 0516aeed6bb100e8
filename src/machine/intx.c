/* intx.c -- legacy interrupt: the ISR status byte, the INTx line and its announcements */
#include "vr/le.h"
#include "machine.h"

/*
 * Latched (QEMU's pci_set_irq/pci_irq_deassert): the state is set or cleared
 * only when the device notifies with MSI-X off, cleared by an ISR read and
 * when MSI-X is enabled; INTX_DISABLE masks the line, not the state.
 */
bool intx_wanted(const struct intx *x, const struct pci_func *p, bool msix_on, uint8_t isr_mask)
{
	if (x->latched)
		return x->state && !(le16_load(p->cfg + PCI_CFG_COMMAND) & PCI_CMD_INTX_DISABLE);
	if (msix_on || (le16_load(p->cfg + PCI_CFG_COMMAND) & PCI_CMD_INTX_DISABLE))
		return false;
	return (x->isr & isr_mask) != 0;
}

void intx_update(struct intx *x, const struct pci_func *p, struct evbus *bus, bool msix_on, uint8_t isr_mask,
    const char *why)
{
	bool level = intx_wanted(x, p, msix_on, isr_mask);
	if (level == x->level)
		return;
	x->level = level;
	if (!evbus_wants(bus, VR_EV_IRQ))
		return;
	struct vr_event ev;
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = false;
	ev.u.irq.vector = 0;
	ev.u.irq.level = level;
	ev.u.irq.isr = x->isr;
	ev.u.irq.msg_addr = 0;
	ev.u.irq.msg_data = 0;
	ev.u.irq.cause = why;
	evbus_emit(bus, &ev);
}

uint8_t intx_isr_read(struct intx *x)
{
	uint8_t v = x->isr;
	x->isr = 0;
	x->state = false;
	x->deassert = true;
	return v;
}
