/*
 * lin-evidence.c - the evidence for a key that is not linearizable: the
 * smallest window of operations that shows why, as a sentence and as the
 * anomaly's JSON detail.
 *
 * Input: one key's problem (lin.h), the search's result (the longest
 * linearizable prefix it found and the state after it) and the value ids'
 * values.  The op that could not be placed is the pending `ok` op that
 * completed first.  The prefix is cut at its first `ok` op that could
 * also go after that op (it did not complete before the op's invoke); the
 * model replays the prefix up to the cut, and the window is every op not
 * in the shortened prefix that was invoked before the blocked op
 * completed: those could still take effect before it.
 *
 * States.  The states the register can hold when the blocked op could
 * take effect come from every real-time order of the window (exact_states:
 * a memoised search over subsets of the window, for windows of at most 64
 * ops and at most EX_BUDGET configurations); past those bounds, an
 * over-approximation (any window op, any number of times, until nothing
 * new is reached).  A read or cas whose value is not among those states
 * is "blocked alone"; otherwise no order of the window works.
 *
 * Output: one "nonlinearizable" anomaly whose ops are the blocked op, the
 * op that set the state and up to WINDOW_SHOWN window ops; its detail
 * holds model, blocked, prefix_length, prefix (the last PREFIX_SHOWN ops),
 * prefix_truncated, state, states (at most STATES_SHOWN), concurrent and
 * configurations (docs/checkers.md describes each field).
 *
 * Cost: O(window x values) for the over-approximation; the exact search
 * is bounded by EX_BUDGET configurations.  Only keys found invalid get
 * here, so it never slows a valid check.
 */
#include "checker.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checker-util.h"
#include "lin.h"

#define PREFIX_SHOWN 100	/* last prefix ops listed in detail */
#define STATES_SHOWN 16
#define WINDOW_SHOWN 10

/* A value as evidence shows it (shortened): JSON text, or (sentence set)
   text for a sentence. */
static void value_show(const struct lin_evidence *ev, uint32_t id,
		       int sentence, struct sb *out)
{
	const struct hist_value *v = &ev->vals[id];

	if (v->kind == HV_STR && v->u.str == UINT32_MAX)
		sb_adds(out, ev->init_text);
	else if (sentence)
		hist_value_show(ev->h, v, 0, out);
	else
		hist_value_json_show(ev->h, v, out);
}

static void value_text(const struct lin_evidence *ev, uint32_t id,
		       struct sb *out)
{
	value_show(ev, id, 1, out);
}

