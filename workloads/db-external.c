/*
 * db-external.c - the "external" database plug-in: the user's own
 * service, already running on the nodes (or anywhere the controller can
 * reach).  It sets up nothing and tears down nothing; it only tells the
 * workload where each node's service answers (its endpoint), for the
 * `http` and `exec` workloads.
 *
 * Config: "db": { "type": "external", "endpoint": "http://{host}:8080" }
 *   endpoint  each node's endpoint: {host} and {node} are the node's
 *             address and name (default: none; the http workload then
 *             needs absolute URLs).
 *
 * Remote commands: none.  Not knowing the service's processes, it cannot
 * kill, pause or restart them: those faults fail the run with a message
 * saying so; partition, loss and clock faults work as with any db.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "workloads/db-util.h"

struct external {
	char **endpoints;	/* per node, "" without an endpoint */
	size_t n;
};

/* tmpl with {host} and {node} of node nd into out; -1 on another {x}
   (its offset in *bad).  A '{' not opening a {name} is literal. */
static int expand(struct sb *out, const char *tmpl, const struct node *nd,
		  size_t *bad)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	const char *s = tmpl;
	size_t n;

	while (*s) {
		n = *s == '{' ? strspn(s + 1, name_chars) : 0;
		if (!n || s[n + 1] != '}') {
			sb_addc(out, *s++);
		} else if (n == 4 && !strncmp(s + 1, "host", 4)) {
			sb_adds(out, nd->host);
			s += 6;
		} else if (n == 4 && !strncmp(s + 1, "node", 4)) {
			sb_adds(out, nd->name);
			s += 6;
		} else {
			*bad = (size_t)(s - tmpl);
			return -1;
		}
	}
	return 0;
}

static void ext_release(struct db *d);

static int ext_init(struct db *d, struct sb *err)
{
	static const char *const keys[] = { "type", "endpoint", NULL };
	const struct config *c = d->cfg;
	struct external *e = xcalloc(1, sizeof(*e));
	const char *tmpl = "";
	size_t i, bad = 0;
	int rc;

	d->priv = e;
	if ((rc = cfg_check_keys(c, c->db, "db", keys, err)) ||
	    (rc = cfg_get_str(c, c->db, "db", "endpoint", &tmpl, err)))
		goto fail;
	e->n = c->nnodes;
	e->endpoints = xcalloc(e->n + 1, sizeof(*e->endpoints));
	for (i = 0; i < e->n; i++) {
		struct sb s = SB_INIT;

		if (expand(&s, tmpl, &c->nodes[i], &bad) < 0) {
			sb_addf(err, "%s: 'db.endpoint': unknown placeholder "
				"at offset %zu (known: {host}, {node})",
				db__cfgname(c), bad);
			sb_release(&s);
			rc = -NS_ECONFIG;
			goto fail;
		}
		e->endpoints[i] = sb_detach(&s, NULL);
	}
	return 0;
fail:
	/* db_new() frees only the db when init fails */
	ext_release(d);
	return rc;
}

static int ext_nothing(struct db *d, struct sb *err)
{
	return 0;
}

static int ext_refuse(struct db *d, size_t node, const char *what,
		      struct sb *err)
{
	sb_addf(err, "%s: db 'external' cannot %s the service: it does not "
		"run it (use partition or loss faults)",
		node < d->cfg->nnodes ? d->cfg->nodes[node].name : "?", what);
	return -NS_ECONFIG;
}

static int ext_start(struct db *d, size_t node, struct sb *err)
{
	return ext_refuse(d, node, "start", err);
}

static int ext_kill(struct db *d, size_t node, struct sb *err)
{
	return ext_refuse(d, node, "kill", err);
}

static int ext_pause(struct db *d, size_t node, struct sb *err)
{
	return ext_refuse(d, node, "pause", err);
}

static int ext_resume(struct db *d, size_t node, struct sb *err)
{
	return ext_refuse(d, node, "resume", err);
}

static const char *ext_pidfile(struct db *d, size_t node)
{
	return NULL;
}

static size_t ext_logs(struct db *d, size_t node, const char **out,
		       size_t max)
{
	return 0;
}

static const char *ext_endpoint(struct db *d, size_t node)
{
	struct external *e = d->priv;

	return e && node < e->n ? e->endpoints[node] : "";
}

static void ext_release(struct db *d)
{
	struct external *e = d->priv;
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		free(e->endpoints[i]);
	free(e->endpoints);
	free(e);
	d->priv = NULL;
}

const struct db_type db_external = {
	.name = "external",
	.help = "your own service, already running: sets up nothing "
		"(for the http and exec workloads)",
	.init = ext_init,
	.setup = ext_nothing,
	.teardown = ext_nothing,
	.start = ext_start,
	.kill = ext_kill,
	.pause = ext_pause,
	.resume = ext_resume,
	.pidfile = ext_pidfile,
	.logs = ext_logs,
	.endpoint = ext_endpoint,
	.release = ext_release,
};
