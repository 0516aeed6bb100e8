/* tui-hex.c -- the browser's hex pane: dump lines of byte strings, expected and produced side by side with differences marked */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/tui-hex.h"
#include "vr/xmalloc.h"

#define ROW	16	/* bytes a line, one blob */
#define PROW	8	/* bytes a line of each side, a pair */
#define PHEX	10	/* column of the first expected byte in a pair line */
#define PASC	(PHEX + 3 * PROW)	/* its ASCII */
#define PSEP	(PASC + PROW)		/* " | " */
#define PHEX2	(PSEP + 3)		/* the produced side */
#define PASC2	(PHEX2 + 3 * PROW)

void tui_blobs_clear(struct tui_blobs *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].bytes);
		free(b->v[i].lines);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

int64_t tui_bytes_first_diff(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t n = na < nb ? na : nb;

	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (int64_t)i;
	return na == nb ? -1 : (int64_t)n;
}

static bool byte_differs(const struct tui_blob *x, const struct tui_blob *y, size_t off)
{
	if (off >= x->shown || off >= y->shown)
		return off < x->shown || off < y->shown;
	return x->bytes[off] != y->bytes[off];
}

static bool row_differs(const struct tui_blob *x, const struct tui_blob *y, size_t row)
{
	for (size_t j = 0; j < PROW; j++)
		if (byte_differs(x, y, row * PROW + j))
			return true;
	return false;
}

static bool cut(const struct tui_blob *x)
{
	return (int64_t)x->shown < x->len;
}

void tui_blobs_pair(struct tui_blobs *b, size_t i)
{
	struct tui_blob *x = &b->v[i], *y;
	size_t max, rows, n = 0;

	if (i + 1 >= b->n)
		return;
	y = &b->v[i + 1];
	x->paired = true;
	x->first_diff = tui_bytes_first_diff(x->bytes, x->shown, y->bytes, y->shown);
	max = x->shown > y->shown ? x->shown : y->shown;
	rows = (max + PROW - 1) / PROW;
	if (b->markers && x->first_diff >= 0) {
		/* a data line, and under each that differs a marker line */
		x->lines = xreallocarray(NULL, rows * 2 + 1, sizeof(*x->lines));
		for (size_t r = 0; r < rows; r++) {
			x->lines[n++] = (uint32_t)(r * 2);
			if (row_differs(x, y, r))
				x->lines[n++] = (uint32_t)(r * 2 + 1);
		}
	} else {
		n = rows;
	}
	x->nlines = n;
}

/* Lines of blob k (a pair counts as one) and the index of the blob after it. */
static size_t blob_lines(const struct tui_blobs *b, size_t k, size_t *next)
{
	const struct tui_blob *x = &b->v[k];

	if (x->paired) {
		*next = k + 2;
		return 2 + x->nlines + (cut(x) || cut(&b->v[k + 1]));
	}
	*next = k + 1;
	return 1 + (x->shown + ROW - 1) / ROW + cut(x);
}

size_t tui_hex_lines(const struct tui_blobs *b)
{
	size_t n = 0, next;

	for (size_t k = 0; k < b->n; k = next)
		n += blob_lines(b, k, &next);
	return n;
}

static char *hex_bytes(char *p, const struct tui_blob *x, size_t off, size_t count, bool gap)
{
	for (size_t j = 0; j < count; j++) {
		if (gap && j == count / 2)
			*p++ = ' ';
		if (off + j < x->shown)
			p += sprintf(p, "%02x ", x->bytes[off + j]);
		else
			p += sprintf(p, "   ");
	}
	return p;
}

