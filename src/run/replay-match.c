/* replay-match.c -- matching the device's outputs and reads against the recording, and divergence reports */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/gmem.h"
#include "vr/hexdump.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/vpci.h"
#include "vr/vring-name.h"
#include "vr/xmalloc.h"
#include "replay-int.h"

/* ---- divergence reports ---- */

static const char *status_names(uint8_t s, char *out, size_t n)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} bits[] = {
		{ 0x01, "ACKNOWLEDGE" }, { 0x02, "DRIVER" }, { 0x08, "FEATURES_OK" },
		{ 0x04, "DRIVER_OK" }, { 0x40, "DEVICE_NEEDS_RESET" }, { 0x80, "FAILED" },
	};
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(s & bits[i].bit))
			continue;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? "|" : "", bits[i].name);
		if (len >= n)
			break;
	}
	if (out[0] == '\0')
		snprintf(out, n, "reset");
	return out;
}

static void device_state(struct replay *r, struct buf *b)
{
	char names[96];
	uint8_t s = vpci_status(r->dev);

	buf_printf(b, "  device: %s, status 0x%02x (%s), driver features 0x%" PRIx64 "\n",
	    trace_device_name(r->hdr.device) ? trace_device_name(r->hdr.device) : "?", s,
	    status_names(s, names, sizeof(names)), vpci_driver_features(r->dev));
	for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++) {
		const struct qshadow *q = &r->q[i];
		uint16_t aflags = 0, aidx = 0, uflags = 0, uidx = 0;

		if (q->size == 0 || q->desc == 0)
			continue;
		(void)gmem_read_u16(vpci_gmem(r->dev), q->avail, &aflags);
		(void)gmem_read_u16(vpci_gmem(r->dev), q->avail + 2, &aidx);
		(void)gmem_read_u16(vpci_gmem(r->dev), q->used, &uflags);
		(void)gmem_read_u16(vpci_gmem(r->dev), q->used + 2, &uidx);
		buf_printf(b, "  queue %u%s%s: size %u, avail.idx %u (flags 0x%x), used.idx %u (flags 0x%x), "
		    "%u outstanding; desc 0x%" PRIx64 " avail 0x%" PRIx64 " used 0x%" PRIx64 "\n", i, q->name[0] ? " " : "",
		    q->name, q->size, aidx, aflags, uidx, uflags, (uint16_t)(aidx - uidx), q->desc, q->avail, q->used);
	}
}

/* Follow the guest's queue programming through the common-config register table (cheap: BAR writes only). */
static const struct {
	int reg;		/* VPCI_CF_* */
	int field;		/* 0 select, 1 size, 2 desc, 3 avail, 4 used */
	int shift;		/* -1: whole 64-bit field */
} snoop_regs[] = {
	{ VPCI_CF_QSEL, 0, 0 }, { VPCI_CF_QSIZE, 1, 0 },
	{ VPCI_CF_QDESC, 2, -1 }, { VPCI_CF_QDESC, 2, 0 }, { VPCI_CF_QDESC, 2, 32 },
	{ VPCI_CF_QDRIVER, 3, -1 }, { VPCI_CF_QDRIVER, 3, 0 }, { VPCI_CF_QDRIVER, 3, 32 },
	{ VPCI_CF_QDEVICE, 4, -1 }, { VPCI_CF_QDEVICE, 4, 0 }, { VPCI_CF_QDEVICE, 4, 32 },
};

static int snoop_lookup(struct replay *r, const struct trace_event *ev)
{
	/* The register map depends on BAR-relative offsets only, so the answer never changes. */
	uint64_t key = ((uint64_t)ev->space << 56 | (uint64_t)ev->size << 48 | (ev->addr & 0xffffffffffffull)) + 1;
	unsigned slot = (unsigned)((key * 0x9e3779b97f4a7c15ull) >> 58);
	unsigned half;
	int cf, shift, reg = -1;

	if (r->snoop_cache[slot].key == key)
		return r->snoop_cache[slot].reg;
	cf = vpci_common_reg_at(r->dev, ev->space, ev->addr, &half);
	/* a 64-bit register: 4-byte halves, or the whole of it from its start */
	shift = vpci_common_regs[cf < 0 ? 0 : cf].size != 8 ? 0 : ev->size == 4 ? 32 * (int)half : half ? -2 : -1;
	for (size_t i = 0; cf >= 0 && i < sizeof(snoop_regs) / sizeof(snoop_regs[0]); i++)
		if (snoop_regs[i].reg == cf && snoop_regs[i].shift == shift)
			reg = (int)i;
	r->snoop_cache[slot].key = key;
	r->snoop_cache[slot].reg = (int8_t)reg;
	return reg;
}

