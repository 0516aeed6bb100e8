/* expect.c -- TRACE.expect: read it safely, parse it, and allow only harmless replay options */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vr/check.h"
#include "vr/xmalloc.h"

/*
 * Format, one directive a line:
 *     # comment
 *     exit N              expected exit status of `virtio-replay replay TRACE` (default 0)
 *     stdout REGEX        some line of standard output matches (POSIX extended regex)
 *     stderr REGEX        some line of standard error matches
 *     args ARG...         replay options from check_args[] (whitespace-separated)
 */

#define EXPECT_MAX_PATTERNS	64
#define EXPECT_MAX_ARGS		64
#define EXPECT_NAME_MAX		64	/* an output's file name */
#define EXPECT_MAX_REGEX	512

static const struct check_arg {
	const char *name;
	enum check_arg_kind kind;
} check_args[] = {
	{ "--layout", CHECK_ARG_VALUE },
	{ "--lenient", CHECK_ARG_FLAG },
	{ "--from", CHECK_ARG_VALUE },
	{ "--to", CHECK_ARG_VALUE },
	{ "--quiet", CHECK_ARG_FLAG },
	{ "--log-bytes", CHECK_ARG_VALUE },
	{ "--log", CHECK_ARG_OUTPUT },
	{ "--db", CHECK_ARG_OUTPUT },
	{ "--pcap", CHECK_ARG_OUTPUT },
};
#define NARGS	(sizeof check_args / sizeof check_args[0])

const char *check_expect_allowed(void)
{
	return "--layout, --lenient, --from, --to, --quiet, --log-bytes, and --log/--db/--pcap NAME "
	    "(a file name, kept in the trace's artifacts directory)";
}

void check_expect_free(struct check_expect *e)
{
	for (unsigned i = 0; i < e->npat; i++) {
		regfree(&e->pat[i].re);
		free(e->pat[i].text);
	}
	free(e->pat);
	for (unsigned i = 0; i < e->nargs; i++)
		free(e->args[i]);
	free(e->args);
	free(e->kind);
	memset(e, 0, sizeof *e);
}

int check_expect_has_output(const struct check_expect *e, const char *opt)
{
	for (unsigned i = 0; i < NARGS; i++)
		if (strcmp(check_args[i].name, opt) == 0)
			return (e->outputs >> i) & 1;
	return 0;
}

/* A quoted, escaped and shortened copy of untrusted text for a message. */
static char *expect_quote(const char *s)
{
	char *esc = check_name_escape(s), *r;

	if (strlen(esc) > 40)
		strcpy(esc + 37, "...");
	xasprintf(&r, "'%s'", esc);
	free(esc);
	return r;
}

static int expect_err(char **cause, const char *name, unsigned lineno, const char *what, const char *arg)
{
	char *q = arg != NULL ? expect_quote(arg) : NULL;

	xasprintf(cause, "%s: line %u: %s%s%s", name, lineno, what, q ? " " : "", q ? q : "");
	free(q);
	return -1;
}

static int expect_exit(struct check_expect *e, char *rest, const char *name, unsigned lineno, char **cause)
{
	char *end;
	unsigned long v;
	int hex = rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X');
	const char *digits = rest + (hex ? 2 : 0);

	/* decimal or 0x hex, as on the command line: a leading zero does not mean octal */
	errno = 0;
	v = strtoul(digits, &end, hex ? 16 : 10);
	if (strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789") == 0 || errno != 0 || *end != '\0' ||
	    v > 255)
		return expect_err(cause, name, lineno, "exit wants a status 0-255, not", rest);
	e->exit_status = (int)v;
	return 0;
}

/*
 * Patterns are matched in check's own process, outside any per-trace timeout, so
 * refuse the constructs that make glibc's matcher slow or big: back-references
 * (exponential matching) and repetition counts, which are compiled by copying
 * (nested ones multiply, so their product is bounded). Conservative: a '{' or a
 * "\1" inside brackets counts too.
 */
