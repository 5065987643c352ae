/*
 * compare.c - two runs side by side (before and after a database upgrade):
 * settings, overall and per-checker verdicts with anomaly counts, op
 * counts, throughput and latency percentiles (all ops, then per op type),
 * with the change from A to B.  As text for a terminal and as one
 * self-contained HTML page (inline CSS, no script, values escaped).
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct cmp_row {
	struct sb label, a, b, delta;
	int changed;	/* verdicts or counts differ */
};

struct cmp {
	struct cmp_row *rows;
	size_t n, alloc;
};

static struct cmp_row *add_row(struct cmp *c, const char *label)
{
	struct cmp_row *row;

	ALLOC_GROW(c->rows, c->n + 1, c->alloc);
	row = &c->rows[c->n++];
	memset(row, 0, sizeof(*row));
	row->label = (struct sb)SB_INIT;
	row->a = (struct sb)SB_INIT;
	row->b = (struct sb)SB_INIT;
	row->delta = (struct sb)SB_INIT;
	sb_adds(&row->label, label);
	return row;
}

static void text_row(struct cmp *c, const char *label, const char *a,
		     const char *b)
{
	struct cmp_row *row = add_row(c, label);

	sb_adds(&row->a, a);
	sb_adds(&row->b, b);
	row->changed = strcmp(a, b) != 0;
}

static void num_row(struct cmp *c, const char *label, double a, double b,
		    const char *fmt)
{
	struct cmp_row *row = add_row(c, label);

	sb_addf(&row->a, fmt, a);
	sb_addf(&row->b, fmt, b);
	if (a != 0)
		sb_addf(&row->delta, "%+.1f%%", (b - a) / a * 100);
	else if (b != 0)
		sb_adds(&row->delta, "new");
}

/*
 * A latency row: only ok ops have a latency, so a run without any (every
 * op of this type failed, or it has none) shows "-" rather than 0 ms, and
 * there is no change to give.
 */
static void lat_row(struct cmp *c, const char *label, size_t oka,
		    double a, size_t okb, double b)
{
	struct cmp_row *row;

	if (oka && okb) {
		num_row(c, label, a, b, "%.2f");
		return;
	}
	row = add_row(c, label);
	if (oka)
		sb_addf(&row->a, "%.2f", a);
	else
		sb_adds(&row->a, "-");
	if (okb)
		sb_addf(&row->b, "%.2f", b);
	else
		sb_adds(&row->b, "-");
	row->changed = oka || okb;
}

static void field_row(struct cmp *c, const struct report_run *a,
		      const struct report_run *b, const char *label,
		      const char *field)
{
	struct sb va = SB_INIT, vb = SB_INIT;

	report_run_field(a, field, &va);
	report_run_field(b, field, &vb);
	text_row(c, label, va.len ? va.buf : "-", vb.len ? vb.buf : "-");
	sb_release(&va);
	sb_release(&vb);
}

/* "invalid (3)" for checker name in run r, or "-" if it did not run. */
static void checker_cell(const struct report_run *r, const char *name,
			 struct sb *out)
{
	json_t *c;
	size_t i;

	if (r->results)
		json_array_foreach(json_object_get(r->results, "checkers"),
				   i, c) {
			const char *cn = json_string_value(
				json_object_get(c, "checker"));
			if (!cn || strcmp(cn, name))
				continue;
			sb_addf(out, "%s (%zu)", report_checker_verdict(c),
				report_checker_count(c));
			return;
		}
	sb_adds(out, "-");
}

static void checker_rows(struct cmp *c, const struct report_run *a,
			 const struct report_run *b)
{
	const struct report_run *runs[2] = { a, b };
	json_t *x;
	size_t r, i, k;

	for (r = 0; r < 2; r++) {
		if (!runs[r]->results)
			continue;
		json_array_foreach(json_object_get(runs[r]->results,
						   "checkers"), i, x) {
			const char *cn = json_string_value(
				json_object_get(x, "checker"));
			struct sb label = SB_INIT, va = SB_INIT, vb = SB_INIT;

			if (!cn)
				continue;
			sb_addf(&label, "checker %s", cn);
			for (k = 0; k < c->n; k++)
				if (!strcmp(c->rows[k].label.buf, label.buf))
					break;
			if (k == c->n) {
				checker_cell(a, cn, &va);
				checker_cell(b, cn, &vb);
				text_row(c, label.buf, va.buf, vb.buf);
			}
			sb_release(&label);
			sb_release(&va);
			sb_release(&vb);
		}
	}
}

static void stats_rows(struct cmp *c, const struct report_run *a,
		       const struct report_run *b, const char *f)
{
	struct report_stats sa, sb_;
	struct sb p = SB_INIT, l = SB_INIT;

	report_stats_compute(a, f, &sa);
	report_stats_compute(b, f, &sb_);
	if (f)
		sb_addf(&p, "%s: ", f);
#define ROW(name, fa, fb, fmt)                                            \
	do {                                                              \
		sb_reset(&l);                                             \
		sb_addf(&l, "%s%s", p.buf, name);                         \
		num_row(c, l.buf, (double)(fa), (double)(fb), fmt);       \
	} while (0)
	ROW("ops", sa.ops, sb_.ops, "%.0f");
	ROW("ok", sa.ok, sb_.ok, "%.0f");
	ROW("fail", sa.fail, sb_.fail, "%.0f");
	ROW("indeterminate", sa.info, sb_.info, "%.0f");
	if (!f)
		ROW("duration (s)", sa.duration_s, sb_.duration_s, "%.1f");
	ROW("throughput (ok/s)", sa.throughput, sb_.throughput, "%.1f");
#define LAT(name, field)                                                  \
	do {                                                              \
		sb_reset(&l);                                             \
		sb_addf(&l, "%slatency %s (ms)", p.buf, name);            \
		lat_row(c, l.buf, sa.ok, sa.field, sb_.ok, sb_.field);    \
	} while (0)
	LAT("p50", p50_ms);
	LAT("p95", p95_ms);
	LAT("p99", p99_ms);
	LAT("max", max_ms);
#undef LAT
#undef ROW
	sb_release(&p);
	sb_release(&l);
}

