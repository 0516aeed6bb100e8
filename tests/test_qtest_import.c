/* test_qtest_import.c -- the interop layer: QEMU command lines, BAR tracking, qtest log and stream import, qtest export */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/pci-bars.h"
#include "vr/qemu-cmdline.h"
#include "vr/qtest-export.h"
#include "vr/qtest-import.h"
#include "vr/trace.h"
#include "vr/vdev.h"

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vr-qtest.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(qemu_cmdline);
TestSuite(qtest_import, .init = setup, .fini = teardown);

static int parse(const char *s, struct qemu_cmdline *c, char **cause)
{
	return qemu_cmdline_parse(s, strlen(s), NULL, c, cause);
}

Test(qemu_cmdline, device_machine_memory_and_drive)
{
	struct qemu_cmdline c;
	char *cause = NULL;

	cr_assert_eq(parse("cat << EOF | ./qemu-system-x86_64 -display none -machine accel=qtest -m 2G \\\n"
	    "  -M pc-q35-7.2 -device virtio-scsi-pci,id=s,addr=0x5.0x2 -device 'scsi-hd,drive=d,serial=S N' "
	    "-drive if=none,id=d,driver=null-co,size=64M -qtest stdio", &c, &cause), 0, "%s", cause);
	cr_assert(c.have_program);
	cr_assert_str_eq(c.program, "qemu-system-x86_64");
	cr_assert(c.q35);
	cr_assert_eq(c.ram, 2ull << 30);
	cr_assert_str_eq(c.device, "virtio-scsi-pci");
	cr_assert_eq(c.devfn, 5 << 3 | 2);
	cr_assert(c.legacy, "auto on a root bus is transitional");
	cr_assert(c.modern);
	cr_assert_str_eq(c.serial, "S N");
	cr_assert_eq(c.disk_size, 64u << 20);
	cr_assert_eq(c.vectors, -1);
}

Test(qemu_cmdline, defaults_and_properties)
{
	struct qemu_cmdline c;
	char *cause = NULL;

	cr_assert_eq(parse("-device virtio-blk-pci-non-transitional,serial=a,,b,vectors=0 -m 64 -nodefaults", &c,
	    &cause), 0, "%s", cause);
	cr_assert(!c.have_program);
	cr_assert(!c.q35);
	cr_assert_eq(c.ram, 64u << 20);
	cr_assert(c.nodefaults);
	cr_assert(!c.legacy);
	cr_assert_str_eq(c.serial, "a,b");
	cr_assert_eq(c.vectors, 0);
	cr_assert_eq(c.devfn, -1);
	cr_assert_eq(parse("qemu-system-x86_64 -device virtio-rng-pci,disable-legacy=on -device virtio-net-pci", &c,
	    &cause), 0);
	cr_assert_str_eq(c.device, "virtio-rng-pci");
	cr_assert(!c.legacy);
	cr_assert_eq(c.ndevices, 2);
	cr_assert_eq(c.ram, QEMU_DEFAULT_RAM);
}

