/* test_sink_sqlite.c -- the store: rows for every event kind, run lifecycle, crash safety, schema checks */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "vr/sink-sqlite.h"
#include "sink-sample.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/vr-sqlite.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(sink_sqlite, .init = setup, .fini = teardown);

static char *db_path(const char *name)
{
	static char p[4][128];
	static int k;
	char *r = p[k++ & 3];

	snprintf(r, 128, "%s/%s", dir, name);
	return r;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -999;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row as text ("(null)" for NULL), static storage. */
static const char *q_text(sqlite3 *db, const char *sql)
{
	static char out[4][512];
	static int k;
	char *r = out[k++ & 3];
	sqlite3_stmt *st;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	strcpy(r, "(no row)");
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(r, 512, "%s", t ? (const char *)t : "(null)");
	}
	sqlite3_finalize(st);
	return r;
}

static sqlite3 *ro(const char *path)
{
	char *cause = NULL;
	int version = 0;
	sqlite3 *db = (sqlite3 *)sink_sqlite_open_readonly(path, &version, &cause);

	cr_assert_not_null(db, "%s", cause);
	cr_assert_eq(version, SINK_SQLITE_SCHEMA_VERSION);
	return db;
}

static void store_sample(const char *path, bool end)
{
	char *cause = NULL;
	struct evbus bus;
	struct sink_sqlite *s = sink_sqlite_open(path, &cause);

	cr_assert_not_null(s, "%s", cause);
	evbus_init(&bus);
	cr_assert_eq(sink_sqlite_attach(s, &bus, &cause), 0);
	sample_run(&bus, end);
	cr_assert_eq(sink_sqlite_error(s, &cause), 0, "%s", cause);
	cr_assert_gt(sink_sqlite_run_id(s), 0);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0, "%s", cause);
}

Test(sink_sqlite, new_database_has_schema)
{
	char *cause = NULL;
	struct sink_sqlite *s = sink_sqlite_open(db_path("a.db"), &cause);

	cr_assert_not_null(s, "%s", cause);
	cr_assert_eq(sink_sqlite_run_id(s), 0);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	sqlite3 *db = ro(db_path("a.db"));
	cr_assert_eq(q_int(db, "PRAGMA user_version"), 3);
	cr_assert_eq(q_int(db, "PRAGMA application_id"), SINK_SQLITE_APP_ID);
	cr_assert_eq(q_int(db, "SELECT version FROM schema_version"), 3);
	cr_assert_str_eq(q_text(db, "PRAGMA journal_mode"), "delete");
	static const char *const tables[] = { "runs", "events", "event_kinds", "registers", "transactions",
		"descriptors", "buffers", "dma", "interrupts", "violations", "divergences", "frames", "notes",
		"v_runs", "v_events", "v_txn_summary", "v_descriptors", "v_violations", "v_divergences",
		"v_queue_stats", "event_rows", "dma_rows", "blobs", "irq_stats" };
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE name = '%s'", tables[i]);
		cr_expect_eq(q_int(db, sql), 1, "%s missing", tables[i]);
	}
	sqlite3_close(db);
	/* reopening an existing database keeps it */
	s = sink_sqlite_open(db_path("a.db"), &cause);
	cr_assert_not_null(s, "%s", cause);
	sink_sqlite_close(s, NULL);
}

