/* test_trace_text.c -- the .vrt text format: canonical text, parsing, round trips, seeking, every error class */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/trace.h"

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vr-trace-text.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(trace_text, .init = setup, .fini = teardown);

/* Write text to a file in the test's directory; returns its path (static). */
static const char *file_with(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

#define HDR "vrt 1\ndevice blk\n"

static const char canonical[] =
	"vrt 1\n"
	"device net\n"
	"layout vbox\n"
	"features 0x100010020\n"
	"recorded dma irq\n"
	"queues 256 256 64\n"
	"devcfg 525400123456\n"
	"ram 0x0 0x100000\n"
	"ram 0x100000000 0x1000\n"
	"backend disk size 0x200 image disk.img sha256 "
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
	"title canonical sample\n"
	"cfg r 0x0 4 = 0x10411af4\n"
	"cfg r 0x6 2\n"
	"cfg w 0x4 2 0x6\n"
	"bar r 4 0x14 1 = 0xf\n"
	"bar r 0 0x0 8\n"
	"bar w 4 0x3000 2 0x0\n"
	"bar w 5 0xfffffffffffffff0 8 0xffffffffffffffff\n"
	"mem 0x7f000 00112233445566778899aabbccddeeff\n"
	"mem 0x10\n"
	"dma 0x7f400 deadbeef\n"
	"irq msix 2047\n"
	"irq intx 1\n"
	"input frame 0x0 ffffffffffff\n"
	"input entropy 0x0 0102\n"
	"input disk 0x200 00\n"
	"input console 0x1 68690a\n"
	"input event 0x1\n"
	"checkpoint 0001\n"
	"checkpoint\n"
	"mark  two leading blanks and a # kept\n"
	"mark\n"
	"time 0x0\n"
	"time 0x3e8\n"
	"mem-read 0x7f400 deadbeef\n"
	"mem-read 0x20\n";

/* The PCI identity facts and a QEMU-sized queue list survive both encodings. */
static const char pci_canonical[] =
	"vrt 1\n"
	"device blk\n"
	"layout qemu\n"
	"features 0x100000000\n"
	"recorded irq\n"
	"queues 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 "
	"128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 128 "
	"128 128 128 128 128 128 128 128 128 128 128 128 128 1024\n"
	"pci-class 0x010000\n"
	"pci-revision 0x1\n"
	"pci-subsystem 0x1af4 0x2\n"
	"msix-vectors 65\n"
	"serial  QM00001 # with blanks\n"
	"discard unmap\n"
	"write-cache off\n"
	"ram 0x0 0x10000\n"
	"unassigned 0x100000 0xfeb00000\n"
	"unassigned 0x100000000 0xffffffff00000000\n"	/* to 2^64 */
	"rom 0x10000 0x20000\n"
	"rom 0xffff0000 0xfff0\n"
	"mem-read 0x100 0100\n";

/* Read a whole trace back through the writer into canonical text. */
static char *recanon(const char *in, enum trace_fmt fmt)
{
	char out[128], *cause = NULL, *text;
	struct trace_reader *r = trace_open(in, &cause);
	struct trace_writer *w;
	struct trace_event ev;
	FILE *f;
	long n;
	int rc;

	cr_assert_not_null(r, "open %s: %s", in, cause);
	snprintf(out, sizeof out, "%s/out.%s", tmpdir, fmt == TRACE_FMT_TEXT ? "vrt" : "vrb");
	w = trace_writer_open(out, fmt, 0, trace_header(r), &cause);
	cr_assert_not_null(w, "%s", cause);
	while ((rc = trace_read(r, &ev, &cause)) > 0)
		cr_assert_eq(trace_write(w, &ev, &cause), 0, "%s", cause);
	cr_assert_eq(rc, 0, "%s", cause);
	trace_close(r);
	cr_assert_eq(trace_writer_close(w, &cause), 0, "%s", cause);
	if (fmt == TRACE_FMT_BINARY)
		return recanon(out, TRACE_FMT_TEXT);
	f = fopen(out, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

Test(trace_text, canonical_text_is_a_fixed_point)
{
	char *t = recanon(file_with("c.vrt", canonical), TRACE_FMT_TEXT);

	cr_assert_str_eq(t, canonical);
	free(t);
}

Test(trace_text, text_binary_text_is_byte_identical)
{
	char *t = recanon(file_with("c.vrt", canonical), TRACE_FMT_BINARY);

	cr_assert_str_eq(t, canonical);
	free(t);
}

Test(trace_text, pci_facts_round_trip)
{
	char *t = recanon(file_with("p.vrt", pci_canonical), TRACE_FMT_TEXT), *u;

	cr_assert_str_eq(t, pci_canonical);
	u = recanon(file_with("p.vrt", pci_canonical), TRACE_FMT_BINARY);
	cr_assert_str_eq(u, pci_canonical);
	free(t);
	free(u);
}

Test(trace_text, pci_facts_are_parsed)
{
	char *cause = NULL;
	struct trace_reader *r = trace_open(file_with("p.vrt", pci_canonical), &cause);
	const struct trace_header *h;
	struct trace_event ev;

	cr_assert_not_null(r, "%s", cause);
	h = trace_header(r);
	cr_assert_eq(h->has, TRACE_HAS_CLASS | TRACE_HAS_REVISION | TRACE_HAS_SUBSYS | TRACE_HAS_MSIX);
	cr_assert_eq(h->pci_class, 0x010000);
	cr_assert_eq(h->pci_revision, 1);
	cr_assert_eq(h->subsys_vendor, 0x1af4);
	cr_assert_eq(h->subsys_id, 2);
	cr_assert_eq(h->msix_vectors, 65);
	cr_assert_str_eq(h->serial, " QM00001 # with blanks");
	cr_assert_eq(h->discard, TRACE_DISCARD_UNMAP);
	cr_assert_eq(h->write_cache, TRACE_WCACHE_OFF);
	cr_assert_eq(h->nunassigned, 2);
	cr_assert_eq(h->unassigned[0].base, 0x100000);
	cr_assert_eq(h->unassigned[1].size, 0xffffffff00000000ull);
	cr_assert_eq(h->nrom, 2);
	cr_assert_eq(h->rom[0].base, 0x10000);
	cr_assert_eq(h->rom[1].size, 0xfff0);
	cr_assert_eq(h->nqueues, 64);
	cr_assert_eq(h->queue_max[63], 1024);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_MEM_READ);
	cr_assert_eq(ev.addr, 0x100);
	cr_assert_eq(ev.len, 2);
	trace_close(r);
}

/* QEMU's limit of 1024 queues is accepted; one more is refused before it is stored. */
Test(trace_text, queue_limit)
{
	struct buf b;
	char *cause = NULL;
	struct trace_reader *r;

	buf_init(&b);
	buf_printf(&b, HDR "queues");
	for (int i = 0; i < TRACE_MAX_QUEUES; i++)
		buf_printf(&b, " 1");
	buf_printf(&b, "\n");
	r = trace_open(file_with("q.vrt", buf_str(&b)), &cause);
	cr_assert_not_null(r, "%s", cause);
	cr_assert_eq(trace_header(r)->nqueues, 1024);
	trace_close(r);
	b.len--;
	buf_printf(&b, " 1\n");
	r = trace_open(file_with("q.vrt", buf_str(&b)), &cause);
	cr_assert_null(r);
	cr_assert(strstr(cause, "more than 1024 queues") != NULL, "%s", cause);
	free(cause);
	buf_release(&b);
}

Test(trace_text, hand_written_text_becomes_canonical)
{
	const char *in =
	    "# comment\n"
	    "\n"
	    "  vrt   1  # version\r\n"
	    "device\tblk\n"
	    "queues 0x80 # hex works too\n"
	    "devcfg 00 01\t02\n"
	    "---\n"
	    "# events\n"
	    "  cfg   r 0X04   2   =  0x0006\n"
	    "bar w 4 20 1 1 # decimal offset\n"
	    "mem 0x1000 DE AD be ef # spaced bytes\n"
	    "time 1000\n";
	const char *want =
	    "vrt 1\ndevice blk\nlayout qemu\nfeatures 0x0\nrecorded\nqueues 128\ndevcfg 000102\n"
	    "cfg r 0x4 2 = 0x6\nbar w 4 0x14 1 0x1\nmem 0x1000 deadbeef\ntime 0x3e8\n";
	char *t = recanon(file_with("h.vrt", in), TRACE_FMT_TEXT);

	cr_assert_str_eq(t, want);
	free(t);
}

Test(trace_text, events_are_numbered_and_located)
{
	const char *in = HDR "# c\nbar r 4 0x0 1\n\nmark a\n";
	char *cause = NULL;
	struct trace_reader *r = trace_open(file_with("n.vrt", in), &cause);
	struct trace_event ev;

	cr_assert_not_null(r);
	cr_assert_eq(trace_format(r), TRACE_FMT_TEXT);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_BAR_READ);
	cr_assert_eq(ev.has_value, 0);
	cr_assert_eq(trace_event_no(r), 0);
	cr_assert_eq(trace_event_offset(r), strlen(HDR "# c\n"));
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_MARK);
	cr_assert_eq(ev.len, 1);
	cr_assert_eq(ev.data[0], 'a');
	cr_assert_eq(trace_event_no(r), 1);
	cr_assert_eq(trace_event_offset(r), strlen(HDR "# c\nbar r 4 0x0 1\n\n"));
	cr_assert_eq(trace_read(r, &ev, &cause), 0);
	trace_close(r);
}

