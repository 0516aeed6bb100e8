/* sink-sqlite-schema.c -- the store's schema (tables, views, indexes), its checks and its upgrades from older versions */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "vr/cause.h"
#include "vr/sink-sqlite.h"
#include "vr/xmalloc.h"
#include "sink-sqlite-int.h"

/*
 * Schema, version 3 (virtio-replay-db(5) says why it is shaped so).
 * Integers are stored as SQLite's signed 64-bit values (a u64 above 2^63
 * reads back negative; printf('0x%x', ...) shows it right).
 *
 * The hot path writes one b-tree row per trace event (event_rows), per
 * transaction (transactions, with its descriptor chain as JSON and its
 * buffers by reference), per device write into guest RAM (dma_rows) and per
 * interrupt, each in key order into a WITHOUT ROWID table with no secondary
 * index. A payload longer than SINK_SQLITE_INLINE bytes is stored once in
 * blobs (a rowid table: big blobs on their own pages, no overflow waste in a
 * WITHOUT ROWID leaf), found again by its content, and referred to by id.
 * Views with the version-1 table names (events, descriptors, buffers, dma)
 * give the rows back as version 1 stored them.
 */
#define SCHEMA_TABLES \
	"CREATE TABLE schema_version (version INTEGER NOT NULL);\n" \
	"INSERT INTO schema_version VALUES (3);\n" \
	"CREATE TABLE event_kinds (code INTEGER PRIMARY KEY, name TEXT NOT NULL);\n" \
	"CREATE TABLE registers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n" \
	"CREATE TABLE runs (\n" \
	"  id INTEGER PRIMARY KEY,\n" \
	"  trace TEXT, trace_sha256 TEXT, version TEXT, options TEXT,\n" \
	"  device TEXT, layout TEXT,\n" \
	"  features_offered INTEGER, features_negotiated INTEGER,\n" \
	"  outcome TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0,\n" \
	"  started TEXT NOT NULL,\n" \
	"  events INTEGER NOT NULL DEFAULT 0, transactions INTEGER NOT NULL DEFAULT 0,\n" \
	"  divergences INTEGER NOT NULL DEFAULT 0, violations INTEGER NOT NULL DEFAULT 0);\n"

