/*
 * test-postgres.c - the postgres plug-in, the session workload and the
 * replica-lag fault record without a cluster: config errors naming the
 * key, the primary/replica layout, which nodes can take replica-lag and
 * the scripts they get, the fault record's round trip through the
 * journal form (what `netsplit heal` and the dead-man switch undo from),
 * a client whose primary refuses connections (set-up error naming the
 * node), and the replica-lag undo script run here against a stand-in
 * psql (what a starting replica answers is nothing to undo).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"
#include "nemesis-fixtures.h"
#include "run-sh.h"
#include "test.h"
#include "workloads/postgres-internal.h"
#include "workloads/workload.h"

#define NODES3                                                            \
	"\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\",\"port\":1},"  \
	"{\"name\":\"n2\",\"host\":\"127.0.0.2\",\"port\":1},"            \
	"{\"name\":\"n3\",\"host\":\"127.0.0.3\",\"port\":1}]"

/* db_new of a postgres db from config text; rc, the db (or NULL). */
static int pg_new(const char *text, struct config *c, struct db **d,
		  struct sb *err)
{
	config_init(c);
	if (config_load_str(c, "t.json", text, err))
		return -1000;
	return db_new(d, &db_postgres, c, err);
}

TEST(postgres_config_errors_name_the_key)
{
	static const struct {
		const char *text, *needle;
	} bad[] = {
		{ "{" NODES3 ",\"db\":{\"type\":\"postgres\",\"bogus\":1}}",
		  "bogus" },
		{ "{" NODES3 ",\"db\":{\"replicas\":3}}", "db.replicas" },
		{ "{" NODES3 ",\"db\":{\"replicas\":0}}", "db.replicas" },
		{ "{" NODES3 ",\"db\":{\"synchronous_commit\":\"sometimes\"}}",
		  "db.synchronous_commit" },
		{ "{" NODES3 ",\"db\":{\"port\":70000}}", "db.port" },
		{ "{" NODES3 ",\"db\":{\"settings\":{\"a b\":1}}}",
		  "db.settings.a b" },
		{ "{" NODES3 ",\"db\":{\"settings\":{\"fsync\":[1]}}}",
		  "db.settings.fsync" },
		{ "{" NODES3 ",\"db\":{\"hba_address\":\"all' trust\"}}",
		  "db.hba_address" },
		{ "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}]}",
		  "at least 2 nodes" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct db *d = NULL;
		struct sb err = SB_INIT;

		CHECK_EQ_INT(pg_new(bad[i].text, &c, &d, &err), -NS_ECONFIG);
		CHECK(d == NULL);
		CHECK_CONTAINS(err.buf, bad[i].needle);
		config_release(&c);
		sb_release(&err);
	}
}

TEST(postgres_layout_primary_then_replicas)
{
	struct config c;
	struct db *d = NULL;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(pg_new("{" NODES3 ",\"db\":{\"type\":\"postgres\"}}",
			    &c, &d, &err), 0);
	CHECK_EQ_INT(pg__role(d, 0), PG__PRIMARY);
	CHECK_EQ_INT(pg__role(d, 1), PG__REPLICA);
	CHECK_EQ_INT(pg__role(d, 2), PG__NONE);
	CHECK_EQ_INT(pg__nreplicas(d), 1);
	CHECK_EQ_INT(pg__replica(d, 0), 1);
	CHECK_CONTAINS(db_endpoint(d, 0), "host=127.0.0.1 port=5432");
	CHECK(db_endpoint(d, 2) == NULL);
	db_free(d);
	config_release(&c);

	CHECK_EQ_INT(pg_new("{" NODES3 ",\"db\":{\"replicas\":2,"
			    "\"port\":6543}}", &c, &d, &err), 0);
	CHECK_EQ_INT(pg__role(d, 2), PG__REPLICA);
	CHECK_EQ_INT(pg__nreplicas(d), 2);
	CHECK_CONTAINS(db_endpoint(d, 2), "host=127.0.0.3 port=6543");
	db_free(d);
	config_release(&c);
	sb_release(&err);
}

/* Pretend db_resolve() ran: each node's working directory. */
static void fake_dirs(struct db *d)
{
	size_t i;

	d->dirs = xcalloc(d->cfg->nnodes, sizeof(char *));
	for (i = 0; i < d->cfg->nnodes; i++) {
		struct sb s = SB_INIT;

		sb_addf(&s, "/srv/%s/postgres", d->cfg->nodes[i].name);
		d->dirs[i] = sb_detach(&s, NULL);
	}
}

TEST(replica_lag_only_on_replicas)
{
	struct config c;
	struct db *d = NULL;
	struct db_fault_script fs;
	struct sb err = SB_INIT, why = SB_INIT;

	CHECK_EQ_INT(pg_new("{" NODES3 ",\"db\":{\"type\":\"postgres\"}}",
			    &c, &d, &err), 0);
	fake_dirs(d);
	CHECK_EQ_INT(db_fault_script(d, "replica-lag", 0, &fs, &why), 1);
	CHECK_CONTAINS(why.buf, "primary");
	db_fault_script_release(&fs);
	sb_reset(&why);
	CHECK_EQ_INT(db_fault_script(d, "replica-lag", 2, &fs, &why), 1);
	CHECK_CONTAINS(why.buf, "no PostgreSQL instance");
	db_fault_script_release(&fs);
	sb_reset(&why);
	CHECK_EQ_INT(db_fault_script(d, "meteor", 1, &fs, &why), 1);
	CHECK_CONTAINS(why.buf, "no 'meteor' fault");
	db_fault_script_release(&fs);
	sb_reset(&why);

	CHECK_EQ_INT(db_fault_script(d, "replica-lag", 1, &fs, &why), 0);
	CHECK_CONTAINS(fs.apply, "pg_wal_replay_pause()");
	CHECK_CONTAINS(fs.apply, "pg_get_wal_replay_pause_state()");
	CHECK_CONTAINS(fs.undo, "pg_wal_replay_resume()");
	/* No empty argument: the dead-man switch would drop it. */
	CHECK_EQ_STR(fs.args[0], "auto");
	CHECK_EQ_STR(fs.args[1], "/srv/n2/postgres");
	CHECK_EQ_STR(fs.args[2], "5432");
	CHECK(fs.args[3] == NULL);
	db_fault_script_release(&fs);
	db_free(d);
	config_release(&c);
	sb_release(&err);
	sb_release(&why);
}

TEST(db_without_the_hook_offers_no_fault)
{
	struct config c;
	struct db *d = NULL;
	struct db_fault_script fs;
	struct sb err = SB_INIT, why = SB_INIT;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json", "{" NODES3 "}", &err), 0);
	CHECK_EQ_INT(db_new(&d, db_find("etcd"), &c, &err), 0);
	CHECK_EQ_INT(db_fault_script(d, "replica-lag", 1, &fs, &why), 1);
	CHECK_CONTAINS(why.buf, "database 'etcd' has no 'replica-lag'");
	CHECK(fs.apply == NULL && fs.args[0] == NULL);
	db_fault_script_release(&fs);
	db_free(d);
	config_release(&c);
	sb_release(&err);
	sb_release(&why);
}

TEST(replica_lag_record_round_trips_with_its_scripts)
{
	struct fault *f = nemesis__fault_new(&nemesis_replica_lag, "ab-1",
					     "one"), *g = NULL;
	struct fault_target *tg;
	struct sb err = SB_INIT, script = SB_INIT;
	struct nemesis_argv args = { 0 };
	json_t *j;

	f->deadman_s = 30;
	tg = nemesis__add_target(f, 1, "n2", "10.0.0.2");
	tg->db_apply = xstrdup("echo apply \"$1\"");
	tg->db_undo = xstrdup("echo undo \"$1\" \"$2\" \"$3\"");
	nemesis_argv_push(&tg->db_args, "auto");
	nemesis_argv_push(&tg->db_args, "/srv/n2/postgres");
	nemesis_argv_push(&tg->db_args, "5432");
	j = fault_to_json(f);
	CHECK_EQ_INT(fault_from_json(&g, j, &err), 0);
	CHECK_EQ_STR(fault_kind(g), "replica-lag");
	CHECK_EQ_STR(g->targets[0].db_undo, tg->db_undo);
	CHECK_EQ_INT(g->targets[0].db_args.n, 3);
	CHECK_EQ_STR(g->targets[0].db_args.v[1], "/srv/n2/postgres");
	/* What heal and the dead-man switch run: the journaled script. */
	g->type->undo(g, 0, &script, &args);
	CHECK_EQ_STR(script.buf, "echo undo \"$1\" \"$2\" \"$3\"");
	CHECK_EQ_INT(args.n, 3);
	CHECK_EQ_STR(args.v[2], "5432");
	check_fault_json(j, g);
	json_decref(j);
	nemesis_argv_release(&args);
	sb_release(&script);
	fault_free(f);
	fault_free(g);
	sb_release(&err);
}

TEST(session_workload_config_errors)
{
	static const struct {
		const char *wl, *needle;
	} bad[] = {
		{ "{\"type\":\"session\",\"cas\":1}", "cas" },
		{ "{\"connect_timeout_s\":1}", "workload.connect_timeout_s" },
		{ "{\"mix\":{\"read\":0,\"write\":0}}", "every weight is 0" },
		{ "{\"mix\":{\"cas\":1}}", "cas" },
		{ "{\"statement_timeout_ms\":0}",
		  "workload.statement_timeout_ms" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct workload *w = NULL;
		struct sb err = SB_INIT, text = SB_INIT;

		sb_addf(&text, "{" NODES3 ",\"workload\":%s}", bad[i].wl);
		config_init(&c);
		CHECK_EQ_INT(config_load_str(&c, "t.json", text.buf, &err),
			     0);
		CHECK_EQ_INT(workload_new(&w, workload_find("session"), &c,
					  NULL, 4, &err), -NS_ECONFIG);
		CHECK_CONTAINS(err.buf, bad[i].needle);
		config_release(&c);
		sb_release(&err);
		sb_release(&text);
	}
}

/* Port 1 on loopback refuses: the client cannot open (nothing sent). */
TEST_T(session_client_without_a_primary_names_it, 15)
{
	struct config c;
	struct db *d = NULL;
	struct workload *w = NULL;
	struct workload_client *cl = (struct workload_client *)1;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(pg_new("{" NODES3 ",\"db\":{\"port\":1},"
			    "\"workload\":{\"type\":\"session\"}}", &c, &d,
			    &err), 0);
	CHECK_EQ_INT(workload_new(&w, workload_find("session"), &c, d, 2,
				  &err), 0);
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err),
		     -NS_ESETUP);
	CHECK(cl == NULL);
	CHECK_CONTAINS(err.buf, "'n1'");
	workload_free(w);
	db_free(d);
	config_release(&c);
	sb_release(&err);
}

