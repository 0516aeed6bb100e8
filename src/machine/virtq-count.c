/* virtq-count.c -- split virtqueue, device side: the IN bytes the available chains offer, counted before a pop */
#include "vr/le.h"
#include "virtq-int.h"
#include "virtq-ring.h"

/*
 * The descriptors the count walks in one indirect table before it looks
 * for a cycle. QEMU walks a chain to the table's size (up to 2^28
 * entries: seconds of work for a few bytes of trace). A chain reaches at
 * most 65536 entries of its table (next is 16 bits), so past that many
 * steps it runs in a cycle and comes back, within as many again, to the
 * entry it was at: the model remembers that entry and, once back, lets
 * count_cycle find in closed form where QEMU's 32-bit total first reaches
 * want, if it does before the table's size ("Looped descriptor"
 * otherwise): the count QEMU returns, for at most three times this many
 * descriptor reads. Such a chain is never popped (1024 buffers at most),
 * but what the count says is seen: rng asks its backend for entropy and
 * stays well until some comes, virtio-serial reads the chardev (or not,
 * past 2 GiB), net goes on to pop for the frame, and only then the pop
 * breaks the device (crosschecked: the wrap-long and cycle cases of
 * tests/data/count).
 */
#define VIRTQ_COUNT_WALK_MAX	65536u

#define FIRST_NONE	UINT64_MAX

/*
 * The least j >= 0 with lo <= (c * j) mod m <= hi, for 0 <= lo <= hi < m
 * <= 2^32, or FIRST_NONE: when no multiple of c lies in [lo, hi], the
 * question becomes the same one on (c, m mod c) (Euclid's steps). A brute
 * force agreed on every case with m up to 48 when this was written.
 */
static uint64_t first_in_range(uint64_t c, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t x, y;

	if (lo == 0)
		return 0;
	c %= m;
	if (c == 0)
		return FIRST_NONE;
	x = (lo + c - 1) / c;
	if (c * x <= hi)
		return x;
	y = first_in_range(m % c, c, (c - hi % c) % c, (c - lo % c) % c);
	if (y == FIRST_NONE)
		return FIRST_NONE;
	return (lo + m * y - 1) / c + 1;	/* < 2^64: y < c */
}

/* The least j >= 0 with (a + c * j) mod 2^32 >= want, or FIRST_NONE. */
static uint64_t first_at_least(uint32_t a, uint32_t c, uint32_t want)
{
	if (a >= want)
		return 0;
	return first_in_range(c, 1ull << 32, (uint64_t)want - a, UINT32_MAX - (uint64_t)a);
}

/* One descriptor of a table for the count (QEMU reads it through a mapping it checked; so does this). */
static bool count_read(struct virtq *q, uint64_t table, bool tzero, uint32_t i, struct vr_desc *dd)
{
	uint8_t raw[16];

	q->counted++;
	if (virtq_desc_read(q, table, tzero, i, raw) < 0)
		return false;
	dd->addr = le64_load(raw);
	dd->len = le32_load(raw + 8);
	dd->flags = le16_load(raw + 12);
	dd->next = le16_load(raw + 14);
	return true;
}

/*
 * A chain of table (max entries) that came back to descriptor mark after
 * lambda descriptors, the first of them counted as step done + 1 with
 * base counted before it, cyc added by the lambda: every descriptor has
 * NEXT (inside the table), so QEMU goes round and round until its total
 * reaches want or its steps pass max. Pass t of the cycle counts
 * base + m * cyc + (t's prefix) after step done + m * lambda + t; for each
 * t, first_at_least gives the least m from 1. True and *in: the total at
 * the first step that reaches want; false: QEMU's loop.
 */
