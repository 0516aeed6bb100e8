/* testdev.c -- the echo device model and event-recording harness shared by the device-core suites */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <criterion/criterion.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "vr/virtq.h"
#include "vr/xmalloc.h"
#include "testdev.h"

enum testdev_mode testdev_mode = TESTDEV_ECHO;

struct tdev {
	struct vdev_ctx *ctx;
	enum testdev_mode mode;
	uint8_t cfg[8];
	uint32_t requests;
	struct {
		uint16_t head;
		uint32_t len;
	} held[VIRTQ_MAX_QUEUES][64];
	unsigned nheld[VIRTQ_MAX_QUEUES];
};

/* The harness keeps the last device created so tests can reach its model. */
static struct tdev *last_dev;

static void *td_create(struct vdev_ctx *ctx, const struct vdev_setup *s, char **cause)
{
	(void)cause;
	struct tdev *t = xcalloc(1, sizeof *t);
	t->ctx = ctx;
	t->mode = testdev_mode;
	if (s->devcfg != NULL)
		memcpy(t->cfg, s->devcfg, s->devcfg_len < 8 ? s->devcfg_len : 8);
	last_dev = t;
	return t;
}

static void td_destroy(void *dev)
{
	if (last_dev == dev)
		last_dev = NULL;
	free(dev);
}

static void td_reset(void *dev)
{
	struct tdev *t = dev;
	memset(t->nheld, 0, sizeof t->nheld);
}

static void td_notified(void *dev, unsigned qi)
{
	struct tdev *t = dev;
	struct virtq *q = vdev_queue(t->ctx, qi);
	struct virtq_chain c;
	int r;
	while ((r = virtq_get(q, &c, true)) == 1) {
		t->requests++;
		if (t->mode == TESTDEV_HOLD) {
			unsigned n = t->nheld[qi];
			if (n < 64) {
				t->held[qi][n].head = c.head;
				t->held[qi][n].len = 0;
				t->nheld[qi]++;
			}
			continue;
		}
		if (t->mode == TESTDEV_NEED_DATA && c.out_len == 0) {
			vdev_violation(t->ctx, "desc-zero-len", (int)qi, c.head, 0, true,
			    "echo request %u carries no data", c.head);
			return;
		}
		uint32_t n = c.out_len < c.in_len ? c.out_len : c.in_len;
		virtq_chain_write(q, &c, 0, c.out, n);
		struct virtq_txn_info info = { "echo", "", "OK" };
		virtq_put(q, &c, n, &info);
		virtq_sync(q);
	}
}

void testdev_release(struct vpci *d, unsigned qi)
{
	(void)d;
	struct tdev *t = last_dev;
	struct virtq *q = vdev_queue(t->ctx, qi);
	for (unsigned i = 0; i < t->nheld[qi]; i++) {
		struct virtq_chain c;
		memset(&c, 0, sizeof c);
		c.head = t->held[qi][i].head;
		virtq_put(q, &c, 0, NULL);
		virtq_sync(q);
	}
	t->nheld[qi] = 0;
}

uint32_t testdev_requests(struct vpci *d)
{
	(void)d;
	return last_dev ? last_dev->requests : 0;
}

struct vdev_ctx *testdev_ctx(void)
{
	return last_dev ? last_dev->ctx : NULL;
}

static const uint8_t *td_get_config(void *dev, uint32_t *len)
{
	struct tdev *t = dev;
	*len = sizeof t->cfg;
	return t->cfg;
}

static void td_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct tdev *t = dev;
	memcpy(t->cfg + off, src, len);
	if (off + len > 7)
		vdev_config_changed(t->ctx);
}

static int td_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct tdev *t = dev;
	if (in->type != TRACE_INPUT_EVENT)
		return cause_set(cause, "echo: input type %u not supported", in->type);
	vdev_config_changed(t->ctx);
	return 0;
}

