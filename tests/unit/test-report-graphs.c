/*
 * test-report-graphs.c - the report's gnuplot graphs (reports/gnuplot.c):
 * the scripts they write (through a stand-in gnuplot that keeps them) and
 * what the real gnuplot makes of an awkward history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "reports/report.h"

static char *read_file(const char *dir, const char *name)
{
	char path[4096];
	struct sb s = SB_INIT;
	char buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&s, buf, n);
	fclose(f);
	return sb_detach(&s, NULL);
}

/* A gnuplot that keeps each script as kept-NAME.gp in dir and fails. */
static void fake_gnuplot(const char *dir)
{
	char path[4096], text[8192];

	snprintf(text, sizeof(text), "#!/bin/sh\ncp \"$1\" \"%s/kept-$(basename "
		 "\"$1\")\"\nexit 1\n", dir);
	test_write_file(dir, "gnuplot", text);
	snprintf(path, sizeof(path), "%s/gnuplot", dir);
	CHECK(chmod(path, 0755) == 0);
	setenv("NS_GNUPLOT", path, 1);
}

static const char ops3[] =
	"{\"time\":0,\"process\":0,\"type\":\"invoke\",\"f\":\"read\","
	"\"value\":null}\n"
	"{\"time\":1,\"process\":0,\"type\":\"ok\",\"f\":\"read\","
	"\"value\":1}\n"
	"{\"time\":2,\"process\":1,\"type\":\"invoke\",\"f\":\"write\","
	"\"value\":2}\n"
	"{\"time\":3,\"process\":1,\"type\":\"ok\",\"f\":\"write\","
	"\"value\":2}\n";

TEST(report_stale_bins_in_lag_order)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct report_graph g[REPORT_MAX_GRAPHS];
	struct sb err = SB_INIT;
	size_t n, i;
	char *gp;

	fake_gnuplot(dir);
	test_write_file(dir, "history.jsonl", ops3);
	/* as the run writes it: keys sorted (JSON_SORT_KEYS) */
	test_write_file(dir, "results.json",
		"{\"verdict\":\"invalid\",\"checkers\":[{\"checker\":"
		"\"stale\",\"verdict\":\"invalid\",\"anomaly_count\":0,"
		"\"anomalies\":[],\"stats\":{\"histogram\":{\"0\":5,"
		"\"<100ms\":3,\"<10ms\":2,\"<10s\":0,\"<1ms\":1,\"<1s\":4,"
		"\">=10s\":6}}}]}\n");
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	n = report_graphs(&r, g);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(g[2].name, "stale");
	gp = read_file(dir, "kept-stale.gp");
	CHECK(gp != NULL);
	CHECK_CONTAINS(gp, "set xtics ('0' 0, '<1ms' 1, '<10ms' 2, "
		       "'<100ms' 3, '<1s' 4, '<10s' 5, '>=10s' 6)");
	/* and the counts follow their labels */
	CHECK_CONTAINS(gp, "$S << EOD\n0 5\n1 1\n2 2\n3 3\n4 4\n5 0\n6 6\n"
		       "EOD\n");
	free(gp);
	for (i = 0; i < n; i++)
		report_graph_release(&g[i]);
	report_run_release(&r);
	sb_release(&err);
}

TEST_T(report_graphs_of_ops_a_few_ns_apart, 60)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct report_graph g[REPORT_MAX_GRAPHS];
	struct sb err = SB_INIT;
	size_t n, i;

	unsetenv("NS_GNUPLOT");
	if (system("command -v gnuplot >/dev/null 2>&1"))
		test_fail_(__FILE__, __LINE__, "gnuplot is not installed "
			   "(scripts/install-deps installs it)");
	test_write_file(dir, "history.jsonl", ops3);
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	n = report_graphs(&r, g);
	CHECK_EQ_INT(n, 2);
	for (i = 0; i < n; i++) {
		if (!g[i].png.len)
			test_fail_(__FILE__, __LINE__, "%s graph not drawn: "
				   "%s", g[i].name, g[i].note.buf);
	}
	for (i = 0; i < n; i++)
		report_graph_release(&g[i]);
	report_run_release(&r);
	sb_release(&err);
}

