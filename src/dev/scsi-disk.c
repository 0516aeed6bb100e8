/* scsi-disk.c -- the SCSI disk behind virtio-scsi: the LUN, its emulated commands, running a command, checkpoints */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "scsi-disk-int.h"

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
int sd_mode_page(struct scsi_disk *d, uint8_t page, uint8_t *p, int pc)
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
		sd_check(d, r, SENSE_SAVING_NOT_SUPPORTED);
		return -2;
	}
	if (page == 0x3f) {
		for (uint8_t p = 0; p < 0x3f; p++) {
			int k = sd_mode_page(d, p, b + n, pc);

			if (k > 0)
				n += k;
		}
	} else {
		int k = sd_mode_page(d, page, b + n, pc);

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
		if ((r->cdb[8] & 1) == 0 && sd_cdb_lba(r->cdb) != 0)
			return -1;
		d->max_lba = last;
		be32_store(b, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
		be32_store(b + 4, d->bs);
		return 8;
	}
	if ((r->cdb[1] & 0x1f) != SAI_READ_CAPACITY_16 || ((r->cdb[14] & 1) == 0 && sd_cdb_lba(r->cdb) != 0))
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
		return (int)sd_sense_build(b, SENSE_NO_SENSE, (r->cdb[1] & 1) == 0);
	case OP_RESERVE:
	case OP_RELEASE:
		return (r->cdb[1] & 1) ? -1 : 0;
	case OP_RESERVE_10:
	case OP_RELEASE_10:
		return (r->cdb[1] & 3) ? -1 : 0;
	case OP_SEEK_10:
		if (sd_cdb_lba(r->cdb) > d->max_lba) {
			sd_check(d, r, SENSE_LBA_OUT_OF_RANGE);
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
		sd_check(d, r, SENSE_INVALID_OPCODE);
		return -2;
	}
}


static void disk_emulated(struct scsi_disk *d, struct scsi_req *r)
{
	uint32_t room = r->xfer > 4096 ? (uint32_t)r->xfer : 4096;
	int n;

	if (r->xfer > EMU_MAX) {
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (d->qemu && sd_data_out(d, r))
		return;
	memset(d->buf, 0, room);
	n = emulate(d, r, d->buf);
	if (n == -2)
		return;
	if (n < 0) {
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	/* QEMU hands over the allocation length whatever the data's; vbox only the data. */
	if (d->qemu || (uint64_t)n > r->xfer)
		n = (int)r->xfer;
	sd_data_in(d, r, (uint32_t)n);
}


void scsi_disk_run(struct scsi_disk *d, struct scsi_req *r)
{
	uint64_t lba;
	uint32_t blocks;
	bool write;

	switch (r->ops) {
	case SCSI_OPS_INVALID_OPCODE:
		sd_check(d, r, SENSE_INVALID_OPCODE);
		return;
	case SCSI_OPS_INVALID_FIELD:
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	case SCSI_OPS_UNIT_ATTENTION:
		sd_check(d, r, r->sense);
		return;
	case SCSI_OPS_TARGET:
		sd_target_run(d, r);
		return;
	case SCSI_OPS_DISK:
		break;
	}
	if (scsi_rw_decode(r->cdb, &lba, &blocks, &write))
		sd_disk_rw(d, r);
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
