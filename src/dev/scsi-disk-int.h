/* scsi-disk-int.h -- the SCSI disk's state and helpers, shared by scsi-bus.c, scsi-disk.c and scsi-disk-data.c */
#ifndef VR_DEV_SCSI_DISK_INT_H
#define VR_DEV_SCSI_DISK_INT_H
#include <stdbool.h>
#include <stdint.h>

#include "scsi-int.h"

/*
 * QEMU's split, one level down from scsi-int.h's: scsi-bus.c is QEMU's
 * hw/scsi/scsi-bus.c (what a CDB moves, the code that answers a command,
 * unit attentions, sense, the target's answers for LUNs it lacks);
 * scsi-disk.c and scsi-disk-data.c are hw/scsi/scsi-disk.c (scsi-hd): the
 * emulated commands that answer with data, and those that take data or
 * move blocks.
 */

#define EMU_MAX		65536u		/* scsi-disk refuses emulated commands moving more */
#define EMU_BUF		(EMU_MAX + 4096u)
#define INQUIRY_MAX	256u

/* VPD limits of QEMU 7.2's scsi-hd with default properties, in bytes: page 0xb0 divides them by the block size. */
#define MAX_UNMAP_BYTES		(1u << 30)
#define MAX_IO_BYTES		0x7fffffffu
#define DISCARD_BYTES		4096u
#define MAX_UNMAP_DESCR		255u
#define WRITE_SAME_CHUNK	(512u * 1024)	/* QEMU writes a WRITE SAME pattern from a buffer this long at most */
#define MODE_LEN_MAX		256	/* QEMU's SCSI_MAX_MODE_LEN: a page MODE SELECT may name */

/* opcodes */
#define OP_TEST_UNIT_READY	0x00
#define OP_REQUEST_SENSE	0x03
#define OP_FORMAT_UNIT		0x04
#define OP_READ_6		0x08
#define OP_WRITE_6		0x0a
#define OP_INQUIRY		0x12
#define OP_MODE_SELECT		0x15
#define OP_RESERVE		0x16
#define OP_RELEASE		0x17
#define OP_MODE_SENSE		0x1a
#define OP_START_STOP		0x1b
#define OP_ALLOW_REMOVAL	0x1e
#define OP_READ_CAPACITY_10	0x25
#define OP_READ_10		0x28
#define OP_WRITE_10		0x2a
#define OP_SEEK_10		0x2b
#define OP_VERIFY_10		0x2f
#define OP_SYNC_CACHE		0x35
#define OP_WRITE_SAME_10	0x41
#define OP_UNMAP		0x42
#define OP_GET_CONFIGURATION	0x46
#define OP_GESN			0x4a
#define OP_RESERVE_10		0x56
#define OP_MODE_SELECT_10	0x55
#define OP_RELEASE_10		0x57
#define OP_MODE_SENSE_10	0x5a
#define OP_ATA_16		0x85
#define OP_READ_16		0x88
#define OP_WRITE_16		0x8a
#define OP_VERIFY_16		0x8f
#define OP_WRITE_SAME_16	0x93
#define OP_SERVICE_ACTION_IN_16	0x9e
#define OP_REPORT_LUNS		0xa0
#define OP_ATA_12		0xa1
#define OP_READ_12		0xa8
#define OP_WRITE_12		0xaa
#define OP_VERIFY_12		0xaf
#define SAI_READ_CAPACITY_16	0x10

static const struct scsi_sense SENSE_NO_SENSE = { 0x00, 0x00, 0x00 };
static const struct scsi_sense SENSE_INVALID_OPCODE = { 0x05, 0x20, 0x00 };
static const struct scsi_sense SENSE_LBA_OUT_OF_RANGE = { 0x05, 0x21, 0x00 };
static const struct scsi_sense SENSE_INVALID_FIELD = { 0x05, 0x24, 0x00 };
static const struct scsi_sense SENSE_INVALID_PARAM = { 0x05, 0x26, 0x00 };
static const struct scsi_sense SENSE_INVALID_PARAM_LEN = { 0x05, 0x1a, 0x00 };
static const struct scsi_sense SENSE_LUN_NOT_SUPPORTED = { 0x05, 0x25, 0x00 };
static const struct scsi_sense SENSE_SAVING_NOT_SUPPORTED = { 0x05, 0x39, 0x00 };
static const struct scsi_sense SENSE_RESET = { 0x06, 0x29, 0x00 };
static const struct scsi_sense SENSE_CAPACITY_CHANGED = { 0x06, 0x2a, 0x09 };
static const struct scsi_sense SENSE_LUNS_CHANGED = { 0x06, 0x3f, 0x0e };
static const struct scsi_sense SENSE_IO_ERROR = { 0x0b, 0x00, 0x06 };
static const struct scsi_sense SENSE_READ_ERROR = { 0x03, 0x11, 0x00 };
static const struct scsi_sense SENSE_WRITE_ERROR = { 0x03, 0x0c, 0x00 };

struct scsi_disk {
	struct vdev_ctx *ctx;
	struct disk *disk;
	uint64_t sectors;		/* the disk's size in 512-byte sectors */
	uint32_t bs;			/* the logical block size: 512 until MODE SELECT changes it (qemu) */
	uint64_t max_lba;		/* the last LBA, as of the last reset or READ CAPACITY (QEMU's max_lba) */
	uint32_t cyls, heads, secs;	/* the geometry QEMU guesses for the disk's size */
	bool qemu;
	bool unmap;			/* discard=unmap: UNMAP and WRITE SAME's UNMAP zero the blocks */
	bool wce;			/* the write cache (MODE SENSE page 8's WCE; MODE SELECT changes it) */
	bool present;
	struct scsi_sense ua;		/* pending unit attention (key 0: none) */
	struct scsi_sense sense;	/* sense of the last CHECK CONDITION, for REQUEST SENSE */
	bool has_sense, sense_is_ua;
	char serial[64];		/* "" = none configured */
	uint8_t *buf;			/* emulated data-in, EMU_BUF */
};

/* ---- scsi-bus.c ---- */

/* What the CDB's own length field says, by group; its LBA. */
uint64_t sd_cdb_xfer(const uint8_t *cdb);
uint64_t sd_cdb_lba(const uint8_t *cdb);
/* A command ends with status (after the notify when r->later); with CHECK CONDITION and sense sn. */
void sd_complete(struct scsi_disk *d, struct scsi_req *r, uint8_t status);
void sd_check(struct scsi_disk *d, struct scsi_req *r, struct scsi_sense sn);
/* Sense data of sn at p, fixed (18 bytes) or descriptor format (8): its length. */
uint32_t sd_sense_build(uint8_t *p, struct scsi_sense sn, bool fixed);
/* Data-in of n bytes from d->buf, then GOOD. */
void sd_data_in(struct scsi_disk *d, struct scsi_req *r, uint32_t n);
/* The target's answers: LUNs it does not have, REPORT LUNS, stored sense. */
void sd_target_run(struct scsi_disk *d, struct scsi_req *r);

/* ---- scsi-disk.c ---- */

/* Mode page `page` at p (pc 0 current values, 1 changeable bits): its length with the header, or -1. */
int sd_mode_page(struct scsi_disk *d, uint8_t page, uint8_t *p, int pc);

/* ---- scsi-disk-data.c ---- */

/* A command whose data comes from the guest (MODE SELECT, UNMAP, WRITE SAME, FORMAT UNIT): run; false if not one. */
bool sd_data_out(struct scsi_disk *d, struct scsi_req *r);
/* READ and WRITE. */
void sd_disk_rw(struct scsi_disk *d, struct scsi_req *r);

#endif
