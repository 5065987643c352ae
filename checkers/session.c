/*
 * session.c - the "session" checker: the four session guarantees of Terry
 * et al. (1994) per client session (the `session` field) and per key.
 *
 * Ops: f "read" (an ok read's value is the value it saw), f "write" (the
 * value written) and f "cas" (value [expected, new]: writes new).  A
 * session issues one op at a time (a worker; its process id may change
 * after an `info`), so "after" within a session is history order.
 *
 *   read-your-writes     a read after the session's own acknowledged
 *                        write must see that write or a later one;
 *   monotonic reads      a read must not see an older value than an
 *                        earlier read of the same session saw;
 *   monotonic writes     a session's acknowledged writes take effect in
 *                        session order;
 *   writes-follow-reads  a write after a read is ordered after the value
 *                        that read saw.
 *
 * Order of values.  Where both ops carry a `version` (HIST_F_VERSION:
 * the completion's, else the invoke's), versions are compared: older
 * means a smaller version; a write must get a version above those it
 * follows.  Otherwise the order comes from the writes themselves, per key:
 * value a is definitely older than value b when a's write was
 * acknowledged before b's write was invoked (real-time order, which any
 * store that serialises its writes must respect), or when a is the
 * initial value (nil, never written).  Concurrent writes have no definite
 * order and are never called a violation.  Limits of this value order,
 * stated in docs/checkers.md: written values must be unique per key (a
 * value written twice is ambiguous and skipped, counted in stats); an
 * indeterminate write is never definitely older than anything; a value
 * that nobody wrote (or only failed writes wrote) is "unexplained" and
 * skipped; and because a session's own writes are sequential, monotonic
 * writes and writes-follow-reads can only be violated through versions
 * (without versions they are checked but cannot fail).  Guarantees are
 * per key: versions of different keys are not compared.
 *
 * Algorithm.  Pass 1 records, per (key, value), the invoke and ack
 * positions of its write (a hash map).  Pass 2 walks completions in
 * history order keeping per (session, key) the session's latest
 * acknowledged write and its "newest" read so far (largest version; for
 * the value order, the read whose value's write was invoked last, which
 * is the most demanding bound).  Each check is O(1).
 *
 * Verdict unknown when no check could have failed (no session op after
 * another of its session on the same key, or only comparisons the value
 * order cannot decide: values unexplained or ambiguous, or monotonic
 * writes and writes-follow-reads without versions): "valid" would claim
 * a check that never happened.
 *
 * Complexity: O(E) expected time and O(E) memory for E events; no
 * allocation per event beyond amortised table growth.
 */
#include "checker.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checker-util.h"

#define NONE CHECKER__NONE
#define VID_INIT (UINT32_MAX - 1)	/* the initial value: nil, unwritten */

/* (Positions are 32-bit: a history has fewer than 2^31 events.) */
struct val {
	int32_t w_inv;		/* invoke position of its write */
	int32_t w_cmp;		/* ack position; INT32_MAX if not acked */
	uint32_t nwrites;	/* > 1: ambiguous */
};

struct sstate {
	int64_t w_ver;
	int64_t rv_ver;
	int32_t w_pos;		/* invoke of the latest acked own write */
	int32_t rv_pos;		/* read with the largest version */
	int32_t ro_pos;		/* read whose value's write began last */
	uint32_t w_vid, ro_vid;
	uint8_t w_hasver;
};

enum { G_RYW, G_MR, G_MW, G_WFR, NG };

static const char *const g_kind[NG] = {
	"read-your-writes", "monotonic-reads", "monotonic-writes",
	"writes-follow-reads",
};

struct sesschk {
	const struct history *h;
	struct verdict *v;
	struct checker__valmap vm;
	struct val *vals;
	size_t vals_alloc;
	struct checker__pairmap sm;
	struct sstate *ss;
	size_t ss_alloc;
	uint32_t f_read, f_write, f_cas;
	/* counts */
	size_t checked[NG], by_version[NG], violations[NG];
	size_t unexplained, ambiguous;
	size_t decidable;	/* checks that could have found a violation */
	struct checker__pairmap bad_sessions;
	size_t nsessions;		/* distinct sessions seen */
	int timed;		/* checker__timed(h); -1 until a violation
				   needs it */
};

