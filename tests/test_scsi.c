/* test_scsi.c -- virtio-scsi through the model guest: commands, sense answers, task management, events */
#include "dev-harness.h"

#define RESP_SIZE	(12 + 96)
#define REQ_SIZE	(19 + 32)
#define F_HOTPLUG	1
#define F_CHANGE	2

static struct harness H;
static uint8_t resp[RESP_SIZE];
static uint8_t din[65536];
static uint32_t used_len;

static void teardown(void)
{
	h_close(&H);
}

TestSuite(scsi, .fini = teardown);

static unsigned disk_opts;		/* VDEV_DISK_* of the next open */

static void open_scsi_layout(uint64_t offered, const char *serial, int layout)
{
	struct vpci_setup s;
	static struct vdev_backend be = { "disk", 1 << 20, NULL, NULL, false, -1 };

	memset(&s, 0, sizeof s);
	s.layout = layout;
	s.serial = serial;
	s.disk = disk_opts;
	s.offered = offered;
	s.backends = &be;
	s.nbackends = 1;
	h_open_setup(&H, "scsi", &s, 0);
}

static void open_scsi_serial(uint64_t offered, const char *serial)
{
	open_scsi_layout(offered, serial, TRACE_LAYOUT_QEMU);
}

static void open_scsi(uint64_t offered)
{
	open_scsi_serial(offered, NULL);
}

/* One command to target t, LUN l. Returns the response byte; status in resp[10]. */
static uint8_t cmd_to(unsigned t, unsigned l, const uint8_t *cdb, unsigned cdblen, const void *dout, uint32_t doutlen,
    uint32_t dinlen)
{
	uint8_t req[REQ_SIZE] = { 0 };
	struct guest_buf ob[2] = { { 0, REQ_SIZE, req }, { 0, doutlen, dout } };
	struct guest_buf ib[2] = { { 0, RESP_SIZE, NULL }, { 0, dinlen, NULL } };
	struct guest_used u;

	req[0] = 1;
	req[1] = (uint8_t)t;
	req[2] = (uint8_t)(0x40 | (l >> 8));
	req[3] = (uint8_t)l;
	memcpy(req + 19, cdb, cdblen);
	h_submit(&H, 2, ob, doutlen ? 2 : 1, ib, dinlen ? 2 : 1);
	u = h_used(&H, 2);
	used_len = u.len;
	h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
	if (dinlen)
		h_read_in(&H, 2, u.head, RESP_SIZE, din, dinlen);
	return resp[11];
}

static uint8_t cmd(const uint8_t *cdb, unsigned cdblen, const void *dout, uint32_t doutlen, uint32_t dinlen)
{
	return cmd_to(0, 0, cdb, cdblen, dout, doutlen, dinlen);
}

static void expect_sense(uint8_t key, uint8_t asc, uint8_t ascq)
{
	cr_expect_eq(resp[11], 0, "response %u", resp[11]);
	cr_expect_eq(resp[10], 2, "status 0x%02x, expected CHECK CONDITION", resp[10]);
	cr_expect_eq(le32_load(resp), 18);
	cr_expect_eq(resp[12], 0x70);
	cr_expect_eq(resp[12 + 2], key, "key %u", resp[14]);
	cr_expect_eq(resp[12 + 12], asc, "asc 0x%02x", resp[24]);
	cr_expect_eq(resp[12 + 13], ascq);
}

static void expect_good(void)
{
	cr_expect_eq(resp[11], 0, "response %u", resp[11]);
	cr_expect_eq(resp[10], 0, "status 0x%02x (sense %u/%02x/%02x)", resp[10], resp[14], resp[24], resp[25]);
}

static const uint8_t TUR[6] = { 0 };

/* After the guest's reset the LUN reports it once (unit attention). */
static void open_ready(uint64_t offered)
{
	open_scsi(offered);
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x29, 0x00);
	h_expect(&H, "scsi TEST_UNIT_READY lun=0 sense=06/29/00 status=CHECK_CONDITION");
	cmd(TUR, 6, NULL, 0, 0);
	expect_good();
}

Test(scsi, config_defaults)
{
	open_scsi(0);
	cr_expect_eq(guest_devcfg_read(H.g, 0, 4), 1);		/* num_queues */
	cr_expect_eq(guest_devcfg_read(H.g, 20, 4), 96);	/* sense_size */
	cr_expect_eq(guest_devcfg_read(H.g, 24, 4), 32);	/* cdb_size */
	cr_expect_eq(guest_devcfg_read(H.g, 30, 2), 255);	/* max_target */
	cr_expect_eq(guest_devcfg_read(H.g, 32, 4), 16383);	/* max_lun */
}

Test(scsi, inquiry_standard_and_vpd)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };

	open_scsi(0);
	cr_expect_eq(cmd(inq, 6, NULL, 0, 96), 0);
	expect_good();				/* INQUIRY is exempt from the unit attention */
	cr_expect_eq(used_len, RESP_SIZE + 96);
	cr_expect_eq(le32_load(resp + 4), 96 - 36);	/* resid */
	cr_expect_eq(din[0], 0x00);
	cr_expect_eq(din[4], 31);
	cr_expect_eq(memcmp(din + 8, "QEMU    QEMU HARDDISK   ", 24), 0);
	h_expect(&H, "scsi INQUIRY lun=0 status=GOOD");
	inq[1] = 1;
	cmd(inq, 6, NULL, 0, 96);
	expect_good();
	cr_expect_eq(din[1], 0x00);
	cr_expect_eq(din[3], 5);		/* no serial: 00 83 b0 b1 b2 */
	cr_expect_eq(din[4], 0x00);
	cr_expect_eq(din[5], 0x83);
	cr_expect_eq(din[6], 0xb0);
	cr_expect_eq(din[8], 0xb2);
	cr_expect_eq(le32_load(resp + 4), 96 - 36);	/* QEMU hands over the whole allocation length */
	inq[2] = 0x80;				/* serial number page: none configured */
	cmd(inq, 6, NULL, 0, 96);
	expect_sense(5, 0x24, 0);
	inq[2] = 0x83;				/* device identification: no designator without a serial */
	cmd(inq, 6, NULL, 0, 96);
	expect_good();
	cr_expect_eq(din[1], 0x83);
	cr_expect_eq(din[3], 0);
	inq[2] = 0xb0;
	cmd(inq, 6, NULL, 0, 96);
	expect_good();
	cr_expect_eq(din[3], 0x3c);
	cr_expect_eq(din[4], 1);		/* WSNZ */
	cr_expect_eq(be32_load(din + 28), 8);	/* 4 KiB discard granularity */
	inq[2] = 0xb2;
	cmd(inq, 6, NULL, 0, 96);
	expect_good();
	cr_expect_eq(din[3], 4);
	cr_expect_eq(din[5], 0xe0);
	inq[2] = 0x99;
	cmd(inq, 6, NULL, 0, 96);
	expect_sense(5, 0x24, 0);
	h_expect(&H, "scsi INQUIRY lun=0 sense=05/24/00 status=CHECK_CONDITION");
	inq[1] = 0;
	inq[2] = 0x80;				/* page without EVPD */
	cmd(inq, 6, NULL, 0, 96);
	expect_sense(5, 0x24, 0);
}