Test(sink_sqlite, complete_run_rows)
{
	store_sample(db_path("b.db"), true);
	sqlite3 *db = ro(db_path("b.db"));

	cr_assert_eq(q_int(db, "SELECT count(*) FROM runs"), 1);
	cr_expect_str_eq(q_text(db, "SELECT outcome FROM runs"), "diverged");
	cr_expect_eq(q_int(db, "SELECT complete FROM runs"), 1);
	cr_expect_eq(q_int(db, "SELECT events FROM runs"), 6);
	cr_expect_eq(q_int(db, "SELECT transactions FROM runs"), 1);
	cr_expect_eq(q_int(db, "SELECT divergences FROM runs"), 1);
	cr_expect_eq(q_int(db, "SELECT violations FROM runs"), 1);
	cr_expect_str_eq(q_text(db, "SELECT printf('%x', features_offered) FROM runs"), "130000046");
	cr_expect_str_eq(q_text(db, "SELECT features FROM v_runs"), "0x100000006");
	cr_expect_str_eq(q_text(db, "SELECT trace || ' ' || device || ' ' || layout FROM runs"),
	    "traces/blk-basic.vrt blk qemu");
	cr_expect_str_eq(q_text(db, "SELECT sha256 FROM v_runs"), "0123456789ab");
	cr_expect_eq(q_int(db, "SELECT length(started) FROM runs"), 20);

	/* raw events: one row per trace event, register name joined in */
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events"), 4);
	cr_expect_str_eq(q_text(db, "SELECT kind || ' ' || reg || ' ' || value FROM v_events WHERE event = 1"),
	    "bar-write common.device_status 0xf");
	cr_expect_str_eq(q_text(db, "SELECT value || ' ' || recorded FROM v_events WHERE event = 2"), "0xb 0xf");
	cr_expect_eq(q_int(db, "SELECT file_offset FROM events WHERE event = 2"), 0x140);
	cr_expect_eq(q_int(db, "SELECT vtime FROM events WHERE event = 2"), 2000);
	cr_expect_eq(q_int(db, "SELECT space FROM events WHERE event = 2"), 4);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM registers"), 2);
	cr_expect_str_eq(q_text(db, "SELECT hex(bytes) || ' ' || len FROM events WHERE event = 3"),
	    "DEADBEEF01020304 8");
	cr_expect_str_eq(q_text(db, "SELECT kind FROM v_events WHERE event = 3"), "mem");

	/* transactions, descriptors, buffers */
	cr_expect_str_eq(q_text(db, "SELECT summary FROM v_txn_summary"), "blk OUT sector=2048 len=20 status=OK");
	cr_expect_str_eq(q_text(db, "SELECT queue_name || ' ' || head || ' ' || first_event || ' ' || last_event"
	    " || ' ' || latency_events || ' ' || bytes_out || ' ' || bytes_in FROM transactions"),
	    "requestq 3 3 4 1 36 1");
	cr_expect_eq(q_int(db, "SELECT count(*) FROM descriptors WHERE run = 1 AND txn = 1"), 3);
	cr_expect_str_eq(q_text(db, "SELECT group_concat(idx || ':' || flags, ' ') FROM v_descriptors"),
	    "3:NEXT 4:NEXT 5:WRITE");
	cr_expect_str_eq(q_text(db, "SELECT addr FROM v_descriptors WHERE seq = 1"), "0x101000");
	cr_expect_eq(q_int(db, "SELECT length(bytes) FROM buffers WHERE dir = 'out'"), 36);
	cr_expect_str_eq(q_text(db, "SELECT hex(bytes) FROM buffers WHERE dir = 'in'"), "00");
	cr_expect_eq(q_int(db, "SELECT txns FROM v_queue_stats WHERE queue = 0"), 1);

	/* the rest */
	cr_expect_str_eq(q_text(db, "SELECT what || ' ' || hex(bytes) FROM dma"), "used.ring[0] 0300000001000000");
	cr_expect_str_eq(q_text(db, "SELECT vector || ' ' || printf('%x', msg_addr) || ' ' || cause FROM interrupts"),
	    "1 fee00000 queue 0");
	cr_expect_str_eq(q_text(db, "SELECT msix || ' ' || vector || ' ' || interrupts FROM irq_stats"), "1 1 1");
	cr_expect_str_eq(q_text(db, "SELECT event || ' ' || name || ' ' || queue || ' ' || desc_index || ' ' || addr"
	    " || ' ' || detail FROM v_violations"), "5 desc-loop 0 7 0x100070 descriptor 7 loops to 3");
	cr_expect_str_eq(q_text(db, "SELECT expected || ' ' || produced || ' ' || file_offset FROM v_divergences"),
	    "0x3 0x9 0x2a0");
	cr_expect_str_eq(q_text(db, "SELECT report FROM divergences"), "first divergence at event 5\n  expected 03, produced 09");
	cr_expect_str_eq(q_text(db, "SELECT hex(expected_bytes) || hex(produced_bytes) FROM divergences"), "0102030401020904");
	cr_expect_str_eq(q_text(db, "SELECT tx || ' ' || queue || ' ' || len || ' ' || vtime FROM frames"),
	    "1 1 64 1500000123");
	cr_expect_str_eq(q_text(db, "SELECT event || ' ' || text FROM notes"), "6 device reset");
	sqlite3_close(db);
}