#define V2_VIEWS \
	/* the version-1 tables, as views */ \
	"CREATE VIEW events AS SELECT run, event, sub, file_offset, vtime, kind, space, addr, size, value,\n" \
	"  recorded, reg, len, CASE WHEN payload IS NULL THEN bytes\n" \
	"  ELSE (SELECT b.bytes FROM blobs b WHERE b.id = payload) END AS bytes FROM event_rows;\n" \
	"CREATE VIEW descriptors AS SELECT t.run AS run, t.id AS txn, d.key AS seq,\n" \
	"  json_extract(d.value, '$[0]') AS idx, json_extract(d.value, '$[1]') AS addr,\n" \
	"  json_extract(d.value, '$[2]') AS len, json_extract(d.value, '$[3]') AS flags,\n" \
	"  json_extract(d.value, '$[4]') AS next, json_extract(d.value, '$[5]') AS indirect\n" \
	"  FROM transactions t, json_each(t.chain) d;\n" \
	"CREATE VIEW buffers AS SELECT run, id AS txn, 'in' AS dir, bytes_in AS len,\n" \
	"  CASE WHEN in_payload IS NULL THEN in_bytes ELSE (SELECT b.bytes FROM blobs b WHERE b.id = in_payload) END\n" \
	"  AS bytes FROM transactions WHERE bytes_in > 0\n" \
	"  UNION ALL SELECT run, id, 'out', bytes_out,\n" \
	"  CASE WHEN out_payload IS NULL THEN out_bytes ELSE (SELECT b.bytes FROM blobs b WHERE b.id = out_payload) END\n" \
	"  FROM transactions WHERE bytes_out > 0;\n" \
	"CREATE VIEW dma AS SELECT run, id, event, addr, len, what, CASE WHEN payload IS NULL THEN bytes\n" \
	"  ELSE (SELECT b.bytes FROM blobs b WHERE b.id = payload) END AS bytes FROM dma_rows;\n" \
	/* Views: readable forms of the common questions. */ \
	"CREATE VIEW v_runs AS SELECT id, trace, substr(trace_sha256, 1, 12) AS sha256, device, layout,\n" \
	"  printf('0x%x', features_negotiated) AS features, outcome, complete, events, transactions,\n" \
	"  divergences, violations, started FROM runs;\n" \
	/* \
	 * v_events: reads with a recorded value apart, so the mismatch question \
	 * walks the event_rows_recorded index instead of a whole run \
	 */ \
	"CREATE VIEW v_events AS SELECT e.run, e.event, e.sub, e.file_offset, e.vtime, k.name AS kind,\n" \
	"  e.space, printf('0x%x', e.addr) AS addr, e.size,\n" \
	"  CASE WHEN e.value IS NULL THEN NULL ELSE printf('0x%x', e.value) END AS value,\n" \
	"  NULL AS recorded, r.name AS reg, e.len\n" \
	"  FROM event_rows e JOIN event_kinds k ON k.code = e.kind LEFT JOIN registers r ON r.id = e.reg\n" \
	"  WHERE e.recorded IS NULL\n" \
	"  UNION ALL SELECT e.run, e.event, e.sub, e.file_offset, e.vtime, k.name, e.space, printf('0x%x', e.addr),\n" \
	"  e.size, CASE WHEN e.value IS NULL THEN NULL ELSE printf('0x%x', e.value) END,\n" \
	"  printf('0x%x', e.recorded), r.name, e.len\n" \
	"  FROM event_rows e JOIN event_kinds k ON k.code = e.kind LEFT JOIN registers r ON r.id = e.reg\n" \
	"  WHERE e.recorded IS NOT NULL ORDER BY 1, 2, 3;\n" \
	"CREATE VIEW v_txn_summary AS SELECT run, id, queue, queue_name, head, first_event, last_event,\n" \
	"  latency_events, trim(coalesce(device, '') || ' ' || coalesce(type, '') ||\n" \
	"  CASE WHEN coalesce(fields, '') = '' THEN '' ELSE ' ' || fields END ||\n" \
	"  CASE WHEN coalesce(status, '') = '' THEN '' ELSE ' status=' || status END) AS summary\n" \
	"  FROM transactions;\n" \
	"CREATE VIEW v_descriptors AS SELECT run, txn, seq, idx, printf('0x%x', addr) AS addr, len,\n" \
	"  trim(CASE WHEN flags & 1 THEN 'NEXT ' ELSE '' END || CASE WHEN flags & 2 THEN 'WRITE ' ELSE '' END ||\n" \
	"  CASE WHEN flags & 4 THEN 'INDIRECT' ELSE '' END) AS flags, next, indirect FROM descriptors;\n" \
	"CREATE VIEW v_violations AS SELECT run, event, name, queue, desc_index,\n" \
	"  printf('0x%x', addr) AS addr, detail FROM violations;\n" \
	"CREATE VIEW v_divergences AS SELECT run, event, printf('0x%x', file_offset) AS file_offset, what, field,\n" \
	"  printf('0x%x', expected) AS expected, printf('0x%x', produced) AS produced, report FROM divergences;\n" \
	"CREATE VIEW v_queue_stats AS SELECT run, queue, queue_name, txns, bytes_out, bytes_in,\n" \
	"  round(CAST(latency_sum AS REAL) / txns, 2) AS avg_latency, max_latency FROM queue_stats;\n"

/* Interrupts per (msix, vector) of a run (version 3): rewritten with each batch like queue_stats. */
#define IRQ_STATS_SQL \
	"CREATE TABLE irq_stats (run INTEGER NOT NULL, msix INTEGER NOT NULL, vector INTEGER,\n" \
	"  interrupts INTEGER NOT NULL);\n" \
	"CREATE INDEX irq_stats_by_run ON irq_stats (run, msix, vector);\n"

