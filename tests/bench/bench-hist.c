/*
 * bench-hist.c - history reading speed: generates a large history in each
 * format in a scratch directory, reads it with hist_read_file() and
 * prints wall and CPU time, events and MB per CPU second (the machine may
 * be shared) and the peak RSS of a child process that did only the
 * reading.
 *
 *   build/bench-hist [OPS]    (default 500,000 ops = 1,000,000 events;
 *                              also NS_BENCH_HIST_OPS)
 *
 * The history: 50 processes over 1,000 keys, reads, writes and CAS ops,
 * one op in 20 ending `info` (its process then continues as a new id),
 * nemesis events every 10,000 ops.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "history.h"

#define PROCS 50
#define KEYS 1000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum fmt { JSON, EDN, LOG };

static void event(FILE *f, enum fmt fmt, size_t idx, int64_t t,
		  int64_t proc, const char *type, int op, int key, int v)
{
	static const char *const fs[] = { "read", "write", "cas" };
	int json = fmt == JSON;
	char val[64];

	/* read: nil, then 3; write: v; cas: [v v+1] */
	if (op == 0)
		snprintf(val, sizeof(val), "%s", strcmp(type, "invoke") ?
			 "3" : json ? "null" : "nil");
	else if (op == 1)
		snprintf(val, sizeof(val), "%d", v);
	else
		snprintf(val, sizeof(val), json ? "[%d,%d]" : "[%d %d]", v,
			 v + 1);
	switch (fmt) {
	case JSON:
		fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ",\"process\":%"
			PRId64 ",\"type\":\"%s\",\"f\":\"%s\",\"value\":%s,"
			"\"key\":\"k%d\",\"session\":%" PRId64 ",\"node\":"
			"\"n%d\"}\n", idx, t, proc, type, fs[op], val, key,
			proc % PROCS, (int)(proc % 5) + 1);
		break;
	case EDN:
		fprintf(f, "{:type :%s, :f :%s, :value [%d %s], :process %"
			PRId64 ", :time %" PRId64 ", :index %zu}\n", type,
			fs[op], key, val, proc, t, idx);
		break;
	case LOG:
		fprintf(f, "INFO  jepsen.util - %" PRId64 "\t:%s\t:%s\t"
			"[%d %s]\n", proc, type, fs[op], key, val);
		break;
	}
}

static void generate(const char *path, enum fmt fmt, size_t ops)
{
	FILE *f = fopen(path, "w");
	int64_t proc[PROCS];
	size_t i, idx = 0;
	int64_t t = 0, next_id = PROCS;
	unsigned seed = 42;

	if (!f) {
		perror(path);
		exit(4);
	}
	for (i = 0; i < PROCS; i++)
		proc[i] = (int64_t)i;
	if (fmt == EDN)
		fputs("[\n", f);
	for (i = 0; i < ops; i++) {
		int w = (int)(i % PROCS), op = rand_r(&seed) % 3;
		int key = rand_r(&seed) % KEYS, v = rand_r(&seed) % 5;
		int info = rand_r(&seed) % 20 == 0;

		/* invoke and complete back to back: sequential per process */
		event(f, fmt, idx++, t += 1000, proc[w], "invoke", op, key, v);
		event(f, fmt, idx++, t += 1000, proc[w], info ? "info" : "ok",
		      op, key, v);
		if (info)
			proc[w] = next_id++;
		if (i % 10000 == 9999 && fmt == JSON)
			fprintf(f, "{\"index\":%zu,\"time\":%" PRId64 ","
				"\"process\":\"nemesis\",\"type\":\"info\","
				"\"f\":\"start\",\"value\":\"partition\"}\n",
				idx++, t += 1000);
	}
	if (fmt == EDN)
		fputs("]\n", f);
	fclose(f);
}

/* Read in a child so ru_maxrss is the reader's alone. */
static int measure(const char *path, const char *name)
{
	struct stat st;
	double t0, t1;
	pid_t pid;
	int fds[2], status;
	char buf[256];
	ssize_t n;

	if (stat(path, &st) < 0 || pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct history h;
		struct sb warn = SB_INIT, err = SB_INIT;
		struct rusage ru;
		double cpu;
		int rc;

		close(fds[0]);
		hist_init(&h);
		t0 = now();
		rc = hist_read_file(&h, path, HIST_FMT_AUTO, &warn, &err);
		t1 = now();
		getrusage(RUSAGE_SELF, &ru);
		if (rc < 0) {
			fprintf(stderr, "bench-hist: %s\n", err.buf);
			_exit(1);
		}
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		n = snprintf(buf, sizeof(buf),
			     "%-10s %9zu events %7.1f MB  wall %6.2f s "
			     "cpu %6.2f s  %5.2f M events/cpu-s %6.1f MB/cpu-s"
			     "  peak RSS %5ld MB (%.0f B/event)\n", name,
			     h.n, (double)st.st_size / 1e6, t1 - t0, cpu,
			     (double)h.n / cpu / 1e6,
			     (double)st.st_size / cpu / 1e6,
			     ru.ru_maxrss / 1024,
			     (double)ru.ru_maxrss * 1024 / (double)h.n);
		if (write(fds[1], buf, (size_t)n) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	buf[n] = '\0';
	fputs(buf, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("NS_BENCH_HIST_OPS");
	size_t ops = argc > 1 ? strtoul(argv[1], NULL, 10) :
		     env ? strtoul(env, NULL, 10) : 500000;
	char dir[] = "/tmp/ns-bench-hist.XXXXXX", path[300];
	static const char *const names[] = { "json", "edn", "jepsen-log" };
	static const char *const ext[] = { "jsonl", "edn", "log" };
	int i, status = 0;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 4;
	}
	printf("reading %zu ops (%zu events) per format, %d processes, "
	       "%d keys\n", ops, 2 * ops, PROCS, KEYS);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/h.%s", dir, ext[i]);
		generate(path, (enum fmt)i, i == 0 ? ops : ops / 4);
		if (measure(path, names[i]) < 0)
			status = 1;
		unlink(path);
	}
	rmdir(dir);
	return status;
}
