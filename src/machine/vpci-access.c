/* vpci-access.c -- the guest's accesses to the function: BAR dispatch, device config, config space, the PCI_CFG window */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/le.h"
#include "machine.h"

/*
 * Every guest access enters here (vpci_bar_read/write, vpci_cfg_read/write),
 * is announced as an access event, and is cut and routed the way QEMU's
 * memory core does it to the region that owns it: the modern regions
 * (virtio-pci-modern.c), the legacy block (virtio-pci-legacy.c), the MSI-X
 * table and PBA (msix.c), or PCI config space (pci.c).
 */

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

/* ------------------------------------------------------------------ device config (kvmtool's virtio_access_config) */

void vpci_devcfg_access(struct vpci *d, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if ((uint64_t)rel + size > d->devcfg_size) {
		vpci_violate(d, VIOL_DEVCFG_RANGE, -1, -1, rel, REACT_REPORT,
		    "device config: %u-byte %s at 0x%x, config is %u bytes", size, write ? "write" : "read", rel,
		    d->devcfg_size);
		if (!write)
			*v = pci_size_mask(size);
		return;
	}
	uint8_t b[8];
	if (write) {
		leN_store(b, size, *v);
		if (d->ops->cfg_write != NULL)
			d->ops->cfg_write(d->dev, rel, b, size);
		return;
	}
	/* the model hands over its config bytes; bytes past them read 0 */
	uint32_t have = 0;
	const uint8_t *cfg = d->ops->get_config != NULL ? d->ops->get_config(d->dev, &have) : NULL;
	for (unsigned i = 0; i < size; i++)
		b[i] = cfg != NULL && rel + i < have ? cfg[rel + i] : 0;
	*v = leN_load(b, size);
}

/* ------------------------------------------------------------------ BAR dispatch */

/* Per-region access rules (QEMU declares access sizes per MemoryRegionOps the same way). */
static const struct {
	const char *name;
	uint16_t sizes;			/* bit n: an access of n bytes is allowed */
	bool aligned;
} region_ops[] = {
	[R_COMMON] = { "common", 0x116, false },
	[R_ISR] = { "isr", 0x116, false },
	[R_DEVICE] = { "device", 0x116, false },
	[R_NOTIFY] = { "notify", 0x116, false },
	[R_MSIX_TABLE] = { "msix table", 0x110, true },
	[R_MSIX_PBA] = { "msix pba", 0x110, true },
	[R_LEGACY] = { "legacy", 0x016, false },
};

static const struct vpci_region *find_region(const struct vpci *d, unsigned bar, uint64_t off)
{
	for (unsigned i = 0; i < d->nreg; i++)
		if (d->reg[i].bar == bar && off >= d->reg[i].off && off - d->reg[i].off < d->reg[i].len)
			return &d->reg[i];
	return NULL;
}

/* One access of a size the region takes, to the region's owner. */
static void region_dispatch(struct vpci *d, enum vpci_rkind kind, uint32_t rel, unsigned size, uint64_t *v, bool write)
{
	if (kind == R_MSIX_TABLE || kind == R_MSIX_PBA) {
		struct msix_out o = vpci_msix_out(d);
		(void)msix_access(&d->msix, &d->pci, &o, kind == R_MSIX_PBA, rel, size, v, write);
	} else if (kind == R_LEGACY) {
		vpci_legacy_access(d, rel, size, v, write);
	} else {
		vpci_modern_access(d, kind, rel, size, v, write);
	}
}

static void region_access(struct vpci *d, const struct vpci_region *r, uint32_t rel, unsigned size, uint64_t *v,
    bool write)
{
	if (!(region_ops[r->kind].sizes >> size & 1) || (region_ops[r->kind].aligned && rel % size != 0)) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, rel, REACT_REPORT, "%s: %u-byte access at 0x%x",
		    region_ops[r->kind].name, size, rel);
		if (!write)
			*v = 0;
		return;
	}
	region_dispatch(d, r->kind, rel, size, v, write);
}

/* The largest aligned piece at at, of at most 4 and left bytes. */
static unsigned piece_len(uint32_t at, unsigned left)
{
	unsigned l = 4;
	while (l > 1 && (at % l != 0 || l > left))
		l /= 2;
	return l;
}

