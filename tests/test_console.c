/* test_console.c -- virtio-console through the model guest: port 0, MULTIPORT control, events */
#include "dev-harness.h"

#define F_SIZE		0
#define F_MULTIPORT	1

static struct harness H;

static void teardown(void)
{
	h_close(&H);
}

TestSuite(console, .fini = teardown);

static void open_multiport_layout(int layout)
{
	struct vpci_setup s;
	static uint8_t cfg[12];

	memset(&s, 0, sizeof s);
	s.layout = layout;
	le16_store(cfg, 80);
	le16_store(cfg + 2, 25);
	le32_store(cfg + 4, 2);
	s.offered = (1ull << F_SIZE) | (1ull << F_MULTIPORT);
	s.devcfg = cfg;
	s.devcfg_len = sizeof cfg;
	s.nqueues = 6;
	s.msix_vectors = 7;	/* a vector per queue for the guest (QEMU's default would be 3) */
	h_open_setup(&H, "console", &s, 0);
}

static void open_multiport(void)
{
	open_multiport_layout(VDEV_LAYOUT_QEMU);
}

/* QEMU's one-port virtio-serial (4 queues), with a vector per queue (as record starts QEMU with vectors=5). */
static void open_console_offering(uint64_t offered)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	s.offered = offered;
	s.nqueues = 4;
	s.msix_vectors = 5;
	h_open_setup(&H, "console", &s, 0);
}

static void open_console(void)
{
	open_console_offering(0);
}

static void ctrl_msg(uint32_t id, uint16_t ev, uint16_t val)
{
	uint8_t m[8];
	struct guest_buf ob = { 0, 8, m };

	le32_store(m, id);
	le16_store(m + 4, ev);
	le16_store(m + 6, val);
	h_submit(&H, 3, &ob, 1, NULL, 0);
	cr_expect_eq(h_used(&H, 3).len, 0);
}

static void expect_ctrl_in(uint32_t id, uint16_t ev, uint16_t val)
{
	struct guest_used u = h_used(&H, 2);
	uint8_t m[8];

	cr_expect_eq(u.len, 8);
	h_read_in(&H, 2, u.head, 0, m, 8);
	cr_expect_eq(le32_load(m), id);
	cr_expect_eq(le16_load(m + 4), ev, "event %u, expected %u", le16_load(m + 4), ev);
	cr_expect_eq(le16_load(m + 6), val);
}

/* The MSI-X table size of a device built from s, as its capability says. */
static unsigned msix_table_size(struct vpci_setup *s)
{
	struct evbus bus;
	struct vpci *d;
	char *cause = NULL;
	unsigned n = 0;
	static struct vpci_ram ram = { 0, 1u << 20 };

	evbus_init(&bus);
	s->ops = vdev_find("console");
	s->ram = &ram;
	s->nram = 1;
	d = vpci_new(s, &bus, &cause);
	cr_assert_not_null(d, "%s", cause ? cause : "?");
	for (uint32_t c = (uint32_t)vpci_cfg_read(d, 0x34, 1); c != 0 && n == 0; c = (uint32_t)vpci_cfg_read(d, c + 1, 1))
		if (vpci_cfg_read(d, c, 1) == 0x11)
			n = ((unsigned)vpci_cfg_read(d, c + 2, 2) & 0x7ff) + 1;
	vpci_free(d);
	return n;
}

/* Nothing stated: QEMU 7.2's -device virtio-serial-pci, 31 ports. */
Test(console, qemu_default_device)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	cr_expect_eq(msix_table_size(&s), 2);
	s.msix_vectors = 65;	/* the harness's guest takes a vector per queue */
	h_open_setup(&H, "console", &s, 1ull << F_MULTIPORT);
	cr_expect_eq(guest_num_queues(H.g), 64);
	cr_expect(guest_device_features(H.g) >> F_MULTIPORT & 1);
	cr_expect_not(guest_device_features(H.g) >> F_SIZE & 1);
	for (unsigned q = 0; q < 64; q++)
		cr_expect_eq(guest_queue_size(H.g, q), q == 2 || q == 3 ? 32 : 128, "queue %u: %u", q,
		    guest_queue_size(H.g, q));
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 31);		/* max_nr_ports */
	ctrl_msg(30, 6, 1);					/* the last port exists */
	h_expect(&H, "console ctrl PORT_OPEN id=30 value=1 status=OK");
	ctrl_msg(31, 6, 1);
	h_expect(&H, "console ctrl PORT_OPEN id=31 value=1 status=BAD_PORT");
}

