/* sweep-run.c -- the sweep driver: each scenario recorded on QEMU and replayed here, differences counted */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/guest.h"
#include "vr/record.h"
#include "vr/replay.h"
#include "vr/sweep.h"
#include "vr/trace.h"
#include "vr/virtio-spec.h"
#include "vr/xmalloc.h"

/* ---- the driver: record each on QEMU, replay here ---- */

const struct sweep_kind sweep_kinds[] = {
	{ "sweep-common", true },
	{ "sweep-regions", true },
	{ "sweep-msix", true },
	{ "sweep-intx", true },
	{ "sweep-status", true },
	{ "sweep-queues", true },
	{ "sweep-busmaster", true },
	{ "sweep-cfgspace", true },
	{ "sweep-pcicfg", true },
	{ "sweep-decode", true },
	{ "sweep-legacy", true },
	{ "sweep-random", false },
	{ "sweep-scsi", false },
	{ "sweep-blk", false },
	{ "sweep-net", false },
	{ "sweep-console", false },
	{ "sweep-rng", false },
	{ "sweep-serial", false },
	{ "sweep-mq", false },
	{ "sweep-mmio", true },
	{ "sweep-map", true },
	{ NULL, false },
};

#define SW_DEVICES	"blk net scsi rng console"
#define SW_MAX_LIST	32

static unsigned split(const char *s, char *store, size_t n, const char **w)
{
	unsigned k = 0;

	snprintf(store, n, "%s", s);
	for (char *t = strtok(store, " ,"); t != NULL && k < SW_MAX_LIST; t = strtok(NULL, " ,"))
		w[k++] = t;
	return k;
}

static const struct sweep_kind *kind_find(const char *name)
{
	for (const struct sweep_kind *k = sweep_kinds; k->scenario != NULL; k++)
		if (strcmp(k->scenario, name) == 0 || (strncmp(k->scenario, "sweep-", 6) == 0 &&
		    strcmp(k->scenario + 6, name) == 0))
			return k;
	return NULL;
}

struct sw_diff {
	uint64_t n;
	uint64_t device;		/* of them in RAM the device wrote: the device models' */
	struct buf first;
};

/* Guest RAM a device wrote differs: the device model's answer, not the transport's. */
static bool device_owned(const char *what)
{
	static const char *const ram[] = { "mem-read", "dma", "missing-dma", "unexpected-dma" };

	for (size_t i = 0; what != NULL && i < sizeof ram / sizeof ram[0]; i++)
		if (strcmp(what, ram[i]) == 0)
			return true;
	return false;
}

static void on_divergence(void *opaque, const struct vr_event *ev)
{
	struct sw_diff *d = opaque;

	if (device_owned(ev->u.divergence.what))
		d->device++;
	if (d->n++ == 0 && ev->u.divergence.report != NULL)
		buf_printf(&d->first, "%s", ev->u.divergence.report);
}

/* Replay QEMU's trace here, listing every divergence. 0, or -1 + cause (the trace does not replay). */
static int compare(const char *path, struct sw_diff *d, uint64_t *events, char **cause)
{
	struct replay_opts ro;
	struct evbus bus;
	struct replay *r;
	int outcome;

	evbus_init(&bus);
	evbus_add(&bus, 1u << VR_EV_DIVERGENCE, on_divergence, d);
	memset(&ro, 0, sizeof(ro));
	ro.path = path;
	ro.layout = -1;
	ro.to = UINT64_MAX;
	ro.lenient = true;
	if ((r = replay_new(&ro, &bus, cause)) == NULL)
		return -1;
	outcome = replay_run(r, cause);
	*events = replay_get_stats(r)->events;
	replay_free(r);
	return outcome == REPLAY_MATCHED || outcome == REPLAY_DIVERGED ? 0 : -1;
}

