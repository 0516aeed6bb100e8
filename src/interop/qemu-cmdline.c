/* qemu-cmdline.c -- read the machine and the virtio function out of a QEMU command line (import), name devices (export) */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/qemu-cmdline.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Virtio types and the -device name export gives them (modern-only: disable-legacy=on is added). */
static const struct {
	uint8_t id;
	const char *name;
} export_names[] = {
	{ 1, "virtio-net-pci" }, { 2, "virtio-blk-pci" }, { 3, "virtio-serial-pci" },
	{ 4, "virtio-rng-pci" }, { 5, "virtio-balloon-pci" }, { 8, "virtio-scsi-pci" },
};

const char *qemu_device_name(uint8_t device)
{
	for (size_t i = 0; i < NELEM(export_names); i++)
		if (export_names[i].id == device)
			return export_names[i].name;
	return NULL;
}

/* Options that take no value; every other option takes the next word. */
static const char *const flag_options[] = {
	"nodefaults", "S", "s", "no-reboot", "no-shutdown", "nographic", "snapshot", "enable-kvm",
	"daemonize", "no-hpet", "no-acpi", "full-screen", "no-user-config", "nodefconfig", "win2k-hack",
	"no-fd-bootchk", "only-migratable", "preconfig", "enable-fips", "no-quit", "version", "help",
};

/* ---- words ---- */

struct words {
	char *w[QEMU_MAX_WORDS];
	unsigned n;
};

static void words_free(struct words *ws)
{
	for (unsigned i = 0; i < ws->n; i++)
		free(ws->w[i]);
	ws->n = 0;
}

/* Split like sh for the simple cases: blanks, newlines, '..', "..", backslash escapes and continuations. */
static int split_words(const char *p, size_t len, struct words *ws, char **cause)
{
	const char *end = p + len;
	struct buf cur;
	int in_word = 0;

	buf_init(&cur);
	while (p < end) {
		char ch = *p++;

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (in_word) {
				if (ws->n == QEMU_MAX_WORDS) {
					buf_release(&cur);
					return cause_set(cause, "command line has more than %u words", QEMU_MAX_WORDS);
				}
				ws->w[ws->n++] = xstrdup(buf_str(&cur));
				buf_reset(&cur);
				in_word = 0;
			}
			continue;
		}
		in_word = 1;
		if (ch == '\\') {
			if (p < end && *p == '\n') {
				p++;
				in_word = cur.len > 0;
				continue;
			}
			if (p < end)
				buf_add_u8(&cur, (uint8_t)*p++);
		} else if (ch == '\'') {
			const char *q = memchr(p, '\'', (size_t)(end - p));
			if (q == NULL) {
				buf_release(&cur);
				return cause_set(cause, "command line: unterminated ' quote");
			}
			buf_add(&cur, p, (size_t)(q - p));
			p = q + 1;
		} else if (ch == '"') {
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end && strchr("\"\\$`", p[1]) != NULL)
					p++;
				buf_add_u8(&cur, (uint8_t)*p++);
			}
			if (p == end) {
				buf_release(&cur);
				return cause_set(cause, "command line: unterminated \" quote");
			}
			p++;
		} else {
			buf_add_u8(&cur, (uint8_t)ch);
		}
	}
	if (in_word) {
		if (ws->n == QEMU_MAX_WORDS) {
			buf_release(&cur);
			return cause_set(cause, "command line has more than %u words", QEMU_MAX_WORDS);
		}
		ws->w[ws->n++] = xstrdup(buf_str(&cur));
	}
	buf_release(&cur);
	return 0;
}

/* ---- QEMU option values: "name,key=value,key=value" (",," is a literal comma) ---- */

/* Value of key in an option string, into out (cap bytes); key "" is the first item if it has no '='. */
static bool opt_get(const char *opts, const char *key, char *out, size_t cap)
{
	const char *p = opts;
	size_t klen = strlen(key);
	bool first = true, found = false;
	struct buf item;

	buf_init(&item);
	while (*p != '\0' && !found) {
		const char *s, *eq;

		buf_reset(&item);
		for (; *p != '\0' && !(*p == ',' && p[1] != ','); p++) {
			if (*p == ',')
				p++;	/* ",," is one literal comma */
			buf_add_u8(&item, (uint8_t)*p);
		}
		if (*p == ',')
			p++;
		s = buf_str(&item);
		eq = strchr(s, '=');
		if (eq == NULL ? first && klen == 0 : (size_t)(eq - s) == klen && memcmp(s, key, klen) == 0) {
			snprintf(out, cap, "%s", eq != NULL ? eq + 1 : s);
			found = true;
		}
		first = false;
	}
	buf_release(&item);
	return found;
}

