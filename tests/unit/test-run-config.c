/*
 * test-run-config.c - `netsplit run` refusing bad input before it touches
 * a node: out-of-range seeds, run names that leave the store, and errors
 * about values a flag set blamed on the flag, not on the config file.
 *
 * Each test calls cmd_run() itself, its stdout and stderr sent to files
 * in the test's directory, on a config whose only node nobody listens on
 * (port 1): a run that got past the config would fail to connect (exit
 * 4), so exit 3 shows the refusal came first.
 */
#include "test.h"

#include <fcntl.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "harness/cmd.h"
#include "sb.h"

/* What one cmd_run() said. */
struct said {
	int status;
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct sb sb = SB_INIT;
	char buf[4096];
	size_t n;

	if (fp) {
		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			sb_add(&sb, buf, n);
		fclose(fp);
	}
	sb_addc(&sb, '\0');
	return sb_detach(&sb, NULL);
}

/*
 * Write the config (extra: more top-level members, may be "") to
 * DIR/t2.json and run `netsplit run --config DIR/t2.json ARGS...`.
 */
static struct said run_with(const char *extra, const char *const *args)
{
	char cfg[600], outp[600], errp[600], *argv[32];
	int argc = 0, fd, saved_out, saved_err;
	struct said s;
	FILE *fp;

	snprintf(cfg, sizeof(cfg), "%s/t2.json", test_tmpdir());
	snprintf(outp, sizeof(outp), "%s/out", test_tmpdir());
	snprintf(errp, sizeof(errp), "%s/err", test_tmpdir());
	fp = fopen(cfg, "w");
	CHECK(fp != NULL);
	fprintf(fp, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\","
		"\"port\":1}],\"ssh\":{\"connect_timeout_ms\":500,"
		"\"agent\":true},\"store_dir\":\"%s/store\"%s%s}",
		test_tmpdir(), *extra ? "," : "", extra);
	fclose(fp);
	argv[argc++] = "run";
	argv[argc++] = "--config";
	argv[argc++] = cfg;
	argv[argc++] = "--no-progress";
	while (*args && argc < 31)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	close(fd);
	fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	close(fd);
	s.status = cmd_run(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	s.out = slurp(outp);
	s.err = slurp(errp);
	return s;
}

static void said_release(struct said *s)
{
	free(s->out);
	free(s->err);
}

#define CHECK_LACKS(hay, needle) CHECK(!strstr((hay), (needle)))

TEST_T(run_refuses_out_of_range_seeds, 20)
{
	const char *none[] = { NULL };
	const char *huge[] = { "--seed", "99999999999999999999999", NULL };
	const char *neg[] = { "--seed", "-5", NULL };
	struct said s;

	s = run_with("\"run\":{\"seed\":-5}", none);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "t2.json: 'run.seed': must be 0..");
	CHECK_LACKS(s.out, "18446744073709551611");
	said_release(&s);

	s = run_with("\"nemesis\":{\"seed\":-5}", none);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "'nemesis.seed': must be 0..");
	said_release(&s);

	s = run_with("", huge);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "--seed: '99999999999999999999999' is out of "
		       "range");
	said_release(&s);

	s = run_with("", neg);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "--seed");
	said_release(&s);
}

/* STORE/<name>/<timestamp>: a name is one plain directory name. */
TEST_T(run_refuses_names_that_leave_the_store, 20)
{
	static const char *const bad[] = {
		"\"name\":\"a/b\"", "\"name\":\"../x\"", "\"name\":\".x\"",
		"\"name\":\"\"",
	};
	const char *none[] = { NULL };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct said s = run_with(bad[i], none);

		CHECK_EQ_INT(s.status, 3);
		CHECK_CONTAINS(s.err, "t2.json: 'name': ");
		CHECK_CONTAINS(s.err, "no '/', not starting with '.'");
		said_release(&s);
	}
}

