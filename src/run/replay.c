/* replay.c -- the replay engine: apply a trace to a fresh device and compare its outputs with the recording */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/ckpt-file.h"
#include "vr/gmem.h"
#include "vr/replay.h"
#include "vr/sha256.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/violation.h"
#include "vr/vpci.h"
#include "vr/xmalloc.h"

#include "replay-int.h"

/* ---- history of recent events, for reports ---- */

static void hist_push(struct replay *r, const struct trace_event *ev, uint64_t no, uint64_t off)
{
	struct hist *h = &r->hist[r->hist_next];

	h->ev = *ev;
	h->no = no;
	h->off = off;
	h->full_len = ev->len;
	if (ev->len > 0 && ev->data != NULL) {
		uint32_t n = ev->len < HIST_BYTES ? ev->len : HIST_BYTES;

		memcpy(h->data, ev->data, n);
		h->ev.len = n;
		h->ev.data = h->data;
	} else {
		h->ev.data = NULL;
		h->ev.len = 0;
	}
	r->hist_next = (r->hist_next + 1) % REPLAY_HISTORY;
	if (r->nhist < REPLAY_HISTORY)
		r->nhist++;
}

void rp_hist_text(struct replay *r, struct buf *b)
{
	unsigned start = (r->hist_next + REPLAY_HISTORY - r->nhist) % REPLAY_HISTORY;

	buf_printf(b, "  last %u events:\n", r->nhist);
	for (unsigned i = 0; i < r->nhist; i++) {
		const struct hist *h = &r->hist[(start + i) % REPLAY_HISTORY];

		buf_printf(b, "  %c %8" PRIu64 " (0x%" PRIx64 ")  ", i + 1 == r->nhist ? '>' : ' ', h->no, h->off);
		trace_event_text(b, &h->ev);
		if (h->full_len > h->ev.len)
			buf_printf(b, " ... (%" PRIu32 " bytes in all)", h->full_len);
		buf_add_u8(b, '\n');
	}
}

/* ---- statistics from the device's events ---- */

static void count_txn(struct replay *r, const struct vr_ev_txn *t)
{
	const char *type = t->type != NULL ? t->type : "?";
	unsigned i;

	r->st.txns++;
	for (i = 0; i < r->st.ntxn; i++)
		if (r->st.txn[i].queue == t->queue && strcmp(r->st.txn[i].type, type) == 0)
			break;
	if (i == r->st.ntxn) {
		if (i == REPLAY_MAX_TXN_TYPES)
			return;
		r->st.ntxn++;
		memset(&r->st.txn[i], 0, sizeof(r->st.txn[i]));
		r->st.txn[i].queue = t->queue;
		snprintf(r->st.txn[i].queue_name, sizeof(r->st.txn[i].queue_name), "%s",
		    t->queue_name != NULL ? t->queue_name : "");
		snprintf(r->st.txn[i].type, sizeof(r->st.txn[i].type), "%s", type);
	}
	r->st.txn[i].count++;
}

static void count_violation(struct replay *r, const struct vr_event *ev)
{
	r->st.violations++;
	if (r->st.nviol < REPLAY_MAX_VIOLATIONS) {
		struct replay_violation *v = &r->st.viol[r->st.nviol++];

		snprintf(v->name, sizeof(v->name), "%s", ev->u.violation.name ? ev->u.violation.name : "?");
		v->event_no = ev->event_no;
		v->queue = ev->u.violation.queue;
	}
}

/* ---- produced outputs, queued until the recording's dma/irq events match them ---- */

/* Before queueing a new output: an empty queue starts over at the front of its storage. */
static void pend_rewind(struct replay *r)
{
	if (r->npend == 0) {
		r->pend_head = 0;
		buf_reset(&r->arena);
	}
}

static void pend_add(struct replay *r, const struct pending *p)
{
	if (r->pend_head + r->npend >= MAX_PENDING)
		return;		/* the next guest event reports them; the count stays bounded */
	if (r->pend_head + r->npend == r->pend_cap) {
		r->pend_cap = r->pend_cap ? r->pend_cap * 2 : 64;
		r->pend = xreallocarray(r->pend, r->pend_cap, sizeof(*r->pend));
	}
	r->pend[r->pend_head + r->npend] = *p;
	r->npend++;
}

