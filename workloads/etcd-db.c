/*
 * etcd-db.c - the `etcd` database plug-in: one etcd member per node.
 *
 * Each node's member lives in DIR = (node.dir or $HOME)/etcd: data in
 * DIR/data, log in DIR/etcd.log, pid in DIR/etcd.pid.  It listens on the
 * node's address (0.0.0.0 when the host is a name), client port
 * db.client_port (2379), peer port db.peer_port (2380), and is named
 * after the node; --initial-cluster lists every node.
 *
 * Remote commands (sh scripts through the transport, data passed as
 * arguments) and how they are undone:
 *   setup     kill -9 a member left from an earlier run (pid file), then
 *             rm -rf DIR/data DIR/etcd.log; start (below) with
 *             --initial-cluster-state new           (undone by teardown)
 *   start     refused while DIR/etcd.pid names a live member; else
 *             setsid sh -c 'echo $$ >DIR/etcd.pid; exec etcd FLAGS...'
 *             >>DIR/etcd.log 2>&1 </dev/null &  - in the background, so
 *             the SSH channel closes; restarts use
 *             --initial-cluster-state existing      (undone by kill)
 *   kill, pause, resume: the pid-file defaults of core/db.c
 *   teardown  kill -9 the member, rm -rf DIR/data DIR/etcd.pid (the log
 *             stays for the run directory)
 * Health is asked from the controller over HTTP (GET /health on each
 * client URL) until every member answers {"health":"true"}, at most
 * db.health_timeout_s; a member whose process died or that never became
 * healthy fails set-up with the tail of its log.  The leader comes from
 * POST /v3/maintenance/status on each member (leader vs member_id).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "workloads/db-util.h"
#include "workloads/etcd-internal.h"

struct etcd {
	long long client_port, peer_port;
	long long heartbeat_ms, election_ms;
	double health_timeout_s;
	int pre_vote;
	const char *binary;
	json_t *extra;			/* borrowed array of strings, or NULL */
	char **endpoints;		/* "http://host:port" per node */
	char **pidfiles, **logs;	/* per node, after db_resolve */
	char *initial_cluster;
};

