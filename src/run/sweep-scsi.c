/* sweep-scsi.c -- the SCSI command sweep: seeded CDBs, LUNs, lengths and task management on virtio-scsi */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/*
 * What Linux's sd/scsi_scan and SeaBIOS send to a virtio-scsi disk, with
 * every length, flag, page code and LUN drawn from the seed, plus opcodes a
 * disk does not implement and task management on the control queue. Every
 * device-writable byte starts out as a marker the device cannot produce by
 * accident, and the guest reads the whole response area back: what QEMU
 * writes, what it leaves alone and the residual it reports are all in the
 * trace. Nothing here knows the answers; QEMU gives them, the replay
 * compares.
 */

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

static uint64_t rnd(struct ss *s, uint64_t n)
{
	return n ? record_rand(s->rec) % n : 0;
}

/* Allocation lengths: the edges of every page and header, then noise. */
static uint32_t any_alloc(struct ss *s)
{
	static const uint16_t v[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 18, 20, 31, 32, 35, 36, 37, 56, 60, 63, 64,
		96, 252, 255, 256, 257, 512 };
	uint64_t k = rnd(s, sizeof v / sizeof v[0] + 2);

	return k < sizeof v / sizeof v[0] ? v[k] : (uint32_t)rnd(s, 600);
}

/* The data-in buffer a driver posts for an allocation length: mostly the same, sometimes not. */
static uint32_t any_din(struct ss *s, uint32_t alloc)
{
	switch (rnd(s, 8)) {
	case 0: return alloc + 1 + (uint32_t)rnd(s, 64);
	case 1: return alloc > 0 ? alloc - 1 - (uint32_t)rnd(s, alloc) : 0;
	default: return alloc;
	}
}

/* Target 0 LUN 0 mostly; other LUNs, targets and malformed addresses now and then. */
static void any_lun(struct ss *s, uint8_t *lun)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[2] = 0x40;
	switch (rnd(s, 16)) {
	case 0: lun[3] = (uint8_t)(1 + rnd(s, 7)); break;		/* a LUN that does not exist */
	case 1: lun[1] = (uint8_t)(1 + rnd(s, 3)); break;		/* a target that does not exist */
	case 2: lun[2] = 0x00; break;					/* peripheral addressing, LUN 0 */
	case 3: lun[2] = 0x41; lun[3] = 0x00; break;			/* flat LUN 256 */
	case 4: lun[0] = 0; break;					/* not a single-level LUN */
	case 5: lun[2] = 0x80; break;					/* an addressing method virtio rejects */
	default: break;
	}
}

static void cmd_inquiry(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2, 0x86, 0x89, 0xb9, 0x01 };
	uint32_t alloc = any_alloc(s);

	c->cdb[0] = 0x12;
	c->cdb[1] = rnd(s, 3) != 0 ? 0x01 : 0x00;
	if (rnd(s, 16) == 0)
		c->cdb[1] |= 0x02;					/* obsolete CMDDT */
	if (c->cdb[1] & 0x01)
		c->cdb[2] = rnd(s, 8) != 0 ? pages[rnd(s, sizeof pages)] : (uint8_t)rnd(s, 256);
	else if (rnd(s, 8) == 0)
		c->cdb[2] = (uint8_t)rnd(s, 256);
	be16_store(c->cdb + 3, (uint16_t)alloc);
	c->din = any_din(s, alloc);
	c->what = "INQUIRY";
}

static void cmd_request_sense(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s) & 0xff;

	c->cdb[0] = 0x03;
	c->cdb[1] = (uint8_t)rnd(s, 2);					/* DESC */
	c->cdb[4] = (uint8_t)alloc;
	c->din = any_din(s, alloc);
	c->what = "REQUEST SENSE";
}

static void cmd_report_luns(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t sel[] = { 0, 0, 0, 1, 2, 0x10, 0xff };
	uint32_t alloc = any_alloc(s);

	c->cdb[0] = 0xa0;
	c->cdb[2] = sel[rnd(s, sizeof sel)];
	be32_store(c->cdb + 6, alloc);
	c->din = any_din(s, alloc);
	c->what = "REPORT LUNS";
}

static uint8_t any_mode_page(struct ss *s)
{
	static const uint8_t pages[] = { 0x08, 0x08, 0x3f, 0x3f, 0x0a, 0x01, 0x04, 0x05, 0x1a, 0x1c, 0x00, 0x2a };
	uint8_t pc = rnd(s, 3) == 0 ? (uint8_t)rnd(s, 4) : 0;

	return (uint8_t)(pc << 6 | (rnd(s, 10) != 0 ? pages[rnd(s, sizeof pages)] : rnd(s, 64)));
}

static void cmd_mode_sense6(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s) & 0xff;

	c->cdb[0] = 0x1a;
	c->cdb[1] = rnd(s, 2) ? 0x08 : 0x00;				/* DBD */
	c->cdb[2] = any_mode_page(s);
	c->cdb[3] = rnd(s, 8) == 0 ? 0xff : 0x00;			/* subpage */
	c->cdb[4] = (uint8_t)alloc;
	c->din = any_din(s, alloc);
	c->what = "MODE SENSE(6)";
}

static void cmd_mode_sense10(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s);

	c->cdb[0] = 0x5a;
	c->cdb[1] = rnd(s, 2) ? 0x08 : 0x00;						/* DBD */
	c->cdb[1] |= rnd(s, 4) == 0 ? 0x10 : 0x00;					/* LLBAA */
	c->cdb[2] = any_mode_page(s);
	c->cdb[3] = rnd(s, 8) == 0 ? 0xff : 0x00;
	be16_store(c->cdb + 7, (uint16_t)alloc);
	c->din = any_din(s, alloc);
	c->what = "MODE SENSE(10)";
}