Test(qemu_cmdline, bad_values)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "-m 12Q", "-m 12Q: bad memory size" },
		{ "-M virt", "-machine virt: not an x86 PC machine (pc or q35)" },
		{ "-device virtio-blk-pci,addr=40", "-device virtio-blk-pci: bad addr=40 (SLOT or SLOT.FN in hex)" },
		{ "-device virtio-blk-pci,vectors=x", "-device virtio-blk-pci: bad vectors=x" },
		{ "-device 'virtio-blk-pci", "command line: unterminated ' quote" },
		{ "-m", "-m: missing value" },
		{ "-device virtio-serial-pci,max_ports=0", "-device virtio-serial-pci: max_ports=0: QEMU takes 1 to 511 ports" },
		{ "-device virtio-serial-pci,max_ports=512", "-device virtio-serial-pci: max_ports=512: QEMU takes 1 to 511 ports" },
		{ "-device virtio-serial-pci,max_ports=-1", "-device virtio-serial-pci: max_ports=-1: not a number of ports" },
		{ "-device virtio-serial-pci,max_ports=4294967297", "-device virtio-serial-pci: max_ports=4294967297: "
		    "not a number of ports" },
		{ "-device virtio-serial-pci,emergency-write=1", "-device virtio-serial-pci: emergency-write=1: not on or off" },
		{ "-device virtio-serial-pci,class=x", "-device virtio-serial-pci: class=x: not a number" },
		{ "-device virtio-serial-pci -device virtserialport,nr=0", "-device virtserialport: port 0 is reserved for a "
		    "virtconsole" },
		{ "-device virtio-serial-pci,max_ports=2 -device virtconsole -device virtconsole -device virtserialport",
		    "-device virtserialport: port id 2 is out of range (max_ports 2: ids 0 to 1)" },
		{ "-device virtio-serial-pci,max_ports=2 -device virtserialport,nr=2",
		    "-device virtserialport: port id 2 is out of range (max_ports 2: ids 0 to 1)" },
		{ "-device virtio-serial-pci -device virtconsole -device virtconsole,nr=0",
		    "-device virtconsole: a port already exists at id 0" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct qemu_cmdline c;
		char *cause = NULL;

		cr_assert_eq(parse(cases[i].in, &c, &cause), -1, "accepted %s", cases[i].in);
		cr_expect_str_eq(cause, cases[i].msg);
		free(cause);
	}
}

Test(qemu_cmdline, virtio_serial_properties_and_ports)
{
	struct qemu_cmdline c;
	char *cause = NULL;

	cr_assert_eq(parse("-device virtio-serial-pci", &c, &cause), 0, "%s", cause);
	cr_assert_eq(c.max_ports, -1);
	cr_assert_eq(c.emergency_write, -1);
	cr_assert_eq(c.pci_class, -1);
	cr_assert_str_eq(c.ports_note, "no port at id 0 (QEMU sends no DEVICE_ADD for it)");
	cr_assert_eq(parse("-device virtio-serial-pci,max_ports=0x2,emergency-write=n,class=0xff "
	    "-device virtserialport,chardev=b -device virtconsole,chardev=a", &c, &cause), 0, "%s", cause);
	cr_assert_eq(c.max_ports, 2);
	cr_assert_eq(c.emergency_write, 0);
	cr_assert_eq(c.pci_class, 0x00ff00);
	cr_assert_str_eq(c.ports_note, "", "the first console takes 0, the port without nr= the lowest free id");
	cr_assert_eq(parse("-device virtio-serial-pci,max_ports=1,class=4660 -device virtconsole", &c, &cause), 0);
	cr_assert_eq(c.pci_class, 0x078000, "a class QEMU does not allow is 07 80");
	cr_assert_str_eq(c.ports_note, "port 0 has no chardev (its host side stays closed)");
	cr_assert_eq(parse("-device virtio-serial-pci,max_ports=3,class=0x380 -device virtconsole,chardev=a "
	    "-device virtconsole,chardev=b -device virtserialport,chardev=c,name=x", &c, &cause), 0);
	cr_assert_eq(c.pci_class, 0x038000);
	cr_assert_str_eq(c.ports_note, "port 1 is a virtconsole (QEMU sends CONSOLE_PORT)");
	cr_assert_eq(parse("-device virtio-serial-pci,max_ports=2 -device virtconsole,chardev=a "
	    "-device virtserialport,chardev=c,name=x", &c, &cause), 0);
	cr_assert_str_eq(c.ports_note, "port 1 has a name (QEMU sends PORT_NAME)");
	cr_assert_eq(parse("-device virtio-blk-pci,max_ports=0 -device virtconsole,nr=0", &c, &cause), 0,
	    "only virtio-serial reads them");
	cr_assert_str_eq(c.ports_note, "");
}

Test(qemu_cmdline, export_names)
{
	cr_assert_str_eq(qemu_device_name(2), "virtio-blk-pci");
	cr_assert_str_eq(qemu_device_name(3), "virtio-serial-pci");
	cr_assert_null(qemu_device_name(200));
}

