/* scsi-disk.c -- the SCSI disk behind virtio-scsi: unit attentions, the target's answers, emulated commands, I/O */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "scsi-int.h"

/*
 * QEMU 7.2's scsi-bus.c and scsi-disk.c (scsi-hd) are the model: a command
 * first gets the code that will answer it (a pending unit attention, the
 * target for LUNs it does not have, REPORT LUNS and stored sense, or the
 * disk), and the CDB says how much it moves; then it runs. The qemu profile
 * answers an emulated command with exactly the allocation length (zeros
 * past the data) and counts a READ/WRITE's residual from the CDB's length
 * minus the whole data buffer, as QEMU does; the vbox profile moves only the
 * data and reports the buffer bytes left over.
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

/* ---- the CDB: length, transfer length and direction (scsi-bus.c: scsi_req_parse_cdb) ---- */

static int cdb_length(uint8_t op)
{
	static const int8_t len[8] = { 6, 10, 10, -1, 16, 12, -1, -1 };

	return len[op >> 5];
}

/* What the CDB's own length field says, by group. */
static uint64_t cdb_xfer(const uint8_t *cdb)
{
	switch (cdb[0] >> 5) {
	case 0: return cdb[4];
	case 1: case 2: return be16_load(cdb + 7);
	case 4: return be32_load(cdb + 10);
	case 5: return be32_load(cdb + 6);
	default: return 0;
	}
}

static uint64_t cdb_lba(const uint8_t *cdb)
{
	switch (cdb[0] >> 5) {
	case 0: return ((uint32_t)(cdb[1] & 0x1f) << 16) | ((uint32_t)cdb[2] << 8) | cdb[3];
	case 1: case 2: case 5: return be32_load(cdb + 2);
	case 4: return be64_load(cdb + 2);
	default: return 0;
	}
}

enum xfer_rule { XR_ZERO, XR_VERIFY, XR_WRITE_SAME, XR_EIGHT, XR_SIX, XR_VOLUME_TAG, XR_BLOCKS6, XR_BLOCKS, XR_FORMAT,
	XR_BE16_3, XR_BE24_6, XR_BE32_5, XR_ATA12, XR_ATA16 };

/* Opcodes whose transfer length is not the CDB's length field (scsi_req_xfer for a disk). */
static const struct {
	uint8_t op, rule;
} xfer_rules[] = {
	{ 0x00, XR_ZERO }, { 0x01, XR_ZERO }, { 0x1b, XR_ZERO }, { 0x0b, XR_ZERO }, { 0x10, XR_ZERO },
	{ 0x80, XR_ZERO }, { 0x11, XR_ZERO }, { 0x16, XR_ZERO }, { 0x17, XR_ZERO }, { 0x19, XR_ZERO },
	{ 0x1e, XR_ZERO }, { 0x2b, XR_ZERO }, { 0x35, XR_ZERO }, { 0x91, XR_ZERO }, { 0x92, XR_ZERO },
	{ 0x36, XR_ZERO }, { 0xbb, XR_ZERO }, { 0x33, XR_ZERO }, { 0x3f, XR_ZERO }, { 0x3d, XR_ZERO },
	{ 0x53, XR_ZERO }, { 0xa7, XR_ZERO }, { 0x34, XR_ZERO }, { 0x90, XR_ZERO }, { 0x82, XR_ZERO },
	{ 0x2f, XR_VERIFY }, { 0xaf, XR_VERIFY }, { 0x8f, XR_VERIFY },
	{ 0x41, XR_WRITE_SAME }, { 0x93, XR_WRITE_SAME },
	{ 0x25, XR_EIGHT }, { 0x05, XR_SIX }, { 0xb6, XR_VOLUME_TAG },
	{ 0x0a, XR_BLOCKS6 }, { 0x08, XR_BLOCKS6 }, { 0x0f, XR_BLOCKS6 },
	{ 0x2a, XR_BLOCKS }, { 0x2e, XR_BLOCKS }, { 0xaa, XR_BLOCKS }, { 0xae, XR_BLOCKS }, { 0x8a, XR_BLOCKS },
	{ 0x8e, XR_BLOCKS }, { 0x28, XR_BLOCKS }, { 0xa8, XR_BLOCKS }, { 0x88, XR_BLOCKS },
	{ 0x04, XR_FORMAT },
	{ 0x12, XR_BE16_3 }, { 0x1c, XR_BE16_3 }, { 0x1d, XR_BE16_3 },
	{ 0xbe, XR_BE24_6 }, { 0x3c, XR_BE24_6 }, { 0x3b, XR_BE24_6 }, { 0x5d, XR_BE24_6 },
	{ 0x5f, XR_BE32_5 },
	{ 0xa1, XR_ATA12 }, { 0x85, XR_ATA16 },
};

/* Opcodes that move data to the device (scsi_cmd_xfer_mode); the ATA pass-throughs say in the CDB. */
static const uint8_t to_dev_ops[] = {
	0x0a, 0x2a, 0x2e, 0xaa, 0xae, 0x8a, 0x8e, 0x2f, 0xaf, 0x8f, 0x18, 0x3a, 0x39, 0x40, 0x4c, 0x15, 0x55,
	0x1d, 0x3b, 0x04, 0x07, 0x31, 0x30, 0x32, 0x3d, 0x3f, 0x41, 0x93, 0x42, 0xb0, 0xb1, 0xb2, 0x38, 0xb6,
	0x5d, 0xbf, 0x5f, 0xa4, 0x24, 0x1b,
};

static uint64_t ata_xfer(const uint8_t *cdb, bool sixteen, uint32_t bs)
{
	/* BYTE_BLOCK counts blocks: the logical block with T_TYPE, else 512 bytes */
	unsigned unit = (cdb[2] & 0x04) ? ((cdb[2] & 0x10) ? bs : SCSI_BLOCK) : 1;
	bool ext = sixteen && (cdb[1] & 0x01);
	uint64_t n;

	switch (cdb[2] & 0x03) {
	case 1: n = sixteen ? (uint64_t)cdb[4] | (ext ? (uint64_t)cdb[3] << 8 : 0) : cdb[3]; break;
	case 2: n = sixteen ? (uint64_t)cdb[6] | (ext ? (uint64_t)cdb[5] << 8 : 0) : cdb[4]; break;
	default: n = 0; break;
	}
	return n * unit;
}

