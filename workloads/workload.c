/*
 * workload.c - what every workload shares: ops, the lifecycle, the random
 * stream the generators draw from.
 */
#include "workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

void workload_op_init(struct workload_op *op)
{
	memset(op, 0, sizeof(*op));
	op->type = HIST_INFO;
}

void workload_op_release(struct workload_op *op)
{
	json_decref(op->value);
	json_decref(op->out);
	workload_op_init(op);
}

void workload_op_errorf(struct workload_op *op, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(op->error, sizeof(op->error), fmt, ap);
	va_end(ap);
	n = strlen(op->error);
	while (n && (op->error[n - 1] == '\n' || op->error[n - 1] == ' '))
		op->error[--n] = '\0';
	for (n = 0; op->error[n]; n++)
		if (op->error[n] == '\n')
			op->error[n] = ' ';
}

int workload_new(struct workload **wp, const struct workload_type *type,
		 const struct config *c, struct db *db, size_t concurrency,
		 struct sb *err)
{
	struct workload *w = xcalloc(1, sizeof(*w));
	int rc;

	w->type = type;
	w->cfg = c;
	w->db = db;
	w->concurrency = concurrency;
	rc = type->init(w, err);
	if (rc) {
		free(w);
		*wp = NULL;
		return rc;
	}
	*wp = w;
	return 0;
}

void workload_free(struct workload *w)
{
	if (!w)
		return;
	if (w->type->release)
		w->type->release(w);
	free(w);
}

/* ===== Random stream: splitmix64 seeds xoshiro256** ===== */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void workload_rng_seed(struct workload_rng *r, uint64_t seed,
		       uint64_t stream)
{
	uint64_t x = seed ^ splitmix64(&stream);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t workload_rng_next(struct workload_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t workload_rng_below(struct workload_rng *r, uint64_t n)
{
	/* Lemire's multiply-shift; the bias is < n / 2^64. */
	return (uint64_t)(((unsigned __int128)workload_rng_next(r) * n) >> 64);
}
