/* test_misbehave.c -- one test per guest misbehaviour (ARCHITECTURE.md section 3), under both profiles */
#include <string.h>

#include <criterion/criterion.h>

#include "vr/gmem.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "vr/virtq.h"
#include "testdev.h"

#define F(b) (1ull << (b))
#define QEMU TRACE_LAYOUT_QEMU
#define VBOX TRACE_LAYOUT_VBOX
#define DATA 0x200000ull
#define TABLE 0x300000ull

static const int layouts[2] = { QEMU, VBOX };

static void up(struct harness *h, int layout, uint16_t qmax)
{
	harness_init(h, layout, 0, 2, qmax);
	harness_up(h, GUEST_IRQ_MSIX);
	harness_clear(h);
}

/* Publish head at the guest's next avail slot and notify. */
static void push(struct harness *h, unsigned q, uint16_t head)
{
	uint16_t idx = guest_avail_idx(h->g, q);
	guest_raw_avail_ring(h->g, q, idx, head);
	guest_raw_avail_idx(h->g, q, (uint16_t)(idx + 1));
	guest_notify(h->g, q);
}

/* One well-formed echo request on q: did it complete? */
static bool works(struct harness *h, unsigned q)
{
	uint8_t b[4] = { 9, 8, 7, 6 };
	struct guest_buf o = { 0, 4, b }, in = { 0, 4, NULL };
	if (guest_add(h->g, q, &o, 1, &in, 1, 0, NULL) < 0)
		return false;
	guest_notify(h->g, q);
	struct guest_used u;
	return guest_poll(h->g, q, &u) == 1;
}

static void expect_violation(struct harness *h, const char *name)
{
	cr_assert_geq(harness_count(h, VR_EV_VIOLATION, name), 1, "no %s violation", name);
	const struct rec_ev *e = harness_last(h, VR_EV_VIOLATION);
	cr_assert_str_eq(e->name, name);
}

/*
 * A fatal chain violation: NEEDS_RESET + a config interrupt. qemu: the whole
 * device ignores requests until reset; vbox: only queue q stops. A reset
 * brings everything back.
 */
static void expect_fatal(struct harness *h, int layout, const char *name, unsigned q)
{
	expect_violation(h, name);
	cr_assert_eq(vpci_status(h->d), 0x4f, "%s: status 0x%02x", name, vpci_status(h->d));
	cr_assert_geq(guest_irq_count(h->g, 0), 1, "%s: no config interrupt", name);
	cr_assert_not(works(h, q), "%s: violating queue still works", name);
	if (layout == QEMU)
		cr_assert_not(works(h, q ^ 1), "%s: qemu device not broken", name);
	else
		cr_assert(works(h, q ^ 1), "%s: vbox stopped the wrong queue", name);
	harness_up(h, GUEST_IRQ_MSIX);
	cr_assert_eq(vpci_status(h->d), 0x0f);
	cr_assert(works(h, q), "%s: no recovery after reset", name);
}

static void expect_harmless(struct harness *h, const char *name)
{
	expect_violation(h, name);
	cr_assert_eq(vpci_status(h->d), 0x0f, "%s: status 0x%02x", name, vpci_status(h->d));
	cr_assert(works(h, 0));
	cr_assert(works(h, 1));
}

Test(misbehave, c01_desc_loop)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 10, DATA, 16, VIRTQ_DESC_F_NEXT, 11);
		guest_raw_desc(h.g, 0, 11, DATA, 16, VIRTQ_DESC_F_NEXT, 10);
		push(&h, 0, 10);
		expect_fatal(&h, layouts[l], "desc-loop", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c02_desc_next_range)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 10, DATA, 16, VIRTQ_DESC_F_NEXT, 64);
		push(&h, 0, 10);
		expect_fatal(&h, layouts[l], "desc-next-range", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c03_avail_head_range)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		push(&h, 1, 64);
		expect_fatal(&h, layouts[l], "avail-head-range", 1);
		harness_fini(&h);
	}
}

