/*
 * test-exit-codes.c - exit codes a run's errors map to, and which seed
 * wins: a history that cannot be written (here /dev/full) is a harness
 * error (exit 4), not a usage error; an input file that cannot be read
 * stays exit 3.  --seed beats the config's nemesis.seed.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "harness/run.h"
#include "history.h"
#include "test.h"

TEST(exit_write_failure_is_harness_error)
{
	static const char ev[] = "{\"type\":\"invoke\",\"process\":0,"
				 "\"f\":\"read\",\"time\":1}\n";
	struct history h;
	struct hist_writer *w;
	struct sb err = SB_INIT, warn = SB_INIT;
	int i, rc = 0, rc2;

	hist_init(&h);
	CHECK(!hist_read_mem(&h, "t", ev, sizeof(ev) - 1, HIST_FMT_JSON,
			     &warn, &err));
	w = hist_writer_open("/dev/full", 0, &err);
	CHECK(w != NULL);
	for (i = 0; i < 64 && !rc; i++)
		rc = hist_writer_write(w, &h, 0);
	rc2 = hist_writer_close(w);
	if (!rc)
		rc = rc2;
	CHECK(rc < 0);
	CHECK_EQ_INT(ns_exit_code(rc), NS_EXIT_HARNESS);
	CHECK_EQ_INT(ns_exit_code(-NS_EWRITE), NS_EXIT_HARNESS);
	/* a file the harness reads for itself (an upload) is its own */
	CHECK_EQ_INT(ns_exit_code(-NS_EREAD), NS_EXIT_HARNESS);
	/* reading the user's input stays an input error */
	CHECK_EQ_INT(ns_exit_code(-NS_EIO), NS_EXIT_USAGE);
	hist_release(&h);
	sb_release(&err);
	sb_release(&warn);
}

static uint64_t seed_for(const char *cfgtext, int flag, uint64_t run_seed)
{
	struct config c;
	struct run_params p;
	struct nemesis_opts o;
	struct sb err = SB_INIT;
	uint64_t s;

	config_init(&c);
	CHECK(!config_load_str(&c, "t.json", cfgtext, &err));
	nemesis_opts_init(&o);
	CHECK(!nemesis_opts_from_config(&o, &c, &err));
	memset(&p, 0, sizeof(p));
	p.seed = run_seed;
	p.seed_flag = flag;
	s = run_nemesis_seed(&c, &p, o.seed);
	nemesis_opts_release(&o);
	config_release(&c);
	sb_release(&err);
	return s;
}

TEST(seed_flag_beats_config)
{
	/* two nodes: the default faults (partition) need them */
	const char *with = "{\"nodes\":[{\"name\":\"n1\",\"host\":\"h\"},"
			   "{\"name\":\"n2\",\"host\":\"i\"}],"
			   "\"nemesis\":{\"seed\":42}}";
	const char *without = "{\"nodes\":[{\"name\":\"n1\",\"host\":\"h\"},"
			      "{\"name\":\"n2\",\"host\":\"i\"}]}";

	CHECK_EQ_INT(seed_for(with, 1, 7), 7);		/* --seed 7 */
	CHECK_EQ_INT(seed_for(with, 0, 7), 42);		/* config only */
	CHECK_EQ_INT(seed_for(without, 0, 9), 9);	/* run seed */
	CHECK_EQ_INT(seed_for(without, 1, 9), 9);
}
