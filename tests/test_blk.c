/* test_blk.c -- virtio-blk through the model guest: every request type and every error answer */
#include <fcntl.h>
#include <unistd.h>

#include "dev-harness.h"
#include "vr/disk.h"
#include "vr/sha256.h"

#define T_IN	0
#define T_OUT	1
#define T_FLUSH	4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WZ	13

static struct harness H;
static uint8_t status_byte;
static uint8_t inbuf[65536];

/* One request: header, optional data-out, data-in of inlen bytes, status byte. Returns used len. */
static uint32_t blk_req(uint32_t type, uint64_t sector, const void *out, uint32_t outlen, uint32_t inlen)
{
	uint8_t hdr[16] = { 0 };
	struct guest_buf ob[2] = { { 0, 16, hdr }, { 0, outlen, out } };
	struct guest_buf ib[2] = { { 0, inlen, NULL }, { 0, 1, NULL } };
	struct guest_used u;
	int head;

	le32_store(hdr, type);
	le64_store(hdr + 8, sector);
	head = h_submit(&H, 0, ob, outlen ? 2 : 1, inlen ? ib : ib + 1, inlen ? 2 : 1);
	u = h_used(&H, 0);
	cr_assert_eq(u.head, head);
	if (inlen)
		h_read_in(&H, 0, u.head, 0, inbuf, inlen);
	h_read_in(&H, 0, u.head, inlen, &status_byte, 1);
	return u.len;
}

static void open_blk(uint64_t offered, uint64_t disk_size)
{
	struct vpci_setup s;
	static struct vdev_backend be;

	memset(&s, 0, sizeof s);
	be.type = "disk";
	be.size = disk_size;
	s.offered = offered;
	s.backends = &be;
	s.nbackends = 1;
	h_open_setup(&H, "blk", &s, 0);
}

static void teardown(void)
{
	h_close(&H);
}

static void setup_default(void)
{
	open_blk(0, 1u << 20);
}

TestSuite(blk, .fini = teardown);
TestSuite(blk_state);

Test(blk, config_capacity_from_backend)
{
	setup_default();
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 2048);
	cr_expect_eq(guest_devcfg_read(H.g, 4, 4), 0);
	cr_expect_eq(guest_devcfg_read(H.g, 20, 4), 512);	/* blk_size */
	cr_expect_eq(guest_devcfg_read(H.g, 12, 4), 254);	/* seg_max: QEMU's queue size - 2 */
	cr_expect_eq(guest_devcfg_read(H.g, 36, 4), 0x3fffff);	/* max_discard_sectors */
}

Test(blk, read_inline_disk_contents)
{
	setup_default();
	uint8_t pat[4096];

	for (unsigned i = 0; i < sizeof pat; i++)
		pat[i] = (uint8_t)(i * 7 + 1);
	h_input(&H, TRACE_INPUT_DISK, 8 * 512, pat, sizeof pat);
	cr_expect_eq(blk_req(T_IN, 8, NULL, 0, 4096), 4097);
	cr_expect_eq(status_byte, 0);
	cr_expect_eq(memcmp(inbuf, pat, sizeof pat), 0);
	h_expect(&H, "blk IN sector=8 len=4096 status=OK");
	/* Never-written sectors read as zeros. */
	memset(inbuf, 0xaa, 512);
	blk_req(T_IN, 100, NULL, 0, 512);
	cr_expect_eq(inbuf[0], 0);
	cr_expect_eq(inbuf[511], 0);
}

Test(blk, write_then_read_back)
{
	setup_default();
	uint8_t data[1024];

	memset(data, 0x5a, sizeof data);
	data[0] = 1;
	data[1023] = 2;
	cr_expect_eq(blk_req(T_OUT, 2047 - 1, data, sizeof data, 0), 1);
	cr_expect_eq(status_byte, 0);
	h_expect(&H, "blk OUT sector=2046 len=1024 status=OK");
	blk_req(T_IN, 2046, NULL, 0, 1024);
	cr_expect_eq(memcmp(inbuf, data, sizeof data), 0);
}

