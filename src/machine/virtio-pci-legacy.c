/* virtio-pci-legacy.c -- the legacy (virtio 0.9.5) register block in the I/O BAR of legacy and transitional devices */
#include "machine.h"

/*
 * VirtIO 1.0 section 4.1.4.8 ("Legacy Interfaces: A Note on PCI Device
 * Layout") and QEMU's virtio_ioport_read/write: twenty bytes of registers,
 * two MSI-X vector registers while MSI-X is enabled, then the device
 * config. A legacy driver negotiates 32 feature bits by writing them (there
 * is no FEATURES_OK), and hands each queue over as one page frame number:
 * the rings lie in the legacy layout (spec 2.4.2), the used ring on the
 * next 4 KiB boundary after the avail ring. Fields are guest-endian; the
 * guests modelled here are little-endian (x86), so they read as the modern
 * ones do.
 *
 * Registers the modern common config has too (queue select, status, the
 * vectors, queue size for reads) go through its field handlers, so both
 * interfaces of a transitional device share one set of rules.
 */

const struct vpci_reg vpci_legacy_regs[VPCI_LG_COUNT] = {
	[VPCI_LG_HOST_FEATURES] = { VIRTIO_PCI_LEGACY_HOST_FEATURES, 4, "host_features" },
	[VPCI_LG_GUEST_FEATURES] = { VIRTIO_PCI_LEGACY_GUEST_FEATURES, 4, "guest_features" },
	[VPCI_LG_QUEUE_PFN] = { VIRTIO_PCI_LEGACY_QUEUE_PFN, 4, "queue_pfn" },
	[VPCI_LG_QUEUE_NUM] = { VIRTIO_PCI_LEGACY_QUEUE_NUM, 2, "queue_num" },
	[VPCI_LG_QUEUE_SEL] = { VIRTIO_PCI_LEGACY_QUEUE_SEL, 2, "queue_sel" },
	[VPCI_LG_QUEUE_NOTIFY] = { VIRTIO_PCI_LEGACY_QUEUE_NOTIFY, 2, "queue_notify" },
	[VPCI_LG_STATUS] = { VIRTIO_PCI_LEGACY_STATUS, 1, "status" },
	[VPCI_LG_ISR] = { VIRTIO_PCI_LEGACY_ISR, 1, "isr" },
	[VPCI_LG_MSIX_CONFIG] = { VIRTIO_PCI_LEGACY_MSIX_CONFIG, 2, "msix_config" },
	[VPCI_LG_QUEUE_VECTOR] = { VIRTIO_PCI_LEGACY_QUEUE_VECTOR, 2, "queue_vector" },
};

/* The common-config field a legacy register shares (-1: its own rules below). */
static const int shared_field[VPCI_LG_COUNT] = {
	[VPCI_LG_HOST_FEATURES] = -1, [VPCI_LG_GUEST_FEATURES] = -1, [VPCI_LG_QUEUE_PFN] = -1,
	[VPCI_LG_QUEUE_NUM] = VPCI_CF_QSIZE, [VPCI_LG_QUEUE_SEL] = VPCI_CF_QSEL, [VPCI_LG_QUEUE_NOTIFY] = -1,
	[VPCI_LG_STATUS] = VPCI_CF_STATUS, [VPCI_LG_ISR] = -1, [VPCI_LG_MSIX_CONFIG] = VPCI_CF_MSIX,
	[VPCI_LG_QUEUE_VECTOR] = VPCI_CF_QMSIX,
};

static bool msix_on(const struct vpci *d)
{
	return msix_enabled(&d->msix, &d->pci);
}

uint32_t vpci_legacy_config_off(const struct vpci *d)
{
	return d->prof->legacy_msix_regs && msix_on(d) ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG;
}

uint32_t vpci_legacy_bar_size(const struct vpci *d, bool msix)
{
	/* QEMU sizes for the larger block whenever the function has MSI-X at all */
	uint32_t n = (msix && d->prof->legacy_msix_regs ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG) +
	    d->devcfg_size;
	uint32_t size = 1;
	while (size < n)
		size <<= 1;
	return size;
}

uint32_t vpci_legacy_only(const struct vpci *d)
{
	return vdev_legacy_only_features(d->ops, d->setup.layout, d->xp->modern);
}

uint64_t vpci_legacy_offered(const struct vpci *d)
{
	if (d->xp->legacy_bar == VPCI_NO_BAR)
		return 0;
	return ((uint32_t)d->offered | vpci_legacy_only(d)) & ~(1ull << VIRTIO_F_BAD_FEATURE);
}

