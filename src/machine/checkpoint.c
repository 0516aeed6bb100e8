/* checkpoint.c -- save and load a whole virtio-pci device as a versioned, checksummed blob */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "machine.h"

/*
 * Blob layout (all little-endian), version 2:
 *   "VRCK" magic, u16 version, u8 layout (| transport << 4), u8 device id, u16 queues, u16 msix vectors
 *   256 bytes config space, MSI-X table, PBA as u64 words (one per 64 vectors: one up to 64 vectors,
 *   as version 1 always had)
 *   transport registers and flags
 *   per queue: register shadows, then the ring state (virtq_save)
 *   (version 2) u8 INTx state (the latch), u64 the driver features as the device holds them before
 *   FEATURES_OK, u16 count + that many selects without a queue whose registers differ from a reset's:
 *   u16 select, u16 vector, u16 enable, then desc/avail/used as in a queue's shadows
 *   (version 3) u16 queues there now, then u16 the maximum size of each (QEMU's virtio-net takes
 *   pairs away and gives them back, vpci_set_queue_count); the queues above count every queue the
 *   device was made with, and those gone have queue_size 0
 *   (version 4) the version 3 part always, then u16 count + that many queues whose queue_enable would
 *   take another size than they have (the size last written, QEMU's proxy num, on a queue that came
 *   back or moved): u16 queue, u16 that size; every other queue's is its size
 *   u32 length + device model state (ops->save)
 *   u64 length + guest memory (gmem_save)
 *   u32 CRC32C of everything before it
 * Loading builds a scratch device from the same setup, loads the blob into
 * it with every check, and only then swaps it in: a bad blob (case 21)
 * leaves the running device untouched.
 */

#define CK_MAGIC	0x4b435256u	/* "VRCK" */
#define CK_VERSION	4	/* version 1 blobs (no latch, features or per-select registers), 2 and 3 still load */

static bool ghost_default(const struct vpci_qregs *r)
{
	static const struct vpci_qregs reset = { .vector = VPCI_NO_VECTOR };
	return memcmp(r, &reset, sizeof *r) == 0;
}

/* The part version 2 adds. */
static void save_v2(const struct vpci *d, struct buf *out)
{
	buf_add_u8(out, d->intx.latched && d->intx.state);
	buf_add_le64(out, d->live);
	uint16_t nghost = 0;
	for (unsigned i = d->nqall; i < d->nqr; i++)
		nghost = (uint16_t)(nghost + !ghost_default(&d->qr[i]));
	buf_add_le16(out, nghost);
	for (unsigned i = d->nqall; i < d->nqr; i++) {
		const struct vpci_qregs *r = &d->qr[i];
		if (ghost_default(r))
			continue;
		buf_add_le16(out, (uint16_t)i);
		buf_add_le16(out, r->vector);
		buf_add_le16(out, r->enable);
		for (unsigned h = 0; h < 2; h++) {
			buf_add_le32(out, r->desc[h]);
			buf_add_le32(out, r->avail[h]);
			buf_add_le32(out, r->used[h]);
		}
	}
}

/* A queue whose queue_enable takes the size it has, or none (version 4 lists the others). */
static bool num_implied(const struct vpci_qregs *r)
{
	return r->num == 0 || r->num > VIRTQ_MAX_SIZE || r->num == r->size;
}

static bool needs_v4(const struct vpci *d)
{
	for (unsigned i = 0; i < d->nqall; i++)
		if (!num_implied(&d->qr[i]))
			return true;
	return false;
}

static void save_v4(const struct vpci *d, struct buf *out)
{
	uint16_t n = 0;
	for (unsigned i = 0; i < d->nqall; i++)
		n = (uint16_t)(n + !num_implied(&d->qr[i]));
	buf_add_le16(out, n);
	for (unsigned i = 0; i < d->nqall; i++) {
		if (num_implied(&d->qr[i]))
			continue;
		buf_add_le16(out, (uint16_t)i);
		buf_add_le16(out, d->qr[i].num);
	}
}

/* The queues are those the device was made with (version 3 says otherwise). */
static bool queues_as_made(const struct vpci *d)
{
	return d->nq == d->nqall && memcmp(d->qmax, d->qmax0, d->nq * sizeof *d->qmax) == 0;
}

