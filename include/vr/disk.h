/* disk.h -- disk backend for blk and scsi: read-only image or zeros, under a copy-on-write overlay */
#ifndef VR_DISK_H
#define VR_DISK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vr/buf.h"
#include "vr/vdev.h"
#include "vr/virtq.h"

/*
 * Everything the guest (or a TRACE_INPUT_DISK event) writes lands in an
 * overlay of DISK_BLOCK-byte blocks kept in a table sorted by block number,
 * so iteration (save) is deterministic. The image file, when the trace names
 * one, is opened read-only, checked against its SHA-256 before use and never
 * written: a replay leaves it byte-for-byte unchanged.
 */

#define DISK_BLOCK		4096u
#define DISK_MAX_SIZE		(1ull << 50)	/* 1 PiB: keeps sector arithmetic far from overflow */
#define DISK_MAX_ZERO_BLOCKS	(1u << 20)	/* blocks one discard/write-zeroes may materialise */

struct disk;

/*
 * b may be NULL (a disk of `size` zero bytes). With b, its size wins; an image
 * shorter than the size reads as zeros past its end.
 */
struct disk *disk_new(const struct vdev_backend *b, uint64_t size, char **cause);
void disk_free(struct disk *d);
uint64_t disk_size(const struct disk *d);
bool disk_has_image(const struct disk *d);
size_t disk_overlay_blocks(const struct disk *d);

/* Byte ranges must lie inside the disk (callers check); -1 only on an image read error. */
int disk_read(struct disk *d, uint64_t off, void *dst, size_t len);
int disk_write(struct disk *d, uint64_t off, const void *src, size_t len);
/* Make [off, off+len) read as zeros. -1 if the range would need more than DISK_MAX_ZERO_BLOCKS new blocks. */
int disk_zero(struct disk *d, uint64_t off, uint64_t len);

/*
 * Copy len disk bytes at off into chain c's IN buffers at in_off, through a
 * bounded bounce buffer. Returns 0, -1 on image read error, -2 if the chain
 * write failed (chain too short or RAM outside).
 */
int disk_to_chain(struct disk *d, struct virtq *q, struct virtq_chain *c, uint32_t in_off,
    uint64_t off, uint32_t len);

/* Overlay contents, in block order. load checks block numbers and sizes. */
void disk_save(const struct disk *d, struct buf *out);
int disk_load(struct disk *d, struct cursor *cur, char **cause);

#endif