/* The value of the first "lc rgb '#xxxxxx' title 'TITLE'" in gp. */
static void series_colour(const char *gp, const char *title, char out[8])
{
	char want[128];
	const char *p;

	snprintf(want, sizeof(want), "' title '%s'", title);
	p = strstr(gp, want);
	CHECK(p != NULL);
	CHECK(p - gp >= 7);
	memcpy(out, p - 7, 7);
	out[7] = 0;
	CHECK(out[0] == '#');
}

/*
 * The throughput graph: one colour per op type (its ok, fail and info
 * lines share it, told apart by dashes), a legend entry each, the fault
 * window still shaded; and a steady rate stays steady to the last event
 * (no drop drawn where the last bucket is only partly filled).
 */
TEST(report_rate_colour_per_op_type)
{
	const char *dir = test_tmpdir();
	static const char *const fs[] = { "read", "write", "cas" };
	struct report_run r;
	struct report_graph g[REPORT_MAX_GRAPHS];
	struct sb err = SB_INIT, h = SB_INIT;
	char c_read[8], c_write[8], c_cas[8], c_fail[8];
	const char *p, *end;
	size_t n, i;
	char *gp;

	fake_gnuplot(dir);
	/* 10 completions a second for 9.95 s, op types in turn; a failed
	   read; a partition from 2 s to 4 s */
	for (i = 0; i < 200; i++) {
		long long t = (long long)i * 50000000LL;
		const char *f = fs[i % 3];

		if (i == 40 || i == 80)
			for (n = 0; n < 2; n++)
				sb_addf(&h, "{\"time\":%lld,\"process\":"
					"\"nemesis\",\"type\":\"%s\",\"f\":"
					"\"%s-partition\",\"value\":null}\n",
					t, n ? "info" : "invoke",
					i == 40 ? "start" : "stop");
		sb_addf(&h, "{\"time\":%lld,\"process\":%zu,\"type\":"
			"\"invoke\",\"f\":\"%s\",\"value\":null}\n", t, i % 5,
			f);
		sb_addf(&h, "{\"time\":%lld,\"process\":%zu,\"type\":\"%s\","
			"\"f\":\"%s\",\"value\":null}\n", t + 40000000LL,
			i % 5, i == 99 ? "fail" : "ok", f);
	}
	test_write_file(dir, "history.jsonl", h.buf);
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	n = report_graphs(&r, g);
	gp = read_file(dir, "kept-rate.gp");
	CHECK(gp != NULL);
	series_colour(gp, "read ok", c_read);
	series_colour(gp, "write ok", c_write);
	series_colour(gp, "cas ok", c_cas);
	series_colour(gp, "read fail", c_fail);
	CHECK(strcmp(c_read, c_write) && strcmp(c_read, c_cas) &&
	      strcmp(c_write, c_cas));
	CHECK_EQ_STR(c_fail, c_read);
	CHECK_CONTAINS(gp, "dt 2 lc rgb '");
	CHECK_CONTAINS(gp, "set object 1 rect from 2.0");
	/* every bucket of a steady series near its rate: 200 completions
	   over 10 s, a third of them reads */
	p = strstr(gp, "$R0 << EOD\n");
	CHECK(p != NULL);
	end = strstr(p + 10, "EOD\n");
	CHECK(end != NULL);
	for (p = strchr(p, '\n') + 1; p < end; p = strchr(p, '\n') + 1) {
		double x, y;

		CHECK(sscanf(p, "%lf %lf", &x, &y) == 2);
		if (y < 5 || y > 8.5)
			test_fail_(__FILE__, __LINE__, "rate %.3f at %.3f s, "
				   "expected about 6.7", y, x);
	}
	free(gp);
	for (i = 0; i < n; i++)
		report_graph_release(&g[i]);
	report_run_release(&r);
	sb_release(&err);
	sb_release(&h);
}
