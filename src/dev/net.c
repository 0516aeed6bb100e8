/* net.c -- virtio-net: rx frames from the trace, tx frames out as events, control queue as QEMU answers it */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"


#define NET_F_CSUM		0
#define NET_F_CTRL_GUEST_OFFLOADS	2
#define NET_F_MTU		3
#define NET_F_MAC		5
#define NET_F_GSO		6	/* legacy only */
#define NET_F_HOST_TSO4		11
#define NET_F_HOST_TSO6		12
#define NET_F_HOST_ECN		13
#define NET_F_MRG_RXBUF		15
#define NET_F_STATUS		16
#define NET_F_CTRL_VQ		17
#define NET_F_CTRL_RX		18
#define NET_F_CTRL_VLAN		19
#define NET_F_CTRL_RX_EXTRA	20
#define NET_F_GUEST_ANNOUNCE	21
#define NET_F_MQ		22
#define NET_F_CTRL_MAC_ADDR	23
#define NET_F_SPEED_DUPLEX	63

#define CFG_MAC			0
#define CFG_STATUS		6
#define CFG_MAX_PAIRS		8
#define CFG_MTU			10
#define CFG_SPEED		12
#define CFG_DUPLEX		16
#define NET_CFG_SIZE		20

#define S_LINK_UP		1
#define S_ANNOUNCE		2

#define HDR_LEN			12	/* virtio_net_hdr with num_buffers (VERSION_1 or MRG_RXBUF) */
#define HDR_NUM_BUFFERS		10	/* also the legacy header's length without MRG_RXBUF */

#define CTRL_OK			0
#define CTRL_ERR		1
#define CLASS_RX		0
#define CLASS_MAC		1
#define CLASS_VLAN		2
#define CLASS_ANNOUNCE		3
#define CLASS_MQ		4
#define CLASS_GUEST_OFFLOADS	5

#define MAC_TABLE_ENTRIES	64
#define MAX_VLAN		4096
#define MAX_PAIRS		12	/* 24 queues, this model's bound (the transport takes up to 1024) */
#define FRAME_MAX		65536u		/* bytes in one received frame */
#define RX_FRAMES_MAX		1024u		/* frames waiting for rx buffers, per pair */
#define RX_BYTES_MAX		(16u << 20)

/* VDEV_IN_EVENT codes */
#define NET_EV_LINK_DOWN	0
#define NET_EV_LINK_UP		1
#define NET_EV_ANNOUNCE		2

#define NET_STATE_VERSION	2	/* 2: rx_held per pair */

struct frame {
	uint8_t *data;
	uint32_t len;
};

struct fifo {
	struct frame *f;
	unsigned head, n, cap;
};

/* A frame spread over several rx chains (MRG_RXBUF) that ran out of buffers. */
struct partial {
	bool active;
	uint16_t pair;
	uint32_t off;			/* frame bytes already written */
	uint16_t nbufs;
	uint64_t nb_addr[2];		/* guest addresses of the first header's num_buffers bytes */
};

/*
 * What each profile does where QEMU 7.2 and the strict device part (tables
 * over layout tests, as blk.c's blk_policy and console.c's con_policy).
 */
static const struct net_policy {
	/* QEMU's virtio_net_has_buffers before each frame (rx notifications on, look again); else a posted buffer is enough */
	bool rx_room_check;
	/* bytes of header written without MRG_RXBUF: QEMU's 10-byte virtio_net_hdr, num_buffers left alone */
	uint8_t rx_hdr_len;
	/* a frame that does not fit its buffer: QEMU writes what fits and leaves the buffer posted */
	bool rx_short_writes;
	/* QEMU's tx bottom half: notifications off while it flushes, publish before a refused chain */
	bool tx_notify_off;
	/* QEMU's "virtio-net nothing to send": a chain of the header alone breaks the device */
	bool tx_empty_refused;
	/* waiting frames lost when their pair goes off (VQ_PAIRS_SET, tap_disable) or at a reset */
	bool drop_on_pair_off;
	/* QEMU's virtio_net_set_multiqueue: pairs 1.. only while the features hold MQ */
	bool queues_follow_mq;
	/* QEMU's virtio_net_set_config: MAC bytes writable without VERSION_1 and CTRL_MAC_ADDR */
	bool mac_writable;
	/* QEMU's receive_disabled and backend: a frame left waiting holds the pair's later ones until a flush */
	bool rx_held;
	/* QEMU's virtio_net_receive_rcu: a mergeable frame's buffers are used once it is placed whole, else detached */
	bool rx_mrg_whole;
} net_policies[] = {
	[VDEV_LAYOUT_QEMU] = { .rx_room_check = true, .rx_hdr_len = HDR_NUM_BUFFERS, .rx_short_writes = true,
	    .tx_notify_off = true, .tx_empty_refused = true, .drop_on_pair_off = true, .queues_follow_mq = true,
	    .mac_writable = true, .rx_held = true, .rx_mrg_whole = true },
	[VDEV_LAYOUT_VBOX] = { .rx_hdr_len = HDR_LEN },
};

struct net {
	const struct net_policy *pol;
	struct vdev_ctx *ctx;
	uint8_t cfg[NET_CFG_SIZE];
	uint8_t cfg0[NET_CFG_SIZE];
	unsigned max_pairs;
	bool has_ctrl;			/* the last queue there is the control queue */
	bool driver_ok;
	/*
	 * qemu: the first frame waiting for the pair is parked in QEMU's queue
	 * (no buffers: receive_disabled; the device could not take it: not
	 * delivered) and its backend reads no further frame: nothing of the
	 * pair is looked at until a flush (rx_kick).
	 */
	bool rx_held[MAX_PAIRS];
	uint16_t curr_pairs;
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	unsigned mac_in_use, first_multi;
	bool uni_overflow, multi_overflow;
	uint8_t macs[MAC_TABLE_ENTRIES * 6];
	uint8_t vlans[MAX_VLAN / 8];
	struct fifo rx[MAX_PAIRS];
	size_t rx_bytes;
	struct partial part;
	char fields[96];
	char type[40];
};

static void net_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	if (nqueues % 2 == 1 && index == (unsigned)nqueues - 1)
		snprintf(out, VIRTQ_NAME_MAX, "ctrl");
	else
		snprintf(out, VIRTQ_NAME_MAX, "%s%u", index % 2 == 0 ? "rx" : "tx", index / 2);
}

static void net_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	(void)layout;	/* the same bytes; the qemu profile's config ends after status */
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	uint8_t c[NET_CFG_SIZE] = { 0 };

	memcpy(c + CFG_MAC, mac, 6);
	le16_store(c + CFG_STATUS, S_LINK_UP);
	le16_store(c + CFG_MAX_PAIRS, 1);
	le16_store(c + CFG_MTU, 1500);
	le32_store(c + CFG_SPEED, 0xffffffffu);	/* unknown */
	c[CFG_DUPLEX] = 0xff;
	memset(cfg, 0, len);
	memcpy(cfg, c, len < NET_CFG_SIZE ? len : NET_CFG_SIZE);
}

