/*
 * linearizable.c - the linearizability checker for registers.
 *
 * Models.  "cas-register" (the default): read (the completion's value is
 * what was read), write (the invoke's value), cas with value [expected,
 * new] (takes effect only if the register holds `expected`).  Without cas
 * operations it is exactly a read/write register, so it also checks plain
 * register histories.  "register": read and write only; a cas is an input
 * error.  Operation names may carry a leading ':' (EDN keywords).  The
 * initial value is opts->init (JSON text; NULL means nil).  A read that
 * returns nil means the register held nil, unless opts->nil_reads_unknown
 * is set (the convention of Knossos's test data), in which case such a
 * read constrains nothing and is left out.
 *
 * Semantics of the history.  `fail` operations never happened and are
 * left out.  `info` operations, and invokes without a completion, may take
 * effect at any time after their invoke, or never.  An indeterminate read
 * constrains nothing and is left out.  Nemesis events are ignored.  Real
 * time is the history order: an operation precedes another when its
 * completion comes before the other's invoke in the history.
 *
 * Keys.  Events with a key (HIST_F_KEY) are split per key and each key is
 * checked on its own (linearizability is compositional per object), in
 * parallel on opts->threads threads (default: one per CPU).  Events
 * without a key form one more register.
 *
 * Reductions (each exact, not a heuristic): an indeterminate write or cas
 * whose new value no `ok` read returned and no cas expected is left out.
 * Proof: in any linearization containing it, the next operation sees that
 * value, so it can only be a write (or there is none); removing the
 * indeterminate operation leaves every later state unchanged.
 *
 * Nothing to judge.  Only an `ok` read or cas can contradict the model
 * (writes alone, failed ops and indeterminate ops always linearize), so a
 * history without one is "unknown", never "valid": a run whose every op
 * failed, or that recorded only invokes, proved nothing.
 *
 * Budgets.  opts->timeout_s bounds the wall time of the whole check and
 * opts->mem_limit (default 1 GiB) the search structures of all keys
 * together; when either is hit the undecided keys make the verdict
 * "unknown" (an invalid key still makes it "invalid").
 *
 * Evidence.  For a key that is not linearizable: the longest linearizable
 * prefix the search found, the state after it, the operation that could
 * not be placed after it (the pending `ok` operation that completed
 * first), the operations concurrent with it, and the states the register
 * could reach from that point through them.  lin-evidence.c builds it;
 * lin-search.c has the search, its memory layout and its complexity.
 */
#include "checker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "checker-util.h"
#include "err.h"
#include "lin.h"
#include "os.h"

#define DEFAULT_MEM_LIMIT ((size_t)1 << 30)
#define NO_KEY LIN_NO_KEY

/* ===== Values: per key, to small integer ids ===== */

struct vtab {
	const struct history *h;
	struct hist_value *vals;	/* id -> value; 0 is nil */
	uint32_t n, alloc;
	uint32_t *slots;		/* id + 1, 0 = empty */
	size_t nslots;
};

static void vtab_init(struct vtab *t, const struct history *h)
{
	memset(t, 0, sizeof(*t));
	t->h = h;
	t->nslots = 64;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	ALLOC_GROW(t->vals, 1, t->alloc);
	memset(&t->vals[0], 0, sizeof(t->vals[0]));	/* HV_NIL */
	t->n = 1;
}