static void cmd_read_capacity10(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = 0x25;
	if (rnd(s, 6) == 0) {
		c->cdb[8] = 0x01;					/* PMI */
		be32_store(c->cdb + 2, (uint32_t)rnd(s, 4096));
	}
	c->din = rnd(s, 6) == 0 ? (uint32_t)rnd(s, 16) : 8;
	c->what = "READ CAPACITY(10)";
}

static void cmd_read_capacity16(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = rnd(s, 2) ? 32 : any_alloc(s);

	c->cdb[0] = 0x9e;
	c->cdb[1] = rnd(s, 8) != 0 ? 0x10 : (uint8_t)rnd(s, 32);	/* READ CAPACITY(16), or another action */
	be32_store(c->cdb + 10, alloc);
	c->din = any_din(s, alloc);
	c->what = "READ CAPACITY(16)";
}

static uint64_t any_lba(struct ss *s, uint32_t blocks)
{
	switch (rnd(s, 8)) {
	case 0: return 0;
	case 1: return s->nblocks - (blocks ? blocks : 1);
	case 2: return s->nblocks - rnd(s, 2);				/* at or one before the end */
	case 3: return s->nblocks + rnd(s, 1u << 20);			/* beyond */
	default: return rnd(s, s->nblocks > 8 ? s->nblocks - 8 : 1);
	}
}

static void cmd_rw(struct ss *s, struct ss_cmd *c)
{
	static const char *const names[2][4] = { { "READ(6)", "READ(10)", "READ(12)", "READ(16)" },
		{ "WRITE(6)", "WRITE(10)", "WRITE(12)", "WRITE(16)" } };
	bool write = rnd(s, 2) != 0;
	unsigned form = rnd(s, 4) == 0 ? (unsigned)rnd(s, 4) : 1 + 2 * (unsigned)rnd(s, 2);	/* mostly 10, 16 */
	uint32_t blocks = (uint32_t)rnd(s, s->bs > 4096 ? 2 : 5), len;
	uint64_t lba = any_lba(s, blocks);

	/* reads often go back to the last write's blocks: what UNMAP and WRITE SAME left there shows */
	if (!write && s->hot_n > 0 && rnd(s, 2)) {
		lba = s->hot;
		blocks = s->hot_n;
		form = 1 + 2 * (unsigned)rnd(s, 2);
	}
	if (write && blocks > 0 && lba + blocks <= s->nblocks) {
		s->hot = lba;
		s->hot_n = blocks;
		s->follow = 1;
	}

	switch (form) {
	case 0:						/* 6: 21-bit LBA, 0 blocks means 256 */
		c->cdb[0] = write ? 0x0a : 0x08;
		c->cdb[1] = (uint8_t)((lba >> 16) & 0x1f);
		c->cdb[2] = (uint8_t)(lba >> 8);
		c->cdb[3] = (uint8_t)lba;
		c->cdb[4] = (uint8_t)blocks;
		if (blocks == 0)
			blocks = 256;
		break;
	case 1:
		c->cdb[0] = write ? 0x2a : 0x28;
		be32_store(c->cdb + 2, (uint32_t)lba);
		be16_store(c->cdb + 7, (uint16_t)blocks);
		break;
	case 2:
		c->cdb[0] = write ? 0xaa : 0xa8;
		be32_store(c->cdb + 2, (uint32_t)lba);
		be32_store(c->cdb + 6, blocks);
		break;
	default:
		c->cdb[0] = write ? 0x8a : 0x88;
		be64_store(c->cdb + 2, lba);
		be32_store(c->cdb + 10, blocks);
		break;
	}
	if (form != 0 && rnd(s, 8) == 0)
		c->cdb[1] = rnd(s, 2) ? 0x08 : 0x20;		/* FUA, or a protection field */
	len = blocks * s->bs;
	switch (rnd(s, 8)) {
	case 0: len += s->bs; break;
	case 1: len = len >= s->bs ? len - s->bs : 0; break;
	case 2: len += (uint32_t)rnd(s, 64); break;
	default: break;
	}
	if (write)
		c->dout = len;
	else
		c->din = len;
	c->what = names[write][form];
}

/* Commands without data a disk takes (or, for a CD-ROM's, refuses), with their flag bits. */
static void cmd_misc(struct ss *s, struct ss_cmd *c)
{
	static const struct { uint8_t op, len; const char *what; } ops[] = {
		{ 0x1b, 6, "START STOP UNIT" }, { 0x1e, 6, "PREVENT ALLOW MEDIUM REMOVAL" },
		{ 0x16, 6, "RESERVE(6)" }, { 0x17, 6, "RELEASE(6)" }, { 0x56, 10, "RESERVE(10)" },
		{ 0x57, 10, "RELEASE(10)" }, { 0x2b, 10, "SEEK(10)" }, { 0x2f, 10, "VERIFY(10)" },
		{ 0xaf, 12, "VERIFY(12)" }, { 0x8f, 16, "VERIFY(16)" }, { 0x46, 10, "GET CONFIGURATION" },
		{ 0x4a, 10, "GET EVENT STATUS NOTIFICATION" }, { 0x51, 10, "READ DISC INFORMATION" },
		{ 0xbd, 12, "MECHANISM STATUS" }, { 0xad, 12, "READ DVD STRUCTURE" },
	};
	unsigned k = (unsigned)rnd(s, sizeof ops / sizeof ops[0]);
	uint32_t alloc = rnd(s, 2) ? any_alloc(s) : 0;

	c->cdb[0] = ops[k].op;
	c->cdb[1] = rnd(s, 3) == 0 ? (uint8_t)rnd(s, 8) : 0;
	if (ops[k].op == 0x2b || ops[k].op == 0x2f)
		be32_store(c->cdb + 2, (uint32_t)any_lba(s, 0));
	if (ops[k].op == 0x1b || ops[k].op == 0x1e)
		c->cdb[4] = (uint8_t)rnd(s, 4);
	/* the allocation length where the group puts it, and a buffer to match */
	if (ops[k].len == 10 && ops[k].op != 0x2b && ops[k].op != 0x2f && ops[k].op != 0x56 && ops[k].op != 0x57)
		be16_store(c->cdb + 7, (uint16_t)alloc);
	else if (ops[k].len == 12 && ops[k].op != 0xaf)
		be32_store(c->cdb + 6, alloc);
	else
		alloc = 0;
	c->din = any_din(s, alloc);
	c->what = ops[k].what;
}

