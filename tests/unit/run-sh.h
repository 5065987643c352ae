/*
 * run-sh.h - run a plug-in's remote sh script here, in a unit test, as
 * the transport would on a node (`sh -c SCRIPT sh ARGS...`), with stand-in
 * programs first in PATH, and helpers to set the stage (an executable
 * file, a file's text, a process that looks like a running member, the
 * pass-through runuser of postgres' scripts).
 *
 * Each function is static: include this header from a test file only.
 *
 * Ownership: nothing is allocated; the caller kills and reaps what
 * sh_member() started (sh_member_stop()).
 */
#ifndef NS_RUN_SH_H
#define NS_RUN_SH_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* Write text to path, mode 0755. */
static inline void sh_write_exec(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	CHECK(fp != NULL);
	fputs(text, fp);
	fclose(fp);
	CHECK(!chmod(path, 0755));
}

/* 1 if the file at path contains needle. */
static inline int sh_file_has(const char *path, const char *needle)
{
	char buf[8192];
	size_t n;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/*
 * Run `sh -c script sh args...` (args NULL-terminated, at most 60) with
 * bin first in PATH (NULL: PATH as is), env ("NAME=VALUE"..., NULL-
 * terminated; NULL: none) added, stdin from /dev/null, stdout and stderr
 * into errfile.  Its exit status; -1 when it did not exit.
 */
static inline int sh_run(const char *script, char *const *args,
			 const char *bin, const char *const *env,
			 const char *errfile)
{
	char path[4096];
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s%s%s", bin ? bin : "",
		 bin ? ":" : "", getenv("PATH"));
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		const char *argv[64];
		size_t n = 0, i;
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);

		if (fd < 0 || in < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    dup2(in, 0) < 0)
			_exit(126);
		setenv("PATH", path, 1);
		for (i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = script;
		argv[n++] = "sh";
		for (i = 0; args[i] && n < 63; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv("/bin/sh", (char *const *)argv);
		_exit(127);
	}
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * The stage of a postgres plug-in script run here: DIR/bin (bin, size
 * bytes) holding a runuser that runs its command as we are (`runuser -u
 * postgres -- CMD...`: the scripts' way to run as postgres), and an empty
 * DIR/pgbin (pgbin) for the test's stand-ins of postgres' programs.
 */
static inline void sh_pg_stage(const char *dir, char *bin, char *pgbin,
			       size_t size)
{
	char prog[4200];

	snprintf(bin, size, "%s/bin", dir);
	snprintf(pgbin, size, "%s/pgbin", dir);
	CHECK(!mkdir(bin, 0755) && !mkdir(pgbin, 0755));
	snprintf(prog, sizeof(prog), "%s/runuser", bin);
	sh_write_exec(prog, "#!/bin/sh\nshift 3\nexec \"$@\"\n");
}

/*
 * Start a process whose command line names dir, as a member running
 * there does (`sh -c LOOP netsplit-test-member DIR`); its pid.  It ends
 * by itself within 30 s should the test die before sh_member_stop().
 */
static inline pid_t sh_member(const char *dir)
{
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (!pid) {
		execl("/bin/sh", "sh", "-c", "i=0; while [ $i -lt 30 ]; do "
		      "sleep 1; i=$((i+1)); done", "netsplit-test-member",
		      dir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static inline void sh_member_stop(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

#endif
