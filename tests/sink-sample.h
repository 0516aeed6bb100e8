/* sink-sample.h -- a synthetic replay event sequence shared by the sink tests */
#ifndef VR_TESTS_SINK_SAMPLE_H
#define VR_TESTS_SINK_SAMPLE_H
#include <string.h>

#include "vr/event.h"

static inline void sample_at(struct evbus *bus, uint64_t event_no, uint64_t offset, uint64_t vtime)
{
	bus->event_no = event_no;
	bus->offset = offset;
	bus->vtime = vtime;
}

static inline void sample_run_begin(struct evbus *bus)
{
	struct vr_event ev = { .kind = VR_EV_RUN_BEGIN };

	sample_at(bus, 0, 0, 0);
	ev.u.run.trace_path = "traces/blk-basic.vrt";
	ev.u.run.trace_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	ev.u.run.version = "0.1.0";
	ev.u.run.options = "--db";
	ev.u.run.device = "blk";
	ev.u.run.layout = "qemu";
	ev.u.run.features = 0x130000046ull;
	evbus_emit(bus, &ev);
}

/* A trace event and the device's decoded access for it. */
static inline void sample_access(struct evbus *bus, uint64_t no, bool write, uint8_t bar, uint64_t off, uint8_t size,
    uint64_t recorded_or_written, uint64_t produced, const char *reg)
{
	struct vr_event ev = { .kind = VR_EV_TRACE };

	sample_at(bus, no, 0x100 + no * 0x20, no * 1000);
	ev.u.trace.kind = write ? 4 : 3;
	ev.u.trace.kind_name = write ? "bar-write" : "bar-read";
	ev.u.trace.space = bar;
	ev.u.trace.size = size;
	ev.u.trace.has_value = true;
	ev.u.trace.addr = off;
	ev.u.trace.value = recorded_or_written;
	evbus_emit(bus, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_ACCESS;
	ev.u.access.write = write;
	ev.u.access.bar = bar;
	ev.u.access.size = size;
	ev.u.access.offset = off;
	ev.u.access.value = write ? recorded_or_written : produced;
	ev.u.access.reg = reg;
	evbus_emit(bus, &ev);
}

static const uint8_t sample_out[16 + 20] = {
	0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x08, 0, 0, 0, 0, 0, 0,
	'h', 'e', 'l', 'l', 'o', ',', ' ', 'w', 'o', 'r', 'l', 'd', '!', 0, 1, 2, 3, 4, 5, 6,
};
static const uint8_t sample_in[1] = { 0 };
static const uint8_t sample_frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06 };

/* Everything a run can contain, in a plausible order; complete: emit RUN_END. */
static inline void sample_run(struct evbus *bus, bool end)
{
	struct vr_event ev;
	static const uint8_t mem[8] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };
	static const uint8_t used[8] = { 3, 0, 0, 0, 1, 0, 0, 0 };
	static const struct vr_desc desc[3] = {
		{ .addr = 0x100000, .len = 16, .flags = 1, .next = 4, .index = 3 },
		{ .addr = 0x101000, .len = 20, .flags = 1, .next = 5, .index = 4 },
		{ .addr = 0x102000, .len = 1, .flags = 2, .next = 0, .index = 5, .indirect = 0 },
	};
	static const uint8_t exp_b[4] = { 1, 2, 3, 4 }, got_b[4] = { 1, 2, 9, 4 };

	sample_run_begin(bus);
	sample_access(bus, 1, true, 4, 0x14, 1, 0x0f, 0, "common.device_status");
	sample_access(bus, 2, false, 4, 0x14, 1, 0x0f, 0x0b, "common.device_status");

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_TRACE;
	sample_at(bus, 3, 0x200, 3000);
	ev.u.trace.kind = 5;
	ev.u.trace.kind_name = "mem";
	ev.u.trace.addr = 0x100000;
	ev.u.trace.data = mem;
	ev.u.trace.len = sizeof(mem);
	evbus_emit(bus, &ev);

	sample_access(bus, 4, true, 4, 0x3000, 2, 0, 0, "notify[0]");

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_TXN;
	ev.u.txn.queue = 0;
	ev.u.txn.queue_name = "requestq";
	ev.u.txn.head = 3;
	ev.u.txn.device = "blk";
	ev.u.txn.type = "OUT";
	ev.u.txn.fields = "sector=2048 len=20";
	ev.u.txn.status = "OK";
	ev.u.txn.desc = desc;
	ev.u.txn.ndesc = 3;
	ev.u.txn.out = sample_out;
	ev.u.txn.out_len = sizeof(sample_out);
	ev.u.txn.out_shown = sizeof(sample_out);
	ev.u.txn.in = sample_in;
	ev.u.txn.in_len = 1;
	ev.u.txn.in_shown = 1;
	ev.u.txn.used_len = 1;
	ev.u.txn.first_event = 3;
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_DMA;
	ev.u.dma.addr = 0x7000;
	ev.u.dma.data = used;
	ev.u.dma.len = sizeof(used);
	ev.u.dma.what = "used.ring[0]";
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_IRQ;
	ev.u.irq.msix = true;
	ev.u.irq.vector = 1;
	ev.u.irq.msg_addr = 0xfee00000;
	ev.u.irq.msg_data = 0x4021;
	ev.u.irq.cause = "queue 0";
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_VIOLATION;
	sample_at(bus, 5, 0x2a0, 5000);
	ev.u.violation.name = "desc-loop";
	ev.u.violation.queue = 0;
	ev.u.violation.desc = 7;
	ev.u.violation.addr = 0x100070;
	ev.u.violation.detail = "descriptor 7 loops to 3";
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_DIVERGENCE;
	ev.u.divergence.what = "dma";
	ev.u.divergence.field = "buffer";
	ev.u.divergence.expected = 3;
	ev.u.divergence.produced = 9;
	ev.u.divergence.exp_data = exp_b;
	ev.u.divergence.exp_len = 4;
	ev.u.divergence.got_data = got_b;
	ev.u.divergence.got_len = 4;
	ev.u.divergence.report = "first divergence at event 5\n  expected 03, produced 09";
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_FRAME;
	sample_at(bus, 6, 0x2c0, 1500000123ull);
	ev.u.frame.tx = true;
	ev.u.frame.queue = 1;
	ev.u.frame.data = sample_frame;
	ev.u.frame.len = sizeof(sample_frame);
	evbus_emit(bus, &ev);

	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_NOTE;
	ev.u.note.text = "device reset";
	evbus_emit(bus, &ev);

	if (!end)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = VR_EV_RUN_END;
	ev.u.run.features = 0x100000006ull;
	ev.u.run.outcome = "diverged";
	ev.u.run.events = 6;
	ev.u.run.divergences = 1;
	ev.u.run.violations = 1;
	ev.u.run.complete = true;
	evbus_emit(bus, &ev);
}

#endif