void rp_snoop_write(struct replay *r, const struct trace_event *ev)
{
	int i = snoop_lookup(r, ev);
	struct qshadow *q;
	uint64_t *a;

	if (i < 0)
		return;
	if (snoop_regs[i].field == 0) {
		r->qsel = (uint16_t)ev->value;
		return;
	}
	if (r->qsel >= VIRTQ_MAX_QUEUES)
		return;
	q = &r->q[r->qsel];
	if (snoop_regs[i].field == 1) {
		q->size = (uint16_t)ev->value;
		return;
	}
	a = snoop_regs[i].field == 2 ? &q->desc : snoop_regs[i].field == 3 ? &q->avail : &q->used;
	if (snoop_regs[i].shift < 0)
		*a = ev->value;
	else
		*a = (*a & ~(0xffffffffull << snoop_regs[i].shift)) |
		    ((ev->value & 0xffffffffull) << snoop_regs[i].shift);
}

/* "requestq.used.ring[3]" + byte offset 4 of the difference -> "requestq.used.ring[3].len". */
static void field_name(const char *what, uint32_t len, uint32_t diff_off, char *out, size_t n)
{
	const char *ring;

	if (what == NULL || what[0] == '\0') {
		snprintf(out, n, "dma");
		return;
	}
	ring = strstr(what, "used.ring[");
	if (ring != NULL && len == 8 && strchr(ring, ']') != NULL && strchr(ring, ']')[1] == '\0') {
		snprintf(out, n, "%s.%s", what, diff_off < 4 ? "id" : "len");
		return;
	}
	snprintf(out, n, "%s", what);
}

static void emit_divergence(struct replay *r, const char *what, const char *field, uint64_t expected,
    uint64_t produced, const uint8_t *ed, uint32_t el, const uint8_t *gd, uint32_t gl, const char *report)
{
	struct vr_event ev;

	if (r->ubus == NULL || !(r->ubus->mask & (1u << VR_EV_DIVERGENCE)))
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_DIVERGENCE;
	ev.u.divergence.what = what;
	ev.u.divergence.field = field;
	ev.u.divergence.expected = expected;
	ev.u.divergence.produced = produced;
	ev.u.divergence.exp_data = ed;
	ev.u.divergence.exp_len = el;
	ev.u.divergence.got_data = gd;
	ev.u.divergence.got_len = gl;
	ev.u.divergence.report = report;
	evbus_emit(r->ubus, &ev);
}

/*
 * Record one divergence. detail is the middle of the report (expected vs
 * produced); the engine adds the headline, device state and history.
 */
static void diverge(struct replay *r, const char *what, const char *field, uint64_t expected, uint64_t produced,
    const uint8_t *ed, uint32_t el, const uint8_t *gd, uint32_t gl, const char *detail)
{
	struct buf *b = &r->tmp2;

	if (!r->reporting)
		return;		/* before --from: the full replay reports it, not us */
	buf_reset(b);
	buf_printf(b, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): divergence in %s\n", r->opts.path,
	    r->dbus.event_no, r->dbus.offset, field);
	buf_add(b, detail, strlen(detail));
	device_state(r, b);
	rp_hist_text(r, b);
	if (r->st.divergences == 0) {
		r->first_report = xstrdup(buf_str(b));
		r->st.first_divergence = r->dbus.event_no;
	}
	r->st.divergences++;
	emit_divergence(r, what, field, expected, produced, ed, el, gd, gl, buf_str(b));
	if (!r->opts.lenient)
		r->diverged_stop = true;
}

