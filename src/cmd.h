/* cmd.h -- the command table: one struct cmd_entry per cmd-<name>.c */
#ifndef VR_CMD_H
#define VR_CMD_H
#include <stdint.h>
#include <stdio.h>

/*
 * To add a command:
 *   1. write src/cmd-<name>.c exporting `const struct cmd_entry cmd_<name>_entry`,
 *      its options declared in a struct cmd_option table (parsing, usage,
 *      --help and shell completion all come from that table);
 *   2. list it in cmd_table[] in src/cmd.c and in mk/front.am;
 *   3. document it in man/virtio-replay.1 and the README.
 */

/* Exit statuses, the same for every command. */
#define EXIT_OK		0	/* success / trace matched */
#define EXIT_DIVERGED	1	/* divergence or failed expectation */
#define EXIT_BADINPUT	2	/* bad input or usage */
#define EXIT_INTERNAL	3	/* internal error */

/* What a shell may offer for an option's argument or a positional argument. */
enum cmd_complete {
	CMD_COMPLETE_NONE,	/* free text: nothing to offer */
	CMD_COMPLETE_FILE,
	CMD_COMPLETE_DIR,
	CMD_COMPLETE_WORDS,	/* the words of .words */
	CMD_COMPLETE_LAYOUT,	/* layout profile names (qemu, vbox) */
	CMD_COMPLETE_DEVICE,	/* device type names (blk, net, ...) */
	CMD_COMPLETE_SCENARIO,	/* record --list's scenario names */
};

/* How the parser checks an option's argument before the command sees it. */
enum cmd_argtype {
	CMD_ARG_STRING,		/* taken as it is */
	CMD_ARG_U64,		/* cmd_parse_u64; "bad --NAME 'VALUE'" otherwise */
	CMD_ARG_SIZE,		/* cmd_parse_size (K, M, G, T suffixes) */
};

#define CMD_OPT_REQUIRED	0x1	/* shown without brackets in the usage line (the command checks it) */
#define CMD_OPT_REPEAT		0x2	/* may be given more than once (cmd_args_next walks the values) */

/*
 * One option of a command, declared once: the parser, the usage line, the
 * --help text and the shell completion all come from it.
 */
struct cmd_option {
	const char *name;	/* long name without "--"; NULL ends the list */
	char short_name;	/* -X as well, or 0 */
	const char *arg;	/* placeholder of its argument ("N", "FILE"), NULL for a flag */
	enum cmd_argtype type;
	enum cmd_complete complete;
	const char *words;	/* CMD_COMPLETE_WORDS: "text binary" */
	const char *what;	/* for "--NAME needs WHAT" (default: "an argument ARG") */
	unsigned flags;		/* CMD_OPT_* */
	const char *help;	/* description; each "\n" starts a continuation line */
};

struct cmd_args;

struct cmd_entry {
	const char *name;
	const char *args;	/* positional arguments for the usage line: "TRACE", "IN OUT" */
	enum cmd_complete args_complete;	/* what the positional arguments are */
	const char *args_words;	/* args_complete CMD_COMPLETE_WORDS: "bash zsh" */
	const char *usage_also;	/* another form of the command, printed as a second usage line, or NULL */
	const char *summary;	/* one line for `virtio-replay --help` */
	const struct cmd_option *options;	/* NULL-name terminated, or NULL: no options */
	const char *help;	/* text after the option list in `<command> --help` */
	/* a holds the parsed options and the positional arguments; returns an EXIT_* status. */
	int (*exec)(const struct cmd_entry *self, struct cmd_args *a);
};

/* The parsed command line of one command. */
struct cmd_args {
	const struct cmd_entry *entry;
	int argc;		/* positional arguments, in order (the command name is not among them) */
	char **argv;		/* argv[argc] is NULL */
	size_t nset;
	struct cmd_arg_set {
		const struct cmd_option *opt;
		const char *value;	/* NULL for a flag */
		unsigned long long num;	/* CMD_ARG_U64, CMD_ARG_SIZE: the parsed value */
	} *set;			/* options as given, in order */
};

/*
 * Parse argv (argv[0] is the command name) against e's options: --name VALUE,
 * --name=VALUE, -x VALUE, -xVALUE, grouped flags (-qv), "--" ends options,
 * "-" is an argument; options and arguments may be mixed. NULL with cause
 * ("unknown option '--frob' (did you mean '--from'?)") on bad usage.
 */
struct cmd_args *cmd_args_parse(const struct cmd_entry *e, int argc, char **argv, char **cause);
void cmd_args_free(struct cmd_args *a);
/* How many times option NAME (its long name) was given. */
unsigned cmd_args_count(const struct cmd_args *a, const char *name);
static inline int cmd_args_has(const struct cmd_args *a, const char *name) { return cmd_args_count(a, name) > 0; }
/* The last value of NAME, or NULL. */
const char *cmd_args_get(const struct cmd_args *a, const char *name);
/* The last parsed number of NAME (CMD_ARG_U64 / CMD_ARG_SIZE), or dflt if it was not given. */
unsigned long long cmd_args_u64(const struct cmd_args *a, const char *name, unsigned long long dflt);
/* Walk NAME's values in order: *it starts at 0; NULL after the last. */
const char *cmd_args_next(const struct cmd_args *a, const char *name, size_t *it);
/* The usage line without "usage: " (wrapped; continuation lines indented). */
void cmd_usage_text(const struct cmd_entry *e, FILE *f);

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
/* The trace format --to names (text|binary): its enum trace_fmt, or -1 after a usage error. */
int cmd_trace_fmt(const struct cmd_entry *e, const char *to);
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
/*
 * "PATH:N" names run N of the database PATH (after the last ':'); a name
 * that exists as given, or has no ':N', is taken whole with *run 0 (the
 * newest). *path is allocated. 0, or -1 and cause for a bad run number.
 */
int cmd_split_run(const char *arg, char **path, int64_t *run, char **cause);
/* A byte count: cmd_parse_u64 with an optional K, M, G or T suffix (powers of 1024). 0 / -1. */
int cmd_parse_size(const char *s, unsigned long long *out);

#endif
