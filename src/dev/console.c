/* console.c -- virtio-console: port 0 rx/tx, and with MULTIPORT the control queues and more ports */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/cause.h"
#include "vr/le.h"
#include "vr/vdev.h"
#include "vr/xmalloc.h"

#define CFG_COLS		0
#define CFG_ROWS		2
#define CFG_MAX_NR_PORTS	4
#define CFG_EMERG_WR		8
#define CON_CFG_SIZE		12

/* Control events (virtio 1.x 5.3.6.2). */
#define CON_DEVICE_READY	0
#define CON_DEVICE_ADD		1
#define CON_DEVICE_REMOVE	2
#define CON_PORT_READY		3
#define CON_CONSOLE_PORT	4
#define CON_RESIZE		5
#define CON_PORT_OPEN		6
#define CON_PORT_NAME		7

/* VDEV_IN_EVENT codes this device understands. */
#define CON_EV_RESIZE		0	/* data: cols le16, rows le16 */
#define CON_EV_HOST_OPEN	1	/* data: port le32 */
#define CON_EV_HOST_CLOSE	2	/* data: port le32 */

#define CON_MAX_PORTS		511	/* 2 + 2 * 511 queues: QEMU's bound, VIRTIO_QUEUE_MAX / 2 - 1 */
#define CON_QEMU_PORTS		31	/* virtio-serial-pci's max_ports default */
#define CON_RX_MAX		(1u << 20)	/* bytes typed and not yet read, per port */
#define CON_CTRL_MAX		256		/* control messages waiting for guest buffers */
#define CON_STATE_VERSION	1
#define CON_QEMU_READ		4096		/* QEMU's chardevs read CHR_READ_BUF_LEN bytes at most at a time */

#define Q_CTRL_RX		2
#define Q_CTRL_TX		3

/*
 * Where QEMU 7.2's virtio-serial (hw/char/virtio-serial-bus.c) and the strict
 * model part ways; one row per profile, indexed by the layout.
 */
struct con_policy {
	bool ctrl_hold;		/* control messages wait for ctrl-rx buffers; QEMU's send_control_msg drops them */
	bool ctrl_full_len;	/* used len is the message's even when the buffer is shorter (QEMU's iov_from_buf) */
	bool notify_empty;	/* tx and ctrl-tx handlers notify with nothing used (QEMU's handle_output, control_out) */
	bool guest_connected;	/* QEMU's guest_connected: see port_flush */
	bool host_events_ready;	/* host open/close reach the guest only for ports that sent PORT_READY */
	uint32_t read_chunk;	/* typed bytes move in reads of at most this many (0: all at once), see port_flush */
	bool poll_count;	/* every main-loop turn counts the rx buffers (QEMU's chardev can_read), see con_main_loop */
	bool open_after;	/* a PORT_OPEN's bytes move once all of that notify's messages are handled */
};

static const struct con_policy con_policies[] = {
	[VDEV_LAYOUT_QEMU] = { .ctrl_hold = false, .ctrl_full_len = true, .notify_empty = true,
		.guest_connected = true, .host_events_ready = false, .read_chunk = CON_QEMU_READ,
		.poll_count = true, .open_after = true },
	[VDEV_LAYOUT_VBOX] = { .ctrl_hold = true, .ctrl_full_len = false, .notify_empty = false,
		.guest_connected = false, .host_events_ready = true },
};

struct port {
	bool ready;			/* guest sent PORT_READY */
	bool guest_open;		/* guest sent PORT_OPEN 1 (QEMU's guest_connected) */
	bool opened;			/* a PORT_OPEN 1 in the ctrl-tx notify being handled */
	bool host_open;
	uint8_t *rx;
	size_t head, tail, cap;
};

struct console {
	struct vdev_ctx *ctx;
	const struct con_policy *pol;
	bool driver_ok;
	uint8_t cfg[CON_CFG_SIZE];
	uint8_t cfg0[CON_CFG_SIZE];
	unsigned nports;
	struct port *port;		/* nports of them */
	uint8_t ctrl[CON_CTRL_MAX][8];
	unsigned nctrl;
	char fields[64];
	char type[40];
	char rfields[64];		/* a control message sent while a ctrl-tx one is being answered */
	char rtype[40];
};