static void vtab_release(struct vtab *t)
{
	free(t->vals);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint64_t vhash(const struct vtab *t, const struct hist_value *v)
{
	/* A string not in the history (an --init value) has no text. */
	if (v->kind == HV_STR && v->u.str == UINT32_MAX)
		return 0x51ed27;
	return hist_value_hash(t->h, v);
}

static uint32_t vtab_id(struct vtab *t, const struct hist_value *v)
{
	size_t s;

	if (v->kind == HV_NIL)
		return 0;
	if ((size_t)(t->n + 1) * 2 > t->nslots) {
		size_t ns = t->nslots * 2, i;

		free(t->slots);
		t->slots = xcalloc(ns, sizeof(*t->slots));
		t->nslots = ns;
		for (i = 1; i < t->n; i++) {
			s = vhash(t, &t->vals[i]) & (ns - 1);
			while (t->slots[s])
				s = (s + 1) & (ns - 1);
			t->slots[s] = (uint32_t)i + 1;
		}
	}
	s = vhash(t, v) & (t->nslots - 1);
	while (t->slots[s]) {
		uint32_t id = t->slots[s] - 1;

		if (hist_value_eq(t->h, &t->vals[id], v))
			return id;
		s = (s + 1) & (t->nslots - 1);
	}
	ALLOC_GROW(t->vals, t->n + 1, t->alloc);
	t->vals[t->n] = *v;
	t->slots[s] = t->n + 1;
	return t->n++;
}

/* ===== Per-key work ===== */

struct ctx;

struct group {
	uint32_t key;			/* interned key, NO_KEY */
	size_t *inv;			/* invoke positions */
	size_t n;
	/* filled by the worker */
	int err;			/* -NS_E* */
	char *errmsg;
	char *unfit;			/* "FILE:LINE: operation 'add' is not
					   part of the ... model": the key
					   cannot be judged (not an error) */
	size_t ops_total, ops_checked, pruned;
	size_t n_fail, n_info;		/* failed, indeterminate ops */
	size_t n_nil_reads;		/* ok reads of nil left out */
	size_t n_judged;		/* ok reads and cas: ops that can
					   contradict the model */
	struct lin_op *ops;		/* kept only when not linearizable */
	size_t nops, n_ok;
	uint32_t init_id;
	struct vtab vt;			/* kept only when not linearizable */
	struct lin_result res;
};

struct ctx {
	const struct history *h;
	const struct checker_opts *o;
	int cas_allowed;
	struct hist_value init;
	struct group *g;
	size_t ng;
	size_t *order;			/* groups, largest first */
	size_t next;			/* atomic: next in order */
	size_t *all;			/* every group's inv[] */
	struct lin_budget budget;
	int timed;			/* checker__timed(h), -1 until a
					   key's evidence needs it */
};

static int f_is(const char *f, const char *name)
{
	if (*f == ':')
		f++;
	return !strcmp(f, name);
}

static void group_fail(struct group *g, const struct history *h, size_t pos,
		       const char *what)
{
	struct sb m = SB_INIT;

	if (g->errmsg)
		return;
	hist_where(h, pos, &m);
	sb_addf(&m, ": %s", what);
	g->errmsg = sb_detach(&m, NULL);
	g->err = -NS_EINPUT;
}

static void check_group(struct ctx *c, struct group *g)
{
	const struct history *h = c->h;
	struct lin_op *ops = xmalloc((g->n ? g->n : 1) * sizeof(*ops));
	uint8_t *observed, *keep;
	size_t i, nops = 0, n_ok = 0, k;
	struct lin_problem p;
	struct lin_op *sorted;

	vtab_init(&g->vt, h);
	p.init = vtab_id(&g->vt, &c->init);
	g->init_id = p.init;
	for (i = 0; i < g->n; i++) {
		size_t pos = g->inv[i];
		const struct hist_event *inv = &h->ev[pos];
		const struct hist_event *cmp =
		    inv->pair >= 0 ? &h->ev[inv->pair] : NULL;
		const char *f = hist_str(h, inv->f);
		int type = cmp ? cmp->type : HIST_INFO;
		struct lin_op o;

		g->ops_total++;
		memset(&o, 0, sizeof(o));
		o.inv = pos;
		o.info = type != HIST_OK;
		o.ret = o.info ? LIN_NO_RET : (size_t)inv->pair;
		if (f_is(f, "read")) {
			o.kind = LIN_READ;
		} else if (f_is(f, "write")) {
			o.kind = LIN_WRITE;
		} else if (f_is(f, "cas")) {
			if (!c->cas_allowed) {
				group_fail(g, h, pos, "cas operation in a "
					   "'register' history (use the "
					   "cas-register model)");
				break;
			}
			o.kind = LIN_CAS;
		} else {
			/* Not this checker's history (a set's add, a
			   counter's incr): the key cannot be judged.  That
			   is "unknown", as set, session and stale say of a
			   history that is not theirs, not bad input. */
			struct sb m = SB_INIT;

			hist_where(h, pos, &m);
			sb_addf(&m, ": operation '%s' is not part of the %s "
				"model", f, c->cas_allowed ? "cas-register"
				: "register");
			g->unfit = sb_detach(&m, NULL);
			break;
		}
		if (type == HIST_FAIL) {
			g->n_fail++;
			continue;
		}
		if (o.info)
			g->n_info++;
		if (o.kind == LIN_READ) {
			if (o.info) {
				g->pruned++;
				continue;
			}
			if (cmp->value.kind == HV_NIL &&
			    c->o->nil_reads_unknown) {
				g->n_nil_reads++;
				g->pruned++;
				continue;
			}
			o.a = vtab_id(&g->vt, &cmp->value);
			g->n_judged++;
		} else if (o.kind == LIN_WRITE) {
			const struct hist_value *v = &inv->value;

			if (v->kind == HV_NIL && cmp &&
			    cmp->value.kind != HV_NIL)
				v = &cmp->value;
			o.a = vtab_id(&g->vt, v);
		} else {
			const struct hist_value *v = &inv->value;

			if (v->kind != HV_LIST || v->n != 2) {
				group_fail(g, h, pos, "cas value is not a "
					   "list [expected, new]");
				break;
			}
			o.a = vtab_id(&g->vt, hist_list_elem(h, v, 0));
			o.b = vtab_id(&g->vt, hist_list_elem(h, v, 1));
			g->n_judged += !o.info;
		}
		ops[nops++] = o;
	}
	if (g->err || g->unfit) {
		free(ops);
		vtab_release(&g->vt);
		return;
	}

	/* Prune indeterminate writes of values nobody observed. */
	observed = xcalloc(g->vt.n, 1);
	keep = xmalloc(nops ? nops : 1);
	for (i = 0; i < nops; i++) {
		if (ops[i].kind == LIN_READ)
			observed[ops[i].a] = 1;
		else if (ops[i].kind == LIN_CAS)
			observed[ops[i].a] = 1;
	}
	for (i = 0; i < nops; i++) {
		uint32_t nv = ops[i].kind == LIN_CAS ? ops[i].b : ops[i].a;

		keep[i] = !(ops[i].info && ops[i].kind != LIN_READ &&
			    !observed[nv]);
		if (!keep[i])
			g->pruned++;
		else if (!ops[i].info)
			n_ok++;
	}
	/* ok ops first (invoke order), then indeterminate ones. */
	sorted = xmalloc((nops ? nops : 1) * sizeof(*sorted));
	k = 0;
	for (i = 0; i < nops; i++)
		if (keep[i] && !ops[i].info)
			sorted[k++] = ops[i];
	for (i = 0; i < nops; i++)
		if (keep[i] && ops[i].info)
			sorted[k++] = ops[i];
	free(ops);
	free(observed);
	free(keep);

	p.ops = sorted;
	p.n = k;
	p.n_ok = n_ok;
	p.nvals = g->vt.n;
	g->ops_checked = k;
	checker__lin_search(&p, &c->budget, &g->res);
	if (g->res.status == LIN_FAIL) {
		g->ops = sorted;
		g->nops = k;
		g->n_ok = n_ok;
	} else {
		free(sorted);
		vtab_release(&g->vt);
	}
}

static void *worker(void *arg)
{
	struct ctx *c = arg;

	for (;;) {
		size_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);

		if (i >= c->ng)
			break;
		check_group(c, &c->g[c->order[i]]);
	}
	return NULL;
}

