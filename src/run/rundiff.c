/* rundiff.c -- replay two sides, split what each device did into streams per kind, compare them in order */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/crc32c.h"
#include "vr/event.h"
#include "vr/replay.h"
#include "vr/rundiff.h"
#include "vr/trace.h"

/* Bytes of a DMA write shown in its description (the CRC covers all of them). */
#define SHOW_BYTES	16

struct side_run {
	struct rundiff_side *side;
	FILE *spool[RUNDIFF_KINDS];	/* A: written; B: read back and compared */
	bool comparing;			/* this is B */
	struct rundiff_result *res;
	bool spool_error;
};

const char *rundiff_kind_name(enum rundiff_kind k)
{
	static const char *const names[RUNDIFF_KINDS] = {
		[RUNDIFF_READS] = "reads", [RUNDIFF_DMA] = "dma", [RUNDIFF_IRQ] = "irq",
		[RUNDIFF_VIOLATIONS] = "violations", [RUNDIFF_TXNS] = "transactions",
	};

	return (unsigned)k < RUNDIFF_KINDS ? names[k] : "?";
}

static const char *str(const char *s)
{
	return s != NULL ? s : "";
}

/* What the device did, as one line per observation; -1 for events that are not compared. */
static int describe(const struct vr_event *ev, char *out, size_t n)
{
	int k = -1;

	switch (ev->kind) {
	case VR_EV_ACCESS:
		if (ev->u.access.write)
			return -1;
		snprintf(out, n, "%s %s = 0x%" PRIx64, ev->u.access.cfg ? "cfg" : "bar",
		    ev->u.access.reg != NULL ? ev->u.access.reg : "?", ev->u.access.value);
		k = RUNDIFF_READS;
		break;
	case VR_EV_DMA: {
		const struct vr_ev_dma *d = &ev->u.dma;
		uint32_t show = d->len < SHOW_BYTES ? d->len : SHOW_BYTES;
		size_t at;

		at = (size_t)snprintf(out, n, "0x%" PRIx64 " %s len %" PRIu32 " crc %08" PRIx32 ":", d->addr,
		    str(d->what), d->len, crc32c(0, d->data, d->len));
		for (uint32_t i = 0; i < show && at + 4 < n; i++)
			at += (size_t)snprintf(out + at, n - at, " %02x", d->data[i]);
		if (show < d->len && at + 5 < n)
			snprintf(out + at, n - at, " ...");
		k = RUNDIFF_DMA;
		break;
	}
	case VR_EV_IRQ:
		if (ev->u.irq.msix)
			snprintf(out, n, "msix vector %u (%s)", ev->u.irq.vector, str(ev->u.irq.cause));
		else
			snprintf(out, n, "intx level %u isr 0x%02x (%s)", ev->u.irq.level, ev->u.irq.isr,
			    str(ev->u.irq.cause));
		k = RUNDIFF_IRQ;
		break;
	case VR_EV_VIOLATION:
		snprintf(out, n, "%s queue %d desc %d: %s", str(ev->u.violation.name), ev->u.violation.queue,
		    ev->u.violation.desc, str(ev->u.violation.detail));
		k = RUNDIFF_VIOLATIONS;
		break;
	case VR_EV_TXN: {
		const struct vr_ev_txn *t = &ev->u.txn;

		snprintf(out, n, "%s head %u %s %s %s used %" PRIu32, str(t->queue_name), t->head, str(t->type),
		    str(t->fields), str(t->status), t->used_len);
		k = RUNDIFF_TXNS;
		break;
	}
	default:
		return -1;
	}
	/* Descriptions are one line: control bytes from a trace (names, marks) become '?'. */
	buf_one_line(out, false);
	return k;
}

static void note_first(struct side_run *s, enum rundiff_kind k, uint64_t index, uint64_t a_event,
    const char *a, uint64_t b_event, const char *b)
{
	struct rundiff_first *f = &s->res->first;

	/* The earliest difference in B's order: B's observations arrive in event order. */
	if (f->found)
		return;
	f->found = true;
	f->kind = k;
	f->index = index;
	f->a_event = a_event;
	f->b_event = b_event;
	snprintf(f->a, sizeof(f->a), "%s", a);
	snprintf(f->b, sizeof(f->b), "%s", b);
}

