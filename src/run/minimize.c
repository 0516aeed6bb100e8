/* minimize.c -- delta debugging over a trace: fewest events, then fewest bytes, with the same outcome */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/event.h"
#include "vr/minimize.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/vpci.h"
#include "vr/xmalloc.h"

/* One event of the trace as loaded, with the byte window a candidate keeps of its payload. */
struct mev {
	struct trace_event ev;		/* ev.data is NULL here: the payload lives in the arena */
	size_t data_off;		/* payload in m->arena */
	uint32_t skip;			/* payload bytes dropped from the front */
	uint32_t len;			/* payload bytes kept */
	bool pinned;			/* part of the starting state: never removed */
	bool in;			/* in the current candidate */
};

struct min {
	const struct min_opts *o;
	struct trace_header hdr;
	struct mev *ev;
	size_t nev;
	struct buf arena;
	char path[4096];		/* the scratch candidate */
	char image_dir[4096];		/* where the original's disk images are */
	struct min_spec spec;
	/* outcome of the replay just run */
	int status;			/* 0 matched, 1 diverged, 2 bad input, 3 error */
	bool diverged;
	char div_what[32], div_field[96];
	uint64_t div_event, viol_event;
	bool viol_seen;			/* spec.violation occurred (or, AUTO: any) */
	char first_viol[40];
	/* what must be kept */
	char keep_what[32], keep_field[96];
	uint64_t replays, max_replays;
	bool budget_hit;
	/* A cut: the candidate starts from this device state instead of the events before it. */
	bool cut;
	uint64_t cut_vtime;
	uint64_t cut_at;		/* event of the original the cut starts at */
	struct buf ckpt;
};



int min_spec_parse(const char *s, struct min_spec *spec, char **cause)
{
	memset(spec, 0, sizeof(*spec));
	if (strcmp(s, "diverge") == 0) {
		spec->keep = MIN_KEEP_DIVERGE;
		return 0;
	}
	if (strncmp(s, "violation:", 10) == 0 && s[10] != '\0' && strlen(s + 10) < sizeof(spec->violation)) {
		spec->keep = MIN_KEEP_VIOLATION;
		snprintf(spec->violation, sizeof(spec->violation), "%s", s + 10);
		return 0;
	}
	if (strncmp(s, "exit:", 5) == 0 && s[5] >= '0' && s[5] <= '2' && s[6] == '\0') {
		spec->keep = MIN_KEEP_EXIT;
		spec->exit_status = s[5] - '0';
		return 0;
	}
	return cause_set(cause, "bad --keep '%s' (diverge, violation:NAME or exit:0|1|2)", s);
}

static bool is_guest_kind(uint8_t kind)
{
	switch (kind) {
	case TRACE_MARK:
	case TRACE_TIME:
	case TRACE_CHECKPOINT:
	case TRACE_DMA:
	case TRACE_IRQ:
		return false;
	default:
		return true;
	}
}

/* Whether trimming the front of the payload moves the address (memory and disk offsets) or not. */
static bool front_moves_addr(const struct trace_event *ev)
{
	return ev->kind == TRACE_MEM || (ev->kind == TRACE_INPUT && ev->space == TRACE_INPUT_DISK);
}