Test(blk, flush_and_get_id)
{
	setup_default();
	cr_expect_eq(blk_req(T_FLUSH, 0, NULL, 0, 0), 1);
	cr_expect_eq(status_byte, 0);
	h_expect(&H, "blk FLUSH status=OK");
	cr_expect_eq(blk_req(T_GET_ID, 0, NULL, 0, 20), 21);
	cr_expect_eq(status_byte, 0);
	cr_expect_eq(inbuf[0], 0);		/* empty serial, NUL-terminated, as QEMU */
	h_expect(&H, "blk GET_ID len=20 status=OK");
}

static void dwz(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t seg[16];

	le64_store(seg, sector);
	le32_store(seg + 8, n);
	le32_store(seg + 12, flags);
	blk_req(type, sector, seg, 16, 0);
}

Test(blk, discard_and_write_zeroes)
{
	setup_default();
	uint8_t data[4096];

	memset(data, 0x33, sizeof data);
	blk_req(T_OUT, 16, data, sizeof data, 0);
	dwz(T_DISCARD, 16, 4, 0);
	cr_expect_eq(status_byte, 0);
	h_expect(&H, "blk DISCARD sector=16 sectors=4 flags=0 status=OK");
	/* QEMU's default discard=ignore: the sectors keep their data. */
	blk_req(T_IN, 16, NULL, 0, 4096);
	cr_expect_eq(inbuf[0], 0x33);
	cr_expect_eq(inbuf[2047], 0x33);
	cr_expect_eq(inbuf[2048], 0x33);
	dwz(T_WZ, 20, 4, 1);
	cr_expect_eq(status_byte, 0);
	h_expect(&H, "blk WRITE_ZEROES sector=20 sectors=4 flags=1 status=OK");
	blk_req(T_IN, 16, NULL, 0, 4096);
	cr_expect_eq(inbuf[2048], 0);
	cr_expect_eq(inbuf[4095], 0);
}

Test(blk, discard_errors)
{
	setup_default();
	dwz(T_DISCARD, 0, 1, 1);		/* unmap flag on discard */
	cr_expect_eq(status_byte, 2);
	h_expect(&H, "blk DISCARD sector=0 sectors=1 flags=1 status=UNSUPP");
	dwz(T_WZ, 0, 1, 2);			/* unknown flag */
	cr_expect_eq(status_byte, 2);
	dwz(T_DISCARD, 2048, 1, 0);		/* beyond capacity */
	cr_expect_eq(status_byte, 1);
	dwz(T_DISCARD, 0, 0x400000, 0);		/* more than max_discard_sectors */
	cr_expect_eq(status_byte, 1);
	h_expect(&H, "blk DISCARD sector=0 sectors=4194304 flags=0 status=IOERR");
	{
		/* Two segments: QEMU supports one. */
		uint8_t seg[32] = { 0 };

		blk_req(T_DISCARD, 0, seg, 32, 0);
		cr_expect_eq(status_byte, 2);
	}
	/* DISCARD without the OUT bit (type 10) is not a discard: UNSUPP. */
	blk_req(10, 0, NULL, 0, 0);
	cr_expect_eq(status_byte, 2);
}

Test(blk, out_of_range_and_misaligned)
{
	setup_default();
	uint8_t data[512] = { 0 };

	cr_expect_eq(blk_req(T_IN, 2048, NULL, 0, 512), 513);
	cr_expect_eq(status_byte, 1);
	h_expect(&H, "blk IN sector=2048 len=512 status=IOERR");
	blk_req(T_IN, 2047, NULL, 0, 1024);	/* straddles the end */
	cr_expect_eq(status_byte, 1);
	blk_req(T_OUT, UINT64_MAX, data, 512, 0);	/* sector arithmetic must not wrap */
	cr_expect_eq(status_byte, 1);
	blk_req(T_IN, 0, NULL, 0, 100);		/* not a multiple of the block size */
	cr_expect_eq(status_byte, 1);
	blk_req(T_IN, 2047, NULL, 0, 512);	/* last sector is fine */
	cr_expect_eq(status_byte, 0);
}