/* Version 1 holds the whole state when the latch shows on the line and no select without a queue was written. */
static bool v1_enough(const struct vpci *d)
{
	if ((d->intx.latched && d->intx.state != d->intx.level) || d->live != (((uint64_t)d->gf[1] << 32 | d->gf[0]) & vpci_modern_takes(d)) ||
	    needs_v4(d))
		return false;
	for (unsigned i = d->nqall; i < d->nqr; i++)
		if (!ghost_default(&d->qr[i]))
			return false;
	return queues_as_made(d);
}

/* Written as version 1 when that holds everything, so checkpoints in older traces still compare equal. */
void vpci_save(struct vpci *d, struct buf *out)
{
	size_t start = out->len;
	bool v1 = v1_enough(d), v4 = needs_v4(d), v3 = v4 || !queues_as_made(d);
	buf_add_le32(out, CK_MAGIC);
	buf_add_le16(out, v1 ? 1 : v4 ? 4 : v3 ? 3 : 2);
	buf_add_u8(out, vpci_profile_byte(d));
	buf_add_u8(out, d->ops->id);
	buf_add_le16(out, d->nqall);
	buf_add_le16(out, d->msix.n);
	buf_add(out, d->pci.cfg, sizeof d->pci.cfg);
	buf_add(out, d->msix.table, 16u * d->msix.n);
	for (size_t i = 0; i < msix_pba_words(&d->msix); i++)
		buf_add_le64(out, d->msix.pba[i]);
	buf_add_le32(out, d->dfselect);
	buf_add_le32(out, d->gfselect);
	buf_add_le32(out, d->gf[0]);
	buf_add_le32(out, d->gf[1]);
	buf_add_le64(out, d->features);
	buf_add_le16(out, d->msix_config);
	buf_add_u8(out, d->status);
	buf_add_u8(out, d->generation);
	buf_add_u8(out, d->intx.isr);
	buf_add_u8(out, (uint8_t)(d->broken | d->intx.level << 1 | d->legacy << 2));
	buf_add_le16(out, d->queue_select);
	for (unsigned i = 0; i < d->nqall; i++) {
		const struct vpci_qregs *r = &d->qr[i];
		buf_add_le16(out, r->size);
		buf_add_le16(out, r->vector);
		buf_add_le16(out, r->enable);
		buf_add_le16(out, r->reset);
		for (unsigned h = 0; h < 2; h++) {
			buf_add_le32(out, r->desc[h]);
			buf_add_le32(out, r->avail[h]);
			buf_add_le32(out, r->used[h]);
		}
		virtq_save(d->q[i], out);
	}
	if (!v1)
		save_v2(d, out);
	if (v3) {
		buf_add_le16(out, d->nq);
		for (unsigned i = 0; i < d->nq; i++)
			buf_add_le16(out, d->qmax[i]);
	}
	if (v4)
		save_v4(d, out);
	struct buf sub;
	buf_init(&sub);
	if (d->ops->save != NULL)
		d->ops->save(d->dev, &sub);
	buf_add_le32(out, (uint32_t)sub.len);
	buf_add(out, sub.data, sub.len);
	buf_reset(&sub);
	gmem_save(d->m, &sub);
	buf_add_le64(out, sub.len);
	buf_add(out, sub.data, sub.len);
	buf_release(&sub);
	buf_add_le32(out, crc32c(0, out->data + start, out->len - start));
}

static bool vector_ok(const struct vpci *d, uint16_t v)
{
	return v == VPCI_NO_VECTOR || v < d->msix.n;
}

