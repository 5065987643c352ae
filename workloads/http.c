/*
 * http.c - the `http` workload: integer registers in the user's own
 * service, read, written and compare-and-set through HTTP requests built
 * from templates in the config, answers judged with pcre2 patterns
 * (http-internal.h), checked with the cas-register model per key.  No C
 * to write: the config says how to talk to the service.
 *
 * Requests: one libcurl easy handle per worker, reused; per op the
 * config's method, url, headers and body with the op's placeholders
 * substituted (percent-encoded in the url).  A url starting with '/' is
 * taken relative to the db's endpoint of the worker's node (etcd:
 * http://HOST:2379; external: its `endpoint`), else it is absolute
 * ("http://{host}:8080/kv/{key}").  "Expect:" is always sent empty (no
 * 100-continue round trip).  Worker i talks to node i mod nodes.
 *
 * Outcomes (http-internal.h): the subject "STATUS\nBODY" against the
 * op's ok_pattern, then its fail_pattern.  A request that got no answer
 * is fail for a read; for a write or cas it is fail when nothing left
 * (CURLINFO_REQUEST_SIZE 0: connect refused or timed out), else info
 * (timed out or reset after sending), as in the register workload; a
 * write or cas is never sent twice (curl-easy.h), a read may go again.
 *
 * Generator: the register generator (register-gen.h); without a `cas`
 * request, reads and writes only.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "workloads/curl-easy.h"
#include "workloads/http-internal.h"
#include "workloads/workload.h"

struct workload_client {
	struct workload *w;
	struct http__spec *s;
	struct workload__curl curl;
	const char *host, *node, *endpoint;
	struct http__vars vars;
	struct sb url, body, subj, hdr;
	struct http__match m;
	struct workload_regen gen;
};

static int http_init(struct workload *w, struct sb *err)
{
	struct http__spec *s = xcalloc(1, sizeof(*s));
	int rc = http__spec_read(s, w->cfg, 0, w->concurrency, err);

	if (rc) {
		free(s);
		return rc;
	}
	w->priv = s;
	return 0;
}

static void http_release(struct workload *w)
{
	if (w->priv)
		http__spec_release(w->priv);
	free(w->priv);
	w->priv = NULL;
}

static int url_relative(const struct http__tmpl *t)
{
	return t->n && t->p[0].ph < 0 && t->text[t->p[0].off] == '/';
}

static int http_client_open(struct workload *w, size_t worker,
			    size_t node, uint64_t seed,
			    struct workload_client **cp, struct sb *err)
{
	struct http__spec *s = w->priv;
	const struct config *cfg = w->cfg;
	struct workload_client *c;
	int k;

	*cp = NULL;
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->s = s;
	if (node < cfg->nnodes) {
		c->host = cfg->nodes[node].host;
		c->node = cfg->nodes[node].name;
	}
	c->endpoint = w->db && w->db->type->endpoint ?
		db_endpoint(w->db, node) : NULL;
	for (k = 0; k < HTTP__NOPS; k++) {
		if (!s->op[k].present || !url_relative(&s->op[k].url) ||
		    (c->endpoint && c->endpoint[0]))
			continue;
		sb_addf(err, "%s: 'workload.%s.url': relative, but db '%s' "
			"has no endpoint: write the whole URL "
			"(\"http://{host}:PORT/...\")",
			cfg->path ? cfg->path : "config", s->op[k].name,
			w->db ? w->db->type->name : "(none)");
		free(c);
		return -NS_ECONFIG;
	}
	if (http__match_init_spec(&c->m, s)) {
		free(c);
		sb_addf(err, "worker %zu: out of memory for a client",
			worker);
		return -NS_EINTERNAL;
	}
	if (workload__curl_init(&c->curl, (long)s->timeout_ms,
				(long)s->connect_timeout_ms)) {
		http__match_release(&c->m);
		free(c);
		sb_addf(err, "worker %zu: out of memory for a client",
			worker);
		return -NS_EINTERNAL;
	}
	http__vars_init(&c->vars);
	sb_init(&c->url, 128);
	sb_init(&c->body, 256);
	sb_init(&c->subj, 1024);
	sb_init(&c->hdr, 128);
	workload_regen_init(&c->gen, &s->gen, seed, worker);
	*cp = c;
	return 0;
}

static void http_client_close(struct workload_client *c)
{
	if (!c)
		return;
	workload__curl_release(&c->curl);
	http__match_release(&c->m);
	http__vars_release(&c->vars);
	sb_release(&c->url);
	sb_release(&c->body);
	sb_release(&c->subj);
	sb_release(&c->hdr);
	free(c);
}

static void http_next(struct workload_client *c, struct workload_op *op)
{
	workload_regen_next(&c->gen, op);
}

static int http_final(struct workload_client *c, struct workload_op *op)
{
	return workload_regen_final(&c->gen, op);
}

/* The method, body and headers of d into the handle; the header list
   (the caller frees it). */
