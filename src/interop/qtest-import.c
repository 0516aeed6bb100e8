/* qtest-import.c -- QEMU qtest logs and command streams into traces: numbers and data, qtest commands, log lines, the passes */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/hexdump.h"
#include "vr/pci-bars.h"
#include "vr/qtest-import.h"
#include "vr/xmalloc.h"
#include "qtest-import-int.h"

int qi_fail(struct qtest_import *qi, char **cause, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	cause_set(cause, "%s: line %llu: %s", qi->path, (unsigned long long)qi->line, msg ? msg : "bad input");
	free(msg);
	return -1;
}

/* ---- numbers and data as qtest writes them ---- */

/* strtoul(..., 0) as QEMU reads numbers: decimal, 0x hex or 0 octal, the whole word. */
int qi_num(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* "0xHEX" into exactly n bytes; short data is zero-filled at the end (QEMU's write) unless exact (a reply). */
static int hex_data(const char *s, uint64_t n, bool exact, struct buf *out)
{
	size_t digits;

	if (s == NULL || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	digits = strlen(s);
	if (digits % 2 != 0 || digits / 2 > n || (exact && digits / 2 != n))
		return -1;
	buf_reset(out);
	for (size_t i = 0; i < digits; i += 2) {
		int a = hex_digit((unsigned char)s[i]), b = hex_digit((unsigned char)s[i + 1]);
		if (a < 0 || b < 0)
			return -1;
		buf_add_u8(out, (uint8_t)(a << 4 | b));
	}
	while (out->len < n)
		buf_add_u8(out, 0);
	return 0;
}

static int b64val(char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

/* Base64 (with or without '=' padding) into out. */
static int b64_data(const char *s, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	buf_reset(out);
	if (s == NULL)
		return -1;
	for (i = 0; s[i] != '\0' && s[i] != '='; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_add_u8(out, (uint8_t)(acc >> bits));
		}
	}
	for (; s[i] == '='; i++)
		;
	return s[i] == '\0' ? 0 : -1;
}

/* ---- qtest commands ---- */

enum op { OP_OUT, OP_IN, OP_WRITE, OP_READ, OP_WRITEBUF, OP_READBUF, OP_B64WRITE, OP_B64READ, OP_MEMSET,
	OP_CLOCK_STEP, OP_CLOCK_SET, OP_IGNORE };

static const struct {
	const char *name;
	enum op op;
	unsigned size;		/* access size; 0: from the arguments */
	unsigned args;		/* required argument words (clock_step takes 0 or 1) */
} commands[] = {
	{ "outb", OP_OUT, 1, 2 }, { "outw", OP_OUT, 2, 2 }, { "outl", OP_OUT, 4, 2 },
	{ "inb", OP_IN, 1, 1 }, { "inw", OP_IN, 2, 1 }, { "inl", OP_IN, 4, 1 },
	{ "writeb", OP_WRITE, 1, 2 }, { "writew", OP_WRITE, 2, 2 }, { "writel", OP_WRITE, 4, 2 },
	{ "writeq", OP_WRITE, 8, 2 },
	{ "readb", OP_READ, 1, 1 }, { "readw", OP_READ, 2, 1 }, { "readl", OP_READ, 4, 1 }, { "readq", OP_READ, 8, 1 },
	{ "write", OP_WRITEBUF, 0, 3 }, { "read", OP_READBUF, 0, 2 },
	{ "b64write", OP_B64WRITE, 0, 3 }, { "b64read", OP_B64READ, 0, 2 }, { "memset", OP_MEMSET, 0, 3 },
	{ "clock_step", OP_CLOCK_STEP, 0, 0 }, { "clock_set", OP_CLOCK_SET, 0, 1 },
	/* Commands that do not touch the device: accepted, dropped. */
	{ "irq_intercept_in", OP_IGNORE, 0, 1 }, { "irq_intercept_out", OP_IGNORE, 0, 1 },
	{ "set_irq_in", OP_IGNORE, 0, 4 }, { "endianness", OP_IGNORE, 0, 0 }, { "module_load", OP_IGNORE, 0, 2 },
	{ "qom-set", OP_IGNORE, 0, 0 }, { "qom-get", OP_IGNORE, 0, 0 },
};

static int split(char *line, char **w)
{
	int n = 0;

	for (char *tok = strtok(line, " \t"); tok != NULL; tok = strtok(NULL, " \t")) {
		if (n == MAX_WORDS)
			return -1;
		w[n++] = tok;
	}
	return n;
}

/*
 * Run one command. reply: what followed "OK" in a log ("" for a bare OK),
 * NULL for a stream (or a request the log has no answer to).
 */
static int exec(struct qtest_import *qi, char **w, int nw, const char *reply, char **cause)
{
	uint64_t a = 0, b = 0, v = 0;
	size_t k;
	bool has = false;

	for (k = 0; k < NELEM(commands); k++)
		if (strcmp(w[0], commands[k].name) == 0)
			break;
	if (k == NELEM(commands))
		return qi_fail(qi, cause, "unknown qtest command '%.40s'", w[0]);
	if ((unsigned)(nw - 1) < commands[k].args)
		return qi_fail(qi, cause, "%s needs %u argument%s", w[0], commands[k].args,
		    commands[k].args == 1 ? "" : "s");
	if (commands[k].op == OP_IGNORE)
		return 0;
	if (qi->reset_line != 0)
		return qi_fail(qi, cause, "%s after the machine reset request at line %llu (port 0xcf9): QEMU exits there "
		    "under -no-reboot, or boots the guest again, which a trace cannot hold", w[0],
		    (unsigned long long)qi->reset_line);
	if (commands[k].op != OP_CLOCK_STEP && commands[k].op != OP_CLOCK_SET) {
		if (nw - 1 > (int)commands[k].args)
			return qi_fail(qi, cause, "%s takes %u argument%s", w[0], commands[k].args,
			    commands[k].args == 1 ? "" : "s");
		if (qi_num(w[1], &a) != 0)
			return qi_fail(qi, cause, "%s: bad address '%.40s'", w[0], w[1]);
	}
	/* The reply's value, for the commands that answer one. */
	if (reply != NULL && reply[0] != '\0' && (commands[k].op == OP_IN || commands[k].op == OP_READ ||
	    commands[k].op == OP_CLOCK_STEP || commands[k].op == OP_CLOCK_SET)) {
		if (qi_num(reply, &v) != 0)
			return qi_fail(qi, cause, "%s: bad reply value '%.40s'", w[0], reply);
		has = true;
	}
	switch (commands[k].op) {
	case OP_OUT:
	case OP_WRITE:
		if (qi_num(w[2], &v) != 0)
			return qi_fail(qi, cause, "%s: bad value '%.40s'", w[0], w[2]);
		if (commands[k].op == OP_OUT)
			return qi_port_access(qi, true, a, commands[k].size, v, true, cause);
		return qi_mem_sized(qi, true, a, commands[k].size, v, true, cause);
	case OP_IN:
		return qi_port_access(qi, false, a, commands[k].size, v, has, cause);
	case OP_READ:
		return qi_mem_sized(qi, false, a, commands[k].size, v, has, cause);
	case OP_WRITEBUF:
	case OP_READBUF:
	case OP_B64WRITE:
	case OP_B64READ:
	case OP_MEMSET: {
		bool write = commands[k].op == OP_WRITEBUF || commands[k].op == OP_B64WRITE || commands[k].op == OP_MEMSET;
		const uint8_t *data = NULL;

		if (qi_num(w[2], &b) != 0)
			return qi_fail(qi, cause, "%s: bad size '%.40s'", w[0], w[2]);
		if (b > TRACE_MAX_PAYLOAD)
			return qi_fail(qi, cause, "%s of %llu bytes (import takes at most 16 MiB in one command)", w[0],
			    (unsigned long long)b);
		if (a + b < a)
			return qi_fail(qi, cause, "%s: address range wraps around", w[0]);
		if (commands[k].op == OP_WRITEBUF) {
			if (hex_data(w[3], b, false, &qi->data) != 0)
				return qi_fail(qi, cause, "write: data must be 0x and at most %llu hex digit pairs",
				    (unsigned long long)b);
			data = qi->data.data;
		} else if (commands[k].op == OP_B64WRITE) {
			if (b64_data(w[3], &qi->data) != 0)
				return qi_fail(qi, cause, "b64write: bad base64 data");
			if (qi->data.len < b)
				b = qi->data.len;	/* QEMU writes what it decoded, up to SIZE */
			data = qi->data.data;
		} else if (commands[k].op == OP_MEMSET) {
			if (qi_num(w[3], &v) != 0)
				return qi_fail(qi, cause, "memset: bad value '%.40s'", w[3]);
			buf_reset(&qi->data);
			buf_reserve(&qi->data, b);
			memset(qi->data.data, (int)(v & 0xff), b);
			qi->data.len = b;
			data = qi->data.data;
		} else if (reply != NULL) {
			int rc = commands[k].op == OP_READBUF ? hex_data(reply, b, true, &qi->reply) : b64_data(reply, &qi->reply);
			if (rc != 0 || qi->reply.len != b)
				return qi_fail(qi, cause, "%s: the reply does not hold %llu bytes", w[0], (unsigned long long)b);
			data = qi->reply.data;
		}
		return qi_mem_bytes(qi, write, a, data, b, cause);
	}
	case OP_CLOCK_STEP:
	case OP_CLOCK_SET: {
		struct trace_event ev = { .kind = TRACE_TIME };

		if (nw > 2)
			return qi_fail(qi, cause, "%s takes at most 1 argument", w[0]);
		if (nw == 2 && qi_num(w[1], &a) != 0)
			return qi_fail(qi, cause, "%s: bad time '%.40s'", w[0], w[1]);
		if (!has) {
			/* A stream: the clock as QEMU would set it, where the command says. */
			if (nw < 2)
				return 0;
			v = commands[k].op == OP_CLOCK_SET ? (a > qi->vtime ? a : qi->vtime) : qi->vtime + a;
			if (v < qi->vtime)
				return qi_fail(qi, cause, "%s: the clock overflows", w[0]);
		}
		if (v < qi->vtime)
			return qi_fail(qi, cause, "%s: the clock goes backwards (0x%llx after 0x%llx)", w[0],
			    (unsigned long long)v, (unsigned long long)qi->vtime);
		qi->vtime = v;
		ev.value = v;
		return qi_emit(qi, &ev, cause);
	}
	default:
		return 0;
	}
}

/* ---- lines ---- */

/* Next line of the body; NULL at its end. The line is copied (commands split it). */
static char *next_line(struct qtest_import *qi, size_t *pos, struct buf *lb)
{
	const char *s, *nl;
	size_t n;

	if (*pos >= qi->body_end)
		return NULL;
	s = qi->text + *pos;
	nl = memchr(s, '\n', qi->body_end - *pos);
	n = nl != NULL ? (size_t)(nl - s) : qi->body_end - *pos;
	*pos += n + (nl != NULL);
	if (n > 0 && s[n - 1] == '\r')
		n--;
	buf_reset(lb);
	buf_add(lb, s, n);
	qi->line++;
	return (char *)buf_str(lb);
}

static bool blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

/* "[R +0.001234] rest" or "[S +...]": the kind letter and rest; 0 if the line is not one. */
static char log_line(char *s, char **rest)
{
	char k;
	char *p;

	/* "[I 0.000000] OPENED" has no '+'. */
	if (s[0] != '[' || (s[1] != 'R' && s[1] != 'S' && s[1] != 'I') || s[2] != ' ')
		return 0;
	k = s[1];
	p = s + 3 + (s[3] == '+');
	for (s = p; (*p >= '0' && *p <= '9') || *p == '.'; p++)
		;
	if (p == s || *p != ']')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	*rest = p;
	return k;
}

/* Run the request kept in req (words already split) with its reply. */
static int run_request(struct qtest_import *qi, struct buf *req, uint64_t req_line, const char *reply, char **cause)
{
	char *w[MAX_WORDS];
	char *copy = xstrdup(buf_str(req));
	uint64_t line = qi->line;
	int nw, rc;

	qi->line = req_line;
	nw = split(copy, w);
	if (nw < 0)
		rc = qi_fail(qi, cause, "more than %d words", MAX_WORDS);
	else
		rc = nw == 0 ? 0 : exec(qi, w, nw, reply, cause);
	qi->line = line;
	free(copy);
	buf_reset(req);
	return rc;
}

static int run_log(struct qtest_import *qi, char **cause)
{
	struct buf lb, req;
	uint64_t req_line = 0;
	size_t pos = qi->body;
	char *s, *rest;
	int rc = 0;

	buf_init(&lb);
	buf_init(&req);
	while (rc == 0 && (s = next_line(qi, &pos, &lb)) != NULL) {
		char k;

		if (blank(s))
			continue;
		qi->st.lines++;
		k = log_line(s, &rest);
		if (k == 'R') {
			if (req.len > 0 && (rc = run_request(qi, &req, req_line, NULL, cause)) != 0)
				break;
			if (blank(rest)) {
				rc = qi_fail(qi, cause, "request without a command");
				break;
			}
			buf_add(&req, rest, strlen(rest));
			req_line = qi->line;
		} else if (k == 'S') {
			if (strncmp(rest, "IRQ ", 4) == 0) {
				rc = qi_mark(qi, rest, strlen(rest), cause);
			} else if (strncmp(rest, "OK", 2) == 0 && (rest[2] == '\0' || rest[2] == ' ')) {
				if (req.len == 0) {
					rc = qi_fail(qi, cause, "a reply without a request");
					break;
				}
				rc = run_request(qi, &req, req_line, rest[2] == ' ' ? rest + 3 : "", cause);
			} else if (strncmp(rest, "FAIL", 4) == 0 || strncmp(rest, "ERR", 3) == 0) {
				/* QEMU refused the request: it did nothing; keep its words as a mark. */
				buf_reset(&req);
				rc = qi_mark(qi, rest, strlen(rest), cause);
			} else {
				rc = qi_mark(qi, rest, strlen(rest), cause);	/* QEMU's own notes in the log */
			}
		} else if (k == 'I') {
			continue;	/* the qtest connection opened or closed */
		} else if (strncmp(s, "qemu", 4) == 0) {
			rc = qi_mark(qi, s, strlen(s), cause);		/* QEMU's stderr mixed into the log */
		} else {
			rc = qi_fail(qi, cause, "not a qtest log line (expected [R +TIME] or [S +TIME])");
		}
	}
	if (rc == 0 && req.len > 0)
		rc = run_request(qi, &req, req_line, NULL, cause);	/* cut after the last request */
	buf_release(&lb);
	buf_release(&req);
	return rc;
}

static int run_stream(struct qtest_import *qi, char **cause)
{
	struct buf lb;
	size_t pos = qi->body;
	char *s, *w[MAX_WORDS];
	int rc = 0, nw;

	buf_init(&lb);
	while (rc == 0 && (s = next_line(qi, &pos, &lb)) != NULL) {
		if (blank(s))
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#')
			continue;
		qi->st.lines++;
		if ((nw = split(s, w)) < 0)
			rc = qi_fail(qi, cause, "more than %d words", MAX_WORDS);
		else
			rc = exec(qi, w, nw, NULL, cause);
	}
	buf_release(&lb);
	return rc;
}

static int run(struct qtest_import *qi, enum pass pass, char **cause)
{
	qi->pass = pass;
	qi->line = qi->body_line;
	qi->cf8 = 0;
	qi->reset_line = 0;
	qi->pciexbar = Q35_PCIEXBAR_RESET;
	pci_bars_init(&qi->bars, qi->cmd.legacy, qi->cmd.modern, qi->cmd.vectors > 0 ? (unsigned)qi->cmd.vectors : 0);
	qi->vtime = 0;
	memset(&qi->st, 0, sizeof qi->st);
	return qi->form == F_LOG ? run_log(qi, cause) : run_stream(qi, cause);
}


struct qtest_import *qtest_import_open(const char *path, const char *cmdline, const struct qtest_import_qemu *qemu,
    char **cause)
{
	struct qtest_import *qi = xcalloc(1, sizeof *qi);
	char *why = NULL;

	qi->path = xstrdup(path);
	qi->qemu = qemu;
	qi->virtio_devfn = -1;
	qi->numq = -1;
	buf_init(&qi->data);
	buf_init(&qi->reply);
	trace_header_init(&qi->hdr);
	if (qi_read_file(qi, cause) != 0)
		goto fail;
	if (memmem(qi->text, qi->len, "qtest_init", 10) != NULL && qi_c_to_stream(qi, cause) != 0)
		goto fail;
	if (qi->form != F_C && qi_find_form(qi, cause) != 0)
		goto fail;
	if (qi->cmdtext == NULL && cmdline != NULL)
		qi->cmdtext = xstrdup(cmdline);
	qi->cmd.ram = QEMU_DEFAULT_RAM;
	qi->cmd.devfn = -1;
	qi->cmd.vectors = -1;
	qi->cmd.modern = true;
	qi->cmd.pci_class = -1;		/* no command line: nothing said (qemu_cmdline_parse sets its own) */
	qi->cmd.max_ports = -1;
	qi->cmd.emergency_write = -1;
	qi->cmd.nqueues = -1;
	if (qi->cmdtext != NULL) {
		const char *slash = strrchr(path, '/');

		qi->dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
		    xstrndup(path, (size_t)(slash - path));
		if (qemu_cmdline_parse(qi->cmdtext, strlen(qi->cmdtext), qi->dir, &qi->cmd, &why) != 0) {
			if (qi->form == F_SHELL) {
				qi->line = qi->body_line;
				qi_fail(qi, cause, "%s", why);
			} else {
				cause_set(cause, "%s: --cmdline: %s", path, why);
			}
			free(why);
			goto fail;
		}
		qi->have_cmd = true;
	}
	/* RAM first: the discovery pass must know what is RAM and what is not. */
	qi_ram_layout(qi);
	if (run(qi, P_DISCOVER, cause) != 0 || qi_choose_devfn(qi, cause) != 0 || qi_build_header(qi, cause) != 0)
		goto fail;
	if (run(qi, P_OBSERVE, cause) != 0)
		goto fail;
	qi_header_observed(qi);
	if (trace_header_check(&qi->hdr, &why) != 0) {
		cause_set(cause, "%s: the trace header would be bad: %s", path, why);
		free(why);
		goto fail;
	}
	return qi;
fail:
	qtest_import_free(qi);
	return NULL;
}

void qtest_import_free(struct qtest_import *qi)
{
	if (qi == NULL)
		return;
	free(qi->path);
	free(qi->text);
	free(qi->cmdtext);
	free(qi->dir);
	buf_release(&qi->data);
	buf_release(&qi->reply);
	free(qi);
}

const struct trace_header *qtest_import_header(const struct qtest_import *qi) { return &qi->hdr; }
const struct qemu_cmdline *qtest_import_cmdline(const struct qtest_import *qi) { return &qi->cmd; }
unsigned qtest_import_devfn(const struct qtest_import *qi) { return qi->devfn; }

const char *qtest_import_form(const struct qtest_import *qi)
{
	static const char *const names[] = { [F_LOG] = "log", [F_STREAM] = "stream", [F_SHELL] = "shell", [F_C] = "C" };

	return names[qi->form];
}

int qtest_import_write(struct qtest_import *qi, struct trace_writer *w, struct qtest_import_stats *st, char **cause)
{
	int rc;

	qi->w = w;
	qi->pass = P_WRITE;
	qi->st.events = 0;
	if (qi->cmdtext != NULL) {
		/* The command line, blanks and newlines folded, as the first mark. */
		struct buf m;
		bool sp = false;

		buf_init(&m);
		buf_add(&m, "qemu: ", 6);
		for (const char *p = qi->cmdtext; *p != '\0'; p++) {
			bool ws = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\\';
			if (ws) {
				sp = true;
				continue;
			}
			if (sp && m.len > 6)
				buf_add_u8(&m, ' ');
			sp = false;
			buf_add_u8(&m, (uint8_t)*p);	/* qi_mark() makes control characters '?' */
		}
		rc = qi_mark(qi, (const char *)m.data, m.len, cause);
		buf_release(&m);
		if (rc != 0)
			return -1;
	}
	rc = run(qi, P_WRITE, cause);
	if (qi->cmdtext != NULL)
		qi->st.events++;	/* the mark */
	if (st != NULL)
		*st = qi->st;
	qi->w = NULL;
	return rc;
}
