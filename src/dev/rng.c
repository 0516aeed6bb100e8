/* rng.c -- virtio-rng: fills request buffers with entropy bytes taken from the trace, never invented */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"


#define RNG_POOL_MAX		(64u << 20)	/* entropy bytes held before the guest asks */
#define RNG_REQ_MAX		4096u		/* backend requests of different sizes outstanding (qemu) */
#define RNG_STATE_VERSION	2

/*
 * Like QEMU's virtio-rng on a backend that has nothing to give, a request
 * the pool cannot serve stays in the avail ring until entropy arrives: the
 * guest sees a slow device, never made-up bytes. A partly filled pool serves
 * what it has (used len = bytes written), as QEMU does.
 *
 * Under the qemu profile the pool is what QEMU's rng-random backend has not
 * read yet (the bytes wait in its file) and the device asks the backend as
 * QEMU 7.2 does: virtio_rng_process, on a kick, on every status write and
 * after a read that left chains posted, asks for the device-writable bytes
 * posted then (one request each time, queued behind the others, never
 * cancelled: a reset keeps them); each request, oldest first, reads what is
 * there up to its size and hands it to chr_read, which drops it unless the
 * queue has rings and the status DRIVER_OK, and otherwise fills the chains
 * posted by then (kicked or not) and throws the rest away. Entropy that
 * comes while no request is outstanding waits.
 */
struct rng_req {
	uint32_t size;			/* bytes asked for */
	uint32_t count;			/* requests of that size in a row */
};

struct rng {
	struct vdev_ctx *ctx;
	bool qemu;			/* QEMU's backend requests: see the comment above */
	uint8_t *pool;
	size_t head, tail, cap;		/* bytes pool[head..tail) are unused entropy */
	bool starved;			/* a request is waiting (note emitted once per starvation) */
	uint8_t status;			/* the last status written (QEMU's vdev->status in set_status) */
	struct rng_req *req;		/* ring of RNG_REQ_MAX: req[rq], req[rq + 1], ... oldest first */
	unsigned rq, nreq;
	bool req_full;			/* the request ring overflowed (note emitted once) */
	char fields[48];
};

static void rng_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	snprintf(out, VIRTQ_NAME_MAX, nqueues <= 1 ? "requestq" : "requestq%u", index);
}

static void rng_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	(void)layout;
	memset(cfg, 0, len);
}

static void *rng_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	struct rng *r = xcalloc(1, sizeof *r);

	r->ctx = ctx;
	r->qemu = setup->layout == VDEV_LAYOUT_QEMU;
	return r;
}

static void rng_destroy(void *dev)
{
	struct rng *r = dev;

	if (r == NULL)
		return;
	free(r->pool);
	free(r->req);
	free(r);
}

static void rng_reset(void *dev)
{
	struct rng *r = dev;

	/*
	 * Entropy already delivered by the host stays: it belongs to the
	 * backend, not the device; so do QEMU's requests (virtio-rng has no
	 * reset handler and the backend's queue does not know of one).
	 */
	r->starved = false;
	r->status = 0;
}

/* The queue a round serves (virtq_hand_out's op). */
struct rng_round {
	struct rng *r;
	unsigned queue;
};

/* A request served with n bytes. */
static void rng_handed(void *op, uint16_t head, uint32_t n, bool failed)
{
	const struct rng_round *w = op;
	struct rng *r = w->r;

	if (failed)
		vdev_violation(r->ctx, "rng-buffer-unwritable", (int)w->queue, head, 0, false,
		    "request %u: buffer is not writable guest RAM", head);
	if (evbus_wants(vdev_bus(r->ctx), VR_EV_TXN))
		snprintf(r->fields, sizeof r->fields, "len=%u", n);
}

/*
 * The strict model: every kick and every input hands the whole pool to
 * whatever chains there are, the rest is kept.
 */
static void rng_process(struct rng *r, unsigned queue)
{
	struct virtq *q = vdev_queue(r->ctx, queue);
	struct rng_round w = { r, queue };
	size_t avail = r->tail - r->head;

	if (q == NULL || !virtq_is_enabled(q))
		return;
	if (avail > 0)
		r->head += virtq_hand_out(q, r->pool + r->head, avail, "IN", r->fields, rng_handed, &w);
	if (r->head == r->tail) {
		r->head = r->tail = 0;
		if (!r->starved && !virtq_is_empty(q)) {
			r->starved = true;
			vdev_note(r->ctx, "rng: request waits: the trace has no entropy left");
		}
	}
	virtq_sync(q);
}

