/* qemu-cmdline.h -- what a QEMU command line says about the machine and its one virtio PCI function */
#ifndef VR_QEMU_CMDLINE_H
#define VR_QEMU_CMDLINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/trace.h"

/*
 * Import reads the command line of a bug report ("qemu-system-x86_64 -M q35
 * -device virtio-blk-pci,drive=d0,serial=X -drive ...") and export writes
 * one. Only what changes the guest-visible device is kept; everything else
 * is accepted and ignored. Words are split like a POSIX shell does for the
 * simple cases reports use: blanks, '...' and "..." quotes, backslashes.
 */

#define QEMU_DEFAULT_RAM	(128ull << 20)	/* QEMU's default -m */
#define QEMU_EXPORT_SLOT	4		/* export puts the function at 00:04.0 */
#define QEMU_MAX_WORDS		512

struct qemu_cmdline {
	bool have_program;		/* a qemu-system-* word was found */
	char program[64];
	bool q35;			/* -M q35 (pc-q35-*); else pc (i440fx) */
	uint64_t ram;			/* -m, bytes */
	bool nodefaults;
	/* The virtio PCI function: the first -device virtio-* / vhost-* */
	char device[64];		/* "" if none */
	int devfn;			/* from addr=SLOT[.FN]; -1 if not given */
	bool legacy;			/* a legacy I/O BAR exists (transitional, disable-legacy not on) */
	bool modern;			/* disable-modern not on */
	char serial[TRACE_MAX_SERIAL];	/* serial= of the device, or of its scsi-hd */
	int vectors;			/* vectors=; -1 if not given */
	uint64_t disk_size;		/* the drive behind it (size= or the file's size); 0: none */
	const char *drive_dir;		/* qemu_cmdline_parse's drive_dir */
	char drive_note[256];		/* the drive file that was not looked at, and why; "" when none */
	bool discard_unmap;		/* that drive's discard=unmap (or on) */
	int write_cache;		/* write-cache= of the device or its scsi-hd, or the drive's cache mode:
					   1 on, 0 off, -1 not said (QEMU's default: on) */
	unsigned ndevices;		/* virtio -device options seen (only the first is used) */
	/* Feature bits the device's properties turn on or off against QEMU 7.2's defaults (its offer is
	   the model's default offer with these applied) */
	uint64_t features_on, features_off;
	int nqueues;			/* virtio-blk num-queues N: N, virtio-scsi num_queues N: 2 + N; -1 not given */
	bool has_mac;			/* virtio-net's mac= (not all zeros, which is QEMU's "unset") ... */
	uint8_t mac[6];			/* ... the device config's first 6 bytes */
	/* virtio-serial-pci's own properties (QEMU 7.2) and the ports on its bus */
	int max_ports;			/* max_ports= (1..511); -1 if not given (QEMU: 31) */
	int emergency_write;		/* emergency-write=: 1 on, 0 off, -1 not given (QEMU: on) */
	int32_t pci_class;		/* virtio-serial's or virtio-blk's class= as QEMU keeps it (24-bit class
					   code); -1 if not given */
	char ports_note[96];		/* how its virtconsole/virtserialport devices differ from the
					   ports the console model has; "" when they do not */
};

/*
 * Parse the words of a command line (text may hold several lines, joined
 * where they end in a backslash). 0, or -1 with cause ("-m 12Q: bad size").
 * drive_dir: the directory a -drive file= is looked up in for the disk's
 * size (the log's: the command line is as untrusted as the log); only a
 * plain file name there is looked at, never through a symlink. NULL: no
 * file is looked at. Either way a file not looked at is named in drive_note.
 */
int qemu_cmdline_parse(const char *text, size_t len, const char *drive_dir, struct qemu_cmdline *c, char **cause);

/* The QEMU -device name export uses for a virtio device type, or NULL. */
const char *qemu_device_name(uint8_t device);

struct buf;
/*
 * ",mac=xx:xx:xx:xx:xx:xx" onto a -device value when h is a net trace whose
 * devcfg holds the MAC (its first six bytes; import's mac= read back).
 */
void qemu_mac_prop(struct buf *b, const struct trace_header *h);

#endif
