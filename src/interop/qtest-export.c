/* qtest-export.c -- a trace's guest side as a qtest command stream for QEMU, with the command line that plays it */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/pci-bars.h"
#include "vr/qemu-cmdline.h"
#include "vr/qtest-export.h"
#include "vr/trace.h"

#define DEVFN		(QEMU_EXPORT_SLOT << 3)
#define PCI_COMMAND	0x04
#define PCI_CMD_MEM_MASTER	0x0006u	/* memory decoding and bus mastering */
#define PCI_CMD_IO		0x0001u

/* Where export places a BAR the trace never placed: below QEMU's own devices at 0xfec00000. */
static const uint64_t place_at[] = { 0xfe000000ull, 0xfe100000ull, 0xfe200000ull };
#define PLACE_IO	0xc000u		/* and the legacy I/O BAR 0: where SeaBIOS puts the first one */

struct exporter {
	const char *path;
	FILE *f;
	struct buf line;
	struct pci_bars bars;
	uint32_t cf8;			/* last address written to 0xcf8 */
	uint16_t command;		/* the PCI command register as the trace wrote it */
	bool command_written;
	struct qtest_export_stats *st;
};

static const char size_suffix[9] = { [1] = 'b', [2] = 'w', [4] = 'l', [8] = 'q' };
/* Port commands stop at 4 bytes: an 8-byte access to the I/O BAR goes out as outl/inl, as record --target qemu sends it. */
static const char port_suffix[9] = { [1] = 'b', [2] = 'w', [4] = 'l', [8] = 'l' };

/* Append s to b quoted for sh when it needs it ('...' with ' as '\''). */
static void sh_quote(struct buf *b, const char *s)
{
	bool plain = s[0] != '\0';

	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr(",._=:/+-", *p) != NULL))
			plain = false;
	if (plain) {
		buf_add(b, s, strlen(s));
		return;
	}
	buf_add_u8(b, '\'');
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\'')
			buf_add(b, "'\\''", 4);
		else
			buf_add_u8(b, (uint8_t)*p);
	}
	buf_add_u8(b, '\'');
}

/* A QEMU property value: ',' doubled. */
static void qemu_prop(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, ",%s=", key);
	for (const char *p = v; *p != '\0'; p++) {
		buf_add_u8(b, (uint8_t)*p);
		if (*p == ',')
			buf_add_u8(b, ',');
	}
}

/*
 * The QEMU command line for the trace's device (without the program name and
 * -qtest). script: the firmware the script writes, and -no-reboot, so the
 * reset request that ends the script makes QEMU exit.
 */
static int command_line(const struct trace_header *h, const char *path, bool script, struct buf *out, char **cause)
{
	const char *name = qemu_device_name(h->device);
	uint64_t top = 0;
	struct buf dev, drive;
	bool disk = (h->device == 2 || h->device == 8);
	uint64_t disk_size = 1u << 20;

	if (name == NULL)
		return cause_set(cause, "%s: device %s has no QEMU virtio-pci device export knows", path,
		    trace_device_name(h->device) ? trace_device_name(h->device) : "?");
	if (h->layout != TRACE_LAYOUT_QEMU)
		return cause_set(cause, "%s: layout %s has no QEMU equivalent (QEMU's virtio-pci is layout qemu)", path,
		    trace_layout_name(h->layout) ? trace_layout_name(h->layout) : "?");
	for (unsigned i = 0; i < h->nram; i++)
		if (h->ram[i].base + h->ram[i].size > top)
			top = h->ram[i].base + h->ram[i].size;
	if (top > 0xe0000000ull)
		return cause_set(cause, "%s: guest RAM up to 0x%" PRIx64 " does not fit below the PCI hole of QEMU's "
		    "pc machine (0xe0000000)", path, top);
	for (unsigned i = 0; i < h->nbackends; i++)
		if (strcmp(h->backend[i].type, "disk") == 0)
			disk_size = h->backend[i].size;
	buf_init(&dev);
	buf_init(&drive);
	/* the trace's transport: modern-only, transitional (QEMU's default), or legacy-only */
	buf_printf(&dev, "%s,addr=%02x.0,disable-legacy=%s%s", name, QEMU_EXPORT_SLOT,
	    h->transport == TRACE_TRANSPORT_MODERN ? "on" : "off",
	    h->transport == TRACE_TRANSPORT_LEGACY ? ",disable-modern=on" : "");
	if (h->has & TRACE_HAS_MSIX)
		buf_printf(&dev, ",vectors=%u", h->msix_vectors);
	if (h->serial[0] != '\0' && h->device == 2)
		qemu_prop(&dev, "serial", h->serial);
	qemu_mac_prop(&dev, h);
	if (h->write_cache == TRACE_WCACHE_OFF && h->device == 2)
		buf_printf(&dev, ",write-cache=off");
	if (disk) {
		/* Zeros of the trace's disk size: disk contents are host inputs, not the guest side. */
		buf_printf(&drive, "if=none,id=d0,driver=null-co,size=%" PRIu64 ",read-zeroes=on%s", disk_size,
		    h->discard == TRACE_DISCARD_UNMAP ? ",discard=unmap" : "");
		if (h->device == 2)
			buf_printf(&dev, ",drive=d0");
	}
	buf_printf(out, "-machine pc -accel tcg%s -nodefaults -display none -m %" PRIu64 "M%s -device ",
	    script ? " -bios \"$fw\"" : "", top > 0 ? (top + (1u << 20) - 1) >> 20 : 1, script ? " -no-reboot" : "");
	sh_quote(out, buf_str(&dev));
	if (disk) {
		buf_printf(out, " -drive %s", buf_str(&drive));
		if (h->device == 8) {
			buf_reset(&dev);
			buf_printf(&dev, "scsi-hd,drive=d0");
			if (h->serial[0] != '\0')
				qemu_prop(&dev, "serial", h->serial);
			if (h->write_cache == TRACE_WCACHE_OFF)
				buf_printf(&dev, ",write-cache=off");
			buf_printf(out, " -device ");
			sh_quote(out, buf_str(&dev));
		}
	}
	buf_release(&dev);
	buf_release(&drive);
	return 0;
}

