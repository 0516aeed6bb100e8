/* sweep-dev.c -- the device sweeps' guest (seeded features, interrupts, queue sizes), console and rng */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"

#include "sweep-dev-int.h"

uint64_t dsw_rnd(struct dsw *s, uint64_t n)
{
	return record_below(s->rec, n);
}

void dsw_fill(struct dsw *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 7 == 0 ? dsw_rnd(s, 256) : 0x20 + i % 95);
}

/*
 * The guest with a seeded interrupt mode, queue size and feature subset:
 * optional bits are dropped at random (drop: the candidates), VERSION_1
 * and whatever the caller keeps stay.
 */
int dsw_begin(struct dsw *s, struct record *rec, uint64_t drop, uint64_t (*fix)(uint64_t want), char **cause)
{
	static const enum guest_irq_mode m[] = { GUEST_IRQ_MSIX, GUEST_IRQ_MSIX_SHARED, GUEST_IRQ_INTX };
	uint64_t offered = record_header(rec)->features;
	uint16_t size;

	memset(s, 0, sizeof(*s));
	s->rec = rec;
	s->irq = m[dsw_rnd(s, 3)];
	/* A table smaller than a vector per queue (QEMU's virtio-serial): Linux falls back to shared vectors. */
	if (s->irq == GUEST_IRQ_MSIX && (record_header(rec)->has & TRACE_HAS_MSIX) &&
	    record_header(rec)->msix_vectors < record_header(rec)->nqueues + 1)
		s->irq = GUEST_IRQ_MSIX_SHARED;
	drop |= (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
	s->feat = offered ? offered & ~(record_rand(rec) & drop) : 0;
	if (s->feat != 0 && fix != NULL)
		s->feat = fix(s->feat);
	/*
	 * A legacy driver now and then acks BAD_FEATURE, as one that does not
	 * negotiate properly (without ring features: the device will not have them).
	 */
	if (record_legacy_driver(rec) && s->feat != 0 && dsw_rnd(s, 4) == 0) {
		s->feat &= ~((1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX));
		s->feat |= 1ull << VIRTIO_F_BAD_FEATURE;
	}
	size = (uint16_t)(8u << dsw_rnd(s, 6));
	if ((s->g = record_guest(rec, s->irq, s->feat)) == NULL)
		return cause_set(cause, "cannot create the guest");
	guest_set_queue_size(s->g, size);
	record_mark(rec, "sweep: features 0x%" PRIx64 ", queues of %u, %s interrupts", s->feat, size,
	    s->irq == GUEST_IRQ_INTX ? "intx" : s->irq == GUEST_IRQ_MSIX ? "msi-x per queue" : "msi-x shared");
	if (guest_init(s->g, cause) < 0)
		return -1;
	s->feat = guest_features(s->g);
	/* what a legacy device took, as it reads back (32 bits, BAD_FEATURE answered with the device's own) */
	if (record_legacy_driver(rec))
		s->feat = guest_legacy_read(s->g, VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4);
	return 0;
}

bool dsw_has(const struct dsw *s, unsigned bit)
{
	return (s->feat >> bit) & 1;
}

/*
 * Take n completions of q (waiting for QEMU to publish them), acknowledging
 * INTx like Linux; each one's IN bytes are read back, its status byte kept
 * in *last (when asked). Returns how many came.
 */
unsigned dsw_take(struct dsw *s, unsigned q, unsigned n, uint8_t *last)
{
	unsigned got;

	if (n == 0)
		return 0;
	(void)guest_wait(s->g, q, (uint16_t)n);
	if (s->irq == GUEST_IRQ_INTX && guest_irq_count(s->g, GUEST_INTX) != s->intx_seen) {
		s->intx_seen = guest_irq_count(s->g, GUEST_INTX);
		(void)guest_isr_read(s->g);
	}
	got = guest_drain(s->g, q, n, last);
	if (got < n)
		record_mark(s->rec, "sweep: queue %u: %u of %u completions came", q, got, n);
	return got;
}

/* Add a chain; a full queue is not an error here (the op is skipped). */
bool dsw_add(struct dsw *s, unsigned q, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin)
{
	char *why = NULL;
	unsigned flags = dsw_has(s, VIRTIO_F_INDIRECT_DESC) && dsw_rnd(s, 3) == 0 ? GUEST_ADD_INDIRECT : 0;

	if (guest_add(s->g, q, out, nout, in, nin, flags, &why) < 0) {
		record_mark(s->rec, "sweep: queue %u: not added (%s)", q, why ? why : "?");
		free(why);
		return false;
	}
	return true;
}

/* A device that serves host bytes (console, rng): its guest, an empty account, how many ops to make. */
int bytes_begin(struct dsw *s, struct record *rec, struct bytesacct *a, unsigned *ops, char **cause)
{
	if (dsw_begin(s, rec, 0, NULL, cause) < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	*ops = 6 + (unsigned)dsw_rnd(s, 14);
	return 0;
}

/* Host bytes of the input type (seeded content) given to the device. */
int bytes_give(struct dsw *s, struct bytesacct *a, uint8_t type, uint32_t len, char **cause)
{
	uint8_t d[1024];

	if (len == 0 || len > sizeof d)
		return 0;
	dsw_fill(s, d, len);
	if (record_input(s->rec, type, 0, d, len, cause) < 0)
		return -1;
	a->bytes += len;
	return 0;
}

/* The buffers the bytes there are complete now (each a used entry). */
unsigned bytes_deliver(struct bytesacct *a)
{
	unsigned due = 0;

	while (a->bytes > 0 && a->nbuf > 0) {
		a->bytes -= a->buf[0] < a->bytes ? a->buf[0] : a->bytes;
		memmove(a->buf, a->buf + 1, (a->nbuf - 1) * sizeof a->buf[0]);
		a->nbuf--;
		due++;
	}
	return due;
}

/* ---- console (port 0, no MULTIPORT: QEMU's virtio-serial-pci with max_ports=1) ---- */

static void con_tx(struct dsw *s)
{
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3), added = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t text[256];
		struct guest_buf out[2];
		uint32_t len = 1 + (uint32_t)dsw_rnd(s, sizeof text);
		unsigned nout = 1;

		dsw_fill(s, text, len);
		memset(out, 0, sizeof(out));
		out[0].data = text;
		out[0].len = len;
		if (len > 1 && dsw_rnd(s, 3) == 0) {
			out[0].len = len / 2;
			out[1].data = text + len / 2;
			out[1].len = len - len / 2;
			nout = 2;
		}
		if (!dsw_add(s, 1, out, nout, NULL, 0))
			break;
		added++;
	}
	record_mark(s->rec, "sweep: %u console writes", added);
	guest_kick(s->g, 1);
	(void)dsw_take(s, 1, added, NULL);
}

