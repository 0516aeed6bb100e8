/* sweep-blk.c -- the blk request sweep: seeded request types, sizes, ranges and flags in batches, compared against QEMU */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep-blk.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/*
 * Nothing here knows the answers: each request is built from the seed, the
 * batch goes out with one notify, the guest takes every completion and
 * reads its IN bytes back (mem-read events on QEMU), so status bytes, the
 * serial, read data, used lengths, used order and interrupts are compared
 * by the replay. The only knowledge used is which requests QEMU finishes
 * inside the notify and which after it, to keep one of the latter per batch.
 */

#define T_IN		0u
#define T_OUT		1u
#define T_FLUSH		4u
#define T_GET_ID	8u
#define T_DISCARD	11u
#define T_WZ		13u
#define T_BARRIER	0x80000000u

#define F_FLUSH		9
#define F_CONFIG_WCE	11
#define F_DISCARD	13
#define F_WZ		14

#define CFG_WRITEBACK	32
#define CFG_MAX_DISCARD	36
#define CFG_DISCARD_ALIGN 44
#define CFG_MAX_WZ	48
#define SB_MAX_BUFS	4		/* data buffers per direction */
#define SB_DATA_MAX	8192u
#define SB_BATCH_MAX	6
#define SB_FILL		0xa5		/* IN bytes before the device answers (stale data): what it leaves alone shows */
#define SB_RAW_HEAD	200		/* raw chain of the last round (descriptors 200-202) */

struct sb {
	struct record *rec;
	struct guest *g;
	uint32_t max_dwz[2];		/* the header's max_discard_sectors, max_write_zeroes_sectors */
	uint64_t sectors;		/* capacity */
	uint64_t hot;			/* the last write's sectors, where reads, discards and write-zeroes aim */
	uint32_t hot_n;
	unsigned follow;		/* 1 after a write, 2 after a discard or write-zeroes on its sectors */
	uint16_t qsize;
};

/* One request as the guest lays it out. */
struct sb_req {
	uint32_t type;
	uint64_t sector;
	uint8_t out[SB_DATA_MAX];	/* device-readable bytes after the header */
	uint32_t out_len;
	uint32_t in_len;		/* device-writable bytes before the status byte */
	unsigned out_split, in_split;	/* buffers the data is cut into */
	bool status_alone;		/* the status byte in its own buffer */
	const char *what;
};

static uint64_t rnd(struct sb *s, uint64_t n)
{
	return record_below(s->rec, n);
}

static const char serial_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

void sweep_blk_prepare(struct record *rec, struct trace_header *h)
{
	size_t n = (size_t)(record_rand(rec) % 25);

	for (size_t i = 0; i < n && i + 1 < sizeof(h->serial); i++)
		h->serial[i] = serial_chars[record_rand(rec) % (sizeof(serial_chars) - 1)];
	h->serial[n < sizeof(h->serial) ? n : sizeof(h->serial) - 1] = '\0';
	/* The disk options: discard mode, write cache, and now and then tighter DISCARD / WRITE_ZEROES limits. */
	h->discard = record_rand(rec) >> 63 ? TRACE_DISCARD_UNMAP : TRACE_DISCARD_IGNORE;
	h->write_cache = record_rand(rec) % 3 == 0 ? TRACE_WCACHE_OFF : TRACE_WCACHE_ON;
	if (h->devcfg_len >= CFG_MAX_WZ + 4 && record_rand(rec) % 3 == 0) {
		le32_store(h->devcfg + CFG_MAX_DISCARD, 1 + (uint32_t)(record_rand(rec) % 24));
		le32_store(h->devcfg + CFG_MAX_WZ, 1 + (uint32_t)(record_rand(rec) % 24));
		le32_store(h->devcfg + CFG_DISCARD_ALIGN, 1u << (record_rand(rec) % 5));
	}
}

/* Cut len bytes into `split` buffers (the last takes the rest). */
static unsigned cut(struct guest_buf *b, unsigned max, uint32_t len, unsigned split, const uint8_t *data)
{
	unsigned k = 0;
	uint32_t done = 0;

	if (len == 0)
		return 0;
	if (split == 0)
		split = 1;
	for (unsigned i = 0; i < split && k < max && done < len; i++) {
		uint32_t n = i + 1 == split ? len - done : (len - done) / (split - i);

		if (n == 0)
			continue;
		b[k].addr = 0;
		b[k].len = n;
		b[k].data = data != NULL ? data + done : NULL;
		k++;
		done += n;
	}
	return k;
}