/* ===== Splitting the history per key ===== */

static uint32_t key_of(const struct hist_event *e)
{
	return (e->flags & HIST_F_KEY) ? e->key : NO_KEY;
}

static void split_keys(struct ctx *c)
{
	const struct history *h = c->h;
	size_t nslots = 64, i, ng = 0, galloc = 0;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots));
	uint32_t *gof = xmalloc((h->n ? h->n : 1) * sizeof(*gof));
	struct group *g = NULL;
	size_t *all, off;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];
		uint32_t key = key_of(e), hs;
		size_t s;

		if (e->type != HIST_INVOKE || !hist_is_client(e))
			continue;
		hs = key * 2654435761u;
		s = hs & (nslots - 1);
		while (slots[s] && g[slots[s] - 1].key != key)
			s = (s + 1) & (nslots - 1);
		if (!slots[s]) {
			ALLOC_GROW(g, ng + 1, galloc);
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].key = key;
			slots[s] = (uint32_t)++ng;
			if (ng * 2 > nslots) {
				size_t j;

				nslots *= 2;
				free(slots);
				slots = xcalloc(nslots, sizeof(*slots));
				for (j = 0; j < ng; j++) {
					s = (g[j].key * 2654435761u) &
					    (nslots - 1);
					while (slots[s])
						s = (s + 1) & (nslots - 1);
					slots[s] = (uint32_t)j + 1;
				}
			}
			gof[i] = (uint32_t)ng - 1;
		} else {
			gof[i] = slots[s] - 1;
		}
		g[gof[i]].n++;
	}
	all = xmalloc((h->n ? h->n : 1) * sizeof(*all));
	off = 0;
	for (i = 0; i < ng; i++) {
		g[i].inv = all + off;
		off += g[i].n;
		g[i].n = 0;
	}
	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];

		if (e->type != HIST_INVOKE || !hist_is_client(e))
			continue;
		g[gof[i]].inv[g[gof[i]].n++] = i;
	}
	free(gof);
	free(slots);
	c->g = g;
	c->ng = ng;
	c->all = all;
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Sort keys largest first (pairs of size, index) for load balance. */
static int cmp_size_desc(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] > y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : 1;
}