static void con_post(struct dsw *s, struct bytesacct *a)
{
	unsigned k = 1 + (unsigned)dsw_rnd(s, 3);

	for (unsigned i = 0; i < k && a->nbuf < CON_MAX_BUFS; i++) {
		struct guest_buf in = { .len = 1 + (uint32_t)dsw_rnd(s, 128) };

		if (!dsw_add(s, 0, NULL, 0, &in, 1))
			break;
		a->buf[a->nbuf++] = in.len;
	}
	record_mark(s->rec, "sweep: console rx buffers posted, %u now", a->nbuf);
	guest_kick(s->g, 0);
}

/*
 * Typed bytes never outnumber the posted room: bytes left waiting would
 * reach a buffer whenever QEMU's main loop polls its chardev again, which
 * may be while the guest is still writing the next descriptor.
 */
static int con_type(struct dsw *s, struct bytesacct *a, char **cause)
{
	uint32_t room = 0;

	for (unsigned i = 0; i < a->nbuf; i++)
		room += a->buf[i];
	if (room == 0)
		return 0;
	if (bytes_give(s, a, TRACE_INPUT_CONSOLE, 1 + (uint32_t)dsw_rnd(s, room < 300 ? room : 300), cause) < 0)
		return -1;
	(void)dsw_take(s, 0, bytes_deliver(a), NULL);
	return 0;
}

int sweep_sc_console(struct record *rec, char **cause)
{
	struct dsw s;
	struct bytesacct a;
	unsigned ops;

	if (bytes_begin(&s, rec, &a, &ops, cause) < 0)
		return -1;
	for (unsigned i = 0; i < ops; i++) {
		switch (dsw_rnd(&s, 3)) {
		case 0:
			con_tx(&s);
			break;
		case 1:
			con_post(&s, &a);
			break;
		default:
			if (con_type(&s, &a, cause) < 0)
				return -1;
			break;
		}
	}
	return 0;
}

/* ---- rng ---- */

