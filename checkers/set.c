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
 */
#include "checker.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checker-util.h"

#define NONE CHECKER__NONE
#define MAX_FINAL 64
#define PREFETCH 16	/* elements visited ahead of their fetch */

enum { ADD_NONE, ADD_OK, ADD_INFO, ADD_FAIL };

#define EL_DUP		0x01	/* duplicate reported */
#define EL_UNEXP	0x02	/* unexpected reported */
#define EL_REVIVED	0x04	/* revived reported */
#define EL_LISTED	0x08	/* some read listed it */

struct read {
	size_t inv, cmp;	/* positions of the invoke and completion */
	uint32_t key;		/* key index */
	int fin;		/* ordinal among the key's final reads, or -1 */
};

/*
 * 32 bytes, two a cache line: there is one per element, so every byte
 * here is a megabyte on a million-element history.  Positions fit 32
 * bits (HIST_EVENTS_MAX); the key index is found from the element's
 * (key, value) entry when needed (elem_key()).
 */
struct elem {
	uint64_t finmask;	/* final reads (ordinals) that list it */
	uint32_t add;		/* invoke position of its add, NONE */
	uint32_t last;		/* last read (grouped index) listing it, NONE */
	uint32_t mincmp;	/* listing read that completed first, NONE */
	uint32_t gap, gap_a;	/* best R2 so far and its R1, NONE */
	uint8_t add_state;
	uint8_t flags;
};
_Static_assert(sizeof(struct elem) == 32, "struct elem is 32 bytes");

struct key {
	uint32_t key;		/* interned key, CHECKER__NOKEY */
	size_t nreads;
	size_t nelems;		/* elements added or listed */
	size_t off;		/* first grouped read */
	size_t nfinal;		/* ok final reads */
	size_t final_failed;	/* final reads that did not return */
	size_t final_bad;	/* ok final reads whose value is no set */
	size_t fin_off;		/* first entry in finals[] */
};

