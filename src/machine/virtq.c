/* virtq.c -- split virtqueue, device side: ring setup and the avail side (chain walking with every guest check) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "virtq-int.h"
#include "virtq-ring.h"


/*
 * Compared with the references (and why we differ):
 * - QEMU 7.2 (hw/virtio/virtio.c) only accepts INDIRECT on the head and
 *   treats a flag on a later descriptor (in a chain or inside a table) as
 *   data, with no cap on a table's entries; the qemu profile does the same
 *   (indirect_head_only). The vbox profile follows the spec, which allows
 *   an indirect descriptor as the last one of a direct chain.
 * - QEMU counts posted buffers (virtqueue_get_avail_bytes) by its own
 *   rules: count_qemu in virtq-count.c.
 * - QEMU pops stale slots when avail idx jumps (only "Virtqueue size
 *   exceeded" stops it); the qemu profile does the same after reporting,
 *   the vbox profile stops the queue as the spec's NEEDS_RESET allows.
 * - rust-vmm virtio-queue returns an error per chain and leaves the policy
 *   to the device; here too the ring only decides and returns (struct
 *   virtq_result); the transport reports and applies the profile's
 *   reaction, so every device model behaves alike. This file knows no
 *   transport: its choices come as a struct virtq_policy.
 * - QEMU rejects zero-length descriptors outright (virtqueue_map_desc); the
 *   vbox profile lets them through and device models decide whether they
 *   needed data (case 9 as worded in the spec).
 */

struct virtq *virtq_new(void *owner, struct gmem *m, struct evbus *bus, unsigned index, const char *name,
    const char *device, const struct virtq_policy *pol)
{
	struct virtq *q = xcalloc(1, sizeof *q);
	q->owner = owner;
	q->m = m;
	q->bus = bus;
	q->index = index;
	snprintf(q->name, sizeof q->name, "%s", name);
	q->device = device;
	q->pol = *pol;
	return q;
}

void *virtq_owner(const struct virtq *q)
{
	return q->owner;
}

void virtq_set_live(struct virtq *q, bool live)
{
	q->live = live;
}

int virtq_report(struct virtq_result *res, enum violation v, int desc, uint64_t addr, bool fatal,
    const char *fmt, ...)
{
	if (fatal)
		res->refused = true;
	if (res->n == VIRTQ_REPORTS_MAX)
		return fatal ? -1 : 0;
	struct virtq_report *r = &res->r[res->n++];
	r->v = v;
	r->desc = desc;
	r->addr = addr;
	r->fatal = fatal;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
	return fatal ? -1 : 0;
}

void virtq_free(struct virtq *q)
{
	if (q == NULL)
		return;
	free(q->out);
	free(q->scratch);
	free(q->later);
	free(q);
}

void virtq_reset(struct virtq *q)
{
	/* QEMU unmaps what a reset device still held: the bounce buffer is free again */
	if (virtq_holds_bounce(q))
		gmem_set_bounce(q->m, 0);
	q->started = false;
	q->unmapped = false;
	q->halted = false;
	q->event_idx = false;
	q->notify_off = false;
	q->size = q->mapped = 0;
	q->nocache = false;
	q->zero = 0;
	q->desc = q->avail = q->used = 0;
	q->features = 0;
	q->last_avail = q->used_idx = q->pub_used = q->signalled_used = 0;
	q->signalled_valid = false;
	q->in_flight = 0;
	q->notify_owed = 0;
	q->jump_seen = false;
	q->jump_idx = 0;
	q->nlater = q->later_next = 0;
	q->gen++;
}

const char *virtq_name(const struct virtq *q)
{
	return q->name;
}

unsigned virtq_index(const struct virtq *q)
{
	return q->index;
}

uint16_t virtq_size(const struct virtq *q)
{
	return q->started ? q->size : 0;
}

uint16_t virtq_last_avail(const struct virtq *q)
{
	return q->last_avail;
}

uint64_t virtq_features(const struct virtq *q)
{
	return q->features;
}

bool virtq_started(const struct virtq *q)
{
	return q->started;
}

uint64_t virtq_desc_addr(const struct virtq *q)
{
	return q->started ? q->desc : 0;
}