/* The driver of a -device/-drive value: the first item, or driver=. */
static void opt_driver(const char *opts, char *out, size_t cap)
{
	if (!opt_get(opts, "driver", out, cap) && !opt_get(opts, "", out, cap))
		out[0] = '\0';
}

static bool is_on(const char *v)
{
	return strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0;
}

/* An on/off option: 1, 0, or -1 when absent or auto. */
static int on_off(const char *opts, const char *key)
{
	char v[16];

	if (!opt_get(opts, key, v, sizeof v) || strcmp(v, "auto") == 0)
		return -1;
	return is_on(v) ? 1 : 0;
}

/* A uint32 property as QEMU reads one: a number in decimal, 0x hex or 0 octal, the whole word. */
static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A bool property as QEMU reads one: 1, 0, or -1 for a word it refuses. */
static int parse_bool(const char *s)
{
	static const char *const words[] = { "off", "no", "false", "n", "on", "yes", "true", "y" };

	for (size_t i = 0; i < NELEM(words); i++)
		if (strcmp(s, words[i]) == 0)
			return i >= 4;
	return -1;
}

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

		if (!opt_get(val, common_features[i].name, v, sizeof v))
			continue;
		if ((on = parse_bool(v)) < 0)
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
 * vectors, serial, drive, write-cache, virtio-serial's own), and what the
 * guest cannot see through the function: ioeventfd, iothread,
 * request-merging, rerror/werror, migration and vhost switches, aer, ats and
 * x-pcie-* (PCI Express capabilities only behind a PCIe port, and import
 * follows bus 0), and virtio-net's offload switches (csum, gso, guest_*,
 * host_*), which QEMU clears anyway on a backend without a vnet header, as
 * the model's offer has them.
 */
static int parse_size(const char *s, uint64_t unit, uint64_t *out);

enum pd_kind { PD_FEATURE, PD_REFUSE };
enum pd_value { PV_BOOL, PV_U32, PV_SIZE, PV_ANY };

static const struct {
	const char *device;	/* prefix of the -device name; "" every virtio device */
	const char *name;
	enum pd_kind kind;
	enum pd_value value;
	uint64_t dflt;		/* QEMU's default (PV_ANY: none, any value is refused) */
	uint64_t dflt2;		/* a second spelling of it (num-queues' "auto"), or the default */
	uint8_t bit;		/* PD_FEATURE */
	const char *what;	/* PD_REFUSE: what the model has */
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
	{ "virtio-net", "mac", PD_REFUSE, PV_ANY, 0, 0, 0, "MAC 52:54:00:12:34:56" },
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
};

/* The properties of device_props the virtio -device drv sets. */
static int device_prop_values(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	for (size_t i = 0; i < NELEM(device_props); i++) {
		char v[256];
		uint64_t n = 0;
		uint32_t u;
		int b;

		if (strncmp(drv, device_props[i].device, strlen(device_props[i].device)) != 0 ||
		    !opt_get(val, device_props[i].name, v, sizeof v))
			continue;
		switch (device_props[i].value) {
		case PV_BOOL:
			if ((b = parse_bool(v)) < 0)
				return cause_set(cause, "-device %s: %s=%s: not on or off", drv, device_props[i].name, v);
			n = (uint64_t)b;
			break;
		case PV_U32:
			if (parse_u32(v, &u) != 0)
				return cause_set(cause, "-device %s: %s=%s: not a number", drv, device_props[i].name, v);
			n = u;
			break;
		case PV_SIZE:
			if (parse_size(v, 1, &n) != 0)
				return cause_set(cause, "-device %s: %s=%s: not a size", drv, device_props[i].name, v);
			break;
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

	if ((!scsi && strncmp(drv, "virtio-blk", 10) != 0) || !opt_get(val, key, v, sizeof v))
		return 0;
	if (parse_u32(v, &n) != 0)
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

	if (strncmp(drv, "virtio-blk", 10) != 0 || !opt_get(val, "class", v, sizeof v))
		return 0;
	if (parse_u32(v, &n) != 0)
		return cause_set(cause, "-device %s: class=%s: not a number", drv, v);
	if (n != 0)
		c->pci_class = (int32_t)((n & 0xffff) << 8);
	return 0;
}

/*
 * The drive's options that change the guest-visible disk: discard=unmap
 * (or on), and its cache mode when the device leaves write-cache to it
 * (writethrough and directsync are write-through, cache.writeback=off too).
 */
static void drive_options(const char *opts, struct qemu_cmdline *c)
{
	char v[32];

	if (opt_get(opts, "discard", v, sizeof v))
		c->discard_unmap = strcmp(v, "unmap") == 0 || strcmp(v, "on") == 0;
	if (c->write_cache >= 0)
		return;
	if (opt_get(opts, "cache", v, sizeof v))
		c->write_cache = strcmp(v, "writethrough") == 0 || strcmp(v, "directsync") == 0 ? 0 : 1;
	if (on_off(opts, "cache.writeback") == 0)
		c->write_cache = 0;
}

/* A size with an optional k/M/G/T suffix; no suffix: unit (bytes for size=, MiB for -m). */
static int parse_size(const char *s, uint64_t unit, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = unit;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 0);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'b': case 'B': mul = 1; end++; break;
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	default: return -1;
	}
	if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}

