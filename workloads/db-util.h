/*
 * db-util.h - small pieces the database plug-ins share (etcd-db.c,
 * postgres-db.c, redis-db.c): the config's name for messages, whether a
 * host is an IPv4 address, per-node file paths, and freeing a per-node
 * string vector.  Module-internal to workloads/ (prefix db__).
 *
 * Ownership: db__path_in() returns a new string (the caller frees it);
 * db__strv_free() frees the vector and its n strings (NULL is fine).
 */
#ifndef NS_DB_UTIL_H
#define NS_DB_UTIL_H

#include <stddef.h>

#include "config.h"

/* The config file's path, or "config" when it came from a string. */
const char *db__cfgname(const struct config *c);
/* 1 when h is a dotted IPv4 address (listen on it), 0 for a name. */
int db__is_ipv4(const char *h);
/* "DIR/NAME", allocated. */
char *db__path_in(const char *dir, const char *name);
void db__strv_free(char **v, size_t n);

#endif