/* Whether evidence cites times or FILE:LINE (checker__at). */
static int timed(struct sesschk *c)
{
	if (c->timed < 0)
		c->timed = checker__timed(c->h);
	return c->timed;
}

static const struct hist_value *written(const struct sesschk *c,
					const struct hist_event *inv)
{
	return checker__written(c->h, inv, c->f_write, c->f_cas);
}

static void collect_writes(struct sesschk *c)
{
	const struct history *h = c->h;
	size_t i;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *cp;
		const struct hist_value *w;
		struct val *vl;
		uint32_t id;
		int added;

		if (e->type != HIST_INVOKE || !hist_is_client(e))
			continue;
		if (!(w = written(c, e)))
			continue;
		cp = checker__completion(h, i);
		if (cp && cp->type == HIST_FAIL)
			continue;	/* did not happen */
		id = checker__valmap_put(&c->vm, h, checker__ev_key(e), w, &added);
		if (added) {
			ALLOC_GROW(c->vals, c->vm.n, c->vals_alloc);
			vl = &c->vals[id];
			vl->nwrites = 0;
		}
		vl = &c->vals[id];
		if (vl->nwrites++ == 1)
			c->ambiguous++;
		vl->w_inv = (int32_t)i;
		vl->w_cmp = cp && cp->type == HIST_OK ? e->pair : INT32_MAX;
	}
}

/* The id of the value v of key, VID_INIT or NONE (unexplained). */
static uint32_t value_id(const struct sesschk *c, uint32_t key,
			 const struct hist_value *v)
{
	uint32_t id = checker__valmap_get(&c->vm, c->h, key, v);

	if (id == NONE && v->kind == HV_NIL)
		return VID_INIT;
	return id;
}

/* Invoke position of the write of vid (-1 for the initial value). */
static int64_t write_inv(const struct sesschk *c, uint32_t vid)
{
	return vid == VID_INIT ? -1 : c->vals[vid].w_inv;
}

/* Whether vid has a place in the value order (one write, or initial). */
static int placed(const struct sesschk *c, uint32_t vid)
{
	return vid == VID_INIT || (vid != NONE && c->vals[vid].nwrites == 1);
}

/* Whether value a is definitely older than value b (value order). */
static int older(const struct sesschk *c, uint32_t a, uint32_t b)
{
	if (a == NONE || b == NONE || b == VID_INIT || a == b)
		return 0;
	if (c->vals[b].nwrites != 1)
		return 0;
	if (a == VID_INIT)
		return 1;
	if (c->vals[a].nwrites != 1)
		return 0;
	return c->vals[a].w_cmp < c->vals[b].w_inv;
}

/* "5 (version 40)" or "5 (written at 10.200 s, acknowledged at
   10.300 s)", FILE:LINE for a time in a history without times. */
static void describe(struct sesschk *c, const struct hist_value *v,
		     uint32_t vid, int hasver, int64_t ver, struct sb *out)
{
	const struct history *h = c->h;

	checker__value_text(h, v, out);
	if (hasver) {
		sb_addf(out, " (version %" PRId64 ")", ver);
		return;
	}
	if (vid == VID_INIT) {
		sb_adds(out, " (the initial value)");
	} else if (vid != NONE && c->vals[vid].nwrites == 1) {
		const struct val *x = &c->vals[vid];

		sb_adds(out, " (written at ");
		checker__when(h, timed(c), (size_t)x->w_inv, out);
		if (x->w_cmp != INT32_MAX) {
			sb_adds(out, ", acknowledged at ");
			checker__when(h, timed(c), (size_t)x->w_cmp, out);
			sb_adds(out, ")");
		} else {
			sb_adds(out, ", never acknowledged)");
		}
	}
}

/*
 * Report guarantee g violated between the earlier op at position a and
 * the later op at b (invoke positions) of the same session.
 */
