/* sink-log.h -- the inspection log: every register access, transaction and anomaly as deterministic text */
#ifndef VR_SINK_LOG_H
#define VR_SINK_LOG_H
#include <stddef.h>
#include <stdio.h>
#include "vr/event.h"

/*
 * The log holds no timestamps, pointers or host paths beyond what the events
 * carry, so the same replay gives the same log byte for byte. Hex dumps of
 * buffers, frames and divergent bytes are capped at max_bytes per buffer
 * (0 = no cap; --log-bytes), with the cut noted. One line (plus an indented
 * dump) per event, prefixed with its trace event number:
 *
 *   == run begin / trace, sha256, device, layout, version, options, offered
 *   #13 bar4+0x0020 common.queue_desc[31:0] <- 0x0007f000     (register write)
 *   #14 bar4+0x0014 common.device_status -> 0x0f              (value the model returned)
 *   #15 cfg+0x0004 cfg.command <- 0x0006
 *   #20 mem addr 0x40100000 len 16: 01 00 ...                 (raw trace events other than
 *   #21 recorded dma addr ... / recorded irq msix vector 1      cfg/bar accesses; <= 16 bytes
 *   #22 input disk addr 0x0 len 4096 + dump / mark "text"      inline, more as a dump)
 *   #116 txn requestq(0) head 0: blk OUT sector=1776 len=512 status=OK
 *       from #116, 3 descriptors, out 528, in 1, used len 1
 *       desc 0 addr 0x0000000040100000 len 16 NEXT next 1      ((indirect) after the index)
 *       out 528 bytes: / in 1 byte: + dumps
 *   #116 dma requestq.used.idx addr 0x40011242 len 2: 03 00
 *   #116 irq msix vector 1 addr 0xfee00000 data 0x00004021 (queue 0)
 *   !! VIOLATION desc-loop event 124 (offset 0x4018): queue 0 desc 200 addr 0x...: detail
 *   !! DIVERGENCE bar-read event 105 (offset 0x3e44): field: expected 0x4f, produced 0xf
 *      report text verbatim, expected | produced dump, "!! end of divergence"
 *   #6 frame tx queue 1 len 64 + dump / #6 note: text
 *   == run end: matched, complete, N events, N divergences, N violations, negotiated 0x...
 */
struct sink_log;

/* Create/truncate path ("-" = stdout). */
struct sink_log *sink_log_open(const char *path, size_t max_bytes, char **cause);
/* Write to an already open stream (not closed by sink_log_close). */
struct sink_log *sink_log_new(FILE *f, size_t max_bytes);
int sink_log_attach(struct sink_log *l, struct evbus *bus, char **cause);
/* Flush and free (NULL is a no-op); -1 with *cause on a write error. */
int sink_log_close(struct sink_log *l, char **cause);

#endif
