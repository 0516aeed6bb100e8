/* qtest-input.c -- the qtest importer's input: its form (log, command stream, shell here-document, QEMU C reproducer) and command line */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/hexdump.h"
#include "vr/xmalloc.h"
#include "qtest-import-int.h"

/* ---- the input's form and its command line ---- */

int qi_read_file(struct qtest_import *qi, char **cause)
{
	struct buf b;
	int fd = strcmp(qi->path, "-") == 0 ? STDIN_FILENO : open(qi->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cause_set(cause, "%s: %s", qi->path, strerror(errno));
	buf_init(&b);
	for (;;) {
		ssize_t got;

		buf_reserve(&b, 65536);
		got = read(fd, b.data + b.len, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			cause_set(cause, "%s: %s", qi->path, strerror(errno));
			break;
		}
		if (got == 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			qi->len = b.len;
			buf_add_u8(&b, 0);
			qi->text = (char *)b.data;
			return 0;
		}
		b.len += (size_t)got;
		if (b.len > QTEST_IMPORT_MAX_FILE) {
			cause_set(cause, "%s: larger than %u MiB", qi->path, QTEST_IMPORT_MAX_FILE >> 20);
			break;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	buf_release(&b);
	return -1;
}

/* The end of the logical line at pos (backslash-newline continues it). */
static size_t logical_end(const char *t, size_t len, size_t pos)
{
	for (;;) {
		const char *nl = memchr(t + pos, '\n', len - pos);
		size_t e = nl != NULL ? (size_t)(nl - t) : len;
		size_t k = e;

		if (k > pos && t[k - 1] == '\r')
			k--;
		if (nl == NULL || k == pos || t[k - 1] != '\\')
			return e;
		pos = e + 1;
	}
}

static uint64_t count_lines(const char *t, size_t n)
{
	uint64_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += t[i] == '\n';
	return c;
}

/*
 * Find the form: a log starts with "[R +", "[S +" or "[I "; the shell form
 * has a line "... << DELIM ..." naming qemu, the commands on the lines after
 * it up to DELIM; anything else is a command stream, whose command line may
 * be given in a comment "# qemu-system-x86_64 ARGS".
 */
int qi_find_form(struct qtest_import *qi, char **cause)
{
	bool first = true;

	qi->form = F_STREAM;
	qi->body = 0;
	qi->body_end = qi->len;
	qi->body_line = 0;
	for (size_t pos = 0; pos < qi->len;) {
		size_t e = logical_end(qi->text, qi->len, pos), n = e - pos, dl = 0;
		const char *s = qi->text + pos, *here;
		char *cmd, delim[64];
		bool strip_tabs = false;

		pos = e + 1;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (n == 0)
			continue;
		if (*s == '#') {
			if (qi->cmdtext == NULL && n > 1 && memmem(s, n, "qemu-system-", 12) != NULL)
				qi->cmdtext = xstrndup(s + 1, n - 1);
			continue;
		}
		if (first && n >= 3 && s[0] == '[' && (s[1] == 'R' || s[1] == 'S' || s[1] == 'I') && s[2] == ' ') {
			qi->form = F_LOG;
			return 0;
		}
		first = false;
		if (memmem(s, n, "<<", 2) == NULL || memmem(s, n, "qemu", 4) == NULL)
			continue;
		cmd = xstrndup(s, n);
		if ((here = strstr(cmd, "<<")) == NULL || strstr(cmd, "qemu") == NULL) {
			free(cmd);	/* "<<" or "qemu" only after a NUL byte: not a command line */
			continue;
		}
		here += 2;
		if (*here == '-') {
			strip_tabs = true;
			here++;
		}
		while (*here == ' ' || *here == '\t')
			here++;
		while (*here != '\0' && *here != ' ' && *here != '\t' && *here != '|' && *here != ';' && dl + 1 < sizeof delim) {
			if (*here != '\'' && *here != '"' && *here != '\\')
				delim[dl++] = *here;
			here++;
		}
		delim[dl] = '\0';
		if (dl == 0) {
			free(cmd);
			qi->line = count_lines(qi->text, (size_t)(s - qi->text)) + 1;
			return qi_fail(qi, cause, "here-document without a delimiter word after <<");
		}
		free(qi->cmdtext);
		qi->cmdtext = cmd;
		qi->form = F_SHELL;
		qi->body = e < qi->len ? e + 1 : qi->len;
		qi->body_line = count_lines(qi->text, qi->body);
		/* The body ends at the line that is the delimiter (leading tabs stripped for <<-). */
		for (size_t p = qi->body; p < qi->len;) {
			const char *l = qi->text + p, *nl = memchr(l, '\n', qi->len - p);
			size_t ln = nl != NULL ? (size_t)(nl - l) : qi->len - p, lln = ln;

			if (lln > 0 && l[lln - 1] == '\r')
				lln--;
			while (strip_tabs && lln > 0 && *l == '\t') {
				l++;
				lln--;
			}
			if (lln == dl && memcmp(l, delim, dl) == 0) {
				qi->body_end = p;
				return 0;
			}
			p += ln + 1;
		}
		qi->line = count_lines(qi->text, qi->len) + 1;
		return qi_fail(qi, cause, "the here-document never ends (no line '%s')", delim);
	}
	return 0;
}

/* ---- QEMU's C reproducers (tests/qtest/fuzz-*-test.c): libqtest calls, one a line ---- */

/* The C string literal at *p (after its opening quote) into out; *p moves past the closing quote. */
static int c_string(const char **p, const char *end, struct buf *out)
{
	const char *s = *p;

	while (s < end && *s != '"') {
		if (*s == '\\' && s + 1 < end) {
			s++;
			if (*s == 'x') {
				int v = 0, n = 0;
				for (s++; s < end && n < 2 && hex_digit((unsigned char)*s) >= 0; s++, n++)
					v = v * 16 + hex_digit((unsigned char)*s);
				if (n == 0)
					return -1;
				buf_add_u8(out, (uint8_t)v);
				continue;
			}
			if (*s >= '0' && *s <= '7') {
				int v = 0, n = 0;
				for (; s < end && n < 3 && *s >= '0' && *s <= '7'; s++, n++)
					v = v * 8 + (*s - '0');
				buf_add_u8(out, (uint8_t)v);
				continue;
			}
			buf_add_u8(out, (uint8_t)(*s == 'n' ? '\n' : *s == 't' ? '\t' : *s == 'r' ? '\r' : *s));
			s++;
			continue;
		}
		buf_add_u8(out, (uint8_t)*s++);
	}
	if (s == end)
		return -1;
	*p = s + 1;
	return 0;
}

/* An integer argument: a C literal with optional u/l suffixes, as qtest writes numbers. */
static int c_number(const char *a, size_t n, struct buf *out)
{
	while (n > 0 && (*a == ' ' || *a == '\t'))
		a++, n--;
	while (n > 0 && strchr(" \tuUlL", a[n - 1]) != NULL)
		n--;
	if (n == 0 || a[0] < '0' || a[0] > '9')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f') || (a[i] >= 'A' && a[i] <= 'F') ||
		    a[i] == 'x' || a[i] == 'X'))
			return -1;
	buf_add_u8(out, ' ');
	buf_add(out, a, n);
	return 0;
}

/*
 * Rewrite the C file as a command stream with the same line numbers (a call
 * on line N becomes the command on line N, other lines blank) and take the
 * command line from the string literals of qtest_init(...).
 */
int qi_c_to_stream(struct qtest_import *qi, char **cause)
{
	static const char *const calls[] = {
		"outb", "outw", "outl", "inb", "inw", "inl", "writeb", "writew", "writel", "writeq",
		"readb", "readw", "readl", "readq", "bufwrite", "memset", "clock_step",
	};
	const char *t = qi->text, *end = qi->text + qi->len, *init = memmem(t, qi->len, "qtest_init", 10);
	struct buf out, cl, arg;
	int rc = 0;

	buf_init(&out);
	buf_init(&cl);
	buf_init(&arg);
	/* The command line: every string literal up to the call's closing parenthesis. */
	for (const char *p = init; p < end && *p != ')';) {
		if (*p++ == '"' && c_string(&p, end, &cl) != 0)
			break;
	}
	qi->line = 0;
	for (const char *line = t; line < end && rc == 0;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *le = nl != NULL ? nl : end;
		const char *q = line;

		qi->line++;
		while ((q = memmem(q, (size_t)(le - q), "qtest_", 6)) != NULL) {
			const char *name = q + 6, *args, *close;
			size_t k, nl2;

			for (k = 0; k < sizeof calls / sizeof calls[0]; k++) {
				nl2 = strlen(calls[k]);
				if ((size_t)(le - name) > nl2 && memcmp(name, calls[k], nl2) == 0 && name[nl2] == '(')
					break;
			}
			q = name;
			if (k == sizeof calls / sizeof calls[0])
				continue;
			args = name + strlen(calls[k]) + 1;
			/* Skip the QTestState argument. */
			if ((args = memchr(args, ',', (size_t)(le - args))) == NULL) {
				rc = qi_fail(qi, cause, "qtest_%s: cannot read its arguments on one line", calls[k]);
				break;
			}
			args++;
			buf_reset(&arg);
			if (strcmp(calls[k], "bufwrite") == 0) {
				/* qtest_bufwrite(s, ADDR, "bytes", LEN) -> write ADDR LEN 0xHEX */
				const char *c1 = memchr(args, ',', (size_t)(le - args)), *lit;
				struct buf bytes;
				buf_init(&bytes);
				lit = c1 != NULL ? memchr(c1, '"', (size_t)(le - c1)) : NULL;
				if (c1 == NULL || lit == NULL || c_number(args, (size_t)(c1 - args), &arg) != 0 ||
				    (lit++, c_string(&lit, le, &bytes)) != 0) {
					buf_release(&bytes);
					rc = qi_fail(qi, cause, "qtest_bufwrite: cannot translate its arguments");
					break;
				}
				buf_printf(&out, "write%s 0x%zx 0x", buf_str(&arg), bytes.len);
				buf_add_hex(&out, bytes.data, bytes.len);
				buf_release(&bytes);
			} else {
				/* Numbers separated by commas up to ')'; memset's pattern and size swap places. */
				const char *a[3];
				size_t n[3];
				int na = 0;
				close = memchr(args, ')', (size_t)(le - args));
				for (const char *p = args; close != NULL && p < close && na < 3;) {
					const char *c = memchr(p, ',', (size_t)(close - p));
					a[na] = p;
					n[na++] = (size_t)((c != NULL ? c : close) - p);
					p = c != NULL ? c + 1 : close;
				}
				if (close == NULL || na == 0) {
					rc = qi_fail(qi, cause, "qtest_%s: cannot read its arguments on one line", calls[k]);
					break;
				}
				if (strcmp(calls[k], "memset") == 0 && na == 3) {
					const char *ta = a[1];
					size_t tn = n[1];
					a[1] = a[2], n[1] = n[2], a[2] = ta, n[2] = tn;
				}
				buf_add(&out, calls[k], strlen(calls[k]));
				for (int i = 0; i < na && rc == 0; i++)
					if (i == 0 && (calls[k][0] == 'i' || calls[k][0] == 'o') && rc == 0) {
						/* libqtest's port parameter is a uint16_t: the C call truncates it. */
						size_t start = out.len;
						uint64_t v;
						if (c_number(a[i], n[i], &out) != 0 || qi_num(buf_str(&out) + start + 1, &v) != 0)
							rc = qi_fail(qi, cause, "qtest_%s: argument '%.*s' is not a number", calls[k],
							    (int)(n[i] < 40 ? n[i] : 40), a[i]);
						else {
							out.len = start;
							buf_printf(&out, " 0x%x", (unsigned)(v & 0xffff));
						}
					} else if (c_number(a[i], n[i], &out) != 0)
						rc = qi_fail(qi, cause, "qtest_%s: argument '%.*s' is not a number", calls[k],
						    (int)(n[i] < 40 ? n[i] : 40), a[i]);
			}
			break;	/* one call a line, as the reproducers are written */
		}
		buf_add_u8(&out, '\n');
		line = nl != NULL ? nl + 1 : end;
	}
	if (rc == 0) {
		free(qi->text);
		qi->len = out.len;
		buf_add_u8(&out, 0);
		qi->text = (char *)out.data;
		out.data = NULL;
		free(qi->cmdtext);
		qi->cmdtext = cl.len > 0 ? xstrdup(buf_str(&cl)) : NULL;
		qi->form = F_C;
		qi->body = 0;
		qi->body_end = qi->len;
		qi->body_line = 0;
	}
	buf_release(&out);
	buf_release(&cl);
	buf_release(&arg);
	return rc;
}