Test(scsi, vpd_serial)
{
	uint8_t inq[6] = { 0x12, 1, 0x80, 0, 64, 0 };

	open_scsi_serial(0, "SERIAL-0123456789-ABCDEF");
	cmd(inq, 6, NULL, 0, 64);
	expect_good();
	cr_expect_eq(din[3], 24);
	cr_expect_eq(memcmp(din + 4, "SERIAL-0123456789-ABCDEF", 24), 0);
	inq[2] = 0x83;				/* the designator holds the first 20 characters */
	cmd(inq, 6, NULL, 0, 64);
	expect_good();
	cr_expect_eq(din[3], 24);
	cr_expect_eq(din[4], 0x02);
	cr_expect_eq(din[7], 20);
	cr_expect_eq(memcmp(din + 8, "SERIAL-0123456789-AB", 20), 0);
	inq[2] = 0x00;
	cmd(inq, 6, NULL, 0, 64);
	cr_expect_eq(din[3], 6);
	cr_expect_eq(din[5], 0x80);
}

Test(scsi, response_area_and_framing)
{
	uint8_t req[REQ_SIZE] = { 1, 0, 0x40, 0 }, stale[RESP_SIZE + 36];
	struct guest_buf ob = { 0, REQ_SIZE, req }, ib = { 0, RESP_SIZE, stale };
	struct guest_used u;

	open_ready(0);
	memset(stale, 0xa5, sizeof stale);
	/* TEST UNIT READY: QEMU writes the 12-byte header and leaves the sense area as it was. */
	h_submit(&H, 2, &ob, 1, &ib, 1);
	u = h_used(&H, 2);
	cr_expect_eq(u.len, RESP_SIZE);
	h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
	cr_expect_eq(resp[11], 0);
	cr_expect_eq(resp[12], 0xa5);
	cr_expect_eq(resp[RESP_SIZE - 1], 0xa5);
	/* One buffer for response and data: QEMU takes the whole first buffer as the response (OVERRUN). */
	req[19] = 0x12;
	req[23] = 36;
	ib.len = sizeof stale;
	h_submit(&H, 2, &ob, 1, &ib, 1);
	u = h_used(&H, 2);
	cr_expect_eq(u.len, RESP_SIZE);
	h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
	cr_expect_eq(resp[11], 1);
	h_expect(&H, "scsi INQUIRY lun=0 status=OVERRUN");
}

/* vbox keeps the spec's framing, writes the whole response area and moves only the data. */
Test(scsi, vbox_profile)
{
	uint8_t req[REQ_SIZE] = { 1, 0, 0x40, 0 }, stale[RESP_SIZE + 36];
	uint8_t inq[6] = { 0x12, 1, 0xb2, 0, 64, 0 };
	struct guest_buf ob = { 0, REQ_SIZE, req }, ib = { 0, RESP_SIZE, stale };
	struct guest_used u;

	open_scsi_layout(0, NULL, TRACE_LAYOUT_VBOX);
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x29, 0);
	memset(stale, 0xa5, sizeof stale);
	h_submit(&H, 2, &ob, 1, &ib, 1);	/* TUR: the sense area is zeroed */
	u = h_used(&H, 2);
	h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
	cr_expect_eq(resp[11], 0);
	cr_expect_eq(resp[12], 0);
	cr_expect_eq(resp[RESP_SIZE - 1], 0);
	req[19] = 0x12;				/* response and data in one buffer: framed by the sizes */
	req[23] = 36;
	ib.len = sizeof stale;
	h_submit(&H, 2, &ob, 1, &ib, 1);
	u = h_used(&H, 2);
	cr_expect_eq(u.len, sizeof stale);
	h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
	cr_expect_eq(resp[11], 0);
	cmd(inq, 6, NULL, 0, 64);		/* VPD 0xb2 is 8 bytes: the rest of the 64 is resid */
	expect_good();
	cr_expect_eq(le32_load(resp + 4), 64 - 8);
}

Test(scsi, unit_attention_then_request_sense)
{
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };

	open_scsi(0);
	cmd(rs, 6, NULL, 0, 18);		/* QEMU reports the unit attention as CHECK CONDITION */
	expect_sense(6, 0x29, 0);
	h_expect(&H, "scsi REQUEST_SENSE lun=0 sense=06/29/00 status=CHECK_CONDITION");
	cmd(rs, 6, NULL, 0, 18);
	expect_good();
	cr_expect_eq(din[0], 0x70);
	cr_expect_eq(din[2], 0);		/* NO SENSE now */
	rs[1] = 1;				/* descriptor format */
	rs[4] = 8;
	cmd(rs, 6, NULL, 0, 8);
	cr_expect_eq(din[0], 0x72);
	cmd(TUR, 6, NULL, 0, 0);
	expect_good();
	h_expect(&H, "scsi TEST_UNIT_READY lun=0 status=GOOD");
}

Test(scsi, read_capacity)
{
	uint8_t rc10[10] = { 0x25 };
	uint8_t rc16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 };

	open_ready(0);
	cmd(rc10, 10, NULL, 0, 8);
	expect_good();
	cr_expect_eq(be32_load(din), 2047);
	cr_expect_eq(be32_load(din + 4), 512);
	h_expect(&H, "scsi READ_CAPACITY(10) lun=0 status=GOOD");
	cmd(rc16, 16, NULL, 0, 32);
	expect_good();
	cr_expect_eq(be64_load(din), 2047);
	cr_expect_eq(be32_load(din + 8), 512);
	h_expect(&H, "scsi READ_CAPACITY(16) lun=0 status=GOOD");
	rc16[1] = 0x11;				/* another service action */
	cmd(rc16, 16, NULL, 0, 32);
	expect_sense(5, 0x24, 0);
}

