/* cmd-check.c -- run a directory of traces against their expected outcomes; TAP and JUnit XML for CI */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/xmalloc.h"

/*
 * Each trace (*.vrt or *.vrb) may have a sidecar TRACE-without-extension.expect:
 *     # comment
 *     exit N              expected exit status of `virtio-replay replay TRACE` (default 0)
 *     stdout REGEX        some line of standard output matches (POSIX extended regex)
 *     stderr REGEX        some line of standard error matches
 *     args ARG...         extra replay arguments (whitespace-separated)
 * Every trace runs in its own child process (this binary, `replay`), so a
 * crash or hang in one is reported against that trace and the rest still run.
 */

#define CHECK_MAX_TRACES	100000
#define CHECK_MAX_OUTPUT	(4u << 20)	/* captured bytes kept per stream */
#define CHECK_MAX_LINE		4096

struct check_pattern {
	int stream;		/* 1 stdout, 2 stderr */
	char *text;
	regex_t re;
};

struct check_expect {
	int exit_status;
	struct check_pattern *pat;
	unsigned npat;
	char **args;
	unsigned nargs;
};

struct check_result {
	const char *trace;
	int ok;
	int status;		/* exit status, or -signal */
	int timed_out;
	struct buf why;		/* failure details */
	struct buf out, err;	/* captured output */
	double seconds;
};

static volatile sig_atomic_t check_alarm;

static void check_on_alarm(int sig)
{
	(void)sig;
	check_alarm = 1;
}

static int check_has_ext(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && (strcmp(name + n - 4, ".vrt") == 0 || strcmp(name + n - 4, ".vrb") == 0);
}

