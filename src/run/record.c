/* record.c -- the recorder: a guest_port that writes every guest access, input and device output as a trace */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/gmem.h"
#include "vr/guest.h"
#include "vr/qtest-port.h"
#include "vr/record.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/vdev.h"
#include "vr/virtq.h"
#include "vr/vpci.h"
#include "vr/xmalloc.h"

/* Where recorded guests live: one RAM region, big enough for rings and data (guest.h defaults). */
#define REC_RAM_BASE	0x40000000ull
#define REC_RAM_SIZE	(8ull << 20)
#define REC_DISK_SIZE	(1ull << 20)
#define REC_QUEUE_MAX	256
/*
 * The guest's data area: small, because checkpoints carry every non-zero
 * page of guest RAM and the guest hands out buffers round-robin.
 */
#define REC_DATA_SIZE	(256u << 10)
/* Outputs of one access kept for writing; beyond this the device is running away. */
#define REC_MAX_OUTS	65536

struct rec_out {
	uint8_t kind;			/* TRACE_DMA / TRACE_IRQ */
	uint8_t irq_type;
	uint64_t addr;			/* dma address; irq vector or level */
	size_t off;
	uint32_t len;
};

struct record {
	struct record_opts opts;
	const struct record_scenario *sc;
	const struct vdev_ops *ops;
	struct vdev_generic gen;	/* ops for a type without a model (its defaults shape the header) */
	struct trace_header hdr;
	struct replay_devsetup ds;
	struct evbus bus;
	struct vpci *dev;
	struct trace_writer *w;
	struct guest *guests[8];
	unsigned nguests;
	struct guest_port port;		/* the recording port the guests use */
	struct guest_port devport;	/* what it forwards to: the simulator or QEMU */
	struct qport *qp;		/* --target qemu */
	uint64_t nevents;		/* events written */
	uint64_t since_ckpt;
	uint64_t vtime;
	uint64_t rng;
	bool paused;
	bool read_backs;		/* guest loads of RAM become mem-read events */
	struct rec_out *outs;
	unsigned nouts, outcap;
	struct buf arena;
	struct buf save;
	char *err;			/* first writer error */
};

/* ---- writing events ---- */

static void put(struct record *rec, const struct trace_event *ev)
{
	if (rec->paused)
		return;
	if (rec->err == NULL && trace_write(rec->w, ev, &rec->err) < 0 && rec->err == NULL)
		rec->err = xstrdup("trace write failed");
	rec->nevents++;
	rec->since_ckpt++;
}

static void write_time(struct record *rec)
{
	struct trace_event ev = { .kind = TRACE_TIME, .value = rec->vtime };

	put(rec, &ev);
}

static void write_checkpoint(struct record *rec)
{
	struct trace_event ev = { .kind = TRACE_CHECKPOINT };

	/* The time first, so a seek to the checkpoint finds the clock just before it. */
	if (rec->vtime > 0)
		write_time(rec);
	buf_reset(&rec->save);
	vpci_save(rec->dev, &rec->save);
	ev.data = rec->save.data;
	ev.len = (uint32_t)rec->save.len;
	put(rec, &ev);
	rec->since_ckpt = 0;
}

/* QEMU's stderr lines (virtio_error() messages) as marks, where they appeared. */
static void qemu_marks(struct record *rec)
{
	struct trace_event ev;
	char text[240];

	while (qport_mark(rec->qp, &ev, text, sizeof(text)))
		put(rec, &ev);
}

/* The guest may store only into the declared RAM (replay refuses anything else). */
static bool in_ram(const struct record *rec, uint64_t addr, uint32_t len)
{
	if (rec->dev != NULL)
		return gmem_valid(vpci_gmem(rec->dev), addr, len);
	return trace_header_in_ram(&rec->hdr, addr, len);
}

/* Called before each guest event: maybe a checkpoint, then stamp the bus with the event's number. */
static void end(struct record *rec);

static void begin(struct record *rec)
{
	/* Outputs that came between two accesses (QEMU completing in its own time) follow the last event. */
	if (rec->nouts > 0)
		end(rec);
	if (!rec->paused && rec->opts.checkpoint_every > 0 && rec->since_ckpt >= rec->opts.checkpoint_every)
		write_checkpoint(rec);
	rec->nouts = 0;
	buf_reset(&rec->arena);
	rec->bus.event_no = rec->nevents;
	rec->bus.vtime = rec->vtime;
}