static const char *const event_names[] = {
	"DEVICE_READY", "DEVICE_ADD", "DEVICE_REMOVE", "PORT_READY",
	"CONSOLE_PORT", "RESIZE", "PORT_OPEN", "PORT_NAME",
};

static const char *event_name(uint16_t ev)
{
	return ev < sizeof event_names / sizeof event_names[0] ? event_names[ev] : "UNKNOWN";
}

static unsigned rxq(unsigned port)
{
	return port == 0 ? 0 : 2 + 2 * port;
}

static void con_queue_name(unsigned index, uint16_t nqueues, char out[VIRTQ_NAME_MAX])
{
	if (index == Q_CTRL_RX)
		snprintf(out, VIRTQ_NAME_MAX, "ctrl-rx");
	else if (index == Q_CTRL_TX)
		snprintf(out, VIRTQ_NAME_MAX, "ctrl-tx");
	else
		snprintf(out, VIRTQ_NAME_MAX, "%s%u", index % 2 == 0 ? "rx" : "tx", index < 2 ? 0 : (index - 2) / 2);
}

static void con_default_config(uint8_t *cfg, uint16_t len, int layout)
{
	uint8_t c[CON_CFG_SIZE] = { 0 };

	if (layout != VDEV_LAYOUT_QEMU) {	/* QEMU does not offer SIZE: 0 x 0 */
		le16_store(c + CFG_COLS, 80);
		le16_store(c + CFG_ROWS, 25);
	}
	le32_store(c + CFG_MAX_NR_PORTS, 1);
	memset(cfg, 0, len);
	memcpy(cfg, c, len < CON_CFG_SIZE ? len : CON_CFG_SIZE);
}

static void *con_create(struct vdev_ctx *ctx, const struct vdev_setup *setup, char **cause)
{
	struct console *s;
	uint32_t max;
	unsigned nq = setup->nqueues ? setup->nqueues : vdev_num_queues(ctx), nports = 1;
	uint8_t cfg[CON_CFG_SIZE];

	con_default_config(cfg, CON_CFG_SIZE, setup->layout);
	/*
	 * QEMU's max_ports makes both the queues and max_nr_ports, so under qemu
	 * a header that states queues and no device config has the ports its
	 * queues hold (4 queues: the one-port device).
	 */
	if (setup->layout == VDEV_LAYOUT_QEMU && nq >= 4)
		le32_store(cfg + CFG_MAX_NR_PORTS, (nq - 2) / 2);
	if (setup->devcfg != NULL && setup->devcfg_len > 0)
		memcpy(cfg, setup->devcfg, setup->devcfg_len < CON_CFG_SIZE ? setup->devcfg_len : CON_CFG_SIZE);
	if (setup->offered & (1ull << VIRTIO_CONSOLE_F_MULTIPORT)) {
		max = le32_load(cfg + CFG_MAX_NR_PORTS);
		if (max < 1 || max > CON_MAX_PORTS || nq != 2 + 2 * max) {
			cause_set(cause, "max_nr_ports %u does not fit %u queues (need 2 + 2 per port, at most %u ports)",
			    max, nq, CON_MAX_PORTS);
			return NULL;
		}
		nports = max;
	}
	s = xcalloc(1, sizeof *s);
	s->ctx = ctx;
	s->pol = &con_policies[setup->layout == VDEV_LAYOUT_VBOX ? VDEV_LAYOUT_VBOX : VDEV_LAYOUT_QEMU];
	memcpy(s->cfg, cfg, CON_CFG_SIZE);
	s->nports = nports;
	s->port = xcalloc(nports, sizeof *s->port);
	for (unsigned i = 0; i < s->nports; i++)
		s->port[i].host_open = true;
	memcpy(s->cfg0, s->cfg, CON_CFG_SIZE);
	return s;
}

static void con_destroy(void *dev)
{
	struct console *s = dev;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nports; i++)
		free(s->port[i].rx);
	free(s->port);
	free(s);
}

static bool multiport(struct console *s)
{
	return vdev_has_feature(s->ctx, VIRTIO_CONSOLE_F_MULTIPORT) && s->nports > 0;
}

static bool want(struct console *s)
{
	return evbus_wants(vdev_bus(s->ctx), VR_EV_TXN);
}

