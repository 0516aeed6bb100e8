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
#include "qemu-cmdline-int.h"

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
bool qc_opt_get(const char *opts, const char *key, char *out, size_t cap)
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
void qc_opt_driver(const char *opts, char *out, size_t cap)
{
	if (!qc_opt_get(opts, "driver", out, cap) && !qc_opt_get(opts, "", out, cap))
		out[0] = '\0';
}

bool qc_is_on(const char *v)
{
	return strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0;
}

/* An on/off option: 1, 0, or -1 when absent or auto. */
int qc_on_off(const char *opts, const char *key)
{
	char v[16];

	if (!qc_opt_get(opts, key, v, sizeof v) || strcmp(v, "auto") == 0)
		return -1;
	return qc_is_on(v) ? 1 : 0;
}

/* A uint32 property as QEMU reads one: a number in decimal, 0x hex or 0 octal, the whole word. */
int qc_parse_u32(const char *s, uint32_t *out)
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
int qc_parse_bool(const char *s)
{
	static const char *const words[] = { "off", "no", "false", "n", "on", "yes", "true", "y" };

	for (size_t i = 0; i < NELEM(words); i++)
		if (strcmp(s, words[i]) == 0)
			return i >= 4;
	return -1;
}

/*
 * The drive's options that change the guest-visible disk: discard=unmap
 * (or on), and its cache mode when the device leaves write-cache to it
 * (writethrough and directsync are write-through, cache.writeback=off too).
 */
static void drive_options(const char *opts, struct qemu_cmdline *c)
{
	char v[32];

	if (qc_opt_get(opts, "discard", v, sizeof v))
		c->discard_unmap = strcmp(v, "unmap") == 0 || strcmp(v, "on") == 0;
	if (c->write_cache >= 0)
		return;
	if (qc_opt_get(opts, "cache", v, sizeof v))
		c->write_cache = strcmp(v, "writethrough") == 0 || strcmp(v, "directsync") == 0 ? 0 : 1;
	if (qc_on_off(opts, "cache.writeback") == 0)
		c->write_cache = 0;
}

/* A size with an optional k/M/G/T suffix; no suffix: unit (bytes for size=, MiB for -m). */
int qc_parse_size(const char *s, uint64_t unit, uint64_t *out)
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

	if (qc_opt_get(opts, "size", v, sizeof v) && qc_parse_size(v, 1, &n) == 0)
		return n;
	qc_opt_driver(opts, drv, sizeof drv);
	if (!qc_opt_get(opts, "file", v, sizeof v) && !qc_opt_get(opts, "filename", v, sizeof v) &&
	    !qc_opt_get(opts, "file.filename", v, sizeof v))
		v[0] = '\0';
	if (strncmp(v, "null-co://", 10) == 0 || strncmp(v, "null-aio://", 11) == 0 ||
	    strncmp(drv, "null-", 5) == 0)
		return 1ull << 30;
	return v[0] != '\0' ? drive_file_size(c, v) : 0;
}

static int machine_opt(struct qemu_cmdline *c, const char *val, char **cause)
{
	char type[64];

	if (!qc_opt_get(val, "type", type, sizeof type) && !qc_opt_get(val, "", type, sizeof type))
		return 0;	/* "-machine accel=qtest": the default machine */
	if (strcmp(type, "q35") == 0 || strncmp(type, "pc-q35", 6) == 0)
		c->q35 = true;
	else if (strcmp(type, "pc") == 0 || strncmp(type, "pc-i440fx", 9) == 0 || strcmp(type, "isapc") == 0)
		c->q35 = false;
	else
		return cause_set(cause, "-machine %s: not an x86 PC machine (pc or q35)", type);
	return 0;
}

/*
 * The MAC QEMU gives a virtio-net without mac=: the NICs made before it
 * (-nic, -net nic, the machine's default NIC when no option names a network
 * and -nodefaults is not given, the -device NICs before it) take theirs
 * first. Only a MAC other than the model's 52:54:00:12:34:56 goes into c.
 */
static void default_mac(struct qemu_cmdline *c, const char *const *nic, size_t nnic, const char *const *net, size_t nnet,
    bool default_nic, const char *const *dev, size_t ndev, const char *virtio)
{
	struct qc_macs m;
	uint8_t mac[6];
	char drv[64];

	memset(&m, 0, sizeof m);
	for (size_t i = 0; i < nnic; i++) {
		qc_opt_driver(nic[i], drv, sizeof drv);
		if (strcmp(drv, "none") != 0)
			qc_nic_made(&m, nic[i], "mac", mac);
	}
	for (size_t i = 0; i < nnet; i++) {
		qc_opt_driver(net[i], drv, sizeof drv);
		if (strcmp(drv, "nic") == 0)
			qc_nic_made(&m, net[i], "macaddr", mac);
	}
	if (default_nic)
		qc_nic_made(&m, NULL, "mac", mac);
	for (size_t i = 0; i < ndev; i++)
		qc_nic_made(&m, dev[i], "mac", mac);
	qc_nic_made(&m, virtio, "mac", mac);
	if (mac[5] != 0x56) {
		memcpy(c->mac, mac, sizeof c->mac);
		c->has_mac = true;
	}
}