Test(trace_text, header_facts_are_parsed)
{
	char *cause = NULL;
	struct trace_reader *r = trace_open(file_with("c.vrt", canonical), &cause);
	const struct trace_header *h;

	cr_assert_not_null(r);
	h = trace_header(r);
	cr_assert_eq(h->device, 1);
	cr_assert_eq(h->layout, TRACE_LAYOUT_VBOX);
	cr_assert_eq(h->features, 0x100010020ull);
	cr_assert_eq(h->recorded, TRACE_REC_DMA | TRACE_REC_IRQ);
	cr_assert_eq(h->nqueues, 3);
	cr_assert_eq(h->queue_max[2], 64);
	cr_assert_eq(h->devcfg_len, 6);
	cr_assert_eq(h->devcfg[5], 0x56);
	cr_assert_eq(h->nram, 2);
	cr_assert_eq(h->ram[1].base, 0x100000000ull);
	cr_assert_eq(h->nbackends, 1);
	cr_assert_str_eq(h->backend[0].type, "disk");
	cr_assert(h->backend[0].has_image);
	cr_assert_str_eq(h->backend[0].image, "disk.img");
	cr_assert_eq(h->backend[0].sha256[31], 0x55);
	cr_assert_str_eq(h->title, "canonical sample");
	trace_close(r);
}

