/*
 * histbuild.h - build small histories in unit tests, by hand: invoke and
 * complete ops, pairing them as the readers would (hist_pair is the
 * readers' job; these tests do not depend on it).
 *
 * Times are given in milliseconds and stored as ns.  Each function is
 * static: include this header from a test file only.
 *
 * Ownership: values built with hb_list() live in the history's vals[];
 * the history owns everything, release it with hist_release().
 */
#ifndef NS_HISTBUILD_H
#define NS_HISTBUILD_H

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "checkers/checker.h"
#include "history.h"

static inline struct hist_value hb_int(int64_t i)
{
	struct hist_value v = { .kind = HV_INT, .u.i = i };

	return v;
}

static inline struct hist_value hb_nil(void)
{
	struct hist_value v = { .kind = HV_NIL };

	return v;
}

/* A list of n integers. */
static inline struct hist_value hb_list(struct history *h, size_t n, ...)
{
	struct hist_value v = { .kind = HV_LIST, .n = (uint32_t)n };
	va_list ap;
	size_t i;

	v.u.off = hist_alloc_vals(h, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		h->vals[v.u.off + i] = hb_int(va_arg(ap, int));
	va_end(ap);
	return v;
}

/* Invoke f by process (session = process unless set later). */
static inline size_t hb_inv(struct history *h, int64_t process,
			    const char *f, struct hist_value v, double t_ms)
{
	struct hist_event e;

	memset(&e, 0, sizeof(e));
	e.time = (int64_t)(t_ms * 1e6);
	e.process = process;
	e.session = process;
	e.value = v;
	e.pair = -1;
	e.f = hist_intern(h, f, strlen(f));
	e.type = HIST_INVOKE;
	return hist_append(h, &e);
}

/* Complete the invoke at inv with type and value. */
static inline size_t hb_done(struct history *h, size_t inv,
			     enum hist_type type, struct hist_value v,
			     double t_ms)
{
	struct hist_event e = h->ev[inv];
	size_t pos;

	e.time = (int64_t)(t_ms * 1e6);
	e.type = (uint8_t)type;
	e.value = v;
	e.flags &= (uint8_t)~HIST_F_VERSION;
	pos = hist_append(h, &e);
	h->ev[pos].pair = (int64_t)inv;
	h->ev[inv].pair = (int64_t)pos;
	return pos;
}

/* A whole op; returns the invoke's position. */
static inline size_t hb_op(struct history *h, int64_t process, const char *f,
			   struct hist_value inv_v, enum hist_type type,
			   struct hist_value done_v, double t0, double t1)
{
	size_t inv = hb_inv(h, process, f, inv_v, t0);

	hb_done(h, inv, type, done_v, t1);
	return inv;
}

/* Set the key of the op at inv (both events). */
static inline void hb_key(struct history *h, size_t inv, const char *key)
{
	uint32_t k = hist_intern(h, key, strlen(key));

	h->ev[inv].key = k;
	h->ev[inv].flags |= HIST_F_KEY;
	if (h->ev[inv].pair >= 0) {
		h->ev[h->ev[inv].pair].key = k;
		h->ev[h->ev[inv].pair].flags |= HIST_F_KEY;
	}
}

/* Set the session of the op at inv (both events). */
static inline void hb_session(struct history *h, size_t inv, int64_t s)
{
	h->ev[inv].session = s;
	h->ev[inv].flags |= HIST_F_SESSION;
	if (h->ev[inv].pair >= 0)
		h->ev[h->ev[inv].pair].session = s;
}

/* Set the version of the op's completion. */
static inline void hb_version(struct history *h, size_t inv, int64_t ver)
{
	size_t c = (size_t)h->ev[inv].pair;

	h->ev[c].version = ver;
	h->ev[c].flags |= HIST_F_VERSION;
}

/* Mark the op at inv final (both events). */
static inline void hb_final(struct history *h, size_t inv)
{
	h->ev[inv].flags |= HIST_F_FINAL;
	if (h->ev[inv].pair >= 0)
		h->ev[h->ev[inv].pair].flags |= HIST_F_FINAL;
}

/* A nemesis op: invoke then info, both at t_ms. */
static inline size_t hb_nemesis(struct history *h, const char *f,
				const char *value, double t_ms)
{
	struct hist_value v = hb_nil();
	size_t inv;

	if (value) {
		v.kind = HV_STR;
		v.u.str = hist_intern(h, value, strlen(value));
	}
	inv = hb_inv(h, HIST_NEMESIS, f, hb_nil(), t_ms);
	hb_done(h, inv, HIST_INFO, v, t_ms);
	return inv;
}

/*
 * Run checker name over h into v (verdict_init'ed here); returns the
 * verdict's JSON text (caller frees) for CHECK_CONTAINS.
 */
static inline char *hb_check(const struct history *h, const char *name,
			     const struct checker_opts *o, struct verdict *v)
{
	const struct checker_type *t = checker_find(name);
	struct checker_opts none;
	struct sb err = SB_INIT;
	json_t *j;
	char *s;

	memset(&none, 0, sizeof(none));
	if (!t)
		return NULL;
	verdict_init(v, t->name);
	if (checker_check(t, h, o ? o : &none, v, &err)) {
		sb_release(&err);
		return NULL;
	}
	sb_release(&err);
	j = verdict_json(h, v);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* The stats member name of v as an integer (-1 if absent). */
static inline long long hb_stat(const struct verdict *v, const char *name)
{
	json_t *x = json_object_get(v->stats, name);

	return x && json_is_integer(x) ? (long long)json_integer_value(x) : -1;
}

/* Number of anomalies of kind in v (those kept). */
static inline size_t hb_count(const struct verdict *v, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		n += !strcmp(v->anomalies[i].kind, kind);
	return n;
}

/* The first anomaly of kind, or NULL. */
static inline const struct anomaly *hb_find(const struct verdict *v,
					    const char *kind)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!strcmp(v->anomalies[i].kind, kind))
			return &v->anomalies[i];
	return NULL;
}

#endif
