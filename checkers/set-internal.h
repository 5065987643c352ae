/*
 * set-internal.h - internals of the set checker, shared by checkers/set.c
 * (collecting adds and reads, the scan of listed elements, the final
 * judgement: the hot path) and checkers/set-report.c (the anomalies'
 * texts and detail, the stats and the summary: run once per anomaly or
 * once per check).
 *
 * Ownership: a struct setchk lives on set_check()'s stack and owns its
 * arrays and JSON lists; set-report.c adds to c->v (the verdict, which
 * owns what is added) and to the lists, never frees them.
 */
#ifndef NS_SET_INTERNAL_H
#define NS_SET_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "checker-util.h"

#define SET_MAX_FINAL 64	/* final reads judged per key */

enum { SET_ADD_NONE, SET_ADD_OK, SET_ADD_INFO, SET_ADD_FAIL };

/* set_elem.flags */
#define SET_EL_DUP	0x01	/* duplicate reported */
#define SET_EL_UNEXP	0x02	/* unexpected reported */
#define SET_EL_REVIVED	0x04	/* revived reported */
#define SET_EL_LISTED	0x08	/* some read listed it */

struct set_read {
	size_t inv, cmp;	/* positions of the invoke and completion */
	uint32_t key;		/* key index */
	int fin;		/* ordinal among the key's final reads, or
				   -1 */
};

/*
 * 32 bytes, two a cache line: there is one per element, so every byte
 * here is a megabyte on a million-element history.  Positions fit 32
 * bits (HIST_EVENTS_MAX); the key index is found from the element's
 * (key, value) entry when needed (elem_key()).
 */
struct set_elem {
	uint64_t finmask;	/* final reads (ordinals) that list it */
	uint32_t add;		/* invoke position of its add, NONE */
	uint32_t last;		/* last read (grouped index) listing it,
				   NONE */
	uint32_t mincmp;	/* listing read that completed first, NONE */
	uint32_t gap, gap_a;	/* best R2 so far and its R1, NONE */
	uint8_t add_state;
	uint8_t flags;
};
_Static_assert(sizeof(struct set_elem) == 32, "struct set_elem is 32 bytes");

struct set_key {
	uint32_t key;		/* interned key, CHECKER__NOKEY */
	size_t nreads;
	size_t nelems;		/* elements added or listed */
	size_t off;		/* first grouped read */
	size_t nfinal;		/* ok final reads */
	size_t final_failed;	/* final reads that did not return */
	size_t final_bad;	/* ok final reads whose value is no set */
	size_t fin_off;		/* first entry in finals[] */
};

struct setchk {
	const struct history *h;
	struct verdict *v;
	struct checker__valmap elems_map;
	struct checker__keymap keys_map;
	struct set_elem *el;
	size_t nel, el_alloc;
	struct set_key *keys;
	size_t nkeys, keys_alloc;
	struct set_read *rd;	/* ok reads, history order, then grouped */
	size_t nrd, rd_alloc;
	uint32_t *tree;		/* segment tree: argmin of rd[].cmp */
	size_t tsize;
	uint32_t *finals;	/* grouped indices of final reads per key */
	struct checker__faults faults;
	/* counts */
	size_t adds, adds_ok, adds_fail, adds_info, dup_adds;
	size_t reads_ok, reads_fail, reads_info, malformed;
	size_t final_ok, final_failed, final_ignored;
	size_t final_bad;	/* ok final reads whose value is no set */
	size_t bad_read, bad_final;	/* completion of the first such
					   read (not final, final);
					   SIZE_MAX: none */
	size_t lost, unexpected, duplicated, revived;
	size_t info_survived, info_lost, unresolved, acked_ok;
	json_t *l_lost, *l_unexp, *l_dup, *l_rev, *by_fault;
};

/* ===== set-report.c ===== */
/* Element id listed by grouped read g: duplicated in it, unexpected, or
   revived (missing from e->gap after e->gap_a listed it). */
void checker__set_duplicate(struct setchk *c, uint32_t id, uint32_t g);
void checker__set_unexpected(struct setchk *c, uint32_t id, uint32_t g);
void checker__set_revived(struct setchk *c, uint32_t id, uint32_t g);
/* Element id, known to exist from position known on, lacks from final
   read f. */
void checker__set_lost(struct setchk *c, uint32_t id, size_t known,
		       const struct set_read *f);
/* The verdict's stats and summary (and unknown when nothing could be
   judged). */
void checker__set_stats(struct setchk *c);
void checker__set_summary(struct setchk *c);

#endif
