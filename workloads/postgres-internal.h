/*
 * postgres-internal.h - what the `postgres` database plug-in
 * (postgres-db.c) tells the session workload (postgres.c) about its
 * layout: which node runs the primary and which run replicas.
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
/* Whether a server notice reports a commit that stopped waiting for
   synchronous replication (postgres.c notes it in the write's error). */
int pg__sync_cancel_notice(const char *msg);

#endif
