/* test_trace_bin.c -- the .vrb binary format: round trips across chunks, seeking, truncation, corruption */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "vr/buf.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "vr/trace.h"

static char tmpdir[64];
static char path[128];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/vr-trace-bin.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(path, sizeof path, "%s/t.vrb", tmpdir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(trace_bin, .init = setup, .fini = teardown);

static void header(struct trace_header *h)
{
	trace_header_init(h);
	h->device = 2;
	h->features = 0x100000000ull;
	h->nqueues = 1;
	h->queue_max[0] = 128;
	h->nram = 1;
	h->ram[0].size = 1u << 20;
	h->nbackends = 1;
	strcpy(h->backend[0].type, "disk");
	h->backend[0].size = 4096;
	h->backend[0].has_image = true;
	strcpy(h->backend[0].image, "d.img");
	h->backend[0].sha256[0] = 0xaa;
	strcpy(h->title, "bin test");
}

static uint8_t payload[8192];

/* Event i of the deterministic test trace: a mix of every kind, payloads of many sizes. */
static void make_event(uint64_t i, struct trace_event *ev)
{
	memset(ev, 0, sizeof *ev);
	switch (i % 7) {
	case 0:
		ev->kind = TRACE_BAR_WRITE;
		ev->space = 4;
		ev->size = 2;
		ev->addr = 0x3000 + (i & 0xff);
		ev->value = i & 0xffff;
		ev->has_value = 1;
		break;
	case 1:
		ev->kind = TRACE_BAR_READ;
		ev->space = 4;
		ev->size = 1;
		ev->addr = 0x14;
		ev->has_value = i & 1;
		ev->value = ev->has_value ? (i & 0xff) : 0;
		break;
	case 2:
	case 3:
		ev->kind = i % 7 == 2 ? TRACE_MEM : TRACE_DMA;
		ev->addr = i * 16;
		ev->len = (uint32_t)(16 + (i * 37) % 4080);
		ev->data = payload + (i % 64);
		break;
	case 4:
		ev->kind = TRACE_IRQ;
		ev->space = TRACE_IRQ_MSIX;
		ev->value = i % 3;
		ev->has_value = 1;
		break;
	case 5:
		ev->kind = TRACE_TIME;
		ev->value = i * 10;
		ev->has_value = 1;
		break;
	default:
		ev->kind = TRACE_INPUT;
		ev->space = TRACE_INPUT_DISK;
		ev->addr = i * 512;
		ev->len = (uint32_t)(i % 3);
		ev->data = ev->len ? payload : NULL;
		break;
	}
}

static void write_trace(uint64_t n, int level)
{
	struct trace_header h;
	struct trace_writer *w;
	struct trace_event ev;
	char *cause = NULL;

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 131 + (i >> 7));
	header(&h);
	w = trace_writer_open(path, TRACE_FMT_BINARY, level, &h, &cause);
	cr_assert_not_null(w, "%s", cause);
	for (uint64_t i = 0; i < n; i++) {
		make_event(i, &ev);
		cr_assert_eq(trace_write(w, &ev, &cause), 0, "%s", cause);
	}
	cr_assert_eq(trace_writer_close(w, &cause), 0, "%s", cause);
}

static void expect_event(uint64_t i, const struct trace_event *got)
{
	struct trace_event want;

	make_event(i, &want);
	cr_assert_eq(got->kind, want.kind, "event %llu", (unsigned long long)i);
	cr_assert_eq(got->space, want.space);
	cr_assert_eq(got->size, want.size);
	cr_assert_eq(got->has_value, want.has_value, "event %llu", (unsigned long long)i);
	cr_assert_eq(got->addr, want.addr);
	cr_assert_eq(got->value, want.value);
	cr_assert_eq(got->len, want.len);
	if (want.len)
		cr_assert_eq(memcmp(got->data, want.data, want.len), 0);
}