static uint64_t req_xfer(const uint8_t *cdb, uint32_t bs)
{
	uint64_t x = cdb_xfer(cdb);

	for (size_t i = 0; i < sizeof xfer_rules / sizeof xfer_rules[0]; i++) {
		if (xfer_rules[i].op != cdb[0])
			continue;
		switch (xfer_rules[i].rule) {
		case XR_ZERO: return 0;
		case XR_VERIFY: return (cdb[1] & 2) == 0 ? 0 : (cdb[1] & 4) ? bs : x * bs;
		case XR_WRITE_SAME: return (cdb[1] & 1) ? 0 : bs;
		case XR_EIGHT: return 8;
		case XR_SIX: return 6;
		case XR_VOLUME_TAG: return (uint64_t)cdb[9] | (uint64_t)cdb[8] << 8;
		case XR_BLOCKS6: return (x ? x : 256) * bs;
		case XR_BLOCKS: return x * bs;
		case XR_FORMAT: return (cdb[1] & 16) == 0 ? 0 : (cdb[1] & 32) ? 8 : 4;
		case XR_BE16_3: return be16_load(cdb + 3);
		case XR_BE24_6: return (uint64_t)cdb[6] << 16 | (uint64_t)cdb[7] << 8 | cdb[8];
		case XR_BE32_5: return be32_load(cdb + 5);
		case XR_ATA12: return ata_xfer(cdb, false, bs);
		case XR_ATA16: return ata_xfer(cdb, true, bs);
		default: return x;
		}
	}
	return x;
}

static enum scsi_xfer_mode req_mode(const uint8_t *cdb, uint64_t xfer)
{
	if (xfer == 0)
		return SCSI_XFER_NONE;
	if (cdb[0] == OP_ATA_12 || cdb[0] == OP_ATA_16)
		return (cdb[2] & 0x08) ? SCSI_XFER_FROM_DEV : SCSI_XFER_TO_DEV;
	for (size_t i = 0; i < sizeof to_dev_ops; i++)
		if (to_dev_ops[i] == cdb[0])
			return SCSI_XFER_TO_DEV;
	return SCSI_XFER_FROM_DEV;
}

/* ---- names for the TXN event ---- */

static const struct {
	uint8_t op;
	const char *name;
} opnames[] = {
	{ 0x00, "TEST_UNIT_READY" }, { 0x03, "REQUEST_SENSE" }, { 0x08, "READ(6)" }, { 0x0a, "WRITE(6)" },
	{ 0x12, "INQUIRY" }, { 0x1a, "MODE_SENSE(6)" }, { 0x25, "READ_CAPACITY(10)" }, { 0x28, "READ(10)" },
	{ 0x2a, "WRITE(10)" }, { 0x35, "SYNCHRONIZE_CACHE(10)" }, { 0x5a, "MODE_SENSE(10)" }, { 0x88, "READ(16)" },
	{ 0x8a, "WRITE(16)" }, { 0x91, "SYNCHRONIZE_CACHE(16)" }, { 0x9e, "SERVICE_ACTION_IN(16)" },
	{ 0xa0, "REPORT_LUNS" }, { 0xa8, "READ(12)" }, { 0xaa, "WRITE(12)" }, { 0x04, "FORMAT_UNIT" },
	{ 0x15, "MODE_SELECT(6)" }, { 0x55, "MODE_SELECT(10)" }, { 0x41, "WRITE_SAME(10)" }, { 0x42, "UNMAP" },
	{ 0x93, "WRITE_SAME(16)" },
};

const char *scsi_op_name(const uint8_t *cdb, char *tmp, size_t n)
{
	if (cdb[0] == OP_SERVICE_ACTION_IN_16 && (cdb[1] & 0x1f) == SAI_READ_CAPACITY_16)
		return "READ_CAPACITY(16)";
	for (size_t i = 0; i < sizeof opnames / sizeof opnames[0]; i++)
		if (opnames[i].op == cdb[0])
			return opnames[i].name;
	snprintf(tmp, n, "OPCODE_0x%02x", cdb[0]);
	return tmp;
}

bool scsi_rw_decode(const uint8_t *cdb, uint64_t *lba, uint32_t *blocks, bool *write)
{
	switch (cdb[0]) {
	case OP_READ_6: case OP_WRITE_6:
		*blocks = cdb[4] ? cdb[4] : 256;
		break;
	case OP_READ_10: case OP_WRITE_10:
		*blocks = be16_load(cdb + 7);
		break;
	case OP_READ_12: case OP_WRITE_12:
		*blocks = be32_load(cdb + 6);
		break;
	case OP_READ_16: case OP_WRITE_16:
		*blocks = be32_load(cdb + 10);
		break;
	default:
		return false;
	}
	*lba = cdb_lba(cdb);
	*write = (cdb[0] & 0x02) != 0;
	return true;
}

/* ---- the LUN ---- */

/* The disk's size in logical blocks (QEMU divides its sectors by the block size in sectors). */
static uint64_t blocks_now(const struct scsi_disk *d)
{
	return d->sectors / (d->bs / SCSI_BLOCK);
}

/* QEMU's scsi_disk_reset: the last LBA for the range checks, until the next READ CAPACITY. */
static void reset_max_lba(struct scsi_disk *d)
{
	uint64_t n = blocks_now(d);

	d->max_lba = n > 0 ? n - 1 : 0;
}

/* QEMU's guess for a disk without a partition table: 16 heads, 63 sectors, 2..16383 cylinders. */
static void guess_geometry(struct scsi_disk *d)
{
	uint64_t c = d->sectors / (16 * 63);

	d->cyls = c < 2 ? 2 : c > 16383 ? 16383 : (uint32_t)c;
	d->heads = 16;
	d->secs = 63;
}

