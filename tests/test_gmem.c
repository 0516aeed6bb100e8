/* test_gmem.c -- sparse guest RAM: regions, range checks, page crossing, deterministic save/load */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "vr/buf.h"
#include "vr/gmem.h"

static struct gmem *two_regions(void)
{
	struct gmem *m = gmem_new();
	char *cause = NULL;
	cr_assert_eq(gmem_add_region(m, 1ull << 32, 1ull << 40, &cause), 0);
	cr_assert_eq(gmem_add_region(m, 0, 0x100000, &cause), 0);
	return m;
}

Test(gmem, regions_and_bounds)
{
	struct gmem *m = two_regions();
	char *cause = NULL;
	cr_assert_eq(gmem_add_region(m, 0x80000, 0x100000, &cause), -1);
	cr_assert_not_null(cause);
	free(cause);
	cr_assert_eq(gmem_total(m), (1ull << 40) + 0x100000);
	cr_assert_eq(gmem_nregions(m), 2);
	uint64_t b, s;
	cr_assert_eq(gmem_region(m, 0, &b, &s), 0);
	cr_assert_eq(b, 0);
	cr_assert(gmem_valid(m, 0, 0x100000));
	cr_assert_not(gmem_valid(m, 0xfffff, 2));
	cr_assert_not(gmem_valid(m, 0x100000, 1));
	cr_assert_not(gmem_valid(m, UINT64_MAX - 2, 8));	/* wraps */
	cr_assert(gmem_valid(m, (1ull << 32) + (1ull << 40) - 8, 8));
	uint8_t x[8];
	cr_assert_eq(gmem_read(m, 0xffffc, x, 8), -1);
	cr_assert_eq(gmem_write(m, 0xffffc, x, 8), -1);
	cr_assert_eq(gmem_resident(m), 0);
	gmem_free(m);
	gmem_free(NULL);
}

Test(gmem, zero_until_written_and_page_crossing)
{
	struct gmem *m = two_regions();
	uint8_t buf[10000], got[10000];
	cr_assert_eq(gmem_read(m, 0x1000, got, 100), 0);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(got[i], 0);
	for (int i = 0; i < 10000; i++)
		buf[i] = (uint8_t)(i * 13);
	cr_assert_eq(gmem_write(m, 0x2ff0, buf, sizeof buf), 0);
	cr_assert_eq(gmem_read(m, 0x2ff0, got, sizeof got), 0);
	cr_assert_arr_eq(got, buf, sizeof buf);
	cr_assert_eq(gmem_resident(m), 4 * 4096);
	cr_assert_eq(gmem_write_u16(m, 0x10, 0xbeef), 0);
	cr_assert_eq(gmem_write_u32(m, 0x20, 0xdeadbeef), 0);
	cr_assert_eq(gmem_write_u64(m, 0xffc, 0x0102030405060708ull), 0);
	uint16_t a;
	uint32_t c;
	uint64_t d;
	cr_assert_eq(gmem_read_u16(m, 0x10, &a), 0);
	cr_assert_eq(gmem_read_u32(m, 0x20, &c), 0);
	cr_assert_eq(gmem_read_u64(m, 0xffc, &d), 0);
	cr_assert_eq(a, 0xbeef);
	cr_assert_eq(c, 0xdeadbeef);
	cr_assert_eq(d, 0x0102030405060708ull);
	uint8_t b0;
	cr_assert_eq(gmem_read(m, 0xffc, &b0, 1), 0);
	cr_assert_eq(b0, 0x08);		/* little-endian */
	/* many pages: the hash grows and keeps everything */
	for (uint64_t p = 0; p < 3000; p++)
		cr_assert_eq(gmem_write_u32(m, (1ull << 32) + p * 0x10000, (uint32_t)p), 0);
	for (uint64_t p = 0; p < 3000; p++) {
		cr_assert_eq(gmem_read_u32(m, (1ull << 32) + p * 0x10000, &c), 0);
		cr_assert_eq(c, p);
	}
	gmem_free(m);
}

