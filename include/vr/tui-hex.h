/* tui-hex.h -- the browser's hex pane: byte strings as dump lines, expected and produced side by side */
#ifndef VR_TUI_HEX_H
#define VR_TUI_HEX_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A blob is dumped 16 bytes a line with ASCII. An expected blob followed by
 * the produced one it is compared with (tui_blobs_pair) is dumped as one
 * unit, 8 bytes of each a line side by side, so a difference reads across:
 * the renderer marks the columns of differing bytes in a highlight mask,
 * and with markers on (a terminal without colour) adds a line of '^' under
 * each line that has a difference.
 */

struct tui_blob {
	char title[160];
	uint8_t *bytes;
	size_t shown;		/* bytes held */
	int64_t len;		/* real length (a stored blob may be cut) */
	bool paired;		/* the next blob is the produced counterpart of this one */
	int64_t first_diff;	/* paired: the first differing offset, -1 if the bytes held are equal */
	uint32_t *lines;	/* paired with markers: line -> row * 2 + (1 if a marker line) */
	size_t nlines;		/* paired: lines after the title */
};
struct tui_blobs {
	struct tui_blob *v;
	size_t n;
	bool markers;		/* '^' lines under differences (kept by tui_blobs_clear) */
};

#define TUI_HEX_LINE	168	/* bytes for one rendered hex pane line */

void tui_blobs_clear(struct tui_blobs *b);
/* Compare blob i (expected) with blob i + 1 (produced) and dump them as a pair. */
void tui_blobs_pair(struct tui_blobs *b, size_t i);
/* The first offset where a and b differ (a shorter string differs where it ends), -1 if equal. */
int64_t tui_bytes_first_diff(const uint8_t *a, size_t na, const uint8_t *b, size_t nb);
/* The hex pane as lines: per blob (or pair) its title, then the dump. */
size_t tui_hex_lines(const struct tui_blobs *b);
/*
 * Render line i (< tui_hex_lines) into out (TUI_HEX_LINE bytes). hl, if not
 * NULL (TUI_HEX_LINE bytes), gets 1 for each column showing a differing byte.
 */
void tui_hex_line(const struct tui_blobs *b, size_t i, char *out, char *hl);

#endif
