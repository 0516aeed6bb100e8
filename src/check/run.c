/* run.c -- replay a suite's traces in child processes, -j at a time, and judge each against its .expect */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vr/check.h"
#include "vr/xmalloc.h"

/*
 * Each trace runs as `SELF replay TRACE ARGS...` with its stdout and stderr on
 * pipes. Output is handled a line at a time as it arrives: the .expect patterns
 * are matched, the first divergence report and the violation lines are parsed,
 * and only the head and the tail of each stream are kept (so memory is bounded
 * by -j, not by the suite or by how much a replay prints). A failing trace's
 * kept output goes to a spool file for the reports; a passing trace keeps nothing.
 */

#define RUN_LINE_MAX	8192	/* longer lines are matched on their first 8 KiB */
#define RUN_MAX_VIOL	32	/* distinct violation names kept per trace */
#define RUN_ERROR_MAX	512

struct run_stream {
	int fd;			/* -1 once at end of file */
	struct buf line;
	int overflow;		/* the current line passed RUN_LINE_MAX */
	struct buf head;
	char *tail;		/* ring of the last cap_tail bytes after the head */
	size_t tail_len, tail_pos;
	unsigned long long after_head;
};

struct run_job {
	unsigned idx;
	pid_t pid;
	int reaped, wstatus;
	int minimizing;		/* the replay is judged; `minimize` runs on the failing trace */
	struct run_stream st[2];
	struct check_expect e;
	unsigned char *matched;
	struct timespec start;
	int div_state;		/* 0 before the first divergence report, 1 inside it, 2 after */
	char *first_err;
	char *dir;		/* this trace's artifacts directory, or NULL */
	struct check_result *r;
	const struct check_trace *t;
};

struct check_run {
	struct check_opts o;
	int spool;
	off_t spool_end;
	char *tmproot;		/* private directory for outputs when there is no --artifacts */
};

static double run_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct check_run *check_run_new(const struct check_opts *o, char **cause)
{
	struct check_run *cr = xcalloc(1, sizeof *cr);
	char name[] = "/tmp/vr-check-spool.XXXXXX";

	cr->o = *o;
	if (cr->o.jobs == 0)
		cr->o.jobs = 1;
	if ((cr->spool = mkostemp(name, O_CLOEXEC)) < 0) {
		xasprintf(cause, "cannot create a temporary file in /tmp: %s", strerror(errno));
		free(cr);
		return NULL;
	}
	unlink(name);
	return cr;
}

void check_run_free(struct check_run *cr)
{
	if (cr == NULL)
		return;
	close(cr->spool);
	if (cr->tmproot != NULL)
		rmdir(cr->tmproot);
	free(cr->tmproot);
	free(cr);
}

void check_result_release(struct check_result *r)
{
	free(r->message);
	free(r->reasons);
	free(r->error);
	if (r->div != NULL) {
		free(r->div->field);
		free(r->div->expected);
		free(r->div->produced);
		free(r->div->detail);
		free(r->div);
	}
	for (unsigned i = 0; i < r->nviol; i++)
		free(r->viol[i]);
	free(r->viol);
	free(r->artifacts);
	free(r->minimized);
	free(r->minimize_error);
	memset(r, 0, sizeof *r);
}

/* ---- artifacts ---- */

/* One path component of an untrusted name, made safe to create: a short alphabet, no leading
 * dot; a hash tells apart names that differ only in replaced bytes. */
static void run_component(struct buf *b, const char *s, size_t n)
{
	int changed = 0;
	char *raw = xstrndup(s, n);

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '+' || (c == '.' && i > 0);
		buf_add_u8(b, ok ? (uint8_t)c : '_');
		changed |= !ok;
	}
	if (n > 100 || changed) {
		if (n > 100)
			b->len -= n - 100;
		buf_printf(b, "-%08x", (unsigned)check_hash(raw));
	}
	free(raw);
}

static void run_clear_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) != 0)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* BASE/<sanitised trace path>/, created empty. */
static char *run_artifacts_dir(const char *base, const char *path, char **cause)
{
	struct buf b;
	const char *p = path;

	buf_init(&b);
	buf_add(&b, base, strlen(base));
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n > 0 && !(n == 1 && p[0] == '.')) {
			buf_add_u8(&b, '/');
			run_component(&b, p, n);
			buf_str(&b);
			if (mkdir((char *)b.data, 0777) != 0 && errno != EEXIST) {
				xasprintf(cause, "%s: %s", (char *)b.data, strerror(errno));
				buf_release(&b);
				return NULL;
			}
		}
		p += n + (p[n] == '/');
	}
	buf_add_u8(&b, '\0');
	run_clear_dir((char *)b.data);
	return (char *)b.data;
}