/* Next spooled line of A for kind k: 1 got, 0 none left. */
static int spool_next(struct side_run *s, enum rundiff_kind k, uint64_t *event, char *text, size_t n)
{
	char line[RUNDIFF_TEXT + 32];
	char *tab;

	if (fgets(line, sizeof(line), s->spool[k]) == NULL)
		return 0;
	line[strcspn(line, "\n")] = '\0';
	*event = strtoull(line, &tab, 10);
	snprintf(text, n, "%s", *tab == '\t' ? tab + 1 : "");
	return 1;
}

static void on_event(void *opaque, const struct vr_event *ev)
{
	struct side_run *s = opaque;
	char text[RUNDIFF_TEXT], atext[RUNDIFF_TEXT];
	uint64_t aev, index;
	int k = describe(ev, text, sizeof(text));

	if (k < 0)
		return;
	index = s->side->count[k]++;
	if (!s->comparing) {
		if (fprintf(s->spool[k], "%" PRIu64 "\t%s\n", ev->event_no, text) < 0)
			s->spool_error = true;
		return;
	}
	if (spool_next(s, (enum rundiff_kind)k, &aev, atext, sizeof(atext)) == 0) {
		s->res->differ[k]++;
		note_first(s, (enum rundiff_kind)k, index, UINT64_MAX, "", ev->event_no, text);
	} else if (strcmp(atext, text) != 0) {
		s->res->differ[k]++;
		note_first(s, (enum rundiff_kind)k, index, aev, atext, ev->event_no, text);
	}
}

static int replay_side(struct side_run *s, char **cause)
{
	struct replay_opts ro;
	struct replay *r;
	struct evbus bus;
	int outcome;

	if (s->side->feed != NULL)
		return s->side->feed(s->side, on_event, s, cause);
	evbus_init(&bus);
	evbus_add(&bus, (1u << VR_EV_ACCESS) | (1u << VR_EV_DMA) | (1u << VR_EV_IRQ) | (1u << VR_EV_VIOLATION) |
	    (1u << VR_EV_TXN), on_event, s);
	memset(&ro, 0, sizeof(ro));
	ro.path = s->side->path;
	ro.layout = s->side->layout;
	ro.image_dir = s->side->image_dir;
	ro.to = UINT64_MAX;
	ro.lenient = true;
	if ((r = replay_new(&ro, &bus, cause)) == NULL)
		return -1;
	outcome = replay_run(r, cause);
	snprintf(s->side->outcome, sizeof(s->side->outcome), "%s", replay_outcome_name(outcome));
	snprintf(s->side->layout_name, sizeof(s->side->layout_name), "%s",
	    trace_layout_name((uint8_t)(s->side->layout >= 0 ? s->side->layout : replay_get_header(r)->layout)));
	s->side->events = replay_get_stats(r)->events;
	replay_free(r);
	if (outcome == REPLAY_BADINPUT || outcome == REPLAY_ERROR)
		return -1;
	return 0;
}

int rundiff_run(struct rundiff_side *a, struct rundiff_side *b, struct rundiff_result *res, char **cause)
{
	struct side_run sa, sb;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&sa, 0, sizeof(sa));
	memset(a->count, 0, sizeof(a->count));
	memset(b->count, 0, sizeof(b->count));
	sa.side = a;
	sa.res = res;
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++)
		if ((sa.spool[k] = tmpfile()) == NULL) {
			cause_set(cause, "cannot create a temporary file for the comparison");
			goto out;
		}
	if (replay_side(&sa, cause) < 0)
		goto out;
	if (sa.spool_error) {
		cause_set(cause, "cannot write the temporary files of the comparison (disk full?)");
		goto out;
	}
	sb = sa;
	sb.side = b;
	sb.comparing = true;
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++)
		rewind(sb.spool[k]);
	if (replay_side(&sb, cause) < 0)
		goto out;
	/* What A has beyond B's end. */
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++) {
		char text[RUNDIFF_TEXT];
		uint64_t aev;

		while (spool_next(&sb, (enum rundiff_kind)k, &aev, text, sizeof(text)) == 1) {
			res->differ[k]++;
			note_first(&sb, (enum rundiff_kind)k, b->count[k], aev, text, UINT64_MAX, "");
		}
	}
	res->same = !res->first.found && strcmp(a->outcome, b->outcome) == 0;
	rc = 0;
out:
	for (unsigned k = 0; k < RUNDIFF_KINDS; k++)
		if (sa.spool[k] != NULL)
			fclose(sa.spool[k]);
	return rc;
}
