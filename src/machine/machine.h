/* machine.h -- internal glue of the machine layer: PCI function, MSI-X, INTx, profiles, transport state */
#ifndef VR_MACHINE_INT_H
#define VR_MACHINE_INT_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/event.h"
#include "vr/gmem.h"
#include "vr/violation.h"
#include "vr/virtio-spec.h"
#include "vr/virtq.h"
#include "vr/vpci.h"
#include "virtq-ring.h"

/*
 * The parts, bottom up (each knows only those before it):
 *   pci.c      one PCI function: config space with write masks, BAR sizing,
 *              the capability builder pci_add_cap()
 *   msix.c     MSI-X table, PBA, masking, delivery (an IRQ event, and a dword
 *              written into guest RAM when the message address lies there)
 *   intx.c     ISR byte, INTx line, PCI status interrupt bit
 *   profile.c  layout profiles as data: placements, BARs, policy switches
 *   virtq.c    the split ring: decides and returns (struct virtq_report,
 *              "interrupt needed"); knows no transport
 *   vpci.c     the transport core: setup, status, reset, features, violations
 *              and their reactions, interrupts, services for device models
 *   vpci-access.c  the guest's accesses: BAR dispatch, device config,
 *              config space and the PCI_CFG window
 *   virtio-pci-modern.c  common config, notify, ISR and device regions
 *   virtio-pci-legacy.c  the legacy (0.9.5) register block in the I/O BAR
 *   vpci-name.c, checkpoint.c  register names; save/load
 */

/* ------------------------------------------------------------------ pci.c */

struct pci_func {
	uint8_t cfg[256];
	uint8_t wmask[256];
	uint64_t bar_size[6];		/* 0: unused (or the high half of a 64-bit BAR) */
	bool bar_io[6];			/* an I/O-space BAR */
	bool newest_first;		/* capability list order: QEMU prepends, others append */
	uint8_t cap_last;		/* last capability added (append order) */
	uint8_t cap_free;		/* lowest free offset for automatic placement */
};

struct pci_ident {
	uint16_t vendor, device, subsys_vendor, subsys_id;
	uint8_t revision, class, subclass, progif;
};

void pci_init(struct pci_func *p, const struct pci_ident *id, bool newest_first);
/* flags: PCI_BAR_IO, PCI_BAR_MEM64, PCI_BAR_PREFETCH; size a power of two. */
void pci_set_bar(struct pci_func *p, unsigned bar, uint64_t size, unsigned flags);
/*
 * Place a capability of len bytes at `at` (0: the next free dword-aligned
 * offset), write its id and link it into the list in the function's order.
 * Returns its offset, 0 if it does not fit.
 */
uint8_t pci_add_cap(struct pci_func *p, uint8_t at, uint8_t id, uint8_t len);
void pci_w16(struct pci_func *p, unsigned off, uint16_t v);
void pci_w32(struct pci_func *p, unsigned off, uint32_t v);
/* Guest access rules for config space: size 1/2/4, aligned, inside 256 bytes. */
bool pci_cfg_access_ok(uint32_t off, unsigned size);
uint64_t pci_cfg_load(const struct pci_func *p, uint32_t off, unsigned size);
void pci_cfg_store(struct pci_func *p, uint32_t off, unsigned size, uint64_t value);	/* through wmask */
bool pci_overlaps(uint32_t off, unsigned size, uint32_t start, unsigned len);
uint64_t pci_size_mask(unsigned size);

/* ------------------------------------------------------------------ msix.c */

struct msix {
	uint16_t n;			/* vectors */
	uint8_t cap;			/* capability offset */
	uint8_t bar;
	uint32_t pba_off;		/* BAR offset of the PBA (the table is at 0) */
	uint32_t bar_size;
	uint8_t *table;			/* n entries of 16 bytes */
	uint64_t *pba;			/* one bit per vector */
	bool ctrl_whole;		/* the vector control dword keeps every bit written (QEMU), else only the mask bit */
	bool msi_window_only;		/* only a message into 0xfee00000..0xfeefffff interrupts; others are memory writes */
};

/* Where a delivered message goes: the bus (IRQ event) and guest RAM (the data dword). */
struct msix_out {
	struct evbus *bus;
	struct gmem *m;
	uint8_t isr;			/* reported with the IRQ event */
};

