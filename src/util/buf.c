/* buf.c -- growable byte buffer and bounded cursor */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/le.h"
#include "vr/xmalloc.h"

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
}

void buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;	/* room for buf_str's NUL */

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
}

void buf_add_le16(struct buf *b, uint16_t v)
{
	uint8_t t[2];
	le16_store(t, v);
	buf_add(b, t, 2);
}

void buf_add_le32(struct buf *b, uint32_t v)
{
	uint8_t t[4];
	le32_store(t, v);
	buf_add(b, t, 4);
}

void buf_add_le64(struct buf *b, uint64_t v)
{
	uint8_t t[8];
	le64_store(t, v);
	buf_add(b, t, 8);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_reserve(b, 128);
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void buf_add_hex(struct buf *b, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *o;

	buf_reserve(b, 2 * n);
	o = (char *)b->data + b->len;
	for (size_t i = 0; i < n; i++) {
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 15];
	}
	b->len += 2 * n;
}

void buf_add_dec(struct buf *b, uint64_t v)
{
	/* two digits per division: the log writes an event number on every line */
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	    "8081828384858687888990919293949596979899";
	char t[20];
	size_t k = sizeof(t);

	while (v >= 100) {
		k -= 2;
		memcpy(t + k, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		k -= 2;
		memcpy(t + k, pairs + 2 * v, 2);
	} else {
		t[--k] = (char)('0' + v);
	}
	buf_add(b, t + k, sizeof(t) - k);
}

/* At least width digits (zero-padded), more if v needs them. */
void buf_add_hexnum(struct buf *b, uint64_t v, unsigned width)
{
	static const char digits[] = "0123456789abcdef";
	unsigned n = v ? (67u - (unsigned)__builtin_clzll(v)) / 4 : 1;

	if (width > 16)
		width = 16;
	if (n < width)
		n = width;
	buf_reserve(b, n);
	for (char *o = (char *)b->data + b->len + n; o > (char *)b->data + b->len; v >>= 4)
		*--o = digits[v & 15];
	b->len += n;
}

const char *buf_str(struct buf *b)
{
	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	return (const char *)b->data;
}

char *buf_one_line(char *s, bool ascii)
{
	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || (ascii && *p >= 0x80))
			*p = '?';
	return s;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one.
 */
static size_t utf8_len(const unsigned char *p)
{
	static const struct {
		unsigned char lead_lo, lead_hi;	/* lead byte range */
		unsigned char next_lo, next_hi;	/* allowed range of the second byte */
		size_t len;
	} seqs[] = {
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 }, { 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 }, { 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 }, { 0xf1, 0xf3, 0x80, 0xbf, 4 }, { 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		if (p[0] < seqs[i].lead_lo || p[0] > seqs[i].lead_hi)
			continue;
		if (p[1] < seqs[i].next_lo || p[1] > seqs[i].next_hi)
			return 0;
		/* A NUL ends the string before any missing byte is read: 0x00 is no continuation. */
		for (size_t k = 2; k < seqs[i].len; k++)
			if ((p[k] & 0xc0) != 0x80)
				return 0;
		return seqs[i].len;
	}
	return 0;
}

void buf_add_json_string(struct buf *b, const char *s)
{
	buf_add_u8(b, '"');
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p != '\0';) {
		size_t n;

		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_add(b, "\\n", 2);
		else if (*p == '\t')
			buf_add(b, "\\t", 2);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else if (*p < 0x80)
			buf_add_u8(b, *p);
		else if ((n = utf8_len(p)) > 0) {
			buf_add(b, p, n);
			p += n;
			continue;
		} else {
			/* Not UTF-8 (a file name, a mark from a hostile trace): keep the byte's value as U+00XX. */
			buf_printf(b, "\\u%04x", *p);
		}
		p++;
	}
	buf_add_u8(b, '"');
}

void cursor_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->err = 0;
}

const uint8_t *cursor_bytes(struct cursor *c, size_t n)
{
	const uint8_t *r;

	if (c->err || n > c->len - c->off) {
		c->err = 1;
		return NULL;
	}
	r = c->p + c->off;
	c->off += n;
	return r;
}

int cursor_get(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *p = cursor_bytes(c, n);

	if (p == NULL)
		return -1;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

uint8_t cursor_u8(struct cursor *c)
{
	const uint8_t *p = cursor_bytes(c, 1);
	return p ? p[0] : 0;
}

uint16_t cursor_le16(struct cursor *c)
{
	const uint8_t *p = cursor_bytes(c, 2);
	return p ? le16_load(p) : 0;
}

uint32_t cursor_le32(struct cursor *c)
{
	const uint8_t *p = cursor_bytes(c, 4);
	return p ? le32_load(p) : 0;
}

uint64_t cursor_le64(struct cursor *c)
{
	const uint8_t *p = cursor_bytes(c, 8);
	return p ? le64_load(p) : 0;
}
