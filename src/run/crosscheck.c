/* crosscheck.c -- play a trace's guest side on QEMU through the qtest port and write QEMU's answers */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/crosscheck.h"
#include "vr/guest.h"
#include "vr/qtest-port.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

#define XC_WAIT_MS	200u
#define XC_MAX_IRQS	4096u		/* interrupts between two guest events; beyond, QEMU is storming */

struct xc {
	const struct crosscheck_opts *o;
	struct trace_reader *r;
	struct trace_writer *w;
	struct qport *qp;
	struct guest_port port;
	struct evbus bus;
	struct trace_event irqs[XC_MAX_IRQS];
	unsigned nirqs;
	uint64_t qemu_irqs;		/* QEMU's interrupts since the last guest event */
	uint64_t src_irqs;		/* the source's, since its last guest event */
	struct crosscheck_origin here;	/* the guest event being played */
	struct crosscheck_origin *origin;
	uint64_t norigin, capacity;
	struct buf ram;			/* QEMU's RAM under a read-back */
	char *err;
};

static void irq_sink(void *opaque, const struct vr_event *ev)
{
	struct xc *x = opaque;
	struct trace_event *t;

	if (x->nirqs == XC_MAX_IRQS)
		return;
	t = &x->irqs[x->nirqs++];
	memset(t, 0, sizeof(*t));
	t->kind = TRACE_IRQ;
	t->space = ev->u.irq.msix ? TRACE_IRQ_MSIX : TRACE_IRQ_INTX;
	t->value = ev->u.irq.msix ? ev->u.irq.vector : ev->u.irq.level;
	t->has_value = 1;
}

static void put(struct xc *x, const struct trace_event *ev)
{
	if (x->err == NULL && trace_write(x->w, ev, &x->err) < 0 && x->err == NULL)
		x->err = xstrdup("trace write failed");
	if (x->norigin == x->capacity) {
		x->capacity = x->capacity ? 2 * x->capacity : 1024;
		x->origin = xreallocarray(x->origin, x->capacity, sizeof(*x->origin));
	}
	x->origin[x->norigin++] = x->here;
}

/* QEMU's interrupts so far, and what it said on stderr, after the event they followed. */
static void flush(struct xc *x)
{
	struct trace_event ev;
	char text[240];

	for (unsigned i = 0; i < x->nirqs; i++)
		put(x, &x->irqs[i]);
	x->qemu_irqs += x->nirqs;
	x->nirqs = 0;
	while (qport_mark(x->qp, &ev, text, sizeof(text)))
		put(x, &ev);
}

/*
 * A guest read-back of RAM: what QEMU's device left there. QEMU completes in
 * its main loop, so give it up to wait_ms to show what the source saw, then
 * take what it has. 0 / -1 bad input (outside the header's RAM).
 */
static int read_back(struct xc *x, const struct trace_event *ev, struct trace_event *out, char **cause)
{
	unsigned ms = x->o->wait_ms ? x->o->wait_ms : XC_WAIT_MS;

	if (!trace_header_in_ram(trace_header(x->r), ev->addr, ev->len))
		return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): guest read of %" PRIu32
		    " bytes at 0x%" PRIx64 " lies outside the declared RAM", trace_path(x->r), x->here.no, x->here.off,
		    ev->len, ev->addr);
	if (ev->len == 0)
		return 0;
	buf_reset(&x->ram);
	buf_reserve(&x->ram, ev->len);
	for (unsigned t = 0;; t++) {
		if (x->port.mem_read(x->port.opaque, ev->addr, x->ram.data, ev->len) < 0 || t >= ms ||
		    memcmp(x->ram.data, ev->data, ev->len) == 0)
			break;
		qport_settle(x->qp, 1);
	}
	out->data = x->ram.data;
	return 0;
}

/* One source event: guest events are played and written with QEMU's answers. 0 / -1 bad input. */
static int play(struct xc *x, struct trace_event *ev, char **cause)
{
	struct trace_event out = *ev;
	void *o = x->port.opaque;

	switch (ev->kind) {
	case TRACE_CFG_READ:
		out.value = x->port.cfg_read(o, (uint32_t)ev->addr, ev->size);
		out.has_value = 1;
		break;
	case TRACE_CFG_WRITE:
		x->port.cfg_write(o, (uint32_t)ev->addr, ev->size, ev->value);
		break;
	case TRACE_BAR_READ:
		out.value = x->port.bar_read(o, ev->space, ev->addr, ev->size);
		out.has_value = 1;
		break;
	case TRACE_BAR_WRITE:
		x->port.bar_write(o, ev->space, ev->addr, ev->size, ev->value);
		break;
	case TRACE_MEM:
		x->port.mem_write(o, ev->addr, ev->data, ev->len);
		break;
	case TRACE_INPUT: {
		struct vdev_input in = { .type = ev->space, .addr = ev->addr, .data = ev->data, .len = ev->len };

		if (qport_input(x->qp, &in, cause) < 0)
			return -1;
		break;
	}
	case TRACE_IRQ:
		/* The source saw one more interrupt here than QEMU gave so far: give QEMU a moment. */
		x->src_irqs++;
		if (x->src_irqs > x->qemu_irqs + x->nirqs)
			(void)qport_wait_irq(x->qp, x->o->wait_ms ? x->o->wait_ms : XC_WAIT_MS);
		flush(x);
		return 0;
	case TRACE_MEM_READ:
		if (read_back(x, ev, &out, cause) < 0)
			return -1;
		break;
	case TRACE_DMA:
		return 0;		/* qtest cannot see DMA */
	case TRACE_CHECKPOINT:
		if (trace_event_no(x->r) == 0)
			return cause_set(cause, "%s: event 0 (offset 0x%" PRIx64 "): the trace starts from a checkpoint "
			    "(the simulator's device state), which QEMU cannot load", trace_path(x->r),
			    trace_event_offset(x->r));
		return 0;		/* later ones check the simulator against itself */
	default:
		break;			/* marks, time: copied */
	}
	if (ev->kind != TRACE_MARK && ev->kind != TRACE_TIME) {
		x->qemu_irqs = 0;
		x->src_irqs = 0;
	}
	put(x, &out);
	flush(x);
	return 0;
}