struct scsi_disk *scsi_disk_new(struct vdev_ctx *ctx, const struct vdev_backend *be, const char *serial, bool qemu,
    unsigned disk, char **cause)
{
	struct scsi_disk *d = xcalloc(1, sizeof *d);

	/* Without a backend the LUN is a 1 MiB zero disk whose contents come from INPUT events. */
	d->disk = disk_new(be, 1u << 20, cause);
	if (d->disk == NULL) {
		free(d);
		return NULL;
	}
	d->ctx = ctx;
	d->qemu = qemu;
	d->unmap = (disk & VDEV_DISK_UNMAP) != 0;
	d->wce = (disk & VDEV_DISK_NO_WCACHE) == 0;
	d->sectors = disk_size(d->disk) / SCSI_BLOCK;
	d->bs = SCSI_BLOCK;
	reset_max_lba(d);
	guess_geometry(d);
	snprintf(d->serial, sizeof d->serial, "%s", serial != NULL ? serial : "");
	d->buf = xmalloc(EMU_BUF);
	d->present = true;
	d->ua = SENSE_RESET;		/* power on */
	return d;
}

void scsi_disk_free(struct scsi_disk *d)
{
	if (d == NULL)
		return;
	disk_free(d->disk);
	free(d->buf);
	free(d);
}

bool scsi_disk_present(const struct scsi_disk *d)
{
	return d->present;
}

void scsi_disk_plug(struct scsi_disk *d, bool present)
{
	d->present = present;
	d->ua = present ? SENSE_LUNS_CHANGED : SENSE_NO_SENSE;
}

void scsi_disk_reset(struct scsi_disk *d)
{
	reset_max_lba(d);
	if (d->present)
		d->ua = SENSE_RESET;
}

void scsi_disk_changed(struct scsi_disk *d)
{
	if (d->present)
		d->ua = SENSE_CAPACITY_CHANGED;
}

int scsi_disk_input(struct scsi_disk *d, uint64_t addr, const uint8_t *data, uint32_t len, char **cause)
{
	if (addr > disk_size(d->disk) || len > disk_size(d->disk) - addr)
		return cause_set(cause, "scsi: disk input at %llu (%u bytes) is beyond the %llu-byte disk",
		    (unsigned long long)addr, len, (unsigned long long)disk_size(d->disk));
	disk_write(d->disk, addr, data, len);
	return 0;
}

/* ---- making a request (scsi_req_new) ---- */

void scsi_disk_new_req(struct scsi_disk *d, struct scsi_req *r)
{
	const uint8_t *cdb = r->cdb;
	bool ua = d->ua.key == SCSI_KEY_UNIT_ATTENTION;
	int len = cdb_length(cdb[0]);

	r->xfer = 0;
	r->mode = SCSI_XFER_NONE;
	r->status = SCSI_GOOD;
	r->sense = SENSE_NO_SENSE;
	r->resid = 0;
	if (r->cdb_size == 0 || len < 0 || (uint32_t)len > r->cdb_size) {
		/* qemu: a pending unit attention is dropped when this ends (ua_clear) */
		r->ops = SCSI_OPS_INVALID_OPCODE;
		return;
	}
	/* A pending unit attention wins over all but these, whichever LUN is addressed. */
	if (ua && cdb[0] != OP_INQUIRY && cdb[0] != OP_REPORT_LUNS && cdb[0] != OP_GET_CONFIGURATION &&
	    cdb[0] != OP_GESN && !(cdb[0] == OP_REQUEST_SENSE && d->sense_is_ua))
		r->ops = SCSI_OPS_UNIT_ATTENTION;
	else if (r->lun != 0 || cdb[0] == OP_REPORT_LUNS || (cdb[0] == OP_REQUEST_SENSE && d->has_sense))
		r->ops = SCSI_OPS_TARGET;
	else
		r->ops = SCSI_OPS_DISK;
	r->xfer = req_xfer(cdb, d->bs);
	r->mode = req_mode(cdb, r->xfer);
	if (r->xfer > 0x7fffffffu) {
		r->ops = SCSI_OPS_INVALID_FIELD;
	} else if (r->ops == SCSI_OPS_UNIT_ATTENTION) {
		/* Taken now: a command the framing then refuses (OVERRUN) has still consumed it. */
		r->sense = d->ua;
		d->ua = SENSE_NO_SENSE;
	}
}

/* ---- completing it ---- */

/*
 * QEMU's scsi_clear_unit_attention, as every command that ends calls it
 * (QEMU 7.2.15 on: but one that reported the attention, which took it when
 * it was set up): a pending unit attention is gone, but after INQUIRY, GET
 * CONFIGURATION and GET EVENT STATUS NOTIFICATION, and after REPORT LUNS
 * unless it was REPORTED LUNS DATA HAS CHANGED. A CDB QEMU could not parse
 * is all zeros to it (TEST UNIT READY). vbox: only REPORT LUNS clears one
 * (target_run).
 */
static void ua_clear(struct scsi_disk *d, const struct scsi_req *r)
{
	uint8_t op = r->ops == SCSI_OPS_INVALID_OPCODE ? OP_TEST_UNIT_READY : r->cdb[0];

	if (!d->qemu || d->ua.key != SCSI_KEY_UNIT_ATTENTION || r->ops == SCSI_OPS_UNIT_ATTENTION)
		return;
	if (op == OP_INQUIRY || op == OP_GET_CONFIGURATION || op == OP_GESN)
		return;
	if (op == OP_REPORT_LUNS && (d->ua.asc != SENSE_LUNS_CHANGED.asc || d->ua.ascq != SENSE_LUNS_CHANGED.ascq))
		return;
	d->ua = SENSE_NO_SENSE;
}

/* What a command's end leaves in the LUN: the sense REQUEST SENSE reports, no unit attention (qemu). */
static void ended(struct scsi_disk *d, const struct scsi_req *r)
{
	d->has_sense = r->status == SCSI_CHECK_CONDITION;
	d->sense_is_ua = d->has_sense && r->ops == SCSI_OPS_UNIT_ATTENTION;
	if (d->has_sense)
		d->sense = r->sense;
	ua_clear(d, r);
}

/*
 * A command ends with status. One QEMU hands to its block layer (later)
 * ends after the notify, when every command it answers at once has ended:
 * the framing calls scsi_disk_end then.
 */
static void complete(struct scsi_disk *d, struct scsi_req *r, uint8_t status)
{
	r->status = status;
	if (status == SCSI_CHECK_CONDITION)
		r->resid = 0;
	if (!r->later)
		ended(d, r);
}

