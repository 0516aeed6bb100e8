/* sweep-mmio.c -- the generated sweep's rings and buffers outside RAM (unassigned space, past RAM), against QEMU */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/qtest-port.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/virtq.h"

/*
 * A guest that puts one of a queue's rings, or request buffers, where
 * the recording machine has no RAM: the PCI hole between the end of RAM
 * and the BARs, the space above 4 GiB, across the end of RAM. Its own
 * stores there go nowhere (the recorder refuses them, QEMU would drop
 * them); the device reads zeros there and its writes are lost; a buffer
 * there takes the machine's one bounce buffer. The guest waits only for
 * what it can see in RAM (used idx, else the status byte) and only when the
 * request can complete; then it reads device_status, the ISR and what the
 * device left in RAM. blk: queue 0, reads and GET_IDs. rng: queue 0, entropy
 * requests served by entropy given after the kick. console (port 0 of the
 * one-port device): rx0 with bytes typed after the kick, or tx0 with writes
 * QEMU reads through the bounce buffer when they lie in a hole.
 */

#define MM_MAX_REQ	3
#define MM_DATA_OFF	0x600000ull	/* RAM buffers: past what the guest allocates in a short run */
#define MM_STATUS_OFF	0x7f0000ull
#define BLK_T_IN	0u
#define BLK_T_GET_ID	8u
#define MM_BARS		0xfe000000ull	/* where the guest assigns the BARs (guest_config.bar_base 0) */

enum mm_ring { R_RAM, R_DESC_HOLE, R_AVAIL_HOLE, R_USED_HOLE, R_ALL_HOLE, R_DESC_ZERO, R_CROSS, R_COUNT };

static const char *const ring_case[R_COUNT] = {
	"rings in RAM", "descriptor table in a hole", "avail ring in a hole", "used ring in a hole",
	"every ring in a hole", "descriptor address 0", "a ring running from RAM into the hole",
};

/*
 * sweep-map: one ring at an edge of the machine's map. QEMU maps a ring
 * that starts in unassigned space through whatever follows (it reads 0 and
 * drops writes throughout); one in ROM must stay in it; none may run past
 * 2^64.
 */
enum mm_edge { E_BAR, E_IOAPIC, E_FIRMWARE, E_ROM, E_ROM_OUT, E_TOP, E_COUNT };

static const char *const edge_case[E_COUNT] = {
	"from the PCI hole into the function's first BAR", "from the PCI hole into the IOAPIC",
	"from the gap below the firmware into it", "inside pc.rom", "from pc.rom into RAM", "across 2^64",
};

struct mm {
	struct record *rec;
	const struct guest_port *p;
	struct guest *g;
	const struct trace_header *h;
	uint64_t ram;			/* declared RAM base */
	uint16_t qsize;
	unsigned q;			/* the queue whose rings move and that gets the requests */
	bool map;			/* sweep-map: buffers in ROM and across the firmware's edge too */
};

/* Where a buffer outside RAM lies: unassigned space, inside pc.rom, from the gap below the firmware into it. */
enum mm_where { W_HOLE, W_ROM, W_CROSS };

static uint64_t rnd(struct mm *m, uint64_t n)
{
	return record_below(m->rec, n);
}

void sweep_mmio_prepare(struct record *rec, struct trace_header *h)
{
	(void)rec;
	qport_machine_map(h);	/* the same map on the simulator as on QEMU */
}

/* The end of the header's first range of list that ends at a base of to (NULL: at 2^64); 0 if none. */
static uint64_t end_at(const struct trace_ram *list, unsigned n, const struct trace_ram *to, unsigned nto)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t end = list[i].base + list[i].size;
		for (unsigned j = 0; to != NULL && j < nto; j++)
			if (to[j].base == end)
				return end;
		if (to == NULL && end == 0)
			return 1;	/* 2^64: the caller's start - k wraps to just below it */
	}
	return 0;
}

/*
 * Somewhere in unassigned space: the PCI hole (well below the BARs at
 * 0xfe000000) or above 4 GiB. sweep-map (where not NULL) also puts half of
 * the len bytes there inside pc.rom or across the firmware's lower edge.
 */
