/* violation.h -- the stable names of guest misbehaviours (ARCHITECTURE.md section 3, cases 1-21) */
#ifndef VR_VIOLATION_H
#define VR_VIOLATION_H

/*
 * These identifiers appear in VR_EV_VIOLATION events, in the database, in
 * traces/malformed/ expectations and in replay reports: never rename one.
 * The enum value is the case number of ARCHITECTURE.md section 3, except the
 * second flavour of case 6 (INDIRECT together with NEXT) and of case 16
 * (queue_enable written with 0), which come last.
 */
enum violation {
	VIOL_NONE = 0,
	VIOL_DESC_LOOP,			/* 1 chain loops or is longer than the table */
	VIOL_DESC_NEXT_RANGE,		/* 2 next >= table size */
	VIOL_AVAIL_HEAD_RANGE,		/* 3 head from avail ring >= queue size */
	VIOL_AVAIL_IDX_JUMP,		/* 4 avail idx moved by more than the queue size */
	VIOL_INDIRECT_BAD_LEN,		/* 5 indirect table len 0, not a multiple of 16, too large */
	VIOL_INDIRECT_NESTED,		/* 6 INDIRECT inside an indirect table */
	VIOL_INDIRECT_OUTSIDE_RAM,	/* 7 */
	VIOL_DESC_ORDER,		/* 8 readable descriptor after a writable one */
	VIOL_DESC_ZERO_LEN,		/* 9 */
	VIOL_SG_TOO_MANY,		/* 10 more than VIRTQ_MAX_SG entries */
	VIOL_CHAIN_LEN_OVERFLOW,	/* 11 total length > 32 bits */
	VIOL_BUFFER_OUTSIDE_RAM,	/* 12 */
	VIOL_RING_ADDR_BAD,		/* 13 ring outside RAM or misaligned */
	VIOL_QUEUE_SIZE_BAD,		/* 14 */
	VIOL_QUEUE_SELECT_RANGE,	/* 15 */
	VIOL_QUEUE_NOT_READY,		/* 16 */
	VIOL_TOO_MANY_IN_FLIGHT,	/* 17 */
	VIOL_FEATURES_BAD,		/* 18 */
	VIOL_DEVCFG_RANGE,		/* 19 */
	VIOL_BAR_ACCESS_BAD,		/* 20 */
	VIOL_CHECKPOINT_BAD,		/* 21 */
	VIOL_INDIRECT_WITH_NEXT,	/* 6b INDIRECT and NEXT on one descriptor */
	VIOL_QUEUE_ENABLE_BAD,		/* 16b queue_enable written with a value other than 1 */
	VIOL_COUNT
};

/* "desc-loop" etc.; NULL for VIOL_NONE or out of range. */
const char *violation_name(enum violation v);
/* Inverse of violation_name; -1 if unknown. */
int violation_parse(const char *name);

#endif
