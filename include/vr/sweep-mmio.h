/* sweep-mmio.h -- the sweep scenario with rings and buffers outside RAM (compared against QEMU 7.2) */
#ifndef VR_SWEEP_MMIO_H
#define VR_SWEEP_MMIO_H
#include "vr/record.h"
#include "vr/trace.h"

/*
 * sweep-mmio (blk): the header states the recording machine's unassigned
 * ranges (qport_machine_map, on the simulator too); queue 0's rings go to
 * a seeded place (RAM, a hole, descriptor address 0, across the end of
 * RAM) and request headers and data buffers to RAM or a hole, one request
 * per kick or a batch, so the bounce buffer's limits show.
 */
void sweep_mmio_prepare(struct record *rec, struct trace_header *h);
int sweep_sc_mmio(struct record *rec, char **cause);
/*
 * sweep-map: the same, with one of queue 0's rings at an edge of the map:
 * from unassigned space into a BAR, the IOAPIC or the firmware (QEMU reads
 * 0 throughout), inside pc.rom, from pc.rom into RAM or across 2^64 (QEMU
 * cannot map it).
 */
int sweep_sc_map(struct record *rec, char **cause);

#endif