/* Version 2's part: the INTx latch, the features the device holds, the registers of selects without a queue. */
static int parse_v2(struct vpci *s, const struct vpci *d, struct cursor *c, char **cause)
{
	uint8_t state = cursor_u8(c);
	uint64_t live = cursor_le64(c);
	uint16_t nghost = cursor_le16(c);
	if (c->err)
		return cause_set(cause, "checkpoint: truncated");
	if (state > 1 || (state && !d->intx.latched))
		return cause_set(cause, "checkpoint: intx state %u", state);
	if (live & ~vpci_modern_takes(s))
		return cause_set(cause, "checkpoint: driver features 0x%llx were never offered", (unsigned long long)live);
	if (nghost > s->nqr - s->nqall)
		return cause_set(cause, "checkpoint: %u selects without a queue, the device keeps %u", nghost,
		    s->nqr - s->nqall);
	s->intx.state = state;
	s->live = live;
	for (unsigned k = 0, last = s->nqall; k < nghost; k++) {
		unsigned sel = cursor_le16(c);
		if (c->err || sel < last || (sel == last && k > 0) || sel >= s->nqr)
			return cause_set(cause, "checkpoint: select %u without a queue out of range or order", sel);
		last = sel;
		struct vpci_qregs *r = &s->qr[sel];
		r->vector = cursor_le16(c);
		r->enable = cursor_le16(c);
		for (unsigned h = 0; h < 2; h++) {
			r->desc[h] = cursor_le32(c);
			r->avail[h] = cursor_le32(c);
			r->used[h] = cursor_le32(c);
		}
		if (c->err)
			return cause_set(cause, "checkpoint: truncated in select %u", sel);
		if (r->enable > 1 || !vector_ok(d, r->vector))
			return cause_set(cause, "checkpoint: select %u registers out of range", sel);
	}
	return 0;
}

/*
 * Version 3's part: how many queues are there now and their maximum sizes,
 * then what the queue records must agree with (a queue gone reads size 0
 * and does not run). Earlier versions: every queue the device was made with.
 */
static int parse_v3(struct vpci *s, const struct vpci *d, struct cursor *c, uint16_t ver, char **cause)
{
	uint16_t n = ver >= 3 ? cursor_le16(c) : s->nqall;

	if (c->err || n == 0 || n > s->nqall)
		return cause_set(cause, "checkpoint: %u queues there, the device was made with %u", n, s->nqall);
	for (unsigned i = 0; i < s->nqall; i++) {
		uint16_t max = i >= n ? 0 : ver >= 3 ? cursor_le16(c) : s->qmax0[i];

		if (c->err || (i < n && (max == 0 || max > VIRTQ_MAX_SIZE || (max & (max - 1)) != 0)))
			return cause_set(cause, "checkpoint: queue %u maximum size out of range", i);
		s->qmax[i] = max;
		if (i < n && s->qr[i].size == 0)
			return cause_set(cause, "checkpoint: queue %u registers out of range", i);
		if (i >= n && (s->qr[i].size != 0 || virtq_started(s->q[i])))
			return cause_set(cause, "checkpoint: queue %u is gone but has a size or runs", i);
		if (i < n && d->ops->queue_name != NULL && n != s->nqall) {
			d->ops->queue_name(i, n, s->qname[i]);
			s->qname[i][VIRTQ_NAME_MAX - 1] = '\0';
			virtq_rename(s->q[i], s->qname[i]);
		}
	}
	s->nq = n;
	return 0;
}

/* Version 4's part: the queues whose queue_enable takes another size; every other one takes its own. */
static int parse_v4(struct vpci *s, struct cursor *c, uint16_t ver, char **cause)
{
	uint16_t n = ver >= 4 ? cursor_le16(c) : 0;

	for (unsigned i = 0; i < s->nqall; i++)
		s->qr[i].num = s->prof->queue_size_lenient ? s->qr[i].size : 0;
	if (c->err || n > s->nqall)
		return cause_set(cause, "checkpoint: %u queues with a size written, the device has %u", n, s->nqall);
	for (unsigned k = 0, last = 0; k < n; k++) {
		unsigned qi = cursor_le16(c);
		uint16_t num = cursor_le16(c);

		if (c->err || qi >= s->nqall || (k > 0 && qi <= last))
			return cause_set(cause, "checkpoint: queue %u with a size written out of range or order", qi);
		last = qi;
		if (!s->prof->queue_size_lenient || num == 0 || num > VIRTQ_MAX_SIZE || num == s->qr[qi].size)
			return cause_set(cause, "checkpoint: queue %u size written %u", qi, num);
		s->qr[qi].num = num;
	}
	return 0;
}