bool vpci_is_legacy(const struct vpci *d)
{
	return d->legacy || d->setup.transport == VDEV_TRANSPORT_LEGACY;
}

/* The register at rel: exact start, or -1. Vector registers exist only while the block has them. */
static int find_reg(const struct vpci *d, uint32_t rel)
{
	uint32_t end = vpci_legacy_config_off(d);
	for (int i = 0; i < VPCI_LG_COUNT; i++)
		if (vpci_legacy_regs[i].off == rel && rel < end)
			return i;
	return -1;
}

static void guest_features(struct vpci *d, uint64_t v)
{
	uint64_t offered = vpci_legacy_offered(d);
	/*
	 * QEMU's virtio_set_features refuses once FEATURES_OK is in the status
	 * (whoever set it): the device's features stay as they are.
	 */
	if (d->prof->legacy_features_as_qemu && (d->status & VIRTIO_STATUS_FEATURES_OK)) {
		vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, v, REACT_REPORT,
		    "legacy guest_features 0x%llx written after FEATURES_OK: refused", (unsigned long long)v);
		return;
	}
	if (d->prof->legacy_bad_feature && (v >> VIRTIO_F_BAD_FEATURE & 1)) {
		/*
		 * QEMU: "guest does not negotiate properly": it gets what the device
		 * type's bad_features names (virtio-net: what Linux 2.6.25 knew), as
		 * far as offered, and most types nothing at all.
		 */
		const struct vdev_defaults *df = vdev_defaults(d->ops, d->setup.layout);
		uint32_t bad = df != NULL ? df->bad_features : 0;

		vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, v, REACT_REPORT,
		    "legacy guest_features 0x%llx acks BAD_FEATURE: negotiated 0x%llx instead", (unsigned long long)v,
		    (unsigned long long)(bad & offered));
		v = bad;
	} else if (v & ~offered) {
		vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, v, REACT_REPORT,
		    "legacy guest_features 0x%llx: not offered bits 0x%llx", (unsigned long long)v,
		    (unsigned long long)(v & ~offered));
	}
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		vpci_note(d, "legacy guest_features written after DRIVER_OK");
	/* QEMU's driver_feature registers belong to the modern interface: a legacy write leaves them */
	if (!d->prof->legacy_features_as_qemu) {
		d->gf[0] = (uint32_t)v;
		d->gf[1] = 0;
	}
	d->features = v & offered;
	d->legacy = true;
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK))
		vpci_features_written(d, d->features);
}

/* The rings of the selected queue from one page frame number (spec 2.4.2, legacy layout). */
static void queue_pfn(struct vpci *d, uint64_t pfn)
{
	unsigned qi = d->queue_select;
	if (qi >= d->nq) {
		vpci_violate(d, VIOL_QUEUE_SELECT_RANGE, (int)qi, -1, pfn, REACT_REPORT,
		    "legacy queue_pfn for queue %u, device has %u", qi, d->nq);
		/* QEMU's virtio_ioport_write resets on pfn 0 before it looks at the queue */
		if (!(pfn == 0 && d->prof->legacy_pfn0_resets_device))
			return;
	}
	if (pfn == 0) {
		if (d->prof->legacy_pfn0_resets_device) {
			vpci_note(d, "legacy queue_pfn 0 for queue %u: device reset", qi);
			vpci_set_status(d, 0);
		} else {
			vpci_queue_reset(d, qi);
			vpci_note(d, "legacy queue_pfn 0: queue %u reset", qi);
		}
		return;
	}
	struct vpci_qregs *r = &d->qr[qi];
	uint16_t n = r->size;
	uint64_t desc = pfn << VIRTIO_LEGACY_PFN_SHIFT;
	uint64_t avail = desc + (uint64_t)VIRTQ_DESC_SIZE * n;
	uint64_t used = (avail + 6 + 2ull * n + VIRTIO_LEGACY_ALIGN - 1) & ~(uint64_t)(VIRTIO_LEGACY_ALIGN - 1);
	/*
	 * QEMU's virtio_queue_set_addr moves the rings of a live queue and
	 * keeps its indices and vector (measured: the next chain is taken from
	 * the avail slot after the last one taken, at the new place); vbox
	 * starts the queue over there.
	 */
	bool moved = virtq_started(d->q[qi]) && d->prof->legacy_pfn_ring_only;
	if (virtq_started(d->q[qi]) && !moved) {
		vpci_note(d, "legacy queue_pfn rewritten for running queue %u: queue restarted", qi);
		vpci_queue_reset(d, qi);
	}
	/*
	 * QEMU's virtio_queue_set_addr places the ring; queue_enable and the
	 * address registers are its proxy's, which only the modern interface
	 * writes: a legacy driver's running queue reads queue_enable 0 there.
	 */
	if (!d->prof->legacy_pfn_ring_only) {
		r->desc[0] = (uint32_t)desc;
		r->desc[1] = (uint32_t)(desc >> 32);
		r->avail[0] = (uint32_t)avail;
		r->avail[1] = (uint32_t)(avail >> 32);
		r->used[0] = (uint32_t)used;
		r->used[1] = (uint32_t)(used >> 32);
		r->enable = 1;
	}
	struct virtq_result res;
	res.n = 0;
	res.refused = false;
	int rc = moved ? virtq_remap(d->q[qi], n, desc, avail, used, vpci_cur_features(d), &res) :
	    virtq_start(d->q[qi], n, desc, avail, used, vpci_cur_features(d), &res);
	vpci_ring_reports(d, qi, &res);
	if (rc < 0 && !d->prof->refused_queue_reads_enabled && !d->prof->legacy_pfn_ring_only)
		r->enable = 0;
	vpci_note(d, "queue %u enabled (legacy pfn 0x%llx): size %u desc 0x%llx avail 0x%llx used 0x%llx", qi,
	    (unsigned long long)pfn, n, (unsigned long long)desc, (unsigned long long)avail, (unsigned long long)used);
}

