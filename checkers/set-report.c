/*
 * set-report.c - the set checker's words (set-internal.h): each anomaly's
 * text, ops and detail, the full lists and counts of stats, and the
 * summary.  Called once per anomaly found and once per check, never per
 * event: the scan that finds the anomalies is set.c.
 */
#include "checker.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "set-internal.h"

#define NONE CHECKER__NONE

static json_t *elem_json(const struct setchk *c, uint32_t id)
{
	const struct checker__vkey *k = &c->elems_map.keys[id];
	json_t *v = checker__value_json(c->h, &k->v);

	if (k->key == CHECKER__NOKEY)
		return v;
	return json_pack("[s, o]", hist_str(c->h, k->key), v);
}

static void elem_text(const struct setchk *c, uint32_t id, struct sb *out)
{
	checker__value_text(c->h, &c->elems_map.keys[id].v, out);
}

/* Where the event at pos happened: " at 1.000 s" or " (FILE:LINE)"
   (checker__at); the fault windows know whether the history is timed. */
static const char *at(const struct setchk *c, size_t pos, struct sb *out)
{
	checker__at(c->h, c->faults.timed, pos, out);
	return out->buf;
}

/* "1.000 s" or "FILE:LINE" (checker__when). */
static const char *when(const struct setchk *c, size_t pos, struct sb *out)
{
	checker__when(c->h, c->faults.timed, pos, out);
	return out->buf;
}

static uint32_t anomaly_key(const struct setchk *c, uint32_t id)
{
	return c->elems_map.keys[id].key;
}

/*
 * Add an anomaly of kind about element id.  Its ops are the element's add
 * (when there is one) then the invokes at reads[0..nreads); its text is
 * "element E " followed by fmt; its detail {"element": E} (callers may
 * add fields).  The element also goes in list, the full list stats keep,
 * and *count grows.
 */
