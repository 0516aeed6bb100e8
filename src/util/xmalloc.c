/* xmalloc.c -- allocation that aborts on exhaustion */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vr/xmalloc.h"

static void (*oom_describe)(void *opaque, char *out, size_t n);
static void *oom_opaque;

void xmalloc_context(void (*describe)(void *opaque, char *out, size_t n), void *opaque)
{
	oom_describe = describe;
	oom_opaque = opaque;
}

static void oom(size_t n)
{
	char what[512];

	what[0] = '\0';
	if (oom_describe != NULL)
		oom_describe(oom_opaque, what, sizeof(what));
	fprintf(stderr, "virtio-replay: out of memory (%zu bytes)%s%s\n", n, what[0] ? " while " : "", what);
	exit(3);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	return n;
}
