/*
 * schedule.c - the nemesis thread: every interval_s it starts the next
 * fault of the seeded schedule, then after interval_s stops it, and so on
 * (Jepsen's rhythm), renewing the dead-man leases meanwhile; no fault
 * starts with less than interval_s / 2 left before the time limit (it
 * would be cut short when the clients stop).  Each start
 * and stop is one op of the "nemesis" process in the history:
 *   invoke  f "start-<kind>", value: the planned fault
 *   info    f "start-<kind>", value: the fault in force (pids, ...)
 *   invoke / info  f "stop-<kind>", value: the fault being healed
 * A fault no target could take (e.g. clock on etcd) is recorded as a
 * start whose info carries error "unsupported: ..." followed at once by
 * its stop: a window of zero length, so no op falls inside it.  So is a
 * fault that failed to start and was undone (the start's info carries
 * the error; the run then fails); one whose undo failed as well stays
 * open until nemesis_heal_all() at the end, and its stop records how
 * that went: every start has its stop.  Likewise a stop that fails (the
 * fault is still in force): its invoke is recorded, its info only after
 * heal-all, so the window ends when the fault did.
 * What a start notes about a fault it applied (targets skipped, a leader
 * chosen at random, a lost "applied" journal line) becomes run warnings.
 * Lease renewals that fail are warnings naming the node (run_warn);
 * RENEW_FAILS_MAX of them in a row fail the run as a harness error
 * before the lease can expire (after deadman_s, 3 renewal periods): a
 * switch that healed mid-fault would make the history's window lie.
 * When told to stop (end of run, Ctrl-C, an error) it heals what is in
 * force, records the stop, and calls nemesis_heal_all() as a last resort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "harness/run.h"
#include "os.h"

#define RENEW_FAILS_MAX 2

struct run_schedule {
	struct run *r;
	pthread_t thread;
	int started;
	struct fault *cur;
	char cur_f[64];
	size_t k;		/* faults started so far */
	/* a fault that failed to start and to heal: its window is open */
	json_t *orphan;
	char orphan_f[72];	/* "stop-<kind>" */
	int orphan_invoked;	/* its stop's invoke is recorded already */
	int renew_fails;	/* failed renewals in a row */
	struct sb err;
	int rc;
};

static int stopping(const struct run *r)
{
	return atomic_load(&r->stop_nemesis) || run_interrupted;
}

static void set_fault_now(struct run *r, const char *what)
{
	pthread_mutex_lock(&r->lock);
	snprintf(r->fault_now, sizeof(r->fault_now), "%s", what);
	pthread_mutex_unlock(&r->lock);
}

static void note_applied(struct run *r, json_t *desc, const char *kind)
{
	json_t *e = json_object();

	json_object_set_new(e, "time_s", json_real((double)run_now_ns(r) /
						   1e9));
	json_object_set_new(e, "kind", json_string(kind));
	json_object_set(e, "fault", desc);
	pthread_mutex_lock(&r->lock);
	json_array_append_new(r->faults, e);
	pthread_mutex_unlock(&r->lock);
}

/*
 * What the start of a fault in force noted (targets skipped, a leader
 * chosen at random, a journal line lost): run warnings, one per line
 * (without a "warning: " of its own: every run warning is one).
 */
static void warn_notes(struct run *r, const struct sb *note)
{
	const char *p = note->buf, *nl;

	for (; *p; p = nl + !!*nl) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!strncmp(p, "warning: ", 9) && p + 9 <= nl)
			p += 9;
		if (nl > p)
			run_warn(r, "nemesis: %.*s", (int)(nl - p), p);
	}
}

