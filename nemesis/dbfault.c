/*
 * dbfault.c - faults only the database knows how to cause, through the
 * optional fault_script slot of core/db.h: `replica-lag` (PostgreSQL:
 * pause WAL replay on a replica, so it keeps answering reads with old
 * data while the primary goes on acknowledging writes).
 *
 * Shapes: one (a random node that can take it), all (every node that
 * can).  plan() lists every node in a random order (no I/O); prepare()
 * asks the database plug-in, node by node, for the fault's scripts
 * (db_fault_script()): nodes that cannot take it (the primary, a node
 * without an instance) are dropped, and `one` keeps the first that can.
 * When no node can, every target stays, marked unsupported with the
 * plug-in's reason, and no window is recorded.
 *
 * Remote commands: the plug-in's own (postgres-db.c lists them: psql
 * `SELECT pg_wal_replay_pause()` then polling
 * pg_get_wal_replay_pause_state() until `paused`; undo `SELECT
 * pg_wal_replay_resume()`).  Each target's apply and undo scripts and
 * their arguments are copied into the fault record before it is
 * journaled, so:
 *   start   runs the apply script on every target at once;
 *   stop    (default) runs the undo script on every target;
 *   undo    the same script, for the dead-man switch (armed on every
 *           target) and `netsplit heal` after a crash, which need
 *           neither the plug-in nor the database's config.
 * The undo scripts are idempotent: resuming replay that is not paused,
 * or on a server that is down, does nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "nemesis-internal.h"

static const char *const shapes[] = { "one", "all", NULL };

static int dbf_plan(struct nemesis *n, struct fault *f, const char *shape,
		    uint64_t *rng, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t *perm = xcalloc(s->nnodes + 1, sizeof(*perm));
	size_t i;

	nemesis__shuffle(rng, perm, s->nnodes);
	for (i = 0; i < s->nnodes; i++) {
		const struct node *nd = transport_node(s->t, perm[i]);

		nemesis__add_target(f, perm[i], nd->name, nd->host);
	}
	free(perm);
	return 0;
}

/* Remove target i of f (before the fault is journaled). */
static void drop_target(struct fault *f, size_t i)
{
	nemesis__target_release(&f->targets[i]);
	memmove(&f->targets[i], &f->targets[i + 1],
		(f->ntargets - i - 1) * sizeof(f->targets[i]));
	f->ntargets--;
}

static void take_script(struct fault_target *tg,
			const struct db_fault_script *fs)
{
	size_t k;

	tg->db_apply = xstrdup(fs->apply);
	tg->db_undo = xstrdup(fs->undo);
	for (k = 0; fs->args[k]; k++)
		nemesis_argv_push(&tg->db_args, fs->args[k]);
}

static int dbf_prepare(struct nemesis *n, struct fault *f, struct sb *note,
		       struct sb *err)
{
	struct nemesis_set *s = n->set;
	int one = !strcmp(f->shape, "one");
	size_t i, ok = 0;
	char **why = xcalloc(f->ntargets + 1, sizeof(*why));
	unsigned char *can = xcalloc(f->ntargets + 1, 1);
	int rc = 0;

	for (i = 0; i < f->ntargets && !rc; i++) {
		struct db_fault_script fs;
		struct sb reason = SB_INIT;
		int r;

		if (one && ok) {
			sb_release(&reason);
			break;
		}
		r = db_fault_script(s->db, f->type->name,
				    f->targets[i].index, &fs, &reason);
		if (r < 0) {
			sb_addf(err, "%s on '%s': %s", f->type->name,
				f->targets[i].node, reason.buf);
			rc = r;
		} else if (r == 0 && fs.apply && fs.undo) {
			take_script(&f->targets[i], &fs);
			can[i] = 1;
			ok++;
		} else {
			why[i] = sb_detach(&reason, NULL);
		}
		db_fault_script_release(&fs);
		sb_release(&reason);
	}
	if (!rc && !ok) {
		for (i = 0; i < f->ntargets; i++)
			nemesis__target_unsupported(&f->targets[i], "%s",
				why[i] ? why[i] : "not asked");
	} else if (!rc) {
		for (i = f->ntargets; i-- > 0;)
			if (!can[i])
				drop_target(f, i);
	}
	for (i = 0; i < f->ntargets + 1; i++)
		free(why[i]);
	free(why);
	free(can);
	return rc;
}

static int dbf_start(struct nemesis *n, struct fault *f, struct sb *note,
		     struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i, k;
	int rc;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;

		if (tg->unsupported || !tg->db_apply)
			continue;
		j = nemesis__batch_add(&b, tg->index, i, 20000);
		sb_adds(&j->script, tg->db_apply);
		for (k = 0; k < tg->db_args.n; k++)
			nemesis_argv_push(&j->args, tg->db_args.v[k]);
	}
	rc = nemesis__batch_run(s->t, &b, "apply", -NS_EREMOTE, err,
				"fault '%s' (%s): ", f->id, f->type->name);
	for (i = 0; i < b.n; i++) {
		const struct nemesis_job *j = &b.v[i];

		if (nemesis__job_ok(j) && j->res.err.len) {
			struct sb line = SB_INIT;

			sb_addf(&line, "%s: %.*s", f->type->name,
				(int)strcspn(j->res.err.buf, "\n"),
				j->res.err.buf);
			nemesis__note_once(s, note, line.buf);
			sb_release(&line);
		}
	}
	nemesis__batch_release(&b);
	return rc;
}

static void dbf_undo(const struct fault *f, size_t i, struct sb *script,
		     struct nemesis_argv *args)
{
	const struct fault_target *tg = &f->targets[i];
	size_t k;

	if (!tg->db_undo) {
		sb_adds(script, ":");
		return;
	}
	sb_adds(script, tg->db_undo);
	for (k = 0; k < tg->db_args.n; k++)
		nemesis_argv_push(args, tg->db_args.v[k]);
}

const struct nemesis_type nemesis_replica_lag = {
	.name = "replica-lag",
	.shapes = shapes,
	.needs_db = 1,
	.plan = dbf_plan,
	.prepare = dbf_prepare,
	.start = dbf_start,
	.undo = dbf_undo,
};
