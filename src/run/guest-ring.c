/* guest-ring.c -- the model guest's split-ring driver side: data buffers, chains, kicks, used buffers */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "guest-int.h"

static uint64_t data_alloc(struct guest *g, uint32_t len, uint32_t align)
{
	uint64_t a = (g->data_next + align - 1) & ~((uint64_t)align - 1);
	if (a + len > g->data_end || a < g->data_next) {
		a = (g->data_base + align - 1) & ~((uint64_t)align - 1);
		if (a + len > g->data_end)
			return 0;
	}
	g->data_next = a + len;
	return a;
}

static struct gq *getq(struct guest *g, unsigned qi)
{
	return qi < VIRTQ_MAX_QUEUES && g->q[qi].ready ? &g->q[qi] : NULL;
}

int guest_add(struct guest *g, unsigned qi, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin, unsigned flags, char **cause)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return cause_set(cause, "guest: queue %u not set up", qi);
	unsigned total = nout + nin;
	bool indirect = flags & GUEST_ADD_INDIRECT;
	if (total == 0 || total > VIRTQ_MAX_SG)
		return cause_set(cause, "guest: chain of %u buffers", total);
	unsigned need = indirect ? 1 : total;
	if (need > q->num_free)
		return cause_set(cause, "guest: queue %u full (%u free, %u needed)", qi, q->num_free, need);
	/* place and fill the buffers first, as a driver's data is ready before it is queued */
	uint64_t *addr = xcalloc(total, sizeof *addr);
	for (unsigned i = 0; i < total; i++) {
		const struct guest_buf *b = i < nout ? &out[i] : &in[i - nout];
		addr[i] = b->addr ? b->addr : data_alloc(g, b->len ? b->len : 1, 16);
		if (addr[i] == 0) {
			free(addr);
			return cause_set(cause, "guest: no data space for %u bytes", b->len);
		}
		/* IN data: what the buffer holds before the device writes (a driver's reused, stale memory) */
		if (b->data != NULL && b->len > 0)
			mem_wr(g, addr[i], b->data, b->len);
	}
	uint16_t head = q->free_head;
	struct ghead *h = &q->head[head];
	h->nin = 0;
	for (unsigned i = 0; i < nin && i < GUEST_MAX_IN; i++) {
		h->in[i].addr = addr[nout + i];
		h->in[i].len = in[i].len;
		h->nin++;
	}
	uint8_t d[16];
	if (indirect) {
		uint64_t table = data_alloc(g, 16u * total, 16);
		if (table == 0) {
			free(addr);
			return cause_set(cause, "guest: no data space for an indirect table");
		}
		uint8_t *t = xmalloc(16u * total);
		for (unsigned i = 0; i < total; i++) {
			const struct guest_buf *b = i < nout ? &out[i] : &in[i - nout];
			uint16_t f = (uint16_t)((i + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (i >= nout ? VIRTQ_DESC_F_WRITE : 0));
			desc_bytes(t + 16 * i, addr[i], b->len, f, (uint16_t)(i + 1 < total ? i + 1 : 0));
		}
		mem_wr(g, table, t, 16u * total);
		free(t);
		desc_bytes(d, table, 16u * total, VIRTQ_DESC_F_INDIRECT, q->next[head]);
		mem_wr(g, q->desc + 16ull * head, d, 16);
		q->free_head = q->next[head];
		h->ndesc = 1;
	} else {
		uint16_t i = head, last = head;
		for (unsigned k = 0; k < total; k++) {
			const struct guest_buf *b = k < nout ? &out[k] : &in[k - nout];
			uint16_t f = (uint16_t)((k + 1 < total ? VIRTQ_DESC_F_NEXT : 0) | (k >= nout ? VIRTQ_DESC_F_WRITE : 0));
			desc_bytes(d, addr[k], b->len, f, q->next[i]);
			mem_wr(g, q->desc + 16ull * i, d, 16);
			last = i;
			i = q->next[i];
		}
		q->free_head = q->next[last];
		h->ndesc = (uint16_t)total;
	}
	free(addr);
	q->num_free = (uint16_t)(q->num_free - h->ndesc);
	h->busy = true;
	mem_wr16(g, q->avail + 4 + 2ull * (q->avail_idx % q->size), head);
	q->avail_idx++;
	if (!(flags & GUEST_ADD_NO_PUBLISH))
		mem_wr16(g, q->avail + 2, q->avail_idx);
	return head;
}

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void guest_notify(struct guest *g, unsigned qi)
{
	if (g->cfg.legacy) {
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, 2, qi);
		return;
	}
	uint16_t off = qi < VIRTQ_MAX_QUEUES && g->q[qi].ready ? g->q[qi].notify_off : (uint16_t)qi;
	uint64_t a = g->caps.notify.off + (uint64_t)off * g->caps.notify_mult;
	g->port.bar_write(g->port.opaque, g->caps.notify.bar, a, 2, qi);
}

