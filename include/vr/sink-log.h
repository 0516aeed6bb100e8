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
 * (0 = no cap; --log-bytes), with the cut noted.
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
