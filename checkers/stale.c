/*
 * stale.c - the "stale" checker: how far behind each read is.
 *
 * Ops: f "read" (an ok read's value is what it saw), f "write" and f "cas"
 * (value [expected, new]: writes new), per key when keys are present.
 * For every ok read R of key k:
 *
 *   the latest write acknowledged before R began is the newest value R
 *   must see to be up to date (a linearizable read must see it or later);
 *   R is stale when the value it returned is definitely older;
 *   versions behind = acknowledged writes (before R began) that are newer
 *   than the value R returned;
 *   ms behind = R's invoke time minus the acknowledgement time of the
 *   first write that superseded the value R returned: how long the value
 *   had been out of date when R began.
 *
 * Order of values: versions when every acknowledged write of the key and
 * the read carry one (older = smaller version; the superseding write is
 * the acknowledged one with the smallest larger version); otherwise the
 * value order of session.c: a value is definitely older than another when
 * its write was acknowledged before the other's was invoked, and nil
 * (never written) is the initial value, older than every write.  The
 * superseding write is then the first write, in acknowledgement order,
 * invoked after the value's write was acknowledged; writes acknowledged
 * from it on (and before R began) count as versions behind.  Writes
 * concurrent with the value's write are never counted, so the figures are
 * lower bounds.  Values written twice are ambiguous, values nobody wrote
 * unexplained: both are skipped and counted.
 *
 * Verdict: a stale read is a stale-read (linearizability) violation; with
 * a threshold (checker_opts.stale_ms, `--stale-ms`) only reads more than
 * that many ms behind are anomalies (bounded staleness), the others are
 * counted.  Distributions (p50, p99, max) of ms and versions behind over
 * all checked reads, and over the stale ones, go in stats.  When no ok
 * read could be judged (none at all, or all unexplained or ambiguous)
 * the verdict is unknown, never "valid".
 *
 * Algorithm.  Pass 1 maps (key, value) to its write and lists acknowledged
 * writes per key in acknowledgement order (a counting sort).  Per key,
 * "the first write invoked after write r was acknowledged" is computed for
 * every r with two pointers (it never moves backwards, since
 * acknowledgements are in order).  Pass 2 sweeps the history keeping the
 * number of writes acknowledged so far per key (and, for versions, those
 * writes sorted by version: insertion, displacement bounded by the writes
 * acknowledged out of version order); each read then costs O(1) (O(log W)
 * with versions).  Percentiles by quickselect.
 *
 * Complexity: O(E log E) worst case, O(E) typical, for E events; memory
 * O(E); no allocation per event.
 */
#include "checker.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checker-util.h"

#define NONE CHECKER__NONE

struct val {
	int64_t w_inv;		/* invoke position of its write */
	int32_t rank;		/* index in its key's acked writes, or -1 */
	uint32_t nwrites;
};

struct aw {			/* an acknowledged write */
	int64_t ver;
	int32_t inv, cmp;	/* positions (fewer than 2^31 events) */
};

struct key {
	uint32_t key;		/* interned key, CHECKER__NOKEY */
	int versioned;		/* every acked write has a version */
	size_t nacked;		/* acked writes */
	size_t off;		/* first in the grouped arrays */
	size_t seen;		/* acked so far in the sweep (L) */
};

struct stalechk {
	const struct history *h;
	struct verdict *v;
	const struct checker_opts *o;
	uint32_t f_read, f_write, f_cas;
	struct checker__valmap vm;
	struct checker__keymap km;
	struct val *vals;
	size_t vals_alloc;
	struct key *keys;
	size_t keys_alloc;
	struct aw *aw;		/* acked writes, grouped by key */
	size_t naw, aw_alloc;
	uint32_t *nn;		/* per acked write: first newer (index) */
	uint32_t *sorted;	/* per key: acked so far (ranks), by version */
	int64_t *lag_ns, *lag_ver;	/* per checked read */
	size_t nread, nreads_max;
	size_t stale, anomalies, unexplained, ambiguous, by_version;
	size_t reads_total;
	struct checker__faults faults;
};

static const struct hist_value *written(const struct stalechk *c,
					const struct hist_event *inv)
{
	return checker__written(c->h, inv, c->f_write, c->f_cas);
}

static uint32_t key_index(struct stalechk *c, uint32_t key)
{
	int added;
	uint32_t k = checker__keymap_put(&c->km, key, &added);

	if (added) {
		ALLOC_GROW(c->keys, c->km.n, c->keys_alloc);
		memset(&c->keys[k], 0, sizeof(c->keys[k]));
		c->keys[k].key = key;
		c->keys[k].versioned = 1;
	}
	return k;
}

