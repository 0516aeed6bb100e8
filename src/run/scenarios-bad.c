/* scenarios-bad.c -- guest misbehaviour: one recordable scenario per violation, each ending in a recovery */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

#include "scenarios-int.h"

/* The guest's data area (guest.h): buffers the raw descriptors can point at. */
uint64_t scn_data_addr(struct record *rec, uint64_t off)
{
	return record_header(rec)->ram[0].base + 0x100000 + off;
}

/* After the violation: reset, bring the device up again and show it works. */
static int recover(struct io *x, char **cause)
{
	record_mark(x->rec, "recovery: reset and re-initialise");
	guest_reset(x->g);
	if (guest_negotiate(x->g, guest_features(x->g), cause) < 0 || guest_setup_queues(x->g, cause) < 0)
		return -1;
	guest_driver_ok(x->g);
	return scn_blk_req(x, BLK_T_GET_ID, 0, 0, 0, cause);
}

/* Expose raw descriptor head at the next avail slot and kick queue 0. */
static void expose(struct io *x, uint16_t head)
{
	uint16_t idx = guest_avail_idx(x->g, 0);

	guest_raw_avail_ring(x->g, 0, idx, head);
	guest_raw_avail_idx(x->g, 0, (uint16_t)(idx + 1));
	guest_notify(x->g, 0);
}

static int bad_begin(struct io *x, struct record *rec, const char *what, char **cause)
{
	if (scn_start(x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	if (scn_blk_req(x, BLK_T_GET_ID, 0, 0, 0, cause) < 0)
		return -1;
	record_mark(rec, "misbehaviour: %s", what);
	return 0;
}

int v_desc_loop(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "descriptors 200 and 201 point at each other", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0), 16, VIRTQ_DESC_F_NEXT, 201);
	guest_raw_desc(x.g, 0, 201, scn_data_addr(rec, 16), 16, VIRTQ_DESC_F_NEXT, 200);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_desc_next_range(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "descriptor 200 chains to 300 (table of 256)", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0), 16, VIRTQ_DESC_F_NEXT, 300);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_avail_head_range(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "avail ring names head 300 (queue size 256)", cause) < 0)
		return -1;
	expose(&x, 300);
	return recover(&x, cause);
}

/*
 * Descriptors 200-202: a blk request of type `type` for sector 0 (16-byte
 * header, 512 bytes in for IN, the status byte). QEMU finishes IN and FLUSH
 * after the notify returns, so these stay in flight for the whole notify.
 */
static void raw_blk_chain(struct io *x, struct record *rec, uint32_t type)
{
	uint8_t hdr[16] = { 0 };

	le32_store(hdr, type);
	guest_raw_mem(x->g, scn_data_addr(rec, 0x3000), hdr, sizeof(hdr));
	guest_raw_desc(x->g, 0, 200, scn_data_addr(rec, 0x3000), 16, VIRTQ_DESC_F_NEXT, type == BLK_T_IN ? 201 : 202);
	guest_raw_desc(x->g, 0, 201, scn_data_addr(rec, 0x3200), 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 202);
	guest_raw_desc(x->g, 0, 202, scn_data_addr(rec, 0x3010), 1, VIRTQ_DESC_F_WRITE, 0);
}

/*
 * Move avail idx by n with every new slot naming head 200 and notify; then
 * read the status (NEEDS_RESET) and poll the used ring as a driver would.
 */
static void expose_many(struct io *x, unsigned n)
{
	struct guest_used u;

	guest_raw_avail_flood(x->g, 0, 200, n);
	(void)guest_common_read(x->g, 0x14, 1);
	(void)guest_poll(x->g, 0, &u);
}

/* QEMU pops reads until a queue's worth is in flight, then "Virtqueue size exceeded" breaks the device. */
int v_avail_idx_jump(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "avail idx jumps by 300 (queue size 256), every slot a read", cause) < 0)
		return -1;
	raw_blk_chain(&x, rec, BLK_T_IN);
	expose_many(&x, 300);
	return recover(&x, cause);
}

int v_indirect_bad_len(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "indirect table of 17 bytes", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0x1000), 17, VIRTQ_DESC_F_INDIRECT, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

static void raw_desc_bytes(uint8_t *p, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	le64_store(p, addr);
	le32_store(p + 8, len);
	le16_store(p + 12, flags);
	le16_store(p + 14, next);
}