/* BAR size QEMU's msix_init_exclusive_bar gives n vectors (table at 0, PBA at 0x800 or after the table). */
uint32_t msix_bar_size(uint16_t n, uint32_t *pba_off);
void msix_init(struct msix *x, struct pci_func *p, uint8_t cap_at, uint8_t bar, uint16_t n);
void msix_free(struct msix *x);
size_t msix_pba_words(const struct msix *x);
bool msix_enabled(const struct msix *x, const struct pci_func *p);
/* Signal vector v (NO_VECTOR / out of range: nothing); pending while masked. */
void msix_notify(struct msix *x, const struct pci_func *p, const struct msix_out *o, uint16_t v, const char *why);
/* Forget vector v's pending message (QEMU's msix_clr_pending); NO_VECTOR / out of range: nothing. */
void msix_clear_pending(struct msix *x, uint16_t v);
/* Deliver pending vectors no longer masked, lowest first (after a mask bit or the control word changed). */
void msix_flush(struct msix *x, const struct pci_func *p, const struct msix_out *o);
/* Table or PBA access; -1 for a bad size/alignment (the caller reports; reads give 0). */
int msix_access(struct msix *x, const struct pci_func *p, const struct msix_out *o, bool pba, uint32_t rel,
    unsigned size, uint64_t *v, bool write);

/* ------------------------------------------------------------------ intx.c */

struct intx {
	uint8_t isr;			/* ISR status byte */
	bool level;			/* INTx line as last announced */
	bool deassert;			/* deferred line update after an ISR read */
	bool latched;			/* the profile's intx_latched: the line follows state */
	bool state;			/* latched: the function's interrupt state (PCI status bit 3) */
};

/* What the line should be: ISR bits under isr_mask, unless MSI-X is on or INTx disabled. */
bool intx_wanted(const struct intx *x, const struct pci_func *p, bool msix_on, uint8_t isr_mask);
/* Announce a line change (IRQ event). */
void intx_update(struct intx *x, const struct pci_func *p, struct evbus *bus, bool msix_on, uint8_t isr_mask,
    const char *why);
/* Reading the ISR returns and clears it; the line drops after the access is logged. */
uint8_t intx_isr_read(struct intx *x);

/* ------------------------------------------------------------------ profile.c */

enum vpci_rkind { R_COMMON, R_ISR, R_DEVICE, R_NOTIFY, R_MSIX_TABLE, R_MSIX_PBA, R_LEGACY };

/* One virtio structure: its capability slot and where it lives in the structures BAR. */
struct vpci_place {
	enum vpci_rkind kind;
	uint8_t cap_at;			/* config-space offset of its vendor capability */
	uint32_t off;			/* offset in the structures BAR */
	uint32_t len;			/* region length; 0: exactly the structure's size */
};

/*
 * A layout profile: where everything is and how the device behaves where
 * QEMU and the letter of the spec disagree. Every difference is a named
 * switch here; code tests switches, never the profile's name.
 */