static void cmd_simple(struct ss *s, struct ss_cmd *c)
{
	static const struct { uint8_t op; const char *what; } ops[] = {
		{ 0x00, "TEST UNIT READY" },
		{ 0x35, "SYNCHRONIZE CACHE(10)" },
		{ 0x91, "SYNCHRONIZE CACHE(16)" },
	};
	unsigned k = (unsigned)rnd(s, sizeof ops / sizeof ops[0]);

	c->cdb[0] = ops[k].op;
	c->what = ops[k].what;
	if (rnd(s, 8) == 0)
		c->din = 1 + (uint32_t)rnd(s, 32);			/* a data buffer it does not need */
}

/* TEST UNIT READY or SYNCHRONIZE CACHE(16) (an unknown opcode to QEMU): answered inside the notify. */
static void cmd_simple_sync(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = rnd(s, 2) ? 0x00 : 0x91;
	c->what = c->cdb[0] ? "SYNCHRONIZE CACHE(16)" : "TEST UNIT READY";
	if (rnd(s, 8) == 0)
		c->din = 1 + (uint32_t)rnd(s, 32);			/* a data buffer it does not need */
}

/* Opcodes a disk does not implement (Linux probes some of them), and CDB groups without a length. */
static void cmd_unknown(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t ops[] = { 0x01, 0x07, 0x3b, 0x4d, 0x85, 0xa1, 0xa3, 0x60, 0x7f, 0xc0, 0xe7, 0xff };

	c->cdb[0] = ops[rnd(s, sizeof ops)];
	c->cdb[1] = (uint8_t)rnd(s, 256);
	c->cdb[4] = (uint8_t)rnd(s, 64);
	if (rnd(s, 3) == 0)
		c->din = (uint32_t)rnd(s, 64);
	c->what = "unimplemented opcode";
}

/* A range of blocks to unmap or write the same block to: often part of the last write, sometimes past the end. */
static void any_range(struct ss *s, uint64_t *lba, uint32_t *nb)
{
	if (s->hot_n > 0 && (s->follow == 1 || rnd(s, 2))) {
		uint32_t skip = (uint32_t)rnd(s, s->hot_n);

		*lba = s->hot + skip;
		*nb = rnd(s, 8) == 0 ? 0 : 1 + (uint32_t)rnd(s, s->hot_n - skip);
		s->follow = 2;
		return;
	}
	*nb = (uint32_t)rnd(s, 9);
	*lba = any_lba(s, *nb);
	if (rnd(s, 12) == 0)
		*nb = 0xffffffffu - (uint32_t)rnd(s, 2);		/* wraps the LBA */
}

/*
 * MODE SELECT(6/10) as Linux sends it to flip the write cache (PF=1, the
 * caching page with WCE set or clear), and what a confused or hostile driver
 * sends: other PF/SP bits, block descriptors of every length and block size
 * (ones QEMU switches to, multiples of 512 up to 0xfe00, and ones it
 * ignores), pages it lacks or whose unchangeable bits differ, lengths that
 * cut the list short.
 */
static void cmd_mode_select(struct ss *s, struct ss_cmd *c)
{
	static const uint32_t sizes[] = { 0, 512, 512, 0x1ff, 0x10200, 0x123, 0xfe01, 0x100, 1024, 2048, 4096,
		0x600, 0xfe00 };
	bool ten = rnd(s, 2) != 0;
	uint8_t *p = c->param;
	uint32_t n = ten ? 8 : 4, bd = rnd(s, 3) == 0 ? 8 : 0;

	c->cdb[0] = ten ? 0x55 : 0x15;
	c->cdb[1] = rnd(s, 6) != 0 ? 0x10 : (uint8_t)rnd(s, 0x20);		/* PF, else any PF/SP */
	if (rnd(s, 12) == 0)
		bd = (uint32_t)rnd(s, 17);
	if (ten)
		be16_store(p + 6, (uint16_t)bd);
	else
		p[3] = (uint8_t)bd;
	if (bd == 8) {
		uint32_t bs = sizes[rnd(s, sizeof sizes / sizeof sizes[0])];

		p[n + 5] = (uint8_t)(bs >> 16);
		p[n + 6] = (uint8_t)(bs >> 8);
		p[n + 7] = (uint8_t)bs;
		s->ask_capacity = true;
	}
	n += bd <= 16 ? bd : 0;
	for (unsigned k = 1 + (unsigned)rnd(s, 2); k > 0 && n + 24 <= sizeof c->param; k--) {
		switch (rnd(s, 10)) {
		case 0:					/* read-write error recovery as it is (AWRE) */
			p[n] = 0x01;
			p[n + 1] = 10;
			p[n + 2] = rnd(s, 2) ? 0x80 : 0xc0;
			n += 12;
			break;
		case 1:					/* a page the disk does not have, or all pages */
			p[n] = rnd(s, 2) ? 0x0a : 0x3f;
			p[n + 1] = 10;
			n += 12;
			break;
		case 2:					/* sub-page format */
			p[n] = 0x48;
			p[n + 1] = (uint8_t)(rnd(s, 2) ? 0 : 1);
			be16_store(p + n + 2, 0x12);
			p[n + 4] = rnd(s, 2) ? 0x04 : 0;
			n += 4 + 0x12;
			break;
		default: {				/* the caching page, WCE set or clear */
			uint8_t len = rnd(s, 6) != 0 ? 0x12 : (uint8_t)(0x10 + rnd(s, 5));

			p[n] = (uint8_t)(0x08 | (rnd(s, 4) == 0 ? 0x80 : 0));	/* PS now and then */
			p[n + 1] = len;
			p[n + 2] = rnd(s, 2) ? 0x04 : 0x00;
			if (rnd(s, 8) == 0) {
				uint8_t v = (uint8_t)(1 + rnd(s, 255));

				p[n + 2 + 1 + rnd(s, len - 1)] = v;	/* not changeable */
			}
			n += 2u + len;
			break;
		}
		}
	}
	if (rnd(s, 8) == 0)
		n = (uint32_t)rnd(s, n + 4);				/* cut short, or zeros after */
	c->nparam = n;
	if (ten)
		be16_store(c->cdb + 7, (uint16_t)n);
	else
		c->cdb[4] = (uint8_t)n;
	c->dout = rnd(s, 10) != 0 ? n : n + (uint32_t)rnd(s, 8);
	c->what = ten ? "MODE SELECT(10)" : "MODE SELECT(6)";
}

