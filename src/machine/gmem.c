/* gmem.c -- sparse guest RAM: declared regions, 4 KiB pages allocated on first store */
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/gmem.h"
#include "vr/le.h"
#include "vr/range.h"
#include "vr/xmalloc.h"

#define GMEM_MAX_REGIONS	16
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1u << PAGE_SHIFT)
#define PAGE_MASK		((uint64_t)PAGE_SIZE - 1)
#define GMEM_MAX_UNASSIGNED	12	/* unassigned ranges and zero ROM: a trace states 8 + 4 */
#define GMEM_SAVE_VERSION	2
#define GMEM_MAGIC		0x4d454d47u	/* "GMEM" */

/*
 * Pages live in an open-addressing hash keyed by page frame number, with a
 * one-entry cache in front: a replay mostly touches the same few ring pages
 * over and over. Hash order never leaks out: gmem_save sorts the frames.
 */
struct gpage {
	uint64_t pfn;
	uint8_t *data;		/* NULL: empty slot */
};

struct gmem {
	struct {
		uint64_t base, size;
	} reg[GMEM_MAX_REGIONS];
	unsigned nreg;
	struct {
		uint64_t base, size;
		bool rom;	/* zero ROM: a map may not run out of it */
	} hole[GMEM_MAX_UNASSIGNED];
	struct {
		uint64_t base, size;
	} win[GMEM_WINDOWS];
	unsigned nhole;
	uint32_t bounce;	/* holder of the bounce buffer, 0: free */
	uint64_t total;
	struct gpage *tab;
	size_t cap;		/* power of two */
	size_t used;
	uint64_t cache_pfn;
	uint8_t *cache_data;	/* NULL: cache empty */
	uint64_t limit;		/* bytes of pages that may be allocated */
	bool over_limit;	/* a store needed a page beyond the limit (or the allocator said no) */
};

struct gmem *gmem_new(void)
{
	struct gmem *m = xcalloc(1, sizeof *m);
	m->limit = UINT64_MAX;
	m->cap = 64;
	m->tab = xcalloc(m->cap, sizeof *m->tab);
	return m;
}

static void free_pages(struct gmem *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->tab[i].data);
	memset(m->tab, 0, m->cap * sizeof *m->tab);
	m->used = 0;
	m->cache_data = NULL;
}

void gmem_free(struct gmem *m)
{
	if (m == NULL)
		return;
	free_pages(m);
	free(m->tab);
	free(m);
}

/*
 * A new entry of a range list (RAM regions, unassigned ranges): room for it,
 * not empty, no wrap (an unassigned range may end at 2^64 exactly: top_ok).
 */
static int range_new(const char *what, const char *plural, unsigned n, unsigned max, uint64_t base, uint64_t size,
    bool top_ok, char **cause)
{
	if (n >= max)
		return cause_set(cause, "%s 0x%llx: more than %u %s", what, (unsigned long long)base, max, plural);
	if (range_bad(base, size) || (!top_ok && base + size == 0))
		return cause_set(cause, "%s 0x%llx+0x%llx: empty or wraps", what, (unsigned long long)base,
		    (unsigned long long)size);
	return 0;
}

int gmem_add_region(struct gmem *m, uint64_t base, uint64_t size, char **cause)
{
	if (range_new("ram region", "regions", m->nreg, GMEM_MAX_REGIONS, base, size, false, cause) < 0)
		return -1;
	unsigned i;
	for (i = 0; i < m->nreg; i++) {
		if (base < m->reg[i].base + m->reg[i].size && m->reg[i].base < base + size)
			return cause_set(cause, "ram region 0x%llx+0x%llx: overlaps 0x%llx+0x%llx",
			    (unsigned long long)base, (unsigned long long)size,
			    (unsigned long long)m->reg[i].base, (unsigned long long)m->reg[i].size);
		if (base < m->reg[i].base)
			break;
	}
	memmove(&m->reg[i + 1], &m->reg[i], (m->nreg - i) * sizeof m->reg[0]);
	m->reg[i].base = base;
	m->reg[i].size = size;
	m->nreg++;
	m->total += size;
	return 0;
}