int sweep_run(const struct sweep_opts *o, void (*report)(void *opaque, const struct sweep_result *r),
    void *opaque, struct sweep_totals *t, char **cause)
{
	char dstore[256], kstore[512];
	const char *dev[SW_MAX_LIST];
	const struct sweep_kind *kind[SW_MAX_LIST];
	const char *kw[SW_MAX_LIST];
	unsigned ndev, nkind = 0, nk, npair = 0;
	unsigned pair[SW_MAX_LIST * SW_MAX_LIST];	/* kind + nkind * device, the pairs that run */
	const char *tmp = o->tmp_dir ? o->tmp_dir : "/tmp";

	memset(t, 0, sizeof(*t));
	ndev = split(o->devices ? o->devices : SW_DEVICES, dstore, sizeof dstore, dev);
	for (unsigned i = 0; i < ndev; i++) {
		int id = trace_device_parse(dev[i]);
		if (id < 0)
			return cause_set(cause, "unknown device '%s'", dev[i]);
		dev[i] = trace_device_name((uint8_t)id);	/* "serial", QEMU's names: as record takes them */
	}
	nk = split(o->kinds ? o->kinds : "all", kstore, sizeof kstore, kw);
	for (unsigned i = 0; i < nk; i++) {
		bool all = strcmp(kw[i], "all") == 0, mach = strcmp(kw[i], "machine") == 0;

		if (all || mach) {
			for (const struct sweep_kind *k = sweep_kinds; k->scenario != NULL && nkind < SW_MAX_LIST; k++)
				if (all || k->machine)
					kind[nkind++] = k;
		} else if ((kind[nkind] = kind_find(kw[i])) != NULL) {
			nkind++;
		} else {
			return cause_set(cause, "unknown sweep scenario '%s' (sweep --list shows them)", kw[i]);
		}
	}
	if (ndev == 0 || nkind == 0)
		return cause_set(cause, "no device or no scenario to sweep");
	/* every kind on every device it runs on (sweep-scsi: scsi only) before any pair repeats */
	for (unsigned i = 0; i < nkind * ndev && npair < SW_MAX_LIST * SW_MAX_LIST; i++)
		if (record_scenario_supports(record_find(kind[i % nkind]->scenario), dev[i / nkind]))
			pair[npair++] = i;
	if (npair == 0)
		return cause_set(cause, "none of the scenarios runs on the devices given");
	for (uint64_t i = 0; i < o->count; i++) {
		const struct sweep_kind *k = kind[pair[i % npair] % nkind];
		const char *device = dev[pair[i % npair] / nkind];
		struct sweep_result res;
		struct record_opts ro;
		struct sw_diff d;
		char path[512], *why = NULL;
		int rc;

		memset(&res, 0, sizeof(res));
		res.index = i;
		res.seed = o->seed + i;
		res.scenario = k->scenario;
		res.device = device;
		res.machine = k->machine;
		if (o->keep_dir != NULL)
			snprintf(path, sizeof path, "%s/%04" PRIu64 "-%s-%s.vrt", o->keep_dir, i, k->scenario + 6, device);
		else
			snprintf(path, sizeof path, "%s/vr-sweep-%ld-%" PRIu64 ".vrt", tmp, (long)getpid(), i);
		res.trace = path;
		memset(&ro, 0, sizeof(ro));
		ro.device = device;
		ro.scenario = k->scenario;
		ro.out = path;
		ro.format = TRACE_FMT_TEXT;
		ro.layout = TRACE_LAYOUT_QEMU;
		ro.seed = res.seed;
		ro.driver = -1;			/* a scenario may pick a legacy driver (sweep-net) */
		ro.qemu = true;
		ro.qemu_binary = o->qemu;
		memset(&d, 0, sizeof(d));
		buf_init(&d.first);
		rc = record_run(&ro, &why);
		if (rc == -2 && t->compared == 0 && t->failed == 0 && why != NULL && strstr(why, "qemu missing") != NULL) {
			cause_set(cause, "%s", why);
			free(why);
			buf_release(&d.first);
			if (o->keep_dir == NULL)
				unlink(path);
			return -2;
		}
		if (rc == 0 && compare(path, &d, &res.events, &why) < 0)
			rc = -1;
		if (rc < 0) {
			res.failed = why ? why : "failed";
			t->failed++;
		} else {
			t->compared++;
			res.differences = d.n;
			res.first = d.n ? buf_str(&d.first) : NULL;
			t->differences += d.n;
			res.device_differences = d.device;
			if (d.n) {
				t->differing++;
				if (k->machine && d.n > d.device)
					t->machine_differing++;
			}
		}
		if (report != NULL)
			report(opaque, &res);
		free(why);
		buf_release(&d.first);
		if (o->keep_dir == NULL)
			unlink(path);
	}
	return 0;
}
