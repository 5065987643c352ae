/*
 * Unit tests for the nemesis options (nemesis/options.c): the faults
 * list, the "nemesis" config section's strictness, and shapes that do
 * not fit the cluster refused as config errors.
 */
#include "test.h"

#include "config.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"

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
