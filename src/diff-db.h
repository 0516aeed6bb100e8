/* diff-db.h -- a stored run as one side of diff: DB or DB:RUN read back from the database */
#ifndef VR_DIFF_DB_H
#define VR_DIFF_DB_H
#include <stdint.h>
#include "vr/rundiff.h"

struct vr_event;

struct diff_db {
	char *path;
	int64_t run;		/* 0: the newest (diff_db_feed sets the number) */
};

/*
 * Does arg name a stored run (DB, or DB:RUN with RUN after the last ':')?
 * 1 and db filled (free db->path), 0 if it is not a database (a trace),
 * -1 and cause for a bad run number.
 */
int diff_db_parse(const char *arg, struct diff_db *db, char **cause);
/*
 * A rundiff_side feed (side->feed_arg is the struct diff_db): observe what
 * the run's device did, in event order, from the database; fills the side's
 * layout, outcome and event count. 0 / -1 + cause.
 */
int diff_db_feed(struct rundiff_side *side, void (*observe)(void *ctx, const struct vr_event *ev), void *ctx,
    char **cause);

#endif
