/*
 * test-report-escape.c - the reports' escaping functions (reports/escape.c)
 * and the run loader's handling of fault windows and cited ops.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "reports/report.h"

#define XSS "</script><script>alert(1)</script>"

TEST(report_html_escape_specials)
{
	struct sb out = SB_INIT;

	report_html_escape(&out, "a<b>&\"c\"'d'");
	CHECK_EQ_STR(out.buf, "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
	sb_reset(&out);
	report_html_escape(&out, XSS);
	CHECK(!strchr(out.buf, '<') && !strchr(out.buf, '>'));
	CHECK_EQ_STR(out.buf, "&lt;/script&gt;&lt;script&gt;alert(1)"
		     "&lt;/script&gt;");
	sb_reset(&out);
	report_html_escape(&out, "plain text, unicode \xc3\xa9");
	CHECK_EQ_STR(out.buf, "plain text, unicode \xc3\xa9");
	sb_release(&out);
}

TEST(report_json_script_escape_keeps_value)
{
	struct sb out = SB_INIT;
	json_t *v = json_pack("{s:s, s:s}", "x", XSS,
			      "y", "a&b\xe2\x80\xa8" "c\xe2\x80\xa9<!--");
	char *js = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *back;
	json_error_t je;

	report_json_script_escape(&out, js);
	CHECK(!strchr(out.buf, '<'));
	CHECK(!strchr(out.buf, '>'));
	CHECK(!strchr(out.buf, '&'));
	CHECK(!strstr(out.buf, "\xe2\x80\xa8"));
	CHECK(!strstr(out.buf, "\xe2\x80\xa9"));
	CHECK_CONTAINS(out.buf, "\\u003c/script\\u003e");
	CHECK_CONTAINS(out.buf, "a\\u0026b\\u2028c\\u2029\\u003c!--");
	/* still JSON, with the same value */
	back = json_loads(out.buf, 0, &je);
	CHECK(back != NULL);
	CHECK(json_equal(back, v));
	json_decref(back);
	json_decref(v);
	free(js);
	sb_release(&out);
}

TEST(report_xml_escape_specials_and_controls)
{
	struct sb out = SB_INIT;

	report_xml_escape(&out, "<a b=\"1\" c='2'>&\x01\t\n");
	CHECK_EQ_STR(out.buf, "&lt;a b=&quot;1&quot; c=&apos;2&apos;&gt;"
		     "&amp;?&#9;&#10;");
	sb_release(&out);
}

TEST(report_md_escape_cell)
{
	struct sb out = SB_INIT;

	report_md_escape(&out, "a|b\n*c* <script>");
	CHECK_EQ_STR(out.buf, "a\\|b \\*c\\* &lt;script&gt;");
	sb_release(&out);
}

