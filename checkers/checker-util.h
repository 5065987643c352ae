/*
 * checker-util.h - pieces the set, session and stale checkers share:
 * a map from (key, value) to dense ids, a map from integer pairs to dense
 * ids, fault windows derived from nemesis events, percentiles, times.
 *
 * Everything here is module-internal to checkers/ (prefix checker__).
 * Maps use open addressing with linear probing over power-of-two tables;
 * lookups and inserts are O(1) expected and never allocate except when
 * the table grows (doubling), so they are safe in hot loops.
 *
 * Ownership: each map or fault list owns its arrays and is released with
 * its _release function.  A valmap borrows the history its values live in
 * (list values point into history.vals[]); the history must outlive it.
 */
#ifndef NS_CHECKER_UTIL_H
#define NS_CHECKER_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "checker.h"
#include "history.h"
#include "sb.h"

#define CHECKER__NOKEY UINT32_MAX	/* "no key" in a valmap entry */
#define CHECKER__NONE UINT32_MAX	/* "no id" */

/* ===== (key, value) -> dense id =====
 *
 * Integers (most histories write counters) first go to a direct table
 * indexed by value, grown on demand while the range stays within a few
 * times the number of entries: consecutive values then touch consecutive
 * memory.  Everything else, and an integer whose slot another key took,
 * goes to the hash table.
 */
struct checker__vkey {
	struct hist_value v;
	uint32_t key;			/* interned key or CHECKER__NOKEY */
};

struct checker__dslot {
	uint32_t id1;			/* id + 1; 0 = empty */
	uint32_t key;			/* its key (no trip to keys[]) */
};

struct checker__valmap {
	struct checker__vkey *keys;	/* id -> (key, value) */
	uint64_t *hashes;		/* id -> hash | 1, 0 if direct */
	size_t n, alloc;
	uint32_t *slots;		/* id + 1; 0 = empty */
	size_t nslots, nhashed;
	size_t hashed_ints;		/* integers in the hash table */
	struct checker__dslot *direct;	/* by value - dmin */
	int64_t dmin;
	size_t dlen;
};

void checker__valmap_init(struct checker__valmap *m, size_t hint);
/* Room for n ids without growing (no copy while they are added). */
void checker__valmap_reserve(struct checker__valmap *m, size_t n);
void checker__valmap_release(struct checker__valmap *m);
/* Id of (key, v), adding it if new (*added set to 1 then, else 0). */
uint32_t checker__valmap_put(struct checker__valmap *m,
			     const struct history *h, uint32_t key,
			     const struct hist_value *v, int *added);
/* Id of (key, v), or CHECKER__NONE. */
uint32_t checker__valmap_get(const struct checker__valmap *m,
			     const struct history *h, uint32_t key,
			     const struct hist_value *v);

/* ===== Interned key (or CHECKER__NOKEY) -> dense index ===== */
struct checker__keymap {
	uint32_t *idx;			/* key id + 1 -> index + 1 */
	size_t len;
	uint32_t *keys;			/* index -> key */
	size_t n, alloc;
};

void checker__keymap_init(struct checker__keymap *m);
void checker__keymap_release(struct checker__keymap *m);
/* Index of key, adding it if new (*added set to 1 then). */
uint32_t checker__keymap_put(struct checker__keymap *m, uint32_t key,
			     int *added);
static inline uint32_t checker__keymap_get(const struct checker__keymap *m,
					   uint32_t key)
{
	size_t i = key == CHECKER__NOKEY ? 0 : (size_t)key + 1;

	return i < m->len && m->idx[i] ? m->idx[i] - 1 : CHECKER__NONE;
}

/* ===== (a, b) 32-bit pair -> dense id =====
 *
 * (Session, key): both are 32-bit in a history, so a pair packs into one
 * 64-bit word and a slot is 16 bytes, hashed with one multiplication.
 */
struct checker__pslot {
	uint64_t k;			/* a << 32 | b */
	uint32_t id1;			/* id + 1; 0 = empty */
};

struct checker__pairmap {
	struct checker__pslot *slots;	/* keys inline: one miss a probe */
	size_t n, nslots;
};

void checker__pairmap_init(struct checker__pairmap *m, size_t hint);
void checker__pairmap_release(struct checker__pairmap *m);
uint32_t checker__pairmap_put(struct checker__pairmap *m, uint32_t a,
			      uint32_t b, int *added);
/* The a of a slot's pair. */
static inline uint32_t checker__pslot_a(const struct checker__pslot *s)
{
	return (uint32_t)(s->k >> 32);
}

/* ===== Fault windows =====
 *
 * The convention (docs/checkers.md): a nemesis op (process HIST_NEMESIS)
 * whose f starts with "start" opens a fault window at its invoke time (or
 * at its completion's time when it has no invoke); one whose f starts with
 * "stop" closes, at its completion time (the heal is done when the stop
 * op returns; its invoke time when it never completed), the open windows
 * with the same suffix ("stop-partition" closes "start-partition"; a bare
 * "stop" closes them all; a suffix nobody opened closes them all too).
 * A window never closed lasts to the end of the history.  The label is
 * the suffix without its dash ("partition"; "fault" for a bare "start")
 * followed by the op's value, when it has one (the completion's: the
 * fault applied, else the invoke's: the plan): `KIND: SUMMARY` when the
 * value is a JSON object with a string "summary" (what netsplit records,
 * nemesis/fault.c), else the value as JSON: `partition {"n1":["n2","n3"]}`.
 */
