/*
 * etcd.c - the `register` workload: integer registers in etcd, read,
 * written and compare-and-set through etcd's JSON gateway (v3 API on the
 * client port), checked with the cas-register model per key.
 *
 * Requests (one libcurl easy handle per worker, reused; keys and values
 * base64, int64 fields as strings):
 *   read   POST /v3/kv/range {"key":K}  (+ "serializable":true)
 *   write  POST /v3/kv/put   {"key":K,"value":V}
 *   cas    POST /v3/kv/txn   {"compare":[{"key":K,"target":"VALUE",
 *                             "result":"EQUAL","value":OLD}],
 *                             "success":[{"requestPut":{K, NEW}}]}
 * Writes, cas and linearizable reads carry `Grpc-Metadata-hasleader:
 * true` (require_leader), so a member without a leader refuses at once
 * ("no leader": a definite fail) instead of hanging.
 *
 * Endpoints.  A worker talks to its own node (worker mod nodes), or with
 * `endpoints: "round-robin"` sends each op to the next member in turn,
 * as etcd's Go client balances over its endpoints (op->node says which):
 * a session then writes through one member and reads from another, so
 * serializable reads on a member cut off from the majority break
 * read-your-writes.  Final reads stay on the worker's own node.
 *
 * Outcomes.  ok: HTTP 200 (a cas whose compare failed is a fail).  A read
 * that failed or timed out changed nothing: fail.  A write or cas whose
 * request never left (connect refused or timed out) or that etcd refused
 * before proposing it (no leader, too many requests, proposal dropped,
 * HTTP 4xx) is a fail; one that timed out, was reset after sending, or
 * answered any other error is info: it may still take effect.  "Left"
 * and "never sent twice" as curl-easy.h says: a read may go again on
 * libcurl's silent resend, a write or cas may not, and is info (had the
 * retry gone, a cas the first attempt applied would have read back
 * "compare failed" and been recorded a fail;
 * tests/unit/test-etcd-workload.c pins both).
 *
 * Generator: the register generator (register-gen.h), shared with the
 * http and exec workloads.  Versions recorded: a read's kv
 * mod_revision (0 for a missing key), a write's or cas's header revision.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "workloads/curl-easy.h"
#include "workloads/etcd-internal.h"
#include "workloads/register-gen.h"
#include "workloads/workload.h"

struct reg {
	int serializable;
	int round_robin;	/* endpoints: each op to the next member */
	size_t nnodes;
	struct workload_regen_cfg gen;
	long long timeout_ms;
	long long connect_timeout_ms;
	int require_leader;
	const char *prefix;
};

struct workload_client {
	struct workload *w;
	struct reg *r;
	struct workload__curl curl;
	struct curl_slist *hdr_plain, *hdr_leader;
	struct etcd_urls {
		char *range, *put, *txn;
	} *urls;		/* per node */
	size_t nurls;
	size_t node;		/* the worker's own node */
	size_t rr;		/* round-robin: the next node */
	struct sb body, k64, v64, v64b;
	struct workload_regen gen;
};

/* ===== Config ===== */

static const char *const reg_keys[] = {
	"type", "read_mode", "mix", "ops_per_key", "threads_per_key",
	"timeout_ms", "connect_timeout_ms", "require_leader", "key_prefix",
	"endpoints", NULL
};

static int reg_init(struct workload *w, struct sb *err)
{
	const struct config *c = w->cfg;
	json_t *o = c->workload;
	struct reg *r = xcalloc(1, sizeof(*r));
	const char *mode = "linearizable", *endpoints = "pinned";
	int rc;

	workload_regen_cfg_init(&r->gen);
	r->timeout_ms = 3000;
	r->connect_timeout_ms = 1000;
	r->require_leader = 1;
	r->prefix = "netsplit/";
	rc = cfg_check_keys(c, o, "workload", reg_keys, err);
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "read_mode", &mode, err);
	if (!rc && strcmp(mode, "linearizable") &&
	    strcmp(mode, "serializable")) {
		cfg_subject(err, c, "workload", "read_mode");
		sb_addf(err, ": expected \"linearizable\" or "
			"\"serializable\", not '%s'", mode);
		rc = -NS_ECONFIG;
	}
	r->serializable = !strcmp(mode, "serializable");
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "endpoints", &endpoints,
				 err);
	if (!rc && strcmp(endpoints, "pinned") &&
	    strcmp(endpoints, "round-robin")) {
		sb_addf(err, "%s: 'workload.endpoints': expected \"pinned\" "
			"or \"round-robin\", not '%s'",
			c->path ? c->path : "config", endpoints);
		rc = -NS_ECONFIG;
	}
	r->round_robin = !strcmp(endpoints, "round-robin");
	r->nnodes = c->nnodes ? c->nnodes : 1;
	if (!rc)
		rc = workload_regen_cfg_read(&r->gen, c, o, w->concurrency,
					     err);