static void td_save(void *dev, struct buf *out)
{
	struct tdev *t = dev;
	buf_add_le32(out, t->requests);
	buf_add(out, t->cfg, 8);
	for (unsigned q = 0; q < VIRTQ_MAX_QUEUES; q++) {
		buf_add_u8(out, (uint8_t)t->nheld[q]);
		for (unsigned i = 0; i < t->nheld[q]; i++)
			buf_add_le16(out, t->held[q][i].head);
	}
}

static int td_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct tdev *t = dev;
	struct cursor c;
	cursor_init(&c, p, len);
	t->requests = cursor_le32(&c);
	cursor_get(&c, t->cfg, 8);
	for (unsigned q = 0; q < VIRTQ_MAX_QUEUES; q++) {
		unsigned n = cursor_u8(&c);
		if (n > 64)
			return cause_set(cause, "echo: %u held chains", n);
		t->nheld[q] = n;
		for (unsigned i = 0; i < n; i++)
			t->held[q][i].head = cursor_le16(&c);
	}
	if (c.err || c.off != len)
		return cause_set(cause, "echo: state is %zu bytes, expected %zu", len, c.off);
	return 0;
}

static void td_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	(void)nqueues;
	snprintf(out, VIRTQ_NAME_MAX, "echo%u", index);
}

const struct vdev_ops testdev_ops = {
	.name = "echo",
	.id = TESTDEV_ID,
	.pci_class = 0xff,
	.features = 0,
	.default_queues = 2,
	.devcfg_size = 8,
	.queue_name = td_queue_name,
	.create = td_create,
	.destroy = td_destroy,
	.reset = td_reset,
	.queue_notified = td_notified,
	.get_config = td_get_config,
	.cfg_write = td_cfg_write,
	.input = td_input,
	.save = td_save,
	.load = td_load,
};

/* ------------------------------------------------------------------ harness */

static void rec(void *opaque, const struct vr_event *ev)
{
	struct harness *h = opaque;
	if (h->nev == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->ev = xreallocarray(h->ev, h->cap, sizeof *h->ev);
	}
	struct rec_ev *r = &h->ev[h->nev++];
	memset(r, 0, sizeof *r);
	r->kind = ev->kind;
	const char *name = "";
	switch (ev->kind) {
	case VR_EV_ACCESS:
		name = ev->u.access.reg;
		r->a = ev->u.access.offset;
		r->b = ev->u.access.value;
		break;
	case VR_EV_VIOLATION:
		name = ev->u.violation.name;
		r->a = (uint64_t)(int64_t)ev->u.violation.queue;
		r->b = (uint64_t)(int64_t)ev->u.violation.desc;
		break;
	case VR_EV_DMA:
		name = ev->u.dma.what;
		r->a = ev->u.dma.addr;
		r->b = ev->u.dma.len;
		memcpy(r->data, ev->u.dma.data, ev->u.dma.len < 16 ? ev->u.dma.len : 16);
		break;
	case VR_EV_IRQ:
		name = ev->u.irq.msix ? "msix" : "intx";
		r->a = ev->u.irq.msix ? ev->u.irq.vector : 0xffff;
		r->b = ev->u.irq.level;
		break;
	case VR_EV_NOTE:
		name = ev->u.note.text;
		break;
	case VR_EV_TXN:
		name = ev->u.txn.type;
		r->a = ev->u.txn.head;
		r->b = ev->u.txn.used_len;
		break;
	default:
		break;
	}
	snprintf(r->name, sizeof r->name, "%s", name);
}

void harness_init(struct harness *h, int layout, uint64_t offered, uint16_t nqueues, uint16_t qmax)
{
	harness_init_transport(h, layout, VDEV_TRANSPORT_MODERN, offered, nqueues, qmax);
}

/* The echo device under a virtio id that has a legacy PCI device id (transitional and legacy need one). */
static struct vdev_ops echo_legacy_ops;