Test(blk, unknown_type_unsupp)
{
	setup_default();
	cr_expect_eq(blk_req(99, 0, NULL, 0, 8), 9);
	cr_expect_eq(status_byte, 2);
	h_expect(&H, "blk T99 status=UNSUPP");
	blk_req(2, 0, NULL, 0, 0);		/* legacy SCSI passthrough, too few buffers: QEMU says IOERR */
	cr_expect_eq(status_byte, 1);
}

Test(blk, missing_status_buffer_is_a_violation)
{
	setup_default();
	uint8_t hdr[16] = { 0 };
	struct guest_buf ob = { 0, 16, hdr };

	h_submit(&H, 0, &ob, 1, NULL, 0);
	cr_expect(h_nothing_used(&H, 0));
	cr_expect(h_saw_violation(&H, "blk-missing-headers"));
	cr_expect(guest_status(H.g) & 0x40, "DEVICE_NEEDS_RESET expected");
}

Test(blk, short_header_is_a_violation)
{
	setup_default();
	uint8_t hdr[8] = { 0 };
	struct guest_buf ob = { 0, 8, hdr }, ib = { 0, 1, NULL };

	h_submit(&H, 0, &ob, 1, &ib, 1);
	cr_expect(h_nothing_used(&H, 0));
	cr_expect(h_saw_violation(&H, "blk-outhdr-short"));
}

Test(blk, read_only_refuses_writes)
{
	uint8_t data[512] = { 1 };

	open_blk(1ull << 5, 1u << 20);
	blk_req(T_OUT, 0, data, sizeof data, 0);
	cr_expect_eq(status_byte, 1);
	blk_req(T_IN, 0, NULL, 0, 512);
	cr_expect_eq(status_byte, 0);
	cr_expect_eq(inbuf[0], 0);
}

Test(blk, writeback_config_write)
{
	open_blk((1ull << 11) | (1ull << 9), 1u << 20);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 1);
	guest_devcfg_write(H.g, 32, 1, 0);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 0);
	guest_devcfg_write(H.g, 0, 4, 7);	/* capacity is read-only */
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 2048);
}

static char imgpath[64];

static void make_image(uint8_t digest[32], size_t size)
{
	int fd;
	uint8_t *p = malloc(size);
	char *cause = NULL;

	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)(i / 512 + 3);
	snprintf(imgpath, sizeof imgpath, "/tmp/vr-test-blk-XXXXXX");
	fd = mkstemp(imgpath);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p, size), (ssize_t)size);
	close(fd);
	free(p);
	cr_assert_eq(sha256_file(imgpath, digest, &cause), 0);
}

Test(blk, image_is_copy_on_write)
{
	uint8_t digest[32], after[32], data[512];
	struct vdev_backend be = { "disk", 64 * 1024, NULL, NULL, false, -1 };
	struct vpci_setup s;
	char *cause = NULL;

	make_image(digest, 32 * 1024);		/* shorter than the disk: the rest reads as zeros */
	be.image = imgpath;
	be.sha256 = digest;
	memset(&s, 0, sizeof s);
	s.backends = &be;
	s.nbackends = 1;
	h_open_setup(&H, "blk", &s, 0);
	blk_req(T_IN, 1, NULL, 0, 512);
	cr_expect_eq(inbuf[0], 4);
	memset(data, 0xee, sizeof data);
	blk_req(T_OUT, 1, data, sizeof data, 0);
	cr_expect_eq(status_byte, 0);
	blk_req(T_IN, 0, NULL, 0, 2048);
	cr_expect_eq(inbuf[0], 3);
	cr_expect_eq(inbuf[512], 0xee);
	cr_expect_eq(inbuf[1024], 5);
	blk_req(T_IN, 100, NULL, 0, 512);
	cr_expect_eq(inbuf[0], 0);
	dwz(T_WZ, 2, 1, 0);
	blk_req(T_IN, 2, NULL, 0, 1024);
	cr_expect_eq(inbuf[0], 0);
	cr_expect_eq(inbuf[512], 6);
	cr_assert_eq(sha256_file(imgpath, after, &cause), 0);
	cr_expect_eq(memcmp(digest, after, 32), 0, "the image file changed");
	unlink(imgpath);
}

