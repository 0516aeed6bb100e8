/* fuzz_device.c -- libFuzzer target: fuzzer-chosen register accesses, RAM contents and inputs against a device */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/guest.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/virtq.h"
#include "vr/vpci.h"

/*
 * Input: byte 0 picks the profile and the device model (0 = a built-in echo
 * model, then vdev_table in order, then the transport-only device for three
 * types without a model) and, with its top bits, the transport (modern,
 * transitional, legacy; the echo model then poses as blk, which has a
 * legacy PCI id); byte 1 picks whether the model guest driver brings the
 * device up first, with which interrupt mode and (bit 7, transitional) as a
 * legacy driver. The rest
 * is a list of operations. Invariants checked beyond "no crash": a device's
 * own checkpoint always loads back, and saving again gives the same bytes.
 */

struct echo {
	struct vdev_ctx *ctx;
	uint8_t cfg[8];
};

static void *echo_create(struct vdev_ctx *ctx, const struct vdev_setup *s, char **cause)
{
	(void)s;
	(void)cause;
	struct echo *e = calloc(1, sizeof *e);
	if (e == NULL)
		abort();
	e->ctx = ctx;
	return e;
}

static void echo_destroy(void *dev)
{
	free(dev);
}

static void echo_notified(void *dev, unsigned qi)
{
	struct echo *e = dev;
	struct virtq *q = vdev_queue(e->ctx, qi);
	struct virtq_chain c;
	while (virtq_get(q, &c, true) == 1) {
		uint32_t n = c.out_len < c.in_len ? c.out_len : c.in_len;
		virtq_chain_write(q, &c, 0, c.out, n);
		struct virtq_txn_info info = { "echo", "", "OK" };
		virtq_put(q, &c, n, &info);
		virtq_sync(q);
	}
}

static const uint8_t *echo_get_config(void *dev, uint32_t *len)
{
	*len = sizeof ((struct echo *)dev)->cfg;
	return ((struct echo *)dev)->cfg;
}

static void echo_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct echo *e = dev;
	memcpy(e->cfg + off, src, len);
	vdev_config_changed(e->ctx);
}

static void echo_save(void *dev, struct buf *out)
{
	buf_add(out, ((struct echo *)dev)->cfg, 8);
}

static int echo_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	(void)cause;
	if (len != 8)
		return -1;
	memcpy(((struct echo *)dev)->cfg, p, 8);
	return 0;
}

static const struct vdev_ops echo_ops = {
	.name = "echo",
	.id = 0x1e,
	.pci_class = 0xff,
	.default_queues = 2,
	.devcfg_size = 8,
	.create = echo_create,
	.destroy = echo_destroy,
	.queue_notified = echo_notified,
	.get_config = echo_get_config,
	.cfg_write = echo_cfg_write,
	.save = echo_save,
	.load = echo_load,
};

/* A sink that looks at every string, so naming and formatting run too. */
static size_t sink_bytes;
static void sink(void *opaque, const struct vr_event *ev)
{
	(void)opaque;
	switch (ev->kind) {
	case VR_EV_ACCESS: sink_bytes += strlen(ev->u.access.reg); break;
	case VR_EV_VIOLATION: sink_bytes += strlen(ev->u.violation.name) + strlen(ev->u.violation.detail); break;
	case VR_EV_DMA:
		sink_bytes += strlen(ev->u.dma.what);
		if (ev->u.dma.len)
			sink_bytes += ev->u.dma.data[0] + ev->u.dma.data[ev->u.dma.len - 1];
		break;
	case VR_EV_NOTE: sink_bytes += strlen(ev->u.note.text); break;
	case VR_EV_TXN:
		sink_bytes += strlen(ev->u.txn.queue_name) + ev->u.txn.ndesc;
		if (ev->u.txn.out_shown)
			sink_bytes += ev->u.txn.out[ev->u.txn.out_shown - 1];
		if (ev->u.txn.in_shown)
			sink_bytes += ev->u.txn.in[ev->u.txn.in_shown - 1];
		break;
	default: break;
	}
}

struct in {
	const uint8_t *p;
	size_t n, off;
};

static uint8_t u8(struct in *in)
{
	return in->off < in->n ? in->p[in->off++] : 0;
}

static uint64_t uN(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)u8(in) << (8 * i);
	return v;
}

