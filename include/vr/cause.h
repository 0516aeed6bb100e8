/* cause.h -- error messages that travel up as char **cause and are printed once */
#ifndef VR_CAUSE_H
#define VR_CAUSE_H
#include <stdarg.h>

/*
 * Set *cause (if cause is not NULL and *cause is still NULL) to a freshly
 * allocated message and return -1, so failing paths read
 *     return cause_set(cause, "%s: event %llu (offset 0x%llx): ...", ...);
 * The first cause wins: an inner, more precise message is never overwritten.
 */
int cause_set(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cause_vset(char **cause, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Prefix an existing cause: "PREFIX: old". Returns -1. */
int cause_prefix(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
