/* vpci.c -- the virtio-pci transport core: setup, interrupts, violations, status and features, model services */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "machine.h"

/*
 * The layout and every behaviour difference between profiles come from
 * the profile table (profile.c); this file tests its named switches. The
 * guest's accesses (BAR dispatch, config space, the PCI_CFG window) are in
 * vpci-access.c, the register regions of the modern interface in virtio-pci-modern.c, the
 * legacy block in virtio-pci-legacy.c, the PCI function, MSI-X and INTx in
 * pci.c, msix.c and intx.c.
 */

#define VPCI_MSIX_LIMIT	2048		/* PCI: table size field is 11 bits */

/* ------------------------------------------------------------------ setup */

static void regs_reset(struct vpci *d, bool power_on)
{
	if (power_on || !d->prof->keep_features_on_reset) {
		d->dfselect = d->gfselect = 0;
		d->gf[0] = d->gf[1] = 0;
	}
	d->features = 0;
	d->live = 0;
	d->msix_config = VPCI_NO_VECTOR;
	d->status = 0;
	d->intx.isr = 0;
	d->queue_select = 0;
	d->broken = false;
	d->legacy = false;
	/* QEMU's virtio_pci_reset: msix_unuse_all_vectors clears every pending bit */
	if (d->prof->msix_unuse_clears_pending && d->msix.pba != NULL)
		memset(d->msix.pba, 0, msix_pba_words(&d->msix) * sizeof *d->msix.pba);
	for (unsigned i = 0; i < d->nq; i++)
		vpci_queue_reset(d, i);
	for (unsigned i = d->nq; i < d->nqr; i++) {
		memset(&d->qr[i], 0, sizeof d->qr[i]);
		d->qr[i].vector = VPCI_NO_VECTOR;
	}
	/* queues taken away stay away: QEMU's reset gives them their num_default, 0 */
	for (unsigned i = d->nq; i < d->nqall; i++)
		virtq_reset(d->q[i]);
	vpci_gate(d);
}

void vpci_queue_reset(struct vpci *d, unsigned qi)
{
	memset(&d->qr[qi], 0, sizeof d->qr[qi]);
	d->qr[qi].size = d->qmax[qi];
	d->qr[qi].vector = VPCI_NO_VECTOR;
	virtq_reset(d->q[qi]);
}

/*
 * QEMU's virtio_del_queue and virtio_add_queue on a running device (virtio-
 * net's pairs come and go with MQ). queue_size reads the new maximum (0
 * once gone, like any select without a queue); the rest of its registers
 * (vector, enable, addresses) stay, as QEMU's virtio_del_queue and
 * virtio_add_queue leave them and its proxy keeps them, and so does the
 * ring: addresses and indices, its size the new maximum (measured on QEMU
 * 7.2: the control queue added at rx1's place serves rx1's posted buffers).
 * Its ring caches go (virtio_delete_queue) until QEMU maps it again: a
 * feature write with EVENT_IDX (as virtio-net's MQ change is), a memory
 * commit, a queue_enable.
 */
void vpci_set_queue_count(struct vpci *d, unsigned n, const unsigned *from)
{
	unsigned old = d->nq;

	if (n == 0 || n > d->nqall)
		return;
	for (unsigned i = 0; i < d->nqall; i++) {
		unsigned src = from != NULL && i < n ? from[i] : i;
		uint16_t max = i < n && src < d->nqall ? d->qmax0[src] : 0;

		if ((i < old) == (i < n) && max == d->qmax[i])
			continue;
		d->qmax[i] = max;
		d->qr[i].size = max;
		virtq_renum(d->q[i], max);
		/* QEMU deleted the queue there (virtio_delete_queue): its ring caches go with it */
		if (d->prof->remap_on_commit)
			virtq_drop_caches(d->q[i]);
		if (i < n && d->ops->queue_name != NULL) {
			d->ops->queue_name(i, (uint16_t)n, d->qname[i]);
			d->qname[i][VIRTQ_NAME_MAX - 1] = '\0';
			virtq_rename(d->q[i], d->qname[i]);
		}
	}
	d->nq = (uint16_t)n;
	vpci_gate(d);
	if (n != old)
		vpci_note(d, "queues: %u -> %u", old, n);
}

