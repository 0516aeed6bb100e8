/* scenarios.c -- the table of recordable scenarios: what the model guest does to each device */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/sweep-blk.h"
#include "vr/sweep-mmio.h"
#include "vr/sweep-mq.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

#include "scenarios-int.h"

/*
 * Each scenario drives a guest through the recording port. Requests are
 * built by the spec (virtio 1.x section 5) so the same scenario describes
 * what a Linux guest would send; the device models answer. All choices
 * (sectors, payload bytes) come from record_rand(), never from the clock.
 */

#define SECTOR		512u
#define DISK_SECTORS	2048u		/* the recorder's 1 MiB disk */
#define NET_HDR		12u		/* virtio_net_hdr with num_buffers (VERSION_1) */
#define NET_RXBUF	1526u
#define SCSI_REQ	51u
#define SCSI_RESP	108u

static void fill_rand(struct record *rec, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = record_rand(rec);

		for (size_t k = 0; k < 8 && i + k < n; k++)
			p[i + k] = (uint8_t)(v >> (8 * k));
	}
}

/* Text payloads keep the committed traces readable. */
static void fill_text(uint8_t *p, size_t n, const char *tag, unsigned no)
{
	char line[64];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s %u: the quick brown fox jumps over the lazy dog\n",
	    tag, no);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)line[i % len];
}

/*
 * What a driver does with a completion: read the IN bytes the device says it
 * wrote (data, then status). On QEMU these loads are the trace's evidence of
 * what the device put in RAM (mem-read events).
 */
static void read_back(struct io *x, unsigned q, const struct guest_used *u)
{
	uint32_t n = guest_in_size(x->g, q, u->head);
	uint8_t *p;

	if (u->len < n)
		n = u->len;
	if (n == 0)
		return;
	p = xmalloc(n);
	(void)guest_read_in(x->g, q, u->head, 0, p, n);
	free(p);
}

/* After a kick: acknowledge INTx like Linux's vp_interrupt (read ISR), then take n used entries. */
static int complete(struct io *x, unsigned q, unsigned n, char **cause)
{
	struct guest_used u;
	unsigned got = 0;

	/* QEMU completes after the notify returned: let it catch up (no-op on the simulator). */
	(void)guest_wait(x->g, q, (uint16_t)n);
	if (x->irq == GUEST_IRQ_INTX && guest_irq_count(x->g, GUEST_INTX) != x->intx_seen) {
		x->intx_seen = guest_irq_count(x->g, GUEST_INTX);
		(void)guest_isr_read(x->g);
	}
	while (got < n) {
		int rc = guest_poll(x->g, q, &u);

		if (rc < 0)
			return cause_set(cause, "queue %u: the device published a bad used entry", q);
		if (rc == 0)
			break;
		got++;
		read_back(x, q, &u);
	}
	if (got < n)
		return cause_set(cause, "queue %u: %u of %u requests completed", q, got, n);
	return 0;
}

static int start_sized(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features,
    uint64_t data_size, char **cause)
{
	memset(x, 0, sizeof(*x));
	x->rec = rec;
	x->irq = irq;
	x->features = features;
	if ((x->g = data_size ? record_guest_sized(rec, irq, features, data_size) : record_guest(rec, irq, features)) ==
	    NULL)
		return cause_set(cause, "cannot create the guest");
	record_mark(rec, "linux-like init (%s interrupts)",
	    irq == GUEST_IRQ_INTX ? "intx" : irq == GUEST_IRQ_MSIX ? "msi-x per queue" : "msi-x shared");
	return guest_init(x->g, cause);
}

int scn_start(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features, char **cause)
{
	return start_sized(x, rec, irq, features, 0, cause);
}

/* ---- per-device requests ---- */

int scn_blk_req(struct io *x, uint32_t type, uint64_t sector, uint32_t len, unsigned no, char **cause)
{
	static uint8_t data[4096];
	uint8_t hdr[16];
	struct guest_buf out[2], in[2];
	unsigned nout = 0, nin = 0;

	if (len > sizeof(data))
		len = sizeof(data);
	le32_store(hdr, type);
	le32_store(hdr + 4, 0);
	le64_store(hdr + 8, sector);
	memset(out, 0, sizeof(out));
	memset(in, 0, sizeof(in));
	out[nout].len = sizeof(hdr);
	out[nout++].data = hdr;
	if (type == BLK_T_OUT) {
		fill_text(data, len, "sector", (unsigned)sector);
		out[nout].len = len;
		out[nout++].data = data;
	} else if (type == BLK_T_IN) {
		in[nin++].len = len;
	} else if (type == BLK_T_GET_ID) {
		in[nin++].len = 20;
	}
	in[nin++].len = 1;
	(void)no;
	if (guest_add(x->g, 0, out, nout, in, nin, x->flags, cause) < 0)
		return -1;
	guest_kick(x->g, 0);
	return complete(x, 0, 1, cause);
}