static void build(struct cmp *c, const struct report_run *a,
		  const struct report_run *b)
{
	size_t i, r;
	const struct report_run *runs[2] = { a, b };
	struct sb seen = SB_INIT;

	text_row(c, "run", a->dir, b->dir);
	field_row(c, a, b, "name", "name");
	field_row(c, a, b, "database", "db");
	field_row(c, a, b, "workload", "workload");
	field_row(c, a, b, "nemesis", "nemesis");
	field_row(c, a, b, "version", "version");
	text_row(c, "verdict", report_run_verdict(a), report_run_verdict(b));
	checker_rows(c, a, b);
	stats_rows(c, a, b, NULL);
	/* per op type, over the union of both runs' op types */
	sb_addc(&seen, '\n');
	for (r = 0; r < 2; r++)
		for (i = 0; i < runs[r]->nops; i++) {
			const struct history *h = &runs[r]->hist;
			const char *f = hist_str(h,
						 h->ev[runs[r]->ops[i].inv].f);
			struct sb k = SB_INIT;

			sb_addf(&k, "\n%s\n", f);
			if (!strstr(seen.buf, k.buf) && strlen(f) < 64 &&
			    seen.len < 1024) {
				sb_addf(&seen, "%s\n", f);
				stats_rows(c, a, b, f);
			}
			sb_release(&k);
		}
	sb_release(&seen);
}

static void release(struct cmp *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		sb_release(&c->rows[i].label);
		sb_release(&c->rows[i].a);
		sb_release(&c->rows[i].b);
		sb_release(&c->rows[i].delta);
	}
	free(c->rows);
}

static void sanitize(struct sb *s)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		if ((unsigned char)s->buf[i] < 0x20 || s->buf[i] == 0x7f)
			s->buf[i] = '?';
}

void report_compare_text(const struct report_run *a,
			 const struct report_run *b, struct sb *out)
{
	struct cmp c = { NULL, 0, 0 };
	int wl = 28, wa = 24, wb = 24;	/* at least; wider to fit */
	size_t i;

	build(&c, a, b);
	for (i = 0; i < c.n; i++) {	/* no terminal escapes from a run */
		sanitize(&c.rows[i].label);
		sanitize(&c.rows[i].a);
		sanitize(&c.rows[i].b);
		if (c.rows[i].label.len > (size_t)wl - 1)
			wl = (int)c.rows[i].label.len + 1;
		if (c.rows[i].a.len > (size_t)wa - 1)
			wa = (int)c.rows[i].a.len + 1;
		if (c.rows[i].b.len > (size_t)wb - 1)
			wb = (int)c.rows[i].b.len + 1;
	}
	sb_addf(out, "%-*s %-*s %-*s %s\n", wl, "", wa, "A", wb, "B",
		"change");
	for (i = 0; i < c.n; i++)
		sb_addf(out, "%-*s %-*s %-*s %s%s\n", wl,
			c.rows[i].label.buf, wa, c.rows[i].a.buf, wb,
			c.rows[i].b.buf, c.rows[i].delta.buf,
			c.rows[i].changed && i ? "  <- differs" : "");
	release(&c);
}

void report_compare_html(const struct report_run *a,
			 const struct report_run *b, struct sb *out)
{
	struct cmp c = { NULL, 0, 0 };
	size_t i;

	build(&c, a, b);
	sb_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">\n<meta http-equiv="
		"\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'\">\n<title>netsplit compare"
		"</title>\n<style>body{font:14px system-ui,sans-serif;"
		"margin:20px}table{border-collapse:collapse}td,th{border:"
		"1px solid #ddd;padding:2px 8px;text-align:left}"
		"tr.changed td{background:#fff3e0}td.n{text-align:right;"
		"font-family:monospace}</style></head><body>\n"
		"<h1>netsplit compare</h1>\n<table id=\"compare\">"
		"<tr><th></th><th>A</th><th>B</th><th>change</th></tr>\n");
	for (i = 0; i < c.n; i++) {
		sb_addf(out, "<tr%s><th>", c.rows[i].changed && i
			? " class=\"changed\"" : "");
		report_html_escape(out, c.rows[i].label.buf);
		sb_adds(out, "</th><td>");
		report_html_escape(out, c.rows[i].a.buf);
		sb_adds(out, "</td><td>");
		report_html_escape(out, c.rows[i].b.buf);
		sb_adds(out, "</td><td class=\"n\">");
		report_html_escape(out, c.rows[i].delta.buf);
		sb_adds(out, "</td></tr>\n");
	}
	sb_adds(out, "</table>\n</body></html>\n");
	release(&c);
}
