/*
 * nemesis.h - fault injection: partitions, packet loss, process kill and
 * pause, clock skew, each one journaled so that it can always be healed.
 *
 * Shape.  One vtable per fault kind (struct nemesis_type: partition, loss,
 * kill, pause, clock) in a registry (nemesis_type_find()).  A nemesis set
 * (struct nemesis_set) is what the controller holds: the kinds chosen for
 * the run, a seeded schedule, the transport, the database plug-in, the run
 * directory and its journal, and the faults in force.
 *
 * Records.  Every fault is a struct fault: kind, shape, targets, for each
 * target the grudge row (the nodes it drops), the iptables backend and
 * chain used, pids, clock offsets, the dead-man switch, and start/stop
 * times.  It serialises to JSON (fault_to_json / fault_from_json).
 *
 * Journal.  RUN_DIR/nemesis.journal holds one JSON object per line:
 *   {"event":"apply","fault":{...}}    written and fsync'd BEFORE the
 *                                      fault touches any node;
 *   {"event":"applied","fault":{...}}  after: the same record plus what
 *                                      was learned (pids, skipped targets),
 *                                      not fsync'd (the start does not
 *                                      wait for the disk; heal needs only
 *                                      "apply");
 *   {"event":"healed","id":"..."}      after every target was healed.
 * The set holds an exclusive flock on its journal for its whole life:
 * `netsplit heal` leaves a live run's faults to it (unless --force).
 * nemesis_stop() and `netsplit heal` (nemesis_heal_store()) both undo from
 * the record alone, so a fault survives neither a normal stop nor a
 * controller crash: heal undoes every fault journaled under store_dir
 * whose last line is not "healed".  Undo steps are idempotent.
 *
 * Dead-man switch.  Applying a fault on a node also starts, on that node, a
 * detached shell loop (setsid) that runs the same undo steps as soon as the
 * run's lease file on that node has not changed for deadman_s seconds.
 * The controller renews every lease with nemesis_renew() (it writes a
 * renewal counter into it), at least every deadman_s / 3 seconds while
 * faults are in force; nemesis_stop() disarms the switch once the fault
 * is healed (never before: a fault whose undo failed keeps its switches
 * and its renewed lease).  The switch measures the lease's age on a
 * monotonic clock (/proc/uptime; its own 1 s ticks where that is
 * missing), never with the node's wall clock, which a clock fault may
 * have moved: it fires no sooner than
 * deadman_s seconds after the last renewal it saw, and a fault never
 * outlives the controller's last renewal by more than deadman_s + 2
 * seconds (plus the time its undo takes; a failing undo is retried every
 * 2 s for 5 minutes), whatever happened to the controller.  The lease
 * file goes with the last fault healed on its node.

 * Safety.  iptables rules go into one chain per fault (NS-<fault id>)
 * jumped to from INPUT; the chain starts with a RETURN for the controller's
 * own address (as the node sees it: $SSH_CLIENT), so its SSH path always
 * survives; heal removes exactly those chains, with the backend
 * (iptables / iptables-legacy) that created them.  The clock fault never
 * changes the clock of a node that shares the controller's kernel (same
 * /proc/sys/kernel/random/boot_id): there it only works on processes
 * started under libfaketime, and reports other targets as unsupported.
 *
 * Controller protocol:
 *   1. nemesis_opts_init(), nemesis_opts_from_config() (the "nemesis"
 *      config section; flags then override fields);
 *   2. nemesis_set_new(): probes the nodes, opens the journal;
 *   3. every interval_s: nemesis_start_next() or nemesis_stop() on the
 *      fault in force, alternating (history events "start-<kind>" and
 *      "stop-<kind>" from fault_kind(), value fault_describe());
 *      nemesis_renew() at least every deadman_s / 3 seconds;
 *   4. at the end, on Ctrl-C, SIGTERM or any error: nemesis_heal_all(),
 *      then nemesis_set_free().
 * The set locks itself: its functions may be called from any thread, but
 * never from a signal handler.
 *
 * Ownership: a set owns its faults; a fault returned by
 * nemesis_start_next() stays valid until nemesis_stop() on it,
 * nemesis_heal_all() or nemesis_set_free().  The set borrows the transport
 * and the database (both must outlive it).  json_t results are new
 * references; char * results are the caller's to free().
 */