struct checker__fault {
	int64_t start, end;		/* ns; end INT64_MAX if never closed */
	size_t pos;			/* position of the opening event */
	size_t end_pos;			/* of the closing one; SIZE_MAX
					   if never closed */
	size_t label;			/* offset in checker__faults.labels */
	size_t suffix;			/* offset of the f suffix */
	int open;
};

struct checker__faults {
	struct checker__fault *w;
	size_t n, alloc;
	struct sb labels;		/* NUL-separated texts */
	const struct history *h;	/* borrowed */
	int timed;			/* checker__timed(h), found while
					   building (free: every event is
					   visited anyway) */
};

/* O(events). */
void checker__faults_build(struct checker__faults *f,
			   const struct history *h);
void checker__faults_release(struct checker__faults *f);
/*
 * Describe the faults in force when the event at position pos happened
 * into out ("partition {...} (from 10.000 s to 25.000 s)", several joined
 * by "; "), or "no fault".  Without times (f->timed clear) a window is
 * from its opening event to its closing one in history order, and says
 * where they are written: "(from FILE:LINE to FILE:LINE)".  Returns the
 * number of windows in force.  O(windows).
 */
size_t checker__faults_at(const struct checker__faults *f, size_t pos,
			  struct sb *out);
/* The faults as a JSON array of {label, start_s, end_s, position,
   end_position} (start_s and end_s null without times; end_s and
   end_position null for a window never closed). */
json_t *checker__faults_json(const struct checker__faults *f);

/* ===== Citing an event =====
 *
 * Evidence says when an op happened: at a time ("at 12.301 s") when the
 * history carries times, else where it is written ("(FILE:LINE)",
 * hist_where()), as the linearizable checker does: a jepsen.log, EDN
 * without :time and JSON Lines without "time" give every event time 0,
 * and "at 0.000 s" would say nothing.
 */
/* Whether some event of h has a time other than 0 (hist_timed(), which
   the reports use too).  O(1) for a history with times (the first events
   have them), O(events) without. */
int checker__timed(const struct history *h);
/* " at 12.301 s" (timed) or " (FILE:LINE)": the event at pos, after a
   verb ("returned 3 at 1.000 s"). */
void checker__at(const struct history *h, int timed, size_t pos,
		 struct sb *out);
/* "12.301 s" or "FILE:LINE": the event at pos, inside parentheses or a
   range ("written at 1.000 s", "from F:3 to F:9"). */
void checker__when(const struct history *h, int timed, size_t pos,
		   struct sb *out);

/* ===== Small helpers ===== */
/*
 * Whether verdict v still keeps anomalies in full.  Once verdict_add()
 * starts only counting (its cap), callers skip building texts and detail
 * and add with an empty text: the count stays exact, the cost drops.
 */
static inline int checker__verdict_full(const struct verdict *v)
{
	return v->n && v->anomaly_count > v->n;
}

/* The p-th percentile (0..100, nearest rank) of a[0..n); reorders a. */
int64_t checker__percentile(int64_t *a, size_t n, double p);
/* ns since test start -> seconds, for texts ("12.301"). */
static inline double checker__secs(int64_t ns)
{
	return (double)ns / 1e9;
}
/* A history value as a new JSON reference (null when unparsable),
   shortened as evidence is (hist_value_json_show). */
json_t *checker__value_json(const struct history *h,
			    const struct hist_value *v);
/* The value as JSON text, appended to out; past CHECKER__TEXT_MAX bytes
   its head and "..." (whole UTF-8 characters and escapes). */
#define CHECKER__TEXT_MAX 80
void checker__value_text(const struct history *h,
			 const struct hist_value *v, struct sb *out);
/* Whether the invoke or the completion of the op at pos has flag. */
int checker__op_flag(const struct history *h, size_t pos, unsigned flag);
/* The completion of the invoke at pos, or NULL (pending). */
static inline const struct hist_event *
checker__completion(const struct history *h, size_t pos)
{
	int64_t p = h->ev[pos].pair;

	return p >= 0 && (size_t)p != pos && (size_t)p < h->n ?
	       &h->ev[p] : NULL;
}


/* ===== Small op helpers shared by the session and stale checkers ===== */

/* The event's interned key, or CHECKER__NOKEY. */
static inline uint32_t checker__ev_key(const struct hist_event *e)
{
	return (e->flags & HIST_F_KEY) ? e->key : CHECKER__NOKEY;
}

/* The value an op writes (write: its value; cas: the new value), or NULL. */
static inline const struct hist_value *
checker__written(const struct history *h, const struct hist_event *inv,
		 uint32_t f_write, uint32_t f_cas)
{
	if (inv->f == f_write)
		return &inv->value;
	if (inv->f == f_cas && inv->value.kind == HV_LIST &&
	    inv->value.n == 2)
		return hist_list_elem(h, &inv->value, 1);
	return NULL;
}

/* The op's version (completion's, else invoke's) in *ver; 0 if none. */
static inline int checker__op_version(const struct hist_event *inv,
				      const struct hist_event *cmp,
				      int64_t *ver)
{
	if (cmp && (cmp->flags & HIST_F_VERSION)) {
		*ver = cmp->version;
		return 1;
	}
	if (inv->flags & HIST_F_VERSION) {
		*ver = inv->version;
		return 1;
	}
	return 0;
}

#endif
