/* sweep-mq.c -- the multiqueue sweep: seeded queue counts on blk, scsi and net, requests spread over the queues */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep-mq.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/*
 * Nothing here knows the answers. What it knows is when QEMU answers: a
 * batch holds at most one request that QEMU's block layer finishes after
 * the notify (their completion order across several is QEMU's business),
 * and the guest waits for every completion before the next batch, so the
 * queue that interrupts is never a matter of timing.
 */

#define MQ_NONE		0xffu		/* no multiqueue feature bit (scsi: num_queues is always there) */
#define MQ_MAX_UNITS	8u		/* request queues (net: pairs) the sweep gives a device */
#define MQ_BATCH_MAX	4u
#define MQ_SECTORS	2048u		/* the recorder's 1 MiB disk */
#define MQ_NET_HDR	12u
#define MQ_NET_RXBUF	1526u
#define MQ_NET_PAIRS	4u		/* 2 .. 4 pairs mostly, now and then 1 */
#define MQ_NET_POST	2u		/* rx buffers posted on a pair at a time */
#define MQ_SCSI_REQ	51u
#define MQ_SCSI_RESP	108u
#define MQ_DATA		4096u

/*
 * Queues of a device with n request queues (units): `before` fixed queues
 * (scsi: control, event), `per` queues a unit (net: rx and tx), `after`
 * fixed ones (net: control). max_units: what the sweep gives a device (net:
 * one pair runs on QEMU's socket backend, more on a multiqueue tap).
 */
static const struct mq_shape {
	uint8_t id;
	uint8_t before, per, after;
	uint8_t max_units;
	uint8_t mq_bit;
	uint8_t cfg_off, cfg_size;	/* the config field that tells the count (net: only with MQ offered) */
} mq_shapes[] = {
	{ VIRTIO_ID_BLOCK, 0, 1, 0, MQ_MAX_UNITS, VIRTIO_BLK_F_MQ, 34, 2 },
	{ VIRTIO_ID_SCSI, 2, 1, 0, MQ_MAX_UNITS, MQ_NONE, 0, 4 },
	{ VIRTIO_ID_NET, 0, 2, 1, MQ_NET_PAIRS, VIRTIO_NET_F_MQ, 8, 2 },
};

struct mq {
	struct record *rec;
	struct guest *g;
	const struct mq_shape *sh;
	uint16_t nq;			/* queues the device says it has */
	uint64_t feat;
	unsigned nreq;
	/* net: pairs in the config, pairs on (as the device acked VQ_PAIRS_SET), per pair rx buffers posted and frames sent while none were */
	unsigned pairs, curr;
	unsigned rx_posted[MQ_MAX_UNITS], pend[MQ_MAX_UNITS];
};

static const struct mq_shape *shape_find(uint8_t id)
{
	for (size_t i = 0; i < sizeof mq_shapes / sizeof mq_shapes[0]; i++)
		if (mq_shapes[i].id == id)
			return &mq_shapes[i];
	return NULL;
}

static uint64_t rnd(struct mq *s, uint64_t n)
{
	return record_below(s->rec, n);
}

void sweep_mq_prepare(struct record *rec, struct trace_header *h)
{
	const struct mq_shape *sh = shape_find(h->device);
	const struct vdev_ops *ops = vdev_find_id(h->device);
	unsigned units;

	if (sh == NULL || ops == NULL)
		return;
	/* mostly several queues; now and then the one QEMU has by default */
	units = sh->max_units > 1 && record_rand(rec) % 6 != 0 ? 2 + (unsigned)(record_rand(rec) % (sh->max_units - 1)) : 1;
	h->nqueues = (uint16_t)(sh->before + sh->per * units + sh->after);
	for (unsigned i = 0; i < h->nqueues; i++)
		h->queue_max[i] = vdev_default_queue_size(ops, h->layout, i, h->nqueues);
	/* what more queues add to the offer (blk: MQ) */
	h->features |= vdev_default_features(ops, h->layout, h->nqueues) & ~vdev_default_features(ops, h->layout, 0);
	/* net: MQ offered with one pair too (QEMU's mq=on on its socket backend) */
	if (sh->mq_bit != MQ_NONE && h->device == VIRTIO_ID_NET)
		h->features |= 1ull << sh->mq_bit;
	/* The config is the model's for this many queues (num_queues, max_virtqueue_pairs); QEMU's replaces it. */
	h->devcfg_len = 0;
	memset(h->devcfg, 0, sizeof h->devcfg);
}