Test(qemu_cmdline, bars_follow_config_writes)
{
	struct pci_bars b;
	uint64_t left;

	pci_bars_init(&b, true, true, 0);
	cr_assert_eq(pci_bars_addr(&b, 4), 0);
	pci_bars_cfg_write(&b, 0x20, 4, 0xffffffff);
	pci_bars_cfg_write(&b, 0x24, 4, 0xffffffff);
	cr_assert_eq(pci_bars_addr(&b, 4), 0, "being sized");
	pci_bars_cfg_write(&b, 0x20, 2, 0x4000);
	pci_bars_cfg_write(&b, 0x22, 2, 0xfe00);
	pci_bars_cfg_write(&b, 0x24, 4, 0x1);
	cr_assert_eq(pci_bars_addr(&b, 4), 0x1fe004000ull);
	cr_assert_eq(pci_bars_find(&b, 0x1fe007fffull, &left), 4);
	cr_assert_eq(left, 1);
	cr_assert_eq(pci_bars_find(&b, 0x1fe008000ull, &left), -1);
	pci_bars_cfg_write(&b, 0x10, 4, 0xc041);
	cr_assert_eq(pci_bars_addr(&b, 0), 0xc040);
	cr_assert_eq(pci_bars_size(&b, 1), 0x1000);
	pci_bars_init(&b, false, true, 2048);
	cr_assert_eq(pci_bars_size(&b, 1), 0x10000, "2048 vectors: 32 KiB table + 256 bytes of pending bits");
	cr_assert(!pci_bars_exists(&b, 0));
	/* address bits below a BAR's size do not count (QEMU's write mask), a BAR at 0 is not mapped */
	pci_bars_init(&b, false, true, 2);
	pci_bars_cfg_write(&b, 0x14, 4, 0xfe000123);
	cr_assert_eq(pci_bars_addr(&b, 1), 0xfe000000ull);
	pci_bars_cfg_write(&b, 0x20, 4, 0x00003ffc);
	pci_bars_cfg_write(&b, 0x24, 4, 0);
	cr_assert_eq(pci_bars_addr(&b, 4), 0, "at 0");
	pci_bars_cfg_write(&b, 0x20, 4, 0xfebf5004);
	cr_assert_eq(pci_bars_addr(&b, 4), 0xfebf4000ull);
	pci_bars_cfg_write(&b, 0x24, 4, 0x100000);
	cr_assert_eq(pci_bars_addr(&b, 4), 0, "past 52 bits");
	/* a sizing read shows a BAR's size: a 32-byte legacy BAR at 0xc0e0 (the default 0x80 would say 0xc080) */
	pci_bars_init(&b, true, true, 2);
	pci_bars_cfg_write(&b, 0x10, 4, 0xffffffff);
	pci_bars_cfg_read(&b, 0x10, 4, 0xffffffe1);
	cr_assert_eq(pci_bars_size(&b, 0), 0x20);
	pci_bars_cfg_write(&b, 0x10, 4, 0xc0e1);
	cr_assert_eq(pci_bars_addr(&b, 0), 0xc0e0);
	pci_bars_cfg_read(&b, 0x10, 4, 0xc0e1);
	cr_assert_eq(pci_bars_size(&b, 0), 0x20, "only a read after all ones sizes");
	pci_bars_init(&b, true, false, 2);
	cr_assert(pci_bars_exists(&b, 0));
	cr_assert(!pci_bars_exists(&b, 4), "disable-modern=on: no structures BAR");
}

/* QEMU 7.2's default offer, as virtio-replay import gives it. */
static uint64_t offer(uint8_t device, uint16_t nqueues)
{
	const struct vdev_ops *ops = vdev_find_id(device);

	return ops != NULL ? vdev_default_features(ops, VDEV_LAYOUT_QEMU, nqueues) : 0;
}

static uint32_t legacy_only(uint8_t device, bool has_v1)
{
	const struct vdev_ops *ops = vdev_find_id(device);

	return ops != NULL ? vdev_legacy_only_features(ops, VDEV_LAYOUT_QEMU, has_v1) : 0;
}

static const struct qtest_import_qemu qemu = { .offer = offer, .legacy_only = legacy_only };

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