static int64_t ack_time(const struct stalechk *c, const struct aw *a)
{
	return c->h->ev[a->cmp].time;
}

/* The write an ok completion at i acknowledges, or NULL. */
static const struct hist_event *acked_write(const struct stalechk *c,
					    const struct hist_event *e)
{
	const struct hist_event *inv;

	if (e->type != HIST_OK || e->pair < 0 || !hist_is_client(e))
		return NULL;
	inv = &c->h->ev[e->pair];
	return written(c, inv) ? inv : NULL;
}

/*
 * Pass 1: values, and acknowledged writes per key (counted, then placed
 * in acknowledgement order by a second pass: no copy of the array).
 */
static void collect(struct stalechk *c)
{
	const struct history *h = c->h;
	size_t i, off = 0, *fill;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *inv, *cp;
		const struct hist_value *w;
		uint32_t id, k;
		int added;
		int64_t ver;

		if (!hist_is_client(e))
			continue;
		if (e->type == HIST_INVOKE) {
			if (e->f == c->f_read)
				c->nreads_max++;
			if (!(w = written(c, e)))
				continue;
			cp = checker__completion(h, i);
			if (cp && cp->type == HIST_FAIL)
				continue;
			key_index(c, checker__ev_key(e));
			id = checker__valmap_put(&c->vm, h, checker__ev_key(e), w,
						 &added);
			if (added) {
				ALLOC_GROW(c->vals, c->vm.n, c->vals_alloc);
				c->vals[id].nwrites = 0;
				c->vals[id].rank = -1;
			}
			if (c->vals[id].nwrites++ == 1)
				c->ambiguous++;
			c->vals[id].w_inv = (int64_t)i;
			continue;
		}
		if (!(inv = acked_write(c, e)))
			continue;
		k = key_index(c, checker__ev_key(inv));
		if (!checker__op_version(inv, e, &ver))
			c->keys[k].versioned = 0;
		c->keys[k].nacked++;
		c->naw++;
	}
	fill = xmalloc((c->km.n ? c->km.n : 1) * sizeof(*fill));
	for (i = 0; i < c->km.n; i++) {
		c->keys[i].off = off;
		fill[i] = off;
		off += c->keys[i].nacked;
	}
	c->aw = xmalloc((c->naw ? c->naw : 1) * sizeof(*c->aw));
	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *inv;
		struct aw *a;

		if (!(inv = acked_write(c, e)))
			continue;
		a = &c->aw[fill[checker__keymap_get(&c->km, checker__ev_key(inv))]++];
		a->inv = e->pair;
		a->cmp = (int32_t)i;
		a->ver = 0;
		checker__op_version(inv, e, &a->ver);
	}
	free(fill);
	/* Ranks, and the first newer write of each (two pointers). */
	c->nn = xmalloc((c->naw ? c->naw : 1) * sizeof(*c->nn));
	for (i = 0; i < c->km.n; i++) {
		const struct key *k = &c->keys[i];
		size_t r, j = 0;

		for (r = 0; r < k->nacked; r++) {
			const struct aw *a = &c->aw[k->off + r];
			uint32_t id = checker__valmap_get(&c->vm, h,
							  k->key,
							  written(c,
							  &h->ev[a->inv]));

			if (id != NONE)
				c->vals[id].rank = (int32_t)r;
			if (j < r + 1)
				j = r + 1;
			while (j < k->nacked && c->aw[k->off + j].inv < a->cmp)
				j++;
			c->nn[k->off + r] = (uint32_t)j;
		}
		if (k->versioned && k->nacked && !c->sorted)
			c->sorted = xmalloc(c->naw * sizeof(*c->sorted));
	}
}

/* Insert the key's next acked write into its by-version prefix. */
static void sorted_insert(struct stalechk *c, struct key *k)
{
	uint32_t *s = c->sorted + k->off;
	const struct aw *w = c->aw + k->off;
	int64_t ver = w[k->seen].ver;
	size_t n = k->seen, p = n;

	while (p > 0 && w[s[p - 1]].ver > ver)
		p--;
	memmove(s + p + 1, s + p, (n - p) * sizeof(*s));
	s[p] = (uint32_t)n;
}