/* Bounded copy without printf: it runs for every device output. */
static void copy_name(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	if (src != NULL)
		for (; i + 1 < n && src[i] != '\0'; i++)
			dst[i] = src[i];
	dst[i] = '\0';
}

static void device_sink(void *opaque, const struct vr_event *ev)
{
	struct replay *r = opaque;
	struct pending p;

	/* Past the work budget or the memory limit the run is over: nothing more reaches the sinks. */
	if (r->over_what != NULL || gmem_over_limit(vpci_gmem(r->dev)))
		return;
	if (ev->kind == VR_EV_TXN &&
	    !rp_budget_take(r, &r->served_requests, &r->allow_requests, 1, "requests served"))
		return;
	if (ev->kind == VR_EV_DMA &&
	    !rp_budget_take(r, &r->served_bytes, &r->allow_bytes, ev->u.dma.len, "bytes written into guest RAM"))
		return;
	switch (ev->kind) {
	case VR_EV_DMA:
		pend_rewind(r);
		if (r->reporting)
			r->st.dmas++;
		memset(&p, 0, sizeof(p));
		p.kind = TRACE_DMA;
		p.addr = ev->u.dma.addr;
		p.len = ev->u.dma.len;
		p.off = r->arena.len;
		buf_add(&r->arena, ev->u.dma.data, ev->u.dma.len);
		copy_name(p.what, sizeof(p.what), ev->u.dma.what);
		pend_add(r, &p);
		break;
	case VR_EV_IRQ:
		if (r->reporting)
			r->st.irqs++;
		memset(&p, 0, sizeof(p));
		pend_rewind(r);
		p.kind = TRACE_IRQ;
		p.msix = ev->u.irq.msix;
		p.vector = ev->u.irq.vector;
		p.level = ev->u.irq.level;
		copy_name(p.what, sizeof(p.what), ev->u.irq.cause);
		pend_add(r, &p);
		break;
	case VR_EV_TXN:
		if (ev->u.txn.queue < VIRTQ_MAX_QUEUES && ev->u.txn.queue_name != NULL &&
		    r->q[ev->u.txn.queue].name[0] == '\0')
			snprintf(r->q[ev->u.txn.queue].name, sizeof(r->q[0].name), "%s", ev->u.txn.queue_name);
		if (r->reporting)
			count_txn(r, &ev->u.txn);
		break;
	case VR_EV_VIOLATION:
		r->dev_violations++;
		if (r->reporting)
			count_violation(r, ev);
		break;
	default:
		break;
	}
	if (r->reporting && r->ubus != NULL && (r->ubus->mask & (1u << ev->kind))) {
		struct vr_event copy = *ev;

		evbus_emit(r->ubus, &copy);
	}
}

/* ---- the run ---- */

static void emit_trace(struct replay *r, const struct trace_event *ev)
{
	struct vr_event e;

	memset(&e, 0, sizeof(e));
	e.kind = VR_EV_TRACE;
	e.u.trace.kind = ev->kind;
	e.u.trace.kind_name = trace_kind_name(ev->kind);
	e.u.trace.space = ev->space;
	e.u.trace.size = ev->size;
	e.u.trace.has_value = ev->has_value;
	e.u.trace.addr = ev->addr;
	e.u.trace.value = ev->value;
	e.u.trace.data = ev->data;
	e.u.trace.len = ev->len;
	evbus_emit(r->ubus, &e);
}

