/* profile.c -- the layout profiles as data: placements, BARs, and the behaviour switches of each */
#include <stddef.h>
#include <string.h>

#include "vr/le.h"

#include "machine.h"

/*
 * qemu: QEMU 7.2 modern virtio-pci (hw/virtio/virtio-pci.c, virtio.c):
 *   caps at 0x40 common, 0x50 isr, 0x60 device, 0x70 notify, 0x84 pci_cfg,
 *   0x98 MSI-X, linked newest first as QEMU's pci_add_capability does
 *   (0x34 -> 0x98 -> 0x84 -> ... -> 0x40); MSI-X in 32-bit BAR1; the
 *   structures in 64-bit prefetchable BAR4 (16 KiB), each region 0x1000
 *   long; multiplier 4.
 * vbox: the VirtIO 1.0 text read strictly (VirtualBox's Virtio_1_0 layout):
 *   caps in ascending order 0x40 common, 0x50 notify, 0x64 isr, 0x74 device
 *   (only with device config), 0x84 pci_cfg, 0x98 MSI-X; MSI-X in 32-bit
 *   BAR0; structures in 32-bit BAR2 (16 KiB) with exact region lengths;
 *   multiplier 2. (Offsets inside the BARs are our choice: the seed fixes
 *   only the BAR numbers and the multiplier.)
 * Each switch is documented in struct vpci_profile and man/virtio-replay-pci.7.
 *
 * Transports (the rows of transports[] below): modern is the layout as
 * above. transitional adds the legacy block in I/O BAR0 (QEMU's default
 * virtio-*-pci: BAR0 I/O legacy, BAR1 MSI-X, BAR4 modern); legacy keeps the
 * I/O BAR0 and MSI-X only (QEMU's disable-modern=on, MSI-X capability at
 * 0x40, the first free offset). VirtualBox keeps its legacy block in BAR0
 * too (VIRTIO_REGION_LEGACY_IO), so its rows move MSI-X to BAR1 (our choice).
 */

static const struct vpci_profile profiles[] = {
	{
		.name = "qemu",
		.id = VDEV_LAYOUT_QEMU,
		.subsys_id = 0x1100,
		.msix_bar = 1,
		.msix_cap = 0x98,
		.struct_bar = 4,
		.struct_bar_flags = PCI_BAR_MEM64 | PCI_BAR_PREFETCH,
		.struct_bar_size = 0x4000,
		.notify_mult = 4,
		.pcicfg_cap = 0x84,
		.place = {
			{ R_COMMON, 0x40, 0x0000, 0x1000 },
			{ R_ISR, 0x50, 0x1000, 0x1000 },
			{ R_DEVICE, 0x60, 0x2000, 0x1000 },
			{ R_NOTIFY, 0x70, 0x3000, 0x1000 },
		},
		.caps_newest_first = true,
		.device_cap_always = true,
		.fatal_breaks_device = true,
		.queue_live_before_driver_ok = true,
		.notify_before_driver_ok_runs = true,
		.keep_features_on_reset = true,
		.features_ok_despite_bad = true,
		.driver_feature_after_ok_kept = true,
		.queue_enable_bad_fatal = true,
		.enable_before_features_ok = true,
		.refused_queue_reads_enabled = true,
		.queue_size_lenient = true,
		.queue_size_live = true,
		.remap_on_commit = true,
		.queue_select_limit = VIRTQ_MAX_SIZE,
		.common_lax_size = true,
		.isr_lax = true,
		.bar_split = true,
		.cfg_unaligned_pieces = true,
		.cfg_spare_writable = true,
		.bar_decode = true,
		.master_off_drops_driver_ok = true,
		.queue_regs_per_select = true,
		.queue_reset_any = true,
		.intx_status_bit = true,
		.intx_latched = true,
		.msix_unuse_clears_pending = true,
		.msix_msi_window = true,
		.msix_ctrl_whole = true,
		.command_wmask = 0x0507,	/* pci_init_wmask: no PARITY */
		.queue_reset_keeps_addrs = true,
		.pcicfg_any_bar = true,
		.isr_with_msix = true,
		.intx_isr_mask = VIRTIO_ISR_QUEUE,
		.config_isr = VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG,
		.generation_on_notify = true,
		.legacy_lax_size = true,
		.legacy_msix_regs = true,
		.legacy_features = 1u << VIRTIO_F_NOTIFY_ON_EMPTY | 1u << VIRTIO_F_ANY_LAYOUT | 1u << VIRTIO_F_BAD_FEATURE,
		.legacy_bad_feature = true,
		.legacy_features_as_qemu = true,
		.legacy_pfn0_resets_device = true,
		.legacy_pfn_ring_only = true,
		.modern_takes_legacy_features = true,
		.legacy_status_sets_master = true,
		.ring = {
			.indirect_with_next_ok = true,
			.zero_len_fatal = true,
			.misaligned_ring_ok = true,
			.avail_jump_ok = true,
			.first_sync_notifies = true,
			.signalled_wrap_guard = true,
			.kick_max = 0,		/* QEMU's in-flight limit: the queue size (vring.num) */
			.notify_off_gates_event = true,
			.async_complete = true,
			.map_as_qemu = true,
			.event_before_walk = true,
			.indirect_head_only = true,
			.count_as_qemu = true,
			.features_follow_device = true,
		},
	},
	{
		.name = "vbox",
		.id = VDEV_LAYOUT_VBOX,
		.msix_bar = 0,
		.msix_cap = 0x98,
		.struct_bar = 2,
		.struct_bar_size = 0x4000,
		.notify_mult = 2,
		.pcicfg_cap = 0x84,
		.place = {
			{ R_COMMON, 0x40, 0x0000, 0 },
			{ R_NOTIFY, 0x50, 0x1000, 0 },
			{ R_ISR, 0x64, 0x2000, 0 },
			{ R_DEVICE, 0x74, 0x3000, 0 },
		},
		.needs_reset_sticky = true,
		.latency_timer_writable = true,
		.notify_strict = true,
		.intx_isr_mask = VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG,
		.config_isr = VIRTIO_ISR_CONFIG,
		.generation_on_change = true,
		.ring = {
			.kick_max = 0,		/* the spec: a queue's worth of chains per notify */
		},
	},
};