/* Which queues are request queues (a unit's; net: rx or tx). */
static bool is_request(const struct mq *s, unsigned q)
{
	return q >= s->sh->before && q + s->sh->after < s->nq;
}

/* Take n completions of q and read back what the device wrote. Returns how many came. */
static unsigned take(struct mq *s, unsigned q, unsigned n)
{
	unsigned got;

	if (n == 0)
		return 0;
	(void)guest_wait(s->g, q, (uint16_t)n);
	got = guest_drain(s->g, q, n, NULL);
	if (got < n)
		record_mark(s->rec, "sweep-mq: queue %u: %u of %u completions came", q, got, n);
	return got;
}

static int add(struct mq *s, unsigned q, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin, char **cause)
{
	return guest_add(s->g, q, out, nout, in, nin, 0, cause) < 0 ? -1 : 0;
}

/* ---- blk: GET_ID and unknown types answered inside the notify, at most one read, write or flush after it ---- */

static int blk_req(struct mq *s, unsigned q, bool async, char **cause)
{
	static uint8_t data[MQ_DATA];
	uint8_t hdr[16];
	struct guest_buf out[2], in[2];
	unsigned nout = 1, nin = 0;
	uint32_t type, len = 512u * (1 + (uint32_t)rnd(s, 8));
	uint64_t sector = rnd(s, MQ_SECTORS - 8);

	memset(out, 0, sizeof out);
	memset(in, 0, sizeof in);
	if (async) {
		static const uint32_t t[] = { 0, 1, 4 };	/* IN, OUT, FLUSH */

		type = t[rnd(s, 3)];
	} else {
		type = rnd(s, 3) != 0 ? 8 : 3 + 2 * (uint32_t)rnd(s, 3);	/* GET_ID, or 3, 5 (FLUSH|OUT: async), 7 */
		if (type == 5)
			type = 8;
	}
	le32_store(hdr, type);
	le32_store(hdr + 4, 0);
	le64_store(hdr + 8, sector);
	out[0].len = sizeof hdr;
	out[0].data = hdr;
	if (type == 1) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(sector + q * 31 + i);
		out[nout].len = len;
		out[nout++].data = data;
	} else if (type == 0) {
		in[nin++].len = len;
	} else if (type == 8) {
		in[nin++].len = 20;
	}
	in[nin++].len = 1;
	record_mark(s->rec, "sweep-mq: queue %u: blk type %u sector %" PRIu64, q, type, sector);
	return add(s, q, out, nout, in, nin, cause);
}

/* ---- scsi: TEST UNIT READY, INQUIRY, REPORT LUNS inside the notify; READ(10) or WRITE(10) after it ---- */

static int scsi_req(struct mq *s, unsigned q, bool async, char **cause)
{
	static uint8_t data[MQ_DATA];
	uint8_t req[MQ_SCSI_REQ], *cdb = req + 19;
	struct guest_buf out[2], in[2];
	unsigned nout = 1, nin = 1;
	uint32_t lba = (uint32_t)rnd(s, MQ_SECTORS - 8), dlen = 0;

	memset(req, 0, sizeof req);
	memset(out, 0, sizeof out);
	memset(in, 0, sizeof in);
	req[0] = 1;				/* target 0, lun 0 in Linux's flat format */
	req[2] = 0x40;
	le64_store(req + 8, ++s->nreq);		/* tag */
	if (async) {
		cdb[0] = rnd(s, 2) ? 0x28 : 0x2a;
		be32_store(cdb + 2, lba);
		cdb[8] = (uint8_t)(1 + rnd(s, 4));
		dlen = 512u * cdb[8];
	} else {
		switch (rnd(s, 3)) {
		case 0:
			break;				/* TEST UNIT READY */
		case 1:
			cdb[0] = 0x12;			/* INQUIRY */
			cdb[4] = 36;
			dlen = 36;
			break;
		default:
			cdb[0] = 0xa0;			/* REPORT LUNS */
			be32_store(cdb + 6, 64);
			dlen = 64;
			break;
		}
	}
	out[0].len = sizeof req;
	out[0].data = req;
	in[0].len = MQ_SCSI_RESP;
	if (cdb[0] == 0x2a) {
		for (uint32_t i = 0; i < dlen; i++)
			data[i] = (uint8_t)(lba + q * 17 + i);
		out[nout].len = dlen;
		out[nout++].data = data;
	} else if (dlen > 0) {
		in[nin++].len = dlen;
	}
	record_mark(s->rec, "sweep-mq: queue %u: scsi op 0x%02x lba %u", q, cdb[0], lba);
	return add(s, q, out, nout, in, nin, cause);
}