static void emit_run(struct replay *r, enum vr_ev_kind kind, bool complete)
{
	struct vr_event e;

	if (r->ubus == NULL || !(r->ubus->mask & (1u << kind)))
		return;
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.u.run.trace_path = r->opts.path;
	e.u.run.trace_sha256 = r->trace_sha;
	e.u.run.version = r->opts.version ? r->opts.version : "";
	e.u.run.options = r->opts.options ? r->opts.options : "";
	e.u.run.device = trace_device_name(r->hdr.device) ? trace_device_name(r->hdr.device) : "?";
	e.u.run.layout = trace_layout_name((uint8_t)r->layout) ? trace_layout_name((uint8_t)r->layout) : "?";
	e.u.run.features = kind == VR_EV_RUN_BEGIN ? r->hdr.features : vpci_driver_features(r->dev);
	e.u.run.outcome = replay_outcome_name(r->outcome);
	e.u.run.events = r->st.events;
	e.u.run.divergences = r->st.divergences;
	e.u.run.violations = r->st.violations;
	e.u.run.complete = complete;
	evbus_emit(r->ubus, &e);
}

const char *replay_outcome_name(int outcome)
{
	static const char *const names[] = {
		[REPLAY_MATCHED] = "matched", [REPLAY_DIVERGED] = "diverged", [REPLAY_BADINPUT] = "bad-input",
		[REPLAY_ERROR] = "error", [REPLAY_STOPPED] = "stopped",
	};

	if (outcome < 0 || (size_t)outcome >= sizeof(names) / sizeof(names[0]))
		return "error";
	return names[outcome];
}

static bool is_checkpoint(const struct trace_event *ev)
{
	return ev->kind == TRACE_CHECKPOINT;
}

int replay_find_before(const char *path, uint64_t n, bool (*want)(const struct trace_event *),
    uint64_t *found, uint64_t *time_before, char **cause)
{
	uint64_t win = 4096;

	for (;;) {
		uint64_t start = n > win ? n - win : 0, best = 0, best_time = 0, last_time = 0;
		bool have = false, have_time = false, best_time_known = false;
		struct trace_reader *rd;
		struct trace_event ev;
		int rc;

		/* A fresh reader per window: seeking backwards must not trip the reader's time-order check. */
		if ((rd = trace_open(path, cause)) == NULL)
			return -1;
		if (trace_seek(rd, start, cause) < 0) {
			trace_close(rd);
			return -1;
		}
		while ((rc = trace_read(rd, &ev, cause)) == 1) {
			uint64_t no = trace_event_no(rd);

			if (no > n)
				break;
			if (want(&ev)) {
				have = true;
				best = no;
				best_time = last_time;
				best_time_known = have_time || start == 0;
			}
			if (ev.kind == TRACE_TIME) {
				last_time = ev.value;
				have_time = true;
			}
		}
		trace_close(rd);
		if (rc < 0)
			return -1;
		if (have && best_time_known) {
			*found = best;
			*time_before = best_time;
			return 1;
		}
		if (start == 0)
			return 0;
		win *= 2;
	}
}

/*
 * --checkpoints FILE: the file of this trace (its SHA-256), layout and
 * program version is read when --from asks for a start; any other, or none,
 * is written anew by this replay.
 */
static int ckpt_open(struct replay *r, char **cause)
{
	const char *ver = r->opts.version ? r->opts.version : "";
	int rc = 0;

	if (strcmp(r->opts.path, "-") == 0)
		return cause_set(cause, "--checkpoints needs a trace file, not standard input");
	if (r->opts.from > 0)
		rc = ckpt_file_open(r->opts.checkpoints, r->opts.path, r->layout, ver, &r->ckpt, cause);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if ((r->ckpt = ckpt_file_create(r->opts.checkpoints, r->opts.path, r->layout, ver, cause)) == NULL)
			return -1;
		r->ckpt_writing = true;
	}
	return 0;
}

/* Before guest event no: a checkpoint into the file when one is due and the device has nothing pending. */
static int ckpt_maybe_write(struct replay *r, const struct trace_event *ev, uint64_t no, char **cause)
{
	uint64_t every = r->opts.checkpoint_every ? r->opts.checkpoint_every : REPLAY_CHECKPOINT_EVERY;
	bool guest = ev->kind == TRACE_CFG_READ || ev->kind == TRACE_CFG_WRITE || ev->kind == TRACE_BAR_READ ||
	    ev->kind == TRACE_BAR_WRITE || ev->kind == TRACE_MEM;

	if (!guest || no - r->ckpt_last < every || r->npend > 0 || !r->guest_seen || r->diverged_stop)
		return 0;
	r->ckpt_last = no;
	buf_reset(&r->tmp2);
	vpci_save(r->dev, &r->tmp2);
	return ckpt_file_add(r->ckpt, no, r->vtime, r->tmp2.data, r->tmp2.len, cause);
}