/* Read everything; returns the events delivered and the final status. */
static uint64_t read_all_check(const char *p, int *status, char **cause, int check)
{
	struct trace_reader *r = trace_open(p, cause);
	struct trace_event ev;
	uint64_t n = 0;
	int rc;

	if (r == NULL) {
		*status = -2;
		return 0;
	}
	while ((rc = trace_read(r, &ev, cause)) > 0) {
		cr_assert_eq(trace_event_no(r), n);
		if (check)
			expect_event(n, &ev);
		n++;
	}
	*status = rc;
	trace_close(r);
	return n;
}

static uint64_t read_all(const char *p, int *status, char **cause)
{
	return read_all_check(p, status, cause, 1);
}

#define N 20000	/* about 20 MB raw: many chunks */

Test(trace_bin, round_trip_across_chunks)
{
	struct trace_reader *r;
	struct trace_file_info fi;
	char *cause = NULL;
	int status;

	write_trace(N, 1);
	cr_assert_eq(read_all(path, &status, &cause), N);
	cr_assert_eq(status, 0, "%s", cause);
	r = trace_open(path, &cause);
	cr_assert_not_null(r);
	cr_assert_eq(trace_format(r), TRACE_FMT_BINARY);
	cr_assert_str_eq(trace_header(r)->title, "bin test");
	cr_assert_str_eq(trace_header(r)->backend[0].image, "d.img");
	cr_assert_eq(trace_header(r)->backend[0].sha256[0], 0xaa);
	trace_get_file_info(r, &fi);
	cr_assert(fi.indexed);
	cr_assert_eq(fi.index_events, N);
	cr_assert_gt(fi.index_chunks, 5);
	trace_close(r);
}

Test(trace_bin, empty_trace)
{
	int status;
	char *cause = NULL;

	write_trace(0, 0);
	cr_assert_eq(read_all(path, &status, &cause), 0);
	cr_assert_eq(status, 0, "%s", cause);
}

Test(trace_bin, seek_through_the_index)
{
	static const uint64_t targets[] = { 0, 1, 9999, 19999, 5000, 12345, 20000, 3 };
	struct trace_reader *r;
	struct trace_event ev;
	char *cause = NULL;

	write_trace(N, 0);
	r = trace_open(path, &cause);
	cr_assert_not_null(r);
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		cr_assert_eq(trace_seek(r, targets[i], &cause), 0, "%s", cause);
		if (targets[i] == N) {
			cr_assert_eq(trace_read(r, &ev, &cause), 0);
			continue;
		}
		cr_assert_eq(trace_read(r, &ev, &cause), 1, "%s", cause);
		cr_assert_eq(trace_event_no(r), targets[i]);
		expect_event(targets[i], &ev);
		cr_assert_eq(trace_read(r, &ev, &cause), targets[i] + 1 < N ? 1 : 0);
	}
	cr_assert_eq(trace_seek(r, N + 1, &cause), -1);
	cr_assert_not_null(strstr(cause, "beyond the end (the trace has 20000 events)"), "%s", cause);
	free(cause);
	trace_close(r);
}

static long file_size(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0);
	return (long)st.st_size;
}

static void truncate_to(long n)
{
	cr_assert_eq(truncate(path, n), 0);
}

/* Offsets of the chunk headers, from the index. */
static int chunk_offsets(uint64_t *off, int max)
{
	FILE *f = fopen(path, "rb");
	uint8_t t[32], e[32];
	uint64_t ix;
	uint32_t n;

	cr_assert_not_null(f);
	fseek(f, -32, SEEK_END);
	cr_assert_eq(fread(t, 1, 32, f), 32);
	ix = le64_load(t);
	n = le32_load(t + 16);
	for (uint32_t i = 0; i < n && (int)i < max; i++) {
		fseek(f, (long)(ix + 8 + 32 * i), SEEK_SET);
		cr_assert_eq(fread(e, 1, 32, f), 32);
		off[i] = le64_load(e);
	}
	fclose(f);
	return (int)n;
}

