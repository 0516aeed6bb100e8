/* virtq.c -- split virtqueue, device side: chain walking with every guest check, used ring, suppression */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "machine.h"

#define TXN_SHOW_MAX	(64u << 10)	/* IN bytes copied into a TXN event */
#define VIRTQ_SAVE_VERSION 1

/*
 * Compared with the references (and why we differ):
 * - QEMU 7.2 (hw/virtio/virtio.c) only accepts INDIRECT on the head and
 *   treats a flag on a later descriptor as data; we follow the spec, which
 *   allows an indirect descriptor as the last one of a direct chain.
 * - QEMU pops stale slots when avail idx jumps (only "Virtqueue size
 *   exceeded" stops it); the qemu profile does the same after reporting,
 *   the vbox profile stops the queue as the spec's NEEDS_RESET allows.
 * - rust-vmm virtio-queue returns an error per chain and leaves the policy
 *   to the device; we report and apply the profile's policy here so every
 *   device model behaves alike.
 * - QEMU rejects zero-length descriptors outright (virtqueue_map_desc); the
 *   vbox profile lets them through and device models decide whether they
 *   needed data (case 9 as worded in the spec).
 */

enum dma_what { DMA_USED_ELEM, DMA_USED_IDX, DMA_USED_FLAGS, DMA_AVAIL_EVENT, DMA_BUFFER };

struct virtq {
	struct vpci *d;
	struct gmem *m;
	struct evbus *bus;
	unsigned index;
	char name[VIRTQ_NAME_MAX];
	bool started;
	bool halted;
	bool qemu;
	bool event_idx;
	uint16_t size;
	uint64_t desc, avail, used;
	uint64_t features;
	uint16_t last_avail;		/* next avail slot to take */
	uint16_t used_idx;		/* next used slot to fill (write-ahead) */
	uint16_t pub_used;		/* used idx last published */
	uint16_t signalled_used;
	bool signalled_valid;
	uint16_t in_flight;
	bool jump_seen;
	uint16_t jump_idx;
	uint32_t gen;
	/* chain storage (one chain at a time) */
	uint8_t *out;
	uint32_t out_cap;
	uint8_t *scratch;
	struct virtq_sg sg[VIRTQ_MAX_SG];
	struct vr_desc descs[VIRTQ_MAX_SG + 2];
};

struct virtq *virtq_new(struct vpci *d, struct gmem *m, struct evbus *bus, unsigned index, const char *name)
{
	struct virtq *q = xcalloc(1, sizeof *q);
	q->d = d;
	q->m = m;
	q->bus = bus;
	q->index = index;
	snprintf(q->name, sizeof q->name, "%s", name);
	q->qemu = vpci_is_qemu(d);
	return q;
}

void virtq_free(struct virtq *q)
{
	if (q == NULL)
		return;
	free(q->out);
	free(q->scratch);
	free(q);
}

