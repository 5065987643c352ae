/*
 * timeline.c - the timeline of report.html, in the spirit of Jepsen's
 * timeline.html: one lane per client process, each op a bar from invoke
 * to completion coloured by outcome (ok, fail, info; an op that never
 * completed runs to the end of its window, striped), fault windows shaded
 * behind the lanes, the ops an anomaly cites outlined, and a mark per
 * anomaly linking back to its explanation (and from it, here).
 *
 * Windows.  A history of at most FULL_OPS client ops is drawn whole.  A
 * larger one is drawn as windows of WINDOW_EVENTS events either side of
 * each op the anomalies cite (overlapping windows merged, at most
 * MAX_WINDOWS); when nothing was cited, as windows of FAULT_EVENTS
 * events either side of each fault's start and end (what the clients
 * saw as it struck and as it healed), or its first FIRST_OPS ops when
 * there was no fault either: a million-op history gives a few thousand
 * bars, never millions.
 *
 * A history without times (r->timed clear: a jepsen.log, EDN without
 * :time) is drawn on event positions (report_clock) and says so: bars
 * from the invoking event to the completing one, an axis of lines.
 *
 * Layout is static HTML (absolute positions in px), so the timeline reads
 * without script; the script only adds details on click (from the ops
 * JSON this file adds to the page's data).
 */
#include "html-internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define FULL_OPS 3000
#define WINDOW_EVENTS 40
#define MAX_WINDOWS 40
#define FIRST_OPS 300
#define FAULT_EVENTS 60
#define LANE_H 20
#define AXIS_H 22
#define LABEL_W 64

struct window {
	size_t a, b;		/* event positions, inclusive */
};

static int cmp_window(const void *x, const void *y)
{
	const struct window *p = x, *q = y;

	return p->a < q->a ? -1 : p->a > q->a;
}

/* Windows of events to draw, merged and sorted. */
static size_t windows(const struct report_run *r, struct window *w,
		      size_t *dropped)
{
	const struct history *h = &r->hist;
	size_t n = 0, i, j, k;

	*dropped = 0;
	if (!h->n)
		return 0;
	if (r->nops <= FULL_OPS) {
		w[0].a = 0;
		w[0].b = h->n - 1;
		return 1;
	}
	for (i = 0; i < r->nanomalies; i++) {
		const struct report_anomaly *an = &r->anomalies[i];

		for (j = 0; j < an->nops; j++) {
			size_t p = an->ops[j], e = p;

			if (h->ev[p].pair > (int64_t)p &&
			    (size_t)h->ev[p].pair - p < WINDOW_EVENTS * 4)
				e = (size_t)h->ev[p].pair;
			for (k = 0; k < n; k++)
				if (p + WINDOW_EVENTS >= w[k].a &&
				    p <= w[k].b + WINDOW_EVENTS)
					break;
			if (k < n) {
				if (p < w[k].a + WINDOW_EVENTS)
					w[k].a = p > WINDOW_EVENTS
						 ? p - WINDOW_EVENTS : 0;
				if (e + WINDOW_EVENTS > w[k].b)
					w[k].b = e + WINDOW_EVENTS;
			} else if (n < MAX_WINDOWS) {
				w[n].a = p > WINDOW_EVENTS
					 ? p - WINDOW_EVENTS : 0;
				w[n].b = e + WINDOW_EVENTS;
				n++;
			} else {
				(*dropped)++;
			}
		}
	}
	for (i = 0; !r->nanomalies && i < r->nfaults; i++) {
		size_t at[2] = { r->faults[i].start_pos,
				 r->faults[i].stop_pos };

		for (j = 0; j < 2 && n < MAX_WINDOWS; j++) {
			w[n].a = at[j] > FAULT_EVENTS ? at[j] - FAULT_EVENTS : 0;
			w[n].b = at[j] + FAULT_EVENTS;
			n++;
		}
	}
	if (!n) {
		w[0].a = 0;
		w[0].b = r->ops[FIRST_OPS].inv;
		n = 1;
	}
	for (k = 0; k < n; k++)
		if (w[k].b >= h->n)
			w[k].b = h->n - 1;
	qsort(w, n, sizeof(*w), cmp_window);
	for (i = 0, k = 0; i < n; i++) {	/* merge overlaps */
		if (k && w[i].a <= w[k - 1].b + 1) {
			if (w[i].b > w[k - 1].b)
				w[k - 1].b = w[i].b;
		} else {
			w[k++] = w[i];
		}
	}
	return k;
}

