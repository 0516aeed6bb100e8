/* cmd.c -- the table of commands and the helpers every command shares */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/xmalloc.h"
#include "vr/trace.h"

extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_dump_entry;
extern const struct cmd_entry cmd_convert_entry;
extern const struct cmd_entry cmd_replay_entry;
extern const struct cmd_entry cmd_record_entry;
extern const struct cmd_entry cmd_crosscheck_entry;
extern const struct cmd_entry cmd_sweep_entry;
extern const struct cmd_entry cmd_cut_entry;
extern const struct cmd_entry cmd_runs_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_browse_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_minimize_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_completion_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_replay_entry,
	&cmd_record_entry,
	&cmd_crosscheck_entry,
	&cmd_sweep_entry,
	&cmd_info_entry,
	&cmd_dump_entry,
	&cmd_convert_entry,
	&cmd_cut_entry,
	&cmd_runs_entry,
	&cmd_check_entry,
	&cmd_browse_entry,
	&cmd_minimize_entry,
	&cmd_diff_entry,
	&cmd_import_entry,
	&cmd_export_entry,
	&cmd_completion_entry,
	NULL,
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			return *e;
	return NULL;
}

/* Edit distance with adjacent transpositions (optimal string alignment), capped: names are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[24][24];

	if (la > 22 || lb > 22)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const struct cmd_entry *cmd_suggest(const char *name)
{
	const struct cmd_entry *best = NULL;
	size_t best_d = 3;	/* two edits at most */

	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++) {
		size_t d = edit_distance(name, (*e)->name);

		/* A unique-looking prefix ("rep" for replay) counts as close too. */
		if (strlen(name) >= 3 && strncmp(name, (*e)->name, strlen(name)) == 0)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = *e;
		}
	}
	return best;
}

int cmd_unknown(const char *name)
{
	const struct cmd_entry *s = cmd_suggest(name);

	if (s != NULL)
		return cmd_fail(EXIT_BADINPUT, "unknown command '%s' (did you mean '%s'? try virtio-replay --help)", name,
		    s->name);
	return cmd_fail(EXIT_BADINPUT, "unknown command '%s' (try virtio-replay --help)", name);
}

/* The long names of e's options, for error messages and completion; abort on a name the table lacks. */
static const struct cmd_option *option_named(const struct cmd_entry *e, const char *name, size_t len)
{
	for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct cmd_option *option_short(const struct cmd_entry *e, char c)
{
	for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++)
		if (o->short_name != 0 && o->short_name == c)
			return o;
	return NULL;
}

/* A command asking for an option its table does not declare is a bug in the command, not bad usage. */
static const struct cmd_option *option_declared(const struct cmd_args *a, const char *name)
{
	const struct cmd_option *o = option_named(a->entry, name, strlen(name));

	if (o == NULL) {
		fprintf(stderr, "virtio-replay %s: internal error: option --%s is not declared\n", a->entry->name, name);
		abort();
	}
	return o;
}

static int args_add(struct cmd_args *a, const struct cmd_option *o, const char *value, char **cause)
{
	struct cmd_arg_set *s = &a->set[a->nset];

	s->opt = o;
	s->value = value;
	s->num = 0;
	if (o->type == CMD_ARG_U64 && cmd_parse_u64(value, &s->num) < 0)
		return cause_set(cause, "bad --%s '%s'", o->name, value);
	if (o->type == CMD_ARG_SIZE && cmd_parse_size(value, &s->num) < 0)
		return cause_set(cause, "bad --%s '%s'", o->name, value);
	a->nset++;
	return 0;
}

static int args_missing(const struct cmd_option *o, char **cause)
{
	if (o->what != NULL)
		return cause_set(cause, "--%s needs %s", o->name, o->what);
	return cause_set(cause, "--%s needs an argument %s", o->name, o->arg);
}

/* "unknown option '--jsno' (did you mean '--json'?)": the closest long name, two edits at most. */
static int args_unknown(const struct cmd_entry *e, const char *arg, size_t len, char **cause)
{
	const struct cmd_option *best = NULL;
	size_t best_d = 3;
	char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), arg);
	if (name[0] == '-' && name[1] == '-')
		for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++) {
			size_t d = edit_distance(name + 2, o->name);

			if (d < best_d) {
				best_d = d;
				best = o;
			}
		}
	if (best != NULL)
		return cause_set(cause, "unknown option '%s' (did you mean '--%s'?)", name, best->name);
	return cause_set(cause, "unknown option '%s'", name);
}

static int args_long(struct cmd_args *a, int argc, char **argv, int *i, char **cause)
{
	const char *arg = argv[*i], *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	const struct cmd_option *o = option_named(a->entry, name, len);

	if (o == NULL)
		return args_unknown(a->entry, arg, len + 2, cause);
	if (o->arg == NULL) {
		if (eq != NULL)
			return cause_set(cause, "--%s takes no argument", o->name);
		return args_add(a, o, NULL, cause);
	}
	if (eq != NULL)
		return args_add(a, o, eq + 1, cause);
	if (*i + 1 >= argc)
		return args_missing(o, cause);
	return args_add(a, o, argv[++*i], cause);
}