/* The notice PostgreSQL sends when statement_timeout cuts the wait for
   synchronous replication (the commit stays, locally only). */
TEST(session_write_notes_a_cancelled_sync_wait)
{
	CHECK(pg__sync_cancel_notice(
		"WARNING:  canceling wait for synchronous replication due "
		"to user request\nDETAIL:  The transaction has already "
		"committed locally, but might not have been replicated to "
		"the standby.\n"));
	CHECK(pg__sync_cancel_notice(
		"WARNING:  canceling wait for synchronous replication and "
		"terminating connection due to administrator command\n"));
	CHECK(!pg__sync_cancel_notice("NOTICE:  relation exists, "
				      "skipping\n"));
	CHECK(!pg__sync_cancel_notice(NULL));
}

/* `netsplit heal` opens a db and asks for a member's pid without the
   plug-in's set-up: db_resolve() alone must make the pid file known. */
TEST(db_resolve_makes_the_pid_file_known)
{
	struct config c;
	struct db *d = NULL;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(pg_new("{" NODES3 ",\"db\":{\"type\":\"postgres\"}}",
			    &c, &d, &err), 0);
	fake_dirs(d);
	CHECK_EQ_INT(db_resolve(d, &err), 0);
	CHECK(db_pidfile(d, 1) != NULL);
	CHECK_EQ_STR(db_pidfile(d, 1), "/srv/n2/postgres/postgres.pid");
	db_free(d);
	config_release(&c);
	sb_release(&err);
}

