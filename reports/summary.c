/*
 * summary.c - summary.md: the run in a few lines of Markdown for a CI
 * page (verdict per checker, the first anomalies in words, figures), and
 * the same appended to the file named by $GITHUB_STEP_SUMMARY when set
 * (report_step_summary: a file the CI job owns, so a failure there is the
 * callers' warning, never the report's error).
 *
 * GitHub takes at most 1 MiB per step summary: the text is capped at
 * SUMMARY_MAX, and what is appended never takes the step's file past it
 * (cut at a line, with a note).  Values from the run are escaped for
 * Markdown table cells and inline HTML (report_md_escape).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "hist-ops.h"
#include "html-internal.h"

#define SUMMARY_MAX (1024 * 1024)
#define MAX_LISTED 20

static const char *mark(const char *v)
{
	if (!strcmp(v, "valid"))
		return "\xe2\x9c\x85";		/* check mark */
	if (!strcmp(v, "invalid"))
		return "\xe2\x9d\x8c";		/* cross */
	return "\xe2\x9a\xa0\xef\xb8\x8f";	/* warning sign */
}

static void md_field(const struct report_run *r, const char *label,
		     const char *field, struct sb *out)
{
	struct sb v = SB_INIT;

	report_run_field(r, field, &v);
	sb_addf(out, "%s: ", label);
	if (v.len)
		report_md_escape(out, v.buf);
	else
		sb_adds(out, "unknown");
	sb_release(&v);
}

/*
 * Client ops by name (hist-ops.h: final reads left out), as a table with
 * the most common errors, when some op did not succeed: why a run tested
 * little (every write 'http 404') is read here, not in history.jsonl.
 */
static void ops_md(const struct report_run *r, struct sb *out)
{
	struct hist_ops o;
	size_t i, k, bad = 0;

	hist_ops_compute(&o, &r->hist);
	for (i = 0; i < o.n; i++)
		bad += o.op[i].fail + o.op[i].info;
	if (bad) {
		sb_adds(out, "| op | ok | fail | info | most common errors |\n"
			"|---|---|---|---|---|\n");
		for (i = 0; i < o.n; i++) {
			const struct hist_op_count *c = &o.op[i];
			struct sb t = SB_INIT;

			sb_adds(out, "| ");
			report_md_escape(out, hist_str(&r->hist, c->f));
			sb_addf(out, " | %zu | %zu | %zu | ", c->ok, c->fail,
				c->info);
			for (k = 0; k < c->nerrors; k++) {
				if (k)
					sb_adds(&t, ", ");
				hist_op_error_text(&r->hist, &c->top[k], 100,
						   &t);
			}
			report_md_escape(out, t.buf ? t.buf : "");
			sb_adds(out, " |\n");
			sb_release(&t);
		}
		sb_adds(out, "\n");
	}
	hist_ops_release(&o);
}