static int stop_current(struct run_schedule *s)
{
	struct run *r = s->r;
	struct sb err = SB_INIT;
	json_t *desc;
	char f[72];
	int rc;

	if (!s->cur)
		return 0;
	desc = fault_describe(s->cur);
	snprintf(f, sizeof(f), "stop-%s", s->cur_f);
	run_record_nemesis(r, HIST_INVOKE, f, desc, NULL);
	rc = nemesis_stop(r->nem, s->cur, &err);
	s->cur = NULL;	/* freed by nemesis_stop, healed or not */
	if (rc && !s->orphan) {
		/* still in force: the window closes after heal-all */
		s->orphan = json_incref(desc);
		s->orphan_invoked = 1;
		snprintf(s->orphan_f, sizeof(s->orphan_f), "%s", f);
	} else {
		run_record_nemesis(r, HIST_INFO, f, desc,
				   rc ? err.buf : NULL);
	}
	json_decref(desc);
	set_fault_now(r, "");
	if (rc && !s->rc) {
		s->rc = rc;
		sb_addf(&s->err, "%s", err.buf);
	}
	sb_release(&err);
	return rc;
}

static int start_next(struct run_schedule *s)
{
	struct run *r = s->r;
	struct sb err = SB_INIT, note = SB_INIT;
	struct fault *plan = NULL, *f = NULL;
	json_t *desc;
	char fname[72], kind[64];
	size_t before;
	int rc;

	rc = nemesis_plan(r->nem, s->k, &plan, &err);
	if (rc) {
		run_fail(r, rc, "nemesis: %s", err.buf);
		sb_release(&err);
		return rc;
	}
	snprintf(kind, sizeof(kind), "%s", fault_kind(plan));
	snprintf(fname, sizeof(fname), "start-%s", kind);
	desc = fault_describe(plan);
	fault_free(plan);
	run_record_nemesis(r, HIST_INVOKE, fname, desc, NULL);
	set_fault_now(r, kind);
	before = nemesis_active(r->nem);
	rc = nemesis_start_next(r->nem, &f, &note, &err);
	s->k++;
	if (rc) {
		run_record_nemesis(r, HIST_INFO, fname, NULL, err.buf);
		snprintf(fname, sizeof(fname), "stop-%s", kind);
		if (nemesis_active(r->nem) > before) {
			/* not undone either: closed after heal-all */
			s->orphan = json_incref(desc);
			snprintf(s->orphan_f, sizeof(s->orphan_f), "%s",
				 fname);
		} else {
			run_record_nemesis(r, HIST_INVOKE, fname, desc, NULL);
			run_record_nemesis(r, HIST_INFO, fname, desc,
					   "start failed; undone");
			set_fault_now(r, "");
		}
		run_fail(r, rc, "nemesis: %s", err.buf);
	} else if (!f) {
		struct sb why = SB_INIT;
		json_t *v = json_pack("{ss}", "unsupported", note.buf);

		sb_addf(&why, "unsupported: %s", note.len ? note.buf :
			"no target could take it");
		run_record_nemesis(r, HIST_INFO, fname, v, why.buf);
		if (note.len) {
			json_t *e = json_pack("{ss ss}", "kind", kind,
					      "unsupported", note.buf);

			pthread_mutex_lock(&r->lock);
			json_array_append_new(r->faults, e);
			pthread_mutex_unlock(&r->lock);
		}
		snprintf(fname, sizeof(fname), "stop-%s", kind);
		run_record_nemesis(r, HIST_INVOKE, fname, v, NULL);
		run_record_nemesis(r, HIST_INFO, fname, v, NULL);
		json_decref(v);
		sb_release(&why);
		set_fault_now(r, "");
	} else {
		json_t *now = fault_describe(f);

		run_record_nemesis(r, HIST_INFO, fname, now, NULL);
		note_applied(r, now, kind);
		warn_notes(r, &note);
		json_decref(now);
		s->cur = f;
		snprintf(s->cur_f, sizeof(s->cur_f), "%s", fault_kind(f));
	}
	json_decref(desc);
	sb_release(&note);
	sb_release(&err);
	return rc;
}

