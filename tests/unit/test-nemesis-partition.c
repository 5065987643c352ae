/*
 * Unit tests for the partition kind's planning (nemesis/grudge.c,
 * nemesis/partition.c): grudge shapes (halves, isolate, ring, bridge),
 * the seeded shuffle, and which shapes "partition" draws for a cluster's
 * size (planning stubbed, around the stand-in set).
 */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"
#include "nemesis-stand-in.h"

static void identity(size_t *perm, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		perm[i] = i;
}

/* Nodes i sees: itself and every j it does not drop. */
static size_t sees(const struct grudge *g, size_t i, unsigned char *row)
{
	size_t j, n = 0;

	for (j = 0; j < g->n; j++) {
		row[j] = !grudge_drops(g, i, j);
		n += row[j];
	}
	return n;
}

TEST(grudge_halves_cut_in_two)
{
	struct grudge g;
	size_t perm[5], i, j;

	identity(perm, 5);
	grudge_init(&g, 5);
	grudge_halves(&g, perm);
	/* {0,1} | {2,3,4} */
	for (i = 0; i < 5; i++)
		for (j = 0; j < 5; j++)
			CHECK_EQ_INT(grudge_drops(&g, i, j),
				     (i < 2) != (j < 2));
	grudge_release(&g);
}

TEST(grudge_halves_follow_the_permutation)
{
	struct grudge g;
	size_t perm[4] = { 3, 1, 0, 2 };

	grudge_init(&g, 4);
	grudge_halves(&g, perm);
	/* {3,1} | {0,2} */
	CHECK(!grudge_drops(&g, 3, 1));
	CHECK(!grudge_drops(&g, 0, 2));
	CHECK(grudge_drops(&g, 3, 0));
	CHECK(grudge_drops(&g, 2, 1));
	CHECK(grudge_drops(&g, 1, 2));
	CHECK(!grudge_drops(&g, 1, 1));
	grudge_release(&g);
}

TEST(grudge_isolate_one)
{
	struct grudge g;
	size_t perm[3] = { 2, 0, 1 }, i;

	grudge_init(&g, 3);
	grudge_isolate(&g, perm);
	for (i = 0; i < 2; i++) {
		CHECK(grudge_drops(&g, 2, i));
		CHECK(grudge_drops(&g, i, 2));
	}
	CHECK(!grudge_drops(&g, 0, 1));
	CHECK(!grudge_drops(&g, 1, 0));
	grudge_release(&g);
}

TEST(grudge_ring_every_node_sees_a_distinct_majority)
{
	size_t n;

	for (n = 4; n <= 9; n++) {
		struct grudge g;
		struct sb err = SB_INIT;
		size_t perm[9], i, k;
		unsigned char rows[9][9];
		uint64_t rng = n;

		nemesis__shuffle(&rng, perm, n);
		grudge_init(&g, n);
		CHECK_EQ_INT(grudge_ring(&g, perm, &err), 0);
		for (i = 0; i < n; i++) {
			CHECK(sees(&g, i, rows[i]) >= n / 2 + 1);
			CHECK(rows[i][i]);
		}
		/* links work both ways: whoever i sees also sees i */
		for (i = 0; i < n; i++)
			for (k = 0; k < n; k++)
				CHECK_EQ_INT(grudge_drops(&g, i, k),
					     grudge_drops(&g, k, i));
		for (i = 0; i < n; i++)
			for (k = i + 1; k < n; k++)
				CHECK(memcmp(rows[i], rows[k], n) != 0);
		grudge_release(&g);
		sb_release(&err);
	}
}

TEST(grudge_ring_needs_four_nodes)
{
	struct grudge g;
	struct sb err = SB_INIT;
	size_t perm[3] = { 0, 1, 2 };

	grudge_init(&g, 3);
	CHECK_EQ_INT(grudge_ring(&g, perm, &err), -NS_EUSAGE);
	CHECK_CONTAINS(err.buf, "at least 4");
	grudge_release(&g);
	sb_release(&err);
}

