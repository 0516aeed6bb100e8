/* vdev.h -- the device ops table: what a device model (blk, net, ...) implements and may call */
#ifndef VR_VDEV_H
#define VR_VDEV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/buf.h"
#include "vr/event.h"
#include "vr/virtio-spec.h"
#include "vr/virtq.h"

/*
 * Device models do not know the transport (kvmtool's rule): they see their
 * queues, their device-config bytes and a context of services below.
 * Everything a model consumes from the host side arrives through ops->input
 * (from trace INPUT events) or the setup's backends, so replay is deterministic.
 */

/* Layout profiles; the same values as enum trace_layout (the machine layer does not include trace.h). */
#define VDEV_LAYOUT_QEMU	0
#define VDEV_LAYOUT_VBOX	1

/* Transports; the same values as enum trace_transport. */
#define VDEV_TRANSPORT_MODERN		0	/* VirtIO 1.0 capabilities only (device id 0x1040 + id) */
#define VDEV_TRANSPORT_TRANSITIONAL	1	/* legacy I/O BAR0 plus the modern capabilities (0x1000 + n) */
#define VDEV_TRANSPORT_LEGACY		2	/* legacy I/O BAR0 only (virtio 0.9.5) */

struct vdev_ctx;	/* implemented by the transport (vpci) */

/* Services a model may use. */
struct virtq *vdev_queue(struct vdev_ctx *ctx, unsigned index);	/* NULL if out of range */
unsigned vdev_num_queues(const struct vdev_ctx *ctx);	/* there now */
/*
 * The device now has n of the queues it was made with (QEMU's
 * virtio_del_queue/virtio_add_queue while running): queue i takes the
 * maximum size and name of made queue from[i] (NULL: its own); those past n
 * are gone. A queue that changes starts over with its ring reset.
 */
void vdev_set_queues(struct vdev_ctx *ctx, unsigned n, const unsigned *from);
/*
 * A queue vdev_set_queues took away (index from vdev_num_queues up to the
 * queues the device was made with) as QEMU keeps it after virtio_del_queue:
 * true if its rings were set up (QEMU's vring.avail stays, so
 * virtio_queue_ready holds), *last_avail (if not NULL) its next avail slot
 * to take (last_avail_idx stays too); false for any other queue.
 */