/* A stated queue count is the port count: 4 queues, one port and no MULTIPORT; 10 queues, 4 ports. */
Test(console, qemu_ports_follow_the_queues)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	s.nqueues = 4;
	s.msix_vectors = 5;
	h_open_setup(&H, "console", &s, 0);
	cr_expect_not(guest_device_features(H.g) >> F_MULTIPORT & 1);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 1);
	h_close(&H);
	memset(&s, 0, sizeof s);
	s.nqueues = 10;
	s.msix_vectors = 11;
	h_open_setup(&H, "console", &s, 1ull << F_MULTIPORT);
	cr_expect(guest_device_features(H.g) >> F_MULTIPORT & 1);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 4);
	cr_expect_eq(guest_queue_size(H.g, 9), 128);
	h_close(&H);
	/* vbox keeps its own: 2 queues, no MULTIPORT, one port */
	memset(&s, 0, sizeof s);
	s.layout = VDEV_LAYOUT_VBOX;
	h_open_setup(&H, "console", &s, 0);
	cr_expect_eq(guest_num_queues(H.g), 2);
	cr_expect_not(guest_device_features(H.g) >> F_MULTIPORT & 1);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 1);
}

Test(console, tx_bytes_become_transactions)
{
	struct guest_buf ob = { 0, 5, "hello" };
	struct guest_used u;

	open_console();
	h_submit(&H, 1, &ob, 1, NULL, 0);
	u = h_used(&H, 1);
	cr_expect_eq(u.len, 0);
	h_expect(&H, "console tx port=0 len=5 status=OK");
}

Test(console, rx_bytes_from_the_trace)
{
	struct guest_buf ib = { 0, 2, NULL };
	struct guest_used u;
	char got[3] = { 0 };

	open_console();
	h_input(&H, TRACE_INPUT_CONSOLE, 0, "abc", 3);	/* typed before any buffer: held */
	h_submit(&H, 0, NULL, 0, &ib, 1);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 2);
	h_read_in(&H, 0, u.head, 0, got, 2);
	cr_expect_str_eq(got, "ab");
	h_expect(&H, "console rx port=0 len=2 status=OK");
	h_submit(&H, 0, NULL, 0, &ib, 1);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 1);
	h_read_in(&H, 0, u.head, 0, got, 1);
	cr_expect_eq(got[0], 'c');
	/* Buffer first, bytes later. */
	h_submit(&H, 0, NULL, 0, &ib, 1);
	cr_expect(h_nothing_used(&H, 0));
	h_input(&H, TRACE_INPUT_CONSOLE, 0, "z", 1);
	cr_expect_eq(h_used(&H, 0).len, 1);
}

Test(console, resize_event_changes_config)
{
	uint8_t sz[4];

	open_console_offering(1ull << F_SIZE);
	cr_expect_eq(guest_devcfg_read(H.g, 0, 2), 0);		/* QEMU's profile: no size until one is set */
	le16_store(sz, 132);
	le16_store(sz + 2, 43);
	h_input(&H, TRACE_INPUT_EVENT, 0, sz, 4);
	cr_expect_eq(guest_devcfg_read(H.g, 0, 2), 132);
	cr_expect_eq(guest_devcfg_read(H.g, 2, 2), 43);
	cr_expect_geq(H.nconfig_irq, 1);
}

