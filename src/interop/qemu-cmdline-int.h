/* qemu-cmdline-int.h -- shared by qemu-cmdline.c (words, option values, the machine, the drive) and qemu-props.c (-device properties) */
#ifndef VR_QEMU_CMDLINE_INT_H
#define VR_QEMU_CMDLINE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vr/qemu-cmdline.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- QEMU option values: "name,key=value,key=value" (",," is a literal comma) ---- */

/* Value of key in an option string, into out (cap bytes); key "" is the first item if it has no '='. */
bool qc_opt_get(const char *opts, const char *key, char *out, size_t cap);
/* The driver of a -device/-drive value: the first item, or driver=. */
void qc_opt_driver(const char *opts, char *out, size_t cap);
bool qc_is_on(const char *v);
/* An on/off option: 1, 0, or -1 when absent or auto. */
int qc_on_off(const char *opts, const char *key);
/* A uint32 property as QEMU reads one: a number in decimal, 0x hex or 0 octal, the whole word. */
int qc_parse_u32(const char *s, uint32_t *out);
/* A bool property as QEMU reads one: 1, 0, or -1 for a word it refuses. */
int qc_parse_bool(const char *s);
/* A size with an optional k/M/G/T suffix; no suffix: unit (bytes for size=, MiB for -m). */
int qc_parse_size(const char *s, uint64_t unit, uint64_t *out);

/* ---- the properties of the virtio -device (qemu-props.c) ---- */

/*
 * The properties of the virtio -device drv (options val) that change what
 * the guest sees: feature bits of the offer, queue counts, class; a value
 * the model cannot honour is refused. c->legacy and c->modern already read.
 */
int qc_device_props(struct qemu_cmdline *c, const char *drv, const char *val, char **cause);
/*
 * A SCSI device (-device scsi-*) on the bus of the virtio-scsi function, the
 * nth (from 0): the one scsi-hd the model has, its properties that change
 * what the guest sees at QEMU's defaults; anything else is refused.
 */
int qc_scsi_device(struct qemu_cmdline *c, const char *drv, const char *val, unsigned nth, char **cause);

/*
 * QEMU 7.2's MAC for each NIC (net/net.c, qemu_macaddr_default_if_unset):
 * one with mac=52:54:00:12:34:xx takes xx; one without takes the lowest xx
 * from 0x56 up that no NIC made before it took. qc_nic_made: one more NIC
 * (opts: its option string, NULL: none; key: "mac", or -net's "macaddr"),
 * its MAC into mac.
 */
struct qc_macs {
	uint8_t used[256];
};
void qc_nic_made(struct qc_macs *m, const char *opts, const char *key, uint8_t mac[6]);
/* A -device driver QEMU 7.2 makes a NIC of (one that asks a MAC). */
bool qc_is_nic(const char *drv);

/* ---- virtio-serial-pci's properties and the ports on its bus (QEMU 7.2's virtio-serial-bus.c) ---- */

#define SERIAL_MAX_PORTS	511	/* VIRTIO_QUEUE_MAX / 2 - 1: QEMU's bound on max_ports */
#define SERIAL_DEFAULT_PORTS	31

struct serial_bus {
	bool on;				/* the virtio function is a virtio-serial */
	uint8_t used[(SERIAL_MAX_PORTS + 7) / 8];	/* port ids taken */
	uint8_t console[(SERIAL_MAX_PORTS + 7) / 8];	/* ... by a virtconsole */
	bool named, bare;			/* a port with name=, one without chardev= */
	unsigned named_id, bare_id;
};

int qc_serial_device(struct qemu_cmdline *c, const char *drv, const char *val, char **cause);
int qc_serial_port(struct qemu_cmdline *c, struct serial_bus *sb, const char *drv, const char *val, char **cause);
void qc_serial_ports_note(struct qemu_cmdline *c, const struct serial_bus *sb);

#endif
