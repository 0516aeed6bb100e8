/* virtio-spec.h -- numbers of the VirtIO 1.0 specification and of PCI that every layer shares (defined once) */
#ifndef VR_VIRTIO_SPEC_H
#define VR_VIRTIO_SPEC_H

/* Device status (spec 2.1). */
#define VIRTIO_STATUS_ACK		0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Reserved feature bits (spec 6). */
#define VIRTIO_F_NOTIFY_ON_EMPTY	24
#define VIRTIO_F_ANY_LAYOUT		27
#define VIRTIO_F_BAD_FEATURE		30	/* legacy: QEMU offers it so a driver acking everything shows itself */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_F_RING_PACKED		34
#define VIRTIO_F_ORDER_PLATFORM		36
#define VIRTIO_F_RING_RESET		40

/* The ring and transport features QEMU 7.2 offers on every modern virtio-pci device (its defaults). */
#define VIRTIO_QEMU_TRANSPORT_FEATURES	((1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX) | \
	(1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_RESET))

/* Split virtqueue (spec 2.4). */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1
#define VIRTQ_DESC_SIZE			16
#define VIRTQ_ALIGN_DESC		16
#define VIRTQ_ALIGN_AVAIL		2
#define VIRTQ_ALIGN_USED		4
#define VIRTIO_LEGACY_ALIGN		4096	/* legacy rings: used ring on the next 4 KiB boundary */
#define VIRTIO_LEGACY_PFN_SHIFT		12

/* Device ids (spec 5). */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4
#define VIRTIO_ID_BALLOON		5
#define VIRTIO_ID_SCSI			8
#define VIRTIO_ID_9P			9

/* virtio-console feature bits (spec 5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE		0
#define VIRTIO_CONSOLE_F_MULTIPORT	1
#define VIRTIO_CONSOLE_F_EMERG_WRITE	2

/* virtio-blk feature bits (spec 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_SCSI		7	/* legacy SCSI passthrough requests */
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12	/* num_queues in config */
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* virtio-scsi feature bits (spec 5.6.3). */
#define VIRTIO_SCSI_F_INOUT		0
#define VIRTIO_SCSI_F_HOTPLUG		1
#define VIRTIO_SCSI_F_CHANGE		2

/* Multiqueue feature bits (spec 5.1.3; blk's is above): more request queues than one. */
#define VIRTIO_NET_F_MQ			22	/* max_virtqueue_pairs in config; CTRL_MQ sets the pairs in use */
/* virtio-net: a frame may take several rx buffers, num_buffers in its header (spec 5.1.3). */
#define VIRTIO_NET_F_MRG_RXBUF		15

/* PCI identity (spec 4.1.2). */
#define PCI_VENDOR_VIRTIO		0x1af4
#define VIRTIO_PCI_DEVICE_MODERN	0x1040	/* + device id */
#define VIRTIO_PCI_DEVICE_TRANSITIONAL	0x1000	/* net 0x1000, blk 0x1001, ... (spec 4.1.2.3) */

/* PCI config space header and capability ids. */
#define PCI_CFG_VENDOR			0x00
#define PCI_CFG_DEVICE			0x02
#define PCI_CFG_COMMAND			0x04
#define PCI_CFG_STATUS			0x06
#define PCI_CFG_REVISION		0x08
#define PCI_CFG_PROGIF			0x09
#define PCI_CFG_SUBCLASS		0x0a
#define PCI_CFG_CLASS			0x0b
#define PCI_CFG_BAR0			0x10
#define PCI_CFG_SUBSYS_VENDOR		0x2c
#define PCI_CFG_SUBSYS_ID		0x2e
#define PCI_CFG_ROM			0x30	/* expansion ROM BAR */
#define PCI_ROM_ENABLE			0x1
#define PCI_CFG_CAP_PTR			0x34
#define PCI_CFG_INT_LINE		0x3c
#define PCI_CFG_INT_PIN			0x3d
#define PCI_CMD_IO			0x0001
#define PCI_CMD_MEM			0x0002
#define PCI_CMD_MASTER			0x0004
#define PCI_CMD_INTX_DISABLE		0x0400
#define PCI_STATUS_INTERRUPT		0x0008
#define PCI_STATUS_CAP_LIST		0x0010
#define PCI_BAR_IO			0x1
#define PCI_BAR_MEM64			0x4
#define PCI_BAR_PREFETCH		0x8
#define PCI_CAP_ID_MSIX			0x11
#define PCI_CAP_ID_VNDR			0x09

