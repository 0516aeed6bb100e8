/* qtest-access.c -- where each access of a qtest command goes: config space (0xcf8/0xcfc, ECAM), the BARs, RAM, ports */
#include "vr/buf.h"
#include "vr/pci-bars.h"
#include "vr/virtio-spec.h"
#include "qtest-import-int.h"

/* ---- the machine: where an address goes ---- */

/* The RAM region holding addr (and the bytes left in it), or -1. */
static int find_ram(const struct qtest_import *qi, uint64_t addr, uint64_t *left)
{
	for (unsigned i = 0; i < qi->hdr.nram; i++) {
		const struct trace_ram *r = &qi->hdr.ram[i];
		if (addr >= r->base && addr - r->base < r->size) {
			*left = r->size - (addr - r->base);
			return (int)i;
		}
	}
	return -1;
}

/* Bytes from addr to the next BAR or RAM start (so a walk over nothing stops where something begins). */
static bool ecam_window(const struct qtest_import *qi, uint64_t *base, uint64_t *len);

static uint64_t gap(const struct qtest_import *qi, uint64_t addr)
{
	uint64_t best = UINT64_MAX - addr, base, len;

	for (unsigned bar = 1; bar < 6; bar++) {
		uint64_t a = pci_bars_addr(&qi->bars, bar);
		if (a > addr && a - addr < best)
			best = a - addr;
	}
	for (unsigned i = 0; i < qi->hdr.nram; i++)
		if (qi->hdr.ram[i].base > addr && qi->hdr.ram[i].base - addr < best)
			best = qi->hdr.ram[i].base - addr;
	if (ecam_window(qi, &base, &len) && base > addr && base - addr < best)
		best = base - addr;
	return best;
}

/* ---- events ---- */

int qi_emit(struct qtest_import *qi, const struct trace_event *ev, char **cause)
{
	if (qi->pass == P_OBSERVE)
		qi->observed++;
	if (qi->pass != P_WRITE)
		return 0;
	qi->st.events++;
	if (qi->progress != NULL && qi->st.events % 4096 == 0)
		qi->progress(qi->progress_opaque, qi->st.events, qi->observed + (qi->cmdtext != NULL));
	return trace_write(qi->w, ev, cause);
}

void qtest_import_set_progress(struct qtest_import *qi, void (*fn)(void *opaque, uint64_t events, uint64_t total),
    void *opaque)
{
	qi->progress = fn;
	qi->progress_opaque = opaque;
}

/* A mark: text from the input, control characters (a trace's marks hold none but tab) as '?'. */
int qi_mark(struct qtest_import *qi, const char *text, size_t n, char **cause)
{
	struct trace_event ev = { .kind = TRACE_MARK };
	struct buf m;
	int rc;

	if (qi->pass != P_WRITE)
		return 0;
	buf_init(&m);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		buf_add_u8(&m, (c < 0x20 && c != '\t') || c == 0x7f ? '?' : c);
	}
	ev.data = m.data;
	ev.len = (uint32_t)m.len;
	rc = qi_emit(qi, &ev, cause);
	buf_release(&m);
	return rc;
}

/*
 * The first six bytes of the device config (a net device's MAC) as the log
 * shows QEMU answered them, each byte before the driver wrote it (a legacy
 * driver without CTRL_MAC_ADDR may write its own).
 */
static void observe_mac(struct qtest_import *qi, bool write, uint64_t off, unsigned size, uint64_t value,
    bool has_value)
{
	for (unsigned i = 0; i < size; i++) {
		uint64_t at = off + i;

		if (at >= NET_MAC_LEN || qi->mac_state[at] != 0 || (!write && !has_value))
			continue;
		qi->mac_state[at] = write ? 2 : 1;
		qi->mac[at] = (uint8_t)(value >> (8 * i));
	}
}

