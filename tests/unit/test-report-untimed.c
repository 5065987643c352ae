/*
 * test-report-untimed.c - report.html for a history without times (JSON
 * Lines without "time", as from a jepsen.log or EDN without :time): ops
 * and fault windows are cited where they are written, never "0.000", and
 * the timeline is drawn in history order and says so.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "histbuild.h"
#include "reports/report.h"
#include "run-dir.h"

/* A lost add (line 5) under a partition (lines 3 to 8), no times. */
static const char untimed_history[] =
	"{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"value\":1}\n"
	"{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"value\":1}\n"
	"{\"process\":\"nemesis\",\"type\":\"invoke\","
	"\"f\":\"start-partition\",\"value\":\"isolate n1\"}\n"
	"{\"process\":\"nemesis\",\"type\":\"info\","
	"\"f\":\"start-partition\",\"value\":\"isolate n1\"}\n"
	"{\"process\":1,\"type\":\"invoke\",\"f\":\"add\",\"value\":2}\n"
	"{\"process\":1,\"type\":\"ok\",\"f\":\"add\",\"value\":2}\n"
	"{\"process\":\"nemesis\",\"type\":\"invoke\","
	"\"f\":\"stop-partition\",\"value\":null}\n"
	"{\"process\":\"nemesis\",\"type\":\"info\","
	"\"f\":\"stop-partition\",\"value\":null}\n"
	"{\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,"
	"\"final\":true}\n"
	"{\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"value\":[1],"
	"\"final\":true}\n";

/* The number after `key` in s (s must hold it). */
static double num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	CHECK(p != NULL);
	return strtod(p + strlen(key), NULL);
}

/* The left of the timeline bar of the op whose invoke is index i. */
static double bar_left(const char *html, int i)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "data-i=\"%d\" style=\"left:", i);
	p = strstr(html, want);
	CHECK(p != NULL);
	return strtod(p + strlen(want), NULL);
}

/*
 * Write run dir (run-dir.h) from the untimed history, read as cited
 * (NULL: "history.jsonl"), recorded in results.json's "history":
 * {"file"} as check --json records it unless recorded is 0; then the
 * report named (report.html for "html"); returns its text.
 */
static char *untimed_report_cited(const char *dir, const char *name,
				  const char *cited, int recorded)
{
	struct report_run r;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(rundir_set_run(dir, untimed_history,
				    sizeof(untimed_history) - 1, cited,
				    recorded), 1);
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_EQ_INT(r.timed, 0);
	CHECK_EQ_INT(r.nfaults, 1);
	report_run_release(&r);
	sb_release(&err);
	return rundir_report(dir, name);
}

static char *untimed_report_of(const char *dir, const char *name)
{
	return untimed_report_cited(dir, name, NULL, 1);
}

static char *untimed_report(const char *dir)
{
	return untimed_report_of(dir, "html");
}

/* summary.md: counts, but no duration, rate or latency made of zeros */
TEST_T(report_untimed_summary_has_no_clock_figures, 20)
{
	char *text = untimed_report_of(test_tmpdir(), "summary");

	CHECK_CONTAINS(text, "the history has no times, so no duration, "
		       "rate or latency");
	CHECK(!strstr(text, "0.0 s,"));
	CHECK(!strstr(text, "ok/s"));
	CHECK(!strstr(text, "p50"));
	free(text);
}

TEST_T(report_untimed_cites_where_ops_are_written, 20)
{
	char *text = untimed_report(test_tmpdir());

	/* no op, fault or axis at "0.000" (every time is 0) */
	CHECK(!strstr(text, "0.000"));
	CHECK(!strstr(text, ">0 s<"));
	/* the story: where the lost add was invoked and acknowledged */
	CHECK_CONTAINS(text, "invoked (history.jsonl:5)");
	CHECK_CONTAINS(text, "acknowledged (ok) (history.jsonl:6)");
	/* the ops table */
	CHECK_CONTAINS(text, "<td>history.jsonl:5</td><td>history.jsonl:6"
		       "</td>");
	CHECK_CONTAINS(text, "<th>invoked (where)</th>");
	/* the fault in force, from its start to the stop's completion, in
	   the anomaly and the faults table */
	CHECK_CONTAINS(text, "Fault in force while these ops ran");
	CHECK_CONTAINS(text, "(from history.jsonl:3 to history.jsonl:8: "
		       "isolate n1)");
	CHECK_CONTAINS(text, "<td>history.jsonl:3</td><td>history.jsonl:8"
		       "</td>");
	/* the timeline's data: where, not seconds */
	CHECK_CONTAINS(text, "\"invoke\":\"history.jsonl:5\"");
	/* graphs of time: not drawn, and why */
	CHECK_CONTAINS(text, "the history records no times");
	free(text);
}

TEST_T(report_untimed_timeline_in_history_order, 20)
{
	char *text = untimed_report(test_tmpdir());
	const char *band, *tl;
	double a0 = bar_left(text, 0), a4 = bar_left(text, 4);
	double a8 = bar_left(text, 8), left, width;

	/* said on the page */
	CHECK_CONTAINS(text, "id=\"tl-untimed\"");
	CHECK_CONTAINS(text, "drawn in history order");
	CHECK_CONTAINS(text, "in history order: no times");
	/* bars follow the history, not all at the axis' 0 */
	CHECK(a0 < a4 && a4 < a8);
	/* the fault band spans events 2 to 7: past the add invoked at 4,
	   wide, not a 2 px sliver at 0 */
	tl = strstr(text, "<section id=\"timeline\"");
	CHECK(tl != NULL);
	band = strstr(tl, "class=\"fault-band\"");
	CHECK(band != NULL);
	left = num_after(band, "left:");
	width = num_after(band, "width:");
	CHECK(left < a4);
	CHECK(left + width > a4);
	CHECK(left + width < a8);
	/* ticks count lines */
	CHECK_CONTAINS(tl, "<span>line ");
	free(text);
}

/* The places the report cites are the checkers': the history named as
   check was given it (results.json's history.file), not its base name */
TEST_T(report_untimed_cites_as_the_checkers, 20)
{
	char *text = untimed_report_cited(test_tmpdir(), "html",
					  "runs/r1/history.jsonl", 1);

	/* the checker's sentence and the report's own places agree */
	CHECK_CONTAINS(text, "(runs/r1/history.jsonl:6)");
	CHECK_CONTAINS(text, "invoked (runs/r1/history.jsonl:5)");
	CHECK_CONTAINS(text, "<td>runs/r1/history.jsonl:5</td>"
		       "<td>runs/r1/history.jsonl:6</td>");
	CHECK_CONTAINS(text, "(from runs/r1/history.jsonl:3 to "
		       "runs/r1/history.jsonl:8: isolate n1)");
	CHECK(!strstr(text, "<td>history.jsonl:"));
	CHECK(!strstr(text, "(history.jsonl:"));
	free(text);
}

/* A results.json that does not name the history: the path read */
TEST_T(report_untimed_cites_the_path_read, 20)
{
	const char *dir = test_tmpdir();
	char *text = untimed_report_cited(dir, "html", NULL, 0);
	struct sb want = SB_INIT;

	sb_addf(&want, "<td>%s/history.jsonl:5</td>", dir);
	CHECK_CONTAINS(text, want.buf);
	sb_release(&want);
	free(text);
}
