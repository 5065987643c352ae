/*
 * Unit tests for nemesis/: grudge shapes, fault records, the journal,
 * nemesis_start_next() and nemesis_stop() around a stand-in fault kind
 * (no transport: a lost "applied" journal line), the dead-man loop (run
 * locally).
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
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

TEST(faults_list_parses_kinds_and_shapes)
{
	struct sb err = SB_INIT;

	CHECK_EQ_INT(nemesis_check_faults("partition,kill,pause,clock,loss",
					  &err), 0);
	CHECK_EQ_INT(nemesis_check_faults("partition-ring, kill-leader",
					  &err), 0);
	CHECK_EQ_INT(nemesis_check_faults("partition-random-halves", &err),
		     0);
	CHECK_EQ_INT(nemesis_check_faults("partition-leader", &err), 0);
	CHECK_EQ_INT(nemesis_check_faults("partition-square", &err),
		     -NS_EUSAGE);
	CHECK_CONTAINS(err.buf, "'partition-square' is not a fault kind");
	sb_reset(&err);
	CHECK_EQ_INT(nemesis_check_faults("", &err), -NS_EUSAGE);
	sb_release(&err);
}

TEST(options_from_config_are_strict)
{
	struct config c;
	struct nemesis_opts o;
	struct sb err = SB_INIT;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json",
		"{\"nodes\":[{\"name\":\"n1\",\"host\":\"10.0.0.1\"},"
		"{\"name\":\"n2\",\"host\":\"10.0.0.2\"},"
		"{\"name\":\"n3\",\"host\":\"10.0.0.3\"},"
		"{\"name\":\"n4\",\"host\":\"10.0.0.4\"}],"
		"\"nemesis\":{\"faults\":[\"partition-ring\",\"loss\"],"
		"\"deadman_s\":7,\"order\":\"cycle\"}}", &err), 0);
	nemesis_opts_init(&o);
	CHECK_EQ_INT(nemesis_opts_from_config(&o, &c, &err), 0);
	CHECK_EQ_STR(o.faults, "partition-ring,loss");
	CHECK_EQ_INT(o.deadman_s, 7);
	CHECK_EQ_INT(o.cycle, 1);
	nemesis_opts_release(&o);
	config_release(&c);

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json",
		"{\"nodes\":[{\"name\":\"n1\",\"host\":\"10.0.0.1\"}],"
		"\"nemesis\":{\"deadman\":7}}", &err), 0);
	nemesis_opts_init(&o);
	CHECK_EQ_INT(nemesis_opts_from_config(&o, &c, &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "deadman");
	nemesis_opts_release(&o);
	config_release(&c);
	sb_release(&err);
}

/*
 * Read the nemesis options of a config of n nodes whose nemesis.faults is
 * faults (a JSON value; NULL: no such key, the default applies), flag
 * being the command's flag for it.
 */
static int opts_flag_for(size_t n, const char *faults, const char *flag,
			 struct sb *err)
{
	struct sb text = SB_INIT;
	struct config c;
	struct nemesis_opts o;
	size_t i;
	int rc;

	sb_adds(&text, "{\"nodes\":[");
	for (i = 0; i < n; i++)
		sb_addf(&text, "%s{\"name\":\"n%zu\",\"host\":\"10.0.0.%zu\"}",
			i ? "," : "", i + 1, i + 1);
	if (faults)
		sb_addf(&text, "],\"nemesis\":{\"faults\":%s}}", faults);
	else
		sb_adds(&text, "],\"nemesis\":{\"interval_s\":3}}");
	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json", text.buf, err), 0);
	nemesis_opts_init(&o);
	o.faults_flag = flag;
	rc = nemesis_opts_from_config(&o, &c, err);
	nemesis_opts_release(&o);
	config_release(&c);
	sb_release(&text);
	return rc;
}

static int opts_for(size_t n, const char *faults, struct sb *err)
{
	return opts_flag_for(n, faults, NULL, err);
}

/*
 * A shape the cluster cannot take, named explicitly, is a config error
 * naming the key (the run stops before any set-up), not a failed start
 * in the middle of the run.
 */
