/* trace.h -- the trace event model and the format-agnostic reader and writer */
#ifndef VR_TRACE_H
#define VR_TRACE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "vr/buf.h"

/*
 * A trace is a header (facts about the device and the machine) followed by
 * events numbered from 0 in file order. Two encodings carry the same
 * information: text (.vrt) and binary (.vrb: zstd chunks + seek index).
 * The formats are specified in man/virtio-replay-trace.5.
 *
 * Everything in a trace is untrusted: readers check every length against the
 * bounds below before use and report errors as
 *     "FILE: event N (offset 0xOFF): what is wrong".
 */

#define TRACE_VERSION		1
#define TRACE_MAX_PAYLOAD	(16u << 20)	/* bytes in one event */
#define TRACE_MAX_QUEUES	1024		/* QEMU's VIRTIO_QUEUE_MAX */
#define TRACE_MAX_QUEUE_SIZE	1024
#define TRACE_MAX_RAM		16		/* RAM regions */
#define TRACE_MAX_DEVCFG	256		/* device-specific config bytes */
#define TRACE_MAX_BACKENDS	8
#define TRACE_MAX_PATH		256
#define TRACE_MAX_RAM_BYTES	(1ull << 40)	/* declared guest RAM, total */
#define TRACE_MAX_SERIAL	64		/* device serial string, with its NUL */
#define TRACE_MAX_MSIX		2048		/* MSI-X table entries (PCI limit) */
#define TRACE_MAX_UNASSIGNED	8		/* unassigned ranges of the recording machine */
#define TRACE_MAX_ROM		4		/* its read-only ranges that read 0 */
#define TRACE_MAX_DEVICE	63		/* virtio device ids are 1..63 */

enum trace_kind {
	TRACE_CFG_READ = 1,	/* PCI config read: addr=offset size [value=recorded] */
	TRACE_CFG_WRITE,	/* PCI config write: addr=offset size value */
	TRACE_BAR_READ,		/* BAR read: space=BAR addr=offset size [value=recorded] */
	TRACE_BAR_WRITE,	/* BAR write: space=BAR addr=offset size value */
	TRACE_MEM,		/* guest stored bytes into RAM: addr data */
	TRACE_DMA,		/* expected output: device wrote bytes into RAM: addr data */
	TRACE_IRQ,		/* expected output: space=TRACE_IRQ_* value=vector or level */
	TRACE_INPUT,		/* host-side input: space=TRACE_INPUT_* addr (disk offset, port) data */
	TRACE_CHECKPOINT,	/* device state snapshot: data = vpci_save() blob */
	TRACE_MARK,		/* free text: data (UTF-8, no NUL, no newline) */
	TRACE_TIME,		/* virtual time advances: value = ns since start (monotonic) */
	TRACE_MEM_READ,		/* the guest read its RAM and saw data: addr data (compared with simulated RAM) */
	TRACE_KIND_COUNT
};

enum trace_irq_type { TRACE_IRQ_MSIX = 0, TRACE_IRQ_INTX = 1 };

enum trace_input_type {
	TRACE_INPUT_FRAME = 0,	/* net: a received ethernet frame (no virtio-net header); addr = queue pair */
	TRACE_INPUT_ENTROPY,	/* rng: entropy bytes */
	TRACE_INPUT_DISK,	/* blk/scsi: disk contents at byte offset addr */
	TRACE_INPUT_CONSOLE,	/* console: bytes typed into port addr */
	TRACE_INPUT_EVENT,	/* device-specific host event (link down, hotplug...): addr = code */
	TRACE_INPUT_COUNT
};

struct trace_event {
	uint8_t kind;		/* enum trace_kind */
	uint8_t space;		/* BAR number; irq type; input type */
	uint8_t size;		/* cfg/bar access size: 1, 2, 4 or 8 */
	uint8_t has_value;	/* reads: 1 if the recording carries the device's answer */
	uint32_t len;		/* payload bytes, <= TRACE_MAX_PAYLOAD */
	uint64_t addr;
	uint64_t value;
	const uint8_t *data;	/* reader-owned; valid until the next call on the reader */
};

enum trace_layout { TRACE_LAYOUT_QEMU = 0, TRACE_LAYOUT_VBOX = 1 };

/* Which virtio-pci interface the function has (the layout places it). */
enum trace_transport {
	TRACE_TRANSPORT_MODERN = 0,		/* VirtIO 1.0 capabilities only (the default) */
	TRACE_TRANSPORT_TRANSITIONAL = 1,	/* legacy I/O BAR0 plus the modern capabilities */
	TRACE_TRANSPORT_LEGACY = 2,		/* legacy I/O BAR0 only (virtio 0.9.5) */
	TRACE_TRANSPORT_COUNT
};

/* A disk's discard mode (QEMU's -drive discard=): what DISCARD, UNMAP and WRITE SAME's UNMAP bit do. */
enum trace_discard {
	TRACE_DISCARD_IGNORE = 0,	/* discards succeed and change nothing (QEMU's default) */
	TRACE_DISCARD_UNMAP = 1,	/* discarded blocks read back as zeros */
	TRACE_DISCARD_COUNT
};

