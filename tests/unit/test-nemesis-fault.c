/*
 * Unit tests for the fault record (nemesis/fault.c): its JSON round trip
 * (the journal's line), fault_describe() and its summary in words, and
 * unknown kinds refused.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"
#include "nemesis-fixtures.h"

TEST(fault_record_round_trips)
{
	struct fault *f = sample_fault("abcd0123-3"), *g = NULL;
	struct sb err = SB_INIT;
	json_t *j = fault_to_json(f);

	CHECK_EQ_INT(fault_from_json(&g, j, &err), 0);
	CHECK_EQ_STR(g->id, "abcd0123-3");
	CHECK_EQ_STR(fault_kind(g), "partition");
	CHECK_EQ_STR(g->shape, "bridge");
	CHECK_EQ_INT(g->k, 3);
	CHECK_EQ_INT(g->start_ns, 1700000000123456789LL);
	CHECK_EQ_INT(g->ntargets, 2);
	CHECK_EQ_STR(g->targets[0].backend, "iptables-legacy");
	CHECK_EQ_STR(g->targets[0].chain, "NS-abcd0123-3");
	CHECK_EQ_INT(g->targets[0].ndrops, 2);
	CHECK_EQ_STR(g->targets[0].drops[1], "n5");
	CHECK_EQ_INT(g->targets[0].deadman_pid, 4242);
	CHECK_EQ_STR(g->targets[0].pidfile, "/var/lib/ns/fake/pid");
	CHECK_EQ_STR(g->targets[0].member_dir, "/var/lib/ns/fake");
	CHECK(g->targets[1].pidfile == NULL);
	CHECK_EQ_INT(g->targets[1].index, 4);
	CHECK_EQ_STR(g->targets[1].unsupported, "no reason at all");
	check_fault_json(j, g);
	json_decref(j);
	fault_free(f);
	fault_free(g);
	sb_release(&err);
}

TEST(fault_describe_has_the_grudge)
{
	struct fault *f = sample_fault("abcd0123-4");
	json_t *d = fault_describe(f);
	char *s = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);

	CHECK_CONTAINS(s, "\"grudge\":{\"n1\":[\"n4\",\"n5\"]}");
	CHECK_CONTAINS(s, "\"targets\":[\"n1\"]");
	CHECK_CONTAINS(s, "\"unsupported\":{\"n5\":\"no reason at all\"}");
	free(s);
	json_decref(d);
	fault_free(f);
}

/* The summary fault_describe() gives f is want; frees f. */
static void check_summary(struct fault *f, const char *want)
{
	json_t *d = fault_describe(f);
	const char *v = json_string_value(json_object_get(d, "summary"));

	CHECK_EQ_STR(v ? v : "(no summary)", want);
	json_decref(d);
	fault_free(f);
}

/* A partition fault over nodes n1..nN whose targets drop what grudge g
   says, as partition.c records it. */
static struct fault *grudge_fault(const char *shape, const struct grudge *g)
{
	struct fault *f = nemesis__fault_new(&nemesis_partition, "p-1",
					     shape);
	char name[32];
	size_t i, j;

	for (i = 0; i < g->n; i++) {
		struct fault_target *tg;

		snprintf(name, sizeof(name), "n%zu", i + 1);
		tg = nemesis__add_target(f, i, name, "10.0.0.1");
		tg->drops = xcalloc(g->n + 1, sizeof(*tg->drops));
		for (j = 0; j < g->n; j++) {
			if (!grudge_drops(g, i, j))
				continue;
			snprintf(name, sizeof(name), "n%zu", j + 1);
			tg->drops[tg->ndrops++] = xstrdup(name);
		}
	}
	return f;
}

TEST(fault_summary_says_a_clean_split_as_components)
{
	size_t perm[5] = { 0, 1, 2, 3, 4 }, odd[5] = { 3, 0, 4, 1, 2 };
	struct grudge g;

	/* Three nodes, n1 isolated: the grudge names each cut link from
	   both ends. */
	grudge_init(&g, 3);
	grudge_isolate(&g, perm);
	check_summary(grudge_fault("isolate", &g), "n1 | n2, n3");
	grudge_release(&g);

	/* Five nodes: halves and isolate are clean splits, in node order
	   whatever the shuffle. */
	grudge_init(&g, 5);
	grudge_halves(&g, perm);
	check_summary(grudge_fault("halves", &g), "n1, n2 | n3, n4, n5");
	grudge_halves(&g, odd);
	check_summary(grudge_fault("halves", &g), "n1, n4 | n2, n3, n5");
	grudge_isolate(&g, odd);
	check_summary(grudge_fault("isolate", &g), "n1, n2, n3, n5 | n4");
	grudge_release(&g);
}

TEST(fault_summary_says_who_is_cut_off_from_whom_otherwise)
{
	size_t perm[5] = { 0, 1, 2, 3, 4 };
	struct sb err = SB_INIT;
	struct grudge g;

	/* The bridge: n3 keeps both sides, so no clean split. */
	grudge_init(&g, 5);
	CHECK_EQ_INT(grudge_bridge(&g, perm, &err), 0);
	check_summary(grudge_fault("bridge", &g),
		      "n1 cut off from n4, n5; n2 cut off from n4, n5");
	/* The ring: each node sees itself and its two neighbours. */
	CHECK_EQ_INT(grudge_ring(&g, perm, &err), 0);
	check_summary(grudge_fault("ring", &g),
		      "n1 cut off from n3, n4; n2 cut off from n4, n5; "
		      "n3 cut off from n5");
	grudge_release(&g);
	sb_release(&err);

	/* The bridge sample: n5 unsupported, so only n1's side is known. */
	check_summary(sample_fault("abcd0123-5"), "n1 cut off from n4, n5");
}

TEST(fault_summary_of_other_kinds_names_targets)
{
	struct fault *f = nemesis__fault_new(&nemesis_loss, "l-1", NULL);

	f->probability = 0.2;
	nemesis__add_target(f, 0, "n1", "10.0.0.1");
	nemesis__add_target(f, 1, "n2", "10.0.0.2");
	check_summary(f, "n1, n2 drop 20% of packets");

	f = nemesis__fault_new(&nemesis_clock, "c-1", NULL);
	nemesis__add_target(f, 0, "n3", "10.0.0.3")->offset_ms = -80;
	check_summary(f, "n3 -80 ms");

	f = nemesis__fault_new(&nemesis_kill, "k-1", NULL);
	nemesis__add_target(f, 0, "n2", "10.0.0.2");
	check_summary(f, "n2");
}

TEST(fault_from_json_rejects_unknown_kinds)
{
	struct sb err = SB_INIT;
	struct fault *f = (struct fault *)1;
	json_t *j = json_pack("{s:s, s:s, s:[]}", "id", "x-1", "kind",
			      "meteor", "targets");

	CHECK_EQ_INT(fault_from_json(&f, j, &err), -NS_EINPUT);
	CHECK(f == NULL);
	CHECK_CONTAINS(err.buf, "unknown kind 'meteor'");
	json_decref(j);
	sb_release(&err);
}
