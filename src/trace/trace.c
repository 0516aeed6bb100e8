/* trace.c -- the trace event model: names, header and event rules, canonical text, format dispatch */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "trace-int.h"

/* Names as they appear in --kind and in messages; index = enum trace_kind. */
static const char *const kind_names[TRACE_KIND_COUNT] = {
	[TRACE_CFG_READ] = "cfg-read",
	[TRACE_CFG_WRITE] = "cfg-write",
	[TRACE_BAR_READ] = "bar-read",
	[TRACE_BAR_WRITE] = "bar-write",
	[TRACE_MEM] = "mem",
	[TRACE_DMA] = "dma",
	[TRACE_IRQ] = "irq",
	[TRACE_INPUT] = "input",
	[TRACE_CHECKPOINT] = "checkpoint",
	[TRACE_MARK] = "mark",
	[TRACE_TIME] = "time",
	[TRACE_MEM_READ] = "mem-read",
};

const uint8_t trace_kind_fields[TRACE_KIND_COUNT] = {
	[TRACE_CFG_READ] = TF_SIZE | TF_ADDR | TF_OPTVALUE,
	[TRACE_CFG_WRITE] = TF_SIZE | TF_ADDR | TF_VALUE,
	[TRACE_BAR_READ] = TF_SPACE | TF_SIZE | TF_ADDR | TF_OPTVALUE,
	[TRACE_BAR_WRITE] = TF_SPACE | TF_SIZE | TF_ADDR | TF_VALUE,
	[TRACE_MEM] = TF_ADDR | TF_DATA,
	[TRACE_DMA] = TF_ADDR | TF_DATA,
	[TRACE_IRQ] = TF_SPACE | TF_VALUE,
	[TRACE_INPUT] = TF_SPACE | TF_ADDR | TF_DATA,
	[TRACE_CHECKPOINT] = TF_DATA,
	[TRACE_MARK] = TF_DATA,
	[TRACE_TIME] = TF_VALUE,
	[TRACE_MEM_READ] = TF_ADDR | TF_DATA,
};

/*
 * Virtio device types (virtio 1.x spec section 5, "Device Types"). The first
 * row of an id is its canonical name, the one writers use; the other rows are
 * the names QEMU gives the type (-device NAME, without a transport suffix
 * from dev_suffixes). A model exists only for some types (src/dev decides);
 * an id without a row here is written as its decimal number.
 */
static const struct {
	const char *name;
	uint8_t id;
} devices[] = {
	{ "net", 1 }, { "virtio-net", 1 },
	{ "blk", 2 }, { "virtio-blk", 2 }, { "vhost-user-blk", 2 },
	{ "console", 3 }, { "serial", 3 }, { "virtio-serial", 3 },
	{ "rng", 4 }, { "virtio-rng", 4 }, { "vhost-user-rng", 4 },
	{ "balloon", 5 }, { "virtio-balloon", 5 },
	{ "iomem", 6 },
	{ "rpmsg", 7 },
	{ "scsi", 8 }, { "virtio-scsi", 8 }, { "vhost-scsi", 8 }, { "vhost-user-scsi", 8 },
	{ "9p", 9 }, { "virtio-9p", 9 },
	{ "mac80211-wlan", 10 },
	{ "rproc-serial", 11 },
	{ "caif", 12 },
	{ "memory-balloon", 13 },
	{ "gpu", 16 }, { "virtio-gpu", 16 }, { "virtio-vga", 16 }, { "virtio-gpu-gl", 16 },
	{ "virtio-vga-gl", 16 }, { "vhost-user-gpu", 16 }, { "vhost-user-vga", 16 },
	{ "clock", 17 },
	{ "input", 18 }, { "virtio-input-host", 18 }, { "virtio-keyboard", 18 }, { "virtio-mouse", 18 },
	{ "virtio-tablet", 18 }, { "virtio-multitouch", 18 }, { "vhost-user-input", 18 },
	{ "vsock", 19 }, { "vhost-vsock", 19 }, { "vhost-user-vsock", 19 },
	{ "crypto", 20 }, { "virtio-crypto", 20 },
	{ "signal-dist", 21 },
	{ "pstore", 22 },
	{ "iommu", 23 }, { "virtio-iommu", 23 },
	{ "mem", 24 }, { "virtio-mem", 24 },
	{ "sound", 25 }, { "virtio-sound", 25 }, { "virtio-snd", 25 }, { "vhost-user-snd", 25 },
	{ "fs", 26 }, { "vhost-user-fs", 26 },
	{ "pmem", 27 }, { "virtio-pmem", 27 },
	{ "rpmb", 28 },
	{ "mac80211-hwsim", 29 },
	{ "video-encoder", 30 },
	{ "video-decoder", 31 },
	{ "scmi", 32 }, { "vhost-user-scmi", 32 },
	{ "nitro-sec-mod", 33 },
	{ "i2c", 34 }, { "vhost-user-i2c", 34 },
	{ "watchdog", 35 },
	{ "can", 36 },
	{ "param-serv", 38 },
	{ "audio-policy", 39 },
	{ "bt", 40 },
	{ "gpio", 41 }, { "vhost-user-gpio", 41 },
};

/* QEMU's transport suffixes: "virtio-blk-pci-non-transitional" names blk. Longest first. */
static const char *const dev_suffixes[] = {
	"-pci-non-transitional", "-pci-transitional", "-pci", "-device",
};

