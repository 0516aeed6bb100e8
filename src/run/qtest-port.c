/* qtest-port.c -- the guest_port onto a real QEMU device: process set-up, host inputs, MSI-X mailbox, INTx */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/qemu-proc.h"
#include "vr/qtest-port.h"
#include "vr/qtest-tap.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"

#define QP_DEVFN	(4u << 3)	/* 00:04.0 */
#define QP_PIRQ_LINE	11u		/* where PIIX3 routes INTA..INTD */
#define QP_PC_IOAPIC	0xfec00000ull	/* the pc machine's PCI hole ends here (IOAPIC, HPET, LAPIC, BIOS follow) */
#define QP_VECTORS	64u		/* mailbox dwords (MSI-X vectors watched) */
#define QP_TOKEN	0x51e0u		/* mailbox data: token + vector, never 0 */
#define QP_MSI_WINDOW	0xfee00000ull	/* x86: messages here are interrupts (the APIC) */
#define QP_MSI_WINDOW_MASK 0xfffffull
#define QP_WAIT_MS	2000u
#define QP_NOTIFY_SETTLE_MS	3u
#define QP_BAR_BASE	0xfe000000ull	/* where the probe assigns BARs (the model guest's default) */
#define QP_CON_PORTS	31u		/* virtio-serial ports: QEMU's max_ports default (2 fifos each) */
#define QP_SERIAL_VECTORS	2u	/* virtio-serial-pci's default MSI-X table */

struct qport {
	struct qemu *q;
	struct qemu_opts qo;
	struct evbus *bus;
	uint8_t device;
	unsigned wait_ms;
	char dir[64];			/* temporary directory for host-side files */
	char *paths[8 + 2 * QP_CON_PORTS];	/* files made there (removed at the end) */
	char *bios;
	unsigned npaths;
	int disk_fd, rng_fd, net_fd, net_peer_fd;
	struct qtap *tap;		/* net with several queue pairs: frames go in here */
	int tap_fd[QTAP_MAX_QUEUES];	/* its queues, QEMU's once it started */
	int con_in_fd[QP_CON_PORTS], con_out_fd[QP_CON_PORTS];	/* per virtio-serial port */
	unsigned con_ports;
	struct buf args;		/* -device ... text without host paths */
	char *argmem[QEMU_MAX_ARGS];
	unsigned nargs;
	/* BAR addresses as QEMU's config space says; recomputed after config writes. */
	bool bars_known;
	uint64_t bar_base[6];
	bool bar_on[6];
	bool bar_io[6];			/* an I/O BAR (the legacy block of a transitional device): in/out */
	/* MSI-X: where the table is, and what the guest wrote into address/data words. */
	uint8_t msix_cap, msix_bar;
	uint32_t msix_table;
	uint16_t msix_size;
	uint8_t notify_bar;		/* the notify region: a write there is followed by a short settle */
	uint64_t notify_off, notify_len;
	uint64_t mailbox;
	uint32_t shadow[QP_VECTORS][3];	/* addr lo, addr hi, data */
	bool intx_level;
	bool irq_seen;
};

/* ---- command line ---- */

