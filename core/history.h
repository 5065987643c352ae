/*
 * history.h - the history model: events, values, and their readers/writers.
 *
 * A history is the sequence of events a test recorded: for each operation
 * an `invoke`, then exactly one completion, `ok` (it happened), `fail` (it
 * definitely did not) or `info` (indeterminate: it may take effect at any
 * time after its invoke, or never).  The nemesis is one more process
 * (HIST_NEMESIS) whose events mark fault windows.  docs/history.md is the
 * user-facing description of the JSON Lines format.
 *
 * Representation.  Events are fixed-size records in one array, in history
 * order.  Strings (f names, keys, nodes, errors, string values) are
 * interned: an event holds a uint32_t id, hist_str() gives the text, and
 * equal strings have equal ids, so checkers compare ids, never text.
 * Values are `struct hist_value`: nil, integer, interned string, boolean,
 * or a list whose elements live in history.vals[] (so a CAS value
 * [expected, new] is a list of two).  Anything else a foreign tool writes
 * (maps, floats) is kept as its canonical JSON text in a HV_RAW string.
 *
 * Pairing.  After a successful read, every event's `pair` holds the index
 * of its partner: an invoke's completion, a completion's invoke.  An invoke
 * with no completion (the run ended or crashed first) has pair == -1 and is
 * treated as indeterminate, exactly like an `info`.
 *
 * Ownership: a struct history owns its events, values and strings.
 * Checkers borrow a const struct history and never modify it.
 */
#ifndef NS_HISTORY_H
#define NS_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sb.h"

enum hist_type { HIST_INVOKE, HIST_OK, HIST_FAIL, HIST_INFO };

#define HIST_NEMESIS ((int32_t)-1)	/* process of nemesis events */

enum hist_value_kind {
	HV_NIL,		/* absent / null / Clojure nil */
	HV_INT,		/* u.i */
	HV_STR,		/* u.str: interned id (keywords keep their ':') */
	HV_BOOL,	/* u.i is 0 or 1 */
	HV_LIST,	/* n elements at history.vals[u.off] */
	HV_RAW,		/* u.str: canonical JSON text of anything else */
};

struct hist_value {
	uint8_t kind;
	uint32_t n;			/* HV_LIST: element count */
	union {
		int64_t i;
		uint32_t str;
		uint64_t off;
	} u;
};

/* Event flags. */
#define HIST_F_FINAL	0x01	/* a final read after heal */
#define HIST_F_VERSION	0x02	/* version is set */
#define HIST_F_KEY	0x04	/* key is set (independent keys) */
#define HIST_F_SESSION	0x08	/* session came from the input */

/*
 * An event is 64 bytes (history.c checks it): a 10-million-op history is
 * 20 million events, so every byte here is 20 MB.  Hence 32-bit process,
 * session and pair (readers refuse larger process and session ids, and
 * histories of 2^31 events or more: -NS_EINPUT), and the source line and
 * the `index` field kept beside the events, in arrays that exist only
 * when some event's differs from its default (hist_line(), hist_index()).
 */
#define HIST_EVENTS_MAX ((size_t)INT32_MAX)

struct hist_event {
	int64_t time;		/* ns since test start (advisory in foreign
				   formats, may be 0 when absent) */
	int64_t version;	/* server version if HIST_F_VERSION */
	struct hist_value value;
	int32_t process;	/* client process id, or HIST_NEMESIS */
	int32_t session;	/* client session; when the input has none
				   (HIST_F_SESSION clear) it is the process */
	int32_t pair;		/* index of partner event, -1 if none */
	uint32_t f;		/* interned op name: "read", "write", ... */
	uint32_t key;		/* interned key if HIST_F_KEY */
	uint32_t node;		/* interned node name, 0 if none */
	uint32_t error;		/* interned error text, 0 if none */
	uint8_t type;		/* enum hist_type */
	uint8_t flags;		/* HIST_F_* */
};

/* Whether an integer fits hist_event.process / session. */
static inline int hist_id_ok(int64_t x)
{
	return x >= INT32_MIN && x <= INT32_MAX;
}

struct hist_strtab;

struct history {
	struct hist_event *ev;
	size_t n, alloc;
	struct hist_value *vals;	/* list elements */
	size_t nvals, vals_alloc;
	struct hist_strtab *strs;
	char *source;			/* file name, for messages */
	char *format;			/* "json", "edn", "jepsen-log" */
	uint32_t *lines;		/* source line of each event; NULL
					   while every line is the default */
	int lines_by_position;		/* the default line is position + 1
					   (read from a file), else 0 (built
					   in memory: no line) */
	uint64_t *index;		/* `index` of each event; NULL while
					   every index is the position */
	int truncated_tail;		/* last line was cut short (crash) */
};

