/* virtq-used.c -- split virtqueue, device side: DMA into the IN buffers, the used ring, notification suppression, state */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "virtq-int.h"
#include "virtq-ring.h"

#define TXN_SHOW_MAX	(64u << 10)	/* IN bytes copied into a TXN event */
#define VIRTQ_SAVE_VERSION 2	/* 2: the mapped size follows; written only when it differs, or no caches */

/* What a DMA into a queue's area is called: NAME + suffix (+ index + "]" for a used element). */
static const char *const dma_suffix[] = {
	[DMA_USED_ELEM] = ".used.ring[", [DMA_USED_IDX] = ".used.idx", [DMA_USED_FLAGS] = ".used.flags",
	[DMA_AVAIL_EVENT] = ".used.avail_event", [DMA_BUFFER] = ".buffer",
};

/*
 * Built by hand, not with snprintf: a replay names every DMA it makes
 * (hundreds of thousands), and printf's machinery was a fifth of its time.
 */
static void dma_name(char *out, size_t cap, const struct virtq *q, enum dma_what what, unsigned idx)
{
	const char *suffix = (unsigned)what < sizeof dma_suffix / sizeof dma_suffix[0] && dma_suffix[what] != NULL ?
	    dma_suffix[what] : dma_suffix[DMA_BUFFER];
	size_t n = strnlen(q->name, sizeof q->name), sl = strlen(suffix);
	char digits[10];
	size_t nd = 0;

	if (what == DMA_USED_ELEM)
		do
			digits[nd++] = (char)('0' + idx % 10);
		while ((idx /= 10) != 0 && nd < sizeof digits);
	if (n + sl + nd + 2 > cap)
		n = cap - sl - nd - 2;	/* cannot happen: cap holds VIRTQ_NAME_MAX + 32 */
	memcpy(out, q->name, n);
	memcpy(out + n, suffix, sl);
	n += sl;
	while (nd > 0)
		out[n++] = digits[--nd];
	if (what == DMA_USED_ELEM)
		out[n++] = ']';
	out[n] = '\0';
}