Test(sink_sqlite, close_without_run_end_marks_incomplete)
{
	store_sample(db_path("c.db"), false);
	sqlite3 *db = ro(db_path("c.db"));

	cr_expect_eq(q_int(db, "SELECT complete FROM runs"), 0);
	cr_expect_str_eq(q_text(db, "SELECT outcome FROM runs"), "aborted");
	cr_expect_eq(q_int(db, "SELECT events FROM runs"), 4);
	cr_expect_eq(q_int(db, "SELECT divergences FROM runs"), 1);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM transactions"), 1);
	sqlite3_close(db);
}

Test(sink_sqlite, interrupted_run_end_stays_incomplete)
{
	char *cause = NULL;
	struct evbus bus;
	struct sink_sqlite *s = sink_sqlite_open(db_path("i.db"), &cause);
	struct vr_event ev = { .kind = VR_EV_RUN_END };

	cr_assert_not_null(s);
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	sample_run(&bus, false);
	ev.u.run.outcome = "interrupted";
	ev.u.run.complete = false;
	ev.u.run.events = 6;
	evbus_emit(&bus, &ev);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	sqlite3 *db = ro(db_path("i.db"));
	cr_expect_str_eq(q_text(db, "SELECT outcome || ' ' || complete FROM runs"), "interrupted 0");
	sqlite3_close(db);
}

Test(sink_sqlite, killed_writer_leaves_readable_incomplete_run)
{
	const char *path = db_path("k.db");
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct evbus bus;
		struct sink_sqlite *s = sink_sqlite_open(path, NULL);

		if (s == NULL)
			_exit(9);
		evbus_init(&bus);
		sink_sqlite_attach(s, &bus, NULL);
		sample_run_begin(&bus);
		for (uint64_t i = 1; i <= SINK_SQLITE_BATCH + 1000; i++)
			sample_access(&bus, i, true, 4, 0x20, 4, i, 0, "common.queue_desc[31:0]");
		raise(SIGKILL);
		_exit(8);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %d", status);
	sqlite3 *db = ro(path);
	cr_expect_eq(q_int(db, "SELECT complete FROM runs"), 0);
	cr_expect_str_eq(q_text(db, "SELECT outcome FROM runs"), "running");
	/* the first full batch was committed */
	int64_t n = q_int(db, "SELECT count(*) FROM events");
	cr_expect_geq(n, SINK_SQLITE_BATCH - 2, "only %lld events", (long long)n);
	cr_expect_lt(n, SINK_SQLITE_BATCH + 1000);
	/* the run row counts what the committed batches hold */
	cr_expect_eq(q_int(db, "SELECT events FROM runs"), n);
	sqlite3_close(db);
}

Test(sink_sqlite, many_runs_in_one_database)
{
	store_sample(db_path("m.db"), true);
	store_sample(db_path("m.db"), false);
	sqlite3 *db = ro(db_path("m.db"));

	cr_expect_eq(q_int(db, "SELECT count(*) FROM runs"), 2);
	cr_expect_str_eq(q_text(db, "SELECT group_concat(id || ':' || complete, ' ') FROM runs"), "1:1 2:0");
	cr_expect_eq(q_int(db, "SELECT count(*) FROM events WHERE run = 2"), 4);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM transactions WHERE run = 2"), 1);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM registers"), 2);
	sqlite3_close(db);
}

