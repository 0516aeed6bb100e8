/* trace-text.c -- the .vrt text trace format: streaming line parser and canonical writer */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/xmalloc.h"
#include "trace-int.h"

/* The longest line: a maximal payload in hex plus the keyword and numbers. */
#define TEXT_MAX_LINE	(2 * (size_t)TRACE_MAX_PAYLOAD + 4096)
#define TEXT_BUF_INIT	(256u << 10)

struct text_reader {
	int fd;
	int seekable;
	uint8_t *buf;
	size_t cap;
	size_t start;		/* first unconsumed byte */
	size_t end;		/* end of buffered data */
	size_t scanned;		/* bytes after start known to hold no newline */
	uint64_t buf_off;	/* file offset of buf[0] */
	int eof;
	uint64_t line_no;	/* of the line last returned */
	uint64_t line_off;
	uint64_t events_off;	/* where the first event line starts (for rewinding) */
	uint64_t events_line;
	uint8_t *payload;
	size_t payload_cap;
	char *err;		/* a line-level problem, reported by the caller */
};

/* Hex digit value + 1; 0 for a non-digit (so the table needs no override-init). */
static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* ---- line input ---- */

/*
 * Next line into line and n (without the newline). 1: a line; 0: end of file;
 * -1: error with tr->err set (I/O error or overlong line).
 */
static int get_line(struct text_reader *tr, const uint8_t **line, size_t *n)
{
	for (;;) {
		uint8_t *nl = memchr(tr->buf + tr->start + tr->scanned, '\n',
		    tr->end - tr->start - tr->scanned);
		ssize_t got;

		if (nl != NULL) {
			size_t len = (size_t)(nl - (tr->buf + tr->start));
			if (len > TEXT_MAX_LINE)
				break;
			*line = tr->buf + tr->start;
			/* CRLF files from hand editing: the CR never carries meaning. */
			*n = len > 0 && nl[-1] == '\r' ? len - 1 : len;
			tr->line_off = tr->buf_off + tr->start;
			tr->line_no++;
			tr->start += len + 1;
			tr->scanned = 0;
			return 1;
		}
		tr->scanned = tr->end - tr->start;
		if (tr->scanned > TEXT_MAX_LINE)
			break;
		if (tr->eof) {
			if (tr->start == tr->end)
				return 0;
			/* Writers end every line; a missing newline means a cut file. */
			tr->line_off = tr->buf_off + tr->start;
			tr->line_no++;
			xasprintf(&tr->err, "trace is truncated: the last line has no newline");
			return -1;
		}
		if (tr->start > 0) {
			memmove(tr->buf, tr->buf + tr->start, tr->end - tr->start);
			tr->buf_off += tr->start;
			tr->end -= tr->start;
			tr->start = 0;
		}
		if (tr->end == tr->cap) {
			tr->cap *= 2;
			if (tr->cap > TEXT_MAX_LINE + 2)
				tr->cap = TEXT_MAX_LINE + 2;
			tr->buf = xrealloc(tr->buf, tr->cap);
		}
		do
			got = read(tr->fd, tr->buf + tr->end, tr->cap - tr->end);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			tr->line_off = tr->buf_off + tr->start;
			xasprintf(&tr->err, "read error: %s", strerror(errno));
			return -1;
		}
		if (got == 0)
			tr->eof = 1;
		tr->end += (size_t)got;
	}
	tr->line_off = tr->buf_off + tr->start;
	tr->line_no++;
	xasprintf(&tr->err, "line longer than %zu bytes", (size_t)TEXT_MAX_LINE);
	return -1;
}

/* ---- tokens ---- */

struct lex {
	const uint8_t *p;
	const uint8_t *end;
	char **err;
	const uint8_t *line;	/* for column numbers */
};

static int lex_fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lex_fail(struct lex *lx, const char *fmt, ...)
{
	va_list ap;

	if (*lx->err == NULL) {
		va_start(ap, fmt);
		if (vasprintf(lx->err, fmt, ap) < 0)
			*lx->err = NULL;
		va_end(ap);
	}
	return -1;
}

