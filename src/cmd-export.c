/* cmd-export.c -- export a trace to another tool's format; a table of targets (--to qtest, ...) */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/cause.h"
#include "vr/perfetto.h"
#include "vr/qtest-export.h"
#include "vr/xmalloc.h"

struct export_args {
	const char *trace;
	const char *out;
	FILE *f;
	bool stream;		/* --stream: commands only, the command line as a comment */
	bool quiet;
};

/* qtest: a shell script (or a plain stream) that plays the guest side on QEMU. */
static int export_qtest(struct export_args *a, char **cause)
{
	struct qtest_export_stats st;

	if (qtest_export(a->trace, a->f, a->stream, &st, cause) != 0)
		return -1;
	if (!a->quiet) {
		fprintf(stderr, "export: %s: %" PRIu64 " guest events as %" PRIu64 " qtest commands", a->trace, st.guest,
		    st.commands);
		if (st.placed > 0)
			fprintf(stderr, "; %u BAR placements added (the trace never made them)", st.placed);
		if (st.inputs > 0)
			fprintf(stderr, "; %" PRIu64 " host inputs not exported (QEMU reads its own)", st.inputs);
		fputc('\n', stderr);
	}
	return 0;
}

/*
 * perfetto: a replay run as Chrome/Perfetto trace-event JSON. The input is
 * DB[:RUN], a database and optionally a run after the last ':' (the newest
 * run by default); a path that exists as given is taken whole.
 */
static int export_perfetto(struct export_args *a, char **cause)
{
	int64_t run;
	char *path;
	int rc;

	if (cmd_split_run(a->trace, &path, &run, cause) < 0)
		return -1;
	rc = perfetto_write(path, run, a->f, cause);
	free(path);
	return rc;
}

/* To add a target: a row here, its run function, and a line in --help and virtio-replay(1). */
static const struct {
	const char *name;
	int (*run)(struct export_args *a, char **cause);
	bool executable;	/* the output is a script: mark it executable */
} targets[] = {
	{ "qtest", export_qtest, true },
	{ "perfetto", export_perfetto, false },
};

static const struct cmd_option export_options[] = {
	{ .name = "to", .arg = "qtest|perfetto", .complete = CMD_COMPLETE_WORDS, .words = "qtest perfetto",
	  .flags = CMD_OPT_REQUIRED,
	  .help = "qtest: a shell script that plays the trace's guest side on QEMU:\n"
	      "cat << 'EOF' | qemu-system-x86_64 ... -qtest stdio, the qtest\n"
	      "commands, EOF (the form bug reports use; FILE is made executable)\n"
	      "perfetto: DB[:RUN] (default the newest run) as Chrome/Perfetto\n"
	      "trace-event JSON: a track per queue, each request a slice from the\n"
	      "event that took it to the one that completed it, interrupts,\n"
	      "violations, divergences as instants; time axis: the event number\n"
	      "(1 us = 1 event). Open it at https://ui.perfetto.dev or in\n"
	      "chrome://tracing" },
	{ .name = "output", .short_name = 'o', .arg = "FILE", .complete = CMD_COMPLETE_FILE, .flags = CMD_OPT_REQUIRED,
	  .help = "where to write (\"-\": standard output)" },
	{ .name = "stream", .help = "the qtest commands alone, after a comment line with the QEMU\n"
	      "command line (# qemu-system-x86_64 ...)" },
	{ .name = "quiet", .short_name = 'q', .help = "no summary line on standard error" },
	{ .name = NULL },
};

static int cmd_export_exec(const struct cmd_entry *e, struct cmd_args *args)
{
	struct export_args a = { .trace = NULL };
	const char *to = cmd_args_get(args, "to");
	char *cause = NULL, *tmp = NULL;
	size_t t;
	int rc;

	a.out = cmd_args_get(args, "output");
	a.stream = cmd_args_has(args, "stream");
	a.quiet = cmd_args_has(args, "quiet");
	if (args->argc != 1)
		return cmd_usage_error(e, "need one input (a trace; a database for perfetto)");
	if (to == NULL)
		return cmd_usage_error(e, "need --to TARGET (qtest, perfetto)");
	if (a.out == NULL)
		return cmd_usage_error(e, "need -o FILE");
	for (t = 0; t < sizeof targets / sizeof targets[0]; t++)
		if (strcmp(targets[t].name, to) == 0)
			break;
	if (t == sizeof targets / sizeof targets[0])
		return cmd_usage_error(e, "unknown target '%s' (qtest, perfetto)", to);
	a.trace = args->argv[0];
	if (strcmp(a.out, "-") == 0) {
		a.f = stdout;
	} else {
		xasprintf(&tmp, "%s.tmp", a.out);
		if ((a.f = fopen(tmp, "w")) == NULL) {
			rc = cmd_fail(EXIT_BADINPUT, "%s: %s", tmp, strerror(errno));
			free(tmp);
			return rc;
		}
	}
	rc = targets[t].run(&a, &cause);
	if (a.f != stdout && fclose(a.f) != 0 && rc == 0)
		rc = cause_set(&cause, "%s: write error: %s", tmp, strerror(errno));
	if (rc == 0 && tmp != NULL && targets[t].executable && !a.stream)
		(void)chmod(tmp, 0755);
	rc = cmd_output_done(tmp, a.out, rc, &cause);
	free(tmp);
	return rc != 0 ? cmd_fail_cause(EXIT_BADINPUT, cause) : EXIT_OK;
}

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.args = "TRACE",
	.args_complete = CMD_COMPLETE_FILE,
	.usage_also = "DB[:RUN] --to perfetto -o FILE",
	.options = export_options,
	.summary = "a trace's guest side as qtest commands for QEMU, or a run as a Perfetto timeline",
	.help =
	    "The device is QEMU's virtio-pci device of the trace's type and transport at\n"
	    "00:04.0 (modern: disable-legacy=on; transitional: disable-legacy=off; legacy:\n"
	    "disable-modern=on too; serial= and vectors= from the header; a zero-filled\n"
	    "null-co drive of the trace's disk size). Config accesses go through ports\n"
	    "0xcf8/0xcfc, BAR accesses to the addresses the trace's guest gave the BARs,\n"
	    "the legacy I/O BAR 0 as in/out port commands (a BAR the trace uses without\n"
	    "placing it is placed first, and decoding enabled), RAM stores become write\n"
	    "and read-backs read commands. Recorded\n"
	    "answers, host inputs (disk contents, frames, entropy), time and marks are not\n"
	    "part of the guest side. import reads the output back.\n",
	.exec = cmd_export_exec,
};
