/* vpci-name.c -- register names for logs: "common.queue_desc[31:0]", "msix.table[3].data", "cfg.bar4" */
#include <stdio.h>
#include <string.h>

#include "machine.h"

static const struct vpci_reg hdr_fields[] = {
	{ 0x00, 2, "vendor" }, { 0x02, 2, "device" }, { 0x04, 2, "command" }, { 0x06, 2, "status" },
	{ 0x08, 1, "revision" }, { 0x09, 1, "progif" }, { 0x0a, 1, "subclass" }, { 0x0b, 1, "class" },
	{ 0x0c, 1, "cache_line" }, { 0x0d, 1, "latency" }, { 0x0e, 1, "header_type" }, { 0x0f, 1, "bist" },
	{ 0x10, 4, "bar0" }, { 0x14, 4, "bar1" }, { 0x18, 4, "bar2" }, { 0x1c, 4, "bar3" },
	{ 0x20, 4, "bar4" }, { 0x24, 4, "bar5" }, { 0x28, 4, "cardbus" }, { 0x2c, 2, "subsys_vendor" },
	{ 0x2e, 2, "subsys" }, { 0x30, 4, "rom" }, { 0x34, 1, "cap_ptr" }, { 0x3c, 1, "int_line" },
	{ 0x3d, 1, "int_pin" }, { 0x3e, 1, "min_gnt" }, { 0x3f, 1, "max_lat" },
};

static const struct vpci_reg vcap_fields[] = {
	{ 0, 1, "vndr" }, { 1, 1, "next" }, { 2, 1, "len" }, { 3, 1, "cfg_type" }, { 4, 1, "bar" },
	{ 5, 1, "id" }, { 8, 4, "offset" }, { 12, 4, "length" },
};

static const struct vpci_reg msix_fields[] = {
	{ 0, 1, "id" }, { 1, 1, "next" }, { 2, 2, "control" }, { 4, 4, "table" }, { 8, 4, "pba" },
};

static const char *const msix_entry[] = { "addr_lo", "addr_hi", "data", "ctrl" };

/* Name off within a field table: exact field, 64-bit half, or field+offset. */
static void name_in(const struct vpci_reg *t, size_t n, const char *prefix, uint32_t off, unsigned size, char *out,
    size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (off < t[i].off || off >= t[i].off + t[i].size)
			continue;
		uint32_t in = off - t[i].off;
		if (t[i].size == 8 && size == 4 && (in == 0 || in == 4))
			snprintf(out, len, "%s%s[%s]", prefix, t[i].name, in ? "63:32" : "31:0");
		else if (in == 0)
			snprintf(out, len, "%s%s", prefix, t[i].name);
		else
			snprintf(out, len, "%s%s+0x%x", prefix, t[i].name, in);
		return;
	}
	snprintf(out, len, "%s0x%x", prefix, off);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

void vpci_name_cfg(const struct vpci *d, uint32_t off, unsigned size, char *out, size_t n)
{
	if (off < 0x40) {
		name_in(hdr_fields, N(hdr_fields), "cfg.", off, size, out, n);
		return;
	}
	static const char *const capname[] = { "?", "common", "notify", "isr", "device", "pci_cfg" };
	const uint8_t *cfg = d->pci.cfg;
	uint8_t caps[6] = { d->cap_common, d->cap_notify, d->cap_isr, d->cap_device, d->cap_pcicfg, 0 };
	for (unsigned i = 0; i < 5; i++) {
		uint8_t c = caps[i];
		if (c == 0 || off < c || off >= (uint32_t)c + cfg[c + 2])
			continue;
		char prefix[32];
		snprintf(prefix, sizeof prefix, "cfg.cap_%s.", capname[cfg[c + 3] < 6 ? cfg[c + 3] : 0]);
		uint32_t in = off - c;
		if (in >= 16)
			snprintf(out, n, "%s%s", prefix, c == d->cap_pcicfg ? "data" : "notify_off_multiplier");
		else
			name_in(vcap_fields, N(vcap_fields), prefix, in, size, out, n);
		if (in >= 16 && in != 16)
			snprintf(out + strlen(out), n - strlen(out), "+0x%x", in - 16);
		return;
	}
	if (off >= d->msix.cap && off < d->msix.cap + 12u) {
		name_in(msix_fields, N(msix_fields), "cfg.msix.", off - d->msix.cap, size, out, n);
		return;
	}
	snprintf(out, n, "cfg.0x%02x", off);
}

void vpci_name_bar(const struct vpci *d, unsigned bar, uint64_t off, unsigned size, char *out, size_t n)
{
	const struct vpci_region *r = NULL;
	for (unsigned i = 0; i < d->nreg; i++)
		if (d->reg[i].bar == bar && off >= d->reg[i].off && off - d->reg[i].off < d->reg[i].len)
			r = &d->reg[i];
	if (r == NULL) {
		snprintf(out, n, "bar%u+0x%llx", bar, (unsigned long long)off);
		return;
	}
	uint32_t rel = (uint32_t)(off - r->off);
	switch (r->kind) {
	case R_COMMON:
		name_in(vpci_common_regs, VPCI_CF_COUNT, "common.", rel, size, out, n);
		break;
	case R_ISR:
		if (rel == 0)
			snprintf(out, n, "isr");
		else
			snprintf(out, n, "isr+0x%x", rel);
		break;
	case R_DEVICE:
		snprintf(out, n, "devcfg+0x%x", rel);
		break;
	case R_NOTIFY:
		if (rel % d->prof->notify_mult == 0)
			snprintf(out, n, "notify[%u]", rel / d->prof->notify_mult);
		else
			snprintf(out, n, "notify+0x%x", rel);
		break;
	case R_MSIX_TABLE:
		if (rel % 4 == 0)
			snprintf(out, n, "msix.table[%u].%s", rel / 16, msix_entry[(rel % 16) / 4]);
		else
			snprintf(out, n, "msix.table+0x%x", rel);
		break;
	case R_MSIX_PBA:
		snprintf(out, n, "msix.pba+0x%x", rel);
		break;
	case R_LEGACY:
		if (rel >= vpci_legacy_config_off(d))
			snprintf(out, n, "legacy.devcfg+0x%x", rel - vpci_legacy_config_off(d));
		else
			name_in(vpci_legacy_regs, VPCI_LG_COUNT, "legacy.", rel, size, out, n);
		break;
	}
}
