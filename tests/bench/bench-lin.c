/*
 * bench-lin.c - figures for the linearizability checker (`make bench`).
 *
 * Synthetic histories, linearizable by construction (tests/unit/lin-gen.h:
 * random interleavings of `procs` processes over a simulated register,
 * values 0..4 as in Jepsen's register tests, so many writes share a
 * value): register (read/write) and CAS register, a single key with 1k
 * and 10k operations at 5, 10 and 50 processes, and 1M operations over
 * 1,000 keys, each without and with indeterminate (info) operations
 * (10% of operations); and Jepsen-style etcd histories: 85 operations, 20
 * processes, a third of them timing out (info), checked one after the
 * other.  Each case runs in its own child process so the peak RSS printed
 * is that case's alone.  Time is the checker's (history building is not
 * counted): wall time, and CPU time of all threads (the machine may be
 * shared); every case has a 120 s budget and prints "unknown" if it hits
 * it (or the default 1 GiB memory budget).
 *
 *   build/bench-lin            every case
 *   build/bench-lin FILTER     cases whose name contains FILTER
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkers/checker.h"
#include "tests/unit/lin-gen.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

struct bcase {
	const char *name;
	int cas;
	size_t ops;		/* per key */
	int procs;
	size_t keys;
	double info;
	size_t repeat;		/* histories checked one after the other */
};

static int run_case(const struct bcase *c)
{
	const struct checker_type *t = checker_find("linearizable");
	struct checker_opts o;
	struct sb err = SB_INIT;
	double total = 0, worst = 0, cpu = 0;
	size_t r, k, nops = 0;
	const char *verdict = "valid";
	char key[32];
	uint64_t configs = 0;

	memset(&o, 0, sizeof(o));
	o.timeout_s = 120;
	for (r = 0; r < c->repeat; r++) {
		struct history h;
		struct verdict v;
		double t0, dt, c0;

		hist_init(&h);
		for (k = 0; k < c->keys; k++) {
			struct lg_opts g = {
				.nops = c->ops, .nproc = c->procs,
				.cas = c->cas, .info = c->info,
				.pid_base = (int64_t)k * 1000,
				.key = c->keys > 1 ? key : NULL,
				.seed = r * 7919 + k + 1,
			};

			snprintf(key, sizeof(key), "k%zu", k);
			nops += lg_gen(&h, &g, NULL);
		}
		verdict_init(&v, "linearizable");
		t0 = clock_s(CLOCK_MONOTONIC);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		if (checker_check(t, &h, &o, &v, &err)) {
			printf("%-34s error: %s\n", c->name, err.buf);
			return 1;
		}
		dt = clock_s(CLOCK_MONOTONIC) - t0;
		cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		total += dt;
		if (dt > worst)
			worst = dt;
		configs += (uint64_t)json_integer_value(
			json_object_get(v.stats, "configurations"));
		if (v.kind != VERDICT_VALID)
			verdict = verdict_name(v.kind);
		verdict_release(&v);
		hist_release(&h);
	}
	if (c->repeat > 1)
		printf("%-36s %8zu ops %9.0f ops/s %8.3f ms/history "
		       "(worst %.3f, cpu %.3f) %5ld MB RSS  %s  %llu configs\n",
		       c->name, nops, (double)nops / total,
		       total * 1e3 / c->repeat, worst * 1e3,
		       cpu * 1e3 / c->repeat, peak_rss_kb() / 1024, verdict,
		       (unsigned long long)configs);
	else
		printf("%-36s %8zu ops %9.0f ops/s %8.3f s (cpu %.3f s) "
		       "%5ld MB RSS  %s  %llu configs\n", c->name, nops,
		       (double)nops / total, total, cpu, peak_rss_kb() / 1024,
		       verdict, (unsigned long long)configs);
	sb_release(&err);
	return strcmp(verdict, "valid") != 0;
}

int main(int argc, char **argv)
{
	static char names[64][48];
	struct bcase cases[64];
	size_t nc = 0, i;
	int model, size, pi, info, status = 0;
	static const int procs[] = { 5, 10, 50 };
	static const size_t sizes[] = { 1000, 10000 };

	for (model = 0; model < 2; model++)
		for (info = 0; info < 2; info++) {
			for (size = 0; size < 2; size++)
				for (pi = 0; pi < 3; pi++) {
					snprintf(names[nc], sizeof(names[nc]),
						 "%s %zuk ops %d procs%s",
						 model ? "cas" : "register",
						 sizes[size] / 1000, procs[pi],
						 info ? " +info" : "");
					cases[nc] = (struct bcase){
						names[nc], model, sizes[size],
						procs[pi], 1, info ? 0.1 : 0,
						1 };
					nc++;
				}
			snprintf(names[nc], sizeof(names[nc]),
				 "%s 1M ops / 1000 keys 10 procs%s",
				 model ? "cas" : "register",
				 info ? " +info" : "");
			cases[nc] = (struct bcase){ names[nc], model, 1000, 10,
						    1000, info ? 0.1 : 0, 1 };
			nc++;
		}
	cases[nc++] = (struct bcase){ "etcd-style 85 ops 20 procs x1000",
				      1, 85, 20, 1, 0.33, 1000 };

	printf("linearizability checker, %ld CPUs (times: checker only)\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	for (i = 0; i < nc; i++) {
		pid_t pid;
		int st;

		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		fflush(stdout);
		pid = fork();
		if (pid == 0)
		{
			int rc = run_case(&cases[i]);

			fflush(stdout);
			_exit(rc);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			printf("%-34s FAILED\n", cases[i].name);
			status = 1;
		}
	}
	return status;
}
