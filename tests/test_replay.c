/* test_replay.c -- Criterion suite for the replay engine, the recorder and the scenario table */
#include <criterion/criterion.h>
#include "vr/sha256.h"
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/event.h"
#include "vr/record.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/violation.h"

/* ---- helpers ---- */

static char *tmp_path(const char *ext)
{
	char tmpl[] = "/tmp/test_replay.XXXXXX";
	int fd = mkstemp(tmpl);
	char *p;

	cr_assert(fd >= 0);
	close(fd);
	unlink(tmpl);
	cr_assert(asprintf(&p, "%s%s", tmpl, ext) > 0);
	return p;
}

static void record_to(const char *path, const char *device, const char *scenario, uint64_t seed, uint64_t count,
    uint64_t ckpt)
{
	struct record_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof(o));
	o.device = device;
	o.scenario = scenario;
	o.out = path;
	o.format = -1;
	o.layout = -1;
	o.seed = seed;
	o.count = count;
	o.checkpoint_every = ckpt;
	cr_assert_eq(record_run(&o, &cause), 0, "record %s/%s: %s", device, scenario, cause ? cause : "");
}

/* What a sink saw: counts per kind and a digest of every transaction in order. */
struct seen {
	uint64_t kinds[VR_EV_KIND_COUNT];
	uint64_t last_trace_no;
	bool order_ok;
	struct buf txns;		/* "queue head type fields status\n" from first_txn_event on */
	uint64_t txn_from;
	char first_violation[40];
	uint64_t first_violation_no;
	char divergence_field[96];
	bool run_end_complete;
	char outcome[32];
};

static void sink(void *opaque, const struct vr_event *ev)
{
	struct seen *s = opaque;

	s->kinds[ev->kind]++;
	switch (ev->kind) {
	case VR_EV_TRACE:
		if (s->kinds[VR_EV_TRACE] > 1 && ev->event_no <= s->last_trace_no)
			s->order_ok = false;
		s->last_trace_no = ev->event_no;
		break;
	case VR_EV_TXN:
		if (ev->event_no >= s->txn_from)
			buf_printf(&s->txns, "%u %u %s %s %s @%llu\n", ev->u.txn.queue, ev->u.txn.head,
			    ev->u.txn.type ? ev->u.txn.type : "", ev->u.txn.fields ? ev->u.txn.fields : "",
			    ev->u.txn.status ? ev->u.txn.status : "", (unsigned long long)ev->event_no);
		break;
	case VR_EV_VIOLATION:
		if (s->first_violation[0] == '\0') {
			snprintf(s->first_violation, sizeof(s->first_violation), "%s", ev->u.violation.name);
			s->first_violation_no = ev->event_no;
		}
		break;
	case VR_EV_DIVERGENCE:
		if (s->divergence_field[0] == '\0')
			snprintf(s->divergence_field, sizeof(s->divergence_field), "%s", ev->u.divergence.field);
		break;
	case VR_EV_RUN_END:
		s->run_end_complete = ev->u.run.complete;
		snprintf(s->outcome, sizeof(s->outcome), "%s", ev->u.run.outcome);
		break;
	default:
		break;
	}
}

static int replay_with(const char *path, uint64_t from, uint64_t to, bool lenient, struct seen *s,
    struct replay_stats *out_stats, char **cause)
{
	struct replay_opts o;
	struct evbus bus;
	struct replay *r;
	int rc;

	memset(s, 0, sizeof(*s));
	s->order_ok = true;
	s->txn_from = from;
	buf_init(&s->txns);
	evbus_init(&bus);
	evbus_add(&bus, EVBUS_ALL, sink, s);
	memset(&o, 0, sizeof(o));
	o.path = path;
	o.layout = -1;
	o.from = from;
	o.to = to;
	o.lenient = lenient;
	if ((r = replay_new(&o, &bus, cause)) == NULL)
		return -1;
	rc = replay_run(r, cause);
	if (out_stats != NULL)
		*out_stats = *replay_get_stats(r);
	replay_free(r);
	return rc;
}

