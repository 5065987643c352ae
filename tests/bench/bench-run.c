/*
 * bench-run.c - what recording costs: the controller's client path
 * (generator, workload client, history in memory and history.jsonl
 * written as it happens) against a bare libcurl loop sending the same
 * requests at the same concurrency, both against one local etcd.
 *
 * The etcd member is started here on 127.0.0.1 (ports 23790-23899 picked
 * from the pid, data under /dev/shm when it exists so the disk does not
 * dominate), killed by its pid at the end (and by the kernel if the
 * bench dies first).  Rounds run bare, workload
 * client alone and controller back to back (ROUNDS rounds of SECONDS
 * each, the order rotating every round) so load from elsewhere on the
 * machine hits all alike.
 *
 * The same ops.  In a round all three take their ops from the register
 * workload's generator with the same seed, each on fresh keys of its own
 * (key prefix bare/RN/, plain/RN/, ctl/RN/), so each worker sends the
 * same sequence of reads, writes and cas against keys in the same
 * states.  The bare loop builds the same request bodies, sends them with
 * curl_easy_perform() and looks into the answer only for what the
 * generator's next cas needs (strstr, no JSON parser): nothing recorded.
 *
 * Two figures, each the median of per-round ratios with its spread:
 *   - throughput: controller ops/s against bare ops/s.  On a shared,
 *     loaded machine this swings with what else runs;
 *   - CPU per op, client and etcd together (this process's CPU clock,
 *     etcd's from /proc/PID/task/N/schedstat): what one op costs the
 *     machine, which waiting does not inflate.  When CPU is the limit,
 *     throughput drops by this ratio; it is the figure to trust when the
 *     load average is above the core count.
 *
 *   build/bench-run [SECONDS] [CONCURRENCY]     (default 1 s, 5 threads)
 *
 * NS_BENCH_MODE=bare|plain|ctl runs only that mode, ROUNDS times, and
 * prints its figures, with this process's context switches and page
 * faults per op (a page fault costs 5-30 us on some VMs): for profiling
 * one side (perf record -p);
 * NS_BENCH_MODE=rec runs only the recording microbench (no etcd).
 */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "harness/run.h"
#include "os.h"
#include "workloads/etcd-internal.h"
#include "workloads/workload.h"

#define ROUNDS 11

static char endpoint[64];
static double seconds = 1;
static long conc = 5;
static atomic_int stop_bare;

/* CPU seconds of this process (all threads; etcd is another process). */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU microseconds per op of the last run of each kind: this process
   (the client side) and etcd. */
static double cpu_us_bare, cpu_us_plain, cpu_us_ctl;
static double etcd_us_bare, etcd_us_plain, etcd_us_ctl;
static pid_t etcd_pid;

/* CPU seconds etcd used so far: the sum over its threads. */
static double etcd_cpu_s(void)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	double total = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)etcd_pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char f[384];
		FILE *fp;
		unsigned long long ns;

		if (e->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), "%s/%s/schedstat", path, e->d_name);
		fp = fopen(f, "r");
		if (!fp)
			continue;
		if (fscanf(fp, "%llu", &ns) == 1)
			total += (double)ns / 1e9;
		fclose(fp);
	}
	closedir(d);
	return total;
}

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return s * n;
}

/* ===== The bare loop: same requests, nothing recorded ===== */

struct bare {
	pthread_t th;
	struct workload_client *gen;	/* the generator only */
	const char *prefix;
	unsigned long ops;
};

static size_t keep(char *p, size_t s, size_t n, void *arg)
{
	sb_add(arg, p, s * n);
	return s * n;
}

/* What the bare client learns from an answer, without a JSON parser: an
   ok write, a cas that succeeded, a read's value.  The generator's next
   cas on the key expects it, as the workload client's does. */
static void bare_saw(struct workload_client *gen, struct workload_op *op,
		     const struct sb *resp)
{
	const char *v;

	op->type = HIST_FAIL;
	if (!strcmp(op->f, "read")) {
		struct sb dec = SB_INIT;

		op->type = HIST_OK;
		v = strstr(resp->buf, "\"value\":\"");
		if (v) {
			char *end = strchr(v + 9, '"');

			if (end) {
				*end = '\0';
				if (!etcd__b64dec(&dec, v + 9))
					op->out = json_integer(
						strtoll(dec.buf, NULL, 10));
				*end = '"';
			}
		}
		sb_release(&dec);
	} else if (!strcmp(op->f, "write") ||
		   strstr(resp->buf, "\"succeeded\":true")) {
		op->type = HIST_OK;
	}
	etcd__saw(gen, op);
}

