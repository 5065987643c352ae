/*
 * registry.c - the report plug-ins, and writing all of them for a run
 * directory (report_write_all, used by `netsplit report` and at the end of
 * `netsplit run`), each through report_write_file() (run.c).
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const struct report_type *const report_types[] = {
	&report_html,
	&report_junit,
	&report_summary,
	NULL,
};

const struct report_type *report_find(const char *name)
{
	size_t i;

	for (i = 0; report_types[i]; i++)
		if (!strcmp(report_types[i]->name, name))
			return report_types[i];
	return NULL;
}

int report_write_run(const struct report_run *run, const char *dir,
		     struct sb *err)
{
	int ret = 0, r;
	size_t i;

	for (i = 0; report_types[i]; i++) {
		struct sb e = SB_INIT;

		r = report_types[i]->write(run, dir, &e);
		if (r) {
			sb_addf(err, "%s%s report: %s", ret ? "; " : "",
				report_types[i]->name, e.buf);
			if (!ret)
				ret = r;
		}
		sb_release(&e);
	}
	return ret;
}

int report_write_all(const char *run_dir, struct sb *warn, struct sb *err)
{
	struct report_run run;
	int ret;

	ret = report_run_load(&run, run_dir, err);
	if (!ret) {
		ret = report_write_run(&run, run_dir, err);
		report_step_summary(&run, warn);
	}
	report_run_release(&run);
	return ret;
}