static uint64_t hole_addr(struct mm *m, uint64_t align, uint32_t len, enum mm_where *where)
{
	const struct trace_header *h = m->h;
	uint64_t edge;

	if (where != NULL)
		*where = W_HOLE;
	if (where != NULL && m->map && rnd(m, 2) == 0) {
		if (rnd(m, 2) == 0 && h->nrom > 0 && h->rom[0].size >= len + align) {
			*where = W_ROM;
			return h->rom[0].base + align * rnd(m, (h->rom[0].size - len) / align);
		}
		if (len >= 32 && (edge = end_at(h->unassigned, h->nunassigned, h->rom, h->nrom)) != 0) {
			*where = W_CROSS;
			return edge - 16 * (1 + rnd(m, len / 16 - 1));
		}
	}
	const struct trace_ram *u = &h->unassigned[h->nunassigned > 1 ? rnd(m, 2) : 0];
	/* two draws, one statement each: the order of a + b's operands is the compiler's */
	uint64_t step = align * rnd(m, 64);

	return u->base + 0x100000 * rnd(m, 64) + step;
}

/*
 * The bounce buffers QEMU's address_space_map takes for one buffer outside
 * RAM: a page at a time in unassigned space, on over whatever follows it;
 * ROM maps in place for the device to read, through the bounce buffer for
 * it to write.
 */
static unsigned pieces(enum mm_where w, uint32_t len, bool out)
{
	if (out && w != W_HOLE)
		return w == W_CROSS ? 1 : 0;
	return len > VIRTQ_BOUNCE_MAX ? 2 : 1;
}

static const char *where_name(bool outside, enum mm_where w)
{
	return !outside ? "in RAM" : w == W_ROM ? "in pc.rom" : w == W_CROSS ? "from the gap below the firmware into it" :
	    "in a hole";
}

/*
 * One of the rings (seeded) moved to an edge (seeded), *r the sweep-mmio
 * case it then is (a ring in a hole, or one QEMU cannot map). Across an
 * edge it starts at least align bytes before it and ends at least align
 * past; inside pc.rom it lies whole in it.
 */
static int edge_ring(struct mm *m, uint64_t *desc, uint64_t *avail, uint64_t *used, enum mm_ring *r, char **cause)
{
	const struct trace_header *h = m->h;
	uint64_t *which[3] = { desc, avail, used };
	const uint64_t lens[3] = { 16ull * m->qsize, 4 + 2ull * m->qsize, 4 + 8ull * m->qsize }, aligns[3] = { 16, 2, 4 };
	static const enum mm_ring in_hole[3] = { R_DESC_HOLE, R_AVAIL_HOLE, R_USED_HOLE };
	unsigned k = (unsigned)rnd(m, 3);
	enum mm_edge e = (enum mm_edge)rnd(m, E_COUNT);
	uint64_t len = lens[k], align = aligns[k], edge = 0, back = align * (1 + rnd(m, len / align - 1));

	switch (e) {
	case E_BAR: edge = MM_BARS; break;
	case E_IOAPIC: edge = h->nunassigned > 0 ? h->unassigned[0].base + h->unassigned[0].size : 0; break;
	case E_FIRMWARE: edge = end_at(h->unassigned, h->nunassigned, h->rom, h->nrom); break;
	case E_ROM: edge = h->nrom > 0 && h->rom[0].size > len ? h->rom[0].base + h->rom[0].size : 0; break;
	case E_ROM_OUT: edge = end_at(h->rom, h->nrom, h->ram, h->nram); break;
	case E_TOP: edge = end_at(h->unassigned, h->nunassigned, NULL, 0) ? 1 : 0; break;
	default: break;
	}
	if (edge == 0)
		return cause_set(cause, "sweep-map: the header states no edge %s", edge_case[e]);
	if (e == E_TOP)
		edge = 0;	/* 2^64 */
	*which[k] = e == E_ROM ? edge - len - align * rnd(m, (h->rom[0].size - len) / align) : edge - back;
	*r = e == E_ROM_OUT || e == E_TOP ? R_CROSS : in_hole[k];
	record_mark(m->rec, "sweep: the %s %s", k == 0 ? "descriptor table" : k == 1 ? "avail ring" : "used ring",
	    edge_case[e]);
	return 0;
}

