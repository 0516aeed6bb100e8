/* scsi.c -- virtio-scsi: one emulated disk LUN (target 0, LUN 0), task management and events */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"


#define SCSI_F_INOUT		0
#define SCSI_F_HOTPLUG		1
#define SCSI_F_CHANGE		2

#define CFG_NUM_QUEUES		0
#define CFG_SEG_MAX		4
#define CFG_MAX_SECTORS		8
#define CFG_CMD_PER_LUN		12
#define CFG_EVENT_INFO_SIZE	16
#define CFG_SENSE_SIZE		20
#define CFG_CDB_SIZE		24
#define CFG_MAX_CHANNEL		28
#define CFG_MAX_TARGET		30
#define CFG_MAX_LUN		32
#define SCSI_CFG_SIZE		36

#define SENSE_DEFAULT		96
#define CDB_DEFAULT		32
#define REQ_HDR			19	/* lun[8] id[8] task_attr prio crn, then the CDB */
#define RESP_HDR		12	/* sense_len resid status_qualifier status response, then sense */

/* virtio-scsi response codes */
#define S_OK			0
#define S_OVERRUN		1
#define S_BAD_TARGET		3
#define S_FAILURE		9
#define S_FUNCTION_REJECTED	11
#define S_INCORRECT_LUN		12
#define S_FUNCTION_SUCCEEDED	10

#define T_TMF			0
#define T_AN_QUERY		1
#define T_AN_SUBSCRIBE		2

#define T_NO_EVENT		0
#define T_TRANSPORT_RESET	1
#define T_PARAM_CHANGE		3
#define T_EVENTS_MISSED		0x80000000u
#define EVT_RESCAN		0
#define EVT_REMOVED		1

/* VDEV_IN_EVENT codes */
#define SCSI_EV_UNPLUG		0
#define SCSI_EV_PLUG		1
#define SCSI_EV_CHANGE		2

/* SCSI status and sense keys */
#define GOOD			0x00
#define CHECK_CONDITION		0x02
#define KEY_NO_SENSE		0x00
#define KEY_ILLEGAL_REQUEST	0x05
#define KEY_UNIT_ATTENTION	0x06

#define BLOCK			512u
#define SCSI_STATE_VERSION	1

struct sense {
	uint8_t key, asc, ascq;
};

static const struct sense SENSE_NONE = { 0, 0, 0 };
static const struct sense SENSE_INVALID_OPCODE = { KEY_ILLEGAL_REQUEST, 0x20, 0x00 };
static const struct sense SENSE_LBA_OUT_OF_RANGE = { KEY_ILLEGAL_REQUEST, 0x21, 0x00 };
static const struct sense SENSE_INVALID_FIELD = { KEY_ILLEGAL_REQUEST, 0x24, 0x00 };
static const struct sense SENSE_LUN_NOT_SUPPORTED = { KEY_ILLEGAL_REQUEST, 0x25, 0x00 };
static const struct sense SENSE_SAVING_NOT_SUPPORTED = { KEY_ILLEGAL_REQUEST, 0x39, 0x00 };
static const struct sense SENSE_RESET = { KEY_UNIT_ATTENTION, 0x29, 0x00 };
static const struct sense SENSE_LUNS_CHANGED = { KEY_UNIT_ATTENTION, 0x3f, 0x0e };
static const struct sense SENSE_CAPACITY_CHANGED = { KEY_UNIT_ATTENTION, 0x2a, 0x09 };

enum xfer_mode { XFER_NONE, XFER_FROM_DEV, XFER_TO_DEV };

struct scsi {
	struct vdev_ctx *ctx;
	struct disk *disk;
	uint64_t nblocks;
	uint8_t cfg[SCSI_CFG_SIZE];
	uint8_t cfg0[SCSI_CFG_SIZE];
	bool present;			/* LUN 0 attached (hotplug events change it) */
	bool driver_ok;
	bool events_dropped;
	struct sense ua;		/* pending unit attention, key 0 = none */
	uint8_t *resp;			/* response header + sense area, RESP_HDR + 65535 */
	uint8_t data[512];		/* data-in of emulated commands */
	uint8_t cdb[256];		/* the CDB, zero-padded so decoders never read past it */
	char fields[128];
	char type[40];
};

/* One command being answered. */
struct cmd {
	struct virtq *q;
	struct virtq_chain *c;
	const uint8_t *cdb;
	uint32_t req_size, resp_size;
	uint32_t din, dout;		/* data buffer sizes */
	uint32_t lun;
	uint8_t status;
	uint8_t response;
	struct sense sense;
	uint32_t transferred;
	bool dma;			/* a READ/WRITE moved its data: resid is dma_resid */
	uint32_t dma_resid;
};

static void scsi_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	if (index == 0)
		snprintf(out, VIRTQ_NAME_MAX, "controlq");
	else if (index == 1)
		snprintf(out, VIRTQ_NAME_MAX, "eventq");
	else if (nqueues <= 3)
		snprintf(out, VIRTQ_NAME_MAX, "requestq");
	else
		snprintf(out, VIRTQ_NAME_MAX, "request%u", index - 2);
}