static void filter_reset(struct net *n)
{
	n->promisc = true;
	n->allmulti = n->alluni = n->nomulti = n->nouni = n->nobcast = false;
	n->mac_in_use = n->first_multi = 0;
	n->uni_overflow = n->multi_overflow = false;
	memset(n->macs, 0, sizeof n->macs);
	memset(n->vlans, 0, sizeof n->vlans);
	n->curr_pairs = 1;
}

static void *net_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	struct net *n = xcalloc(1, sizeof *n);
	unsigned nq = setup->nqueues ? setup->nqueues : 3;

	n->ctx = ctx;
	n->pol = &net_policies[setup->layout == VDEV_LAYOUT_VBOX ? VDEV_LAYOUT_VBOX : VDEV_LAYOUT_QEMU];
	net_default_config(n->cfg, NET_CFG_SIZE, setup->layout);
	/* Not stated: a pair per two queues (the last odd one is the control queue, QEMU's layout). */
	if (nq > 3)
		le16_store(n->cfg + CFG_MAX_PAIRS, (uint16_t)(nq / 2));
	if (setup->devcfg != NULL && setup->devcfg_len > 0)
		memcpy(n->cfg, setup->devcfg, setup->devcfg_len < NET_CFG_SIZE ? setup->devcfg_len : NET_CFG_SIZE);
	n->max_pairs = 1;
	if (setup->offered & (1ull << NET_F_MQ))
		n->max_pairs = le16_load(n->cfg + CFG_MAX_PAIRS);
	if (n->max_pairs < 1 || n->max_pairs > MAX_PAIRS || nq < 2 * n->max_pairs || nq > 2 * n->max_pairs + 1) {
		cause_set(cause, "%u queue pairs do not fit %u queues (2 per pair + ctrl, at most %u pairs)",
		    n->max_pairs, nq, MAX_PAIRS);
		free(n);
		return NULL;
	}
	n->has_ctrl = nq == 2 * n->max_pairs + 1;
	memcpy(n->cfg0, n->cfg, NET_CFG_SIZE);
	filter_reset(n);
	return n;
}

/* The control queue's index now (QEMU moves it when pairs come and go), -1 if none. */
static int ctrl_queue(const struct net *n)
{
	return n->has_ctrl ? (int)vdev_num_queues(n->ctx) - 1 : -1;
}

/* Pairs whose queues are there now. */
static unsigned pairs_there(const struct net *n)
{
	return (vdev_num_queues(n->ctx) - n->has_ctrl) / 2;
}

/*
 * The header before each frame: 12 bytes with num_buffers under VERSION_1
 * or MRG_RXBUF, else the legacy 10-byte virtio_net_hdr (spec 5.1.6.1;
 * QEMU's guest_hdr_len from virtio_net_set_mrg_rx_bufs).
 */
static uint32_t hdr_len(const struct net *n)
{
	return vdev_has_feature(n->ctx, VIRTIO_F_VERSION_1) || vdev_has_feature(n->ctx, NET_F_MRG_RXBUF) ?
	    HDR_LEN : HDR_NUM_BUFFERS;
}

static void fifo_clear(struct fifo *f)
{
	for (unsigned i = 0; i < f->n; i++)
		free(f->f[(f->head + i) % f->cap].data);
	f->head = f->n = 0;
}

static void net_destroy(void *dev)
{
	struct net *n = dev;

	if (n == NULL)
		return;
	for (unsigned i = 0; i < MAX_PAIRS; i++) {
		fifo_clear(&n->rx[i]);
		free(n->rx[i].f);
	}
	free(n);
}

static bool want(struct net *n)
{
	return evbus_wants(vdev_bus(n->ctx), VR_EV_TXN);
}

static void emit_frame(struct net *n, bool tx, unsigned queue, const uint8_t *p, uint32_t len)
{
	struct evbus *bus = vdev_bus(n->ctx);
	struct vr_event ev;

	if (!evbus_wants(bus, VR_EV_FRAME))
		return;
	memset(&ev, 0, sizeof ev);
	ev.kind = VR_EV_FRAME;
	ev.u.frame.tx = tx;
	ev.u.frame.queue = (uint16_t)queue;
	ev.u.frame.data = p;
	ev.u.frame.len = len;
	evbus_emit(bus, &ev);
}

/* QEMU's receive_filter. */
static bool filter_accepts(struct net *n, const uint8_t *p, uint32_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (n->promisc)
		return true;
	if (len < 14)
		return false;
	if (p[12] == 0x81 && p[13] == 0x00 && len >= 16 && vdev_has_feature(n->ctx, NET_F_CTRL_VLAN)) {
		unsigned vid = be16_load(p + 14) & 0xfff;

		if (!(n->vlans[vid / 8] & (1u << (vid % 8))))
			return false;
	}
	if (p[0] & 1) {
		if (memcmp(p, bcast, 6) == 0)
			return !n->nobcast;
		if (n->nomulti)
			return false;
		if (n->allmulti || n->multi_overflow)
			return true;
		for (unsigned i = n->first_multi; i < n->mac_in_use; i++)
			if (memcmp(p, n->macs + i * 6, 6) == 0)
				return true;
		return false;
	}
	if (n->nouni)
		return false;
	if (n->alluni || n->uni_overflow || memcmp(p, n->cfg + CFG_MAC, 6) == 0)
		return true;
	for (unsigned i = 0; i < n->first_multi; i++)
		if (memcmp(p, n->macs + i * 6, 6) == 0)
			return true;
	return false;
}

static void fifo_pop(struct net *n, struct fifo *f)
{
	struct frame *fr = &f->f[f->head];

	n->rx_bytes -= fr->len;
	free(fr->data);
	fr->data = NULL;
	f->head = (f->head + 1) % f->cap;
	f->n--;
}

/* Drop at most max of the frames waiting for pair p (the oldest first), with a note saying why. */
static void rx_drop(struct net *n, unsigned p, unsigned max, const char *why)
{
	unsigned k = n->rx[p].n < max ? n->rx[p].n : max;

	if (k > 0)
		vdev_note(n->ctx, "net: rx%u: %u frames dropped%s", p, k, why);
	while (k-- > 0)
		fifo_pop(n, &n->rx[p]);
}

/* Guest address of IN byte off of chain c (0 if beyond it). */
static uint64_t in_addr(const struct virtq_chain *c, uint32_t off)
{
	for (unsigned i = 0; i < c->nin; i++) {
		if (off < c->in[i].len)
			return c->in[i].addr + off;
		off -= c->in[i].len;
	}
	return 0;
}