static void *bare_main(void *arg)
{
	struct bare *b = arg;
	const struct workload_type *t = workload_find("register");
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct sb k64 = SB_INIT, v64 = SB_INIT, w64 = SB_INIT, body = SB_INIT,
		  key = SB_INIT, url = SB_INIT, resp = SB_INIT;
	struct workload_op op;

	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	hdr = curl_slist_append(hdr, "Grpc-Metadata-hasleader: true");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	workload_op_init(&op);
	while (!atomic_load(&stop_bare)) {
		const char *path;
		char v[32], w[32];

		t->next(b->gen, &op);
		sb_reset(&key);
		sb_addf(&key, "%s%s", b->prefix, op.key);
		sb_reset(&k64);
		etcd__b64enc(&k64, key.buf, key.len);
		sb_reset(&body);
		if (!strcmp(op.f, "read")) {
			path = "/v3/kv/range";
			sb_addf(&body, "{\"key\":\"%s\"}", k64.buf);
		} else if (!strcmp(op.f, "write")) {
			path = "/v3/kv/put";
			snprintf(v, sizeof(v), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(op.value));
			sb_reset(&v64);
			etcd__b64enc(&v64, v, strlen(v));
			sb_addf(&body, "{\"key\":\"%s\",\"value\":\"%s\"}",
				k64.buf, v64.buf);
		} else {
			path = "/v3/kv/txn";
			snprintf(v, sizeof(v), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_array_get(op.value,
								   0)));
			snprintf(w, sizeof(w), "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_array_get(op.value,
								   1)));
			sb_reset(&v64);
			etcd__b64enc(&v64, v, strlen(v));
			sb_reset(&w64);
			etcd__b64enc(&w64, w, strlen(w));
			sb_addf(&body, "{\"compare\":[{\"key\":\"%s\","
				"\"target\":\"VALUE\",\"result\":\"EQUAL\","
				"\"value\":\"%s\"}],\"success\":[{"
				"\"requestPut\":{\"key\":\"%s\",\"value\":"
				"\"%s\"}}]}", k64.buf, v64.buf, k64.buf,
				w64.buf);
		}
		sb_reset(&url);
		sb_addf(&url, "%s%s", endpoint, path);
		curl_easy_setopt(h, CURLOPT_URL, url.buf);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.buf);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
		sb_reset(&resp);
		if (curl_easy_perform(h) == CURLE_OK) {
			b->ops++;
			bare_saw(b->gen, &op, &resp);
		}
		workload_op_release(&op);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	sb_release(&k64);
	sb_release(&v64);
	sb_release(&w64);
	sb_release(&body);
	sb_release(&key);
	sb_release(&url);
	sb_release(&resp);
	return NULL;
}

/* ===== One workload per mode and round ===== */

static const char *bench_endpoint(struct db *d, size_t node)
{
	(void)d;
	(void)node;
	return endpoint;
}

static const struct db_type bench_db = {
	.name = "bench",
	.endpoint = bench_endpoint,
};

/* The register workload on its own fresh keys (prefix MODE/rROUND/). */
struct bench_wl {
	struct config c;
	struct db d;
	struct workload *w;
	char prefix[32];
};

static void bench_wl_init(struct bench_wl *b, const char *mode, int round)
{
	struct sb err = SB_INIT, cfg = SB_INIT;

	snprintf(b->prefix, sizeof(b->prefix), "%s/r%d/", mode, round);
	sb_addf(&cfg, "{\"nodes\":[{\"name\":\"n1\",\"host\":"
		"\"127.0.0.1\"}],\"workload\":{\"key_prefix\":\"%s\"}}",
		b->prefix);
	config_init(&b->c);
	memset(&b->d, 0, sizeof(b->d));
	b->d.type = &bench_db;
	b->d.cfg = &b->c;
	if (config_load_str(&b->c, "bench", cfg.buf, &err) ||
	    workload_new(&b->w, workload_find("register"), &b->c, &b->d,
			 (size_t)conc, &err)) {
		fprintf(stderr, "bench-run: %s\n", err.buf);
		exit(4);
	}
	sb_release(&err);
	sb_release(&cfg);
}

