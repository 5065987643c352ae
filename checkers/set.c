/*
 * set.c - the "set" checker: lost, unexpected, duplicated and revived
 * elements of a grow-only set (Redis SADD/SMEMBERS, Jepsen's set tests).
 *
 * Model.  Clients `add` unique elements (f "add", value the element) and
 * `read` the whole set (f "read", an ok read's value is the list of
 * elements).  Final reads (`"final": true` on the invoke or completion)
 * run after the faults healed.  With keys (HIST_F_KEY) every key is a set
 * of its own and elements are (key, element) pairs.
 *
 * What it reports (docs/checkers.md):
 *   lost        an element known to exist (its add was acknowledged, or a
 *               read that completed before the final read began listed
 *               it) that a final read lacks; with the add op, its times
 *               and the faults in force when it was acknowledged (fault
 *               windows: checker-util.h);
 *   unexpected  an element a read listed whose add never happened (no
 *               add, or the add failed);
 *   duplicate   an element listed more than once by one read;
 *   revived     an element read by R1, then missing from R2 that began
 *               after R1 completed, then read again by R3 that began
 *               after R2 completed: it disappeared and came back (in a
 *               linearizable set an element, once read, stays).
 * Indeterminate (info or never completed) adds are counted as survived
 * (some final read lists them) or not (no read ever listed them); they
 * are not anomalies, since they may never have happened.  An add
 * acknowledged after a final read began is not judged by that read.
 * When no final read succeeded the lost-write question cannot be
 * answered: the verdict is unknown (never "everything lost"), unless an
 * anomaly of another kind makes it invalid; a final read whose value is
 * not a list did not succeed either, and the summary names it
 * (FILE:LINE).  Reads during the run whose value is not a list are not
 * used, and the summary names the first.  Counts of adds are counts of
 * add ops: an element added twice is two adds (and one repeated add).  A history with no adds and
 * no listed element (no set ops at all, say a register history) asks no
 * question either: unknown, never "valid".
 *
 * Algorithm.  One pass over the events collects adds (a (key, element)
 * -> id hash map) and ok reads; reads are grouped by key in invoke order
 * (a counting sort) and a segment tree over their completion positions
 * answers "the read in this range that completed first" in O(log r).
 * Then every listed element is visited once, in its key's read order
 * (found by comparing it with the same position of the key's previous
 * read, which usually lists the same elements: a hash lookup only when
 * they differ),
 * keeping per element: the last read listing it, the read listing it
 * that completed first (the best R1), and the best R2 candidate so far.
 * R2 candidates are the reads between two consecutive reads listing the
 * element (exactly the reads that lack it), restricted by binary search
 * to those that began after R1 completed.  Final-read membership is a
 * 64-bit mask per element (the first 64 final reads of a key are
 * judged; more are counted).
 *
 * Complexity: O(E + L + G log R) time, E events, L listed elements in
 * all reads, R reads, G gaps (an element missing between two reads that
 * list it: rare); memory O(E) (no allocation per event).  The lost list
 * looks up faults in O(F) per lost element, F fault windows.
 *
 * The anomalies' words (texts, detail), stats and summary are in
 * set-report.c; the structures both share, in set-internal.h.
 */
#include "checker.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "set-internal.h"

#define NONE CHECKER__NONE
#define PREFETCH 16	/* elements visited ahead of their fetch */

static uint32_t key_index(struct setchk *c, uint32_t key)
{
	int added;
	uint32_t k = checker__keymap_put(&c->keys_map, key, &added);

	if (added) {
		ALLOC_GROW(c->keys, c->nkeys + 1, c->keys_alloc);
		memset(&c->keys[k], 0, sizeof(c->keys[k]));
		c->keys[k].key = key;
		c->nkeys++;
	}
	return k;
}

static uint32_t elem_id(struct setchk *c, uint32_t key, uint32_t kidx,
			const struct hist_value *v)
{
	int added;
	uint32_t id = checker__valmap_put(&c->elems_map, c->h, key, v, &added);

	if (added) {
		struct set_elem *e;

		ALLOC_GROW(c->el, c->nel + 1, c->el_alloc);
		e = &c->el[c->nel++];
		memset(e, 0, sizeof(*e));
		e->add = e->last = e->mincmp = e->gap = e->gap_a = NONE;
		c->keys[kidx].nelems++;
	}
	return id;
}

/* Key index of element id. */
static uint32_t elem_key(const struct setchk *c, uint32_t id)
{
	return checker__keymap_get(&c->keys_map, c->elems_map.keys[id].key);
}