/* ===== Lifecycle ===== */
void hist_init(struct history *h);
void hist_release(struct history *h);

/* ===== Strings ===== */
/* Intern s[0..n): equal texts get equal ids.  Id 0 is the empty string. */
uint32_t hist_intern(struct history *h, const char *s, size_t n);
const char *hist_str(const struct history *h, uint32_t id);
/* Id of s if it was interned, else UINT32_MAX (never interns). */
uint32_t hist_lookup(const struct history *h, const char *s);

/* ===== Lines and indexes ===== */
/* Source line of event i; 0: none (an event built in memory). */
static inline uint32_t hist_line(const struct history *h, size_t i)
{
	if (h->lines)
		return h->lines[i];
	return h->lines_by_position ? (uint32_t)(i + 1) : 0;
}
/* The `index` field of event i (defaults to i). */
static inline uint64_t hist_index(const struct history *h, size_t i)
{
	return h->index ? h->index[i] : (uint64_t)i;
}
/* Set them for event i (< h->n); the arrays appear on the first value
 * that differs from the default. */
void hist_set_line(struct history *h, size_t i, uint32_t line);
void hist_set_index(struct history *h, size_t i, uint64_t index);
/* Append where event i came from, for messages: "FILE:LINE", or
 * "FILE: event I" (I its position) for an event with no source line. */
void hist_where(const struct history *h, size_t i, struct sb *out);

/* ===== Values ===== */
static inline const struct hist_value *
hist_list_elem(const struct history *h, const struct hist_value *v, size_t i)
{
	return &h->vals[v->u.off + i];
}
int hist_value_eq(const struct history *h, const struct hist_value *a,
		  const struct hist_value *b);
/*
 * Convert a jansson value (json_t) into a value of h: null, booleans,
 * integers, strings and arrays map to their kinds, anything else (objects,
 * reals) becomes HV_RAW canonical JSON text.  Returns -NS_EINPUT for
 * arrays nested more than 64 deep.  j is borrowed.
 */
struct json_t;
int hist_value_from_json(struct history *h, const struct json_t *j,
			 struct hist_value *out);
/* Append v as JSON text (strings quoted and escaped, nil as null). */
void hist_value_json(const struct history *h, const struct hist_value *v,
		     struct sb *out);

/*
 * Values shown to people: evidence (checker texts, the anomalies of
 * results.json and `check --json`, the reports) shows a value shortened,
 * the whole of it stays in the history alone.  A list keeps its first
 * HIST_SHOW_ELEMS elements (a whole-set read cited once per lost element
 * would otherwise be copied each time); a string its first
 * HIST_SHOW_BYTES bytes, whole UTF-8 characters, then "... (N bytes)".
 */
#define HIST_SHOW_ELEMS 64
#define HIST_SHOW_BYTES 200
/* How many bytes of s[0..n) to show: n, or the first HIST_SHOW_BYTES at
   most, cut before a character. */
size_t hist_show_len(const char *s, size_t n);
/*
 * Append v as JSON text, shortened: each string (at any depth) longer
 * than HIST_SHOW_BYTES becomes "<its first bytes>... (N bytes)", a list
 * keeps its first HIST_SHOW_ELEMS elements (valid JSON either way; a long
 * HV_RAW becomes such a string).  Returns 1 if anything was cut.
 */
int hist_value_json_show(const struct history *h, const struct hist_value *v,
			 struct sb *out);
/* Append a head of hist_value_json_show's text: the whole text when it
   is at most max bytes, else its first max + 1 bytes or a few hundred
   more (a shown string is added whole), never all of a huge value. */
void hist_value_json_head(const struct history *h, const struct hist_value *v,
			  size_t max, struct sb *out);
/* Append v shortened as text for a sentence: hist_value_json_show, with
   " and N more (M elements)" after a cut list; with bare, a string
   without its quotes. */
void hist_value_show(const struct history *h, const struct hist_value *v,
		     int bare, struct sb *out);
/* Append text s (an event's error, say) shortened as a string value is:
   whole up to HIST_SHOW_BYTES, else its first bytes (whole characters)
   then "... (N bytes)"; no quotes, no escaping.  Returns 1 if cut. */
int hist_str_show(const char *s, struct sb *out);
/* A value that is a JSON object with a string "summary" (a nemesis op's
   fault in words, as netsplit's controller records it): append the
   summary, shortened as hist_str_show() does, and return 1; else 0. */
