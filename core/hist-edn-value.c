/*
 * hist-edn-value.c - the EDN value parser the EDN and jepsen.log history
 * readers share (hist-edn.c, hist-log.c).
 *
 * Values: nil, true/false, integers (with N), floats (with M) and ratios,
 * strings with escapes (\" \\ \n \t \r \b \f \uXXXX), characters,
 * keywords, symbols, vectors, lists, sets (all three as lists), maps (as
 * canonical JSON text with sorted keys), tagged literals (their value),
 * ; comments and #_ discarded forms.  Nesting is bounded (MAX_DEPTH) so
 * hostile input cannot exhaust the stack.  Errors name FILE:LINE.
 */
#include "hist-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

#define MAX_DEPTH 128

int hist__edn_fail(struct hist__edn *r, const char *fmt, ...)
{
	va_list ap;

	sb_addf(r->err, "%s:%u: ", r->name, r->line);
	va_start(ap, fmt);
	sb_vaddf(r->err, fmt, ap);
	va_end(ap);
	return -NS_EINPUT;
}

int hist__edn_fail_eof(struct hist__edn *r, const char *what)
{
	r->eof = 1;
	return hist__edn_fail(r, "unexpected end of input in %s", what);
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' ||
	       c == '\f' || c == '\v';
}

int hist__edn_is_term(char c)
{
	return is_ws(c) || strchr("()[]{}\";", c) != NULL || c == '\0';
}

size_t hist__edn_token_len(const struct hist__edn *r)
{
	const char *q = r->p;

	while (q < r->end && !hist__edn_is_term(*q))
		q++;
	return (size_t)(q - r->p);
}

int hist__edn_skip(struct hist__edn *r)
{
	while (r->p < r->end) {
		char c = *r->p;

		if (c == '\n') {
			r->line++;
			r->p++;
		} else if (is_ws(c)) {
			r->p++;
		} else if (c == ';') {
			while (r->p < r->end && *r->p != '\n')
				r->p++;
		} else if (c == '#' && r->p + 1 < r->end && r->p[1] == '_') {
			struct hist_value discard;
			int rc;

			if (r->depth >= MAX_DEPTH)
				return hist__edn_fail(r,
					"values nested more than %d deep",
					MAX_DEPTH);
			r->p += 2;
			r->depth++;	/* #_ #_ #_ ... nests too */
			rc = hist__edn_value(r, &discard);
			r->depth--;
			if (rc < 0)
				return rc;
		} else {
			break;
		}
	}
	return 0;
}

static void add_utf8(struct sb *sb, unsigned cp)
{
	char b[4];

	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 4);
	}
}

static int hex4(const char *p, const char *end, unsigned *cp)
{
	int i;

	*cp = 0;
	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* r->p is at the opening quote. */
static int parse_string(struct hist__edn *r, struct hist_value *out)
{
	const char *s = ++r->p;
	struct sb text = SB_INIT;
	uint32_t line0 = r->line;

	/* Fast path: no escapes. */
	while (r->p < r->end && *r->p != '"' && *r->p != '\\') {
		if (*r->p == '\n')
			r->line++;
		r->p++;
	}
	if (r->p < r->end && *r->p == '"') {
		out->kind = HV_STR;
		out->u.str = hist_intern(r->h, s, (size_t)(r->p - s));
		r->p++;
		return 0;
	}
	sb_add(&text, s, (size_t)(r->p - s));
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;
		unsigned cp, lo;

		if (c == '\n')
			r->line++;
		if (c != '\\') {
			sb_addc(&text, c);
			continue;
		}
		if (r->p >= r->end)
			break;
		c = *r->p++;
		switch (c) {
		case '"': sb_addc(&text, '"'); break;
		case '\\': sb_addc(&text, '\\'); break;
		case '/': sb_addc(&text, '/'); break;
		case 'n': sb_addc(&text, '\n'); break;
		case 't': sb_addc(&text, '\t'); break;
		case 'r': sb_addc(&text, '\r'); break;
		case 'b': sb_addc(&text, '\b'); break;
		case 'f': sb_addc(&text, '\f'); break;
		case 'u':
			if (hex4(r->p, r->end, &cp) < 0) {
				sb_release(&text);
				return hist__edn_fail(r,
					"bad \\u escape in a string");
			}
			r->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 &&
			    r->end - r->p >= 6 && r->p[0] == '\\' &&
			    r->p[1] == 'u' &&
			    !hex4(r->p + 2, r->end, &lo) && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				r->p += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			add_utf8(&text, cp);
			break;
		default:
			sb_release(&text);
			return hist__edn_fail(r,
				"unknown escape '\\%c' in a string", c);
		}
	}
	if (r->p >= r->end) {
		sb_release(&text);
		r->line = line0;
		return hist__edn_fail_eof(r, "a string");
	}
	r->p++;
	out->kind = HV_STR;
	out->u.str = hist_intern(r->h, text.buf, text.len);
	sb_release(&text);
	return 0;
}

