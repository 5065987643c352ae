/*
 * nemesis-stand-in.h - a fault kind and a nemesis set for unit tests that
 * drive nemesis_start_next() / nemesis_stop() (and the run's schedule on
 * top of them) without a transport or a node.
 *
 * The kind, "full-disk", has one target (node 0) and runs no remote
 * command.  Its start fills the disk under the journal: the journal path
 * becomes a link to /dev/full (writes fail with ENOSPC), the journal so
 * far is kept beside it as JOURNAL.kept; stand_in_restore() puts it back.
 * Its stop counts the heals in stand_in_stops.
 *
 * Each function is static: include this header from a test file only.
 *
 * Ownership: stand_in_set() returns a set the caller frees with
 * nemesis_set_free().
 */
#ifndef NS_NEMESIS_STAND_IN_H
#define NS_NEMESIS_STAND_IN_H

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"

static int stand_in_stops;

static inline int stand_in_plan(struct nemesis *n, struct fault *f,
				const char *shape, uint64_t *rng,
				struct sb *err)
{
	nemesis__add_target(f, 0, "n1", "127.0.0.1");
	return 0;
}

static inline int stand_in_start(struct nemesis *n, struct fault *f,
				 struct sb *note, struct sb *err)
{
	char kept[4096];

	snprintf(kept, sizeof(kept), "%s.kept", n->set->journal);
	if (rename(n->set->journal, kept) ||
	    symlink("/dev/full", n->set->journal)) {
		sb_addf(err, "%s: %s", n->set->journal, strerror(errno));
		return -NS_EWRITE;
	}
	return 0;
}

static inline int stand_in_stop(struct nemesis *n, struct fault *f,
				struct sb *err)
{
	stand_in_stops++;
	return 0;
}

static const struct nemesis_type stand_in_full_disk = {
	.name = "full-disk",
	.plan = stand_in_plan,
	.start = stand_in_start,
	.stop = stand_in_stop,
};

/*
 * A set of one kind over one node, as nemesis_set_new() leaves it but
 * without a transport (the stand-in runs no remote command) and without
 * dead-man switches; its journal is DIR/nemesis.journal.
 */
static inline struct nemesis_set *
stand_in_set(const struct nemesis_type *type, const char *dir)
{
	struct nemesis_set *s = xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	nemesis_opts_init(&s->opts);
	s->opts.deadman_s = 0;
	s->run_dir = xstrdup(dir);
	s->journal = xmalloc(strlen(dir) + sizeof("/nemesis.journal"));
	sprintf(s->journal, "%s/nemesis.journal", dir);
	snprintf(s->tag, sizeof(s->tag), "0123abcd");
	sb_init(&s->said, 0);
	s->nnodes = 1;
	s->nodes = xcalloc(1, sizeof(*s->nodes));
	s->kinds = xcalloc(1, sizeof(*s->kinds));
	s->kinds[0].type = type;
	s->kinds[0].set = s;
	s->nkinds = 1;
	s->entries = xcalloc(1, sizeof(*s->entries));
	s->entries[0].n = &s->kinds[0];
	s->entries[0].shape = "one";
	s->nentries = 1;
	return s;
}

/* Undo the stand-in's start: the journal kept aside is the journal
   again. */
static inline int stand_in_restore(const struct nemesis_set *s)
{
	char kept[4096];

	snprintf(kept, sizeof(kept), "%s.kept", s->journal);
	return unlink(s->journal) || rename(kept, s->journal) ? -1 : 0;
}

#endif