Test(blk_state, image_sha256_mismatch_refused)
{
	uint8_t digest[32];
	struct vdev_backend be = { "disk", 4096, NULL, NULL, false, -1 };
	struct vpci_setup s;
	struct evbus bus;
	struct vpci_ram ram = { 0, 1 << 20 };
	char *cause = NULL;

	make_image(digest, 4096);
	digest[0] ^= 1;
	be.image = imgpath;
	be.sha256 = digest;
	memset(&s, 0, sizeof s);
	s.ops = vdev_find("blk");
	s.ram = &ram;
	s.nram = 1;
	s.backends = &be;
	s.nbackends = 1;
	evbus_init(&bus);
	cr_expect_null(vpci_new(&s, &bus, &cause));
	cr_assert_not_null(cause);
	cr_expect(strstr(cause, "sha256") != NULL, "%s", cause);
	cr_expect(strstr(cause, imgpath) != NULL, "%s", cause);
	free(cause);
	unlink(imgpath);
}

Test(blk, disk_input_beyond_end_is_bad_input)
{
	setup_default();
	uint8_t b[16] = { 0 };
	char *cause = NULL;

	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_DISK, (1u << 20) - 8, b, 16, &cause), -1);
	cr_expect_not_null(cause);
	free(cause);
	cause = NULL;
	cr_expect_eq(h_input_fails(&H, TRACE_INPUT_ENTROPY, 0, b, 16, &cause), -1);
	free(cause);
}

Test(blk_state, state_save_load_roundtrip)
{
	const struct vdev_ops *ops = vdev_find("blk");
	struct vdev_backend be = { "disk", 1 << 20, NULL, NULL, false, -1 };
	struct vdev_setup s = { .backends = &be, .nbackends = 1 };
	struct buf a, b;
	char *cause = NULL;
	void *d1, *d2;
	uint8_t pat[100];
	struct vdev_input in = { .type = TRACE_INPUT_DISK, .addr = 5000, .data = pat, .len = sizeof pat };

	memset(pat, 0x77, sizeof pat);
	d1 = ops->create(NULL, &s, &cause);
	d2 = ops->create(NULL, &s, &cause);
	cr_assert(d1 && d2);
	cr_assert_eq(ops->input(d1, &in, &cause), 0);
	buf_init(&a);
	buf_init(&b);
	ops->save(d1, &a);
	cr_assert_eq(ops->load(d2, a.data, a.len, &cause), 0, "%s", cause);
	ops->save(d2, &b);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len), 0);
	/* Truncated and corrupted states are refused. */
	cr_expect_eq(ops->load(d2, a.data, a.len - 1, &cause), -1);
	free(cause);
	cause = NULL;
	a.data[1] ^= 0xff;			/* capacity no longer matches */
	cr_expect_eq(ops->load(d2, a.data, a.len, &cause), -1);
	free(cause);
	buf_release(&a);
	buf_release(&b);
	ops->destroy(d1);
	ops->destroy(d2);
}

