/* blk.c -- virtio-blk: requests IN/OUT/FLUSH/GET_ID/DISCARD/WRITE_ZEROES on a copy-on-write disk */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_SCSI_CMD		2
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_T_DISCARD		11
#define BLK_T_WRITE_ZEROES	13
#define BLK_T_BARRIER		0x80000000u

#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2

#define BLK_ID_BYTES		20
#define BLK_WZ_UNMAP		1u
#define BLK_REQ_MAX_SECTORS	0x3fffffu	/* what one request may move (QEMU's bound) */

/* Device config (virtio 1.x 5.2.4). */
#define CFG_CAPACITY		0
#define CFG_SIZE_MAX		8
#define CFG_SEG_MAX		12
#define CFG_CYLINDERS		16
#define CFG_HEADS		18
#define CFG_SECTORS		19
#define CFG_BLK_SIZE		20
#define CFG_PHYS_EXP		24
#define CFG_ALIGN_OFF		25
#define CFG_MIN_IO		26
#define CFG_OPT_IO		28
#define CFG_WRITEBACK		32
#define CFG_NUM_QUEUES		34
#define CFG_MAX_DISCARD		36
#define CFG_MAX_DISCARD_SEG	40
#define CFG_DISCARD_ALIGN	44
#define CFG_MAX_WZ		48
#define CFG_MAX_WZ_SEG		52
#define CFG_WZ_MAY_UNMAP	56
#define BLK_CFG_SIZE		60

#define BLK_STATE_VERSION	1

/* Where QEMU 7.2's virtio-blk and the spec's letter part, per layout profile (VDEV_LAYOUT_*). */
static const struct blk_policy {
	bool discard_zeroes;		/* DISCARD zeroes the sectors; QEMU's default discard=ignore leaves them */
	bool wce_needs_feature;		/* writeback is writable only with CONFIG_WCE negotiated (spec 5.2.5.1) */
	bool wce_from_flush;		/* each DRIVER_OK write without CONFIG_WCE: writeback = FLUSH (QEMU set_status) */
	bool scsi_cmd_kept;		/* the legacy SCSI_CMD request keeps QEMU's answers (else UNSUPP) */
	/*
	 * QEMU's virtio_blk_handle_vq turns the queue's notifications off while
	 * it pops and on again after: avail_event = avail idx (EVENT_IDX), which
	 * shows where the pops stopped short (a chain broke the device).
	 */
	bool event_after_pops;
} blk_policies[] = {
	[VDEV_LAYOUT_QEMU] = { .wce_from_flush = true, .scsi_cmd_kept = true, .event_after_pops = true },
	[VDEV_LAYOUT_VBOX] = { .discard_zeroes = true, .wce_needs_feature = true },
};

struct blk {
	const struct blk_policy *pol;
	struct vdev_ctx *ctx;
	struct disk *disk;
	bool ro;
	bool discard_zeroes;			/* the profile's, or the disk's discard=unmap */
	uint64_t sector_mask;			/* blk_size / 512 - 1 */
	uint8_t cfg[BLK_CFG_SIZE];
	uint8_t writeback0;			/* writeback at creation, restored by reset */
	char serial[BLK_ID_BYTES + 1];		/* configured serial, at most the 20 bytes GET_ID returns */
	char fields[96];
	char typebuf[24];
};

static const char *const status_names[] = { "OK", "IOERR", "UNSUPP" };

static void blk_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	if (nqueues <= 1)
		snprintf(out, VIRTQ_NAME_MAX, "requestq");
	else
		snprintf(out, VIRTQ_NAME_MAX, "request%u", index);
}