Test(sink_sqlite, two_runs_through_one_sink)
{
	char *cause = NULL;
	struct evbus bus;
	struct sink_sqlite *s = sink_sqlite_open(db_path("t.db"), &cause);

	cr_assert_not_null(s);
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	sample_run(&bus, false);	/* a second RUN_BEGIN ends this one as aborted */
	sample_run(&bus, true);
	cr_expect_eq(sink_sqlite_run_id(s), 2);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	sqlite3 *db = ro(db_path("t.db"));
	cr_expect_str_eq(q_text(db, "SELECT group_concat(outcome || ':' || complete, ' ') FROM runs"),
	    "aborted:0 diverged:1");
	sqlite3_close(db);
}

Test(sink_sqlite, events_without_run_and_model_accesses)
{
	char *cause = NULL;
	struct evbus bus;
	struct sink_sqlite *s = sink_sqlite_open(db_path("n.db"), &cause);
	struct vr_event ev = { .kind = VR_EV_ACCESS };

	cr_assert_not_null(s);
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	ev.u.access.cfg = true;
	ev.u.access.offset = 4;
	ev.u.access.size = 2;
	ev.u.access.value = 6;
	ev.u.access.write = true;
	ev.u.access.reg = "pci.command";
	evbus_emit(&bus, &ev);
	evbus_emit(&bus, &ev);	/* same event number: sub 1 */
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	sqlite3 *db = ro(db_path("n.db"));
	cr_expect_str_eq(q_text(db, "SELECT group_concat(kind || ' ' || sub || ' ' || reg || ' ' || value, ', ')"
	    " FROM v_events"), "model-cfg-write 0 pci.command 0x6, model-cfg-write 1 pci.command 0x6");
	cr_expect_str_eq(q_text(db, "SELECT outcome || complete FROM runs"), "aborted0");
	sqlite3_close(db);
}

/* Every table, minus runs.started, as text: two replays must give the same. */
static char *dump_all(const char *path)
{
	static const char *const q[] = {
		"SELECT id, trace, trace_sha256, version, options, device, layout, features_offered,"
		" features_negotiated, outcome, complete, events, transactions, divergences, violations FROM runs",
		"SELECT * FROM events", "SELECT * FROM event_kinds", "SELECT * FROM registers",
		"SELECT * FROM transactions", "SELECT * FROM descriptors", "SELECT * FROM buffers",
		"SELECT * FROM dma", "SELECT * FROM interrupts", "SELECT * FROM violations",
		"SELECT * FROM divergences", "SELECT * FROM frames", "SELECT * FROM notes",
	};
	sqlite3 *db = ro(path);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		sqlite3_stmt *st;
		cr_assert_eq(sqlite3_prepare_v2(db, q[i], -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *t = sqlite3_column_text(st, c);
				fprintf(f, "%s|", t ? (const char *)t : "NULL");
			}
			fputc('\n', f);
		}
		sqlite3_finalize(st);
	}
	fclose(f);
	sqlite3_close(db);
	return out;
}