/* QEMU's is_guest_ready: the queue has rings (live or not) and the status DRIVER_OK. */
static bool rng_ready(const struct rng *r, const struct virtq *q)
{
	return q != NULL && (r->status & VIRTIO_STATUS_DRIVER_OK) && virtq_has_rings(q);
}

/*
 * QEMU's virtio_rng_process: ask the backend for the device-writable bytes
 * posted (virtqueue_get_avail_bytes; 0: nothing asked), behind the requests
 * already outstanding.
 */
static void rng_ask(struct rng *r)
{
	struct virtq *q = vdev_queue(r->ctx, 0);
	struct rng_req *last;
	uint32_t n;

	if (!rng_ready(r, q) || (n = virtq_avail_len_in(q, UINT32_MAX)) == 0)
		return;
	last = r->nreq > 0 ? &r->req[(r->rq + r->nreq - 1) % RNG_REQ_MAX] : NULL;
	if (last != NULL && last->size == n && last->count < UINT32_MAX) {
		last->count++;
		return;
	}
	if (r->nreq == RNG_REQ_MAX) {
		if (!r->req_full)
			vdev_note(r->ctx, "rng: more than %u backend requests of other sizes outstanding: "
			    "a request of %u bytes is not kept", RNG_REQ_MAX, n);
		r->req_full = true;
		return;
	}
	if (r->req == NULL)
		r->req = xcalloc(RNG_REQ_MAX, sizeof *r->req);
	r->req[(r->rq + r->nreq++) % RNG_REQ_MAX] = (struct rng_req){ n, 1 };
}

/* QEMU's chr_read: n bytes a request read. */
static void rng_chr_read(struct rng *r, const uint8_t *p, size_t n)
{
	struct virtq *q = vdev_queue(r->ctx, 0);
	struct rng_round w = { r, 0 };

	if (!rng_ready(r, q))
		return;		/* the bytes are gone */
	(void)virtq_hand_out(q, p, n, "IN", r->fields, rng_handed, &w);
	virtq_notify(q);
	if (!virtq_is_empty(q))
		rng_ask(r);
}

/*
 * QEMU's rng-random entropy_available, run whenever the file has bytes and
 * a request is outstanding (QEMU: its next main-loop poll): the oldest
 * request reads what is there up to its size and is done.
 */
static void rng_backend_read(struct rng *r)
{
	while (r->nreq > 0 && r->tail > r->head) {
		struct rng_req *q = &r->req[r->rq];
		size_t n = r->tail - r->head < q->size ? r->tail - r->head : q->size;
		const uint8_t *p = r->pool + r->head;

		r->head += n;
		if (--q->count == 0) {
			r->rq = (r->rq + 1) % RNG_REQ_MAX;
			r->nreq--;
		}
		rng_chr_read(r, p, n);
	}
	if (r->head == r->tail)
		r->head = r->tail = 0;
	if (r->nreq > 0 && !r->starved) {
		r->starved = true;
		vdev_note(r->ctx, "rng: request waits: the trace has no entropy left");
	}
}

static void rng_status_written(void *dev, uint8_t status)
{
	struct rng *r = dev;

	r->status = status;
	if (r->qemu) {
		rng_ask(r);
		rng_backend_read(r);
	}
}

static void rng_status_changed(void *dev, bool driver_ok)
{
	struct rng *r = dev;

	if (driver_ok && !r->qemu)
		rng_process(r, 0);
}

/* A kick; under the qemu profile requestq only (QEMU's virtio-rng has one queue). */
static void rng_queue_notified(void *dev, unsigned queue)
{
	struct rng *r = dev;

	if (!r->qemu) {
		rng_process(r, queue);
	} else if (queue == 0) {
		rng_ask(r);
		rng_backend_read(r);
	}
}

