/*
 * test-report-compare.c - `netsplit compare` and the summary's figures:
 * latency is measured on ok ops only, so an op type with no ok op has no
 * latency (shown as "-"), never 0 ms or a -100% "improvement".
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/report.h"
#include "test.h"

/* A run directory DIR/NAME whose one write ended as type ("ok", "fail"),
   and one read that succeeded. */
static const char *write_run(const char *dir, const char *name,
			     const char *type, char *path, size_t size)
{
	char hist[1024];

	snprintf(path, size, "%s/%s", dir, name);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(hist, sizeof(hist),
		"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"index\":1,\"time\":5000000,\"process\":0,\"type\":\"%s\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"index\":2,\"time\":6000000,\"process\":0,\"type\":"
		"\"invoke\",\"f\":\"read\",\"value\":null}\n"
		"{\"index\":3,\"time\":8000000,\"process\":0,\"type\":\"ok\","
		"\"f\":\"read\",\"value\":1}\n", type);
	test_write_file(path, "history.jsonl", hist);
	test_write_file(path, "results.json",
		"{\"verdict\":\"valid\",\"checkers\":[]}\n");
	return path;
}

/* The summary.md that report_summary writes for r, into out. */
static void summary_of(const struct report_run *r, const char *dir,
		       struct sb *out)
{
	struct sb err = SB_INIT, path = SB_INIT;
	char buf[4096];
	size_t n;
	FILE *f;

	CHECK_EQ_INT(report_summary.write(r, dir, &err), 0);
	sb_addf(&path, "%s/summary.md", dir);
	f = fopen(path.buf, "r");
	CHECK(f != NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)))
		sb_add(out, buf, n);
	fclose(f);
	sb_release(&path);
	sb_release(&err);
}

/* The line of text that starts with label followed by spaces. */
static const char *line_of(const char *text, const char *label,
			   char *buf, size_t size)
{
	const char *p = text;
	size_t n = strlen(label);

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, label, n) && p[n] == ' ') {
			snprintf(buf, size, "%.*s", (int)len, p);
			return buf;
		}
		p = nl ? nl + 1 : NULL;
	}
	return "";
}

TEST(report_compare_no_ok_ops_has_no_latency)
{
	const char *dir = test_tmpdir();
	char pa[512], pb[512], line[512];
	struct report_run a, b;
	struct sb err = SB_INIT, out = SB_INIT, md = SB_INIT;

	write_run(dir, "a", "ok", pa, sizeof(pa));
	write_run(dir, "b", "fail", pb, sizeof(pb));
	CHECK_EQ_INT(report_run_load(&a, pa, &err), 0);
	CHECK_EQ_INT(report_run_load(&b, pb, &err), 0);
	report_compare_text(&a, &b, &out);

	/* A's write took 5 ms; B's write failed: no latency, no change */
	line_of(out.buf, "write: latency p50 (ms)", line, sizeof(line));
	CHECK_CONTAINS(line, "5.00");
	CHECK(!strstr(line, "0.00 "));
	CHECK(!strstr(line, "%"));
	CHECK(strstr(line, " - ") || line[strlen(line) - 1] == '-');
	line_of(out.buf, "write: latency max (ms)", line, sizeof(line));
	CHECK(!strstr(line, "-100.0%"));
	/* the reads succeeded in both: a real figure and no change */
	line_of(out.buf, "read: latency p50 (ms)", line, sizeof(line));
	CHECK_CONTAINS(line, "2.00");
	CHECK_CONTAINS(line, "+0.0%");

	/* the other way round: B's latency is not "new" against nothing */
	sb_reset(&out);
	report_compare_text(&b, &a, &out);
	line_of(out.buf, "write: latency p99 (ms)", line, sizeof(line));
	CHECK(!strstr(line, "new"));
	CHECK(!strstr(line, "0.00 "));

	/* the summary of a run without one ok write still has the reads'
	   latency; with no ok op at all it gives none */
	summary_of(&b, pb, &md);
	CHECK_CONTAINS(md.buf, "p50 2.0 ms");
	report_run_release(&a);
	report_run_release(&b);

	sb_reset(&md);
	snprintf(line, sizeof(line), "%s/c", dir);
	CHECK(mkdir(line, 0755) == 0);
	test_write_file(line, "history.jsonl",
		"{\"index\":0,\"time\":0,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"index\":1,\"time\":5000000,\"process\":0,\"type\":"
		"\"fail\",\"f\":\"write\",\"value\":1}\n");
	CHECK_EQ_INT(report_run_load(&a, line, &err), 0);
	summary_of(&a, line, &md);
	CHECK(!strstr(md.buf, "p50 0.0 ms"));
	CHECK_CONTAINS(md.buf, "no ok op");
	report_run_release(&a);
	sb_release(&err);
	sb_release(&out);
	sb_release(&md);
}