/* QEMU's virtio_init_region_cache on queue qi (virtq_map_again), what it refuses reported; when: for the report. */
void vpci_map_again(struct vpci *d, unsigned qi, const char *when)
{
	struct virtq_result res;

	res.n = 0;
	res.refused = false;
	if (virtq_map_again(d->q[qi], when, &res) < 0)
		vpci_ring_reports(d, qi, &res);
}

void vpci_features_written(struct vpci *d, uint64_t features)
{
	if (d->ops->features_written != NULL)
		d->ops->features_written(d->dev, features);
	/* then the queues already started take them (QEMU's virtio_set_features: the device's, then the caches) */
	for (unsigned i = 0; i < d->nq; i++) {
		struct virtq_result res;

		res.n = 0;
		res.refused = false;
		if (virtq_features_changed(d->q[i], features, &res) < 0)
			vpci_ring_reports(d, i, &res);
	}
}

void vpci_gate(struct vpci *d)
{
	bool live = !d->broken && (d->prof->queue_live_before_driver_ok || (d->status & VIRTIO_STATUS_DRIVER_OK));
	for (unsigned i = 0; i < d->nq; i++)
		virtq_set_live(d->q[i], live);
}

static int check_setup(const struct vpci_setup *s, uint16_t nq, char **cause)
{
	if (nq == 0 || nq > VIRTQ_MAX_QUEUES)
		return cause_set(cause, "device: %u queues (1 to %d)", nq, VIRTQ_MAX_QUEUES);
	if (s->nram > 16)
		return cause_set(cause, "device: %u ram regions (at most 16)", s->nram);
	if (s->nunassigned > 8)
		return cause_set(cause, "device: %u unassigned ranges (at most 8)", s->nunassigned);
	if (s->nrom > 4)
		return cause_set(cause, "device: %u rom ranges (at most 4)", s->nrom);
	if (s->devcfg != NULL && s->devcfg_len > sizeof ((struct vpci *)0)->devcfg_copy)
		return cause_set(cause, "device: %u bytes of device config (at most 256)", s->devcfg_len);
	if (s->msix_vectors > VPCI_MSIX_LIMIT)
		return cause_set(cause, "device: %u msi-x vectors (at most %d)", s->msix_vectors, VPCI_MSIX_LIMIT);
	for (unsigned i = 0; i < nq; i++)
		if (s->queue_max[i] > VIRTQ_MAX_SIZE || (s->queue_max[i] & (s->queue_max[i] - 1)) != 0)
			return cause_set(cause, "device: queue %u maximum size %u (a power of two up to %d)", i,
			    s->queue_max[i], VIRTQ_MAX_SIZE);
	return 0;
}

struct vpci *vpci_new(const struct vpci_setup *s, struct evbus *bus, char **cause)
{
	if (s->ops == NULL)
		return cause_set(cause, "device: no device model"), NULL;
	const struct vpci_profile *prof = vpci_profile_find(s->layout);
	if (prof == NULL)
		return cause_set(cause, "device: unknown layout profile %d", s->layout), NULL;
	const struct vdev_defaults *df = vdev_defaults(s->ops, s->layout);
	const struct vpci_transport *xp = vpci_transport_find(s->layout, s->transport);
	if (xp == NULL)
		return cause_set(cause, "device: unknown transport %d", s->transport), NULL;
	if (xp->legacy_bar != VPCI_NO_BAR && vpci_legacy_device_id(s->ops->id) == 0)
		return cause_set(cause, "device: %s (virtio id %u) has no legacy PCI device id; transport %s needs one",
		    s->ops->name, s->ops->id, xp->name), NULL;
	uint16_t nq = s->nqueues ? s->nqueues : df != NULL && df->nqueues ? df->nqueues : s->ops->default_queues;
	if (check_setup(s, nq, cause) < 0)
		return NULL;