static int parse_number(struct hist__edn *r, struct hist_value *out)
{
	size_t n = hist__edn_token_len(r);
	char buf[128], *endp;
	const char *tok = r->p;
	size_t i = 0;

	if (n >= sizeof(buf))
		return hist__edn_fail(r, "number too long");
	memcpy(buf, tok, n);
	buf[n] = '\0';
	r->p += n;
	if (buf[i] == '+' || buf[i] == '-')
		i++;
	while (buf[i] >= '0' && buf[i] <= '9')
		i++;
	if (buf[i] == '\0' || (buf[i] == 'N' && buf[i + 1] == '\0')) {
		long long v;

		buf[i] = '\0';
		errno = 0;
		v = strtoll(buf, &endp, 10);
		if (!errno && *endp == '\0') {
			out->kind = HV_INT;
			out->u.i = v;
		} else {	/* beyond 64 bits: keep the digits */
			const char *digits = buf + (buf[0] == '+');

			out->kind = HV_RAW;
			out->u.str = hist_intern(r->h, digits,
						 strlen(digits));
		}
		return 0;
	}
	if (buf[i] == '/') {	/* ratio */
		out->kind = HV_STR;
		out->u.str = hist_intern(r->h, buf, n);
		return 0;
	}
	if (n && buf[n - 1] == 'M')
		buf[--n] = '\0';
	{
		double d;
		char text[64];

		errno = 0;
		d = strtod(buf, &endp);
		if (*endp != '\0' || endp == buf)
			return hist__edn_fail(r, "bad number '%s'", buf);
		if (d != d || d > 1.7976931348623157e308 ||
		    d < -1.7976931348623157e308) {
			out->kind = HV_STR;
			out->u.str = hist_intern(r->h, buf, n);
			return 0;
		}
		snprintf(text, sizeof(text), "%.17g", d);
		out->kind = HV_RAW;
		out->u.str = hist_intern(r->h, text, strlen(text));
	}
	return 0;
}

/* Elements up to `close` into a HV_LIST. */
static int parse_seq(struct hist__edn *r, char close, const char *what,
		     struct hist_value *out)
{
	struct hist_value small[8], *elems = small;
	size_t n = 0, alloc = 8;
	uint64_t off;
	int rc;

	r->p++;
	for (;;) {
		rc = hist__edn_skip(r);
		if (rc < 0)
			goto out;
		if (r->p >= r->end) {
			rc = hist__edn_fail_eof(r, what);
			goto out;
		}
		if (*r->p == close) {
			r->p++;
			break;
		}
		if (n == alloc) {
			if (elems == small) {
				elems = xmalloc(2 * alloc * sizeof(*elems));
				memcpy(elems, small, sizeof(small));
			} else {
				elems = xrealloc(elems,
						 2 * alloc * sizeof(*elems));
			}
			alloc *= 2;
		}
		rc = hist__edn_value(r, &elems[n]);
		if (rc < 0)
			goto out;
		n++;
	}
	off = hist_alloc_vals(r->h, n);
	if (n)
		memcpy(r->h->vals + off, elems, n * sizeof(*elems));
	memset(out, 0, sizeof(*out));
	out->kind = HV_LIST;
	out->n = (uint32_t)n;
	out->u.off = off;
	rc = 0;
out:
	if (elems != small)
		free(elems);
	return rc;
}

void hist__value_text(const struct history *h, const struct hist_value *v,
		      struct sb *out)
{
	switch (v->kind) {
	case HV_STR:
	case HV_RAW:
		sb_adds(out, hist_str(h, v->u.str));
		break;
	case HV_NIL:
		sb_adds(out, "nil");
		break;
	default:
		hist_value_json(h, v, out);
		break;
	}
}

