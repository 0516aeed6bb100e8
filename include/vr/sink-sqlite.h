/* sink-sqlite.h -- the store: replay events into an SQLite database (schema in virtio-replay-db(5)) */
#ifndef VR_SINK_SQLITE_H
#define VR_SINK_SQLITE_H
#include <stdint.h>
#include "vr/event.h"

/*
 * One sink writes one database; the database may already hold other runs.
 * Each VR_EV_RUN_BEGIN starts a run: its row is inserted and committed at
 * once with complete=0 and outcome "running", so a process killed at any
 * point leaves a readable database whose run says complete=0. Rows are
 * written with prepared statements and committed in batches of
 * SINK_SQLITE_BATCH rows; VR_EV_RUN_END sets outcome, counters and the
 * complete flag in the run's last transaction.
 *
 * Event callbacks cannot fail: the first SQLite error is kept, later events
 * are ignored, and it is returned by sink_sqlite_error() and sink_sqlite_close().
 */

#define SINK_SQLITE_SCHEMA_VERSION	3	/* PRAGMA user_version and schema_version.version */
#define SINK_SQLITE_APP_ID		0x56525042	/* PRAGMA application_id: "VRPB" */
#define SINK_SQLITE_BATCH		65536	/* rows per committed transaction */
#define SINK_SQLITE_MAX_BLOB		(1u << 20)	/* bytes kept per blob; the length column keeps the real size */
#define SINK_SQLITE_INLINE		32	/* payloads up to this many bytes stay in their row; longer ones go to blobs */

struct sink_sqlite;
struct sqlite3;

/*
 * Open or create the database at path and create the schema if the file is
 * new or empty. Refuses (NULL and *cause) a file that is not an SQLite
 * database, an SQLite database that is not ours, or a newer schema version
 * ("db.sqlite: schema version 2 is newer than this program's 1").
 */
struct sink_sqlite *sink_sqlite_open(const char *path, char **cause);
/* Subscribe to every event kind. 0 / -1 (bus full). */
int sink_sqlite_attach(struct sink_sqlite *s, struct evbus *bus, char **cause);
/* The current (or last) run's id, 0 before the first run begins. */
int64_t sink_sqlite_run_id(const struct sink_sqlite *s);
/* 0, or -1 with a copy of the first error a callback hit. */
int sink_sqlite_error(const struct sink_sqlite *s, char **cause);
/*
 * Commit what was stored and free s (NULL is a no-op). A run whose RUN_END
 * never came (error, signal) is kept with complete=0, outcome "aborted" and
 * the counts of what was stored. Returns -1 with *cause if any write failed;
 * s is freed either way.
 */
int sink_sqlite_close(struct sink_sqlite *s, char **cause);

/*
 * Convert the database at path to this program's schema version in place
 * (one transaction, then VACUUM). *from gets the version it had; a database
 * already current is left alone. 0, or -1 with *cause (nothing changed).
 */
int sink_sqlite_upgrade(const char *path, int *from, char **cause);

/*
 * For readers (runs command, TUI): open path read-only after checking it is
 * a virtio-replay database with a schema version this program understands.
 * The caller closes it with sqlite3_close(). *version receives the schema
 * version (may be NULL).
 */
struct sqlite3 *sink_sqlite_open_readonly(const char *path, int *version, char **cause);

#endif