/* UNMAP: block descriptors on written blocks or anywhere, ANCHOR, and lengths that do not add up. */
static void cmd_unmap(struct ss *s, struct ss_cmd *c)
{
	uint8_t *p = c->param;
	unsigned nd = (unsigned)rnd(s, 4);
	uint32_t n = 8 + 16 * nd;

	c->cdb[0] = 0x42;
	if (rnd(s, 10) == 0)
		c->cdb[1] = 0x01;					/* ANCHOR */
	be16_store(p, (uint16_t)(n - 2));
	be16_store(p + 2, (uint16_t)(16 * nd));
	for (unsigned i = 0; i < nd; i++) {
		uint64_t lba;
		uint32_t nb;

		any_range(s, &lba, &nb);
		be64_store(p + 8 + 16 * i, lba);
		be32_store(p + 16 + 16 * i, nb);
	}
	switch (rnd(s, 10)) {
	case 0: be16_store(p, (uint16_t)(n + rnd(s, 20))); break;		/* data length past the list */
	case 1: be16_store(p + 2, (uint16_t)(16 * nd + 1 + rnd(s, 15))); break;	/* not whole descriptors */
	case 2: n = (uint32_t)rnd(s, n); break;					/* parameter list cut short */
	default: break;
	}
	c->nparam = n;
	be16_store(c->cdb + 7, (uint16_t)n);
	c->dout = n;
	c->what = "UNMAP";
}

/* WRITE SAME(10/16): zeros or a pattern, with UNMAP, NDOB and the flags QEMU refuses. */
static void cmd_write_same(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t flags[] = { 0x00, 0x00, 0x08, 0x08, 0x01, 0x02, 0x04, 0x10, 0x09 };
	bool sixteen = rnd(s, 2) != 0;
	uint64_t lba;
	uint32_t nb;

	any_range(s, &lba, &nb);
	c->cdb[0] = sixteen ? 0x93 : 0x41;
	c->cdb[1] = flags[rnd(s, sizeof flags)];
	if (sixteen) {
		be64_store(c->cdb + 2, lba);
		be32_store(c->cdb + 10, nb);
	} else {
		be32_store(c->cdb + 2, (uint32_t)lba);
		be16_store(c->cdb + 7, (uint16_t)nb);
	}
	if (rnd(s, 2))
		for (unsigned i = 0; i < SS_BLOCK; i++)
			c->param[i] = (uint8_t)(i * 3 + 1);
	else
		c->zero_rest = true;					/* a block of zeros, whatever its size */
	c->nparam = SS_BLOCK;
	c->dout = (c->cdb[1] & 0x01) && rnd(s, 2) ? 0 : s->bs;		/* NDOB: no data needed */
	if (rnd(s, 10) == 0)
		c->dout = (uint32_t)rnd(s, s->bs + 64);
	c->what = sixteen ? "WRITE SAME(16)" : "WRITE SAME(10)";
}

/* FORMAT UNIT: with and without a parameter list (FMTDATA, LONGLIST). */
static void cmd_format(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = 0x04;
	c->cdb[1] = (uint8_t)(rnd(s, 2) ? 0x10 | (rnd(s, 2) ? 0x20 : 0) : rnd(s, 8));
	c->dout = (c->cdb[1] & 0x10) ? ((c->cdb[1] & 0x20) ? 8 : 4) : 0;
	c->what = "FORMAT UNIT";
}

static const struct {
	void (*build)(struct ss *s, struct ss_cmd *c);
	unsigned weight;
} ss_cmds[] = {
	{ cmd_inquiry, 6 },
	{ cmd_request_sense, 2 },
	{ cmd_report_luns, 2 },
	{ cmd_mode_sense6, 3 },
	{ cmd_mode_sense10, 3 },
	{ cmd_read_capacity10, 1 },
	{ cmd_read_capacity16, 2 },
	{ cmd_rw, 4 },
	{ cmd_simple, 2 },
	{ cmd_unknown, 2 },
	{ cmd_misc, 2 },
	{ cmd_mode_select, 3 },
	{ cmd_unmap, 2 },
	{ cmd_write_same, 2 },
	{ cmd_format, 1 },
};

static void any_lun_zero(uint8_t *lun)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[2] = 0x40;
}

