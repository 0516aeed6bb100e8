/* evbus.c -- deliver device and replay events to sinks, stamped with the trace position */
#include <stddef.h>

#include "vr/event.h"

void evbus_init(struct evbus *bus)
{
	bus->event_no = 0;
	bus->offset = 0;
	bus->vtime = 0;
	bus->nsinks = 0;
	bus->mask = 0;
}

int evbus_add(struct evbus *bus, uint32_t mask, evbus_fn fn, void *opaque)
{
	if (bus->nsinks >= EVBUS_MAX_SINKS)
		return -1;
	bus->sinks[bus->nsinks].fn = fn;
	bus->sinks[bus->nsinks].opaque = opaque;
	bus->sinks[bus->nsinks].mask = mask;
	bus->nsinks++;
	bus->mask |= mask;
	return 0;
}

void evbus_emit(struct evbus *bus, struct vr_event *ev)
{
	if (bus == NULL)
		return;
	ev->event_no = bus->event_no;
	ev->offset = bus->offset;
	ev->vtime = bus->vtime;
	for (unsigned i = 0; i < bus->nsinks; i++)
		if (bus->sinks[i].mask & (1u << ev->kind))
			bus->sinks[i].fn(bus->sinks[i].opaque, ev);
}

const char *vr_ev_kind_name(enum vr_ev_kind k)
{
	static const char *const names[VR_EV_KIND_COUNT] = {
		[VR_EV_RUN_BEGIN] = "run-begin",
		[VR_EV_RUN_END] = "run-end",
		[VR_EV_TRACE] = "trace",
		[VR_EV_ACCESS] = "access",
		[VR_EV_TXN] = "txn",
		[VR_EV_DMA] = "dma",
		[VR_EV_IRQ] = "irq",
		[VR_EV_VIOLATION] = "violation",
		[VR_EV_DIVERGENCE] = "divergence",
		[VR_EV_FRAME] = "frame",
		[VR_EV_NOTE] = "note",
	};
	return (unsigned)k < VR_EV_KIND_COUNT ? names[k] : "?";
}