static int blk_one(struct io *x, unsigned i, char **cause)
{
	uint64_t sector = (record_rand(x->rec) % (DISK_SECTORS / 8)) * 8;

	switch (i % 5) {
	case 0:
	case 3:
		x->last_written = sector;
		return scn_blk_req(x, BLK_T_OUT, sector, SECTOR, i, cause);
	case 1:
		/* Read back the sector just written, or the host-provided sector 0 every other time. */
		return scn_blk_req(x, BLK_T_IN, (i / 5) % 2 ? 0 : x->last_written, SECTOR, i, cause);
	case 2:
		return scn_blk_req(x, BLK_T_FLUSH, 0, 0, i, cause);
	default:
		return scn_blk_req(x, BLK_T_GET_ID, 0, 0, i, cause);
	}
}

static int blk_setup(struct io *x, char **cause)
{
	uint8_t block[SECTOR];

	/* The disk's first sector as the host provides it: an input, not invented by the device. */
	fill_text(block, sizeof(block), "disk", 0);
	return record_input(x->rec, TRACE_INPUT_DISK, 0, block, sizeof(block), cause);
}

static int net_post_rx(struct io *x, char **cause)
{
	struct guest_buf in = { .len = NET_RXBUF };

	if (guest_add(x->g, 0, NULL, 0, &in, 1, x->flags, cause) < 0)
		return -1;
	x->rx_posted++;
	guest_kick(x->g, 0);
	return 0;
}

static void make_frame(uint8_t *f, size_t n, unsigned no, bool to_guest)
{
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	memcpy(f, to_guest ? guest_mac : peer_mac, 6);
	memcpy(f + 6, to_guest ? peer_mac : guest_mac, 6);
	f[12] = 0x88;		/* local experimental ethertype: no checksums to get wrong */
	f[13] = 0xb5;
	fill_text(f + 14, n - 14, to_guest ? "rx frame" : "tx frame", no);
}

static int net_setup(struct io *x, char **cause)
{
	for (int i = 0; i < 2; i++)
		if (net_post_rx(x, cause) < 0)
			return -1;
	return 0;
}

static int net_one(struct io *x, unsigned i, char **cause)
{
	uint8_t pkt[NET_HDR + 96];

	if (i % 2 == 0) {
		struct guest_buf out[2];

		memset(pkt, 0, NET_HDR);
		make_frame(pkt + NET_HDR, 64 + (i % 3) * 16, i, false);
		memset(out, 0, sizeof(out));
		out[0].len = NET_HDR;
		out[0].data = pkt;
		out[1].len = 64 + (i % 3) * 16;
		out[1].data = pkt + NET_HDR;
		if (guest_add(x->g, 1, out, 2, NULL, 0, x->flags, cause) < 0)
			return -1;
		guest_kick(x->g, 1);
		return complete(x, 1, 1, cause);
	}
	make_frame(pkt, 80, i, true);
	if (record_input(x->rec, TRACE_INPUT_FRAME, 0, pkt, 80, cause) < 0)
		return -1;
	if (complete(x, 0, 1, cause) < 0)
		return -1;
	x->rx_posted--;
	return net_post_rx(x, cause);
}

static int scsi_cmd(struct io *x, const uint8_t *cdb, unsigned cdblen, const uint8_t *dout, uint32_t doutlen,
    uint32_t dinlen, char **cause)
{
	uint8_t req[SCSI_REQ];
	struct guest_buf out[2], in[2];
	unsigned nout = 0, nin = 0;
	const unsigned q = 2;

	memset(req, 0, sizeof(req));
	req[0] = 1;		/* lun: target 0, lun 0 in Linux's flat format */
	req[2] = 0x40;
	le64_store(req + 8, record_rand(x->rec) & 0xffff);
	memcpy(req + 19, cdb, cdblen);
	memset(out, 0, sizeof(out));
	memset(in, 0, sizeof(in));
	out[nout].len = sizeof(req);
	out[nout++].data = req;
	if (doutlen > 0) {
		out[nout].len = doutlen;
		out[nout++].data = dout;
	}
	in[nin++].len = SCSI_RESP;
	if (dinlen > 0)
		in[nin++].len = dinlen;
	if (guest_add(x->g, q, out, nout, in, nin, x->flags, cause) < 0)
		return -1;
	guest_kick(x->g, q);
	return complete(x, q, 1, cause);
}