/* Put one request on the queue (no notify); the head, or -1 + cause. */
static int add_req(struct sb *s, const struct sb_req *r, char **cause)
{
	uint8_t hdr[16];
	struct guest_buf out[1 + SB_MAX_BUFS], in[SB_MAX_BUFS + 1];
	unsigned nout = 1, nin;
	static uint8_t fill[SB_DATA_MAX + 1];
	int head;

	memset(fill, SB_FILL, sizeof(fill));
	le32_store(hdr, r->type);
	le32_store(hdr + 4, 0);
	le64_store(hdr + 8, r->sector);
	memset(out, 0, sizeof(out));
	memset(in, 0, sizeof(in));
	out[0].len = sizeof(hdr);
	out[0].data = hdr;
	nout += cut(out + 1, SB_MAX_BUFS, r->out_len, r->out_split, r->out);
	if (r->status_alone || r->in_len == 0) {
		nin = cut(in, SB_MAX_BUFS, r->in_len, r->in_split, fill);
		in[nin].len = 1;
		in[nin++].data = fill;
	} else {
		nin = cut(in, SB_MAX_BUFS, r->in_len + 1, r->in_split, fill);
	}
	if (r->out_len >= 16 && ((r->type & ~T_BARRIER) == T_DISCARD || (r->type & ~T_BARRIER) == T_WZ))
		record_mark(s->rec, "sweep-blk: %s type 0x%x segment sector %" PRIu64 " sectors %u flags 0x%x", r->what,
		    r->type, le64_load(r->out), le32_load(r->out + 8), le32_load(r->out + 12));
	else
		record_mark(s->rec, "sweep-blk: %s type 0x%x sector %" PRIu64 " out %u in %u", r->what, r->type,
		    r->sector, r->out_len, r->in_len);
	if ((head = guest_add(s->g, 0, out, nout, in, nin, 0, cause)) < 0)
		return -1;
	return head;
}

static void shape(struct sb *s, struct sb_req *r)
{
	r->out_split = 1 + (unsigned)rnd(s, 3);
	r->in_split = 1 + (unsigned)rnd(s, 3);
	r->status_alone = rnd(s, 3) != 0;
	if (rnd(s, 6) == 0)
		r->type |= T_BARRIER;	/* the legacy flag QEMU ignores */
}

static uint32_t any_sectors(struct sb *s)
{
	return 1 + (uint32_t)rnd(s, 16);
}

/* A DISCARD or WRITE_ZEROES whose segment is under 16 bytes: QEMU breaks the device (virtio_error). */
static int short_segment(struct sb *s, char **cause)
{
	static struct sb_req r;

	memset(&r, 0, sizeof(r));
	r.what = "short segment";
	r.type = rnd(s, 2) ? T_WZ : T_DISCARD;
	r.out_len = (uint32_t)rnd(s, 16);
	r.out_split = 1;
	r.status_alone = true;
	return add_req(s, &r, cause);
}

/* A DISCARD or WRITE_ZEROES segment: sector, num_sectors, flags. */
static void dwz_segment(struct sb_req *r, uint64_t sector, uint32_t n, uint32_t flags)
{
	le64_store(r->out, sector);
	le32_store(r->out + 8, n);
	le32_store(r->out + 12, flags);
	r->out_len = 16;
}

