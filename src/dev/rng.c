/* rng.c -- virtio-rng: fills request buffers with entropy bytes taken from the trace, never invented */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"


#define RNG_POOL_MAX		(64u << 20)	/* entropy bytes held before the guest asks */
#define RNG_STATE_VERSION	1

/*
 * Like QEMU's virtio-rng on a backend that has nothing to give, a request
 * the pool cannot serve stays in the avail ring until entropy arrives: the
 * guest sees a slow device, never made-up bytes. A partly filled pool serves
 * what it has (used len = bytes written), as QEMU does.
 */
struct rng {
	struct vdev_ctx *ctx;
	bool qemu;			/* QEMU's rounds: see rng_process */
	uint8_t *pool;
	size_t head, tail, cap;		/* bytes pool[head..tail) are unused entropy */
	bool starved;			/* a request is waiting (note emitted once per starvation) */
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
	free(r);
}

static void rng_reset(void *dev)
{
	struct rng *r = dev;

	/* Entropy already delivered by the host stays: it belongs to the backend, not the device. */
	r->starved = false;
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
 * Serve requests in rounds. QEMU's virtio_rng_process asks its backend for
 * as many bytes as the posted chains' descriptors say they take (counted
 * without mapping a buffer; none: no request, the chains stay), and
 * chr_read hands what came to chains popped one by one until it is used,
 * throwing away what a failed pop leaves; then it asks again. The strict
 * model hands the whole pool to whatever chains there are and keeps the
 * rest.
 */
static void rng_process(struct rng *r, unsigned queue)
{
	struct virtq *q = vdev_queue(r->ctx, queue);
	struct rng_round w = { r, queue };

	if (q == NULL || !virtq_is_enabled(q))
		return;
	for (;;) {
		size_t avail = r->tail - r->head, len, off;
		uint32_t want = r->qemu ? virtq_avail_len_in(q, UINT32_MAX) : UINT32_MAX;

		if (want == 0)
			break;
		if (avail == 0) {
			if (!r->starved && !virtq_is_empty(q)) {
				r->starved = true;
				vdev_note(r->ctx, "rng: request waits: the trace has no entropy left");
			}
			break;
		}
		len = avail < want ? avail : want;
		off = virtq_hand_out(q, r->pool + r->head, len, "IN", r->fields, rng_handed, &w);
		r->head += r->qemu ? len : off;
		if (off < len)
			break;
	}
	if (r->head == r->tail)
		r->head = r->tail = 0;
	virtq_sync(q);
}

static void rng_status_changed(void *dev, bool driver_ok)
{
	if (driver_ok)
		rng_process(dev, 0);
}

static void rng_queue_notified(void *dev, unsigned queue)
{
	rng_process(dev, queue);
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
	rng_process(r, 0);
	return 0;
}

static void rng_save(void *dev, struct buf *out)
{
	struct rng *r = dev;

	buf_add_u8(out, RNG_STATE_VERSION);
	buf_add_u8(out, r->starved);
	buf_add_le32(out, (uint32_t)(r->tail - r->head));
	if (r->tail > r->head)
		buf_add(out, r->pool + r->head, r->tail - r->head);
}

static int rng_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct rng *r = dev;
	struct cursor cur;
	uint8_t version, starved;
	uint32_t n;
	const uint8_t *data;

	cursor_init(&cur, p, len);
	version = cursor_u8(&cur);
	starved = cursor_u8(&cur);
	n = cursor_le32(&cur);
	if (cur.err || version != RNG_STATE_VERSION || starved > 1 || n > RNG_POOL_MAX)
		return cause_set(cause, "rng: state has a bad version or header");
	data = cursor_bytes(&cur, n);
	if (data == NULL || cur.off != cur.len)
		return cause_set(cause, "rng: state length does not match its pool size %u", n);
	r->head = r->tail = 0;
	if (rng_add(r, data, n, cause) != 0)
		return -1;
	r->starved = starved;
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
	.queue_notified = rng_queue_notified,
	.input = rng_input,
	.save = rng_save,
	.load = rng_load,
	.notify_at_end = true,
};