/* addr=SLOT[.FN], slot and function in hex as QEMU reads them. */
static int parse_addr(const char *s, int *devfn)
{
	char *end;
	unsigned long slot, fn = 0;

	errno = 0;
	slot = strtoul(s, &end, 16);
	if (end == s || errno != 0 || slot > 31)
		return -1;
	if (*end == '.') {
		const char *f = end + 1;
		fn = strtoul(f, &end, 16);
		if (end == f || fn > 7)
			return -1;
	}
	if (*end != '\0')
		return -1;
	*devfn = (int)(slot << 3 | fn);
	return 0;
}

static bool is_virtio_device(const char *drv)
{
	return strncmp(drv, "virtio-", 7) == 0 || strncmp(drv, "vhost-", 6) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Size of a -drive/-blockdev: size=, or the file's size, or null-co's default of 1 GiB. */
/*
 * The size of the file a -drive names. A command line comes with an
 * untrusted log: only a plain file name in the log's directory is looked at
 * (no '/', so no absolute path and no '..'), and not through a symlink;
 * anything else is left unread with a note saying so (size= still works).
 */
static uint64_t drive_file_size(struct qemu_cmdline *c, const char *file)
{
	struct stat st;
	int dfd;

	if (c->drive_dir == NULL || strchr(file, '/') != NULL || strcmp(file, "..") == 0 || strcmp(file, ".") == 0) {
		snprintf(c->drive_note, sizeof c->drive_note, "-drive file=%.80s is not a file beside the log: not "
		    "read, so the disk has the default size (give size=BYTES on the -drive)", file);
		return 0;
	}
	dfd = open(c->drive_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0 && fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		close(dfd);
		return (uint64_t)st.st_size;
	}
	if (dfd >= 0)
		close(dfd);
	snprintf(c->drive_note, sizeof c->drive_note, "-drive file=%.80s: no such regular file beside the log "
	    "(a symlink is not followed), so the disk has the default size", file);
	return 0;
}

static uint64_t drive_size(struct qemu_cmdline *c, const char *opts)
{
	char v[512], drv[64];
	uint64_t n;

	if (opt_get(opts, "size", v, sizeof v) && parse_size(v, 1, &n) == 0)
		return n;
	opt_driver(opts, drv, sizeof drv);
	if (!opt_get(opts, "file", v, sizeof v) && !opt_get(opts, "filename", v, sizeof v) &&
	    !opt_get(opts, "file.filename", v, sizeof v))
		v[0] = '\0';
	if (strncmp(v, "null-co://", 10) == 0 || strncmp(v, "null-aio://", 11) == 0 ||
	    strncmp(drv, "null-", 5) == 0)
		return 1ull << 30;
	return v[0] != '\0' ? drive_file_size(c, v) : 0;
}

static int machine_opt(struct qemu_cmdline *c, const char *val, char **cause)
{
	char type[64];

	if (!opt_get(val, "type", type, sizeof type) && !opt_get(val, "", type, sizeof type))
		return 0;	/* "-machine accel=qtest": the default machine */
	if (strcmp(type, "q35") == 0 || strncmp(type, "pc-q35", 6) == 0)
		c->q35 = true;
	else if (strcmp(type, "pc") == 0 || strncmp(type, "pc-i440fx", 9) == 0 || strcmp(type, "isapc") == 0)
		c->q35 = false;
	else
		return cause_set(cause, "-machine %s: not an x86 PC machine (pc or q35)", type);
	return 0;
}

/* ---- virtio-serial-pci's properties and the ports on its bus (QEMU 7.2's virtio-serial-bus.c) ---- */

#define SERIAL_MAX_PORTS	511	/* VIRTIO_QUEUE_MAX / 2 - 1: QEMU's bound on max_ports */
#define SERIAL_DEFAULT_PORTS	31

struct serial_bus {
	bool on;				/* the virtio function is a virtio-serial */
	uint8_t used[(SERIAL_MAX_PORTS + 7) / 8];	/* port ids taken */
	uint8_t console[(SERIAL_MAX_PORTS + 7) / 8];	/* ... by a virtconsole */
	bool named, bare;			/* a port with name=, one without chardev= */
	unsigned named_id, bare_id;
};

static bool bit(const uint8_t *map, unsigned i) { return (map[i / 8] >> (i % 8)) & 1; }
static void bit_set(uint8_t *map, unsigned i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }

/*
 * The properties of -device virtio-serial-pci that change what the guest
 * sees: max_ports (queues and max_nr_ports, MULTIPORT above 1),
 * emergency-write (EMERG_WRITE), class (kept only if it is one of the
 * three QEMU allows, else 07 80).
 */
static int serial_device(struct qemu_cmdline *c, const char *drv, const char *val, char **cause)
{
	char v[64];
	uint32_t n;

	if (opt_get(val, "max_ports", v, sizeof v)) {
		if (parse_u32(v, &n) != 0)
			return cause_set(cause, "-device %s: max_ports=%s: not a number of ports", drv, v);
		if (n < 1 || n > SERIAL_MAX_PORTS)
			return cause_set(cause, "-device %s: max_ports=%s: QEMU takes 1 to %u ports", drv, v,
			    SERIAL_MAX_PORTS);
		c->max_ports = (int)n;
	}
	if (opt_get(val, "emergency-write", v, sizeof v) && (c->emergency_write = parse_bool(v)) < 0)
		return cause_set(cause, "-device %s: emergency-write=%s: not on or off", drv, v);
	if (c->emergency_write == 0)
		c->features_off |= 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE;
	if (opt_get(val, "class", v, sizeof v)) {
		if (parse_u32(v, &n) != 0)
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
static int serial_port(struct qemu_cmdline *c, struct serial_bus *sb, const char *drv, const char *val,
    char **cause)
{
	unsigned max = c->max_ports > 0 ? (unsigned)c->max_ports : SERIAL_DEFAULT_PORTS;
	bool console = strcmp(drv, "virtconsole") == 0;
	char v[64];
	uint32_t id;

	if (opt_get(val, "nr", v, sizeof v)) {
		if (parse_u32(v, &id) != 0)
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
	if (opt_get(val, "name", v, sizeof v) && !sb->named) {
		sb->named = true;
		sb->named_id = id;
	}
	if (!opt_get(val, "chardev", v, sizeof v) && !sb->bare) {
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
static void serial_ports_note(struct qemu_cmdline *c, const struct serial_bus *sb)
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

int qemu_cmdline_parse(const char *text, size_t len, const char *drive_dir, struct qemu_cmdline *c, char **cause)
{
	struct words ws = { .n = 0 };
	char drive_id[128] = "", scsi_serial[TRACE_MAX_SERIAL] = "";
	int scsi_wc = -1;
	const char *drives[32];
	unsigned ndrives = 0, start = 0;
	struct serial_bus *sb;
	int rc = 0;

	memset(c, 0, sizeof *c);
	c->drive_dir = drive_dir;
	c->ram = QEMU_DEFAULT_RAM;
	c->devfn = -1;
	c->vectors = -1;
	c->write_cache = -1;
	c->max_ports = -1;
	c->emergency_write = -1;
	c->pci_class = -1;
	c->nqueues = -1;
	if (split_words(text, len, &ws, cause) != 0) {
		words_free(&ws);
		return -1;
	}
	sb = xcalloc(1, sizeof *sb);
	for (unsigned i = 0; i < ws.n; i++) {
		const char *b = strrchr(ws.w[i], '/');
		b = b != NULL ? b + 1 : ws.w[i];
		if (strncmp(b, "qemu-system-", 12) == 0 || strcmp(b, "qemu-kvm") == 0) {
			c->have_program = true;
			snprintf(c->program, sizeof c->program, "%s", b);
			start = i + 1;
			break;
		}
	}
	for (unsigned i = start; i < ws.n && rc == 0; i++) {
		const char *o = ws.w[i], *val = NULL;
		char v[256];
		bool flag = false;

		if (o[0] != '-')
			continue;	/* the stray word of an unknown option, or "| ..." after it */
		o += o[1] == '-' ? 2 : 1;
		for (size_t k = 0; k < NELEM(flag_options); k++)
			if (strcmp(o, flag_options[k]) == 0)
				flag = true;
		if (!flag) {
			if (i + 1 >= ws.n) {
				rc = cause_set(cause, "-%s: missing value", o);
				break;
			}
			val = ws.w[++i];
		}
		if (strcmp(o, "nodefaults") == 0) {
			c->nodefaults = true;
		} else if (strcmp(o, "M") == 0 || strcmp(o, "machine") == 0) {
			rc = machine_opt(c, val, cause);
		} else if (strcmp(o, "m") == 0) {
			if (!opt_get(val, "size", v, sizeof v) && !opt_get(val, "", v, sizeof v))
				v[0] = '\0';
			if (parse_size(v, 1ull << 20, &c->ram) != 0 || c->ram == 0 || c->ram > TRACE_MAX_RAM_BYTES)
				rc = cause_set(cause, "-m %s: bad memory size", val);
		} else if (strcmp(o, "drive") == 0 || strcmp(o, "blockdev") == 0) {
			if (ndrives < NELEM(drives))
				drives[ndrives++] = val;
		} else if (strcmp(o, "device") == 0) {
			char drv[64];
			opt_driver(val, drv, sizeof drv);
			if ((strcmp(drv, "scsi-hd") == 0 || strcmp(drv, "scsi-cd") == 0) && scsi_serial[0] == '\0')
				(void)opt_get(val, "serial", scsi_serial, sizeof scsi_serial);
			if (strcmp(drv, "scsi-hd") == 0 && scsi_wc < 0)
				scsi_wc = on_off(val, "write-cache");
			if (sb->on && (strcmp(drv, "virtconsole") == 0 || strcmp(drv, "virtserialport") == 0)) {
				rc = serial_port(c, sb, drv, val, cause);
				continue;
			}
			if (!is_virtio_device(drv))
				continue;
			if (c->ndevices++ > 0)
				continue;
			snprintf(c->device, sizeof c->device, "%s", drv);
			if (strncmp(drv, "virtio-serial", 13) == 0) {
				sb->on = true;
				if ((rc = serial_device(c, drv, val, cause)) != 0)
					continue;
			}
			c->modern = !(opt_get(val, "disable-modern", v, sizeof v) && is_on(v));
			if (ends_with(drv, "-non-transitional"))
				c->legacy = false;
			else if (opt_get(val, "disable-legacy", v, sizeof v))
				c->legacy = !is_on(v);	/* off, or auto on a root bus */
			else
				c->legacy = true;	/* auto on a root bus: transitional */
			if ((rc = common_feature_props(c, drv, val, cause)) != 0 ||
			    (rc = device_prop_values(c, drv, val, cause)) != 0 ||
			    (rc = queue_count(c, drv, val, cause)) != 0 || (rc = blk_class(c, drv, val, cause)) != 0)
				continue;
			if (opt_get(val, "addr", v, sizeof v) && parse_addr(v, &c->devfn) != 0)
				rc = cause_set(cause, "-device %s: bad addr=%s (SLOT or SLOT.FN in hex)", drv, v);
			(void)opt_get(val, "serial", c->serial, sizeof c->serial);
			c->write_cache = on_off(val, "write-cache");
			if (opt_get(val, "vectors", v, sizeof v)) {
				char *end;
				unsigned long n = strtoul(v, &end, 0);
				if (*end != '\0' || n > TRACE_MAX_MSIX)
					rc = cause_set(cause, "-device %s: bad vectors=%s", drv, v);
				c->vectors = (int)n;
			}
			if (!opt_get(val, "drive", drive_id, sizeof drive_id))
				drive_id[0] = '\0';
		}
	}
	if (rc == 0) {
		if (c->serial[0] == '\0')
			memcpy(c->serial, scsi_serial, sizeof c->serial);
		for (unsigned i = 0; i < ndrives; i++) {
			char id[128];
			bool named = opt_get(drives[i], "id", id, sizeof id) || opt_get(drives[i], "node-name", id, sizeof id);
			/* The device's drive, or the only one (scsi disks name theirs on the scsi-hd). */
			if ((drive_id[0] != '\0' && named && strcmp(id, drive_id) == 0) || ndrives == 1) {
				c->disk_size = drive_size(c, drives[i]);
				drive_options(drives[i], c);
				break;
			}
		}
		if (c->write_cache < 0)
			c->write_cache = scsi_wc;
		for (size_t i = 0; c->serial[i] != '\0'; i++)
			if ((unsigned char)c->serial[i] < 0x20 || c->serial[i] == 0x7f)
				rc = cause_set(cause, "-device %s: control character in serial", c->device);
		if (sb->on)
			serial_ports_note(c, sb);
	}
	free(sb);
	words_free(&ws);
	return rc;
}