/* Import text into canonical trace text. */
static char *import_text(const char *text, const char *cmdline)
{
	char out[160], *cause = NULL, *res;
	struct qtest_import *qi = qtest_import_open(file_with("in.qtest", text), cmdline, &qemu, &cause);
	struct trace_writer *w;
	FILE *f;
	long n;

	cr_assert_not_null(qi, "%s", cause);
	snprintf(out, sizeof out, "%s/out.vrt", tmpdir);
	w = trace_writer_open(out, TRACE_FMT_TEXT, 0, qtest_import_header(qi), &cause);
	cr_assert_not_null(w, "%s", cause);
	cr_assert_eq(qtest_import_write(qi, w, NULL, &cause), 0, "%s", cause);
	cr_assert_eq(trace_writer_close(w, &cause), 0, "%s", cause);
	qtest_import_free(qi);
	f = fopen(out, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	res = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(res, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return res;
}

Test(qtest_import, stream_maps_config_bars_and_ram)
{
	char *t = import_text(
	    "outl 0xcf8 0x80001820\n"	/* 00:03.0 BAR 4 */
	    "outl 0xcfc 0xe0000000\n"
	    "outl 0xcf8 0x80001822\n"	/* the latch ignores the low bits */
	    "inw 0xcfe\n"
	    "outb 0x80 0x1\n"		/* a POST port: dropped */
	    "writel 0xe0000014 0x1\n"
	    "writeq 0xe0003ffc 0x1122334455667788\n"	/* straddles the end of the BAR: bytes */
	    "writew 0x1000 0xbeef\n"
	    "readq 0xe0000000\n"
	    "readl 0x1000\n"		/* RAM without a reply: nothing to compare */
	    "clock_step 5\nclock_set 3\nclock_set 9\n",
	    "-device virtio-rng-pci,addr=3,disable-legacy=on -m 1M");
	const char *want =
	    "cfg w 0x20 4 0xe0000000\n"
	    "cfg r 0x22 2\n"
	    "bar w 4 0x14 4 0x1\n"
	    "bar w 4 0x3ffc 4 0x55667788\n"
	    "mem 0x1000 efbe\n"
	    "bar r 4 0x0 8\n"
	    "time 0x5\ntime 0x5\ntime 0x9\n";

	cr_assert(strstr(t, "device rng\n") != NULL, "%s", t);
	cr_assert(strstr(t, "ram 0x0 0x100000\n") != NULL, "%s", t);
	cr_assert(strstr(t, "mark qemu: -device virtio-rng-pci,addr=3,disable-legacy=on -m 1M\n") != NULL, "%s", t);
	cr_assert(strstr(t, want) != NULL, "%s", t);
	free(t);
}

Test(qtest_import, log_replies_become_values_and_read_backs)
{
	char *t = import_text(
	    "[I 0.000000] OPENED\n"
	    "[R +0.1] outl 0xcf8 0x80002000\n[S +0.1] OK\n"
	    "[R +0.1] inl 0xcfc\n[S +0.1] OK 0x10441af4\n"
	    "[R +0.1] outl 0xcf8 0x80002020\n[S +0.1] OK\n"
	    "[R +0.1] outl 0xcfc 0xfe000000\n[S +0.1] OK\n"
	    "[R +0.1] writel 0xfe000000 0x1\n[S +0.1] OK\n"
	    "[R +0.1] readl 0xfe000004\n[S +0.1] OK 0x0000000000000001\n"
	    "[R +0.1] writew 0xfe000016 0x0\n[S +0.1] OK\n"
	    "[R +0.1] readw 0xfe000018\n[S +0.1] IRQ raise 11\n[S +0.1] OK 0x0000000000000040\n"
	    "[R +0.1] readw 0xfe000012\n[S +0.1] OK 0x0000000000000001\n"
	    "[R +0.1] b64read 0x2000 0x3\n[S +0.1] OK AQID\n"
	    "[R +0.1] readl 0x3000\n[S +0.1] OK 0x00000000deadbeef\n"
	    "[R +0.1] bogus\n[S +0.1] FAIL Unknown command 'bogus'\n"
	    "[R +0.1] readb 0xfe000014\n",	/* cut: no reply */
	    NULL);

	cr_assert(strstr(t, "device rng\n") != NULL, "no command line: the device ID answers\n%s", t);
	/* The high half the log shows QEMU answered, the low half (never read) QEMU's default offer, not 0. */
	cr_assert(strstr(t, "features 0x130000000\n") != NULL, "%s", t);
	cr_assert(strstr(t, "queues 64\n") != NULL, "%s", t);
	cr_assert(strstr(t, "cfg r 0x0 4 = 0x10441af4\n") != NULL, "%s", t);
	cr_assert(strstr(t, "mark IRQ raise 11\nbar r 4 0x18 2 = 0x40\n") != NULL, "%s", t);
	cr_assert(strstr(t, "mem-read 0x2000 010203\n") != NULL, "%s", t);
	cr_assert(strstr(t, "mem-read 0x3000 efbeadde\n") != NULL, "%s", t);
	cr_assert(strstr(t, "mark FAIL Unknown command 'bogus'\n") != NULL, "%s", t);
	cr_assert(strstr(t, "bar r 4 0x14 1\n") != NULL, "%s", t);
	free(t);
}

/*
 * A legacy driver's host_features read is the offer's low half, less the bits only a legacy driver
 * sees (net: GSO, and NOTIFY_ON_EMPTY, ANY_LAYOUT, BAD_FEATURE); the high half stays QEMU's default.
 * A read of the modern register's low half says it exactly and wins.
 */
Test(qtest_import, legacy_host_features_read)
{
	static const char prologue[] =
	    "[R +0.1] outl 0xcf8 0x80001810\n[S +0.1] OK\n[R +0.1] outl 0xcfc 0xc000\n[S +0.1] OK\n"
	    "[R +0.1] outl 0xcf8 0x80001820\n[S +0.1] OK\n[R +0.1] outl 0xcfc 0xfe000000\n[S +0.1] OK\n"
	    "[R +0.1] outl 0xcf8 0x80001804\n[S +0.1] OK\n[R +0.1] outw 0xcfc 0x7\n[S +0.1] OK\n"
	    "[R +0.1] inl 0xc000\n[S +0.1] OK 0x0000000079006e54\n";
	const char *cmd = "-device virtio-blk-pci,addr=3 -m 1M";
	uint64_t high = offer(2, 0) & ~0xffffffffull;
	char *t, log[1024], want[64];

	t = import_text(prologue, cmd);
	snprintf(want, sizeof want, "features 0x%llx\n", (unsigned long long)(high | 0x30006e54));
	cr_assert(strstr(t, want) != NULL, "want %s in\n%s", want, t);
	free(t);
	/* the modern low half read afterwards (0x6e54: no INDIRECT_DESC, no EVENT_IDX) is the one taken */
	snprintf(log, sizeof log, "%s[R +0.1] writel 0xfe000000 0x0\n[S +0.1] OK\n"
	    "[R +0.1] readl 0xfe000004\n[S +0.1] OK 0x0000000000006e54\n", prologue);
	t = import_text(log, cmd);
	snprintf(want, sizeof want, "features 0x%llx\n", (unsigned long long)(high | 0x6e54));
	cr_assert(strstr(t, want) != NULL, "want %s in\n%s", want, t);
	free(t);
}

/* Control characters in what a log carries into marks (found by fuzz_import) become '?'. */
Test(qtest_import, log_marks_have_no_control_characters)
{
	char *t = import_text(
	    "[R +0.1] outl 0xcf8 0x80001800\n[S +0.1] OK\n"
	    "[R +0.1] bogus\n[S +0.1] FAIL no\x01such\x7f command\n",
	    "-device virtio-rng-pci,addr=3,disable-legacy=on -m 1M");

	cr_assert(strstr(t, "mark FAIL no?such? command\n") != NULL, "%s", t);
	free(t);
}

/* A port write wider than its size (found by fuzz_import) is truncated as QEMU's qtest does, not a bad event. */
Test(qtest_import, port_value_truncated_to_its_size)
{
	char *t = import_text("outl 0xcf8 0x80001824\noutl 0xcfc 0x9b2ffef81\noutw 0xcfc 0x12345\n",
	    "-device virtio-rng-pci,addr=3,disable-legacy=on -m 1M");

	cr_assert(strstr(t, "cfg w 0x24 4 0xb2ffef81\ncfg w 0x24 2 0x2345\n") != NULL, "%s", t);
	free(t);
}

/* q35's ECAM window: followed once the guest enables it in PCIEXBAR; other buses and offsets past 0xff dropped. */
Test(qtest_import, ecam_config_accesses)
{
	char *t = import_text(
	    "[I 0.000000] OPENED\n"
	    "[R +0.1] readl 0xb0020000\n[S +0.1] OK 0x00000000ffffffff\n"	/* window still disabled */
	    "[R +0.1] outl 0xcf8 0x80000060\n[S +0.1] OK\n"
	    "[R +0.1] outl 0xcfc 0xc0000005\n[S +0.1] OK\n"		/* 128 MiB at 0xc0000000 */
	    "[R +0.1] readl 0xc0020000\n[S +0.1] OK 0x0000000010441af4\n"
	    "[R +0.1] writel 0xc0020020 0xfe000000\n[S +0.1] OK\n"
	    "[R +0.1] writeq 0xc0020010 0x1122334455667788\n[S +0.1] OK\n"	/* two 4-byte accesses */
	    "[R +0.1] readb 0xc0020100\n[S +0.1] OK 0x00000000000000ff\n"	/* extended config: dropped */
	    "[R +0.1] readl 0xc0120000\n[S +0.1] OK 0x00000000ffffffff\n"	/* bus 1: dropped */
	    "[R +0.1] readl 0xc8020000\n[S +0.1] OK 0x00000000ffffffff\n"	/* past the window */
	    "[R +0.1] writel 0xfe000000 0x1\n[S +0.1] OK\n",
	    "-M q35 -m 1M -device virtio-rng-pci,addr=4,disable-legacy=on");
	const char *want =
	    "cfg r 0x0 4 = 0x10441af4\n"
	    "cfg w 0x20 4 0xfe000000\n"
	    "cfg w 0x10 4 0x55667788\n"
	    "cfg w 0x14 4 0x11223344\n"
	    "bar w 4 0x0 4 0x1\n";

	cr_assert(strstr(t, want) != NULL, "%s", t);
	cr_assert(strstr(t, "0xffffffff") == NULL, "%s", t);
	free(t);
}

Test(qtest_import, errors_name_file_and_line)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "outl 0xcf8 0x80002004\nnope\n", "line 2: unknown qtest command 'nope'" },
		{ "readl\n", "line 1: readl needs 1 argument" },
		{ "readl 0x1 0x2\n", "line 1: readl takes 1 argument" },
		{ "read 0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9\n", "line 1: more than 8 words" },
		{ "clock_set 0x10\nclock_step 0xffffffffffffffff\n", "line 2: clock_step: the clock overflows" },
		{ "\n\n[R +1] outl 0xcf8 1\n[S +1] OK\n[S +1] OK 1\n", "line 5: a reply without a request" },
		{ "[R +1]\n", "line 1: request without a command" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cause = NULL, want[256];
		const char *p = file_with("bad.qtest", cases[i].in);

		cr_assert_null(qtest_import_open(p, "-device virtio-blk-pci,addr=4", &qemu, &cause), "case %zu", i);
		snprintf(want, sizeof want, "%s: %s", p, cases[i].msg);
		cr_expect_str_eq(cause, want, "case %zu", i);
		free(cause);
	}
}

