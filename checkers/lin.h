/*
 * lin.h - internals of the linearizability checker, shared by
 * checkers/linearizable.c (history -> per-key problems, threads, verdict),
 * checkers/lin-search.c (the search over one key), checkers/lin-memo.c
 * (its memory budget and the set of configurations it has seen) and
 * checkers/lin-evidence.c (why a key is not linearizable).
 *
 * A problem is one register (one key) reduced to what the search needs:
 * operations with small integer value ids (0 is nil), sorted so that the
 * operations that must take effect (`ok`) come first in invoke order,
 * then the indeterminate ones (`info`, or invoked without a completion).
 * Failed operations and operations that cannot constrain anything (an
 * indeterminate read) are not in it.
 *
 * Ownership: a lin_problem's arrays belong to whoever filled it
 * (linearizable.c); the search only reads them.  A lin_result's `best`
 * array is allocated by the search and freed with lin_result_release().
 * A lin_memo belongs to the search that inits it; its bytes are charged
 * to the budget until that search uncharges its share.
 * A lin_evidence borrows everything it points to; the anomaly it adds
 * belongs to the verdict.
 */
#ifndef NS_LIN_H
#define NS_LIN_H

#include <stddef.h>
#include <stdint.h>

enum lin_kind { LIN_READ, LIN_WRITE, LIN_CAS };

#define LIN_NO_RET SIZE_MAX	/* ret of an indeterminate operation */
#define LIN_NO_KEY UINT32_MAX	/* the register of events without a key */

struct history;
struct hist_value;
struct verdict;

struct lin_op {
	size_t inv;		/* history position of the invoke */
	size_t ret;		/* position of the ok completion, or
				   LIN_NO_RET when indeterminate */
	uint32_t a;		/* read: value read; write: value written;
				   cas: expected value */
	uint32_t b;		/* cas: new value */
	uint8_t kind;		/* enum lin_kind */
	uint8_t info;		/* indeterminate: may take effect or not */
};

struct lin_problem {
	const struct lin_op *ops;	/* n_ok ok ops, then info ops */
	size_t n, n_ok;
	uint32_t init;			/* initial state (value id) */
	uint32_t nvals;			/* value ids are < nvals */
};

/*
 * Shared by every thread of one check: a memory budget (bytes of search
 * structures, all keys together), a deadline, and a stop flag set when
 * the deadline passes so every thread gives up together.
 */
struct lin_budget {
	size_t mem_limit;
	size_t mem_used;		/* atomic (__atomic builtins) */
	size_t mem_peak;		/* atomic, high-water mark */
	double deadline;		/* CLOCK_MONOTONIC seconds, 0 = none */
	int stop;			/* atomic: 1 time, 2 memory */
};

enum lin_status { LIN_OK = 0, LIN_FAIL = 1, LIN_BUDGET = 2 };

struct lin_result {
	enum lin_status status;
	int budget_kind;	/* LIN_BUDGET: 1 time, 2 memory */
	uint64_t configs;	/* configurations stored (distinct) */
	uint64_t steps;		/* model steps tried */
	/* LIN_FAIL: the longest linearizable prefix found (op indices in
	   linearization order) and the state after it. */
	uint32_t *best;
	size_t best_len;
	uint32_t best_state;
};

/* A key the search found not linearizable, as its evidence needs it. */
struct lin_evidence {
	const struct history *h;
	const struct lin_problem *p;	/* the key's problem */
	const struct lin_result *r;	/* LIN_FAIL */
	const struct hist_value *vals;	/* value id -> value (p->nvals) */
	uint32_t key;			/* interned key, or LIN_NO_KEY */
	const char *init_text;		/* the --init value's JSON text */
	const char *model;		/* "cas-register" or "register" */
	int timed;			/* the history has times: ops are
					   cited by time, else FILE:LINE
					   (checker__timed) */
};

/* ===== The memory budget and the memo (lin-memo.c) ===== */

/* Charge n bytes to b and to *mine (this search's share); -1 when b's
   limit does not allow them (nothing charged). */
int checker__lin_charge(struct lin_budget *b, size_t *mine, size_t n);
/* Give back everything *mine holds; *mine becomes 0. */
void checker__lin_uncharge(struct lin_budget *b, size_t *mine);

/*
 * The set of configurations one search has seen, its bytes charged to
 * b and *mine.
 *
 * Entry layout in the arena (64-bit words):
 *   [0] hash   [1] state | lo << 32   [2] len   [3..3+len) ok words
 *   [3+len..3+len+ninf) indeterminate words
 */
struct lin_memo {
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

/* ninf: indeterminate words per entry; max_entry: the most words one
   entry takes; nops: the problem's operations (sizes the chunks).  0, or
   -1 when the budget does not allow the first table. */
int checker__lin_memo_init(struct lin_memo *c, size_t ninf, size_t max_entry,
			   size_t nops, struct lin_budget *b, size_t *mine);
/*
 * Add a configuration (hash, state, lo, the len ok words okw, the ninf
 * indeterminate words infw); returns 1 if it is new, 0 if it was seen
 * before, -1 when the memory budget does not allow it.
 */
int checker__lin_memo_add(struct lin_memo *c, uint64_t hash, uint32_t state,
			  uint32_t lo, const uint64_t *okw, uint32_t len,
			  const uint64_t *infw);
/* Frees the memo; the bytes stay charged until checker__lin_uncharge(). */
void checker__lin_memo_release(struct lin_memo *c);

int checker__lin_search(const struct lin_problem *p, struct lin_budget *b,
			struct lin_result *r);
void checker__lin_result_release(struct lin_result *r);
/* Add the "nonlinearizable" anomaly for one key to v. */
void checker__lin_evidence(const struct lin_evidence *ev, struct verdict *v);

/* Model step: may op o take effect in state s; *ns is the next state. */
static inline int checker__lin_step(const struct lin_op *o, uint32_t s,
				    uint32_t *ns)
{
	switch (o->kind) {
	case LIN_READ:
		*ns = s;
		return s == o->a;
	case LIN_WRITE:
		*ns = o->a;
		return 1;
	default:
		*ns = o->b;
		return s == o->a;
	}
}

#endif