static int check_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect trace files under path (recursively), sorted so runs are reproducible. */
static int check_collect(const char *path, char ***list, unsigned *n, char **cause)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	unsigned nn = 0;

	if (stat(path, &st) != 0)
		return xasprintf(cause, "%s: %s", path, strerror(errno)), -1;
	if (!S_ISDIR(st.st_mode)) {
		if (*n >= CHECK_MAX_TRACES)
			return xasprintf(cause, "%s: more than %u traces", path, CHECK_MAX_TRACES), -1;
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xstrdup(path);
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return xasprintf(cause, "%s: %s", path, strerror(errno)), -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, nn + 1, sizeof *names);
		xasprintf(&names[nn++], "%s/%s", path, de->d_name);
	}
	closedir(d);
	if (nn > 1)
		qsort(names, nn, sizeof *names, check_cmp);
	for (unsigned i = 0; i < nn; i++) {
		int rc = 0;

		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = check_collect(names[i], list, n, cause);
		else if (check_has_ext(names[i]))
			rc = check_collect(names[i], list, n, cause);
		if (rc != 0) {
			for (unsigned k = i; k < nn; k++)
				free(names[k]);
			free(names);
			return -1;
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

static void check_expect_free(struct check_expect *e)
{
	for (unsigned i = 0; i < e->npat; i++) {
		regfree(&e->pat[i].re);
		free(e->pat[i].text);
	}
	free(e->pat);
	for (unsigned i = 0; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	memset(e, 0, sizeof *e);
}

static char *check_expect_path(const char *trace)
{
	size_t n = strlen(trace);
	char *p = xmalloc(n + 8);

	memcpy(p, trace, n - 4);
	strcpy(p + n - 4, ".expect");
	return p;
}

/* Parse TRACE's .expect; a missing file means "exit 0". */
static int check_expect_load(const char *trace, struct check_expect *e, char **cause)
{
	char *path = check_expect_path(trace), line[CHECK_MAX_LINE];
	FILE *f;
	unsigned lineno = 0;

	memset(e, 0, sizeof *e);
	if ((f = fopen(path, "r")) == NULL) {
		int rc = errno == ENOENT ? 0 : (xasprintf(cause, "%s: %s", path, strerror(errno)), -1);
		free(path);
		return rc;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *key, *rest, *nl;
		size_t len = strlen(line);

		lineno++;
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			xasprintf(cause, "%s: line %u: longer than %d bytes", path, lineno, CHECK_MAX_LINE - 2);
			goto fail;
		}
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\0')
			continue;
		rest = key + strcspn(key, " \t");
		if (*rest != '\0')
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		if (strcmp(key, "exit") == 0) {
			unsigned long long v;
			if (cmd_parse_u64(rest, &v) != 0 || v > 255) {
				xasprintf(cause, "%s: line %u: exit wants a status 0-255", path, lineno);
				goto fail;
			}
			e->exit_status = (int)v;
		} else if (strcmp(key, "stdout") == 0 || strcmp(key, "stderr") == 0) {
			struct check_pattern *p;
			int rc;

			e->pat = xreallocarray(e->pat, e->npat + 1, sizeof *e->pat);
			p = &e->pat[e->npat];
			p->stream = key[3] == 'o' ? 1 : 2;
			if ((rc = regcomp(&p->re, rest, REG_EXTENDED | REG_NOSUB)) != 0) {
				char msg[128];
				regerror(rc, &p->re, msg, sizeof msg);
				xasprintf(cause, "%s: line %u: bad regular expression: %s", path, lineno, msg);
				goto fail;
			}
			p->text = xstrdup(rest);
			e->npat++;
		} else if (strcmp(key, "args") == 0) {
			for (char *a = strtok(rest, " \t"); a != NULL; a = strtok(NULL, " \t")) {
				e->args = xreallocarray(e->args, e->nargs + 1, sizeof *e->args);
				e->args[e->nargs++] = xstrdup(a);
			}
		} else {
			xasprintf(cause, "%s: line %u: unknown key '%s' (exit, stdout, stderr, args)", path, lineno, key);
			goto fail;
		}
	}
	fclose(f);
	free(path);
	return 0;
fail:
	fclose(f);
	free(path);
	check_expect_free(e);
	return -1;
}

static void check_slurp(int fd, struct buf *b)
{
	char chunk[65536];
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		size_t room = CHECK_MAX_OUTPUT - b->len;
		buf_add(b, chunk, (size_t)n < room ? (size_t)n : room);
	}
	buf_str(b);
}

/* Does some line of text match re? */
static int check_match(const regex_t *re, struct buf *text)
{
	char *s = (char *)buf_str(text);

	while (*s != '\0') {
		char *nl = strchr(s, '\n');
		int hit;

		if (nl != NULL)
			*nl = '\0';
		hit = regexec(re, s, 0, NULL, 0) == 0;
		if (nl != NULL)
			*nl = '\n';
		if (hit)
			return 1;
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return 0;
}

static int check_tmpfd(void)
{
	char name[] = "/tmp/vr-check.XXXXXX";
	int fd = mkstemp(name);

	if (fd >= 0)
		unlink(name);
	return fd;
}

static void check_run(const char *self, const char *trace, const struct check_expect *e,
    unsigned timeout, struct check_result *r)
{
	int fo = check_tmpfd(), fe = check_tmpfd(), st = 0;
	pid_t pid;
	char **argv;

	r->ok = 0;
	if (fo < 0 || fe < 0) {
		buf_printf(&r->why, "cannot create a temporary file: %s", strerror(errno));
		goto out;
	}
	argv = xcalloc(e->nargs + 4, sizeof *argv);
	argv[0] = (char *)"virtio-replay";
	argv[1] = (char *)"replay";
	argv[2] = (char *)trace;
	for (unsigned i = 0; i < e->nargs; i++)
		argv[3 + i] = e->args[i];
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(self, argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0) {
		buf_printf(&r->why, "fork: %s", strerror(errno));
		goto out;
	}
	check_alarm = 0;
	alarm(timeout);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			break;
		if (check_alarm) {
			r->timed_out = 1;
			kill(pid, SIGKILL);
		}
	}
	alarm(0);
	check_slurp(fo, &r->out);
	check_slurp(fe, &r->err);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
	if (r->timed_out) {
		buf_printf(&r->why, "timed out after %u s", timeout);
		goto out;
	}
	if (r->status < 0) {
		buf_printf(&r->why, "killed by signal %d", -r->status);
		goto out;
	}
	r->ok = 1;
	if (r->status != e->exit_status) {
		buf_printf(&r->why, "exit %d, want %d\n", r->status, e->exit_status);
		r->ok = 0;
	}
	for (unsigned i = 0; i < e->npat; i++) {
		if (!check_match(&e->pat[i].re, e->pat[i].stream == 1 ? &r->out : &r->err)) {
			buf_printf(&r->why, "%s does not match /%s/\n", e->pat[i].stream == 1 ? "stdout" : "stderr",
			    e->pat[i].text);
			r->ok = 0;
		}
	}
out:
	if (fo >= 0)
		close(fo);
	if (fe >= 0)
		close(fe);
}

static void check_xml_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* XML 1.0 forbids most control characters even as references. */
			if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
				fputc('?', f);
			else
				fputc(c, f);
		}
	}
}

static void check_tap(FILE *f, struct check_result *res, unsigned n)
{
	fprintf(f, "TAP version 13\n1..%u\n", n);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s %u - %s\n", res[i].ok ? "ok" : "not ok", i + 1, res[i].trace);
		if (!res[i].ok) {
			char *s = (char *)buf_str(&res[i].why);
			for (char *l = strtok(s, "\n"); l != NULL; l = strtok(NULL, "\n"))
				fprintf(f, "# %s\n", l);
		}
	}
}

static void check_junit(FILE *f, struct check_result *res, unsigned n, unsigned failed)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites tests=\"%u\" failures=\"%u\">\n", n, failed);
	fprintf(f, "  <testsuite name=\"virtio-replay check\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n", n, failed);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "    <testcase classname=\"virtio-replay.replay\" name=\"");
		check_xml_escape(f, res[i].trace);
		fprintf(f, "\" time=\"%.3f\">\n", res[i].seconds);
		if (!res[i].ok) {
			fprintf(f, "      <failure message=\"");
			check_xml_escape(f, buf_str(&res[i].why));
			fprintf(f, "\"/>\n");
		}
		fprintf(f, "      <system-out>");
		check_xml_escape(f, buf_str(&res[i].out));
		fprintf(f, "</system-out>\n      <system-err>");
		check_xml_escape(f, buf_str(&res[i].err));
		fprintf(f, "</system-err>\n    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
}