#ifndef NS_NEMESIS_H
#define NS_NEMESIS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sb.h"

struct config;
struct transport;
struct db;
struct nemesis;
struct nemesis_set;
struct fault;

/* ===== Options (the "nemesis" config section) ===== */

struct nemesis_opts {
	char *faults;		/* "partition,kill,pause,clock,loss" or finer
				   kinds: "partition-ring", "kill-leader",
				   "clock-strobe"... (docs/nemesis.md) */
	uint64_t seed;		/* same seed, same schedule */
	int cycle;		/* 1: take the faults list in order, round
				   robin; 0 (default): draw from it */
	int interval_s;		/* controller: seconds between start/stop */
	int deadman_s;		/* dead-man period, default 30 */
	char *iptables;		/* "auto" (default), "iptables",
				   "iptables-legacy", "iptables-nft" */
	double loss_probability;	/* loss: drop probability, 0.3 */
	long long clock_delta_ms;	/* clock bump: |offset| <= this */
	long long strobe_period_ms;	/* clock strobe: flip period */
	const char *faults_flag;	/* the command's flag that sets faults
					   ("--nemesis"), named when the
					   default faults do not fit; NULL:
					   none (borrowed) */
};

void nemesis_opts_init(struct nemesis_opts *o);
void nemesis_opts_release(struct nemesis_opts *o);
/*
 * Read c->nemesis strictly (unknown key or wrong type: -NS_ECONFIG naming
 * the key).  Keys: faults (string or array of strings), interval_s, seed,
 * deadman_s, iptables, loss_probability, clock_delta_ms,
 * strobe_period_ms, order ("random" or "cycle").  The faults list, given
 * or the default, must fit the config's nodes (nemesis_check_fit()):
 * else -NS_ECONFIG naming the key (and o->faults_flag for a default).
 */
int nemesis_opts_from_config(struct nemesis_opts *o, const struct config *c,
			     struct sb *err);
/* Check a faults list ("partition,kill"): 0 or -NS_EUSAGE naming it. */
int nemesis_check_faults(const char *faults, struct sb *err);
/*
 * Check that every item of a faults list fits a cluster of nnodes
 * (partition-ring needs 4, partition-bridge 3, any partition 2): 0 or
 * -NS_EUSAGE naming the item, what it needs and nnodes.
 */
int nemesis_check_fit(const char *faults, size_t nnodes, struct sb *err);

/* ===== The set: what the controller drives ===== */

/*
 * Create a set for o->faults over every node of the transport.  db may be
 * NULL (then kill/pause are refused with -NS_EUSAGE).  run_dir receives
 * nemesis.journal.  Probes each node once (iptables backend, boot id).
 */
/*
 * Whether run_dir's journal is held by a live set (a controller or
 * `netsplit nemesis` that has not ended): 1 yes, 0 no (or no journal).
 * For callers that must refuse before doing anything to the nodes.
 */
int nemesis_run_live(const char *run_dir);

int nemesis_set_new(struct nemesis_set **sp, const struct nemesis_opts *o,
		    struct transport *t, struct db *db, const char *run_dir,
		    struct sb *err);
/* Frees the set; does NOT heal (call nemesis_heal_all() first). */
void nemesis_set_free(struct nemesis_set *s);

/*
 * Plan the k-th fault of the schedule without applying it (pure: same
 * seed, same node list, same plan).  *f is the caller's (fault_free()).
 * The controller stores nemesis_schedule_json(s, n) in run.json.
 */
int nemesis_plan(struct nemesis_set *s, size_t k, struct fault **f,
		 struct sb *err);
json_t *nemesis_schedule_json(struct nemesis_set *s, size_t n);

/*
 * Journal, then apply the next scheduled fault on all its targets at once.
 * *f is the fault in force, or NULL when no target could take it (e.g. a
 * clock fault on etcd nodes): then there is no window to record.  Targets
 * skipped as unsupported are explained in note (one line each, said once
 * per kind and reason).  On error the fault is healed before returning.
 */