Test(misbehave, c04_avail_idx_jump)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		cr_assert(works(&h, 0));		/* leaves a valid descriptor 0 in the table */
		uint32_t before = testdev_requests(h.d);
		guest_raw_avail_idx(h.g, 0, (uint16_t)(guest_avail_idx(h.g, 0) + 100));
		guest_notify(h.g, 0);
		if (layouts[l] == QEMU) {
			/*
			 * QEMU pops the stale slots (all head 0) and completes them; the
			 * work bound lets one notify take a queue's worth (64), the next
			 * notify the rest.
			 */
			expect_violation(&h, "avail-idx-jump");
			cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 1);
			cr_assert_eq(testdev_requests(h.d), before + 64);
			guest_notify(h.g, 0);
			cr_assert_eq(testdev_requests(h.d), before + 100);
			cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 1, "the same jump is reported once");
			cr_assert_eq(vpci_status(h.d), 0x0f);
		} else {
			cr_assert_eq(testdev_requests(h.d), before);
			expect_fatal(&h, VBOX, "avail-idx-jump", 0);
		}
		harness_fini(&h);
	}
}

Test(misbehave, c05_indirect_bad_len)
{
	uint32_t lens[3] = { 0, 24, 16 * 1025 };
	for (int l = 0; l < 2; l++) {
		/* QEMU takes a table of any non-zero multiple of 16 bytes (c05_indirect_big_table) */
		for (int k = 0; k < (layouts[l] == QEMU ? 2 : 3); k++) {
			struct harness h;
			up(&h, layouts[l], 64);
			guest_raw_desc(h.g, 0, 3, TABLE, lens[k], VIRTQ_DESC_F_INDIRECT, 0);
			push(&h, 0, 3);
			expect_fatal(&h, layouts[l], "indirect-bad-len", 0);
			harness_fini(&h);
		}
	}
}

static void indirect_entry(struct harness *h, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t d[16];
	le64_store(d, addr);
	le32_store(d + 8, len);
	le16_store(d + 12, flags);
	le16_store(d + 14, next);
	guest_raw_mem(h->g, TABLE + 16ull * i, d, 16);
}

/* A table of 1100 entries, a chain of its entries 0 and 1099: QEMU serves it, vbox refuses the length. */
Test(misbehave, c05_indirect_big_table)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		uint8_t b[4] = { 1, 2, 3, 4 };
		up(&h, layouts[l], 64);
		guest_raw_mem(h.g, DATA, b, 4);
		indirect_entry(&h, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1099);
		indirect_entry(&h, 1099, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
		guest_raw_desc(h.g, 0, 3, TABLE, 16 * 1100, VIRTQ_DESC_F_INDIRECT, 0);
		push(&h, 0, 3);
		if (layouts[l] == QEMU) {
			cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
			cr_assert_eq(harness_count(&h, VR_EV_TXN, "echo"), 1);
			cr_assert_eq(vpci_status(h.d), 0x0f);
		} else {
			expect_fatal(&h, VBOX, "indirect-bad-len", 0);
		}
		harness_fini(&h);
	}
}

/*
 * INDIRECT inside a table: vbox refuses the chain; QEMU looks at INDIRECT on
 * the head only, so the descriptor is a 32-byte buffer (reported, served).
 */
Test(misbehave, c06_indirect_nested)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		indirect_entry(&h, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
		indirect_entry(&h, 1, TABLE + 0x100, 32, VIRTQ_DESC_F_INDIRECT, 0);
		guest_raw_desc(h.g, 0, 3, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
		push(&h, 0, 3);
		if (layouts[l] == QEMU) {
			expect_violation(&h, "indirect-nested");
			cr_assert_eq(harness_count(&h, VR_EV_TXN, "echo"), 1);
			cr_assert_eq(vpci_status(h.d), 0x0f);
		} else {
			expect_fatal(&h, VBOX, "indirect-nested", 0);
		}
		harness_fini(&h);
	}
}

