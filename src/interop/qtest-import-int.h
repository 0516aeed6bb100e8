/* qtest-import-int.h -- the qtest importer's state, shared by qtest-import.c, qtest-access.c, qtest-input.c and qtest-header.c */
#ifndef VR_QTEST_IMPORT_INT_H
#define VR_QTEST_IMPORT_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/pci-bars.h"
#include "vr/qtest-import.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_WORDS	8

/* Common configuration registers (virtio 1.0, 4.1.4.3) at the start of the modern BAR. */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_NUMQ		0x12
#define CC_QSELECT	0x16
#define CC_QSIZE	0x18
#define QEMU_DEVCFG_OFF	0x2000		/* QEMU's modern BAR: the device config region */
#define QEMU_MSIX_CAP	0x98		/* QEMU's MSI-X capability; 0x40 without modern caps */
#define NET_MAC_LEN	6

#define PCI_VENDOR_VIRTIO	0x1af4
#define Q35_PCIEXBAR		0x60		/* MCH (00:00.0) config register placing the ECAM window */
#define Q35_PCIEXBAR_RESET	0xb0000000ull	/* QEMU's reset value: 256 MiB at 0xb0000000, disabled */

enum pass { P_DISCOVER, P_OBSERVE, P_WRITE };
enum form { F_LOG, F_STREAM, F_SHELL, F_C };

struct qtest_import {
	char *path;
	char *text;
	size_t len;
	enum form form;
	size_t body, body_end;		/* byte range of the qtest lines */
	uint64_t body_line;		/* line number of the first of them, minus 1 */
	struct qemu_cmdline cmd;
	const struct qtest_import_qemu *qemu;	/* NULL: no offer known */
	bool have_cmd;
	char *cmdtext;			/* the command line, one line, for the first mark */
	char *dir;			/* the log's directory, where a -drive file= is looked up */
	struct trace_header hdr;
	unsigned devfn;
	bool legacy_used;		/* the input drives the legacy I/O BAR 0 (the header says transitional) */

	/* The state of one pass. */
	enum pass pass;
	uint64_t line;
	uint32_t cf8;
	uint64_t reset_line;		/* line of a machine reset request (port 0xcf9, bit 2); 0: none */
	uint64_t pciexbar;		/* q35: the MCH's PCIEXBAR (00:00.0 0x60) as the guest set it */
	struct pci_bars bars;		/* where the guest placed the function's BARs */
	uint64_t vtime;
	struct trace_writer *w;
	struct qtest_import_stats st;
	uint64_t observed;		/* events the observing pass would have written: progress's total */
	void (*progress)(void *opaque, uint64_t events, uint64_t total);
	void *progress_opaque;
	struct buf data;		/* decoded bytes of one command */
	struct buf reply;		/* decoded bytes of its reply */

	/* P_DISCOVER: which function is the virtio one */
	uint32_t cfg_writes[256];
	int virtio_devfn;
	uint16_t virtio_devid;
	/* P_OBSERVE: what the log shows QEMU answered */
	uint8_t cfg_seen[256], cfg_val[256];
	uint32_t dfselect;
	uint64_t features;
	uint8_t features_seen;		/* bit 0: low half, bit 1: high half */
	bool legacy_features_seen;	/* a legacy driver read host_features ... */
	uint32_t legacy_features;	/* ... and this is what QEMU answered first */
	int numq;			/* -1: not read */
	uint16_t qsel;
	uint16_t qsize[TRACE_MAX_QUEUES];
	uint8_t qsize_state[TRACE_MAX_QUEUES];	/* 0 nothing, 1 read first, 2 written first */
	bool msix_on;			/* MSI-X enabled: a legacy header is 4 bytes longer */
	uint8_t mac[NET_MAC_LEN];	/* net: the MAC bytes read from the device config ... */
	uint8_t mac_state[NET_MAC_LEN];	/* ... per byte: 0 nothing, 1 read first, 2 written first */
};

/* "PATH: line N: ..." into *cause; -1. */
int qi_fail(struct qtest_import *qi, char **cause, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A number as qtest writes it (decimal, 0x hex, 0 octal): 0, or -1 if it is not one. */
int qi_num(const char *s, uint64_t *out);

/* qtest-access.c: one access of a qtest command, as trace events (pass P_WRITE) or header facts (P_OBSERVE). */
/* An event: counted (P_OBSERVE) or written (P_WRITE). */
int qi_emit(struct qtest_import *qi, const struct trace_event *ev, char **cause);
/* A mark event of text (control characters made '?'). */
int qi_mark(struct qtest_import *qi, const char *text, size_t n, char **cause);
int qi_port_access(struct qtest_import *qi, bool write, uint64_t port, unsigned size, uint64_t value, bool has_value,
    char **cause);
int qi_mem_sized(struct qtest_import *qi, bool write, uint64_t addr, unsigned size, uint64_t value, bool has_value,
    char **cause);
int qi_mem_bytes(struct qtest_import *qi, bool write, uint64_t addr, const uint8_t *data, uint64_t len, char **cause);

/* qtest-input.c: the input file, its form (log, stream, shell, C reproducer) and its command line. */
int qi_read_file(struct qtest_import *qi, char **cause);
int qi_find_form(struct qtest_import *qi, char **cause);
int qi_c_to_stream(struct qtest_import *qi, char **cause);

/* qtest-header.c: the trace header from the command line and from what QEMU answered. */
void qi_ram_layout(struct qtest_import *qi);
int qi_choose_devfn(struct qtest_import *qi, char **cause);
int qi_build_header(struct qtest_import *qi, char **cause);
void qi_header_observed(struct qtest_import *qi);

#endif
