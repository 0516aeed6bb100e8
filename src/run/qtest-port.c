/* qtest-port.c -- the guest_port onto a real QEMU device: process set-up, host inputs, MSI-X mailbox, INTx */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

#include "qtest-port-int.h"

/* ---- interrupts ---- */

static void emit_irq(struct qport *p, bool msix, uint16_t vector, uint8_t level)
{
	struct vr_event ev;

	p->irq_seen = true;
	if (p->bus == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = msix;
	ev.u.irq.vector = vector;
	ev.u.irq.level = level;
	if (msix && vector < QP_VECTORS) {
		ev.u.irq.msg_addr = p->shadow[vector][0] | (uint64_t)p->shadow[vector][1] << 32;
		ev.u.irq.msg_data = p->shadow[vector][2];
	}
	ev.u.irq.cause = "qemu";
	evbus_emit(p->bus, &ev);
}

static void intx_line(void *opaque, unsigned line, bool raised)
{
	struct qport *p = opaque;

	if (line != QP_PIRQ_LINE || raised == p->intx_level)
		return;
	p->intx_level = raised;
	emit_irq(p, false, 0, raised);
}

/* Read and clear the mailbox; one event per delivered vector, lowest first. */
static void check_mailbox(struct qport *p)
{
	uint8_t box[QP_VECTORS * 4];
	unsigned n = p->msix_size < QP_VECTORS ? p->msix_size : QP_VECTORS;
	bool any = false;

	if (n == 0 || qemu_failed(p->q) || qemu_memread(p->q, p->mailbox, box, 4u * n) < 0)
		return;
	for (unsigned v = 0; v < n && !any; v++)
		any = le32_load(box + 4 * v) != 0;
	if (!any)
		return;
	for (unsigned v = 0; v < n; v++) {
		uint64_t ga = p->shadow[v][0] | (uint64_t)p->shadow[v][1] << 32;
		static const uint8_t zero[4];

		if (le32_load(box + 4 * v) == 0)
			continue;
		/*
		 * Clear only the words that were set: QEMU's main loop may run
		 * between the read and this write (a chardev's bytes reaching a
		 * queue) and a message on another vector must not be wiped.
		 */
		qemu_memwrite(p->q, p->mailbox + 4ull * v, zero, 4);
		/*
		 * The mailbox stands in for the guest's address. On x86 only the
		 * APIC's window makes a message an interrupt; anywhere else QEMU's
		 * msi_send_message is a memory write, made here where the guest
		 * pointed it (in RAM) and not reported as an interrupt.
		 */
		if ((ga & ~QP_MSI_WINDOW_MASK) != QP_MSI_WINDOW) {
			uint8_t d[4];

			le32_store(d, p->shadow[v][2]);
			/* QEMU drops it outside RAM, as qtest's write does; the mailbox's own words stay tokens */
			if (ga + 4 > ga && (ga + 4 <= p->mailbox || ga >= p->mailbox + 4 * QP_VECTORS))
				qemu_memwrite(p->q, ga, d, 4);
			continue;
		}
		emit_irq(p, true, (uint16_t)v, 0);
	}
}

/* Host-side output the guest made (frames sent, console text): drained so QEMU never blocks on it. */
static void drain_host(struct qport *p)
{
	char chunk[65536];

	if (p->net_fd >= 0)
		while (recv(p->net_fd, chunk, sizeof(chunk), MSG_DONTWAIT) > 0)
			;
	for (unsigned i = 0; i < p->con_ports; i++)
		while (p->con_out_fd[i] >= 0 && read(p->con_out_fd[i], chunk, sizeof(chunk)) > 0)
			;
}

/* ---- BARs ---- */

static void bars_refresh(struct qport *p)
{
	uint16_t cmd = (uint16_t)qemu_pci_read(p->q, QP_DEVFN, 0x04, 2);

	for (unsigned b = 0; b < 6; b++) {
		uint32_t lo = qemu_pci_read(p->q, QP_DEVFN, 0x10 + 4 * b, 4);
		uint64_t base;

		p->bar_on[b] = false;
		p->bar_base[b] = 0;
		p->bar_io[b] = lo & 1;
		if (lo & 1) {
			p->bar_base[b] = lo & 0xfffcu;
			p->bar_on[b] = p->bar_base[b] != 0 && (cmd & 1);
			continue;
		}
		base = lo & ~0xfull;
		if (((lo >> 1) & 3) == 2 && b < 5) {
			base |= (uint64_t)qemu_pci_read(p->q, QP_DEVFN, 0x14 + 4 * b, 4) << 32;
			p->bar_base[b] = base;
			p->bar_on[b] = base != 0 && (cmd & 2);
			b++;
			continue;
		}
		p->bar_base[b] = base;
		p->bar_on[b] = base != 0 && (cmd & 2);
	}
	p->bars_known = true;
}

static bool bar_addr(struct qport *p, unsigned bar, uint64_t off, uint64_t *addr)
{
	if (bar >= 6)
		return false;
	if (!p->bars_known)
		bars_refresh(p);
	/* decoding off: the address the BAR had, where QEMU answers as for unassigned space */
	if (!p->bar_on[bar] && p->bar_base[bar] == 0)
		return false;
	*addr = p->bar_base[bar] + off;
	return true;
}

/* Which MSI-X table word (vector*3 + 0 addr lo, 1 addr hi, 2 data) an access hits, or -1. */
static int msix_word(const struct qport *p, unsigned bar, uint64_t off)
{
	uint64_t rel;

	if (p->msix_size == 0 || bar != p->msix_bar || off < p->msix_table)
		return -1;
	rel = off - p->msix_table;
	if (rel >= 16ull * (p->msix_size < QP_VECTORS ? p->msix_size : QP_VECTORS) || (rel & 3) || (rel & 15) == 12)
		return -1;
	return (int)((rel / 16) * 3 + (rel & 15) / 4);
}

/* What QEMU gets for a table word the guest wrote: the mailbox, and a data token never 0. */
static uint32_t msix_real(const struct qport *p, int w)
{
	unsigned v = (unsigned)w / 3;
	uint64_t a = p->mailbox + 4ull * v;

	switch (w % 3) {
	case 0: return (uint32_t)a;
	case 1: return (uint32_t)(a >> 32);
	default: return QP_TOKEN + v;
	}
}

/* ---- the port ---- */

static uint64_t qp_cfg_read(void *o, uint32_t off, unsigned size)
{
	struct qport *p = o;

	if (off >= 256 || size > 4)
		return ~0ull >> (64 - 8 * (size > 8 ? 8 : size ? size : 1));
	return qemu_pci_read(p->q, QP_DEVFN, off, size);
}

static void qp_cfg_write(void *o, uint32_t off, unsigned size, uint64_t v)
{
	struct qport *p = o;

	if (off >= 256 || size > 4)
		return;
	qemu_pci_write(p->q, QP_DEVFN, off, size, (uint32_t)v);
	if (off < 0x28 && off + size > 0x04)
		p->bars_known = false;
	check_mailbox(p);
}

/*
 * MSI-X table words the guest wrote are the shadow's; QEMU holds the
 * mailbox in their place. QEMU splits an access into aligned pieces, and a
 * table dword lying wholly inside an access is always one whole piece (or
 * half of an 8-byte one), so each such dword is translated on its own: the
 * guest's value in the shadow, the mailbox's to QEMU, and back on reads when
 * QEMU answered the mailbox's value (an access QEMU refused reads 0).
 */
static uint64_t qp_bar_read(void *o, unsigned bar, uint64_t off, unsigned size)
{
	struct qport *p = o;
	uint64_t a, v, mask = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;

	if (!bar_addr(p, bar, off, &a))
		return mask;
	if (p->bar_io[bar])
		return qemu_in(p->q, size, (uint16_t)a) & mask;
	v = qemu_read(p->q, size, a) & mask;
	for (uint64_t d = (off + 3) & ~3ull; d + 4 <= off + size; d += 4) {
		int w = msix_word(p, bar, d);
		unsigned sh = (unsigned)(8 * (d - off));

		if (w >= 0 && (uint32_t)(v >> sh) == msix_real(p, w))
			v = (v & ~(0xffffffffull << sh)) | (uint64_t)p->shadow[w / 3][w % 3] << sh;
	}
	return v;
}

static void qp_bar_write(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	struct qport *p = o;
	uint64_t a;

	if (!bar_addr(p, bar, off, &a))
		return;
	for (uint64_t d = (off + 3) & ~3ull; d + 4 <= off + size; d += 4) {
		int w = msix_word(p, bar, d);
		unsigned sh = (unsigned)(8 * (d - off));

		if (w < 0)
			continue;
		p->shadow[w / 3][w % 3] = (uint32_t)(v >> sh);
		v = (v & ~(0xffffffffull << sh)) | (uint64_t)msix_real(p, w) << sh;
	}
	if (p->bar_io[bar])
		qemu_out(p->q, size, (uint16_t)a, (uint32_t)v);
	else
		qemu_write(p->q, size, a, v);
	/* Completions come from QEMU's main loop: give them a moment to land after this access. */
	if ((bar == p->notify_bar && off >= p->notify_off && off - p->notify_off < p->notify_len) ||
	    (p->bar_io[bar] && off == VIRTIO_PCI_LEGACY_QUEUE_NOTIFY))
		qport_settle(p, QP_NOTIFY_SETTLE_MS);
	else
		check_mailbox(p);
}

static int qp_mem_write(void *o, uint64_t addr, const void *buf, uint32_t len)
{
	struct qport *p = o;

	return qemu_memwrite(p->q, addr, buf, len);
}

static int qp_mem_read(void *o, uint64_t addr, void *buf, uint32_t len)
{
	struct qport *p = o;

	return qemu_memread(p->q, addr, buf, len);
}

static int qp_wait(void *o, uint64_t addr, uint16_t from, uint16_t n)
{
	struct qport *p = o;

	for (unsigned t = 0; t <= p->wait_ms && !qemu_failed(p->q); t++) {
		uint8_t b[2];

		drain_host(p);
		if (qemu_memread(p->q, addr, b, 2) < 0)
			return -1;
		if ((uint16_t)(le16_load(b) - from) >= n) {
			check_mailbox(p);
			return 0;
		}
		check_mailbox(p);
		qemu_poll(p->q, 1);
	}
	return -1;
}

void qport_guest_port(struct qport *p, struct guest_port *gp)
{
	gp->opaque = p;
	gp->cfg_read = qp_cfg_read;
	gp->cfg_write = qp_cfg_write;
	gp->bar_read = qp_bar_read;
	gp->bar_write = qp_bar_write;
	gp->mem_write = qp_mem_write;
	gp->mem_read = qp_mem_read;
	gp->wait = qp_wait;
}

void qport_settle(struct qport *p, unsigned ms)
{
	for (unsigned t = 0; t < ms && !qemu_failed(p->q); t++) {
		drain_host(p);
		check_mailbox(p);
		qemu_poll(p->q, 1);
	}
	check_mailbox(p);
}

bool qport_wait_irq(struct qport *p, unsigned ms)
{
	p->irq_seen = false;
	for (unsigned t = 0; t <= ms && !qemu_failed(p->q); t++) {
		drain_host(p);
		check_mailbox(p);
		if (p->irq_seen)
			return true;
		qemu_poll(p->q, 1);
	}
	return p->irq_seen;
}

/* ---- inputs ---- */

static int write_all(int fd, const uint8_t *d, uint32_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, d, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		d += w;
		len -= (uint32_t)w;
	}
	return 0;
}