/* One control message into the next ctrl-rx buffer: 1, or 0 when none is posted. */
static int ctrl_put(struct console *s, struct virtq *q, const uint8_t *m, uint32_t len)
{
	struct virtq_chain c;
	uint32_t n;
	struct virtq_txn_info info = { .type = s->rtype, .fields = s->rfields, .status = "OK" };

	if (virtq_get(q, &c, true) != 1)
		return 0;
	n = c.in_len < len ? c.in_len : len;
	if (virtq_chain_write(q, &c, 0, m, n) != 0) {
		n = 0;
		info.status = "IOERR";
	} else if (n < len) {
		info.status = "SHORT";
	}
	if (want(s)) {
		snprintf(s->rtype, sizeof s->rtype, "ctrl %s", event_name(le16_load(m + 4)));
		snprintf(s->rfields, sizeof s->rfields, "id=%u value=%u", le32_load(m), le16_load(m + 6));
	}
	/* QEMU publishes the message's length whatever fitted (its TODO: a short buffer is not an error). */
	virtq_put(q, &c, s->pol->ctrl_full_len ? len : n, &info);
	return 1;
}

static void ctrl_flush(struct console *s)
{
	struct virtq *q = vdev_queue(s->ctx, Q_CTRL_RX);
	unsigned done = 0;

	if (q == NULL || !virtq_is_enabled(q))
		return;
	while (done < s->nctrl && ctrl_put(s, q, s->ctrl[done], 8) == 1)
		done++;
	memmove(s->ctrl, s->ctrl[done], (s->nctrl - done) * 8);
	s->nctrl -= done;
	virtq_sync(q);
}

static void ctrl_send(struct console *s, uint32_t id, uint16_t event, uint16_t value)
{
	uint8_t m[8];
	struct virtq *q;

	le32_store(m, id);
	le16_store(m + 4, event);
	le16_store(m + 6, value);
	if (!s->pol->ctrl_hold) {
		/* QEMU: into a posted buffer now and notify, or lost. */
		q = vdev_queue(s->ctx, Q_CTRL_RX);
		if (q == NULL || !virtq_is_enabled(q) || ctrl_put(s, q, m, 8) == 0) {
			vdev_note(s->ctx, "console: control message %s for port %u dropped: no ctrl-rx buffer",
			    event_name(event), id);
			return;
		}
		virtq_notify(q);
		return;
	}
	if (s->nctrl == CON_CTRL_MAX) {
		vdev_note(s->ctx, "console: control message %s for port %u dropped: %u already waiting",
		    event_name(event), id, CON_CTRL_MAX);
		return;
	}
	memcpy(s->ctrl[s->nctrl++], m, 8);
}

/* The port a flush serves (virtq_hand_out's op). */
struct con_round {
	struct console *s;
	unsigned port;
};

/* An rx buffer given n bytes (a failed write is the IOERR status alone). */
static void con_handed(void *op, uint16_t head, uint32_t n, bool failed)
{
	const struct con_round *w = op;

	(void)head;
	(void)failed;
	if (want(w->s))
		snprintf(w->s->fields, sizeof w->s->fields, "port=%u len=%u", w->port, n);
}

/*
 * Typed bytes for port p into its rx buffers. QEMU's chardev reads them only
 * when virtio_serial_guest_ready says so (DRIVER_OK, buffers posted, and with
 * MULTIPORT the guest opened the port) and virtio_serial_write then drops
 * them unless the guest opened it (without MULTIPORT port 0 opens at
 * DRIVER_OK). The strict model holds them until the guest opened the port
 * with MULTIPORT, and serves every port without.
 */