static int expect_regex_costly(const char *re)
{
	unsigned long product = 1;

	if (strlen(re) > EXPECT_MAX_REGEX)
		return 1;
	for (const char *p = re; *p != '\0'; p++) {
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9')
			return 1;
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '{') {
			/* {n}, {n,}, {n,m}: the larger bound multiplies */
			const char *q = p + 1;
			unsigned long most = 0;

			for (int part = 0; part < 2; part++) {
				size_t nd = strspn(q, "0123456789");
				unsigned long v;

				if (nd > 3)
					return 1;
				v = nd > 0 ? strtoul(q, NULL, 10) : 0;
				most = v > most ? v : most;
				q += nd;
				if (part > 0 || *q != ',')
					break;
				q++;
			}
			if (most > 1 && (product *= most) > 10000)
				return 1;
		}
	}
	return 0;
}

static int expect_pattern(struct check_expect *e, int stream, char *rest, const char *name, unsigned lineno,
    char **cause)
{
	struct check_pattern *p;
	int rc;

	if (e->npat >= EXPECT_MAX_PATTERNS)
		return expect_err(cause, name, lineno, "more than 64 patterns", NULL);
	if (expect_regex_costly(rest))
		return expect_err(cause, name, lineno,
		    "regular expression too costly (back-references, counts over 100, or longer than 512 bytes):", rest);
	e->pat = xreallocarray(e->pat, e->npat + 1, sizeof *e->pat);
	p = &e->pat[e->npat];
	p->stream = stream;
	if ((rc = regcomp(&p->re, rest, REG_EXTENDED | REG_NOSUB)) != 0) {
		char msg[128], *what;

		regerror(rc, &p->re, msg, sizeof msg);
		xasprintf(&what, "bad regular expression (%s):", msg);
		expect_err(cause, name, lineno, what, rest);
		free(what);
		return -1;
	}
	p->text = xstrdup(rest);
	e->npat++;
	return 0;
}

static int expect_stdout(struct check_expect *e, char *rest, const char *name, unsigned lineno, char **cause)
{
	return expect_pattern(e, 1, rest, name, lineno, cause);
}

static int expect_stderr(struct check_expect *e, char *rest, const char *name, unsigned lineno, char **cause)
{
	return expect_pattern(e, 2, rest, name, lineno, cause);
}

/* An output names a plain file: no directory part, no leading dot or dash, a short safe alphabet. */
static int expect_file_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > EXPECT_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void expect_push(struct check_expect *e, const char *a, enum check_arg_kind kind)
{
	e->args = xreallocarray(e->args, e->nargs + 1, sizeof *e->args);
	e->kind = xreallocarray(e->kind, e->nargs + 1, sizeof *e->kind);
	e->args[e->nargs] = xstrdup(a);
	e->kind[e->nargs++] = kind;
}