int qport_input(struct qport *p, const struct vdev_input *in, char **cause)
{
	int rc = 0;

	switch (in->type) {
	case VDEV_IN_DISK:
		if (p->disk_fd < 0)
			return cause_set(cause, "qemu: a disk input for a device without a disk");
		if (pwrite(p->disk_fd, in->data, in->len, (off_t)in->addr) != (ssize_t)in->len)
			return cause_set(cause, "qemu: disk image write: %s", strerror(errno));
		break;
	case VDEV_IN_ENTROPY:
		if (p->rng_fd < 0)
			return cause_set(cause, "qemu: entropy for a device without an rng");
		rc = write_all(p->rng_fd, in->data, in->len);
		break;
	case VDEV_IN_CONSOLE:
		if (in->addr >= p->con_ports || p->con_in_fd[in->addr] < 0)
			return cause_set(cause, "qemu: console input for port %" PRIu64 " (QEMU has %u)", in->addr,
			    p->con_ports);
		rc = write_all(p->con_in_fd[in->addr], in->data, in->len);
		break;
	case VDEV_IN_FRAME:
		if (p->tap != NULL) {
			if (qtap_send(p->tap, in->addr > QTAP_MAX_QUEUES ? QTAP_MAX_QUEUES : (unsigned)in->addr, in->data,
			    in->len, cause) < 0)
				return cause_prefix(cause, "qemu");
			break;
		}
		if (p->net_fd < 0 || in->addr != 0)
			return cause_set(cause, "qemu: a frame for queue pair %" PRIu64 " (QEMU has one)", in->addr);
		rc = send(p->net_fd, in->data, in->len, 0) == (ssize_t)in->len ? 0 : -1;
		break;
	default:
		return cause_set(cause, "qemu: host event inputs cannot be given to QEMU through qtest");
	}
	if (rc < 0)
		return cause_set(cause, "qemu: input of %u bytes: %s", in->len, strerror(errno));
	check_mailbox(p);
	return 0;
}