static int load(struct min *m, char **cause)
{
	struct trace_reader *rd;
	struct trace_event ev;
	size_t cap = 0;
	bool guest_seen = false;
	int rc;

	if ((rd = trace_open(m->o->in, cause)) == NULL)
		return -1;
	m->hdr = *trace_header(rd);
	while ((rc = trace_read(rd, &ev, cause)) == 1) {
		struct mev *e;

		if (m->nev >= MIN_MAX_EVENTS) {
			trace_close(rd);
			return cause_set(cause, "%s: more than %u events: cut the trace first (virtio-replay cut)",
			    m->o->in, MIN_MAX_EVENTS);
		}
		if (m->nev == cap) {
			cap = cap ? cap * 2 : 1024;
			m->ev = xreallocarray(m->ev, cap, sizeof(*m->ev));
		}
		e = &m->ev[m->nev++];
		memset(e, 0, sizeof(*e));
		e->ev = ev;
		e->ev.data = NULL;
		e->data_off = m->arena.len;
		e->len = ev.len;
		buf_add(&m->arena, ev.data, ev.len);
		/* The starting state of a cut trace: its time and checkpoint come before any guest event. */
		if (!guest_seen && (ev.kind == TRACE_TIME || ev.kind == TRACE_CHECKPOINT))
			e->pinned = true;
		if (is_guest_kind(ev.kind))
			guest_seen = true;
		e->in = true;
	}
	trace_close(rd);
	return rc < 0 ? -1 : 0;
}

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct min *m = opaque;

	if (ev->kind == VR_EV_DIVERGENCE && !m->diverged) {
		m->diverged = true;
		m->div_event = ev->event_no;
		snprintf(m->div_what, sizeof(m->div_what), "%s", ev->u.divergence.what ? ev->u.divergence.what : "");
		snprintf(m->div_field, sizeof(m->div_field), "%s",
		    ev->u.divergence.field ? ev->u.divergence.field : "");
	} else if (ev->kind == VR_EV_VIOLATION) {
		const char *name = ev->u.violation.name ? ev->u.violation.name : "";

		if (m->first_viol[0] == '\0') {
			snprintf(m->first_viol, sizeof(m->first_viol), "%s", name);
			if (m->spec.keep != MIN_KEEP_VIOLATION)
				m->viol_event = ev->event_no;
		}
		if (m->spec.keep == MIN_KEEP_VIOLATION && !m->viol_seen && strcmp(name, m->spec.violation) == 0) {
			m->viol_seen = true;
			m->viol_event = ev->event_no;
		}
	}
}

/* Write the current candidate: the header as it stands and every event still in. */
static int write_candidate(struct min *m, const char *path, enum trace_fmt fmt, int level, const char *mark,
    char **cause)
{
	struct trace_writer *w;
	struct trace_event ev;

	if ((w = trace_writer_open(path, fmt, level, &m->hdr, cause)) == NULL)
		return -1;
	if (mark != NULL) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = TRACE_MARK;
		ev.data = (const uint8_t *)mark;
		ev.len = (uint32_t)strlen(mark);
		if (trace_write(w, &ev, cause) < 0)
			goto fail;
	}
	if (m->cut && m->cut_vtime > 0) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = TRACE_TIME;
		ev.value = m->cut_vtime;
		if (trace_write(w, &ev, cause) < 0)
			goto fail;
	}
	if (m->cut) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = TRACE_CHECKPOINT;
		ev.data = m->ckpt.data;
		ev.len = (uint32_t)m->ckpt.len;
		if (trace_write(w, &ev, cause) < 0)
			goto fail;
	}
	for (size_t i = 0; i < m->nev; i++) {
		const struct mev *e = &m->ev[i];

		if (!e->in && !e->pinned)
			continue;
		ev = e->ev;
		ev.data = m->arena.data + e->data_off + e->skip;
		ev.len = e->len;
		if (e->skip > 0 && front_moves_addr(&e->ev))
			ev.addr += e->skip;
		if (trace_write(w, &ev, cause) < 0)
			goto fail;
	}
	return trace_writer_close(w, cause);
fail:
	trace_writer_close(w, NULL);
	return -1;
}