/* Requests QEMU answers inside the notify: GET_ID, unknown types, every refusal. */
static void sync_req(struct sb *s, struct sb_req *r)
{
	/* types QEMU answers at once (5 is FLUSH: the OUT bit is masked off) */
	static const uint32_t unknown[] = { 3, 6, 7, 9, 10, 12, 14, 15, 16, 17, 0xff, 0x7ffffffe };
	static const uint32_t bad_flags[] = { 2, 3, 0x80000000u, 0xffffffffu };
	bool wz = rnd(s, 2);
	uint32_t n, flags;

	memset(r, 0, sizeof(*r));
	switch (rnd(s, 9)) {
	case 8:
		/* the legacy SCSI passthrough: QEMU looks at the buffer counts */
		r->what = "scsi-cmd";
		r->type = 2;
		r->out_len = (uint32_t)rnd(s, 3) * 6;
		r->in_len = (uint32_t)rnd(s, 3) * 16;
		r->in_len += (uint32_t)rnd(s, 5);
		break;
	case 0:
	case 1:
		r->what = "get-id";
		r->type = T_GET_ID;
		r->in_len = (uint32_t)rnd(s, 26);
		break;
	case 2:
		r->what = "unknown type";
		r->type = unknown[rnd(s, sizeof(unknown) / sizeof(unknown[0]))];
		r->in_len = (uint32_t)rnd(s, 2) * 512;
		break;
	case 3:
		/* past the end, straddling it, or a sector number near 2^64 */
		r->what = "out-of-range i/o";
		r->type = rnd(s, 2) ? T_IN : T_OUT;
		switch (rnd(s, 3)) {
		case 0:
			r->sector = UINT64_MAX - rnd(s, 4);
			break;
		case 1:
			r->sector = s->sectors + rnd(s, 4);
			break;
		default:
			r->sector = s->sectors - 1;	/* with 2 or more sectors: straddles the end */
			break;
		}
		*(r->type == T_IN ? &r->in_len : &r->out_len) = 512u * (2 + (uint32_t)rnd(s, 4));
		break;
	case 4:
		/* a length that is not whole sectors */
		r->what = "misaligned i/o";
		r->type = rnd(s, 2) ? T_IN : T_OUT;
		r->sector = rnd(s, s->sectors - 16);
		n = 512u * (uint32_t)rnd(s, 4) + 1;
		*(r->type == T_IN ? &r->in_len : &r->out_len) = n + (uint32_t)rnd(s, 511);
		break;
	case 5:
		/* more sectors than max_*_sectors (checked first), or a range past the capacity */
		r->what = wz ? "write-zeroes refused" : "discard refused";
		r->type = wz ? T_WZ : T_DISCARD;
		if (rnd(s, 3) == 0) {
			n = s->max_dwz[wz] + 1 + (uint32_t)rnd(s, 3);
			dwz_segment(r, rnd(s, s->sectors - 64), n, 0);
		} else if (rnd(s, 2)) {
			n = 0x400000u + (uint32_t)rnd(s, 3) * 0x7fffffffu;
			dwz_segment(r, rnd(s, s->sectors), n, 0);
		} else {
			n = 5 + (uint32_t)rnd(s, 8);
			dwz_segment(r, s->sectors - rnd(s, 4), n, 0);
		}
		break;
	case 6:
		/* an unknown flag, or UNMAP on a discard */
		r->what = wz ? "write-zeroes flags" : "discard flags";
		r->type = wz ? T_WZ : T_DISCARD;
		flags = wz || rnd(s, 2) ? bad_flags[rnd(s, sizeof(bad_flags) / sizeof(bad_flags[0]))] : 1;
		n = any_sectors(s);
		dwz_segment(r, rnd(s, s->sectors - 16), n, flags);
		break;
	default:
		/* two segments, or the type without the OUT bit (10 and 12) */
		r->what = wz ? "write-zeroes shape" : "discard shape";
		r->type = (wz ? T_WZ : T_DISCARD) & ~(rnd(s, 2) ? T_OUT : 0);
		dwz_segment(r, 0, 1, 0);
		if (r->type & T_OUT) {
			memcpy(r->out + 16, r->out, 16);
			r->out_len = 32;
		}
		break;
	}
	shape(s, r);
}

