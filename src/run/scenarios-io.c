/* scenarios-io.c -- the requests the model guest sends each device type, and completing them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/vdev.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

#include "scenarios-int.h"

/*
 * Requests are built by the spec (virtio 1.x section 5) so a scenario
 * describes what a Linux guest would send; the device answers. All choices
 * (sectors, payload bytes) come from record_rand(), never from the clock.
 * The scenarios (scenarios.c, scenarios-bad.c) ask for them through
 * record_requests() and scn_io_run().
 */

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
int scn_complete(struct io *x, unsigned q, unsigned n, char **cause)
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

int scn_start_sized(struct io *x, struct record *rec, enum guest_irq_mode irq, uint64_t features,
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
	return scn_start_sized(x, rec, irq, features, 0, cause);
}

/* ---- per-device requests ---- */

/* One flush on queue 0 (header, status byte), not kicked: its head, or -1. */
int scn_flush_add(struct io *x, char **cause)
{
	uint8_t hdr[16];
	struct guest_buf out = { .len = sizeof(hdr), .data = hdr }, in = { .len = 1 };

	memset(hdr, 0, sizeof(hdr));
	le32_store(hdr, BLK_T_FLUSH);
	return guest_add(x->g, 0, &out, 1, &in, 1, 0, cause);
}

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
	return scn_complete(x, 0, 1, cause);
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
		return scn_complete(x, 1, 1, cause);
	}
	make_frame(pkt, 80, i, true);
	if (record_input(x->rec, TRACE_INPUT_FRAME, 0, pkt, 80, cause) < 0)
		return -1;
	if (scn_complete(x, 0, 1, cause) < 0)
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
	return scn_complete(x, q, 1, cause);
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
	return scn_complete(x, 0, 1, cause);
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
		return scn_complete(x, 1, 1, cause);
	}
	n = snprintf(text, sizeof(text), "host types %u\n", i);
	if (record_input(x->rec, TRACE_INPUT_CONSOLE, 0, text, (uint32_t)n, cause) < 0)
		return -1;
	if (scn_complete(x, 0, 1, cause) < 0)
		return -1;
	x->rx_posted--;
	return console_post_rx(x, cause);
}

/* ---- devices without a model: the transport-only device (src/dev/generic.c) ---- */

#define ID_BALLOON	5
#define ID_INPUT	18

/* one request per type (scenarios-int.h: struct scn_gen_req); the last row answers any other type */
static const struct scn_gen_req gen_reqs[] = {
	{ ID_BALLOON, 16, 0, "inflateq: 4 page frame numbers" },
	{ ID_INPUT, 0, INPUT_EVENT, "eventq: room for one input event" },
	{ 0, 16, 16, "16 bytes out, room for 16 in" },
};

const struct scn_gen_req *scn_gen_req_find(uint8_t id)
{
	size_t i = 0;

	while (gen_reqs[i].id != 0 && gen_reqs[i].id != id)
		i++;
	return &gen_reqs[i];
}

/* Post one request on queue 0; with generic-requests hold nothing comes back. */
int scn_gen_post(struct io *x, unsigned no, bool wait, char **cause)
{
	const struct scn_gen_req *r = scn_gen_req_find(record_device_id(x->rec));
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
	return wait && record_header(x->rec)->requests != TRACE_REQ_HOLD ? scn_complete(x, 0, 1, cause) : 0;
}

static int gen_one(struct io *x, unsigned i, char **cause)
{
	return scn_gen_post(x, i, true, cause);
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

int scn_io_setup(struct io *x, char **cause)
{
	const struct devio *d = devio_find(record_device_id(x->rec));

	if (d == NULL)
		return cause_set(cause, "no requests defined for device %s", record_device_name(x->rec));
	return d->setup != NULL ? d->setup(x, cause) : 0;
}

int scn_io_run(struct io *x, unsigned first, unsigned n, char **cause)
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
	if (setup && scn_io_setup(&x, cause) < 0)
		return -1;
	return scn_io_run(&x, first, n, cause);
}