static void scsi_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	uint8_t c[SCSI_CFG_SIZE] = { 0 };

	le32_store(c + CFG_NUM_QUEUES, 1);
	le32_store(c + CFG_SEG_MAX, layout == VDEV_LAYOUT_QEMU ? 254 : 126);	/* QEMU: queue size - 2 */
	le32_store(c + CFG_MAX_SECTORS, 0xffff);
	le32_store(c + CFG_CMD_PER_LUN, 128);
	le32_store(c + CFG_EVENT_INFO_SIZE, 16);
	le32_store(c + CFG_SENSE_SIZE, SENSE_DEFAULT);
	le32_store(c + CFG_CDB_SIZE, CDB_DEFAULT);
	le16_store(c + CFG_MAX_CHANNEL, 0);
	le16_store(c + CFG_MAX_TARGET, 255);
	le32_store(c + CFG_MAX_LUN, 16383);
	memset(cfg, 0, len);
	memcpy(cfg, c, len < SCSI_CFG_SIZE ? len : SCSI_CFG_SIZE);
}

static uint32_t sense_size(const struct scsi *s)
{
	return le32_load(s->cfg + CFG_SENSE_SIZE);
}

static uint32_t cdb_size(const struct scsi *s)
{
	return le32_load(s->cfg + CFG_CDB_SIZE);
}

static void *scsi_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	struct scsi *s = xcalloc(1, sizeof *s);
	const struct vdev_backend *be = NULL;

	s->ctx = ctx;
	scsi_default_config(s->cfg, SCSI_CFG_SIZE, setup->layout);
	if (setup->devcfg != NULL && setup->devcfg_len > 0)
		memcpy(s->cfg, setup->devcfg, setup->devcfg_len < SCSI_CFG_SIZE ? setup->devcfg_len : SCSI_CFG_SIZE);
	if (sense_size(s) >= 65536 || cdb_size(s) >= 256) {
		cause_set(cause, "config sense_size %u / cdb_size %u out of range", sense_size(s), cdb_size(s));
		free(s);
		return NULL;
	}
	for (unsigned i = 0; i < setup->nbackends; i++) {
		if (setup->backends[i].type == NULL || strcmp(setup->backends[i].type, "disk") == 0) {
			be = &setup->backends[i];
			break;
		}
	}
	/* Without a backend the LUN is a 1 MiB zero disk whose contents come from INPUT events. */
	s->disk = disk_new(be, 1u << 20, cause);
	if (s->disk == NULL) {
		free(s);
		return NULL;
	}
	s->nblocks = disk_size(s->disk) / BLOCK;
	s->resp = xmalloc(RESP_HDR + 65536);
	s->present = true;
	s->ua = SENSE_RESET;		/* power on */
	memcpy(s->cfg0, s->cfg, SCSI_CFG_SIZE);
	return s;
}

static void scsi_destroy(void *dev)
{
	struct scsi *s = dev;

	if (s == NULL)
		return;
	disk_free(s->disk);
	free(s->resp);
	free(s);
}

static void scsi_reset(void *dev)
{
	struct scsi *s = dev;

	/* QEMU resets the bus: the LUN reports a reset, sizes return to their defaults. */
	le32_store(s->cfg + CFG_SENSE_SIZE, SENSE_DEFAULT);
	le32_store(s->cfg + CFG_CDB_SIZE, CDB_DEFAULT);
	s->events_dropped = false;
	s->driver_ok = false;
	if (s->present)
		s->ua = SENSE_RESET;
}

static bool want(struct scsi *s)
{
	return evbus_wants(vdev_bus(s->ctx), VR_EV_TXN);
}

/* LUN field (virtio 1.x 5.6.6.1): 1, target, then a flat-space LUN. -1 if malformed. */
static int lun_parse(const uint8_t *lun, unsigned *target, uint32_t *l)
{
	if (lun[0] != 1)
		return -1;
	if (lun[2] != 0 && !(lun[2] >= 0x40 && lun[2] < 0x80))
		return -1;
	*target = lun[1];
	*l = ((uint32_t)(lun[2] & 0x3f) << 8) | lun[3];
	return 0;
}

struct opinfo {
	uint8_t op;
	const char *name;
};

static const struct opinfo opnames[] = {
	{ 0x00, "TEST_UNIT_READY" },
	{ 0x03, "REQUEST_SENSE" },
	{ 0x08, "READ(6)" },
	{ 0x0a, "WRITE(6)" },
	{ 0x12, "INQUIRY" },
	{ 0x1a, "MODE_SENSE(6)" },
	{ 0x25, "READ_CAPACITY(10)" },
	{ 0x28, "READ(10)" },
	{ 0x2a, "WRITE(10)" },
	{ 0x35, "SYNCHRONIZE_CACHE(10)" },
	{ 0x5a, "MODE_SENSE(10)" },
	{ 0x88, "READ(16)" },
	{ 0x8a, "WRITE(16)" },
	{ 0x91, "SYNCHRONIZE_CACHE(16)" },
	{ 0x9e, "SERVICE_ACTION_IN(16)" },
	{ 0xa0, "REPORT_LUNS" },
	{ 0xa8, "READ(12)" },
	{ 0xaa, "WRITE(12)" },
};