Test(console, emergency_write_is_a_note)
{
	open_console();
	guest_devcfg_write(H.g, 8, 4, 'x');
	cr_expect(strstr(H.note, "emergency write 0x78") != NULL, "%s", H.note);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 1);		/* max_nr_ports */
}

Test(console, bad_inputs)
{
	char *cause = NULL;

	open_console();
	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_CONSOLE, 1, "x", 1, &cause), -1);	/* no port 1 */
	free(cause);
	cause = NULL;
	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_EVENT, 0, "xy", 2, &cause), -1);	/* short resize */
	free(cause);
	cause = NULL;
	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_EVENT, 99, NULL, 0, &cause), -1);
	free(cause);
}

Test(console, multiport_bring_up)
{
	struct guest_buf cb = { 0, 8, NULL }, ib = { 0, 16, NULL };
	struct guest_used u;
	char got[4] = { 0 };

	open_multiport();
	for (int i = 0; i < 8; i++)
		h_submit(&H, 2, NULL, 0, &cb, 1);
	ctrl_msg(0, 0, 1);				/* DEVICE_READY */
	h_expect(&H, "console ctrl DEVICE_READY id=0 value=1 status=OK");	/* answered after its messages */
	expect_ctrl_in(0, 1, 1);			/* DEVICE_ADD port 0 */
	expect_ctrl_in(1, 1, 1);			/* DEVICE_ADD port 1 */
	ctrl_msg(0, 3, 1);				/* PORT_READY 0 */
	expect_ctrl_in(0, 4, 1);			/* CONSOLE_PORT */
	expect_ctrl_in(0, 6, 1);			/* PORT_OPEN (host side open) */
	ctrl_msg(1, 3, 1);				/* PORT_READY 1 */
	expect_ctrl_in(1, 6, 1);
	/* Port 1 input is held until the guest opens the port. */
	h_submit(&H, 4, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 1, "p1", 2);
	cr_expect(h_nothing_used(&H, 4));
	ctrl_msg(1, 6, 1);				/* PORT_OPEN 1 from the guest */
	u = h_used(&H, 4);
	cr_expect_eq(u.len, 2);
	h_read_in(&H, 4, u.head, 0, got, 2);
	cr_expect_str_eq(got, "p1");
	h_expect(&H, "console rx port=1 len=2 status=OK");
	/* tx on port 1 */
	{
		struct guest_buf ob = { 0, 3, "out" };

		h_submit(&H, 5, &ob, 1, NULL, 0);
		cr_expect_eq(h_used(&H, 5).len, 0);
		h_expect(&H, "console tx port=1 len=3 status=OK");
	}
	/* Host closes port 1: the guest is told. */
	{
		uint8_t id[4];

		le32_store(id, 1);
		h_input(&H, TRACE_INPUT_EVENT, 2, id, 4);
		expect_ctrl_in(1, 6, 0);
	}
}

Test(console, multiport_bad_control_messages)
{
	struct guest_buf ob = { 0, 4, "abcd" };

	open_multiport();
	h_submit(&H, 3, &ob, 1, NULL, 0);
	cr_expect_eq(h_used(&H, 3).len, 0);
	h_expect(&H, "console ctrl len=4 status=IGNORED");
	ctrl_msg(7, 3, 1);				/* PORT_READY for a port that does not exist */
	h_expect(&H, "console ctrl PORT_READY id=7 value=1 status=BAD_PORT");
	ctrl_msg(0, 0, 0);				/* DEVICE_READY 0: the guest failed */
	h_expect(&H, "console ctrl DEVICE_READY id=0 value=0 status=GUEST_FAILED");
	ctrl_msg(0, 42, 0);
	h_expect(&H, "console ctrl UNKNOWN id=0 value=0 status=IGNORED");
}

