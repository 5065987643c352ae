/*
 * loss.c - random packet loss between nodes with the iptables
 * `statistic` match (netem is missing on these kernels).
 *
 * Shapes: all (every node drops), one (a random node drops).
 *
 * Remote commands, per target (B, CH, CTL as in partition.c):
 *   setup: `[ -d /sys/module/sch_netem ] || modinfo sch_netem` (read-only:
 *     is netem there?) - where it is missing, one note says that delay,
 *     duplicate and reorder are unsupported on those nodes; loss carries
 *     on.  netsplit injects loss only, even where netem exists.
 *   start: B-restore -w 5 --noflush with
 *     :CH - [0:0]
 *     -A CH -s CTL -j RETURN          (the controller's traffic is kept)
 *     -A CH -m statistic --mode random --probability P -j DROP
 *     -I INPUT 1 -m comment --comment netsplit -j CH
 *   stop / heal / dead-man switch: as partition.c (remove the jump, flush
 *     and delete CH, with the same backend).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "nemesis-internal.h"

static const char *const shapes[] = { "all", "one", NULL };

struct loss_priv {
	struct sb netem_note;	/* said at the first start */
	int said;
};

static const char netem_probe[] =
	"if [ -d /sys/module/sch_netem ] || "
	"modinfo sch_netem >/dev/null 2>&1; then echo yes; else echo no; fi";

static int loss_setup(struct nemesis *n, struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	struct loss_priv *p = xcalloc(1, sizeof(*p));
	struct sb missing = SB_INIT;
	size_t i;

	sb_init(&p->netem_note, 0);
	n->priv = p;
	for (i = 0; i < s->nnodes; i++)
		if (!s->nodes[i].backend[0]) {
			sb_addf(err, "%s: no working iptables (tried '%s'): "
				"loss needs it", transport_node(s->t, i)->name,
				s->opts.iptables);
			return -NS_ESETUP;
		}
	for (i = 0; i < s->nnodes; i++)
		sb_adds(&nemesis__batch_add(&b, i, i, 10000)->script,
			netem_probe);
	nemesis__batch_run(s->t, &b, "netem probe", 0, NULL, "loss: ");
	for (i = 0; i < b.n; i++)
		if (!nemesis__job_ok(&b.v[i]) ||
		    strncmp(b.v[i].res.out.buf, "yes", 3))
			sb_addf(&missing, "%s%s", missing.len ? ", " : "",
				transport_node(s->t, i)->name);
	if (missing.len)
		sb_addf(&p->netem_note, "loss: netem is not available on %s: "
			"delay, duplicate and reorder are unsupported there; "
			"packet loss uses iptables' statistic match",
			missing.buf);
	sb_release(&missing);
	nemesis__batch_release(&b);
	return 0;
}

static int loss_plan(struct nemesis *n, struct fault *f, const char *shape,
		     uint64_t *rng, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t i;

	f->probability = s->opts.loss_probability;
	if (!strcmp(shape, "one")) {
		i = nemesis__randn(rng, s->nnodes);
		nemesis__add_target(f, i, transport_node(s->t, i)->name,
				    transport_node(s->t, i)->host);
		return 0;
	}
	for (i = 0; i < s->nnodes; i++)
		nemesis__add_target(f, i, transport_node(s->t, i)->name,
				    transport_node(s->t, i)->host);
	return 0;
}

static int loss_prepare(struct nemesis *n, struct fault *f, struct sb *note,
			struct sb *err)
{
	struct loss_priv *p = n->priv;

	if (p && p->netem_note.len)
		nemesis__note_once(n->set, note, p->netem_note.buf);
	return nemesis__ipt_prepare(n->set, f, err);
}

static int loss_start(struct nemesis *n, struct fault *f, struct sb *note,
		      struct sb *err)
{
	struct nemesis_argv *rules = xcalloc(f->ntargets + 1,
					     sizeof(*rules));
	size_t i;
	int rc;

	for (i = 0; i < f->ntargets; i++)
		nemesis_argv_pushf(&rules[i], "-m statistic --mode random "
				   "--probability %.4f -j DROP",
				   f->probability);
	rc = nemesis__ipt_apply(n->set, f, rules, err);
	for (i = 0; i < f->ntargets; i++)
		nemesis_argv_release(&rules[i]);
	free(rules);
	return rc;
}

static void loss_release(struct nemesis *n)
{
	struct loss_priv *p = n->priv;

	if (p) {
		sb_release(&p->netem_note);
		free(p);
	}
	n->priv = NULL;
}

const struct nemesis_type nemesis_loss = {
	.name = "loss",
	.shapes = shapes,
	.arms_deadman = 1,
	.setup = loss_setup,
	.plan = loss_plan,
	.prepare = loss_prepare,
	.start = loss_start,
	.stop = NULL,
	.undo = nemesis__ipt_undo,
	.release = loss_release,
};