static void describe_pending(struct buf *b, const struct pending *p)
{
	if (p->kind == TRACE_DMA)
		buf_printf(b, "dma 0x%" PRIx64 " (%" PRIu32 " bytes%s%s)", p->addr, p->len, p->what[0] ? ", " : "",
		    p->what);
	else if (p->msix)
		buf_printf(b, "irq msix %u%s%s", p->vector, p->what[0] ? " for " : "", p->what);
	else
		buf_printf(b, "irq intx %u%s%s", p->level, p->what[0] ? " for " : "", p->what);
}

/* Outputs produced that the recording does not have, checked when the next guest event arrives. */
void rp_check_unmatched(struct replay *r)
{
	while (r->npend > 0) {
		struct pending *p = &r->pend[r->pend_head];
		uint32_t need = p->kind == TRACE_DMA ? TRACE_REC_DMA : TRACE_REC_IRQ;
		char field[96];

		if (p->kind == TRACE_IRQ && p->msix && !(r->hdr.recorded & TRACE_REC_DMA) && p->vector < RP_MSIX_VECTORS &&
		    (r->msix_seen[p->vector / 8] >> (p->vector % 8) & 1))
			need = 0;	/* the recording saw this vector since the last guest event */
		if (need != 0 && (r->hdr.recorded & need)) {
			struct buf *d = &r->tmp;

			buf_reset(d);
			buf_printf(d, "  expected: nothing more (the recording has no further output here)\n  produced: ");
			describe_pending(d, p);
			buf_add_u8(d, '\n');
			if (p->kind == TRACE_DMA) {
				hexdump_buf(d, "    ", r->arena.data + p->off, p->len, 0, DIFF_BYTES);
				field_name(p->what, p->len, 0, field, sizeof(field));
				diverge(r, "unexpected-dma", field, 0, p->addr, NULL, 0, r->arena.data + p->off,
				    p->len, buf_str(d));
			} else {
				diverge(r, "unexpected-irq", p->msix ? "msix vector" : "intx level", 0,
				    p->msix ? p->vector : p->level, NULL, 0, NULL, 0, buf_str(d));
			}
		}
		r->pend_head++;
		r->npend--;
		if (r->diverged_stop)
			return;
	}
}

/*
 * Outputs of a kind the recording does not carry (a QEMU recording has no
 * DMA) cannot be out of order with the ones it does: skip them.
 */
static void skip_unrecorded(struct replay *r)
{
	while (r->npend > 0) {
		const struct pending *p = &r->pend[r->pend_head];

		if (r->hdr.recorded & (p->kind == TRACE_DMA ? TRACE_REC_DMA : TRACE_REC_IRQ))
			return;
		r->pend_head++;
		r->npend--;
	}
}

void rp_match_dma(struct replay *r, const struct trace_event *ev)
{
	struct buf *d = &r->tmp;
	char field[96];
	struct pending *p;

	buf_reset(d);
	skip_unrecorded(r);
	if (r->npend == 0) {
		buf_printf(d, "  expected: dma 0x%" PRIx64 " (%" PRIu32 " bytes)\n  produced: nothing\n", ev->addr, ev->len);
		hexdump_buf(d, "    ", ev->data, ev->len, 0, DIFF_BYTES);
		diverge(r, "missing-dma", "dma", ev->addr, 0, ev->data, ev->len, NULL, 0, buf_str(d));
		return;
	}
	p = &r->pend[r->pend_head];
	if (p->kind != TRACE_DMA) {
		buf_printf(d, "  expected: dma 0x%" PRIx64 " (%" PRIu32 " bytes)\n  produced: ", ev->addr, ev->len);
		describe_pending(d, p);
		buf_add_u8(d, '\n');
		diverge(r, "dma", "output order", ev->addr, 0, ev->data, ev->len, NULL, 0, buf_str(d));
	} else if (p->addr != ev->addr || p->len != ev->len || memcmp(r->arena.data + p->off, ev->data, ev->len) != 0) {
		const uint8_t *g = r->arena.data + p->off;
		uint32_t off = 0, n = p->len < ev->len ? p->len : ev->len;

		while (off < n && g[off] == ev->data[off])
			off++;
		if (p->addr != ev->addr)
			snprintf(field, sizeof(field), "dma address (the device wrote %s)", p->what[0] ? p->what : "a buffer");
		else
			field_name(p->what, p->len, off, field, sizeof(field));
		buf_printf(d, "  expected: dma 0x%" PRIx64 " (%" PRIu32 " bytes)\n  produced: ", ev->addr, ev->len);
		describe_pending(d, p);
		buf_add_u8(d, '\n');
		if (p->addr == ev->addr && p->len == ev->len)
			buf_printf(d, "  first difference at byte %" PRIu32 " (guest address 0x%" PRIx64 ")\n", off,
			    ev->addr + off);
		{
			/* From the line before the first difference: long buffers show where they differ. */
			uint32_t start = off >= 16 ? (off & ~15u) - 16 : 0;

			if (start > 0)
				buf_printf(d, "  (%" PRIu32 " identical bytes not shown)\n", start);
			hexdump_diff(d, "  ", ev->data + (start < ev->len ? start : ev->len),
			    start < ev->len ? ev->len - start : 0, g + (start < p->len ? start : p->len),
			    start < p->len ? p->len - start : 0, start, DIFF_BYTES);
		}
		diverge(r, "dma", field, ev->addr, p->addr, ev->data, ev->len, g, p->len, buf_str(d));
	}
	r->pend_head++;
	r->npend--;
}