/* First index in the key's by-version prefix with version > ver. */
static size_t upper_bound(const struct stalechk *c, const struct key *k,
			  int64_t ver)
{
	const uint32_t *s = c->sorted + k->off;
	const struct aw *w = c->aw + k->off;
	size_t lo = 0, hi = k->seen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w[s[mid]].ver > ver)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void report(struct stalechk *c, size_t rinv, const struct aw *sup,
		   int64_t behind, int64_t lag, int byver, int64_t rver)
{
	const struct history *h = c->h;
	const struct hist_event *e = &h->ev[rinv];
	const struct hist_event *cp = checker__completion(h, rinv);
	const struct hist_event *se = &h->ev[sup->inv];
	struct sb who = SB_INIT, got = SB_INIT, newer = SB_INIT,
		  key = SB_INIT, fault = SB_INIT, behind_s = SB_INIT,
		  acked = SB_INIT;
	int timed = c->faults.timed;
	size_t ops[3], n = 0;
	struct anomaly *a;
	uint32_t vid;

	if (checker__verdict_full(c->v)) {
		verdict_add(c->v, "stale-read", NULL, 0, checker__ev_key(e), "%s", "");
		return;
	}
	vid = checker__valmap_get(&c->vm, h, checker__ev_key(e), &cp->value);
	if (vid != NONE && c->vals[vid].nwrites == 1 &&
	    c->vals[vid].w_inv < (int64_t)rinv)
		ops[n++] = (size_t)c->vals[vid].w_inv;
	ops[n++] = (size_t)sup->inv;
	ops[n++] = rinv;
	if (checker__ev_key(e) != CHECKER__NOKEY)
		sb_addf(&key, " of %s", hist_str(h, e->key));
	/* " at 1.000 s (session 1, node n1)", or without times
	   " (FILE:LINE, session 1, node n1)" */
	if (timed)
		sb_addf(&who, " at %.3f s (", checker__secs(e->time));
	else {
		sb_adds(&who, " (");
		hist_where(h, rinv, &who);
		sb_adds(&who, ", ");
	}
	sb_addf(&who, "session %lld", (long long)e->session);
	if (e->node || cp->node)
		sb_addf(&who, ", node %s",
			hist_str(h, cp->node ? cp->node : e->node));
	sb_addc(&who, ')');
	sb_addf(&behind_s, "%" PRId64 " %s", behind,
		sb_plural((unsigned long long)behind, "version", "versions"));
	if (timed)
		sb_addf(&behind_s, " and %.3f ms", (double)lag / 1e6);
	checker__at(h, timed, (size_t)sup->cmp, &acked);
	checker__value_text(h, &cp->value, &got);
	if (byver)
		sb_addf(&got, " (version %" PRId64 ")", rver);
	checker__value_text(h, written(c, se), &newer);
	if (byver)
		sb_addf(&newer, " (version %" PRId64 ")", sup->ver);
	checker__faults_at(&c->faults, rinv, &fault);
	a = verdict_add(c->v, "stale-read", ops, n, checker__ev_key(e),
		"read%s%s returned %s, %s behind: %s was acknowledged%s, "
		"before the read began (during %s)", key.buf, who.buf,
		got.buf, behind_s.buf, newer.buf, acked.buf, fault.buf);
	a->detail = json_pack("{s:I, s:o, s:s, s:o, s:o}",
		"versions_behind", (json_int_t)behind,
		"ms_behind", timed ? json_real((double)lag / 1e6) :
			     json_null(),
		"order", byver ? "version" : "value order",
		"value", checker__value_json(h, &cp->value),
		"newer_value", checker__value_json(h, written(c, se)));
	sb_release(&who);
	sb_release(&got);
	sb_release(&newer);
	sb_release(&key);
	sb_release(&fault);
	sb_release(&behind_s);
	sb_release(&acked);
}

