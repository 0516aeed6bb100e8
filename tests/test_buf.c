/* test_buf.c -- Criterion suite for the buffer module: the JSON string quoter keeps any bytes valid UTF-8 */
#include <criterion/criterion.h>
#include <string.h>

#include "vr/buf.h"

static char *quote(const char *s)
{
	static char out[256];
	struct buf b;

	buf_init(&b);
	buf_add_json_string(&b, s);
	cr_assert_lt(b.len, sizeof(out));
	memcpy(out, b.data, b.len);
	out[b.len] = '\0';
	buf_release(&b);
	return out;
}

Test(json_string, escapes)
{
	cr_expect_str_eq(quote("a\"b\\c\nd\te"), "\"a\\\"b\\\\c\\nd\\te\"");
	cr_expect_str_eq(quote("\x01\x1b[0m\x7f"), "\"\\u0001\\u001b[0m\\u007f\"");
	cr_expect_str_eq(quote(NULL), "\"\"");
}

Test(json_string, well_formed_utf8_is_copied)
{
	const char *s = "\xc3\xa9 \xe2\x98\x83 \xf0\x9d\x84\x9e \xef\xbf\xbf \xf4\x8f\xbf\xbf";

	cr_expect_str_eq(quote(s), "\"\xc3\xa9 \xe2\x98\x83 \xf0\x9d\x84\x9e \xef\xbf\xbf \xf4\x8f\xbf\xbf\"");
}

Test(json_string, bad_bytes_keep_their_value)
{
	/* Lone continuation, invalid lead, overlong, surrogate, above U+10FFFF, truncated at the end. */
	cr_expect_str_eq(quote("\x80"), "\"\\u0080\"");
	cr_expect_str_eq(quote("\xff\xfe"), "\"\\u00ff\\u00fe\"");
	cr_expect_str_eq(quote("\xc0\x80"), "\"\\u00c0\\u0080\"");
	cr_expect_str_eq(quote("\xe0\x80\xaf"), "\"\\u00e0\\u0080\\u00af\"");
	cr_expect_str_eq(quote("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
	cr_expect_str_eq(quote("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");
	cr_expect_str_eq(quote("a\xe2\x98"), "\"a\\u00e2\\u0098\"");
	cr_expect_str_eq(quote("\xf0\x9d\x84"), "\"\\u00f0\\u009d\\u0084\"");
	/* A bad byte does not swallow the good character after it. */
	cr_expect_str_eq(quote("\xc3\xc3\xa9"), "\"\\u00c3\xc3\xa9\"");
}
