/* violation.c -- stable names of guest misbehaviours */
#include <string.h>

#include "vr/violation.h"

static const char *const names[VIOL_COUNT] = {
	[VIOL_DESC_LOOP] = "desc-loop",
	[VIOL_DESC_NEXT_RANGE] = "desc-next-range",
	[VIOL_AVAIL_HEAD_RANGE] = "avail-head-range",
	[VIOL_AVAIL_IDX_JUMP] = "avail-idx-jump",
	[VIOL_INDIRECT_BAD_LEN] = "indirect-bad-len",
	[VIOL_INDIRECT_NESTED] = "indirect-nested",
	[VIOL_INDIRECT_OUTSIDE_RAM] = "indirect-outside-ram",
	[VIOL_DESC_ORDER] = "desc-order",
	[VIOL_DESC_ZERO_LEN] = "desc-zero-len",
	[VIOL_SG_TOO_MANY] = "sg-too-many",
	[VIOL_CHAIN_LEN_OVERFLOW] = "chain-len-overflow",
	[VIOL_BUFFER_OUTSIDE_RAM] = "buffer-outside-ram",
	[VIOL_RING_ADDR_BAD] = "ring-addr-bad",
	[VIOL_QUEUE_SIZE_BAD] = "queue-size-bad",
	[VIOL_QUEUE_SELECT_RANGE] = "queue-select-range",
	[VIOL_QUEUE_NOT_READY] = "queue-not-ready",
	[VIOL_TOO_MANY_IN_FLIGHT] = "too-many-in-flight",
	[VIOL_FEATURES_BAD] = "features-bad",
	[VIOL_DEVCFG_RANGE] = "devcfg-range",
	[VIOL_BAR_ACCESS_BAD] = "bar-access-bad",
	[VIOL_CHECKPOINT_BAD] = "checkpoint-bad",
	[VIOL_INDIRECT_WITH_NEXT] = "indirect-with-next",
	[VIOL_QUEUE_ENABLE_BAD] = "queue-enable-bad",
};

const char *violation_name(enum violation v)
{
	return (unsigned)v < VIOL_COUNT ? names[v] : NULL;
}

int violation_parse(const char *name)
{
	for (int i = 1; i < VIOL_COUNT; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}