struct replay *replay_new(const struct replay_opts *opts, struct evbus *bus, char **cause)
{
	struct replay *r = xcalloc(1, sizeof(*r));
	uint8_t digest[32];
	uint32_t mask;

	r->opts = *opts;
	r->ubus = bus;
	r->st.seeked_from = UINT64_MAX;
	buf_init(&r->arena);
	buf_init(&r->tmp);
	buf_init(&r->tmp2);
	buf_init(&r->ram);
	if ((r->rd = trace_open(opts->path, cause)) == NULL)
		goto fail;
	r->hdr = *trace_header(r->rd);
	r->layout = opts->layout >= 0 ? opts->layout : r->hdr.layout;
	if (replay_devsetup_in(&r->hdr, opts->path, opts->image_dir, r->layout, &r->ds, cause) < 0)
		goto fail;
	/* Only the run record needs the trace's identity; hashing a big trace is not free. */
	if (bus != NULL && (bus->mask & ((1u << VR_EV_RUN_BEGIN) | (1u << VR_EV_RUN_END))) &&
	    strcmp(opts->path, "-") != 0 && sha256_file(opts->path, digest, NULL) == 0)
		sha256_hex(digest, r->trace_sha);
	evbus_init(&r->dbus);
	mask = (1u << VR_EV_DMA) | (1u << VR_EV_IRQ) | (1u << VR_EV_TXN) | (1u << VR_EV_VIOLATION);
	if (bus != NULL)
		mask |= bus->mask;
	evbus_add(&r->dbus, mask, device_sink, r);
	if ((r->dev = vpci_new(&r->ds.setup, &r->dbus, cause)) == NULL) {
		cause_prefix(cause, "%s", opts->path);
		goto fail;
	}
	gmem_set_limit(vpci_gmem(r->dev), opts->mem_limit != 0 ? opts->mem_limit : REPLAY_MEM_LIMIT_DEFAULT);
	if (opts->checkpoints != NULL && ckpt_open(r, cause) < 0)
		goto fail;
	rp_budget_allow(r, 0);
	return r;
fail:
	replay_free(r);
	return NULL;
}

void replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	ckpt_file_close(r->ckpt, NULL);
	vpci_free(r->dev);
	replay_devsetup_release(&r->ds);
	trace_close(r->rd);
	buf_release(&r->arena);
	buf_release(&r->tmp);
	buf_release(&r->tmp2);
	buf_release(&r->ram);
	free(r->pend);
	free(r->first_report);
	free(r);
}

const struct replay_stats *replay_get_stats(const struct replay *r) { return &r->st; }
const char *replay_first_report(const struct replay *r) { return r->first_report; }
const struct trace_header *replay_get_header(const struct replay *r) { return &r->hdr; }
struct vpci *replay_device(struct replay *r) { return r->dev; }
uint64_t replay_vtime(const struct replay *r) { return r->vtime; }
unsigned replay_pending(const struct replay *r) { return r->npend; }

/*
 * --from: load the last checkpoint at or before `from` and position the
 * reader on the event after it. Nothing to do (replay from the start) if
 * the trace has none.
 */