/* ---- net: frames sent on a tx queue; received into rx0's buffers ---- */

static int net_tx(struct mq *s, unsigned q, char **cause)
{
	uint8_t pkt[MQ_NET_HDR + 128];
	uint32_t flen = 60 + (uint32_t)rnd(s, 68);
	struct guest_buf out[2];

	memset(pkt, 0, sizeof pkt);
	memset(pkt + MQ_NET_HDR, 0xff, 6);		/* broadcast */
	pkt[MQ_NET_HDR + 6] = 0x52;
	pkt[MQ_NET_HDR + 12] = 0x88;			/* local experimental ethertype */
	pkt[MQ_NET_HDR + 13] = 0xb5;
	for (uint32_t i = 14; i < flen; i++)
		pkt[MQ_NET_HDR + i] = (uint8_t)(q + i);
	memset(out, 0, sizeof out);
	out[0].len = MQ_NET_HDR;
	out[0].data = pkt;
	out[1].len = flen;
	out[1].data = pkt + MQ_NET_HDR;
	record_mark(s->rec, "sweep-mq: queue %u: a frame of %u bytes sent", q, flen);
	return add(s, q, out, 2, NULL, 0, cause);
}

static int net_post_rx(struct mq *s, unsigned k, char **cause)
{
	struct guest_buf in = { .len = MQ_NET_RXBUF };

	for (unsigned i = 0; i < MQ_NET_POST; i++) {
		if (add(s, 2 * k, NULL, 0, &in, 1, cause) < 0)
			return -1;
		s->rx_posted[k]++;
	}
	record_mark(s->rec, "sweep-mq: rx%u: %u buffers posted", k, MQ_NET_POST);
	guest_kick(s->g, 2 * k);
	return 0;
}

/* Frames that waited for buffers on pair k, taken now that some are posted. */
static void net_take_pending(struct mq *s, unsigned k)
{
	unsigned n = s->pend[k] < s->rx_posted[k] ? s->pend[k] : s->rx_posted[k];
	unsigned got = take(s, 2 * k, n);

	s->pend[k] -= got;
	s->rx_posted[k] -= got;
}

/* A frame for the guest (its own MAC from the config) on pair k. */
static int net_give(struct mq *s, unsigned k, char **cause)
{
	uint8_t f[96];

	memset(f, 0, sizeof f);
	for (unsigned i = 0; i < 6; i++)
		f[i] = (uint8_t)guest_devcfg_read(s->g, i, 1);
	f[6] = 0x52;
	f[11] = 0xef;
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = (uint8_t)k;
	for (unsigned i = 15; i < sizeof f; i++)
		f[i] = (uint8_t)(0x20 + (s->nreq + i) % 95);
	s->nreq++;
	if (record_input(s->rec, TRACE_INPUT_FRAME, k, f, sizeof f, cause) < 0)
		return -1;
	s->pend[k]++;
	return 0;
}

/*
 * A frame on pair k, which is on: taken from rxk if a buffer waits there,
 * else it waits (QEMU holds it) and now and then buffers come for it.
 */
static int net_rx(struct mq *s, unsigned k, char **cause)
{
	if (net_give(s, k, cause) < 0)
		return -1;
	if (!guest_queue_ready(s->g, 2 * k))
		return 0;
	if (s->rx_posted[k] == 0 && rnd(s, 3) == 0 && net_post_rx(s, k, cause) < 0)
		return -1;
	net_take_pending(s, k);
	return s->rx_posted[k] == 0 && rnd(s, 2) ? net_post_rx(s, k, cause) : 0;
}

/* A batch on rx queue of pair k: a frame if the pair is on, else buffers posted where none are. */
static int net_rx_batch(struct mq *s, unsigned k, char **cause)
{
	if (k < s->curr)
		return net_rx(s, k, cause);
	if (s->rx_posted[k] == 0)
		return net_post_rx(s, k, cause);
	record_mark(s->rec, "sweep-mq: kick on rx%u, pair off", k);
	guest_notify(s->g, 2 * k);
	return 0;
}