Test(trace_bin, killed_writer_keeps_complete_chunks)
{
	uint64_t off[64];
	int n, status;
	char *cause = NULL;
	uint64_t got;

	write_trace(N, 0);
	n = chunk_offsets(off, 64);
	cr_assert_gt(n, 3);
	/* Cut in the middle of chunk 3: chunks 0..2 are delivered, then an error. */
	truncate_to((long)off[3] + 100);
	got = read_all(path, &status, &cause);
	cr_assert_eq(status, -1);
	cr_assert_gt(got, 0);
	cr_assert_not_null(strstr(cause, "trace is truncated: chunk needs"), "%s", cause);
	free(cause);
	cause = NULL;
	/* Cut exactly at a chunk boundary: no footer. */
	truncate_to((long)off[2]);
	got = read_all(path, &status, &cause);
	cr_assert_eq(status, -1);
	cr_assert_gt(got, 0);
	cr_assert_not_null(strstr(cause, "no index or footer after the last chunk"), "%s", cause);
	free(cause);
	cause = NULL;
	/* Cut inside a chunk header. */
	truncate_to((long)off[2] - 40 + 10);
	read_all(path, &status, &cause);
	cr_assert_eq(status, -1);
	free(cause);
}

Test(trace_bin, seek_without_index_scans)
{
	uint64_t off[64];
	struct trace_reader *r;
	struct trace_event ev;
	struct trace_file_info fi;
	char *cause = NULL;

	write_trace(N, 0);
	chunk_offsets(off, 64);
	truncate_to((long)off[5]);
	r = trace_open(path, &cause);
	cr_assert_not_null(r);
	trace_get_file_info(r, &fi);
	cr_assert(!fi.indexed);
	cr_assert_eq(trace_seek(r, 2000, &cause), 0, "%s", cause);
	cr_assert_eq(trace_read(r, &ev, &cause), 1);
	expect_event(2000, &ev);
	cr_assert_eq(trace_seek(r, N - 1, &cause), -1);
	cr_assert_not_null(strstr(cause, "no index or footer after the last chunk"), "%s", cause);
	free(cause);
	trace_close(r);
}

