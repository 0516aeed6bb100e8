/* virtio-pci-modern.c -- the VirtIO 1.0 PCI register regions: common config, notify, ISR, device config */
#include <string.h>

#include "machine.h"

/*
 * One handler per region, as QEMU's virtio_pci_modern_regions_init gives
 * each region its own ops; the access sizes every region accepts are
 * declared in vpci.c's region table, the rules past that (which field, which
 * size, what the profile tolerates) are here.
 */

const struct vpci_reg vpci_common_regs[VPCI_CF_COUNT] = {
	[VPCI_CF_DFSELECT] = { VIRTIO_PCI_COMMON_DFSELECT, 4, "device_feature_select" },
	[VPCI_CF_DF] = { VIRTIO_PCI_COMMON_DF, 4, "device_feature" },
	[VPCI_CF_GFSELECT] = { VIRTIO_PCI_COMMON_GFSELECT, 4, "driver_feature_select" },
	[VPCI_CF_GF] = { VIRTIO_PCI_COMMON_GF, 4, "driver_feature" },
	[VPCI_CF_MSIX] = { VIRTIO_PCI_COMMON_MSIX, 2, "msix_config" },
	[VPCI_CF_NUMQ] = { VIRTIO_PCI_COMMON_NUMQ, 2, "num_queues" },
	[VPCI_CF_STATUS] = { VIRTIO_PCI_COMMON_STATUS, 1, "device_status" },
	[VPCI_CF_GEN] = { VIRTIO_PCI_COMMON_CFGGENERATION, 1, "config_generation" },
	[VPCI_CF_QSEL] = { VIRTIO_PCI_COMMON_Q_SELECT, 2, "queue_select" },
	[VPCI_CF_QSIZE] = { VIRTIO_PCI_COMMON_Q_SIZE, 2, "queue_size" },
	[VPCI_CF_QMSIX] = { VIRTIO_PCI_COMMON_Q_MSIX, 2, "queue_msix_vector" },
	[VPCI_CF_QENABLE] = { VIRTIO_PCI_COMMON_Q_ENABLE, 2, "queue_enable" },
	[VPCI_CF_QNOFF] = { VIRTIO_PCI_COMMON_Q_NOFF, 2, "queue_notify_off" },
	[VPCI_CF_QDESC] = { VIRTIO_PCI_COMMON_Q_DESCLO, 8, "queue_desc" },
	[VPCI_CF_QDRIVER] = { VIRTIO_PCI_COMMON_Q_AVAILLO, 8, "queue_driver" },
	[VPCI_CF_QDEVICE] = { VIRTIO_PCI_COMMON_Q_USEDLO, 8, "queue_device" },
	[VPCI_CF_QNDATA] = { VIRTIO_PCI_COMMON_Q_NDATA, 2, "queue_notify_data" },
	[VPCI_CF_QRESET] = { VIRTIO_PCI_COMMON_Q_RESET, 2, "queue_reset" },
};

#define COMMON_END	0x3c

int vpci_common_find(uint32_t off, unsigned *half)
{
	*half = 0;
	if (off >= COMMON_END)
		return -1;
	for (int i = 0; i < VPCI_CF_COUNT; i++) {
		if (vpci_common_regs[i].off == off)
			return i;
		if (vpci_common_regs[i].size == 8 && vpci_common_regs[i].off + 4u == off) {
			*half = 1;
			return i;
		}
	}
	return -1;
}

int vpci_common_reg_at(const struct vpci *d, unsigned bar, uint64_t off, unsigned *half)
{
	for (unsigned i = 0; i < d->nreg; i++) {
		const struct vpci_region *r = &d->reg[i];
		if (r->kind == R_COMMON && r->bar == bar && off >= r->off && off - r->off < r->len)
			return vpci_common_find((uint32_t)(off - r->off), half);
	}
	*half = 0;
	return -1;
}

/* ------------------------------------------------------------------ common config */

