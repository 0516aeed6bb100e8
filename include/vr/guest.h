/* guest.h -- a model virtio-pci guest driver (Linux virtio_pci_modern sequence) that can also misbehave */
#ifndef VR_GUEST_H
#define VR_GUEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/event.h"
#include "vr/vpci.h"

/*
 * The driver side, like rust-vmm's MockSplitQueue but for a whole PCI
 * function. Every access the guest makes goes through a guest_port, so the
 * recorder can wrap the port and write each one as a trace event:
 *   cfg_read/cfg_write   -> TRACE_CFG_READ/WRITE
 *   bar_read/bar_write   -> TRACE_BAR_READ/WRITE (bar-relative offsets)
 *   mem_write            -> TRACE_MEM (guest stores into its RAM)
 *   mem_read             -> TRACE_MEM_READ (guest loads of used rings, IN data)
 *                           when recording read-backs (always from QEMU)
 * Reads a recording wrapper passes through must return the device's answer.
 *
 * The guest never touches the device any other way, and it keeps no state
 * that would be invisible in a trace except its own bookkeeping (free
 * descriptors, where it put buffers).
 *
 * Interrupts: the device announces them on its event bus (VR_EV_IRQ). The
 * caller forwards them with guest_irq() (guest_watch_bus() subscribes a sink
 * doing exactly that), and the guest counts them per vector / INTx.
 */

struct guest_port {
	void *opaque;
	uint64_t (*cfg_read)(void *o, uint32_t off, unsigned size);
	void (*cfg_write)(void *o, uint32_t off, unsigned size, uint64_t v);
	uint64_t (*bar_read)(void *o, unsigned bar, uint64_t off, unsigned size);
	void (*bar_write)(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t v);
	int (*mem_write)(void *o, uint64_t addr, const void *p, uint32_t len);	/* guest stores into RAM */
	int (*mem_read)(void *o, uint64_t addr, void *p, uint32_t len);		/* guest loads (read-backs) */
	/*
	 * Optional; NULL when the device finishes its work before an access
	 * returns (the simulator). A device that works on its own time (QEMU)
	 * blocks here until the le16 at addr moved n or more past from, or the
	 * port gives up (-1). Its reads are not the guest's: not recorded.
	 */
	int (*wait)(void *o, uint64_t addr, uint16_t from, uint16_t n);
};

/* A port straight onto a device: accesses call vpci_*, memory goes to vpci_gmem(d). */
void guest_port_vpci(struct guest_port *p, struct vpci *d);

enum guest_irq_mode {
	GUEST_IRQ_MSIX = 0,		/* vector 0 config, vector 1+q for queue q (Linux per-vq vectors) */
	GUEST_IRQ_MSIX_SHARED,		/* vector 0 config, vector 1 for every queue */
	GUEST_IRQ_INTX,			/* no MSI-X: INTx + ISR */
};

/*
 * Where the guest keeps things. Everything must lie inside the RAM the device
 * declares; zeros pick defaults from the first RAM region:
 *   rings of queue q at ram0.base + 0x10000 + q * 0x8000 (desc, then avail, then used, 4-aligned)
 *   data buffers from ram0.base + 0x100000 up to the end of region 0 (allocated round-robin)
 * So the default needs a first region of at least 2 MiB.
 */
struct guest_config {
	const struct vpci_ram *ram;	/* the declared RAM (same as the device's setup) */
	unsigned nram;
	uint64_t ring_base;		/* 0: default */
	uint64_t data_base;		/* 0: default */
	uint64_t data_size;		/* 0: default */
	uint64_t features;		/* written as driver features as is (may be bad on purpose); 0: everything offered */
	enum guest_irq_mode irq;
	uint16_t nqueues;		/* queues to set up; 0: num_queues read from the device */
	uint16_t queue_size;		/* 0: the device's maximum (queue_size read back) */
	bool no_bar_assign;		/* skip BAR sizing/assignment (firmware already did it) */
	/*
	 * Drive the legacy (virtio 0.9.5) register block in the I/O BAR, as
	 * Linux's virtio_pci_legacy does: 32 feature bits written (no
	 * FEATURES_OK), each queue handed over as a page frame number with the
	 * rings in the legacy layout (the used ring on the next 4 KiB boundary),
	 * device config after the registers. For legacy and transitional devices.
	 */
	bool legacy;
	uint64_t bar_base;		/* where BARs get assigned; 0: 0xfe000000 */
};

struct guest;

struct guest *guest_new(const struct guest_port *port, const struct guest_config *cfg);
void guest_free(struct guest *g);

