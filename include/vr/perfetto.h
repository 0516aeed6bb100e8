/* perfetto.h -- a replay run as Chrome/Perfetto trace-event JSON (virtio-replay export --to perfetto) */
#ifndef VR_PERFETTO_H
#define VR_PERFETTO_H
#include <stdint.h>
#include <stdio.h>

/*
 * Write run (0: the newest) of the replay database at path to out as the
 * trace-event JSON that ui.perfetto.dev and chrome://tracing open. The time
 * axis is the trace's event number (one event = 1 us), the only clock
 * every trace has. Per queue one track of requests, each a complete slice
 * ("X") from the event that took it to the event that completed it; when
 * requests overlap the queue gets more tracks ("#2", ...), so slices on a
 * track never overlap. A counter per queue follows its requests in flight.
 * Interrupts and violations are instant events on tracks of their own,
 * divergences global instants that cross every track. Database strings are
 * cut to printable ASCII, so the output is valid JSON whatever the database
 * holds. Reads the database only. 0, or -1 and *cause.
 */
int perfetto_write(const char *path, int64_t run, FILE *out, char **cause);

#endif
