/* scsi.c -- virtio-scsi framing: request and response headers, LUN addressing, task management, events */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"
#include "scsi-int.h"

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

#define SCSI_STATE_VERSION	3	/* 3: + the written config bytes (2 still loads) */

/* A command between its setup and its run (QEMU's VirtIOSCSIReq with its SCSIRequest). */
struct scsi_cmd {
	struct scsi_req r;
	uint8_t cdb[256 + 16];		/* the CDB, zero-padded so decoders never read past it */
	uint8_t lun[8];
	uint32_t hdr_out, resp_size;	/* where the data-out starts; the response area's size */
	struct virtq_kept *kept;	/* qemu: the chain, while the rest of the batch is set up */
};

struct scsi {
	struct vdev_ctx *ctx;
	struct scsi_disk *lun0;
	bool qemu;
	uint8_t wcfg[SCSI_CFG_SIZE];	/* qemu: QEMU's vdev->config, where writes land (a read refreshes it) */
	uint8_t cfg[SCSI_CFG_SIZE];
	bool driver_ok;
	bool events_dropped;
	uint8_t *resp;			/* response header + sense area, RESP_HDR + 65535 */
	struct scsi_cmd *batch;		/* the commands of one notify, set up and not yet run */
	unsigned batch_cap;
	char fields[128];
	char type[40];
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
	s->qemu = setup->layout == VDEV_LAYOUT_QEMU;
	scsi_default_config(s->cfg, SCSI_CFG_SIZE, setup->layout);
	/* Not stated: one request queue per queue after control and event (QEMU's num_queues). */
	if (setup->nqueues > 3)
		le32_store(s->cfg + CFG_NUM_QUEUES, setup->nqueues - 2u);
	if (setup->devcfg != NULL && setup->devcfg_len > 0)
		memcpy(s->cfg, setup->devcfg, setup->devcfg_len < SCSI_CFG_SIZE ? setup->devcfg_len : SCSI_CFG_SIZE);
	/* QEMU's vdev->config as a read leaves it: recordings read the config for their header first */
	memcpy(s->wcfg, s->cfg, SCSI_CFG_SIZE);
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
	s->lun0 = scsi_disk_new(ctx, be, setup->serial, s->qemu, setup->disk, cause);
	if (s->lun0 == NULL) {
		free(s);
		return NULL;
	}
	s->resp = xmalloc(RESP_HDR + 65536);
	return s;
}

static void scsi_destroy(void *dev)
{
	struct scsi *s = dev;

	if (s == NULL)
		return;
	scsi_disk_free(s->lun0);
	free(s->resp);
	free(s->batch);
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
	scsi_disk_reset(s->lun0);
}

static bool want(struct scsi *s)
{
	return evbus_wants(vdev_bus(s->ctx), VR_EV_TXN);
}

/* LUN field (virtio 1.x 5.6.6.1): 1, target, then a flat-space LUN. -1 if malformed. */
static int lun_parse(const uint8_t *lun, unsigned *target, uint32_t *l)
{
	*target = lun[1];
	*l = ((uint32_t)(lun[2] & 0x3f) << 8) | lun[3];
	if (lun[0] != 1)
		return -1;
	if (lun[2] != 0 && !(lun[2] >= 0x40 && lun[2] < 0x80))
		return -1;
	return 0;
}

/* The LUN a request addresses, or NULL (virtio-scsi's BAD_TARGET): any LUN of target 0 finds its disk. */
static struct scsi_disk *lun_find(struct scsi *s, const uint8_t *lun, uint32_t *l)
{
	unsigned target;

	if (lun_parse(lun, &target, l) != 0 || target != 0 || !scsi_disk_present(s->lun0))
		return NULL;
	return s->lun0;
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
	/* qemu: what was answered before (framing errors, control requests) is used and notified at once */
	if (s->qemu)
		virtq_sync(q);
	vdev_violation(s->ctx, "scsi-bad-request", (int)virtq_index(q), c->head, 0, true,
	    "request %u: %s", c->head, what);
}

