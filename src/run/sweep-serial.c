/* sweep-serial.c -- the virtio-serial sweep, MULTIPORT or not: ports, control queue, typed bytes */
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

#include "sweep-dev-int.h"

#define SER_FEW_PORTS	6u		/* the sweep's small devices: 2 + 2 * 6 queues at most */
#define SER_MAX_PORTS	31u		/* QEMU's default device: 2 + 2 * 31 queues */
#define SER_CTRL_RX	2u
#define SER_CTRL_TX	3u
#define SER_MAX_CTRL	24u		/* ctrl-rx buffers the guest keeps posted at most (QEMU's queue: 32) */
#define SER_QEMU_VECTORS 2u		/* virtio-serial-pci's MSI-X table unless told otherwise */
#define SER_NONE_BYTES	256u		/* typed for port 0 without MULTIPORT and no rx buffer: at most */

/* Control events (virtio 1.x 5.3.6.2). */
enum { SER_DEVICE_READY, SER_PORT_ADD, SER_PORT_REMOVE, SER_PORT_READY, SER_CONSOLE_PORT, SER_RESIZE,
	SER_PORT_OPEN, SER_PORT_NAME };

/*
 * What the guest knows from the spec and QEMU's documented rules: a port
 * takes typed bytes once the guest opened it (with MULTIPORT by PORT_OPEN;
 * without, port 0 at DRIVER_OK), control messages go into posted ctrl-rx
 * buffers or nowhere, every port of the device is open on the host side.
 */
struct ser {
	struct dsw s;
	unsigned nports;
	bool mp;
	bool dok;			/* DRIVER_OK is set */
	bool open[SER_MAX_PORTS];
	struct bytesacct rx[SER_MAX_PORTS];
	unsigned ctrl_bufs;
};

static unsigned ser_rxq(unsigned p)
{
	return p == 0 ? 0 : 2 + 2 * p;
}

/*
 * The header: MULTIPORT offered with 2..6 ports, or QEMU's default device
 * (31 ports) one time in four (max_nr_ports in the device config, 2 + 2 per
 * port queues of QEMU's sizes); the MSI-X table of QEMU's default (2
 * vectors, so the guest shares one between the queues) or, with few ports,
 * a vector per queue.
 */
void sweep_serial_prepare(struct record *rec, struct trace_header *h)
{
	/* One draw as before the default device was added: a seed's small device stays the same. */
	uint64_t r = record_rand(rec);
	bool dflt = r / (SER_FEW_PORTS - 1) % 4 == 0;
	unsigned n = dflt ? SER_MAX_PORTS : 2 + (unsigned)(r % (SER_FEW_PORTS - 1));
	bool per_queue = record_rand(rec) % 2;

	h->features |= 1ull << VIRTIO_CONSOLE_F_MULTIPORT;
	h->nqueues = (uint16_t)(2 + 2 * n);
	for (unsigned i = 0; i < h->nqueues; i++)
		h->queue_max[i] = i == SER_CTRL_RX || i == SER_CTRL_TX ? 32 : 128;
	if (h->devcfg_len >= 8)
		le32_store(h->devcfg + 4, n);
	h->msix_vectors = per_queue && !dflt ? (uint16_t)(h->nqueues + 1) : SER_QEMU_VECTORS;
	h->has |= TRACE_HAS_MSIX;
}

