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
	int transport;			/* VDEV_TRANSPORT_* (0: modern) */
	uint64_t offered;		/* device features offered (VERSION_1 is always added) */
	uint16_t nqueues;		/* 0: ops->default_queues */
	uint16_t queue_max[VIRTQ_MAX_QUEUES];	/* 0: 256 */
	const uint8_t *devcfg;		/* NULL: ops->default_config */
	uint16_t devcfg_len;
	const struct vpci_ram *ram;
	unsigned nram;
	/*
	 * The recording machine's unassigned ranges and zero ROM (trace
	 * "unassigned" and "rom" facts); used where the profile maps as QEMU.
	 */
	const struct vpci_ram *unassigned;
	unsigned nunassigned;
	const struct vpci_ram *rom;
	unsigned nrom;
	const struct vdev_backend *backends;
	unsigned nbackends;
	/* PCI identity; 0 (NULL) keeps the profile's or the device model's default */
	uint8_t pci_class, pci_subclass, pci_progif;
	uint8_t pci_revision;
	uint16_t subsys_vendor, subsys_id;
	uint16_t msix_vectors;		/* MSI-X table size (default: queues + 1; at most 2048) */
	const char *serial;		/* device serial (virtio-blk GET_ID), copied */
	unsigned disk;			/* VDEV_DISK_* (blk and scsi) */
};

struct vpci;

/*
 * The common configuration registers (spec 4.1.4.3): one table for the
 * transport, the register namer and replay's reports.
 */
enum vpci_common {
	VPCI_CF_DFSELECT, VPCI_CF_DF, VPCI_CF_GFSELECT, VPCI_CF_GF, VPCI_CF_MSIX, VPCI_CF_NUMQ, VPCI_CF_STATUS,
	VPCI_CF_GEN, VPCI_CF_QSEL, VPCI_CF_QSIZE, VPCI_CF_QMSIX, VPCI_CF_QENABLE, VPCI_CF_QNOFF, VPCI_CF_QDESC,
	VPCI_CF_QDRIVER, VPCI_CF_QDEVICE, VPCI_CF_QNDATA, VPCI_CF_QRESET, VPCI_CF_COUNT
};
struct vpci_reg {
	uint16_t off;
	uint8_t size;			/* 8: may also be accessed as two 4-byte halves */
	const char *name;		/* "queue_select" */
};
extern const struct vpci_reg vpci_common_regs[VPCI_CF_COUNT];

/* The legacy (virtio 0.9.5) register block at the start of the legacy I/O BAR (spec 4.1.4.8). */
enum vpci_legacy {
	VPCI_LG_HOST_FEATURES, VPCI_LG_GUEST_FEATURES, VPCI_LG_QUEUE_PFN, VPCI_LG_QUEUE_NUM, VPCI_LG_QUEUE_SEL,
	VPCI_LG_QUEUE_NOTIFY, VPCI_LG_STATUS, VPCI_LG_ISR, VPCI_LG_MSIX_CONFIG, VPCI_LG_QUEUE_VECTOR, VPCI_LG_COUNT
};
extern const struct vpci_reg vpci_legacy_regs[VPCI_LG_COUNT];
/* The common register at offset rel of the common structure (-1: none); *half: 1 for the upper half of a 64-bit one. */
int vpci_common_find(uint32_t rel, unsigned *half);

struct vpci *vpci_new(const struct vpci_setup *setup, struct evbus *bus, char **cause);
void vpci_free(struct vpci *d);
struct gmem *vpci_gmem(struct vpci *d);

uint64_t vpci_cfg_read(struct vpci *d, uint32_t off, unsigned size);
void vpci_cfg_write(struct vpci *d, uint32_t off, unsigned size, uint64_t value);
uint64_t vpci_bar_read(struct vpci *d, unsigned bar, uint64_t off, unsigned size);
void vpci_bar_write(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t value);
/* The common register a BAR access at (bar, off) hits, -1 if none; *half as for vpci_common_find. */
int vpci_common_reg_at(const struct vpci *d, unsigned bar, uint64_t off, unsigned *half);
/* Name of the register at (cfg or bar, off, size), e.g. "common.queue_select". */
void vpci_reg_name(struct vpci *d, bool cfg, unsigned bar, uint64_t off, unsigned size, char *out, size_t outlen);
int vpci_input(struct vpci *d, const struct vdev_input *in, char **cause);
/*
 * QEMU's main loop turning between two accesses (two qtest commands): what
 * it polls sees the state the last one left. Whoever drives the device calls
 * it after each guest write, RAM store and host input.
 */
void vpci_main_loop(struct vpci *d);
/* Descriptors the function's avail-bytes counts have read (QEMU's walk, which a guest can make long). */
uint64_t vpci_counted(const struct vpci *d);
uint8_t vpci_status(const struct vpci *d);
uint64_t vpci_driver_features(const struct vpci *d);

/* Whole-device checkpoint: versioned blob; load checks consistency (violation case 21 -> -1 + cause). */
void vpci_save(struct vpci *d, struct buf *out);
int vpci_load(struct vpci *d, const uint8_t *p, size_t len, char **cause);

#endif
