/* sweep-net.c -- the net device sweep: seeded traffic, receive filter and control queue, recorded on QEMU */
#include <string.h>

#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"

#include "sweep-dev-int.h"

#define NET_HDR		12u		/* with VERSION_1 or MRG_RXBUF; a legacy header without MRG_RXBUF has 10 */
#define NET_F_MRG_RXBUF	15
#define NET_F_CTRL_VQ	17
#define NET_F_CTRL_VLAN	19
#define NET_CTRL_ONLY	((1ull << 2) | (0x5full << 18))	/* CTRL_GUEST_OFFLOADS, CTRL_RX..CTRL_MAC_ADDR but MQ */
#define NET_RXQ		0u
#define NET_TXQ		1u
#define NET_CTRLQ	2u
#define NET_MAX_BUFS	256u
#define NET_MAX_FRAMES	32u
#define NET_MACS	64u

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
	bool spoiled;			/* an end left rx buffers the account does not follow */
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
	return dsw_has(s, VIRTIO_F_VERSION_1) || dsw_has(s, NET_F_MRG_RXBUF) ? NET_HDR : NET_HDR - 2;
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
	bool mrg = dsw_has(s, NET_F_MRG_RXBUF);
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
	unsigned k = 1 + (unsigned)dsw_rnd(s, 4);

	for (unsigned i = 0; i < k && a->nbuf < NET_MAX_BUFS; i++) {
		uint32_t len = sizes[dsw_rnd(s, sizeof sizes / sizeof sizes[0])];
		struct guest_buf in[2];
		unsigned nin = 1;

		memset(in, 0, sizeof(in));
		in[0].len = len;
		if (dsw_rnd(s, 3) == 0) {		/* header apart, as old drivers post it */
			in[0].len = net_hdr(s);
			in[1].len = len - net_hdr(s);
			nin = 2;
		}
		if (!dsw_add(s, NET_RXQ, NULL, 0, in, nin))
			break;
		a->buf[a->nbuf++] = len;
	}
	record_mark(s->rec, "sweep: rx buffers posted, %u now", a->nbuf);
	if (guest_kick(s->g, NET_RXQ))
		(void)dsw_take(s, NET_RXQ, net_deliver(s, a), NULL);
}