/* ---- set-up ---- */

/*
 * Firmware that only halts (cli; hlt; jmp back to hlt at the reset vector):
 * the VM runs, so devices that check vm_running work, and nothing but the
 * guest model touches PCI or RAM.
 */
static int make_firmware(struct qport *p, char **cause)
{
	static const uint8_t reset[] = { 0xfa, 0xf4, 0xeb, 0xfd };
	uint8_t *img = xcalloc(1, QP_BIOS_SIZE);
	char *path = qp_make_path(p, "halt.bin");
	int fd, rc = 0;

	memcpy(img + QP_BIOS_SIZE - QP_RESET_TAIL, reset, sizeof(reset));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, img, QP_BIOS_SIZE) != (ssize_t)QP_BIOS_SIZE)
		rc = cause_set(cause, "qemu: cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(img);
	p->bios = path;
	p->qo.bios = path;
	return rc;
}

/* QEMU's -m: the declared RAM's top, rounded up to a MiB (*top: that top). */
static uint64_t ram_end(const struct trace_header *h, uint64_t *top)
{
	*top = 0;
	for (unsigned i = 0; i < h->nram && i < TRACE_MAX_RAM; i++)
		if (h->ram[i].base + h->ram[i].size > *top)
			*top = h->ram[i].base + h->ram[i].size;
	return (*top + (1u << 20) - 1) & ~((1ull << 20) - 1);
}