/* ===== The checker ===== */

/* One key that is not linearizable: its anomaly (lin-evidence.c). */
static void report_group(struct ctx *c, struct group *g, struct verdict *v)
{
	struct lin_problem p = {
		.ops = g->ops, .n = g->nops, .n_ok = g->n_ok,
		.init = g->init_id, .nvals = g->vt.n,
	};
	struct lin_evidence ev = {
		.h = c->h, .p = &p, .r = &g->res, .vals = g->vt.vals,
		.key = g->key, .init_text = c->o->init,
		.model = c->cas_allowed ? "cas-register" : "register",
	};

	if (c->timed < 0)
		c->timed = checker__timed(c->h);
	ev.timed = c->timed;
	checker__lin_evidence(&ev, v);
}

/* The model's name: 1 cas-register, 0 register, -NS_EUSAGE unknown. */
static int model_cas(const char *model, struct sb *err)
{
	if (!model || !strcmp(model, "cas-register"))
		return 1;
	if (!strcmp(model, "register"))
		return 0;
	sb_addf(err, "unknown model '%s' (register, cas-register)", model);
	return -NS_EUSAGE;
}

/* The kinds of initial value the models hold. */
static int init_kind_ok(const json_t *j)
{
	return json_is_null(j) || json_is_integer(j) || json_is_boolean(j) ||
	       json_is_string(j);
}

static int lin_validate(const struct checker_opts *o, struct sb *err)
{
	json_error_t je;
	json_t *j;
	int rc = model_cas(o->model, err);

	if (rc < 0 || !o->init)
		return rc < 0 ? rc : 0;
	j = json_loads(o->init, JSON_DECODE_ANY, &je);
	if (!j || !init_kind_ok(j)) {
		sb_addf(err, "initial value '%s': only null, integers, "
			"booleans and strings are supported", o->init);
		json_decref(j);
		return -NS_EUSAGE;
	}
	json_decref(j);
	return 0;
}

static int parse_init(struct ctx *c, struct sb *err)
{
	const char *s = c->o->init;
	json_t *j;
	json_error_t je;

	memset(&c->init, 0, sizeof(c->init));
	if (!s)
		return 0;
	j = json_loads(s, JSON_DECODE_ANY, &je);
	if (!j) {
		sb_addf(err, "initial value '%s' is not JSON: %s", s, je.text);
		return -NS_EUSAGE;
	}
	switch (json_typeof(j)) {
	case JSON_NULL:
		break;
	case JSON_INTEGER:
		c->init.kind = HV_INT;
		c->init.u.i = json_integer_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		c->init.kind = HV_BOOL;
		c->init.u.i = json_is_true(j);
		break;
	case JSON_STRING:
		c->init.kind = HV_STR;
		c->init.u.str = hist_lookup(c->h, json_string_value(j));
		break;
	default:
		sb_addf(err, "initial value '%s': only null, integers, "
			"booleans and strings are supported", s);
		json_decref(j);
		return -NS_EUSAGE;
	}
	json_decref(j);
	return 0;
}

