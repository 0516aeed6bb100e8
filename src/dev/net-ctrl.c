/* net-ctrl.c -- virtio-net's control queue: rx mode, MAC and VLAN tables, announce, VQ_PAIRS_SET, offloads */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"
#include "net-int.h"

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
			net_rx_drop(n, p, UINT_MAX, ": the pair is turned off");
	n->curr_pairs = pairs;
	return CTRL_OK;
}

void net_handle_ctrl(struct net *n, unsigned queue)
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
		if (net_want(n)) {
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
			net_rx_flush_started(n, n->driver_ok ? VIRTIO_STATUS_DRIVER_OK : 0);	/* virtio_net_handle_mq */
		if (cls == CLASS_RX || cls == CLASS_MQ || cls == CLASS_MAC)
			net_rx_flush_all(n);	/* a frame held back may now pass or have a queue */
	}
	virtq_sync(q);
}
