/* testdev.h -- an "echo" device model and a harness for the device-core test suites */
#ifndef VR_TESTDEV_H
#define VR_TESTDEV_H
#include <stdbool.h>
#include <stdint.h>

#include "vr/event.h"
#include "vr/guest.h"
#include "vr/vdev.h"
#include "vr/vpci.h"

/*
 * The echo device copies a chain's OUT bytes into its IN buffers and
 * completes it with the number of bytes copied. Device config is 8 bytes
 * (writable); writing byte 7 announces a config change. It keeps a request
 * counter as its checkpoint state.
 */
extern const struct vdev_ops testdev_ops;
#define TESTDEV_ID 0x1e

/* Mode for devices created from now on (tests are single-threaded). */
enum testdev_mode {
	TESTDEV_ECHO,		/* get, write, put, sync */
	TESTDEV_HOLD,		/* get and keep in flight; testdev_release() completes them */
	TESTDEV_NEED_DATA,	/* echo, but report desc-zero-len (needs reset) for an empty OUT part */
};
extern enum testdev_mode testdev_mode;
/* Complete every held chain of queue q (in order). */
void testdev_release(struct vpci *d, unsigned q);
uint32_t testdev_requests(struct vpci *d);
/* The services handle of the last echo device created. */
struct vdev_ctx *testdev_ctx(void);

/* A recorded event, with its strings copied. */
struct rec_ev {
	enum vr_ev_kind kind;
	char name[96];		/* access reg, violation name, dma what, note text, irq cause */
	uint64_t a, b;		/* access: offset/value; dma: addr/len; irq: vector/level; violation: queue/desc */
	uint8_t data[16];	/* first bytes of dma data */
};

struct harness {
	struct evbus bus;
	struct vpci *d;
	struct guest *g;
	struct guest_port port;
	struct vpci_ram ram[2];
	struct rec_ev *ev;
	unsigned nev, cap;
	uint32_t mask;
};

/* Device + guest on 16 MiB of RAM at 0 (plus 4 GiB at 4 GiB). offered 0: defaults (VERSION_1, INDIRECT, EVENT_IDX). */
void harness_init(struct harness *h, int layout, uint64_t offered, uint16_t nqueues, uint16_t qmax);
/* The same under a transport (VDEV_TRANSPORT_*); non-modern ones present the echo device as virtio id 2. */
void harness_init_transport(struct harness *h, int layout, int transport, uint64_t offered, uint16_t nqueues,
    uint16_t qmax);
void harness_fini(struct harness *h);
/* Full guest_init with the given irq mode; asserts success. */
void harness_up(struct harness *h, enum guest_irq_mode irq);
/* With a legacy driver (the legacy I/O BAR block) that sets up nqueues queues. */
void harness_up_driver(struct harness *h, enum guest_irq_mode irq, bool legacy, uint16_t nqueues);
unsigned harness_count(const struct harness *h, enum vr_ev_kind k, const char *name);	/* name NULL: any */
const struct rec_ev *harness_last(const struct harness *h, enum vr_ev_kind k);
void harness_clear(struct harness *h);
/* Add one echo request on q (out bytes, in capacity) and kick; returns the head. */
int harness_echo(struct harness *h, unsigned q, const void *out, uint32_t outlen, uint32_t inlen, bool indirect);

#endif