/* Flip one byte at off and expect the reader to fail with msg, having delivered only good events. */
static void corrupt_at(long off, const char *msg)
{
	FILE *f = fopen(path, "r+b");
	int c, status;
	char *cause = NULL;

	cr_assert_not_null(f);
	fseek(f, off, SEEK_SET);
	c = fgetc(f);
	fseek(f, off, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	read_all(path, &status, &cause);
	cr_assert_lt(status, 0, "corruption at %ld not detected", off);
	cr_assert_not_null(cause);
	cr_assert_not_null(strstr(cause, msg), "at %ld: %s", off, cause);
	free(cause);
	fseek(f = fopen(path, "r+b"), off, SEEK_SET);
	fputc(c, f);
	fclose(f);
}

Test(trace_bin, corruption_is_detected)
{
	uint64_t off[64];
	long size;

	write_trace(N, 0);
	chunk_offsets(off, 64);
	size = file_size(path);
	corrupt_at(1, "bad magic");
	corrupt_at(8, "unsupported trace version");
	corrupt_at(15, "header length out of range");
	corrupt_at(22, "header CRC mismatch");
	corrupt_at((long)off[1], "bad chunk magic");
	corrupt_at((long)off[1] + 5, "chunk header CRC mismatch");
	corrupt_at((long)off[1] + 40, "chunk CRC mismatch");
	corrupt_at(size - 1, "trace is truncated: index without a valid footer");
	corrupt_at(size - 10, "footer CRC mismatch");
	corrupt_at(size - 40, "index CRC mismatch");
}

/* Tests set this to append a second (empty) zstd frame to the chunk. */
static int add_empty_frame;

/* Write a file with a hand-built chunk holding raw record bytes. */
static void write_raw_chunk(const uint8_t *raw, size_t rlen, uint32_t count, uint64_t first)
{
	struct trace_header h;
	struct trace_writer *w;
	char *cause = NULL;
	uint8_t ch[32], comp[4096];
	size_t clen;
	FILE *f;
	long hend;

	header(&h);
	w = trace_writer_open(path, TRACE_FMT_BINARY, 0, &h, &cause);
	cr_assert_not_null(w);
	cr_assert_eq(trace_writer_close(w, &cause), 0);
	/* Keep the file header, drop the empty index and footer. */
	hend = file_size(path) - 8 - 32;
	truncate_to(hend);
	clen = ZSTD_compress(comp, sizeof comp, raw, rlen, 1);
	cr_assert(!ZSTD_isError(clen));
	if (add_empty_frame) {
		size_t more = ZSTD_compress(comp + clen, sizeof comp - clen, "", 0, 1);
		cr_assert(!ZSTD_isError(more));
		clen += more;
	}
	memcpy(ch, "VRCK", 4);
	le32_store(ch + 4, (uint32_t)clen);
	le32_store(ch + 8, (uint32_t)rlen);
	le32_store(ch + 12, count);
	le64_store(ch + 16, first);
	le32_store(ch + 24, crc32c(0, comp, clen));
	le32_store(ch + 28, crc32c(0, ch, 28));
	f = fopen(path, "ab");
	fwrite(ch, 1, 32, f);
	fwrite(comp, 1, clen, f);
	fclose(f);
}

static void expect_raw_error(const uint8_t *raw, size_t rlen, uint32_t count, uint64_t first, const char *msg)
{
	int status;
	char *cause = NULL;

	write_raw_chunk(raw, rlen, count, first);
	read_all_check(path, &status, &cause, 0);
	cr_assert_eq(status, -1);
	cr_assert_not_null(strstr(cause, msg), "want '%s', got '%s'", msg, cause);
	free(cause);
}

Test(trace_bin, bad_records)
{
	/* A good mark record: kind, flags, len, text. */
	static const uint8_t mark[] = { TRACE_MARK, 0, 2, 0, 0, 0, 'h', 'i' };
	static const uint8_t unknown[] = { 0x2a, 0, 0, 0 };
	static const uint8_t flags[] = { TRACE_MEM, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t shortrec[] = { TRACE_MEM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1 };
	static const uint8_t bigsize[] = { TRACE_BAR_WRITE, 0, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t toolarge[] = { TRACE_BAR_WRITE, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t ctl[] = { TRACE_MARK, 0, 1, 0, 0, 0, '\n' };
	static const uint8_t hugelen[] = { TRACE_CHECKPOINT, 0, 0xff, 0xff, 0xff, 0xff };
	int status;
	char *cause = NULL;
	uint8_t two[sizeof mark * 2];

	/* The hand-built chunk itself is fine; only the missing footer is reported. */
	write_raw_chunk(mark, sizeof mark, 1, 0);
	cr_assert_eq(read_all_check(path, &status, &cause, 0), 1);
	cr_assert_eq(status, -1);
	cr_assert_not_null(strstr(cause, "event 1 (offset 0x"), "%s", cause);
	cr_assert_not_null(strstr(cause, "no index or footer after the last chunk"), "%s", cause);
	free(cause);
	expect_raw_error(unknown, sizeof unknown, 1, 0, "event 0 (offset 0x");
	expect_raw_error(unknown, sizeof unknown, 1, 0, "unknown event kind 0x2a at chunk byte 0x0");
	expect_raw_error(flags, sizeof flags, 1, 0, "bad record flags 0x01");
	expect_raw_error(shortrec, sizeof shortrec, 1, 0, "runs past the end of its chunk");
	expect_raw_error(bigsize, sizeof bigsize, 1, 0, "access size must be 1, 2, 4 or 8");
	expect_raw_error(toolarge, sizeof toolarge, 1, 0, "value too large for the access size");
	expect_raw_error(ctl, sizeof ctl, 1, 0, "control character in mark text");
	expect_raw_error(hugelen, sizeof hugelen, 1, 0, "payload of 4294967295 bytes");
	expect_raw_error(mark, sizeof mark, 1, 7, "chunk starts at event 7, expected 0");
	expect_raw_error(mark, sizeof mark, 5, 0, "bad chunk event count 5 for 8 bytes");
	memcpy(two, mark, sizeof mark);
	memcpy(two + sizeof mark, mark, sizeof mark);
	expect_raw_error(two, sizeof two, 1, 0, "0x8 stray bytes after the chunk's last event");
	expect_raw_error(two, sizeof two, 3, 0, "runs past the end of its chunk");
}

Test(trace_bin, hostile_config_offset)
{
	/* cfg-read at offset 2^64-1: must not wrap past the 0xfff check. */
	static const uint8_t rec[] = { TRACE_CFG_READ, 0, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	expect_raw_error(rec, sizeof rec, 1, 0, "config offset beyond 0xfff");
}

Test(trace_bin, chunk_is_one_frame)
{
	static const uint8_t mark[] = { TRACE_MARK, 0, 2, 0, 0, 0, 'h', 'i' };

	add_empty_frame = 1;
	expect_raw_error(mark, sizeof mark, 1, 0, "chunk is not exactly one zstd frame");
}

Test(trace_bin, writer_killed_midway)
{
	pid_t pid;
	int st, status;
	char *cause = NULL;
	uint64_t got;

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 131 + (i >> 7));
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct trace_header h;
		struct trace_event ev;
		struct trace_writer *w;

		header(&h);
		w = trace_writer_open(path, TRACE_FMT_BINARY, 1, &h, &cause);
		if (w == NULL)
			_exit(3);
		for (uint64_t i = 0; i < 5000; i++) {	/* about 5 MB: several chunks */
			make_event(i, &ev);
			if (trace_write(w, &ev, &cause) != 0)
				_exit(3);
		}
		_exit(0);	/* no close, no stdio flush: like a kill */
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	got = read_all(path, &status, &cause);
	cr_assert_eq(status, -1);
	cr_assert_gt(got, 2000, "only %llu events survived", (unsigned long long)got);
	cr_assert_lt(got, 5000);
	cr_assert_not_null(strstr(cause, "no index or footer after the last chunk"), "%s", cause);
	free(cause);
}

/* Write an empty binary trace with one optional header fact (MSI-X vectors), then patch its tag/length bytes. */
static void patch_ext(int which, uint8_t v, const char *msg)
{
	struct trace_header h;
	struct trace_writer *w;
	struct trace_reader *r;
	char *cause = NULL;
	uint8_t file[4096];
	size_t n;
	uint32_t hlen;
	FILE *f;

	header(&h);
	h.has = TRACE_HAS_MSIX;
	h.msix_vectors = 9;
	w = trace_writer_open(path, TRACE_FMT_BINARY, 0, &h, &cause);
	cr_assert_not_null(w, "%s", cause);
	cr_assert_eq(trace_writer_close(w, &cause), 0, "%s", cause);
	f = fopen(path, "rb");
	n = fread(file, 1, sizeof file, f);
	fclose(f);
	hlen = le32_load(file + 12);
	cr_assert_lt(20 + hlen, n);
	/* The fact is the last 4 bytes of the facts: tag 4, length 2, le16 9. */
	cr_assert_eq(file[20 + hlen - 4], 4);
	cr_assert_eq(file[20 + hlen - 2], 9);
	if (which < 0) {
		r = trace_open(path, &cause);
		cr_assert_not_null(r, "%s", cause);
		cr_assert_eq(trace_header(r)->has, TRACE_HAS_MSIX);
		cr_assert_eq(trace_header(r)->msix_vectors, 9);
		trace_close(r);
		return;
	}
	file[20 + hlen - 4 + (size_t)which] = v;
	le32_store(file + 16, crc32c(0, file + 20, hlen));
	f = fopen(path, "wb");
	cr_assert_eq(fwrite(file, 1, n, f), n);
	fclose(f);
	r = trace_open(path, &cause);
	cr_assert_null(r, "accepted a bad optional fact");
	cr_assert_not_null(strstr(cause, msg), "%s", cause);
	free(cause);
}

Test(trace_bin, optional_header_facts)
{
	patch_ext(-1, 0, NULL);
	patch_ext(0, 0xee, "unknown optional header fact");
	patch_ext(0, 0, "unknown optional header fact");
	patch_ext(1, 3, "optional header fact has the wrong length");
	patch_ext(1, 1, "optional header fact has the wrong length");
	patch_ext(3, 0x10, "4105 MSI-X vectors (at most 2048)");
}