/* An UNMAP as Linux sends it: one descriptor, on part of the last write's blocks. */
static void cmd_unmap_clean(struct ss *s, struct ss_cmd *c)
{
	uint64_t lba;
	uint32_t nb;

	any_range(s, &lba, &nb);
	c->cdb[0] = 0x42;
	be16_store(c->param, 22);
	be16_store(c->param + 2, 16);
	be64_store(c->param + 8, lba);
	be32_store(c->param + 16, nb);
	c->nparam = 24;
	be16_store(c->cdb + 7, 24);
	c->dout = 24;
	c->what = "UNMAP of written blocks";
}

/* A READ(10) of the last write's blocks, whole. */
static void cmd_read_hot(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = 0x28;
	be32_store(c->cdb + 2, (uint32_t)s->hot);
	be16_store(c->cdb + 7, (uint16_t)s->hot_n);
	c->din = s->hot_n * s->bs;
	c->what = "READ(10) of the written blocks";
}

static void any_cmd(struct ss *s, struct ss_cmd *c)
{
	unsigned total = 0, k, follow = s->follow;

	for (size_t i = 0; i < sizeof ss_cmds / sizeof ss_cmds[0]; i++)
		total += ss_cmds[i].weight;
	k = (unsigned)rnd(s, total);
	memset(c, 0, sizeof(*c));
	any_lun(s, c->lun);
	/* After a write, often an UNMAP or WRITE SAME on it; after those, a read of it: the discard mode shows. */
	if (follow == 1 && rnd(s, 3) != 0) {
		any_lun_zero(c->lun);
		if (rnd(s, 3) != 0)
			cmd_unmap_clean(s, c);
		else
			cmd_write_same(s, c);
		return;
	}
	s->follow = 0;
	if (follow == 2 && rnd(s, 4) != 0) {
		any_lun_zero(c->lun);
		cmd_read_hot(s, c);
		return;
	}
	/* After a block descriptor, READ CAPACITY as a driver would (its answer sizes the reads and writes). */
	if (s->ask_capacity) {
		s->ask_capacity = false;
		if (rnd(s, 2)) {
			any_lun_zero(c->lun);
			if (rnd(s, 2))
				cmd_read_capacity10(s, c);
			else
				cmd_read_capacity16(s, c);
			return;
		}
	}
	for (size_t i = 0; i < sizeof ss_cmds / sizeof ss_cmds[0]; i++) {
		if (k < ss_cmds[i].weight) {
			ss_cmds[i].build(s, c);
			break;
		}
		k -= ss_cmds[i].weight;
	}
	if (rnd(s, 40) == 0) {
		/* data both ways: virtio-scsi without INOUT fails it */
		c->dout = c->dout ? c->dout : 1 + (uint32_t)rnd(s, 64);
		c->din = c->din ? c->din : 1 + (uint32_t)rnd(s, 64);
	}
	if (c->din > SS_MAX_DATA)
		c->din = SS_MAX_DATA;
	if (c->dout > SS_MAX_DATA)
		c->dout = SS_MAX_DATA;
}

/* Take one completion of queue q and read every device-writable byte back. */
static int ss_complete(struct ss *s, unsigned q, char **cause)
{
	struct guest_used u;
	uint32_t n;
	int rc;

	(void)guest_wait(s->g, q, 1);
	if ((rc = guest_poll(s->g, q, &u)) <= 0)
		return cause_set(cause, "queue %u: %s", q, rc < 0 ? "the device published a bad used entry" :
		    "the request did not complete");
	n = guest_in_size(s->g, q, u.head);
	if (n > sizeof s->fill)
		n = sizeof s->fill;
	if (n > 0)
		(void)guest_read_in(s->g, q, u.head, 0, s->fill, n);
	return 0;
}

/* IN buffers start out as the marker, so bytes the device leaves alone show. */
static void ss_in(struct ss *s, struct guest_buf *b, uint32_t len)
{
	memset(s->fill, s->marker, len < sizeof s->fill ? len : sizeof s->fill);
	memset(b, 0, sizeof(*b));
	b->len = len;
	b->data = s->fill;
}

/*
 * A READ CAPACITY the disk answered GOOD (its data in a buffer of its own):
 * the block size and count the next reads and writes use, as a driver takes
 * them. The answer is the device's; the sweep only follows it.
 */
static void ss_learn_capacity(struct ss *s, const struct ss_cmd *c)
{
	const uint8_t *d = s->fill + SS_RESP_HDR + s->sense_size;
	bool sixteen = c->cdb[0] == 0x9e && (c->cdb[1] & 0x1f) == 0x10;
	uint64_t last;
	uint32_t bs;

	if ((c->cdb[0] != 0x25 && !sixteen) || s->fill[10] != 0 || s->fill[11] != 0 || c->din < (sixteen ? 12u : 8u))
		return;
	last = sixteen ? be64_load(d) : be32_load(d);
	bs = be32_load(d + (sixteen ? 8 : 4));
	if (bs < SS_BLOCK || bs > 0xfe00 || last >= SS_DISK_BLOCKS)
		return;
	s->bs = bs;
	s->nblocks = last + 1;
	s->hot_n = 0;
	record_mark(s->rec, "sweep: READ CAPACITY says %u blocks of %u bytes", (unsigned)s->nblocks, bs);
}

/*
 * Lay the buffer s->over names (the header if the command has no such
 * buffer) inside the area the command before it may write, if it fits.
 */
