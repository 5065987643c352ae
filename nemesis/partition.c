/*
 * partition.c - network partitions as grudges, applied with iptables
 * inside the nodes.  Also the iptables helpers loss.c shares.
 *
 * Shapes (grudge.c computes them from a node order drawn from the
 * schedule's rng): halves (node order as configured), random-halves,
 * isolate (one random node), ring (majorities ring), bridge, leader (the
 * node db_primaries() names when the fault starts, isolated from the
 * other nodes - not from the controller and its clients; planned as an
 * isolate of a random node, which stays the target, with a note, when
 * there is no database or nobody knows a primary).
 *
 * Remote commands, on each node whose grudge row is not empty, in one
 * command after the dead-man switch's arming (util.c), the ruleset in a
 * here-document (no process but the restore) (B is the
 * backend probed for that node: iptables or iptables-legacy; CH is
 * NS-<fault id>; CTL is the controller's address as the node sees it,
 * from $SSH_CLIENT):
 *   B-restore -w 5 --noflush  with the ruleset
 *     *filter
 *     :CH - [0:0]
 *     -A CH -s CTL -j RETURN          (the controller is never cut)
 *     -A CH -s PEER -j DROP           (one per node of the grudge row)
 *     -I INPUT 1 -m comment --comment netsplit -j CH
 *     COMMIT
 * stop() / heal / the dead-man switch undo it with
 *   B -w 5 -D INPUT -m comment --comment netsplit -j CH  (until absent)
 *   B -w 5 -F CH; B -w 5 -X CH
 * and succeed once CH no longer exists: exactly the rules netsplit added,
 * with the backend that added them (each backend ignores the other's
 * rules).  A user's own rules are never listed, flushed or moved.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "nemesis-internal.h"

static const char *const shapes[] = {
	"halves", "random-halves", "isolate", "ring", "bridge", "leader",
	NULL,
};

/* Nodes each shape needs (grudge.c refuses fewer); NULL: any shape. */
static size_t partition_min_nodes(const char *shape)
{
	if (shape && !strcmp(shape, "ring"))
		return 4;
	if (shape && !strcmp(shape, "bridge"))
		return 3;
	return 2;
}

/* ===== iptables helpers (shared with loss.c) ===== */

/* $3: the rule lines, "-A CH ..." each; a here-document feeds them to
   the restore without a process of its own (dash). */
static const char ipt_apply_script[] =
	"b=$1 ch=$2 rules=$3 ret=\n"
	"ctl=${SSH_CLIENT%% *}\n"
	"case $ctl in *:*) ctl= ;; esac\n"
	"[ -n \"$ctl\" ] && ret=\"-A $ch -s $ctl -j RETURN\"\n"
	"\"$b-restore\" -w 5 --noflush <<EOF\n"
	"*filter\n"
	":$ch - [0:0]\n"
	"$ret\n"
	"$rules\n"
	"-I INPUT 1 -m comment --comment netsplit -j $ch\n"
	"COMMIT\n"
	"EOF\n";

static const char ipt_undo_script[] =
	"ch=$1; shift\n"
	"[ $# -gt 0 ] || set -- iptables iptables-legacy\n"
	"left=0\n"
	"for b in \"$@\"; do\n"
	"  command -v \"$b\" >/dev/null 2>&1 || continue\n"
	"  while \"$b\" -w 5 -D INPUT -m comment --comment netsplit "
	"-j \"$ch\" 2>/dev/null; do :; done\n"
	"  \"$b\" -w 5 -F \"$ch\" 2>/dev/null\n"
	"  \"$b\" -w 5 -X \"$ch\" 2>/dev/null\n"
	"  if \"$b\" -w 5 -n -L \"$ch\" >/dev/null 2>&1; then\n"
	"    echo \"$b: chain $ch still there\" >&2; left=1\n"
	"  fi\n"
	"done\n"
	"exit $left\n";

void nemesis__ipt_undo(const struct fault *f, size_t i, struct sb *script,
		       struct nemesis_argv *args)
{
	const struct fault_target *tg = &f->targets[i];

	sb_adds(script, ipt_undo_script);
	nemesis_argv_push(args, tg->chain);
	if (tg->backend[0])
		nemesis_argv_push(args, tg->backend);
}