static const struct vpci_transport transports[] = {
	{ "modern", VDEV_LAYOUT_QEMU, VDEV_TRANSPORT_MODERN, true, VPCI_NO_BAR, VPCI_NO_BAR, 0 },
	{ "transitional", VDEV_LAYOUT_QEMU, VDEV_TRANSPORT_TRANSITIONAL, true, 0, 1, 0x98 },
	{ "legacy", VDEV_LAYOUT_QEMU, VDEV_TRANSPORT_LEGACY, false, 0, 1, 0x40 },
	{ "modern", VDEV_LAYOUT_VBOX, VDEV_TRANSPORT_MODERN, true, VPCI_NO_BAR, VPCI_NO_BAR, 0 },
	{ "transitional", VDEV_LAYOUT_VBOX, VDEV_TRANSPORT_TRANSITIONAL, true, 0, 1, 0x98 },
	{ "legacy", VDEV_LAYOUT_VBOX, VDEV_TRANSPORT_LEGACY, false, 0, 1, 0x40 },
};

const struct vpci_transport *vpci_transport_find(int layout, int transport)
{
	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (transports[i].layout == layout && transports[i].transport == transport)
			return &transports[i];
	return NULL;
}

/* Spec 4.1.2.3: the transitional PCI device ids. */
static const struct {
	uint8_t id;
	uint16_t pci;
} legacy_ids[] = {
	{ VIRTIO_ID_NET, 0x1000 }, { VIRTIO_ID_BLOCK, 0x1001 }, { VIRTIO_ID_BALLOON, 0x1002 },
	{ VIRTIO_ID_CONSOLE, 0x1003 }, { VIRTIO_ID_SCSI, 0x1004 }, { VIRTIO_ID_RNG, 0x1005 },
	{ VIRTIO_ID_9P, 0x1009 },
};

uint16_t vpci_legacy_device_id(uint8_t virtio_id)
{
	for (size_t i = 0; i < sizeof legacy_ids / sizeof legacy_ids[0]; i++)
		if (legacy_ids[i].id == virtio_id)
			return legacy_ids[i].pci;
	return 0;
}