int nemesis_start_next(struct nemesis_set *s, struct fault **f,
		       struct sb *note, struct sb *err);
/*
 * Heal f (undo on every target, restart killed processes), disarm its
 * dead-man switches, journal "healed", free f.  On error f stays in force
 * and owned by the set (nemesis_heal_all() and `netsplit heal` retry it);
 * the caller must not use it again either way.
 */
int nemesis_stop(struct nemesis_set *s, struct fault *f, struct sb *err);
/* nemesis_stop() every fault in force; tries them all, first error wins. */
int nemesis_heal_all(struct nemesis_set *s, struct sb *err);
/*
 * Renew the dead-man leases on every node that has a fault in force.  On
 * error err names each node whose lease could not be renewed (one line
 * each).
 */
int nemesis_renew(struct nemesis_set *s, struct sb *err);
/* Number of faults in force. */
size_t nemesis_active(const struct nemesis_set *s);

/* ===== Fault records ===== */

const char *fault_kind(const struct fault *f);	/* "partition", "kill"... */
const char *fault_id(const struct fault *f);
/*
 * What the history event carries: {"id","kind","shape","targets":[...],
 * "grudge":{"n1":["n2"],...}, "probability", "offset_ms":{...},
 * "pids":{...}, "unsupported":{...}, "summary":"..."} (keys present
 * when they apply; "summary" always, from fault_summary()).
 */
json_t *fault_describe(const struct fault *f);
/*
 * Append a short human text for f to out, the words a fault window is
 * labelled with ("KIND: SUMMARY", docs/checkers.md): a partition that is a
 * clean split into components (halves, isolate) "n1, n2, n3 | n4, n5",
 * any other grudge (ring, bridge) "n1 cut off from n2, n3; ..." (each cut
 * link once), loss "n1, n2
 * drop 20% of packets", kill/pause "n1, n2", clock "n1 +250 ms, n2 -80 ms",
 * any other kind "KIND on n1, n2".  Unsupported targets are left out.
 */
void fault_summary(const struct fault *f, struct sb *out);
json_t *fault_to_json(const struct fault *f);	/* the whole record */
int fault_from_json(struct fault **f, json_t *j, struct sb *err);
void fault_free(struct fault *f);

/* ===== netsplit heal ===== */

/*
 * How `netsplit heal` gets the database plug-in that restarts killed
 * members (nemesis/ does not reach the registry in workloads/): open()
 * returns a db of that type (NULL: the config's db.type) bound to t, or
 * NULL with err saying why.  heal frees it with db_free().
 */
struct nemesis_db_opener {
	struct db *(*open)(const char *type, struct transport *t, void *ctx,
			   struct sb *err);
	void *ctx;
};

struct nemesis_heal_stats {
	size_t journals;	/* journal files read */
	size_t faults;		/* faults found not healed */
	size_t healed;		/* ... of which healed now */
	size_t failed;		/* ... of which could not be healed */
	size_t live;		/* journals skipped: their run is live */
	size_t bad_lines;	/* journal lines that could not be read */
};

#define NEMESIS_HEAL_FORCE 1u	/* heal live runs' faults too */

/*
 * Heal every fault journaled under store_dir (its nemesis.journal files,
 * any depth up to 4) whose last journal line is not "healed": connect to
 * the nodes named in the records (ssh settings and addresses from c,
 * by node name; a node c does not know is an error), run each target's
 * undo steps (a killed member is restarted through dbo, when it is not
 * running), kill its dead-man switch where the undo succeeded (a node
 * whose undo failed keeps its switch), remove the run's lease files no
 * fault left in force needs, and journal "healed" once every target is
 * healed.  dbo may be NULL (then killed members cannot be restarted: an
 * error).  Progress lines go to log.  A journal whose run is live (its
 * set holds a flock on it: nemesis_set_new() to nemesis_set_free()) is
 * skipped with a line in log naming the run directory, unless flags has
 * NEMESIS_HEAL_FORCE.  A torn last journal line is skipped with a
 * warning in log; any other line that is not a journal event is an
 * error naming file:line (-NS_EREAD), after what could be read was
 * healed.  Returns 0 when nothing is left, otherwise the first error
 * (err says which node and fault, or which journal line).
 */
