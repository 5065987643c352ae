/*
 * html.c - report.html: one self-contained page per run.
 *
 * Sections, in order: a header (what was run, one coloured verdict per
 * checker, notes on missing parts), every anomaly with the ops that prove
 * it told in words and the faults in force while they ran, the fault
 * windows with an overview strip of the whole run, the timeline
 * (timeline.c), and the gnuplot graphs (gnuplot.c) as data: URIs.
 *
 * Self-contained: inline CSS and script, images as data: URIs, and a
 * Content-Security-Policy (default-src 'none') so the page cannot fetch
 * anything even if opened from a web server.  Escaping: every value from
 * the run (config, history, results) goes through report_html_escape()
 * for text and attributes; the page's data is JSON inside
 * <script type="application/json">, escaped with
 * report_json_script_escape(), and the script reads it with JSON.parse and
 * writes it with textContent only (never innerHTML).
 *
 * Size: at most REPORT_HTML_MAX_ANOMALIES anomalies in detail, and the
 * timeline's windows (timeline.c) bound the bars, so the page stays a few
 * MB whatever the history's length.
 */
#include "html-internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hist-ops.h"

#define MAX_FAULT_ROWS 200	/* fault table rows; the strip shows all */

static const char css[] =
"body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;"
"padding:0 16px 40px;color:#222}\n"
"h1{font-size:22px;margin:18px 0 6px}h2{font-size:18px;margin:28px 0 8px;"
"border-bottom:1px solid #ccc}h3{font-size:15px;margin:0 0 6px}\n"
"table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;"
"padding:2px 7px;text-align:left;vertical-align:baseline}th{background:#f4f4f4}"
"\n.settings th{width:150px}.mono,td.v{font-family:ui-monospace,monospace;"
"font-size:12px;word-break:break-all}\n"
".verdict{display:inline-block;padding:1px 9px;border-radius:9px;"
"font-weight:600;color:#fff}.verdict.valid{background:#2e8b3e}"
".verdict.invalid{background:#c62828}.verdict.unknown{background:#9a7b00}"
"\n.note{background:#fff8e1;border-left:4px solid #e0b000;padding:4px 8px}"
"\n.anomaly{border:1px solid #e5b5b5;border-left:5px solid #c62828;"
"padding:8px 12px;margin:10px 0;background:#fffafa}"
".anomaly p,.anomaly li{overflow-wrap:anywhere}"
".anomaly .text{font-weight:600}.story li{margin:2px 0}"
".fault-note{color:#5a3d8a}\n"
"#overview{position:relative;height:22px;background:#f3f6fa;"
"border:1px solid #ccd}#overview .fault-band{position:absolute;top:0;"
"height:100%}#overview .mark{position:absolute;top:0;width:3px;"
"height:100%;background:#c62828}.overview-axis{display:flex;"
"justify-content:space-between;font-size:11px;color:#666}\n"
".tl-scroll{overflow-x:auto;border:1px solid #ccd;margin-bottom:14px}"
".tl-canvas{position:relative;background:#fcfcfd}"
".tl-caption{margin:4px 0;font-size:12px;color:#555}\n"
".tl-canvas .fault-band{position:absolute;top:0}"
".tl-canvas .fault-band span{font-size:10px;color:#444;padding-left:2px;"
"position:absolute;bottom:0;white-space:nowrap}\n"
".tick{position:absolute;top:0;border-left:1px solid #e4e4ea}"
".tick span{font-size:10px;color:#777;padding-left:2px}\n"
".lane-label{position:absolute;left:0;width:56px;font-size:11px;line-height:20px;"
"color:#555;text-align:right}\n"
".op{position:absolute;height:15px;border-radius:2px;cursor:pointer;"
"box-sizing:border-box}.op.ok,.op-key.ok{background:#6db6fe}"
".op.fail,.op-key.fail{background:#ffaa26}"
".op.info,.op-key.info{background:#feb5da}"
".op.pending,.op-key.pending{background:repeating-linear-gradient(45deg,"
"#feb5da 0 4px,#fff 4px 8px)}"
".op.anom,.op-key.anom{outline:2px solid #c62828;z-index:2}"
".op.hl{outline:3px solid #000;z-index:3}\n"
".op-key{display:inline-block;width:22px;height:10px;margin:0 3px 0 8px;"
"border-radius:2px;box-sizing:border-box}\n"
".tl-anchor{position:absolute;z-index:4;font-size:10px;font-weight:700;"
"color:#fff;background:#c62828;padding:0 3px;border-radius:3px;"
"transform:translate(-100%,0);text-decoration:none}"
".tl-anchor.after{transform:translate(8px,0)}\n"
"#op-detail{position:fixed;right:12px;bottom:12px;max-width:420px;"
"background:#fff;border:1px solid #888;box-shadow:0 2px 8px #0003;"
"padding:6px 10px;font-size:12px;display:none}\n"
"img.graph{max-width:100%;border:1px solid #ddd}\n";