/* Length of the chain's first device-readable buffer (0: none). */
static uint32_t first_out_len(const struct virtq_chain *c)
{
	for (unsigned i = 0; i < c->ndesc; i++) {
		if (c->desc[i].flags & VIRTQ_DESC_F_INDIRECT)
			continue;
		return (c->desc[i].flags & VIRTQ_DESC_F_WRITE) ? 0 : c->desc[i].len;
	}
	return 0;
}

/*
 * Where the request header and the response end, i.e. where the data
 * starts. The spec (and vbox) frame by the sizes; QEMU, unless the driver
 * negotiated ANY_LAYOUT (which its modern device does not offer), takes
 * the whole first buffer of each direction as header or response, a
 * workaround for old BIOSes that padded them.
 */
static void framing(struct scsi *s, const struct virtq_chain *c, uint32_t req_size, uint32_t resp_size,
    uint32_t *hdr_out, uint32_t *hdr_in)
{
	*hdr_out = req_size;
	*hdr_in = resp_size;
	if (s->qemu && !vdev_has_feature(s->ctx, VIRTIO_F_ANY_LAYOUT)) {
		if (c->out_len > 0)
			*hdr_out = first_out_len(c);
		if (c->nin > 0)
			*hdr_in = c->in[0].len;
	}
}

static void cmd_fields(struct scsi *s, const uint8_t *lun, const uint8_t *cdb)
{
	uint64_t lba;
	uint32_t blocks, l;
	unsigned target;
	bool w;

	(void)lun_parse(lun, &target, &l);
	if (cdb_size(s) >= 16 && scsi_rw_decode(cdb, &lba, &blocks, &w))
		snprintf(s->fields, sizeof s->fields, "lba=%llu blocks=%u lun=%u", (unsigned long long)lba, blocks, l);
	else
		snprintf(s->fields, sizeof s->fields, "lun=%u", l);
	if (target != 0)
		snprintf(s->fields + strlen(s->fields), sizeof s->fields - strlen(s->fields), " target=%u", target);
}

/*
 * Answer a command: the response (QEMU writes the header, and the sense
 * after it only when there is some; vbox the whole area), then its used
 * element. response is S_OK for a command that ran.
 */
static void scsi_cmd_answer(struct scsi *s, struct virtq *q, struct virtq_chain *c, struct scsi_cmd *p,
    uint8_t response)
{
	struct scsi_req *r = &p->r;
	struct virtq_txn_info info = { .fields = s->fields };
	uint32_t sense_len = 0, written = RESP_HDR;

	info.type = r->cdb_size > 0 ? scsi_op_name(r->cdb, s->type, sizeof s->type) : "NO_CDB";
	if (want(s))
		cmd_fields(s, p->lun, r->cdb);
	memset(s->resp, 0, p->resp_size);
	if (response == S_OK && r->status == SCSI_CHECK_CONDITION) {
		sense_len = scsi_disk_autosense(s->lun0, r, s->resp + RESP_HDR, sense_size(s));
		written += sense_len;
	}
	le32_store(s->resp, sense_len);
	if (response == S_OK && r->status == SCSI_GOOD)
		le32_store(s->resp + 4, r->resid);
	s->resp[10] = response == S_OK ? r->status : 0;
	s->resp[11] = response;
	virtq_chain_write(q, c, 0, s->resp, s->qemu ? written : p->resp_size);
	if (response != S_OK)
		info.status = response_name(response);
	else
		info.status = r->status == SCSI_GOOD ? "GOOD" : "CHECK_CONDITION";
	if (want(s) && response == S_OK && r->status == SCSI_CHECK_CONDITION) {
		size_t l = strlen(s->fields);

		snprintf(s->fields + l, sizeof s->fields - l, " sense=%02x/%02x/%02x",
		    r->sense.key, r->sense.asc, r->sense.ascq);
	}
	/*
	 * QEMU publishes the response size plus the whole data area. It pops
	 * the whole batch first, answering framing errors (BAD_TARGET,
	 * OVERRUN, FAILURE) as it goes, then runs the commands in order: those
	 * it answers at once are used after every framing error of the batch,
	 * block I/O after the notify.
	 */
	if (r->later)
		virtq_put_async(q, c, p->resp_size + r->dout + r->din, &info);
	else if (response == S_OK)
		virtq_put_held(q, c, p->resp_size + r->dout + r->din, &info);
	else
		virtq_put(q, c, p->resp_size + r->dout + r->din, &info);
}

