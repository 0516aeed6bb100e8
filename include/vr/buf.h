/* buf.h -- growable byte buffer (for building blobs, lines and messages) */
#ifndef VR_BUF_H
#define VR_BUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_release(struct buf *b);            /* frees storage; b may be reused after buf_init */
void buf_reset(struct buf *b);              /* len = 0, keeps storage */
void buf_reserve(struct buf *b, size_t extra);
void buf_add_le16(struct buf *b, uint16_t v);
void buf_add_le32(struct buf *b, uint32_t v);
void buf_add_le64(struct buf *b, uint64_t v);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_add_hex(struct buf *b, const uint8_t *p, size_t n);   /* lowercase, no separators */

/*
 * Appends, inline: the log sink makes several per trace event, and a call
 * into buf.c for each cost more than the copy (room for buf_str's NUL kept).
 */
static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n >= b->cap)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void buf_add_u8(struct buf *b, uint8_t v)
{
	if (b->len + 1 >= b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = v;
}

/* Printf-free formatting for hot paths (log lines): a C string, "%" PRIu64, and "%0*" PRIx64 (width 1..16). */
static inline void buf_add_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}
void buf_add_dec(struct buf *b, uint64_t v);
void buf_add_hexnum(struct buf *b, uint64_t v, unsigned width);
const char *buf_str(struct buf *b);
/*
 * Make s one printable line in place: control bytes (below 0x20, and DEL)
 * become '?', and with ascii also every byte from 0x80 up. For names and
 * text a trace or file brings into a message, a mark or an annotation.
 */
char *buf_one_line(char *s, bool ascii);
/*
 * Append s as a JSON string literal (quotes, escapes; NULL is written as "").
 * The result is valid UTF-8 whatever s holds: well-formed UTF-8 is copied,
 * control characters and DEL become \u00XX, and every byte that is not part of
 * a well-formed sequence becomes \u00XX of its own value (U+0080..U+00FF).
 */
void buf_add_json_string(struct buf *b, const char *s);

/*
 * Bounded reader over a byte blob, for checkpoints and binary records: every
 * get checks the remaining length; after the first failure `err` stays set
 * and all gets return 0, so a decoder checks once at the end.
 */
struct cursor {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;
};
void cursor_init(struct cursor *c, const void *p, size_t len);
uint8_t cursor_u8(struct cursor *c);
uint16_t cursor_le16(struct cursor *c);
uint32_t cursor_le32(struct cursor *c);
uint64_t cursor_le64(struct cursor *c);
const uint8_t *cursor_bytes(struct cursor *c, size_t n);   /* NULL (and err) if short */
int cursor_get(struct cursor *c, void *dst, size_t n);     /* 0 / -1 */

#endif