uint8_t vpci_profile_byte(const struct vpci *d)
{
	return (uint8_t)(d->prof->id | d->xp->transport << 4);
}

const struct vpci_profile *vpci_profile_find(int id)
{
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
		if (profiles[i].id == id)
			return &profiles[i];
	return NULL;
}

/* ------------------------------------------------------------------ building a device's layout from its profile */

static void add_region(struct vpci *d, enum vpci_rkind k, uint8_t bar, uint32_t off, uint32_t len)
{
	d->reg[d->nreg].kind = k;
	d->reg[d->nreg].bar = bar;
	d->reg[d->nreg].off = off;
	d->reg[d->nreg].len = len;
	d->nreg++;
}

/* Exact length of a modern structure (the vbox profile's region lengths). */
static uint32_t struct_len(const struct vpci *d, enum vpci_rkind k)
{
	switch (k) {
	case R_COMMON: return (d->offered >> VIRTIO_F_RING_RESET) & 1 ? 0x3c : 0x38;
	case R_NOTIFY: return (uint32_t)d->nqall * d->prof->notify_mult;
	case R_ISR: return 1;
	case R_DEVICE: return d->devcfg_size;
	default: return 0;
	}
}

static const uint8_t cap_type[] = {
	[R_COMMON] = VIRTIO_PCI_CAP_COMMON_CFG, [R_NOTIFY] = VIRTIO_PCI_CAP_NOTIFY_CFG,
	[R_ISR] = VIRTIO_PCI_CAP_ISR_CFG, [R_DEVICE] = VIRTIO_PCI_CAP_DEVICE_CFG,
};

static uint8_t add_vcap(struct vpci *d, uint8_t at, uint8_t type, uint8_t bar, uint32_t off, uint32_t len)
{
	uint8_t caplen = type == VIRTIO_PCI_CAP_NOTIFY_CFG || type == VIRTIO_PCI_CAP_PCI_CFG ?
	    VIRTIO_PCI_CAP_LEN + 4 : VIRTIO_PCI_CAP_LEN;
	uint8_t c = pci_add_cap(&d->pci, at, PCI_CAP_ID_VNDR, caplen);
	d->pci.cfg[c + 2] = caplen;
	d->pci.cfg[c + 3] = type;
	d->pci.cfg[c + 4] = bar;
	pci_w32(&d->pci, c + 8u, off);
	pci_w32(&d->pci, c + 12u, len);
	return c;
}

static void layout_modern(struct vpci *d);