TEST(report_base64_rfc4648)
{
	static const struct {
		const char *in, *out;
	} v[] = {	/* RFC 4648 section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	struct sb out = SB_INIT;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sb_reset(&out);
		report_base64(&out, v[i].in, strlen(v[i].in));
		CHECK_EQ_STR(out.buf, v[i].out);
	}
	sb_reset(&out);
	report_base64(&out, "\xff\x00\xfe", 3);
	CHECK_EQ_STR(out.buf, "/wD+");
	sb_release(&out);
}

TEST(report_run_faults_and_cited_ops)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT;

	test_write_file(dir, "history.jsonl",
		"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"index\":1,\"time\":10,\"process\":\"nemesis\","
		"\"type\":\"invoke\",\"f\":\"start-partition\","
		"\"value\":{\"targets\":[\"n1\"]}}\n"
		"{\"index\":2,\"time\":20,\"process\":\"nemesis\","
		"\"type\":\"info\",\"f\":\"start-partition\",\"value\":null}\n"
		"{\"index\":3,\"time\":30,\"process\":0,\"type\":\"ok\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"index\":4,\"time\":40,\"process\":\"nemesis\","
		"\"type\":\"info\",\"f\":\"stop-partition\",\"value\":null}\n"
		"{\"index\":5,\"time\":50,\"process\":\"nemesis\","
		"\"type\":\"info\",\"f\":\"start-kill\",\"value\":null}\n"
		"{\"index\":6,\"time\":60,\"process\":1,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n");
	test_write_file(dir, "results.json",
		"{\"verdict\":\"invalid\",\"checkers\":[{\"checker\":\"x\","
		"\"verdict\":\"invalid\",\"anomaly_count\":1,\"anomalies\":["
		"{\"kind\":\"lost\",\"text\":\"t\",\"ops\":["
		"{\"index\":3,\"position\":3},"	/* a completion: its invoke */
		"{\"index\":6,\"position\":99},"	/* bad position */
		"{\"index\":77}]}]}]}\n");		/* not in the history */
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_CONTAINS(r.notes.buf, "run.json is missing");
	CHECK_EQ_INT(r.nfaults, 2);
	CHECK_EQ_STR(r.faults[0].kind, "partition");
	CHECK_CONTAINS(r.faults[0].desc, "n1");
	CHECK_EQ_INT(r.faults[0].start, 10);
	CHECK_EQ_INT(r.faults[0].stop, 40);
	CHECK_EQ_INT(r.faults[0].open, 0);
	CHECK_EQ_STR(r.faults[1].kind, "kill");
	CHECK_EQ_INT(r.faults[1].open, 1);
	CHECK_EQ_INT(r.faults[1].stop, 60);
	CHECK_EQ_INT(r.nops, 2);
	CHECK_EQ_INT(r.nanomalies, 1);
	CHECK_EQ_INT(r.anomalies[0].nops, 2);
	CHECK_EQ_INT(r.anomalies[0].ops[0], 0);
	CHECK_EQ_INT(r.anomalies[0].ops[1], 6);
	CHECK_EQ_INT(r.anomalies[0].unresolved, 1);
	CHECK_EQ_STR(report_run_verdict(&r), "invalid");
	CHECK_EQ_INT(report_run_exit(&r), 1);
	CHECK_EQ_STR(report_op_outcome(&r, 0), "ok");
	CHECK_EQ_STR(report_op_outcome(&r, 6), "pending");
	report_run_release(&r);
	sb_release(&err);
}

TEST(report_run_fault_is_the_one_applied)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT;

	/* a partition-leader planned around n1, applied around n3 (the
	   leader when it started) */
	test_write_file(dir, "history.jsonl",
		"{\"time\":0,\"process\":\"nemesis\",\"type\":\"invoke\","
		"\"f\":\"start-partition-leader\",\"value\":{\"grudge\":"
		"{\"n1\":[\"n2\",\"n3\"]},\"planned\":\"n1\"}}\n"
		"{\"time\":10,\"process\":\"nemesis\",\"type\":\"info\","
		"\"f\":\"start-partition-leader\",\"value\":{\"grudge\":"
		"{\"n3\":[\"n1\",\"n2\"]},\"applied\":\"n3\"}}\n"
		"{\"time\":20,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n"
		"{\"time\":30,\"process\":0,\"type\":\"ok\","
		"\"f\":\"read\",\"value\":1}\n");
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_EQ_INT(r.nfaults, 1);
	CHECK_EQ_STR(r.faults[0].kind, "partition-leader");
	CHECK_CONTAINS(r.faults[0].desc, "\"applied\"");
	CHECK_CONTAINS(r.faults[0].desc, "\"n3\":[\"n1\",\"n2\"]");
	CHECK(!strstr(r.faults[0].desc, "planned"));
	report_run_release(&r);
	sb_release(&err);
}

TEST(report_run_errors_name_the_file)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT;

	CHECK(report_run_load(&r, dir, &err) < 0);
	CHECK_CONTAINS(err.buf, "is not a run directory");
	report_run_release(&r);
	sb_reset(&err);
	test_write_file(dir, "run.json", "[1, 2]\n");
	CHECK(report_run_load(&r, dir, &err) < 0);
	CHECK_CONTAINS(err.buf, "run.json: not a JSON object");
	report_run_release(&r);
	sb_release(&err);
}

/* A run directory whose check never ran (its controller was killed):
   the note says how to check it. */
TEST(report_unchecked_run_says_how_to_check_it)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT, want = SB_INIT;

	test_write_file(dir, "history.jsonl",
		"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n");
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	sb_addf(&want, "results.json is missing: the history was not "
		"checked, so there is no verdict (to check it: netsplit "
		"check --json %s/history.jsonl > %s/results.json, then report "
		"again)", dir, dir);
	CHECK_CONTAINS(r.notes.buf, want.buf);
	report_run_release(&r);
	sb_release(&err);
	sb_release(&want);
}
