/*
 * nemesis-fixtures.h - fixtures the nemesis unit tests share
 * (test-nemesis-*.c).
 *
 * sample_fault(ID): a partition record with every field set: shape
 * "bridge", k 3, a 30 s dead-man period, target n1 (index 0) dropping n4
 * and n5 through iptables-legacy chain NS-ID with its switch's pid 4242,
 * pid file and member directory, and target n5 (index 4) unsupported.
 *
 * check_fault_json(J, G): fault_to_json(G) is J to the letter (keys
 * sorted): a record read back from its journal form writes the same.
 *
 * Each function is static inline: include this header from a test file
 * only.
 *
 * Ownership: sample_fault() returns a fault the caller frees with
 * fault_free().
 */
#ifndef NS_NEMESIS_FIXTURES_H
#define NS_NEMESIS_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "alloc.h"
#include "nemesis/nemesis-internal.h"
#include "test.h"

static inline struct fault *sample_fault(const char *id)
{
	struct fault *f = nemesis__fault_new(&nemesis_partition, id,
					     "bridge");
	struct fault_target *tg;

	f->k = 3;
	f->deadman_s = 30;
	f->start_ns = 1700000000123456789LL;
	tg = nemesis__add_target(f, 0, "n1", "10.0.0.1");
	tg->drops = xcalloc(3, sizeof(*tg->drops));
	tg->drops[tg->ndrops++] = xstrdup("n4");
	tg->drops[tg->ndrops++] = xstrdup("n5");
	snprintf(tg->backend, sizeof(tg->backend), "iptables-legacy");
	snprintf(tg->chain, sizeof(tg->chain), "NS-%s", id);
	tg->dir = xstrdup("/var/lib/ns/netsplit-nemesis");
	tg->deadman_pid = 4242;
	tg->pidfile = xstrdup("/var/lib/ns/fake/pid");
	tg->member_dir = xstrdup("/var/lib/ns/fake");
	tg = nemesis__add_target(f, 4, "n5", "10.0.0.5");
	nemesis__target_unsupported(tg, "no reason at all");
	return f;
}

static inline void check_fault_json(json_t *j, const struct fault *g)
{
	json_t *j2 = fault_to_json(g);
	char *s1 = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	char *s2 = json_dumps(j2, JSON_SORT_KEYS | JSON_COMPACT);

	CHECK_EQ_STR(s1, s2);
	free(s1);
	free(s2);
	json_decref(j2);
}

#endif