/*
 * QEMU's address_space_rw (what KVM's MMIO exits and qtest go through): an
 * access is cut into pieces, each as large as the region under its start
 * allows (at most 4 bytes; the MSI-X table and PBA take 4 and nothing
 * smaller), no larger than its address's alignment, and ending at the
 * region's end. Each piece is a dispatch of its own; a piece in no region
 * writes nothing and reads 0 (all ones in an I/O BAR, past its end); a piece a region refuses (a 1-byte MSI-X
 * read) likewise. So a 4-byte read at +1 is a byte, a word and a byte, an
 * 8-byte one two dwords, and an access across two regions reaches both.
 */
static void bar_pieces(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t *v, bool write)
{
	uint64_t out = 0;
	const struct vpci_region *r = find_region(d, bar, off);
	bool natural = r != NULL && off % size == 0 && size <= 4 && off + size <= (uint64_t)r->off + r->len;

	if (!natural)
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT,
		    "bar%u: %u-byte %s at 0x%llx: %s, split in pieces", bar, size, write ? "write" : "read",
		    (unsigned long long)off, r == NULL ? "hits no register" : off % size ? "unaligned" :
		    size > 4 ? "wider than the register" : "across the region's end");
	for (unsigned pos = 0; pos < size;) {
		uint64_t at = off + pos, end, piece = 0;
		unsigned l = piece_len((uint32_t)at, size - pos);

		r = find_region(d, bar, at);
		if (r != NULL) {
			end = (uint64_t)r->off + r->len;
		} else {
			/* a hole lasts up to the next region */
			end = at + l;
			for (unsigned i = 0; i < d->nreg; i++)
				if (d->reg[i].bar == bar && d->reg[i].off > at && d->reg[i].off < end)
					end = d->reg[i].off;
		}
		while (l > 1 && at + l > end)
			l /= 2;
		/* a hole: unassigned memory reads 0, unassigned ports (past an I/O BAR's end) all ones */
		if (r == NULL && d->pci.bar_io[bar])
			piece = pci_size_mask(l);
		if (r != NULL && !((r->kind == R_MSIX_TABLE || r->kind == R_MSIX_PBA) && l < 4)) {
			piece = (*v >> (8 * pos)) & pci_size_mask(l);
			d->in_pieces = !natural;
			region_dispatch(d, r->kind, (uint32_t)(at - r->off), l, &piece, write);
			d->in_pieces = false;
		}
		if (!write)
			out |= (piece & pci_size_mask(l)) << (8 * pos);
		pos += l;
	}
	if (!write)
		*v = out;
}

/*
 * QEMU maps a BAR only while COMMAND decodes its kind (pci_update_mappings):
 * with MEM clear the memory BARs are gone and an access there reaches
 * unassigned memory, which reads 0; with IO clear the I/O BAR's ports are
 * unassigned ones, which read all ones. Writes go nowhere. Measured on QEMU
 * 7.2's pc machine through qtest. The PCI_CFG window reaches the regions
 * themselves and works either way.
 */
static bool bar_unmapped(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t *v, bool write)
{
	if (!d->prof->bar_decode || d->in_window || bar >= 6 || d->pci.bar_size[bar] == 0)
		return false;
	uint16_t decode = d->pci.bar_io[bar] ? PCI_CMD_IO : PCI_CMD_MEM;
	if (le16_load(d->pci.cfg + PCI_CFG_COMMAND) & decode)
		return false;
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "bar%u: %u-byte %s at 0x%llx while COMMAND.%s "
	    "is clear: the BAR is not mapped", bar, size, write ? "write" : "read", (unsigned long long)off,
	    d->pci.bar_io[bar] ? "IO" : "MEM");
	if (!write)
		*v = d->pci.bar_io[bar] ? pci_size_mask(size > 8 ? 8 : size) : 0;
	return true;
}