/* Replay the current candidate; fills m->status and what the sinks saw. -1 only if it cannot be written. */
static int run_candidate(struct min *m, char **cause)
{
	struct replay_opts ro;
	struct replay *r;
	struct evbus bus;
	char *why = NULL;
	int outcome;

	if (write_candidate(m, m->path, TRACE_FMT_BINARY, 1, NULL, cause) < 0)
		return -1;
	m->replays++;
	m->diverged = false;
	m->viol_seen = false;
	m->first_viol[0] = '\0';
	m->div_event = m->viol_event = UINT64_MAX;
	evbus_init(&bus);
	evbus_add(&bus, (1u << VR_EV_DIVERGENCE) | (1u << VR_EV_VIOLATION), on_event, m);
	memset(&ro, 0, sizeof(ro));
	ro.path = m->path;
	ro.layout = m->o->layout;
	ro.to = UINT64_MAX;
	/* A violation is the guest's doing: divergences on the way to it must not stop the replay. */
	ro.lenient = m->spec.keep == MIN_KEEP_VIOLATION;
	ro.image_dir = m->image_dir;
	if ((r = replay_new(&ro, &bus, &why)) == NULL) {
		m->status = 2;
	} else {
		outcome = replay_run(r, &why);
		m->status = outcome == REPLAY_MATCHED ? 0 : outcome == REPLAY_DIVERGED ? 1 :
		    outcome == REPLAY_BADINPUT ? 2 : 3;
		replay_free(r);
	}
	free(why);
	if (m->o->progress != NULL) {
		uint64_t n = 0;

		for (size_t i = 0; i < m->nev; i++)
			n += m->ev[i].in || m->ev[i].pinned;
		m->o->progress(m->o->progress_opaque, m->replays, n);
	}
	return 0;
}

static bool outcome_kept(const struct min *m)
{
	switch (m->spec.keep) {
	case MIN_KEEP_DIVERGE:
		return m->status == 1 && m->diverged && strcmp(m->div_what, m->keep_what) == 0 &&
		    strcmp(m->div_field, m->keep_field) == 0;
	case MIN_KEEP_VIOLATION:
		return m->viol_seen && m->status != 3;
	case MIN_KEEP_EXIT:
		return m->status == m->spec.exit_status;
	default:
		return false;
	}
}

/* 1: the candidate keeps the outcome; 0: it does not (or the budget is spent); -1: error. */
static int test(struct min *m, char **cause)
{
	if (m->replays >= m->max_replays) {
		m->budget_hit = true;
		return 0;
	}
	if (run_candidate(m, cause) < 0)
		return -1;
	return outcome_kept(m) ? 1 : 0;
}

/* Drop every event after `last` that is not pinned; keep the cut if the outcome holds. */
static int cut_after(struct min *m, uint64_t last, char **cause)
{
	size_t changed = 0;
	int t;

	for (size_t i = (size_t)last + 1; i < m->nev; i++)
		if (m->ev[i].in && !m->ev[i].pinned) {
			m->ev[i].in = false;
			changed++;
		}
	if (changed == 0)
		return 0;
	if ((t = test(m, cause)) < 0)
		return -1;
	if (t == 0)
		for (size_t i = (size_t)last + 1; i < m->nev; i++)
			m->ev[i].in = true;
	return 0;
}

/* ddmin, complements only: remove chunks of the events still in, halving the chunk size when stuck. */
static int ddmin_events(struct min *m, char **cause)
{
	size_t *cur = xcalloc(m->nev + 1, sizeof(*cur));
	size_t len = 0, n = 2;
	int rc = -1;

	for (size_t i = 0; i < m->nev; i++)
		if (m->ev[i].in && !m->ev[i].pinned)
			cur[len++] = i;
	while (len > 0 && !m->budget_hit) {
		size_t chunk, start = 0;
		bool removed = false;

		if (n > len)
			n = len;
		chunk = (len + n - 1) / n;
		while (start < len && !m->budget_hit) {
			size_t end = start + chunk < len ? start + chunk : len;
			int t;

			for (size_t k = start; k < end; k++)
				m->ev[cur[k]].in = false;
			if ((t = test(m, cause)) < 0)
				goto out;
			if (t == 1) {
				memmove(cur + start, cur + end, (len - end) * sizeof(*cur));
				len -= end - start;
				removed = true;
			} else {
				for (size_t k = start; k < end; k++)
					m->ev[cur[k]].in = true;
				start = end;
			}
		}
		if (removed)
			n = n > 2 ? n - 1 : 2;
		else if (n >= len)
			break;
		else
			n = n * 2 < len ? n * 2 : len;
	}
	rc = 0;
out:
	free(cur);
	return rc;
}

