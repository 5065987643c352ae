/*
 * Unit tests for the dead-man switch's loop (nemesis/util.c), run here
 * as the arm runs it on a node, under bash and under sh, with a wall
 * clock far off.
 */
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nemesis/nemesis-internal.h"

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