/* INDIRECT on a later descriptor of a direct chain: QEMU takes it as a buffer, vbox (the spec) as a table. */
Test(misbehave, c06_indirect_after_head)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		indirect_entry(&h, 0, DATA + 0x100, 64, VIRTQ_DESC_F_WRITE, 0);
		guest_raw_desc(h.g, 0, 3, DATA, 4, VIRTQ_DESC_F_NEXT, 4);
		guest_raw_desc(h.g, 0, 4, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
		push(&h, 0, 3);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, NULL), 0);
		cr_assert_eq(vpci_status(h.d), 0x0f);
		cr_assert_eq(harness_count(&h, VR_EV_TXN, "echo"), 1);
		/* the echo device writes what it read (4 bytes) into the IN room: the table itself (qemu) or its buffer */
		uint8_t t[4];
		gmem_read(vpci_gmem(h.d), layouts[l] == QEMU ? TABLE : DATA + 0x100, t, 4);
		uint8_t d[4];
		gmem_read(vpci_gmem(h.d), DATA, d, 4);
		cr_assert_arr_eq(t, d, 4);
		harness_fini(&h);
	}
}

Test(misbehave, c06_indirect_with_next)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		indirect_entry(&h, 0, DATA, 4, VIRTQ_DESC_F_NEXT, 1);
		indirect_entry(&h, 1, DATA + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
		guest_raw_desc(h.g, 0, 3, TABLE, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 7);
		push(&h, 0, 3);
		if (layouts[l] == QEMU) {
			/* QEMU walks the table and never looks at next: the request completes */
			expect_violation(&h, "indirect-with-next");
			cr_assert_eq(harness_count(&h, VR_EV_TXN, "echo"), 1);
			cr_assert_eq(vpci_status(h.d), 0x0f);
		} else {
			expect_fatal(&h, VBOX, "indirect-with-next", 0);
		}
		harness_fini(&h);
	}
}

Test(misbehave, c07_indirect_outside_ram)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 3, 0x80000000ull, 32, VIRTQ_DESC_F_INDIRECT, 0);
		push(&h, 0, 3);
		expect_fatal(&h, layouts[l], "indirect-outside-ram", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c08_desc_order)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 5, DATA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
		guest_raw_desc(h.g, 0, 6, DATA + 16, 4, 0, 0);
		push(&h, 0, 5);
		expect_fatal(&h, layouts[l], "desc-order", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c09_desc_zero_len)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		testdev_mode = TESTDEV_NEED_DATA;
		up(&h, layouts[l], 64);
		/* qemu: the transport refuses any zero-length descriptor; vbox: the model needed data */
		if (layouts[l] == QEMU)
			guest_raw_desc(h.g, 0, 5, DATA, 0, 0, 0);
		else
			guest_raw_desc(h.g, 0, 5, DATA, 8, VIRTQ_DESC_F_WRITE, 0);
		push(&h, 0, 5);
		expect_fatal(&h, layouts[l], "desc-zero-len", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c10_sg_too_many)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		/*
		 * vbox: 63 direct buffers, then a table of 1024 (INDIRECT last in a
		 * chain, as the spec allows); QEMU takes INDIRECT on the head only,
		 * so there the head leads to a table of 1025 buffers.
		 */
		unsigned direct = layouts[l] == QEMU ? 0 : 63, n = layouts[l] == QEMU ? 1025 : 1024;
		for (unsigned i = 0; i < direct; i++)
			guest_raw_desc(h.g, 0, (uint16_t)i, DATA + i, 1, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
		uint8_t *t = calloc(n, 16);
		for (unsigned i = 0; i < n; i++) {
			le64_store(t + 16 * i, DATA + 0x1000 + i);
			le32_store(t + 16 * i + 8, 1);
			le16_store(t + 16 * i + 12, (uint16_t)(i < n - 1 ? VIRTQ_DESC_F_NEXT : 0));
			le16_store(t + 16 * i + 14, (uint16_t)(i + 1));
		}
		guest_raw_mem(h.g, TABLE, t, n * 16);
		free(t);
		guest_raw_desc(h.g, 0, (uint16_t)direct, TABLE, n * 16, VIRTQ_DESC_F_INDIRECT, 0);
		push(&h, 0, 0);
		expect_fatal(&h, layouts[l], "sg-too-many", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c11_chain_len_overflow)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 5, 1ull << 32, 0xf0000000u, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 6);
		guest_raw_desc(h.g, 0, 6, 1ull << 32, 0x20000000u, VIRTQ_DESC_F_WRITE, 0);
		push(&h, 0, 5);
		expect_fatal(&h, layouts[l], "chain-len-overflow", 0);
		harness_fini(&h);
	}
}