/* Control messages in one notify (some hostile); how many messages the device answers them with. */
static unsigned ser_ctrl(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3), added = 0, due = 0;
	char what[96];
	size_t wl = 0;

	what[0] = '\0';
	for (unsigned i = 0; i < k; i++) {
		uint8_t m[24];
		struct guest_buf out[2], in = { .len = 8 };
		unsigned nout = 1, nin = 0;
		uint32_t len = 8, id = (uint32_t)dsw_rnd(s, x->nports);
		uint16_t ev, val = 1;

		switch (dsw_rnd(s, 10)) {
		case 0: ev = SER_DEVICE_READY; val = dsw_rnd(s, 4) ? 1 : 0; break;
		case 1: case 2: ev = SER_PORT_READY; val = dsw_rnd(s, 6) ? 1 : 0; break;
		case 3: case 4: case 5: ev = SER_PORT_OPEN; val = (uint16_t)dsw_rnd(s, 3); break;
		case 6:	/* a port the device does not have */
			ev = dsw_rnd(s, 2) ? SER_PORT_READY : SER_PORT_OPEN;
			id = dsw_rnd(s, 2) ? x->nports + (uint32_t)dsw_rnd(s, 40) : 0xffffffffu;
			break;
		case 7:	/* an event only the device sends, or none at all */
			ev = (uint16_t)(dsw_rnd(s, 2) ? SER_PORT_ADD + dsw_rnd(s, 8) : 8 + dsw_rnd(s, 0xfff8));
			break;
		case 8:	/* short */
			ev = SER_PORT_READY;
			len = (uint32_t)dsw_rnd(s, 8);
			break;
		default:	/* longer than a message, split over two buffers, maybe an IN buffer too */
			ev = dsw_rnd(s, 2) ? SER_PORT_READY : SER_PORT_OPEN;
			len = 8 + (uint32_t)dsw_rnd(s, 16);
			nin = (unsigned)dsw_rnd(s, 2);
			break;
		}
		dsw_fill(s, m, sizeof m);
		le32_store(m, id);
		le16_store(m + 4, ev);
		le16_store(m + 6, val);
		memset(out, 0, sizeof out);
		out[0].data = m;
		out[0].len = len;
		if (len > 1 && dsw_rnd(s, 3) == 0) {
			out[0].len = 1 + (uint32_t)dsw_rnd(s, len - 1);
			out[1].data = m + out[0].len;
			out[1].len = len - out[0].len;
			nout = 2;
		}
		if (len == 0) {
			nout = 0;
			nin = 1;
		}
		if (!dsw_add(s, SER_CTRL_TX, out, nout, &in, nin))
			break;
		added++;
		if (wl < sizeof what - 24)
			wl += (size_t)snprintf(what + wl, sizeof what - wl, " %u:%u/%u/%u", len, id, ev, val);
		if (len < 8)
			continue;
		/* QEMU's handle_control_message, from the guest's side. */
		if (ev == SER_DEVICE_READY && val)
			due += x->nports;
		else if (ev == SER_PORT_READY && val && id < x->nports)
			due += (id == 0) + 1;		/* CONSOLE_PORT for the virtconsole, PORT_OPEN: host side open */
		else if (ev == SER_PORT_OPEN && id < x->nports)
			x->open[id] = val != 0;
	}
	record_mark(s->rec, "sweep: %u control messages (len:id/event/value)%s", added, what);
	if (added == 0)
		return 0;
	guest_kick(s->g, SER_CTRL_TX);
	due = due < x->ctrl_bufs ? due : x->ctrl_bufs;
	x->ctrl_bufs -= due;
	(void)dsw_take(s, SER_CTRL_RX, due, NULL);
	(void)dsw_take(s, SER_CTRL_TX, added, NULL);
	/* Bytes that waited for a port the guest opened now reach its buffers (not before DRIVER_OK). */
	for (unsigned p = 0; p < x->nports && x->dok; p++)
		if (x->open[p])
			(void)dsw_take(s, ser_rxq(p), bytes_deliver(&x->rx[p]), NULL);
	return added;
}

static void ser_ctrl_post(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)dsw_rnd(s, 4), added = 0;

	for (unsigned i = 0; i < k && x->ctrl_bufs < SER_MAX_CTRL; i++) {
		/* Mostly a message's 8 bytes; sometimes shorter (QEMU still publishes 8) or longer. */
		struct guest_buf in = { .len = dsw_rnd(s, 4) ? 8 : 1 + (uint32_t)dsw_rnd(s, 24) };

		if (!dsw_add(s, SER_CTRL_RX, NULL, 0, &in, 1))
			break;
		x->ctrl_bufs++;
		added++;
	}
	record_mark(s->rec, "sweep: %u ctrl-rx buffers posted, %u now", added, x->ctrl_bufs);
	if (added > 0)
		guest_kick(s->g, SER_CTRL_RX);
}

static void ser_tx(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)dsw_rnd(s, x->nports), k = 1 + (unsigned)dsw_rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t text[200];
		struct guest_buf out = { .data = text, .len = 1 + (uint32_t)dsw_rnd(s, sizeof text) };

		dsw_fill(s, text, out.len);
		if (!dsw_add(s, ser_rxq(p) + 1, &out, 1, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u writes on port %u", added, p);
	guest_kick(s->g, ser_rxq(p) + 1);
	(void)dsw_take(s, ser_rxq(p) + 1, added, NULL);
}

/*
 * One status write, FEATURES_OK and what comes before it kept, DRIVER_OK
 * or not. QEMU's set_status sees every one: without DRIVER_OK every port
 * closes (its guest_reset) and no typed byte moves
 * (virtio_serial_guest_ready); with it port 0 of a guest without MULTIPORT
 * is open again, even one the guest closed with PORT_OPEN 0. Bytes waiting
 * for an open port arrive when DRIVER_OK comes back. Control messages and
 * kicks work either way.
 */
static uint8_t ser_status_set(struct ser *x, bool ok)
{
	struct dsw *s = &x->s;
	bool was = x->dok;
	uint8_t v = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	    (ok ? VIRTIO_STATUS_DRIVER_OK : 0);

	guest_common_write(s->g, VIRTIO_PCI_COMMON_STATUS, 1, v);
	x->dok = ok;
	for (unsigned p = 0; p < x->nports && !ok; p++)
		x->open[p] = false;
	if (ok && !x->mp)
		x->open[0] = true;
	for (unsigned p = 0; p < x->nports && ok && !was; p++)
		if (x->open[p])
			(void)dsw_take(s, ser_rxq(p), bytes_deliver(&x->rx[p]), NULL);
	return v;
}

/* Status writes, 1 to 3 in a row: DRIVER_OK written again, taken away or given back. */
static void ser_status(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3);
	char what[32];
	size_t wl = 0;

	what[0] = '\0';
	for (unsigned i = 0; i < k; i++) {
		uint8_t v = ser_status_set(x, dsw_rnd(s, 2));

		wl += (size_t)snprintf(what + wl, sizeof what - wl, " 0x%02x", v);
	}
	record_mark(s->rec, "sweep: status written%s", what);
}