/* Rewrite a trace, letting edit() change (or drop: return false) each event; recorded: the header's new outputs. */
static void rewrite_rec(const char *in, const char *out, bool (*edit)(struct trace_event *ev, uint64_t no, void *arg),
    void *arg, int recorded)
{
	struct trace_reader *rd;
	struct trace_writer *w;
	struct trace_event ev;
	struct trace_header h;
	char *cause = NULL;
	uint8_t *copy = NULL;
	int rc;

	rd = trace_open(in, &cause);
	cr_assert_not_null(rd, "%s", cause);
	h = *trace_header(rd);
	if (recorded >= 0)
		h.recorded = (uint32_t)recorded;
	w = trace_writer_open(out, TRACE_FMT_TEXT, 0, &h, &cause);
	cr_assert_not_null(w, "%s", cause);
	while ((rc = trace_read(rd, &ev, &cause)) == 1) {
		free(copy);
		copy = NULL;
		if (ev.len > 0) {
			copy = malloc(ev.len);
			memcpy(copy, ev.data, ev.len);
			ev.data = copy;
		}
		if (edit(&ev, trace_event_no(rd), arg))
			cr_assert_eq(trace_write(w, &ev, &cause), 0, "%s", cause);
	}
	free(copy);
	cr_assert_eq(rc, 0, "%s", cause);
	cr_assert_eq(trace_writer_close(w, &cause), 0, "%s", cause);
	trace_close(rd);
}

static void rewrite(const char *in, const char *out, bool (*edit)(struct trace_event *ev, uint64_t no, void *arg),
    void *arg)
{
	rewrite_rec(in, out, edit, arg, -1);
}

/* ---- record + replay ---- */

Test(replay, every_device_basic_matches)
{
	static const char *const devs[] = { "blk", "net", "scsi", "rng", "console" };

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		char *p = tmp_path(".vrt"), *cause = NULL;
		struct replay_stats st;
		struct seen s;

		record_to(p, devs[i], "basic", 1, 0, 0);
		cr_assert_eq(replay_with(p, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_MATCHED, "%s: %s", devs[i],
		    cause ? cause : "");
		cr_expect_gt(st.txns, 0, "%s: no transactions", devs[i]);
		cr_expect_gt(st.irqs, 0, "%s: no interrupts", devs[i]);
		cr_expect_eq(st.divergences, 0);
		cr_expect(s.order_ok);
		cr_expect_eq(s.kinds[VR_EV_RUN_BEGIN], 1);
		cr_expect_eq(s.kinds[VR_EV_RUN_END], 1);
		cr_expect_eq(s.kinds[VR_EV_TRACE], st.events, "one TRACE event per trace event");
		cr_expect(s.run_end_complete);
		cr_expect_str_eq(s.outcome, "matched");
		buf_release(&s.txns);
		unlink(p);
		free(p);
	}
}

Test(replay, binary_and_text_give_the_same_transactions)
{
	char *t = tmp_path(".vrt"), *b = tmp_path(".vrb"), *cause = NULL;
	struct seen st, sb;

	record_to(t, "scsi", "basic", 4, 0, 0);
	record_to(b, "scsi", "basic", 4, 0, 0);
	cr_assert_eq(replay_with(t, 0, UINT64_MAX, false, &st, NULL, &cause), REPLAY_MATCHED);
	cr_assert_eq(replay_with(b, 0, UINT64_MAX, false, &sb, NULL, &cause), REPLAY_MATCHED);
	cr_assert_gt(st.txns.len, 0);
	cr_expect_eq(st.txns.len, sb.txns.len);
	cr_expect_eq(memcmp(st.txns.data, sb.txns.data, st.txns.len), 0);
	buf_release(&st.txns);
	buf_release(&sb.txns);
	unlink(t);
	unlink(b);
	free(t);
	free(b);
}

Test(record, same_seed_same_bytes)
{
	char *a = tmp_path(".vrb"), *b = tmp_path(".vrb");
	FILE *fa, *fb;
	int ca, cb;

	record_to(a, "net", "basic", 9, 0, 20);
	record_to(b, "net", "basic", 9, 0, 20);
	fa = fopen(a, "rb");
	fb = fopen(b, "rb");
	cr_assert(fa && fb);
	do {
		ca = fgetc(fa);
		cb = fgetc(fb);
		cr_assert_eq(ca, cb, "recordings with the same seed differ");
	} while (ca != EOF);
	fclose(fa);
	fclose(fb);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}

