/* replay.h -- the replay engine: rebuild the device a trace describes, feed it the trace, compare outputs */
#ifndef VR_REPLAY_H
#define VR_REPLAY_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include "vr/event.h"
#include "vr/trace.h"
#include "vr/vpci.h"

/*
 * A replay reads a trace event by event and applies each one to a device
 * built from the trace header:
 *   cfg/bar write  -> vpci_cfg_write / vpci_bar_write
 *   cfg/bar read   -> vpci_*_read, compared with the recorded value if any
 *   mem            -> gmem_write (a store outside the declared RAM is a bad trace)
 *   input          -> vpci_input
 *   time           -> bus virtual time
 *   checkpoint     -> at event 0: loaded (a cut trace starts from it);
 *                     later: the device's vpci_save() must equal it
 *   dma / irq      -> expected outputs: matched in order against what the
 *                     device produced since the last guest event
 * Outputs the device produces are queued; any left unmatched when the next
 * guest event arrives are divergences if the header says the recording
 * carries that kind of output (TRACE_REC_DMA / TRACE_REC_IRQ).
 *
 * Sinks subscribe to the caller's bus. Before the first reported event
 * (--from) they see nothing; the engine stamps the bus with each trace event's
 * number, offset and virtual time, emits RUN_BEGIN, TRACE (each raw event),
 * DIVERGENCE and RUN_END, and forwards the device's events.
 */

#define REPLAY_HISTORY		8		/* events shown before a divergence */
#define REPLAY_MAX_TXN_TYPES	64		/* (queue, type) pairs counted in the summary */
#define REPLAY_MAX_VIOLATIONS	64		/* violations kept for the summary / --json */
#define REPLAY_BUDGET_REQUESTS_MIN	16384ull
#define REPLAY_BUDGET_REQUESTS_PER_BYTE	32ull
#define REPLAY_BUDGET_BYTES_MIN		(256ull << 20)
#define REPLAY_BUDGET_BYTES_PER_BYTE	65536ull
#define REPLAY_BUDGET_COUNTED_MIN	(1ull << 28)
#define REPLAY_BUDGET_COUNTED_PER_BYTE	256ull
#define REPLAY_MEM_LIMIT_DEFAULT	(2ull << 30)	/* guest RAM actually touched */

enum replay_outcome {
	REPLAY_MATCHED = 0,
	REPLAY_DIVERGED,
	REPLAY_BADINPUT,	/* the trace is malformed or inconsistent: *cause says where */
	REPLAY_ERROR,		/* internal error */
	REPLAY_STOPPED,		/* *opts->stop was set: stopped at an event boundary */
};

struct replay_opts {
	const char *path;		/* the trace */
	const char *image_dir;		/* where disk images named by the header are (NULL: the trace's directory) */
	int layout;			/* -1: the trace's; else enum trace_layout */
	uint64_t from;			/* first event reported (0: all) */
	uint64_t to;			/* last event applied (UINT64_MAX: to the end) */
	bool lenient;			/* count divergences and go on */
	bool no_checkpoint_verify;	/* do not compare checkpoints with the device state */
	const char *options;		/* canonical options, for the run record (may be NULL) */
	const char *version;		/* program version (may be NULL) */
	/*
	 * Budgets (0: the default; UINT64_MAX: none). The device may serve at most
	 * max(REPLAY_BUDGET_REQUESTS_MIN, REPLAY_BUDGET_REQUESTS_PER_BYTE x B)
	 * requests and write at most max(REPLAY_BUDGET_BYTES_MIN,
	 * REPLAY_BUDGET_BYTES_PER_BYTE x B) bytes into guest RAM and read at
	 * most max(REPLAY_BUDGET_COUNTED_MIN, REPLAY_BUDGET_COUNTED_PER_BYTE x B)
	 * descriptors to count posted buffers (none with budget_requests
	 * UINT64_MAX), B being the
	 * trace bytes read so far (event lines of a text trace, decompressed
	 * records of a binary one), so a small trace cannot make it work without
	 * end. Guest RAM pages allocated: at most mem_limit bytes.
	 */
	uint64_t budget_requests;
	uint64_t budget_bytes;
	uint64_t mem_limit;
	volatile sig_atomic_t *stop;	/* polled between events (may be NULL) */
	/* Called about every progress_every events (0: 65536) (may be NULL). */
	void (*progress)(void *opaque, uint64_t event_no, uint64_t offset);
	void *progress_opaque;
	uint64_t progress_every;
	/*
	 * Checkpoint file (may be NULL; ckpt-file.h): with from > 0 and a file
	 * of this trace there, the replay starts at its last checkpoint before
	 * `from` (or the trace's own, if later); otherwise it writes the file
	 * anew, a device checkpoint every checkpoint_every events (0: the
	 * default, REPLAY_CHECKPOINT_EVERY) at the first guest event with
	 * nothing pending after that.
	 */
	const char *checkpoints;
	uint64_t checkpoint_every;
};