/* What a log shows QEMU answered: header facts (pass P_OBSERVE). */
static void observe_bar(struct qtest_import *qi, bool write, unsigned bar, uint64_t off, unsigned size,
    uint64_t value, bool has_value)
{
	uint64_t legacy_cfg = qi->msix_on ? VIRTIO_PCI_LEGACY_CONFIG_MSIX : VIRTIO_PCI_LEGACY_CONFIG;

	if (qi->pass != P_OBSERVE)
		return;
	if (bar == 0 && off >= legacy_cfg)
		observe_mac(qi, write, off - legacy_cfg, size, value, has_value);
	else if (bar == PCI_BARS_MODERN && off >= QEMU_DEVCFG_OFF)
		observe_mac(qi, write, off - QEMU_DEVCFG_OFF, size, value, has_value);
	if (bar == 0 && !write && has_value && off == VIRTIO_PCI_LEGACY_HOST_FEATURES && size == 4 &&
	    !qi->legacy_features_seen) {
		qi->legacy_features = (uint32_t)value;
		qi->legacy_features_seen = true;
	}
	if (bar != PCI_BARS_MODERN)
		return;
	if (write) {
		if (off == CC_DFSELECT && size == 4)
			qi->dfselect = (uint32_t)value;
		else if (off == CC_QSELECT && size == 2)
			qi->qsel = (uint16_t)value;
		else if (off == CC_QSIZE && size == 2 && qi->qsel < TRACE_MAX_QUEUES && qi->qsize_state[qi->qsel] == 0)
			qi->qsize_state[qi->qsel] = 2;
		return;
	}
	if (!has_value)
		return;
	if (off == CC_DF && size == 4 && qi->dfselect <= 1) {
		unsigned sh = 32 * qi->dfselect;
		qi->features = (qi->features & ~(0xffffffffull << sh)) | (value & 0xffffffffull) << sh;
		qi->features_seen |= (uint8_t)(1u << qi->dfselect);
	} else if (off == CC_NUMQ && size == 2 && qi->numq < 0) {
		qi->numq = (int)value;
	} else if (off == CC_QSIZE && size == 2 && qi->qsel < TRACE_MAX_QUEUES && qi->qsize_state[qi->qsel] == 0) {
		qi->qsize[qi->qsel] = (uint16_t)value;
		qi->qsize_state[qi->qsel] = 1;
	}
}

/* One access of size 1, 2, 4 or 8 that lies inside BAR bar. */
static int bar_access(struct qtest_import *qi, bool write, unsigned bar, uint64_t addr, unsigned size,
    uint64_t value, bool has_value, char **cause)
{
	struct trace_event ev = {
		.kind = write ? TRACE_BAR_WRITE : TRACE_BAR_READ, .space = (uint8_t)bar, .size = (uint8_t)size,
		.addr = addr - pci_bars_addr(&qi->bars, bar), .value = value, .has_value = write || has_value,
	};

	if (size < 8)
		ev.value &= (1ull << (8 * size)) - 1;
	observe_bar(qi, write, bar, ev.addr, size, ev.value, has_value);
	return qi_emit(qi, &ev, cause);
}

static uint64_t le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/*
 * One configuration access to bus 0, through 0xcf8/0xcfc or the ECAM window:
 * the virtio function's become cfg events; on q35 the MCH's PCIEXBAR is
 * followed, since it places the ECAM window.
 */