static void violation(struct sesschk *c, int g, size_t a, size_t b,
		      int byver)
{
	const struct history *h = c->h;
	const struct hist_event *ea = &h->ev[a], *eb = &h->ev[b];
	const struct hist_event *ca = checker__completion(h, a),
				*cb = checker__completion(h, b);
	uint32_t key = checker__ev_key(eb);
	const struct hist_value *va = ca && ea->f == c->f_read ? &ca->value :
				      written(c, ea);
	const struct hist_value *vb = cb && eb->f == c->f_read ? &cb->value :
				      written(c, eb);
	int64_t vera = 0, verb = 0;
	int hva = checker__op_version(ea, ca, &vera), hvb = checker__op_version(eb, cb, &verb);
	struct sb da = SB_INIT, db = SB_INIT, kto = SB_INIT, kof = SB_INIT,
		  ta = SB_INIT, tb = SB_INIT;
	size_t ops[2] = { a, b };
	struct anomaly *an;
	long long sess = (long long)eb->session;

	c->violations[g]++;
	checker__pairmap_put(&c->bad_sessions, (uint32_t)eb->session, 0,
			     NULL);
	if (checker__verdict_full(c->v)) {
		verdict_add(c->v, g_kind[g], NULL, 0, key, "%s", "");
		return;
	}
	describe(c, va, value_id(c, checker__ev_key(ea), va), byver && hva, vera, &da);
	describe(c, vb, value_id(c, key, vb), byver && hvb, verb, &db);
	if (key != CHECKER__NOKEY) {
		sb_addf(&kto, " to %s", hist_str(h, key));
		sb_addf(&kof, " of %s", hist_str(h, key));
	}
	/* " at 1.000 s" or " (FILE:LINE)" of each invoke */
	checker__at(h, timed(c), a, &ta);
	checker__at(h, timed(c), b, &tb);
	switch (g) {
	case G_RYW:
		an = verdict_add(c->v, g_kind[g], ops, 2, key,
			"session %lld wrote %s%s; its read%s%s "
			"returned %s, older than its own write", sess,
			da.buf, kto.buf, kof.buf, tb.buf, db.buf);
		break;
	case G_MR:
		an = verdict_add(c->v, g_kind[g], ops, 2, key,
			"session %lld's read%s%s returned %s; its "
			"later read%s returned %s, older than what "
			"it had already seen", sess, kof.buf, ta.buf, da.buf,
			tb.buf, db.buf);
		break;
	case G_MW:
		an = verdict_add(c->v, g_kind[g], ops, 2, key,
			"session %lld wrote %s%s, then %s%s, which "
			"was ordered before its earlier write", sess, da.buf,
			kto.buf, db.buf, tb.buf);
		break;
	default:
		an = verdict_add(c->v, g_kind[g], ops, 2, key,
			"session %lld's read%s%s returned %s; its "
			"later write of %s%s was ordered before the "
			"value it had read", sess, kof.buf, ta.buf, da.buf,
			db.buf, tb.buf);
		break;
	}
	an->detail = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}",
		"session", (json_int_t)eb->session,
		"order", byver ? "version" : "value order",
		"earlier_value", va ? checker__value_json(h, va) : json_null(),
		"earlier_version", byver && hva ? json_integer(vera) :
			json_null(),
		"later_value", vb ? checker__value_json(h, vb) : json_null(),
		"later_version", byver && hvb ? json_integer(verb) :
			json_null());
	sb_release(&da);
	sb_release(&db);
	sb_release(&kto);
	sb_release(&kof);
	sb_release(&ta);
	sb_release(&tb);
}

static struct sstate *session_state(struct sesschk *c, int32_t session,
				    uint32_t key)
{
	int added;
	uint32_t id = checker__pairmap_put(&c->sm, (uint32_t)session, key,
					   &added);

	if (added) {
		struct sstate *s;

		ALLOC_GROW(c->ss, c->sm.n, c->ss_alloc);
		s = &c->ss[id];
		memset(s, 0, sizeof(*s));
		s->w_pos = s->rv_pos = s->ro_pos = -1;
		s->w_vid = s->ro_vid = NONE;
	}
	return &c->ss[id];
}

