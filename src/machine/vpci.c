/* vpci.c -- the virtio-pci transport: config space, capabilities, BARs, common config, notify, ISR, MSI-X, INTx */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "machine.h"

/*
 * Profiles (ARCHITECTURE.md section 3). Placement:
 *   qemu: caps at 0x40 common, 0x50 isr, 0x60 device, 0x70 notify,
 *         0x84 pci_cfg, 0x98 MSI-X, linked newest first as QEMU's
 *         pci_add_capability does (0x34 -> 0x98 -> 0x84 -> ... -> 0x40);
 *         MSI-X table/PBA in 32-bit BAR1 at 0/0x800; structures in 64-bit
 *         prefetchable BAR4 (16 KiB): common 0x0000, isr 0x1000, device
 *         0x2000, notify 0x3000, each region 0x1000 long; multiplier 4.
 *   vbox: caps in ascending order 0x40 common, 0x50 notify, 0x64 isr,
 *         0x74 device, 0x84 pci_cfg, 0x98 MSI-X; MSI-X in 32-bit BAR0;
 *         structures in 32-bit BAR2 (16 KiB) with exact region lengths;
 *         multiplier 2. (Offsets inside the BARs are our choice: the seed
 *         fixes only the BAR numbers and the multiplier.)
 * Behaviour: qemu follows QEMU 7.2 hw/virtio/virtio.c + virtio-pci.c,
 * vbox follows the VirtIO 1.0 text strictly; each difference is marked
 * "qemu:" / "vbox:" where it is decided.
 */

#define PCI_VENDOR_VIRTIO	0x1af4
#define PCI_CMD_MEM		0x0002
#define PCI_CMD_INTX_DISABLE	0x0400
#define PCI_STATUS_CAP_LIST	0x0010

#define ST_ACK		0x01
#define ST_DRIVER	0x02
#define ST_DRIVER_OK	0x04
#define ST_FEATURES_OK	0x08
#define ST_NEEDS_RESET	0x40
#define ST_FAILED	0x80

#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000

enum cfg_type { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5 };

/* ------------------------------------------------------------------ setup */

static void cfg_w16(struct vpci *d, unsigned off, uint16_t v)
{
	le16_store(d->cfg + off, v);
}

static void cfg_w32(struct vpci *d, unsigned off, uint32_t v)
{
	le32_store(d->cfg + off, v);
}

static void add_vcap(struct vpci *d, uint8_t at, uint8_t next, uint8_t type, uint8_t caplen, uint8_t bar,
    uint32_t off, uint32_t len)
{
	d->cfg[at] = 0x09;
	d->cfg[at + 1] = next;
	d->cfg[at + 2] = caplen;
	d->cfg[at + 3] = type;
	d->cfg[at + 4] = bar;
	cfg_w32(d, at + 8, off);
	cfg_w32(d, at + 12, len);
}

static void set_bar(struct vpci *d, unsigned bar, uint64_t size, bool is64, bool prefetch)
{
	uint32_t type = (is64 ? 0x4u : 0) | (prefetch ? 0x8u : 0);
	cfg_w32(d, 0x10 + 4 * bar, type);
	uint32_t mask = (uint32_t)~(size - 1) & 0xfffffff0u;
	le32_store(d->wmask + 0x10 + 4 * bar, mask);
	d->bar_size[bar] = size;
	if (is64)
		le32_store(d->wmask + 0x10 + 4 * (bar + 1), 0xffffffffu);
}

static void add_region(struct vpci *d, enum vpci_rkind k, uint8_t bar, uint32_t off, uint32_t len)
{
	d->reg[d->nreg].kind = k;
	d->reg[d->nreg].bar = bar;
	d->reg[d->nreg].off = off;
	d->reg[d->nreg].len = len;
	d->nreg++;
}