/* Regions are sorted and disjoint: a range may run on into the next region when it starts where one ends. */
bool gmem_valid(const struct gmem *m, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		return false;
	for (unsigned i = 0; i < m->nreg; i++) {
		uint64_t b = m->reg[i].base, s = m->reg[i].size;
		if (addr < b || addr - b >= s)
			continue;
		for (unsigned j = i;; j++) {
			uint64_t reg_end = m->reg[j].base + m->reg[j].size;
			if (end <= reg_end)
				return true;
			if (j + 1 == m->nreg || m->reg[j + 1].base != reg_end)
				return false;
		}
	}
	return false;
}

unsigned gmem_nregions(const struct gmem *m)
{
	return m->nreg;
}

int gmem_region(const struct gmem *m, unsigned i, uint64_t *base, uint64_t *size)
{
	if (i >= m->nreg)
		return -1;
	*base = m->reg[i].base;
	*size = m->reg[i].size;
	return 0;
}

int gmem_add_unassigned(struct gmem *m, uint64_t base, uint64_t size, bool rom, char **cause)
{
	const char *what = rom ? "rom range" : "unassigned range";

	if (range_new(what, "ranges", m->nhole, GMEM_MAX_UNASSIGNED, base, size, !rom, cause) < 0)
		return -1;
	for (unsigned i = 0; i < m->nreg; i++)
		if (range_overlap(base, size, m->reg[i].base, m->reg[i].size))
			return cause_set(cause, "%s 0x%llx+0x%llx: overlaps ram", what, (unsigned long long)base,
			    (unsigned long long)size);
	for (unsigned i = 0; i < m->nhole; i++)
		if (range_overlap(base, size, m->hole[i].base, m->hole[i].size))
			return cause_set(cause, "%s 0x%llx+0x%llx: overlaps 0x%llx+0x%llx", what, (unsigned long long)base,
			    (unsigned long long)size, (unsigned long long)m->hole[i].base,
			    (unsigned long long)m->hole[i].size);
	m->hole[m->nhole].base = base;
	m->hole[m->nhole].size = size;
	m->hole[m->nhole].rom = rom;
	m->nhole++;
	return 0;
}

bool gmem_has_unassigned(const struct gmem *m)
{
	return m->nhole > 0;
}