int nemesis__ipt_prepare(struct nemesis_set *s, struct fault *f,
			 struct sb *err)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		const struct nemesis_node *nn = &s->nodes[tg->index];

		if (tg->unsupported)
			continue;
		if (!nn->backend[0]) {
			sb_addf(err, "%s: no working iptables (tried '%s'); "
				"%s faults need it", tg->node,
				s->opts.iptables, f->type->name);
			return -NS_ESETUP;
		}
		snprintf(tg->backend, sizeof(tg->backend), "%s",
			 nn->backend);
		snprintf(tg->chain, sizeof(tg->chain), "NS-%s", f->id);
	}
	return 0;
}

int nemesis__ipt_apply(struct nemesis_set *s, struct fault *f,
		       struct nemesis_argv *rules, struct sb *err)
{
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	struct sb lines = SB_INIT;
	size_t i, k;
	int rc;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;

		if (tg->unsupported)
			continue;
		/* one command: arm the dead-man switch, then the rules */
		j = nemesis__batch_add(&b, tg->index, i, 15000);
		nemesis__deadman_prefix(s, f, i, &j->script, &j->args);
		sb_adds(&j->script, ipt_apply_script);
		nemesis_argv_push(&j->args, tg->backend);
		nemesis_argv_push(&j->args, tg->chain);
		for (k = 0; k < rules[i].n; k++)
			sb_addf(&lines, "%s-A %s %s", k ? "\n" : "",
				tg->chain, rules[i].v[k]);
		nemesis_argv_push(&j->args, lines.buf);
		sb_reset(&lines);
	}
	sb_release(&lines);
	rc = nemesis__batch_run(s->t, &b, "iptables-restore", -NS_EREMOTE,
				err, "fault '%s' (%s): ", f->id,
				f->type->name);
	for (i = 0; i < b.n; i++)
		nemesis__deadman_parse(&f->targets[b.v[i].tag],
				       b.v[i].res.out.buf);
	nemesis__batch_release(&b);
	return rc;
}

/* A host iptables-restore can take as one word. */
static int host_ok(const char *h)
{
	return *h && !strpbrk(h, " \t\n\"'\\");
}

/* ===== The partition kind ===== */

static int partition_setup(struct nemesis *n, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t i;

	for (i = 0; i < s->nnodes; i++) {
		const struct node *nd = transport_node(s->t, i);

		if (!s->nodes[i].backend[0]) {
			sb_addf(err, "%s: no working iptables (tried '%s'): "
				"partitions need it on every node", nd->name,
				s->opts.iptables);
			return -NS_ESETUP;
		}
		if (!host_ok(nd->host)) {
			sb_addf(err, "%s: host '%s' cannot be an iptables "
				"source", nd->name, nd->host);
			return -NS_ECONFIG;
		}
	}
	return 0;
}

/* Compute the grudge for shape over the set's nodes. */
static int compute(struct nemesis_set *s, const char *shape, uint64_t *rng,
		   struct grudge *g, struct sb *err)
{
	size_t *perm = xcalloc(s->nnodes + 1, sizeof(*perm));
	size_t i;
	int rc = 0;

	grudge_init(g, s->nnodes);
	if (!strcmp(shape, "halves")) {
		for (i = 0; i < s->nnodes; i++)
			perm[i] = i;
	} else {
		nemesis__shuffle(rng, perm, s->nnodes);
	}
	if (s->nnodes < 2) {
		sb_addf(err, "a partition needs at least 2 nodes");
		rc = -NS_EUSAGE;
	} else if (!strcmp(shape, "halves") ||
		   !strcmp(shape, "random-halves")) {
		grudge_halves(g, perm);
	} else if (!strcmp(shape, "isolate") || !strcmp(shape, "leader")) {
		grudge_isolate(g, perm);
	} else if (!strcmp(shape, "ring")) {
		rc = grudge_ring(g, perm, err);
	} else if (!strcmp(shape, "bridge")) {
		rc = grudge_bridge(g, perm, err);
	} else {
		sb_addf(err, "unknown partition shape '%s'", shape);
		rc = -NS_EUSAGE;
	}
	free(perm);
	return rc;
}