	struct vpci *d = xcalloc(1, sizeof *d);
	d->ctx = xcalloc(1, sizeof *d->ctx);
	d->ctx->d = d;
	d->bus = bus;
	d->ops = s->ops;
	d->prof = prof;
	d->xp = xp;
	d->setup = *s;
	d->nq = d->nqall = nq;
	d->offered = s->offered ? s->offered | (1ull << VIRTIO_F_VERSION_1) : vdev_default_features(s->ops, s->layout, nq);
	if (!xp->modern) {
		d->offered &= ~(1ull << VIRTIO_F_VERSION_1);	/* a legacy-only device does not offer VERSION_1 */
		if (df != NULL)
			d->offered |= df->no_v1_on;
	}
	d->devcfg_size = vdev_config_size(s->ops, s->layout, d->offered);
	if (s->devcfg != NULL && s->devcfg_len > 0) {
		memcpy(d->devcfg_copy, s->devcfg, s->devcfg_len);
		d->setup.devcfg = d->devcfg_copy;
	}
	if (s->nram > 0)
		memcpy(d->ram_copy, s->ram, s->nram * sizeof *s->ram);
	d->setup.ram = d->ram_copy;
	if (s->nunassigned > 0)
		memcpy(d->unassigned_copy, s->unassigned, s->nunassigned * sizeof *s->unassigned);
	d->setup.unassigned = d->unassigned_copy;
	if (s->nrom > 0)
		memcpy(d->rom_copy, s->rom, s->nrom * sizeof *s->rom);
	d->setup.rom = d->rom_copy;
	if (s->serial != NULL)
		d->setup.serial = d->serial_copy = xstrdup(s->serial);
	d->qmax = xcalloc(nq, sizeof *d->qmax);
	d->qmax0 = xcalloc(nq, sizeof *d->qmax0);
	/* QEMU keeps queue registers for every select below 1024, queue or not */
	d->nqr = prof->queue_regs_per_select && nq < VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : nq;
	d->qr = xcalloc(d->nqr, sizeof *d->qr);
	d->q = xcalloc(nq, sizeof *d->q);
	d->qname = xcalloc(nq, sizeof *d->qname);
	d->m = gmem_new();
	for (unsigned i = 0; i < s->nram; i++) {
		if (gmem_add_region(d->m, s->ram[i].base, s->ram[i].size, cause) < 0) {
			cause_prefix(cause, "device");
			vpci_free(d);
			return NULL;
		}
	}
	/* Only a profile that maps as QEMU looks at the rest of the machine; the others refuse it all. */
	for (unsigned i = 0; prof->ring.map_as_qemu && i < s->nunassigned + s->nrom; i++) {
		bool rom = i >= s->nunassigned;
		const struct vpci_ram *r = rom ? &s->rom[i - s->nunassigned] : &s->unassigned[i];
		if (gmem_add_unassigned(d->m, r->base, r->size, rom, cause) < 0) {
			cause_prefix(cause, "device");
			vpci_free(d);
			return NULL;
		}
	}
	for (unsigned i = 0; i < nq; i++) {
		d->qmax[i] = s->queue_max[i] ? s->queue_max[i] : vdev_default_queue_size(s->ops, s->layout, i, nq);
		d->qmax0[i] = d->qmax[i];
		if (s->ops->queue_name != NULL)
			s->ops->queue_name(i, nq, d->qname[i]);
		else
			snprintf(d->qname[i], VIRTQ_NAME_MAX, "q%u", i);
		d->qname[i][VIRTQ_NAME_MAX - 1] = '\0';
		d->q[i] = virtq_new(d, d->m, bus, i, d->qname[i], s->ops->name, &prof->ring);
	}
	vpci_layout(d);
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
		.serial = d->setup.serial,
		.disk = s->disk,
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
	for (unsigned i = 0; i < d->nqall && d->q != NULL; i++)
		virtq_free(d->q[i]);
	msix_free(&d->msix);
	gmem_free(d->m);
	free(d->qmax);
	free(d->qmax0);
	free(d->qr);
	free(d->q);
	free(d->qname);
	free(d->serial_copy);
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

/* ------------------------------------------------------------------ events */

void vpci_note_v(struct vpci *d, const char *fmt, va_list ap)
{
	if (!evbus_wants(d->bus, VR_EV_NOTE))
		return;
	char text[256];
	vsnprintf(text, sizeof text, fmt, ap);
	struct vr_event ev;
	ev.kind = VR_EV_NOTE;
	ev.u.note.text = text;
	evbus_emit(d->bus, &ev);
}

void vpci_note(struct vpci *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpci_note_v(d, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ interrupts */

struct msix_out vpci_msix_out(const struct vpci *d)
{
	struct msix_out o = { d->bus, d->m, d->intx.isr };
	return o;
}

bool vpci_msix_on(const struct vpci *d)
{
	return msix_enabled(&d->msix, &d->pci);
}

bool vpci_intx_wanted(const struct vpci *d)
{
	return intx_wanted(&d->intx, &d->pci, vpci_msix_on(d), d->prof->intx_isr_mask);
}

void vpci_intx_sync(struct vpci *d, const char *why)
{
	intx_update(&d->intx, &d->pci, d->bus, vpci_msix_on(d), d->prof->intx_isr_mask, why);
}

/* Raise an interrupt for vector v or the ISR bits: MSI-X when enabled, else INTx. */
static void raise(struct vpci *d, uint16_t v, uint8_t isr_bits, const char *why)
{
	bool on = vpci_msix_on(d);
	if (d->prof->isr_with_msix || !on)
		d->intx.isr |= isr_bits;
	if (on) {
		struct msix_out o = vpci_msix_out(d);
		msix_notify(&d->msix, &d->pci, &o, v, why);
	} else {
		d->intx.state = (d->intx.isr & d->prof->intx_isr_mask) != 0;
		vpci_intx_sync(d, why);
	}
}

void vpci_queue_irq(struct vpci *d, unsigned qi)
{
	if (qi >= d->nq)
		return;
	if (d->broken) {
		/* QEMU's virtio_irq sets the ISR first; virtio_notify_vector sends nothing for a broken device */
		if (d->prof->isr_with_msix || !vpci_msix_on(d))
			d->intx.isr |= VIRTIO_ISR_QUEUE;
		return;
	}
	char why[16];
	snprintf(why, sizeof why, "queue %u", qi);
	raise(d, d->qr[qi].vector, VIRTIO_ISR_QUEUE, why);
}

/*
 * A configuration interrupt. cfg_change: the device config bytes changed
 * (vdev_config_changed), as opposed to a NEEDS_RESET announcement.
 */
void vpci_config_irq(struct vpci *d, bool cfg_change)
{
	if (d->prof->generation_on_change && cfg_change)
		d->generation++;
	/* QEMU's virtio_notify_config does nothing before DRIVER_OK */
	if (!(d->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (d->prof->generation_on_notify)
		d->generation++;
	if (d->broken) {
		/* QEMU sets the ISR and counts the generation; virtio_notify_vector sends nothing for a broken device */
		d->intx.isr |= d->prof->config_isr;
		return;
	}
	raise(d, d->msix_config, d->prof->config_isr, "config");
}

/* ------------------------------------------------------------------ violations */

int vpci_violate_v(struct vpci *d, const char *name, int queue, int desc, uint64_t addr, enum vpci_react r,
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
	if (r != REACT_FATAL)
		return -1;
	if (d->prof->fatal_breaks_device) {
		/*
		 * QEMU's virtio_error(): NEEDS_RESET and a config interrupt if VERSION_1
		 * was written, then broken. On a broken device it runs again: the
		 * generation counts, the interrupt is not sent (vpci_config_irq).
		 */
		if (vpci_cur_features(d) >> VIRTIO_F_VERSION_1 & 1) {
			d->status |= VIRTIO_STATUS_NEEDS_RESET;
			vpci_config_irq(d, false);
		}
		if (d->broken)
			return -1;
		d->broken = true;
		vpci_gate(d);
		vpci_note(d, "device broken: status 0x%02x, requests ignored until reset", d->status);
		return -1;
	}
	/* The violating queue stops; NEEDS_RESET and a config interrupt. */
	if (queue >= 0 && (unsigned)queue < d->nq)
		virtq_halt(d->q[queue]);
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	vpci_config_irq(d, false);
	vpci_note(d, "queue %d stopped: status 0x%02x", queue, d->status);
	return -1;
}

int vpci_violate(struct vpci *d, enum violation v, int queue, int desc, uint64_t addr, enum vpci_react r,
    const char *fmt, ...)
{
	va_list ap;
	/* a piece of a split access: the whole access was reported already */
	if (d->in_pieces && v == VIOL_BAR_ACCESS_BAD && r == REACT_REPORT)
		return -1;
	va_start(ap, fmt);
	vpci_violate_v(d, violation_name(v), queue, desc, addr, r, fmt, ap);
	va_end(ap);
	return -1;
}

int vpci_ring_reports(struct vpci *d, unsigned qi, const struct virtq_result *res)
{
	for (unsigned i = 0; i < res->n; i++) {
		const struct virtq_report *r = &res->r[i];
		vpci_violate(d, r->v, (int)qi, r->desc, r->addr, r->fatal ? REACT_FATAL : REACT_REPORT, "%s",
		    r->detail);
	}
	return res->refused ? -1 : 0;
}

/* ------------------------------------------------------------------ status, reset, features */

static void device_reset(struct vpci *d)
{
	if (d->ops->reset != NULL)
		d->ops->reset(d->dev);
	regs_reset(d, false);
	if (!vpci_msix_on(d))
		d->intx.state = false;		/* QEMU's reset notifies: the ISR is 0 now */
	vpci_intx_sync(d, "reset");
	vpci_note(d, "device reset");
}

static void status_written(struct vpci *d)
{
	if (d->ops->status_written != NULL)
		d->ops->status_written(d->dev, d->status);
}

void vpci_set_status(struct vpci *d, uint8_t v)
{
	uint8_t old = d->status;
	if (v == 0) {
		bool was_ok = old & VIRTIO_STATUS_DRIVER_OK;
		d->status = 0;
		vpci_gate(d);
		status_written(d);
		if (was_ok && d->ops->status_changed != NULL)
			d->ops->status_changed(d->dev, false);
		device_reset(d);
		return;
	}
	/* A legacy driver negotiated by writing guest_features; FEATURES_OK means nothing to it (QEMU). */
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) && !vpci_is_legacy(d)) {
		uint64_t want = (uint64_t)d->gf[1] << 32 | d->gf[0];
		uint64_t extra = want & ~d->offered;
		bool v1 = (want >> VIRTIO_F_VERSION_1) & 1;
		bool plat = ((d->offered >> VIRTIO_F_ACCESS_PLATFORM) & 1) && !((want >> VIRTIO_F_ACCESS_PLATFORM) & 1);
		if (extra || !v1 || plat) {
			vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, want, REACT_REPORT,
			    "driver features 0x%llx at FEATURES_OK: %s%s%s", (unsigned long long)want,
			    extra ? "not offered bits set" : "", !v1 ? " VERSION_1 missing" : "",
			    plat ? " ACCESS_PLATFORM refused" : "");
			if (!d->prof->features_ok_despite_bad)
				v &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;	/* FEATURES_OK does not stick */
			else if (plat && v1)
				return;		/* QEMU: virtio_validate_features fails, status unchanged */
		}
		/*
		 * QEMU's virtio_set_features masks silently, and applies each
		 * driver_feature write to the device as it comes: after a reset
		 * that kept the registers, the device has what was written since
		 * (d->live), not what the registers still read.
		 */
		if (v & VIRTIO_STATUS_FEATURES_OK)
			d->features = d->prof->keep_features_on_reset ? d->live : want & vpci_modern_takes(d);
	}
	if (d->prof->needs_reset_sticky)
		v |= old & VIRTIO_STATUS_NEEDS_RESET;
	d->status = v;
	vpci_gate(d);
	status_written(d);
	bool ok = v & VIRTIO_STATUS_DRIVER_OK, was = old & VIRTIO_STATUS_DRIVER_OK;
	if (ok != was && d->ops->status_changed != NULL)
		d->ops->status_changed(d->dev, ok);
	if (v != old)
		vpci_note(d, "status 0x%02x -> 0x%02x", old, v);
}

/*
 * Bus mastering (COMMAND bit 2) as the guest sets it through a COMMAND write
 * or the legacy status quirk (legacy_status_sets_master). QEMU's
 * virtio_write_config takes DRIVER_OK away whenever a COMMAND write leaves it
 * clear (master_off_drops_driver_ok); turning it on again restores nothing.
 */
void vpci_bus_master(struct vpci *d, bool on)
{
	if (on) {
		d->pci.cfg[PCI_CFG_COMMAND] |= PCI_CMD_MASTER;
		return;
	}
	d->pci.cfg[PCI_CFG_COMMAND] &= (uint8_t)~PCI_CMD_MASTER;
	if (d->prof->master_off_drops_driver_ok && (d->status & VIRTIO_STATUS_DRIVER_OK)) {
		vpci_note(d, "bus mastering off: DRIVER_OK dropped");
		vpci_set_status(d, (uint8_t)(d->status & ~VIRTIO_STATUS_DRIVER_OK));
	} else if (d->prof->master_off_drops_driver_ok) {
		status_written(d);	/* QEMU's virtio_set_status with the status as it is */
	}
}

/*
 * QEMU's modern interface hides the legacy-only bits from device_feature
 * but masks driver_feature writes with host_features
 * (virtio_set_features), which hold them: a modern driver that acks
 * NOTIFY_ON_EMPTY, or virtio-net's GSO, has it.
 */
uint64_t vpci_modern_takes(const struct vpci *d)
{
	return d->offered | (d->prof->modern_takes_legacy_features ? vpci_legacy_only(d) : 0);
}

uint64_t vpci_cur_features(const struct vpci *d)
{
	if ((d->status & VIRTIO_STATUS_FEATURES_OK) || vpci_is_legacy(d))
		return d->features;	/* a legacy driver's apply when written */
	return d->live;
}

uint16_t vpci_check_vector(const struct vpci *d, uint64_t v)
{
	/* QEMU's msix_vector_use refuses vectors past the table: the register then reads NO_VECTOR. */
	return v < d->msix.n ? (uint16_t)v : VPCI_NO_VECTOR;
}

/*
 * A queue_msix_vector or msix_config write. QEMU's virtio-pci lets go of the
 * old vector (msix_vector_unuse: when nothing else uses it any more, its
 * pending bit is cleared, even if the same vector is written again) and
 * takes the new one (msix_vector_use: NO_VECTOR past the table).
 */
void vpci_set_vector(struct vpci *d, uint16_t *slot, uint64_t v)
{
	uint16_t old = *slot;

	*slot = VPCI_NO_VECTOR;
	if (d->prof->msix_unuse_clears_pending && old != VPCI_NO_VECTOR) {
		bool used = d->msix_config == old;
		for (unsigned i = 0; i < d->nqr && !used; i++)
			used = d->qr[i].vector == old;
		if (!used)
			msix_clear_pending(&d->msix, old);
	}
	*slot = vpci_check_vector(d, v);
}

/* A kick for queue qi, after the transport checked its own register rules. */
void vpci_notify_queue(struct vpci *d, unsigned qi, uint64_t at)
{
	if (qi >= d->nq) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, at, REACT_REPORT, "notify for queue %u, device has %u",
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
	if (virtq_halted(d->q[qi]) || virtq_unmapped(d->q[qi]))
		return;		/* QEMU's virtio_queue_notify wants vring.desc */
	if (!(d->status & VIRTIO_STATUS_DRIVER_OK)) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, 0, REACT_REPORT,
		    "queue %u notified before DRIVER_OK (status 0x%02x)", qi, d->status);
		if (!d->prof->notify_before_driver_ok_runs)
			return;
	}
	if (d->ops->queue_notified != NULL)
		d->ops->queue_notified(d->dev, qi);
	virtq_complete_later(d->q[qi]);
}

uint64_t vpci_counted(const struct vpci *d)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < d->nqall; i++)
		n += virtq_counted(d->q[i]);
	return n;
}

void vpci_main_loop(struct vpci *d)
{
	if (d->ops->main_loop != NULL)
		d->ops->main_loop(d->dev);
}

int vpci_input(struct vpci *d, const struct vdev_input *in, char **cause)
{
	if (d->ops->input == NULL)
		return cause_set(cause, "device %s takes no host input", d->ops->name);
	d->stimulus++;
	return d->ops->input(d->dev, in, cause);
}