/*
 * A recording without DMA outputs (QEMU's, through qtest) learns of the
 * MSI-X vectors one guest access raised all at once and lists them lowest
 * first: their order is not in the trace. Bring the produced interrupt of
 * the recorded vector to the front of the interrupts waiting in a row.
 */
static void irq_to_front(struct replay *r, uint16_t vector)
{
	for (size_t i = 0; i < r->npend; i++) {
		struct pending *p = &r->pend[r->pend_head + i], found;

		if (p->kind == TRACE_DMA)
			continue;	/* not in the recording */
		if (p->kind != TRACE_IRQ || !p->msix)
			return;
		if (p->vector != vector)
			continue;
		found = *p;
		memmove(&r->pend[r->pend_head + 1], &r->pend[r->pend_head], i * sizeof(*p));
		r->pend[r->pend_head] = found;
		return;
	}
}

void rp_match_irq(struct replay *r, const struct trace_event *ev)
{
	struct buf *d = &r->tmp;
	bool msix = ev->space == TRACE_IRQ_MSIX;
	struct pending *p;

	buf_reset(d);
	skip_unrecorded(r);
	if (msix && !(r->hdr.recorded & TRACE_REC_DMA))
		irq_to_front(r, (uint16_t)ev->value);
	buf_printf(d, "  expected: irq %s %" PRIu64 "\n  produced: ", msix ? "msix" : "intx", ev->value);
	if (r->npend == 0) {
		buf_printf(d, "nothing\n");
		diverge(r, "missing-irq", msix ? "msix vector" : "intx level", ev->value, 0, NULL, 0, NULL, 0,
		    buf_str(d));
		return;
	}
	p = &r->pend[r->pend_head];
	describe_pending(d, p);
	buf_add_u8(d, '\n');
	if (p->kind != TRACE_IRQ)
		diverge(r, "irq", "output order", ev->value, 0, NULL, 0, NULL, 0, buf_str(d));
	else if (p->msix != msix)
		diverge(r, "irq", "interrupt type", msix, p->msix, NULL, 0, NULL, 0, buf_str(d));
	else if (msix && p->vector != ev->value)
		diverge(r, "irq", "msix vector", ev->value, p->vector, NULL, 0, NULL, 0, buf_str(d));
	else if (!msix && p->level != ev->value)
		diverge(r, "irq", "intx level", ev->value, p->level, NULL, 0, NULL, 0, buf_str(d));
	else if (msix && p->vector < RP_MSIX_VECTORS)
		r->msix_seen[p->vector / 8] |= (uint8_t)(1u << (p->vector % 8));
	r->pend_head++;
	r->npend--;
}