/* After the guest event is written: the outputs it caused, in the order the device produced them. */
static void end(struct record *rec)
{
	for (unsigned i = 0; i < rec->nouts; i++) {
		struct rec_out *o = &rec->outs[i];
		struct trace_event ev = { .kind = o->kind };

		if (o->kind == TRACE_DMA) {
			ev.addr = o->addr;
			ev.data = rec->arena.data + o->off;
			ev.len = o->len;
		} else {
			ev.space = o->irq_type;
			ev.value = o->addr;
		}
		rec->bus.event_no = rec->nevents;
		put(rec, &ev);
	}
	rec->nouts = 0;
	buf_reset(&rec->arena);
	if (rec->qp != NULL)
		qemu_marks(rec);
}

static void output_sink(void *opaque, const struct vr_event *ev)
{
	struct record *rec = opaque;
	struct rec_out o;

	memset(&o, 0, sizeof(o));
	if (ev->kind == VR_EV_DMA) {
		if (ev->u.dma.len > TRACE_MAX_PAYLOAD)
			return;
		o.kind = TRACE_DMA;
		o.addr = ev->u.dma.addr;
		o.off = rec->arena.len;
		o.len = ev->u.dma.len;
		buf_add(&rec->arena, ev->u.dma.data, ev->u.dma.len);
	} else if (ev->kind == VR_EV_IRQ) {
		o.kind = TRACE_IRQ;
		o.irq_type = ev->u.irq.msix ? TRACE_IRQ_MSIX : TRACE_IRQ_INTX;
		o.addr = ev->u.irq.msix ? ev->u.irq.vector : ev->u.irq.level;
	} else {
		return;
	}
	if (rec->nouts >= REC_MAX_OUTS)
		return;
	if (rec->nouts == rec->outcap) {
		rec->outcap = rec->outcap ? rec->outcap * 2 : 32;
		rec->outs = xreallocarray(rec->outs, rec->outcap, sizeof(*rec->outs));
	}
	rec->outs[rec->nouts++] = o;
}

/* ---- the recording port ---- */

static uint64_t rp_cfg_read(void *o, uint32_t off, unsigned size)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_CFG_READ, .addr = off, .size = (uint8_t)size, .has_value = 1 };

	begin(rec);
	ev.value = rec->devport.cfg_read(rec->devport.opaque, off, size);
	put(rec, &ev);
	end(rec);
	return ev.value;
}

static void rp_cfg_write(void *o, uint32_t off, unsigned size, uint64_t v)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_CFG_WRITE, .addr = off, .size = (uint8_t)size, .value = v };

	begin(rec);
	rec->devport.cfg_write(rec->devport.opaque, off, size, v);
	put(rec, &ev);
	end(rec);
}

static uint64_t rp_bar_read(void *o, unsigned bar, uint64_t off, unsigned size)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_BAR_READ, .space = (uint8_t)bar, .addr = off, .size = (uint8_t)size,
		.has_value = 1 };

	begin(rec);
	ev.value = rec->devport.bar_read(rec->devport.opaque, bar, off, size);
	put(rec, &ev);
	end(rec);
	return ev.value;
}

static void rp_bar_write(void *o, unsigned bar, uint64_t off, unsigned size, uint64_t v)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_BAR_WRITE, .space = (uint8_t)bar, .addr = off, .size = (uint8_t)size,
		.value = v };

	begin(rec);
	rec->devport.bar_write(rec->devport.opaque, bar, off, size, v);
	put(rec, &ev);
	end(rec);
}

static int rp_mem_write(void *o, uint64_t addr, const void *p, uint32_t len)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_MEM, .addr = addr, .data = p, .len = len };

	/* A store the trace could not replay (outside RAM) is refused here, not recorded. */
	if (len == 0 || len > TRACE_MAX_PAYLOAD || !in_ram(rec, addr, len))
		return -1;
	begin(rec);
	if (rec->devport.mem_write(rec->devport.opaque, addr, p, len) < 0)
		return -1;
	put(rec, &ev);
	end(rec);
	return 0;
}

