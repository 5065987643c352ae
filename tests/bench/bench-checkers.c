/*
 * bench-checkers.c - throughput of the set, session and stale checkers.
 *
 *   build/bench-checkers            in-memory histories (default 1,000,000
 *                                   ops = 2,000,000 events each; also
 *                                   NS_BENCH_CHECKER_OPS): events per CPU
 *                                   second for every checker
 *   build/bench-checkers --gen FILE OPS
 *                                   write a register history of OPS ops as
 *                                   JSON Lines (for check-e2e.sh)
 *   build/bench-checkers --phases FILE CHECKER[,CHECKER]
 *                                   read FILE, then run the checkers, and
 *                                   print the time of each phase
 *
 * Histories (fixed seed, no concurrency beyond two ops in flight):
 *   set       adds of unique elements over 1,000 keys (1% info, half of
 *             which take effect), a whole-set read every 100 ops, one
 *             final read per key; 1 in 1,000 acknowledged elements is
 *             missing from the final read (lost);
 *   register  100 sessions over 1,000 keys, half writes of unique values,
 *             half reads that see the latest acknowledged write (90%) or
 *             the one before it (stale); with or without versions.
 * CPU time is what counts (the machine may be shared): the best of three
 * runs is printed, with its wall time, the first run's CPU time (the one
 * a `netsplit check` process pays: nothing allocated before) and whether
 * the target (TARGET_MEPS) is met.  Only the checker is timed, never the
 * building of its history.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "alloc.h"
#include "checkers/checker.h"
#include "history.h"

#define KEYS 1000
#define SESSIONS 100
#define TARGET_MEPS 5.0	/* million events per CPU second, one core */

#define SEED 0x9E3779B97F4A7C15ULL

/* Each generator starts from SEED: a history does not depend on which
 * others were built before it (NS_BENCH_ONLY). */
static uint64_t rng = SEED;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t ev(struct history *h, int64_t t, int64_t p, uint8_t type,
		 uint32_t f, uint32_t key, struct hist_value v)
{
	struct hist_event e;

	memset(&e, 0, sizeof(e));
	e.time = t;
	e.process = p;
	e.session = p;
	e.type = type;
	e.f = f;
	e.key = key;
	e.flags = HIST_F_KEY;
	e.value = v;
	e.pair = -1;
	return hist_append(h, &e);
}

static void pair(struct history *h, size_t a, size_t b)
{
	h->ev[a].pair = (int64_t)b;
	h->ev[b].pair = (int64_t)a;
}

static struct hist_value vint(int64_t i)
{
	struct hist_value v = { .kind = HV_INT, .u.i = i };

	return v;
}

static uint32_t *intern_keys(struct history *h)
{
	uint32_t *k = xmalloc(KEYS * sizeof(*k));
	char buf[16];
	int i;

	for (i = 0; i < KEYS; i++) {
		int n = snprintf(buf, sizeof(buf), "k%d", i);

		k[i] = hist_intern(h, buf, (size_t)n);
	}
	return k;
}

/* ===== The set history ===== */

struct kset {
	int64_t *el;
	size_t n, alloc;
};