static void layout(struct vpci *d)
{
	uint8_t id = d->ops->id;
	memset(d->cfg, 0, sizeof d->cfg);
	memset(d->wmask, 0, sizeof d->wmask);
	d->nreg = 0;
	cfg_w16(d, 0x00, PCI_VENDOR_VIRTIO);
	cfg_w16(d, 0x02, (uint16_t)(0x1040 + id));
	cfg_w16(d, 0x06, PCI_STATUS_CAP_LIST);
	d->cfg[0x08] = 1;			/* revision: modern */
	d->cfg[0x09] = d->ops->pci_progif;
	d->cfg[0x0a] = d->ops->pci_subclass;
	d->cfg[0x0b] = d->ops->pci_class;
	cfg_w16(d, 0x2c, PCI_VENDOR_VIRTIO);
	cfg_w16(d, 0x2e, d->qemu ? 0x1100 : (uint16_t)(0x40 + id));
	d->cfg[0x3d] = 1;			/* INTA# */
	le16_store(d->wmask + 0x04, 0x0547);	/* IO MEM MASTER PARITY SERR INTX_DISABLE */
	d->wmask[0x0c] = 0xff;
	d->wmask[0x0d] = 0xff;
	d->wmask[0x3c] = 0xff;

	d->msix_n = (uint16_t)(d->nq + 1);
	uint32_t common_len = (d->offered >> VIRTIO_F_RING_RESET) & 1 ? 0x3c : 0x38;
	uint8_t mx;
	if (d->qemu) {
		d->struct_bar = 4;
		d->msix_bar = 1;
		d->notify_mult = 4;
		set_bar(d, 1, 0x1000, false, false);
		set_bar(d, 4, 0x4000, true, true);
		add_region(d, R_COMMON, 4, 0x0000, 0x1000);
		add_region(d, R_ISR, 4, 0x1000, 0x1000);
		add_region(d, R_DEVICE, 4, 0x2000, 0x1000);
		add_region(d, R_NOTIFY, 4, 0x3000, 0x1000);
		d->cap_common = 0x40;
		d->cap_isr = 0x50;
		d->cap_device = 0x60;
		d->cap_notify = 0x70;
		d->cap_pcicfg = 0x84;
		mx = 0x98;
		add_vcap(d, 0x40, 0x00, CAP_COMMON, 16, 4, 0x0000, 0x1000);
		add_vcap(d, 0x50, 0x40, CAP_ISR, 16, 4, 0x1000, 0x1000);
		add_vcap(d, 0x60, 0x50, CAP_DEVICE, 16, 4, 0x2000, 0x1000);
		add_vcap(d, 0x70, 0x60, CAP_NOTIFY, 20, 4, 0x3000, 0x1000);
		cfg_w32(d, 0x70 + 16, d->notify_mult);
		add_vcap(d, 0x84, 0x70, CAP_PCI_CFG, 20, 0, 0, 0);
		d->cfg[0x34] = mx;
		d->cfg[mx + 1] = 0x84;
	} else {
		d->struct_bar = 2;
		d->msix_bar = 0;
		d->notify_mult = 2;
		set_bar(d, 0, 0x1000, false, false);
		set_bar(d, 2, 0x4000, false, false);
		add_region(d, R_COMMON, 2, 0x0000, common_len);
		add_region(d, R_NOTIFY, 2, 0x1000, (uint32_t)d->nq * d->notify_mult);
		add_region(d, R_ISR, 2, 0x2000, 1);
		d->cap_common = 0x40;
		d->cap_notify = 0x50;
		d->cap_isr = 0x64;
		d->cap_device = d->devcfg_size ? 0x74 : 0;
		d->cap_pcicfg = 0x84;
		mx = 0x98;
		add_vcap(d, 0x40, 0x50, CAP_COMMON, 16, 2, 0x0000, common_len);
		add_vcap(d, 0x50, 0x64, CAP_NOTIFY, 20, 2, 0x1000, (uint32_t)d->nq * d->notify_mult);
		cfg_w32(d, 0x50 + 16, d->notify_mult);
		add_vcap(d, 0x64, d->devcfg_size ? 0x74 : 0x84, CAP_ISR, 16, 2, 0x2000, 1);
		if (d->devcfg_size) {
			add_region(d, R_DEVICE, 2, 0x3000, d->devcfg_size);
			add_vcap(d, 0x74, 0x84, CAP_DEVICE, 16, 2, 0x3000, d->devcfg_size);
		}
		add_vcap(d, 0x84, mx, CAP_PCI_CFG, 20, 0, 0, 0);
		d->cfg[0x34] = 0x40;
		d->cfg[mx + 1] = 0x00;
	}
	/* PCI_CFG window: bar, offset, length and data are writable */
	d->wmask[d->cap_pcicfg + 4] = 0xff;
	le32_store(d->wmask + d->cap_pcicfg + 8, 0xffffffffu);
	le32_store(d->wmask + d->cap_pcicfg + 12, 0xffffffffu);
	le32_store(d->wmask + d->cap_pcicfg + 16, 0xffffffffu);
	/* MSI-X capability */
	d->cap_msix = mx;
	d->cfg[mx] = 0x11;
	cfg_w16(d, mx + 2, (uint16_t)(d->msix_n - 1));
	cfg_w32(d, mx + 4, 0x0000u | d->msix_bar);
	cfg_w32(d, mx + 8, 0x0800u | d->msix_bar);
	le16_store(d->wmask + mx + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	add_region(d, R_MSIX_TABLE, d->msix_bar, 0, (uint32_t)d->msix_n * 16);
	add_region(d, R_MSIX_PBA, d->msix_bar, 0x800, 8);
	/* every vector starts masked (PCI spec) */
	memset(d->msix_table, 0, sizeof d->msix_table);
	for (unsigned v = 0; v < d->msix_n; v++)
		le32_store(d->msix_table + 16 * v + 12, 1);
	d->msix_pba = 0;
}

static void regs_reset(struct vpci *d, bool power_on)
{
	/* qemu: virtio_pci_reset keeps the feature select and driver_feature registers. */
	if (power_on || !d->qemu) {
		d->dfselect = d->gfselect = 0;
		d->gf[0] = d->gf[1] = 0;
	}
	d->features = 0;
	d->msix_config = VPCI_NO_VECTOR;
	d->status = 0;
	d->isr = 0;
	d->queue_select = 0;
	d->broken = false;
	for (unsigned i = 0; i < d->nq; i++) {
		memset(&d->qr[i], 0, sizeof d->qr[i]);
		d->qr[i].size = d->qmax[i];
		d->qr[i].vector = VPCI_NO_VECTOR;
		virtq_reset(d->q[i]);
	}
}

struct vpci *vpci_new(const struct vpci_setup *s, struct evbus *bus, char **cause)
{
	if (s->ops == NULL)
		return cause_set(cause, "device: no device model"), NULL;
	if (s->layout != VDEV_LAYOUT_QEMU && s->layout != VDEV_LAYOUT_VBOX)
		return cause_set(cause, "device: unknown layout profile %d", s->layout), NULL;
	uint16_t nq = s->nqueues ? s->nqueues : s->ops->default_queues;
	if (nq == 0 || nq > VIRTQ_MAX_QUEUES)
		return cause_set(cause, "device: %u queues (1 to %d)", nq, VIRTQ_MAX_QUEUES), NULL;
	if (s->nram > 16)
		return cause_set(cause, "device: %u ram regions (at most 16)", s->nram), NULL;
	if (s->devcfg != NULL && s->devcfg_len > sizeof ((struct vpci *)0)->devcfg_copy)
		return cause_set(cause, "device: %u bytes of device config (at most 256)", s->devcfg_len), NULL;
	for (unsigned i = 0; i < nq; i++)
		if (s->queue_max[i] > VIRTQ_MAX_SIZE || (s->queue_max[i] & (s->queue_max[i] - 1)) != 0)
			return cause_set(cause, "device: queue %u maximum size %u (a power of two up to %d)", i,
			    s->queue_max[i], VIRTQ_MAX_SIZE), NULL;

	struct vpci *d = xcalloc(1, sizeof *d);
	d->ctx = xcalloc(1, sizeof *d->ctx);
	d->ctx->d = d;
	d->bus = bus;
	d->ops = s->ops;
	d->setup = *s;
	d->qemu = s->layout == VDEV_LAYOUT_QEMU;
	d->nq = nq;
	d->offered = (s->offered ? s->offered : s->ops->features) | (1ull << VIRTIO_F_VERSION_1);
	d->devcfg_size = s->ops->devcfg_size;
	if (s->devcfg != NULL && s->devcfg_len > 0) {
		memcpy(d->devcfg_copy, s->devcfg, s->devcfg_len);
		d->setup.devcfg = d->devcfg_copy;
	}
	if (s->nram > 0)
		memcpy(d->ram_copy, s->ram, s->nram * sizeof *s->ram);
	d->setup.ram = d->ram_copy;
	d->m = gmem_new();
	for (unsigned i = 0; i < s->nram; i++) {
		if (gmem_add_region(d->m, s->ram[i].base, s->ram[i].size, cause) < 0) {
			cause_prefix(cause, "device");
			vpci_free(d);
			return NULL;
		}
	}
	for (unsigned i = 0; i < nq; i++) {
		d->qmax[i] = s->queue_max[i] ? s->queue_max[i] : 256;
		if (s->ops->queue_name != NULL)
			s->ops->queue_name(i, nq, d->qname[i]);
		else
			snprintf(d->qname[i], VIRTQ_NAME_MAX, "q%u", i);
		d->qname[i][VIRTQ_NAME_MAX - 1] = '\0';
		d->q[i] = virtq_new(d, d->m, bus, i, d->qname[i]);
	}
	layout(d);
	regs_reset(d, true);

	struct vdev_setup vs = {
		.ops = s->ops,
		.offered = d->offered,
		.devcfg = d->setup.devcfg,
		.devcfg_len = d->setup.devcfg ? s->devcfg_len : 0,
		.nqueues = nq,
		.layout = s->layout,
		.backends = s->backends,
		.nbackends = s->nbackends,
	};
	d->dev = s->ops->create(d->ctx, &vs, cause);
	if (d->dev == NULL) {
		cause_prefix(cause, "device %s", s->ops->name);
		vpci_free(d);
		return NULL;
	}
	return d;
}

void vpci_free(struct vpci *d)
{
	if (d == NULL)
		return;
	if (d->dev != NULL && d->ops->destroy != NULL)
		d->ops->destroy(d->dev);
	for (unsigned i = 0; i < d->nq; i++)
		virtq_free(d->q[i]);
	gmem_free(d->m);
	free(d->ctx);
	free(d);
}

struct gmem *vpci_gmem(struct vpci *d)
{
	return d->m;
}

uint8_t vpci_status(const struct vpci *d)
{
	return d->status;
}

uint64_t vpci_driver_features(const struct vpci *d)
{
	return d->features;
}

bool vpci_is_qemu(const struct vpci *d)
{
	return d->qemu;
}

const char *vpci_dev_name(const struct vpci *d)
{
	return d->ops->name;
}

bool vpci_queue_live(const struct vpci *d)
{
	if (d->broken)
		return false;
	/* qemu: QEMU pops from an enabled queue whatever the status; vbox: DRIVER_OK first. */
	return d->qemu || (d->status & ST_DRIVER_OK);
}

/* ------------------------------------------------------------------ events */

static void note(struct vpci *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct vpci *d, const char *fmt, ...)
{
	if (!evbus_wants(d->bus, VR_EV_NOTE))
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct vr_event ev;
	ev.kind = VR_EV_NOTE;
	ev.u.note.text = text;
	evbus_emit(d->bus, &ev);
}

static void emit_access(struct vpci *d, bool write, bool cfg, unsigned bar, uint64_t off, unsigned size,
    uint64_t value)
{
	char name[64];
	if (cfg)
		vpci_name_cfg(d, (uint32_t)off, size, name, sizeof name);
	else
		vpci_name_bar(d, bar, off, size, name, sizeof name);
	struct vr_event ev;
	ev.kind = VR_EV_ACCESS;
	ev.u.access.write = write;
	ev.u.access.cfg = cfg;
	ev.u.access.bar = (uint8_t)bar;
	ev.u.access.size = (uint8_t)size;
	ev.u.access.offset = off;
	ev.u.access.value = value;
	ev.u.access.reg = name;
	evbus_emit(d->bus, &ev);
}

/* ------------------------------------------------------------------ interrupts */

static bool msix_enabled(const struct vpci *d)
{
	return le16_load(d->cfg + d->cap_msix + 2) & MSIX_CTRL_ENABLE;
}

static bool msix_fmasked(const struct vpci *d)
{
	return le16_load(d->cfg + d->cap_msix + 2) & MSIX_CTRL_MASKALL;
}

static bool msix_vmasked(const struct vpci *d, unsigned v)
{
	return le32_load(d->msix_table + 16 * v + 12) & 1;
}

static void msix_deliver(struct vpci *d, unsigned v, const char *why)
{
	if (!evbus_wants(d->bus, VR_EV_IRQ))
		return;
	struct vr_event ev;
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = true;
	ev.u.irq.vector = (uint16_t)v;
	ev.u.irq.level = 0;
	ev.u.irq.isr = d->isr;
	ev.u.irq.msg_addr = le64_load(d->msix_table + 16 * v);
	ev.u.irq.msg_data = le32_load(d->msix_table + 16 * v + 8);
	ev.u.irq.cause = why;
	evbus_emit(d->bus, &ev);
}

static void msix_notify(struct vpci *d, uint16_t v, const char *why)
{
	if (v == VPCI_NO_VECTOR || v >= d->msix_n)
		return;
	if (msix_fmasked(d) || msix_vmasked(d, v)) {
		d->msix_pba |= 1ull << v;
		return;
	}
	msix_deliver(d, v, why);
}

/* Deliver pending vectors that are no longer masked, lowest vector first. */
static void msix_flush_pending(struct vpci *d)
{
	if (!msix_enabled(d) || msix_fmasked(d))
		return;
	for (unsigned v = 0; v < d->msix_n; v++) {
		if ((d->msix_pba >> v & 1) && !msix_vmasked(d, v)) {
			d->msix_pba &= ~(1ull << v);
			msix_deliver(d, v, "pending");
		}
	}
}

bool vpci_intx_wanted(const struct vpci *d)
{
	if (msix_enabled(d) || (le16_load(d->cfg + 0x04) & PCI_CMD_INTX_DISABLE))
		return false;
	/* qemu: the line follows ISR bit 0 only (a config change sets 0x3). */
	return (d->isr & (d->qemu ? 0x1 : 0x3)) != 0;
}

static void intx_update(struct vpci *d, const char *why)
{
	bool level = vpci_intx_wanted(d);
	if (level == d->intx_level)
		return;
	d->intx_level = level;
	if (!evbus_wants(d->bus, VR_EV_IRQ))
		return;
	struct vr_event ev;
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = false;
	ev.u.irq.vector = 0;
	ev.u.irq.level = level;
	ev.u.irq.isr = d->isr;
	ev.u.irq.msg_addr = 0;
	ev.u.irq.msg_data = 0;
	ev.u.irq.cause = why;
	evbus_emit(d->bus, &ev);
}

void vpci_queue_irq(struct vpci *d, unsigned qi)
{
	if (d->broken || qi >= d->nq)
		return;
	char why[16];
	snprintf(why, sizeof why, "queue %u", qi);
	if (d->qemu) {
		/* qemu: virtio_irq sets ISR bit 0 even when MSI-X carries the interrupt. */
		d->isr |= 1;
		if (msix_enabled(d))
			msix_notify(d, d->qr[qi].vector, why);
		else
			intx_update(d, why);
	} else if (msix_enabled(d)) {
		msix_notify(d, d->qr[qi].vector, why);
	} else {
		d->isr |= 1;
		intx_update(d, why);
	}
}

/*
 * A configuration interrupt. cfg_change: the device config bytes changed
 * (vdev_config_changed), as opposed to a NEEDS_RESET announcement.
 */
static void config_irq(struct vpci *d, bool cfg_change)
{
	/* vbox: the generation counts config changes, announced or not */
	if (!d->qemu && cfg_change)
		d->generation++;
	/* qemu: QEMU's virtio_notify_config does nothing before DRIVER_OK, then bumps the generation */
	if (!(d->status & ST_DRIVER_OK) || d->broken)
		return;
	if (d->qemu) {
		d->generation++;
		d->isr |= 3;
		if (msix_enabled(d))
			msix_notify(d, d->msix_config, "config");
		else
			intx_update(d, "config");
	} else if (msix_enabled(d)) {
		msix_notify(d, d->msix_config, "config");
	} else {
		d->isr |= 2;
		intx_update(d, "config");
	}
}

/* ------------------------------------------------------------------ violations */

static int violate_v(struct vpci *d, const char *name, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));
static int violate_v(struct vpci *d, const char *name, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, va_list ap)
{
	if (evbus_wants(d->bus, VR_EV_VIOLATION)) {
		char detail[256];
		vsnprintf(detail, sizeof detail, fmt, ap);
		struct vr_event ev;
		ev.kind = VR_EV_VIOLATION;
		ev.u.violation.name = name;
		ev.u.violation.queue = queue;
		ev.u.violation.desc = desc;
		ev.u.violation.addr = addr;
		ev.u.violation.detail = detail;
		evbus_emit(d->bus, &ev);
	}
	if (r != REACT_FATAL || d->broken)
		return -1;
	/* qemu: virtio_error(): NEEDS_RESET (VERSION_1), config interrupt, then broken. */
	if (d->qemu) {
		d->status |= ST_NEEDS_RESET;
		config_irq(d, false);
		d->broken = true;
		note(d, "device broken: status 0x%02x, requests ignored until reset", d->status);
		return -1;
	}
	/* vbox: the violating queue stops; NEEDS_RESET and a config interrupt. */
	if (queue >= 0 && (unsigned)queue < d->nq)
		virtq_halt(d->q[queue]);
	d->status |= ST_NEEDS_RESET;
	config_irq(d, false);
	note(d, "queue %d stopped: status 0x%02x", queue, d->status);
	return -1;
}

