/* trace-canon.c -- the canonical text of events and headers (what dump, diff and the text format print) */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "trace-int.h"

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
	put_ranges(b, "rom ", h->rom, h->nrom < TRACE_MAX_ROM ? h->nrom : TRACE_MAX_ROM);
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
