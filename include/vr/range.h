/* range.h -- address ranges [base, base + size) that may end at the top of the 64-bit address space */
#ifndef VR_RANGE_H
#define VR_RANGE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A range is given by its base and size; one that ends exactly at 2^64
 * (QEMU's unassigned space above 4 GiB does) has base + size == 0, so
 * these work with the last byte, base + size - 1, which never wraps.
 */
static inline uint64_t range_last(uint64_t base, uint64_t size)
{
	return base + (size - 1);
}

/* Empty, or running past 2^64. */
static inline bool range_bad(uint64_t base, uint64_t size)
{
	return size == 0 || range_last(base, size) < base;
}

static inline bool range_overlap(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2)
{
	return b1 <= range_last(b2, s2) && b2 <= range_last(b1, s1);
}

#endif
