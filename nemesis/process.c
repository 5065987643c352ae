/*
 * process.c - kill and pause database members (through core/db.h).
 *
 * Shapes: one (a random node), minority ((n-1)/2 random nodes, at least
 * one), leader (the member db_primaries() names when the fault starts; a
 * random node, with a note, when nobody knows one), all.
 *
 * Remote commands (by the database plug-in; the defaults in db.h work
 * from the member's pid file):
 *   prepare: db_pid() - read the pid file, check the process lives; the
 *     pid is journaled before anything is done.  A target whose member
 *     is not running is skipped (noted).
 *   kill  start: db_kill() = kill -9 PID, wait until gone (zombie = gone).
 *         stop:  db_start() (rejoin the cluster), then db_pid() for the
 *                new pid.  No dead-man switch and no undo script: only
 *                the database plug-in can restart a member; the record
 *                names it ("db"), and `netsplit heal` restarts each
 *                killed member that is not running with it (or fails,
 *                naming the member, and leaves the fault unhealed).
 *   pause start: db_pause() = kill -STOP PID, wait until state T.
 *         stop:  db_resume() = kill -CONT PID.
 *         undo (dead-man switch, `netsplit heal`): kill -CONT PID, the
 *                journaled pid, only if /proc/PID/stat still says T.
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
	struct fault_target *tg;
	enum op op;
	int rc;
	struct sb err;
	pthread_t th;
	int started;
};

static void *call_main(void *p)
{
	struct call *c = p;
	size_t i = c->tg->index;

	switch (c->op) {
	case OP_PID:
		c->rc = db_pid(c->db, i, &c->tg->pid, &c->err);
		break;
	case OP_KILL:
		c->rc = db_kill(c->db, i, &c->err);
		break;
	case OP_PAUSE:
		c->rc = db_pause(c->db, i, &c->err);
		break;
	case OP_RESUME:
		c->rc = db_resume(c->db, i, &c->err);
		break;
	case OP_START:
		c->rc = db_start(c->db, i, &c->err);
		if (!c->rc)
			c->rc = db_pid(c->db, i, &c->tg->new_pid, &c->err);
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
	if ((rc = each_target(s, f, OP_PID, err)))
		return rc;
	for (i = 0; i < f->ntargets; i++)
		if (!f->targets[i].pid)
			nemesis__target_unsupported(&f->targets[i],
						    "member not running");
	return 0;
}

static int kill_start(struct nemesis *n, struct fault *f, struct sb *note,
		      struct sb *err)
{
	return each_target(n->set, f, OP_KILL, err);
}

static int kill_stop(struct nemesis *n, struct fault *f, struct sb *err)
{
	return each_target(n->set, f, OP_START, err);
}

static int pause_start(struct nemesis *n, struct fault *f,
		       struct sb *note, struct sb *err)
{
	return each_target(n->set, f, OP_PAUSE, err);
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
	sb_adds(script,
		"pid=$1\n"
		"st=$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | "
		"cut -c1)\n"
		"[ \"$st\" = T ] || exit 0\n"
		"kill -CONT \"$pid\"\n");
	nemesis_argv_pushf(args, "%ld", f->targets[i].pid);
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
	.start = pause_start,
	.stop = pause_stop,
	.undo = pause_undo,
};