/* A value a flag set is blamed on the flag, not on the config file. */
TEST_T(run_blames_flags_not_the_config_file, 20)
{
	const char *conc[] = { "--concurrency", "1001", NULL };
	const char *mode[] = { "--db", "redis", "--workload", "set",
			       "--read-mode", "serializable", NULL };
	const char *bad_mode[] = { "--read-mode", "sometimes", NULL };
	const char *ring[] = { "--nemesis", "partition-ring", NULL };
	struct said s;

	s = run_with("", conc);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "--concurrency: must be 1..1000");
	CHECK_LACKS(s.err, "t2.json");
	said_release(&s);

	s = run_with("", mode);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "--read-mode: not a setting of this workload");
	CHECK_LACKS(s.err, "t2.json");
	said_release(&s);

	s = run_with("", bad_mode);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "--read-mode: expected \"linearizable\"");
	said_release(&s);

	s = run_with("", ring);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "(--nemesis)");
	said_release(&s);

	/* the same value in the file is the file's */
	s = run_with("\"run\":{\"concurrency\":1001}", (const char *[]){ NULL });
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "t2.json: 'run.concurrency': must be 1..1000");
	said_release(&s);
}

/* Nothing on stdout (no "seed N") before every config check passed. */
TEST_T(run_prints_the_seed_only_after_the_config_passed, 20)
{
	const char *seed[] = { "--seed", "5", NULL };
	struct said s;

	s = run_with("\"workload\":{\"ops_per_kee\":3}", seed);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "'workload.ops_per_kee'");
	CHECK_EQ_STR(s.out, "");
	said_release(&s);
}

/*
 * The default nemesis (partition) on a one-node config is refused before
 * any node is touched (exit 3, not 4 at the first fault), naming the key
 * and the flag; --nemesis kill or none passes the config (then exit 4:
 * nobody listens on the node's port).
 */
TEST_T(run_refuses_default_faults_that_do_not_fit, 30)
{
	const char *none[] = { NULL };
	const char *kill[] = { "--nemesis", "kill", NULL };
	const char *off[] = { "--nemesis", "none", NULL };
	struct said s;

	s = run_with("", none);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "'partition' needs at least 2 nodes, not 1");
	CHECK_CONTAINS(s.err, "t2.json: 'nemesis.faults'");
	CHECK_CONTAINS(s.err, "--nemesis");
	CHECK_EQ_STR(s.out, "");
	{
		char store[600];

		snprintf(store, sizeof(store), "%s/store", test_tmpdir());
		CHECK(access(store, F_OK) != 0);
	}
	said_release(&s);

	s = run_with("", kill);
	CHECK_EQ_INT(s.status, 4);
	said_release(&s);
	s = run_with("", off);
	CHECK_EQ_INT(s.status, 4);
	said_release(&s);
}

/*
 * Without a workload named, the database's own workload runs (`--db redis`
 * alone is the set workload, as the README's table pairs them); a
 * workload named for another database is refused with the pair to use.
 */
TEST_T(run_default_workload_follows_the_db, 20)
{
	const char *redis[] = { "--db", "redis", "--nemesis", "none", NULL };
	const char *mismatch[] = { "--db", "etcd", "--workload", "set",
				   "--nemesis", "none", NULL };
	struct said s;

	s = run_with("", redis);
	CHECK_EQ_INT(s.status, 4);	/* past the config: no node answers */
	CHECK_LACKS(s.err, "runs against db");
	said_release(&s);

	s = run_with("\"db\":{\"type\":\"redis\"}", redis + 2);
	CHECK_EQ_INT(s.status, 4);
	CHECK_LACKS(s.err, "runs against db");
	said_release(&s);

	s = run_with("", mismatch);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "workload 'set' runs against db 'redis', not "
		       "'etcd' (--workload)");
	said_release(&s);
}

/*
 * No workload runs against the fake db: `--db fake` alone is a config
 * error naming where the db came from and what each workload runs
 * against, never a 'workload.type' the config does not have.
 */
TEST_T(run_db_without_a_workload_names_what_was_set, 20)
{
	const char *fake[] = { "--db", "fake", "--nemesis", "none", NULL };
	struct said s;

	s = run_with("", fake);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "db 'fake' has no workload of its own (--db); "
		       "name one with --workload: register against etcd");
	CHECK_CONTAINS(s.err, "http against any db");
	CHECK_LACKS(s.err, "workload.type");
	said_release(&s);

	s = run_with("\"db\":{\"type\":\"fake\"}", fake + 2);
	CHECK_EQ_INT(s.status, 3);
	CHECK_CONTAINS(s.err, "db 'fake' has no workload of its own (");
	CHECK_CONTAINS(s.err, "t2.json: 'db.type')");
	CHECK_LACKS(s.err, "workload.type");
	said_release(&s);
}