/* Judge the ok read at rinv (completion cp) against its key's state. */
static void judge(struct stalechk *c, size_t rinv,
		  const struct hist_event *cp)
{
	const struct history *h = c->h;
	const struct hist_event *e = &h->ev[rinv];
	uint32_t kid = checker__keymap_get(&c->km, checker__ev_key(e));
	const struct key *k = kid == NONE ? NULL : &c->keys[kid];
	const struct aw *sup = NULL;
	int64_t behind = 0, lag = 0, rver = 0;
	double thr = c->o ? c->o->stale_ms : 0;
	int byver = 0;

	c->reads_total++;
	if (k && k->versioned && k->seen && checker__op_version(e, cp, &rver)) {
		size_t p = upper_bound(c, k, rver);

		byver = 1;
		c->by_version++;
		if (p < k->seen) {
			sup = &c->aw[k->off + c->sorted[k->off + p]];
			behind = (int64_t)(k->seen - p);
		}
	} else {
		uint32_t vid = checker__valmap_get(&c->vm, h, checker__ev_key(e),
						   &cp->value);
		size_t j = SIZE_MAX;

		if (vid == NONE && cp->value.kind != HV_NIL) {
			c->unexplained++;
			return;
		}
		if (vid != NONE && c->vals[vid].nwrites > 1)
			return;		/* ambiguous, counted in pass 1 */
		if (vid == NONE)
			j = 0;		/* the initial value */
		else if (c->vals[vid].rank >= 0 &&
			 (size_t)c->vals[vid].rank < (k ? k->seen : 0))
			j = c->nn[k->off + (size_t)c->vals[vid].rank];
		if (k && j < k->seen) {
			sup = &c->aw[k->off + j];
			behind = (int64_t)(k->seen - j);
		}
	}
	if (sup) {
		lag = e->time - ack_time(c, sup);
		if (lag < 0)
			lag = 0;
		c->stale++;
		/* without times every stale read is one (--stale-ms is
		   not applied: the summary says so) */
		if (thr <= 0 || !c->faults.timed ||
		    (double)lag / 1e6 > thr) {
			c->anomalies++;
			report(c, rinv, sup, behind, lag, byver, rver);
		}
	}
	c->lag_ns[c->nread] = lag;
	c->lag_ver[c->nread] = behind;
	c->nread++;
}

static json_t *dist_json(int64_t *a, size_t n, double scale)
{
	int64_t mx = 0;
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (a[i] > mx)
			mx = a[i];
		sum += (double)a[i];
	}
	return json_pack("{s:I, s:f, s:f, s:f, s:f}",
			 "count", (json_int_t)n,
			 "p50", (double)checker__percentile(a, n, 50) / scale,
			 "p99", (double)checker__percentile(a, n, 99) / scale,
			 "max", (double)mx / scale,
			 "mean", n ? sum / (double)n / scale : 0.0);
}

static void fill_stats(struct stalechk *c)
{
	json_t *s = c->v->stats;
	size_t i, ns = 0;
	json_t *all_ms, *all_v, *st_ms, *st_v, *hist;
	static const int64_t edges[] = { 1000000, 10000000, 100000000,
					 1000000000, 10000000000 };
	static const char *const names[] = { "0", "<1ms", "<10ms", "<100ms",
					     "<1s", "<10s", ">=10s" };
	size_t buckets[7] = { 0 };

	for (i = 0; i < c->nread; i++) {
		size_t b = 0;

		if (c->lag_ver[i] > 0) {
			for (b = 1; b < 6 && c->lag_ns[i] >= edges[b - 1]; b++)
				;
		}
		buckets[b]++;
	}
	hist = json_object();
	for (i = 0; i < 7; i++)
		json_object_set_new(hist, names[i],
				    json_integer((json_int_t)buckets[i]));
	all_ms = dist_json(c->lag_ns, c->nread, 1e6);
	all_v = dist_json(c->lag_ver, c->nread, 1);
	/* Stale reads only: compact them to the front. */
	for (i = 0; i < c->nread; i++)
		if (c->lag_ver[i] > 0) {
			c->lag_ns[ns] = c->lag_ns[i];
			c->lag_ver[ns] = c->lag_ver[i];
			ns++;
		}
	st_ms = dist_json(c->lag_ns, ns, 1e6);
	st_v = dist_json(c->lag_ver, ns, 1);
	json_object_set_new(s, "reads", json_integer((json_int_t)c->reads_total));
	json_object_set_new(s, "reads_checked",
			    json_integer((json_int_t)c->nread));
	json_object_set_new(s, "checked_by_version",
			    json_integer((json_int_t)c->by_version));
	json_object_set_new(s, "stale_reads", json_integer((json_int_t)c->stale));
	json_object_set_new(s, "stale_beyond_threshold",
			    json_integer((json_int_t)c->anomalies));
	json_object_set_new(s, "threshold_ms",
			    json_real(c->o ? c->o->stale_ms : 0));
	json_object_set_new(s, "unexplained_reads",
			    json_integer((json_int_t)c->unexplained));
	json_object_set_new(s, "ambiguous_values",
			    json_integer((json_int_t)c->ambiguous));
	json_object_set_new(s, "versions_behind", all_v);
	json_object_set_new(s, "stale_versions_behind", st_v);
	json_object_set_new(s, "faults", checker__faults_json(&c->faults));
	if (!c->faults.timed) {
		/* No times (every event at 0): how many ms behind is not
		   known, and 0 ms would claim it is; no histogram by ms. */
		json_decref(all_ms);
		json_decref(st_ms);
		json_decref(hist);
		json_object_set_new(s, "ms_behind", json_null());
		json_object_set_new(s, "stale_ms_behind", json_null());
		json_object_set_new(s, "histogram", json_null());
		sb_addf(&c->v->summary, "%zu of %zu %s stale; versions "
			"behind p99 %" PRId64 " max %" PRId64 "; the history "
			"has no times: ms behind unknown%s", c->stale,
			c->nread, sb_plural(c->nread, "read", "reads"),
			(int64_t)json_real_value(json_object_get(all_v,
								 "p99")),
			(int64_t)json_real_value(json_object_get(all_v,
								 "max")),
			c->o && c->o->stale_ms > 0 ? ", --stale-ms not "
			"applied (every stale read is an anomaly)" : "");
	} else {
		json_object_set_new(s, "ms_behind", all_ms);
		json_object_set_new(s, "stale_ms_behind", st_ms);
		json_object_set_new(s, "histogram", hist);
		sb_addf(&c->v->summary, "%zu of %zu %s stale (%zu beyond "
			"the %.3f ms threshold); ms behind p50 %.3f p99 %.3f "
			"max %.3f; versions behind p99 %" PRId64 " max %"
			PRId64, c->stale, c->nread,
			sb_plural(c->nread, "read", "reads"), c->anomalies,
			c->o ? c->o->stale_ms : 0.0,
			json_real_value(json_object_get(all_ms, "p50")),
			json_real_value(json_object_get(all_ms, "p99")),
			json_real_value(json_object_get(all_ms, "max")),
			(int64_t)json_real_value(json_object_get(all_v,
								 "p99")),
			(int64_t)json_real_value(json_object_get(all_v,
								 "max")));
	}
	if (!c->nread) {
		/* No read could be judged: "0 stale" would claim a check
		 * that never happened. */
		sb_addf(&c->v->summary, "; no ok read could be judged (%zu "
			"ok %s, %zu unexplained, %zu "
			"ambiguous): nothing to judge", c->reads_total,
			sb_plural(c->reads_total, "read", "reads"),
			c->unexplained, c->reads_total - c->unexplained);
		if (c->v->kind == VERDICT_VALID)
			c->v->kind = VERDICT_UNKNOWN;
	}
}

