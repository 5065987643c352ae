/*
 * bench-report.c - report speed and size for a large run: writes a run
 * directory (run.json, a history.jsonl of OPS ops with fault windows,
 * results.json citing ops across it) in a scratch directory, then times
 * loading it and writing every report (what report_write_all() does) and
 * prints wall and CPU time (loading apart; gnuplot's as a child) and each
 * report's size.  Fails (exit 1) above 30 s of CPU, or when report.html
 * exceeds 20 MB: a report must stay bounded whatever the history's
 * length.  CPU rather than wall time is the limit because the machine
 * running `make bench` may be shared (the load average is printed); on an
 * idle machine the two are equal.
 *
 *   build/bench-report [OPS]    (default 1,000,000 ops = 2,000,000
 *                                events; also NS_BENCH_REPORT_OPS)
 *
 * The history: 20 processes over 100 keys at ~1,000 ops/s, reads and
 * writes, 1 op in 50 failing and 1 in 200 ending `info` (the process then
 * continues as a new id); a partition every 20 s for 8 s.  results.json:
 * 15 anomalies, each citing two ops, spread over the whole history, and
 * one checker unknown with a stale-read histogram.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "reports/report.h"

#define PROCS 20
#define KEYS 100
#define NANOM 30

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double cpu_children(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct proc {
	int64_t id;
	int64_t t;		/* time of its next event */
	int pending;		/* an op is in flight */
	int f, key, val;
	int64_t done;		/* completion time of the op in flight */
};

static long fsize(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) ? -1 : (long)st.st_size;
}

