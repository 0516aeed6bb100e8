/* vdev-ctx.c -- what a device model may call: its queues (reported through the transport) and services */
#include <stdarg.h>
#include <stdio.h>

#include "machine.h"

/* ------------------------------------------------------------------ the queue calls models make */

/*
 * Models call virtq_get/virtq_sync on their queues; the ring core
 * (virtq_pop/virtq_publish) decides, and the transport reports, reacts and
 * interrupts here, so virtq.c needs nothing of the transport.
 */
int virtq_get(struct virtq *q, struct virtq_chain *c, bool remove)
{
	struct vpci *d = virtq_owner(q);
	struct virtq_result res;
	res.n = 0;
	res.refused = false;
	/* Bounded work per guest action: a trace that moves avail idx back cannot make one notify serve 65535. */
	int left = virtq_work_left(q, d->stimulus);
	/* Chains still in flight fill the queue first: the pop then meets QEMU's in-flight limit. */
	if (left <= 0 && virtq_in_flight(q) < virtq_size(q)) {
		if (left == 0 && !virtq_is_empty(q))
			vpci_note(d, "queue %u: work bound: %u chains taken on one guest action, the rest waits for the next",
			    virtq_index(q), d->prof->ring.kick_max ? d->prof->ring.kick_max : virtq_size(q));
		return 0;
	}
	int r = virtq_pop(q, c, &res);
	/*
	 * QEMU completes a request it finishes inside the notify at once (push
	 * and notify): what the model put before a chain that breaks the device
	 * is published and interrupts before the break silences it; devices
	 * that notify after their loop only publish (vdev_ops.notify_at_end),
	 * and their virtq_sync after the break owes that notify its ISR bit.
	 */
	if (res.refused && d->prof->fatal_breaks_device) {
		if (d->ops->notify_at_end)
			virtq_publish_owe(q);
		else
			virtq_sync(q);
	}
	if (vpci_ring_reports(d, virtq_index(q), &res) < 0 || r < 0)
		return -1;
	if (r == 1 && remove)
		virtq_take(q);
	return r;
}

/*
 * QEMU's virtio-rng and virtio-serial count what the guest posted before
 * they ask their backend for bytes, virtio-net before it places a frame
 * (virtio_net_has_buffers); a head or chain the count refuses breaks the
 * device there (virtio_error, on a broken device again), before any chain
 * is served, and the count is 0: rng and serial ask for nothing, net
 * keeps the frame waiting.
 */
uint32_t virtq_avail_len_in(struct virtq *q, uint32_t want)
{
	struct virtq_result res;
	uint32_t n;

	res.n = 0;
	res.refused = false;
	n = virtq_count_in(q, want, &res);
	vpci_ring_reports(virtq_owner(q), virtq_index(q), &res);
	return res.refused ? 0 : n;
}

void virtq_sync(struct virtq *q)
{
	struct vpci *d = virtq_owner(q);

	/*
	 * QEMU's virtio_notify after each push runs on a broken device too:
	 * virtio_irq sets ISR bit 0 when virtio_should_notify says so; only the
	 * interrupt is not sent (vpci_queue_irq).
	 */
	if (d->broken) {
		if (virtq_publish_stopped(q, false))
			vpci_queue_irq(d, virtq_index(q));
		return;
	}
	if (virtq_publish(q))
		vpci_queue_irq(d, virtq_index(q));
}

void virtq_notify(struct virtq *q)
{
	struct vpci *d = virtq_owner(q);

	if (d->broken) {
		if (virtq_publish_stopped(q, true))
			vpci_queue_irq(d, virtq_index(q));
		return;
	}
	if (virtq_publish_always(q))
		vpci_queue_irq(d, virtq_index(q));
}

void virtq_complete_later(struct virtq *q)
{
	unsigned n = virtq_later_count(q);
	if (n == 0)
		return;
	if (!virtq_is_enabled(q))
		vpci_note(virtq_owner(q), "queue %u: %u requests finished after the device stopped: no used entries "
		    "(QEMU's virtqueue_fill on a broken device)", virtq_index(q), n);
	while (virtq_later_count(q) > 0)
		virtq_later_put(q);
	virtq_sync(q);
}

/* ------------------------------------------------------------------ services for device models */

struct virtq *vdev_queue(struct vdev_ctx *ctx, unsigned index)
{
	return index < ctx->d->nq ? ctx->d->q[index] : NULL;
}

unsigned vdev_num_queues(const struct vdev_ctx *ctx)
{
	return ctx->d->nq;
}

void vdev_set_queues(struct vdev_ctx *ctx, unsigned n, const unsigned *from)
{
	vpci_set_queue_count(ctx->d, n, from);
}

bool vdev_queue_gone(struct vdev_ctx *ctx, unsigned index, uint16_t *last_avail)
{
	struct vpci *d = ctx->d;

	if (index < d->nq || index >= d->nqall || virtq_size(d->q[index]) == 0)
		return false;
	if (last_avail != NULL)
		*last_avail = virtq_last_avail(d->q[index]);
	return true;
}

bool vdev_broken(const struct vdev_ctx *ctx)
{
	return ctx->d->broken;
}