static int stale_check(const struct history *h, const struct checker_opts *o,
		       struct verdict *v, struct sb *err)
{
	struct stalechk c;
	size_t i, nreads = 0;

	(void)err;
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.v = v;
	c.o = o;
	c.f_read = hist_lookup(h, "read");
	c.f_write = hist_lookup(h, "write");
	c.f_cas = hist_lookup(h, "cas");
	checker__valmap_init(&c.vm, h->n / 4);
	/* At most one value a write op: no copy while they are added. */
	checker__valmap_reserve(&c.vm, h->n / 2 + 1);
	c.vals = xmalloc((h->n / 2 + 1) * sizeof(*c.vals));
	c.vals_alloc = h->n / 2 + 1;
	checker__keymap_init(&c.km);
	checker__faults_build(&c.faults, h);
	collect(&c);
	nreads = c.nreads_max ? c.nreads_max : 1;
	c.lag_ns = xmalloc(nreads * sizeof(*c.lag_ns));
	c.lag_ver = xmalloc(nreads * sizeof(*c.lag_ver));

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *cp;

		if (!hist_is_client(e))
			continue;
		if (e->type == HIST_OK && e->pair >= 0 &&
		    written(&c, &h->ev[e->pair])) {
			struct key *k = &c.keys[checker__keymap_get(
				&c.km, checker__ev_key(&h->ev[e->pair]))];

			if (k->versioned)
				sorted_insert(&c, k);
			k->seen++;
			continue;
		}
		if (e->type != HIST_INVOKE || e->f != c.f_read)
			continue;
		cp = checker__completion(h, i);
		if (cp && cp->type == HIST_OK)
			judge(&c, i, cp);
	}
	fill_stats(&c);

	checker__faults_release(&c.faults);
	checker__valmap_release(&c.vm);
	checker__keymap_release(&c.km);
	free(c.vals);
	free(c.keys);
	free(c.aw);
	free(c.nn);
	free(c.sorted);
	free(c.lag_ns);
	free(c.lag_ver);
	return 0;
}

const struct checker_type checker_stale = {
	.name = "stale",
	.help = "stale reads: versions and ms behind the latest acknowledged "
		"write, p50/p99/max; reads beyond --stale-ms are anomalies",
	.opts = CHECKER_OPT_STALE_MS,
	.check = stale_check,
};