static int scsi_one(struct io *x, unsigned i, char **cause)
{
	uint8_t cdb[16], data[SECTOR];
	uint32_t lba = (uint32_t)(record_rand(x->rec) % DISK_SECTORS);

	if (i % 5 == 4)
		lba = (uint32_t)x->last_written;
	else if (i % 5 == 3)
		x->last_written = lba;

	memset(cdb, 0, sizeof(cdb));
	switch (i % 5) {
	case 0:		/* TEST UNIT READY */
		return scsi_cmd(x, cdb, 6, NULL, 0, 0, cause);
	case 1:		/* INQUIRY */
		cdb[0] = 0x12;
		cdb[4] = 36;
		return scsi_cmd(x, cdb, 6, NULL, 0, 36, cause);
	case 2:		/* READ CAPACITY(10) */
		cdb[0] = 0x25;
		return scsi_cmd(x, cdb, 10, NULL, 0, 8, cause);
	case 3:		/* WRITE(10), one block */
		cdb[0] = 0x2a;
		be32_store(cdb + 2, lba);
		cdb[8] = 1;
		fill_text(data, sizeof(data), "lba", lba);
		return scsi_cmd(x, cdb, 10, data, sizeof(data), 0, cause);
	default:	/* READ(10), one block */
		cdb[0] = 0x28;
		be32_store(cdb + 2, lba);
		cdb[8] = 1;
		return scsi_cmd(x, cdb, 10, NULL, 0, SECTOR, cause);
	}
}

static int rng_one(struct io *x, unsigned i, char **cause)
{
	uint8_t e[32];
	struct guest_buf in = { .len = 16 + (i % 2) * 16 };

	fill_rand(x->rec, e, in.len);
	if (record_input(x->rec, TRACE_INPUT_ENTROPY, 0, e, in.len, cause) < 0)
		return -1;
	if (guest_add(x->g, 0, NULL, 0, &in, 1, x->flags, cause) < 0)
		return -1;
	guest_kick(x->g, 0);
	return complete(x, 0, 1, cause);
}

static int console_post_rx(struct io *x, char **cause)
{
	struct guest_buf in = { .len = 64 };

	if (guest_add(x->g, 0, NULL, 0, &in, 1, x->flags, cause) < 0)
		return -1;
	x->rx_posted++;
	guest_kick(x->g, 0);
	return 0;
}

static int console_setup(struct io *x, char **cause)
{
	return console_post_rx(x, cause);
}

static int console_one(struct io *x, unsigned i, char **cause)
{
	char text[64];
	int n;

	if (i % 2 == 0) {
		struct guest_buf out = { 0 };

		n = snprintf(text, sizeof(text), "guest says hello %u\n", i);
		out.len = (uint32_t)n;
		out.data = text;
		if (guest_add(x->g, 1, &out, 1, NULL, 0, x->flags, cause) < 0)
			return -1;
		guest_kick(x->g, 1);
		return complete(x, 1, 1, cause);
	}
	n = snprintf(text, sizeof(text), "host types %u\n", i);
	if (record_input(x->rec, TRACE_INPUT_CONSOLE, 0, text, (uint32_t)n, cause) < 0)
		return -1;
	if (complete(x, 0, 1, cause) < 0)
		return -1;
	x->rx_posted--;
	return console_post_rx(x, cause);
}

/* ---- devices without a model: the transport-only device (src/dev/generic.c) ---- */

#define ID_BALLOON	5
#define ID_INPUT	18
#define INPUT_EVENT	8u		/* struct virtio_input_event: type, code (le16), value (le32) */

/*
 * The request a driver of the type sends on its first queue (virtio spec
 * section 5), so traces of unmodelled devices look like real drivers'; the
 * device only validates and completes (used len 0) or holds them.
 */
