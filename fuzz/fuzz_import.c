/* fuzz_import.c -- libFuzzer target: qtest import must never crash; what it accepts writes a trace that reads back */
#include <stdint.h>
#include <string.h>

#include "vr/qtest-import.h"
#include "vr/trace.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qtest_import *qi;
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_event ev;
	struct qtest_import_stats st;
	char *cause = NULL, out[64];
	uint64_t n = 0;
	int rc;

	if (size > (1u << 16))
		return 0;
	if ((qi = qtest_import_open(fuzz_file(data, size), NULL, NULL, &cause)) == NULL) {
		/* Every refusal says why, naming the input. */
		if (cause == NULL || strncmp(cause, "/proc/self/fd/", 14) != 0)
			abort();
		free(cause);
		return 0;
	}
	snprintf(out, sizeof out, "/tmp/fuzz_import.%d.vrt", (int)getpid());
	if ((w = trace_writer_open(out, TRACE_FMT_TEXT, 0, qtest_import_header(qi), &cause)) == NULL)
		abort();	/* the import checked its header */
	if (qtest_import_write(qi, w, &st, &cause) != 0)
		abort();	/* and its events: the writer refuses nothing */
	if (trace_writer_close(w, &cause) != 0)
		abort();
	qtest_import_free(qi);
	if ((r = trace_open(out, &cause)) == NULL)
		abort();
	while ((rc = trace_read(r, &ev, &cause)) > 0)
		n++;
	if (rc != 0 || n != st.events)
		abort();
	trace_close(r);
	unlink(out);
	return 0;
}
