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
 * The hash is a Zobrist hash (xor of one random word per linearized op)
 * updated in O(1) per step, mixed with the state.  Entries live in
 * fixed-size arena chunks; the hash set is open addressing over 64-bit
 * slots (32-bit hash tag, 32-bit arena offset).  Nothing is allocated in
 * the inner loop except when the arena or the table grows, and every
 * allocation is charged to the shared memory budget first.
 *
 * Complexity: O(C * w) time where C is the number of distinct
 * configurations (at most 2^n * values, in practice close to n times the
 * number of ways the concurrent operations around each point can be
 * ordered) and w the concurrency window; memory O(C * (3 + stored words)).
 */
#include "lin.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

double checker__lin_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void checker__lin_result_release(struct lin_result *r)
{
	free(r->best);
	r->best = NULL;
	r->best_len = 0;
}

/* ===== Memory budget ===== */

static int charge(struct lin_budget *b, size_t *mine, size_t n)
{
	size_t used = __atomic_add_fetch(&b->mem_used, n, __ATOMIC_RELAXED);
	size_t peak = __atomic_load_n(&b->mem_peak, __ATOMIC_RELAXED);

	if (used > b->mem_limit) {
		__atomic_sub_fetch(&b->mem_used, n, __ATOMIC_RELAXED);
		return -1;
	}
	*mine += n;
	while (used > peak &&
	       !__atomic_compare_exchange_n(&b->mem_peak, &peak, used, 1,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return 0;
}

static void uncharge(struct lin_budget *b, size_t *mine)
{
	__atomic_sub_fetch(&b->mem_used, *mine, __ATOMIC_RELAXED);
	*mine = 0;
}

/* ===== The set of seen configurations ===== */

/*
 * Entry layout in the arena (64-bit words):
 *   [0] hash   [1] state | lo << 32   [2] len   [3..3+len) ok words
 *   [3+len..3+len+ninf) indeterminate words
 */
struct cache {
	uint64_t *slots;		/* 0 = empty */
	size_t mask, used;
	uint64_t **chunks;
	size_t nchunks, chunks_alloc;
	unsigned shift;			/* chunk size = 1 << shift words */
	size_t top;			/* next free word (global offset) */
	size_t ninf;			/* indeterminate words per entry */
	struct lin_budget *b;
	size_t *mine;
};

static inline uint64_t *cache_entry(const struct cache *c, size_t off)
{
	return c->chunks[off >> c->shift] +
	       (off & (((size_t)1 << c->shift) - 1));
}

static int cache_init(struct cache *c, size_t ninf, size_t max_entry,
		      size_t nops, struct lin_budget *b, size_t *mine)
{
	memset(c, 0, sizeof(*c));
	c->ninf = ninf;
	c->b = b;
	c->mine = mine;
	/* Chunks grow with the problem: 4 KiB for tiny keys (no mmap per
	   key), up to 512 KiB, and always room for 8 entries. */
	c->shift = 9;
	while (c->shift < 16 && ((size_t)1 << c->shift) < nops * 8)
		c->shift++;
	while (((size_t)1 << c->shift) < max_entry * 8)
		c->shift++;
	if (charge(b, mine, 256 * sizeof(uint64_t)))
		return -1;
	c->slots = xcalloc(256, sizeof(uint64_t));
	c->mask = 255;
	return 0;
}

static void cache_release(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->nchunks; i++)
		free(c->chunks[i]);
	free(c->chunks);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

static int cache_grow(struct cache *c)
{
	size_t nsize = (c->mask + 1) * 2, i, nmask = nsize - 1;
	uint64_t *ns;

	if (charge(c->b, c->mine, nsize * sizeof(uint64_t)))
		return -1;
	ns = xcalloc(nsize, sizeof(uint64_t));
	for (i = 0; i <= c->mask; i++) {
		uint64_t s = c->slots[i];
		size_t j;

		if (!s)
			continue;
		j = cache_entry(c, (uint32_t)s - 1)[0] & nmask;
		while (ns[j])
			j = (j + 1) & nmask;
		ns[j] = s;
	}
	free(c->slots);
	/* The old table's bytes stay charged: simpler, and bounded by 2x. */
	c->slots = ns;
	c->mask = nmask;
	return 0;
}

/*
 * Add a configuration; returns 1 if it is new, 0 if it was seen before,
 * -1 when the memory budget does not allow it.
 */
static int cache_add(struct cache *c, uint64_t hash, uint32_t state,
		     uint32_t lo, const uint64_t *okw, uint32_t len,
		     const uint64_t *infw)
{
	uint64_t tag = hash >> 32, *e;
	size_t i = hash & c->mask, need = 3 + len + c->ninf, csz, off;

	for (;;) {
		uint64_t s = c->slots[i];

		if (!s)
			break;
		if ((s >> 32) == tag) {
			e = cache_entry(c, (uint32_t)s - 1);
			if (e[0] == hash &&
			    e[1] == ((uint64_t)state | (uint64_t)lo << 32) &&
			    e[2] == len &&
			    !memcmp(e + 3, okw, len * sizeof(uint64_t)) &&
			    !memcmp(e + 3 + len, infw,
				    c->ninf * sizeof(uint64_t)))
				return 0;
		}
		i = (i + 1) & c->mask;
	}
	/* New: place it in the arena. */
	csz = (size_t)1 << c->shift;
	off = c->top;
	if (off + need > c->nchunks << c->shift) {
		if (charge(c->b, c->mine, csz * sizeof(uint64_t)))
			return -1;
		ALLOC_GROW(c->chunks, c->nchunks + 1, c->chunks_alloc);
		c->chunks[c->nchunks++] = xmalloc(csz * sizeof(uint64_t));
		off = (c->nchunks - 1) << c->shift;
	}
	if (off + need >= UINT32_MAX)
		return -1;
	e = cache_entry(c, off);
	e[0] = hash;
	e[1] = (uint64_t)state | (uint64_t)lo << 32;
	e[2] = len;
	memcpy(e + 3, okw, len * sizeof(uint64_t));
	memcpy(e + 3 + len, infw, c->ninf * sizeof(uint64_t));
	c->top = off + need;
	c->slots[i] = tag << 32 | (uint64_t)(off + 1);
	if (++c->used * 2 > c->mask + 1 && cache_grow(c))
		return -1;
	return 1;
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

struct frame {
	uint32_t e;		/* call entry lifted */
	uint32_t state;		/* state before it */
};

int checker__lin_search(const struct lin_problem *p, struct lin_budget *b,
			struct lin_result *r)
{
	size_t n = p->n, n_ok = p->n_ok, nent = 0, i, mine = 0;
	size_t wok = (n_ok + 63) / 64, winf = (n - n_ok + 63) / 64;
	uint64_t last_mask = (n_ok & 63) ? ((uint64_t)1 << (n_ok & 63)) - 1
					  : ~(uint64_t)0;
	struct pos_ent *pe;
	int32_t *next, *prev;
	uint32_t *ent_op, *ret_of, head, tail;
	uint8_t *ent_ret;
	uint64_t *bits, *z, zob = 0, iter = 0;
	struct frame *stack;
	struct cache cache;
	size_t sp = 0, remaining = n_ok, common = 0, bytes;
	long lo = 0, hi = -1;
	uint32_t state = p->init;
	int32_t e;
	int rc;

	memset(r, 0, sizeof(*r));
	r->status = LIN_OK;
	if (!n_ok)
		return 0;

	bytes = n * (sizeof(struct pos_ent) * 2 + 4 * 2 * 4 + 2 + 8 +
		     sizeof(struct frame) + 4 + 8) + (wok + winf) * 8 + 64;
	if (charge(b, &mine, bytes)) {
		r->status = LIN_BUDGET;
		r->budget_kind = 2;
		return 0;
	}
	if (cache_init(&cache, winf, 3 + wok + winf, n, b, &mine)) {
		uncharge(b, &mine);
		r->status = LIN_BUDGET;
		r->budget_kind = 2;
		return 0;
	}

	/* Entries in history order; 0 is the head, nent + 1 the tail. */
	pe = xmalloc(2 * n * sizeof(*pe));
	for (i = 0; i < n; i++) {
		pe[nent++] = (struct pos_ent){ p->ops[i].inv, (uint32_t)i, 0 };
		if (p->ops[i].ret != LIN_NO_RET)
			pe[nent++] = (struct pos_ent){ p->ops[i].ret,
						       (uint32_t)i, 1 };
	}
	qsort(pe, nent, sizeof(*pe), pos_ent_cmp);
	next = xmalloc((nent + 2) * sizeof(*next));
	prev = xmalloc((nent + 2) * sizeof(*prev));
	ent_op = xmalloc((nent + 2) * sizeof(*ent_op));
	ent_ret = xcalloc(nent + 2, 1);
	ret_of = xcalloc(n, sizeof(*ret_of));
	head = 0;
	tail = (uint32_t)nent + 1;
	for (i = 0; i < nent + 2; i++) {
		next[i] = (int32_t)i + 1;
		prev[i] = (int32_t)i - 1;
	}
	ent_ret[tail] = 1;	/* never linearizable: acts as a return */
	ent_op[head] = ent_op[tail] = 0;
	for (i = 0; i < nent; i++) {
		uint32_t en = (uint32_t)i + 1;

		ent_op[en] = pe[i].op;
		ent_ret[en] = (uint8_t)pe[i].is_ret;
		if (pe[i].is_ret)
			ret_of[pe[i].op] = en;
	}
	free(pe);

	bits = xcalloc(wok + winf + 1, sizeof(*bits));
	z = xmalloc(n * sizeof(*z));
	for (i = 0; i < n; i++)
		z[i] = splitmix(i * 0x632be59bd9b4e019ULL + n);
	stack = xmalloc(n * sizeof(*stack));
	r->best = xmalloc(n * sizeof(*r->best));
	r->best_state = state;

	e = next[head];
	for (;;) {
		uint32_t op, ns;
		const struct lin_op *o;

		if ((++iter & 1023) == 0) {
			if (__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
				r->status = LIN_BUDGET;
				r->budget_kind = 1;
				break;
			}
			if (b->deadline > 0 && checker__lin_now() > b->deadline) {
				__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
				r->status = LIN_BUDGET;
				r->budget_kind = 1;
				break;
			}
		}
		if (!ent_ret[e]) {
			op = ent_op[e];
			o = &p->ops[op];
			r->steps++;
			if (checker__lin_step(o, state, &ns)) {
				size_t w = op < n_ok ? op >> 6
					   : wok + ((op - n_ok) >> 6);
				uint64_t m = (uint64_t)1 << ((op < n_ok ? op
							      : op - n_ok) & 63);
				long olo = lo, ohi = hi;
				uint32_t len;

				bits[w] |= m;
				zob ^= z[op];
				if (op < n_ok) {
					if ((long)w > hi)
						hi = (long)w;
					while ((size_t)lo < wok &&
					       bits[lo] == ((size_t)lo == wok - 1
							    ? last_mask
							    : ~(uint64_t)0))
						lo++;
				}
				len = hi >= lo ? (uint32_t)(hi - lo + 1) : 0;
				rc = cache_add(&cache, config_hash(zob, ns), ns,
					       (uint32_t)lo, bits + lo, len,
					       bits + wok);
				if (rc < 0) {
					r->status = LIN_BUDGET;
					r->budget_kind = 2;
					break;
				}
				if (rc > 0) {
					int32_t m2 = (int32_t)ret_of[op];

					r->configs++;
					stack[sp].e = (uint32_t)e;
					stack[sp].state = state;
					sp++;
					state = ns;
					next[prev[e]] = next[e];
					prev[next[e]] = prev[e];
					if (m2) {
						next[prev[m2]] = next[m2];
						prev[next[m2]] = prev[m2];
					}
					if (!o->info)
						remaining--;
					if (sp > r->best_len) {
						for (i = common; i < sp; i++)
							r->best[i] =
							    ent_op[stack[i].e];
						r->best_len = sp;
						common = sp;
						r->best_state = state;
					}
					if (!remaining)
						break;
					e = next[head];
					continue;
				}
				bits[w] &= ~m;
				zob ^= z[op];
				lo = olo;
				hi = ohi;
			}
			e = next[e];
		} else {
			int32_t m2;
			size_t w;

			if (!sp) {
				r->status = LIN_FAIL;
				break;
			}
			sp--;
			if (sp < common)
				common = sp;
			e = (int32_t)stack[sp].e;
			state = stack[sp].state;
			op = ent_op[e];
			o = &p->ops[op];
			m2 = (int32_t)ret_of[op];
			if (m2) {
				next[prev[m2]] = m2;
				prev[next[m2]] = m2;
			}
			next[prev[e]] = e;
			prev[next[e]] = e;
			if (!o->info)
				remaining++;
			zob ^= z[op];
			if (op < n_ok) {
				w = op >> 6;
				bits[w] &= ~((uint64_t)1 << (op & 63));
				if ((long)w < lo)
					lo = (long)w;
				if ((long)w == hi)
					while (hi >= 0 && !bits[hi])
						hi--;
			} else {
				w = wok + ((op - n_ok) >> 6);
				bits[w] &= ~((uint64_t)1 << ((op - n_ok) & 63));
			}
			e = next[e];
		}
	}
	if (r->status != LIN_FAIL)
		checker__lin_result_release(r);

	free(stack);
	free(z);
	free(bits);
	free(next);
	free(prev);
	free(ent_op);
	free(ent_ret);
	free(ret_of);
	cache_release(&cache);
	uncharge(b, &mine);
	return 0;
}
