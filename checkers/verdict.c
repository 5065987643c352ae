/*
 * verdict.c - verdicts and anomalies, and their JSON form (checker.h).
 */
#include "checker.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define DEFAULT_MAX_ANOMALIES 1000

void verdict_init(struct verdict *v, const char *checker)
{
	memset(v, 0, sizeof(*v));
	v->checker = checker;
	v->kind = VERDICT_VALID;
	v->stats = json_object();
	v->kind_counts = json_object();
	sb_init(&v->summary, 0);
}

void verdict_release(struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->anomalies[i].kind);
		free(v->anomalies[i].text);
		free(v->anomalies[i].ops);
		json_decref(v->anomalies[i].detail);
	}
	free(v->anomalies);
	json_decref(v->stats);
	json_decref(v->kind_counts);
	sb_release(&v->summary);
	memset(v, 0, sizeof(*v));
}

struct anomaly *verdict_add(struct verdict *v, const char *kind,
			    const size_t *ops, size_t nops, uint32_t key,
			    const char *fmt, ...)
{
	static struct anomaly dropped;
	struct anomaly *a;
	struct sb text = SB_INIT;
	va_list ap;

	v->anomaly_count++;
	/* by kind over all found, also those past the cap (junit.xml) */
	json_object_set_new(v->kind_counts, kind, json_integer(
		json_integer_value(json_object_get(v->kind_counts, kind)) +
		1));
	if (v->kind == VERDICT_VALID)
		v->kind = VERDICT_INVALID;
	if (v->n >= DEFAULT_MAX_ANOMALIES) {
		/* Counted, not kept: callers may still set detail. */
		json_decref(dropped.detail);
		memset(&dropped, 0, sizeof(dropped));
		return &dropped;
	}
	ALLOC_GROW(v->anomalies, v->n + 1, v->alloc);
	a = &v->anomalies[v->n++];
	memset(a, 0, sizeof(*a));
	a->kind = xstrdup(kind);
	va_start(ap, fmt);
	sb_vaddf(&text, fmt, ap);
	va_end(ap);
	a->text = sb_detach(&text, NULL);
	a->ops = xmalloc((nops ? nops : 1) * sizeof(*ops));
	if (nops)
		memcpy(a->ops, ops, nops * sizeof(*ops));
	a->nops = nops;
	a->key = key;
	return a;
}

const char *verdict_name(enum verdict_kind k)
{
	switch (k) {
	case VERDICT_VALID: return "valid";
	case VERDICT_INVALID: return "invalid";
	case VERDICT_UNKNOWN: return "unknown";
	}
	return "unknown";
}

/*
 * An op as evidence: its event, with its value shortened as
 * hist_value_json_show() does and, when it was, "value_truncated": true
 * and "value_count" (a list's length) or "value_bytes" (a string's
 * size).  Every anomaly that cites the same final read would otherwise
 * copy all of it (1,000 lost elements x a 20,000-element read: a 500 MB
 * results.json), and a 20 MB value would be printed whole; the whole
 * value stays in history.jsonl at "position" (and at "line" of the file
 * read, when it was read from one).  An error text is shortened
 * the same way (hist_str_show), with "error_truncated": true and
 * "error_bytes".
 */
static json_t *event_json(const struct history *h, size_t pos)
{
	const struct hist_value *v = &h->ev[pos].value;
	struct sb line = SB_INIT;
	unsigned cut;
	json_t *j;

	/* shortened as it is formatted: a 20 MB value or error is never
	   formatted (nor parsed back) whole */
	cut = hist_event_json_show(h, pos, &line);
	j = json_loadb(line.buf, line.len, 0, NULL);
	if (!j)
		j = json_object();
	json_object_set_new(j, "position", json_integer((json_int_t)pos));
	/* where it is written: what cites an op of a history without
	   times (the texts say FILE:LINE) */
	if (hist_line(h, pos))
		json_object_set_new(j, "line", json_integer(
			(json_int_t)hist_line(h, pos)));
	if (cut & HIST_SHOW_CUT_VALUE) {
		json_object_set_new(j, "value_truncated", json_true());
		if (v->kind == HV_LIST)
			json_object_set_new(j, "value_count",
					    json_integer((json_int_t)v->n));
		else
			json_object_set_new(j, "value_bytes", json_integer(
				(json_int_t)strlen(hist_str(h, v->u.str))));
	}
	if (cut & HIST_SHOW_CUT_ERROR) {
		/* the same for an error text (a 20 MB stack trace) */
		json_object_set_new(j, "error_truncated", json_true());
		json_object_set_new(j, "error_bytes", json_integer((json_int_t)
			strlen(hist_str(h, h->ev[pos].error))));
	}
	sb_release(&line);
	return j;
}

json_t *verdict_json(const struct history *h, const struct verdict *v)
{
	json_t *root = json_object(), *arr = json_array();
	size_t i, k;

	json_object_set_new(root, "checker", json_string(v->checker));
	json_object_set_new(root, "verdict", json_string(verdict_name(v->kind)));
	json_object_set_new(root, "summary", json_string(v->summary.buf));
	json_object_set(root, "stats", v->stats);
	json_object_set_new(root, "anomaly_count",
			    json_integer((json_int_t)v->anomaly_count));
	if (json_object_size(v->kind_counts))
		json_object_set(root, "anomaly_kinds", v->kind_counts);
	for (i = 0; i < v->n; i++) {
		const struct anomaly *a = &v->anomalies[i];
		json_t *ja = json_object(), *ops = json_array();

		json_object_set_new(ja, "kind", json_string(a->kind));
		json_object_set_new(ja, "text", json_string(a->text));
		for (k = 0; k < a->nops; k++) {
			size_t p = a->ops[k];
			json_t *op = event_json(h, p);
			int64_t pair = p < h->n ? h->ev[p].pair : -1;

			if (pair >= 0 && (size_t)pair != p)
				json_object_set_new(op, "complete",
						    event_json(h, (size_t)pair));
			else
				json_object_set_new(op, "complete", json_null());
			json_array_append_new(ops, op);
		}
		json_object_set_new(ja, "ops", ops);
		if (a->key != UINT32_MAX)
			json_object_set_new(ja, "key",
					    json_string(hist_str(h, a->key)));
		if (a->detail)
			json_object_set(ja, "detail", a->detail);
		json_array_append_new(arr, ja);
	}
	json_object_set_new(root, "anomalies", arr);
	return root;
}
