/* trace-text.c -- the .vrt text trace format: streaming line parser and canonical writer */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/cause.h"
#include "vr/xmalloc.h"
#include "trace-int.h"
#include "trace-text-int.h"

/* The longest line: a maximal payload in hex plus the keyword and numbers. */
#define TEXT_MAX_LINE	(2 * (size_t)TRACE_MAX_PAYLOAD + 4096)
#define TEXT_BUF_INIT	(256u << 10)

struct text_reader {
	int fd;
	int seekable;
	uint8_t *buf;
	size_t cap;
	size_t start;		/* first unconsumed byte */
	size_t end;		/* end of buffered data */
	size_t scanned;		/* bytes after start known to hold no newline */
	uint64_t buf_off;	/* file offset of buf[0] */
	int eof;
	uint64_t line_no;	/* of the line last returned */
	uint64_t line_off;
	uint64_t events_off;	/* where the first event line starts (for rewinding) */
	uint64_t events_line;
	uint8_t *payload;
	size_t payload_cap;
	char *err;		/* a line-level problem, reported by the caller */
};

/* ---- line input ---- */

/*
 * Next line into line and n (without the newline). 1: a line; 0: end of file;
 * -1: error with tr->err set (I/O error or overlong line).
 */
static int get_line(struct text_reader *tr, const uint8_t **line, size_t *n)
{
	for (;;) {
		uint8_t *nl = memchr(tr->buf + tr->start + tr->scanned, '\n',
		    tr->end - tr->start - tr->scanned);
		ssize_t got;

		if (nl != NULL) {
			size_t len = (size_t)(nl - (tr->buf + tr->start));
			if (len > TEXT_MAX_LINE)
				break;
			*line = tr->buf + tr->start;
			/* CRLF files from hand editing: the CR never carries meaning. */
			*n = len > 0 && nl[-1] == '\r' ? len - 1 : len;
			tr->line_off = tr->buf_off + tr->start;
			tr->line_no++;
			tr->start += len + 1;
			tr->scanned = 0;
			return 1;
		}
		tr->scanned = tr->end - tr->start;
		if (tr->scanned > TEXT_MAX_LINE)
			break;
		if (tr->eof) {
			if (tr->start == tr->end)
				return 0;
			/* Writers end every line; a missing newline means a cut file. */
			tr->line_off = tr->buf_off + tr->start;
			tr->line_no++;
			xasprintf(&tr->err, "trace is truncated: the last line has no newline");
			return -1;
		}
		if (tr->start > 0) {
			memmove(tr->buf, tr->buf + tr->start, tr->end - tr->start);
			tr->buf_off += tr->start;
			tr->end -= tr->start;
			tr->start = 0;
		}
		if (tr->end == tr->cap) {
			tr->cap *= 2;
			if (tr->cap > TEXT_MAX_LINE + 2)
				tr->cap = TEXT_MAX_LINE + 2;
			tr->buf = xrealloc(tr->buf, tr->cap);
		}
		do
			got = read(tr->fd, tr->buf + tr->end, tr->cap - tr->end);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			tr->line_off = tr->buf_off + tr->start;
			xasprintf(&tr->err, "read error: %s", strerror(errno));
			return -1;
		}
		if (got == 0)
			tr->eof = 1;
		tr->end += (size_t)got;
	}
	tr->line_off = tr->buf_off + tr->start;
	tr->line_no++;
	xasprintf(&tr->err, "line longer than %zu bytes", (size_t)TEXT_MAX_LINE);
	return -1;
}

/* Payload of an event: decoded into the reader's payload buffer. */
static int payload(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	size_t want = (size_t)(lx->end - lx->p) / 2 + 1, len;

	if (want > TRACE_MAX_PAYLOAD)
		want = TRACE_MAX_PAYLOAD;
	if (want > tr->payload_cap) {
		free(tr->payload);
		tr->payload_cap = want < 4096 ? 4096 : want;
		tr->payload = xmalloc(tr->payload_cap);
	}
	if (lex_hex_bytes(lx, tr->payload, want, &len) != 0)
		return -1;
	ev->data = tr->payload;
	ev->len = (uint32_t)len;
	return 0;
}

/* ---- events ---- */

static const char *const rw_names[] = { "r", "w" };
static const char *const irq_names[] = { [TRACE_IRQ_MSIX] = "msix", [TRACE_IRQ_INTX] = "intx" };