static void blk_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	uint8_t c[BLK_CFG_SIZE] = { 0 };

	le64_store(c + CFG_CAPACITY, 2048);	/* 1 MiB; replaced by the disk backend's size */
	/* QEMU: queue size - 2 (seg-max-adjust, the 256-entry queue); vbox: 128 - 2 */
	le32_store(c + CFG_SEG_MAX, layout == VDEV_LAYOUT_QEMU ? 254 : 126);
	le16_store(c + CFG_CYLINDERS, 2);
	c[CFG_HEADS] = 16;
	c[CFG_SECTORS] = 63;
	le32_store(c + CFG_BLK_SIZE, 512);
	c[CFG_WRITEBACK] = 1;
	le16_store(c + CFG_NUM_QUEUES, 1);
	le32_store(c + CFG_MAX_DISCARD, BLK_REQ_MAX_SECTORS);
	le32_store(c + CFG_MAX_DISCARD_SEG, 1);
	le32_store(c + CFG_DISCARD_ALIGN, 1);
	le32_store(c + CFG_MAX_WZ, BLK_REQ_MAX_SECTORS);
	le32_store(c + CFG_MAX_WZ_SEG, 1);
	c[CFG_WZ_MAY_UNMAP] = 1;
	memset(cfg, 0, len);
	memcpy(cfg, c, len < BLK_CFG_SIZE ? len : BLK_CFG_SIZE);
}

static void *blk_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	struct blk *b = xcalloc(1, sizeof *b);
	const struct vdev_backend *be = NULL;
	uint32_t blk_size;

	b->ctx = ctx;
	b->pol = &blk_policies[setup->layout == VDEV_LAYOUT_VBOX ? VDEV_LAYOUT_VBOX : VDEV_LAYOUT_QEMU];
	blk_default_config(b->cfg, BLK_CFG_SIZE, setup->layout);
	/* Not stated: num_queues is the queues the device has (QEMU's num-queues). */
	if (setup->nqueues > 1)
		le16_store(b->cfg + CFG_NUM_QUEUES, setup->nqueues);
	if (setup->devcfg != NULL && setup->devcfg_len > 0)
		memcpy(b->cfg, setup->devcfg, setup->devcfg_len < BLK_CFG_SIZE ? setup->devcfg_len : BLK_CFG_SIZE);
	for (unsigned i = 0; i < setup->nbackends; i++) {
		if (setup->backends[i].type == NULL || strcmp(setup->backends[i].type, "disk") == 0) {
			be = &setup->backends[i];
			break;
		}
	}
	blk_size = le32_load(b->cfg + CFG_BLK_SIZE);
	if (blk_size < 512 || blk_size > 65536 || (blk_size & (blk_size - 1)) != 0) {
		cause_set(cause, "config blk_size %u is not a power of two from 512 to 65536", blk_size);
		goto fail;
	}
	b->sector_mask = blk_size / 512 - 1;
	if (be == NULL && le64_load(b->cfg + CFG_CAPACITY) > DISK_MAX_SIZE / 512) {
		cause_set(cause, "config capacity %llu sectors is too large",
		    (unsigned long long)le64_load(b->cfg + CFG_CAPACITY));
		goto fail;
	}
	b->disk = disk_new(be, le64_load(b->cfg + CFG_CAPACITY) * 512, cause);
	if (b->disk == NULL)
		goto fail;
	/* The backend is the truth about the disk; the config only mirrors it. */
	le64_store(b->cfg + CFG_CAPACITY, disk_size(b->disk) / 512);
	b->ro = (setup->offered >> VIRTIO_BLK_F_RO) & 1;
	if (setup->serial != NULL)
		snprintf(b->serial, sizeof b->serial, "%s", setup->serial);
	/* discard=unmap: QEMU punches the range out of the image, which then reads as zeros. */
	b->discard_zeroes = b->pol->discard_zeroes || (setup->disk & VDEV_DISK_UNMAP);
	/* write-cache=off: QEMU's config starts (and every reset puts it back) at write-through. */
	if (setup->disk & VDEV_DISK_NO_WCACHE)
		b->cfg[CFG_WRITEBACK] = 0;
	b->writeback0 = b->cfg[CFG_WRITEBACK];
	return b;