void vpci_layout(struct vpci *d)
{
	const struct vpci_profile *p = d->prof;
	const struct vpci_setup *s = &d->setup;
	const struct vpci_transport *xp = d->xp;
	uint8_t id = d->ops->id;
	bool legacy = xp->legacy_bar != VPCI_NO_BAR;
	/* Each fact: the trace's, else the device's default under this profile, else the model's or profile's. */
	const struct vdev_defaults *df = vdev_defaults(d->ops, p->id);
	static const struct vdev_defaults none;
	uint32_t cc = df != NULL && df->pci_class ? df->pci_class :
	    (uint32_t)d->ops->pci_class << 16 | (uint32_t)d->ops->pci_subclass << 8 | d->ops->pci_progif;
	bool stated_class = s->pci_class || s->pci_subclass || s->pci_progif;

	if (df == NULL)
		df = &none;
	/* legacy and transitional: device 0x1000 + n, revision 0, subsystem id = virtio id (QEMU, spec 4.1.2.3) */
	struct pci_ident ident = {
		.vendor = PCI_VENDOR_VIRTIO,
		.device = legacy ? vpci_legacy_device_id(id) : (uint16_t)(VIRTIO_PCI_DEVICE_MODERN + id),
		.subsys_vendor = s->subsys_vendor ? s->subsys_vendor :
		    df->subsys_vendor ? df->subsys_vendor : PCI_VENDOR_VIRTIO,
		.subsys_id = s->subsys_id ? s->subsys_id : legacy ? id : df->subsys_id ? df->subsys_id :
		    p->subsys_id ? p->subsys_id : (uint16_t)(0x40 + id),
		.revision = s->pci_revision ? s->pci_revision : legacy ? VIRTIO_PCI_LEGACY_REVISION :
		    df->pci_revision ? df->pci_revision : 1,
		.class = stated_class ? s->pci_class : (uint8_t)(cc >> 16),
		.subclass = stated_class ? s->pci_subclass : (uint8_t)(cc >> 8),
		.progif = stated_class ? s->pci_progif : (uint8_t)cc,
	};
	pci_init(&d->pci, &ident, p->caps_newest_first);
	d->intx.latched = p->intx_latched;
	/* QEMU's pci_init_wmask: everything past the header writable until a capability claims it */
	if (p->cfg_spare_writable)
		memset(d->pci.wmask + 0x40, 0xff, sizeof d->pci.wmask - 0x40);
	if (!p->latency_timer_writable)
		d->pci.wmask[0x0d] = 0;
	if (p->command_wmask != 0)
		le16_store(d->pci.wmask + PCI_CFG_COMMAND, p->command_wmask);
	/* an expansion ROM BAR: address bits and the enable bit (its contents are not modelled) */
	if (df->rom_size != 0)
		le32_store(d->pci.wmask + PCI_CFG_ROM, ~(df->rom_size - 1) | PCI_ROM_ENABLE);
	d->nreg = 0;
	d->cap_common = d->cap_notify = d->cap_isr = d->cap_device = d->cap_pcicfg = 0;

	uint16_t nvec = s->msix_vectors ? s->msix_vectors : df->msix_vectors ? df->msix_vectors(d->nqall) : (uint16_t)(d->nqall + 1);
	if (xp->modern)
		layout_modern(d);
	msix_init(&d->msix, &d->pci, xp->msix_bar != VPCI_NO_BAR ? xp->msix_cap : p->msix_cap,
	    xp->msix_bar != VPCI_NO_BAR ? xp->msix_bar : p->msix_bar, nvec);
	d->msix.ctrl_whole = p->msix_ctrl_whole;
	d->msix.msi_window_only = p->msix_msi_window;
	add_region(d, R_MSIX_TABLE, d->msix.bar, 0, (uint32_t)nvec * PCI_MSIX_ENTRY_SIZE);
	add_region(d, R_MSIX_PBA, d->msix.bar, d->msix.pba_off, (uint32_t)msix_pba_words(&d->msix) * 8);
	if (legacy) {
		uint32_t size = vpci_legacy_bar_size(d, nvec > 0);
		pci_set_bar(&d->pci, xp->legacy_bar, size, PCI_BAR_IO);
		add_region(d, R_LEGACY, xp->legacy_bar, 0, size);
	}
}

/* The virtio capabilities and the structures BAR (modern and transitional). */
static void layout_modern(struct vpci *d)
{
	const struct vpci_profile *p = d->prof;
	pci_set_bar(&d->pci, p->struct_bar, p->struct_bar_size, p->struct_bar_flags);
	for (unsigned i = 0; i < 4; i++) {
		const struct vpci_place *pl = &p->place[i];
		uint32_t len = pl->len ? pl->len : struct_len(d, pl->kind);
		if (pl->kind == R_DEVICE && !p->device_cap_always && d->devcfg_size == 0)
			continue;
		add_region(d, pl->kind, p->struct_bar, pl->off, len);
		uint8_t c = add_vcap(d, pl->cap_at, cap_type[pl->kind], p->struct_bar, pl->off, len);
		uint8_t *slot[] = { [R_COMMON] = &d->cap_common, [R_ISR] = &d->cap_isr, [R_DEVICE] = &d->cap_device,
			[R_NOTIFY] = &d->cap_notify };
		*slot[pl->kind] = c;
		if (pl->kind == R_NOTIFY)
			pci_w32(&d->pci, c + 16u, p->notify_mult);
	}
	/* PCI_CFG window: bar, offset, length and data are writable */
	d->cap_pcicfg = add_vcap(d, p->pcicfg_cap, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0);
	d->pci.wmask[d->cap_pcicfg + 4] = 0xff;
	le32_store(d->pci.wmask + d->cap_pcicfg + 8, 0xffffffffu);
	le32_store(d->pci.wmask + d->cap_pcicfg + 12, 0xffffffffu);
	le32_store(d->pci.wmask + d->cap_pcicfg + 16, 0xffffffffu);
}
