/* bench-db.c -- database ingest speed: a large synthetic replay event stream through the SQLite sink */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vr/sink-sqlite.h"

/* A plausible mix of register names, as a driver's accesses would produce. */
static const char *const regs[] = {
	"common.device_feature_select", "common.device_feature", "common.driver_feature_select",
	"common.driver_feature", "common.msix_config", "common.num_queues", "common.device_status",
	"common.config_generation", "common.queue_select", "common.queue_size", "common.queue_msix_vector",
	"common.queue_enable", "common.queue_notify_off", "common.queue_desc[31:0]", "common.queue_desc[63:32]",
	"common.queue_avail[31:0]", "common.queue_avail[63:32]", "common.queue_used[31:0]",
	"common.queue_used[63:32]", "notify[0]", "isr", "device.capacity[31:0]", "msix.table[1].data",
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct evbus bus;
	struct sink_sqlite *s;
	char *cause = NULL;
	uint8_t data[64];
	unsigned long n;
	double t0, t1, c0, c1;

	if (argc != 3) {
		fprintf(stderr, "usage: bench-db ROWS DB\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	s = sink_sqlite_open(argv[2], &cause);
	if (s == NULL) {
		fprintf(stderr, "bench-db: %s\n", cause);
		return 2;
	}
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	{
		struct vr_event ev = { .kind = VR_EV_RUN_BEGIN };
		ev.u.run.trace_path = "bench.vrt";
		ev.u.run.device = "blk";
		ev.u.run.layout = "qemu";
		evbus_emit(&bus, &ev);
	}
	for (unsigned long i = 1; i <= n; i++) {
		struct vr_event ev = { .kind = VR_EV_TRACE };
		unsigned r = (unsigned)(i * 2654435761u >> 8);

		bus.event_no = i;
		bus.offset = i * 24;
		bus.vtime = i * 100;
		if (i % 8 == 0) {
			/* a guest store into RAM: descriptors, headers */
			ev.u.trace.kind = 5;
			ev.u.trace.kind_name = "mem";
			ev.u.trace.addr = 0x100000 + (i % 4096) * 16;
			ev.u.trace.data = data;
			ev.u.trace.len = 16 + (r % 3) * 16;
			evbus_emit(&bus, &ev);
			continue;
		}
		bool write = r & 1;
		const char *reg = regs[r % (sizeof(regs) / sizeof(regs[0]))];
		ev.u.trace.kind = write ? 4 : 3;
		ev.u.trace.kind_name = write ? "bar-write" : "bar-read";
		ev.u.trace.space = 4;
		ev.u.trace.size = 4;
		ev.u.trace.addr = (r % 64) * 4;
		ev.u.trace.has_value = true;
		ev.u.trace.value = r & 0xffff;
		evbus_emit(&bus, &ev);
		memset(&ev, 0, sizeof(ev));
		ev.kind = VR_EV_ACCESS;
		ev.u.access.write = write;
		ev.u.access.bar = 4;
		ev.u.access.size = 4;
		ev.u.access.offset = (r % 64) * 4;
		ev.u.access.value = r & 0xffff;
		ev.u.access.reg = reg;
		evbus_emit(&bus, &ev);
	}
	{
		struct vr_event ev = { .kind = VR_EV_RUN_END };
		ev.u.run.outcome = "matched";
		ev.u.run.complete = true;
		ev.u.run.events = n;
		evbus_emit(&bus, &ev);
	}
	if (sink_sqlite_close(s, &cause) < 0) {
		fprintf(stderr, "bench-db: %s\n", cause);
		return 3;
	}
	t1 = clock_s(CLOCK_MONOTONIC);
	c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	/* rows, wall seconds, CPU seconds (the machine may be shared) */
	printf("%lu %.6f %.6f\n", n, t1 - t0, c1 - c0);
	return 0;
}