static const char script[] =
"(function () {\n"
"  'use strict';\n"
"  var data = JSON.parse(document.getElementById('ns-data').textContent);\n"
"  var panel = document.getElementById('op-detail');\n"
"  var fields = ['process', 'session', 'node', 'f', 'key', 'value',\n"
"                'invoke', 'complete', 'outcome', 'returned', 'error'];\n"
"  function show(i) {\n"
"    var o = data.ops[i];\n"
"    if (!o) return;\n"
"    while (panel.firstChild) panel.removeChild(panel.firstChild);\n"
"    var h = document.createElement('b');\n"
"    h.textContent = 'op ' + i;\n"
"    panel.appendChild(h);\n"
"    var t = document.createElement('table');\n"
"    fields.forEach(function (k) {\n"
"      if (o[k] === undefined || o[k] === '') return;\n"
"      var tr = t.insertRow(), a = tr.insertCell(), b = tr.insertCell();\n"
"      a.textContent = k;\n"
"      b.textContent = String(o[k]);\n"
"    });\n"
"    panel.appendChild(t);\n"
"    panel.style.display = 'block';\n"
"  }\n"
"  document.addEventListener('click', function (ev) {\n"
"    var el = ev.target;\n"
"    if (el.classList && el.classList.contains('op'))\n"
"      show(el.getAttribute('data-i'));\n"
"    else if (panel.contains(el)) panel.style.display = 'none';\n"
"  });\n"
"  function mark(ops, on) {\n"
"    ops.forEach(function (i) {\n"
"      var sel = '.op[data-i=\"' + Number(i) + '\"]';\n"
"      document.querySelectorAll(sel).forEach(function (el) {\n"
"        el.classList.toggle('hl', on);\n"
"      });\n"
"    });\n"
"  }\n"
"  data.anomalies.forEach(function (a) {\n"
"    var el = document.getElementById('anomaly-' + a.id);\n"
"    if (!el) return;\n"
"    el.addEventListener('mouseenter', function () { mark(a.ops, true); });\n"
"    el.addEventListener('mouseleave', function () { mark(a.ops, false); });\n"
"  });\n"
"  document.documentElement.setAttribute('data-ns-ready', '1');\n"
"})();\n";

static void row(struct sb *out, const char *label, const char *val,
		const char *unit)
{
	sb_addf(out, "<tr><th>%s</th><td>", label);
	if (val && *val) {
		report_html_escape(out, val);
		if (unit)
			sb_adds(out, unit);
	} else {
		sb_adds(out, "<em>unknown</em>");
	}
	sb_adds(out, "</td></tr>\n");
}

/* Client ops by name (hist-ops.h), with the most common errors of
   those that did not succeed: why a run tested little. */
static void ops_by_name(const struct report_run *r, struct sb *out)
{
	struct hist_ops o;
	size_t i, k;

	hist_ops_compute(&o, &r->hist);
	if (o.n)
		sb_adds(out, "<table id=\"ops-by-name\"><tr><th>op</th>"
			"<th>ok</th><th>fail</th><th>info</th><th>most "
			"common errors</th></tr>\n");
	for (i = 0; i < o.n; i++) {
		const struct hist_op_count *c = &o.op[i];

		sb_adds(out, "<tr class=\"op-name\"><td>");
		report_html_escape(out, hist_str(&r->hist, c->f));
		sb_addf(out, "</td><td>%zu</td><td>%zu</td><td>%zu</td><td>",
			c->ok, c->fail, c->info);
		for (k = 0; k < c->nerrors; k++) {
			struct sb t = SB_INIT;

			hist_op_error_text(&r->hist, &c->top[k], 200, &t);
			if (k)
				sb_adds(out, "<br>");
			report_html_escape(out, t.buf);
			sb_release(&t);
		}
		sb_adds(out, "</td></tr>\n");
	}
	if (o.n)
		sb_adds(out, "</table>\n");
	hist_ops_release(&o);
}