static const char *op_name(struct scsi *s, const uint8_t *cdb)
{
	if (cdb[0] == 0x9e && (cdb[1] & 0x1f) == 0x10)
		return "READ_CAPACITY(16)";
	for (size_t i = 0; i < sizeof opnames / sizeof opnames[0]; i++)
		if (opnames[i].op == cdb[0])
			return opnames[i].name;
	snprintf(s->type, sizeof s->type, "OPCODE_0x%02x", cdb[0]);
	return s->type;
}

/* CDB length from the group code (SAM); 0 for groups without a defined length. */
static unsigned cdb_len(uint8_t op)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[op >> 5];
}

/* Decoded read/write: block range. */
static bool rw_decode(const uint8_t *cdb, uint64_t *lba, uint32_t *blocks, bool *write)
{
	switch (cdb[0]) {
	case 0x08: case 0x0a:
		*lba = ((uint32_t)(cdb[1] & 0x1f) << 16) | ((uint32_t)cdb[2] << 8) | cdb[3];
		*blocks = cdb[4] ? cdb[4] : 256;
		break;
	case 0x28: case 0x2a:
		*lba = be32_load(cdb + 2);
		*blocks = be16_load(cdb + 7);
		break;
	case 0xa8: case 0xaa:
		*lba = be32_load(cdb + 2);
		*blocks = be32_load(cdb + 6);
		break;
	case 0x88: case 0x8a:
		*lba = be64_load(cdb + 2);
		*blocks = be32_load(cdb + 10);
		break;
	default:
		return false;
	}
	*write = (cdb[0] & 0x02) != 0;
	return true;
}

/* Transfer length and direction the CDB asks for (QEMU's scsi_req_xfer), for the OVERRUN check. */
static bool cdb_xfer(const uint8_t *cdb, uint64_t *xfer, enum xfer_mode *mode)
{
	uint64_t lba;
	uint32_t blocks;
	bool write;

	*mode = XFER_FROM_DEV;
	if (rw_decode(cdb, &lba, &blocks, &write)) {
		*xfer = (uint64_t)blocks * BLOCK;
		*mode = write ? XFER_TO_DEV : XFER_FROM_DEV;
	} else {
		switch (cdb[0]) {
		case 0x00: case 0x35: case 0x91: *xfer = 0; break;
		case 0x03: case 0x1a: *xfer = cdb[4]; break;
		case 0x12: *xfer = be16_load(cdb + 3); break;
		case 0x25: *xfer = 8; break;
		case 0x5a: *xfer = be16_load(cdb + 7); break;
		case 0x9e: *xfer = be32_load(cdb + 10); break;
		case 0xa0: *xfer = be32_load(cdb + 6); break;
		default: return false;
		}
	}
	if (*xfer == 0)
		*mode = XFER_NONE;
	return true;
}

static void check(struct cmd *m, struct sense sn)
{
	m->status = CHECK_CONDITION;
	m->sense = sn;
}

/* Copy emulated data-in (len bytes in s->data) limited to the allocation length. */
static void data_in(struct scsi *s, struct cmd *m, uint32_t len, uint64_t alloc)
{
	if (len > alloc)
		len = (uint32_t)alloc;
	if (len > m->din)
		len = m->din;
	if (len > 0 && virtq_chain_write(m->q, m->c, m->resp_size, s->data, len) != 0) {
		vdev_violation(s->ctx, "scsi-data-unwritable", (int)virtq_index(m->q), m->c->head, 0, false,
		    "request %u: data-in buffer is not writable guest RAM", m->c->head);
		len = 0;
	}
	m->transferred = len;
}

static uint32_t build_sense(uint8_t *p, struct sense sn, bool desc)
{
	if (desc) {
		memset(p, 0, 8);
		p[0] = 0x72;
		p[1] = sn.key;
		p[2] = sn.asc;
		p[3] = sn.ascq;
		return 8;
	}
	memset(p, 0, 18);
	p[0] = 0x70;
	p[2] = sn.key;
	p[7] = 10;
	p[12] = sn.asc;
	p[13] = sn.ascq;
	return 18;
}

static void put_str(uint8_t *p, const char *str, size_t n)
{
	size_t l = strlen(str);

	memset(p, ' ', n);
	memcpy(p, str, l < n ? l : n);
}

static const char serial[] = "VR0000000001";