/* One target per node whose grudge row is not empty. */
static void targets_from(struct nemesis_set *s, struct fault *f,
			 const struct grudge *g)
{
	size_t i, j;

	for (i = 0; i < s->nnodes; i++) {
		const struct node *nd = transport_node(s->t, i);
		struct fault_target *tg = NULL;

		for (j = 0; j < s->nnodes; j++) {
			if (!grudge_drops(g, i, j))
				continue;
			if (!tg) {
				tg = nemesis__add_target(f, i, nd->name,
							 nd->host);
				tg->drops = xcalloc(s->nnodes,
						    sizeof(*tg->drops));
			}
			tg->drops[tg->ndrops++] =
				xstrdup(transport_node(s->t, j)->name);
		}
	}
}

static int partition_plan(struct nemesis *n, struct fault *f,
			  const char *shape, uint64_t *rng, struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct grudge g;
	int rc;

	if ((rc = compute(s, shape, rng, &g, err))) {
		grudge_release(&g);
		return rc;
	}
	targets_from(s, f, &g);
	grudge_release(&g);
	return 0;
}

/* The node isolated by an isolate-shaped plan (the one dropping all). */
static size_t isolated_node(const struct nemesis_set *s,
			    const struct fault *f)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++)
		if (f->targets[i].ndrops + 1 == s->nnodes)
			return f->targets[i].index;
	return f->ntargets ? f->targets[0].index : 0;
}

/* partition-leader: isolate the current primary instead of the planned
   node, when the database names one. */
static void aim_at_leader(struct nemesis_set *s, struct fault *f,
			  struct sb *note)
{
	size_t leader = 0, nl = 0, i, k = 1, *perm;
	struct sb perr = SB_INIT;
	struct grudge g;

	if (!s->db || db_primaries(s->db, &leader, 1, &nl, &perr) || !nl ||
	    leader >= s->nnodes) {
		sb_addf(note, "partition-leader: no leader known%s%s; "
			"isolated %s instead\n", perr.len ? ": " :
			s->db ? "" : " (no database)", perr.buf,
			transport_node(s->t, isolated_node(s, f))->name);
		sb_release(&perr);
		return;
	}
	sb_release(&perr);
	perm = xcalloc(s->nnodes, sizeof(*perm));
	perm[0] = leader;
	for (i = 0; i < s->nnodes; i++)
		if (i != leader)
			perm[k++] = i;
	grudge_init(&g, s->nnodes);
	grudge_isolate(&g, perm);
	nemesis__clear_targets(f);
	targets_from(s, f, &g);
	grudge_release(&g);
	free(perm);
}

static int partition_prepare(struct nemesis *n, struct fault *f,
			     struct sb *note, struct sb *err)
{
	if (!strcmp(f->shape, "leader"))
		aim_at_leader(n->set, f, note);
	return nemesis__ipt_prepare(n->set, f, err);
}

static int partition_start(struct nemesis *n, struct fault *f,
			   struct sb *note, struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct nemesis_argv *rules = xcalloc(f->ntargets + 1,
					     sizeof(*rules));
	size_t i, k;
	int rc, idx;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];

		for (k = 0; k < tg->ndrops; k++) {
			idx = -1;
			for (size_t m = 0; m < s->nnodes; m++)
				if (!strcmp(transport_node(s->t, m)->name,
					    tg->drops[k]))
					idx = (int)m;
			if (idx < 0)
				continue;
			nemesis_argv_pushf(&rules[i], "-s %s -j DROP",
					   transport_node(s->t,
							  (size_t)idx)->host);
		}
	}
	rc = nemesis__ipt_apply(s, f, rules, err);
	for (i = 0; i < f->ntargets; i++)
		nemesis_argv_release(&rules[i]);
	free(rules);
	return rc;
}

const struct nemesis_type nemesis_partition = {
	.name = "partition",
	.shapes = shapes,
	.min_nodes = partition_min_nodes,
	.arms_deadman = 1,
	.setup = partition_setup,
	.plan = partition_plan,
	.prepare = partition_prepare,
	.start = partition_start,
	.stop = NULL,
	.undo = nemesis__ipt_undo,
	.release = NULL,
};
