/*
 * http-spec.c - the `workload` section of the http and exec workloads
 * (http-internal.h; every key in docs/config.md): the per-op request
 * templates and answer patterns, checked and compiled once at init.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "workloads/http-internal.h"

static const char *const op_names[HTTP__NOPS] = { "read", "write", "cas" };
static const unsigned op_masks[HTTP__NOPS] = {
	HTTP__PH_READ, HTTP__PH_WRITE, HTTP__PH_CAS
};

static const char *cfgname(const struct config *c)
{
	return c->path ? c->path : "config";
}

int http__op_kind(const struct workload_op *op)
{
	if (!strcmp(op->f, "read"))
		return HTTP__READ;
	return !strcmp(op->f, "write") ? HTTP__WRITE : HTTP__CAS;
}

static int get_tmpl(struct http__tmpl *t, const struct config *c,
		    json_t *o, const char *where, const char *key,
		    unsigned mask, int required, struct sb *err)
{
	const char *src = NULL;
	char path[64];
	int rc = cfg_get_str(c, o, where, key, &src, err);

	if (rc)
		return rc;
	if (!src && required) {
		sb_addf(err, "%s: '%s.%s': missing", cfgname(c), where, key);
		return -NS_ECONFIG;
	}
	snprintf(path, sizeof(path), "%s.%s", where, key);
	return src ? http__tmpl_parse(t, src, mask, c, path, err) : 0;
}

static int get_pat(struct http__pat *p, const struct config *c, json_t *o,
		   const char *where, const char *key, const char *def,
		   int need_value, struct sb *err)
{
	const char *src = def;
	int rc = cfg_get_str(c, o, where, key, &src, err);

	if (rc)
		return rc;
	if (!src && need_value) {
		sb_addf(err, "%s: '%s.%s': missing (a read needs a pattern "
			"with a group (?<value>...))", cfgname(c), where,
			key);
		return -NS_ECONFIG;
	}
	return src ? http__pat_compile(p, src, c, where, key, need_value,
				       err) : 0;
}

static int get_headers(struct http__opdef *d, const struct config *c,
		       json_t *o, const char *where, unsigned mask,
		       struct sb *err)
{
	json_t *h = json_object_get(o, "headers"), *v;
	char path[80];
	size_t i;
	int rc;

	if (!h || json_is_null(h))
		return 0;
	if (!json_is_array(h)) {
		sb_addf(err, "%s: '%s.headers': expected an array of "
			"strings (\"Name: value\")", cfgname(c), where);
		return -NS_ECONFIG;
	}
	d->headers = xcalloc(json_array_size(h) + 1, sizeof(*d->headers));
	json_array_foreach(h, i, v) {
		const char *s = json_string_value(v);

		snprintf(path, sizeof(path), "%s.headers[%zu]", where, i);
		if (!s || !strchr(s, ':') || s[0] == ':') {
			sb_addf(err, "%s: '%s': expected a string \"Name: "
				"value\"", cfgname(c), path);
			return -NS_ECONFIG;
		}
		rc = http__tmpl_parse(&d->headers[i], s, mask, c, path, err);
		if (rc)
			return rc;
		d->nheaders++;
	}
	return 0;
}

static int read_op(struct http__spec *s, const struct config *c, int k,
		   json_t *o, struct sb *err)
{
	static const char *const http_keys[] = {
		"method", "url", "headers", "body", "ok_pattern",
		"fail_pattern", "value_pattern", "value_encoding", NULL
	};
	static const char *const exec_keys[] = {
		"command", "ok_pattern", "fail_pattern", "value_pattern",
		"value_encoding", NULL
	};
	struct http__opdef *d = &s->op[k];
	const char *enc = "text", *body = NULL;
	char where[32];
	unsigned mask = op_masks[k];
	size_t i;
	int rc, is_read = k == HTTP__READ;

	snprintf(where, sizeof(where), "workload.%s", op_names[k]);
	d->name = op_names[k];
	d->present = 1;
	rc = cfg_check_keys(c, o, where, s->exec ? exec_keys : http_keys,
			    err);
	if (!rc && !is_read && (json_object_get(o, "value_pattern") ||
				json_object_get(o, "value_encoding"))) {
		sb_addf(err, "%s: '%s.%s': only a read has a value to parse",
			cfgname(c), where, json_object_get(o, "value_pattern")
			? "value_pattern" : "value_encoding");
		rc = -NS_ECONFIG;
	}
	if (!rc && s->exec)
		rc = get_tmpl(&d->command, c, o, where, "command", mask, 1,
			      err);
	if (!rc && !s->exec) {
		rc = get_tmpl(&d->url, c, o, where, "url", mask, 1, err);
		if (!rc)
			rc = get_tmpl(&d->body, c, o, where, "body", mask, 0,
				      err);
		if (!rc)
			rc = cfg_get_str(c, o, where, "body", &body, err);
		d->method = body ? "POST" : "GET";
		if (!rc)
			rc = cfg_get_str(c, o, where, "method", &d->method,
					 err);
		for (i = 0; !rc && d->method[i]; i++)
			if (!isupper((unsigned char)d->method[i]))
				break;
		if (!rc && (!d->method[0] || d->method[i])) {
			sb_addf(err, "%s: '%s.method': expected an HTTP "
				"method in capitals (GET, POST, PUT...), not "
				"'%s'", cfgname(c), where, d->method);
			rc = -NS_ECONFIG;
		}
		if (!rc)
			rc = get_headers(d, c, o, where, mask, err);
	}
	if (!rc)
		rc = get_pat(&d->ok, c, o, where, "ok_pattern",
			     s->exec ? "\\A0\\n" : "\\A2\\d\\d\\n", 0, err);
	if (!rc)
		rc = get_pat(&d->fail, c, o, where, "fail_pattern",
			     s->exec ? NULL : "\\A4(?!08)\\d\\d\\n", 0, err);
	if (!rc && is_read)
		rc = get_pat(&d->value, c, o, where, "value_pattern", NULL,
			     1, err);
	if (!rc && is_read)
		rc = cfg_get_str(c, o, where, "value_encoding", &enc, err);
	if (!rc && strcmp(enc, "text") && strcmp(enc, "base64")) {
		sb_addf(err, "%s: '%s.value_encoding': expected \"text\" or "
			"\"base64\", not '%s'", cfgname(c), where, enc);
		rc = -NS_ECONFIG;
	}
	d->b64 = !strcmp(enc, "base64");
	if (d->ok.groups > s->groups)
		s->groups = d->ok.groups;
	if (d->fail.groups > s->groups)
		s->groups = d->fail.groups;
	if (d->value.groups > s->groups)
		s->groups = d->value.groups;
	return rc;
}

static int read_pos(const struct config *c, json_t *o, const char *key,
		    long long *out, struct sb *err)
{
	int rc = cfg_get_int(c, o, "workload", key, out, err);

	if (!rc && (*out < 1 || *out > 3600000)) {
		sb_addf(err, "%s: 'workload.%s': must be 1..3600000",
			cfgname(c), key);
		rc = -NS_ECONFIG;
	}
	return rc;
}

int http__spec_read(struct http__spec *s, const struct config *c,
		    int exec, size_t concurrency, struct sb *err)
{
	static const char *const http_keys[] = {
		"type", "read", "write", "cas", "mix", "ops_per_key",
		"threads_per_key", "key_prefix", "timeout_ms",
		"connect_timeout_ms", NULL
	};
	static const char *const exec_keys[] = {
		"type", "read", "write", "cas", "mix", "ops_per_key",
		"threads_per_key", "key_prefix", "timeout_ms", NULL
	};
	json_t *o = c->workload, *v;
	int k, rc;

	memset(s, 0, sizeof(*s));
	s->exec = exec;
	s->key_prefix = "netsplit-";
	s->timeout_ms = 3000;
	s->connect_timeout_ms = 1000;
	workload_regen_cfg_init(&s->gen);
	rc = cfg_check_keys(c, o, "workload", exec ? exec_keys : http_keys,
			    err);
	for (k = 0; !rc && k < HTTP__NOPS; k++) {
		v = json_object_get(o, op_names[k]);
		if (v && !json_is_null(v)) {
			rc = read_op(s, c, k, v, err);
		} else if (k != HTTP__CAS) {
			sb_addf(err, "%s: 'workload.%s': missing (the %s "
				"%s: docs/config.md)", cfgname(c),
				op_names[k], op_names[k],
				exec ? "command" : "request");
			rc = -NS_ECONFIG;
		}
	}
	if (!s->op[HTTP__CAS].present)
		s->gen.mix[2] = 0;
	if (!rc)
		rc = workload_regen_cfg_read(&s->gen, c, o, concurrency, err);
	if (!rc && !s->op[HTTP__CAS].present && s->gen.mix[2]) {
		sb_addf(err, "%s: 'workload.mix.cas': must be 0 without a "
			"'workload.cas' %s", cfgname(c),
			exec ? "command" : "request");
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "key_prefix",
				 &s->key_prefix, err);
	if (!rc)
		rc = read_pos(c, o, "timeout_ms", &s->timeout_ms, err);
	if (!rc && !exec)
		rc = read_pos(c, o, "connect_timeout_ms",
			      &s->connect_timeout_ms, err);
	if (rc)
		http__spec_release(s);
	return rc;
}

void http__spec_release(struct http__spec *s)
{
	size_t i;
	int k;

	for (k = 0; k < HTTP__NOPS; k++) {
		struct http__opdef *d = &s->op[k];

		http__tmpl_release(&d->url);
		http__tmpl_release(&d->body);
		http__tmpl_release(&d->command);
		for (i = 0; i < d->nheaders; i++)
			http__tmpl_release(&d->headers[i]);
		free(d->headers);
		http__pat_release(&d->ok);
		http__pat_release(&d->fail);
		http__pat_release(&d->value);
		memset(d, 0, sizeof(*d));
	}
}

int http__match_init_spec(struct http__match *m,
			  const struct http__spec *s)
{
	return http__match_init(m, s->groups);
}
