/*
 * db.h - the database plug-in interface (Jepsen's DB protocol).
 *
 * A database plug-in installs, starts, stops and disturbs one database
 * cluster on the nodes of a transport: one member per node.  The type (a
 * vtable) lives in workloads/ (workloads/etcd-db.c, ...); the interface is
 * here in core/ so that the nemesis layer can kill, pause and find a
 * member's process without depending sideways on workloads/.
 *
 * Lifecycle (the controller's protocol):
 *   1. db_find(name) gives the type (registry: workloads/registry.c,
 *      declared in workloads/workload.h);
 *   2. db_new() checks the `db` section of the config (unknown keys, wrong
 *      types: -NS_ECONFIG naming the key) without touching any node, so
 *      config errors come before connection errors;
 *   3. db_bind() gives it the transport (connected to every node);
 *   4. db_setup() on all nodes: working dir, config, data dir, start, and
 *      wait until the cluster is healthy.  If it never is: -NS_ESETUP with
 *      the failing node's name and the tail of its log;
 *   5. during the run, from any thread: db_start/kill/pause/resume on one
 *      node, db_pid, db_primaries (the current leader(s));
 *   6. db_logs() names each node's log files (the controller downloads
 *      them), then db_teardown() stops every member and removes its data
 *      (not its logs) - skipped with --keep;
 *   7. db_free().
 *
 * Process identity.  Every member runs in the background with a pid file
 * (db_pidfile(), an absolute path on the node once db_resolve() or
 * db_setup() ran).  kill is `kill -9` of that pid, waiting until the
 * process is gone (a zombie counts as gone); pause is SIGSTOP, waiting
 * until it is in state T; resume is SIGCONT.  A plug-in whose member is
 * started that way needs no code for these: the db_def_*() defaults below
 * do it from the pid file.  A nemesis that must undo a pause after a
 * controller crash journals the pid from db_pid(), not the path.
 *
 * Database-level faults.  Some faults only the database knows how to
 * cause (PostgreSQL's replica-lag: pause WAL replay on a replica).  A
 * plug-in offers them through the optional fault_script slot: for a fault
 * kind and a node it gives two fixed sh scripts (apply, undo) and their
 * arguments; the nemesis (nemesis/dbfault.c) journals all three before
 * applying, so the dead-man switch and `netsplit heal` undo the fault from
 * the journal alone, without the plug-in.  The nemesis never includes
 * workloads/: this slot is the whole contract.
 *
 * Threads.  Calls for different nodes may run concurrently; calls for one
 * node must not (the controller and the nemesis serialise them).  setup
 * and teardown run alone.
 *
 * Ownership: struct db borrows the config and the transport (both must
 * outlive it) and owns its per-node directories and the plug-in's private
 * state (released by db_free()).  Strings returned by db_pidfile(),
 * db_endpoint() and db_logs() belong to the db and live until db_free().
 */
#ifndef NS_DB_H
#define NS_DB_H

#include <stddef.h>

#include "config.h"
#include "sb.h"
#include "transport.h"

struct db;

/*
 * One database-level fault on one node: the plug-in's fixed sh scripts
 * (static text, run as `sh -c SCRIPT sh ARGS...` by the SSH user on the
 * node) and the arguments both take.  apply exits 0 once the fault is in
 * force; undo is idempotent and exits 0 when nothing is left to undo
 * (including when the database is not running there).
 */
#define DB_FAULT_MAX_ARGS 8
struct db_fault_script {
	const char *apply;
	const char *undo;
	char *args[DB_FAULT_MAX_ARGS + 1];	/* owned; NULL-terminated */
};

struct db_type {
	const char *name;	/* "etcd" */
	const char *help;	/* one line for `netsplit run --help` */
	/* Check c->db (keys, types) and allocate d->priv.  No remote work. */
	int (*init)(struct db *d, struct sb *err);
	/* Every node: install, start, wait healthy.  Remote commands it runs
	   are listed in the plug-in's opening comment. */
	int (*setup)(struct db *d, struct sb *err);
	/* Every node: stop the member, remove its data dir (logs stay). */
	int (*teardown)(struct db *d, struct sb *err);
	/* Start (or restart after kill) node i's member, rejoining the
	   existing cluster; returns once its pid file names a live process. */
	int (*start)(struct db *d, size_t node, struct sb *err);
	/* Optional: default db_def_kill/pause/resume (pid file). */
	int (*kill)(struct db *d, size_t node, struct sb *err);
	int (*pause)(struct db *d, size_t node, struct sb *err);
	int (*resume)(struct db *d, size_t node, struct sb *err);
	/*
	 * Node indexes of the current primaries (the leader) as seen by the
	 * reachable members, at most max of them, into out; *n their count
	 * (0 if nobody knows one).  Optional: default reports none.
	 */
	int (*primaries)(struct db *d, size_t *out, size_t max, size_t *n,
			 struct sb *err);
	/*
	 * Optional: derive the plug-in's per-node paths (pid file, logs)
	 * from d->dirs; db_resolve() calls it each time, so it must be
	 * idempotent (and must not call db_resolve()).
	 */
	int (*paths)(struct db *d, struct sb *err);
	/* Absolute pid file path of node i's member (after db_resolve). */
	const char *(*pidfile)(struct db *d, size_t node);
	/* Log files of node i (absolute paths), at most max; their count. */
	size_t (*logs)(struct db *d, size_t node, const char **out,
		       size_t max);
	/* Client endpoint of node i, e.g. "http://10.77.0.1:2379". */
	const char *(*endpoint)(struct db *d, size_t node);
	/*
	 * Optional: the scripts of database-level fault `kind`
	 * ("replica-lag") on node i into *out: 0; 1 when node i cannot take
	 * it (the primary, no member there), with the reason in why; or
	 * -NS_E* (may run remote commands, e.g. db_resolve()).
	 */
	int (*fault_script)(struct db *d, const char *kind, size_t node,
			    struct db_fault_script *out, struct sb *why);
	/* Free d->priv. */
	void (*release)(struct db *d);
};

