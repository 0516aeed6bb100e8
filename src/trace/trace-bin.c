/* trace-bin.c -- the .vrb binary trace format: zstd chunks with CRC32C and a trailing seek index */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "vr/cause.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "vr/xmalloc.h"
#include "trace-int.h"

/*
 * Layout (virtio-replay-trace(5) is the specification):
 *   file header   magic[8] version:le16 flags:le16 hlen:le32 hcrc:le32 facts[hlen]
 *   chunk*        "VRCK" csize:le32 rsize:le32 count:le32 first:le64 ccrc:le32 hdrcrc:le32 zstd[csize]
 *   index         "VRIX" nchunks:le32 entry[nchunks]   (entry: off:le64 first:le64 count:le32 csize:le32 rsize:le32 0:le32)
 *   trailer       index_off:le64 events:le64 nchunks:le32 ixcrc:le32 crc:le32 "VRBE"
 */
#define FILE_HDR_LEN	20
#define MAX_FACTS	(64u << 10)
#define CHUNK_HDR_LEN	32
#define CHUNK_MAGIC	"VRCK"
#define INDEX_MAGIC	"VRIX"
#define INDEX_HDR_LEN	8
#define ENTRY_LEN	32
#define TRAILER_LEN	32
#define TRAILER_MAGIC	"VRBE"
#define MAX_RAW		(TRACE_CHUNK_DEFAULT + TRACE_MAX_PAYLOAD + 64)
#define MAX_COMP	ZSTD_COMPRESSBOUND(MAX_RAW)
#define REC_MIN		2

struct chunk_hdr {
	uint32_t csize;
	uint32_t rsize;
	uint32_t count;
	uint64_t first;
	uint32_t ccrc;
};

struct index_entry {
	uint64_t off;
	uint64_t first;
	uint32_t count;
	uint32_t csize;
	uint32_t rsize;
};

struct bin_reader {
	int fd;
	uint64_t file_size;
	uint64_t data_start;
	struct index_entry *idx;
	uint32_t nidx;
	int indexed;
	uint64_t index_off;
	uint64_t total;
	char *footer_problem;	/* why the footer was not usable, if it was present */
	uint8_t *cbuf;
	size_t ccap;
	uint8_t *rbuf;
	size_t rcap;
	size_t rlen, rpos;
	uint32_t left;		/* events left in the current chunk */
	uint64_t chunk_off;	/* current chunk's header */
	uint64_t next_off;	/* where the next chunk header is expected */
	int done;
	ZSTD_DCtx *dctx;
};