static void bench_wl_release(struct bench_wl *b)
{
	workload_free(b->w);
	config_release(&b->c);
}

static struct workload_client *open_client(struct workload *w, long i,
					   int round)
{
	struct workload_client *c;
	struct sb err = SB_INIT;

	if (w->type->client_open(w, (size_t)i, 0, (uint64_t)round, &c,
				 &err)) {
		fprintf(stderr, "bench-run: %s\n", err.buf);
		exit(4);
	}
	sb_release(&err);
	return c;
}

static double run_bare(int round)
{
	struct bare *b = xcalloc((size_t)conc, sizeof(*b));
	struct bench_wl bw;
	unsigned long ops = 0;
	double t0 = ns_mono_s(), c0 = cpu_s(), e0 = etcd_cpu_s(), t;
	long i;

	bench_wl_init(&bw, "bare", round);
	atomic_store(&stop_bare, 0);
	for (i = 0; i < conc; i++) {
		b[i].gen = open_client(bw.w, i, round);
		b[i].prefix = bw.prefix;
		pthread_create(&b[i].th, NULL, bare_main, &b[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop_bare, 1);
	for (i = 0; i < conc; i++) {
		pthread_join(b[i].th, NULL);
		ops += b[i].ops;
		bw.w->type->client_close(b[i].gen);
	}
	t = ns_mono_s() - t0;
	cpu_us_bare = ops ? (cpu_s() - c0) * 1e6 / (double)ops : 0;
	etcd_us_bare = ops ? (etcd_cpu_s() - e0) * 1e6 / (double)ops : 0;
	bench_wl_release(&bw);
	free(b);
	return (double)ops / t;
}

/* ===== The controller's path ===== */

struct plain {
	pthread_t th;
	struct workload *w;
	struct workload_client *c;
	unsigned long ops;
};

/* The workload client alone: generator, request, answer parsed, but
   nothing recorded. */
static void *plain_main(void *arg)
{
	struct plain *p = arg;
	struct workload_op op;

	workload_op_init(&op);
	while (!atomic_load(&stop_bare)) {
		p->w->type->next(p->c, &op);
		p->w->type->invoke(p->c, &op);
		p->ops += op.type != HIST_INFO;
		workload_op_release(&op);
	}
	return NULL;
}

static double run_plain(int round)
{
	struct plain *p = xcalloc((size_t)conc, sizeof(*p));
	struct bench_wl bw;
	unsigned long ops = 0;
	double t0 = ns_mono_s(), c0 = cpu_s(), e0 = etcd_cpu_s(), t;
	long i;

	bench_wl_init(&bw, "plain", round);
	atomic_store(&stop_bare, 0);
	for (i = 0; i < conc; i++) {
		p[i].w = bw.w;
		p[i].c = open_client(bw.w, i, round);
		pthread_create(&p[i].th, NULL, plain_main, &p[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop_bare, 1);
	for (i = 0; i < conc; i++) {
		pthread_join(p[i].th, NULL);
		ops += p[i].ops;
		bw.w->type->client_close(p[i].c);
	}
	t = ns_mono_s() - t0;
	cpu_us_plain = ops ? (cpu_s() - c0) * 1e6 / (double)ops : 0;
	etcd_us_plain = ops ? (etcd_cpu_s() - e0) * 1e6 / (double)ops : 0;
	bench_wl_release(&bw);
	free(p);
	return (double)ops / t;
}

static double run_controller(const char *dir, int round)
{
	struct bench_wl bw;
	struct run r;
	struct run_clients *cl = NULL;
	struct sb err = SB_INIT, sub = SB_INIT;
	double t0, t, c0, e0;
	unsigned long ops;

	bench_wl_init(&bw, "ctl", round);
	memset(&r, 0, sizeof(r));
	r.cfg = &bw.c;
	r.wl = bw.w;
	r.p.concurrency = conc;
	r.p.seed = (uint64_t)round;
	r.p.time_limit_s = seconds;
	pthread_mutex_init(&r.lock, NULL);
	hist_init(&r.h);
	sb_addf(&sub, "%s/r%d", dir, round);
	mkdir(sub.buf, 0755);
	r.dir = sub.buf;
	if (run_record_open(&r, &err)) {
		fprintf(stderr, "bench-run: %s\n", err.buf);
		exit(4);
	}
	t0 = ns_mono_s();
	c0 = cpu_s();
	e0 = etcd_cpu_s();
	if (run_clients_start(&r, &cl, &err)) {
		fprintf(stderr, "bench-run: %s\n", err.buf);
		exit(4);
	}
	usleep((useconds_t)(seconds * 1e6));
	run_clients_join(cl);
	t = ns_mono_s() - t0;
	ops = atomic_load(&r.ok) + atomic_load(&r.fail);
	cpu_us_ctl = ops ? (cpu_s() - c0) * 1e6 / (double)ops : 0;
	etcd_us_ctl = ops ? (etcd_cpu_s() - e0) * 1e6 / (double)ops : 0;
	run_clients_free(cl);
	run_record_close(&r, &err);
	hist_release(&r.h);
	pthread_mutex_destroy(&r.lock);
	bench_wl_release(&bw);
	sb_release(&err);
	sb_release(&sub);
	return (double)ops / t;
}

/* ===== Recording alone, no network ===== */

struct rec_arg {
	struct run *r;
	long worker, n;
};

static void *rec_main(void *arg)
{
	struct rec_arg *a = arg;
	struct workload_op op;
	long i;

	workload_op_init(&op);
	op.f = "write";
	snprintf(op.key, sizeof(op.key), "k%ld", a->worker);
	for (i = 0; i < a->n; i++) {
		op.value = json_integer(i);
		run_record_invoke(a->r, a->worker, a->worker, "n1", &op);
		op.type = HIST_OK;
		op.version = i;
		op.has_version = 1;
		run_record_complete(a->r, a->worker, a->worker, "n1", &op);
		json_decref(op.value);
		op.value = NULL;
	}
	return NULL;
}

/* CPU and wall microseconds per recorded op (invoke + completion). */
static void bench_recording(const char *dir, long threads, double *wall_us,
			    double *cpu_us)
{
	struct config c;
	struct run r;
	struct rec_arg *a = xcalloc((size_t)threads, sizeof(*a));
	pthread_t *th = xcalloc((size_t)threads, sizeof(*th));
	struct sb err = SB_INIT, sub = SB_INIT;
	long i, per = 200000 / threads;
	double t0, c0;

	config_init(&c);
	memset(&r, 0, sizeof(r));
	r.cfg = &c;
	pthread_mutex_init(&r.lock, NULL);
	hist_init(&r.h);
	sb_addf(&sub, "%s/rec%ld", dir, threads);
	mkdir(sub.buf, 0755);
	r.dir = sub.buf;
	if (run_record_open(&r, &err)) {
		fprintf(stderr, "bench-run: %s\n", err.buf);
		exit(4);
	}
	t0 = ns_mono_s();
	c0 = cpu_s();
	for (i = 0; i < threads; i++) {
		a[i].r = &r;
		a[i].worker = i;
		a[i].n = per;
		pthread_create(&th[i], NULL, rec_main, &a[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	*wall_us = (ns_mono_s() - t0) * 1e6 / (double)(per * threads);
	*cpu_us = (cpu_s() - c0) * 1e6 / (double)(per * threads);
	run_record_close(&r, &err);
	hist_release(&r.h);
	pthread_mutex_destroy(&r.lock);
	config_release(&c);
	sb_release(&err);
	sb_release(&sub);
	free(a);
	free(th);
}

/* ===== etcd ===== */

static pid_t start_etcd(const char *dir, int port)
{
	char data[512], log[512], curl_url[64], peer_url[64];
	pid_t pid;
	int i;

	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(log, sizeof(log), "%s/etcd.log", dir);
	snprintf(curl_url, sizeof(curl_url), "http://127.0.0.1:%d", port);
	snprintf(peer_url, sizeof(peer_url), "http://127.0.0.1:%d", port + 1);
	snprintf(endpoint, sizeof(endpoint), "%s", curl_url);
	pid = fork();
	if (pid == 0) {
		char ic[128];

		/* dies with the bench, however the bench ends (a reader
		   that closed its pipe left etcd running) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);

		snprintf(ic, sizeof(ic), "b=%s", peer_url);
		if (!freopen(log, "w", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		execlp("etcd", "etcd", "--name", "b", "--data-dir", data,
		       "--listen-client-urls", curl_url,
		       "--advertise-client-urls", curl_url,
		       "--listen-peer-urls", peer_url,
		       "--initial-advertise-peer-urls", peer_url,
		       "--initial-cluster", ic, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		CURL *h = curl_easy_init();
		char url[96];
		long code = 0;

		snprintf(url, sizeof(url), "%s/health", endpoint);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 500L);
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(h);
		if (code == 200)
			return pid;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fprintf(stderr, "bench-run: etcd did not start (see %s)\n", log);
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median, lowest and highest of v[ROUNDS] (sorts v). */
static void median3(double *v, double *med, double *lo, double *hi)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_double);
	*med = v[ROUNDS / 2];
	*lo = v[0];
	*hi = v[ROUNDS - 1];
}

static void load_avg(char *buf, size_t n)
{
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, n, "?");
	if (f && fgets(buf, (int)n, f)) {
		char *p = buf;
		int spaces = 0;

		for (; *p && spaces < 3; p++)
			if (*p == ' ' && ++spaces == 3)
				*p = '\0';
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/dev/shm/ns-bench-run.XXXXXX", tmpl2[] =
		"/tmp/ns-bench-run.XXXXXX";
	char *dir = mkdtemp(tmpl);
	double bare[ROUNDS], ctl[ROUNDS], plain[ROUNDS], ratio[ROUNDS],
	       ratio_rec[ROUNDS], overhead, rec, cb[ROUNDS], cp[ROUNDS],
	       cc[ROUNDS], cpu_ratio[ROUNDS], cpu_rec[ROUNDS], m[3], lo, hi,
	       c_start, c_end, rec_cpu_us = 0;
	char la0[32], la1[32];
	char cmd[600];
	pid_t pid;
	int i, k, rc = 0;
	const char *mode = getenv("NS_BENCH_MODE");

	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2)
		conc = atol(argv[2]);
	if (mode && strcmp(mode, "bare") && strcmp(mode, "plain") &&
	    strcmp(mode, "ctl") && strcmp(mode, "rec")) {
		fprintf(stderr, "bench-run: NS_BENCH_MODE: bare, plain, "
			"ctl or rec, not '%s'\n", mode);
		return 3;
	}
	if (seconds <= 0 || conc < 1) {
		fprintf(stderr, "usage: bench-run [SECONDS] [CONCURRENCY]\n");
		return 3;
	}
	/* a reader that stops reading (| head) must not cut the clean-up
	   of etcd's data short */
	signal(SIGPIPE, SIG_IGN);
	if (!dir)
		dir = mkdtemp(tmpl2);
	if (!dir) {
		perror("bench-run: mkdtemp");
		return 4;
	}
	if (!mode || !strcmp(mode, "rec")) {
		double w1, c1, w5;

		bench_recording(dir, 1, &w1, &c1);
		bench_recording(dir, conc, &w5, &rec_cpu_us);
		printf("recording alone (200000 ops, invoke + completion "
		       "into memory and history.jsonl): 1 thread %.2f us/op "
		       "(%.2f us CPU), %ld threads %.2f us/op (%.2f us CPU)\n",
		       w1, c1, conc, w5, rec_cpu_us);
		fflush(stdout);
		if (mode)
			goto out;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	pid = start_etcd(dir, 23790 + (int)(getpid() % 50) * 2);
	etcd_pid = pid;
	if (pid < 0) {
		rc = 4;
		goto out;
	}
	load_avg(la0, sizeof(la0));
	if (mode) {
		for (i = 0; i < ROUNDS; i++) {
			double ops, cpu, ecpu;

			struct rusage ru0, ru1;

			getrusage(RUSAGE_SELF, &ru0);
			if (!strcmp(mode, "bare")) {
				ops = run_bare(i);
				cpu = cpu_us_bare;
				ecpu = etcd_us_bare;
			} else if (!strcmp(mode, "plain")) {
				ops = run_plain(i);
				cpu = cpu_us_plain;
				ecpu = etcd_us_plain;
			} else {
				ops = run_controller(dir, i);
				cpu = cpu_us_ctl;
				ecpu = etcd_us_ctl;
			}
			getrusage(RUSAGE_SELF, &ru1);
			printf("%s round %2d: %.0f ops/s, CPU us/op client "
			       "%.1f, etcd %.1f; per op: %.2f context "
			       "switches, %.3f page faults\n", mode, i + 1,
			       ops, cpu, ecpu,
			       (double)(ru1.ru_nvcsw + ru1.ru_nivcsw -
					ru0.ru_nvcsw - ru0.ru_nivcsw) /
			       (ops * seconds),
			       (double)(ru1.ru_minflt + ru1.ru_majflt -
					ru0.ru_minflt - ru0.ru_majflt) /
			       (ops * seconds));
			fflush(stdout);
		}
		goto kill_etcd;
	}
	c_start = cpu_s();
	for (i = 0; i < ROUNDS; i++) {
		/* Rotate the order, so a trend in the machine's load does
		   not favour one side. */
		for (k = 0; k < 3; k++) {
			switch ((i + k) % 3) {
			case 0:
				bare[i] = run_bare(i);
				break;
			case 1:
				plain[i] = run_plain(i);
				break;
			default:
				ctl[i] = run_controller(dir, i);
			}
		}
		ratio[i] = ctl[i] / bare[i];
		ratio_rec[i] = ctl[i] / plain[i];
		cb[i] = cpu_us_bare + etcd_us_bare;
		cp[i] = cpu_us_plain + etcd_us_plain;
		cc[i] = cpu_us_ctl + etcd_us_ctl;
		cpu_ratio[i] = cc[i] / cb[i];
		cpu_rec[i] = (cpu_us_ctl - cpu_us_plain) / cb[i];
		printf("round %2d: ops/s (CPU us/op client+etcd): bare libcurl "
		       "%.0f (%.0f+%.0f), workload client %.0f (%.0f+%.0f), "
		       "controller %.0f (%.0f+%.0f)\n", i + 1, bare[i],
		       cpu_us_bare, etcd_us_bare, plain[i], cpu_us_plain,
		       etcd_us_plain, ctl[i], cpu_us_ctl, etcd_us_ctl);
		fflush(stdout);
	}
	c_end = cpu_s();
	load_avg(la1, sizeof(la1));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = -1;
	printf("etcd (one member, data on %s), %ld threads, %d rounds of "
	       "%g s; load average %s before, %s after; this bench used "
	       "%.1f s CPU\n", strncmp(dir, "/dev/shm", 8) ? "disk" : "tmpfs",
	       conc, ROUNDS, seconds, la0, la1, c_end - c_start);
	median3(bare, &m[0], &lo, &hi);
	median3(plain, &m[1], &lo, &hi);
	median3(ctl, &m[2], &lo, &hi);
	printf("median ops/s: bare libcurl %.0f, workload client %.0f, "
	       "controller %.0f\n", m[0], m[1], m[2]);
	median3(ratio, &overhead, &lo, &hi);
	printf("throughput, controller vs bare libcurl: %.1f%% fewer ops/s "
	       "(rounds: %.1f%% .. %.1f%%)\n", 100 * (1 - overhead),
	       100 * (1 - hi), 100 * (1 - lo));
	median3(ratio_rec, &rec, &lo, &hi);
	printf("throughput, recording alone (controller vs workload "
	       "client): %.1f%% (rounds: %.1f%% .. %.1f%%)\n",
	       100 * (1 - rec), 100 * (1 - hi), 100 * (1 - lo));
	median3(cb, &m[0], &lo, &hi);
	median3(cp, &m[1], &lo, &hi);
	median3(cc, &m[2], &lo, &hi);
	printf("CPU per op, client + etcd (median): bare %.0f us, workload "
	       "client %.0f us, controller %.0f us\n", m[0], m[1], m[2]);
	median3(cpu_ratio, &overhead, &lo, &hi);
	printf("CPU overhead, controller vs bare libcurl: %+.1f%% "
	       "(rounds: %+.1f%% .. %+.1f%%; target <= 5%%)\n",
	       100 * (overhead - 1), 100 * (lo - 1), 100 * (hi - 1));
	printf("recording CPU per op (the steady figure above, %ld threads) "
	       "over bare's CPU per op: %.1f%% (the throughput cost when "
	       "CPU is the limit; target <= 5%%)\n", conc,
	       100 * rec_cpu_us / m[0]);
	median3(cpu_rec, &rec, &lo, &hi);
	printf("CPU overhead of recording alone (controller - workload "
	       "client, client side, over bare's total): %+.1f%% "
	       "(rounds: %+.1f%% .. %+.1f%%)\n", 100 * rec, 100 * lo,
	       100 * hi);
kill_etcd:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench-run: could not remove %s\n", dir);
	curl_global_cleanup();
	return rc;
}