static void bar_access(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t *v, bool write)
{
	if (bar_unmapped(d, bar, off, size, v, write))
		return;
	/* from inside the BAR QEMU's pieces (beyond its end a hole); wholly past it all ones as before */
	if (d->prof->bar_split && (size == 1 || size == 2 || size == 4 || size == 8) && bar < 6 &&
	    off < d->pci.bar_size[bar]) {
		bar_pieces(d, bar, off, size, v, write);
		return;
	}
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
			vpci_devcfg_access(d, (uint32_t)(off - r->off), size, v, write);
			return;
		}
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT,
		    "bar%u: %u-byte %s at 0x%llx hits no register", bar, size, write ? "write" : "read",
		    (unsigned long long)off);
		if (!write)
			*v = pci_size_mask(size);
		return;
	}
	region_access(d, r, (uint32_t)(off - r->off), size, v, write);
}

uint64_t vpci_bar_read(struct vpci *d, unsigned bar, uint64_t off, unsigned size)
{
	uint64_t v = 0;
	bar_access(d, bar, off, size, &v, false);
	if (size < 8)
		v &= pci_size_mask(size);
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, false, false, bar, off, size, v);
	if (d->intx.deassert) {
		d->intx.deassert = false;
		vpci_intx_sync(d, "isr read");
	}
	return v;
}

void vpci_bar_write(struct vpci *d, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
	d->stimulus++;
	if (size < 8)
		value &= pci_size_mask(size);
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, true, false, bar, off, size, value);
	bar_access(d, bar, off, size, &value, true);
}

/* ------------------------------------------------------------------ config space */

/*
 * The PCI_CFG capability's window onto the structures BAR (QEMU
 * virtio_read/write_config). QEMU looks the offset up among the virtio
 * regions and dispatches there directly, not split: a window across a
 * region's end, or outside every region, leaves the data as it was; an
 * unaligned offset is first aligned down to the length.
 */
static void pcicfg_window(struct vpci *d, bool write)
{
	uint8_t c = d->cap_pcicfg;
	uint8_t bar = d->pci.cfg[c + 4];
	uint32_t off = le32_load(d->pci.cfg + c + 8), len = le32_load(d->pci.cfg + c + 12);
	if (len != 1 && len != 2 && len != 4)
		return;
	if (!d->prof->pcicfg_any_bar && bar != d->prof->struct_bar) {
		vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "pci_cfg window names bar%u", bar);
		return;
	}
	uint64_t v = le32_load(d->pci.cfg + c + 16) & pci_size_mask(len);
	if (d->prof->bar_split) {
		off &= ~(len - 1);		/* QEMU's virtio_address_space_read/write align the offset down */
		const struct vpci_region *r = find_region(d, d->prof->struct_bar, off);
		if (r == NULL || r->kind == R_MSIX_TABLE || r->kind == R_MSIX_PBA || off + len > (uint64_t)r->off + r->len) {
			vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT,
			    "pci_cfg window: %u bytes at 0x%x lie in no virtio region", len, off);
			return;
		}
	}
	d->in_window = true;
	if (write) {
		vpci_bar_write(d, d->prof->struct_bar, off, len, v);
	} else {
		v = vpci_bar_read(d, d->prof->struct_bar, off, len);
		leN_store(d->pci.cfg + c + 16, len, v);
	}
	d->in_window = false;
}

/*
 * QEMU's config cycles go through the 0xcfc data port, split like any port
 * access (memory_access_size: pieces no larger than their address's
 * alignment, ending at the region's end): an unaligned access becomes
 * aligned pieces, each a config access of its own, and what lies past
 * 0xcff reaches port 0xd00 and up, where nothing answers on the pc machine
 * (reads all ones, writes dropped). Anything else not naturally aligned is
 * refused.
 */
static bool cfg_pieces(struct vpci *d, uint32_t off, unsigned size, bool write)
{
	if (!d->prof->cfg_unaligned_pieces || off >= 256 || (size != 2 && size != 4) || off % size == 0)
		return false;
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "config space: %u-byte %s at 0x%x unaligned, %s",
	    size, write ? "write" : "read", off, (off & 3) + size > 4 ? "split in pieces, the bytes past its dword "
	    "reach no device" : "split in pieces");
	return true;
}