TEST(explicit_shape_too_big_for_the_cluster_is_a_config_error)
{
	struct sb err = SB_INIT;

	CHECK_EQ_INT(opts_for(3, "[\"partition-ring\"]", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'partition-ring' needs at least 4 nodes, "
		       "not 3");
	CHECK_CONTAINS(err.buf, "'nemesis.faults'");
	sb_reset(&err);
	CHECK_EQ_INT(opts_for(2, "\"kill,partition-bridge\"", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'partition-bridge' needs at least 3 nodes");
	sb_reset(&err);
	CHECK_EQ_INT(opts_for(1, "\"partition\"", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'partition' needs at least 2 nodes");
	sb_reset(&err);
	/* what fits is accepted */
	CHECK_EQ_INT(opts_for(3, "\"partition,partition-bridge\"", &err), 0);
	CHECK_EQ_INT(opts_for(4, "\"partition-ring\"", &err), 0);
	CHECK_EQ_INT(opts_for(2, "\"partition\"", &err), 0);
	CHECK_EQ_INT(err.len, 0);
	sb_release(&err);
}

/*
 * The default faults list (partition) on one node is refused with the
 * config, naming the key it defaults and the flag that sets it, not at
 * the first fault of a run already under way.
 */
TEST(default_faults_that_do_not_fit_are_a_config_error)
{
	struct sb err = SB_INIT;

	CHECK_EQ_INT(opts_flag_for(1, NULL, "--nemesis", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'partition' needs at least 2 nodes, not 1");
	CHECK_CONTAINS(err.buf, "default of t.json: 'nemesis.faults'");
	CHECK_CONTAINS(err.buf, "set that key or --nemesis to faults that "
		       "fit");
	sb_reset(&err);
	CHECK_EQ_INT(opts_for(1, NULL, &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nemesis.faults'; set it to faults");
	sb_reset(&err);
	/* two nodes take a partition; "none" on one node is fine */
	CHECK_EQ_INT(opts_flag_for(2, NULL, "--nemesis", &err), 0);
	CHECK_EQ_INT(opts_for(1, "\"none\"", &err), 0);
	CHECK_EQ_INT(opts_for(1, "\"kill\"", &err), 0);
	CHECK_EQ_INT(err.len, 0);
	sb_release(&err);
}

static struct fault *sample_fault(const char *id)
{
	struct fault *f = nemesis__fault_new(&nemesis_partition, id,
					     "bridge");
	struct fault_target *tg;

	f->k = 3;
	f->deadman_s = 30;
	f->start_ns = 1700000000123456789LL;
	tg = nemesis__add_target(f, 0, "n1", "10.0.0.1");
	tg->drops = xcalloc(3, sizeof(*tg->drops));
	tg->drops[tg->ndrops++] = xstrdup("n4");
	tg->drops[tg->ndrops++] = xstrdup("n5");
	snprintf(tg->backend, sizeof(tg->backend), "iptables-legacy");
	snprintf(tg->chain, sizeof(tg->chain), "NS-%s", id);
	tg->dir = xstrdup("/var/lib/ns/netsplit-nemesis");
	tg->deadman_pid = 4242;
	tg->pidfile = xstrdup("/var/lib/ns/fake/pid");
	tg->member_dir = xstrdup("/var/lib/ns/fake");
	tg = nemesis__add_target(f, 4, "n5", "10.0.0.5");
	nemesis__target_unsupported(tg, "no reason at all");
	return f;
}

TEST(fault_record_round_trips)
{
	struct fault *f = sample_fault("abcd0123-3"), *g = NULL;
	struct sb err = SB_INIT;
	json_t *j = fault_to_json(f), *j2;
	char *s1, *s2;

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
	j2 = fault_to_json(g);
	s1 = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	s2 = json_dumps(j2, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_EQ_STR(s1, s2);
	free(s1);
	free(s2);
	json_decref(j);
	json_decref(j2);
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

static char *summary_of(const struct fault *f)
{
	json_t *d = fault_describe(f);
	const char *v = json_string_value(json_object_get(d, "summary"));
	char *s = xstrdup(v ? v : "(no summary)");

	json_decref(d);
	return s;
}

TEST(fault_summary_says_who_is_cut_off_from_whom)
{
	struct fault *f = nemesis__fault_new(&nemesis_partition, "p-1",
					     "isolate");
	struct fault_target *tg;
	const char *nodes[] = { "n1", "n2", "n3" };
	size_t i;
	char *s;

	/* n1 isolated: the grudge names each cut link from both ends. */
	for (i = 0; i < 3; i++) {
		tg = nemesis__add_target(f, i, nodes[i], "10.0.0.1");
		tg->drops = xcalloc(3, sizeof(*tg->drops));
		if (i == 0) {
			tg->drops[tg->ndrops++] = xstrdup("n2");
			tg->drops[tg->ndrops++] = xstrdup("n3");
		} else {
			tg->drops[tg->ndrops++] = xstrdup("n1");
		}
	}
	s = summary_of(f);
	CHECK_EQ_STR(s, "n1 cut off from n2, n3");
	free(s);
	fault_free(f);

	/* The bridge sample: n5 unsupported, so only n1's side is known. */
	f = sample_fault("abcd0123-5");
	s = summary_of(f);
	CHECK_EQ_STR(s, "n1 cut off from n4, n5");
	free(s);
	fault_free(f);
}

TEST(fault_summary_of_other_kinds_names_targets)
{
	struct fault *f = nemesis__fault_new(&nemesis_loss, "l-1", NULL);
	char *s;

	f->probability = 0.2;
	nemesis__add_target(f, 0, "n1", "10.0.0.1");
	nemesis__add_target(f, 1, "n2", "10.0.0.2");
	s = summary_of(f);
	CHECK_EQ_STR(s, "n1, n2 drop 20% of packets");
	free(s);
	fault_free(f);

	f = nemesis__fault_new(&nemesis_clock, "c-1", NULL);
	nemesis__add_target(f, 0, "n3", "10.0.0.3")->offset_ms = -80;
	s = summary_of(f);
	CHECK_EQ_STR(s, "n3 -80 ms");
	free(s);
	fault_free(f);

	f = nemesis__fault_new(&nemesis_kill, "k-1", NULL);
	nemesis__add_target(f, 0, "n2", "10.0.0.2");
	s = summary_of(f);
	CHECK_EQ_STR(s, "n2");
	free(s);
	fault_free(f);
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

/*
 * The journal as `netsplit heal` reads it: a healed fault is skipped, an
 * applied one is pending (here on a node nobody listens on, so it is
 * counted as failed, not healed), a torn last line is ignored.
 */
TEST_T(journal_pending_faults_are_found, 20)
{
	char dir[512], path[600], cfg_text[512];
	struct fault *a = sample_fault("aaaa0000-0");
	struct fault *b = sample_fault("bbbb0000-1");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	int fd;

	snprintf(dir, sizeof(dir), "%s/store/t/run1", test_tmpdir());
	snprintf(path, sizeof(path), "mkdir -p '%s'", dir);
	CHECK_EQ_INT(system(path), 0);
	snprintf(path, sizeof(path), "%s/nemesis.journal", dir);
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", b, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "applied", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "{\"event\":\"hea", 13), 13);
	close(fd);

	snprintf(cfg_text, sizeof(cfg_text),
		 "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\","
		 "\"port\":1}],\"ssh\":{\"connect_timeout_ms\":1000},"
		 "\"store_dir\":\"%s/store\"}", test_tmpdir());
	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json", cfg_text, &err), 0);
	CHECK(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log, &err) != 0);
	CHECK_EQ_INT(st.journals, 1);
	CHECK_EQ_INT(st.faults, 1);
	CHECK_EQ_INT(st.healed, 0);
	CHECK_EQ_INT(st.failed, 1);
	config_release(&c);
	fault_free(a);
	fault_free(b);
	sb_release(&err);
	sb_release(&log);
}

/*
 * A store with one journal, DIR/store/t/run1/nemesis.journal (path), and
 * a config whose only node n1 nobody listens on: a heal that tries to
 * reach it fails.
 */
static void heal_store_init(struct config *c, char *path, size_t size)
{
	char cmd[700], cfg_text[512];
	struct sb err = SB_INIT;

	snprintf(path, size, "%s/store/t/run1/nemesis.journal",
		 test_tmpdir());
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/store/t/run1'",
		 test_tmpdir());
	CHECK_EQ_INT(system(cmd), 0);
	snprintf(cfg_text, sizeof(cfg_text),
		 "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\","
		 "\"port\":1}],\"ssh\":{\"connect_timeout_ms\":1000},"
		 "\"store_dir\":\"%s/store\"}", test_tmpdir());
	config_init(c);
	CHECK_EQ_INT(config_load_str(c, "t.json", cfg_text, &err), 0);
	sb_release(&err);
}

static void append_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

/*
 * Only the last line may be cut short: a bad line with lines after it
 * is an error naming file:line (what was readable is still healed: here
 * nothing is left in force), not a line silently skipped.
 */
TEST(heal_refuses_a_bad_journal_line_before_the_last)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], where[700];

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	append_text(path, "garbage, not an event\n");
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), -NS_EREAD);
	snprintf(where, sizeof(where), "%s:2: not a journal event", path);
	CHECK_CONTAINS(err.buf, where);
	CHECK_EQ_INT(st.bad_lines, 1);
	CHECK_EQ_INT(st.faults, 0);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
}

/* A torn last line (a crash while it was written) is only a warning. */
TEST(heal_skips_a_torn_last_line_with_a_warning)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], where[700];

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	append_text(path, "{\"event\":\"hea");
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), 0);
	CHECK_EQ_INT(err.len, 0);
	snprintf(where, sizeof(where), "warning: %s:3: last line cut short",
		 path);
	CHECK_CONTAINS(log.buf, where);
	CHECK_EQ_INT(st.journals, 1);
	CHECK_EQ_INT(st.faults, 0);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
}

/*
 * A run whose set holds the flock on its journal (as nemesis_set_new()
 * does until nemesis_set_free()) is live: heal leaves its fault in force
 * to it and names the run directory; NEMESIS_HEAL_FORCE heals it
 * anyway (here: tries to, and cannot reach n1).
 */
TEST_T(heal_leaves_a_live_run_alone, 20)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], dir[600];
	int fd;

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), 0);
	CHECK_EQ_INT(st.faults, 0);
	CHECK_EQ_INT(st.live, 1);
	snprintf(dir, sizeof(dir), "%s/store/t/run1: the run is live",
		 test_tmpdir());
	CHECK_CONTAINS(log.buf, dir);
	CHECK_CONTAINS(log.buf, "--force");
	sb_reset(&log);
	CHECK(nemesis_heal_store(&c, c.store_dir, NULL, NEMESIS_HEAL_FORCE,
				 &st, &log, &err) != 0);
	CHECK_EQ_INT(st.faults, 1);
	CHECK_EQ_INT(st.failed, 1);
	CHECK_CONTAINS(log.buf, "healed anyway (--force)");
	close(fd);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
}