/* Requests QEMU's block layer answers after the notify: I/O, flushes, discards and write-zeroes it accepted. */
static void async_req(struct sb *s, struct sb_req *r)
{
	uint32_t n = any_sectors(s);
	uint64_t sector = rnd(s, s->sectors - n + 1);

	/*
	 * After a write, often a discard or write-zeroes on part of its
	 * sectors; after one of those, a read of the write's sectors: what
	 * the discard mode leaves there shows in the data read back.
	 */
	unsigned pick = (unsigned)rnd(s, 6), follow = s->follow;

	s->follow = 0;
	if (follow == 1 && rnd(s, 3) != 0) {
		uint32_t skip = (uint32_t)rnd(s, s->hot_n);

		pick = 5;
		sector = s->hot + skip;
		n = 1 + (uint32_t)rnd(s, s->hot_n - skip);
		s->follow = 2;
	} else if (follow == 2 && rnd(s, 4) != 0) {
		pick = 0;
		sector = s->hot;
		n = s->hot_n;
	}
	memset(r, 0, sizeof(*r));
	switch (pick) {
	case 0:
	case 1:
		r->what = "read";
		r->type = T_IN;
		r->sector = sector;
		r->in_len = rnd(s, 8) == 0 ? 0 : 512 * n;
		break;
	case 2:
	case 3:
		r->what = "write";
		r->type = T_OUT;
		r->sector = sector;
		r->out_len = 512 * n;
		s->hot = sector;
		s->hot_n = n;
		s->follow = 1;
		for (uint32_t i = 0; i < r->out_len; i++)
			r->out[i] = (uint8_t)(sector * 7 + i / 512 + (i & 0x3f));
		break;
	case 4:
		r->what = "flush";
		r->type = T_FLUSH;
		r->in_len = (uint32_t)rnd(s, 2) * 16;
		break;
	default: {
		bool wz = rnd(s, 2);

		r->what = wz ? "write-zeroes" : "discard";
		r->type = wz ? T_WZ : T_DISCARD;
		/* 0 sectors, even at the very end, is inside the disk too */
		if (rnd(s, 8) == 0)
			dwz_segment(r, rnd(s, 2) ? s->sectors : sector, 0, 0);
		else
			dwz_segment(r, sector, n, wz ? (uint32_t)rnd(s, 2) : 0);
		break;
	}
	}
	shape(s, r);
}

/*
 * One notify: some requests answered at once, at most one answered later,
 * then every completion read back. Without EVENT_IDX a request answered later
 * goes alone: its interrupt would come while QEMU's others still sit in the
 * MSI-X mailbox or just after, as timing has it.
 */
static int batch(struct sb *s, char **cause)
{
	static struct sb_req r;
	bool event_idx = (guest_features(s->g) >> VIRTIO_F_EVENT_IDX) & 1;
	unsigned nsync = (unsigned)rnd(s, SB_BATCH_MAX - 1), n = 0;
	unsigned at = rnd(s, 3) == 0 ? nsync + 1 : (unsigned)rnd(s, nsync + 1);	/* nsync + 1: none */

	if (!event_idx && at <= nsync)
		nsync = at = 0;
	struct guest_used u;

	for (unsigned i = 0; i <= nsync; i++) {
		if (i == at)
			async_req(s, &r);
		else if (i < nsync)
			sync_req(s, &r);
		else
			break;
		if (add_req(s, &r, cause) < 0)
			return -1;
		n++;
	}
	if (n == 0)
		return 0;
	guest_notify(s->g, 0);
	(void)guest_wait(s->g, 0, (uint16_t)n);
	while (n-- > 0 && guest_poll(s->g, 0, &u) == 1) {
		uint32_t len = guest_in_size(s->g, 0, u.head);
		uint8_t buf[SB_DATA_MAX + 64];

		if (u.len < len)
			len = u.len;
		if (len > sizeof(buf))
			len = sizeof(buf);
		if (len > 0)
			(void)guest_read_in(s->g, 0, u.head, 0, buf, len);
	}
	return 0;
}

/* The writeback byte: written as a byte or a dword, then read back. */
static void writeback(struct sb *s)
{
	static const uint8_t v[] = { 0, 1, 2, 0xff };

	record_mark(s->rec, "sweep-blk: writeback byte written");
	uint8_t val = v[rnd(s, sizeof(v))];

	guest_devcfg_write(s->g, CFG_WRITEBACK, rnd(s, 3) ? 1 : 4, val);
	(void)guest_devcfg_read(s->g, CFG_WRITEBACK, 1);
	(void)guest_devcfg_read(s->g, CFG_WRITEBACK, 4);
	if (rnd(s, 2) == 0) {
		/* QEMU's set_status runs at every status write: DRIVER_OK again re-derives the cache mode. */
		uint64_t st = guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);

		record_mark(s->rec, "sweep-blk: status 0x%02" PRIx64 " written again", st);
		guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, st);
		(void)guest_devcfg_read(s->g, CFG_WRITEBACK, 1);
	}
}