Test(trace_text, seek_forward_and_back)
{
	char *cause = NULL;
	struct trace_reader *r = trace_open(file_with("c.vrt", canonical), &cause);
	struct trace_event ev;

	cr_assert_not_null(r);
	cr_assert_eq(trace_seek(r, 9, &cause), 0, "%s", cause);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_DMA);
	cr_assert_eq(trace_event_no(r), 9);
	cr_assert_eq(trace_seek(r, 1, &cause), 0, "%s", cause);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_CFG_READ);
	cr_assert_eq(ev.addr, 6);
	cr_assert_eq(trace_event_no(r), 1);
	cr_assert_eq(trace_seek(r, 25, &cause), 0, "%s", cause);
	cr_assert_eq(trace_read(r, &ev, &cause), 0);
	cr_assert_neq(trace_seek(r, 26, &cause), 0);
	cr_assert_not_null(strstr(cause, "beyond the end (the trace has 25 events)"), "%s", cause);
	free(cause);
	trace_close(r);
}

struct bad {
	const char *text;
	const char *msg;	/* the whole expected cause after the file name */
};

static const struct bad bad_cases[] = {
	{ "", "header (offset 0x0): no 'vrt 1' line: not a virtio-replay trace" },
	{ "vrt 2\n", "header (offset 0x0): line 1: unsupported trace version 2 (this program reads 1)" },
	{ "device blk\n", "header (offset 0x0): line 1: not a virtio-replay trace (expected 'vrt 1' first)" },
	{ "vrt 1\n", "header: no 'device' line" },
	{ "vrt 1\ndevice toaster\n", "header (offset 0x6): line 2: unknown device type 'toaster' (a name such as blk, balloon or "
	  "virtio-input-host-pci, or a virtio device id 1..63)" },
	{ "vrt 1\ndevice blk\ndevice blk\n", "header (offset 0x11): line 3: 'device' given twice" },
	{ HDR "queues 3\n", "header: queue 0: size 3 is not a power of 2 in 1..1024" },
	{ HDR "queues 2048\n", "header (offset 0x11): line 3: queue size 2048 out of range (at most 0x400)" },
	{ HDR "ram 0x0 0x1000\nram 0x800 0x1000\n", "header: RAM regions 0 and 1 overlap" },
	{ HDR "features 0x10000000000000000\n", "header (offset 0x11): line 3: bad features '0x10000000000000000'" },
	{ HDR "devcfg 0g\n", "header (offset 0x11): line 3: bad hex digit at column 9" },
	{ HDR "backend disk size 1 image x sha256 00\n", "header (offset 0x11): line 3: sha256 must be 64 hex digits" },
	{ HDR "frobnicate\n", "header (offset 0x11): line 3: unknown header line 'frobnicate'" },
	{ HDR "mark a\ntitle late\n", "event 1 (offset 0x18): line 4: header line after the first event" },
	{ HDR "bogus 1 2\n", "header (offset 0x11): line 3: unknown header line 'bogus'" },
	{ HDR "---\nbogus 1 2\n", "event 0 (offset 0x15): line 4: unknown event kind 'bogus'" },
	{ HDR "cfg x 0 1\n", "event 0 (offset 0x11): line 3: unknown direction (r or w) 'x'" },
	{ HDR "cfg r 0x1000 1\n", "event 0 (offset 0x11): line 3: offset 0x1000 out of range (at most 0xfff)" },
	{ HDR "cfg r 0xffe 4\n", "event 0 (offset 0x11): line 3: config offset beyond 0xfff" },
	{ HDR "cfg r 0 8\n", "event 0 (offset 0x11): line 3: access size must be 1, 2 or 4" },
	{ HDR "bar w 4 0 3 1\n", "event 0 (offset 0x11): line 3: access size must be 1, 2, 4 or 8" },
	{ HDR "bar w 6 0 1 1\n", "event 0 (offset 0x11): line 3: BAR number 6 out of range (at most 0x5)" },
	{ HDR "bar w 4 0 1 0x100\n", "event 0 (offset 0x11): line 3: value too large for the access size" },
	{ HDR "bar w 4 0 1\n", "event 0 (offset 0x11): line 3: missing value" },
	{ HDR "bar r 4 0 1 0x1\n", "event 0 (offset 0x11): line 3: expected '=' before the recorded value, got '0x1'" },
	{ HDR "bar r 4 0 1 = 1 2\n", "event 0 (offset 0x11): line 3: unexpected '2' at end of line" },
	{ HDR "bar w 4 0xfffffffffffffffe 4 1\n", "event 0 (offset 0x11): line 3: offset wraps around" },
	{ HDR "mem 0x0 012\n", "event 0 (offset 0x11): line 3: odd number of hex digits at column 11" },
	{ HDR "mem 0x0 0 1\n", "event 0 (offset 0x11): line 3: odd number of hex digits at column 9" },
	{ HDR "mem 0x0 zz\n", "event 0 (offset 0x11): line 3: bad hex digit at column 9" },
	{ HDR "mem 0xffffffffffffffff 0000\n", "event 0 (offset 0x11): line 3: address range wraps around" },
	{ HDR "mem 12x 00\n", "event 0 (offset 0x11): line 3: bad address '12x'" },
	{ HDR "irq msi 1\n", "event 0 (offset 0x11): line 3: unknown interrupt type (msix or intx) 'msi'" },
	{ HDR "irq msix 2048\n", "event 0 (offset 0x11): line 3: vector 2048 out of range (at most 0x7ff)" },
	{ HDR "irq intx 2\n", "event 0 (offset 0x11): line 3: level 2 out of range (at most 0x1)" },
	{ HDR "input sound 0 00\n", "event 0 (offset 0x11): line 3: unknown input type 'sound'" },
	{ HDR "mark a\x01 b\n", "event 0 (offset 0x11): line 3: control character in mark text" },
	{ HDR "time 5\ntime 4\n", "event 1 (offset 0x18): virtual time goes backwards" },
	{ HDR "time 99999999999999999999\n", "event 0 (offset 0x11): line 3: bad time '99999999999999999999'" },
	{ HDR "mem-read 0x0 0\n", "event 0 (offset 0x11): line 3: odd number of hex digits at column 14" },
	{ HDR "mem-read 0xffffffffffffffff 0000\n", "event 0 (offset 0x11): line 3: address range wraps around" },
	{ HDR "pci-class 0x1000000\n", "header (offset 0x11): line 3: class code 0x1000000 out of range (at most 0xffffff)" },
	{ HDR "pci-revision 256\n", "header (offset 0x11): line 3: revision 256 out of range (at most 0xff)" },
	{ HDR "pci-subsystem 0x1af4\n", "header (offset 0x11): line 3: missing subsystem id" },
	{ HDR "msix-vectors 2049\n", "header (offset 0x11): line 3: MSI-X vectors 2049 out of range (at most 0x800)" },
	{ HDR "msix-vectors 1\nmsix-vectors 2\n", "header (offset 0x20): line 4: 'msix-vectors' given twice" },
	{ HDR "serial\n", "header (offset 0x11): line 3: empty serial (leave the line out)" },
	{ HDR "serial 0123456789012345678901234567890123456789012345678901234567890123\n",
	    "header (offset 0x11): line 3: serial longer than 63 bytes" },
	{ HDR "serial a\x02\n", "header (offset 0x11): line 3: control character in serial" },
	{ HDR "discard trim\n", "header (offset 0x11): line 3: unknown discard mode 'trim' (ignore or unmap)" },
	{ HDR "discard\n", "header (offset 0x11): line 3: missing discard mode" },
	{ HDR "write-cache auto\n", "header (offset 0x11): line 3: unknown write-cache mode 'auto' (on or off)" },
	{ HDR "write-cache off\nwrite-cache on\n", "header (offset 0x21): line 4: 'write-cache' given twice" },
	{ "vrt 1\ndevice net\ndiscard unmap\n", "header: discard and write-cache are facts of a disk (blk or scsi), not of net" },
	{ HDR "unassigned 0x1000\n", "header (offset 0x11): line 3: missing unassigned size" },
	{ HDR "unassigned 0x1000 0\n", "header: unassigned range 0 (0x1000+0x0) is empty or wraps around" },
	{ HDR "unassigned 0x100000000 0xffffffff00000001\n",
	  "header: unassigned range 0 (0x100000000+0xffffffff00000001) is empty or wraps around" },
	{ HDR "unassigned 0x100000000 0xffffffff00000000\nunassigned 0xfffffffffffff000 0x10\n",
	  "header: unassigned ranges 0 and 1 overlap" },
	{ HDR "ram 0x0 0x10000\nunassigned 0xf000 0x2000\n", "header: unassigned range 0 overlaps RAM region 0" },
	{ HDR "unassigned 0x10000 0x2000\nunassigned 0x11000 0x10\n", "header: unassigned ranges 0 and 1 overlap" },
	{ HDR "unassigned 1 1\nunassigned 2 1\nunassigned 3 1\nunassigned 4 1\nunassigned 5 1\nunassigned 6 1\n"
	  "unassigned 7 1\nunassigned 8 1\nunassigned 9 1\n", "header (offset 0x89): line 11: more than 8 unassigned ranges" },
	{ HDR "rom 0x1000\n", "header (offset 0x11): line 3: missing rom size" },
	{ HDR "rom 0xfffffffffffff000 0x1000\n", "header: rom range 0 (0xfffffffffffff000+0x1000) is empty or wraps around" },
	{ HDR "ram 0x0 0x10000\nrom 0xf000 0x2000\n", "header: rom range 0 overlaps RAM region 0" },
	{ HDR "unassigned 0x20000 0x10000\nrom 0x2f000 0x2000\n", "header: unassigned range 0 and rom range 0 overlap" },
	{ HDR "rom 0x10000 0x2000\nrom 0x11000 0x10\n", "header: rom ranges 0 and 1 overlap" },
	{ HDR "rom 1 1\nrom 2 1\nrom 3 1\nrom 4 1\nrom 5 1\n", "header (offset 0x31): line 7: more than 4 rom ranges" },
};

