/* sweep-dev.c -- the device sweep for net, console and rng: seeded traffic recorded on QEMU, replayed here */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/*
 * QEMU works in its own time, so the guest must know how many completions
 * to wait for before it reads a used ring (a read made too early would be a
 * false difference). It keeps an account of what the device owes from the
 * spec and from the device's own answers (the control acks it read back),
 * never from this simulator's code: frames waiting for receive buffers, the
 * receive filter, console bytes waiting for buffers, entropy in the pool.
 */

#define NET_HDR		12u		/* with VERSION_1 or MRG_RXBUF; a legacy header without MRG_RXBUF has 10 */
#define NET_F_MRG_RXBUF	15
#define NET_F_CTRL_VQ	17
#define NET_CTRL_ONLY	((1ull << 2) | (0x5full << 18))	/* CTRL_GUEST_OFFLOADS, CTRL_RX..CTRL_MAC_ADDR but MQ */
#define NET_RXQ		0u
#define NET_TXQ		1u
#define NET_CTRLQ	2u
#define NET_MAX_BUFS	256u
#define NET_MAX_FRAMES	32u
#define NET_MACS	64u

struct dsw {
	struct record *rec;
	struct guest *g;
	enum guest_irq_mode irq;
	uint64_t intx_seen;
	uint64_t feat;			/* negotiated */
};

static uint64_t rnd(struct dsw *s, uint64_t n)
{
	return n ? record_rand(s->rec) % n : 0;
}

static void fill(struct dsw *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 7 == 0 ? rnd(s, 256) : 0x20 + i % 95);
}

/*
 * The guest with a seeded interrupt mode, queue size and feature subset:
 * optional bits are dropped at random (drop: the candidates), VERSION_1
 * and whatever the caller keeps stay.
 */
static int dsw_begin(struct dsw *s, struct record *rec, uint64_t drop, uint64_t (*fix)(uint64_t want), char **cause)
{
	static const enum guest_irq_mode m[] = { GUEST_IRQ_MSIX, GUEST_IRQ_MSIX_SHARED, GUEST_IRQ_INTX };
	uint64_t offered = record_header(rec)->features;
	uint16_t size;

	memset(s, 0, sizeof(*s));
	s->rec = rec;
	s->irq = m[rnd(s, 3)];
	/* A table smaller than a vector per queue (QEMU's virtio-serial): Linux falls back to shared vectors. */
	if (s->irq == GUEST_IRQ_MSIX && (record_header(rec)->has & TRACE_HAS_MSIX) &&
	    record_header(rec)->msix_vectors < record_header(rec)->nqueues + 1)
		s->irq = GUEST_IRQ_MSIX_SHARED;
	drop |= (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
	s->feat = offered ? offered & ~(record_rand(rec) & drop) : 0;
	if (s->feat != 0 && fix != NULL)
		s->feat = fix(s->feat);
	/*
	 * A legacy driver now and then acks BAD_FEATURE, as one that does not
	 * negotiate properly (without ring features: the device will not have them).
	 */
	if (record_legacy_driver(rec) && s->feat != 0 && rnd(s, 4) == 0) {
		s->feat &= ~((1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX));
		s->feat |= 1ull << VIRTIO_F_BAD_FEATURE;
	}
	size = (uint16_t)(8u << rnd(s, 6));
	if ((s->g = record_guest(rec, s->irq, s->feat)) == NULL)
		return cause_set(cause, "cannot create the guest");
	guest_set_queue_size(s->g, size);
	record_mark(rec, "sweep: features 0x%" PRIx64 ", queues of %u, %s interrupts", s->feat, size,
	    s->irq == GUEST_IRQ_INTX ? "intx" : s->irq == GUEST_IRQ_MSIX ? "msi-x per queue" : "msi-x shared");
	if (guest_init(s->g, cause) < 0)
		return -1;
	s->feat = guest_features(s->g);
	/* what a legacy device took, as it reads back (32 bits, BAD_FEATURE answered with the device's own) */
	if (record_legacy_driver(rec))
		s->feat = guest_legacy_read(s->g, VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4);
	return 0;
}

static bool has(const struct dsw *s, unsigned bit)
{
	return (s->feat >> bit) & 1;
}

/*
 * Take n completions of q (waiting for QEMU to publish them), acknowledging
 * INTx like Linux; each one's IN bytes are read back, its status byte kept
 * in *last (when asked). Returns how many came.
 */
static unsigned take(struct dsw *s, unsigned q, unsigned n, uint8_t *last)
{
	unsigned got;

	if (n == 0)
		return 0;
	(void)guest_wait(s->g, q, (uint16_t)n);
	if (s->irq == GUEST_IRQ_INTX && guest_irq_count(s->g, GUEST_INTX) != s->intx_seen) {
		s->intx_seen = guest_irq_count(s->g, GUEST_INTX);
		(void)guest_isr_read(s->g);
	}
	got = guest_drain(s->g, q, n, last);
	if (got < n)
		record_mark(s->rec, "sweep: queue %u: %u of %u completions came", q, got, n);
	return got;
}

/* Add a chain; a full queue is not an error here (the op is skipped). */
static bool add(struct dsw *s, unsigned q, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin)
{
	char *why = NULL;
	unsigned flags = has(s, VIRTIO_F_INDIRECT_DESC) && rnd(s, 3) == 0 ? GUEST_ADD_INDIRECT : 0;

	if (guest_add(s->g, q, out, nout, in, nin, flags, &why) < 0) {
		record_mark(s->rec, "sweep: queue %u: not added (%s)", q, why ? why : "?");
		free(why);
		return false;
	}
	return true;
}

/* ---- net ---- */

/* What the guest knows the device holds and how it filters (virtio 1.x 5.1.6.3, 5.1.6.5). */
struct netacct {
	uint32_t buf[NET_MAX_BUFS];	/* posted rx buffers in order: device-writable bytes */
	unsigned nbuf;
	uint8_t dst[NET_MAX_FRAMES][6];	/* frames waiting for buffers, in order */
	uint32_t flen[NET_MAX_FRAMES];
	unsigned nframe;
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast, uni_over, multi_over;
	uint8_t mac[6];
	uint8_t table[NET_MACS][6];
	unsigned in_use, first_multi;
};

static bool net_pass(const struct netacct *a, const uint8_t *d)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (a->promisc)
		return true;
	if (d[0] & 1) {
		if (memcmp(d, bcast, 6) == 0)
			return !a->nobcast;
		if (a->nomulti)
			return false;
		if (a->allmulti || a->multi_over)
			return true;
		for (unsigned i = a->first_multi; i < a->in_use; i++)
			if (memcmp(d, a->table[i], 6) == 0)
				return true;
		return false;
	}
	if (a->nouni)
		return false;
	if (a->alluni || a->uni_over || memcmp(d, a->mac, 6) == 0)
		return true;
	for (unsigned i = 0; i < a->first_multi; i++)
		if (memcmp(d, a->table[i], 6) == 0)
			return true;
	return false;
}