static int seek_checkpoint(struct replay *r, char **cause)
{
	uint64_t at, t, next = 0, vtime = 0;
	struct trace_event ev;
	char *why = NULL;
	bool have_file = false;
	int rc;

	/*
	 * A checkpoint file's last one at or before `from` is used as it is:
	 * looking for a later one in the trace would read the interval twice
	 * more (the trace's own, if any, are verified on the way). --from
	 * beyond the end is still refused as without the file.
	 */
	if (r->ckpt != NULL && !r->ckpt_writing)
		have_file = ckpt_file_find(r->ckpt, r->opts.from, &next, &vtime, &r->tmp2) == 1;
	if (have_file && trace_seek(r->rd, r->opts.from, cause) < 0)
		return -1;
	rc = have_file ? 0 : replay_find_before(r->opts.path, r->opts.from, is_checkpoint, &at, &t, &why);
	if (rc < 0) {
		/* Most likely --from lies beyond the end: let the reader say so about N itself. */
		if (trace_seek(r->rd, r->opts.from, cause) == 0)
			cause_set(cause, "%s", why);
		free(why);
		return -1;
	}
	if (rc == 0 && have_file) {
		if (vpci_load(r->dev, r->tmp2.data, r->tmp2.len, &why) < 0) {
			/* Not this device's after all: from the start, which is always right. */
			free(why);
			return trace_seek(r->rd, 0, cause);
		}
		r->vtime = vtime;
		r->guest_seen = true;
		r->st.seeked_from = next - 1;
		/* The checkpoint holds the state after event next - 1. */
		return trace_seek(r->rd, next, cause);
	}
	if (rc == 0 || at == 0)
		return trace_seek(r->rd, 0, cause);
	if (trace_seek(r->rd, at, cause) < 0)
		return -1;
	if ((rc = trace_read(r->rd, &ev, cause)) <= 0)
		return rc < 0 ? -1 : cause_set(cause, "%s: event %" PRIu64 ": checkpoint vanished", r->opts.path, at);
	if (vpci_load(r->dev, ev.data, ev.len, &why) < 0) {
		/* A bad snapshot: fall back to replaying from the start, which reports it in order. */
		free(why);
		return trace_seek(r->rd, 0, cause);
	}
	r->vtime = t;
	r->guest_seen = true;
	r->st.seeked_from = at;
	/* Read the checkpoint again in the main loop: it is event `at`, reported if at == from. */
	return trace_seek(r->rd, at, cause);
}

static int apply(struct replay *r, const struct trace_event *ev, uint64_t no, uint64_t off, char **cause)
{
	uint64_t v;

	switch (ev->kind) {
	case TRACE_CFG_READ:
		r->guest_seen = true;
		v = vpci_cfg_read(r->dev, (uint32_t)ev->addr, ev->size);
		if (ev->has_value)
			rp_check_read(r, ev, v);
		break;
	case TRACE_CFG_WRITE:
		r->guest_seen = true;
		vpci_cfg_write(r->dev, (uint32_t)ev->addr, ev->size, ev->value);
		break;
	case TRACE_BAR_READ:
		r->guest_seen = true;
		v = vpci_bar_read(r->dev, ev->space, ev->addr, ev->size);
		if (ev->has_value)
			rp_check_read(r, ev, v);
		break;
	case TRACE_BAR_WRITE:
		r->guest_seen = true;
		rp_snoop_write(r, ev);
		vpci_bar_write(r->dev, ev->space, ev->addr, ev->size, ev->value);
		break;
	case TRACE_MEM:
		r->guest_seen = true;
		/* The guest's own store: outside its declared RAM the trace contradicts itself. */
		if (gmem_write(vpci_gmem(r->dev), ev->addr, ev->data, ev->len) < 0 &&
		    !gmem_over_limit(vpci_gmem(r->dev)))
			return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): guest store of %" PRIu32
			    " bytes at 0x%" PRIx64 " lies outside the declared RAM", r->opts.path, no, off, ev->len,
			    ev->addr);
		break;
	case TRACE_MEM_READ:
		r->guest_seen = true;
		return rp_check_mem_read(r, ev, no, off, cause);
	case TRACE_DMA:
		rp_match_dma(r, ev);
		break;
	case TRACE_IRQ:
		rp_match_irq(r, ev);
		break;
	case TRACE_INPUT: {
		struct vdev_input in = { .type = ev->space, .addr = ev->addr, .data = ev->data, .len = ev->len };
		char *why = NULL;

		r->guest_seen = true;
		if (vpci_input(r->dev, &in, &why) < 0) {
			cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): %s", r->opts.path, no, off,
			    why ? why : "input rejected by the device");
			free(why);
			return -1;
		}
		break;
	}
	case TRACE_CHECKPOINT:
		if (!r->guest_seen) {
			char *why = NULL;

			uint64_t seen = r->dev_violations;

			/* A trace that starts from a snapshot (cut): the device starts there. */
			if (vpci_load(r->dev, ev->data, ev->len, &why) < 0 && r->dev_violations == seen) {
				/* The device refused it without saying so: report the violation for it. */
				struct vr_event e;

				memset(&e, 0, sizeof(e));
				e.kind = VR_EV_VIOLATION;
				e.u.violation.name = violation_name(VIOL_CHECKPOINT_BAD);
				e.u.violation.queue = -1;
				e.u.violation.desc = -1;
				e.u.violation.detail = why ? why : "checkpoint rejected";
				evbus_emit(&r->dbus, &e);
			}
			free(why);
			r->guest_seen = true;
		} else if (!r->opts.no_checkpoint_verify && r->reporting) {
			rp_verify_checkpoint(r, ev);
		}
		break;
	case TRACE_TIME:
		r->vtime = ev->value;
		break;
	case TRACE_MARK:
		break;
	default:
		return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): unknown event kind %u",
		    r->opts.path, no, off, ev->kind);
	}
	return 0;
}

