/* test_check.c -- check's pieces: .expect parsing and its allow-list, report text escaping, shard hashing */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "vr/buf.h"
#include "vr/check.h"

static int parse(const char *text, struct check_expect *e, char **cause)
{
	*cause = NULL;
	return check_expect_parse("t.expect", text, strlen(text), e, cause);
}

Test(expect, directives)
{
	struct check_expect e;
	char *cause;

	cr_assert_eq(parse("# c\nexit 1\nstdout ^divergence\nstderr : diverged$\r\nargs --lenient --from 5 --to=9\n",
	    &e, &cause), 0);
	cr_assert_eq(e.exit_status, 1);
	cr_assert_eq(e.npat, 2);
	cr_assert_eq(e.pat[1].stream, 2);
	cr_assert_eq(e.nargs, 5);
	cr_assert_str_eq(e.args[3], "--to");
	cr_assert_str_eq(e.args[4], "9");
	check_expect_free(&e);
	cr_assert_eq(parse("stdout ^x{2,3} \\(offset 0x[0-9a-f]{1,8}\\)$\n", &e, &cause), 0);
	check_expect_free(&e);
	cr_assert_eq(parse("exit 0x2\n", &e, &cause), 0);
	cr_assert_eq(e.exit_status, 2);
	check_expect_free(&e);
	cr_assert_eq(parse("exit 010\n", &e, &cause), 0);
	cr_assert_eq(e.exit_status, 10, "a leading zero is not octal");
	check_expect_free(&e);
}

Test(expect, refusals)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "exit 256\n", "line 1: exit wants a status 0-255" },
		{ "exit -1\n", "exit wants" },
		{ "\nfrob 1\n", "line 2: unknown key" },
		{ "stdout (\n", "bad regular expression" },
		{ "args --json\n", "not allowed in an .expect" },
		{ "args /etc/passwd\n", "not allowed" },
		{ "args --log /tmp/x\n", "plain file name" },
		{ "args --db ../x.db\n", "plain file name" },
		{ "args --pcap .hidden\n", "plain file name" },
		{ "args --log a --log b\n", "output given twice" },
		{ "args --from\n", "wants a value" },
		{ "args --layout -0\n", "cannot start with '-'" },
		{ "args --from --db x\n", "cannot start with '-'" },
		{ "args --lenient=1\n", "takes no value" },
		{ "args --logx=1\n", "not allowed" },
		{ "exit 0\nstdout a\0b\n", "NUL byte" },
		{ "stdout (a*)*\\1\n", "too costly" },
		{ "stdout a{1000}\n", "too costly" },
		{ "stdout ((a{100}){100}){2}\n", "too costly" },
		{ "stdout x{0,2000}\n", "too costly" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct check_expect e;
		char *cause = NULL;
		size_t len = strlen(bad[i].text);

		if (strstr(bad[i].msg, "NUL"))
			len = 21;
		cr_assert_eq(check_expect_parse("t.expect", bad[i].text, len, &e, &cause), -1, "%s", bad[i].text);
		cr_assert_not_null(cause);
		cr_assert(strstr(cause, bad[i].msg) != NULL, "%s: %s", bad[i].text, cause);
		cr_assert(strncmp(cause, "t.expect: line ", 15) == 0, "%s", cause);
		free(cause);
	}
}

Test(expect, outputs_are_bare_names)
{
	struct check_expect e;
	char *cause;

	cr_assert_eq(parse("args --log r.log --db=run.db\n", &e, &cause), 0);
	cr_assert(check_expect_has_output(&e, "--log"));
	cr_assert(check_expect_has_output(&e, "--db"));
	cr_assert(!check_expect_has_output(&e, "--pcap"));
	cr_assert_eq(e.kind[1], CHECK_ARG_OUTPUT);
	check_expect_free(&e);
}

Test(expect, long_line)
{
	struct check_expect e;
	char *cause = NULL, *t = malloc(CHECK_LINE_MAX + 10);

	memset(t, '#', CHECK_LINE_MAX + 5);
	t[CHECK_LINE_MAX + 5] = '\0';
	cr_assert_eq(parse(t, &e, &cause), -1);
	cr_assert(strstr(cause, "longer than") != NULL);
	free(cause);
	free(t);
}

static char *clean(const char *p, size_t n)
{
	struct buf b;

	buf_init(&b);
	check_text_clean(&b, p, n);
	buf_add_u8(&b, '\0');
	return (char *)b.data;
}

Test(text, utf8_and_controls)
{
	static const char in[] = "a\xff\xc3\xa9\x01\n\t\xed\xa0\x80\xef\xbf\xbe\xc2\x85z";
	char *s = clean(in, sizeof in - 1);

	cr_assert_str_eq(s, "a\\xff\xc3\xa9\\x01\n\t\\xed\\xa0\\x80\\xef\\xbf\\xbe\\xc2\\x85z");
	free(s);
	s = check_name_escape("x\nok 1 - y#\\");
	cr_assert_str_eq(s, "x\\nok 1 - y\\#\\\\");
	free(s);
}

Test(text, quoting)
{
	struct buf b;

	buf_init(&b);
	check_xml_escape(&b, "<a href=\"x\">&'\n");
	cr_assert_str_eq((char *)buf_str(&b), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;");
	buf_reset(&b);
	check_json_escape(&b, "q\"\\\n");
	cr_assert_str_eq((char *)buf_str(&b), "\"q\\\"\\\\\\n\"");
	buf_release(&b);
}

Test(walk, shard_hash_is_fixed)
{
	/* FNV-1a 64: a shard must hold the same traces on every machine and in every release */
	cr_assert_eq(check_hash(""), 0xcbf29ce484222325ull);
	cr_assert_eq(check_hash("a"), 0xaf63dc4c8601ec8cull);
}