Test(record, one_scenario_per_violation)
{
	for (int v = 1; v < VIOL_COUNT; v++) {
		const char *name = violation_name((enum violation)v);
		const struct record_scenario *s;

		cr_assert_not_null(name);
		s = record_find(name);
		cr_expect_not_null(s, "no scenario for violation %s", name);
		if (s != NULL)
			cr_expect(record_scenario_supports(s, "blk"));
	}
	cr_expect_null(record_find("no-such-scenario"));
}

Test(record, scenario_device_lists)
{
	const struct record_scenario *basic = record_find("basic"), *wrap = record_find("wrap");

	cr_assert(basic && wrap);
	cr_expect(record_scenario_supports(basic, "console"));
	cr_expect(record_scenario_supports(wrap, "blk"));
	cr_expect_not(record_scenario_supports(wrap, "net"));
	cr_expect_not(record_scenario_supports(wrap, "bl"));
}

Test(record, unknown_scenario_and_device_fail)
{
	struct record_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof(o));
	o.scenario = "nope";
	o.out = "/dev/null";
	o.layout = -1;
	o.format = -1;
	cr_expect_eq(record_run(&o, &cause), -1);
	cr_expect_not_null(cause);
	free(cause);
	cause = NULL;
	o.scenario = "wrap";
	o.device = "rng";
	cr_expect_eq(record_run(&o, &cause), -1);
	cr_expect(cause != NULL && strstr(cause, "does not run on rng") != NULL);
	free(cause);
}

/* Each misbehaviour scenario: replay reports that violation and still matches. */
Test(replay, misbehaviour_reported_and_survived)
{
	static const char *const cases[] = { "desc-loop", "avail-head-range", "indirect-nested", "features-bad",
		"queue-not-ready", "checkpoint-bad", "devcfg-range" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = tmp_path(".vrt"), *cause = NULL;
		struct replay_stats st;
		struct seen s;

		record_to(p, "blk", cases[i], 0, 0, 0);
		cr_assert_eq(replay_with(p, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_MATCHED, "%s: %s",
		    cases[i], cause ? cause : "");
		cr_expect_str_eq(s.first_violation, cases[i]);
		cr_expect_geq(st.violations, 1);
		cr_expect_str_eq(st.viol[0].name, cases[i]);
		cr_expect_eq(st.viol[0].event_no, s.first_violation_no);
		buf_release(&s.txns);
		unlink(p);
		free(p);
	}
}

/* ---- divergences ---- */

static bool bump_status_read(struct trace_event *ev, uint64_t no, void *arg)
{
	uint64_t *which = arg;

	(void)no;
	if (ev->kind == TRACE_BAR_READ && ev->has_value && ev->space == 4 && ev->addr == 0x14 && (*which)-- == 1)
		ev->value ^= 0x40;
	return true;
}

Test(replay, read_value_divergence_names_the_register)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	uint64_t which = 3;
	struct replay_stats st;
	struct seen s;
	struct replay_opts o;
	struct replay *r;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite(p, q, bump_status_read, &which);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_DIVERGED);
	cr_expect_str_eq(s.divergence_field, "common.device_status");
	cr_expect_eq(st.divergences, 1);
	cr_expect_eq(s.kinds[VR_EV_DIVERGENCE], 1);
	cr_expect(s.run_end_complete, "stopping at the first divergence is a complete run");
	cr_expect_str_eq(s.outcome, "diverged");
	/* The stop is at the divergence: the trace has more events than were replayed. */
	cr_expect_eq(s.last_trace_no, st.first_divergence);
	buf_release(&s.txns);

	memset(&o, 0, sizeof(o));
	o.path = q;
	o.layout = -1;
	o.to = UINT64_MAX;
	r = replay_new(&o, NULL, &cause);
	cr_assert_not_null(r);
	cr_assert_eq(replay_run(r, &cause), REPLAY_DIVERGED);
	cr_assert_not_null(replay_first_report(r));
	cr_expect(strstr(replay_first_report(r), ": divergence in common.device_status\n") != NULL);
	cr_expect(strstr(replay_first_report(r), "expected: 0x") != NULL);
	cr_expect(strstr(replay_first_report(r), "last 8 events:") != NULL);
	cr_expect(strstr(replay_first_report(r), "status 0x") != NULL);
	replay_free(r);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

static bool change_irq_vectors(struct trace_event *ev, uint64_t no, void *arg)
{
	(void)no;
	(void)arg;
	if (ev->kind == TRACE_IRQ && ev->space == TRACE_IRQ_MSIX)
		ev->value += 3;
	return true;
}

