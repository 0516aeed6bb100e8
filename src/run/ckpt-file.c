/* ckpt-file.c -- device checkpoints of a trace in a file of their own, so replay --from skips to the last one */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vr/cause.h"
#include "vr/ckpt-file.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "vr/sha256.h"
#include "vr/xmalloc.h"

#define CF_MAGIC	0x46435256u	/* "VRCF" */
#define CF_VERSION	1
#define CF_ENTRY_HDR	20		/* next, vtime, length */
#define CF_MAX_BLOB	(1u << 30)	/* a checkpoint is device state and guest RAM: far below this */

struct ckpt_file {
	FILE *fp;
	char *path;
	bool writing;
	int werr;			/* errno of the first failed write */
	/* reading: the checkpoints found whole when opened (CRCs checked on loading) */
	struct ckpt_entry {
		uint64_t next, vtime;
		long off;		/* of the blob */
		uint32_t len;
	} *e;
	size_t n;
};

/* The trace's size, modification time and inode: while they stay, its SHA-256 need not be computed again. */
static int trace_stamp(const char *trace, uint64_t stamp[3], char **cause)
{
	struct stat st;

	if (stat(trace, &st) < 0)
		return cause_set(cause, "%s: %s", trace, strerror(errno));
	stamp[0] = (uint64_t)st.st_size;
	stamp[1] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
	stamp[2] = (uint64_t)st.st_ino;
	return 0;
}

/* Everything but the stamp, which follows the SHA-256 (offset CF_STAMP_AT). */
#define CF_STAMP_AT	(4 + 2 + 2 + 32)

static void header(struct buf *b, const uint8_t sha256[32], const uint64_t stamp[3], int layout,
    const char *version)
{
	size_t vl = version ? strlen(version) : 0;

	if (vl > 0xffff)
		vl = 0xffff;
	buf_add_le32(b, CF_MAGIC);
	buf_add_le16(b, CF_VERSION);
	buf_add_le16(b, (uint16_t)layout);
	buf_add(b, sha256, 32);
	for (int i = 0; i < 3; i++)
		buf_add_le64(b, stamp[i]);
	buf_add_le16(b, (uint16_t)vl);
	buf_add(b, version ? version : "", vl);
}

struct ckpt_file *ckpt_file_create(const char *path, const char *trace, int layout, const char *version,
    char **cause)
{
	struct ckpt_file *f;
	struct buf h;
	uint8_t sha[32];
	uint64_t stamp[3];
	FILE *fp;

	if (trace_stamp(trace, stamp, cause) < 0 || sha256_file(trace, sha, cause) < 0)
		return NULL;
	if ((fp = fopen(path, "wb")) == NULL) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->fp = fp;
	f->path = xstrdup(path);
	f->writing = true;
	buf_init(&h);
	header(&h, sha, stamp, layout, version);
	if (fwrite(h.data, 1, h.len, fp) != h.len)
		f->werr = errno ? errno : EIO;
	buf_release(&h);
	return f;
}

int ckpt_file_add(struct ckpt_file *f, uint64_t next, uint64_t vtime, const uint8_t *blob, size_t len, char **cause)
{
	uint8_t h[CF_ENTRY_HDR], c[4];
	uint32_t crc;

	if (len > CF_MAX_BLOB)
		return cause_set(cause, "%s: checkpoint of %zu bytes is too big", f->path, len);
	le64_store(h, next);
	le64_store(h + 8, vtime);
	le32_store(h + 16, (uint32_t)len);
	crc = crc32c(crc32c(0, h, sizeof(h)), blob, len);
	le32_store(c, crc);
	if (f->werr == 0 && (fwrite(h, 1, sizeof(h), f->fp) != sizeof(h) || fwrite(blob, 1, len, f->fp) != len ||
	    fwrite(c, 1, sizeof(c), f->fp) != sizeof(c) || fflush(f->fp) != 0))
		f->werr = errno ? errno : EIO;
	if (f->werr)
		return cause_set(cause, "%s: write error: %s", f->path, strerror(f->werr));
	return 0;
}

/* Read exactly n bytes; false at the end of the file or on a short read. */
static bool read_all(FILE *fp, void *p, size_t n)
{
	return fread(p, 1, n, fp) == n;
}