/* Canonical text of ids without a name: their decimal number. */
#define DEV_NUM(n)	{ (char)((n) < 10 ? '0' + (n) : '0' + (n) / 10), (char)((n) < 10 ? 0 : '0' + (n) % 10), 0 }
#define DEV_NUM4(n)	DEV_NUM(n), DEV_NUM((n) + 1), DEV_NUM((n) + 2), DEV_NUM((n) + 3)
#define DEV_NUM16(n)	DEV_NUM4(n), DEV_NUM4((n) + 4), DEV_NUM4((n) + 8), DEV_NUM4((n) + 12)
static const char dev_numbers[TRACE_MAX_DEVICE + 1][3] = {
	DEV_NUM16(0), DEV_NUM16(16), DEV_NUM16(32), DEV_NUM16(48),
};

static const char *const layout_names[] = {
	[TRACE_LAYOUT_QEMU] = "qemu",
	[TRACE_LAYOUT_VBOX] = "vbox",
};

static const char *const transport_names[TRACE_TRANSPORT_COUNT] = {
	[TRACE_TRANSPORT_MODERN] = "modern",
	[TRACE_TRANSPORT_TRANSITIONAL] = "transitional",
	[TRACE_TRANSPORT_LEGACY] = "legacy",
};

static const char *const discard_names[TRACE_DISCARD_COUNT] = {
	[TRACE_DISCARD_IGNORE] = "ignore",
	[TRACE_DISCARD_UNMAP] = "unmap",
};

static const char *const write_cache_names[TRACE_WCACHE_COUNT] = {
	[TRACE_WCACHE_ON] = "on",
	[TRACE_WCACHE_OFF] = "off",
};

static const char *const requests_names[TRACE_REQ_COUNT] = {
	[TRACE_REQ_COMPLETE] = "complete",
	[TRACE_REQ_HOLD] = "hold",
};

static const char *const input_names[TRACE_INPUT_COUNT] = {
	[TRACE_INPUT_FRAME] = "frame",
	[TRACE_INPUT_ENTROPY] = "entropy",
	[TRACE_INPUT_DISK] = "disk",
	[TRACE_INPUT_CONSOLE] = "console",
	[TRACE_INPUT_EVENT] = "event",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *trace_kind_name(uint8_t kind)
{
	return kind > 0 && kind < TRACE_KIND_COUNT ? kind_names[kind] : NULL;
}

int trace_kind_parse(const char *name)
{
	for (int k = 1; k < TRACE_KIND_COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

const char *trace_device_name(uint8_t device)
{
	if (device == 0 || device > TRACE_MAX_DEVICE)
		return NULL;
	for (size_t i = 0; i < NELEM(devices); i++)
		if (devices[i].id == device)
			return devices[i].name;
	return dev_numbers[device];
}

/* A device id written as a number: decimal or 0x hex, 1..TRACE_MAX_DEVICE. */
static int device_number(const char *s)
{
	unsigned v = 0;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
		    base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
		    base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0 || (v = v * (unsigned)base + (unsigned)d) > TRACE_MAX_DEVICE)
			return -1;
	}
	return v >= 1 ? (int)v : -1;
}

int trace_device_parse(const char *name)
{
	size_t len = strlen(name);
	int id = device_number(name);

	if (id > 0)
		return id;
	for (size_t k = 0; k < NELEM(dev_suffixes); k++) {
		size_t sl = strlen(dev_suffixes[k]);

		if (len > sl && strcmp(name + len - sl, dev_suffixes[k]) == 0) {
			len -= sl;
			break;
		}
	}
	for (size_t i = 0; i < NELEM(devices); i++)
		if (strlen(devices[i].name) == len && strncmp(devices[i].name, name, len) == 0)
			return devices[i].id;
	return -1;
}

/* The name tables above: index -> name (NULL past the end) and back (-1 if unknown). */
static const char *table_name(const char *const *t, size_t n, uint8_t i)
{
	return i < n ? t[i] : NULL;
}

static int table_parse(const char *const *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i], name) == 0)
			return (int)i;
	return -1;
}

const char *trace_layout_name(uint8_t layout)
{
	return table_name(layout_names, NELEM(layout_names), layout);
}

int trace_layout_parse(const char *name)
{
	return table_parse(layout_names, NELEM(layout_names), name);
}

const char *trace_transport_name(uint8_t transport)
{
	return table_name(transport_names, NELEM(transport_names), transport);
}

int trace_transport_parse(const char *name)
{
	return table_parse(transport_names, NELEM(transport_names), name);
}

const char *trace_discard_name(uint8_t discard)
{
	return table_name(discard_names, NELEM(discard_names), discard);
}

int trace_discard_parse(const char *name)
{
	return table_parse(discard_names, NELEM(discard_names), name);
}

const char *trace_write_cache_name(uint8_t write_cache)
{
	return table_name(write_cache_names, NELEM(write_cache_names), write_cache);
}

int trace_write_cache_parse(const char *name)
{
	return table_parse(write_cache_names, NELEM(write_cache_names), name);
}

const char *trace_requests_name(uint8_t requests)
{
	return table_name(requests_names, NELEM(requests_names), requests);
}

int trace_requests_parse(const char *name)
{
	return table_parse(requests_names, NELEM(requests_names), name);
}

const char *trace_input_name(uint8_t type)
{
	return table_name(input_names, NELEM(input_names), type);
}

int trace_input_parse(const char *name)
{
	return table_parse(input_names, NELEM(input_names), name);
}

int trace_format_from_name(const char *path)
{
	size_t n = strlen(path);

	if (n >= 4 && strcmp(path + n - 4, ".vrb") == 0)
		return TRACE_FMT_BINARY;
	if (n >= 4 && strcmp(path + n - 4, ".vrt") == 0)
		return TRACE_FMT_TEXT;
	return -1;
}

void trace_header_init(struct trace_header *h)
{
	memset(h, 0, sizeof *h);
	h->version = TRACE_VERSION;
}

/* Free text (marks, titles): printable, tabs allowed, no control characters. */
int trace_text_chars_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return 0;
	return 1;
}

