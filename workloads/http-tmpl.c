/*
 * http-tmpl.c - request templates of the http and exec workloads
 * (http-internal.h): parsing `{name}` placeholders, expanding them with
 * the quoting their place needs, and the placeholders' texts for an op.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "workloads/etcd-internal.h"
#include "workloads/http-internal.h"

static const char *const ph_names[HTTP__NPH] = {
	"key", "key_b64", "value", "value_b64", "expected", "expected_b64",
	"new", "new_b64", "host", "node", "endpoint"
};

const char *http__ph_name(int ph)
{
	return ph >= 0 && ph < HTTP__NPH ? ph_names[ph] : "?";
}

static int ph_find(const char *name, size_t n)
{
	int i;

	for (i = 0; i < HTTP__NPH; i++)
		if (strlen(ph_names[i]) == n && !memcmp(ph_names[i], name, n))
			return i;
	return -1;
}

/* Length of the name of a placeholder at s ("{name}"), or 0. */
static size_t ph_len(const char *s)
{
	size_t n = 0;

	if (s[0] != '{')
		return 0;
	while (isalnum((unsigned char)s[1 + n]) || s[1 + n] == '_')
		n++;
	return n && s[1 + n] == '}' ? n : 0;
}

static void add_piece(struct http__tmpl *t, size_t off, size_t len, int ph)
{
	if (ph < 0 && !len)
		return;
	if (ph < 0 && t->n && t->p[t->n - 1].ph < 0 &&
	    t->p[t->n - 1].off + t->p[t->n - 1].len == off) {
		t->p[t->n - 1].len += len;
		return;
	}
	t->p = xrealloc(t->p, (t->n + 1) * sizeof(*t->p));
	t->p[t->n].off = off;
	t->p[t->n].len = len;
	t->p[t->n].ph = ph;
	t->n++;
}

static void allowed_names(struct sb *err, unsigned mask)
{
	int i, first = 1;

	for (i = 0; i < HTTP__NPH; i++) {
		if (!(mask & (1u << i)))
			continue;
		sb_addf(err, "%s%s", first ? "" : ", ", ph_names[i]);
		first = 0;
	}
}

int http__tmpl_parse(struct http__tmpl *t, const char *src, unsigned mask,
		     const struct config *c, const char *where,
		     struct sb *err)
{
	struct sb text = SB_INIT;
	size_t i = 0, lit = 0, n;
	int ph;

	memset(t, 0, sizeof(*t));
	while (src[i]) {
		if (src[i] == '{' && src[i + 1] == '{') {
			sb_addc(&text, '{');
			i += 2;
			continue;
		}
		n = ph_len(src + i);
		if (!n) {
			sb_addc(&text, src[i++]);
			continue;
		}
		ph = ph_find(src + i + 1, n);
		if (ph < 0 || !(mask & (1u << ph))) {
			sb_addf(err, "%s: '%s': %s placeholder '%.*s' at "
				"offset %zu (this op has: ",
				c->path ? c->path : "config", where,
				ph < 0 ? "unknown" : "no value for",
				(int)n + 2, src + i, i);
			allowed_names(err, mask);
			sb_adds(err, "; '{{' is a literal '{')");
			sb_release(&text);
			http__tmpl_release(t);
			return -NS_ECONFIG;
		}
		add_piece(t, lit, text.len - lit, -1);
		add_piece(t, 0, 0, ph);
		lit = text.len;
		i += n + 2;
	}
	add_piece(t, lit, text.len - lit, -1);
	t->text = sb_detach(&text, NULL);
	return 0;
}

void http__tmpl_release(struct http__tmpl *t)
{
	free(t->text);
	free(t->p);
	memset(t, 0, sizeof(*t));
}

static void add_url_escaped(struct sb *out, const char *s)
{
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));

	if (e) {
		sb_adds(out, e);
		curl_free(e);
	}
}

void http__tmpl_expand(const struct http__tmpl *t,
		       const char *const vars[HTTP__NPH], enum http__quote q,
		       struct sb *out)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct http__piece *p = &t->p[i];
		const char *v;

		if (p->ph < 0) {
			sb_add(out, t->text + p->off, p->len);
			continue;
		}
		v = vars[p->ph] ? vars[p->ph] : "";
		if (q == HTTP__SHELL)
			sb_add_shquoted(out, v);
		else if (q == HTTP__URL && p->ph != HTTP__HOST &&
			 p->ph != HTTP__NODE && p->ph != HTTP__ENDPOINT)
			add_url_escaped(out, v);
		else
			sb_adds(out, v);
	}
}

/* ===== An op's placeholder texts ===== */

void http__vars_init(struct http__vars *v)
{
	int i;

	for (i = 0; i < HTTP__NPH; i++) {
		sb_init(&v->s[i], 32);
		v->v[i] = NULL;
	}
}

void http__vars_release(struct http__vars *v)
{
	int i;

	for (i = 0; i < HTTP__NPH; i++) {
		sb_release(&v->s[i]);
		v->v[i] = NULL;
	}
}

/* Set placeholder ph (and ph + 1, its base64, when b64) to text. */
static void set_var(struct http__vars *v, int ph, const char *text, int b64)
{
	sb_reset(&v->s[ph]);
	sb_adds(&v->s[ph], text);
	v->v[ph] = v->s[ph].buf;
	if (b64) {
		sb_reset(&v->s[ph + 1]);
		etcd__b64enc(&v->s[ph + 1], text, strlen(text));
		v->v[ph + 1] = v->s[ph + 1].buf;
	}
}

static void set_json(struct http__vars *v, int ph, json_t *j)
{
	char buf[32];

	if (json_is_integer(j))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(j));
	else if (json_is_string(j))
		snprintf(buf, sizeof(buf), "%s", json_string_value(j));
	else
		return;
	set_var(v, ph, buf, 1);
}

void http__vars_set(struct http__vars *v, const char *key_prefix,
		    const struct workload_op *op, const char *host,
		    const char *node, const char *endpoint)
{
	struct sb key = SB_INIT;
	int i;

	for (i = 0; i < HTTP__NPH; i++)
		v->v[i] = NULL;
	sb_addf(&key, "%s%s", key_prefix ? key_prefix : "", op->key);
	set_var(v, HTTP__KEY, key.buf, 1);
	sb_release(&key);
	if (host)
		set_var(v, HTTP__HOST, host, 0);
	if (node)
		set_var(v, HTTP__NODE, node, 0);
	if (endpoint)
		set_var(v, HTTP__ENDPOINT, endpoint, 0);
	if (!strcmp(op->f, "write")) {
		set_json(v, HTTP__VALUE, op->value);
	} else if (!strcmp(op->f, "cas")) {
		set_json(v, HTTP__EXPECTED, json_array_get(op->value, 0));
		set_json(v, HTTP__NEW, json_array_get(op->value, 1));
	}
}