struct qport *qport_new(const struct qport_opts *o, char **cause)
{
	struct qport *p = xcalloc(1, sizeof(*p));
	const struct trace_header *h = o->h;
	uint64_t top = 0;
	const char *tmp = getenv("TMPDIR");

	p->disk_fd = p->rng_fd = p->net_fd = p->net_peer_fd = -1;
	for (unsigned i = 0; i < QP_CON_PORTS; i++)
		p->con_in_fd[i] = p->con_out_fd[i] = -1;
	for (unsigned i = 0; i < sizeof p->qo.keep_fds / sizeof p->qo.keep_fds[0]; i++)
		p->qo.keep_fds[i] = -1;
	for (unsigned i = 0; i < QTAP_MAX_QUEUES; i++)
		p->tap_fd[i] = -1;
	buf_init(&p->args);
	p->bus = o->bus;
	p->device = h->device;
	p->wait_ms = o->wait_ms ? o->wait_ms : QP_WAIT_MS;
	snprintf(p->dir, sizeof(p->dir), "%s/vr-qemu.XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(p->dir) == NULL) {
		cause_set(cause, "qemu: cannot make a temporary directory: %s", strerror(errno));
		p->dir[0] = '\0';
		goto fail;
	}
	p->mailbox = QP_MAILBOX;
	p->qo.ram_mb = ram_end(h, &top) >> 20;	/* qport_machine_map says the same */
	if (p->qo.ram_mb << 20 > 0xb0000000ull) {
		cause_set(cause, "qemu: guest RAM up to 0x%" PRIx64 " does not fit below the PCI hole of machine pc", top);
		goto fail;
	}
	if (p->qo.ram_mb < 1)
		p->qo.ram_mb = 1;	/* the mailbox is RAM */
	p->qo.binary = o->qemu;
	p->qo.machine = "pc";
	p->qo.timeout_ms = o->timeout_ms;
	p->qo.irq = intx_line;
	p->qo.irq_opaque = p;
	if (make_firmware(p, cause) < 0 || qp_build_device(p, o, cause) < 0)
		goto fail;
	if ((p->q = qemu_start(&p->qo, cause)) == NULL)
		goto fail;
	if (p->net_peer_fd >= 0) {
		close(p->net_peer_fd);
		p->net_peer_fd = -1;
	}
	/* QEMU holds the tap's queues now: the tap goes when QEMU does */
	for (unsigned i = 0; i < QTAP_MAX_QUEUES; i++)
		if (p->tap_fd[i] >= 0) {
			close(p->tap_fd[i]);
			p->tap_fd[i] = -1;
		}
	/* Firmware's part: PIIX3 PIRQ routing (reset leaves it disabled), INTx reported to us. */
	for (unsigned i = 0; i < 4; i++)
		qemu_pci_write(p->q, 1u << 3, 0x60 + i, 1, QP_PIRQ_LINE);
	qemu_cmd(p->q, NULL, "irq_intercept_in ioapic");
	if (qemu_failed(p->q)) {
		cause_set(cause, "qemu failed to start: %s", qemu_error(p->q));
		goto fail;
	}
	return p;
fail:
	qport_free(p);
	return NULL;
}

