/* sweep-scsi-cdb.c -- the SCSI sweep's commands: CDBs, LUNs, lengths and parameter lists drawn from the seed */
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

#include "sweep-scsi-int.h"

uint64_t ss_rnd(struct ss *s, uint64_t n)
{
	return record_below(s->rec, n);
}

/* Allocation lengths: the edges of every page and header, then noise. */
static uint32_t any_alloc(struct ss *s)
{
	static const uint16_t v[] = { 0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 18, 20, 31, 32, 35, 36, 37, 56, 60, 63, 64,
		96, 252, 255, 256, 257, 512 };
	uint64_t k = ss_rnd(s, sizeof v / sizeof v[0] + 2);

	return k < sizeof v / sizeof v[0] ? v[k] : (uint32_t)ss_rnd(s, 600);
}

/* The data-in buffer a driver posts for an allocation length: mostly the same, sometimes not. */
static uint32_t any_din(struct ss *s, uint32_t alloc)
{
	switch (ss_rnd(s, 8)) {
	case 0: return alloc + 1 + (uint32_t)ss_rnd(s, 64);
	case 1: return alloc > 0 ? alloc - 1 - (uint32_t)ss_rnd(s, alloc) : 0;
	default: return alloc;
	}
}

/* Target 0 LUN 0 mostly; other LUNs, targets and malformed addresses now and then. */
void ss_any_lun(struct ss *s, uint8_t *lun)
{
	memset(lun, 0, 8);
	lun[0] = 1;
	lun[2] = 0x40;
	switch (ss_rnd(s, 16)) {
	case 0: lun[3] = (uint8_t)(1 + ss_rnd(s, 7)); break;		/* a LUN that does not exist */
	case 1: lun[1] = (uint8_t)(1 + ss_rnd(s, 3)); break;		/* a target that does not exist */
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
	c->cdb[1] = ss_rnd(s, 3) != 0 ? 0x01 : 0x00;
	if (ss_rnd(s, 16) == 0)
		c->cdb[1] |= 0x02;					/* obsolete CMDDT */
	if (c->cdb[1] & 0x01)
		c->cdb[2] = ss_rnd(s, 8) != 0 ? pages[ss_rnd(s, sizeof pages)] : (uint8_t)ss_rnd(s, 256);
	else if (ss_rnd(s, 8) == 0)
		c->cdb[2] = (uint8_t)ss_rnd(s, 256);
	be16_store(c->cdb + 3, (uint16_t)alloc);
	c->din = any_din(s, alloc);
	c->what = "INQUIRY";
}

static void cmd_request_sense(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s) & 0xff;

	c->cdb[0] = 0x03;
	c->cdb[1] = (uint8_t)ss_rnd(s, 2);					/* DESC */
	c->cdb[4] = (uint8_t)alloc;
	c->din = any_din(s, alloc);
	c->what = "REQUEST SENSE";
}

static void cmd_report_luns(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t sel[] = { 0, 0, 0, 1, 2, 0x10, 0xff };
	uint32_t alloc = any_alloc(s);

	c->cdb[0] = 0xa0;
	c->cdb[2] = sel[ss_rnd(s, sizeof sel)];
	be32_store(c->cdb + 6, alloc);
	c->din = any_din(s, alloc);
	c->what = "REPORT LUNS";
}

static uint8_t any_mode_page(struct ss *s)
{
	static const uint8_t pages[] = { 0x08, 0x08, 0x3f, 0x3f, 0x0a, 0x01, 0x04, 0x05, 0x1a, 0x1c, 0x00, 0x2a };
	uint8_t pc = ss_rnd(s, 3) == 0 ? (uint8_t)ss_rnd(s, 4) : 0;

	return (uint8_t)(pc << 6 | (ss_rnd(s, 10) != 0 ? pages[ss_rnd(s, sizeof pages)] : ss_rnd(s, 64)));
}

static void cmd_mode_sense6(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s) & 0xff;

	c->cdb[0] = 0x1a;
	c->cdb[1] = ss_rnd(s, 2) ? 0x08 : 0x00;				/* DBD */
	c->cdb[2] = any_mode_page(s);
	c->cdb[3] = ss_rnd(s, 8) == 0 ? 0xff : 0x00;			/* subpage */
	c->cdb[4] = (uint8_t)alloc;
	c->din = any_din(s, alloc);
	c->what = "MODE SENSE(6)";
}

