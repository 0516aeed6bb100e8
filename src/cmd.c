/* cmd.c -- the table of commands and the helpers every command shares */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/xmalloc.h"

extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_dump_entry;
extern const struct cmd_entry cmd_convert_entry;
extern const struct cmd_entry cmd_replay_entry;
extern const struct cmd_entry cmd_record_entry;
extern const struct cmd_entry cmd_crosscheck_entry;
extern const struct cmd_entry cmd_cut_entry;
extern const struct cmd_entry cmd_runs_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_browse_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_minimize_entry;
extern const struct cmd_entry cmd_diff_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_replay_entry,
	&cmd_record_entry,
	&cmd_crosscheck_entry,
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

void cmd_print_help(const struct cmd_entry *e, FILE *f)
{
	fprintf(f, "usage: virtio-replay %s %s\n\n%s\n", e->name, e->usage, e->summary);
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
	fprintf(stderr, "\nusage: virtio-replay %s %s\n", e->name, e->usage);
	return EXIT_BADINPUT;
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