Test(gmem, save_load_deterministic)
{
	struct gmem *m = two_regions(), *n = two_regions();
	/* same contents written in different orders */
	for (int i = 0; i < 50; i++)
		gmem_write_u32(m, (uint64_t)i * 0x3000, (uint32_t)i + 1);
	for (int i = 49; i >= 0; i--)
		gmem_write_u32(n, (uint64_t)i * 0x3000, (uint32_t)i + 1);
	gmem_write_u32(n, 0x7000, 0);		/* an all-zero page is not saved */
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	gmem_save(m, &a);
	gmem_save(n, &b);
	cr_assert_eq(a.len, b.len);
	cr_assert_arr_eq(a.data, b.data, a.len);
	struct gmem *o = two_regions();
	gmem_write_u32(o, 0x5555, 7);
	char *cause = NULL;
	cr_assert_eq(gmem_load(o, a.data, a.len, &cause), 0);
	uint32_t v;
	gmem_read_u32(o, 0x5555, &v);
	cr_assert_eq(v, 0);		/* load replaced everything */
	gmem_read_u32(o, 49 * 0x3000, &v);
	cr_assert_eq(v, 50);
	/* corruptions are refused and leave memory alone */
	a.data[a.len - 1]++;
	cr_assert_eq(gmem_load(o, a.data, a.len - 1, &cause), -1);
	free(cause);
	cause = NULL;
	struct gmem *p = gmem_new();
	gmem_add_region(p, 0, 0x100000, NULL);
	cr_assert_eq(gmem_load(p, b.data, b.len, &cause), -1);		/* different regions */
	free(cause);
	gmem_read_u32(o, 49 * 0x3000, &v);
	cr_assert_eq(v, 50);
	buf_release(&a);
	buf_release(&b);
	gmem_free(m);
	gmem_free(n);
	gmem_free(o);
	gmem_free(p);
}

Test(gmem, adjacent_regions_join)
{
	struct gmem *m = gmem_new();
	uint8_t in[64], out[64];

	cr_assert_eq(gmem_add_region(m, 0x2000, 0x1000, NULL), 0);
	cr_assert_eq(gmem_add_region(m, 0x1000, 0x1000, NULL), 0);
	cr_assert_eq(gmem_add_region(m, 0x4000, 0x1000, NULL), 0);	/* a gap at 0x3000 */
	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)(i + 1);
	/* Every byte is in RAM: one store across the border of two adjacent regions. */
	cr_assert(gmem_valid(m, 0x1fe0, 64));
	cr_assert_eq(gmem_write(m, 0x1fe0, in, sizeof in), 0);
	cr_assert_eq(gmem_read(m, 0x1fe0, out, sizeof out), 0);
	cr_assert_arr_eq(in, out, sizeof in);
	cr_assert(gmem_valid(m, 0x1000, 0x2000));
	/* Across the gap, or past the last region: refused. */
	cr_assert_not(gmem_valid(m, 0x2fe0, 64));
	cr_assert_not(gmem_valid(m, 0x1000, 0x2001));
	cr_assert_not(gmem_valid(m, 0x4fe0, 64));
	cr_assert_eq(gmem_write(m, 0x2fe0, in, sizeof in), -1);
	gmem_free(m);
}

Test(gmem, limit_and_zero_stores)
{
	struct gmem *m = gmem_new();
	static uint8_t zeros[3 * 4096];
	uint8_t one = 1;

	cr_assert_eq(gmem_add_region(m, 0, 1ull << 30, NULL), 0);
	/* Zeros into untouched pages cost nothing. */
	cr_assert_eq(gmem_write(m, 0x10000, zeros, sizeof zeros), 0);
	cr_assert_eq(gmem_resident(m), 0);
	gmem_set_limit(m, 2 * 4096 + 100);
	cr_assert_eq(gmem_write(m, 0, &one, 1), 0);
	cr_assert_eq(gmem_write(m, 0x5000, &one, 1), 0);
	cr_assert_not(gmem_over_limit(m));
	/* A third page is past the limit; pages already there stay writable. */
	cr_assert_eq(gmem_write(m, 0x9000, &one, 1), -1);
	cr_assert(gmem_over_limit(m));
	cr_assert_eq(gmem_write(m, 0x5001, &one, 1), 0);
	cr_assert_eq(gmem_resident(m), 2 * 4096);
	gmem_free(m);
}