static int expect_args(struct check_expect *e, char *rest, const char *name, unsigned lineno, char **cause)
{
	char *save = NULL;

	for (char *a = strtok_r(rest, " \t", &save); a != NULL; a = strtok_r(NULL, " \t", &save)) {
		char *val = NULL, *eq = strchr(a, '=');
		unsigned k;

		if (strncmp(a, "--", 2) == 0 && eq != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
		for (k = 0; k < NARGS; k++)
			if (strcmp(a, check_args[k].name) == 0)
				break;
		if (k == NARGS) {
			char *what;

			if (eq != NULL)
				*eq = '=';
			xasprintf(&what, "args: replay option not allowed in an .expect (allowed: %s):",
			    check_expect_allowed());
			expect_err(cause, name, lineno, what, a);
			free(what);
			return -1;
		}
		if (check_args[k].kind == CHECK_ARG_FLAG) {
			if (val != NULL)
				return expect_err(cause, name, lineno, "args: option takes no value:", a);
		} else if (val == NULL && (val = strtok_r(NULL, " \t", &save)) == NULL) {
			return expect_err(cause, name, lineno, "args: option wants a value:", a);
		}
		/* replay would take "--from --db x" as --from="--db": keep every option where it seems to be */
		if (val != NULL && val[0] == '-')
			return expect_err(cause, name, lineno, "args: a value cannot start with '-':", val);
		if (check_args[k].kind == CHECK_ARG_OUTPUT) {
			if (!expect_file_name_ok(val))
				return expect_err(cause, name, lineno,
				    "args: an output is a plain file name (letters, digits, '.', '_', '-'; "
				    "it goes to the trace's artifacts directory), not", val);
			if ((e->outputs >> k) & 1)
				return expect_err(cause, name, lineno, "args: output given twice:", a);
			e->outputs |= 1u << k;
		}
		if (e->nargs + 2 > EXPECT_MAX_ARGS)
			return expect_err(cause, name, lineno, "args: more than 64 arguments", NULL);
		expect_push(e, a, check_args[k].kind);
		if (val != NULL)
			expect_push(e, val, check_args[k].kind);
	}
	return 0;
}

static const struct expect_key {
	const char *key;
	int (*fn)(struct check_expect *, char *, const char *, unsigned, char **);
} expect_keys[] = {
	{ "exit", expect_exit },
	{ "stdout", expect_stdout },
	{ "stderr", expect_stderr },
	{ "args", expect_args },
};

int check_expect_parse(const char *name, const char *text, size_t len, struct check_expect *e, char **cause)
{
	char line[CHECK_LINE_MAX + 1];
	unsigned lineno = 0;
	size_t pos = 0;

	memset(e, 0, sizeof *e);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		char *key, *rest;
		unsigned k;

		lineno++;
		if (n > CHECK_LINE_MAX) {
			xasprintf(cause, "%s: line %u: longer than %d bytes", name, lineno, CHECK_LINE_MAX);
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (memchr(line, '\0', n) != NULL) {
			xasprintf(cause, "%s: line %u: holds a NUL byte", name, lineno);
			goto fail;
		}
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		key = line + strspn(line, " \t");
		if (*key == '#' || *key == '\0')
			continue;
		rest = key + strcspn(key, " \t");
		if (*rest != '\0')
			*rest++ = '\0';
		rest += strspn(rest, " \t");
		for (k = 0; k < sizeof expect_keys / sizeof expect_keys[0]; k++)
			if (strcmp(key, expect_keys[k].key) == 0)
				break;
		if (k == sizeof expect_keys / sizeof expect_keys[0]) {
			expect_err(cause, name, lineno, "unknown key (exit, stdout, stderr, args):", key);
			goto fail;
		}
		if (expect_keys[k].fn(e, rest, name, lineno, cause) != 0)
			goto fail;
	}
	return 0;
fail:
	check_expect_free(e);
	return -1;
}

/* TRACE.vrt -> TRACE.expect; a trace named without the extension gets it appended. */
static char *expect_path(const char *trace)
{
	size_t n = strlen(trace);
	char *p = xmalloc(n + 8);

	if (n > 4 && (strcmp(trace + n - 4, ".vrt") == 0 || strcmp(trace + n - 4, ".vrb") == 0))
		n -= 4;
	memcpy(p, trace, n);
	strcpy(p + n, ".expect");
	return p;
}

/* Read at most CHECK_EXPECT_MAX bytes of a regular file that is not a symlink, never blocking
 * on a FIFO or device. Missing: *len = 0, 0. */
static int expect_read(const char *path, char **text, size_t *len, char **cause)
{
	struct stat st;
	size_t got = 0;
	int fd;

	*text = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return xasprintf(cause, "%s: is a symbolic link (an .expect must be a regular file)", path), -1;
		return xasprintf(cause, "%s: %s", path, strerror(errno)), -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return xasprintf(cause, "%s: not a regular file", path), -1;
	}
	if (st.st_size > CHECK_EXPECT_MAX) {
		close(fd);
		return xasprintf(cause, "%s: larger than %d bytes", path, CHECK_EXPECT_MAX), -1;
	}
	*text = xmalloc(CHECK_EXPECT_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, *text + got, CHECK_EXPECT_MAX + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > CHECK_EXPECT_MAX) {	/* grew while we read */
			xasprintf(cause, "%s: larger than %d bytes", path, CHECK_EXPECT_MAX);
			goto fail;
		}
	}
	close(fd);
	*len = got;
	return 0;
fail:
	close(fd);
	free(*text);
	*text = NULL;
	return -1;
}

int check_expect_load(const char *trace, struct check_expect *e, char **cause)
{
	char *path = expect_path(trace), *text;
	size_t len;
	int rc;

	memset(e, 0, sizeof *e);
	if ((rc = expect_read(path, &text, &len, cause)) == 0)
		rc = check_expect_parse(path, text ? text : "", len, e, cause);
	free(text);
	free(path);
	return rc;
}