struct kv {
	char *key, *val;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* A map becomes canonical JSON text: keys as strings, sorted. */
static int parse_map(struct hist__edn *r, struct hist_value *out)
{
	struct kv *kv = NULL;
	size_t n = 0, alloc = 0, i;
	struct sb text = SB_INIT;
	int rc = 0;

	r->p++;
	for (;;) {
		struct hist_value k, v;
		struct sb ks = SB_INIT, vs = SB_INIT;

		rc = hist__edn_skip(r);
		if (rc < 0)
			goto out;
		if (r->p >= r->end) {
			rc = hist__edn_fail_eof(r, "a map");
			goto out;
		}
		if (*r->p == '}') {
			r->p++;
			break;
		}
		rc = hist__edn_value(r, &k);
		if (rc < 0)
			goto out;
		rc = hist__edn_skip(r);
		if (rc < 0)
			goto out;
		if (r->p < r->end && *r->p == '}') {
			rc = hist__edn_fail(r,
				"a map with an odd number of forms");
			goto out;
		}
		rc = hist__edn_value(r, &v);
		if (rc < 0)
			goto out;
		hist__value_text(r->h, &k, &ks);
		hist_value_json(r->h, &v, &vs);
		ALLOC_GROW(kv, n + 1, alloc);
		kv[n].key = sb_detach(&ks, NULL);
		kv[n].val = sb_detach(&vs, NULL);
		n++;
	}
	if (n > 1)
		qsort(kv, n, sizeof(*kv), cmp_kv);
	sb_addc(&text, '{');
	for (i = 0; i < n; i++) {
		if (i)
			sb_addc(&text, ',');
		sb_addc(&text, '"');
		sb_add_json_escaped(&text, kv[i].key, strlen(kv[i].key));
		sb_adds(&text, "\":");
		sb_adds(&text, kv[i].val);
	}
	sb_addc(&text, '}');
	memset(out, 0, sizeof(*out));
	out->kind = HV_RAW;
	out->u.str = hist_intern(r->h, text.buf, text.len);
out:
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
	sb_release(&text);
	return rc;
}

static int parse_char(struct hist__edn *r, struct hist_value *out)
{
	size_t n;
	struct sb text = SB_INIT;
	unsigned cp;

	r->p++;	/* the backslash */
	if (r->p >= r->end)
		return hist__edn_fail_eof(r, "a character");
	n = hist__edn_token_len(r);
	if (!n)
		n = 1;	/* \( \" \space-like punctuation */
	if (n == 7 && !memcmp(r->p, "newline", 7))
		sb_addc(&text, '\n');
	else if (n == 5 && !memcmp(r->p, "space", 5))
		sb_addc(&text, ' ');
	else if (n == 3 && !memcmp(r->p, "tab", 3))
		sb_addc(&text, '\t');
	else if (n == 6 && !memcmp(r->p, "return", 6))
		sb_addc(&text, '\r');
	else if (n == 5 && r->p[0] == 'u' && !hex4(r->p + 1, r->end, &cp))
		add_utf8(&text, cp);
	else
		sb_add(&text, r->p, n);
	r->p += n;
	memset(out, 0, sizeof(*out));
	out->kind = HV_STR;
	out->u.str = hist_intern(r->h, text.buf, text.len);
	sb_release(&text);
	return 0;
}

static int parse_symbol(struct hist__edn *r, struct hist_value *out)
{
	size_t n = hist__edn_token_len(r);

	memset(out, 0, sizeof(*out));
	if (!n)
		return hist__edn_fail(r, "unexpected '%c'", *r->p);
	if (n == 3 && !memcmp(r->p, "nil", 3)) {
		out->kind = HV_NIL;
	} else if (n == 4 && !memcmp(r->p, "true", 4)) {
		out->kind = HV_BOOL;
		out->u.i = 1;
	} else if (n == 5 && !memcmp(r->p, "false", 5)) {
		out->kind = HV_BOOL;
	} else {
		out->kind = HV_STR;
		out->u.str = hist_intern(r->h, r->p, n);
	}
	r->p += n;
	return 0;
}

static int dispatch(struct hist__edn *r, struct hist_value *out)
{
	const char *p = r->p;

	if (p + 1 >= r->end)
		return hist__edn_fail_eof(r, "a # form");
	switch (p[1]) {
	case '{':
		r->p++;
		return parse_seq(r, '}', "a set", out);
	case '"':
		r->p++;
		return parse_string(r, out);
	case '#':	/* ##Inf ##NaN */
		return parse_symbol(r, out);
	default:
		if (hist__edn_is_term(p[1]))
			return hist__edn_fail(r, "unexpected '#'");
		r->p++;
		r->p += hist__edn_token_len(r);	/* the tag: its value stands */
		return hist__edn_value(r, out);
	}
}

int hist__edn_value(struct hist__edn *r, struct hist_value *out)
{
	int rc;
	char c;

	memset(out, 0, sizeof(*out));
	rc = hist__edn_skip(r);
	if (rc < 0)
		return rc;
	if (r->p >= r->end)
		return hist__edn_fail_eof(r, "a value");
	if (r->depth >= MAX_DEPTH)
		return hist__edn_fail(r, "values nested more than %d deep",
				      MAX_DEPTH);
	r->depth++;
	c = *r->p;
	switch (c) {
	case '"':
		rc = parse_string(r, out);
		break;
	case '[':
		rc = parse_seq(r, ']', "a vector", out);
		break;
	case '(':
		rc = parse_seq(r, ')', "a list", out);
		break;
	case '{':
		rc = parse_map(r, out);
		break;
	case '#':
		rc = dispatch(r, out);
		break;
	case '\\':
		rc = parse_char(r, out);
		break;
	case ')':
	case ']':
	case '}':
		rc = hist__edn_fail(r, "unexpected '%c'", c);
		break;
	default:
		if ((c >= '0' && c <= '9') ||
		    ((c == '-' || c == '+') && r->p + 1 < r->end &&
		     r->p[1] >= '0' && r->p[1] <= '9'))
			rc = parse_number(r, out);
		else
			rc = parse_symbol(r, out);
		break;
	}
	r->depth--;
	return rc;
}