Test(replay, lenient_counts_every_divergence)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct replay_stats st, base;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite(p, q, change_irq_vectors, NULL);
	cr_assert_eq(replay_with(p, 0, UINT64_MAX, false, &s, &base, &cause), REPLAY_MATCHED);
	buf_release(&s.txns);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, true, &s, &st, &cause), REPLAY_DIVERGED);
	cr_expect_str_eq(s.divergence_field, "msix vector");
	cr_expect_eq(st.divergences, base.irqs, "one divergence per changed interrupt");
	cr_expect_eq(st.events, base.events, "lenient replays to the end");
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

static bool drop_dma_and_irq(struct trace_event *ev, uint64_t no, void *arg)
{
	(void)no;
	(void)arg;
	return ev->kind != TRACE_DMA && ev->kind != TRACE_IRQ;
}

Test(replay, outputs_are_not_invented)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct replay_stats st;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite(p, q, drop_dma_and_irq, NULL);
	/* The header still says dma and irq are recorded: every produced one is a divergence. */
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_DIVERGED);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
	(void)st;
}

static bool dma_byte(struct trace_event *ev, uint64_t no, void *arg)
{
	bool *done = arg;

	(void)no;
	if (!*done && ev->kind == TRACE_DMA && ev->len == 8) {
		((uint8_t *)ev->data)[5] ^= 1;	/* used element len, byte 1 */
		*done = true;
	}
	return true;
}

Test(replay, used_ring_field_is_named)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	bool done = false;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite(p, q, dma_byte, &done);
	cr_assert(done);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, NULL, &cause), REPLAY_DIVERGED);
	cr_expect(strstr(s.divergence_field, "used.ring[") != NULL && strstr(s.divergence_field, "].len") != NULL,
	    "field %s", s.divergence_field);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

/* ---- guest read-backs (mem-read), as a QEMU recording has them instead of DMA ---- */

struct readback {
	uint64_t flip_no;	/* event whose byte to change; UINT64_MAX: none */
	uint32_t flip_byte;
	uint64_t nth_used_elem;	/* flip the n-th 8-byte read-back (a used element): set flip_no */
	uint64_t seen_elems;
};

/* Every device DMA becomes the guest reading those bytes back: what a qtest log of the same run shows. */
static bool dma_to_mem_read(struct trace_event *ev, uint64_t no, void *arg)
{
	struct readback *rb = arg;

	if (ev->kind != TRACE_DMA)
		return true;
	ev->kind = TRACE_MEM_READ;
	if (ev->len == 8 && ++rb->seen_elems == rb->nth_used_elem)
		rb->flip_no = no;
	if (no == rb->flip_no)
		((uint8_t *)ev->data)[rb->flip_byte] ^= 1;
	return true;
}

Test(replay, mem_read_matches_simulated_ram_without_dma_events)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct readback rb = { .flip_no = UINT64_MAX };
	struct replay_stats st;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite_rec(p, q, dma_to_mem_read, &rb, TRACE_REC_IRQ);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_MATCHED, "%s", s.divergence_field);
	cr_expect_gt(st.kinds[TRACE_MEM_READ], 10);
	cr_expect_eq(st.kinds[TRACE_DMA], 0);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

Test(replay, mem_read_mismatch_names_the_ring_field)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct readback rb = { .flip_no = UINT64_MAX, .flip_byte = 5, .nth_used_elem = 2 };
	struct replay_stats st;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite_rec(p, q, dma_to_mem_read, &rb, TRACE_REC_IRQ);
	cr_assert_neq(rb.flip_no, UINT64_MAX);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, &st, &cause), REPLAY_DIVERGED);
	cr_expect_eq(st.first_divergence, rb.flip_no);
	cr_expect_str_eq(s.divergence_field, "requestq.used.ring[1].len");
	buf_release(&s.txns);
	/* Lenient: the one planted difference is counted and the replay goes on to the end. */
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, true, &s, &st, &cause), REPLAY_DIVERGED);
	cr_expect_eq(st.divergences, 1);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

static bool flip_first_buffer_read(struct trace_event *ev, uint64_t no, void *arg)
{
	bool *done = arg;

	(void)no;
	if (ev->kind == TRACE_DMA)
		ev->kind = TRACE_MEM_READ;
	/* The first long read-back is data the device wrote into a guest buffer (a disk read). */
	if (!*done && ev->kind == TRACE_MEM_READ && ev->len >= 64) {
		((uint8_t *)ev->data)[ev->len - 1] ^= 0x80;
		*done = true;
	}
	return true;
}

