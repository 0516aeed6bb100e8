/* cmd-runs.c -- list the runs stored in a replay database */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cmd.h"
#include "vr/sink-sqlite.h"

/* Column order of the query and of the JSON objects. */
static const char runs_sql[] =
	"SELECT id, trace, trace_sha256, device, layout, outcome, complete, events, transactions,"
	" divergences, violations, features_offered, features_negotiated, version, options, started"
	" FROM runs ORDER BY id";

enum { C_ID, C_TRACE, C_SHA, C_DEVICE, C_LAYOUT, C_OUTCOME, C_COMPLETE, C_EVENTS, C_TXNS, C_DIV, C_VIOL,
	C_OFFERED, C_NEGOTIATED, C_VERSION, C_OPTIONS, C_STARTED, C_COUNT };

static const char *const json_names[C_COUNT] = {
	"id", "trace", "trace_sha256", "device", "layout", "outcome", "complete", "events", "transactions",
	"divergences", "violations", "features_offered", "features_negotiated", "version", "options", "started",
};

static const char *text(sqlite3_stmt *st, int c, const char *dflt)
{
	const unsigned char *t = sqlite3_column_text(st, c);

	return t ? (const char *)t : dflt;
}

static void print_json(sqlite3_stmt *st, int n)
{
	printf("%s{", n ? ",\n  " : "[\n  ");
	for (int c = 0; c < C_COUNT; c++) {
		printf("%s\"%s\": ", c ? ", " : "", json_names[c]);
		if (sqlite3_column_type(st, c) == SQLITE_NULL)
			fputs("null", stdout);
		else if (c == C_COMPLETE)
			fputs(sqlite3_column_int(st, c) ? "true" : "false", stdout);
		else if (c == C_OFFERED || c == C_NEGOTIATED)
			printf("\"0x%016" PRIx64 "\"", (uint64_t)sqlite3_column_int64(st, c));
		else if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
			printf("%lld", (long long)sqlite3_column_int64(st, c));
		else
			cmd_json_string(stdout, text(st, c, ""));
	}
	fputc('}', stdout);
}

static void print_row(sqlite3_stmt *st)
{
	char sha[13];

	snprintf(sha, sizeof(sha), "%s", text(st, C_SHA, "-"));
	printf("%4lld  %-12s  %-7s  %-6s  %-11s  %-8s  %9lld  %4lld  %4lld  %-20s  %s\n",
	    (long long)sqlite3_column_int64(st, C_ID), sha, text(st, C_DEVICE, "-"), text(st, C_LAYOUT, "-"),
	    text(st, C_OUTCOME, "-"), sqlite3_column_int(st, C_COMPLETE) ? "yes" : "no",
	    (long long)sqlite3_column_int64(st, C_EVENTS), (long long)sqlite3_column_int64(st, C_DIV),
	    (long long)sqlite3_column_int64(st, C_VIOL), text(st, C_STARTED, "-"), text(st, C_TRACE, "-"));
}

static int cmd_runs_exec(const struct cmd_entry *e, struct cmd_args *a);

static const struct cmd_option runs_options[] = {
	{ .name = "json", .help = "print a JSON array of objects, one per run, with every column of the runs table" },
	{ .name = "upgrade", .help = "convert a database of an older schema version to this program's, in place" },
	{ .name = NULL },
};

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.args = "DB",
	.args_complete = CMD_COMPLETE_FILE,
	.options = runs_options,
	.summary = "list the replay runs stored in a database",
	.help = "Columns: id, trace SHA-256 (first 12 digits), device, layout, outcome, complete,\n"
		"events, divergences, violations, start time (UTC), trace path.\n"
		"A run that stopped early (signal, error, crash) says complete=no.\n"
		"An older database is listed with a note on standard error; replay --db refuses to\n"
		"add to it until it is converted with --upgrade (never done silently).\n"
		"The database is described in virtio-replay-db(5).\n",
	.exec = cmd_runs_exec,
};

static int cmd_runs_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	const char *path = a->argc > 0 ? a->argv[0] : NULL;
	int json = cmd_args_has(a, "json"), upgrade = cmd_args_has(a, "upgrade"), n = 0, rc, version = 0;
	char *cause = NULL;
	sqlite3 *db;
	sqlite3_stmt *st;

	if (a->argc > 1)
		return cmd_usage_error(e, "one database at a time");
	if (path == NULL)
		return cmd_usage_error(e, "missing database");
	if (upgrade && json)
		return cmd_usage_error(e, "--upgrade lists nothing: no --json with it");
	if (upgrade) {
		if (sink_sqlite_upgrade(path, &version, &cause) < 0)
			return cmd_fail_cause(EXIT_BADINPUT, cause);
		if (version == SINK_SQLITE_SCHEMA_VERSION)
			printf("%s: already schema version %d\n", path, version);
		else
			printf("%s: converted from schema version %d to %d\n", path, version, SINK_SQLITE_SCHEMA_VERSION);
		return fflush(stdout) == 0 ? EXIT_OK : cmd_fail(EXIT_INTERNAL, "write error on standard output");
	}
	db = (sqlite3 *)sink_sqlite_open_readonly(path, &version, &cause);
	if (db == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (version < SINK_SQLITE_SCHEMA_VERSION)
		fprintf(stderr, "virtio-replay: %s: schema version %d is older than this program's %d: readable, but"
		    " replay --db will not add to it; convert it with 'virtio-replay runs --upgrade %s'\n", path,
		    version, SINK_SQLITE_SCHEMA_VERSION, path);
	if (sqlite3_prepare_v2(db, runs_sql, -1, &st, NULL) != SQLITE_OK) {
		rc = cmd_fail(EXIT_BADINPUT, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return rc;
	}
	if (!json)
		printf("%4s  %-12s  %-7s  %-6s  %-11s  %-8s  %9s  %4s  %4s  %-20s  %s\n", "ID", "SHA256", "DEVICE",
		    "LAYOUT", "OUTCOME", "COMPLETE", "EVENTS", "DIV", "VIOL", "STARTED", "TRACE");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json)
			print_json(st, n);
		else
			print_row(st);
		n++;
	}
	if (json)
		fputs(n ? "\n]\n" : "[]\n", stdout);
	if (rc != SQLITE_DONE) {
		rc = cmd_fail(EXIT_BADINPUT, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close(db);
		return rc;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (fflush(stdout) != 0)
		return cmd_fail(EXIT_INTERNAL, "write error on standard output");
	return EXIT_OK;
}