static void do_inquiry(struct scsi *s, struct cmd *m, bool lun_present)
{
	uint8_t *d = s->data;
	uint32_t alloc = be16_load(m->cdb + 3), len;

	memset(d, 0, sizeof s->data);
	if (m->cdb[1] & 0x01) {
		if (!lun_present) {
			check(m, SENSE_INVALID_FIELD);
			return;
		}
		d[1] = m->cdb[2];
		switch (m->cdb[2]) {
		case 0x00:
			d[3] = 3;
			d[4] = 0x00;
			d[5] = 0x80;
			d[6] = 0x83;
			len = 7;
			break;
		case 0x80:
			d[3] = (uint8_t)strlen(serial);
			memcpy(d + 4, serial, strlen(serial));
			len = 4 + d[3];
			break;
		case 0x83: {
			/* One T10 vendor id designator, ASCII: vendor + serial. */
			uint8_t *x = d + 4;

			x[0] = 0x02;
			x[1] = 0x01;
			x[3] = 8 + (uint8_t)strlen(serial);
			put_str(x + 4, "QEMU", 8);
			memcpy(x + 12, serial, strlen(serial));
			be16_store(d + 2, (uint16_t)(4 + x[3]));
			len = 4 + 4 + x[3];
			break;
		}
		default:
			check(m, SENSE_INVALID_FIELD);
			return;
		}
		data_in(s, m, len, alloc);
		return;
	}
	if (m->cdb[2] != 0) {
		check(m, SENSE_INVALID_FIELD);
		return;
	}
	/* QEMU returns the allocation length (up to 256), padding with zeros past 36 bytes. */
	len = alloc < 256 ? alloc : 256;
	if (len < 36)
		len = 36;
	d[0] = lun_present ? 0x00 : 0x7f;
	d[2] = 5;
	d[3] = 0x12;
	d[4] = (uint8_t)(len > 36 ? len - 5 : 31);
	d[7] = 0x12;
	put_str(d + 8, "QEMU", 8);
	put_str(d + 16, lun_present ? "QEMU HARDDISK" : "QEMU TARGET", 16);
	put_str(d + 32, "2.5+", 4);
	data_in(s, m, len, alloc);
}

/* Sense is always delivered with the response (autosense), so nothing is left for REQUEST SENSE. */
static void do_request_sense(struct scsi *s, struct cmd *m, bool lun_present)
{
	struct sense sn = SENSE_NONE;

	memset(s->data, 0, 32);
	data_in(s, m, build_sense(s->data, sn, m->cdb[1] & 1), m->cdb[4]);
}

static void do_report_luns(struct scsi *s, struct cmd *m)
{
	uint32_t alloc = be32_load(m->cdb + 6);

	if (m->cdb[2] > 2 || alloc < 16) {
		check(m, SENSE_INVALID_FIELD);
		return;
	}
	memset(s->data, 0, 16);
	be32_store(s->data, 8);		/* LUN 0 only */
	data_in(s, m, 16, alloc);
}

static uint32_t mode_pages(struct scsi *s, uint8_t *p, uint8_t page, uint8_t pc)
{
	uint32_t n = 0;

	if (page == 0x08 || page == 0x3f) {
		memset(p + n, 0, 20);
		p[n] = 0x08;
		p[n + 1] = 0x12;
		p[n + 2] = 0x04;	/* WCE: the overlay behaves as a write-back cache; changeable too */
		n += 20;
	}
	if (page == 0x0a || page == 0x3f) {
		memset(p + n, 0, 12);
		p[n] = 0x0a;
		p[n + 1] = 0x0a;
		if (pc == 1)
			p[n + 2] = 0;
		n += 12;
	}
	return n;
}

static void do_mode_sense(struct scsi *s, struct cmd *m, bool ten)
{
	uint8_t *d = s->data;
	uint8_t page = m->cdb[2] & 0x3f, pc = m->cdb[2] >> 6;
	bool dbd = (m->cdb[1] & 0x08) != 0;
	uint32_t hdr = ten ? 8 : 4, n, alloc = ten ? be16_load(m->cdb + 7) : m->cdb[4];

	if (pc == 3) {
		check(m, SENSE_SAVING_NOT_SUPPORTED);
		return;
	}
	if (page != 0x08 && page != 0x0a && page != 0x3f) {
		check(m, SENSE_INVALID_FIELD);
		return;
	}
	memset(d, 0, 64);
	n = hdr;
	if (!dbd) {
		uint64_t nb = s->nblocks > 0xffffff ? 0 : s->nblocks;

		d[n + 1] = (uint8_t)(nb >> 16);
		d[n + 2] = (uint8_t)(nb >> 8);
		d[n + 3] = (uint8_t)nb;
		d[n + 6] = (uint8_t)(BLOCK >> 8);
		d[n + 7] = (uint8_t)BLOCK;
		n += 8;
	}
	n += mode_pages(s, d + n, page, pc);
	if (ten) {
		be16_store(d, (uint16_t)(n - 2));
		be16_store(d + 6, dbd ? 0 : 8);
	} else {
		d[0] = (uint8_t)(n - 1);
		d[3] = dbd ? 0 : 8;
	}
	data_in(s, m, n, alloc);
}

