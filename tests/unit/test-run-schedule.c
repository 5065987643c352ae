/*
 * test-run-schedule.c - the run's nemesis thread (harness/schedule.c)
 * without a cluster, over a stand-in fault kind (nemesis-stand-in.h):
 * what the start of a fault in force notes reaches the run's warnings;
 * no fault starts too near the time limit.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "harness/run.h"
#include "nemesis-stand-in.h"
#include "test.h"

/* A run of interval_s 2 and time_limit_s limit (0: none), its nemesis
   thread started. */
static void sched_init(struct run *r, struct config *c, double limit,
		       struct run_schedule **sched)
{
	struct sb err = SB_INIT;

	config_init(c);
	memset(r, 0, sizeof(*r));
	r->cfg = c;
	r->p.time_limit_s = limit;
	pthread_mutex_init(&r->lock, NULL);
	hist_init(&r->h);
	sb_init(&r->warnings, 0);
	sb_init(&r->thread_err, 0);
	r->faults = json_array();
	r->dir = xstrdup(test_tmpdir());
	CHECK_EQ_INT(run_record_open(r, &err), 0);
	nemesis_opts_init(&r->nopts);
	r->nopts.interval_s = 2;	/* start at 2 s, stop at 4 s */
	r->nem = stand_in_set(&stand_in_full_disk, r->dir);
	CHECK_EQ_INT(run_schedule_start(r, sched, &err), 0);
	sb_release(&err);
}

static void sched_release(struct run *r, struct config *c)
{
	nemesis_set_free(r->nem);
	nemesis_opts_release(&r->nopts);
	hist_release(&r->h);
	json_decref(r->faults);
	sb_release(&r->warnings);
	sb_release(&r->thread_err);
	pthread_mutex_destroy(&r->lock);
	free(r->dir);
	config_release(c);
}

static size_t faults_applied(struct run *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = json_array_size(r->faults);
	pthread_mutex_unlock(&r->lock);
	return n;
}

/*
 * The journal's disk fills up once the fault is journaled ("apply"): the
 * lost "applied" line is a warning of the run (results.json, printed by
 * `netsplit run`), naming the fault and the journal, not a failed run;
 * the fault's window is in the history and its stop heals it.
 */
TEST_T(run_warns_of_a_lost_applied_line, 20)
{
	struct config c;
	struct run r;
	struct run_schedule *sched = NULL;
	struct history h;
	struct sb err = SB_INIT, warn = SB_INIT, path = SB_INIT;
	size_t applied = 0, k;
	int i;

	sched_init(&r, &c, 0, &sched);
	for (i = 0; i < 1000 && !applied; i++) {	/* 10 s */
		usleep(10000);
		applied = faults_applied(&r);
	}
	CHECK_EQ_INT(applied, 1);
	/* room again before the stop journals "healed" */
	CHECK_EQ_INT(stand_in_restore(r.nem), 0);
	CHECK_EQ_INT(run_schedule_stop(sched, &err), 0);
	CHECK_EQ_INT(stand_in_stops, 1);
	CHECK_EQ_INT(nemesis_active(r.nem), 0);
	CHECK_EQ_INT(r.thread_rc, 0);
	CHECK_CONTAINS(r.warnings.buf, "nemesis: fault '0123abcd-0': ");
	CHECK_CONTAINS(r.warnings.buf, "nemesis.journal: ");
	CHECK_CONTAINS(r.warnings.buf, strerror(ENOSPC));
	CHECK(strstr(r.warnings.buf, "warning:") == NULL);
	CHECK_EQ_INT(run_record_close(&r, &err), 0);
	/* the window: start and stop, each an invoke and an info */
	hist_init(&h);
	sb_addf(&path, "%s/history.jsonl", r.dir);
	CHECK_EQ_INT(hist_read_file(&h, path.buf, HIST_FMT_JSON, &warn, &err),
		     0);
	CHECK_EQ_INT(h.n, 4);
	for (k = 0; k < h.n; k++)
		CHECK_CONTAINS(hist_str(&h, h.ev[k].f), "-full-disk");
	hist_release(&h);
	sb_release(&path);
	sb_release(&warn);
	sched_release(&r, &c);
	sb_release(&err);
}

/* A fault due at 2 s of a 2.5 s run would be cut short half a second
   later: none starts, and none is recorded. */
TEST_T(run_starts_no_fault_too_near_the_time_limit, 20)
{
	struct config c;
	struct run r;
	struct run_schedule *sched = NULL;
	struct sb err = SB_INIT;

	sched_init(&r, &c, 2.5, &sched);
	usleep(3000000);
	CHECK_EQ_INT(faults_applied(&r), 0);
	CHECK_EQ_INT(run_schedule_stop(sched, &err), 0);
	CHECK_EQ_INT(stand_in_stops, 0);
	CHECK_EQ_INT(r.h.n, 0);
	CHECK_EQ_INT(r.thread_rc, 0);
	CHECK_EQ_INT(run_record_close(&r, &err), 0);
	sched_release(&r, &c);
	sb_release(&err);
}
