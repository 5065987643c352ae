/*
 * run-dir.h - a run directory for report tests, as `netsplit run` (or
 * `check --json`) leaves one for a set workload: history.jsonl, and
 * results.json holding the set checker's verdict over it; then one
 * report written into it and read back.
 *
 * Each function is static: include this header from a test file only
 * (after test.h and histbuild.h).
 *
 * Ownership: rundir_report() returns the report's text, the caller's to
 * free().
 */
#ifndef NS_RUN_DIR_H
#define NS_RUN_DIR_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "histbuild.h"
#include "reports/report.h"
#include "test.h"

/*
 * Write dir/history.jsonl (hist, len bytes) and dir/results.json with
 * verdict "invalid" and the set checker's verdict over hist, read as
 * cited (NULL: "history.jsonl"); with record_file, results.json's
 * "history": {"file"} names it as check --json records it.  Returns how
 * many lost adds the checker found.
 */
static inline size_t rundir_set_run(const char *dir, const char *hist,
				    size_t len, const char *cited,
				    int record_file)
{
	struct history h;
	struct verdict v;
	struct sb err = SB_INIT;
	json_t *res;
	char *text;
	size_t lost;

	test_write_file(dir, "history.jsonl", hist);
	hist_init(&h);
	CHECK_EQ_INT(hist_read_mem(&h, cited ? cited : "history.jsonl", hist,
				   len, HIST_FMT_JSON, &err, &err), 0);
	text = hb_check(&h, "set", NULL, &v);
	CHECK(text != NULL);
	free(text);
	lost = hb_count(&v, "lost");
	res = json_pack("{s:s, s:[o]}", "verdict", "invalid", "checkers",
			verdict_json(&h, &v));
	if (record_file)
		json_object_set_new(res, "history",
				    json_pack("{s:s}", "file", h.source));
	text = json_dumps(res, JSON_COMPACT);
	test_write_file(dir, "results.json", text);
	free(text);
	json_decref(res);
	verdict_release(&v);
	hist_release(&h);
	sb_release(&err);
	return lost;
}

/* Write report name (report_find()) of run dir; returns its text. */
static inline char *rundir_report(const char *dir, const char *name)
{
	const struct report_type *t = report_find(name);
	struct report_run r;
	struct sb err = SB_INIT, path = SB_INIT;
	char *text;
	FILE *f;
	long size;

	CHECK(t != NULL);
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_EQ_INT(t->write(&r, dir, &err), 0);
	report_run_release(&r);
	sb_addf(&path, "%s/%s", dir, t->file);
	f = fopen(path.buf, "r");
	CHECK(f != NULL);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	text = malloc((size_t)size + 1);
	CHECK(text && fread(text, 1, (size_t)size, f) == (size_t)size);
	text[size] = 0;
	fclose(f);
	sb_release(&err);
	sb_release(&path);
	return text;
}

#endif