Test(qtest_import, export_round_trip)
{
	char trace[160], script[160], *cause = NULL;
	struct qtest_export_stats st;
	struct qtest_import *qi;
	FILE *f;

	snprintf(trace, sizeof trace, "%s", file_with("t.vrt",
	    "vrt 1\ndevice net\nram 0x0 0x10000\n---\n"
	    "cfg w 0x20 4 0xfe004000\ncfg w 0x24 4 0x0\ncfg w 0x4 2 0x6\ncfg r 0x0 4 = 0x10411af4\n"
	    "bar w 4 0x14 1 0x1\nbar r 4 0x4 4 = 0x1\nmem 0x100 0102\nmem-read 0x100 0102\n"
	    "dma 0x200 ff\nirq msix 0\ninput frame 0x0 00\ntime 0x10\n"));
	snprintf(script, sizeof script, "%s/t.sh", tmpdir);
	f = fopen(script, "w");
	cr_assert_eq(qtest_export(trace, f, false, &st, &cause), 0, "%s", cause);
	fclose(f);
	cr_expect_eq(st.guest, 8);
	cr_expect_eq(st.inputs, 1);
	cr_expect_eq(st.placed, 0);
	qi = qtest_import_open(script, NULL, &qemu, &cause);
	cr_assert_not_null(qi, "%s", cause);
	cr_assert_eq(qtest_import_header(qi)->device, 1);
	cr_assert_eq(qtest_import_devfn(qi), QEMU_EXPORT_SLOT << 3);
	cr_assert_str_eq(qtest_import_form(qi), "shell");
	qtest_import_free(qi);
}

