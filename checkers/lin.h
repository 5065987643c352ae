/*
 * lin.h - internals of the linearizability checker, shared by
 * checkers/linearizable.c (history -> per-key problems, threads, verdict),
 * checkers/lin-search.c (the search over one key) and
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