/* Every bad input gives exactly one message naming file, event (or header) and offset. */
Test(trace_text, bad_input)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad *b = &bad_cases[i];
		char *cause = NULL, want[512];
		const char *path = file_with("bad.vrt", b->text);
		struct trace_reader *r = trace_open(path, &cause);
		struct trace_event ev;
		int rc = 0;

		if (r != NULL) {
			while ((rc = trace_read(r, &ev, &cause)) > 0)
				;
			/* A failed reader stays failed. */
			cr_assert_eq(trace_read(r, &ev, NULL), -1);
			trace_close(r);
		}
		cr_assert(r == NULL || rc < 0, "accepted: %s", b->text);
		snprintf(want, sizeof want, "%s: %s", path, b->msg);
		cr_expect_str_eq(cause, want, "case %zu", i);
		free(cause);
	}
}

Test(trace_text, overlong_line_is_an_error)
{
	const size_t n = 2 * (16u << 20) + 8192;
	char *text = malloc(n + 64), *cause = NULL;
	struct trace_reader *r;
	struct trace_event ev;

	strcpy(text, HDR "---\nmem 0x0 ");
	memset(text + strlen(text), '0', n);
	strcpy(text + strlen(HDR "---\nmem 0x0 ") + n, "\n");
	r = trace_open(file_with("long.vrt", text), &cause);
	cr_assert_not_null(r);
	cr_assert_eq(trace_read(r, &ev, &cause), -1);
	cr_assert_not_null(strstr(cause, "event 0 (offset 0x15): line 4: line longer than"), "%s", cause);
	free(cause);
	trace_close(r);
	free(text);
}