Test(scsi, write_and_read_all_sizes)
{
	uint8_t data[2048], w10[10] = { 0x2a, 0, 0, 0, 0, 10, 0, 0, 4, 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 10, 0, 0, 4, 0 };
	uint8_t r6[6] = { 0x08, 0, 0, 11, 1, 0 };
	uint8_t r16[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0 };
	uint8_t r12[12] = { 0xa8, 0, 0, 0, 0, 13, 0, 0, 0, 1, 0, 0 };
	uint8_t w6[6] = { 0x0a, 0, 0, 20, 1, 0 };
	uint8_t w16[16] = { 0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 21, 0, 0, 0, 1, 0, 0 };

	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i / 512 + 0x10);
	open_ready(0);
	cmd(w10, 10, data, sizeof data, 0);
	expect_good();
	cr_expect_eq(le32_load(resp + 4), 0);			/* all written: no residual (QEMU 7.2) */
	cr_expect_eq(used_len, RESP_SIZE + sizeof data);	/* QEMU counts the data buffer */
	h_expect(&H, "scsi WRITE(10) lba=10 blocks=4 lun=0 status=GOOD");
	cmd(r10, 10, NULL, 0, 2048);
	expect_good();
	cr_expect_eq(memcmp(din, data, sizeof data), 0);
	cr_expect_eq(le32_load(resp + 4), 0);
	h_expect(&H, "scsi READ(10) lba=10 blocks=4 lun=0 status=GOOD");
	cmd(r6, 6, NULL, 0, 512);
	expect_good();
	cr_expect_eq(din[0], 0x11);
	h_expect(&H, "scsi READ(6) lba=11 blocks=1 lun=0 status=GOOD");
	cmd(r16, 16, NULL, 0, 512);
	cr_expect_eq(din[0], 0x12);
	h_expect(&H, "scsi READ(16) lba=12 blocks=1 lun=0 status=GOOD");
	cmd(r12, 12, NULL, 0, 512);
	cr_expect_eq(din[0], 0x13);
	cmd(w6, 6, data, 512, 0);
	expect_good();
	cmd(w16, 16, data + 512, 512, 0);
	expect_good();
	r10[5] = 20;
	r10[8] = 2;
	cmd(r10, 10, NULL, 0, 1024);
	cr_expect_eq(din[0], 0x10);
	cr_expect_eq(din[512], 0x11);
	/* A buffer larger than the transfer: QEMU's scsi-disk subtracts the whole buffer from the length */
	r10[8] = 1;
	cmd(r10, 10, NULL, 0, 1024);
	expect_good();
	cr_expect_eq(le32_load(resp + 4), (uint32_t)(512 - 1024));
}

Test(scsi, disk_input_is_readable)
{
	uint8_t pat[512], r10[10] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0 };

	memset(pat, 0xc3, sizeof pat);
	open_ready(0);
	h_input(&H, TRACE_INPUT_DISK, 3 * 512, pat, sizeof pat);
	cmd(r10, 10, NULL, 0, 512);
	cr_expect_eq(memcmp(din, pat, sizeof pat), 0);
}

Test(scsi, bad_lba_and_unsupported_opcode)
{
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 1, 0 };	/* lba 2048: one past the end */
	uint8_t r16[16] = { 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0 };
	uint8_t wbuf[10] = { 0x3b };		/* WRITE BUFFER: scsi-hd does not implement it */

	open_ready(0);
	cmd(r10, 10, NULL, 0, 512);
	expect_sense(5, 0x21, 0);
	h_expect(&H, "scsi READ(10) lba=2048 blocks=1 lun=0 sense=05/21/00 status=CHECK_CONDITION");
	r16[1] = 0;
	r16[2] = 0xff;				/* huge LBA must not wrap */
	cmd(r16, 16, NULL, 0, 512);
	expect_sense(5, 0x21, 0);
	cmd(wbuf, 10, NULL, 0, 0);
	expect_sense(5, 0x20, 0);
	h_expect(&H, "scsi OPCODE_0x3b lun=0 sense=05/20/00 status=CHECK_CONDITION");
}

Test(scsi, bad_luns_and_targets)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0 };

	open_scsi(0);
	cmd_to(0, 3, TUR, 6, NULL, 0, 0);	/* the unit attention comes first, whatever the LUN */
	expect_sense(6, 0x29, 0);
	cmd_to(0, 3, TUR, 6, NULL, 0, 0);
	expect_sense(5, 0x25, 0);
	h_expect(&H, "scsi TEST_UNIT_READY lun=3 sense=05/25/00 status=CHECK_CONDITION");
	cmd_to(0, 3, inq, 6, NULL, 0, 36);
	expect_good();
	cr_expect_eq(din[0], 0x7f);		/* no LUN here */
	cmd_to(0, 3, rl, 12, NULL, 0, 16);	/* REPORT LUNS is for LUN 0 */
	expect_sense(5, 0x25, 0);
	cr_expect_eq(cmd_to(1, 0, TUR, 6, NULL, 0, 0), 3);	/* BAD_TARGET */
	cr_expect_eq(used_len, RESP_SIZE);
	h_expect(&H, "scsi TEST_UNIT_READY lun=0 target=1 status=BAD_TARGET");
}

Test(scsi, mode_sense)
{
	uint8_t ms6[6] = { 0x1a, 0, 0x08, 0, 255, 0 };
	uint8_t ms10[10] = { 0x5a, 0x08, 0x3f, 0, 0, 0, 0, 0, 255, 0 };

	open_ready(0);
	cmd(ms6, 6, NULL, 0, 255);
	expect_good();
	cr_expect_eq(din[0], 4 + 8 + 20 - 1);	/* header + block descriptor + caching page */
	cr_expect_eq(din[3], 8);
	cr_expect_eq(din[4 + 3], 0);		/* 2048 blocks */
	cr_expect_eq(din[4 + 2], 8);
	cr_expect_eq(din[12], 0x08);
	cr_expect_eq(din[14] & 0x04, 0x04);	/* WCE */
	cmd(ms10, 10, NULL, 0, 255);		/* all pages, no block descriptor */
	expect_good();
	cr_expect_eq(be16_load(din), 8 + 12 + 24 + 32 + 20 - 2);	/* pages 01 04 05 08 */
	cr_expect_eq(be16_load(din + 6), 0);
	cr_expect_eq(din[8], 0x01);
	cr_expect_eq(din[20], 0x04);
	cr_expect_eq(din[20 + 5], 16);		/* heads */
	cr_expect_eq(din[44], 0x05);
	cr_expect_eq(din[76], 0x08);
	h_expect(&H, "scsi MODE_SENSE(10) lun=0 status=GOOD");
	ms6[2] = 0x1c;				/* page not supported */
	cmd(ms6, 6, NULL, 0, 255);
	expect_sense(5, 0x24, 0);
	ms6[2] = 0xc8;				/* saved values */
	cmd(ms6, 6, NULL, 0, 255);
	expect_sense(5, 0x39, 0);
}