bool vdev_queue_gone(struct vdev_ctx *ctx, unsigned index, uint16_t *last_avail);
/* QEMU's virtio_device_disabled: a fatal violation broke the device (until a reset). */
bool vdev_broken(const struct vdev_ctx *ctx);
uint64_t vdev_features(const struct vdev_ctx *ctx);		/* negotiated */
bool vdev_has_feature(const struct vdev_ctx *ctx, unsigned bit);
int vdev_layout(const struct vdev_ctx *ctx);			/* enum trace_layout value */
struct evbus *vdev_bus(struct vdev_ctx *ctx);
/* Name queue index for logs and events (the seed's attach); names come from ops->queue_name first. */
void vdev_queue_attach(struct vdev_ctx *ctx, unsigned index, const char *name);
/* The device gives up (the seed's reset-all): DEVICE_NEEDS_RESET and a config interrupt. */
void vdev_reset_all(struct vdev_ctx *ctx);
/* Device config changed: bump config_generation and raise a config interrupt. */
void vdev_config_changed(struct vdev_ctx *ctx);
/* Emit a violation event; if needs_reset, set DEVICE_NEEDS_RESET + config interrupt. */
void vdev_violation(struct vdev_ctx *ctx, const char *name, int queue, int desc, uint64_t addr,
    bool needs_reset, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void vdev_note(struct vdev_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Guest RAM access for models that need it beyond their chains (checked; -1 if outside RAM). */
int vdev_dma_read(struct vdev_ctx *ctx, uint64_t addr, void *dst, uint32_t len);
int vdev_dma_write(struct vdev_ctx *ctx, uint64_t addr, const void *src, uint32_t len, const char *what);

/* Host-side backend declaration copied from the trace header. */
struct vdev_backend {
	const char *type;		/* "disk" */
	uint64_t size;
	const char *image;		/* absolute or cwd-relative path, or NULL for inline/zero */
	const uint8_t *sha256;		/* 32 bytes, or NULL */
	bool has_fd;			/* image is open as fd already (replay confines images so); */
	int fd;				/* the backend reads through a dup() of it, image only names it */
};

struct vdev_ops;

struct vdev_setup {
	const struct vdev_ops *ops;	/* the ops being created (the generic device reads its shape there) */
	uint64_t offered;		/* features offered, from the trace */
	const uint8_t *devcfg;		/* initial device-config bytes, from the trace */
	uint16_t devcfg_len;
	uint16_t nqueues;
	int layout;			/* enum trace_layout */
	const struct vdev_backend *backends;
	unsigned nbackends;
	const char *serial;		/* NULL: none configured */
	unsigned disk;			/* VDEV_DISK_*: the disk options of blk and scsi */
};

/* Disk options (struct vdev_setup.disk); none set: QEMU's defaults, discard=ignore and write-cache=on. */
#define VDEV_DISK_UNMAP		0x1u	/* discard=unmap: discarded blocks read back as zeros */
#define VDEV_DISK_NO_WCACHE	0x2u	/* write-cache=off: the disk starts write-through */

/*
 * Host input types (struct vdev_input.type). The values are those of the
 * trace layer's enum trace_input_type, which this layer may not include;
 * tests/test_rng.c checks that the two agree.
 */
#define VDEV_IN_FRAME		0	/* net: ethernet frame, addr = queue pair */
#define VDEV_IN_ENTROPY		1	/* rng: entropy bytes */
#define VDEV_IN_DISK		2	/* blk/scsi: disk contents at byte offset addr */
#define VDEV_IN_CONSOLE		3	/* console: bytes for port addr */
#define VDEV_IN_EVENT		4	/* device-specific host event, addr = code */

/* A host-side input, from a trace INPUT event. */
struct vdev_input {
	uint8_t type;			/* VDEV_IN_* */
	uint64_t addr;
	const uint8_t *data;
	uint32_t len;
};

/*
 * What a device is when a trace states nothing about it, per layout profile
 * (ops->defaults[layout]; NULL: the model's own features, 256-entry queues,
 * queues + 1 MSI-X vectors, the whole devcfg_size). The qemu entries are what
 * QEMU 7.2's -device virtio-*-pci offers with its default properties.
 */
#define VDEV_DEFAULT_QUEUES	8
#define VDEV_CONFIG_ENDS	6

/* The ring and transport features QEMU 7.2 offers on every modern virtio-pci device. */
#define VDEV_QEMU_TRANSPORT_FEATURES	VIRTIO_QEMU_TRANSPORT_FEATURES

struct vdev_defaults {
	uint64_t features;		/* offered, transport bits included */
	uint32_t legacy_features;	/* shown to a legacy driver only, beside the profile's (QEMU's vdc->legacy_features) */
	uint32_t bad_features;		/* what a legacy driver acking BAD_FEATURE gets, before the offer (QEMU's bad_features) */
	/*
	 * The device's get_features on a function without VERSION_1 (QEMU's
	 * disable-modern=on): bits it adds to the offer, and legacy-only bits it
	 * takes away (virtio-blk: SCSI on, ANY_LAYOUT off).
	 */
	uint32_t no_v1_on, no_v1_off;
	uint16_t nqueues;		/* 0: ops->default_queues */
	uint16_t queue_size[VDEV_DEFAULT_QUEUES];	/* 0: 256 */
	uint16_t queue_size_rest;	/* queues past the table (0: 256) */
	/*
	 * A trace with more queues than nqueues, or than mq_above when set
	 * (QEMU's num-queues, num_queues, mq=on, virtio-serial's max_ports):
	 * mq_features are offered on top (blk, net: MQ; console: MULTIPORT),
	 * and with ctrl_last the default's last queue stays the last (net's
	 * control queue, its size) while the queues before it take the first
	 * one's size.
	 */
	uint64_t mq_features;
	uint16_t mq_above;
	bool ctrl_last;
	uint32_t pci_class;		/* class << 16 | subclass << 8 | prog-if; 0: the ops' */
	uint8_t pci_revision;		/* 0: 1 (modern) */
	uint16_t subsys_vendor, subsys_id;	/* 0: the profile's */
	uint32_t rom_size;		/* expansion ROM BAR (QEMU's romfile, padded to a power of two); 0: none */
	/* MSI-X table size for a device of nqueues queues (NULL: nqueues + 1, QEMU's rule but for serial) */
	uint16_t (*msix_vectors)(uint16_t nqueues);
	/*
	 * Device-config size as QEMU's virtio_get_config_size() computes it: at
	 * least config_min bytes, extended to the end of each offered feature's
	 * fields (config_min 0: always ops->devcfg_size). Reads past it are out
	 * of range like any read past the config.
	 */
	uint16_t config_min;
	struct {
		uint8_t bit;
		uint16_t end;
	} config_ends[VDEV_CONFIG_ENDS];	/* end 0: unused slot */
};

struct vdev_ops {
	const char *name;		/* "blk" */
	uint8_t id;			/* VIRTIO_ID_* */
	uint8_t pci_class, pci_subclass, pci_progif;
	uint64_t features;		/* device-specific features the model implements */
	uint16_t default_queues;
	uint16_t devcfg_size;		/* bytes of device config the model defines */
	/* Name of queue index (e.g. "requestq", "rx0", "tx0", "ctrl"). */
	void (*queue_name)(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX]);
	/* Fill the default device config under a layout profile (used when the trace gives none). */
	void (*default_config)(uint8_t *cfg, uint16_t len, int layout);
	const struct vdev_defaults *defaults[2];	/* by layout: VDEV_LAYOUT_QEMU, VDEV_LAYOUT_VBOX */
	void *(*create)(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause);
	void (*destroy)(void *dev);
	void (*reset)(void *dev);
	void (*status_changed)(void *dev, bool driver_ok);
	/*
	 * Every device-status write the device takes, with the status it now
	 * holds, before status_changed (QEMU's set_status, which sees each
	 * write, not only DRIVER_OK changes): 0 on a reset, and the status
	 * less DRIVER_OK when bus mastering is cleared under a profile that
	 * drops it. NULL: not wanted.
	 */
	void (*status_written)(void *dev, uint8_t status);
	/*
	 * Every driver-feature write the device takes (QEMU's set_features,
	 * called from virtio_set_features: a modern driver_feature write before
	 * FEATURES_OK, a legacy guest_features write), with the features as the
	 * device now holds them. NULL: not wanted.
	 */
	void (*features_written)(void *dev, uint64_t features);
	void (*queue_notified)(void *dev, unsigned queue);
	/*
	 * QEMU's main loop between two guest accesses (vpci_main_loop): what
	 * the device's backend polls there, each turn, whatever the access was
	 * (virtio-serial's chardev can_read counts the posted rx buffers).
	 * NULL: nothing.
	 */
	void (*main_loop)(void *dev);
	/*
	 * Device config (kvmtool's get_config): the transport owns the access
	 * rules and reads these bytes itself; *len is how many the model has
	 * (bytes past them, up to devcfg_size, read 0). Writes go to cfg_write,
	 * range already checked.
	 */
	const uint8_t *(*get_config)(void *dev, uint32_t *len);
	void (*cfg_write)(void *dev, uint32_t off, const uint8_t *src, uint32_t len);
	/* -1 + cause if the input does not fit this device (bad trace). */
	int (*input)(void *dev, const struct vdev_input *in, char **cause);
	void (*save)(void *dev, struct buf *out);
	int (*load)(void *dev, const uint8_t *p, size_t len, char **cause);
	/*
	 * The device's QEMU handlers push each element and notify once after
	 * their loop (virtio-rng's chr_read, virtio-serial's write_to_port,
	 * handle_output, control_out), so under a profile whose fatal
	 * violations break the device, what was used before a chain that
	 * breaks it is published without an interrupt; false: QEMU notifies
	 * per completion (blk, scsi, net) and it interrupts before the break.
	 */
	bool notify_at_end;
};

/* The table of device models (src/dev/vdev.c). */
const struct vdev_ops *vdev_find(const char *name);
const struct vdev_ops *vdev_find_id(uint8_t id);
extern const struct vdev_ops *const vdev_table[];	/* NULL-terminated */

/*
 * The transport-only device (src/dev/generic.c) stands in for every virtio
 * id without a model: transport, rings and misbehaviour checks as for any
 * device, device config as raw bytes, and each request validated (the chain
 * walked) and then completed or held as the trace says. Its shape (id,
 * queues, config size) comes from the trace, so its ops live in a struct
 * vdev_generic the caller keeps for the device's lifetime.
 */
#define VDEV_MAX_ID		63
#define VDEV_REQ_COMPLETE	0	/* used with len 0, nothing written (enum trace_requests) */
#define VDEV_REQ_HOLD		1	/* left in flight */

struct vdev_generic {
	struct vdev_ops ops;
	uint8_t requests;			/* VDEV_REQ_* */
	uint16_t queue_size[VIRTQ_MAX_QUEUES];	/* the type's usual queue sizes, for traces without queues */
	const char *const *queue_names;		/* NULL-terminated, or NULL: q0, q1, ... */
};

/*
 * The device for virtio id `id` (1..VDEV_MAX_ID; NULL otherwise): its model
 * if there is one, else g->ops, the generic device named `name`, with
 * devcfg_len bytes of config (0: the type's usual size), handling requests
 * per `requests`. vdev_is_generic() tells which one it is.
 */
const struct vdev_ops *vdev_pick(uint8_t id, const char *name, uint16_t devcfg_len, int requests,
    struct vdev_generic *g);
bool vdev_is_generic(const struct vdev_ops *ops);
/* The defaults of ops under layout (NULL: none, the model's own apply). */
const struct vdev_defaults *vdev_defaults(const struct vdev_ops *ops, int layout);
/* Features offered when a trace states none, for a device of nqueues queues (transport bits included, VERSION_1 always). */
uint64_t vdev_default_features(const struct vdev_ops *ops, int layout, uint16_t nqueues);
/*
 * The feature bits a legacy driver sees under layout beside the offer's low
 * half (profile's and device type's); has_v1: the function offers VERSION_1
 * (transitional), else it is legacy-only and the device type's no_v1_off
 * bits are not among them.
 */
uint32_t vdev_legacy_only_features(const struct vdev_ops *ops, int layout, bool has_v1);
/* The device-config size under layout with `offered` features (<= ops->devcfg_size). */
uint16_t vdev_config_size(const struct vdev_ops *ops, int layout, uint64_t offered);
/* Maximum size of queue i of nqueues when a trace states none. */
uint16_t vdev_default_queue_size(const struct vdev_ops *ops, int layout, unsigned i, uint16_t nqueues);
void vdev_generic_init(struct vdev_generic *g, uint8_t id, const char *name, uint16_t devcfg_len, int requests);

#endif
