/* cmd-record.c -- record a trace from a scenario of the model guest driver against the simulated device */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "vr/record.h"
#include "vr/trace.h"

extern const struct cmd_entry cmd_record_entry;

static const struct option record_longopts[] = {
	{ "device", required_argument, NULL, 'd' },
	{ "scenario", required_argument, NULL, 's' },
	{ "output", required_argument, NULL, 'o' },
	{ "layout", required_argument, NULL, 'L' },
	{ "seed", required_argument, NULL, 'S' },
	{ "checkpoint-every", required_argument, NULL, 'k' },
	{ "count", required_argument, NULL, 'n' },
	{ "format", required_argument, NULL, 'f' },
	{ "list", no_argument, NULL, 'l' },
	{ "target", required_argument, NULL, 't' },
	{ "qemu", required_argument, NULL, 'Q' },
	{ NULL, 0, NULL, 0 },
};

static void list_scenarios(void)
{
	printf("%-20s %-8s %s\n", "SCENARIO", "DEVICES", "WHAT IT DOES");
	for (const struct record_scenario *s = record_scenarios; s->name != NULL; s++)
		printf("%-20s %-8s %s%s%s%s\n", s->name, strcmp(s->devices, "*") == 0 ? "any" : s->devices, s->summary,
		    s->no_qemu ? " [not with --target qemu: " : "", s->no_qemu ? s->no_qemu : "", s->no_qemu ? "]" : "");
}

static int cmd_record_exec(int argc, char **argv)
{
	const struct cmd_entry *e = &cmd_record_entry;
	struct record_opts o;
	unsigned long long v;
	char *cause = NULL;
	int c;
	bool list = false;

	memset(&o, 0, sizeof(o));
	o.out = "-";
	o.layout = -1;
	o.format = -1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", record_longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (trace_device_parse(optarg) < 0)
				return cmd_usage_error(e, "unknown device '%s' (blk, net, scsi, rng, console, a type "
				    "without a model such as balloon or input, or a virtio device id 1..63)", optarg);
			o.device = optarg;
			break;
		case 's': o.scenario = optarg; break;
		case 'o': o.out = optarg; break;
		case 'L':
			if ((o.layout = trace_layout_parse(optarg)) < 0)
				return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", optarg);
			break;
		case 'S':
			if (cmd_parse_u64(optarg, &v) < 0)
				return cmd_usage_error(e, "bad --seed '%s'", optarg);
			o.seed = v;
			break;
		case 'k':
			if (cmd_parse_u64(optarg, &v) < 0)
				return cmd_usage_error(e, "bad --checkpoint-every '%s'", optarg);
			o.checkpoint_every = v;
			break;
		case 'n':
			if (cmd_parse_u64(optarg, &v) < 0 || v == 0 || v > 100000000)
				return cmd_usage_error(e, "bad --count '%s' (1 to 100000000)", optarg);
			o.count = v;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o.format = TRACE_FMT_TEXT;
			else if (strcmp(optarg, "binary") == 0)
				o.format = TRACE_FMT_BINARY;
			else
				return cmd_usage_error(e, "unknown format '%s' (text or binary)", optarg);
			break;
		case 'l': list = true; break;
		case 't':
			if (strcmp(optarg, "qemu") == 0)
				o.qemu = true;
			else if (strcmp(optarg, "sim") == 0)
				o.qemu = false;
			else
				return cmd_usage_error(e, "unknown target '%s' (sim or qemu)", optarg);
			break;
		case 'Q': o.qemu_binary = optarg; break;
		default:
			return cmd_usage_error(e, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cmd_usage_error(e, "unexpected argument '%s'", argv[optind]);
	if (list) {
		list_scenarios();
		return EXIT_OK;
	}
	if (o.scenario == NULL)
		return cmd_usage_error(e, "--scenario is required (record --list shows them)");
	if (record_find(o.scenario) == NULL)
		return cmd_usage_error(e, "unknown scenario '%s' (record --list shows them)", o.scenario);
	switch (record_run(&o, &cause)) {
	case 0: break;
	case -2: return cmd_fail_cause(EXIT_INTERNAL, cause);
	default: return cmd_fail_cause(EXIT_BADINPUT, cause);
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.usage = "--scenario NAME [--device TYPE] [-o TRACE] [--layout vbox|qemu]\n"
	    "       [--seed S] [--checkpoint-every K] [--count N] [--format text|binary]\n"
	    "       [--target sim|qemu] [--qemu PATH] | --list",
	.summary = "record a trace by running a scenario of the model guest driver against the device",
	.help =
	    "  --list                 list the scenarios\n"
	    "  --scenario NAME        what the guest does (init, basic, ..., one per violation name)\n"
	    "  --device D             device type: blk, net, scsi, rng, console, or a type without a\n"
	    "                         model (balloon, virtio-input-host-pci, 42...): the transport-only\n"
	    "                         device (default: the scenario's, usually blk)\n"
	    "  -o, --output TRACE     where to write; .vrb = binary, otherwise text (default: stdout)\n"
	    "  --layout L             register layout profile qemu (default) or vbox\n"
	    "  --seed S               seed of the scenario's generator (sectors, payloads); default 0\n"
	    "  --checkpoint-every K   write a device checkpoint every K events (default: none)\n"
	    "  --count N              scenario size: requests for basic, bulk, ...\n"
	    "  --format F             text or binary, overriding the extension\n"
	    "  --target T             sim (default): the simulator; qemu: a real QEMU device\n"
	    "                         (qemu-system-x86_64 -qtest), its answers go into the trace\n"
	    "  --qemu PATH            the QEMU binary (default: qemu-system-x86_64 on PATH)\n"
	    "\nThe trace holds the guest's accesses (reads with the device's answers), host inputs,\n"
	    "and the device's DMA writes and interrupts as expected outputs. With --target qemu\n"
	    "it holds QEMU's register values, RAM read-backs and interrupts (qtest cannot see DMA);\n"
	    "QEMU's stderr lines become marks. Exit 3 if QEMU is missing or fails (the message says which).\n",
	.exec = cmd_record_exec,
};