static void header(const struct report_run *r, struct sb *out)
{
	static const struct {
		const char *field, *label, *unit;
	} fields[] = {
		{ "db", "Database", NULL },
		{ "workload", "Workload", NULL },
		{ "nemesis", "Nemesis", NULL },
		{ "time_limit", "Time limit", " s" },
		{ "concurrency", "Concurrency", NULL },
		{ "seed", "Seed", NULL },
		{ "nodes", "Nodes", NULL },
		{ "version", "netsplit version", NULL },
		{ "start_time", "Started", NULL },
	};
	struct sb v = SB_INIT;
	const char *verdict = report_run_verdict(r);
	json_t *c;
	size_t i;

	sb_adds(out, "<header><h1>netsplit: ");
	report_run_field(r, "name", &v);
	report_html_escape(out, v.len ? v.buf : r->dir);
	sb_addf(out, " <span class=\"verdict %s\" id=\"verdict\">%s</span>"
		"</h1>\n<p class=\"mono\">", verdict, verdict);
	report_html_escape(out, r->dir);
	sb_adds(out, "</p>\n<table class=\"settings\">\n");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		sb_reset(&v);
		report_run_field(r, fields[i].field, &v);
		row(out, fields[i].label, v.buf, fields[i].unit);
	}
	sb_adds(out, "</table>\n<h2>Verdicts</h2>\n");
	if (!r->results) {
		sb_adds(out, "<p class=\"note\">No results.json: the history "
			"was not checked.</p>\n");
	} else {
		sb_adds(out, "<table id=\"checkers\"><tr><th>checker</th>"
			"<th>verdict</th><th>anomalies</th><th>summary</th>"
			"</tr>\n");
		json_array_foreach(json_object_get(r->results, "checkers"),
				   i, c) {
			const char *name = json_string_value(
				json_object_get(c, "checker"));
			const char *vd = report_checker_verdict(c);
			const char *sum = json_string_value(
				json_object_get(c, "summary"));

			sb_adds(out, "<tr class=\"checker\"><td>");
			report_html_escape(out, name ? name : "?");
			sb_addf(out, "</td><td><span class=\"verdict %s\">%s"
				"</span></td><td>%zu</td><td>", vd, vd,
				report_checker_count(c));
			report_html_escape(out, sum ? sum : "");
			sb_adds(out, "</td></tr>\n");
		}
		sb_adds(out, "</table>\n");
	}
	if (r->have_hist)
		ops_by_name(r, out);
	if (r->notes.len) {
		sb_adds(out, "<div class=\"note\" id=\"notes\">");
		report_html_escape(out, r->notes.buf);
		sb_adds(out, "</div>\n");
	}
	sb_adds(out, "</header>\n");
	sb_release(&v);
}

/* One op in words: "write 4 to k1 by process 3 (...), invoked at ..." */
static void story(const struct report_run *r, size_t pos, struct sb *out)
{
	const struct history *h = &r->hist;
	const struct hist_event *e = &h->ev[pos];
	int64_t c = e->pair;
	size_t in[4], nf, i;

	sb_adds(out, "<li><b>");
	report_html_escape(out, hist_str(h, e->f));
	if (e->value.kind != HV_NIL) {
		sb_adds(out, " ");
		report__value_html(r, pos, out);
	}
	sb_adds(out, "</b>");
	if (e->flags & HIST_F_KEY) {
		sb_adds(out, " on key <b>");
		report_html_escape(out, hist_str(h, e->key));
		sb_adds(out, "</b>");
	}
	sb_addf(out, " by process %" PRId32 " (session %" PRId32, e->process,
		e->session);
	if (e->node) {
		sb_adds(out, ", node ");
		report_html_escape(out, hist_str(h, e->node));
	}
	sb_adds(out, r->timed ? "), invoked at " : "), invoked (");
	report__when(r, pos, out);
	if (!r->timed)
		sb_adds(out, ")");
	nf = report_faults_during(r, report_clock(r, pos),
				  report_clock(r, pos), in, 4);
	for (i = 0; i < nf; i++) {
		sb_adds(out, i ? " and " : " during ");
		report_html_escape(out, r->faults[in[i]].kind);
	}
	sb_adds(out, ": ");
	if (c < 0) {
		sb_adds(out, "never completed, so it is indeterminate: it may "
			"have taken effect at any time after its invoke, or "
			"never");
	} else {
		const struct hist_event *ce = &h->ev[c];

		switch (ce->type) {
		case HIST_OK:
			sb_adds(out, "acknowledged (ok)");
			break;
		case HIST_FAIL:
			sb_adds(out, "failed (definitely did not happen)");
			break;
		default:
			sb_adds(out, "indeterminate (info: may or may not "
				"have happened)");
		}
		sb_adds(out, r->timed ? " at " : " (");
		report__when(r, (size_t)c, out);
		if (!r->timed)
			sb_adds(out, ")");
		if (ce->value.kind != HV_NIL &&
		    !hist_value_eq(h, &ce->value, &e->value)) {
			sb_adds(out, ", returning <b>");
			report__value_html(r, (size_t)c, out);
			sb_adds(out, "</b>");
		}
		if (ce->error) {
			sb_adds(out, " (error: ");
			report__error_html(r, (size_t)c, out);
			sb_adds(out, ")");
		}
	}
	sb_adds(out, ".</li>\n");
}