static json_t *value_json(const struct lin_evidence *ev, uint32_t id)
{
	struct sb s = SB_INIT;
	json_t *j;

	value_show(ev, id, 0, &s);
	j = json_loadb(s.buf, s.len, JSON_DECODE_ANY, NULL);
	if (!j)
		j = json_string(s.buf);
	sb_release(&s);
	return j;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void describe_op(const struct lin_evidence *ev,
			const struct lin_op *o, struct sb *s)
{
	const struct history *h = ev->h;
	const struct hist_event *inv = &h->ev[o->inv];

	sb_adds(s, o->kind == LIN_READ ? "read" : o->kind == LIN_WRITE
		? "write" : "cas");
	if (ev->key != LIN_NO_KEY)
		sb_addf(s, " of %s", hist_str(h, ev->key));
	sb_addf(s, " by process %lld", (long long)inv->process);
	switch (o->kind) {
	case LIN_READ:
		sb_adds(s, " returned ");
		value_text(ev, o->a, s);
		break;
	case LIN_WRITE:
		sb_adds(s, " of ");
		value_text(ev, o->a, s);
		sb_adds(s, " completed");
		break;
	default:
		sb_adds(s, " from ");
		value_text(ev, o->a, s);
		sb_adds(s, " to ");
		value_text(ev, o->b, s);
		sb_adds(s, " succeeded");
		break;
	}
	/* When it returned; without times (a jepsen.log, most EDN) where
	   it is written, as the other checkers cite ops */
	if (o->ret != LIN_NO_RET)
		checker__at(h, ev->timed, o->ret, s);
}

/*
 * The states the register can hold when op x could take effect, after
 * the prefix that left state st: every order of the ops in win (those
 * that may still go before x) that respects real time, up to the point
 * where all of them that completed before x was invoked are placed.  An
 * exhaustive search over subsets of the window, memoised; returns 0
 * (caller over-approximates) for windows over 64 ops or over EX_BUDGET
 * configurations.
 */
#define EX_BUDGET 200000

struct ex {
	const struct lin_op *ops;
	const size_t *win;
	size_t nwin, used, slots;
	uint64_t must, *pred, *seen_m;
	uint32_t *seen_s;
	uint8_t *reach;
	int overflow;
};

static int ex_insert(struct ex *e, uint64_t m, uint32_t st)
{
	size_t i;

	if ((e->used + 1) * 2 > e->slots) {
		size_t ns = e->slots * 2, j, k;
		uint64_t *nm = xcalloc(ns, sizeof(*nm));
		uint32_t *nss = xcalloc(ns, sizeof(*nss));

		for (j = 0; j < e->slots; j++) {
			if (!e->seen_s[j])
				continue;
			k = (size_t)((e->seen_m[j] * 0x9e3779b97f4a7c15ULL) ^
				     ((e->seen_s[j] - 1) * 0x85ebca6bU)) &
			    (ns - 1);
			while (nss[k])
				k = (k + 1) & (ns - 1);
			nm[k] = e->seen_m[j];
			nss[k] = e->seen_s[j];
		}
		free(e->seen_m);
		free(e->seen_s);
		e->seen_m = nm;
		e->seen_s = nss;
		e->slots = ns;
	}
	i = (size_t)((m * 0x9e3779b97f4a7c15ULL) ^ (st * 0x85ebca6bU)) &
	    (e->slots - 1);
	while (e->seen_s[i]) {
		if (e->seen_m[i] == m && e->seen_s[i] == st + 1)
			return 0;
		i = (i + 1) & (e->slots - 1);
	}
	if (++e->used > EX_BUDGET) {
		e->overflow = 1;
		return 0;
	}
	e->seen_m[i] = m;
	e->seen_s[i] = st + 1;
	return 1;
}

static void ex_dfs(struct ex *e, uint64_t m, uint32_t st)
{
	size_t i;

	if (e->overflow || !ex_insert(e, m, st))
		return;
	if ((m & e->must) == e->must)
		e->reach[st] = 1;
	for (i = 0; i < e->nwin; i++) {
		uint32_t ns;

		if ((m >> i & 1) || (e->pred[i] & ~m) ||
		    !checker__lin_step(&e->ops[e->win[i]], st, &ns))
			continue;
		ex_dfs(e, m | (uint64_t)1 << i, ns);
	}
}

static int exact_states(const struct lin_problem *p, const size_t *win,
			size_t nwin, size_t x, uint32_t st, uint8_t *reach)
{
	struct ex e;
	size_t i, j;

	if (nwin > 64)
		return 0;
	memset(&e, 0, sizeof(e));
	e.ops = p->ops;
	e.win = win;
	e.nwin = nwin;
	e.reach = reach;
	e.pred = xcalloc(nwin ? nwin : 1, sizeof(*e.pred));
	e.slots = 64;
	e.seen_m = xcalloc(e.slots, sizeof(*e.seen_m));
	e.seen_s = xcalloc(e.slots, sizeof(*e.seen_s));
	for (i = 0; i < nwin; i++) {
		const struct lin_op *o = &p->ops[win[i]];

		if (o->ret != LIN_NO_RET && o->ret < p->ops[x].inv)
			e.must |= (uint64_t)1 << i;
		for (j = 0; j < nwin; j++) {
			const struct lin_op *q = &p->ops[win[j]];

			if (j != i && q->ret != LIN_NO_RET && q->ret < o->inv)
				e.pred[i] |= (uint64_t)1 << j;
		}
	}
	ex_dfs(&e, 0, st);
	free(e.pred);
	free(e.seen_m);
	free(e.seen_s);
	if (e.overflow)
		memset(reach, 0, p->nvals);
	return !e.overflow;
}

void checker__lin_evidence(const struct lin_evidence *ev, struct verdict *v)
{
	const struct lin_problem *p = ev->p;
	const struct lin_result *r = ev->r;
	uint8_t *lin = xcalloc(p->n ? p->n : 1, 1);
	uint8_t *reach = xcalloc(p->nvals, 1);
	size_t i, x = SIZE_MAX, nwin = 0, nstates = 0, nops_a = 0;
	size_t *win = xmalloc((p->n + 2) * sizeof(*win));
	size_t *aops = xmalloc((WINDOW_SHOWN + 2) * sizeof(*aops));
	struct sb text = SB_INIT, states = SB_INIT;
	json_t *detail = json_object(), *arr, *sarr;
	long last_set = -1;
	int changed, blocked_alone = 0, exact;
	size_t cut, nreach = 0;
	uint32_t st;
	struct anomaly *a;

	for (i = 0; i < r->best_len; i++)
		lin[r->best[i]] = 1;
	/* The pending ok op that completed first could not be placed. */
	for (i = 0; i < p->n_ok; i++)
		if (!lin[i] &&
		    (x == SIZE_MAX || p->ops[i].ret < p->ops[x].ret))
			x = i;
	/* The state it could see: cut the prefix at its first ok op that
	   may also go after x (not completed before x was invoked), replay
	   the model up to there, then every order of the ops that could
	   still go before x (exact_states; when the window is too large, an
	   over-approximation: any of them, each any number of times).
	   Indeterminate ops before the cut stay where the search put them. */
	for (cut = 0; cut < r->best_len; cut++) {
		const struct lin_op *o = &p->ops[r->best[cut]];

		if (o->ret != LIN_NO_RET && o->ret > p->ops[x].inv)
			break;
	}
	st = p->init;
	for (i = 0; i < cut; i++)
		checker__lin_step(&p->ops[r->best[i]], st, &st);
	for (i = cut; i < r->best_len; i++)
		lin[r->best[i]] = 0;
	for (i = 0; i < p->n; i++)
		if (!lin[i] && i != x && p->ops[i].inv < p->ops[x].ret)
			win[nwin++] = i;
	exact = exact_states(p, win, nwin, x, st, reach);
	if (!exact)
		reach[st] = 1;
	while (!exact) {
		changed = 0;
		for (i = 0; i < nwin; i++) {
			size_t s;

			for (s = 0; s < p->nvals; s++) {
				uint32_t ns;

				if (reach[s] &&
				    checker__lin_step(&p->ops[win[i]],
						      (uint32_t)s, &ns) &&
				    !reach[ns]) {
					reach[ns] = 1;
					changed = 1;
				}
			}
		}
		if (!changed)
			break;
	}
	for (i = 0; i < p->nvals; i++)
		nreach += reach[i];
	sarr = json_array();
	for (i = 0; i < p->nvals; i++) {
		if (!reach[i])
			continue;
		if (nstates < STATES_SHOWN) {
			if (nstates)
				sb_adds(&states, nstates + 1 == nreach ||
					nstates + 1 == STATES_SHOWN
					? " or " : ", ");
			value_text(ev, (uint32_t)i, &states);
			json_array_append_new(sarr, value_json(ev,
							       (uint32_t)i));
		}
		nstates++;
	}
	if (nstates > STATES_SHOWN)
		sb_addf(&states, " (and %zu more)", nstates - STATES_SHOWN);
	{
		const struct lin_op *o = &p->ops[x];
		uint32_t need = o->a;

		if ((o->kind == LIN_READ || o->kind == LIN_CAS) &&
		    !reach[need])
			blocked_alone = 1;
	}

	describe_op(ev, &p->ops[x], &text);
	if (blocked_alone)
		sb_addf(&text, ", but the register could only be %s at that "
			"point (after the longest linearizable prefix of %zu "
			"%s)", states.buf, r->best_len,
			sb_plural(r->best_len, "operation", "operations"));
	else
		sb_addf(&text, ", but no order of it and the %zu %s that "
			"could still take effect before it can follow the "
			"longest linearizable prefix of %zu %s (the register "
			"could be %s at that point)", nwin,
			sb_plural(nwin, "operation", "operations"),
			r->best_len,
			sb_plural(r->best_len, "operation", "operations"),
			states.buf);

	/* Ops: the blocked one, the one that set the state, the window. */
	aops[nops_a++] = p->ops[x].inv;
	for (i = cut; i-- > 0;)
		if (p->ops[r->best[i]].kind != LIN_READ) {
			last_set = (long)r->best[i];
			break;
		}
	if (last_set >= 0)
		aops[nops_a++] = p->ops[last_set].inv;
	for (i = 0; i < nwin && nops_a < WINDOW_SHOWN; i++)
		aops[nops_a++] = p->ops[win[i]].inv;
	qsort(aops + 1, nops_a - 1, sizeof(*aops), cmp_size);

	a = verdict_add(v, "nonlinearizable", aops, nops_a, ev->key, "%s",
			text.buf);

	json_object_set_new(detail, "model", json_string(ev->model));
	json_object_set_new(detail, "blocked",
			    json_integer((json_int_t)p->ops[x].inv));
	json_object_set_new(detail, "prefix_length",
			    json_integer((json_int_t)r->best_len));
	arr = json_array();
	for (i = r->best_len > PREFIX_SHOWN ? r->best_len - PREFIX_SHOWN : 0;
	     i < r->best_len; i++)
		json_array_append_new(arr, json_integer(
			(json_int_t)p->ops[r->best[i]].inv));
	json_object_set_new(detail, "prefix", arr);
	json_object_set_new(detail, "prefix_truncated",
			    json_boolean(r->best_len > PREFIX_SHOWN));
	json_object_set_new(detail, "state",
			    value_json(ev, r->best_state));
	json_object_set_new(detail, "states", sarr);
	arr = json_array();
	for (i = 0; i < nwin; i++)
		json_array_append_new(arr, json_integer(
			(json_int_t)p->ops[win[i]].inv));
	json_object_set_new(detail, "concurrent", arr);
	json_object_set_new(detail, "configurations",
			    json_integer((json_int_t)r->configs));
	json_decref(a->detail);
	a->detail = detail;

	sb_release(&text);
	sb_release(&states);
	free(aops);
	free(win);
	free(reach);
	free(lin);
}
