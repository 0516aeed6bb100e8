/* fuzz_expect.c -- libFuzzer target: the .expect parser and the report text cleaner never crash, and keep their promises */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/check.h"

/* Only the allow-listed options, and outputs that are bare file names. */
static void fuzz_check_expect(const struct check_expect *e)
{
	if (e->exit_status < 0 || e->exit_status > 255)
		abort();
	for (unsigned i = 0; i < e->nargs; i++) {
		const char *a = e->args[i];

		if (e->kind[i] == CHECK_ARG_OUTPUT && a[0] != '-' && (strchr(a, '/') != NULL || a[0] == '.'))
			abort();
		if (a[0] == '-' && strncmp(a, "--", 2) != 0)
			abort();
	}
}

/* Clean text is valid UTF-8 without control characters other than \n and \t. */
static void fuzz_check_clean(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
		    c >= 0xf0 && c <= 0xf4 ? 4 : 0;

		if (len == 0 || i + len > n || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			abort();
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check_expect e;
	char *cause = NULL;
	struct buf b;

	if (check_expect_parse("f.expect", (const char *)data, size, &e, &cause) == 0) {
		fuzz_check_expect(&e);
		check_expect_free(&e);
	} else {
		if (cause == NULL || strncmp(cause, "f.expect: line ", 15) != 0)
			abort();
		free(cause);
	}
	buf_init(&b);
	check_text_clean(&b, (const char *)data, size);
	fuzz_check_clean(b.data, b.len);
	buf_release(&b);
	return 0;
}