static void rx_txn(struct net *n, struct virtq *q, struct virtq_chain *c, uint32_t used, uint32_t flen, const char *st)
{
	struct virtq_txn_info info = { .type = "rx", .fields = n->fields, .status = st };

	if (want(n))
		snprintf(n->fields, sizeof n->fields, "len=%u frame=%u", used, flen);
	virtq_put(q, c, used, &info);
}

/*
 * QEMU's virtio_net_has_buffers before each frame (7.2 with its stable fix
 * "Fix network stall at the host side waiting for kick"): a buffer posted
 * is enough without MRG_RXBUF; otherwise, and on a broken device, which
 * virtio_queue_empty calls empty, it counts the device-writable bytes
 * posted for the header and the whole frame (virtqueue_get_avail_bytes,
 * which a broken device does not stop). Too few: rx notifications on
 * (avail_event = avail idx, or NO_NOTIFY cleared) and the frame waits.
 * Else notifications off (with EVENT_IDX nothing is written and the pops
 * that follow leave avail_event alone; without it NO_NOTIFY is set) and the
 * frame goes on, on a broken device to a pop that finds nothing. Under vbox
 * a posted buffer is enough and a mergeable frame may wait half placed.
 */
static bool rx_has_buffers(struct net *n, struct virtq *q, uint32_t need)
{
	bool mrg = vdev_has_feature(n->ctx, NET_F_MRG_RXBUF);

	if (!n->pol->rx_room_check)
		return true;
	if ((mrg || virtq_is_empty(q)) && virtq_avail_len_in(q, need) < need) {
		virtq_resume_notify(q);
		return false;
	}
	virtq_disable_notify(q);
	return true;
}

/* QEMU's virtio_net_can_receive: DRIVER_OK, the pair on, its rx ring there (qemu: on a broken device too). */
static bool rx_can_receive(struct net *n, unsigned p)
{
	struct virtq *q = vdev_queue(n->ctx, 2 * p);

	if (q == NULL || !n->driver_ok || p >= n->curr_pairs || p >= pairs_there(n))
		return false;
	return n->pol->rx_held ? virtq_size(q) != 0 : virtq_is_enabled(q);
}

/*
 * qemu: a frame the pop does not serve after virtio_net_has_buffers said
 * yes (a broken device hands out nothing; a chain that breaks a rule
 * breaks it): virtio_net_receive returns -1 and the frame is gone. vbox
 * keeps it.
 */
static bool rx_lost(struct net *n, unsigned p, struct fifo *f)
{
	if (!n->pol->rx_held)
		return false;
	vdev_note(n->ctx, "net: rx%u: %u-byte frame dropped: no buffer to pop", p, f->f[f->head].len);
	fifo_pop(n, f);
	return true;
}

/*
 * qemu: QEMU's virtio_net_receive_rcu under MRG_RXBUF, once
 * virtio_net_has_buffers said yes. It pops chains until the frame is
 * placed, writing the header and the frame into each as it goes, and fills
 * their used elements only when the frame is whole. A pop that fails half
 * way (a zero-length buffer, a chain with no device-writable buffer: the
 * device breaks) detaches the chains taken, no used element, and the frame
 * is lost. Not QEMU: the header goes out as 12 bytes, num_buffers 0 (QEMU
 * writes 10, num_buffers when the frame is whole), which only a detached
 * first buffer's bytes 10 and 11 would show; a first chain smaller than
 * the header stays the violation it is under vbox (not measured on QEMU).
 * Returns 1 when the frame is placed, 0 when it is lost, -1 when it waits
 * (that first chain).
 */
static int rx_mrg_whole(struct net *n, unsigned p, struct virtq *q, struct fifo *f)
{
	struct frame *fr = &f->f[f->head];
	unsigned max = virtq_size(q) ? virtq_size(q) : 1, i = 0;
	struct virtq_kept **kept = xcalloc(max, sizeof *kept);
	uint32_t *lens = xcalloc(max, sizeof *lens), off = 0;
	uint8_t hdr[HDR_LEN] = { 0 }, nb[2];
	uint64_t nb_addr[2] = { 0, 0 };
	struct virtq_chain c;
	int rc = 1;

	while (i == 0 || off < fr->len) {
		uint32_t room, k;

		if (i == max || virtq_get(q, &c, true) != 1) {
			rc = 0;
			break;
		}
		room = c.in_len;
		if (c.nin == 0) {
			vdev_violation(n->ctx, "net-rx-buffer-short", (int)(2 * p), c.head, 0, true,
			    "rx buffer %u has no device-writable bytes", c.head);
			kept[i++] = virtq_chain_keep(&c);
			rc = 0;
			break;
		}
		if (i == 0) {
			if (room < HDR_LEN) {
				vdev_violation(n->ctx, "net-rx-buffer-short", (int)(2 * p), c.head, 0, true,
				    "rx buffer %u has %u bytes, less than the %u-byte header", c.head, room, HDR_LEN);
				rc = -1;
				break;
			}
			nb_addr[0] = in_addr(&c, HDR_NUM_BUFFERS);
			nb_addr[1] = in_addr(&c, HDR_NUM_BUFFERS + 1);
			virtq_chain_write(q, &c, 0, hdr, HDR_LEN);
			room -= HDR_LEN;
		}
		k = fr->len - off < room ? fr->len - off : room;
		virtq_chain_write(q, &c, i == 0 ? HDR_LEN : 0, fr->data + off, k);
		off += k;
		lens[i] = (i == 0 ? HDR_LEN : 0) + k;
		kept[i++] = virtq_chain_keep(&c);
	}
	if (rc == 1) {
		for (unsigned j = 0; j < i; j++) {
			virtq_chain_restore(q, kept[j], &c);
			rx_txn(n, q, &c, lens[j], fr->len, "OK");
		}
		le16_store(nb, (uint16_t)i);
		vdev_dma_write(n->ctx, nb_addr[0], nb, 1, "rx num_buffers");
		vdev_dma_write(n->ctx, nb_addr[1], nb + 1, 1, "rx num_buffers");
		emit_frame(n, false, 2 * p, fr->data, fr->len);
	} else if (rc == 0) {
		vdev_note(n->ctx, "net: rx%u: %u-byte frame dropped: %s", p, fr->len, i > 0 ?
		    "a pop failed half way, the buffers taken are detached" : "no buffer to pop");
		while (i > 0)
			virtq_chain_drop(q, kept[--i]);
	}
	free(kept);
	free(lens);
	if (rc >= 0)
		fifo_pop(n, f);
	return rc;
}

/*
 * Deliver frames waiting for pair p. Returns when the queue has no buffer
 * left (frame kept) or the fifo is empty. qemu: a frame kept holds the
 * pair (rx_held) until a flush.
 */