Test(scsi, report_luns_and_sync_cache)
{
	uint8_t rl[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0 };
	uint8_t sc10[10] = { 0x35 }, sc16[16] = { 0x91 };

	open_ready(0);
	cmd(rl, 12, NULL, 0, 64);
	expect_good();
	cr_expect_eq(be32_load(din), 8);
	cr_expect_eq(le32_load(resp + 4), 64 - 16);
	h_expect(&H, "scsi REPORT_LUNS lun=0 status=GOOD");
	rl[9] = 8;				/* allocation length below 16 */
	cmd(rl, 12, NULL, 0, 64);
	expect_sense(5, 0x24, 0);
	cmd(sc10, 10, NULL, 0, 0);
	expect_good();
	h_expect(&H, "scsi SYNCHRONIZE_CACHE(10) lun=0 status=GOOD");
	cmd(sc16, 16, NULL, 0, 0);		/* scsi-disk only knows SYNCHRONIZE CACHE(10) */
	expect_sense(5, 0x20, 0);
}

Test(scsi, overrun_and_bidirectional)
{
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	uint8_t out[512] = { 0 };

	open_ready(0);
	cr_expect_eq(cmd(r10, 10, NULL, 0, 1024), 1);		/* 4 KiB asked, 1 KiB given */
	cr_expect_eq(used_len, RESP_SIZE + 1024);
	h_expect(&H, "scsi READ(10) lba=0 blocks=8 lun=0 status=OVERRUN");
	cr_expect_eq(cmd(r10, 10, out, sizeof out, 0), 1);	/* read with a data-out buffer */
	cr_expect_eq(cmd(r10, 10, out, sizeof out, 4096), 9);	/* both directions: FAILURE */
	cr_expect_eq(used_len, RESP_SIZE + sizeof out + 4096);	/* QEMU still counts both data areas */
	h_expect(&H, "scsi READ(10) lba=0 blocks=8 lun=0 status=FAILURE");
}

Test(scsi, short_headers_are_violations)
{
	uint8_t req[20] = { 1 };
	struct guest_buf ob = { 0, sizeof req, req }, ib = { 0, RESP_SIZE, NULL };

	open_scsi(0);
	h_submit(&H, 2, &ob, 1, &ib, 1);
	cr_expect(h_nothing_used(&H, 2));
	cr_expect(h_saw_violation(&H, "scsi-bad-request"));
}

static uint8_t ctrl(const uint8_t *req, uint32_t len, uint32_t inlen, uint8_t *out)
{
	struct guest_buf ob = { 0, len, req }, ib = { 0, inlen, NULL };
	struct guest_used u;

	h_submit(&H, 0, &ob, 1, &ib, 1);
	u = h_used(&H, 0);
	used_len = u.len;
	h_read_in(&H, 0, u.head, 0, out, inlen);
	return out[inlen - 1];
}

static uint8_t tmf(uint32_t sub, unsigned target, unsigned lun)
{
	uint8_t req[24] = { 0 }, r[1];

	le32_store(req + 4, sub);
	req[8] = 1;
	req[9] = (uint8_t)target;
	req[10] = 0x40;
	req[11] = (uint8_t)lun;
	return ctrl(req, sizeof req, 1, r);
}

Test(scsi, task_management)
{
	uint8_t an[16] = { 1, 0, 0, 0, 1 }, r[5];

	open_ready(0);
	cr_expect_eq(tmf(0, 0, 0), 0);			/* ABORT_TASK: nothing in flight */
	cr_expect_eq(used_len, 1);
	h_expect(&H, "scsi TMF ABORT_TASK lun=0 tag=0 status=FUNCTION_COMPLETE");
	cr_expect_eq(tmf(6, 0, 0), 0);			/* QUERY_TASK */
	cr_expect_eq(tmf(7, 0, 0), 0);			/* QUERY_TASK_SET */
	cr_expect_eq(tmf(2, 0, 0), 11);			/* CLEAR_ACA: rejected */
	h_expect(&H, "scsi TMF CLEAR_ACA lun=0 tag=0 status=FUNCTION_REJECTED");
	cr_expect_eq(tmf(0, 1, 0), 3);			/* no target 1 */
	cr_expect_eq(tmf(1, 0, 5), 12);			/* ABORT_TASK_SET on LUN 5 */
	cr_expect_eq(tmf(5, 0, 0), 0);			/* LOGICAL_UNIT_RESET */
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x29, 0);			/* the reset is reported */
	cr_expect_eq(tmf(4, 0, 0), 0);			/* I_T_NEXUS_RESET */
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x29, 0);
	cr_expect_eq(tmf(99, 0, 0), 11);
	ctrl(an, sizeof an, 5, r);			/* AN_QUERY: nothing supported */
	cr_expect_eq(le32_load(r), 0);
	cr_expect_eq(r[4], 0);
	cr_expect_eq(used_len, 5);
	h_expect(&H, "scsi AN_QUERY requested=0x0 status=OK");
	{
		uint8_t unk[8] = { 7 }, rr[4] = { 0xee };

		ctrl(unk, sizeof unk, 4, rr);
		cr_expect_eq(used_len, 0);
		h_expect(&H, "scsi CTRL type=7 status=IGNORED");
	}
}

static void post_event_buf(void)
{
	struct guest_buf ib = { 0, 16, NULL };

	h_submit(&H, 1, NULL, 0, &ib, 1);
}

static void expect_event(uint32_t event, uint32_t reason)
{
	struct guest_used u = h_used(&H, 1);
	uint8_t ev[16];

	cr_expect_eq(u.len, 16);
	h_read_in(&H, 1, u.head, 0, ev, 16);
	cr_expect_eq(le32_load(ev), event, "event 0x%x", le32_load(ev));
	cr_expect_eq(le32_load(ev + 12), reason);
}

