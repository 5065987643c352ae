/*
 * checker.h - the checker plug-in interface: a type, a verdict, a registry.
 *
 * A checker reads a history (borrowed, never modified) and fills a verdict:
 * valid, invalid (with anomalies), or unknown (it hit its time or memory
 * budget, or the history cannot decide, e.g. every final read failed).
 * The verdict's kind doubles as the process exit code (DEVELOPERS.md).
 *
 * Evidence.  Every anomaly names the events that prove it (positions in
 * history.ev[], invoke events of the ops involved: the minimal window a
 * person needs to see), a kind ("nonlinearizable", "lost", "stale-read",
 * "read-your-writes", ...), and a sentence in plain words.  Checker
 * specific detail goes in `detail` (JSON).  verdict_json() gives the shape
 * results.json and the reports read:
 *
 *   { "checker": "linearizable", "verdict": "valid|invalid|unknown",
 *     "summary": "one line",
 *     "stats": { ... checker's counts ... },
 *     "anomaly_count": N,              (may exceed the anomalies listed)
 *     "anomaly_kinds": {"lost": N, ...},  (every anomaly found, by kind;
 *                                       absent when none was found)
 *     "anomalies": [ { "kind": "...", "text": "...",
 *                      "ops": [ {event json of the invoke, plus
 *                                "position", "line" (its source line,
 *                                when read from a file), "complete":
 *                                {event json of its completion} or
 *                                null} ... ],
 *                      (a value is shortened, hist_value_json_show:
 *                       a list to its first 64 elements, a string to
 *                       its first 200 bytes, with "value_truncated":
 *                       true and "value_count" or "value_bytes";
 *                       an "error" text likewise to its first 200
 *                       bytes, with "error_truncated": true and
 *                       "error_bytes";
 *                       history.jsonl has it all at "position")
 *                      "key": "k1" (when per key),
 *                      "detail": { ... } } ... ] }
 *
 * Ownership: a verdict owns its anomalies, strings and JSON; release it
 * with verdict_release().  json_t values follow jansson's reference rules:
 * verdict_json() returns a new reference.
 */
#ifndef NS_CHECKER_H
#define NS_CHECKER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "sb.h"

enum verdict_kind {
	VERDICT_VALID = 0,
	VERDICT_INVALID = 1,
	VERDICT_UNKNOWN = 2,
};

struct anomaly {
	char *kind;
	char *text;
	size_t *ops;		/* positions in history.ev[] */
	size_t nops;
	uint32_t key;		/* interned key, or UINT32_MAX if none */
	json_t *detail;		/* owned; may be NULL */
};

struct verdict {
	const char *checker;	/* the type's name */
	enum verdict_kind kind;
	struct anomaly *anomalies;
	size_t n, alloc;
	size_t anomaly_count;	/* total found (n may be capped) */
	json_t *kind_counts;	/* owned {"kind": count} of all found */
	json_t *stats;		/* owned object; never NULL after init */
	struct sb summary;	/* one line for people */
};

struct checker_opts {
	const char *model;	/* "register", "cas-register", ... */
	const char *init;	/* initial value as JSON text; NULL = nil */
	double timeout_s;	/* 0 = no time budget */
	size_t mem_limit;	/* bytes; 0 = the checker's default */
	int threads;		/* 0 = number of CPUs */
	size_t max_anomalies;	/* anomalies kept in detail; 0 = default */
	int nil_reads_unknown;	/* a read returning nil says nothing about
				   the value (Knossos test data); default:
				   nil is a value like any other */
	double stale_ms;	/* stale: reads at most this many ms behind
				   are counted, not anomalies; 0 = none */
};

/* The checker_opts fields a checker reads (checker_type.opts), so that
 * `netsplit check` can say when an option given reaches no checker. */
#define CHECKER_OPT_MODEL	0x01	/* model */
#define CHECKER_OPT_INIT	0x02	/* init */
#define CHECKER_OPT_NIL_READS	0x04	/* nil_reads_unknown */
#define CHECKER_OPT_TIMEOUT	0x08	/* timeout_s */
#define CHECKER_OPT_STALE_MS	0x10	/* stale_ms */

struct checker_type {
	const char *name;
	const char *help;	/* one line for `netsplit check --help` */
	unsigned opts;		/* CHECKER_OPT_* it reads */
	/* Optional (NULL: nothing to check): refuse bad options before any
	 * history is read; 0 or -NS_EUSAGE with a message in err. */
	int (*validate)(const struct checker_opts *o, struct sb *err);
	int (*check)(const struct history *h, const struct checker_opts *o,
		     struct verdict *v, struct sb *err);
};

/* The registry (checkers/registry.c). */
extern const struct checker_type *const checker_types[];
const struct checker_type *checker_find(const char *name);

static inline int checker_check(const struct checker_type *t,
				const struct history *h,
				const struct checker_opts *o,
				struct verdict *v, struct sb *err)
{
	return t->check(h, o, v, err);
}

static inline int checker_validate(const struct checker_type *t,
				   const struct checker_opts *o,
				   struct sb *err)
{
	return t->validate ? t->validate(o, err) : 0;
}

void verdict_init(struct verdict *v, const char *checker);
void verdict_release(struct verdict *v);
/* Add an anomaly; ops are copied; returns it so detail can be set. */
struct anomaly *verdict_add(struct verdict *v, const char *kind,
			    const size_t *ops, size_t nops, uint32_t key,
			    const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
json_t *verdict_json(const struct history *h, const struct verdict *v);
const char *verdict_name(enum verdict_kind k);	/* "valid", ... */

#endif