void rp_check_read(struct replay *r, const struct trace_event *ev, uint64_t got)
{
	struct buf *d = &r->tmp;
	bool cfg = ev->kind == TRACE_CFG_READ;
	uint64_t mask = ev->size >= 8 ? UINT64_MAX : ((1ull << (ev->size * 8)) - 1);
	char reg[96];

	if ((got & mask) == (ev->value & mask))
		return;
	vpci_reg_name(r->dev, cfg, ev->space, ev->addr, ev->size, reg, sizeof(reg));
	buf_reset(d);
	if (cfg)
		buf_printf(d, "  register: %s (config 0x%03" PRIx64 ", %u bytes)\n", reg, ev->addr, ev->size);
	else
		buf_printf(d, "  register: %s (bar %u + 0x%" PRIx64 ", %u bytes)\n", reg, ev->space, ev->addr, ev->size);
	buf_printf(d, "  expected: 0x%0*" PRIx64 "\n  produced: 0x%0*" PRIx64 "\n", ev->size * 2, ev->value & mask,
	    ev->size * 2, got & mask);
	diverge(r, cfg ? "cfg-read" : "bar-read", reg, ev->value & mask, got & mask, NULL, 0, NULL, 0, buf_str(d));
}

void rp_verify_checkpoint(struct replay *r, const struct trace_event *ev)
{
	struct buf *d = &r->tmp, *s = &r->tmp2;
	size_t n, off = 0, start;
	uint8_t *copy;
	size_t clen;

	buf_reset(s);
	vpci_save(r->dev, s);
	r->st.checkpoints_verified++;
	if (s->len == ev->len && memcmp(s->data, ev->data, ev->len) == 0)
		return;
	n = s->len < ev->len ? s->len : ev->len;
	while (off < n && s->data[off] == ev->data[off])
		off++;
	start = off & ~(size_t)15;
	/* The report needs the state after diverge() reuses tmp2. */
	clen = s->len;
	copy = xmalloc(clen + 1);
	memcpy(copy, s->data, clen);
	buf_reset(d);
	buf_printf(d, "  expected: checkpoint of %" PRIu32 " bytes\n  produced: device state of %zu bytes\n"
	    "  first difference at byte %zu\n", ev->len, clen, off);
	hexdump_diff(d, "  ", ev->data + (start < ev->len ? start : ev->len), start < ev->len ? ev->len - start : 0,
	    copy + (start < clen ? start : clen), start < clen ? clen - start : 0, start, 64);
	diverge(r, "checkpoint", "checkpoint", ev->len, clen, NULL, 0, NULL, 0, buf_str(d));
	free(copy);
}

/* ---- guest read-backs of RAM ---- */

/* Offsets of a split ring's fields (spec 2.6): desc 16 bytes each; avail and used headers 4 bytes. */
#define DESC_BYTES	16u

/* Is a inside [base, base + n)? Without overflow. */
static bool in_range(uint64_t a, uint64_t base, uint64_t n)
{
	return a >= base && a - base < n;
}

/* A buffer one descriptor table names (direct or one indirect level): 1 and *desc set if a lies in it. */
static int find_buffer(const struct gmem *m, uint64_t table, uint32_t entries, uint64_t a, bool nested,
    unsigned *desc, bool *indirect_table)
{
	for (uint32_t j = 0; j < entries; j++) {
		uint64_t da = 0;
		uint32_t dl = 0;
		uint16_t df = 0;

		if (gmem_read_u64(m, table + (uint64_t)j * DESC_BYTES, &da) < 0 ||
		    gmem_read_u32(m, table + (uint64_t)j * DESC_BYTES + 8, &dl) < 0 ||
		    gmem_read_u16(m, table + (uint64_t)j * DESC_BYTES + 12, &df) < 0)
			return 0;
		if (dl == 0 || !in_range(a, da, dl)) {
			if (!nested && (df & 4) && dl >= DESC_BYTES &&
			    find_buffer(m, da, dl / DESC_BYTES > TRACE_MAX_QUEUE_SIZE ? TRACE_MAX_QUEUE_SIZE :
			    dl / DESC_BYTES, a, true, desc, indirect_table)) {
				*desc = j;
				return 1;
			}
			continue;
		}
		*desc = j;
		*indirect_table = !nested && (df & 4);
		return 1;
	}
	return 0;
}