/* A NUL-terminated string inside a fixed array, of allowed characters. */
static int fixed_str_ok(const char *s, size_t cap, int token)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (token && (c == ' ' || c == '\t' || c == '#')))
			return 0;
	}
	return 1;
}

bool trace_header_in_ram(const struct trace_header *h, uint64_t addr, uint64_t len)
{
	uint64_t at = addr, end = addr + len;

	if (end < addr)
		return false;
	/* Regions need not be sorted: step from region to region while one ends where the next begins. */
	for (unsigned step = 0; step <= h->nram && step < TRACE_MAX_RAM + 1; step++) {
		unsigned i;

		for (i = 0; i < h->nram && i < TRACE_MAX_RAM; i++)
			if (at >= h->ram[i].base && at - h->ram[i].base < h->ram[i].size)
				break;
		if (i == h->nram || i == TRACE_MAX_RAM)
			return false;
		if (end - h->ram[i].base <= h->ram[i].size)
			return true;
		at = h->ram[i].base + h->ram[i].size;
	}
	return false;
}

int trace_header_check(const struct trace_header *h, char **cause)
{
	uint64_t total = 0;

	if (h->version != TRACE_VERSION)
		return cause_set(cause, "unsupported trace version %u (this program reads %u)",
		    h->version, TRACE_VERSION);
	if (trace_device_name(h->device) == NULL)
		return cause_set(cause, "unknown device type %u", h->device);
	if (trace_layout_name(h->layout) == NULL)
		return cause_set(cause, "unknown layout %u", h->layout);
	if (trace_requests_name(h->requests) == NULL)
		return cause_set(cause, "unknown generic-requests policy %u", h->requests);
	if (trace_transport_name(h->transport) == NULL)
		return cause_set(cause, "unknown transport %u", h->transport);
	if (h->recorded & ~(TRACE_REC_DMA | TRACE_REC_IRQ))
		return cause_set(cause, "unknown recorded-output bits 0x%x", h->recorded);
	if (h->nqueues > TRACE_MAX_QUEUES)
		return cause_set(cause, "%u queues (at most %u)", h->nqueues, TRACE_MAX_QUEUES);
	for (unsigned i = 0; i < h->nqueues; i++) {
		unsigned q = h->queue_max[i];
		if (q == 0 || q > TRACE_MAX_QUEUE_SIZE || (q & (q - 1)) != 0)
			return cause_set(cause, "queue %u: size %u is not a power of 2 in 1..%u",
			    i, q, TRACE_MAX_QUEUE_SIZE);
	}
	if (h->devcfg_len > TRACE_MAX_DEVCFG)
		return cause_set(cause, "%u device config bytes (at most %u)", h->devcfg_len, TRACE_MAX_DEVCFG);
	if (h->nram > TRACE_MAX_RAM)
		return cause_set(cause, "%u RAM regions (at most %u)", h->nram, TRACE_MAX_RAM);
	for (unsigned i = 0; i < h->nram; i++) {
		const struct trace_ram *a = &h->ram[i];
		if (a->size == 0)
			return cause_set(cause, "RAM region %u is empty", i);
		if (a->base + a->size < a->base)
			return cause_set(cause, "RAM region %u (0x%llx+0x%llx) wraps around", i,
			    (unsigned long long)a->base, (unsigned long long)a->size);
		total += a->size;
		if (a->size > TRACE_MAX_RAM_BYTES || total > TRACE_MAX_RAM_BYTES)
			return cause_set(cause, "more than 0x%llx bytes of RAM declared",
			    (unsigned long long)TRACE_MAX_RAM_BYTES);
		for (unsigned j = 0; j < i; j++) {
			const struct trace_ram *b = &h->ram[j];
			if (a->base < b->base + b->size && b->base < a->base + a->size)
				return cause_set(cause, "RAM regions %u and %u overlap", j, i);
		}
	}
	if (h->nbackends > TRACE_MAX_BACKENDS)
		return cause_set(cause, "%u backends (at most %u)", h->nbackends, TRACE_MAX_BACKENDS);
	for (unsigned i = 0; i < h->nbackends; i++) {
		const struct trace_backend *be = &h->backend[i];
		if (!fixed_str_ok(be->type, sizeof be->type, 1) || be->type[0] == '\0')
			return cause_set(cause, "backend %u: bad type name", i);
		if (be->has_image && (!fixed_str_ok(be->image, sizeof be->image, 1) || be->image[0] == '\0'))
			return cause_set(cause, "backend %u: bad image path", i);
	}
	if (!fixed_str_ok(h->title, sizeof h->title, 0))
		return cause_set(cause, "bad title");
	if (h->has & ~TRACE_HAS_ALL)
		return cause_set(cause, "unknown PCI identity bits 0x%x", h->has);
	if ((h->has & TRACE_HAS_CLASS) && h->pci_class > 0xffffff)
		return cause_set(cause, "PCI class code 0x%x is wider than 24 bits", h->pci_class);
	if ((h->has & TRACE_HAS_MSIX) && h->msix_vectors > TRACE_MAX_MSIX)
		return cause_set(cause, "%u MSI-X vectors (at most %u)", h->msix_vectors, TRACE_MAX_MSIX);
	if (!fixed_str_ok(h->serial, sizeof h->serial, 0))
		return cause_set(cause, "bad serial");
	if (trace_discard_name(h->discard) == NULL)
		return cause_set(cause, "unknown discard mode %u", h->discard);
	if (trace_write_cache_name(h->write_cache) == NULL)
		return cause_set(cause, "unknown write-cache mode %u", h->write_cache);
	if (h->nunassigned > TRACE_MAX_UNASSIGNED)
		return cause_set(cause, "%u unassigned ranges (at most %u)", h->nunassigned, TRACE_MAX_UNASSIGNED);
	for (unsigned i = 0; i < h->nunassigned; i++) {
		const struct trace_ram *a = &h->unassigned[i];
		if (a->size == 0 || a->base + a->size < a->base)
			return cause_set(cause, "unassigned range %u (0x%llx+0x%llx) is empty or wraps around", i,
			    (unsigned long long)a->base, (unsigned long long)a->size);
		for (unsigned j = 0; j < h->nram; j++)
			if (a->base < h->ram[j].base + h->ram[j].size && h->ram[j].base < a->base + a->size)
				return cause_set(cause, "unassigned range %u overlaps RAM region %u", i, j);
		for (unsigned j = 0; j < i; j++)
			if (a->base < h->unassigned[j].base + h->unassigned[j].size &&
			    h->unassigned[j].base < a->base + a->size)
				return cause_set(cause, "unassigned ranges %u and %u overlap", j, i);
	}
	if ((h->discard != TRACE_DISCARD_IGNORE || h->write_cache != TRACE_WCACHE_ON) &&
	    h->device != VIRTIO_ID_BLOCK && h->device != VIRTIO_ID_SCSI)
		return cause_set(cause, "discard and write-cache are facts of a disk (blk or scsi), not of %s",
		    trace_device_name(h->device) != NULL ? trace_device_name(h->device) : "this device");
	return 0;
}

