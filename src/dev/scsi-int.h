/* scsi-int.h -- between the virtio-scsi framing (scsi.c) and the SCSI disk it carries (scsi-disk.c) */
#ifndef VR_DEV_SCSI_INT_H
#define VR_DEV_SCSI_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vr/buf.h"
#include "vr/vdev.h"
#include "vr/virtq.h"

/*
 * The split follows QEMU's: scsi.c is hw/scsi/virtio-scsi.c (request and
 * response framing, LUN addressing, task management, events, the control
 * queue); scsi-disk.c is hw/scsi/scsi-bus.c plus scsi-disk.c (what a command
 * means: unit attentions, the target's answers for LUNs it lacks, the disk's
 * emulated commands and its reads and writes). The framing hands the disk a
 * struct scsi_req; the disk moves the data through the chain and says how
 * the command ended.
 */

#define SCSI_BLOCK		512u
#define SCSI_GOOD		0x00
#define SCSI_CHECK_CONDITION	0x02
#define SCSI_KEY_UNIT_ATTENTION	0x06

struct scsi_sense {
	uint8_t key, asc, ascq;
};

enum scsi_xfer_mode { SCSI_XFER_NONE, SCSI_XFER_FROM_DEV, SCSI_XFER_TO_DEV };

/* Which code answers a command (QEMU's SCSIReqOps), chosen when the request is made. */
enum scsi_ops { SCSI_OPS_DISK, SCSI_OPS_TARGET, SCSI_OPS_UNIT_ATTENTION, SCSI_OPS_INVALID_OPCODE,
	SCSI_OPS_INVALID_FIELD };

/* One command, from the framing to the disk and back. */
struct scsi_req {
	/* the framing fills these */
	const uint8_t *cdb;		/* cdb_size bytes, readable 16 bytes past them (zeros) */
	uint32_t cdb_size;
	uint32_t lun;			/* on target 0 */
	struct virtq *q;
	struct virtq_chain *c;
	uint32_t in_off, din;		/* data-in area: where it starts in the IN bytes, its size */
	const uint8_t *out;		/* data-out bytes */
	uint32_t dout;
	/* scsi_disk_new_req */
	enum scsi_ops ops;
	uint64_t xfer;			/* what the CDB asks to move (QEMU's cmd.xfer) */
	enum scsi_xfer_mode mode;
	/* scsi_disk_run */
	uint8_t status;
	struct scsi_sense sense;
	uint32_t resid;
	bool later;			/* QEMU's block layer answered (aio): the completion comes after the notify */
};

struct scsi_disk;

/*
 * The LUN (target 0, LUN 0) on its backend; qemu: QEMU 7.2's answers where
 * the profiles differ; disk: VDEV_DISK_* (discard mode, write cache).
 */
struct scsi_disk *scsi_disk_new(struct vdev_ctx *ctx, const struct vdev_backend *be, const char *serial, bool qemu,
    unsigned disk, char **cause);
void scsi_disk_free(struct scsi_disk *d);
bool scsi_disk_present(const struct scsi_disk *d);
/* Hot-plug: attach (with REPORTED LUNS DATA HAS CHANGED) or detach the LUN. */
void scsi_disk_plug(struct scsi_disk *d, bool present);
/* A reset of the LUN (bus reset, LOGICAL UNIT RESET, I_T NEXUS RESET): the unit attention it leaves. */
void scsi_disk_reset(struct scsi_disk *d);
/* The disk changed size under the guest (CAPACITY DATA HAS CHANGED). */
void scsi_disk_changed(struct scsi_disk *d);
int scsi_disk_input(struct scsi_disk *d, uint64_t addr, const uint8_t *data, uint32_t len, char **cause);

/* QEMU's scsi_req_new: which code answers, what the CDB moves (before the framing checks the buffers). */
void scsi_disk_new_req(struct scsi_disk *d, struct scsi_req *r);
/* Run it: data through the chain, then status, sense and residual. */
void scsi_disk_run(struct scsi_disk *d, struct scsi_req *r);
/* After the notify: the end of a command the block layer answers (r->later), once every other has ended. */
void scsi_disk_end(struct scsi_disk *d, const struct scsi_req *r);
/* The sense data as autosense delivers it (fixed format, at most len bytes); clears a reported unit attention. */
uint32_t scsi_disk_autosense(struct scsi_disk *d, const struct scsi_req *r, uint8_t *p, uint32_t len);

/* For the TXN event: the command's name, and a READ/WRITE's block range. */
const char *scsi_op_name(const uint8_t *cdb, char *tmp, size_t n);
bool scsi_rw_decode(const uint8_t *cdb, uint64_t *lba, uint32_t *blocks, bool *write);

void scsi_disk_save(const struct scsi_disk *d, struct buf *out);
int scsi_disk_load(struct scsi_disk *d, struct cursor *cur, char **cause);

#endif
