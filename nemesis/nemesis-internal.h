/*
 * nemesis-internal.h - what the fault kinds share: the fault record, the
 * set, parallel remote commands, the seeded rng, the iptables helpers.
 *
 * Ownership: a fault owns its strings and targets (fault_free()); a set
 * owns its faults, its kind instances and the journal descriptor.
 */
#ifndef NS_NEMESIS_INTERNAL_H
#define NS_NEMESIS_INTERNAL_H

#include <pthread.h>

#include "nemesis.h"
#include "transport.h"

#define NEMESIS_CHAIN_MAX 29	/* iptables chain names: 28 chars */
#define NEMESIS_DEADMAN_DEFAULT 30

struct fault_target {
	char *node;		/* node name */
	char *host;		/* its address */
	size_t index;		/* index in the transport's node list */
	char **drops;		/* partition: names of the nodes it drops */
	size_t ndrops;
	char backend[24];	/* iptables binary used; "" when none */
	char chain[NEMESIS_CHAIN_MAX];	/* chain holding the rules */
	long pid;		/* kill/pause: the member's pid before (0
				   until its start command said) */
	char *pidfile;		/* kill/pause: the member's pid file and */
	char *member_dir;	/* working dir (undo finds the pid there) */
	long new_pid;		/* kill: its pid after the restart */
	long long offset_ms;	/* clock: offset applied */
	char *clock_file;	/* clock: libfaketime file; NULL: real clock */
	char *dir;		/* node-side state dir (dead-man files) */
	long deadman_pid;	/* 0: no dead-man switch armed */
	char *unsupported;	/* why the target was skipped, or NULL */
	/* Database-level faults (dbfault.c): the plug-in's scripts and
	   their arguments, journaled so that undo needs no plug-in. */
	char *db_apply, *db_undo;
	struct nemesis_argv db_args;
};

struct fault {
	char *id;		/* "<run tag>-<k>": unique across runs */
	const struct nemesis_type *type;
	char *shape;		/* "halves", "one", "bump"... */
	char *db;		/* kill/pause: the database plug-in's type
				   (`netsplit heal` restarts killed members
				   with it); NULL otherwise */
	size_t k;		/* position in the schedule */
	double probability;	/* loss */
	long long delta_ms;	/* clock */
	long long period_ms;	/* clock strobe */
	int deadman_s;		/* 0: no dead-man switch */
	int64_t start_ns, stop_ns;	/* wall clock; 0 when not yet */
	struct fault_target *targets;
	size_t ntargets;
	struct fault *next;	/* the set's list of faults in force */
};

/* One kind in a set. */
struct nemesis {
	const struct nemesis_type *type;
	struct nemesis_set *set;
	void *priv;
};

/* What the set learned about each node in setup. */
struct nemesis_node {
	char backend[24];	/* iptables binary that works; "" if none */
	char *dir;		/* node-side state dir for dead-man files */
	int shares_kernel;	/* same boot id as the controller */
	int probed;
	int leased;		/* a lease file of this run exists there */
};

struct nemesis_entry {		/* one item of the faults list */
	struct nemesis *n;
	const char *shape;	/* NULL: any of the kind's shapes */
};

struct nemesis_set {
	pthread_mutex_t lock;
	struct nemesis_opts opts;
	struct transport *t;
	struct db *db;
	char *run_dir;
	char *journal;		/* RUN_DIR/nemesis.journal */
	int journal_locked;	/* journal_fd holds the set's flock */
	int journal_fd;		/* (LOCK_EX: the run is live) */
	char tag[9];		/* random, names this run's faults */
	struct nemesis *kinds;
	size_t nkinds;
	struct nemesis_entry *entries;
	size_t nentries;
	struct nemesis_node *nodes;
	size_t nnodes;
	size_t next;		/* k of the next scheduled fault */
	unsigned long renewals;	/* written into the leases */
	struct fault *active;
	struct sb said;		/* notes already given, one per line */
};

/* ===== The faults list (nemesis/options.c) ===== */

/*
 * Split a faults list on commas (and spaces); call fn (when not NULL) with
 * each item's kind and shape (NULL: none), stopping at its first nonzero
 * return.  -NS_EUSAGE naming the item that is no kind, or for an empty
 * list.
 */
int nemesis__each_fault(const char *faults, struct sb *err,
			int (*fn)(void *ctx, const struct nemesis_type *t,
				  const char *shape),
			void *ctx);
/* Nodes shape of t needs; shape NULL: the kind's most modest shape. */
size_t nemesis__min_nodes(const struct nemesis_type *t, const char *shape);

/* ===== Utilities (nemesis/util.c) ===== */

uint64_t nemesis__rand(uint64_t *state);		/* splitmix64 */
size_t nemesis__randn(uint64_t *state, size_t n);	/* [0, n) */
/* perm = a random permutation of 0..n-1. */
void nemesis__shuffle(uint64_t *state, size_t *perm, size_t n);

int64_t nemesis__now_ns(void);	/* CLOCK_REALTIME */

/*
 * A batch of remote jobs run all at once (one channel per job, no thread
 * per job): each job is `sh -c SCRIPT sh ARGS...` on a node.  The fan-out
 * every kind needs: nemesis__batch_add() per node or target, fill the
 * job's script and args, nemesis__batch_run(), read the results (each job
 * carries its caller's index in tag), nemesis__batch_release().
 */
