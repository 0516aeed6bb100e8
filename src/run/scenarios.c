/* scenarios.c -- the table of recordable scenarios: what the model guest does to each device */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/record.h"
#include "vr/sweep.h"
#include "vr/sweep-blk.h"
#include "vr/sweep-mmio.h"
#include "vr/sweep-mq.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

#include "scenarios-int.h"

/*
 * Each scenario drives a guest through the recording port; the requests
 * each device type gets are built in scenarios-io.c, the misbehaviour
 * cases live in scenarios-bad.c. All choices come from record_rand(),
 * never from the clock.
 */

/* ---- normal scenarios ---- */

static int sc_init(struct record *rec, char **cause)
{
	struct io x;

	return scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause);
}

static int sc_basic(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "mixed i/o");
	return scn_io_run(&x, 0, (unsigned)record_count(rec, 6), cause);
}

static int sc_indirect(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	x.flags = GUEST_ADD_INDIRECT;
	record_mark(rec, "requests in indirect descriptor tables");
	return scn_io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

static void prep_no_event_idx(struct record *rec, struct trace_header *h)
{
	(void)rec;
	h->features &= ~(1ull << VIRTIO_F_EVENT_IDX);
}

/* Batches of requests with interrupts suppressed, then re-enabled (EVENT_IDX: used_event; else NO_INTERRUPT). */
static int suppression(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "interrupts enabled");
	if (scn_io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "interrupts suppressed by the driver");
	guest_disable_cb(x.g, record_device_id(rec) == VIRTIO_ID_SCSI ? 2 : 0);
	if (record_device_id(rec) == VIRTIO_ID_NET || record_device_id(rec) == VIRTIO_ID_CONSOLE)
		guest_disable_cb(x.g, 1);
	if (scn_io_run(&x, 2, 3, cause) < 0)
		return -1;
	record_mark(rec, "interrupts enabled again");
	guest_enable_cb(x.g, record_device_id(rec) == VIRTIO_ID_SCSI ? 2 : 0);
	if (record_device_id(rec) == VIRTIO_ID_NET || record_device_id(rec) == VIRTIO_ID_CONSOLE)
		guest_enable_cb(x.g, 1);
	return scn_io_run(&x, 5, 2, cause);
}

static int sc_intx(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_INTX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "i/o with INTx and ISR reads");
	return scn_io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