void virtq_reset(struct virtq *q)
{
	q->started = false;
	q->halted = false;
	q->event_idx = false;
	q->size = 0;
	q->desc = q->avail = q->used = 0;
	q->features = 0;
	q->last_avail = q->used_idx = q->pub_used = q->signalled_used = 0;
	q->signalled_valid = false;
	q->in_flight = 0;
	q->jump_seen = false;
	q->jump_idx = 0;
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

uint64_t virtq_features(const struct virtq *q)
{
	return q->features;
}

bool virtq_started(const struct virtq *q)
{
	return q->started;
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

void virtq_rename(struct virtq *q, const char *name)
{
	snprintf(q->name, sizeof q->name, "%s", name);
}

bool virtq_is_enabled(const struct virtq *q)
{
	return q->started && !q->halted && vpci_queue_live(q->d);
}

unsigned virtq_in_flight(const struct virtq *q)
{
	return q->in_flight;
}

static void dma(struct virtq *q, uint64_t addr, const void *p, uint32_t len, enum dma_what what, unsigned idx)
{
	if (gmem_write(q->m, addr, p, len) < 0)
		return;		/* rings were checked at enable; buffers by the walk */
	if (!evbus_wants(q->bus, VR_EV_DMA))
		return;
	char name[VIRTQ_NAME_MAX + 32];
	switch (what) {
	case DMA_USED_ELEM:
		snprintf(name, sizeof name, "%s.used.ring[%u]", q->name, idx);
		break;
	case DMA_USED_IDX:
		snprintf(name, sizeof name, "%s.used.idx", q->name);
		break;
	case DMA_USED_FLAGS:
		snprintf(name, sizeof name, "%s.used.flags", q->name);
		break;
	case DMA_AVAIL_EVENT:
		snprintf(name, sizeof name, "%s.used.avail_event", q->name);
		break;
	default:
		snprintf(name, sizeof name, "%s.buffer", q->name);
		break;
	}
	struct vr_event ev;
	ev.kind = VR_EV_DMA;
	ev.u.dma.addr = addr;
	ev.u.dma.data = p;
	ev.u.dma.len = len;
	ev.u.dma.what = name;
	evbus_emit(q->bus, &ev);
}

static uint16_t rd16(struct virtq *q, uint64_t addr)
{
	uint16_t v = 0;
	(void)gmem_read_u16(q->m, addr, &v);
	return v;
}

static uint16_t avail_idx(struct virtq *q)
{
	return rd16(q, q->avail + 2);
}

static bool ring_ok(const struct virtq *q, uint64_t addr, uint64_t len)
{
	return gmem_valid(q->m, addr, len);
}

int virtq_start(struct virtq *q, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	bool halted = q->halted;
	virtq_reset(q);
	q->halted = halted;
	if (halted)
		return -1;	/* vbox: a stopped queue stays stopped until the device is reset */
	int qi = (int)q->index;
	if (size == 0 || size > VIRTQ_MAX_SIZE)
		return vpci_violate(q->d, VIOL_QUEUE_SIZE_BAD, qi, -1, size, REACT_FATAL,
		    "queue %u enabled with size %u", q->index, size);
	/* QEMU maps the rings at enable and breaks the device if it cannot; it never checks alignment. */
	struct {
		const char *what;
		uint64_t addr, len, align;
	} r[3] = {
		{ "descriptor table", desc, 16ull * size, 16 },
		{ "avail ring", avail, 6 + 2ull * size, 2 },
		{ "used ring", used, 6 + 8ull * size, 4 },
	};
	for (unsigned i = 0; i < 3; i++) {
		if (!ring_ok(q, r[i].addr, r[i].len))
			return vpci_violate(q->d, VIOL_RING_ADDR_BAD, qi, -1, r[i].addr, REACT_FATAL,
			    "queue %u: %s 0x%llx+0x%llx not in guest ram", q->index, r[i].what,
			    (unsigned long long)r[i].addr, (unsigned long long)r[i].len);
		if (r[i].addr % r[i].align != 0) {
			vpci_violate(q->d, VIOL_RING_ADDR_BAD, qi, -1, r[i].addr, q->qemu ? REACT_REPORT : REACT_FATAL,
			    "queue %u: %s 0x%llx not %u-byte aligned", q->index, r[i].what,
			    (unsigned long long)r[i].addr, (unsigned)r[i].align);
			if (!q->qemu)
				return -1;
		}
	}
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->features = features;
	q->event_idx = (features >> VIRTIO_F_EVENT_IDX) & 1;
	/* QEMU: the first notification after enable always goes out; vbox: plain spec arithmetic from 0. */
	q->signalled_valid = !q->qemu;
	q->started = true;
	return 0;
}

bool virtq_is_empty(struct virtq *q)
{
	if (!virtq_is_enabled(q))
		return true;
	return avail_idx(q) == q->last_avail;
}

/* Every chain-walk message names the queue and two numbers. */
#define bad(q, v, desc, addr, fmt, a1, a2) \
	vpci_violate((q)->d, (v), (int)(q)->index, (desc), (addr), REACT_FATAL, (fmt), (q)->index, \
	    (unsigned long long)(a1), (unsigned long long)(a2))

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

/* Walk the chain at head; every guest number is checked before it is used. */
static int walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	uint64_t table = q->desc;
	uint32_t tsize = q->size;
	uint32_t idx = head;
	uint32_t count = 0;		/* descriptors visited in the current table */
	bool indirect = false;
	uint64_t total = 0;
	unsigned nsg = 0;

	c->out_len = 0;
	c->nin = 0;
	c->in_len = 0;
	c->ndesc = 0;
	for (;;) {
		uint8_t raw[16];
		if (++count > tsize)
			return bad(q, VIOL_DESC_LOOP, (int)idx, table,
			    "queue %u: descriptor chain from head %llu is longer than its table (%llu): loop", head, tsize);
		if (gmem_read(q->m, table + 16ull * idx, raw, 16) < 0)
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

		if (flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return bad(q, VIOL_INDIRECT_NESTED, (int)idx, a,
				    "queue %u: indirect descriptor %llu inside an indirect table at 0x%llx", idx, a);
			if (flags & VIRTQ_DESC_F_NEXT) {
				/* QEMU starts the table walk and never looks at next again. */
				if (!q->qemu)
					return bad(q, VIOL_INDIRECT_WITH_NEXT, (int)idx, a,
					    "queue %u: descriptor %llu has both INDIRECT and NEXT (next %llu)", idx, dd->next);
				vpci_violate(q->d, VIOL_INDIRECT_WITH_NEXT, (int)q->index, (int)idx, a, REACT_REPORT,
				    "queue %u: descriptor %u has both INDIRECT and NEXT (next %u), next ignored",
				    q->index, idx, dd->next);
			}
			if (len == 0 || len % 16 != 0 || len / 16 > VIRTQ_MAX_SIZE)
				return bad(q, VIOL_INDIRECT_BAD_LEN, (int)idx, a,
				    "queue %u: indirect table length %llu (descriptor %llu) is 0, not a multiple of 16 or over 1024 entries",
				    len, idx);
			if (!gmem_valid(q->m, a, len))
				return bad(q, VIOL_INDIRECT_OUTSIDE_RAM, (int)idx, a,
				    "queue %u: indirect table 0x%llx+0x%llx not in guest ram", a, len);
			table = a;
			tsize = len / 16;
			idx = 0;
			count = 0;
			indirect = true;
			continue;
		}
		if (len == 0 && q->qemu)
			return bad(q, VIOL_DESC_ZERO_LEN, (int)idx, a,
			    "queue %u: descriptor %llu has length 0 (address 0x%llx)", idx, a);
		if (!gmem_valid(q->m, a, len))
			return bad(q, VIOL_BUFFER_OUTSIDE_RAM, (int)idx, a,
			    "queue %u: buffer 0x%llx+0x%llx not in guest ram", a, len);
		if (++nsg > VIRTQ_MAX_SG)
			return bad(q, VIOL_SG_TOO_MANY, (int)idx, a,
			    "queue %u: more than %llu buffers in the chain from head %llu", VIRTQ_MAX_SG, head);
		total += len;
		if (total > UINT32_MAX)
			return bad(q, VIOL_CHAIN_LEN_OVERFLOW, (int)idx, a,
			    "queue %u: chain from head %llu is longer than 4 GiB (%llu bytes so far)", head, total);
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
			gmem_read(q->m, a, q->out + c->out_len, len);
			c->out_len += len;
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

int virtq_get(struct virtq *q, struct virtq_chain *c, bool remove)
{
	if (!virtq_is_enabled(q))
		return 0;
	uint16_t aidx = avail_idx(q);
	uint16_t num = (uint16_t)(aidx - q->last_avail);
	if (num == 0)
		return 0;
	int qi = (int)q->index;
	if (num > q->size) {
		/* Report each distinct jump once; QEMU's split pop path never checks this. */
		if (!q->jump_seen || q->jump_idx != aidx) {
			q->jump_seen = true;
			q->jump_idx = aidx;
			vpci_violate(q->d, VIOL_AVAIL_IDX_JUMP, qi, -1, q->avail + 2,
			    q->qemu ? REACT_REPORT : REACT_FATAL,
			    "queue %u: avail idx moved from %u to %u, more than the queue size %u", q->index,
			    q->last_avail, aidx, q->size);
		}
		if (!q->qemu)
			return -1;
	}
	if (q->in_flight >= q->size)
		return vpci_violate(q->d, VIOL_TOO_MANY_IN_FLIGHT, qi, -1, 0, REACT_FATAL,
		    "queue %u: %u buffers in flight, queue size %u", q->index, q->in_flight, q->size);
	uint16_t slot = (uint16_t)(q->last_avail % q->size);
	uint16_t head = rd16(q, q->avail + 4 + 2ull * slot);
	if (head >= q->size)
		return vpci_violate(q->d, VIOL_AVAIL_HEAD_RANGE, qi, head, q->avail + 4 + 2ull * slot, REACT_FATAL,
		    "queue %u: avail ring slot %u holds head %u, queue size %u", q->index, slot, head, q->size);
	q->gen++;
	c->head = head;
	c->out = q->out;
	c->in = q->sg;
	c->desc = q->descs;
	c->in_written = 0;
	c->first_event = q->bus ? q->bus->event_no : 0;
	c->gen = q->gen;
	if (walk(q, head, c) < 0)
		return -1;
	c->out = q->out;
	if (remove) {
		q->last_avail++;
		q->in_flight++;
		if (q->event_idx) {
			uint8_t b[2];
			le16_store(b, q->last_avail);
			dma(q, q->used + 4 + 8ull * q->size, b, 2, DMA_AVAIL_EVENT, 0);
		}
	}
	return 1;
}

int virtq_chain_write(struct virtq *q, struct virtq_chain *c, uint32_t off, const void *src, uint32_t len)
{
	if (c->gen != q->gen || (uint64_t)off + len > c->in_len)
		return -1;
	const uint8_t *s = src;
	uint32_t end = off + len;
	uint32_t pos = 0;
	for (unsigned i = 0; i < c->nin && len > 0; i++) {
		uint32_t l = c->in[i].len;
		if (off < pos + l) {
			uint32_t in = off - pos;
			uint32_t n = l - in < len ? l - in : len;
			dma(q, c->in[i].addr + in, s, n, DMA_BUFFER, 0);
			s += n;
			off += n;
			len -= n;
		}
		pos += l;
	}
	if (end > c->in_written)
		c->in_written = end;
	return 0;
}

static void emit_txn(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info)
{
	struct vr_event ev;
	struct vr_ev_txn *t = &ev.u.txn;
	bool fresh = c->gen == q->gen;
	ev.kind = VR_EV_TXN;
	t->queue = (uint16_t)q->index;
	t->queue_name = q->name;
	t->head = c->head;
	t->device = vpci_dev_name(q->d);
	t->type = info->type ? info->type : "";
	t->fields = info->fields ? info->fields : "";
	t->status = info->status ? info->status : "";
	t->desc = fresh ? c->desc : NULL;
	t->ndesc = fresh ? c->ndesc : 0;
	t->out = fresh ? c->out : NULL;
	t->out_len = c->out_len;
	t->out_shown = fresh ? c->out_len : 0;
	uint32_t shown = 0;
	if (fresh) {
		shown = c->in_written < TXN_SHOW_MAX ? c->in_written : TXN_SHOW_MAX;
		if (shown > 0 && q->scratch == NULL)
			q->scratch = xmalloc(TXN_SHOW_MAX);
		uint32_t got = 0;
		for (unsigned i = 0; i < c->nin && got < shown; i++) {
			uint32_t n = c->in[i].len < shown - got ? c->in[i].len : shown - got;
			gmem_read(q->m, c->in[i].addr, q->scratch + got, n);
			got += n;
		}
	}
	t->in = q->scratch;
	t->in_len = c->in_written;
	t->in_shown = shown;
	t->used_len = len;
	t->first_event = c->first_event;
	evbus_emit(q->bus, &ev);
}

void virtq_put(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info)
{
	if (q->in_flight > 0)
		q->in_flight--;
	/* QEMU's virtqueue_fill writes nothing once the device is broken. */
	if (!q->started || q->halted || !vpci_queue_live(q->d))
		return;
	uint8_t b[8];
	uint16_t slot = (uint16_t)(q->used_idx % q->size);
	le32_store(b, c->head);
	le32_store(b + 4, len);
	dma(q, q->used + 4 + 8ull * slot, b, 8, DMA_USED_ELEM, slot);
	q->used_idx++;
	if (info != NULL && evbus_wants(q->bus, VR_EV_TXN))
		emit_txn(q, c, len, info);
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void virtq_sync(struct virtq *q)
{
	if (!q->started || q->halted || !vpci_queue_live(q->d))
		return;
	if (q->used_idx == q->pub_used)
		return;
	uint16_t old = q->pub_used, nw = q->used_idx;
	uint8_t b[2];
	le16_store(b, nw);
	dma(q, q->used + 2, b, 2, DMA_USED_IDX, 0);
	q->pub_used = nw;
	bool notify;
	if (q->event_idx) {
		/* QEMU's wrap guard: if signalled_used fell out of the window, notify unconditionally. */
		if (q->qemu && (int16_t)(nw - q->signalled_used) < (int32_t)(uint16_t)(nw - old))
			q->signalled_valid = false;
		bool v = q->signalled_valid;
		uint16_t sold = q->signalled_used;
		q->signalled_valid = true;
		q->signalled_used = nw;
		uint16_t ev = rd16(q, q->avail + 4 + 2ull * q->size);
		notify = !v || need_event(ev, nw, sold);
	} else {
		notify = !(rd16(q, q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		vpci_queue_irq(q->d, q->index);
}

static void set_notify(struct virtq *q, bool enable)
{
	if (!virtq_is_enabled(q))
		return;
	uint8_t b[2];
	if (q->event_idx) {
		le16_store(b, avail_idx(q));
		dma(q, q->used + 4 + 8ull * q->size, b, 2, DMA_AVAIL_EVENT, 0);
		return;
	}
	uint16_t f = rd16(q, q->used);
	f = enable ? (uint16_t)(f & ~VIRTQ_USED_F_NO_NOTIFY) : (uint16_t)(f | VIRTQ_USED_F_NO_NOTIFY);
	le16_store(b, f);
	dma(q, q->used, b, 2, DMA_USED_FLAGS, 0);
}

void virtq_disable_notify(struct virtq *q)
{
	set_notify(q, false);
}

void virtq_resume_notify(struct virtq *q)
{
	set_notify(q, true);
}

void virtq_rebind(struct virtq *q, struct vpci *d, struct gmem *m)
{
	q->d = d;
	q->m = m;
}

void virtq_save(const struct virtq *q, struct buf *out)
{
	buf_add_le16(out, VIRTQ_SAVE_VERSION);
	buf_add_u8(out, (uint8_t)(q->started | q->halted << 1 | q->event_idx << 2 | q->signalled_valid << 3 |
	    q->jump_seen << 4));
	buf_add_le16(out, q->size);
	buf_add_le64(out, q->desc);
	buf_add_le64(out, q->avail);
	buf_add_le64(out, q->used);
	buf_add_le64(out, q->features);
	buf_add_le16(out, q->last_avail);
	buf_add_le16(out, q->used_idx);
	buf_add_le16(out, q->pub_used);
	buf_add_le16(out, q->signalled_used);
	buf_add_le16(out, q->in_flight);
	buf_add_le16(out, q->jump_idx);
}

int virtq_load(struct virtq *q, struct cursor *c, char **cause)
{
	uint16_t ver = cursor_le16(c);
	uint8_t fl = cursor_u8(c);
	uint16_t size = cursor_le16(c);
	uint64_t desc = cursor_le64(c), avail = cursor_le64(c), used = cursor_le64(c);
	uint64_t feat = cursor_le64(c);
	uint16_t la = cursor_le16(c), ui = cursor_le16(c), pu = cursor_le16(c), su = cursor_le16(c);
	uint16_t inf = cursor_le16(c), ji = cursor_le16(c);
	if (c->err)
		return cause_set(cause, "queue %u: state truncated", q->index);
	if (ver != VIRTQ_SAVE_VERSION)
		return cause_set(cause, "queue %u: state version %u not supported", q->index, ver);
	if (fl & ~0x1fu)
		return cause_set(cause, "queue %u: unknown flags 0x%x", q->index, fl);
	bool started = fl & 1;
	if (started) {
		if (size == 0 || size > VIRTQ_MAX_SIZE)
			return cause_set(cause, "queue %u: size %u out of range", q->index, size);
		if (!gmem_valid(q->m, desc, 16ull * size) || !gmem_valid(q->m, avail, 6 + 2ull * size) ||
		    !gmem_valid(q->m, used, 6 + 8ull * size))
			return cause_set(cause, "queue %u: rings not in guest ram", q->index);
		if (inf > size)
			return cause_set(cause, "queue %u: %u in flight exceeds size %u", q->index, inf, size);
		if ((uint16_t)(ui - pu) > size)
			return cause_set(cause, "queue %u: %u unpublished used entries exceed size %u", q->index,
			    (uint16_t)(ui - pu), size);
		if (((fl >> 2) & 1) != ((feat >> VIRTIO_F_EVENT_IDX) & 1))
			return cause_set(cause, "queue %u: event-idx flag disagrees with features", q->index);
	} else if (size != 0 || inf != 0 || desc != 0 || avail != 0 || used != 0 || la != 0 || ui != 0 || pu != 0) {
		return cause_set(cause, "queue %u: disabled queue carries ring state", q->index);
	}
	q->started = started;
	q->halted = (fl >> 1) & 1;
	q->event_idx = (fl >> 2) & 1;
	q->signalled_valid = (fl >> 3) & 1;
	q->jump_seen = (fl >> 4) & 1;
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->features = feat;
	q->last_avail = la;
	q->used_idx = ui;
	q->pub_used = pu;
	q->signalled_used = su;
	q->in_flight = inf;
	q->jump_idx = ji;
	q->gen++;
	return 0;
}