static void add_arg(struct qport *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_arg(struct qport *p, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (p->nargs + 1 >= QEMU_MAX_ARGS)
		return;
	va_start(ap, fmt);
	cause_vset(&s, fmt, ap);
	va_end(ap);
	p->argmem[p->nargs] = s;
	p->qo.args[p->nargs++] = s;
	p->qo.args[p->nargs] = NULL;
}

/* The -device argument, also kept (without host paths) for the trace. */
static void add_device(struct qport *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_device(struct qport *p, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	cause_vset(&s, fmt, ap);
	va_end(ap);
	add_arg(p, "-device");
	add_arg(p, "%s", s);
	buf_printf(&p->args, "%s-device %s", p->args.len ? " " : "", s);
	free(s);
}

static char *make_path(struct qport *p, const char *name)
{
	char *s = NULL;

	xasprintf(&s, "%s/%s", p->dir, name);
	if (p->npaths < sizeof(p->paths) / sizeof(p->paths[0]))
		p->paths[p->npaths++] = xstrdup(s);
	return s;
}

/* Ring features the header does not offer are switched off in QEMU too (no-event-idx scenarios). */
static void ring_props(struct buf *b, const struct trace_header *h)
{
	/* ioeventfd=off: a notify is handled inside the MMIO write, not later in the main loop. */
	/* transitional: QEMU's default layout, the legacy block in I/O BAR0 */
	buf_printf(b, ",disable-legacy=%s,addr=04.0,ioeventfd=off", h->transport == TRACE_TRANSPORT_MODERN ? "on" : "off");
	if (!(h->features & (1ull << VIRTIO_F_EVENT_IDX)))
		buf_printf(b, ",event_idx=off");
	if (!(h->features & (1ull << VIRTIO_F_INDIRECT_DESC)))
		buf_printf(b, ",indirect_desc=off");
}

static int make_disk(struct qport *p, const struct qport_opts *o, char **cause)
{
	const struct trace_header *h = o->h;
	uint64_t size = h->nbackends > 0 && h->backend[0].size > 0 ? h->backend[0].size : 1u << 20;
	char *path = make_path(p, "disk.img");

	p->disk_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->disk_fd < 0 || ftruncate(p->disk_fd, (off_t)size) < 0) {
		free(path);
		return cause_set(cause, "qemu: cannot make the disk image: %s", strerror(errno));
	}
	if (o->disk_image != NULL) {
		int in = open(o->disk_image, O_RDONLY | O_CLOEXEC);
		char chunk[65536];
		ssize_t n;
		off_t at = 0;

		if (in < 0) {
			free(path);
			return cause_set(cause, "%s: %s", o->disk_image, strerror(errno));
		}
		while (at < (off_t)size && (n = read(in, chunk, sizeof(chunk))) > 0) {
			if (pwrite(p->disk_fd, chunk, (size_t)n, at) != n)
				break;
			at += n;
		}
		close(in);
	}
	/* The header's discard mode: each node passes discards down only with discard=unmap of its own. */
	add_arg(p, "-blockdev");
	add_arg(p, "driver=file,node-name=f0,filename=%s,locking=off,discard=%s", path, trace_discard_name(h->discard));
	add_arg(p, "-blockdev");
	add_arg(p, "driver=raw,node-name=d0,file=f0,discard=%s", trace_discard_name(h->discard));
	free(path);
	return 0;
}

static int make_fifo(struct qport *p, const char *name, int flags, int *fd, char **out_path, char **cause)
{
	char *path = make_path(p, name);

	if (mkfifo(path, 0600) < 0 || (*fd = open(path, flags | O_CLOEXEC | O_NONBLOCK)) < 0) {
		cause_set(cause, "qemu: cannot make %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (out_path != NULL)
		*out_path = path;
	else
		free(path);
	return 0;
}

bool qport_supports(uint8_t device)
{
	switch (device) {
	case VIRTIO_ID_BLOCK: case VIRTIO_ID_SCSI: case VIRTIO_ID_RNG: case VIRTIO_ID_CONSOLE: case VIRTIO_ID_NET:
		return true;
	default:
		return false;
	}
}

/*
 * virtio-serial-pci with max_ports N, as the header says it, the qemu
 * profile's way: max_nr_ports of its device config, else from its queue
 * count (2 + 2N; 4 queues, or 2, are the one-port device), else QEMU's
 * default (31). Every port exists: port 0 a virtconsole, the others
 * virtserialports, each on a pipe chardev of its own. QEMU offers MULTIPORT
 * exactly when N > 1, so a header whose features say otherwise has no QEMU
 * device. The MSI-X table is the header's, QEMU's default (2) left unsaid.
 */
static int build_serial(struct qport *p, const struct trace_header *h, struct buf *b, char **cause)
{
	uint32_t n = QP_CON_PORTS;

	if (h->devcfg_len >= 8)
		n = le32_load(h->devcfg + 4);
	else if (h->nqueues > 0)
		n = h->nqueues >= 4 ? (h->nqueues - 2u) / 2u : 1;
	if (n < 1 || n > QP_CON_PORTS)
		return cause_set(cause, "qemu: virtio-serial with %u ports (max_nr_ports or queues): the qtest bridge "
		    "makes 1..%u", n, QP_CON_PORTS);
	if (h->features != 0 && ((h->features >> VIRTIO_CONSOLE_F_MULTIPORT) & 1) != (n > 1))
		return cause_set(cause, "qemu: virtio-serial with %u ports %s MULTIPORT, the header's features %s", n,
		    n > 1 ? "offers" : "does not offer", n > 1 ? "do not" : "do");
	for (unsigned i = 0; i < n; i++) {
		char name[32], *path = NULL;

		/* Port 0 keeps the one-port device's names (console.in, con0): "%.0u" prints 0 as nothing. */
		p->con_ports = i + 1;
		snprintf(name, sizeof name, "console%.0u.in", i);
		if (make_fifo(p, name, O_RDWR, &p->con_in_fd[i], NULL, cause) < 0)
			return -1;
		snprintf(name, sizeof name, "console%.0u.out", i);
		if (make_fifo(p, name, O_RDWR, &p->con_out_fd[i], NULL, cause) < 0)
			return -1;
		xasprintf(&path, "%s/console%.0u", p->dir, i);
		add_arg(p, "-chardev");
		add_arg(p, "pipe,id=con%u,path=%s", i, path);
		free(path);
	}
	buf_printf(b, "virtio-serial-pci");
	if (n != QP_CON_PORTS)
		buf_printf(b, ",max_ports=%u", n);
	if ((h->has & TRACE_HAS_MSIX) && h->msix_vectors != QP_SERIAL_VECTORS)
		buf_printf(b, ",vectors=%u", h->msix_vectors);
	return 0;
}

/* virtio_blk_config offsets of the DISCARD / WRITE_ZEROES limits QEMU takes as properties. */
#define BLK_CFG_MAX_DISCARD	36
#define BLK_CFG_DISCARD_ALIGN	44
#define BLK_CFG_MAX_WZ		48
#define BLK_REQ_MAX_SECTORS	0x3fffffu

/* The header's limits where they are not QEMU's defaults (QEMU refuses 0 and more than 0x3fffff). */
static void blk_limits(struct buf *b, const struct trace_header *h)
{
	uint32_t md, align, mwz;

	if (h->devcfg_len < BLK_CFG_MAX_WZ + 4)
		return;
	md = le32_load(h->devcfg + BLK_CFG_MAX_DISCARD);
	align = le32_load(h->devcfg + BLK_CFG_DISCARD_ALIGN);
	mwz = le32_load(h->devcfg + BLK_CFG_MAX_WZ);
	if (md != BLK_REQ_MAX_SECTORS && md != 0 && md < BLK_REQ_MAX_SECTORS)
		buf_printf(b, ",max-discard-sectors=%u", md);
	if (mwz != BLK_REQ_MAX_SECTORS && mwz != 0 && mwz < BLK_REQ_MAX_SECTORS)
		buf_printf(b, ",max-write-zeroes-sectors=%u", mwz);
	if (align > 1 && align <= 0x800000)
		buf_printf(b, ",discard_granularity=%u", align * 512);
}

/*
 * virtio-net-pci. One queue pair: a datagram socket pair (-netdev socket).
 * More: QEMU makes as many pairs as its backend has queues, and the one
 * multiqueue backend that keeps the datapath inside QEMU is a tap
 * (vhost-user would move it out): qtap's, in a namespace of its own, its
 * queue descriptors passed as fds= (vhost=off). Neither has a vnet header,
 * so QEMU offers the same features on both.
 */
static int build_net(struct qport *p, const struct trace_header *h, struct buf *b, char **cause)
{
	unsigned pairs = h->nqueues > 3 ? h->nqueues / 2u : 1;

	if (pairs > 1) {
		struct buf fds;

		if (!(h->features & (1ull << VIRTIO_NET_F_MQ)) || h->nqueues != 2 * pairs + 1)
			return cause_set(cause, "qemu: net with %u queues: QEMU makes 2 per pair and a control queue, "
			    "with MQ offered", h->nqueues);
		if (pairs > QTAP_MAX_QUEUES)
			return cause_set(cause, "qemu: net with %u queue pairs, the tap bridge has at most %u",
			    pairs, QTAP_MAX_QUEUES);
		if ((p->tap = qtap_new(pairs, p->tap_fd, cause)) == NULL)
			return cause_prefix(cause, "qemu: net with %u queue pairs", pairs);
		buf_init(&fds);
		for (unsigned i = 0; i < pairs; i++) {
			p->qo.keep_fds[i] = p->tap_fd[i];
			buf_printf(&fds, "%s%d", i ? ":" : "", p->tap_fd[i]);
		}
		add_arg(p, "-netdev");
		add_arg(p, "tap,id=net0,fds=%s,vhost=off", buf_str(&fds));
		buf_release(&fds);
		/* the trace's QEMU line states the pair count, which no -device property holds */
		buf_printf(&p->args, "-netdev tap,queues=%u", pairs);
	} else {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
			return cause_set(cause, "qemu: socketpair: %s", strerror(errno));
		p->net_fd = sv[0];
		p->net_peer_fd = sv[1];
		fcntl(p->net_fd, F_SETFL, fcntl(p->net_fd, F_GETFL) | O_NONBLOCK);
		p->qo.keep_fds[0] = sv[1];
		add_arg(p, "-netdev");
		add_arg(p, "socket,id=net0,fd=%d", sv[1]);
	}
	buf_printf(b, "virtio-net-pci,netdev=net0");
	if (h->features & (1ull << VIRTIO_NET_F_MQ))
		buf_printf(b, ",mq=on");
	if (h->devcfg_len >= 6)
		buf_printf(b, ",mac=%02x:%02x:%02x:%02x:%02x:%02x", h->devcfg[0], h->devcfg[1], h->devcfg[2],
		    h->devcfg[3], h->devcfg[4], h->devcfg[5]);
	return 0;
}

static int build_device(struct qport *p, const struct qport_opts *o, char **cause)
{
	const struct trace_header *h = o->h;
	struct buf b;
	char *path = NULL;
	int rc = 0;

	buf_init(&b);
	switch (h->device) {
	case VIRTIO_ID_BLOCK:
		if (make_disk(p, o, cause) < 0)
			goto fail;
		buf_printf(&b, "virtio-blk-pci,drive=d0");
		/* The header's serial answers GET_ID; QEMU's option syntax doubles a comma. */
		if (h->serial[0] != '\0') {
			buf_printf(&b, ",serial=");
			for (const char *c = h->serial; *c != '\0'; c++)
				buf_printf(&b, *c == ',' ? ",," : "%c", *c);
		}
		buf_printf(&b, ",write-cache=%s", trace_write_cache_name(h->write_cache));
		blk_limits(&b, h);
		/* QEMU's default with one vCPU is one queue; vectors stay its default, queues + 1. */
		if (h->nqueues > 1)
			buf_printf(&b, ",num-queues=%u", h->nqueues);
		break;
	case VIRTIO_ID_SCSI:
		if (make_disk(p, o, cause) < 0)
			goto fail;
		buf_printf(&b, "virtio-scsi-pci,id=scsi0");
		/* control and event queues, then num_queues request queues; vectors: QEMU's num_queues + 3 */
		if (h->nqueues > 3)
			buf_printf(&b, ",num_queues=%u", h->nqueues - 2);
		break;
	case VIRTIO_ID_RNG:
		/* The parent keeps a writer open: QEMU reads what the trace gives, never EOF. */
		if (make_fifo(p, "entropy", O_RDWR, &p->rng_fd, &path, cause) < 0)
			goto fail;
		add_arg(p, "-object");
		add_arg(p, "rng-random,id=rng0,filename=%s", path);
		buf_printf(&b, "virtio-rng-pci,rng=rng0");
		break;
	case VIRTIO_ID_CONSOLE:
		if (build_serial(p, h, &b, cause) < 0)
			goto fail;
		break;
	case VIRTIO_ID_NET:
		if (build_net(p, h, &b, cause) < 0)
			goto fail;
		break;
	default:
		cause_set(cause, "qemu: no QEMU device for virtio device id %u here", h->device);
		goto fail;
	}
	ring_props(&b, h);
	add_device(p, "%s", buf_str(&b));
	if (h->device == VIRTIO_ID_SCSI)
		add_device(p, "scsi-hd,drive=d0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,write-cache=%s",
		    trace_write_cache_name(h->write_cache));
	for (unsigned i = 0; h->device == VIRTIO_ID_CONSOLE && i < p->con_ports; i++)
		add_device(p, "%s,chardev=con%u,nr=%u", i == 0 ? "virtconsole" : "virtserialport", i, i);
	goto out;
fail:
	rc = -1;
out:
	free(path);
	buf_release(&b);
	return rc;
}

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
			if (ga + 4 <= p->mailbox)
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
	uint8_t *img = xcalloc(1, 0x10000);
	char *path = make_path(p, "halt.bin");
	int fd, rc = 0;

	memcpy(img + 0xfff0, reset, sizeof(reset));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, img, 0x10000) != 0x10000)
		rc = cause_set(cause, "qemu: cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(img);
	p->bios = path;
	p->qo.bios = path;
	return rc;
}

/* RAM from 0 to the end of the highest region, plus the mailbox page after it; *top: that end. */
static uint64_t mailbox_at(const struct trace_header *h, uint64_t *top)
{
	*top = 0;
	for (unsigned i = 0; i < h->nram && i < TRACE_MAX_RAM; i++)
		if (h->ram[i].base + h->ram[i].size > *top)
			*top = h->ram[i].base + h->ram[i].size;
	return (*top + 0xfff) & ~0xfffull;
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
	p->mailbox = mailbox_at(h, &top);
	if (p->mailbox + 0x1000 > 0xb0000000ull) {
		cause_set(cause, "qemu: guest RAM up to 0x%" PRIx64 " does not fit below the PCI hole of machine pc", top);
		goto fail;
	}
	p->qo.ram_mb = (p->mailbox + 0x1000 + (1u << 20) - 1) >> 20;	/* qport_machine_map says the same */
	p->qo.binary = o->qemu;
	p->qo.machine = "pc";
	p->qo.timeout_ms = o->timeout_ms;
	p->qo.irq = intx_line;
	p->qo.irq_opaque = p;
	if (make_firmware(p, cause) < 0 || build_device(p, o, cause) < 0)
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

void qport_machine_map(struct trace_header *h)
{
	static const struct trace_ram high = { 0x100000000ull, (1ull << 48) - 0x100000000ull };
	uint64_t top, end = (mailbox_at(h, &top) + 0x1000 + (1u << 20) - 1) & ~((1ull << 20) - 1);

	h->nunassigned = 0;
	if (end < QP_PC_IOAPIC) {
		h->unassigned[h->nunassigned].base = end;
		h->unassigned[h->nunassigned++].size = QP_PC_IOAPIC - end;
	}
	h->unassigned[h->nunassigned++] = high;
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
	if (h->nqueues > TRACE_MAX_QUEUES) {
		cause_set(cause, "qemu: the device has %u queues, traces hold %u", h->nqueues, TRACE_MAX_QUEUES);
		goto out;
	}
	for (unsigned i = 0; i < h->nqueues; i++) {
		guest_common_write(g, 0x16, 2, i);
		h->queue_max[i] = (uint16_t)guest_common_read(g, 0x18, 2);
	}
	guest_common_write(g, 0x16, 2, 0);
	/* QEMU's DEVICE region is a page; the config itself is as long as the device model's. */
	{
		const struct vdev_ops *ops = vdev_find_id(h->device);
		uint32_t n = ops != NULL ? ops->devcfg_size : 0;

		if (n > c->device.len)
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