void trace_event_normalise(struct trace_event *ev)
{
	uint8_t f = ev->kind < TRACE_KIND_COUNT ? trace_kind_fields[ev->kind] : 0;

	if (!(f & TF_SPACE))
		ev->space = 0;
	if (!(f & TF_SIZE))
		ev->size = 0;
	if (!(f & TF_ADDR))
		ev->addr = 0;
	if (f & TF_VALUE)
		ev->has_value = 1;
	else if (f & TF_OPTVALUE)
		ev->has_value = ev->has_value ? 1 : 0;
	else
		ev->has_value = 0;
	if (!ev->has_value)
		ev->value = 0;
	if (!(f & TF_DATA)) {
		ev->len = 0;
		ev->data = NULL;
	}
}

const char *trace_event_invalid(const struct trace_event *ev)
{
	uint8_t f;

	if (ev->kind == 0 || ev->kind >= TRACE_KIND_COUNT)
		return "unknown event kind";
	f = trace_kind_fields[ev->kind];
	if (ev->has_value > 1)
		return "bad has_value flag";
	if (f & TF_SIZE) {
		bool cfg = ev->kind == TRACE_CFG_READ || ev->kind == TRACE_CFG_WRITE;
		if (ev->size != 1 && ev->size != 2 && ev->size != 4 && (cfg || ev->size != 8))
			return cfg ? "access size must be 1, 2 or 4" : "access size must be 1, 2, 4 or 8";
		if (ev->size < 8 && (ev->value >> (ev->size * 8)) != 0)
			return "value too large for the access size";
		if (cfg && (ev->addr > 0xfff || ev->addr + ev->size > 0x1000))
			return "config offset beyond 0xfff";
		if (ev->addr + ev->size < ev->addr)
			return "offset wraps around";
	}
	if ((ev->kind == TRACE_BAR_READ || ev->kind == TRACE_BAR_WRITE) && ev->space > 5)
		return "BAR number must be 0..5";
	if (ev->kind == TRACE_IRQ) {
		if (ev->space == TRACE_IRQ_MSIX) {
			if (ev->value > 2047)
				return "MSI-X vector must be 0..2047";
		} else if (ev->space == TRACE_IRQ_INTX) {
			if (ev->value > 1)
				return "INTx level must be 0 or 1";
		} else {
			return "unknown interrupt type";
		}
	}
	if (ev->kind == TRACE_INPUT && ev->space >= TRACE_INPUT_COUNT)
		return "unknown input type";
	if (f & TF_DATA) {
		if (ev->len > TRACE_MAX_PAYLOAD)
			return "payload larger than 16 MiB";
		if (ev->len > 0 && ev->data == NULL)
			return "payload missing";
		if ((ev->kind == TRACE_MEM || ev->kind == TRACE_DMA || ev->kind == TRACE_MEM_READ) && ev->len > 0 &&
		    ev->addr + (ev->len - 1) < ev->addr)
			return "address range wraps around";
		if (ev->kind == TRACE_MARK && !trace_text_chars_ok(ev->data, ev->len))
			return "control character in mark text";
	}
	return NULL;
}

/* ---- canonical text ---- */

static const char hexchars[16] = "0123456789abcdef";

static void put_hex(struct buf *b, uint64_t v)
{
	char t[18];
	int n = 0;

	do {
		t[17 - n++] = hexchars[v & 15];
		v >>= 4;
	} while (v != 0);
	t[17 - n++] = 'x';
	t[17 - n++] = '0';
	buf_add(b, t + 18 - n, (size_t)n);
}