void qport_free(struct qport *p)
{
	if (p == NULL)
		return;
	int *fds[] = { &p->disk_fd, &p->rng_fd, &p->net_fd, &p->net_peer_fd };

	qemu_stop(p->q);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	for (unsigned i = 0; i < QTAP_MAX_QUEUES; i++)
		if (p->tap_fd[i] >= 0)
			close(p->tap_fd[i]);
	qtap_free(p->tap);
	for (unsigned i = 0; i < QP_CON_PORTS; i++) {
		if (p->con_in_fd[i] >= 0)
			close(p->con_in_fd[i]);
		if (p->con_out_fd[i] >= 0)
			close(p->con_out_fd[i]);
	}
	for (unsigned i = 0; i < p->npaths; i++) {
		unlink(p->paths[i]);
		free(p->paths[i]);
	}
	if (p->dir[0] != '\0')
		rmdir(p->dir);
	for (unsigned i = 0; i < p->nargs; i++)
		free(p->argmem[i]);
	buf_release(&p->args);
	free(p->bios);
	free(p);
}

bool qport_mark(struct qport *p, struct trace_event *ev, char *text, size_t cap)
{
	char *line = qemu_stderr_take(p->q);
	size_t n;

	if (line == NULL || cap < 8) {
		free(line);
		return false;
	}
	n = (size_t)snprintf(text, cap, "qemu: ");
	for (const char *c = line; *c != '\0' && n + 1 < cap; c++)
		text[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
	text[n] = '\0';
	free(line);
	memset(ev, 0, sizeof(*ev));
	ev->kind = TRACE_MARK;
	ev->data = (const uint8_t *)text;
	ev->len = (uint32_t)n;
	return true;
}

bool qport_failed(const struct qport *p) { return qemu_failed(p->q); }
const char *qport_error(const struct qport *p) { return qemu_error(p->q); }

const char *qport_device_args(const struct qport *p)
{
	return p->args.len ? (const char *)p->args.data : "";
}

/* ---- probe ---- */

/* RAM [a, b) as "ram" facts, less what h states already. */
static void add_ram(struct trace_header *h, uint64_t a, uint64_t b)
{
	while (a < b && h->nram < TRACE_MAX_RAM) {
		uint64_t next = b;
		bool stated = false;

		for (unsigned i = 0; i < h->nram && !stated; i++) {
			uint64_t base = h->ram[i].base, end = base + h->ram[i].size;

			if (a >= base && a < end) {
				a = end;
				stated = true;
			} else if (base > a && base < next) {
				next = base;
			}
		}
		if (stated)
			continue;
		h->ram[h->nram].base = a;
		h->ram[h->nram++].size = next - a;
		a = next;
	}
}

/* One more range of a header's list (unassigned, rom) of at most max; an empty one is left out. */
static void add_range(struct trace_ram *r, uint16_t *n, unsigned max, uint64_t base, uint64_t size)
{
	if (size > 0 && *n < max) {
		r[*n].base = base;
		r[(*n)++].size = size;
	}
}

static void add_unassigned(struct trace_header *h, uint64_t base, uint64_t size)
{
	add_range(h->unassigned, &h->nunassigned, TRACE_MAX_UNASSIGNED, base, size);
}

static void add_rom(struct trace_header *h, uint64_t base, uint64_t size)
{
	add_range(h->rom, &h->nrom, TRACE_MAX_ROM, base, size);
}

void qport_machine_map(struct trace_header *h)
{
	uint64_t top, end = ram_end(h, &top);

	if (end < 1u << 20)
		end = 1u << 20;
	add_ram(h, 0, QP_PC_ROM);
	add_ram(h, QP_PC_ROM + QP_PC_ROM_SIZE, QP_PC_BIOS);
	add_ram(h, 1u << 20, end);
	h->nunassigned = h->nrom = 0;
	/* the PCI hole and everything from 4 GiB up first: sweep-mmio puts rings there */
	if (end < QP_PC_IOAPIC)
		add_unassigned(h, end, QP_PC_IOAPIC - end);
	add_unassigned(h, 1ull << 32, 0 - (1ull << 32));	/* up to 2^64 */
	/* between the IOAPIC, the HPET, the LAPIC's MSI window and the firmware's top copy */
	add_unassigned(h, QP_PC_IOAPIC + 0x1000, QP_PC_HPET - QP_PC_IOAPIC - 0x1000);
	add_unassigned(h, QP_PC_HPET + 0x400, QP_MSI_WINDOW - QP_PC_HPET - 0x400);
	add_unassigned(h, QP_MSI_WINDOW + 0x100000, 0x100000000ull - QP_BIOS_SIZE - QP_MSI_WINDOW - 0x100000);
	/*
	 * The ROMs read zeros (but the firmware's reset vector, left unstated)
	 * and drop writes; unlike unassigned space a ring may not run out of one.
	 */
	add_rom(h, QP_PC_ROM, QP_PC_ROM_SIZE);
	add_rom(h, QP_PC_BIOS, QP_BIOS_SIZE - QP_RESET_TAIL);
	add_rom(h, 0x100000000ull - QP_BIOS_SIZE, QP_BIOS_SIZE - QP_RESET_TAIL);
}

/* Offer, queue count and each queue's maximum size through the common config (modern and transitional functions). */
static void probe_modern(struct qport *p, struct guest *g, struct trace_header *h)
{
	guest_common_write(g, 0x00, 4, 0);
	h->features = guest_common_read(g, 0x04, 4);
	guest_common_write(g, 0x00, 4, 1);
	h->features |= guest_common_read(g, 0x04, 4) << 32;
	guest_common_write(g, 0x00, 4, 0);	/* QEMU keeps the select over a reset: leave it as power-on did */
	h->nqueues = (uint16_t)guest_common_read(g, 0x12, 2);
	/*
	 * QEMU 7.2's virtio-net makes pairs 1.. only when a driver's features
	 * hold MQ (virtio_net_set_multiqueue; a reset leaves them): the probe
	 * writes MQ as the driver's features once, so the header and the device
	 * the recording drives both have every pair, ctrl last.
	 */
	if (h->device == VIRTIO_ID_NET && (h->features & (1ull << VIRTIO_NET_F_MQ)) && p->tap != NULL) {
		guest_common_write(g, 0x08, 4, 0);
		guest_common_write(g, 0x0c, 4, 1u << VIRTIO_NET_F_MQ);
		h->nqueues = (uint16_t)guest_common_read(g, 0x12, 2);
	}
	if (h->nqueues > TRACE_MAX_QUEUES)
		return;
	/* queue_size before the driver writes it */
	for (unsigned i = 0; i < h->nqueues; i++) {
		guest_common_write(g, 0x16, 2, i);
		h->queue_max[i] = (uint16_t)guest_common_read(g, 0x18, 2);
	}
	guest_common_write(g, 0x16, 2, 0);
}

/*
 * A legacy-only function (disable-modern=on) shows its offer only in the
 * 32-bit host_features register, with QEMU's legacy-only bits in it: the
 * offer a trace states is that less those bits (the model adds them back for
 * a legacy driver); the high half (VERSION_1 and up) no legacy driver sees.
 * The queues: those whose QUEUE_NUM (the maximum size) reads non-zero, up to
 * the first that reads 0.
 */
static void probe_legacy(struct guest *g, struct trace_header *h)
{
	const struct vdev_ops *ops = vdev_find_id(h->device);
	uint32_t legacy_only = ops != NULL ? vdev_legacy_only_features(ops, TRACE_LAYOUT_QEMU, false) : 0;
	uint16_t num;

	h->features = guest_legacy_read(g, VIRTIO_PCI_LEGACY_HOST_FEATURES, 4) & ~(uint64_t)legacy_only;
	h->nqueues = 0;
	while (h->nqueues <= TRACE_MAX_QUEUES) {
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, h->nqueues);
		if ((num = (uint16_t)guest_legacy_read(g, VIRTIO_PCI_LEGACY_QUEUE_NUM, 2)) == 0)
			break;
		if (h->nqueues < TRACE_MAX_QUEUES)
			h->queue_max[h->nqueues] = num;
		h->nqueues++;
	}
	guest_legacy_write(g, VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, 0);
}

