/* machine.h -- internal glue between the transport (vpci.c) and the split ring (virtq.c) */
#ifndef VR_MACHINE_INT_H
#define VR_MACHINE_INT_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/event.h"
#include "vr/gmem.h"
#include "vr/violation.h"
#include "vr/virtq.h"
#include "vr/vpci.h"

/* The services handle a device model gets is the transport itself. */
struct vdev_ctx {
	struct vpci *d;
};

/*
 * How the device reacts to a violation. FATAL follows the profile: qemu
 * marks the whole device broken (QEMU's virtio_error()), vbox stops the
 * violating queue; both set DEVICE_NEEDS_RESET and raise a config interrupt.
 */
enum vpci_react { REACT_REPORT, REACT_FATAL };

#define VPCI_MSIX_MAX	(VIRTQ_MAX_QUEUES + 1)
#define VPCI_NO_VECTOR	0xffff

enum vpci_rkind { R_COMMON, R_ISR, R_DEVICE, R_NOTIFY, R_MSIX_TABLE, R_MSIX_PBA };

struct vpci_region {
	enum vpci_rkind kind;
	uint8_t bar;
	uint32_t off, len;
};

struct vpci_qregs {
	uint16_t size;			/* queue_size register */
	uint16_t vector;
	uint16_t enable;
	uint16_t reset;
	uint32_t desc[2], avail[2], used[2];
};

/* The transport's state; vpci.c, vpci-cfg.c (naming) and checkpoint.c share it. */
struct vpci {
	struct vdev_ctx *ctx;
	struct evbus *bus;
	struct gmem *m;
	const struct vdev_ops *ops;
	void *dev;
	/* setup, kept for checkpoint loads (which build a scratch device) */
	struct vpci_setup setup;
	uint8_t devcfg_copy[256];
	struct vpci_ram ram_copy[16];
	bool qemu;
	uint16_t nq;
	uint16_t qmax[VIRTQ_MAX_QUEUES];
	uint64_t offered;
	uint32_t devcfg_size;
	/* PCI config space */
	uint8_t cfg[256];
	uint8_t wmask[256];
	uint64_t bar_size[6];		/* 0: unused (or the high half of a 64-bit BAR) */
	uint8_t cap_common, cap_notify, cap_isr, cap_device, cap_pcicfg, cap_msix;
	uint8_t struct_bar;		/* BAR holding the virtio structures */
	struct vpci_region reg[6];
	unsigned nreg;
	uint32_t notify_mult;
	/* MSI-X */
	uint16_t msix_n;
	uint8_t msix_bar;
	uint8_t msix_table[VPCI_MSIX_MAX * 16];
	uint64_t msix_pba;		/* one bit per vector */
	/* transport registers */
	uint32_t dfselect, gfselect;
	uint32_t gf[2];
	uint64_t features;		/* negotiated at FEATURES_OK */
	uint16_t msix_config;
	uint8_t status;
	uint8_t generation;
	uint8_t isr;
	uint16_t queue_select;
	bool broken;			/* qemu: virtio_error() happened, until reset */
	bool intx_level;		/* INTx line as last announced */
	bool isr_deassert;		/* deferred line update after an ISR read */
	struct vpci_qregs qr[VIRTQ_MAX_QUEUES];
	struct virtq *q[VIRTQ_MAX_QUEUES];
	char qname[VIRTQ_MAX_QUEUES][VIRTQ_NAME_MAX];
};

/* Register naming (vpci-name.c). */
void vpci_name_cfg(const struct vpci *d, uint32_t off, unsigned size, char *out, size_t n);
void vpci_name_bar(const struct vpci *d, unsigned bar, uint64_t off, unsigned size, char *out, size_t n);

/* Transport services for virtq.c. */
int vpci_violate(struct vpci *d, enum violation v, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void vpci_queue_irq(struct vpci *d, unsigned queue);
bool vpci_queue_live(const struct vpci *d);	/* device not broken and (qemu or DRIVER_OK) */
bool vpci_is_qemu(const struct vpci *d);
bool vpci_intx_wanted(const struct vpci *d);	/* what the INTx line should be now */
const char *vpci_dev_name(const struct vpci *d);

/* Split ring internals the transport drives. */
struct virtq *virtq_new(struct vpci *d, struct gmem *m, struct evbus *bus, unsigned index, const char *name);
void virtq_free(struct virtq *q);
void virtq_reset(struct virtq *q);
/* queue_enable: validate and start; -1 if refused (violation emitted). */
int virtq_start(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features);
/* vbox reaction to a fatal violation: the queue stops until reset. */
void virtq_halt(struct virtq *q);
void virtq_rename(struct virtq *q, const char *name);
bool virtq_halted(const struct virtq *q);
bool virtq_started(const struct virtq *q);
void virtq_rebind(struct virtq *q, struct vpci *d, struct gmem *m);	/* after a checkpoint swap */
void virtq_save(const struct virtq *q, struct buf *out);
int virtq_load(struct virtq *q, struct cursor *c, char **cause);

#endif
