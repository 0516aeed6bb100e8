/* trace-text-int.h -- the .vrt text reader's lexer and header lines, shared by trace-text*.c */
#ifndef VR_TRACE_TEXT_INT_H
#define VR_TRACE_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "trace-int.h"

/* A line being taken apart: errors go to *err (the first one wins), columns count from line. */
struct lex {
	const uint8_t *p;
	const uint8_t *end;
	char **err;
	const uint8_t *line;	/* for column numbers */
};

int lex_fail(struct lex *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lex_is_ws(uint8_t c);
void lex_skip_ws(struct lex *lx);
const uint8_t *lex_token(struct lex *lx, size_t *n);
int lex_tok_is(const uint8_t *t, size_t n, const char *s);
const char *lex_tok_show(const uint8_t *t, size_t n, char out[32]);
int lex_parse_u64(const uint8_t *t, size_t n, uint64_t *out);
int lex_num(struct lex *lx, const char *what, uint64_t max, uint64_t *out);
int lex_word(struct lex *lx, const char *what, const char *const *names, int count);
int lex_end_of_line(struct lex *lx);
int lex_hex_bytes(struct lex *lx, uint8_t *out, size_t cap, size_t *len);
void lex_rest_text(struct lex *lx, const uint8_t **t, size_t *n);

/* the header lines (trace-text-header.c) */
enum {
	H_VRT, H_DEVICE, H_LAYOUT, H_FEATURES, H_RECORDED, H_QUEUES, H_DEVCFG, H_RAM, H_BACKEND, H_TITLE,
	H_PCI_CLASS, H_PCI_REVISION, H_PCI_SUBSYS, H_MSIX, H_SERIAL, H_REQUESTS, H_TRANSPORT, H_DISCARD, H_WCACHE,
	H_UNASSIGNED, H_ROM, H_END, H_COUNT
};
extern const char *const header_words[H_COUNT];
int header_line(struct lex *lx, int which, struct trace_header *h, unsigned *seen);

#endif