static void op_row(const struct report_run *r, size_t pos, struct sb *out)
{
	const struct history *h = &r->hist;
	const struct hist_event *e = &h->ev[pos];
	int64_t c = e->pair;

	sb_addf(out, "<tr class=\"op-row\" data-i=\"%" PRIu64 "\"><td>%"
		PRIu64 "</td><td>%" PRId32 "</td><td>%" PRId32 "</td><td>",
		hist_index(h, pos), hist_index(h, pos), e->process,
		e->session);
	report_html_escape(out, hist_str(h, e->node));
	sb_adds(out, "</td><td>");
	report_html_escape(out, hist_str(h, e->f));
	sb_adds(out, "</td><td>");
	if (e->flags & HIST_F_KEY)
		report_html_escape(out, hist_str(h, e->key));
	sb_adds(out, "</td><td class=\"v\">");
	report__value_html(r, pos, out);
	sb_adds(out, "</td><td>");
	report__op_time(r, pos, out);
	sb_adds(out, "</td><td>");
	if (c >= 0)
		report__op_time(r, (size_t)c, out);
	sb_addf(out, "</td><td>%s</td><td class=\"v\">",
		report_op_outcome(r, pos));
	if (c >= 0) {
		report__value_html(r, (size_t)c, out);
		if (h->ev[c].error) {
			sb_adds(out, " (");
			report__error_html(r, (size_t)c, out);
			sb_adds(out, ")");
		}
	}
	sb_adds(out, "</td></tr>\n");
}

static void faults_in_force(const struct report_run *r,
			    const struct report_anomaly *an, struct sb *out)
{
	int64_t a = INT64_MAX, b = INT64_MIN;
	size_t in[8], n, i, last = SIZE_MAX;

	for (i = 0; i < an->nops; i++) {
		int64_t s = report_clock(r, an->ops[i]);
		int64_t e = report_op_end(r, an->ops[i]);

		if (s < a)
			a = s;
		if (e > b)
			b = e;
	}
	if (!an->nops)
		return;
	n = report_faults_during(r, a, b, in, 8);
	sb_adds(out, "<p class=\"fault-note\">");
	if (!n) {
		for (i = 0; i < r->nfaults; i++)
			if (report_fault_stop(r, &r->faults[i]) < a)
				last = i;
		sb_adds(out, "No fault was in force while these ops ran");
		if (last != SIZE_MAX) {
			sb_adds(out, "; the last one, <a href=\"#fault-");
			sb_addf(out, "%zu\">", last + 1);
			report_html_escape(out, r->faults[last].kind);
			sb_adds(out, r->timed ? "</a>, had ended at " :
				"</a>, had ended (");
			report__when_clock(r, report_fault_stop(
				r, &r->faults[last]), out);
			if (!r->timed)
				sb_adds(out, ")");
		} else if (r->nfaults) {
			sb_adds(out, " (they ran before any fault)");
		}
		sb_adds(out, ".</p>\n");
		return;
	}
	sb_adds(out, "Fault in force while these ops ran: ");
	for (i = 0; i < n; i++) {
		const struct report_fault *f = &r->faults[in[i]];

		sb_addf(out, "%s<a href=\"#fault-%zu\">", i ? "; " : "",
			in[i] + 1);
		report_html_escape(out, f->kind);
		sb_adds(out, "</a> (from ");
		report__when_clock(r, report_fault_start(r, f), out);
		sb_adds(out, f->open ? ", never healed" : " to ");
		if (!f->open)
			report__when_clock(r, report_fault_stop(r, f), out);
		if (f->desc[0]) {
			sb_adds(out, ": ");
			report_html_escape(out, f->desc);
		}
		sb_adds(out, ")");
	}
	sb_adds(out, ".</p>\n");
}

