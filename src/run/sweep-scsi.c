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

#include "sweep-scsi-int.h"

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
	b->addr = s->over_addr + ss_rnd(s, s->over_len - b->len + 1);
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
	s->marker = (uint8_t)(0xa5 ^ ss_rnd(s, 256));
	/*
	 * The response and the data in buffers of their own, as drivers post
	 * them; now and then one buffer for both (QEMU without ANY_LAYOUT
	 * takes the whole first buffer as the response).
	 */
	if (c->din > 0 && ss_rnd(s, 8) == 0) {
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
	unsigned n = 2 + (unsigned)ss_rnd(s, 6), at = (unsigned)ss_rnd(s, n + 2);
	struct ss_cmd tur;
	uint64_t area = 0;		/* overlap: the last IN buffer of the command before, if QEMU answers it at once */
	uint32_t area_len = 0;

	if (ss_rnd(s, 2)) {
		memset(&tur, 0, sizeof tur);
		ss_any_lun_zero(tur.lun);
		tur.what = "TEST UNIT READY";
		if (ss_send(s, &tur, cause) < 0)
			return -1;
	}
	record_mark(s->rec, "sweep: a batch of %u commands in one notify", n);
	for (unsigned i = 0; i < n; i++) {
		struct ss_cmd c;
		unsigned over = SS_OVER_NONE;
		int nin;

		if (area != 0 && ss_rnd(s, 4) != 0)
			over = SS_OVER_HDR + (unsigned)ss_rnd(s, 4);
		memset(&c, 0, sizeof c);
		if (i == at) {
			ss_any_lun_zero(c.lun);
			if (ss_rnd(s, 2)) {
				c.cdb[0] = 0x35;
				c.what = "SYNCHRONIZE CACHE(10)";
			} else {
				ss_cmd_rw(s, &c);
			}
		} else if (over == SS_OVER_DOUT) {
			/* a parameter list that is what the command before wrote */
			ss_any_lun_zero(c.lun);
			ss_cmd_mode_select_wce(s, &c);
		} else {
			ss_any_lun(s, c.lun);
			if (ss_rnd(s, 3) == 0)
				ss_any_lun_zero(c.lun);		/* what LUN 0 answers depends on the batch */
			ss_any_sync_cmd(s, &c);
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
	unsigned n = 1 + (unsigned)ss_rnd(s, 4), bad = (unsigned)ss_rnd(s, n + 1);
	uint8_t req[8];
	struct guest_buf out = { .len = (uint32_t)ss_rnd(s, sizeof req) + 1, .data = req }, in;
	int heads[6];
	unsigned nh = 0;
	struct guest_used u;

	memset(req, 0, sizeof req);
	req[0] = 1;
	record_mark(s->rec, "sweep: a batch of %u commands with a %u-byte request header at %u", n, out.len, bad);
	for (unsigned i = 0; i <= n; i++) {
		struct ss_cmd c;

		if (i == bad) {
			s->marker = (uint8_t)(0x3c ^ ss_rnd(s, 256));
			ss_in(s, &in, SS_RESP_HDR + s->sense_size);
			if ((heads[nh++] = guest_add(s->g, SS_REQQ, &out, 1, &in, 1, 0, cause)) < 0)
				return -1;
			continue;
		}
		memset(&c, 0, sizeof c);
		ss_any_lun(s, c.lun);
		if (ss_rnd(s, 2))
			ss_any_lun_zero(c.lun);
		ss_any_sync_cmd(s, &c);
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
	uint32_t type = ss_rnd(s, 4) != 0 ? 0 : 1 + (uint32_t)ss_rnd(s, 2), sub = (uint32_t)ss_rnd(s, 9);

	memset(req, 0, sizeof req);
	le32_store(req, type);
	ss_any_lun(s, req + (type == 0 ? 8 : 4));
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
	s->marker = (uint8_t)(0x5a ^ ss_rnd(s, 256));
	ss_in(s, &in, type == 0 ? 1 + (uint32_t)ss_rnd(s, 2) * 15 : 8);
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
	if (ss_rnd(s, 3) == 0) {
		/* The driver may size the sense and CDB areas (virtio 5.6.4); QEMU frames requests by them. */
		s->sense_size = senses[ss_rnd(s, sizeof senses / sizeof senses[0])];
		s->cdb_size = cdbs[ss_rnd(s, sizeof cdbs / sizeof cdbs[0])];
		record_mark(rec, "sweep: sense_size %u, cdb_size %u", s->sense_size, s->cdb_size);
		guest_devcfg_write(s->g, SS_CFG_SENSE, 4, s->sense_size);
		guest_devcfg_write(s->g, SS_CFG_CDB, 4, s->cdb_size);
	}
	n = 24 + (unsigned)ss_rnd(s, 24);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct ss_cmd c;

		if (ss_rnd(s, 10) == 0) {
			rc = ss_ctrl(s, cause);
			continue;
		}
		if (ss_rnd(s, 8) == 0) {
			rc = ss_batch(s, false, cause);
			continue;
		}
		ss_any_cmd(s, &c);
		rc = ss_send(s, &c, cause);
	}
	if (rc == 0 && ss_rnd(s, 6) == 0) {
		rc = ss_batch_bad(s, cause);
	} else {
		/* batches whose commands lay buffers over what the command before them writes */
		for (unsigned i = 0, k = 1 + (unsigned)ss_rnd(s, 3); rc == 0 && i < k; i++)
			rc = ss_batch(s, true, cause);
	}
	free(s);
	return rc;
}
