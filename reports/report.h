/*
 * report.h - reports over a run directory: the loaded run, the report
 * plug-ins (html, junit, summary), the comparison of two runs, and the
 * escaping every report uses.
 *
 * A run directory (STORE/<name>/<timestamp>/) holds run.json (what was
 * run), history.jsonl (every event, nemesis events included) and
 * results.json ({"verdict", "checkers": [verdict_json() ...]}).  A
 * Jepsen store directory's history.edn or jepsen.log stands for
 * history.jsonl (with a results.json from `netsplit check --json`).
 * report_run_load() reads all three; a missing file is not an error (a run
 * that crashed before checking still deserves a report): it is noted in
 * run->notes, naming the file, and the reports say what is missing.  A
 * file that is present but unreadable or malformed is an error naming the
 * file (and line, for the history).
 *
 * Ownership: a struct report_run owns everything it holds (JSON through
 * jansson references, the history, the derived tables); reports borrow it
 * as const.  report_run_release() frees it all.  Strings returned by the
 * report_*() helpers that return char * are the caller's to free().
 */
#ifndef NS_REPORT_H
#define NS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "sb.h"

/* A fault window: from a nemesis start-<kind> to its stop-<kind>. */
struct report_fault {
	char *kind;		/* "partition-halves", ... ("fault" if none) */
	char *desc;		/* the start event's value, as JSON text */
	int64_t start, stop;	/* ns; stop is the history's end if open */
	int open;		/* never stopped */
	size_t start_pos;	/* position of the start event */
	size_t stop_pos;	/* of the event that closed it (the stop's
				   completion, else the stop); the last
				   event's if open */
};

/* One client operation: an invoke and its completion, if any. */
struct report_op {
	size_t inv;		/* position of the invoke */
	int64_t comp;		/* position of the completion, -1 if none */
};

/* An anomaly as results.json gives it, resolved against the history. */
struct report_anomaly {
	const char *checker;	/* borrowed from results JSON */
	const char *kind;
	const char *text;
	const char *key;	/* NULL if none */
	json_t *json;		/* borrowed: the anomaly object */
	size_t *ops;		/* invoke positions in hist.ev[] */
	uint64_t *op_index;	/* the ops' "index" fields, as cited */
	size_t nops;
	size_t unresolved;	/* cited ops not found in the history */
};

struct report_run {
	char *dir;
	json_t *run;		/* run.json, NULL if missing */
	json_t *results;	/* results.json, NULL if missing */
	struct history hist;	/* empty if there is no history */
	int have_hist;
	struct sb notes;	/* one line per missing or odd part */

	/* derived */
	struct report_fault *faults;	/* applied faults, in start order */
	size_t nfaults;
	struct report_fault *unapplied;	/* starts that failed; desc = why */
	size_t nunapplied;
	struct report_op *ops;	/* client ops in invoke order */
	size_t nops;
	struct report_anomaly *anomalies;	/* every listed anomaly */
	size_t nanomalies;
	int64_t t0, t1;		/* first and last event time, ns */
	int timed;		/* hist_timed(): without times, the report
				   orders events by position (report_clock) */
};

/*
 * Load RUN_DIR.  Returns 0 or -NS_EINPUT / -NS_EIO (message in err naming
 * the file).  A directory holding none of the three files is an error.
 * The history is history.jsonl or, in a Jepsen store directory,
 * history.edn, else jepsen.log (the first there); it is read as `netsplit
 * check` reads one, in any of the formats hist_read_file() knows:
 * detected from the content (report_run_load), or as fmt says
 * (report_run_load_as; HIST_FMT_AUTO detects).
 */
int report_run_load(struct report_run *r, const char *dir, struct sb *err);
int report_run_load_as(struct report_run *r, const char *dir,
		       enum hist_format fmt, struct sb *err);
void report_run_release(struct report_run *r);

/* A history value as text: strings bare, the rest JSON (not escaped). */
void report_value_text(const struct history *h, const struct hist_value *v,
		       struct sb *out);
/* Field of run.json as text ("" if absent); numbers and lists formatted. */
void report_run_field(const struct report_run *r, const char *name,
		      struct sb *out);
/*
 * One checker's entry of results.json: its verdict ("valid", "invalid",
 * anything else "unknown") and how many anomalies it found (anomaly_count,
 * never less than the anomalies listed).
 */
const char *report_checker_verdict(json_t *checker);
size_t report_checker_count(json_t *checker);
/* Anomalies found over every checker (more than r->anomalies may list). */
size_t report_anomaly_total(const struct report_run *r);
/*
 * Overall verdict: "valid", "invalid", "unknown" (no results: unknown):
 * results.json's "verdict"; when it has none (an older `check --json`),
 * the checkers' combined as `netsplit check` does (any invalid: invalid,
 * else any unknown: unknown).
 */
const char *report_run_verdict(const struct report_run *r);
/* Exit code for that verdict (enum ns_exit). */
int report_run_exit(const struct report_run *r);
/*
 * The report's clock.  A history with times (r->timed) runs on them (ns);
 * one without (a jepsen.log, EDN without :time, JSON Lines without
 * "time": every event at 0) runs on event positions, in history order,
 * so faults in force, bars and marks still follow the history rather
 * than all sitting at 0.  The reports say which: times are shown in
 * seconds, positions as where the event is written (report__when).
 */
