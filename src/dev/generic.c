/* generic.c -- the transport-only device: any virtio id without a model, requests validated then completed or held */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"

#define GEN_STATE_VERSION	1
#define GEN_CFG_MAX		256	/* the transport's device-config bound */
#define GEN_QUEUE_SIZE		256	/* queue size for types QEMU does not have */

/*
 * Published reproducers mostly break the transport or the ring, not the
 * device, so a device that only walks each chain (every ring check of
 * virtq_get) and then answers in one documented way replays them. The
 * answer is the trace's choice (VDEV_REQ_*): "complete" puts each chain in
 * the used ring with len 0 and writes nothing, as a device that consumed the
 * request; "hold" leaves it in flight, as a device waiting for its backend
 * (QEMU's input eventq, balloon statsq), so a guest that keeps posting
 * meets too-many-in-flight. Device config is raw bytes: reads return them,
 * writes stick (the type's semantics of a write are not modelled).
 *
 * When a trace gives only the device id, the PCI class, the queues (count,
 * sizes, names) and the config size are those QEMU's device of that type
 * uses (hw/virtio/virtio-*.c and virtio-*-pci.c, QEMU 7.2; sound from 8.2),
 * with the config all zero.
 */
struct gen_type {
	uint8_t id;
	uint8_t pci_class, pci_subclass;
	uint16_t cfg_size;
	uint16_t queue_size[4];		/* 0-terminated */
	const char *const *queue_names;
};

static const char *const balloon_q[] = { "inflateq", "deflateq", "statsq", NULL };
static const char *const p9_q[] = { "requestq", NULL };
static const char *const gpu_q[] = { "controlq", "cursorq", NULL };
static const char *const input_q[] = { "eventq", "statusq", NULL };
static const char *const vsock_q[] = { "rx", "tx", "event", NULL };
static const char *const crypto_q[] = { "dataq0", "controlq", NULL };
static const char *const iommu_q[] = { "requestq", "eventq", NULL };
static const char *const mem_q[] = { "guest-request", NULL };
static const char *const sound_q[] = { "controlq", "eventq", "txq", "rxq", NULL };
static const char *const fs_q[] = { "hiprio", "requestq0", NULL };
static const char *const pmem_q[] = { "requestq", NULL };

static const struct gen_type gen_types[] = {
	{ 5, 0xff, 0x00, 8, { 128, 128, 128 }, balloon_q },		/* num_pages, actual */
	{ 9, 0x00, 0x02, 2, { 128 }, p9_q },				/* tag_len, no tag */
	{ 16, 0x03, 0x80, 16, { 256, 16 }, gpu_q },			/* events_read..num_capsets */
	{ 18, 0x09, 0x80, 136, { 64, 64 }, input_q },			/* select, subsel, size, u */
	{ 19, 0x07, 0x80, 8, { 128, 128, 128 }, vsock_q },		/* guest_cid */
	{ 20, 0xff, 0x00, 56, { 1024, 1024 }, crypto_q },		/* status..max_size */
	{ 23, 0xff, 0x00, 40, { 256, 256 }, iommu_q },			/* page_size_mask..bypass */
	{ 24, 0xff, 0x00, 56, { 128 }, mem_q },				/* block_size..requested_size */
	{ 25, 0x04, 0x01, 12, { 64, 64, 64, 64 }, sound_q },		/* jacks, streams, chmaps */
	{ 26, 0x01, 0x80, 40, { 128, 128 }, fs_q },			/* tag, num_request_queues */
	{ 27, 0xff, 0x00, 16, { 128 }, pmem_q },			/* start, size */
};

/* Types QEMU has no device for: one queue, no config, "unclassified". */
static const struct gen_type gen_unknown = { 0, 0xff, 0x00, 0, { GEN_QUEUE_SIZE }, NULL };

struct gen {
	struct vdev_ctx *ctx;
	const struct vdev_generic *g;
	uint16_t cfg_len;
	uint8_t cfg[GEN_CFG_MAX];
	uint8_t held_noted;		/* hold: the note was given since the last reset */
	char fields[48];
};

static const struct gen_type *gen_type_find(uint8_t id)
{
	for (size_t i = 0; i < sizeof gen_types / sizeof gen_types[0]; i++)
		if (gen_types[i].id == id)
			return &gen_types[i];
	return &gen_unknown;
}

static void *gen_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	const struct vdev_generic *g = (const struct vdev_generic *)setup->ops;
	struct gen *d;

	if (setup->ops == NULL || !vdev_is_generic(setup->ops))
		return cause_set(cause, "the generic device was created without its description"), NULL;
	d = xcalloc(1, sizeof *d);
	d->ctx = ctx;
	d->g = g;
	d->cfg_len = g->ops.devcfg_size;
	if (setup->devcfg != NULL)
		memcpy(d->cfg, setup->devcfg, setup->devcfg_len < d->cfg_len ? setup->devcfg_len : d->cfg_len);
	for (unsigned i = 0; g->queue_names != NULL && g->queue_names[i] != NULL; i++)
		vdev_queue_attach(ctx, i, g->queue_names[i]);
	return d;
}