/*
 * Set a command up (QEMU's virtio_scsi_handle_cmd_req_prepare): the
 * framing, the LUN, scsi_disk_new_req, the buffers against what the CDB
 * moves. 1: ready to run; 0: answered (a framing error); -1: a guest
 * error that stops the queue (QEMU's virtio_scsi_bad_req).
 */
static int scsi_cmd_setup(struct scsi *s, struct virtq *q, struct virtq_chain *c, struct scsi_cmd *p)
{
	struct scsi_req *r = &p->r;
	uint32_t req_size = REQ_HDR + cdb_size(s), hdr_in;
	struct scsi_disk *d;
	uint8_t response = S_OK;
	enum scsi_xfer_mode have;

	memset(r, 0, sizeof *r);
	p->resp_size = RESP_HDR + sense_size(s);
	if (c->out_len < req_size || c->in_len < p->resp_size) {
		bad_req(s, q, c, c->out_len < req_size ? "request header shorter than 19 + cdb_size bytes"
		    : "response buffer shorter than 12 + sense_size bytes");
		return -1;
	}
	framing(s, c, req_size, p->resp_size, &p->hdr_out, &hdr_in);
	r->dout = c->out_len > p->hdr_out ? c->out_len - p->hdr_out : 0;
	r->din = c->in_len > hdr_in ? c->in_len - hdr_in : 0;
	r->in_off = hdr_in;
	memcpy(p->lun, c->out, sizeof p->lun);
	memset(p->cdb, 0, sizeof p->cdb);
	memcpy(p->cdb, c->out + REQ_HDR, cdb_size(s));
	r->cdb = p->cdb;
	r->cdb_size = cdb_size(s);
	if (r->dout > 0 && r->din > 0) {
		/* Bidirectional commands need INOUT, which is not offered: QEMU fails them. */
		response = S_FAILURE;
		if (!s->qemu)
			r->dout = r->din = 0;
	} else if ((d = lun_find(s, p->lun, &r->lun)) == NULL) {
		response = S_BAD_TARGET;
	} else {
		scsi_disk_new_req(d, r);
		have = r->dout ? SCSI_XFER_TO_DEV : r->din ? SCSI_XFER_FROM_DEV : SCSI_XFER_NONE;
		if (r->mode != SCSI_XFER_NONE && (r->mode != have || r->xfer > (have == SCSI_XFER_TO_DEV ? r->dout : r->din)))
			response = S_OVERRUN;
	}
	if (response == S_OK)
		return 1;
	scsi_cmd_answer(s, q, c, p, response);
	return 0;
}

/* Run a command set up on chain c (QEMU's virtio_scsi_handle_cmd_req_submit) and answer it. */
static void scsi_cmd_run(struct scsi *s, struct virtq *q, struct virtq_chain *c, struct scsi_cmd *p)
{
	p->r.q = q;
	p->r.c = c;
	p->r.out = c->out + p->hdr_out;
	scsi_disk_run(s->lun0, &p->r);
	scsi_cmd_answer(s, q, c, p, S_OK);
}

/*
 * The request queue's notify. qemu: as QEMU 7.2's virtio_scsi_handle_cmd_vq,
 * every command of the batch is popped and set up before the first one
 * runs, so a setup sees the state the earlier commands of the batch left
 * at their setup, not at their end (the block size a MODE SELECT sets, the
 * sense REQUEST SENSE reports). The batch is the chains one notify may take
 * (the work bound: at most the queue size). vbox: each command runs as it
 * is popped.
 */