static void rx_flush(struct net *n, unsigned p)
{
	struct virtq *q = vdev_queue(n->ctx, 2 * p);
	struct fifo *f = &n->rx[p];
	struct virtq_chain c;
	bool mrg = vdev_has_feature(n->ctx, NET_F_MRG_RXBUF), synced = true;
	uint32_t ghl = hdr_len(n);

	if (n->rx_held[p])
		return;
	if (!rx_can_receive(n, p)) {
		n->rx_held[p] = n->pol->rx_held && f->n > 0;
		return;
	}
	if (n->part.active && n->part.pair != p)
		return;
	while (f->n > 0) {
		struct frame *fr = &f->f[f->head];
		uint8_t hdr[HDR_LEN] = { 0 };

		if (!n->part.active && !rx_has_buffers(n, q, ghl + fr->len)) {
			n->rx_held[p] = n->pol->rx_held;
			break;
		}
		if (!n->part.active && !filter_accepts(n, fr->data, fr->len)) {
			vdev_note(n->ctx, "net: rx%u: %u-byte frame dropped by the receive filter", p, fr->len);
			fifo_pop(n, f);
			continue;
		}
		if (!mrg) {
			/*
			 * QEMU writes the 10-byte virtio_net_hdr and leaves num_buffers alone without MRG_RXBUF;
			 * a legacy header has no num_buffers.
			 */
			uint32_t hl = n->pol->rx_hdr_len < ghl ? n->pol->rx_hdr_len : ghl;

			if (virtq_get(q, &c, false) != 1) {
				if (rx_lost(n, p, f))
					continue;
				break;
			}
			if (c.in_len < ghl + fr->len) {
				/*
				 * QEMU drops a frame that does not fit one buffer and leaves the
				 * buffer posted, holding what fitted of the header and the frame.
				 */
				if (n->pol->rx_short_writes) {
					(void)virtq_chain_write(q, &c, 0, hdr, c.in_len < hl ? c.in_len : hl);
					if (c.in_len > ghl)
						(void)virtq_chain_write(q, &c, ghl, fr->data, c.in_len - ghl);
				}
				vdev_note(n->ctx, "net: rx%u: %u-byte frame does not fit the %u-byte buffer: dropped",
				    p, fr->len, c.in_len);
				fifo_pop(n, f);
				continue;
			}
			if (virtq_get(q, &c, true) != 1)
				break;
			le16_store(hdr + HDR_NUM_BUFFERS, 1);
			if (virtq_chain_write(q, &c, 0, hdr, hl) != 0 ||
			    virtq_chain_write(q, &c, ghl, fr->data, fr->len) != 0) {
				rx_txn(n, q, &c, 0, fr->len, "IOERR");
			} else {
				rx_txn(n, q, &c, ghl + fr->len, fr->len, "OK");
				emit_frame(n, false, 2 * p, fr->data, fr->len);
			}
			synced = false;
			fifo_pop(n, f);
			continue;
		}
		if (n->pol->rx_mrg_whole) {
			int rc = rx_mrg_whole(n, p, q, f);

			if (rc < 0)
				goto out;
			synced = synced && rc == 0;
			continue;
		}
		/* Mergeable buffers: header in the first chain, frame spread over as many as needed. */
		while (n->part.off < fr->len || !n->part.active) {
			uint32_t room, k;
			bool first = !n->part.active;

			if (virtq_get(q, &c, true) != 1) {
				if (first && rx_lost(n, p, f))
					goto next;
				goto out;
			}
			room = c.in_len;
			if (first) {
				if (room < HDR_LEN) {
					vdev_violation(n->ctx, "net-rx-buffer-short", (int)(2 * p), c.head, 0, true,
					    "rx buffer %u has %u bytes, less than the %u-byte header", c.head, room, HDR_LEN);
					goto out;
				}
				n->part.active = true;
				n->part.pair = (uint16_t)p;
				n->part.off = 0;
				n->part.nbufs = 0;
				n->part.nb_addr[0] = in_addr(&c, HDR_NUM_BUFFERS);
				n->part.nb_addr[1] = in_addr(&c, HDR_NUM_BUFFERS + 1);
				virtq_chain_write(q, &c, 0, hdr, HDR_LEN);
				room -= HDR_LEN;
			} else if (room == 0) {
				vdev_violation(n->ctx, "net-rx-buffer-short", (int)(2 * p), c.head, 0, true,
				    "rx buffer %u has no device-writable bytes", c.head);
				goto out;
			}
			k = fr->len - n->part.off < room ? fr->len - n->part.off : room;
			virtq_chain_write(q, &c, first ? HDR_LEN : 0, fr->data + n->part.off, k);
			n->part.off += k;
			n->part.nbufs++;
			rx_txn(n, q, &c, (first ? HDR_LEN : 0) + k, fr->len, "OK");
			synced = false;
		}
		{
			uint8_t nb[2];

			/* num_buffers is known only now: store it into the first buffer's header. */
			le16_store(nb, n->part.nbufs);
			vdev_dma_write(n->ctx, n->part.nb_addr[0], nb, 1, "rx num_buffers");
			vdev_dma_write(n->ctx, n->part.nb_addr[1], nb + 1, 1, "rx num_buffers");
		}
		emit_frame(n, false, 2 * p, fr->data, fr->len);
		n->part.active = false;
		fifo_pop(n, f);
next:
		;
	}
out:
	/* A frame half spread over buffers stays unpublished until it is complete. */
	if (!synced && !n->part.active)
		virtq_sync(q);
}

static void rx_flush_all(struct net *n)
{
	for (unsigned p = 0; p < n->max_pairs; p++)
		rx_flush(n, p);
}

/*
 * qemu: QEMU's qemu_flush_queued_packets on pair p (virtio_net_handle_rx
 * on an rx kick, virtio_net_set_status): the pair is looked at again, and
 * the frame parked first is dropped if the device cannot take it at that
 * moment (virtio_net_receive returns -1); can: virtio_net_can_receive then.
 */
static void rx_kick(struct net *n, unsigned p, bool can)
{
	n->rx_held[p] = false;
	if (n->pol->rx_held && !can)
		rx_drop(n, p, 1, ": the device could not take it when QEMU looked again");
}

/*
 * qemu: QEMU's virtio_net_set_status (every status write, VQ_PAIRS_SET,
 * a link change) with status: DRIVER_OK and the link up flush each pair on;
 * QEMU runs it before it takes the status, so what the device can take is
 * judged by the status it had.
 */
static void rx_flush_started(struct net *n, uint8_t status)
{
	unsigned on = vdev_has_feature(n->ctx, NET_F_MQ) ? n->curr_pairs : 1;

	if (!(status & VIRTIO_STATUS_DRIVER_OK) || !(le16_load(n->cfg + CFG_STATUS) & S_LINK_UP))
		return;
	for (unsigned p = 0; p < on && p < n->max_pairs; p++)
		rx_kick(n, p, rx_can_receive(n, p));
}

