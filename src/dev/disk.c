/* disk.c -- disk backend shared by blk and scsi: read-only checked image under a sparse copy-on-write overlay */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/disk.h"
#include "vr/sha256.h"
#include "vr/xmalloc.h"

#define BOUNCE_SIZE	65536u

struct ovl {
	uint64_t blk;
	uint8_t *data;		/* NULL: the block reads as zeros */
};

struct disk {
	uint64_t size;
	int fd;			/* -1: no image, the base reads as zeros */
	uint64_t img_size;
	struct ovl *ovl;	/* sorted by blk, no duplicates */
	size_t novl, capovl;
	uint8_t *bounce;
};

static int image_open(struct disk *d, const struct vdev_backend *b, char **cause)
{
	struct stat st;
	uint8_t digest[32];

	/* Non-blocking: a FIFO named as image must be refused, not waited on. */
	if (b->has_fd)
		d->fd = fcntl(b->fd, F_DUPFD_CLOEXEC, 0);
	else
		d->fd = open(b->image, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (d->fd < 0)
		return cause_set(cause, "disk image %s: %s", b->image, strerror(errno));
	if (fstat(d->fd, &st) != 0 || !S_ISREG(st.st_mode))
		return cause_set(cause, "disk image %s: not a regular file", b->image);
	d->img_size = (uint64_t)st.st_size;
	if (b->sha256 == NULL)
		return 0;
	/* Hash through the descriptor we will read from, so the checked bytes are the used bytes. */
	if (lseek(d->fd, 0, SEEK_SET) != 0 || sha256_fd(d->fd, digest) != 0)
		return cause_set(cause, "disk image %s: %s", b->image, strerror(errno));
	/* Never the file's own hash: the name may point anywhere, its hash must not leak. */
	if (memcmp(digest, b->sha256, 32) != 0) {
		char want[65];

		sha256_hex(b->sha256, want);
		return cause_set(cause, "disk image %s: contents do not match the trace's sha256 %s", b->image, want);
	}
	return 0;
}

struct disk *disk_new(const struct vdev_backend *b, uint64_t size, char **cause)
{
	struct disk *d = xcalloc(1, sizeof *d);

	d->fd = -1;
	d->bounce = xmalloc(BOUNCE_SIZE);
	if (b != NULL) {
		if (b->type != NULL && strcmp(b->type, "disk") != 0) {
			cause_set(cause, "backend type %s is not a disk", b->type);
			goto fail;
		}
		size = b->size;
		if (b->image != NULL && image_open(d, b, cause) != 0)
			goto fail;
	}
	if (size > DISK_MAX_SIZE) {
		cause_set(cause, "disk size %llu is larger than the limit %llu",
		    (unsigned long long)size, (unsigned long long)DISK_MAX_SIZE);
		goto fail;
	}
	d->size = size;
	return d;
fail:
	disk_free(d);
	return NULL;
}

static void ovl_clear(struct disk *d)
{
	for (size_t i = 0; i < d->novl; i++)
		free(d->ovl[i].data);
	d->novl = 0;
}

void disk_free(struct disk *d)
{
	if (d == NULL)
		return;
	if (d->fd >= 0)
		close(d->fd);
	ovl_clear(d);
	free(d->ovl);
	free(d->bounce);
	free(d);
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

bool disk_has_image(const struct disk *d)
{
	return d->fd >= 0;
}

size_t disk_overlay_blocks(const struct disk *d)
{
	return d->novl;
}

/* Index of the first entry with blk >= key. */
static size_t ovl_lower(const struct disk *d, uint64_t key)
{
	size_t lo = 0, hi = d->novl;

	/* Sequential access appends: check the end first. */
	if (hi > 0 && d->ovl[hi - 1].blk < key)
		return hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->ovl[mid].blk < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ovl *ovl_find(const struct disk *d, uint64_t blk)
{
	size_t i = ovl_lower(d, blk);

	return i < d->novl && d->ovl[i].blk == blk ? &d->ovl[i] : NULL;
}

static struct ovl *ovl_insert(struct disk *d, uint64_t blk)
{
	size_t i = ovl_lower(d, blk);

	if (i < d->novl && d->ovl[i].blk == blk)
		return &d->ovl[i];
	if (d->novl == d->capovl) {
		d->capovl = d->capovl ? d->capovl * 2 : 64;
		d->ovl = xreallocarray(d->ovl, d->capovl, sizeof *d->ovl);
	}
	memmove(&d->ovl[i + 1], &d->ovl[i], (d->novl - i) * sizeof *d->ovl);
	d->novl++;
	d->ovl[i].blk = blk;
	d->ovl[i].data = NULL;
	return &d->ovl[i];
}

/* Base (image or zeros) bytes, no overlay. */
static int base_read(struct disk *d, uint64_t off, uint8_t *dst, size_t len)
{
	size_t have = 0;

	if (d->fd >= 0 && off < d->img_size) {
		have = len;
		if (d->img_size - off < have)
			have = (size_t)(d->img_size - off);
		for (size_t done = 0; done < have;) {
			ssize_t n = pread(d->fd, dst + done, have - done, (off_t)(off + done));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			done += (size_t)n;
		}
	}
	memset(dst + have, 0, len - have);
	return 0;
}

int disk_read(struct disk *d, uint64_t off, void *dst, size_t len)
{
	uint8_t *p = dst;

	while (len > 0) {
		uint64_t blk = off / DISK_BLOCK;
		size_t in = (size_t)(off % DISK_BLOCK);
		size_t n = DISK_BLOCK - in < len ? DISK_BLOCK - in : len;
		struct ovl *o = ovl_find(d, blk);

		if (o != NULL) {
			if (o->data != NULL)
				memcpy(p, o->data + in, n);
			else
				memset(p, 0, n);
		} else if (base_read(d, off, p, n) != 0)
			return -1;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int disk_write(struct disk *d, uint64_t off, const void *src, size_t len)
{
	const uint8_t *p = src;

	while (len > 0) {
		uint64_t blk = off / DISK_BLOCK;
		size_t in = (size_t)(off % DISK_BLOCK);
		size_t n = DISK_BLOCK - in < len ? DISK_BLOCK - in : len;
		struct ovl *o = ovl_find(d, blk);

		if (o == NULL || o->data == NULL) {
			uint8_t *data = xmalloc(DISK_BLOCK);

			if (o != NULL)
				memset(data, 0, DISK_BLOCK);
			else if (n < DISK_BLOCK && base_read(d, blk * DISK_BLOCK, data, DISK_BLOCK) != 0) {
				free(data);
				return -1;
			}
			o = ovl_insert(d, blk);
			o->data = data;
		}
		memcpy(o->data + in, p, n);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static void ovl_remove_range(struct disk *d, uint64_t first, uint64_t last)
{
	size_t i = ovl_lower(d, first), j = i;

	while (j < d->novl && d->ovl[j].blk <= last)
		free(d->ovl[j++].data);
	memmove(&d->ovl[i], &d->ovl[j], (d->novl - j) * sizeof *d->ovl);
	d->novl -= j - i;
}

int disk_zero(struct disk *d, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[DISK_BLOCK];
	uint64_t first, last;

	if (len == 0)
		return 0;
	/* Partial blocks at either end are ordinary writes. */
	while (len > 0 && off % DISK_BLOCK != 0) {
		size_t n = DISK_BLOCK - off % DISK_BLOCK;

		if (n > len)
			n = (size_t)len;
		if (disk_write(d, off, zeros, n) != 0)
			return -1;
		off += n;
		len -= n;
	}
	while (len % DISK_BLOCK != 0) {
		size_t n = (size_t)(len % DISK_BLOCK);

		if (disk_write(d, off + len - n, zeros, n) != 0)
			return -1;
		len -= n;
	}
	if (len == 0)
		return 0;
	first = off / DISK_BLOCK;
	last = first + len / DISK_BLOCK - 1;
	if (d->fd < 0 || first * DISK_BLOCK >= d->img_size) {
		/* The base already reads as zeros there: dropping the blocks is enough. */
		ovl_remove_range(d, first, last);
		return 0;
	}
	if (last - first + 1 > DISK_MAX_ZERO_BLOCKS)
		return -1;
	for (uint64_t b = first; b <= last; b++) {
		struct ovl *o = ovl_insert(d, b);

		free(o->data);
		o->data = NULL;
	}
	return 0;
}

int disk_to_chain(struct disk *d, struct virtq *q, struct virtq_chain *c, uint32_t in_off,
    uint64_t off, uint32_t len)
{
	while (len > 0) {
		uint32_t n = len < BOUNCE_SIZE ? len : BOUNCE_SIZE;

		if (disk_read(d, off, d->bounce, n) != 0)
			return -1;
		if (virtq_chain_write(q, c, in_off, d->bounce, n) != 0)
			return -2;
		in_off += n;
		off += n;
		len -= n;
	}
	return 0;
}

void disk_save(const struct disk *d, struct buf *out)
{
	buf_add_le64(out, d->size);
	buf_add_le64(out, d->novl);
	for (size_t i = 0; i < d->novl; i++) {
		buf_add_le64(out, d->ovl[i].blk);
		buf_add_u8(out, d->ovl[i].data != NULL);
		if (d->ovl[i].data != NULL)
			buf_add(out, d->ovl[i].data, DISK_BLOCK);
	}
}

int disk_load(struct disk *d, struct cursor *cur, char **cause)
{
	uint64_t size = cursor_le64(cur), n = cursor_le64(cur);
	uint64_t nblocks = (d->size + DISK_BLOCK - 1) / DISK_BLOCK;

	if (cur->err)
		return cause_set(cause, "disk state truncated");
	if (size != d->size)
		return cause_set(cause, "disk state is for a %llu-byte disk, this one has %llu",
		    (unsigned long long)size, (unsigned long long)d->size);
	if (n > nblocks || n > (cur->len - cur->off) / 9)
		return cause_set(cause, "disk state has %llu overlay blocks, more than the disk can hold",
		    (unsigned long long)n);
	ovl_clear(d);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t blk = cursor_le64(cur);
		uint8_t has = cursor_u8(cur);
		const uint8_t *data = has ? cursor_bytes(cur, DISK_BLOCK) : NULL;
		struct ovl *o;

		if (cur->err || has > 1 || blk >= nblocks || (d->novl > 0 && d->ovl[d->novl - 1].blk >= blk)) {
			ovl_clear(d);
			return cause_set(cause, "disk state: overlay entry %llu is bad", (unsigned long long)i);
		}
		o = ovl_insert(d, blk);
		if (data != NULL) {
			o->data = xmalloc(DISK_BLOCK);
			memcpy(o->data, data, DISK_BLOCK);
		}
	}
	return 0;
}