static int args_short(struct cmd_args *a, int argc, char **argv, int *i, char **cause)
{
	for (const char *p = argv[*i] + 1; *p != '\0'; p++) {
		const struct cmd_option *o = option_short(a->entry, *p);
		char flag[3] = { '-', *p, '\0' };

		if (o == NULL)
			return args_unknown(a->entry, flag, 2, cause);
		if (o->arg == NULL) {
			if (args_add(a, o, NULL, cause) < 0)
				return -1;
			continue;
		}
		if (p[1] != '\0')
			return args_add(a, o, p + 1, cause);
		if (*i + 1 >= argc)
			return args_missing(o, cause);
		return args_add(a, o, argv[++*i], cause);
	}
	return 0;
}

struct cmd_args *cmd_args_parse(const struct cmd_entry *e, int argc, char **argv, char **cause)
{
	struct cmd_args *a = xcalloc(1, sizeof(*a));
	bool only_args = false;
	int rc;

	a->entry = e;
	a->argv = xcalloc((size_t)argc + 1, sizeof(*a->argv));
	a->set = xcalloc((size_t)argc + 1, sizeof(*a->set));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (only_args || arg[0] != '-' || arg[1] == '\0') {
			a->argv[a->argc++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_args = true;
			continue;
		}
		rc = arg[1] == '-' ? args_long(a, argc, argv, &i, cause) : args_short(a, argc, argv, &i, cause);
		if (rc < 0) {
			cmd_args_free(a);
			return NULL;
		}
	}
	return a;
}

void cmd_args_free(struct cmd_args *a)
{
	if (a == NULL)
		return;
	free(a->argv);
	free(a->set);
	free(a);
}

unsigned cmd_args_count(const struct cmd_args *a, const char *name)
{
	const struct cmd_option *o = option_declared(a, name);
	unsigned n = 0;

	for (size_t i = 0; i < a->nset; i++)
		n += a->set[i].opt == o;
	return n;
}

static const struct cmd_arg_set *args_last(const struct cmd_args *a, const char *name)
{
	const struct cmd_option *o = option_declared(a, name);

	for (size_t i = a->nset; i-- > 0;)
		if (a->set[i].opt == o)
			return &a->set[i];
	return NULL;
}

const char *cmd_args_get(const struct cmd_args *a, const char *name)
{
	const struct cmd_arg_set *s = args_last(a, name);

	return s != NULL ? s->value : NULL;
}

unsigned long long cmd_args_u64(const struct cmd_args *a, const char *name, unsigned long long dflt)
{
	const struct cmd_arg_set *s = args_last(a, name);

	return s != NULL ? s->num : dflt;
}

const char *cmd_args_next(const struct cmd_args *a, const char *name, size_t *it)
{
	const struct cmd_option *o = option_declared(a, name);

	while (*it < a->nset)
		if (a->set[(*it)++].opt == o)
			return a->set[*it - 1].value;
	return NULL;
}

/* Append word to the usage line, wrapping before column 100 under the first argument. */
static void usage_word(FILE *f, const char *word, size_t *col, size_t indent)
{
	size_t n = strlen(word);

	if (*col + 1 + n > 100 && *col > indent) {
		fprintf(f, "\n%*s", (int)indent, "");
		*col = indent;
	} else if (*col > indent || *col == indent) {
		fputc(' ', f);
		(*col)++;
	}
	fputs(word, f);
	*col += n;
}

void cmd_usage_text(const struct cmd_entry *e, FILE *f)
{
	size_t indent = strlen("usage: virtio-replay ") + strlen(e->name), col;
	char word[128];

	fprintf(f, "virtio-replay %s", e->name);
	col = indent;
	if (e->args != NULL && e->args[0] != '\0')
		usage_word(f, e->args, &col, indent);
	for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++) {
		const bool req = (o->flags & CMD_OPT_REQUIRED) != 0;
		char flag[80];

		if (o->short_name != 0)
			snprintf(flag, sizeof(flag), "-%c", o->short_name);
		else
			snprintf(flag, sizeof(flag), "--%s", o->name);
		snprintf(word, sizeof(word), "%s%s%s%s%s%s", req ? "" : "[", flag, o->arg ? " " : "", o->arg ? o->arg : "",
		    req ? "" : "]", o->flags & CMD_OPT_REPEAT ? "..." : "");
		usage_word(f, word, &col, indent);
	}
	if (e->usage_also != NULL)
		fprintf(f, "\n       virtio-replay %s %s", e->name, e->usage_also);
}