void gmem_set_window(struct gmem *m, unsigned i, uint64_t base, uint64_t size)
{
	if (i >= GMEM_WINDOWS)
		return;
	if (base + size < base)
		size = 0;
	m->win[i].base = base;
	m->win[i].size = size;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * RAM runs on through adjacent regions (gmem_valid); a hole ends where its
 * range ends or a window begins; a window where it ends. Every span ends at
 * one of those boundaries, so walking a range takes a bounded number of steps.
 */
enum gmem_kind gmem_span(const struct gmem *m, uint64_t addr, uint64_t len, uint64_t *n)
{
	*n = 0;
	if (range_bad(addr, len))	/* may end at 2^64, in a hole */
		return GMEM_NONE;
	for (unsigned i = 0; i < m->nreg; i++) {
		if (addr < m->reg[i].base || addr - m->reg[i].base >= m->reg[i].size)
			continue;
		uint64_t end = m->reg[i].base + m->reg[i].size;
		for (unsigned j = i + 1; j < m->nreg && m->reg[j].base == end; j++)
			end = m->reg[j].base + m->reg[j].size;
		*n = min64(len, end - addr);
		return GMEM_RAM;
	}
	for (unsigned i = 0; i < GMEM_WINDOWS; i++)
		if (m->win[i].size != 0 && addr >= m->win[i].base && addr - m->win[i].base < m->win[i].size) {
			*n = min64(len, m->win[i].base + m->win[i].size - addr);
			return GMEM_WINDOW;
		}
	for (unsigned i = 0; i < m->nhole; i++) {
		if (addr < m->hole[i].base || addr - m->hole[i].base >= m->hole[i].size)
			continue;
		/* the bytes left from addr on, less one: a hole may end at 2^64 */
		uint64_t rest = range_last(m->hole[i].base, m->hole[i].size) - addr;
		for (unsigned w = 0; w < GMEM_WINDOWS; w++)
			if (m->win[w].size != 0 && m->win[w].base > addr && m->win[w].base - addr - 1 < rest)
				rest = m->win[w].base - addr - 1;
		*n = len - 1 <= rest ? len : rest + 1;
		return m->hole[i].rom ? GMEM_ROM : GMEM_HOLE;
	}
	return GMEM_NONE;
}

/*
 * QEMU's address_space_cache_init: a map that starts in RAM must stay in RAM
 * (adjacent regions count as one piece here, as gmem_valid has them), one in
 * zero ROM in that ROM; one that starts in unassigned space takes QEMU's
 * unassigned section, which spans the whole address space, so it reads 0 to
 * its end whatever lies past the range. A window (the function's own BAR)
 * is MMIO the model does not map.
 */
enum gmem_map gmem_map(const struct gmem *m, uint64_t addr, uint64_t len)
{
	uint64_t n;
	enum gmem_kind k = gmem_span(m, addr, len, &n);

	if (k == GMEM_HOLE)
		return GMEM_MAP_ZERO;
	if (k != GMEM_RAM && k != GMEM_ROM)
		return GMEM_MAP_NONE;
	return n < len ? GMEM_MAP_NONE : k == GMEM_RAM ? GMEM_MAP_RAM : GMEM_MAP_ZERO;
}

/* Both directions: RAM through gmem_read/write, holes read 0 and swallow writes. 1 if a hole was touched. */
static int dev_access(struct gmem *m, const struct gmem *cm, uint64_t addr, uint8_t *dst, const uint8_t *src,
    size_t len)
{
	int touched = 0;

	while (len > 0) {
		uint64_t n;
		enum gmem_kind k = gmem_span(cm, addr, len, &n);
		if (k == GMEM_RAM) {
			if (dst != NULL && gmem_read(cm, addr, dst, n) < 0)
				return -1;
			if (src != NULL && gmem_write(m, addr, src, n) < 0)
				return -1;
		} else if (k == GMEM_HOLE || k == GMEM_ROM) {
			if (dst != NULL)
				memset(dst, 0, n);
			touched = 1;
		} else {
			return -1;
		}
		if (dst != NULL)
			dst += n;
		if (src != NULL)
			src += n;
		addr += n;
		len -= n;
	}
	return touched;
}

int gmem_dev_read(const struct gmem *m, uint64_t addr, void *dst, size_t len)
{
	if (m->nhole == 0)
		return gmem_read(m, addr, dst, len);
	return dev_access(NULL, m, addr, dst, NULL, len) < 0 ? -1 : 0;
}

int gmem_dev_write(struct gmem *m, uint64_t addr, const void *src, size_t len)
{
	if (m->nhole == 0)
		return gmem_write(m, addr, src, len);
	return dev_access(m, m, addr, NULL, src, len);
}

uint32_t gmem_bounce(const struct gmem *m)
{
	return m->bounce;
}

void gmem_set_bounce(struct gmem *m, uint32_t owner)
{
	m->bounce = owner;
}

static size_t hash_pfn(uint64_t pfn)
{
	pfn ^= pfn >> 29;
	pfn *= 0xbf58476d1ce4e5b9ull;
	pfn ^= pfn >> 32;
	return (size_t)pfn;
}

static uint8_t *page_find(const struct gmem *m, uint64_t pfn)
{
	if (m->cache_data != NULL && m->cache_pfn == pfn)
		return m->cache_data;
	size_t mask = m->cap - 1;
	for (size_t i = hash_pfn(pfn) & mask;; i = (i + 1) & mask) {
		if (m->tab[i].data == NULL)
			return NULL;
		if (m->tab[i].pfn == pfn) {
			/* The cache is a hint, not state: updating it through a const pointer is harmless. */
			struct gmem *mm = (struct gmem *)m;
			mm->cache_pfn = pfn;
			mm->cache_data = m->tab[i].data;
			return m->tab[i].data;
		}
	}
}

static void tab_insert(struct gpage *tab, size_t cap, uint64_t pfn, uint8_t *data)
{
	size_t mask = cap - 1;
	size_t i = hash_pfn(pfn) & mask;
	while (tab[i].data != NULL)
		i = (i + 1) & mask;
	tab[i].pfn = pfn;
	tab[i].data = data;
}

/* The page at pfn, allocated if new; NULL (and over_limit set) past the limit or when memory runs out. */
static uint8_t *page_get(struct gmem *m, uint64_t pfn)
{
	uint8_t *p = page_find(m, pfn);
	if (p != NULL)
		return p;
	if ((uint64_t)(m->used + 1) > m->limit / PAGE_SIZE) {
		m->over_limit = true;
		return NULL;
	}
	if ((m->used + 1) * 2 > m->cap) {
		size_t ncap = m->cap * 2;
		struct gpage *ntab = calloc(ncap, sizeof *ntab);
		if (ntab == NULL) {
			m->over_limit = true;
			return NULL;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->tab[i].data != NULL)
				tab_insert(ntab, ncap, m->tab[i].pfn, m->tab[i].data);
		free(m->tab);
		m->tab = ntab;
		m->cap = ncap;
	}
	/* Guest RAM is the one allocation a trace steers directly: running out is the trace's limit, not ours. */
	if ((p = calloc(1, PAGE_SIZE)) == NULL) {
		m->over_limit = true;
		return NULL;
	}
	tab_insert(m->tab, m->cap, pfn, p);
	m->used++;
	m->cache_pfn = pfn;
	m->cache_data = p;
	return p;
}

static bool all_zero_n(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

int gmem_read(const struct gmem *m, uint64_t addr, void *dst, size_t len)
{
	if (!gmem_valid(m, addr, len))
		return -1;
	uint8_t *d = dst;
	while (len > 0) {
		uint32_t in = (uint32_t)(addr & PAGE_MASK);
		size_t n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		const uint8_t *p = page_find(m, addr >> PAGE_SHIFT);
		if (p != NULL)
			memcpy(d, p + in, n);
		else
			memset(d, 0, n);
		d += n;
		addr += n;
		len -= n;
	}
	return 0;
}

int gmem_write(struct gmem *m, uint64_t addr, const void *src, size_t len)
{
	if (!gmem_valid(m, addr, len))
		return -1;
	const uint8_t *s = src;
	while (len > 0) {
		uint32_t in = (uint32_t)(addr & PAGE_MASK);
		size_t n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		uint8_t *p = page_find(m, addr >> PAGE_SHIFT);
		/* Zeros into a page never written read back as zeros already: no page for them. */
		if (p == NULL && !all_zero_n(s, n) && (p = page_get(m, addr >> PAGE_SHIFT)) == NULL)
			return -1;
		if (p != NULL)
			memcpy(p + in, s, n);
		s += n;
		addr += n;
		len -= n;
	}
	return 0;
}

void gmem_set_limit(struct gmem *m, uint64_t bytes)
{
	m->limit = bytes;
}

bool gmem_over_limit(const struct gmem *m)
{
	return m->over_limit;
}

int gmem_read_u16(const struct gmem *m, uint64_t addr, uint16_t *v)
{
	uint8_t b[2];
	if (gmem_read(m, addr, b, 2) < 0)
		return -1;
	*v = le16_load(b);
	return 0;
}

int gmem_read_u32(const struct gmem *m, uint64_t addr, uint32_t *v)
{
	uint8_t b[4];
	if (gmem_read(m, addr, b, 4) < 0)
		return -1;
	*v = le32_load(b);
	return 0;
}

int gmem_read_u64(const struct gmem *m, uint64_t addr, uint64_t *v)
{
	uint8_t b[8];
	if (gmem_read(m, addr, b, 8) < 0)
		return -1;
	*v = le64_load(b);
	return 0;
}

int gmem_write_u16(struct gmem *m, uint64_t addr, uint16_t v)
{
	uint8_t b[2];
	le16_store(b, v);
	return gmem_write(m, addr, b, 2);
}

int gmem_write_u32(struct gmem *m, uint64_t addr, uint32_t v)
{
	uint8_t b[4];
	le32_store(b, v);
	return gmem_write(m, addr, b, 4);
}

int gmem_write_u64(struct gmem *m, uint64_t addr, uint64_t v)
{
	uint8_t b[8];
	le64_store(b, v);
	return gmem_write(m, addr, b, 8);
}

uint64_t gmem_total(const struct gmem *m)
{
	return m->total;
}

uint64_t gmem_resident(const struct gmem *m)
{
	return (uint64_t)m->used * PAGE_SIZE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool all_zero(const uint8_t *p)
{
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/*
 * Layout: magic, version, region count, regions, the bounce buffer's holder (version 2, written only while
 * it is held), page count, then each
 * non-zero page as (pfn, 4096 bytes) in ascending address order, so equal
 * memory always gives an equal blob.
 */
void gmem_save(const struct gmem *m, struct buf *out)
{
	uint64_t *pfns = xreallocarray(NULL, m->used ? m->used : 1, sizeof *pfns);
	size_t n = 0;
	for (size_t i = 0; i < m->cap; i++)
		if (m->tab[i].data != NULL && !all_zero(m->tab[i].data))
			pfns[n++] = m->tab[i].pfn;
	qsort(pfns, n, sizeof *pfns, cmp_u64);
	buf_add_le32(out, GMEM_MAGIC);
	/* version 1 while the bounce buffer is free: states without one keep their old bytes */
	buf_add_le16(out, m->bounce != 0 ? GMEM_SAVE_VERSION : 1);
	buf_add_le16(out, (uint16_t)m->nreg);
	for (unsigned i = 0; i < m->nreg; i++) {
		buf_add_le64(out, m->reg[i].base);
		buf_add_le64(out, m->reg[i].size);
	}
	if (m->bounce != 0)
		buf_add_le32(out, m->bounce);
	buf_add_le64(out, n);
	for (size_t i = 0; i < n; i++) {
		buf_add_le64(out, pfns[i]);
		buf_add(out, page_find(m, pfns[i]), PAGE_SIZE);
	}
	free(pfns);
}

static bool page_in_ram(const struct gmem *m, uint64_t pfn)
{
	uint64_t a = pfn << PAGE_SHIFT;
	for (unsigned i = 0; i < m->nreg; i++)
		if (a < m->reg[i].base + m->reg[i].size && m->reg[i].base < a + PAGE_SIZE)
			return true;
	return false;
}

/* All-or-nothing: the blob is checked completely before memory changes. */
int gmem_load(struct gmem *m, const uint8_t *p, size_t len, char **cause)
{
	struct cursor c;
	cursor_init(&c, p, len);
	if (cursor_le32(&c) != GMEM_MAGIC || c.err)
		return cause_set(cause, "guest memory: bad magic");
	uint16_t ver = cursor_le16(&c);
	if (ver != 1 && ver != GMEM_SAVE_VERSION)
		return cause_set(cause, "guest memory: version %u not supported", ver);
	uint16_t nreg = cursor_le16(&c);
	if (c.err || nreg != m->nreg)
		return cause_set(cause, "guest memory: %u regions, device has %u", nreg, m->nreg);
	for (unsigned i = 0; i < nreg; i++) {
		uint64_t b = cursor_le64(&c), s = cursor_le64(&c);
		if (c.err || b != m->reg[i].base || s != m->reg[i].size)
			return cause_set(cause, "guest memory: region %u differs from the declared ram", i);
	}
	uint32_t bounce = ver >= 2 ? cursor_le32(&c) : 0;	/* version 1: no bounce buffer held */
	uint64_t n = cursor_le64(&c);
	if (c.err || n > (len - c.off) / (8 + PAGE_SIZE) || (len - c.off) != n * (8 + PAGE_SIZE))
		return cause_set(cause, "guest memory: page count %llu does not match the blob size",
		    (unsigned long long)n);
	size_t start = c.off;
	uint64_t prev = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = cursor_le64(&c);
		cursor_bytes(&c, PAGE_SIZE);
		if (c.err || (i > 0 && pfn <= prev))
			return cause_set(cause, "guest memory: page %llu out of order", (unsigned long long)i);
		if (pfn > (UINT64_MAX >> PAGE_SHIFT) || !page_in_ram(m, pfn))
			return cause_set(cause, "guest memory: page 0x%llx outside ram",
			    (unsigned long long)(pfn << PAGE_SHIFT));
		prev = pfn;
	}
	if (n > m->limit / PAGE_SIZE) {
		m->over_limit = true;
		return cause_set(cause, "guest memory: %llu pages are more than the memory limit allows",
		    (unsigned long long)n);
	}
	free_pages(m);
	m->bounce = bounce;
	cursor_init(&c, p + start, len - start);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pfn = cursor_le64(&c);
		uint8_t *page = page_get(m, pfn);
		if (page == NULL)
			return cause_set(cause, "guest memory: out of memory loading page %llu", (unsigned long long)i);
		memcpy(page, cursor_bytes(&c, PAGE_SIZE), PAGE_SIZE);
	}
	return 0;
}
