/* tui-rings.h -- name the guest memory an event touches after the virtqueue it belongs to (requestq.used.ring[3]) */
#ifndef VR_TUI_RINGS_H
#define VR_TUI_RINGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct tui_rings;

/*
 * The split-ring layout of each queue as the guest programmed it through
 * the common configuration registers (queue_select, queue_size,
 * queue_desc/driver/device) recorded in the events table. The register
 * writes are read lazily, up to the latest event asked about, in short
 * steps: opening a big run costs nothing, paging along keeps the layouts
 * current, and a jump far into it names rows from the layouts known so far.
 */
struct tui_rings *tui_rings_new(struct sqlite3 *db, int64_t run);
void tui_rings_free(struct tui_rings *r);
/*
 * Name the len bytes at guest address addr as of event: "requestq.desc[7]",
 * "requestq.avail.idx", "requestq.used.ring[3]", "requestq.desc[0..2]" for
 * a range. false if they lie in no ring (or the database cannot say).
 */
bool tui_rings_name(struct tui_rings *r, int64_t event, uint64_t addr, uint64_t len, char *out, size_t n);

/* One queue's split-ring layout as of an event. */
struct tui_ring_layout {
	int64_t queue;
	char name[24];
	uint64_t desc, avail, used;
	uint32_t size;
	int64_t since;		/* the event of its last layout register write */
};
/*
 * The queues laid out (a size and a ring address programmed) as of event,
 * in queue order, at most max of them into out. Reads register writes as
 * tui_rings_name does. Returns how many.
 */
size_t tui_rings_layouts(struct tui_rings *r, int64_t event, struct tui_ring_layout *out, size_t max);

/*
 * Fill the temporary table temp.ring_filter (first, last, lo, hi) with the
 * guest address ranges [lo, hi] whose ring names match glob, each valid for
 * events first..last; adjacent entries merge into one range. Reads every
 * register write of the run. Returns the number of ranges, -1 on error.
 */
int64_t tui_rings_filter(struct tui_rings *r, const char *glob);
/* The statement that creates temp.ring_filter, run once per connection. */
#define TUI_RINGS_FILTER_TABLE \
	"CREATE TEMP TABLE IF NOT EXISTS ring_filter (first INTEGER, last INTEGER, lo INTEGER, hi INTEGER)"

#endif
