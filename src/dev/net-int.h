/* net-int.h -- virtio-net's state, shared by net.c (device), net-data.c (rx and tx) and net-ctrl.c (control queue) */
#ifndef VR_NET_INT_H
#define VR_NET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vr/vdev.h"

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

#define NET_STATE_VERSION	3	/* 2: rx_held per pair; 3: rx_seen in its bit 1 */

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
struct net_policy {
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
	/* QEMU's virtio_net_set_features: each feature write clears the VLAN table (CTRL_VLAN) or sets it all, which the filter reads whatever was negotiated */
	bool vlan_by_features;
	/* QEMU's rx queue taken away (size 0) keeps its ring and last_avail_idx: a frame for it waits, or breaks the device */
	bool rx_gone_ring;
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
	/*
	 * qemu: QEMU found buffers on the pair's rx ring (queue 2p) when it
	 * looked for a frame, since the last reset. With none taken
	 * (last_avail_idx 0: the filter dropped the frames, or they did not
	 * fit) its shadow_avail_idx stays ahead, and a queue taken away is not
	 * empty to it (net-data.c, rx_flush_gone).
	 */
	bool rx_seen[MAX_PAIRS];
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

unsigned net_pairs_there(const struct net *n);
uint32_t net_hdr_len(const struct net *n);
bool net_want(struct net *n);
void net_emit_frame(struct net *n, bool tx, unsigned queue, const uint8_t *p, uint32_t len);
void net_rx_drop(struct net *n, unsigned p, unsigned max, const char *why);
bool net_rx_can_receive(struct net *n, unsigned p);
int net_rx_mrg_whole(struct net *n, unsigned p, struct virtq *q, struct fifo *f);
void net_rx_flush(struct net *n, unsigned p);
void net_rx_flush_all(struct net *n);
void net_rx_kick(struct net *n, unsigned p, bool can);
void net_rx_flush_started(struct net *n, uint8_t status);
void net_handle_tx(struct net *n, unsigned queue);
void net_handle_ctrl(struct net *n, unsigned queue);

#endif