struct db {
	const struct db_type *type;
	const struct config *cfg;	/* borrowed */
	struct transport *t;		/* borrowed; NULL until db_bind() */
	char **dirs;			/* per node: absolute working dir of
					   this database on the node (node.dir
					   or $HOME, plus "/<type name>"),
					   NULL until db_resolve() */
	void *priv;			/* the plug-in's state */
};


/* ===== Lifecycle ===== */
/* Allocate a db of type for config c and run type->init (-NS_ECONFIG). */
int db_new(struct db **dp, const struct db_type *type,
	   const struct config *c, struct sb *err);
void db_bind(struct db *d, struct transport *t);
void db_free(struct db *d);	/* NULL is fine */
/*
 * Resolve each node's working directory (node.dir, else the remote
 * $HOME, plus "/<type name>") into d->dirs with one remote command per
 * node, then type->paths (so db_pidfile() and the logs are known to a
 * caller that never ran the plug-in's set-up, e.g. `netsplit heal`);
 * idempotent.  Setup implementations call it first.
 */
int db_resolve(struct db *d, struct sb *err);

/* ===== Calls (sugar for d->type->...; errors name the node) ===== */
static inline int db_setup(struct db *d, struct sb *err)
{
	return d->type->setup(d, err);
}
static inline int db_teardown(struct db *d, struct sb *err)
{
	return d->type->teardown(d, err);
}
static inline int db_start(struct db *d, size_t node, struct sb *err)
{
	return d->type->start(d, node, err);
}
int db_kill(struct db *d, size_t node, struct sb *err);
int db_pause(struct db *d, size_t node, struct sb *err);
int db_resume(struct db *d, size_t node, struct sb *err);
int db_primaries(struct db *d, size_t *out, size_t max, size_t *n,
		 struct sb *err);
static inline const char *db_pidfile(struct db *d, size_t node)
{
	return d->type->pidfile(d, node);
}
static inline size_t db_logs(struct db *d, size_t node, const char **out,
			     size_t max)
{
	return d->type->logs(d, node, out, max);
}
static inline const char *db_endpoint(struct db *d, size_t node)
{
	return d->type->endpoint(d, node);
}
/*
 * The pid in node i's pid file, if that process exists and is not a
 * zombie: *pid > 0.  *pid = 0 when there is no pid file or no such
 * process (a stopped member).  Transport failures return an error.
 */
int db_pid(struct db *d, size_t node, long *pid, struct sb *err);
/* Single-letter state of pid on node i from /proc ('R', 'S', 'T', 'Z'),
   or 0 if the process is gone. */
int db_proc_state(struct db *d, size_t node, long pid, char *state,
		  struct sb *err);

/*
 * d->type->fault_script, or 1 with "database 'etcd' has no 'KIND'
 * fault" in why when the plug-in offers none.  *out is zeroed first;
 * release it with db_fault_script_release() whatever the result.
 */
int db_fault_script(struct db *d, const char *kind, size_t node,
		    struct db_fault_script *out, struct sb *why);
void db_fault_script_release(struct db_fault_script *s);

/*
 * Kill (-9, waiting until gone: pause = 0) or pause (SIGSTOP, waiting for
 * state T: pause = 1) node i's member in one remote command, and say
 * which pid that was: *pid, 0 when no member was running (nothing is
 * signalled; not an error).  prefix (may be NULL) is a script run first
 * in the same command, taking prefix_args and shifting them away; what it
 * prints is in res->out.  A plug-in with its own kill or pause costs
 * three commands (prefix, db_pid(), db_kill()/db_pause()).
 */
int db_signal(struct db *d, size_t node, int pause, const char *prefix,
	      const char *const prefix_args[], long *pid,
	      struct transport_result *res, struct sb *err);
/*
 * The script resuming the member pid $1 if it is paused (state T); when
 * $1 is 0 or empty, the pid comes from the pid file $2 (checked against
 * the member's directory $3).  For undo steps recorded before the pid is
 * known.
 */
extern const char db_resume_script[];

/* ===== Defaults (from the pid file) ===== */
int db_def_kill(struct db *d, size_t node, struct sb *err);
int db_def_pause(struct db *d, size_t node, struct sb *err);
int db_def_resume(struct db *d, size_t node, struct sb *err);

#endif