void scsi_disk_end(struct scsi_disk *d, const struct scsi_req *r)
{
	if (r->later)
		ended(d, r);
}

static void check(struct scsi_disk *d, struct scsi_req *r, struct scsi_sense sn)
{
	r->sense = sn;
	complete(d, r, SCSI_CHECK_CONDITION);
}

static uint32_t sense_fixed(uint8_t *p, struct scsi_sense sn)
{
	memset(p, 0, 18);
	p[0] = 0x70;
	p[2] = sn.key;
	p[7] = 10;
	p[12] = sn.asc;
	p[13] = sn.ascq;
	return 18;
}

static uint32_t sense_build(uint8_t *p, struct scsi_sense sn, bool fixed)
{
	if (fixed)
		return sense_fixed(p, sn);
	memset(p, 0, 8);
	p[0] = 0x72;
	p[1] = sn.key;
	p[2] = sn.asc;
	p[3] = sn.ascq;
	return 8;
}

uint32_t scsi_disk_autosense(struct scsi_disk *d, const struct scsi_req *r, uint8_t *p, uint32_t len)
{
	uint8_t sb[18];
	uint32_t n = sense_fixed(sb, r->sense);

	if (n > len)
		n = len;
	memcpy(p, sb, n);
	/* Reporting a unit attention with the response clears it (UA_INTLCK_CTRL 00b). */
	if (d->sense_is_ua) {
		d->has_sense = false;
		d->sense_is_ua = false;
	}
	return n;
}

/* Data-in of n bytes from d->buf, then GOOD; the residual is what the data buffer did not take. */
static void data_in(struct scsi_disk *d, struct scsi_req *r, uint32_t n)
{
	if (n == 0) {
		r->resid = d->qemu ? (uint32_t)r->xfer : r->din;
		complete(d, r, SCSI_GOOD);
		return;
	}
	if (n > r->din)
		n = r->din;
	if (virtq_chain_write(r->q, r->c, r->in_off, d->buf, n) != 0) {
		vdev_violation(d->ctx, "scsi-data-unwritable", (int)virtq_index(r->q), r->c->head, 0, false,
		    "request %u: data-in buffer is not writable guest RAM", r->c->head);
		n = 0;
	}
	r->resid = r->din - n;
	complete(d, r, SCSI_GOOD);
}

/* ---- the target: LUNs it does not have, REPORT LUNS, stored sense (scsi-bus.c) ---- */

static void target_run(struct scsi_disk *d, struct scsi_req *r)
{
	const uint8_t *cdb = r->cdb;
	uint8_t *b = d->buf;
	uint32_t n = 0;

	if (r->lun != 0 && cdb[0] != OP_INQUIRY && cdb[0] != OP_REQUEST_SENSE) {
		check(d, r, SENSE_LUN_NOT_SUPPORTED);
		return;
	}
	memset(b, 0, 64);
	switch (cdb[0]) {
	case OP_REPORT_LUNS:
		if (r->xfer < 16 || cdb[2] > 2) {
			check(d, r, SENSE_INVALID_FIELD);
			return;
		}
		be32_store(b, 8);		/* LUN 0 only */
		n = 16 < (r->xfer & ~7ull) ? 16 : (uint32_t)(r->xfer & ~7ull);
		if (d->ua.key == SCSI_KEY_UNIT_ATTENTION && d->ua.asc == SENSE_LUNS_CHANGED.asc &&
		    d->ua.ascq == SENSE_LUNS_CHANGED.ascq)
			d->ua = SENSE_NO_SENSE;
		break;
	case OP_INQUIRY:
		if (cdb[1] & 0x02) {
			check(d, r, SENSE_INVALID_FIELD);
			return;
		}
		if (cdb[1] & 0x01) {
			if (cdb[2] != 0x00) {
				check(d, r, SENSE_INVALID_FIELD);
				return;
			}
			b[0] = cdb[2];		/* QEMU puts the page code where the device type goes */
			b[2] = 1;
			n = 4;
		} else {
			if (cdb[2] != 0) {
				check(d, r, SENSE_INVALID_FIELD);
				return;
			}
			n = 36;
			b[0] = 0x7f;		/* no device at this LUN (it is never 0 here) */
		}
		if (n > r->xfer)
			n = (uint32_t)r->xfer;
		break;
	case OP_REQUEST_SENSE:
		/*
		 * LUN 0: the stored sense, once (set up while there was some; a
		 * command of the same batch that ended GOOD since leaves none);
		 * another LUN: LOGICAL UNIT NOT SUPPORTED
		 */
		n = sense_build(b, r->lun != 0 ? SENSE_LUN_NOT_SUPPORTED : d->has_sense ? d->sense : SENSE_NO_SENSE,
		    (cdb[1] & 1) == 0);
		if (n > r->xfer)
			n = (uint32_t)r->xfer;
		break;
	default:
		/* TEST UNIT READY to LUN 0 never comes here; anything else is not the target's */
		if (cdb[0] != OP_TEST_UNIT_READY) {
			check(d, r, SENSE_INVALID_OPCODE);
			return;
		}
		break;
	}
	data_in(d, r, n);
}

/* ---- the disk's emulated commands (scsi-disk.c) ---- */