/* The header before each frame (virtio 1.x 5.1.6.1): no num_buffers for a legacy driver without MRG_RXBUF. */
static uint32_t net_hdr(const struct dsw *s)
{
	return has(s, VIRTIO_F_VERSION_1) || has(s, NET_F_MRG_RXBUF) ? NET_HDR : NET_HDR - 2;
}

static void net_consume(struct netacct *a, unsigned k)
{
	memmove(a->buf, a->buf + k, (a->nbuf - k) * sizeof a->buf[0]);
	a->nbuf -= k;
}

/*
 * Frames the device can place now, in order: a frame waits while no buffer
 * is posted (with MRG_RXBUF: until the posted buffers hold it); then the
 * filter may drop it; without MRG_RXBUF one that does not fit the first
 * buffer is dropped and the buffer stays. Returns the used entries due.
 */
static unsigned net_deliver(struct dsw *s, struct netacct *a)
{
	bool mrg = has(s, NET_F_MRG_RXBUF);
	unsigned due = 0;

	while (a->nframe > 0) {
		uint32_t need = a->flen[0] + net_hdr(s);
		uint64_t total = 0;
		unsigned k = 0;

		for (unsigned i = 0; i < a->nbuf; i++)
			total += a->buf[i];
		if (a->nbuf == 0 || (mrg && total < need))
			break;
		if (net_pass(a, a->dst[0])) {
			if (mrg) {
				for (total = 0; total < need; k++)
					total += a->buf[k];
				net_consume(a, k);
				due += k;
			} else if (a->buf[0] >= need) {
				net_consume(a, 1);
				due++;
			}
		}
		memmove(a->dst, a->dst + 1, (a->nframe - 1) * sizeof a->dst[0]);
		memmove(a->flen, a->flen + 1, (a->nframe - 1) * sizeof a->flen[0]);
		a->nframe--;
	}
	return due;
}

static void net_post(struct dsw *s, struct netacct *a)
{
	static const uint32_t sizes[] = { 64, 100, 256, 600, 1526, 2048 };
	unsigned k = 1 + (unsigned)rnd(s, 4);

	for (unsigned i = 0; i < k && a->nbuf < NET_MAX_BUFS; i++) {
		uint32_t len = sizes[rnd(s, sizeof sizes / sizeof sizes[0])];
		struct guest_buf in[2];
		unsigned nin = 1;

		memset(in, 0, sizeof(in));
		in[0].len = len;
		if (rnd(s, 3) == 0) {		/* header apart, as old drivers post it */
			in[0].len = net_hdr(s);
			in[1].len = len - net_hdr(s);
			nin = 2;
		}
		if (!add(s, NET_RXQ, NULL, 0, in, nin))
			break;
		a->buf[a->nbuf++] = len;
	}
	record_mark(s->rec, "sweep: rx buffers posted, %u now", a->nbuf);
	if (guest_kick(s->g, NET_RXQ))
		(void)take(s, NET_RXQ, net_deliver(s, a), NULL);
}

static void net_dest(struct dsw *s, const struct netacct *a, uint8_t *d)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x99, 0x88, 0x77 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

	switch (rnd(s, 6)) {
	case 0: memcpy(d, other, 6); break;
	case 1: memcpy(d, bcast, 6); break;
	case 2: memcpy(d, mcast, 6); break;
	case 3:
		if (a->in_use > 0) {
			memcpy(d, a->table[rnd(s, a->in_use)], 6);
			break;
		}
		/* fall through */
	default: memcpy(d, a->mac, 6); break;
	}
}

static int net_frame(struct dsw *s, struct netacct *a, char **cause)
{
	static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	uint8_t f[1514];
	uint32_t len = 60 + (uint32_t)rnd(s, sizeof f - 59);
	bool queued = a->nframe > 0;

	if (a->nframe == NET_MAX_FRAMES)
		return 0;
	net_dest(s, a, f);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	fill(s, f + 14, len - 14);
	if (record_input(s->rec, TRACE_INPUT_FRAME, 0, f, len, cause) < 0)
		return -1;
	memcpy(a->dst[a->nframe], f, 6);
	a->flen[a->nframe++] = len;
	/* Behind a waiting frame the new one waits too (QEMU stops reading its backend). */
	if (!queued)
		(void)take(s, NET_RXQ, net_deliver(s, a), NULL);
	return 0;
}

