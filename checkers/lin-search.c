/*
 * lin-search.c - the Wing & Gong / Lowe linearizability search over one
 * register (one key), with memoisation of seen configurations.
 *
 * Algorithm.  The operations' call and return entries form a doubly
 * linked list in history order.  The search walks it from the head: a
 * call entry met before any return entry is an operation that may take
 * effect now (every operation that completed before it was invoked has
 * been linearized).  If the model accepts it and the configuration
 * (linearized set, model state) it leads to has not been seen, the
 * operation is lifted out of the list (call and return entry), pushed on
 * an explicit stack, and the walk restarts from the head.  Meeting a
 * return entry means the operation it belongs to must have taken effect
 * before anything later: backtrack (pop, put the entries back, try the
 * next call).  Indeterminate operations have no return entry, so they may
 * take effect at any point after their invoke, and the search succeeds as
 * soon as every `ok` operation is linearized: the indeterminate ones left
 * over never happened.  This is complete: every order the memo cuts off
 * continues from a configuration already explored in full.
 *
 * Engineering.  Operations are numbered ok-first in invoke order, so the
 * linearized set of ok operations is always "all of 0..p-1, plus a few
 * beyond p" (an operation can only be linearized while its call precedes
 * the first pending return).  A configuration is stored as its state, the
 * index of the first word of the ok bitset that is not full, the words
 * from there to the last non-zero word, and the (usually short) bitset of
 * indeterminate operations: a few words even for 10k-operation histories.
 * Indeterminate operations are kept out of the entry list (they have no
 * return, so they would be scanned at every node for the rest of the
 * search): they are grouped by effect (kind and values), each group in
 * invoke order, and only the first unused one of a group is a candidate.
 * The hash is a Zobrist hash (xor of one random word per linearized op)
 * updated in O(1) per step, mixed with the state.  The seen
 * configurations are the memo (lin-memo.c: arena chunks, an open
 * addressing set).  Nothing is allocated in the inner loop except when
 * the memo grows, and every allocation is charged to the shared memory
 * budget first (lin-memo.c).
 *
 * Complexity: O(C * w) time where C is the number of distinct
 * configurations (at most 2^n * values, in practice close to n times the
 * number of ways the concurrent operations around each point can be
 * ordered) and w the concurrency window; memory O(C * (3 + stored words)).
 */
#include "lin.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "os.h"

void checker__lin_result_release(struct lin_result *r)
{
	free(r->best);
	r->best = NULL;
	r->best_len = 0;
}

