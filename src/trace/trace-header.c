/* trace-header.c -- the trace header: the rules a header must keep, and its binary encoding with the optional facts */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/range.h"
#include "vr/le.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "trace-int.h"

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

/* Ranges that read 0 (what: "unassigned", "rom"): not empty, no wrap, apart from RAM, the unassigned ranges and each other. */
static int zero_ranges_check(const struct trace_header *h, const char *what, const struct trace_ram *r, unsigned n,
    bool top_ok, char **cause)
{
	for (unsigned i = 0; i < n; i++) {
		const struct trace_ram *a = &r[i];
		if (range_bad(a->base, a->size) || (!top_ok && a->base + a->size == 0))
			return cause_set(cause, "%s range %u (0x%llx+0x%llx) is empty or wraps around", what, i,
			    (unsigned long long)a->base, (unsigned long long)a->size);
		for (unsigned j = 0; j < h->nram; j++)
			if (range_overlap(a->base, a->size, h->ram[j].base, h->ram[j].size))
				return cause_set(cause, "%s range %u overlaps RAM region %u", what, i, j);
		for (unsigned j = 0; j < (r == h->unassigned ? i : h->nunassigned); j++)
			if (range_overlap(a->base, a->size, h->unassigned[j].base, h->unassigned[j].size))
				return cause_set(cause, r == h->unassigned ? "unassigned ranges %u and %u overlap" :
				    "unassigned range %u and rom range %u overlap", j, i);
		for (unsigned j = 0; r == h->rom && j < i; j++)
			if (range_overlap(a->base, a->size, h->rom[j].base, h->rom[j].size))
				return cause_set(cause, "rom ranges %u and %u overlap", j, i);
	}
	return 0;
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
	if (h->nrom > TRACE_MAX_ROM)
		return cause_set(cause, "%u rom ranges (at most %u)", h->nrom, TRACE_MAX_ROM);
	/* unassigned space may end at 2^64 exactly (QEMU's does); ROM may not */
	if (zero_ranges_check(h, "unassigned", h->unassigned, h->nunassigned, true, cause) < 0 ||
	    zero_ranges_check(h, "rom", h->rom, h->nrom, false, cause) < 0)
		return -1;
	if ((h->discard != TRACE_DISCARD_IGNORE || h->write_cache != TRACE_WCACHE_ON) &&
	    h->device != VIRTIO_ID_BLOCK && h->device != VIRTIO_ID_SCSI)
		return cause_set(cause, "discard and write-cache are facts of a disk (blk or scsi), not of %s",
		    trace_device_name(h->device) != NULL ? trace_device_name(h->device) : "this device");
	return 0;
}

/* ---- binary header facts ---- */

/* Tags of the optional header facts (binary). */
enum { HX_CLASS = 1, HX_REVISION, HX_SUBSYS, HX_MSIX, HX_SERIAL, HX_REQUESTS, HX_TRANSPORT, HX_DISCARD, HX_WCACHE,
	HX_UNASSIGNED, HX_ROM, HX_COUNT };

/* A list of ranges as one optional fact: tag, 16 bytes a range (base, size), nothing when the list is empty. */
static void put_ranges(struct buf *b, uint8_t tag, const struct trace_ram *r, unsigned n)
{
	if (n == 0)
		return;
	buf_add_u8(b, tag);
	buf_add_u8(b, (uint8_t)(16 * n));
	for (unsigned i = 0; i < n; i++) {
		buf_add_le64(b, r[i].base);
		buf_add_le64(b, r[i].size);
	}
}

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
	put_ranges(b, HX_UNASSIGNED, h->unassigned, h->nunassigned < TRACE_MAX_UNASSIGNED ? h->nunassigned :
	    TRACE_MAX_UNASSIGNED);
	put_ranges(b, HX_ROM, h->rom, h->nrom < TRACE_MAX_ROM ? h->nrom : TRACE_MAX_ROM);
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

/* The ranges of one optional fact of len bytes (put_ranges), at most max. */
static int get_ranges(struct cursor *c, unsigned len, struct trace_ram *r, uint16_t *n, unsigned max)
{
	if (len == 0 || len % 16 != 0 || len / 16 > max)
		return -1;
	*n = (uint16_t)(len / 16);
	for (unsigned i = 0; i < *n; i++) {
		r[i].base = cursor_le64(c);
		r[i].size = cursor_le64(c);
	}
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
			if (get_ranges(c, len, h->unassigned, &h->nunassigned, TRACE_MAX_UNASSIGNED) < 0)
				return *why = "optional header fact has the wrong length", -1;
			break;
		case HX_ROM:
			if (get_ranges(c, len, h->rom, &h->nrom, TRACE_MAX_ROM) < 0)
				return *why = "optional header fact has the wrong length", -1;
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