/* VQ_PAIRS_SET (class MQ, command 0) with a seeded pair count; the ack byte read back. */
static int net_pairs(struct mq *s, uint16_t pairs, char **cause)
{
	uint8_t cmd[2] = { 4, 0 }, val[2], ack = 0xff;
	struct guest_buf out[2], in = { .len = 1 };
	unsigned ctrl = s->nq - 1u;

	if (!guest_queue_ready(s->g, ctrl))
		return 0;
	le16_store(val, pairs);
	memset(out, 0, sizeof out);
	out[0].len = 2;
	out[0].data = cmd;
	out[1].len = 2;
	out[1].data = val;
	record_mark(s->rec, "sweep-mq: VQ_PAIRS_SET %u", pairs);
	if (add(s, ctrl, out, 2, &in, 1, cause) < 0)
		return -1;
	guest_notify(s->g, ctrl);
	(void)guest_wait(s->g, ctrl, 1);
	if (guest_drain(s->g, ctrl, 1, &ack) != 1 || ack != 0)
		return 0;
	/*
	 * Pairs turned off lose the frames that waited there: QEMU detaches
	 * their tap queues (the kernel drops what they hold) and purges the one
	 * it had read. Pairs turned on: buffers for some that have none.
	 */
	for (unsigned k = pairs; k < s->curr && k < MQ_MAX_UNITS; k++)
		s->pend[k] = 0;
	for (unsigned k = s->curr; k < pairs && k < MQ_MAX_UNITS; k++)
		if (s->rx_posted[k] == 0 && rnd(s, 2) && net_post_rx(s, k, cause) < 0)
			return -1;
	s->curr = pairs;
	return 0;
}

/*
 * Every queue select up to one past the queues the device was made with:
 * size, vector and enable, so queues that came or went (and QEMU's control
 * queue after the last pair) show.
 */
static void net_queue_regs(struct mq *s)
{
	unsigned made = record_header(s->rec)->nqueues;

	for (unsigned q = 0; q <= made; q++) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_ENABLE, 2);
	}
}

/*
 * The driver's features: those given, MQ left out now and then, and now
 * and then other features written first (with MQ the other way), so
 * QEMU 7.2 takes pairs 1.. away or gives them back on each write
 * (virtio_net_set_multiqueue). MRG_RXBUF is left out now and then too
 * (one frame a buffer: QEMU's pop on a queue taken away then breaks the
 * device, net_refeature_end). Then the queue count and pairs as the
 * device says.
 */
static int net_negotiate(struct mq *s, uint64_t want, char **cause)
{
	uint64_t mq = 1ull << VIRTIO_NET_F_MQ, mrg = 1ull << VIRTIO_NET_F_MRG_RXBUF;
	/* one draw for both, so every later draw stays: its remainder by 4 is MQ's 1 in 4, its quotient MRG_RXBUF's */
	uint64_t pick = rnd(s, 16);
	int rc;

	if (pick % 4 == 0)
		want &= ~mq;
	if (pick / 4 == 0)
		want &= ~mrg;
	if (rnd(s, 3) == 0) {
		record_mark(s->rec, "sweep-mq: features 0x%" PRIx64 " first, then 0x%" PRIx64, want ^ mq, want);
		rc = guest_negotiate_twice(s->g, want ^ mq, want, cause);
	} else {
		record_mark(s->rec, "sweep-mq: features 0x%" PRIx64, want);
		rc = guest_negotiate(s->g, want, cause);
	}
	if (rc < 0)
		return -1;
	s->feat = guest_features(s->g);
	s->nq = guest_num_queues(s->g);
	s->pairs = (s->feat >> VIRTIO_NET_F_MQ & 1) ? (unsigned)guest_devcfg_read(s->g, 8, 2) : 1;
	if (s->pairs < 1 || s->pairs > MQ_MAX_UNITS || 2 * s->pairs + 1 != s->nq)
		return cause_set(cause, "sweep-mq: net with %u queues says %u pairs", s->nq, s->pairs);
	net_queue_regs(s);
	return 0;
}

/*
 * A device reset with frames waiting, then the driver again (features as
 * net_negotiate picks them, every queue, buffers as at the start). A pair
 * past the first loses its frames when the reset's features detach its tap
 * queue; pair 0 loses the frame QEMU had parked to the DRIVER_OK write
 * (virtio_net_set_status flushes it before the status is taken) and keeps
 * what the kernel still holds.
 */