fail:
	disk_free(b->disk);
	free(b);
	return NULL;
}

static void blk_destroy(void *dev)
{
	struct blk *b = dev;

	if (b == NULL)
		return;
	disk_free(b->disk);
	free(b);
}

static void blk_reset(void *dev)
{
	struct blk *b = dev;

	b->cfg[CFG_WRITEBACK] = b->writeback0;
}

static void blk_status_written(void *dev, uint8_t status)
{
	struct blk *b = dev;

	/*
	 * QEMU's set_status, at every status write that holds DRIVER_OK (not
	 * only the first): a driver without CONFIG_WCE gets the cache mode its
	 * FLUSH feature asks for, whatever it wrote to writeback since.
	 */
	if ((status & VIRTIO_STATUS_DRIVER_OK) && b->pol->wce_from_flush &&
	    !vdev_has_feature(b->ctx, VIRTIO_BLK_F_CONFIG_WCE))
		b->cfg[CFG_WRITEBACK] = vdev_has_feature(b->ctx, VIRTIO_BLK_F_FLUSH);
}

/* QEMU's virtio_blk_sect_range_ok: alignment to the logical block and inside the disk. */
static bool sect_range_ok(const struct blk *b, uint64_t sector, uint64_t size)
{
	uint64_t nb = size / 512, total = disk_size(b->disk) / 512;
	uint32_t blk_size = (uint32_t)(b->sector_mask + 1) * 512;

	if (nb > BLK_REQ_MAX_SECTORS || (sector & b->sector_mask) != 0 || size % blk_size != 0)
		return false;
	return sector <= total && nb <= total - sector;
}

static bool want_fields(struct blk *b)
{
	return evbus_wants(vdev_bus(b->ctx), VR_EV_TXN);
}

/* *later: the request reached the block layer, whose answer comes after the notify (QEMU's aio). */
static uint8_t blk_rw(struct blk *b, struct virtq *q, struct virtq_chain *c, bool write, uint64_t sector,
    bool *later)
{
	uint32_t len = write ? c->out_len - 16 : c->in_len - 1;

	if (want_fields(b))
		snprintf(b->fields, sizeof b->fields, "sector=%llu len=%u", (unsigned long long)sector, len);
	if (!sect_range_ok(b, sector, len))
		return BLK_S_IOERR;
	*later = true;
	if (write) {
		if (b->ro || disk_write(b->disk, sector * 512, c->out + 16, len) != 0)
			return BLK_S_IOERR;
		return BLK_S_OK;
	}
	switch (disk_to_chain(b->disk, q, c, 0, sector * 512, len)) {
	case 0:
		return BLK_S_OK;
	case -1:
		return BLK_S_IOERR;
	default:
		vdev_violation(b->ctx, "blk-data-unwritable", (int)virtq_index(q), c->head, 0, false,
		    "request %u: data buffer is not writable guest RAM", c->head);
		return BLK_S_IOERR;
	}
}

static uint8_t blk_discard_wz(struct blk *b, struct virtq_chain *c, bool wz, bool *later)
{
	const uint8_t *h = c->out + 16;
	uint64_t sector = le64_load(h);
	uint32_t n = le32_load(h + 8), flags = le32_load(h + 12);
	uint32_t max = le32_load(b->cfg + (wz ? CFG_MAX_WZ : CFG_MAX_DISCARD));

	if (want_fields(b))
		snprintf(b->fields, sizeof b->fields, "sector=%llu sectors=%u flags=%u",
		    (unsigned long long)sector, n, flags);
	if (n > max || n > BLK_REQ_MAX_SECTORS)
		return BLK_S_IOERR;
	if (!sect_range_ok(b, sector, (uint64_t)n * 512))
		return BLK_S_IOERR;
	if ((flags & ~BLK_WZ_UNMAP) != 0 || (!wz && (flags & BLK_WZ_UNMAP) != 0))
		return BLK_S_UNSUPP;
	*later = true;
	if (b->ro)
		return BLK_S_IOERR;
	/* QEMU's default discard=ignore: a discard succeeds and changes nothing. */
	if (!wz && !b->discard_zeroes)
		return BLK_S_OK;
	/* Discarded sectors read back as zeros here, which the spec allows. */
	if (disk_zero(b->disk, sector * 512, (uint64_t)n * 512) != 0) {
		vdev_note(b->ctx, "blk: %s of %u sectors needs more overlay blocks than the limit",
		    wz ? "write-zeroes" : "discard", n);
		return BLK_S_IOERR;
	}
	return BLK_S_OK;
}

