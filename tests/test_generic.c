/* test_generic.c -- the transport-only device for types without a model, and the device-type names */
#include "dev-harness.h"
#include <unistd.h>

#include "vr/virtq.h"

/* The device layer mirrors the trace layer's policy numbers and id bound: they must agree. */
_Static_assert(VDEV_REQ_COMPLETE == TRACE_REQ_COMPLETE && VDEV_REQ_HOLD == TRACE_REQ_HOLD, "requests");
_Static_assert(VDEV_MAX_ID == TRACE_MAX_DEVICE, "device ids");

static struct harness H;
static struct vdev_generic G;

static void teardown(void)
{
	h_close(&H);
}

TestSuite(generic, .fini = teardown);
TestSuite(generic_pick);
TestSuite(device_names);

/* Bring up type id as the generic device with the given config bytes and policy. */
static void open_generic(uint8_t id, const uint8_t *cfg, uint16_t cfglen, int requests)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	s.ops = vdev_pick(id, trace_device_name(id), cfglen, requests, &G);
	cr_assert(vdev_is_generic(s.ops), "id %u has a model", id);
	s.nqueues = s.ops->default_queues;
	memcpy(s.queue_max, G.queue_size, sizeof G.queue_size);
	s.devcfg = cfg;
	s.devcfg_len = cfglen;
	h_open_setup(&H, "generic", &s, 0);
}

Test(generic_pick, models_win_and_others_get_the_generic_device)
{
	static const uint8_t modelled[] = { 1, 2, 3, 4, 8 };
	struct vdev_generic g;

	for (size_t i = 0; i < sizeof modelled; i++) {
		const struct vdev_ops *o = vdev_pick(modelled[i], "x", 0, VDEV_REQ_COMPLETE, &g);
		cr_expect(o != NULL && !vdev_is_generic(o) && o->id == modelled[i], "id %u", modelled[i]);
	}
	for (unsigned id = 1; id <= VDEV_MAX_ID; id++) {
		const struct vdev_ops *o = vdev_pick((uint8_t)id, "x", 0, VDEV_REQ_COMPLETE, &g);
		cr_expect_not_null(o, "id %u", id);
		if (vdev_find_id((uint8_t)id) == NULL)
			cr_expect(o == &g.ops && o->id == id && o->default_queues >= 1, "id %u", id);
	}
	cr_expect_null(vdev_pick(0, "x", 0, VDEV_REQ_COMPLETE, &g));
	cr_expect_null(vdev_pick(64, "x", 0, VDEV_REQ_COMPLETE, &g));
}

Test(generic_pick, qemu_shapes_when_the_trace_gives_only_the_id)
{
	struct vdev_generic g;
	const struct vdev_ops *o;

	o = vdev_pick(5, "balloon", 0, VDEV_REQ_COMPLETE, &g);
	cr_expect_str_eq(o->name, "balloon");
	cr_expect_eq(o->default_queues, 3);
	cr_expect(g.queue_size[0] == 128 && g.queue_size[1] == 128 && g.queue_size[2] == 128);
	cr_expect_str_eq(g.queue_names[0], "inflateq");
	cr_expect_eq(o->devcfg_size, 8);
	cr_expect_eq(o->pci_class, 0xff);
	o = vdev_pick(18, "input", 0, VDEV_REQ_HOLD, &g);
	cr_expect(o->default_queues == 2 && g.queue_size[0] == 64 && o->devcfg_size == 136);
	cr_expect(o->pci_class == 0x09 && o->pci_subclass == 0x80);
	cr_expect_eq(g.requests, VDEV_REQ_HOLD);
	o = vdev_pick(16, "gpu", 0, VDEV_REQ_COMPLETE, &g);
	cr_expect(o->default_queues == 2 && g.queue_size[0] == 256 && g.queue_size[1] == 16);
	/* A type QEMU lacks: one queue of 256, no config; a trace's config length wins. */
	o = vdev_pick(42, "42", 0, VDEV_REQ_COMPLETE, &g);
	cr_expect(o->default_queues == 1 && g.queue_size[0] == 256 && o->devcfg_size == 0 && g.queue_names == NULL);
	o = vdev_pick(5, "balloon", 12, 7, &g);
	cr_expect_eq(o->devcfg_size, 12);
	cr_expect_eq(g.requests, VDEV_REQ_COMPLETE, "an unknown policy is not hold");
}