int v_indirect_nested(struct record *rec, char **cause)
{
	struct io x;
	uint8_t table[32];

	if (bad_begin(&x, rec, "an indirect table holding another indirect descriptor", cause) < 0)
		return -1;
	raw_desc_bytes(table, scn_data_addr(rec, 0x2000), 32, VIRTQ_DESC_F_INDIRECT, 0);
	raw_desc_bytes(table + 16, scn_data_addr(rec, 0), 16, 0, 0);
	guest_raw_mem(x.g, scn_data_addr(rec, 0x1000), table, sizeof(table));
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0x1000), sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_indirect_with_next(struct record *rec, char **cause)
{
	struct io x;
	uint8_t table[32], hdr[16];

	if (bad_begin(&x, rec, "a descriptor with both INDIRECT and NEXT", cause) < 0)
		return -1;
	memset(hdr, 0, sizeof(hdr));
	le32_store(hdr, BLK_T_FLUSH);
	guest_raw_mem(x.g, scn_data_addr(rec, 0), hdr, sizeof(hdr));
	raw_desc_bytes(table, scn_data_addr(rec, 0), 16, VIRTQ_DESC_F_NEXT, 1);
	raw_desc_bytes(table + 16, scn_data_addr(rec, 0x10), 1, VIRTQ_DESC_F_WRITE, 0);
	guest_raw_mem(x.g, scn_data_addr(rec, 0x1000), table, sizeof(table));
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0x1000), sizeof(table), VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT,
	    201);
	guest_raw_desc(x.g, 0, 201, scn_data_addr(rec, 0x20), 1, VIRTQ_DESC_F_WRITE, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_indirect_outside_ram(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "indirect table at 0x1000, below guest RAM", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, 0x1000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_desc_order(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "a device-readable descriptor after a writable one", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0), 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 201);
	guest_raw_desc(x.g, 0, 201, scn_data_addr(rec, 16), 16, 0, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_desc_zero_len(struct record *rec, char **cause)
{
	struct io x;
	uint8_t hdr[16];

	if (bad_begin(&x, rec, "a flush whose status buffer has length 0", cause) < 0)
		return -1;
	memset(hdr, 0, sizeof(hdr));
	le32_store(hdr, BLK_T_FLUSH);
	guest_raw_mem(x.g, scn_data_addr(rec, 0), hdr, sizeof(hdr));
	guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0), 16, VIRTQ_DESC_F_NEXT, 201);
	guest_raw_desc(x.g, 0, 201, scn_data_addr(rec, 16), 0, VIRTQ_DESC_F_WRITE, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

/*
 * More than 1024 buffers in one chain. The spec (and the vbox profile)
 * allows INDIRECT on the last descriptor of a direct chain: 8 direct
 * buffers, then a table of 1024. QEMU 7.2 (the qemu profile) takes INDIRECT
 * on the head only and a descriptor flagged so later in a chain as a
 * buffer, so there the head leads to a table of 1025.
 */
int v_sg_too_many(struct record *rec, char **cause)
{
	struct io x;
	bool qemu = record_header(rec)->layout == TRACE_LAYOUT_QEMU;
	unsigned n = qemu ? VIRTQ_MAX_SIZE + 1 : VIRTQ_MAX_SIZE;
	uint8_t *table = xcalloc(n, 16);

	if (bad_begin(&x, rec, qemu ? "a head's indirect table of 1025 buffers" :
	    "8 direct buffers then an indirect table of 1024: 1032 in one chain", cause) < 0) {
		free(table);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		raw_desc_bytes(table + 16 * i, scn_data_addr(rec, 0), 1, i + 1 < n ? VIRTQ_DESC_F_NEXT : 0,
		    (uint16_t)(i + 1));
	guest_raw_mem(x.g, scn_data_addr(rec, 0x10000), table, 16 * n);
	free(table);
	if (qemu) {
		guest_raw_desc(x.g, 0, 200, scn_data_addr(rec, 0x10000), 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	} else {
		for (unsigned i = 0; i < 8; i++)
			guest_raw_desc(x.g, 0, (uint16_t)(200 + i), scn_data_addr(rec, 0), 1, VIRTQ_DESC_F_NEXT,
			    (uint16_t)(201 + i));
		guest_raw_desc(x.g, 0, 208, scn_data_addr(rec, 0x10000), 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	}
	expose(&x, 200);
	return recover(&x, cause);
}

int v_chain_len_overflow(struct record *rec, char **cause)
{
	struct io x;
	uint64_t base = record_header(rec)->ram[0].base, size = record_header(rec)->ram[0].size;

	if (bad_begin(&x, rec, "three readable descriptors each covering all 8 MiB of RAM", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, base, (uint32_t)size, VIRTQ_DESC_F_NEXT, 201);
	guest_raw_desc(x.g, 0, 201, base, (uint32_t)size, VIRTQ_DESC_F_NEXT, 202);
	guest_raw_desc(x.g, 0, 202, base, (uint32_t)size, 0, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_buffer_outside_ram(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "a buffer at 0x1000, below guest RAM", cause) < 0)
		return -1;
	guest_raw_desc(x.g, 0, 200, 0x1000, 16, 0, 0);
	expose(&x, 200);
	return recover(&x, cause);
}

int v_ring_addr_bad(struct record *rec, char **cause)
{
	struct io x;
	char *why = NULL;

	if (bad_begin(&x, rec, "queue 0 re-enabled with its descriptor table at 0x1000, below guest RAM", cause) < 0)
		return -1;
	guest_reset(x.g);
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0)
		return -1;
	(void)guest_setup_queue(x.g, 0, 0, 0x1000, 0, 0, &why);
	free(why);
	return recover(&x, cause);
}

int v_queue_size_bad(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "queue_size 2048 written (maximum 256)", cause) < 0)
		return -1;
	guest_reset(x.g);
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0)
		return -1;
	guest_common_write(x.g, 0x16, 2, 0);
	guest_common_write(x.g, 0x18, 2, 2048);
	/* Rings where the guest keeps them, so the size is the only thing wrong. */
	guest_common_write(x.g, 0x20, 4, (uint32_t)scn_data_addr(rec, 0x10000));
	guest_common_write(x.g, 0x28, 4, (uint32_t)scn_data_addr(rec, 0x20000));
	guest_common_write(x.g, 0x30, 4, (uint32_t)scn_data_addr(rec, 0x30000));
	guest_common_write(x.g, 0x1c, 2, 1);
	return recover(&x, cause);
}

int v_queue_select_range(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "queue_select 100 (one queue); queue_size read back", cause) < 0)
		return -1;
	guest_common_write(x.g, 0x16, 2, 100);
	(void)guest_common_read(x.g, 0x18, 2);
	guest_common_write(x.g, 0x16, 2, 0);
	return scn_blk_req(&x, BLK_T_GET_ID, 0, 0, 0, cause);
}