static int net_restart(struct mq *s, char **cause)
{
	/* a frame or two for a pair that is on, first: they may be left waiting */
	for (unsigned i = 0, n = (unsigned)rnd(s, 3); i < n; i++)
		if (net_rx(s, (unsigned)rnd(s, s->curr), cause) < 0)
			return -1;
	record_mark(s->rec, "sweep-mq: reset, frames waiting %u %u %u %u", s->pend[0], s->pend[1], s->pend[2], s->pend[3]);
	if (net_negotiate(s, s->feat | (guest_device_features(s->g) &
	    (1ull << VIRTIO_NET_F_MQ | 1ull << VIRTIO_NET_F_MRG_RXBUF)), cause) < 0 ||
	    guest_setup_queue_mask(s->g, (1ull << s->nq) - 1, cause) < 0)
		return -1;
	guest_driver_ok(s->g);
	s->pend[0] -= s->pend[0] > 0;
	for (unsigned k = 0; k < MQ_MAX_UNITS; k++) {
		s->pend[k] = k == 0 ? s->pend[k] : 0;
		s->rx_posted[k] = 0;
	}
	s->curr = 1;
	for (unsigned k = 0; k < s->pairs; k++)
		if (rnd(s, 3) != 0 && net_post_rx(s, k, cause) < 0)
			return -1;
	net_take_pending(s, 0);
	return 0;
}

/* A seeded pair count: 0, 1, 2, 3, 8, 0x8000, 0xffff, the config's count or one past it. */
static uint16_t net_pair_count(struct mq *s)
{
	static const uint16_t counts[] = { 0, 1, 2, 3, 8, 0x8000, 0xffff };
	size_t pick = rnd(s, sizeof counts / sizeof counts[0] + 2);

	return pick < sizeof counts / sizeof counts[0] ? counts[pick] :
	    (uint16_t)(s->pairs + (pick > sizeof counts / sizeof counts[0]));
}

/*
 * The end: every pair on, buffers on every rx queue, the frames the sweep
 * expects taken, and every rx ring read back, so a frame one side dropped
 * and the other kept shows.
 */
static int net_finish(struct mq *s, char **cause)
{
	if ((s->feat >> VIRTIO_NET_F_MQ & 1) && net_pairs(s, (uint16_t)s->pairs, cause) < 0)
		return -1;
	for (unsigned k = 0; k < s->curr; k++) {
		if (s->rx_posted[k] == 0 && net_post_rx(s, k, cause) < 0)
			return -1;
		net_take_pending(s, k);
		(void)guest_drain(s->g, 2 * k, s->rx_posted[k], NULL);
	}
	return 0;
}

/* ---- batches ---- */

/* A batch on request queue q: up to MQ_BATCH_MAX requests, one notify, every completion read back. */
static int batch(struct mq *s, unsigned q, char **cause)
{
	unsigned n = 1 + (unsigned)rnd(s, MQ_BATCH_MAX), at = (unsigned)rnd(s, n + 2);	/* >= n: none after */

	for (unsigned i = 0; i < n; i++) {
		int rc;

		switch (s->sh->id) {
		case VIRTIO_ID_BLOCK:
			rc = blk_req(s, q, i == at, cause);
			break;
		case VIRTIO_ID_SCSI:
			rc = scsi_req(s, q, i == at, cause);
			break;
		default:
			/* rx queues take buffers through net_rx; a batch on one is a frame, or buffers */
			if ((q - s->sh->before) % 2 == 0)
				return net_rx_batch(s, q / 2, cause);
			rc = net_tx(s, q, cause);
			break;
		}
		if (rc < 0)
			return -1;
	}
	guest_notify(s->g, q);
	(void)take(s, q, n);
	return 0;
}

/* A notify where the guest set nothing up, or past the device's queues: QEMU ignores both. */
static void stray_kick(struct mq *s, unsigned q)
{
	record_mark(s->rec, "sweep-mq: kick on queue %u (%s)", q, q < s->nq ? "not set up" : "past the last queue");
	guest_notify(s->g, q);
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* queue_select past the last queue: what each per-queue field reads there, and a write to its size. */
static void select_past(struct mq *s)
{
	static const uint32_t field[] = { VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_MSIX, VIRTIO_PCI_COMMON_Q_ENABLE,
		VIRTIO_PCI_COMMON_Q_NOFF };
	uint16_t sel = (uint16_t)(s->nq + rnd(s, 3));

	if (rnd(s, 4) == 0)
		sel = (uint16_t)(rnd(s, 2) ? 1023 : 1024);
	record_mark(s->rec, "sweep-mq: queue_select %u", sel);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, sel);
	for (size_t i = 0; i < sizeof field / sizeof field[0]; i++)
		(void)guest_common_read(s->g, field[i], 2);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
}