static void gen_destroy(void *dev)
{
	free(dev);
}

static void gen_reset(void *dev)
{
	struct gen *d = dev;

	/* Config bytes the driver wrote stay: a reset does not restore what a real device keeps either. */
	d->held_noted = 0;
}

static void gen_process(struct gen *d, unsigned queue)
{
	struct virtq *q = vdev_queue(d->ctx, queue);
	struct virtq_chain c;
	bool hold = d->g->requests == VDEV_REQ_HOLD;

	if (q == NULL || !virtq_is_enabled(q))
		return;
	while (virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = "REQ", .fields = d->fields, .status = "OK" };

		if (hold) {
			if (!(d->held_noted & 1)) {
				d->held_noted |= 1;
				vdev_note(d->ctx, "%s: requests are held in flight (generic-requests hold)",
				    d->g->ops.name);
			}
			continue;
		}
		if (evbus_wants(vdev_bus(d->ctx), VR_EV_TXN))
			snprintf(d->fields, sizeof d->fields, "out=%u in=%u", c.out_len, c.in_len);
		virtq_put(q, &c, 0, &info);
		/* QEMU pushes and notifies per request; replays compare interrupts one by one. */
		virtq_sync(q);
	}
}

static void gen_status_changed(void *dev, bool driver_ok)
{
	struct gen *d = dev;

	if (!driver_ok)
		return;
	for (unsigned i = 0; i < vdev_num_queues(d->ctx); i++)
		gen_process(d, i);
}

static void gen_queue_notified(void *dev, unsigned queue)
{
	gen_process(dev, queue);
}

static const uint8_t *gen_get_config(void *dev, uint32_t *len)
{
	struct gen *d = dev;

	*len = d->cfg_len;
	return d->cfg;
}

static void gen_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct gen *d = dev;

	for (uint32_t i = 0; i < len && off + i < d->cfg_len; i++)
		d->cfg[off + i] = src[i];
}

static void gen_save(void *dev, struct buf *out)
{
	struct gen *d = dev;

	buf_add_u8(out, GEN_STATE_VERSION);
	buf_add_u8(out, d->held_noted);
	buf_add_le16(out, d->cfg_len);
	buf_add(out, d->cfg, d->cfg_len);
}

static int gen_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct gen *d = dev;
	struct cursor cur;
	uint8_t version, noted;
	uint16_t n;
	const uint8_t *cfg;

	cursor_init(&cur, p, len);
	version = cursor_u8(&cur);
	noted = cursor_u8(&cur);
	n = cursor_le16(&cur);
	if (cur.err || version != GEN_STATE_VERSION || noted > 1)
		return cause_set(cause, "%s: state has a bad version or header", d->g->ops.name);
	if (n != d->cfg_len)
		return cause_set(cause, "%s: state holds %u config bytes, the device has %u", d->g->ops.name, n,
		    d->cfg_len);
	cfg = cursor_bytes(&cur, n);
	if (cfg == NULL || cur.off != cur.len)
		return cause_set(cause, "%s: state length does not match its config size", d->g->ops.name);
	memcpy(d->cfg, cfg, n);
	d->held_noted = noted;
	return 0;
}

static void gen_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	(void)layout;
	memset(cfg, 0, len);
}

static const struct vdev_ops gen_ops = {
	.name = "generic",
	.features = 0,
	.default_config = gen_default_config,
	.create = gen_create,
	.destroy = gen_destroy,
	.reset = gen_reset,
	.status_changed = gen_status_changed,
	.queue_notified = gen_queue_notified,
	.get_config = gen_get_config,
	.cfg_write = gen_cfg_write,
	.save = gen_save,
	.load = gen_load,
};

bool vdev_is_generic(const struct vdev_ops *ops)
{
	return ops != NULL && ops->create == gen_create;
}

void vdev_generic_init(struct vdev_generic *g, uint8_t id, const char *name, uint16_t devcfg_len, int requests)
{
	const struct gen_type *t = gen_type_find(id);
	unsigned nq = 0;

	memset(g, 0, sizeof *g);
	g->ops = gen_ops;
	g->ops.id = id;
	if (name != NULL)
		g->ops.name = name;
	g->ops.pci_class = t->pci_class;
	g->ops.pci_subclass = t->pci_subclass;
	g->ops.devcfg_size = devcfg_len > 0 ? (devcfg_len < GEN_CFG_MAX ? devcfg_len : GEN_CFG_MAX) : t->cfg_size;
	while (nq < sizeof t->queue_size / sizeof t->queue_size[0] && t->queue_size[nq] != 0) {
		g->queue_size[nq] = t->queue_size[nq];
		nq++;
	}
	g->ops.default_queues = (uint16_t)nq;
	g->queue_names = t->queue_names;
	g->requests = requests == VDEV_REQ_HOLD ? VDEV_REQ_HOLD : VDEV_REQ_COMPLETE;
}
