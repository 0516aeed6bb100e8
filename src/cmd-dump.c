/* cmd-dump.c -- print any trace as canonical text, optionally a slice or some kinds only */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/event.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

/* --kind names: every event kind, plus the two access families. */
static int kind_mask(const char *list, unsigned *mask)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *k = strtok_r(copy, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
		int n;
		if (strcmp(k, "cfg") == 0)
			*mask |= 1u << TRACE_CFG_READ | 1u << TRACE_CFG_WRITE;
		else if (strcmp(k, "bar") == 0)
			*mask |= 1u << TRACE_BAR_READ | 1u << TRACE_BAR_WRITE;
		else if ((n = trace_kind_parse(k)) > 0)
			*mask |= 1u << n;
		else
			rc = -1;
	}
	if (list[0] == '\0')
		rc = -1;
	free(copy);
	return rc;
}

static void flush_out(struct buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	buf_reset(b);
}

/* --region names: the register families of vpci_reg_name(). */
static const struct {
	const char *name;
	const char *prefix;
} regions[] = {
	{ "common", "common." }, { "device", "devcfg" }, { "notify", "notify" }, { "isr", "isr" },
	{ "msix", "msix." }, { "cfg", "cfg." },
};

/*
 * Annotated dump: the trace is replayed (leniently, nothing stored) and each
 * event's line gets what the device made of it, gathered from the bus until
 * the next event begins: register names, ring fields of device writes,
 * transactions completed, interrupts and violations.
 */
struct annot {
	struct buf out;
	struct buf ann;			/* annotations of the pending event */
	struct trace_event ev;		/* the pending event (data in evdata) */
	struct buf evdata;
	uint64_t no, off;
	bool have;
	unsigned mask;			/* --kind */
	uint64_t last;			/* last event printed (--count): replay also applies its outputs */
	bool annotate;			/* print the annotations (else canonical text only) */
	const char *queue;		/* --queue: name or number */
	const char *region;		/* --region prefix */
	const char *grep;		/* --grep substring */
	uint16_t qsel;			/* last common.queue_select written */
	char reg[64];			/* register the pending event accessed ("" if none) */
	char qnames[64][32];		/* queue names seen in transactions */
	/* Device writes of the last guest event, to name the recorded dma events that follow. */
	struct {
		uint64_t addr;
		char what[48];
	} dma[32];
	unsigned ndma;
	struct replay *r;		/* for naming guest addresses */
};

static const char *qname(const struct annot *a, unsigned q, char *buf, size_t n)
{
	if (q < 64 && a->qnames[q][0] != '\0')
		return a->qnames[q];
	snprintf(buf, n, "queue%u", q);
	return buf;
}