static struct vpci_qregs *selq(struct vpci *d)
{
	return d->queue_select < d->nqr ? &d->qr[d->queue_select] : NULL;
}

static uint32_t *qaddr(struct vpci_qregs *r, int f)
{
	return f == VPCI_CF_QDESC ? r->desc : f == VPCI_CF_QDRIVER ? r->avail : r->used;
}

uint64_t vpci_common_get(struct vpci *d, int f, unsigned half)
{
	struct vpci_qregs *r = selq(d);
	switch (f) {
	case VPCI_CF_DFSELECT: return d->dfselect;
	case VPCI_CF_DF: return d->dfselect <= 1 ? (uint32_t)(d->offered >> (32 * d->dfselect)) : 0;
	case VPCI_CF_GFSELECT: return d->gfselect;
	case VPCI_CF_GF: return d->gfselect <= 1 ? d->gf[d->gfselect] : 0;
	case VPCI_CF_MSIX: return d->msix_config;
	case VPCI_CF_NUMQ: return d->nq;
	case VPCI_CF_STATUS: return d->status;
	case VPCI_CF_GEN: return d->generation;
	case VPCI_CF_QSEL: return d->queue_select;
	case VPCI_CF_QSIZE: return r && d->queue_select < d->nq ? r->size : 0;
	case VPCI_CF_QMSIX: return r ? r->vector : VPCI_NO_VECTOR;
	case VPCI_CF_QENABLE: return r ? r->enable : 0;
	case VPCI_CF_QNOFF: return r ? d->queue_select : 0;
	case VPCI_CF_QDESC: case VPCI_CF_QDRIVER: case VPCI_CF_QDEVICE:
		return r ? qaddr(r, f)[half] : 0;
	case VPCI_CF_QRESET: return r ? r->reset : 0;
	default: return 0;
	}
}

/* The rings a queue's registers name: desc, avail, used (the order of virtq_ring_addrs). */
static void reg_rings(const struct vpci_qregs *r, uint64_t a[3])
{
	a[0] = (uint64_t)r->desc[1] << 32 | r->desc[0];
	a[1] = (uint64_t)r->avail[1] << 32 | r->avail[0];
	a[2] = (uint64_t)r->used[1] << 32 | r->used[0];
}

/* The queue runs on the rings its registers name. */
static bool same_rings(struct vpci *d, const struct vpci_qregs *r, unsigned qi)
{
	uint64_t a[3], want[3];

	virtq_ring_addrs(d->q[qi], a);
	reg_rings(r, want);
	return a[0] == want[0] && a[1] == want[1] && a[2] == want[2];
}