static int cfg_access(struct qtest_import *qi, bool write, unsigned devfn, uint32_t off, unsigned size,
    uint64_t value, bool has_value, char **cause)
{
	struct trace_event ev = {
		.kind = write ? TRACE_CFG_WRITE : TRACE_CFG_READ, .size = (uint8_t)size, .addr = off,
		.value = value, .has_value = write || has_value,
	};

	if (write && qi->cmd.q35 && devfn == 0)
		for (unsigned i = 0; i < size; i++)
			if (off + i >= Q35_PCIEXBAR && off + i < Q35_PCIEXBAR + 8) {
				unsigned sh = 8 * (off + i - Q35_PCIEXBAR);

				qi->pciexbar = (qi->pciexbar & ~(0xffull << sh)) | ((value >> (8 * i)) & 0xff) << sh;
			}
	if (qi->pass == P_DISCOVER) {
		if (write)
			qi->cfg_writes[devfn]++;
		else if (has_value && off == 0 && size >= 2 && (value & 0xffff) == PCI_VENDOR_VIRTIO &&
		    qi->virtio_devfn < 0) {
			qi->virtio_devfn = (int)devfn;
			qi->virtio_devid = size == 4 ? (uint16_t)(value >> 16) : 0;
		} else if (has_value && off == 2 && size == 2 && (int)devfn == qi->virtio_devfn)
			qi->virtio_devid = (uint16_t)value;
		return 0;
	}
	if (devfn != qi->devfn) {
		qi->st.dropped++;
		return 0;
	}
	if (write) {
		unsigned ctrl_hi = (qi->cmd.modern ? QEMU_MSIX_CAP : 0x40) + 3;	/* MSI-X enable: bit 15 of control */

		pci_bars_cfg_write(&qi->bars, off, size, value);
		if (ctrl_hi >= off && ctrl_hi < off + size)
			qi->msix_on = (value >> (8 * (ctrl_hi - off))) & 0x80;
	}
	if (!write && has_value)
		pci_bars_cfg_read(&qi->bars, off, size, value);
	if (!write && has_value && qi->pass == P_OBSERVE)
		for (unsigned i = 0; i < size; i++)
			if (!qi->cfg_seen[off + i]) {
				qi->cfg_seen[off + i] = 1;
				qi->cfg_val[off + i] = (uint8_t)(value >> (8 * i));
			}
	if ((off & 3) + size <= 4)
		return qi_emit(qi, &ev, cause);
	/*
	 * Across a dword (0xcf8's low bits, or ECAM): QEMU makes one access of
	 * every byte. A trace's cfg event is made through 0xcfc + off % 4,
	 * which ends at the dword, so the same bytes go as aligned pieces.
	 */
	for (unsigned pos = 0, l; pos < size; pos += l) {
		uint32_t at = off + pos;

		for (l = 4; l > 1 && (at % l != 0 || l > size - pos); l /= 2)
			;
		ev.addr = at;
		ev.size = (uint8_t)l;
		ev.value = (value >> (8 * pos)) & ((1ull << (8 * l)) - 1);
		if (qi_emit(qi, &ev, cause) < 0)
			return -1;
	}
	return 0;
}

/*
 * The ECAM (MMCONFIG) window of q35 while the guest has it enabled: PCIEXBAR
 * bit 0 enables it, bits 2:1 give 256, 128 or 64 MiB, the base is aligned to
 * the length. false when there is none.
 */
static bool ecam_window(const struct qtest_import *qi, uint64_t *base, uint64_t *len)
{
	static const uint64_t lens[] = { 256ull << 20, 128ull << 20, 64ull << 20 };
	unsigned code = (unsigned)(qi->pciexbar >> 1) & 3;

	if (!qi->cmd.q35 || !(qi->pciexbar & 1) || code >= NELEM(lens))
		return false;
	*len = lens[code];
	*base = qi->pciexbar & 0xffffffff0ull & ~(*len - 1);
	return true;
}

/* Bytes of the ECAM window left from addr, or 0 if addr is not in it. */
static uint64_t ecam_left(const struct qtest_import *qi, uint64_t addr)
{
	uint64_t base, len;

	if (!ecam_window(qi, &base, &len) || addr < base || addr - base >= len)
		return 0;
	return len - (addr - base);
}

/*
 * An access of at most 4 bytes inside the ECAM window: bus 0 (bits 27:20 of
 * the offset), device and function (19:12), register (11:0). Offsets past the
 * 256 bytes of a conventional PCI function, and other buses, are dropped.
 */
static int ecam_access(struct qtest_import *qi, bool write, uint64_t addr, unsigned size, uint64_t value,
    bool has_value, char **cause)
{
	uint64_t base = 0, len = 0, rel;
	uint32_t off;

	(void)ecam_window(qi, &base, &len);
	rel = addr - base;
	off = (uint32_t)(rel & 0xfff);
	if ((rel >> 20) != 0 || off + size > 256) {
		qi->st.dropped++;
		return 0;
	}
	return cfg_access(qi, write, (unsigned)(rel >> 12) & 0xff, off, size, value, has_value, cause);
}

/*
 * Bytes at addr (write: data; read: data if the log has the reply, else
 * NULL): RAM parts become mem / mem-read, BAR parts accesses of at most 4
 * aligned bytes (what QEMU's virtio regions take), the rest is dropped.
 */
