/* qemu-props.c -- the QEMU 7.2 -device properties import takes into the header, and those it refuses */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/virtio-spec.h"
#include "qemu-cmdline-int.h"

/*
 * QEMU 7.2's DEFINE_VIRTIO_COMMON_FEATURES (include/hw/virtio/virtio.h):
 * feature bit properties every virtio device has, and what import does with
 * one the command line sets against QEMU's default.
 */
enum common_how {
	CF_OFFER,		/* the bit of the offer (header features) */
	CF_MODERN_ONLY,		/* ... and QEMU refuses it on a device with a legacy interface */
	CF_LEGACY_ONLY,		/* shown to legacy drivers only (VIRTIO_LEGACY_FEATURES): the model's are fixed */
	CF_NO_MODEL,		/* the model cannot honour it */
};

static const struct {
	const char *name;
	uint8_t bit;
	bool dflt;
	enum common_how how;
} common_features[] = {
	{ "indirect_desc", VIRTIO_F_INDIRECT_DESC, true, CF_OFFER },
	{ "event_idx", VIRTIO_F_EVENT_IDX, true, CF_OFFER },
	{ "notify_on_empty", VIRTIO_F_NOTIFY_ON_EMPTY, true, CF_LEGACY_ONLY },
	{ "any_layout", VIRTIO_F_ANY_LAYOUT, true, CF_LEGACY_ONLY },
	{ "iommu_platform", VIRTIO_F_ACCESS_PLATFORM, false, CF_MODERN_ONLY },
	{ "packed", VIRTIO_F_RING_PACKED, false, CF_NO_MODEL },
	{ "queue_reset", VIRTIO_F_RING_RESET, true, CF_OFFER },
};

/* The common feature properties of the virtio -device (c->legacy, c->modern already read). */
static int common_feature_props(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	for (size_t i = 0; i < NELEM(common_features); i++) {
		char v[64];
		int on;
		uint64_t bit = 1ull << common_features[i].bit;

		if (!qc_opt_get(val, common_features[i].name, v, sizeof v))
			continue;
		if ((on = qc_parse_bool(v)) < 0)
			return cause_set(cause, "-device %s: %s=%s: not on or off", drv, common_features[i].name, v);
		if (on == common_features[i].dflt)
			continue;
		switch (common_features[i].how) {
		case CF_OFFER:
			break;
		case CF_MODERN_ONLY:
			if (c->legacy || !c->modern)
				return cause_set(cause, "-device %s: %s=%s: QEMU refuses it on a device with a legacy "
				    "interface (it takes disable-legacy=on)", drv, common_features[i].name, v);
			break;
		case CF_LEGACY_ONLY:
			/* a modern-only device never shows the bit, and the model takes none it did not show */
			if (c->legacy)
				return cause_set(cause, "-device %s: %s=%s: the device model cannot honour it on a legacy "
				    "interface (its legacy features always hold the bit; give disable-legacy=on)", drv,
				    common_features[i].name, v);
			continue;
		case CF_NO_MODEL:
			return cause_set(cause, "-device %s: %s=%s: the device models have no packed virtqueues", drv,
			    common_features[i].name, v);
		}
		if (on)
			c->features_on |= bit;
		else
			c->features_off |= bit;
	}
	return 0;
}

/*
 * Other properties of the virtio -device (QEMU 7.2) that change what the
 * guest sees, by device type: a feature bit of the offer (PD_FEATURE: on by
 * default, off takes it out), or a value other than QEMU's default refused
 * (PD_REFUSE: no header fact holds it, the model has QEMU's default). Not
 * listed: what is read elsewhere (addr, disable-legacy, disable-modern,
 * vectors, serial, drive, write-cache, mac, virtio-serial's own), and what the
 * guest cannot see through the function: ioeventfd, iothread,
 * request-merging, rerror/werror, migration and vhost switches, aer, ats and
 * x-pcie-* (PCI Express capabilities only behind a PCIe port, and import
 * follows bus 0), and virtio-net's offload switches (csum, gso, guest_*,
 * host_*), which QEMU clears anyway on a backend without a vnet header, as
 * the model's offer has them.
 */