/* Remove a passing trace's directory and the parents that became empty, up to base. */
static void run_artifacts_drop(const char *base, char *dir)
{
	size_t bl = strlen(base);

	run_clear_dir(dir);
	while (strlen(dir) > bl && rmdir(dir) == 0) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
}

/* ---- output handling ---- */

static void run_capture(struct check_run *cr, struct run_stream *s, const char *p, size_t n)
{
	size_t room = cr->o.cap_head - s->head.len;

	if (room > 0) {
		size_t k = n < room ? n : room;
		buf_add(&s->head, p, k);
		p += k;
		n -= k;
	}
	s->after_head += n;
	if (cr->o.cap_tail == 0)
		return;
	if (s->tail == NULL)
		s->tail = xmalloc(cr->o.cap_tail);
	if (n > cr->o.cap_tail) {
		p += n - cr->o.cap_tail;
		n = cr->o.cap_tail;
	}
	while (n > 0) {
		size_t k = cr->o.cap_tail - s->tail_pos;

		if (k > n)
			k = n;
		memcpy(s->tail + s->tail_pos, p, k);
		s->tail_pos = (s->tail_pos + k) % cr->o.cap_tail;
		if (s->tail_len < cr->o.cap_tail)
			s->tail_len = s->tail_len + k < cr->o.cap_tail ? s->tail_len + k : cr->o.cap_tail;
		p += k;
		n -= k;
	}
}

static void run_violation(struct run_job *j, const char *line)
{
	const char *name = line + strlen("violation ");
	size_t n = strcspn(name, " ");
	struct check_result *r = j->r;

	if (n == 0 || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") < n ||
	    strncmp(name + n, " at event ", 10) != 0)
		return;
	r->viol_total++;
	for (unsigned i = 0; i < r->nviol; i++)
		if (strlen(r->viol[i]) == n && memcmp(r->viol[i], name, n) == 0)
			return;
	if (r->nviol >= RUN_MAX_VIOL)
		return;
	r->viol = xreallocarray(r->viol, r->nviol + 1, sizeof *r->viol);
	r->viol[r->nviol++] = xstrndup(name, n);
}

/* The first divergence report: "TRACE: event N (offset 0xOFF): divergence in FIELD", then
 * indented "expected:", "produced:", "register:" and "first difference" lines. */
static void run_divergence(struct run_job *j, const char *line)
{
	size_t pl = strlen(j->t->path);
	struct check_divergence *d;
	unsigned long long ev, off;
	int used = 0;

	if (j->div_state == 1) {
		static const struct { const char *prefix; size_t field; } keys[] = {
			{ "  expected: ", offsetof(struct check_divergence, expected) },
			{ "  produced: ", offsetof(struct check_divergence, produced) },
			{ "  first difference ", offsetof(struct check_divergence, detail) },
			{ "  register: ", offsetof(struct check_divergence, detail) },
		};

		if (strncmp(line, "  ", 2) != 0) {
			j->div_state = 2;
			return;
		}
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			char **slot = (char **)((char *)j->r->div + keys[k].field);
			size_t kl = strlen(keys[k].prefix);

			if (strncmp(line, keys[k].prefix, kl) == 0 && *slot == NULL) {
				/* "first difference at ..." keeps its words; the others drop their label */
				*slot = xstrdup(keys[k].prefix[2] == 'f' ? line + 2 : line + kl);
				break;
			}
		}
		return;
	}
	if (j->div_state != 0 || strncmp(line, j->t->path, pl) != 0 || strncmp(line + pl, ": event ", 8) != 0)
		return;
	if (sscanf(line + pl + 8, "%llu (offset 0x%llx): divergence in %n", &ev, &off, &used) < 2 || used == 0)
		return;
	d = xcalloc(1, sizeof *d);
	d->event = ev;
	d->offset = off;
	d->field = xstrdup(line + pl + 8 + used);
	j->r->div = d;
	j->div_state = 1;
}

