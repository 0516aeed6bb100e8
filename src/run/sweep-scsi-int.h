/* sweep-scsi-int.h -- the SCSI sweep's guest and command framing, shared by sweep-scsi.c and sweep-scsi-cdb.c */
#ifndef VR_SWEEP_SCSI_INT_H
#define VR_SWEEP_SCSI_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "vr/guest.h"
#include "vr/record.h"

#define SS_CTRLQ	0
#define SS_REQQ		2
#define SS_REQ_HDR	19u		/* lun[8] tag[8] task_attr prio crn */
#define SS_RESP_HDR	12u		/* sense_len resid status_qualifier status response */
#define SS_BLOCK	512u
#define SS_DISK_BLOCKS	2048u		/* the recorder's 1 MiB disk */
#define SS_MAX_DATA	65536u
#define SS_BATCH_DATA	16384u		/* a batch's data buffers at most */
#define SS_CFG_SENSE	20u		/* virtio_scsi_config.sense_size */
#define SS_CFG_CDB	24u		/* virtio_scsi_config.cdb_size */

/* A buffer of a command laid over the device-writable area of the command before it in the batch. */
enum { SS_OVER_NONE, SS_OVER_HDR, SS_OVER_DOUT, SS_OVER_RESP, SS_OVER_DIN };

struct ss {
	struct record *rec;
	struct guest *g;
	uint64_t hot;			/* the last write's blocks, where reads, UNMAP and WRITE SAME aim */
	uint32_t hot_n;
	unsigned follow;		/* 1 after a write of them, 2 after an UNMAP or WRITE SAME on them */
	uint32_t sense_size, cdb_size;
	uint32_t bs;			/* the block size and count as the last READ CAPACITY reported them */
	uint64_t nblocks;
	bool ask_capacity;		/* a MODE SELECT sent a block descriptor: often READ CAPACITY next */
	uint8_t marker;			/* what unwritten IN bytes hold, new per request */
	int last_head;			/* the head ss_post added */
	unsigned over;			/* ss_post: lay this buffer (SS_OVER_*) inside [over_addr, + over_len) */
	uint64_t over_addr;
	uint32_t over_len;
	uint8_t data[SS_MAX_DATA];
	uint8_t fill[SS_MAX_DATA + SS_RESP_HDR + 256];
};

/* One command as the guest frames it. */
struct ss_cmd {
	uint8_t lun[8];
	uint8_t cdb[32];
	uint32_t dout, din;		/* data buffer sizes (0: none) */
	uint8_t param[512];		/* the first nparam bytes of the data-out buffer (else a pattern) */
	uint32_t nparam;
	bool zero_rest;			/* the data-out bytes past nparam are zeros, not the pattern */
	const char *what;
};

uint64_t ss_rnd(struct ss *s, uint64_t n);
void ss_any_lun(struct ss *s, uint8_t *lun);
void ss_any_lun_zero(uint8_t *lun);
void ss_any_cmd(struct ss *s, struct ss_cmd *c);
void ss_any_sync_cmd(struct ss *s, struct ss_cmd *c);
void ss_cmd_rw(struct ss *s, struct ss_cmd *c);
void ss_cmd_mode_select_wce(struct ss *s, struct ss_cmd *c);

#endif
