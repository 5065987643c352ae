/*
 * cmd-compare.c - `netsplit compare [--html FILE] RUN_A RUN_B`: verdicts,
 * anomaly counts, latency percentiles and throughput of two runs side by
 * side (e.g. before and after a database upgrade), as text on stdout and,
 * with --html, as a self-contained HTML page.
 *
 * Exit status: 1 if either run found an anomaly, else 2 if either is
 * unknown, else 0; 3 for unreadable input; 4 when FILE cannot be written
 * (a harness error writing output, as for `netsplit report`).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "reports/report.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: netsplit compare [--html FILE] RUN_A RUN_B\n\n"
		"Compare two run directories: verdicts, anomaly counts, "
		"throughput and\nlatency percentiles (overall and per op "
		"type).  Text on stdout;\n--html FILE also writes the "
		"comparison as one HTML page.\n\n"
		"exit: 1 if either run found an anomaly, else 2 if either "
		"is unknown,\nelse 0; 3 for bad input, 4 if FILE could not "
		"be written\n");
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_run a, b;
	struct sb err = SB_INIT, out = SB_INIT;
	const char *html = NULL;
	int c, ret, ea, eb;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			html = optarg;
			break;
		case 'h':
			usage(stdout);
			return NS_EXIT_VALID;
		default:
			usage(stderr);
			return NS_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return NS_EXIT_USAGE;
	}
	ret = report_run_load(&a, argv[optind], &err);
	if (!ret)
		ret = report_run_load(&b, argv[optind + 1], &err);
	else
		memset(&b, 0, sizeof(b));
	if (ret) {
		/* what was learnt before the error, as report says it */
		warn_lines(&a.notes);
		if (b.dir)
			warn_lines(&b.notes);
		errorf("%s", err.buf);
		report_run_release(&a);
		if (b.dir)
			report_run_release(&b);
		sb_release(&err);
		return ns_exit_code(ret);
	}
	/* a run without its history compares as 0 ops: say why */
	warn_lines(&a.notes);
	warn_lines(&b.notes);
	report_compare_text(&a, &b, &out);
	fwrite(out.buf, 1, out.len, stdout);
	if (html) {
		sb_reset(&out);
		report_compare_html(&a, &b, &out);
		if (report_write_path(html, out.buf, out.len, &err)) {
			errorf("%s", err.buf);
			ret = NS_EXIT_HARNESS;
		}
	}
	ea = report_run_exit(&a);
	eb = report_run_exit(&b);
	if (!ret)
		ret = ea == NS_EXIT_ANOMALY || eb == NS_EXIT_ANOMALY
			? NS_EXIT_ANOMALY
			: ea == NS_EXIT_UNKNOWN || eb == NS_EXIT_UNKNOWN
			? NS_EXIT_UNKNOWN : NS_EXIT_VALID;
	report_run_release(&a);
	report_run_release(&b);
	sb_release(&err);
	sb_release(&out);
	return ret;
}