uint64_t vdev_features(const struct vdev_ctx *ctx)
{
	return vpci_cur_features(ctx->d);
}

bool vdev_has_feature(const struct vdev_ctx *ctx, unsigned bit)
{
	return bit < 64 && (vpci_cur_features(ctx->d) >> bit & 1);
}

int vdev_layout(const struct vdev_ctx *ctx)
{
	return ctx->d->prof->id;
}

struct evbus *vdev_bus(struct vdev_ctx *ctx)
{
	return ctx->d->bus;
}

void vdev_queue_attach(struct vdev_ctx *ctx, unsigned index, const char *name)
{
	struct vpci *d = ctx->d;
	if (index >= d->nq || name == NULL)
		return;
	snprintf(d->qname[index], VIRTQ_NAME_MAX, "%s", name);
	virtq_rename(d->q[index], d->qname[index]);
}

void vdev_reset_all(struct vdev_ctx *ctx)
{
	struct vpci *d = ctx->d;
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	vpci_note(d, "device asks for a reset: status 0x%02x", d->status);
	vpci_config_irq(d, false);
}

void vdev_config_changed(struct vdev_ctx *ctx)
{
	vpci_config_irq(ctx->d, true);
}

void vdev_violation(struct vdev_ctx *ctx, const char *name, int queue, int desc, uint64_t addr, bool needs_reset,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpci_violate_v(ctx->d, name, queue, desc, addr, needs_reset ? REACT_FATAL : REACT_REPORT, fmt, ap);
	va_end(ap);
}

void vdev_note(struct vdev_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpci_note_v(ctx->d, fmt, ap);
	va_end(ap);
}

int vdev_dma_read(struct vdev_ctx *ctx, uint64_t addr, void *dst, uint32_t len)
{
	return gmem_read(ctx->d->m, addr, dst, len);
}

int vdev_dma_write(struct vdev_ctx *ctx, uint64_t addr, const void *src, uint32_t len, const char *what)
{
	struct vpci *d = ctx->d;
	if (gmem_write(d->m, addr, src, len) < 0)
		return -1;
	if (evbus_wants(d->bus, VR_EV_DMA)) {
		struct vr_event ev;
		ev.kind = VR_EV_DMA;
		ev.u.dma.addr = addr;
		ev.u.dma.data = src;
		ev.u.dma.len = len;
		ev.u.dma.what = what ? what : "dma";
		evbus_emit(d->bus, &ev);
	}
	return 0;
}

/* ------------------------------------------------------------------ defaults per layout profile */

const struct vdev_defaults *vdev_defaults(const struct vdev_ops *ops, int layout)
{
	if (ops == NULL || layout < 0 || layout >= (int)(sizeof ops->defaults / sizeof ops->defaults[0]))
		return NULL;
	return ops->defaults[layout];
}

/* The queue count a profile's defaults describe. */
static uint16_t default_count(const struct vdev_ops *ops, const struct vdev_defaults *df)
{
	return df->nqueues ? df->nqueues : ops->default_queues;
}

uint64_t vdev_default_features(const struct vdev_ops *ops, int layout, uint16_t nqueues)
{
	const struct vdev_defaults *df = vdev_defaults(ops, layout);
	uint16_t above;

	if (df == NULL)
		return ops->features | (1ull << VIRTIO_F_VERSION_1);
	above = df->mq_above ? df->mq_above : default_count(ops, df);
	return df->features | (nqueues > above ? df->mq_features : 0) | (1ull << VIRTIO_F_VERSION_1);
}

uint32_t vdev_legacy_only_features(const struct vdev_ops *ops, int layout, bool has_v1)
{
	const struct vpci_profile *prof = vpci_profile_find(layout);
	const struct vdev_defaults *df = vdev_defaults(ops, layout);
	uint32_t bits = (prof != NULL ? prof->legacy_features : 0) | (df != NULL ? df->legacy_features : 0);

	return has_v1 || df == NULL ? bits : bits & ~df->no_v1_off;
}

uint16_t vdev_config_size(const struct vdev_ops *ops, int layout, uint64_t offered)
{
	const struct vdev_defaults *df = vdev_defaults(ops, layout);
	uint16_t size;

	if (df == NULL || df->config_min == 0)
		return ops->devcfg_size;
	size = df->config_min;
	for (unsigned i = 0; i < VDEV_CONFIG_ENDS; i++)
		if (df->config_ends[i].end > size && (offered >> df->config_ends[i].bit & 1))
			size = df->config_ends[i].end;
	return size < ops->devcfg_size ? size : ops->devcfg_size;
}

uint16_t vdev_default_queue_size(const struct vdev_ops *ops, int layout, unsigned i, uint16_t nqueues)
{
	const struct vdev_defaults *df = vdev_defaults(ops, layout);

	if (df != NULL && df->ctrl_last && nqueues > default_count(ops, df))
		i = i + 1u == nqueues ? default_count(ops, df) - 1u : i + 1u >= default_count(ops, df) ? 0 : i;
	if (df == NULL)
		return 256;
	if (i >= VDEV_DEFAULT_QUEUES)
		return df->queue_size_rest ? df->queue_size_rest : 256;
	return df->queue_size[i] ? df->queue_size[i] : 256;
}
