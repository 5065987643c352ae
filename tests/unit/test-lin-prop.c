/*
 * Property test of the linearizability checker against a brute-force
 * oracle, over many thousands of random small concurrent histories (up to
 * 8 operations, with fail and info operations, both models, one or two
 * keys, initial value nil or 0, both nil-read conventions).
 *
 * The oracle shares no code with the checker: it keeps its own list of
 * operations (from the generator, not from the history) and tries every
 * order that respects real time, with every choice of which indeterminate
 * operations happen, by depth-first enumeration without memoisation.
 */
#include "test.h"

#include <limits.h>
#include <time.h>

#include "lin-build.h"

#define ONIL (-1)
#define MAXOPS 8

enum { O_READ, O_WRITE, O_CAS };

struct pop {
	int kind, a, b;		/* read: a = value read */
	int ok;			/* 1 ok, 0 indeterminate */
	int inv, ret;		/* history positions; ret INT_MAX if info */
	int key;
};

struct orng {
	uint64_t s;
};

static uint32_t rnd(struct orng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)((r->s >> 33) % n);
}

/* ===== The oracle ===== */

static int oracle_dfs(const struct pop *ops, int n, unsigned placed,
		      int state, int nil_any)
{
	int i, j;

	for (i = 0; i < n; i++)
		if (ops[i].ok && !(placed >> i & 1))
			break;
	if (i == n)
		return 1;	/* every ok op placed; the rest never ran */
	for (i = 0; i < n; i++) {
		int legal, ns = state;

		if (placed >> i & 1)
			continue;
		/* Every ok op that returned before i was invoked goes first. */
		for (j = 0; j < n; j++)
			if (j != i && !(placed >> j & 1) && ops[j].ok &&
			    ops[j].ret < ops[i].inv)
				break;
		if (j < n)
			continue;
		switch (ops[i].kind) {
		case O_READ:
			legal = !ops[i].ok || state == ops[i].a ||
				(nil_any && ops[i].a == ONIL);
			break;
		case O_WRITE:
			legal = 1;
			ns = ops[i].a;
			break;
		default:
			legal = state == ops[i].a;
			ns = ops[i].b;
			break;
		}
		if (legal && oracle_dfs(ops, n, placed | 1u << i, ns, nil_any))
			return 1;
	}
	return 0;
}

static int oracle(const struct pop *all, int n, int nkeys, int init,
		  int nil_any)
{
	struct pop sub[MAXOPS];
	int k, i, m;

	for (k = 0; k < nkeys; k++) {
		for (i = m = 0; i < n; i++)
			if (all[i].key == k)
				sub[m++] = all[i];
		if (!oracle_dfs(sub, m, 0, init, nil_any))
			return 0;
	}
	return 1;
}

/* Whether some op could contradict a register: an ok read (other than
 * a read of nil when nil says nothing) or an ok cas.  Without one the
 * checker says "unknown" (nothing to judge). */
static int judgeable(const struct pop *ops, int n, int nil_any)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!ops[i].ok || ops[i].kind == O_WRITE)
			continue;
		if (ops[i].kind == O_READ && nil_any && ops[i].a == ONIL)
			continue;
		return 1;
	}
	return 0;
}

/* 1 valid, 0 invalid, -1 nothing to judge. */
static int want_kind(int want)
{
	return want > 0 ? VERDICT_VALID : want < 0 ? VERDICT_UNKNOWN
						   : VERDICT_INVALID;
}

/* ===== The generator ===== */

static const char *const key_names[] = { "a", "b" };

/*
 * A random history: processes invoke and complete operations in random
 * interleavings, read results mostly follow a simulated register (so both
 * verdicts are common), and outcomes are ok, fail or info (after info the
 * process continues under a new id).  Fills ops (the ops that did not
 * fail) and returns how many.
 */