static void port_flush(struct console *s, unsigned p)
{
	struct port *pt = &s->port[p];
	struct virtq *q = vdev_queue(s->ctx, rxq(p));
	struct con_round w = { s, p };

	if (q == NULL || !virtq_is_enabled(q) || pt->head == pt->tail)
		return;
	if (s->pol->guest_connected && (!s->driver_ok || virtq_is_empty(q)))
		return;
	if (multiport(s) && !pt->guest_open)
		return;
	if (s->pol->guest_connected && !pt->guest_open) {
		vdev_note(s->ctx, "console: port %u: %zu input bytes dropped: the guest has not opened the port", p,
		    pt->tail - pt->head);
		pt->head = pt->tail = 0;
		return;
	}
	while (pt->head < pt->tail) {
		size_t chunk = pt->tail - pt->head, off;

		if (s->pol->read_chunk > 0) {
			/*
			 * QEMU's chardev reads no more than its buffer, nor than the
			 * guest_ready bytes (the IN descriptors' lengths, counted
			 * unmapped; none: no read); write_to_port hands a read to chains
			 * popped one by one and what a failed pop leaves is lost. The
			 * count reaches the chardev as an int (chr_can_read): from 2 GiB
			 * on it is negative, and a chardev that cannot read reads nothing.
			 */
			uint32_t room = virtq_avail_len_in(q, s->pol->read_chunk);

			if (room > INT32_MAX)
				room = 0;
			if (room < chunk)
				chunk = room;
			if (s->pol->read_chunk < chunk)
				chunk = s->pol->read_chunk;
			if (chunk == 0)
				break;
		}
		off = virtq_hand_out(q, pt->rx + pt->head, chunk, "rx", s->fields, con_handed, &w);
		pt->head += s->pol->read_chunk > 0 ? chunk : off;
		if (off < chunk)
			break;
	}
	if (pt->head == pt->tail)
		pt->head = pt->tail = 0;
	virtq_sync(q);
}

/*
 * The end of a guest-output handler: QEMU's virtio-serial (handle_output,
 * control_out) calls virtio_notify whether or not it used a buffer; vbox
 * interrupts only for buffers used.
 */
static void end_handler(struct console *s, struct virtq *q)
{
	if (s->pol->notify_empty)
		virtq_notify(q);
	else
		virtq_sync(q);
}

static void handle_tx(struct console *s, unsigned queue, unsigned p)
{
	struct virtq *q = vdev_queue(s->ctx, queue);
	struct virtq_chain c;

	if (q == NULL)
		return;
	while (virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = "tx", .fields = s->fields, .status = "OK" };

		if (want(s))
			snprintf(s->fields, sizeof s->fields, "port=%u len=%u", p, c.out_len);
		/* Output with the host side closed is discarded, as QEMU's virtio-serial does. */
		if (!s->port[p].host_open)
			info.status = "DISCARDED";
		virtq_put(q, &c, 0, &info);
	}
	end_handler(s, q);
}

static void port_ready(struct console *s, uint32_t id)
{
	ctrl_send(s, id, CON_CONSOLE_PORT, 1);	/* QEMU's virtconsole: port 0 is the console */
	if (s->port[id].host_open)
		ctrl_send(s, id, CON_PORT_OPEN, 1);
}

/*
 * Under qemu, bytes waiting for a port the guest opens move when QEMU's main
 * loop next asks the port's chardev (chr_can_read), after control_out has
 * handled every message of the notify: a PORT_OPEN 0 later in the same
 * notify leaves them waiting (sweep-serial seeds 283008 and 283182).
 */
static void handle_ctrl_tx(struct console *s)
{
	struct virtq *q = vdev_queue(s->ctx, Q_CTRL_TX);
	struct virtq_chain c;

	if (q == NULL)
		return;
	while (virtq_get(q, &c, true) == 1) {
		struct virtq_txn_info info = { .type = s->type, .fields = s->fields, .status = "OK" };
		uint32_t id;
		uint16_t ev, val;

		s->fields[0] = '\0';
		if (c.out_len < 8) {
			/* QEMU ignores a short control packet. */
			info.type = "ctrl";
			info.status = "IGNORED";
			if (want(s))
				snprintf(s->fields, sizeof s->fields, "len=%u", c.out_len);
			virtq_put(q, &c, 0, &info);
			continue;
		}
		id = le32_load(c.out);
		ev = le16_load(c.out + 4);
		val = le16_load(c.out + 6);
		if (want(s)) {
			snprintf(s->type, sizeof s->type, "ctrl %s", event_name(ev));
			snprintf(s->fields, sizeof s->fields, "id=%u value=%u", id, val);
		}
		if (ev != CON_DEVICE_READY && id >= s->nports) {
			info.status = "BAD_PORT";
		} else {
			switch (ev) {
			case CON_DEVICE_READY:
				if (val == 1)
					for (unsigned i = 0; i < s->nports; i++)
						ctrl_send(s, i, CON_DEVICE_ADD, 1);
				else
					info.status = "GUEST_FAILED";
				break;
			case CON_PORT_READY:
				if (val == 1) {
					s->port[id].ready = true;
					if (id == 0)
						port_ready(s, id);
					else if (s->port[id].host_open)
						ctrl_send(s, id, CON_PORT_OPEN, 1);
				} else
					info.status = "GUEST_FAILED";
				break;
			case CON_PORT_OPEN:
				s->port[id].guest_open = val != 0;
				break;
			default:
				info.status = "IGNORED";
				break;
			}
		}
		virtq_put(q, &c, 0, &info);
		if (ev == CON_PORT_OPEN && id < s->nports && val != 0) {
			if (s->pol->open_after)
				s->port[id].opened = true;
			else
				port_flush(s, id);
		}
	}
	end_handler(s, q);
	ctrl_flush(s);
	for (unsigned i = 0; i < s->nports; i++)
		if (s->port[i].opened) {
			s->port[i].opened = false;
			port_flush(s, i);
		}
}

