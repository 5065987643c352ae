/*
 * register-gen.h - the register generator: which op a worker does next
 * on which integer register, shared by every workload checked with the
 * cas-register model (`register` against etcd, `http` and `exec` against
 * a user's own service).
 *
 * Workers form groups of threads_per_key; each group works on its own
 * sequence of keys (group g: keys g, g + ngroups, ...), every worker
 * doing ceil(ops_per_key / threads_per_key) ops on a key before moving
 * on, so each key's history stays small enough to check.  Values written
 * are unique per key (slot * threads_per_key + member + 1); a cas expects
 * the key's value as this worker last saw it (its last ok read, write or
 * cas on the key: likely still current, so cas often succeeds), else a
 * value from the last few slots of a random group member.  All choices
 * come from the worker's random stream (seed, worker), drawn the same
 * whatever was seen: the same seed gives the same operations, but for a
 * cas's expected value, which follows what the worker saw.  Keys are
 * "k0", "k1", ...; reads have a json null value, writes an integer, cas
 * [expected, new].
 *
 * Config keys it reads from the `workload` section: `mix` (read, write,
 * cas weights), `ops_per_key`, `threads_per_key` (docs/config.md).
 *
 * Ownership: struct workload_regen_cfg is plain data; a struct
 * workload_regen borrows its cfg (which must outlive it) and belongs to
 * one worker thread.  next() and final() fill a fresh op (its value is
 * the op's).
 */
#ifndef NS_REGISTER_GEN_H
#define NS_REGISTER_GEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sb.h"
#include "workloads/workload.h"

struct workload_regen_cfg {
	unsigned mix[3];	/* read, write, cas weights */
	unsigned mix_total;
	long long ops_per_key;
	long long threads_per_key;
	size_t ngroups;
};

struct workload_regen {
	const struct workload_regen_cfg *cfg;
	struct workload_rng rng;
	size_t member;		/* index inside the group */
	size_t group;
	uint64_t keyj;		/* key number inside the group's sequence */
	uint64_t slot;		/* ops done on the current key */
	uint64_t per_key;	/* ops per worker per key */
	int final_done;
	/* The current key's value as this worker last saw it (an ok read,
	   write or cas): what its next cas expects; none yet on a fresh
	   key. */
	int has_seen;
	json_int_t seen;
};

/* Defaults: mix 1, 1, 1; 100 ops per key; 5 threads per key. */
void workload_regen_cfg_init(struct workload_regen_cfg *g);
/*
 * Read `mix`, `ops_per_key`, `threads_per_key` from the workload section
 * o (over the defaults already in g; errors name the key, -NS_ECONFIG),
 * then fit the groups to concurrency workers.  The caller checks the
 * section's other keys.
 */
int workload_regen_cfg_read(struct workload_regen_cfg *g,
			    const struct config *c, json_t *o,
			    size_t concurrency, struct sb *err);

void workload_regen_init(struct workload_regen *r,
			 const struct workload_regen_cfg *cfg, uint64_t seed,
			 size_t worker);
/* The worker's next op: f, key, value. */
void workload_regen_next(struct workload_regen *r, struct workload_op *op);
/* The worker's final read of its last key: 1, or 0 when done. */
int workload_regen_final(struct workload_regen *r, struct workload_op *op);
/* How op ended: an ok op leaves the value the next cas expects. */
void workload_regen_saw(struct workload_regen *r,
			const struct workload_op *op);

#endif