/* The rest of the machine: holes read 0 and swallow writes, windows cut them, spans end at every boundary. */
Test(gmem, unassigned_holes_and_windows)
{
	struct gmem *m = gmem_new();
	char *cause = NULL;
	uint64_t n;
	uint8_t x[16], y[16];

	cr_assert_eq(gmem_add_region(m, 0x100000, 0x100000, &cause), 0);
	cr_assert_eq(gmem_add_unassigned(m, 0x180000, 0x1000, false, &cause), -1);	/* overlaps RAM */
	free(cause);
	cause = NULL;
	cr_assert_not(gmem_has_unassigned(m));
	cr_assert_eq(gmem_add_unassigned(m, 0x200000, 0x100000, false, &cause), 0);
	cr_assert(gmem_has_unassigned(m));
	cr_assert_eq(gmem_span(m, 0x1ffff8, 16, &n), GMEM_RAM);
	cr_assert_eq(n, 8);
	cr_assert_eq(gmem_span(m, 0x200000, 16, &n), GMEM_HOLE);
	cr_assert_eq(n, 16);
	cr_assert_eq(gmem_span(m, 0x2ffff8, 16, &n), GMEM_HOLE);
	cr_assert_eq(n, 8);
	cr_assert_eq(gmem_span(m, 0x300000, 16, &n), GMEM_NONE);
	cr_assert_eq(gmem_span(m, UINT64_MAX - 4, 16, &n), GMEM_NONE);	/* wraps */
	/* a device read running from RAM into the hole: RAM bytes, then zeros; its write keeps only the RAM part */
	memset(x, 0xab, sizeof x);
	cr_assert_eq(gmem_write(m, 0x1ffff8, x, 8), 0);
	cr_assert_eq(gmem_dev_write(m, 0x1ffff8, x, 16), 1);
	memset(y, 0xee, sizeof y);
	cr_assert_eq(gmem_dev_read(m, 0x1ffff8, y, 16), 0);
	cr_assert_eq(memcmp(y, x, 8), 0);
	cr_assert_eq(y[8], 0);
	cr_assert_eq(y[15], 0);
	cr_assert_eq(gmem_dev_read(m, 0x2ffff8, y, 16), -1);	/* runs past the hole */
	cr_assert_eq(gmem_read(m, 0x200000, y, 1), -1);		/* the guest's own view: RAM only */
	/* the function's BAR in the hole: not a hole any more, and it ends the span before it */
	gmem_set_window(m, 0, 0x240000, 0x4000);
	cr_assert_eq(gmem_span(m, 0x240010, 4, &n), GMEM_WINDOW);
	cr_assert_eq(gmem_span(m, 0x23fff0, 0x100, &n), GMEM_HOLE);
	cr_assert_eq(n, 0x10);
	cr_assert_eq(gmem_dev_read(m, 0x240000, y, 4), -1);
	gmem_set_window(m, 0, 0x240000, 0);
	cr_assert_eq(gmem_span(m, 0x240010, 4, &n), GMEM_HOLE);
	gmem_free(m);
}

/*
 * A device's map (QEMU's address_space_cache_init): one that starts in
 * unassigned space reads 0 to its end, through a BAR, zero ROM, RAM or
 * nothing stated; zero ROM and RAM must hold the whole map; none wraps.
 */
Test(gmem, map_runs_through_unassigned_space)
{
	struct gmem *m = gmem_new();
	char *cause = NULL;

	cr_assert_eq(gmem_add_region(m, 0x100000, 0x100000, &cause), 0);
	cr_assert_eq(gmem_add_unassigned(m, 0x200000, 0x100000, false, &cause), 0);
	cr_assert_eq(gmem_add_unassigned(m, 0x300000, 0x10000, true, &cause), 0);	/* ROM after the hole */
	cr_assert_eq(gmem_add_unassigned(m, 0x0, 0x100000, true, &cause), 0);	/* ROM before the RAM */
	cr_assert_eq(gmem_add_unassigned(m, 0x2f8000, 0x10, true, &cause), -1);	/* overlaps the hole */
	free(cause);
	cause = NULL;
	cr_assert_eq(gmem_add_unassigned(m, 0 - 0x1000ull, 0x1000, true, &cause), -1);	/* ROM may not end at 2^64 */
	free(cause);
	cause = NULL;
	uint64_t n;
	uint8_t y[4];
	cr_assert_eq(gmem_span(m, 0x2ffff0, 0x20, &n), GMEM_HOLE);
	cr_assert_eq(n, 0x10);
	cr_assert_eq(gmem_span(m, 0x300000, 0x20000, &n), GMEM_ROM);	/* ends with the ROM */
	cr_assert_eq(n, 0x10000);
	memset(y, 0xee, sizeof y);
	cr_assert_eq(gmem_dev_write(m, 0x300000, y, 4), 1);		/* writes go nowhere */
	cr_assert_eq(gmem_dev_read(m, 0x300000, y, 4), 0);
	cr_assert_eq(y[0] | y[3], 0);
	cr_assert_eq(gmem_map(m, 0x100000, 0x1000), GMEM_MAP_RAM);
	cr_assert_eq(gmem_map(m, 0x1ffff0, 0x20), GMEM_MAP_NONE);	/* RAM into the hole */
	cr_assert_eq(gmem_map(m, 0x200000, 0x20), GMEM_MAP_ZERO);
	cr_assert_eq(gmem_map(m, 0x2ffff0, 0x20), GMEM_MAP_ZERO);	/* the hole into ROM */
	cr_assert_eq(gmem_map(m, 0x2ffff0, 0x20000), GMEM_MAP_ZERO);	/* ... and past it, into nothing stated */
	cr_assert_eq(gmem_map(m, 0x300000, 0x100), GMEM_MAP_ZERO);	/* inside the ROM */
	cr_assert_eq(gmem_map(m, 0x30fff0, 0x20), GMEM_MAP_NONE);	/* out of the ROM */
	cr_assert_eq(gmem_map(m, 0xffff0, 0x20), GMEM_MAP_NONE);	/* ROM into RAM */
	cr_assert_eq(gmem_map(m, 0x400000, 0x10), GMEM_MAP_NONE);	/* nothing stated */
	gmem_set_window(m, 0, 0x240000, 0x4000);
	cr_assert_eq(gmem_map(m, 0x23fff0, 0x100), GMEM_MAP_ZERO);	/* the hole into the BAR */
	cr_assert_eq(gmem_map(m, 0x240000, 0x10), GMEM_MAP_NONE);	/* the BAR itself: MMIO */
	cr_assert_eq(gmem_add_unassigned(m, 0x100000000ull, 0 - 0x100000000ull, false, &cause), 0);
	cr_assert_eq(gmem_map(m, 0 - 0x10ull, 0x10), GMEM_MAP_ZERO);	/* up to 2^64 */
	cr_assert_eq(gmem_map(m, 0 - 0x10ull, 0x11), GMEM_MAP_NONE);	/* past it */
	gmem_free(m);
}

