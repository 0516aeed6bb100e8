/* sweep-blk.h -- the blk request sweep scenario (seeded requests, answers and in-flight limit, compared against QEMU) */
#ifndef VR_SWEEP_BLK_H
#define VR_SWEEP_BLK_H
#include "vr/record.h"
#include "vr/trace.h"

/*
 * sweep-blk: batches of blk requests in one notify each -- every type
 * (unknown ones and BARRIER too), sizes split over several buffers, sector
 * ranges inside, across and past the capacity, misaligned lengths, DISCARD
 * and WRITE_ZEROES with every flag, count and segment length, GET_ID into
 * buffers of every length -- with the writeback byte written between them
 * and feature subsets (FLUSH, CONFIG_WCE, DISCARD, WRITE_ZEROES) across
 * resets; the header gets a seeded serial and disk options (discard mode,
 * write cache, tighter DISCARD / WRITE_ZEROES limits), and a write is often
 * followed by a discard or write-zeroes on it and a read back. A batch holds at most one
 * request QEMU finishes after the notify (its block layer's completion order
 * across several is not deterministic); the last round may move the avail
 * index past the queue size with reads in every slot (QEMU's in-flight
 * limit) or send a short discard segment (virtio_error).
 */
void sweep_blk_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_blk(struct record *rec, char **cause);

#endif