static uint32_t ev_key(const struct hist_event *e)
{
	return (e->flags & HIST_F_KEY) ? e->key : CHECKER__NOKEY;
}

/* Pass 1: adds, reads, counts. */
static void collect(struct setchk *c, uint32_t f_add, uint32_t f_read)
{
	const struct history *h = c->h;
	size_t i;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *cp;
		uint32_t kidx;

		if (e->type != HIST_INVOKE || !hist_is_client(e))
			continue;
		if (e->f != f_add && e->f != f_read)
			continue;
		cp = checker__completion(h, i);
		kidx = key_index(c, ev_key(e));
		if (e->f == f_add) {
			uint32_t id = elem_id(c, ev_key(e), kidx, &e->value);
			struct set_elem *el = &c->el[id];
			int st = !cp ? SET_ADD_INFO :
				 cp->type == HIST_OK ? SET_ADD_OK :
				 cp->type == HIST_FAIL ? SET_ADD_FAIL :
				 SET_ADD_INFO;

			c->adds++;
			c->adds_ok += st == SET_ADD_OK;
			c->adds_fail += st == SET_ADD_FAIL;
			c->adds_info += st == SET_ADD_INFO;
			if (el->add != NONE)
				c->dup_adds++;
			/* The strongest outcome wins: ok, then info. */
			if (el->add == NONE || st == SET_ADD_OK ||
			    (st == SET_ADD_INFO &&
			     el->add_state == SET_ADD_FAIL)) {
				if (el->add_state != SET_ADD_OK) {
					el->add = (uint32_t)i;
					el->add_state = (uint8_t)st;
				}
			}
			continue;
		}
		/* A read. */
		{
			int fin = checker__op_flag(h, i, HIST_F_FINAL);
			struct set_read *r;

			if (!cp || cp->type != HIST_OK) {
				if (!cp || cp->type == HIST_INFO)
					c->reads_info++;
				else
					c->reads_fail++;
				if (fin) {
					c->final_failed++;
					c->keys[kidx].final_failed++;
				}
				continue;
			}
			if (cp->value.kind != HV_LIST) {
				c->malformed++;
				if (!fin && c->bad_read == SIZE_MAX)
					c->bad_read = (size_t)e->pair;
				if (fin) {
					c->final_bad++;
					c->keys[kidx].final_bad++;
					if (c->bad_final == SIZE_MAX)
						c->bad_final = (size_t)e->pair;
				}
				continue;
			}
			c->reads_ok++;
			ALLOC_GROW(c->rd, c->nrd + 1, c->rd_alloc);
			r = &c->rd[c->nrd++];
			r->inv = i;
			r->cmp = (size_t)e->pair;
			r->key = kidx;
			r->fin = fin ? 0 : -1;
			c->keys[kidx].nreads++;
		}
	}
}

/* Group reads by key (stable: invoke order within a key). */
static void group_reads(struct setchk *c)
{
	struct set_read *g = xmalloc((c->nrd ? c->nrd : 1) * sizeof(*g));
	size_t *fill = xcalloc(c->nkeys ? c->nkeys : 1, sizeof(*fill));
	size_t i, off = 0, nfin = 0;

	for (i = 0; i < c->nkeys; i++) {
		c->keys[i].off = off;
		fill[i] = off;
		off += c->keys[i].nreads;
	}
	for (i = 0; i < c->nrd; i++) {
		struct set_read *r = &c->rd[i];
		struct set_key *k = &c->keys[r->key];

		if (r->fin >= 0) {
			if (k->nfinal < SET_MAX_FINAL)
				r->fin = (int)k->nfinal;
			else {
				r->fin = -1;
				c->final_ignored++;
			}
			k->nfinal++;
			c->final_ok++;
			nfin++;
		}
		g[fill[r->key]++] = *r;
	}
	free(c->rd);
	free(fill);
	c->rd = g;
	/* Final reads per key, grouped order == ordinal order. */
	c->finals = xmalloc((nfin ? nfin : 1) * sizeof(*c->finals));
	nfin = 0;
	for (i = 0; i < c->nkeys; i++) {
		struct set_key *k = &c->keys[i];
		size_t j;

		k->fin_off = nfin;
		for (j = k->off; j < k->off + k->nreads; j++)
			if (c->rd[j].fin >= 0)
				c->finals[nfin++] = (uint32_t)j;
		if (k->nfinal > SET_MAX_FINAL)
			k->nfinal = SET_MAX_FINAL;
	}
}

/* ===== Segment tree: argmin of completion position over a range ===== */