static void queue_enable(struct vpci *d, struct vpci_qregs *r, unsigned qi, uint64_t v)
{
	const struct vpci_profile *p = d->prof;
	if (v != 1) {
		vpci_violate(d, VIOL_QUEUE_ENABLE_BAD, (int)qi, -1, v, p->queue_enable_bad_fatal ? REACT_FATAL : REACT_REPORT,
		    "queue %u: queue_enable written with %llu", qi, (unsigned long long)v);
		return;
	}
	/*
	 * QEMU's virtio_queue_set_num with the size its proxy holds, before
	 * the rings: on a queue that came back or moved, queue_size read the
	 * new maximum until now.
	 */
	if (p->queue_size_lenient && r->num != 0 && r->num <= VIRTQ_MAX_SIZE && r->size != r->num) {
		vpci_note(d, "queue %u: size %u -> %u, the size last written", qi, r->size, r->num);
		r->size = r->num;
		if (virtq_started(d->q[qi]))
			virtq_renum(d->q[qi], r->size);
	}
	/*
	 * QEMU maps the rings the registers name (virtio_queue_set_rings): the
	 * same ones again change no index. Under legacy_pfn_ring_only other
	 * rings (a legacy queue_pfn placed them, or the registers changed
	 * since) give way to the registers', address 0 too, and the queue goes
	 * on there from the indices it had: set_rings touches no index
	 * (last_avail_idx, used_idx, the signalled state).
	 */
	bool moved = false;
	if (virtq_started(d->q[qi])) {
		if (!p->legacy_pfn_ring_only)
			return;
		if (same_rings(d, r, qi)) {
			r->enable = 1;
			/* set_rings maps them again all the same, for the size the queue has now */
			if (p->remap_on_commit)
				vpci_map_again(d, qi, ", at queue_enable");
			return;
		}
		moved = true;
	}
	if (!(d->status & VIRTIO_STATUS_FEATURES_OK)) {
		vpci_violate(d, VIOL_QUEUE_NOT_READY, (int)qi, -1, 0, REACT_REPORT,
		    "queue %u enabled before FEATURES_OK (status 0x%02x)", qi, d->status);
		if (!p->enable_before_features_ok)
			return;
	}
	r->enable = 1;
	r->reset = 0;
	uint64_t a[3];
	reg_rings(r, a);
	struct virtq_result res;
	res.n = 0;
	res.refused = false;
	int rc = moved ? virtq_remap(d->q[qi], r->size, a[0], a[1], a[2], vpci_cur_features(d), &res) :
	    virtq_start(d->q[qi], r->size, a[0], a[1], a[2], vpci_cur_features(d), &res);
	vpci_ring_reports(d, qi, &res);
	if (rc < 0 && !p->refused_queue_reads_enabled)
		r->enable = 0;
	vpci_note(d, "queue %u %s: size %u desc 0x%llx avail 0x%llx used 0x%llx", qi,
	    moved ? "enabled again on other rings, its indices kept" : "enabled", r->size,
	    (unsigned long long)a[0], (unsigned long long)a[1], (unsigned long long)a[2]);
}

static void queue_size(struct vpci *d, struct vpci_qregs *r, unsigned qi, uint64_t v)
{
	/* a wider write reaches the field under common_lax_size; QEMU keeps it in a 16-bit VirtIOPCIQueue.num */
	if (d->prof->common_lax_size)
		v &= 0xffff;
	if (d->prof->queue_size_lenient)
		r->num = (uint16_t)v;
	bool pow2 = v != 0 && (v & (v - 1)) == 0;
	if (v == 0 || v > VIRTQ_MAX_SIZE) {
		/* QEMU's virtio_queue_set_num refuses 0 and > 1024 silently */
		vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_REPORT,
		    "queue %u: queue_size %llu (1 to %d)", qi, (unsigned long long)v, VIRTQ_MAX_SIZE);
		return;
	}
	if (v > d->qmax[qi] || !pow2) {
		if (!d->prof->queue_size_lenient) {
			vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_FATAL,
			    "queue %u: queue_size %llu (maximum %u, power of two)", qi, (unsigned long long)v,
			    d->qmax[qi]);
			return;
		}
		/* modern QEMU accepts any size up to 1024; a non-power-of-two ring works */
		vpci_violate(d, VIOL_QUEUE_SIZE_BAD, (int)qi, -1, v, REACT_REPORT,
		    "queue %u: queue_size %llu (maximum %u, power of two), accepted", qi, (unsigned long long)v,
		    d->qmax[qi]);
	}
	r->size = (uint16_t)v;
	/*
	 * QEMU 7.2's virtio_queue_set_num: the queue runs with the new size at
	 * once, on rings mapped for the old one (a larger size makes its next
	 * pop or count find the descriptor table too short).
	 */
	if (d->prof->queue_size_live && virtq_started(d->q[qi]) && virtq_size(d->q[qi]) != v) {
		vpci_note(d, "queue %u: running with size %u, its rings as mapped", qi, r->size);
		virtq_renum(d->q[qi], r->size);
	}
}

/*
 * The registers of a select without a queue (queue_regs_per_select): QEMU
 * stores what the driver writes and reads it back; the size stays 0, and
 * nothing runs.
 */