/* VPD page; its length, or -1 for a page the disk does not have. */
static int vpd_page(struct scsi_disk *d, uint8_t page, uint8_t *b)
{
	size_t sl = strlen(d->serial);
	int n = 4;

	b[1] = page;
	switch (page) {
	case 0x00:
		b[n++] = 0x00;
		if (sl > 0)
			b[n++] = 0x80;
		b[n++] = 0x83;
		b[n++] = 0xb0;
		b[n++] = 0xb1;
		b[n++] = 0xb2;
		break;
	case 0x80:
		if (sl == 0)
			return -1;
		if (sl > 36)
			sl = 36;
		memcpy(b + n, d->serial, sl);
		n += (int)sl;
		break;
	case 0x83:
		/*
		 * One ASCII vendor-specific designator, the serial (20
		 * characters at most); without a serial QEMU would name the
		 * drive, but a drive given as -blockdev has no name, so none.
		 */
		if (sl > 20)
			sl = 20;
		if (sl > 0) {
			b[n++] = 0x02;
			b[n++] = 0x00;
			b[n++] = 0x00;
			b[n++] = (uint8_t)sl;
			memcpy(b + n, d->serial, sl);
			n += (int)sl;
		}
		break;
	case 0xb0:
		/* Block limits: WSNZ, transfer and unmap limits, the discard granularity, in blocks. */
		b[4] = 1;
		be32_store(b + 8, MAX_IO_BYTES / d->bs);
		be32_store(b + 20, MAX_UNMAP_BYTES / d->bs);
		be32_store(b + 24, MAX_UNMAP_DESCR);
		be32_store(b + 28, DISCARD_BYTES / d->bs);
		be32_store(b + 40, MAX_IO_BYTES / d->bs);
		n = 0x40;
		break;
	case 0xb1:
		n = 0x40;			/* block device characteristics: rotation rate not reported */
		break;
	case 0xb2:
		b[5] = 0xe0;			/* LBPU, LBPWS, LBPWS10 */
		b[6] = 2;			/* thin provisioned: the disk discards */
		n = 8;
		break;
	default:
		return -1;
	}
	b[3] = (uint8_t)(n - 4);
	return n;
}

static int inquiry(struct scsi_disk *d, struct scsi_req *r, uint8_t *b)
{
	uint32_t len;

	if (r->cdb[1] & 0x01)
		return vpd_page(d, r->cdb[2], b);
	if (r->cdb[2] != 0)
		return -1;
	len = r->xfer < INQUIRY_MAX ? (uint32_t)r->xfer : INQUIRY_MAX;
	b[2] = 5;				/* SPC-3 */
	b[3] = 0x12;				/* HiSup, response data format 2 */
	b[4] = (uint8_t)(len > 36 ? len - 5 : 31);
	b[7] = 0x12;				/* Sync, CmdQue */
	memcpy(b + 8, "QEMU    QEMU HARDDISK   2.5+", 28);
	return len > 36 ? (int)len : 36;
}

/* One mode page at p; its length with the header, or -1 if the disk has no such page. */
static int mode_page(struct scsi_disk *d, uint8_t page, uint8_t *p, int pc)
{
	uint8_t *v = p + 2;
	int len;

	switch (page) {
	case 0x01:				/* read-write error recovery */
		len = 10;
		if (pc != 1)
			v[0] = 0x80;		/* AWRE */
		break;
	case 0x04:				/* rigid disk geometry */
		len = 0x16;
		if (pc == 1)
			break;
		v[0] = (uint8_t)(d->cyls >> 16);
		v[1] = (uint8_t)(d->cyls >> 8);
		v[2] = (uint8_t)d->cyls;
		v[3] = (uint8_t)d->heads;
		v[4] = v[7] = (uint8_t)(d->cyls >> 16);	/* write precompensation, reduced current */
		v[5] = v[8] = (uint8_t)(d->cyls >> 8);
		v[6] = v[9] = (uint8_t)d->cyls;
		v[11] = 200;			/* step rate */
		v[12] = v[13] = v[14] = 0xff;	/* landing zone */
		be16_store(v + 18, 5400);	/* rotation rate */
		break;
	case 0x05:				/* flexible disk geometry */
		len = 0x1e;
		if (pc == 1)
			break;
		be16_store(v, 5000);		/* transfer rate */
		v[2] = (uint8_t)d->heads;
		v[3] = (uint8_t)d->secs;
		v[4] = (uint8_t)(d->bs >> 8);	/* bytes per sector */
		be16_store(v + 6, (uint16_t)d->cyls);
		be16_store(v + 8, (uint16_t)d->cyls);
		be16_store(v + 10, (uint16_t)d->cyls);
		v[13] = 1;
		v[14] = 1;
		v[16] = 1;
		v[17] = 1;
		v[18] = 1;
		be16_store(v + 26, 5400);
		break;
	case 0x08:				/* caching: WCE as the cache is now; changeable */
		len = 0x12;
		if (pc == 1 || d->wce)
			v[0] = 4;
		break;
	default:
		return -1;
	}
	p[0] = page;
	p[1] = (uint8_t)len;
	return len + 2;
}

static int mode_sense(struct scsi_disk *d, struct scsi_req *r, uint8_t *b)
{
	bool ten = r->cdb[0] == OP_MODE_SENSE_10, dbd = (r->cdb[1] & 0x08) != 0;
	uint8_t page = r->cdb[2] & 0x3f;
	int pc = r->cdb[2] >> 6, n = ten ? 8 : 4;

	if (!dbd && d->sectors > 0) {
		uint64_t nb = blocks_now(d) > 0xffffff ? 0 : blocks_now(d);

		b[ten ? 7 : 3] = 8;
		b[n + 1] = (uint8_t)(nb >> 16);
		b[n + 2] = (uint8_t)(nb >> 8);
		b[n + 3] = (uint8_t)nb;
		b[n + 6] = (uint8_t)(d->bs >> 8);
		n += 8;
	}
	if (pc == 3) {
		check(d, r, SENSE_SAVING_NOT_SUPPORTED);
		return -2;
	}
	if (page == 0x3f) {
		for (uint8_t p = 0; p < 0x3f; p++) {
			int k = mode_page(d, p, b + n, pc);

			if (k > 0)
				n += k;
		}
	} else {
		int k = mode_page(d, page, b + n, pc);

		if (k < 0)
			return -1;
		n += k;
	}
	if (ten)
		be16_store(b, (uint16_t)(n - 2));
	else
		b[0] = (uint8_t)(n - 1);
	return n;
}