#define REPLAY_CHECKPOINT_EVERY	100000

struct replay_txn_count {
	uint16_t queue;
	char queue_name[32];
	char type[32];
	uint64_t count;
};

struct replay_violation {
	char name[40];
	uint64_t event_no;
	int queue;
};

struct replay_stats {
	uint64_t events;		/* trace events applied from `from` on */
	uint64_t kinds[TRACE_KIND_COUNT];
	uint64_t txns, irqs, dmas;
	uint64_t violations, divergences;
	uint64_t first_divergence;	/* event number; valid if divergences > 0 */
	uint64_t checkpoints_verified;
	struct replay_txn_count txn[REPLAY_MAX_TXN_TYPES];
	unsigned ntxn;
	struct replay_violation viol[REPLAY_MAX_VIOLATIONS];
	unsigned nviol;
	uint64_t seeked_from;		/* --from: checkpoint event loaded (UINT64_MAX: none) */
};

struct replay;

/* Open the trace and build its device. NULL + *cause ("FILE: ...") on a bad trace. */
struct replay *replay_new(const struct replay_opts *opts, struct evbus *bus, char **cause);
void replay_free(struct replay *r);
/*
 * Run to the end (or opts->to). Returns an enum replay_outcome; for
 * REPLAY_BADINPUT and REPLAY_ERROR *cause is set. RUN_END is emitted in
 * every case, with complete = false unless the requested range was replayed.
 */
int replay_run(struct replay *r, char **cause);
const struct replay_stats *replay_get_stats(const struct replay *r);
/* The first divergence's full report, or NULL. */
const char *replay_first_report(const struct replay *r);
const struct trace_header *replay_get_header(const struct replay *r);
struct vpci *replay_device(struct replay *r);
uint64_t replay_vtime(const struct replay *r);
/* Device outputs produced but not yet matched against the recording (for cut). */
unsigned replay_pending(const struct replay *r);
const char *replay_outcome_name(int outcome);
/*
 * Name guest address addr from the queues the guest has set up so far:
 * "requestq.used.ring[3].len", "requestq.desc[7].addr", "requestq.buffer",
 * or "guest RAM 0x..." when it lies in none of them.
 */
void replay_name_ram(struct replay *r, uint64_t addr, char *out, size_t n);	/* "matched", "diverged", ... */

/*
 * Build a vpci_setup from a trace header. Disk images are opened inside the
 * directory of trace_path (replay_devsetup_in: inside image_dir unless NULL):
 * a relative name without "..", no symbolic link on the way, a regular file
 * whose SHA-256 matches the header's. A refusal is "TRACE: header: backend N:
 * image 'NAME': why" and never tells the refused file's own hash. layout -1
 * keeps the header's. The setup points into *storage, which must outlive the
 * device; replay_devsetup_release closes the images it opened.
 */
struct replay_devsetup {
	struct vpci_setup setup;
	struct vdev_generic generic;	/* the transport-only device, for types without a model */
	struct vpci_ram ram[TRACE_MAX_RAM];
	struct vpci_ram unassigned[TRACE_MAX_UNASSIGNED];
	struct vpci_ram rom[TRACE_MAX_ROM];
	struct vdev_backend backend[TRACE_MAX_BACKENDS];
	char image[TRACE_MAX_BACKENDS][PATH_MAX];
	uint8_t devcfg[TRACE_MAX_DEVCFG];
	char serial[TRACE_MAX_SERIAL];
};
int replay_devsetup(const struct trace_header *h, const char *trace_path, int layout,
    struct replay_devsetup *storage, char **cause);
int replay_devsetup_in(const struct trace_header *h, const char *trace_path, const char *image_dir, int layout,
    struct replay_devsetup *storage, char **cause);
void replay_devsetup_release(struct replay_devsetup *storage);

/*
 * Find, reading only (no replay), the last event at or before n for which
 * want(ev) holds, looking back in doubling windows (binary traces seek via
 * their index). *found gets its number; *time_before the last TIME value
 * seen before it (0 if none). Returns 1 found, 0 none, -1 error.
 */
int replay_find_before(const char *path, uint64_t n, bool (*want)(const struct trace_event *),
    uint64_t *found, uint64_t *time_before, char **cause);

#endif
