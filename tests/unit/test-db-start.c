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

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	fputs(text, fp);
	fclose(fp);
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
	char dir[512], pf[600], log[600], out[600], text[64];
	char *args[] = { dir, pf, log, "true", NULL };
	pid_t member;
	long pid;

	snprintf(dir, sizeof(dir), "%s/etcd", tmp);
	snprintf(pf, sizeof(pf), "%s/etcd.pid", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(out, sizeof(out), "%s/out", tmp);
	CHECK(!mkdir(dir, 0755));
	member = sh_member(dir);
	snprintf(text, sizeof(text), "%ld\n", (long)member);
	write_text(pf, text);
	if (sh_run(etcd__start_script, args, NULL, NULL, out) != 1) {
		sh_member_stop(member);
		test_fail_(__FILE__, __LINE__, "a start beside the running "
			   "member did not exit 1 (pid file now names %ld)",
			   pid_in(pf));
	}
	snprintf(text, sizeof(text), "member already running (pid %ld)",
		 (long)member);
	CHECK(sh_file_has(out, text));
	CHECK_EQ_INT(pid_in(pf), member);
	sh_member_stop(member);

	/* a stale pid file: a live process, not the member */
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	write_text(pf, text);
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
	pid_t member;

	snprintf(bin, sizeof(bin), "%s/bin", tmp);
	snprintf(pgbin, sizeof(pgbin), "%s/pgbin", tmp);
	snprintf(dir, sizeof(dir), "%s/postgres", tmp);
	snprintf(pf, sizeof(pf), "%s/postgres.pid", dir);
	snprintf(called, sizeof(called), "%s/pg_ctl.called", tmp);
	snprintf(out, sizeof(out), "%s/out", tmp);
	CHECK(!mkdir(bin, 0755) && !mkdir(pgbin, 0755) && !mkdir(dir, 0755));
	snprintf(prog, sizeof(prog), "%s/runuser", bin);
	sh_write_exec(prog, "#!/bin/sh\nshift 3\nexec \"$@\"\n");
	snprintf(prog, sizeof(prog), "%s/postgres", pgbin);
	sh_write_exec(prog, "#!/bin/sh\nexit 0\n");
	snprintf(prog, sizeof(prog), "%s/pg_ctl", pgbin);
	/* pg_ctl -D DIR/data -l LOG -w -t 30 start */
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$*\" >> '%s'\n"
		 "mkdir -p \"$2\" && echo 4242 > \"$2/postmaster.pid\"\n",
		 called);
	sh_write_exec(prog, text);

	member = sh_member(dir);
	snprintf(text, sizeof(text), "%ld\n", (long)member);
	write_text(pf, text);
	if (sh_run(pg__start_script, args, bin, NULL, out) != 1) {
		sh_member_stop(member);
		test_fail_(__FILE__, __LINE__, "a start beside the running "
			   "postmaster did not exit 1 (pg_ctl %s)",
			   access(called, F_OK) ? "not run" : "ran");
	}
	snprintf(text, sizeof(text), "postgres already running (pid %ld)",
		 (long)member);
	CHECK(sh_file_has(out, text));
	CHECK(access(called, F_OK) != 0);
	CHECK_EQ_INT(pid_in(pf), member);
	sh_member_stop(member);

	/* stale: the pid file names a process that is not the member */
	snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	write_text(pf, text);
	CHECK_EQ_INT(sh_run(pg__start_script, args, bin, NULL, out), 0);
	CHECK(sh_file_has(called, " start"));
	CHECK_EQ_INT(pid_in(pf), 4242);
}