int qi_mem_bytes(struct qtest_import *qi, bool write, uint64_t addr, const uint8_t *data, uint64_t len,
    char **cause)
{
	while (len > 0) {
		uint64_t left = ecam_left(qi, addr), n;
		bool ecam = left > 0;
		int bar = -1, ram = -1;

		if (!ecam && (bar = pci_bars_find(&qi->bars, addr, &left)) < 0)
			ram = find_ram(qi, addr, &left);
		if (ecam || bar >= 0) {
			uint64_t v;

			n = 4 - (addr & 3);
			while (n > len || n > left || (n & (n - 1)) != 0 || (addr & (n - 1)) != 0)
				n--;
			v = data ? le_get(data, (unsigned)n) : 0;
			if ((ecam ? ecam_access(qi, write, addr, (unsigned)n, v, data != NULL, cause) :
			    bar_access(qi, write, (unsigned)bar, addr, (unsigned)n, v, data != NULL, cause)) != 0)
				return -1;
		} else if (ram < 0) {
			n = gap(qi, addr);
			n = n < len ? n : len;
			qi->st.dropped++;
		} else {
			struct trace_event ev = { .kind = write ? TRACE_MEM : TRACE_MEM_READ, .addr = addr, .data = data };
			n = left < len ? left : len;
			ev.len = (uint32_t)n;
			if (data != NULL && qi_emit(qi, &ev, cause) != 0)
				return -1;
		}
		addr += n;
		len -= n;
		if (data != NULL)
			data += n;
	}
	return 0;
}

/* writeX / readX: one access of size bytes (a value, little-endian in RAM). */
int qi_mem_sized(struct qtest_import *qi, bool write, uint64_t addr, unsigned size, uint64_t value,
    bool has_value, char **cause)
{
	uint8_t b[8];
	uint64_t left;
	int bar = pci_bars_find(&qi->bars, addr, &left);

	if (size < 8)
		value &= (1ull << (8 * size)) - 1;
	if (size <= 4 && ecam_left(qi, addr) >= size)
		return ecam_access(qi, write, addr, size, value, has_value, cause);
	if (bar >= 0 && left >= size)
		return bar_access(qi, write, (unsigned)bar, addr, size, value, has_value, cause);
	for (unsigned i = 0; i < size; i++)
		b[i] = (uint8_t)(value >> (8 * i));
	return qi_mem_bytes(qi, write, addr, write || has_value ? b : NULL, size, cause);
}

/* Port I/O: 0xcf8/0xcfc config mechanism #1, and the legacy I/O BAR 0 of a transitional function. */
int qi_port_access(struct qtest_import *qi, bool write, uint64_t port, unsigned size, uint64_t value,
    bool has_value, char **cause)
{
	uint64_t io = pci_bars_addr(&qi->bars, 0);

	if (port > 0xffff)
		return qi_fail(qi, cause, "port 0x%llx is beyond 0xffff", (unsigned long long)port);
	value &= (1ull << (8 * size)) - 1;	/* at most 4 bytes: QEMU's qtest truncates, so do we */
	if (port == 0xcf8 && size == 4) {
		if (write)
			qi->cf8 = (uint32_t)value;
		return 0;
	}
	/* QEMU ORs the port's low bits into the latch as written (low bits included). */
	if (port >= 0xcfc && port + size <= 0xd00 && (qi->cf8 & 0x80000000u) && ((qi->cf8 >> 16) & 0xff) == 0)
		return cfg_access(qi, write, (qi->cf8 >> 8) & 0xff, (qi->cf8 | (uint32_t)(port & 3)) & 0xff, size, value,
		    has_value, cause);
	/*
	 * PIIX3's and ICH9's reset control register: bit 2 written asks a machine
	 * reset (an exported script ends so, with -no-reboot). Nothing may follow.
	 */
	if (write && port <= 0xcf9 && port + size > 0xcf9 && (value >> (8 * (0xcf9 - port)) & 4)) {
		qi->reset_line = qi->line;
		return 0;
	}
	if (io != 0 && port >= io && port < io + pci_bars_size(&qi->bars, 0)) {
		qi->legacy_used = true;
		return bar_access(qi, write, 0, port, size, value, has_value, cause);
	}
	qi->st.dropped++;
	return 0;
}