int nemesis_heal_store(const struct config *c, const char *store_dir,
		       const struct nemesis_db_opener *dbo, unsigned flags,
		       struct nemesis_heal_stats *st, struct sb *log,
		       struct sb *err);

/* ===== Grudges (partition shapes; pure, unit-tested) ===== */

/*
 * A grudge over n nodes: drop[i * n + j] != 0 means node i drops the
 * packets it receives from node j.  perm is a permutation of 0..n-1 (the
 * node order the shape is cut from; the identity for plain "halves").
 */
struct grudge {
	size_t n;
	unsigned char *drop;
};

void grudge_init(struct grudge *g, size_t n);
void grudge_release(struct grudge *g);
/* Two halves: perm[0 .. n/2-1] and perm[n/2 .. n-1] drop each other. */
void grudge_halves(struct grudge *g, const size_t *perm);
/* perm[0] alone against the rest. */
void grudge_isolate(struct grudge *g, const size_t *perm);
/* Each node sees itself and the next majority-1 nodes of the ring perm,
 * drops the rest: every node sees a majority, no two the same one. */
int grudge_ring(struct grudge *g, const size_t *perm, struct sb *err);
/* Halves with perm[n/2] as a bridge: it drops nobody, nobody drops it. */
int grudge_bridge(struct grudge *g, const size_t *perm, struct sb *err);
int grudge_drops(const struct grudge *g, size_t i, size_t j);

/* ===== The vtable (one per fault kind) ===== */

/* A growable argument vector (v[n] == NULL); owns its strings. */
struct nemesis_argv {
	char **v;
	size_t n, alloc;
};

void nemesis_argv_push(struct nemesis_argv *a, const char *s);
void nemesis_argv_pushf(struct nemesis_argv *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nemesis_argv_release(struct nemesis_argv *a);

struct nemesis_type {
	const char *name;	/* "partition", "loss", "kill", "pause",
				   "clock" */
	const char *const *shapes;	/* variants, NULL-terminated; the
					   finer kind is "<name>-<shape>" */
	/*
	 * The fewest nodes shape (NULL: the kind itself, its most modest
	 * shape) can be cut on; NULL slot: any number.  Random draws take
	 * only shapes that fit; an explicit one that does not is a config
	 * error.
	 */
	size_t (*min_nodes)(const char *shape);
	int needs_db;		/* works on database members (kill, pause) */
	int arms_deadman;	/* start() arms the dead-man switches itself
				   (in the same command as the fault) */
	/* Probe what this kind needs on every node (may be NULL). */
	int (*setup)(struct nemesis *n, struct sb *err);
	/* Fill f's targets and parameters for shape from the rng; no I/O. */
	int (*plan)(struct nemesis *n, struct fault *f, const char *shape,
		    uint64_t *rng, struct sb *err);
	/*
	 * Resolve what only the cluster knows (the leader, pids, which
	 * targets are unsupported) before f is journaled (may be NULL).
	 */
	int (*prepare)(struct nemesis *n, struct fault *f, struct sb *note,
		       struct sb *err);
	/* Inject f (already journaled) on all its targets. */
	int (*start)(struct nemesis *n, struct fault *f, struct sb *note,
		     struct sb *err);
	/* Heal f on all targets; idempotent.  NULL: run the undo scripts. */
	int (*stop)(struct nemesis *n, struct fault *f, struct sb *err);
	/*
	 * The undo steps for target i of f as a fixed sh script plus its
	 * arguments ($1...), appended to script and args; used by stop, by
	 * the dead-man switch and by `netsplit heal`.  Idempotent.
	 */
	void (*undo)(const struct fault *f, size_t i, struct sb *script,
		     struct nemesis_argv *args);
	void (*release)(struct nemesis *n);
};

/* The registry (nemesis/registry.c): NULL when no kind has this name. */
const struct nemesis_type *nemesis_type_find(const char *name);
extern const struct nemesis_type *const nemesis_types[];

#endif