Test(scsi, hotplug_events)
{
	open_ready((1ull << F_HOTPLUG) | (1ull << F_CHANGE));
	post_event_buf();
	cr_expect(h_nothing_used(&H, 1));
	h_input(&H, TRACE_INPUT_EVENT, 0, NULL, 0);	/* unplug */
	expect_event(1, 1);
	h_expect(&H, "scsi EVENT TRANSPORT_RESET lun=0 reason=0x1 status=OK");
	cr_expect_eq(cmd(TUR, 6, NULL, 0, 0), 3);	/* gone */
	/* No buffer posted: the event is lost and the next one says so. */
	h_input(&H, TRACE_INPUT_EVENT, 1, NULL, 0);	/* plug */
	post_event_buf();
	expect_event(0x80000000u, 0);
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x3f, 0x0e);			/* reported LUNs changed */
	post_event_buf();
	h_input(&H, TRACE_INPUT_EVENT, 2, NULL, 0);	/* capacity change */
	expect_event(3, 0x092a);
	cmd(TUR, 6, NULL, 0, 0);
	expect_sense(6, 0x2a, 0x09);
}

Test(scsi, sense_size_config)
{
	uint8_t req[19 + 32] = { 1, 0, 0x40, 0 };
	struct guest_buf ob = { 0, sizeof req, req }, ib = { 0, 12 + 32, NULL };
	struct guest_used u;
	uint8_t r[44];

	open_scsi(0);
	guest_devcfg_write(H.g, 20, 4, 32);
	cr_expect_eq(guest_devcfg_read(H.g, 20, 4), 32);
	h_submit(&H, 2, &ob, 1, &ib, 1);		/* TUR with a 44-byte response: enough now */
	u = h_used(&H, 2);
	cr_expect_eq(u.len, 44);
	h_read_in(&H, 2, u.head, 0, r, sizeof r);
	cr_expect_eq(r[10], 2);
	cr_expect_eq(le32_load(r), 18);
	guest_devcfg_write(H.g, 20, 4, 70000);
	cr_expect(h_saw_violation(&H, "scsi-config-bad"));
	cr_expect_eq(guest_devcfg_read(H.g, 20, 4), 32);
}

Test(scsi, state_roundtrip, .fini = NULL)
{
	const struct vdev_ops *ops = vdev_find("scsi");
	struct vdev_setup s = { 0 };
	char *cause = NULL;
	struct buf a, b;
	void *d1 = ops->create(NULL, &s, &cause), *d2 = ops->create(NULL, &s, &cause);

	cr_assert(d1 && d2);
	buf_init(&a);
	buf_init(&b);
	ops->save(d1, &a);
	cr_assert_eq(ops->load(d2, a.data, a.len, &cause), 0, "%s", cause);
	ops->save(d2, &b);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len), 0);
	a.data[1 + 20 + 2] = 0xff;			/* sense_size >= 65536 */
	cr_expect_eq(ops->load(d2, a.data, a.len, &cause), -1);
	free(cause);
	buf_release(&a);
	buf_release(&b);
	ops->destroy(d1);
	ops->destroy(d2);
}

static void scsi_shape(uint8_t *out, uint32_t len, unsigned q, uint32_t *seed)
{
	static const uint8_t ops[] = { 0x00, 0x03, 0x08, 0x0a, 0x12, 0x1a, 0x25, 0x28, 0x2a, 0x35,
		0x5a, 0x88, 0x8a, 0x91, 0x9e, 0xa0, 0xa8, 0xaa, 0x42 };

	if (q == 0) {
		if (len >= 4)
			le32_store(out, h_rand(seed) % 4);
		if (len >= 12) {
			out[8] = 1;
			out[9] = (uint8_t)(h_rand(seed) % 2);
			out[10] = 0x40;
		}
		return;
	}
	if (len >= 4) {
		out[0] = 1;
		out[1] = (uint8_t)(h_rand(seed) % 8 == 0);
		out[2] = 0x40;
		out[3] = (uint8_t)(h_rand(seed) % 8 == 0);
	}
	if (len >= 20)
		out[19] = ops[h_rand(seed) % sizeof ops];
}

Test(scsi, random_requests_survive)
{
	static const unsigned qs[] = { 0, 1, 2 };

	open_scsi((1ull << F_HOTPLUG) | (1ull << F_CHANGE));
	h_fuzz(&H, qs, 3, 600, 777, scsi_shape);
	h_input(&H, TRACE_INPUT_EVENT, 0, NULL, 0);
	h_input(&H, TRACE_INPUT_EVENT, 1, NULL, 0);
	h_fuzz(&H, qs, 3, 300, 778, scsi_shape);
	cr_expect_gt(H.ntxn, 100, "only %u requests completed", H.ntxn);
}

/* write-cache=off: MODE SENSE's caching page has WCE clear (still changeable); on, set. */
Test(scsi, mode_sense_write_cache_off)
{
	uint8_t ms6[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 };

	disk_opts = VDEV_DISK_NO_WCACHE;
	open_ready(0);
	disk_opts = 0;
	cmd(ms6, 6, NULL, 0, 255);
	expect_good();
	cr_expect_eq(din[4], 0x08);
	cr_expect_eq(din[6] & 0x04, 0);		/* current: write-through */
	ms6[2] = 0x48;				/* changeable values */
	cmd(ms6, 6, NULL, 0, 255);
	expect_good();
	cr_expect_eq(din[6] & 0x04, 0x04);
}