bool guest_kick(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return false;
	uint16_t old = q->kicked_idx, nw = q->avail_idx;
	q->kicked_idx = nw;
	bool kick;
	if ((g->feat >> VIRTIO_F_EVENT_IDX) & 1)
		kick = need_event(mem_rd16(g, q->used + 4 + 8ull * q->size), nw, old);
	else
		kick = !(mem_rd16(g, q->used) & VIRTQ_USED_F_NO_NOTIFY);
	if (kick)
		guest_notify(g, qi);
	return kick;
}

int guest_poll(struct guest *g, unsigned qi, struct guest_used *u)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return 0;
	uint16_t uidx = mem_rd16(g, q->used + 2);
	if (uidx == q->last_used)
		return 0;
	uint8_t e[8] = { 0 };
	mem_rd(g, q->used + 4 + 8ull * (q->last_used % q->size), e, 8);
	uint32_t id = le32_load(e);
	if (id >= q->size || !q->head[id].busy)
		return -1;
	struct ghead *h = &q->head[id];
	uint16_t last = (uint16_t)id;
	for (unsigned k = 1; k < h->ndesc; k++)
		last = q->next[last];
	q->next[last] = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free = (uint16_t)(q->num_free + h->ndesc);
	h->busy = false;
	q->last_used++;
	u->head = (uint16_t)id;
	u->len = le32_load(e + 4);
	if (((g->feat >> VIRTIO_F_EVENT_IDX) & 1) && !q->no_interrupt)
		mem_wr16(g, q->avail + 4 + 2ull * q->size, q->last_used);
	return 1;
}

int guest_wait(struct guest *g, unsigned qi, uint16_t n)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || g->port.wait == NULL)
		return 0;
	return g->port.wait(g->port.opaque, q->used + 2, q->last_used, n);
}

int guest_raw_used_skip(struct guest *g, unsigned qi, uint16_t n)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || guest_wait(g, qi, n) < 0)
		return -1;
	if ((uint16_t)(mem_rd16(g, q->used + 2) - q->last_used) < n)
		return -1;
	q->last_used = (uint16_t)(q->last_used + n);
	return 0;
}

int guest_read_in(struct guest *g, unsigned qi, uint16_t head, uint32_t off, void *dst, uint32_t len)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || head >= q->size)
		return -1;
	const struct ghead *h = &q->head[head];
	uint8_t *p = dst;
	uint32_t pos = 0;
	for (unsigned i = 0; i < h->nin && len > 0; i++) {
		if (off < pos + h->in[i].len) {
			uint32_t in = off - pos, n = h->in[i].len - in < len ? h->in[i].len - in : len;
			if (mem_rd(g, h->in[i].addr + in, p, n) < 0)
				return -1;
			p += n;
			off += n;
			len -= n;
		}
		pos += h->in[i].len;
	}
	return len == 0 ? 0 : -1;
}

uint32_t guest_in_size(const struct guest *g, unsigned qi, uint16_t head)
{
	if (qi >= VIRTQ_MAX_QUEUES || !g->q[qi].ready || head >= g->q[qi].size)
		return 0;
	const struct ghead *h = &g->q[qi].head[head];
	uint64_t n = 0;
	for (unsigned i = 0; i < h->nin; i++)
		n += h->in[i].len;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint64_t guest_in_addr(const struct guest *g, unsigned qi, uint16_t head, unsigned i, uint32_t *len)
{
	if (qi >= VIRTQ_MAX_QUEUES || !g->q[qi].ready || head >= g->q[qi].size || i >= g->q[qi].head[head].nin)
		return 0;
	*len = g->q[qi].head[head].in[i].len;
	return g->q[qi].head[head].in[i].addr;
}

unsigned guest_drain(struct guest *g, unsigned q, unsigned n, uint8_t *last)
{
	struct guest_used u;
	unsigned got = 0;

	while (got < n && guest_poll(g, q, &u) == 1) {
		uint32_t len = guest_in_size(g, q, u.head);
		uint8_t *p;

		got++;
		if (u.len < len)
			len = u.len;
		if (len == 0)
			continue;
		p = xmalloc(len);
		if (guest_read_in(g, q, u.head, 0, p, len) == 0 && last != NULL)
			*last = p[len - 1];
		free(p);
	}
	return got;
}

void guest_disable_cb(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL || q->no_interrupt)
		return;
	q->no_interrupt = true;
	if ((g->feat >> VIRTIO_F_EVENT_IDX) & 1)
		mem_wr16(g, q->avail + 4 + 2ull * q->size, 0);	/* Linux's "hack" value */
	else
		mem_wr16(g, q->avail, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void guest_enable_cb(struct guest *g, unsigned qi)
{
	struct gq *q = getq(g, qi);
	if (q == NULL)
		return;
	if (q->no_interrupt) {
		q->no_interrupt = false;
		if (!((g->feat >> VIRTIO_F_EVENT_IDX) & 1))
			mem_wr16(g, q->avail, 0);
	}
	mem_wr16(g, q->avail + 4 + 2ull * q->size, q->last_used);
}