static void put_dec(struct buf *b, uint64_t v)
{
	char t[20];
	int n = 0;

	do {
		t[19 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, t + 20 - n, (size_t)n);
}

static void put_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void put_bytes_hex(struct buf *b, const uint8_t *p, size_t n)
{
	uint8_t *o;

	buf_reserve(b, 2 * n);
	o = b->data + b->len;
	for (size_t i = 0; i < n; i++) {
		o[2 * i] = (uint8_t)hexchars[p[i] >> 4];
		o[2 * i + 1] = (uint8_t)hexchars[p[i] & 15];
	}
	b->len += 2 * n;
}

/* " HEX" or nothing for an empty payload. */
static void put_payload(struct buf *b, const struct trace_event *ev)
{
	if (ev->len == 0)
		return;
	buf_add_u8(b, ' ');
	put_bytes_hex(b, ev->data, ev->len);
}

void trace_event_text(struct buf *b, const struct trace_event *ev)
{
	switch (ev->kind) {
	case TRACE_CFG_READ:
	case TRACE_CFG_WRITE:
	case TRACE_BAR_READ:
	case TRACE_BAR_WRITE: {
		bool rd = ev->kind == TRACE_CFG_READ || ev->kind == TRACE_BAR_READ;
		bool bar = ev->kind == TRACE_BAR_READ || ev->kind == TRACE_BAR_WRITE;
		put_str(b, bar ? "bar " : "cfg ");
		put_str(b, rd ? "r " : "w ");
		if (bar) {
			put_dec(b, ev->space);
			buf_add_u8(b, ' ');
		}
		put_hex(b, ev->addr);
		buf_add_u8(b, ' ');
		put_dec(b, ev->size);
		if (rd && ev->has_value) {
			put_str(b, " = ");
			put_hex(b, ev->value);
		} else if (!rd) {
			buf_add_u8(b, ' ');
			put_hex(b, ev->value);
		}
		break;
	}
	case TRACE_MEM:
	case TRACE_DMA:
	case TRACE_MEM_READ:
		put_str(b, ev->kind == TRACE_MEM ? "mem " : ev->kind == TRACE_DMA ? "dma " : "mem-read ");
		put_hex(b, ev->addr);
		put_payload(b, ev);
		break;
	case TRACE_IRQ:
		put_str(b, ev->space == TRACE_IRQ_MSIX ? "irq msix " :
		    ev->space == TRACE_IRQ_INTX ? "irq intx " : "irq ? ");
		put_dec(b, ev->value);
		break;
	case TRACE_INPUT: {
		const char *n = trace_input_name(ev->space);
		put_str(b, "input ");
		put_str(b, n != NULL ? n : "?");
		buf_add_u8(b, ' ');
		put_hex(b, ev->addr);
		put_payload(b, ev);
		break;
	}
	case TRACE_CHECKPOINT:
		put_str(b, "checkpoint");
		put_payload(b, ev);
		break;
	case TRACE_MARK:
		put_str(b, "mark");
		if (ev->len > 0) {
			buf_add_u8(b, ' ');
			buf_add(b, ev->data, ev->len);
		}
		break;
	case TRACE_TIME:
		put_str(b, "time ");
		put_hex(b, ev->value);
		break;
	default:
		put_str(b, "? unknown event kind ");
		put_dec(b, ev->kind);
		break;
	}
}

/* The PCI identity facts, each line only when stated (older traces stay byte-identical). */
static void trace_header_pci_text(struct buf *b, const struct trace_header *h)
{
	if (h->has & TRACE_HAS_CLASS) {
		/* Six digits: base class, subclass and prog-if stay readable as bytes. */
		put_str(b, "pci-class 0x");
		for (int sh = 20; sh >= 0; sh -= 4)
			buf_add_u8(b, (uint8_t)hexchars[(h->pci_class >> sh) & 15]);
		buf_add_u8(b, '\n');
	}
	if (h->has & TRACE_HAS_REVISION) {
		put_str(b, "pci-revision ");
		put_hex(b, h->pci_revision);
		buf_add_u8(b, '\n');
	}
	if (h->has & TRACE_HAS_SUBSYS) {
		put_str(b, "pci-subsystem ");
		put_hex(b, h->subsys_vendor);
		buf_add_u8(b, ' ');
		put_hex(b, h->subsys_id);
		buf_add_u8(b, '\n');
	}
	if (h->has & TRACE_HAS_MSIX) {
		put_str(b, "msix-vectors ");
		put_dec(b, h->msix_vectors);
		buf_add_u8(b, '\n');
	}
	if (h->serial[0] != '\0') {
		put_str(b, "serial ");
		buf_add(b, h->serial, strnlen(h->serial, sizeof h->serial));
		buf_add_u8(b, '\n');
	}
	if (h->discard != TRACE_DISCARD_IGNORE) {
		const char *d = trace_discard_name(h->discard);
		put_str(b, "discard ");
		put_str(b, d != NULL ? d : "?");
		buf_add_u8(b, '\n');
	}
	if (h->write_cache != TRACE_WCACHE_ON) {
		const char *w = trace_write_cache_name(h->write_cache);
		put_str(b, "write-cache ");
		put_str(b, w != NULL ? w : "?");
		buf_add_u8(b, '\n');
	}
}

/* "WORD BASE SIZE" lines, one per range. */
static void put_ranges(struct buf *b, const char *word, const struct trace_ram *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		put_str(b, word);
		put_hex(b, r[i].base);
		buf_add_u8(b, ' ');
		put_hex(b, r[i].size);
		buf_add_u8(b, '\n');
	}
}