static uint32_t tmin(const struct setchk *c, uint32_t a, uint32_t b)
{
	if (a == NONE)
		return b;
	if (b == NONE)
		return a;
	return c->rd[a].cmp <= c->rd[b].cmp ? a : b;
}

static void tree_build(struct setchk *c)
{
	size_t i, n = c->nrd;

	c->tsize = n;
	c->tree = xmalloc((2 * n + 1) * sizeof(*c->tree));
	for (i = 0; i < n; i++)
		c->tree[n + i] = (uint32_t)i;
	for (i = n - 1; i >= 1 && n > 1; i--)
		c->tree[i] = tmin(c, c->tree[2 * i], c->tree[2 * i + 1]);
}

/* The read in grouped range [l, r) that completed first. */
static uint32_t tree_query(const struct setchk *c, size_t l, size_t r)
{
	uint32_t best = NONE;

	for (l += c->tsize, r += c->tsize; l < r; l /= 2, r /= 2) {
		if (l & 1)
			best = tmin(c, best, c->tree[l++]);
		if (r & 1)
			best = tmin(c, best, c->tree[--r]);
	}
	return best;
}

/* First grouped index in [lo, hi) whose read began after position x. */
static size_t first_after(const struct setchk *c, size_t lo, size_t hi,
			  size_t x)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->rd[mid].inv > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Visit element id listed by grouped read g. */
static void visit(struct setchk *c, uint32_t id, uint32_t g)
{
	struct set_elem *e = &c->el[id];
	const struct set_read *r = &c->rd[g];

	if (e->last == g) {
		if (!(e->flags & SET_EL_DUP)) {
			e->flags |= SET_EL_DUP;
			checker__set_duplicate(c, id, g);
		}
		return;
	}
	e->flags |= SET_EL_LISTED;
	if ((e->add_state == SET_ADD_NONE || e->add_state == SET_ADD_FAIL) &&
	    !(e->flags & SET_EL_UNEXP)) {
		e->flags |= SET_EL_UNEXP;
		checker__set_unexpected(c, id, g);
	}
	if (r->fin >= 0)
		e->finmask |= (uint64_t)1 << r->fin;
	if (e->last != NONE) {
		if (g - e->last > 1) {
			/* Reads (last, g) lack it: R2 candidates are those
			 * that began after the best R1 completed. */
			size_t s = first_after(c, e->last + 1, g,
					       c->rd[e->mincmp].cmp);

			if (s < g) {
				uint32_t b = tree_query(c, s, g);

				if (e->gap == NONE ||
				    c->rd[b].cmp < c->rd[e->gap].cmp) {
					e->gap = b;
					e->gap_a = e->mincmp;
				}
			}
		}
		if (e->gap != NONE && c->rd[e->gap].cmp < r->inv &&
		    !(e->flags & SET_EL_REVIVED)) {
			e->flags |= SET_EL_REVIVED;
			checker__set_revived(c, id, g);
		}
	}
	if (e->mincmp == NONE || r->cmp < c->rd[e->mincmp].cmp)
		e->mincmp = g;
	e->last = g;
}

/* Whether two list elements are the same value (integers inline). */
static int same_elem(const struct history *h, const struct hist_value *a,
		     const struct hist_value *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == HV_INT)
		return a->u.i == b->u.i;
	return hist_value_eq(h, a, b);
}

/*
 * Visit every listed element, reads grouped by key.  Successive reads of
 * a key mostly list the same elements in the same order (a set read
 * again), so element j of a read is first compared with element j of the
 * key's previous read, whose id is known: a sequential compare instead of
 * a hash lookup per listed element.
 */
static void scan_reads(struct setchk *c)
{
	const struct history *h = c->h;
	uint32_t *prev = NULL, *cur = NULL, *t, prev_key = NONE;
	const struct hist_value *pv = NULL;
	size_t g, n, prev_n = 0, prev_alloc = 0, cur_alloc = 0;

	for (g = 0; g < c->nrd; g++) {
		const struct set_read *r = &c->rd[g];
		const struct hist_value *v = &h->ev[r->cmp].value;
		uint32_t key = c->keys[r->key].key, j;

		if (r->key != prev_key) {
			prev_key = r->key;
			prev_n = 0;
		}
		ALLOC_GROW(cur, (size_t)v->n + 1, cur_alloc);
		for (j = 0; j < v->n; j++) {
			const struct hist_value *x = hist_list_elem(h, v, j);

			if (j < prev_n &&
			    same_elem(h, x, hist_list_elem(h, pv, j)))
				cur[j] = prev[j];
			else
				cur[j] = elem_id(c, key, r->key, x);
		}
		/* The records of a read's elements are known before any is
		 * visited: fetch them ahead (they lie a key's worth of ids
		 * apart, each its own cache line). */
		for (j = 0; j < v->n; j++) {
			if (j + PREFETCH < v->n)
				__builtin_prefetch(&c->el[cur[j + PREFETCH]], 1);
			visit(c, cur[j], (uint32_t)g);
		}
		t = prev;
		prev = cur;
		cur = t;
		n = prev_alloc;
		prev_alloc = cur_alloc;
		cur_alloc = n;
		prev_n = v->n;
		pv = v;
	}
	free(prev);
	free(cur);
}

