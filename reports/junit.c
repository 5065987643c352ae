/*
 * junit.c - junit.xml: one testcase per checker, in the subset every CI
 * reads (testsuites > testsuite > testcase > failure | error):
 *
 *   <testsuites name="netsplit" tests failures errors skipped time>
 *     <testsuite name="netsplit.NAME" tests failures errors skipped time
 *                timestamp>
 *       <testcase classname="netsplit.NAME" name="CHECKER" time="S">
 *         valid:   nothing inside
 *         invalid: <failure type="invalid" message="3 anomalies: lost
 *                  (2), stale-read (1)">each anomaly in words</failure>
 *         unknown: <error type="unknown" message="unknown: ...">
 *
 * Unknown is an <error>, not a <failure> and not <skipped>: the history was
 * not shown to be wrong, so it is not a failure, but nothing was proved
 * either, and a skipped test reads as green in most CI dashboards.  A run
 * without results.json gets one testcase "results" with an <error>.
 * classname+name are unique (a checker listed twice gets "#2"), because
 * GitLab merges testcases that share them.  A checker's testcase time is
 * the checker's own (stats "time_s") when it reports one; the suite's and
 * the interrupted run's testcase's are the run's span: the history's, or
 * for a history without times (every event at 0) run.json's start_time to
 * end_time.  A time not known is left out (the attribute is optional in
 * the JUnit schemas CI reads, e.g. Jenkins' junit-10.xsd), rather than a
 * "0" that reads as something that took no time: a checker that reports
 * none, the "results" testcase, a run whose span is unknown.
 */
#define _GNU_SOURCE		/* timegm */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

#define MAX_DETAIL 50		/* anomalies told in a failure's body */

struct kind_count {
	const char *kind;
	size_t n;
};

static void attr(struct sb *out, const char *name, const char *val)
{
	sb_addf(out, " %s=\"", name);
	report_xml_escape(out, val);
	sb_addc(out, '"');
}

/*
 * "3 anomalies: lost (2), stale-read (1)", each kind counted over every
 * anomaly found ("anomaly_kinds"), not only over the ones results.json
 * lists; a results.json without it (written before it existed) is
 * counted from its list.
 */
static void failure_message(json_t *c, struct sb *out)
{
	json_t *list = json_object_get(c, "anomalies"), *a;
	json_t *kinds = json_object_get(c, "anomaly_kinds");
	size_t i, k, nk = 0, listed = json_array_size(list);
	size_t total = report_checker_count(c);
	struct kind_count *kc = xcalloc(listed ? listed : 1, sizeof(*kc));

	if (json_is_object(kinds) && json_object_size(kinds)) {
		const char *kind;

		sb_addf(out, "%zu %s", total, sb_plural(total, "anomaly",
							 "anomalies"));
		if (total > listed)
			sb_addf(out, " (%zu listed)", listed);
		k = 0;
		json_object_foreach(kinds, kind, a)
			sb_addf(out, "%s%s (%" JSON_INTEGER_FORMAT ")",
				k++ ? ", " : ": ", kind,
				json_integer_value(a));
		free(kc);
		return;
	}
	json_array_foreach(list, i, a) {
		const char *kind = json_string_value(
			json_object_get(a, "kind"));

		if (!kind)
			kind = "anomaly";
		for (k = 0; k < nk; k++)
			if (!strcmp(kc[k].kind, kind))
				break;
		if (k == nk)
			kc[nk++].kind = kind;
		kc[k].n++;
	}
	sb_addf(out, "%zu %s", total, sb_plural(total, "anomaly",
						 "anomalies"));
	if (total > listed)
		sb_addf(out, " (%zu listed)", listed);
	for (k = 0; k < nk; k++)
		sb_addf(out, "%s%s (%zu)", k ? ", " : ": ", kc[k].kind,
			kc[k].n);
	free(kc);
}

static void failure_body(json_t *c, struct sb *out)
{
	json_t *list = json_object_get(c, "anomalies"), *a, *op;
	const char *sum = json_string_value(json_object_get(c, "summary"));
	size_t i, j;

	if (sum)
		sb_addf(out, "%s\n", sum);
	json_array_foreach(list, i, a) {
		const char *kind = json_string_value(
			json_object_get(a, "kind"));
		const char *text = json_string_value(
			json_object_get(a, "text"));

		if (i == MAX_DETAIL) {
			/* results.json may list fewer than were found */
			sb_addf(out, "... %zu more: results.json lists "
				"%zu of them\n", report_checker_count(c) - i,
				json_array_size(list) - i);
			break;
		}
		sb_addf(out, "#%zu %s: %s", i + 1, kind ? kind : "anomaly",
			text ? text : "");
		json_array_foreach(json_object_get(a, "ops"), j, op) {
			json_t *ix = json_object_get(op, "index");

			if (json_is_integer(ix))
				sb_addf(out, "%s%" JSON_INTEGER_FORMAT,
					j ? ", " : " [ops ",
					json_integer_value(ix));
		}
		if (json_array_size(json_object_get(a, "ops")))
			sb_adds(out, "]");
		sb_addc(out, '\n');
	}
}