/* The config field that tells the queue count, at its size and byte by byte, and num_queues. */
static void read_config(struct mq *s)
{
	const struct mq_shape *sh = s->sh;

	if (sh->mq_bit == MQ_NONE || (guest_device_features(s->g) >> sh->mq_bit & 1) || sh->id != VIRTIO_ID_NET) {
		(void)guest_devcfg_read(s->g, sh->cfg_off, sh->cfg_size);
		for (unsigned i = 0; i < sh->cfg_size; i++)
			(void)guest_devcfg_read(s->g, sh->cfg_off + i, 1);
	}
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_NUMQ, 2);
}

/*
 * The end, now and then with every pair on (VQ_PAIRS_SET done) and every
 * queue's rings set up: FEATURES_OK and DRIVER_OK taken away by a status
 * write (ACKNOWLEDGE|DRIVER, no reset), which lets the driver write
 * features again, then features without MQ. QEMU 7.2 deletes pairs 1.. and
 * the control queue and adds the control queue after pair 0
 * (virtio_net_change_num_queue_pairs); the control queue's old slot and
 * the pairs' keep their registers. What every select reads then; now and
 * then writes to a queue taken away (size, vector, enable, descriptor
 * address) read back; now and then MQ written back (the pairs and the
 * control queue come back) and every select read again. Then FEATURES_OK,
 * DRIVER_OK, traffic on pair 0, whose queues never go, frames on the
 * other pairs, still on (QEMU keeps curr_queue_pairs and their taps), and
 * a kick on every other queue there: a queue that moved or came back kept
 * its ring (the control queue at 2 finds what was posted on rx1). Pairs
 * past the second have two frames waiting across it all; with MQ back they
 * get buffers. A driver without MRG_RXBUF now and then leaves no frames
 * waiting there, sometimes after one frame taken on each: the frame on
 * such a pair then meets its queue taken away, and QEMU breaks the device
 * if it had taken buffers from that ring ("Virtqueue size exceeded": the
 * queue's size is 0 now).
 */