static void checkpoint_round_trip(struct vpci *d)
{
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	vpci_save(d, &a);
	char *cause = NULL;
	if (vpci_load(d, a.data, a.len, &cause) != 0) {
		fprintf(stderr, "own checkpoint refused: %s\n", cause ? cause : "?");
		abort();
	}
	vpci_save(d, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
		fprintf(stderr, "checkpoint not stable across load\n");
		abort();
	}
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	if (size < 2)
		return 0;
	unsigned nmodels = 0;
	while (vdev_table[nmodels] != NULL)
		nmodels++;
	uint8_t b0 = u8(&in), b1 = u8(&in);
	/* After the models: the transport-only device, as balloon (complete), input (hold) and id 42. */
	static const struct { uint8_t id; uint16_t cfglen; int requests; } generic[] = {
		{ 5, 0, VDEV_REQ_COMPLETE }, { 18, 0, VDEV_REQ_HOLD }, { 42, 12, VDEV_REQ_COMPLETE },
	};
	static struct vdev_generic gen;
	unsigned pick = (b0 >> 1) % (nmodels + 1 + sizeof generic / sizeof generic[0]);
	const struct vdev_ops *ops = pick == 0 ? &echo_ops : pick <= nmodels ? vdev_table[pick - 1] :
	    vdev_pick(generic[pick - nmodels - 1].id, "generic", generic[pick - nmodels - 1].cfglen,
	    generic[pick - nmodels - 1].requests, &gen);

	struct evbus bus;
	evbus_init(&bus);
	evbus_add(&bus, EVBUS_ALL, sink, NULL);
	static const struct vpci_ram ram[2] = { { 0, 4u << 20 }, { 1ull << 30, 1u << 16 } };
	static const struct vdev_backend disk = { "disk", 1u << 20, NULL, NULL, false, -1 };
	int transport = (b0 >> 6) % 3;
	static struct vdev_ops echo_legacy;
	if (ops == &echo_ops && transport != VDEV_TRANSPORT_MODERN) {
		echo_legacy = echo_ops;
		echo_legacy.id = VIRTIO_ID_BLOCK;
		ops = &echo_legacy;
	}
	struct vpci_setup s;
	memset(&s, 0, sizeof s);
	s.ops = ops;
	s.transport = transport;
	s.layout = (b0 & 1) ? TRACE_LAYOUT_VBOX : TRACE_LAYOUT_QEMU;
	s.offered = (1ull << VIRTIO_F_VERSION_1) | ((uint64_t)(b1 & 0x10) << (VIRTIO_F_INDIRECT_DESC - 4)) |
	    ((uint64_t)(b1 & 0x20) << (VIRTIO_F_EVENT_IDX - 5)) | ops->features;
	s.nqueues = 0;
	for (unsigned i = 0; i < VIRTQ_MAX_QUEUES; i++)
		s.queue_max[i] = (b1 & 0x40) ? 8 : 64;
	s.ram = ram;
	s.nram = 2;
	s.backends = &disk;
	s.nbackends = 1;
	char *cause = NULL;
	struct vpci *d = vpci_new(&s, &bus, &cause);
	if (d == NULL) {
		free(cause);
		return 0;
	}
	struct guest_port port;
	guest_port_vpci(&port, d);
	struct guest_config gc;
	memset(&gc, 0, sizeof gc);
	gc.ram = ram;
	gc.nram = 2;
	gc.irq = (enum guest_irq_mode)((b1 >> 1) % 3);
	gc.data_base = 0x200000;
	gc.data_size = 0x100000;
	gc.legacy = transport == VDEV_TRANSPORT_LEGACY || (transport == VDEV_TRANSPORT_TRANSITIONAL && (b1 & 0x80));
	struct guest *g = guest_new(&port, &gc);
	guest_watch_bus(g, &bus);
	bool up = false;
	if (b1 & 1) {
		up = guest_init(g, &cause) == 0;
		free(cause);
		cause = NULL;
	} else if (guest_pci_setup(g, NULL) == 0 && guest_find_caps(g, NULL) == 0) {
		up = true;	/* caps known; the fuzzer drives the rest */
	}
	uint16_t nq = guest_num_queues(g) ? guest_num_queues(g) : 1;

	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	uint8_t scratch[256];
	unsigned checkpoints = 0;
	for (unsigned ops_done = 0; in.off < in.n && ops_done < 2000; ops_done++) {
		uint8_t op = u8(&in);
		switch (op % 11) {
		case 0:
			vpci_cfg_read(d, u8(&in), sizes[u8(&in) & 3]);
			break;
		case 1: {
			uint32_t off = u8(&in);
			unsigned sz = sizes[u8(&in) & 3];
			vpci_cfg_write(d, off, sz, uN(&in, 4));
			break;
		}
		case 2: {
			unsigned bar = u8(&in) % 6;
			uint64_t off = uN(&in, 2) & 0x7fff;
			vpci_bar_read(d, bar, off, sizes[u8(&in) & 3] + (op >> 7));
			break;
		}
		case 3: {
			unsigned bar = u8(&in) % 6;
			uint64_t off = uN(&in, 2) & 0x7fff;
			unsigned sz = sizes[u8(&in) & 3];
			vpci_bar_write(d, bar, off, sz, uN(&in, sz));
			break;
		}
		case 4: {
			uint64_t addr = uN(&in, 3) & 0x3fffff;
			unsigned len = u8(&in) % 64;
			for (unsigned i = 0; i < len; i++)
				scratch[i] = u8(&in);
			gmem_write(vpci_gmem(d), addr, scratch, len);
			break;
		}
		case 5:
			if (up)
				guest_notify(g, u8(&in) % (nq + 1));
			break;
		case 6:
			if (up) {
				unsigned q = u8(&in) % nq;
				uint8_t n = u8(&in);
				struct guest_buf o = { 0, n % 200, scratch }, i2 = { 0, u8(&in) % 200, NULL };
				memset(scratch, n, sizeof scratch);
				if (guest_add(g, q, &o, o.len ? 1 : 0, &i2, i2.len ? 1 : 0, (n & 1) ? GUEST_ADD_INDIRECT : 0,
				    &cause) >= 0)
					guest_kick(g, q);
				free(cause);
				cause = NULL;
			}
			break;
		case 7:
			/* a load builds a whole scratch device: a few per input keep the fuzzer fast */
			if (checkpoints++ < 3)
				checkpoint_round_trip(d);
			break;
		case 8: {
			uint8_t type = u8(&in) % TRACE_INPUT_COUNT;
			unsigned len = u8(&in);
			struct vdev_input vi = { type, u8(&in), scratch, 0 };
			for (unsigned i = 0; i < len && i < sizeof scratch; i++)
				scratch[i] = u8(&in);
			vi.len = len;
			if (vpci_input(d, &vi, &cause) < 0) {
				free(cause);
				cause = NULL;
			}
			break;
		}
		case 9:
			if (up) {
				struct guest_used u;
				for (int k = 0; k < 4 && guest_poll(g, u8(&in) % nq, &u) == 1; k++)
					;
			}
			break;
		default:
			if (up)
				guest_isr_read(g);
			break;
		}
	}
	guest_free(g);
	vpci_free(d);
	return 0;
}