#define RNG_MAX_BUFS	8u
#define RNG_MAX_REQS	32u

/*
 * QEMU's virtio-rng asks its backend for bytes in requests (its documented
 * rounds, virtio_rng_process and chr_read): on a kick, on a status write
 * with DRIVER_OK and after a read that left chains posted, one request for
 * the device-writable bytes posted then, queued behind the others and
 * never cancelled (a reset keeps them). Each one, oldest first, reads the
 * entropy there up to its size as soon as there is some; the bytes fill
 * the chains posted by then in order (each chain a completion, the last
 * maybe in part; kicked or not), are dropped without DRIVER_OK and rings,
 * and what no chain takes is thrown away. Entropy that comes while no
 * request is outstanding waits. The guest keeps that account so that it
 * knows what to wait for; it gives entropy only when a request would read
 * it into a chain (or none is outstanding): bytes read into nothing leave
 * nothing to wait for, and the guest's next step would race QEMU's read.
 */
struct rngacct {
	struct bytesacct a;		/* a.bytes: given, not read; a.buf: the chains posted, in order */
	uint32_t req[RNG_MAX_REQS];
	unsigned nreq;
	bool ready;
};

static void rng_ask(struct rngacct *r)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < r->a.nbuf; i++)
		n += r->a.buf[i];
	if (r->ready && n > 0 && r->nreq < RNG_MAX_REQS)
		r->req[r->nreq++] = n;
}

/* The requests that read now; returns the chains they complete. */
static unsigned rng_read(struct rngacct *r)
{
	unsigned done = 0;

	while (r->nreq > 0 && r->a.bytes > 0) {
		uint32_t n = r->a.bytes < r->req[0] ? r->a.bytes : r->req[0];

		r->a.bytes -= n;
		memmove(r->req, r->req + 1, --r->nreq * sizeof r->req[0]);
		if (!r->ready)
			continue;
		while (n > 0 && r->a.nbuf > 0) {
			n -= r->a.buf[0] < n ? r->a.buf[0] : n;
			memmove(r->a.buf, r->a.buf + 1, --r->a.nbuf * sizeof r->a.buf[0]);
			done++;
		}
		if (r->a.nbuf > 0)
			rng_ask(r);
	}
	return done;
}

/* Whether entropy given now is read into a chain or waits (see struct rngacct). */
static bool rng_may_give(const struct rngacct *r)
{
	return r->nreq == 0 || (r->ready && r->a.nbuf > 0);
}

static int rng_give(struct dsw *s, struct rngacct *r, uint32_t len, char **cause)
{
	bool waits = r->nreq == 0;

	if (bytes_give(s, &r->a, TRACE_INPUT_ENTROPY, len, cause) < 0)
		return -1;
	if (waits && r->a.nbuf > 0) {
		struct guest_used u;

		/* posted and not kicked: nothing may come (the guest looks) */
		record_mark(s->rec, "sweep: %u entropy bytes, %u rng requests posted, none asked for", len, r->a.nbuf);
		(void)guest_poll(s->g, 0, &u);
		return 0;
	}
	(void)dsw_take(s, 0, rng_read(r), NULL);
	return 0;
}

static void rng_kick(struct dsw *s, struct rngacct *r)
{
	guest_kick(s->g, 0);
	rng_ask(r);
	(void)dsw_take(s, 0, rng_read(r), NULL);
}

/* 1 to k requests of 1 to 64 or 512 bytes posted (avail idx published), not kicked. */
static void rng_post(struct dsw *s, struct rngacct *r, unsigned k)
{
	for (k = 1 + (unsigned)dsw_rnd(s, k); k > 0 && r->a.nbuf < RNG_MAX_BUFS; k--) {
		struct guest_buf in = { .len = 1 + (uint32_t)dsw_rnd(s, dsw_rnd(s, 2) ? 64 : 512) };

		if (!dsw_add(s, 0, NULL, 0, &in, 1))
			break;
		r->a.buf[r->a.nbuf++] = in.len;
	}
}

/*
 * A reset with the requests QEMU has asked for still outstanding, then the
 * bring-up again; now and then requests posted before DRIVER_OK, whose
 * status write asks for them.
 */