static uint64_t reg_get(struct vpci *d, int reg)
{
	if (shared_field[reg] >= 0)
		return vpci_common_get(d, shared_field[reg], 0);
	switch (reg) {
	case VPCI_LG_HOST_FEATURES:
		return (uint32_t)d->offered | vpci_legacy_only(d);
	case VPCI_LG_GUEST_FEATURES:
		/* QEMU's vdev->guest_features: a modern driver's driver_feature writes apply as they come */
		return (uint32_t)(d->prof->legacy_features_as_qemu ? vpci_cur_features(d) : d->features);
	case VPCI_LG_QUEUE_PFN:
		/* the ring's own address (QEMU's virtio_queue_get_addr), whichever interface placed it */
		if (d->queue_select >= d->nq)
			return 0;
		return (uint32_t)(virtq_desc_addr(d->q[d->queue_select]) >> VIRTIO_LEGACY_PFN_SHIFT);
	case VPCI_LG_ISR:
		return intx_isr_read(&d->intx);
	default:
		/* queue_notify: vbox reads 0; QEMU's virtio_ioport_read has no case for it, all ones */
		return d->prof->legacy_lax_size ? UINT32_MAX : 0;
	}
}

static void reg_set(struct vpci *d, int reg, uint64_t v, uint32_t rel)
{
	switch (reg) {
	case VPCI_LG_GUEST_FEATURES: guest_features(d, v); return;
	case VPCI_LG_QUEUE_PFN: queue_pfn(d, v); return;
	case VPCI_LG_QUEUE_NOTIFY: vpci_notify_queue(d, (unsigned)v, rel); return;
	case VPCI_LG_STATUS:
		vpci_common_set(d, VPCI_CF_STATUS, 0, v);
		if (d->prof->legacy_status_sets_master && v == (VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER)) {
			uint64_t map[VPCI_MAP_STATE];

			vpci_map_state(d, map);
			vpci_bus_master(d, true);
			vpci_map_commit(d, map);
		}
		return;
	case VPCI_LG_QUEUE_SEL: case VPCI_LG_MSIX_CONFIG: case VPCI_LG_QUEUE_VECTOR:
		vpci_common_set(d, shared_field[reg], 0, v);
		return;
	default:
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT, "legacy: %s is read-only",
		    vpci_legacy_regs[reg].name);
		return;
	}
}

void vpci_legacy_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	uint32_t cfg = vpci_legacy_config_off(d);
	if (rel >= cfg) {
		vpci_devcfg_access(d, rel - cfg, size, v, write);
		return;
	}
	int reg = find_reg(d, rel);
	if (reg < 0 || size != vpci_legacy_regs[reg].size) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT,
		    "legacy: %u-byte %s at 0x%x does not match a register", size, write ? "write" : "read", rel);
		/* QEMU dispatches on the offset alone; nothing there reads all-ones */
		if (!d->prof->legacy_lax_size || reg < 0) {
			if (!write)
				*v = d->prof->legacy_lax_size ? pci_size_mask(size) : 0;
			return;
		}
	}
	if (write)
		reg_set(d, reg, *v & pci_size_mask(size), rel);
	else
		*v = reg_get(d, reg) & pci_size_mask(size);
}
