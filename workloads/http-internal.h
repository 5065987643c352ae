/*
 * http-internal.h - what the `http` and `exec` workloads share (and
 * their tests reach): request templates with placeholders, pcre2
 * patterns that classify an answer as ok / fail / unknown and extract a
 * read's value, and the `workload` config section both read.
 *
 * Templates.  A template is text with placeholders {name}: key,
 * key_b64, value, value_b64, expected, expected_b64, new, new_b64, host,
 * node, endpoint (which ones an op may use: HTTP__PH_* masks below).  A
 * '{' that does not open `{name}` is literal, so JSON bodies need no
 * escaping; `{{` is a literal '{' (for a literal "{key}").  Naming an
 * unknown placeholder, or one the op does not have (a read has no
 * value), is a config error naming the key and the offset.  Expansion
 * quotes each substituted text for where it lands: raw (bodies,
 * headers, methods), percent-encoded (URLs: every placeholder but host,
 * node, endpoint) or shell-quoted (exec commands: every placeholder, so
 * no key or value can inject shell).
 *
 * Answers.  Each op is judged on a subject: the HTTP status code or the
 * command's exit status, a newline, then the body or the command's
 * standard output ("200\n{...}", "0\n42\n").  No answer at all (a
 * connect failure, a timeout, a reset, a command killed at its
 * deadline): a read is fail; a write or cas is info if the request left
 * (the command was started), else fail.  An answer: ok when ok_pattern
 * matches (a read's value is the group named `value` of value_pattern,
 * nil when it does not match), else fail when fail_pattern matches,
 * else unknown: info for a write or cas, fail for a read.  A pattern that
 * cannot be matched (a pcre2 error such as the JIT stack or match limit,
 * not "no match") leaves the answer not judged: a read is fail, a write
 * or cas info, and the op's error carries pcre2's message.
 *
 * Ownership: struct http__spec owns its templates and compiled patterns
 * (http__spec_release()); it borrows strings from the config, which must
 * outlive it.  Compiled patterns are shared by every client thread;
 * a struct http__match (match data, a match context and its own JIT
 * stack, 32 KiB growing to 1 MiB) belongs to one thread
 * (http__match_init() / http__match_release()).  http__classify()
 * replaces op->out.
 */
#ifndef NS_HTTP_INTERNAL_H
#define NS_HTTP_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "config.h"
#include "sb.h"
#include "workloads/register-gen.h"
#include "workloads/workload.h"

/* ===== Templates ===== */

enum http__ph {
	HTTP__KEY, HTTP__KEY_B64, HTTP__VALUE, HTTP__VALUE_B64,
	HTTP__EXPECTED, HTTP__EXPECTED_B64, HTTP__NEW, HTTP__NEW_B64,
	HTTP__HOST, HTTP__NODE, HTTP__ENDPOINT, HTTP__NPH
};
#define HTTP__PH_READ ((1u << HTTP__KEY) | (1u << HTTP__KEY_B64) |       \
		       (1u << HTTP__HOST) | (1u << HTTP__NODE) |         \
		       (1u << HTTP__ENDPOINT))
#define HTTP__PH_WRITE (HTTP__PH_READ | (1u << HTTP__VALUE) |            \
			(1u << HTTP__VALUE_B64))
#define HTTP__PH_CAS (HTTP__PH_READ | (1u << HTTP__EXPECTED) |           \
		      (1u << HTTP__EXPECTED_B64) | (1u << HTTP__NEW) |   \
		      (1u << HTTP__NEW_B64))

enum http__quote { HTTP__RAW, HTTP__URL, HTTP__SHELL };

struct http__piece {
	size_t off, len;	/* literal text in tmpl->text, or */
	int ph;			/* a placeholder (-1: literal) */
};

struct http__tmpl {
	char *text;		/* the literal text, `{{` made '{' */
	struct http__piece *p;
	size_t n;
};

/*
 * Parse src, allowing the placeholders in mask; errors name
 * "FILE: 'where': unknown placeholder '{x}' at offset N ..." with
 * -NS_ECONFIG.
 */
int http__tmpl_parse(struct http__tmpl *t, const char *src, unsigned mask,
		     const struct config *c, const char *where,
		     struct sb *err);