static void skip_ws(struct lex *lx)
{
	while (lx->p < lx->end && is_ws(*lx->p))
		lx->p++;
}

/* Next whitespace-delimited token; n = 0 at end of line or at a comment. */
static const uint8_t *token(struct lex *lx, size_t *n)
{
	const uint8_t *s;

	skip_ws(lx);
	s = lx->p;
	if (s < lx->end && *s == '#') {
		*n = 0;
		return s;
	}
	while (lx->p < lx->end && !is_ws(*lx->p))
		lx->p++;
	*n = (size_t)(lx->p - s);
	return s;
}

static int tok_is(const uint8_t *t, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(t, s, n) == 0;
}

/* A token for messages: printable, cut at 24 characters. */
static const char *tok_show(const uint8_t *t, size_t n, char out[32])
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < 24; i++)
		out[k++] = (t[i] >= 0x20 && t[i] < 0x7f) ? (char)t[i] : '?';
	if (n > 24) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

static int parse_u64(const uint8_t *t, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		for (size_t i = 2; i < n; i++) {
			uint8_t d = hexv[t[i]];
			if (d == 0 || (v >> 60) != 0)
				return -1;
			v = v << 4 | (uint64_t)(d - 1);
		}
	} else {
		if (n == 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned)t[i] - '0';
			if (d > 9 || v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
	}
	*out = v;
	return 0;
}

/* A number field named what, at most max. */
static int num(struct lex *lx, const char *what, uint64_t max, uint64_t *out)
{
	char show[32];
	size_t n;
	const uint8_t *t = token(lx, &n);

	if (n == 0)
		return lex_fail(lx, "missing %s", what);
	if (parse_u64(t, n, out) != 0)
		return lex_fail(lx, "bad %s '%s'", what, tok_show(t, n, show));
	if (*out > max)
		return lex_fail(lx, "%s %s out of range (at most 0x%llx)", what,
		    tok_show(t, n, show), (unsigned long long)max);
	return 0;
}

/* One keyword from a table of names; returns the index. */
static int word(struct lex *lx, const char *what, const char *const *names, int count)
{
	char show[32];
	size_t n;
	const uint8_t *t = token(lx, &n);

	if (n == 0)
		return lex_fail(lx, "missing %s", what);
	for (int i = 0; i < count; i++)
		if (names[i] != NULL && tok_is(t, n, names[i]))
			return i;
	return lex_fail(lx, "unknown %s '%s'", what, tok_show(t, n, show));
}

static int end_of_line(struct lex *lx)
{
	char show[32];
	size_t n;
	const uint8_t *t = token(lx, &n);

	if (n != 0)
		return lex_fail(lx, "unexpected '%s' at end of line", tok_show(t, n, show));
	return 0;
}

/*
 * Hex bytes up to the end of the line (or a comment) into out (cap bytes);
 * pairs may be separated by blanks but never split.
 */
static int hex_bytes(struct lex *lx, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *p = lx->p, *end = lx->end;
	size_t k = 0;

	while (p < end) {
		uint8_t a = hexv[*p];
		if (a != 0) {
			uint8_t b;
			if (p + 1 >= end || is_ws(p[1]) || p[1] == '#')
				return lex_fail(lx, "odd number of hex digits at column %zu", (size_t)(p - lx->line) + 1);
			if ((b = hexv[p[1]]) == 0)
				return lex_fail(lx, "bad hex digit at column %zu", (size_t)(p - lx->line) + 2);
			if (k >= cap)
				return lex_fail(lx, "too many bytes (at most %zu)", cap);
			out[k++] = (uint8_t)((a - 1) << 4 | (b - 1));
			p += 2;
		} else if (is_ws(*p)) {
			p++;
		} else if (*p == '#') {
			break;
		} else {
			return lex_fail(lx, "bad hex digit at column %zu", (size_t)(p - lx->line) + 1);
		}
	}
	lx->p = p;
	*len = k;
	return 0;
}