/* Shrink one payload: drop halves, quarters... from its end, then from its front. */
static int shrink_bytes(struct min *m, struct mev *e, char **cause)
{
	for (int front = 0; front <= 1; front++) {
		uint32_t step = e->len / 2;

		while (step > 0 && e->len > 1 && !m->budget_hit) {
			uint32_t skip0 = e->skip, len0 = e->len;
			int t;

			if (step >= e->len)
				step = e->len - 1;
			if (front)
				e->skip += step;
			e->len -= step;
			if ((t = test(m, cause)) < 0)
				return -1;
			if (t == 0) {
				e->skip = skip0;
				e->len = len0;
				step /= 2;
			}
		}
	}
	return 0;
}

static int shrink_header(struct min *m, char **cause)
{
	struct trace_header saved = m->hdr;
	int t;

	m->hdr.title[0] = '\0';		/* replay never reads it */
	if (m->hdr.devcfg_len > 0) {
		saved = m->hdr;
		m->hdr.devcfg_len = 0;
		if ((t = test(m, cause)) < 0)
			return -1;
		if (t == 0)
			m->hdr = saved;
	}
	while (m->hdr.nqueues > 1 && !m->budget_hit) {
		saved = m->hdr;
		m->hdr.nqueues--;
		if ((t = test(m, cause)) < 0)
			return -1;
		if (t == 0) {
			m->hdr = saved;
			break;
		}
	}
	for (unsigned i = m->hdr.nram; i-- > 0 && m->hdr.nram > 1 && !m->budget_hit;) {
		saved = m->hdr;
		memmove(&m->hdr.ram[i], &m->hdr.ram[i + 1], (m->hdr.nram - i - 1) * sizeof(m->hdr.ram[0]));
		m->hdr.nram--;
		if ((t = test(m, cause)) < 0)
			return -1;
		if (t == 0)
			m->hdr = saved;
	}
	return 0;
}

/*
 * The device state after the candidate's first `pos` events (file order),
 * into m->ckpt and m->cut_vtime: what `virtio-replay cut` computes.
 */
static int state_before(struct min *m, uint64_t pos, char **cause)
{
	struct replay_opts ro;
	struct replay *r;
	int outcome, rc = -1;

	if (write_candidate(m, m->path, TRACE_FMT_BINARY, 1, NULL, cause) < 0)
		return -1;
	memset(&ro, 0, sizeof(ro));
	ro.path = m->path;
	ro.layout = m->o->layout;
	ro.image_dir = m->image_dir;
	ro.from = ro.to = pos - 1;
	ro.lenient = true;
	ro.no_checkpoint_verify = true;
	if ((r = replay_new(&ro, NULL, cause)) == NULL)
		return -1;
	m->replays++;
	outcome = replay_run(r, cause);
	if (outcome != REPLAY_BADINPUT && outcome != REPLAY_ERROR) {
		buf_reset(&m->ckpt);
		vpci_save(replay_device(r), &m->ckpt);
		m->cut_vtime = replay_vtime(r);
		rc = 0;
	}
	replay_free(r);
	return rc;
}

/*
 * A long trace whose outcome comes late mostly sets up state. Binary search
 * for the latest guest event the candidate can start at, from a checkpoint
 * of the state there, and keep that cut. Assumes that if a start works, an
 * earlier one does too (true for the state a replay carries forward).
 */