static void cmd_mode_sense10(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = any_alloc(s);

	c->cdb[0] = 0x5a;
	c->cdb[1] = ss_rnd(s, 2) ? 0x08 : 0x00;						/* DBD */
	c->cdb[1] |= ss_rnd(s, 4) == 0 ? 0x10 : 0x00;					/* LLBAA */
	c->cdb[2] = any_mode_page(s);
	c->cdb[3] = ss_rnd(s, 8) == 0 ? 0xff : 0x00;
	be16_store(c->cdb + 7, (uint16_t)alloc);
	c->din = any_din(s, alloc);
	c->what = "MODE SENSE(10)";
}

static void cmd_read_capacity10(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = 0x25;
	if (ss_rnd(s, 6) == 0) {
		c->cdb[8] = 0x01;					/* PMI */
		be32_store(c->cdb + 2, (uint32_t)ss_rnd(s, 4096));
	}
	c->din = ss_rnd(s, 6) == 0 ? (uint32_t)ss_rnd(s, 16) : 8;
	c->what = "READ CAPACITY(10)";
}

static void cmd_read_capacity16(struct ss *s, struct ss_cmd *c)
{
	uint32_t alloc = ss_rnd(s, 2) ? 32 : any_alloc(s);

	c->cdb[0] = 0x9e;
	c->cdb[1] = ss_rnd(s, 8) != 0 ? 0x10 : (uint8_t)ss_rnd(s, 32);	/* READ CAPACITY(16), or another action */
	be32_store(c->cdb + 10, alloc);
	c->din = any_din(s, alloc);
	c->what = "READ CAPACITY(16)";
}

static uint64_t any_lba(struct ss *s, uint32_t blocks)
{
	switch (ss_rnd(s, 8)) {
	case 0: return 0;
	case 1: return s->nblocks - (blocks ? blocks : 1);
	case 2: return s->nblocks - ss_rnd(s, 2);				/* at or one before the end */
	case 3: return s->nblocks + ss_rnd(s, 1u << 20);			/* beyond */
	default: return ss_rnd(s, s->nblocks > 8 ? s->nblocks - 8 : 1);
	}
}