static void con_queue_notified(void *dev, unsigned queue)
{
	struct console *s = dev;
	unsigned p = queue < 2 ? 0 : (queue - 2) / 2;

	if (queue == Q_CTRL_RX)
		ctrl_flush(s);
	else if (queue == Q_CTRL_TX)
		handle_ctrl_tx(s);
	else if (p < s->nports && queue % 2 == 0)
		port_flush(s, p);
	else if (p < s->nports)
		handle_tx(s, queue, p);
}

/*
 * QEMU's main loop, every turn (between two qtest commands): each port's
 * chardev asks can_read (chr_can_read, virtio_serial_guest_ready), which
 * counts the posted rx buffers up to 4096 bytes when the queue has rings
 * and buffers, the status has DRIVER_OK, the device is not broken and, with
 * MULTIPORT, the guest opened the port: after a RAM store as after a kick,
 * whether or not bytes were typed. What the count refuses breaks the device
 * there; a count that passes shows nothing. The bytes themselves are read
 * later in the loop, when QEMU comes to the pipe (not at a set point after
 * a store: measured), so the model serves them at the kick or input as
 * before.
 */
static void con_main_loop(void *dev)
{
	struct console *s = dev;

	if (!s->pol->poll_count || !s->driver_ok)
		return;
	for (unsigned p = 0; p < s->nports; p++) {
		struct virtq *q = vdev_queue(s->ctx, rxq(p));

		if (q == NULL || virtq_is_empty(q) || (multiport(s) && !s->port[p].guest_open))
			continue;
		(void)virtq_avail_len_in(q, CON_QEMU_READ);
	}
}

static void con_reset(void *dev)
{
	struct console *s = dev;

	for (unsigned i = 0; i < s->nports; i++)
		s->port[i].ready = s->port[i].guest_open = false;
	s->nctrl = 0;
	s->driver_ok = false;
	memcpy(s->cfg, s->cfg0, CON_CFG_SIZE);
}

/*
 * QEMU's set_status, on every status write: without MULTIPORT the guest
 * cannot open port 0, so a status with DRIVER_OK opens it (again, after a
 * PORT_OPEN 0 too); one without closes every port (guest_reset), whether
 * or not DRIVER_OK was there before.
 */
static void con_status_written(void *dev, uint8_t status)
{
	struct console *s = dev;
	bool ok = status & VIRTIO_STATUS_DRIVER_OK;

	if (!s->pol->guest_connected)
		return;
	if (ok && !multiport(s))
		s->port[0].guest_open = true;
	for (unsigned i = 0; i < s->nports && !ok; i++)
		s->port[i].guest_open = false;
}

static void con_status_changed(void *dev, bool driver_ok)
{
	struct console *s = dev;

	s->driver_ok = driver_ok;
	if (!driver_ok)
		return;
	for (unsigned i = 0; i < s->nports; i++)
		port_flush(s, i);
	ctrl_flush(s);
}

static const uint8_t *con_get_config(void *dev, uint32_t *len)
{
	struct console *s = dev;

	*len = CON_CFG_SIZE;
	return s->cfg;
}

static void con_cfg_write(void *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	struct console *s = dev;

	if (off == CFG_EMERG_WR && vdev_has_feature(s->ctx, VIRTIO_CONSOLE_F_EMERG_WRITE))
		vdev_note(s->ctx, "console: emergency write 0x%02x", src[0]);
	else
		vdev_note(s->ctx, "console: config write at %u (%u bytes) ignored", off, len);
}

