/* cmd-sweep.c -- generated scenarios recorded on QEMU and replayed here: how many differ, and where first */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

#include "cmd.h"
#include "vr/record.h"
#include "vr/sweep.h"

static const struct cmd_option sweep_options[] = {
	{ .name = "seed", .arg = "S", .type = CMD_ARG_U64, .help = "scenario i runs with seed S + i (default 1)" },
	{ .name = "count", .arg = "N", .type = CMD_ARG_U64, .help = "scenarios to compare (default 20)" },
	{ .name = "device", .arg = "LIST", .help = "devices, space or comma separated (default: blk net scsi rng console)" },
	{ .name = "scenario", .arg = "LIST", .help = "sweep scenarios (sweep-common or common ...; default: all)" },
	{ .name = "machine", .help = "only the scenarios whose differences are the machine layer's" },
	{ .name = "keep", .arg = "DIR", .complete = CMD_COMPLETE_DIR,
	  .help = "keep QEMU's traces in DIR (NNNN-SCENARIO-DEVICE.vrt; replay them to look)" },
	{ .name = "qemu", .arg = "PATH", .complete = CMD_COMPLETE_FILE,
	  .help = "the QEMU binary (default: qemu-system-x86_64 on PATH)" },
	{ .name = "quiet", .short_name = 'q', .help = "print only the scenarios that differ and the totals" },
	{ .name = "list", .help = "list the sweep scenarios" },
	{ .name = NULL },
};

struct sweep_cli {
	bool quiet;
};

static void print_result(void *opaque, const struct sweep_result *r)
{
	const struct sweep_cli *c = opaque;

	if (r->failed != NULL) {
		printf("%4" PRIu64 "  %-16s %-8s seed %-6" PRIu64 " not compared: %s\n", r->index, r->scenario, r->device,
		    r->seed, r->failed);
	} else if (r->differences > 0) {
		printf("%4" PRIu64 "  %-16s %-8s seed %-6" PRIu64 " %" PRIu64 " difference%s (%s)\n", r->index, r->scenario,
		    r->device, r->seed, r->differences, r->differences == 1 ? "" : "s",
		    r->machine && r->differences > r->device_differences ? "machine" : "device");
		if (!c->quiet && r->first != NULL) {
			const char *p = r->first;

			/* the first difference, indented under its scenario */
			while (*p != '\0') {
				const char *nl = strchr(p, '\n');
				int n = nl ? (int)(nl - p) : (int)strlen(p);

				printf("        %.*s\n", n, p);
				p += n + (nl != NULL);
			}
		}
	} else if (!c->quiet) {
		printf("%4" PRIu64 "  %-16s %-8s seed %-6" PRIu64 " same (%" PRIu64 " events)\n", r->index, r->scenario,
		    r->device, r->seed, r->events);
	}
	fflush(stdout);
}

static int list(void)
{
	printf("%-18s %-8s %s\n", "SCENARIO", "KIND", "WHAT IT DOES");
	for (const struct sweep_kind *k = sweep_kinds; k->scenario != NULL; k++) {
		const struct record_scenario *s = record_find(k->scenario);

		printf("%-18s %-8s %s\n", k->scenario, k->machine ? "machine" : "device", s ? s->summary : "");
	}
	return EXIT_OK;
}

static int cmd_sweep_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct sweep_opts o;
	struct sweep_totals t;
	struct sweep_cli cli;
	bool machine = cmd_args_has(a, "machine");
	char *cause = NULL;
	int rc;

	if (cmd_args_has(a, "list"))
		return list();
	memset(&o, 0, sizeof(o));
	memset(&cli, 0, sizeof(cli));
	o.seed = cmd_args_u64(a, "seed", 1);
	o.count = cmd_args_u64(a, "count", 20);
	if (o.count == 0 || o.count > 1000000)
		return cmd_usage_error(e, "bad --count '%s' (1 to 1000000)", cmd_args_get(a, "count"));
	o.devices = cmd_args_get(a, "device");
	o.kinds = cmd_args_get(a, "scenario");
	o.qemu = cmd_args_get(a, "qemu");
	o.keep_dir = cmd_args_get(a, "keep");
	cli.quiet = cmd_args_has(a, "quiet");
	if (a->argc != 0)
		return cmd_usage_error(e, "unexpected argument '%s'", a->argv[0]);
	if (machine && o.kinds != NULL)
		return cmd_usage_error(e, "--machine and --scenario exclude each other");
	if (machine)
		o.kinds = "machine";
	if (o.keep_dir != NULL && mkdir(o.keep_dir, 0777) < 0 && errno != EEXIST)
		return cmd_fail(EXIT_BADINPUT, "sweep: --keep %s: %s", o.keep_dir, strerror(errno));
	o.tmp_dir = getenv("TMPDIR") && *getenv("TMPDIR") && strlen(getenv("TMPDIR")) < 200 ? getenv("TMPDIR") : NULL;
	rc = sweep_run(&o, print_result, &cli, &t, &cause);
	if (rc < 0)
		return cmd_fail_cause(rc == -2 ? EXIT_INTERNAL : EXIT_BADINPUT, cause);
	printf("%" PRIu64 " scenarios compared, %" PRIu64 " differ (%" PRIu64 " differences; %" PRIu64
	    " in machine-layer scenarios)%s\n", t.compared, t.differing, t.differences, t.machine_differing,
	    t.failed ? "" : "");
	if (t.failed)
		printf("%" PRIu64 " scenarios could not be compared\n", t.failed);
	fflush(stdout);
	if (t.failed)
		return EXIT_INTERNAL;
	return t.differing ? EXIT_DIVERGED : EXIT_OK;
}

const struct cmd_entry cmd_sweep_entry = {
	.name = "sweep",
	.options = sweep_options,
	.summary = "record generated scenarios on QEMU, replay them here, and count the differences",
	.help =
	    "Each scenario is a record scenario (record --scenario sweep-...) whose every choice\n"
	    "comes from its seed: registers of every region at every size and offset, status orders,\n"
	    "MSI-X masking, INTx, queue selects and resets, PCI config space and the PCI_CFG window,\n"
	    "requests with random features and queue sizes. Scenario i is recorded on QEMU 7.2\n"
	    "(record --target qemu) and QEMU's trace is replayed against virtio-replay, listing every\n"
	    "divergence; the first of each scenario is shown (expected: QEMU, produced: virtio-replay).\n"
	    "The last line says: N scenarios compared, M differ. Exit 0 none differ, 1 some differ,\n"
	    "2 usage, 3 QEMU missing or a scenario that could not be compared.\n",
	.exec = cmd_sweep_exec,
};