/* A disk's write cache (QEMU's write-cache=): the blk writeback byte, scsi's WCE bit. */
enum trace_write_cache {
	TRACE_WCACHE_ON = 0,		/* write-back (QEMU's default) */
	TRACE_WCACHE_OFF = 1,		/* write-through */
	TRACE_WCACHE_COUNT
};

/* What the transport-only device (types without a model) does with a validated request. */
enum trace_requests {
	TRACE_REQ_COMPLETE = 0,	/* used with len 0, nothing written (the default) */
	TRACE_REQ_HOLD = 1,	/* left in flight */
	TRACE_REQ_COUNT
};

/* Which device outputs the recording carries (compared by replay). */
#define TRACE_REC_DMA	0x1u
#define TRACE_REC_IRQ	0x2u

struct trace_ram {
	uint64_t base;
	uint64_t size;
};

struct trace_backend {
	char type[16];			/* "disk" */
	uint64_t size;			/* bytes */
	bool has_image;
	char image[TRACE_MAX_PATH];	/* relative to the trace's directory */
	uint8_t sha256[32];		/* of the image, checked before use */
};

struct trace_header {
	uint16_t version;		/* TRACE_VERSION */
	uint8_t device;			/* virtio device id 1..TRACE_MAX_DEVICE: 1 net, 2 blk, 5 balloon... */
	uint8_t layout;			/* enum trace_layout */
	uint8_t transport;		/* enum trace_transport ("transport" line; modern when absent) */
	uint8_t requests;		/* enum trace_requests ("generic-requests") */
	uint32_t recorded;		/* TRACE_REC_* */
	uint64_t features;		/* offered device features */
	uint16_t nqueues;
	uint16_t queue_max[TRACE_MAX_QUEUES];
	uint16_t devcfg_len;
	uint8_t devcfg[TRACE_MAX_DEVCFG];
	uint16_t nram;
	struct trace_ram ram[TRACE_MAX_RAM];
	uint16_t nbackends;
	struct trace_backend backend[TRACE_MAX_BACKENDS];
	char title[128];		/* free text, may be empty */
	/*
	 * PCI identity of the recorded function. A fact whose TRACE_HAS_* bit is
	 * clear is not stated: the device model's own value applies.
	 */
	uint32_t has;			/* TRACE_HAS_* */
	uint32_t pci_class;		/* class code: base class << 16 | subclass << 8 | prog-if */
	uint8_t pci_revision;
	uint16_t subsys_vendor, subsys_id;
	uint16_t msix_vectors;		/* MSI-X table size, 0..TRACE_MAX_MSIX (0: no MSI-X) */
	char serial[TRACE_MAX_SERIAL];	/* device serial (blk GET_ID, scsi VPD 0x80); "" = none */
	uint8_t discard;		/* enum trace_discard ("discard" line; ignore when absent); blk and scsi */
	uint8_t write_cache;		/* enum trace_write_cache ("write-cache" line; on when absent); blk and scsi */
	/*
	 * Address ranges where the recording machine had nothing but, perhaps,
	 * this function's own BARs ("unassigned" lines): a device access there
	 * reads 0 and its writes go nowhere, and a device's map of a ring or an
	 * indirect table that starts in one reads 0 to its end, whatever lies
	 * past the range (QEMU's unassigned section spans the address space).
	 * None stated: every address outside the RAM is unknown.
	 */
	uint16_t nunassigned;
	struct trace_ram unassigned[TRACE_MAX_UNASSIGNED];
	/*
	 * Read-only memory of the recording machine that reads 0 ("rom" lines:
	 * QEMU's pc.rom, the firmware less its reset vector): device reads give
	 * 0, writes go nowhere, and a map may not run out of one.
	 */
	uint16_t nrom;
	struct trace_ram rom[TRACE_MAX_ROM];
};

#define TRACE_HAS_CLASS		0x1u
#define TRACE_HAS_REVISION	0x2u
#define TRACE_HAS_SUBSYS	0x4u
#define TRACE_HAS_MSIX		0x8u
#define TRACE_HAS_ALL		0xfu

enum trace_fmt { TRACE_FMT_TEXT = 0, TRACE_FMT_BINARY = 1 };

const char *trace_kind_name(uint8_t kind);	/* "cfg-read", ... or NULL */
int trace_kind_parse(const char *name);		/* -1 if unknown; accepts the names above */
/*
 * Device types: the canonical name of an id 1..63 ("blk", "balloon", or the
 * decimal number for ids the spec leaves unnamed), NULL for other ids; parse
 * takes canonical names, QEMU's device names ("virtio-balloon-pci",
 * "virtio-blk-pci-non-transitional", "virtio-vga"...) and numbers 1..63
 * (decimal or 0x hex). -1 if unknown.
 */
