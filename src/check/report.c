/* report.c -- check's reports: TAP 13 with YAML diagnostics, JUnit XML, JSON; valid whatever the suite holds */
#include <stdlib.h>
#include <string.h>

#include "vr/check.h"
#include "vr/xmalloc.h"

/*
 * Layout rules that check_merge() relies on: a TAP record is its test line and
 * the indented lines after it; a JUnit testcase starts on a line beginning
 * "    <testcase " and ends on that line ("/>") or on "    </testcase>"; a JSON
 * result is one line beginning {"name":. Text inside is escaped so no record
 * can contain another's start. No timings unless asked for (--timings): a
 * report depends only on the suite, not on -j or the machine's load.
 */

static const char *report_failure_type(const struct check_result *r)
{
	if (r->not_run)
		return "error";
	if (r->timed_out)
		return "timeout";
	if (r->status < 0)
		return "crash";
	if (r->div != NULL && r->status == 1 && r->status != r->want)
		return "divergence";
	if (r->status >= 2 && r->status != r->want)
		return "error";
	return "mismatch";
}

static void report_yaml_kv(struct buf *b, const char *key, const char *val)
{
	if (val == NULL)
		return;
	buf_printf(b, "  %s: ", key);
	check_yaml_escape(b, val);
	buf_add_u8(b, '\n');
}

void check_tap_record(struct buf *b, unsigned no, const struct check_trace *t, const struct check_result *r)
{
	buf_printf(b, "%s %u - %s\n", r->ok ? "ok" : "not ok", no, t->name);
	if (r->ok)
		return;
	buf_printf(b, "  ---\n");
	report_yaml_kv(b, "message", r->message);
	buf_printf(b, "  severity: fail\n  type: %s\n", report_failure_type(r));
	if (!r->not_run && r->status >= 0)
		buf_printf(b, "  exit: %d\n", r->status);
	buf_printf(b, "  want_exit: %d\n", r->want);
	if (r->div != NULL) {
		buf_printf(b, "  event: %llu\n  offset: \"0x%llx\"\n", r->div->event, r->div->offset);
		report_yaml_kv(b, "field", r->div->field);
		report_yaml_kv(b, "expected", r->div->expected);
		report_yaml_kv(b, "produced", r->div->produced);
		report_yaml_kv(b, "detail", r->div->detail);
	}
	if (r->nviol > 0) {
		buf_printf(b, "  violations:\n");
		for (unsigned i = 0; i < r->nviol; i++) {
			buf_printf(b, "    - ");
			check_yaml_escape(b, r->viol[i]);
			buf_add_u8(b, '\n');
		}
		buf_printf(b, "  violation_count: %llu\n", r->viol_total);
	}
	report_yaml_kv(b, "error", r->error);
	if (r->reasons != NULL) {
		buf_printf(b, "  reasons:\n");
		for (const char *p = r->reasons; *p != '\0';) {
			size_t n = strcspn(p, "\n");
			char *line = xstrndup(p, n);

			buf_printf(b, "    - ");
			check_yaml_escape(b, line);
			buf_add_u8(b, '\n');
			free(line);
			p += n + (p[n] == '\n');
		}
	}
	report_yaml_kv(b, "artifacts", r->artifacts);
	report_yaml_kv(b, "minimized", r->minimized);
	report_yaml_kv(b, "minimize_error", r->minimize_error);
	buf_printf(b, "  ...\n");
}

static unsigned report_failed(const struct check_report *rep)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < rep->s->n; i++)
		failed += !rep->res[i].ok;
	return failed;
}

void check_tap_write(FILE *f, const struct check_report *rep)
{
	struct buf b;

	buf_init(&b);
	fprintf(f, "TAP version 13\n1..%u\n", rep->s->n);
	for (unsigned i = 0; i < rep->s->n; i++) {
		buf_reset(&b);
		check_tap_record(&b, i + 1, &rep->s->t[i], &rep->res[i]);
		fwrite(b.data, 1, b.len, f);
	}
	buf_release(&b);
}

static void report_xml_attr(struct buf *b, const char *name, const char *val)
{
	buf_printf(b, " %s=\"", name);
	check_xml_escape(b, val);
	buf_add_u8(b, '"');
}

