/*
 * register-gen.c - the register generator (register-gen.h): ops on
 * integer registers for the cas-register model, and its config keys.
 */
#include "workloads/register-gen.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static const char *cfgname(const struct config *c)
{
	return c->path ? c->path : "config";
}

void workload_regen_cfg_init(struct workload_regen_cfg *g)
{
	memset(g, 0, sizeof(*g));
	g->mix[0] = g->mix[1] = g->mix[2] = 1;
	g->ops_per_key = 100;
	g->threads_per_key = 5;
}

static int read_mix(struct workload_regen_cfg *g, const struct config *c,
		    json_t *mix, struct sb *err)
{
	static const char *const mix_keys[] = { "read", "write", "cas",
						NULL };
	long long v;
	int i, rc;

	if (!json_is_object(mix)) {
		sb_addf(err, "%s: 'workload.mix': expected an object",
			cfgname(c));
		return -NS_ECONFIG;
	}
	rc = cfg_check_keys(c, mix, "workload.mix", mix_keys, err);
	for (i = 0; !rc && i < 3; i++) {
		v = g->mix[i];
		rc = cfg_get_int(c, mix, "workload.mix", mix_keys[i], &v,
				 err);
		if (!rc && (v < 0 || v > 1000000)) {
			sb_addf(err, "%s: 'workload.mix.%s': must be "
				"0..1000000", cfgname(c), mix_keys[i]);
			rc = -NS_ECONFIG;
		}
		if (!rc)
			g->mix[i] = (unsigned)v;
	}
	return rc;
}

static int read_pos(const struct config *c, json_t *o, const char *key,
		    long long *out, long long max, struct sb *err)
{
	int rc = cfg_get_int(c, o, "workload", key, out, err);

	if (!rc && (*out < 1 || *out > max)) {
		sb_addf(err, "%s: 'workload.%s': must be 1..%lld",
			cfgname(c), key, max);
		rc = -NS_ECONFIG;
	}
	return rc;
}

int workload_regen_cfg_read(struct workload_regen_cfg *g,
			    const struct config *c, json_t *o,
			    size_t concurrency, struct sb *err)
{
	json_t *mix = json_object_get(o, "mix");
	int rc = 0;

	if (mix && !json_is_null(mix))
		rc = read_mix(g, c, mix, err);
	g->mix_total = g->mix[0] + g->mix[1] + g->mix[2];
	if (!rc && !g->mix_total) {
		sb_addf(err, "%s: 'workload.mix': every weight is 0",
			cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = read_pos(c, o, "ops_per_key", &g->ops_per_key,
			      1000000000LL, err);
	if (!rc)
		rc = read_pos(c, o, "threads_per_key", &g->threads_per_key,
			      1000, err);
	if (rc)
		return rc;
	if ((size_t)g->threads_per_key > concurrency && concurrency)
		g->threads_per_key = (long long)concurrency;
	g->ngroups = concurrency ?
		(concurrency + (size_t)g->threads_per_key - 1) /
		(size_t)g->threads_per_key : 1;
	return 0;
}

void workload_regen_init(struct workload_regen *r,
			 const struct workload_regen_cfg *cfg, uint64_t seed,
			 size_t worker)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	workload_rng_seed(&r->rng, seed, worker);
	r->member = worker % (size_t)cfg->threads_per_key;
	r->group = worker / (size_t)cfg->threads_per_key;
	r->per_key = ((uint64_t)cfg->ops_per_key +
		      (uint64_t)cfg->threads_per_key - 1) /
		(uint64_t)cfg->threads_per_key;
}

static void set_key(const struct workload_regen *r, struct workload_op *op)
{
	snprintf(op->key, sizeof(op->key), "k%" PRIu64,
		 r->group + r->keyj * r->cfg->ngroups);
}

static int64_t slot_value(const struct workload_regen *r, uint64_t slot,
			  size_t member)
{
	return (int64_t)(slot * (uint64_t)r->cfg->threads_per_key + member +
			 1);
}

void workload_regen_next(struct workload_regen *r, struct workload_op *op)
{
	const struct workload_regen_cfg *g = r->cfg;
	uint64_t pick;

	if (r->slot >= r->per_key) {
		r->slot = 0;
		r->keyj++;
		r->has_seen = 0;
	}
	set_key(r, op);
	pick = workload_rng_below(&r->rng, g->mix_total);
	if (pick < g->mix[0]) {
		op->f = "read";
		op->value = json_null();
	} else if (pick < g->mix[0] + g->mix[1]) {
		op->f = "write";
		op->value = json_integer(slot_value(r, r->slot, r->member));
	} else {
		uint64_t back = workload_rng_below(&r->rng,
						   (r->slot < 3 ? r->slot : 3)
						   + 1);
		size_t m = (size_t)workload_rng_below(
			&r->rng, (uint64_t)g->threads_per_key);

		/* the generator's pick (drawn always, so the rng stream
		   and every later op stay the same), unless this worker
		   saw the key's value: a cas mostly expecting a stale
		   value would rarely succeed (its model barely tested) */
		json_int_t expect = r->has_seen ? r->seen :
			(json_int_t)slot_value(r, r->slot - back, m);

		op->f = "cas";
		op->value = json_pack("[II]", expect,
				      (json_int_t)slot_value(r, r->slot,
							     r->member));
	}
	r->slot++;
}

int workload_regen_final(struct workload_regen *r, struct workload_op *op)
{
	if (r->final_done || (r->keyj == 0 && r->slot == 0))
		return 0;
	r->final_done = 1;
	set_key(r, op);
	op->f = "read";
	op->value = json_null();
	op->final = 1;
	return 1;
}

void workload_regen_saw(struct workload_regen *r,
			const struct workload_op *op)
{
	json_t *v = NULL;

	if (op->type != HIST_OK || op->final)
		return;
	if (!strcmp(op->f, "read"))
		v = op->out;
	else if (!strcmp(op->f, "write"))
		v = op->value;
	else if (!strcmp(op->f, "cas"))
		v = json_array_get(op->value, 1);
	r->has_seen = json_is_integer(v);
	if (r->has_seen)
		r->seen = json_integer_value(v);
}