#define GET_POS(key, field, max)                                          \
	do {                                                              \
		if (!rc)                                                  \
			rc = cfg_get_int(c, o, "workload", key, &r->field,\
					 err);                            \
		if (!rc && (r->field < 1 || r->field > (max))) {          \
			sb_addf(err, "%s: 'workload.%s': must be 1..%lld",\
				c->path ? c->path : "config", key,        \
				(long long)(max));                        \
			rc = -NS_ECONFIG;                                 \
		}                                                         \
	} while (0)
	GET_POS("timeout_ms", timeout_ms, 3600000);
	GET_POS("connect_timeout_ms", connect_timeout_ms, 3600000);
#undef GET_POS
	if (!rc)
		rc = cfg_get_bool(c, o, "workload", "require_leader",
				  &r->require_leader, err);
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "key_prefix", &r->prefix,
				 err);
	if (rc) {
		free(r);
		return rc;
	}
	w->priv = r;
	return 0;
}

static void reg_release(struct workload *w)
{
	free(w->priv);
	w->priv = NULL;
}

/* ===== Client ===== */

static char *xasprintf_url(const char *base, const char *path)
{
	struct sb s = SB_INIT;

	sb_addf(&s, "%s%s", base, path);
	return sb_detach(&s, NULL);
}

static int reg_client_open(struct workload *w, size_t worker, size_t node,
			   uint64_t seed, struct workload_client **cp,
			   struct sb *err)
{
	struct reg *r = w->priv;
	struct workload_client *c;
	size_t i;

	*cp = NULL;
	if (!w->db) {
		sb_addf(err, "register: no database to talk to");
		return -NS_EINTERNAL;
	}
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->r = r;
	if (workload__curl_init(&c->curl, (long)r->timeout_ms,
				(long)r->connect_timeout_ms)) {
		free(c);
		sb_addf(err, "worker %zu: curl_easy_init failed", worker);
		return -NS_EINTERNAL;
	}
	/* Every member's URLs with round-robin endpoints, else only the
	 * worker's own (index node either way). */
	c->node = node;
	c->rr = node;
	c->nurls = r->round_robin ? r->nnodes : node + 1;
	c->urls = xcalloc(c->nurls, sizeof(*c->urls));
	for (i = r->round_robin ? 0 : node; i < c->nurls; i++) {
		const char *base = db_endpoint(w->db, i);

		c->urls[i].range = xasprintf_url(base, "/v3/kv/range");
		c->urls[i].put = xasprintf_url(base, "/v3/kv/put");
		c->urls[i].txn = xasprintf_url(base, "/v3/kv/txn");
	}
	c->hdr_plain = curl_slist_append(NULL,
					 "Content-Type: application/json");
	c->hdr_plain = curl_slist_append(c->hdr_plain, "Expect:");
	c->hdr_leader = curl_slist_append(NULL,
					  "Content-Type: application/json");
	c->hdr_leader = curl_slist_append(c->hdr_leader, "Expect:");
	c->hdr_leader = curl_slist_append(c->hdr_leader,
					  "Grpc-Metadata-hasleader: true");
	sb_init(&c->body, 256);
	sb_init(&c->k64, 64);
	sb_init(&c->v64, 32);
	sb_init(&c->v64b, 32);
	curl_easy_setopt(c->curl.h, CURLOPT_POST, 1L);
	workload_regen_init(&c->gen, &r->gen, seed, worker);
	*cp = c;
	return 0;
}