static int run_is_speed_line(const char *line)
{
	size_t n = strlen(line);
	return strncmp(line, "  speed ", 8) == 0 && n > 9 && strcmp(line + n - 9, "events/s\n") == 0;
}

/* A whole line (or the first RUN_LINE_MAX bytes of one) of stream k. */
static void run_line(struct check_run *cr, struct run_job *j, int k, struct buf *lb)
{
	char *line = (char *)buf_str(lb);
	size_t n = lb->len;
	int had_nl = n > 0 && line[n - 1] == '\n';

	if (!(k == 1 && !cr->o.timings && run_is_speed_line(line)))
		run_capture(cr, &j->st[k], line, n);
	if (had_nl)
		line[n - 1] = '\0';
	for (unsigned i = 0; i < j->e.npat; i++)
		if (!j->matched[i] && j->e.pat[i].stream == k + 1 && regexec(&j->e.pat[i].re, line, 0, NULL, 0) == 0)
			j->matched[i] = 1;
	if (k == 0) {
		run_divergence(j, line);
		if (strncmp(line, "violation ", 10) == 0)
			run_violation(j, line);
	} else if (j->first_err == NULL && line[0] != '\0') {
		j->first_err = xstrndup(line, RUN_ERROR_MAX);
	}
	if (had_nl)
		line[n - 1] = '\n';
}

static void run_feed(struct check_run *cr, struct run_job *j, int k, const char *p, size_t n)
{
	struct run_stream *s = &j->st[k];

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - p) + 1 : n;

		if (s->overflow) {
			run_capture(cr, s, p, take);
		} else if (s->line.len + take <= RUN_LINE_MAX) {
			buf_add(&s->line, p, take);
			if (nl != NULL) {
				run_line(cr, j, k, &s->line);
				buf_reset(&s->line);
			}
		} else {
			size_t room = RUN_LINE_MAX - s->line.len;

			buf_add(&s->line, p, room);
			run_line(cr, j, k, &s->line);
			buf_reset(&s->line);
			run_capture(cr, s, p + room, take - room);
			s->overflow = 1;
		}
		if (nl != NULL)
			s->overflow = 0;
		p += take;
		n -= take;
	}
}

static void run_eof(struct check_run *cr, struct run_job *j, int k)
{
	struct run_stream *s = &j->st[k];

	if (s->line.len > 0)
		run_line(cr, j, k, &s->line);
	buf_reset(&s->line);
	close(s->fd);
	s->fd = -1;
}

/* Append head, a cut marker and tail of a stream to the spool. */
static void run_spool(struct check_run *cr, struct run_job *j, int k)
{
	struct run_stream *s = &j->st[k];
	struct buf b;
	unsigned long long cut = s->after_head > s->tail_len ? s->after_head - s->tail_len : 0;

	buf_init(&b);
	buf_add(&b, s->head.data, s->head.len);
	if (cut > 0)
		buf_printf(&b, "%s[... %llu bytes cut ...]\n", b.len > 0 && b.data[b.len - 1] != '\n' ? "\n" : "", cut);
	if (s->tail_len > 0) {
		size_t start = s->tail_len < cr->o.cap_tail ? 0 : s->tail_pos;
		buf_add(&b, s->tail + start, s->tail_len - start);
		buf_add(&b, s->tail, start);
	}
	j->r->cap_off[k] = cr->spool_end;
	j->r->cap_len[k] = 0;
	j->r->cap_cut[k] = cut;
	if (b.len > 0 && pwrite(cr->spool, b.data, b.len, cr->spool_end) == (ssize_t)b.len) {
		j->r->cap_len[k] = b.len;
		cr->spool_end += (off_t)b.len;
	}
	buf_release(&b);
}

void check_run_captured(struct check_run *cr, const struct check_result *r, int stream, struct buf *out)
{
	int k = stream - 1;
	char *raw;

	if (r->cap_len[k] == 0)
		return;
	raw = xmalloc(r->cap_len[k]);
	if (pread(cr->spool, raw, r->cap_len[k], r->cap_off[k]) == (ssize_t)r->cap_len[k])
		check_text_clean(out, raw, r->cap_len[k]);
	free(raw);
}

/* ---- judging ---- */