static int ev_access(struct text_reader *tr, struct lex *lx, struct trace_event *ev, int bar)
{
	char show[32];
	uint64_t v;
	int w = lex_word(lx, "direction (r or w)", rw_names, 2);

	(void)tr;
	if (w < 0)
		return -1;
	if (bar) {
		ev->kind = w ? TRACE_BAR_WRITE : TRACE_BAR_READ;
		if (lex_num(lx, "BAR number", 5, &v) != 0)
			return -1;
		ev->space = (uint8_t)v;
		if (lex_num(lx, "offset", UINT64_MAX, &ev->addr) != 0)
			return -1;
	} else {
		ev->kind = w ? TRACE_CFG_WRITE : TRACE_CFG_READ;
		if (lex_num(lx, "offset", 0xfff, &ev->addr) != 0)
			return -1;
	}
	if (lex_num(lx, "size", 8, &v) != 0)
		return -1;
	ev->size = (uint8_t)v;
	if (w) {
		if (lex_num(lx, "value", UINT64_MAX, &ev->value) != 0)
			return -1;
		ev->has_value = 1;
	} else {
		size_t n;
		const uint8_t *t = lex_token(lx, &n);
		if (n != 0) {
			if (!lex_tok_is(t, n, "="))
				return lex_fail(lx, "expected '=' before the recorded value, got '%s'",
				    lex_tok_show(t, n, show));
			if (lex_num(lx, "value", UINT64_MAX, &ev->value) != 0)
				return -1;
			ev->has_value = 1;
		}
	}
	return lex_end_of_line(lx);
}

static int ev_cfg(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	return ev_access(tr, lx, ev, 0);
}

static int ev_bar(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	return ev_access(tr, lx, ev, 1);
}

static int ev_memdma(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	if (lex_num(lx, "address", UINT64_MAX, &ev->addr) != 0)
		return -1;
	return payload(tr, lx, ev);
}

static int ev_mem(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_MEM;
	return ev_memdma(tr, lx, ev);
}

static int ev_dma(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_DMA;
	return ev_memdma(tr, lx, ev);
}

static int ev_memread(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_MEM_READ;
	return ev_memdma(tr, lx, ev);
}

static int ev_irq(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	int t = lex_word(lx, "interrupt type (msix or intx)", irq_names, 2);

	(void)tr;
	if (t < 0)
		return -1;
	ev->kind = TRACE_IRQ;
	ev->space = (uint8_t)t;
	ev->has_value = 1;
	if (lex_num(lx, t == TRACE_IRQ_MSIX ? "vector" : "level", t == TRACE_IRQ_MSIX ? 2047 : 1, &ev->value) != 0)
		return -1;
	return lex_end_of_line(lx);
}

static int ev_input(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	static const char *const names[TRACE_INPUT_COUNT] = {
		"frame", "entropy", "disk", "console", "event",
	};
	int t = lex_word(lx, "input type", names, TRACE_INPUT_COUNT);

	if (t < 0)
		return -1;
	ev->kind = TRACE_INPUT;
	ev->space = (uint8_t)t;
	if (lex_num(lx, "input address", UINT64_MAX, &ev->addr) != 0)
		return -1;
	return payload(tr, lx, ev);
}

static int ev_checkpoint(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	ev->kind = TRACE_CHECKPOINT;
	return payload(tr, lx, ev);
}

static int ev_mark(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	const uint8_t *t;
	size_t n;

	(void)tr;
	lex_rest_text(lx, &t, &n);
	if (!trace_text_chars_ok(t, n))
		return lex_fail(lx, "control character in mark text");
	if (n > TRACE_MAX_PAYLOAD)
		return lex_fail(lx, "mark text longer than 16 MiB");
	ev->kind = TRACE_MARK;
	ev->data = t;
	ev->len = (uint32_t)n;
	return 0;
}

static int ev_time(struct text_reader *tr, struct lex *lx, struct trace_event *ev)
{
	(void)tr;
	ev->kind = TRACE_TIME;
	ev->has_value = 1;
	if (lex_num(lx, "time", UINT64_MAX, &ev->value) != 0)
		return -1;
	return lex_end_of_line(lx);
}

static const struct {
	const char *name;
	int (*parse)(struct text_reader *, struct lex *, struct trace_event *);
} event_words[] = {
	{ "bar", ev_bar },
	{ "mem", ev_mem },
	{ "dma", ev_dma },
	{ "cfg", ev_cfg },
	{ "irq", ev_irq },
	{ "time", ev_time },
	{ "input", ev_input },
	{ "mark", ev_mark },
	{ "checkpoint", ev_checkpoint },
	{ "mem-read", ev_memread },
};

/* ---- reader ---- */

