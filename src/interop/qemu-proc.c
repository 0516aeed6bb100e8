/* qemu-proc.c -- spawn qemu-system-x86_64 with -qtest stdio and talk the qtest line protocol to it */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vr/buf.h"
#include "vr/cause.h"
#include "vr/hexdump.h"
#include "vr/qemu-proc.h"
#include "vr/xmalloc.h"

/* A reply longer than this is not one QEMU sends for the commands used here. */
#define QEMU_MAX_LINE	(64u << 20)

struct qemu {
	pid_t pid;
	int to_fd;			/* QEMU's stdin: commands */
	int from_fd;			/* QEMU's stdout: replies */
	int err_fd;			/* QEMU's stderr */
	unsigned timeout_ms;
	struct buf in;			/* reply bytes not yet consumed */
	struct buf err;			/* stderr bytes not yet taken */
	struct buf line;
	char *cmdline;
	char *error;
	bool exited;
	void (*irq)(void *opaque, unsigned line, bool raised);
	void *irq_opaque;
};

/* ---- failure bookkeeping ---- */

static void drain_stderr(struct qemu *q)
{
	char chunk[4096];
	ssize_t n;

	if (q->err_fd < 0)
		return;
	while ((n = read(q->err_fd, chunk, sizeof(chunk))) > 0)
		buf_add(&q->err, chunk, (size_t)n);
	if (n == 0) {
		close(q->err_fd);
		q->err_fd = -1;
	}
}

/* The last non-empty stderr line, for "qemu exited: ..." messages. */
static void last_stderr_line(struct qemu *q, char *out, size_t cap)
{
	size_t end = q->err.len, start;

	out[0] = '\0';
	while (end > 0 && (q->err.data[end - 1] == '\n' || q->err.data[end - 1] == '\r'))
		end--;
	start = end;
	while (start > 0 && q->err.data[start - 1] != '\n')
		start--;
	if (end > start)
		snprintf(out, cap, "%.*s", (int)(end - start), (const char *)q->err.data + start);
}

static void fail(struct qemu *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct qemu *q, const char *fmt, ...)
{
	char last[512];
	char *msg = NULL;
	va_list ap;

	if (q->error != NULL)
		return;
	va_start(ap, fmt);
	cause_vset(&msg, fmt, ap);
	va_end(ap);
	drain_stderr(q);
	last_stderr_line(q, last, sizeof(last));
	if (last[0] != '\0')
		xasprintf(&q->error, "%s (qemu said: %s)", msg, last);
	else
		q->error = msg, msg = NULL;
	free(msg);
}

bool qemu_failed(const struct qemu *q) { return q->error != NULL; }
const char *qemu_error(const struct qemu *q) { return q->error; }
const char *qemu_cmdline(const struct qemu *q) { return q->cmdline; }

/* ---- spawning ---- */

