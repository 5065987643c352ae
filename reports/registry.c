/*
 * registry.c - the report plug-ins, and writing all of them for a run
 * directory (report_write_all, used by `netsplit report` and at the end of
 * `netsplit run`).
 *
 * Files are written whole to NAME.tmp and renamed, so a reader (a CI job
 * collecting artifacts, a browser) never sees half a report.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int report_write_file(const char *dir, const char *name, const char *data,
		      size_t len, struct sb *err)
{
	struct sb path = SB_INIT, tmp = SB_INIT;
	int fd, ret = 0;
	size_t off = 0;

	sb_addf(&path, "%s/%s", dir, name);
	sb_addf(&tmp, "%s.tmp", path.buf);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sb_addf(err, "cannot write '%s': %s", tmp.buf,
			strerror(errno));
		ret = -NS_EWRITE;
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			sb_addf(err, "cannot write '%s': %s", tmp.buf,
				strerror(errno));
			ret = -NS_EWRITE;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !ret) {
		sb_addf(err, "cannot write '%s': %s", tmp.buf,
			strerror(errno));
		ret = -NS_EWRITE;
	}
	if (!ret && rename(tmp.buf, path.buf)) {
		sb_addf(err, "cannot rename '%s' to '%s': %s", tmp.buf,
			path.buf, strerror(errno));
		ret = -NS_EWRITE;
	}
	if (ret)
		unlink(tmp.buf);
out:
	sb_release(&path);
	sb_release(&tmp);
	return ret;
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
