/* net.c -- virtio-net: rx frames from the trace, tx frames out as events, control queue as QEMU answers it */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"
#include "net-int.h"

static const struct net_policy net_policies[] = {
	[VDEV_LAYOUT_QEMU] = { .rx_room_check = true, .rx_hdr_len = HDR_NUM_BUFFERS, .rx_short_writes = true,
	    .tx_notify_off = true, .tx_empty_refused = true, .drop_on_pair_off = true, .queues_follow_mq = true,
	    .mac_writable = true, .rx_held = true, .rx_mrg_whole = true, .vlan_by_features = true,
	    .rx_gone_ring = true },
	[VDEV_LAYOUT_VBOX] = { .rx_hdr_len = HDR_LEN },
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
	if (n->pol->vlan_by_features)
		memset(n->vlans, 0xff, sizeof n->vlans);	/* the machine reset's features 0 (net_reset) */
	return n;
}

/* The control queue's index now (QEMU moves it when pairs come and go), -1 if none. */
static int ctrl_queue(const struct net *n)
{
	return n->has_ctrl ? (int)vdev_num_queues(n->ctx) - 1 : -1;
}

/* Pairs whose queues are there now. */
unsigned net_pairs_there(const struct net *n)
{
	return (vdev_num_queues(n->ctx) - n->has_ctrl) / 2;
}

/*
 * The header before each frame: 12 bytes with num_buffers under VERSION_1
 * or MRG_RXBUF, else the legacy 10-byte virtio_net_hdr (spec 5.1.6.1;
 * QEMU's guest_hdr_len from virtio_net_set_mrg_rx_bufs).
 */
uint32_t net_hdr_len(const struct net *n)
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

static void net_queue_notified(void *dev, unsigned queue)
{
	struct net *n = dev;

	if ((int)queue == ctrl_queue(n))
		net_handle_ctrl(n, queue);
	else if (queue % 2 == 1)
		net_handle_tx(n, queue);
	else {
		if (n->pol->rx_held)
			net_rx_kick(n, queue / 2, net_rx_can_receive(n, queue / 2));	/* virtio_net_handle_rx */
		net_rx_flush(n, queue / 2);
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
	 * qemu: virtio_net_reset flushes only what the device sent (the tap's
	 * incoming queue); the frame QEMU parked for pair 0 stays parked, the
	 * rest in its backend, and the DRIVER_OK write that follows drops the
	 * parked one (net_rx_flush_started). The other pairs lose theirs as the
	 * reset's feature write (below) detaches their tap queues. vbox keeps
	 * them all.
	 */
	if (n->pol->drop_on_pair_off)
		for (unsigned p = 1; p < n->max_pairs; p++)
			net_rx_drop(n, p, UINT_MAX, " by the reset");
	filter_reset(n);
	n->part.active = false;
	n->driver_ok = false;
	memset(n->rx_held, 0, sizeof n->rx_held);	/* nothing passes before DRIVER_OK, whose write flushes */
	memset(n->rx_seen, 0, sizeof n->rx_seen);	/* QEMU's reset zeroes every shadow_avail_idx */
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
 * the control queue after the last pair (virtio_net_change_num_queue_pairs).
 * The pairs VQ_PAIRS_SET turned on stay on: curr_queue_pairs is left alone,
 * virtio_net_set_queue_pairs keeps their taps attached, and what
 * virtio_net_del_queue purges (qemu_purge_queued_packets on the NIC's side)
 * is what the pair sent, not its frames. So pair p's frames wait or come
 * through whatever queue has index 2p now (net_rx_can_receive). A reset
 * writes features 0 (net_reset), after taking the pairs off.
 */
static void net_features_written(void *dev, uint64_t features)
{
	struct net *n = dev;
	unsigned from[2 * MAX_PAIRS + 1], pairs = (features >> NET_F_MQ & 1) ? n->max_pairs : 1;

	/* qemu: the VLAN table starts over on every feature write, empty with CTRL_VLAN, all on without */
	if (n->pol->vlan_by_features)
		memset(n->vlans, (features >> NET_F_CTRL_VLAN & 1) ? 0 : 0xff, sizeof n->vlans);
	if (!n->pol->queues_follow_mq || !n->has_ctrl || pairs == net_pairs_there(n))
		return;
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
	net_rx_flush_started(n, status);
	n->driver_ok = status & VIRTIO_STATUS_DRIVER_OK;
	net_rx_flush_all(n);
}

static void net_status_changed(void *dev, bool driver_ok)
{
	struct net *n = dev;

	n->driver_ok = driver_ok;
	if (driver_ok)
		net_rx_flush_all(n);
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
		net_rx_flush_started(n, n->driver_ok ? VIRTIO_STATUS_DRIVER_OK : 0);
		net_rx_flush_all(n);
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
	net_rx_flush(n, (unsigned)in->addr);
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
		buf_add_u8(out, (uint8_t)(n->rx_held[p] | n->rx_seen[p] << 1));
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
		if ((held[q] = cursor_u8(&chk)) > (ver >= 3 ? 3 : 1) || chk.err)
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

		n->rx_held[q] = held[q] & 1;
		n->rx_seen[q] = held[q] >> 1 & 1;
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