static int build_argv(const struct qemu_opts *o, const char **argv, size_t cap, char *mem, size_t memcap)
{
	size_t n = 0;

	snprintf(mem, memcap, "%" PRIu64 "M", o->ram_mb);
	const char *fixed[] = {
		o->binary ? o->binary : QEMU_DEFAULT_BINARY,
		"-machine", o->machine ? o->machine : "pc", "-accel", "tcg",
		"-nodefaults", "-nographic", "-monitor", "none", "-serial", "none", "-parallel", "none",
		"-m", mem, "-qtest", "stdio", "-qtest-log", "none",
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		argv[n++] = fixed[i];
	if (o->bios != NULL) {
		argv[n++] = "-bios";
		argv[n++] = o->bios;
	} else {
		argv[n++] = "-S";
	}
	for (size_t i = 0; i < QEMU_MAX_ARGS && o->args[i] != NULL; i++) {
		if (n + 1 >= cap)
			return -1;
		argv[n++] = o->args[i];
	}
	argv[n] = NULL;
	return 0;
}

static void child(const char **argv, const struct qemu_opts *o, int in[2], int out[2], int err[2], int status)
{
	int e;

	dup2(in[0], 0);
	dup2(out[1], 1);
	dup2(err[1], 2);
	for (size_t i = 0; i < sizeof(o->keep_fds) / sizeof(o->keep_fds[0]); i++)
		if (o->keep_fds[i] >= 0)
			fcntl(o->keep_fds[i], F_SETFD, 0);
	/* Not QEMU's business: a terminal's signals stay with the parent. */
	setpgid(0, 0);
	execvp(argv[0], (char *const *)argv);
	e = errno;
	if (write(status, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int pipe_cloexec(int p[2])
{
	return pipe2(p, O_CLOEXEC);
}

struct qemu *qemu_start(const struct qemu_opts *o, char **cause)
{
	const char *argv[QEMU_MAX_ARGS + 32];
	char mem[32];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, st[2] = { -1, -1 };
	struct qemu *q;
	struct buf cl;
	int e = 0;
	ssize_t n;
	pid_t pid;
	char *reply = NULL;

	if (build_argv(o, argv, sizeof(argv) / sizeof(argv[0]), mem, sizeof(mem)) < 0) {
		cause_set(cause, "qemu: too many arguments");
		return NULL;
	}
	if (pipe_cloexec(in) < 0 || pipe_cloexec(out) < 0 || pipe_cloexec(err) < 0 || pipe_cloexec(st) < 0) {
		cause_set(cause, "qemu: pipe: %s", strerror(errno));
		goto fail_fds;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		cause_set(cause, "qemu: fork: %s", strerror(errno));
		goto fail_fds;
	}
	if (pid == 0)
		child(argv, o, in, out, err, st[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(st[1]);
	/* The status pipe closes on a successful exec; otherwise it carries errno. */
	while ((n = read(st[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(st[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		if (e == ENOENT)
			cause_set(cause, "qemu missing: %s not found (install qemu-system-x86, or give its path)", argv[0]);
		else
			cause_set(cause, "qemu missing: cannot run %s: %s", argv[0], strerror(e));
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	q = xcalloc(1, sizeof(*q));
	q->pid = pid;
	q->to_fd = in[1];
	q->from_fd = out[0];
	q->err_fd = err[0];
	fcntl(q->err_fd, F_SETFL, fcntl(q->err_fd, F_GETFL) | O_NONBLOCK);
	fcntl(q->from_fd, F_SETFL, fcntl(q->from_fd, F_GETFL) | O_NONBLOCK);
	q->timeout_ms = o->timeout_ms ? o->timeout_ms : QEMU_TIMEOUT_MS;
	q->irq = o->irq;
	q->irq_opaque = o->irq_opaque;
	buf_init(&q->in);
	buf_init(&q->err);
	buf_init(&q->line);
	buf_init(&cl);
	for (size_t i = 0; argv[i] != NULL; i++)
		buf_printf(&cl, "%s%s", i ? " " : "", argv[i]);
	q->cmdline = xstrdup(buf_str(&cl));
	buf_release(&cl);
	/* The first answer proves QEMU parsed its command line and runs qtest. */
	if (qemu_cmd(q, &reply, "endianness") < 0) {
		cause_set(cause, "qemu failed to start: %s", q->error);
		qemu_stop(q);
		return NULL;
	}
	free(reply);
	return q;
fail_fds:
	for (int i = 0; i < 2; i++) {
		int *fds[] = { in, out, err, st };
		for (int k = 0; k < 4; k++)
			if (fds[k][i] >= 0)
				close(fds[k][i]);
	}
	return NULL;
}

void qemu_stop(struct qemu *q)
{
	int status;

	if (q == NULL)
		return;
	if (q->to_fd >= 0)
		close(q->to_fd);
	if (!q->exited) {
		kill(q->pid, SIGTERM);
		for (int i = 0; i < 200; i++) {
			if (waitpid(q->pid, &status, WNOHANG) == q->pid) {
				q->exited = true;
				break;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (!q->exited) {
			kill(q->pid, SIGKILL);
			waitpid(q->pid, &status, 0);
		}
	}
	close(q->from_fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	buf_release(&q->in);
	buf_release(&q->err);
	buf_release(&q->line);
	free(q->cmdline);
	free(q->error);
	free(q);
}

/* ---- the line protocol ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait up to ms for output on stdout (or stderr); read what is there. 0 ok, -1 QEMU is gone. */
static int fill(struct qemu *q, unsigned ms)
{
	struct pollfd p[2] = { { q->from_fd, POLLIN, 0 }, { q->err_fd, POLLIN, 0 } };
	char chunk[65536];
	ssize_t n;
	int r;

	r = poll(p, q->err_fd >= 0 ? 2 : 1, (int)ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (q->err_fd >= 0 && p[1].revents != 0)
		drain_stderr(q);
	if (p[0].revents == 0)
		return 0;
	n = read(q->from_fd, chunk, sizeof(chunk));
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (q->in.len + (size_t)n > QEMU_MAX_LINE)
		return -1;
	buf_add(&q->in, chunk, (size_t)n);
	return 0;
}

/* Take one complete line from q->in into q->line (NUL-terminated). 1 taken, 0 none yet. */
static int take_line(struct qemu *q)
{
	uint8_t *nl = q->in.len ? memchr(q->in.data, '\n', q->in.len) : NULL;
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - q->in.data);
	buf_reset(&q->line);
	buf_add(&q->line, q->in.data, n);
	buf_str(&q->line);
	memmove(q->in.data, nl + 1, q->in.len - n - 1);
	q->in.len -= n + 1;
	return 1;
}

/* An asynchronous line ("IRQ raise 11"): 1 if it was one (and was dispatched). */
static int async_line(struct qemu *q, const char *l)
{
	unsigned line;
	char what[8];

	if (strncmp(l, "IRQ ", 4) != 0)
		return 0;
	if (sscanf(l + 4, "%7s %u", what, &line) == 2 && q->irq != NULL)
		q->irq(q->irq_opaque, line, strcmp(what, "raise") == 0);
	return 1;
}

void qemu_poll(struct qemu *q, unsigned ms)
{
	if (q->error != NULL)
		return;
	if (fill(q, ms) < 0) {
		fail(q, "qemu died (pid %ld)", (long)q->pid);
		return;
	}
	/* Only asynchronous lines can be waiting here: replies were consumed by their command. */
	while (take_line(q))
		(void)async_line(q, (const char *)q->line.data);
}

static int reply_line(struct qemu *q, const char *what)
{
	uint64_t deadline = now_ms() + q->timeout_ms;

	for (;;) {
		while (take_line(q)) {
			if (!async_line(q, (const char *)q->line.data))
				return 0;
		}
		uint64_t t = now_ms();
		if (t >= deadline) {
			fail(q, "qemu timed out: no answer to '%s' within %u ms", what, q->timeout_ms);
			return -1;
		}
		if (fill(q, (unsigned)(deadline - t)) < 0) {
			fail(q, "qemu died while answering '%s'", what);
			return -1;
		}
	}
}

static int send_all(struct qemu *q, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(q->to_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int vcmd(struct qemu *q, char **reply, const char *fmt, va_list ap)
{
	char *text = NULL;
	const char *l;
	int rc = -1;

	if (reply != NULL)
		*reply = NULL;
	if (q->error != NULL)
		return -1;
	cause_vset(&text, fmt, ap);
	{
		size_t n = strlen(text);
		char *withnl = xmalloc(n + 2);

		memcpy(withnl, text, n);
		withnl[n] = '\n';
		withnl[n + 1] = '\0';
		if (send_all(q, withnl, n + 1) < 0) {
			free(withnl);
			fail(q, "qemu died: cannot send '%.40s'", text);
			free(text);
			return -1;
		}
		free(withnl);
	}
	if (reply_line(q, text) < 0)
		goto out;
	l = (const char *)q->line.data;
	if (strncmp(l, "OK", 2) == 0 && (l[2] == '\0' || l[2] == ' ')) {
		if (reply != NULL)
			*reply = xstrdup(l[2] == ' ' ? l + 3 : "");
		rc = 0;
	} else {
		fail(q, "qemu refused '%.60s': %.200s", text, l);
	}
out:
	free(text);
	return rc;
}

int qemu_cmd(struct qemu *q, char **reply, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vcmd(q, reply, fmt, ap);
	va_end(ap);
	return rc;
}

static uint64_t reply_value(struct qemu *q, char *reply)
{
	uint64_t v = ~0ull;

	if (reply != NULL) {
		char *end;

		errno = 0;
		v = strtoull(reply, &end, 0);
		if (errno != 0 || end == reply)
			fail(q, "qemu answered '%.40s', not a number", reply);
	}
	free(reply);
	return v;
}

/* qtest's access size suffix; port I/O has no 8-byte form (4 bytes then). */
static char size_letter(unsigned size, bool port)
{
	switch (size) {
	case 1: return 'b';
	case 2: return 'w';
	case 8: return port ? 'l' : 'q';
	default: return 'l';
	}
}

void qemu_out(struct qemu *q, unsigned size, uint16_t port, uint32_t v)
{
	qemu_cmd(q, NULL, "out%c 0x%x 0x%" PRIx32, size_letter(size, true),
	    port, v);
}

uint32_t qemu_in(struct qemu *q, unsigned size, uint16_t port)
{
	char *reply = NULL;

	qemu_cmd(q, &reply, "in%c 0x%x", size_letter(size, true), port);
	return (uint32_t)reply_value(q, reply);
}

void qemu_write(struct qemu *q, unsigned size, uint64_t addr, uint64_t v)
{
	qemu_cmd(q, NULL, "write%c 0x%" PRIx64 " 0x%" PRIx64, size_letter(size, false),
	    addr, v);
}

uint64_t qemu_read(struct qemu *q, unsigned size, uint64_t addr)
{
	char *reply = NULL;

	qemu_cmd(q, &reply, "read%c 0x%" PRIx64, size_letter(size, false), addr);
	return reply_value(q, reply);
}

int qemu_memwrite(struct qemu *q, uint64_t addr, const void *p, size_t len)
{
	struct buf b;
	int rc;

	if (len == 0)
		return 0;
	buf_init(&b);
	buf_add_hex(&b, p, len);
	rc = qemu_cmd(q, NULL, "write 0x%" PRIx64 " 0x%zx 0x%s", addr, len, buf_str(&b));
	buf_release(&b);
	return rc;
}

int qemu_memread(struct qemu *q, uint64_t addr, void *p, size_t len)
{
	char *reply = NULL;
	uint8_t *d = p;

	memset(p, 0xff, len);
	if (len == 0)
		return 0;
	if (qemu_cmd(q, &reply, "read 0x%" PRIx64 " 0x%zx", addr, len) < 0)
		return -1;
	if (strncmp(reply, "0x", 2) != 0 || strlen(reply + 2) != 2 * len) {
		fail(q, "qemu answered a %zu-byte read with '%.40s'", len, reply);
		free(reply);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit((unsigned char)reply[2 + 2 * i]), lo = hex_digit((unsigned char)reply[3 + 2 * i]);

		if (hi < 0 || lo < 0) {
			fail(q, "qemu answered a read with a bad hex digit");
			free(reply);
			return -1;
		}
		d[i] = (uint8_t)(hi << 4 | lo);
	}
	free(reply);
	return 0;
}

char *qemu_stderr_take(struct qemu *q)
{
	uint8_t *nl;
	char *l;
	size_t n;

	drain_stderr(q);
	nl = q->err.len ? memchr(q->err.data, '\n', q->err.len) : NULL;
	if (nl == NULL) {
		/* QEMU is gone: its last words need no newline. */
		if (q->err_fd < 0 && q->err.len > 0) {
			l = xstrndup((const char *)q->err.data, q->err.len);
			q->err.len = 0;
			return l;
		}
		return NULL;
	}
	n = (size_t)(nl - q->err.data);
	l = xstrndup((const char *)q->err.data, n);
	memmove(q->err.data, nl + 1, q->err.len - n - 1);
	q->err.len -= n + 1;
	return l;
}

uint32_t qemu_pci_read(struct qemu *q, unsigned devfn, uint32_t off, unsigned size)
{
	qemu_out(q, 4, 0xcf8, 0x80000000u | (devfn & 0xff) << 8 | (off & 0xfc));
	return qemu_in(q, size, (uint16_t)(0xcfc + (off & 3)));
}

void qemu_pci_write(struct qemu *q, unsigned devfn, uint32_t off, unsigned size, uint32_t v)
{
	qemu_out(q, 4, 0xcf8, 0x80000000u | (devfn & 0xff) << 8 | (off & 0xfc));
	qemu_out(q, size, (uint16_t)(0xcfc + (off & 3)), v);
}