static void on_read(struct sesschk *c, size_t inv, const struct hist_event *cp)
{
	const struct hist_event *e = &c->h->ev[inv];
	uint32_t key = checker__ev_key(e);
	struct sstate *s = session_state(c, e->session, key);
	uint32_t vid = value_id(c, key, &cp->value);
	int64_t ver = 0;
	int hasver = checker__op_version(e, cp, &ver);

	if (vid == NONE)
		c->unexplained++;
	if (s->w_pos >= 0) {
		c->checked[G_RYW]++;
		if (hasver && s->w_hasver) {
			c->by_version[G_RYW]++;
			c->decidable++;
			if (ver < s->w_ver)
				violation(c, G_RYW, (size_t)s->w_pos, inv, 1);
		} else {
			c->decidable += placed(c, vid) && placed(c, s->w_vid);
			if (older(c, vid, s->w_vid))
				violation(c, G_RYW, (size_t)s->w_pos, inv, 0);
		}
	}
	if (s->rv_pos >= 0 || s->ro_pos >= 0) {
		c->checked[G_MR]++;
		if (hasver && s->rv_pos >= 0) {
			c->by_version[G_MR]++;
			c->decidable++;
			if (ver < s->rv_ver)
				violation(c, G_MR, (size_t)s->rv_pos, inv, 1);
		} else if (s->ro_pos >= 0) {
			c->decidable += placed(c, vid);
			if (older(c, vid, s->ro_vid))
				violation(c, G_MR, (size_t)s->ro_pos, inv, 0);
		}
	}
	if (hasver && (s->rv_pos < 0 || ver > s->rv_ver)) {
		s->rv_pos = (int32_t)inv;
		s->rv_ver = ver;
	}
	if (vid != NONE && (vid == VID_INIT || c->vals[vid].nwrites == 1) &&
	    (s->ro_pos < 0 || write_inv(c, vid) > write_inv(c, s->ro_vid))) {
		s->ro_pos = (int32_t)inv;
		s->ro_vid = vid;
	}
}

static void on_write(struct sesschk *c, size_t inv,
		     const struct hist_event *cp)
{
	const struct hist_event *e = &c->h->ev[inv];
	uint32_t key = checker__ev_key(e);
	struct sstate *s = session_state(c, e->session, key);
	uint32_t vid = value_id(c, key, written(c, e));
	int64_t ver = 0;
	int hasver = checker__op_version(e, cp, &ver);

	if (s->w_pos >= 0) {
		c->checked[G_MW]++;
		if (hasver && s->w_hasver) {
			c->by_version[G_MW]++;
			c->decidable++;
			if (ver <= s->w_ver)
				violation(c, G_MW, (size_t)s->w_pos, inv, 1);
		} else if (older(c, vid, s->w_vid)) {
			violation(c, G_MW, (size_t)s->w_pos, inv, 0);
		}
	}
	if (s->rv_pos >= 0 || s->ro_pos >= 0) {
		c->checked[G_WFR]++;
		if (hasver && s->rv_pos >= 0) {
			c->by_version[G_WFR]++;
			c->decidable++;
			if (ver <= s->rv_ver)
				violation(c, G_WFR, (size_t)s->rv_pos, inv, 1);
		} else if (s->ro_pos >= 0 && older(c, vid, s->ro_vid)) {
			violation(c, G_WFR, (size_t)s->ro_pos, inv, 0);
		}
	}
	s->w_pos = (int32_t)inv;
	s->w_vid = vid;
	s->w_hasver = (uint8_t)hasver;
	s->w_ver = ver;
}