void trace_header_text(struct buf *b, const struct trace_header *h)
{
	const char *dev = trace_device_name(h->device);
	const char *lay = trace_layout_name(h->layout);

	put_str(b, "vrt ");
	put_dec(b, h->version);
	put_str(b, "\ndevice ");
	put_str(b, dev != NULL ? dev : "?");
	put_str(b, "\nlayout ");
	put_str(b, lay != NULL ? lay : "?");
	if (h->transport != TRACE_TRANSPORT_MODERN) {
		const char *tr = trace_transport_name(h->transport);
		put_str(b, "\ntransport ");
		put_str(b, tr != NULL ? tr : "?");
	}
	put_str(b, "\nfeatures ");
	put_hex(b, h->features);
	put_str(b, "\nrecorded");
	if (h->recorded & TRACE_REC_DMA)
		put_str(b, " dma");
	if (h->recorded & TRACE_REC_IRQ)
		put_str(b, " irq");
	put_str(b, "\nqueues");
	for (unsigned i = 0; i < h->nqueues && i < TRACE_MAX_QUEUES; i++) {
		buf_add_u8(b, ' ');
		put_dec(b, h->queue_max[i]);
	}
	buf_add_u8(b, '\n');
	trace_header_pci_text(b, h);
	if (h->devcfg_len > 0) {
		put_str(b, "devcfg ");
		put_bytes_hex(b, h->devcfg, h->devcfg_len < TRACE_MAX_DEVCFG ? h->devcfg_len : TRACE_MAX_DEVCFG);
		buf_add_u8(b, '\n');
	}
	if (h->requests != TRACE_REQ_COMPLETE) {
		const char *rq = trace_requests_name(h->requests);
		put_str(b, "generic-requests ");
		put_str(b, rq != NULL ? rq : "?");
		buf_add_u8(b, '\n');
	}
	put_ranges(b, "ram ", h->ram, h->nram < TRACE_MAX_RAM ? h->nram : TRACE_MAX_RAM);
	put_ranges(b, "unassigned ", h->unassigned,
	    h->nunassigned < TRACE_MAX_UNASSIGNED ? h->nunassigned : TRACE_MAX_UNASSIGNED);
	for (unsigned i = 0; i < h->nbackends && i < TRACE_MAX_BACKENDS; i++) {
		const struct trace_backend *be = &h->backend[i];
		put_str(b, "backend ");
		buf_add(b, be->type, strnlen(be->type, sizeof be->type));
		put_str(b, " size ");
		put_hex(b, be->size);
		if (be->has_image) {
			put_str(b, " image ");
			buf_add(b, be->image, strnlen(be->image, sizeof be->image));
			put_str(b, " sha256 ");
			put_bytes_hex(b, be->sha256, sizeof be->sha256);
		}
		buf_add_u8(b, '\n');
	}
	if (h->title[0] != '\0') {
		put_str(b, "title ");
		buf_add(b, h->title, strnlen(h->title, sizeof h->title));
		buf_add_u8(b, '\n');
	}
}

/* ---- binary header facts ---- */

/* Tags of the optional header facts (binary). */
enum { HX_CLASS = 1, HX_REVISION, HX_SUBSYS, HX_MSIX, HX_SERIAL, HX_REQUESTS, HX_TRANSPORT, HX_DISCARD, HX_WCACHE,
	HX_UNASSIGNED, HX_COUNT };

void trace_header_encode(struct buf *b, const struct trace_header *h)
{
	buf_add_u8(b, h->device);
	buf_add_u8(b, h->layout);
	buf_add_le32(b, h->recorded);
	buf_add_le64(b, h->features);
	buf_add_le16(b, h->nqueues);
	for (unsigned i = 0; i < h->nqueues; i++)
		buf_add_le16(b, h->queue_max[i]);
	buf_add_le16(b, h->devcfg_len);
	buf_add(b, h->devcfg, h->devcfg_len);
	buf_add_le16(b, h->nram);
	for (unsigned i = 0; i < h->nram; i++) {
		buf_add_le64(b, h->ram[i].base);
		buf_add_le64(b, h->ram[i].size);
	}
	buf_add_le16(b, h->nbackends);
	for (unsigned i = 0; i < h->nbackends; i++) {
		const struct trace_backend *be = &h->backend[i];
		size_t tl = strnlen(be->type, sizeof be->type - 1);
		buf_add_u8(b, (uint8_t)tl);
		buf_add(b, be->type, tl);
		buf_add_le64(b, be->size);
		buf_add_u8(b, be->has_image ? 1 : 0);
		if (be->has_image) {
			size_t il = strnlen(be->image, sizeof be->image - 1);
			buf_add_le16(b, (uint16_t)il);
			buf_add(b, be->image, il);
			buf_add(b, be->sha256, sizeof be->sha256);
		}
	}
	{
		size_t l = strnlen(h->title, sizeof h->title - 1);
		buf_add_u8(b, (uint8_t)l);
		buf_add(b, h->title, l);
	}
	/* Optional facts after the title, as (tag, length, bytes) in tag order; none in older traces. */
	if (h->has & TRACE_HAS_CLASS) {
		buf_add_u8(b, HX_CLASS);
		buf_add_u8(b, 4);
		buf_add_le32(b, h->pci_class);
	}
	if (h->has & TRACE_HAS_REVISION) {
		buf_add_u8(b, HX_REVISION);
		buf_add_u8(b, 1);
		buf_add_u8(b, h->pci_revision);
	}
	if (h->has & TRACE_HAS_SUBSYS) {
		buf_add_u8(b, HX_SUBSYS);
		buf_add_u8(b, 4);
		buf_add_le16(b, h->subsys_vendor);
		buf_add_le16(b, h->subsys_id);
	}
	if (h->has & TRACE_HAS_MSIX) {
		buf_add_u8(b, HX_MSIX);
		buf_add_u8(b, 2);
		buf_add_le16(b, h->msix_vectors);
	}
	if (h->serial[0] != '\0') {
		size_t l = strnlen(h->serial, sizeof h->serial - 1);
		buf_add_u8(b, HX_SERIAL);
		buf_add_u8(b, (uint8_t)l);
		buf_add(b, h->serial, l);
	}
	if (h->requests != TRACE_REQ_COMPLETE) {
		buf_add_u8(b, HX_REQUESTS);
		buf_add_u8(b, 1);
		buf_add_u8(b, h->requests);
	}
	if (h->transport != TRACE_TRANSPORT_MODERN) {
		buf_add_u8(b, HX_TRANSPORT);
		buf_add_u8(b, 1);
		buf_add_u8(b, h->transport);
	}
	if (h->discard != TRACE_DISCARD_IGNORE) {
		buf_add_u8(b, HX_DISCARD);
		buf_add_u8(b, 1);
		buf_add_u8(b, h->discard);
	}
	if (h->write_cache != TRACE_WCACHE_ON) {
		buf_add_u8(b, HX_WCACHE);
		buf_add_u8(b, 1);
		buf_add_u8(b, h->write_cache);
	}
	if (h->nunassigned > 0) {
		unsigned n = h->nunassigned < TRACE_MAX_UNASSIGNED ? h->nunassigned : TRACE_MAX_UNASSIGNED;
		buf_add_u8(b, HX_UNASSIGNED);
		buf_add_u8(b, (uint8_t)(16 * n));
		for (unsigned i = 0; i < n; i++) {
			buf_add_le64(b, h->unassigned[i].base);
			buf_add_le64(b, h->unassigned[i].size);
		}
	}
}

