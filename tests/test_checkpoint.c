/* test_checkpoint.c -- whole-device save/load: replay from a checkpoint equals replay from the start */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "vr/buf.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "testdev.h"

/* Three chains taken and held by the device, one queue idle. */
static void prefix(struct harness *h, int layout)
{
	testdev_mode = TESTDEV_HOLD;
	harness_init(h, layout, 0, 2, 64);
	harness_up(h, GUEST_IRQ_MSIX);
	uint8_t b[16];
	for (unsigned i = 0; i < 3; i++) {
		memset(b, (int)i + 1, sizeof b);
		harness_echo(h, 0, b, sizeof b, 16, i == 1);
	}
	guest_msix_mask(h->g, 2, true);
}

/* What happens after the checkpoint: completions, masked and pending vectors, more chains. */
static void script(struct harness *h)
{
	harness_clear(h);
	testdev_release(h->d, 0);
	struct guest_used u;
	while (guest_poll(h->g, 0, &u) == 1)
		;
	uint8_t b[8] = "later..";
	harness_echo(h, 1, b, 8, 8, false);
	harness_echo(h, 0, b, 8, 8, true);
	testdev_release(h->d, 1);
	testdev_release(h->d, 0);
	guest_msix_mask(h->g, 2, false);
	guest_devcfg_write(h->g, 7, 1, 5);
}

static void same_outputs(const struct harness *a, const struct harness *b)
{
	unsigned n = 0, m = 0;
	for (unsigned i = 0, j = 0;; i++, j++) {
		while (i < a->nev && a->ev[i].kind != VR_EV_DMA && a->ev[i].kind != VR_EV_IRQ)
			i++;
		while (j < b->nev && b->ev[j].kind != VR_EV_DMA && b->ev[j].kind != VR_EV_IRQ)
			j++;
		if (i >= a->nev || j >= b->nev) {
			cr_assert(i >= a->nev && j >= b->nev, "output counts differ (%u vs %u so far)", n, m);
			break;
		}
		const struct rec_ev *x = &a->ev[i], *y = &b->ev[j];
		cr_assert_eq(x->kind, y->kind, "output %u kind", n);
		cr_assert_str_eq(x->name, y->name, "output %u", n);
		cr_assert_eq(x->a, y->a, "output %u (%s)", n, x->name);
		cr_assert_eq(x->b, y->b, "output %u (%s)", n, x->name);
		cr_assert_arr_eq(x->data, y->data, 16, "output %u (%s)", n, x->name);
		n++;
		m++;
	}
	cr_assert_gt(n, 10);
}

Test(checkpoint, round_trip_with_requests_in_flight)
{
	int layouts[2] = { TRACE_LAYOUT_QEMU, TRACE_LAYOUT_VBOX };
	for (int l = 0; l < 2; l++) {
		struct harness h1, h2;
		struct buf ck, f1, f2;
		buf_init(&ck);
		buf_init(&f1);
		buf_init(&f2);
		prefix(&h1, layouts[l]);
		vpci_save(h1.d, &ck);
		script(&h1);
		vpci_save(h1.d, &f1);

		prefix(&h2, layouts[l]);
		/* wreck the device behind the guest's back, then restore it */
		vpci_bar_write(h2.d, guest_caps(h2.g)->common.bar, guest_caps(h2.g)->common.off + 0x14, 1, 0);
		gmem_write_u32(vpci_gmem(h2.d), guest_used_addr(h2.g, 0), 0xffffffff);
		cr_assert_eq(vpci_status(h2.d), 0);
		char *cause = NULL;
		cr_assert_eq(vpci_load(h2.d, ck.data, ck.len, &cause), 0, "load: %s", cause ? cause : "?");
		cr_assert_eq(vpci_status(h2.d), 0x0f);
		cr_assert_eq(testdev_requests(h2.d), 3);
		script(&h2);
		vpci_save(h2.d, &f2);
		same_outputs(&h1, &h2);
		cr_assert_eq(f1.len, f2.len);
		cr_assert_arr_eq(f1.data, f2.data, f1.len);
		buf_release(&ck);
		buf_release(&f1);
		buf_release(&f2);
		harness_fini(&h1);
		harness_fini(&h2);
	}
}

static void expect_refused(struct harness *h, uint8_t *p, size_t len, const char *what)
{
	struct buf before, after;
	buf_init(&before);
	buf_init(&after);
	vpci_save(h->d, &before);
	unsigned nv = harness_count(h, VR_EV_VIOLATION, "checkpoint-bad");
	char *cause = NULL;
	cr_assert_eq(vpci_load(h->d, p, len, &cause), -1, "%s accepted", what);
	cr_assert_not_null(cause);
	cr_assert(strstr(cause, what) != NULL, "cause '%s' lacks '%s'", cause, what);
	free(cause);
	cr_assert_eq(harness_count(h, VR_EV_VIOLATION, "checkpoint-bad"), nv + 1);
	vpci_save(h->d, &after);
	cr_assert_eq(before.len, after.len);
	cr_assert_arr_eq(before.data, after.data, before.len, "%s changed the device", what);
	buf_release(&before);
	buf_release(&after);
}

static void fix_crc(uint8_t *p, size_t len)
{
	le32_store(p + len - 4, crc32c(0, p, len - 4));
}

