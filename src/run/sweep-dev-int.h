/* sweep-dev-int.h -- what the device sweeps (net, console, rng, virtio-serial) share */
#ifndef VR_SWEEP_DEV_INT_H
#define VR_SWEEP_DEV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vr/guest.h"
#include "vr/record.h"

/*
 * QEMU works in its own time, so the guest must know how many completions
 * to wait for before it reads a used ring (a read made too early would be a
 * false difference). It keeps an account of what the device owes from the
 * spec and from the device's own answers (the control acks it read back),
 * never from this simulator's code: frames waiting for receive buffers, the
 * receive filter, console bytes waiting for buffers, entropy in the pool.
 */

struct dsw {
	struct record *rec;
	struct guest *g;
	enum guest_irq_mode irq;
	uint64_t intx_seen;
	uint64_t feat;			/* negotiated */
};

#define CON_MAX_BUFS	64u		/* console and rng requests the account holds */

/*
 * Bytes the host gave and not yet delivered (typed text, entropy) and the
 * buffers posted for them: the bytes fill the buffers in order, the last
 * one maybe in part.
 */
struct bytesacct {
	uint32_t bytes;
	uint32_t buf[CON_MAX_BUFS];
	unsigned nbuf;
};

uint64_t dsw_rnd(struct dsw *s, uint64_t n);
void dsw_fill(struct dsw *s, uint8_t *p, size_t n);
int dsw_begin(struct dsw *s, struct record *rec, uint64_t drop, uint64_t (*fix)(uint64_t want), char **cause);
bool dsw_has(const struct dsw *s, unsigned bit);
unsigned dsw_take(struct dsw *s, unsigned q, unsigned n, uint8_t *last);
bool dsw_add(struct dsw *s, unsigned q, const struct guest_buf *out, unsigned nout, const struct guest_buf *in,
    unsigned nin);
int bytes_begin(struct dsw *s, struct record *rec, struct bytesacct *a, unsigned *ops, char **cause);
int bytes_give(struct dsw *s, struct bytesacct *a, uint8_t type, uint32_t len, char **cause);
unsigned bytes_deliver(struct bytesacct *a);

#endif