int vpci_violate(struct vpci *d, enum violation v, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	violate_v(d, violation_name(v), queue, desc, addr, r, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------ status, reset, features */

static void device_reset(struct vpci *d)
{
	if (d->ops->reset != NULL)
		d->ops->reset(d->dev);
	regs_reset(d, false);
	intx_update(d, "reset");
	note(d, "device reset");
}

static void set_status(struct vpci *d, uint8_t v)
{
	uint8_t old = d->status;
	if (v == 0) {
		bool was_ok = old & ST_DRIVER_OK;
		d->status = 0;
		if (was_ok && d->ops->status_changed != NULL)
			d->ops->status_changed(d->dev, false);
		device_reset(d);
		return;
	}
	if ((v & ST_FEATURES_OK) && !(old & ST_FEATURES_OK)) {
		uint64_t want = (uint64_t)d->gf[1] << 32 | d->gf[0];
		uint64_t extra = want & ~d->offered;
		bool v1 = (want >> VIRTIO_F_VERSION_1) & 1;
		bool plat = ((d->offered >> VIRTIO_F_ACCESS_PLATFORM) & 1) && !((want >> VIRTIO_F_ACCESS_PLATFORM) & 1);
		if (extra || !v1 || plat) {
			vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, want, REACT_REPORT,
			    "driver features 0x%llx at FEATURES_OK: %s%s%s", (unsigned long long)want,
			    extra ? "not offered bits set" : "", !v1 ? " VERSION_1 missing" : "",
			    plat ? " ACCESS_PLATFORM refused" : "");
			if (!d->qemu) {
				v &= (uint8_t)~ST_FEATURES_OK;	/* vbox: FEATURES_OK does not stick */
			} else if (plat && v1) {
				return;		/* qemu: virtio_validate_features fails, status unchanged */
			}
		}
		if (v & ST_FEATURES_OK)
			d->features = want & d->offered;	/* qemu: virtio_set_features masks silently */
	}
	if (!d->qemu)
		v |= old & ST_NEEDS_RESET;	/* vbox: only a reset clears NEEDS_RESET */
	d->status = v;
	bool ok = v & ST_DRIVER_OK, was = old & ST_DRIVER_OK;
	if (ok != was && d->ops->status_changed != NULL)
		d->ops->status_changed(d->dev, ok);
	if (v != old)
		note(d, "status 0x%02x -> 0x%02x", old, v);
}

static uint64_t cur_features(const struct vpci *d)
{
	if (d->status & ST_FEATURES_OK)
		return d->features;
	return ((uint64_t)d->gf[1] << 32 | d->gf[0]) & d->offered;
}

/* ------------------------------------------------------------------ common config */

enum cf {
	CF_DFSELECT, CF_DF, CF_GFSELECT, CF_GF, CF_MSIX, CF_NUMQ, CF_STATUS, CF_GEN, CF_QSEL, CF_QSIZE,
	CF_QMSIX, CF_QENABLE, CF_QNOFF, CF_QDESC, CF_QDRIVER, CF_QDEVICE, CF_QNDATA, CF_QRESET, CF_COUNT
};

static const struct {
	uint8_t off, size;
} cf_tab[CF_COUNT] = {
	[CF_DFSELECT] = { 0x00, 4 }, [CF_DF] = { 0x04, 4 }, [CF_GFSELECT] = { 0x08, 4 }, [CF_GF] = { 0x0c, 4 },
	[CF_MSIX] = { 0x10, 2 }, [CF_NUMQ] = { 0x12, 2 }, [CF_STATUS] = { 0x14, 1 }, [CF_GEN] = { 0x15, 1 },
	[CF_QSEL] = { 0x16, 2 }, [CF_QSIZE] = { 0x18, 2 }, [CF_QMSIX] = { 0x1a, 2 }, [CF_QENABLE] = { 0x1c, 2 },
	[CF_QNOFF] = { 0x1e, 2 }, [CF_QDESC] = { 0x20, 8 }, [CF_QDRIVER] = { 0x28, 8 }, [CF_QDEVICE] = { 0x30, 8 },
	[CF_QNDATA] = { 0x38, 2 }, [CF_QRESET] = { 0x3a, 2 },
};

/* Field starting exactly at off (-1 if none); for 64-bit fields also the high half at +4. */
static int cf_find(uint32_t off, unsigned *half)
{
	*half = 0;
	if (off >= 0x3c)
		return -1;
	for (int i = 0; i < CF_COUNT; i++) {
		if (cf_tab[i].off == off)
			return i;
		if (cf_tab[i].size == 8 && cf_tab[i].off + 4u == off) {
			*half = 1;
			return i;
		}
	}
	return -1;
}

static struct vpci_qregs *selq(struct vpci *d)
{
	return d->queue_select < d->nq ? &d->qr[d->queue_select] : NULL;
}

static uint32_t *qaddr(struct vpci_qregs *r, int f)
{
	return f == CF_QDESC ? r->desc : f == CF_QDRIVER ? r->avail : r->used;
}

static uint64_t common_get(struct vpci *d, int f, unsigned half)
{
	struct vpci_qregs *r = selq(d);
	switch (f) {
	case CF_DFSELECT: return d->dfselect;
	case CF_DF: return d->dfselect <= 1 ? (uint32_t)(d->offered >> (32 * d->dfselect)) : 0;
	case CF_GFSELECT: return d->gfselect;
	case CF_GF: return d->gfselect <= 1 ? d->gf[d->gfselect] : 0;
	case CF_MSIX: return d->msix_config;
	case CF_NUMQ: return d->nq;
	case CF_STATUS: return d->status;
	case CF_GEN: return d->generation;
	case CF_QSEL: return d->queue_select;
	case CF_QSIZE: return r ? r->size : 0;
	case CF_QMSIX: return r ? r->vector : VPCI_NO_VECTOR;
	case CF_QENABLE: return r ? r->enable : 0;
	case CF_QNOFF: return r ? d->queue_select : 0;
	case CF_QDESC: case CF_QDRIVER: case CF_QDEVICE:
		return r ? qaddr(r, f)[half] : 0;
	case CF_QRESET: return r ? r->reset : 0;
	default: return 0;
	}
}

static uint16_t check_vector(struct vpci *d, uint64_t v)
{
	/* QEMU's msix_vector_use refuses vectors past the table: the register then reads NO_VECTOR. */
	return v < d->msix_n ? (uint16_t)v : VPCI_NO_VECTOR;
}

static void queue_enable(struct vpci *d, struct vpci_qregs *r, unsigned qi, uint64_t v)
{
	if (v != 1) {
		/* qemu: virtio_error("wrong value for queue_enable"); vbox: ignored. */
		vpci_violate(d, VIOL_QUEUE_ENABLE_BAD, (int)qi, -1, v, d->qemu ? REACT_FATAL : REACT_REPORT,
		    "queue %u: queue_enable written with %llu", qi, (unsigned long long)v);
		return;
	}
	if (virtq_started(d->q[qi]))
		return;		/* QEMU re-maps the same rings; indices stay, so nothing changes */
	if (!(d->status & ST_FEATURES_OK)) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, 0, REACT_REPORT,
		    "queue %u enabled before FEATURES_OK (status 0x%02x)", qi, d->status);
		if (!d->qemu)
			return;
	}
	r->enable = 1;
	r->reset = 0;
	uint64_t desc = (uint64_t)r->desc[1] << 32 | r->desc[0];
	uint64_t avail = (uint64_t)r->avail[1] << 32 | r->avail[0];
	uint64_t used = (uint64_t)r->used[1] << 32 | r->used[0];
	if (virtq_start(d->q[qi], r->size, desc, avail, used, cur_features(d)) < 0 && !d->qemu)
		r->enable = 0;	/* vbox: a refused queue reads back disabled */
	note(d, "queue %u enabled: size %u desc 0x%llx avail 0x%llx used 0x%llx", qi, r->size,
	    (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used);
}