Test(checkpoint, c21_checkpoint_bad)
{
	struct harness h, other;
	prefix(&h, TRACE_LAYOUT_QEMU);
	struct buf ck;
	buf_init(&ck);
	vpci_save(h.d, &ck);
	uint8_t *p = malloc(ck.len);

	memcpy(p, ck.data, ck.len);
	p[100] ^= 1;
	expect_refused(&h, p, ck.len, "checksum");

	expect_refused(&h, ck.data, ck.len / 2, "checksum");
	expect_refused(&h, ck.data, 8, "too short");

	memcpy(p, ck.data, ck.len);
	p[4] = 9;		/* version */
	fix_crc(p, ck.len);
	expect_refused(&h, p, ck.len, "version");

	memcpy(p, ck.data, ck.len);
	p[12] ^= 0xff;		/* config space: vendor id is read-only */
	fix_crc(p, ck.len);
	expect_refused(&h, p, ck.len, "read-only");

	memcpy(p, ck.data, ck.len);
	p[352] = 0x10;		/* isr: only bits 0 and 1 exist */
	fix_crc(p, ck.len);
	expect_refused(&h, p, ck.len, "isr");

	/* a checkpoint from the other profile */
	prefix(&other, TRACE_LAYOUT_VBOX);
	expect_refused(&other, ck.data, ck.len, "different device");

	/* in flight larger than the queue: find queue 0's in_flight by saving a known state */
	memcpy(p, ck.data, ck.len);
	/* queue 0's ring state starts after the transport (356) and its 32 bytes of registers */
	size_t inflight = 356 + 32 + 2 + 1 + 2 + 32 + 8;
	cr_assert_eq(le16_load(p + inflight), 3, "layout of the blob changed");
	le16_store(p + inflight, 65);
	fix_crc(p, ck.len);
	expect_refused(&h, p, ck.len, "in flight");

	/* and the untouched blob still loads */
	char *cause = NULL;
	cr_assert_eq(vpci_load(h.d, ck.data, ck.len, &cause), 0);
	free(p);
	buf_release(&ck);
	harness_fini(&other);
	harness_fini(&h);
}

/* More than 64 vectors: the PBA is saved as several words and loads back. */
Test(checkpoint, many_vectors)
{
	struct harness h;
	harness_init(&h, TRACE_LAYOUT_QEMU, 0, 100, 64);
	struct buf b;
	buf_init(&b);
	vpci_save(h.d, &b);
	char *cause = NULL;
	cr_assert_eq(vpci_load(h.d, b.data, b.len, &cause), 0, "%s", cause ? cause : "?");
	/* a pending bit past the last vector (101 vectors: bit 101 of the second word) is refused */
	size_t pba = 4 + 2 + 1 + 1 + 2 + 2 + 256 + 16u * 101;
	b.data[pba + 8 + (101 - 64) / 8] |= (uint8_t)(1u << ((101 - 64) % 8));
	le32_store(b.data + b.len - 4, crc32c(0, b.data, b.len - 4));
	cr_assert_eq(vpci_load(h.d, b.data, b.len, &cause), -1);
	cr_assert_not_null(strstr(cause, "pending bits"), "%s", cause);
	free(cause);
	buf_release(&b);
	harness_fini(&h);
}

/* Version 2 carries what version 1 cannot: registers of selects without a queue, the INTx latch. */
Test(checkpoint, per_select_registers_and_intx_latch)
{
	struct harness h1, h2;
	struct buf ck, again;
	buf_init(&ck);
	buf_init(&again);
	testdev_mode = TESTDEV_ECHO;
	harness_init(&h1, TRACE_LAYOUT_QEMU, 1ull << 32, 2, 64);
	harness_up(&h1, GUEST_IRQ_INTX);
	vpci_save(h1.d, &ck);
	cr_assert_eq(le16_load(ck.data + 4), 1, "nothing version 1 lacks: written as version 1");
	buf_reset(&ck);
	/* select 5 has no queue; QEMU keeps what the driver writes there */
	guest_common_write(h1.g, 0x16, 2, 5);
	guest_common_write(h1.g, 0x20, 4, 0x12345000);
	guest_common_write(h1.g, 0x1c, 2, 1);
	guest_common_write(h1.g, 0x16, 2, 0);
	/* latch the INTx state, then mask the line: PCI status bit 3 still shows the state */
	uint8_t b[4] = { 1, 2, 3, 4 };
	harness_echo(&h1, 0, b, 4, 4, false);
	vpci_cfg_write(h1.d, 0x04, 2, vpci_cfg_read(h1.d, 0x04, 2) | 0x400);
	cr_assert_eq(vpci_cfg_read(h1.d, 0x06, 2) & 0x08, 0x08, "the latch shows in PCI status");
	vpci_save(h1.d, &ck);
	cr_assert_eq(le16_load(ck.data + 4), 2);

	harness_init(&h2, TRACE_LAYOUT_QEMU, 1ull << 32, 2, 64);
	harness_up(&h2, GUEST_IRQ_INTX);
	char *cause = NULL;
	cr_assert_eq(vpci_load(h2.d, ck.data, ck.len, &cause), 0, "load: %s", cause ? cause : "?");
	cr_assert_eq(vpci_cfg_read(h2.d, 0x06, 2) & 0x08, 0x08, "the latch survives the checkpoint");
	guest_common_write(h2.g, 0x16, 2, 5);
	cr_assert_eq(guest_common_read(h2.g, 0x20, 4), 0x12345000);
	cr_assert_eq(guest_common_read(h2.g, 0x1c, 2), 1);
	guest_common_write(h2.g, 0x16, 2, 0);
	vpci_save(h2.d, &again);
	cr_assert_eq(ck.len, again.len);
	cr_assert_arr_eq(ck.data, again.data, ck.len);
	/* the ISR read clears the latch on both */
	(void)guest_isr_read(h1.g);
	(void)guest_isr_read(h2.g);
	cr_assert_eq(vpci_cfg_read(h2.d, 0x06, 2) & 0x08, 0);
	buf_release(&ck);
	buf_release(&again);
	harness_fini(&h1);
	harness_fini(&h2);
}