static int bin_fail(struct trace_reader *r, char **cause, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bin_fail(struct trace_reader *r, char **cause, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	r->ev_off = off;
	cause_set(cause, "%s: event %llu (offset 0x%llx): %s", r->path,
	    (unsigned long long)r->next_no, (unsigned long long)off, msg ? msg : "?");
	free(msg);
	return -1;
}

static int read_at(int fd, void *dst, size_t n, uint64_t off)
{
	uint8_t *p = dst;

	while (n > 0) {
		ssize_t got = pread(fd, p, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

static void chunk_hdr_decode(const uint8_t *p, struct chunk_hdr *ch)
{
	ch->csize = le32_load(p + 4);
	ch->rsize = le32_load(p + 8);
	ch->count = le32_load(p + 12);
	ch->first = le64_load(p + 16);
	ch->ccrc = le32_load(p + 24);
}

/*
 * Read and check the chunk header at off. 1: a chunk; 0: the index (end of
 * chunks); -1: damage (cause set).
 */
static int chunk_header(struct trace_reader *r, uint64_t off, struct chunk_hdr *ch, char **cause)
{
	struct bin_reader *br = r->priv;
	uint8_t h[CHUNK_HDR_LEN];
	uint64_t avail = br->file_size - off;

	if (off == br->file_size)
		return bin_fail(r, cause, off, "trace is truncated: no index or footer after the last chunk%s",
		    " (was the writer interrupted?)");
	if (avail < 4 || read_at(br->fd, h, avail < CHUNK_HDR_LEN ? (size_t)avail : CHUNK_HDR_LEN, off) != 0)
		return bin_fail(r, cause, off, "trace is truncated inside a chunk header");
	if (memcmp(h, INDEX_MAGIC, 4) == 0)
		return 0;
	if (memcmp(h, CHUNK_MAGIC, 4) != 0)
		return bin_fail(r, cause, off, "bad chunk magic (corrupt or not a chunk)");
	if (avail < CHUNK_HDR_LEN)
		return bin_fail(r, cause, off, "trace is truncated inside a chunk header");
	if (crc32c(0, h, 28) != le32_load(h + 28))
		return bin_fail(r, cause, off, "chunk header CRC mismatch");
	chunk_hdr_decode(h, ch);
	if (ch->rsize == 0 || ch->rsize > MAX_RAW)
		return bin_fail(r, cause, off, "bad chunk raw size %u (at most %u)", ch->rsize, (unsigned)MAX_RAW);
	if (ch->csize == 0 || ch->csize > MAX_COMP)
		return bin_fail(r, cause, off, "bad chunk compressed size %u", ch->csize);
	if (ch->count == 0 || ch->count > ch->rsize / REC_MIN)
		return bin_fail(r, cause, off, "bad chunk event count %u for %u bytes", ch->count, ch->rsize);
	if (ch->csize > avail - CHUNK_HDR_LEN)
		return bin_fail(r, cause, off, "trace is truncated: chunk needs 0x%x bytes, file has 0x%llx",
		    ch->csize, (unsigned long long)(avail - CHUNK_HDR_LEN));
	if (ch->first != r->next_no)
		return bin_fail(r, cause, off, "chunk starts at event %llu, expected %llu",
		    (unsigned long long)ch->first, (unsigned long long)r->next_no);
	return 1;
}

/*
 * The index entry for the chunk at off must say what its header says; a
 * reader going chunk by chunk (info, replay) would not notice otherwise, but
 * seeking (dump --from, replay --from) would land on the wrong events.
 */
static bool index_disagrees(const struct bin_reader *br, uint64_t off, const struct chunk_hdr *ch)
{
	uint32_t lo = 0, hi = br->nidx;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (br->idx[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == br->nidx || br->idx[lo].off != off || br->idx[lo].first != ch->first ||
	    br->idx[lo].count != ch->count || br->idx[lo].csize != ch->csize || br->idx[lo].rsize != ch->rsize;
}

/* Load the next chunk. 1: loaded; 0: clean end; -1: damage. */
static int load_chunk(struct trace_reader *r, char **cause)
{
	struct bin_reader *br = r->priv;
	struct chunk_hdr ch;
	uint64_t off = br->next_off;
	size_t got;
	int rc;

	if (br->done)
		return 0;
	rc = chunk_header(r, off, &ch, cause);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		if (br->indexed && off == br->index_off) {
			if (r->next_no != br->total)
				return bin_fail(r, cause, off, "index declares %llu events, chunks hold %llu",
				    (unsigned long long)br->total, (unsigned long long)r->next_no);
			br->done = 1;
			return 0;
		}
		if (br->footer_problem != NULL)
			return bin_fail(r, cause, off, "%s", br->footer_problem);
		return bin_fail(r, cause, off, "trace is truncated: index without a valid footer");
	}
	if (br->indexed && index_disagrees(br, off, &ch))
		return bin_fail(r, cause, off, "the seek index disagrees with this chunk (events %llu..%llu, %u bytes): "
		    "a reader seeking through it would miss or repeat events", (unsigned long long)ch.first,
		    (unsigned long long)(ch.first + ch.count - 1), ch.csize);
	if (ch.csize > br->ccap) {
		free(br->cbuf);
		br->ccap = ch.csize;
		br->cbuf = xmalloc(br->ccap);
	}
	if (ch.rsize > br->rcap) {
		free(br->rbuf);
		br->rcap = ch.rsize;
		br->rbuf = xmalloc(br->rcap);
	}
	if (read_at(br->fd, br->cbuf, ch.csize, off + CHUNK_HDR_LEN) != 0)
		return bin_fail(r, cause, off, "read error: %s", strerror(errno));
	if (crc32c(0, br->cbuf, ch.csize) != ch.ccrc)
		return bin_fail(r, cause, off, "chunk CRC mismatch (corrupt data)");
	if (ZSTD_getFrameContentSize(br->cbuf, ch.csize) != ch.rsize)
		return bin_fail(r, cause, off, "zstd frame size disagrees with the chunk header");
	if (ZSTD_findFrameCompressedSize(br->cbuf, ch.csize) != ch.csize)
		return bin_fail(r, cause, off, "chunk is not exactly one zstd frame");
	got = ZSTD_decompressDCtx(br->dctx, br->rbuf, ch.rsize, br->cbuf, ch.csize);
	if (ZSTD_isError(got))
		return bin_fail(r, cause, off, "zstd: %s", ZSTD_getErrorName(got));
	if (got != ch.rsize)
		return bin_fail(r, cause, off, "chunk decompresses to %zu bytes, header says %u", got, ch.rsize);
	br->chunk_off = off;
	br->next_off = off + CHUNK_HDR_LEN + ch.csize;
	br->rlen = ch.rsize;
	br->rpos = 0;
	br->left = ch.count;
	r->info.chunks++;
	r->info.compressed += ch.csize;
	r->info.raw += ch.rsize;
	return 1;
}

/* Decode one record at rpos. */
static int record(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	struct bin_reader *br = r->priv;
	const uint8_t *p = br->rbuf + br->rpos, *end = br->rbuf + br->rlen;
	uint8_t kind, flags, f;

	if (end - p < 2)
		goto short_rec;
	kind = p[0];
	flags = p[1];
	p += 2;
	if (kind == 0 || kind >= TRACE_KIND_COUNT)
		return bin_fail(r, cause, br->chunk_off, "unknown event kind 0x%02x at chunk byte 0x%zx",
		    kind, br->rpos);
	f = trace_kind_fields[kind];
	if (flags & ~(f & TF_OPTVALUE ? 1u : 0u))
		return bin_fail(r, cause, br->chunk_off, "bad record flags 0x%02x at chunk byte 0x%zx",
		    flags, br->rpos);
	ev->kind = kind;
	ev->has_value = (f & TF_VALUE) ? 1 : flags & 1;
	ev->space = 0;
	ev->size = 0;
	ev->addr = 0;
	ev->value = 0;
	ev->len = 0;
	ev->data = NULL;
	if (f & TF_SPACE) {
		if (end - p < 1)
			goto short_rec;
		ev->space = *p++;
	}
	if (f & TF_SIZE) {
		if (end - p < 1)
			goto short_rec;
		ev->size = *p++;
	}
	if (f & TF_ADDR) {
		if (end - p < 8)
			goto short_rec;
		ev->addr = le64_load(p);
		p += 8;
	}
	if (ev->has_value) {
		if (end - p < 8)
			goto short_rec;
		ev->value = le64_load(p);
		p += 8;
	}
	if (f & TF_DATA) {
		uint32_t len;
		if (end - p < 4)
			goto short_rec;
		len = le32_load(p);
		p += 4;
		if (len > TRACE_MAX_PAYLOAD)
			return bin_fail(r, cause, br->chunk_off, "payload of %u bytes (at most 16 MiB)", len);
		if ((size_t)(end - p) < len)
			goto short_rec;
		ev->len = len;
		ev->data = len ? p : NULL;
		p += len;
	}
	br->rpos = (size_t)(p - br->rbuf);
	return 0;
short_rec:
	return bin_fail(r, cause, br->chunk_off, "record at chunk byte 0x%zx runs past the end of its chunk",
	    br->rpos);
}

static int bin_next(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	struct bin_reader *br = r->priv;
	int rc;

	while (br->left == 0) {
		if (br->rpos != br->rlen)
			return bin_fail(r, cause, br->chunk_off, "0x%zx stray bytes after the chunk's last event",
			    br->rlen - br->rpos);
		if ((rc = load_chunk(r, cause)) <= 0) {
			if (rc == 0)
				r->ev_off = br->next_off;
			return rc;
		}
	}
	if (record(r, ev, cause) != 0)
		return -1;
	br->left--;
	r->ev_off = br->chunk_off;
	return 1;
}

static int bin_read(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	return bin_next(r, ev, cause);
}

static int bin_seek(struct trace_reader *r, uint64_t n, char **cause)
{
	struct bin_reader *br = r->priv;
	struct trace_event ev;

	if (br->indexed) {
		uint32_t lo = 0, hi = br->nidx;
		if (n > br->total)
			return cause_set(cause, "%s: event %llu is beyond the end (the trace has %llu events)",
			    r->path, (unsigned long long)n, (unsigned long long)br->total);
		br->left = 0;
		br->rpos = br->rlen = 0;
		br->done = 0;
		if (n == br->total) {
			br->next_off = br->index_off;
			r->next_no = n;
			return 0;
		}
		while (hi - lo > 1) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (br->idx[mid].first <= n)
				lo = mid;
			else
				hi = mid;
		}
		br->next_off = br->idx[lo].off;
		r->next_no = br->idx[lo].first;
	} else {
		/* No index: walk the chunk headers from the start without decompressing. */
		struct chunk_hdr ch;
		uint64_t off = br->data_start;
		int rc;
		r->next_no = 0;
		br->left = 0;
		br->rpos = br->rlen = 0;
		br->done = 0;
		for (;;) {
			rc = chunk_header(r, off, &ch, cause);
			if (rc < 0)
				return -1;
			if (rc == 0)
				return cause_set(cause, "%s: event %llu is beyond the end (the trace has %llu events)",
				    r->path, (unsigned long long)n, (unsigned long long)r->next_no);
			if (n < ch.first + ch.count)
				break;
			r->next_no = ch.first + ch.count;
			off += CHUNK_HDR_LEN + (uint64_t)ch.csize;
		}
		br->next_off = off;
	}
	while (r->next_no < n) {
		int rc = bin_next(r, &ev, cause);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cause_set(cause, "%s: event %llu is beyond the end", r->path, (unsigned long long)n);
		r->next_no++;
	}
	return 0;
}

static void bin_close(struct trace_reader *r)
{
	struct bin_reader *br = r->priv;

	if (br == NULL)
		return;
	if (br->fd != STDIN_FILENO)
		close(br->fd);
	free(br->idx);
	free(br->footer_problem);
	free(br->cbuf);
	free(br->rbuf);
	ZSTD_freeDCtx(br->dctx);
	free(br);
}

static const struct trace_reader_ops bin_reader_ops = {
	.read = bin_read,
	.seek = bin_seek,
	.close = bin_close,
};

/*
 * Check the trailer and the index. 0 with br->indexed set when usable;
 * otherwise footer_problem says why (NULL if no footer is present at all).
 */
static void load_index(struct bin_reader *br)
{
	uint8_t t[TRAILER_LEN], ih[INDEX_HDR_LEN];
	uint64_t ixoff, total, ixlen, expect_off, expect_first;
	uint32_t n;
	uint8_t *ix;

	if (br->file_size < br->data_start + INDEX_HDR_LEN + TRAILER_LEN ||
	    read_at(br->fd, t, TRAILER_LEN, br->file_size - TRAILER_LEN) != 0 ||
	    memcmp(t + 28, TRAILER_MAGIC, 4) != 0)
		return;
	if (crc32c(0, t, 24) != le32_load(t + 24)) {
		br->footer_problem = xstrdup("footer CRC mismatch");
		return;
	}
	ixoff = le64_load(t);
	total = le64_load(t + 8);
	n = le32_load(t + 16);
	ixlen = INDEX_HDR_LEN + (uint64_t)n * ENTRY_LEN;
	if (ixoff < br->data_start || ixoff > br->file_size - TRAILER_LEN ||
	    br->file_size - TRAILER_LEN - ixoff != ixlen) {
		br->footer_problem = xstrdup("footer points at an index that does not fit the file");
		return;
	}
	if (read_at(br->fd, ih, INDEX_HDR_LEN, ixoff) != 0 || memcmp(ih, INDEX_MAGIC, 4) != 0 ||
	    le32_load(ih + 4) != n) {
		br->footer_problem = xstrdup("bad index header");
		return;
	}
	/* ixlen <= file size: the allocation is bounded by the file. */
	ix = xmalloc((size_t)ixlen);
	if (read_at(br->fd, ix, (size_t)ixlen, ixoff) != 0 || crc32c(0, ix, (size_t)ixlen) != le32_load(t + 20)) {
		free(ix);
		br->footer_problem = xstrdup("index CRC mismatch");
		return;
	}
	br->idx = xcalloc(n ? n : 1, sizeof *br->idx);
	expect_off = br->data_start;
	expect_first = 0;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = ix + INDEX_HDR_LEN + (size_t)i * ENTRY_LEN;
		struct index_entry *x = &br->idx[i];
		x->off = le64_load(e);
		x->first = le64_load(e + 8);
		x->count = le32_load(e + 16);
		x->csize = le32_load(e + 20);
		x->rsize = le32_load(e + 24);
		if (x->off != expect_off || x->first != expect_first || x->count == 0 ||
		    x->csize == 0 || x->csize > MAX_COMP || x->rsize == 0 || x->rsize > MAX_RAW ||
		    le32_load(e + 28) != 0) {
			free(ix);
			free(br->idx);
			br->idx = NULL;
			xasprintf(&br->footer_problem, "index entry %u is inconsistent", i);
			return;
		}
		expect_off += CHUNK_HDR_LEN + (uint64_t)x->csize;
		expect_first += x->count;
	}
	free(ix);
	if (expect_off != ixoff || expect_first != total) {
		free(br->idx);
		br->idx = NULL;
		br->footer_problem = xstrdup("index does not cover the chunks");
		return;
	}
	br->nidx = n;
	br->index_off = ixoff;
	br->total = total;
	br->indexed = 1;
}

int trace_bin_open(struct trace_reader *r, int fd, char **cause)
{
	struct bin_reader *br;
	struct stat st;
	uint8_t fh[FILE_HDR_LEN], *facts;
	uint32_t hlen;
	const char *why = NULL;
	char *hwhy = NULL;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return cause_set(cause, "%s: binary traces must be regular files (they are read by offset)", r->path);
	}
	br = xcalloc(1, sizeof *br);
	br->fd = fd;
	br->file_size = (uint64_t)st.st_size;
	r->priv = br;
	r->ops = &bin_reader_ops;
	r->info.file_size = br->file_size;
	if (br->file_size < FILE_HDR_LEN || read_at(fd, fh, FILE_HDR_LEN, 0) != 0) {
		why = "file header is truncated";
		goto fail;
	}
	if (memcmp(fh, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN) != 0) {
		why = "bad magic: not a binary virtio-replay trace";
		goto fail;
	}
	r->hdr.version = le16_load(fh + 8);
	if (r->hdr.version != TRACE_VERSION) {
		cause_set(cause, "%s: header (offset 0x8): unsupported trace version %u (this program reads %u)",
		    r->path, r->hdr.version, TRACE_VERSION);
		goto fail_quiet;
	}
	if (le16_load(fh + 10) != 0) {
		why = "unknown header flags";
		goto fail;
	}
	hlen = le32_load(fh + 12);
	if (hlen > MAX_FACTS || hlen > br->file_size - FILE_HDR_LEN) {
		why = "header length out of range (or file truncated)";
		goto fail;
	}
	facts = xmalloc(hlen ? hlen : 1);
	if (read_at(fd, facts, hlen, FILE_HDR_LEN) != 0 || crc32c(0, facts, hlen) != le32_load(fh + 16)) {
		free(facts);
		why = "header CRC mismatch";
		goto fail;
	}
	if (trace_header_decode(&r->hdr, facts, hlen, &why) != 0) {
		free(facts);
		goto fail;
	}
	free(facts);
	if (trace_header_check(&r->hdr, &hwhy) != 0) {
		cause_set(cause, "%s: header: %s", r->path, hwhy);
		free(hwhy);
		goto fail_quiet;
	}
	br->data_start = FILE_HDR_LEN + (uint64_t)hlen;
	br->next_off = br->data_start;
	r->ev_off = br->data_start;
	br->dctx = ZSTD_createDCtx();
	if (br->dctx == NULL) {
		why = "cannot create a zstd context";
		goto fail;
	}
	load_index(br);
	r->info.indexed = br->indexed;
	r->info.index_events = br->total;
	r->info.index_chunks = br->nidx;
	return 0;
fail:
	cause_set(cause, "%s: header (offset 0x0): %s", r->path, why);
fail_quiet:
	bin_close(r);
	r->priv = NULL;
	r->ops = NULL;
	return -1;
}

/* ---- writer ---- */

struct bin_writer {
	FILE *f;
	int level;
	uint64_t off;		/* bytes written */
	struct buf raw;
	struct buf comp;
	struct buf index;	/* entries, as they will be written */
	uint32_t nchunks;
	uint64_t first;		/* first event of the open chunk */
	uint32_t count;
	uint32_t target;	/* close a chunk once it holds this many raw bytes */
	ZSTD_CCtx *cctx;
};

static int put(struct trace_writer *w, struct bin_writer *bw, const void *p, size_t n, char **cause)
{
	if (n > 0 && fwrite(p, 1, n, bw->f) != n)
		return cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	bw->off += n;
	return 0;
}

static int flush_chunk(struct trace_writer *w, struct bin_writer *bw, char **cause)
{
	uint8_t h[CHUNK_HDR_LEN], e[ENTRY_LEN];
	size_t bound, csize;

	if (bw->count == 0)
		return 0;
	bound = ZSTD_compressBound(bw->raw.len);
	buf_reset(&bw->comp);
	buf_reserve(&bw->comp, bound);
	csize = ZSTD_compressCCtx(bw->cctx, bw->comp.data, bound, bw->raw.data, bw->raw.len, bw->level);
	if (ZSTD_isError(csize))
		return cause_set(cause, "%s: zstd: %s", w->path, ZSTD_getErrorName(csize));
	memcpy(h, CHUNK_MAGIC, 4);
	le32_store(h + 4, (uint32_t)csize);
	le32_store(h + 8, (uint32_t)bw->raw.len);
	le32_store(h + 12, bw->count);
	le64_store(h + 16, bw->first);
	le32_store(h + 24, crc32c(0, bw->comp.data, csize));
	le32_store(h + 28, crc32c(0, h, 28));
	le64_store(e, bw->off);
	le64_store(e + 8, bw->first);
	le32_store(e + 16, bw->count);
	le32_store(e + 20, (uint32_t)csize);
	le32_store(e + 24, (uint32_t)bw->raw.len);
	le32_store(e + 28, 0);
	if (put(w, bw, h, sizeof h, cause) != 0 || put(w, bw, bw->comp.data, csize, cause) != 0)
		return -1;
	/* A complete chunk reaches the file at once: a killed writer loses only the open one. */
	if (fflush(bw->f) != 0)
		return cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_add(&bw->index, e, sizeof e);
	bw->nchunks++;
	bw->first += bw->count;
	bw->count = 0;
	buf_reset(&bw->raw);
	return 0;
}

static int bin_write(struct trace_writer *w, const struct trace_event *ev, char **cause)
{
	struct bin_writer *bw = w->priv;
	uint8_t f = trace_kind_fields[ev->kind];
	uint8_t rec[2 + 1 + 1 + 8 + 8 + 4], *p = rec;

	*p++ = ev->kind;
	*p++ = (f & TF_OPTVALUE) && ev->has_value ? 1 : 0;
	if (f & TF_SPACE)
		*p++ = ev->space;
	if (f & TF_SIZE)
		*p++ = ev->size;
	if (f & TF_ADDR) {
		le64_store(p, ev->addr);
		p += 8;
	}
	if (ev->has_value) {
		le64_store(p, ev->value);
		p += 8;
	}
	if (f & TF_DATA) {
		le32_store(p, ev->len);
		p += 4;
	}
	buf_add(&bw->raw, rec, (size_t)(p - rec));
	if (f & TF_DATA)
		buf_add(&bw->raw, ev->data, ev->len);
	bw->count++;
	if (bw->raw.len >= bw->target)
		return flush_chunk(w, bw, cause);
	return 0;
}

static int bin_wclose(struct trace_writer *w, char **cause)
{
	struct bin_writer *bw = w->priv;
	uint8_t ih[INDEX_HDR_LEN], t[TRAILER_LEN];
	uint64_t ixoff;
	uint32_t ixcrc;
	int rc = flush_chunk(w, bw, cause);

	if (rc == 0) {
		ixoff = bw->off;
		memcpy(ih, INDEX_MAGIC, 4);
		le32_store(ih + 4, bw->nchunks);
		ixcrc = crc32c(crc32c(0, ih, sizeof ih), bw->index.data, bw->index.len);
		le64_store(t, ixoff);
		le64_store(t + 8, bw->first);
		le32_store(t + 16, bw->nchunks);
		le32_store(t + 20, ixcrc);
		le32_store(t + 24, crc32c(0, t, 24));
		memcpy(t + 28, TRAILER_MAGIC, 4);
		if (put(w, bw, ih, sizeof ih, cause) != 0 || put(w, bw, bw->index.data, bw->index.len, cause) != 0 ||
		    put(w, bw, t, sizeof t, cause) != 0)
			rc = -1;
	}
	if (fflush(bw->f) != 0 || ferror(bw->f))
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	if (bw->f != stdout && fclose(bw->f) != 0)
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_release(&bw->raw);
	buf_release(&bw->comp);
	buf_release(&bw->index);
	ZSTD_freeCCtx(bw->cctx);
	free(bw);
	return rc;
}

static const struct trace_writer_ops bin_writer_ops = {
	.write = bin_write,
	.close = bin_wclose,
};

void trace_bin_writer_chunk_size(struct trace_writer *w, uint32_t bytes)
{
	struct bin_writer *bw = w->priv;

	if (bytes < TRACE_CHUNK_MIN)
		bytes = TRACE_CHUNK_MIN;
	if (bytes > TRACE_CHUNK_DEFAULT)
		bytes = TRACE_CHUNK_DEFAULT;
	bw->target = bytes;
}

int trace_bin_writer_open(struct trace_writer *w, FILE *f, int level, char **cause)
{
	struct bin_writer *bw = xcalloc(1, sizeof *bw);
	struct buf facts;
	uint8_t fh[FILE_HDR_LEN];

	bw->f = f;
	bw->level = level;
	buf_init(&bw->raw);
	buf_init(&bw->comp);
	buf_init(&bw->index);
	bw->target = TRACE_CHUNK_DEFAULT;
	buf_reserve(&bw->raw, TRACE_CHUNK_DEFAULT + 4096);
	bw->cctx = ZSTD_createCCtx();
	w->priv = bw;
	w->ops = &bin_writer_ops;
	buf_init(&facts);
	trace_header_encode(&facts, &w->hdr);
	memcpy(fh, TRACE_BIN_MAGIC, TRACE_BIN_MAGIC_LEN);
	le16_store(fh + 8, TRACE_VERSION);
	le16_store(fh + 10, 0);
	le32_store(fh + 12, (uint32_t)facts.len);
	le32_store(fh + 16, crc32c(0, facts.data, facts.len));
	if (bw->cctx == NULL || put(w, bw, fh, sizeof fh, cause) != 0 ||
	    put(w, bw, facts.data, facts.len, cause) != 0) {
		buf_release(&facts);
		cause_set(cause, "%s: cannot start the binary trace", w->path);
		buf_release(&bw->raw);
		ZSTD_freeCCtx(bw->cctx);
		free(bw);
		return -1;
	}
	buf_release(&facts);
	return 0;
}