static void queue_size(struct vpci *d, struct vpci_qregs *r, unsigned qi, uint64_t v)
{
	bool pow2 = v != 0 && (v & (v - 1)) == 0;
	if (v == 0 || v > VIRTQ_MAX_SIZE) {
		/* qemu: virtio_queue_set_num refuses 0 and > 1024 silently */
		vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_REPORT,
		    "queue %u: queue_size %llu (1 to %d)", qi, (unsigned long long)v, VIRTQ_MAX_SIZE);
		return;
	}
	if (v > d->qmax[qi] || !pow2) {
		if (d->qemu) {
			/* qemu: modern QEMU accepts any size up to 1024; a non-power-of-two ring works */
			vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_REPORT,
			    "queue %u: queue_size %llu (maximum %u, power of two), accepted", qi,
			    (unsigned long long)v, d->qmax[qi]);
		} else {
			vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_FATAL,
			    "queue %u: queue_size %llu (maximum %u, power of two)", qi, (unsigned long long)v,
			    d->qmax[qi]);
			return;
		}
	}
	r->size = (uint16_t)v;
}

static void common_set(struct vpci *d, int f, unsigned half, uint64_t v)
{
	struct vpci_qregs *r = selq(d);
	unsigned qi = d->queue_select;
	switch (f) {
	case CF_DFSELECT: d->dfselect = (uint32_t)v; return;
	case CF_GFSELECT: d->gfselect = (uint32_t)v; return;
	case CF_GF:
		if (d->gfselect > 1)
			return;
		if (d->status & ST_FEATURES_OK) {
			vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, v, REACT_REPORT,
			    "driver_feature[%u] written after FEATURES_OK", d->gfselect);
			if (!d->qemu)
				return;	/* qemu: the register keeps the value, negotiation does not change */
		}
		d->gf[d->gfselect] = (uint32_t)v;
		return;
	case CF_MSIX: d->msix_config = check_vector(d, v); return;
	case CF_STATUS: set_status(d, (uint8_t)v); return;
	case CF_QSEL:
		if (v >= d->nq)
			vpci_violate(d, VIOL_QUEUE_SELECT_RANGE, (int)v, -1, v, REACT_REPORT,
			    "queue_select %llu, device has %u queues", (unsigned long long)v, d->nq);
		/* qemu: values >= 1024 are dropped; vbox: stored, the queue fields then read 0 */
		if (!d->qemu || v < VIRTQ_MAX_SIZE)
			d->queue_select = (uint16_t)v;
		return;
	default:
		break;
	}
	if (r == NULL)
		return;		/* queue fields of a missing queue: writes ignored */
	switch (f) {
	case CF_QSIZE: queue_size(d, r, qi, v); return;
	case CF_QMSIX: r->vector = check_vector(d, v); return;
	case CF_QENABLE: queue_enable(d, r, qi, v); return;
	case CF_QDESC: case CF_QDRIVER: case CF_QDEVICE:
		qaddr(r, f)[half] = (uint32_t)v;
		return;
	case CF_QRESET:
		if (v == 1 && (cur_features(d) >> VIRTIO_F_RING_RESET & 1)) {
			virtq_reset(d->q[qi]);
			memset(r, 0, sizeof *r);
			r->size = d->qmax[qi];
			r->vector = VPCI_NO_VECTOR;
			note(d, "queue %u reset", qi);
		}
		return;
	default:
		return;		/* read-only fields */
	}
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