Test(trace_text, payload_bound)
{
	/* One byte more than the maximum payload, in a line that is still short enough. */
	const size_t n = 2 * ((16u << 20) + 1);
	char *text = malloc(n + 64), *cause = NULL;
	struct trace_reader *r;
	struct trace_event ev;

	strcpy(text, HDR "dma 0x0 ");
	memset(text + strlen(text), 'a', n);
	strcpy(text + strlen(HDR "dma 0x0 ") + n, "\n");
	r = trace_open(file_with("big.vrt", text), &cause);
	cr_assert_not_null(r);
	cr_assert_eq(trace_read(r, &ev, &cause), -1);
	cr_assert_not_null(strstr(cause, "too many bytes (at most 16777216)"), "%s", cause);
	free(cause);
	trace_close(r);
	free(text);
}

Test(trace_text, writer_rejects_invalid_events)
{
	struct trace_header h;
	struct trace_writer *w;
	struct trace_event ev = { .kind = TRACE_BAR_WRITE, .space = 4, .size = 2, .value = 0x10000 };
	char *cause = NULL, path[128];

	trace_header_init(&h);
	h.device = 2;
	snprintf(path, sizeof path, "%s/w.vrt", tmpdir);
	w = trace_writer_open(path, TRACE_FMT_TEXT, 0, &h, &cause);
	cr_assert_not_null(w);
	cr_assert_eq(trace_write(w, &ev, &cause), -1);
	cr_assert_not_null(strstr(cause, "event 0: value too large for the access size"), "%s", cause);
	free(cause);
	cause = NULL;
	ev.kind = 0;
	cr_assert_eq(trace_write(w, &ev, &cause), -1);
	free(cause);
	cr_assert_eq(trace_writer_close(w, NULL), 0);
	h.device = 64;
	cause = NULL;
	cr_assert_null(trace_writer_open(path, TRACE_FMT_TEXT, 0, &h, &cause));
	cr_assert_not_null(strstr(cause, "unknown device type 64"), "%s", cause);
	free(cause);
}