/*
 * PORT_OPEN for port p in one control message, kicked and taken; bytes
 * waiting for p arrive at once if it opens with buffers and DRIVER_OK.
 * Drawn from no seed: the sweep's own step, not a choice.
 */
static bool ser_open(struct ser *x, unsigned p, bool val)
{
	struct dsw *s = &x->s;
	uint8_t m[8];
	struct guest_buf out = { .data = m, .len = sizeof m };
	char *why = NULL;

	le32_store(m, p);
	le16_store(m + 4, SER_PORT_OPEN);
	le16_store(m + 6, val);
	if (guest_add(s->g, SER_CTRL_TX, &out, 1, NULL, 0, 0, &why) < 0) {
		record_mark(s->rec, "sweep: queue %u: not added (%s)", SER_CTRL_TX, why ? why : "?");
		free(why);
		return false;
	}
	record_mark(s->rec, "sweep: port %u: PORT_OPEN %u", p, val);
	guest_kick(s->g, SER_CTRL_TX);
	(void)dsw_take(s, SER_CTRL_TX, 1, NULL);
	x->open[p] = val;
	if (val && x->dok)
		(void)dsw_take(s, ser_rxq(p), bytes_deliver(&x->rx[p]), NULL);
	return true;
}

/*
 * Rx buffers for a port, kicked. Bytes waiting for a port QEMU reads now
 * (DRIVER_OK and, with MULTIPORT, opened; without, any port: it drops what
 * an unopened one gets) would reach a buffer posted by RAM stores alone when
 * QEMU's loop comes to the pipe, before the kick or at it: timing, not the
 * trace (virtio-replay-devices(7)). So the guest keeps such a port from
 * reading while it posts: with MULTIPORT a PORT_OPEN 0 and 1 around the
 * buffers, without a status write without DRIVER_OK and one with it (only
 * port 0 has bytes waiting then, see ser_type, and DRIVER_OK opens it); the
 * bytes arrive at that register write.
 */
static void ser_post(struct ser *x)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)dsw_rnd(s, x->nports), k = 1 + (unsigned)dsw_rnd(s, 3);
	struct bytesacct *a = &x->rx[p];
	bool hold = a->bytes > 0 && x->dok && (x->open[p] || !x->mp);

	if (hold && x->mp && !ser_open(x, p, false))
		return;
	if (hold && !x->mp)
		record_mark(s->rec, "sweep: status written 0x%02x", ser_status_set(x, false));
	for (unsigned i = 0; i < k && a->nbuf < CON_MAX_BUFS; i++) {
		struct guest_buf in = { .len = 1 + (uint32_t)dsw_rnd(s, 96) };

		if (!dsw_add(s, ser_rxq(p), NULL, 0, &in, 1))
			break;
		a->buf[a->nbuf++] = in.len;
	}
	record_mark(s->rec, "sweep: port %u rx buffers posted, %u now%s", p, a->nbuf,
	    hold ? ", the port kept from reading its waiting bytes" : "");
	guest_kick(s->g, ser_rxq(p));
	if (x->open[p] && x->dok)
		(void)dsw_take(s, ser_rxq(p), bytes_deliver(a), NULL);
	if (hold && x->mp)
		(void)ser_open(x, p, true);
	else if (hold)
		record_mark(s->rec, "sweep: status written 0x%02x", ser_status_set(x, true));
}

/*
 * Typed bytes never outnumber the room posted (see con_type), and go only
 * to a port that keeps them whole: one the guest opened (they arrive now),
 * or with MULTIPORT one it did not (they wait for PORT_OPEN). Without
 * MULTIPORT QEMU reads bytes for an unopened port and drops them, in its
 * own time: that race stays out of the sweep. So does the one after bytes
 * typed before DRIVER_OK for a port past 0 a guest without MULTIPORT opened:
 * a status write without DRIVER_OK closes it, and the one with DRIVER_OK
 * that follows reopens only port 0, so without MULTIPORT those ports get
 * bytes only with DRIVER_OK, and the bytes arrive at once.
 * One exception: port 0 of a guest without MULTIPORT, opened, with no rx
 * buffer posted, takes bytes with no room at all (up to SER_NONE_BYTES
 * waiting). QEMU's virtio_serial_guest_ready counts nothing on an empty
 * queue, so they wait in the pipe; ser_post then keeps the port from
 * reading while it posts (the status writes), the shape of seed 1103
 * without MULTIPORT, which the sweep otherwise hardly makes (a reset
 * taking the buffers from bytes typed before DRIVER_OK).
 */