void virtq_ring_addrs(const struct virtq *q, uint64_t a[3])
{
	a[0] = q->started ? q->desc : 0;
	a[1] = q->started ? q->avail : 0;
	a[2] = q->started ? q->used : 0;
}

bool virtq_halted(const struct virtq *q)
{
	return q->halted;
}

void virtq_halt(struct virtq *q)
{
	q->halted = true;
}

void virtq_enable(struct virtq *q, bool enabled)
{
	q->halted = !enabled;
}

void virtq_renum(struct virtq *q, uint16_t size)
{
	if (q->started && size != 0)
		q->size = size;
}

void virtq_drop_caches(struct virtq *q)
{
	if (q->started && !q->unmapped)
		q->nocache = true;
}

void virtq_rename(struct virtq *q, const char *name)
{
	snprintf(q->name, sizeof q->name, "%s", name);
}

bool virtq_is_enabled(const struct virtq *q)
{
	return virtq_rings_there(q) && q->live;
}

bool virtq_has_rings(const struct virtq *q)
{
	return virtq_rings_there(q);
}

unsigned virtq_in_flight(const struct virtq *q)
{
	return q->in_flight;
}

enum gmem_map virtq_ring_map(const struct virtq *q, uint64_t addr, uint64_t len)
{
	enum gmem_map k = gmem_map(q->m, addr, len);

	return k == GMEM_MAP_ZERO && !q->pol.map_as_qemu ? GMEM_MAP_NONE : k;
}

int virtq_desc_read(struct virtq *q, uint64_t table, bool zero, uint32_t i, uint8_t raw[16])
{
	if (zero) {
		memset(raw, 0, 16);
		return 0;
	}
	return gmem_dev_read(q->m, table + 16ull * i, raw, 16);
}

void virtq_ring_lens(const struct virtq_policy *pol, uint16_t size, bool event_idx, uint64_t len[3])
{
	uint64_t ev = pol->map_as_qemu ? (event_idx ? 2 : 0) : 2;

	len[0] = 16ull * size;
	len[1] = 4 + 2ull * size + ev;
	len[2] = 4 + 8ull * size + ev;
}

int virtq_rings_fit(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, bool ei,
    bool align, const char *when, struct virtq_result *res, uint8_t *zero)
{
	static const uint8_t bit[3] = { VIRTQ_ZERO_DESC, VIRTQ_ZERO_USED, VIRTQ_ZERO_AVAIL };
	uint64_t len[3];
	virtq_ring_lens(&q->pol, size, ei, len);
	const struct {
		const char *what;
		uint64_t addr, len, align;
	} r[3] = {
		{ "descriptor table", desc, len[0], VIRTQ_ALIGN_DESC },
		{ "used ring", used, len[2], VIRTQ_ALIGN_USED },
		{ "avail ring", avail, len[1], VIRTQ_ALIGN_AVAIL },
	};
	*zero = 0;
	for (unsigned i = 0; i < 3; i++) {
		enum gmem_map k = virtq_ring_map(q, r[i].addr, r[i].len);
		if (k == GMEM_MAP_ZERO)
			*zero |= bit[i];
		if (k == GMEM_MAP_NONE)
			return virtq_report(res, VIOL_RING_ADDR_BAD, -1, r[i].addr, true,
			    "queue %u: %s 0x%llx+0x%llx not in guest ram%s%s%s", q->index, r[i].what,
			    (unsigned long long)r[i].addr, (unsigned long long)r[i].len,
			    q->pol.map_as_qemu ? " nor mapped through unassigned space or zero rom (QEMU: cannot map" : "",
			    q->pol.map_as_qemu ? when : "", q->pol.map_as_qemu ? ")" : "");
		if (align && r[i].addr % r[i].align != 0 && virtq_report(res, VIOL_RING_ADDR_BAD, -1, r[i].addr,
		    !q->pol.misaligned_ring_ok, "queue %u: %s 0x%llx not %u-byte aligned", q->index, r[i].what,
		    (unsigned long long)r[i].addr, (unsigned)r[i].align) < 0)
			return -1;
	}
	return 0;
}