static void ss_lay_over(struct ss *s, struct guest_buf *out, unsigned nout, struct guest_buf *in, unsigned nin)
{
	static const char *const names[] = { "", "request header", "data-out", "response", "data-in" };
	struct guest_buf *b = &out[0];
	unsigned what = SS_OVER_HDR;

	if (s->over == SS_OVER_DOUT && nout > 1)
		b = &out[1], what = SS_OVER_DOUT;
	else if (s->over == SS_OVER_RESP)
		b = &in[0], what = SS_OVER_RESP;
	else if (s->over == SS_OVER_DIN && nin > 1)
		b = &in[1], what = SS_OVER_DIN;
	s->over = SS_OVER_NONE;
	if (b->len > s->over_len)
		return;
	b->addr = s->over_addr + rnd(s, s->over_len - b->len + 1);
	record_mark(s->rec, "sweep: its %s at 0x%" PRIx64 ", over the device-writable area of the command before "
	    "(0x%" PRIx64 "+0x%x)", names[what], b->addr, s->over_addr, s->over_len);
}

/* Frame one command into the request queue (not kicked); the number of IN buffers, or -1. */
static int ss_post(struct ss *s, const struct ss_cmd *c, char **cause)
{
	uint8_t req[SS_REQ_HDR + 256];
	struct guest_buf out[2], in[2];
	unsigned nout = 0, nin = 0;

	memset(req, 0, sizeof req);
	memcpy(req, c->lun, 8);
	le64_store(req + 8, record_rand(s->rec) & 0xffff);	/* tag */
	memcpy(req + SS_REQ_HDR, c->cdb, s->cdb_size < sizeof c->cdb ? s->cdb_size : sizeof c->cdb);
	memset(out, 0, sizeof out);
	memset(in, 0, sizeof in);
	out[nout].len = SS_REQ_HDR + s->cdb_size;
	out[nout++].data = req;
	if (c->dout > 0) {
		for (uint32_t i = 0; i < c->dout; i++)
			s->data[i] = i < c->nparam ? c->param[i] : c->zero_rest ? 0 : (uint8_t)(i * 7 + s->marker);
		out[nout].len = c->dout;
		out[nout++].data = s->data;
	}
	s->marker = (uint8_t)(0xa5 ^ rnd(s, 256));
	/*
	 * The response and the data in buffers of their own, as drivers post
	 * them; now and then one buffer for both (QEMU without ANY_LAYOUT
	 * takes the whole first buffer as the response).
	 */
	if (c->din > 0 && rnd(s, 8) == 0) {
		ss_in(s, &in[nin++], SS_RESP_HDR + s->sense_size + c->din);
	} else {
		ss_in(s, &in[nin++], SS_RESP_HDR + s->sense_size);
		if (c->din > 0)
			ss_in(s, &in[nin++], c->din);
	}
	record_mark(s->rec, "sweep: %s lun %02x %02x %02x %02x cdb %02x %02x %02x %02x %02x %02x, data out %u in %u",
	    c->what, c->lun[0], c->lun[1], c->lun[2], c->lun[3], c->cdb[0], c->cdb[1], c->cdb[2], c->cdb[3],
	    c->cdb[4], c->cdb[5], c->dout, c->din);
	if (s->over != SS_OVER_NONE)
		ss_lay_over(s, out, nout, in, nin);
	if ((s->last_head = guest_add(s->g, SS_REQQ, out, nout, in, nin, 0, cause)) < 0)
		return -1;
	return (int)nin;
}

static int ss_send(struct ss *s, const struct ss_cmd *c, char **cause)
{
	int nin = ss_post(s, c, cause);

	if (nin < 0)
		return -1;
	guest_kick(s->g, SS_REQQ);
	if (ss_complete(s, SS_REQQ, cause) < 0)
		return -1;
	if (nin == 2)
		ss_learn_capacity(s, c);
	return 0;
}

/*
 * MODE SELECT as a batch sends it: PF=1 mostly, a block descriptor now and
 * then (the block size the transfers set up in the same batch do not
 * take), and the caching page with WCE set, so that QEMU answers it inside
 * the notify whatever the write cache was (with the cache off it flushes
 * through its block layer first: one block-layer answer per batch).
 */
static void cmd_mode_select_wce(struct ss *s, struct ss_cmd *c)
{
	static const uint32_t sizes[] = { 512, 1024, 2048, 4096, 0x600, 0x1ff };
	bool ten = rnd(s, 2) != 0;
	uint8_t *p = c->param;
	uint32_t n = ten ? 8 : 4;

	c->cdb[0] = ten ? 0x55 : 0x15;
	c->cdb[1] = rnd(s, 8) != 0 ? 0x10 : 0x11;			/* PF, or PF and SP (refused) */
	if (rnd(s, 2)) {
		uint32_t bs = sizes[rnd(s, sizeof sizes / sizeof sizes[0])];

		if (ten)
			p[7] = 8;
		else
			p[3] = 8;
		p[n + 5] = (uint8_t)(bs >> 16);
		p[n + 6] = (uint8_t)(bs >> 8);
		p[n + 7] = (uint8_t)bs;
		n += 8;
		s->ask_capacity = true;
	}
	p[n] = 0x08;
	p[n + 1] = 0x12;
	p[n + 2] = 0x04;						/* WCE */
	n += 2 + 0x12;
	c->nparam = n;
	if (ten)
		be16_store(c->cdb + 7, (uint16_t)n);
	else
		c->cdb[4] = (uint8_t)n;
	c->dout = n;
	c->what = ten ? "MODE SELECT(10) with WCE" : "MODE SELECT(6) with WCE";
}

/*
 * Commands QEMU answers inside the notify whatever their fields (no block
 * layer), for batches; among them those whose setup depends on what an
 * earlier command of the batch did: REQUEST SENSE (it picks stored sense
 * when set up), unparsable CDBs and REPORT LUNS (their end clears a unit
 * attention a later command of the batch may have taken when set up),
 * MODE SELECT (its block size does not size transfers set up with it).
 */