static void run_judge(struct check_run *cr, struct run_job *j)
{
	struct check_result *r = j->r;
	int st = j->wstatus;
	struct buf why;

	buf_init(&why);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
	if (r->status >= 2 && j->first_err != NULL) {
		struct buf c;

		buf_init(&c);
		check_text_clean(&c, j->first_err, strlen(j->first_err));
		buf_add_u8(&c, '\0');
		r->error = (char *)c.data;
	}
	if (r->timed_out) {
		buf_printf(&why, "timed out after %u s\n", cr->o.timeout);
	} else if (r->status < 0) {
		buf_printf(&why, "killed by signal %d\n", -r->status);
	} else {
		if (r->status != r->want) {
			const struct check_divergence *d = r->div;

			if (d != NULL && r->status == 1)
				buf_printf(&why, "divergence in %s at event %llu: expected %s, produced %s\n", d->field,
				    d->event, d->expected ? d->expected : "?", d->produced ? d->produced : "?");
			buf_printf(&why, "exit %d, want %d%s%s\n", r->status, r->want, r->error ? ": " : "",
			    r->error ? r->error : "");
		}
		for (unsigned i = 0; i < j->e.npat; i++)
			if (!j->matched[i])
				buf_printf(&why, "%s does not match /%s/\n", j->e.pat[i].stream == 1 ? "stdout" : "stderr",
				    j->e.pat[i].text);
	}
	r->ok = why.len == 0;
	if (!r->ok) {
		struct buf c;

		buf_init(&c);
		check_text_clean(&c, (char *)why.data, why.len);
		buf_add_u8(&c, '\0');
		r->reasons = (char *)c.data;
		r->message = xstrndup(r->reasons, strcspn(r->reasons, "\n"));
		run_spool(cr, j, 0);
		run_spool(cr, j, 1);
	}
	buf_release(&why);
}

/* ---- processes ---- */

static char *run_tmproot(struct check_run *cr, char **cause)
{
	if (cr->tmproot == NULL) {
		char name[] = "/tmp/vr-check.XXXXXX";

		if (mkdtemp(name) == NULL) {
			xasprintf(cause, "cannot create a temporary directory in /tmp: %s", strerror(errno));
			return NULL;
		}
		cr->tmproot = xstrdup(name);
	}
	return cr->tmproot;
}

static void run_job_free(struct run_job *j)
{
	for (int k = 0; k < 2; k++) {
		if (j->st[k].fd >= 0)
			close(j->st[k].fd);
		buf_release(&j->st[k].line);
		buf_release(&j->st[k].head);
		free(j->st[k].tail);
	}
	check_expect_free(&j->e);
	free(j->matched);
	free(j->first_err);
	free(j->dir);
	free(j);
}

/* Start trace i; NULL if it is already judged (bad .expect, cannot start). */
static struct run_job *run_start(struct check_run *cr, const struct check_trace *t, unsigned i,
    struct check_result *r)
{
	struct run_job *j = xcalloc(1, sizeof *j);
	const char *base = cr->o.artifacts;
	char *cause = NULL, **argv;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	unsigned argc = 0;

	j->idx = i;
	j->r = r;
	j->t = t;
	j->st[0].fd = j->st[1].fd = -1;
	buf_init(&j->st[0].line);
	buf_init(&j->st[1].line);
	buf_init(&j->st[0].head);
	buf_init(&j->st[1].head);
	if (check_expect_load(t->path, &j->e, &cause) != 0)
		goto fail;
	r->want = j->e.exit_status;
	j->matched = xcalloc(j->e.npat + 1, 1);
	if (base == NULL && j->e.outputs != 0 && (base = run_tmproot(cr, &cause)) == NULL)
		goto fail;
	if (base != NULL && (j->dir = run_artifacts_dir(base, t->art, &cause)) == NULL)
		goto fail;

