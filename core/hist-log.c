/*
 * hist-log.c - the jepsen.log reader: the op lines of Jepsen's text log.
 *
 * A jepsen.log holds much else (set-up, SSH, database output); only op
 * lines are read, every other line is ignored.  An op line is a line with
 * "jepsen.util - " (log4j layout) or "jepsen.util: " (logback layout)
 * followed by PROCESS TYPE F VALUE [ERROR], tab- or space-separated:
 *
 *   INFO  jepsen.util - 3	:invoke	:write	4
 *   INFO  jepsen.util - 9	:info	:cas	[1 4]	:timed-out
 *   INFO  jepsen.util - :nemesis	:info	:start	nil
 *
 * PROCESS is an integer or :nemesis and TYPE one of :invoke :ok :fail
 * :info; a line whose first two fields are not that is not an op line.
 * Once they match, the line must be a whole op: F a keyword, VALUE an EDN
 * value (parsed by hist-edn.c), the rest of the line the error text.  A
 * nemesis value that is not one EDN value followed by a tab or the end of
 * the line is kept as text (the rest of the line).  Log timestamps are not
 * read (time 0): file order is the history order.
 *
 * An op line at the very end without its newline may have been cut
 * mid-write: it is dropped with a warning, the rest is used.
 */
#define _GNU_SOURCE
#include "hist-internal.h"

#include <string.h>

#include "err.h"

static const char *find_marker(const char *s, size_t n)
{
	const char *m = memmem(s, n, "jepsen.util", 11);

	while (m) {
		const char *q = m + 11;
		size_t left = n - (size_t)(q - s);

		if (left >= 3 && !memcmp(q, " - ", 3))
			return q + 3;
		if (left >= 2 && !memcmp(q, ": ", 2))
			return q + 2;
		m = memmem(q, left, "jepsen.util", 11);
	}
	return NULL;
}

static void skip_blank(struct hist__edn *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

static size_t word(const struct hist__edn *r)
{
	const char *q = r->p;

	while (q < r->end && *q != ' ' && *q != '\t')
		q++;
	return (size_t)(q - r->p);
}

static int parse_type(const char *s, size_t n)
{
	static const char *const types[] = {
		":invoke", ":ok", ":fail", ":info"
	};
	int i;

	for (i = 0; i < 4; i++)
		if (strlen(types[i]) == n && !memcmp(s, types[i], n))
			return i;
	return -1;
}

/*
 * Parse the op fields at r->p (to r->end, one line).  Returns 1 and
 * fills e for an op line, 0 for a line that is not one, or an error.
 */
static int op_line(struct hist__edn *r, struct hist_event *e)
{
	struct history *h = r->h;
	size_t n;
	int64_t process = 0;
	int type, rc;
	const char *vstart;
	size_t elen;

	skip_blank(r);
	n = word(r);
	if (n == 8 && !memcmp(r->p, ":nemesis", 8)) {
		process = HIST_NEMESIS;
	} else {
		size_t i;

		if (!n || n > 9)	/* a 32-bit process id */
			return 0;
		for (i = 0; i < n; i++) {
			if (r->p[i] < '0' || r->p[i] > '9')
				return 0;
			process = process * 10 + (r->p[i] - '0');
		}
	}
	r->p += n;
	skip_blank(r);
	n = word(r);
	type = parse_type(r->p, n);
	if (type < 0)
		return 0;
	r->p += n;
	hist__event_init(e);
	e->process = (int32_t)process;
	e->session = (int32_t)process;
	e->type = (uint8_t)type;
	skip_blank(r);
	n = word(r);
	if (!n) {
		sb_addf(r->err, "%s:%u: op line without an f", r->name,
			r->line);
		return -NS_EINPUT;
	}
	if (*r->p == ':') {
		r->p++;
		n--;
	}
	e->f = hist_intern(h, r->p, n);
	r->p += n;
	skip_blank(r);
	if (r->p >= r->end)
		return 1;	/* no value: nil */
	vstart = r->p;
	elen = r->err->len;
	rc = hist__edn_value(r, &e->value);
	if (rc < 0 || (process == HIST_NEMESIS && r->p < r->end &&
		       *r->p != '\t')) {
		const char *q = r->end;

		if (process != HIST_NEMESIS)
			return rc;
		/* nemesis text that is not EDN: keep it as it is */
		sb_setlen(r->err, elen);
		while (q > vstart && (q[-1] == ' ' || q[-1] == '\t' ||
				      q[-1] == '\r'))
			q--;
		e->value.kind = HV_STR;
		e->value.u.str = hist_intern(h, vstart, (size_t)(q - vstart));
		return 1;
	}
	skip_blank(r);
	if (r->p < r->end) {
		const char *q = r->end;

		while (q > r->p && (q[-1] == ' ' || q[-1] == '\t' ||
				    q[-1] == '\r'))
			q--;
		if (q > r->p)
			e->error = hist_intern(h, r->p, (size_t)(q - r->p));
	}
	return 1;
}

int hist__read_log(struct history *h, struct hist__src *src,
		   struct sb *warn, struct sb *err)
{
	const char *buf = src->buf;
	size_t pos = 0, len = src->len;
	uint32_t line = 0;

	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		const char *m = find_marker(s, n);
		struct hist__edn r = { h, src->name, NULL, s + n, 0, 0, 0,
				       err, 0, 0, 0 };
		struct hist_event e;
		size_t elen = err->len;
		int rc;

		line++;
		pos += n + (nl ? 1 : 0);
		if (!m)
			continue;
		r.p = m;
		r.line = line;
		if (r.end > r.p && r.end[-1] == '\r')
			r.end--;
		rc = op_line(&r, &e);
		if (rc != 0 && !nl) {
			sb_setlen(err, elen);
			h->truncated_tail = 1;
			sb_addf(warn, "%s:%u: the last op line has no newline "
				"(cut short?); ignored it, the rest of the "
				"history is used", src->name, line);
			return 0;
		}
		if (rc < 0)
			return rc;
		if (rc > 0)
			hist_set_line(h, hist_append(h, &e), line);
		hist__src_consumed(src, pos);
	}
	return 0;
}
