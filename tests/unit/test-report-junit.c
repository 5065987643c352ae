/*
 * test-report-junit.c - junit.xml's testcase times: a checker's own time
 * when it reports one, the run's span for the interrupted run's testcase,
 * and no time attribute at all when none is known (never a time="0" that
 * reads as a check that took no time).
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "histbuild.h"
#include "reports/report.h"
#include "run-dir.h"

/* An add and a read, the last event at 3.5 s. */
static const char timed_history[] =
	"{\"time\":1000000000,\"process\":0,\"type\":\"invoke\","
	"\"f\":\"add\",\"value\":1}\n"
	"{\"time\":1500000000,\"process\":0,\"type\":\"ok\","
	"\"f\":\"add\",\"value\":1}\n"
	"{\"time\":3000000000,\"process\":1,\"type\":\"invoke\","
	"\"f\":\"read\",\"value\":null,\"final\":true}\n"
	"{\"time\":3500000000,\"process\":1,\"type\":\"ok\","
	"\"f\":\"read\",\"value\":[1],\"final\":true}\n";

/* The testcase element named name in xml, up to its '>'. */
static char *testcase(const char *xml, const char *name)
{
	char want[128];
	const char *p, *end;

	snprintf(want, sizeof(want), " name=\"%s\"", name);
	p = strstr(xml, want);
	CHECK(p != NULL);
	while (p > xml && strncmp(p, "<testcase", 9))
		p--;
	end = strchr(p, '>');
	CHECK(end != NULL);
	return strndup(p, (size_t)(end - p + 1));
}

TEST(junit_testcase_time_is_known_or_absent)
{
	const char *dir = test_tmpdir();
	char *xml, *tc;

	test_write_file(dir, "history.jsonl", timed_history);
	test_write_file(dir, "results.json",
			"{\"verdict\":\"unknown\",\"interrupted\":true,"
			"\"checkers\":["
			"{\"checker\":\"set\",\"verdict\":\"valid\"},"
			"{\"checker\":\"stale\",\"verdict\":\"valid\","
			"\"stats\":{\"time_s\":0.25}}]}");
	xml = rundir_report(dir, "junit");
	CHECK(!strstr(xml, "time=\"0\""));
	CHECK(!strstr(xml, "time=\"0.000\""));
	tc = testcase(xml, "set");	/* no time reported: none told */
	CHECK(!strstr(tc, "time="));
	free(tc);
	tc = testcase(xml, "stale");
	CHECK_CONTAINS(tc, "time=\"0.250\"");
	free(tc);
	/* the run's span, the suite's time: from the run's start (0) to
	   its last event */
	CHECK_CONTAINS(xml, "skipped=\"0\" time=\"3.500\"");
	tc = testcase(xml, "run");
	CHECK_CONTAINS(tc, "time=\"3.500\"");
	free(tc);
	free(xml);
}

TEST(junit_results_testcase_has_no_time)
{
	const char *dir = test_tmpdir();
	char *xml, *tc;

	test_write_file(dir, "history.jsonl", timed_history);
	xml = rundir_report(dir, "junit");
	tc = testcase(xml, "results");
	CHECK(!strstr(tc, "time="));
	free(tc);
	free(xml);
}