/* ===== The search ===== */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t config_hash(uint64_t zob, uint32_t state)
{
	uint64_t x = zob ^ ((uint64_t)state + 1) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

struct pos_ent {
	size_t pos;
	uint32_t op;
	uint32_t is_ret;
};

static int pos_ent_cmp(const void *a, const void *b)
{
	const struct pos_ent *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A node of the search: the configuration after `depth` operations. */
struct frame {
	uint32_t op;		/* the operation linearized to get here */
	uint32_t state;		/* model state here */
	int after_info;		/* op was indeterminate */
	size_t base;		/* its candidates: cand[base .. base+count) */
	uint32_t count, idx;	/* idx: next candidate to try */
};

struct search {
	const struct lin_problem *p;
	struct lin_budget *b;
	size_t *mine;
	size_t n_ok, wok;
	uint64_t last_mask;
	/* the entry list: 0 head, nent + 1 tail */
	int32_t *next, *prev;
	uint32_t *ent_op, *call_of, *ret_of, head, tail;
	uint8_t *ent_ret;
	/* the linearized set */
	uint64_t *bits, *z, zob;
	long lo, hi;
	/* candidates of every node on the stack */
	uint32_t *cand;
	size_t cand_alloc;
	/* values observed by the current candidates (generation stamps) */
	uint32_t *obs, gen;
	/* indeterminate ops by effect class, each class in invoke order;
	   the used ones are always the first cls_used[c] of class c */
	uint32_t *cls_ops, *cls_start, *cls_len, *cls_used, *op_cls;
	uint32_t ncls;
	/* candidates by effect: key, and generation << 32 | position */
	uint64_t *dkey, *dval;
	size_t dsize;
	uint32_t dgen;
};

static inline void op_set(struct search *s, uint32_t op)
{
	s->zob ^= s->z[op];
	if (op < s->n_ok) {
		size_t w = op >> 6;

		s->bits[w] |= (uint64_t)1 << (op & 63);
		if ((long)w > s->hi)
			s->hi = (long)w;
		while ((size_t)s->lo < s->wok &&
		       s->bits[s->lo] == ((size_t)s->lo == s->wok - 1
					  ? s->last_mask : ~(uint64_t)0))
			s->lo++;
	} else {
		op -= (uint32_t)s->n_ok;
		s->bits[s->wok + (op >> 6)] |= (uint64_t)1 << (op & 63);
	}
}

static inline void op_clear(struct search *s, uint32_t op)
{
	s->zob ^= s->z[op];
	if (op < s->n_ok) {
		size_t w = op >> 6;

		s->bits[w] &= ~((uint64_t)1 << (op & 63));
		if ((long)w < s->lo)
			s->lo = (long)w;
		if ((long)w == s->hi)
			while (s->hi >= 0 && !s->bits[s->hi])
				s->hi--;
	} else {
		op -= (uint32_t)s->n_ok;
		s->bits[s->wok + (op >> 6)] &= ~((uint64_t)1 << (op & 63));
	}
}

static inline void lift(struct search *s, uint32_t op)
{
	int32_t e, m;

	if (op >= s->n_ok) {
		s->cls_used[s->op_cls[op - s->n_ok]]++;
		return;
	}
	e = (int32_t)s->call_of[op];
	m = (int32_t)s->ret_of[op];

	s->next[s->prev[e]] = s->next[e];
	s->prev[s->next[e]] = s->prev[e];
	if (m) {
		s->next[s->prev[m]] = s->next[m];
		s->prev[s->next[m]] = s->prev[m];
	}
}

static inline void unlift(struct search *s, uint32_t op)
{
	int32_t e, m;

	if (op >= s->n_ok) {
		s->cls_used[s->op_cls[op - s->n_ok]]--;
		return;
	}
	e = (int32_t)s->call_of[op];
	m = (int32_t)s->ret_of[op];

	if (m) {
		s->next[s->prev[m]] = m;
		s->prev[s->next[m]] = m;
	}
	s->next[s->prev[e]] = e;
	s->prev[s->next[e]] = e;
}

static int cand_reserve(struct search *s, size_t need)
{
	size_t old = s->cand_alloc;

	if (need <= old)
		return 0;
	if (checker__lin_charge(s->b, s->mine,
				(need > 2 * old ? need : 2 * old) * 4))
		return -1;
	ALLOC_GROW(s->cand, need, s->cand_alloc);
	return 0;
}

/* New state of op o in any state (write, cas), or UINT32_MAX (read). */
static inline uint32_t new_value(const struct lin_op *o)
{
	return o->kind == LIN_READ ? UINT32_MAX
	       : o->kind == LIN_WRITE ? o->a : o->b;
}

/* Same effect (kind, values) as a 64-bit key. */
static inline uint64_t effect_key(const struct lin_op *o)
{
	return (uint64_t)o->kind << 62 | (uint64_t)o->a << 31 |
	       (o->kind == LIN_CAS ? o->b : 0);
}

/* Dedupe table slot for key, growing the table as needed (-1: budget). */
static long dedupe_slot(struct search *s, uint64_t key, size_t k)
{
	size_t i;

	if ((k + 1) * 2 > s->dsize) {
		size_t ns = s->dsize ? s->dsize * 2 : 64;

		if (checker__lin_charge(s->b, s->mine, ns * 16))
			return -1;
		free(s->dkey);
		free(s->dval);
		s->dkey = xmalloc(ns * sizeof(*s->dkey));
		s->dval = xcalloc(ns, sizeof(*s->dval));
		s->dsize = ns;
		s->dgen = 0;
		return -2;	/* caller rebuilds */
	}
	i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (s->dsize - 1);
	while ((uint32_t)(s->dval[i] >> 32) == s->dgen &&
	       s->dkey[i] != key)
		i = (i + 1) & (s->dsize - 1);
	return (long)i;
}

/*
 * The operations worth trying next from state st, best first, stored at
 * cand[base ..]; returns how many (-1: memory budget).  Every operation
 * whose call precedes the first pending return may take effect now
 * (Lowe's candidates); of those:
 *  - an ok read that is legal now is the only one tried: if any order
 *    works from here, the one that takes this read first works too (a
 *    read changes nothing, and everything that must precede it already
 *    has), so its alternatives need not be explored;
 *  - reads and cas that are illegal now are dropped;
 *  - of several candidates with the same effect (kind and values) only
 *    one is tried: an ok one before an indeterminate one, the one that
 *    completed first among ok ones (swapping two such ops in any valid
 *    order keeps it valid: both may take effect now, and the one with
 *    the later completion may take the other's later place);
 *  - an indeterminate op is only tried if it changes the state and a
 *    candidate observes the new value (reads it or expects it in a cas),
 *    and after an indeterminate op (after_info) only ops that observe
 *    the state are tried: any valid order stays valid when every
 *    indeterminate op not directly followed by an op observing its value
 *    is dropped (the op after it is a blind write, or there is none), so
 *    searching only such orders is complete.  The flag is part of the
 *    memoised configuration, so the memo stays exact;
 *  - the rest is ordered: the op owning the first pending return (it
 *    must go before anything invoked after it completed), then the ok
 *    ops after which it becomes legal, then such indeterminate ones,
 *    then the others.
 */
static long build_cands(struct search *s, uint32_t st, int after_info,
			size_t base)
{
	const struct lin_op *ops = s->p->ops, *xo;
	int32_t e;
	size_t k, i, out;
	uint32_t x, gen, cl;
	long slot;
	int rank;

	if (cand_reserve(s, base + 2))
		return -1;
again:
	if (++s->gen == 0) {
		memset(s->obs, 0, s->p->nvals * sizeof(*s->obs));
		s->gen = 1;
	}
	gen = s->gen;
	if (++s->dgen == 0) {
		memset(s->dval, 0, s->dsize * sizeof(*s->dval));
		s->dgen = 1;
	}
	k = 0;
	for (e = s->next[s->head]; !s->ent_ret[e]; e = s->next[e]) {
		uint32_t c = s->ent_op[e];
		const struct lin_op *o = &ops[c];
		uint64_t key;

		if (o->kind == LIN_READ) {
			if (o->a == st) {
				s->cand[base] = c;
				return 1;
			}
			s->obs[o->a] = gen;
			continue;
		}
		if (o->kind == LIN_CAS) {
			s->obs[o->a] = gen;
			if (o->a != st)
				continue;
		} else if (after_info) {
			continue;
		}
		key = effect_key(o);
		slot = dedupe_slot(s, key, k);
		if (slot == -1)
			return -1;
		if (slot == -2)
			goto again;
		if ((uint32_t)(s->dval[slot] >> 32) == s->dgen) {
			size_t at = (uint32_t)s->dval[slot];
			const struct lin_op *q = &ops[s->cand[base + at]];

			if (!o->info && (q->info || o->ret < q->ret))
				s->cand[base + at] = c;
			continue;
		}
		if (cand_reserve(s, base + 2 * (k + 1)))
			return -1;
		s->dkey[slot] = key;
		s->dval[slot] = (uint64_t)s->dgen << 32 | k;
		s->cand[base + k++] = c;
	}
	if (e == (int32_t)s->tail)
		return 0;	/* cannot happen while ok ops remain */
	x = s->ent_op[e];
	xo = &ops[x];
	/* Indeterminate ops: the first unused of each effect class, if it
	   was invoked before that first pending return. */
	for (cl = 0; cl < s->ncls; cl++) {
		uint32_t c;
		const struct lin_op *o;
		uint64_t key;

		if (s->cls_used[cl] >= s->cls_len[cl])
			continue;
		c = s->cls_ops[s->cls_start[cl] + s->cls_used[cl]];
		o = &ops[c];
		if (o->inv > xo->ret)
			continue;
		if (o->kind == LIN_CAS) {
			s->obs[o->a] = gen;
			if (o->a != st)
				continue;
		} else if (after_info) {
			continue;
		}
		key = effect_key(o);
		slot = dedupe_slot(s, key, k);
		if (slot == -1)
			return -1;
		if (slot == -2)
			goto again;
		if ((uint32_t)(s->dval[slot] >> 32) == s->dgen)
			continue;	/* an ok op has the same effect */
		if (cand_reserve(s, base + 2 * (k + 1)))
			return -1;
		s->dkey[slot] = key;
		s->dval[slot] = (uint64_t)s->dgen << 32 | k;
		s->cand[base + k++] = c;
	}
	/* Filter and order into cand[base+k ..], then move down. */
	out = base + k;
	for (rank = 0; rank < 4; rank++) {
		for (i = 0; i < k; i++) {
			uint32_t c = s->cand[base + i], nv;
			const struct lin_op *o = &ops[c];
			int r;

			nv = new_value(o);
			if (o->info && (nv == st || s->obs[nv] != gen))
				continue;
			if (c == x)
				r = 0;
			else if (xo->kind == LIN_WRITE || xo->a == nv)
				r = o->info ? 2 : 1;
			else
				r = 3;
			if (r == rank)
				s->cand[out++] = c;
		}
	}
	memmove(s->cand + base, s->cand + base + k,
		(out - base - k) * sizeof(*s->cand));
	return (long)(out - base - k);
}

/* Group the indeterminate ops by effect (kind and values). */
static int build_classes(struct search *s)
{
	const struct lin_problem *p = s->p;
	size_t ninf = p->n - p->n_ok, i, nslots = 16, *fill;
	uint64_t *keys;
	uint32_t *slots;

	while (nslots < ninf * 2)
		nslots *= 2;
	if (checker__lin_charge(s->b, s->mine, ninf * 20 + nslots * 12))
		return -1;
	s->op_cls = xmalloc((ninf ? ninf : 1) * sizeof(*s->op_cls));
	slots = xcalloc(nslots, sizeof(*slots));
	keys = xmalloc(nslots * sizeof(*keys));
	s->ncls = 0;
	for (i = 0; i < ninf; i++) {
		uint64_t key = effect_key(&p->ops[p->n_ok + i]);
		size_t j = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) &
			   (nslots - 1);

		while (slots[j] && keys[j] != key)
			j = (j + 1) & (nslots - 1);
		if (!slots[j]) {
			keys[j] = key;
			slots[j] = ++s->ncls;
		}
		s->op_cls[i] = slots[j] - 1;
	}
	s->cls_start = xcalloc(s->ncls + 1, sizeof(*s->cls_start));
	s->cls_len = xcalloc(s->ncls + 1, sizeof(*s->cls_len));
	s->cls_used = xcalloc(s->ncls + 1, sizeof(*s->cls_used));
	s->cls_ops = xmalloc((ninf ? ninf : 1) * sizeof(*s->cls_ops));
	for (i = 0; i < ninf; i++)
		s->cls_len[s->op_cls[i]]++;
	for (i = 1; i < s->ncls; i++)
		s->cls_start[i] = s->cls_start[i - 1] + s->cls_len[i - 1];
	/* ops are in invoke order, so each class is too */
	fill = xcalloc(s->ncls + 1, sizeof(*fill));
	for (i = 0; i < ninf; i++) {
		uint32_t c = s->op_cls[i];

		s->cls_ops[s->cls_start[c] + fill[c]++] =
		    (uint32_t)(p->n_ok + i);
	}
	free(fill);
	free(slots);
	free(keys);
	return 0;
}

int checker__lin_search(const struct lin_problem *p, struct lin_budget *b,
			struct lin_result *r)
{
	size_t n = p->n, n_ok = p->n_ok, nent = 0, i, mine = 0;
	size_t winf = (n - n_ok + 63) / 64;
	size_t d = 0, remaining = n_ok, common = 0, bytes, ctop;
	struct pos_ent *pe;
	struct frame *fr = NULL;
	struct lin_memo memo;
	struct search s;
	uint64_t iter = 0;
	long cnt;
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = LIN_OK;
	if (!n_ok)
		return 0;

	memset(&s, 0, sizeof(s));
	s.p = p;
	s.b = b;
	s.mine = &mine;
	s.n_ok = n_ok;
	s.wok = (n_ok + 63) / 64;
	s.last_mask = (n_ok & 63) ? ((uint64_t)1 << (n_ok & 63)) - 1
				  : ~(uint64_t)0;
	s.hi = -1;
	bytes = n * (sizeof(struct pos_ent) * 2 + 4 * 2 * 5 + 2 + 8 +
		     sizeof(struct frame) + 4 + 4) + (s.wok + winf) * 8 +
		p->nvals * 4 + 64;
	if (checker__lin_charge(b, &mine, bytes) ||
	    checker__lin_memo_init(&memo, winf, 3 + s.wok + winf, n, b,
				   &mine)) {
		checker__lin_uncharge(b, &mine);
		r->status = LIN_BUDGET;
		r->budget_kind = 2;
		return 0;
	}

	/* Entries in history order. */
	pe = xmalloc(2 * n * sizeof(*pe));
	for (i = 0; i < n_ok; i++) {
		pe[nent++] = (struct pos_ent){ p->ops[i].inv, (uint32_t)i, 0 };
		pe[nent++] = (struct pos_ent){ p->ops[i].ret, (uint32_t)i, 1 };
	}
	if (build_classes(&s)) {
		free(pe);
		goto out_of_memory;
	}
	qsort(pe, nent, sizeof(*pe), pos_ent_cmp);
	s.next = xmalloc((nent + 2) * sizeof(*s.next));
	s.prev = xmalloc((nent + 2) * sizeof(*s.prev));
	s.ent_op = xcalloc(nent + 2, sizeof(*s.ent_op));
	s.ent_ret = xcalloc(nent + 2, 1);
	s.call_of = xmalloc(n * sizeof(*s.call_of));
	s.ret_of = xcalloc(n, sizeof(*s.ret_of));
	s.head = 0;
	s.tail = (uint32_t)nent + 1;
	for (i = 0; i < nent + 2; i++) {
		s.next[i] = (int32_t)i + 1;
		s.prev[i] = (int32_t)i - 1;
	}
	s.ent_ret[s.tail] = 1;	/* ends every scan */
	for (i = 0; i < nent; i++) {
		uint32_t en = (uint32_t)i + 1;

		s.ent_op[en] = pe[i].op;
		s.ent_ret[en] = (uint8_t)pe[i].is_ret;
		if (pe[i].is_ret)
			s.ret_of[pe[i].op] = en;
		else
			s.call_of[pe[i].op] = en;
	}
	free(pe);

	s.bits = xcalloc(s.wok + winf + 1, sizeof(*s.bits));
	s.z = xmalloc(n * sizeof(*s.z));
	for (i = 0; i < n; i++)
		s.z[i] = splitmix(i * 0x632be59bd9b4e019ULL + n);
	s.obs = xcalloc(p->nvals ? p->nvals : 1, sizeof(*s.obs));
	fr = xmalloc((n + 1) * sizeof(*fr));
	r->best = xmalloc(n * sizeof(*r->best));
	r->best_state = p->init;

	fr[0].op = UINT32_MAX;
	fr[0].state = p->init;
	fr[0].base = 0;
	fr[0].idx = 0;
	fr[0].after_info = 0;
	cnt = build_cands(&s, p->init, 0, 0);
	if (cnt < 0)
		goto out_of_memory;
	fr[0].count = (uint32_t)cnt;
	ctop = (size_t)cnt;

	for (;;) {
		struct frame *f = &fr[d];
		uint32_t c, ns, key_state;

		if ((++iter & 1023) == 0) {
			if (__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
				r->status = LIN_BUDGET;
				r->budget_kind = 1;
				break;
			}
			if (b->deadline > 0 && ns_mono_s() > b->deadline) {
				__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
				r->status = LIN_BUDGET;
				r->budget_kind = 1;
				break;
			}
		}
		if (f->idx < f->count) {
			c = s.cand[f->base + f->idx++];
			r->steps++;
			if (!checker__lin_step(&p->ops[c], f->state, &ns))
				continue;
			op_set(&s, c);
			/* A read is only tried when it is the one forced move
			   (build_cands): nothing to branch on, nothing to
			   remember. */
			if (p->ops[c].kind != LIN_READ) {
				key_state = ns | (uint32_t)p->ops[c].info << 31;
				rc = checker__lin_memo_add(&memo,
					       config_hash(s.zob, key_state),
					       key_state, (uint32_t)s.lo,
					       s.bits + s.lo, s.hi >= s.lo
					       ? (uint32_t)(s.hi - s.lo + 1)
					       : 0, s.bits + s.wok);
				if (rc < 0)
					goto out_of_memory;
				if (!rc) {
					op_clear(&s, c);
					continue;
				}
				r->configs++;
			}
			lift(&s, c);
			if (!p->ops[c].info)
				remaining--;
			d++;
			f = &fr[d];
			f->op = c;
			f->state = ns;
			f->after_info = p->ops[c].info;
			if (d > r->best_len) {
				for (i = common; i < d; i++)
					r->best[i] = fr[i + 1].op;
				r->best_len = d;
				common = d;
				r->best_state = ns;
			}
			if (!remaining)
				break;
			f->base = ctop;
			f->idx = 0;
			cnt = build_cands(&s, ns, f->after_info, ctop);
			if (cnt < 0)
				goto out_of_memory;
			f->count = (uint32_t)cnt;
			ctop += (size_t)cnt;
			continue;
		}
		/* Every candidate failed: back to the parent. */
		if (!d) {
			r->status = LIN_FAIL;
			break;
		}
		ctop = f->base;
		c = f->op;
		unlift(&s, c);
		op_clear(&s, c);
		if (!p->ops[c].info)
			remaining++;
		d--;
		if (d < common)
			common = d;
	}
	if (0) {
out_of_memory:
		r->status = LIN_BUDGET;
		r->budget_kind = 2;
	}
	if (r->status != LIN_FAIL)
		checker__lin_result_release(r);

	free(fr);
	free(s.obs);
	free(s.dkey);
	free(s.dval);
	free(s.z);
	free(s.bits);
	free(s.cand);
	free(s.next);
	free(s.prev);
	free(s.ent_op);
	free(s.ent_ret);
	free(s.call_of);
	free(s.ret_of);
	free(s.cls_ops);
	free(s.cls_start);
	free(s.cls_len);
	free(s.cls_used);
	free(s.op_cls);
	checker__lin_memo_release(&memo);
	checker__lin_uncharge(b, &mine);
	return 0;
}
