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