/* Subscribe a VR_EV_IRQ sink on bus that calls guest_irq(g, ...). -1 if the bus is full. */
int guest_watch_bus(struct guest *g, struct evbus *bus);
void guest_irq(struct guest *g, const struct vr_ev_irq *irq);
/* Interrupts seen: per MSI-X vector (vector < 64), or INTx raises (vector == GUEST_INTX). */
#define GUEST_INTX 0xffff
uint64_t guest_irq_count(const struct guest *g, uint16_t vector);
uint64_t guest_irq_total(const struct guest *g);

/*
 * The whole Linux bring-up: BAR sizing + assignment, command = MEM|MASTER,
 * capability walk, reset (and wait for status 0), ACKNOWLEDGE, DRIVER,
 * device features (select 0/1), driver features, FEATURES_OK and check it
 * stuck, MSI-X enable and table programming (or INTx), msix_config, every
 * queue (select, size, vector, desc/driver/device as 32-bit halves,
 * notify_off, enable), DRIVER_OK. -1 + cause if the device refuses.
 */
int guest_init(struct guest *g, char **cause);

/* The steps of guest_init, for tests and scenarios that stop half way. */
int guest_pci_setup(struct guest *g, char **cause);	/* BARs, command register, MSI-X capability enable */
int guest_find_caps(struct guest *g, char **cause);	/* walk the capability list */
int guest_negotiate(struct guest *g, uint64_t features, char **cause);	/* reset..FEATURES_OK */
/* The same, a driver that writes `first` as its features (and reads num_queues) before those it keeps (modern only). */
int guest_negotiate_twice(struct guest *g, uint64_t first, uint64_t features, char **cause);
int guest_setup_queues(struct guest *g, char **cause);	/* every queue + msix_config */
/* One queue at chosen addresses (0 = default placement); size 0 = device maximum. */
int guest_setup_queue(struct guest *g, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
    uint64_t used, char **cause);
/* The same with the addresses exactly as given, 0 included (a ring at address 0; modern transport only). */
int guest_setup_queue_exact(struct guest *g, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
    uint64_t used, char **cause);
/*
 * Only the queues whose bit is set (queue i: bit i, queues 0..63), after the
 * same MSI-X programming and msix_config as guest_setup_queues: a driver
 * that leaves some of a multiqueue device's queues alone.
 */
int guest_setup_queue_mask(struct guest *g, uint64_t mask, char **cause);
bool guest_queue_ready(const struct guest *g, unsigned q);	/* set up and enabled by this guest */
void guest_driver_ok(struct guest *g);
/* The size guest_setup_queues asks for from now on (0: each queue's maximum, as guest_config.queue_size). */
void guest_set_queue_size(struct guest *g, uint16_t size);
/* Reset: write 0 to device_status and read until it reads 0; forgets queue state. */
void guest_reset(struct guest *g);
/* Legacy mode: a register of the legacy block (VIRTIO_PCI_LEGACY_*), for scenarios that misbehave. */
uint64_t guest_legacy_read(struct guest *g, uint32_t off, unsigned size);
void guest_legacy_write(struct guest *g, uint32_t off, unsigned size, uint64_t v);

/* What was found / negotiated. */
uint64_t guest_device_features(const struct guest *g);
uint64_t guest_features(const struct guest *g);		/* written as driver features */
uint16_t guest_num_queues(const struct guest *g);
uint16_t guest_queue_size(const struct guest *g, unsigned q);
uint8_t guest_status(struct guest *g);			/* reads device_status */

/* One buffer of a chain. addr 0: the guest allocates space in its data area. */
struct guest_buf {
	uint64_t addr;
	uint32_t len;
	const void *data;		/* bytes stored before the chain is exposed (NULL: leave RAM); for IN the
					   stale contents the device may or may not overwrite */
};

#define GUEST_ADD_INDIRECT	0x1u	/* put the chain in an indirect table (one ring descriptor) */
#define GUEST_ADD_NO_PUBLISH	0x2u	/* write descriptors + ring slot but not avail idx */

/*
 * Add a chain (out buffers, then in buffers) to queue q like
 * virtqueue_add_sgs(): descriptors from the free list, avail ring slot, then
 * avail idx (the store order Linux uses). Returns the head (>= 0) or -1 +
 * cause (queue full, no data space, bad queue).
 */
int guest_add(struct guest *g, unsigned q, const struct guest_buf *out, unsigned nout,
    const struct guest_buf *in, unsigned nin, unsigned flags, char **cause);
/* Notify if the device wants it (NO_NOTIFY / avail_event). Returns true if it notified. */
bool guest_kick(struct guest *g, unsigned q);
/* Notify unconditionally (write the queue index to its notify address). */
void guest_notify(struct guest *g, unsigned q);