static int text_fail(struct trace_reader *r, char **cause, int header, char *msg)
{
	struct text_reader *tr = r->priv;

	r->ev_off = tr->line_off;
	if (header && tr->line_no == 0)
		cause_set(cause, "%s: header (offset 0x%llx): %s", r->path,
		    (unsigned long long)tr->line_off, msg);
	else if (header)
		cause_set(cause, "%s: header (offset 0x%llx): line %llu: %s", r->path,
		    (unsigned long long)tr->line_off, (unsigned long long)tr->line_no, msg);
	else
		cause_set(cause, "%s: event %llu (offset 0x%llx): line %llu: %s", r->path,
		    (unsigned long long)r->next_no, (unsigned long long)tr->line_off,
		    (unsigned long long)tr->line_no, msg);
	free(msg);
	tr->err = NULL;
	return -1;
}

static int lookup_event(const uint8_t *t, size_t n)
{
	for (size_t i = 0; i < sizeof event_words / sizeof event_words[0]; i++)
		if (lex_tok_is(t, n, event_words[i].name))
			return (int)i;
	return -1;
}

static int text_read(struct trace_reader *r, struct trace_event *ev, char **cause)
{
	struct text_reader *tr = r->priv;
	const uint8_t *line, *t;
	size_t n;
	int rc, k;

	for (;;) {
		struct lex lx;
		char show[32];

		rc = get_line(tr, &line, &n);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return text_fail(r, cause, 0, tr->err);
		lx.p = line;
		lx.end = line + n;
		lx.err = &tr->err;
		lx.line = line;
		t = lex_token(&lx, &n);
		if (n == 0)
			continue;
		memset(ev, 0, sizeof *ev);
		if ((k = lookup_event(t, n)) < 0) {
			for (int h = 0; h < H_COUNT; h++)
				if (lex_tok_is(t, n, header_words[h]))
					return text_fail(r, cause, 0, xstrdup("header line after the first event"));
			lex_fail(&lx, "unknown event kind '%s'", lex_tok_show(t, n, show));
			return text_fail(r, cause, 0, tr->err);
		}
		if (event_words[k].parse(tr, &lx, ev) != 0)
			return text_fail(r, cause, 0, tr->err);
		if (ev->len > TRACE_MAX_PAYLOAD)
			return text_fail(r, cause, 0, xstrdup("payload larger than 16 MiB"));
		{
			const char *why = trace_event_invalid(ev);
			if (why != NULL)
				return text_fail(r, cause, 0, xstrdup(why));
		}
		r->ev_off = tr->line_off;
		r->info.raw += (uint64_t)(lx.end - line) + 1;
		return 1;
	}
}

static void text_rewind_state(struct text_reader *tr, uint64_t off, uint64_t line)
{
	tr->start = tr->end = tr->scanned = 0;
	tr->buf_off = off;
	tr->eof = 0;
	tr->line_no = line;
}

static int text_seek(struct trace_reader *r, uint64_t n, char **cause)
{
	struct text_reader *tr = r->priv;
	struct trace_event ev;
	int rc;

	if (n < r->next_no) {
		if (!tr->seekable || lseek(tr->fd, (off_t)tr->events_off, SEEK_SET) < 0)
			return cause_set(cause, "%s: cannot seek back to event %llu (not a regular file)",
			    r->path, (unsigned long long)n);
		text_rewind_state(tr, tr->events_off, tr->events_line);
		r->next_no = 0;
	}
	while (r->next_no < n) {
		rc = trace_read(r, &ev, cause);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return cause_set(cause, "%s: event %llu is beyond the end (the trace has %llu events)",
			    r->path, (unsigned long long)n, (unsigned long long)r->next_no);
	}
	return 0;
}

static void text_close(struct trace_reader *r)
{
	struct text_reader *tr = r->priv;

	if (tr == NULL)
		return;
	if (tr->fd != STDIN_FILENO)
		close(tr->fd);
	free(tr->buf);
	free(tr->payload);
	free(tr->err);
	free(tr);
}

static const struct trace_reader_ops text_reader_ops = {
	.read = text_read,
	.seek = text_seek,
	.close = text_close,
};

