/* hexdump.c -- canonical hex dumps and hex-string parsing */
#include <string.h>

#include "vr/hexdump.h"

/*
 * One line is built in a local array and added at once: a printf per byte
 * made the log sink the bottleneck of a replay (fuzz_replay found a hostile
 * trace whose 65532 requests took 10 s under ASan, mostly here).
 */
static void dump_line(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *line, *o;

	buf_reserve(b, 16 * 3 + 1 + 2 + 16 + 1);
	line = o = (char *)b->data + b->len;
	if (n == 16) {
		for (size_t i = 0; i < 16; i++) {
			if (i == 8)
				*o++ = ' ';
			o[0] = hex[p[i] >> 4];
			o[1] = hex[p[i] & 15];
			o[2] = ' ';
			o += 3;
		}
	} else {
		for (size_t i = 0; i < 16; i++) {
			if (i == 8)
				*o++ = ' ';
			o[0] = i < n ? hex[p[i] >> 4] : ' ';
			o[1] = i < n ? hex[p[i] & 15] : ' ';
			o[2] = ' ';
			o += 3;
		}
	}
	*o++ = ' ';
	*o++ = '|';
	for (size_t i = 0; i < n && i < 16; i++)
		*o++ = (char)((p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '.');
	*o++ = '|';
	b->len += (size_t)(o - line);
}

void hexdump_buf(struct buf *b, const char *indent, const uint8_t *p, size_t n, uint64_t base, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = (max && n > max) ? max : n;
	size_t ilen = strlen(indent);

	for (size_t off = 0; off < shown; off += 16) {
		size_t k = shown - off < 16 ? shown - off : 16;
		uint64_t a = base + off;

		if (a > 0xffff) {	/* offsets past 4 digits: rare, the general path */
			buf_add(b, indent, ilen);
			buf_add_hexnum(b, a, 4);
			buf_add(b, "  ", 2);
		} else {
			char *o;

			buf_reserve(b, ilen + 6);
			o = (char *)b->data + b->len;
			memcpy(o, indent, ilen);
			o += ilen;
			o[0] = hex[(a >> 12) & 15];
			o[1] = hex[(a >> 8) & 15];
			o[2] = hex[(a >> 4) & 15];
			o[3] = hex[a & 15];
			o[4] = ' ';
			o[5] = ' ';
			b->len += ilen + 6;
		}
		dump_line(b, p + off, k);
		buf_add_u8(b, '\n');
	}
	if (shown < n)
		buf_printf(b, "%s... %zu more bytes not shown\n", indent, n - shown);
}

void hexdump_file(FILE *f, const char *indent, const uint8_t *p, size_t n, uint64_t base, size_t max)
{
	struct buf b;

	buf_init(&b);
	hexdump_buf(&b, indent, p, n, base, max);
	if (b.len)
		fwrite(b.data, 1, b.len, f);
	buf_release(&b);
}

void hexdump_diff(struct buf *b, const char *indent, const uint8_t *a, size_t alen, const uint8_t *c, size_t clen, uint64_t base, size_t max)
{
	size_t n = alen > clen ? alen : clen;
	size_t shown = (max && n > max) ? max : n;

	buf_printf(b, "%s      %-66s   %s\n", indent, "expected", "produced");
	for (size_t off = 0; off < shown; off += 16) {
		size_t ka = off < alen ? (alen - off < 16 ? alen - off : 16) : 0;
		size_t kc = off < clen ? (clen - off < 16 ? clen - off : 16) : 0;
		int differ = ka != kc || memcmp(a + off, c + off, ka) != 0;
		size_t mark;

		buf_printf(b, "%s%c%04llx  ", indent, differ ? '*' : ' ', (unsigned long long)(base + off));
		mark = b->len;
		dump_line(b, a + (ka ? off : 0), ka);
		while (b->len - mark < 68)
			buf_add_u8(b, ' ');
		buf_add(b, " ", 1);
		dump_line(b, c + (kc ? off : 0), kc);
		buf_add_u8(b, '\n');
	}
	if (shown < n)
		buf_printf(b, "%s... %zu more bytes not shown\n", indent, n - shown);
}

int hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

long hex_parse(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t count = 0;
	int hi = -1;

	for (size_t i = 0; i < n; i++) {
		int d;

		if (s[i] == ' ' || s[i] == '\t') {
			if (hi >= 0)
				return -1;
			continue;
		}
		d = hex_digit((unsigned char)s[i]);
		if (d < 0)
			return -1;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (count >= cap)
			return -1;
		out[count++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		return -1;
	return (long)count;
}