static void do_read_capacity(struct scsi *s, struct cmd *m, bool sixteen)
{
	uint64_t last = s->nblocks ? s->nblocks - 1 : 0;

	memset(s->data, 0, 32);
	if (!sixteen) {
		be32_store(s->data, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
		be32_store(s->data + 4, BLOCK);
		data_in(s, m, 8, 8);
		return;
	}
	if ((m->cdb[1] & 0x1f) != 0x10) {
		check(m, SENSE_INVALID_FIELD);
		return;
	}
	be64_store(s->data, last);
	be32_store(s->data + 8, BLOCK);
	data_in(s, m, 32, be32_load(m->cdb + 10));
}

static void do_rw(struct scsi *s, struct cmd *m, uint64_t lba, uint32_t blocks, bool write)
{
	uint64_t len = (uint64_t)blocks * BLOCK;

	if (lba > s->nblocks || blocks > s->nblocks - lba || (blocks == 0 && lba >= s->nblocks)) {
		check(m, SENSE_LBA_OUT_OF_RANGE);
		return;
	}
	if (len == 0)
		return;
	/*
	 * The residual of a READ/WRITE: QEMU's scsi-disk starts from the CDB's
	 * transfer length and subtracts the whole data buffer it hands to DMA
	 * (scsi_do_read / scsi_write_data: residual -= sg->size), so it is 0
	 * for a buffer of the exact size and wraps below 0 for a larger one;
	 * vbox reads the spec: the buffer bytes not transferred.
	 */
	m->dma = true;
	m->dma_resid = vdev_layout(s->ctx) == VDEV_LAYOUT_QEMU ? (uint32_t)(len - (write ? m->dout : m->din)) :
	    (uint32_t)((write ? m->dout : m->din) - len);
	if (write) {
		/* The OVERRUN check guaranteed len <= dout. */
		if (disk_write(s->disk, lba * BLOCK, m->c->out + m->req_size, (size_t)len) != 0)
			check(m, (struct sense){ 0x03, 0x0c, 0x00 });	/* MEDIUM ERROR, WRITE ERROR */
		return;
	}
	switch (disk_to_chain(s->disk, m->q, m->c, m->resp_size, lba * BLOCK, (uint32_t)len)) {
	case 0:
		m->transferred = (uint32_t)len;
		break;
	case -1:
		check(m, (struct sense){ 0x03, 0x11, 0x00 });	/* MEDIUM ERROR, UNRECOVERED READ ERROR */
		break;
	default:
		vdev_violation(s->ctx, "scsi-data-unwritable", (int)virtq_index(m->q), m->c->head, 0, false,
		    "request %u: data-in buffer is not writable guest RAM", m->c->head);
		check(m, (struct sense){ 0x0b, 0x00, 0x00 });	/* ABORTED COMMAND */
		break;
	}
}

static void execute(struct scsi *s, struct cmd *m)
{
	const uint8_t *cdb = m->cdb;
	uint64_t lba = 0;
	uint32_t blocks = 0;
	bool write, lun_present = m->lun == 0;

	/*
	 * QEMU's scsi_req_new: a pending unit attention wins over everything
	 * but INQUIRY and REPORT LUNS, whichever LUN is addressed, and is
	 * reported (then cleared) as CHECK CONDITION, REQUEST SENSE included.
	 */
	if (s->ua.key != 0 && cdb[0] != 0x12 && cdb[0] != 0xa0) {
		check(m, s->ua);
		s->ua = SENSE_NONE;
		return;
	}
	if (!lun_present) {
		/* The target answers for LUNs it does not have (SPC: peripheral qualifier 3). */
		switch (cdb[0]) {
		case 0x12: do_inquiry(s, m, false); break;
		case 0x03: do_request_sense(s, m, false); break;
		case 0xa0: do_report_luns(s, m); break;
		default: check(m, SENSE_LUN_NOT_SUPPORTED); break;
		}
		return;
	}
	if (rw_decode(cdb, &lba, &blocks, &write)) {
		do_rw(s, m, lba, blocks, write);
		return;
	}
	switch (cdb[0]) {
	case 0x00: case 0x35: case 0x91: break;
	case 0x03: do_request_sense(s, m, true); break;
	case 0x12: do_inquiry(s, m, true); break;
	case 0x1a: do_mode_sense(s, m, false); break;
	case 0x5a: do_mode_sense(s, m, true); break;
	case 0x25: do_read_capacity(s, m, false); break;
	case 0x9e: do_read_capacity(s, m, true); break;
	case 0xa0: do_report_luns(s, m); break;
	default: check(m, SENSE_INVALID_OPCODE); break;
	}
}

static const char *response_name(uint8_t r)
{
	switch (r) {
	case S_OK: return "OK";
	case S_OVERRUN: return "OVERRUN";
	case S_BAD_TARGET: return "BAD_TARGET";
	case S_FAILURE: return "FAILURE";
	case S_FUNCTION_SUCCEEDED: return "FUNCTION_SUCCEEDED";
	case S_FUNCTION_REJECTED: return "FUNCTION_REJECTED";
	case S_INCORRECT_LUN: return "INCORRECT_LUN";
	default: return "?";
	}
}

static void bad_req(struct scsi *s, struct virtq *q, struct virtq_chain *c, const char *what)
{
	vdev_violation(s->ctx, "scsi-bad-request", (int)virtq_index(q), c->head, 0, true,
	    "request %u: %s", c->head, what);
}

/* -1: guest error that stops the queue (QEMU's virtio_scsi_bad_req). */
static int scsi_cmd(struct scsi *s, struct virtq *q, struct virtq_chain *c)
{
	struct cmd m = { .q = q, .c = c, .status = GOOD, .response = S_OK };
	struct virtq_txn_info info = { .fields = s->fields };
	uint32_t sense_len = 0, used;
	unsigned target = 0;
	uint64_t xfer = 0;
	enum xfer_mode mode = XFER_NONE, have;
	bool lun_ok, known;

	m.req_size = REQ_HDR + cdb_size(s);
	m.resp_size = RESP_HDR + sense_size(s);
	if (c->out_len < m.req_size || c->in_len < m.resp_size) {
		bad_req(s, q, c, c->out_len < m.req_size ? "request header shorter than 19 + cdb_size bytes"
		    : "response buffer shorter than 12 + sense_size bytes");
		return -1;
	}
	m.dout = c->out_len - m.req_size;
	m.din = c->in_len - m.resp_size;
	memset(s->cdb, 0, 16);
	memcpy(s->cdb, c->out + REQ_HDR, cdb_size(s));
	m.cdb = s->cdb;
	lun_ok = lun_parse(c->out, &target, &m.lun) == 0;
	info.type = cdb_size(s) > 0 ? op_name(s, m.cdb) : "NO_CDB";
	if (want(s)) {
		uint64_t lba;
		uint32_t blocks;
		bool w;

		if (cdb_size(s) >= 16 && rw_decode(m.cdb, &lba, &blocks, &w))
			snprintf(s->fields, sizeof s->fields, "lba=%llu blocks=%u lun=%u",
			    (unsigned long long)lba, blocks, m.lun);
		else
			snprintf(s->fields, sizeof s->fields, "lun=%u", m.lun);
		if (target != 0)
			snprintf(s->fields + strlen(s->fields), sizeof s->fields - strlen(s->fields),
			    " target=%u", target);
	}
	if (m.dout > 0 && m.din > 0) {
		/* Bidirectional commands need INOUT, which is not offered: QEMU fails them. */
		m.response = S_FAILURE;
		m.dout = m.din = 0;
	} else if (!lun_ok || target != 0 || !s->present) {
		m.response = S_BAD_TARGET;
	} else {
		have = m.dout ? XFER_TO_DEV : m.din ? XFER_FROM_DEV : XFER_NONE;
		known = cdb_len(m.cdb[0]) != 0 && cdb_len(m.cdb[0]) <= cdb_size(s) && cdb_xfer(m.cdb, &xfer, &mode);
		if (known && mode != XFER_NONE && (mode != have || xfer > (have == XFER_TO_DEV ? m.dout : m.din)))
			m.response = S_OVERRUN;
		else if (cdb_len(m.cdb[0]) == 0 || cdb_len(m.cdb[0]) > cdb_size(s))
			check(&m, SENSE_INVALID_OPCODE);
		else
			execute(s, &m);
	}
	memset(s->resp, 0, m.resp_size);
	if (m.response == S_OK && m.status == CHECK_CONDITION) {
		uint8_t sb[18];

		sense_len = build_sense(sb, m.sense, false);
		if (sense_len > sense_size(s))
			sense_len = sense_size(s);
		memcpy(s->resp + RESP_HDR, sb, sense_len);
	}
	le32_store(s->resp, sense_len);
	if (m.response == S_OK && m.status == GOOD)
		le32_store(s->resp + 4, m.dma ? m.dma_resid : (m.dout ? m.dout : m.din) - m.transferred);
	s->resp[10] = m.status;
	s->resp[11] = m.response;
	virtq_chain_write(q, c, 0, s->resp, m.resp_size);
	if (m.response != S_OK)
		info.status = response_name(m.response);
	else
		info.status = m.status == GOOD ? "GOOD" : "CHECK_CONDITION";
	if (want(s) && m.response == S_OK && m.status == CHECK_CONDITION) {
		size_t l = strlen(s->fields);

		snprintf(s->fields + l, sizeof s->fields - l, " sense=%02x/%02x/%02x",
		    m.sense.key, m.sense.asc, m.sense.ascq);
	}
	/* QEMU publishes the response size plus the whole data buffer. */
	used = m.resp_size + (m.dout ? m.dout : m.din);
	virtq_put(q, c, used, &info);
	return 0;
}

static int scsi_tmf(struct scsi *s, struct virtq *q, struct virtq_chain *c, struct virtq_txn_info *info)
{
	static const char *const names[] = {
		"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK", "QUERY_TASK_SET",
	};
	uint32_t sub, lun = 0;
	unsigned target = 0;
	bool found;
	uint8_t resp = S_OK;

	if (c->out_len < 24 || c->in_len < 1) {
		bad_req(s, q, c, "task management request shorter than 24 bytes or response shorter than 1");
		return -1;
	}
	sub = le32_load(c->out + 4);
	found = lun_parse(c->out + 8, &target, &lun) == 0 && target == 0 && s->present;
	if (want(s)) {
		snprintf(s->type, sizeof s->type, "TMF %s", sub < 8 ? names[sub] : "UNKNOWN");
		snprintf(s->fields, sizeof s->fields, "lun=%u tag=%llu", lun,
		    (unsigned long long)le64_load(c->out + 16));
	}
	info->type = s->type;
	switch (sub) {
	case 0: case 6: case 1: case 3: case 7: case 5:
		/* Commands complete synchronously: no task is ever in flight to abort or find. */
		if (!found)
			resp = S_BAD_TARGET;
		else if (lun != 0)
			resp = S_INCORRECT_LUN;
		else if (sub == 5)
			s->ua = SENSE_RESET;
		break;
	case 4:
		if (c->out[9] == 0 && s->present)
			s->ua = SENSE_RESET;
		break;
	default:
		resp = S_FUNCTION_REJECTED;
		break;
	}
	virtq_chain_write(q, c, 0, &resp, 1);
	info->status = resp == S_OK ? "FUNCTION_COMPLETE" : response_name(resp);
	virtq_put(q, c, 1, info);
	return 0;
}

static int scsi_ctrl(struct scsi *s, struct virtq *q, struct virtq_chain *c)
{
	struct virtq_txn_info info = { .fields = s->fields };
	uint8_t resp[5] = { 0 };
	uint32_t type;

	s->fields[0] = '\0';
	if (c->out_len < 4) {
		bad_req(s, q, c, "control request shorter than its 4-byte type");
		return -1;
	}
	type = le32_load(c->out);
	switch (type) {
	case T_TMF:
		return scsi_tmf(s, q, c, &info);
	case T_AN_QUERY:
	case T_AN_SUBSCRIBE:
		if (c->out_len < 16 || c->in_len < 5) {
			bad_req(s, q, c, "asynchronous notification request shorter than 16 bytes or response shorter than 5");
			return -1;
		}
		/* No asynchronous notification is supported: event_actual 0, response OK. */
		info.type = type == T_AN_QUERY ? "AN_QUERY" : "AN_SUBSCRIBE";
		info.status = "OK";
		if (want(s))
			snprintf(s->fields, sizeof s->fields, "requested=0x%x", le32_load(c->out + 12));
		virtq_chain_write(q, c, 0, resp, 5);
		virtq_put(q, c, 5, &info);
		return 0;
	default:
		/* QEMU completes an unknown control type without writing anything. */
		info.type = "CTRL";
		info.status = "IGNORED";
		if (want(s))
			snprintf(s->fields, sizeof s->fields, "type=%u", type);
		virtq_put(q, c, 0, &info);
		return 0;
	}
}

static void push_event(struct scsi *s, uint32_t event, uint32_t reason)
{
	struct virtq *q = vdev_queue(s->ctx, 1);
	struct virtq_chain c;
	struct virtq_txn_info info = { .type = s->type, .fields = s->fields, .status = "OK" };
	uint8_t ev[16] = { 0 };

	if (!s->driver_ok || q == NULL)
		return;
	if (virtq_get(q, &c, true) != 1) {
		s->events_dropped = true;
		return;
	}
	if (c.out_len > 0 || c.in_len < 16) {
		bad_req(s, q, &c, "event buffer must be 16 device-writable bytes");
		return;
	}
	if (s->events_dropped) {
		event |= T_EVENTS_MISSED;
		s->events_dropped = false;
	}
	le32_store(ev, event);
	if ((event & ~T_EVENTS_MISSED) != T_NO_EVENT) {
		ev[4] = 1;		/* target 0, LUN 0 */
	}
	le32_store(ev + 12, reason);
	virtq_chain_write(q, &c, 0, ev, 16);
	if (want(s)) {
		static const char *const names[] = { "NO_EVENT", "TRANSPORT_RESET", "ASYNC_NOTIFY", "PARAM_CHANGE" };
		uint32_t e = event & ~T_EVENTS_MISSED;

		snprintf(s->type, sizeof s->type, "EVENT %s", e < 4 ? names[e] : "?");
		snprintf(s->fields, sizeof s->fields, "lun=0 reason=0x%x%s", reason,
		    (event & T_EVENTS_MISSED) ? " missed=1" : "");
	}
	virtq_put(q, &c, 16, &info);
	virtq_sync(q);
}

static void scsi_queue_notified(void *dev, unsigned queue)
{
	struct scsi *s = dev;
	struct virtq *q = vdev_queue(s->ctx, queue);
	struct virtq_chain c;

	if (q == NULL)
		return;
	if (queue == 1) {
		if (s->events_dropped)
			push_event(s, T_NO_EVENT, 0);
		return;
	}
	while (virtq_get(q, &c, true) == 1)
		if ((queue == 0 ? scsi_ctrl(s, q, &c) : scsi_cmd(s, q, &c)) != 0)
			break;
	virtq_sync(q);
}

static void scsi_status_changed(void *dev, bool driver_ok)
{
	struct scsi *s = dev;

	s->driver_ok = driver_ok;
}

static const uint8_t *scsi_get_config(void *dev, uint32_t *len)
{
	struct scsi *s = dev;

	*len = SCSI_CFG_SIZE;
	return s->cfg;
}

static void scsi_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct scsi *s = dev;
	uint8_t cfg[SCSI_CFG_SIZE];

	/* Only sense_size and cdb_size are driver-writable. */
	memcpy(cfg, s->cfg, sizeof cfg);
	for (uint32_t i = 0; i < len; i++) {
		uint32_t o = off + i;

		if (o >= CFG_SENSE_SIZE && o < CFG_CDB_SIZE + 4)
			cfg[o] = src[i];
	}
	if (le32_load(cfg + CFG_SENSE_SIZE) >= 65536 || le32_load(cfg + CFG_CDB_SIZE) >= 256) {
		vdev_violation(s->ctx, "scsi-config-bad", -1, -1, off, true,
		    "sense_size %u / cdb_size %u written to the config (limits 65535 / 255)",
		    le32_load(cfg + CFG_SENSE_SIZE), le32_load(cfg + CFG_CDB_SIZE));
		return;
	}
	memcpy(s->cfg, cfg, sizeof cfg);
}

