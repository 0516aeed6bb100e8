/* scenarios-int.h -- what the normal and the misbehaviour scenarios share */
#ifndef VR_SCENARIOS_INT_H
#define VR_SCENARIOS_INT_H

#include <stdint.h>

#include "vr/guest.h"
#include "vr/record.h"

#define BLK_T_IN	0
#define BLK_T_OUT	1
#define BLK_T_FLUSH	4
#define BLK_T_GET_ID	8

#define SECTOR		512u
#define DISK_SECTORS	2048u		/* the recorder's 1 MiB disk */
#define INPUT_EVENT	8u		/* struct virtio_input_event: type, code (le16), value (le32) */

/* A guest plus what the scenario needs to complete requests. */
struct io {
	struct record *rec;
	struct guest *g;
	enum guest_irq_mode irq;
	unsigned flags;			/* GUEST_ADD_* for every chain */
	uint64_t intx_seen;
	uint64_t features;		/* what the guest asked for (0: all offered) */
	unsigned rx_posted;		/* net/console receive buffers outstanding */
	uint64_t last_written;		/* blk/scsi: read back what was written */
};

/* the requests of each device type (scenarios-io.c) */
int scn_start(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features, char **cause);
int scn_start_sized(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features,
    uint64_t data_size, char **cause);
/* Wait for n used entries on queue q and read back what the device wrote. */
int scn_complete(struct io *x, unsigned q, unsigned n, char **cause);
int scn_blk_req(struct io *x, uint32_t type, uint64_t sector, uint32_t len, unsigned no, char **cause);
/* One flush on queue 0 (header, status byte), not kicked: its head, or -1. */
int scn_flush_add(struct io *x, char **cause);
/* The device type's set-up (receive buffers posted, ...), then requests first.. first+n-1. */
int scn_io_setup(struct io *x, char **cause);
int scn_io_run(struct io *x, unsigned first, unsigned n, char **cause);

/*
 * The request a driver of a type without a model sends on its first queue
 * (virtio spec section 5), so traces of unmodelled devices look like real
 * drivers'; the device only validates and completes (used len 0) or holds them.
 */
struct scn_gen_req {
	uint8_t id;			/* 0: any other type */
	uint16_t out_len, in_len;
	const char *what;
};
const struct scn_gen_req *scn_gen_req_find(uint8_t id);
/* Post one such request on queue 0; wait: for its completion, unless generic-requests hold. */
int scn_gen_post(struct io *x, unsigned no, bool wait, char **cause);
uint64_t scn_data_addr(struct record *rec, uint64_t off);

/* guest misbehaviour, one scenario per violation (scenarios-bad.c) */
int v_desc_loop(struct record *rec, char **cause);
int v_desc_next_range(struct record *rec, char **cause);
int v_avail_head_range(struct record *rec, char **cause);
int v_avail_idx_jump(struct record *rec, char **cause);
int v_indirect_bad_len(struct record *rec, char **cause);
int v_indirect_nested(struct record *rec, char **cause);
int v_indirect_with_next(struct record *rec, char **cause);
int v_indirect_outside_ram(struct record *rec, char **cause);
int v_desc_order(struct record *rec, char **cause);
int v_desc_zero_len(struct record *rec, char **cause);
int v_sg_too_many(struct record *rec, char **cause);
int v_chain_len_overflow(struct record *rec, char **cause);
int v_buffer_outside_ram(struct record *rec, char **cause);
int v_ring_addr_bad(struct record *rec, char **cause);
int v_queue_size_bad(struct record *rec, char **cause);
int v_queue_select_range(struct record *rec, char **cause);
int v_queue_not_ready(struct record *rec, char **cause);
int v_queue_enable_bad(struct record *rec, char **cause);
int v_too_many_in_flight(struct record *rec, char **cause);
int v_features_bad(struct record *rec, char **cause);
int v_devcfg_range(struct record *rec, char **cause);
int v_bar_access_bad(struct record *rec, char **cause);
int v_checkpoint_bad(struct record *rec, char **cause);

#endif