struct nemesis_job {
	size_t node;		/* index in the transport's node list */
	size_t tag;		/* the caller's index (a target, a node) */
	struct sb script;	/* the sh script (owned) */
	struct nemesis_argv args;	/* its arguments $1... (owned) */
	int timeout_ms;
	struct transport_result res;
	int rc;			/* transport rc */
	struct sb err;		/* transport error text */
};

struct nemesis_batch {
	struct nemesis_job *v;
	size_t n, alloc;
};

#define NEMESIS_BATCH_INIT { NULL, 0, 0 }

/* A new job of b on node; the pointer is valid until the next add. */
struct nemesis_job *nemesis__batch_add(struct nemesis_batch *b, size_t node,
				       size_t tag, int timeout_ms);
/*
 * Run every job of b at once.  For each job that failed (transport error
 * or a command that did not exit 0), when err is not NULL, append one
 * line: the label (printf format), then "n2: 'WHAT' exited 1: ...".
 * Returns 0 when all succeeded, else the first failed job's transport rc
 * or code.
 */
int nemesis__batch_run(struct transport *t, struct nemesis_batch *b,
		       const char *what, int code, struct sb *err,
		       const char *label, ...)
	__attribute__((format(printf, 6, 7)));
/* 1 if job j ran and exited 0. */
int nemesis__job_ok(const struct nemesis_job *j);
void nemesis__batch_release(struct nemesis_batch *b);
/* Append why job j failed ("n2: ... exited 1: ...") to err. */
void nemesis__job_error(struct transport *t, const struct nemesis_job *j,
			const char *what, struct sb *err);

/* Record helpers */
struct fault *nemesis__fault_new(const struct nemesis_type *type,
				 const char *id, const char *shape);
struct fault_target *nemesis__add_target(struct fault *f, size_t index,
					 const char *node, const char *host);
void nemesis__target_unsupported(struct fault_target *tg, const char *fmt,
				 ...) __attribute__((format(printf, 2, 3)));
/* Free what target tg owns (fault_free() does it for every target). */
void nemesis__target_release(struct fault_target *tg);
/* Free every target of f (f->ntargets becomes 0). */
void nemesis__clear_targets(struct fault *f);
/* Count targets not marked unsupported. */
size_t nemesis__live_targets(const struct fault *f);

/* Notes said once per set: appends line to note only the first time. */
void nemesis__note_once(struct nemesis_set *s, struct sb *note,
			const char *line);

/*
 * 1 when a live set (a controller, `netsplit nemesis`) holds the lock of
 * the journal open on fd; else 0, and fd now holds a shared lock (until
 * it is closed), so no set takes the journal meanwhile.
 */
int nemesis__journal_busy(int fd);
/* Append one journal line (event "apply", "applied" or "healed"),
   fsync'd but for "applied". */
int nemesis__journal_append(const char *path, const char *event,
			    const struct fault *f, struct sb *err);
/* Undo every live target of f in parallel (the default stop). */
int nemesis__undo_all(struct transport *t, struct fault *f, struct sb *err);
/* The undo steps of target i: generic (from type->undo); run with t. */
int nemesis__undo_target(struct transport *t, const struct fault *f,
			 size_t i, struct sb *err);

/* Arm the dead-man switch for every live target of f (sets deadman_pid);
   disarm kills them. */
int nemesis__deadman_arm(struct nemesis_set *s, struct fault *f,
			 struct sb *err);
/* drop_lease (NULL: none): per target, also remove the lease file of the
   fault's run (DIR/<run tag>.lease) there, once the switch is gone. */
int nemesis__deadman_disarm(struct transport *t, struct fault *f,
			    const unsigned char *drop_lease, struct sb *err);
/* The arming part of target i's start command (a script prefix taking 7
   arguments, then shifting them away); it prints "deadman=PID", which
   nemesis__deadman_parse() records.  Arms nothing for deadman_s == 0. */
void nemesis__deadman_prefix(const struct nemesis_set *s,
			     const struct fault *f, size_t i,
			     struct sb *script, struct nemesis_argv *args);
void nemesis__deadman_parse(struct fault_target *tg, const char *out);
/* The switch's loop (sh -c LOOP netsplit-deadman LEASE PERIOD ID DIR UNDO
   PACKED), for its unit test. */
const char *nemesis__deadman_loop(void);

/* ===== iptables (nemesis/partition.c) ===== */

/* The script + args that put rules (one "-A CHAIN ..." rule body per
   element of rules, shell words) into target tg's chain. */
int nemesis__ipt_apply(struct nemesis_set *s, struct fault *f,
		       struct nemesis_argv *rules_per_target, struct sb *err);
void nemesis__ipt_undo(const struct fault *f, size_t i, struct sb *script,
		       struct nemesis_argv *args);
/* Set chain and backend for every target. */
int nemesis__ipt_prepare(struct nemesis_set *s, struct fault *f,
			 struct sb *err);

extern const struct nemesis_type nemesis_partition;
extern const struct nemesis_type nemesis_loss;
extern const struct nemesis_type nemesis_kill;
extern const struct nemesis_type nemesis_pause;
extern const struct nemesis_type nemesis_clock;
extern const struct nemesis_type nemesis_replica_lag;

#endif
