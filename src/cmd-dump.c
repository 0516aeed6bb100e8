/* cmd-dump.c -- print any trace as canonical text, optionally a slice or some kinds only */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "vr/buf.h"
#include "vr/trace.h"
#include "vr/xmalloc.h"

extern const struct cmd_entry cmd_dump_entry;

/* --kind names: every event kind, plus the two access families. */
static int kind_mask(const char *list, unsigned *mask)
{
	char *copy = xstrdup(list), *save = NULL;
	int rc = 0;

	for (char *k = strtok_r(copy, ",", &save); k != NULL; k = strtok_r(NULL, ",", &save)) {
		int n;
		if (strcmp(k, "cfg") == 0)
			*mask |= 1u << TRACE_CFG_READ | 1u << TRACE_CFG_WRITE;
		else if (strcmp(k, "bar") == 0)
			*mask |= 1u << TRACE_BAR_READ | 1u << TRACE_BAR_WRITE;
		else if ((n = trace_kind_parse(k)) > 0)
			*mask |= 1u << n;
		else
			rc = -1;
	}
	if (list[0] == '\0')
		rc = -1;
	free(copy);
	return rc;
}

static void flush_out(struct buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	buf_reset(b);
}

static int cmd_dump_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd_entry *e = &cmd_dump_entry;
	unsigned long long from = 0, count = 0;
	int have_count = 0, c, rc;
	unsigned mask = 0;
	struct trace_reader *r;
	struct trace_event ev;
	struct buf out;
	char *cause = NULL;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cmd_parse_u64(optarg, &from) != 0)
				return cmd_usage_error(e, "bad --from '%s'", optarg);
			break;
		case 'c':
			if (cmd_parse_u64(optarg, &count) != 0)
				return cmd_usage_error(e, "bad --count '%s'", optarg);
			have_count = 1;
			break;
		case 'k':
			if (kind_mask(optarg, &mask) != 0)
				return cmd_usage_error(e, "bad --kind '%s' (kinds: cfg bar cfg-read cfg-write "
				    "bar-read bar-write mem dma irq input checkpoint mark time)", optarg);
			break;
		default:
			return cmd_usage_error(e, "unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(e, "need exactly one trace");
	if (mask == 0)
		mask = ~0u;
	if ((r = trace_open(argv[optind], &cause)) == NULL)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	buf_init(&out);
	trace_header_text(&out, trace_header(r));
	rc = 0;
	if (from > 0)
		rc = trace_seek(r, from, &cause);
	while (rc == 0 && (!have_count || count > 0)) {
		int got = trace_read(r, &ev, &cause);
		if (got <= 0) {
			rc = got;
			break;
		}
		if (have_count)
			count--;
		if (!(mask & (1u << ev.kind)))
			continue;
		trace_event_text(&out, &ev);
		buf_add_u8(&out, '\n');
		if (out.len >= (64u << 10))
			flush_out(&out);
	}
	flush_out(&out);
	buf_release(&out);
	trace_close(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		free(cause);
		return cmd_fail(EXIT_BADINPUT, "write error on standard output");
	}
	if (rc != 0)
		return cmd_fail_cause(EXIT_BADINPUT, cause);
	return EXIT_OK;
}

const struct cmd_entry cmd_dump_entry = {
	.name = "dump",
	.usage = "TRACE [--from N] [--count M] [--kind K[,K...]]...",
	.summary = "print a trace (text or binary) as canonical text",
	.help =
	    "  --from N      start at event N (events are numbered from 0; binary traces\n"
	    "                jump there through the seek index)\n"
	    "  --count M     read at most M events from there (before --kind filtering)\n"
	    "  --kind K      print only events of kind K; repeatable or a comma list of\n"
	    "                cfg bar cfg-read cfg-write bar-read bar-write mem dma irq input\n"
	    "                checkpoint mark time\n"
	    "\n"
	    "TRACE \"-\" reads standard input. The header is always printed, so the output\n"
	    "is itself a valid .vrt trace.\n"
	    "On a damaged trace everything before the damage is printed, then the error\n"
	    "goes to standard error and the exit status is 2.\n",
	.exec = cmd_dump_exec,
};
