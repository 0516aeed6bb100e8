/* sink-sqlite-int.h -- what the store's writer (sink-sqlite.c) and its schema (sink-sqlite-schema.c) share */
#ifndef VR_SINK_SQLITE_INT_H
#define VR_SINK_SQLITE_INT_H

#include <sqlite3.h>

/* The tables version 1 had in the same form, and the current per-event tables and views. */
extern const char sink_sqlite_common_sql[];
extern const char sink_sqlite_tables_sql[];
/* Secondary indexes of the per-event tables, built when a run ends (IF NOT EXISTS). */
extern const char sink_sqlite_index_sql[];

/* Run SQL; -1 with "PATH: message" in *cause if it fails. */
int sink_sqlite_exec(sqlite3 *db, const char *path, const char *sql, char **cause);
/* Classify an open database: *version 0 = empty, 1.. = our schema; a foreign or newer one is an error. */
int sink_sqlite_check_schema(sqlite3 *db, const char *path, int *version, char **cause);

#endif