static void scsi_cmds(struct scsi *s, struct virtq *q)
{
	struct virtq_chain c;
	unsigned n = 0;
	int rc;

	while (virtq_get(q, &c, true) == 1) {
		if (n == s->batch_cap) {
			s->batch_cap = s->batch_cap ? 2 * s->batch_cap : 16;
			s->batch = xreallocarray(s->batch, s->batch_cap, sizeof *s->batch);
		}
		if ((rc = scsi_cmd_setup(s, q, &c, &s->batch[n])) < 0) {
			/* QEMU's virtio_scsi_bad_req breaks the device: what it set up is detached, none runs */
			while (n > 0)
				virtq_chain_drop(q, s->batch[--n].kept);
			break;
		}
		if (rc == 0)
			continue;
		if (!s->qemu) {
			scsi_cmd_run(s, q, &c, &s->batch[n]);
			continue;
		}
		s->batch[n++].kept = virtq_chain_keep(&c);
	}
	for (unsigned i = 0; i < n; i++) {
		virtq_chain_restore(q, s->batch[i].kept, &c);
		scsi_cmd_run(s, q, &c, &s->batch[i]);
	}
	/* what the block layer answers ends after the notify, in pop order (several: not compared) */
	for (unsigned i = 0; i < n; i++)
		scsi_disk_end(s->lun0, &s->batch[i].r);
}

static int scsi_tmf(struct scsi *s, struct virtq *q, struct virtq_chain *c, struct virtq_txn_info *info)
{
	static const char *const names[] = {
		"ABORT_TASK", "ABORT_TASK_SET", "CLEAR_ACA", "CLEAR_TASK_SET",
		"I_T_NEXUS_RESET", "LOGICAL_UNIT_RESET", "QUERY_TASK", "QUERY_TASK_SET",
	};
	uint32_t sub, lun = 0;
	bool found;
	uint8_t resp = S_OK;

	if (c->out_len < 24 || c->in_len < 1) {
		bad_req(s, q, c, "task management request shorter than 24 bytes or response shorter than 1");
		return -1;
	}
	sub = le32_load(c->out + 4);
	found = lun_find(s, c->out + 8, &lun) != NULL;
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
			scsi_disk_reset(s->lun0);
		break;
	case 4:
		/* I_T NEXUS RESET resets every LUN of the target named, whatever the rest of the address */
		if (c->out[9] == 0)
			scsi_disk_reset(s->lun0);
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
	if (queue == 0) {
		while (virtq_get(q, &c, true) == 1)
			if (scsi_ctrl(s, q, &c) != 0)
				break;
	} else {
		scsi_cmds(s, q);
	}
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
	if (s->qemu)
		memcpy(s->wcfg, s->cfg, SCSI_CFG_SIZE);	/* QEMU's get_config before every read */
	return s->cfg;
}

static void scsi_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct scsi *s = dev;
	uint8_t cfg[SCSI_CFG_SIZE];

	/*
	 * Only sense_size and cdb_size are driver-writable. vbox: the write
	 * lands on the config as it is. qemu: on QEMU's vdev->config, the bytes
	 * of the last read plus every write since, refused ones included
	 * (virtio_config_modern_write* stores, then virtio_scsi_set_config
	 * checks both fields), so a refused write's bytes count again at the
	 * next write unless a read came between.
	 */
	uint8_t *w = s->qemu ? s->wcfg : cfg;

	if (!s->qemu)
		memcpy(cfg, s->cfg, sizeof cfg);
	for (uint32_t i = 0; i < len && off + i < SCSI_CFG_SIZE; i++) {
		uint32_t o = off + i;

		if (s->qemu || (o >= CFG_SENSE_SIZE && o < CFG_CDB_SIZE + 4))
			w[o] = src[i];
	}
	if (le32_load(w + CFG_SENSE_SIZE) >= 65536 || le32_load(w + CFG_CDB_SIZE) >= 256) {
		vdev_violation(s->ctx, "scsi-config-bad", -1, -1, off, true,
		    "sense_size %u / cdb_size %u written to the config (limits 65535 / 255)",
		    le32_load(w + CFG_SENSE_SIZE), le32_load(w + CFG_CDB_SIZE));
		return;
	}
	memcpy(s->cfg + CFG_SENSE_SIZE, w + CFG_SENSE_SIZE, 4);
	memcpy(s->cfg + CFG_CDB_SIZE, w + CFG_CDB_SIZE, 4);
}