static void budget_summary(struct ctx *c, struct verdict *v, size_t nunk,
			   int kind, uint32_t key)
{
	sb_reset(&v->summary);
	if (kind == 1)
		sb_addf(&v->summary, "time budget of %g s hit",
			c->o->timeout_s);
	else
		sb_addf(&v->summary, "memory budget of %zu MiB hit",
			c->budget.mem_limit >> 20);
	sb_addf(&v->summary, "; %zu of %zu %s undecided", nunk, c->ng,
		sb_plural(c->ng, "key", "keys"));
	if (key != NO_KEY)
		sb_addf(&v->summary, " (first: %s)", hist_str(c->h, key));
}

static int lin_check(const struct history *h, const struct checker_opts *o,
		     struct verdict *v, struct sb *err)
{
	struct ctx c;
	pthread_t *tids;
	int nthreads, i, rc = 0, budget_kind = 0;
	size_t k, nbad = 0, nunk = 0, nunfit = 0;
	const char *unfit = NULL;
	size_t ops_total = 0, ops_checked = 0, pruned = 0;
	size_t n_fail = 0, n_info = 0, n_judged = 0, n_nil = 0;
	uint64_t configs = 0, steps = 0;
	uint32_t unk_key = NO_KEY;
	double t0 = ns_mono_s();
	struct sb bad = SB_INIT;

	memset(&c, 0, sizeof(c));
	c.h = h;
	c.o = o;
	c.timed = -1;
	rc = model_cas(o->model, err);
	if (rc < 0)
		return rc;
	c.cas_allowed = rc;
	rc = 0;
	rc = parse_init(&c, err);
	if (rc)
		return rc;
	c.budget.mem_limit = o->mem_limit ? o->mem_limit : DEFAULT_MEM_LIMIT;
	c.budget.deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0;

	split_keys(&c);
	c.order = xmalloc((c.ng ? c.ng : 1) * 2 * sizeof(*c.order));
	for (k = 0; k < c.ng; k++) {
		c.order[2 * k] = c.g[k].n;
		c.order[2 * k + 1] = k;
	}
	qsort(c.order, c.ng, 2 * sizeof(*c.order), cmp_size_desc);
	for (k = 0; k < c.ng; k++)
		c.order[k] = c.order[2 * k + 1];

