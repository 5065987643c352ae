/*
 * run.h - one `netsplit run`: its parameters, its shared state, and the
 * parts of the controller that drive it (controller.c: the lifecycle;
 * recorder.c: the history; clients.c: the worker threads; schedule.c: the
 * nemesis thread; progress.c: the progress line).
 *
 * Threads.  The main thread runs the lifecycle and the progress line;
 * `concurrency` worker threads each own one workload client; one nemesis
 * thread starts and stops faults on the schedule.  They share struct run:
 * the history (under `lock`: every event is timed, appended and written to
 * history.jsonl while it is held, so the file is in time order), the
 * counters (atomics), and the stop flags.  A signal handler only sets
 * run_interrupted.
 *
 * Ownership: struct run owns everything it points to except the config
 * (the caller's) and the params' strings (argv / config, borrowed).
 */
#ifndef NS_RUN_H
#define NS_RUN_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "history.h"
#include "nemesis/nemesis.h"
#include "sb.h"
#include "transport.h"
#include "workloads/workload.h"

/* How a run shows its progress (progress.c). */
enum {
	RUN_PROGRESS_OFF,	/* --no-progress */
	RUN_PROGRESS_TTY,	/* stderr a terminal: one line, redrawn */
	RUN_PROGRESS_LOG	/* else: a line every 10 s */
};

/* What `netsplit run` was asked to do (config keys, then flags). */
struct run_params {
	const char *db;			/* db.type */
	const char *workload;		/* workload.type */
	double time_limit_s;		/* run.time_limit_s, default 30 */
	long concurrency;		/* run.concurrency, default 5 */
	double rate;			/* run.rate: ops/s overall, 0 = max */
	uint64_t seed;			/* run.seed, default random */
	int seed_flag;			/* seed came from --seed: it beats
					   every seed in the config */
	long test_count;		/* run.test_count, default 1 */
	double recover_s;		/* run.recover_s: wait after heal, 3 */
	double check_timeout_s;		/* run.check_timeout_s, 120 */
	int keep;			/* --keep / run.keep: no teardown */
	int progress;			/* RUN_PROGRESS_* */
};

/* Set by SIGINT / SIGTERM; the run heals and stops. */
extern volatile sig_atomic_t run_interrupted;

struct run {
	const struct config *cfg;
	struct run_params p;
	char *dir;			/* STORE/<name>/<timestamp> */
	time_t started;			/* wall clock, for run.json */
	struct transport *t;
	struct db *db;
	struct workload *wl;
	struct nemesis_opts nopts;
	struct nemesis_set *nem;	/* NULL: no faults */
	struct timespec t0;		/* time zero of the history */
	/* The history (under lock). */
	pthread_mutex_t lock;
	struct history h;
	struct hist_writer *writer;
	atomic_int write_error;		/* first recording error (sticky) */
	/* Counters of client completions. */
	atomic_ulong ok, fail, info;
	/* Stop flags: clients stop taking ops; the nemesis heals. */
	atomic_int stop_clients, stop_nemesis;
	/* Fault in force, for the progress line (under lock). */
	char fault_now[96];
	/* Fault schedule actually applied (under lock), for run.json. */
	json_t *faults;
	/* A fatal error from a thread (first one wins, under lock). */
	struct sb thread_err;
	int thread_rc;
	/* Warnings from the threads, one per line (under lock): printed by
	   `netsplit run` and kept in results.json. */
	struct sb warnings;
};

/* ===== recorder.c ===== */
int run_record_open(struct run *r, struct sb *err);
int run_record_close(struct run *r, struct sb *err);
/* Nanoseconds since t0. */
int64_t run_now_ns(const struct run *r);
/* Record a client invoke of op by process (worker session, node name). */
void run_record_invoke(struct run *r, int64_t process, int64_t session,
		       const char *node, const struct workload_op *op);
void run_record_complete(struct run *r, int64_t process, int64_t session,
			 const char *node, const struct workload_op *op);
/* A nemesis event: type HIST_INVOKE or HIST_INFO, f "start-<kind>"... */
void run_record_nemesis(struct run *r, enum hist_type type, const char *f,
			json_t *value, const char *error);
/* Set the first fatal error of a thread. */
void run_fail(struct run *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append one warning line (a thread's problem that does not stop it). */
void run_warn(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ===== clients.c ===== */
struct run_clients;
/* Open one client per worker and start the threads (phase: ops). */
int run_clients_start(struct run *r, struct run_clients **cp,
		      struct sb *err);
/* Stop taking ops, wait for every worker's op in flight. */
void run_clients_join(struct run_clients *c);
/* Every worker's final reads (after heal and recovery), in parallel. */
void run_clients_final(struct run_clients *c);
void run_clients_free(struct run_clients *c);

/* ===== schedule.c ===== */
struct run_schedule;
int run_schedule_start(struct run *r, struct run_schedule **sp,
		       struct sb *err);
/* Stop the schedule: heal every fault in force (recorded), join. */
int run_schedule_stop(struct run_schedule *s, struct sb *err);

/* ===== progress.c ===== */
void run_progress(struct run *r, int final_line);

/* ===== controller.c ===== */
/*
 * The whole lifecycle of one run (see controller.c).  Returns the exit
 * code: the worst verdict (0/1/2), 3 for config errors, 4 for harness
 * errors (err says why).  *dir_out gets the run directory (caller frees;
 * NULL if none was made).
 */
int controller_run(const struct config *c, const struct run_params *p,
		   char **dir_out, struct sb *err);
/*
 * Step 1 of controller_run() alone: every plug-in reads its config
 * section (no node is touched).  0, or -NS_ECONFIG/-NS_EUSAGE naming the
 * key (or the flag that set it).  `netsplit run` calls it before it
 * prints anything.
 */
int run_check_config(const struct config *c, const struct run_params *p,
		     struct sb *err);
/*
 * The nemesis schedule's seed: --seed when given (flags override the
 * config), else the config's nemesis.seed, else the run's seed.
 */
uint64_t run_nemesis_seed(const struct config *c, const struct run_params *p,
			  uint64_t config_seed);

#endif
