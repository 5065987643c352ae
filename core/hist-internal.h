/*
 * hist-internal.h - what the history readers share (core/ only).
 *
 * hist-read.c opens the input (a mapped file or a memory buffer), detects
 * its format and calls one reader: hist__read_json (hist-json.c),
 * hist__read_edn (hist-edn.c) or hist__read_log (hist-log.c).  A reader
 * appends events in file order, each with its source line, and never
 * pairs them: hist-read.c then splits Jepsen `[key value]` tuples
 * (foreign formats only) and calls hist_pair().
 *
 * The EDN value parser is shared by the EDN and jepsen.log readers;
 * hist__event_init() and hist__src_consumed() (hist-src.c) by all three.
 *
 * Ownership: a struct hist__src borrows its buffer; readers borrow the
 * source and append to the history they are given.
 */
#ifndef NS_HIST_INTERNAL_H
#define NS_HIST_INTERNAL_H

#include <string.h>

#include "history.h"

struct hist__src {
	const char *name;	/* for messages: "h.jsonl" */
	const char *buf;
	size_t len;
	int mapped;		/* buf is a read-only private file map */
	size_t dropped;		/* bytes given back so far (mapped) */
};

/*
 * The reader has consumed buf[0..off): when the source is a file mapping,
 * give the pages back to the kernel so a large file does not stay
 * resident.  Readers must not look at bytes before off afterwards.
 */
void hist__src_consumed(struct hist__src *src, size_t off);

/* Length of a UTF-8 byte order mark at buf (3), or 0. */
static inline size_t hist__bom(const char *buf, size_t len)
{
	return len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* A fresh event: pair -1, nil value, everything else zero. */
void hist__event_init(struct hist_event *e);

int hist__read_json(struct history *h, struct hist__src *src,
		    struct sb *warn, struct sb *err);
int hist__read_edn(struct history *h, struct hist__src *src,
		   struct sb *warn, struct sb *err);
int hist__read_log(struct history *h, struct hist__src *src,
		   struct sb *warn, struct sb *err);

/* ===== EDN values (hist-edn-value.c) ===== */
struct hist__edn {
	struct history *h;
	const char *name;	/* for messages */
	const char *p, *end;	/* cursor and end of input */
	uint32_t line;		/* line of *p */
	int eof;		/* the last error was an unexpected end */
	int depth;		/* nesting, bounded */
	struct sb *err;
	/* The op map just read (op_map): its line and `index` field. */
	uint32_t op_line;
	uint64_t op_index;
	int op_has_index;
};

/* Append "NAME:LINE: message" to r->err; returns -NS_EINPUT. */
int hist__edn_fail(struct hist__edn *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same for input that ends inside `what`; sets r->eof. */
int hist__edn_fail_eof(struct hist__edn *r, const char *what);
/* Does c end a symbol-like token (whitespace, a delimiter, NUL)? */
int hist__edn_is_term(char c);
/* Length of the symbol-like token at r->p. */
size_t hist__edn_token_len(const struct hist__edn *r);
/* Skip whitespace, commas, ; comments and #_ discarded forms. */
int hist__edn_skip(struct hist__edn *r);
/*
 * Parse one EDN value at r->p into out.  Keywords keep their ':'; sets and
 * vectors and lists become HV_LIST; maps and floats become HV_RAW JSON
 * text; tagged literals (#inst "...") give their value.  On error returns
 * -NS_EINPUT with "NAME:LINE: what" in r->err.
 */
int hist__edn_value(struct hist__edn *r, struct hist_value *out);
/* Text of an EDN value for a name or an error: strings and keywords as
 * they are, integers in decimal, anything else as JSON text. */
void hist__value_text(const struct history *h, const struct hist_value *v,
		      struct sb *out);

#endif