static int port_add(struct console *s, unsigned p, const uint8_t *data, size_t n)
{
	struct port *pt = &s->port[p];

	if (n == 0)
		return 0;
	if (n > CON_RX_MAX - (pt->tail - pt->head)) {
		vdev_note(s->ctx, "console: port %u: %zu input bytes dropped: %u already waiting", p, n, CON_RX_MAX);
		return -1;
	}
	if (pt->head > 0) {
		memmove(pt->rx, pt->rx + pt->head, pt->tail - pt->head);
		pt->tail -= pt->head;
		pt->head = 0;
	}
	if (pt->tail + n > pt->cap) {
		pt->cap = pt->tail + n < 1024 ? 1024 : pt->tail + n;
		pt->rx = xrealloc(pt->rx, pt->cap);
	}
	memcpy(pt->rx + pt->tail, data, n);
	pt->tail += n;
	return 0;
}

/*
 * The host side of port id opens or closes. QEMU (virtio_serial_open/close):
 * an open of an open port says nothing; a close discards what the guest
 * queued for output; either tells the guest whatever it did before. The
 * strict model tells only a MULTIPORT guest that readied the port.
 */
static void host_event(struct console *s, uint32_t id, bool open)
{
	struct port *pt = &s->port[id];

	if (s->pol->host_events_ready) {
		pt->host_open = open;
		if (multiport(s) && pt->ready) {
			ctrl_send(s, id, CON_PORT_OPEN, open);
			ctrl_flush(s);
		}
		return;
	}
	if (open && pt->host_open)
		return;
	pt->host_open = open;
	if (!open && vdev_queue(s->ctx, rxq(id) + 1) != NULL)
		handle_tx(s, rxq(id) + 1, id);
	ctrl_send(s, id, CON_PORT_OPEN, open);
}

static int con_event(struct console *s, const struct vdev_input *in, char **cause)
{
	uint32_t id;

	switch (in->addr) {
	case CON_EV_RESIZE:
		if (in->len != 4)
			return cause_set(cause, "console: resize event needs 4 bytes (cols, rows), has %u", in->len);
		memcpy(s->cfg + CFG_COLS, in->data, 4);
		if (vdev_has_feature(s->ctx, VIRTIO_CONSOLE_F_SIZE))
			vdev_config_changed(s->ctx);
		return 0;
	case CON_EV_HOST_OPEN:
	case CON_EV_HOST_CLOSE:
		if (in->len != 4 || (id = le32_load(in->data)) >= s->nports)
			return cause_set(cause, "console: port event needs a 4-byte port id below %u", s->nports);
		host_event(s, id, in->addr == CON_EV_HOST_OPEN);
		return 0;
	default:
		return cause_set(cause, "console: unknown event code %llu", (unsigned long long)in->addr);
	}
}

static int con_input(void *dev, const struct vdev_input *in, char **cause)
{
	struct console *s = dev;

	if (in->type == VDEV_IN_EVENT)
		return con_event(s, in, cause);
	if (in->type != VDEV_IN_CONSOLE)
		return cause_set(cause, "console: input type %u is not console bytes", in->type);
	if (in->addr >= s->nports)
		return cause_set(cause, "console: input for port %llu, the device has %u",
		    (unsigned long long)in->addr, s->nports);
	if (port_add(s, (unsigned)in->addr, in->data, in->len) == 0)
		port_flush(s, (unsigned)in->addr);
	return 0;
}

static void con_save(void *dev, struct buf *out)
{
	struct console *s = dev;

	buf_add_u8(out, CON_STATE_VERSION);
	buf_add(out, s->cfg, CON_CFG_SIZE);
	buf_add_le32(out, s->nports);
	buf_add_le32(out, s->nctrl);
	buf_add(out, s->ctrl, s->nctrl * 8);
	for (unsigned i = 0; i < s->nports; i++) {
		struct port *pt = &s->port[i];

		buf_add_u8(out, (uint8_t)(pt->ready | pt->guest_open << 1 | pt->host_open << 2));
		buf_add_le32(out, (uint32_t)(pt->tail - pt->head));
		if (pt->tail > pt->head)
			buf_add(out, pt->rx + pt->head, pt->tail - pt->head);
	}
}

