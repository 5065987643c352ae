/*
 * hist-ops.c - client ops counted by op name, with their most common
 * errors (hist-ops.h), and the rule that a read, write or add that never
 * succeeded leaves the run untested.
 *
 * One pass over the invokes collects (op name, outcome, error) for every
 * op that did not succeed; a sort groups equal ones, and each op name
 * keeps the HIST_OPS_TOP largest groups.  O(n log n) time, O(n) memory
 * at worst (every op failed).
 */
#define _GNU_SOURCE	/* qsort_r */
#include "hist-ops.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct bad {
	uint32_t f, error;
	uint8_t type, never;
};

static int cmp_bad(const void *a, const void *b)
{
	const struct bad *x = a, *y = b;

	if (x->f != y->f)
		return x->f < y->f ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->never != y->never)
		return x->never < y->never ? -1 : 1;
	return x->error < y->error ? -1 : x->error > y->error;
}

static int cmp_name(const void *a, const void *b, void *h)
{
	const struct hist_op_count *x = a, *y = b;

	return strcmp(hist_str(h, x->f), hist_str(h, y->f));
}

static struct hist_op_count *op_of(struct hist_ops *o, uint32_t f,
				   size_t *alloc)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->op[i].f == f)
			return &o->op[i];
	if (o->n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 8;
		o->op = xrealloc(o->op, *alloc * sizeof(*o->op));
	}
	memset(&o->op[o->n], 0, sizeof(o->op[0]));
	o->op[o->n].f = f;
	return &o->op[o->n++];
}

/* Keep e among c's HIST_OPS_TOP largest, largest first (ties: the
   first seen, which the sort made the lowest outcome and id). */
static void keep_top(struct hist_op_count *c, const struct hist_op_error *e)
{
	size_t i = c->nerrors < HIST_OPS_TOP ? c->nerrors++ : HIST_OPS_TOP;

	if (i == HIST_OPS_TOP) {
		if (c->top[HIST_OPS_TOP - 1].count >= e->count)
			return;
		i = HIST_OPS_TOP - 1;
	}
	while (i > 0 && c->top[i - 1].count < e->count) {
		c->top[i] = c->top[i - 1];
		i--;
	}
	c->top[i] = *e;
}

void hist_ops_compute(struct hist_ops *o, const struct history *h)
{
	struct bad *bad = NULL;
	size_t i, nbad = 0, alloc = 0, bad_alloc = 0;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i], *c;
		struct hist_op_count *oc;
		struct bad b;

		if (e->type != HIST_INVOKE || !hist_is_client(e))
			continue;
		c = e->pair >= 0 ? &h->ev[e->pair] : NULL;
		if ((e->flags & HIST_F_FINAL) || (c && (c->flags &
							HIST_F_FINAL)))
			continue;
		oc = op_of(o, e->f, &alloc);
		if (c && c->type == HIST_OK) {
			oc->ok++;
			continue;
		}
		memset(&b, 0, sizeof(b));
		b.f = e->f;
		b.type = c && c->type == HIST_FAIL ? HIST_FAIL : HIST_INFO;
		b.never = !c;
		b.error = c ? c->error : 0;
		if (b.type == HIST_FAIL)
			oc->fail++;
		else
			oc->info++;
		if (nbad == bad_alloc) {
			bad_alloc = bad_alloc ? 2 * bad_alloc : 64;
			bad = xrealloc(bad, bad_alloc * sizeof(*bad));
		}
		bad[nbad++] = b;
	}
	if (nbad)
		qsort(bad, nbad, sizeof(*bad), cmp_bad);
	for (i = 0; i < nbad;) {
		struct hist_op_error err;
		struct hist_op_count *oc = op_of(o, bad[i].f, &alloc);
		size_t j = i;

		while (j < nbad && !cmp_bad(&bad[i], &bad[j]))
			j++;
		err.error = bad[i].error;
		err.type = bad[i].type;
		err.never = bad[i].never;
		err.count = j - i;
		oc->nkinds++;
		keep_top(oc, &err);
		i = j;
	}
	free(bad);
	if (o->n > 1)
		qsort_r(o->op, o->n, sizeof(*o->op), cmp_name, (void *)h);
}

void hist_ops_release(struct hist_ops *o)
{
	free(o->op);
	memset(o, 0, sizeof(*o));
}

/* The error's text, or what stands for none. */
static const char *error_str(const struct history *h,
			     const struct hist_op_error *e)
{
	if (e->never)
		return "never completed";
	if (!e->error || !*hist_str(h, e->error))
		return "no error text";
	return hist_str(h, e->error);
}

void hist_op_error_text(const struct history *h,
			const struct hist_op_error *e, size_t max,
			struct sb *out)
{
	const char *s = error_str(h, e);
	size_t n = strlen(s), i;

	sb_addf(out, "%zu %s '", e->count,
		e->type == HIST_FAIL ? "fail" : "info");
	if (n > max) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;	/* whole UTF-8 characters */
	}
	for (i = 0; i < n; i++)
		sb_addc(out, (unsigned char)s[i] < 0x20 || s[i] == 0x7f
			? ' ' : s[i]);
	sb_adds(out, n < strlen(s) ? "...'" : "'");
}

json_t *hist_ops_json(const struct hist_ops *o, const struct history *h)
{
	json_t *arr = json_array();
	size_t i, k;

	for (i = 0; i < o->n; i++) {
		const struct hist_op_count *c = &o->op[i];
		json_t *errs = json_array();

		for (k = 0; k < c->nerrors; k++) {
			const char *s = error_str(h, &c->top[k]);
			size_t n = strlen(s), keep = hist_show_len(s, n);
			struct sb t = SB_INIT;

			sb_add(&t, s, keep);
			if (keep < n)
				sb_addf(&t, "... (%zu bytes)", n);
			json_array_append_new(errs, json_pack(
				"{ss ss sI}", "outcome",
				c->top[k].type == HIST_FAIL ? "fail" : "info",
				"error", t.buf,
				"count", (json_int_t)c->top[k].count));
			sb_release(&t);
		}
		json_array_append_new(arr, json_pack(
			"{ss sI sI sI so}", "f", hist_str(h, c->f),
			"ok", (json_int_t)c->ok, "fail", (json_int_t)c->fail,
			"info", (json_int_t)c->info, "errors", errs));
	}
	return arr;
}

size_t hist_ops_untested(const struct hist_ops *o, const struct history *h,
			 struct sb *reason)
{
	static const char *const judged[] = { "read", "write", "add" };
	size_t i, k, found = 0;

	for (i = 0; i < o->n; i++) {
		const struct hist_op_count *c = &o->op[i];
		const char *f = hist_str(h, c->f);
		size_t tried = c->ok + c->fail + c->info;

		for (k = 0; k < sizeof(judged) / sizeof(judged[0]); k++)
			if (!strcmp(f, judged[k]))
				break;
		if (k == sizeof(judged) / sizeof(judged[0]) || c->ok ||
		    tried < HIST_OPS_UNTESTED_MIN)
			continue;
		if (found++)
			sb_adds(reason, "; ");
		sb_addf(reason, "no %s succeeded (%zu attempted: ", f, tried);
		if (c->nerrors)
			hist_op_error_text(h, &c->top[0], 100, reason);
		if (c->nkinds > 1)
			sb_adds(reason, ", ...");
		sb_adds(reason, ")");
	}
	return found;
}