static void net_tx(struct dsw *s)
{
	unsigned k = 1 + (unsigned)rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t pkt[NET_HDR + 1514];
		uint32_t len = rnd(s, 4) == 0 ? (uint32_t)rnd(s, 15) : 14 + (uint32_t)rnd(s, 1501), hl = net_hdr(s);
		struct guest_buf out[2];
		unsigned nout = 1;

		memset(pkt, 0, hl);
		fill(s, pkt + hl, len);
		memset(out, 0, sizeof(out));
		out[0].data = pkt;
		out[0].len = hl + len;
		/* (no header shorter than its 12 or 10 bytes: QEMU 7.2 aborts on it, an assertion in iov_copy) */
		if (len > 0 && rnd(s, 2)) {
			out[0].len = hl;
			out[1].data = pkt + hl;
			out[1].len = len;
			nout = 2;
		}
		if (!add(s, NET_TXQ, out, nout, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u tx frames", added);
	guest_kick(s->g, NET_TXQ);
	(void)take(s, NET_TXQ, added, NULL);
}

/* One control command: class, command and data as a driver might (mis)form them. */
struct netcmd {
	uint8_t cls, cmd;
	uint8_t data[2 * 4 + 8 * 6 + 40];
	uint32_t len;
};

static void net_mac_table(struct dsw *s, struct netcmd *c)
{
	static const uint32_t counts[] = { 0, 1, 2, 3, 65, 0x2aaaaaab };
	uint32_t uni = counts[rnd(s, 4)], multi = counts[rnd(s, sizeof counts / sizeof counts[0])];
	uint32_t off = 0;

	if (rnd(s, 6) == 0)
		uni = counts[4 + rnd(s, 2)];
	le32_store(c->data, uni);
	off = 4;
	for (uint32_t i = 0; i < uni && i < 3; i++, off += 6) {
		static const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x10, 0x20, 0x00 };

		memcpy(c->data + off, m, 6);
		c->data[off + 5] = (uint8_t)i;
	}
	le32_store(c->data + off, multi);
	off += 4;
	for (uint32_t i = 0; i < multi && i < 3; i++, off += 6) {
		static const uint8_t m[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

		memcpy(c->data + off, m, 6);
		c->data[off + 5] = (uint8_t)(1 + i);
	}
	c->len = off;
	if (rnd(s, 5) == 0)
		c->len = off - 1 - (uint32_t)rnd(s, 3);	/* short by a byte or more */
	else if (rnd(s, 8) == 0)
		c->data[c->len++] = 0;			/* one byte too many */
}

static void net_cmd(struct dsw *s, struct netcmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cls = (uint8_t)rnd(s, 7);
	switch (c->cls) {
	case 0:				/* RX */
		c->cmd = (uint8_t)rnd(s, 7);
		c->data[0] = rnd(s, 4) == 0 ? 0x80 : (uint8_t)rnd(s, 2);
		c->len = rnd(s, 8) == 0 ? (uint32_t)rnd(s, 3) * 2 : 1;
		break;
	case 1:				/* MAC */
		c->cmd = (uint8_t)rnd(s, 5) == 0 ? 2 : (uint8_t)rnd(s, 2);
		if (c->cmd == 0) {
			net_mac_table(s, c);
		} else {
			static const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

			memcpy(c->data, m, 6);
			c->len = rnd(s, 5) == 0 ? 5 + 2 * (uint32_t)rnd(s, 2) : 6;
		}
		break;
	case 2:				/* VLAN */
		c->cmd = (uint8_t)rnd(s, 3);
		le16_store(c->data, (uint16_t)(rnd(s, 5) == 0 ? 4096 + rnd(s, 60000) : rnd(s, 4096)));
		c->len = rnd(s, 8) == 0 ? 1 : 2;
		break;
	case 3:				/* ANNOUNCE */
		c->cmd = (uint8_t)rnd(s, 2);
		break;
	case 4:				/* MQ: VQ_PAIRS_SET, RSS_CONFIG, HASH_CONFIG */
		c->cmd = (uint8_t)rnd(s, 3);
		if (c->cmd == 0) {
			le16_store(c->data, (uint16_t)rnd(s, 3));
			c->len = 2;
		} else {
			/* hash types, table mask 0, unclassified queue, one table entry, pairs 1, no key */
			le32_store(c->data, rnd(s, 2) ? 0 : 1);
			le16_store(c->data + 8, 0);
			le16_store(c->data + 10, 1);
			c->len = (uint32_t)rnd(s, 2);
			c->len = 13 - c->len * (uint32_t)rnd(s, 13);
		}
		break;
	case 5:				/* GUEST_OFFLOADS SET */
		c->cmd = (uint8_t)rnd(s, 2);
		c->len = 8;
		break;
	default:
		c->cls = (uint8_t)(6 + rnd(s, 250));
		c->cmd = (uint8_t)rnd(s, 256);
		c->len = (uint32_t)rnd(s, 4);
		break;
	}
}

/* What an acknowledged command changed, so the account filters like the device. */
static void net_acked(struct netacct *a, const struct netcmd *c)
{
	bool on = c->len >= 1 && c->data[0] != 0;

	if (c->cls == 0) {
		bool *f[] = { &a->promisc, &a->allmulti, &a->alluni, &a->nomulti, &a->nouni, &a->nobcast };

		if (c->cmd < 6)
			*f[c->cmd] = on;
	} else if (c->cls == 1 && c->cmd == 1 && c->len == 6) {
		memcpy(a->mac, c->data, 6);
	} else if (c->cls == 1 && c->cmd == 0 && c->len >= 8) {
		uint32_t uni = le32_load(c->data), off = 4, multi;

		a->in_use = 0;
		a->uni_over = uni > NET_MACS;
		if (!a->uni_over) {
			for (uint32_t i = 0; i < uni && a->in_use < NET_MACS; i++, off += 6)
				memcpy(a->table[a->in_use++], c->data + off, 6);
		} else {
			off += (uint32_t)(uni * 6u);
		}
		a->first_multi = a->in_use;
		multi = off + 4 <= c->len ? le32_load(c->data + off) : 0;
		off += 4;
		a->multi_over = multi > NET_MACS - a->in_use;
		if (!a->multi_over)
			for (uint32_t i = 0; i < multi && a->in_use < NET_MACS; i++, off += 6)
				memcpy(a->table[a->in_use++], c->data + off, 6);
	}
}

static void net_ctrl(struct dsw *s, struct netacct *a)
{
	unsigned k = 1 + (unsigned)rnd(s, 3), added = 0;
	struct netcmd cmd[3];

	for (unsigned i = 0; i < k; i++) {
		uint8_t hdr[2 + sizeof cmd[i].data];
		struct guest_buf out[2], in = { .len = 1 };
		unsigned nout = 1;

		net_cmd(s, &cmd[added]);
		hdr[0] = cmd[added].cls;
		hdr[1] = cmd[added].cmd;
		memcpy(hdr + 2, cmd[added].data, cmd[added].len);
		memset(out, 0, sizeof(out));
		out[0].data = hdr;
		out[0].len = 2 + cmd[added].len;
		if (cmd[added].len > 0 && rnd(s, 2)) {
			out[0].len = 2;
			out[1].data = hdr + 2;
			out[1].len = cmd[added].len;
			nout = 2;
		}
		if (!add(s, NET_CTRLQ, out, nout, &in, 1))
			break;
		record_mark(s->rec, "sweep: ctrl class %u cmd %u, %u bytes", cmd[added].cls, cmd[added].cmd,
		    cmd[added].len);
		added++;
	}
	guest_kick(s->g, NET_CTRLQ);
	/* Completions come in order: each acked one changes the filter before the next frame. */
	for (unsigned i = 0; i < added; i++) {
		uint8_t st = 0xff;

		if (take(s, NET_CTRLQ, 1, &st) == 1 && st == 0)
			net_acked(a, &cmd[i]);
	}
}

/*
 * The end, now and then under MRG_RXBUF with no frame waiting: a chain
 * holding a zero-length buffer beside a 64-byte one, then a frame the
 * posted buffers cannot hold. QEMU's virtio_net_has_buffers counts
 * descriptor lengths (virtqueue_avail_bytes: the empty one adds 0), finds
 * too few and lets the frame wait, notifications on; only a pop of that
 * chain would break the device ("zero sized buffers are not allowed").
 */
static int net_zero_len_end(struct dsw *s, struct netacct *a, char **cause)
{
	struct guest_buf in[2];
	uint32_t posted = 0, len;
	uint8_t f[1514];
	bool first = rnd(s, 2) == 0;

	for (unsigned i = 0; i < a->nbuf; i++)
		posted += a->buf[i];
	if (!has(s, NET_F_MRG_RXBUF) || a->nframe > 0 || posted + 64 + 1 > sizeof f + NET_HDR)
		return 0;
	len = posted + 64 + 1 - NET_HDR + (uint32_t)rnd(s, sizeof f + NET_HDR - posted - 64);
	if (len < 60)
		len = 60;
	memset(in, 0, sizeof in);
	in[first ? 0 : 1].len = 0;
	in[first ? 1 : 0].len = 64;
	record_mark(s->rec, "sweep: a zero-length rx buffer %s a 64-byte one, then a %u-byte frame (%u bytes posted)",
	    first ? "before" : "after", len, posted);
	if (!add(s, NET_RXQ, NULL, 0, in, 2))
		return 0;
	(void)guest_kick(s->g, NET_RXQ);
	memcpy(f, a->mac, 6);
	memset(f + 6, 0x52, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	fill(s, f + 14, len - 14);
	if (record_input(s->rec, TRACE_INPUT_FRAME, 0, f, len, cause) < 0)
		return -1;
	(void)take(s, NET_RXQ, 1, NULL);
	(void)guest_status(s->g);
	return 0;
}

/*
 * The end, now and then with no frame waiting: a reset and a bring-up that
 * writes no features (ACKNOWLEDGE, DRIVER, FEATURES_OK for a modern driver,
 * the queues, DRIVER_OK), then an rx buffer, a frame and tx. The driver
 * keeps the header it had: what the device does with a driver that
 * negotiated nothing is the device's business (QEMU keeps what its last
 * feature write set).
 */
static int net_reset_end(struct dsw *s, struct netacct *a, char **cause)
{
	static const uint8_t st[] = { VIRTIO_STATUS_ACK, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER,
	    VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK };
	bool legacy = record_legacy_driver(s->rec);
	struct guest_buf in = { .len = 2048 };

	if (a->nframe > 0)
		return 0;
	record_mark(s->rec, "sweep: reset, then a bring-up that writes no features (a %u-byte header kept)",
	    net_hdr(s));
	guest_reset(s->g);
	for (unsigned i = 0; i < (legacy ? 2u : 3u); i++) {
		if (legacy)
			guest_legacy_write(s->g, VIRTIO_PCI_LEGACY_STATUS, 1, st[i]);
		else
			guest_common_write(s->g, 0x14, 1, st[i]);
	}
	if (guest_setup_queues(s->g, cause) < 0)
		return -1;
	guest_driver_ok(s->g);
	memset(a, 0, sizeof(*a));
	a->promisc = true;
	if (record_header(s->rec)->devcfg_len >= 6)
		memcpy(a->mac, record_header(s->rec)->devcfg, 6);
	if (!add(s, NET_RXQ, NULL, 0, &in, 1))
		return 0;
	a->buf[a->nbuf++] = in.len;
	(void)guest_kick(s->g, NET_RXQ);
	if (net_frame(s, a, cause) < 0)
		return -1;
	net_tx(s);
	return 0;
}

/* The control commands' features go with CTRL_VQ, as a driver negotiates them. */
static uint64_t net_fix(uint64_t want)
{
	return (want >> NET_F_CTRL_VQ) & 1 ? want : want & ~NET_CTRL_ONLY;
}

void sweep_net_prepare(struct record *rec, struct trace_header *h)
{
	if (record_rand(rec) % 3 == 0)
		record_pick_legacy_driver(rec, h);
}

int sweep_sc_net(struct record *rec, char **cause)
{
	static const uint8_t mac0[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct dsw s;
	struct netacct a;
	unsigned ops;

	if (dsw_begin(&s, rec, (1ull << NET_F_MRG_RXBUF) | (1ull << NET_F_CTRL_VQ) | NET_CTRL_ONLY, net_fix, cause) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.promisc = true;
	if (record_header(rec)->devcfg_len >= 6)
		memcpy(a.mac, record_header(rec)->devcfg, 6);
	else
		memcpy(a.mac, mac0, 6);
	ops = 8 + (unsigned)rnd(&s, 16);
	for (unsigned i = 0; i < ops; i++) {
		switch (rnd(&s, 10)) {
		case 0: case 1: case 2:
			net_tx(&s);
			break;
		case 3: case 4:
			net_post(&s, &a);
			break;
		case 5: case 6: case 7:
			if (net_frame(&s, &a, cause) < 0)
				return -1;
			break;
		default:
			if (has(&s, NET_F_CTRL_VQ))
				net_ctrl(&s, &a);
			break;
		}
	}
	if (rnd(&s, 2) == 0)
		return net_zero_len_end(&s, &a, cause);
	return rnd(&s, 3) == 0 ? net_reset_end(&s, &a, cause) : 0;
}

/* ---- console (port 0, no MULTIPORT: QEMU's virtio-serial-pci with max_ports=1) ---- */

#define CON_MAX_BUFS	64u

/*
 * Bytes the host gave and not yet delivered (typed text, entropy) and the
 * buffers posted for them: the bytes fill the buffers in order, the last
 * one maybe in part.
 */
struct bytesacct {
	uint32_t bytes;
	uint32_t buf[CON_MAX_BUFS];
	unsigned nbuf;
};

/* A device that serves host bytes (console, rng): its guest, an empty account, how many ops to make. */
static int bytes_begin(struct dsw *s, struct record *rec, struct bytesacct *a, unsigned *ops, char **cause)
{
	if (dsw_begin(s, rec, 0, NULL, cause) < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	*ops = 6 + (unsigned)rnd(s, 14);
	return 0;
}

/* Host bytes of the input type (seeded content) given to the device. */
static int bytes_give(struct dsw *s, struct bytesacct *a, uint8_t type, uint32_t len, char **cause)
{
	uint8_t d[1024];

	if (len == 0 || len > sizeof d)
		return 0;
	fill(s, d, len);
	if (record_input(s->rec, type, 0, d, len, cause) < 0)
		return -1;
	a->bytes += len;
	return 0;
}

/* The buffers the bytes there are complete now (each a used entry). */
static unsigned bytes_deliver(struct bytesacct *a)
{
	unsigned due = 0;

	while (a->bytes > 0 && a->nbuf > 0) {
		a->bytes -= a->buf[0] < a->bytes ? a->buf[0] : a->bytes;
		memmove(a->buf, a->buf + 1, (a->nbuf - 1) * sizeof a->buf[0]);
		a->nbuf--;
		due++;
	}
	return due;
}

static void con_tx(struct dsw *s)
{
	unsigned k = 1 + (unsigned)rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t text[256];
		struct guest_buf out[2];
		uint32_t len = 1 + (uint32_t)rnd(s, sizeof text);
		unsigned nout = 1;

		fill(s, text, len);
		memset(out, 0, sizeof(out));
		out[0].data = text;
		out[0].len = len;
		if (len > 1 && rnd(s, 3) == 0) {
			out[0].len = len / 2;
			out[1].data = text + len / 2;
			out[1].len = len - len / 2;
			nout = 2;
		}
		if (!add(s, 1, out, nout, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u console writes", added);
	guest_kick(s->g, 1);
	(void)take(s, 1, added, NULL);
}

static void con_post(struct dsw *s, struct bytesacct *a)
{
	unsigned k = 1 + (unsigned)rnd(s, 3);

	for (unsigned i = 0; i < k && a->nbuf < CON_MAX_BUFS; i++) {
		struct guest_buf in = { .len = 1 + (uint32_t)rnd(s, 128) };

		if (!add(s, 0, NULL, 0, &in, 1))
			break;
		a->buf[a->nbuf++] = in.len;
	}
	record_mark(s->rec, "sweep: console rx buffers posted, %u now", a->nbuf);
	guest_kick(s->g, 0);
}

/*
 * Typed bytes never outnumber the posted room: bytes left waiting would
 * reach a buffer whenever QEMU's main loop polls its chardev again, which
 * may be while the guest is still writing the next descriptor.
 */
static int con_type(struct dsw *s, struct bytesacct *a, char **cause)
{
	uint32_t room = 0;

	for (unsigned i = 0; i < a->nbuf; i++)
		room += a->buf[i];
	if (room == 0)
		return 0;
	if (bytes_give(s, a, TRACE_INPUT_CONSOLE, 1 + (uint32_t)rnd(s, room < 300 ? room : 300), cause) < 0)
		return -1;
	(void)take(s, 0, bytes_deliver(a), NULL);
	return 0;
}

int sweep_sc_console(struct record *rec, char **cause)
{
	struct dsw s;
	struct bytesacct a;
	unsigned ops;

	if (bytes_begin(&s, rec, &a, &ops, cause) < 0)
		return -1;
	for (unsigned i = 0; i < ops; i++) {
		switch (rnd(&s, 3)) {
		case 0:
			con_tx(&s);
			break;
		case 1:
			con_post(&s, &a);
			break;
		default:
			if (con_type(&s, &a, cause) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* ---- rng ---- */

/*
 * While requests wait the guest only adds entropy: QEMU asks its backend
 * again on every kick and a second request for the same buffers would
 * throw bytes away.
 */
#define RNG_MAX_BUFS	8u

/* sweep-rng's header: one seed in three a transitional function with a legacy driver. */
void sweep_rng_prepare(struct record *rec, struct trace_header *h)
{
	if (record_rand(rec) % 3 == 0)
		record_pick_legacy_driver(rec, h);
}

/*
 * A kick that finds a head past the queue in the avail ring, behind the
 * requests posted: QEMU counts the bytes they want first
 * (virtqueue_get_avail_bytes), meets the head there and breaks the device
 * before it serves any. No entropy follows (a backend request left from
 * before would be read whenever QEMU polls it); the guest reads the status
 * and looks at the used ring.
 */
static void rng_bad_head(struct dsw *s)
{
	uint16_t size = guest_queue_size(s->g, 0), idx = guest_avail_idx(s->g, 0);
	uint16_t head = (uint16_t)(size + rnd(s, 0x10000u - size));
	struct guest_used u;

	record_mark(s->rec, "sweep: rng avail slot %u names head %u (queue of %u)", idx % size, head, size);
	guest_raw_avail_ring(s->g, 0, idx, head);
	guest_raw_avail_idx(s->g, 0, (uint16_t)(idx + 1));
	guest_notify(s->g, 0);
	(void)guest_status(s->g);
	(void)guest_poll(s->g, 0, &u);
}

int sweep_sc_rng(struct record *rec, char **cause)
{
	struct dsw s;
	struct bytesacct a;
	unsigned ops, bad;

	if (bytes_begin(&s, rec, &a, &ops, cause) < 0)
		return -1;
	/* one seed in four ends with a bad head */
	bad = rnd(&s, 4) == 0 ? (unsigned)rnd(&s, ops) : ops;
	for (unsigned i = 0; i < ops; i++) {
		if (a.nbuf > 0 && i != bad) {
			/* requests wait: entropy for some or all of them */
			if (bytes_give(&s, &a, TRACE_INPUT_ENTROPY, 1 + (uint32_t)rnd(&s, 600), cause) < 0)
				return -1;
			(void)take(&s, 0, bytes_deliver(&a), NULL);
			continue;
		}
		if (a.nbuf == 0) {
			if (rnd(&s, 2) && bytes_give(&s, &a, TRACE_INPUT_ENTROPY, (uint32_t)rnd(&s, 1024), cause) < 0)
				return -1;
			for (unsigned k = 1 + (unsigned)rnd(&s, 4); k > 0 && a.nbuf < RNG_MAX_BUFS; k--) {
				struct guest_buf in = { .len = 1 + (uint32_t)rnd(&s, rnd(&s, 2) ? 64 : 512) };

				if (!add(&s, 0, NULL, 0, &in, 1))
					break;
				a.buf[a.nbuf++] = in.len;
			}
		}
		record_mark(rec, "sweep: %u rng requests, %u entropy bytes given", a.nbuf, a.bytes);
		if (i == bad) {
			rng_bad_head(&s);
			return 0;
		}
		guest_kick(s.g, 0);
		(void)take(&s, 0, bytes_deliver(&a), NULL);
	}
	return 0;
}

/* ---- virtio-serial with MULTIPORT (QEMU's virtio-serial-pci with several ports) ---- */

#define SER_FEW_PORTS	6u		/* the sweep's small devices: 2 + 2 * 6 queues at most */
#define SER_MAX_PORTS	31u		/* QEMU's default device: 2 + 2 * 31 queues */
#define SER_CTRL_RX	2u
#define SER_CTRL_TX	3u
#define SER_MAX_CTRL	24u		/* ctrl-rx buffers the guest keeps posted at most (QEMU's queue: 32) */
#define SER_QEMU_VECTORS 2u		/* virtio-serial-pci's MSI-X table unless told otherwise */

/* Control events (virtio 1.x 5.3.6.2). */
enum { SER_DEVICE_READY, SER_PORT_ADD, SER_PORT_REMOVE, SER_PORT_READY, SER_CONSOLE_PORT, SER_RESIZE,
	SER_PORT_OPEN, SER_PORT_NAME };

/*
 * What the guest knows from the spec and QEMU's documented rules: a port
 * takes typed bytes once the guest opened it (with MULTIPORT by PORT_OPEN;
 * without, port 0 at DRIVER_OK), control messages go into posted ctrl-rx
 * buffers or nowhere, every port of the device is open on the host side.
 */
struct ser {
	struct dsw s;
	unsigned nports;
	bool mp;
	bool dok;			/* DRIVER_OK is set */
	bool open[SER_MAX_PORTS];
	struct bytesacct rx[SER_MAX_PORTS];
	unsigned ctrl_bufs;
};

static unsigned ser_rxq(unsigned p)
{
	return p == 0 ? 0 : 2 + 2 * p;
}

/*
 * The header: MULTIPORT offered with 2..6 ports, or QEMU's default device
 * (31 ports) one time in four (max_nr_ports in the device config, 2 + 2 per
 * port queues of QEMU's sizes); the MSI-X table of QEMU's default (2
 * vectors, so the guest shares one between the queues) or, with few ports,
 * a vector per queue.
 */
void sweep_serial_prepare(struct record *rec, struct trace_header *h)
{
	/* One draw as before the default device was added: a seed's small device stays the same. */
	uint64_t r = record_rand(rec);
	bool dflt = r / (SER_FEW_PORTS - 1) % 4 == 0;
	unsigned n = dflt ? SER_MAX_PORTS : 2 + (unsigned)(r % (SER_FEW_PORTS - 1));
	bool per_queue = record_rand(rec) % 2;

	h->features |= 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
	h->nqueues = (uint16_t)(2 + 2 * n);
	for (unsigned i = 0; i < h->nqueues; i++)
		h->queue_max[i] = i == SER_CTRL_RX || i == SER_CTRL_TX ? 32 : 128;
	if (h->devcfg_len >= 8)
		le32_store(h->devcfg + 4, n);
	h->msix_vectors = per_queue && !dflt ? (uint16_t)(h->nqueues + 1) : SER_QEMU_VECTORS;
	h->has |= TRACE_HAS_MSIX;
}

/* Control messages in one notify (some hostile); how many messages the device answers them with. */
static unsigned ser_ctrl(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)rnd(s, 3), added = 0, due = 0;
	char what[96];
	size_t wl = 0;

	what[0] = '\0';
	for (unsigned i = 0; i < k; i++) {
		uint8_t m[24];
		struct guest_buf out[2], in = { .len = 8 };
		unsigned nout = 1, nin = 0;
		uint32_t len = 8, id = (uint32_t)rnd(s, x->nports);
		uint16_t ev, val = 1;

		switch (rnd(s, 10)) {
		case 0: ev = SER_DEVICE_READY; val = rnd(s, 4) ? 1 : 0; break;
		case 1: case 2: ev = SER_PORT_READY; val = rnd(s, 6) ? 1 : 0; break;
		case 3: case 4: case 5: ev = SER_PORT_OPEN; val = (uint16_t)rnd(s, 3); break;
		case 6:	/* a port the device does not have */
			ev = rnd(s, 2) ? SER_PORT_READY : SER_PORT_OPEN;
			id = rnd(s, 2) ? x->nports + (uint32_t)rnd(s, 40) : 0xffffffffu;
			break;
		case 7:	/* an event only the device sends, or none at all */
			ev = (uint16_t)(rnd(s, 2) ? SER_PORT_ADD + rnd(s, 8) : 8 + rnd(s, 0xfff8));
			break;
		case 8:	/* short */
			ev = SER_PORT_READY;
			len = (uint32_t)rnd(s, 8);
			break;
		default:	/* longer than a message, split over two buffers, maybe an IN buffer too */
			ev = rnd(s, 2) ? SER_PORT_READY : SER_PORT_OPEN;
			len = 8 + (uint32_t)rnd(s, 16);
			nin = (unsigned)rnd(s, 2);
			break;
		}
		fill(s, m, sizeof m);
		le32_store(m, id);
		le16_store(m + 4, ev);
		le16_store(m + 6, val);
		memset(out, 0, sizeof out);
		out[0].data = m;
		out[0].len = len;
		if (len > 1 && rnd(s, 3) == 0) {
			out[0].len = 1 + (uint32_t)rnd(s, len - 1);
			out[1].data = m + out[0].len;
			out[1].len = len - out[0].len;
			nout = 2;
		}
		if (len == 0) {
			nout = 0;
			nin = 1;
		}
		if (!add(s, SER_CTRL_TX, out, nout, &in, nin))
			break;
		added++;
		if (wl < sizeof what - 24)
			wl += (size_t)snprintf(what + wl, sizeof what - wl, " %u:%u/%u/%u", len, id, ev, val);
		if (len < 8)
			continue;
		/* QEMU's handle_control_message, from the guest's side. */
		if (ev == SER_DEVICE_READY && val)
			due += x->nports;
		else if (ev == SER_PORT_READY && val && id < x->nports)
			due += (id == 0) + 1;		/* CONSOLE_PORT for the virtconsole, PORT_OPEN: host side open */
		else if (ev == SER_PORT_OPEN && id < x->nports)
			x->open[id] = val != 0;
	}
	record_mark(s->rec, "sweep: %u control messages (len:id/event/value)%s", added, what);
	if (added == 0)
		return 0;
	guest_kick(s->g, SER_CTRL_TX);
	due = due < x->ctrl_bufs ? due : x->ctrl_bufs;
	x->ctrl_bufs -= due;
	(void)take(s, SER_CTRL_RX, due, NULL);
	(void)take(s, SER_CTRL_TX, added, NULL);
	/* Bytes that waited for a port the guest opened now reach its buffers (not before DRIVER_OK). */
	for (unsigned p = 0; p < x->nports && x->dok; p++)
		if (x->open[p])
			(void)take(s, ser_rxq(p), bytes_deliver(&x->rx[p]), NULL);
	return added;
}

static void ser_ctrl_post(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)rnd(s, 4), added = 0;

	for (unsigned i = 0; i < k && x->ctrl_bufs < SER_MAX_CTRL; i++) {
		/* Mostly a message's 8 bytes; sometimes shorter (QEMU still publishes 8) or longer. */
		struct guest_buf in = { .len = rnd(s, 4) ? 8 : 1 + (uint32_t)rnd(s, 24) };

		if (!add(s, SER_CTRL_RX, NULL, 0, &in, 1))
			break;
		x->ctrl_bufs++;
		added++;
	}
	record_mark(s->rec, "sweep: %u ctrl-rx buffers posted, %u now", added, x->ctrl_bufs);
	if (added > 0)
		guest_kick(s->g, SER_CTRL_RX);
}

static void ser_tx(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)rnd(s, x->nports), k = 1 + (unsigned)rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t text[200];
		struct guest_buf out = { .data = text, .len = 1 + (uint32_t)rnd(s, sizeof text) };

		fill(s, text, out.len);
		if (!add(s, ser_rxq(p) + 1, &out, 1, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u writes on port %u", added, p);
	guest_kick(s->g, ser_rxq(p) + 1);
	(void)take(s, ser_rxq(p) + 1, added, NULL);
}

static void ser_post(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)rnd(s, x->nports), k = 1 + (unsigned)rnd(s, 3);
	struct bytesacct *a = &x->rx[p];

	for (unsigned i = 0; i < k && a->nbuf < CON_MAX_BUFS; i++) {
		struct guest_buf in = { .len = 1 + (uint32_t)rnd(s, 96) };

		if (!add(s, ser_rxq(p), NULL, 0, &in, 1))
			break;
		a->buf[a->nbuf++] = in.len;
	}
	record_mark(s->rec, "sweep: port %u rx buffers posted, %u now", p, a->nbuf);
	guest_kick(s->g, ser_rxq(p));
	if (x->open[p] && x->dok)
		(void)take(s, ser_rxq(p), bytes_deliver(a), NULL);
}

/*
 * Typed bytes never outnumber the room posted (see con_type), and go only
 * to a port that keeps them whole: one the guest opened (they arrive now),
 * or with MULTIPORT one it did not (they wait for PORT_OPEN). Without
 * MULTIPORT QEMU reads bytes for an unopened port and drops them, in its
 * own time: that race stays out of the sweep.
 */
static int ser_type(struct ser *x, char **cause)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)rnd(s, x->nports);
	struct bytesacct *a = &x->rx[p];
	uint32_t room = 0;
	uint8_t d[300];
	uint32_t len;

	for (unsigned i = 0; i < a->nbuf; i++)
		room += a->buf[i];
	if (room <= a->bytes || (!x->mp && !x->open[p]))
		return 0;
	room -= a->bytes;
	len = 1 + (uint32_t)rnd(s, room < sizeof d ? room : sizeof d);
	fill(s, d, len);
	if (record_input(s->rec, TRACE_INPUT_CONSOLE, p, d, len, cause) < 0)
		return -1;
	a->bytes += len;
	if (x->open[p] && x->dok)
		(void)take(s, ser_rxq(p), bytes_deliver(a), NULL);
	return 0;
}

/*
 * Status writes, 1 to 3 in a row, FEATURES_OK and what comes before it
 * kept: DRIVER_OK written again, taken away or given back. QEMU's
 * set_status sees every one: without DRIVER_OK every port closes (its
 * guest_reset) and no typed byte moves (virtio_serial_guest_ready); with it
 * port 0 of a guest without MULTIPORT is open again, even one the guest
 * closed with PORT_OPEN 0. Bytes waiting for an open port arrive when
 * DRIVER_OK comes back. Control messages and kicks work either way.
 */
static void ser_status(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)rnd(s, 3);
	char what[32];
	size_t wl = 0;

	what[0] = '\0';
	for (unsigned i = 0; i < k; i++) {
		bool ok = rnd(s, 2), was = x->dok;
		uint8_t v = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		    (ok ? VIRTIO_STATUS_DRIVER_OK : 0);

		guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, v);
		wl += (size_t)snprintf(what + wl, sizeof what - wl, " 0x%02x", v);
		x->dok = ok;
		for (unsigned p = 0; p < x->nports && !ok; p++)
			x->open[p] = false;
		if (ok && !x->mp)
			x->open[0] = true;
		for (unsigned p = 0; p < x->nports && ok && !was; p++)
			if (x->open[p])
				(void)take(s, ser_rxq(p), bytes_deliver(&x->rx[p]), NULL);
	}
	record_mark(s->rec, "sweep: status written%s", what);
}

/*
 * A device reset, then the bring-up again with the same features; between
 * the queues and DRIVER_OK the guest may already post ctrl-rx buffers and
 * send control messages (QEMU handles a kick whatever the status). Typed
 * bytes a port has not taken stay waiting; every port is closed again.
 */
static int ser_reset(struct ser *x, char **cause)
{
	struct dsw *s = &x->s;
	unsigned early = (unsigned)rnd(s, 3);

	record_mark(s->rec, "sweep: reset, %u control rounds before DRIVER_OK", early);
	guest_reset(s->g);
	x->ctrl_bufs = 0;
	for (unsigned p = 0; p < x->nports; p++) {
		x->rx[p].nbuf = 0;
		x->open[p] = false;
	}
	if (guest_negotiate(s->g, s->feat, cause) < 0 || guest_setup_queues(s->g, cause) < 0)
		return -1;
	for (unsigned i = 0; i < early; i++) {
		ser_ctrl_post(x);
		(void)ser_ctrl(x);
	}
	guest_driver_ok(s->g);
	x->dok = true;
	if (!x->mp)
		x->open[0] = true;	/* QEMU's set_status: DRIVER_OK opens port 0 of a one-port guest */
	return 0;
}

int sweep_sc_serial(struct record *rec, char **cause)
{
	struct ser x;
	const struct trace_header *h = record_header(rec);
	unsigned ops;

	memset(&x, 0, sizeof x);
	if (dsw_begin(&x.s, rec, 1ull << VIRTIO_CONSOLE_F_MULTIPORT, NULL, cause) < 0)
		return -1;
	x.mp = has(&x.s, VIRTIO_CONSOLE_F_MULTIPORT);
	x.nports = 1;
	if ((h->features >> VIRTIO_CONSOLE_F_MULTIPORT) & 1 && h->devcfg_len >= 8)
		x.nports = le32_load(h->devcfg + 4);
	if (x.nports < 1 || x.nports > SER_MAX_PORTS || guest_num_queues(x.s.g) != 2 + 2 * x.nports)
		return cause_set(cause, "sweep-serial: %u ports, %u queues (2 + 2 per port, at most %u ports)", x.nports,
		    guest_num_queues(x.s.g), SER_MAX_PORTS);
	x.open[0] = !x.mp;
	x.dok = true;
	ops = 10 + (unsigned)rnd(&x.s, 20);
	for (unsigned i = 0; i < ops; i++) {
		switch (rnd(&x.s, 9)) {
		case 8:
			if (!rnd(&x.s, 2))
				ser_status(&x);
			else if (ser_reset(&x, cause) < 0)
				return -1;
			break;
		case 0:
			ser_ctrl_post(&x);
			break;
		case 1: case 2:
			(void)ser_ctrl(&x);
			break;
		case 3:
			ser_tx(&x);
			break;
		case 4: case 5:
			ser_post(&x);
			break;
		default:
			if (ser_type(&x, cause) < 0)
				return -1;
			break;
		}
	}
	return 0;
}