static void handle_tx(struct net *n, unsigned queue)
{
	struct virtq *q = vdev_queue(n->ctx, queue);
	struct virtq_chain c;
	bool qemu_bh = n->pol->tx_notify_off, refused = false;
	uint32_t ghl = hdr_len(n);

	if (q == NULL)
		return;
	/*
	 * QEMU's tx bottom half: notifications off while it flushes, on again
	 * after it (avail_event = avail idx, or NO_NOTIFY cleared); a chain it
	 * refuses ends the flush with them left off.
	 */
	if (qemu_bh)
		virtq_disable_notify(q);
	while (virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = "tx", .fields = n->fields, .status = "OK" };
		uint32_t len = c.out_len - ghl;

		/* QEMU has pushed and notified the frames before a refused one: publish them first. */
		if (qemu_bh && (c.out_len <= ghl))
			virtq_sync(q);
		/* QEMU 7.2 aborts on this one (iov_copy asserts): both profiles stop the device instead. */
		if (c.out_len < ghl) {
			vdev_violation(n->ctx, "net-tx-header-short", (int)queue, c.head, 0, true,
			    "tx request %u has %u device-readable bytes, less than the %u-byte header",
			    c.head, c.out_len, ghl);
			refused = true;
			break;
		}
		if (len == 0 && n->pol->tx_empty_refused) {
			/* QEMU 7.2: virtio_error "virtio-net nothing to send", the chain is not completed. */
			vdev_violation(n->ctx, "net-tx-empty", (int)queue, c.head, 0, true,
			    "tx request %u holds the header and no frame", c.head);
			refused = true;
			break;
		}
		if (want(n))
			snprintf(n->fields, sizeof n->fields, "len=%u", len);
		if (!(le16_load(n->cfg + CFG_STATUS) & S_LINK_UP))
			info.status = "LINK_DOWN";	/* completed, the frame goes nowhere (QEMU) */
		else
			emit_frame(n, true, queue, c.out + ghl, len);
		virtq_put(q, &c, 0, &info);
	}
	virtq_sync(q);
	if (qemu_bh && !refused)
		virtq_resume_notify(q);
}

static uint8_t ctrl_rx(struct net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	bool on;

	if (len < 1)
		return CTRL_ERR;
	on = d[0] != 0;
	switch (cmd) {
	case 0: n->promisc = on; break;
	case 1: n->allmulti = on; break;
	case 2: n->alluni = on; break;
	case 3: n->nomulti = on; break;
	case 4: n->nouni = on; break;
	case 5: n->nobcast = on; break;
	default: return CTRL_ERR;
	}
	return CTRL_OK;
}

static uint8_t ctrl_mac(struct net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	uint8_t macs[MAC_TABLE_ENTRIES * 6] = { 0 };
	unsigned in_use = 0, first_multi;
	bool uni_over = false, multi_over = false;
	uint32_t uni, multi, off;	/* counts times 6 wrap at 32 bits, as QEMU computes them */

	if (cmd == 1) {			/* ADDR_SET */
		if (len != 6)
			return CTRL_ERR;
		memcpy(n->cfg + CFG_MAC, d, 6);
		return CTRL_OK;
	}
	if (cmd != 0 || len < 4)	/* TABLE_SET */
		return CTRL_ERR;
	uni = le32_load(d);
	off = 4;
	if (uni * 6u > len - off)
		return CTRL_ERR;
	if (uni <= MAC_TABLE_ENTRIES) {
		memcpy(macs, d + off, (size_t)uni * 6);
		in_use = (unsigned)uni;
	} else
		uni_over = true;
	off += uni * 6u;
	first_multi = in_use;
	if (len - off < 4)
		return CTRL_ERR;
	multi = le32_load(d + off);
	off += 4;
	if (multi * 6u != len - off)
		return CTRL_ERR;
	if (multi <= MAC_TABLE_ENTRIES - in_use) {
		memcpy(macs + in_use * 6, d + off, (size_t)multi * 6);
		in_use += (unsigned)multi;
	} else
		multi_over = true;
	n->mac_in_use = in_use;
	n->first_multi = first_multi;
	n->uni_overflow = uni_over;
	n->multi_overflow = multi_over;
	memcpy(n->macs, macs, sizeof macs);
	return CTRL_OK;
}

static uint8_t ctrl_vlan(struct net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	uint16_t vid;

	if (len < 2)
		return CTRL_ERR;
	vid = le16_load(d);
	if (vid >= MAX_VLAN)
		return CTRL_ERR;
	if (cmd == 0)
		n->vlans[vid / 8] |= (uint8_t)(1u << (vid % 8));
	else if (cmd == 1)
		n->vlans[vid / 8] &= (uint8_t)~(1u << (vid % 8));
	else
		return CTRL_ERR;
	return CTRL_OK;
}

static uint8_t ctrl_announce(struct net *n, uint8_t cmd)
{
	uint16_t st = le16_load(n->cfg + CFG_STATUS);

	if (cmd != 0 || !(st & S_ANNOUNCE))
		return CTRL_ERR;
	le16_store(n->cfg + CFG_STATUS, st & ~S_ANNOUNCE);
	return CTRL_OK;
}

static uint8_t ctrl_mq(struct net *n, uint8_t cmd, const uint8_t *d, uint32_t len)
{
	uint16_t pairs;

	if (cmd != 0 || len < 2)	/* only VQ_PAIRS_SET: RSS and hash reporting are not offered */
		return CTRL_ERR;
	pairs = le16_load(d);
	if (pairs < 1 || pairs > n->max_pairs || !vdev_has_feature(n->ctx, NET_F_MQ))
		return CTRL_ERR;
	/*
	 * qemu: a pair turned off loses the frames waiting for it. QEMU 7.2
	 * detaches the pair's tap queue (the kernel drops what it holds) and
	 * purges the frame it had read (tap_disable); under vbox they wait.
	 */
	if (n->pol->drop_on_pair_off)
		for (unsigned p = pairs; p < n->curr_pairs; p++)
			rx_drop(n, p, UINT_MAX, ": the pair is turned off");
	n->curr_pairs = pairs;
	return CTRL_OK;
}

