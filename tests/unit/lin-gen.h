/*
 * lin-gen.h - register histories that are linearizable by construction,
 * for the checker's tests (test-lin-big.c) and benchmark (bench-lin.c).
 *
 * A simulation: `nproc` client processes each invoke an operation, later
 * apply it to a simulated register at one instant (its linearization
 * point), and later still complete it.  Which process moves next is
 * random, so operations overlap as much as `nproc` allows.  Outcomes: a
 * cas whose expected value was not there fails (and changed nothing); with
 * probability `info`, an operation completes as `info` instead, either
 * after it took effect or without ever taking effect (half each); after
 * an `info` the process continues under a new id.  Reads return what the
 * register held at their linearization point, so the history is
 * linearizable with the register's initial value nil.
 *
 * With `unique`, every write and cas writes a value never written before
 * (1, 2, 3, ...), which lets tests build mutations that are provably not
 * linearizable (test-lin-big.c).  Otherwise values are 0..values-1.
 *
 * Ownership: events are appended to the caller's history; *ops (one
 * record per operation, in invoke order) is the caller's to free().
 */
#ifndef NS_LIN_GEN_H
#define NS_LIN_GEN_H

#include "lin-build.h"

struct lg_opts {
	size_t nops;		/* operations to invoke */
	int nproc;		/* concurrent processes (<= 256) */
	int cas;		/* also generate cas operations */
	int read_pct;		/* share of reads, percent (default 50) */
	double info;		/* probability of an info completion */
	int unique;		/* unique written values */
	int values;		/* value range when not unique (default 5) */
	int64_t pid_base;	/* first process id */
	const char *key;	/* NULL: no key */
	uint64_t seed;
};

enum { LG_READ, LG_WRITE, LG_CAS };

struct lg_op {
	size_t inv, ret;	/* positions; ret = SIZE_MAX if no ok */
	int kind;
	int64_t a, b;		/* read: value read (LB_NIL = nil) */
	int type;		/* HIST_OK, HIST_FAIL, HIST_INFO */
	int applied;		/* took effect */
};

static inline uint64_t lg_rand(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline size_t lg_gen(struct history *h, const struct lg_opts *o,
			    struct lg_op **ops_out)
{
	enum { IDLE, INVOKED, APPLIED };
	struct lg_op *ops = calloc(o->nops ? o->nops : 1, sizeof(*ops));
	int st[256], cur[256], nproc = o->nproc > 256 ? 256 : o->nproc;
	int64_t pid[256], truth = LB_NIL, next_val = 1;
	int values = o->values ? o->values : 5;
	int read_pct = o->read_pct ? o->read_pct : 50;
	size_t started = 0, busy = 0, n = 0;
	uint64_t s = o->seed * 0x2545f4914f6cdd1dULL + 1;
	int i;

	for (i = 0; i < nproc; i++) {
		st[i] = IDLE;
		cur[i] = 0;
		pid[i] = o->pid_base + i;
	}
	while (started < o->nops || busy) {
		int k = (int)(lg_rand(&s) % (uint64_t)nproc);
		struct lg_op *op = &ops[cur[k]];

		if (st[k] == IDLE) {
			struct hist_value v = lb_val(LB_NIL);
			uint64_t r = lg_rand(&s) % 100;

			if (started == o->nops)
				continue;
			op = &ops[n];
			cur[k] = (int)n++;
			started++;
			busy++;
			op->kind = (int)r < read_pct ? LG_READ
				   : o->cas && (r & 1) ? LG_CAS : LG_WRITE;
			if (op->kind == LG_WRITE) {
				op->a = o->unique ? next_val++
					: (int64_t)(lg_rand(&s) % values);
				v = lb_val(op->a);
			} else if (op->kind == LG_CAS) {
				/* Expect the current value half the time. */
				op->a = (lg_rand(&s) & 1) && truth != LB_NIL
					? truth
					: o->unique ? (int64_t)(lg_rand(&s) %
							(uint64_t)next_val)
					: (int64_t)(lg_rand(&s) % values);
				op->b = o->unique ? next_val++
					: (int64_t)(lg_rand(&s) % values);
				v = lb_cas(h, op->a, op->b);
			}
			op->inv = lb_invoke(h, pid[k],
					    op->kind == LG_READ ? "read"
					    : op->kind == LG_WRITE ? "write"
					    : "cas", v, o->key);
			op->ret = SIZE_MAX;
			st[k] = INVOKED;
			continue;
		}
		if (st[k] == INVOKED) {
			if (lg_rand(&s) % 1000000 < (uint64_t)(o->info * 5e5)) {
				/* info without ever taking effect */
				op->type = HIST_INFO;
				lb_complete(h, op->inv, HIST_INFO,
					    op->kind == LG_READ ? lb_val(LB_NIL)
					    : h->ev[op->inv].value);
				pid[k] += 100000;
				st[k] = IDLE;
				busy--;
				continue;
			}
			switch (op->kind) {
			case LG_READ:
				op->a = truth;
				op->applied = 1;
				break;
			case LG_WRITE:
				truth = op->a;
				op->applied = 1;
				break;
			default:
				op->applied = truth == op->a;
				if (op->applied)
					truth = op->b;
				break;
			}
			st[k] = APPLIED;
			continue;
		}
		/* APPLIED: complete. */
		if (lg_rand(&s) % 1000000 < (uint64_t)(o->info * 5e5)) {
			op->type = HIST_INFO;
			pid[k] += 100000;
		} else {
			op->type = op->applied ? HIST_OK : HIST_FAIL;
		}
		if (op->type == HIST_OK)
			op->ret = h->n;
		lb_complete(h, op->inv, op->type,
			    op->kind == LG_READ
			    ? (op->type == HIST_OK ? lb_val(op->a)
			       : lb_val(LB_NIL))
			    : h->ev[op->inv].value);
		st[k] = IDLE;
		busy--;
	}
	if (ops_out)
		*ops_out = ops;
	else
		free(ops);
	return n;
}

#endif