static int rng_add(struct rng *r, const uint8_t *p, size_t n, char **cause)
{
	if (n == 0)
		return 0;	/* an empty input adds nothing (and pool may still be NULL) */
	if (n > RNG_POOL_MAX - (r->tail - r->head))
		return cause_set(cause, "rng: more than %u entropy bytes waiting for the guest", RNG_POOL_MAX);
	if (r->head > 0) {
		memmove(r->pool, r->pool + r->head, r->tail - r->head);
		r->tail -= r->head;
		r->head = 0;
	}
	if (r->tail + n > r->cap) {
		r->cap = r->tail + n < 4096 ? 4096 : r->tail + n;
		r->pool = xrealloc(r->pool, r->cap);
	}
	memcpy(r->pool + r->tail, p, n);
	r->tail += n;
	return 0;
}

static int rng_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct rng *r = dev;

	if (in->type != VDEV_IN_ENTROPY)
		return cause_set(cause, "rng: input type %u is not entropy", in->type);
	if (rng_add(r, in->data, in->len, cause) != 0)
		return -1;
	r->starved = false;
	if (r->qemu)
		rng_backend_read(r);
	else
		rng_process(r, 0);
	return 0;
}

static void rng_save(void *dev, struct buf *out)
{
	struct rng *r = dev;

	buf_add_u8(out, RNG_STATE_VERSION);
	buf_add_u8(out, r->starved);
	buf_add_u8(out, r->status);
	buf_add_le32(out, (uint32_t)(r->tail - r->head));
	if (r->tail > r->head)
		buf_add(out, r->pool + r->head, r->tail - r->head);
	buf_add_le32(out, r->nreq);
	for (unsigned i = 0; i < r->nreq; i++) {
		buf_add_le32(out, r->req[(r->rq + i) % RNG_REQ_MAX].size);
		buf_add_le32(out, r->req[(r->rq + i) % RNG_REQ_MAX].count);
	}
}

static int rng_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct rng *r = dev;
	struct cursor cur;
	uint8_t version, starved, status;
	uint32_t n, nreq;
	const uint8_t *data;
	struct rng_req *req;

	cursor_init(&cur, p, len);
	version = cursor_u8(&cur);
	starved = cursor_u8(&cur);
	status = cursor_u8(&cur);
	n = cursor_le32(&cur);
	if (cur.err || version != RNG_STATE_VERSION || starved > 1 || n > RNG_POOL_MAX)
		return cause_set(cause, "rng: state has a bad version or header");
	data = cursor_bytes(&cur, n);
	nreq = cursor_le32(&cur);
	if (data == NULL || cur.err || nreq > RNG_REQ_MAX || cur.len - cur.off != 8ull * nreq)
		return cause_set(cause, "rng: state length does not match its pool size %u and %u requests", n, nreq);
	req = nreq > 0 ? xcalloc(RNG_REQ_MAX, sizeof *req) : NULL;
	for (uint32_t i = 0; i < nreq; i++) {
		req[i].size = cursor_le32(&cur);
		req[i].count = cursor_le32(&cur);
		if (req[i].size == 0 || req[i].count == 0) {
			free(req);
			return cause_set(cause, "rng: state has an empty backend request");
		}
	}
	r->head = r->tail = 0;
	if (rng_add(r, data, n, cause) != 0) {
		free(req);
		return -1;
	}
	free(r->req);
	r->req = req;
	r->rq = 0;
	r->nreq = nreq;
	r->starved = starved;
	r->status = status;
	return 0;
}

/* QEMU 7.2 virtio-rng-pci: an 8-entry queue, class "other" (0x00ff), two MSI-X vectors. */
static const struct vdev_defaults rng_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES,
	.nqueues = 1,
	.queue_size = { 8 },
	.pci_class = 0x00ff00,
};

const struct vdev_ops vdev_rng_ops = {
	.name = "rng",
	.id = VIRTIO_ID_RNG,
	.pci_class = 0xff, .pci_subclass = 0x00, .pci_progif = 0x00,	/* unclassified, as QEMU */
	.features = 0,
	.default_queues = 1,
	.devcfg_size = 0,
	.queue_name = rng_queue_name,
	.default_config = rng_default_config,
	.defaults = { [VDEV_LAYOUT_QEMU] = &rng_qemu },
	.create = rng_create,
	.destroy = rng_destroy,
	.reset = rng_reset,
	.status_changed = rng_status_changed,
	.status_written = rng_status_written,
	.queue_notified = rng_queue_notified,
	.input = rng_input,
	.save = rng_save,
	.load = rng_load,
	.notify_at_end = true,
};