int hist_value_summary(const struct history *h, const struct hist_value *v,
		       struct sb *out);
/* A 64-bit hash consistent with hist_value_eq. */
uint64_t hist_value_hash(const struct history *h, const struct hist_value *v);

/* ===== Building (readers, the controller) ===== */
/* Append an event (copied); returns its index.  Does not pair. */
size_t hist_append(struct history *h, const struct hist_event *e);
/* Reserve n list slots, returns offset of the first. */
uint64_t hist_alloc_vals(struct history *h, size_t n);

/* ===== Reading ===== */
enum hist_format { HIST_FMT_AUTO, HIST_FMT_JSON, HIST_FMT_EDN, HIST_FMT_LOG };

/* "json", "edn", "jepsen-log" -> format; -1 if unknown. */
int hist_format_parse(const char *name);

/*
 * Read a history file (path "-" is stdin), detecting its format by content
 * unless fmt says otherwise (a run's RUN/history.jsonl, beside its
 * run.json, is JSON Lines without looking), then validate and pair it.
 *
 * Validation errors name the file and line: an invoke on a process that
 * has one pending, a completion without an invoke, a process id reused
 * after `info`, and (JSON only) time going backwards or an `index` that
 * does not increase (in EDN such indexes are dropped, with a warning:
 * every index is then the position).  A truncated last
 * line is not an error: h->truncated_tail is set and a warning appended to
 * warn.  Returns 0 or -NS_EINPUT / -NS_EIO with a message in err.
 */
int hist_read_file(struct history *h, const char *path, enum hist_format fmt,
		   struct sb *warn, struct sb *err);
/* Same, from memory; name is used in messages. */
int hist_read_mem(struct history *h, const char *name, const char *buf,
		  size_t len, enum hist_format fmt, struct sb *warn,
		  struct sb *err);

/* Validate and set every event's pair (called by the readers). */
int hist_pair(struct history *h, struct sb *err);

/* ===== Writing (JSON Lines) ===== */
/* Append event i as one JSON line (with '\n') to out. */
void hist_event_json(const struct history *h, size_t i, struct sb *out);
/* The same line as evidence shows it: its value shortened as
   hist_value_json_show() does and its error as hist_str_show() does (as
   a JSON string), never formatting either whole.  Returns which were cut:
   HIST_SHOW_CUT_VALUE, HIST_SHOW_CUT_ERROR. */
#define HIST_SHOW_CUT_VALUE 1u
#define HIST_SHOW_CUT_ERROR 2u
unsigned hist_event_json_show(const struct history *h, size_t i,
			      struct sb *out);

/*
 * A streaming writer for the controller: each event is written whole, as
 * one line, when it happens.  hist_writer_write() = queue + commit.
 * hist_writer_queue() puts event i's line after the others (call it
 * under the lock that orders your events: lines keep that order) and
 * returns its sequence number; hist_writer_commit(seq) returns once that
 * line is in the kernel, so a crash of the controller loses nothing
 * committed.  The file is written through a shared memory map, so a
 * line is in the kernel as soon as it is queued; while the writer is
 * open (or after a crash) the file ends in up to 64 KiB of blank
 * padding (spaces, a newline), which JSON Lines readers skip;
 * hist_writer_close() cuts it.
 * HIST_WRITER_NOMAP, or a file that cannot be mapped, writes with
 * write(2) instead (threads committing at once share one write).  Every
 * 200 ms a commit also syncs to disk; hist_writer_flush() syncs at once.
 * Thread-safe; errors are sticky (-NS_EWRITE from then on).
 */
struct hist_writer;
#define HIST_WRITER_NOMAP 1u
struct hist_writer *hist_writer_open(const char *path, unsigned flags,
				     struct sb *err);
uint64_t hist_writer_queue(struct hist_writer *w, const struct history *h,
			   size_t i);
int hist_writer_commit(struct hist_writer *w, uint64_t seq);
int hist_writer_write(struct hist_writer *w, const struct history *h,
		      size_t i);
int hist_writer_flush(struct hist_writer *w);
int hist_writer_close(struct hist_writer *w);	/* frees w */

/* ===== Queries ===== */
/* Whether h carries times: some event's time is not 0.  A jepsen.log, EDN
   without :time and JSON Lines without "time" give every event time 0;
   evidence then says where an event is written (hist_where), not "at
   0.000 s".  O(1) for a history with times (its first events have them),
   O(events) without. */
int hist_timed(const struct history *h);
static inline int hist_is_client(const struct hist_event *e)
{
	return e->process != HIST_NEMESIS;
}
const char *hist_type_name(enum hist_type t);

#endif