/* Queue m->q at a seeded place (case *r; R_COUNT: an edge, edge_ring), the other queues left alone; DRIVER_OK. */
static int rings(struct mm *m, enum mm_ring *rp, char **cause)
{
	uint64_t base = m->ram + 0x10000 + 0x8000ull * m->q, desc = base, avail = base + 16ull * m->qsize;
	uint64_t used = (avail + 6 + 2ull * m->qsize + 63) & ~63ull;
	enum mm_ring r = *rp;
	char *why = NULL;

	if (r == R_COUNT && edge_ring(m, &desc, &avail, &used, rp, cause) < 0)
		return -1;
	switch (r) {
	case R_DESC_HOLE: desc = hole_addr(m, 16, 0, NULL); break;
	case R_AVAIL_HOLE: avail = hole_addr(m, 2, 0, NULL); break;
	case R_USED_HOLE: used = hole_addr(m, 4, 0, NULL); break;
	case R_ALL_HOLE:
		desc = hole_addr(m, 16, 0, NULL);
		avail = desc + 16ull * m->qsize;
		used = (avail + 6 + 2ull * m->qsize + 63) & ~63ull;
		break;
	case R_DESC_ZERO: desc = 0; break;
	case R_CROSS: {
		/* starts in the RAM before the hole, runs into it: QEMU cannot map it */
		uint64_t *which[3] = { &desc, &avail, &used }, lens[3] = { 16ull * m->qsize, 4 + 2ull * m->qsize,
			4 + 8ull * m->qsize };
		unsigned k = (unsigned)rnd(m, 3);
		*which[k] = m->h->unassigned[0].base - 2 * (1 + rnd(m, (lens[k] - 2) / 2));
		break;
	}
	default: break;
	}
	record_mark(m->rec, "sweep: queue %u with %s: desc 0x%" PRIx64 " avail 0x%" PRIx64 " used 0x%" PRIx64,
	    m->q, ring_case[*rp], desc, avail, used);
	if (guest_setup_queue_mask(m->g, 0, cause) < 0)
		return -1;
	/* a refusal shows in device_status; the guest goes on as a careless driver would */
	(void)guest_setup_queue_exact(m->g, m->q, m->qsize, desc, avail, used, &why);
	free(why);
	guest_driver_ok(m->g);
	return 0;
}

struct mm_req {
	bool hdr_hole, data_hole;
	enum mm_where hdr_where, data_where;
	bool data_out;			/* the device reads the data (console tx0) */
	uint32_t data_len;
	uint64_t data, status;
};

/*
 * Header, data and status of request i; the data's stale bytes and the
 * status byte 0xff stored first. A read, or (sync) a GET_ID with its header
 * in RAM: in one batch only the first request may be a read, and only with
 * EVENT_IDX, as QEMU finishes several reads in an order of its own and
 * whether a late interrupt meets an early one in the mailbox is timing
 * (sweep-blk keeps the same rule).
 */