static struct anomaly *report_elem(struct setchk *c, uint32_t id,
				   const char *kind, const size_t *reads,
				   size_t nreads, json_t *list, size_t *count,
				   const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
static struct anomaly *report_elem(struct setchk *c, uint32_t id,
				   const char *kind, const size_t *reads,
				   size_t nreads, json_t *list, size_t *count,
				   const char *fmt, ...)
{
	const struct set_elem *e = &c->el[id];
	size_t ops[8], n = 0, i;
	struct sb text = SB_INIT;
	struct anomaly *a;
	va_list ap;

	if (e->add != NONE)
		ops[n++] = e->add;
	for (i = 0; i < nreads && n < sizeof(ops) / sizeof(*ops); i++)
		ops[n++] = reads[i];
	sb_adds(&text, "element ");
	elem_text(c, id, &text);
	sb_addc(&text, ' ');
	va_start(ap, fmt);
	sb_vaddf(&text, fmt, ap);
	va_end(ap);
	a = verdict_add(c->v, kind, ops, n, anomaly_key(c, id), "%s",
			text.buf);
	a->detail = json_pack("{s:o}", "element", elem_json(c, id));
	json_array_append_new(list, elem_json(c, id));
	(*count)++;
	sb_release(&text);
	return a;
}

void checker__set_revived(struct setchk *c, uint32_t id, uint32_t g)
{
	const struct set_elem *e = &c->el[id];
	const struct set_read *ra = &c->rd[e->gap_a], *rb = &c->rd[e->gap],
			      *rc = &c->rd[g];
	size_t reads[3] = { ra->inv, rb->inv, rc->inv };
	struct sb t1 = SB_INIT, t2 = SB_INIT, t3 = SB_INIT, t4 = SB_INIT;

	report_elem(c, id, "revived", reads, 3, c->l_rev, &c->revived,
		    "was read by a read that ended%s, missing from a read "
		    "that began after it (%s to %s), and read again by a "
		    "read that began%s: it disappeared and came back",
		    at(c, ra->cmp, &t1), when(c, rb->inv, &t2),
		    when(c, rb->cmp, &t3), at(c, rc->inv, &t4));
	sb_release(&t1);
	sb_release(&t2);
	sb_release(&t3);
	sb_release(&t4);
}

void checker__set_unexpected(struct setchk *c, uint32_t id, uint32_t g)
{
	size_t r = c->rd[g].inv;
	struct sb t = SB_INIT;

	report_elem(c, id, "unexpected", &r, 1, c->l_unexp, &c->unexpected,
		    "was read%s %s", at(c, r, &t),
		    c->el[id].add_state == SET_ADD_FAIL ?
		    "although its add failed (a failed op must not take "
		    "effect)" : "but nobody added it");
	sb_release(&t);
}

void checker__set_duplicate(struct setchk *c, uint32_t id, uint32_t g)
{
	size_t r = c->rd[g].inv;
	struct sb t = SB_INIT;

	report_elem(c, id, "duplicate", &r, 1, c->l_dup, &c->duplicated,
		    "appears more than once in the read that began%s: a "
		    "set holds each element once", at(c, r, &t));
	sb_release(&t);
}

void checker__set_lost(struct setchk *c, uint32_t id, size_t known,
		       const struct set_read *f)
{
	const struct history *h = c->h;
	const struct set_elem *e = &c->el[id];
	struct sb fault = SB_INIT, how = SB_INIT, t = SB_INIT;
	size_t reads[2], n = 0, p_fault;
	struct anomaly *a;
	json_t *cnt;

	if (e->add_state == SET_ADD_OK) {
		size_t ack = (size_t)h->ev[e->add].pair;

		p_fault = ack;
		sb_adds(&how, "its add (");
		if (c->faults.timed)
			sb_adds(&how, "invoked at ");
		checker__when(h, c->faults.timed, e->add, &how);
		sb_adds(&how, ") was acknowledged");
		checker__at(h, c->faults.timed, ack, &how);
	} else {
		const struct set_read *r = &c->rd[e->mincmp];

		reads[n++] = r->inv;
		p_fault = e->add != NONE ? e->add : r->inv;
		sb_addf(&how, "its add was %s, but a read that ended%s "
			"listed it",
			e->add == NONE ? "never invoked" : "indeterminate",
			at(c, r->cmp, &t));
	}
	reads[n++] = f->inv;
	checker__faults_at(&c->faults, p_fault, &fault);
	sb_reset(&t);
	a = report_elem(c, id, "lost", reads, n, c->l_lost, &c->lost,
			"was lost: %s, during %s, but the final read that "
			"began%s lacks it", how.buf, fault.buf,
			at(c, f->inv, &t));
	json_object_set_new(a->detail, "add", json_string(
		e->add_state == SET_ADD_OK ? "ok" : e->add != NONE ? "info" :
		"none"));
	/* when it became known to exist: a time, else where (the event
	   that showed it) */
	json_object_set_new(a->detail, "known_at_s", c->faults.timed ?
		json_real(checker__secs(h->ev[known].time)) : json_null());
	if (!c->faults.timed) {
		sb_reset(&t);
		json_object_set_new(a->detail, "known_at",
				    json_string(when(c, known, &t)));
	}
	json_object_set_new(a->detail, "fault", json_string(fault.buf));
	cnt = json_object_get(c->by_fault, fault.buf);
	json_object_set_new(c->by_fault, fault.buf, json_integer(
		(cnt ? json_integer_value(cnt) : 0) + 1));
	sb_release(&fault);
	sb_release(&how);
	sb_release(&t);
}

void checker__set_stats(struct setchk *c)
{
	json_t *s = c->v->stats;

	json_object_set_new(s, "adds", json_pack(
		"{s:I, s:I, s:I, s:I, s:I}",
		"attempted", (json_int_t)c->adds, "ok", (json_int_t)c->adds_ok,
		"fail", (json_int_t)c->adds_fail,
		"info", (json_int_t)c->adds_info,
		"repeated", (json_int_t)c->dup_adds));
	json_object_set_new(s, "reads", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"ok", (json_int_t)c->reads_ok,
		"fail", (json_int_t)c->reads_fail,
		"info", (json_int_t)c->reads_info,
		"malformed", (json_int_t)c->malformed,
		"final_ok", (json_int_t)c->final_ok,
		"final_failed", (json_int_t)c->final_failed,
		"final_not_judged", (json_int_t)c->final_ignored));
	json_object_set_new(s, "keys", json_integer((json_int_t)c->nkeys));
	json_object_set_new(s, "elements", json_integer((json_int_t)c->nel));
	json_object_set_new(s, "acknowledged",
			    json_integer((json_int_t)c->acked_ok));
	json_object_set_new(s, "lost_count",
			    json_integer((json_int_t)c->lost));
	json_object_set(s, "lost", c->l_lost);
	json_object_set(s, "lost_by_fault", c->by_fault);
	json_object_set_new(s, "unexpected_count",
			    json_integer((json_int_t)c->unexpected));
	json_object_set(s, "unexpected", c->l_unexp);
	json_object_set_new(s, "duplicated_count",
			    json_integer((json_int_t)c->duplicated));
	json_object_set(s, "duplicated", c->l_dup);
	json_object_set_new(s, "revived_count",
			    json_integer((json_int_t)c->revived));
	json_object_set(s, "revived", c->l_rev);
	json_object_set_new(s, "indeterminate_survived",
			    json_integer((json_int_t)c->info_survived));
	json_object_set_new(s, "indeterminate_lost",
			    json_integer((json_int_t)c->info_lost));
	json_object_set_new(s, "unresolved",
			    json_integer((json_int_t)c->unresolved));
	json_object_set_new(s, "faults", checker__faults_json(&c->faults));
}