static void common_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	unsigned half;
	int f = cf_find(rel, &half);
	unsigned fsz = f < 0 ? 0 : cf_tab[f].size == 8 ? 4 : cf_tab[f].size;
	bool whole64 = f >= 0 && cf_tab[f].size == 8 && half == 0 && size == 8;
	if (whole64) {
		if (write) {
			common_set(d, f, 0, (uint32_t)*v);
			common_set(d, f, 1, *v >> 32);
		} else {
			*v = common_get(d, f, 0) | common_get(d, f, 1) << 32;
		}
		return;
	}
	if (f >= 0 && size == fsz) {
		if (write)
			common_set(d, f, half, *v);
		else
			*v = common_get(d, f, half);
		return;
	}
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT,
	    "common config: %u-byte %s at 0x%x does not match a field", size, write ? "write" : "read", rel);
	if (!d->qemu || f < 0) {
		if (!write)
			*v = 0;
		return;
	}
	/* qemu: QEMU splits 8-byte accesses in two and dispatches on the start offset */
	if (size == 8) {
		uint64_t lo = (uint32_t)*v, hi = *v >> 32;
		common_access(d, rel, 4, &lo, write);
		common_access(d, rel + 4, 4, &hi, write);
		if (!write)
			*v = (lo & 0xffffffffu) | hi << 32;
		return;
	}
	if (write)
		common_set(d, f, half, *v & size_mask(size));
	else
		*v = common_get(d, f, half) & size_mask(size);
}