Test(misbehave, c12_buffer_outside_ram)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_raw_desc(h.g, 0, 5, 0x40000000ull, 8, 0, 0);
		push(&h, 0, 5);
		expect_fatal(&h, layouts[l], "buffer-outside-ram", 0);
		/* straddling the end of the first region counts too */
		struct harness h2;
		up(&h2, layouts[l], 64);
		guest_raw_desc(h2.g, 0, 5, (16u << 20) - 4, 8, 0, 0);
		push(&h2, 0, 5);
		expect_fatal(&h2, layouts[l], "buffer-outside-ram", 0);
		harness_fini(&h2);
		harness_fini(&h);
	}
}

static void bring_up_to_queues(struct harness *h)
{
	char *cause = NULL;
	cr_assert_eq(guest_pci_setup(h->g, &cause), 0);
	cr_assert_eq(guest_find_caps(h->g, &cause), 0);
	cr_assert_eq(guest_negotiate(h->g, 0, &cause), 0);
}

Test(misbehave, c13_ring_addr_bad)
{
	for (int l = 0; l < 2; l++) {
		/* outside RAM: both profiles break (QEMU cannot map the ring) */
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		bring_up_to_queues(&h);
		guest_setup_queue(h.g, 0, 0, 0x7ffff000ull, 0, 0, NULL);
		expect_violation(&h, "ring-addr-bad");
		cr_assert(vpci_status(h.d) & 0x40);
		harness_up(&h, GUEST_IRQ_MSIX);
		cr_assert(works(&h, 0));
		harness_fini(&h);

		/* misaligned: qemu never checks alignment, vbox refuses the queue */
		harness_init(&h, layouts[l], 0, 2, 64);
		bring_up_to_queues(&h);
		guest_setup_queue(h.g, 0, 0, 0x100008ull, 0x101000ull, 0x102000ull, NULL);
		guest_setup_queue(h.g, 1, 0, 0, 0, 0, NULL);
		guest_driver_ok(h.g);
		expect_violation(&h, "ring-addr-bad");
		if (layouts[l] == QEMU) {
			cr_assert_eq(vpci_status(h.d), 0x0f);
			cr_assert(works(&h, 0));
		} else {
			cr_assert(vpci_status(h.d) & 0x40);
			guest_common_write(h.g, 0x16, 2, 0);
			cr_assert_eq(guest_common_read(h.g, 0x1c, 2), 0);	/* reads back disabled */
			cr_assert_not(works(&h, 0));
			cr_assert(works(&h, 1));
		}
		harness_fini(&h);
	}
}

Test(misbehave, c14_queue_size_bad)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		bring_up_to_queues(&h);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x18, 2, 0);
		expect_violation(&h, "queue-size-bad");
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 64);	/* ignored */
		guest_common_write(h.g, 0x18, 2, 2048);
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 64);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-size-bad"), 2);
		guest_common_write(h.g, 0x18, 2, 48);	/* not a power of two */
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-size-bad"), 3);
		if (layouts[l] == QEMU) {
			cr_assert_eq(guest_common_read(h.g, 0x18, 2), 48);
			cr_assert_eq(vpci_status(h.d) & 0x40, 0);
		} else {
			cr_assert_eq(guest_common_read(h.g, 0x18, 2), 64);
			cr_assert(vpci_status(h.d) & 0x40);
		}
		harness_fini(&h);
	}
}

