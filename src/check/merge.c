/* merge.c -- combine the reports of `check --shard` runs into the report one whole run would write */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vr/check.h"
#include "vr/xmalloc.h"

/*
 * Reads only reports check wrote (see the layout rules in report.c): each
 * record is cut out whole, keyed by the trace's display name, and the records
 * of all inputs are written again in name order, which is the order of a whole
 * run, with counts and TAP numbers recomputed.
 */

enum merge_kind { MERGE_NONE, MERGE_TAP, MERGE_JUNIT, MERGE_JSON };

struct merge_rec {
	char *key;
	int failed;
	struct buf text;	/* TAP: the lines after the test line; JUnit, JSON: the record */
};

struct merge {
	enum merge_kind kind;
	struct merge_rec *rec;
	unsigned n;
};

static struct merge_rec *merge_new_rec(struct merge *m, char *key, int failed)
{
	struct merge_rec *r;

	m->rec = xreallocarray(m->rec, m->n + 1, sizeof *m->rec);
	r = &m->rec[m->n++];
	r->key = key;
	r->failed = failed;
	buf_init(&r->text);
	return r;
}

/* Decode the XML entities check_xml_escape writes. */
static char *merge_xml_unescape(const char *s, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
		{ "&#10;", '\n' }, { "&#9;", '\t' }, { "&#13;", '\r' },
	};
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n;) {
		size_t k;

		for (k = 0; k < sizeof ents / sizeof ents[0]; k++)
			if (strncmp(s + i, ents[k].ent, strlen(ents[k].ent)) == 0 && strlen(ents[k].ent) <= n - i)
				break;
		if (k < sizeof ents / sizeof ents[0]) {
			buf_add_u8(&b, (uint8_t)ents[k].c);
			i += strlen(ents[k].ent);
		} else {
			buf_add_u8(&b, (uint8_t)s[i++]);
		}
	}
	buf_add_u8(&b, '\0');
	return (char *)b.data;
}

/* Decode the JSON string literal at s ('"' first); *end is set after its closing quote. NULL if bad. */
static char *merge_json_string(const char *s, const char **end)
{
	struct buf b;

	if (*s++ != '"')
		return NULL;
	buf_init(&b);
	while (*s != '"') {
		if (*s == '\0' || *s == '\n')
			goto bad;
		if (*s != '\\') {
			buf_add_u8(&b, (uint8_t)*s++);
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/': buf_add_u8(&b, (uint8_t)*s); break;
		case 'n': buf_add_u8(&b, '\n'); break;
		case 't': buf_add_u8(&b, '\t'); break;
		case 'r': buf_add_u8(&b, '\r'); break;
		case 'b': buf_add_u8(&b, '\b'); break;
		case 'f': buf_add_u8(&b, '\f'); break;
		case 'u': {
			unsigned v = 0;

			for (int i = 1; i <= 4; i++) {
				char c = s[i];
				unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ?
				    (unsigned)(c - 'a' + 10) : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
				if (d == 16)
					goto bad;
				v = v * 16 + d;
			}
			if (v < 0x80) {
				buf_add_u8(&b, (uint8_t)v);
			} else if (v < 0x800) {
				buf_add_u8(&b, (uint8_t)(0xc0 | v >> 6));
				buf_add_u8(&b, (uint8_t)(0x80 | (v & 0x3f)));
			} else {
				buf_add_u8(&b, (uint8_t)(0xe0 | v >> 12));
				buf_add_u8(&b, (uint8_t)(0x80 | ((v >> 6) & 0x3f)));
				buf_add_u8(&b, (uint8_t)(0x80 | (v & 0x3f)));
			}
			s += 4;
			break;
		}
		default:
			goto bad;
		}
		s++;
	}
	*end = s + 1;
	buf_add_u8(&b, '\0');
	return (char *)b.data;
bad:
	buf_release(&b);
	return NULL;
}