static int net_refeature_end(struct mq *s, char **cause)
{
	uint32_t lo = (uint32_t)s->feat, mq = 1u << VIRTIO_NET_F_MQ, mrg = 1u << VIRTIO_NET_F_MRG_RXBUF;
	uint8_t st = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;
	bool back, poke, fresh, took;
	unsigned poked = 0, pick;

	if (!(lo & mq) || s->pairs < 2)
		return 0;
	back = rnd(s, 2) != 0;
	pick = (unsigned)rnd(s, 8);	/* its remainder by 2 is poke's draw as it was, so later draws stay */
	poke = pick % 2 != 0;
	fresh = !(lo & mrg) && pick / 2 != 0;
	took = fresh && pick / 2 >= 2;
	/* fresh: a frame taken on every pair past the second now and then, so QEMU has used its ring */
	for (unsigned k = 2; took && k < s->curr && k < MQ_MAX_UNITS; k++) {
		record_mark(s->rec, "sweep-mq: a frame taken on pair %u before the feature write", k);
		if ((s->rx_posted[k] == 0 && net_post_rx(s, k, cause) < 0) || net_give(s, k, cause) < 0)
			return -1;
		net_take_pending(s, k);
	}
	/*
	 * On every pair past the second two frames more than its buffers take:
	 * QEMU parks the first and its tap holds the second, the pair waits
	 * (pair 1 stays clear for the frames below, which the control queue at
	 * 2 takes while MQ is away).
	 */
	for (unsigned k = 2; !fresh && k < s->curr && k < MQ_MAX_UNITS; k++) {
		record_mark(s->rec, "sweep-mq: %u frames on pair %u, %u buffers posted", s->rx_posted[k] + 2, k,
		    s->rx_posted[k]);
		for (unsigned i = 0, n = s->rx_posted[k] + 2; i < n; i++)
			if (net_give(s, k, cause) < 0)
				return -1;
		net_take_pending(s, k);
	}
	record_mark(s->rec, "sweep-mq: status 0x%02x, features without MQ%s%s%s", st,
	    poke ? ", a queue taken away written" : "", back ? ", MQ again" : "",
	    fresh ? ", no frames waiting past pair 1" : "");
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, st);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_GF, 4, lo & ~mq);
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_NUMQ, 2);
	net_queue_regs(s);
	if (poke) {
		uint16_t q = (uint16_t)(3 + rnd(s, 2 * s->pairs - 2));	/* rx1 .. the old control queue */
		poked = q;

		record_mark(s->rec, "sweep-mq: queue %u taken away: size, vector, enable, descriptor written", q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2, rnd(s, 3));
		guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x12345000u);
		if (rnd(s, 2))
			guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_MSIX, 2);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_ENABLE, 2);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_DESCLO, 4);
	}
	if (back) {
		guest_common_write(s->g, VIRTIO_PCI_COMMON_GF, 4, lo);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_NUMQ, 2);
		net_queue_regs(s);
	}
	/*
	 * Now and then queue_enable again on every queue there past pair 0,
	 * the size read back: QEMU maps each with the size its proxy holds
	 * (the control queue at 2 takes rx1's, a queue written while away its
	 * 64). The descriptor address written above goes back first (QEMU
	 * would map a ring at 0x12345000, RAM the trace does not declare).
	 */
	if (rnd(s, 2) != 0) {
		record_mark(s->rec, "sweep-mq: queue_enable again on every queue past pair 0, size read back");
		for (unsigned q = 2, nq = back ? s->nq : 3; q < nq; q++) {
			guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
			if (q == poked)
				guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)guest_desc_addr(s->g, q));
			guest_common_write(s->g, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
			(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
		}
	}
	st |= VIRTIO_STATUS_FEATURES_OK;
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, st);
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, st | VIRTIO_STATUS_DRIVER_OK);
	read_config(s);
	/* pair 0: a frame sent on tx0, one received on rx0 */
	if (net_tx(s, 1, cause) < 0)
		return -1;
	guest_notify(s->g, 1);
	(void)take(s, 1, 1);
	if (net_rx(s, 0, cause) < 0)
		return -1;
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
	/*
	 * Now and then a frame on each pair past the first, all on since
	 * net_finish: the feature write left QEMU's curr_queue_pairs and taps
	 * alone. The pair's rx ring as the guest set it up is read back (without
	 * MQ QEMU's queue at index 2k is the control queue for pair 1, which
	 * kept rx1's ring, and nothing past it: no buffer taken there), then
	 * the device status.
	 */
	for (unsigned k = 1; k < s->curr && k < MQ_MAX_UNITS; k++) {
		if (rnd(s, 3) == 0)
			continue;
		record_mark(s->rec, "sweep-mq: a frame on pair %u, %u buffers posted on rx%u", k, s->rx_posted[k], k);
		if (net_give(s, k, cause) < 0)
			return -1;
		if (back || k < 2)
			net_take_pending(s, k);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
	}
	/* MQ back: buffers for the frames still waiting on each pair (its rings are rxk's again) */
	for (unsigned k = 1; back && k < s->curr && k < MQ_MAX_UNITS; k++) {
		if (s->pend[k] == 0)
			continue;
		if (net_post_rx(s, k, cause) < 0)
			return -1;
		net_take_pending(s, k);
	}
	/* a kick on every queue there now past pair 0, nothing posted since */
	for (unsigned q = 2, nq = back ? s->nq : 3; q < nq; q++) {
		record_mark(s->rec, "sweep-mq: kick on queue %u", q);
		guest_notify(s->g, q);
		(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
	}
	return 0;
}