Test(disk, overlay_is_sparse_and_ordered)
{
	struct disk *d;
	char *cause = NULL;
	uint8_t x[8192], y[8192];
	struct buf b;
	struct cursor c;

	d = disk_new(NULL, 1 << 20, &cause);
	cr_assert_not_null(d);
	memset(x, 9, sizeof x);
	cr_assert_eq(disk_write(d, 100000, x, 10), 0);
	cr_assert_eq(disk_write(d, 4000, x, 200), 0);	/* straddles blocks 0 and 1 */
	cr_expect_eq(disk_overlay_blocks(d), 3);
	cr_assert_eq(disk_read(d, 3990, y, 220), 0);
	cr_expect_eq(y[0], 0);
	cr_expect_eq(y[10], 9);
	cr_expect_eq(y[209], 9);
	cr_expect_eq(y[210], 0);
	cr_assert_eq(disk_zero(d, 0, 8192), 0);
	cr_expect_eq(disk_overlay_blocks(d), 1);	/* zero base: blocks dropped */
	buf_init(&b);
	disk_save(d, &b);
	cursor_init(&c, b.data, b.len);
	cr_expect_eq(disk_load(d, &c, &cause), 0);
	cr_expect_eq(disk_overlay_blocks(d), 1);
	/* A block number out of order is refused. */
	b.data[16 + 1] = 0xff;
	cursor_init(&c, b.data, b.len);
	cr_expect_eq(disk_load(d, &c, &cause), -1);
	free(cause);
	buf_release(&b);
	disk_free(d);
	disk_free(NULL);
}

static void blk_shape(uint8_t *out, uint32_t len, unsigned q, uint32_t *seed)
{
	static const uint32_t types[] = { 0, 1, 4, 8, 11, 13, 0x80000000u, 5 };

	if (len >= 4)
		le32_store(out, types[h_rand(seed) % 8]);
	if (len >= 16)
		le64_store(out + 8, h_rand(seed) % 4096);
}

Test(blk, random_requests_survive)
{
	static const unsigned qs[] = { 0 };
	uint8_t pat[512] = { 1 };

	setup_default();
	h_input(&H, TRACE_INPUT_DISK, 0, pat, sizeof pat);
	h_fuzz(&H, qs, 1, 600, 12345, blk_shape);
	cr_expect_gt(H.ntxn, 100, "only %u requests completed", H.ntxn);
}

/* A configured serial (struct vpci_setup.serial) answers GET_ID. */
Test(blk, get_id_serial)
{
	struct vpci_setup s;
	static struct vdev_backend be;
	char serial[32];

	memset(&s, 0, sizeof s);
	be.type = "disk";
	be.size = 1u << 20;
	s.backends = &be;
	s.nbackends = 1;
	snprintf(serial, sizeof serial, "QM00005");
	s.serial = serial;
	h_open_setup(&H, "blk", &s, 0);
	serial[0] = 'X';	/* the device keeps its own copy */
	memset(inbuf, 0xee, 32);
	cr_expect_eq(blk_req(T_GET_ID, 0, NULL, 0, 20), 21);
	cr_expect_eq(status_byte, 0);
	cr_expect_eq(memcmp(inbuf, "QM00005", 7), 0);
	cr_expect_eq(inbuf[7], 0);
	cr_expect_eq(inbuf[19], 0);
}

/* GET_ID copies the serial with its NUL (at most 20 bytes, at most the buffer) and leaves the rest alone. */
Test(blk, get_id_serial_lengths)
{
	struct vpci_setup s;
	static struct vdev_backend be = { .type = "disk", .size = 1u << 20 };
	static const struct {
		const char *serial;
		uint32_t inlen;
		const char *want;		/* the bytes written */
		uint32_t nwant;
	} cases[] = {
		{ NULL, 20, "", 1 },
		{ "abc", 20, "abc", 4 },
		{ "abc", 2, "ab", 2 },
		{ "0123456789abcdefghij", 20, "0123456789abcdefghij", 20 },
		{ "0123456789abcdefghijKLMN", 24, "0123456789abcdefghij", 20 },
	};

	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&s, 0, sizeof s);
		s.backends = &be;
		s.nbackends = 1;
		s.serial = cases[i].serial;
		h_open_setup(&H, "blk", &s, 0);
		cr_expect_eq(blk_req(T_GET_ID, 0, NULL, 0, cases[i].inlen), cases[i].inlen + 1);
		cr_expect_eq(status_byte, 0);
		cr_expect_eq(memcmp(inbuf, cases[i].want, cases[i].nwant), 0, "case %u", i);
		h_close(&H);
	}
	memset(&s, 0, sizeof s);
	s.backends = &be;
	s.nbackends = 1;
	h_open_setup(&H, "blk", &s, 0);
}

