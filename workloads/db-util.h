/*
 * db-util.h - small pieces the database plug-ins share (etcd-db.c,
 * postgres-db.c, redis-db.c): the config's name for messages, whether a
 * host is an IPv4 address, per-node file paths, freeing a per-node
 * string vector, and the start scripts' refusal to start a second
 * member.  Module-internal to workloads/ (prefix db__).
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

/*
 * Script text for a start script (sh) whose member directory is in $d:
 * exit 1 with "WHAT already running (pid N)" on stderr while the pid file
 * PF (a shell word, e.g. "\"$pf\"") names a live process whose command
 * line names $d, so a start never runs a second member beside the first
 * (a heal retried, or healing a member that runs again).  A pid file that
 * is missing, not a number, or names another process does not stop the
 * start.  Sets p.
 */
#define DB__REFUSE_RUNNING(PF, WHAT)                                      \
	"p=$(cat " PF " 2>/dev/null) || p=; "                              \
	"case \"$p\" in ''|*[!0-9]*) p=;; esac; "                          \
	"if [ -n \"$p\" ] && tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null "    \
	"| grep -qF -- \"$d\"; then "                                      \
	"echo \"" WHAT " already running (pid $p)\" >&2; exit 1; fi; "

#endif