Test(qtest_import, c_reproducer_calls)
{
	char *t = import_text(
	    "#include \"libqtest.h\"\n"
	    "static void test(void)\n{\n"
	    "    QTestState *s = qtest_init(\"-machine q35 \"\n"
	    "                               \"-device virtio-blk-pci,addr=04.0,disable-legacy=on\");\n"
	    "    qtest_outl(s, 0x10cf8, 0x80002020U);\n"	/* the port is a uint16_t in C */
	    "    qtest_outl(s, 0xcfc, 0xe0000000);\n"
	    "    qtest_bufwrite(s, 0x1000, \"\\x01\\002a\\\"\", 4);\n"
	    "    qtest_memset(s, 0x2000, 0x5a, 0x2);\n"
	    "    qtest_writew(s, 0xe0003000, 0x0);\n"
	    "    qtest_quit(s);\n}\n", NULL);

	cr_assert(strstr(t, "mark qemu: -machine q35 -device virtio-blk-pci,addr=04.0,disable-legacy=on\n") != NULL, "%s", t);
	cr_assert(strstr(t, "cfg w 0x20 4 0xe0000000\nmem 0x1000 01026122\nmem 0x2000 5a5a\nbar w 4 0x3000 2 0x0\n") != NULL,
	    "%s", t);
	free(t);
}