static int etcd_init(struct db *d, struct sb *err)
{
	static const char *const keys[] = {
		"type", "client_port", "peer_port", "heartbeat_ms",
		"election_ms", "health_timeout_s", "pre_vote", "binary",
		"extra_args", NULL
	};
	const struct config *c = d->cfg;
	json_t *o = c->db;
	struct etcd *e = xcalloc(1, sizeof(*e));
	struct sb ic = SB_INIT;
	size_t i;
	int rc;

	e->client_port = 2379;
	e->peer_port = 2380;
	e->heartbeat_ms = 100;
	e->election_ms = 1000;
	e->health_timeout_s = 20;
	e->pre_vote = 1;
	e->binary = "etcd";
	rc = cfg_check_keys(c, o, "db", keys, err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "client_port", &e->client_port,
				 err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "peer_port", &e->peer_port, err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "heartbeat_ms", &e->heartbeat_ms,
				 err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "election_ms", &e->election_ms,
				 err);
	if (!rc)
		rc = cfg_get_double(c, o, "db", "health_timeout_s",
				    &e->health_timeout_s, err);
	if (!rc)
		rc = cfg_get_bool(c, o, "db", "pre_vote", &e->pre_vote, err);
	if (!rc)
		rc = cfg_get_str(c, o, "db", "binary", &e->binary, err);
	if (!rc && (e->client_port < 1 || e->client_port > 65535 ||
		    e->peer_port < 1 || e->peer_port > 65535)) {
		sb_addf(err, "%s: 'db.%s': must be 1..65535", db__cfgname(c),
			e->client_port < 1 || e->client_port > 65535 ?
			"client_port" : "peer_port");
		rc = -NS_ECONFIG;
	}
	if (!rc && (e->heartbeat_ms < 1 || e->election_ms <
		    5 * e->heartbeat_ms)) {
		sb_addf(err, "%s: 'db.election_ms': must be at least 5 x "
			"'db.heartbeat_ms' (and both positive)", db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && e->health_timeout_s <= 0) {
		sb_addf(err, "%s: 'db.health_timeout_s': must be positive",
			db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && (e->extra = json_object_get(o, "extra_args")) &&
	    !json_is_null(e->extra)) {
		json_t *v;

		if (!json_is_array(e->extra)) {
			sb_addf(err, "%s: 'db.extra_args': expected an array "
				"of strings", db__cfgname(c));
			rc = -NS_ECONFIG;
		}
		json_array_foreach(e->extra, i, v) {
			if (!rc && !json_is_string(v)) {
				sb_addf(err, "%s: 'db.extra_args[%zu]': "
					"expected a string", db__cfgname(c), i);
				rc = -NS_ECONFIG;
			}
		}
	} else {
		e->extra = NULL;
	}
	if (rc) {
		free(e);
		return rc;
	}
	e->endpoints = xcalloc(c->nnodes ? c->nnodes : 1, sizeof(char *));
	for (i = 0; i < c->nnodes; i++) {
		struct sb s = SB_INIT;

		sb_addf(&s, "http://%s:%lld", c->nodes[i].host,
			e->client_port);
		e->endpoints[i] = sb_detach(&s, NULL);
		sb_addf(&ic, "%s%s=http://%s:%lld", i ? "," : "",
			c->nodes[i].name, c->nodes[i].host, e->peer_port);
	}
	e->initial_cluster = sb_detach(&ic, NULL);
	d->priv = e;
	return 0;
}

static void etcd_release(struct db *d)
{
	struct etcd *e = d->priv;
	size_t n = d->cfg->nnodes;

	if (!e)
		return;
	db__strv_free(e->endpoints, n);
	db__strv_free(e->pidfiles, n);
	db__strv_free(e->logs, n);
	free(e->initial_cluster);
	free(e);
	d->priv = NULL;
}

/* db_type.paths: the pid file and log paths from d->dirs (idempotent). */
static int paths(struct db *d, struct sb *err)
{
	struct etcd *e = d->priv;
	size_t i, n = d->cfg->nnodes;

	if (e->pidfiles)
		return 0;
	e->pidfiles = xcalloc(n, sizeof(char *));
	e->logs = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		e->pidfiles[i] = db__path_in(d->dirs[i], "etcd.pid");
		e->logs[i] = db__path_in(d->dirs[i], "etcd.log");
	}
	return 0;
}

/* The working directories, then paths() (through db_resolve()). */
static int resolve(struct db *d, struct sb *err)
{
	return db_resolve(d, err);
}

static const char *etcd_pidfile(struct db *d, size_t node)
{
	struct etcd *e = d->priv;

	return e->pidfiles ? e->pidfiles[node] : NULL;
}

static size_t etcd_logs(struct db *d, size_t node, const char **out,
			size_t max)
{
	struct etcd *e = d->priv;

	if (!e->logs || !max)
		return 0;
	out[0] = e->logs[node];
	return 1;
}

static const char *etcd_endpoint(struct db *d, size_t node)
{
	struct etcd *e = d->priv;

	return e->endpoints[node];
}

/* ===== Starting a member ===== */

static void add_arg(const char ***argv, size_t *n, size_t *alloc,
		    const char *s)
{
	ALLOC_GROW(*argv, *n + 1, *alloc);
	(*argv)[(*n)++] = s;
}

const char etcd__start_script[] =
	"d=$1; pf=$2; log=$3; shift 3; "
	"mkdir -p \"$d\" || exit 1; cd \"$d\" || exit 1; "
	DB__REFUSE_RUNNING("\"$pf\"", "member")
	"rm -f \"$pf\"; "
	"setsid sh -c 'echo $$ >\"$0\"; exec \"$@\"' \"$pf\" \"$@\" "
	">>\"$log\" 2>&1 </dev/null & "
	"i=0; while [ ! -s \"$pf\" ] && [ $i -lt 100 ]; do "
	"sleep 0.02; i=$((i+1)); done; "
	"[ -s \"$pf\" ] || { echo 'no pid file' >&2; exit 1; }";

static int start_member(struct db *d, size_t node, int existing,
			struct sb *err)
{
	struct etcd *e = d->priv;
	const struct node *nd = &d->cfg->nodes[node];
	const char **argv = NULL;
	size_t n = 0, alloc = 0, i;
	struct sb listen_c = SB_INIT, adv_c = SB_INIT, listen_p = SB_INIT,
		  adv_p = SB_INIT, data = SB_INIT, hb = SB_INIT, el = SB_INIT;
	const char *bind = db__is_ipv4(nd->host) ? nd->host : "0.0.0.0";
	struct transport_result res;
	json_t *v;
	int rc;

	sb_addf(&listen_c, "http://%s:%lld", bind, e->client_port);
	sb_addf(&adv_c, "http://%s:%lld", nd->host, e->client_port);
	sb_addf(&listen_p, "http://%s:%lld", bind, e->peer_port);
	sb_addf(&adv_p, "http://%s:%lld", nd->host, e->peer_port);
	sb_addf(&data, "%s/data", d->dirs[node]);
	sb_addf(&hb, "%lld", e->heartbeat_ms);
	sb_addf(&el, "%lld", e->election_ms);
	add_arg(&argv, &n, &alloc, d->dirs[node]);
	add_arg(&argv, &n, &alloc, e->pidfiles[node]);
	add_arg(&argv, &n, &alloc, e->logs[node]);
	add_arg(&argv, &n, &alloc, e->binary);
	add_arg(&argv, &n, &alloc, "--name");
	add_arg(&argv, &n, &alloc, nd->name);
	add_arg(&argv, &n, &alloc, "--data-dir");
	add_arg(&argv, &n, &alloc, data.buf);
	add_arg(&argv, &n, &alloc, "--listen-client-urls");
	add_arg(&argv, &n, &alloc, listen_c.buf);
	add_arg(&argv, &n, &alloc, "--advertise-client-urls");
	add_arg(&argv, &n, &alloc, adv_c.buf);
	add_arg(&argv, &n, &alloc, "--listen-peer-urls");
	add_arg(&argv, &n, &alloc, listen_p.buf);
	add_arg(&argv, &n, &alloc, "--initial-advertise-peer-urls");
	add_arg(&argv, &n, &alloc, adv_p.buf);
	add_arg(&argv, &n, &alloc, "--initial-cluster");
	add_arg(&argv, &n, &alloc, e->initial_cluster);
	add_arg(&argv, &n, &alloc, "--initial-cluster-state");
	add_arg(&argv, &n, &alloc, existing ? "existing" : "new");
	add_arg(&argv, &n, &alloc, "--initial-cluster-token");
	add_arg(&argv, &n, &alloc, "netsplit");
	add_arg(&argv, &n, &alloc, "--heartbeat-interval");
	add_arg(&argv, &n, &alloc, hb.buf);
	add_arg(&argv, &n, &alloc, "--election-timeout");
	add_arg(&argv, &n, &alloc, el.buf);
	if (e->pre_vote)
		add_arg(&argv, &n, &alloc, "--pre-vote");
	if (e->extra)
		json_array_foreach(e->extra, i, v)
			add_arg(&argv, &n, &alloc, json_string_value(v));
	add_arg(&argv, &n, &alloc, NULL);
	transport_result_init(&res);
	rc = transport_sh(d->t, node, etcd__start_script, argv, 15000,
			  &res, err);
	if (!rc && !transport_result_ok(&res)) {
		const char *what[] = { "start etcd", NULL };

		transport_result_error(&res, nd->name, what, err);
		rc = -NS_ESETUP;
	}
	transport_result_release(&res);
	free(argv);
	sb_release(&listen_c);
	sb_release(&adv_c);
	sb_release(&listen_p);
	sb_release(&adv_p);
	sb_release(&data);
	sb_release(&hb);
	sb_release(&el);
	return rc;
}

static int etcd_start(struct db *d, size_t node, struct sb *err)
{
	int rc = resolve(d, err);

	return rc ? rc : start_member(d, node, 1, err);
}

/* ===== Health ===== */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	sb_add(arg, p, size * n);
	return size * n;
}