const char sink_sqlite_tables_sql[] =
	"CREATE TABLE blobs (id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);\n"
	"CREATE TABLE event_rows (\n"
	"  run INTEGER NOT NULL, event INTEGER NOT NULL, sub INTEGER NOT NULL,\n"
	"  file_offset INTEGER, vtime INTEGER, kind INTEGER NOT NULL,\n"
	"  space INTEGER, addr INTEGER, size INTEGER, value INTEGER, recorded INTEGER,\n"
	"  reg INTEGER, len INTEGER, bytes BLOB, payload INTEGER,\n"
	"  PRIMARY KEY (run, event, sub)) WITHOUT ROWID;\n"
	"CREATE TABLE transactions (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL,\n"
	"  queue INTEGER NOT NULL, queue_name TEXT, head INTEGER NOT NULL,\n"
	"  device TEXT, type TEXT, fields TEXT, status TEXT,\n"
	"  bytes_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL, used_len INTEGER NOT NULL,\n"
	"  ndesc INTEGER NOT NULL,\n"
	"  first_event INTEGER NOT NULL, last_event INTEGER NOT NULL, latency_events INTEGER NOT NULL,\n"
	"  chain TEXT, out_bytes BLOB, out_payload INTEGER, in_bytes BLOB, in_payload INTEGER,\n"
	"  PRIMARY KEY (run, id)) WITHOUT ROWID;\n"
	"CREATE TABLE dma_rows (\n"
	"  run INTEGER NOT NULL, event INTEGER NOT NULL, id INTEGER NOT NULL,\n"
	"  addr INTEGER NOT NULL, len INTEGER NOT NULL, what TEXT, bytes BLOB, payload INTEGER,\n"
	"  PRIMARY KEY (run, event, id)) WITHOUT ROWID;\n"
	"CREATE TABLE interrupts (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL,\n"
	"  msix INTEGER NOT NULL, vector INTEGER, level INTEGER, isr INTEGER,\n"
	"  msg_addr INTEGER, msg_data INTEGER, cause TEXT,\n"
	"  PRIMARY KEY (run, event, id)) WITHOUT ROWID;\n"
	"CREATE TABLE queue_stats (\n"
	"  run INTEGER NOT NULL, queue INTEGER NOT NULL, queue_name TEXT, txns INTEGER NOT NULL,\n"
	"  bytes_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL,\n"
	"  latency_sum INTEGER NOT NULL, max_latency INTEGER NOT NULL,\n"
	"  PRIMARY KEY (run, queue)) WITHOUT ROWID;\n"
	IRQ_STATS_SQL
	/* reads with a recorded value: the few rows the mismatch question looks at */
	"CREATE INDEX event_rows_recorded ON event_rows (run, event, sub) WHERE recorded IS NOT NULL;\n"
	/*
	 * Planner statistics, written by hand (an ANALYZE would read every row):
	 * a run is large, an event number nearly unique, reads are few.
	 */
	"ANALYZE sqlite_schema;\n"
	"INSERT INTO sqlite_stat1 VALUES ('event_rows', 'event_rows', '4000000 4000000 1 1'),\n"
	"  ('event_rows', 'event_rows_recorded', '100000 100000 1 1');\n"
	V2_VIEWS;

/* Tables version 1 had in the same form. */
const char sink_sqlite_common_sql[] = SCHEMA_TABLES
	"CREATE TABLE violations (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, file_offset INTEGER,\n"
	"  name TEXT NOT NULL, queue INTEGER, desc_index INTEGER, addr INTEGER, detail TEXT,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX violations_by_event ON violations (run, event);\n"
	"CREATE INDEX violations_by_name ON violations (run, name);\n"
	"CREATE TABLE divergences (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, file_offset INTEGER,\n"
	"  what TEXT NOT NULL, field TEXT, expected INTEGER, produced INTEGER,\n"
	"  expected_bytes BLOB, produced_bytes BLOB, report TEXT,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX divergences_by_event ON divergences (run, event);\n"
	"CREATE TABLE frames (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, vtime INTEGER,\n"
	"  tx INTEGER NOT NULL, queue INTEGER NOT NULL, len INTEGER NOT NULL, bytes BLOB,\n"
	"  UNIQUE (run, id));\n"
	"CREATE TABLE notes (\n"
	"  run INTEGER NOT NULL, id INTEGER NOT NULL, event INTEGER NOT NULL, text TEXT NOT NULL,\n"
	"  UNIQUE (run, id));\n"
	"CREATE INDEX notes_by_event ON notes (run, event);\n";


/*
 * Secondary indexes of the per-event tables: built when a run ends (one
 * sorted pass instead of a b-tree insert per row), and by the next writer
 * if a run was killed before. IF NOT EXISTS: a no-op once built.
 */
const char sink_sqlite_index_sql[] =
	"CREATE INDEX IF NOT EXISTS transactions_by_event ON transactions (run, first_event);\n"
	"CREATE INDEX IF NOT EXISTS transactions_by_queue ON transactions (run, queue, id);\n"
	"CREATE INDEX IF NOT EXISTS transactions_by_type ON transactions (run, type, id);\n"
	"CREATE INDEX IF NOT EXISTS transactions_failed ON transactions (run, id) WHERE status NOT IN ('OK', 'GOOD');\n"
	"CREATE INDEX IF NOT EXISTS interrupts_by_vector ON interrupts (run, msix, vector);\n";