/*
 * Each entry the file holds whole, up to a torn end; headers only (the
 * blobs are skipped, each CRC is checked when its checkpoint is loaded).
 */
static void index_entries(struct ckpt_file *f)
{
	uint8_t h[CF_ENTRY_HDR];
	struct stat st;
	size_t cap = 0;

	if (fstat(fileno(f->fp), &st) < 0)
		return;
	while (read_all(f->fp, h, sizeof(h))) {
		uint32_t len = le32_load(h + 16);
		long off = ftell(f->fp);

		if (len > CF_MAX_BLOB || off < 0 || (uint64_t)off + len + 4 > (uint64_t)st.st_size ||
		    fseek(f->fp, (long)len + 4, SEEK_CUR) != 0)
			break;
		if (f->n == cap) {
			cap = cap ? cap * 2 : 16;
			f->e = xrealloc(f->e, cap * sizeof(*f->e));
		}
		f->e[f->n++] = (struct ckpt_entry){ .next = le64_load(h), .vtime = le64_load(h + 8), .off = off,
			.len = len };
	}
}

int ckpt_file_open(const char *path, const char *trace, int layout, const char *version, struct ckpt_file **out,
    char **cause)
{
	struct buf want, got;
	struct ckpt_file *f;
	uint8_t sha[32];
	uint64_t stamp[3];
	FILE *fp;
	bool same;

	*out = NULL;
	if (trace_stamp(trace, stamp, cause) < 0)
		return -1;
	if ((fp = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return cause_set(cause, "%s: %s", path, strerror(errno));
	}
	buf_init(&want);
	buf_init(&got);
	memset(sha, 0, sizeof(sha));
	header(&want, sha, stamp, layout, version);
	buf_reserve(&got, want.len);
	same = read_all(fp, got.data, want.len);
	/* the SHA-256 as the file says, checked by computing it only if the trace's stamp changed */
	if (same)
		memcpy(want.data + 8, got.data + 8, 32);
	if (same && memcmp(got.data, want.data, want.len) != 0) {
		memcpy(want.data + CF_STAMP_AT, got.data + CF_STAMP_AT, 24);
		same = memcmp(got.data, want.data, want.len) == 0 && sha256_file(trace, sha, NULL) == 0 &&
		    memcmp(sha, got.data + 8, 32) == 0;
	}
	buf_release(&want);
	buf_release(&got);
	if (!same) {
		fclose(fp);
		return 0;
	}
	f = xcalloc(1, sizeof(*f));
	f->fp = fp;
	f->path = xstrdup(path);
	index_entries(f);
	*out = f;
	return 1;
}

int ckpt_file_find(struct ckpt_file *f, uint64_t n, uint64_t *next, uint64_t *vtime, struct buf *blob)
{
	size_t i = f->n;

	while (i > 0 && f->e[i - 1].next > n)
		i--;
	for (; i > 0; i--) {
		const struct ckpt_entry *e = &f->e[i - 1];
		uint8_t h[CF_ENTRY_HDR], c[4];

		buf_reset(blob);
		buf_reserve(blob, e->len);
		if (fseek(f->fp, e->off - CF_ENTRY_HDR, SEEK_SET) != 0 || !read_all(f->fp, h, sizeof(h)) ||
		    !read_all(f->fp, blob->data, e->len) || !read_all(f->fp, c, sizeof(c)) ||
		    crc32c(crc32c(0, h, sizeof(h)), blob->data, e->len) != le32_load(c))
			continue;	/* damaged: an earlier one will do */
		blob->len = e->len;
		*next = e->next;
		*vtime = e->vtime;
		return 1;
	}
	return 0;
}

int ckpt_file_close(struct ckpt_file *f, char **cause)
{
	int rc = 0;

	if (f == NULL)
		return 0;
	if (f->writing && f->werr == 0 && fflush(f->fp) != 0)
		f->werr = errno ? errno : EIO;
	if (fclose(f->fp) != 0 && f->writing && f->werr == 0)
		f->werr = errno ? errno : EIO;
	if (f->writing && f->werr)
		rc = cause_set(cause, "%s: write error: %s", f->path, strerror(f->werr));
	free(f->e);
	free(f->path);
	free(f);
	return rc;
}