/*
 * After a guest event: QEMU's main loop turns before the next qtest command
 * (vpci_main_loop; a read changes nothing it polls). The qtest recorder
 * reads QEMU's MSI-X mailbox after register writes and inputs (and while it
 * waits), not after a RAM store or a register read, and an INTx change
 * reaches it with the next command's answer: in a recording without DMA,
 * what the device sent after one of those is recorded later, so it stays
 * pending, unchecked, until a register write or an input has been applied.
 */
static void main_loop_turn(struct replay *r, uint8_t kind)
{
	bool looked = kind == TRACE_CFG_WRITE || kind == TRACE_BAR_WRITE || kind == TRACE_INPUT;

	if (looked || kind == TRACE_MEM)
		vpci_main_loop(r->dev);
	if (looked)
		r->unlooked = false;
	else if (r->npend > 0 && !(r->hdr.recorded & TRACE_REC_DMA) && (kind == TRACE_MEM ||
	    kind == TRACE_CFG_READ || kind == TRACE_BAR_READ))
		r->unlooked = true;
}

static int replay_run_events(struct replay *r, char **cause);

/* What the program was doing, for xmalloc's out-of-memory message. */
static void oom_context(void *opaque, char *out, size_t n)
{
	const struct replay *r = opaque;

	snprintf(out, n, "replaying %s at event %" PRIu64 " (offset 0x%" PRIx64 ")", r->opts.path, r->dbus.event_no,
	    r->dbus.offset);
}

int replay_run(struct replay *r, char **cause)
{
	int outcome;

	xmalloc_context(oom_context, r);
	outcome = replay_run_events(r, cause);
	xmalloc_context(NULL, NULL);
	return outcome;
}