static int add_req(struct mm *m, unsigned i, bool sync, struct mm_req *q, char **cause)
{
	static const uint32_t lens[] = { 512, 1024, 4096, 8192 };
	uint8_t hdr[16], st[2] = { 0xff, 0x00 }, stale[8192];

	memset(q, 0, sizeof(*q));
	q->hdr_hole = !sync && rnd(m, 3) == 0;
	q->data_hole = rnd(m, 2) == 0;
	q->data_len = lens[rnd(m, 4)];
	q->data = q->data_hole ? hole_addr(m, 512, q->data_len, &q->data_where) : m->ram + MM_DATA_OFF + 0x4000ull * i;
	q->status = m->ram + MM_STATUS_OFF + 16ull * i;
	memset(hdr, 0, sizeof hdr);
	le32_store(hdr, sync ? BLK_T_GET_ID : BLK_T_IN);
	le64_store(hdr + 8, rnd(m, 64));
	memset(stale, 0x5a, sizeof stale);
	guest_raw_mem(m->g, q->status, st, 2);
	struct guest_buf out = { .addr = q->hdr_hole ? hole_addr(m, 16, 16, &q->hdr_where) : 0, .len = 16, .data = hdr };
	struct guest_buf in[2] = {
		{ .addr = q->data, .len = q->data_len, .data = stale },
		{ .addr = q->status, .len = 1 },
	};
	record_mark(m->rec, "sweep: request %u (%s): header %s, %u data bytes at 0x%" PRIx64 " (%s)", i,
	    sync ? "get-id" : "read", where_name(q->hdr_hole, q->hdr_where), q->data_len, q->data,
	    where_name(q->data_hole, q->data_where));
	return guest_add(m->g, 0, &out, 1, in, 2, 0, cause) < 0 ? -1 : 0;
}

/* Bounce buffers the chain takes (pieces): more than one and QEMU gives up. */
static unsigned bounced(const struct mm_req *q)
{
	return (q->hdr_hole ? pieces(q->hdr_where, 16, true) : 0) +
	    (q->data_hole ? pieces(q->data_where, q->data_len, q->data_out) : 0);
}

/*
 * Wait for what the guest can see of n completions: used idx in RAM, else
 * (used ring in a hole, or a device broken meanwhile that writes no used
 * element but still the status byte) the last status byte.
 */
static void await(struct mm *m, bool used_idx, const struct mm_req *last, uint16_t n)
{
	if (n == 0 || m->p->wait == NULL)
		return;
	if (used_idx)
		(void)guest_wait(m->g, 0, n);	/* n since the guest last took completions: all of them here */
	else
		(void)m->p->wait(m->p->opaque, last->status, 0x00ff, 1);
}

static void read_back(struct mm *m, enum mm_ring r, const struct mm_req *q, unsigned n)
{
	uint8_t b[8192];
	struct guest_used u;

	for (unsigned i = 0; i < n; i++) {
		if (q[i].status != 0)
			(void)m->p->mem_read(m->p->opaque, q[i].status, b, 1);
		if (!q[i].data_hole && q[i].data_len > 0)
			(void)m->p->mem_read(m->p->opaque, q[i].data, b, q[i].data_len);
	}
	if (r != R_USED_HOLE) {
		/* the avail event word too: QEMU moves it for a head before the chain walk that may fail */
		(void)m->p->mem_read(m->p->opaque, guest_used_addr(m->g, m->q) + 4 + 8ull * m->qsize, b, 2);
		while (guest_poll(m->g, m->q, &u) > 0)
			;
	}
	(void)guest_status(m->g);
	(void)guest_isr_read(m->g);
	(void)guest_common_read(m->g, 0x1c, 2);
}

/* ---- rng and console: buffers the device fills with host bytes, or console writes ---- */

#define MM_STALE	0x00	/* what an IN buffer in RAM holds first: no host byte pair is 00 00 (see host_bytes) */

/*
 * Host bytes (entropy, typed text) as the other sweeps make them: every
 * seventh byte seeded, the rest printable, so two bytes in a row are never
 * both zero and a buffer's first le16 shows when the device wrote it.
 */
static void host_bytes(struct mm *m, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 7 == 0 ? rnd(m, 256) : 0x20 + i % 95);
}

/*
 * Request i: one buffer, in RAM or in a hole (never in a hole while the
 * used ring is in one: the guest then waits on the buffer's bytes). IN
 * (rng, rx0) with stale bytes stored first; OUT (tx0) with text.
 */