/* MODE SELECT: the caching page's WCE changes the cache; anything else not changeable is refused. */
Test(scsi, mode_select)
{
	uint8_t sel6[6] = { 0x15, 0x10, 0, 0, 24, 0 }, ms6[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 };
	uint8_t sel10[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 32, 0 };
	uint8_t list[64];

	open_ready(0);
	memset(list, 0, sizeof list);
	list[4] = 0x08;				/* caching page, WCE clear: write-through */
	list[5] = 0x12;
	cmd(sel6, 6, list, 24, 0);
	expect_good();
	h_expect(&H, "scsi MODE_SELECT(6) lun=0 status=GOOD");
	cmd(ms6, 6, NULL, 0, 255);
	cr_expect_eq(din[6] & 0x04, 0);
	list[6] = 0x04;				/* and back on */
	cmd(sel6, 6, list, 24, 0);
	expect_good();
	cmd(ms6, 6, NULL, 0, 255);
	cr_expect_eq(din[6] & 0x04, 0x04);
	list[7] = 0x01;				/* a bit that is not changeable */
	cmd(sel6, 6, list, 24, 0);
	expect_sense(5, 0x26, 0);
	list[7] = 0;
	list[5] = 0x10;				/* not the page's length */
	cmd(sel6, 6, list, 24, 0);
	expect_sense(5, 0x26, 0);
	list[5] = 0x30;				/* longer than the list */
	cmd(sel6, 6, list, 24, 0);
	expect_sense(5, 0x1a, 0);
	list[5] = 0x12;
	list[4] = 0x0a;				/* a page the disk does not have */
	cmd(sel6, 6, list, 24, 0);
	expect_sense(5, 0x26, 0);
	sel6[1] = 0x11;				/* SP: saving is not supported */
	cmd(sel6, 6, list, 24, 0);
	expect_sense(5, 0x24, 0);
	sel6[1] = 0x10;
	sel6[4] = 3;				/* shorter than the header */
	cmd(sel6, 6, list, 3, 0);
	expect_sense(5, 0x1a, 0);
	sel6[4] = 0;				/* no parameter list: nothing checked, GOOD */
	sel6[1] = 0;
	cmd(sel6, 6, NULL, 0, 0);
	expect_good();
	/* MODE SELECT(10) with an 8-byte block descriptor of 512-byte blocks, WCE clear; the residual is the rest */
	memset(list, 0, sizeof list);
	list[7] = 8;
	list[8 + 6] = 0x02;
	list[16] = 0x08;
	list[17] = 0x12;
	sel10[8] = 8 + 8 + 20;
	cmd(sel10, 10, list, 40, 0);
	expect_good();
	cr_expect_eq(le32_load(resp + 4), 4);
	cmd(ms6, 6, NULL, 0, 255);
	cr_expect_eq(din[6] & 0x04, 0);
	list[7] = 4;				/* a block descriptor of 4 bytes */
	cmd(sel10, 10, list, 40, 0);
	expect_sense(5, 0x26, 0);
}

/* One request (target t, LUN 0, a 6- or 10-byte CDB), data-in of din bytes, added but not kicked. */
static int add_req(unsigned t, const uint8_t *cdb, unsigned cdblen, uint32_t dinlen)
{
	static uint8_t req[8][REQ_SIZE];
	static unsigned k;
	uint8_t *r = req[k++ % 8];
	struct guest_buf ob = { 0, REQ_SIZE, r };
	struct guest_buf ib[2] = { { 0, RESP_SIZE, NULL }, { 0, dinlen, NULL } };
	char *cause = NULL;
	int head;

	memset(r, 0, REQ_SIZE);
	r[0] = 1;
	r[1] = (uint8_t)t;
	r[2] = 0x40;
	memcpy(r + 19, cdb, cdblen);
	head = guest_add(H.g, 2, &ob, 1, ib, dinlen ? 2 : 1, 0, &cause);
	cr_assert_geq(head, 0, "guest_add: %s", cause ? cause : "?");
	return head;
}

/*
 * A batch in one notify, qemu: QEMU pops every request first, answering
 * framing errors at once, then runs the commands in order; SYNCHRONIZE
 * CACHE's flush comes from the block layer after the notify. vbox: pop order.
 */
static void batch_order(int layout, const int want[3])
{
	uint8_t sync10[10] = { 0x35 }, inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	int head[3];
	struct guest_used u;

	open_scsi_layout(0, NULL, layout);
	cmd(TUR, 6, NULL, 0, 0);		/* the power-on unit attention */
	head[0] = add_req(0, sync10, 10, 0);
	head[1] = add_req(5, TUR, 6, 0);	/* a target that does not exist: BAD_TARGET */
	head[2] = add_req(0, inq, 6, 36);
	guest_notify(H.g, 2);
	for (unsigned i = 0; i < 3; i++) {
		u = h_used(&H, 2);
		cr_expect_eq(u.head, head[want[i]], "used %u: head %u, want request %d (head %d)", i, u.head, want[i],
		    head[want[i]]);
	}
}

Test(scsi, batch_order_qemu)
{
	static const int want[3] = { 1, 2, 0 };

	batch_order(TRACE_LAYOUT_QEMU, want);
}

Test(scsi, batch_order_vbox)
{
	static const int want[3] = { 0, 1, 2 };

	batch_order(TRACE_LAYOUT_VBOX, want);
}

/*
 * qemu sets every command of a notify up before the first runs: REQUEST
 * SENSE set up while there is no sense answers NO SENSE, whatever an
 * earlier command of its batch leaves when it runs. vbox runs each as it
 * pops it: the sense of the unknown opcode before it.
 */
static void batch_setup(int layout, uint8_t key)
{
	uint8_t bad[6] = { 0x01 }, rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	int head[2];
	struct guest_used u;

	open_scsi_layout(0, NULL, layout);
	cmd(TUR, 6, NULL, 0, 0);		/* the power-on unit attention */
	cmd(TUR, 6, NULL, 0, 0);		/* no sense stored */
	head[0] = add_req(0, bad, 6, 0);
	head[1] = add_req(0, rs, 6, 18);
	guest_notify(H.g, 2);
	for (unsigned i = 0; i < 2; i++) {
		u = h_used(&H, 2);
		if (u.head != head[1])
			continue;
		h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
		h_read_in(&H, 2, u.head, RESP_SIZE, din, 18);
		expect_good();
		cr_expect_eq(din[0], 0x70);
		cr_expect_eq(din[2], key, "REQUEST SENSE key %u, want %u", din[2], key);
	}
}

Test(scsi, batch_setup_qemu)
{
	batch_setup(TRACE_LAYOUT_QEMU, 0);
}

Test(scsi, batch_setup_vbox)
{
	batch_setup(TRACE_LAYOUT_VBOX, 5);
}

/*
 * Buffers of later commands inside an INQUIRY's data-in, one notify. qemu
 * copies each header when it sets the command up (all before the first
 * runs) and reads data-out when the command runs: the INQUIRY after it
 * keeps its CDB and LUN though the first INQUIRY's zero padding lands on
 * them, and the MODE SELECT parses the INQUIRY data as its parameter list
 * (a block descriptor length of 0x12: refused). vbox runs each command as
 * it pops it, so the second request's header is zeros: BAD_TARGET.
 */
