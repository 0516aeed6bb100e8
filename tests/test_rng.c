/* test_rng.c -- virtio-rng through the model guest: entropy only from the trace, starvation waits */
#include "dev-harness.h"
#include "vr/vdev.h"

/* The device layer mirrors the trace layer's input types: they must agree. */
_Static_assert(VDEV_IN_FRAME == TRACE_INPUT_FRAME, "frame");
_Static_assert(VDEV_IN_ENTROPY == TRACE_INPUT_ENTROPY, "entropy");
_Static_assert(VDEV_IN_DISK == TRACE_INPUT_DISK, "disk");
_Static_assert(VDEV_IN_CONSOLE == TRACE_INPUT_CONSOLE, "console");
_Static_assert(VDEV_IN_EVENT == TRACE_INPUT_EVENT && TRACE_INPUT_COUNT == 5, "event");

static struct harness H;

static void teardown(void)
{
	h_close(&H);
}

TestSuite(rng, .fini = teardown);
TestSuite(rng_state);

static int post(uint32_t len)
{
	struct guest_buf ib = { 0, len, NULL };

	return h_submit(&H, 0, NULL, 0, &ib, 1);
}

Test(rng, serves_trace_entropy_in_order)
{
	uint8_t e[16], got[16];
	struct guest_used u;

	h_open(&H, "rng", 0, 0);
	for (unsigned i = 0; i < sizeof e; i++)
		e[i] = (uint8_t)(0xa0 + i);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	post(8);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 8);
	h_read_in(&H, 0, u.head, 0, got, 8);
	cr_expect_eq(memcmp(got, e, 8), 0);
	h_expect(&H, "rng IN len=8 status=OK");
	/* A bigger request gets what is left: a partial fill, like QEMU. */
	post(64);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 8);
	h_read_in(&H, 0, u.head, 0, got, 8);
	cr_expect_eq(memcmp(got, e + 8, 8), 0);
}

Test(rng, starved_request_waits_for_entropy)
{
	uint8_t e[4] = { 1, 2, 3, 4 }, got[4];
	struct guest_used u;

	h_open(&H, "rng", 0, 0);
	post(4);
	cr_expect(h_nothing_used(&H, 0), "a request was answered with invented bytes");
	cr_expect_eq(H.nnote, 1);
	cr_expect(strstr(H.note, "no entropy left") != NULL, "%s", H.note);
	/* Kicking again does not repeat the note. */
	guest_notify(H.g, 0);
	cr_expect_eq(H.nnote, 1);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4);
	h_read_in(&H, 0, u.head, 0, got, 4);
	cr_expect_eq(memcmp(got, e, 4), 0);
}

/* QEMU asks its backend for the chains' device-writable bytes: none, no request, nothing popped. */
Test(rng, qemu_asks_for_the_writable_bytes_posted)
{
	uint8_t e[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, o[8] = { 0 }, got[4];
	struct guest_buf ob = { 0, 8, o };
	struct guest_used u;

	h_open(&H, "rng", 0, 0);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	h_submit(&H, 0, &ob, 1, NULL, 0);
	cr_expect(h_nothing_used(&H, 0), "a chain with no device-writable byte was served");
	/* Then both are posted: one round of 4 bytes pops the readable chain first (0 bytes), then the other. */
	post(4);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 0);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4);
	h_read_in(&H, 0, u.head, 0, got, 4);
	cr_expect_eq(memcmp(got, e, 4), 0);
}

/*
 * A kick whose avail ring names a head past the queue behind two posted
 * requests, with entropy there for both. qemu: QEMU's virtio_rng_process
 * counts the posted bytes first (virtqueue_get_avail_bytes), meets the
 * head, and virtio_error breaks the device before a byte is served. vbox:
 * the requests are served, the pop of the bad head stops the queue.
 */
Test(rng, bad_head_breaks_before_serving)
{
	static const int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };

	for (int l = 0; l < 2; l++) {
		uint8_t e[16] = { 1 };
		struct guest_buf ib = { 0, 4, NULL };
		struct vpci_setup s;
		char *cause = NULL;
		uint16_t idx;

		memset(&s, 0, sizeof s);
		s.layout = layouts[l];
		h_open_setup(&H, "rng", &s, 0);
		h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
		for (int k = 0; k < 2; k++)
			cr_assert_geq(guest_add(H.g, 0, NULL, 0, &ib, 1, 0, &cause), 0);
		idx = guest_avail_idx(H.g, 0);
		guest_raw_avail_ring(H.g, 0, idx, 0xfff0);
		guest_raw_avail_idx(H.g, 0, (uint16_t)(idx + 1));
		guest_notify(H.g, 0);
		cr_expect(h_saw_violation(&H, "avail-head-range"), "layout %d", l);
		cr_expect_eq(vpci_status(H.d) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
		cr_expect_eq(H.ntxn, l == 0 ? 0u : 2u, "layout %d: %u requests served", l, H.ntxn);
		h_close(&H);
	}
	memset(&H, 0, sizeof H);
}

/* A request posted (avail idx published) and not kicked, under a layout. */
static void post_quiet(uint32_t len)
{
	struct guest_buf ib = { 0, len, NULL };
	char *cause = NULL;

	cr_assert_geq(guest_add(H.g, 0, NULL, 0, &ib, 1, 0, &cause), 0, "guest_add: %s", cause ? cause : "?");
}