static void json_cell(json_t *o, const char *field, struct sb *out)
{
	json_t *v = json_object_get(o, field);
	char *s;

	sb_adds(out, "<td class=\"v\">");
	if (json_is_string(v)) {
		report_html_escape(out, json_string_value(v));
	} else if (v) {
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		report_html_escape(out, s ? s : "");
		free(s);
	}
	sb_adds(out, "</td>");
}

/*
 * Without history.jsonl, an anomaly's ops as results.json cites them
 * (each the invoke's event JSON, its completion under "complete").
 */
static void ops_from_results(json_t *an, struct sb *out)
{
	static const char *const inv_fields[] = {
		"index", "process", "session", "node", "f", "key", "value",
		"time",
	};
	json_t *op;
	size_t i, k;

	sb_adds(out, "<p class=\"note\">No history: the ops as the checker "
		"cited them (times in ns).</p>\n<table class=\"ops\"><tr>"
		"<th>index</th><th>process</th><th>session</th><th>node</th>"
		"<th>op</th><th>key</th><th>value</th><th>invoked</th>"
		"<th>completed</th><th>outcome</th><th>returned</th></tr>\n");
	json_array_foreach(json_object_get(an, "ops"), i, op) {
		json_t *c = json_object_get(op, "complete");

		sb_adds(out, "<tr class=\"op-row\">");
		for (k = 0; k < sizeof(inv_fields) / sizeof(inv_fields[0]);
		     k++)
			json_cell(op, inv_fields[k], out);
		json_cell(c, "time", out);
		json_cell(c, "type", out);
		json_cell(c, "value", out);
		sb_adds(out, "</tr>\n");
	}
	sb_adds(out, "</table>\n");
}

static void anomalies(const struct report_run *r, size_t nshow,
		      const int *anchored, json_t *data, struct sb *out)
{
	size_t i, j, total = report_anomaly_total(r);
	json_t *list = json_array();

	sb_addf(out, "<section id=\"anomalies\"><h2>Anomalies "
		"(<span id=\"anomaly-count\">%zu</span>)</h2>\n", total);
	if (!r->results)
		sb_adds(out, "<p class=\"note\">Not checked.</p>\n");
	else if (!total)
		sb_adds(out, "<p>None found.</p>\n");
	if (total > nshow)
		sb_addf(out, "<p class=\"note\">%zu %s shown in detail; "
			"results.json lists %zu of the %zu found.</p>\n",
			nshow, sb_plural(nshow, "anomaly is", "anomalies are"),
			r->nanomalies, total);
	for (i = 0; i < nshow; i++) {
		const struct report_anomaly *an = &r->anomalies[i];
		json_t *o = json_object(), *ops = json_array();

		sb_addf(out, "<article class=\"anomaly\" id=\"anomaly-%zu\" "
			"data-kind=\"", i + 1);
		report_html_escape(out, an->kind);
		sb_adds(out, "\" data-ops=\"");
		for (j = 0; !r->have_hist && j < json_array_size(
			     json_object_get(an->json, "ops")); j++) {
			json_t *ix = json_object_get(json_array_get(
				json_object_get(an->json, "ops"), j), "index");

			if (json_is_integer(ix))
				sb_addf(out, "%s%" JSON_INTEGER_FORMAT,
					j ? " " : "", json_integer_value(ix));
		}
		for (j = 0; j < an->nops; j++) {
			sb_addf(out, "%s%" PRIu64, j ? " " : "",
				an->op_index[j]);
			json_array_append_new(ops,
					      json_integer((json_int_t)
							   an->op_index[j]));
		}
		sb_addf(out, "\"><h3>#%zu ", i + 1);
		report_html_escape(out, an->kind);
		sb_adds(out, " <small>(checker ");
		report_html_escape(out, an->checker);
		if (an->key) {
			sb_adds(out, ", key ");
			report_html_escape(out, an->key);
		}
		sb_adds(out, ")</small></h3>\n<p class=\"text\">");
		report_html_escape(out, an->text);
		sb_adds(out, "</p>\n");
		if (!r->have_hist)
			ops_from_results(an->json, out);
		else if (an->unresolved)
			sb_addf(out, "<p class=\"note\">%zu cited %s not "
				"found in the history.</p>\n", an->unresolved,
				sb_plural(an->unresolved, "op was",
					  "ops were"));
		if (an->nops) {
			faults_in_force(r, an, out);
			sb_adds(out, "<ol class=\"story\">\n");
			for (j = 0; j < an->nops; j++)
				story(r, an->ops[j], out);
			sb_addf(out, "</ol>\n<table class=\"ops\"><tr>"
				"<th>index</th><th>process</th>"
				"<th>session</th><th>node</th><th>op</th>"
				"<th>key</th><th>value</th><th>invoked%s"
				"</th><th>completed%s</th><th>outcome</th>"
				"<th>returned</th></tr>\n",
				r->timed ? " (s)" : " (where)",
				r->timed ? " (s)" : " (where)");
			for (j = 0; j < an->nops; j++)
				op_row(r, an->ops[j], out);
			sb_adds(out, "</table>\n");
		}
		if (anchored[i])
			sb_addf(out, "<p><a href=\"#tl-anomaly-%zu\">Show in "
				"the timeline</a></p>\n", i + 1);
		sb_adds(out, "</article>\n");
		json_object_set_new(o, "id", json_integer((json_int_t)i + 1));
		json_object_set_new(o, "ops", ops);
		json_array_append_new(list, o);
	}
	sb_adds(out, "</section>\n");
	json_object_set_new(data, "anomalies", list);
}