	nthreads = o->threads > 0 ? o->threads : ncpus();
	if ((size_t)nthreads > c.ng)
		nthreads = c.ng ? (int)c.ng : 1;
	tids = xmalloc((size_t)nthreads * sizeof(*tids));
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&tids[i], NULL, worker, &c)) {
			nthreads = i;
			break;
		}
	worker(&c);
	for (i = 1; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	free(tids);

	for (k = 0; k < c.ng; k++) {
		struct group *g = &c.g[k];

		if (g->err && !rc) {
			sb_adds(err, g->errmsg);
			rc = g->err;
		}
		ops_total += g->ops_total;
		ops_checked += g->ops_checked;
		pruned += g->pruned;
		n_fail += g->n_fail;
		n_info += g->n_info;
		n_judged += g->n_judged;
		n_nil += g->n_nil_reads;
		configs += g->res.configs;
		steps += g->res.steps;
	}
	for (k = 0; !rc && k < c.ng; k++) {
		struct group *g = &c.g[k];

		if (g->unfit) {
			if (!nunfit++)
				unfit = g->unfit;
			continue;
		}
		if (g->res.status == LIN_FAIL) {
			if (nbad < 5)
				sb_addf(&bad, "%s%s", nbad ? ", " : "",
					g->key == NO_KEY ? "(no key)"
					: hist_str(h, g->key));
			nbad++;
			report_group(&c, g, v);
		} else if (g->res.status == LIN_BUDGET) {
			if (!nunk) {
				unk_key = g->key;
				budget_kind = g->res.budget_kind;
			}
			nunk++;
		}
	}
	if (!rc) {
		double dt = ns_mono_s() - t0;

		json_object_set_new(v->stats, "ops", json_integer(
			(json_int_t)ops_total));
		json_object_set_new(v->stats, "ops_checked", json_integer(
			(json_int_t)ops_checked));
		json_object_set_new(v->stats, "ops_pruned", json_integer(
			(json_int_t)pruned));
		json_object_set_new(v->stats, "ops_judged", json_integer(
			(json_int_t)n_judged));
		json_object_set_new(v->stats, "keys",
				    json_integer((json_int_t)c.ng));
		json_object_set_new(v->stats, "keys_invalid",
				    json_integer((json_int_t)nbad));
		json_object_set_new(v->stats, "keys_unknown",
				    json_integer((json_int_t)nunk));
		json_object_set_new(v->stats, "keys_unfit",
				    json_integer((json_int_t)nunfit));
		json_object_set_new(v->stats, "configurations",
				    json_integer((json_int_t)configs));
		json_object_set_new(v->stats, "steps",
				    json_integer((json_int_t)steps));
		json_object_set_new(v->stats, "time_s", json_real(dt));
		json_object_set_new(v->stats, "mem_peak_bytes", json_integer(
			(json_int_t)c.budget.mem_peak));
		json_object_set_new(v->stats, "threads",
				    json_integer(nthreads));
		sb_reset(&v->summary);
		if (nbad && c.ng == 1 && c.g[0].key == NO_KEY) {
			sb_addf(&v->summary, "not linearizable (%s)",
				c.cas_allowed ? "cas-register" : "register");
		} else if (nbad) {
			sb_addf(&v->summary, "not linearizable: %zu of %zu "
				"%s (%s%s)", nbad, c.ng,
				sb_plural(c.ng, "key", "keys"), bad.buf,
				nbad > 5 ? ", ..." : "");
			if (nunk)
				sb_addf(&v->summary,
					"; %zu undecided (budget)", nunk);
			if (nunfit)
				sb_addf(&v->summary, "; %zu not judged (%s)",
					nunfit, unfit);
		} else if (nunfit) {
			/* the history (or part of it) is not a register's */
			v->kind = VERDICT_UNKNOWN;
			sb_addf(&v->summary, "%zu of %zu %s not judged: %s; "
				"this checker reads read, write and cas "
				"(add histories: --checker set)", nunfit,
				c.ng, sb_plural(c.ng, "key", "keys"), unfit);
		} else if (nunk) {
			v->kind = VERDICT_UNKNOWN;
			budget_summary(&c, v, nunk, budget_kind, unk_key);
		} else if (!n_judged) {
			/* No op could contradict the model: "valid" would
			 * claim a check that never happened. */
			v->kind = VERDICT_UNKNOWN;
			sb_addf(&v->summary, "no ok read or cas to check "
				"(%zu client op%s: %zu failed, %zu "
				"indeterminate, %zu ok write%s", ops_total,
				ops_total == 1 ? "" : "s", n_fail, n_info,
				ops_total - n_fail - n_info - n_nil,
				ops_total - n_fail - n_info - n_nil == 1 ?
				"" : "s");
			if (n_nil)
				sb_addf(&v->summary, ", %zu read%s of nil "
					"left out (--nil-reads-unknown)", n_nil,
					n_nil == 1 ? "" : "s");
			sb_adds(&v->summary, "): nothing to judge");
		} else {
			sb_addf(&v->summary, "linearizable (%s): %zu %s over "
				"%zu %s, %llu %s, %.3f s",
				c.cas_allowed ? "cas-register" : "register",
				ops_total, sb_plural(ops_total, "op", "ops"),
				c.ng, sb_plural(c.ng, "key", "keys"),
				(unsigned long long)configs,
				sb_plural(configs, "configuration",
					  "configurations"), dt);
		}
	}

	for (k = 0; k < c.ng; k++) {
		free(c.g[k].errmsg);
		free(c.g[k].unfit);
		free(c.g[k].ops);
		if (c.g[k].vt.slots)
			vtab_release(&c.g[k].vt);
		checker__lin_result_release(&c.g[k].res);
	}
	free(c.all);
	free(c.g);
	free(c.order);
	sb_release(&bad);
	return rc;
}

const struct checker_type checker_linearizable = {
	.name = "linearizable",
	.help = "linearizability of a register or CAS register, per key "
		"(--model register|cas-register, --init VALUE)",
	.opts = CHECKER_OPT_MODEL | CHECKER_OPT_INIT | CHECKER_OPT_NIL_READS |
		CHECKER_OPT_TIMEOUT,
	.validate = lin_validate,
	.check = lin_check,
};