static int con_load(void *dev, const uint8_t *p, size_t len, char **cause)
{
	struct console *s = dev;
	struct cursor cur;
	uint8_t cfg[CON_CFG_SIZE];
	uint32_t nports, nctrl;
	const uint8_t *ctrl;

	cursor_init(&cur, p, len);
	if (cursor_u8(&cur) != CON_STATE_VERSION || cursor_get(&cur, cfg, sizeof cfg) != 0)
		return cause_set(cause, "console: state has a bad version or is truncated");
	nports = cursor_le32(&cur);
	nctrl = cursor_le32(&cur);
	if (cur.err || nports != s->nports || nctrl > CON_CTRL_MAX || (ctrl = cursor_bytes(&cur, nctrl * 8)) == NULL)
		return cause_set(cause, "console: state does not match this device");
	/* Check everything before changing anything. */
	{
		struct cursor chk = cur;

		for (unsigned i = 0; i < nports; i++) {
			uint8_t flags = cursor_u8(&chk);
			uint32_t n = cursor_le32(&chk);

			if (chk.err || flags > 7 || n > CON_RX_MAX || cursor_bytes(&chk, n) == NULL)
				return cause_set(cause, "console: state of port %u is bad", i);
		}
		if (chk.off != chk.len)
			return cause_set(cause, "console: junk after the state");
	}
	memcpy(s->cfg, cfg, sizeof cfg);
	memcpy(s->ctrl, ctrl, nctrl * 8);
	s->nctrl = nctrl;
	for (unsigned i = 0; i < nports; i++) {
		struct port *pt = &s->port[i];
		uint8_t flags = cursor_u8(&cur);
		uint32_t n = cursor_le32(&cur);

		pt->ready = flags & 1;
		pt->guest_open = (flags >> 1) & 1;
		pt->host_open = (flags >> 2) & 1;
		pt->head = pt->tail = 0;
		port_add(s, i, cursor_bytes(&cur, n), n);
	}
	return 0;
}

/*
 * vbox: MULTIPORT is supported when a trace offers it (with max_nr_ports and
 * 2 + 2 per port queues) but is not in the default offer, whose 2 queues have
 * no room for the control queues.
 *
 * qemu: QEMU 7.2's -device virtio-serial-pci, max_ports 31: port 0's queues
 * (128 entries), the control queues (32), then 128-entry rx and tx queues of
 * ports 1..30, 64 in all; EMERG_WRITE, no SIZE, and MULTIPORT, which QEMU
 * offers for more than one port (more than 4 queues); MSI-X 2 (its vectors
 * property) however many ports.
 */
static uint16_t con_qemu_vectors(uint16_t nqueues)
{
	(void)nqueues;
	return 2;	/* virtio-serial-pci's "vectors" property default, whatever max_ports (measured on 7.2) */
}

static const struct vdev_defaults con_qemu = {
	.features = VDEV_QEMU_TRANSPORT_FEATURES | (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE),
	.nqueues = 2 + 2 * CON_QEMU_PORTS,
	.queue_size = { 128, 128, 32, 32, 128, 128, 128, 128 },	/* port queues 128, control 32 */
	.queue_size_rest = 128,
	.mq_features = 1ull << VIRTIO_CONSOLE_F_MULTIPORT,
	.mq_above = 4,
	.pci_class = 0x078000,
	.msix_vectors = con_qemu_vectors,
};

const struct vdev_ops vdev_console_ops = {
	.name = "console",
	.id = VIRTIO_ID_CONSOLE,
	.pci_class = 0x07, .pci_subclass = 0x80, .pci_progif = 0x00,	/* other communication, as QEMU */
	.features = (1ull << VIRTIO_CONSOLE_F_SIZE) | (1ull << VIRTIO_CONSOLE_F_EMERG_WRITE),
	.default_queues = 2,
	.devcfg_size = CON_CFG_SIZE,
	.queue_name = con_queue_name,
	.default_config = con_default_config,
	.defaults = { [VDEV_LAYOUT_QEMU] = &con_qemu },
	.create = con_create,
	.destroy = con_destroy,
	.reset = con_reset,
	.status_changed = con_status_changed,
	.status_written = con_status_written,
	.queue_notified = con_queue_notified,
	.main_loop = con_main_loop,
	.get_config = con_get_config,
	.cfg_write = con_cfg_write,
	.input = con_input,
	.save = con_save,
	.load = con_load,
	.notify_at_end = true,
};