static void handle_ctrl(struct net *n, unsigned queue)
{
	static const char *const classes[] = { "RX", "MAC", "VLAN", "ANNOUNCE", "MQ", "GUEST_OFFLOADS" };
	static const char *const cmds[][6] = {
		{ "PROMISC", "ALLMULTI", "ALLUNI", "NOMULTI", "NOUNI", "NOBCAST" },
		{ "TABLE_SET", "ADDR_SET" },
		{ "ADD", "DEL" },
		{ "ACK" },
		{ "VQ_PAIRS_SET", "RSS_CONFIG", "HASH_CONFIG" },
		{ "SET" },
	};
	struct virtq *q = vdev_queue(n->ctx, queue);
	struct virtq_chain c;

	if (q == NULL)
		return;
	while (virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = n->type, .fields = n->fields };
		uint8_t cls, cmd, status;
		const uint8_t *d;
		uint32_t len;

		if (c.in_len < 1 || c.out_len < 2) {
			vdev_violation(n->ctx, "net-ctrl-missing-headers", (int)queue, c.head, 0, true,
			    "control request %u: %s", c.head, c.in_len < 1 ? "no status byte" : "no class/command");
			break;
		}
		cls = c.out[0];
		cmd = c.out[1];
		d = c.out + 2;
		len = c.out_len - 2;
		switch (cls) {
		case CLASS_RX: status = ctrl_rx(n, cmd, d, len); break;
		case CLASS_MAC: status = ctrl_mac(n, cmd, d, len); break;
		case CLASS_VLAN: status = ctrl_vlan(n, cmd, d, len); break;
		case CLASS_ANNOUNCE: status = ctrl_announce(n, cmd); break;
		case CLASS_MQ: status = ctrl_mq(n, cmd, d, len); break;
		default: status = CTRL_ERR; break;	/* GUEST_OFFLOADS: not offered */
		}
		if (want(n)) {
			const char *cn = cls < 6 && cmd < 6 && cmds[cls][cmd] != NULL ? cmds[cls][cmd] : NULL;

			if (cls < 6 && cn != NULL)
				snprintf(n->type, sizeof n->type, "ctrl %s_%s", classes[cls], cn);
			else
				snprintf(n->type, sizeof n->type, "ctrl class=%u cmd=%u", cls, cmd);
			snprintf(n->fields, sizeof n->fields, "len=%u", len);
			if (cls == CLASS_RX && len >= 1)
				snprintf(n->fields, sizeof n->fields, "on=%u", d[0]);
			else if (cls == CLASS_VLAN && len >= 2)
				snprintf(n->fields, sizeof n->fields, "vid=%u", le16_load(d));
			else if (cls == CLASS_MQ && len >= 2)
				snprintf(n->fields, sizeof n->fields, "pairs=%u", le16_load(d));
		}
		info.status = status == CTRL_OK ? "OK" : "ERR";
		virtq_chain_write(q, &c, 0, &status, 1);
		virtq_put(q, &c, 1, &info);
		if (cls == CLASS_MQ && status == CTRL_OK && n->pol->rx_held)
			rx_flush_started(n, n->driver_ok ? VIRTIO_STATUS_DRIVER_OK : 0);	/* virtio_net_handle_mq */
		if (cls == CLASS_RX || cls == CLASS_MQ || cls == CLASS_MAC)
			rx_flush_all(n);	/* a frame held back may now pass or have a queue */
	}
	virtq_sync(q);
}

static void net_queue_notified(void *dev, unsigned queue)
{
	struct net *n = dev;

	if ((int)queue == ctrl_queue(n))
		handle_ctrl(n, queue);
	else if (queue % 2 == 1)
		handle_tx(n, queue);
	else {
		if (n->pol->rx_held)
			rx_kick(n, queue / 2, rx_can_receive(n, queue / 2));	/* virtio_net_handle_rx */
		rx_flush(n, queue / 2);
	}
}

static void net_features_written(void *dev, uint64_t features);

static void net_reset(void *dev)
{
	struct net *n = dev;
	uint16_t link = le16_load(n->cfg + CFG_STATUS) & S_LINK_UP;

	/* The link is the host's, it survives a reset; filters, MAC and announce go back. */
	memcpy(n->cfg, n->cfg0, NET_CFG_SIZE);
	le16_store(n->cfg + CFG_STATUS, link);
	/*
	 * qemu: virtio_net_reset purges the frame QEMU had read for each pair
	 * (the first waiting); the rest of pair 0 stays in its backend, the
	 * other pairs lose theirs as the reset's feature write (below) detaches
	 * their tap queues. vbox keeps them all.
	 */
	if (n->pol->drop_on_pair_off)
		for (unsigned p = 0; p < n->max_pairs; p++)
			rx_drop(n, p, p == 0 ? 1 : UINT_MAX, " by the reset");
	filter_reset(n);
	n->part.active = false;
	n->driver_ok = false;
	memset(n->rx_held, 0, sizeof n->rx_held);	/* nothing passes before DRIVER_OK, whose write flushes */
	/*
	 * qemu: QEMU 7.2 as Debian ships it (7.2.22) resets the features
	 * through set_features (virtio_reset -> virtio_set_features_nocheck(0),
	 * a stable backport): without MQ the pairs past the first go away.
	 */
	if (n->pol->queues_follow_mq)
		net_features_written(n, 0);
}

/*
 * qemu: QEMU 7.2's virtio_net_set_features -> virtio_net_set_multiqueue on
 * every feature write: pairs 1.. are there only while the features hold MQ,
 * the control queue after the last pair (virtio_net_change_num_queue_pairs);
 * a pair taken away loses the frames QEMU holds for it
 * (qemu_purge_queued_packets). A reset writes features 0 (net_reset).
 */
static void net_features_written(void *dev, uint64_t features)
{
	struct net *n = dev;
	unsigned from[2 * MAX_PAIRS + 1], pairs = (features >> NET_F_MQ & 1) ? n->max_pairs : 1;

	if (!n->pol->queues_follow_mq || !n->has_ctrl || pairs == pairs_there(n))
		return;
	for (unsigned p = pairs; p < n->max_pairs; p++)
		rx_drop(n, p, UINT_MAX, ": the pair's queues are taken away");
	for (unsigned i = 0; i < 2 * pairs; i++)
		from[i] = i;
	from[2 * pairs] = 2 * n->max_pairs;	/* the control queue, its size */
	vdev_set_queues(n->ctx, 2 * pairs + 1, from);
}

static void net_status_written(void *dev, uint8_t status)
{
	struct net *n = dev;

	if (!n->pol->rx_held)
		return;
	rx_flush_started(n, status);
	n->driver_ok = status & VIRTIO_STATUS_DRIVER_OK;
	rx_flush_all(n);
}

static void net_status_changed(void *dev, bool driver_ok)
{
	struct net *n = dev;

	n->driver_ok = driver_ok;
	if (driver_ok)
		rx_flush_all(n);
}

static const uint8_t *net_get_config(void *dev, uint32_t *len)
{
	struct net *n = dev;

	*len = NET_CFG_SIZE;
	return n->cfg;
}

