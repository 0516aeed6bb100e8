/* dev-harness.h -- shared plumbing for the device-model suites: a vpci device driven by the model guest */
#ifndef VR_TEST_DEV_HARNESS_H
#define VR_TEST_DEV_HARNESS_H
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/event.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/vpci.h"

#define H_MAX_TXN	256
#define H_MAX_FRAMES	16
#define H_RAM_SIZE	(16u << 20)

struct h_txn {
	uint16_t queue;
	uint16_t head;
	uint32_t used_len;
	char summary[256];	/* "blk OUT sector=2048 len=4096 status=OK" */
	char type[48];
	char status[32];
};

struct h_frame {
	bool tx;
	uint16_t queue;
	uint32_t len;
	uint8_t data[2048];
};

struct harness {
	struct evbus bus;
	struct vpci *d;
	struct guest *g;
	struct guest_port port;
	struct vpci_ram ram;
	struct h_txn txn[H_MAX_TXN];
	unsigned ntxn;
	char viol[16][48];
	unsigned nviol;
	char note[256];
	unsigned nnote;
	struct h_frame frame[H_MAX_FRAMES];
	unsigned nframe;
	unsigned nconfig_irq;
};

static inline void h_sink(void *o, const struct vr_event *ev)
{
	struct harness *h = o;

	switch (ev->kind) {
	case VR_EV_TXN:
		if (h->ntxn < H_MAX_TXN) {
			struct h_txn *t = &h->txn[h->ntxn++];

			t->queue = ev->u.txn.queue;
			t->head = ev->u.txn.head;
			t->used_len = ev->u.txn.used_len;
			snprintf(t->summary, sizeof t->summary, "%s %s%s%s status=%s", ev->u.txn.device,
			    ev->u.txn.type, ev->u.txn.fields && ev->u.txn.fields[0] ? " " : "",
			    ev->u.txn.fields ? ev->u.txn.fields : "", ev->u.txn.status);
			snprintf(t->type, sizeof t->type, "%s", ev->u.txn.type);
			snprintf(t->status, sizeof t->status, "%s", ev->u.txn.status);
		}
		break;
	case VR_EV_VIOLATION:
		if (h->nviol < 16)
			snprintf(h->viol[h->nviol], sizeof h->viol[0], "%s", ev->u.violation.name);
		h->nviol++;
		break;
	case VR_EV_NOTE:
		snprintf(h->note, sizeof h->note, "%s", ev->u.note.text);
		h->nnote++;
		break;
	case VR_EV_FRAME:
		if (h->nframe < H_MAX_FRAMES) {
			struct h_frame *f = &h->frame[h->nframe++];

			f->tx = ev->u.frame.tx;
			f->queue = ev->u.frame.queue;
			f->len = ev->u.frame.len;
			memcpy(f->data, ev->u.frame.data, ev->u.frame.len < sizeof f->data ? ev->u.frame.len : sizeof f->data);
		}
		break;
	case VR_EV_IRQ:
		if (ev->u.irq.cause && strcmp(ev->u.irq.cause, "config") == 0)
			h->nconfig_irq++;
		break;
	default:
		break;
	}
}

/* Bring up device `name` (setup fields the caller set are kept) and run the guest's Linux bring-up. */
static inline void h_open_setup(struct harness *h, const char *name, struct vpci_setup *s, uint64_t driver_features)
{
	char *cause = NULL;
	struct guest_config gc;

	memset(h, 0, sizeof *h);
	evbus_init(&h->bus);
	cr_assert_eq(evbus_add(&h->bus, EVBUS_ALL, h_sink, h), 0);
	h->ram.base = 0;
	h->ram.size = H_RAM_SIZE;
	if (s->ops == NULL)	/* a caller may bring its own ops (the generic device) */
		s->ops = vdev_find(name);
	cr_assert_not_null(s->ops, "no model %s", name);
	/* s->layout as the caller set it: 0 is the qemu profile */
	s->ram = &h->ram;
	s->nram = 1;
	h->d = vpci_new(s, &h->bus, &cause);
	cr_assert_not_null(h->d, "vpci_new: %s", cause ? cause : "?");
	guest_port_vpci(&h->port, h->d);
	memset(&gc, 0, sizeof gc);
	gc.ram = &h->ram;
	gc.nram = 1;
	gc.features = driver_features;
	gc.irq = GUEST_IRQ_MSIX;
	h->g = guest_new(&h->port, &gc);
	cr_assert_not_null(h->g);
	cr_assert_eq(guest_watch_bus(h->g, &h->bus), 0);
	cr_assert_eq(guest_init(h->g, &cause), 0, "guest_init: %s", cause ? cause : "?");
	h->ntxn = 0;
	h->nnote = 0;
}