/* Reset and bring the device up with a seeded subset of the cache and discard features. */
static int bring_up(struct sb *s, bool reset, char **cause)
{
	uint64_t drop = 0, want;
	static const unsigned bits[] = { F_FLUSH, F_CONFIG_WCE, F_DISCARD, F_WZ, VIRTIO_F_EVENT_IDX };

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (rnd(s, 3) == 0)
			drop |= 1ull << bits[i];
	if (reset)
		guest_reset(s->g);
	want = guest_device_features(s->g) & ~drop;
	record_mark(s->rec, "sweep-blk: features 0x%" PRIx64, want);
	if (guest_negotiate(s->g, want, cause) < 0 || guest_setup_queues(s->g, cause) < 0)
		return -1;
	guest_driver_ok(s->g);
	(void)guest_devcfg_read(s->g, CFG_WRITEBACK, 1);
	s->qsize = guest_queue_size(s->g, 0);
	return 0;
}

/*
 * Before DRIVER_OK (QEMU runs the kicks then, and virtio_notify_config,
 * which wants DRIVER_OK, sends nothing): reads and writes, then a short
 * discard segment, in one notify. The segment breaks the device
 * (virtio_error); the reads and writes reach the block layer after it, and
 * each one's virtio_notify still sets ISR bit 0, without an interrupt. The
 * guest kicks again (ignored), reads the ISR and the PCI status, writes
 * DRIVER_OK, reads them again; half the time with MSI-X turned off (INTx).
 */
static int broken_early(struct sb *s, char **cause)
{
	static struct sb_req r;
	const struct guest_caps *c = guest_caps(s->g);
	const struct guest_port *p = record_port(s->rec);
	unsigned n = 1 + (unsigned)rnd(s, 3);
	bool intx = c->msix_cap != 0 && rnd(s, 2) != 0;
	uint64_t want = guest_device_features(s->g);
	uint16_t ctrl = 0;

	if (rnd(s, 2))
		want &= ~(1ull << VIRTIO_F_EVENT_IDX);
	guest_reset(s->g);
	if (guest_negotiate(s->g, want, cause) < 0 || guest_setup_queues(s->g, cause) < 0)
		return -1;
	record_mark(s->rec, "sweep-blk: before DRIVER_OK, %u requests and a short segment in one notify (%s)", n,
	    intx ? "intx" : "msi-x");
	if (intx) {
		ctrl = (uint16_t)p->cfg_read(p->opaque, c->msix_cap + 2u, 2);
		p->cfg_write(p->opaque, c->msix_cap + 2u, 2, ctrl & ~PCI_MSIX_CTRL_ENABLE);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t k = any_sectors(s);

		memset(&r, 0, sizeof(r));
		r.sector = rnd(s, s->sectors - k + 1);
		if (rnd(s, 2)) {
			r.what = "read";
			r.type = T_IN;
			r.in_len = k * 512;
		} else {
			r.what = "write";
			r.type = T_OUT;
			r.out_len = k * 512;
			memset(r.out, (int)rnd(s, 256), r.out_len);
		}
		shape(s, &r);
		if (add_req(s, &r, cause) < 0)
			return -1;
	}
	if (short_segment(s, cause) < 0)
		return -1;
	guest_notify(s->g, 0);
	/* kicks a broken device ignores */
	guest_notify(s->g, 0);
	guest_notify(s->g, 0);
	/*
	 * Nothing is published on a broken device: on QEMU this waits out the
	 * port's timeout, time for the block layer to answer however loaded
	 * the machine is (the simulator answers inside the notify).
	 */
	(void)guest_wait(s->g, 0, (uint16_t)(n + 1));
	(void)guest_isr_read(s->g);
	(void)p->cfg_read(p->opaque, PCI_CFG_STATUS, 2);
	guest_driver_ok(s->g);
	(void)guest_isr_read(s->g);
	(void)p->cfg_read(p->opaque, PCI_CFG_STATUS, 2);
	if (intx)
		p->cfg_write(p->opaque, c->msix_cap + 2u, 2, ctrl);
	return 0;
}