static const struct gen_req {
	uint8_t id;			/* 0: any other type */
	uint16_t out_len, in_len;
	const char *what;
} gen_reqs[] = {
	{ ID_BALLOON, 16, 0, "inflateq: 4 page frame numbers" },
	{ ID_INPUT, 0, INPUT_EVENT, "eventq: room for one input event" },
	{ 0, 16, 16, "16 bytes out, room for 16 in" },
};

static const struct gen_req *gen_req_find(uint8_t id)
{
	size_t i = 0;

	while (gen_reqs[i].id != 0 && gen_reqs[i].id != id)
		i++;
	return &gen_reqs[i];
}

/* Post one request on queue 0; with generic-requests hold nothing comes back. */
static int gen_post(struct io *x, unsigned no, bool wait, char **cause)
{
	const struct gen_req *r = gen_req_find(record_device_id(x->rec));
	uint8_t out[16];
	struct guest_buf ob = { .len = r->out_len, .data = out }, ib = { .len = r->in_len };

	if (r->id == ID_BALLOON) {
		/* Guest pages to give up: frames in the guest's data area (4 KiB pages, le32 PFNs). */
		for (unsigned k = 0; k < 4; k++)
			le32_store(out + 4 * k, (uint32_t)((scn_data_addr(x->rec, 0x10000 + 0x1000ull *
			    (record_rand(x->rec) % 256)) >> 12)));
	} else {
		fill_text(out, sizeof(out), "req", no);
	}
	if (guest_add(x->g, 0, &ob, r->out_len ? 1 : 0, &ib, r->in_len ? 1 : 0, x->flags, cause) < 0)
		return -1;
	guest_kick(x->g, 0);
	return wait && record_header(x->rec)->requests != TRACE_REQ_HOLD ? complete(x, 0, 1, cause) : 0;
}

static int gen_one(struct io *x, unsigned i, char **cause)
{
	return gen_post(x, i, true, cause);
}

struct devio {
	uint8_t id;
	int (*setup)(struct io *x, char **cause);
	int (*one)(struct io *x, unsigned i, char **cause);
};

static const struct devio devio_table[] = {
	{ VIRTIO_ID_BLOCK, blk_setup, blk_one },
	{ VIRTIO_ID_NET, net_setup, net_one },
	{ VIRTIO_ID_SCSI, NULL, scsi_one },
	{ VIRTIO_ID_RNG, NULL, rng_one },
	{ VIRTIO_ID_CONSOLE, console_setup, console_one },
};

static const struct devio devio_generic = { 0, NULL, gen_one };

static const struct devio *devio_find(uint8_t id)
{
	for (size_t i = 0; i < sizeof(devio_table) / sizeof(devio_table[0]); i++)
		if (devio_table[i].id == id)
			return &devio_table[i];
	return vdev_find_id(id) == NULL ? &devio_generic : NULL;
}

static int io_setup(struct io *x, char **cause)
{
	const struct devio *d = devio_find(record_device_id(x->rec));

	if (d == NULL)
		return cause_set(cause, "no requests defined for device %s", record_device_name(x->rec));
	return d->setup != NULL ? d->setup(x, cause) : 0;
}

static int io_run(struct io *x, unsigned first, unsigned n, char **cause)
{
	const struct devio *d = devio_find(record_device_id(x->rec));

	if (d == NULL)
		return cause_set(cause, "no requests defined for device %s", record_device_name(x->rec));
	for (unsigned i = first; i < first + n; i++) {
		record_time(x->rec, 10000);
		if (d->one(x, i, cause) < 0)
			return -1;
	}
	return 0;
}

int record_requests(struct record *rec, struct guest *g, enum guest_irq_mode irq, unsigned first, unsigned n,
    bool setup, char **cause)
{
	struct io x;

	memset(&x, 0, sizeof(x));
	x.rec = rec;
	x.g = g;
	x.irq = irq;
	x.intx_seen = guest_irq_count(g, GUEST_INTX);
	if (setup && io_setup(&x, cause) < 0)
		return -1;
	return io_run(&x, first, n, cause);
}

/* ---- normal scenarios ---- */

static int sc_init(struct record *rec, char **cause)
{
	struct io x;

	return scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause);
}

static int sc_basic(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "mixed i/o");
	return io_run(&x, 0, (unsigned)record_count(rec, 6), cause);
}