/* Payload of an event: decoded into the reader's payload buffer. */
static int payload(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	size_t want = (size_t)(lx->end - lx->p) / 2 + 1, len;

	if (want > TRACE_MAX_PAYLOAD)
		want = TRACE_MAX_PAYLOAD;
	if (want > tr->payload_cap) {
		free(tr->payload);
		tr->payload_cap = want < 4096 ? 4096 : want;
		tr->payload = xmalloc(tr->payload_cap);
	}
	if (hex_bytes(lx, tr->payload, want, &len) != 0)
		return -1;
	ev->data = tr->payload;
	ev->len = (uint32_t)len;
	return 0;
}

/* The rest of the line after one blank, verbatim (marks, titles). */
static void rest_text(struct lex *lx, const uint8_t **t, size_t *n)
{
	if (lx->p < lx->end && is_ws(*lx->p))
		lx->p++;
	*t = lx->p;
	*n = (size_t)(lx->end - lx->p);
	lx->p = lx->end;
}

/* ---- events ---- */

static const char *const rw_names[] = { "r", "w" };
static const char *const irq_names[] = { [TRACE_IRQ_MSIX] = "msix", [TRACE_IRQ_INTX] = "intx" };

static int ev_access(struct text_reader *tr, struct lex *lx, struct trace_event *ev, int bar)
{
	char show[32];
	uint64_t v;
	int w = word(lx, "direction (r or w)", rw_names, 2);

	(void)tr;
	if (w < 0)
		return -1;
	if (bar) {
		ev->kind = w ? TRACE_BAR_WRITE : TRACE_BAR_READ;
		if (num(lx, "BAR number", 5, &v) != 0)
			return -1;
		ev->space = (uint8_t)v;
		if (num(lx, "offset", UINT64_MAX, &ev->addr) != 0)
			return -1;
	} else {
		ev->kind = w ? TRACE_CFG_WRITE : TRACE_CFG_READ;
		if (num(lx, "offset", 0xfff, &ev->addr) != 0)
			return -1;
	}
	if (num(lx, "size", 8, &v) != 0)
		return -1;
	ev->size = (uint8_t)v;
	if (w) {
		if (num(lx, "value", UINT64_MAX, &ev->value) != 0)
			return -1;
		ev->has_value = 1;
	} else {
		size_t n;
		const uint8_t *t = token(lx, &n);
		if (n != 0) {
			if (!tok_is(t, n, "="))
				return lex_fail(lx, "expected '=' before the recorded value, got '%s'",
				    tok_show(t, n, show));
			if (num(lx, "value", UINT64_MAX, &ev->value) != 0)
				return -1;
			ev->has_value = 1;
		}
	}
	return end_of_line(lx);
}

static int ev_cfg(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	return ev_access(tr, lx, ev, 0);
}

static int ev_bar(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	return ev_access(tr, lx, ev, 1);
}

static int ev_memdma(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	if (num(lx, "address", UINT64_MAX, &ev->addr) != 0)
		return -1;
	return payload(tr, lx, ev);
}

static int ev_mem(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_MEM;
	return ev_memdma(tr, lx, ev);
}

static int ev_dma(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_DMA;
	return ev_memdma(tr, lx, ev);
}

static int ev_memread(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_MEM_READ;
	return ev_memdma(tr, lx, ev);
}

static int ev_irq(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	int t = word(lx, "interrupt type (msix or intx)", irq_names, 2);

	(void)tr;
	if (t < 0)
		return -1;
	ev->kind = TRACE_IRQ;
	ev->space = (uint8_t)t;
	ev->has_value = 1;
	if (num(lx, t == TRACE_IRQ_MSIX ? "vector" : "level", t == TRACE_IRQ_MSIX ? 2047 : 1, &ev->value) != 0)
		return -1;
	return end_of_line(lx);
}