int sweep_sc_mq(struct record *rec, char **cause)
{
	struct mq s;
	enum guest_irq_mode irq;
	uint64_t offered, mask = 0;
	unsigned rounds, nreqq = 0;

	memset(&s, 0, sizeof s);
	s.rec = rec;
	if ((s.sh = shape_find(record_device_id(rec))) == NULL)
		return cause_set(cause, "sweep-mq: no multiqueue shape for %s", record_device_name(rec));
	irq = rnd(&s, 2) ? GUEST_IRQ_MSIX : GUEST_IRQ_MSIX_SHARED;
	if ((s.g = record_guest(rec, irq, 0)) == NULL)
		return cause_set(cause, "cannot create the guest");
	record_mark(rec, "sweep-mq: %u queues in the header, %s interrupts", record_header(rec)->nqueues,
	    irq == GUEST_IRQ_MSIX ? "msi-x per queue" : "msi-x shared");
	if (guest_pci_setup(s.g, cause) < 0 || guest_find_caps(s.g, cause) < 0)
		return -1;
	guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	offered = guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4);
	guest_common_write(s.g, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	offered |= guest_common_read(s.g, VIRTIO_PCI_COMMON_DF, 4) << 32;
	/*
	 * Now and then a driver that leaves MQ alone: the queues are there all
	 * the same, except on net with several pairs, where QEMU 7.2 then
	 * removes pairs 1.. and moves the control queue to 2 (net_negotiate).
	 */
	if (s.sh->id == VIRTIO_ID_NET) {
		if (net_negotiate(&s, offered, cause) < 0)
			return -1;
	} else {
		if (s.sh->mq_bit != MQ_NONE && rnd(&s, 4) == 0)
			offered &= ~(1ull << s.sh->mq_bit);
		record_mark(rec, "sweep-mq: features 0x%" PRIx64, offered);
		if (guest_negotiate(s.g, offered, cause) < 0)
			return -1;
		s.feat = guest_features(s.g);
		s.nq = guest_num_queues(s.g);
	}
	if (s.nq > 64 || s.nq < s.sh->before + s.sh->per + s.sh->after)
		return cause_set(cause, "sweep-mq: the device has %u queues", s.nq);
	read_config(&s);
	select_past(&s);
	/* net: every queue (rx0 must take frames); else a seeded subset with at least one request queue */
	for (unsigned q = 0; q < s.nq; q++)
		if (s.sh->id == VIRTIO_ID_NET || rnd(&s, 4) != 0)
			mask |= 1ull << q;
	for (unsigned q = 0; q < s.nq; q++)
		nreqq += is_request(&s, q) && ((mask >> q) & 1);
	if (nreqq == 0)
		mask |= 1ull << (s.sh->before + rnd(&s, s.nq - s.sh->before - s.sh->after));
	record_mark(rec, "sweep-mq: queues set up 0x%" PRIx64, mask);
	if (guest_setup_queue_mask(s.g, mask, cause) < 0)
		return -1;
	guest_driver_ok(s.g);
	read_config(&s);
	if (s.sh->id == VIRTIO_ID_BLOCK) {
		uint8_t block[512];

		memset(block, 0x5a, sizeof block);
		if (record_input(rec, TRACE_INPUT_DISK, 0, block, sizeof block, cause) < 0)
			return -1;
	} else if (s.sh->id == VIRTIO_ID_NET) {
		s.curr = 1;
		/* rx buffers on a pair now and then none, so frames wait there */
		for (unsigned k = 0; k < s.pairs; k++)
			if (rnd(&s, 3) != 0 && net_post_rx(&s, k, cause) < 0)
				return -1;
	}
	rounds = 6 + (unsigned)rnd(&s, 10) + (s.pairs > 1 ? 10 : 0);	/* net: frames and VQ_PAIRS_SET on every pair */
	for (unsigned r = 0; r < rounds; r++) {
		unsigned q = (unsigned)rnd(&s, s.nq + 2u);

		if (s.sh->id == VIRTIO_ID_NET && rnd(&s, 12) == 0) {
			if (net_restart(&s, cause) < 0)
				return -1;
			continue;
		}
		if (s.sh->id == VIRTIO_ID_NET && (s.feat >> VIRTIO_NET_F_MQ & 1) && rnd(&s, 5) == 0) {
			if (net_pairs(&s, net_pair_count(&s), cause) < 0)
				return -1;
			continue;
		}
		if (q < s.nq && is_request(&s, q) && guest_queue_ready(s.g, q)) {
			if (batch(&s, q, cause) < 0)
				return -1;
		} else if (q >= s.nq || !guest_queue_ready(s.g, q)) {
			stray_kick(&s, q);
		} else {
			/* a fixed queue the guest set up (scsi control or event, net control) kicked with nothing on it */
			record_mark(rec, "sweep-mq: kick on queue %u with nothing posted", q);
			guest_notify(s.g, q);
		}
	}
	if (s.sh->id == VIRTIO_ID_NET && net_finish(&s, cause) < 0)
		return -1;
	read_config(&s);
	/* net, now and then: MQ taken away and given back without a reset (drawn last: earlier draws stay) */
	if (s.sh->id == VIRTIO_ID_NET && rnd(&s, 3) == 0 && net_refeature_end(&s, cause) < 0)
		return -1;
	return 0;
}
