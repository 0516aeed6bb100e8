/* sweep-int.h -- what the machine-layer sweep scenarios (sweep.c, sweep-pci.c) share */
#ifndef VR_SWEEP_INT_H
#define VR_SWEEP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vr/guest.h"
#include "vr/record.h"

/*
 * Every scenario brings the device to a state the seed picks (no driver
 * yet, features negotiated, queues live, requests done) and then makes the
 * accesses of its kind, raw, through the recording port: every offset of a
 * region at every size (1, 2, 4, 8) so unaligned, wide and straddling
 * accesses all occur; random writes followed by reads of every field.
 * Nothing here knows what the answers should be: QEMU answers, the replay
 * compares.
 */

#define SW_STAGES	4
#define SW_MAX_QUEUES	64		/* queues whose vectors a scenario moves and puts back */
#define PCI_STATUS_OFF	PCI_CFG_STATUS
#define PCI_CMD_OFF	PCI_CFG_COMMAND
#define PCI_CMD_INTX_OFF PCI_CMD_INTX_DISABLE
#define MSIX_ENABLE	PCI_MSIX_CTRL_ENABLE
#define MSIX_MASKALL	PCI_MSIX_CTRL_MASKALL

struct sw {
	struct record *rec;
	const struct guest_port *p;
	struct guest *g;
	enum guest_irq_mode irq;
	const struct guest_caps *c;
	unsigned stage;			/* see sw_begin() */
	unsigned nreq;			/* requests made so far (their numbering) */
	bool io_ready;
};

uint64_t sw_rnd(struct sw *s, uint64_t n);
uint64_t sw_any_value(struct sw *s);
unsigned sw_any_size(struct sw *s);
uint64_t sw_cfg_rd(struct sw *s, uint32_t off, unsigned size);
uint64_t sw_fit(uint64_t v, unsigned size);
void sw_cfg_wr(struct sw *s, uint32_t off, unsigned size, uint64_t v);
uint64_t sw_bar_rd(struct sw *s, unsigned bar, uint64_t off, unsigned size);
void sw_bar_wr(struct sw *s, unsigned bar, uint64_t off, unsigned size, uint64_t v);
void sw_read_all(struct sw *s, unsigned bar, uint64_t start, uint64_t len, unsigned sizes);
void sw_read_fields(struct sw *s);
int sw_requests(struct sw *s, unsigned n, char **cause);
int sw_begin(struct sw *s, struct record *rec, enum guest_irq_mode irq, unsigned stage, char **cause);
enum guest_irq_mode sw_any_irq(struct sw *s);
int sw_begin_any(struct sw *s, struct record *rec, char **cause);

#endif