Test(misbehave, c15_queue_select_range)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_common_write(h.g, 0x16, 2, 5);
		expect_violation(&h, "queue-select-range");
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 0);
		cr_assert_eq(guest_common_read(h.g, 0x1c, 2), 0);
		cr_assert_eq(guest_common_read(h.g, 0x20, 4), 0);
		guest_common_write(h.g, 0x18, 2, 16);
		guest_common_write(h.g, 0x1c, 2, 1);
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 0);
		guest_common_write(h.g, 0x16, 2, 0);
		cr_assert_eq(guest_common_read(h.g, 0x18, 2), 64);
		expect_harmless(&h, "queue-select-range");
		harness_fini(&h);
	}
}

Test(misbehave, c16_queue_not_ready)
{
	for (int l = 0; l < 2; l++) {
		/* notify before the queue is enabled: ignored */
		struct harness h;
		harness_init(&h, layouts[l], 0, 2, 64);
		bring_up_to_queues(&h);
		guest_notify(h.g, 0);
		expect_violation(&h, "queue-not-ready");
		/* queue enabled, request kicked before DRIVER_OK */
		guest_setup_queues(h.g, NULL);
		uint8_t b[4] = { 1, 2, 3, 4 };
		struct guest_buf o = { 0, 4, b }, in = { 0, 4, NULL };
		guest_add(h.g, 0, &o, 1, &in, 1, 0, NULL);
		guest_notify(h.g, 0);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-not-ready"), 2);
		struct guest_used u;
		/* qemu: QEMU runs the handler anyway; vbox: nothing before DRIVER_OK */
		cr_assert_eq(guest_poll(h.g, 0, &u), layouts[l] == QEMU ? 1 : 0);
		guest_driver_ok(h.g);
		guest_notify(h.g, 0);
		cr_assert_eq(guest_poll(h.g, 0, &u), layouts[l] == QEMU ? 0 : 1);
		harness_fini(&h);
	}
}

Test(misbehave, c16_queue_enable_zero)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		guest_common_write(h.g, 0x16, 2, 0);
		guest_common_write(h.g, 0x1c, 2, 0);
		expect_violation(&h, "queue-enable-bad");
		if (layouts[l] == QEMU) {
			cr_assert_eq(vpci_status(h.d), 0x4f);	/* virtio_error */
			cr_assert_not(works(&h, 0));
		} else {
			cr_assert_eq(vpci_status(h.d), 0x0f);
			cr_assert(works(&h, 0));
		}
		harness_fini(&h);
	}
}

/* QEMU runs virtio_error again on a broken device: the generation counts, no interrupt goes out. */
Test(misbehave, c16_queue_enable_zero_twice)
{
	struct harness h;
	up(&h, QEMU, 64);
	guest_common_write(h.g, 0x1c, 2, 0);
	unsigned irqs = harness_count(&h, VR_EV_IRQ, NULL);
	uint64_t gen = guest_common_read(h.g, 0x15, 1);
	cr_assert_eq(irqs, 1, "the first error sends the configuration interrupt");
	guest_common_write(h.g, 0x1c, 2, 0);
	cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "queue-enable-bad"), 2);
	cr_assert_eq(guest_common_read(h.g, 0x15, 1), gen + 1, "a second error counts the generation");
	cr_assert_eq(harness_count(&h, VR_EV_IRQ, NULL), irqs, "and sends nothing");
	harness_fini(&h);
}

