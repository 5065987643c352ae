/*
 * grudge.c - partition shapes as grudges: node -> set of nodes it drops.
 *
 * Every shape is a function from a node order (a permutation) to a
 * grudge; partition.c applies a grudge row per node as iptables DROP
 * rules by source address.  Pure code, no I/O: unit-tested in
 * tests/unit/test-nemesis-partition.c.  O(n^2) in the number of nodes.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "nemesis.h"

void grudge_init(struct grudge *g, size_t n)
{
	g->n = n;
	g->drop = xcalloc(n ? n * n : 1, 1);
}

void grudge_release(struct grudge *g)
{
	free(g->drop);
	g->drop = NULL;
	g->n = 0;
}

int grudge_drops(const struct grudge *g, size_t i, size_t j)
{
	return i < g->n && j < g->n && g->drop[i * g->n + j];
}

static void set(struct grudge *g, size_t i, size_t j)
{
	if (i != j)
		g->drop[i * g->n + j] = 1;
}

/* Nodes in different components drop each other; comp[i] per node. */
static void complete(struct grudge *g, const int *comp)
{
	size_t i, j;

	for (i = 0; i < g->n; i++)
		for (j = 0; j < g->n; j++)
			if (comp[i] != comp[j])
				set(g, i, j);
}

/* Components: perm[0..cut-1] is 0, the rest 1. */
static void split(struct grudge *g, const size_t *perm, size_t cut)
{
	int *comp = xcalloc(g->n ? g->n : 1, sizeof(*comp));
	size_t k;

	memset(g->drop, 0, g->n * g->n);
	for (k = 0; k < g->n; k++)
		comp[perm[k]] = k < cut ? 0 : 1;
	complete(g, comp);
	free(comp);
}

void grudge_halves(struct grudge *g, const size_t *perm)
{
	split(g, perm, g->n / 2);
}

void grudge_isolate(struct grudge *g, const size_t *perm)
{
	split(g, perm, g->n ? 1 : 0);
}

/*
 * Majorities ring.  Drops are made by the receiver, so a link works only
 * when neither end drops the other: the window each node sees must be
 * symmetric.  On a shuffled ring each node sees the nodes within distance
 * r of itself, r the smallest with 2r + 1 >= a majority: every node sees a
 * majority (both ways), and no two nodes see the same one.  Three nodes
 * have no such ring (any majority window is the whole cluster).
 */
int grudge_ring(struct grudge *g, const size_t *perm, struct sb *err)
{
	size_t n = g->n, m = n / 2 + 1, r = m / 2, k, d;

	if (n < 4) {
		sb_addf(err, "partition 'ring' needs at least 4 nodes, "
			"not %zu (with 3, every majority window is the "
			"whole cluster)", n);
		return -NS_EUSAGE;
	}
	memset(g->drop, 0, n * n);
	for (k = 0; k < n; k++) {
		size_t self = perm[k];

		/* sees perm[k-r .. k+r] (mod n): drop all others */
		for (d = r + 1; d < n - r; d++)
			set(g, self, perm[(k + d) % n]);
	}
	return 0;
}

int grudge_bridge(struct grudge *g, const size_t *perm, struct sb *err)
{
	size_t n = g->n, b, k;

	if (n < 3) {
		sb_addf(err, "partition 'bridge' needs at least 3 nodes, "
			"not %zu", n);
		return -NS_EUSAGE;
	}
	split(g, perm, n / 2);
	b = perm[n / 2];
	for (k = 0; k < n; k++) {
		g->drop[b * n + k] = 0;
		g->drop[k * n + b] = 0;
	}
	return 0;
}
