/*
 * test-db-start.c - the etcd and postgres plug-ins' start scripts, run
 * here with stand-in programs (nothing is started but them): a start
 * refuses while the pid file names a live member (a heal retried, or a
 * heal of a member that runs again, must not start a second one beside
 * it), and goes ahead when the pid file is missing, stale, or names a
 * process that is not the member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run-sh.h"
#include "test.h"
#include "workloads/etcd-internal.h"
#include "workloads/postgres-internal.h"

/* The pid in path (0 when none). */
static long pid_in(const char *path)
{
	FILE *fp = fopen(path, "r");
	long pid = 0;

	if (fp) {
		if (fscanf(fp, "%ld", &pid) != 1)
			pid = 0;
		fclose(fp);
	}
	return pid;
}

/* Write pid into the pid file pf. */
static void write_pid(const char *pf, long pid)
{
	FILE *fp = fopen(pf, "w");

	CHECK(fp != NULL);
	fprintf(fp, "%ld\n", pid);
	fclose(fp);
}

/*
 * With a member of dir running (a stand-in: sh_member()) and its pid in
 * pf, the start script (args; stand-ins first in PATH from bin, NULL:
 * none; output into out) must exit 1 saying "WHAT already running (pid
 * N)" and leave pf naming it.  The member is stopped either way.
 */
static void start_refused_beside_member(const char *script, char **args,
					const char *bin, const char *dir,
					const char *pf, const char *out,
					const char *what)
{
	char text[256];
	pid_t member = sh_member(dir);
	int rc;

	write_pid(pf, member);
	rc = sh_run(script, args, bin, NULL, out);
	snprintf(text, sizeof(text), "%s already running (pid %ld)", what,
		 (long)member);
	if (rc != 1 || !sh_file_has(out, text) || pid_in(pf) != member) {
		sh_member_stop(member);
		test_fail_(__FILE__, __LINE__, "a start beside the running "
			   "%s (pid %ld) exited %d, not 1 saying '%s' (pid "
			   "file now names %ld)", what, (long)member, rc,
			   text, pid_in(pf));
	}
	sh_member_stop(member);
}

/*
 * etcd: sh -c SCRIPT sh DIR PIDFILE LOG ETCD ARGS..., with `true` for
 * etcd.  A start whose pid file names the running member exits 1 naming
 * it and leaves the pid file alone; one whose pid file names another
 * process (the test runner) or nothing starts `true` and records its pid.
 */
TEST(etcd_start_refuses_while_its_member_runs)
{
	const char *tmp = test_tmpdir();
	char dir[512], pf[600], log[600], out[600];
	char *args[] = { dir, pf, log, "true", NULL };
	long pid;

	snprintf(dir, sizeof(dir), "%s/etcd", tmp);
	snprintf(pf, sizeof(pf), "%s/etcd.pid", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(out, sizeof(out), "%s/out", tmp);
	CHECK(!mkdir(dir, 0755));
	start_refused_beside_member(etcd__start_script, args, NULL, dir, pf,
				    out, "member");

	/* a stale pid file: a live process, not the member */
	write_pid(pf, getpid());
	CHECK_EQ_INT(sh_run(etcd__start_script, args, NULL, NULL, out), 0);
	pid = pid_in(pf);
	CHECK(pid > 0 && pid != getpid());
	/* no pid file at all */
	CHECK(!unlink(pf));
	CHECK_EQ_INT(sh_run(etcd__start_script, args, NULL, NULL, out), 0);
	CHECK(pid_in(pf) > 0);
}

/*
 * postgres: sh -c SCRIPT sh BINDIR DIR with a stand-in BINDIR (postgres
 * exists, pg_ctl notes its call and writes a postmaster.pid; runuser
 * runs its command as we are).  While DIR/postgres.pid names the running
 * postmaster the start exits 1 naming it and pg_ctl is not run; with a
 * stale pid file pg_ctl starts it and DIR/postgres.pid is the new pid.
 */
TEST(postgres_start_refuses_while_its_member_runs)
{
	const char *tmp = test_tmpdir();
	char bin[512], pgbin[512], dir[512], pf[600], called[600];
	char out[600], prog[700], text[1024];
	char *args[] = { pgbin, dir, NULL };

	sh_pg_stage(tmp, bin, pgbin, sizeof(bin));
	snprintf(dir, sizeof(dir), "%s/postgres", tmp);
	snprintf(pf, sizeof(pf), "%s/postgres.pid", dir);
	snprintf(called, sizeof(called), "%s/pg_ctl.called", tmp);
	snprintf(out, sizeof(out), "%s/out", tmp);
	CHECK(!mkdir(dir, 0755));
	snprintf(prog, sizeof(prog), "%s/postgres", pgbin);
	sh_write_exec(prog, "#!/bin/sh\nexit 0\n");
	snprintf(prog, sizeof(prog), "%s/pg_ctl", pgbin);
	/* pg_ctl -D DIR/data -l LOG -w -t 30 start */
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$*\" >> '%s'\n"
		 "mkdir -p \"$2\" && echo 4242 > \"$2/postmaster.pid\"\n",
		 called);
	sh_write_exec(prog, text);

	start_refused_beside_member(pg__start_script, args, bin, dir, pf, out,
				    "postgres");
	CHECK(access(called, F_OK) != 0);	/* pg_ctl was not run */

	/* stale: the pid file names a process that is not the member */
	write_pid(pf, getpid());
	CHECK_EQ_INT(sh_run(pg__start_script, args, bin, NULL, out), 0);
	CHECK(sh_file_has(called, " start"));
	CHECK_EQ_INT(pid_in(pf), 4242);
}