int qemu_cmdline_parse(const char *text, size_t len, const char *drive_dir, struct qemu_cmdline *c, char **cause)
{
	struct words ws = { .n = 0 };
	char drive_id[128] = "", scsi_serial[TRACE_MAX_SERIAL] = "";
	int scsi_wc = -1;
	const char *drives[32];
	unsigned ndrives = 0, start = 0, nscsi = 0;
	struct serial_bus *sb;
	/* The options that make NICs, for QEMU's default MAC of the virtio-net one (qc_nic_made) */
	const char *nic_opts[8], *net_opts[8], **dev_nics = NULL, *virtio_opts = NULL;
	size_t nnic = 0, nnet = 0, ndev_nics = 0;
	bool net_said = false;
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
		} else if (strcmp(o, "nic") == 0 || strcmp(o, "net") == 0 || strcmp(o, "netdev") == 0) {
			/* QEMU makes the -nic NICs, then the -net nic ones (8 at most), before any -device */
			net_said = true;
			if (o[2] == 'c' && nnic < NELEM(nic_opts))
				nic_opts[nnic++] = val;
			else if (o[2] == 't' && o[3] == '\0' && nnet < NELEM(net_opts))
				net_opts[nnet++] = val;
		} else if (strcmp(o, "M") == 0 || strcmp(o, "machine") == 0) {
			rc = machine_opt(c, val, cause);
		} else if (strcmp(o, "m") == 0) {
			if (!qc_opt_get(val, "size", v, sizeof v) && !qc_opt_get(val, "", v, sizeof v))
				v[0] = '\0';
			if (qc_parse_size(v, 1ull << 20, &c->ram) != 0 || c->ram == 0 || c->ram > TRACE_MAX_RAM_BYTES)
				rc = cause_set(cause, "-m %s: bad memory size", val);
		} else if (strcmp(o, "drive") == 0 || strcmp(o, "blockdev") == 0) {
			if (ndrives < NELEM(drives))
				drives[ndrives++] = val;
		} else if (strcmp(o, "device") == 0) {
			char drv[64];
			qc_opt_driver(val, drv, sizeof drv);
			/* QEMU makes devices in order: a disk on the virtio-scsi bus comes after the function */
			if (strncmp(drv, "scsi-", 5) == 0 && strncmp(c->device, "virtio-scsi", 11) == 0) {
				if ((rc = qc_scsi_device(c, drv, val, nscsi++, cause)) != 0)
					continue;
				(void)qc_opt_get(val, "serial", scsi_serial, sizeof scsi_serial);
				scsi_wc = qc_on_off(val, "write-cache");
				continue;
			}
			if (sb->on && (strcmp(drv, "virtconsole") == 0 || strcmp(drv, "virtserialport") == 0)) {
				rc = qc_serial_port(c, sb, drv, val, cause);
				continue;
			}
			if (c->ndevices == 0 && qc_is_nic(drv) && !is_virtio_device(drv)) {
				dev_nics = xreallocarray(dev_nics, ndev_nics + 1, sizeof *dev_nics);
				dev_nics[ndev_nics++] = val;
			}
			if (!is_virtio_device(drv))
				continue;
			if (c->ndevices++ > 0)
				continue;
			snprintf(c->device, sizeof c->device, "%s", drv);
			virtio_opts = val;
			if (strncmp(drv, "virtio-serial", 13) == 0) {
				sb->on = true;
				if ((rc = qc_serial_device(c, drv, val, cause)) != 0)
					continue;
			}
			c->modern = !(qc_opt_get(val, "disable-modern", v, sizeof v) && qc_is_on(v));
			if (ends_with(drv, "-non-transitional"))
				c->legacy = false;
			else if (qc_opt_get(val, "disable-legacy", v, sizeof v))
				c->legacy = !qc_is_on(v);	/* off, or auto on a root bus */
			else
				c->legacy = true;	/* auto on a root bus: transitional */
			if ((rc = qc_device_props(c, drv, val, cause)) != 0)
				continue;
			if (qc_opt_get(val, "addr", v, sizeof v) && parse_addr(v, &c->devfn) != 0)
				rc = cause_set(cause, "-device %s: bad addr=%s (SLOT or SLOT.FN in hex)", drv, v);
			(void)qc_opt_get(val, "serial", c->serial, sizeof c->serial);
			c->write_cache = qc_on_off(val, "write-cache");
			if (qc_opt_get(val, "vectors", v, sizeof v)) {
				char *end;
				unsigned long n = strtoul(v, &end, 0);
				if (*end != '\0' || n > TRACE_MAX_MSIX)
					rc = cause_set(cause, "-device %s: bad vectors=%s", drv, v);
				c->vectors = (int)n;
			}
			if (!qc_opt_get(val, "drive", drive_id, sizeof drive_id))
				drive_id[0] = '\0';
		}
	}
	if (rc == 0) {
		if (c->serial[0] == '\0')
			memcpy(c->serial, scsi_serial, sizeof c->serial);
		for (unsigned i = 0; i < ndrives; i++) {
			char id[128];
			bool named = qc_opt_get(drives[i], "id", id, sizeof id) || qc_opt_get(drives[i], "node-name", id, sizeof id);
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
			qc_serial_ports_note(c, sb);
		if (!c->has_mac && strncmp(c->device, "virtio-net", 10) == 0)
			default_mac(c, nic_opts, nnic, net_opts, nnet, !c->nodefaults && !net_said, dev_nics, ndev_nics,
			    virtio_opts);
	}
	free(dev_nics);
	free(sb);
	words_free(&ws);
	return rc;
}