Test(replay, mem_read_mismatch_in_a_buffer)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	bool done = false;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite_rec(p, q, flip_first_buffer_read, &done, TRACE_REC_IRQ);
	cr_assert(done);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, NULL, &cause), REPLAY_DIVERGED);
	cr_expect_str_eq(s.divergence_field, "requestq.buffer");
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

static bool read_outside_ram(struct trace_event *ev, uint64_t no, void *arg)
{
	(void)no;
	(void)arg;
	if (ev->kind == TRACE_DMA) {
		ev->kind = TRACE_MEM_READ;
		ev->addr = 0x1000;	/* below the declared RAM */
	}
	return true;
}

Test(replay, mem_read_outside_ram_is_a_bad_trace)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct seen s;

	record_to(p, "blk", "basic", 0, 0, 0);
	rewrite_rec(p, q, read_outside_ram, NULL, TRACE_REC_IRQ);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, NULL, &cause), REPLAY_BADINPUT);
	cr_expect(strstr(cause, "guest read of") != NULL && strstr(cause, "outside the declared RAM") != NULL,
	    "%s", cause);
	free(cause);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

/* ---- bad traces ---- */

static bool store_outside_ram(struct trace_event *ev, uint64_t no, void *arg)
{
	if (no == *(uint64_t *)arg && ev->kind == TRACE_MEM)
		ev->addr = 0x1000;
	return true;
}

Test(replay, guest_store_outside_ram_is_a_bad_trace)
{
	char *p = tmp_path(".vrt"), *q = tmp_path(".vrt"), *cause = NULL;
	struct trace_reader *rd;
	struct trace_event ev;
	struct seen s;
	uint64_t n = 0;

	record_to(p, "blk", "basic", 0, 0, 0);
	/* Find a mem event to move. */
	rd = trace_open(p, &cause);
	cr_assert_not_null(rd);
	while (trace_read(rd, &ev, &cause) == 1)
		if (ev.kind == TRACE_MEM && trace_event_no(rd) > 140 && n == 0)
			n = trace_event_no(rd);
	trace_close(rd);
	cr_assert_gt(n, 140);
	rewrite(p, q, store_outside_ram, &n);
	cr_assert_eq(replay_with(q, 0, UINT64_MAX, false, &s, NULL, &cause), REPLAY_BADINPUT);
	cr_assert_not_null(cause);
	{
		char want[64];

		snprintf(want, sizeof(want), ": event %llu (offset 0x", (unsigned long long)n);
		cr_expect(strstr(cause, want) != NULL, "%s", cause);
	}
	cr_expect(strstr(cause, "outside the declared RAM") != NULL, "%s", cause);
	cr_expect_not(s.run_end_complete);
	cr_expect_str_eq(s.outcome, "bad-input");
	free(cause);
	buf_release(&s.txns);
	unlink(p);
	unlink(q);
	free(p);
	free(q);
}

Test(replay, missing_trace)
{
	struct replay_opts o;
	char *cause = NULL;

	memset(&o, 0, sizeof(o));
	o.path = "/nonexistent/trace.vrt";
	o.layout = -1;
	o.to = UINT64_MAX;
	cr_expect_null(replay_new(&o, NULL, &cause));
	cr_expect_not_null(cause);
	free(cause);
}

/* ---- seeking ---- */