static int scsi_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct scsi *s = dev;

	if (in->type == VDEV_IN_DISK) {
		if (in->addr > disk_size(s->disk) || in->len > disk_size(s->disk) - in->addr)
			return cause_set(cause, "scsi: disk input at %llu (%u bytes) is beyond the %llu-byte disk",
			    (unsigned long long)in->addr, in->len, (unsigned long long)disk_size(s->disk));
		disk_write(s->disk, in->addr, in->data, in->len);
		return 0;
	}
	if (in->type != VDEV_IN_EVENT)
		return cause_set(cause, "scsi: input type %u is neither disk contents nor an event", in->type);
	switch (in->addr) {
	case SCSI_EV_UNPLUG:
		s->present = false;
		s->ua = SENSE_NONE;
		if (vdev_has_feature(s->ctx, SCSI_F_HOTPLUG))
			push_event(s, T_TRANSPORT_RESET, EVT_REMOVED);
		return 0;
	case SCSI_EV_PLUG:
		s->present = true;
		s->ua = SENSE_LUNS_CHANGED;
		if (vdev_has_feature(s->ctx, SCSI_F_HOTPLUG))
			push_event(s, T_TRANSPORT_RESET, EVT_RESCAN);
		return 0;
	case SCSI_EV_CHANGE:
		if (s->present)
			s->ua = SENSE_CAPACITY_CHANGED;
		if (vdev_has_feature(s->ctx, SCSI_F_CHANGE))
			push_event(s, T_PARAM_CHANGE, 0x2a | (0x09 << 8));
		return 0;
	default:
		return cause_set(cause, "scsi: unknown event code %llu", (unsigned long long)in->addr);
	}
}

