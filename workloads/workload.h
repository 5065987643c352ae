/*
 * workload.h - the workload plug-in interface: a generator and a client.
 *
 * A workload is what the clients do to the database during a run: the
 * `register` workload reads, writes and compare-and-sets integer registers
 * in etcd.  It has two halves, both per worker thread:
 *
 *   - the generator (next()): the worker's next operation, drawn from a
 *     random stream seeded by (run seed, worker index) and nothing else, so
 *     the same seed gives every worker the same sequence of operations;
 *   - the client (invoke()): performs one operation against one node and
 *     says how it ended: ok (it happened), fail (it definitely did not) or
 *     info (unknown: a timeout or a reset after the request was sent).
 *
 * Protocol (the controller's, per worker):
 *   1. workload_new() checks the `workload` section of the config
 *      (-NS_ECONFIG naming the key), without touching any node;
 *   2. client_open(worker, node, seed) once per worker thread;
 *   3. repeat: next() fills an op (f, key, invoke value); the controller
 *      records the invoke, calls invoke(), records the completion;
 *   4. after the run and the heal: final() fills final reads (flag
 *      final set) until it returns 0; each is invoked the same way;
 *   5. client_close(); workload_free().
 *
 * Values are JSON (jansson): nil is json null, CAS values are
 * [expected, new].  The controller turns them into history values.
 *
 * Ownership: struct workload borrows the config and the db.  An op owns
 * its key, values and error (workload_op_release()); invoke() replaces the
 * op's `out` value and error.  A client belongs to one thread.
 */
#ifndef NS_WORKLOAD_H
#define NS_WORKLOAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "history.h"
#include "sb.h"

struct workload;
struct workload_client;

struct workload_op {
	const char *f;		/* "read", "write", "cas" (static text) */
	size_t node;		/* with node_set: the node next() sent it to */
	int node_set;		/* 0: the worker's own node */
	char key[64];		/* "" when the workload has no keys */
	json_t *value;		/* invoke value (owned; json null for reads) */
	int final;		/* a final read after heal */
	/* Completion, filled by invoke(): */
	enum hist_type type;	/* HIST_OK, HIST_FAIL or HIST_INFO */
	json_t *out;		/* completion value (owned); NULL: as invoked */
	int64_t version;	/* server version (etcd: mod revision) */
	int has_version;
	char error[128];	/* "" or why it failed / is unknown */
	int unreachable;	/* the node could not be reached: the worker
				   backs off a little before its next op */
};

void workload_op_init(struct workload_op *op);
void workload_op_release(struct workload_op *op);	/* back to init */
/* Write op->error from a printf format: cut to fit, one line (trailing
   newlines and spaces dropped, inner newlines made spaces). */
void workload_op_errorf(struct workload_op *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct workload_type {
	const char *name;	/* "register" */
	const char *help;
	const char *db;		/* the database type it talks to ("etcd") */
	/* Checkers run on the history, with the model they use. */
	const char *const *checkers;	/* NULL-terminated */
	const char *model;		/* "cas-register" */
	/* Check w->cfg->workload (overrides applied); set w->priv. */
	int (*init)(struct workload *w, struct sb *err);
	/* A client for worker (0..concurrency-1) talking to node. */
	int (*client_open)(struct workload *w, size_t worker, size_t node,
			   uint64_t seed, struct workload_client **cp,
			   struct sb *err);
	void (*client_close)(struct workload_client *c);
	/* The worker's next operation. */
	void (*next)(struct workload_client *c, struct workload_op *op);
	/* Perform op, filling its completion; never fails as a call. */
	void (*invoke)(struct workload_client *c, struct workload_op *op);
	/* Next final read of this worker into op: 1, or 0 when done. */
	int (*final)(struct workload_client *c, struct workload_op *op);
	void (*release)(struct workload *w);
};

struct workload {
	const struct workload_type *type;
	const struct config *cfg;	/* borrowed */
	struct db *db;			/* borrowed; endpoints */
	size_t concurrency;		/* worker threads */
	void *priv;
};

/* The registries (workloads/registry.c): workloads and database plug-ins. */
extern const struct workload_type *const workload_types[];
const struct workload_type *workload_find(const char *name);
extern const struct db_type *const db_types[];
const struct db_type *db_find(const char *name);

/*
 * Allocate and init a workload of type for config c (command-line
 * overrides are already written into c's JSON); concurrency is the number
 * of workers.  db may be NULL until the clients open.
 */
int workload_new(struct workload **wp, const struct workload_type *type,
		 const struct config *c, struct db *db, size_t concurrency,
		 struct sb *err);
void workload_free(struct workload *w);

/* A small fast deterministic generator (splitmix64 seeding xoshiro). */
struct workload_rng {
	uint64_t s[4];
};
void workload_rng_seed(struct workload_rng *r, uint64_t seed,
		       uint64_t stream);
uint64_t workload_rng_next(struct workload_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t workload_rng_below(struct workload_rng *r, uint64_t n);

#endif