/* The writeback byte: writable without CONFIG_WCE, FLUSH decides it at DRIVER_OK when CONFIG_WCE is off (QEMU). */
Test(blk, writeback_toggle)
{
	setup_default();
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 1);
	guest_devcfg_write(H.g, 32, 1, 0);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 0);
	guest_devcfg_write(H.g, 32, 1, 7);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 1);
	h_close(&H);
	/* a driver taking neither FLUSH nor CONFIG_WCE runs write-through */
	{
		struct vpci_setup s;
		static struct vdev_backend be = { .type = "disk", .size = 1u << 20 };

		memset(&s, 0, sizeof s);
		s.backends = &be;
		s.nbackends = 1;
		s.offered = (1ull << 32) | (1ull << 11) | (1ull << 9) | (1ull << 6);
		h_open_setup(&H, "blk", &s, (1ull << 32) | (1ull << 6));
		cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 0);
		/* set_status runs at every DRIVER_OK write: the same status again undoes the byte */
		guest_devcfg_write(H.g, 32, 1, 1);
		cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 1);
		guest_common_write(H.g, VIRTIO_PCI_COMMON_STATUS, 1, guest_common_read(H.g, VIRTIO_PCI_COMMON_STATUS, 1));
		cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 0);
	}
}

/*
 * QEMU's in-flight limit: reads finish after the notify, so an avail index
 * moved by more than the queue size pops a queue's worth and then breaks
 * the device ("Virtqueue size exceeded"); nothing is used.
 */
