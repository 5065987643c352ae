/*
 * postgres-internal.h - what the `postgres` database plug-in
 * (postgres-db.c) tells the session workload (postgres.c) about its
 * layout: which node runs the primary and which run replicas; and what
 * it shares with its database-level faults (postgres-fault.c).
 *
 * Layout: node 0 runs the primary; nodes 1..replicas run asynchronous
 * streaming replicas (db.replicas, default 1); any further node runs no
 * PostgreSQL.  db_endpoint() of an instance node is a libpq conninfo
 * ("host=H port=P user=postgres dbname=postgres"); of another node, NULL.
 *
 * Ownership: nothing here allocates; strings belong to the db.
 */
#ifndef NS_POSTGRES_INTERNAL_H
#define NS_POSTGRES_INTERNAL_H

#include <stddef.h>

#include "db.h"

extern const struct db_type db_postgres;

enum pg__role { PG__NONE, PG__PRIMARY, PG__REPLICA };

/* Role of node i (PG__NONE when d is not a postgres db). */
enum pg__role pg__role(const struct db *d, size_t node);
/* Number of replicas, and the node index of the k-th (k < replicas). */
size_t pg__nreplicas(const struct db *d);
size_t pg__replica(const struct db *d, size_t k);
/* The primary's node index (0). */
size_t pg__primary(const struct db *d);
/* db.port, and db.bindir ("" = the newest installed on the node). */
long long pg__port(const struct db *d);
const char *pg__bindir(const struct db *d);
/*
 * db_type.fault_script of db_postgres (postgres-fault.c): "replica-lag"
 * on a replica node; 1 with the reason in why for another kind or node.
 */
int pg__fault_script(struct db *d, const char *kind, size_t node,
		     struct db_fault_script *out, struct sb *why);
/* Whether a server notice reports a commit that stopped waiting for
   synchronous replication (postgres.c notes it in the write's error). */
int pg__sync_cancel_notice(const char *msg);
/* The start script (postgres-db.c), for its tests: sh -c SCRIPT sh
   BINDIR DIR runs BINDIR/pg_ctl start on DIR/data (as postgres when
   root) unless DIR/postgres.pid names a live member already (exit 1,
   "postgres already running"). */
extern const char pg__start_script[];

#endif
