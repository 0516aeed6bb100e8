/* hexdump.c -- canonical hex dumps and hex-string parsing */
#include <string.h>

#include "vr/hexdump.h"

/* "000102...ff": the two hex digits of each byte value, one copy per byte instead of two lookups and shifts */
#define HEX_ROW(h) #h "0" #h "1" #h "2" #h "3" #h "4" #h "5" #h "6" #h "7" \
	#h "8" #h "9" #h "a" #h "b" #h "c" #h "d" #h "e" #h "f"
static const char hex_pairs[] = HEX_ROW(0) HEX_ROW(1) HEX_ROW(2) HEX_ROW(3) HEX_ROW(4) HEX_ROW(5) HEX_ROW(6)
	HEX_ROW(7) HEX_ROW(8) HEX_ROW(9) HEX_ROW(a) HEX_ROW(b) HEX_ROW(c) HEX_ROW(d) HEX_ROW(e) HEX_ROW(f);

/* The longest line dump_line writes: 16 "xx " groups, the gap, " |", 16 characters, "|". */
#define DUMP_LINE_MAX	(16 * 3 + 1 + 2 + 16 + 1)

/*
 * One line into o (room for DUMP_LINE_MAX), returning its end: a printf
 * per byte made the log sink the bottleneck of a replay (fuzz_replay found
 * a hostile trace whose 65532 requests took 10 s under ASan, mostly here),
 * and a dump is still most of what --log spends, so whole lines are built
 * from a table of hex pairs with no call per byte.
 */
static char *dump_line(char *o, const uint8_t *p, size_t n)
{
	if (n >= 16) {		/* a whole line: no test per byte */
		for (size_t i = 0; i < 8; i++) {
			memcpy(o + 3 * i, hex_pairs + 2 * p[i], 2);
			o[3 * i + 2] = ' ';
			memcpy(o + 25 + 3 * i, hex_pairs + 2 * p[8 + i], 2);
			o[25 + 3 * i + 2] = ' ';
		}
		o[24] = ' ';
		o[49] = ' ';
		o[50] = '|';
		for (size_t i = 0; i < 16; i++)
			o[51 + i] = (char)((uint8_t)(p[i] - 0x20) < 0x5f ? p[i] : '.');
		o[67] = '|';
		return o + 68;
	}
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			*o++ = ' ';
		if (i < n) {
			memcpy(o, hex_pairs + 2 * p[i], 2);
		} else {
			o[0] = ' ';
			o[1] = ' ';
		}
		o[2] = ' ';
		o += 3;
	}
	*o++ = ' ';
	*o++ = '|';
	for (size_t i = 0; i < n; i++)
		*o++ = (char)((uint8_t)(p[i] - 0x20) < 0x5f ? p[i] : '.');
	*o++ = '|';
	return o;
}

void hexdump_buf(struct buf *b, const char *indent, const uint8_t *p, size_t n, uint64_t base, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = (max && n > max) ? max : n;
	size_t ilen = strlen(indent);

	/* every line at once: indent, an offset of up to 16 digits, two spaces, the line, the newline */
	buf_reserve(b, (shown + 15) / 16 * (ilen + 16 + 2 + DUMP_LINE_MAX + 1));
	char *o = (char *)b->data + b->len;

	for (size_t off = 0; off < shown; off += 16) {
		size_t k = shown - off < 16 ? shown - off : 16;
		uint64_t a = base + off;
		unsigned w = 4;

		memcpy(o, indent, ilen);
		o += ilen;
		while (w < 16 && (a >> (4 * w)) != 0)
			w++;
		if (w == 4) {
			memcpy(o, hex_pairs + 2 * ((a >> 8) & 0xff), 2);
			memcpy(o + 2, hex_pairs + 2 * (a & 0xff), 2);
			o += 4;
		} else {
			for (unsigned i = w; i-- > 0;)
				*o++ = hex[(a >> (4 * i)) & 15];
		}
		*o++ = ' ';
		*o++ = ' ';
		o = dump_line(o, p + off, k);
		*o++ = '\n';
	}
	b->len = (size_t)(o - (char *)b->data);
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
		buf_reserve(b, 2 * DUMP_LINE_MAX + 2);
		mark = b->len;
		char *o = dump_line((char *)b->data + mark, a + (ka ? off : 0), ka);

		while ((size_t)(o - (char *)b->data) - mark < 68)
			*o++ = ' ';
		*o++ = ' ';
		o = dump_line(o, c + (kc ? off : 0), kc);
		*o++ = '\n';
		b->len = (size_t)(o - (char *)b->data);
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
