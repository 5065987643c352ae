/*
 * html-values.c - what html.c and timeline.c both write into report.html:
 * times as seconds since the history's start (or, for a history without
 * times, where an event is written), an event's value as text or HTML,
 * and one colour per fault kind.
 */
#include "html-internal.h"

#include <string.h>

static const char *const fault_palette[] = {
	"rgba(128,128,128,.22)", "rgba(214,69,65,.20)",
	"rgba(142,68,173,.20)", "rgba(22,160,133,.22)",
	"rgba(212,172,13,.25)", "rgba(44,62,80,.20)",
};

void report__secs(const struct report_run *r, int64_t t, struct sb *out)
{
	sb_addf(out, "%.3f", (double)(t - r->t0) / 1e9);
}

void report__when(const struct report_run *r, size_t pos, struct sb *out)
{
	const struct history *h = &r->hist;

	if (r->timed) {
		report__secs(r, h->ev[pos].time, out);
		sb_adds(out, " s");
		return;
	}
	/* as the checkers cite it (report_run_load names the history as
	   they did) */
	hist_where(h, pos, out);
}

void report__op_time(const struct report_run *r, size_t pos,
		     struct sb *out)
{
	if (r->timed)
		report__secs(r, r->hist.ev[pos].time, out);
	else
		report__when(r, pos, out);
}

void report__when_clock(const struct report_run *r, int64_t c,
			struct sb *out)
{
	if (r->timed) {
		report__secs(r, c, out);
		sb_adds(out, " s");
	} else if (c >= 0 && (size_t)c < r->hist.n) {
		report__when(r, (size_t)c, out);
	}
}

void report__value_text(const struct report_run *r, size_t pos,
			struct sb *out)
{
	/* shortened as all evidence is (a whole-set read, a 20 MB string:
	   every anomaly and bar citing it would repeat all of it) */
	hist_value_show(&r->hist, &r->hist.ev[pos].value, 1, out);
}

void report__value_html(const struct report_run *r, size_t pos,
			struct sb *out)
{
	struct sb t = SB_INIT;

	report__value_text(r, pos, &t);
	report_html_escape(out, t.buf);
	sb_release(&t);
}

void report__error_html(const struct report_run *r, size_t pos,
			struct sb *out)
{
	struct sb t = SB_INIT;

	hist_str_show(hist_str(&r->hist, r->hist.ev[pos].error), &t);
	report_html_escape(out, t.buf);
	sb_release(&t);
}

const char *report__fault_colour(const struct report_run *r, size_t fault)
{
	size_t i, k = 0;

	/* the kind's rank among kinds in order of first appearance */
	for (i = 0; i < fault; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(r->faults[j].kind, r->faults[i].kind))
				break;
		if (j == i && strcmp(r->faults[i].kind,
				     r->faults[fault].kind))
			k++;
		else if (j == i)
			return fault_palette[k % (sizeof(fault_palette) /
					       sizeof(fault_palette[0]))];
	}
	return fault_palette[k % (sizeof(fault_palette) /
				  sizeof(fault_palette[0]))];
}
