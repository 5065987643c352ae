/*
 * process.c - kill and pause database members (through core/db.h).
 *
 * Shapes: one (a random node), minority ((n-1)/2 random nodes, at least
 * one), leader (the member db_primaries() names when the fault starts; a
 * random node, with a note, when nobody knows one), all.
 *
 * Remote commands (by the database plug-in; the defaults in db.h work
 * from the member's pid file), one per target and fault:
 *   prepare: no command; the member's pid file and directory are
 *     journaled (the undo finds the pid there until the start says it).
 *   kill  start: db_signal() = read the pid file, kill -9 PID, wait
 *                until gone (zombie = gone), print the pid (journaled in
 *                "applied").  A target whose member was not running is
 *                skipped (noted).
 *         stop:  db_pid() first: a target whose member runs (an earlier
 *                try restarted it, or it was never killed) is left
 *                alone; else db_start() (rejoin the cluster), then
 *                db_pid() for the new pid (none: an error).  No
 *                dead-man switch and no undo script: only
 *                the database plug-in can restart a member; the record
 *                names it ("db"), and `netsplit heal` restarts each
 *                killed member that is not running with it (or fails,
 *                naming the member, and leaves the fault unhealed).
 *   pause start: db_signal() with the dead-man switch's arming first
 *                (util.c), then read the pid file, kill -STOP PID, wait
 *                until state T, print the pid.
 *         stop:  db_resume() = kill -CONT PID.
 *         undo (dead-man switch, `netsplit heal`): db_resume_script =
 *                kill -CONT PID (the journaled pid, else the one the pid
 *                file names), only if /proc/PID/stat still says T.
 * A plug-in with its own kill or pause costs three commands (db.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "nemesis-internal.h"

static const char *const shapes[] = {
	"one", "minority", "leader", "all", NULL,
};

static int process_plan(struct nemesis *n, struct fault *f,
			const char *shape, uint64_t *rng, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t *perm = xcalloc(s->nnodes + 1, sizeof(*perm));
	size_t i, count;

	nemesis__shuffle(rng, perm, s->nnodes);
	if (!strcmp(shape, "all"))
		count = s->nnodes;
	else if (!strcmp(shape, "minority"))
		count = (s->nnodes - 1) / 2 ? (s->nnodes - 1) / 2 : 1;
	else
		count = 1;
	for (i = 0; i < count && i < s->nnodes; i++) {
		const struct node *nd = transport_node(s->t, perm[i]);

		nemesis__add_target(f, perm[i], nd->name, nd->host);
	}
	free(perm);
	if (f->type == &nemesis_kill)
		f->deadman_s = 0;	/* nothing a switch could undo */
	if (s->db)
		f->db = xstrdup(s->db->type->name);
	return 0;
}

/* ===== Per-node calls in parallel ===== */

enum op { OP_PID, OP_KILL, OP_PAUSE, OP_RESUME, OP_START };

struct call {
	struct db *db;
	struct nemesis_set *s;
	struct fault *f;
	size_t ti;			/* index of tg in f */
	struct fault_target *tg;
	enum op op;
	int rc;
	struct sb err;
	pthread_t th;
	int started;
};

/*
 * Kill or pause the member in one command: the dead-man switch's arming
 * (pause), reading the pid, the signal and the wait for its effect.
 */
static void signal_member(struct call *c)
{
	struct sb pre = SB_INIT;
	struct nemesis_argv pargs = { 0 };
	struct transport_result res;

	transport_result_init(&res);
	if (c->f->deadman_s)
		nemesis__deadman_prefix(c->s, c->f, c->ti, &pre, &pargs);
	c->rc = db_signal(c->db, c->tg->index, c->op == OP_PAUSE,
			  pre.len ? pre.buf : NULL,
			  (const char *const *)pargs.v, &c->tg->pid, &res,
			  &c->err);
	nemesis__deadman_parse(c->tg, res.out.buf);
	transport_result_release(&res);
	nemesis_argv_release(&pargs);
	sb_release(&pre);
}

static void *call_main(void *p)
{
	struct call *c = p;
	size_t i = c->tg->index;

	switch (c->op) {
	case OP_PID:
		c->rc = db_pid(c->db, i, &c->tg->pid, &c->err);
		break;
	case OP_KILL:
	case OP_PAUSE:
		signal_member(c);
		break;
	case OP_RESUME:
		c->rc = db_resume(c->db, i, &c->err);
		break;
	case OP_START:
		/* Idempotent: a member that runs (restarted by an earlier
		   try, or never killed) is left alone. */
		c->rc = db_pid(c->db, i, &c->tg->new_pid, &c->err);
		if (!c->rc && c->tg->new_pid <= 0)
			c->rc = db_start(c->db, i, &c->err);
		if (!c->rc && c->tg->new_pid <= 0)
			c->rc = db_pid(c->db, i, &c->tg->new_pid, &c->err);
		if (!c->rc && c->tg->new_pid <= 0) {
			sb_addf(&c->err, "%s: member started but its pid "
				"file names no live process", c->tg->node);
			c->rc = -NS_EREMOTE;
		}
		break;
	}
	return NULL;
}

