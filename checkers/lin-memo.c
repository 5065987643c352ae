/*
 * lin-memo.c - the linearizability search's memory: the budget every
 * structure of a check is charged to (all keys and threads together),
 * and the memo, the set of configurations the search over one key has
 * seen (lin-search.c).
 *
 * A configuration is (model state, linearized ok operations, linearized
 * indeterminate ones), stored as its hash, its state, the index `lo` of
 * the first word of the ok bitset that is not full, the words from there
 * to the last non-zero word, and the indeterminate bitset: a few words
 * even for 10k-operation histories (lin-search.c says why the ok set has
 * this shape).  Entries live in fixed-size arena chunks, sized with the
 * problem (4 KiB for tiny keys, up to 512 KiB); the set is open
 * addressing over 64-bit slots (32-bit hash tag, 32-bit arena offset),
 * grown at half full.  Nothing is allocated per lookup: only a new chunk
 * or a larger table allocates, and each is charged to the budget first.
 *
 * Complexity: O(1) expected per lookup or insertion (plus comparing the
 * entry's words on a tag match); memory 3 + stored words per entry, and
 * the table's 8 bytes a slot (the old table stays charged when it grows:
 * at most twice the live table).
 */
#include "lin.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* ===== Memory budget ===== */

int checker__lin_charge(struct lin_budget *b, size_t *mine, size_t n)
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

void checker__lin_uncharge(struct lin_budget *b, size_t *mine)
{
	__atomic_sub_fetch(&b->mem_used, *mine, __ATOMIC_RELAXED);
	*mine = 0;
}

/* ===== The set of seen configurations ===== */

static inline uint64_t *memo_entry(const struct lin_memo *c, size_t off)
{
	return c->chunks[off >> c->shift] +
	       (off & (((size_t)1 << c->shift) - 1));
}

int checker__lin_memo_init(struct lin_memo *c, size_t ninf,
			   size_t max_entry, size_t nops, struct lin_budget *b,
			   size_t *mine)
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
	if (checker__lin_charge(b, mine, 256 * sizeof(uint64_t)))
		return -1;
	c->slots = xcalloc(256, sizeof(uint64_t));
	c->mask = 255;
	return 0;
}

void checker__lin_memo_release(struct lin_memo *c)
{
	size_t i;

	for (i = 0; i < c->nchunks; i++)
		free(c->chunks[i]);
	free(c->chunks);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

static int memo_grow(struct lin_memo *c)
{
	size_t nsize = (c->mask + 1) * 2, i, nmask = nsize - 1;
	uint64_t *ns;

	if (checker__lin_charge(c->b, c->mine, nsize * sizeof(uint64_t)))
		return -1;
	ns = xcalloc(nsize, sizeof(uint64_t));
	for (i = 0; i <= c->mask; i++) {
		uint64_t s = c->slots[i];
		size_t j;

		if (!s)
			continue;
		j = memo_entry(c, (uint32_t)s - 1)[0] & nmask;
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

/* lin.h: 1 new, 0 seen before, -1 over the budget. */
int checker__lin_memo_add(struct lin_memo *c, uint64_t hash, uint32_t state,
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
			e = memo_entry(c, (uint32_t)s - 1);
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
		if (checker__lin_charge(c->b, c->mine, csz * sizeof(uint64_t)))
			return -1;
		ALLOC_GROW(c->chunks, c->nchunks + 1, c->chunks_alloc);
		c->chunks[c->nchunks++] = xmalloc(csz * sizeof(uint64_t));
		off = (c->nchunks - 1) << c->shift;
	}
	if (off + need >= UINT32_MAX)
		return -1;
	e = memo_entry(c, off);
	e[0] = hash;
	e[1] = (uint64_t)state | (uint64_t)lo << 32;
	e[2] = len;
	memcpy(e + 3, okw, len * sizeof(uint64_t));
	memcpy(e + 3 + len, infw, c->ninf * sizeof(uint64_t));
	c->top = off + need;
	c->slots[i] = tag << 32 | (uint64_t)(off + 1);
	if (++c->used * 2 > c->mask + 1 && memo_grow(c))
		return -1;
	return 1;
}
