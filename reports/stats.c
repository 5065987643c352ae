/*
 * stats.c - figures of a run for the summary and the comparison: op
 * counts by outcome, throughput (ok ops per second over the history's
 * span), and latency percentiles of ok ops (nearest-rank).
 *
 * Only ok ops have a meaningful latency: a fail is often fast (refused)
 * and an info's completion is a client timeout, not the database's answer.
 * Cost: O(n log n) for the sort of latencies.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const int64_t *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)(p * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

void report_stats_compute(const struct report_run *r, const char *f,
			  struct report_stats *st)
{
	const struct history *h = &r->hist;
	uint32_t fid = f ? hist_lookup(h, f) : UINT32_MAX;
	int64_t *lat = xmalloc((r->nops ? r->nops : 1) * sizeof(*lat));
	size_t i, nlat = 0;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < r->nops; i++) {
		const struct hist_event *e = &h->ev[r->ops[i].inv];
		const struct hist_event *c;

		if (f && e->f != fid)
			continue;
		st->ops++;
		if (r->ops[i].comp < 0) {
			st->info++;
			continue;
		}
		c = &h->ev[r->ops[i].comp];
		if (c->type == HIST_OK) {
			st->ok++;
			lat[nlat++] = c->time - e->time;
		} else if (c->type == HIST_FAIL) {
			st->fail++;
		} else {
			st->info++;
		}
	}
	st->duration_s = (double)(r->t1 - r->t0) / 1e9;
	if (st->duration_s > 0)
		st->throughput = (double)st->ok / st->duration_s;
	qsort(lat, nlat, sizeof(*lat), cmp_i64);
	st->p50_ms = pct(lat, nlat, 0.50);
	st->p95_ms = pct(lat, nlat, 0.95);
	st->p99_ms = pct(lat, nlat, 0.99);
	st->max_ms = nlat ? (double)lat[nlat - 1] / 1e6 : 0;
	free(lat);
}