static void scsi_save(void *dev, struct buf *out)
{
	struct scsi *s = dev;

	buf_add_u8(out, SCSI_STATE_VERSION);
	buf_add(out, s->cfg, SCSI_CFG_SIZE);
	buf_add_u8(out, (uint8_t)(s->present | s->driver_ok << 1 | s->events_dropped << 2));
	buf_add_u8(out, s->ua.key);
	buf_add_u8(out, s->ua.asc);
	buf_add_u8(out, s->ua.ascq);
	disk_save(s->disk, out);
}

static int scsi_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct scsi *s = dev;
	struct cursor cur;
	uint8_t cfg[SCSI_CFG_SIZE], flags;
	struct sense ua;

	cursor_init(&cur, p, len);
	if (cursor_u8(&cur) != SCSI_STATE_VERSION || cursor_get(&cur, cfg, sizeof cfg) != 0)
		return cause_set(cause, "scsi: state has a bad version or is truncated");
	flags = cursor_u8(&cur);
	ua.key = cursor_u8(&cur);
	ua.asc = cursor_u8(&cur);
	ua.ascq = cursor_u8(&cur);
	if (cur.err || flags > 7 || ua.key > 0x0f || le32_load(cfg + CFG_SENSE_SIZE) >= 65536 ||
	    le32_load(cfg + CFG_CDB_SIZE) >= 256)
		return cause_set(cause, "scsi: state fields out of range");
	if (disk_load(s->disk, &cur, cause) != 0)
		return cause_prefix(cause, "scsi");
	if (cur.off != cur.len)
		return cause_set(cause, "scsi: junk after the state");
	memcpy(s->cfg, cfg, sizeof cfg);
	s->present = flags & 1;
	s->driver_ok = (flags >> 1) & 1;
	s->events_dropped = (flags >> 2) & 1;
	s->ua = ua;
	return 0;
}