/* Map the rings a queue is enabled with (the checks QEMU's mapping makes), its indices untouched. */
static int map_rings(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
    struct virtq_result *res)
{
	if (size == 0 || size > VIRTQ_MAX_SIZE)
		return virtq_report(res, VIOL_QUEUE_SIZE_BAD, -1, size, true, "queue %u enabled with size %u", q->index,
		    size);
	/*
	 * QEMU maps the rings at enable and breaks the device if it cannot; it
	 * never checks alignment. A descriptor address of 0 maps nothing and is
	 * no error: the queue is never served (virtio_queue_notify wants
	 * vring.desc).
	 */
	bool ei = (features >> VIRTIO_F_EVENT_IDX) & 1;
	bool unmapped = q->pol.map_as_qemu && desc == 0;
	uint8_t zero = 0;
	if (!unmapped && virtq_rings_fit(q, size, desc, avail, used, ei, true, "", res, &zero) < 0)
		return -1;
	q->zero = zero;
	q->unmapped = unmapped;
	q->nocache = false;
	q->size = size;
	q->mapped = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->features = features;
	q->event_idx = ei;
	q->started = true;
	return 0;
}

int virtq_start(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
    struct virtq_result *res)
{
	bool halted = q->halted;
	virtq_reset(q);
	q->halted = halted;
	if (halted) {
		res->refused = true;
		return -1;	/* vbox: a stopped queue stays stopped until the device is reset */
	}
	if (map_rings(q, size, desc, avail, used, features, res) < 0)
		return -1;
	/* QEMU: the first notification after enable always goes out; vbox: plain spec arithmetic from 0. */
	q->signalled_valid = !q->pol.first_sync_notifies;
	return 0;
}

int virtq_remap(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features,
    struct virtq_result *res)
{
	if (q->halted) {
		res->refused = true;
		return -1;
	}
	if (map_rings(q, size, desc, avail, used, features, res) < 0) {
		q->started = false;	/* QEMU: no ring caches, the device broken */
		return -1;
	}
	return 0;
}

int virtq_map_again(struct virtq *q, const char *when, struct virtq_result *res)
{
	if (!q->started || q->halted || q->unmapped)
		return 0;	/* QEMU: no descriptor address, no caches and no error */
	uint8_t zero;
	if (virtq_rings_fit(q, q->size, q->desc, q->avail, q->used, q->event_idx, false, when, res, &zero) < 0) {
		q->nocache = true;
		return -1;
	}
	q->nocache = false;
	q->mapped = q->size;
	q->zero = zero;
	return 0;
}

int virtq_features_changed(struct virtq *q, uint64_t features, struct virtq_result *res)
{
	if (!q->pol.features_follow_device || !q->started || q->halted)
		return 0;
	q->features = features;
	q->event_idx = (features >> VIRTIO_F_EVENT_IDX) & 1;
	/*
	 * With EVENT_IDX QEMU maps every queue's rings again (virtio_set_features),
	 * for the size the queue has now: a queue_size written since enable
	 * counts here.
	 */
	if (q->event_idx)
		return virtq_map_again(q, ", at a feature write with EVENT_IDX", res);
	return 0;
}

bool virtq_is_empty(struct virtq *q)
{
	if (!virtq_is_enabled(q))
		return true;
	return virtq_avail_idx(q) == q->last_avail;
}

/* Every chain-walk message names the queue and two numbers. */
#define bad(q, v, desc, addr, fmt, a1, a2) \
	virtq_report(res, (v), (desc), (addr), true, (fmt), (q)->index, (unsigned long long)(a1), \
	    (unsigned long long)(a2))

static int out_grow(struct virtq *q, uint64_t need)
{
	if (need > VIRTQ_OUT_MAX)
		return -1;
	if (need <= q->out_cap)
		return 0;
	uint32_t cap = q->out_cap ? q->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > VIRTQ_OUT_MAX)
		cap = VIRTQ_OUT_MAX;
	q->out = xrealloc(q->out, cap);
	q->out_cap = cap;
	return 0;
}