static void cmd_end(struct exporter *x)
{
	buf_add_u8(&x->line, '\n');
	x->st->commands++;
	if (x->line.len >= 65536) {
		fwrite(x->line.data, 1, x->line.len, x->f);
		buf_reset(&x->line);
	}
}

/* A config access at off: select the register through 0xcf8, then 0xcfc + (off & 3). */
static void cfg(struct exporter *x, bool write, uint32_t off, unsigned size, uint64_t value)
{
	uint32_t a = 0x80000000u | DEVFN << 8 | (off & 0xfcu);

	if (a != x->cf8) {
		buf_printf(&x->line, "outl 0xcf8 0x%08" PRIx32, a);
		cmd_end(x);
		x->cf8 = a;
	}
	if (write)
		buf_printf(&x->line, "out%c 0x%x 0x%" PRIx64, size_suffix[size], 0xcfcu + (off & 3), value);
	else
		buf_printf(&x->line, "in%c 0x%x", size_suffix[size], 0xcfcu + (off & 3));
	cmd_end(x);
	if (write) {
		pci_bars_cfg_write(&x->bars, off, size, value);
		for (unsigned i = 0; i < size; i++)
			if (off + i == PCI_COMMAND || off + i == PCI_COMMAND + 1) {
				unsigned sh = 8 * (off + i - PCI_COMMAND);
				x->command = (uint16_t)((x->command & ~(0xffu << sh)) | ((value >> (8 * i)) & 0xff) << sh);
				x->command_written = true;
			}
	}
}

/* A BAR the trace uses before placing it: place it where no other BAR is, and say so. */
static void place_bar(struct exporter *x, unsigned bar)
{
	uint64_t size = pci_bars_size(&x->bars, bar);

	if (bar == 0) {
		cfg(x, true, 0x10, 4, PLACE_IO | 1);
		x->st->placed++;
		return;
	}

	for (size_t i = 0; i < sizeof place_at / sizeof place_at[0]; i++) {
		uint64_t at = place_at[i], left;
		if (pci_bars_find(&x->bars, at, &left) >= 0 || pci_bars_find(&x->bars, at + size - 1, &left) >= 0)
			continue;
		cfg(x, true, 0x10 + 4 * bar, 4, (uint32_t)at);
		if (bar == PCI_BARS_MODERN)
			cfg(x, true, 0x10 + 4 * (bar + 1), 4, at >> 32);
		x->st->placed++;
		return;
	}
}

static int bar_access(struct exporter *x, const struct trace_event *ev)
{
	uint64_t base;

	if (!pci_bars_exists(&x->bars, ev->space) || ev->addr >= pci_bars_size(&x->bars, ev->space) ||
	    ev->addr + ev->size > pci_bars_size(&x->bars, ev->space))
		return 0;	/* nothing of QEMU's device is there */
	if ((base = pci_bars_addr(&x->bars, ev->space)) == 0) {
		place_bar(x, ev->space);
		if ((base = pci_bars_addr(&x->bars, ev->space)) == 0)
			return 0;
	}
	if (!x->command_written) {
		cfg(x, true, PCI_COMMAND, 2, PCI_CMD_MEM_MASTER | (x->bars.legacy ? PCI_CMD_IO : 0));
		x->st->placed++;
	}
	if (ev->space == 0) {
		/* the legacy block in I/O BAR 0: port commands */
		if (ev->kind == TRACE_BAR_WRITE)
			buf_printf(&x->line, "out%c 0x%" PRIx64 " 0x%" PRIx64, port_suffix[ev->size], base + ev->addr,
			    ev->value & 0xffffffffu);
		else
			buf_printf(&x->line, "in%c 0x%" PRIx64, port_suffix[ev->size], base + ev->addr);
		cmd_end(x);
		return 1;
	}
	if (ev->kind == TRACE_BAR_WRITE)
		buf_printf(&x->line, "write%c 0x%" PRIx64 " 0x%" PRIx64, size_suffix[ev->size], base + ev->addr, ev->value);
	else
		buf_printf(&x->line, "read%c 0x%" PRIx64, size_suffix[ev->size], base + ev->addr);
	cmd_end(x);
	return 1;
}