/* ------------------------------------------------------------------ ISR, notify, device config */

static void isr_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if (write) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT, "isr: write (read-only)");
		return;
	}
	if (rel != 0 || size != 1) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT,
		    "isr: %u-byte read at offset %u (1 byte at 0 expected)", size, rel);
		if (!d->qemu) {
			*v = 0;
			return;
		}
		/* qemu: virtio_pci_isr_read ignores the offset and size */
	}
	*v = d->isr;
	d->isr = 0;
	d->isr_deassert = true;
}

static void notify_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if (!write) {
		*v = 0;
		return;
	}
	unsigned qi = rel / d->notify_mult;
	if (!d->qemu && (rel % d->notify_mult != 0 || size != 2 || *v != qi)) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, (int)qi, -1, rel, REACT_REPORT,
		    "notify: %u-byte write of %llu at offset %u (2 bytes of the queue index expected)", size,
		    (unsigned long long)*v, rel);
		return;
	}
	/* qemu: the queue comes from the address; the value is ignored (virtio_pci_notify_write) */
	if (qi >= d->nq) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, rel, REACT_REPORT, "notify for queue %u, device has %u",
		    qi, d->nq);
		return;
	}
	if (d->broken)
		return;
	if (!virtq_started(d->q[qi])) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, 0, REACT_REPORT, "queue %u notified while not enabled",
		    qi);
		return;
	}
	if (virtq_halted(d->q[qi]))
		return;
	if (!(d->status & ST_DRIVER_OK)) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, 0, REACT_REPORT,
		    "queue %u notified before DRIVER_OK (status 0x%02x)", qi, d->status);
		if (!d->qemu)
			return;	/* qemu: QEMU runs the handler anyway */
	}
	if (d->ops->queue_notified != NULL)
		d->ops->queue_notified(d->dev, qi);
}

