/* net-data.c -- virtio-net's frames: the receive path (filter, waiting frames, buffers, mergeable) and transmit */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"
#include "net-int.h"

bool net_want(struct net *n)
{
	return evbus_wants(vdev_bus(n->ctx), VR_EV_TXN);
}

void net_emit_frame(struct net *n, bool tx, unsigned queue, const uint8_t *p, uint32_t len)
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
	/* vbox: the table filters only with CTRL_VLAN; qemu: always (net_features_written fills it) */
	if (p[12] == 0x81 && p[13] == 0x00 && len >= 16 &&
	    (n->pol->vlan_by_features || vdev_has_feature(n->ctx, NET_F_CTRL_VLAN))) {
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
void net_rx_drop(struct net *n, unsigned p, unsigned max, const char *why)
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

	if (net_want(n))
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

/*
 * QEMU's virtio_net_can_receive: DRIVER_OK, the pair on, its rx ring there
 * (qemu: on a broken device too). qemu: the ring is the virtqueue at index
 * 2p, whatever it is now: with MQ taken away by a feature write after
 * VQ_PAIRS_SET, the control queue for pair 1 (n->vqs[1].rx_vq still points
 * at vq[2], where virtio_add_queue put the control queue; it kept rx1's
 * ring), and past it a queue taken away, which virtio_del_queue leaves its
 * ring addresses: ready if they were set (rx_flush_gone says what then).
 */
bool net_rx_can_receive(struct net *n, unsigned p)
{
	struct virtq *q = vdev_queue(n->ctx, 2 * p);

	if (!n->driver_ok || p >= n->curr_pairs)
		return false;
	if (q == NULL)
		return n->pol->rx_gone_ring && vdev_queue_gone(n->ctx, 2 * p, NULL);
	return n->pol->rx_held ? virtq_size(q) != 0 : virtq_is_enabled(q);
}

/*
 * qemu: QEMU 7.2 on the frames for pair p whose rx queue a feature write
 * without MQ took away after its ring was set (net_rx_can_receive said
 * yes). virtio_del_queue zeroed the queue's size and dropped its region
 * caches but left last_avail_idx and shadow_avail_idx, and without caches
 * virtio_queue_empty reads avail idx as 0: the ring is empty to it only
 * while both are 0, that is while QEMU has taken no buffer there and seen
 * none (rx_seen). Empty, on a broken device, or with MRG_RXBUF
 * (virtqueue_get_avail_bytes counts nothing without caches): the frame
 * waits and holds the pair, with no ring read. Else
 * virtio_net_has_buffers says yes; a frame the receive filter refuses is
 * dropped, and for one it takes virtqueue_pop finds inuse >= size 0:
 * virtio_error "Virtqueue size exceeded" (the device needs a reset, a
 * configuration interrupt) and virtio_net_receive returns -1: the frame is
 * lost. The next one waits on the broken device.
 */
static void rx_flush_gone(struct net *n, unsigned p)
{
	struct fifo *f = &n->rx[p];
	uint16_t last = 0;

	while (f->n > 0) {
		struct frame *fr = &f->f[f->head];

		(void)vdev_queue_gone(n->ctx, 2 * p, &last);
		if (vdev_has_feature(n->ctx, NET_F_MRG_RXBUF) || vdev_broken(n->ctx) || (last == 0 && !n->rx_seen[p])) {
			n->rx_held[p] = true;
			return;
		}
		if (!filter_accepts(n, fr->data, fr->len)) {
			vdev_note(n->ctx, "net: rx%u: %u-byte frame dropped by the receive filter", p, fr->len);
			fifo_pop(n, f);
			continue;
		}
		vdev_violation(n->ctx, "net-rx-queue-gone", (int)(2 * p), -1, 0, true,
		    "rx%u: a frame for queue %u, taken away (size 0), its ring at avail slot %u: Virtqueue size exceeded",
		    p, 2 * p, last);
		vdev_note(n->ctx, "net: rx%u: %u-byte frame lost", p, fr->len);
		fifo_pop(n, f);
	}
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
 * first buffer's bytes 10 and 11 would show. A first chain smaller than
 * the header stays the violation it is under vbox: QEMU 7.2 aborts on it
 * (an assertion in iov_copy below 10 bytes, in iov_from_buf_full at 10
 * or 11).
 * Returns 1 when the frame is placed, 0 when it is lost, -1 when it waits
 * (that first chain).
 */
int net_rx_mrg_whole(struct net *n, unsigned p, struct virtq *q, struct fifo *f)
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
		net_emit_frame(n, false, 2 * p, fr->data, fr->len);
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
void net_rx_flush(struct net *n, unsigned p)
{
	struct virtq *q = vdev_queue(n->ctx, 2 * p);
	struct fifo *f = &n->rx[p];
	struct virtq_chain c;
	bool mrg = vdev_has_feature(n->ctx, NET_F_MRG_RXBUF), synced = true;
	uint32_t ghl = net_hdr_len(n);

	if (n->rx_held[p])
		return;
	if (!net_rx_can_receive(n, p)) {
		n->rx_held[p] = n->pol->rx_held && f->n > 0;
		return;
	}
	if (q == NULL) {
		rx_flush_gone(n, p);
		return;
	}
	if (n->part.active && n->part.pair != p)
		return;
	while (f->n > 0) {
		struct frame *fr = &f->f[f->head];
		uint8_t hdr[HDR_LEN] = { 0 };

		if (n->pol->rx_gone_ring && !n->part.active && !virtq_is_empty(q))
			n->rx_seen[p] = true;
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
				net_emit_frame(n, false, 2 * p, fr->data, fr->len);
			}
			synced = false;
			fifo_pop(n, f);
			continue;
		}
		if (n->pol->rx_mrg_whole) {
			int rc = net_rx_mrg_whole(n, p, q, f);

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
		net_emit_frame(n, false, 2 * p, fr->data, fr->len);
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

void net_rx_flush_all(struct net *n)
{
	for (unsigned p = 0; p < n->max_pairs; p++)
		net_rx_flush(n, p);
}

/*
 * qemu: QEMU's qemu_flush_queued_packets on pair p (virtio_net_handle_rx
 * on an rx kick, virtio_net_set_status): the pair is looked at again, and
 * the frame parked first is dropped if the device cannot take it at that
 * moment (virtio_net_receive returns -1); can: virtio_net_can_receive then.
 */
void net_rx_kick(struct net *n, unsigned p, bool can)
{
	n->rx_held[p] = false;
	if (n->pol->rx_held && !can)
		net_rx_drop(n, p, 1, ": the device could not take it when QEMU looked again");
}

/*
 * qemu: QEMU's virtio_net_set_status (every status write, VQ_PAIRS_SET,
 * a link change) with status: DRIVER_OK and the link up flush each pair on;
 * QEMU runs it before it takes the status, so what the device can take is
 * judged by the status it had.
 */
void net_rx_flush_started(struct net *n, uint8_t status)
{
	unsigned on = vdev_has_feature(n->ctx, NET_F_MQ) ? n->curr_pairs : 1;

	if (!(status & VIRTIO_STATUS_DRIVER_OK) || !(le16_load(n->cfg + CFG_STATUS) & S_LINK_UP))
		return;
	for (unsigned p = 0; p < on && p < n->max_pairs; p++)
		net_rx_kick(n, p, net_rx_can_receive(n, p));
}

void net_handle_tx(struct net *n, unsigned queue)
{
	struct virtq *q = vdev_queue(n->ctx, queue);
	struct virtq_chain c;
	bool qemu_bh = n->pol->tx_notify_off, refused = false;
	uint32_t ghl = net_hdr_len(n);

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
		if (net_want(n))
			snprintf(n->fields, sizeof n->fields, "len=%u", len);
		if (!(le16_load(n->cfg + CFG_STATUS) & S_LINK_UP))
			info.status = "LINK_DOWN";	/* completed, the frame goes nowhere (QEMU) */
		else
			net_emit_frame(n, true, queue, c.out + ghl, len);
		virtq_put(q, &c, 0, &info);
	}
	virtq_sync(q);
	if (qemu_bh && !refused)
		virtq_resume_notify(q);
}
