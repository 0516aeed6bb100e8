/* scsi-disk-data.c -- the disk's commands that move data: MODE SELECT, UNMAP, WRITE SAME, READ and WRITE */
#include <stdlib.h>
#include <string.h>

#include "vr/disk.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "scsi-disk-int.h"

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
	n = sd_mode_page(d, page, cur, 0);
	if (n != len + 2)
		return false;
	(void)sd_mode_page(d, page, chg, 1);
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
			sd_check(d, r, SENSE_INVALID_PARAM);
			return -1;
		}
		if (page_len > len)
			goto bad_len;
		if (!change && !mode_select_page_ok(d, page, p, page_len)) {
			sd_check(d, r, SENSE_INVALID_PARAM);
			return -1;
		}
		if (change && page == 0x08)
			d->wce = (p[0] & 0x04) != 0;
		p += page_len;
		len -= page_len;
	}
	return 0;
bad_len:
	sd_check(d, r, SENSE_INVALID_PARAM_LEN);
	return -1;
}

/* MODE SELECT(6/10): PF=1 SP=0 only; a block descriptor of 0 or 8 bytes; pages as MODE SENSE has them. */
static void mode_select(struct scsi_disk *d, struct scsi_req *r, const uint8_t *p, int len)
{
	bool ten = r->cdb[0] == OP_MODE_SELECT_10;
	int hdr = ten ? 8 : 4, bd;

	if ((r->cdb[1] & 0x11) != 0x10) {
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (len < hdr) {
		sd_check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	bd = ten ? be16_load(p + 6) : p[3];
	len -= hdr;
	p += hdr;
	if (len < bd) {
		sd_check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	if (bd != 0 && bd != 8) {
		sd_check(d, r, SENSE_INVALID_PARAM);
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
	sd_complete(d, r, SCSI_GOOD);
}

/* UNMAP: the parameter list's lengths, then each descriptor (one past the disk ends it, the earlier ones done). */
static void unmap(struct scsi_disk *d, struct scsi_req *r, const uint8_t *p, int len)
{
	unsigned count;

	if (r->cdb[1] & 0x01) {			/* ANCHOR */
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (len < 8 || len < be16_load(p) + 2 || len < be16_load(p + 2) + 8 || (be16_load(p + 2) & 15) != 0) {
		sd_check(d, r, SENSE_INVALID_PARAM_LEN);
		return;
	}
	count = be16_load(p + 2) >> 4;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *desc = p + 8 + 16 * i;
		uint64_t lba = be64_load(desc);
		uint32_t nb = be32_load(desc + 8);

		if (!lba_range_ok(d, lba, nb)) {
			sd_check(d, r, SENSE_LBA_OUT_OF_RANGE);
			return;
		}
		/*
		 * QEMU discards descriptor by descriptor through the block layer,
		 * so from the first one on the answer comes later; the block layer
		 * checks the range first, discard=ignore then drops the discard.
		 */
		r->later = true;
		if (!io_fits(d, lba * d->bs, (uint64_t)nb * d->bs)) {
			sd_check(d, r, SENSE_IO_ERROR);
			return;
		}
		if (d->unmap && disk_zero(d->disk, lba * d->bs, (uint64_t)nb * d->bs) != 0) {
			sd_check(d, r, SENSE_WRITE_ERROR);
			return;
		}
	}
	sd_complete(d, r, SCSI_GOOD);
}

/*
 * WRITE SAME(10/16): all zeros (UNMAP bit or not) reads back as zeros under
 * either discard mode; another block is repeated into a buffer of at most
 * 512 KiB which QEMU writes again and again, so past 512 KiB a block size
 * that does not divide it restarts the pattern mid-block, as QEMU does.
 */
static void write_same(struct scsi_disk *d, struct scsi_req *r, const uint8_t *block)
{
	uint64_t lba = sd_cdb_lba(r->cdb), nb = sd_cdb_xfer(r->cdb), off, len;
	bool zero = true;
	uint8_t *chunk;
	uint32_t n;
	int rc = 0;

	if (nb == 0 || (r->cdb[1] & 0x16) != 0) {	/* PBDATA, LBDATA, ANCHOR */
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (!lba_range_ok(d, lba, nb)) {
		sd_check(d, r, SENSE_LBA_OUT_OF_RANGE);
		return;
	}
	r->later = true;			/* blk_aio_pwrite_zeroes or blk_aio_pwritev answers */
	for (unsigned i = 0; i < d->bs && zero; i++)
		zero = block[i] == 0;
	off = lba * d->bs;
	len = nb * d->bs;
	if (zero) {
		if (!io_fits(d, off, len)) {
			sd_check(d, r, SENSE_IO_ERROR);
			return;
		}
		if (disk_zero(d->disk, off, len) != 0)
			sd_check(d, r, SENSE_WRITE_ERROR);
		else
			sd_complete(d, r, SCSI_GOOD);
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
		sd_check(d, r, rc > 0 ? SENSE_IO_ERROR : SENSE_WRITE_ERROR);
		return;
	}
	sd_complete(d, r, SCSI_GOOD);
}

/*
 * Commands whose data comes from the guest: the CDB's length moves into a
 * zeroed buffer (a data-out buffer at least that long, the framing saw to
 * it), the residual is what the buffer held beyond it, then the command
 * runs on those bytes. Nothing to move: GOOD at once, nothing checked.
 * true if the opcode is one of them.
 */
bool sd_data_out(struct scsi_disk *d, struct scsi_req *r)
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
		sd_complete(d, r, SCSI_GOOD);
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
		sd_complete(d, r, SCSI_GOOD);
		break;
	}
	return true;
}


/* READ and WRITE (scsi-disk.c's DMA commands). */
void sd_disk_rw(struct scsi_disk *d, struct scsi_req *r)
{
	uint64_t lba, len, off;
	uint32_t blocks, buffer;
	bool write;

	(void)scsi_rw_decode(r->cdb, &lba, &blocks, &write);
	if (r->cdb[1] & 0xe0) {			/* RDPROTECT / WRPROTECT */
		sd_check(d, r, SENSE_INVALID_FIELD);
		return;
	}
	if (!lba_range_ok(d, lba, blocks)) {
		sd_check(d, r, SENSE_LBA_OUT_OF_RANGE);
		return;
	}
	len = (uint64_t)blocks * d->bs;
	off = lba * d->bs;
	buffer = write ? r->dout : r->din;
	if (len == 0) {
		r->resid = d->qemu ? 0 : buffer;
		sd_complete(d, r, SCSI_GOOD);
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
			sd_check(d, r, SENSE_IO_ERROR);
			return;
		}
	} else {
		r->resid = (uint32_t)(buffer - len);
	}
	if (write) {
		if (disk_write(d->disk, off, r->out, (size_t)len) != 0) {
			sd_check(d, r, SENSE_WRITE_ERROR);
			return;
		}
		sd_complete(d, r, SCSI_GOOD);
		return;
	}
	switch (disk_to_chain(d->disk, r->q, r->c, r->in_off, off, (uint32_t)len)) {
	case 0:
		sd_complete(d, r, SCSI_GOOD);
		break;
	case -1:
		sd_check(d, r, SENSE_READ_ERROR);
		break;
	default:
		vdev_violation(d->ctx, "scsi-data-unwritable", (int)virtq_index(r->q), r->c->head, 0, false,
		    "request %u: data-in buffer is not writable guest RAM", r->c->head);
		sd_check(d, r, (struct scsi_sense){ 0x0b, 0x00, 0x00 });	/* ABORTED COMMAND */
		break;
	}
}

