/* walk.c -- find a suite's traces: stay inside each root, enter each directory once, run each file once */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/check.h"
#include "vr/xmalloc.h"

#define WALK_MAX_DEPTH	64

struct walk {
	struct check_suite *s;
	const char *root;	/* as given, without trailing slashes */
	const char *base;	/* its last component */
	char *real;		/* realpath of the root */
	struct { dev_t dev; ino_t ino; } *dirs;
	unsigned ndirs;
};

void check_suite_init(struct check_suite *s)
{
	memset(s, 0, sizeof *s);
	buf_init(&s->notes);
}

static void walk_trace_free(struct check_trace *t)
{
	free(t->path);
	free(t->name);
	free(t->rel);
	free(t->art);
}

void check_suite_free(struct check_suite *s)
{
	for (unsigned i = 0; i < s->n; i++)
		walk_trace_free(&s->t[i]);
	free(s->t);
	buf_release(&s->notes);
	memset(s, 0, sizeof *s);
}

static int walk_has_ext(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && (strcmp(name + n - 4, ".vrt") == 0 || strcmp(name + n - 4, ".vrb") == 0);
}

static void walk_note(struct walk *w, const char *path, const char *why)
{
	char *esc = check_name_escape(path);

	buf_printf(&w->s->notes, "%s: %s\n", esc, why);
	free(esc);
}

static int walk_push(struct walk *w, const char *path, const char *rel, const struct stat *st, char **cause)
{
	struct check_trace *t;

	if (w->s->n >= CHECK_MAX_TRACES)
		return xasprintf(cause, "%s: more than %u traces", w->root, CHECK_MAX_TRACES), -1;
	w->s->t = xreallocarray(w->s->t, w->s->n + 1, sizeof *w->s->t);
	t = &w->s->t[w->s->n++];
	/* a path starting with '-' would read as an option to replay */
	if (path[0] == '-')
		xasprintf(&t->path, "./%s", path);
	else
		t->path = xstrdup(path);
	t->name = check_name_escape(path);
	t->rel = xstrdup(rel);
	if (strcmp(rel, path) == 0 || strcmp(rel, w->base) == 0)
		t->art = xstrdup(rel);
	else
		xasprintf(&t->art, "%s/%s", w->base, rel);
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	return 0;
}

/* Is a symlinked file's target inside the root? */
static int walk_inside(struct walk *w, const char *path)
{
	char *real = realpath(path, NULL);
	size_t n = strlen(w->real);
	int in;

	if (real == NULL)
		return 0;
	in = strncmp(real, w->real, n) == 0 && (real[n] == '/' || strcmp(w->real, "/") == 0);
	free(real);
	return in;
}