static void gen_set(struct history *h, size_t ops)
{
	uint32_t f_add = hist_intern(h, "add", 3);
	uint32_t f_read = hist_intern(h, "read", 4);
	uint32_t *keys = intern_keys(h);
	struct kset *ks = xcalloc(KEYS, sizeof(*ks));
	int64_t t = 0, proc = 0;
	size_t i, j;

	rng = SEED;
	for (i = 0; i < ops; i++) {
		int k = (int)(rnd() % KEYS);
		size_t a, b;

		t += 1000;
		proc = (proc + 1) % SESSIONS;
		if (i % 100 == 99) {
			struct hist_value v = { .kind = HV_LIST };

			v.n = (uint32_t)ks[k].n;
			v.u.off = hist_alloc_vals(h, ks[k].n);
			for (j = 0; j < ks[k].n; j++)
				h->vals[v.u.off + j] = vint(ks[k].el[j]);
			a = ev(h, t, proc, HIST_INVOKE, f_read, keys[k],
			       vint(0));
			h->ev[a].value.kind = HV_NIL;
			b = ev(h, t + 500, proc, HIST_OK, f_read, keys[k], v);
			pair(h, a, b);
			continue;
		}
		a = ev(h, t, proc, HIST_INVOKE, f_add, keys[k],
		       vint((int64_t)i));
		if (rnd() % 100 == 0) {
			b = ev(h, t + 500, proc, HIST_INFO, f_add, keys[k],
			       vint((int64_t)i));
			pair(h, a, b);
			if (rnd() % 2)
				continue;	/* never took effect */
		} else {
			b = ev(h, t + 500, proc, HIST_OK, f_add, keys[k],
			       vint((int64_t)i));
			pair(h, a, b);
		}
		ALLOC_GROW(ks[k].el, ks[k].n + 1, ks[k].alloc);
		ks[k].el[ks[k].n++] = (int64_t)i;
	}
	/* Final reads; 1 in 1000 elements lost. */
	for (j = 0; j < KEYS; j++) {
		struct hist_value v = { .kind = HV_LIST };
		size_t a, b, m, n = 0;

		v.u.off = hist_alloc_vals(h, ks[j].n);
		for (m = 0; m < ks[j].n; m++)
			if (rnd() % 1000)
				h->vals[v.u.off + n++] = vint(ks[j].el[m]);
		v.n = (uint32_t)n;
		t += 1000;
		a = ev(h, t, 1000000 + (int64_t)j, HIST_INVOKE, f_read,
		       keys[j], vint(0));
		h->ev[a].value.kind = HV_NIL;
		b = ev(h, t + 500, 1000000 + (int64_t)j, HIST_OK, f_read,
		       keys[j], v);
		h->ev[a].flags |= HIST_F_FINAL;
		h->ev[b].flags |= HIST_F_FINAL;
		pair(h, a, b);
		free(ks[j].el);
	}
	free(ks);
	free(keys);
}

/* ===== The register history ===== */

struct kreg {
	int64_t cur, prev;	/* values; -1 = none (nil) */
	int64_t cur_ver, prev_ver;
};

/*
 * Emit ops two at a time (invoke A, invoke B, complete A, complete B),
 * calling out(...) per event so the same generator feeds memory or a
 * file.
 */
struct regop {
	int64_t proc;
	int write;
	int key;
	int64_t val, ver;	/* written / read value and version */
};

typedef void (*emit_fn)(void *ctx, int64_t t, const struct regop *op,
			int complete);

static void gen_register(size_t ops, int versions, emit_fn emit, void *ctx)
{
	struct kreg *kr = xmalloc(KEYS * sizeof(*kr));
	int64_t t = 0, next_val = 1, next_ver = 1;
	size_t i;

	rng = SEED;
	for (i = 0; i < KEYS; i++) {
		kr[i].cur = kr[i].prev = -1;
		kr[i].cur_ver = kr[i].prev_ver = 0;
	}
	for (i = 0; i < ops; i += 2) {
		struct regop o[2];
		int n = i + 1 < ops ? 2 : 1, m;

		for (m = 0; m < n; m++) {
			o[m].proc = (int64_t)((i + (size_t)m) % SESSIONS);
			o[m].write = rnd() % 2;
			o[m].key = (int)(rnd() % KEYS);
			if (m == 1 && o[1].key == o[0].key)
				o[1].key = (o[1].key + 1) % KEYS;
		}
		for (m = 0; m < n; m++) {
			struct kreg *k = &kr[o[m].key];

			if (o[m].write) {
				o[m].val = next_val++;
				o[m].ver = versions ? next_ver++ : 0;
			} else if (rnd() % 10 || k->prev < 0) {
				o[m].val = k->cur;
				o[m].ver = k->cur_ver;
			} else {
				o[m].val = k->prev;
				o[m].ver = k->prev_ver;
			}
			emit(ctx, t += 1000, &o[m], 0);
		}
		for (m = 0; m < n; m++) {
			struct kreg *k = &kr[o[m].key];

			emit(ctx, t += 1000, &o[m], 1);
			if (o[m].write) {
				k->prev = k->cur;
				k->prev_ver = k->cur_ver;
				k->cur = o[m].val;
				k->cur_ver = o[m].ver;
			}
		}
	}
	free(kr);
}

struct mem_ctx {
	struct history *h;
	uint32_t f_read, f_write, *keys;
	int versions;
	size_t pending[SESSIONS];
};

static void emit_mem(void *vctx, int64_t t, const struct regop *op,
		     int complete)
{
	struct mem_ctx *c = vctx;
	struct history *h = c->h;
	struct hist_value v = vint(op->val);
	size_t pos;

	if (!complete && !op->write)
		v.kind = HV_NIL;
	else if (op->val < 0)
		v.kind = HV_NIL;
	pos = ev(h, t, op->proc, complete ? HIST_OK : HIST_INVOKE,
		 op->write ? c->f_write : c->f_read, c->keys[op->key], v);
	if (!complete) {
		c->pending[op->proc] = pos;
		return;
	}
	pair(h, c->pending[op->proc], pos);
	if (c->versions && op->ver > 0) {
		h->ev[pos].version = op->ver;
		h->ev[pos].flags |= HIST_F_VERSION;
	}
}

