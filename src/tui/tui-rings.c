/* tui-rings.c -- the virtqueue layouts a run's guest programmed, read from its register writes, to name ring addresses */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "vr/tui-rings.h"
#include "vr/vring-name.h"
#include "vr/xmalloc.h"

#define MAX_QUEUES	1024	/* as the transport allows */
#define MAX_SIZE	32768	/* the split ring's largest queue size */
#define INIT_SCAN	65536	/* events a first scan reads at most */
#define SCAN_STEP	4096	/* the largest gap a later scan reads */

/* One queue's layout from event `from` on. */
struct layout {
	int64_t from;
	int64_t q;
	uint64_t desc, avail, used;
	uint32_t size;
};

struct tui_rings {
	sqlite3 *db;
	int64_t run;
	int64_t scanned;	/* register writes read up to this event */
	sqlite3_stmt *scan_st, *buffer_st;
	bool broken;		/* a query failed: name nothing rather than stall */
	int64_t sel;		/* common.queue_select */
	struct layout cur[MAX_QUEUES];
	struct layout *v;
	size_t n, cap;
	char names[MAX_QUEUES][24];
	uint8_t named[MAX_QUEUES];
};

/* The registers that lay out a queue, as the store names them. */
enum { R_SELECT, R_SIZE, R_DESC_LO, R_DESC_HI, R_DRIVER_LO, R_DRIVER_HI, R_DEVICE_LO, R_DEVICE_HI, R_N };
static const char *const regname[R_N] = {
	"common.queue_select", "common.queue_size", "common.queue_desc[31:0]", "common.queue_desc[63:32]",
	"common.queue_driver[31:0]", "common.queue_driver[63:32]", "common.queue_device[31:0]",
	"common.queue_device[63:32]",
};

struct tui_rings *tui_rings_new(struct sqlite3 *db, int64_t run)
{
	struct tui_rings *r = xcalloc(1, sizeof(*r));

	r->db = db;
	r->run = run;
	r->scanned = -1;
	for (int q = 0; q < MAX_QUEUES; q++)
		r->cur[q].q = q;
	return r;
}

void tui_rings_free(struct tui_rings *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->scan_st);
	sqlite3_finalize(r->buffer_st);
	free(r->v);
	free(r);
}

static void set_half(uint64_t *a, bool hi, uint64_t v)
{
	*a = hi ? (*a & 0xffffffffu) | (v & 0xffffffffu) << 32 : (*a & ~(uint64_t)0xffffffffu) | (v & 0xffffffffu);
}

static void apply(struct tui_rings *r, int64_t event, int reg, uint64_t value)
{
	struct layout *l;

	if (reg == R_SELECT) {
		r->sel = (int64_t)value;
		return;
	}
	if (r->sel < 0 || r->sel >= MAX_QUEUES)
		return;
	l = &r->cur[r->sel];
	switch (reg) {
	case R_SIZE: l->size = value <= MAX_SIZE ? (uint32_t)value : 0; break;
	case R_DESC_LO: case R_DESC_HI: set_half(&l->desc, reg == R_DESC_HI, value); break;
	case R_DRIVER_LO: case R_DRIVER_HI: set_half(&l->avail, reg == R_DRIVER_HI, value); break;
	default: set_half(&l->used, reg == R_DEVICE_HI, value); break;
	}
	l->from = event;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n++] = *l;
}

/*
 * Read the register writes after r->scanned up to event. Unless all, a
 * first scan reads at most the run's first INIT_SCAN events and a later one
 * only a gap of at most SCAN_STEP: paging along keeps the layouts current,
 * a jump far ahead names rows from the layouts known so far (a guest lays
 * out its queues at start-up) instead of reading millions of events.
 */