void harness_init_transport(struct harness *h, int layout, int transport, uint64_t offered, uint16_t nqueues,
    uint16_t qmax)
{
	memset(h, 0, sizeof *h);
	evbus_init(&h->bus);
	evbus_add(&h->bus, EVBUS_ALL, rec, h);
	h->ram[0].base = 0;
	h->ram[0].size = 16u << 20;
	h->ram[1].base = 1ull << 32;
	h->ram[1].size = 1ull << 32;	/* sparse: costs nothing until written */
	struct vpci_setup s;
	memset(&s, 0, sizeof s);
	echo_legacy_ops = testdev_ops;
	echo_legacy_ops.id = VIRTIO_ID_BLOCK;
	s.ops = transport == VDEV_TRANSPORT_MODERN ? &testdev_ops : &echo_legacy_ops;
	s.layout = layout;
	s.transport = transport;
	s.offered = offered ? offered
	    : (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
	s.nqueues = nqueues;
	for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++)
		s.queue_max[i] = qmax;
	static const uint8_t cfg[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	s.devcfg = cfg;
	s.devcfg_len = 8;
	s.ram = h->ram;
	s.nram = 2;
	char *cause = NULL;
	h->d = vpci_new(&s, &h->bus, &cause);
	cr_assert_not_null(h->d, "vpci_new: %s", cause ? cause : "?");
	guest_port_vpci(&h->port, h->d);
	struct guest_config gc;
	memset(&gc, 0, sizeof gc);
	gc.ram = h->ram;
	gc.nram = 2;
	h->g = guest_new(&h->port, &gc);
	guest_watch_bus(h->g, &h->bus);
}

void harness_fini(struct harness *h)
{
	guest_free(h->g);
	vpci_free(h->d);
	free(h->ev);
	testdev_mode = TESTDEV_ECHO;
}

void harness_up(struct harness *h, enum guest_irq_mode irq)
{
	harness_up_driver(h, irq, false, 0);
}

void harness_up_driver(struct harness *h, enum guest_irq_mode irq, bool legacy, uint16_t nqueues)
{
	struct guest_config gc;
	memset(&gc, 0, sizeof gc);
	gc.ram = h->ram;
	gc.nram = 2;
	gc.irq = irq;
	gc.legacy = legacy;
	gc.nqueues = nqueues;
	guest_free(h->g);
	h->g = guest_new(&h->port, &gc);
	/* the old guest's sink stays subscribed; re-point it by adding a fresh one */
	h->bus.nsinks = 1;
	h->bus.mask = h->bus.sinks[0].mask;
	guest_watch_bus(h->g, &h->bus);
	char *cause = NULL;
	int r = guest_init(h->g, &cause);
	cr_assert_eq(r, 0, "guest_init: %s", cause ? cause : "?");
}

unsigned harness_count(const struct harness *h, enum vr_ev_kind k, const char *name)
{
	unsigned n = 0;
	for (unsigned i = 0; i < h->nev; i++)
		if (h->ev[i].kind == k && (name == NULL || strcmp(h->ev[i].name, name) == 0))
			n++;
	return n;
}

const struct rec_ev *harness_last(const struct harness *h, enum vr_ev_kind k)
{
	for (unsigned i = h->nev; i-- > 0;)
		if (h->ev[i].kind == k)
			return &h->ev[i];
	return NULL;
}

void harness_clear(struct harness *h)
{
	h->nev = 0;
}

int harness_echo(struct harness *h, unsigned q, const void *out, uint32_t outlen, uint32_t inlen, bool indirect)
{
	struct guest_buf o = { 0, outlen, out }, in = { 0, inlen, NULL };
	char *cause = NULL;
	int head = guest_add(h->g, q, &o, outlen ? 1 : 0, &in, inlen ? 1 : 0, indirect ? GUEST_ADD_INDIRECT : 0,
	    &cause);
	cr_assert_geq(head, 0, "guest_add: %s", cause ? cause : "?");
	guest_kick(h->g, q);
	return head;
}