struct setchk {
	const struct history *h;
	struct verdict *v;
	struct checker__valmap elems_map;
	struct checker__keymap keys_map;
	struct elem *el;
	size_t nel, el_alloc;
	struct key *keys;
	size_t nkeys, keys_alloc;
	struct read *rd;	/* ok reads, history order, then grouped */
	size_t nrd, rd_alloc;
	uint32_t *tree;		/* segment tree: argmin of rd[].cmp */
	size_t tsize;
	uint32_t *finals;	/* grouped indices of final reads per key */
	struct checker__faults faults;
	/* counts */
	size_t adds, adds_ok, adds_fail, adds_info, dup_adds;
	size_t reads_ok, reads_fail, reads_info, malformed;
	size_t final_ok, final_failed, final_ignored;
	size_t final_bad;	/* ok final reads whose value is no set */
	size_t bad_read, bad_final;	/* completion of the first such
					   read (not final, final);
					   SIZE_MAX: none */
	size_t lost, unexpected, duplicated, revived;
	size_t info_survived, info_lost, unresolved, acked_ok;
	json_t *l_lost, *l_unexp, *l_dup, *l_rev, *by_fault;
};

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
		struct elem *e;

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
			struct elem *el = &c->el[id];
			int st = !cp ? ADD_INFO : cp->type == HIST_OK ? ADD_OK :
				 cp->type == HIST_FAIL ? ADD_FAIL : ADD_INFO;

			c->adds++;
			c->adds_ok += st == ADD_OK;
			c->adds_fail += st == ADD_FAIL;
			c->adds_info += st == ADD_INFO;
			if (el->add != NONE)
				c->dup_adds++;
			/* The strongest outcome wins: ok, then info. */
			if (el->add == NONE || st == ADD_OK ||
			    (st == ADD_INFO && el->add_state == ADD_FAIL)) {
				if (el->add_state != ADD_OK) {
					el->add = (uint32_t)i;
					el->add_state = (uint8_t)st;
				}
			}
			continue;
		}
		/* A read. */
		{
			int fin = checker__op_flag(h, i, HIST_F_FINAL);
			struct read *r;

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
	struct read *g = xmalloc((c->nrd ? c->nrd : 1) * sizeof(*g));
	size_t *fill = xcalloc(c->nkeys ? c->nkeys : 1, sizeof(*fill));
	size_t i, off = 0, nfin = 0;

	for (i = 0; i < c->nkeys; i++) {
		c->keys[i].off = off;
		fill[i] = off;
		off += c->keys[i].nreads;
	}
	for (i = 0; i < c->nrd; i++) {
		struct read *r = &c->rd[i];
		struct key *k = &c->keys[r->key];

		if (r->fin >= 0) {
			if (k->nfinal < MAX_FINAL)
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
		struct key *k = &c->keys[i];
		size_t j;

		k->fin_off = nfin;
		for (j = k->off; j < k->off + k->nreads; j++)
			if (c->rd[j].fin >= 0)
				c->finals[nfin++] = (uint32_t)j;
		if (k->nfinal > MAX_FINAL)
			k->nfinal = MAX_FINAL;
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

/* ===== Anomalies ===== */

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

static double t_at(const struct setchk *c, size_t pos)
{
	return checker__secs(c->h->ev[pos].time);
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
	const struct elem *e = &c->el[id];
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

static void report_revived(struct setchk *c, uint32_t id, uint32_t g)
{
	const struct elem *e = &c->el[id];
	const struct read *ra = &c->rd[e->gap_a], *rb = &c->rd[e->gap],
			  *rc = &c->rd[g];
	size_t reads[3] = { ra->inv, rb->inv, rc->inv };

	report_elem(c, id, "revived", reads, 3, c->l_rev, &c->revived,
		    "was read by a read that ended at %.3f s, missing from "
		    "a read that began after it (%.3f s to %.3f s), and "
		    "read again by a read that began at %.3f s: it "
		    "disappeared and came back", t_at(c, ra->cmp),
		    t_at(c, rb->inv), t_at(c, rb->cmp), t_at(c, rc->inv));
}

static void report_unexpected(struct setchk *c, uint32_t id, uint32_t g)
{
	size_t r = c->rd[g].inv;

	report_elem(c, id, "unexpected", &r, 1, c->l_unexp, &c->unexpected,
		    "was read at %.3f s %s", t_at(c, r),
		    c->el[id].add_state == ADD_FAIL ?
		    "although its add failed (a failed op must not take "
		    "effect)" : "but nobody added it");
}

static void report_duplicate(struct setchk *c, uint32_t id, uint32_t g)
{
	size_t r = c->rd[g].inv;

	report_elem(c, id, "duplicate", &r, 1, c->l_dup, &c->duplicated,
		    "appears more than once in the read that began at "
		    "%.3f s (a set holds each element once)", t_at(c, r));
}

/* Visit element id listed by grouped read g. */
static void visit(struct setchk *c, uint32_t id, uint32_t g)
{
	struct elem *e = &c->el[id];
	const struct read *r = &c->rd[g];

	if (e->last == g) {
		if (!(e->flags & EL_DUP)) {
			e->flags |= EL_DUP;
			report_duplicate(c, id, g);
		}
		return;
	}
	e->flags |= EL_LISTED;
	if ((e->add_state == ADD_NONE || e->add_state == ADD_FAIL) &&
	    !(e->flags & EL_UNEXP)) {
		e->flags |= EL_UNEXP;
		report_unexpected(c, id, g);
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
		    !(e->flags & EL_REVIVED)) {
			e->flags |= EL_REVIVED;
			report_revived(c, id, g);
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
		const struct read *r = &c->rd[g];
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
static size_t known_at(const struct setchk *c, const struct elem *e)
{
	size_t k = SIZE_MAX;

	if (e->add_state == ADD_OK)
		k = (size_t)c->h->ev[e->add].pair;
	if (e->mincmp != NONE && c->rd[e->mincmp].cmp < k)
		k = c->rd[e->mincmp].cmp;
	return k;
}

static void report_lost(struct setchk *c, uint32_t id, size_t known,
			const struct read *f)
{
	const struct history *h = c->h;
	const struct elem *e = &c->el[id];
	struct sb fault = SB_INIT, how = SB_INIT;
	size_t reads[2], n = 0;
	int64_t t_fault;
	struct anomaly *a;
	json_t *cnt;

	if (e->add_state == ADD_OK) {
		size_t ack = (size_t)h->ev[e->add].pair;

		t_fault = h->ev[ack].time;
		sb_addf(&how, "its add (invoked at %.3f s) was acknowledged "
			"at %.3f s", t_at(c, e->add), t_at(c, ack));
	} else {
		const struct read *r = &c->rd[e->mincmp];

		reads[n++] = r->inv;
		t_fault = e->add != NONE ? h->ev[e->add].time :
			  h->ev[r->inv].time;
		sb_addf(&how, "its add was %s, but a read that ended at "
			"%.3f s listed it",
			e->add == NONE ? "never invoked" : "indeterminate",
			t_at(c, r->cmp));
	}
	reads[n++] = f->inv;
	checker__faults_at(&c->faults, t_fault, &fault);
	a = report_elem(c, id, "lost", reads, n, c->l_lost, &c->lost,
			"was lost: %s, during %s, but the final read that "
			"began at %.3f s lacks it", how.buf, fault.buf,
			t_at(c, f->inv));
	json_object_set_new(a->detail, "add", json_string(
		e->add_state == ADD_OK ? "ok" : e->add != NONE ? "info" :
		"none"));
	json_object_set_new(a->detail, "known_at_s",
			    json_real(t_at(c, known)));
	json_object_set_new(a->detail, "fault", json_string(fault.buf));
	cnt = json_object_get(c->by_fault, fault.buf);
	json_object_set_new(c->by_fault, fault.buf, json_integer(
		(cnt ? json_integer_value(cnt) : 0) + 1));
	sb_release(&fault);
	sb_release(&how);
}

/* Judge every element against its key's final reads. */
static void judge_final(struct setchk *c)
{
	uint32_t id;

	for (id = 0; id < c->nel; id++) {
		const struct elem *e = &c->el[id];
		const struct key *k = &c->keys[elem_key(c, id)];
		uint64_t full = k->nfinal >= 64 ? ~(uint64_t)0 :
				((uint64_t)1 << k->nfinal) - 1;
		size_t known, j;
		int lost = 0;

		if (e->add_state == ADD_FAIL || e->add_state == ADD_NONE)
			continue;	/* unexpected, if ever listed */
		if (e->add_state == ADD_OK)
			c->acked_ok++;
		if (!k->nfinal) {
			c->unresolved++;
			continue;
		}
		/* known_at() reads the add's event: only when needed. */
		known = e->finmask != full ? known_at(c, e) : SIZE_MAX;
		if (known != SIZE_MAX) {
			for (j = 0; j < k->nfinal; j++) {
				const struct read *f =
					&c->rd[c->finals[k->fin_off + j]];

				if (e->finmask & ((uint64_t)1 << j))
					continue;
				if (known < f->inv) {
					report_lost(c, id, known, f);
					lost = 1;
					break;
				}
			}
		}
		if (lost)
			continue;
		if (e->add_state == ADD_INFO) {
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

static void fill_stats(struct setchk *c)
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
	json_object_set_new(s, "lost_count", json_integer((json_int_t)c->lost));
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

static void summarize(struct setchk *c)
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
		sb_addf(s, "; %zu %s during the run returned a value "
			"that is not a set, not used (the first ", c->malformed -
			c->final_bad, sb_plural(c->malformed - c->final_bad,
			"read", "reads"));
		bad_value(c, c->bad_read, s);
		sb_adds(s, ")");
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
	fill_stats(&c);
	summarize(&c);

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