/* The feature properties every virtio device has: bits on and off against QEMU 7.2's defaults. */
Test(qtest_import, common_feature_properties)
{
	struct qemu_cmdline c;
	char *cause = NULL;
	const char *line = "-device virtio-net-pci,disable-legacy=on,iommu_platform=y,event_idx=off,indirect_desc=on,"
	    "queue_reset=false,notify_on_empty=off";

	cr_assert_eq(qemu_cmdline_parse(line, strlen(line), NULL, &c, &cause), 0, "%s", cause);
	cr_expect_eq(c.features_on, 1ull << 33);
	cr_expect_eq(c.features_off, 1ull << 29 | 1ull << 40);
	line = "-device virtio-blk-pci-non-transitional,packed=on";
	cr_assert_eq(qemu_cmdline_parse(line, strlen(line), NULL, &c, &cause), -1);
	cr_expect_str_eq(cause, "-device virtio-blk-pci-non-transitional: packed=on: the device models have no packed virtqueues");
	free(cause);
}

/* Device properties: feature bits, queue counts, and QEMU's defaults spelled out (accepted). */
Test(qtest_import, device_properties)
{
	struct qemu_cmdline c;
	char *cause = NULL;
	const char *line = "-device virtio-scsi-pci,num_queues=4,hotplug=off,param_change=on,virtqueue_size=256";

	cr_assert_eq(qemu_cmdline_parse(line, strlen(line), NULL, &c, &cause), 0, "%s", cause);
	cr_expect_eq(c.nqueues, 6);
	cr_expect_eq(c.features_off, 1ull << 1);
	cr_expect_eq(c.features_on, 0);
	line = "-device virtio-blk-pci,num-queues=65535,discard=on,queue-size=0x100,logical_block_size=512";
	cr_assert_eq(qemu_cmdline_parse(line, strlen(line), NULL, &c, &cause), 0, "%s", cause);
	cr_expect_eq(c.nqueues, -1);
	cr_expect_eq(c.features_off | c.features_on, 0);
	line = "-device virtio-rng-pci,period=1000";
	cr_assert_eq(qemu_cmdline_parse(line, strlen(line), NULL, &c, &cause), -1);
	cr_expect_str_eq(cause, "-device virtio-rng-pci: period=1000: the device model cannot honour it (it has no rate limit)");
	free(cause);
}
