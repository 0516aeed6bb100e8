/* main.c -- virtio-replay: dispatch to a command from the table */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "cmd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: virtio-replay <command> [options] [args]\n\n"
	    "Replay recorded VirtIO 1.0 PCI guest traces against a deterministic device model.\n\n"
	    "Commands:\n");
	for (const struct cmd_entry *const *e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-10s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nvirtio-replay help <command> or virtio-replay <command> --help for details;\n"
	    "man virtio-replay, virtio-replay-trace(5), virtio-replay-db(5) for the reference.\n"
	    "Exit status: 0 success/matched, 1 diverged, 2 bad input or usage, 3 internal error.\n");
}

/*
 * help CMD on a terminal: virtio-replay(1) in man, the pager opened at the
 * command's section (less -p through $LESS: man pages render a subsection
 * heading as the name indented three spaces). 0 if man showed it; -1 if
 * there is no man or no page, so the caller prints the --help text instead.
 */
static int help_man(const struct cmd_entry *e)
{
	char less[512];
	const char *old = getenv("LESS");
	int status;
	pid_t pid;

	fflush(stdout);
	snprintf(less, sizeof(less), "%s%s-p^   %s$", old != NULL ? old : "", old != NULL && old[0] ? " " : "", e->name);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		setenv("LESS", less, 1);
		execlp("man", "man", "virtio-replay", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct cmd_entry *e;
	struct cmd_args *a;
	char *cause = NULL;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_BADINPUT;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("virtio-replay %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		if ((e = cmd_find(argv[2])) == NULL)
			return cmd_unknown(argv[2]);
		if (isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) && help_man(e) == 0)
			return EXIT_OK;
		cmd_print_help(e, stdout);
		return EXIT_OK;
	}
	if ((e = cmd_find(argv[1])) == NULL)
		return cmd_unknown(argv[1]);
	if (cmd_wants_help(e, argc - 1, argv + 1))
		return EXIT_OK;
	if ((a = cmd_args_parse(e, argc - 1, argv + 1, &cause)) == NULL) {
		rc = cmd_usage_error(e, "%s", cause != NULL ? cause : "bad usage");
		free(cause);
		return rc;
	}
	rc = e->exec(e, a);
	cmd_args_free(a);
	return rc;
}