static bool count_cycle(struct virtq *q, uint64_t table, bool tzero, uint32_t max, uint32_t mark, uint32_t lambda,
    uint32_t done, uint32_t base, uint32_t cyc, uint32_t want, uint32_t *in)
{
	uint64_t best = UINT64_MAX;
	uint32_t p = base, i = mark;
	struct vr_desc dd;

	for (uint32_t t = 1; t <= lambda; t++) {
		if (!count_read(q, table, tzero, i, &dd))
			return false;	/* cannot happen: the same reads as the walk's */
		if (dd.flags & VIRTQ_DESC_F_WRITE)
			p += dd.len;
		i = dd.next;
		if ((uint64_t)done + lambda + t > max)
			break;		/* no second pass left for this t nor the ones after it */
		uint64_t mmax = (max - (uint64_t)done - t) / lambda;
		uint64_t j = first_at_least(p + cyc, cyc, want);
		uint64_t step = j == FIRST_NONE || 1 + j > mmax ? UINT64_MAX : done + (1 + j) * lambda + t;
		if (step < best) {
			best = step;
			*in = p + cyc + (uint32_t)(j * cyc);
		}
	}
	return best != UINT64_MAX;
}

/*
 * QEMU 7.2's virtqueue_split_get_avail_bytes (with the stable fix that sets
 * max for each chain), IN side: descriptor lengths added in 32 bits until
 * they reach want (then nothing further is looked at, bad or not);
 * INDIRECT only on a head; the descriptors of the direct chains counted so
 * far (an indirect chain as 1) must stay within the queue size. A refusal
 * is QEMU's virtio_error and a count of 0.
 */
static uint32_t count_qemu(struct virtq *q, uint32_t want, struct virtq_result *res)
{
	uint16_t n = (uint16_t)(virtq_avail_idx(q) - q->last_avail);
	uint32_t in = 0, total_bufs = 0;

	if (q->size > q->mapped) {
		virtq_outgrown_desc(q, res, "; counting its buffers");
		return 0;
	}
	if (n > q->size) {
		virtq_report(res, VIOL_AVAIL_IDX_JUMP, -1, q->avail + 2, true,
		    "queue %u: avail idx moved from %u to %u, more than the queue size %u (counting its buffers)",
		    q->index, q->last_avail, (uint16_t)(q->last_avail + n), q->size);
		return 0;
	}
	for (uint16_t k = 0; k < n; k++) {
		uint16_t slot = (uint16_t)((q->last_avail + k) % q->size);
		uint16_t head = virtq_rd16(q, false, 4 + 2ull * slot);
		uint64_t table = q->desc;
		bool tzero = q->zero & VIRTQ_ZERO_DESC;
		uint32_t max = q->size, nb = total_bufs, i = head;
		uint32_t mark = 0, mark_in = 0;		/* where the walk was past VIRTQ_COUNT_WALK_MAX */
		bool indirect = false;
		struct vr_desc dd;

		if (head >= q->size) {
			virtq_report(res, VIOL_AVAIL_HEAD_RANGE, head, q->avail + 4 + 2ull * slot, true,
			    "queue %u: avail ring slot %u holds head %u, queue size %u (counting its buffers)", q->index,
			    slot, head, q->size);
			return 0;
		}
		if (!count_read(q, table, tzero, i, &dd))
			goto unreadable;
		if (dd.flags & VIRTQ_DESC_F_INDIRECT) {
			if (dd.len == 0 || dd.len % 16 != 0) {
				virtq_report(res, VIOL_INDIRECT_BAD_LEN, head, dd.addr, true,
				    "queue %u: indirect table length %u (descriptor %u) is 0 or not a multiple of 16 "
				    "(counting its buffers)", q->index, dd.len, head);
				return 0;
			}
			if (nb >= max)
				goto loop;
			enum gmem_map map = virtq_ring_map(q, dd.addr, dd.len);
			if (map == GMEM_MAP_NONE) {
				virtq_report(res, VIOL_INDIRECT_OUTSIDE_RAM, head, dd.addr, true,
				    "queue %u: indirect table 0x%llx+0x%x not in guest ram (counting its buffers)", q->index,
				    (unsigned long long)dd.addr, dd.len);
				return 0;
			}
			table = dd.addr;
			tzero = map == GMEM_MAP_ZERO;
			max = dd.len / 16;
			nb = i = 0;
			indirect = true;
			if (!count_read(q, table, tzero, i, &dd))
				goto unreadable;
		}
		for (;;) {
			if (++nb > max)
				goto loop;
			if (indirect && nb > VIRTQ_COUNT_WALK_MAX) {
				/* see VIRTQ_COUNT_WALK_MAX */
				if (nb == VIRTQ_COUNT_WALK_MAX + 1) {
					mark = i;
					mark_in = in;
				} else if (i == mark) {
					if (!count_cycle(q, table, tzero, max, mark, nb - VIRTQ_COUNT_WALK_MAX - 1,
					    VIRTQ_COUNT_WALK_MAX, mark_in, in - mark_in, want, &in))
						goto loop;
					return in;
				}
			}
			if (dd.flags & VIRTQ_DESC_F_WRITE)
				in += dd.len;	/* unsigned int in QEMU: it wraps */
			if (in >= want)
				return in;
			if (!(dd.flags & VIRTQ_DESC_F_NEXT))
				break;
			if (dd.next >= max) {
				virtq_report(res, VIOL_DESC_NEXT_RANGE, (int)i, dd.next,
				    true, "queue %u: descriptor %u points to next %u beyond its table (counting its buffers)",
				    q->index, i, dd.next);
				return 0;
			}
			i = dd.next;
			if (!count_read(q, table, tzero, i, &dd))
				goto unreadable;
		}
		total_bufs = indirect ? total_bufs + 1 : nb;
		continue;
loop:
		virtq_report(res, VIOL_DESC_LOOP, head, table, true,
		    "queue %u: chain from head %u: more descriptors than %u%s (counting its buffers)", q->index, head,
		    max, indirect ? " in its table" : ", with the chains counted before it: a loop (QEMU)");
		return 0;
unreadable:
		virtq_report(res, VIOL_RING_ADDR_BAD, (int)i, table, true,
		    "queue %u: descriptor %u at 0x%llx not readable (counting its buffers)", q->index, i,
		    (unsigned long long)(table + 16ull * i));
		return 0;
	}
	return in;
}