Test(trace_text, names_round_trip)
{
	for (int k = 1; k < TRACE_KIND_COUNT; k++)
		cr_assert_eq(trace_kind_parse(trace_kind_name((uint8_t)k)), k);
	cr_assert_null(trace_kind_name(0));
	cr_assert_null(trace_kind_name(TRACE_KIND_COUNT));
	cr_assert_eq(trace_kind_parse("nope"), -1);
	cr_assert_eq(trace_device_parse("scsi"), 8);
	cr_assert_str_eq(trace_device_name(3), "console");
	cr_assert_str_eq(trace_device_name(5), "balloon");
	cr_assert_null(trace_device_name(64));
	cr_assert_eq(trace_layout_parse("vbox"), TRACE_LAYOUT_VBOX);
	cr_assert_eq(trace_input_parse("disk"), TRACE_INPUT_DISK);
	cr_assert_str_eq(trace_input_name(TRACE_INPUT_EVENT), "event");
	cr_assert_eq(trace_format_from_name("a/b.vrb"), TRACE_FMT_BINARY);
	cr_assert_eq(trace_format_from_name("a.vrt"), TRACE_FMT_TEXT);
	cr_assert_eq(trace_format_from_name("vrt"), -1);
}

Test(trace_text, event_text_of_each_kind)
{
	static const uint8_t d[] = { 0x00, 0xab };
	static const struct {
		struct trace_event ev;
		const char *text;
	} cases[] = {
		{ { .kind = TRACE_CFG_READ, .size = 4, .addr = 0x10, .has_value = 1, .value = 0xfe }, "cfg r 0x10 4 = 0xfe" },
		{ { .kind = TRACE_BAR_WRITE, .space = 2, .size = 1, .addr = 0, .value = 0 }, "bar w 2 0x0 1 0x0" },
		{ { .kind = TRACE_DMA, .addr = 0x20, .len = 2, .data = d }, "dma 0x20 00ab" },
		{ { .kind = TRACE_IRQ, .space = TRACE_IRQ_INTX, .value = 1 }, "irq intx 1" },
		{ { .kind = TRACE_INPUT, .space = TRACE_INPUT_FRAME, .addr = 3, .len = 1, .data = d }, "input frame 0x3 00" },
		{ { .kind = TRACE_TIME, .value = 255 }, "time 0xff" },
		{ { .kind = TRACE_MEM_READ, .addr = 0x10, .len = 2, .data = (const uint8_t *)"\x01\xfe" }, "mem-read 0x10 01fe" },
	};
	struct buf b;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_init(&b);
		trace_event_text(&b, &cases[i].ev);
		cr_assert_str_eq(buf_str(&b), cases[i].text);
		buf_release(&b);
	}
}