/* A time of run.json ("2026-11-24T05:50:00Z") in seconds; -1 if none. */
static double run_time(const struct report_run *r, const char *name)
{
	struct sb s = SB_INIT;
	struct tm tm;
	const char *end;
	double t = -1;

	report_run_field(r, name, &s);
	memset(&tm, 0, sizeof(tm));
	end = s.len ? strptime(s.buf, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (end && !*end)
		t = (double)timegm(&tm);
	sb_release(&s);
	return t;
}

/* The run's span in seconds (see the top of the file); -1: unknown. */
static double run_span(const struct report_run *r)
{
	double t0, t1;

	if (r->timed)
		return (double)(r->t1 - r->t0) / 1e9;
	t0 = run_time(r, "start_time");
	t1 = run_time(r, "end_time");
	return t0 >= 0 && t1 >= t0 ? t1 - t0 : -1;
}

static void time_attr(struct sb *out, double secs)
{
	if (secs >= 0)
		sb_addf(out, " time=\"%.3f\"", secs);
}

static int write_junit(const struct report_run *r, const char *dir,
		       struct sb *err)
{
	struct sb out = SB_INIT, cases = SB_INIT, name = SB_INIT;
	struct sb cls = SB_INIT, t = SB_INIT, ts = SB_INIT;
	size_t tests = 0, failures = 0, errors = 0, i, j;
	json_t *checkers = r->results
		? json_object_get(r->results, "checkers") : NULL, *c;
	double dur = run_span(r);
	int ret;

	report_run_field(r, "name", &name);
	sb_addf(&cls, "netsplit.%s", name.len ? name.buf : "run");
	json_array_foreach(checkers, i, c) {
		const char *cn = json_string_value(
			json_object_get(c, "checker"));
		const char *v = report_checker_verdict(c);
		size_t dup = 1;
		json_t *o, *ct;

		if (!cn)
			cn = "checker";
		json_array_foreach(checkers, j, o) {
			const char *on = json_string_value(
				json_object_get(o, "checker"));

			if (j >= i)
				break;
			if (!strcmp(on ? on : "checker", cn))
				dup++;
		}
		sb_reset(&t);
		sb_adds(&t, cn);
		if (dup > 1)
			sb_addf(&t, "#%zu", dup);
		tests++;
		sb_adds(&cases, "    <testcase");
		attr(&cases, "classname", cls.buf);
		attr(&cases, "name", t.buf);
		ct = json_object_get(json_object_get(c, "stats"), "time_s");
		time_attr(&cases, json_is_number(ct) ? json_number_value(ct)
						     : -1);
		if (!strcmp(v, "valid")) {
			sb_adds(&cases, "/>\n");
			continue;
		}
		sb_reset(&t);
		if (!strcmp(v, "invalid")) {
			failures++;
			failure_message(c, &t);
			sb_adds(&cases, ">\n      <failure type=\"invalid\"");
			attr(&cases, "message", t.buf);
			sb_adds(&cases, ">");
			sb_reset(&t);
			failure_body(c, &t);
			report_xml_escape(&cases, t.buf);
			sb_adds(&cases, "</failure>\n    </testcase>\n");
		} else {
			const char *sum = json_string_value(
				json_object_get(c, "summary"));

			errors++;
			sb_addf(&t, "unknown: %s", sum ? sum
				: "the checker could not decide");
			sb_adds(&cases, ">\n      <error type=\"unknown\"");
			attr(&cases, "message", t.buf);
			sb_adds(&cases, ">");
			report_xml_escape(&cases, "the checker could not "
					  "decide (time or memory budget, or "
					  "the history cannot tell); this is "
					  "not proof of an anomaly");
			sb_adds(&cases, "</error>\n    </testcase>\n");
		}
	}
	if (json_is_true(json_object_get(r->results, "interrupted"))) {
		/* The run's own verdict is unknown (exit 2) even when every
		   checker found the part recorded valid: without this case
		   a dashboard shows an interrupted run green. */
		tests++;
		errors++;
		sb_adds(&cases, "    <testcase");
		attr(&cases, "classname", cls.buf);
		sb_adds(&cases, " name=\"run\"");
		time_attr(&cases, dur);
		sb_adds(&cases, ">\n      <error type=\"interrupted\"");
		attr(&cases, "message", "the run was interrupted (Ctrl-C, "
		     "SIGTERM) before its time limit: only the history "
		     "recorded so far was checked");
		sb_adds(&cases, "/>\n    </testcase>\n");
	}
	if (!tests) {
		tests = errors = 1;
		sb_adds(&cases, "    <testcase");
		attr(&cases, "classname", cls.buf);
		sb_adds(&cases, " name=\"results\">\n"
			"      <error type=\"unknown\"");
		attr(&cases, "message", r->results
		     ? "results.json lists no checker"
		     : "results.json is missing: the history was not "
		       "checked");
		sb_adds(&cases, "/>\n    </testcase>\n");
	}
	sb_adds(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"netsplit\"");
	sb_addf(&out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"0\"", tests, failures, errors);
	time_attr(&out, dur);
	sb_adds(&out, ">\n  <testsuite");
	attr(&out, "name", cls.buf);
	sb_addf(&out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
		"skipped=\"0\"", tests, failures, errors);
	time_attr(&out, dur);
	report_run_field(r, "start_time", &ts);
	if (ts.len)
		attr(&out, "timestamp", ts.buf);
	sb_adds(&out, ">\n");
	sb_add(&out, cases.buf, cases.len);
	sb_adds(&out, "  </testsuite>\n</testsuites>\n");
	ret = report_write_file(dir, "junit.xml", out.buf, out.len, err);
	sb_release(&out);
	sb_release(&cases);
	sb_release(&name);
	sb_release(&cls);
	sb_release(&t);
	sb_release(&ts);
	return ret;
}

const struct report_type report_junit = {
	.name = "junit",
	.file = "junit.xml",
	.write = write_junit,
};