static int sc_indirect(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	x.flags = GUEST_ADD_INDIRECT;
	record_mark(rec, "requests in indirect descriptor tables");
	return io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

static void prep_no_event_idx(struct record *rec, struct trace_header *h)
{
	(void)rec;
	h->features &= ~(1ull << VIRTIO_F_EVENT_IDX);
}

/* Batches of requests with interrupts suppressed, then re-enabled (EVENT_IDX: used_event; else NO_INTERRUPT). */
static int suppression(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "interrupts enabled");
	if (io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "interrupts suppressed by the driver");
	guest_disable_cb(x.g, record_device_id(rec) == VIRTIO_ID_SCSI ? 2 : 0);
	if (record_device_id(rec) == VIRTIO_ID_NET || record_device_id(rec) == VIRTIO_ID_CONSOLE)
		guest_disable_cb(x.g, 1);
	if (io_run(&x, 2, 3, cause) < 0)
		return -1;
	record_mark(rec, "interrupts enabled again");
	guest_enable_cb(x.g, record_device_id(rec) == VIRTIO_ID_SCSI ? 2 : 0);
	if (record_device_id(rec) == VIRTIO_ID_NET || record_device_id(rec) == VIRTIO_ID_CONSOLE)
		guest_enable_cb(x.g, 1);
	return io_run(&x, 5, 2, cause);
}

static int sc_intx(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_INTX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "i/o with INTx and ISR reads");
	return io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

