/* test_sink_log.c -- the inspection log: exact text for every event kind, caps, determinism */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/hexdump.h"
#include "vr/sink-log.h"
#include "sink-sample.h"

static char *log_of(bool end, size_t max)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct evbus bus;
	struct sink_log *l = sink_log_new(f, max);
	char *cause = NULL;

	evbus_init(&bus);
	cr_assert_eq(sink_log_attach(l, &bus, &cause), 0);
	sample_run(&bus, end);
	cr_assert_eq(sink_log_close(l, &cause), 0);
	fclose(f);
	return out;
}

static const char golden[] =
	"== run begin\n"
	"trace     traces/blk-basic.vrt\n"
	"sha256    0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"device    blk\n"
	"layout    qemu\n"
	"version   0.1.0\n"
	"options   --db\n"
	"offered   0x0000000130000046\n"
	"#1 bar4+0x0014 common.device_status <- 0x0f\n"
	"#2 bar4+0x0014 common.device_status -> 0x0b\n"
	"#3 mem addr 0x100000 len 8: de ad be ef 01 02 03 04\n"
	"#4 bar4+0x3000 notify[0] <- 0x0000\n"
	"#4 txn requestq(0) head 3: blk OUT sector=2048 len=20 status=OK\n"
	"    from #3, 3 descriptors, out 36, in 1, used len 1\n"
	"    desc 3 addr 0x0000000000100000 len 16 NEXT next 4\n"
	"    desc 4 addr 0x0000000000101000 len 20 NEXT next 5\n"
	"    desc 5 addr 0x0000000000102000 len 1 WRITE\n"
	"    out 36 bytes:\n"
	"      0000  01 00 00 00 00 00 00 00  00 08 00 00 00 00 00 00  |................|\n"
	"      0010  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 00 01 02  |hello, world!...|\n"
	"      0020  03 04 05 06                                       |....|\n"
	"    in 1 byte:\n"
	"      0000  00                                                |.|\n"
	"#4 dma used.ring[0] addr 0x7000 len 8: 03 00 00 00 01 00 00 00\n"
	"#4 irq msix vector 1 addr 0xfee00000 data 0x00004021 (queue 0)\n"
	"!! VIOLATION desc-loop event 5 (offset 0x2a0): queue 0 desc 7 addr 0x100070: descriptor 7 loops to 3\n"
	"!! DIVERGENCE dma event 5 (offset 0x2a0): buffer: expected 0x3, produced 0x9\n"
	"first divergence at event 5\n"
	"  expected 03, produced 09\n"
	"          expected                                                             produced\n"
	"    *0000  01 02 03 04                                       |....|             01 02 09 04                                       |....|\n"
	"!! end of divergence\n"
	"#6 frame tx queue 1 len 64\n"
	"    0000  ff ff ff ff ff ff 52 54  00 12 34 56 08 06 00 00  |......RT..4V....|\n"
	"    0010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	"    0020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	"    0030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	"#6 note: device reset\n"
	"== run end: diverged, complete, 6 events, 1 divergence, 1 violation, negotiated 0x0000000100000006\n"
	;

Test(sink_log, every_event_kind_exact_text)
{
	char *s = log_of(true, 0);

	cr_expect_str_eq(s, golden);
	free(s);
}

