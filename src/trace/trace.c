/* trace.c -- the trace event model: names, event rules, format dispatch (header rules: trace-header.c, canonical text: trace-canon.c) */
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