Test(trace_text, header_check_bounds)
{
	struct trace_header h;
	char *cause = NULL;

	trace_header_init(&h);
	h.device = 2;
	cr_assert_eq(trace_header_check(&h, &cause), 0);
	h.nram = 2;
	h.ram[0].size = 1ull << 39;
	h.ram[1].base = 1ull << 39;
	h.ram[1].size = (1ull << 39) + 1;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "more than 0x10000000000 bytes of RAM declared");
	free(cause);
	cause = NULL;
	h.ram[1].size = 0;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "RAM region 1 is empty");
	free(cause);
	cause = NULL;
	h.ram[1].base = UINT64_MAX;
	h.ram[1].size = 2;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "RAM region 1 (0xffffffffffffffff+0x2) wraps around");
	free(cause);
	cause = NULL;
	h.nram = 0;
	h.nbackends = 1;
	strcpy(h.backend[0].type, "di sk");
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "backend 0: bad type name");
	free(cause);
	cause = NULL;
	strcpy(h.backend[0].type, "disk");
	h.backend[0].has_image = true;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "backend 0: bad image path");
	free(cause);
	cause = NULL;
	h.nbackends = 0;
	h.recorded = 4;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "unknown recorded-output bits 0x4");
	free(cause);
	cause = NULL;
	h.recorded = 0;
	h.layout = 2;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "unknown layout 2");
	free(cause);
	cause = NULL;
	h.layout = 0;
	h.title[0] = '\n';
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "bad title");
	free(cause);
	cause = NULL;
	h.title[0] = '\0';
	h.has = TRACE_HAS_MSIX;
	h.msix_vectors = TRACE_MAX_MSIX + 1;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "2049 MSI-X vectors (at most 2048)");
	free(cause);
	cause = NULL;
	h.has = TRACE_HAS_CLASS;
	h.pci_class = 0x1000000;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "PCI class code 0x1000000 is wider than 24 bits");
	free(cause);
	cause = NULL;
	h.has = 0x10;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "unknown PCI identity bits 0x10");
	free(cause);
	cause = NULL;
	h.has = 0;
	h.nqueues = TRACE_MAX_QUEUES + 1;
	cr_assert_eq(trace_header_check(&h, &cause), -1);
	cr_assert_str_eq(cause, "1025 queues (at most 1024)");
	free(cause);
}