void check_junit_write(FILE *f, const struct check_report *rep)
{
	unsigned n = rep->s->n, failed = report_failed(rep);
	struct buf b, cap;

	buf_init(&b);
	buf_init(&cap);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"virtio-replay check\" tests=\"%u\" failures=\"%u\" errors=\"0\">\n", n, failed);
	fprintf(f, "  <testsuite name=\"virtio-replay check\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"0\">\n",
	    n, failed);
	for (unsigned i = 0; i < n; i++) {
		const struct check_result *r = &rep->res[i];

		buf_reset(&b);
		buf_printf(&b, "    <testcase");
		report_xml_attr(&b, "classname", "virtio-replay.check");
		report_xml_attr(&b, "name", rep->s->t[i].name);
		if (rep->timings)
			buf_printf(&b, " time=\"%.3f\"", r->seconds);
		if (r->ok) {
			buf_printf(&b, "/>\n");
			fwrite(b.data, 1, b.len, f);
			continue;
		}
		buf_printf(&b, ">\n      <failure");
		report_xml_attr(&b, "message", r->message);
		report_xml_attr(&b, "type", report_failure_type(r));
		buf_add_u8(&b, '>');
		check_xml_escape(&b, r->reasons ? r->reasons : "");
		if (r->artifacts != NULL) {
			check_xml_escape(&b, "artifacts: ");
			check_xml_escape(&b, r->artifacts);
			buf_add_u8(&b, '\n');
		}
		if (r->minimized != NULL || r->minimize_error != NULL) {
			check_xml_escape(&b, r->minimized ? "minimized: " : "");
			check_xml_escape(&b, r->minimized ? r->minimized : r->minimize_error);
			buf_add_u8(&b, '\n');
		}
		buf_reset(&cap);
		check_run_captured(rep->cr, r, 1, &cap);
		if (cap.len > 0) {
			buf_add_u8(&b, '\n');
			check_xml_escape(&b, (char *)cap.data);
		}
		buf_printf(&b, "</failure>\n");
		buf_reset(&cap);
		check_run_captured(rep->cr, r, 2, &cap);
		if (cap.len > 0) {
			buf_printf(&b, "      <system-err>");
			check_xml_escape(&b, (char *)cap.data);
			buf_printf(&b, "</system-err>\n");
		}
		buf_printf(&b, "    </testcase>\n");
		fwrite(b.data, 1, b.len, f);
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	buf_release(&b);
	buf_release(&cap);
}

static void report_json_kv(struct buf *b, const char *key, const char *val)
{
	if (val == NULL)
		return;
	buf_printf(b, ",\"%s\":", key);
	check_json_escape(b, val);
}

static void report_json_result(struct buf *b, const struct check_report *rep, unsigned i)
{
	const struct check_result *r = &rep->res[i];
	struct buf cap;

	buf_printf(b, "{\"name\":");
	check_json_escape(b, rep->s->t[i].name);
	buf_printf(b, ",\"ok\":%s", r->ok ? "true" : "false");
	if (!r->not_run && r->status >= 0)
		buf_printf(b, ",\"exit\":%d", r->status);
	else
		buf_printf(b, ",\"exit\":null");
	buf_printf(b, ",\"want_exit\":%d", r->want);
	if (rep->timings)
		buf_printf(b, ",\"seconds\":%.3f", r->seconds);
	if (r->ok)
		return;
	report_json_kv(b, "type", report_failure_type(r));
	report_json_kv(b, "message", r->message);
	if (r->timed_out)
		buf_printf(b, ",\"timed_out\":true");
	if (!r->not_run && r->status < 0)
		buf_printf(b, ",\"signal\":%d", -r->status);
	if (r->div != NULL) {
		buf_printf(b, ",\"divergence\":{\"event\":%llu,\"offset\":%llu", r->div->event, r->div->offset);
		report_json_kv(b, "field", r->div->field);
		report_json_kv(b, "expected", r->div->expected);
		report_json_kv(b, "produced", r->div->produced);
		report_json_kv(b, "detail", r->div->detail);
		buf_add_u8(b, '}');
	}
	buf_printf(b, ",\"violations\":[");
	for (unsigned k = 0; k < r->nviol; k++) {
		if (k > 0)
			buf_add_u8(b, ',');
		check_json_escape(b, r->viol[k]);
	}
	buf_printf(b, "],\"violation_count\":%llu", r->viol_total);
	report_json_kv(b, "error", r->error);
	buf_printf(b, ",\"reasons\":[");
	for (const char *p = r->reasons; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n);

		if (p != r->reasons)
			buf_add_u8(b, ',');
		check_json_escape(b, line);
		free(line);
		p += n + (p[n] == '\n');
	}
	buf_add_u8(b, ']');
	report_json_kv(b, "artifacts", r->artifacts);
	report_json_kv(b, "minimized", r->minimized);
	report_json_kv(b, "minimize_error", r->minimize_error);
	buf_init(&cap);
	for (int k = 1; k <= 2; k++) {
		buf_reset(&cap);
		check_run_captured(rep->cr, r, k, &cap);
		buf_printf(b, ",\"%s\":", k == 1 ? "stdout" : "stderr");
		check_json_escape(b, cap.len > 0 ? (char *)cap.data : "");
		buf_printf(b, ",\"%s_cut\":%llu", k == 1 ? "stdout" : "stderr", r->cap_cut[k - 1]);
	}
	buf_release(&cap);
}

void check_json_write(FILE *f, const struct check_report *rep)
{
	unsigned n = rep->s->n, failed = report_failed(rep);
	struct buf b;

	buf_init(&b);
	fprintf(f, "{\"tool\":\"virtio-replay check\",\"tests\":%u,\"passed\":%u,\"failed\":%u,\"results\":[\n",
	    n, n - failed, failed);
	for (unsigned i = 0; i < n; i++) {
		buf_reset(&b);
		report_json_result(&b, rep, i);
		buf_printf(&b, "}%s\n", i + 1 < n ? "," : "");
		fwrite(b.data, 1, b.len, f);
	}
	fprintf(f, "]}\n");
	buf_release(&b);
}