static const struct {
	void (*build)(struct ss *s, struct ss_cmd *c);
} ss_sync_cmds[] = {
	{ cmd_inquiry }, { cmd_mode_sense6 }, { cmd_mode_sense10 }, { cmd_read_capacity10 },
	{ cmd_read_capacity16 }, { cmd_misc }, { cmd_request_sense }, { cmd_request_sense }, { cmd_report_luns },
	{ cmd_unknown }, { cmd_mode_select_wce }, { cmd_simple_sync },
};

/* Post a command of a batch, its buffers cut so the batch's all fit the guest's data area at once. */
static int ss_post_batched(struct ss *s, struct ss_cmd *c, char **cause)
{
	if (c->din > SS_BATCH_DATA)
		c->din = SS_BATCH_DATA;
	if (c->dout > SS_BATCH_DATA)
		c->dout = SS_BATCH_DATA;
	return ss_post(s, c, cause);
}

/*
 * Several commands in one notify, as a driver with a queue depth sends
 * them: commands QEMU answers at once, with every LUN and buffer the sweep
 * draws (framing errors among them), and mostly one SYNCHRONIZE CACHE(10)
 * or READ or WRITE that its block layer answers, so the order in which QEMU
 * uses them is in the trace. One at most: several block-layer answers in
 * one notify come back in an order that depends on QEMU's thread pool and
 * flush coalescing (not compared, see virtio-replay-devices(7)). Half the
 * batches start with a TEST UNIT READY of their own, which takes any
 * pending unit attention; in the others the batch's first command QEMU
 * sets up for it takes it. Completions are taken as they come.
 *
 * overlap: most commands lay one of their buffers (header, data-out, which
 * makes them a MODE SELECT, response or data-in) inside the last IN buffer
 * of the command before them, when that one is answered inside the notify
 * (what the block layer writes lands on QEMU's time): QEMU copies a header
 * when it sets the command up, reads data-out and writes data-in and the
 * response when it runs it, so the trace shows which bytes each one saw.
 */
static int ss_batch(struct ss *s, bool overlap, char **cause)
{
	unsigned n = 2 + (unsigned)rnd(s, 6), at = (unsigned)rnd(s, n + 2);
	struct ss_cmd tur;
	uint64_t area = 0;		/* overlap: the last IN buffer of the command before, if QEMU answers it at once */
	uint32_t area_len = 0;

	if (rnd(s, 2)) {
		memset(&tur, 0, sizeof tur);
		any_lun_zero(tur.lun);
		tur.what = "TEST UNIT READY";
		if (ss_send(s, &tur, cause) < 0)
			return -1;
	}
	record_mark(s->rec, "sweep: a batch of %u commands in one notify", n);
	for (unsigned i = 0; i < n; i++) {
		struct ss_cmd c;
		unsigned over = SS_OVER_NONE;
		int nin;

		if (area != 0 && rnd(s, 4) != 0)
			over = SS_OVER_HDR + (unsigned)rnd(s, 4);
		memset(&c, 0, sizeof c);
		if (i == at) {
			any_lun_zero(c.lun);
			if (rnd(s, 2)) {
				c.cdb[0] = 0x35;
				c.what = "SYNCHRONIZE CACHE(10)";
			} else {
				cmd_rw(s, &c);
			}
		} else if (over == SS_OVER_DOUT) {
			/* a parameter list that is what the command before wrote */
			any_lun_zero(c.lun);
			cmd_mode_select_wce(s, &c);
		} else {
			any_lun(s, c.lun);
			if (rnd(s, 3) == 0)
				any_lun_zero(c.lun);		/* what LUN 0 answers depends on the batch */
			ss_sync_cmds[rnd(s, sizeof ss_sync_cmds / sizeof ss_sync_cmds[0])].build(s, &c);
		}
		s->over = over;
		s->over_addr = area;
		s->over_len = area_len;
		if ((nin = ss_post_batched(s, &c, cause)) < 0)
			return -1;
		/* what the block layer writes lands on QEMU's time: never laid over */
		area = 0;
		if (overlap && i != at)
			area = guest_in_addr(s->g, SS_REQQ, (uint16_t)s->last_head, (unsigned)nin - 1, &area_len);
	}
	guest_kick(s->g, SS_REQQ);
	(void)guest_wait(s->g, SS_REQQ, (uint16_t)n);	/* QEMU's block layer answers a little later */
	for (unsigned i = 0; i < n; i++)
		if (ss_complete(s, SS_REQQ, cause) < 0)
			return -1;
	return 0;
}

/*
 * The scenario's end, now and then: a batch of commands QEMU answers inside
 * the notify with a request whose header is too short among them. QEMU's
 * virtio_scsi_bad_req breaks the device, and the commands set up before it
 * are detached, not run (those refused by the framing were used already);
 * the guest reads every response and data area back, the used ring and the
 * status. The device needs a reset after it: nothing follows.
 */
