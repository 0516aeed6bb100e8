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

int scn_start(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features, char **cause);
int scn_blk_req(struct io *x, uint32_t type, uint64_t sector, uint32_t len, unsigned no, char **cause);
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
