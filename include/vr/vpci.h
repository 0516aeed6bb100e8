/* vpci.h -- the virtio-pci transport: one PCI function with config space, caps, BARs, queues, interrupts */
#ifndef VR_VPCI_H
#define VR_VPCI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/buf.h"
#include "vr/event.h"
#include "vr/gmem.h"
#include "vr/vdev.h"

/*
 * The replay engine, the model guest driver and the tests all drive a device
 * only through this interface: config-space and BAR accesses, host inputs,
 * and save/load. Outputs leave as events on the bus (VR_EV_DMA, VR_EV_IRQ,
 * VR_EV_TXN, VR_EV_VIOLATION, VR_EV_ACCESS...).
 */

struct vpci_ram {
	uint64_t base, size;
};

struct vpci_setup {
	const struct vdev_ops *ops;
	int layout;			/* enum trace_layout */
	uint64_t offered;		/* device features offered (VERSION_1 is always added) */
	uint16_t nqueues;		/* 0: ops->default_queues */
	uint16_t queue_max[VIRTQ_MAX_QUEUES];	/* 0: 256 */
	const uint8_t *devcfg;		/* NULL: ops->default_config */
	uint16_t devcfg_len;
	const struct vpci_ram *ram;
	unsigned nram;
	const struct vdev_backend *backends;
	unsigned nbackends;
};

struct vpci;

struct vpci *vpci_new(const struct vpci_setup *setup, struct evbus *bus, char **cause);
void vpci_free(struct vpci *d);
struct gmem *vpci_gmem(struct vpci *d);

uint64_t vpci_cfg_read(struct vpci *d, uint32_t off, unsigned size);
void vpci_cfg_write(struct vpci *d, uint32_t off, unsigned size, uint64_t value);
uint64_t vpci_bar_read(struct vpci *d, unsigned bar, uint64_t off, unsigned size);
void vpci_bar_write(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t value);
/* Name of the register at (cfg or bar, off, size), e.g. "common.queue_select". */
void vpci_reg_name(struct vpci *d, bool cfg, unsigned bar, uint64_t off, unsigned size, char *out, size_t outlen);
int vpci_input(struct vpci *d, const struct vdev_input *in, char **cause);
uint8_t vpci_status(const struct vpci *d);
uint64_t vpci_driver_features(const struct vpci *d);

/* Whole-device checkpoint: versioned blob; load checks consistency (violation case 21 -> -1 + cause). */
void vpci_save(struct vpci *d, struct buf *out);
int vpci_load(struct vpci *d, const uint8_t *p, size_t len, char **cause);

#endif