/* Every byte of [a, a + len) is RAM, unassigned space or zero ROM: nothing the model cannot answer for. */
static bool plain(const struct gmem *m, uint64_t a, uint64_t len)
{
	for (uint64_t n; len > 0; a += n, len -= n) {
		enum gmem_kind k = gmem_span(m, a, len, &n);
		if (k != GMEM_RAM && k != GMEM_HOLE && k != GMEM_ROM)
			return false;
	}
	return true;
}

/*
 * QEMU's virtqueue_map_desc for a buffer (address_space_map, piece by
 * piece): RAM maps in place, and so does zero ROM for the device to read.
 * Any other piece takes the machine's one bounce buffer, a page at most,
 * and fails when it is taken (this chain or another in flight holds it) or
 * more is left: "bogus descriptor or out of resources". A ROM piece (for the
 * device to write) ends with the ROM; one in unassigned space runs on over
 * whatever follows, as QEMU's unassigned section does, up to the page (a
 * BAR or anything not stated there is refused). 0 mapped, -1 not RAM nor a
 * hole, -2 no bounce buffer.
 */
static int map_buf(struct virtq *q, uint64_t a, uint32_t len, bool write, bool *bounced)
{
	if (!q->pol.map_as_qemu)
		return gmem_valid(q->m, a, len) ? 0 : -1;
	for (uint64_t rem = len, n; rem > 0; a += n, rem -= n) {
		enum gmem_kind k = gmem_span(q->m, a, rem, &n);
		if (k == GMEM_RAM || (k == GMEM_ROM && !write))
			continue;
		if (k != GMEM_HOLE && k != GMEM_ROM)
			return -1;
		if (*bounced || gmem_bounce(q->m) != 0)
			return -2;
		*bounced = true;
		if (k == GMEM_HOLE)
			n = rem;
		if (n > VIRTQ_BOUNCE_MAX)
			n = VIRTQ_BOUNCE_MAX;
		if (k == GMEM_HOLE && !plain(q->m, a, n))
			return -1;
	}
	return 0;
}

/* One buffer of a chain walked for a pop: mapped, counted, its readable bytes gathered. */
static int take_buf(struct virtq *q, struct virtq_chain *c, struct virtq_result *res, const struct vr_desc *dd,
    uint16_t head, uint64_t *total, unsigned *nsg)
{
	uint64_t a = dd->addr;
	uint32_t len = dd->len, idx = dd->index;
	uint16_t flags = dd->flags;

	if (len == 0 && q->pol.zero_len_fatal)
		return bad(q, VIOL_DESC_ZERO_LEN, (int)idx, a,
		    "queue %u: descriptor %llu has length 0 (address 0x%llx)", idx, a);
	int mapped = map_buf(q, a, len, flags & VIRTQ_DESC_F_WRITE, &c->bounced);
	if (mapped == -2)
		return bad(q, VIOL_BUFFER_OUTSIDE_RAM, (int)idx, a,
		    "queue %u: buffer 0x%llx+0x%llx needs the bounce buffer, which is taken or too small "
		    "(QEMU: bogus descriptor or out of resources)", a, len);
	if (mapped < 0)
		return bad(q, VIOL_BUFFER_OUTSIDE_RAM, (int)idx, a,
		    "queue %u: buffer 0x%llx+0x%llx not in guest ram", a, len);
	if (++*nsg > VIRTQ_MAX_SG)
		return bad(q, VIOL_SG_TOO_MANY, (int)idx, a,
		    "queue %u: more than %llu buffers in the chain from head %llu", VIRTQ_MAX_SG, head);
	*total += len;
	if (*total > UINT32_MAX)
		return bad(q, VIOL_CHAIN_LEN_OVERFLOW, (int)idx, a,
		    "queue %u: chain from head %llu is longer than 4 GiB (%llu bytes so far)", head, *total);
	if (flags & VIRTQ_DESC_F_WRITE) {
		q->sg[c->nin].addr = a;
		q->sg[c->nin].len = len;
		c->nin++;
		c->in_len += len;
	} else {
		if (c->nin > 0)
			return bad(q, VIOL_DESC_ORDER, (int)idx, a,
			    "queue %u: device-readable descriptor %llu after a device-writable one (head %llu)",
			    idx, head);
		if (out_grow(q, (uint64_t)c->out_len + len) < 0)
			return bad(q, VIOL_CHAIN_LEN_OVERFLOW, (int)idx, a,
			    "queue %u: chain from head %llu carries more than %llu readable bytes", head,
			    VIRTQ_OUT_MAX);
		gmem_dev_read(q->m, a, q->out + c->out_len, len);
		c->out_len += len;
	}
	return 0;
}