/* One event: 1 exported, 0 left out. */
static int event(struct exporter *x, const struct trace_event *ev)
{
	switch (ev->kind) {
	case TRACE_CFG_READ:
	case TRACE_CFG_WRITE:
		cfg(x, ev->kind == TRACE_CFG_WRITE, (uint32_t)ev->addr, ev->size, ev->value);
		if (ev->kind == TRACE_CFG_READ)
			pci_bars_cfg_read(&x->bars, (uint32_t)ev->addr, ev->size, ev->value);	/* the recorded answer */
		return 1;
	case TRACE_BAR_READ:
	case TRACE_BAR_WRITE:
		return bar_access(x, ev);
	case TRACE_MEM:
		if (ev->len == 0)
			return 0;
		buf_printf(&x->line, "write 0x%" PRIx64 " 0x%" PRIx32 " 0x", ev->addr, ev->len);
		buf_add_hex(&x->line, ev->data, ev->len);
		cmd_end(x);
		return 1;
	case TRACE_MEM_READ:
		if (ev->len == 0)
			return 0;
		buf_printf(&x->line, "read 0x%" PRIx64 " 0x%" PRIx32, ev->addr, ev->len);
		cmd_end(x);
		return 1;
	case TRACE_INPUT:
		x->st->inputs++;
		return 0;
	default:
		/* Outputs (dma, irq), marks, time (QEMU's clock commands need the qtest accelerator), checkpoints. */
		return 0;
	}
}

int qtest_export(const char *path, FILE *f, bool stream, struct qtest_export_stats *st, char **cause)
{
	struct qtest_export_stats dummy;
	struct trace_reader *r;
	struct trace_event ev;
	struct exporter x;
	struct buf cl;
	const struct trace_header *h;
	const char *base = strrchr(path, '/');
	int rc;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof *st);
	if ((r = trace_open(path, cause)) == NULL)
		return -1;
	h = trace_header(r);
	buf_init(&cl);
	if (command_line(h, path, !stream, &cl, cause) != 0) {
		trace_close(r);
		buf_release(&cl);
		return -1;
	}
	memset(&x, 0, sizeof x);
	x.path = path;
	x.f = f;
	x.st = st;
	buf_init(&x.line);
	pci_bars_init(&x.bars, h->transport != TRACE_TRANSPORT_MODERN, h->transport != TRACE_TRANSPORT_LEGACY,
	    h->has & TRACE_HAS_MSIX ? h->msix_vectors : 0);
	base = base != NULL ? base + 1 : path;
	buf_printf(&x.line, "%s# virtio-replay export of ", stream ? "" : "#!/bin/sh\n");
	for (const char *p = base; *p != '\0'; p++)
		buf_add_u8(&x.line, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : (uint8_t)*p);
	buf_printf(&x.line, ": its guest side as qtest commands for QEMU (device %s at 00:%02x.0)\n",
	    trace_device_name(h->device), QEMU_EXPORT_SLOT);
	if (stream) {
		buf_printf(&x.line, "# qemu-system-x86_64 %s -qtest stdio\n", buf_str(&cl));
	} else {
		/* Firmware that only halts, so the VM runs (virtio-net and virtio-rng work only then). */
		buf_printf(&x.line, "fw=$(mktemp) || exit 3\ntrap 'rm -f \"$fw\"' EXIT\n"
		    "head -c 65520 /dev/zero > \"$fw\"\nprintf '\\372\\364\\353\\375' >> \"$fw\"\n"
		    "head -c 12 /dev/zero >> \"$fw\"\n");
		/* qtest has no quit command, and QEMU runs on when its input ends. */
		buf_printf(&x.line, "# The last command asks a reset through port 0xcf9 (PIIX3's reset control);\n"
		    "# under -no-reboot that makes QEMU exit.\n");
		buf_printf(&x.line, "cat << 'EOF' | qemu-system-x86_64 %s -qtest stdio\n", buf_str(&cl));
	}
	buf_release(&cl);
	while ((rc = trace_read(r, &ev, cause)) > 0) {
		if (ev.kind == TRACE_CHECKPOINT && st->guest == 0) {
			rc = cause_set(cause, "%s: event %" PRIu64 ": the trace starts from a device snapshot (a cut trace); "
			    "QEMU cannot start there", path, trace_event_no(r));
			break;
		}
		if (event(&x, &ev))
			st->guest++;
		else
			st->skipped++;
	}
	trace_close(r);
	if (rc == 0 && !stream)
		buf_printf(&x.line, "outb 0xcf9 0x6\nEOF\n");
	if (x.line.len > 0)
		fwrite(x.line.data, 1, x.line.len, f);
	buf_release(&x.line);
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		rc = cause_set(cause, "write error: %s", strerror(errno));
	return rc < 0 ? -1 : 0;
}