Test(generic, complete_uses_each_chain_with_len_0_and_writes_nothing)
{
	uint8_t pfns[16] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0 }, got[8];
	struct guest_buf ob = { 0, sizeof pfns, pfns }, ib = { 0x200000, 8, NULL };
	struct guest_used u;
	int head;

	open_generic(5, NULL, 0, VDEV_REQ_COMPLETE);
	head = h_submit(&H, 0, &ob, 1, NULL, 0);
	u = h_used(&H, 0);
	cr_expect_eq(u.head, head);
	cr_expect_eq(u.len, 0);
	h_expect(&H, "balloon REQ out=16 in=0 status=OK");
	/* A writable buffer stays as the guest left it. */
	guest_raw_mem(H.g, ib.addr, "ABCDEFGH", 8);
	head = h_submit(&H, 1, NULL, 0, &ib, 1);
	u = h_used(&H, 1);
	cr_expect(u.head == head && u.len == 0);
	h_read_in(&H, 1, u.head, 0, got, sizeof got);
	cr_expect_eq(memcmp(got, "ABCDEFGH", 8), 0);
	h_expect(&H, "balloon REQ out=0 in=8 status=OK");
	cr_expect_eq(H.nviol, 0);
}

Test(generic, hold_keeps_requests_in_flight_until_the_queue_is_full)
{
	struct guest_buf ib = { 0, 8, NULL };
	uint16_t size, idx;

	open_generic(18, NULL, 0, VDEV_REQ_HOLD);
	size = guest_queue_size(H.g, 0);
	cr_assert_eq(size, 64);
	for (unsigned i = 0; i < size; i++)
		h_submit(&H, 0, NULL, 0, &ib, 1);
	cr_expect(h_nothing_used(&H, 0));
	cr_expect_eq(H.ntxn, 0);
	cr_expect_eq(H.nnote, 1, "the hold is noted once");
	cr_expect(strstr(H.note, "held") != NULL, "%s", H.note);
	cr_expect_eq(H.nviol, 0);
	/* One more while all are held: case 17, and the device asks for a reset. */
	idx = guest_avail_idx(H.g, 0);
	guest_raw_avail_ring(H.g, 0, idx, 0);
	guest_raw_avail_idx(H.g, 0, (uint16_t)(idx + 1));
	guest_notify(H.g, 0);
	cr_expect(h_saw_violation(&H, "too-many-in-flight"));
	cr_expect(vpci_status(H.d) & 0x40, "DEVICE_NEEDS_RESET");
}

Test(generic, requests_go_through_the_ring_checks)
{
	open_generic(23, NULL, 0, VDEV_REQ_COMPLETE);
	guest_raw_desc(H.g, 0, 10, 0x1000, 16, VIRTQ_DESC_F_NEXT, 11);
	guest_raw_desc(H.g, 0, 11, 0x2000, 16, VIRTQ_DESC_F_NEXT, 10);
	guest_raw_avail_ring(H.g, 0, guest_avail_idx(H.g, 0), 10);
	guest_raw_avail_idx(H.g, 0, (uint16_t)(guest_avail_idx(H.g, 0) + 1));
	guest_notify(H.g, 0);
	cr_expect(h_saw_violation(&H, "desc-loop"));
	cr_expect(h_nothing_used(&H, 0));
}

Test(generic, config_is_raw_bytes_and_writes_stick)
{
	const uint8_t cfg[6] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66 };

	open_generic(20, cfg, sizeof cfg, VDEV_REQ_COMPLETE);
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 0x44332211);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 2), 0x6655);
	guest_devcfg_write(H.g, 1, 1, 0xab);
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 0x4433ab11);
	cr_expect_eq(H.nviol, 0);
	/* Past the end: the transport's check (case 19), whatever the type. */
	(void)guest_devcfg_read(H.g, 8, 4);
	cr_expect(h_saw_violation(&H, "devcfg-range"));
}

Test(generic, state_round_trips_and_bad_state_is_refused)
{
	const uint8_t cfg[4] = { 1, 2, 3, 4 };
	struct buf b;
	char *cause = NULL;

	open_generic(5, cfg, sizeof cfg, VDEV_REQ_COMPLETE);
	guest_devcfg_write(H.g, 2, 1, 0x99);
	buf_init(&b);
	vpci_save(H.d, &b);
	guest_devcfg_write(H.g, 2, 1, 0x00);
	cr_assert_eq(vpci_load(H.d, b.data, b.len, &cause), 0, "%s", cause ? cause : "?");
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 0x04990201);
	/* A cut blob is refused, not half applied. */
	cr_expect_eq(vpci_load(H.d, b.data, b.len - 1, &cause), -1);
	free(cause);
	buf_release(&b);
}