static bool cfg_size_ok(struct vpci *d, uint32_t off, unsigned size, bool write)
{
	if (pci_cfg_access_ok(off, size))
		return true;
	vpci_violate(d, VIOL_BAR_ACCESS_BAD, -1, -1, off, REACT_REPORT, "config space: %u-byte %s at 0x%x", size,
	    write ? "write" : "read", off);
	return false;
}

static uint64_t cfg_load(struct vpci *d, uint32_t off, unsigned size)
{
	if (d->cap_pcicfg != 0 && pci_overlaps(off, size, d->cap_pcicfg + 16u, 4))
		pcicfg_window(d, false);
	uint64_t v = pci_cfg_load(&d->pci, off, size);
	/* PCI status bit 3 shows the INTx line (QEMU's pci_update_irq_status) */
	if (d->prof->intx_status_bit && (d->intx.latched ? d->intx.state : d->intx.level) && pci_overlaps(off, size, PCI_CFG_STATUS, 1) &&
	    off <= PCI_CFG_STATUS)
		v |= (uint64_t)PCI_STATUS_INTERRUPT << (8 * (PCI_CFG_STATUS - off));
	return v;
}

/*
 * The memory BARs while COMMAND decodes them: a device access there is a
 * register access (not modelled), so guest memory must not take it for a
 * hole. Every BAR with a non-zero address counts, even one QEMU would not
 * map: that only refuses more.
 */
void vpci_windows(struct vpci *d)
{
	bool mem = le16_load(d->pci.cfg + PCI_CFG_COMMAND) & PCI_CMD_MEM;

	for (unsigned i = 0; i < 6; i++) {
		uint64_t base = 0, size = d->pci.bar_size[i];
		uint32_t lo = le32_load(d->pci.cfg + PCI_CFG_BAR0 + 4 * i);
		if (size != 0 && !d->pci.bar_io[i]) {
			base = lo & ~0xfull;
			if ((lo & PCI_BAR_MEM64) && i < 5)
				base |= (uint64_t)le32_load(d->pci.cfg + PCI_CFG_BAR0 + 4 * (i + 1)) << 32;
		}
		gmem_set_window(d->m, i, base, mem && base != 0 ? size : 0);
	}
}

/*
 * The function's part of QEMU's memory map: each BAR's address as QEMU 7.2's
 * pci_bar_address computes it (VPCI_UNMAPPED while COMMAND does not decode
 * its kind, or at an address QEMU does not map: 0, wrapping, a 32-bit BAR
 * reaching 4 GiB), and bus mastering.
 */
void vpci_map_state(const struct vpci *d, uint64_t st[VPCI_MAP_STATE])
{
	uint16_t cmd = le16_load(d->pci.cfg + PCI_CFG_COMMAND);

	for (unsigned i = 0; i < 6; i++) {
		uint64_t size = d->pci.bar_size[i], a, last;
		uint32_t lo = le32_load(d->pci.cfg + PCI_CFG_BAR0 + 4 * i);
		bool io = d->pci.bar_io[i], wide = !io && (lo & PCI_BAR_MEM64) && i < 5;

		st[i] = VPCI_UNMAPPED;
		if (size == 0 || !(cmd & (io ? PCI_CMD_IO : PCI_CMD_MEM)))
			continue;
		a = lo;
		if (wide)
			a |= (uint64_t)le32_load(d->pci.cfg + PCI_CFG_BAR0 + 4 * (i + 1)) << 32;
		a &= ~(size - 1);
		last = a + size - 1;
		if (last <= a || a == 0 || last == VPCI_UNMAPPED || (!wide && last >= 0xffffffffull))
			continue;
		st[i] = a;
	}
	st[6] = cmd & PCI_CMD_MASTER;
}

/*
 * QEMU commits a memory transaction for each BAR taken out of the map and
 * each put in (a move is both) and for bus mastering turned on or off; at
 * each, virtio_memory_listener_commit maps every queue's rings again for
 * its size then (remap_on_commit).
 */