static struct curl_slist *prepare(struct workload_client *c,
				  const struct http__opdef *d)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
	size_t i;
	int has_body = d->body.text != NULL;

	for (i = 0; i < d->nheaders; i++) {
		sb_reset(&c->hdr);
		http__tmpl_expand(&d->headers[i], c->vars.v, HTTP__RAW,
				  &c->hdr);
		hdrs = curl_slist_append(hdrs, c->hdr.buf);
	}
	curl_easy_setopt(c->curl.h, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c->curl.h, CURLOPT_CUSTOMREQUEST, NULL);
	if (has_body) {
		sb_reset(&c->body);
		http__tmpl_expand(&d->body, c->vars.v, HTTP__RAW, &c->body);
		curl_easy_setopt(c->curl.h, CURLOPT_POSTFIELDSIZE,
				 (long)c->body.len);
		curl_easy_setopt(c->curl.h, CURLOPT_COPYPOSTFIELDS,
				 c->body.buf);
		if (strcmp(d->method, "POST"))
			curl_easy_setopt(c->curl.h, CURLOPT_CUSTOMREQUEST,
					 d->method);
	} else if (!strcmp(d->method, "HEAD")) {
		curl_easy_setopt(c->curl.h, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(c->curl.h, CURLOPT_HTTPGET, 1L);
		if (strcmp(d->method, "GET"))
			curl_easy_setopt(c->curl.h, CURLOPT_CUSTOMREQUEST,
					 d->method);
	}
	curl_easy_setopt(c->curl.h, CURLOPT_HTTPHEADER, hdrs);
	return hdrs;
}

static void http_invoke(struct workload_client *c, struct workload_op *op)
{
	const struct http__opdef *d = &c->s->op[http__op_kind(op)];
	struct http__answer a;
	struct workload__curl_result res;
	struct curl_slist *hdrs;

	http__vars_set(&c->vars, c->s->key_prefix, op, c->host, c->node,
		       c->endpoint);
	sb_reset(&c->url);
	if (url_relative(&d->url))
		sb_adds(&c->url, c->endpoint);
	http__tmpl_expand(&d->url, c->vars.v, HTTP__URL, &c->url);
	hdrs = prepare(c, d);
	curl_easy_setopt(c->curl.h, CURLOPT_URL, c->url.buf);
	workload__curl_perform(&c->curl, strcmp(op->f, "read") != 0, &res);
	curl_easy_setopt(c->curl.h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	memset(&a, 0, sizeof(a));
	a.answered = res.cc == CURLE_OK && res.http > 0;
	a.sent = res.sent;
	a.failure = res.cc == CURLE_OK ? "no status" : res.failure;
	sb_reset(&c->subj);
	sb_addf(&c->subj, "%03ld\n", res.http);
	sb_add(&c->subj, c->curl.resp.buf, c->curl.resp.len);
	a.subject = c->subj.buf;
	a.len = c->subj.len;
	http__classify(d, &c->m, op, &a);
	workload_regen_saw(&c->gen, op);
}

static const char *const http_checkers[] = { "linearizable", NULL };

const struct workload_type workload_http = {
	.name = "http",
	.help = "your own service's registers over HTTP: requests and "
		"answer patterns from the config, any db",
	.db = NULL,
	.checkers = http_checkers,
	.model = "cas-register",
	.init = http_init,
	.client_open = http_client_open,
	.client_close = http_client_close,
	.next = http_next,
	.invoke = http_invoke,
	.final = http_final,
	.release = http_release,
};