static int ev_input(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	static const char *const names[TRACE_INPUT_COUNT] = {
		"frame", "entropy", "disk", "console", "event",
	};
	int t = word(lx, "input type", names, TRACE_INPUT_COUNT);

	if (t < 0)
		return -1;
	ev->kind = TRACE_INPUT;
	ev->space = (uint8_t)t;
	if (num(lx, "input address", UINT64_MAX, &ev->addr) != 0)
		return -1;
	return payload(tr, lx, ev);
}

static int ev_checkpoint(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_CHECKPOINT;
	return payload(tr, lx, ev);
}

static int ev_mark(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	const uint8_t *t;
	size_t n;

	(void)tr;
	rest_text(lx, &t, &n);
	if (!trace_text_chars_ok(t, n))
		return lex_fail(lx, "control character in mark text");
	if (n > TRACE_MAX_PAYLOAD)
		return lex_fail(lx, "mark text longer than 16 MiB");
	ev->kind = TRACE_MARK;
	ev->data = t;
	ev->len = (uint32_t)n;
	return 0;
}

static int ev_time(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	(void)tr;
	ev->kind = TRACE_TIME;
	ev->has_value = 1;
	if (num(lx, "time", UINT64_MAX, &ev->value) != 0)
		return -1;
	return end_of_line(lx);
}

static const struct {
	const char *name;
	int (*parse)(struct text_reader *, struct lex *, struct trace_event *);
} event_words[] = {
	{ "bar", ev_bar },
	{ "mem", ev_mem },
	{ "dma", ev_dma },
	{ "cfg", ev_cfg },
	{ "irq", ev_irq },
	{ "time", ev_time },
	{ "input", ev_input },
	{ "mark", ev_mark },
	{ "checkpoint", ev_checkpoint },
	{ "mem-read", ev_memread },
};

/* ---- header ---- */

enum {
	H_VRT, H_DEVICE, H_LAYOUT, H_FEATURES, H_RECORDED, H_QUEUES, H_DEVCFG, H_RAM, H_BACKEND, H_TITLE,
	H_PCI_CLASS, H_PCI_REVISION, H_PCI_SUBSYS, H_MSIX, H_SERIAL, H_REQUESTS, H_TRANSPORT, H_DISCARD, H_WCACHE,
	H_UNASSIGNED, H_END, H_COUNT
};
static const char *const header_words[H_COUNT] = {
	"vrt", "device", "layout", "features", "recorded", "queues", "devcfg", "ram", "backend", "title",
	"pci-class", "pci-revision", "pci-subsystem", "msix-vectors", "serial", "generic-requests", "transport", "discard",
	"write-cache", "unassigned", "---",
};

static int copy_token(struct lex *lx, const char *what, char *dst, size_t cap)
{
	size_t n;
	const uint8_t *t = token(lx, &n);

	if (n == 0)
		return lex_fail(lx, "missing %s", what);
	if (n >= cap)
		return lex_fail(lx, "%s longer than %zu bytes", what, cap - 1);
	for (size_t i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] == 0x7f)
			return lex_fail(lx, "control character in %s", what);
	memcpy(dst, t, n);
	dst[n] = '\0';
	return 0;
}

/* A header word naming one of a table's values: "unknown WHAT 'X' (CHOICES)" otherwise. */
static int named_value(struct lex *lx, const char *what, int (*parse)(const char *), const char *choices,
    uint8_t *out)
{
	char name[48];
	int i;

	if (copy_token(lx, what, name, sizeof name) != 0)
		return -1;
	if ((i = parse(name)) < 0)
		return lex_fail(lx, "unknown %s '%s' (%s)", what, name, choices);
	*out = (uint8_t)i;
	return 0;
}

/* "BASE SIZE" of a range line appended to its list: "more than MAX WHAT KINDS", "missing WHAT base" otherwise. */
static int range_line(struct lex *lx, const char *what, const char *kinds, struct trace_ram *r, uint16_t *n,
    unsigned max)
{
	char field[32];

	if (*n >= max)
		return lex_fail(lx, "more than %u %s %s", max, what, kinds);
	snprintf(field, sizeof field, "%s base", what);
	if (num(lx, field, UINT64_MAX, &r[*n].base) != 0)
		return -1;
	snprintf(field, sizeof field, "%s size", what);
	if (num(lx, field, UINT64_MAX, &r[*n].size) != 0)
		return -1;
	(*n)++;
	return 0;
}