/*
 * Position after which element e is known to exist: its add's
 * acknowledgement, or the completion of the first read listing it;
 * SIZE_MAX when neither exists.
 */
static size_t known_at(const struct setchk *c, const struct set_elem *e)
{
	size_t k = SIZE_MAX;

	if (e->add_state == SET_ADD_OK)
		k = (size_t)c->h->ev[e->add].pair;
	if (e->mincmp != NONE && c->rd[e->mincmp].cmp < k)
		k = c->rd[e->mincmp].cmp;
	return k;
}

/* Judge every element against its key's final reads. */
static void judge_final(struct setchk *c)
{
	uint32_t id;

	for (id = 0; id < c->nel; id++) {
		const struct set_elem *e = &c->el[id];
		const struct set_key *k = &c->keys[elem_key(c, id)];
		uint64_t full = k->nfinal >= 64 ? ~(uint64_t)0 :
				((uint64_t)1 << k->nfinal) - 1;
		size_t known, j;
		int lost = 0;

		if (e->add_state == SET_ADD_FAIL ||
		    e->add_state == SET_ADD_NONE)
			continue;	/* unexpected, if ever listed */
		if (e->add_state == SET_ADD_OK)
			c->acked_ok++;
		if (!k->nfinal) {
			c->unresolved++;
			continue;
		}
		/* known_at() reads the add's event: only when needed. */
		known = e->finmask != full ? known_at(c, e) : SIZE_MAX;
		if (known != SIZE_MAX) {
			for (j = 0; j < k->nfinal; j++) {
				const struct set_read *f =
					&c->rd[c->finals[k->fin_off + j]];

				if (e->finmask & ((uint64_t)1 << j))
					continue;
				if (known < f->inv) {
					checker__set_lost(c, id, known, f);
					lost = 1;
					break;
				}
			}
		}
		if (lost)
			continue;
		if (e->add_state == SET_ADD_INFO) {
			if (e->finmask)
				c->info_survived++;
			else
				c->info_lost++;
		} else if (e->finmask != full) {
			/* Acknowledged after every final read lacking it
			 * began: that read cannot judge it. */
			c->unresolved++;
		}
	}
}

static int set_check(const struct history *h, const struct checker_opts *o,
		     struct verdict *v, struct sb *err)
{
	struct setchk c;
	uint32_t f_add = hist_lookup(h, "add"), f_read = hist_lookup(h, "read");

	(void)o;
	(void)err;
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.v = v;
	c.bad_read = c.bad_final = SIZE_MAX;
	checker__valmap_init(&c.elems_map, h->n / 2);
	/* At most one element an add op: sized once, no copy while the
	 * adds are collected (growing cost a third of the time). */
	checker__valmap_reserve(&c.elems_map, h->n / 2 + 1);
	c.el = xmalloc_large((h->n / 2 + 1) * sizeof(*c.el));
	c.el_alloc = h->n / 2 + 1;
	checker__keymap_init(&c.keys_map);
	checker__faults_build(&c.faults, h);
	c.l_lost = json_array();
	c.l_unexp = json_array();
	c.l_dup = json_array();
	c.l_rev = json_array();
	c.by_fault = json_object();

	collect(&c, f_add, f_read);
	group_reads(&c);
	tree_build(&c);
	scan_reads(&c);
	judge_final(&c);
	checker__set_stats(&c);
	checker__set_summary(&c);

	json_decref(c.l_lost);
	json_decref(c.l_unexp);
	json_decref(c.l_dup);
	json_decref(c.l_rev);
	json_decref(c.by_fault);
	checker__faults_release(&c.faults);
	checker__valmap_release(&c.elems_map);
	checker__keymap_release(&c.keys_map);
	free(c.el);
	free(c.keys);
	free(c.rd);
	free(c.tree);
	free(c.finals);
	return 0;
}

const struct checker_type checker_set = {
	.name = "set",
	.help = "grow-only set: lost, unexpected, duplicated and revived "
		"elements (f add / read, final reads)",
	.check = set_check,
};