static int merge_tap_line(struct merge *m, struct merge_rec **cur, char *line, const char *path, unsigned lineno,
    char **cause)
{
	const char *p = line;
	int failed = 0;
	char *dash;

	if (strncmp(p, "not ok ", 7) == 0) {
		failed = 1;
		p += 7;
	} else if (strncmp(p, "ok ", 3) == 0) {
		p += 3;
	} else {
		if (*cur == NULL) {
			if (lineno == 1 ? strcmp(line, "TAP version 13\n") == 0 : strncmp(line, "1..", 3) == 0)
				return 0;
			return xasprintf(cause, "%s: line %u: not a TAP report written by check", path, lineno), -1;
		}
		buf_add(&(*cur)->text, line, strlen(line));
		return 0;
	}
	if (strspn(p, "0123456789") == 0 || (dash = strstr(p, " - ")) == NULL || dash != p + strspn(p, "0123456789"))
		return xasprintf(cause, "%s: line %u: test line without ' - NAME'", path, lineno), -1;
	*cur = merge_new_rec(m, xstrndup(dash + 3, strcspn(dash + 3, "\n")), failed);
	return 0;
}

static int merge_junit_line(struct merge *m, struct merge_rec **cur, char *line, const char *path, unsigned lineno,
    char **cause)
{
	if (*cur == NULL) {
		const char *name, *q;
		size_t n = strlen(line);

		if (strncmp(line, "    <testcase ", 14) != 0) {
			if (strncmp(line, "<?xml", 5) == 0 || strncmp(line, "<testsuites", 11) == 0 ||
			    strncmp(line, "  <testsuite", 12) == 0 || strncmp(line, "  </testsuite>", 14) == 0 ||
			    strncmp(line, "</testsuites>", 13) == 0)
				return 0;
			return xasprintf(cause, "%s: line %u: not a JUnit report written by check", path, lineno), -1;
		}
		if ((name = strstr(line, " name=\"")) == NULL || (q = strchr(name + 7, '"')) == NULL)
			return xasprintf(cause, "%s: line %u: testcase without a name", path, lineno), -1;
		*cur = merge_new_rec(m, merge_xml_unescape(name + 7, (size_t)(q - (name + 7))), 0);
		buf_add(&(*cur)->text, line, n);
		if (n >= 3 && strcmp(line + n - 3, "/>\n") == 0)
			*cur = NULL;
		return 0;
	}
	buf_add(&(*cur)->text, line, strlen(line));
	if (strncmp(line, "      <failure", 14) == 0)
		(*cur)->failed = 1;
	if (strcmp(line, "    </testcase>\n") == 0)
		*cur = NULL;
	return 0;
}

static int merge_json_line(struct merge *m, struct merge_rec **cur, char *line, const char *path, unsigned lineno,
    char **cause)
{
	const char *end;
	char *key;
	size_t n = strlen(line);

	(void)cur;
	if (lineno == 1 && strncmp(line, "{\"tool\":\"virtio-replay check\"", 29) == 0)
		return 0;
	if (strcmp(line, "]}\n") == 0)
		return 0;
	if (strncmp(line, "{\"name\":", 8) != 0 || (key = merge_json_string(line + 8, &end)) == NULL)
		return xasprintf(cause, "%s: line %u: not a JSON report written by check", path, lineno), -1;
	/* one result a line; the newline and the separating comma are written again on output */
	n--;
	if (n > 0 && line[n - 1] == ',')
		n--;
	merge_new_rec(m, key, strncmp(end, ",\"ok\":false", 11) == 0);
	buf_add(&m->rec[m->n - 1].text, line, n);
	return 0;
}

static enum merge_kind merge_detect(const char *line)
{
	if (strcmp(line, "TAP version 13\n") == 0)
		return MERGE_TAP;
	if (strncmp(line, "<?xml", 5) == 0)
		return MERGE_JUNIT;
	if (strncmp(line, "{\"tool\":\"virtio-replay check\"", 29) == 0)
		return MERGE_JSON;
	return MERGE_NONE;
}