	argv = xcalloc(j->e.nargs + 8, sizeof *argv);
	argv[argc++] = xstrdup("virtio-replay");
	argv[argc++] = xstrdup("replay");
	argv[argc++] = xstrdup(t->path);
	for (unsigned k = 0; k < j->e.nargs; k++) {
		if (j->e.kind[k] == CHECK_ARG_OUTPUT && j->e.args[k][0] != '-')
			xasprintf(&argv[argc++], "%s/%s", j->dir, j->e.args[k]);
		else
			argv[argc++] = xstrdup(j->e.args[k]);
	}
	if (cr->o.artifacts != NULL && !check_expect_has_output(&j->e, "--log")) {
		argv[argc++] = xstrdup("--log");
		xasprintf(&argv[argc++], "%s/replay.log", j->dir);
	}
	if (cr->o.artifacts != NULL && !check_expect_has_output(&j->e, "--db")) {
		argv[argc++] = xstrdup("--db");
		xasprintf(&argv[argc++], "%s/replay.db", j->dir);
	}
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		xasprintf(&cause, "pipe: %s", strerror(errno));
	} else {
		fflush(NULL);
		clock_gettime(CLOCK_MONOTONIC, &j->start);
		if ((j->pid = fork()) == 0) {
			int null = open("/dev/null", O_RDONLY);

			if (null > 0) {
				dup2(null, 0);
				close(null);
			}
			dup2(po[1], 1);
			dup2(pe[1], 2);
			execv(cr->o.self, argv);
			_exit(127);
		}
		if (j->pid < 0)
			xasprintf(&cause, "fork: %s", strerror(errno));
	}
	for (unsigned k = 0; k < argc; k++)
		free(argv[k]);
	free(argv);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	j->st[0].fd = po[0];
	j->st[1].fd = pe[0];
	if (cause != NULL)
		goto fail;
	return j;
fail:
	{
		struct buf c;

		buf_init(&c);
		check_text_clean(&c, cause, strlen(cause));
		buf_add_u8(&c, '\n');
		buf_add_u8(&c, '\0');
		r->reasons = (char *)c.data;
		r->message = xstrndup(r->reasons, strcspn(r->reasons, "\n"));
		r->ok = 0;
		r->not_run = 1;
	}
	free(cause);
	if (j->dir != NULL)
		run_artifacts_drop(cr->o.artifacts ? cr->o.artifacts : cr->tmproot, j->dir);
	run_job_free(j);
	return NULL;
}