int main(int argc, char **argv)
{
	const char *env = getenv("NS_BENCH_REPORT_OPS");
	size_t ops = argc > 1 ? strtoul(argv[1], NULL, 10)
		     : env ? strtoul(env, NULL, 10) : 1000000;
	char dir[] = "/tmp/ns-bench-report.XXXXXX", path[4096];
	struct proc p[PROCS];
	size_t idx = 0, nop = 0, i, *cite, ncite = 0;
	int64_t next_fault = 20000000000LL, fault_end = -1, tmax = 0;
	struct sb err = SB_INIT;
	double t0, c0, wall, cputime, tload, cload, cchild, load[1];
	struct report_run run;
	FILE *f;
	long html;
	int ret, status = 0;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	cite = calloc(NANOM * 2, sizeof(*cite));
	snprintf(path, sizeof(path), "%s/history.jsonl", dir);
	f = fopen(path, "w");
	if (!f || !cite) {
		perror(path);
		return 1;
	}
	for (i = 0; i < PROCS; i++) {
		p[i].id = (int64_t)i;
		p[i].t = (int64_t)(next() % 1000000);
		p[i].pending = 0;
	}
	/* each process in turn at its own pace; events in time order */
	for (;;) {
		size_t m = 0;

		for (i = 1; i < PROCS; i++)
			if (p[i].t < p[m].t)
				m = i;
		if (p[m].t >= INT64_MAX / 2 && fault_end < 0)
			break;		/* every process done, fault healed */
		if (fault_end >= 0 && fault_end <= p[m].t) {
			fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ","
				"\"process\":\"nemesis\",\"type\":\"info\","
				"\"f\":\"stop-partition\",\"value\":null}\n",
				idx++, fault_end);
			fault_end = -1;
			continue;
		}
		if (next_fault <= p[m].t && nop < ops) {
			fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ","
				"\"process\":\"nemesis\",\"type\":\"info\","
				"\"f\":\"start-partition\",\"value\":"
				"{\"targets\":[[\"n1\",\"n2\"],[\"n3\"]]}}\n",
				idx++, next_fault);
			fault_end = next_fault + 8000000000LL;
			next_fault += 20000000000LL;
			continue;
		}
		if (!p[m].pending) {
			if (nop >= ops) {
				p[m].t = INT64_MAX / 2;
				continue;
			}
			p[m].f = (int)(next() % 2);
			p[m].key = (int)(next() % KEYS);
			p[m].val = (int)(next() % 1000);
			if (nop % (ops / NANOM + 1) == 1 && ncite < NANOM * 2)
				cite[ncite++] = idx;
			fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ","
				"\"process\":%" PRId64 ",\"type\":\"invoke\","
				"\"f\":\"%s\",\"value\":", idx++, p[m].t,
				p[m].id, p[m].f ? "write" : "read");
			if (p[m].f)
				fprintf(f, "%d", p[m].val);
			else
				fputs("null", f);
			fprintf(f, ",\"key\":\"k%d\",\"session\":%" PRId64
				",\"node\":\"n%d\"}\n", p[m].key, p[m].id,
				(int)(p[m].id % 3) + 1);
			p[m].pending = 1;
			p[m].t += 1000000 + (int64_t)(next() % 30000000);
			nop++;
		} else {
			uint64_t r = next() % 200;
			const char *type = r == 0 ? "info"
					   : r < 5 ? "fail" : "ok";

			fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ","
				"\"process\":%" PRId64 ",\"type\":\"%s\","
				"\"f\":\"%s\",\"value\":%d,\"key\":\"k%d\","
				"\"session\":%" PRId64 ",\"node\":\"n%d\"}\n",
				idx++, p[m].t, p[m].id, type,
				p[m].f ? "write" : "read", p[m].val,
				p[m].key, p[m].id, (int)(p[m].id % 3) + 1);
			if (p[m].t > tmax)
				tmax = p[m].t;
			p[m].pending = 0;
			if (r == 0)
				p[m].id += PROCS;
			p[m].t += 100000 + (int64_t)(next() % 4000000);
		}
	}
	fclose(f);

	snprintf(path, sizeof(path), "%s/results.json", dir);
	f = fopen(path, "w");
	fputs("{\"verdict\":\"invalid\",\"checkers\":[{\"checker\":"
	      "\"linearizable\",\"verdict\":\"invalid\",\"summary\":"
	      "\"not linearizable\",\"stats\":{},\"anomaly_count\":", f);
	fprintf(f, "%zu,\"anomalies\":[", ncite / 2);
	for (i = 0; i + 1 < ncite; i += 2)
		fprintf(f, "%s{\"kind\":\"nonlinearizable\",\"text\":\"read "
			"returned a value overwritten before it began\","
			"\"ops\":[{\"index\":%zu,\"position\":%zu},"
			"{\"index\":%zu,\"position\":%zu}]}", i ? "," : "",
			cite[i], cite[i], cite[i + 1], cite[i + 1]);
	fputs("]},{\"checker\":\"stale\",\"verdict\":\"unknown\","
	      "\"summary\":\"time budget exhausted\",\"stats\":{"
	      "\"histogram\":{\"0\":900000,\"<1ms\":50000,\"<10ms\":30000,"
	      "\"<100ms\":15000,\"<1s\":4000,\"<10s\":900,\">=10s\":100}},"
	      "\"anomaly_count\":0,\"anomalies\":[]}]}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/run.json", dir);
	f = fopen(path, "w");
	fprintf(f, "{\"name\":\"bench\",\"db\":\"etcd\",\"workload\":"
		"\"register\",\"nemesis\":[\"partition\"],\"time_limit\":%"
		PRId64 ",\"concurrency\":%d,\"seed\":1,\"nodes\":[\"n1\","
		"\"n2\",\"n3\"],\"version\":\"bench\"}\n", tmax / 1000000000,
		PROCS);
	fclose(f);
	printf("run directory: %zu ops, %zu events (%.0f MB of history), "
	       "%zu anomalies cited\n", nop, idx,
	       (double)fsize(dir, "history.jsonl") / 1e6, ncite / 2);

	t0 = now();
	c0 = cpu();
	ret = report_run_load(&run, dir, &err);
	tload = now() - t0;
	cload = cpu() - c0;
	if (!ret)
		ret = report_write_run(&run, dir, &err);
	report_run_release(&run);
	wall = now() - t0;
	cputime = cpu() - c0;
	cchild = cpu_children();
	if (ret) {
		printf("report failed: %s\n", err.buf);
		status = 1;
	}
	html = fsize(dir, "report.html");
	printf("report: %.2f s wall (loading %.2f s), CPU %.2f s "
	       "(loading %.2f s) + gnuplot %.2f s\n", wall, tload,
	       cputime, cload, cchild);
	printf("sizes: report.html %.2f MB, junit.xml %ld B, summary.md "
	       "%ld B\n", (double)html / 1e6, fsize(dir, "junit.xml"),
	       fsize(dir, "summary.md"));
	if (getloadavg(load, 1) == 1)
		printf("load average: %.1f on %ld CPUs\n", load[0],
		       sysconf(_SC_NPROCESSORS_ONLN));
	if (cputime + cchild > 30) {
		printf("FAIL: over 30 s of CPU\n");
		status = 1;
	}
	if (html < 0 || html > 20 * 1000 * 1000) {
		printf("FAIL: report.html missing or over 20 MB\n");
		status = 1;
	}
	if (!getenv("NS_BENCH_KEEP")) {
		static const char *const names[] = {
			"history.jsonl", "results.json", "run.json",
			"report.html", "junit.xml", "summary.md",
		};

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			unlink(path);
		}
		rmdir(dir);
	} else {
		printf("kept: %s\n", dir);
	}
	sb_release(&err);
	free(cite);
	return status;
}