/* ===== The replica-lag undo script, run here with a stand-in psql ===== */

#define PSQL_FAILED                                                       \
	"psql: error: connection to server on socket "                    \
	"\"/srv/n2/postgres/run/.s.PGSQL.5432\" failed: "

/*
 * The undo the dead-man switch and `netsplit heal` run on a replica, with
 * the plug-in's own script and arguments: the replica's socket exists, and
 * psql (a stand-in in db.bindir; runuser a pass-through) answers as a
 * replica does while it starts (the database system is not yet accepting
 * connections: it has not reached a consistent state, so no replay pause
 * can be in force).  That is nothing to undo: exit 0, no resume sent.  A
 * replica in recovery gets pg_wal_replay_resume(); other errors fail the
 * undo with psql's message.
 */
TEST(replica_lag_undo_on_a_starting_replica_has_nothing_to_undo)
{
	static const struct {
		const char *err;	/* psql's stderr; NULL: it answers */
		int exit;		/* the undo's exit status */
		int resumes;		/* pg_wal_replay_resume() sent */
	} cases[] = {
		{ PSQL_FAILED "FATAL:  the database system is not yet accepting "
		  "connections\nDETAIL:  Consistent recovery state has not "
		  "been yet reached.", 0, 0 },
		{ "ERROR:  recovery is in progress\nHINT:  WAL control "
		  "functions cannot be executed during recovery.", 0, 0 },
		{ PSQL_FAILED "FATAL:  the database system is starting up", 0,
		  0 },
		{ NULL, 0, 1 },
		{ PSQL_FAILED "FATAL:  role \"postgres\" does not exist", 1, 0 },
	};
	const char *tmp = test_tmpdir();
	char bin[512], pgbin[512], dir[512], sock[600], calls[600];
	char errfile[600], prog[700], text[1024], env[1024];
	const char *envv[] = { env, NULL };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct db_fault_script fs;
	struct config c;
	struct db *d = NULL;
	struct sb err = SB_INIT, why = SB_INIT;
	size_t i;
	int fd;

	sh_pg_stage(tmp, bin, pgbin, sizeof(bin));
	snprintf(dir, sizeof(dir), "%s/n2", tmp);
	snprintf(calls, sizeof(calls), "%s/calls", tmp);
	snprintf(errfile, sizeof(errfile), "%s/stderr", tmp);
	snprintf(sock, sizeof(sock), "%s/run", dir);
	CHECK(!mkdir(dir, 0755) && !mkdir(sock, 0755));
	snprintf(sock, sizeof(sock), "%s/run/.s.PGSQL.5432", dir);
	CHECK(strlen(sock) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	snprintf(prog, sizeof(prog), "%s/psql", pgbin);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "for a; do sql=$a; done\n"
		 "echo \"$sql\" >> '%s'\n"
		 "[ -n \"$PSQL_ERR\" ] && { echo \"$PSQL_ERR\" >&2; exit 2; }\n"
		 "case $sql in *pg_is_in_recovery*) echo t;; esac\n", calls);
	sh_write_exec(prog, text);

	snprintf(text, sizeof(text), "{" NODES3 ",\"db\":{\"type\":"
		 "\"postgres\",\"bindir\":\"%s\"}}", pgbin);
	CHECK_EQ_INT(pg_new(text, &c, &d, &err), 0);
	fake_dirs(d);
	free(d->dirs[1]);
	d->dirs[1] = xstrdup(dir);
	CHECK_EQ_INT(db_fault_script(d, "replica-lag", 1, &fs, &why), 0);
	CHECK_EQ_STR(fs.args[0], pgbin);
	CHECK_EQ_STR(fs.args[1], dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		unlink(calls);
		snprintf(env, sizeof(env), "PSQL_ERR=%s",
			 cases[i].err ? cases[i].err : "");
		rc = sh_run(fs.undo, fs.args, bin, envv, errfile);
		if (rc != cases[i].exit)
			test_fail_(__FILE__, __LINE__, "case %zu: undo exited "
				   "%d, want %d (psql said: %s)", i, rc,
				   cases[i].exit, cases[i].err ? cases[i].err :
				   "t");
		/* it asked, whatever the answer */
		CHECK(sh_file_has(calls, "pg_is_in_recovery()"));
		CHECK_EQ_INT(sh_file_has(calls, "pg_wal_replay_resume()"),
			     cases[i].resumes);
		if (cases[i].exit)
			CHECK(sh_file_has(errfile, "does not exist"));
	}
	db_fault_script_release(&fs);
	db_free(d);
	config_release(&c);
	sb_release(&err);
	sb_release(&why);
}
