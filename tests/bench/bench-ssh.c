/*
 * bench-ssh.c - round trip of a trivial command over the SSH transport,
 * on one node and on all nodes at once, over persistent sessions.
 *
 *   build/bench-ssh [CONFIG] [ROUNDS]
 *
 * Without CONFIG it builds its own 5-node local cluster with
 * scripts/cluster (in a fresh /tmp directory) and tears it down at the
 * end.  Prints the time to connect, then median, p99 and max of ROUNDS
 * (default 300) sequential `true` commands on n1, and of ROUNDS
 * transport_exec_many() calls on every node.  Target: median <= 50 ms
 * for all 5 nodes of the local cluster.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "sb.h"
#include "transport.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("  %-24s n=%d  median %6.2f ms  p99 %6.2f ms  max %6.2f ms\n",
	       what, n, v[n / 2], v[(n * 99) / 100 < n ? (n * 99) / 100
				       : n - 1], v[n - 1]);
}

static int bench(const char *config, int rounds)
{
	static const char *const argv[] = { "true", NULL };
	struct config c;
	struct transport *t = NULL;
	struct transport_result r, *res;
	struct sb err = SB_INIT;
	double t0, *v = xcalloc((size_t)rounds, sizeof(*v));
	size_t *idx, i, n;
	int *rcs, k, rc = 1;

	config_init(&c);
	if (config_load(&c, config, &err)) {
		fprintf(stderr, "bench-ssh: %s\n", err.buf);
		goto out;
	}
	t0 = now_ms();
	if (transport_open(&t, &c, &err)) {
		fprintf(stderr, "bench-ssh: %s\n", err.buf);
		goto out;
	}
	n = transport_nnodes(t);
	printf("ssh transport: %zu node(s), persistent sessions, command "
	       "'true'\n  connect to all nodes:    %.1f ms\n", n,
	       now_ms() - t0);
	{
		/* Figures depend on what else the machine runs. */
		FILE *f = fopen("/proc/loadavg", "r");
		char la[64] = "?";

		if (f && fgets(la, sizeof(la), f))
			la[strcspn(la, "\n")] = '\0';
		if (f)
			fclose(f);
		printf("  load average (1 5 15 min): %.*s\n", 14, la);
	}
	idx = xcalloc(n, sizeof(*idx));
	rcs = xcalloc(n, sizeof(*rcs));
	res = xcalloc(n, sizeof(*res));
	for (i = 0; i < n; i++) {
		idx[i] = i;
		transport_result_init(&res[i]);
	}
	transport_result_init(&r);
	for (k = 0; k < 20; k++)	/* warm up */
		transport_exec(t, 0, argv, 10000, &r, &err);
	for (k = 0; k < rounds; k++) {
		t0 = now_ms();
		if (transport_exec(t, 0, argv, 10000, &r, &err) ||
		    !transport_result_ok(&r)) {
			fprintf(stderr, "bench-ssh: n1 failed: %s\n", err.buf);
			goto out2;
		}
		v[k] = now_ms() - t0;
	}
	report("one node:", v, rounds);
	transport_exec_many(t, idx, n, argv, 10000, res, rcs, &err);
	for (k = 0; k < rounds; k++) {
		t0 = now_ms();
		if (transport_exec_many(t, idx, n, argv, 10000, res, rcs,
					&err)) {
			fprintf(stderr, "bench-ssh: %s\n", err.buf);
			goto out2;
		}
		v[k] = now_ms() - t0;
	}
	{
		char what[64];

		snprintf(what, sizeof(what), "all %zu nodes at once:", n);
		report(what, v, rounds);
	}
	printf("  target: median <= 50 ms on all 5 nodes: %s\n",
	       n == 5 ? (v[rounds / 2] <= 50 ? "met" : "MISSED")
	       : "(not 5 nodes)");
	rc = 0;
out2:
	transport_result_release(&r);
	for (i = 0; i < n; i++)
		transport_result_release(&res[i]);
	free(idx);
	free(rcs);
	free(res);
out:
	transport_close(t);
	config_release(&c);
	sb_release(&err);
	free(v);
	return rc;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ns-bench-ssh.XXXXXX";
	struct sb cmd = SB_INIT, cfg = SB_INIT;
	sigset_t block, old;
	int rounds = argc > 2 ? atoi(argv[2]) : 300, rc;

	if (rounds < 1)
		rounds = 300;
	if (argc > 1)
		return bench(argv[1], rounds);
	/* Our own cluster: no Ctrl-C between up and down. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!mkdtemp(dir)) {
		perror("bench-ssh: mkdtemp");
		return 4;
	}
	sb_adds(&cmd, "scripts/cluster up --nodes 5 --dir ");
	sb_add_shquoted(&cmd, dir);
	sb_adds(&cmd, " >/dev/null");
	rc = system(cmd.buf);
	if (rc == 0) {
		sb_addf(&cfg, "%s/netsplit.json", dir);
		rc = bench(cfg.buf, rounds);
	} else {
		fprintf(stderr, "bench-ssh: scripts/cluster up failed\n");
		rc = 4;
	}
	sb_reset(&cmd);
	sb_adds(&cmd, "scripts/cluster down --dir ");
	sb_add_shquoted(&cmd, dir);
	sb_adds(&cmd, " >/dev/null; rm -rf ");
	sb_add_shquoted(&cmd, dir);
	if (system(cmd.buf) != 0)
		fprintf(stderr, "bench-ssh: scripts/cluster down failed\n");
	sigprocmask(SIG_SETMASK, &old, NULL);
	sb_release(&cmd);
	sb_release(&cfg);
	return rc;
}