/* READ CAPACITY(10/16); the last LBA it reports becomes the one the range checks use. */
static int read_capacity(struct scsi_disk *d, struct scsi_req *r, uint8_t *b)
{
	uint64_t last = blocks_now(d) - 1;

	if (r->cdb[0] == OP_READ_CAPACITY_10) {
		if ((r->cdb[8] & 1) == 0 && cdb_lba(r->cdb) != 0)
			return -1;
		d->max_lba = last;
		be32_store(b, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
		be32_store(b + 4, d->bs);
		return 8;
	}
	if ((r->cdb[1] & 0x1f) != SAI_READ_CAPACITY_16 || ((r->cdb[14] & 1) == 0 && cdb_lba(r->cdb) != 0))
		return -1;
	d->max_lba = last;
	be64_store(b, last);
	be32_store(b + 8, d->bs);
	b[14] = 0x80;				/* LBPME: the disk discards */
	return 32;
}

/* Emulated commands: -1 INVALID FIELD, -2 already answered, else the data's length. */
static int emulate(struct scsi_disk *d, struct scsi_req *r, uint8_t *b)
{
	switch (r->cdb[0]) {
	case OP_SYNC_CACHE:
		r->later = d->qemu;		/* QEMU flushes through the block layer (blk_aio_flush) */
		return 0;
	case OP_TEST_UNIT_READY:
	case OP_START_STOP:
	case OP_ALLOW_REMOVAL:
		return 0;
	case OP_INQUIRY:
		return inquiry(d, r, b);
	case OP_MODE_SENSE:
	case OP_MODE_SENSE_10:
		return mode_sense(d, r, b);
	case OP_READ_CAPACITY_10:
	case OP_SERVICE_ACTION_IN_16:
		return read_capacity(d, r, b);
	case OP_REQUEST_SENSE:
		return (int)sense_build(b, SENSE_NO_SENSE, (r->cdb[1] & 1) == 0);
	case OP_RESERVE:
	case OP_RELEASE:
		return (r->cdb[1] & 1) ? -1 : 0;
	case OP_RESERVE_10:
	case OP_RELEASE_10:
		return (r->cdb[1] & 3) ? -1 : 0;
	case OP_SEEK_10:
		if (cdb_lba(r->cdb) > d->max_lba) {
			check(d, r, SENSE_LBA_OUT_OF_RANGE);
			return -2;
		}
		return 0;
	case OP_VERIFY_10:
	case OP_VERIFY_12:
	case OP_VERIFY_16:
		return (r->cdb[1] & 6) ? -1 : 0;
	case OP_GET_CONFIGURATION:
	case OP_GESN:
	case 0xbd: case 0x51: case 0xad:	/* MECHANISM STATUS, READ DISC INFORMATION, READ DVD STRUCTURE */
		return -1;			/* CD-ROM commands: not for a disk */
	default:
		check(d, r, SENSE_INVALID_OPCODE);
		return -2;
	}
}

/* ---- the emulated commands that take data (scsi_disk_emulate_write_data) ---- */

/*
 * QEMU's check_lba_range: nb blocks from lba, without wrapping, end by the
 * last LBA as the last reset or READ CAPACITY computed it (after MODE SELECT
 * changed the block size, not the disk's end: the block layer then refuses
 * what lies past it, see io_fits).
 */
static bool lba_range_ok(const struct scsi_disk *d, uint64_t lba, uint64_t nb)
{
	return lba <= lba + nb && lba + nb <= d->max_lba + 1;
}

/* QEMU's block layer takes a transfer only inside the disk (else EIO: ABORTED COMMAND, I/O process terminated). */
static bool io_fits(const struct scsi_disk *d, uint64_t off, uint64_t len)
{
	return off <= disk_size(d->disk) && len <= disk_size(d->disk) - off;
}

/* A page MODE SELECT names: exactly the page's length, and only its changeable bits differ. */
static bool mode_select_page_ok(struct scsi_disk *d, uint8_t page, const uint8_t *v, int len)
{
	uint8_t cur[MODE_LEN_MAX + 2], chg[MODE_LEN_MAX + 2];
	int n;

	if (len + 2 > MODE_LEN_MAX || page == 0x3f)
		return false;
	memset(cur, 0, sizeof cur);
	memset(chg, 0, sizeof chg);
	n = mode_page(d, page, cur, 0);
	if (n != len + 2)
		return false;
	(void)mode_page(d, page, chg, 1);
	for (int i = 2; i < n; i++)
		if (((cur[i] ^ v[i - 2]) & ~chg[i]) != 0)
			return false;
	return true;
}

/* The pages of a parameter list: checked all (change false), then applied all. 0, or -1 answered. */
static int mode_select_pages(struct scsi_disk *d, struct scsi_req *r, const uint8_t *p, int len, bool change)
{
	while (len > 0) {
		uint8_t page = p[0] & 0x3f, subpage = 0;
		int page_len;

		if (p[0] & 0x40) {			/* sub-page format */
			if (len < 4)
				goto bad_len;
			subpage = p[1];
			page_len = be16_load(p + 2);
			p += 4;
			len -= 4;
		} else {
			if (len < 2)
				goto bad_len;
			page_len = p[1];
			p += 2;
			len -= 2;
		}
		if (subpage != 0) {
			check(d, r, SENSE_INVALID_PARAM);
			return -1;
		}
		if (page_len > len)
			goto bad_len;
		if (!change && !mode_select_page_ok(d, page, p, page_len)) {
			check(d, r, SENSE_INVALID_PARAM);
			return -1;
		}
		if (change && page == 0x08)
			d->wce = (p[0] & 0x04) != 0;
		p += page_len;
		len -= page_len;
	}
	return 0;
bad_len:
	check(d, r, SENSE_INVALID_PARAM_LEN);
	return -1;
}

/* MODE SELECT(6/10): PF=1 SP=0 only; a block descriptor of 0 or 8 bytes; pages as MODE SENSE has them. */
static void mode_select(struct scsi_disk *d, struct scsi_req *r, const uint8_t *p, int len)
{
	bool ten = r->cdb[0] == OP_MODE_SELECT_10;
	int hdr = ten ? 8 : 4, bd;

	if ((r->cdb[1] & 0x11) != 0x10) {
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (len < hdr) {
		check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	bd = ten ? be16_load(p + 6) : p[3];
	len -= hdr;
	p += hdr;
	if (len < bd) {
		check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	if (bd != 0 && bd != 8) {
		check(d, r, SENSE_INVALID_PARAM);
		return;
	}
	if (bd != 0) {
		uint32_t bs = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

		/*
		 * QEMU takes a block length that is a multiple of 512 up to
		 * 0xfe00 (the bits MODE SENSE reports) at once, before it
		 * looks at the pages: a list refused later has still changed
		 * it. The range checks keep the last LBA of the old size until
		 * a reset or READ CAPACITY.
		 */
		if (bs != 0 && (bs & ~0xfe00u) == 0)
			d->bs = bs;
	}
	len -= bd;
	p += bd;
	if (mode_select_pages(d, r, p, len, false) != 0)
		return;
	(void)mode_select_pages(d, r, p, len, true);
	/* With the write cache off QEMU flushes before it answers: the answer comes from the block layer. */
	r->later = !d->wce;
	complete(d, r, SCSI_GOOD);
}

/* UNMAP: the parameter list's lengths, then each descriptor (one past the disk ends it, the earlier ones done). */
static void unmap(struct scsi_disk *d, struct scsi_req *r, const uint8_t *p, int len)
{
	unsigned count;

	if (r->cdb[1] & 0x01) {			/* ANCHOR */
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (len < 8 || len < be16_load(p) + 2 || len < be16_load(p + 2) + 8 || (be16_load(p + 2) & 15) != 0) {
		check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	count = be16_load(p + 2) >> 4;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *desc = p + 8 + 16 * i;
		uint64_t lba = be64_load(desc);
		uint32_t nb = be32_load(desc + 8);

		if (!lba_range_ok(d, lba, nb)) {
			check(d, r, SENSE_LBA_OUT_OF_RANGE);
			return;
		}
		/*
		 * QEMU discards descriptor by descriptor through the block layer,
		 * so from the first one on the answer comes later; the block layer
		 * checks the range first, discard=ignore then drops the discard.
		 */
		r->later = true;
		if (!io_fits(d, lba * d->bs, (uint64_t)nb * d->bs)) {
			check(d, r, SENSE_IO_ERROR);
			return;
		}
		if (d->unmap && disk_zero(d->disk, lba * d->bs, (uint64_t)nb * d->bs) != 0) {
			check(d, r, SENSE_WRITE_ERROR);
			return;
		}
	}
	complete(d, r, SCSI_GOOD);
}

/*
 * WRITE SAME(10/16): all zeros (UNMAP bit or not) reads back as zeros under
 * either discard mode; another block is repeated into a buffer of at most
 * 512 KiB which QEMU writes again and again, so past 512 KiB a block size
 * that does not divide it restarts the pattern mid-block, as QEMU does.
 */
static void write_same(struct scsi_disk *d, struct scsi_req *r, const uint8_t *block)
{
	uint64_t lba = cdb_lba(r->cdb), nb = cdb_xfer(r->cdb), off, len;
	bool zero = true;
	uint8_t *chunk;
	uint32_t n;
	int rc = 0;

	if (nb == 0 || (r->cdb[1] & 0x16) != 0) {	/* PBDATA, LBDATA, ANCHOR */
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (!lba_range_ok(d, lba, nb)) {
		check(d, r, SENSE_LBA_OUT_OF_RANGE);
		return;
	}
	r->later = true;			/* blk_aio_pwrite_zeroes or blk_aio_pwritev answers */
	for (unsigned i = 0; i < d->bs && zero; i++)
		zero = block[i] == 0;
	off = lba * d->bs;
	len = nb * d->bs;
	if (zero) {
		if (!io_fits(d, off, len)) {
			check(d, r, SENSE_IO_ERROR);
			return;
		}
		if (disk_zero(d->disk, off, len) != 0)
			check(d, r, SENSE_WRITE_ERROR);
		else
			complete(d, r, SCSI_GOOD);
		return;
	}
	n = len < WRITE_SAME_CHUNK ? (uint32_t)len : WRITE_SAME_CHUNK;
	chunk = xmalloc(n);
	for (uint32_t i = 0; i < n; i += d->bs)
		memcpy(chunk + i, block, n - i < d->bs ? n - i : d->bs);
	for (; len > 0 && rc == 0; off += n, len -= n) {
		if (len < n)
			n = (uint32_t)len;
		if (!io_fits(d, off, n))
			rc = 1;
		else if (disk_write(d->disk, off, chunk, n) != 0)
			rc = -1;
	}
	free(chunk);
	if (rc != 0) {
		check(d, r, rc > 0 ? SENSE_IO_ERROR : SENSE_WRITE_ERROR);
		return;
	}
	complete(d, r, SCSI_GOOD);
}

/*
 * Commands whose data comes from the guest: the CDB's length moves into a
 * zeroed buffer (a data-out buffer at least that long, the framing saw to
 * it), the residual is what the buffer held beyond it, then the command
 * runs on those bytes. Nothing to move: GOOD at once, nothing checked.
 * true if the opcode is one of them.
 */
static bool disk_data_out(struct scsi_disk *d, struct scsi_req *r)
{
	int len = (int)r->xfer;

	switch (r->cdb[0]) {
	case OP_MODE_SELECT: case OP_MODE_SELECT_10: case OP_UNMAP: case OP_WRITE_SAME_10: case OP_WRITE_SAME_16:
	case OP_FORMAT_UNIT:
		break;
	default:
		return false;
	}
	if (r->xfer == 0) {
		r->resid = 0;
		complete(d, r, SCSI_GOOD);
		return true;
	}
	memset(d->buf, 0, len > 4096 ? (size_t)len : 4096);
	memcpy(d->buf, r->out, (size_t)len);
	r->resid = r->dout - (uint32_t)len;
	switch (r->cdb[0]) {
	case OP_MODE_SELECT:
	case OP_MODE_SELECT_10:
		mode_select(d, r, d->buf, len);
		break;
	case OP_UNMAP:
		unmap(d, r, d->buf, len);
		break;
	case OP_WRITE_SAME_10:
	case OP_WRITE_SAME_16:
		write_same(d, r, d->buf);
		break;
	default:				/* FORMAT UNIT: nothing to do */
		complete(d, r, SCSI_GOOD);
		break;
	}
	return true;
}

static void disk_emulated(struct scsi_disk *d, struct scsi_req *r)
{
	uint32_t room = r->xfer > 4096 ? (uint32_t)r->xfer : 4096;
	int n;

	if (r->xfer > EMU_MAX) {
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (d->qemu && disk_data_out(d, r))
		return;
	memset(d->buf, 0, room);
	n = emulate(d, r, d->buf);
	if (n == -2)
		return;
	if (n < 0) {
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	/* QEMU hands over the allocation length whatever the data's; vbox only the data. */
	if (d->qemu || (uint64_t)n > r->xfer)
		n = (int)r->xfer;
	data_in(d, r, (uint32_t)n);
}

/* READ and WRITE (scsi-disk.c's DMA commands). */
static void disk_rw(struct scsi_disk *d, struct scsi_req *r)
{
	uint64_t lba, len, off;
	uint32_t blocks, buffer;
	bool write;

	(void)scsi_rw_decode(r->cdb, &lba, &blocks, &write);
	if (r->cdb[1] & 0xe0) {			/* RDPROTECT / WRPROTECT */
		check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (!lba_range_ok(d, lba, blocks)) {
		check(d, r, SENSE_LBA_OUT_OF_RANGE);
		return;
	}
	len = (uint64_t)blocks * d->bs;
	off = lba * d->bs;
	buffer = write ? r->dout : r->din;
	if (len == 0) {
		r->resid = d->qemu ? 0 : buffer;
		complete(d, r, SCSI_GOOD);
		return;
	}
	if (d->qemu) {
		/*
		 * QEMU's scsi-disk takes the whole data buffer off the CDB's
		 * length (so a larger buffer wraps the residual below 0) and
		 * hands the whole buffer to dma_blk_io: a larger read buffer
		 * gets the blocks that follow, a larger write buffer writes
		 * them. A buffer that is not a whole number of blocks is cut
		 * by its aligned part from the back (dma-helpers.c trims
		 * with qemu_iovec_discard_back(ALIGN_DOWN(size))), so only
		 * the odd tail's length moves, from the first block on
		 * (the alignment is 512 bytes whatever the block size).
		 */
		r->resid = (uint32_t)(r->xfer - buffer);
		len = buffer % SCSI_BLOCK ? buffer % SCSI_BLOCK : buffer;
		r->later = true;	/* dma_blk_io: the answer, error or not, comes from the block layer */
		if (!io_fits(d, off, len)) {
			check(d, r, SENSE_IO_ERROR);
			return;
		}
	} else {
		r->resid = (uint32_t)(buffer - len);
	}
	if (write) {
		if (disk_write(d->disk, off, r->out, (size_t)len) != 0) {
			check(d, r, SENSE_WRITE_ERROR);
			return;
		}
		complete(d, r, SCSI_GOOD);
		return;
	}
	switch (disk_to_chain(d->disk, r->q, r->c, r->in_off, off, (uint32_t)len)) {
	case 0:
		complete(d, r, SCSI_GOOD);
		break;
	case -1:
		check(d, r, SENSE_READ_ERROR);
		break;
	default:
		vdev_violation(d->ctx, "scsi-data-unwritable", (int)virtq_index(r->q), r->c->head, 0, false,
		    "request %u: data-in buffer is not writable guest RAM", r->c->head);
		check(d, r, (struct scsi_sense){ 0x0b, 0x00, 0x00 });	/* ABORTED COMMAND */
		break;
	}
}

void scsi_disk_run(struct scsi_disk *d, struct scsi_req *r)
{
	uint64_t lba;
	uint32_t blocks;
	bool write;

	switch (r->ops) {
	case SCSI_OPS_INVALID_OPCODE:
		check(d, r, SENSE_INVALID_OPCODE);
		return;
	case SCSI_OPS_INVALID_FIELD:
		check(d, r, SENSE_INVALID_FIELD);
		return;
	case SCSI_OPS_UNIT_ATTENTION:
		check(d, r, r->sense);
		return;
	case SCSI_OPS_TARGET:
		target_run(d, r);
		return;
	case SCSI_OPS_DISK:
		break;
	}
	if (scsi_rw_decode(r->cdb, &lba, &blocks, &write))
		disk_rw(d, r);
	else
		disk_emulated(d, r);
}

/* ---- checkpoints ---- */

void scsi_disk_save(const struct scsi_disk *d, struct buf *out)
{
	/*
	 * bit 3 is write-through, so checkpoints from before the write cache
	 * was modelled load with it on; bit 4 says the block size and the last
	 * LBA follow (older checkpoints: 512 and the disk's end)
	 */
	buf_add_u8(out, (uint8_t)(d->present | d->has_sense << 1 | d->sense_is_ua << 2 | !d->wce << 3 | 1 << 4));
	buf_add_u8(out, d->ua.key);
	buf_add_u8(out, d->ua.asc);
	buf_add_u8(out, d->ua.ascq);
	buf_add_u8(out, d->sense.key);
	buf_add_u8(out, d->sense.asc);
	buf_add_u8(out, d->sense.ascq);
	buf_add_le16(out, (uint16_t)d->bs);
	buf_add_le64(out, d->max_lba);
	disk_save(d->disk, out);
}

int scsi_disk_load(struct scsi_disk *d, struct cursor *cur, char **cause)
{
	struct scsi_sense ua, sn;
	uint8_t flags = cursor_u8(cur);
	uint32_t bs = SCSI_BLOCK;
	uint64_t max_lba;

	ua.key = cursor_u8(cur);
	ua.asc = cursor_u8(cur);
	ua.ascq = cursor_u8(cur);
	sn.key = cursor_u8(cur);
	sn.asc = cursor_u8(cur);
	sn.ascq = cursor_u8(cur);
	if (flags & 0x10) {
		bs = cursor_le16(cur);
		max_lba = cursor_le64(cur);
	} else {
		max_lba = d->sectors > 0 ? d->sectors - 1 : 0;
	}
	if (cur->err || flags > 31 || ua.key > 0x0f || sn.key > 0x0f || bs == 0 || (bs & ~0xfe00u) != 0 ||
	    (!d->qemu && bs != SCSI_BLOCK))
		return cause_set(cause, "scsi: state fields out of range");
	if (disk_load(d->disk, cur, cause) != 0)
		return cause_prefix(cause, "scsi");
	d->present = flags & 1;
	d->has_sense = (flags >> 1) & 1;
	d->sense_is_ua = (flags >> 2) & 1;
	d->wce = !((flags >> 3) & 1);
	d->bs = bs;
	d->max_lba = max_lba;
	d->ua = ua;
	d->sense = sn;
	return 0;
}