static void faults(const struct report_run *r, size_t nanom,
		   struct sb *out)
{
	size_t i, info = 0, pending = 0;

	sb_addf(out, "<section id=\"faults\"><h2>Faults (<span "
		"id=\"fault-count\">%zu</span>)</h2>\n", r->nfaults);
	report__overview(r, nanom, out);
	if (r->nfaults) {
		sb_addf(out, "<table><tr><th>#</th><th>fault</th>"
			"<th>from%s</th><th>to%s</th><th>what</th></tr>\n",
			r->timed ? " (s)" : " (where)",
			r->timed ? " (s)" : " (where)");
		for (i = 0; i < r->nfaults; i++) {
			const struct report_fault *f = &r->faults[i];

			if (i == MAX_FAULT_ROWS) {
				sb_addf(out, "<tr><td colspan=\"5\">and %zu "
					"more fault windows (see the overview "
					"above)</td></tr>\n", r->nfaults - i);
				break;
			}
			sb_addf(out, "<tr class=\"fault\" id=\"fault-%zu\">"
				"<td style=\"background:%s\">%zu</td><td>",
				i + 1, report__fault_colour(r, i), i + 1);
			report_html_escape(out, f->kind);
			sb_adds(out, "</td><td>");
			report__op_time(r, f->start_pos, out);
			sb_adds(out, "</td><td>");
			if (f->open)
				sb_adds(out, "never healed");
			else
				report__op_time(r, f->stop_pos, out);
			sb_adds(out, "</td><td class=\"v\">");
			report_html_escape(out, f->desc);
			sb_adds(out, "</td></tr>\n");
		}
		sb_adds(out, "</table>\n");
	} else {
		sb_adds(out, "<p>No fault was injected.</p>\n");
	}
	for (i = 0; i < r->nunapplied; i++) {
		const struct report_fault *f = &r->unapplied[i];

		sb_adds(out, "<p class=\"note unapplied\">Not applied: ");
		report_html_escape(out, f->kind);
		sb_adds(out, r->timed ? " at " : " (");
		report__when(r, f->start_pos, out);
		sb_adds(out, r->timed ? " (" : "; ");
		report_html_escape(out, f->desc);
		sb_adds(out, ").</p>\n");
	}
	for (i = 0; i < r->nops; i++) {
		if (r->ops[i].comp < 0)
			pending++;
		else if (r->hist.ev[r->ops[i].comp].type == HIST_INFO)
			info++;
	}
	if (info || pending)
		sb_addf(out, "<p>%zu of %zu %s %s indeterminate (%zu "
			"info, %zu never completed): the client could not "
			"tell whether %s took effect, so the checkers "
			"allow both. A <em>fail</em> is different: it "
			"definitely did not happen.</p>\n", info + pending,
			r->nops, sb_plural(r->nops, "op", "ops"),
			sb_plural(info + pending, "was", "were"), info,
			pending, sb_plural(info + pending, "it", "they"));
	sb_adds(out, "</section>\n");
}

