/* xmalloc.h -- allocation that aborts on exhaustion, so callers never check */
#ifndef VR_XMALLOC_H
#define VR_XMALLOC_H
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Out of memory prints "virtio-replay: out of memory (N bytes) while WHAT"
 * and exits 3; describe (set for the duration of a long task, NULL to clear)
 * writes WHAT into out without allocating.
 */
void xmalloc_context(void (*describe)(void *opaque, char *out, size_t n), void *opaque);

#endif