TEST(heal_of_an_empty_store_is_a_no_op)
{
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json",
		"{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}]}",
		&err), 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, "/nonexistent/netsplit-store", NULL,
					0, &st, &log, &err), 0);
	CHECK_EQ_INT(st.faults, 0);
	CHECK_CONTAINS(log.buf, "nothing to heal");
	config_release(&c);
	sb_release(&err);
	sb_release(&log);
}

/* ===== nemesis_start_next() around a stand-in fault kind ===== */

/*
 * The fault is journaled ("apply", fsync'd) and in force when its
 * "applied" line cannot be written (disk full): the start succeeds, the
 * fault is in force and owned by the set, the lost line is a warning in
 * the notes naming the fault and the journal, and err stays empty (the
 * caller prints err only on failure).  The stop then heals it.
 */
TEST(start_survives_a_lost_applied_line_with_a_warning)
{
	char journal[600], kept[700], line[8192];
	struct nemesis_set *s = stand_in_set(&stand_in_full_disk,
					     test_tmpdir());
	struct sb note = SB_INIT, err = SB_INIT;
	struct fault *f = NULL;
	FILE *fp;
	int napply = 0, napplied = 0;

	snprintf(journal, sizeof(journal), "%s", s->journal);
	snprintf(kept, sizeof(kept), "%s.kept", journal);
	CHECK_EQ_INT(nemesis_start_next(s, &f, &note, &err), 0);
	CHECK(f != NULL);
	CHECK_EQ_STR(fault_id(f), "0123abcd-0");
	CHECK_EQ_INT(nemesis_active(s), 1);
	CHECK_CONTAINS(note.buf, "warning: fault '0123abcd-0'");
	CHECK_CONTAINS(note.buf, journal);
	CHECK_CONTAINS(note.buf, strerror(ENOSPC));
	CHECK_EQ_INT(err.len, 0);
	/* what `netsplit heal` reads: the "apply" line, no "applied" */
	fp = fopen(kept, "r");
	CHECK(fp != NULL);
	while (fgets(line, sizeof(line), fp)) {
		napply += !!strstr(line, "{\"event\":\"apply\"");
		napplied += !!strstr(line, "{\"event\":\"applied\"");
	}
	fclose(fp);
	CHECK_EQ_INT(napply, 1);
	CHECK_EQ_INT(napplied, 0);

	/* room again: the stop heals it and journals "healed" */
	CHECK_EQ_INT(stand_in_restore(s), 0);
	CHECK_EQ_INT(nemesis_stop(s, f, &err), 0);
	CHECK_EQ_INT(stand_in_stops, 1);
	CHECK_EQ_INT(nemesis_active(s), 0);
	nemesis_set_free(s);
	sb_release(&note);
	sb_release(&err);
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

/* ===== The dead-man loop, run here with a wall clock far off ===== */

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	fputs(text, fp);
	fclose(fp);
}