static void gen_register_mem(struct history *h, size_t ops, int versions)
{
	struct mem_ctx c;

	memset(&c, 0, sizeof(c));
	c.h = h;
	c.f_read = hist_intern(h, "read", 4);
	c.f_write = hist_intern(h, "write", 5);
	c.keys = intern_keys(h);
	c.versions = versions;
	gen_register(ops, versions, emit_mem, &c);
	free(c.keys);
}

/* Decimal of x at p; returns the end.  (fprintf is the generator's
 * bottleneck at 20 million lines.) */
static char *put_i64(char *p, int64_t x)
{
	char tmp[24];
	int n = 0;
	uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;

	if (x < 0)
		*p++ = '-';
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_s(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static void emit_file(void *ctx, int64_t t, const struct regop *op,
		      int complete)
{
	FILE *f = ctx;
	char line[256], *p = line;

	p = put_s(p, "{\"time\":");
	p = put_i64(p, t);
	p = put_s(p, ",\"process\":");
	p = put_i64(p, op->proc);
	p = put_s(p, complete ? ",\"type\":\"ok\"" : ",\"type\":\"invoke\"");
	p = put_s(p, op->write ? ",\"f\":\"write\"" : ",\"f\":\"read\"");
	p = put_s(p, ",\"key\":\"k");
	p = put_i64(p, op->key);
	p = put_s(p, "\",\"value\":");
	if ((!complete && !op->write) || op->val < 0)
		p = put_s(p, "null");
	else
		p = put_i64(p, op->val);
	if (complete && op->ver > 0) {
		p = put_s(p, ",\"version\":");
		p = put_i64(p, op->ver);
	}
	p = put_s(p, "}\n");
	fwrite(line, 1, (size_t)(p - line), f);
}

/* ===== Running ===== */

static size_t list_elems(const struct history *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		if (h->ev[i].value.kind == HV_LIST && h->ev[i].type == HIST_OK)
			n += h->ev[i].value.n;
	return n;
}

/* NS_BENCH_ONLY=session,stale: run only those (for profiling). */
static int skipped(const char *name)
{
	const char *only = getenv("NS_BENCH_ONLY");
	const char *p;
	size_t n = strlen(name);

	if (!only || !*only)
		return 0;
	for (p = only; (p = strstr(p, name)); p += n)
		if ((p == only || p[-1] == ',') && (!p[n] || p[n] == ','))
			return 0;
	return 1;
}

/*
 * Read a byte of every page of the history's arrays.  They were built by
 * growing (realloc moves them), and on this kind of virtual machine the
 * first access to a page after that is expensive whoever makes it: the
 * first checker run paid it for the history, up to 0.1 s of the set
 * check's first run to read the events once.  An in-memory history is
 * one that has been touched.
 */
static void touch_history(const struct history *h)
{
	const volatile char *p;
	size_t i, n;
	unsigned sum = 0;

	p = (const volatile char *)h->ev;
	n = h->n * sizeof(*h->ev);
	for (i = 0; i < n; i += 4096)
		sum += (unsigned)p[i];
	p = (const volatile char *)h->vals;
	n = h->nvals * sizeof(*h->vals);
	for (i = 0; i < n; i += 4096)
		sum += (unsigned)p[i];
	(void)sum;
}

static int run(const char *name, const struct history *h, const char *what,
	       int quiet_elems, int rounds)
{
	const struct checker_type *t = checker_find(name);
	struct checker_opts o;
	struct verdict v;
	struct sb err = SB_INIT;
	double w0, c0, w = 0, cpu = 0, first = 0, meps;
	int rc = 0, r;

	if (!t) {
		fprintf(stderr, "bench-checkers: no checker '%s'\n", name);
		return -1;
	}
	if (skipped(name))
		return 0;
	memset(&o, 0, sizeof(o));
	touch_history(h);
	/* Best of `rounds` (the machine may be shared). */
	for (r = 0; r < rounds; r++) {
		double cr, wr;

		if (r)
			verdict_release(&v);
		sb_reset(&err);
		verdict_init(&v, t->name);
		w0 = clock_s(CLOCK_MONOTONIC);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		rc = checker_check(t, h, &o, &v, &err);
		cr = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wr = clock_s(CLOCK_MONOTONIC) - w0;
		if (!r)
			first = cr;
		if (!r || cr < cpu) {
			cpu = cr;
			w = wr;
		}
	}
	meps = (double)h->n / cpu / 1e6;
	printf("%-8s %-24s %9zu events  %7.3f s cpu  %7.3f s wall  "
	       "%6.2f M events/s  %s, %zu anomalies",
	       name, what, h->n, cpu, w, meps,
	       rc ? "error" : verdict_name(v.kind), v.anomaly_count);
	if (!quiet_elems)
		printf("  (%.2f M listed elements/s)",
		       (double)list_elems(h) / cpu / 1e6);
	putchar('\n');
	if (rounds > 1)
		printf("%-8s first run %.3f s cpu (%.2f M events/s); target "
		       ">= %.0f M events/s: %s\n", "", first,
		       (double)h->n / first / 1e6, TARGET_MEPS,
		       meps >= TARGET_MEPS ? "met" : "NOT met");
	if (getenv("NS_BENCH_VERBOSE")) {
		char *st = json_dumps(v.stats, JSON_COMPACT);

		printf("  stats: %.600s\n", st);
		free(st);
	}
	verdict_release(&v);
	sb_release(&err);
	return rc;
}

static int bench_memory(size_t ops)
{
	struct history h;
	int rc = 0;

	printf("in-memory checker throughput, %zu ops per history, best "
	       "CPU time of 3 (target: >= 5 M events/s on one core)\n",
	       ops);
	if (!skipped("set")) {
		hist_init(&h);
		gen_set(&h, ops);
		rc |= run("set", &h, "set, 1000 keys", 0, 3);
		hist_release(&h);
	}
	if (skipped("session") && skipped("stale"))
		return rc ? 1 : 0;

	hist_init(&h);
	gen_register_mem(&h, ops, 0);
	rc |= run("session", &h, "register, value order", 1, 3);
	rc |= run("stale", &h, "register, value order", 1, 3);
	hist_release(&h);

	hist_init(&h);
	gen_register_mem(&h, ops, 1);
	rc |= run("session", &h, "register, versions", 1, 3);
	rc |= run("stale", &h, "register, versions", 1, 3);
	hist_release(&h);
	return rc ? 1 : 0;
}

static int gen_file(const char *path, size_t ops)
{
	FILE *f = fopen(path, "w");
	static char buf[1 << 20];

	if (!f) {
		perror(path);
		return 3;
	}
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	gen_register(ops, 1, emit_file, f);
	if (fclose(f)) {
		perror(path);
		return 4;
	}
	return 0;
}

static int phases(const char *path, const char *checkers)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	struct rusage ru;
	double w0 = clock_s(CLOCK_MONOTONIC), c0;
	char *list = xstrdup(checkers), *save = NULL, *name;
	int rc;

	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	hist_init(&h);
	rc = hist_read_file(&h, path, HIST_FMT_AUTO, &warn, &err);
	if (rc) {
		fprintf(stderr, "bench-checkers: %s\n", err.buf);
		free(list);
		return 3;
	}
	printf("phase read     %9zu events  %7.3f s cpu  %7.3f s wall  "
	       "%6.2f M events/s\n", h.n,
	       clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0,
	       clock_s(CLOCK_MONOTONIC) - w0,
	       (double)h.n / (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / 1e6);
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save))
		run(name, &h, "(phase check)", 1, 1);
	getrusage(RUSAGE_SELF, &ru);
	printf("phase peak RSS %.0f MB (events: %zu x %zu bytes = %.0f MB "
	       "allocated)\n", (double)ru.ru_maxrss / 1024, h.n,
	       sizeof(struct hist_event),
	       (double)(h.alloc * sizeof(struct hist_event)) / 1048576);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	free(list);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("NS_BENCH_CHECKER_OPS");
	size_t ops = env ? strtoul(env, NULL, 10) : 1000000;

	if (argc == 4 && !strcmp(argv[1], "--gen"))
		return gen_file(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 4 && !strcmp(argv[1], "--phases"))
		return phases(argv[2], argv[3]);
	if (argc != 1) {
		fprintf(stderr, "usage: bench-checkers [--gen FILE OPS | "
			"--phases FILE CHECKERS]\n");
		return 3;
	}
	return bench_memory(ops ? ops : 1000000);
}