/*
 * QEMU 7.2 keeps the legacy SCSI passthrough request and offers
 * VIRTIO_BLK_F_SCSI only on a legacy-only function (no_v1_on), where it
 * serves it the same (virtio_blk_handle_scsi_req): fewer than 2
 * device-readable or 3 device-writable buffers is IOERR; else UNSUPP, and
 * "errors", the first le32 of the virtio_scsi_inhdr in the buffer before the
 * last, becomes 255 (whatever that buffer's length).
 */
static uint8_t blk_scsi_cmd(struct blk *b, struct virtq *q, const struct virtq_chain *c)
{
	unsigned nout = 0;
	uint8_t errors[4];

	for (unsigned i = 0; i < c->ndesc; i++)
		if (!(c->desc[i].flags & (VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)))
			nout++;
	if (nout < 2 || c->nin < 3)
		return BLK_S_IOERR;
	le32_store(errors, 255);
	(void)vdev_dma_write(b->ctx, c->in[c->nin - 2].addr, errors, sizeof errors, virtq_name(q));
	return BLK_S_UNSUPP;
}

/* One request. -1: the guest broke the protocol (QEMU's virtio_error): stop the queue. */
static int blk_request(struct blk *b, struct virtq *q, struct virtq_chain *c)
{
	struct virtq_txn_info info = { .fields = "" };
	uint32_t type, masked;
	uint64_t sector;
	uint8_t status;
	bool later = false;
	int qi = (int)virtq_index(q);

	b->fields[0] = '\0';
	if (c->nin == 0 || c->out_len == 0) {
		vdev_violation(b->ctx, "blk-missing-headers", qi, c->head, 0, true,
		    "request %u: no %s buffer", c->head, c->nin == 0 ? "device-writable" : "device-readable");
		return -1;
	}
	if (c->out_len < 16) {
		vdev_violation(b->ctx, "blk-outhdr-short", qi, c->head, 0, true,
		    "request %u: header is %u bytes, needs 16", c->head, c->out_len);
		return -1;
	}
	if (c->in[c->nin - 1].len < 1) {
		vdev_violation(b->ctx, "blk-inhdr-short", qi, c->head, 0, true,
		    "request %u: last device-writable buffer has no room for the status byte", c->head);
		return -1;
	}
	type = le32_load(c->out);
	sector = le64_load(c->out + 8);
	/* The OUT bit is the direction and BARRIER a legacy flag: QEMU ignores both when dispatching. */
	masked = type & ~(BLK_T_OUT | BLK_T_BARRIER);
	switch (masked) {
	case BLK_T_IN:
		info.type = (type & BLK_T_OUT) ? "OUT" : "IN";
		status = blk_rw(b, q, c, type & BLK_T_OUT, sector, &later);
		break;
	case BLK_T_FLUSH:
		info.type = "FLUSH";
		status = BLK_S_OK;
		later = true;
		break;
	case BLK_T_GET_ID: {
		/*
		 * QEMU copies the serial with its NUL, at most 20 bytes and at most
		 * the data buffers (a 20-byte serial has no NUL); the bytes after
		 * it are left alone. No serial configured: one NUL byte, status OK.
		 */
		uint32_t n = (uint32_t)strlen(b->serial) + 1;

		info.type = "GET_ID";
		if (n > c->in_len - 1)
			n = c->in_len - 1;
		if (n > BLK_ID_BYTES)
			n = BLK_ID_BYTES;
		if (want_fields(b))
			snprintf(b->fields, sizeof b->fields, "len=%u", c->in_len - 1);
		status = virtq_chain_write(q, c, 0, b->serial, n) == 0 ? BLK_S_OK : BLK_S_IOERR;
		break;
	}
	case BLK_T_DISCARD & ~BLK_T_OUT:
	case BLK_T_WRITE_ZEROES & ~BLK_T_OUT: {
		bool wz = masked == (BLK_T_WRITE_ZEROES & ~BLK_T_OUT);

		info.type = wz ? "WRITE_ZEROES" : "DISCARD";
		/* One segment only (max_*_seg 1) and the OUT bit set, else UNSUPP. */
		if (!(type & BLK_T_OUT) || c->out_len - 16 > 16) {
			if (want_fields(b))
				snprintf(b->fields, sizeof b->fields, "segments_len=%u", c->out_len - 16);
			status = BLK_S_UNSUPP;
			break;
		}
		if (c->out_len - 16 < 16) {
			vdev_violation(b->ctx, "blk-dwz-short", qi, c->head, 0, true,
			    "request %u: %s segment is %u bytes, needs 16", c->head, info.type, c->out_len - 16);
			return -1;
		}
		status = blk_discard_wz(b, c, wz, &later);
		break;
	}
	case BLK_T_SCSI_CMD:
		if (b->pol->scsi_cmd_kept) {
			info.type = "SCSI_CMD";
			status = blk_scsi_cmd(b, q, c);
			break;
		}
		/* fall through */
	default:
		info.type = b->typebuf;
		snprintf(b->typebuf, sizeof b->typebuf, "T%u", type);
		status = BLK_S_UNSUPP;
		break;
	}
	virtq_chain_write(q, c, c->in_len - 1, &status, 1);
	info.fields = b->fields;
	info.status = status_names[status];
	/* QEMU reports the whole device-writable size as used, whatever was written. */
	if (later)
		virtq_put_async(q, c, c->in_len, &info);
	else
		virtq_put(q, c, c->in_len, &info);
	return 0;
}

