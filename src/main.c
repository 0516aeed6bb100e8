/* main.c -- virtio-replay: dispatch to a command from the table */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