static void device_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if ((uint64_t)rel + size > d->devcfg_size) {
		vpci_violate(d, VIOL_DEVCFG_RANGE, -1, -1, rel, REACT_REPORT,
		    "device config: %u-byte %s at 0x%x, config is %u bytes", size, write ? "write" : "read", rel,
		    d->devcfg_size);
		if (!write)
			*v = size_mask(size);
		return;
	}
	uint8_t b[8];
	if (write) {
		leN_store(b, size, *v);
		if (d->ops->cfg_write != NULL)
			d->ops->cfg_write(d->dev, rel, b, size);
	} else {
		memset(b, 0, sizeof b);
		if (d->ops->cfg_read != NULL)
			d->ops->cfg_read(d->dev, rel, b, size);
		*v = leN_load(b, size);
	}
}

/* ------------------------------------------------------------------ MSI-X table */

static void msix_access(struct vpci *d, bool pba, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if ((size != 4 && size != 8) || rel % size != 0) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT, "msix %s: %u-byte access at 0x%x",
		    pba ? "pba" : "table", size, rel);
		if (!write)
			*v = 0;
		return;
	}
	if (pba) {
		if (!write)
			*v = (d->msix_pba >> (8 * rel)) & size_mask(size);
		return;		/* the PBA is read-only */
	}
	if (!write) {
		*v = leN_load(d->msix_table + rel, size);
		return;
	}
	for (unsigned i = 0; i < size; i += 4) {
		uint32_t o = rel + i;
		uint32_t val = (uint32_t)(*v >> (8 * i));
		if (o % 16 == 12) {
			le32_store(d->msix_table + o, val & 1);	/* only the mask bit is writable */
			msix_flush_pending(d);
		} else {
			le32_store(d->msix_table + o, val);
		}
	}
}

/* ------------------------------------------------------------------ BAR dispatch */

static const struct vpci_region *find_region(const struct vpci *d, unsigned bar, uint64_t off)
{
	for (unsigned i = 0; i < d->nreg; i++)
		if (d->reg[i].bar == bar && off >= d->reg[i].off && off - d->reg[i].off < d->reg[i].len)
			return &d->reg[i];
	return NULL;
}

static void bar_access(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t *v, bool write)
{
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "bar%u: %u-byte access at 0x%llx", bar,
		    size, (unsigned long long)off);
		if (!write)
			*v = UINT64_MAX;
		return;
	}
	const struct vpci_region *r = find_region(d, bar, off);
	if (r == NULL || off + size > (uint64_t)r->off + r->len) {
		if (r != NULL && r->kind == R_DEVICE) {
			device_access(d, (uint32_t)(off - r->off), size, v, write);
			return;
		}
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT,
		    "bar%u: %u-byte %s at 0x%llx hits no register", bar, size, write ? "write" : "read",
		    (unsigned long long)off);
		if (!write)
			*v = size_mask(size);
		return;
	}
	uint32_t rel = (uint32_t)(off - r->off);
	switch (r->kind) {
	case R_COMMON: common_access(d, rel, size, v, write); break;
	case R_ISR: isr_access(d, rel, size, v, write); break;
	case R_DEVICE: device_access(d, rel, size, v, write); break;
	case R_NOTIFY: notify_access(d, rel, size, v, write); break;
	case R_MSIX_TABLE: msix_access(d, false, rel, size, v, write); break;
	case R_MSIX_PBA: msix_access(d, true, rel, size, v, write); break;
	}
}

uint64_t vpci_bar_read(struct vpci *d, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	bar_access(d, bar, off, size, &v, false);
	if (size < 8)
		v &= size_mask(size);
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, false, false, bar, off, size, v);
	if (d->isr_deassert) {
		d->isr_deassert = false;
		intx_update(d, "isr read");
	}
	return v;
}

void vpci_bar_write(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
	if (size < 8)
		value &= size_mask(size);
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, true, false, bar, off, size, value);
	bar_access(d, bar, off, size, &value, true);
}

/* ------------------------------------------------------------------ config space */

static bool overlaps(uint32_t off, unsigned size, uint32_t start, unsigned len)
{
	return off < start + len && start < off + size;
}