static void ann_add(struct annot *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ann_add(struct annot *a, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* One line whatever names a trace or device brings. */
	buf_one_line(tmp, false);
	buf_add(&a->ann, a->ann.len ? "; " : "", a->ann.len ? 2 : 0);
	buf_add(&a->ann, tmp, strlen(tmp));
}

/* Whether the pending line passes --queue, --region and --grep. */
static bool wanted(struct annot *a, const char *line, size_t len)
{
	char hay[1024];
	size_t n = len < sizeof(hay) - 1 ? len : sizeof(hay) - 1;

	memcpy(hay, line, n);
	hay[n] = '\0';
	if (a->queue != NULL) {
		char dotted[48], word[48];

		snprintf(dotted, sizeof(dotted), "%s.", a->queue);
		snprintf(word, sizeof(word), "(%s)", a->queue);
		if (strstr(hay, dotted) == NULL && strstr(hay, word) == NULL)
			return false;
	}
	if (a->region != NULL && strncmp(a->reg, a->region, strlen(a->region)) != 0)
		return false;
	if (a->grep != NULL && strstr(hay, a->grep) == NULL)
		return false;
	return true;
}

static void ann_flush(struct annot *a)
{
	size_t start = a->out.len;

	if (!a->have)
		return;
	a->have = false;
	if (!(a->mask & (1u << a->ev.kind)) || a->no > a->last) {
		buf_reset(&a->ann);
		return;
	}
	a->ev.data = a->evdata.data;
	/* Named now, after the event applied: the rings it belongs to may only just have been set up. */
	if (a->r != NULL && (a->ev.kind == TRACE_MEM || a->ev.kind == TRACE_MEM_READ ||
	    (a->ev.kind == TRACE_DMA && a->ann.len == 0))) {
		char name[96];

		replay_name_ram(a->r, a->ev.addr, name, sizeof(name));
		if (strncmp(name, "guest RAM", 9) != 0)
			ann_add(a, "%s", name);
	}
	buf_printf(&a->out, "#%" PRIu64 " 0x%" PRIx64 "  ", a->no, a->off);
	trace_event_text(&a->out, &a->ev);
	if (a->ann.len > 0) {
		buf_add(&a->out, "  ; ", 4);
		buf_add(&a->out, a->ann.data, a->ann.len);
	}
	if (!wanted(a, (const char *)a->out.data + start, a->out.len - start)) {
		a->out.len = start;
	} else if (!a->annotate) {
		/* Filters without --annotate: the canonical line only. */
		a->out.len = start;
		trace_event_text(&a->out, &a->ev);
		buf_add_u8(&a->out, '\n');
	} else {
		buf_add_u8(&a->out, '\n');
	}
	buf_reset(&a->ann);
	if (a->out.len >= (64u << 10))
		flush_out(&a->out);
}

static void on_bus(void *opaque, const struct vr_event *ev)
{
	struct annot *a = opaque;
	char qb[16];

	switch (ev->kind) {
	case VR_EV_TRACE: {
		const struct vr_ev_trace *t = &ev->u.trace;

		ann_flush(a);
		memset(&a->ev, 0, sizeof(a->ev));
		a->ev.kind = t->kind;
		a->ev.space = t->space;
		a->ev.size = t->size;
		a->ev.has_value = t->has_value;
		a->ev.addr = t->addr;
		a->ev.value = t->value;
		a->ev.len = t->len;
		buf_reset(&a->evdata);
		buf_add(&a->evdata, t->data, t->len);
		a->no = ev->event_no;
		a->off = ev->offset;
		a->have = true;
		a->reg[0] = '\0';
		if (t->kind != TRACE_DMA && t->kind != TRACE_IRQ)
			a->ndma = 0;
		if (t->kind == TRACE_DMA)
			for (unsigned i = 0; i < a->ndma; i++)
				if (a->dma[i].addr == t->addr) {
					ann_add(a, "%s", a->dma[i].what);
					break;
				}
		break;
	}
	case VR_EV_ACCESS: {
		const struct vr_ev_access *x = &ev->u.access;
		const char *reg = x->reg != NULL ? x->reg : "?";

		snprintf(a->reg, sizeof(a->reg), "%s", reg);
		if (strcmp(reg, "common.queue_select") == 0 && x->write)
			a->qsel = (uint16_t)x->value;
		if (strncmp(reg, "common.queue_", 13) == 0 && strcmp(reg, "common.queue_select") != 0)
			ann_add(a, "%s (%s)", reg, qname(a, a->qsel, qb, sizeof(qb)));
		else if (strncmp(reg, "notify[", 7) == 0)
			ann_add(a, "%s (%s)", reg, qname(a, (unsigned)strtoul(reg + 7, NULL, 10), qb, sizeof(qb)));
		else
			ann_add(a, "%s", reg);
		if (!x->write)
			ann_add(a, "-> 0x%" PRIx64, x->value);
		break;
	}
	case VR_EV_DMA:
		if (a->ndma < sizeof(a->dma) / sizeof(a->dma[0])) {
			a->dma[a->ndma].addr = ev->u.dma.addr;
			snprintf(a->dma[a->ndma].what, sizeof(a->dma[0].what), "%s",
			    ev->u.dma.what != NULL ? ev->u.dma.what : "dma");
			a->ndma++;
		}
		break;
	case VR_EV_TXN: {
		const struct vr_ev_txn *t = &ev->u.txn;

		if (t->queue < 64 && t->queue_name != NULL)
			snprintf(a->qnames[t->queue], sizeof(a->qnames[0]), "%s", t->queue_name);
		ann_add(a, "txn %s.head[%u] %s %s %s", qname(a, t->queue, qb, sizeof(qb)), t->head,
		    t->type ? t->type : "", t->fields ? t->fields : "", t->status ? t->status : "");
		break;
	}
	case VR_EV_IRQ:
		if (ev->u.irq.msix)
			ann_add(a, "irq msix %u (%s)", ev->u.irq.vector, ev->u.irq.cause ? ev->u.irq.cause : "");
		else
			ann_add(a, "intx %u", ev->u.irq.level);
		break;
	case VR_EV_VIOLATION:
		ann_add(a, "violation %s", ev->u.violation.name ? ev->u.violation.name : "?");
		break;
	default:
		break;
	}
}

static int dump_annotated(const char *path, uint64_t from, uint64_t count, bool have_count, struct annot *a,
    char **cause)
{
	struct replay_opts ro;
	struct replay *r;
	struct evbus bus;
	int outcome;

	evbus_init(&bus);
	evbus_add(&bus, (1u << VR_EV_TRACE) | (1u << VR_EV_ACCESS) | (1u << VR_EV_DMA) | (1u << VR_EV_TXN) |
	    (1u << VR_EV_IRQ) | (1u << VR_EV_VIOLATION), on_bus, a);
	memset(&ro, 0, sizeof(ro));
	ro.path = path;
	ro.layout = -1;
	ro.from = from;
	ro.to = have_count ? (count == 0 ? from : from + count - 1) : UINT64_MAX;
	a->last = ro.to;
	ro.lenient = true;
	ro.no_checkpoint_verify = true;
	if ((r = replay_new(&ro, &bus, cause)) == NULL)
		return -1;
	trace_header_text(&a->out, replay_get_header(r));
	a->r = r;
	if (have_count && count == 0) {
		replay_free(r);
		return 0;
	}
	outcome = replay_run(r, cause);
	ann_flush(a);
	a->r = NULL;
	replay_free(r);
	return outcome == REPLAY_BADINPUT || outcome == REPLAY_ERROR ? -1 : 0;
}

static const struct cmd_option dump_options[] = {
	{ .name = "from", .arg = "N", .type = CMD_ARG_U64,
	  .help = "start at event N (events are numbered from 0; binary traces\n"
	      "jump there through the seek index)" },
	{ .name = "count", .arg = "M", .type = CMD_ARG_U64,
	  .help = "read at most M events from there (before --kind filtering)" },
	{ .name = "kind", .arg = "K[,K...]", .flags = CMD_OPT_REPEAT, .complete = CMD_COMPLETE_WORDS,
	  .words = "cfg bar cfg-read cfg-write bar-read bar-write mem dma irq input checkpoint mark time",
	  .help = "print only events of kind K; repeatable or a comma list of\n"
	      "cfg bar cfg-read cfg-write bar-read bar-write mem dma irq input\n"
	      "checkpoint mark time" },
	{ .name = "annotate",
	  .help = "replay the trace (leniently, nothing stored) and prefix each event\n"
	      "with #NUMBER and OFFSET, then add what the device made of it after\n"
	      "\"  ; \": register name (and queue), value a read returned, ring\n"
	      "field a dma wrote, transactions completed, interrupts, violations" },
	{ .name = "queue", .arg = "Q", .help = "only events that touch queue Q (its name, e.g. requestq, or queueN)" },
	{ .name = "region", .arg = "R", .complete = CMD_COMPLETE_WORDS, .words = "common device notify isr msix cfg",
	  .help = "only register accesses to R: common device notify isr msix cfg" },
	{ .name = "grep", .arg = "S",
	  .help = "only events whose annotated line contains S\n"
	      "(the filters replay like --annotate; without it the lines printed\n"
	      "are canonical text)" },
	{ .name = NULL },
};

static int cmd_dump_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct annot an;
	unsigned long long from = cmd_args_u64(a, "from", 0), count = cmd_args_u64(a, "count", 0);
	int have_count = cmd_args_has(a, "count"), rc;
	unsigned mask = 0;
	struct trace_reader *r;
	struct trace_event ev;
	struct buf out;
	const char *v;
	char *cause = NULL;
	size_t it = 0;

	memset(&an, 0, sizeof(an));
	an.annotate = cmd_args_has(a, "annotate");
	an.queue = cmd_args_get(a, "queue");
	an.grep = cmd_args_get(a, "grep");
	if ((v = cmd_args_get(a, "region")) != NULL) {
		for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
			if (strcmp(v, regions[i].name) == 0)
				an.region = regions[i].prefix;
		if (an.region == NULL)
			return cmd_usage_error(e, "bad --region '%s' (common device notify isr msix cfg)", v);
	}
	while ((v = cmd_args_next(a, "kind", &it)) != NULL)
		if (kind_mask(v, &mask) != 0)
			return cmd_usage_error(e, "bad --kind '%s' (kinds: cfg bar cfg-read cfg-write "
			    "bar-read bar-write mem dma irq input checkpoint mark time)", v);
	if (a->argc != 1)
		return cmd_usage_error(e, "need exactly one trace");
	if (mask == 0)
		mask = ~0u;
	if (an.annotate || an.queue != NULL || an.region != NULL || an.grep != NULL) {
		if (strcmp(a->argv[0], "-") == 0)
			return cmd_usage_error(e, "--annotate and its filters replay the trace: TRACE must be a file");
		an.mask = mask;
		buf_init(&an.out);
		buf_init(&an.ann);
		buf_init(&an.evdata);
		rc = dump_annotated(a->argv[0], from, count, have_count != 0, &an, &cause);
		flush_out(&an.out);
		buf_release(&an.out);
		buf_release(&an.ann);
		buf_release(&an.evdata);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			free(cause);
			return cmd_fail(EXIT_BADINPUT, "write error on standard output");
		}
		return rc < 0 ? cmd_fail_cause(EXIT_BADINPUT, cause) : EXIT_OK;
	}
	if ((r = trace_open(a->argv[0], &cause)) == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	buf_init(&out);
	trace_header_text(&out, trace_header(r));
	rc = 0;
	if (from > 0)
		rc = trace_seek(r, from, &cause);
	while (rc == 0 && (!have_count || count > 0)) {
		int got = trace_read(r, &ev, &cause);
		if (got <= 0) {
			rc = got;
			break;
		}
		if (have_count)
			count--;
		if (!(mask & (1u << ev.kind)))
			continue;
		trace_event_text(&out, &ev);
		buf_add_u8(&out, '\n');
		if (out.len >= (64u << 10))
			flush_out(&out);
	}
	flush_out(&out);
	buf_release(&out);
	trace_close(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		free(cause);
		return cmd_fail(EXIT_BADINPUT, "write error on standard output");
	}
	if (rc != 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	return EXIT_OK;
}

const struct cmd_entry cmd_dump_entry = {
	.name = "dump",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.options = dump_options,
	.summary = "print a trace (text or binary) as canonical text",
	.help =
	    "TRACE \"-\" reads standard input. The header is always printed, so the output\n"
	    "is itself a valid .vrt trace.\n"
	    "On a damaged trace everything before the damage is printed, then the error\n"
	    "goes to standard error and the exit status is 2.\n",
	.exec = cmd_dump_exec,
};