/* Fill scratch device s from the blob; every field is checked against what the device can be. */
static int parse(struct vpci *s, const struct vpci *d, const uint8_t *p, size_t len, char **cause)
{
	if (len < 16)
		return cause_set(cause, "checkpoint: %zu bytes is too short", len);
	uint32_t want = le32_load(p + len - 4);
	if (crc32c(0, p, len - 4) != want)
		return cause_set(cause, "checkpoint: checksum mismatch");
	struct cursor c;
	cursor_init(&c, p, len - 4);
	if (cursor_le32(&c) != CK_MAGIC)
		return cause_set(cause, "checkpoint: bad magic");
	uint16_t ver = cursor_le16(&c);
	if (ver < 1 || ver > CK_VERSION)
		return cause_set(cause, "checkpoint: version %u not supported (expected 1 to %u)", ver, CK_VERSION);
	uint8_t lay = cursor_u8(&c), id = cursor_u8(&c);
	uint16_t nq = cursor_le16(&c), nvec = cursor_le16(&c);
	if (lay != vpci_profile_byte(d) || id != d->ops->id || nq != d->nqall || nvec != d->msix.n)
		return cause_set(cause, "checkpoint: taken from a different device (layout %u id %u queues %u)", lay,
		    id, nq);
	const uint8_t *cfg = cursor_bytes(&c, 256);
	const uint8_t *tab = cursor_bytes(&c, 16u * nvec);
	size_t npba = msix_pba_words(&d->msix);
	const uint8_t *pba = cursor_bytes(&c, 8 * npba);
	if (c.err)
		return cause_set(cause, "checkpoint: truncated");
	for (unsigned i = 0; i < 256; i++)
		if ((cfg[i] & ~d->pci.wmask[i]) != (d->pci.cfg[i] & ~d->pci.wmask[i]))
			return cause_set(cause, "checkpoint: config space byte 0x%02x is read-only and differs", i);
	for (unsigned v = 0; v < nvec; v++)
		if (!d->msix.ctrl_whole && (le32_load(tab + 16 * v + 12) & ~1u))
			return cause_set(cause, "checkpoint: msix vector %u control 0x%x", v, le32_load(tab + 16 * v + 12));
	for (size_t w = 0; w < npba; w++) {
		uint64_t bits = le64_load(pba + 8 * w);
		unsigned first = (unsigned)(64 * w);
		if (nvec - first < 64 && (bits >> (nvec - first)) != 0)
			return cause_set(cause, "checkpoint: msix pending bits beyond vector %u", nvec - 1);
		s->msix.pba[w] = bits;
	}
	memcpy(s->pci.cfg, cfg, 256);
	memcpy(s->msix.table, tab, 16u * nvec);
	s->dfselect = cursor_le32(&c);
	s->gfselect = cursor_le32(&c);
	s->gf[0] = cursor_le32(&c);
	s->gf[1] = cursor_le32(&c);
	s->live = ((uint64_t)s->gf[1] << 32 | s->gf[0]) & vpci_modern_takes(s);	/* version 1: as the registers say */
	s->features = cursor_le64(&c);
	s->msix_config = cursor_le16(&c);
	s->status = cursor_u8(&c);
	s->generation = cursor_u8(&c);
	s->intx.isr = cursor_u8(&c);
	uint8_t fl = cursor_u8(&c);
	s->queue_select = cursor_le16(&c);
	if (c.err)
		return cause_set(cause, "checkpoint: truncated");
	if (s->features & ~(vpci_modern_takes(d) | vpci_legacy_offered(d)))
		return cause_set(cause, "checkpoint: negotiated features 0x%llx were never offered",
		    (unsigned long long)s->features);
	if (!vector_ok(d, s->msix_config))
		return cause_set(cause, "checkpoint: msix_config %u out of range", s->msix_config);
	/* any status byte is possible: QEMU stores what the driver writes */
	if (s->intx.isr > 3)
		return cause_set(cause, "checkpoint: isr 0x%02x", s->intx.isr);
	if (fl & ~(d->xp->legacy_bar != VPCI_NO_BAR ? 7u : 3u))
		return cause_set(cause, "checkpoint: unknown flags 0x%x", fl);
	s->broken = fl & 1;
	s->intx.level = (fl >> 1) & 1;
	s->legacy = (fl >> 2) & 1;
	s->intx.state = s->intx.level;		/* version 1: the line shows the latch unless INTx is disabled */
	if (s->broken && !d->prof->fatal_breaks_device)
		return cause_set(cause, "checkpoint: broken flag under the %s profile", d->prof->name);
	if (d->prof->queue_select_limit != 0 && s->queue_select >= d->prof->queue_select_limit)
		return cause_set(cause, "checkpoint: queue_select %u out of range", s->queue_select);
	for (unsigned i = 0; i < nq; i++) {
		struct vpci_qregs *r = &s->qr[i];
		r->size = cursor_le16(&c);
		r->vector = cursor_le16(&c);
		r->enable = cursor_le16(&c);
		r->reset = cursor_le16(&c);
		for (unsigned h = 0; h < 2; h++) {
			r->desc[h] = cursor_le32(&c);
			r->avail[h] = cursor_le32(&c);
			r->used[h] = cursor_le32(&c);
		}
		if (c.err)
			return cause_set(cause, "checkpoint: truncated in queue %u", i);
		if (r->size > VIRTQ_MAX_SIZE || r->enable > 1 || r->reset > 1 || !vector_ok(d, r->vector))
			return cause_set(cause, "checkpoint: queue %u registers out of range", i);
		if (virtq_load(s->q[i], &c, cause) < 0)
			return cause_prefix(cause, "checkpoint");
		/* a transitional device's legacy driver runs queues QEMU's queue_enable reads 0 for */
		if (virtq_started(s->q[i]) && !r->enable &&
		    !(d->prof->legacy_pfn_ring_only && d->xp->legacy_bar != VPCI_NO_BAR))
			return cause_set(cause, "checkpoint: queue %u runs but is not enabled", i);
	}
	if (ver >= 2 && parse_v2(s, d, &c, cause) < 0)
		return -1;
	if (parse_v3(s, d, &c, ver, cause) < 0)
		return -1;
	if (parse_v4(s, &c, ver, cause) < 0)
		return -1;
	if (s->intx.level != vpci_intx_wanted(s))
		return cause_set(cause, "checkpoint: intx level %u disagrees with isr 0x%x", s->intx.level, s->intx.isr);
	uint32_t mlen = cursor_le32(&c);
	const uint8_t *mp = cursor_bytes(&c, mlen);
	if (c.err)
		return cause_set(cause, "checkpoint: device state truncated");
	if (d->ops->load != NULL) {
		if (d->ops->load(s->dev, mp, mlen, cause) < 0)
			return cause_prefix(cause, "checkpoint: %s state", d->ops->name);
	} else if (mlen != 0) {
		return cause_set(cause, "checkpoint: %u bytes of state for a device that keeps none", mlen);
	}
	uint64_t glen = cursor_le64(&c);
	if (c.err || glen != len - 4 - c.off)
		return cause_set(cause, "checkpoint: guest memory length %llu does not match the blob",
		    (unsigned long long)glen);
	if (gmem_load(s->m, p + c.off, (size_t)glen, cause) < 0)
		return cause_prefix(cause, "checkpoint");
	return 0;
}

