/* crosscheck.h -- play a trace's guest side on QEMU and write QEMU's answers as a trace of their own */
#ifndef VR_CROSSCHECK_H
#define VR_CROSSCHECK_H
#include <stddef.h>
#include <stdint.h>

/*
 * The guest side of a trace (config and BAR accesses, RAM stores, host
 * inputs) is played on QEMU through the qtest guest port; the result is a
 * trace with the same header whose reads carry QEMU's values and whose
 * outputs are QEMU's interrupts. Replaying that against the simulator
 * answers "would real QEMU do the same?".
 *
 * Device outputs in the source trace (dma, irq) are not played: an irq only
 * tells crosscheck to give QEMU time (wait_ms) to deliver one. Timing: QEMU
 * completes requests in its main loop; crosscheck waits for an interrupt
 * the source expects, and for a RAM read-back to show what the source saw,
 * each at most wait_ms, then takes what QEMU has.
 */

struct crosscheck_opts {
	const char *path;		/* the source trace */
	const char *out;		/* QEMU's trace (text) */
	const char *qemu;		/* binary; NULL: qemu-system-x86_64 on PATH */
	unsigned wait_ms;		/* 0: 200 */
};

/* Where each event of QEMU's trace came from in the source trace. */
struct crosscheck_origin {
	uint64_t no;			/* source event number (an interrupt: the guest event before it) */
	uint64_t off;			/* its byte offset */
};

/*
 * Write QEMU's trace. *origin (caller frees) maps its events to the source's.
 * 0; -1 + cause: bad input (the trace cannot be played on QEMU: says why);
 * -2 + cause: QEMU missing or failed (says which).
 */
int crosscheck_record(const struct crosscheck_opts *o, struct crosscheck_origin **origin, uint64_t *norigin,
    char **cause);

#endif