/* "-o, --output FILE" or "--from N" */
static void option_label(const struct cmd_option *o, char *out, size_t n)
{
	char s[8] = "";

	if (o->short_name != 0)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	snprintf(out, n, "%s--%s%s%s", s, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

void cmd_print_help(const struct cmd_entry *e, FILE *f)
{
	size_t width = 0;
	char label[96];

	fputs("usage: ", f);
	cmd_usage_text(e, f);
	fprintf(f, "\n\n%s\n", e->summary);
	for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++) {
		option_label(o, label, sizeof(label));
		if (strlen(label) > width && strlen(label) <= 20)
			width = strlen(label);
	}
	if (e->options != NULL && e->options[0].name != NULL)
		fputs("\nOptions:\n", f);
	for (const struct cmd_option *o = e->options; o != NULL && o->name != NULL; o++) {
		const char *h = o->help != NULL ? o->help : "", *nl;

		option_label(o, label, sizeof(label));
		if (strlen(label) > width)
			fprintf(f, "  %s\n%*s", label, (int)width + 4, "");
		else
			fprintf(f, "  %-*s  ", (int)width, label);
		/* Continuation lines of the description line up under its first. */
		while ((nl = strchr(h, '\n')) != NULL && nl[1] != '\0') {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, (int)width + 4, "");
			h = nl + 1;
		}
		fprintf(f, "%s%s", h, h[0] != '\0' && h[strlen(h) - 1] == '\n' ? "" : "\n");
	}
	if (e->help != NULL && e->help[0] != '\0')
		fprintf(f, "\n%s", e->help);
	fprintf(f, "\nExit status: 0 success/matched, 1 diverged, 2 bad input or usage, 3 internal error.\n");
}

int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "virtio-replay %s: ", e->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: ", stderr);
	cmd_usage_text(e, stderr);
	fputc('\n', stderr);
	return EXIT_BADINPUT;
}

int cmd_trace_fmt(const struct cmd_entry *e, const char *to)
{
	if (strcmp(to, "text") == 0)
		return TRACE_FMT_TEXT;
	if (strcmp(to, "binary") == 0)
		return TRACE_FMT_BINARY;
	(void)cmd_usage_error(e, "--to must be text or binary, not '%s'", to);
	return -1;
}

int cmd_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "virtio-replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cmd_fail_cause(int status, char *cause)
{
	fprintf(stderr, "virtio-replay: %s\n", cause ? cause : "unknown error");
	free(cause);
	return status;
}

int cmd_wants_help(const struct cmd_entry *e, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cmd_print_help(e, stdout);
			return 1;
		}
	}
	return 0;
}

int cmd_parse_u64(const char *s, unsigned long long *out)
{
	const char *digits;
	char *end;
	int base = 10;

	if (s == NULL)
		return -1;
	/* Decimal or 0x hex only: a leading zero does not mean octal ("--from 010" is ten). */
	digits = s;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	if (*digits == '\0')
		return -1;
	for (const char *p = digits; *p != '\0'; p++)
		if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
			return -1;
	errno = 0;
	*out = strtoull(digits, &end, base);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

void cmd_json_string(FILE *f, const char *s)
{
	struct buf b;

	buf_init(&b);
	buf_add_json_string(&b, s);
	fwrite(b.data, 1, b.len, f);
	buf_release(&b);
}

int cmd_output_done(const char *tmp, const char *out, int rc, char **cause)
{
	if (tmp == NULL)
		return rc;
	if (rc == 0 && rename(tmp, out) != 0) {
		rc = -1;
		xasprintf(cause, "%s: cannot rename from %s: %s", out, tmp, strerror(errno));
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int cmd_parse_size(const char *s, unsigned long long *out)
{
	static const char suffixes[] = "KMGT";
	const char *suf;
	char num[32];
	size_t n;
	unsigned shift = 0;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	if ((suf = strchr(suffixes, toupper((unsigned char)num[n - 1]))) != NULL) {
		shift = 10 * (unsigned)(suf - suffixes + 1);
		num[n - 1] = '\0';
	}
	if (cmd_parse_u64(num, out) < 0 || *out > (ULLONG_MAX >> shift))
		return -1;
	*out <<= shift;
	return 0;
}

int cmd_split_run(const char *arg, char **path, int64_t *run, char **cause)
{
	const char *colon = strrchr(arg, ':');
	unsigned long long n = 0;
	struct stat sb;

	*run = 0;
	if (colon == NULL || colon[1] == '\0' || stat(arg, &sb) == 0) {
		*path = xstrdup(arg);
		return 0;
	}
	if (cmd_parse_u64(colon + 1, &n) < 0 || n == 0 || n > INT64_MAX)
		return cause_set(cause, "%s: bad run number '%s'", arg, colon + 1);
	*path = xstrndup(arg, (size_t)(colon - arg));
	*run = (int64_t)n;
	return 0;
}