/* Renew the leases; 1 when the run must stop (renewals keep failing). */
static int renew(struct run_schedule *s)
{
	struct run *r = s->r;
	struct sb err = SB_INIT;
	int rc = nemesis_renew(r->nem, &err);

	if (!rc) {
		s->renew_fails = 0;
		sb_release(&err);
		return 0;
	}
	s->renew_fails++;
	if (err.len && err.buf[err.len - 1] == '\n')
		err.buf[--err.len] = '\0';
	run_warn(r, "nemesis: dead-man lease not renewed (%d in a row): %s",
		 s->renew_fails, err.buf);
	if (s->renew_fails < RENEW_FAILS_MAX) {
		sb_release(&err);
		return 0;
	}
	run_fail(r, rc, "nemesis: the dead-man lease was not renewed %d "
		 "times in a row, so its switch may heal the fault in force "
		 "before the history says so: %s", s->renew_fails, err.buf);
	sb_release(&err);
	return 1;
}

static void *schedule_main(void *arg)
{
	struct run_schedule *s = arg;
	struct run *r = s->r;
	double interval = r->nopts.interval_s > 0 ? r->nopts.interval_s : 10;
	double renew_every = (r->nopts.deadman_s > 0 ?
			      r->nopts.deadman_s : 30) / 3.0;
	double next = ns_mono_s() + interval, last_renew = ns_mono_s();

	while (!stopping(r)) {
		if (ns_mono_s() < next) {
			if (s->cur && ns_mono_s() - last_renew >= renew_every) {
				last_renew = ns_mono_s();
				if (renew(s))
					break;
			}
			usleep(20000);
			continue;
		}
		if (s->cur) {
			if (stop_current(s)) {
				run_fail(r, s->rc, "nemesis: %s", s->err.buf);
				break;
			}
		} else if (r->p.time_limit_s > 0 &&
			   (double)run_now_ns(r) / 1e9 + interval / 2 >
			   r->p.time_limit_s) {
			/* less than half a fault's length is left: one
			   started now would be cut short when the clients
			   stop, a window too short to tell anything */
		} else if (start_next(s)) {
			break;
		}
		last_renew = ns_mono_s();
		next += interval;
	}
	stop_current(s);
	return NULL;
}

int run_schedule_start(struct run *r, struct run_schedule **sp,
		       struct sb *err)
{
	struct run_schedule *s = xcalloc(1, sizeof(*s));

	s->r = r;
	*sp = s;
	if (!r->nem)
		return 0;
	if (pthread_create(&s->thread, NULL, schedule_main, s)) {
		sb_addf(err, "cannot start the nemesis thread");
		return -NS_EINTERNAL;
	}
	s->started = 1;
	return 0;
}

int run_schedule_stop(struct run_schedule *s, struct sb *err)
{
	struct sb orphan_err = SB_INIT;
	struct run *r;
	int rc;

	if (!s)
		return 0;
	r = s->r;
	atomic_store(&r->stop_nemesis, 1);
	if (s->started)
		pthread_join(s->thread, NULL);
	s->started = 0;
	stop_current(s);
	rc = s->rc;
	if (rc)
		sb_addf(err, "%s", s->err.buf);
	if (r->nem && nemesis_active(r->nem)) {
		struct sb herr = SB_INIT;
		int r2 = nemesis_heal_all(r->nem, &herr);

		if (r2 && !rc)
			rc = r2;
		if (r2)
			sb_addf(err, "%s%s", err->len ? "\n" : "", herr.buf);
		if (s->orphan)
			sb_addf(&orphan_err, "%s", r2 ? herr.buf : "");
		sb_release(&herr);
	}
	if (s->orphan) {
		if (!s->orphan_invoked)
			run_record_nemesis(r, HIST_INVOKE, s->orphan_f,
					   s->orphan, NULL);
		run_record_nemesis(r, HIST_INFO, s->orphan_f, s->orphan,
				   orphan_err.len ? orphan_err.buf : NULL);
	}
	sb_release(&orphan_err);
	json_decref(s->orphan);
	sb_release(&s->err);
	free(s);
	return rc;
}