/* One HTTP call with a short deadline; *http 0 when no answer. */
static void http_call(const char *url, const char *post, long timeout_ms,
		      long *http, struct sb *body)
{
	CURL *h = curl_easy_init();

	*http = 0;
	sb_reset(body);
	if (!h)
		return;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (post)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
	curl_easy_cleanup(h);
}

static int healthy(struct etcd *e, size_t node, struct sb *why)
{
	struct sb url = SB_INIT, body = SB_INIT;
	long http;
	json_t *doc;
	int ok = 0;

	body.max = 65536;
	sb_addf(&url, "%s/health", e->endpoints[node]);
	http_call(url.buf, NULL, 500, &http, &body);
	doc = http == 200 ? json_loadb(body.buf, body.len, 0, NULL) : NULL;
	ok = doc && !strcmp(json_string_value(json_object_get(doc, "health"))
			    ? json_string_value(json_object_get(doc,
								"health"))
			    : "", "true");
	sb_reset(why);
	if (!ok && http == 0)
		sb_addf(why, "no answer from %s", url.buf);
	else if (!ok)
		sb_addf(why, "%s answered %ld %.200s", url.buf, http,
			body.buf);
	json_decref(doc);
	sb_release(&url);
	sb_release(&body);
	return ok;
}

static void log_tail(struct db *d, size_t node, struct sb *err)
{
	struct etcd *e = d->priv;
	const char *args[] = { e->logs[node], NULL };
	struct transport_result res;
	struct sb ignore = SB_INIT;

	/* etcd prints a bad flag's error before its usage text: show the
	   error lines first, then the tail. */
	static const char script[] =
		"grep -i -E 'flag provided|error|fatal|panic|cannot|invalid| [CEF] [|] ' "
		"\"$1\" 2>/dev/null | head -n 5 | sed 's/^/  | /'; "
		"echo '  ...'; tail -n 12 \"$1\" 2>&1 | sed 's/^/  | /'";

	transport_result_init(&res);
	if (!transport_sh(d->t, node, script, args, 5000, &res, &ignore))
		sb_addf(err, "\nerrors and last lines of %s on '%s':\n%s",
			e->logs[node], d->cfg->nodes[node].name,
			res.out.buf);
	else
		sb_addf(err, "\n(cannot read %s on '%s': %s)", e->logs[node],
			d->cfg->nodes[node].name, ignore.buf);
	sb_release(&ignore);
	transport_result_release(&res);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_healthy(struct db *d, struct sb *err)
{
	struct etcd *e = d->priv;
	size_t n = d->cfg->nnodes, i, bad = 0;
	double deadline = now_s() + e->health_timeout_s, next_alive = 0;
	int *ok = xcalloc(n, sizeof(int));
	struct sb why = SB_INIT;
	int rc = 0;

	for (;;) {
		size_t left = 0;

		for (i = 0; i < n; i++) {
			if (!ok[i])
				ok[i] = healthy(e, i, &why);
			if (!ok[i]) {
				left++;
				bad = i;
			}
		}
		if (!left)
			break;
		/* A member that died will never be healthy: say so now. */
		if (now_s() >= next_alive) {
			for (i = 0; i < n && !rc; i++) {
				long pid = 0;

				if (ok[i])
					continue;
				rc = db_pid(d, i, &pid, err);
				if (!rc && !pid) {
					sb_addf(err, "etcd on '%s' exited "
						"during set-up",
						d->cfg->nodes[i].name);
					log_tail(d, i, err);
					rc = -NS_ESETUP;
				}
			}
			if (rc)
				break;
			next_alive = now_s() + 1;
		}
		if (now_s() >= deadline) {
			healthy(e, bad, &why);
			sb_addf(err, "etcd on '%s' never became healthy in "
				"%g s: %s", d->cfg->nodes[bad].name,
				e->health_timeout_s, why.buf);
			log_tail(d, bad, err);
			rc = -NS_ESETUP;
			break;
		}
		usleep(100000);
	}
	free(ok);
	sb_release(&why);
	return rc;
}

/* ===== Setup, teardown ===== */

static int wipe(struct db *d, size_t node, int logs_too, struct sb *err)
{
	static const char script[] =
		"d=$1; cd \"$d\" || exit 1; rm -rf data etcd.pid; "
		"[ \"$2\" = 1 ] && rm -f etcd.log; exit 0";
	const char *args[] = { d->dirs[node], logs_too ? "1" : "0", NULL };
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = transport_sh(d->t, node, script, args, 15000, &res, err);
	if (!rc && !transport_result_ok(&res)) {
		const char *what[] = { "remove etcd data", NULL };

		transport_result_error(&res, d->cfg->nodes[node].name, what,
				       err);
		rc = -NS_EREMOTE;
	}
	transport_result_release(&res);
	return rc;
}

static int etcd_setup(struct db *d, struct sb *err)
{
	size_t i, n = d->cfg->nnodes;
	int rc = resolve(d, err);

	for (i = 0; i < n && !rc; i++) {
		rc = db_def_kill(d, i, err);
		if (!rc)
			rc = wipe(d, i, 1, err);
	}
	for (i = 0; i < n && !rc; i++)
		rc = start_member(d, i, 0, err);
	if (!rc)
		rc = wait_healthy(d, err);
	return rc;
}

static int etcd_teardown(struct db *d, struct sb *err)
{
	size_t i, n = d->cfg->nnodes;
	int rc = resolve(d, err), r;

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		r = db_def_kill(d, i, err);
		if (!r)
			r = wipe(d, i, 0, err);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

/* ===== Leader ===== */

static int etcd_primaries(struct db *d, size_t *out, size_t max, size_t *n,
			  struct sb *err)
{
	struct etcd *e = d->priv;
	size_t nn = d->cfg->nnodes, i, j;
	char **member = xcalloc(nn, sizeof(char *));
	char **leader = xcalloc(nn, sizeof(char *));
	struct sb url = SB_INIT, body = SB_INIT;

	*n = 0;
	for (i = 0; i < nn; i++) {
		long http;
		json_t *doc;
		const char *m, *l;

		sb_reset(&url);
		sb_addf(&url, "%s/v3/maintenance/status", e->endpoints[i]);
		http_call(url.buf, "{}", 500, &http, &body);
		doc = http == 200 ? json_loadb(body.buf, body.len, 0, NULL) :
			NULL;
		m = json_string_value(json_object_get(
			json_object_get(doc, "header"), "member_id"));
		l = json_string_value(json_object_get(doc, "leader"));
		member[i] = m ? xstrdup(m) : NULL;
		leader[i] = l && strcmp(l, "0") ? xstrdup(l) : NULL;
		json_decref(doc);
	}
	/* A node is a primary if some member names it leader. */
	for (i = 0; i < nn; i++) {
		int named = 0;

		for (j = 0; j < nn && member[i]; j++)
			if (leader[j] && !strcmp(leader[j], member[i]))
				named = 1;
		if (named && *n < max)
			out[(*n)++] = i;
	}
	db__strv_free(member, nn);
	db__strv_free(leader, nn);
	sb_release(&url);
	sb_release(&body);
	(void)err;
	return 0;
}

const struct db_type db_etcd = {
	.name = "etcd",
	.help = "etcd 3.4, one member per node, JSON gateway clients",
	.init = etcd_init,
	.setup = etcd_setup,
	.teardown = etcd_teardown,
	.start = etcd_start,
	.primaries = etcd_primaries,
	.paths = paths,
	.pidfile = etcd_pidfile,
	.logs = etcd_logs,
	.endpoint = etcd_endpoint,
	.release = etcd_release,
};