int qport_probe(struct qport *p, struct trace_header *h, char **cause)
{
	struct guest_port gp;
	struct guest_config gc;
	struct vpci_ram ram[TRACE_MAX_RAM];
	const struct guest_caps *c;
	struct guest *g;
	int rc = -1;

	qport_guest_port(p, &gp);
	memset(&gc, 0, sizeof(gc));
	for (unsigned i = 0; i < h->nram && i < TRACE_MAX_RAM; i++) {
		ram[i].base = h->ram[i].base;
		ram[i].size = h->ram[i].size;
	}
	gc.ram = ram;
	gc.nram = h->nram;
	gc.bar_base = QP_BAR_BASE;
	gc.legacy = h->transport == TRACE_TRANSPORT_LEGACY;
	g = guest_new(&gp, &gc);
	if (guest_pci_setup(g, cause) < 0 || guest_find_caps(g, cause) < 0)
		goto out;
	c = guest_caps(g);
	p->msix_cap = c->msix_cap;
	p->msix_bar = c->msix_bar;
	p->msix_table = c->msix_table;
	p->msix_size = c->msix_cap ? c->msix_size : 0;
	p->notify_bar = c->notify.bar;
	p->notify_off = c->notify.off;
	p->notify_len = c->notify.len;
	if (h->transport == TRACE_TRANSPORT_LEGACY)
		probe_legacy(g, h);
	else
		probe_modern(p, g, h);
	if (h->nqueues > TRACE_MAX_QUEUES) {
		cause_set(cause, "qemu: the device has %u queues, traces hold %u", h->nqueues, TRACE_MAX_QUEUES);
		goto out;
	}
	/* QEMU's DEVICE region is a page; the config itself is as long as the device model's. */
	{
		const struct vdev_ops *ops = vdev_find_id(h->device);
		uint32_t n = ops != NULL ? ops->devcfg_size : 0;

		if (n > c->device.len && !gc.legacy)
			n = c->device.len;
		h->devcfg_len = (uint16_t)(n < TRACE_MAX_DEVCFG ? n : TRACE_MAX_DEVCFG);
	}
	for (unsigned i = 0; i < h->devcfg_len; i++)
		h->devcfg[i] = (uint8_t)guest_devcfg_read(g, i, 1);
	/* The function's identity as QEMU states it: revision, class code, subsystem, MSI-X table size. */
	{
		uint32_t rc_class = qemu_pci_read(p->q, QP_DEVFN, 0x08, 4);

		h->pci_revision = (uint8_t)rc_class;
		h->pci_class = rc_class >> 8;
		h->subsys_vendor = (uint16_t)qemu_pci_read(p->q, QP_DEVFN, 0x2c, 2);
		h->subsys_id = (uint16_t)qemu_pci_read(p->q, QP_DEVFN, 0x2e, 2);
		h->msix_vectors = p->msix_size;
		h->has |= TRACE_HAS_CLASS | TRACE_HAS_REVISION | TRACE_HAS_SUBSYS | TRACE_HAS_MSIX;
	}
	/* Leave it as reset left it: no status, no decoding, no BAR addresses. */
	if (gc.legacy)
		guest_legacy_write(g, VIRTIO_PCI_LEGACY_STATUS, 1, 0);
	else
		guest_common_write(g, 0x14, 1, 0);
	qemu_pci_write(p->q, QP_DEVFN, 0x04, 2, 0);
	for (unsigned b = 0; b < 6; b++)
		qemu_pci_write(p->q, QP_DEVFN, 0x10 + 4 * b, 4, 0);
	p->bars_known = false;
	if (qemu_failed(p->q)) {
		cause_set(cause, "qemu failed: %s", qemu_error(p->q));
		goto out;
	}
	rc = 0;
out:
	guest_free(g);
	return rc;
}