/* Run op on every live target of f at once; first error into err. */
static int each_target(struct nemesis_set *s, struct fault *f, enum op op,
		       struct sb *err)
{
	struct call *calls = xcalloc(f->ntargets + 1, sizeof(*calls));
	size_t i;
	int rc = 0;

	for (i = 0; i < f->ntargets; i++) {
		struct call *c = &calls[i];

		if (f->targets[i].unsupported)
			continue;
		c->db = s->db;
		c->s = s;
		c->f = f;
		c->ti = i;
		c->tg = &f->targets[i];
		c->op = op;
		sb_init(&c->err, 0);
		c->started = !pthread_create(&c->th, NULL, call_main, c);
		if (!c->started)
			call_main(c);
	}
	for (i = 0; i < f->ntargets; i++) {
		struct call *c = &calls[i];

		if (!c->tg)
			continue;
		if (c->started)
			pthread_join(c->th, NULL);
		if (c->rc) {
			sb_addf(err, "fault '%s' (%s): %s\n", f->id,
				f->type->name, c->err.buf);
			if (!rc)
				rc = c->rc;
		}
		sb_release(&c->err);
	}
	free(calls);
	return rc;
}

static int process_prepare(struct nemesis *n, struct fault *f,
			   struct sb *note, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t i;
	int rc;

	if (!strcmp(f->shape, "leader") && f->ntargets == 1) {
		size_t leader, nl = 0;
		struct sb perr = SB_INIT;

		if (!db_primaries(s->db, &leader, 1, &nl, &perr) && nl &&
		    leader < s->nnodes) {
			struct fault_target *tg = &f->targets[0];
			const struct node *nd = transport_node(s->t, leader);

			free(tg->node);
			free(tg->host);
			tg->node = xstrdup(nd->name);
			tg->host = xstrdup(nd->host);
			tg->index = leader;
			free(tg->dir);
			tg->dir = s->nodes[leader].dir ?
				xstrdup(s->nodes[leader].dir) : NULL;
		} else {
			sb_addf(note, "%s-leader: no leader known%s%s; "
				"chose %s at random\n", f->type->name,
				perr.len ? ": " : "", perr.buf,
				f->targets[0].node);
		}
		sb_release(&perr);
	}
	/* the pid comes with the start; until then the undo finds the
	   member by its pid file */
	if ((rc = db_resolve(s->db, err)))
		return rc;
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		const char *pf = db_pidfile(s->db, tg->index);

		free(tg->pidfile);
		free(tg->member_dir);
		tg->pidfile = xstrdup(pf ? pf : "");
		tg->member_dir = xstrdup(s->db->dirs[tg->index]);
	}
	return 0;
}

/* Targets whose member was not running: noted; a kill skips them. */
static void not_running(struct nemesis_set *s, struct fault *f,
			struct sb *note)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct sb line = SB_INIT;

		if (tg->unsupported || tg->pid)
			continue;
		sb_addf(&line, "%s: %s: member not running", f->type->name,
			tg->node);
		nemesis__note_once(s, note, line.buf);
		sb_release(&line);
		if (f->type == &nemesis_kill)
			nemesis__target_unsupported(tg, "member not running");
	}
}

static int kill_start(struct nemesis *n, struct fault *f, struct sb *note,
		      struct sb *err)
{
	int rc = each_target(n->set, f, OP_KILL, err);

	not_running(n->set, f, note);
	return rc;
}

static int kill_stop(struct nemesis *n, struct fault *f, struct sb *err)
{
	return each_target(n->set, f, OP_START, err);
}

static int pause_start(struct nemesis *n, struct fault *f,
		       struct sb *note, struct sb *err)
{
	int rc = each_target(n->set, f, OP_PAUSE, err);

	not_running(n->set, f, note);
	return rc;
}

static int pause_stop(struct nemesis *n, struct fault *f, struct sb *err)
{
	return each_target(n->set, f, OP_RESUME, err);
}

static void kill_undo(const struct fault *f, size_t i, struct sb *script,
		      struct nemesis_argv *args)
{
	sb_adds(script, ":");
}

static void pause_undo(const struct fault *f, size_t i, struct sb *script,
		       struct nemesis_argv *args)
{
	const struct fault_target *tg = &f->targets[i];

	sb_adds(script, db_resume_script);
	nemesis_argv_pushf(args, "%ld", tg->pid);
	nemesis_argv_push(args, tg->pidfile ? tg->pidfile : "");
	nemesis_argv_push(args, tg->member_dir ? tg->member_dir : "");
}

const struct nemesis_type nemesis_kill = {
	.name = "kill",
	.shapes = shapes,
	.needs_db = 1,
	.plan = process_plan,
	.prepare = process_prepare,
	.start = kill_start,
	.stop = kill_stop,
	.undo = kill_undo,
};

const struct nemesis_type nemesis_pause = {
	.name = "pause",
	.shapes = shapes,
	.needs_db = 1,
	.plan = process_plan,
	.prepare = process_prepare,
	.arms_deadman = 1,
	.start = pause_start,
	.stop = pause_stop,
	.undo = pause_undo,
};