static int cut_search(struct min *m, char **cause)
{
	size_t *inc = xcalloc(m->nev + 1, sizeof(*inc));
	size_t *guest = xcalloc(m->nev + 1, sizeof(*guest));
	bool *was_in = xcalloc(m->nev + 1, sizeof(*was_in)), *was_pinned = xcalloc(m->nev + 1, sizeof(*was_pinned));
	size_t ninc = 0, ng = 0, lo = 0, hi;
	int rc = -1;

	for (size_t i = 0; i < m->nev; i++) {
		was_in[i] = m->ev[i].in;
		was_pinned[i] = m->ev[i].pinned;
		if (!m->ev[i].in && !m->ev[i].pinned)
			continue;
		if (!m->ev[i].pinned && is_guest_kind(m->ev[i].ev.kind))
			guest[ng++] = ninc;
		inc[ninc++] = i;
	}
	hi = ng > 0 ? ng - 1 : 0;
	while (lo < hi && !m->budget_hit) {
		size_t mid = lo + (hi - lo + 1) / 2;
		int t;

		if (state_before(m, guest[mid], cause) < 0)
			goto out;
		for (size_t k = 0; k < guest[mid]; k++)
			m->ev[inc[k]].in = m->ev[inc[k]].pinned = false;
		m->cut = true;
		if ((t = test(m, cause)) < 0)
			goto out;
		m->cut = false;
		for (size_t k = 0; k < guest[mid]; k++) {
			m->ev[inc[k]].in = was_in[inc[k]];
			m->ev[inc[k]].pinned = was_pinned[inc[k]];
		}
		if (t == 1)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo > 0 && state_before(m, guest[lo], cause) < 0)
		goto out;
	if (lo > 0) {
		m->cut_at = inc[guest[lo]];
		for (size_t k = 0; k < guest[lo]; k++)
			m->ev[inc[k]].in = m->ev[inc[k]].pinned = false;
		m->cut = true;
	}
	rc = 0;
out:
	free(inc);
	free(guest);
	free(was_in);
	free(was_pinned);
	return rc;
}

static void count(const struct min *m, uint64_t *events, uint64_t *bytes)
{
	*events = *bytes = 0;
	for (size_t i = 0; i < m->nev; i++) {
		const struct mev *e = &m->ev[i];

		if (!e->in && !e->pinned)
			continue;
		++*events;
		if (e->ev.kind == TRACE_MEM || e->ev.kind == TRACE_INPUT)
			*bytes += e->len;
	}
	if (m->cut)
		*events += m->cut_vtime > 0 ? 2 : 1;
}

/* Decide what to keep from the original's own replay (AUTO), and check the original shows it. */
static int resolve_spec(struct min *m, struct min_result *res, char **cause)
{
	int t;

	if (run_candidate(m, cause) < 0)
		return -1;
	if (m->status >= 2)
		return cause_set(cause, "%s: the trace itself does not replay (%s): nothing to minimize", m->o->in,
		    m->status == 2 ? "bad input" : "internal error");
	if (m->spec.keep == MIN_KEEP_AUTO) {
		if (m->diverged) {
			m->spec.keep = MIN_KEEP_DIVERGE;
		} else if (m->first_viol[0] != '\0') {
			m->spec.keep = MIN_KEEP_VIOLATION;
			snprintf(m->spec.violation, sizeof(m->spec.violation), "%s", m->first_viol);
			/* Run again so viol_event is the first occurrence of that name. */
			if (run_candidate(m, cause) < 0)
				return -1;
		} else {
			m->spec.keep = MIN_KEEP_EXIT;
			m->spec.exit_status = m->status;
		}
	}
	snprintf(m->keep_what, sizeof(m->keep_what), "%s", m->div_what);
	snprintf(m->keep_field, sizeof(m->keep_field), "%s", m->div_field);
	if ((t = outcome_kept(m) ? 1 : 0) == 0) {
		if (m->spec.keep == MIN_KEEP_DIVERGE)
			return cause_set(cause, "%s: the trace does not diverge: nothing to keep (try --keep exit:%d)",
			    m->o->in, m->status);
		if (m->spec.keep == MIN_KEEP_VIOLATION)
			return cause_set(cause, "%s: no violation %s occurs in the trace", m->o->in, m->spec.violation);
		return cause_set(cause, "%s: the trace exits %d, not %d", m->o->in, m->status, m->spec.exit_status);
	}
	res->spec = m->spec;
	switch (m->spec.keep) {
	case MIN_KEEP_DIVERGE:
		snprintf(res->what, sizeof(res->what), "divergence %.31s at %.95s", m->keep_what,
		    m->keep_field[0] ? m->keep_field : "?");
		break;
	case MIN_KEEP_VIOLATION:
		snprintf(res->what, sizeof(res->what), "violation %s", m->spec.violation);
		break;
	default:
		snprintf(res->what, sizeof(res->what), "exit status %d", m->spec.exit_status);
		break;
	}
	return 0;
}