/*
 * A guest load of its RAM (used ring, IN data, event-idx words): with read-backs
 * on (always on QEMU, where DMA is invisible) it becomes a mem-read event with
 * the bytes the device left there, which replay compares with simulated RAM.
 * Loads outside the declared RAM stay unrecorded, as replay would refuse them.
 */
static int rp_mem_read(void *o, uint64_t addr, void *p, uint32_t len)
{
	struct record *rec = o;
	struct trace_event ev = { .kind = TRACE_MEM_READ, .addr = addr, .data = p, .len = len };

	if (!rec->read_backs || rec->paused || len == 0 || len > TRACE_MAX_PAYLOAD || !in_ram(rec, addr, len))
		return rec->devport.mem_read(rec->devport.opaque, addr, p, len);
	begin(rec);
	if (rec->devport.mem_read(rec->devport.opaque, addr, p, len) < 0)
		return -1;
	put(rec, &ev);
	end(rec);
	return 0;
}

static int rp_wait(void *o, uint64_t addr, uint16_t from, uint16_t n)
{
	struct record *rec = o;

	return rec->devport.wait != NULL ? rec->devport.wait(rec->devport.opaque, addr, from, n) : 0;
}

/* ---- services for scenarios ---- */

struct vpci *record_device(struct record *rec) { return rec->dev; }
const char *record_device_name(const struct record *rec) { return rec->ops->name; }
uint8_t record_device_id(const struct record *rec) { return rec->ops->id; }
int record_layout(const struct record *rec) { return rec->hdr.layout; }
const struct trace_header *record_header(const struct record *rec) { return &rec->hdr; }
uint64_t record_events(const struct record *rec) { return rec->nevents; }
const struct guest_port *record_port(const struct record *rec) { return &rec->port; }

uint64_t record_count(const struct record *rec, uint64_t dflt)
{
	return rec->opts.count > 0 ? rec->opts.count : dflt;
}

