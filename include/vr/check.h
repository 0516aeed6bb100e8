/* check.h -- the `check` suite runner: walking a suite, .expect files, running traces, reports, merging */
#ifndef VR_CHECK_H
#define VR_CHECK_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <regex.h>
#include <sys/types.h>

#include "vr/buf.h"

/*
 * A suite is untrusted: file names, .expect files and the output of the
 * replays all come from whoever wrote the traces. So the walk stays inside
 * its roots, an .expect can only pass replay options from an allow-list and
 * name outputs inside a directory check chooses, captured output is capped,
 * and every report is valid (UTF-8, XML, JSON, TAP) whatever bytes it carries.
 */

#define CHECK_EXPECT_MAX	65536	/* bytes in one .expect file */
#define CHECK_LINE_MAX		4096	/* bytes in one .expect line */
#define CHECK_MAX_TRACES	100000

/* ---- walk.c: which traces a suite holds, in a stable order ---- */

struct check_trace {
	char *path;	/* to open: ROOT/relative */
	char *name;	/* display name (check_name_escape of path): report key, sort key */
	char *rel;	/* path below its root: what --shard hashes */
	char *art;	/* the root's last component and rel: where --artifacts keeps its outputs */
	dev_t dev;
	ino_t ino;
};

struct check_suite {
	struct check_trace *t;
	unsigned n;
	struct buf notes;	/* what the walk skipped and why, one line each */
};

void check_suite_init(struct check_suite *s);
void check_suite_free(struct check_suite *s);
/* Add every *.vrt and *.vrb under root (or root itself): directory symlinks are not followed,
 * file symlinks only when they stay inside root, a directory is entered once. 0 / -1. */
int check_suite_add(struct check_suite *s, const char *root, char **cause);
/* Sort by display name and run each file (device + inode) once. */
void check_suite_finish(struct check_suite *s);
/* Keep only shard i of n (1-based): a stable slice by a hash of each trace's relative path. */
void check_suite_shard(struct check_suite *s, unsigned i, unsigned n);
uint64_t check_hash(const char *s);

/* ---- expect.c: TRACE.expect ---- */

struct check_pattern {
	int stream;		/* 1 stdout, 2 stderr */
	char *text;
	regex_t re;
};

/* Options an .expect may hand to replay; outputs name a file inside the trace's artifacts directory. */
enum check_arg_kind { CHECK_ARG_FLAG, CHECK_ARG_VALUE, CHECK_ARG_OUTPUT };

struct check_expect {
	int exit_status;
	struct check_pattern *pat;
	unsigned npat;
	char **args;		/* replay options; an output's value is a bare file name */
	enum check_arg_kind *kind;	/* per args[i]: the kind of the option args[i] belongs to */
	unsigned nargs;
	unsigned outputs;	/* bit per output option seen (see check_expect_has_output) */
};

/* Parse the text of an .expect (name is for messages). A missing file is text "". 0 / -1. */
int check_expect_parse(const char *name, const char *text, size_t len, struct check_expect *e, char **cause);
/* Read TRACE's .expect (regular files only, without blocking, at most CHECK_EXPECT_MAX bytes). 0 / -1. */
int check_expect_load(const char *trace, struct check_expect *e, char **cause);
void check_expect_free(struct check_expect *e);
/* Does the .expect already name replay output opt ("--log", "--db", "--pcap")? */
int check_expect_has_output(const struct check_expect *e, const char *opt);
/* The allow-list, for messages and --help: "--layout, --lenient, ..." */
const char *check_expect_allowed(void);

/* ---- text.c: making any bytes safe for a report ---- */

/* Valid UTF-8 only: invalid bytes become the text \xNN; control characters other than
 * \n and \t become \xNN too (XML 1.0 cannot carry them at all). */
void check_text_clean(struct buf *b, const char *p, size_t n);
/* A file name as one line: like check_text_clean, but \n, \t, '\\' and '#' are escaped too,
 * so a name can neither end a TAP line nor start a directive. */
char *check_name_escape(const char *s);
/* Escapers for text that is already clean. */
void check_xml_escape(struct buf *b, const char *s);
void check_json_escape(struct buf *b, const char *s);	/* with the quotes */
void check_yaml_escape(struct buf *b, const char *s);	/* a double-quoted YAML scalar */

/* ---- run.c: replaying traces in child processes ---- */

struct check_divergence {
	unsigned long long event, offset;
	char *field;		/* "requestq.used.ring[0].len" */
	char *expected, *produced, *detail;
};

struct check_result {
	int ok;
	int status;		/* exit status, or -signal */
	int want;		/* expected exit status */
	int timed_out;
	int not_run;		/* the .expect was refused or the replay could not start */
	char *message;		/* one line saying why it failed (NULL if ok) */
	char *reasons;		/* every reason, one a line */
	char *error;		/* first line replay wrote on stderr when it exited 2 or 3 */
	struct check_divergence *div;	/* the first divergence, if replay reported one */
	char **viol;		/* distinct violation names, in order of appearance (capped) */
	unsigned nviol;
	unsigned long long viol_total;
	char *artifacts;	/* directory kept for a failure, or NULL */
	char *minimized;	/* --minimize: the minimized copy in artifacts, or NULL */
	char *minimize_error;	/* --minimize: why there is none */
	double seconds;
	/* captured output of a failing trace: head and tail, in the spool */
	off_t cap_off[2];
	size_t cap_len[2];
	unsigned long long cap_cut[2];
};

struct check_opts {
	const char *self;	/* this program, run as `self replay TRACE ...` */
	unsigned jobs;
	unsigned timeout;	/* seconds per trace */
	const char *artifacts;	/* NULL: outputs an .expect names go to a private temporary directory */
	int timings;		/* keep replay's speed line in captured output */
	int minimize;		/* run `minimize` on each failing trace, into its artifacts directory */
	size_t cap_head, cap_tail;	/* bytes kept of each stream of a failing trace */
	/* called in suite order as results become final */
	void (*done)(void *arg, unsigned i, const struct check_trace *t, const struct check_result *r);
	void *arg;
};

struct check_run;

/* Run every trace of the suite; results[i] belongs to s->t[i]. 0 / -1 (cannot run at all). */
struct check_run *check_run_new(const struct check_opts *o, char **cause);
int check_run_suite(struct check_run *cr, const struct check_suite *s, struct check_result *res, char **cause);
/* Captured output of stream 1/2 of a result, read back from the spool (cleaned). */
void check_run_captured(struct check_run *cr, const struct check_result *r, int stream, struct buf *out);
void check_run_free(struct check_run *cr);
void check_result_release(struct check_result *r);

/* ---- report.c: TAP, JUnit XML, JSON ---- */

struct check_report {
	const struct check_suite *s;
	const struct check_result *res;
	struct check_run *cr;	/* for captured output */
	int timings;
};

/* One TAP record (test line and YAML diagnostics) for test number no. */
void check_tap_record(struct buf *b, unsigned no, const struct check_trace *t, const struct check_result *r);
void check_tap_write(FILE *f, const struct check_report *rep);
void check_junit_write(FILE *f, const struct check_report *rep);
void check_json_write(FILE *f, const struct check_report *rep);

/* ---- merge.c: reports of shards into one ---- */

/* Merge reports written by check (all TAP, all JUnit or all JSON) into f, ordered as one
 * whole run would be. Sets *failed to the merged number of failures. 0 / -1. */
int check_merge(FILE *f, char **paths, unsigned n, unsigned *failed, char **cause);

#endif