Test(replay, from_checkpoint_equals_full_replay)
{
	char *p = tmp_path(".vrb"), *cause = NULL;
	static const uint64_t froms[] = { 1, 700, 1500, 2222, 3100 };
	struct replay_stats st;
	struct seen full, part;

	record_to(p, "blk", "bulk", 3, 250, 400);
	for (size_t i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		/* Full replay, keeping only transactions from froms[i] on. */
		memset(&full, 0, sizeof(full));
		{
			struct replay_opts o;
			struct evbus bus;
			struct replay *r;

			full.order_ok = true;
			full.txn_from = froms[i];
			buf_init(&full.txns);
			evbus_init(&bus);
			evbus_add(&bus, EVBUS_ALL, sink, &full);
			memset(&o, 0, sizeof(o));
			o.path = p;
			o.layout = -1;
			o.to = UINT64_MAX;
			r = replay_new(&o, &bus, &cause);
			cr_assert_not_null(r);
			cr_assert_eq(replay_run(r, &cause), REPLAY_MATCHED);
			replay_free(r);
		}
		cr_assert_eq(replay_with(p, froms[i], UINT64_MAX, false, &part, &st, &cause), REPLAY_MATCHED);
		cr_expect(froms[i] < 400 || st.seeked_from != UINT64_MAX, "--from %llu did not use a checkpoint",
		    (unsigned long long)froms[i]);
		cr_expect(st.seeked_from == UINT64_MAX || st.seeked_from <= froms[i]);
		cr_assert_gt(full.txns.len, 0);
		cr_expect_eq(full.txns.len, part.txns.len, "--from %llu", (unsigned long long)froms[i]);
		cr_expect_eq(memcmp(full.txns.data, part.txns.data, full.txns.len), 0, "--from %llu",
		    (unsigned long long)froms[i]);
		cr_expect_eq(part.kinds[VR_EV_TRACE], st.events);
		buf_release(&full.txns);
		buf_release(&part.txns);
	}
	unlink(p);
	free(p);
}

static bool is_ckpt(const struct trace_event *ev)
{
	return ev->kind == TRACE_CHECKPOINT;
}

Test(replay, find_before)
{
	char *p = tmp_path(".vrt"), *cause = NULL;
	uint64_t at = 0, t = 0;

	record_to(p, "blk", "bulk", 1, 100, 300);
	cr_assert_eq(replay_find_before(p, 10, is_ckpt, &at, &t, &cause), 0);
	cr_assert_eq(replay_find_before(p, 1000, is_ckpt, &at, &t, &cause), 1);
	cr_expect_leq(at, 1000);
	cr_expect_geq(at, 600);
	cr_expect_gt(t, 0, "checkpoints follow a time event");
	unlink(p);
	free(p);
}

/* Make dir/name hold `data`; returns its SHA-256 in digest. */
static void put_file(const char *dir, const char *name, const char *data, uint8_t digest[32])
{
	char path[512];
	FILE *f;
	struct sha256 s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(data, f);
	fclose(f);
	sha256_init(&s);
	sha256_update(&s, data, strlen(data));
	sha256_final(&s, digest);
}

/* replay_devsetup_in on image `name`: 0, or -1 with the cause checked to contain `want`. */
static int devsetup_image(struct trace_header *h, const char *trace, const char *dir, const char *name,
    const char *want)
{
	struct replay_devsetup ds;
	char *cause = NULL;
	int rc;

	snprintf(h->backend[0].image, sizeof(h->backend[0].image), "%s", name);
	rc = replay_devsetup_in(h, trace, dir, -1, &ds, &cause);
	if (rc == 0) {
		cr_expect(ds.backend[0].has_fd);
		cr_expect_null(ds.backend[0].sha256);
		replay_devsetup_release(&ds);
		cr_expect(!ds.backend[0].has_fd);
	} else {
		cr_assert_not_null(cause);
		cr_expect(want != NULL && strstr(cause, want) != NULL, "cause %s lacks %s", cause, want ? want : "(nothing: success wanted)");
		cr_expect(strstr(cause, ": header: backend 0: image ") != NULL, "cause '%s'", cause);
		free(cause);
	}
	return rc;
}

