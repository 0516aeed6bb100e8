/* test_vring_name.c -- Criterion suite for vring-name: every field of a split ring located and named, and the edges */
#include <criterion/criterion.h>
#include <string.h>

#include "vr/vring-name.h"

/* A queue of 8 entries: desc at 0x1000 (128 bytes), avail at 0x2000 (22), used at 0x3000 (70). */
static const struct vring_layout L = { .desc = 0x1000, .avail = 0x2000, .used = 0x3000, .size = 8 };

static const char *name(const struct vring_layout *l, uint64_t a, bool detail)
{
	static char out[64];
	struct vring_spot s;

	if (!vring_locate(l, a, &s))
		return "-";
	vring_spot_name(&s, detail, out, sizeof(out));
	return out;
}

Test(vring_name, every_field)
{
	static const struct {
		uint64_t a;
		const char *brief, *detail;
	} c[] = {
		{ 0x1000, "desc[0]", "desc[0].addr" }, { 0x1078, "desc[7]", "desc[7].len" },
		{ 0x107c, "desc[7]", "desc[7].flags" }, { 0x107f, "desc[7]", "desc[7].next" },
		{ 0x2000, "avail.flags", "avail.flags" }, { 0x2003, "avail.idx", "avail.idx" },
		{ 0x2004, "avail.ring[0]", "avail.ring[0]" }, { 0x2013, "avail.ring[7]", "avail.ring[7]" },
		{ 0x2014, "avail.used_event", "avail.used_event" }, { 0x2015, "avail.used_event", "avail.used_event" },
		{ 0x2016, "-", "-" },
		{ 0x3002, "used.idx", "used.idx" }, { 0x3004, "used.ring[0]", "used.ring[0].id" },
		{ 0x3008, "used.ring[0]", "used.ring[0].len" }, { 0x3043, "used.ring[7]", "used.ring[7].len" },
		{ 0x3044, "used.avail_event", "used.avail_event" }, { 0x3046, "-", "-" },
		{ 0xfff, "-", "-" }, { 0x1080, "-", "-" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_expect_str_eq(name(&L, c[i].a, false), c[i].brief, "0x%llx", (unsigned long long)c[i].a);
		cr_expect_str_eq(name(&L, c[i].a, true), c[i].detail, "0x%llx", (unsigned long long)c[i].a);
	}
}

Test(vring_name, edges)
{
	struct vring_layout l = L;
	struct vring_spot s;

	/* an area never written (address 0) is not a ring; a queue of size 0 has none */
	l.avail = 0;
	cr_expect_str_eq(name(&l, 0x2, false), "-");
	cr_expect_str_eq(name(&l, 0x3002, false), "used.idx");
	l.size = 0;
	cr_expect_not(vring_locate(&l, 0x1000, &s));
	/* no overflow at the top of the address space */
	l = (struct vring_layout){ .desc = UINT64_MAX - 15, .size = 1 };
	cr_expect_str_eq(name(&l, UINT64_MAX, true), "desc[0].next");
	cr_expect_str_eq(name(&l, 0, true), "-");
}