/* The PCI_CFG capability's window onto the structures BAR (QEMU virtio_read/write_config). */
static void pcicfg_window(struct vpci *d, bool write)
{
	uint8_t c = d->cap_pcicfg;
	uint8_t bar = d->cfg[c + 4];
	uint32_t off = le32_load(d->cfg + c + 8), len = le32_load(d->cfg + c + 12);
	if (len != 1 && len != 2 && len != 4)
		return;
	/* qemu: the window always targets the modern BAR; vbox: the BAR must be the structures BAR */
	if (!d->qemu && bar != d->struct_bar) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "pci_cfg window names bar%u", bar);
		return;
	}
	uint64_t v = le32_load(d->cfg + c + 16) & size_mask(len);
	if (write) {
		vpci_bar_write(d, d->struct_bar, off, len, v);
	} else {
		v = vpci_bar_read(d, d->struct_bar, off, len);
		leN_store(d->cfg + c + 16, len, v);
	}
}

static bool cfg_size_ok(struct vpci *d, uint32_t off, unsigned size, bool write)
{
	if ((size == 1 || size == 2 || size == 4) && off < 256 && off + size <= 256 && (off & (size - 1)) == 0)
		return true;
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "config space: %u-byte %s at 0x%x", size,
	    write ? "write" : "read", off);
	return false;
}

uint64_t vpci_cfg_read(struct vpci *d, uint32_t off, unsigned size)
{
	uint64_t v;
	if (!cfg_size_ok(d, off, size, false)) {
		v = size_mask(size > 8 ? 8 : size);
	} else {
		if (overlaps(off, size, d->cap_pcicfg + 16u, 4))
			pcicfg_window(d, false);
		v = leN_load(d->cfg + off, size);
	}
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, false, true, 0, off, size, v);
	return v;
}

void vpci_cfg_write(struct vpci *d, uint32_t off, unsigned size, uint64_t value)
{
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, true, true, 0, off, size, value);
	if (!cfg_size_ok(d, off, size, true))
		return;
	uint16_t old_ctrl = le16_load(d->cfg + d->cap_msix + 2);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i)), m = d->wmask[off + i];
		d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) | (b & m));
	}
	if (overlaps(off, size, d->cap_pcicfg + 16u, 4))
		pcicfg_window(d, true);
	if (overlaps(off, size, d->cap_msix + 2u, 2) && le16_load(d->cfg + d->cap_msix + 2) != old_ctrl)
		msix_flush_pending(d);
	if (overlaps(off, size, 0x04, 2) || overlaps(off, size, d->cap_msix + 2u, 2))
		intx_update(d, "command");
}

void vpci_reg_name(struct vpci *d, bool cfg, unsigned bar, uint64_t off, unsigned size, char *out, size_t outlen)
{
	if (cfg)
		vpci_name_cfg(d, (uint32_t)off, size, out, outlen);
	else
		vpci_name_bar(d, bar, off, size, out, outlen);
}

int vpci_input(struct vpci *d, const struct vdev_input *in, char **cause)
{
	if (d->ops->input == NULL)
		return cause_set(cause, "device %s takes no host input", d->ops->name);
	return d->ops->input(d->dev, in, cause);
}

/* ------------------------------------------------------------------ services for device models */

struct virtq *vdev_queue(struct vdev_ctx *ctx, unsigned index)
{
	return index < ctx->d->nq ? ctx->d->q[index] : NULL;
}

unsigned vdev_num_queues(const struct vdev_ctx *ctx)
{
	return ctx->d->nq;
}

uint64_t vdev_features(const struct vdev_ctx *ctx)
{
	return cur_features(ctx->d);
}

bool vdev_has_feature(const struct vdev_ctx *ctx, unsigned bit)
{
	return bit < 64 && (cur_features(ctx->d) >> bit & 1);
}

int vdev_layout(const struct vdev_ctx *ctx)
{
	return ctx->d->qemu ? VDEV_LAYOUT_QEMU : VDEV_LAYOUT_VBOX;
}

struct evbus *vdev_bus(struct vdev_ctx *ctx)
{
	return ctx->d->bus;
}

void vdev_queue_attach(struct vdev_ctx *ctx, unsigned index, const char *name)
{
	struct vpci *d = ctx->d;
	if (index >= d->nq || name == NULL)
		return;
	snprintf(d->qname[index], VIRTQ_NAME_MAX, "%s", name);
	virtq_rename(d->q[index], d->qname[index]);
}

void vdev_reset_all(struct vdev_ctx *ctx)
{
	struct vpci *d = ctx->d;
	if (d->status & ST_NEEDS_RESET)
		return;
	d->status |= ST_NEEDS_RESET;
	note(d, "device asks for a reset: status 0x%02x", d->status);
	config_irq(d, false);
}

void vdev_config_changed(struct vdev_ctx *ctx)
{
	config_irq(ctx->d, true);
}

void vdev_violation(struct vdev_ctx *ctx, const char *name, int queue, int desc, uint64_t addr, bool needs_reset,
    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	violate_v(ctx->d, name, queue, desc, addr, needs_reset ? REACT_FATAL : REACT_REPORT, fmt, ap);
	va_end(ap);
}

void vdev_note(struct vdev_ctx *ctx, const char *fmt, ...)
{
	struct vpci *d = ctx->d;
	if (!evbus_wants(d->bus, VR_EV_NOTE))
		return;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct vr_event ev;
	ev.kind = VR_EV_NOTE;
	ev.u.note.text = text;
	evbus_emit(d->bus, &ev);
}

int vdev_dma_read(struct vdev_ctx *ctx, uint64_t addr, void *dst, uint32_t len)
{
	return gmem_read(ctx->d->m, addr, dst, len);
}

int vdev_dma_write(struct vdev_ctx *ctx, uint64_t addr, const void *src, uint32_t len, const char *what)
{
	struct vpci *d = ctx->d;
	if (gmem_write(d->m, addr, src, len) < 0)
		return -1;
	if (evbus_wants(d->bus, VR_EV_DMA)) {
		struct vr_event ev;
		ev.kind = VR_EV_DMA;
		ev.u.dma.addr = addr;
		ev.u.dma.data = src;
		ev.u.dma.len = len;
		ev.u.dma.what = what ? what : "dma";
		evbus_emit(d->bus, &ev);
	}
	return 0;
}