static char *ascii(char *p, const struct tui_blob *x, size_t off, size_t count)
{
	for (size_t j = 0; j < count; j++) {
		uint8_t c = off + j < x->shown ? x->bytes[off + j] : ' ';

		*p++ = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	return p;
}

static void single_line(const struct tui_blob *x, size_t i, char *out)
{
	size_t off = (i - 1) * ROW, len;
	char *p = out;

	if (i == 0) {
		snprintf(out, TUI_HEX_LINE, "%s", x->title);
		return;
	}
	if (off >= x->shown) {
		snprintf(out, TUI_HEX_LINE, "  ... %lld more bytes not stored", (long long)(x->len - (int64_t)x->shown));
		return;
	}
	len = x->shown - off < ROW ? x->shown - off : ROW;
	p += sprintf(p, "%08zx  ", off);
	p = hex_bytes(p, x, off, ROW, true);
	p += sprintf(p, " |");
	p = ascii(p, x, off, len);
	*p++ = '|';
	*p = '\0';
}

static void pair_line(const struct tui_blob *x, const struct tui_blob *y, size_t i, char *out, char *hl)
{
	size_t row, off;
	bool marker = false;
	char *p = out;

	if (i == 0) {
		/* the produced title starts over the produced bytes; both are cut to fit a line */
		snprintf(out, TUI_HEX_LINE, "%-*.*s| %.*s", PSEP + 1, PSEP + 1, x->title, TUI_HEX_LINE - PSEP - 4,
		    y->title);
		return;
	}
	if (i == 1) {
		if (x->first_diff < 0)
			snprintf(out, TUI_HEX_LINE, "the %zu bytes held are equal", x->shown);
		else
			snprintf(out, TUI_HEX_LINE, "first difference at +0x%" PRIx64 " (%" PRId64 ")", (uint64_t)x->first_diff,
			    x->first_diff);
		return;
	}
	i -= 2;
	if (i >= x->nlines) {
		snprintf(out, TUI_HEX_LINE, "  ... not stored: %lld expected, %lld produced bytes",
		    (long long)(x->len - (int64_t)x->shown), (long long)(y->len - (int64_t)y->shown));
		return;
	}
	if (x->lines) {
		row = x->lines[i] / 2;
		marker = x->lines[i] & 1;
	} else {
		row = i;
	}
	off = row * PROW;
	if (marker) {
		memset(out, ' ', PASC2 + PROW);
		out[PSEP + 1] = '|';
		for (size_t j = 0; j < PROW; j++) {
			if (!byte_differs(x, y, off + j))
				continue;
			out[PHEX + 3 * j] = out[PHEX + 3 * j + 1] = out[PASC + j] = '^';
			out[PHEX2 + 3 * j] = out[PHEX2 + 3 * j + 1] = out[PASC2 + j] = '^';
		}
		p = out + PASC2 + PROW;
		while (p > out && p[-1] == ' ')
			p--;
		*p = '\0';
		return;
	}
	p += sprintf(p, "%08zx  ", off);
	p = hex_bytes(p, x, off, PROW, false);
	p = ascii(p, x, off, PROW);
	p += sprintf(p, " | ");
	p = hex_bytes(p, y, off, PROW, false);
	p = ascii(p, y, off, PROW);
	*p = '\0';
	if (hl == NULL)
		return;
	for (size_t j = 0; j < PROW; j++) {
		if (!byte_differs(x, y, off + j))
			continue;
		hl[PHEX + 3 * j] = hl[PHEX + 3 * j + 1] = hl[PASC + j] = 1;
		hl[PHEX2 + 3 * j] = hl[PHEX2 + 3 * j + 1] = hl[PASC2 + j] = 1;
	}
}

void tui_hex_line(const struct tui_blobs *b, size_t i, char *out, char *hl)
{
	size_t next;

	out[0] = '\0';
	if (hl)
		memset(hl, 0, TUI_HEX_LINE);
	for (size_t k = 0; k < b->n; k = next) {
		size_t n = blob_lines(b, k, &next);

		if (i >= n) {
			i -= n;
			continue;
		}
		if (b->v[k].paired)
			pair_line(&b->v[k], &b->v[k + 1], i, out, hl);
		else
			single_line(&b->v[k], i, out);
		return;
	}
}