static int add_buf(struct mm *m, enum mm_ring r, unsigned i, bool in, bool may_break, struct mm_req *q, char **cause)
{
	static const uint32_t lens[] = { 64, 512, 4096, 8192 };
	uint8_t data[8192];
	struct guest_buf b;

	memset(q, 0, sizeof(*q));
	q->data_hole = r != R_USED_HOLE && rnd(m, 2) == 0;
	q->data_len = lens[rnd(m, 4)];
	if (q->data_hole && q->data_len > VIRTQ_BOUNCE_MAX && !may_break)
		q->data_len = VIRTQ_BOUNCE_MAX;
	q->data_out = !in;
	q->data = q->data_hole ? hole_addr(m, 512, q->data_len, &q->data_where) : m->ram + MM_DATA_OFF + 0x4000ull * i;
	if (in)
		memset(data, MM_STALE, q->data_len);
	else
		host_bytes(m, data, q->data_len);
	b = (struct guest_buf){ .addr = q->data, .len = q->data_len, .data = data };
	record_mark(m->rec, "sweep: request %u: %u %s bytes at 0x%" PRIx64 " (%s)", i, q->data_len,
	    in ? "device-writable" : "device-readable", q->data, where_name(q->data_hole, q->data_where));
	if (in)
		return guest_add(m->g, m->q, NULL, 0, &b, 1, 0, cause) < 0 ? -1 : 0;
	return guest_add(m->g, m->q, &b, 1, NULL, 0, 0, cause) < 0 ? -1 : 0;
}

/*
 * Host bytes for the requests from..to-1: entropy as much as they hold;
 * text typed into port 0 at most a chardev read (4 KiB) each, as QEMU
 * hands a read to the buffers and what a buffer's read leaves would reach
 * the next one whenever QEMU polls the chardev again.
 */
static int give(struct mm *m, const struct mm_req *q, unsigned from, unsigned to, char **cause)
{
	uint8_t d[MM_MAX_REQ * 8192];
	bool rng = m->h->device == VIRTIO_ID_RNG;
	uint32_t n = 0;

	for (unsigned i = from; i < to; i++)
		n += rng || q[i].data_len < VIRTQ_BOUNCE_MAX ? q[i].data_len : VIRTQ_BOUNCE_MAX;
	if (n == 0)
		return 0;
	host_bytes(m, d, n);
	return record_input(m->rec, m->h->device == VIRTIO_ID_RNG ? TRACE_INPUT_ENTROPY : TRACE_INPUT_CONSOLE, 0, d, n,
	    cause);
}

/*
 * Wait for done completions: used idx in RAM, else (used ring in a hole)
 * the first le16 of the last request served, which starts 00 00.
 */
static void await_bytes(struct mm *m, enum mm_ring r, bool in, const struct mm_req *last, uint16_t done)
{
	if (done == 0 || m->p->wait == NULL)
		return;
	if (r != R_USED_HOLE)
		(void)guest_wait(m->g, m->q, done);
	else if (in)
		(void)m->p->wait(m->p->opaque, last->data, MM_STALE << 8 | MM_STALE, 1);
}

/*
 * rng and console take one element at a time: popped, filled or read,
 * pushed (which unmaps it) before the next is popped, so the bounce
 * buffer is never held across requests; a buffer that needs it twice
 * (over a page) breaks the device. With a ring in a hole nothing is
 * served that the guest could wait for. rng and rx0 break when the host
 * bytes arrive, which the guest can only see through a buffer served in
 * the same read: so only a batch of rng requests, after one that is
 * served, may hold one (console writes break inside the kick).
 */
static int mm_bytes(struct mm *m, enum mm_ring r, bool batch, unsigned n, struct mm_req *q, char **cause)
{
	bool in = !(m->h->device == VIRTIO_ID_CONSOLE && m->q == 1);
	bool alive = r == R_RAM || r == R_USED_HOLE;
	unsigned done = 0, last = 0;

	for (unsigned i = 0; i < n; i++) {
		bool may_break = !in || (m->h->device == VIRTIO_ID_RNG && batch && done > 0);

		if (add_buf(m, r, i, in, may_break, &q[i], cause) < 0)
			return -1;
		bool ok = alive && bounced(&q[i]) <= 1;
		if (!ok)
			alive = false;
		if (ok)
			last = i;
		if (!batch) {
			guest_notify(m->g, m->q);
			if (in && give(m, q, i, i + 1, cause) < 0)
				return -1;
			done += ok;
			await_bytes(m, r, in, &q[i], ok ? (uint16_t)done : 0);
		} else if (ok) {
			done++;
		}
	}
	if (batch) {
		guest_notify(m->g, m->q);
		if (in && give(m, q, 0, n, cause) < 0)
			return -1;
		await_bytes(m, r, in, &q[last], (uint16_t)done);
	}
	return 0;
}