/* MSI-X (PCI 3.0 6.8.2). */
#define PCI_MSIX_CTRL_ENABLE		0x8000
#define PCI_MSIX_CTRL_MASKALL		0x4000
#define PCI_MSIX_ENTRY_SIZE		16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT	1
#define VIRTIO_MSI_NO_VECTOR		0xffff

/* virtio_pci_cap cfg_type (spec 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5
#define VIRTIO_PCI_CAP_LEN		16	/* + 4: notify_off_multiplier or the pci_cfg data window */

/*
 * Legacy register block (spec 4.1.4.8, virtio 0.9.5), at the start of the
 * legacy I/O BAR; device config follows at 20, or at 24 while MSI-X is
 * enabled (the two vector registers sit in between).
 */
#define VIRTIO_PCI_LEGACY_HOST_FEATURES	0x00	/* 32 bits, read-only */
#define VIRTIO_PCI_LEGACY_GUEST_FEATURES 0x04	/* 32 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_PFN	0x08	/* 32 bits: ring address >> 12 */
#define VIRTIO_PCI_LEGACY_QUEUE_NUM	0x0c	/* 16 bits, read-only */
#define VIRTIO_PCI_LEGACY_QUEUE_SEL	0x0e	/* 16 bits */
#define VIRTIO_PCI_LEGACY_QUEUE_NOTIFY	0x10	/* 16 bits: the queue index */
#define VIRTIO_PCI_LEGACY_STATUS	0x12	/* 8 bits */
#define VIRTIO_PCI_LEGACY_ISR		0x13	/* 8 bits, read clears */
#define VIRTIO_PCI_LEGACY_MSIX_CONFIG	0x14	/* 16 bits, only while MSI-X is enabled */
#define VIRTIO_PCI_LEGACY_QUEUE_VECTOR	0x16	/* 16 bits, only while MSI-X is enabled */
#define VIRTIO_PCI_LEGACY_CONFIG	0x14	/* device config without MSI-X */
#define VIRTIO_PCI_LEGACY_CONFIG_MSIX	0x18	/* device config with MSI-X enabled */
#define VIRTIO_PCI_LEGACY_REVISION	0	/* PCI revision of legacy and transitional functions */

/* ISR status bits (spec 4.1.4.5). */
#define VIRTIO_ISR_QUEUE		0x1
#define VIRTIO_ISR_CONFIG		0x2

/*
 * Common configuration structure (spec 4.1.4.3). The offsets, sizes and
 * names live in one table, vpci_common_regs[] (vr/vpci.h); these are the
 * offsets for code that drives the device from the guest side.
 */
#define VIRTIO_PCI_COMMON_DFSELECT	0x00
#define VIRTIO_PCI_COMMON_DF		0x04
#define VIRTIO_PCI_COMMON_GFSELECT	0x08
#define VIRTIO_PCI_COMMON_GF		0x0c
#define VIRTIO_PCI_COMMON_MSIX		0x10
#define VIRTIO_PCI_COMMON_NUMQ		0x12
#define VIRTIO_PCI_COMMON_STATUS	0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION	0x15
#define VIRTIO_PCI_COMMON_Q_SELECT	0x16
#define VIRTIO_PCI_COMMON_Q_SIZE	0x18
#define VIRTIO_PCI_COMMON_Q_MSIX	0x1a
#define VIRTIO_PCI_COMMON_Q_ENABLE	0x1c
#define VIRTIO_PCI_COMMON_Q_NOFF	0x1e
#define VIRTIO_PCI_COMMON_Q_DESCLO	0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI	0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO	0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI	0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO	0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI	0x34
#define VIRTIO_PCI_COMMON_Q_NDATA	0x38
#define VIRTIO_PCI_COMMON_Q_RESET	0x3a

#endif
