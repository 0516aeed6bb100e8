/* sweep-mq.h -- the multiqueue sweep scenario (blk, scsi and net with seeded queue counts, compared against QEMU) */
#ifndef VR_SWEEP_MQ_H
#define VR_SWEEP_MQ_H
#include "vr/record.h"
#include "vr/trace.h"

/*
 * sweep-mq: the header gets a seeded number of request queues (blk
 * num-queues, scsi num_queues, net queue pairs with MQ offered), so QEMU is
 * started with as many (record --target qemu passes the header's queue
 * count on its command line). The guest reads the device config fields that
 * tell the count, selects queues past the last one, sets up a seeded subset
 * of the queues, and spreads request batches over them, with kicks on
 * queues it did not set up and on queues the device does not have; on net
 * with MQ negotiated, VQ_PAIRS_SET with counts in and out of range.
 */
void sweep_mq_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_mq(struct record *rec, char **cause);

#endif