Test(replay, devsetup_confines_images)
{
	char top[] = "/tmp/vr-img.XXXXXX", sub[64], trace[96], other[32], path[128], wrong_hex[65];
	struct trace_header h;
	struct replay_devsetup ds;
	uint8_t digest[32], secret[32];
	char *cause = NULL;

	cr_assert_not_null(mkdtemp(top));
	snprintf(sub, sizeof(sub), "%s/sub", top);
	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(trace, sizeof(trace), "%s/x.vrt", sub);
	put_file(sub, "disk.img", "image bytes", digest);
	put_file(top, "secret", "not for the guest", secret);
	trace_header_init(&h);
	h.device = 2;
	h.nram = 1;
	h.ram[0].base = 0;
	h.ram[0].size = 1 << 20;
	h.nbackends = 1;
	snprintf(h.backend[0].type, sizeof(h.backend[0].type), "disk");
	h.backend[0].size = 4096;
	h.backend[0].has_image = true;
	memcpy(h.backend[0].sha256, digest, 32);

	/* Next to the trace, or in the directory the user names. */
	snprintf(h.backend[0].image, sizeof(h.backend[0].image), "disk.img");
	cr_assert_eq(replay_devsetup(&h, trace, 1, &ds, &cause), 0);
	snprintf(path, sizeof(path), "%s/disk.img", sub);
	cr_expect_str_eq(ds.backend[0].image, path);
	cr_expect_eq(ds.setup.layout, 1);
	replay_devsetup_release(&ds);
	cr_expect_eq(devsetup_image(&h, "elsewhere.vrt", sub, "disk.img", NULL), 0);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "./disk.img", NULL), 0);

	/* Out of the directory: absolute, "..", a symbolic link (even one pointing inside), a link on the way. */
	memcpy(h.backend[0].sha256, secret, 32);
	snprintf(path, sizeof(path), "%s/secret", top);
	cr_expect_eq(devsetup_image(&h, trace, NULL, path, "absolute path is refused"), -1);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "../secret", "'..' component is refused"), -1);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "a/../../secret", "'..' component is refused"), -1);
	snprintf(path, sizeof(path), "%s/link", sub);
	cr_assert_eq(symlink("../secret", path), 0);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "link", "symbolic link"), -1);
	snprintf(path, sizeof(path), "%s/up", sub);
	cr_assert_eq(symlink("..", path), 0);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "up/secret", "symbolic link or not a directory"), -1);
	/* Not a regular file: a FIFO is refused without waiting for a writer, a directory too. */
	snprintf(path, sizeof(path), "%s/fifo", sub);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "fifo", "not a regular file"), -1);
	snprintf(other, sizeof(other), "sub");
	cr_expect_eq(devsetup_image(&h, trace, top, other, "not a regular file"), -1);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "missing.img", "No such file"), -1);
	/* A wrong hash names the header's, never the file's own. */
	memcpy(h.backend[0].sha256, secret, 32);
	sha256_hex(digest, wrong_hex);
	cr_expect_eq(devsetup_image(&h, trace, NULL, "disk.img", "do not match the header's sha256"), -1);
	snprintf(h.backend[0].image, sizeof(h.backend[0].image), "disk.img");
	cr_expect_eq(replay_devsetup(&h, trace, -1, &ds, &cause), -1);
	cr_expect(strstr(cause, wrong_hex) == NULL, "the file's own hash leaked: %s", cause);
	free(cause);
	cause = NULL;

	h.device = 99;
	cr_expect_eq(replay_devsetup(&h, "a/b.vrt", -1, &ds, &cause), -1);
	cr_expect_not_null(cause);
	free(cause);
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	cr_expect_eq(system(path), 0);
}

Test(replay, outcome_names)
{
	cr_expect_str_eq(replay_outcome_name(REPLAY_MATCHED), "matched");
	cr_expect_str_eq(replay_outcome_name(REPLAY_DIVERGED), "diverged");
	cr_expect_str_eq(replay_outcome_name(REPLAY_BADINPUT), "bad-input");
	cr_expect_str_eq(replay_outcome_name(REPLAY_STOPPED), "stopped");
	cr_expect_str_eq(replay_outcome_name(42), "error");
}

Test(replay, stop_flag_stops_at_an_event_boundary)
{
	char *p = tmp_path(".vrb"), *cause = NULL;
	volatile sig_atomic_t stop = 1;
	struct replay_opts o;
	struct replay *r;
	struct evbus bus;
	struct seen s;

	record_to(p, "blk", "bulk", 1, 50, 0);
	memset(&s, 0, sizeof(s));
	buf_init(&s.txns);
	evbus_init(&bus);
	evbus_add(&bus, EVBUS_ALL, sink, &s);
	memset(&o, 0, sizeof(o));
	o.path = p;
	o.layout = -1;
	o.to = UINT64_MAX;
	o.stop = &stop;
	r = replay_new(&o, &bus, &cause);
	cr_assert_not_null(r);
	cr_expect_eq(replay_run(r, &cause), REPLAY_STOPPED);
	cr_expect_eq(s.kinds[VR_EV_RUN_END], 1);
	cr_expect_not(s.run_end_complete);
	cr_expect_str_eq(s.outcome, "stopped");
	replay_free(r);
	buf_release(&s.txns);
	unlink(p);
	free(p);
}
