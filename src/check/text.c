/* text.c -- make any bytes safe for check's reports: valid UTF-8, no XML-illegal characters, one-line names */
#include <string.h>

#include "vr/check.h"

/* Length (2-4) of the well-formed UTF-8 sequence at p[0..n), or 0. Surrogates, overlong
 * forms, C1 controls and the non-characters U+FFFE/U+FFFF (illegal in XML 1.0) do not count. */
static size_t text_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	if (c == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
		return 0;
	if (c == 0xc2 && p[1] < 0xa0)	/* C1 controls: legal XML, but not printable YAML */
		return 0;
	return len;
}

static void text_hex(struct buf *b, unsigned char c)
{
	buf_printf(b, "\\x%02x", c);
}

/* Shared walk: name != 0 also escapes \n, \t, backslash and '#'. */
static void text_clean(struct buf *b, const char *s, size_t n, int name)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;

		if (c >= 0x80) {
			if ((len = text_utf8_len(p + i, n - i)) == 0) {
				text_hex(b, c);
				i++;
			} else {
				buf_add(b, p + i, len);
				i += len;
			}
			continue;
		}
		i++;
		if (name && (c == '\\' || c == '#'))
			buf_printf(b, "\\%c", c);
		else if (name && c == '\n')
			buf_add(b, "\\n", 2);
		else if (name && c == '\t')
			buf_add(b, "\\t", 2);
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
			text_hex(b, c);
		else
			buf_add_u8(b, c);
	}
	buf_str(b);
}

void check_text_clean(struct buf *b, const char *p, size_t n)
{
	text_clean(b, p, n, 0);
}

char *check_name_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	text_clean(&b, s, strlen(s), 1);
	buf_add_u8(&b, '\0');
	return (char *)b.data;
}

void check_xml_escape(struct buf *b, const char *s)
{
	static const struct { char c; const char *ent; } ents[] = {
		{ '<', "&lt;" }, { '>', "&gt;" }, { '&', "&amp;" }, { '"', "&quot;" }, { '\'', "&apos;" },
		/* attributes normalise raw newlines and tabs to spaces: keep them as references */
		{ '\n', "&#10;" }, { '\t', "&#9;" }, { '\r', "&#13;" },
	};

	for (; *s != '\0'; s++) {
		size_t k;

		for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
			if (*s == ents[k].c)
				break;
		if (k < sizeof ents / sizeof ents[0])
			buf_add(b, ents[k].ent, strlen(ents[k].ent));
		else
			buf_add_u8(b, (uint8_t)*s);
	}
	buf_str(b);
}

/* JSON and YAML double-quoted scalars share their escapes: for clean text (no control
 * characters but \n and \t, valid UTF-8) buf_add_json_string's output is valid for both. */
static void text_quote(struct buf *b, const char *s)
{
	buf_add_json_string(b, s);
	buf_str(b);
}

void check_json_escape(struct buf *b, const char *s)
{
	text_quote(b, s);
}

void check_yaml_escape(struct buf *b, const char *s)
{
	text_quote(b, s);
}