static void graphs(const struct report_run *r, struct sb *out)
{
	struct report_graph g[REPORT_MAX_GRAPHS];
	size_t n = report_graphs(r, g), i;

	sb_adds(out, "<section id=\"graphs\"><h2>Graphs</h2>\n");
	for (i = 0; i < n; i++) {
		sb_addf(out, "<figure class=\"graph\" id=\"graph-%s\">"
			"<figcaption>%s</figcaption>", g[i].name, g[i].title);
		if (g[i].png.len) {
			sb_adds(out, "<img class=\"graph\" alt=\"");
			sb_adds(out, g[i].title);
			sb_adds(out, "\" src=\"data:image/png;base64,");
			report_base64(out, g[i].png.buf, g[i].png.len);
			sb_adds(out, "\">");
			if (g[i].note.len) {
				sb_adds(out, "<p class=\"small\">");
				report_html_escape(out, g[i].note.buf);
				sb_adds(out, "</p>");
			}
		} else {
			sb_adds(out, "<p class=\"note graph-missing\">");
			report_html_escape(out, g[i].note.buf);
			sb_adds(out, "</p>");
		}
		sb_adds(out, "</figure>\n");
		report_graph_release(&g[i]);
	}
	sb_adds(out, "</section>\n");
}

/* Client op index (into r->ops) of invoke position p, or SIZE_MAX. */
static size_t op_of(const struct report_run *r, size_t p)
{
	size_t k = report_op_at(r, p);

	return k < r->nops && r->ops[k].inv == p ? k : SIZE_MAX;
}

static int write_html(const struct report_run *r, const char *dir,
		      struct sb *err)
{
	struct sb out = SB_INIT, tl = SB_INIT, v = SB_INIT;
	size_t nshow = r->nanomalies, i, j;
	uint32_t *anom_of_op = xcalloc(r->nops ? r->nops : 1,
				       sizeof(*anom_of_op));
	int *anchored;
	json_t *data = json_object();
	char *js;
	int ret;

	if (nshow > REPORT_HTML_MAX_ANOMALIES)
		nshow = REPORT_HTML_MAX_ANOMALIES;
	anchored = xcalloc(nshow ? nshow : 1, sizeof(*anchored));
	for (i = 0; i < nshow; i++)
		for (j = 0; j < r->anomalies[i].nops; j++) {
			size_t k = op_of(r, r->anomalies[i].ops[j]);

			if (k != SIZE_MAX && !anom_of_op[k])
				anom_of_op[k] = (uint32_t)i + 1;
		}
	report__timeline(r, anom_of_op, nshow, anchored, &tl, data);

	report_run_field(r, "name", &v);
	json_object_set_new(data, "name", json_stringn(v.buf, v.len));
	sb_adds(&out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">\n<meta http-equiv="
		"\"Content-Security-Policy\" content=\"default-src 'none'; "
		"img-src data:; style-src 'unsafe-inline'; "
		"script-src 'unsafe-inline'\">\n<title>netsplit: ");
	report_html_escape(&out, v.len ? v.buf : r->dir);
	sb_addf(&out, " (%s)</title>\n<style>\n%s</style></head><body>\n",
		report_run_verdict(r), css);
	header(r, &out);
	anomalies(r, nshow, anchored, data, &out);
	faults(r, nshow, &out);
	sb_add(&out, tl.buf, tl.len);
	graphs(r, &out);
	sb_adds(&out, "<div id=\"op-detail\"></div>\n"
		"<script type=\"application/json\" id=\"ns-data\">");
	js = json_dumps(data, JSON_COMPACT);
	report_json_script_escape(&out, js ? js : "{}");
	free(js);
	sb_addf(&out, "</script>\n<script>\n%s</script>\n</body></html>\n",
		script);
	ret = report_write_file(dir, "report.html", out.buf, out.len, err);
	json_decref(data);
	free(anom_of_op);
	free(anchored);
	sb_release(&out);
	sb_release(&tl);
	sb_release(&v);
	return ret;
}

const struct report_type report_html = {
	.name = "html",
	.file = "report.html",
	.write = write_html,
};