int v_queue_not_ready(struct record *rec, char **cause)
{
	struct io x;

	if ((x.g = record_guest(rec, GUEST_IRQ_MSIX, 0)) == NULL)
		return cause_set(cause, "cannot create the guest");
	x.rec = rec;
	x.irq = GUEST_IRQ_MSIX;
	x.flags = 0;
	x.intx_seen = 0;
	record_mark(rec, "misbehaviour: a request kicked before DRIVER_OK");
	if (guest_pci_setup(x.g, cause) < 0 || guest_find_caps(x.g, cause) < 0 ||
	    guest_negotiate(x.g, 0, cause) < 0 || guest_setup_queues(x.g, cause) < 0)
		return -1;
	if (scn_flush_add(&x, cause) < 0)
		return -1;
	guest_notify(x.g, 0);
	return recover(&x, cause);
}

int v_queue_enable_bad(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "queue_enable written with 2", cause) < 0)
		return -1;
	guest_common_write(x.g, 0x16, 2, 0);
	guest_common_write(x.g, 0x1c, 2, 2);
	return recover(&x, cause);
}

/* Queue size + 1 flushes in one notify: each stays in flight until the notify returns, the last one is refused. */
int v_too_many_in_flight(struct record *rec, char **cause)
{
	struct io x;

	if (bad_begin(&x, rec, "avail idx moved by queue size + 1, every slot a flush QEMU finishes later", cause) < 0)
		return -1;
	raw_blk_chain(&x, rec, BLK_T_FLUSH);
	expose_many(&x, (unsigned)guest_queue_size(x.g, 0) + 1);
	return recover(&x, cause);
}

int v_features_bad(struct record *rec, char **cause)
{
	struct io x;
	uint64_t want;

	if (bad_begin(&x, rec, "FEATURES_OK with driver features lacking VERSION_1", cause) < 0)
		return -1;
	want = guest_features(x.g) & ~(1ull << VIRTIO_F_VERSION_1);
	guest_reset(x.g);
	guest_common_write(x.g, 0x14, 1, 0x01);
	guest_common_write(x.g, 0x14, 1, 0x03);
	guest_common_write(x.g, 0x08, 4, 0);
	guest_common_write(x.g, 0x0c, 4, (uint32_t)want);
	guest_common_write(x.g, 0x08, 4, 1);
	guest_common_write(x.g, 0x0c, 4, (uint32_t)(want >> 32));
	guest_common_write(x.g, 0x14, 1, 0x0b);
	/* The device must not keep FEATURES_OK: the driver reads it back, as Linux does. */
	(void)guest_common_read(x.g, 0x14, 1);
	return recover(&x, cause);
}

int v_devcfg_range(struct record *rec, char **cause)
{
	struct io x;

	uint32_t end = record_header(rec)->devcfg_len;

	if (bad_begin(&x, rec, "device config read and write just past its end", cause) < 0)
		return -1;
	end = (end + 3) & ~3u;
	(void)guest_devcfg_read(x.g, end, 4);
	guest_devcfg_write(x.g, end, 4, 0xdeadbeef);
	return scn_blk_req(&x, BLK_T_GET_ID, 0, 0, 0, cause);
}

int v_bar_access_bad(struct record *rec, char **cause)
{
	struct io x;
	const struct guest_caps *c;

	if (bad_begin(&x, rec, "misaligned 4-byte read of the common config and a read of an unmapped offset",
	    cause) < 0)
		return -1;
	c = guest_caps(x.g);
	(void)record_bar_read(rec, c->common.bar, c->common.off + 1, 4);
	(void)record_bar_read(rec, c->common.bar, c->common.off + 0xff0, 4);
	return scn_blk_req(&x, BLK_T_GET_ID, 0, 0, 0, cause);
}

int v_checkpoint_bad(struct record *rec, char **cause)
{
	struct io x;

	record_bad_checkpoint(rec);
	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	return scn_blk_req(&x, BLK_T_GET_ID, 0, 0, 0, cause);
}