static int ser_type(struct ser *x, char **cause)
{
	struct dsw *s = &x->s;
	unsigned p = (unsigned)dsw_rnd(s, x->nports);
	struct bytesacct *a = &x->rx[p];
	bool none = !x->mp && p == 0 && x->open[0] && a->nbuf == 0 && a->bytes < SER_NONE_BYTES;
	uint32_t room = 0;
	uint8_t d[300];
	uint32_t len;

	for (unsigned i = 0; i < a->nbuf; i++)
		room += a->buf[i];
	if ((room <= a->bytes && !none) || (!x->mp && (!x->open[p] || (p != 0 && !x->dok))))
		return 0;
	room = none ? SER_NONE_BYTES / 4 : room - a->bytes;
	len = 1 + (uint32_t)dsw_rnd(s, room < sizeof d ? room : sizeof d);
	dsw_fill(s, d, len);
	if (record_input(s->rec, TRACE_INPUT_CONSOLE, p, d, len, cause) < 0)
		return -1;
	a->bytes += len;
	if (x->open[p] && x->dok)
		(void)dsw_take(s, ser_rxq(p), bytes_deliver(a), NULL);
	return 0;
}

/*
 * A device reset, then the bring-up again with the same features; between
 * the queues and DRIVER_OK the guest may already post ctrl-rx buffers and
 * send control messages (QEMU handles a kick whatever the status). Typed
 * bytes a port has not taken stay waiting; every port is closed again.
 */
static int ser_reset(struct ser *x, char **cause)
{
	struct dsw *s = &x->s;
	unsigned early = (unsigned)dsw_rnd(s, 3);

	record_mark(s->rec, "sweep: reset, %u control rounds before DRIVER_OK", early);
	guest_reset(s->g);
	x->ctrl_bufs = 0;
	for (unsigned p = 0; p < x->nports; p++) {
		x->rx[p].nbuf = 0;
		x->open[p] = false;
	}
	if (guest_negotiate(s->g, s->feat, cause) < 0 || guest_setup_queues(s->g, cause) < 0)
		return -1;
	for (unsigned i = 0; i < early; i++) {
		ser_ctrl_post(x);
		(void)ser_ctrl(x);
	}
	guest_driver_ok(s->g);
	x->dok = true;
	if (!x->mp)
		x->open[0] = true;	/* QEMU's set_status: DRIVER_OK opens port 0 of a one-port guest */
	return 0;
}

int sweep_sc_serial(struct record *rec, char **cause)
{
	struct ser x;
	const struct trace_header *h = record_header(rec);
	unsigned ops;

	memset(&x, 0, sizeof x);
	if (dsw_begin(&x.s, rec, 1ull << VIRTIO_CONSOLE_F_MULTIPORT, NULL, cause) < 0)
		return -1;
	x.mp = dsw_has(&x.s, VIRTIO_CONSOLE_F_MULTIPORT);
	x.nports = 1;
	if ((h->features >> VIRTIO_CONSOLE_F_MULTIPORT) & 1 && h->devcfg_len >= 8)
		x.nports = le32_load(h->devcfg + 4);
	if (x.nports < 1 || x.nports > SER_MAX_PORTS || guest_num_queues(x.s.g) != 2 + 2 * x.nports)
		return cause_set(cause, "sweep-serial: %u ports, %u queues (2 + 2 per port, at most %u ports)", x.nports,
		    guest_num_queues(x.s.g), SER_MAX_PORTS);
	x.open[0] = !x.mp;
	x.dok = true;
	ops = 10 + (unsigned)dsw_rnd(&x.s, 20);
	for (unsigned i = 0; i < ops; i++) {
		switch (dsw_rnd(&x.s, 9)) {
		case 8:
			if (!dsw_rnd(&x.s, 2))
				ser_status(&x);
			else if (ser_reset(&x, cause) < 0)
				return -1;
			break;
		case 0:
			ser_ctrl_post(&x);
			break;
		case 1: case 2:
			(void)ser_ctrl(&x);
			break;
		case 3:
			ser_tx(&x);
			break;
		case 4: case 5:
			ser_post(&x);
			break;
		default:
			if (ser_type(&x, cause) < 0)
				return -1;
			break;
		}
	}
	return 0;
}