/* Byte o of the avail or used ring (flags, idx, ring[sz] of elem bytes, the event word after it). */
/*
 * Name the ring field or buffer guest address a lies in, from what the guest
 * told the device about its queues: "requestq.used.ring[3].len",
 * "requestq.avail.idx", "requestq.buffer". Only runs for a mismatch.
 */
static void ram_field(struct replay *r, uint64_t a, char *out, size_t n)
{
	const struct gmem *m = vpci_gmem(r->dev);

	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++) {
			const struct qshadow *q = &r->q[i];
			char qn[40], name[64];
			uint64_t sz = q->size;
			struct vring_layout l;
			struct vring_spot spot;

			if (sz == 0 || q->desc == 0)
				continue;
			if (q->name[0] != '\0')
				snprintf(qn, sizeof(qn), "%s", q->name);
			else
				snprintf(qn, sizeof(qn), "queue%u", i);
			if (pass == 1) {
				unsigned d = 0;
				bool ind = false;

				/* Buffers last: a ring that lies inside a buffer is named as the ring. */
				if (find_buffer(m, q->desc, (uint32_t)sz, a, false, &d, &ind)) {
					if (ind)
						snprintf(out, n, "%s.desc[%u].indirect", qn, d);
					else
						snprintf(out, n, "%s.buffer", qn);
					return;
				}
				continue;
			}
			l = (struct vring_layout){ .desc = q->desc, .avail = q->avail, .used = q->used, .size = sz };
			if (vring_locate(&l, a, &spot)) {
				vring_spot_name(&spot, true, name, sizeof(name));
				snprintf(out, n, "%s.%s", qn, name);
				return;
			}
		}
	snprintf(out, n, "guest RAM 0x%" PRIx64, a);
}

void replay_name_ram(struct replay *r, uint64_t addr, char *out, size_t n)
{
	ram_field(r, addr, out, n);
}

/* Little-endian value of up to 8 bytes (for the divergence event's expected/produced). */
static uint64_t le_value(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = n < 8 ? n : 8; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* The guest read its RAM: what it saw must be what the simulation holds (its stores plus device DMA). */
int rp_check_mem_read(struct replay *r, const struct trace_event *ev, uint64_t no, uint64_t off, char **cause)
{
	struct buf *d = &r->tmp;
	const uint8_t *g;
	uint32_t k = 0;
	char field[96];

	buf_reset(&r->ram);
	buf_reserve(&r->ram, ev->len);
	if (ev->len > 0 && gmem_read(vpci_gmem(r->dev), ev->addr, r->ram.data, ev->len) < 0)
		return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): guest read of %" PRIu32
		    " bytes at 0x%" PRIx64 " lies outside the declared RAM", r->opts.path, no, off, ev->len, ev->addr);
	g = r->ram.data;
	if (ev->len == 0 || memcmp(g, ev->data, ev->len) == 0)
		return 0;
	while (k < ev->len && g[k] == ev->data[k])
		k++;
	ram_field(r, ev->addr + k, field, sizeof(field));
	buf_reset(d);
	buf_printf(d, "  guest read: %" PRIu32 " bytes at 0x%" PRIx64 "\n", ev->len, ev->addr);
	buf_printf(d, "  first difference at byte %" PRIu32 " (guest address 0x%" PRIx64 ", %s)\n", k, ev->addr + k,
	    field);
	buf_printf(d, "  expected: what the guest saw; produced: simulated RAM (guest stores and device writes)\n");
	{
		uint32_t start = k >= 16 ? (k & ~15u) - 16 : 0;

		if (start > 0)
			buf_printf(d, "  (%" PRIu32 " identical bytes not shown)\n", start);
		hexdump_diff(d, "  ", ev->data + start, ev->len - start, g + start, ev->len - start, start, DIFF_BYTES);
	}
	diverge(r, "mem-read", field, le_value(ev->data, ev->len), le_value(g, ev->len), ev->data, ev->len, g,
	    ev->len, buf_str(d));
	return 0;
}