static void batch_overlap(int layout)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 }, inq36[6] = { 0x12, 0, 0, 0, 36, 0 }, sel[6] = { 0x15, 0x10, 0, 0, 24 };
	uint8_t req[2][REQ_SIZE], list[24] = { 0, 0, 0, 0, 0x08, 0x12, 0x04 };
	uint32_t len = 0;
	char *cause = NULL;
	int head[3];
	bool qemu = layout == TRACE_LAYOUT_QEMU;

	open_scsi_layout(0, NULL, layout);
	cmd(TUR, 6, NULL, 0, 0);		/* the power-on unit attention */
	head[0] = add_req(0, inq, 6, 96);
	uint64_t area = guest_in_addr(H.g, 2, (uint16_t)head[0], 1, &len);
	cr_assert_eq(len, 96);
	memset(req, 0, sizeof req);
	for (unsigned i = 0; i < 2; i++) {
		req[i][0] = 1;
		req[i][2] = 0x40;
	}
	memcpy(req[0] + 19, inq36, 6);
	memcpy(req[1] + 19, sel, 6);
	/* the second INQUIRY's header over the padding (40..90), the MODE SELECT's list over the data (0..23) */
	struct guest_buf ob[2] = { { area + 40, REQ_SIZE, req[0] }, { 0, 0, NULL } };
	struct guest_buf ib[2] = { { 0, RESP_SIZE, NULL }, { 0, 36, NULL } };
	head[1] = guest_add(H.g, 2, ob, 1, ib, 2, 0, &cause);
	cr_assert_geq(head[1], 0, "guest_add: %s", cause ? cause : "?");
	ob[0] = (struct guest_buf){ 0, REQ_SIZE, req[1] };
	ob[1] = (struct guest_buf){ area, sizeof list, list };
	head[2] = guest_add(H.g, 2, ob, 2, ib, 1, 0, &cause);
	cr_assert_geq(head[2], 0, "guest_add: %s", cause ? cause : "?");
	guest_notify(H.g, 2);
	for (unsigned i = 0; i < 3; i++) {
		struct guest_used u = h_used(&H, 2);

		h_read_in(&H, 2, u.head, 0, resp, RESP_SIZE);
		if (u.head == head[0]) {
			expect_good();
		} else if (u.head == head[1]) {
			cr_expect_eq(resp[11], qemu ? 0 : 3, "second INQUIRY: response %u", resp[11]);
			if (qemu) {
				h_read_in(&H, 2, u.head, RESP_SIZE, din, 36);
				cr_expect_eq(memcmp(din + 8, "QEMU", 4), 0, "the second INQUIRY ran its own CDB");
			}
		} else if (qemu) {
			cr_expect_eq(resp[11], 0);
			cr_expect_eq(resp[10], 2, "MODE SELECT of the INQUIRY data: CHECK CONDITION");
		}
	}
}

Test(scsi, batch_overlap_qemu)
{
	batch_overlap(TRACE_LAYOUT_QEMU);
}

Test(scsi, batch_overlap_vbox)
{
	batch_overlap(TRACE_LAYOUT_VBOX);
}

/*
 * qemu: a request with a short header breaks the device (QEMU's
 * virtio_scsi_bad_req): a framing error answered before it is used and
 * notified, the commands set up before it are detached and never run.
 */
Test(scsi, batch_bad_request_qemu)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, shortreq[8] = { 1 };
	struct guest_buf ob = { 0, sizeof shortreq, shortreq }, ib = { 0, RESP_SIZE, NULL };
	char *cause = NULL;
	int head[2];
	struct guest_used u;

	open_scsi(0);
	cmd(TUR, 6, NULL, 0, 0);		/* the power-on unit attention */
	head[0] = add_req(5, TUR, 6, 0);	/* BAD_TARGET */
	head[1] = add_req(0, inq, 6, 36);
	cr_assert_geq(guest_add(H.g, 2, &ob, 1, &ib, 1, 0, &cause), 0);
	guest_notify(H.g, 2);
	u = h_used(&H, 2);
	cr_expect_eq(u.head, head[0], "used head %u, want the BAD_TARGET request's %d", u.head, head[0]);
	cr_expect(h_nothing_used(&H, 2));
	cr_expect(h_saw_violation(&H, "scsi-bad-request"));
	memset(din, 0xee, 36);
	h_read_in(&H, 2, (uint16_t)head[1], RESP_SIZE, din, 36);
	cr_expect_neq(memcmp(din + 8, "QEMU", 4), 0, "the INQUIRY set up before the bad request ran");
}

/*
 * MODE SELECT's block descriptor switches the block size (qemu): READ
 * CAPACITY, MODE SENSE and the transfers follow it at once, the range checks
 * only after READ CAPACITY or a reset; a list refused later still switched it.
 */
