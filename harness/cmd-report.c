/*
 * cmd-report.c - `netsplit report RUN_DIR`: write report.html, junit.xml
 * and summary.md into a run directory (and append the summary to
 * $GITHUB_STEP_SUMMARY when set).  `netsplit run` does the same at its end
 * through report_write_all().  The history is the run's history.jsonl
 * or a Jepsen store directory's history.edn or jepsen.log, in any format
 * `netsplit check` reads (detected from the content, or --format).
 *
 * Exit status: the run's verdict (0 valid, 1 anomaly found, 2 unknown or
 * not checked) once the reports are written; 3 when RUN_DIR or one of its
 * files cannot be read or is malformed; 4 when a report cannot be written
 * into RUN_DIR.  A $GITHUB_STEP_SUMMARY that cannot be appended to is a
 * warning naming the file: the verdict's exit code stands.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "err.h"
#include "reports/report.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: netsplit report [--format FORMAT] RUN_DIR\n\n"
		"Write report.html, junit.xml and summary.md into RUN_DIR "
		"(a directory\nwritten by 'netsplit run': run.json, "
		"history.jsonl, results.json).\nThe history may also be a "
		"Jepsen store directory's history.edn or\njepsen.log (the "
		"first of the three there), in any format 'netsplit check'\n"
		"reads, detected from the content; results.json may be the "
		"output of\n'netsplit check --json'.\n"
		"With $GITHUB_STEP_SUMMARY set, "
		"the summary is appended to that file too.\n"
		"(A file that cannot be appended to is a warning.)\n"
		"Graphs need gnuplot ($NS_GNUPLOT names another binary); "
		"without it the\nreport says so in their place.\n\n"
		"options:\n"
		"  --format FORMAT  read the history as json, edn or "
		"jepsen-log instead of\n"
		"                   detecting it\n"
		"  -h, --help       show this help\n\n"
		"exit: 0 valid, 1 anomaly found, 2 unknown (or not checked), "
		"3 RUN_DIR or one\nof its files unreadable or malformed, "
		"4 a report could not be written\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_run run;
	struct sb err = SB_INIT;
	enum hist_format fmt = HIST_FMT_AUTO;
	int c, ret;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			ret = hist_format_parse(optarg);
			if (ret < 0) {
				errorf("unknown --format '%s' (json, edn, "
				       "jepsen-log)", optarg);
				return NS_EXIT_USAGE;
			}
			fmt = (enum hist_format)ret;
			break;
		case 'h':
			usage(stdout);
			return NS_EXIT_VALID;
		default:
			usage(stderr);
			return NS_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return NS_EXIT_USAGE;
	}
	ret = report_run_load_as(&run, argv[optind], fmt, &err);
	if (!ret) {
		struct sb warn = SB_INIT;

		ret = report_write_run(&run, argv[optind], &err);
		if (report_step_summary(&run, &warn))
			warnf("%s", warn.buf);
		sb_release(&warn);
	}
	if (ret) {
		/* what was learnt before the error (a history's last line
		   cut short), as check warns before its error */
		warn_lines(&run.notes);
		errorf("%s", err.buf);
		sb_release(&err);
		report_run_release(&run);
		return ns_exit_code(ret);
	}
	for (i = 0; report_types[i]; i++)
		printf("%s/%s\n", argv[optind], report_types[i]->file);
	warn_lines(&run.notes);
	ret = report_run_exit(&run);
	report_run_release(&run);
	sb_release(&err);
	return ret;
}