struct guest_used {
	uint16_t head;
	uint32_t len;			/* len the device published */
};
/*
 * Take the next used element of q (like virtqueue_get_buf): 1 with *u
 * filled and the chain's descriptors freed, 0 if nothing new, -1 if the
 * device published garbage (bad id). With EVENT_IDX it then stores
 * used_event = last seen used idx, as Linux does on re-enabling callbacks.
 */
int guest_poll(struct guest *g, unsigned q, struct guest_used *u);
/* Copy IN bytes the device wrote for a completed head (valid until the next guest_add on q). */
int guest_read_in(struct guest *g, unsigned q, uint16_t head, uint32_t off, void *dst, uint32_t len);
/* Bytes of IN buffers the head's chain has (0 for a bad queue or head). */
uint32_t guest_in_size(const struct guest *g, unsigned q, uint16_t head);
/* Where IN buffer i of a head's chain lies (0: no such buffer), its length in *len: to lay buffers over it. */
uint64_t guest_in_addr(const struct guest *g, unsigned q, uint16_t head, unsigned i, uint32_t *len);
/*
 * Poll up to n completions of q, reading back what the device wrote into
 * each (up to its used length); *last (if not NULL) gets the last byte read.
 * Returns how many came.
 */
unsigned guest_drain(struct guest *g, unsigned q, unsigned n, uint8_t *last);
/*
 * Before taking n completions of q: give an asynchronous device (a port with
 * wait) time to publish them. 0 at once for the simulator; -1 if it gave up.
 */
int guest_wait(struct guest *g, unsigned q, uint16_t n);
/* Interrupt suppression, driver side: NO_INTERRUPT flag, or used_event with EVENT_IDX. */
void guest_disable_cb(struct guest *g, unsigned q);
void guest_enable_cb(struct guest *g, unsigned q);

/* Register helpers (through the port, so they are recorded). */
uint64_t guest_common_read(struct guest *g, uint32_t off, unsigned size);
void guest_common_write(struct guest *g, uint32_t off, unsigned size, uint64_t v);
uint64_t guest_devcfg_read(struct guest *g, uint32_t off, unsigned size);
void guest_devcfg_write(struct guest *g, uint32_t off, unsigned size, uint64_t v);
uint8_t guest_isr_read(struct guest *g);
void guest_msix_mask(struct guest *g, uint16_t vector, bool masked);
void guest_msix_function_mask(struct guest *g, bool masked);
/* Where the capabilities were found (after guest_find_caps). */
struct guest_region {
	uint8_t bar;
	uint32_t off, len;
};
struct guest_caps {
	struct guest_region common, notify, isr, device;
	uint32_t notify_mult;
	uint8_t pci_cfg_cap;		/* config offset of the PCI_CFG capability, 0 if none */
	uint8_t msix_cap;		/* config offset of the MSI-X capability, 0 if none */
	uint8_t msix_bar;
	uint32_t msix_table, msix_pba;
	uint16_t msix_size;
};
const struct guest_caps *guest_caps(const struct guest *g);

/*
 * Misbehaviour knobs: raw stores that bypass the driver's bookkeeping. They
 * still go through the port (they are guest stores, so they are recorded).
 */
int guest_raw_desc(struct guest *g, unsigned q, uint16_t idx, uint64_t addr, uint32_t len,
    uint16_t flags, uint16_t next);
int guest_raw_avail_ring(struct guest *g, unsigned q, uint16_t slot, uint16_t head);	/* slot mod size */
int guest_raw_avail_idx(struct guest *g, unsigned q, uint16_t idx);	/* also becomes the guest's idx */
int guest_raw_mem(struct guest *g, uint64_t addr, const void *p, uint32_t len);
/* Move avail idx by n with every new slot naming head, then notify (avail jumps, QEMU's in-flight limit). */
int guest_raw_avail_flood(struct guest *g, unsigned q, uint16_t head, unsigned n);
/*
 * Wait for n more used entries on q and take them unread: for heads the
 * driver does not track (raw avail writes naming a completed chain again).
 * Reads used idx, moves the driver's last used idx; -1 if they did not come.
 */
int guest_raw_used_skip(struct guest *g, unsigned q, uint16_t n);
/* Guest-side shadow of q's rings (addresses and the next avail idx it will publish). */
uint64_t guest_desc_addr(const struct guest *g, unsigned q);
uint64_t guest_avail_addr(const struct guest *g, unsigned q);
uint64_t guest_used_addr(const struct guest *g, unsigned q);
uint16_t guest_avail_idx(const struct guest *g, unsigned q);

#endif