/* Write through a temporary name so a reader never sees half a report. */
static int check_write(const char *path, void (*fn)(FILE *, struct check_result *, unsigned, unsigned),
    struct check_result *res, unsigned n, unsigned failed)
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
	fn(f, res, n, failed);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = cmd_fail(EXIT_INTERNAL, "%s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

static void check_tap_adapter(FILE *f, struct check_result *res, unsigned n, unsigned failed)
{
	(void)failed;
	check_tap(f, res, n);
}

extern const struct cmd_entry cmd_check_entry;

static int check_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tap", required_argument, NULL, 't' },
		{ "junit", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tap = NULL, *junit = NULL;
	unsigned long long timeout = 300;
	int verbose = 0, c, rc = EXIT_OK;
	char **traces = NULL, *cause = NULL, self[4096];
	unsigned n = 0, failed = 0;
	struct check_result *res;
	struct sigaction sa;
	ssize_t sl;

	optind = 1;
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 't': tap = optarg; break;
		case 'j': junit = optarg; break;
		case 'T':
			if (cmd_parse_u64(optarg, &timeout) != 0 || timeout == 0 || timeout > 86400)
				return cmd_usage_error(&cmd_check_entry, "--timeout wants seconds (1-86400)");
			break;
		case 'v': verbose = 1; break;
		default: return cmd_usage_error(&cmd_check_entry, "bad option");
		}
	}
	if (optind >= argc)
		return cmd_usage_error(&cmd_check_entry, "no trace or directory given");
	for (int i = optind; i < argc; i++)
		if (check_collect(argv[i], &traces, &n, &cause) != 0)
			return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (n == 0)
		return cmd_fail(EXIT_BADINPUT, "no traces (*.vrt, *.vrb) found");
	if ((sl = readlink("/proc/self/exe", self, sizeof self - 1)) < 0)
		return cmd_fail(EXIT_INTERNAL, "/proc/self/exe: %s", strerror(errno));
	self[sl] = '\0';

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = check_on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	res = xcalloc(n, sizeof *res);
	for (unsigned i = 0; i < n; i++) {
		struct check_expect e;
		struct timespec t0, t1;

		res[i].trace = traces[i];
		buf_init(&res[i].why);
		buf_init(&res[i].out);
		buf_init(&res[i].err);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (check_expect_load(traces[i], &e, &cause) != 0) {
			buf_printf(&res[i].why, "%s", cause);
			free(cause);
			cause = NULL;
		} else {
			check_run(self, traces[i], &e, (unsigned)timeout, &res[i]);
			check_expect_free(&e);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res[i].seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (!res[i].ok)
			failed++;
		if (verbose || !res[i].ok)
			fprintf(stderr, "%s %s%s%s", res[i].ok ? "ok  " : "FAIL", traces[i],
			    res[i].ok ? "\n" : ": ", res[i].ok ? "" : buf_str(&res[i].why));
		if (!res[i].ok && res[i].why.len > 0 && res[i].why.data[res[i].why.len - 1] != '\n')
			fputc('\n', stderr);
	}
	check_tap(stdout, res, n);
	fflush(stdout);
	if (tap != NULL && (rc = check_write(tap, check_tap_adapter, res, n, failed)) != 0)
		goto out;
	if (junit != NULL && (rc = check_write(junit, check_junit, res, n, failed)) != 0)
		goto out;
	fprintf(stderr, "check: %u traces, %u passed, %u failed\n", n, n - failed, failed);
	rc = failed ? EXIT_DIVERGED : EXIT_OK;
out:
	for (unsigned i = 0; i < n; i++) {
		buf_release(&res[i].why);
		buf_release(&res[i].out);
		buf_release(&res[i].err);
		free(traces[i]);
	}
	free(res);
	free(traces);
	return rc;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.usage = "[--tap FILE] [--junit FILE] [--timeout SECONDS] [-v] TRACE|DIR...",
	.summary = "replay a directory of traces against their expected outcomes (TAP, JUnit XML)",
	.help =
	    "Every *.vrt/*.vrb under each DIR (recursively, in name order) is replayed in its\n"
	    "own process with `virtio-replay replay TRACE` and checked against TRACE.expect:\n"
	    "  exit N          expected exit status (default 0)\n"
	    "  stdout REGEX    some line of standard output matches (POSIX ERE)\n"
	    "  stderr REGEX    some line of standard error matches\n"
	    "  args ARG...     extra replay arguments\n"
	    "A trace without a .expect file must replay with exit 0.\n\n"
	    "Options:\n"
	    "  --tap FILE       also write the TAP report (always printed on stdout) to FILE\n"
	    "  --junit FILE     write a JUnit XML report to FILE\n"
	    "  --timeout SECS   kill a replay that runs longer (default 300)\n"
	    "  -v, --verbose    list passing traces on stderr too\n",
	.exec = check_exec,
};