struct vpci_profile {
	const char *name;
	int id;				/* VDEV_LAYOUT_* (checkpoints and the trace header) */
	uint16_t subsys_id;		/* 0: 0x40 + device id */
	uint8_t msix_bar, msix_cap;
	uint8_t struct_bar;
	unsigned struct_bar_flags;	/* PCI_BAR_* */
	uint32_t struct_bar_size;
	uint32_t notify_mult;
	uint8_t pcicfg_cap;
	struct vpci_place place[4];	/* in capability order */
	bool caps_newest_first;		/* QEMU's pci_add_capability prepends */
	bool device_cap_always;		/* else omitted for a device without config */
	/* policy switches */
	bool fatal_breaks_device;	/* a fatal violation marks the device broken (QEMU virtio_error); else the queue stops */
	bool queue_live_before_driver_ok;	/* queues run once enabled, whatever the status */
	bool notify_before_driver_ok_runs;	/* a kick before DRIVER_OK still runs the handler */
	bool keep_features_on_reset;	/* feature selectors and driver_feature survive a reset */
	bool features_ok_despite_bad;	/* unoffered bits masked, FEATURES_OK sticks */
	bool needs_reset_sticky;	/* only a reset clears NEEDS_RESET */
	bool driver_feature_after_ok_kept;	/* the register keeps a late write */
	bool queue_enable_bad_fatal;	/* queue_enable != 1 breaks the device */
	bool enable_before_features_ok;	/* queue_enable before FEATURES_OK proceeds */
	bool refused_queue_reads_enabled;	/* queue_enable reads 1 even if the rings were refused */
	bool queue_size_lenient;	/* any size 1..1024 (non power of two, over max) accepted */
	bool queue_size_live;		/* a running queue takes a queue_size write at once, its rings mapped as before */
	bool remap_on_commit;		/* a change of the memory map (BARs, bus mastering) maps every queue's rings again */
	uint32_t queue_select_limit;	/* writes >= this are dropped (0: all stored) */
	bool common_lax_size;		/* mismatched sizes dispatch on the start offset */
	bool isr_lax;			/* ISR reads ignore offset and size */
	bool notify_strict;		/* notify: 2 bytes of the queue index at the queue's offset */
	bool pcicfg_any_bar;		/* the pci_cfg window always targets the structures BAR */
	bool isr_with_msix;		/* ISR bits set even when MSI-X delivers */
	uint8_t intx_isr_mask;		/* ISR bits that drive the INTx line */
	uint8_t config_isr;		/* ISR bits a config interrupt sets */
	bool generation_on_notify;	/* config_generation bumps when a config interrupt goes out */
	bool generation_on_change;	/* config_generation counts every device-config change */
	bool intx_status_bit;		/* PCI status bit 3 follows the INTx line */
	/* the legacy register block (transitional and legacy transports) */
	bool legacy_lax_size;		/* registers answer any access size at their offset (QEMU ignores the size) */
	bool legacy_msix_regs;		/* the two vector registers appear while MSI-X is on (device config moves to 24) */
	uint32_t legacy_features;	/* shown to legacy drivers only (QEMU's VIRTIO_LEGACY_FEATURES) */
	bool legacy_bad_feature;	/* a driver acking VIRTIO_F_BAD_FEATURE gets no features at all */
	bool legacy_features_as_qemu;	/* guest_features is QEMU's virtio_set_features: refused at FEATURES_OK, driver_feature kept */
	bool legacy_pfn0_resets_device;	/* queue_pfn 0 resets the whole device (QEMU), else only that queue */
	bool legacy_pfn_ring_only;	/* queue_pfn places the ring only: queue_enable and the modern addresses stay as written */
	bool modern_takes_legacy_features;	/* a modern driver's ack of legacy_features bits is negotiated (QEMU's host_features) */
	bool legacy_status_sets_master;	/* status ACK|DRIVER turns on bus mastering (QEMU's fix for old Linux) */
	bool bar_split;			/* BAR accesses cut in aligned pieces like QEMU's address_space_rw; holes read 0 */
	bool cfg_unaligned_pieces;	/* an unaligned config access inside a dword is taken in aligned pieces */
	bool cfg_spare_writable;	/* config bytes 0x40..0xff outside capabilities are writable */
	bool bar_decode;		/* COMMAND's MEM and IO bits map the BARs; unmapped, QEMU's unassigned answers */
	bool master_off_drops_driver_ok;	/* clearing bus mastering in COMMAND clears DRIVER_OK */
	bool queue_regs_per_select;	/* every queue_select below 1024 keeps its own queue registers */
	bool queue_reset_any;		/* queue_reset works whether RING_RESET was negotiated or not */
	bool latency_timer_writable;	/* config byte 0x0d takes writes */
	bool queue_reset_keeps_addrs;	/* queue_reset leaves queue_desc/driver/device as written */
	bool msix_ctrl_whole;		/* MSI-X vector control keeps all 32 bits written */
	uint16_t command_wmask;		/* writable COMMAND bits (0: IO MEM MASTER PARITY SERR INTX_DISABLE) */
	bool intx_latched;		/* INTx state set at a notify with MSI-X off, cleared by an ISR read or MSI-X on */
	bool msix_msi_window;		/* an MSI-X message outside the x86 interrupt window is only a memory write */
	bool msix_unuse_clears_pending;	/* a vector left without a queue or config using it, and a reset, clear its pending bit */
	struct virtq_policy ring;	/* what the ring code does with the same choices */
};

const struct vpci_profile *vpci_profile_find(int id);

/*
 * Where a transport puts its parts under a layout: one row per (layout,
 * transport). Behaviour stays the layout's; only placement and identity
 * change with the transport.
 */
struct vpci_transport {
	const char *name;		/* "transitional" */
	int layout, transport;		/* VDEV_LAYOUT_*, VDEV_TRANSPORT_* */
	bool modern;			/* the virtio capabilities and the structures BAR */
	uint8_t legacy_bar;		/* I/O BAR of the legacy block; VPCI_NO_BAR: none */
	uint8_t msix_bar, msix_cap;	/* VPCI_NO_BAR: the layout's */
};
#define VPCI_NO_BAR	0xff
const struct vpci_transport *vpci_transport_find(int layout, int transport);
/* Legacy PCI device id of a virtio device id (spec 4.1.2.3), 0 if it has none. */
uint16_t vpci_legacy_device_id(uint8_t virtio_id);
/* Config space, capabilities, BARs, regions and MSI-X of d from its profile and setup. */
void vpci_layout(struct vpci *d);

