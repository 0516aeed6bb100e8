/* vring-name.c -- name the split-ring field at a guest address, for the replay's reports and the browser alike */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vr/vring-name.h"

#define DESC_BYTES	16u	/* struct virtq_desc */
#define RING_HEADER	4u	/* flags, idx */

/* The members of a descriptor and of a used element, by byte offset. */
static const char *const desc_member[DESC_BYTES] = { "addr", "addr", "addr", "addr", "addr", "addr", "addr", "addr",
	"len", "len", "len", "len", "flags", "flags", "next", "next" };
static const char *const used_member[8] = { "id", "id", "id", "id", "len", "len", "len", "len" };

/* Is a inside [base, base + n)? Without overflow. */
static bool in_range(uint64_t a, uint64_t base, uint64_t n)
{
	return a >= base && a - base < n;
}

/* A driver or device ring: header, size elements of elem bytes, then the event index. */
static bool ring_spot(uint64_t a, uint64_t base, uint64_t size, uint32_t elem, const char *ring, const char *event,
    struct vring_spot *s)
{
	uint64_t o;

	if (base == 0 || !in_range(a, base, RING_HEADER + elem * size + 2))
		return false;
	o = a - base;
	*s = (struct vring_spot){ .ring = ring, .index = -1 };
	if (o < RING_HEADER) {
		s->field = o < 2 ? "flags" : "idx";
		s->within = (uint32_t)(o % 2);
	} else if (o - RING_HEADER >= elem * size) {
		s->field = event;
		s->within = (uint32_t)(o - RING_HEADER - elem * size);
	} else {
		s->field = "ring";
		s->index = (int64_t)((o - RING_HEADER) / elem);
		s->within = (uint32_t)((o - RING_HEADER) % elem);
	}
	return true;
}

bool vring_locate(const struct vring_layout *l, uint64_t a, struct vring_spot *s)
{
	if (l->size == 0)
		return false;
	if (l->desc != 0 && in_range(a, l->desc, DESC_BYTES * l->size)) {
		*s = (struct vring_spot){ .ring = "desc", .index = (int64_t)((a - l->desc) / DESC_BYTES),
			.within = (uint32_t)((a - l->desc) % DESC_BYTES) };
		return true;
	}
	return ring_spot(a, l->avail, l->size, 2, "avail", "used_event", s) ||
	    ring_spot(a, l->used, l->size, 8, "used", "avail_event", s);
}

void vring_spot_name(const struct vring_spot *s, bool detail, char *out, size_t n)
{
	const char *member = NULL;

	if (detail && s->field == NULL)
		member = desc_member[s->within % DESC_BYTES];
	else if (detail && s->index >= 0 && strcmp(s->ring, "used") == 0)
		member = used_member[s->within % 8];
	if (s->field == NULL)
		snprintf(out, n, "%s[%" PRId64 "]%s%s", s->ring, s->index, member ? "." : "", member ? member : "");
	else if (s->index >= 0)
		snprintf(out, n, "%s.%s[%" PRId64 "]%s%s", s->ring, s->field, s->index, member ? "." : "",
		    member ? member : "");
	else
		snprintf(out, n, "%s.%s", s->ring, s->field);
}
