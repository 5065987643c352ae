/*
 * redis.c - the `set` workload: clients SADD unique integers to one Redis
 * set through the primary of a `redis` db (Redis with Sentinel); after
 * the heal one final SMEMBERS on the primary the Sentinels report.
 * Checked with the `set` checker (lost, unexpected, duplicated elements).
 *
 * Commands (hiredis 0.14, one redisContext per worker for the data and
 * one for its Sentinel, each with redisSetTimeout(timeout_ms)):
 *   SENTINEL get-master-addr-by-name NAME   to find the primary: the
 *                        Sentinel of the worker's own node first, then the
 *                        others in node order
 *   SADD KEY ELEMENT     an add
 *   SMEMBERS KEY         the final read
 *   INFO replication     the final read waits, at most final_wait_s, until
 *                        the cluster converged: a majority of the
 *                        Sentinels name one primary, it says role:master
 *                        with every replica connected, and every other
 *                        node says role:slave of it with its link up
 *                        (after a heal the old primary is demoted and
 *                        resynced ~11 s later)
 *
 * Modes (workload.mode):
 *   pinned    a worker asks Sentinel once and sticks to that primary
 *             until it refuses (an error reply such as READONLY, or a
 *             refused connection), then asks again;
 *   sentinel  a worker asks Sentinel before every write.
 *
 * Outcomes.  SADD answering an integer: ok.  An error reply (READONLY,
 * NOREPLICAS, ...): fail, nothing was written.  No primary known, or
 * the connection could not be made: fail (nothing was sent; the worker
 * backs off).  A timeout or I/O error once connected: info (the add may
 * have happened); the connection is rebuilt (hiredis errors are sticky).
 * A read that does not answer is a fail.
 *
 * Generator.  Worker w adds w + 1, w + 1 + concurrency, w + 1 +
 * 2 x concurrency, ...: every element is added once in the whole run.
 * Worker 0 makes the one final read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "os.h"
#include "workloads/redis-internal.h"
#include "workloads/workload.h"

enum mode { MODE_PINNED, MODE_SENTINEL };

struct setw {
	enum mode mode;
	const char *key;
	long long timeout_ms;
	long long connect_timeout_ms;
	double final_wait_s;
};

struct workload_client {
	struct workload *w;
	struct setw *s;
	struct redis__params p;
	size_t worker, node;
	uint64_t next;			/* next element */
	redisContext *data;		/* connection to data_host */
	char data_host[64];
	redisContext *sent;		/* connection to a Sentinel */
	size_t sent_node;
	char pin[64];			/* pinned primary; "" to ask */
	int final_done;
};

static const char *cfgname(const struct config *c)
{
	return c->path ? c->path : "config";
}

/* ===== Config ===== */

