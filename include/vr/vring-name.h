/* vring-name.h -- which field of a split virtqueue a guest address lies in, named as reports and the browser show it */
#ifndef VR_VRING_NAME_H
#define VR_VRING_NAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A split ring as the guest laid it out (VirtIO 1.0 section 2.4); an address of 0 is not laid out. */
struct vring_layout {
	uint64_t desc, avail, used;
	uint64_t size;		/* entries; 0: the queue is not laid out */
};

/* Where an address lies in a ring: "desc" entry 7, byte 8; "avail" "idx"; "used" "ring" entry 3, byte 4. */
struct vring_spot {
	const char *ring;	/* "desc", "avail" or "used" */
	const char *field;	/* NULL in the descriptor table; "flags", "idx", "ring", "used_event", "avail_event" */
	int64_t index;		/* the entry of the table or ring, -1 for a header field */
	uint32_t within;	/* byte offset inside the entry */
};

/* Locate a in l (the descriptor table first, then the avail and used rings). false: in none of them. */
bool vring_locate(const struct vring_layout *l, uint64_t a, struct vring_spot *s);
/*
 * Name a spot: "desc[7]", "avail.idx", "used.ring[3]"; with detail the
 * member of an entry too: "desc[7].len", "used.ring[3].id".
 */
void vring_spot_name(const struct vring_spot *s, bool detail, char *out, size_t n);

#endif