static void ghost_set(struct vpci *d, struct vpci_qregs *r, int f, unsigned half, uint64_t v)
{
	unsigned qi = d->queue_select;
	switch (f) {
	case VPCI_CF_QSIZE:
		if (qi < d->nqall && d->prof->queue_size_lenient)	/* a queue taken away: kept for when it is back */
			r->num = (uint16_t)v;
		return;
	case VPCI_CF_QMSIX: vpci_set_vector(d, &r->vector, v); return;
	case VPCI_CF_QENABLE:
		if (v != 1) {
			vpci_violate(d, VIOL_QUEUE_ENABLE_BAD, (int)qi, -1, v,
			    d->prof->queue_enable_bad_fatal ? REACT_FATAL : REACT_REPORT,
			    "queue %u: queue_enable written with %llu", qi, (unsigned long long)v);
			return;
		}
		r->enable = 1;
		return;
	case VPCI_CF_QDESC: case VPCI_CF_QDRIVER: case VPCI_CF_QDEVICE:
		qaddr(r, f)[half] = (uint32_t)v;
		return;
	case VPCI_CF_QRESET:
		if (v == 1)
			r->enable = 0;
		return;
	default:
		return;
	}
}

void vpci_common_set(struct vpci *d, int f, unsigned half, uint64_t v)
{
	struct vpci_qregs *r = selq(d);
	unsigned qi = d->queue_select;
	switch (f) {
	case VPCI_CF_DFSELECT: d->dfselect = (uint32_t)v; return;
	case VPCI_CF_GFSELECT: d->gfselect = (uint32_t)v; return;
	case VPCI_CF_GF:
		if (d->gfselect > 1)
			return;
		if (d->status & VIRTIO_STATUS_FEATURES_OK) {
			vpci_violate(d, VIOL_FEATURES_BAD, -1, -1, v, REACT_REPORT,
			    "driver_feature[%u] written after FEATURES_OK", d->gfselect);
			if (!d->prof->driver_feature_after_ok_kept)
				return;	/* else the register keeps the value, negotiation does not change */
		}
		d->gf[d->gfselect] = (uint32_t)v;
		if (!(d->status & VIRTIO_STATUS_FEATURES_OK)) {
			d->live = ((uint64_t)d->gf[1] << 32 | d->gf[0]) & vpci_modern_takes(d);
			vpci_features_written(d, d->live);	/* QEMU's virtio_set_features on every write */
		}
		return;
	case VPCI_CF_MSIX: vpci_set_vector(d, &d->msix_config, v); return;
	case VPCI_CF_STATUS: vpci_set_status(d, (uint8_t)v); return;
	case VPCI_CF_QSEL:
		if (v >= d->nq)
			vpci_violate(d, VIOL_QUEUE_SELECT_RANGE, (int)v, -1, v, REACT_REPORT,
			    "queue_select %llu, device has %u queues", (unsigned long long)v, d->nq);
		/* QEMU drops values >= 1024; otherwise stored, the queue fields then read 0 */
		if (d->prof->queue_select_limit == 0 || v < d->prof->queue_select_limit)
			d->queue_select = (uint16_t)v;
		return;
	default:
		break;
	}
	if (r == NULL)
		return;		/* queue fields of a missing queue: writes ignored */
	if (qi >= d->nq) {
		ghost_set(d, r, f, half, v);
		return;
	}
	switch (f) {
	case VPCI_CF_QSIZE: queue_size(d, r, qi, v); return;
	case VPCI_CF_QMSIX: vpci_set_vector(d, &r->vector, v); return;
	case VPCI_CF_QENABLE: queue_enable(d, r, qi, v); return;
	case VPCI_CF_QDESC: case VPCI_CF_QDRIVER: case VPCI_CF_QDEVICE:
		qaddr(r, f)[half] = (uint32_t)v;
		return;
	case VPCI_CF_QRESET:
		if (v == 1 && (d->prof->queue_reset_any || (vpci_cur_features(d) >> VIRTIO_F_RING_RESET & 1))) {
			struct vpci_qregs keep = *r;
			vpci_queue_reset(d, qi);
			if (d->prof->queue_reset_keeps_addrs) {
				/* QEMU resets the ring, not its proxy's address registers */
				memcpy(r->desc, keep.desc, sizeof r->desc);
				memcpy(r->avail, keep.avail, sizeof r->avail);
				memcpy(r->used, keep.used, sizeof r->used);
			}
			vpci_note(d, "queue %u reset", qi);
		}
		return;
	default:
		return;		/* read-only fields */
	}
}