/*
 * The last round's misbehaviour: QEMU's in-flight limit, or a short discard
 * segment (virtio_error), at DRIVER_OK or before it with requests.
 */
static int misbehave(struct sb *s, char **cause)
{
	uint8_t hdr[16] = { 0 };
	uint64_t base = record_header(s->rec)->ram[0].base + 0x180000;

	switch (rnd(s, 3)) {
	case 0:
		record_mark(s->rec, "sweep-blk: avail idx moved past the queue size, a read in every slot");
		guest_raw_mem(s->g, base, hdr, sizeof(hdr));
		guest_raw_desc(s->g, 0, SB_RAW_HEAD, base, 16, VIRTQ_DESC_F_NEXT, SB_RAW_HEAD + 1);
		guest_raw_desc(s->g, 0, SB_RAW_HEAD + 1, base + 0x200, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
		    SB_RAW_HEAD + 2);
		guest_raw_desc(s->g, 0, SB_RAW_HEAD + 2, base + 0x10, 1, VIRTQ_DESC_F_WRITE, 0);
		guest_raw_avail_flood(s->g, 0, SB_RAW_HEAD, s->qsize + 1 + (unsigned)rnd(s, 64));
		break;
	case 1:
		if (short_segment(s, cause) < 0)
			return -1;
		guest_notify(s->g, 0);
		break;
	default:
		if (rnd(s, 2))
			return 0;
		if (broken_early(s, cause) < 0)
			return -1;
		break;
	}
	(void)guest_common_read(s->g, VIRTIO_PCI_COMMON_STATUS, 1);
	{
		struct guest_used u;

		(void)guest_poll(s->g, 0, &u);
	}
	return bring_up(s, true, cause);
}

int sweep_sc_blk(struct record *rec, char **cause)
{
	struct sb s;
	unsigned rounds;

	memset(&s, 0, sizeof(s));
	s.rec = rec;
	if ((s.g = record_guest(rec, GUEST_IRQ_MSIX, 0)) == NULL)
		return cause_set(cause, "cannot create the guest");
	record_mark(rec, "sweep-blk: serial '%s'", record_header(rec)->serial);
	if (guest_init(s.g, cause) < 0)
		return -1;
	s.sectors = guest_devcfg_read(s.g, 0, 4) | guest_devcfg_read(s.g, 4, 4) << 32;
	(void)guest_devcfg_read(s.g, CFG_WRITEBACK, 1);	/* the write cache the disk starts with */
	s.max_dwz[0] = s.max_dwz[1] = 0x3fffff;
	if (record_header(rec)->devcfg_len >= CFG_MAX_WZ + 4) {
		s.max_dwz[0] = le32_load(record_header(rec)->devcfg + CFG_MAX_DISCARD);
		s.max_dwz[1] = le32_load(record_header(rec)->devcfg + CFG_MAX_WZ);
	}
	record_mark(rec, "sweep-blk: discard %s, write-cache %s, max_discard %u, max_write_zeroes %u",
	    trace_discard_name(record_header(rec)->discard), trace_write_cache_name(record_header(rec)->write_cache),
	    s.max_dwz[0], s.max_dwz[1]);
	s.qsize = guest_queue_size(s.g, 0);
	if (s.sectors < 64)
		return cause_set(cause, "sweep-blk: the disk has %" PRIu64 " sectors, needs 64", s.sectors);
	rounds = 1 + (unsigned)rnd(&s, 3);
	for (unsigned round = 0; round < rounds; round++) {
		unsigned batches = 2 + (unsigned)rnd(&s, 6);

		if (round > 0 && bring_up(&s, true, cause) < 0)
			return -1;
		for (unsigned b = 0; b < batches; b++) {
			if (rnd(&s, 4) == 0)
				writeback(&s);
			if (batch(&s, cause) < 0)
				return -1;
		}
	}
	if (misbehave(&s, cause) < 0)
		return -1;
	return batch(&s, cause);
}