static void blk_queue_notified(void *dev, unsigned queue)
{
	struct blk *b = dev;
	struct virtq *q = vdev_queue(b->ctx, queue);
	struct virtq_chain c;

	if (q == NULL)
		return;
	while (virtq_get(q, &c, true) == 1)
		if (blk_request(b, q, &c) != 0)
			break;
	if (b->pol->event_after_pops)
		virtq_event_catch_up(q);
	virtq_sync(q);
}

static const uint8_t *blk_get_config(void *dev, uint32_t *len)
{
	struct blk *b = dev;

	*len = BLK_CFG_SIZE;
	return b->cfg;
}

static void blk_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct blk *b = dev;

	/* Only writeback is driver-writable (the spec: only with CONFIG_WCE; QEMU's set_config: always). */
	if (off <= CFG_WRITEBACK && off + len > CFG_WRITEBACK &&
	    (!b->pol->wce_needs_feature || vdev_has_feature(b->ctx, VIRTIO_BLK_F_CONFIG_WCE)))
		b->cfg[CFG_WRITEBACK] = src[CFG_WRITEBACK - off] != 0;
	else
		vdev_note(b->ctx, "config write at %u (%u bytes) ignored", off, len);
}

static int blk_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct blk *b = dev;

	if (in->type != VDEV_IN_DISK)
		return cause_set(cause, "blk: input type %u is not disk contents", in->type);
	if (in->addr > disk_size(b->disk) || in->len > disk_size(b->disk) - in->addr)
		return cause_set(cause, "blk: disk input at %llu (%u bytes) is beyond the %llu-byte disk",
		    (unsigned long long)in->addr, in->len, (unsigned long long)disk_size(b->disk));
	disk_write(b->disk, in->addr, in->data, in->len);
	return 0;
}

