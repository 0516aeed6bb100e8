/* cause.c -- error messages carried up to the command that prints them */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vr/cause.h"
#include "vr/xmalloc.h"

int cause_vset(char **cause, const char *fmt, va_list ap)
{
	if (cause == NULL || *cause != NULL)
		return -1;
	if (vasprintf(cause, fmt, ap) < 0) {
		*cause = NULL;
		fprintf(stderr, "virtio-replay: out of memory\n");
		exit(3);
	}
	return -1;
}

int cause_set(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cause_vset(cause, fmt, ap);
	va_end(ap);
	return -1;
}

int cause_prefix(char **cause, const char *fmt, ...)
{
	va_list ap;
	char *prefix, *old;

	if (cause == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix == NULL)
		return -1;
	old = *cause;
	*cause = NULL;
	if (old != NULL)
		xasprintf(cause, "%s: %s", prefix, old);
	else
		*cause = xstrdup(prefix);
	free(old);
	free(prefix);
	return -1;
}