void http__tmpl_release(struct http__tmpl *t);
/* Append t with vars[ph] substituted, quoted as q. */
void http__tmpl_expand(const struct http__tmpl *t,
		       const char *const vars[HTTP__NPH], enum http__quote q,
		       struct sb *out);
/* Name of a placeholder ("key_b64"). */
const char *http__ph_name(int ph);

/* The placeholders' texts for one op (one per thread, reused). */
struct http__vars {
	struct sb s[HTTP__NPH];
	const char *v[HTTP__NPH];	/* into s[], or NULL: absent */
};
void http__vars_init(struct http__vars *v);
void http__vars_release(struct http__vars *v);
/* Fill v for op on a node (host, name, endpoint may be NULL). */
void http__vars_set(struct http__vars *v, const char *key_prefix,
		    const struct workload_op *op, const char *host,
		    const char *node, const char *endpoint);

/* ===== Patterns ===== */

struct http__pat {
	pcre2_code *code;	/* NULL: none */
	uint32_t value_group;	/* value_pattern: group number of `value` */
	uint32_t groups;	/* capture count */
};

/*
 * Compile src (once; JIT when available) for the key where.key; with
 * need_value, a group named `value` is required.  Errors: "FILE:
 * 'workload.read.value_pattern': missing closing parenthesis at offset
 * 7" (-NS_ECONFIG).
 */
int http__pat_compile(struct http__pat *p, const char *src,
		      const struct config *c, const char *where,
		      const char *key, int need_value, struct sb *err);
void http__pat_release(struct http__pat *p);
/* One thread's matching state: match data big enough for every pattern
   of a spec, and a match context with a JIT stack of its own (the
   default one, 32 KiB on the machine stack, is exhausted by patterns
   such as (?:.|\n)* on bodies of a few KiB). */
struct http__match {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js;
};
#define HTTP__JIT_STACK_MIN (32u << 10)
#define HTTP__JIT_STACK_MAX (1u << 20)
/* For patterns of at most groups capture groups; -NS_EINTERNAL when
   out of memory (m released). */
int http__match_init(struct http__match *m, uint32_t groups);
void http__match_release(struct http__match *m);
/* 1 when p matches subj, 0 when not (or no pattern), else pcre2's
   negative error code (not PCRE2_ERROR_NOMATCH): not judged. */
int http__pat_match(const struct http__pat *p, const char *subj,
		    size_t len, struct http__match *m);

/* ===== Ops and the workload section ===== */

enum { HTTP__READ, HTTP__WRITE, HTTP__CAS, HTTP__NOPS };

struct http__opdef {
	int present;
	const char *name;		/* "read" */
	const char *method;		/* "GET", "POST"... */
	struct http__tmpl url, body, command;
	struct http__tmpl *headers;
	size_t nheaders;
	struct http__pat ok, fail, value;
	int b64;			/* value_encoding "base64" */
};

struct http__spec {
	int exec;			/* 1: the exec workload */
	struct workload_regen_cfg gen;
	struct http__opdef op[HTTP__NOPS];
	const char *key_prefix;
	long long timeout_ms, connect_timeout_ms;
	uint32_t groups;		/* most capture groups of a pattern */
};

/*
 * Read and check c->workload for the http (exec = 0) or exec workload:
 * every key, template and pattern, compiled once.  -NS_ECONFIG naming
 * the key path.
 */
int http__spec_read(struct http__spec *s, const struct config *c,
		    int exec, size_t concurrency, struct sb *err);
void http__spec_release(struct http__spec *s);
/* One thread's matching state for the patterns of s. */
int http__match_init_spec(struct http__match *m,
			  const struct http__spec *s);
/* The op kind of op->f (HTTP__READ...). */
int http__op_kind(const struct workload_op *op);

/*
 * How one request ended.  answered: an answer came (subject is valid);
 * else sent says whether the request left (a command was started) and
 * failure why it failed ("timed out").
 */
struct http__answer {
	int answered;
	int sent;
	const char *failure;
	const char *subject;
	size_t len;
};

/* Fill op's completion (type, out, error, unreachable) from a. */
void http__classify(const struct http__opdef *d, struct http__match *m,
		    struct workload_op *op, const struct http__answer *a);

#endif