static int header_line(struct lex *lx, int which, struct trace_header *h, unsigned *seen)
{
	char show[32], name[48];
	uint64_t v;
	size_t n;
	const uint8_t *t;
	int i;

	if (which != H_RAM && which != H_BACKEND && which != H_UNASSIGNED && (*seen & (1u << which)))
		return lex_fail(lx, "'%s' given twice", header_words[which]);
	*seen |= 1u << which;
	switch (which) {
	case H_DEVICE:
		if (copy_token(lx, "device type", name, sizeof name) != 0)
			return -1;
		if ((i = trace_device_parse(name)) < 0)
			return lex_fail(lx, "unknown device type '%s' (a name such as blk, balloon or "
			    "virtio-input-host-pci, or a virtio device id 1..%u)", name, TRACE_MAX_DEVICE);
		h->device = (uint8_t)i;
		break;
	case H_REQUESTS:
		if (named_value(lx, "generic-requests policy", trace_requests_parse, "complete or hold",
		    &h->requests) != 0)
			return -1;
		break;
	case H_TRANSPORT:
		if (named_value(lx, "transport", trace_transport_parse, "modern, transitional or legacy",
		    &h->transport) != 0)
			return -1;
		break;
	case H_DISCARD:
		if (named_value(lx, "discard mode", trace_discard_parse, "ignore or unmap", &h->discard) != 0)
			return -1;
		break;
	case H_WCACHE:
		if (named_value(lx, "write-cache mode", trace_write_cache_parse, "on or off", &h->write_cache) != 0)
			return -1;
		break;
	case H_LAYOUT:
		if (named_value(lx, "layout", trace_layout_parse, "qemu or vbox", &h->layout) != 0)
			return -1;
		break;
	case H_FEATURES:
		if (num(lx, "features", UINT64_MAX, &h->features) != 0)
			return -1;
		break;
	case H_RECORDED:
		for (;;) {
			t = token(lx, &n);
			if (n == 0)
				break;
			if (tok_is(t, n, "dma"))
				h->recorded |= TRACE_REC_DMA;
			else if (tok_is(t, n, "irq"))
				h->recorded |= TRACE_REC_IRQ;
			else
				return lex_fail(lx, "unknown recorded output '%s' (dma or irq)", tok_show(t, n, show));
		}
		break;
	case H_QUEUES:
		for (;;) {
			skip_ws(lx);
			if (lx->p == lx->end || *lx->p == '#')
				break;
			if (h->nqueues >= TRACE_MAX_QUEUES)
				return lex_fail(lx, "more than %u queues", TRACE_MAX_QUEUES);
			if (num(lx, "queue size", TRACE_MAX_QUEUE_SIZE, &v) != 0)
				return -1;
			h->queue_max[h->nqueues++] = (uint16_t)v;
		}
		break;
	case H_DEVCFG: {
		size_t len;
		if (hex_bytes(lx, h->devcfg, TRACE_MAX_DEVCFG, &len) != 0)
			return -1;
		h->devcfg_len = (uint16_t)len;
		break;
	}
	case H_RAM:
		if (range_line(lx, "RAM", "regions", h->ram, &h->nram, TRACE_MAX_RAM) != 0)
			return -1;
		break;
	case H_UNASSIGNED:
		if (range_line(lx, "unassigned", "ranges", h->unassigned, &h->nunassigned, TRACE_MAX_UNASSIGNED) != 0)
			return -1;
		break;
	case H_BACKEND: {
		struct trace_backend *be;
		if (h->nbackends >= TRACE_MAX_BACKENDS)
			return lex_fail(lx, "more than %u backends", TRACE_MAX_BACKENDS);
		be = &h->backend[h->nbackends];
		if (copy_token(lx, "backend type", be->type, sizeof be->type) != 0)
			return -1;
		t = token(lx, &n);
		if (!tok_is(t, n, "size"))
			return lex_fail(lx, "expected 'size' after the backend type");
		if (num(lx, "backend size", UINT64_MAX, &be->size) != 0)
			return -1;
		t = token(lx, &n);
		if (n != 0) {
			size_t len;
			char hex[65];
			if (!tok_is(t, n, "image"))
				return lex_fail(lx, "expected 'image' or end of line, got '%s'", tok_show(t, n, show));
			if (copy_token(lx, "image path", be->image, sizeof be->image) != 0)
				return -1;
			t = token(lx, &n);
			if (!tok_is(t, n, "sha256"))
				return lex_fail(lx, "expected 'sha256' after the image path");
			if (copy_token(lx, "sha256", hex, sizeof hex) != 0)
				return -1;
			struct lex hl = { (const uint8_t *)hex, (const uint8_t *)hex + strlen(hex), lx->err,
			    (const uint8_t *)hex };
			if (hex_bytes(&hl, be->sha256, sizeof be->sha256, &len) != 0 || len != sizeof be->sha256)
				return lex_fail(lx, "sha256 must be 64 hex digits");
			be->has_image = true;
		}
		h->nbackends++;
		break;
	}
	case H_TITLE:
	case H_SERIAL: {
		const char *what = which == H_TITLE ? "title" : "serial";
		char *dst = which == H_TITLE ? h->title : h->serial;
		size_t cap = which == H_TITLE ? sizeof h->title : sizeof h->serial;
		rest_text(lx, &t, &n);
		if (!trace_text_chars_ok(t, n))
			return lex_fail(lx, "control character in %s", what);
		if (n >= cap)
			return lex_fail(lx, "%s longer than %zu bytes", what, cap - 1);
		if (which == H_SERIAL && n == 0)
			return lex_fail(lx, "empty serial (leave the line out)");
		memcpy(dst, t, n);
		dst[n] = '\0';
		break;
	}
	case H_PCI_CLASS:
		if (num(lx, "class code", 0xffffff, &v) != 0)
			return -1;
		h->pci_class = (uint32_t)v;
		h->has |= TRACE_HAS_CLASS;
		break;
	case H_PCI_REVISION:
		if (num(lx, "revision", 0xff, &v) != 0)
			return -1;
		h->pci_revision = (uint8_t)v;
		h->has |= TRACE_HAS_REVISION;
		break;
	case H_PCI_SUBSYS:
		if (num(lx, "subsystem vendor", 0xffff, &v) != 0)
			return -1;
		h->subsys_vendor = (uint16_t)v;
		if (num(lx, "subsystem id", 0xffff, &v) != 0)
			return -1;
		h->subsys_id = (uint16_t)v;
		h->has |= TRACE_HAS_SUBSYS;
		break;
	case H_MSIX:
		if (num(lx, "MSI-X vectors", TRACE_MAX_MSIX, &v) != 0)
			return -1;
		h->msix_vectors = (uint16_t)v;
		h->has |= TRACE_HAS_MSIX;
		break;
	default:
		break;
	}
	return end_of_line(lx);
}