static int mmio_run(struct record *rec, bool edge, char **cause)
{
	static const enum guest_irq_mode modes[] = { GUEST_IRQ_MSIX, GUEST_IRQ_MSIX_SHARED, GUEST_IRQ_INTX };
	struct mm m = { .rec = rec, .p = record_port(rec), .h = record_header(rec), .map = edge };
	struct mm_req q[MM_MAX_REQ];

	if (m.h->nunassigned == 0 || m.h->nram == 0)
		return cause_set(cause, "sweep-mmio: the header states no unassigned range");
	m.ram = m.h->ram[0].base;
	enum guest_irq_mode irq = modes[rnd(&m, 3)];
	uint64_t features = 0;
	if ((m.g = record_guest(rec, irq, 0)) == NULL)
		return cause_set(cause, "cannot create the guest");
	if (guest_pci_setup(m.g, cause) < 0 || guest_find_caps(m.g, cause) < 0)
		return -1;
	features = rnd(&m, 2) ? 0 : guest_device_features(m.g) & ~(1ull << VIRTIO_F_EVENT_IDX);
	if (guest_negotiate(m.g, features, cause) < 0)
		return -1;
	m.qsize = (uint16_t)(16u << rnd(&m, 4));
	/* rings in RAM half the time: the buffers' cases need them there (sweep-map: else R_COUNT, an edge) */
	enum mm_ring r = rnd(&m, 2) ? R_RAM : edge ? R_COUNT : (enum mm_ring)(1 + rnd(&m, R_COUNT - 1));
	if (m.h->device == VIRTIO_ID_CONSOLE)
		m.q = (unsigned)rnd(&m, 2);	/* rx0 or tx0 */
	if (rings(&m, &r, cause) < 0)
		return -1;
	/* one batch (one kick: a bounce buffer still held meets the next request) or one request per kick */
	unsigned n = 1 + (unsigned)rnd(&m, MM_MAX_REQ);
	bool batch = rnd(&m, 2) == 0;
	if (m.h->device != VIRTIO_ID_BLOCK) {
		if (mm_bytes(&m, r, batch, n, q, cause) < 0)
			return -1;
		read_back(&m, r, q, n);
		return 0;
	}
	/* without EVENT_IDX a read's late interrupt and the GET_IDs' may reach the mailbox apart or together */
	bool ei = (guest_features(m.g) >> VIRTIO_F_EVENT_IDX) & 1;
	bool alive = r == R_RAM || r == R_USED_HOLE;
	unsigned done = 0, held = 0;
	for (unsigned i = 0; i < n; i++) {
		if (add_req(&m, i, batch && (i > 0 || !ei), &q[i], cause) < 0)
			return -1;
		unsigned b = bounced(&q[i]);
		bool ok = alive && b <= 1 && !(b == 1 && held > 0);
		if (batch && b == 1)
			held++;
		if (!ok)
			alive = false;
		if (!batch) {
			guest_notify(m.g, 0);
			done += ok;
			await(&m, r != R_USED_HOLE, &q[i], ok ? (uint16_t)done : 0);
		} else if (ok) {
			done++;
		}
	}
	if (batch) {
		guest_notify(m.g, 0);
		/* the batch's one read (request 0) finishes last; GET_IDs finish inside the notify */
		await(&m, r != R_USED_HOLE && alive, &q[0], (uint16_t)done);
	}
	read_back(&m, r, q, n);
	return 0;
}

int sweep_sc_mmio(struct record *rec, char **cause)
{
	return mmio_run(rec, false, cause);
}

int sweep_sc_map(struct record *rec, char **cause)
{
	return mmio_run(rec, true, cause);
}