/* Walk the chain at head; every guest number is checked before it is used. */
int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c, struct virtq_result *res)
{
	uint64_t table = q->desc;
	bool tzero = q->zero & VIRTQ_ZERO_DESC;
	uint32_t tsize = q->size;
	uint32_t idx = head;
	uint32_t count = 0;		/* descriptors visited in the current table */
	bool indirect = false;
	uint64_t total = 0;
	unsigned nsg = 0;
	bool first = true;		/* the descriptor the avail slot names */

	c->out_len = 0;
	c->nin = 0;
	c->in_len = 0;
	c->ndesc = 0;
	c->bounced = false;
	for (;;) {
		uint8_t raw[16];
		if (++count > tsize)
			return bad(q, VIOL_DESC_LOOP, (int)idx, table,
			    "queue %u: descriptor chain from head %llu is longer than its table (%llu): loop", head, tsize);
		if (virtq_desc_read(q, table, tzero, idx, raw) < 0)
			return bad(q, indirect ? VIOL_INDIRECT_OUTSIDE_RAM : VIOL_RING_ADDR_BAD, (int)idx, table,
			    "queue %u: descriptor %llu at 0x%llx not readable", idx, table + 16ull * idx);
		struct vr_desc *dd = &q->descs[c->ndesc < VIRTQ_MAX_SG + 2 ? c->ndesc : VIRTQ_MAX_SG + 1];
		dd->addr = le64_load(raw);
		dd->len = le32_load(raw + 8);
		dd->flags = le16_load(raw + 12);
		dd->next = le16_load(raw + 14);
		dd->index = (uint16_t)idx;
		dd->indirect = indirect;
		if (c->ndesc < VIRTQ_MAX_SG + 2)
			c->ndesc++;
		uint64_t a = dd->addr;
		uint32_t len = dd->len;
		uint16_t flags = dd->flags;
		bool at_head = first;

		first = false;
		if ((flags & VIRTQ_DESC_F_INDIRECT) && !at_head && q->pol.indirect_head_only) {
			/* QEMU looks at INDIRECT on the head only: elsewhere the descriptor is a buffer */
			if (indirect)
				virtq_report(res, VIOL_INDIRECT_NESTED, (int)idx, a, false,
				    "queue %u: indirect descriptor %u inside an indirect table, taken as a buffer "
				    "0x%llx+0x%x (QEMU)", q->index, idx, (unsigned long long)a, len);
		} else if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return bad(q, VIOL_INDIRECT_NESTED, (int)idx, a,
				    "queue %u: indirect descriptor %llu inside an indirect table at 0x%llx", idx, a);
			if (flags & VIRTQ_DESC_F_NEXT) {
				/* QEMU starts the table walk and never looks at next again. */
				if (!q->pol.indirect_with_next_ok)
					return bad(q, VIOL_INDIRECT_WITH_NEXT, (int)idx, a,
					    "queue %u: descriptor %llu has both INDIRECT and NEXT (next %llu)", idx, dd->next);
				virtq_report(res, VIOL_INDIRECT_WITH_NEXT, (int)idx, a, false,
				    "queue %u: descriptor %u has both INDIRECT and NEXT (next %u), next ignored",
				    q->index, idx, dd->next);
			}
			if (len == 0 || len % 16 != 0 || (len / 16 > VIRTQ_MAX_SIZE && !q->pol.indirect_head_only))
				return bad(q, VIOL_INDIRECT_BAD_LEN, (int)idx, a,
				    "queue %u: indirect table length %llu (descriptor %llu) is 0, not a multiple of 16 or over 1024 entries",
				    len, idx);
			enum gmem_map k = virtq_ring_map(q, a, len);
			if (k == GMEM_MAP_NONE)
				return bad(q, VIOL_INDIRECT_OUTSIDE_RAM, (int)idx, a,
				    "queue %u: indirect table 0x%llx+0x%llx not in guest ram", a, len);
			table = a;
			tzero = k == GMEM_MAP_ZERO;
			tsize = len / 16;
			idx = 0;
			count = 0;
			indirect = true;
			continue;
		}
		if (q->counting) {
			/* QEMU's count maps no buffer and takes any length and order */
			if (flags & VIRTQ_DESC_F_WRITE)
				c->in_len = len > UINT32_MAX - c->in_len ? UINT32_MAX : c->in_len + len;
		} else if (take_buf(q, c, res, dd, head, &total, &nsg) < 0) {
			return -1;
		}
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		if (dd->next >= tsize)
			return bad(q, VIOL_DESC_NEXT_RANGE, (int)idx, dd->next,
			    "queue %u: descriptor %llu points to next %llu beyond its table", idx, dd->next);
		idx = dd->next;
	}
	return 1;
}

