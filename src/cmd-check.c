/* cmd-check.c -- run a directory of traces against their expected outcomes; TAP, JUnit XML and JSON for CI */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "progress.h"
#include "vr/check.h"
#include "vr/xmalloc.h"

/*
 * The work lives in src/check/: walk.c finds the traces, expect.c reads each
 * .expect, run.c replays them in child processes, report.c writes the reports
 * and merge.c joins the reports of shards. This file parses options and wires
 * them together.
 */

#define CHECK_CAP_HEAD	(32u << 10)	/* bytes kept from the start of each stream of a failing trace */
#define CHECK_CAP_TAIL	(32u << 10)	/* ... and from its end */
#define CHECK_MAX_JOBS	256

struct check_cli {
	const char *tap, *junit, *json, *artifacts, *output;
	unsigned long long timeout, jobs, shard_i, shard_n;
	int verbose, timings, merge, minimize, progress;
};

extern const struct cmd_entry cmd_check_entry;

struct check_live {
	int verbose;
	unsigned failed;
	struct buf tap;
	struct progress progress;	/* counted in events of the traces finished */
	uint64_t *events;		/* each trace's, when progress is shown */
	uint64_t done;
	unsigned ndone;
};

/* Results as they become final, in suite order: TAP on stdout, failures on stderr. */
static void check_done(void *arg, unsigned i, const struct check_trace *t, const struct check_result *r)
{
	struct check_live *live = arg;

	progress_clear(&live->progress);
	buf_reset(&live->tap);
	check_tap_record(&live->tap, i + 1, t, r);
	if (live->tap.len > 0)
		fwrite(live->tap.data, 1, live->tap.len, stdout);
	fflush(stdout);
	if (!r->ok)
		live->failed++;
	if (r->ok && live->verbose)
		fprintf(stderr, "ok   %s\n", t->name);
	else if (!r->ok)
		fprintf(stderr, "FAIL %s: %s\n", t->name, r->message ? r->message : "failed");
	if (live->events != NULL) {
		char note[64];

		live->done += live->events[i];
		snprintf(note, sizeof(note), "%u traces done", ++live->ndone);
		progress_update(&live->progress, live->done, note);
	}
}