static void scan(struct tui_rings *r, int64_t event, bool all)
{
	static const char sql[] = "SELECT e.event, g.name, e.value FROM events e JOIN registers g ON g.id = e.reg"
		" WHERE e.run = ?1 AND e.event > ?2 AND e.event <= ?3 AND e.sub = 0 AND e.value IS NOT NULL"
		" AND e.reg IN (SELECT id FROM registers WHERE name IN (?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))"
		" AND e.kind IN (SELECT code FROM event_kinds WHERE name = 'bar-write') ORDER BY e.event, e.sub";
	sqlite3_stmt *st;
	int rc;

	if (event <= r->scanned || r->broken)
		return;
	if (!all && r->scanned < 0 && event > INIT_SCAN)
		event = INIT_SCAN;
	else if (!all && r->scanned >= 0 && event - r->scanned > SCAN_STEP)
		return;
	if (r->scan_st == NULL && sqlite3_prepare_v2(r->db, sql, -1, &r->scan_st, NULL) != SQLITE_OK) {
		r->broken = true;
		return;
	}
	st = r->scan_st;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, r->run);
	sqlite3_bind_int64(st, 2, r->scanned);
	sqlite3_bind_int64(st, 3, event);
	for (int i = 0; i < R_N; i++)
		sqlite3_bind_text(st, 4 + i, regname[i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		for (int i = 0; name && i < R_N; i++)
			if (strcmp(name, regname[i]) == 0)
				apply(r, sqlite3_column_int64(st, 0), i, (uint64_t)sqlite3_column_int64(st, 2));
	}
	if (rc != SQLITE_DONE)
		r->broken = true;
	sqlite3_reset(st);
	r->scanned = event;
}



/* The queue's name from its transactions ("queue3" if it has none). */
static const char *queue_name(struct tui_rings *r, int64_t q)
{
	sqlite3_stmt *st;

	if (r->named[q])
		return r->names[q];
	r->named[q] = 1;
	snprintf(r->names[q], sizeof(r->names[q]), "queue%" PRId64, q);
	if (sqlite3_prepare_v2(r->db, "SELECT queue_name FROM transactions WHERE run = ?1 AND queue = ?2"
	    " AND queue_name IS NOT NULL LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return r->names[q];
	sqlite3_bind_int64(st, 1, r->run);
	sqlite3_bind_int64(st, 2, q);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(st, 0);
		size_t i = 0;

		/* printable, short: it becomes part of a list cell */
		for (; s && s[i] && i + 1 < sizeof(r->names[q]); i++)
			r->names[q][i] = s[i] > 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
		if (i)
			r->names[q][i] = '\0';
	}
	sqlite3_finalize(st);
	return r->names[q];
}

/* Where addr lies in a queue's rings, by the layout as of some event. */
static bool locate(const struct layout *l, uint64_t addr, struct vring_spot *spot)
{
	struct vring_layout v = { .desc = l->desc, .avail = l->avail, .used = l->used, .size = l->size };

	return vring_locate(&v, addr, spot);
}

/*
 * A buffer of a request taken near event (the guest fills it before the
 * notify, the device writes it after): the queue whose descriptor covers
 * addr, or -1.
 */
#define BUFFER_NEAR	64	/* events either side of the request's first event */
static int64_t buffer_queue(struct tui_rings *r, int64_t event, uint64_t addr)
{
	sqlite3_stmt *st;
	int64_t q = -1;

	if (r->buffer_st == NULL && sqlite3_prepare_v2(r->db, "SELECT t.queue FROM transactions t JOIN descriptors d"
	    " ON d.run = t.run AND d.txn = t.id WHERE t.run = ?1 AND t.first_event BETWEEN ?2 - ?4 AND ?2 + ?4"
	    " AND d.addr <= ?3 AND ?3 < d.addr + d.len AND (d.flags & 4) = 0 ORDER BY abs(t.first_event - ?2) LIMIT 1",
	    -1, &r->buffer_st, NULL) != SQLITE_OK)
		return -1;
	st = r->buffer_st;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, r->run);
	sqlite3_bind_int64(st, 2, event);
	sqlite3_bind_int64(st, 3, (int64_t)addr);
	sqlite3_bind_int64(st, 4, BUFFER_NEAR);
	if (sqlite3_step(st) == SQLITE_ROW)
		q = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return q >= 0 && q < MAX_QUEUES ? q : -1;
}