static inline int64_t report_clock(const struct report_run *r, size_t pos)
{
	return r->timed ? r->hist.ev[pos].time : (int64_t)pos;
}
/* The clock at the history's end. */
static inline int64_t report_clock_end(const struct report_run *r)
{
	if (r->timed)
		return r->t1;
	return r->hist.n ? (int64_t)r->hist.n - 1 : 0;
}
/* A fault window's start and stop on that clock. */
static inline int64_t report_fault_start(const struct report_run *r,
					 const struct report_fault *f)
{
	return r->timed ? f->start : (int64_t)f->start_pos;
}
static inline int64_t report_fault_stop(const struct report_run *r,
					const struct report_fault *f)
{
	return r->timed ? f->stop : (int64_t)f->stop_pos;
}
/* Faults in force at some clock in [c0, c1]: indices into r->faults. */
size_t report_faults_during(const struct report_run *r, int64_t c0,
			    int64_t c1, size_t *out, size_t max);
/* Index into r->ops of the first op whose invoke is at position >= pos. */
size_t report_op_at(const struct report_run *r, size_t pos);
/* Clock of an op's end: its completion, or the history's end. */
int64_t report_op_end(const struct report_run *r, size_t inv);
/* "ok", "fail", "info" or "pending" (no completion) for an invoke. */
const char *report_op_outcome(const struct report_run *r, size_t inv);

/* ===== Statistics (stats.c) ===== */
struct report_stats {
	size_t ops, ok, fail, info;	/* info includes never completed */
	double duration_s;		/* first to last event */
	double throughput;		/* ok ops per second */
	double p50_ms, p95_ms, p99_ms, max_ms;	/* latency of ok ops */
};
void report_stats_compute(const struct report_run *r, const char *f,
			  struct report_stats *st);

/* ===== Escaping (escape.c) ===== */
/* HTML text and attribute values: & < > " ' as entities. */
void report_html_escape(struct sb *out, const char *s);
void report_html_escapen(struct sb *out, const char *s, size_t n);
/*
 * JSON text for inside an HTML <script> element: the JSON as given, with
 * every <, >, & and U+2028/U+2029 turned into \u003c, \u003e, \u0026,
 * \u2028, \u2029 (valid JSON, equal value, and no "</script>" or "<!--"
 * can appear).  Escapes are only ever inserted inside JSON strings, which
 * is where those characters can appear in valid JSON.
 */
void report_json_script_escape(struct sb *out, const char *json);
/* XML text and attribute values (junit): & < > " ' and control bytes. */
void report_xml_escape(struct sb *out, const char *s);
/* Markdown table cell: | and newlines escaped, HTML specials as entities. */
void report_md_escape(struct sb *out, const char *s);
/* Base64 (RFC 4648) of data, for data: URIs. */
void report_base64(struct sb *out, const void *data, size_t n);

/* ===== Graphs (gnuplot.c) ===== */
struct report_graph {
	const char *name;	/* "latency", "rate", "stale" */
	const char *title;
	struct sb png;		/* PNG bytes, empty if not drawn */
	struct sb note;		/* why not drawn, or how it was sampled */
};
#define REPORT_MAX_GRAPHS 3
/*
 * Draw the graphs for a run with gnuplot (found on $PATH, or $NS_GNUPLOT).
 * Never fails: a graph that could not be drawn has an empty png and a note
 * saying why.  Returns the number of graphs filled in g[].
 */
size_t report_graphs(const struct report_run *r,
		     struct report_graph g[REPORT_MAX_GRAPHS]);
void report_graph_release(struct report_graph *g);

/* ===== Report plug-ins ===== */
struct report_type {
	const char *name;	/* "html", "junit", "summary" */
	const char *file;	/* what it writes in dir */
	int (*write)(const struct report_run *run, const char *dir,
		     struct sb *err);
};

extern const struct report_type report_html, report_junit, report_summary;
/* The registry (reports/registry.c), NULL-terminated. */
extern const struct report_type *const report_types[];
const struct report_type *report_find(const char *name);

/* Write a whole file atomically (PATH.tmp, then rename(2) over PATH;
   reports/run.c), so a reader never sees half of it; err names the path.
   report_write_file() writes DIR/NAME. */
int report_write_path(const char *path, const char *data, size_t len,
		      struct sb *err);
int report_write_file(const char *dir, const char *name, const char *data,
		      size_t len, struct sb *err);

/*
 * Load run_dir, write every report into it and append the summary to
 * $GITHUB_STEP_SUMMARY (report_step_summary).  Returns 0 or the first
 * error (every report is still attempted); a step summary that cannot be
 * appended is not an error: its message goes to warn.  The end of
 * `netsplit run` calls this.
 */
int report_write_all(const char *run_dir, struct sb *warn, struct sb *err);
/* Write every report of a loaded run into dir (same rules; no step
   summary). */
int report_write_run(const struct report_run *run, const char *dir,
		     struct sb *err);
/*
 * When $GITHUB_STEP_SUMMARY is set, append the Markdown summary to the
 * file it names (never taking it past GitHub's 1 MiB).  Returns 0, or
 * -NS_EWRITE with a message naming the path: callers warn, the verdict's
 * exit code stands.
 */
int report_step_summary(const struct report_run *run, struct sb *err);

/* ===== Comparison (compare.c) ===== */
/* Text (for a terminal) and a self-contained HTML page comparing a, b. */
void report_compare_text(const struct report_run *a,
			 const struct report_run *b, struct sb *out);
void report_compare_html(const struct report_run *a,
			 const struct report_run *b, struct sb *out);

#endif