static void open_layout(int layout)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	s.layout = layout;
	h_open_setup(&H, "rng", &s, 0);
}

/*
 * Entropy that comes while a request is posted but not kicked: QEMU has
 * asked its backend for nothing (virtio_rng_process runs on a kick or a
 * status write), so the bytes wait in the backend until the kick. vbox:
 * the strict model serves at once.
 */
Test(rng, posted_not_kicked_waits_for_the_kick_under_qemu)
{
	uint8_t e[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, got[8];
	struct guest_used u;

	open_layout(TRACE_LAYOUT_QEMU);
	post_quiet(8);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	cr_expect(h_nothing_used(&H, 0), "served before QEMU asked its backend");
	guest_notify(H.g, 0);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 8);
	h_read_in(&H, 0, u.head, 0, got, 8);
	cr_expect_eq(memcmp(got, e, 8), 0);
	h_close(&H);

	open_layout(TRACE_LAYOUT_VBOX);
	post_quiet(8);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 8);
}

/*
 * A request outstanding across a reset (QEMU's backend keeps it): after
 * the device is up again it reads at most what it asked for (4 bytes) into
 * whatever is posted then, kicked or not; the rest waits for the next ask.
 */
Test(rng, a_request_outlives_a_reset_under_qemu)
{
	uint8_t e[16], got[16];
	struct guest_used u;
	char *cause = NULL;

	for (unsigned i = 0; i < sizeof e; i++)
		e[i] = (uint8_t)(0x40 + i);
	open_layout(TRACE_LAYOUT_QEMU);
	post(4);
	cr_expect(h_nothing_used(&H, 0));
	guest_reset(H.g);
	cr_assert_eq(guest_init(H.g, &cause), 0, "guest_init: %s", cause ? cause : "?");
	post_quiet(16);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4, "the old request of 4 bytes served %u", u.len);
	h_read_in(&H, 0, u.head, 0, got, 4);
	cr_expect_eq(memcmp(got, e, 4), 0);
	/* its chain used, nothing is asked for: the other 12 bytes wait for a kick */
	post_quiet(8);
	cr_expect(h_nothing_used(&H, 0));
	guest_notify(H.g, 0);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 8);
	h_read_in(&H, 0, u.head, 0, got, 8);
	cr_expect_eq(memcmp(got, e + 4, 8), 0);
}

/*
 * Two kicks for the same chain are two requests: the second one reads its
 * bytes when they come and, with no chain left, throws them away.
 */
Test(rng, a_second_kick_asks_again_under_qemu)
{
	uint8_t e[12], got[4];
	struct guest_used u;

	for (unsigned i = 0; i < sizeof e; i++)
		e[i] = (uint8_t)(0x80 + i);
	open_layout(TRACE_LAYOUT_QEMU);
	post(4);
	guest_notify(H.g, 0);
	h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4);
	cr_expect(h_nothing_used(&H, 0));
	post(4);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4);
	h_read_in(&H, 0, u.head, 0, got, 4);
	cr_expect_eq(memcmp(got, e + 8, 4), 0, "the second request's bytes were not thrown away");
}

Test(rng, other_inputs_are_bad_input)
{
	uint8_t b[4] = { 0 };
	char *cause = NULL;

	h_open(&H, "rng", 0, 0);
	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_DISK, 0, b, 4, &cause), -1);
	cr_expect(cause && strstr(cause, "not entropy"));
	free(cause);
}

Test(rng_state, save_load_roundtrip_and_checks)
{
	const struct vdev_ops *ops = vdev_find("rng");
	struct vdev_setup s = { 0 };
	char *cause = NULL;
	/* version 2, not starved, status DRIVER_OK|..., 4 pool bytes, one run of two 16-byte backend requests */
	uint8_t blob[] = { 2, 0, 0x0f, 4, 0, 0, 0, 9, 8, 7, 6, 1, 0, 0, 0, 16, 0, 0, 0, 2, 0, 0, 0 };
	struct buf b;
	void *r = ops->create(NULL, &s, &cause);

	cr_assert_not_null(r);
	cr_assert_eq(ops->load(r, blob, sizeof blob, &cause), 0);
	buf_init(&b);
	ops->save(r, &b);
	cr_expect_eq(b.len, sizeof blob);
	cr_expect_eq(memcmp(b.data, blob, sizeof blob), 0);
	cr_expect_eq(ops->load(r, blob, sizeof blob - 1, &cause), -1);	/* requests shorter than declared */
	free(cause);
	cause = NULL;
	blob[19] = 0;
	cr_expect_eq(ops->load(r, blob, sizeof blob, &cause), -1);	/* a run of no request */
	free(cause);
	cause = NULL;
	blob[0] = 1;
	cr_expect_eq(ops->load(r, blob, sizeof blob, &cause), -1);	/* unknown version */
	free(cause);
	buf_release(&b);
	ops->destroy(r);
}

Test(rng, random_requests_survive)
{
	static const unsigned qs[] = { 0 };
	static uint8_t e[16384];

	for (unsigned i = 0; i < sizeof e; i++)
		e[i] = (uint8_t)i;
	h_open(&H, "rng", 0, 0);
	for (int round = 0; round < 10; round++) {
		h_input(&H, TRACE_INPUT_ENTROPY, 0, e, sizeof e);
		h_fuzz(&H, qs, 1, 30, 31u + (uint32_t)round, NULL);
	}
	cr_expect_gt(H.ntxn, 20, "only %u requests completed", H.ntxn);
}