/* Lanes are the distinct process ids (int32_t, as in hist_event). */
static int cmp_process(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

/* The lane of process p among lanes[0..n) (sorted, p among them). */
static size_t lane_of(const int32_t *lanes, size_t n, int32_t p)
{
	const int32_t *l = bsearch(&p, lanes, n, sizeof(*lanes),
				   cmp_process);

	return l ? (size_t)(l - lanes) : 0;
}

static double nice_step(double span_s, double px)
{
	static const double steps[] = { 1, 2, 5 };
	double want = span_s / (px / 110), p = 1e-6;
	size_t i;

	for (;;) {
		for (i = 0; i < 3; i++)
			if (steps[i] * p >= want)
				return steps[i] * p;
		p *= 10;
	}
}

/* A tick of a history without times: the line its event is written on
   (position pos), else the position. */
static void tick_label(const struct report_run *r, size_t pos,
		       struct sb *out)
{
	if (pos < r->hist.n && hist_line(&r->hist, pos))
		sb_addf(out, "line %u", hist_line(&r->hist, pos));
	else
		sb_addf(out, "event %zu", pos);
}

static void op_json(const struct report_run *r, size_t opi, json_t *ops)
{
	const struct history *h = &r->hist;
	const struct report_op *op = &r->ops[opi];
	const struct hist_event *e = &h->ev[op->inv];
	struct sb v = SB_INIT, t = SB_INIT, idx = SB_INIT;
	json_t *o = json_object();

	json_object_set_new(o, "process", json_integer(e->process));
	json_object_set_new(o, "session", json_integer(e->session));
	json_object_set_new(o, "node", json_string(hist_str(h, e->node)));
	json_object_set_new(o, "f", json_string(hist_str(h, e->f)));
	if (e->flags & HIST_F_KEY)
		json_object_set_new(o, "key",
				    json_string(hist_str(h, e->key)));
	report__value_text(r, op->inv, &v);
	json_object_set_new(o, "value", json_stringn(v.buf, v.len));
	report__op_time(r, op->inv, &t);
	json_object_set_new(o, "invoke", json_string(t.buf));
	json_object_set_new(o, "outcome",
			    json_string(report_op_outcome(r, op->inv)));
	if (op->comp >= 0) {
		const struct hist_event *c = &h->ev[op->comp];

		sb_reset(&t);
		report__op_time(r, (size_t)op->comp, &t);
		json_object_set_new(o, "complete", json_string(t.buf));
		sb_reset(&v);
		report__value_text(r, (size_t)op->comp, &v);
		json_object_set_new(o, "returned",
				    json_stringn(v.buf, v.len));
		if (c->error) {
			sb_reset(&v);
			hist_str_show(hist_str(h, c->error), &v);
			json_object_set_new(o, "error",
					    json_stringn(v.buf, v.len));
		}
	}
	sb_addf(&idx, "%" PRIu64, hist_index(h, op->inv));
	json_object_set_new(ops, idx.buf, o);
	sb_release(&v);
	sb_release(&t);
	sb_release(&idx);
}

static void draw_window(const struct report_run *r, const struct window *w,
			const uint32_t *anom_of_op, int *anchored,
			size_t nanom, size_t wi, struct sb *out, json_t *ops)
{
	const struct history *h = &r->hist;
	size_t o0 = report_op_at(r, w->a), o1 = report_op_at(r, w->b + 1), i, k;
	size_t nlanes = 0, nops = o1 - o0;
	int32_t *lanes = xmalloc((nops ? nops : 1) * sizeof(*lanes));
	/* on the report's clock: times, or positions without them */
	int64_t t0 = report_clock(r, w->a), t1 = report_clock(r, w->b);
	double unit = r->timed ? 1e9 : 1;	/* clock per axis unit */
	int64_t base = r->timed ? r->t0 : 0;	/* the axis' 0 */
	double width, scale, step, x;
	size_t height;

	for (i = o0; i < o1; i++)
		lanes[nlanes++] = h->ev[r->ops[i].inv].process;
	qsort(lanes, nlanes, sizeof(*lanes), cmp_process);
	for (i = 0, k = 0; i < nlanes; i++)
		if (!k || lanes[k - 1] != lanes[i])
			lanes[k++] = lanes[i];
	nlanes = k;
	for (i = o0; i < o1; i++) {
		int64_t e = report_op_end(r, r->ops[i].inv);

		if (e > t1 && w->b + 1 < h->n)
			e = report_clock(r, w->b + 1);
		if (e > t1)
			t1 = e;
	}
	if (t1 <= t0)	/* a window of one instant: 1 ms, or 1 event */
		t1 = t0 + (r->timed ? 1000000 : 1);
	width = (double)nops * 12;
	if (width < 1080)
		width = 1080;
	if (width > 8000)
		width = 8000;
	scale = width / (double)(t1 - t0);
	height = AXIS_H + nlanes * LANE_H + 4;

	sb_addf(out, "<div class=\"tl-window\" id=\"tl-window-%zu\">"
		"<p class=\"tl-caption\">", wi + 1);
	sb_addf(out, "Events %" PRIu64 " to %" PRIu64 " (",
		hist_index(h, w->a), hist_index(h, w->b));
	if (r->timed) {
		report__secs(r, t0, out);
		sb_adds(out, " s to ");
		report__secs(r, t1, out);
		sb_adds(out, " s");
	} else {
		report__when(r, w->a, out);
		sb_adds(out, " to ");
		report__when(r, w->b, out);
		sb_adds(out, ", in history order");
	}
	sb_addf(out, "), %zu %s in %zu %s</p>", nops,
		sb_plural(nops, "op", "ops"), nlanes,
		sb_plural(nlanes, "lane", "lanes"));
	sb_addf(out, "<div class=\"tl-scroll\"><div class=\"tl-canvas\" "
		"style=\"width:%.0fpx;height:%zupx\">", width + LABEL_W + 8,
		height);
	/* fault bands behind everything */
	for (i = 0; i < r->nfaults; i++) {
		const struct report_fault *f = &r->faults[i];
		int64_t fs = report_fault_start(r, f);
		int64_t fe = report_fault_stop(r, f);
		int64_t a = fs > t0 ? fs : t0;
		int64_t b = fe < t1 ? fe : t1;

		if (fs > t1 || fe < t0)
			continue;
		sb_addf(out, "<div class=\"fault-band\" data-fault=\"%zu\" "
			"style=\"left:%.1fpx;width:%.1fpx;height:%zupx;"
			"background:%s\" title=\"", i + 1,
			LABEL_W + (double)(a - t0) * scale,
			(double)(b - a) * scale > 2
				? (double)(b - a) * scale : 2.0,
			height, report__fault_colour(r, i));
		report_html_escape(out, f->kind);
		if (f->desc[0]) {
			sb_adds(out, ": ");
			report_html_escape(out, f->desc);
		}
		sb_adds(out, "\"><span>");
		report_html_escape(out, f->kind);
		sb_adds(out, "</span></div>");
	}
	/* time axis: seconds, or event positions without times */
	step = nice_step((double)(t1 - t0) / unit, width);
	if (!r->timed && step < 1)
		step = 1;
	for (x = (double)(int64_t)((double)(t0 - base) / unit / step) * step;
	     x * unit <= (double)(t1 - base); x += step) {
		double px = ((x * unit) - (double)(t0 - base)) * scale;

		if (px < 0)
			continue;
		sb_addf(out, "<div class=\"tick\" style=\"left:%.1fpx;"
			"height:%zupx\"><span>", LABEL_W + px, height);
		if (r->timed)
			sb_addf(out, "%.*f s", step < 1 ? 3 : 0, x);
		else
			tick_label(r, (size_t)x, out);
		sb_adds(out, "</span></div>");
	}
	for (k = 0; k < nlanes; k++)
		sb_addf(out, "<div class=\"lane-label\" style=\"top:%zupx\">"
			"p%" PRId32 "</div>", AXIS_H + k * LANE_H, lanes[k]);
	for (i = o0; i < o1; i++) {
		const struct report_op *op = &r->ops[i];
		const struct hist_event *e = &h->ev[op->inv];
		int64_t end = report_op_end(r, op->inv);
		const char *oc = report_op_outcome(r, op->inv);
		size_t lane = lane_of(lanes, nlanes, e->process);
		int64_t start = report_clock(r, op->inv);
		double left = (double)(start - t0) * scale;
		double wpx;
		struct sb t = SB_INIT;
		uint32_t an = anom_of_op[i];

		if (end > t1 || op->comp < 0)
			end = t1;
		wpx = (double)(end - start) * scale;
		if (wpx < 6)
			wpx = 6;
		sb_addf(out, "<div class=\"op %s%s\" data-i=\"%" PRIu64 "\" "
			"style=\"left:%.1fpx;top:%zupx;width:%.1fpx\" "
			"title=\"", oc, an ? " anom" : "",
			hist_index(h, op->inv),
			LABEL_W + left, AXIS_H + lane * LANE_H + 2, wpx);
		sb_addf(&t, "#%" PRIu64 " p%" PRId32 " %s",
			hist_index(h, op->inv), e->process, hist_str(h, e->f));
		if (e->flags & HIST_F_KEY)
			sb_addf(&t, " %s", hist_str(h, e->key));
		if (e->value.kind != HV_NIL) {
			sb_addc(&t, ' ');
			report__value_text(r, op->inv, &t);
		}
		sb_addf(&t, " -> %s", oc);
		if (op->comp >= 0 && h->ev[op->comp].value.kind != HV_NIL &&
		    !hist_value_eq(h, &h->ev[op->comp].value, &e->value)) {
			sb_addc(&t, ' ');
			report__value_text(r, (size_t)op->comp, &t);
		}
		report_html_escape(out, t.buf);
		sb_adds(out, "\"></div>");
		sb_release(&t);
		op_json(r, i, ops);
	}
	/* a mark for each anomaly at its first op drawn here */
	for (k = 0; k < nanom && k < r->nanomalies; k++) {
		const struct report_anomaly *an = &r->anomalies[k];
		size_t j, best = SIZE_MAX, lane;

		if (anchored[k])
			continue;
		for (j = 0; j < an->nops; j++)
			if (an->ops[j] >= w->a && an->ops[j] <= w->b &&
			    an->ops[j] < best)
				best = an->ops[j];
		if (best == SIZE_MAX)
			continue;
		anchored[k] = 1;
		lane = lane_of(lanes, nlanes, h->ev[best].process);
		x = (double)(report_clock(r, best) - t0) * scale;
		/* left of the bar, unless that would cover the lane label */
		sb_addf(out, "<a class=\"tl-anchor%s\" id=\"tl-anomaly-%zu\" "
			"href=\"#anomaly-%zu\" style=\"left:%.1fpx;"
			"top:%zupx\">#%zu</a>", x < 30 ? " after" : "",
			k + 1, k + 1, LABEL_W + x, AXIS_H + lane * LANE_H + 2,
			k + 1);
	}
	sb_adds(out, "</div></div></div>\n");
	free(lanes);
}

void report__timeline(const struct report_run *r, const uint32_t *anom_of_op,
		      size_t nanom, int *anchored, struct sb *out,
		      json_t *data)
{
	struct window w[MAX_WINDOWS];
	size_t n, i, dropped;
	json_t *ops = json_object();

	sb_adds(out, "<section id=\"timeline\"><h2>Timeline</h2>\n");
	if (!r->have_hist || !r->hist.n) {
		sb_adds(out, "<p class=\"note\">No history: nothing to "
			"draw.</p>");
		goto out;
	}
	n = windows(r, w, &dropped);
	sb_adds(out, "<p class=\"legend\">One lane per client process; "
		"each bar runs from invoke to completion. "
		"<span class=\"op-key ok\"></span> ok "
		"<span class=\"op-key fail\"></span> fail (did not happen) "
		"<span class=\"op-key info\"></span> info (indeterminate: "
		"may or may not have happened) "
		"<span class=\"op-key pending\"></span> never completed "
		"<span class=\"op-key anom\"></span> cited by an anomaly. "
		"Shaded: faults in force. Click a bar for its details.</p>\n");
	if (!r->timed)
		sb_adds(out, "<p class=\"note\" id=\"tl-untimed\">This "
			"history records no times (every event is at 0), so "
			"the timeline is drawn in history order: the axis "
			"counts events, not seconds, a bar runs from the "
			"event that invoked the op to the one that completed "
			"it, and a bar's length is how many events were "
			"written meanwhile, not how long the op took.</p>\n");
	if (r->nops > FULL_OPS)
		sb_addf(out, "<p class=\"note\">The history holds %zu ops; "
			"the timeline shows %s (%zu %s)%s.</p>\n",
			r->nops, r->nanomalies
				 ? "windows around the ops the anomalies cite"
				 : r->nfaults
				 ? "windows around each fault's start and end"
				 : "its first ops",
			n, sb_plural(n, "window", "windows"),
			dropped ? "; more cited ops than windows, the rest "
				  "are in the anomaly tables" : "");
	for (i = 0; i < n; i++)
		draw_window(r, &w[i], anom_of_op, anchored, nanom, i, out,
			    ops);
out:
	sb_adds(out, "</section>\n");
	json_object_set_new(data, "ops", ops);
}

void report__overview(const struct report_run *r, size_t nanom,
		      struct sb *out)
{
	int64_t c0 = r->timed ? r->t0 : 0;
	double span = (double)(report_clock_end(r) - c0);
	size_t i;

	if (span <= 0)
		span = 1;
	sb_adds(out, "<div id=\"overview\" title=\"the whole run\">");
	for (i = 0; i < r->nfaults; i++) {
		const struct report_fault *f = &r->faults[i];
		double a = (double)(report_fault_start(r, f) - c0) / span *
			   100;
		double b = (double)(report_fault_stop(r, f) - c0) / span *
			   100;

		sb_addf(out, "<a class=\"fault-band\" href=\"#fault-%zu\" "
			"style=\"left:%.3f%%;width:%.3f%%;background:%s\" "
			"title=\"", i + 1, a, b - a > 0.2 ? b - a : 0.2,
			report__fault_colour(r, i));
		report_html_escape(out, f->kind);
		sb_adds(out, "\"></a>");
	}
	for (i = 0; i < nanom && i < r->nanomalies; i++) {
		const struct report_anomaly *an = &r->anomalies[i];
		double a;

		if (!an->nops)
			continue;
		a = (double)(report_clock(r, an->ops[0]) - c0) / span * 100;
		sb_addf(out, "<a class=\"mark\" href=\"#anomaly-%zu\" "
			"style=\"left:%.3f%%\" title=\"anomaly #%zu: ", i + 1,
			a, i + 1);
		report_html_escape(out, an->kind);
		sb_adds(out, "\"></a>");
	}
	if (r->timed) {
		sb_adds(out, "</div><div class=\"overview-axis\"><span>0 s"
			"</span><span>");
		report__secs(r, r->t1, out);
		sb_adds(out, " s</span></div>\n");
		return;
	}
	/* without times: from the first event to the last, in order */
	sb_adds(out, "</div><div class=\"overview-axis\"><span>");
	if (r->hist.n)
		report__when(r, 0, out);
	sb_adds(out, "</span><span>");
	if (r->hist.n)
		report__when(r, r->hist.n - 1, out);
	sb_adds(out, " (in history order: no times)</span></div>\n");
}
