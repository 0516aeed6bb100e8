/* qtest-port-int.h -- the QEMU port's state, shared by qtest-port.c and qtest-port-cmdline.c */
#ifndef VR_QTEST_PORT_INT_H
#define VR_QTEST_PORT_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/qemu-proc.h"
#include "vr/qtest-port.h"
#include "vr/qtest-tap.h"

#define QP_DEVFN	(4u << 3)	/* 00:04.0 */
#define QP_PIRQ_LINE	11u		/* where PIIX3 routes INTA..INTD */
#define QP_PC_IOAPIC	0xfec00000ull	/* the pc machine's PCI hole ends here (IOAPIC, HPET, LAPIC, BIOS follow) */
#define QP_MAILBOX	0xef000ull	/* MSI-X mailbox: the last page of the pc machine's RAM at 0xe0000 */
#define QP_PC_HPET	0xfed00000ull	/* 1 KiB; the LAPIC's MSI window (QP_MSI_WINDOW) 1 MiB */
#define QP_PC_ROM	0xc0000ull	/* pc.rom: 128 KiB of zeros, read-only */
#define QP_PC_ROM_SIZE	0x20000ull
#define QP_BIOS_SIZE	0x10000ull	/* the firmware qport makes: below 1 MiB and below 4 GiB */
#define QP_PC_BIOS	(0x100000ull - QP_BIOS_SIZE)
#define QP_RESET_TAIL	16u		/* its last bytes, the reset vector's code: the rest is zeros */
#define QP_VECTORS	64u		/* mailbox dwords (MSI-X vectors watched) */
#define QP_TOKEN	0x51e0u		/* mailbox data: token + vector, never 0 */
#define QP_MSI_WINDOW	0xfee00000ull	/* x86: messages here are interrupts (the APIC) */
#define QP_MSI_WINDOW_MASK 0xfffffull
#define QP_WAIT_MS	2000u
#define QP_NOTIFY_SETTLE_MS	3u
#define QP_BAR_BASE	0xfe000000ull	/* where the probe assigns BARs (the model guest's default) */
#define QP_CON_PORTS	31u		/* virtio-serial ports: QEMU's max_ports default (2 fifos each) */
#define QP_SERIAL_VECTORS	2u	/* virtio-serial-pci's default MSI-X table */

struct qport {
	struct qemu *q;
	struct qemu_opts qo;
	struct evbus *bus;
	uint8_t device;
	unsigned wait_ms;
	char dir[64];			/* temporary directory for host-side files */
	char *paths[8 + 2 * QP_CON_PORTS];	/* files made there (removed at the end) */
	char *bios;
	unsigned npaths;
	int disk_fd, rng_fd, net_fd, net_peer_fd;
	struct qtap *tap;		/* net with several queue pairs: frames go in here */
	int tap_fd[QTAP_MAX_QUEUES];	/* its queues, QEMU's once it started */
	int con_in_fd[QP_CON_PORTS], con_out_fd[QP_CON_PORTS];	/* per virtio-serial port */
	unsigned con_ports;
	struct buf args;		/* -device ... text without host paths */
	char *argmem[QEMU_MAX_ARGS];
	unsigned nargs;
	/* BAR addresses as QEMU's config space says; recomputed after config writes. */
	bool bars_known;
	uint64_t bar_base[6];
	bool bar_on[6];
	bool bar_io[6];			/* an I/O BAR (the legacy block of a transitional device): in/out */
	/* MSI-X: where the table is, and what the guest wrote into address/data words. */
	uint8_t msix_cap, msix_bar;
	uint32_t msix_table;
	uint16_t msix_size;
	uint8_t notify_bar;		/* the notify region: a write there is followed by a short settle */
	uint64_t notify_off, notify_len;
	uint64_t mailbox;
	uint32_t shadow[QP_VECTORS][3];	/* addr lo, addr hi, data */
	bool intx_level;
	bool irq_seen;
};

/* ---- qtest-port-cmdline.c ---- */

/* A host-side file name in the port's directory (remembered, removed at the end). */
char *qp_make_path(struct qport *p, const char *name);
/* The -device (and its backend's) arguments for o's trace header; 0 or -1 with cause. */
int qp_build_device(struct qport *p, const struct qport_opts *o, char **cause);

#endif
