/* trace-text-header.c -- the .vrt text header lines: device, layout, features, queues, ranges, PCI identity */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/xmalloc.h"
#include "trace-text-int.h"

const char *const header_words[H_COUNT] = {
	"vrt", "device", "layout", "features", "recorded", "queues", "devcfg", "ram", "backend", "title",
	"pci-class", "pci-revision", "pci-subsystem", "msix-vectors", "serial", "generic-requests", "transport", "discard",
	"write-cache", "unassigned", "rom", "---",
};

static int copy_token(struct lex *lx, const char *what, char *dst, size_t cap)
{
	size_t n;
	const uint8_t *t = lex_token(lx, &n);

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
	if (lex_num(lx, field, UINT64_MAX, &r[*n].base) != 0)
		return -1;
	snprintf(field, sizeof field, "%s size", what);
	if (lex_num(lx, field, UINT64_MAX, &r[*n].size) != 0)
		return -1;
	(*n)++;
	return 0;
}

int header_line(struct lex *lx, int which, struct trace_header *h, unsigned *seen)
{
	char show[32], name[48];
	uint64_t v;
	size_t n;
	const uint8_t *t;
	int i;

	if (which != H_RAM && which != H_BACKEND && which != H_UNASSIGNED && which != H_ROM && (*seen & (1u << which)))
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
		if (lex_num(lx, "features", UINT64_MAX, &h->features) != 0)
			return -1;
		break;
	case H_RECORDED:
		for (;;) {
			t = lex_token(lx, &n);
			if (n == 0)
				break;
			if (lex_tok_is(t, n, "dma"))
				h->recorded |= TRACE_REC_DMA;
			else if (lex_tok_is(t, n, "irq"))
				h->recorded |= TRACE_REC_IRQ;
			else
				return lex_fail(lx, "unknown recorded output '%s' (dma or irq)", lex_tok_show(t, n, show));
		}
		break;
	case H_QUEUES:
		for (;;) {
			lex_skip_ws(lx);
			if (lx->p == lx->end || *lx->p == '#')
				break;
			if (h->nqueues >= TRACE_MAX_QUEUES)
				return lex_fail(lx, "more than %u queues", TRACE_MAX_QUEUES);
			if (lex_num(lx, "queue size", TRACE_MAX_QUEUE_SIZE, &v) != 0)
				return -1;
			h->queue_max[h->nqueues++] = (uint16_t)v;
		}
		break;
	case H_DEVCFG: {
		size_t len;
		if (lex_hex_bytes(lx, h->devcfg, TRACE_MAX_DEVCFG, &len) != 0)
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
	case H_ROM:
		if (range_line(lx, "rom", "ranges", h->rom, &h->nrom, TRACE_MAX_ROM) != 0)
			return -1;
		break;
	case H_BACKEND: {
		struct trace_backend *be;
		if (h->nbackends >= TRACE_MAX_BACKENDS)
			return lex_fail(lx, "more than %u backends", TRACE_MAX_BACKENDS);
		be = &h->backend[h->nbackends];
		if (copy_token(lx, "backend type", be->type, sizeof be->type) != 0)
			return -1;
		t = lex_token(lx, &n);
		if (!lex_tok_is(t, n, "size"))
			return lex_fail(lx, "expected 'size' after the backend type");
		if (lex_num(lx, "backend size", UINT64_MAX, &be->size) != 0)
			return -1;
		t = lex_token(lx, &n);
		if (n != 0) {
			size_t len;
			char hex[65];
			if (!lex_tok_is(t, n, "image"))
				return lex_fail(lx, "expected 'image' or end of line, got '%s'", lex_tok_show(t, n, show));
			if (copy_token(lx, "image path", be->image, sizeof be->image) != 0)
				return -1;
			t = lex_token(lx, &n);
			if (!lex_tok_is(t, n, "sha256"))
				return lex_fail(lx, "expected 'sha256' after the image path");
			if (copy_token(lx, "sha256", hex, sizeof hex) != 0)
				return -1;
			struct lex hl = { (const uint8_t *)hex, (const uint8_t *)hex + strlen(hex), lx->err,
			    (const uint8_t *)hex };
			if (lex_hex_bytes(&hl, be->sha256, sizeof be->sha256, &len) != 0 || len != sizeof be->sha256)
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
		lex_rest_text(lx, &t, &n);
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
		if (lex_num(lx, "class code", 0xffffff, &v) != 0)
			return -1;
		h->pci_class = (uint32_t)v;
		h->has |= TRACE_HAS_CLASS;
		break;
	case H_PCI_REVISION:
		if (lex_num(lx, "revision", 0xff, &v) != 0)
			return -1;
		h->pci_revision = (uint8_t)v;
		h->has |= TRACE_HAS_REVISION;
		break;
	case H_PCI_SUBSYS:
		if (lex_num(lx, "subsystem vendor", 0xffff, &v) != 0)
			return -1;
		h->subsys_vendor = (uint16_t)v;
		if (lex_num(lx, "subsystem id", 0xffff, &v) != 0)
			return -1;
		h->subsys_id = (uint16_t)v;
		h->has |= TRACE_HAS_SUBSYS;
		break;
	case H_MSIX:
		if (lex_num(lx, "MSI-X vectors", TRACE_MAX_MSIX, &v) != 0)
			return -1;
		h->msix_vectors = (uint16_t)v;
		h->has |= TRACE_HAS_MSIX;
		break;
	default:
		break;
	}
	return lex_end_of_line(lx);
}