Test(device_names, qemu_names_and_numbers)
{
	static const struct {
		const char *name;
		int id;
	} cases[] = {
		{ "blk", 2 }, { "virtio-blk", 2 }, { "virtio-blk-pci", 2 }, { "virtio-blk-pci-non-transitional", 2 },
		{ "virtio-blk-pci-transitional", 2 }, { "vhost-user-blk-pci", 2 },
		{ "balloon", 5 }, { "virtio-balloon-pci", 5 }, { "virtio-balloon-pci-non-transitional", 5 },
		{ "input", 18 }, { "virtio-input-host-pci", 18 }, { "virtio-keyboard-pci", 18 },
		{ "virtio-mouse-pci", 18 }, { "virtio-tablet-pci", 18 },
		{ "gpu", 16 }, { "virtio-gpu-pci", 16 }, { "virtio-vga", 16 },
		{ "crypto", 20 }, { "virtio-crypto-pci", 20 }, { "iommu", 23 }, { "virtio-iommu-pci", 23 },
		{ "sound", 25 }, { "virtio-sound-pci", 25 }, { "9p", 9 }, { "virtio-9p-pci", 9 },
		{ "vsock", 19 }, { "vhost-vsock-pci", 19 }, { "fs", 26 }, { "vhost-user-fs-pci", 26 },
		{ "mem", 24 }, { "virtio-mem-pci", 24 }, { "pmem", 27 }, { "virtio-pmem-pci", 27 },
		{ "serial", 3 }, { "virtio-serial-pci", 3 }, { "console", 3 },
		{ "scsi", 8 }, { "virtio-scsi-pci", 8 }, { "net", 1 }, { "virtio-net-pci", 1 },
		{ "rng", 4 }, { "virtio-rng-pci", 4 }, { "42", 42 }, { "0x2a", 42 }, { "63", 63 }, { "1", 1 },
		{ "0", -1 }, { "64", -1 }, { "0x", -1 }, { "", -1 }, { "-pci", -1 }, { "blk-pci-pci", -1 },
		{ "virtio-foo-pci", -1 }, { "Blk", -1 }, { "4x", -1 }, { "99999999999", -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_expect_eq(trace_device_parse(cases[i].name), cases[i].id, "'%s'", cases[i].name);
}

Test(device_names, every_id_has_a_canonical_name_that_parses_back)
{
	cr_expect_null(trace_device_name(0));
	cr_expect_null(trace_device_name(64));
	cr_expect_str_eq(trace_device_name(5), "balloon");
	cr_expect_str_eq(trace_device_name(14), "14");
	cr_expect_str_eq(trace_device_name(2), "blk");
	for (unsigned id = 1; id <= TRACE_MAX_DEVICE; id++) {
		const char *n = trace_device_name((uint8_t)id);

		cr_assert_not_null(n, "id %u", id);
		cr_expect_eq(trace_device_parse(n), (int)id, "id %u named '%s'", id, n);
	}
}

Test(device_names, policy_and_unnamed_ids_round_trip_through_binary)
{
	struct trace_header h;
	struct trace_writer *w;
	struct trace_reader *r;
	char path[] = "/tmp/test_generic_XXXXXX.vrb";
	char *cause = NULL;
	int fd = mkstemps(path, 4);

	cr_assert_geq(fd, 0);
	close(fd);
	trace_header_init(&h);
	h.device = 47;
	h.requests = TRACE_REQ_HOLD;
	w = trace_writer_open(path, TRACE_FMT_BINARY, 0, &h, &cause);
	cr_assert_not_null(w, "%s", cause ? cause : "?");
	cr_assert_eq(trace_writer_close(w, &cause), 0);
	r = trace_open(path, &cause);
	cr_assert_not_null(r, "%s", cause ? cause : "?");
	cr_expect_eq(trace_header(r)->device, 47);
	cr_expect_eq(trace_header(r)->requests, TRACE_REQ_HOLD);
	trace_close(r);
	unlink(path);
	h.requests = TRACE_REQ_COUNT;
	cr_expect_eq(trace_header_check(&h, &cause), -1);
	cr_expect(cause != NULL && strstr(cause, "generic-requests") != NULL);
	free(cause);
	cr_expect_str_eq(trace_requests_name(TRACE_REQ_HOLD), "hold");
	cr_expect_eq(trace_requests_parse("complete"), TRACE_REQ_COMPLETE);
	cr_expect_eq(trace_requests_parse("Hold"), -1);
}
