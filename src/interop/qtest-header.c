/* qtest-header.c -- the qtest importer's trace header: RAM, device and function from the command line, facts from what QEMU answered */
#include <stdio.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/virtio-spec.h"
#include "qtest-import-int.h"

/* ---- header facts ---- */

/* Guest RAM as QEMU lays out -m on a PC: below the PCI hole, the rest above 4 GiB. */
void qi_ram_layout(struct qtest_import *qi)
{
	uint64_t ram = qi->cmd.ram, below = ram;
	uint64_t limit = qi->cmd.q35 ? 0xb0000000ull : 0xe0000000ull;
	uint64_t split = qi->cmd.q35 ? 0x80000000ull : 0xc0000000ull;

	if (ram >= limit)
		below = split;
	qi->hdr.nram = 1;
	qi->hdr.ram[0].base = 0;
	qi->hdr.ram[0].size = below;
	if (ram > below) {
		qi->hdr.nram = 2;
		qi->hdr.ram[1].base = 1ull << 32;
		qi->hdr.ram[1].size = ram - below;
	}
}

/* Virtio device type from a -device name: trace_device_parse, then QEMU's "virtio-X-pci" spelling. */
static int device_type(const char *name)
{
	int id = trace_device_parse(name);
	char core[64];
	size_t n;

	if (id >= 0 || strncmp(name, "virtio-", 7) != 0)
		return id;
	snprintf(core, sizeof core, "%s", name + 7);
	n = strlen(core);
	if (n > 4 && strcmp(core + n - 4, "-pci") == 0)
		core[n - 4] = '\0';
	if (strcmp(core, "serial") == 0)
		return trace_device_parse("console");
	return trace_device_parse(core);
}

/* The device id QEMU answered: modern 0x1040 + type, or a transitional id. */
static int device_from_id(uint16_t id)
{
	static const struct {
		uint16_t id;
		uint8_t type;
	} transitional[] = {
		{ 0x1000, 1 }, { 0x1001, 2 }, { 0x1002, 5 }, { 0x1003, 3 }, { 0x1004, 8 }, { 0x1005, 4 }, { 0x1009, 9 },
	};

	if (id >= 0x1041 && id <= 0x107f)
		return id - 0x1040;
	for (size_t i = 0; i < NELEM(transitional); i++)
		if (transitional[i].id == id)
			return transitional[i].type;
	return -1;
}

int qi_choose_devfn(struct qtest_import *qi, char **cause)
{
	uint32_t best = 0;

	if (qi->cmd.devfn >= 0) {
		qi->devfn = (unsigned)qi->cmd.devfn;
		return 0;
	}
	if (qi->virtio_devfn >= 0) {
		qi->devfn = (unsigned)qi->virtio_devfn;
		return 0;
	}
	/* A stream: the function the guest configures most, leaving out the chipset (slots 0, 1 and 31). */
	for (unsigned d = 0x10; d < 0xf8; d++)
		if (qi->cfg_writes[d] > best) {
			best = qi->cfg_writes[d];
			qi->devfn = d;
		}
	if (best == 0)
		return cause_set(cause, "%s: the input never writes the config space of a PCI function "
		    "(no BAR is placed, so no access can be followed to the device)", qi->path);
	return 0;
}

/*
 * virtio-serial-pci's properties as the facts the console model reads:
 * max_ports N as its 2 + 2N queues (rx0 tx0 128, the control queues 32,
 * 128 for the rest) (emergency-write=off is a feature property, see
 * features(), class= is any device's). What the log shows QEMU answered
 * overrides them.
 */
static void serial_header(struct qtest_import *qi)
{
	struct trace_header *h = &qi->hdr;
	unsigned ports = qi->cmd.max_ports > 0 ? (unsigned)qi->cmd.max_ports : 31;

	if (qi->cmd.max_ports > 0) {
		h->nqueues = (uint16_t)(2 + 2 * ports);
		for (unsigned i = 0; i < h->nqueues; i++)
			h->queue_max[i] = i == 2 || i == 3 ? 32 : 128;
	}
}

int qi_build_header(struct qtest_import *qi, char **cause)
{
	struct trace_header *h = &qi->hdr;
	const char *base = strrchr(qi->path, '/');
	int dev;

	if (qi->cmd.device[0] != '\0') {
		if ((dev = device_type(qi->cmd.device)) < 0)
			return cause_set(cause, "%s: -device %s: not a virtio device type virtio-replay knows", qi->path,
			    qi->cmd.device);
	} else if ((dev = device_from_id(qi->virtio_devid)) < 0) {
		return cause_set(cause, "%s: no -device virtio-... on a QEMU command line and no device ID "
		    "read back: give the command line with --cmdline", qi->path);
	} else if (qi->virtio_devid < 0x1040) {
		qi->cmd.legacy = true;	/* a transitional ID: QEMU's function has the legacy I/O BAR 0 */
	}
	h->device = (uint8_t)dev;
	h->layout = TRACE_LAYOUT_QEMU;
	if (qi->cmd.device[0] != '\0' && !qi->cmd.modern)
		h->transport = TRACE_TRANSPORT_LEGACY;	/* disable-modern=on */
	qi_ram_layout(qi);
	if (qi->cmd.serial[0] != '\0')
		snprintf(h->serial, sizeof h->serial, "%s", qi->cmd.serial);
	if (dev == 2 || dev == 8) {
		h->discard = qi->cmd.discard_unmap ? TRACE_DISCARD_UNMAP : TRACE_DISCARD_IGNORE;
		h->write_cache = qi->cmd.write_cache == 0 ? TRACE_WCACHE_OFF : TRACE_WCACHE_ON;
	}
	if (dev == VIRTIO_ID_NET && qi->cmd.has_mac) {
		memcpy(h->devcfg, qi->cmd.mac, 6);	/* a prefix: the rest of the config stays the model's */
		h->devcfg_len = 6;
	}
	if (qi->cmd.vectors >= 0) {
		h->has |= TRACE_HAS_MSIX;
		h->msix_vectors = (uint16_t)qi->cmd.vectors;
	}
	if (dev == VIRTIO_ID_CONSOLE)
		serial_header(qi);
	if (qi->cmd.pci_class >= 0) {
		h->has |= TRACE_HAS_CLASS;
		h->pci_class = (uint32_t)qi->cmd.pci_class;
	}
	if ((dev == 2 || dev == 8) && qi->cmd.nqueues > 0) {
		h->nqueues = (uint16_t)qi->cmd.nqueues;
		for (unsigned i = 0; i < h->nqueues; i++)
			h->queue_max[i] = 256;
	}
	if ((dev == 2 || dev == 8) && qi->cmd.disk_size > 0) {
		h->nbackends = 1;
		snprintf(h->backend[0].type, sizeof h->backend[0].type, "disk");
		h->backend[0].size = qi->cmd.disk_size;
	}
	snprintf(h->title, sizeof h->title, "qtest import of %.100s", base != NULL ? base + 1 : qi->path);
	return 0;
}