Test(scsi, mode_select_block_size)
{
	uint8_t sel6[6] = { 0x15, 0x10, 0, 0, 12, 0 }, list[12] = { 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x10, 0 };
	uint8_t rc10[10] = { 0x25 }, ms6[6] = { 0x1a, 0, 0x05, 0, 255, 0 };
	uint8_t r10[10] = { 0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0 }, w10[10] = { 0x2a, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
	uint8_t data[4096];

	open_ready(0);
	for (unsigned i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	cmd(w10, 10, data, 512, 0);		/* LBA 1 of 512 bytes: bytes 512..1023 */
	expect_good();
	cmd(sel6, 6, list, 12, 0);		/* 4096-byte blocks */
	expect_good();
	h_expect(&H, "scsi MODE_SELECT(6) lun=0 status=GOOD");
	r10[4] = 0x01;				/* LBA 300: inside the 512-byte last LBA the checks still hold */
	r10[5] = 0x2c;
	cmd(r10, 10, NULL, 0, 4096);
	expect_sense(0x0b, 0x00, 0x06);		/* the block layer refuses it past the disk's end */
	r10[4] = 0;
	r10[5] = 1;
	cmd(rc10, 10, NULL, 0, 8);
	expect_good();
	cr_expect_eq(be32_load(din), 255, "last LBA %u", be32_load(din));
	cr_expect_eq(be32_load(din + 4), 4096);
	cmd(ms6, 6, NULL, 0, 255);		/* the block descriptor and page 5's bytes per sector */
	expect_good();
	cr_expect_eq(din[3], 8);
	cr_expect_eq(be32_load(din + 4) & 0xffffff, 256);
	cr_expect_eq(be32_load(din + 8), 4096);
	cr_expect_eq(din[12], 0x05);
	cr_expect_eq(din[12 + 2 + 4], 0x10);
	cmd(r10, 10, NULL, 0, 512);		/* one block wants 4096 bytes */
	cr_expect_eq(resp[11], 1, "response %u, expected OVERRUN", resp[11]);
	r10[5] = 0;				/* LBA 0: its second 512 bytes are what LBA 1 held */
	cmd(r10, 10, NULL, 0, 4096);
	expect_good();
	cr_expect_eq(memcmp(din + 512, data, 512), 0);
	r10[5] = 255;				/* the last block */
	cmd(r10, 10, NULL, 0, 4096);
	expect_good();
	r10[5] = 0;
	r10[4] = 1;				/* LBA 256: past the end */
	cmd(r10, 10, NULL, 0, 4096);
	expect_sense(5, 0x21, 0);
	/* back to 512 bytes with a list whose page is refused: the size changed all the same */
	list[10] = 0x02;
	sel6[4] = 16;
	{
		uint8_t bad[16] = { 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x0a, 2, 0, 0 };

		cmd(sel6, 6, bad, 16, 0);
	}
	expect_sense(5, 0x26, 0);
	sel6[4] = 12;
	list[10] = 0x06;			/* 1536-byte blocks: 682 of them */
	cmd(sel6, 6, list, 12, 0);
	expect_good();
	r10[4] = 0;
	r10[5] = 0xff;				/* LBA 255, the last of 4096 bytes READ CAPACITY reported */
	cmd(r10, 10, NULL, 0, 1536);
	expect_good();
	r10[4] = 0x01;				/* LBA 511: past that, though inside the disk */
	cmd(r10, 10, NULL, 0, 1536);
	expect_sense(5, 0x21, 0);
	cmd(rc10, 10, NULL, 0, 8);
	cr_expect_eq(be32_load(din), 681);
	cr_expect_eq(be32_load(din + 4), 1536);
	cmd(r10, 10, NULL, 0, 1536);
	expect_good();				/* now the range check knows */
	list[10] = 0x01;			/* 256: not a size QEMU takes, nothing changes */
	cmd(sel6, 6, list, 12, 0);
	expect_good();
	cmd(rc10, 10, NULL, 0, 8);
	cr_expect_eq(be32_load(din + 4), 1536);
}

/* UNMAP zeroes its blocks under discard=unmap and leaves them alone under ignore; lengths and ranges checked. */
static void unmap_case(unsigned disk, uint8_t want)
{
	uint8_t data[1024], w10[10] = { 0x2a, 0, 0, 0, 0, 10, 0, 0, 2, 0 }, r10[10] = { 0x28, 0, 0, 0, 0, 10, 0, 0, 2, 0 };
	uint8_t um[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 }, list[40];

	disk_opts = disk;
	open_ready(0);
	disk_opts = 0;
	memset(data, 0x5c, sizeof data);
	cmd(w10, 10, data, sizeof data, 0);
	expect_good();
	memset(list, 0, sizeof list);
	be16_store(list, 22);
	be16_store(list + 2, 16);
	be64_store(list + 8, 11);
	be32_store(list + 16, 1);
	cmd(um, 10, list, 24, 0);
	expect_good();
	h_expect(&H, "scsi UNMAP lun=0 status=GOOD");
	cmd(r10, 10, NULL, 0, 1024);
	cr_expect_eq(din[0], 0x5c);
	cr_expect_eq(din[512], want);
	be64_store(list + 8, 2047);		/* past the end */
	be32_store(list + 16, 2);
	cmd(um, 10, list, 24, 0);
	expect_sense(5, 0x21, 0);
	be16_store(list + 2, 15);		/* not whole descriptors */
	cmd(um, 10, list, 24, 0);
	expect_sense(5, 0x1a, 0);
	um[1] = 1;				/* ANCHOR */
	cmd(um, 10, list, 24, 0);
	expect_sense(5, 0x24, 0);
}

Test(scsi, unmap_discard_ignore)
{
	unmap_case(0, 0x5c);
}

Test(scsi, unmap_discard_unmap)
{
	unmap_case(VDEV_DISK_UNMAP, 0);
}

/* WRITE SAME: one block written over the range; zeros with UNMAP; the fields QEMU refuses. */
Test(scsi, write_same_and_format)
{
	uint8_t block[512], ws16[16] = { 0x93, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 3, 0, 0 };
	uint8_t ws10[10] = { 0x41, 0x08, 0, 0, 0, 31, 0, 0, 1, 0 }, r10[10] = { 0x28, 0, 0, 0, 0, 30, 0, 0, 3, 0 };
	uint8_t fmt[6] = { 0x04, 0x10, 0, 0, 0, 0 };

	open_ready(0);
	for (unsigned i = 0; i < sizeof block; i++)
		block[i] = (uint8_t)(i + 1);
	cmd(ws16, 16, block, sizeof block, 0);
	expect_good();
	h_expect(&H, "scsi WRITE_SAME(16) lun=0 status=GOOD");
	memset(block, 0, sizeof block);
	cmd(ws10, 10, block, sizeof block, 0);	/* UNMAP bit, zeros: the middle block */
	expect_good();
	cmd(r10, 10, NULL, 0, 1536);
	cr_expect_eq(din[0], 1);
	cr_expect_eq(din[511], 0);		/* (511 + 1) & 0xff */
	cr_expect_eq(din[512], 0);
	cr_expect_eq(din[1023], 0);
	cr_expect_eq(din[1024], 1);
	ws10[1] = 0x02;				/* LBDATA */
	cmd(ws10, 10, block, sizeof block, 0);
	expect_sense(5, 0x24, 0);
	ws10[1] = 0;
	ws10[8] = 0;				/* no blocks */
	cmd(ws10, 10, block, sizeof block, 0);
	expect_sense(5, 0x24, 0);
	ws16[9] = 0xff;				/* past the end */
	ws16[8] = 0x07;
	cmd(ws16, 16, block, sizeof block, 0);
	expect_sense(5, 0x21, 0);
	cmd(fmt, 6, block, 4, 0);		/* FORMAT UNIT with a parameter list header */
	expect_good();
	h_expect(&H, "scsi FORMAT_UNIT lun=0 status=GOOD");
}