/* ------------------------------------------------------------------ vpci.c: transport state */

/* The services handle a device model gets is the transport itself. */
struct vdev_ctx {
	struct vpci *d;
};

/*
 * How the device reacts to a violation. FATAL follows the profile's
 * fatal_breaks_device; both reactions set DEVICE_NEEDS_RESET and raise a
 * config interrupt.
 */
enum vpci_react { REACT_REPORT, REACT_FATAL };

#define VPCI_NO_VECTOR	VIRTIO_MSI_NO_VECTOR

struct vpci_region {
	enum vpci_rkind kind;
	uint8_t bar;
	uint32_t off, len;
};

struct vpci_qregs {
	uint16_t size;			/* queue_size register */
	/*
	 * QEMU's VirtIOPCIQueue.num: the last queue_size written, whatever it
	 * was (0 after a reset); queue_enable maps the ring with it when valid
	 * (queue_size_lenient). It differs from size only on a queue that went
	 * and came back or moved (vpci_set_queue_count), and is kept for
	 * queues only, not for selects without one.
	 */
	uint16_t num;
	uint16_t vector;
	uint16_t enable;
	uint16_t reset;
	uint32_t desc[2], avail[2], used[2];
};

/* The transport's state; the machine files share it. */
struct vpci {
	struct vdev_ctx *ctx;
	struct evbus *bus;
	struct gmem *m;
	const struct vdev_ops *ops;
	void *dev;
	const struct vpci_profile *prof;
	const struct vpci_transport *xp;
	/* setup, kept for checkpoint loads (which build a scratch device) */
	struct vpci_setup setup;
	uint8_t devcfg_copy[256];
	struct vpci_ram ram_copy[16];
	struct vpci_ram unassigned_copy[8];
	struct vpci_ram rom_copy[4];
	char *serial_copy;
	uint16_t nq;			/* queues there now (vpci_set_queue_count), at most nqall */
	uint16_t nqall;			/* queues the device was made with; q, qname, qmax0 have as many */
	uint64_t offered;
	uint32_t devcfg_size;
	struct pci_func pci;
	uint8_t cap_common, cap_notify, cap_isr, cap_device, cap_pcicfg;
	struct vpci_region reg[8];
	unsigned nreg;
	/* MSI-X and INTx */
	struct msix msix;
	struct intx intx;
	/* transport registers */
	uint32_t dfselect, gfselect;
	uint32_t gf[2];
	uint64_t live;			/* QEMU's guest_features: set by each driver_feature write before FEATURES_OK, 0 after a reset */
	uint64_t features;		/* negotiated at FEATURES_OK */
	uint16_t msix_config;
	uint8_t status;
	uint8_t generation;
	uint16_t queue_select;
	bool broken;			/* fatal_breaks_device: a fatal violation happened, until reset */
	bool legacy;			/* the driver negotiated through the legacy block (until reset) */
	bool in_pieces;			/* bar_pieces: a piece's bar-access-bad is the reported whole access's */
	bool in_window;			/* pcicfg_window: the access reaches the region itself, mapped or not */
	uint64_t stimulus;		/* guest writes and host inputs so far (the rings' work bound counts per one) */
	/* per queue, nq entries each (allocated: small devices do not pay for 1024 queues) */
	uint16_t *qmax;			/* maximum sizes of the queues there now (0: gone) */
	uint16_t *qmax0;		/* and of those the device was made with */
	struct vpci_qregs *qr;		/* nqr of them: the queues, then registers of selects without a queue */
	unsigned nqr;
	struct virtq **q;
	char (*qname)[VIRTQ_NAME_MAX];
};

/* Register naming (vpci-name.c). */
void vpci_name_cfg(const struct vpci *d, uint32_t off, unsigned size, char *out, size_t n);
void vpci_name_bar(const struct vpci *d, unsigned bar, uint64_t off, unsigned size, char *out, size_t n);