Test(console, multiport_needs_matching_queues, .fini = NULL)
{
	struct vpci_setup s;
	struct evbus bus;
	struct vpci_ram ram = { 0, 1 << 20 };
	uint8_t cfg[12] = { 80, 0, 25, 0, 3, 0, 0, 0 };
	char *cause = NULL;

	memset(&s, 0, sizeof s);
	s.ops = vdev_find("console");
	s.offered = 1ull << F_MULTIPORT;
	s.devcfg = cfg;
	s.devcfg_len = sizeof cfg;
	s.nqueues = 6;				/* 3 ports need 8 */
	s.ram = &ram;
	s.nram = 1;
	evbus_init(&bus);
	cr_expect_null(vpci_new(&s, &bus, &cause));
	cr_expect(cause && strstr(cause, "max_nr_ports"), "%s", cause ? cause : "");
	free(cause);
}

static void con_shape(uint8_t *out, uint32_t len, unsigned q, uint32_t *seed)
{
	if (q == 3 && len >= 8) {
		le32_store(out, h_rand(seed) % 3);
		le16_store(out + 4, (uint16_t)(h_rand(seed) % 8));
		le16_store(out + 6, (uint16_t)(h_rand(seed) % 2));
	}
}

Test(console, random_requests_survive)
{
	static const unsigned qs[] = { 0, 1, 2, 3, 4, 5 };

	open_multiport();
	for (int round = 0; round < 10; round++) {
		h_input(&H, TRACE_INPUT_CONSOLE, (uint64_t)(round % 2), "some typed text", 15);
		h_fuzz(&H, qs, 6, 60, 4242u + (uint32_t)round, con_shape);
	}
	cr_expect_gt(H.ntxn, 100, "only %u requests completed", H.ntxn);
}

/* QEMU's send_control_msg: no ctrl-rx buffer, the message is lost; a short one gets the message's length. */
Test(console, qemu_control_messages_without_buffers_are_lost)
{
	struct guest_buf cb = { 0, 8, NULL }, sb = { 0, 3, NULL };
	struct guest_used u;
	uint8_t m[3];

	open_multiport();
	ctrl_msg(0, 0, 1);				/* DEVICE_READY: 2 PORT_ADDs, nowhere to go */
	h_submit(&H, 2, NULL, 0, &cb, 1);
	cr_expect(h_nothing_used(&H, 2));		/* posting later brings nothing back */
	h_submit(&H, 2, NULL, 0, &sb, 1);
	ctrl_msg(0, 3, 1);				/* PORT_READY 0: CONSOLE_PORT, PORT_OPEN */
	expect_ctrl_in(0, 4, 1);
	u = h_used(&H, 2);
	cr_expect_eq(u.len, 8);				/* 3 bytes written, 8 published */
	h_read_in(&H, 2, u.head, 0, m, 3);
	cr_expect_eq(le32_load((uint8_t[4]){ m[0], m[1], m[2], 0 }), 0);
	cr_expect(h_nothing_used(&H, 2));
}

/* The strict model keeps control messages until the guest posts buffers. */
Test(console, vbox_control_messages_wait_for_buffers)
{
	struct guest_buf cb = { 0, 8, NULL };

	open_multiport_layout(VDEV_LAYOUT_VBOX);
	ctrl_msg(0, 0, 1);
	h_submit(&H, 2, NULL, 0, &cb, 1);
	expect_ctrl_in(0, 1, 1);
	h_submit(&H, 2, NULL, 0, &cb, 1);
	expect_ctrl_in(1, 1, 1);
}

/* With MULTIPORT port 0 too waits for PORT_OPEN; without it DRIVER_OK opened it and PORT_OPEN 0 closes it. */
/* QEMU's chardev reads 4 KiB at most: a larger rx buffer completes with one read, the rest waits. */
Test(console, qemu_rx_reads_of_4k)
{
	static uint8_t typed[6000], got[4096];
	struct guest_buf ib = { 0, 8192, NULL };
	struct guest_used u;

	for (unsigned i = 0; i < sizeof typed; i++)
		typed[i] = (uint8_t)(i * 7);
	open_console();
	h_submit(&H, 0, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 0, typed, sizeof typed);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 4096);
	cr_expect(h_nothing_used(&H, 0));
	h_submit(&H, 0, NULL, 0, &ib, 1);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, sizeof typed - 4096);
	h_read_in(&H, 0, u.head, 0, got, sizeof typed - 4096);
	cr_expect_eq(memcmp(got, typed + 4096, sizeof typed - 4096), 0);
}