const char *trace_device_name(uint8_t device);
int trace_device_parse(const char *name);
const char *trace_requests_name(uint8_t requests);	/* "complete", "hold" or NULL */
int trace_requests_parse(const char *name);
const char *trace_layout_name(uint8_t layout);
int trace_layout_parse(const char *name);
const char *trace_transport_name(uint8_t transport);	/* "modern", "transitional", "legacy" or NULL */
int trace_transport_parse(const char *name);
const char *trace_discard_name(uint8_t discard);		/* "ignore", "unmap" or NULL */
int trace_discard_parse(const char *name);
const char *trace_write_cache_name(uint8_t write_cache);	/* "on", "off" or NULL */
int trace_write_cache_parse(const char *name);
void trace_header_init(struct trace_header *h);	/* version set, everything else empty */
/* Check a header's internal consistency (bounds, RAM overlap...). */
int trace_header_check(const struct trace_header *h, char **cause);
/* Whether every byte of [addr, addr+len) is in the header's RAM (a range may run across adjacent regions). */
bool trace_header_in_ram(const struct trace_header *h, uint64_t addr, uint64_t len);

/* Reader: streams; memory use does not grow with trace length. */
struct trace_reader;
/*
 * Detects the format from the file's first byte (0x89: binary). "-" reads
 * standard input: text, or binary if it is a regular file (binary needs pread).
 */
struct trace_reader *trace_open(const char *path, char **cause);
void trace_close(struct trace_reader *r);
const struct trace_header *trace_header(const struct trace_reader *r);
enum trace_fmt trace_format(const struct trace_reader *r);
const char *trace_path(const struct trace_reader *r);
/* 1: *ev filled; 0: clean end of trace; -1: error, *cause = "FILE: event N (offset 0xOFF): ..." */
int trace_read(struct trace_reader *r, struct trace_event *ev, char **cause);
/*
 * Number and byte offset of the event trace_read last returned (for messages).
 * Text: offset of the event's line. Binary: offset of the chunk holding it.
 * Readers return events normalised: fields the kind does not carry are 0,
 * has_value is 1 for kinds that always carry a value (writes, irq, time).
 */
uint64_t trace_event_no(const struct trace_reader *r);
uint64_t trace_event_offset(const struct trace_reader *r);
/* Position so the next trace_read returns event n (binary: via the seek index). */
int trace_seek(struct trace_reader *r, uint64_t n, char **cause);

/*
 * What the reader has seen of the file so far (for info). Binary counters
 * grow as chunks are read; after a clean end of trace they cover the file.
 */
struct trace_file_info {
	uint64_t file_size;	/* bytes; 0 if not a regular file */
	uint64_t chunks;	/* binary: chunks read (each CRC-checked) */
	uint64_t compressed;	/* binary: zstd frame bytes read */
	uint64_t raw;		/* binary: decompressed event bytes; text: bytes of event lines */
	bool indexed;		/* binary: a valid footer and seek index were found */
	uint64_t index_events;	/* binary, indexed: events the index declares */
	uint64_t index_chunks;	/* binary, indexed: chunks the index declares */
};
void trace_get_file_info(const struct trace_reader *r, struct trace_file_info *fi);

/* Map an input type (enum trace_input_type) to its text name ("frame", ...) and back. */
const char *trace_input_name(uint8_t type);
int trace_input_parse(const char *name);	/* -1 if unknown */
/* Canonical text of a header: the header lines of a .vrt file, each ending in a newline. */
void trace_header_text(struct buf *b, const struct trace_header *h);
/* Format for a file name: ".vrb" -> binary, ".vrt" -> text, else -1. */
int trace_format_from_name(const char *path);
/* Default zstd level for binary writers, and the accepted range. */
#define TRACE_LEVEL_DEFAULT	3
#define TRACE_LEVEL_MAX		19

/* Writer: streams (binary chunks are flushed as they fill). */
struct trace_writer;
/* path "-" writes text to stdout. level: zstd level (binary), 0 = default. */
struct trace_writer *trace_writer_open(const char *path, enum trace_fmt fmt, int level,
    const struct trace_header *h, char **cause);
int trace_write(struct trace_writer *w, const struct trace_event *ev, char **cause);
/*
 * Binary writers close a chunk once it holds this many raw bytes (default
 * TRACE_CHUNK_DEFAULT, accepted TRACE_CHUNK_MIN..TRACE_CHUNK_DEFAULT); smaller
 * chunks make seeking finer and a killed writer lose less. No-op for text.
 */
#define TRACE_CHUNK_DEFAULT	(1u << 20)
#define TRACE_CHUNK_MIN		64u
void trace_writer_chunk_size(struct trace_writer *w, uint32_t bytes);
/* Flushes, writes the footer (binary) and closes; frees w even on error. */
int trace_writer_close(struct trace_writer *w, char **cause);

/* Canonical text of one event, without newline (what dump and the log print). */
void trace_event_text(struct buf *b, const struct trace_event *ev);

#endif
