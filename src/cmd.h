/* cmd.h -- the command table: one struct cmd_entry per cmd-<name>.c */
#ifndef VR_CMD_H
#define VR_CMD_H
#include <stdio.h>

/*
 * To add a command:
 *   1. write src/cmd-<name>.c exporting `const struct cmd_entry cmd_<name>_entry`;
 *   2. list it in cmd_table[] in src/cmd.c and in mk/front.am;
 *   3. document it in man/virtio-replay.1 and the README.
 */

/* Exit statuses, the same for every command. */
#define EXIT_OK		0	/* success / trace matched */
#define EXIT_DIVERGED	1	/* divergence or failed expectation */
#define EXIT_BADINPUT	2	/* bad input or usage */
#define EXIT_INTERNAL	3	/* internal error */

struct cmd_entry {
	const char *name;
	const char *usage;	/* "TRACE [--json]" */
	const char *summary;	/* one line for `virtio-replay --help` */
	const char *help;	/* option descriptions for `<command> --help` */
	/* argv[0] is the command name; returns an EXIT_* status. */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);
/* The command a mistyped name most likely meant (two edits at most, or a prefix), or NULL. */
const struct cmd_entry *cmd_suggest(const char *name);
/* "unknown command 'X' (did you mean 'Y'? ...)" on stderr; returns EXIT_BADINPUT. */
int cmd_unknown(const char *name);
/* Print "usage: virtio-replay NAME USAGE" and the help text to f. */
void cmd_print_help(const struct cmd_entry *e, FILE *f);
/* Print "virtio-replay NAME: message" and a usage hint to stderr; returns EXIT_BADINPUT. */
int cmd_usage_error(const struct cmd_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "virtio-replay: message" to stderr once; returns status. */
int cmd_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a cause (and free it) as "virtio-replay: CAUSE"; returns status. */
int cmd_fail_cause(int status, char *cause);
/* If argv has --help or -h before "--", print help to stdout and return 1. */
int cmd_wants_help(const struct cmd_entry *e, int argc, char **argv);
/* Write s to f as a JSON string literal (see buf_add_json_string). */
void cmd_json_string(FILE *f, const char *s);
/*
 * Finish an output written to tmp (NULL: written in place, e.g. stdout): on
 * success (rc 0) rename it to out, else remove it, so a failed command
 * leaves no partial output. Returns rc, or -1 with cause if the rename fails.
 */
int cmd_output_done(const char *tmp, const char *out, int rc, char **cause);
/* Parse a non-negative integer (decimal or 0x hex). 0 / -1. */
int cmd_parse_u64(const char *s, unsigned long long *out);
/* A byte count: cmd_parse_u64 with an optional K, M, G or T suffix (powers of 1024). 0 / -1. */
int cmd_parse_size(const char *s, unsigned long long *out);

#endif
