/* scsi-bus.c -- the SCSI layer under the disk: CDB lengths, requests, unit attentions, sense, the target's answers */
#include <stdio.h>
#include <string.h>

#include "vr/le.h"
#include "scsi-disk-int.h"

/* ---- the CDB: length, transfer length and direction (scsi-bus.c: scsi_req_parse_cdb) ---- */

static int cdb_length(uint8_t op)
{
	static const int8_t len[8] = { 6, 10, 10, -1, 16, 12, -1, -1 };

	return len[op >> 5];
}

/* What the CDB's own length field says, by group. */
uint64_t sd_cdb_xfer(const uint8_t *cdb)
{
	switch (cdb[0] >> 5) {
	case 0: return cdb[4];
	case 1: case 2: return be16_load(cdb + 7);
	case 4: return be32_load(cdb + 10);
	case 5: return be32_load(cdb + 6);
	default: return 0;
	}
}

uint64_t sd_cdb_lba(const uint8_t *cdb)
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
	uint64_t x = sd_cdb_xfer(cdb);

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
	*lba = sd_cdb_lba(cdb);
	*write = (cdb[0] & 0x02) != 0;
	return true;
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
void sd_complete(struct scsi_disk *d, struct scsi_req *r, uint8_t status)
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

void sd_check(struct scsi_disk *d, struct scsi_req *r, struct scsi_sense sn)
{
	r->sense = sn;
	sd_complete(d, r, SCSI_CHECK_CONDITION);
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

uint32_t sd_sense_build(uint8_t *p, struct scsi_sense sn, bool fixed)
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
void sd_data_in(struct scsi_disk *d, struct scsi_req *r, uint32_t n)
{
	if (n == 0) {
		r->resid = d->qemu ? (uint32_t)r->xfer : r->din;
		sd_complete(d, r, SCSI_GOOD);
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
	sd_complete(d, r, SCSI_GOOD);
}


/* ---- the target: LUNs it does not have, REPORT LUNS, stored sense (scsi-bus.c) ---- */

void sd_target_run(struct scsi_disk *d, struct scsi_req *r)
{
	const uint8_t *cdb = r->cdb;
	uint8_t *b = d->buf;
	uint32_t n = 0;

	if (r->lun != 0 && cdb[0] != OP_INQUIRY && cdb[0] != OP_REQUEST_SENSE) {
		sd_check(d, r, SENSE_LUN_NOT_SUPPORTED);
		return;
	}
	memset(b, 0, 64);
	switch (cdb[0]) {
	case OP_REPORT_LUNS:
		if (r->xfer < 16 || cdb[2] > 2) {
			sd_check(d, r, SENSE_INVALID_FIELD);
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
			sd_check(d, r, SENSE_INVALID_FIELD);
			return;
		}
		if (cdb[1] & 0x01) {
			if (cdb[2] != 0x00) {
				sd_check(d, r, SENSE_INVALID_FIELD);
				return;
			}
			b[0] = cdb[2];		/* QEMU puts the page code where the device type goes */
			b[2] = 1;
			n = 4;
		} else {
			if (cdb[2] != 0) {
				sd_check(d, r, SENSE_INVALID_FIELD);
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
		n = sd_sense_build(b, r->lun != 0 ? SENSE_LUN_NOT_SUPPORTED : d->has_sense ? d->sense : SENSE_NO_SENSE,
		    (cdb[1] & 1) == 0);
		if (n > r->xfer)
			n = (uint32_t)r->xfer;
		break;
	default:
		/* TEST UNIT READY to LUN 0 never comes here; anything else is not the target's */
		if (cdb[0] != OP_TEST_UNIT_READY) {
			sd_check(d, r, SENSE_INVALID_OPCODE);
			return;
		}
		break;
	}
	sd_data_in(d, r, n);
}

