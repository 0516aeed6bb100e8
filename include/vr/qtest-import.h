/* qtest-import.h -- turn a QEMU -qtest-log log or a qtest command stream into a trace */
#ifndef VR_QTEST_IMPORT_H
#define VR_QTEST_IMPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/qemu-cmdline.h"
#include "vr/trace.h"

/*
 * Three inputs are accepted (see virtio-replay(1), import):
 *   - a -qtest-log log: "[R +T] request" lines each followed by its
 *     "[S +T] OK [VALUE]" reply, and asynchronous "[S +T] IRQ raise N";
 *   - a plain qtest command stream, one command a line;
 *   - the shell form of bug reports, a command stream in a here-document:
 *     cat << EOF | qemu-system-x86_64 ARGS -qtest stdio ... EOF
 *   - QEMU's C reproducers (tests/qtest/fuzz-*-test.c): the command line
 *     from qtest_init("..."), one libqtest call (qtest_outl(s, A, V),
 *     qtest_bufwrite(s, A, "\x..", N), ...) a line, as a stream.
 *
 * The import follows PCI configuration accesses through ports 0xcf8/0xcfc
 * and q35's ECAM window (where PCIEXBAR puts it, once enabled) to the
 * virtio function, follows the BARs the guest programs (QEMU's
 * modern layout: MSI-X in BAR 1, the virtio structures in the 64-bit
 * BAR 4) to turn absolute MMIO addresses into BAR offsets, and keeps RAM
 * stores (mem) and, from a log, RAM read-backs (mem-read) and the device's
 * answers to reads. Accesses to anything else are dropped.
 *
 * Header facts come from the QEMU command line (device, -m, serial=,
 * vectors=, the drive's size, feature properties) and from what a log shows
 * QEMU answered (offered features, queue count and sizes, class code,
 * revision, subsystem IDs, the device ID when there is no command line).
 *
 * Everything is checked before anything is written: bad input gives one
 * message "FILE: line N: ..." (or "FILE: ..." for the whole input).
 */

#define QTEST_IMPORT_MAX_FILE	(256u << 20)	/* bytes of input read */

struct qtest_import;

/*
 * Read and check the whole input. cmdline: the QEMU command line when the
 * input has none (a log), else NULL (an input's own command line wins).
 * qemu: what QEMU 7.2 offers, as the device models give it (import cannot
 * see them). The header's features are that offer with the command line's
 * feature properties applied, and with each half of the feature register
 * the log shows QEMU answered in place of the offer's (a legacy driver's
 * host_features read is the low half, less the legacy-only bits). NULL:
 * features only when the log shows both halves.
 */
struct qtest_import_qemu {
	/* the offer for a device type with nqueues queues (0: its default count), default properties */
	uint64_t (*offer)(uint8_t device, uint16_t nqueues);
	/* the bits a legacy driver sees beside the offer's low half (QEMU's vdc->legacy_features; has_v1: transitional) */
	uint32_t (*legacy_only)(uint8_t device, bool has_v1);
};

struct qtest_import *qtest_import_open(const char *path, const char *cmdline, const struct qtest_import_qemu *qemu,
    char **cause);
void qtest_import_free(struct qtest_import *qi);

const struct trace_header *qtest_import_header(const struct qtest_import *qi);
/* What the command line said (device "" if it named none). */
const struct qemu_cmdline *qtest_import_cmdline(const struct qtest_import *qi);
/* "log", "stream", "shell" or "C" */
const char *qtest_import_form(const struct qtest_import *qi);
unsigned qtest_import_devfn(const struct qtest_import *qi);

struct qtest_import_stats {
	uint64_t lines;			/* qtest lines read */
	uint64_t events;		/* trace events written */
	uint64_t dropped;		/* accesses to other functions and devices */
};

/* Write the events (the header is qtest_import_header's). 0, or -1 if the writer failed. */
/*
 * Call fn about every 4096 events qtest_import_write writes, with the
 * number of events the input holds (as counted while reading it at open).
 */
void qtest_import_set_progress(struct qtest_import *qi, void (*fn)(void *opaque, uint64_t events, uint64_t total),
    void *opaque);
int qtest_import_write(struct qtest_import *qi, struct trace_writer *w, struct qtest_import_stats *st,
    char **cause);

#endif