int minimize_trace(const struct min_opts *o, struct min_result *res, char **cause)
{
	struct min m;
	uint64_t n, bytes;
	char mark[512];
	int rc = -1, fmt;

	memset(&m, 0, sizeof(m));
	memset(res, 0, sizeof(*res));
	m.o = o;
	m.spec = o->spec;
	m.max_replays = o->max_replays ? o->max_replays : MIN_DEFAULT_REPLAYS;
	buf_init(&m.arena);
	buf_init(&m.ckpt);
	if ((size_t)snprintf(m.path, sizeof(m.path), "%s/candidate.vrb", o->scratch_dir) >= sizeof(m.path)) {
		cause_set(cause, "%s: scratch directory path too long", o->scratch_dir);
		goto out;
	}
	if (o->image_dir != NULL) {
		snprintf(m.image_dir, sizeof(m.image_dir), "%s", o->image_dir);
	} else {
		const char *slash = strrchr(o->in, '/');

		if (slash == NULL)
			snprintf(m.image_dir, sizeof(m.image_dir), ".");
		else
			snprintf(m.image_dir, sizeof(m.image_dir), "%.*s", (int)(slash - o->in + 1), o->in);
	}
	if (load(&m, cause) < 0)
		goto out;
	count(&m, &res->events_before, &res->bytes_before);
	if (resolve_spec(&m, res, cause) < 0)
		goto out;
	/* Replay stops at the first divergence: nothing after the event that revealed it matters. */
	if (m.spec.keep == MIN_KEEP_DIVERGE && m.div_event != UINT64_MAX && cut_after(&m, m.div_event, cause) < 0)
		goto out;
	if (m.spec.keep == MIN_KEEP_VIOLATION && m.viol_event != UINT64_MAX && cut_after(&m, m.viol_event, cause) < 0)
		goto out;
	count(&m, &n, &bytes);
	if (n > MIN_CUT_EVENTS && cut_search(&m, cause) < 0)
		goto out;
	if (ddmin_events(&m, cause) < 0)
		goto out;
	for (size_t i = 0; i < m.nev && !m.budget_hit; i++) {
		struct mev *e = &m.ev[i];

		if (e->in && !e->pinned && (e->ev.kind == TRACE_MEM || e->ev.kind == TRACE_INPUT) &&
		    shrink_bytes(&m, e, cause) < 0)
			goto out;
	}
	if (!m.budget_hit && shrink_header(&m, cause) < 0)
		goto out;
	count(&m, &res->events_after, &res->bytes_after);
	res->replays = m.replays;
	res->cut = m.cut;
	res->cut_at = m.cut_at;
	res->checkpoint_bytes = m.cut ? m.ckpt.len : 0;
	res->budget_hit = m.budget_hit;
	snprintf(mark, sizeof(mark), "minimized from %.300s (%" PRIu64 " events), keeping %s", o->in,
	    res->events_before, res->what);
	/* A mark is one line of printable text, whatever bytes the file name holds. */
	buf_one_line(mark, true);
	fmt = trace_format_from_name(o->out);
	if (write_candidate(&m, o->out, fmt < 0 ? TRACE_FMT_TEXT : (enum trace_fmt)fmt, 0, mark, cause) < 0)
		goto out;
	res->events_after++;	/* the mark */
	rc = 0;
out:
	remove(m.path);
	free(m.ev);
	buf_release(&m.arena);
	buf_release(&m.ckpt);
	return rc;
}