static void avail_event(struct virtq *q, uint16_t v)
{
	uint8_t b[2];

	le16_store(b, v);
	virtq_dma(q, q->used + 4 + 8ull * q->size, b, 2, DMA_AVAIL_EVENT, 0);
}

/* A pop on a queue grown past its mapping that QEMU 7.2 does not survive (an assertion in its ring cache). */
#define outgrown(q, res, fmt, arg) \
	virtq_report((res), VIOL_QUEUE_SIZE_BAD, -1, (q)->desc, true, \
	    "queue %u: size %u, its rings mapped for %u: QEMU " fmt " and aborts", (q)->index, (q)->size, \
	    (q)->mapped, (arg))

int virtq_outgrown_desc(struct virtq *q, struct virtq_result *res, const char *when)
{
	return virtq_report(res, VIOL_QUEUE_SIZE_BAD, -1, q->desc, true,
	    "queue %u: size %u, its descriptor table mapped for %u (QEMU: Cannot map descriptor ring%s)", q->index,
	    q->size, q->mapped, when);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c, struct virtq_result *res)
{
	if (!virtq_is_enabled(q))
		return 0;
	uint16_t aidx = virtq_avail_idx(q);
	uint16_t num = (uint16_t)(aidx - q->last_avail);
	if (num == 0)
		return 0;
	if (num > q->size) {
		/* Report each distinct jump once; QEMU's split pop path never checks this. */
		if (!q->jump_seen || q->jump_idx != aidx) {
			q->jump_seen = true;
			q->jump_idx = aidx;
			virtq_report(res, VIOL_AVAIL_IDX_JUMP, -1, q->avail + 2, !q->pol.avail_jump_ok,
			    "queue %u: avail idx moved from %u to %u, more than the queue size %u", q->index,
			    q->last_avail, aidx, q->size);
		}
		if (!q->pol.avail_jump_ok) {
			res->refused = true;
			return -1;
		}
	}
	if (q->in_flight >= q->size)
		return virtq_report(res, VIOL_TOO_MANY_IN_FLIGHT, -1, 0, true,
		    "queue %u: %u buffers in flight, queue size %u", q->index, q->in_flight, q->size);
	uint16_t slot = (uint16_t)(q->last_avail % q->size);
	if (q->size > q->mapped && slot >= q->mapped + q->event_idx)
		return outgrown(q, res, "reads avail slot %u past its avail ring's cache", slot);
	uint16_t head = virtq_rd16(q, false, 4 + 2ull * slot);
	if (head >= q->size)
		return virtq_report(res, VIOL_AVAIL_HEAD_RANGE, head, q->avail + 4 + 2ull * slot, true,
		    "queue %u: avail ring slot %u holds head %u, queue size %u", q->index, slot, head, q->size);
	/* QEMU took the head; with EVENT_IDX its avail_event lies past the used ring's cache */
	if (q->size > q->mapped && q->event_idx)
		return outgrown(q, res, "writes avail_event past its used ring's cache%s", "");
	if (q->size > q->mapped)
		return virtq_outgrown_desc(q, res, "");
	q->gen++;
	c->head = head;
	c->out = q->out;
	c->in = q->sg;
	c->desc = q->descs;
	c->in_written = 0;
	c->first_event = q->bus ? q->bus->event_no : 0;
	c->gen = q->gen;
	if (virtq_walk(q, head, c, res) < 0) {
		/* QEMU took the head (last_avail_idx++) and wrote avail_event before the walk failed */
		if (q->pol.event_before_walk) {
			q->last_avail++;
			if (q->event_idx && !q->notify_off)
				avail_event(q, q->last_avail);
		}
		return -1;
	}
	if (c->bounced)
		gmem_set_bounce(q->m, virtq_bounce_tag(q, head));
	c->out = q->out;
	return 1;
}