static void summary_md(const struct report_run *r, struct sb *out)
{
	const char *verdict = report_run_verdict(r);
	struct sb name = SB_INIT;
	struct report_stats st;
	json_t *c;
	size_t i, j, total = 0;

	report_run_field(r, "name", &name);
	sb_addf(out, "## netsplit: ");
	report_md_escape(out, name.len ? name.buf : r->dir);
	sb_addf(out, " %s %s\n\n", mark(verdict), verdict);
	md_field(r, "database", "db", out);
	sb_adds(out, " · ");
	md_field(r, "workload", "workload", out);
	sb_adds(out, " · ");
	md_field(r, "nemesis", "nemesis", out);
	sb_adds(out, " · ");
	md_field(r, "nodes", "nodes", out);
	sb_adds(out, " · ");
	md_field(r, "seed", "seed", out);
	sb_adds(out, "\n\n");
	if (!r->results) {
		sb_adds(out, "No results.json: the history was not "
			"checked.\n\n");
	} else {
		sb_adds(out, "| checker | verdict | anomalies | summary |\n"
			"|---|---|---|---|\n");
		json_array_foreach(json_object_get(r->results, "checkers"),
				   i, c) {
			const char *cn = json_string_value(
				json_object_get(c, "checker"));
			const char *v = report_checker_verdict(c);
			const char *s = json_string_value(
				json_object_get(c, "summary"));

			sb_adds(out, "| ");
			report_md_escape(out, cn ? cn : "?");
			sb_addf(out, " | %s %s | %zu | ", mark(v), v,
				report_checker_count(c));
			report_md_escape(out, s ? s : "");
			sb_adds(out, " |\n");
		}
		sb_adds(out, "\n");
	}
	/* found, which may be more than results.json lists */
	total = report_anomaly_total(r);
	for (i = 0; i < r->nanomalies && i < MAX_LISTED; i++) {
		const struct report_anomaly *an = &r->anomalies[i];

		if (!i)
			sb_adds(out, "### Anomalies\n\n");
		sb_addf(out, "%zu. **", i + 1);
		report_md_escape(out, an->kind);
		sb_adds(out, "** (");
		report_md_escape(out, an->checker);
		if (an->key) {
			sb_adds(out, ", key ");
			report_md_escape(out, an->key);
		}
		sb_adds(out, "): ");
		report_md_escape(out, an->text);
		for (j = 0; j < an->nops; j++)
			sb_addf(out, "%s%llu", j ? ", " : " (ops ",
				(unsigned long long)an->op_index[j]);
		sb_adds(out, an->nops ? ")\n" : "\n");
	}
	if (total > MAX_LISTED)
		sb_addf(out, "\n%zu more: report.html shows %zu in detail, "
			"results.json lists %zu of the %zu found.\n",
			total - MAX_LISTED,
			r->nanomalies < REPORT_HTML_MAX_ANOMALIES
			? r->nanomalies : (size_t)REPORT_HTML_MAX_ANOMALIES,
			r->nanomalies, total);
	if (r->nanomalies)
		sb_adds(out, "\n");
	if (r->have_hist) {
		report_stats_compute(r, NULL, &st);
		sb_addf(out, "%zu %s (%zu ok, %zu fail, %zu indeterminate)",
			st.ops, sb_plural(st.ops, "op", "ops"), st.ok,
			st.fail, st.info);
		if (r->timed)
			sb_addf(out, " in %.1f s, %.1f ok/s; ", st.duration_s,
				st.throughput);
		else	/* no clock: no duration, rate or latency */
			sb_adds(out, "; the history has no times, so no "
				"duration, rate or latency");
		/* only ok ops have a latency: none is not 0 ms */
		if (!r->timed)
			;
		else if (st.ok)
			sb_addf(out, "latency of ok ops: p50 %.1f ms, p99 "
				"%.1f ms, max %.1f ms", st.p50_ms, st.p99_ms,
				st.max_ms);
		else
			sb_adds(out, "no ok op, so no latency");
		sb_addf(out, "; %zu fault %s.\n\n", r->nfaults,
			sb_plural(r->nfaults, "window", "windows"));
		ops_md(r, out);
	}
	if (r->notes.len) {
		sb_adds(out, "> ");
		report_md_escape(out, r->notes.buf);
		sb_adds(out, "\n\n");
	}
	sb_adds(out, "Full report: `report.html` in ");
	sb_adds(out, "the run directory.\n");
	sb_release(&name);
}

/* Append to the step summary without taking it past SUMMARY_MAX. */
static int append_step_summary(const char *path, const struct sb *md,
			       struct sb *err)
{
	static const char cut[] = "\n\n*(summary cut: GitHub's 1 MiB "
				  "limit; see summary.md)*\n";
	struct stat st;
	size_t room, n = md->len;
	int fd;
	ssize_t w;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, &st)) {
		sb_addf(err, "cannot append to '%s' ($GITHUB_STEP_SUMMARY): "
			"%s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -NS_EWRITE;
	}
	room = (size_t)st.st_size < SUMMARY_MAX
		? SUMMARY_MAX - (size_t)st.st_size : 0;
	if (n > room) {
		n = room > sizeof(cut) ? room - sizeof(cut) : 0;
		while (n && md->buf[n - 1] != '\n')
			n--;
	}
	w = n ? write(fd, md->buf, n) : 0;
	if (w >= 0 && n < md->len && room >= sizeof(cut))
		w = write(fd, cut, sizeof(cut) - 1);
	if (w < 0) {
		sb_addf(err, "cannot append to '%s' ($GITHUB_STEP_SUMMARY): "
			"%s", path, strerror(errno));
		close(fd);
		return -NS_EWRITE;
	}
	close(fd);
	return 0;
}

static int write_summary(const struct report_run *r, const char *dir,
			 struct sb *err)
{
	struct sb md = SB_INIT;
	int ret;

	md.max = SUMMARY_MAX;
	summary_md(r, &md);
	ret = report_write_file(dir, "summary.md", md.buf, md.len, err);
	sb_release(&md);
	return ret;
}

int report_step_summary(const struct report_run *r, struct sb *err)
{
	struct sb md = SB_INIT;
	const char *gh = getenv("GITHUB_STEP_SUMMARY");
	int ret;

	if (!gh || !*gh)
		return 0;
	md.max = SUMMARY_MAX;
	summary_md(r, &md);
	ret = append_step_summary(gh, &md, err);
	sb_release(&md);
	return ret;
}

const struct report_type report_summary = {
	.name = "summary",
	.file = "summary.md",
	.write = write_summary,
};