void ss_cmd_rw(struct ss *s, struct ss_cmd *c)
{
	static const char *const names[2][4] = { { "READ(6)", "READ(10)", "READ(12)", "READ(16)" },
		{ "WRITE(6)", "WRITE(10)", "WRITE(12)", "WRITE(16)" } };
	bool write = ss_rnd(s, 2) != 0;
	unsigned form = ss_rnd(s, 4) == 0 ? (unsigned)ss_rnd(s, 4) : 1 + 2 * (unsigned)ss_rnd(s, 2);	/* mostly 10, 16 */
	uint32_t blocks = (uint32_t)ss_rnd(s, s->bs > 4096 ? 2 : 5), len;
	uint64_t lba = any_lba(s, blocks);

	/* reads often go back to the last write's blocks: what UNMAP and WRITE SAME left there shows */
	if (!write && s->hot_n > 0 && ss_rnd(s, 2)) {
		lba = s->hot;
		blocks = s->hot_n;
		form = 1 + 2 * (unsigned)ss_rnd(s, 2);
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
	if (form != 0 && ss_rnd(s, 8) == 0)
		c->cdb[1] = ss_rnd(s, 2) ? 0x08 : 0x20;		/* FUA, or a protection field */
	len = blocks * s->bs;
	switch (ss_rnd(s, 8)) {
	case 0: len += s->bs; break;
	case 1: len = len >= s->bs ? len - s->bs : 0; break;
	case 2: len += (uint32_t)ss_rnd(s, 64); break;
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
	unsigned k = (unsigned)ss_rnd(s, sizeof ops / sizeof ops[0]);
	uint32_t alloc = ss_rnd(s, 2) ? any_alloc(s) : 0;

	c->cdb[0] = ops[k].op;
	c->cdb[1] = ss_rnd(s, 3) == 0 ? (uint8_t)ss_rnd(s, 8) : 0;
	if (ops[k].op == 0x2b || ops[k].op == 0x2f)
		be32_store(c->cdb + 2, (uint32_t)any_lba(s, 0));
	if (ops[k].op == 0x1b || ops[k].op == 0x1e)
		c->cdb[4] = (uint8_t)ss_rnd(s, 4);
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
	unsigned k = (unsigned)ss_rnd(s, sizeof ops / sizeof ops[0]);

	c->cdb[0] = ops[k].op;
	c->what = ops[k].what;
	if (ss_rnd(s, 8) == 0)
		c->din = 1 + (uint32_t)ss_rnd(s, 32);			/* a data buffer it does not need */
}

/* TEST UNIT READY or SYNCHRONIZE CACHE(16) (an unknown opcode to QEMU): answered inside the notify. */
static void cmd_simple_sync(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = ss_rnd(s, 2) ? 0x00 : 0x91;
	c->what = c->cdb[0] ? "SYNCHRONIZE CACHE(16)" : "TEST UNIT READY";
	if (ss_rnd(s, 8) == 0)
		c->din = 1 + (uint32_t)ss_rnd(s, 32);			/* a data buffer it does not need */
}

/* Opcodes a disk does not implement (Linux probes some of them), and CDB groups without a length. */
static void cmd_unknown(struct ss *s, struct ss_cmd *c)
{
	static const uint8_t ops[] = { 0x01, 0x07, 0x3b, 0x4d, 0x85, 0xa1, 0xa3, 0x60, 0x7f, 0xc0, 0xe7, 0xff };

	c->cdb[0] = ops[ss_rnd(s, sizeof ops)];
	c->cdb[1] = (uint8_t)ss_rnd(s, 256);
	c->cdb[4] = (uint8_t)ss_rnd(s, 64);
	if (ss_rnd(s, 3) == 0)
		c->din = (uint32_t)ss_rnd(s, 64);
	c->what = "unimplemented opcode";
}

/* A range of blocks to unmap or write the same block to: often part of the last write, sometimes past the end. */
static void any_range(struct ss *s, uint64_t *lba, uint32_t *nb)
{
	if (s->hot_n > 0 && (s->follow == 1 || ss_rnd(s, 2))) {
		uint32_t skip = (uint32_t)ss_rnd(s, s->hot_n);

		*lba = s->hot + skip;
		*nb = ss_rnd(s, 8) == 0 ? 0 : 1 + (uint32_t)ss_rnd(s, s->hot_n - skip);
		s->follow = 2;
		return;
	}
	*nb = (uint32_t)ss_rnd(s, 9);
	*lba = any_lba(s, *nb);
	if (ss_rnd(s, 12) == 0)
		*nb = 0xffffffffu - (uint32_t)ss_rnd(s, 2);		/* wraps the LBA */
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
	bool ten = ss_rnd(s, 2) != 0;
	uint8_t *p = c->param;
	uint32_t n = ten ? 8 : 4, bd = ss_rnd(s, 3) == 0 ? 8 : 0;

	c->cdb[0] = ten ? 0x55 : 0x15;
	c->cdb[1] = ss_rnd(s, 6) != 0 ? 0x10 : (uint8_t)ss_rnd(s, 0x20);		/* PF, else any PF/SP */
	if (ss_rnd(s, 12) == 0)
		bd = (uint32_t)ss_rnd(s, 17);
	if (ten)
		be16_store(p + 6, (uint16_t)bd);
	else
		p[3] = (uint8_t)bd;
	if (bd == 8) {
		uint32_t bs = sizes[ss_rnd(s, sizeof sizes / sizeof sizes[0])];

		p[n + 5] = (uint8_t)(bs >> 16);
		p[n + 6] = (uint8_t)(bs >> 8);
		p[n + 7] = (uint8_t)bs;
		s->ask_capacity = true;
	}
	n += bd <= 16 ? bd : 0;
	for (unsigned k = 1 + (unsigned)ss_rnd(s, 2); k > 0 && n + 24 <= sizeof c->param; k--) {
		switch (ss_rnd(s, 10)) {
		case 0:					/* read-write error recovery as it is (AWRE) */
			p[n] = 0x01;
			p[n + 1] = 10;
			p[n + 2] = ss_rnd(s, 2) ? 0x80 : 0xc0;
			n += 12;
			break;
		case 1:					/* a page the disk does not have, or all pages */
			p[n] = ss_rnd(s, 2) ? 0x0a : 0x3f;
			p[n + 1] = 10;
			n += 12;
			break;
		case 2:					/* sub-page format */
			p[n] = 0x48;
			p[n + 1] = (uint8_t)(ss_rnd(s, 2) ? 0 : 1);
			be16_store(p + n + 2, 0x12);
			p[n + 4] = ss_rnd(s, 2) ? 0x04 : 0;
			n += 4 + 0x12;
			break;
		default: {				/* the caching page, WCE set or clear */
			uint8_t len = ss_rnd(s, 6) != 0 ? 0x12 : (uint8_t)(0x10 + ss_rnd(s, 5));

			p[n] = (uint8_t)(0x08 | (ss_rnd(s, 4) == 0 ? 0x80 : 0));	/* PS now and then */
			p[n + 1] = len;
			p[n + 2] = ss_rnd(s, 2) ? 0x04 : 0x00;
			if (ss_rnd(s, 8) == 0) {
				uint8_t v = (uint8_t)(1 + ss_rnd(s, 255));

				p[n + 2 + 1 + ss_rnd(s, len - 1)] = v;	/* not changeable */
			}
			n += 2u + len;
			break;
		}
		}
	}
	if (ss_rnd(s, 8) == 0)
		n = (uint32_t)ss_rnd(s, n + 4);				/* cut short, or zeros after */
	c->nparam = n;
	if (ten)
		be16_store(c->cdb + 7, (uint16_t)n);
	else
		c->cdb[4] = (uint8_t)n;
	c->dout = ss_rnd(s, 10) != 0 ? n : n + (uint32_t)ss_rnd(s, 8);
	c->what = ten ? "MODE SELECT(10)" : "MODE SELECT(6)";
}

/* UNMAP: block descriptors on written blocks or anywhere, ANCHOR, and lengths that do not add up. */
static void cmd_unmap(struct ss *s, struct ss_cmd *c)
{
	uint8_t *p = c->param;
	unsigned nd = (unsigned)ss_rnd(s, 4);
	uint32_t n = 8 + 16 * nd;

	c->cdb[0] = 0x42;
	if (ss_rnd(s, 10) == 0)
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
	switch (ss_rnd(s, 10)) {
	case 0: be16_store(p, (uint16_t)(n + ss_rnd(s, 20))); break;		/* data length past the list */
	case 1: be16_store(p + 2, (uint16_t)(16 * nd + 1 + ss_rnd(s, 15))); break;	/* not whole descriptors */
	case 2: n = (uint32_t)ss_rnd(s, n); break;					/* parameter list cut short */
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
	bool sixteen = ss_rnd(s, 2) != 0;
	uint64_t lba;
	uint32_t nb;

	any_range(s, &lba, &nb);
	c->cdb[0] = sixteen ? 0x93 : 0x41;
	c->cdb[1] = flags[ss_rnd(s, sizeof flags)];
	if (sixteen) {
		be64_store(c->cdb + 2, lba);
		be32_store(c->cdb + 10, nb);
	} else {
		be32_store(c->cdb + 2, (uint32_t)lba);
		be16_store(c->cdb + 7, (uint16_t)nb);
	}
	if (ss_rnd(s, 2))
		for (unsigned i = 0; i < SS_BLOCK; i++)
			c->param[i] = (uint8_t)(i * 3 + 1);
	else
		c->zero_rest = true;					/* a block of zeros, whatever its size */
	c->nparam = SS_BLOCK;
	c->dout = (c->cdb[1] & 0x01) && ss_rnd(s, 2) ? 0 : s->bs;		/* NDOB: no data needed */
	if (ss_rnd(s, 10) == 0)
		c->dout = (uint32_t)ss_rnd(s, s->bs + 64);
	c->what = sixteen ? "WRITE SAME(16)" : "WRITE SAME(10)";
}

/* FORMAT UNIT: with and without a parameter list (FMTDATA, LONGLIST). */
static void cmd_format(struct ss *s, struct ss_cmd *c)
{
	c->cdb[0] = 0x04;
	c->cdb[1] = (uint8_t)(ss_rnd(s, 2) ? 0x10 | (ss_rnd(s, 2) ? 0x20 : 0) : ss_rnd(s, 8));
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
	{ ss_cmd_rw, 4 },
	{ cmd_simple, 2 },
	{ cmd_unknown, 2 },
	{ cmd_misc, 2 },
	{ cmd_mode_select, 3 },
	{ cmd_unmap, 2 },
	{ cmd_write_same, 2 },
	{ cmd_format, 1 },
};

void ss_any_lun_zero(uint8_t *lun)
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

void ss_any_cmd(struct ss *s, struct ss_cmd *c)
{
	unsigned total = 0, k, follow = s->follow;

	for (size_t i = 0; i < sizeof ss_cmds / sizeof ss_cmds[0]; i++)
		total += ss_cmds[i].weight;
	k = (unsigned)ss_rnd(s, total);
	memset(c, 0, sizeof(*c));
	ss_any_lun(s, c->lun);
	/* After a write, often an UNMAP or WRITE SAME on it; after those, a read of it: the discard mode shows. */
	if (follow == 1 && ss_rnd(s, 3) != 0) {
		ss_any_lun_zero(c->lun);
		if (ss_rnd(s, 3) != 0)
			cmd_unmap_clean(s, c);
		else
			cmd_write_same(s, c);
		return;
	}
	s->follow = 0;
	if (follow == 2 && ss_rnd(s, 4) != 0) {
		ss_any_lun_zero(c->lun);
		cmd_read_hot(s, c);
		return;
	}
	/* After a block descriptor, READ CAPACITY as a driver would (its answer sizes the reads and writes). */
	if (s->ask_capacity) {
		s->ask_capacity = false;
		if (ss_rnd(s, 2)) {
			ss_any_lun_zero(c->lun);
			if (ss_rnd(s, 2))
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
	if (ss_rnd(s, 40) == 0) {
		/* data both ways: virtio-scsi without INOUT fails it */
		c->dout = c->dout ? c->dout : 1 + (uint32_t)ss_rnd(s, 64);
		c->din = c->din ? c->din : 1 + (uint32_t)ss_rnd(s, 64);
	}
	if (c->din > SS_MAX_DATA)
		c->din = SS_MAX_DATA;
	if (c->dout > SS_MAX_DATA)
		c->dout = SS_MAX_DATA;
}

/* Take one completion of queue q and read every device-writable byte back. */

/*
 * MODE SELECT as a batch sends it: PF=1 mostly, a block descriptor now and
 * then (the block size the transfers set up in the same batch do not
 * take), and the caching page with WCE set, so that QEMU answers it inside
 * the notify whatever the write cache was (with the cache off it flushes
 * through its block layer first: one block-layer answer per batch).
 */
void ss_cmd_mode_select_wce(struct ss *s, struct ss_cmd *c)
{
	static const uint32_t sizes[] = { 512, 1024, 2048, 4096, 0x600, 0x1ff };
	bool ten = ss_rnd(s, 2) != 0;
	uint8_t *p = c->param;
	uint32_t n = ten ? 8 : 4;

	c->cdb[0] = ten ? 0x55 : 0x15;
	c->cdb[1] = ss_rnd(s, 8) != 0 ? 0x10 : 0x11;			/* PF, or PF and SP (refused) */
	if (ss_rnd(s, 2)) {
		uint32_t bs = sizes[ss_rnd(s, sizeof sizes / sizeof sizes[0])];

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
	{ cmd_unknown }, { ss_cmd_mode_select_wce }, { cmd_simple_sync },
};

void ss_any_sync_cmd(struct ss *s, struct ss_cmd *c)
{
	ss_sync_cmds[ss_rnd(s, sizeof ss_sync_cmds / sizeof ss_sync_cmds[0])].build(s, c);
}