/* Transport core services for the region handlers (vpci.c; vpci_devcfg_access and vpci_windows in vpci-access.c). */
int vpci_violate(struct vpci *d, enum violation v, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
int vpci_violate_v(struct vpci *d, const char *name, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));
void vpci_note(struct vpci *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vpci_note_v(struct vpci *d, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void vpci_queue_irq(struct vpci *d, unsigned qi);
/* cfg_change: the device config bytes changed, as opposed to a NEEDS_RESET announcement. */
void vpci_config_irq(struct vpci *d, bool cfg_change);
void vpci_set_status(struct vpci *d, uint8_t v);
void vpci_bus_master(struct vpci *d, bool on);
uint64_t vpci_cur_features(const struct vpci *d);
/*
 * The legacy-only feature bits (the profile's and the device type's, QEMU's
 * VIRTIO_LEGACY_FEATURES and vdc->legacy_features): a legacy driver sees them
 * beside the offered ones; under modern_takes_legacy_features a modern
 * driver's ack of them sticks.
 */
uint32_t vpci_legacy_only(const struct vpci *d);
/* What a modern driver's driver_feature can negotiate: the offered bits, under QEMU its legacy-only ones too. */
uint64_t vpci_modern_takes(const struct vpci *d);
uint16_t vpci_check_vector(const struct vpci *d, uint64_t v);
void vpci_set_vector(struct vpci *d, uint16_t *slot, uint64_t v);
void vpci_queue_reset(struct vpci *d, unsigned qi);
/* The device now has n queues, queue i with the maximum size of made queue from[i] (NULL: i); vdev_set_queues. */
void vpci_set_queue_count(struct vpci *d, unsigned n, const unsigned *from);
/* A driver-feature write the device takes (QEMU's virtio_set_features): tell the model. */
void vpci_features_written(struct vpci *d, uint64_t features);
/* Tell guest memory where the function's memory BARs are mapped (after a config write or a load). */
void vpci_windows(struct vpci *d);
#define VPCI_MAP_STATE	7		/* 6 BARs and bus mastering */
#define VPCI_UNMAPPED	(~0ull)
void vpci_map_state(const struct vpci *d, uint64_t st[VPCI_MAP_STATE]);
void vpci_map_commit(struct vpci *d, const uint64_t before[VPCI_MAP_STATE]);
void vpci_gate(struct vpci *d);		/* tell the rings whether they may run (after status/broken change) */
bool vpci_intx_wanted(const struct vpci *d);
bool vpci_msix_on(const struct vpci *d);
/* Where an MSI-X message of d goes (the bus, guest RAM, the ISR). */
struct msix_out vpci_msix_out(const struct vpci *d);
/* Bring the INTx line to what the ISR and MSI-X state want, announcing a change. */
void vpci_intx_sync(struct vpci *d, const char *why);
void vpci_devcfg_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write);
void vpci_notify_queue(struct vpci *d, unsigned qi, uint64_t at);	/* at: register offset, for the report */
/* Report what the ring decided, with the profile's reaction; returns -1 if r held an error. */
int vpci_ring_reports(struct vpci *d, unsigned qi, const struct virtq_result *r);
/* Map queue qi's rings again as QEMU does at a memory commit or a queue_enable (remap_on_commit); when: for the report. */
void vpci_map_again(struct vpci *d, unsigned qi, const char *when);

/* The modern register regions (virtio-pci-modern.c). */
void vpci_modern_access(struct vpci *d, enum vpci_rkind k, uint32_t rel, unsigned size, uint64_t *v, bool write);
/* One common-config field (VPCI_CF_*), as the common region reads and writes it; the legacy block shares them. */
uint64_t vpci_common_get(struct vpci *d, int f, unsigned half);
void vpci_common_set(struct vpci *d, int f, unsigned half, uint64_t v);

/* The legacy register block (virtio-pci-legacy.c). */
void vpci_legacy_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write);
/* Size of the legacy I/O BAR: registers plus device config, rounded up to a power of two (QEMU). */
uint32_t vpci_legacy_bar_size(const struct vpci *d, bool msix);
/* Offset of device config in the legacy block right now (20, or 24 while MSI-X is on). */
uint32_t vpci_legacy_config_off(const struct vpci *d);
/* Features a legacy driver may ack: the low 32 offered plus the profile's legacy-only ones. */
uint64_t vpci_legacy_offered(const struct vpci *d);
/* The driver is legacy: it negotiated through the legacy block, or the device has no other. */
bool vpci_is_legacy(const struct vpci *d);
/* The checkpoint byte naming layout and transport (the layout alone for modern devices). */
uint8_t vpci_profile_byte(const struct vpci *d);

#endif