static int walk_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct walk *w, int dfd, const char *path, const char *rel, unsigned depth, char **cause)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	unsigned nn = 0;
	int rc = 0;

	if (depth > WALK_MAX_DEPTH) {
		walk_note(w, path, "deeper than 64 directories, not entered");
		close(dfd);
		return 0;
	}
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return xasprintf(cause, "%s: %s", path, strerror(errno)), -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')	/* ".", "..", hidden files */
			continue;
		names = xreallocarray(names, nn + 1, sizeof *names);
		names[nn++] = xstrdup(de->d_name);
	}
	if (nn > 1)
		qsort(names, nn, sizeof *names, walk_cmp);
	for (unsigned i = 0; i < nn && rc == 0; i++) {
		struct stat st;
		char *sub, *subrel;

		xasprintf(&sub, "%s/%s", path, names[i]);
		if (*rel != '\0')
			xasprintf(&subrel, "%s/%s", rel, names[i]);
		else
			subrel = xstrdup(names[i]);
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			walk_note(w, sub, strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			struct stat ts;

			if (fstatat(dirfd(d), names[i], &ts, 0) != 0)
				;	/* dangling: not a trace */
			else if (S_ISDIR(ts.st_mode))
				walk_note(w, sub, "directory symlink not followed");
			else if (S_ISREG(ts.st_mode) && walk_has_ext(names[i])) {
				if (walk_inside(w, sub))
					rc = walk_push(w, sub, subrel, &ts, cause);
				else
					walk_note(w, sub, "symlink leads out of the suite, not run");
			}
		} else if (S_ISDIR(st.st_mode)) {
			unsigned k;

			for (k = 0; k < w->ndirs; k++)
				if (w->dirs[k].dev == st.st_dev && w->dirs[k].ino == st.st_ino)
					break;
			if (k < w->ndirs) {
				walk_note(w, sub, "directory already walked, not entered again");
			} else {
				int sfd = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				w->dirs = xreallocarray(w->dirs, w->ndirs + 1, sizeof *w->dirs);
				w->dirs[w->ndirs].dev = st.st_dev;
				w->dirs[w->ndirs++].ino = st.st_ino;
				if (sfd < 0)
					walk_note(w, sub, strerror(errno));
				else
					rc = walk_dir(w, sfd, sub, subrel, depth + 1, cause);
			}
		} else if (S_ISREG(st.st_mode) && walk_has_ext(names[i])) {
			rc = walk_push(w, sub, subrel, &st, cause);
		}
		free(sub);
		free(subrel);
	}
	for (unsigned i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int check_suite_add(struct check_suite *s, const char *root, char **cause)
{
	struct walk w = { .s = s };
	struct stat st;
	char *r = xstrdup(root);
	size_t n = strlen(r);
	int rc, fd;

	while (n > 1 && r[n - 1] == '/')
		r[--n] = '\0';
	w.root = r;
	w.base = strrchr(r, '/') != NULL && r[1] != '\0' ? strrchr(r, '/') + 1 : r;
	if (stat(r, &st) != 0) {
		xasprintf(cause, "%s: %s", root, strerror(errno));
		free(r);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		const char *base = strrchr(r, '/');

		rc = -1;
		if (!S_ISREG(st.st_mode))
			xasprintf(cause, "%s: not a regular file or directory", root);
		else
			rc = walk_push(&w, r, base ? base + 1 : r, &st, cause);
		free(r);
		return rc;
	}
	if ((w.real = realpath(r, NULL)) == NULL || (fd = open(r, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", root, strerror(errno));
		free(w.real);
		free(r);
		return -1;
	}
	w.dirs = xmalloc(sizeof *w.dirs);
	w.dirs[0].dev = st.st_dev;
	w.dirs[0].ino = st.st_ino;
	w.ndirs = 1;
	rc = walk_dir(&w, fd, strcmp(r, "/") == 0 ? "" : r, "", 0, cause);
	free(w.dirs);
	free(w.real);
	free(r);
	return rc;
}

static int walk_by_name(const void *a, const void *b)
{
	const struct check_trace *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static const struct check_suite *walk_sorting;

static int walk_by_file(const void *a, const void *b)
{
	const struct check_trace *x = &walk_sorting->t[*(const unsigned *)a];
	const struct check_trace *y = &walk_sorting->t[*(const unsigned *)b];

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return strcmp(x->name, y->name);
}

void check_suite_finish(struct check_suite *s)
{
	unsigned *idx, k = 0;
	unsigned char *dup;

	if (s->n == 0)
		return;
	/* the same file under two names (links, overlapping roots) runs once, under its first name */
	idx = xcalloc(s->n, sizeof *idx);
	dup = xcalloc(s->n, 1);
	for (unsigned i = 0; i < s->n; i++)
		idx[i] = i;
	walk_sorting = s;
	qsort(idx, s->n, sizeof *idx, walk_by_file);
	for (unsigned i = 1; i < s->n; i++) {
		const struct check_trace *x = &s->t[idx[i - 1]], *y = &s->t[idx[i]];

		if (x->dev == y->dev && x->ino == y->ino)
			dup[idx[i]] = 1;
	}
	for (unsigned i = 0; i < s->n; i++) {
		if (dup[i])
			walk_trace_free(&s->t[i]);
		else
			s->t[k++] = s->t[i];
	}
	s->n = k;
	free(idx);
	free(dup);
	qsort(s->t, s->n, sizeof *s->t, walk_by_name);
}

/* FNV-1a, 64 bits: fixed, so a shard holds the same traces on every machine. */
uint64_t check_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

void check_suite_shard(struct check_suite *s, unsigned i, unsigned n)
{
	unsigned k = 0;

	for (unsigned j = 0; j < s->n; j++) {
		if (check_hash(s->t[j].rel) % n == i - 1)
			s->t[k++] = s->t[j];
		else
			walk_trace_free(&s->t[j]);
	}
	s->n = k;
}