static void net_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct net *n = dev;

	/*
	 * qemu: the MAC bytes a write covers are taken while the driver has
	 * negotiated neither VERSION_1 nor CTRL_MAC_ADDR (QEMU 7.2's
	 * virtio_net_set_config; a reset brings the configured MAC back); every
	 * other byte, and every write under vbox, is ignored.
	 */
	if (n->pol->mac_writable && off < CFG_MAC + 6 && off + len > CFG_MAC &&
	    !vdev_has_feature(n->ctx, VIRTIO_F_VERSION_1) && !vdev_has_feature(n->ctx, NET_F_CTRL_MAC_ADDR)) {
		for (uint32_t i = 0; i < len; i++)
			if (off + i < CFG_MAC + 6)	/* CFG_MAC is 0 */
				n->cfg[off + i] = src[i];
		return;
	}
	vdev_note(n->ctx, "net: config write at %u (%u bytes) ignored", off, len);
}

static int fifo_push(struct net *n, unsigned p, const uint8_t *data, uint32_t len)
{
	struct fifo *f = &n->rx[p];

	if (f->n == RX_FRAMES_MAX || len > RX_BYTES_MAX - n->rx_bytes)
		return -1;
	if (f->n == f->cap) {
		unsigned ncap = f->cap ? f->cap * 2 : 16;
		struct frame *nf = xcalloc(ncap, sizeof *nf);

		for (unsigned i = 0; i < f->n; i++)
			nf[i] = f->f[(f->head + i) % f->cap];
		free(f->f);
		f->f = nf;
		f->cap = ncap;
		f->head = 0;
	}
	f->f[(f->head + f->n) % f->cap].data = xmalloc(len);
	memcpy(f->f[(f->head + f->n) % f->cap].data, data, len);
	f->f[(f->head + f->n) % f->cap].len = len;
	f->n++;
	n->rx_bytes += len;
	return 0;
}

static int net_event(struct net *n, uint64_t code, char **cause)
{
	uint16_t st = le16_load(n->cfg + CFG_STATUS), old = st;

	switch (code) {
	case NET_EV_LINK_DOWN: st &= ~S_LINK_UP; break;
	case NET_EV_LINK_UP: st |= S_LINK_UP; break;
	case NET_EV_ANNOUNCE:
		if (!vdev_has_feature(n->ctx, NET_F_GUEST_ANNOUNCE) || !vdev_has_feature(n->ctx, NET_F_CTRL_VQ))
			return 0;
		st |= S_ANNOUNCE;
		break;
	default:
		return cause_set(cause, "net: unknown event code %llu", (unsigned long long)code);
	}
	le16_store(n->cfg + CFG_STATUS, st);
	if (st != old || code == NET_EV_ANNOUNCE)
		vdev_config_changed(n->ctx);
	if (code != NET_EV_ANNOUNCE && n->pol->rx_held) {
		/* virtio_net_set_link_status runs virtio_net_set_status with the status as it is */
		rx_flush_started(n, n->driver_ok ? VIRTIO_STATUS_DRIVER_OK : 0);
		rx_flush_all(n);
	}
	return 0;
}

static int net_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct net *n = dev;

	if (in->type == VDEV_IN_EVENT)
		return net_event(n, in->addr, cause);
	if (in->type != VDEV_IN_FRAME)
		return cause_set(cause, "net: input type %u is not a frame", in->type);
	if (in->addr >= n->max_pairs)
		return cause_set(cause, "net: frame for queue pair %llu, the device has %u",
		    (unsigned long long)in->addr, n->max_pairs);
	if (in->len == 0 || in->len > FRAME_MAX)
		return cause_set(cause, "net: frame of %u bytes (1 to %u allowed)", in->len, FRAME_MAX);
	if (!(le16_load(n->cfg + CFG_STATUS) & S_LINK_UP)) {
		vdev_note(n->ctx, "net: %u-byte frame dropped: link is down", in->len);
		return 0;
	}
	if (fifo_push(n, (unsigned)in->addr, in->data, in->len) != 0) {
		vdev_note(n->ctx, "net: rx%llu: %u-byte frame dropped: backlog full",
		    (unsigned long long)in->addr, in->len);
		return 0;
	}
	if (n->rx[in->addr].n == 1)
		n->rx_held[in->addr] = false;	/* none parked before it: it is looked at */
	rx_flush(n, (unsigned)in->addr);
	return 0;
}

static void net_save(void *dev, struct buf *out)
{
	struct net *n = dev;

	buf_add_u8(out, NET_STATE_VERSION);
	buf_add(out, n->cfg, NET_CFG_SIZE);
	buf_add_u8(out, (uint8_t)(n->promisc | n->allmulti << 1 | n->alluni << 2 | n->nomulti << 3 |
	    n->nouni << 4 | n->nobcast << 5 | n->uni_overflow << 6 | n->multi_overflow << 7));
	buf_add_u8(out, n->driver_ok);
	buf_add_le16(out, n->curr_pairs);
	buf_add_u8(out, (uint8_t)n->mac_in_use);
	buf_add_u8(out, (uint8_t)n->first_multi);
	buf_add(out, n->macs, sizeof n->macs);
	buf_add(out, n->vlans, sizeof n->vlans);
	buf_add_u8(out, n->part.active);
	buf_add_le16(out, n->part.pair);
	buf_add_le32(out, n->part.off);
	buf_add_le16(out, n->part.nbufs);
	buf_add_le64(out, n->part.nb_addr[0]);
	buf_add_le64(out, n->part.nb_addr[1]);
	buf_add_u8(out, (uint8_t)n->max_pairs);
	for (unsigned p = 0; p < n->max_pairs; p++) {
		struct fifo *f = &n->rx[p];

		buf_add_le32(out, f->n);
		for (unsigned i = 0; i < f->n; i++) {
			struct frame *fr = &f->f[(f->head + i) % f->cap];

			buf_add_le32(out, fr->len);
			buf_add(out, fr->data, fr->len);
		}
	}
	for (unsigned p = 0; p < n->max_pairs; p++)
		buf_add_u8(out, n->rx_held[p]);
}