/* What virtq_chain_keep keeps of a chain: its head and the descriptors the walk read, not their bytes. */
struct virtq_kept {
	uint16_t head;
	bool bounced;
	uint64_t first_event;
	unsigned ndesc;
	struct vr_desc desc[];
};

struct virtq_kept *virtq_chain_keep(const struct virtq_chain *c)
{
	struct virtq_kept *k = xmalloc(sizeof *k + (size_t)c->ndesc * sizeof k->desc[0]);

	k->head = c->head;
	k->bounced = c->bounced;
	k->first_event = c->first_event;
	k->ndesc = c->ndesc;
	memcpy(k->desc, c->desc, (size_t)c->ndesc * sizeof k->desc[0]);
	return k;
}

void virtq_chain_restore(struct virtq *q, struct virtq_kept *k, struct virtq_chain *c)
{
	/* the walk refused a chain of more descriptors than desc[] holds, so the list is whole */
	q->gen++;
	c->head = k->head;
	c->bounced = k->bounced;
	c->first_event = k->first_event;
	c->gen = q->gen;
	c->out_len = 0;
	c->nin = 0;
	c->in_len = 0;
	c->in_written = 0;
	c->ndesc = k->ndesc;
	memcpy(q->descs, k->desc, (size_t)k->ndesc * sizeof k->desc[0]);
	c->desc = q->descs;
	c->in = q->sg;
	for (unsigned i = 0; i < k->ndesc; i++) {
		const struct vr_desc *d = &k->desc[i];

		if ((d->flags & VIRTQ_DESC_F_INDIRECT) && (i == 0 || !q->pol.indirect_head_only)) {
			continue;	/* the table it led to (indirect_head_only: only the head leads to one) */
		} else if (d->flags & VIRTQ_DESC_F_WRITE) {
			q->sg[c->nin].addr = d->addr;
			q->sg[c->nin++].len = d->len;
			c->in_len += d->len;
		} else {
			if (out_grow(q, (uint64_t)c->out_len + d->len) < 0)
				break;		/* cannot happen: it fitted when it was walked */
			gmem_dev_read(q->m, d->addr, q->out + c->out_len, d->len);
			c->out_len += d->len;
		}
	}
	c->out = q->out;
	free(k);
}

void virtq_chain_drop(struct virtq *q, struct virtq_kept *k)
{
	if (q->in_flight > 0)
		q->in_flight--;
	/* detaching unmaps: the bounce buffer is free again */
	if (gmem_bounce(q->m) == virtq_bounce_tag(q, k->head))
		gmem_set_bounce(q->m, 0);
	free(k);
}

int virtq_work_left(struct virtq *q, uint64_t stimulus)
{
	if (q->work_stimulus != stimulus) {
		q->work_stimulus = stimulus;
		q->work_done = 0;
		q->work_said = false;
	}
	if (q->work_done < (q->pol.kick_max ? q->pol.kick_max : q->size))
		return 1;
	if (q->work_said)
		return -1;
	q->work_said = true;
	return 0;
}

void virtq_take(struct virtq *q)
{
	q->last_avail++;
	q->in_flight++;
	q->work_done++;
	if (q->event_idx && !q->notify_off)
		avail_event(q, q->last_avail);
}


bool virtq_unmapped(const struct virtq *q)
{
	return q->unmapped;
}