uint64_t record_rand(struct record *rec)
{
	uint64_t x = rec->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rec->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t record_below(struct record *rec, uint64_t n)
{
	return n ? record_rand(rec) % n : 0;
}

bool record_legacy_driver(const struct record *rec)
{
	return rec->opts.driver == RECORD_DRIVER_LEGACY ||
	    (rec->opts.driver < 0 && rec->opts.transport == TRACE_TRANSPORT_LEGACY);
}

void record_pick_legacy_driver(struct record *rec, struct trace_header *h)
{
	if (rec->opts.driver >= 0 || rec->opts.transport != TRACE_TRANSPORT_MODERN)
		return;
	h->transport = TRACE_TRANSPORT_TRANSITIONAL;
	rec->opts.driver = RECORD_DRIVER_LEGACY;
}

/* Scenarios that poke the modern common config themselves: nothing to do for a legacy driver. */
static const char *const modern_only[] = {
	"queue-size-bad", "queue-select-range", "queue-enable-bad", "features-bad", "bar-access-bad",
};

static int check_driver(const struct record *rec, char **cause)
{
	const struct record_opts *o = &rec->opts;
	bool legacy = record_legacy_driver(rec);
	if (legacy && o->transport == TRACE_TRANSPORT_MODERN)
		return cause_set(cause, "a legacy driver needs --transport transitional or legacy");
	if (!legacy && o->transport == TRACE_TRANSPORT_LEGACY)
		return cause_set(cause, "--transport legacy has no modern interface for --driver modern");
	for (size_t i = 0; legacy && i < sizeof(modern_only) / sizeof(modern_only[0]); i++)
		if (strcmp(rec->sc->name, modern_only[i]) == 0)
			return cause_set(cause, "scenario '%s' drives the modern common config (not with a legacy "
			    "driver)", rec->sc->name);
	return 0;
}

struct guest *record_guest(struct record *rec, enum guest_irq_mode irq, uint64_t features)
{
	return record_guest_sized(rec, irq, features, REC_DATA_SIZE);
}

struct guest *record_guest_sized(struct record *rec, enum guest_irq_mode irq, uint64_t features, uint64_t data_size)
{
	struct guest_config cfg;
	struct guest *g;

	if (rec->nguests == sizeof(rec->guests) / sizeof(rec->guests[0]))
		return NULL;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ram = rec->ds.ram;
	cfg.nram = rec->hdr.nram;
	cfg.irq = irq;
	cfg.features = features;
	cfg.data_size = data_size;
	if (record_legacy_driver(rec)) {
		/* a legacy driver knows its device's queues (there is no num_queues to read) */
		cfg.legacy = true;
		cfg.nqueues = rec->hdr.nqueues;
	}
	g = guest_new(&rec->port, &cfg);
	if (g == NULL)
		return NULL;
	guest_watch_bus(g, &rec->bus);
	rec->guests[rec->nguests++] = g;
	return g;
}

int record_input(struct record *rec, uint8_t type, uint64_t addr, const void *data, uint32_t len, char **cause)
{
	struct trace_event ev = { .kind = TRACE_INPUT, .space = type, .addr = addr, .data = data, .len = len };
	struct vdev_input in = { .type = type, .addr = addr, .data = data, .len = len };

	begin(rec);
	put(rec, &ev);
	if ((rec->qp != NULL ? qport_input(rec->qp, &in, cause) : vpci_input(rec->dev, &in, cause)) < 0)
		return -1;
	if (rec->qp == NULL)
		vpci_main_loop(rec->dev);
	end(rec);
	return 0;
}

void record_mark(struct record *rec, const char *fmt, ...)
{
	struct trace_event ev = { .kind = TRACE_MARK };
	char text[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ev.data = (const uint8_t *)text;
	ev.len = (uint32_t)strlen(text);
	begin(rec);
	put(rec, &ev);
	end(rec);
}

void record_time(struct record *rec, uint64_t ns)
{
	rec->vtime += ns;
	begin(rec);
	write_time(rec);
	end(rec);
}

void record_pause(struct record *rec)
{
	rec->paused = true;
}

int record_resume(struct record *rec, char **cause)
{
	if (!rec->paused)
		return 0;
	if (rec->nevents > 0)
		return cause_set(cause, "record: resume after events were written would break the trace");
	if (rec->qp != NULL)
		return cause_set(cause, "record: QEMU's device state cannot be written as a checkpoint");
	rec->paused = false;
	write_checkpoint(rec);
	return 0;
}

bool record_on_qemu(const struct record *rec)
{
	return rec->qp != NULL;
}

uint64_t record_bar_read(struct record *rec, unsigned bar, uint64_t off, unsigned size)
{
	return rp_bar_read(rec, bar, off, size);
}

void record_bad_checkpoint(struct record *rec)
{
	struct trace_event ev = { .kind = TRACE_CHECKPOINT };
	char *why = NULL;

	if (rec->dev == NULL)
		return;
	buf_reset(&rec->save);
	vpci_save(rec->dev, &rec->save);
	/* A snapshot from a future format version: the loader must refuse it whole. */
	for (size_t i = 0; i < rec->save.len && i < 8; i++)
		rec->save.data[i] ^= 0xa5;
	begin(rec);
	ev.data = rec->save.data;
	ev.len = (uint32_t)rec->save.len;
	/* Replay loads a checkpoint that precedes every guest event; the recording must do the same. */
	(void)vpci_load(rec->dev, ev.data, ev.len, &why);
	free(why);
	put(rec, &ev);
	end(rec);
}

/* ---- the scenario table ---- */

const struct record_scenario *record_find(const char *name)
{
	for (const struct record_scenario *s = record_scenarios; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

bool record_scenario_supports(const struct record_scenario *s, const char *device)
{
	const char *p = s->devices;
	size_t n = strlen(device);
	int id = trace_device_parse(device);

	if (strcmp(p, "*") == 0)
		return true;
	/* "generic": any type without a model (the transport-only device). */
	if (strcmp(p, "generic") == 0)
		return id > 0 && vdev_find_id((uint8_t)id) == NULL;
	while ((p = strstr(p, device)) != NULL) {
		if ((p == s->devices || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
		p += n;
	}
	return false;
}

static void default_header(struct record *rec, struct trace_header *h)
{
	const struct vdev_ops *ops = rec->ops;
	const struct vdev_defaults *df;

	trace_header_init(h);
	h->device = ops->id;
	h->layout = (uint8_t)(rec->opts.layout >= 0 ? rec->opts.layout : TRACE_LAYOUT_QEMU);
	h->transport = (uint8_t)rec->opts.transport;
	h->recorded = TRACE_REC_DMA | TRACE_REC_IRQ;
	/* A profile with defaults for the device (qemu: QEMU 7.2's) shapes the header; else the model's own. */
	df = vdev_defaults(ops, h->layout);
	h->nqueues = df != NULL && df->nqueues ? df->nqueues : ops->default_queues;
	/* One console port (rx0 tx0 and the control queues), without the MULTIPORT the scenarios do not speak. */
	if (ops->id == VIRTIO_ID_CONSOLE && df != NULL)
		h->nqueues = 4;
	h->features = df != NULL ? vdev_default_features(ops, h->layout, h->nqueues) : ops->features |
	    (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
	if (ops->id == VIRTIO_ID_CONSOLE) {
		h->features &= ~(1ull << 1);
		/* The scenarios give each queue its own vector (QEMU is started with vectors=5 for this). */
		h->msix_vectors = (uint16_t)(h->nqueues + 1);
		h->has |= TRACE_HAS_MSIX;
	}
	for (unsigned i = 0; i < h->nqueues && i < TRACE_MAX_QUEUES; i++)
		h->queue_max[i] = vdev_is_generic(ops) ? rec->gen.queue_size[i] :
		    df != NULL ? vdev_default_queue_size(ops, h->layout, i, h->nqueues) : REC_QUEUE_MAX;
	if (ops->devcfg_size > 0 && ops->devcfg_size <= TRACE_MAX_DEVCFG && ops->default_config != NULL) {
		h->devcfg_len = vdev_config_size(ops, h->layout, h->features);
		ops->default_config(h->devcfg, h->devcfg_len, h->layout);
	}
	h->nram = 1;
	h->ram[0].base = REC_RAM_BASE;
	h->ram[0].size = REC_RAM_SIZE;
	if (ops->id == VIRTIO_ID_BLOCK || ops->id == VIRTIO_ID_SCSI) {
		h->nbackends = 1;
		snprintf(h->backend[0].type, sizeof(h->backend[0].type), "disk");
		h->backend[0].size = REC_DISK_SIZE;
	}
	snprintf(h->title, sizeof(h->title), "record --device %s --scenario %s --seed %" PRIu64, ops->name,
	    rec->sc->name, rec->opts.seed);
}

/* --target qemu: start QEMU with the header's device and let it say what it offers. 0 / -2. */
static int start_qemu(struct record *rec, char **cause)
{
	struct qport_opts qo;

	memset(&qo, 0, sizeof(qo));
	qo.qemu = rec->opts.qemu_binary;
	qo.h = &rec->hdr;
	qo.bus = &rec->bus;
	if ((rec->qp = qport_new(&qo, cause)) == NULL)
		return -2;
	if (qport_probe(rec->qp, &rec->hdr, cause) < 0)
		return -2;
	qport_machine_map(&rec->hdr);
	/* qtest sees interrupts (MSI-X through the mailbox, INTx lines) but not DMA. */
	rec->hdr.recorded = TRACE_REC_IRQ;
	snprintf(rec->hdr.title, sizeof(rec->hdr.title), "record --target qemu --device %s --scenario %s --seed %" PRIu64,
	    rec->ops->name, rec->sc->name, rec->opts.seed);
	qport_guest_port(rec->qp, &rec->devport);
	rec->read_backs = true;
	return 0;
}

int record_run(const struct record_opts *opts, char **cause)
{
	struct record *rec = xcalloc(1, sizeof(*rec));
	const char *device = opts->device;
	int id, fmt, rc = -1;

	rec->opts = *opts;
	buf_init(&rec->arena);
	buf_init(&rec->save);
	if ((rec->sc = record_find(opts->scenario)) == NULL) {
		cause_set(cause, "unknown scenario '%s' (record --list shows them)", opts->scenario);
		goto out;
	}
	if (device == NULL)
		device = rec->sc->default_device;
	if ((id = trace_device_parse(device)) < 0) {
		cause_set(cause, "unknown device '%s'", device);
		goto out;
	}
	device = trace_device_name((uint8_t)id);	/* QEMU names and numbers record as the canonical name */
	if (!record_scenario_supports(rec->sc, device)) {
		cause_set(cause, "scenario '%s' does not run on %s (it runs on: %s)", rec->sc->name, device,
		    rec->sc->devices);
		goto out;
	}
	if ((rec->ops = vdev_pick((uint8_t)id, device, 0, VDEV_REQ_COMPLETE, &rec->gen)) == NULL) {
		cause_set(cause, "unknown device '%s'", device);
		goto out;
	}
	if (opts->qemu && rec->sc->no_qemu != NULL) {
		cause_set(cause, "scenario '%s' cannot run on QEMU: %s", rec->sc->name, rec->sc->no_qemu);
		goto out;
	}
	if (check_driver(rec, cause) < 0)
		goto out;
	if (opts->qemu && opts->checkpoint_every > 0) {
		cause_set(cause, "--checkpoint-every needs the simulator's device state (not with --target qemu)");
		goto out;
	}
	/* xorshift needs a non-zero state; mix the seed so nearby seeds differ. */
	rec->rng = (opts->seed ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
	if (rec->rng == 0)
		rec->rng = 1;
	default_header(rec, &rec->hdr);
	if (rec->sc->prepare != NULL)
		rec->sc->prepare(rec, &rec->hdr);
	evbus_init(&rec->bus);
	evbus_add(&rec->bus, (1u << VR_EV_DMA) | (1u << VR_EV_IRQ), output_sink, rec);
	if (opts->qemu && (rc = start_qemu(rec, cause)) < 0)
		goto out;
	rc = -1;
	if (trace_header_check(&rec->hdr, cause) < 0)
		goto out;
	if (replay_devsetup(&rec->hdr, NULL, -1, &rec->ds, cause) < 0)
		goto out;
	if (!opts->qemu) {
		if ((rec->dev = vpci_new(&rec->ds.setup, &rec->bus, cause)) == NULL)
			goto out;
		guest_port_vpci(&rec->devport, rec->dev);
	}
	fmt = opts->format;
	if (fmt < 0)
		fmt = trace_format_from_name(opts->out);
	if (fmt < 0)
		fmt = TRACE_FMT_TEXT;
	if ((rec->w = trace_writer_open(opts->out, (enum trace_fmt)fmt, 0, &rec->hdr, cause)) == NULL)
		goto out;
	rec->port.opaque = rec;
	rec->port.cfg_read = rp_cfg_read;
	rec->port.cfg_write = rp_cfg_write;
	rec->port.bar_read = rp_bar_read;
	rec->port.bar_write = rp_bar_write;
	rec->port.mem_write = rp_mem_write;
	rec->port.mem_read = rp_mem_read;
	rec->port.wait = rp_wait;
	if (rec->qp != NULL)
		record_mark(rec, "qemu %s", qport_device_args(rec->qp));
	if (rec->sc->run(rec, cause) < 0) {
		if (rec->qp != NULL && qport_failed(rec->qp)) {
			free(*cause);
			*cause = NULL;
			cause_set(cause, "%s", qport_error(rec->qp));
			rc = -2;
		}
		cause_prefix(cause, "scenario %s on %s", rec->sc->name, device);
		goto out;
	}
	if (rec->qp != NULL) {
		/* Whatever QEMU still had to say (late interrupts, messages) ends the trace. */
		qport_settle(rec->qp, 20);
		end(rec);
		if (qport_failed(rec->qp)) {
			cause_set(cause, "%s", qport_error(rec->qp));
			rc = -2;
			goto out;
		}
	}
	if (rec->paused && record_resume(rec, cause) < 0)
		goto out;
	if (rec->err != NULL) {
		cause_set(cause, "%s", rec->err);
		goto out;
	}
	rc = 0;
out:
	if (rec->w != NULL) {
		char *why = NULL;

		if (trace_writer_close(rec->w, &why) < 0 && rc == 0) {
			cause_set(cause, "%s", why ? why : "trace close failed");
			rc = -1;
		}
		free(why);
	}
	for (unsigned i = 0; i < rec->nguests; i++)
		guest_free(rec->guests[i]);
	vpci_free(rec->dev);
	qport_free(rec->qp);
	buf_release(&rec->arena);
	buf_release(&rec->save);
	free(rec->outs);
	free(rec->err);
	free(rec);
	return rc;
}