bool tui_rings_name(struct tui_rings *r, int64_t event, uint64_t addr, uint64_t len, char *out, size_t n)
{
	int64_t bq;

	const struct layout *best[MAX_QUEUES] = { 0 };

	scan(r, event, false);
	/* each queue's layout as of event: the last snapshot at or before it */
	for (size_t i = 0; i < r->n && r->v[i].from <= event; i++)
		best[r->v[i].q] = &r->v[i];
	for (int q = 0; q < MAX_QUEUES; q++) {
		struct vring_spot a, b;
		char name[48];

		if (best[q] == NULL || !locate(best[q], addr, &a))
			continue;
		vring_spot_name(&a, false, name, sizeof(name));
		/* a range within one table or ring: "desc[0..2]" */
		if (len > 1 && a.index >= 0 && locate(best[q], addr + len - 1, &b) && strcmp(a.ring, b.ring) == 0 &&
		    (a.field == NULL) == (b.field == NULL) && (a.field == NULL || strcmp(a.field, b.field) == 0) &&
		    b.index > a.index)
			snprintf(strchr(name, '[') + 1, sizeof(name) - (size_t)(strchr(name, '[') + 1 - name),
			    "%" PRId64 "..%" PRId64 "]", a.index, b.index);
		snprintf(out, n, "%s.%s", queue_name(r, q), name);
		return true;
	}
	if ((bq = buffer_queue(r, event, addr)) >= 0) {
		snprintf(out, n, "%s.buffer", queue_name(r, bq));
		return true;
	}
	return false;
}

size_t tui_rings_layouts(struct tui_rings *r, int64_t event, struct tui_ring_layout *out, size_t max)
{
	const struct layout **best = xcalloc(MAX_QUEUES, sizeof(*best));
	size_t k = 0;

	scan(r, event, false);
	for (size_t i = 0; i < r->n && r->v[i].from <= event; i++)
		best[r->v[i].q] = &r->v[i];
	for (int q = 0; q < MAX_QUEUES && k < max; q++) {
		const struct layout *l = best[q];

		if (l == NULL || l->size == 0 || (l->desc == 0 && l->avail == 0 && l->used == 0))
			continue;
		out[k] = (struct tui_ring_layout){ .queue = q, .desc = l->desc, .avail = l->avail, .used = l->used,
			.size = l->size, .since = l->from };
		snprintf(out[k].name, sizeof(out[k].name), "%s", queue_name(r, q));
		k++;
	}
	free(best);
	return k;
}

/* Entries of one region of a layout: its field name, first address, entry size and count (1: no index). */
struct region {
	const char *f;
	uint64_t base, esize, n;
};

static size_t regions(const struct layout *l, struct region *out)
{
	uint64_t s = l->size;
	size_t k = 0;

	if (s == 0)
		return 0;
	if (l->desc)
		out[k++] = (struct region){ "desc", l->desc, 16, s };
	if (l->avail) {
		out[k++] = (struct region){ "avail.flags", l->avail, 2, 1 };
		out[k++] = (struct region){ "avail.idx", l->avail + 2, 2, 1 };
		out[k++] = (struct region){ "avail.ring", l->avail + 4, 2, s };
		out[k++] = (struct region){ "avail.used_event", l->avail + 4 + 2 * s, 2, 1 };
	}
	if (l->used) {
		out[k++] = (struct region){ "used.flags", l->used, 2, 1 };
		out[k++] = (struct region){ "used.idx", l->used + 2, 2, 1 };
		out[k++] = (struct region){ "used.ring", l->used + 4, 8, s };
		out[k++] = (struct region){ "used.avail_event", l->used + 4 + 8 * s, 2, 1 };
	}
	return k;
}

static int add_range(sqlite3_stmt *ins, int64_t first, int64_t last, uint64_t lo, uint64_t hi)
{
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, first);
	sqlite3_bind_int64(ins, 2, last);
	sqlite3_bind_int64(ins, 3, (int64_t)lo);
	sqlite3_bind_int64(ins, 4, (int64_t)hi);
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

/*
 * Could glob name a ring field of some queue? Its part before the first '.'
 * must match a queue's name (or the whole glob match "name.desc[0]"). The
 * queues are found by seeking the index on (run, queue), one per queue.
 */
