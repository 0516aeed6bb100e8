/* hexdump.h -- canonical hex dumps (offset, 16 bytes of hex, ASCII) and hex parsing */
#ifndef VR_HEXDUMP_H
#define VR_HEXDUMP_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "vr/buf.h"

/*
 * Append a dump of n bytes to b, one line per 16 bytes:
 *   "<indent>0000  00 11 22 33 44 55 66 77  88 99 aa bb cc dd ee ff  |.."3DUfw........|\n"
 * base is added to the printed offsets. max caps the bytes shown (0 = all);
 * a cut is noted as "<indent>... N more bytes not shown\n".
 */
void hexdump_buf(struct buf *b, const char *indent, const uint8_t *p, size_t n, uint64_t base, size_t max);
void hexdump_file(FILE *f, const char *indent, const uint8_t *p, size_t n, uint64_t base, size_t max);

/* Two dumps side by side (expected | produced), marking differing lines with '*'. */
void hexdump_diff(struct buf *b, const char *indent, const uint8_t *a, size_t alen, const uint8_t *c, size_t clen, uint64_t base, size_t max);

/* Value of one hex digit, or -1. */
int hex_digit(int ch);
/*
 * Parse hex pairs from s (n chars, whitespace between pairs allowed) into out
 * (capacity cap). Returns the byte count, or -1 on an odd digit count, a
 * non-hex character or overflow of cap.
 */
long hex_parse(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