static void net_dest(struct dsw *s, const struct netacct *a, uint8_t *d)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x99, 0x88, 0x77 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

	switch (dsw_rnd(s, 6)) {
	case 0: memcpy(d, other, 6); break;
	case 1: memcpy(d, bcast, 6); break;
	case 2: memcpy(d, mcast, 6); break;
	case 3:
		if (a->in_use > 0) {
			memcpy(d, a->table[dsw_rnd(s, a->in_use)], 6);
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
	uint32_t len = 60 + (uint32_t)dsw_rnd(s, sizeof f - 59);
	bool queued = a->nframe > 0;

	if (a->nframe == NET_MAX_FRAMES)
		return 0;
	net_dest(s, a, f);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	dsw_fill(s, f + 14, len - 14);
	if (record_input(s->rec, TRACE_INPUT_FRAME, 0, f, len, cause) < 0)
		return -1;
	memcpy(a->dst[a->nframe], f, 6);
	a->flen[a->nframe++] = len;
	/* Behind a waiting frame the new one waits too (QEMU stops reading its backend). */
	if (!queued)
		(void)dsw_take(s, NET_RXQ, net_deliver(s, a), NULL);
	return 0;
}

static void net_tx(struct dsw *s)
{
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t pkt[NET_HDR + 1514];
		uint32_t len = dsw_rnd(s, 4) == 0 ? (uint32_t)dsw_rnd(s, 15) : 14 + (uint32_t)dsw_rnd(s, 1501), hl = net_hdr(s);
		struct guest_buf out[2];
		unsigned nout = 1;

		memset(pkt, 0, hl);
		dsw_fill(s, pkt + hl, len);
		memset(out, 0, sizeof(out));
		out[0].data = pkt;
		out[0].len = hl + len;
		/* (no header shorter than its 12 or 10 bytes: QEMU 7.2 aborts on it, an assertion in iov_copy) */
		if (len > 0 && dsw_rnd(s, 2)) {
			out[0].len = hl;
			out[1].data = pkt + hl;
			out[1].len = len;
			nout = 2;
		}
		if (!dsw_add(s, NET_TXQ, out, nout, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u tx frames", added);
	guest_kick(s->g, NET_TXQ);
	(void)dsw_take(s, NET_TXQ, added, NULL);
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
	uint32_t uni = counts[dsw_rnd(s, 4)], multi = counts[dsw_rnd(s, sizeof counts / sizeof counts[0])];
	uint32_t off = 0;

	if (dsw_rnd(s, 6) == 0)
		uni = counts[4 + dsw_rnd(s, 2)];
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
	if (dsw_rnd(s, 5) == 0)
		c->len = off - 1 - (uint32_t)dsw_rnd(s, 3);	/* short by a byte or more */
	else if (dsw_rnd(s, 8) == 0)
		c->data[c->len++] = 0;			/* one byte too many */
}

static void net_cmd(struct dsw *s, struct netcmd *c)
{
	memset(c, 0, sizeof(*c));
	c->cls = (uint8_t)dsw_rnd(s, 7);
	switch (c->cls) {
	case 0:				/* RX */
		c->cmd = (uint8_t)dsw_rnd(s, 7);
		c->data[0] = dsw_rnd(s, 4) == 0 ? 0x80 : (uint8_t)dsw_rnd(s, 2);
		c->len = dsw_rnd(s, 8) == 0 ? (uint32_t)dsw_rnd(s, 3) * 2 : 1;
		break;
	case 1:				/* MAC */
		c->cmd = (uint8_t)dsw_rnd(s, 5) == 0 ? 2 : (uint8_t)dsw_rnd(s, 2);
		if (c->cmd == 0) {
			net_mac_table(s, c);
		} else {
			static const uint8_t m[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };

			memcpy(c->data, m, 6);
			c->len = dsw_rnd(s, 5) == 0 ? 5 + 2 * (uint32_t)dsw_rnd(s, 2) : 6;
		}
		break;
	case 2:				/* VLAN */
		c->cmd = (uint8_t)dsw_rnd(s, 3);
		le16_store(c->data, (uint16_t)(dsw_rnd(s, 5) == 0 ? 4096 + dsw_rnd(s, 60000) : dsw_rnd(s, 4096)));
		c->len = dsw_rnd(s, 8) == 0 ? 1 : 2;
		break;
	case 3:				/* ANNOUNCE */
		c->cmd = (uint8_t)dsw_rnd(s, 2);
		break;
	case 4:				/* MQ: VQ_PAIRS_SET, RSS_CONFIG, HASH_CONFIG */
		c->cmd = (uint8_t)dsw_rnd(s, 3);
		if (c->cmd == 0) {
			le16_store(c->data, (uint16_t)dsw_rnd(s, 3));
			c->len = 2;
		} else {
			/* hash types, table mask 0, unclassified queue, one table entry, pairs 1, no key */
			le32_store(c->data, dsw_rnd(s, 2) ? 0 : 1);
			le16_store(c->data + 8, 0);
			le16_store(c->data + 10, 1);
			c->len = (uint32_t)dsw_rnd(s, 2);
			c->len = 13 - c->len * (uint32_t)dsw_rnd(s, 13);
		}
		break;
	case 5:				/* GUEST_OFFLOADS SET */
		c->cmd = (uint8_t)dsw_rnd(s, 2);
		c->len = 8;
		break;
	default:
		c->cls = (uint8_t)(6 + dsw_rnd(s, 250));
		c->cmd = (uint8_t)dsw_rnd(s, 256);
		c->len = (uint32_t)dsw_rnd(s, 4);
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
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3), added = 0;
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
		if (cmd[added].len > 0 && dsw_rnd(s, 2)) {
			out[0].len = 2;
			out[1].data = hdr + 2;
			out[1].len = cmd[added].len;
			nout = 2;
		}
		if (!dsw_add(s, NET_CTRLQ, out, nout, &in, 1))
			break;
		record_mark(s->rec, "sweep: ctrl class %u cmd %u, %u bytes", cmd[added].cls, cmd[added].cmd,
		    cmd[added].len);
		added++;
	}
	guest_kick(s->g, NET_CTRLQ);
	/* Completions come in order: each acked one changes the filter before the next frame. */
	for (unsigned i = 0; i < added; i++) {
		uint8_t st = 0xff;

		if (dsw_take(s, NET_CTRLQ, 1, &st) == 1 && st == 0)
			net_acked(a, &cmd[i]);
	}
}

/*
 * The frame a sweep ending gives: to the guest's MAC, seeded bytes; the
 * one completion it may make is taken, then the device status read.
 */
static int net_end_frame(struct dsw *s, const struct netacct *a, uint8_t *f, uint32_t len, char **cause)
{
	memcpy(f, a->mac, 6);
	memset(f + 6, 0x52, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	dsw_fill(s, f + 14, len - 14);
	if (record_input(s->rec, TRACE_INPUT_FRAME, 0, f, len, cause) < 0)
		return -1;
	(void)dsw_take(s, NET_RXQ, 1, NULL);
	(void)guest_status(s->g);
	return 0;
}

/*
 * The end, now and then under MRG_RXBUF with no frame waiting: a chain
 * holding a zero-length buffer beside a 64-byte one, then a frame the
 * posted buffers cannot hold. QEMU's virtio_net_has_buffers counts
 * descriptor lengths (virtqueue_avail_bytes: the empty one adds 0), finds
 * too few and lets the frame wait, notifications on; only a pop of that
 * chain would break the device ("zero sized buffers are not allowed").
 * Returns 1 if it ran, 0 if it does not fit what the guest holds.
 */
static int net_zero_len_end(struct dsw *s, struct netacct *a, char **cause)
{
	struct guest_buf in[2];
	uint32_t posted = 0, len;
	uint8_t f[1514];
	bool first = dsw_rnd(s, 2) == 0;

	for (unsigned i = 0; i < a->nbuf; i++)
		posted += a->buf[i];
	if (!dsw_has(s, NET_F_MRG_RXBUF) || a->nframe > 0 || posted + 64 + 1 > sizeof f + NET_HDR)
		return 0;
	len = posted + 64 + 1 - NET_HDR + (uint32_t)dsw_rnd(s, sizeof f + NET_HDR - posted - 64);
	if (len < 60)
		len = 60;
	memset(in, 0, sizeof in);
	in[first ? 0 : 1].len = 0;
	in[first ? 1 : 0].len = 64;
	record_mark(s->rec, "sweep: a zero-length rx buffer %s a 64-byte one, then a %u-byte frame (%u bytes posted)",
	    first ? "before" : "after", len, posted);
	if (!dsw_add(s, NET_RXQ, NULL, 0, in, 2))
		return 1;
	(void)guest_kick(s->g, NET_RXQ);
	if (net_end_frame(s, a, f, len, cause) < 0)
		return -1;
	/* it waits: the account says so to what comes after */
	memcpy(a->dst[a->nframe], a->mac, 6);
	a->flen[a->nframe++] = len;
	return 1;
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
	if (!dsw_add(s, NET_RXQ, NULL, 0, &in, 1))
		return 0;
	a->buf[a->nbuf++] = in.len;
	(void)guest_kick(s->g, NET_RXQ);
	if (net_frame(s, a, cause) < 0)
		return -1;
	net_tx(s);
	return 0;
}

/*
 * The end, now and then under MRG_RXBUF with no frame waiting: a 64-byte rx
 * buffer, then a chain the pop refuses (a zero-length buffer before 2048
 * bytes, or only device-readable bytes before a 2048-byte chain), then a
 * frame that needs the buffers posted, the 64 bytes and some of the 2048.
 * QEMU's virtio_net_has_buffers counts enough (the empty buffer adds 0),
 * its virtio_net_receive_rcu pops the good buffers, fails on the bad chain
 * (the device breaks) and detaches what it popped: no used element. The
 * guest reads the used ring past used idx, where a used element written
 * ahead would show.
 */
static int net_mrg_fail_end(struct dsw *s, struct netacct *a, char **cause)
{
	struct guest_buf in[2], out = { .len = 16 };
	const struct guest_port *port = record_port(s->rec);
	uint32_t posted = 64, len;
	uint64_t used = guest_used_addr(s->g, NET_RXQ);
	static uint8_t f[16384];
	uint16_t size = guest_queue_size(s->g, NET_RXQ);
	uint8_t ring[8 * 4], idx[2];
	bool empty = dsw_rnd(s, 2) == 0;

	for (unsigned i = 0; i < a->nbuf; i++)
		posted += a->buf[i];
	if (!dsw_has(s, NET_F_MRG_RXBUF) || a->nframe > 0 || posted + 2048 > sizeof f + NET_HDR ||
	    !(guest_status(s->g) & VIRTIO_STATUS_DRIVER_OK))
		return 0;
	len = posted + 1 - NET_HDR + (uint32_t)dsw_rnd(s, 2048);
	if (len < 60)
		len = 60;
	record_mark(s->rec, "sweep: a 64-byte rx buffer, %s, then a %u-byte frame (%u bytes posted with the 64)",
	    empty ? "a chain with a zero-length buffer before 2048 bytes" :
	    "a chain of device-readable bytes, a 2048-byte one", len, posted);
	memset(in, 0, sizeof in);
	in[0].len = 64;
	if (!dsw_add(s, NET_RXQ, NULL, 0, in, 1))
		return 0;
	a->spoiled = true;
	in[0].len = empty ? 0 : 2048;
	in[1].len = 2048;
	if (!(empty ? dsw_add(s, NET_RXQ, NULL, 0, in, 2) : dsw_add(s, NET_RXQ, &out, 1, NULL, 0) &&
	    dsw_add(s, NET_RXQ, NULL, 0, in, 1)))
		return 0;
	(void)guest_kick(s->g, NET_RXQ);
	if (net_end_frame(s, a, f, len, cause) < 0)
		return -1;
	/* used idx, then the four elements from its slot on (a ring of 8 or more) */
	if (port->mem_read(port->opaque, used + 2, idx, 2) == 0)
		(void)port->mem_read(port->opaque, used + 4 + 8u * (le16_load(idx) % size), ring,
		    8u * (size - le16_load(idx) % size < 4 ? size - le16_load(idx) % size : 4));
	return 0;
}

/*
 * The end, now and then under MRG_RXBUF with the device running: the
 * frames waiting placed (2048-byte buffers) and the buffers posted filled
 * by a frame of their size, then a first rx chain of 12 to 22 bytes (the
 * header and a few frame bytes, now and then in two pieces split anywhere,
 * num_buffers too), a 2048-byte buffer and a frame that needs both. A first
 * chain shorter than the header is not drawn: QEMU 7.2 aborts on it (an
 * assertion in iov_copy below 10 bytes, in iov_from_buf_full at 10 or 11).
 */
static int net_small_first_end(struct dsw *s, struct netacct *a, char **cause)
{
	static const uint32_t lens[] = { 12, 12, 13, 14, 16, 22 };
	static uint8_t f[NET_MAX_BUFS * 2048];
	struct guest_buf in[2];
	uint32_t posted = 0, first = lens[dsw_rnd(s, sizeof lens / sizeof lens[0])], len;
	bool split = dsw_rnd(s, 2) == 0;

	memset(in, 0, sizeof in);
	if (!dsw_has(s, NET_F_MRG_RXBUF) || a->spoiled || !net_pass(a, a->mac) ||
	    (guest_status(s->g) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_DRIVER_OK)) != VIRTIO_STATUS_DRIVER_OK)
		return 0;
	/* frames waiting: 2048-byte buffers until they are placed */
	while (a->nframe > 0) {
		in[0].len = 2048;
		if (a->nbuf == NET_MAX_BUFS || !dsw_add(s, NET_RXQ, NULL, 0, in, 1))
			return 0;
		a->buf[a->nbuf++] = 2048;
		record_mark(s->rec, "sweep: a 2048-byte rx buffer for the frames waiting");
		if (guest_kick(s->g, NET_RXQ))
			(void)dsw_take(s, NET_RXQ, net_deliver(s, a), NULL);
	}
	for (unsigned i = 0; i < a->nbuf; i++)
		posted += a->buf[i];
	if (posted > 0 && (posted < NET_HDR + 14 || posted - NET_HDR > 65535))
		return 0;
	if (posted > 0) {
		record_mark(s->rec, "sweep: a %u-byte frame fills the %u buffers posted", posted - NET_HDR, a->nbuf);
		if (net_end_frame(s, a, f, posted - NET_HDR, cause) < 0)
			return -1;
		(void)dsw_take(s, NET_RXQ, a->nbuf - 1, NULL);
		a->nbuf = 0;
	}
	len = 60 + (uint32_t)dsw_rnd(s, 1400);
	record_mark(s->rec, "sweep: a %u-byte first rx buffer%s, a 2048-byte one, then a %u-byte frame", first,
	    split ? " in two pieces" : "", len);
	in[0].len = split ? 1 + (uint32_t)dsw_rnd(s, first - 1) : first;
	in[1].len = first - in[0].len;
	if (!dsw_add(s, NET_RXQ, NULL, 0, in, split ? 2 : 1))
		return 0;
	in[0].len = 2048;
	if (!dsw_add(s, NET_RXQ, NULL, 0, in, 1))
		return 0;
	(void)guest_kick(s->g, NET_RXQ);
	if (net_end_frame(s, a, f, len, cause) < 0)
		return -1;
	(void)dsw_take(s, NET_RXQ, 1, NULL);
	(void)guest_status(s->g);
	return 0;
}

/* One control command, taken at once; returns its status (0xff if none came). */
static uint8_t net_ctrl_one(struct dsw *s, uint8_t cls, uint8_t cmd, const uint8_t *data, uint32_t len)
{
	uint8_t hdr[2 + 8], st = 0xff;
	struct guest_buf out = { .len = 2 + len, .data = hdr }, in = { .len = 1 };

	hdr[0] = cls;
	hdr[1] = cmd;
	memcpy(hdr + 2, data, len);
	record_mark(s->rec, "sweep: ctrl class %u cmd %u, %u bytes", cls, cmd, len);
	if (!dsw_add(s, NET_CTRLQ, &out, 1, &in, 1))
		return st;
	guest_kick(s->g, NET_CTRLQ);
	(void)dsw_take(s, NET_CTRLQ, 1, &st);
	return st;
}

/* A frame to the guest's MAC tagged with VLAN vid; the completion it may make is taken. */
static int net_vlan_frame(struct dsw *s, const struct netacct *a, uint16_t vid, char **cause)
{
	uint8_t f[128];
	uint32_t len = 64 + (uint32_t)dsw_rnd(s, sizeof f - 63);

	memcpy(f, a->mac, 6);
	memset(f + 6, 0x52, 6);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(vid >> 8);
	f[15] = (uint8_t)vid;
	f[16] = 0x88;
	f[17] = 0xb5;
	dsw_fill(s, f + 18, len - 18);
	record_mark(s->rec, "sweep: a %u-byte frame tagged with VLAN %u", len, vid);
	if (record_input(s->rec, TRACE_INPUT_FRAME, 0, f, len, cause) < 0)
		return -1;
	(void)dsw_take(s, NET_RXQ, 1, NULL);
	return 0;
}

/*
 * The end, now and then (drawn after every other draw, so what came before
 * stays), for a modern driver with the control queue, no frame waiting and
 * the device running: rx buffers, promiscuous mode off, VLAN_ADD and a
 * frame tagged with that VLAN; then FEATURES_OK and DRIVER_OK taken away by
 * a status write (no reset), the features written again with CTRL_VLAN or
 * without it, FEATURES_OK and DRIVER_OK again, a frame tagged with the
 * VLAN, VLAN_ADD of another and a frame tagged with that one. QEMU 7.2's
 * virtio_net_set_features empties the VLAN table on every feature write
 * with CTRL_VLAN and fills it without; its filter reads the table whatever
 * was negotiated.
 */
static int net_vlan_end(struct dsw *s, struct netacct *a, char **cause)
{
	static const uint16_t vids[] = { 0, 1, 5, 100, 4095 };
	uint16_t vid = vids[dsw_rnd(s, 5)], vid2 = (uint16_t)((vid + 1 + dsw_rnd(s, 4094)) % 4096);
	uint64_t f = s->feat;
	bool keep = dsw_rnd(s, 2) != 0;
	uint8_t b[2], off = 0;
	struct guest_buf in = { .len = 2048 };

	if (record_legacy_driver(s->rec) || !dsw_has(s, NET_F_CTRL_VQ) || a->nframe > 0 ||
	    (guest_status(s->g) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_DRIVER_OK)) != VIRTIO_STATUS_DRIVER_OK)
		return 0;
	for (unsigned i = 0; i < 4; i++) {
		if (!dsw_add(s, NET_RXQ, NULL, 0, &in, 1))
			break;
		a->buf[a->nbuf++] = in.len;
	}
	(void)guest_kick(s->g, NET_RXQ);
	if (net_ctrl_one(s, 0, 0, &off, 1) == 0)
		a->promisc = false;
	le16_store(b, vid);
	(void)net_ctrl_one(s, 2, 0, b, 2);
	if (net_vlan_frame(s, a, vid, cause) < 0)
		return -1;
	if (!keep)
		f &= ~(1ull << NET_F_CTRL_VLAN);
	record_mark(s->rec, "sweep: status 0x03, features 0x%llx written again (CTRL_VLAN %s)", (unsigned long long)f,
	    keep ? "kept" : "left out");
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(f >> 32));
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
	    VIRTIO_STATUS_FEATURES_OK);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER |
	    VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	if (net_vlan_frame(s, a, vid, cause) < 0)
		return -1;
	le16_store(b, vid2);
	(void)net_ctrl_one(s, 2, 0, b, 2);
	if (net_vlan_frame(s, a, vid2, cause) < 0 || net_vlan_frame(s, a, vid, cause) < 0)
		return -1;
	(void)guest_status(s->g);
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
	ops = 8 + (unsigned)dsw_rnd(&s, 16);
	for (unsigned i = 0; i < ops; i++) {
		switch (dsw_rnd(&s, 10)) {
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
			if (dsw_has(&s, NET_F_CTRL_VQ))
				net_ctrl(&s, &a);
			break;
		}
	}
	/* one of the ends below, or none; where the zero-length one does not fit, the failing frame may */
	if (dsw_rnd(&s, 2) == 0) {
		int rc = net_zero_len_end(&s, &a, cause);

		if (rc == 0)
			rc = net_mrg_fail_end(&s, &a, cause);
		else if (rc > 0)
			rc = 0;
		if (rc < 0)
			return -1;
	} else if ((dsw_rnd(&s, 3) == 0 ? net_reset_end(&s, &a, cause) : net_mrg_fail_end(&s, &a, cause)) < 0) {
		return -1;
	}
	/* then now and then the VLAN table across a feature write, or else a small first buffer (drawn last) */
	if (dsw_rnd(&s, 3) == 0)
		return net_vlan_end(&s, &a, cause);
	if (dsw_rnd(&s, 2) == 0)
		return net_small_first_end(&s, &a, cause);
	return 0;
}