Test(trace_text, stdin_pipe_and_crlf)
{
	/* A pipe cannot seek back, and CRLF line ends read like LF. */
	int fds[2];
	int saved = dup(0);
	char *cause = NULL;
	struct trace_reader *r;
	struct trace_event ev;
	static const char text[] = "vrt 1\r\ndevice rng\r\ninput entropy 0 0a0b\r\nmark x\r\n";

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	r = trace_open("-", &cause);
	cr_assert_not_null(r, "%s", cause);
	cr_assert_eq(trace_header(r)->device, 4);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.kind, TRACE_INPUT);
	cr_assert_eq(ev.space, TRACE_INPUT_ENTROPY);
	cr_assert_eq(ev.len, 2);
	cr_assert_eq(ev.data[1], 0x0b);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	cr_assert_eq(ev.len, 1);
	cr_assert_eq(trace_seek(r, 0, &cause), -1);
	cr_assert_not_null(strstr(cause, "cannot seek back to event 0 (not a regular file)"), "%s", cause);
	free(cause);
	trace_close(r);
	dup2(saved, 0);
	close(saved);
}

/* The header's RAM as one address space: a range may run from one region into an adjacent one. */
Test(trace_text, header_ram_spans_adjacent_regions)
{
	struct trace_header h;

	trace_header_init(&h);
	h.nram = 3;
	h.ram[0].base = 0x3000, h.ram[0].size = 0x1000;	/* unsorted on purpose */
	h.ram[1].base = 0x1000, h.ram[1].size = 0x2000;
	h.ram[2].base = 0x8000, h.ram[2].size = 0x1000;
	cr_expect(trace_header_in_ram(&h, 0x1000, 0x3000));		/* every byte of the first two */
	cr_expect(trace_header_in_ram(&h, 0x2ff0, 0x20));		/* across the border */
	cr_expect(trace_header_in_ram(&h, 0x8000, 0x1000));
	cr_expect(!trace_header_in_ram(&h, 0x3ff0, 0x20));		/* into the hole after them */
	cr_expect(!trace_header_in_ram(&h, 0x0ff0, 0x20));		/* starts before RAM */
	cr_expect(!trace_header_in_ram(&h, 0x8000, 0x1001));
	cr_expect(!trace_header_in_ram(&h, UINT64_MAX - 4, 16));	/* wraps */
}