static int merge_read(struct merge *m, const char *path, char **cause)
{
	static int (*const parsers[])(struct merge *, struct merge_rec **, char *, const char *, unsigned, char **) = {
		[MERGE_TAP] = merge_tap_line, [MERGE_JUNIT] = merge_junit_line, [MERGE_JSON] = merge_json_line,
	};
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	struct merge_rec *cur = NULL;
	int rc = 0;

	if (f == NULL)
		return xasprintf(cause, "%s: %s", path, strerror(errno)), -1;
	while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL || line[len - 1] != '\n') {
			rc = (xasprintf(cause, "%s: line %u: not a report written by check", path, lineno), -1);
			break;
		}
		if (lineno == 1) {
			enum merge_kind k = merge_detect(line);

			if (k == MERGE_NONE)
				rc = (xasprintf(cause, "%s: not a TAP, JUnit or JSON report written by check", path), -1);
			else if (m->kind != MERGE_NONE && k != m->kind)
				rc = (xasprintf(cause, "%s: a different kind of report than the first one", path), -1);
			else
				m->kind = k;
			if (rc != 0)
				break;
		}
		rc = parsers[m->kind](m, &cur, line, path, lineno, cause);
	}
	if (rc == 0 && lineno == 0)
		rc = (xasprintf(cause, "%s: empty", path), -1);
	free(line);
	fclose(f);
	return rc;
}

static int merge_cmp(const void *a, const void *b)
{
	return strcmp(((const struct merge_rec *)a)->key, ((const struct merge_rec *)b)->key);
}

/* A record with no text has no storage either: fwrite must not see its NULL pointer. */
static void put_text(FILE *f, const struct buf *b)
{
	if (b->len > 0)
		fwrite(b->data, 1, b->len, f);
}

static void merge_write(FILE *f, const struct merge *m, unsigned failed)
{
	switch (m->kind) {
	case MERGE_TAP:
		fprintf(f, "TAP version 13\n1..%u\n", m->n);
		for (unsigned i = 0; i < m->n; i++) {
			fprintf(f, "%s %u - %s\n", m->rec[i].failed ? "not ok" : "ok", i + 1, m->rec[i].key);
			put_text(f, &m->rec[i].text);
		}
		break;
	case MERGE_JUNIT:
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
		fprintf(f, "<testsuites name=\"virtio-replay check\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n",
		    m->n, failed);
		fprintf(f, "  <testsuite name=\"virtio-replay check\" tests=\"%u\" failures=\"%u\" errors=\"0\" "
		    "skipped=\"0\">\n", m->n, failed);
		for (unsigned i = 0; i < m->n; i++)
			put_text(f, &m->rec[i].text);
		fprintf(f, "  </testsuite>\n</testsuites>\n");
		break;
	case MERGE_JSON:
		fprintf(f, "{\"tool\":\"virtio-replay check\",\"tests\":%u,\"passed\":%u,\"failed\":%u,\"results\":[\n",
		    m->n, m->n - failed, failed);
		for (unsigned i = 0; i < m->n; i++) {
			put_text(f, &m->rec[i].text);
			fprintf(f, "%s\n", i + 1 < m->n ? "," : "");
		}
		fprintf(f, "]}\n");
		break;
	case MERGE_NONE:
		break;
	}
}

int check_merge(FILE *f, char **paths, unsigned n, unsigned *failed, char **cause)
{
	struct merge m = { .kind = MERGE_NONE };
	int rc = 0;

	*failed = 0;
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = merge_read(&m, paths[i], cause);
	if (rc == 0 && m.n > 1)
		qsort(m.rec, m.n, sizeof *m.rec, merge_cmp);
	for (unsigned i = 1; i < m.n && rc == 0; i++) {
		if (strcmp(m.rec[i - 1].key, m.rec[i].key) == 0) {
			char *esc = check_name_escape(m.rec[i].key);
			rc = (xasprintf(cause, "%s: in more than one report (shards overlap?)", esc), -1);
			free(esc);
		}
	}
	for (unsigned i = 0; i < m.n; i++)
		*failed += m.rec[i].failed;
	if (rc == 0)
		merge_write(f, &m, *failed);
	for (unsigned i = 0; i < m.n; i++) {
		free(m.rec[i].key);
		buf_release(&m.rec[i].text);
	}
	free(m.rec);
	return rc;
}