static int net_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct net *n = dev;
	struct cursor cur, chk;
	uint8_t cfg[NET_CFG_SIZE], flags, drv, in_use, first, macs[MAC_TABLE_ENTRIES * 6], vlans[MAX_VLAN / 8];
	uint8_t ver, held[MAX_PAIRS] = { 0 };
	struct partial part;
	uint16_t curr;
	size_t bytes = 0;

	cursor_init(&cur, p, len);
	ver = cursor_u8(&cur);
	if (ver < 1 || ver > NET_STATE_VERSION || cursor_get(&cur, cfg, sizeof cfg) != 0)
		return cause_set(cause, "net: state has a bad version or is truncated");
	flags = cursor_u8(&cur);
	drv = cursor_u8(&cur);
	curr = cursor_le16(&cur);
	in_use = cursor_u8(&cur);
	first = cursor_u8(&cur);
	cursor_get(&cur, macs, sizeof macs);
	cursor_get(&cur, vlans, sizeof vlans);
	part.active = cursor_u8(&cur);
	part.pair = cursor_le16(&cur);
	part.off = cursor_le32(&cur);
	part.nbufs = cursor_le16(&cur);
	part.nb_addr[0] = cursor_le64(&cur);
	part.nb_addr[1] = cursor_le64(&cur);
	if (cur.err || drv > 1 || curr < 1 || curr > n->max_pairs || in_use > MAC_TABLE_ENTRIES ||
	    first > in_use || cursor_u8(&cur) != n->max_pairs || part.pair >= n->max_pairs)
		return cause_set(cause, "net: state fields out of range or for another device");
	chk = cur;
	for (unsigned q = 0; q < n->max_pairs; q++) {
		uint32_t cnt = cursor_le32(&chk);

		if (chk.err || cnt > RX_FRAMES_MAX)
			return cause_set(cause, "net: state of rx%u is bad", q);
		for (uint32_t i = 0; i < cnt; i++) {
			uint32_t l = cursor_le32(&chk);

			if (chk.err || l == 0 || l > FRAME_MAX || cursor_bytes(&chk, l) == NULL)
				return cause_set(cause, "net: state of rx%u frame %u is bad", q, i);
			bytes += l;
		}
		if (q == part.pair && part.active && (cnt == 0 || part.off > FRAME_MAX))
			return cause_set(cause, "net: state has a partial frame that is not queued");
	}
	for (unsigned q = 0; ver >= 2 && q < n->max_pairs; q++)
		if ((held[q] = cursor_u8(&chk)) > 1 || chk.err)
			return cause_set(cause, "net: state of rx%u is bad", q);
	if (chk.off != chk.len || bytes > RX_BYTES_MAX)
		return cause_set(cause, "net: state has junk after it or too many bytes queued");
	memcpy(n->cfg, cfg, sizeof cfg);
	n->promisc = flags & 1;
	n->allmulti = (flags >> 1) & 1;
	n->alluni = (flags >> 2) & 1;
	n->nomulti = (flags >> 3) & 1;
	n->nouni = (flags >> 4) & 1;
	n->nobcast = (flags >> 5) & 1;
	n->uni_overflow = (flags >> 6) & 1;
	n->multi_overflow = (flags >> 7) & 1;
	n->driver_ok = drv;
	n->curr_pairs = curr;
	n->mac_in_use = in_use;
	n->first_multi = first;
	memcpy(n->macs, macs, sizeof macs);
	memcpy(n->vlans, vlans, sizeof vlans);
	n->part = part;
	n->part.active = part.active != 0;
	n->rx_bytes = 0;
	for (unsigned q = 0; q < n->max_pairs; q++) {
		uint32_t cnt = cursor_le32(&cur);

		n->rx_held[q] = held[q] != 0;
		fifo_clear(&n->rx[q]);
		for (uint32_t i = 0; i < cnt; i++) {
			uint32_t l = cursor_le32(&cur);

			fifo_push(n, q, cursor_bytes(&cur, l), l);
		}
	}
	return 0;
}

/*
 * QEMU 7.2 virtio-net-pci on a backend without a vnet header (no offloads):
 * no MTU, MQ or SPEED_DUPLEX, but CTRL_GUEST_OFFLOADS; queues 256 256 and a
 * 64-entry control queue; MSI-X 2 * pairs + 2; config up to status.
 */
static const struct vdev_defaults net_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES | (1ull << NET_F_CTRL_GUEST_OFFLOADS) | (1ull << NET_F_MAC) |
	    (1ull << NET_F_MRG_RXBUF) | (1ull << NET_F_STATUS) | (1ull << NET_F_CTRL_VQ) | (1ull << NET_F_CTRL_RX) |
	    (1ull << NET_F_CTRL_VLAN) | (1ull << NET_F_CTRL_RX_EXTRA) | (1ull << NET_F_GUEST_ANNOUNCE) |
	    (1ull << NET_F_CTRL_MAC_ADDR),
	.legacy_features = 1u << NET_F_GSO,	/* in host_features, hidden from the modern interface */
	/* virtio_net_bad_features: MAC, CSUM, HOST_TSO4, HOST_TSO6, HOST_ECN (here only MAC is offered) */
	.bad_features = 1u << NET_F_MAC | 1u << NET_F_CSUM | 1u << NET_F_HOST_TSO4 | 1u << NET_F_HOST_TSO6 |
	    1u << NET_F_HOST_ECN,
	.nqueues = 3,
	.queue_size = { 256, 256, 64 },
	.mq_features = 1ull << NET_F_MQ,	/* more than one pair: mq=on on a backend with as many queues */
	.ctrl_last = true,
	.pci_class = 0x020000,
	.rom_size = 0x40000,		/* romfile efi-virtio.rom: the ROM BAR at 0x30 sizes as 256 KiB */
	.config_min = CFG_MAC + 6,
	.config_ends = { { NET_F_STATUS, CFG_STATUS + 2 }, { NET_F_MQ, CFG_MAX_PAIRS + 2 }, { NET_F_MTU, CFG_MTU + 2 },
	    { NET_F_SPEED_DUPLEX, CFG_DUPLEX + 1 } },
};

const struct vdev_ops vdev_net_ops = {
	.name = "net",
	.id = VIRTIO_ID_NET,
	.pci_class = 0x02, .pci_subclass = 0x00, .pci_progif = 0x00,	/* ethernet controller */
	.features = (1ull << NET_F_MTU) | (1ull << NET_F_MAC) | (1ull << NET_F_MRG_RXBUF) |
	    (1ull << NET_F_STATUS) | (1ull << NET_F_CTRL_VQ) | (1ull << NET_F_CTRL_RX) |
	    (1ull << NET_F_CTRL_VLAN) | (1ull << NET_F_CTRL_RX_EXTRA) | (1ull << NET_F_GUEST_ANNOUNCE) |
	    (1ull << NET_F_MQ) | (1ull << NET_F_CTRL_MAC_ADDR) | (1ull << NET_F_SPEED_DUPLEX),
	.default_queues = 3,
	.devcfg_size = NET_CFG_SIZE,
	.queue_name = net_queue_name,
	.default_config = net_default_config,
	.defaults = { [VDEV_LAYOUT_QEMU] = &net_qemu },
	.create = net_create,
	.destroy = net_destroy,
	.reset = net_reset,
	.status_changed = net_status_changed,
	.status_written = net_status_written,
	.features_written = net_features_written,
	.queue_notified = net_queue_notified,
	.get_config = net_get_config,
	.cfg_write = net_cfg_write,
	.input = net_input,
	.save = net_save,
	.load = net_load,
};