int trace_text_open(struct trace_reader *r, int fd, const uint8_t *pre, size_t prelen, char **cause)
{
	struct text_reader *tr = xcalloc(1, sizeof *tr);
	struct stat st;
	unsigned seen = 0;
	const uint8_t *line, *t;
	size_t n;
	int rc;
	char *why = NULL;

	tr->fd = fd;
	tr->seekable = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (tr->seekable)
		r->info.file_size = (uint64_t)st.st_size;
	tr->cap = TEXT_BUF_INIT;
	tr->buf = xmalloc(tr->cap);
	memcpy(tr->buf, pre, prelen);
	tr->end = prelen;
	r->priv = tr;
	r->ops = &text_reader_ops;
	for (;;) {
		struct lex lx;
		char show[32];
		int h;

		rc = get_line(tr, &line, &n);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			break;
		lx.p = line;
		lx.end = line + n;
		lx.err = &tr->err;
		lx.line = line;
		t = lex_token(&lx, &n);
		if (n == 0)
			continue;
		for (h = 0; h < H_COUNT; h++)
			if (lex_tok_is(t, n, header_words[h]))
				break;
		if (!(seen & (1u << H_VRT))) {
			uint64_t v;
			if (h != H_VRT) {
				lex_fail(&lx, "not a virtio-replay trace (expected 'vrt 1' first)");
				goto fail;
			}
			if (lex_num(&lx, "version", UINT64_MAX, &v) != 0 || lex_end_of_line(&lx) != 0)
				goto fail;
			if (v != TRACE_VERSION) {
				lex_fail(&lx, "unsupported trace version %llu (this program reads %u)",
				    (unsigned long long)v, TRACE_VERSION);
				goto fail;
			}
			seen |= 1u << H_VRT;
			continue;
		}
		if (h == H_END) {
			if (lex_end_of_line(&lx) != 0)
				goto fail;
			break;
		}
		if (h == H_COUNT) {
			if (lookup_event(t, n) < 0) {
				lex_fail(&lx, "unknown header line '%s'", lex_tok_show(t, n, show));
				goto fail;
			}
			/* The first event: give the line back. */
			tr->start = (size_t)(tr->line_off - tr->buf_off);
			tr->scanned = 0;
			tr->line_no--;
			break;
		}
		if (h == H_VRT) {
			lex_fail(&lx, "'vrt' given twice");
			goto fail;
		}
		if (header_line(&lx, h, &r->hdr, &seen) != 0)
			goto fail;
	}
	if (!(seen & (1u << H_VRT))) {
		tr->line_off = tr->buf_off + tr->start;
		xasprintf(&tr->err, "no 'vrt 1' line: not a virtio-replay trace");
		goto fail;
	}
	if (!(seen & (1u << H_DEVICE))) {
		cause_set(cause, "%s: header: no 'device' line", r->path);
		text_close(r);
		r->priv = NULL;
		return -1;
	}
	tr->events_off = tr->buf_off + tr->start;
	tr->events_line = tr->line_no;
	r->ev_off = tr->events_off;
	if (trace_header_check(&r->hdr, &why) != 0) {
		cause_set(cause, "%s: header: %s", r->path, why);
		free(why);
		text_close(r);
		r->priv = NULL;
		return -1;
	}
	return 0;
fail:
	text_fail(r, cause, 1, tr->err);
	text_close(r);
	r->priv = NULL;
	return -1;
}

/* ---- writer ---- */

struct text_writer {
	FILE *f;
	struct buf line;
};

static int text_flush(struct trace_writer *w, struct text_writer *tw, char **cause)
{
	if (tw->line.len > 0 && fwrite(tw->line.data, 1, tw->line.len, tw->f) != tw->line.len)
		return cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_reset(&tw->line);
	return 0;
}

static int text_write(struct trace_writer *w, const struct trace_event *ev, char **cause)
{
	struct text_writer *tw = w->priv;

	trace_event_text(&tw->line, ev);
	buf_add_u8(&tw->line, '\n');
	if (tw->line.len >= (64u << 10))
		return text_flush(w, tw, cause);
	return 0;
}

static int text_wclose(struct trace_writer *w, char **cause)
{
	struct text_writer *tw = w->priv;
	int rc = text_flush(w, tw, cause);

	if (fflush(tw->f) != 0 || ferror(tw->f))
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	if (tw->f != stdout && fclose(tw->f) != 0)
		rc = cause_set(cause, "%s: write error: %s", w->path, strerror(errno));
	buf_release(&tw->line);
	free(tw);
	return rc;
}

static const struct trace_writer_ops text_writer_ops = {
	.write = text_write,
	.close = text_wclose,
};

int trace_text_writer_open(struct trace_writer *w, FILE *f, char **cause)
{
	struct text_writer *tw = xcalloc(1, sizeof *tw);

	(void)cause;
	tw->f = f;
	buf_init(&tw->line);
	trace_header_text(&tw->line, &w->hdr);
	w->priv = tw;
	w->ops = &text_writer_ops;
	return 0;
}