static int ss_batch_bad(struct ss *s, char **cause)
{
	unsigned n = 1 + (unsigned)rnd(s, 4), bad = (unsigned)rnd(s, n + 1);
	uint8_t req[8];
	struct guest_buf out = { .len = (uint32_t)rnd(s, sizeof req) + 1, .data = req }, in;
	int heads[6];
	unsigned nh = 0;
	struct guest_used u;

	memset(req, 0, sizeof req);
	req[0] = 1;
	record_mark(s->rec, "sweep: a batch of %u commands with a %u-byte request header at %u", n, out.len, bad);
	for (unsigned i = 0; i <= n; i++) {
		struct ss_cmd c;

		if (i == bad) {
			s->marker = (uint8_t)(0x3c ^ rnd(s, 256));
			ss_in(s, &in, SS_RESP_HDR + s->sense_size);
			if ((heads[nh++] = guest_add(s->g, SS_REQQ, &out, 1, &in, 1, 0, cause)) < 0)
				return -1;
			continue;
		}
		memset(&c, 0, sizeof c);
		any_lun(s, c.lun);
		if (rnd(s, 2))
			any_lun_zero(c.lun);
		ss_sync_cmds[rnd(s, sizeof ss_sync_cmds / sizeof ss_sync_cmds[0])].build(s, &c);
		if (ss_post_batched(s, &c, cause) < 0)
			return -1;
		heads[nh++] = s->last_head;
	}
	guest_kick(s->g, SS_REQQ);
	while (guest_poll(s->g, SS_REQQ, &u) == 1)
		;
	for (unsigned i = 0; i < nh; i++) {
		uint32_t len = guest_in_size(s->g, SS_REQQ, (uint16_t)heads[i]);

		if (len > sizeof s->fill)
			len = sizeof s->fill;
		(void)guest_read_in(s->g, SS_REQQ, (uint16_t)heads[i], 0, s->fill, len);
	}
	record_mark(s->rec, "sweep: device status 0x%02x", guest_status(s->g));
	return 0;
}

/* A task management function or an asynchronous notification request on the control queue. */
static int ss_ctrl(struct ss *s, char **cause)
{
	static const char *const tmf[] = { "ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK", "QUERY_TASK_SET" };
	uint8_t req[24];
	struct guest_buf out = { .len = sizeof req, .data = req }, in;
	uint32_t type = rnd(s, 4) != 0 ? 0 : 1 + (uint32_t)rnd(s, 2), sub = (uint32_t)rnd(s, 9);

	memset(req, 0, sizeof req);
	le32_store(req, type);
	any_lun(s, req + (type == 0 ? 8 : 4));
	if (type == 0) {
		le32_store(req + 4, sub);
		le64_store(req + 16, record_rand(s->rec) & 0xffff);
		record_mark(s->rec, "sweep: TMF %s lun %02x %02x %02x %02x", sub < 8 ? tmf[sub] : "unknown",
		    req[8], req[9], req[10], req[11]);
	} else {
		le32_store(req + 12, (uint32_t)record_rand(s->rec));
		out.len = 16;
		record_mark(s->rec, "sweep: %s lun %02x %02x %02x %02x", type == 1 ? "AN_QUERY" : "AN_SUBSCRIBE",
		    req[4], req[5], req[6], req[7]);
	}
	s->marker = (uint8_t)(0x5a ^ rnd(s, 256));
	ss_in(s, &in, type == 0 ? 1 + (uint32_t)rnd(s, 2) * 15 : 8);
	if (guest_add(s->g, SS_CTRLQ, &out, 1, &in, 1, 0, cause) < 0)
		return -1;
	guest_kick(s->g, SS_CTRLQ);
	return ss_complete(s, SS_CTRLQ, cause);
}

void sweep_scsi_prepare(struct record *rec, struct trace_header *h)
{
	h->discard = record_rand(rec) >> 63 ? TRACE_DISCARD_UNMAP : TRACE_DISCARD_IGNORE;
	h->write_cache = record_rand(rec) % 3 == 0 ? TRACE_WCACHE_OFF : TRACE_WCACHE_ON;
}

int sweep_sc_scsi(struct record *rec, char **cause)
{
	static const uint32_t senses[] = { 96, 96, 18, 32, 8, 252 };
	static const uint32_t cdbs[] = { 32, 32, 16, 12 };
	struct ss *s;
	unsigned n;
	int rc = 0;

	if (record_device_id(rec) != VIRTIO_ID_SCSI)
		return cause_set(cause, "sweep-scsi is written for scsi");
	s = xcalloc(1, sizeof *s);
	s->rec = rec;
	s->sense_size = 96;
	s->cdb_size = 32;
	s->bs = SS_BLOCK;
	s->nblocks = SS_DISK_BLOCKS;
	if ((s->g = record_guest(rec, GUEST_IRQ_MSIX, 0)) == NULL) {
		free(s);
		return cause_set(cause, "cannot create the guest");
	}
	record_mark(rec, "sweep: discard %s, write-cache %s", trace_discard_name(record_header(rec)->discard),
	    trace_write_cache_name(record_header(rec)->write_cache));
	record_mark(rec, "sweep: linux-like init (msi-x per queue)");
	if (guest_init(s->g, cause) < 0) {
		free(s);
		return -1;
	}
	if (rnd(s, 3) == 0) {
		/* The driver may size the sense and CDB areas (virtio 5.6.4); QEMU frames requests by them. */
		s->sense_size = senses[rnd(s, sizeof senses / sizeof senses[0])];
		s->cdb_size = cdbs[rnd(s, sizeof cdbs / sizeof cdbs[0])];
		record_mark(rec, "sweep: sense_size %u, cdb_size %u", s->sense_size, s->cdb_size);
		guest_devcfg_write(s->g, SS_CFG_SENSE, 4, s->sense_size);
		guest_devcfg_write(s->g, SS_CFG_CDB, 4, s->cdb_size);
	}
	n = 24 + (unsigned)rnd(s, 24);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct ss_cmd c;

		if (rnd(s, 10) == 0) {
			rc = ss_ctrl(s, cause);
			continue;
		}
		if (rnd(s, 8) == 0) {
			rc = ss_batch(s, false, cause);
			continue;
		}
		any_cmd(s, &c);
		rc = ss_send(s, &c, cause);
	}
	if (rc == 0 && rnd(s, 6) == 0) {
		rc = ss_batch_bad(s, cause);
	} else {
		/* batches whose commands lay buffers over what the command before them writes */
		for (unsigned i = 0, k = 1 + (unsigned)rnd(s, 3); rc == 0 && i < k; i++)
			rc = ss_batch(s, true, cause);
	}
	free(s);
	return rc;
}