static inline void h_open(struct harness *h, const char *name, uint64_t offered, uint64_t driver_features)
{
	struct vpci_setup s;

	memset(&s, 0, sizeof s);
	s.offered = offered;
	h_open_setup(h, name, &s, driver_features);
}

static inline void h_close(struct harness *h)
{
	guest_free(h->g);
	vpci_free(h->d);
}

/* Add a chain to queue q and notify. Returns the head. */
static inline int h_submit(struct harness *h, unsigned q, const struct guest_buf *out, unsigned nout,
    const struct guest_buf *in, unsigned nin)
{
	char *cause = NULL;
	int head = guest_add(h->g, q, out, nout, in, nin, 0, &cause);

	cr_assert_geq(head, 0, "guest_add: %s", cause ? cause : "?");
	guest_notify(h->g, q);
	return head;
}

/* The next used element of q; fails the test if there is none. */
static inline struct guest_used h_used(struct harness *h, unsigned q)
{
	struct guest_used u;

	cr_assert_eq(guest_poll(h->g, q, &u), 1, "queue %u: nothing used", q);
	return u;
}

static inline bool h_nothing_used(struct harness *h, unsigned q)
{
	struct guest_used u;

	return guest_poll(h->g, q, &u) == 0;
}

static inline void h_read_in(struct harness *h, unsigned q, uint16_t head, uint32_t off, void *dst, uint32_t len)
{
	cr_assert_eq(guest_read_in(h->g, q, head, off, dst, len), 0, "guest_read_in");
}

static inline const struct h_txn *h_last(struct harness *h)
{
	cr_assert_gt(h->ntxn, 0, "no transaction event");
	return &h->txn[h->ntxn - 1];
}

static inline void h_expect(struct harness *h, const char *summary)
{
	cr_expect_str_eq(h_last(h)->summary, summary);
}

static inline bool h_saw_violation(struct harness *h, const char *name)
{
	for (unsigned i = 0; i < h->nviol && i < 16; i++)
		if (strcmp(h->viol[i], name) == 0)
			return true;
	return false;
}

static inline void h_input(struct harness *h, uint8_t type, uint64_t addr, const void *data, uint32_t len)
{
	char *cause = NULL;
	struct vdev_input in = { .type = type, .addr = addr, .data = data, .len = len };

	cr_assert_eq(vpci_input(h->d, &in, &cause), 0, "vpci_input: %s", cause ? cause : "?");
}

static inline int h_input_fails(struct harness *h, uint8_t type, uint64_t addr, const void *data, uint32_t len, char **cause)
{
	struct vdev_input in = { .type = type, .addr = addr, .data = data, .len = len };

	return vpci_input(h->d, &in, cause);
}

#endif

/*
 * Robustness: random chains (shaped by the device's callback so most get
 * past the first checks) on the given queues. The device must survive every
 * one; when it asks for a reset the guest re-initialises it, as a driver
 * would. Only the survival and the sanitizers are checked here.
 */
static inline uint32_t h_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

typedef void (*h_shape_fn)(uint8_t *out, uint32_t len, unsigned q, uint32_t *seed);

static inline void h_fuzz(struct harness *h, const unsigned *queues, unsigned nq, unsigned iterations,
    uint32_t seed, h_shape_fn shape)
{
	static uint8_t bytes[3][700];
	char *cause = NULL;

	for (unsigned it = 0; it < iterations; it++) {
		unsigned q = queues[h_rand(&seed) % nq];
		unsigned nout = h_rand(&seed) % 3, nin = h_rand(&seed) % 3;
		struct guest_buf ob[3], ib[3];
		struct guest_used u;

		if (nout + nin == 0)
			nin = 1;
		for (unsigned i = 0; i < nout; i++) {
			uint32_t len = 1 + h_rand(&seed) % 600;

			for (uint32_t k = 0; k < len; k++)
				bytes[i][k] = (uint8_t)h_rand(&seed);
			if (i == 0 && shape != NULL)
				shape(bytes[i], len, q, &seed);
			ob[i] = (struct guest_buf){ 0, len, bytes[i] };
		}
		for (unsigned i = 0; i < nin; i++)
			ib[i] = (struct guest_buf){ 0, 1 + h_rand(&seed) % 4096, NULL };
		if (guest_add(h->g, q, ob, nout, ib, nin, 0, &cause) < 0) {
			free(cause);
			cause = NULL;
			guest_reset(h->g);
			cr_assert_eq(guest_init(h->g, &cause), 0, "guest_init: %s", cause ? cause : "?");
			continue;
		}
		guest_notify(h->g, q);
		for (unsigned k = 0; k < nq; k++)
			while (guest_poll(h->g, queues[k], &u) == 1)
				;
		if (guest_status(h->g) & 0x40) {
			guest_reset(h->g);
			cr_assert_eq(guest_init(h->g, &cause), 0, "guest_init: %s", cause ? cause : "?");
		}
	}
}
