/* fuzz_trace_bin.c -- libFuzzer target: the binary reader (chunks, CRCs, index, seek) must never crash */
#include <stdint.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/crc32c.h"
#include "vr/le.h"
#include "vr/trace.h"
#include "fuzz-common.h"

/*
 * Random bytes almost never pass a CRC32C, so most inputs would stop at the
 * first check. With FUZZ_FIX_CRCS the target first repairs every CRC it can
 * find by walking the layout, so mutations reach the decoders behind them.
 */
static void fix_crcs(uint8_t *p, size_t n)
{
	uint32_t hlen;
	size_t off;

	if (n < 20)
		return;
	hlen = le32_load(p + 12);
	if (hlen > n - 20)
		return;
	le32_store(p + 16, crc32c(0, p + 20, hlen));
	off = 20 + hlen;
	while (n - off >= 32 && memcmp(p + off, "VRCK", 4) == 0) {
		uint32_t c = le32_load(p + off + 4);
		if (c > n - off - 32)
			break;
		le32_store(p + off + 24, crc32c(0, p + off + 32, c));
		le32_store(p + off + 28, crc32c(0, p + off, 28));
		off += 32 + (size_t)c;
	}
	if (n >= 32 && memcmp(p + n - 4, "VRBE", 4) == 0) {
		uint64_t ix = le64_load(p + n - 32);
		if (ix < n - 32)
			le32_store(p + n - 12, crc32c(0, p + ix, n - 32 - (size_t)ix));
		le32_store(p + n - 8, crc32c(0, p + n - 32, 24));
	}
}

static void read_all(const char *path, uint64_t seek_to)
{
	struct trace_reader *r;
	struct trace_event ev;
	char *cause = NULL;
	uint64_t n = 0;
	int rc;

	if ((r = trace_open(path, &cause)) == NULL) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	while ((rc = trace_read(r, &ev, &cause)) > 0) {
		if (trace_event_no(r) != n++)
			abort();
		if (ev.len > TRACE_MAX_PAYLOAD || (ev.len > 0 && ev.data == NULL))
			abort();
		/* Touch the payload so ASan checks it lies inside the chunk. */
		if (ev.len > 0 && (ev.data[0] ^ ev.data[ev.len - 1]) == 0x100)
			abort();
	}
	if (rc < 0) {
		if (cause == NULL || strstr(cause, path) != cause)
			abort();
		free(cause);
		cause = NULL;
	}
	trace_close(r);
	if ((r = trace_open(path, &cause)) == NULL) {
		free(cause);
		return;
	}
	if (trace_seek(r, n ? seek_to % (n + 1) : seek_to & 3, &cause) == 0) {
		while (trace_read(r, &ev, &cause) > 0)
			;
	}
	free(cause);
	trace_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size > (1u << 20))
		return 0;
	read_all(fuzz_file(data, size), size);
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	fix_crcs(copy, size);
	read_all(fuzz_file(copy, size), size / 3);
	free(copy);
	return 0;
}
