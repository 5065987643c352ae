/*
 * redis-internal.h - what the `redis` database plug-in (redis-db.c) and
 * the `set` workload (redis.c) share: short hiredis calls from the
 * controller to a node's redis-server or Sentinel, and reading their
 * answers (INFO fields, SENTINEL replies).
 *
 * Every call connects with a deadline and sets it on the commands too
 * (hiredis 0.14: the connect timeout does not cover commands).  Nothing
 * here keeps a connection: the workload keeps its own per worker.
 *
 * Ownership: redis__connect() returns a context the caller redisFree()s;
 * strings written into caller buffers; no allocation is kept.
 */
#ifndef NS_REDIS_INTERNAL_H
#define NS_REDIS_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "config.h"
#include "db.h"
#include "sb.h"

/*
 * Connect to host:port with timeout_ms on the connect and on every
 * command.  NULL on failure, with why (if not NULL) set to the reason.
 */
redisContext *redis__connect(const char *host, int port, long timeout_ms,
			     struct sb *why);

/*
 * Copy the value of `field:` from an INFO answer into out (at most n - 1
 * bytes, NUL-terminated).  1 if found, else 0 (out "").
 */
int redis__info_field(const char *info, const char *field, char *out,
		      size_t n);

/*
 * INFO replication of host:port into info (reset first).  0, or -1 with
 * why set (no answer, or an error reply).
 */
int redis__info(const char *host, int port, long timeout_ms,
		struct sb *info, struct sb *why);

/*
 * Ask the Sentinel at host:port for the address of master `name`
 * (SENTINEL get-master-addr-by-name).  0 with host_out / *port_out set,
 * or -1 with why set.
 */
int redis__sentinel_master(const char *host, int port, const char *name,
			   long timeout_ms, char *host_out, size_t n,
			   int *port_out, struct sb *why);

/* The same over an open Sentinel connection c (kept by a client). */
int redis__sentinel_master_on(redisContext *c, const char *name,
			      char *host_out, size_t n, int *port_out,
			      struct sb *why);

/* What a client of a `redis` db needs to know about it (redis-db.c). */
struct redis__params {
	int port;		/* redis-server port on every node */
	int sentinel_port;	/* Sentinel port on every node */
	const char *master_name;	/* borrowed from the db */
};

/* 0, or -1 when d is not a `redis` db. */
int redis__db_params(struct db *d, struct redis__params *p);

/* Index of the node whose host is host, or -1. */
int redis__node_of(const struct config *c, const char *host);

#endif