/* QEMU's unassigned space runs to 2^64: a hole may end there, and a span may end exactly there; RAM may not. */
Test(gmem, unassigned_to_the_top)
{
	struct gmem *m = gmem_new();
	char *cause = NULL;
	uint64_t n;
	uint8_t y[16];

	cr_assert_eq(gmem_add_region(m, 0xffffffff00000000ull, 0 - 0xffffffff00000000ull, &cause), -1);
	free(cause);
	cause = NULL;
	cr_assert_eq(gmem_add_unassigned(m, 1ull << 32, 0 - (1ull << 32) + 1, false, &cause), -1);	/* past 2^64 */
	free(cause);
	cause = NULL;
	cr_assert_eq(gmem_add_unassigned(m, 1ull << 32, 0 - (1ull << 32), false, &cause), 0);
	cr_assert_eq(gmem_span(m, 0x451071f000000000ull, 0x1000, &n), GMEM_HOLE);
	cr_assert_eq(n, 0x1000);
	cr_assert_eq(gmem_span(m, 0 - 0x1000ull, 0x1000, &n), GMEM_HOLE);	/* the last page, whole */
	cr_assert_eq(n, 0x1000);
	cr_assert_eq(gmem_span(m, 0 - 0x1000ull, 0x1001, &n), GMEM_NONE);	/* one byte past 2^64 */
	cr_assert_eq(gmem_span(m, UINT64_MAX, 1, &n), GMEM_HOLE);
	cr_assert_eq(n, 1);
	memset(y, 0xee, sizeof y);
	cr_assert_eq(gmem_dev_read(m, 0 - 16ull, y, 16), 0);
	cr_assert_eq(y[0], 0);
	cr_assert_eq(y[15], 0);
	/* a window below the top still cuts the span */
	gmem_set_window(m, 0, 0 - 0x2000ull, 0x1000);
	cr_assert_eq(gmem_span(m, 0 - 0x3000ull, 0x3000, &n), GMEM_HOLE);
	cr_assert_eq(n, 0x1000);
	gmem_free(m);
}

/* The bounce buffer's holder travels with a checkpoint of guest memory. */
Test(gmem, bounce_holder_saved)
{
	struct gmem *m = gmem_new(), *k = gmem_new();
	char *cause = NULL;
	struct buf b;

	cr_assert_eq(gmem_add_region(m, 0, 0x10000, &cause), 0);
	cr_assert_eq(gmem_add_region(k, 0, 0x10000, &cause), 0);
	gmem_set_bounce(m, 0x10007);
	buf_init(&b);
	gmem_save(m, &b);
	cr_assert_eq(gmem_load(k, b.data, b.len, &cause), 0, "%s", cause);
	cr_assert_eq(gmem_bounce(k), 0x10007);
	buf_release(&b);
	gmem_free(m);
	gmem_free(k);
}