static int check_header(struct xc *x, const struct trace_header *h, char **cause)
{
	if (!qport_supports(h->device))
		return cause_set(cause, "%s: device %s has no QEMU counterpart here (blk, net, scsi, rng, console)",
		    trace_path(x->r), trace_device_name(h->device) ? trace_device_name(h->device) : "?");
	if (h->layout != TRACE_LAYOUT_QEMU)
		return cause_set(cause, "%s: layout %s: QEMU's device has the qemu register layout", trace_path(x->r),
		    trace_layout_name(h->layout));
	return 0;
}

int crosscheck_record(const struct crosscheck_opts *o, struct crosscheck_origin **origin, uint64_t *norigin,
    char **cause)
{
	struct xc *x = xcalloc(1, sizeof(*x));
	struct replay_devsetup *ds = xcalloc(1, sizeof(*ds));
	struct trace_header h, scratch;
	struct qport_opts qo;
	struct trace_event ev;
	int rc = -1, got;

	x->o = o;
	buf_init(&x->ram);
	*origin = NULL;
	*norigin = 0;
	if ((x->r = trace_open(o->path, cause)) == NULL)
		goto out;
	h = *trace_header(x->r);
	if (check_header(x, &h, cause) < 0 || replay_devsetup(&h, o->path, -1, ds, cause) < 0)
		goto out;
	evbus_init(&x->bus);
	evbus_add(&x->bus, 1u << VR_EV_IRQ, irq_sink, x);
	memset(&qo, 0, sizeof(qo));
	qo.qemu = o->qemu;
	qo.h = &h;
	qo.bus = &x->bus;
	qo.disk_image = h.nbackends > 0 && h.backend[0].has_image ? ds->image[0] : NULL;
	rc = -2;
	if ((x->qp = qport_new(&qo, cause)) == NULL)
		goto out;
	/* The probe learns where the MSI-X table and notify region are; the trace's header stays as it is. */
	scratch = h;
	if (qport_probe(x->qp, &scratch, cause) < 0)
		goto out;
	x->nirqs = 0;
	qport_guest_port(x->qp, &x->port);
	h.recorded = TRACE_REC_IRQ;
	snprintf(h.title, sizeof(h.title), "crosscheck on qemu of %.100s", o->path);
	rc = -1;
	if ((x->w = trace_writer_open(o->out, TRACE_FMT_TEXT, 0, &h, cause)) == NULL)
		goto out;
	{
		struct trace_event m = { .kind = TRACE_MARK };
		char text[200];

		snprintf(text, sizeof(text), "qemu %s", qport_device_args(x->qp));
		m.data = (const uint8_t *)text;
		m.len = (uint32_t)strlen(text);
		put(x, &m);
	}
	while ((got = trace_read(x->r, &ev, cause)) == 1) {
		x->here.no = trace_event_no(x->r);
		x->here.off = trace_event_offset(x->r);
		if (play(x, &ev, cause) < 0)
			goto out;
		if (qport_failed(x->qp)) {
			cause_set(cause, "%s (at event %" PRIu64 " of %s)", qport_error(x->qp), x->here.no, o->path);
			rc = -2;
			goto out;
		}
	}
	if (got < 0)
		goto out;
	qport_settle(x->qp, 20);
	flush(x);
	if (qport_failed(x->qp)) {
		cause_set(cause, "%s", qport_error(x->qp));
		rc = -2;
		goto out;
	}
	if (x->err != NULL) {
		cause_set(cause, "%s", x->err);
		goto out;
	}
	rc = 0;
out:
	if (x->w != NULL) {
		char *why = NULL;

		if (trace_writer_close(x->w, &why) < 0 && rc == 0) {
			cause_set(cause, "%s", why ? why : "trace close failed");
			rc = -1;
		}
		free(why);
	}
	trace_close(x->r);
	qport_free(x->qp);
	if (rc == 0) {
		*origin = x->origin;
		*norigin = x->norigin;
	} else {
		free(x->origin);
	}
	free(x->err);
	buf_release(&x->ram);
	free(x);
	free(ds);
	return rc;
}