static int rng_reset(struct dsw *s, struct rngacct *r, char **cause)
{
	bool early = dsw_rnd(s, 2);

	record_mark(s->rec, "sweep: rng reset with %u backend requests outstanding%s", r->nreq,
	    early ? ", requests posted before DRIVER_OK" : "");
	guest_reset(s->g);
	r->ready = false;
	r->a.nbuf = 0;
	if (guest_negotiate(s->g, s->feat, cause) < 0 || guest_setup_queues(s->g, cause) < 0)
		return -1;
	if (early)
		rng_post(s, r, 3);
	guest_driver_ok(s->g);
	r->ready = true;
	rng_ask(r);
	(void)dsw_take(s, 0, rng_read(r), NULL);
	return 0;
}

/* sweep-rng's header: one seed in three a transitional function with a legacy driver. */
void sweep_rng_prepare(struct record *rec, struct trace_header *h)
{
	if (record_rand(rec) % 3 == 0)
		record_pick_legacy_driver(rec, h);
}

/*
 * A kick that finds a head past the queue in the avail ring, behind the
 * requests posted: QEMU counts the bytes they want first
 * (virtqueue_get_avail_bytes), meets the head there and breaks the device
 * before it serves any. No entropy follows (a backend request left from
 * before would be read whenever QEMU polls it); the guest reads the status
 * and looks at the used ring.
 */
static void rng_bad_head(struct dsw *s)
{
	uint16_t size = guest_queue_size(s->g, 0), idx = guest_avail_idx(s->g, 0);
	uint16_t head = (uint16_t)(size + dsw_rnd(s, 0x10000u - size));
	struct guest_used u;

	record_mark(s->rec, "sweep: rng avail slot %u names head %u (queue of %u)", idx % size, head, size);
	guest_raw_avail_ring(s->g, 0, idx, head);
	guest_raw_avail_idx(s->g, 0, (uint16_t)(idx + 1));
	guest_notify(s->g, 0);
	(void)guest_status(s->g);
	(void)guest_poll(s->g, 0, &u);
}

