/*
 * hist-ops.h - a history's client ops counted by op name (read, write,
 * cas, add, ...): how many ended ok, fail and info, and the most common
 * error texts of those that did not succeed.  It says why a run tested
 * little (a misspelt URL: every write 'http 404'; a command not found:
 * every write info 'exit 127'), which the checkers' verdicts alone do
 * not: `netsplit run` prints it, results.json keeps it (history.by_op),
 * summary.md and report.html show it, and hist_ops_untested() turns a
 * read, write or add that never succeeded into an unknown verdict.
 *
 * Counted: client ops only (not the nemesis), final reads left out (they
 * come after the faults are healed, each once, and would hide a run whose
 * reads all failed while the clients ran).  An op with no completion (the
 * run ended first) counts as info, its error "never completed".
 *
 * Ownership: a struct hist_ops owns its array; the op names and errors
 * in it are interned ids of the history it was computed from, which must
 * outlive it.  hist_ops_release() frees it.
 */
#ifndef NS_HIST_OPS_H
#define NS_HIST_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "sb.h"

#define HIST_OPS_TOP 3		/* error texts kept per op name */
/* attempts of a read, write or add without one success that make the
   run's verdict unknown (hist_ops_untested) */
#define HIST_OPS_UNTESTED_MIN 10

struct hist_op_error {
	uint32_t error;		/* interned text; 0: none given */
	uint8_t type;		/* HIST_FAIL or HIST_INFO */
	uint8_t never;		/* no completion at all (counted info) */
	size_t count;
};

struct hist_op_count {
	uint32_t f;			/* interned op name */
	size_t ok, fail, info;
	size_t nerrors;			/* entries in top[] */
	struct hist_op_error top[HIST_OPS_TOP];	/* most common first */
	size_t nkinds;			/* distinct (outcome, error) in all */
};

struct hist_ops {
	struct hist_op_count *op;	/* sorted by op name */
	size_t n;
};

/* Count h's client ops (final reads left out).  O(n log n). */
void hist_ops_compute(struct hist_ops *o, const struct history *h);
void hist_ops_release(struct hist_ops *o);

/* Append "412 fail 'http 404: not found'" (the error text shortened to
   max bytes, control characters as spaces; "never completed" or "no
   error text" where there is none). */
void hist_op_error_text(const struct history *h,
			const struct hist_op_error *e, size_t max,
			struct sb *out);

/*
 * results.json's history.by_op: [{"f", "ok", "fail", "info", "errors":
 * [{"outcome": "fail"|"info", "error", "count"}, ...]}], errors most
 * common first (at most HIST_OPS_TOP; an error text shortened as
 * evidence shortens values).  A new reference.
 */
struct json_t *hist_ops_json(const struct hist_ops *o,
			     const struct history *h);

/*
 * The rule that keeps a broken workload from passing: each read, write
 * or add (never cas: a cas may lose every compare and be right) that was
 * attempted at least HIST_OPS_UNTESTED_MIN times and never succeeded
 * tested nothing.  Appends one reason per such op to reason, "; "
 * between them: "no write succeeded (412 attempted: 412 fail 'http 404:
 * ...')".  Returns how many ops it found.
 */
size_t hist_ops_untested(const struct hist_ops *o, const struct history *h,
			 struct sb *reason);

#endif