TEST(grudge_bridge_keeps_one_node_in_both_halves)
{
	struct grudge g;
	struct sb err = SB_INIT;
	size_t perm[5], i, j, b;

	identity(perm, 5);
	grudge_init(&g, 5);
	CHECK_EQ_INT(grudge_bridge(&g, perm, &err), 0);
	b = perm[5 / 2];	/* 2: {0,1} | {2,3,4}, 2 bridges */
	for (i = 0; i < 5; i++) {
		CHECK(!grudge_drops(&g, b, i));
		CHECK(!grudge_drops(&g, i, b));
	}
	for (i = 0; i < 2; i++)
		for (j = 3; j < 5; j++) {
			CHECK(grudge_drops(&g, i, j));
			CHECK(grudge_drops(&g, j, i));
		}
	CHECK(!grudge_drops(&g, 0, 1));
	CHECK(!grudge_drops(&g, 3, 4));
	grudge_release(&g);
	sb_release(&err);
}

TEST(shuffle_is_a_seeded_permutation)
{
	size_t a[7], b[7], seen[7] = { 0 }, i;
	uint64_t r1 = 42, r2 = 42;

	nemesis__shuffle(&r1, a, 7);
	nemesis__shuffle(&r2, b, 7);
	for (i = 0; i < 7; i++) {
		CHECK_EQ_INT(a[i], b[i]);
		CHECK(a[i] < 7);
		seen[a[i]]++;
	}
	for (i = 0; i < 7; i++)
		CHECK_EQ_INT(seen[i], 1);
}

/* ===== The shape draw (the partition kind, planning stubbed) ===== */

static const char *drawn_shape;

static int record_plan(struct nemesis *n, struct fault *f,
		       const char *shape, uint64_t *rng, struct sb *err)
{
	drawn_shape = shape;
	return 0;
}

/* How often each partition shape is drawn for nnodes over many seeds. */
static void draw_shapes(size_t nnodes, size_t *count, size_t nshapes)
{
	static struct nemesis_type t;
	struct nemesis_set *s;
	struct sb err = SB_INIT;
	uint64_t seed;
	size_t k, i;

	t = nemesis_partition;		/* its shapes, as they fit */
	t.plan = record_plan;
	s = stand_in_set(&t, test_tmpdir());
	s->entries[0].shape = NULL;	/* "partition": any shape */
	free(s->nodes);
	s->nodes = xcalloc(nnodes, sizeof(*s->nodes));
	s->nnodes = nnodes;
	memset(count, 0, nshapes * sizeof(*count));
	for (seed = 1; seed <= 60; seed++) {
		s->opts.seed = seed;
		for (k = 0; k < 20; k++) {
			struct fault *f = NULL;

			drawn_shape = NULL;
			CHECK_EQ_INT(nemesis_plan(s, k, &f, &err), 0);
			CHECK(drawn_shape != NULL);
			for (i = 0; i < nshapes; i++)
				if (!strcmp(nemesis_partition.shapes[i],
					    drawn_shape))
					count[i]++;
			fault_free(f);
		}
	}
	nemesis_set_free(s);
	sb_release(&err);
}

/*
 * "partition" on 3 nodes draws among the shapes 3 nodes can take (no
 * ring: its start would fail and abort the run), each of them; on 4
 * nodes the ring is drawn too; on 2, neither ring nor bridge.
 */
TEST(random_partition_shapes_fit_the_cluster)
{
	size_t count[16], n = 0, i;

	while (nemesis_partition.shapes[n])
		n++;
	CHECK(n <= 16);
	draw_shapes(3, count, n);
	for (i = 0; i < n; i++) {
		if (!strcmp(nemesis_partition.shapes[i], "ring"))
			CHECK_EQ_INT(count[i], 0);
		else
			CHECK(count[i] > 0);
	}
	draw_shapes(2, count, n);
	for (i = 0; i < n; i++)
		if (!strcmp(nemesis_partition.shapes[i], "ring") ||
		    !strcmp(nemesis_partition.shapes[i], "bridge"))
			CHECK_EQ_INT(count[i], 0);
	draw_shapes(4, count, n);
	for (i = 0; i < n; i++)
		CHECK(count[i] > 0);
}
