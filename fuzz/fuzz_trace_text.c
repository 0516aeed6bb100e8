/* fuzz_trace_text.c -- libFuzzer target: the text reader must never crash, and what it accepts is canonical-stable */
#include <stdint.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/trace.h"
#include "fuzz-common.h"

/* Read a whole trace into canonical text. 0 ok, -1 rejected. */
static int canon(const char *path, struct buf *out, uint64_t *nev)
{
	struct trace_reader *r;
	struct trace_event ev;
	char *cause = NULL;
	int rc;

	if ((r = trace_open(path, &cause)) == NULL) {
		if (cause == NULL)
			abort();	/* every failure carries a message */
		free(cause);
		return -1;
	}
	trace_header_text(out, trace_header(r));
	*nev = 0;
	while ((rc = trace_read(r, &ev, &cause)) > 0) {
		if (trace_event_no(r) != *nev)
			abort();
		trace_event_text(out, &ev);
		buf_add_u8(out, '\n');
		(*nev)++;
	}
	if (rc < 0) {
		if (cause == NULL || strstr(cause, " (offset 0x") == NULL)
			abort();
		free(cause);
	}
	trace_close(r);
	return rc < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;
	uint64_t n1, n2;
	char *cause = NULL;

	/* The real bound is 32 MiB lines; keep iterations fast. */
	if (size > (1u << 16))
		return 0;
	buf_init(&a);
	buf_init(&b);
	if (canon(fuzz_file(data, size), &a, &n1) == 0) {
		struct trace_reader *r;
		struct trace_event ev;

		/* Canonical text reads back to itself. */
		if (canon(fuzz_file(a.data, a.len), &b, &n2) != 0 || n1 != n2 || a.len != b.len ||
		    memcmp(a.data, b.data, a.len) != 0)
			abort();
		/* Seeking lands on the same events. */
		if ((r = trace_open(fuzz_path, &cause)) == NULL)
			abort();
		if (n1 > 0) {
			uint64_t k = (size * 7) % n1;
			if (trace_seek(r, k, &cause) != 0 || trace_read(r, &ev, &cause) != 1 || trace_event_no(r) != k)
				abort();
			if (trace_seek(r, 0, &cause) != 0 || trace_read(r, &ev, &cause) != 1 || trace_event_no(r) != 0)
				abort();
		}
		trace_close(r);
	}
	buf_release(&a);
	buf_release(&b);
	return 0;
}
