/* tui-qstate.h -- the browser's queue-state panel: each queue's indices, requests in flight and interrupts at an event */
#ifndef VR_TUI_QSTATE_H
#define VR_TUI_QSTATE_H
#include <stdint.h>

#include "vr/tui-model.h"

struct sqlite3;
struct tui_rings;

/*
 * The state of run's queues as of event (after it), from the database rows
 * up to it, as lines of text replacing out:
 * - per queue laid out so far: its size, the guest's last avail.idx write
 *   and the device's last used.idx write (each with its event), the
 *   requests the device has taken (used.idx + in flight), the ones
 *   published but not taken yet (avail.idx - taken), and the heads in
 *   flight (requests taken and not completed at event);
 * - the INTx line and ISR byte as last changed, each MSI-X vector's last
 *   delivery, and the vectors held pending by a mask (their next delivery
 *   is the one an unmask flushes).
 * Every query is bounded: the index writes are looked for among the
 * TUI_QSTATE_WINDOW events before event (older ones show as '-'), the
 * requests in flight among those taken at most that far back, and the
 * interrupts through the index on (run, msix, vector). 0 / -1 with *cause.
 */
#define TUI_QSTATE_WINDOW	65536
int tui_qstate(struct sqlite3 *db, const char *path, int64_t run, struct tui_rings *rings, int64_t event,
    struct tui_text *out, char **cause);

#endif