int sink_sqlite_exec(sqlite3 *db, const char *path, const char *sql, char **cause)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		cause_set(cause, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Run a one-integer query; -1 with *cause if it fails (e.g. the file is not a database). */
static int query_int(sqlite3 *db, const char *path, const char *sql, int64_t *out, char **cause)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_NOTADB || sqlite3_errcode(db) == SQLITE_NOTADB)
			cause_set(cause, "%s: not a virtio-replay database (not an SQLite file)", path);
		else
			cause_set(cause, "%s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * Classify an open database: 0 = empty (no tables), 1.. = our schema version.
 * A foreign or newer database is an error.
 */
int sink_sqlite_check_schema(sqlite3 *db, const char *path, int *version, char **cause)
{
	int64_t app, ver, ntables;

	if (query_int(db, path, "SELECT count(*) FROM sqlite_master", &ntables, cause) < 0 ||
	    query_int(db, path, "PRAGMA application_id", &app, cause) < 0 ||
	    query_int(db, path, "PRAGMA user_version", &ver, cause) < 0)
		return -1;
	if (ntables == 0 && app == 0 && ver == 0) {
		*version = 0;
		return 0;
	}
	if (app != SINK_SQLITE_APP_ID || ver <= 0)
		return cause_set(cause, "%s: not a virtio-replay database (an SQLite database of another program)", path);
	if (ver > SINK_SQLITE_SCHEMA_VERSION)
		return cause_set(cause, "%s: schema version %lld is newer than this program's %d; use a newer virtio-replay",
		    path, (long long)ver, SINK_SQLITE_SCHEMA_VERSION);
	*version = (int)ver;
	return 0;
}

/*
 * Version 1 to 3, in one transaction: the per-event tables are renamed away,
 * the current tables and views created, the rows copied (payloads over
 * SINK_SQLITE_INLINE bytes into blobs, once per distinct content; each
 * descriptor chain into its transaction's JSON), and the old tables dropped.
 */
static const char upgrade_v1_sql[] =
	"DROP VIEW IF EXISTS v_runs; DROP VIEW IF EXISTS v_events; DROP VIEW IF EXISTS v_txn_summary;\n"
	"DROP VIEW IF EXISTS v_descriptors; DROP VIEW IF EXISTS v_violations; DROP VIEW IF EXISTS v_divergences;\n"
	"DROP VIEW IF EXISTS v_queue_stats;\n"
	"ALTER TABLE events RENAME TO v1_events; ALTER TABLE transactions RENAME TO v1_transactions;\n"
	"ALTER TABLE descriptors RENAME TO v1_descriptors; ALTER TABLE buffers RENAME TO v1_buffers;\n"
	"ALTER TABLE dma RENAME TO v1_dma; ALTER TABLE interrupts RENAME TO v1_interrupts;\n"
	"DROP INDEX IF EXISTS transactions_by_queue; DROP INDEX IF EXISTS transactions_by_type;\n"
	"DROP INDEX IF EXISTS transactions_by_event; DROP INDEX IF EXISTS dma_by_event;\n"
	"DROP INDEX IF EXISTS interrupts_by_event;\n"
	"%s\n"
	"CREATE TEMP TABLE v1_payloads (id INTEGER PRIMARY KEY, bytes BLOB UNIQUE);\n"
	"INSERT OR IGNORE INTO v1_payloads (bytes) SELECT bytes FROM v1_events WHERE length(bytes) > %d\n"
	"  UNION ALL SELECT bytes FROM v1_buffers WHERE length(bytes) > %d\n"
	"  UNION ALL SELECT bytes FROM v1_dma WHERE length(bytes) > %d;\n"
	"INSERT INTO blobs (id, bytes) SELECT id, bytes FROM temp.v1_payloads;\n"
	"INSERT INTO event_rows SELECT run, event, sub, file_offset, vtime, kind, space, addr, size, value,\n"
	"  recorded, reg, len, CASE WHEN length(bytes) > %d THEN NULL ELSE bytes END,\n"
	"  (SELECT p.id FROM temp.v1_payloads p WHERE p.bytes = e.bytes AND length(e.bytes) > %d)\n"
	"  FROM v1_events e ORDER BY run, event, sub;\n"
	"INSERT INTO transactions SELECT t.run, t.id, queue, queue_name, head, device, type, fields, status,\n"
	"  bytes_out, bytes_in, used_len, ndesc, first_event, last_event, latency_events,\n"
	"  (SELECT json_group_array(json_array(idx, addr, len, flags, next, indirect)) FROM\n"
	"    (SELECT * FROM v1_descriptors d WHERE d.run = t.run AND d.txn = t.id ORDER BY seq)),\n"
	"  CASE WHEN length(o.bytes) > %d THEN NULL ELSE o.bytes END,\n"
	"  (SELECT p.id FROM temp.v1_payloads p WHERE p.bytes = o.bytes AND length(o.bytes) > %d),\n"
	"  CASE WHEN length(i.bytes) > %d THEN NULL ELSE i.bytes END,\n"
	"  (SELECT p.id FROM temp.v1_payloads p WHERE p.bytes = i.bytes AND length(i.bytes) > %d)\n"
	"  FROM v1_transactions t\n"
	"  LEFT JOIN v1_buffers o ON o.run = t.run AND o.txn = t.id AND o.dir = 'out'\n"
	"  LEFT JOIN v1_buffers i ON i.run = t.run AND i.txn = t.id AND i.dir = 'in' ORDER BY t.run, t.id;\n"
	"INSERT INTO queue_stats SELECT run, queue, min(queue_name), count(*), sum(bytes_out), sum(bytes_in),\n"
	"  sum(latency_events), max(latency_events) FROM v1_transactions GROUP BY run, queue;\n"
	"INSERT INTO dma_rows SELECT run, event, id, addr, len, what,\n"
	"  CASE WHEN length(bytes) > %d THEN NULL ELSE bytes END,\n"
	"  (SELECT p.id FROM temp.v1_payloads p WHERE p.bytes = d.bytes AND length(d.bytes) > %d)\n"
	"  FROM v1_dma d ORDER BY run, event, id;\n"
	"INSERT INTO interrupts SELECT run, id, event, msix, vector, level, isr, msg_addr, msg_data, cause\n"
	"  FROM v1_interrupts ORDER BY run, event, id;\n"
	"INSERT INTO irq_stats SELECT run, msix, vector, count(*) FROM v1_interrupts GROUP BY run, msix, vector;\n"
	"DROP TABLE temp.v1_payloads;\n"
	"DROP TABLE v1_events; DROP TABLE v1_transactions; DROP TABLE v1_descriptors; DROP TABLE v1_buffers;\n"
	"DROP TABLE v1_dma; DROP TABLE v1_interrupts;\n"
	"%s\n"
	"UPDATE schema_version SET version = 3; PRAGMA user_version = 3;\n";

/* Version 2 to 3: the interrupts per vector, counted once. */
static const char upgrade_v2_sql[] =
	IRQ_STATS_SQL
	"INSERT INTO irq_stats SELECT run, msix, vector, count(*) FROM interrupts GROUP BY run, msix, vector;\n"
	"UPDATE schema_version SET version = 3; PRAGMA user_version = 3;\n";

int sink_sqlite_upgrade(const char *path, int *from, char **cause)
{
	sqlite3 *db = NULL;
	int version, rc = -1, n = SINK_SQLITE_INLINE;
	char *sql = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		cause_set(cause, "%s: cannot open database: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sink_sqlite_check_schema(db, path, &version, cause) < 0)
		goto out;
	if (version == 0) {
		cause_set(cause, "%s: not a virtio-replay database (no tables)", path);
		goto out;
	}
	*from = version;
	if (version == SINK_SQLITE_SCHEMA_VERSION) {
		rc = 0;
		goto out;
	}
	if (version == 1)
		xasprintf(&sql, upgrade_v1_sql, sink_sqlite_tables_sql, n, n, n, n, n, n, n, n, n, n, n, sink_sqlite_index_sql);
	else
		sql = xstrdup(upgrade_v2_sql);
	if (sink_sqlite_exec(db, path, "PRAGMA journal_mode=DELETE; BEGIN IMMEDIATE", cause) < 0)
		goto out;
	if (sink_sqlite_exec(db, path, sql, cause) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	if (sink_sqlite_exec(db, path, "COMMIT; VACUUM", cause) < 0)
		goto out;
	rc = 0;
out:
	free(sql);
	sqlite3_close(db);
	return rc;
}

struct sqlite3 *sink_sqlite_open_readonly(const char *path, int *version, char **cause)
{
	sqlite3 *db = NULL;
	struct stat sb;
	int v;

	if (stat(path, &sb) < 0) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		cause_set(cause, "%s: not a regular file", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		cause_set(cause, "%s: cannot open database: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sink_sqlite_check_schema(db, path, &v, cause) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	if (v == 0) {
		cause_set(cause, "%s: not a virtio-replay database (no tables)", path);
		sqlite3_close(db);
		return NULL;
	}
	if (version)
		*version = v;
	return db;
}
