/* sink-log.c -- the inspection log: register accesses, transactions with hex dumps, anomalies, deterministic text */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/hexdump.h"
#include "vr/sink-log.h"
#include "vr/xmalloc.h"

struct sink_log {
	FILE *f;
	bool own;		/* fclose at the end */
	char *path;
	size_t max;		/* bytes per dump, 0 = all */
	struct buf b;		/* text of the events since the last write */
	int werr;		/* errno of the first failed write, 0 if none */
};

/*
 * Events' text accumulates in b and goes out in writes of about this size:
 * one stdio call per event line cost more than the replay itself.
 */
#define LOG_FLUSH_AT	(256u * 1024)

static void put_str(struct buf *b, const char *s)
{
	buf_add_str(b, s);
}

/* "#N " (event number prefix of most lines) */
static void put_event(struct buf *b, uint64_t event_no)
{
	buf_add_u8(b, '#');
	buf_add_dec(b, event_no);
	buf_add_u8(b, ' ');
}

/* Print a possibly absent string; the log never shows "(null)". */
static const char *str(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static void hex_value(struct buf *b, uint64_t v, unsigned size)
{
	unsigned w = size >= 1 && size <= 8 ? size * 2 : 1;

	buf_add(b, "0x", 2);
	buf_add_hexnum(b, v, w);
}

/*
 * Dump `shown` bytes of a buffer whose real size is `len`: at most max
 * bytes; a cut, by the cap or by the emitter, is noted with the true count.
 */
static void dump(struct sink_log *l, const char *indent, const uint8_t *p, uint32_t shown, uint32_t len)
{
	size_t n = p ? shown : 0;

	if (n > len)
		n = len;
	if (l->max && n > l->max)
		n = l->max;
	hexdump_buf(&l->b, indent, p, n, 0, 0);
	if (n < len) {		/* most dumps of a big transfer end so: no printf */
		put_str(&l->b, indent);
		put_str(&l->b, "... ");
		buf_add_dec(&l->b, len - n);
		put_str(&l->b, len - n == 1 ? " more byte not shown\n" : " more bytes not shown\n");
	}
}

/* Short payloads on the line itself, longer ones as a dump below it. */
static void inline_or_dump(struct sink_log *l, const uint8_t *p, uint32_t len)
{
	if (p == NULL || len == 0) {
		buf_add_u8(&l->b, '\n');
		return;
	}
	if (len <= 16) {
		static const char hex[] = "0123456789abcdef";
		char line[1 + 16 * 3 + 1];
		size_t k = 0;

		line[k++] = ':';
		for (uint32_t i = 0; i < len; i++) {
			line[k++] = ' ';
			line[k++] = hex[p[i] >> 4];
			line[k++] = hex[p[i] & 15];
		}
		line[k++] = '\n';
		buf_add(&l->b, line, k);
		return;
	}
	buf_add_u8(&l->b, '\n');
	dump(l, "    ", p, len, len);
}

static void ev_run_begin(struct sink_log *l, const struct vr_ev_run *r)
{
	struct buf *b = &l->b;

	put_str(b, "== run begin\n");
	buf_printf(b, "trace     %s\n", str(r->trace_path, "-"));
	buf_printf(b, "sha256    %s\n", str(r->trace_sha256, "-"));
	buf_printf(b, "device    %s\n", str(r->device, "-"));
	buf_printf(b, "layout    %s\n", str(r->layout, "-"));
	buf_printf(b, "version   %s\n", str(r->version, "-"));
	buf_printf(b, "options   %s\n", str(r->options, "-"));
	buf_printf(b, "offered   0x%016" PRIx64 "\n", r->features);
}

static void ev_run_end(struct sink_log *l, const struct vr_ev_run *r)
{
	buf_printf(&l->b, "== run end: %s, %s, %" PRIu64 " events, %" PRIu64 " divergence%s, %" PRIu64
	    " violation%s, negotiated 0x%016" PRIx64 "\n",
	    str(r->outcome, "unknown"), r->complete ? "complete" : "incomplete", r->events,
	    r->divergences, r->divergences == 1 ? "" : "s", r->violations, r->violations == 1 ? "" : "s",
	    r->features);
}

/*
 * Raw trace events other than cfg/bar accesses (those appear as the device's
 * decoded ACCESS line). The trace's kinds arrive by name: this layer does not
 * include the trace reader.
 */
static void tr_mark(struct sink_log *l, const struct vr_ev_trace *t)
{
	put_str(&l->b, " \"");
	for (uint32_t i = 0; t->data && i < t->len; i++) {
		uint8_t c = t->data[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf_add_u8(&l->b, c);
		else
			buf_printf(&l->b, "\\x%02x", c);
	}
	put_str(&l->b, "\"\n");
}

static void tr_time(struct sink_log *l, const struct vr_ev_trace *t)
{
	buf_printf(&l->b, " %" PRIu64 "ns\n", t->value);
}

/* Device state blob: its size says enough, the bytes would drown the log. */
static void tr_checkpoint(struct sink_log *l, const struct vr_ev_trace *t)
{
	buf_printf(&l->b, " len %" PRIu32 "\n", t->len);
}

static void tr_bytes(struct sink_log *l, const struct vr_ev_trace *t)
{
	put_str(&l->b, " addr 0x");
	buf_add_hexnum(&l->b, t->addr, 1);
	put_str(&l->b, " len ");
	buf_add_dec(&l->b, t->len);
	inline_or_dump(l, t->data, t->len);
}

static void tr_irq(struct sink_log *l, const struct vr_ev_trace *t)
{
	/* space: 0 MSI-X (value = vector), 1 INTx (value = level), as in virtio-replay-trace(5) */
	put_str(&l->b, t->space == 0 ? " msix vector " : " intx level ");
	buf_add_dec(&l->b, t->value);
	buf_add_u8(&l->b, '\n');
}

static void tr_input(struct sink_log *l, const struct vr_ev_trace *t)
{
	static const char *const types[] = { "frame", "entropy", "disk", "console", "event" };

	if (t->space < sizeof(types) / sizeof(types[0]))
		buf_printf(&l->b, " %s", types[t->space]);
	else
		buf_printf(&l->b, " type %u", t->space);
	tr_bytes(l, t);
}

static void tr_other(struct sink_log *l, const struct vr_ev_trace *t)
{
	buf_printf(&l->b, " space %u addr 0x%" PRIx64, t->space, t->addr);
	if (t->has_value)
		buf_printf(&l->b, " value 0x%" PRIx64, t->value);
	if (t->data || t->len)
		buf_printf(&l->b, " len %" PRIu32, t->len);
	inline_or_dump(l, t->data, t->len);
}

static const struct {
	const char *kind;
	const char *label;	/* expected outputs say so, next to what the device produced */
	void (*fn)(struct sink_log *, const struct vr_ev_trace *);
} trace_kinds[] = {
	{ "mem", "mem", tr_bytes },
	{ "dma", "recorded dma", tr_bytes },
	{ "irq", "recorded irq", tr_irq },
	{ "input", "input", tr_input },
	{ "checkpoint", "checkpoint", tr_checkpoint },
	{ "mark", "mark", tr_mark },
	{ "time", "time", tr_time },
};

static void ev_trace(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_trace *t = &ev->u.trace;
	const char *kn = str(t->kind_name, "?");

	if (strncmp(kn, "cfg-", 4) == 0 || strncmp(kn, "bar-", 4) == 0)
		return;
	for (size_t i = 0; i < sizeof(trace_kinds) / sizeof(trace_kinds[0]); i++) {
		if (strcmp(kn, trace_kinds[i].kind) == 0) {
			put_event(&l->b, ev->event_no);
			put_str(&l->b, trace_kinds[i].label);
			trace_kinds[i].fn(l, t);
			return;
		}
	}
	buf_printf(&l->b, "#%" PRIu64 " %s", ev->event_no, kn);
	tr_other(l, t);
}

static void ev_access(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_access *a = &ev->u.access;
	struct buf *b = &l->b;

	put_event(b, ev->event_no);
	if (a->cfg) {
		put_str(b, "cfg");
	} else {
		put_str(b, "bar");
		buf_add_dec(b, a->bar);
	}
	put_str(b, "+0x");
	buf_add_hexnum(b, a->offset, 4);
	buf_add_u8(b, ' ');
	put_str(b, str(a->reg, "?"));
	put_str(b, a->write ? " <- " : " -> ");
	hex_value(b, a->value, a->size);
	buf_add_u8(b, '\n');
}

static void desc_flags(struct buf *b, uint16_t flags)
{
	static const char *const names[] = { "NEXT", "WRITE", "INDIRECT" };
	bool any = false;

	for (unsigned i = 0; i < 3; i++) {
		if (flags & (1u << i)) {
			if (any)
				buf_add_u8(b, '|');
			put_str(b, names[i]);
			any = true;
		}
	}
	if (flags & ~7u) {
		put_str(b, any ? "|0x" : "0x");
		buf_add_hexnum(b, flags & ~7u, 1);
	} else if (!any)
		put_str(b, "-");
}

static void ev_txn(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_txn *t = &ev->u.txn;
	struct buf *b = &l->b;

	put_event(b, ev->event_no);
	put_str(b, "txn ");
	put_str(b, str(t->queue_name, "queue"));
	buf_add_u8(b, '(');
	buf_add_dec(b, t->queue);
	put_str(b, ") head ");
	buf_add_dec(b, t->head);
	put_str(b, ": ");
	put_str(b, str(t->device, "?"));
	buf_add_u8(b, ' ');
	put_str(b, str(t->type, "?"));
	if (t->fields && *t->fields) {
		buf_add_u8(b, ' ');
		put_str(b, t->fields);
	}
	if (t->status && *t->status) {
		put_str(b, " status=");
		put_str(b, t->status);
	}
	put_str(b, "\n    from #");
	buf_add_dec(b, t->first_event);
	put_str(b, ", ");
	buf_add_dec(b, t->ndesc);
	put_str(b, t->ndesc == 1 ? " descriptor, out " : " descriptors, out ");
	buf_add_dec(b, t->out_len);
	put_str(b, ", in ");
	buf_add_dec(b, t->in_len);
	put_str(b, ", used len ");
	buf_add_dec(b, t->used_len);
	buf_add_u8(b, '\n');
	for (unsigned i = 0; t->desc && i < t->ndesc; i++) {
		const struct vr_desc *d = &t->desc[i];

		put_str(b, "    desc ");
		buf_add_dec(b, d->index);
		put_str(b, d->indirect ? " (indirect) addr 0x" : " addr 0x");
		buf_add_hexnum(b, d->addr, 16);
		put_str(b, " len ");
		buf_add_dec(b, d->len);
		buf_add_u8(b, ' ');
		desc_flags(b, d->flags);
		if (d->flags & 1) {
			put_str(b, " next ");
			buf_add_dec(b, d->next);
		}
		buf_add_u8(b, '\n');
	}
	for (int dir = 0; dir < 2; dir++) {
		uint32_t len = dir ? t->in_len : t->out_len;

		if (len == 0)
			continue;
		put_str(b, dir ? "    in " : "    out ");
		buf_add_dec(b, len);
		put_str(b, len == 1 ? " byte:\n" : " bytes:\n");
		dump(l, "      ", dir ? t->in : t->out, dir ? t->in_shown : t->out_shown, len);
	}
}

static void ev_dma(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_dma *d = &ev->u.dma;

	put_event(&l->b, ev->event_no);
	put_str(&l->b, "dma ");
	put_str(&l->b, str(d->what, "?"));
	put_str(&l->b, " addr 0x");
	buf_add_hexnum(&l->b, d->addr, 1);
	put_str(&l->b, " len ");
	buf_add_dec(&l->b, d->len);
	inline_or_dump(l, d->data, d->len);
}

static void ev_irq(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_irq *q = &ev->u.irq;

	if (q->msix) {
		put_event(&l->b, ev->event_no);
		put_str(&l->b, "irq msix vector ");
		buf_add_dec(&l->b, q->vector);
		put_str(&l->b, " addr 0x");
		buf_add_hexnum(&l->b, q->msg_addr, 1);
		put_str(&l->b, " data 0x");
		buf_add_hexnum(&l->b, q->msg_data, 8);
		put_str(&l->b, " (");
		put_str(&l->b, str(q->cause, "?"));
		put_str(&l->b, ")\n");
	} else {
		buf_printf(&l->b, "#%" PRIu64 " irq intx level %u isr 0x%02x (%s)\n", ev->event_no, q->level, q->isr,
		    str(q->cause, "?"));
	}
}

static void ev_violation(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_violation *v = &ev->u.violation;
	struct buf *b = &l->b;

	const char *sep = ":";

	buf_printf(b, "!! VIOLATION %s event %" PRIu64 " (offset 0x%" PRIx64 ")", str(v->name, "?"),
	    ev->event_no, ev->offset);
	if (v->queue >= 0) {
		buf_printf(b, "%s queue %d", sep, v->queue);
		sep = "";
	}
	if (v->desc >= 0) {
		buf_printf(b, "%s desc %d", sep, v->desc);
		sep = "";
	}
	if (v->addr)
		buf_printf(b, "%s addr 0x%" PRIx64, sep, v->addr);
	buf_printf(b, ": %s\n", str(v->detail, "(no detail)"));
}

static void ev_divergence(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_divergence *d = &ev->u.divergence;
	struct buf *b = &l->b;

	buf_printf(b, "!! DIVERGENCE %s event %" PRIu64 " (offset 0x%" PRIx64 "): %s: expected 0x%" PRIx64
	    ", produced 0x%" PRIx64 "\n", str(d->what, "?"), ev->event_no, ev->offset, str(d->field, "?"),
	    d->expected, d->produced);
	if (d->report && *d->report) {
		size_t n = strlen(d->report);

		buf_add(b, d->report, n);
		if (d->report[n - 1] != '\n')
			buf_add_u8(b, '\n');
	}
	if ((d->exp_data && d->exp_len) || (d->got_data && d->got_len)) {
		static const uint8_t none[1];

		hexdump_diff(b, "    ", d->exp_data ? d->exp_data : none, d->exp_data ? d->exp_len : 0,
		    d->got_data ? d->got_data : none, d->got_data ? d->got_len : 0, 0, l->max);
	}
	put_str(b, "!! end of divergence\n");
}

static void ev_frame(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_frame *f = &ev->u.frame;

	buf_printf(&l->b, "#%" PRIu64 " frame %s queue %u len %" PRIu32 "\n", ev->event_no, f->tx ? "tx" : "rx",
	    f->queue, f->len);
	dump(l, "    ", f->data, f->len, f->len);
}

static void ev_note(struct sink_log *l, const struct vr_event *ev)
{
	put_event(&l->b, ev->event_no);
	put_str(&l->b, "note: ");
	put_str(&l->b, str(ev->u.note.text, ""));
	buf_add_u8(&l->b, '\n');
}

static void log_write(struct sink_log *l)
{
	if (l->b.len && fwrite(l->b.data, 1, l->b.len, l->f) != l->b.len && l->werr == 0)
		l->werr = errno ? errno : EIO;
	buf_reset(&l->b);
}

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct sink_log *l = opaque;

	switch (ev->kind) {
	case VR_EV_RUN_BEGIN:
		ev_run_begin(l, &ev->u.run);
		break;
	case VR_EV_RUN_END:
		ev_run_end(l, &ev->u.run);
		break;
	case VR_EV_TRACE:
		ev_trace(l, ev);
		break;
	case VR_EV_ACCESS:
		ev_access(l, ev);
		break;
	case VR_EV_TXN:
		ev_txn(l, ev);
		break;
	case VR_EV_DMA:
		ev_dma(l, ev);
		break;
	case VR_EV_IRQ:
		ev_irq(l, ev);
		break;
	case VR_EV_VIOLATION:
		ev_violation(l, ev);
		break;
	case VR_EV_DIVERGENCE:
		ev_divergence(l, ev);
		break;
	case VR_EV_FRAME:
		ev_frame(l, ev);
		break;
	case VR_EV_NOTE:
		ev_note(l, ev);
		break;
	default:
		break;
	}
	/* the end of a run is written at once (a reader may be waiting for it) */
	if (l->b.len >= LOG_FLUSH_AT || ev->kind == VR_EV_RUN_END)
		log_write(l);
}

struct sink_log *sink_log_new(FILE *f, size_t max_bytes)
{
	struct sink_log *l = xcalloc(1, sizeof(*l));

	l->f = f;
	l->own = false;
	l->path = xstrdup("log");
	l->max = max_bytes;
	buf_init(&l->b);
	return l;
}

struct sink_log *sink_log_open(const char *path, size_t max_bytes, char **cause)
{
	struct sink_log *l;
	FILE *f;

	if (strcmp(path, "-") == 0) {
		l = sink_log_new(stdout, max_bytes);
	} else {
		f = fopen(path, "w");
		if (f == NULL) {
			cause_set(cause, "%s: %s", path, strerror(errno));
			return NULL;
		}
		l = sink_log_new(f, max_bytes);
		l->own = true;
	}
	free(l->path);
	l->path = xstrdup(path);
	return l;
}

int sink_log_attach(struct sink_log *l, struct evbus *bus, char **cause)
{
	if (evbus_add(bus, EVBUS_ALL, on_event, l) < 0)
		return cause_set(cause, "%s: too many event sinks", l->path);
	return 0;
}

int sink_log_close(struct sink_log *l, char **cause)
{
	int rc = 0;

	if (l == NULL)
		return 0;
	errno = 0;		/* not another sink's: name this file's error, or none known (EIO) */
	log_write(l);
	if (fflush(l->f) != 0 || ferror(l->f))
		rc = cause_set(cause, "%s: write error: %s", l->path, strerror(l->werr ? l->werr : errno ? errno : EIO));
	if (l->own && fclose(l->f) != 0 && rc == 0)
		rc = cause_set(cause, "%s: %s", l->path, strerror(errno));
	buf_release(&l->b);
	free(l->path);
	free(l);
	return rc;
}