Test(misbehave, c17_too_many_in_flight)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		testdev_mode = TESTDEV_HOLD;
		up(&h, layouts[l], 8);
		uint8_t b[4] = { 0 };
		for (unsigned i = 0; i < 8; i++) {
			struct guest_buf o = { 0, 4, b };
			cr_assert_geq(guest_add(h.g, 0, &o, 1, NULL, 0, 0, NULL), 0);
		}
		guest_notify(h.g, 0);
		cr_assert_eq(testdev_requests(h.d), 8);
		/* the guest reuses a slot whose chain the device still holds */
		push(&h, 0, 0);
		expect_violation(&h, "too-many-in-flight");
		cr_assert_eq(vpci_status(h.d), 0x4f);
		cr_assert_eq(testdev_requests(h.d), 8);
		harness_fini(&h);
	}
}

Test(misbehave, c18_features_bad)
{
	uint64_t bad[2] = { F(VIRTIO_F_VERSION_1) | F(5), F(VIRTIO_F_INDIRECT_DESC) };
	for (int l = 0; l < 2; l++) {
		for (int k = 0; k < 2; k++) {
			struct harness h;
			harness_init(&h, layouts[l], 0, 2, 64);
			char *cause = NULL;
			cr_assert_eq(guest_pci_setup(h.g, &cause), 0);
			cr_assert_eq(guest_find_caps(h.g, &cause), 0);
			int r = guest_negotiate(h.g, bad[k], &cause);
			free(cause);
			expect_violation(&h, "features-bad");
			if (layouts[l] == QEMU) {
				/* QEMU masks unknown bits and does not insist on VERSION_1 */
				cr_assert_eq(r, 0);
				cr_assert_eq(vpci_driver_features(h.d), bad[k] & ~F(5));
			} else {
				cr_assert_eq(r, -1);
				cr_assert_eq(vpci_status(h.d) & 0x08, 0);
			}
			harness_fini(&h);
		}
	}
}

Test(misbehave, c19_devcfg_range)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		/* QEMU splits it: bytes 6-7 answered, the half past the end reads all ones */
		cr_assert_eq(guest_devcfg_read(h.g, 6, 4), layouts[l] == QEMU ? 0xffff8877u : 0xffffffffu);
		guest_devcfg_write(h.g, 6, 4, 0);	/* QEMU: the in-range half is written */
		cr_assert_eq(guest_devcfg_read(h.g, 4, 4), layouts[l] == QEMU ? 0x00006655u : 0x88776655u);
		expect_harmless(&h, "devcfg-range");
		harness_fini(&h);
	}
}

Test(misbehave, c20_bar_access_bad)
{
	for (int l = 0; l < 2; l++) {
		struct harness h;
		up(&h, layouts[l], 64);
		unsigned sb = guest_caps(h.g)->common.bar;
		cr_assert_eq(vpci_bar_read(h.d, sb, 0x7ff0, 4), 0xffffffffu);		/* unmapped */
		cr_assert_eq(vpci_bar_read(h.d, 3, 0, 4), 0xffffffffu);			/* no such BAR */
		cr_assert_eq(vpci_bar_read(h.d, sb, 0x14, 3), 0xffffffu);		/* bad size */
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "bar-access-bad"), 3);
		/* a 2-byte read of device_status: qemu answers like QEMU, vbox refuses */
		uint64_t v = guest_common_read(h.g, 0x14, 2);
		cr_assert_eq(v, layouts[l] == QEMU ? 0x0f : 0);
		guest_common_write(h.g, 0x13, 1, 0xff);		/* middle of num_queues */
		cr_assert_eq(guest_common_read(h.g, 0x12, 2), 2);
		vpci_bar_write(h.d, guest_caps(h.g)->isr.bar, guest_caps(h.g)->isr.off, 1, 1);
		cr_assert_eq(harness_count(&h, VR_EV_VIOLATION, "bar-access-bad"), 6);
		/* misaligned cfg across a dword: qemu reads max_lat then the port past 0xcff, vbox refuses */
		cr_assert_eq(vpci_cfg_read(h.d, 0x3f, 2), layouts[l] == QEMU ? 0xff00u | vpci_cfg_read(h.d, 0x3f, 1) : 0xffffu);
		expect_harmless(&h, "bar-access-bad");
		harness_fini(&h);
	}
}
