/* cmd-convert.c -- convert a trace between the text (.vrt) and binary (.vrb) forms */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

static const struct cmd_option convert_options[] = {
	{ .name = "to", .arg = "text|binary", .complete = CMD_COMPLETE_WORDS, .words = "text binary",
	  .help = "output format (default: from OUT's extension, .vrt or .vrb;\n"
	      "OUT \"-\" writes text to standard output)" },
	{ .name = "level", .arg = "L", .type = CMD_ARG_U64,
	  .help = "zstd compression level for binary output, 1..19 (default 3)" },
	{ .name = "chunk-size", .arg = "BYTES", .type = CMD_ARG_U64,
	  .help = "binary output: close a chunk once it holds BYTES raw bytes,\n"
	      "64..1048576 (default 1048576); smaller chunks seek finer" },
	{ .name = NULL },
};

static int cmd_convert_exec(const struct cmd_entry *e, struct cmd_args *a)
{
	struct trace_reader *r;
	struct trace_writer *w;
	struct trace_event ev;
	unsigned long long level = cmd_args_u64(a, "level", 0), chunk = cmd_args_u64(a, "chunk-size", TRACE_CHUNK_DEFAULT);
	const char *in, *out, *to = cmd_args_get(a, "to");
	char *cause = NULL, *tmp = NULL;
	int fmt = -1, rc;

	if (to != NULL && (fmt = cmd_trace_fmt(e, to)) < 0)
		return EXIT_BADINPUT;
	if (cmd_args_has(a, "level") && (level < 1 || level > TRACE_LEVEL_MAX))
		return cmd_usage_error(e, "--level must be 1..%d", TRACE_LEVEL_MAX);
	if (chunk < TRACE_CHUNK_MIN || chunk > TRACE_CHUNK_DEFAULT)
		return cmd_usage_error(e, "--chunk-size must be %u..%u bytes", TRACE_CHUNK_MIN, TRACE_CHUNK_DEFAULT);
	if (a->argc != 2)
		return cmd_usage_error(e, "need an input and an output trace");
	in = a->argv[0];
	out = a->argv[1];
	if (fmt < 0) {
		if (strcmp(out, "-") == 0)
			fmt = TRACE_FMT_TEXT;
		else if ((fmt = trace_format_from_name(out)) < 0)
			return cmd_usage_error(e, "cannot tell the format of '%s' (use .vrt, .vrb or --to)", out);
	}
	if ((r = trace_open(in, &cause)) == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	if (strcmp(out, "-") != 0)
		xasprintf(&tmp, "%s.tmp", out);
	w = trace_writer_open(tmp != NULL ? tmp : out, (enum trace_fmt)fmt, (int)level, trace_header(r), &cause);
	if (w == NULL) {
		trace_close(r);
		free(tmp);
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	}
	trace_writer_chunk_size(w, (uint32_t)chunk);
	while ((rc = trace_read(r, &ev, &cause)) > 0)
		if (trace_write(w, &ev, &cause) != 0) {
			rc = -1;
			break;
		}
	trace_close(r);
	if (trace_writer_close(w, rc == 0 ? &cause : NULL) != 0)
		rc = -1;
	rc = cmd_output_done(tmp, out, rc, &cause);
	free(tmp);
	if (rc != 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	return EXIT_OK;
}

const struct cmd_entry cmd_convert_entry = {
	.name = "convert",
	.args = "IN OUT",
	.args_complete = CMD_COMPLETE_FILE,
	.options = convert_options,
	.summary = "convert a trace between the text (.vrt) and binary (.vrb) forms",
	.help =
	    "IN may be either form (detected from its first byte). The output is written to\n"
	    "OUT.tmp and renamed to OUT only when the whole trace converted, so a damaged\n"
	    "input never leaves a half-written OUT. Text output is canonical: converting\n"
	    "canonical text to binary and back gives the same bytes.\n",
	.exec = cmd_convert_exec,
};