Test(blk, in_flight_limit)
{
	uint8_t hdr[16] = { 0 };
	struct guest_buf ob = { 0, 16, hdr };
	struct guest_buf ib[2] = { { 0, 512, NULL }, { 0, 1, NULL } };
	char *cause = NULL;
	uint16_t size, idx;
	int head;

	setup_default();
	size = guest_queue_size(H.g, 0);
	head = guest_add(H.g, 0, &ob, 1, ib, 2, 0, &cause);
	cr_assert_geq(head, 0);
	idx = guest_avail_idx(H.g, 0);
	for (unsigned i = 0; i <= size; i++)
		guest_raw_avail_ring(H.g, 0, (uint16_t)(idx - 1 + i), (uint16_t)head);
	guest_raw_avail_idx(H.g, 0, (uint16_t)(idx - 1 + size + 1));
	guest_notify(H.g, 0);
	cr_expect(h_saw_violation(&H, "too-many-in-flight"));
	cr_expect(h_nothing_used(&H, 0), "no used entry once the device broke");
	cr_expect_eq(vpci_status(H.d) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	cr_expect_eq(H.nconfig_irq, 1);
}

/* Requests QEMU answers at once (GET_ID) never fill the queue: the same jump serves them. */
Test(blk, in_flight_sync_requests)
{
	uint8_t hdr[16] = { T_GET_ID };
	struct guest_buf ob = { 0, 16, hdr };
	struct guest_buf ib[2] = { { 0, 20, NULL }, { 0, 1, NULL } };
	char *cause = NULL;
	uint16_t idx;
	int head;

	setup_default();
	head = guest_add(H.g, 0, &ob, 1, ib, 2, 0, &cause);
	cr_assert_geq(head, 0);
	idx = guest_avail_idx(H.g, 0);
	for (unsigned i = 0; i < 8; i++)
		guest_raw_avail_ring(H.g, 0, (uint16_t)(idx - 1 + i), (uint16_t)head);
	guest_raw_avail_idx(H.g, 0, (uint16_t)(idx - 1 + 8));
	guest_notify(H.g, 0);
	cr_expect_not(h_saw_violation(&H, "too-many-in-flight"));
	cr_expect_eq(H.ntxn, 8);
	cr_expect_eq(vpci_status(H.d) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* The legacy SCSI command: IOERR with too few buffers, else UNSUPP with errors = 255 in the scsi inhdr (QEMU). */
Test(blk, scsi_cmd_answers)
{
	uint8_t hdr[16] = { 2 }, cdb[6] = { 0x12 }, inhdr[16];
	struct guest_buf ob[2] = { { 0, 16, hdr }, { 0, 6, cdb } };
	struct guest_buf ib[3] = { { 0, 8, NULL }, { 0, 16, NULL }, { 0, 1, NULL } };
	struct guest_used u;

	setup_default();
	cr_expect_eq(blk_req(2, 0, NULL, 0, 16), 17);
	cr_expect_eq(status_byte, 1);
	h_expect(&H, "blk SCSI_CMD status=IOERR");
	u.head = (uint16_t)h_submit(&H, 0, ob, 2, ib, 3);
	u = h_used(&H, 0);
	cr_expect_eq(u.len, 25);
	h_read_in(&H, 0, u.head, 24, &status_byte, 1);
	cr_expect_eq(status_byte, 2);
	h_read_in(&H, 0, u.head, 8, inhdr, sizeof inhdr);
	cr_expect_eq(le32_load(inhdr), 255);
	h_expect(&H, "blk SCSI_CMD status=UNSUPP");
}

/* The disk options: discard=unmap zeroes what DISCARD names; write-cache=off starts the writeback byte at 0. */
Test(blk, disk_options)
{
	struct vpci_setup s;
	static struct vdev_backend be = { .type = "disk", .size = 1u << 20 };
	uint8_t data[4096];

	memset(&s, 0, sizeof s);
	s.backends = &be;
	s.nbackends = 1;
	s.disk = VDEV_DISK_UNMAP | VDEV_DISK_NO_WCACHE;
	h_open_setup(&H, "blk", &s, 0);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 0);
	guest_devcfg_write(H.g, 32, 1, 1);
	cr_expect_eq(guest_devcfg_read(H.g, 32, 1), 1);
	memset(data, 0x33, sizeof data);
	blk_req(T_OUT, 16, data, sizeof data, 0);
	dwz(T_DISCARD, 17, 2, 0);
	cr_expect_eq(status_byte, 0);
	blk_req(T_IN, 16, NULL, 0, 4096);
	cr_expect_eq(inbuf[511], 0x33);
	cr_expect_eq(inbuf[512], 0);
	cr_expect_eq(inbuf[1535], 0);
	cr_expect_eq(inbuf[1536], 0x33);
	/* FLUSH with the cache off still succeeds */
	blk_req(T_FLUSH, 0, NULL, 0, 0);
	cr_expect_eq(status_byte, 0);
}

/* More queues than QEMU's default one: MQ offered, num_queues says how many, each queue answers. */
Test(blk, multiqueue_from_queue_count)
{
	struct vpci_setup s;
	static struct vdev_backend be = { .type = "disk", .size = 1u << 20 };
	uint8_t hdr[16] = { 0 };
	struct guest_buf ob = { 0, 16, hdr }, ib[2] = { { 0, 20, NULL }, { 0, 1, NULL } };

	memset(&s, 0, sizeof s);
	s.nqueues = 4;
	s.backends = &be;
	s.nbackends = 1;
	h_open_setup(&H, "blk", &s, 0);
	cr_expect_eq(guest_num_queues(H.g), 4);
	cr_expect(guest_device_features(H.g) >> 12 & 1, "MQ offered");
	cr_expect_eq(guest_devcfg_read(H.g, 34, 2), 4);
	cr_expect_eq(guest_caps(H.g)->msix_size, 5);	/* QEMU: num-queues + 1 */
	le32_store(hdr, T_GET_ID);
	for (unsigned q = 0; q < 4; q++) {
		int head = h_submit(&H, q, &ob, 1, ib, 2);

		cr_expect_eq(h_used(&H, q).head, head, "queue %u", q);
	}
	/* A notify past the last queue does nothing but name the misbehaviour. */
	guest_notify(H.g, 4);
	cr_expect_eq(H.nviol, 1);
	cr_expect_str_eq(H.viol[0], "queue-not-ready");
}