enum pd_kind { PD_FEATURE, PD_REFUSE };
enum pd_value { PV_BOOL, PV_U32, PV_SIZE, PV_STR, PV_ANY };

static const struct {
	const char *device;	/* prefix of the -device name; "" every virtio device; "scsi-hd" the disk */
	const char *name;
	enum pd_kind kind;
	enum pd_value value;
	uint64_t dflt;		/* QEMU's default (PV_ANY: none, any value is refused) */
	uint64_t dflt2;		/* a second spelling of it (num-queues' "auto"), or the default */
	uint8_t bit;		/* PD_FEATURE */
	const char *what;	/* PD_REFUSE: what the model has (PV_STR: QEMU's default, the model's too) */
} device_props[] = {
	{ "", "modern-pio-notify", PD_REFUSE, PV_BOOL, 0, 0, 0, "no notify capability in an I/O BAR" },
	{ "", "page-per-vq", PD_REFUSE, PV_BOOL, 0, 0, 0, "one notify page for all queues" },
	{ "", "multifunction", PD_REFUSE, PV_BOOL, 0, 0, 0, "a single-function header type" },
	{ "", "rombar", PD_REFUSE, PV_U32, 1, 1, 0, "QEMU's default ROM BAR" },
	{ "", "romfile", PD_REFUSE, PV_ANY, 0, 0, 0, "QEMU's default option ROM" },
	{ "virtio-blk", "discard", PD_FEATURE, PV_BOOL, 1, 1, VIRTIO_BLK_F_DISCARD, NULL },
	{ "virtio-blk", "write-zeroes", PD_FEATURE, PV_BOOL, 1, 1, VIRTIO_BLK_F_WRITE_ZEROES, NULL },
	{ "virtio-blk", "config-wce", PD_FEATURE, PV_BOOL, 1, 1, VIRTIO_BLK_F_CONFIG_WCE, NULL },
	{ "virtio-blk", "scsi", PD_REFUSE, PV_BOOL, 0, 0, 0, "no SCSI passthrough" },
	{ "virtio-blk", "queue-size", PD_REFUSE, PV_U32, 256, 256, 0, "256-entry queues and the seg_max they give" },
	{ "virtio-blk", "seg-max-adjust", PD_REFUSE, PV_BOOL, 1, 1, 0, "QEMU's default seg_max" },
	{ "virtio-blk", "logical_block_size", PD_REFUSE, PV_SIZE, 512, 512, 0, "512-byte blocks" },
	{ "virtio-blk", "physical_block_size", PD_REFUSE, PV_SIZE, 512, 512, 0, "QEMU's default topology" },
	{ "virtio-blk", "min_io_size", PD_REFUSE, PV_SIZE, 0, 0, 0, "QEMU's default topology" },
	{ "virtio-blk", "opt_io_size", PD_REFUSE, PV_SIZE, 0, 0, 0, "QEMU's default topology" },
	{ "virtio-blk", "cyls", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "virtio-blk", "heads", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "virtio-blk", "secs", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "virtio-blk", "discard_granularity", PD_REFUSE, PV_ANY, 0, 0, 0, "QEMU's default discard alignment" },
	{ "virtio-blk", "report-discard-granularity", PD_REFUSE, PV_BOOL, 1, 1, 0, "QEMU's default discard alignment" },
	{ "virtio-blk", "max-discard-sectors", PD_REFUSE, PV_U32, 4194303, 4194303, 0, "max_discard_sectors 4194303" },
	{ "virtio-blk", "max-write-zeroes-sectors", PD_REFUSE, PV_U32, 4194303, 4194303, 0,
	  "max_write_zeroes_sectors 4194303" },
	{ "virtio-scsi", "hotplug", PD_FEATURE, PV_BOOL, 1, 1, VIRTIO_SCSI_F_HOTPLUG, NULL },
	{ "virtio-scsi", "param_change", PD_FEATURE, PV_BOOL, 1, 1, VIRTIO_SCSI_F_CHANGE, NULL },
	{ "virtio-scsi", "virtqueue_size", PD_REFUSE, PV_U32, 256, 256, 0, "256-entry queues and the seg_max they give" },
	{ "virtio-scsi", "seg_max_adjust", PD_REFUSE, PV_BOOL, 1, 1, 0, "QEMU's default seg_max" },
	{ "virtio-scsi", "max_sectors", PD_REFUSE, PV_U32, 0xffff, 0xffff, 0, "max_sectors 65535" },
	{ "virtio-scsi", "cmd_per_lun", PD_REFUSE, PV_U32, 128, 128, 0, "cmd_per_lun 128" },
	{ "virtio-rng", "max-bytes", PD_REFUSE, PV_ANY, 0, 0, 0, "no rate limit" },
	{ "virtio-rng", "period", PD_REFUSE, PV_ANY, 0, 0, 0, "no rate limit" },
	{ "virtio-net", "mq", PD_REFUSE, PV_BOOL, 0, 0, 0, "one queue pair unless a log shows more" },
	{ "virtio-net", "rx_queue_size", PD_REFUSE, PV_U32, 256, 256, 0, "256-entry queues" },
	{ "virtio-net", "tx_queue_size", PD_REFUSE, PV_U32, 256, 256, 0, "256-entry queues" },
	{ "virtio-net", "host_mtu", PD_REFUSE, PV_U32, 0, 0, 0, "no MTU" },
	{ "virtio-net", "speed", PD_REFUSE, PV_ANY, 0, 0, 0, "no SPEED_DUPLEX" },
	{ "virtio-net", "duplex", PD_REFUSE, PV_ANY, 0, 0, 0, "no SPEED_DUPLEX" },
	{ "virtio-net", "rss", PD_REFUSE, PV_BOOL, 0, 0, 0, "no RSS" },
	{ "virtio-net", "hash", PD_REFUSE, PV_BOOL, 0, 0, 0, "no HASH_REPORT" },
	{ "virtio-net", "failover", PD_REFUSE, PV_BOOL, 0, 0, 0, "no STANDBY" },
	{ "virtio-net", "status", PD_REFUSE, PV_BOOL, 1, 1, 0, "STATUS in its offer" },
	{ "virtio-net", "ctrl_vq", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_VQ in its offer" },
	{ "virtio-net", "ctrl_rx", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_RX in its offer" },
	{ "virtio-net", "ctrl_vlan", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_VLAN in its offer" },
	{ "virtio-net", "ctrl_rx_extra", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_RX_EXTRA in its offer" },
	{ "virtio-net", "ctrl_mac_addr", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_MAC_ADDR in its offer" },
	{ "virtio-net", "ctrl_guest_offloads", PD_REFUSE, PV_BOOL, 1, 1, 0, "CTRL_GUEST_OFFLOADS in its offer" },
	{ "virtio-net", "guest_announce", PD_REFUSE, PV_BOOL, 1, 1, 0, "GUEST_ANNOUNCE in its offer" },
	{ "virtio-net", "mrg_rxbuf", PD_REFUSE, PV_BOOL, 1, 1, 0, "MRG_RXBUF in its offer" },
	/* the scsi-hd behind a virtio-scsi-pci (QEMU 7.2's DEFINE_SCSI_DISK_PROPERTIES and scsi_hd_properties) */
	{ "scsi-hd", "vendor", PD_REFUSE, PV_STR, 0, 0, 0, "QEMU" },
	{ "scsi-hd", "product", PD_REFUSE, PV_STR, 0, 0, 0, "QEMU HARDDISK" },
	{ "scsi-hd", "ver", PD_REFUSE, PV_STR, 0, 0, 0, "2.5+" },
	{ "scsi-hd", "device_id", PD_REFUSE, PV_ANY, 0, 0, 0, "QEMU's default device identification page" },
	{ "scsi-hd", "wwn", PD_REFUSE, PV_SIZE, 0, 0, 0, "no NAA designator" },
	{ "scsi-hd", "port_wwn", PD_REFUSE, PV_SIZE, 0, 0, 0, "no target port designator" },
	{ "scsi-hd", "port_index", PD_REFUSE, PV_U32, 0, 0, 0, "no relative port designator" },
	{ "scsi-hd", "removable", PD_REFUSE, PV_BOOL, 0, 0, 0, "a fixed disk" },
	{ "scsi-hd", "dpofua", PD_REFUSE, PV_BOOL, 0, 0, 0, "no DPOFUA in MODE SENSE" },
	{ "scsi-hd", "rotation_rate", PD_REFUSE, PV_U32, 0, 0, 0, "rotation rate 0" },
	{ "scsi-hd", "scsi_version", PD_REFUSE, PV_U32, 5, 5, 0, "SPC-3 in INQUIRY" },
	{ "scsi-hd", "quirk_mode_page_vendor_specific_apple", PD_REFUSE, PV_BOOL, 0, 0, 0, "no vendor mode page" },
	{ "scsi-hd", "logical_block_size", PD_REFUSE, PV_SIZE, 0, 512, 0, "512-byte blocks" },
	{ "scsi-hd", "physical_block_size", PD_REFUSE, PV_SIZE, 0, 512, 0, "QEMU's default topology" },
	{ "scsi-hd", "min_io_size", PD_REFUSE, PV_SIZE, 0, 0, 0, "QEMU's default topology" },
	{ "scsi-hd", "opt_io_size", PD_REFUSE, PV_SIZE, 0, 0, 0, "QEMU's default topology" },
	{ "scsi-hd", "discard_granularity", PD_REFUSE, PV_SIZE, 0xffffffff, 0xffffffff, 0, "QEMU's default discard alignment" },
	{ "scsi-hd", "max_unmap_size", PD_REFUSE, PV_SIZE, 1u << 30, 1u << 30, 0, "max_unmap_size 1 GiB" },
	{ "scsi-hd", "max_io_size", PD_REFUSE, PV_SIZE, 0x7fffffff, 0x7fffffff, 0, "max_io_size 2 GiB - 1" },
	{ "scsi-hd", "cyls", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "scsi-hd", "heads", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "scsi-hd", "secs", PD_REFUSE, PV_U32, 0, 0, 0, "QEMU's default geometry" },
	{ "scsi-hd", "channel", PD_REFUSE, PV_U32, 0, 0, 0, "the disk at channel 0" },
	{ "scsi-hd", "scsi-id", PD_REFUSE, PV_U32, 0, 0xffffffff, 0, "the disk at target 0" },
	{ "scsi-hd", "lun", PD_REFUSE, PV_U32, 0, 0xffffffff, 0, "the disk at LUN 0" },
};

/* The properties of device_props the -device drv sets (the virtio function, or its scsi-hd). */
static int device_prop_values(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	bool virtio = strncmp(drv, "scsi-", 5) != 0;

	for (size_t i = 0; i < NELEM(device_props); i++) {
		char v[256];
		uint64_t n = 0;
		uint32_t u;
		int b;

		if ((device_props[i].device[0] == '\0' && !virtio) ||
		    strncmp(drv, device_props[i].device, strlen(device_props[i].device)) != 0 ||
		    !qc_opt_get(val, device_props[i].name, v, sizeof v))
			continue;
		switch (device_props[i].value) {
		case PV_BOOL:
			if ((b = qc_parse_bool(v)) < 0)
				return cause_set(cause, "-device %s: %s=%s: not on or off", drv, device_props[i].name, v);
			n = (uint64_t)b;
			break;
		case PV_U32:
			if (qc_parse_u32(v, &u) != 0)
				return cause_set(cause, "-device %s: %s=%s: not a number", drv, device_props[i].name, v);
			n = u;
			break;
		case PV_SIZE:
			if (qc_parse_size(v, 1, &n) != 0)
				return cause_set(cause, "-device %s: %s=%s: not a size", drv, device_props[i].name, v);
			break;
		case PV_STR:
			if (strcmp(v, device_props[i].what) == 0)
				continue;
			return cause_set(cause, "-device %s: %s=%s: the device model cannot honour it (it has %s=%s)", drv,
			    device_props[i].name, v, device_props[i].name, device_props[i].what);
		case PV_ANY:
			n = ~device_props[i].dflt;
			break;
		}
		if (n == device_props[i].dflt || n == device_props[i].dflt2)
			continue;
		if (device_props[i].kind == PD_REFUSE)
			return cause_set(cause, "-device %s: %s=%s: the device model cannot honour it (it has %s)", drv,
			    device_props[i].name, v, device_props[i].what);
		if (n)
			c->features_on |= 1ull << device_props[i].bit;
		else
			c->features_off |= 1ull << device_props[i].bit;
	}
	return 0;
}

/*
 * virtio-blk's num-queues and virtio-scsi's num_queues: the queue count
 * (blk N, scsi control + event + N; QEMU 7.2 gives "auto" one request queue
 * on the one vCPU of a qtest machine). The models derive MQ and the
 * config's num_queues from it.
 */
static int queue_count(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	bool scsi = strncmp(drv, "virtio-scsi", 11) == 0;
	const char *key = scsi ? "num_queues" : "num-queues";
	uint32_t n, fixed = scsi ? 2 : 0;
	char v[64];

	if ((!scsi && strncmp(drv, "virtio-blk", 10) != 0) || !qc_opt_get(val, key, v, sizeof v))
		return 0;
	if (qc_parse_u32(v, &n) != 0)
		return cause_set(cause, "-device %s: %s=%s: not a number", drv, key, v);
	if (n == (scsi ? UINT32_MAX : 65535))
		return 0;	/* auto */
	if (n == 0 || n > TRACE_MAX_QUEUES - fixed)
		return cause_set(cause, "-device %s: %s=%s: QEMU takes 1 to %u queues", drv, key, v,
		    TRACE_MAX_QUEUES - fixed);
	c->nqueues = (int)(n + fixed);
	return 0;
}

/*
 * virtio-blk-pci's class: QEMU 7.2 puts any value but 0 into the class word
 * (class and subclass, its low 16 bits), whatever it is; 0 keeps 01 00.
 */
static int blk_class(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	char v[64];
	uint32_t n;

	if (strncmp(drv, "virtio-blk", 10) != 0 || !qc_opt_get(val, "class", v, sizeof v))
		return 0;
	if (qc_parse_u32(v, &n) != 0)
		return cause_set(cause, "-device %s: class=%s: not a number", drv, v);
	if (n != 0)
		c->pci_class = (int32_t)((n & 0xffff) << 8);
	return 0;
}

static unsigned hexval(char ch)
{
	return isdigit((unsigned char)ch) ? (unsigned)(ch - '0') : (unsigned)(tolower((unsigned char)ch) - 'a' + 10);
}

/* A MAC as QEMU's set_mac reads one: six hex pairs split by ':' or '-'. */
static int parse_mac(const char *v, uint8_t mac[6])
{
	for (unsigned i = 0; i < 6; i++) {
		const char *p = v + 3 * i;

		/* p[2] is read only once p[0] and p[1] are hex digits: never past the string */
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
		    !(i == 5 ? p[2] == '\0' : p[2] == ':' || p[2] == '-'))
			return -1;
		mac[i] = (uint8_t)(hexval(p[0]) << 4 | hexval(p[1]));
	}
	return 0;
}

/*
 * virtio-net's mac=, the first six bytes of the device config. All zeros is
 * QEMU's "unset": then the NIC takes QEMU's default (qc_nic_made), which the
 * command line parse fills in where it is not the model's 52:54:00:12:34:56.
 */
static int net_mac(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	char v[64];

	if (strncmp(drv, "virtio-net", 10) != 0 || !qc_opt_get(val, "mac", v, sizeof v))
		return 0;
	if (parse_mac(v, c->mac) != 0)
		return cause_set(cause, "-device %s: mac=%s: not a MAC address (xx:xx:xx:xx:xx:xx)", drv, v);
	c->has_mac = (c->mac[0] | c->mac[1] | c->mac[2] | c->mac[3] | c->mac[4] | c->mac[5]) != 0;
	return 0;
}

void qc_nic_made(struct qc_macs *m, const char *opts, const char *key, uint8_t mac[6])
{
	static const uint8_t base[5] = { 0x52, 0x54, 0x00, 0x12, 0x34 };
	char v[64];
	unsigned x;

	if (opts == NULL || !qc_opt_get(opts, key, v, sizeof v) || parse_mac(v, mac) != 0)
		memset(mac, 0, 6);
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0) {
		if (memcmp(mac, base, sizeof base) == 0 && m->used[mac[5]] < UINT8_MAX)
			m->used[mac[5]]++;
		return;
	}
	for (x = 0x56; x < 0xff && m->used[x] != 0; x++)
		;
	/* none free: QEMU's get_free answers -1, which becomes 0xff */
	memcpy(mac, base, sizeof base);
	mac[5] = (uint8_t)x;
	if (m->used[x] < UINT8_MAX)
		m->used[x]++;
}

bool qc_is_nic(const char *drv)
{
	static const char *const nics[] = {
		"e1000", "igb", "rtl8139", "ne2k_", "pcnet", "vmxnet3", "virtio-net", "usb-net", "tulip",
		"i8255", "i8256", "i82801",
	};

	for (size_t i = 0; i < NELEM(nics); i++)
		if (strncmp(drv, nics[i], strlen(nics[i])) == 0)
			return true;
	return false;
}

void qemu_mac_prop(struct buf *b, const struct trace_header *h)
{
	if (h->device == VIRTIO_ID_NET && h->devcfg_len >= 6)
		buf_printf(b, ",mac=%02x:%02x:%02x:%02x:%02x:%02x", h->devcfg[0], h->devcfg[1], h->devcfg[2],
		    h->devcfg[3], h->devcfg[4], h->devcfg[5]);
}

int qc_device_props(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	if (common_feature_props(c, drv, val, cause) != 0 || device_prop_values(c, drv, val, cause) != 0 ||
	    queue_count(c, drv, val, cause) != 0 || blk_class(c, drv, val, cause) != 0 ||
	    net_mac(c, drv, val, cause) != 0)
		return -1;
	return 0;
}

int qc_scsi_device(struct qemu_cmdline *c, const char *drv, const char *val, unsigned nth, char **cause)
{
	if (strcmp(drv, "scsi-hd") != 0)
		return cause_set(cause, "-device %s: the virtio-scsi model has one disk, a scsi-hd, and no %s", drv, drv);
	if (nth > 0)
		return cause_set(cause, "-device %s: a second disk: the virtio-scsi model has one (target 0, LUN 0)", drv);
	return device_prop_values(c, drv, val, cause);
}

/* ---- virtio-serial-pci's properties and the ports on its bus (QEMU 7.2's virtio-serial-bus.c) ---- */

static bool bit(const uint8_t *map, unsigned i) { return (map[i / 8] >> (i % 8)) & 1; }
static void bit_set(uint8_t *map, unsigned i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }

/*
 * The properties of -device virtio-serial-pci that change what the guest
 * sees: max_ports (queues and max_nr_ports, MULTIPORT above 1),
 * emergency-write (EMERG_WRITE), class (kept only if it is one of the
 * three QEMU allows, else 07 80).
 */
int qc_serial_device(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	char v[64];
	uint32_t n;

	if (qc_opt_get(val, "max_ports", v, sizeof v)) {
		if (qc_parse_u32(v, &n) != 0)
			return cause_set(cause, "-device %s: max_ports=%s: not a number of ports", drv, v);
		if (n < 1 || n > SERIAL_MAX_PORTS)
			return cause_set(cause, "-device %s: max_ports=%s: QEMU takes 1 to %u ports", drv, v,
			    SERIAL_MAX_PORTS);
		c->max_ports = (int)n;
	}
	if (qc_opt_get(val, "emergency-write", v, sizeof v) && (c->emergency_write = qc_parse_bool(v)) < 0)
		return cause_set(cause, "-device %s: emergency-write=%s: not on or off", drv, v);
	if (c->emergency_write == 0)
		c->features_off |= 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
	if (qc_opt_get(val, "class", v, sizeof v)) {
		if (qc_parse_u32(v, &n) != 0)
			return cause_set(cause, "-device %s: class=%s: not a number", drv, v);
		/* PCI_CLASS_COMMUNICATION_OTHER, _DISPLAY_OTHER (QEMU 0.10), _OTHERS (qemu-kvm) */
		c->pci_class = n == 0x0380 || n == 0x00ff ? (int32_t)(n << 8) : 0x078000;
	}
	return 0;
}

/*
 * A virtconsole or virtserialport on the bus: its port id as QEMU gives it
 * (nr=, else 0 for the first console, else the lowest free id above 0) and
 * QEMU's refusals.
 */
int qc_serial_port(struct qemu_cmdline *c, struct serial_bus *sb, const char *drv, const char *val,
    char **cause)
{
	unsigned max = c->max_ports > 0 ? (unsigned)c->max_ports : SERIAL_DEFAULT_PORTS;
	bool console = strcmp(drv, "virtconsole") == 0;
	char v[64];
	uint32_t id;

	if (qc_opt_get(val, "nr", v, sizeof v)) {
		if (qc_parse_u32(v, &id) != 0)
			return cause_set(cause, "-device %s: nr=%s: not a port number", drv, v);
		if (id < max && bit(sb->used, id))
			return cause_set(cause, "-device %s: a port already exists at id %u", drv, id);
	} else if (console && !bit(sb->used, 0)) {
		id = 0;
	} else {
		for (id = 1; id < max && bit(sb->used, id); id++)
			;
	}
	if (id >= max)
		return cause_set(cause, "-device %s: port id %u is out of range (max_ports %u: ids 0 to %u)", drv, id,
		    max, max - 1);
	if (id == 0 && !console)
		return cause_set(cause, "-device %s: port 0 is reserved for a virtconsole", drv);
	bit_set(sb->used, id);
	if (console)
		bit_set(sb->console, id);
	if (qc_opt_get(val, "name", v, sizeof v) && !sb->named) {
		sb->named = true;
		sb->named_id = id;
	}
	if (!qc_opt_get(val, "chardev", v, sizeof v) && !sb->bare) {
		sb->bare = true;
		sb->bare_id = id;
	}
	return 0;
}

/*
 * The console model has every port, port 0 a virtconsole and the others
 * virtserialports, none named, each with a chardev whose host side is open
 * (what the qtest bridge starts). Where QEMU's differ, say how.
 */
void qc_serial_ports_note(struct qemu_cmdline *c, const struct serial_bus *sb)
{
	unsigned max = c->max_ports > 0 ? (unsigned)c->max_ports : SERIAL_DEFAULT_PORTS;

	for (unsigned i = 0; i < max; i++) {
		if (!bit(sb->used, i)) {
			snprintf(c->ports_note, sizeof c->ports_note, "no port at id %u (QEMU sends no DEVICE_ADD for it)", i);
			return;
		}
		if (i > 0 && bit(sb->console, i)) {
			snprintf(c->ports_note, sizeof c->ports_note, "port %u is a virtconsole (QEMU sends CONSOLE_PORT)", i);
			return;
		}
	}
	if (sb->named)
		snprintf(c->ports_note, sizeof c->ports_note, "port %u has a name (QEMU sends PORT_NAME)", sb->named_id);
	else if (sb->bare)
		snprintf(c->ports_note, sizeof c->ports_note, "port %u has no chardev (its host side stays closed)",
		    sb->bare_id);
}