static int gen(struct orng *r, struct history *h, struct pop *ops,
	       int cas_model, int nkeys, int init)
{
	int nproc = 1 + (int)rnd(r, 4), total = 1 + (int)rnd(r, MAXOPS);
	int pid[4], pend[4], kind[4], va[4], vb[4], key[4], truth[2];
	int started = 0, n = 0, k, busy = 0;
	size_t inv_pos[4];

	for (k = 0; k < 4; k++) {
		pid[k] = k;
		pend[k] = 0;
	}
	truth[0] = truth[1] = init;
	while (started < total || busy) {
		k = (int)rnd(r, (uint32_t)nproc);
		if (!pend[k]) {
			struct hist_value v = lb_val(LB_NIL);
			const char *f;

			if (started == total)
				continue;
			started++;
			kind[k] = (int)rnd(r, cas_model ? 3 : 2);
			va[k] = (int)rnd(r, 3);
			vb[k] = (int)rnd(r, 3);
			key[k] = (int)rnd(r, (uint32_t)nkeys);
			f = kind[k] == O_READ ? "read"
			    : kind[k] == O_WRITE ? "write" : "cas";
			if (kind[k] == O_WRITE)
				v = lb_val(va[k]);
			else if (kind[k] == O_CAS)
				v = lb_cas(h, va[k], vb[k]);
			inv_pos[k] = lb_invoke(h, pid[k], f, v,
					       nkeys > 1 ? key_names[key[k]]
					       : NULL);
			pend[k] = 1;
			busy++;
			continue;
		}
		/* Complete (or, rarely, leave pending forever at the end). */
		{
			uint32_t out = rnd(r, 100);
			int type = out < 75 ? HIST_OK : out < 87 ? HIST_FAIL
				   : HIST_INFO, rv = ONIL, *t = &truth[key[k]];
			struct pop *o = &ops[n];
			size_t cpos = 0;

			if (started == total && rnd(r, 10) == 0)
				type = -1;	/* never completes */
			switch (kind[k]) {
			case O_READ:
				rv = rnd(r, 10) < 7 ? *t
				     : (int)rnd(r, 4) - 1;
				break;
			case O_WRITE:
				if (type == HIST_OK ||
				    (type != HIST_FAIL && rnd(r, 2)))
					*t = va[k];
				break;
			default:
				if (type == HIST_OK && *t != va[k] &&
				    rnd(r, 2))
					type = HIST_FAIL;
				if (type != HIST_FAIL && *t == va[k])
					*t = vb[k];
				break;
			}
			if (type >= 0) {
				struct hist_value v = lb_val(LB_NIL);

				if (kind[k] == O_READ && type == HIST_OK)
					v = lb_val(rv == ONIL ? LB_NIL : rv);
				else if (kind[k] == O_WRITE)
					v = lb_val(va[k]);
				else if (kind[k] == O_CAS)
					v = lb_cas(h, va[k], vb[k]);
				cpos = lb_complete(h, inv_pos[k], type, v);
			}
			if (type != HIST_FAIL) {
				o->kind = kind[k];
				o->a = kind[k] == O_READ ? rv : va[k];
				o->b = vb[k];
				o->ok = type == HIST_OK;
				o->inv = (int)inv_pos[k];
				o->ret = o->ok ? (int)cpos : INT_MAX;
				o->key = key[k];
				n++;
			}
			if (type == HIST_INFO || type < 0)
				pid[k] += 10;
			pend[k] = 0;
			busy--;
		}
	}
	return n;
}

static void run_property(uint64_t seed, int cases, int *nvalid,
			 int *ninvalid)
{
	struct orng r = { seed };
	int i;

	for (i = 0; i < cases; i++) {
		struct history h;
		struct verdict v;
		struct checker_opts o;
		struct sb err = SB_INIT;
		struct pop ops[MAXOPS];
		int cas_model = (int)rnd(&r, 2);
		int nkeys = rnd(&r, 4) == 0 ? 2 : 1;
		int init = rnd(&r, 2) ? 0 : ONIL;
		int nil_any = rnd(&r, 5) == 0;
		int n, want, got;

		hist_init(&h);
		n = gen(&r, &h, ops, cas_model, nkeys, init);
		want = oracle(ops, n, nkeys, init, nil_any);
		if (want && !judgeable(ops, n, nil_any))
			want = -1;	/* nothing to judge: unknown */
		memset(&o, 0, sizeof(o));
		o.model = cas_model ? "cas-register" : "register";
		o.init = init == ONIL ? NULL : "0";
		o.nil_reads_unknown = nil_any;
		o.threads = 1;
		verdict_init(&v, "linearizable");
		got = checker_check(checker_find("linearizable"), &h, &o, &v,
				    &err);
		if (got || (int)v.kind != want_kind(want)) {
			struct sb dump = SB_INIT;
			size_t e;

			for (e = 0; e < h.n; e++)
				hist_event_json(&h, e, &dump);
			fprintf(stderr, "case %d (seed %llu): oracle says %s, "
				"checker %s (rc %d, %s) init %d nil_any %d\n%s",
				i, (unsigned long long)seed,
				verdict_name(want_kind(want)),
				verdict_name(v.kind), got, err.buf, init,
				nil_any, dump.buf);
			sb_release(&dump);
		}
		CHECK_EQ_INT(got, 0);
		CHECK_EQ_INT(v.kind, want_kind(want));
		if (!want) {
			size_t k;
			int is_inv = 0;

			CHECK(v.n >= 1);
			CHECK_EQ_STR(v.anomalies[0].kind, "nonlinearizable");
			CHECK(v.anomalies[0].nops >= 1);
			/* The blocked op is an ok op's invoke. */
			for (k = 0; k < (size_t)n; k++)
				if (ops[k].ok &&
				    (size_t)ops[k].inv == v.anomalies[0].ops[0])
					is_inv = 1;
			CHECK(is_inv);
			CHECK(v.anomalies[0].detail);
		}
		if (want > 0)
			(*nvalid)++;
		else if (!want)
			(*ninvalid)++;
		verdict_release(&v);
		sb_release(&err);
		hist_release(&h);
	}
}

TEST_T(lin_property_vs_oracle, 120)
{
	int nvalid = 0, ninvalid = 0;

	run_property(12345, 12000, &nvalid, &ninvalid);
	/* Both verdicts must be well represented, or the test proves
	   little. */
	CHECK(nvalid > 2500);
	CHECK(ninvalid > 2500);
}

TEST_T(lin_property_vs_oracle_other_seed, 120)
{
	int nvalid = 0, ninvalid = 0;

	run_property((uint64_t)time(NULL), 4000, &nvalid, &ninvalid);
	CHECK(nvalid > 400);
	CHECK(ninvalid > 400);
}