static void common_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	unsigned half;
	int f = vpci_common_find(rel, &half);
	unsigned fsz = f < 0 ? 0 : vpci_common_regs[f].size == 8 ? 4 : vpci_common_regs[f].size;
	bool whole64 = f >= 0 && vpci_common_regs[f].size == 8 && half == 0 && size == 8;
	if (whole64) {
		if (write) {
			vpci_common_set(d, f, 0, (uint32_t)*v);
			vpci_common_set(d, f, 1, *v >> 32);
		} else {
			*v = vpci_common_get(d, f, 0) | vpci_common_get(d, f, 1) << 32;
		}
		return;
	}
	if (f >= 0 && size == fsz) {
		if (write)
			vpci_common_set(d, f, half, *v);
		else
			*v = vpci_common_get(d, f, half);
		return;
	}
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT,
	    "common config: %u-byte %s at 0x%x does not match a field", size, write ? "write" : "read", rel);
	if (!d->prof->common_lax_size || f < 0) {
		if (!write)
			*v = 0;
		return;
	}
	/* QEMU splits 8-byte accesses in two and dispatches on the start offset */
	if (size == 8) {
		uint64_t lo = (uint32_t)*v, hi = *v >> 32;
		common_access(d, rel, 4, &lo, write);
		common_access(d, rel + 4, 4, &hi, write);
		if (!write)
			*v = (lo & 0xffffffffu) | hi << 32;
		return;
	}
	if (write)
		vpci_common_set(d, f, half, *v & pci_size_mask(size));
	else
		*v = vpci_common_get(d, f, half) & pci_size_mask(size);
}

/* ------------------------------------------------------------------ ISR, notify */

static void isr_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if (write) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT, "isr: write (read-only)");
		return;
	}
	if (rel != 0 || size != 1) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT,
		    "isr: %u-byte read at offset %u (1 byte at 0 expected)", size, rel);
		if (!d->prof->isr_lax) {
			*v = 0;
			return;
		}
		/* QEMU's virtio_pci_isr_read ignores the offset and size */
	}
	*v = intx_isr_read(&d->intx);
}

static void notify_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if (!write) {
		*v = 0;
		return;
	}
	unsigned qi = rel / d->prof->notify_mult;
	if (d->prof->notify_strict && (rel % d->prof->notify_mult != 0 || size != 2 || *v != qi)) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, (int)qi, -1, rel, REACT_REPORT,
		    "notify: %u-byte write of %llu at offset %u (2 bytes of the queue index expected)", size,
		    (unsigned long long)*v, rel);
		return;
	}
	/* otherwise the queue comes from the address; the value is ignored (QEMU virtio_pci_notify_write) */
	vpci_notify_queue(d, qi, rel);
}

void vpci_modern_access(struct vpci *d, enum vpci_rkind k, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	switch (k) {
	case R_COMMON: common_access(d, rel, size, v, write); break;
	case R_ISR: isr_access(d, rel, size, v, write); break;
	case R_DEVICE: vpci_devcfg_access(d, rel, size, v, write); break;
	case R_NOTIFY: notify_access(d, rel, size, v, write); break;
	default: break;
	}
}
