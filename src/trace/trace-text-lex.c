/* trace-text-lex.c -- the .vrt text reader's tokens: words, numbers, hex payloads, with column-exact errors */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace-text-int.h"

/* Hex digit value + 1; 0 for a non-digit (so the table needs no override-init). */
static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int lex_is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* ---- tokens ---- */

int lex_fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lex_fail(struct lex *lx, const char *fmt, ...)
{
	va_list ap;

	if (*lx->err == NULL) {
		va_start(ap, fmt);
		if (vasprintf(lx->err, fmt, ap) < 0)
			*lx->err = NULL;
		va_end(ap);
	}
	return -1;
}

void lex_skip_ws(struct lex *lx)
{
	while (lx->p < lx->end && lex_is_ws(*lx->p))
		lx->p++;
}

/* Next whitespace-delimited token; n = 0 at end of line or at a comment. */
const uint8_t *lex_token(struct lex *lx, size_t *n)
{
	const uint8_t *s;

	lex_skip_ws(lx);
	s = lx->p;
	if (s < lx->end && *s == '#') {
		*n = 0;
		return s;
	}
	while (lx->p < lx->end && !lex_is_ws(*lx->p))
		lx->p++;
	*n = (size_t)(lx->p - s);
	return s;
}

int lex_tok_is(const uint8_t *t, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(t, s, n) == 0;
}

/* A token for messages: printable, cut at 24 characters. */
const char *lex_tok_show(const uint8_t *t, size_t n, char out[32])
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < 24; i++)
		out[k++] = (t[i] >= 0x20 && t[i] < 0x7f) ? (char)t[i] : '?';
	if (n > 24) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

int lex_parse_u64(const uint8_t *t, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
		for (size_t i = 2; i < n; i++) {
			uint8_t d = hexv[t[i]];
			if (d == 0 || (v >> 60) != 0)
				return -1;
			v = v << 4 | (uint64_t)(d - 1);
		}
	} else {
		if (n == 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned)t[i] - '0';
			if (d > 9 || v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
		}
	}
	*out = v;
	return 0;
}

/* A number field named what, at most max. */
int lex_num(struct lex *lx, const char *what, uint64_t max, uint64_t *out)
{
	char show[32];
	size_t n;
	const uint8_t *t = lex_token(lx, &n);

	if (n == 0)
		return lex_fail(lx, "missing %s", what);
	if (lex_parse_u64(t, n, out) != 0)
		return lex_fail(lx, "bad %s '%s'", what, lex_tok_show(t, n, show));
	if (*out > max)
		return lex_fail(lx, "%s %s out of range (at most 0x%llx)", what,
		    lex_tok_show(t, n, show), (unsigned long long)max);
	return 0;
}

/* One keyword from a table of names; returns the index. */
int lex_word(struct lex *lx, const char *what, const char *const *names, int count)
{
	char show[32];
	size_t n;
	const uint8_t *t = lex_token(lx, &n);

	if (n == 0)
		return lex_fail(lx, "missing %s", what);
	for (int i = 0; i < count; i++)
		if (names[i] != NULL && lex_tok_is(t, n, names[i]))
			return i;
	return lex_fail(lx, "unknown %s '%s'", what, lex_tok_show(t, n, show));
}

int lex_end_of_line(struct lex *lx)
{
	char show[32];
	size_t n;
	const uint8_t *t = lex_token(lx, &n);

	if (n != 0)
		return lex_fail(lx, "unexpected '%s' at end of line", lex_tok_show(t, n, show));
	return 0;
}

/*
 * Hex bytes up to the end of the line (or a comment) into out (cap bytes);
 * pairs may be separated by blanks but never split.
 */
int lex_hex_bytes(struct lex *lx, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *p = lx->p, *end = lx->end;
	size_t k = 0;

	while (p < end) {
		uint8_t a = hexv[*p];
		if (a != 0) {
			uint8_t b;
			if (p + 1 >= end || lex_is_ws(p[1]) || p[1] == '#')
				return lex_fail(lx, "odd number of hex digits at column %zu", (size_t)(p - lx->line) + 1);
			if ((b = hexv[p[1]]) == 0)
				return lex_fail(lx, "bad hex digit at column %zu", (size_t)(p - lx->line) + 2);
			if (k >= cap)
				return lex_fail(lx, "too many bytes (at most %zu)", cap);
			out[k++] = (uint8_t)((a - 1) << 4 | (b - 1));
			p += 2;
		} else if (lex_is_ws(*p)) {
			p++;
		} else if (*p == '#') {
			break;
		} else {
			return lex_fail(lx, "bad hex digit at column %zu", (size_t)(p - lx->line) + 1);
		}
	}
	lx->p = p;
	*len = k;
	return 0;
}

/* The rest of the line after one blank, verbatim (marks, titles). */
void lex_rest_text(struct lex *lx, const uint8_t **t, size_t *n)
{
	if (lx->p < lx->end && lex_is_ws(*lx->p))
		lx->p++;
	*t = lx->p;
	*n = (size_t)(lx->end - lx->p);
	lx->p = lx->end;
}
