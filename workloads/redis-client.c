/*
 * redis-client.c - short hiredis calls shared by the redis plug-in and
 * the set workload (redis-internal.h): connect with a deadline, INFO
 * fields, SENTINEL get-master-addr-by-name.  Commands sent: INFO
 * replication, SENTINEL get-master-addr-by-name NAME; nothing is changed
 * on the servers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "workloads/redis-internal.h"

redisContext *redis__connect(const char *host, int port, long timeout_ms,
			     struct sb *why)
{
	struct timeval tv;
	redisContext *c;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	c = redisConnectWithTimeout(host, port, tv);
	if (!c) {
		if (why)
			sb_addf(why, "cannot connect to %s:%d: out of memory",
				host, port);
		return NULL;
	}
	if (c->err) {
		if (why)
			sb_addf(why, "cannot connect to %s:%d: %s", host, port,
				c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		if (why)
			sb_addf(why, "%s:%d: cannot set a timeout", host,
				port);
		redisFree(c);
		return NULL;
	}
	return c;
}

int redis__info_field(const char *info, const char *field, char *out,
		      size_t n)
{
	size_t flen = strlen(field);
	const char *p = info;

	if (n)
		out[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, field, flen) && p[flen] == ':') {
			const char *v = p + flen + 1;
			size_t len = strcspn(v, "\r\n");

			if (n) {
				if (len > n - 1)
					len = n - 1;
				memcpy(out, v, len);
				out[len] = '\0';
			}
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

int redis__info(const char *host, int port, long timeout_ms,
		struct sb *info, struct sb *why)
{
	redisContext *c = redis__connect(host, port, timeout_ms, why);
	redisReply *r;
	int rc = -1;

	sb_reset(info);
	if (!c)
		return -1;
	r = redisCommand(c, "INFO replication");
	if (!r) {
		if (why)
			sb_addf(why, "%s:%d: INFO: %s", host, port,
				c->errstr);
	} else if (r->type == REDIS_REPLY_STRING ||
		   r->type == REDIS_REPLY_STATUS) {
		sb_add(info, r->str, r->len);
		rc = 0;
	} else if (why) {
		sb_addf(why, "%s:%d: INFO answered %s", host, port,
			r->type == REDIS_REPLY_ERROR ? r->str : "no text");
	}
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return rc;
}

/* A port number, or 0 when s is not one. */
static int atoi_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v > 0 && v < 65536 ? (int)v : 0;
}

int redis__sentinel_master_on(redisContext *c, const char *name,
			      char *host_out, size_t n, int *port_out,
			      struct sb *why)
{
	redisReply *r = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
				     name);
	int rc = -1;

	if (!r) {
		if (why)
			sb_addf(why, "sentinel: %s", c->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		snprintf(host_out, n, "%s", r->element[0]->str);
		*port_out = atoi_port(r->element[1]->str);
		rc = *port_out > 0 ? 0 : -1;
		if (rc && why)
			sb_addf(why, "sentinel: bad port '%s'",
				r->element[1]->str);
	} else if (why) {
		sb_addf(why, "sentinel: %s", r->type == REDIS_REPLY_ERROR ?
			r->str : r->type == REDIS_REPLY_NIL ?
			"master unknown" : "unexpected answer");
	}
	freeReplyObject(r);
	return rc;
}

int redis__sentinel_master(const char *host, int port, const char *name,
			   long timeout_ms, char *host_out, size_t n,
			   int *port_out, struct sb *why)
{
	redisContext *c = redis__connect(host, port, timeout_ms, why);
	int rc;

	if (!c)
		return -1;
	rc = redis__sentinel_master_on(c, name, host_out, n, port_out, why);
	redisFree(c);
	return rc;
}

int redis__node_of(const struct config *c, const char *host)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		if (!strcmp(c->nodes[i].host, host))
			return (int)i;
	return -1;
}