/*
 * The IN bytes of the chains available, up to want, counted without mapping
 * a buffer, on a broken device too (QEMU's virtqueue_get_avail_bytes does
 * not look at it). count_as_qemu: QEMU's rules (count_qemu). Otherwise each
 * chain is walked whole with a pop's checks: what the count refuses is in
 * res, fatal, and the count is 0.
 */
uint32_t virtq_count_in(struct virtq *q, uint32_t want, struct virtq_result *res)
{
	uint32_t total = 0;
	uint16_t n;

	if (!virtq_rings_there(q))
		return 0;
	if (q->pol.count_as_qemu)
		return count_qemu(q, want, res);
	n = (uint16_t)(virtq_avail_idx(q) - q->last_avail);
	if (n > q->size) {
		virtq_report(res, VIOL_AVAIL_IDX_JUMP, -1, q->avail + 2, true,
		    "queue %u: avail idx moved from %u to %u, more than the queue size %u (counting its buffers)",
		    q->index, q->last_avail, (uint16_t)(q->last_avail + n), q->size);
		return 0;
	}
	q->counting = true;
	for (uint16_t i = 0; i < n && total < want; i++) {
		uint16_t slot = (uint16_t)((q->last_avail + i) % q->size);
		uint16_t head = virtq_rd16(q, false, 4 + 2ull * slot);
		struct virtq_chain c;

		if (head >= q->size) {
			virtq_report(res, VIOL_AVAIL_HEAD_RANGE, head, q->avail + 4 + 2ull * slot, true,
			    "queue %u: avail ring slot %u holds head %u, queue size %u (counting its buffers)", q->index,
			    slot, head, q->size);
			total = 0;
			break;
		}
		if (virtq_walk(q, head, &c, res) < 0) {
			total = 0;
			break;
		}
		total = c.in_len > want - total ? want : total + c.in_len;
	}
	q->counting = false;
	return total;
}

uint64_t virtq_counted(const struct virtq *q)
{
	return q->counted;
}