/* Copy a length-prefixed string into a fixed array, refusing NULs and overflow. */
static int get_str(struct cursor *c, size_t n, char *dst, size_t cap)
{
	const uint8_t *p = cursor_bytes(c, n);

	if (p == NULL || n >= cap || memchr(p, 0, n) != NULL)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

/* The optional facts after the title: tags in increasing order, each once, with its exact length. */
static int decode_ext(struct trace_header *h, struct cursor *c, const char **why)
{
	static const uint8_t want_len[HX_COUNT] = {
		[HX_CLASS] = 4, [HX_REVISION] = 1, [HX_SUBSYS] = 4, [HX_MSIX] = 2, [HX_REQUESTS] = 1, [HX_TRANSPORT] = 1,
		[HX_DISCARD] = 1, [HX_WCACHE] = 1,
	};
	unsigned last = 0;

	while (!c->err && c->off < c->len) {
		uint8_t tag = cursor_u8(c), len = cursor_u8(c);

		if (c->err)
			break;
		if (tag == 0 || tag >= HX_COUNT)
			return *why = "unknown optional header fact", -1;
		if (tag <= last)
			return *why = "optional header facts out of order or repeated", -1;
		last = tag;
		if (want_len[tag] != 0 && len != want_len[tag])
			return *why = "optional header fact has the wrong length", -1;
		switch (tag) {
		case HX_CLASS:
			h->has |= TRACE_HAS_CLASS;
			h->pci_class = cursor_le32(c);
			break;
		case HX_REVISION:
			h->has |= TRACE_HAS_REVISION;
			h->pci_revision = cursor_u8(c);
			break;
		case HX_SUBSYS:
			h->has |= TRACE_HAS_SUBSYS;
			h->subsys_vendor = cursor_le16(c);
			h->subsys_id = cursor_le16(c);
			break;
		case HX_MSIX:
			h->has |= TRACE_HAS_MSIX;
			h->msix_vectors = cursor_le16(c);
			break;
		case HX_REQUESTS:
			h->requests = cursor_u8(c);
			break;
		case HX_TRANSPORT:
			h->transport = cursor_u8(c);
			break;
		case HX_DISCARD:
			h->discard = cursor_u8(c);
			break;
		case HX_WCACHE:
			h->write_cache = cursor_u8(c);
			break;
		case HX_UNASSIGNED:
			if (len == 0 || len % 16 != 0 || len / 16 > TRACE_MAX_UNASSIGNED)
				return *why = "optional header fact has the wrong length", -1;
			h->nunassigned = len / 16;
			for (unsigned i = 0; i < h->nunassigned; i++) {
				h->unassigned[i].base = cursor_le64(c);
				h->unassigned[i].size = cursor_le64(c);
			}
			break;
		default:
			if (len == 0 || get_str(c, len, h->serial, sizeof h->serial) != 0)
				return *why = "bad serial", -1;
			break;
		}
	}
	return 0;
}

int trace_header_decode(struct trace_header *h, const uint8_t *p, size_t n, const char **why)
{
	struct cursor c;
	uint16_t version = h->version;

	cursor_init(&c, p, n);
	trace_header_init(h);
	h->version = version;
	h->device = cursor_u8(&c);
	h->layout = cursor_u8(&c);
	h->recorded = cursor_le32(&c);
	h->features = cursor_le64(&c);
	h->nqueues = cursor_le16(&c);
	if (h->nqueues > TRACE_MAX_QUEUES)
		return *why = "too many queues", -1;
	for (unsigned i = 0; i < h->nqueues; i++)
		h->queue_max[i] = cursor_le16(&c);
	h->devcfg_len = cursor_le16(&c);
	if (h->devcfg_len > TRACE_MAX_DEVCFG)
		return *why = "device config too long", -1;
	cursor_get(&c, h->devcfg, h->devcfg_len);
	h->nram = cursor_le16(&c);
	if (h->nram > TRACE_MAX_RAM)
		return *why = "too many RAM regions", -1;
	for (unsigned i = 0; i < h->nram; i++) {
		h->ram[i].base = cursor_le64(&c);
		h->ram[i].size = cursor_le64(&c);
	}
	h->nbackends = cursor_le16(&c);
	if (h->nbackends > TRACE_MAX_BACKENDS)
		return *why = "too many backends", -1;
	for (unsigned i = 0; i < h->nbackends && !c.err; i++) {
		struct trace_backend *be = &h->backend[i];
		uint8_t has;
		if (get_str(&c, cursor_u8(&c), be->type, sizeof be->type) != 0)
			return *why = "bad backend type", -1;
		be->size = cursor_le64(&c);
		has = cursor_u8(&c);
		if (has > 1)
			return *why = "bad backend image flag", -1;
		be->has_image = has;
		if (has) {
			if (get_str(&c, cursor_le16(&c), be->image, sizeof be->image) != 0)
				return *why = "bad backend image path", -1;
			cursor_get(&c, be->sha256, sizeof be->sha256);
		}
	}
	if (!c.err && get_str(&c, cursor_u8(&c), h->title, sizeof h->title) != 0)
		return *why = "bad title", -1;
	if (!c.err && decode_ext(h, &c, why) != 0)
		return -1;
	if (c.err)
		return *why = "header facts are truncated", -1;
	if (c.off != c.len)
		return *why = "trailing bytes after the header facts", -1;
	return 0;
}

/* ---- reader dispatch ---- */

struct trace_reader *trace_open(const char *path, char **cause)
{
	struct trace_reader *r;
	uint8_t pre[1];
	ssize_t got;
	int fd, rc;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->path = xstrdup(path);
	trace_header_init(&r->hdr);
	do
		got = read(fd, pre, sizeof pre);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		rc = -1;
		if (fd != STDIN_FILENO)
			close(fd);
	} else if (got == 1 && pre[0] == (uint8_t)TRACE_BIN_MAGIC[0]) {
		r->fmt = TRACE_FMT_BINARY;
		rc = trace_bin_open(r, fd, cause);
	} else {
		r->fmt = TRACE_FMT_TEXT;
		rc = trace_text_open(r, fd, pre, (size_t)got, cause);
	}
	if (rc != 0) {
		free(r->path);
		free(r);
		return NULL;
	}
	return r;
}

