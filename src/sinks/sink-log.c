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
	struct buf b;		/* one event's text, written at once */
};

static void put_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Print a possibly absent string; the log never shows "(null)". */
static const char *str(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

static void hex_value(struct buf *b, uint64_t v, unsigned size)
{
	unsigned w = size >= 1 && size <= 8 ? size * 2 : 1;

	buf_printf(b, "0x%0*" PRIx64, (int)w, v);
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
	if (n < len)
		buf_printf(&l->b, "%s... %" PRIu32 " more byte%s not shown\n", indent, (uint32_t)(len - n),
		    len - n == 1 ? "" : "s");
}

/* Short payloads on the line itself, longer ones as a dump below it. */
static void inline_or_dump(struct sink_log *l, const uint8_t *p, uint32_t len)
{
	if (p == NULL || len == 0) {
		buf_add_u8(&l->b, '\n');
		return;
	}
	if (len <= 16) {
		buf_add(&l->b, ":", 1);
		for (uint32_t i = 0; i < len; i++)
			buf_printf(&l->b, " %02x", p[i]);
		buf_add_u8(&l->b, '\n');
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
	buf_printf(&l->b, " addr 0x%" PRIx64 " len %" PRIu32, t->addr, t->len);
	inline_or_dump(l, t->data, t->len);
}

static void tr_irq(struct sink_log *l, const struct vr_ev_trace *t)
{
	/* space: 0 MSI-X (value = vector), 1 INTx (value = level), as in virtio-replay-trace(5) */
	if (t->space == 0)
		buf_printf(&l->b, " msix vector %" PRIu64 "\n", t->value);
	else
		buf_printf(&l->b, " intx level %" PRIu64 "\n", t->value);
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
			buf_printf(&l->b, "#%" PRIu64 " %s", ev->event_no, trace_kinds[i].label);
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

	if (a->cfg)
		buf_printf(b, "#%" PRIu64 " cfg+0x%04" PRIx64 " %s %s ", ev->event_no, a->offset,
		    str(a->reg, "?"), a->write ? "<-" : "->");
	else
		buf_printf(b, "#%" PRIu64 " bar%u+0x%04" PRIx64 " %s %s ", ev->event_no, a->bar, a->offset,
		    str(a->reg, "?"), a->write ? "<-" : "->");
	hex_value(b, a->value, a->size);
	buf_add_u8(b, '\n');
}

static void desc_flags(struct buf *b, uint16_t flags)
{
	static const char *const names[] = { "NEXT", "WRITE", "INDIRECT" };
	bool any = false;

	for (unsigned i = 0; i < 3; i++) {
		if (flags & (1u << i)) {
			buf_printf(b, "%s%s", any ? "|" : "", names[i]);
			any = true;
		}
	}
	if (flags & ~7u)
		buf_printf(b, "%s0x%x", any ? "|" : "", flags & ~7u);
	else if (!any)
		put_str(b, "-");
}

static void ev_txn(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_txn *t = &ev->u.txn;
	struct buf *b = &l->b;

	buf_printf(b, "#%" PRIu64 " txn %s(%u) head %u: %s %s", ev->event_no, str(t->queue_name, "queue"),
	    t->queue, t->head, str(t->device, "?"), str(t->type, "?"));
	if (t->fields && *t->fields)
		buf_printf(b, " %s", t->fields);
	if (t->status && *t->status)
		buf_printf(b, " status=%s", t->status);
	buf_add_u8(b, '\n');
	buf_printf(b, "    from #%" PRIu64 ", %u descriptor%s, out %" PRIu32 ", in %" PRIu32 ", used len %" PRIu32 "\n",
	    t->first_event, t->ndesc, t->ndesc == 1 ? "" : "s", t->out_len, t->in_len, t->used_len);
	for (unsigned i = 0; t->desc && i < t->ndesc; i++) {
		const struct vr_desc *d = &t->desc[i];

		buf_printf(b, "    desc %u%s addr 0x%016" PRIx64 " len %" PRIu32 " ", d->index,
		    d->indirect ? " (indirect)" : "", d->addr, d->len);
		desc_flags(b, d->flags);
		if (d->flags & 1)
			buf_printf(b, " next %u", d->next);
		buf_add_u8(b, '\n');
	}
	if (t->out_len) {
		buf_printf(b, "    out %" PRIu32 " byte%s:\n", t->out_len, t->out_len == 1 ? "" : "s");
		dump(l, "      ", t->out, t->out_shown, t->out_len);
	}
	if (t->in_len) {
		buf_printf(b, "    in %" PRIu32 " byte%s:\n", t->in_len, t->in_len == 1 ? "" : "s");
		dump(l, "      ", t->in, t->in_shown, t->in_len);
	}
}

static void ev_dma(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_dma *d = &ev->u.dma;

	buf_printf(&l->b, "#%" PRIu64 " dma %s addr 0x%" PRIx64 " len %" PRIu32, ev->event_no,
	    str(d->what, "?"), d->addr, d->len);
	inline_or_dump(l, d->data, d->len);
}

static void ev_irq(struct sink_log *l, const struct vr_event *ev)
{
	const struct vr_ev_irq *q = &ev->u.irq;

	if (q->msix)
		buf_printf(&l->b, "#%" PRIu64 " irq msix vector %u addr 0x%" PRIx64 " data 0x%08" PRIx32 " (%s)\n",
		    ev->event_no, q->vector, q->msg_addr, q->msg_data, str(q->cause, "?"));
	else
		buf_printf(&l->b, "#%" PRIu64 " irq intx level %u isr 0x%02x (%s)\n", ev->event_no, q->level, q->isr,
		    str(q->cause, "?"));
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
	buf_printf(&l->b, "#%" PRIu64 " note: %s\n", ev->event_no, str(ev->u.note.text, ""));
}

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct sink_log *l = opaque;

	buf_reset(&l->b);
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
	if (l->b.len)
		fwrite(l->b.data, 1, l->b.len, l->f);
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
	if (fflush(l->f) != 0 || ferror(l->f))
		rc = cause_set(cause, "%s: write error: %s", l->path, strerror(errno ? errno : EIO));
	if (l->own && fclose(l->f) != 0 && rc == 0)
		rc = cause_set(cause, "%s: %s", l->path, strerror(errno));
	buf_release(&l->b);
	free(l->path);
	free(l);
	return rc;
}