Test(sink_log, same_events_same_bytes)
{
	char *a = log_of(true, 0), *b = log_of(true, 0);

	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

Test(sink_log, dumps_capped_with_cut_noted)
{
	char *s = log_of(true, 16);

	cr_expect(strstr(s, "    out 36 bytes:\n"
	    "      0000  01 00 00 00 00 00 00 00  00 08 00 00 00 00 00 00  |................|\n"
	    "      ... 20 more bytes not shown\n"
	    "    in 1 byte:\n") != NULL, "%s", s);
	cr_expect(strstr(s, "|......RT..4V....|\n    ... 48 more bytes not shown\n#6 note") != NULL, "%s", s);
	cr_expect(strstr(s, "hello") == NULL);
	free(s);
}

Test(sink_log, register_accesses_once_and_anomalies_stand_out)
{
	char *s = log_of(false, 0);
	const char *p;
	int n = 0;

	for (p = s; (p = strstr(p, "\n#1 ")) != NULL; p++)
		n++;
	cr_expect_eq(n, 1, "bar access logged %d times", n);
	cr_expect(strstr(s, "\n!! VIOLATION desc-loop event 5 ") != NULL);
	cr_expect(strstr(s, "\n!! DIVERGENCE dma event 5 ") != NULL);
	cr_expect(strstr(s, "== run end") == NULL, "no RUN_END, no end line");
	free(s);
}

Test(sink_log, emitter_capped_buffer_noted)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct evbus bus;
	struct sink_log *l = sink_log_new(f, 0);
	struct vr_event ev = { .kind = VR_EV_TXN };
	static const uint8_t bytes[20] = "0123456789abcdefghij";

	evbus_init(&bus);
	sink_log_attach(l, &bus, NULL);
	ev.u.txn.queue_name = "rx0";
	ev.u.txn.device = "net";
	ev.u.txn.type = "rx";
	ev.u.txn.in = bytes;
	ev.u.txn.in_len = 4096;
	ev.u.txn.in_shown = 20;
	evbus_emit(&bus, &ev);
	cr_assert_eq(sink_log_close(l, NULL), 0);
	fclose(f);
	cr_expect_str_eq(out,
	    "#0 txn rx0(0) head 0: net rx\n"
	    "    from #0, 0 descriptors, out 0, in 4096, used len 0\n"
	    "    in 4096 bytes:\n"
	    "      0000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
	    "      0010  67 68 69 6a                                       |ghij|\n"
	    "      ... 4076 more bytes not shown\n");
	free(out);
}

Test(sink_log, opens_files)
{
	char path[] = "/tmp/vr-log.XXXXXX";
	int fd = mkstemp(path);
	char *cause = NULL;
	struct evbus bus;
	struct sink_log *l;
	char text[256] = { 0 };
	FILE *f;

	cr_assert_geq(fd, 0);
	close(fd);
	l = sink_log_open(path, 0, &cause);
	cr_assert_not_null(l, "%s", cause);
	evbus_init(&bus);
	sink_log_attach(l, &bus, NULL);
	sample_run_begin(&bus);
	cr_assert_eq(sink_log_close(l, &cause), 0);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_expect_eq(fread(text, 1, sizeof(text) - 1, f) > 0, 1);
	fclose(f);
	unlink(path);
	cr_expect(strncmp(text, "== run begin\ntrace     traces/blk-basic.vrt\n", 44) == 0, "%s", text);

	cr_assert_null(sink_log_open("/nonexistent-dir/x.log", 0, &cause));
	cr_expect_str_eq(cause, "/nonexistent-dir/x.log: No such file or directory");
	free(cause);
	sink_log_close(NULL, NULL);
}

static void trace_ev(struct evbus *bus, uint64_t no, uint8_t kind, const char *name, uint8_t space, uint64_t addr,
    bool has_value, uint64_t value, const void *data, uint32_t len)
{
	struct vr_event ev = { .kind = VR_EV_TRACE };

	bus->event_no = no;
	ev.u.trace.kind = kind;
	ev.u.trace.kind_name = name;
	ev.u.trace.space = space;
	ev.u.trace.addr = addr;
	ev.u.trace.has_value = has_value;
	ev.u.trace.value = value;
	ev.u.trace.data = data;
	ev.u.trace.len = len;
	evbus_emit(bus, &ev);
}