static int sc_msix(struct record *rec, char **cause)
{
	struct io x;
	unsigned qv = record_device_id(rec) == VIRTIO_ID_SCSI ? 3 : 1;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: one vector per queue");
	if (io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: vector %u masked; the interrupt waits in the PBA", qv);
	guest_msix_mask(x.g, (uint16_t)qv, true);
	if (io_run(&x, 2, 1, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: vector %u unmasked; the pending interrupt is delivered", qv);
	guest_msix_mask(x.g, (uint16_t)qv, false);
	record_mark(rec, "msi-x: function mask");
	guest_msix_function_mask(x.g, true);
	if (io_run(&x, 3, 1, cause) < 0)
		return -1;
	guest_msix_function_mask(x.g, false);
	return io_run(&x, 4, 1, cause);
}

static int sc_msix_shared(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX_SHARED, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: one vector shared by every queue");
	return io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

/* Requests published, one kicked, then a reset before the driver looks at the used ring. */
static int sc_reset(struct record *rec, char **cause)
{
	struct io x;
	uint8_t hdr[16];
	struct guest_buf out = { .len = sizeof(hdr), .data = hdr }, in = { .len = 1 };

	if (record_device_id(rec) != VIRTIO_ID_BLOCK)
		return cause_set(cause, "reset scenario is written for blk");
	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	if (io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "two flushes published, not kicked; then a device reset");
	memset(hdr, 0, sizeof(hdr));
	le32_store(hdr, BLK_T_FLUSH);
	if (guest_add(x.g, 0, &out, 1, &in, 1, 0, cause) < 0 || guest_add(x.g, 0, &out, 1, &in, 1, 0, cause) < 0)
		return -1;
	guest_reset(x.g);
	record_mark(rec, "re-initialisation after the reset");
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0 || guest_setup_queues(x.g, cause) < 0)
		return -1;
	guest_driver_ok(x.g);
	return io_run(&x, 2, 3, cause);
}

/* Start the trace (from a checkpoint) a few requests before the 16-bit indices wrap. */
static int sc_wrap(struct record *rec, char **cause)
{
	struct io x;
	uint64_t n = record_count(rec, 8);
	uint8_t hdr[16];
	struct guest_buf out = { .len = sizeof(hdr), .data = hdr }, in = { .len = 1 };

	if (record_device_id(rec) != VIRTIO_ID_BLOCK)
		return cause_set(cause, "wrap scenario is written for blk");
	record_pause(rec);
	if (start_sized(&x, rec, GUEST_IRQ_MSIX, 0, 8192, cause) < 0)
		return -1;
	memset(hdr, 0, sizeof(hdr));
	le32_store(hdr, BLK_T_FLUSH);
	/* Cheap requests up to just before the wrap; only the state at the end is written. */
	for (uint32_t i = 0; i < 65536u - (uint32_t)(n / 2); i++) {
		if (guest_add(x.g, 0, &out, 1, &in, 1, 0, cause) < 0)
			return -1;
		guest_kick(x.g, 0);
		if (complete(&x, 0, 1, cause) < 0)
			return -1;
	}
	if (record_resume(rec, cause) < 0)
		return -1;
	record_mark(rec, "avail and used idx at %u: the next requests wrap past 65535",
	    guest_avail_idx(x.g, 0));
	return io_run(&x, 0, (unsigned)n, cause);
}

/* The benchmark traces: many blk requests of len bytes, reads and writes alternating. */
static int bulk_run(struct record *rec, uint32_t len, char **cause)
{
	struct io x;
	uint64_t n = record_count(rec, 1000);

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || io_setup(&x, cause) < 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t sector = (record_rand(rec) % (DISK_SECTORS / 8)) * 8;

		if (i % 64 == 0)
			record_time(rec, 64000);
		if (scn_blk_req(&x, (i & 1) ? BLK_T_IN : BLK_T_OUT, sector, len, (unsigned)i, cause) < 0)
			return -1;
	}
	return 0;
}

static int sc_bulk(struct record *rec, char **cause)
{
	return bulk_run(rec, SECTOR, cause);
}

static int sc_bulk_4k(struct record *rec, char **cause)
{
	return bulk_run(rec, 8 * SECTOR, cause);
}

/* ---- the transport-only device holding requests ---- */

static void prep_hold(struct record *rec, struct trace_header *h)
{
	(void)rec;
	h->requests = TRACE_REQ_HOLD;
}

/* input: event buffers posted and held until the host has events; an LED status report; raw config. */
static int sc_input_events(struct record *rec, char **cause)
{
	struct io x;
	uint8_t led[INPUT_EVENT] = { 0x11, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00 };	/* EV_LED, LED_CAPSL, on */
	struct guest_buf ob = { .len = sizeof(led), .data = led };
	unsigned n = (unsigned)record_count(rec, 8);

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	record_mark(rec, "config select = 1 (ID_NAME), subsel 0: the raw config keeps what the driver wrote");
	guest_devcfg_write(x.g, 0, 1, 1);
	guest_devcfg_write(x.g, 1, 1, 0);
	(void)guest_devcfg_read(x.g, 0, 1);
	(void)guest_devcfg_read(x.g, 2, 1);
	record_mark(rec, "%u eventq buffers posted: the device holds them (generic-requests hold)", n);
	for (unsigned i = 0; i < n; i++)
		if (gen_post(&x, i, false, cause) < 0)
			return -1;
	record_mark(rec, "statusq: caps lock LED on, held as well");
	if (guest_add(x.g, 1, &ob, 1, NULL, 0, 0, cause) < 0)
		return -1;
	guest_kick(x.g, 1);
	return 0;
}

/* Case 17 for real: the device holds every buffer, the guest exposes one more than the queue size. */
static int v_too_many_in_flight_held(struct record *rec, char **cause)
{
	struct io x;
	const struct gen_req *r;
	uint16_t size, idx;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	size = guest_queue_size(x.g, 0);
	/* One ring descriptor per request, so the table holds as many requests as the ring (Linux does so too). */
	r = gen_req_find(record_device_id(rec));
	if (r->out_len > 0 && r->in_len > 0)
		x.flags = GUEST_ADD_INDIRECT;
	record_mark(rec, "%u buffers on queue 0, all held in flight by the device", size);
	for (unsigned i = 0; i < size; i++)
		if (gen_post(&x, i, false, cause) < 0)
			return -1;
	record_mark(rec, "misbehaviour: avail idx moved once more with every buffer still in flight");
	idx = guest_avail_idx(x.g, 0);
	guest_raw_avail_ring(x.g, 0, idx, 0);
	guest_raw_avail_idx(x.g, 0, (uint16_t)(idx + 1));
	guest_notify(x.g, 0);
	record_mark(rec, "recovery: reset and re-initialise");
	guest_reset(x.g);
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0 || guest_setup_queues(x.g, cause) < 0)
		return -1;
	guest_driver_ok(x.g);
	return gen_post(&x, 0, false, cause);
}

#define BAD(name, fn, what) \
	{ name, "misbehaviour: " what, "blk", "blk", NULL, fn, NULL }

const struct record_scenario record_scenarios[] = {
	{ "init", "Linux-like init only: BARs, capabilities, features, queues, DRIVER_OK", "*", "blk", NULL, sc_init, NULL },
	{ "basic", "Linux-like init, then mixed I/O for the device (--count requests)", "*", "blk", NULL, sc_basic, NULL },
	{ "indirect", "I/O with every request in an indirect descriptor table", "*", "blk", NULL, sc_indirect, NULL },
	{ "event-idx", "EVENT_IDX negotiated: interrupts suppressed through used_event, then re-enabled", "*", "blk",
	  NULL, suppression, NULL },
	{ "no-event-idx", "EVENT_IDX not offered: suppression by the avail NO_INTERRUPT flag", "*", "blk",
	  prep_no_event_idx, suppression, NULL },
	{ "msix", "MSI-X per-queue vectors, a masked vector's pending interrupt, function mask", "*", "blk", NULL,
	  sc_msix, NULL },
	{ "msix-shared", "MSI-X with one vector for every queue", "*", "blk", NULL, sc_msix_shared, NULL },
	{ "intx", "INTx interrupts acknowledged by ISR reads", "*", "blk", NULL, sc_intx, NULL },
	{ "reset", "device reset with requests published but not processed, then re-init and I/O", "blk", "blk",
	  NULL, sc_reset, NULL },
	{ "wrap", "starts from a checkpoint just before avail/used idx wrap past 65535", "blk", "blk", NULL,
	  sc_wrap, "the trace starts from a checkpoint of the simulator's device state" },
	{ "bulk", "--count N blk reads and writes (benchmark traces)", "blk", "blk", NULL, sc_bulk, NULL },
	{ "bulk-4k", "--count N blk reads and writes of 4 KiB (benchmark traces)", "blk", "blk", NULL, sc_bulk_4k, NULL },
	BAD("desc-loop", v_desc_loop, "descriptor chain loop"),
	BAD("desc-next-range", v_desc_next_range, "next index beyond the table"),
	BAD("avail-head-range", v_avail_head_range, "head index from the avail ring beyond the queue"),
	BAD("avail-idx-jump", v_avail_idx_jump, "avail idx moved by more than the queue size"),
	BAD("indirect-bad-len", v_indirect_bad_len, "indirect table length not a multiple of 16"),
	BAD("indirect-nested", v_indirect_nested, "indirect descriptor inside an indirect table"),
	BAD("indirect-with-next", v_indirect_with_next, "INDIRECT together with NEXT"),
	BAD("indirect-outside-ram", v_indirect_outside_ram, "indirect table outside guest RAM"),
	BAD("desc-order", v_desc_order, "device-readable descriptor after a writable one"),
	BAD("desc-zero-len", v_desc_zero_len, "zero-length buffer"),
	BAD("sg-too-many", v_sg_too_many, "more than 1024 scatter-gather entries"),
	BAD("chain-len-overflow", v_chain_len_overflow, "chain length beyond what a request may carry"),
	BAD("buffer-outside-ram", v_buffer_outside_ram, "buffer address outside guest RAM"),
	BAD("ring-addr-bad", v_ring_addr_bad, "ring address outside guest RAM"),
	BAD("queue-size-bad", v_queue_size_bad, "queue size beyond the maximum"),
	BAD("queue-select-range", v_queue_select_range, "queue_select out of range"),
	BAD("queue-not-ready", v_queue_not_ready, "queue used before DRIVER_OK"),
	BAD("queue-enable-bad", v_queue_enable_bad, "queue_enable written with a value other than 1"),
	BAD("too-many-in-flight", v_too_many_in_flight, "more buffers in flight than the queue size"),
	BAD("features-bad", v_features_bad, "FEATURES_OK without VERSION_1"),
	BAD("devcfg-range", v_devcfg_range, "device config access out of range"),
	BAD("bar-access-bad", v_bar_access_bad, "BAR access of bad size or to an unmapped offset"),
	{ "checkpoint-bad", "misbehaviour: a trace starting from an inconsistent checkpoint", "blk", "blk", NULL,
	  v_checkpoint_bad, "checkpoints are the simulator's device state" },
	{ "input-events", "input eventq buffers and a statusq report held by the device (generic-requests hold)",
	  "input", "input", prep_hold, sc_input_events, "generic-requests hold is the transport-only device's policy" },
	{ "too-many-in-flight-held", "misbehaviour: one buffer more than the queue size while the device "
	  "holds them all", "generic", "input", prep_hold, v_too_many_in_flight_held,
	  "generic-requests hold is the transport-only device's policy" },
	/* the generated sweep (src/run/sweep.c): every choice from --seed; sweep compares them against QEMU */
	{ "sweep-common", "sweep: common config at every offset and size, random writes, every field read back",
	  "*", "blk", NULL, sweep_sc_common, NULL },
	{ "sweep-regions", "sweep: ISR, device config and notify at every offset and size, across region ends",
	  "*", "blk", NULL, sweep_sc_regions, NULL },
	{ "sweep-msix", "sweep: MSI-X table, PBA and holes; masking, vectors past the table or for missing queues",
	  "*", "blk", NULL, sweep_sc_msix, NULL },
	{ "sweep-intx", "sweep: INTx with ISR reads, the PCI status interrupt bit, INTX_DISABLE", "*", "blk", NULL,
	  sweep_sc_intx, NULL },
	{ "sweep-status", "sweep: the device status bits set in a seeded order, FAILED, NEEDS_RESET, taken away",
	  "*", "blk", NULL, sweep_sc_status, NULL },
	{ "sweep-queues", "sweep: queue_select past the queues, queue sizes, queue_reset with and without RING_RESET",
	  "*", "blk", NULL, sweep_sc_queues, NULL },
	{ "sweep-busmaster", "sweep: bus mastering cleared in COMMAND while DRIVER_OK", "*", "blk", NULL,
	  sweep_sc_busmaster, NULL },
	{ "sweep-cfgspace", "sweep: PCI config space at every offset and size, random writes", "*", "blk", NULL,
	  sweep_sc_cfgspace, NULL },
	{ "sweep-pcicfg", "sweep: the PCI_CFG capability window at any bar, offset and length", "*", "blk", NULL,
	  sweep_sc_pcicfg, NULL },
	{ "sweep-decode", "sweep: COMMAND's memory decoding off: every region unmapped, the PCI_CFG window working",
	  "*", "blk", NULL, sweep_sc_decode, NULL },
	{ "sweep-legacy", "sweep: a transitional function's legacy I/O BAR at every offset and size, guest_features "
	  "at any status, I/O decoding off",
	  "*", "blk", sweep_legacy_prepare, sweep_sc_legacy, NULL },
	{ "sweep-random", "sweep: requests with seeded feature subsets, queue sizes and resets", "*", "blk", NULL,
	  sweep_sc_random, NULL },
	{ "sweep-scsi", "sweep: SCSI commands with seeded LUNs, CDB flags, page codes, lengths, parameter lists (MODE "
	  "SELECT, UNMAP, WRITE SAME) and disk options; task management; batches with overlapping buffers",
	  "scsi", "scsi", sweep_scsi_prepare, sweep_sc_scsi, NULL },
	{ "sweep-blk", "sweep: blk requests of every type, size, range and flag in batches, GET_ID with a seeded "
	  "serial and disk options, the writeback byte, QEMU's in-flight limit, a break before DRIVER_OK", "blk",
	  "blk", sweep_blk_prepare, sweep_sc_blk, NULL },
	{ "sweep-net", "sweep: net tx bursts, rx frames and buffers (mergeable or not, filtered), control commands",
	  "net", "net", sweep_net_prepare, sweep_sc_net, NULL },
	{ "sweep-console", "sweep: console writes, rx buffers of seeded sizes, typed bytes waiting for them",
	  "console", "console", NULL, sweep_sc_console, NULL },
	{ "sweep-rng", "sweep: rng requests of seeded sizes, entropy that serves some, all or none of them, legacy "
	  "drivers, a bad avail head or a chain QEMU reads its own way",
	  "rng", "rng", sweep_rng_prepare, sweep_sc_rng, NULL },
	{ "sweep-serial", "sweep: virtio-serial with several ports: control messages with and without ctrl-rx "
	  "buffers, in seeded orders, hostile ones; data on every port, opened or not; status writes",
	  "console", "console",
	  sweep_serial_prepare, sweep_sc_serial, NULL },
	{ "sweep-mq", "sweep: a seeded number of queues (blk, scsi; net: one pair with MQ), requests spread over "
	  "them, kicks on queues not set up or past the last", "blk scsi net", "blk", sweep_mq_prepare, sweep_sc_mq,
	  NULL },
	{ "sweep-mmio", "sweep: queue 0's rings and request buffers in unassigned space, at descriptor address 0, "
	  "across the end of RAM; the bounce buffer's limits (blk requests, rng entropy, console rx0 and tx0)",
	  "blk rng console", "blk", sweep_mmio_prepare, sweep_sc_mmio, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