/* Write through a temporary name so a reader never sees half a report. */
static int check_write(const char *path, void (*fn)(FILE *, const struct check_report *),
    const struct check_report *rep)
{
	char *tmp;
	FILE *f;
	int rc = 0;

	xasprintf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		rc = cmd_fail(EXIT_BADINPUT, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	fn(f, rep);
	if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
		rc = cmd_fail(EXIT_BADINPUT, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int check_do_merge(const struct check_cli *cli, char **paths, unsigned n)
{
	FILE *f = stdout;
	char *tmp = NULL, *cause = NULL;
	unsigned failed;
	int rc;

	if (n == 0)
		return cmd_usage_error(&cmd_check_entry, "--merge wants report files");
	if (cli->output != NULL) {
		xasprintf(&tmp, "%s.tmp", cli->output);
		if ((f = fopen(tmp, "w")) == NULL) {
			rc = cmd_fail(EXIT_BADINPUT, "%s: %s", tmp, strerror(errno));
			free(tmp);
			return rc;
		}
	}
	rc = check_merge(f, paths, n, &failed, &cause);
	if (f != stdout) {
		if ((ferror(f) | (fclose(f) != 0)) && rc == 0)
			rc = (xasprintf(&cause, "%s: %s", cli->output, strerror(errno)), -1);
		if (rc == 0 && rename(tmp, cli->output) != 0)
			rc = (xasprintf(&cause, "%s: %s", cli->output, strerror(errno)), -1);
		if (rc != 0)
			unlink(tmp);
		free(tmp);
	}
	if (rc != 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	return failed ? EXIT_DIVERGED : EXIT_OK;
}

static const struct cmd_option check_options[] = {
	{ .name = "tap", .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "also write the TAP report (always printed on stdout) to FILE" },
	{ .name = "junit", .arg = "FILE", .complete = CMD_COMPLETE_FILE, .help = "write a JUnit XML report to FILE" },
	{ .name = "json", .arg = "FILE", .complete = CMD_COMPLETE_FILE, .help = "write a JSON report to FILE" },
	{ .name = "artifacts", .arg = "DIR", .complete = CMD_COMPLETE_DIR,
	  .help = "keep each failing trace's replay log and database (and the\n"
	      "outputs its .expect names) in DIR/<trace path>/" },
	{ .name = "minimize", .help = "also shrink each failing trace (`virtio-replay minimize`, same\n"
	      "outcome) to DIR/<trace path>/minimized.vrt" },
	{ .name = "jobs", .short_name = 'j', .arg = "N", .type = CMD_ARG_U64,
	  .help = "replay N traces at a time (default: the number of CPUs);\n"
	      "reports do not depend on N" },
	{ .name = "shard", .arg = "I/N", .help = "run only slice I of N (by a hash of each trace's path below\n"
	      "DIR), for CI jobs that split a suite; join with --merge" },
	{ .name = "merge", .help = "combine the TAP, JUnit or JSON reports of shards into the one\n"
	      "report a whole run writes (-o FILE, default stdout)" },
	{ .name = "output", .short_name = 'o', .arg = "FILE", .complete = CMD_COMPLETE_FILE,
	  .help = "--merge: where to write the merged report" },
	{ .name = "timeout", .arg = "SECS", .type = CMD_ARG_U64, .help = "kill a replay that runs longer (default 300)" },
	{ .name = "timings", .help = "put times in the reports (they are left out so reports are\n"
	      "reproducible)" },
	{ .name = "verbose", .short_name = 'v', .help = "list passing traces on stderr too" },
	{ .name = "progress", .help = "show progress (events of the traces done, rate, time left) on stderr\n"
	      "even when it is not a terminal (on a terminal it always shows)" },
	{ .name = NULL },
};

static int check_parse(const struct cmd_entry *e, struct check_cli *cli, const struct cmd_args *a)
{
	const char *shard = cmd_args_get(a, "shard");

	cli->tap = cmd_args_get(a, "tap");
	cli->junit = cmd_args_get(a, "junit");
	cli->json = cmd_args_get(a, "json");
	cli->timeout = cmd_args_u64(a, "timeout", cli->timeout);
	if (cli->timeout == 0 || cli->timeout > 86400)
		return cmd_usage_error(e, "--timeout wants seconds (1-86400)");
	cli->jobs = cmd_args_u64(a, "jobs", 0);
	if (cmd_args_has(a, "jobs") && (cli->jobs == 0 || cli->jobs > CHECK_MAX_JOBS))
		return cmd_usage_error(e, "-j wants a number of jobs (1-%d)", CHECK_MAX_JOBS);
	if (shard != NULL) {
		const char *slash = strchr(shard, '/');
		char *i = xstrndup(shard, slash ? (size_t)(slash - shard) : 0);
		int bad = slash == NULL || cmd_parse_u64(i, &cli->shard_i) != 0 ||
		    cmd_parse_u64(slash + 1, &cli->shard_n) != 0 || cli->shard_n == 0 || cli->shard_n > 100000 ||
		    cli->shard_i == 0 || cli->shard_i > cli->shard_n;

		free(i);
		if (bad)
			return cmd_usage_error(e, "--shard wants I/N with 1 <= I <= N");
	}
	cli->merge = cmd_args_has(a, "merge");
	cli->output = cmd_args_get(a, "output");
	cli->artifacts = cmd_args_get(a, "artifacts");
	cli->timings = cmd_args_has(a, "timings");
	cli->minimize = cmd_args_has(a, "minimize");
	cli->verbose = cmd_args_has(a, "verbose");
	cli->progress = cmd_args_has(a, "progress");
	if (cli->minimize && cli->artifacts == NULL)
		return cmd_usage_error(&cmd_check_entry, "--minimize keeps its copies in --artifacts DIR");
	if (cli->merge && (cli->tap || cli->junit || cli->json || cli->artifacts || cli->shard_n || cli->jobs))
		return cmd_usage_error(&cmd_check_entry, "--merge takes only -o FILE and report files");
	if (!cli->merge && cli->output != NULL)
		return cmd_usage_error(&cmd_check_entry, "-o is for --merge (reports: --tap, --junit, --json)");
	return 0;
}

static int check_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct check_cli cli = { .timeout = 300 };
	struct check_suite s;
	struct check_live live = { 0 };
	struct check_opts o = { 0 };
	struct check_run *cr = NULL;
	struct check_result *res = NULL;
	struct check_report rep;
	char *cause = NULL, self[4096];
	ssize_t sl;
	long ncpu;
	int rc;

	if ((rc = check_parse(e, &cli, a)) != 0)
		return rc;
	if (cli.merge)
		return check_do_merge(&cli, a->argv, (unsigned)a->argc);
	if (a->argc == 0)
		return cmd_usage_error(&cmd_check_entry, "no trace or directory given");
	check_suite_init(&s);
	for (int i = 0; i < a->argc; i++) {
		if (check_suite_add(&s, a->argv[i], &cause) != 0) {
			check_suite_free(&s);
			return cmd_fail_cause(EXIT_BADINPUT, cause);
		}
	}
	check_suite_finish(&s);
	if (s.notes.len > 0)
		fprintf(stderr, "%s", buf_str(&s.notes));
	if (s.n == 0) {
		check_suite_free(&s);
		return cmd_fail(EXIT_BADINPUT, "no traces (*.vrt, *.vrb) found");
	}
	if (cli.shard_n > 0)
		check_suite_shard(&s, (unsigned)cli.shard_i, (unsigned)cli.shard_n);
	if (cli.artifacts != NULL && mkdir(cli.artifacts, 0777) != 0 && errno != EEXIST) {
		check_suite_free(&s);
		return cmd_fail(EXIT_BADINPUT, "%s: %s", cli.artifacts, strerror(errno));
	}
	if ((sl = readlink("/proc/self/exe", self, sizeof self - 1)) < 0) {
		check_suite_free(&s);
		return cmd_fail(EXIT_INTERNAL, "/proc/self/exe: %s", strerror(errno));
	}
	self[sl] = '\0';
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o.self = self;
	o.jobs = cli.jobs ? (unsigned)cli.jobs : ncpu > 0 ? (unsigned)(ncpu < CHECK_MAX_JOBS ? ncpu : CHECK_MAX_JOBS) : 1;
	o.timeout = (unsigned)cli.timeout;
	o.artifacts = cli.artifacts;
	o.timings = cli.timings;
	o.minimize = cli.minimize;
	o.cap_head = CHECK_CAP_HEAD;
	o.cap_tail = CHECK_CAP_TAIL;
	o.done = check_done;
	o.arg = &live;
	live.verbose = cli.verbose;
	buf_init(&live.tap);
	if ((cr = check_run_new(&o, &cause)) == NULL) {
		check_suite_free(&s);
		buf_release(&live.tap);
		return cmd_fail_cause(EXIT_INTERNAL, cause);
	}
	progress_init(&live.progress, "check", "events", 0, cli.progress ? PROGRESS_ON : PROGRESS_AUTO);
	if (live.progress.on) {
		live.events = xcalloc(s.n ? s.n : 1, sizeof(*live.events));
		for (unsigned i = 0; i < s.n; i++)
			live.progress.total += live.events[i] = progress_trace_events(s.t[i].path);
	}
	res = xcalloc(s.n ? s.n : 1, sizeof *res);
	printf("TAP version 13\n1..%u\n", s.n);
	fflush(stdout);
	if (check_run_suite(cr, &s, res, &cause) != 0) {
		rc = cmd_fail_cause(EXIT_INTERNAL, cause);
		goto out;
	}
	rep.s = &s;
	rep.res = res;
	rep.cr = cr;
	rep.timings = cli.timings;
	if (cli.tap != NULL && (rc = check_write(cli.tap, check_tap_write, &rep)) != 0)
		goto out;
	if (cli.junit != NULL && (rc = check_write(cli.junit, check_junit_write, &rep)) != 0)
		goto out;
	if (cli.json != NULL && (rc = check_write(cli.json, check_json_write, &rep)) != 0)
		goto out;
	progress_end(&live.progress, live.done);
	fprintf(stderr, "check: %u traces, %u passed, %u failed\n", s.n, s.n - live.failed, live.failed);
	rc = live.failed ? EXIT_DIVERGED : EXIT_OK;
out:
	for (unsigned i = 0; i < s.n; i++)
		check_result_release(&res[i]);
	free(res);
	check_run_free(cr);
	check_suite_free(&s);
	buf_release(&live.tap);
	free(live.events);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.args = "TRACE|DIR...",
	.args_complete = CMD_COMPLETE_FILE,
	.usage_also = "--merge [-o FILE] REPORT...",
	.options = check_options,
	.summary = "replay a directory of traces against their expected outcomes (TAP, JUnit XML, JSON)",
	.help =
	    "Every *.vrt/*.vrb under each DIR (recursively, in name order) is replayed in its\n"
	    "own process with `virtio-replay replay TRACE` and checked against TRACE.expect:\n"
	    "  exit N          expected exit status (default 0)\n"
	    "  stdout REGEX    some line of standard output matches (POSIX ERE)\n"
	    "  stderr REGEX    some line of standard error matches\n"
	    "  args ARG...     replay options: --layout, --lenient, --from, --to, --quiet,\n"
	    "                  --log-bytes, and --log/--db/--pcap NAME (a plain file name,\n"
	    "                  written in the trace's artifacts directory)\n"
	    "A trace without a .expect file must replay with exit 0. A suite is untrusted:\n"
	    "directory symlinks are not followed, file symlinks only inside DIR, each file\n"
	    "runs once, an .expect must be a regular file of at most 64 KiB, and only the\n"
	    "first and last 32 KiB of a failing trace's output are kept.\n"
	    "Exit status: 0 all passed, 1 some failed, 2 bad usage or no traces.\n",
	.exec = check_exec,
};