Test(console, qemu_port0_open)
{
	struct guest_buf ib = { 0, 8, NULL };

	open_multiport();
	h_submit(&H, 0, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 0, "held", 4);
	cr_expect(h_nothing_used(&H, 0));
	ctrl_msg(0, 6, 1);
	cr_expect_eq(h_used(&H, 0).len, 4);
	h_close(&H);
	open_console();
	ctrl_msg(0, 6, 0);				/* the guest closes port 0 without MULTIPORT */
	h_submit(&H, 0, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 0, "lost", 4);	/* QEMU's chardev reads them, virtio_serial_write drops them */
	cr_expect(h_nothing_used(&H, 0));
	cr_expect(strstr(H.note, "dropped") != NULL, "%s", H.note);
	ctrl_msg(0, 6, 1);
	cr_expect(h_nothing_used(&H, 0));
}

/* QEMU's set_status sees every status write, not only DRIVER_OK changes. */
Test(console, qemu_every_status_write)
{
	struct guest_buf ib = { 0, 8, NULL };
	const uint8_t up = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;

	/* Without MULTIPORT, DRIVER_OK written again opens port 0 the guest closed. */
	open_console();
	ctrl_msg(0, 6, 0);
	guest_common_write(H.g, VIRTIO_PCI_COMMON_STATUS, 1, up | VIRTIO_STATUS_DRIVER_OK);
	h_submit(&H, 0, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 0, "open", 4);
	cr_expect_eq(h_used(&H, 0).len, 4);
	h_close(&H);
	/* With MULTIPORT, a status without DRIVER_OK closes a port opened while DRIVER_OK was off. */
	open_multiport();
	guest_common_write(H.g, VIRTIO_PCI_COMMON_STATUS, 1, up);
	ctrl_msg(1, 6, 1);
	guest_common_write(H.g, VIRTIO_PCI_COMMON_STATUS, 1, up);
	guest_common_write(H.g, VIRTIO_PCI_COMMON_STATUS, 1, up | VIRTIO_STATUS_DRIVER_OK);
	h_submit(&H, 4, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 1, "wait", 4);
	cr_expect(h_nothing_used(&H, 4));
	ctrl_msg(1, 6, 1);
	cr_expect_eq(h_used(&H, 4).len, 4);
}

/*
 * QEMU reads bytes for a port the guest opens in its main loop, after
 * control_out handled every message of the notify: PORT_OPEN 1 then 0 in one
 * notify leaves them waiting (sweep-serial seeds 283008, 283182).
 */
Test(console, qemu_open_and_close_in_one_notify)
{
	struct guest_buf ib = { 0, 8, NULL };
	uint8_t m[2][8];
	char *cause = NULL;

	open_multiport();
	h_submit(&H, 4, NULL, 0, &ib, 1);
	h_input(&H, TRACE_INPUT_CONSOLE, 1, "wait", 4);
	for (unsigned i = 0; i < 2; i++) {
		struct guest_buf ob = { 0, 8, m[i] };

		le32_store(m[i], 1);
		le16_store(m[i] + 4, 6);		/* PORT_OPEN 1, then 0 */
		le16_store(m[i] + 6, (uint16_t)(1 - i));
		cr_assert_geq(guest_add(H.g, 3, &ob, 1, NULL, 0, 0, &cause), 0, "guest_add: %s", cause ? cause : "?");
	}
	guest_notify(H.g, 3);
	cr_expect_eq(h_used(&H, 3).len, 0);
	cr_expect_eq(h_used(&H, 3).len, 0);
	cr_expect(h_nothing_used(&H, 4));
	ctrl_msg(1, 6, 1);
	cr_expect_eq(h_used(&H, 4).len, 4);
}