int vpci_load(struct vpci *d, const uint8_t *p, size_t len, char **cause)
{
	char *why = NULL;
	struct vpci *s = vpci_new(&d->setup, d->bus, &why);
	if (s == NULL) {
		cause_set(cause, "checkpoint: cannot build the device: %s", why ? why : "?");
		free(why);
		return -1;
	}
	if (parse(s, d, p, len, &why) < 0) {
		vpci_violate(d, VIOL_CHECKPOINT_BAD, -1, -1, 0, REACT_REPORT, "%s", why ? why : "checkpoint: bad");
		cause_set(cause, "%s", why ? why : "checkpoint: bad");
		free(why);
		vpci_free(s);
		return -1;
	}
	/* Swap the loaded state in; d keeps its own gmem object (callers may hold the pointer). */
	struct vpci tmp = *d;
	*d = *s;
	*s = tmp;
	struct gmem *loaded = d->m;
	d->m = s->m;
	s->m = loaded;
	d->ctx->d = d;
	s->ctx->d = s;
	d->setup.ram = d->ram_copy;
	d->setup.unassigned = d->unassigned_copy;
	d->setup.rom = d->rom_copy;
	if (d->setup.devcfg != NULL)
		d->setup.devcfg = d->devcfg_copy;
	d->setup.serial = d->serial_copy;
	struct buf g;
	buf_init(&g);
	gmem_save(loaded, &g);
	if (gmem_load(d->m, g.data, g.len, cause) < 0) {
		buf_release(&g);
		return -1;	/* cannot happen: the same blob loaded into the scratch memory */
	}
	buf_release(&g);
	for (unsigned i = 0; i < d->nqall; i++) {
		virtq_rebind(d->q[i], d, d->m);
		virtq_rebind(s->q[i], s, s->m);
	}
	vpci_gate(d);
	vpci_windows(d);
	vpci_free(s);
	return 0;
}