void vpci_map_commit(struct vpci *d, const uint64_t before[VPCI_MAP_STATE])
{
	uint64_t now[VPCI_MAP_STATE];
	unsigned n = 0;

	if (!d->prof->remap_on_commit)
		return;
	vpci_map_state(d, now);
	for (unsigned i = 0; i < 6; i++)
		if (before[i] != now[i])
			n += (before[i] != VPCI_UNMAPPED) + (now[i] != VPCI_UNMAPPED);
	n += before[6] != now[6];
	while (n-- > 0)
		for (unsigned i = 0; i < d->nq; i++)
			vpci_map_again(d, i, ", at a change of the memory map");
}

static void cfg_store(struct vpci *d, uint32_t off, unsigned size, uint64_t value)
{
	uint8_t mx = d->msix.cap;
	uint16_t old_ctrl = le16_load(d->pci.cfg + mx + 2);
	uint64_t map[VPCI_MAP_STATE];

	vpci_map_state(d, map);
	pci_cfg_store(&d->pci, off, size, value);
	if (d->cap_pcicfg != 0 && pci_overlaps(off, size, d->cap_pcicfg + 16u, 4))
		pcicfg_window(d, true);
	if (pci_overlaps(off, size, mx + 2u, 2) && le16_load(d->pci.cfg + mx + 2) != old_ctrl) {
		struct msix_out o = vpci_msix_out(d);
		if (vpci_msix_on(d) && !(old_ctrl & PCI_MSIX_CTRL_ENABLE))
			d->intx.state = false;	/* QEMU's msix_write_config deasserts INTx */
		msix_flush(&d->msix, &d->pci, &o);
	}
	/* QEMU's pci_default_write_config maps the BARs and bus mastering, then virtio_write_config looks at it */
	vpci_map_commit(d, map);
	if (pci_overlaps(off, size, PCI_CFG_COMMAND, 1))
		vpci_bus_master(d, d->pci.cfg[PCI_CFG_COMMAND] & PCI_CMD_MASTER);
	if (pci_overlaps(off, size, PCI_CFG_COMMAND, 2) || pci_overlaps(off, size, mx + 2u, 2))
		vpci_intx_sync(d, "command");
	if (pci_overlaps(off, size, PCI_CFG_COMMAND, 1) || pci_overlaps(off, size, PCI_CFG_BAR0, 24))
		vpci_windows(d);
}

/* The pieces of an unaligned config access (cfg_pieces): inside its dword each its own access, past it all ones. */
static void cfg_split(struct vpci *d, uint32_t off, unsigned size, uint64_t *v, bool write)
{
	uint64_t out = 0;

	for (unsigned pos = 0, l; pos < size; pos += l) {
		uint32_t at = off + pos, in_dword = 4 - (at & 3);

		if ((at & ~3u) != (off & ~3u)) {
			out |= pci_size_mask(size - pos) << (8 * pos);
			break;
		}
		l = piece_len(at, size - pos < in_dword ? size - pos : in_dword);
		if (write)
			cfg_store(d, at, l, *v >> (8 * pos));
		else
			out |= cfg_load(d, at, l) << (8 * pos);
	}
	if (!write)
		*v = out;
}

uint64_t vpci_cfg_read(struct vpci *d, uint32_t off, unsigned size)
{
	uint64_t v = 0;
	if (cfg_pieces(d, off, size, false)) {
		cfg_split(d, off, size, &v, false);
	} else if (!cfg_size_ok(d, off, size, false)) {
		v = pci_size_mask(size > 8 ? 8 : size);
	} else {
		v = cfg_load(d, off, size);
	}
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, false, true, 0, off, size, v);
	return v;
}

void vpci_cfg_write(struct vpci *d, uint32_t off, unsigned size, uint64_t value)
{
	d->stimulus++;
	if (evbus_wants(d->bus, VR_EV_ACCESS))
		emit_access(d, true, true, 0, off, size, value);
	if (cfg_pieces(d, off, size, true)) {
		cfg_split(d, off, size, &value, true);
		return;
	}
	if (!cfg_size_ok(d, off, size, true))
		return;
	cfg_store(d, off, size, value);
}

void vpci_reg_name(struct vpci *d, bool cfg, unsigned bar, uint64_t off, unsigned size, char *out, size_t outlen)
{
	if (cfg)
		vpci_name_cfg(d, (uint32_t)off, size, out, outlen);
	else
		vpci_name_bar(d, bar, off, size, out, outlen);
}