static int sc_msix(struct record *rec, char **cause)
{
	struct io x;
	unsigned qv = record_device_id(rec) == VIRTIO_ID_SCSI ? 3 : 1;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: one vector per queue");
	if (scn_io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: vector %u masked; the interrupt waits in the PBA", qv);
	guest_msix_mask(x.g, (uint16_t)qv, true);
	if (scn_io_run(&x, 2, 1, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: vector %u unmasked; the pending interrupt is delivered", qv);
	guest_msix_mask(x.g, (uint16_t)qv, false);
	record_mark(rec, "msi-x: function mask");
	guest_msix_function_mask(x.g, true);
	if (scn_io_run(&x, 3, 1, cause) < 0)
		return -1;
	guest_msix_function_mask(x.g, false);
	return scn_io_run(&x, 4, 1, cause);
}

static int sc_msix_shared(struct record *rec, char **cause)
{
	struct io x;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX_SHARED, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	record_mark(rec, "msi-x: one vector shared by every queue");
	return scn_io_run(&x, 0, (unsigned)record_count(rec, 4), cause);
}

/* Requests published, one kicked, then a reset before the driver looks at the used ring. */
static int sc_reset(struct record *rec, char **cause)
{
	struct io x;

	if (record_device_id(rec) != VIRTIO_ID_BLOCK)
		return cause_set(cause, "reset scenario is written for blk");
	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	if (scn_io_run(&x, 0, 2, cause) < 0)
		return -1;
	record_mark(rec, "two flushes published, not kicked; then a device reset");
	if (scn_flush_add(&x, cause) < 0 || scn_flush_add(&x, cause) < 0)
		return -1;
	guest_reset(x.g);
	record_mark(rec, "re-initialisation after the reset");
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0 || guest_setup_queues(x.g, cause) < 0)
		return -1;
	guest_driver_ok(x.g);
	return scn_io_run(&x, 2, 3, cause);
}

/*
 * QEMU's device state cannot be written as a checkpoint, so there the trace
 * holds the way to the wrap, kept short: one flush request completes as
 * usual, then every avail slot names its chain again and avail idx moves a
 * queue's worth per notify (QEMU pops them all, in flight together, and
 * completes them; the guest takes each batch unread once used idx has
 * reached it), until upto requests are done.
 */
static int wrap_way_on_qemu(struct io *x, uint32_t upto, char **cause)
{
	uint16_t size = guest_queue_size(x->g, 0);
	int head;

	if ((head = scn_flush_add(x, cause)) < 0)
		return -1;
	guest_kick(x->g, 0);
	if (scn_complete(x, 0, 1, cause) < 0)
		return -1;
	record_mark(x->rec, "every avail slot names head %d (a flush) again; avail idx moves by up to %u per notify "
	    "to %u", head, size, upto);
	for (unsigned slot = 0; slot < size; slot++)
		if (guest_raw_avail_ring(x->g, 0, (uint16_t)slot, (uint16_t)head) < 0)
			return cause_set(cause, "queue 0 is not set up");
	for (uint32_t done = 1; done < upto;) {
		uint16_t idx = guest_avail_idx(x->g, 0), n = (uint16_t)(upto - done < size ? upto - done : size);

		record_time(x->rec, 10000);
		if (guest_raw_avail_idx(x->g, 0, (uint16_t)(idx + n)) < 0)
			return cause_set(cause, "queue 0 is not set up");
		guest_notify(x->g, 0);
		if (guest_raw_used_skip(x->g, 0, n) < 0)
			return cause_set(cause, "queue 0: %u flush requests up to avail idx %u did not complete", n,
			    (uint16_t)(idx + n));
		done += n;
	}
	return 0;
}

/*
 * A few requests before the 16-bit indices wrap: the simulator's trace
 * starts from a checkpoint there, QEMU's holds the way (wrap_way_on_qemu).
 */
static int sc_wrap(struct record *rec, char **cause)
{
	struct io x;
	uint64_t n = record_count(rec, 8);
	uint32_t upto = 65536u - (uint32_t)(n / 2);

	if (record_device_id(rec) != VIRTIO_ID_BLOCK)
		return cause_set(cause, "wrap scenario is written for blk");
	if (n / 2 > 65535u)
		return cause_set(cause, "wrap: --count %llu: at most 131071 requests", (unsigned long long)n);
	if (record_on_qemu(rec)) {
		if (scn_start_sized(&x, rec, GUEST_IRQ_MSIX, 0, 8192, cause) < 0 || wrap_way_on_qemu(&x, upto, cause) < 0)
			return -1;
	} else {
		record_pause(rec);
		if (scn_start_sized(&x, rec, GUEST_IRQ_MSIX, 0, 8192, cause) < 0)
			return -1;
		/* Cheap requests up to just before the wrap; only the state at the end is written. */
		for (uint32_t i = 0; i < upto; i++) {
			if (scn_flush_add(&x, cause) < 0)
				return -1;
			guest_kick(x.g, 0);
			if (scn_complete(&x, 0, 1, cause) < 0)
				return -1;
		}
		if (record_resume(rec, cause) < 0)
			return -1;
	}
	record_mark(rec, "avail and used idx at %u: the next requests wrap past 65535",
	    guest_avail_idx(x.g, 0));
	return scn_io_run(&x, 0, (unsigned)n, cause);
}

/* The benchmark traces: many blk requests of len bytes, reads and writes alternating. */
static int bulk_run(struct record *rec, uint32_t len, char **cause)
{
	struct io x;
	uint64_t n = record_count(rec, 1000);

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0 || scn_io_setup(&x, cause) < 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t sector = (record_rand(rec) % (DISK_SECTORS / 8)) * 8;

		if (i % 64 == 0)
			record_time(rec, 64000);
		if (scn_blk_req(&x, (i & 1) ? BLK_T_IN : BLK_T_OUT, sector, len, (unsigned)i, cause) < 0)
			return -1;
	}
	return 0;
}

static int sc_bulk(struct record *rec, char **cause)
{
	return bulk_run(rec, SECTOR, cause);
}

static int sc_bulk_4k(struct record *rec, char **cause)
{
	return bulk_run(rec, 8 * SECTOR, cause);
}

/* ---- the transport-only device holding requests ---- */

static void prep_hold(struct record *rec, struct trace_header *h)
{
	(void)rec;
	h->requests = TRACE_REQ_HOLD;
}

/* input: event buffers posted and held until the host has events; an LED status report; raw config. */
static int sc_input_events(struct record *rec, char **cause)
{
	struct io x;
	uint8_t led[INPUT_EVENT] = { 0x11, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00 };	/* EV_LED, LED_CAPSL, on */
	struct guest_buf ob = { .len = sizeof(led), .data = led };
	unsigned n = (unsigned)record_count(rec, 8);

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	record_mark(rec, "config select = 1 (ID_NAME), subsel 0: the raw config keeps what the driver wrote");
	guest_devcfg_write(x.g, 0, 1, 1);
	guest_devcfg_write(x.g, 1, 1, 0);
	(void)guest_devcfg_read(x.g, 0, 1);
	(void)guest_devcfg_read(x.g, 2, 1);
	record_mark(rec, "%u eventq buffers posted: the device holds them (generic-requests hold)", n);
	for (unsigned i = 0; i < n; i++)
		if (scn_gen_post(&x, i, false, cause) < 0)
			return -1;
	record_mark(rec, "statusq: caps lock LED on, held as well");
	if (guest_add(x.g, 1, &ob, 1, NULL, 0, 0, cause) < 0)
		return -1;
	guest_kick(x.g, 1);
	return 0;
}

/* Case 17 for real: the device holds every buffer, the guest exposes one more than the queue size. */
static int v_too_many_in_flight_held(struct record *rec, char **cause)
{
	struct io x;
	const struct scn_gen_req *r;
	uint16_t size, idx;

	if (scn_start(&x, rec, GUEST_IRQ_MSIX, 0, cause) < 0)
		return -1;
	size = guest_queue_size(x.g, 0);
	/* One ring descriptor per request, so the table holds as many requests as the ring (Linux does so too). */
	r = scn_gen_req_find(record_device_id(rec));
	if (r->out_len > 0 && r->in_len > 0)
		x.flags = GUEST_ADD_INDIRECT;
	record_mark(rec, "%u buffers on queue 0, all held in flight by the device", size);
	for (unsigned i = 0; i < size; i++)
		if (scn_gen_post(&x, i, false, cause) < 0)
			return -1;
	record_mark(rec, "misbehaviour: avail idx moved once more with every buffer still in flight");
	idx = guest_avail_idx(x.g, 0);
	guest_raw_avail_ring(x.g, 0, idx, 0);
	guest_raw_avail_idx(x.g, 0, (uint16_t)(idx + 1));
	guest_notify(x.g, 0);
	record_mark(rec, "recovery: reset and re-initialise");
	guest_reset(x.g);
	if (guest_negotiate(x.g, guest_features(x.g), cause) < 0 || guest_setup_queues(x.g, cause) < 0)
		return -1;
	guest_driver_ok(x.g);
	return scn_gen_post(&x, 0, false, cause);
}

#define BAD(name, fn, what) \
	{ name, "misbehaviour: " what, "blk", "blk", NULL, fn, NULL }

const struct record_scenario record_scenarios[] = {
	{ "init", "Linux-like init only: BARs, capabilities, features, queues, DRIVER_OK", "*", "blk", NULL, sc_init, NULL },
	{ "basic", "Linux-like init, then mixed I/O for the device (--count requests)", "*", "blk", NULL, sc_basic, NULL },
	{ "indirect", "I/O with every request in an indirect descriptor table", "*", "blk", NULL, sc_indirect, NULL },
	{ "event-idx", "EVENT_IDX negotiated: interrupts suppressed through used_event, then re-enabled", "*", "blk",
	  NULL, suppression, NULL },
	{ "no-event-idx", "EVENT_IDX not offered: suppression by the avail NO_INTERRUPT flag", "*", "blk",
	  prep_no_event_idx, suppression, NULL },
	{ "msix", "MSI-X per-queue vectors, a masked vector's pending interrupt, function mask", "*", "blk", NULL,
	  sc_msix, NULL },
	{ "msix-shared", "MSI-X with one vector for every queue", "*", "blk", NULL, sc_msix_shared, NULL },
	{ "intx", "INTx interrupts acknowledged by ISR reads", "*", "blk", NULL, sc_intx, NULL },
	{ "reset", "device reset with requests published but not processed, then re-init and I/O", "blk", "blk",
	  NULL, sc_reset, NULL },
	{ "wrap", "avail/used idx wrap past 65535 (simulator: starts from a checkpoint just before)", "blk", "blk", NULL,
	  sc_wrap, NULL },
	{ "bulk", "--count N blk reads and writes (benchmark traces)", "blk", "blk", NULL, sc_bulk, NULL },
	{ "bulk-4k", "--count N blk reads and writes of 4 KiB (benchmark traces)", "blk", "blk", NULL, sc_bulk_4k, NULL },
	BAD("desc-loop", v_desc_loop, "descriptor chain loop"),
	BAD("desc-next-range", v_desc_next_range, "next index beyond the table"),
	BAD("avail-head-range", v_avail_head_range, "head index from the avail ring beyond the queue"),
	BAD("avail-idx-jump", v_avail_idx_jump, "avail idx moved by more than the queue size"),
	BAD("indirect-bad-len", v_indirect_bad_len, "indirect table length not a multiple of 16"),
	BAD("indirect-nested", v_indirect_nested, "indirect descriptor inside an indirect table"),
	BAD("indirect-with-next", v_indirect_with_next, "INDIRECT together with NEXT"),
	BAD("indirect-outside-ram", v_indirect_outside_ram, "indirect table outside guest RAM"),
	BAD("desc-order", v_desc_order, "device-readable descriptor after a writable one"),
	BAD("desc-zero-len", v_desc_zero_len, "zero-length buffer"),
	BAD("sg-too-many", v_sg_too_many, "more than 1024 scatter-gather entries"),
	BAD("chain-len-overflow", v_chain_len_overflow, "chain length beyond what a request may carry"),
	BAD("buffer-outside-ram", v_buffer_outside_ram, "buffer address outside guest RAM"),
	BAD("ring-addr-bad", v_ring_addr_bad, "ring address outside guest RAM"),
	BAD("queue-size-bad", v_queue_size_bad, "queue size beyond the maximum"),
	BAD("queue-select-range", v_queue_select_range, "queue_select out of range"),
	BAD("queue-not-ready", v_queue_not_ready, "queue used before DRIVER_OK"),
	BAD("queue-enable-bad", v_queue_enable_bad, "queue_enable written with a value other than 1"),
	BAD("too-many-in-flight", v_too_many_in_flight, "more buffers in flight than the queue size"),
	BAD("features-bad", v_features_bad, "FEATURES_OK without VERSION_1"),
	BAD("devcfg-range", v_devcfg_range, "device config access out of range"),
	BAD("bar-access-bad", v_bar_access_bad, "BAR access of bad size or to an unmapped offset"),
	{ "checkpoint-bad", "misbehaviour: a trace starting from an inconsistent checkpoint", "blk", "blk", NULL,
	  v_checkpoint_bad, "checkpoints are the simulator's device state" },
	{ "input-events", "input eventq buffers and a statusq report held by the device (generic-requests hold)",
	  "input", "input", prep_hold, sc_input_events, "generic-requests hold is the transport-only device's policy" },
	{ "too-many-in-flight-held", "misbehaviour: one buffer more than the queue size while the device "
	  "holds them all", "generic", "input", prep_hold, v_too_many_in_flight_held,
	  "generic-requests hold is the transport-only device's policy" },
	/* the generated sweep (src/run/sweep.c): every choice from --seed; sweep compares them against QEMU */
	{ "sweep-common", "sweep: common config at every offset and size, random writes, every field read back",
	  "*", "blk", NULL, sweep_sc_common, NULL },
	{ "sweep-regions", "sweep: ISR, device config and notify at every offset and size, across region ends",
	  "*", "blk", NULL, sweep_sc_regions, NULL },
	{ "sweep-msix", "sweep: MSI-X table, PBA and holes; masking, vectors past the table or for missing queues",
	  "*", "blk", NULL, sweep_sc_msix, NULL },
	{ "sweep-intx", "sweep: INTx with ISR reads, the PCI status interrupt bit, INTX_DISABLE", "*", "blk", NULL,
	  sweep_sc_intx, NULL },
	{ "sweep-status", "sweep: the device status bits set in a seeded order, FAILED, NEEDS_RESET, taken away",
	  "*", "blk", NULL, sweep_sc_status, NULL },
	{ "sweep-queues", "sweep: queue_select past the queues, queue sizes, queue_reset with and without RING_RESET",
	  "*", "blk", NULL, sweep_sc_queues, NULL },
	{ "sweep-busmaster", "sweep: bus mastering cleared in COMMAND while DRIVER_OK", "*", "blk", NULL,
	  sweep_sc_busmaster, NULL },
	{ "sweep-cfgspace", "sweep: PCI config space at every offset and size, random writes", "*", "blk", NULL,
	  sweep_sc_cfgspace, NULL },
	{ "sweep-pcicfg", "sweep: the PCI_CFG capability window at any bar, offset and length", "*", "blk", NULL,
	  sweep_sc_pcicfg, NULL },
	{ "sweep-decode", "sweep: COMMAND's memory decoding off: every region unmapped, the PCI_CFG window working",
	  "*", "blk", NULL, sweep_sc_decode, NULL },
	{ "sweep-legacy", "sweep: a transitional function's legacy I/O BAR at every offset and size, guest_features "
	  "at any status, I/O decoding off",
	  "*", "blk", sweep_legacy_prepare, sweep_sc_legacy, NULL },
	{ "sweep-random", "sweep: requests with seeded feature subsets, queue sizes and resets", "*", "blk", NULL,
	  sweep_sc_random, NULL },
	{ "sweep-scsi", "sweep: SCSI commands with seeded LUNs, CDB flags, page codes, lengths, parameter lists (MODE "
	  "SELECT, UNMAP, WRITE SAME) and disk options; task management; batches with overlapping buffers",
	  "scsi", "scsi", sweep_scsi_prepare, sweep_sc_scsi, NULL },
	{ "sweep-blk", "sweep: blk requests of every type, size, range and flag in batches, GET_ID with a seeded "
	  "serial and disk options, the writeback byte, QEMU's in-flight limit, a break before DRIVER_OK", "blk",
	  "blk", sweep_blk_prepare, sweep_sc_blk, NULL },
	{ "sweep-net", "sweep: net tx bursts, rx frames and buffers (mergeable or not, filtered), control commands",
	  "net", "net", sweep_net_prepare, sweep_sc_net, NULL },
	{ "sweep-console", "sweep: console writes, rx buffers of seeded sizes, typed bytes waiting for them",
	  "console", "console", NULL, sweep_sc_console, NULL },
	{ "sweep-rng", "sweep: rng requests of seeded sizes, entropy that serves some, all or none of them, legacy "
	  "drivers, a bad avail head or a chain QEMU reads its own way",
	  "rng", "rng", sweep_rng_prepare, sweep_sc_rng, NULL },
	{ "sweep-serial", "sweep: virtio-serial with several ports: control messages with and without ctrl-rx "
	  "buffers, in seeded orders, hostile ones; data on every port, opened or not; status writes",
	  "console", "console",
	  sweep_serial_prepare, sweep_sc_serial, NULL },
	{ "sweep-mq", "sweep: a seeded number of queues (blk, scsi; net: one pair with MQ), requests spread over "
	  "them, kicks on queues not set up or past the last", "blk scsi net", "blk", sweep_mq_prepare, sweep_sc_mq,
	  NULL },
	{ "sweep-mmio", "sweep: queue 0's rings and request buffers in unassigned space, at descriptor address 0, "
	  "across the end of RAM; the bounce buffer's limits (blk requests, rng entropy, console rx0 and tx0)",
	  "blk rng console", "blk", sweep_mmio_prepare, sweep_sc_mmio, NULL },
	{ "sweep-map", "sweep: one of queue 0's rings at an edge of the machine's map: from unassigned space into a "
	  "BAR, the IOAPIC or the firmware, inside a ROM, from a ROM into RAM, across 2^64 (blk, rng, console)",
	  "blk rng console", "blk", sweep_mmio_prepare, sweep_sc_map, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
