/* cmd-record.c -- record a trace from a scenario of the model guest driver against the simulated device */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "vr/record.h"
#include "vr/trace.h"

static const struct cmd_option record_options[] = {
	{ .name = "list", .help = "list the scenarios" },
	{ .name = "scenario", .arg = "NAME", .complete = CMD_COMPLETE_SCENARIO, .flags = CMD_OPT_REQUIRED,
	  .help = "what the guest does (init, basic, ..., one per violation name)" },
	{ .name = "device", .arg = "D", .complete = CMD_COMPLETE_DEVICE,
	  .help = "device type: blk, net, scsi, rng, console, or a type without a\n"
	      "model (balloon, virtio-input-host-pci, 42...): the transport-only\n"
	      "device (default: the scenario's, usually blk)" },
	{ .name = "output", .short_name = 'o', .arg = "TRACE", .complete = CMD_COMPLETE_FILE,
	  .help = "where to write; .vrb = binary, otherwise text (default: stdout)" },
	{ .name = "layout", .arg = "L", .complete = CMD_COMPLETE_LAYOUT,
	  .help = "register layout profile qemu (default) or vbox" },
	{ .name = "seed", .arg = "S", .type = CMD_ARG_U64,
	  .help = "seed of the scenario's generator (sectors, payloads); default 0" },
	{ .name = "checkpoint-every", .arg = "K", .type = CMD_ARG_U64,
	  .help = "write a device checkpoint every K events (default: none)" },
	{ .name = "count", .arg = "N", .type = CMD_ARG_U64, .help = "scenario size: requests for basic, bulk, ..." },
	{ .name = "format", .arg = "F", .complete = CMD_COMPLETE_WORDS, .words = "text binary",
	  .help = "text or binary, overriding the extension" },
	{ .name = "target", .arg = "T", .complete = CMD_COMPLETE_WORDS, .words = "sim qemu",
	  .help = "sim (default): the simulator; qemu: a real QEMU device\n"
	      "(qemu-system-x86_64 -qtest), its answers go into the trace" },
	{ .name = "qemu", .arg = "PATH", .complete = CMD_COMPLETE_FILE,
	  .help = "the QEMU binary (default: qemu-system-x86_64 on PATH)" },
	{ .name = "transport", .arg = "T", .complete = CMD_COMPLETE_WORDS, .words = "modern transitional legacy",
	  .help = "the device's interface: modern (default), transitional (legacy\n"
	      "I/O BAR0 plus the modern capabilities, QEMU's default) or legacy" },
	{ .name = "driver", .arg = "D", .complete = CMD_COMPLETE_WORDS, .words = "modern legacy",
	  .help = "the guest's driver: modern, or legacy (the I/O BAR0 block); default\n"
	      "legacy for --transport legacy, else modern" },
	{ .name = NULL },
};

static void list_scenarios(void)
{
	printf("%-20s %-8s %s\n", "SCENARIO", "DEVICES", "WHAT IT DOES");
	for (const struct record_scenario *s = record_scenarios; s->name != NULL; s++)
		printf("%-20s %-8s %s%s%s%s\n", s->name, strcmp(s->devices, "*") == 0 ? "any" : s->devices, s->summary,
		    s->no_qemu ? " [not with --target qemu: " : "", s->no_qemu ? s->no_qemu : "", s->no_qemu ? "]" : "");
}

static int cmd_record_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct record_opts o;
	const char *v;
	char *cause = NULL;
	bool list = cmd_args_has(a, "list");

	memset(&o, 0, sizeof(o));
	o.out = "-";
	o.layout = -1;
	o.format = -1;
	o.driver = -1;
	if ((v = cmd_args_get(a, "device")) != NULL) {
		if (trace_device_parse(v) < 0)
			return cmd_usage_error(e, "unknown device '%s' (blk, net, scsi, rng, console, a type "
			    "without a model such as balloon or input, or a virtio device id 1..63)", v);
		o.device = v;
	}
	o.scenario = cmd_args_get(a, "scenario");
	if (cmd_args_has(a, "output"))
		o.out = cmd_args_get(a, "output");
	if ((v = cmd_args_get(a, "layout")) != NULL && (o.layout = trace_layout_parse(v)) < 0)
		return cmd_usage_error(e, "unknown layout '%s' (vbox or qemu)", v);
	o.seed = cmd_args_u64(a, "seed", 0);
	o.checkpoint_every = cmd_args_u64(a, "checkpoint-every", 0);
	if (cmd_args_has(a, "count")) {
		o.count = cmd_args_u64(a, "count", 0);
		if (o.count == 0 || o.count > 100000000)
			return cmd_usage_error(e, "bad --count '%s' (1 to 100000000)", cmd_args_get(a, "count"));
	}
	if ((v = cmd_args_get(a, "format")) != NULL) {
		if (strcmp(v, "text") == 0)
			o.format = TRACE_FMT_TEXT;
		else if (strcmp(v, "binary") == 0)
			o.format = TRACE_FMT_BINARY;
		else
			return cmd_usage_error(e, "unknown format '%s' (text or binary)", v);
	}
	if ((v = cmd_args_get(a, "target")) != NULL) {
		if (strcmp(v, "qemu") == 0)
			o.qemu = true;
		else if (strcmp(v, "sim") == 0)
			o.qemu = false;
		else
			return cmd_usage_error(e, "unknown target '%s' (sim or qemu)", v);
	}
	o.qemu_binary = cmd_args_get(a, "qemu");
	if ((v = cmd_args_get(a, "transport")) != NULL && (o.transport = trace_transport_parse(v)) < 0)
		return cmd_usage_error(e, "unknown transport '%s' (modern, transitional or legacy)", v);
	if ((v = cmd_args_get(a, "driver")) != NULL) {
		if (strcmp(v, "modern") == 0)
			o.driver = RECORD_DRIVER_MODERN;
		else if (strcmp(v, "legacy") == 0)
			o.driver = RECORD_DRIVER_LEGACY;
		else
			return cmd_usage_error(e, "unknown driver '%s' (modern or legacy)", v);
	}
	if (a->argc != 0)
		return cmd_usage_error(e, "unexpected argument '%s'", a->argv[0]);
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
	.usage_also = "--list",
	.options = record_options,
	.summary = "record a trace by running a scenario of the model guest driver against the device",
	.help =
	    "The trace holds the guest's accesses (reads with the device's answers), host inputs,\n"
	    "and the device's DMA writes and interrupts as expected outputs. With --target qemu\n"
	    "it holds QEMU's register values, RAM read-backs and interrupts (qtest cannot see DMA);\n"
	    "QEMU's stderr lines become marks. Exit 3 if QEMU is missing or fails (the message says which).\n",
	.exec = cmd_record_exec,
};