/*
 * The offered features: QEMU's default offer for the device and its queues
 * with the command line's feature properties applied, and in place of each
 * half of it the half a log shows QEMU answered (a log that reads one half
 * says nothing about the other: it is not zero). The modern register says
 * it exactly; without it, a legacy driver's host_features read is the low
 * half plus the bits only a legacy driver sees (QEMU's legacy_features,
 * which the model shows a legacy driver whatever the offer). Left 0 (the
 * profile's default offer) when neither the command line nor the log says
 * anything.
 */
static void features(struct qtest_import *qi)
{
	struct trace_header *h = &qi->hdr;
	uint64_t seen = ((qi->features_seen & 1) ? 0xffffffffull : 0) | ((qi->features_seen & 2) ? 0xffffffffull << 32 : 0);
	uint64_t answered = qi->features, offer;

	if (!(qi->features_seen & 1) && qi->legacy_features_seen && qi->qemu != NULL) {
		uint32_t low = qi->legacy_features & ~qi->qemu->legacy_only(h->device, h->transport != TRACE_TRANSPORT_LEGACY);

		answered = (answered & ~0xffffffffull) | low;
		seen |= 0xffffffffull;
	}
	if (seen == UINT64_MAX) {
		h->features = answered;
		return;
	}
	if ((seen == 0 && (qi->cmd.features_on | qi->cmd.features_off) == 0) || qi->qemu == NULL)
		return;
	offer = (qi->qemu->offer(h->device, h->nqueues) | qi->cmd.features_on) & ~qi->cmd.features_off;
	h->features = (offer & ~seen) | (answered & seen);
}

/* What the log showed QEMU answered, into the header (after P_OBSERVE). */
void qi_header_observed(struct qtest_import *qi)
{
	struct trace_header *h = &qi->hdr;
	const uint8_t *s = qi->cfg_seen, *v = qi->cfg_val;

	/* a transitional function whose I/O BAR 0 the input drives: the header says so */
	if (qi->legacy_used && h->transport == TRACE_TRANSPORT_MODERN)
		h->transport = TRACE_TRANSPORT_TRANSITIONAL;
	if (s[8]) {
		h->has |= TRACE_HAS_REVISION;
		h->pci_revision = v[8];
	}
	if (s[9] && s[10] && s[11]) {
		h->has |= TRACE_HAS_CLASS;
		h->pci_class = (uint32_t)v[11] << 16 | (uint32_t)v[10] << 8 | v[9];
	}
	if (s[0x2c] && s[0x2d] && s[0x2e] && s[0x2f]) {
		h->has |= TRACE_HAS_SUBSYS;
		h->subsys_vendor = (uint16_t)(v[0x2c] | v[0x2d] << 8);
		h->subsys_id = (uint16_t)(v[0x2e] | v[0x2f] << 8);
	}
	if (qi->numq > 0 && qi->numq <= TRACE_MAX_QUEUES) {
		uint16_t known = h->nqueues;

		h->nqueues = (uint16_t)qi->numq;
		for (int i = 0; i < qi->numq; i++) {
			unsigned q = qi->qsize_state[i] == 1 ? qi->qsize[i] : 0;
			/* A size QEMU never showed (or one out of bounds): the command line's, else the transport's default. */
			h->queue_max[i] = (uint16_t)(q != 0 && q <= TRACE_MAX_QUEUE_SIZE && (q & (q - 1)) == 0 ? q :
			    i < known ? h->queue_max[i] : 256);
		}
	}
	/* net: the MAC the driver read, all six bytes before it wrote any (the command line's mac= or QEMU's default) */
	if (h->device == VIRTIO_ID_NET && memchr(qi->mac_state, 0, NET_MAC_LEN) == NULL &&
	    memchr(qi->mac_state, 2, NET_MAC_LEN) == NULL) {
		memcpy(h->devcfg, qi->mac, NET_MAC_LEN);	/* a prefix, as from mac= */
		if (h->devcfg_len < NET_MAC_LEN)
			h->devcfg_len = NET_MAC_LEN;
	}
	features(qi);
}