static int replay_run_events(struct replay *r, char **cause)
{
	struct trace_event ev;
	uint64_t every = r->opts.progress_every > 0 ? r->opts.progress_every : 65536, next_progress = every;
	bool complete = false, at_end = false;
	int rc;

	r->outcome = REPLAY_MATCHED;
	r->reporting = r->opts.from == 0;
	if (r->opts.from > 0 && seek_checkpoint(r, cause) < 0) {
		r->outcome = REPLAY_BADINPUT;
		r->reporting = true;
		emit_run(r, VR_EV_RUN_BEGIN, false);
		emit_run(r, VR_EV_RUN_END, false);
		return r->outcome;
	}
	if (r->reporting)
		emit_run(r, VR_EV_RUN_BEGIN, false);
	for (;;) {
		uint64_t no, off;

		if (r->opts.stop != NULL && *r->opts.stop) {
			r->outcome = REPLAY_STOPPED;
			break;
		}
		rc = trace_read(r->rd, &ev, cause);
		if (rc == 0) {
			complete = true;
			at_end = true;
			break;
		}
		if (rc < 0) {
			r->outcome = REPLAY_BADINPUT;
			break;
		}
		no = trace_event_no(r->rd);
		off = trace_event_offset(r->rd);
		/* --to M: event M and the outputs recorded after it, which are its answers. */
		if (no > r->opts.to && ev.kind != TRACE_DMA && ev.kind != TRACE_IRQ) {
			complete = true;
			at_end = true;
			break;
		}
		if (!r->reporting && no >= r->opts.from) {
			r->reporting = true;
			emit_run(r, VR_EV_RUN_BEGIN, false);
		}
		if (ev.kind == TRACE_TIME)
			r->vtime = ev.value;
		r->dbus.event_no = no;
		r->dbus.offset = off;
		r->dbus.vtime = r->vtime;
		if (r->ubus != NULL) {
			r->ubus->event_no = no;
			r->ubus->offset = off;
			r->ubus->vtime = r->vtime;
		}
		/* An output that cannot be written is bad usage (a full disk), as for the sinks. */
		if (r->ckpt_writing && ckpt_maybe_write(r, &ev, no, cause) < 0) {
			r->outcome = REPLAY_BADINPUT;
			break;
		}
		/* History first: a report made now names this event as the one that revealed it. */
		hist_push(r, &ev, no, off);
		/*
		 * A read-back of RAM only observes: the outputs of the last guest
		 * action may still be recorded after it (a guest polls the used
		 * ring before the interrupt shows). Marks and times are no guest
		 * action: QEMU's stderr line (a mark) can be read before the
		 * interrupts of the same moment are.
		 */
		if (r->npend == 0)
			r->unlooked = false;	/* recorded already: the recorder looked */
		if (ev.kind != TRACE_DMA && ev.kind != TRACE_IRQ && ev.kind != TRACE_MEM_READ && ev.kind != TRACE_MARK &&
		    ev.kind != TRACE_TIME && !r->unlooked) {
			if (r->npend > 0)
				rp_check_unmatched(r);
			memset(r->msix_seen, 0, sizeof r->msix_seen);
		}
		if (r->reporting) {
			r->st.events++;
			r->st.kinds[ev.kind < TRACE_KIND_COUNT ? ev.kind : 0]++;
			if (r->ubus != NULL && (r->ubus->mask & (1u << VR_EV_TRACE)))
				emit_trace(r, &ev);
		}
		if (!r->diverged_stop && apply(r, &ev, no, off, cause) < 0) {
			r->outcome = REPLAY_BADINPUT;
			break;
		}
		if (!r->diverged_stop)
			main_loop_turn(r, ev.kind);
		rp_budget_counted(r);
		if (rp_over_budget(r, cause) < 0) {
			r->outcome = REPLAY_BADINPUT;
			break;
		}
		if (r->diverged_stop) {
			/* Stopping at the first divergence is the normal end of a diverged run. */
			complete = true;
			break;
		}
		if (r->opts.progress != NULL && no >= next_progress) {
			r->opts.progress(r->opts.progress_opaque, no, off);
			next_progress = no + every;
		}
	}
	/* Outputs produced by the last guest event and never recorded. */
	if (at_end && !r->diverged_stop && r->npend > 0)
		rp_check_unmatched(r);
	if (r->ckpt_writing) {
		/* A failed write of the checkpoint file is the run's error, unless it already has one. */
		char *why = NULL;
		int crc = ckpt_file_close(r->ckpt, &why);

		r->ckpt = NULL;
		r->ckpt_writing = false;
		if (crc < 0 && (r->outcome == REPLAY_MATCHED || r->outcome == REPLAY_STOPPED) && cause != NULL) {
			r->outcome = REPLAY_BADINPUT;
			*cause = why;
			why = NULL;
		}
		free(why);
	}
	if (r->outcome == REPLAY_MATCHED && r->st.divergences > 0)
		r->outcome = REPLAY_DIVERGED;
	if (!r->reporting) {
		/* --from beyond the end: nothing reported, but the run still has its begin and end. */
		r->reporting = true;
		emit_run(r, VR_EV_RUN_BEGIN, false);
	}
	emit_run(r, VR_EV_RUN_END, complete && r->outcome != REPLAY_BADINPUT && r->outcome != REPLAY_STOPPED);
	return r->outcome;
}