static void blk_save(void *dev, struct buf *out)
{
	struct blk *b = dev;

	buf_add_u8(out, BLK_STATE_VERSION);
	buf_add(out, b->cfg, BLK_CFG_SIZE);
	disk_save(b->disk, out);
}

static int blk_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct blk *b = dev;
	struct cursor cur;
	uint8_t cfg[BLK_CFG_SIZE];

	cursor_init(&cur, p, len);
	if (cursor_u8(&cur) != BLK_STATE_VERSION || cursor_get(&cur, cfg, sizeof cfg) != 0)
		return cause_set(cause, "blk: state has a bad version or is truncated");
	if (le64_load(cfg + CFG_CAPACITY) != disk_size(b->disk) / 512 || cfg[CFG_WRITEBACK] > 1)
		return cause_set(cause, "blk: state config does not match this disk");
	if (disk_load(b->disk, &cur, cause) != 0)
		return cause_prefix(cause, "blk");
	if (cur.off != cur.len)
		return cause_set(cause, "blk: %zu bytes of junk after the state", cur.len - cur.off);
	memcpy(b->cfg, cfg, sizeof cfg);
	return 0;
}

/*
 * QEMU 7.2 virtio-blk-pci with its default properties: no SIZE_MAX (size_max
 * 0), no MQ (num-queues 1; MQ with more), DISCARD and WRITE_ZEROES on; one 256-entry queue;
 * MSI-X num-queues + 1; config up to write_zeroes_may_unmap (57 bytes).
 */
static const struct vdev_defaults blk_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES | (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_GEOMETRY) |
	    (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_TOPOLOGY) |
	    (1ull << VIRTIO_BLK_F_CONFIG_WCE) | (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES),
	.nqueues = 1,
	.queue_size = { 256 },
	.mq_features = 1ull << VIRTIO_BLK_F_MQ,	/* num-queues > 1 */
	.no_v1_on = 1u << VIRTIO_BLK_F_SCSI,	/* virtio_blk_get_features without VERSION_1 */
	.no_v1_off = 1u << VIRTIO_F_ANY_LAYOUT,
	.pci_class = 0x010000,
	.config_min = CFG_MAX_DISCARD,
	.config_ends = { { VIRTIO_BLK_F_DISCARD, CFG_DISCARD_ALIGN + 4 },
	    { VIRTIO_BLK_F_WRITE_ZEROES, CFG_WZ_MAY_UNMAP + 1 } },
};

/* RO is honoured when a trace offers it, but is not in the default offer. */
const struct vdev_ops vdev_blk_ops = {
	.name = "blk",
	.id = VIRTIO_ID_BLOCK,
	.pci_class = 0x01, .pci_subclass = 0x00, .pci_progif = 0x00,	/* mass storage, SCSI (as QEMU) */
	.features = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_GEOMETRY) |
	    (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_FLUSH) |
	    (1ull << VIRTIO_BLK_F_TOPOLOGY) | (1ull << VIRTIO_BLK_F_CONFIG_WCE) | (1ull << VIRTIO_BLK_F_MQ) |
	    (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES),
	.default_queues = 1,
	.devcfg_size = BLK_CFG_SIZE,
	.queue_name = blk_queue_name,
	.default_config = blk_default_config,
	.defaults = { [VDEV_LAYOUT_QEMU] = &blk_qemu },
	.create = blk_create,
	.destroy = blk_destroy,
	.reset = blk_reset,
	.status_written = blk_status_written,
	.queue_notified = blk_queue_notified,
	.get_config = blk_get_config,
	.cfg_write = blk_cfg_write,
	.input = blk_input,
	.save = blk_save,
	.load = blk_load,
};
