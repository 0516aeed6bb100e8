/* replay-budget.c -- the replay's work budget (requests, bytes, count walks) and its memory limit */
#include <inttypes.h>
#include <stdio.h>

#include "vr/cause.h"
#include "vr/gmem.h"
#include "vr/replay.h"
#include "vr/trace.h"
#include "vr/vpci.h"

#include "replay-int.h"

/* The allowance for B trace bytes read: max(floor, per_byte x B), or the caller's fixed budget. */
static uint64_t allowance(uint64_t fixed, uint64_t floor, uint64_t per_byte, uint64_t b)
{
	if (fixed != 0)
		return fixed;
	return b > floor / per_byte ? (b > UINT64_MAX / per_byte ? UINT64_MAX : b * per_byte) : floor;
}

void rp_budget_allow(struct replay *r, uint64_t b)
{
	r->allow_requests = allowance(r->opts.budget_requests, REPLAY_BUDGET_REQUESTS_MIN,
	    REPLAY_BUDGET_REQUESTS_PER_BYTE, b);
	r->allow_bytes = allowance(r->opts.budget_bytes, REPLAY_BUDGET_BYTES_MIN, REPLAY_BUDGET_BYTES_PER_BYTE, b);
	r->allow_counted = allowance(r->opts.budget_requests == UINT64_MAX ? UINT64_MAX : 0, REPLAY_BUDGET_COUNTED_MIN,
	    REPLAY_BUDGET_COUNTED_PER_BYTE, b);
}

bool rp_budget_take(struct replay *r, uint64_t *served, uint64_t *allow, uint64_t amount, const char *what)
{
	struct trace_file_info fi;

	if (r->over_what != NULL)
		return false;
	*served += amount;
	if (*served <= *allow)
		return true;
	trace_get_file_info(r->rd, &fi);
	rp_budget_allow(r, fi.raw);
	if (*served <= *allow)
		return true;
	r->over_what = what;
	r->over_no = r->dbus.event_no;
	r->over_off = r->dbus.offset;
	r->over_allowed = *allow;
	return false;
}

/* QEMU's count walks what the guest posted, as long as it is: bounded by the budget. */
void rp_budget_counted(struct replay *r)
{
	uint64_t n = vpci_counted(r->dev);

	if (n > r->served_counted)
		(void)rp_budget_take(r, &r->served_counted, &r->allow_counted, n - r->served_counted,
		    "descriptors read to count posted buffers");
}

int rp_over_budget(struct replay *r, char **cause)
{
	const struct gmem *m = vpci_gmem(r->dev);

	if (gmem_over_limit(m))
		return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): guest RAM limit reached: "
		    "%" PRIu64 " MiB of guest RAM in use and this event needs more (--mem-limit, default %llu MiB)",
		    r->opts.path, r->dbus.event_no, r->dbus.offset, gmem_resident(m) >> 20,
		    REPLAY_MEM_LIMIT_DEFAULT >> 20);
	if (r->over_what == NULL)
		return 0;
	return cause_set(cause, "%s: event %" PRIu64 " (offset 0x%" PRIx64 "): work budget exceeded: more than %"
	    PRIu64 " %s (--budget / --budget-bytes set it; the default grows with the trace's size)", r->opts.path,
	    r->over_no, r->over_off, r->over_allowed, r->over_what);
}