/* QEMU 7.2 virtio-scsi-pci: HOTPLUG and CHANGE, three 256-entry queues, MSI-X num_queues + 3. */
static const struct vdev_defaults scsi_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES | (1ull << SCSI_F_HOTPLUG) | (1ull << SCSI_F_CHANGE),
	.nqueues = 3,
	.queue_size = { 256, 256, 256 },
	.pci_class = 0x010000,
};

const struct vdev_ops vdev_scsi_ops = {
	.name = "scsi",
	.id = VIRTIO_ID_SCSI,
	.pci_class = 0x01, .pci_subclass = 0x00, .pci_progif = 0x00,	/* SCSI storage controller */
	.features = (1ull << SCSI_F_HOTPLUG) | (1ull << SCSI_F_CHANGE),
	.default_queues = 3,
	.devcfg_size = SCSI_CFG_SIZE,
	.queue_name = scsi_queue_name,
	.default_config = scsi_default_config,
	.defaults = { [VDEV_LAYOUT_QEMU] = &scsi_qemu },
	.create = scsi_create,
	.destroy = scsi_destroy,
	.reset = scsi_reset,
	.status_changed = scsi_status_changed,
	.queue_notified = scsi_queue_notified,
	.get_config = scsi_get_config,
	.cfg_write = scsi_cfg_write,
	.input = scsi_input,
	.save = scsi_save,
	.load = scsi_load,
};