static void fill_stats(struct sesschk *c)
{
	json_t *s = c->v->stats, *g = json_object();
	size_t i, total = 0;

	for (i = 0; i < NG; i++) {
		json_object_set_new(g, g_kind[i], json_pack(
			"{s:I, s:I, s:I}",
			"checked", (json_int_t)c->checked[i],
			"by_version", (json_int_t)c->by_version[i],
			"violations", (json_int_t)c->violations[i]));
		total += c->violations[i];
	}
	json_object_set_new(s, "guarantees", g);
	json_object_set_new(s, "session_keys",
			    json_integer((json_int_t)c->sm.n));
	json_object_set_new(s, "sessions_violating",
			    json_integer((json_int_t)c->bad_sessions.n));
	json_object_set_new(s, "unexplained_reads",
			    json_integer((json_int_t)c->unexplained));
	json_object_set_new(s, "ambiguous_values",
			    json_integer((json_int_t)c->ambiguous));
	/* "in 0 of 5 sessions": the sessions violating, out of all */
	sb_addf(&c->v->summary, "%zu %s in %zu of %zu %s: read-your-writes "
		"%zu, monotonic reads %zu, monotonic writes %zu, "
		"writes-follow-reads %zu (%zu %s checked for "
		"read-your-writes)", total,
		sb_plural(total, "violation", "violations"),
		c->bad_sessions.n, c->nsessions,
		sb_plural(c->nsessions, "session", "sessions"),
		c->violations[G_RYW], c->violations[G_MR],
		c->violations[G_MW], c->violations[G_WFR],
		c->checked[G_RYW],
		sb_plural(c->checked[G_RYW], "read", "reads"));
	json_object_set_new(s, "decidable_checks",
			    json_integer((json_int_t)c->decidable));
	if (!c->decidable) {
		/* Without a check that could fail, "valid" says nothing. */
		sb_adds(&c->v->summary, "; no read or write followed an op "
			"of its own session on the same key in a way that "
			"could be ordered (by version, or by unique written "
			"values): nothing to judge");
		if (c->v->kind == VERDICT_VALID)
			c->v->kind = VERDICT_UNKNOWN;
	}
}

static int session_check(const struct history *h,
			 const struct checker_opts *o, struct verdict *v,
			 struct sb *err)
{
	struct sesschk c;
	struct checker__pairmap sessions;
	size_t i;

	(void)o;
	(void)err;
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.v = v;
	c.timed = -1;
	c.f_read = hist_lookup(h, "read");
	c.f_write = hist_lookup(h, "write");
	c.f_cas = hist_lookup(h, "cas");
	checker__valmap_init(&c.vm, h->n / 4);
	/* At most one value a write op: no copy while they are added. */
	checker__valmap_reserve(&c.vm, h->n / 2 + 1);
	c.vals = xmalloc((h->n / 2 + 1) * sizeof(*c.vals));
	c.vals_alloc = h->n / 2 + 1;
	checker__pairmap_init(&c.sm, 64);
	checker__pairmap_init(&c.bad_sessions, 16);
	checker__pairmap_init(&sessions, 64);
	collect_writes(&c);

	for (i = 0; i < h->n; i++) {
		const struct hist_event *cp = &h->ev[i], *e;
		size_t inv;

		if (cp->type != HIST_OK || !hist_is_client(cp) ||
		    cp->pair < 0 || (size_t)cp->pair == i)
			continue;
		inv = (size_t)cp->pair;
		e = &h->ev[inv];
		if (e->f == c.f_read)
			on_read(&c, inv, cp);
		else if (written(&c, e))
			on_write(&c, inv, cp);
	}
	/* Distinct sessions, from the (session, key) states. */
	for (i = 0; i < c.sm.nslots; i++)
		if (c.sm.slots[i].id1)
			checker__pairmap_put(&sessions,
					     checker__pslot_a(&c.sm.slots[i]), 0,
					     NULL);
	c.nsessions = sessions.n;
	fill_stats(&c);
	json_object_set_new(v->stats, "sessions",
			    json_integer((json_int_t)sessions.n));

	checker__pairmap_release(&sessions);
	checker__pairmap_release(&c.bad_sessions);
	checker__pairmap_release(&c.sm);
	checker__valmap_release(&c.vm);
	free(c.vals);
	free(c.ss);
	return 0;
}

const struct checker_type checker_session = {
	.name = "session",
	.help = "session guarantees per session and key: read-your-writes, "
		"monotonic reads/writes, writes-follow-reads",
	.check = session_check,
};
