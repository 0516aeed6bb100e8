/* qtest-port-cmdline.c -- the QEMU command line for a trace's device: -device, its backend, disks, fifos */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/qemu-cmdline.h"
#include "vr/xmalloc.h"

#include "qtest-port-int.h"

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

char *qp_make_path(struct qport *p, const char *name)
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
	/* transitional: QEMU's default layout, the legacy block in I/O BAR0; legacy: that block alone */
	buf_printf(b, ",disable-legacy=%s%s,addr=04.0,ioeventfd=off", h->transport == TRACE_TRANSPORT_MODERN ? "on" : "off",
	    h->transport == TRACE_TRANSPORT_LEGACY ? ",disable-modern=on" : "");
	if (!(h->features & (1ull << VIRTIO_F_EVENT_IDX)))
		buf_printf(b, ",event_idx=off");
	if (!(h->features & (1ull << VIRTIO_F_INDIRECT_DESC)))
		buf_printf(b, ",indirect_desc=off");
}

static int make_disk(struct qport *p, const struct qport_opts *o, char **cause)
{
	const struct trace_header *h = o->h;
	uint64_t size = h->nbackends > 0 && h->backend[0].size > 0 ? h->backend[0].size : 1u << 20;
	char *path = qp_make_path(p, "disk.img");

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
	char *path = qp_make_path(p, name);

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
	qemu_mac_prop(b, h);
	return 0;
}

int qp_build_device(struct qport *p, const struct qport_opts *o, char **cause)
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

