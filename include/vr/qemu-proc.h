/* qemu-proc.h -- a QEMU process spoken to over the qtest protocol (spawn, commands, IRQ lines, stderr) */
#ifndef VR_QEMU_PROC_H
#define VR_QEMU_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One qemu-system-x86_64 started with `-qtest stdio`: the parent writes
 * qtest commands on QEMU's standard input and reads the replies ("OK ...",
 * "FAIL ...", "ERR ...") from its standard output; asynchronous "IRQ raise N"
 * / "IRQ lower N" lines (after irq_intercept_in) go to a callback. QEMU's
 * standard error (virtio_error() messages, warnings) is collected line by
 * line for the caller (qemu_stderr_take).
 *
 * Every read waits at most the timeout. A timeout, QEMU exiting, or a FAIL
 * reply make the process "failed": the first cause is kept (qemu_error),
 * later commands do nothing and reads return all-ones, so a caller that
 * cannot propagate errors per access (a guest_port) checks once at the end.
 *
 * Debian's QEMU has no qtest accelerator: the process runs TCG. Some devices
 * work only while the VM runs (virtio-net and virtio-rng check vm_running),
 * so callers give a firmware image that only halts (bios) rather than -S;
 * qtest drives memory and I/O directly either way.
 */

#define QEMU_DEFAULT_BINARY	"qemu-system-x86_64"
#define QEMU_TIMEOUT_MS		10000u
#define QEMU_MAX_ARGS		192	/* 31 virtio-serial ports take 4 each */

struct qemu_opts {
	const char *binary;		/* NULL: QEMU_DEFAULT_BINARY found on PATH */
	const char *machine;		/* NULL: "pc" */
	uint64_t ram_mb;		/* -m */
	const char *bios;		/* firmware image; NULL: none run (-S: the CPU never starts) */
	const char *args[QEMU_MAX_ARGS];	/* extra arguments (devices, backends), NULL-terminated */
	int keep_fds[8];		/* descriptors the child inherits (netdev fd=, fds=), -1 unused */
	unsigned timeout_ms;		/* per reply; 0: QEMU_TIMEOUT_MS */
	/* Asynchronous "IRQ raise/lower N" lines (may be NULL). */
	void (*irq)(void *opaque, unsigned line, bool raised);
	void *irq_opaque;
};

struct qemu;

/* Start QEMU and check it answers. NULL + cause: not found (says so), or died (with its stderr). */
struct qemu *qemu_start(const struct qemu_opts *o, char **cause);
/* Kill (SIGTERM, then SIGKILL), wait for it, free. NULL is a no-op. */
void qemu_stop(struct qemu *q);

bool qemu_failed(const struct qemu *q);
const char *qemu_error(const struct qemu *q);	/* the first failure, or NULL */
/* The command line as one string (for messages and trace titles). */
const char *qemu_cmdline(const struct qemu *q);

/* Port I/O and MMIO / RAM access of size 1, 2, 4 or 8 (ports: 1, 2, 4). */
void qemu_out(struct qemu *q, unsigned size, uint16_t port, uint32_t v);
uint32_t qemu_in(struct qemu *q, unsigned size, uint16_t port);
void qemu_write(struct qemu *q, unsigned size, uint64_t addr, uint64_t v);
uint64_t qemu_read(struct qemu *q, unsigned size, uint64_t addr);
/* Bytes into / out of guest memory (qtest write/read). 0 / -1 (the process failed). */
int qemu_memwrite(struct qemu *q, uint64_t addr, const void *p, size_t len);
int qemu_memread(struct qemu *q, uint64_t addr, void *p, size_t len);
/* Any command; *reply (if not NULL) gets what followed "OK" (caller frees). 0 / -1. */
int qemu_cmd(struct qemu *q, char **reply, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Read whatever QEMU has written meanwhile (IRQ lines are dispatched), waiting at most ms. */
void qemu_poll(struct qemu *q, unsigned ms);

/*
 * The next complete line QEMU wrote on stderr since the last call
 * (without the newline; caller frees), or NULL. Non-blocking.
 */
char *qemu_stderr_take(struct qemu *q);

/* PCI config space of bus 0 through ports 0xcf8/0xcfc (the i440fx/q35 mechanism #1). */
uint32_t qemu_pci_read(struct qemu *q, unsigned devfn, uint32_t off, unsigned size);
void qemu_pci_write(struct qemu *q, unsigned devfn, uint32_t off, unsigned size, uint32_t v);

#endif