static int set_init(struct workload *w, struct sb *err)
{
	static const char *const keys[] = {
		"type", "mode", "key", "timeout_ms", "connect_timeout_ms",
		"final_wait_s", NULL
	};
	const struct config *c = w->cfg;
	json_t *o = c->workload;
	struct setw *s = xcalloc(1, sizeof(*s));
	const char *mode = "pinned";
	int rc;

	s->key = "netsplit-set";
	s->timeout_ms = 1000;
	s->connect_timeout_ms = 500;
	s->final_wait_s = 30;
	rc = cfg_check_keys(c, o, "workload", keys, err);
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "mode", &mode, err);
	if (!rc && strcmp(mode, "pinned") && strcmp(mode, "sentinel")) {
		sb_addf(err, "%s: 'workload.mode': expected \"pinned\" or "
			"\"sentinel\", not '%s'", cfgname(c), mode);
		rc = -NS_ECONFIG;
	}
	s->mode = !strcmp(mode, "sentinel") ? MODE_SENTINEL : MODE_PINNED;
	if (!rc)
		rc = cfg_get_str(c, o, "workload", "key", &s->key, err);
	if (!rc && !s->key[0]) {
		sb_addf(err, "%s: 'workload.key': must not be empty",
			cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = cfg_get_int(c, o, "workload", "timeout_ms",
				 &s->timeout_ms, err);
	if (!rc && (s->timeout_ms < 1 || s->timeout_ms > 3600000)) {
		sb_addf(err, "%s: 'workload.timeout_ms': must be 1..3600000",
			cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = cfg_get_int(c, o, "workload", "connect_timeout_ms",
				 &s->connect_timeout_ms, err);
	if (!rc && (s->connect_timeout_ms < 1 ||
		    s->connect_timeout_ms > 3600000)) {
		sb_addf(err, "%s: 'workload.connect_timeout_ms': must be "
			"1..3600000", cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = cfg_get_double(c, o, "workload", "final_wait_s",
				    &s->final_wait_s, err);
	if (!rc && s->final_wait_s < 0) {
		sb_addf(err, "%s: 'workload.final_wait_s': must be >= 0",
			cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (rc) {
		free(s);
		return rc;
	}
	w->priv = s;
	return 0;
}

static void set_release(struct workload *w)
{
	free(w->priv);
	w->priv = NULL;
}

/* ===== Client ===== */

static int set_client_open(struct workload *w, size_t worker, size_t node,
			   uint64_t seed, struct workload_client **cp,
			   struct sb *err)
{
	struct workload_client *c;
	struct redis__params p;

	*cp = NULL;
	if (redis__db_params(w->db, &p)) {
		sb_addf(err, "set: needs a 'redis' database");
		return -NS_EINTERNAL;
	}
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->s = w->priv;
	c->p = p;
	c->worker = worker;
	c->node = node;
	c->sent_node = node;
	c->next = worker + 1;
	(void)seed;
	*cp = c;
	return 0;
}

static void drop_data(struct workload_client *c)
{
	if (c->data)
		redisFree(c->data);
	c->data = NULL;
	c->data_host[0] = '\0';
}

static void drop_sentinel(struct workload_client *c)
{
	if (c->sent)
		redisFree(c->sent);
	c->sent = NULL;
}

static void set_client_close(struct workload_client *c)
{
	if (!c)
		return;
	drop_data(c);
	drop_sentinel(c);
	free(c);
}

static void set_next(struct workload_client *c, struct workload_op *op)
{
	op->f = "add";
	op->key[0] = '\0';
	op->value = json_integer((json_int_t)c->next);
	c->next += c->w->concurrency ? c->w->concurrency : 1;
}

static int set_final(struct workload_client *c, struct workload_op *op)
{
	if (c->final_done || c->worker != 0)
		return 0;
	c->final_done = 1;
	op->f = "read";
	op->key[0] = '\0';
	op->value = json_null();
	op->final = 1;
	return 1;
}

/*
 * The primary as a Sentinel names it: the worker's Sentinel first (the
 * one it is connected to), then every other node's.  0 with host set, or
 * -1 with why.
 */
static int ask_sentinel(struct workload_client *c, char *host, size_t n,
			struct sb *why)
{
	const struct config *cfg = c->w->cfg;
	size_t k;

	for (k = 0; k < cfg->nnodes; k++) {
		size_t i = (c->sent_node + k) % cfg->nnodes;
		int port;

		if (!c->sent || i != c->sent_node) {
			drop_sentinel(c);
			c->sent = redis__connect(cfg->nodes[i].host,
						 c->p.sentinel_port,
						 c->s->connect_timeout_ms,
						 NULL);
			if (!c->sent)
				continue;
			c->sent_node = i;
		}
		sb_reset(why);
		if (!redis__sentinel_master_on(c->sent, c->p.master_name,
					       host, n, &port, why) &&
		    port == c->p.port)
			return 0;
		drop_sentinel(c);
	}
	/* Start from the worker's own node again next time. */
	c->sent_node = c->node;
	if (!why->len)
		sb_addf(why, "no Sentinel answered");
	return -1;
}

/* A connection to host: 0, or -1 (op failed, not sent). */
static int connect_data(struct workload_client *c, const char *host,
			struct workload_op *op)
{
	struct sb why = SB_INIT;

	if (c->data && !strcmp(c->data_host, host))
		return 0;
	drop_data(c);
	c->data = redis__connect(host, c->p.port, c->s->connect_timeout_ms,
				 &why);
	if (!c->data) {
		op->type = HIST_FAIL;
		op->unreachable = 1;
		workload_op_errorf(op, "%s (not sent)", why.buf);
		sb_release(&why);
		return -1;
	}
	if (c->s->timeout_ms != c->s->connect_timeout_ms) {
		struct timeval tv;

		tv.tv_sec = c->s->timeout_ms / 1000;
		tv.tv_usec = (c->s->timeout_ms % 1000) * 1000;
		redisSetTimeout(c->data, tv);
	}
	snprintf(c->data_host, sizeof(c->data_host), "%s", host);
	sb_release(&why);
	return 0;
}

static void do_add(struct workload_client *c, struct workload_op *op)
{
	char host[64];
	struct sb why = SB_INIT;
	redisReply *r;

	if (c->s->mode == MODE_PINNED && c->pin[0]) {
		snprintf(host, sizeof(host), "%s", c->pin);
	} else if (ask_sentinel(c, host, sizeof(host), &why)) {
		op->type = HIST_FAIL;
		op->unreachable = 1;
		workload_op_errorf(op, "no primary known: %s", why.buf);
		sb_release(&why);
		return;
	}
	sb_release(&why);
	if (c->s->mode == MODE_PINNED)
		snprintf(c->pin, sizeof(c->pin), "%s", host);
	if (connect_data(c, host, op)) {
		c->pin[0] = '\0';	/* refused: ask again next time */
		return;
	}
	r = redisCommand(c->data, "SADD %s %lld", c->s->key,
			 (long long)json_integer_value(op->value));
	if (!r) {
		op->type = HIST_INFO;
		workload_op_errorf(op, "%s: %s", host, c->data->errstr[0] ?
			  c->data->errstr : "no answer");
		drop_data(c);
		return;
	}
	if (r->type == REDIS_REPLY_INTEGER) {
		op->type = HIST_OK;
	} else if (r->type == REDIS_REPLY_ERROR) {
		op->type = HIST_FAIL;
		workload_op_errorf(op, "%s: %s", host, r->str);
		c->pin[0] = '\0';
	} else {
		op->type = HIST_INFO;
		workload_op_errorf(op, "%s: unexpected answer type %d", host,
			  r->type);
	}
	freeReplyObject(r);
}

/*
 * Has the cluster converged on the primary a majority of the Sentinels
 * name?  1 with host set; 0 with host set to the best guess ("" when no
 * majority).
 */
static int converged(struct workload_client *c, char *host, size_t n)
{
	const struct config *cfg = c->w->cfg;
	size_t i, answered = 0, *votes = xcalloc(cfg->nnodes + 1,
						 sizeof(*votes));
	struct sb info = SB_INIT;
	int best = -1, ok = 1;
	char val[64];

	host[0] = '\0';
	for (i = 0; i < cfg->nnodes; i++) {
		char h[64];
		int port, k;

		if (redis__sentinel_master(cfg->nodes[i].host,
					   c->p.sentinel_port,
					   c->p.master_name,
					   c->s->connect_timeout_ms, h,
					   sizeof(h), &port, NULL))
			continue;
		answered++;
		k = redis__node_of(cfg, h);
		if (k >= 0 && port == c->p.port)
			votes[k]++;
	}
	for (i = 0; i < cfg->nnodes; i++)
		if (2 * votes[i] > answered && answered)
			best = (int)i;
	free(votes);
	if (best < 0)
		return 0;
	snprintf(host, n, "%s", cfg->nodes[best].host);
	for (i = 0; i < cfg->nnodes && ok; i++) {
		if (redis__info(cfg->nodes[i].host, c->p.port,
				c->s->connect_timeout_ms, &info, NULL)) {
			ok = 0;
			break;
		}
		redis__info_field(info.buf, "role", val, sizeof(val));
		if ((int)i == best) {
			ok = !strcmp(val, "master");
			redis__info_field(info.buf, "connected_slaves", val,
					  sizeof(val));
			ok = ok && (size_t)atol(val) + 1 >= cfg->nnodes;
			continue;
		}
		ok = !strcmp(val, "slave");
		redis__info_field(info.buf, "master_host", val, sizeof(val));
		ok = ok && !strcmp(val, host);
		redis__info_field(info.buf, "master_link_status", val,
				  sizeof(val));
		ok = ok && !strcmp(val, "up");
	}
	sb_release(&info);
	return ok;
}

/* An SMEMBERS element: an integer when it is one, else the text. */
static json_t *element_json(const char *s, size_t n)
{
	char buf[32], *end;
	long long v;

	if (n && n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		v = strtoll(buf, &end, 10);
		if (!*end && (buf[0] == '-' || (buf[0] >= '0' &&
						buf[0] <= '9')))
			return json_integer(v);
	}
	return json_stringn(s, n);
}

static void do_read(struct workload_client *c, struct workload_op *op)
{
	double deadline = ns_mono_s() + (op->final ? c->s->final_wait_s : 0);
	char host[64];
	redisReply *r;
	size_t i;

	for (;;) {
		if (converged(c, host, sizeof(host)) || ns_mono_s() >= deadline)
			break;
		usleep(250000);
	}
	if (!host[0]) {
		op->type = HIST_FAIL;
		workload_op_errorf(op, "no primary known (no Sentinel majority)");
		return;
	}
	if (connect_data(c, host, op))
		return;
	r = redisCommand(c->data, "SMEMBERS %s", c->s->key);
	if (!r || r->type != REDIS_REPLY_ARRAY) {
		op->type = HIST_FAIL;
		workload_op_errorf(op, "%s: %s", host, !r ? (c->data->errstr[0] ?
			  c->data->errstr : "no answer") :
			  r->type == REDIS_REPLY_ERROR ? r->str :
			  "unexpected answer");
		if (!r)
			drop_data(c);
		else
			freeReplyObject(r);
		return;
	}
	json_decref(op->out);
	op->out = json_array();
	for (i = 0; i < r->elements; i++)
		json_array_append_new(op->out, element_json(
			r->element[i]->str ? r->element[i]->str : "",
			r->element[i]->str ? r->element[i]->len : 0));
	op->type = HIST_OK;
	freeReplyObject(r);
}

static void set_invoke(struct workload_client *c, struct workload_op *op)
{
	op->error[0] = '\0';
	op->unreachable = 0;
	op->has_version = 0;
	if (!strcmp(op->f, "read"))
		do_read(c, op);
	else
		do_add(c, op);
}

static const char *const set_checkers[] = { "set", NULL };

const struct workload_type workload_set = {
	.name = "set",
	.help = "Redis with Sentinel: SADD unique elements to one set, "
		"final SMEMBERS",
	.db = "redis",
	.checkers = set_checkers,
	.model = "set",
	.init = set_init,
	.client_open = set_client_open,
	.client_close = set_client_close,
	.next = set_next,
	.invoke = set_invoke,
	.final = set_final,
	.release = set_release,
};
