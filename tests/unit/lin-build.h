/*
 * lin-build.h - building register histories in memory for the
 * linearizability checker's unit tests (test-lin-*.c).
 *
 * lb_invoke()/lb_complete() append events and set `pair` themselves (the
 * readers do that for files).  lb_parse() builds a history from a compact
 * text, one event per ';' or newline:
 *     PROCESS TYPE F [VALUE] [@KEY]
 * e.g. "1 invoke write 3; 1 ok write 3; 2 invoke read; 2 ok read 3".
 * VALUE is an integer, "nil", or "E,N" for a cas; a completion pairs with
 * the pending invoke of its process; PROCESS "n" is the nemesis.  Event i
 * gets time i ms.
 *
 * Ownership: the caller owns the history (hist_release()).
 */
#ifndef NS_LIN_BUILD_H
#define NS_LIN_BUILD_H

#include <stdlib.h>
#include <string.h>

#include "checkers/checker.h"
#include "history.h"

#define LB_NIL INT64_MIN	/* "no value" for the int helpers */

static inline struct hist_value lb_val(int64_t x)
{
	struct hist_value v;

	memset(&v, 0, sizeof(v));
	if (x != LB_NIL) {
		v.kind = HV_INT;
		v.u.i = x;
	}
	return v;
}

static inline struct hist_value lb_cas(struct history *h, int64_t e,
				       int64_t n)
{
	struct hist_value v;
	uint64_t off = hist_alloc_vals(h, 2);

	memset(&v, 0, sizeof(v));
	v.kind = HV_LIST;
	v.n = 2;
	v.u.off = off;
	h->vals[off] = lb_val(e);
	h->vals[off + 1] = lb_val(n);
	return v;
}

static inline size_t lb_invoke(struct history *h, int64_t process,
			       const char *f, struct hist_value v,
			       const char *key)
{
	struct hist_event e;

	memset(&e, 0, sizeof(e));
	e.time = (int64_t)h->n * 1000000;
	e.process = process;
	e.session = process;
	e.type = HIST_INVOKE;
	e.f = hist_intern(h, f, strlen(f));
	e.value = v;
	e.pair = -1;
	if (key) {
		e.key = hist_intern(h, key, strlen(key));
		e.flags |= HIST_F_KEY;
	}
	return hist_append(h, &e);
}

static inline size_t lb_complete(struct history *h, size_t inv, int type,
				 struct hist_value v)
{
	struct hist_event e = h->ev[inv];
	size_t pos;

	e.time = (int64_t)h->n * 1000000;
	e.type = (uint8_t)type;
	e.value = v;
	e.pair = (int32_t)inv;
	pos = hist_append(h, &e);
	h->ev[inv].pair = (int64_t)pos;
	return pos;
}

/* Build from text (see above); aborts the test on a syntax error. */
static inline void lb_parse(struct history *h, const char *text)
{
	char *dup = strdup(text), *save = NULL, *item;
	size_t pending[64];
	int64_t pproc[64];
	size_t np = 0;

	for (item = strtok_r(dup, ";\n", &save); item;
	     item = strtok_r(NULL, ";\n", &save)) {
		char proc[32], type[16], f[16], val[32] = "", key[32] = "";
		char extra[32] = "";
		struct hist_value v;
		int64_t p;
		size_t i;
		int n = sscanf(item, "%31s %15s %15s %31s %31s", proc, type,
			       f, val, extra);

		if (n < 3)
			continue;
		if (val[0] == '@') {
			strcpy(key, val + 1);
			val[0] = '\0';
		} else if (extra[0] == '@') {
			strcpy(key, extra + 1);
		}
		p = proc[0] == 'n' ? HIST_NEMESIS : atoll(proc);
		if (!val[0] || !strcmp(val, "nil"))
			v = lb_val(LB_NIL);
		else if (strchr(val, ','))
			v = lb_cas(h, strncmp(val, "nil,", 4)
				   ? atoll(val) : LB_NIL,
				   atoll(strchr(val, ',') + 1));
		else
			v = lb_val(atoll(val));
		if (!strcmp(type, "invoke")) {
			pending[np] = lb_invoke(h, p, f, v,
						key[0] ? key : NULL);
			pproc[np++] = p;
			continue;
		}
		for (i = 0; i < np && pproc[i] != p; i++)
			;
		if (i == np)
			abort();
		lb_complete(h, pending[i],
			    !strcmp(type, "ok") ? HIST_OK
			    : !strcmp(type, "fail") ? HIST_FAIL : HIST_INFO,
			    v);
		pending[i] = pending[np - 1];
		pproc[i] = pproc[np - 1];
		np--;
	}
	free(dup);
}

/* Run the linearizable checker; returns the verdict kind (-1: error). */
static inline int lb_check(const struct history *h, const char *model,
			   const char *init, struct verdict *v)
{
	const struct checker_type *t = checker_find("linearizable");
	struct checker_opts o;
	struct sb err = SB_INIT;
	int rc;

	memset(&o, 0, sizeof(o));
	o.model = model;
	o.init = init;
	o.threads = 2;
	verdict_init(v, "linearizable");
	rc = t ? checker_check(t, h, &o, v, &err) : -1;
	sb_release(&err);
	return rc ? -1 : (int)v->kind;
}

/* Same, for a text history; releases everything. */
static inline int lb_check_text(const char *text, const char *model,
				const char *init)
{
	struct history h;
	struct verdict v;
	int k;

	hist_init(&h);
	lb_parse(&h, text);
	k = lb_check(&h, model, init, &v);
	verdict_release(&v);
	hist_release(&h);
	return k;
}

#endif