static int scsi_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct scsi *s = dev;

	if (in->type == VDEV_IN_DISK)
		return scsi_disk_input(s->lun0, in->addr, in->data, in->len, cause);
	if (in->type != VDEV_IN_EVENT)
		return cause_set(cause, "scsi: input type %u is neither disk contents nor an event", in->type);
	switch (in->addr) {
	case SCSI_EV_UNPLUG:
		scsi_disk_plug(s->lun0, false);
		if (vdev_has_feature(s->ctx, VIRTIO_SCSI_F_HOTPLUG))
			push_event(s, T_TRANSPORT_RESET, EVT_REMOVED);
		return 0;
	case SCSI_EV_PLUG:
		scsi_disk_plug(s->lun0, true);
		if (vdev_has_feature(s->ctx, VIRTIO_SCSI_F_HOTPLUG))
			push_event(s, T_TRANSPORT_RESET, EVT_RESCAN);
		return 0;
	case SCSI_EV_CHANGE:
		scsi_disk_changed(s->lun0);
		if (vdev_has_feature(s->ctx, VIRTIO_SCSI_F_CHANGE))
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
	buf_add(out, s->wcfg, SCSI_CFG_SIZE);
	buf_add_u8(out, (uint8_t)(s->driver_ok | s->events_dropped << 1));
	scsi_disk_save(s->lun0, out);
}

static int scsi_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct scsi *s = dev;
	struct cursor cur;
	uint8_t cfg[SCSI_CFG_SIZE], wcfg[SCSI_CFG_SIZE], flags, version;

	cursor_init(&cur, p, len);
	version = cursor_u8(&cur);
	if ((version != SCSI_STATE_VERSION && version != 2) || cursor_get(&cur, cfg, sizeof cfg) != 0)
		return cause_set(cause, "scsi: state has a bad version or is truncated");
	if (version == 2)
		memcpy(wcfg, cfg, sizeof wcfg);	/* as if just read */
	else if (cursor_get(&cur, wcfg, sizeof wcfg) != 0)
		return cause_set(cause, "scsi: state is truncated");
	flags = cursor_u8(&cur);
	if (cur.err || flags > 3 || le32_load(cfg + CFG_SENSE_SIZE) >= 65536 || le32_load(cfg + CFG_CDB_SIZE) >= 256)
		return cause_set(cause, "scsi: state fields out of range");
	if (scsi_disk_load(s->lun0, &cur, cause) != 0)
		return -1;
	if (cur.off != cur.len)
		return cause_set(cause, "scsi: junk after the state");
	memcpy(s->cfg, cfg, sizeof cfg);
	memcpy(s->wcfg, wcfg, sizeof wcfg);
	s->driver_ok = flags & 1;
	s->events_dropped = (flags >> 1) & 1;
	return 0;
}

/* QEMU 7.2 virtio-scsi-pci: HOTPLUG and CHANGE, three 256-entry queues, MSI-X num_queues + 3. */
static const struct vdev_defaults scsi_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES | (1ull << VIRTIO_SCSI_F_HOTPLUG) | (1ull << VIRTIO_SCSI_F_CHANGE),
	.nqueues = 3,
	.queue_size = { 256, 256, 256 },
	.pci_class = 0x010000,
};

const struct vdev_ops vdev_scsi_ops = {
	.name = "scsi",
	.id = VIRTIO_ID_SCSI,
	.pci_class = 0x01, .pci_subclass = 0x00, .pci_progif = 0x00,	/* SCSI storage controller */
	.features = (1ull << VIRTIO_SCSI_F_HOTPLUG) | (1ull << VIRTIO_SCSI_F_CHANGE),
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
