/* qtest-port.h -- a guest_port onto a real QEMU virtio-pci device, driven through qtest */
#ifndef VR_QTEST_PORT_H
#define VR_QTEST_PORT_H
#include <stdbool.h>
#include <stdint.h>
#include "vr/event.h"
#include "vr/guest.h"
#include "vr/trace.h"
#include "vr/vdev.h"

/*
 * qport starts qemu-system-x86_64 (machine pc, CPU stopped, -qtest stdio)
 * with the virtio device a trace header describes at 00:04.0, modern-only
 * (disable-legacy=on), RAM covering the header's regions, and host inputs
 * it controls: a raw disk image (blk, scsi-hd), entropy through a FIFO
 * (rng-random), console bytes through a pipe chardev, frames through a
 * datagram socket pair (-netdev socket,fd=), or with several net queue pairs
 * a multiqueue tap of its own (qtest-tap.h). Then it is a guest_port:
 *   cfg_read/write  -> 0xcf8/0xcfc
 *   bar_read/write  -> MMIO at the address the guest assigned to the BAR
 *                      (a BAR that does not decode reads all-ones, drops writes)
 *   mem_write/read  -> qtest write/read of guest RAM
 *   wait            -> polls RAM until the device caught up (QEMU completes
 *                      requests in its main loop, after the notify returned)
 * Interrupts come back as VR_EV_IRQ events on the caller's bus, so the model
 * guest (guest_watch_bus) and a recorder see them as they see the simulator's:
 *   MSI-X: the message addresses the guest programs are redirected to a
 *          mailbox in RAM outside the declared regions; after every write
 *          access and while waiting, the mailbox is read and cleared, and
 *          each delivered vector is one event. Reads of the table return what
 *          the guest wrote.
 *   INTx:  the PIIX3 routes INTA of slot 4 to IRQ 11; qtest's
 *          irq_intercept_in reports raise/lower lines.
 * What qtest cannot see: device DMA (only the RAM it leaves behind).
 */

struct qport_opts {
	const char *qemu;		/* binary; NULL: qemu-system-x86_64 on PATH */
	const struct trace_header *h;	/* device, RAM, backends, offered features (QEMU properties) */
	const char *disk_image;		/* initial disk contents (NULL: zeros of the backend's size) */
	struct evbus *bus;		/* interrupts are emitted here (may be NULL) */
	unsigned timeout_ms;		/* per QEMU answer; 0: default */
	unsigned wait_ms;		/* guest_port wait limit; 0: 2000 */
};

struct qport;

/* Whether there is a QEMU device for this virtio device id here (blk, net, scsi, rng, console). */
bool qport_supports(uint8_t device);

/* Start QEMU for the header's device. NULL + cause ("qemu missing: ..." / "qemu failed to start: ..."). */
struct qport *qport_new(const struct qport_opts *o, char **cause);
void qport_free(struct qport *p);
/* The guest_port onto the device. */
void qport_guest_port(struct qport *p, struct guest_port *gp);

/*
 * Learn what the device offers, as firmware would, and put it back as found
 * (BARs unassigned, command 0, device reset): offered features, queue count
 * and sizes, device config bytes, and the identity facts (PCI class code,
 * revision, subsystem IDs, MSI-X table size), into h. 0 / -1 + cause.
 */
int qport_probe(struct qport *p, struct trace_header *h, char **cause);

/*
 * QEMU's whole pc machine map, as its device's DMA sees it, into h (again
 * on a header that has it: the same): the RAM h does not state yet as
 * "ram" facts (0-0xc0000, 0xe0000-0xf0000, 1 MiB up to -m: h's RAM rounded
 * up to a MiB), as "unassigned" facts the PCI hole from -m to the
 * IOAPIC, 4 GiB up to 2^64 (these two first) and the gaps between the
 * IOAPIC, HPET, MSI window and firmware, and as "rom" facts the ROMs (zeros,
 * writes dropped: pc.rom and the firmware's two copies but for its reset
 * vector). The function's own BARs lie in the PCI hole; the IOAPIC, HPET,
 * MSI window and reset vector are not stated.
 */
void qport_machine_map(struct trace_header *h);

/* A host input (disk bytes, frame, entropy, console bytes). 0 / -1 + cause (cannot be expressed). */
int qport_input(struct qport *p, const struct vdev_input *in, char **cause);
/* Let QEMU run for up to ms, collecting interrupts (for inputs the guest does not wait on). */
void qport_settle(struct qport *p, unsigned ms);
/* Wait until the mailbox shows MSI-X vector v or INTx was raised, at most ms. true if it came. */
bool qport_wait_irq(struct qport *p, unsigned ms);

/*
 * The next line QEMU wrote on stderr as a trace mark "qemu: LINE" (non-printable bytes as
 * '?', cut to fit cap), text in the caller's buffer. false when none is left.
 */
bool qport_mark(struct qport *p, struct trace_event *ev, char *text, size_t cap);
bool qport_failed(const struct qport *p);
const char *qport_error(const struct qport *p);
/* The device's QEMU arguments without host paths (for a trace's first mark). */
const char *qport_device_args(const struct qport *p);

#endif