Test(sink_log, raw_trace_kinds)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct evbus bus;
	struct sink_log *l = sink_log_new(f, 0);
	static const uint8_t two[2] = { 3, 0 };
	static const uint8_t blob[40] = { 1 };

	evbus_init(&bus);
	sink_log_attach(l, &bus, NULL);
	trace_ev(&bus, 1, 10, "mark", 0, 0, false, 0, "boot \"x\"", 8);
	trace_ev(&bus, 2, 11, "time", 0, 0, true, 1500, NULL, 0);
	trace_ev(&bus, 3, 6, "dma", 0, 0x40011242, false, 0, two, 2);
	trace_ev(&bus, 4, 7, "irq", 0, 0, true, 1, NULL, 0);
	trace_ev(&bus, 5, 7, "irq", 1, 0, true, 0, NULL, 0);
	trace_ev(&bus, 6, 8, "input", 2, 0x200, false, 0, blob, 20);
	trace_ev(&bus, 7, 9, "checkpoint", 0, 0, false, 0, blob, sizeof(blob));
	trace_ev(&bus, 8, 1, "cfg-read", 0, 4, true, 6, NULL, 0);
	trace_ev(&bus, 9, 42, "future-kind", 3, 0x10, true, 7, two, 2);
	trace_ev(&bus, 10, 43, NULL, 0, 0, false, 0, NULL, 0);
	cr_assert_eq(sink_log_close(l, NULL), 0);
	fclose(f);
	cr_expect_str_eq(out,
	    "#1 mark \"boot \\x22x\\x22\"\n"
	    "#2 time 1500ns\n"
	    "#3 recorded dma addr 0x40011242 len 2: 03 00\n"
	    "#4 recorded irq msix vector 1\n"
	    "#5 recorded irq intx level 0\n"
	    "#6 input disk addr 0x200 len 20\n"
	    "    0000  01 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	    "    0010  00 00 00 00                                       |....|\n"
	    "#7 checkpoint len 40\n"
	    "#9 future-kind space 3 addr 0x10 value 0x7 len 2: 03 00\n"
	    "#10 ? space 0 addr 0x0\n");
	free(out);
}

Test(sink_log, violation_without_location)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct evbus bus;
	struct sink_log *l = sink_log_new(f, 0);
	struct vr_event ev = { .kind = VR_EV_VIOLATION };

	evbus_init(&bus);
	sink_log_attach(l, &bus, NULL);
	bus.event_no = 9;
	bus.offset = 0x13e;
	ev.u.violation.name = "checkpoint-bad";
	ev.u.violation.queue = -1;
	ev.u.violation.desc = -1;
	ev.u.violation.detail = "checkpoint: checksum mismatch";
	evbus_emit(&bus, &ev);
	cr_assert_eq(sink_log_close(l, NULL), 0);
	fclose(f);
	cr_expect_str_eq(out, "!! VIOLATION checkpoint-bad event 9 (offset 0x13e): checkpoint: checksum mismatch\n");
	free(out);
}

/* The printf-free formatters the log uses agree with printf, at the edges too. */
Test(sink_log, fast_formatters_match_printf)
{
	static const uint64_t vals[] = { 0, 1, 9, 10, 0xf, 0x10, 0xffff, 0x10000, 123456789, UINT64_MAX };
	struct buf b;
	char want[64];

	buf_init(&b);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		for (unsigned w = 1; w <= 16; w++) {
			buf_reset(&b);
			buf_add_hexnum(&b, vals[i], w);
			snprintf(want, sizeof(want), "%0*llx", (int)w, (unsigned long long)vals[i]);
			cr_assert_str_eq(buf_str(&b), want);
		}
		buf_reset(&b);
		buf_add_dec(&b, vals[i]);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)vals[i]);
		cr_assert_str_eq(buf_str(&b), want);
	}
	/* a dump whose offsets pass four hex digits, and a short last line */
	uint8_t data[40];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x3c + i);
	buf_reset(&b);
	hexdump_buf(&b, "  ", data, sizeof(data), 0xfff0, 0);
	cr_assert_str_eq(buf_str(&b),
	    "  fff0  3c 3d 3e 3f 40 41 42 43  44 45 46 47 48 49 4a 4b  |<=>?@ABCDEFGHIJK|\n"
	    "  10000  4c 4d 4e 4f 50 51 52 53  54 55 56 57 58 59 5a 5b  |LMNOPQRSTUVWXYZ[|\n"
	    "  10010  5c 5d 5e 5f 60 61 62 63                           |\\]^_`abc|\n");
	buf_release(&b);
}