/* "FILE:LINE: VALUE" of the completion at pos, for the summary. */
static void bad_value(const struct setchk *c, size_t pos, struct sb *s)
{
	hist_where(c->h, pos, s);
	sb_adds(s, ": ");
	hist_value_json(c->h, &c->h->ev[pos].value, s);
}

/* Why no final read judged the set (one key, or the whole history). */
static void no_final_reason(const struct setchk *c, struct sb *s)
{
	if (c->final_bad == 1 && !c->final_failed) {
		sb_adds(s, "; the final read's value is not a set (");
		bad_value(c, c->bad_final, s);
		sb_adds(s, ")");
	} else if (c->final_bad) {
		sb_addf(s, "; no final read returned a set (%zu failed, "
			"%zu returned a value that is not a set, the first ",
			c->final_failed, c->final_bad);
		bad_value(c, c->bad_final, s);
		sb_adds(s, ")");
	} else if (c->final_failed) {
		sb_addf(s, "; no final read succeeded (%zu failed)",
			c->final_failed);
	} else {
		sb_adds(s, "; the history has no final read");
	}
}

void checker__set_summary(struct setchk *c)
{
	struct sb *s = &c->v->summary;
	size_t k, undecided = 0;

	for (k = 0; k < c->nkeys; k++)
		if (!c->keys[k].nfinal && (c->keys[k].nelems ||
		    c->keys[k].final_failed || c->keys[k].final_bad))
			undecided++;
	/* Counts of add ops, not of elements: an element added twice is
	 * two adds (the model assumes unique elements: say so). */
	sb_addf(s, "%zu of %zu %s acknowledged", c->adds_ok, c->adds,
		sb_plural(c->adds, "add", "adds"));
	if (c->dup_adds)
		sb_addf(s, " (%zu repeated an element already added)",
			c->dup_adds);
	sb_addf(s, "; %zu lost, %zu unexpected, "
		"%zu duplicated, %zu revived; indeterminate adds: %zu "
		"survived, %zu did not", c->lost,
		c->unexpected, c->duplicated, c->revived, c->info_survived,
		c->info_lost);
	if (!c->adds && !c->nel) {
		/* Nothing was added and no read listed anything: no
		 * question about lost writes was asked. */
		sb_addf(s, "; the history has no add ops (f \"add\")%s: "
			"nothing to judge", c->malformed ?
			" and its reads do not return lists" :
			c->reads_ok ? ", only empty reads" : " and no reads");
		if (c->v->kind == VERDICT_VALID)
			c->v->kind = VERDICT_UNKNOWN;
		return;
	}
	if ((!c->final_ok && c->nel) || undecided) {
		if (c->nkeys > 1) {
			sb_addf(s, "; %zu %s without a successful final "
				"read", undecided,
				sb_plural(undecided, "key", "keys"));
			if (c->final_bad) {
				sb_addf(s, " (%zu final %s returned a "
					"value that is not a set, the first ",
					c->final_bad, sb_plural(c->final_bad,
					"read", "reads"));
				bad_value(c, c->bad_final, s);
				sb_adds(s, ")");
			}
		} else {
			no_final_reason(c, s);
		}
		sb_adds(s, ": lost writes cannot be judged");
		if (c->v->kind == VERDICT_VALID)
			c->v->kind = VERDICT_UNKNOWN;
	} else if (c->final_bad) {
		sb_addf(s, "; %zu final %s returned a value that is not "
			"a set, not used (the first ", c->final_bad,
			sb_plural(c->final_bad, "read", "reads"));
		bad_value(c, c->bad_final, s);
		sb_adds(s, ")");
	}
	if (c->malformed > c->final_bad) {
		size_t n = c->malformed - c->final_bad;

		sb_addf(s, "; %zu %s during the run returned a value "
			"that is not a set, not used (the first ", n,
			sb_plural(n, "read", "reads"));
		bad_value(c, c->bad_read, s);
		sb_adds(s, ")");
	}
}