/* ---- reader ---- */

static int text_fail(struct trace_reader *r, char **cause, int header, char *msg)
{
	struct text_reader *tr = r->priv;

	r->ev_off = tr->line_off;
	if (header && tr->line_no == 0)
		cause_set(cause, "%s: header (offset 0x%llx): %s", r->path,
		    (unsigned long long)tr->line_off, msg);
	else if (header)
		cause_set(cause, "%s: header (offset 0x%llx): line %llu: %s", r->path,
		    (unsigned long long)tr->line_off, (unsigned long long)tr->line_no, msg);
	else
		cause_set(cause, "%s: event %llu (offset 0x%llx): line %llu: %s", r->path,
		    (unsigned long long)r->next_no, (unsigned long long)tr->line_off,
		    (unsigned long long)tr->line_no, msg);
	free(msg);
	tr->err = NULL;
	return -1;
}

static int lookup_event(const uint8_t *t, size_t n)
{
	for (size_t i = 0; i < sizeof event_words / sizeof event_words[0]; i++)
		if (tok_is(t, n, event_words[i].name))
			return (int)i;
	return -1;
}

static int text_read(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	struct text_reader *tr = r->priv;
	const uint8_t *line, *t;
	size_t n;
	int rc, k;

	for (;;) {
		struct lex lx;
		char show[32];

		rc = get_line(tr, &line, &n);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return text_fail(r, cause, 0, tr->err);
		lx.p = line;
		lx.end = line + n;
		lx.err = &tr->err;
		lx.line = line;
		t = token(&lx, &n);
		if (n == 0)
			continue;
		memset(ev, 0, sizeof *ev);
		if ((k = lookup_event(t, n)) < 0) {
			for (int h = 0; h < H_COUNT; h++)
				if (tok_is(t, n, header_words[h]))
					return text_fail(r, cause, 0, xstrdup("header line after the first event"));
			lex_fail(&lx, "unknown event kind '%s'", tok_show(t, n, show));
			return text_fail(r, cause, 0, tr->err);
		}
		if (event_words[k].parse(tr, &lx, ev) != 0)
			return text_fail(r, cause, 0, tr->err);
		if (ev->len > TRACE_MAX_PAYLOAD)
			return text_fail(r, cause, 0, xstrdup("payload larger than 16 MiB"));
		{
			const char *why = trace_event_invalid(ev);
			if (why != NULL)
				return text_fail(r, cause, 0, xstrdup(why));
		}
		r->ev_off = tr->line_off;
		r->info.raw += (uint64_t)(lx.end - line) + 1;
		return 1;
	}
}