Test(sink_sqlite, deterministic_rows)
{
	store_sample(db_path("d1.db"), true);
	sleep(1);	/* make runs.started differ if it leaks into the dump */
	store_sample(db_path("d2.db"), true);
	char *a = dump_all(db_path("d1.db")), *b = dump_all(db_path("d2.db"));
	cr_expect_gt(strlen(a), 200);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_db(const char *path, const char *sql)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

Test(sink_sqlite, refuses_newer_schema)
{
	char *cause = NULL;
	const char *path = db_path("new.db");

	store_sample(path, true);
	make_db(path, "PRAGMA user_version = 4");
	cr_assert_null(sink_sqlite_open(path, &cause));
	cr_expect(strstr(cause, "schema version 4 is newer than this program's 3") != NULL, "%s", cause);
	cr_expect(strstr(cause, "new.db") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_null(sink_sqlite_open_readonly(path, NULL, &cause));
	cr_expect(strstr(cause, "newer") != NULL, "%s", cause);
	free(cause);
}

Test(sink_sqlite, refuses_foreign_files)
{
	char *cause = NULL;
	const char *txt = db_path("notes.txt"), *other = db_path("other.db");

	write_file(txt, "this is not a database, it is a long enough text file to have a header........\n");
	cr_assert_null(sink_sqlite_open(txt, &cause));
	cr_expect(strstr(cause, "not a virtio-replay database") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	make_db(other, "CREATE TABLE t (x)");
	cr_assert_null(sink_sqlite_open(other, &cause));
	cr_expect(strstr(cause, "another program") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_null(sink_sqlite_open_readonly(other, NULL, &cause));
	free(cause);
	cause = NULL;
	cr_assert_null(sink_sqlite_open_readonly(db_path("missing.db"), NULL, &cause));
	cr_expect(strstr(cause, "No such file") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_null(sink_sqlite_open(db_path("nodir/x.db"), &cause));
	cr_expect(strstr(cause, "nodir/x.db") != NULL, "%s", cause);
	free(cause);
	/* an empty file is a new database for the writer, nothing for a reader */
	cause = NULL;
	write_file(db_path("empty.db"), "");
	cr_assert_null(sink_sqlite_open_readonly(db_path("empty.db"), NULL, &cause));
	cr_expect(strstr(cause, "no tables") != NULL, "%s", cause);
	free(cause);
	sink_sqlite_close(NULL, NULL);
}

Test(sink_sqlite, large_blobs_are_capped)
{
	char *cause = NULL;
	struct evbus bus;
	struct sink_sqlite *s = sink_sqlite_open(db_path("big.db"), &cause);
	uint32_t n = SINK_SQLITE_MAX_BLOB + 100;
	uint8_t *data = calloc(1, n);
	struct vr_event ev = { .kind = VR_EV_TRACE };

	cr_assert_not_null(s);
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	sample_run_begin(&bus);
	ev.u.trace.kind = 8;
	ev.u.trace.kind_name = "input";
	ev.u.trace.data = data;
	ev.u.trace.len = n;
	evbus_emit(&bus, &ev);
	free(data);
	cr_assert_eq(sink_sqlite_close(s, &cause), 0);
	sqlite3 *db = ro(db_path("big.db"));
	cr_expect_eq(q_int(db, "SELECT len FROM events"), n);
	cr_expect_eq(q_int(db, "SELECT length(bytes) FROM events"), SINK_SQLITE_MAX_BLOB);
	sqlite3_close(db);
}

Test(sink_sqlite, write_error_keeps_rows_and_marks_run_incomplete)
{
	char *cause = NULL;
	struct evbus bus;
	const char *path = db_path("err.db");
	struct sink_sqlite *s = sink_sqlite_open(path, &cause);

	cr_assert_not_null(s, "%s", cause);
	/* another connection makes every note insert fail */
	make_db(path, "CREATE TRIGGER no_notes BEFORE INSERT ON notes BEGIN SELECT RAISE(ABORT, 'disk on fire'); END");
	evbus_init(&bus);
	sink_sqlite_attach(s, &bus, NULL);
	sample_run(&bus, true);
	cr_assert_eq(sink_sqlite_error(s, &cause), -1);
	cr_expect(strstr(cause, "err.db: insert note: disk on fire") != NULL, "%s", cause);
	free(cause);
	cause = NULL;
	cr_assert_eq(sink_sqlite_close(s, &cause), -1);
	cr_expect(strstr(cause, "disk on fire") != NULL, "%s", cause);
	free(cause);
	sqlite3 *db = ro(path);
	cr_expect_str_eq(q_text(db, "SELECT outcome || ' ' || complete FROM runs"), "aborted 0");
	cr_expect_eq(q_int(db, "SELECT count(*) FROM transactions"), 1);
	cr_expect_eq(q_int(db, "SELECT count(*) FROM frames"), 1);
	sqlite3_close(db);
}