void trace_close(struct trace_reader *r)
{
	if (r == NULL)
		return;
	if (r->ops != NULL)
		r->ops->close(r);
	free(r->path);
	free(r);
}

const struct trace_header *trace_header(const struct trace_reader *r)
{
	return &r->hdr;
}

enum trace_fmt trace_format(const struct trace_reader *r)
{
	return r->fmt;
}

const char *trace_path(const struct trace_reader *r)
{
	return r->path;
}

int trace_read(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	const char *why;
	int rc;

	if (r->failed)
		return cause_set(cause, "%s: event %llu (offset 0x%llx): trace is damaged (reading after an error)",
		    r->path, (unsigned long long)r->next_no, (unsigned long long)r->ev_off);
	rc = r->ops->read(r, ev, cause);
	if (rc <= 0) {
		if (rc < 0)
			r->failed = 1;
		return rc;
	}
	r->ev_no = r->next_no++;
	why = trace_event_invalid(ev);
	if (why == NULL && ev->kind == TRACE_TIME) {
		if (ev->value < r->last_time)
			why = "virtual time goes backwards";
		r->last_time = ev->value;
	}
	if (why != NULL) {
		r->failed = 1;
		return cause_set(cause, "%s: event %llu (offset 0x%llx): %s", r->path,
		    (unsigned long long)r->ev_no, (unsigned long long)r->ev_off, why);
	}
	return 1;
}

uint64_t trace_event_no(const struct trace_reader *r)
{
	return r->ev_no;
}

uint64_t trace_event_offset(const struct trace_reader *r)
{
	return r->ev_off;
}

int trace_seek(struct trace_reader *r, uint64_t n, char **cause)
{
	if (r->failed)
		return cause_set(cause, "%s: cannot seek in a damaged trace", r->path);
	/* A text seek re-reads from the start: the time check must not see the old position. */
	r->last_time = 0;
	if (r->ops->seek(r, n, cause) != 0) {
		r->failed = 1;
		return -1;
	}
	/* The time check only sees events from here on. */
	r->last_time = 0;
	return 0;
}

void trace_get_file_info(const struct trace_reader *r, struct trace_file_info *fi)
{
	*fi = r->info;
}

/* ---- writer dispatch ---- */

struct trace_writer *trace_writer_open(const char *path, enum trace_fmt fmt, int level,
    const struct trace_header *h, char **cause)
{
	struct trace_writer *w;
	FILE *f;
	char *why = NULL;
	int rc;

	if (trace_header_check(h, &why) != 0) {
		cause_set(cause, "%s: header: %s", path, why);
		free(why);
		return NULL;
	}
	if (level < 0 || level > TRACE_LEVEL_MAX) {
		cause_set(cause, "%s: compression level %d out of range 1..%d", path, level, TRACE_LEVEL_MAX);
		return NULL;
	}
	if (strcmp(path, "-") == 0)
		f = stdout;
	else if ((f = fopen(path, "wb")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->path = xstrdup(path);
	w->fmt = fmt;
	w->hdr = *h;
	if (fmt == TRACE_FMT_BINARY)
		rc = trace_bin_writer_open(w, f, level == 0 ? TRACE_LEVEL_DEFAULT : level, cause);
	else
		rc = trace_text_writer_open(w, f, cause);
	if (rc != 0) {
		if (f != stdout)
			fclose(f);
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

int trace_write(struct trace_writer *w, const struct trace_event *ev, char **cause)
{
	struct trace_event e = *ev;
	const char *why;

	trace_event_normalise(&e);
	why = trace_event_invalid(&e);
	if (why == NULL && e.kind == TRACE_TIME) {
		if (e.value < w->last_time)
			why = "virtual time goes backwards";
		w->last_time = e.value;
	}
	if (why != NULL)
		return cause_set(cause, "%s: event %llu: %s", w->path, (unsigned long long)w->next_no, why);
	if (w->ops->write(w, &e, cause) != 0)
		return -1;
	w->next_no++;
	return 0;
}

void trace_writer_chunk_size(struct trace_writer *w, uint32_t bytes)
{
	if (w->fmt == TRACE_FMT_BINARY)
		trace_bin_writer_chunk_size(w, bytes);
}

int trace_writer_close(struct trace_writer *w, char **cause)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = w->ops->close(w, cause);
	free(w->path);
	free(w);
	return rc;
}