static void text_rewind_state(struct text_reader *tr, uint64_t off, uint64_t line)
{
	tr->start = tr->end = tr->scanned = 0;
	tr->buf_off = off;
	tr->eof = 0;
	tr->line_no = line;
}

static int text_seek(struct trace_reader *r, uint64_t n, char **cause)
{
	struct text_reader *tr = r->priv;
	struct trace_event ev;
	int rc;

	if (n < r->next_no) {
		if (!tr->seekable || lseek(tr->fd, (off_t)tr->events_off, SEEK_SET) < 0)
			return cause_set(cause, "%s: cannot seek back to event %llu (not a regular file)",
			    r->path, (unsigned long long)n);
		text_rewind_state(tr, tr->events_off, tr->events_line);
		r->next_no = 0;
	}
	while (r->next_no < n) {
		rc = trace_read(r, &ev, cause);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cause_set(cause, "%s: event %llu is beyond the end (the trace has %llu events)",
			    r->path, (unsigned long long)n, (unsigned long long)r->next_no);
	}
	return 0;
}

static void text_close(struct trace_reader *r)
{
	struct text_reader *tr = r->priv;

	if (tr == NULL)
		return;
	if (tr->fd != STDIN_FILENO)
		close(tr->fd);
	free(tr->buf);
	free(tr->payload);
	free(tr->err);
	free(tr);
}

static const struct trace_reader_ops text_reader_ops = {
	.read = text_read,
	.seek = text_seek,
	.close = text_close,
};