/* Start `SELF minimize TRACE -o DIR/minimized.vrt -q` for a failing trace. 0, or -1 if it cannot run. */
static int run_minimize_start(struct check_run *cr, struct run_job *j)
{
	char *out, *log, *argv[10];
	unsigned argc = 0;
	int fd;

	xasprintf(&out, "%s/minimized.vrt", j->dir);
	xasprintf(&log, "%s/minimize.txt", j->dir);
	argv[argc++] = (char *)"virtio-replay";
	argv[argc++] = (char *)"minimize";
	argv[argc++] = (char *)j->t->path;
	argv[argc++] = (char *)"-o";
	argv[argc++] = out;
	argv[argc++] = (char *)"-q";
	for (unsigned k = 0; k + 1 < j->e.nargs; k++) {
		if (strcmp(j->e.args[k], "--layout") == 0) {	/* the same profile the replay ran under */
			argv[argc++] = (char *)"--layout";
			argv[argc++] = j->e.args[k + 1];
			break;
		}
	}
	argv[argc] = NULL;
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
	j->pid = -1;
	if (fd >= 0) {
		fflush(NULL);
		if ((j->pid = fork()) == 0) {
			int null = open("/dev/null", O_RDONLY);

			if (null > 0) {
				dup2(null, 0);
				close(null);
			}
			dup2(fd, 1);
			dup2(fd, 2);
			execv(cr->o.self, argv);
			_exit(127);
		}
		close(fd);
	}
	free(out);
	free(log);
	if (j->pid < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	j->minimizing = 1;
	j->reaped = 0;
	return 0;
}

static void run_minimize_end(struct run_job *j)
{
	struct check_result *r = j->r;
	int st = j->wstatus;

	if (!r->timed_out && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		char *out;

		xasprintf(&out, "%s/minimized.vrt", j->dir);
		r->minimized = check_name_escape(out);
		free(out);
	} else if (r->timed_out) {
		xasprintf(&r->minimize_error, "minimize timed out (see %s/minimize.txt)", r->artifacts);
	} else {
		xasprintf(&r->minimize_error, "minimize failed with %s %d (see %s/minimize.txt)",
		    WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
		    r->artifacts);
	}
	r->timed_out = 0;	/* that was minimize's */
}

/* The process of a job ended. 1 when the job is over, 0 when it goes on (minimize started). */
static int run_finish(struct check_run *cr, struct run_job *j)
{
	struct timespec end;
	struct check_result *r = j->r;

	if (j->minimizing) {
		run_minimize_end(j);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	r->seconds = (double)(end.tv_sec - j->start.tv_sec) + (double)(end.tv_nsec - j->start.tv_nsec) / 1e9;
	run_judge(cr, j);
	if (j->dir != NULL) {
		if (r->ok || cr->o.artifacts == NULL)
			run_artifacts_drop(cr->o.artifacts ? cr->o.artifacts : cr->tmproot, j->dir);
		else
			r->artifacts = check_name_escape(j->dir);
	}
	/* only an outcome the replay reached is worth keeping: not a crash or a timeout */
	if (cr->o.minimize && r->artifacts != NULL && !r->timed_out && r->status >= 0) {
		if (run_minimize_start(cr, j) == 0)
			return 0;
		xasprintf(&r->minimize_error, "cannot start minimize: %s", strerror(errno));
	}
	return 1;
}

int check_run_suite(struct check_run *cr, const struct check_suite *s, struct check_result *res, char **cause)
{
	struct run_job **act = xcalloc(cr->o.jobs, sizeof *act);
	unsigned char *done = xcalloc(s->n + 1, 1);
	unsigned next = 0, told = 0, nact = 0;
	struct pollfd *pfd = xcalloc(2 * cr->o.jobs, sizeof *pfd);
	char chunk[65536];

	(void)cause;
	for (;;) {
		double now, wait = 1.0;
		unsigned np = 0;

		while (nact < cr->o.jobs && next < s->n) {
			struct run_job *j = run_start(cr, &s->t[next], next, &res[next]);

			if (j != NULL)
				act[nact++] = j;
			else
				done[next] = 1;
			next++;
		}
		while (told < s->n && done[told]) {
			if (cr->o.done != NULL)
				cr->o.done(cr->o.arg, told, &s->t[told], &res[told]);
			told++;
		}
		if (nact == 0 && next >= s->n)
			break;
		now = run_now();
		for (unsigned a = 0; a < nact; a++) {
			struct run_job *j = act[a];
			double deadline = (double)j->start.tv_sec + (double)j->start.tv_nsec / 1e9 + cr->o.timeout;

			if (!j->r->timed_out && !j->reaped && now >= deadline) {
				/* whatever still holds the pipes, the trace is over */
				j->r->timed_out = 1;
				kill(j->pid, SIGKILL);
				for (int k = 0; k < 2; k++)
					if (j->st[k].fd >= 0)
						run_eof(cr, j, k);
				while (waitpid(j->pid, &j->wstatus, 0) < 0 && errno == EINTR)
					;
				j->reaped = 1;
			} else if (!j->r->timed_out && deadline - now < wait) {
				wait = deadline - now;
			}
			for (int k = 0; k < 2; k++) {
				if (j->st[k].fd >= 0) {
					pfd[np].fd = j->st[k].fd;
					pfd[np].events = POLLIN;
					pfd[np].revents = 0;
					np++;
				}
			}
			if (j->st[0].fd < 0 && j->st[1].fd < 0 && wait > 0.01)
				wait = 0.01;	/* both pipes closed: the exit is close */
		}
		if (np > 0 && poll(pfd, np, (int)(wait * 1000) + 1) < 0 && errno != EINTR)
			break;
		if (np == 0)
			usleep((useconds_t)(wait * 1e6));
		np = 0;
		for (unsigned a = 0; a < nact; a++) {
			struct run_job *j = act[a];

			for (int k = 0; k < 2; k++) {
				if (j->st[k].fd < 0)
					continue;
				if (pfd[np++].revents != 0) {
					ssize_t n = read(j->st[k].fd, chunk, sizeof chunk);

					if (n > 0)
						run_feed(cr, j, k, chunk, (size_t)n);
					else if (n == 0 || (errno != EINTR && errno != EAGAIN))
						run_eof(cr, j, k);
				}
			}
		}
		for (unsigned a = 0; a < nact;) {
			struct run_job *j = act[a];

			if (j->st[0].fd < 0 && j->st[1].fd < 0 &&
			    (j->reaped || waitpid(j->pid, &j->wstatus, WNOHANG) == j->pid)) {
				if (!run_finish(cr, j)) {
					a++;
					continue;
				}
				done[j->idx] = 1;
				run_job_free(j);
				act[a] = act[--nact];
			} else {
				a++;
			}
		}
	}
	free(pfd);
	free(act);
	free(done);
	return 0;
}