static bool may_name(struct tui_rings *r, const char *glob)
{
	const char *dot = strchr(glob, '.');
	char *pre = xstrdup(glob);
	sqlite3_stmt *st;
	int64_t q = 0;
	bool yes = false;

	if (dot)
		pre[dot - glob] = '\0';
	if (sqlite3_prepare_v2(r->db, "SELECT queue FROM transactions WHERE run = ?1 AND queue >= ?2 ORDER BY queue"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		free(pre);
		return true;
	}
	while (!yes && q < MAX_QUEUES) {
		char full[64];

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, r->run);
		sqlite3_bind_int64(st, 2, q);
		if (sqlite3_step(st) != SQLITE_ROW)
			break;
		q = sqlite3_column_int64(st, 0);
		if (q < 0 || q >= MAX_QUEUES)
			break;
		snprintf(full, sizeof(full), "%s.desc[0]", queue_name(r, q));
		yes = sqlite3_strglob(pre, queue_name(r, q)) == 0 || sqlite3_strglob(glob, full) == 0;
		q++;
	}
	sqlite3_finalize(st);
	free(pre);
	return yes;
}

/* "desc[7]" means entry 7, not a character class: write its '[' as "[[]" for GLOB. */
static char *literal_indices(const char *glob)
{
	char *out = xmalloc(strlen(glob) * 3 + 1), *o = out;

	for (const char *p = glob; *p; p++) {
		size_t d = *p == '[' ? strspn(p + 1, "0123456789") : 0;

		if (d > 0 && p[1 + d] == ']') {
			memcpy(o, "[[]", 3);
			o += 3;
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

int64_t tui_rings_filter(struct tui_rings *r, const char *user_glob)
{
	sqlite3_stmt *ins;
	int64_t n = 0;
	char *glob;

	if (!may_name(r, user_glob)) {
		/* a kind or register filter (bar-write, common.queue_*): no ring name can match, skip the scan */
		return sqlite3_exec(r->db, TUI_RINGS_FILTER_TABLE "; DELETE FROM temp.ring_filter", NULL, NULL,
		    NULL) == SQLITE_OK ? 0 : -1;
	}
	scan(r, INT64_MAX, true);
	if (r->broken || sqlite3_exec(r->db, TUI_RINGS_FILTER_TABLE "; DELETE FROM temp.ring_filter", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(r->db, "INSERT INTO temp.ring_filter VALUES (?1, ?2, ?3, ?4)", -1, &ins, NULL) != SQLITE_OK)
		return -1;
	glob = literal_indices(user_glob);
	for (size_t i = 0; i < r->n; i++) {
		const struct layout *l = &r->v[i];
		int64_t last = INT64_MAX;
		struct region reg[9];
		size_t nreg = regions(l, reg);

		/* valid until the queue's next snapshot */
		for (size_t j = i + 1; j < r->n; j++)
			if (r->v[j].q == l->q) {
				last = r->v[j].from - 1;
				break;
			}
		if (last < l->from)
			continue;
		for (size_t k = 0; k < nreg; k++) {
			uint64_t lo = 0, hi = 0;
			bool open = false;

			for (uint64_t e = 0; e < reg[k].n; e++) {
				char name[96];

				if (reg[k].n > 1)
					snprintf(name, sizeof(name), "%s.%s[%" PRIu64 "]", queue_name(r, l->q), reg[k].f, e);
				else
					snprintf(name, sizeof(name), "%s.%s", queue_name(r, l->q), reg[k].f);
				if (sqlite3_strglob(glob, name) != 0) {
					if (open && add_range(ins, l->from, last, lo, hi) < 0)
						goto fail;
					n += open;
					open = false;
					continue;
				}
				if (!open)
					lo = reg[k].base + e * reg[k].esize;
				hi = reg[k].base + (e + 1) * reg[k].esize - 1;
				open = true;
			}
			if (open && add_range(ins, l->from, last, lo, hi) < 0)
				goto fail;
			n += open;
		}
	}
	sqlite3_finalize(ins);
	free(glob);
	return n;
fail:
	sqlite3_finalize(ins);
	free(glob);
	return -1;
}
