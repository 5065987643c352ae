/*
 * html-internal.h - pieces of report.html shared between html.c (header,
 * anomalies, faults, graphs) and timeline.c (the timeline and its data);
 * html-values.c has what both write (times, values, fault colours), so
 * html.c uses timeline.c and both use html-values.c, never the reverse.
 *
 * Every function appends already-escaped HTML to out: values from the
 * history or the config are escaped inside, never by the caller.
 *
 * Ownership: nothing is allocated for the caller; anom_of_op (below) is
 * owned by the html writer and borrowed by the timeline.
 */
#ifndef NS_REPORT_HTML_INTERNAL_H
#define NS_REPORT_HTML_INTERNAL_H

#include "report.h"

/* Anomalies listed in detail (the rest are counted). */
#define REPORT_HTML_MAX_ANOMALIES 200

/* ===== html-values.c ===== */

/* Seconds since the history's start, "12.345". */
void report__secs(const struct report_run *r, int64_t t, struct sb *out);
/* When the event at pos happened, as the checkers cite it: "12.345 s"
   with times, else where it is written, hist_where()'s
   "run/history.jsonl:14" (the history named as the checkers named it),
   or "run/history.jsonl: event 14" for an event with no line. */
void report__when(const struct report_run *r, size_t pos, struct sb *out);
/* For a table cell under "(s)" or "(where)": "12.345" with times (no
   unit), else as report__when. */
void report__op_time(const struct report_run *r, size_t pos,
		     struct sb *out);
/* The same for a point on the clock (report_clock): seconds with " s",
   or where the event at that position is written. */
void report__when_clock(const struct report_run *r, int64_t c,
			struct sb *out);
/* An event's value as text (strings bare, the rest JSON), HTML-escaped. */
void report__value_html(const struct report_run *r, size_t pos,
			struct sb *out);
/* Same, unescaped (for JSON data and the timeline's titles), shortened
   as evidence is (hist_value_show: a list to its first 64 elements, a
   string to its first 200 bytes, each with its size). */
void report__value_text(const struct report_run *r, size_t pos,
			struct sb *out);
/* An event's error text, HTML-escaped and shortened as values are
   (hist_str_show: its first 200 bytes, with its size). */
void report__error_html(const struct report_run *r, size_t pos,
			struct sb *out);
/* CSS colour of fault kind k (stable per kind within one report). */
const char *report__fault_colour(const struct report_run *r, size_t fault);

/* ===== timeline.c ===== */

/*
 * The timeline section.  anom_of_op[i] is, for client op i (index into
 * r->ops), 1 + the first anomaly citing it, or 0.  Appends the section
 * sets anchored[k] for each anomaly k (< nanom) marked in it, and adds
 * "ops": {index: details} to data for the ops drawn.
 */
void report__timeline(const struct report_run *r, const uint32_t *anom_of_op,
		      size_t nanom, int *anchored, struct sb *out,
		      json_t *data);
/* Overview strip: the whole run, fault bands and anomaly marks. */
void report__overview(const struct report_run *r, size_t nanom,
		      struct sb *out);

#endif