/* A descriptor's 16 bytes, for a table the guest lays by hand. */
static void rng_desc(uint8_t *d, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	for (unsigned i = 0; i < 8; i++)
		d[i] = (uint8_t)(addr >> 8 * i);
	for (unsigned i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(len >> 8 * i);
	d[12] = (uint8_t)flags;
	d[13] = (uint8_t)(flags >> 8);
	d[14] = (uint8_t)next;
	d[15] = (uint8_t)(next >> 8);
}

/*
 * A request QEMU reads otherwise than the spec does, behind the requests
 * posted (entropy only as given before they were: QEMU has asked for none
 * since, the model would hand it out at once): INDIRECT inside its table or on its second
 * descriptor (a buffer to QEMU), a table of more than 1024 entries (QEMU
 * takes it), lengths that add up to 4 GiB (QEMU's count adds them in 32
 * bits: 0, nothing asked), or one 2-descriptor chain in enough avail slots
 * that the count meets more descriptors than the queue holds (a loop:
 * the device breaks). Then the status and the used ring are read.
 */
static int rng_bad_chain(struct dsw *s, const struct bytesacct *a)
{
	static const char *const what[] = { "INDIRECT inside its table", "INDIRECT on its second descriptor",
		"a table of more than 1024 entries", "lengths adding up to 4 GiB", "one chain in many avail slots" };
	struct guest_buf big = { .len = 16 * 2048 }, small = { .len = 64 };
	uint16_t size = guest_queue_size(s->g, 0), idx = guest_avail_idx(s->g, 0), slots = 1;
	unsigned kind = (unsigned)dsw_rnd(s, 5), n;
	uint8_t t[32];
	uint32_t len;
	uint64_t b, b2;
	struct guest_used u;
	int h1, h2;

	h1 = guest_add(s->g, 0, NULL, 0, &big, 1, GUEST_ADD_NO_PUBLISH, NULL);
	h2 = guest_add(s->g, 0, NULL, 0, &small, 1, GUEST_ADD_NO_PUBLISH, NULL);
	if (h1 < 0 || h2 < 0) {
		record_mark(s->rec, "sweep: rng queue full, no bad chain");
		return 0;
	}
	b = guest_in_addr(s->g, 0, (uint16_t)h1, 0, &len);
	b2 = guest_in_addr(s->g, 0, (uint16_t)h2, 0, &len);
	record_mark(s->rec, "sweep: rng request %d with %s (queue of %u)", h1, what[kind], size);
	switch (kind) {
	case 0:
		rng_desc(t, b2, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
		rng_desc(t + 16, b2 + 16, 8 + (uint32_t)dsw_rnd(s, 40), VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 0);
		guest_raw_mem(s->g, b, t, 32);
		guest_raw_desc(s->g, 0, (uint16_t)h1, b, 32, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case 1:
		guest_raw_desc(s->g, 0, (uint16_t)h1, b2, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)h2);
		guest_raw_desc(s->g, 0, (uint16_t)h2, b, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case 2:
		n = 1025 + (unsigned)dsw_rnd(s, 1024);
		rng_desc(t, b2, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(n - 1));
		guest_raw_mem(s->g, b, t, 16);
		rng_desc(t, b2 + 8, 8 + (uint32_t)dsw_rnd(s, 56), VIRTQ_DESC_F_WRITE, 0);
		guest_raw_mem(s->g, b + 16ull * (n - 1), t, 16);
		guest_raw_desc(s->g, 0, (uint16_t)h1, b, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case 3:
		rng_desc(t, b2, 0x80000000u, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
		rng_desc(t + 16, b2, 0x80000000u, VIRTQ_DESC_F_WRITE, 0);
		guest_raw_mem(s->g, b, t, 32);
		guest_raw_desc(s->g, 0, (uint16_t)h1, b, 32, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	default:
		guest_raw_desc(s->g, 0, (uint16_t)h1, b2, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)h2);
		guest_raw_desc(s->g, 0, (uint16_t)h2, b2 + 8, 8, VIRTQ_DESC_F_WRITE, 0);
		slots = (uint16_t)(size / 2 + 1 + dsw_rnd(s, size / 2));
		if (slots + a->nbuf > size)
			slots = (uint16_t)(size - a->nbuf);
		break;
	}
	for (uint16_t i = 0; i < slots; i++)
		guest_raw_avail_ring(s->g, 0, (uint16_t)(idx + i), (uint16_t)h1);
	guest_raw_avail_idx(s->g, 0, (uint16_t)(idx + slots));
	guest_notify(s->g, 0);
	(void)dsw_take(s, 0, (unsigned)a->nbuf + 1, NULL);
	(void)guest_status(s->g);
	(void)guest_poll(s->g, 0, &u);
	return 0;
}

int sweep_sc_rng(struct record *rec, char **cause)
{
	struct dsw s;
	struct rngacct r;
	unsigned ops, bad, kind;

	memset(&r, 0, sizeof(r));
	if (bytes_begin(&s, rec, &r.a, &ops, cause) < 0)
		return -1;
	r.ready = true;
	/* one seed in four ends with a bad head, one in four with a chain QEMU reads its own way */
	kind = (unsigned)dsw_rnd(&s, 4);
	bad = kind < 2 ? (unsigned)dsw_rnd(&s, ops) : ops;
	for (unsigned i = 0; i < ops; i++) {
		bool ending = i == bad;

		if (r.a.nbuf > 0 && !ending) {
			switch (dsw_rnd(&s, 8)) {
			case 0:
				if (rng_reset(&s, &r, cause) < 0)
					return -1;
				break;
			case 1:
				record_mark(rec, "sweep: rng kick with %u requests posted, %u backend requests outstanding",
				    r.a.nbuf, r.nreq);
				rng_kick(&s, &r);
				break;
			case 2:
				rng_post(&s, &r, 2);
				record_mark(rec, "sweep: %u rng requests posted, the last not kicked", r.a.nbuf);
				break;
			default:
				/* requests wait: entropy for some or all of them */
				if (rng_give(&s, &r, 1 + (uint32_t)dsw_rnd(&s, 600), cause) < 0)
					return -1;
				break;
			}
			continue;
		}
		if (r.a.nbuf == 0) {
			if (dsw_rnd(&s, 2) && rng_may_give(&r) &&
			    rng_give(&s, &r, (uint32_t)dsw_rnd(&s, 1024), cause) < 0)
				return -1;
			rng_post(&s, &r, 4);
		}
		record_mark(rec, "sweep: %u rng requests, %u entropy bytes given", r.a.nbuf, r.a.bytes);
		if (ending && kind == 0) {
			rng_bad_head(&s);
			return 0;
		}
		if (ending)
			return rng_bad_chain(&s, &r.a);
		if (dsw_rnd(&s, 4) == 0) {
			record_mark(rec, "sweep: not kicked");
			continue;
		}
		rng_kick(&s, &r);
	}
	return 0;
}