int trace_text_open(struct trace_reader *r, int fd, const uint8_t *pre, size_t prelen, char **cause)
{
	struct text_reader *tr = xcalloc(1, sizeof *tr);
	struct stat st;
	unsigned seen = 0;
	const uint8_t *line, *t;
	size_t n;
	int rc;
	char *why = NULL;

	tr->fd = fd;
	tr->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (tr->seekable)
		r->info.file_size = (uint64_t)st.st_size;
	tr->cap = TEXT_BUF_INIT;
	tr->buf = xmalloc(tr->cap);
	memcpy(tr->buf, pre, prelen);
	tr->end = prelen;
	r->priv = tr;
	r->ops = &text_reader_ops;
	for (;;) {
		struct lex lx;
		char show[32];
		int h;

		rc = get_line(tr, &line, &n);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			break;
		lx.p = line;
		lx.end = line + n;
		lx.err = &tr->err;
		lx.line = line;
		t = token(&lx, &n);
		if (n == 0)
			continue;
		for (h = 0; h < H_COUNT; h++)
			if (tok_is(t, n, header_words[h]))
				break;
		if (!(seen & (1u << H_VRT))) {
			uint64_t v;
			if (h != H_VRT) {
				lex_fail(&lx, "not a virtio-replay trace (expected 'vrt 1' first)");
				goto fail;
			}
			if (num(&lx, "version", UINT64_MAX, &v) != 0 || end_of_line(&lx) != 0)
				goto fail;
			if (v != TRACE_VERSION) {
				lex_fail(&lx, "unsupported trace version %llu (this program reads %u)",
				    (unsigned long long)v, TRACE_VERSION);
				goto fail;
			}
			seen |= 1u << H_VRT;
			continue;
		}
		if (h == H_END) {
			if (end_of_line(&lx) != 0)
				goto fail;
			break;
		}
		if (h == H_COUNT) {
			if (lookup_event(t, n) < 0) {
				lex_fail(&lx, "unknown header line '%s'", tok_show(t, n, show));
				goto fail;
			}
			/* The first event: give the line back. */
			tr->start = (size_t)(tr->line_off - tr->buf_off);
			tr->scanned = 0;
			tr->line_no--;
			break;
		}
		if (h == H_VRT) {
			lex_fail(&lx, "'vrt' given twice");
			goto fail;
		}
		if (header_line(&lx, h, &r->hdr, &seen) != 0)
			goto fail;
	}
	if (!(seen & (1u << H_VRT))) {
		tr->line_off = tr->buf_off + tr->start;
		xasprintf(&tr->err, "no 'vrt 1' line: not a virtio-replay trace");
		goto fail;
	}
	if (!(seen & (1u << H_DEVICE))) {
		cause_set(cause, "%s: header: no 'device' line", r->path);
		text_close(r);
		r->priv = NULL;
		return -1;
	}
	tr->events_off = tr->buf_off + tr->start;
	tr->events_line = tr->line_no;
	r->ev_off = tr->events_off;
	if (trace_header_check(&r->hdr, &why) != 0) {
		cause_set(cause, "%s: header: %s", r->path, why);
		free(why);
		text_close(r);
		r->priv = NULL;
		return -1;
	}
	return 0;
fail:
	text_fail(r, cause, 1, tr->err);
	text_close(r);
	r->priv = NULL;
	return -1;
}

/* ---- writer ---- */

struct text_writer {
	FILE *f;
	struct buf line;
};

static int text_flush(struct trace_writer *w, struct text_writer *tw, char **cause)
{
	if (tw->line.len > 0 && fwrite(tw->line.data, 1, tw->line.len, tw->f) != tw->line.len)
		return cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_reset(&tw->line);
	return 0;
}

static int text_write(struct trace_writer *w, const struct trace_event *ev, char **cause)
{
	struct text_writer *tw = w->priv;

	trace_event_text(&tw->line, ev);
	buf_add_u8(&tw->line, '\n');
	if (tw->line.len >= (64u << 10))
		return text_flush(w, tw, cause);
	return 0;
}

static int text_wclose(struct trace_writer *w, char **cause)
{
	struct text_writer *tw = w->priv;
	int rc = text_flush(w, tw, cause);

	if (fflush(tw->f) != 0 || ferror(tw->f))
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	if (tw->f != stdout && fclose(tw->f) != 0)
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_release(&tw->line);
	free(tw);
	return rc;
}

static const struct trace_writer_ops text_writer_ops = {
	.write = text_write,
	.close = text_wclose,
};

int trace_text_writer_open(struct trace_writer *w, FILE *f, char **cause)
{
	struct text_writer *tw = xcalloc(1, sizeof *tw);

	(void)cause;
	tw->f = f;
	buf_init(&tw->line);
	trace_header_text(&tw->line, &w->hdr);
	w->priv = tw;
	w->ops = &text_writer_ops;
	return 0;
}