void virtq_dma(struct virtq *q, uint64_t addr, const void *p, uint32_t len, enum dma_what what, unsigned idx)
{
	/* rings were checked at enable, buffers by the walk; a hole swallows the bytes and shows nothing */
	if ((what != DMA_BUFFER && (q->zero & VIRTQ_ZERO_USED)) || gmem_dev_write(q->m, addr, p, len) != 0)
		return;
	if (!evbus_wants(q->bus, VR_EV_DMA))
		return;
	char name[VIRTQ_NAME_MAX + 32];
	dma_name(name, sizeof name, q, what, idx);
	struct vr_event ev;
	ev.kind = VR_EV_DMA;
	ev.u.dma.addr = addr;
	ev.u.dma.data = p;
	ev.u.dma.len = len;
	ev.u.dma.what = name;
	evbus_emit(q->bus, &ev);
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
			virtq_dma(q, c->in[i].addr + in, s, n, DMA_BUFFER, 0);
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

size_t virtq_hand_out(struct virtq *q, const uint8_t *src, size_t len, const char *type, const char *fields,
    void (*each)(void *op, uint16_t head, uint32_t n, bool failed), void *op)
{
	struct virtq_chain c;
	size_t off = 0;

	while (off < len && virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = type, .fields = fields, .status = "OK" };
		uint32_t n = c.in_len < len - off ? c.in_len : (uint32_t)(len - off);
		bool failed = virtq_chain_write(q, &c, 0, src + off, n) != 0;

		if (failed) {
			n = 0;
			info.status = "IOERR";
		}
		off += n;
		each(op, c.head, n, failed);
		virtq_put(q, &c, n, &info);
	}
	return off;
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
	t->device = q->device;
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
			gmem_dev_read(q->m, c->in[i].addr, q->scratch + got, n);
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

static bool ring_live(const struct virtq *q)
{
	return q->started && !q->halted && q->live;
}

/* The chain leaves the in-flight count; its used element is written unless the ring stopped. */
static bool used_elem(struct virtq *q, uint16_t head, uint32_t len)
{
	if (q->in_flight > 0)
		q->in_flight--;
	/* virtqueue_fill unmaps first, broken device or not: the bounce buffer is free again */
	if (gmem_bounce(q->m) == virtq_bounce_tag(q, head))
		gmem_set_bounce(q->m, 0);
	/* QEMU's virtqueue_fill writes nothing once the device is broken. */
	if (!ring_live(q)) {
		if (q->notify_owed < UINT16_MAX)
			q->notify_owed++;
		return false;
	}
	uint8_t b[8];
	uint16_t slot = (uint16_t)(q->used_idx % q->size);
	le32_store(b, head);
	le32_store(b + 4, len);
	virtq_dma(q, q->used + 4 + 8ull * slot, b, 8, DMA_USED_ELEM, slot);
	q->used_idx++;
	return true;
}

void virtq_put(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info)
{
	if (used_elem(q, c->head, len) && info != NULL && evbus_wants(q->bus, VR_EV_TXN))
		emit_txn(q, c, len, info);
}

/*
 * Hold a completion until the handler returns: held ones after the earlier
 * held ones and before the asynchronous ones, asynchronous ones last.
 */
static void later_add(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info,
    bool held)
{
	uint16_t at = q->nlater;

	if (!q->pol.async_complete || !ring_live(q) || q->nlater >= VIRTQ_MAX_SIZE) {
		virtq_put(q, c, len, info);
		return;
	}
	if (q->later == NULL)
		q->later = xcalloc(VIRTQ_MAX_SIZE, sizeof *q->later);
	if (held) {
		for (at = q->later_next; at < q->nlater && q->later[at].held; at++)
			;
		memmove(q->later + at + 1, q->later + at, (size_t)(q->nlater - at) * sizeof *q->later);
	}
	q->later[at].head = c->head;
	q->later[at].len = len;
	q->later[at].held = held;
	q->nlater++;
	if (info != NULL && evbus_wants(q->bus, VR_EV_TXN))
		emit_txn(q, c, len, info);
}

void virtq_put_async(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info)
{
	later_add(q, c, len, info, false);
}

void virtq_put_held(struct virtq *q, struct virtq_chain *c, uint32_t len, const struct virtq_txn_info *info)
{
	later_add(q, c, len, info, true);
}

unsigned virtq_later_count(const struct virtq *q)
{
	return (unsigned)(q->nlater - q->later_next);
}

void virtq_later_put(struct virtq *q)
{
	if (q->later_next >= q->nlater)
		return;
	struct virtq_later *l = &q->later[q->later_next++];
	used_elem(q, l->head, l->len);
	if (q->later_next == q->nlater)
		q->nlater = q->later_next = 0;
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/*
 * QEMU's virtio_split_should_notify, with used idx at nw (the last value
 * signalled is q->signalled_used).
 */
static bool should_notify(struct virtq *q, uint16_t nw)
{
	/*
	 * NOTIFY_ON_EMPTY (a legacy feature QEMU lets a modern driver ack too)
	 * interrupts once the device has run out of buffers, whatever the driver
	 * asked; the EVENT_IDX bookkeeping is then left as it was.
	 */
	if ((q->features >> VIRTIO_F_NOTIFY_ON_EMPTY & 1) && q->in_flight == 0 && virtq_is_empty(q))
		return true;
	if (!q->event_idx)
		return !(virtq_rd16(q, false, 0) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	bool v = q->signalled_valid;
	uint16_t sold = q->signalled_used;
	q->signalled_valid = true;
	q->signalled_used = nw;
	return !v || need_event(virtq_rd16(q, false, 4 + 2ull * q->size), nw, sold);
}

/* Write used idx for what was put since the last publish (QEMU's virtqueue_flush). */
static void publish_idx(struct virtq *q)
{
	uint16_t old = q->pub_used, nw = q->used_idx;
	uint8_t b[2];
	le16_store(b, nw);
	virtq_dma(q, q->used + 2, b, 2, DMA_USED_IDX, 0);
	q->pub_used = nw;
	/* QEMU's wrap guard (virtqueue_flush): if signalled_used fell out of the window, notify unconditionally. */
	if (q->event_idx && q->pol.signalled_wrap_guard &&
	    (int16_t)(nw - q->signalled_used) < (int32_t)(uint16_t)(nw - old))
		q->signalled_valid = false;
}

bool virtq_publish(struct virtq *q)
{
	if (!ring_live(q))
		return false;
	if (q->used_idx == q->pub_used)
		return false;
	publish_idx(q);
	return should_notify(q, q->used_idx);
}

void virtq_publish_owe(struct virtq *q)
{
	if (!ring_live(q))
		return;
	if (q->used_idx != q->pub_used)
		publish_idx(q);
	if (q->notify_owed < UINT16_MAX)
		q->notify_owed++;
}

bool virtq_publish_always(struct virtq *q)
{
	if (!ring_live(q))
		return false;
	if (q->used_idx != q->pub_used)
		return virtq_publish(q);
	return should_notify(q, q->pub_used);
}

bool virtq_publish_stopped(struct virtq *q, bool always)
{
	bool owed = always || q->notify_owed > 0;

	q->notify_owed = 0;
	/* virtqueue_flush wrote nothing, so used idx is where it was; the EVENT_IDX bookkeeping moves on */
	if (!owed || !virtq_rings_there(q))
		return false;
	return should_notify(q, q->used_idx);
}

static void set_notify(struct virtq *q, bool enable)
{
	/* QEMU's virtio_queue_set_notification wants mapped rings only: a device broken meanwhile still writes */
	if (q->pol.notify_off_gates_event ? !virtq_rings_there(q) : !virtq_is_enabled(q))
		return;
	uint8_t b[2];
	if (q->pol.notify_off_gates_event) {
		q->notify_off = !enable;
		if (q->event_idx && !enable)
			return;
	}
	if (q->event_idx) {
		le16_store(b, virtq_avail_idx(q));
		virtq_dma(q, q->used + 4 + 8ull * q->size, b, 2, DMA_AVAIL_EVENT, 0);
		return;
	}
	uint16_t f = virtq_rd16(q, true, 0);
	f = enable ? (uint16_t)(f & ~VIRTQ_USED_F_NO_NOTIFY) : (uint16_t)(f | VIRTQ_USED_F_NO_NOTIFY);
	le16_store(b, f);
	virtq_dma(q, q->used, b, 2, DMA_USED_FLAGS, 0);
}

void virtq_event_catch_up(struct virtq *q)
{
	if (!q->event_idx || !virtq_rings_there(q) || q->notify_off)
		return;
	uint16_t a = virtq_avail_idx(q);
	if (a == q->last_avail)
		return;
	uint8_t b[2];
	le16_store(b, a);
	virtq_dma(q, q->used + 4 + 8ull * q->size, b, 2, DMA_AVAIL_EVENT, 0);
}

void virtq_disable_notify(struct virtq *q)
{
	set_notify(q, false);
}

void virtq_resume_notify(struct virtq *q)
{
	set_notify(q, true);
}

void virtq_rebind(struct virtq *q, void *owner, struct gmem *m)
{
	q->owner = owner;
	q->m = m;
}

void virtq_save(const struct virtq *q, struct buf *out)
{
	/* version 1 when it says all: a state saved before stays byte for byte what it was */
	bool v2 = q->mapped != q->size || q->nocache;

	buf_add_le16(out, v2 ? VIRTQ_SAVE_VERSION : 1);
	buf_add_u8(out, (uint8_t)(q->started | q->halted << 1 | q->event_idx << 2 | q->signalled_valid << 3 |
	    q->jump_seen << 4 | q->notify_off << 5 | q->unmapped << 6 | q->nocache << 7));
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
	if (v2)
		buf_add_le16(out, q->mapped);
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
	uint8_t zero = 0;
	if (ver != 1 && ver != VIRTQ_SAVE_VERSION)
		return cause_set(cause, "queue %u: state version %u not supported", q->index, ver);
	uint16_t mapped = ver >= 2 ? cursor_le16(c) : size;	/* version 1: rings mapped for the size */
	if (c->err)
		return cause_set(cause, "queue %u: state truncated", q->index);
	if (ver < 2 && (fl & ~0x7fu))
		return cause_set(cause, "queue %u: unknown flags 0x%x", q->index, fl);
	if ((fl & 0x80) && (!(fl & 1) || (fl & 0x40)))
		return cause_set(cause, "queue %u: no-cache flag without a started, mapped queue", q->index);
	bool started = fl & 1;
	if ((fl & 0x40) && (!started || desc != 0 || !q->pol.map_as_qemu))
		return cause_set(cause, "queue %u: unmapped flag without a started queue at descriptor address 0", q->index);
	if (started) {
		if (size == 0 || size > VIRTQ_MAX_SIZE || mapped == 0 || mapped > VIRTQ_MAX_SIZE)
			return cause_set(cause, "queue %u: size %u (mapped for %u) out of range", q->index, size, mapped);
		struct virtq_result scratch = { .n = 0 };
		if (!(fl & 0x40) && virtq_rings_fit(q, mapped, desc, avail, used, (fl >> 2) & 1, false, "", &scratch,
		    &zero) < 0)
			return cause_set(cause, "queue %u: rings not in guest ram", q->index);
		if (inf > size && inf > mapped)
			return cause_set(cause, "queue %u: %u in flight exceeds size %u", q->index, inf, size);
		if ((uint16_t)(ui - pu) > size)
			return cause_set(cause, "queue %u: %u unpublished used entries exceed size %u", q->index,
			    (uint16_t)(ui - pu), size);
		if (((fl >> 2) & 1) != ((feat >> VIRTIO_F_EVENT_IDX) & 1))
			return cause_set(cause, "queue %u: event-idx flag disagrees with features", q->index);
	} else if (size != 0 || mapped != 0 || inf != 0 || desc != 0 || avail != 0 || used != 0 || la != 0 || ui != 0 || pu != 0) {
		return cause_set(cause, "queue %u: disabled queue carries ring state", q->index);
	}
	q->started = started;
	q->halted = (fl >> 1) & 1;
	q->event_idx = (fl >> 2) & 1;
	q->signalled_valid = (fl >> 3) & 1;
	q->jump_seen = (fl >> 4) & 1;
	q->notify_off = (fl >> 5) & 1;
	q->unmapped = (fl >> 6) & 1;
	q->nocache = (fl >> 7) & 1;
	q->zero = zero;
	q->size = size;
	q->mapped = mapped;
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