/*
 * The loop runs locally with a `date` in PATH that says it is 30 years
 * later (a clock fault, or anyone, set the node's clock).  Renewed every
 * 0.3 s it must not fire; once renewals stop it fires within PERIOD + 3
 * s; an undo that fails once is retried.  `shell` is the one the arm
 * picks: bash (its wait a builtin read -t), or sh where bash is missing.
 */
static void deadman_loop_run(const char *shell)
{
	const char *tmp = test_tmpdir();
	char bin[512], date[600], lease[600], marker[600], pidf[600];
	char undo[] = "n=$(cat \"$1.n\" 2>/dev/null || echo 0)\n"
		      "echo $((n + 1)) > \"$1.n\"\n"
		      "[ \"$n\" -ge 1 ] && touch \"$1\"\n";
	char path[4096], count[64];
	pid_t pid;
	int i, status = 0;
	FILE *fp;

	snprintf(bin, sizeof(bin), "%s/bin", tmp);
	snprintf(date, sizeof(date), "%s/date", bin);
	snprintf(lease, sizeof(lease), "%s/run.lease", tmp);
	snprintf(marker, sizeof(marker), "%s/fired", tmp);
	snprintf(pidf, sizeof(pidf), "%s/f-1.deadman", tmp);
	CHECK(!mkdir(bin, 0755));
	write_file(date, "#!/bin/sh\necho $(( $(/bin/date +%s) + "
		   "946080000 ))\n");
	CHECK(!chmod(date, 0755));
	write_file(lease, "0\n");
	snprintf(path, sizeof(path), "%s:%s", bin, getenv("PATH"));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		setenv("PATH", path, 1);
		execlp(shell, shell, "-c", nemesis__deadman_loop(),
		       "netsplit-deadman", lease, "2", "f-1", tmp, undo,
		       marker, (char *)NULL);
		_exit(127);
	}
	for (i = 1; i <= 12; i++) {	/* 3.6 s of renewals */
		char n[32];

		usleep(300000);
		snprintf(n, sizeof(n), "%d\n", i);
		write_file(lease, n);
		if (access(marker, F_OK) == 0 ||
		    waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (access(marker, F_OK) == 0 || i <= 12) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		test_fail_(__FILE__, __LINE__, "the switch fired while its "
			   "lease was renewed (after %d renewals)", i);
	}
	for (i = 0; i < 100 && access(marker, F_OK); i++)	/* 10 s */
		usleep(100000);
	if (access(marker, F_OK)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		test_fail_(__FILE__, __LINE__, "the switch did not fire "
			   "within 10 s of the last renewal");
	}
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	snprintf(path, sizeof(path), "%s.n", marker);
	fp = fopen(path, "r");
	CHECK(fp && fgets(count, sizeof(count), fp));
	fclose(fp);
	CHECK_EQ_STR(count, "2\n");	/* failed once, retried once */
	CHECK(access(pidf, F_OK) != 0);	/* its pid file is gone */
}

TEST_T(deadman_loop_ignores_the_wall_clock_bash, 40)
{
	deadman_loop_run("bash");
}

TEST_T(deadman_loop_ignores_the_wall_clock_sh, 40)
{
	deadman_loop_run("sh");
}