static void reg_client_close(struct workload_client *c)
{
	size_t i;

	if (!c)
		return;
	workload__curl_release(&c->curl);
	curl_slist_free_all(c->hdr_plain);
	curl_slist_free_all(c->hdr_leader);
	for (i = 0; i < c->nurls; i++) {
		free(c->urls[i].range);
		free(c->urls[i].put);
		free(c->urls[i].txn);
	}
	free(c->urls);
	sb_release(&c->body);
	sb_release(&c->k64);
	sb_release(&c->v64);
	sb_release(&c->v64b);
	free(c);
}

static void reg_next(struct workload_client *c, struct workload_op *op)
{
	struct reg *r = c->r;

	workload_regen_next(&c->gen, op);
	if (r->round_robin) {
		op->node_set = 1;
		op->node = c->rr;
		c->rr = (c->rr + 1) % r->nnodes;
	}
}

static int reg_final(struct workload_client *c, struct workload_op *op)
{
	return workload_regen_final(&c->gen, op);
}

static void b64_text(struct sb *out, const char *s)
{
	sb_reset(out);
	etcd__b64enc(out, s, strlen(s));
}

static void b64_int(struct sb *out, json_int_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, v);
	b64_text(out, buf);
}

/* Remember the value an ok op leaves on the worker's current key. */
void etcd__saw(struct workload_client *c, const struct workload_op *op)
{
	workload_regen_saw(&c->gen, op);
}

static void reg_invoke(struct workload_client *c, struct workload_op *op)
{
	struct reg *r = c->r;
	struct etcd__reply rep;
	const struct etcd_urls *u = &c->urls[op->node_set &&
					     op->node < c->nurls ? op->node :
					     c->node];
	const char *url;
	struct curl_slist *hdr = r->require_leader ? c->hdr_leader :
		c->hdr_plain;
	struct workload__curl_result res;
	char key[192];

	snprintf(key, sizeof(key), "%s%s", r->prefix, op->key);
	b64_text(&c->k64, key);
	sb_reset(&c->body);
	if (!strcmp(op->f, "read")) {
		url = u->range;
		sb_addf(&c->body, "{\"key\":\"%s\"%s}", c->k64.buf,
			r->serializable ? ",\"serializable\":true" : "");
		if (r->serializable)
			hdr = c->hdr_plain;
	} else if (!strcmp(op->f, "write")) {
		url = u->put;
		b64_int(&c->v64, json_integer_value(op->value));
		sb_addf(&c->body, "{\"key\":\"%s\",\"value\":\"%s\"}",
			c->k64.buf, c->v64.buf);
	} else {
		url = u->txn;
		b64_int(&c->v64, json_integer_value(json_array_get(op->value,
								   0)));
		b64_int(&c->v64b, json_integer_value(json_array_get(op->value,
								    1)));
		sb_addf(&c->body, "{\"compare\":[{\"key\":\"%s\","
			"\"target\":\"VALUE\",\"result\":\"EQUAL\","
			"\"value\":\"%s\"}],\"success\":[{\"requestPut\":"
			"{\"key\":\"%s\",\"value\":\"%s\"}}]}",
			c->k64.buf, c->v64.buf, c->k64.buf, c->v64b.buf);
	}
	curl_easy_setopt(c->curl.h, CURLOPT_URL, url);
	curl_easy_setopt(c->curl.h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl.h, CURLOPT_POSTFIELDS, c->body.buf);
	curl_easy_setopt(c->curl.h, CURLOPT_POSTFIELDSIZE,
			 (long)c->body.len);
	workload__curl_perform(&c->curl, strcmp(op->f, "read") != 0, &res);
	memset(&rep, 0, sizeof(rep));
	rep.sent = res.sent;
	rep.http = res.http;
	rep.body = c->curl.resp.buf;
	rep.len = c->curl.resp.len;
	rep.failure = res.failure;
	etcd__answer(op, &rep);
	etcd__saw(c, op);
}

static const char *const reg_checkers[] = {
	"linearizable", "session", "stale", NULL
};

const struct workload_type workload_register = {
	.name = "register",
	.help = "etcd integer registers: read, write, cas per key",
	.db = "etcd",
	.checkers = reg_checkers,
	.model = "cas-register",
	.init = reg_init,
	.client_open = reg_client_open,
	.client_close = reg_client_close,
	.next = reg_next,
	.invoke = reg_invoke,
	.final = reg_final,
	.release = reg_release,
};
