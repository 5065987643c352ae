/*
 * redis-db.c - the `redis` database plug-in: Redis with Sentinel, one
 * redis-server and one Sentinel per node.  The first node starts as the
 * primary, every other node as its replica (`replicaof`); each Sentinel
 * monitors the primary as master db.master_name with quorum db.quorum
 * (a majority by default), down-after-milliseconds db.down_after_ms,
 * failover-timeout db.failover_timeout_ms, resolve-hostnames no.
 *
 * Each node's members live in DIR = (node.dir or $HOME)/redis:
 *   DIR/redis.conf     the server's config (Sentinel rewrites it with
 *                      CONFIG REWRITE when it moves the primary)
 *   DIR/sentinel.conf  the Sentinel's config, writable (it records its
 *                      state there)
 *   DIR/data/          the server's working dir (persistence is off:
 *                      save "" and appendonly no)
 *   DIR/redis.log, DIR/sentinel.log, DIR/redis.pid, DIR/sentinel.pid
 * Both run with `set-proc-title no`, so their command line names their
 * config file under DIR (core/db.c signals a pid only if its command line
 * names DIR).
 *
 * Remote commands (sh scripts through the transport, data passed as
 * arguments), one per node and step, and how they are undone:
 *   setup     reset: kill -9 both members left from an earlier run (pid
 *             files; only a process whose command line names DIR), wait
 *             until they are gone, rm -rf DIR/data, the configs, pid files
 *             and logs, write both configs (printf '%s' CONF >FILE);
 *             then start both members, the primary's node first
 *                                                   (undone by teardown)
 *   start     setsid sh -c 'echo $$ >PIDFILE; exec redis-server CONF'
 *             >>LOG 2>&1 </dev/null &   (the Sentinel likewise with
 *             `redis-server DIR/sentinel.conf --sentinel`); a restart
 *             after kill starts the server alone, from the config as
 *             Sentinel last rewrote it              (undone by kill)
 *   kill, pause, resume: the pid-file defaults of core/db.c, on the
 *             redis-server (the Sentinels are left alone)
 *   teardown  the reset above without the logs and without new configs
 *             (the logs stay for the run directory)
 * Health is asked from the controller with hiredis, until every replica
 * says master_link_status:up (INFO replication), the primary counts every
 * replica as connected, and every Sentinel (SENTINEL MASTER) sees the
 * master, all replicas and every other Sentinel - at most
 * db.health_timeout_s; a member whose process died or that never got
 * there fails set-up with the tail of its logs.  The primary is what a
 * majority of the answering Sentinels name (SENTINEL
 * get-master-addr-by-name), else the nodes whose INFO says role:master.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "os.h"
#include "workloads/db-util.h"
#include "workloads/redis-internal.h"

struct redis {
	long long port, sentinel_port, quorum;
	long long down_after_ms, failover_timeout_ms;
	long long min_replicas_to_write;
	double health_timeout_s;
	const char *binary;
	const char *master_name;
	json_t *extra;			/* borrowed array of strings, or NULL */
	char **pidfiles, **sent_pidfiles, **logs, **sent_logs;
	char **endpoints;		/* "host:port" per node */
};

/* A name Sentinel can take as one config word. */
static int word_ok(const char *s)
{
	return *s && !strpbrk(s, " \t\r\n\"'\\");
}

static int redis_init(struct db *d, struct sb *err)
{
	static const char *const keys[] = {
		"type", "port", "sentinel_port", "master_name", "quorum",
		"down_after_ms", "failover_timeout_ms",
		"min_replicas_to_write", "health_timeout_s", "binary",
		"extra_config", NULL
	};
	const struct config *c = d->cfg;
	json_t *o = c->db;
	struct redis *r = xcalloc(1, sizeof(*r));
	size_t i;
	int rc;

	r->port = 6379;
	r->sentinel_port = 26379;
	r->quorum = (long long)(c->nnodes / 2 + 1);
	r->down_after_ms = 2000;
	r->failover_timeout_ms = 5000;
	r->health_timeout_s = 30;
	r->binary = "redis-server";
	r->master_name = "mymaster";
	rc = cfg_check_keys(c, o, "db", keys, err);
#define GET_INT(key, field, lo, hi)                                       \
	do {                                                              \
		if (!rc)                                                  \
			rc = cfg_get_int(c, o, "db", key, &r->field, err);\
		if (!rc && (r->field < (lo) || r->field > (hi))) {        \
			sb_addf(err, "%s: 'db.%s': must be %lld..%lld",   \
				db__cfgname(c), key, (long long)(lo),         \
				(long long)(hi));                         \
			rc = -NS_ECONFIG;                                 \
		}                                                         \
	} while (0)
	GET_INT("port", port, 1, 65535);
	GET_INT("sentinel_port", sentinel_port, 1, 65535);
	GET_INT("quorum", quorum, 1, 1000);
	GET_INT("down_after_ms", down_after_ms, 1, 3600000);
	GET_INT("failover_timeout_ms", failover_timeout_ms, 1, 36000000);
	GET_INT("min_replicas_to_write", min_replicas_to_write, 0, 1000);
#undef GET_INT
	if (!rc)
		rc = cfg_get_double(c, o, "db", "health_timeout_s",
				    &r->health_timeout_s, err);
	if (!rc && r->health_timeout_s <= 0) {
		sb_addf(err, "%s: 'db.health_timeout_s': must be positive",
			db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc)
		rc = cfg_get_str(c, o, "db", "binary", &r->binary, err);
	if (!rc)
		rc = cfg_get_str(c, o, "db", "master_name", &r->master_name,
				 err);
	if (!rc && !word_ok(r->master_name)) {
		sb_addf(err, "%s: 'db.master_name': must be one word",
			db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && r->port == r->sentinel_port) {
		sb_addf(err, "%s: 'db.sentinel_port': must differ from "
			"'db.port'", db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && c->nnodes && (size_t)r->quorum > c->nnodes) {
		sb_addf(err, "%s: 'db.quorum': %lld is more than the %zu "
			"Sentinels", db__cfgname(c), r->quorum, c->nnodes);
		rc = -NS_ECONFIG;
	}
	for (i = 0; !rc && i < c->nnodes; i++)
		if (!db__is_ipv4(c->nodes[i].host)) {
			sb_addf(err, "%s: 'nodes[%zu].host': the redis plug-in "
				"needs an IPv4 address, not '%s' (Sentinel "
				"runs with resolve-hostnames no)", db__cfgname(c),
				i, c->nodes[i].host);
			rc = -NS_ECONFIG;
		}
	if (!rc && (r->extra = json_object_get(o, "extra_config")) &&
	    !json_is_null(r->extra)) {
		json_t *v;

		if (!json_is_array(r->extra)) {
			sb_addf(err, "%s: 'db.extra_config': expected an "
				"array of strings", db__cfgname(c));
			rc = -NS_ECONFIG;
		}
		json_array_foreach(r->extra, i, v) {
			if (!rc && (!json_is_string(v) ||
				    strpbrk(json_string_value(v), "\r\n"))) {
				sb_addf(err, "%s: 'db.extra_config[%zu]': "
					"expected a string of one line",
					db__cfgname(c), i);
				rc = -NS_ECONFIG;
			}
		}
	} else {
		r->extra = NULL;
	}
	if (rc) {
		free(r);
		return rc;
	}
	r->endpoints = xcalloc(c->nnodes ? c->nnodes : 1, sizeof(char *));
	for (i = 0; i < c->nnodes; i++) {
		struct sb s = SB_INIT;

		sb_addf(&s, "%s:%lld", c->nodes[i].host, r->port);
		r->endpoints[i] = sb_detach(&s, NULL);
	}
	d->priv = r;
	return 0;
}

static void redis_release(struct db *d)
{
	struct redis *r = d->priv;
	size_t n = d->cfg->nnodes;

	if (!r)
		return;
	db__strv_free(r->endpoints, n);
	db__strv_free(r->pidfiles, n);
	db__strv_free(r->sent_pidfiles, n);
	db__strv_free(r->logs, n);
	db__strv_free(r->sent_logs, n);
	free(r);
	d->priv = NULL;
}

/* db_type.paths: the pid file and log paths from d->dirs (idempotent). */
static int paths(struct db *d, struct sb *err)
{
	struct redis *r = d->priv;
	size_t i, n = d->cfg->nnodes;

	if (r->pidfiles)
		return 0;
	r->pidfiles = xcalloc(n, sizeof(char *));
	r->sent_pidfiles = xcalloc(n, sizeof(char *));
	r->logs = xcalloc(n, sizeof(char *));
	r->sent_logs = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		r->pidfiles[i] = db__path_in(d->dirs[i], "redis.pid");
		r->sent_pidfiles[i] = db__path_in(d->dirs[i], "sentinel.pid");
		r->logs[i] = db__path_in(d->dirs[i], "redis.log");
		r->sent_logs[i] = db__path_in(d->dirs[i], "sentinel.log");
	}
	return 0;
}

/* The working directories, then paths() (through db_resolve()). */
static int resolve(struct db *d, struct sb *err)
{
	return db_resolve(d, err);
}

static const char *redis_pidfile(struct db *d, size_t node)
{
	struct redis *r = d->priv;

	return r->pidfiles ? r->pidfiles[node] : NULL;
}

static size_t redis_logs(struct db *d, size_t node, const char **out,
			 size_t max)
{
	struct redis *r = d->priv;
	size_t n = 0;

	if (!r->logs)
		return 0;
	if (n < max)
		out[n++] = r->logs[node];
	if (n < max)
		out[n++] = r->sent_logs[node];
	return n;
}

static const char *redis_endpoint(struct db *d, size_t node)
{
	struct redis *r = d->priv;

	return r->endpoints[node];
}

/* ===== Remote scripts ===== */

static int run_script(struct db *d, size_t node, const char *what,
		      const char *script, const char *const args[],
		      struct transport_result *res, struct sb *err)
{
	int rc = transport_sh(d->t, node, script, args, 15000, res, err);

	if (!rc && !transport_result_ok(res)) {
		const char *argv[] = { what, NULL };

		transport_result_error(res, d->cfg->nodes[node].name, argv,
				       err);
		rc = -NS_EREMOTE;
	}
	return rc;
}

/*
 * Start node's redis-server ($3 = "server") or both it and its Sentinel
 * ($3 = "both") in the background: $1 DIR, $2 the redis-server program.
 * Returns once each pid file is written.
 */
static const char start_script[] =
	"d=$1; bin=$2\n"
	"start() {\n"
	"  pf=$1; log=$2; shift 2; rm -f \"$pf\"\n"
	"  setsid sh -c 'echo $$ >\"$0\"; exec \"$@\"' \"$pf\" \"$@\" "
	">>\"$log\" 2>&1 </dev/null &\n"
	"  i=0; while [ ! -s \"$pf\" ] && [ $i -lt 100 ]; do "
	"sleep 0.02; i=$((i+1)); done\n"
	"  [ -s \"$pf\" ] || { echo \"no pid file $pf\" >&2; exit 1; }\n"
	"}\n"
	"mkdir -p \"$d/data\" && cd \"$d/data\" || exit 1\n"
	"start \"$d/redis.pid\" \"$d/redis.log\" \"$bin\" \"$d/redis.conf\"\n"
	"[ \"$3\" = both ] || exit 0\n"
	"start \"$d/sentinel.pid\" \"$d/sentinel.log\" \"$bin\" "
	"\"$d/sentinel.conf\" --sentinel\n";

static int start_members(struct db *d, size_t node, int both,
			 struct sb *err)
{
	struct redis *r = d->priv;
	const char *args[] = { d->dirs[node], r->binary,
			       both ? "both" : "server", NULL };
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = run_script(d, node, both ? "start redis-server and sentinel" :
			"start redis-server", start_script, args, &res, err);
	transport_result_release(&res);
	return rc;
}

/*
 * Reset node's directory $1: kill -9 the process of each pid file whose
 * command line names $1 and wait until it is gone; remove the data, the
 * configs, the pid files, and the logs too when $2 = 1; then write the
 * configs $3 and $4 unless $3 is empty.
 */
static const char reset_script[] =
	"d=$1; cd \"$d\" || exit 1\n"
	"for pf in redis.pid sentinel.pid; do\n"
	"  p=$(cat \"$pf\" 2>/dev/null) || continue\n"
	"  case \"$p\" in ''|*[!0-9]*) continue;; esac\n"
	"  tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -qF -- \"$d\" "
	"|| continue\n"
	"  kill -9 \"$p\" 2>/dev/null; i=0\n"
	"  while [ $i -lt 100 ]; do\n"
	"    st=$(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/$p/stat 2>/dev/null)\n"
	"    case \"$st\" in ''|Z|X) break;; esac; sleep 0.05; i=$((i+1))\n"
	"  done\n"
	"  [ $i -lt 100 ] || { echo \"pid $p still alive\" >&2; exit 1; }\n"
	"done\n"
	"rm -rf data redis.conf sentinel.conf redis.pid sentinel.pid\n"
	"[ \"$2\" = 1 ] && rm -f redis.log sentinel.log\n"
	"[ -n \"$3\" ] || exit 0\n"
	"mkdir -p data && printf '%s' \"$3\" >redis.conf && "
	"printf '%s' \"$4\" >sentinel.conf\n";

static void server_conf(struct db *d, size_t node, struct sb *out);
static void sentinel_conf(struct db *d, size_t node, struct sb *out);

/* Stop both members of node and remove their data; with fresh, also
   the logs, and write new configs. */
static int reset_node(struct db *d, size_t node, int fresh,
		      struct sb *err)
{
	struct sb srv = SB_INIT, sen = SB_INIT;
	struct transport_result res;
	int rc;

	if (fresh) {
		server_conf(d, node, &srv);
		sentinel_conf(d, node, &sen);
	}
	{
		const char *args[] = { d->dirs[node], fresh ? "1" : "0",
				       srv.len ? srv.buf : "",
				       sen.len ? sen.buf : "", NULL };

		transport_result_init(&res);
		rc = run_script(d, node, fresh ? "reset redis directory" :
				"stop redis and remove its data",
				reset_script, args, &res, err);
		transport_result_release(&res);
	}
	sb_release(&srv);
	sb_release(&sen);
	return rc;
}

/* Is the Sentinel of node alive?  *alive 1 / 0. */
static int sentinel_alive(struct db *d, size_t node, int *alive,
			  struct sb *err)
{
	static const char script[] =
		"p=$(cat \"$1\" 2>/dev/null) || exit 0; "
		"case \"$p\" in ''|*[!0-9]*) exit 0;; esac; "
		"st=$(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/$p/stat "
		"2>/dev/null); case \"$st\" in ''|Z|X) exit 0;; esac; "
		"echo alive";
	struct redis *r = d->priv;
	const char *args[] = { r->sent_pidfiles[node], NULL };
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = run_script(d, node, "read sentinel pid", script, args, &res,
			err);
	*alive = !rc && strstr(res.out.buf, "alive") != NULL;
	transport_result_release(&res);
	return rc;
}

/* ===== Configs ===== */

static void server_conf(struct db *d, size_t node, struct sb *out)
{
	struct redis *r = d->priv;
	const struct node *nd = &d->cfg->nodes[node];
	size_t i;
	json_t *v;

	sb_addf(out,
		"port %lld\n"
		"bind %s\n"
		"protected-mode no\n"
		"daemonize no\n"
		"set-proc-title no\n"
		"logfile \"\"\n"
		"dir %s/data\n"
		"save \"\"\n"
		"appendonly no\n"
		"repl-diskless-sync-delay 0\n"
		"replica-announce-ip %s\n",
		r->port, nd->host, d->dirs[node], nd->host);
	if (r->min_replicas_to_write)
		sb_addf(out, "min-replicas-to-write %lld\n",
			r->min_replicas_to_write);
	if (node)
		sb_addf(out, "replicaof %s %lld\n", d->cfg->nodes[0].host,
			r->port);
	if (r->extra)
		json_array_foreach(r->extra, i, v)
			sb_addf(out, "%s\n", json_string_value(v));
}

static void sentinel_conf(struct db *d, size_t node, struct sb *out)
{
	struct redis *r = d->priv;
	const struct node *nd = &d->cfg->nodes[node];
	size_t i;

	sb_addf(out,
		"port %lld\n"
		"bind %s\n"
		"protected-mode no\n"
		"daemonize no\n"
		"set-proc-title no\n"
		"logfile \"\"\n"
		"dir %s\n"
		"sentinel announce-ip %s\n"
		"sentinel resolve-hostnames no\n"
		"sentinel monitor %s %s %lld %lld\n"
		"sentinel down-after-milliseconds %s %lld\n"
		"sentinel failover-timeout %s %lld\n"
		"sentinel parallel-syncs %s 1\n",
		r->sentinel_port, nd->host, d->dirs[node], nd->host,
		r->master_name, d->cfg->nodes[0].host, r->port, r->quorum,
		r->master_name, r->down_after_ms,
		r->master_name, r->failover_timeout_ms, r->master_name);
	/* Known at once, rather than from the primary's INFO (every 10 s). */
	for (i = 1; i < d->cfg->nnodes; i++)
		sb_addf(out, "sentinel known-replica %s %s %lld\n",
			r->master_name, d->cfg->nodes[i].host, r->port);
}

/* ===== Health ===== */

static void log_tail(struct db *d, size_t node, struct sb *err)
{
	static const char script[] =
		"for f in \"$@\"; do echo \"== $f\"; "
		"grep -E '# |WARNING|FATAL|Error|error' \"$f\" 2>/dev/null | "
		"head -n 4 | sed 's/^/  | /'; echo '  ...'; "
		"tail -n 8 \"$f\" 2>&1 | sed 's/^/  | /'; done";
	struct redis *r = d->priv;
	const char *args[] = { r->logs[node], r->sent_logs[node], NULL };
	struct transport_result res;
	struct sb ignore = SB_INIT;

	transport_result_init(&res);
	if (!transport_sh(d->t, node, script, args, 5000, &res, &ignore))
		sb_addf(err, "\nerrors and last lines of the logs on "
			"'%s':\n%s", d->cfg->nodes[node].name, res.out.buf);
	else
		sb_addf(err, "\n(cannot read the logs on '%s': %s)",
			d->cfg->nodes[node].name, ignore.buf);
	sb_release(&ignore);
	transport_result_release(&res);
}

/* Server of node ready: the primary counts every replica, a replica's
   link is up.  why says what is missing. */
static int server_ready(struct db *d, size_t node, struct sb *why)
{
	struct redis *r = d->priv;
	struct sb info = SB_INIT;
	char role[32], val[64];
	int ok = 0;

	sb_reset(why);
	if (redis__info(d->cfg->nodes[node].host, (int)r->port, 500, &info,
			why)) {
		sb_release(&info);
		return 0;
	}
	redis__info_field(info.buf, "role", role, sizeof(role));
	if (node == 0) {
		redis__info_field(info.buf, "connected_slaves", val,
				  sizeof(val));
		ok = !strcmp(role, "master") &&
			(size_t)atol(val) + 1 >= d->cfg->nnodes;
		if (!ok)
			sb_addf(why, "role %s, %s of %zu replicas connected",
				role, val[0] ? val : "0", d->cfg->nnodes - 1);
	} else {
		redis__info_field(info.buf, "master_link_status", val,
				  sizeof(val));
		ok = !strcmp(role, "slave") && !strcmp(val, "up");
		if (!ok)
			sb_addf(why, "role %s, master link %s", role,
				val[0] ? val : "?");
	}
	sb_release(&info);
	return ok;
}

/* The value of field in a flat SENTINEL MASTER answer, or NULL. */
static const char *pair_get(redisReply *a, const char *field)
{
	size_t i;

	for (i = 0; i + 1 < a->elements; i += 2)
		if (a->element[i]->type == REDIS_REPLY_STRING &&
		    !strcmp(a->element[i]->str, field) &&
		    a->element[i + 1]->type == REDIS_REPLY_STRING)
			return a->element[i + 1]->str;
	return NULL;
}

/* The Sentinel of node sees the master, n-1 replicas, n-1 Sentinels. */
static int sentinel_ready(struct db *d, size_t node, struct sb *why)
{
	struct redis *r = d->priv;
	redisContext *c;
	redisReply *a;
	int ok = 0;

	sb_reset(why);
	c = redis__connect(d->cfg->nodes[node].host, (int)r->sentinel_port,
			   500, why);
	if (!c)
		return 0;
	a = redisCommand(c, "SENTINEL MASTER %s", r->master_name);
	if (!a) {
		sb_addf(why, "SENTINEL MASTER: %s", c->errstr);
	} else if (a->type != REDIS_REPLY_ARRAY) {
		sb_addf(why, "SENTINEL MASTER: %s", a->type ==
			REDIS_REPLY_ERROR ? a->str : "unexpected answer");
	} else {
		const char *flags = pair_get(a, "flags");
		const char *sl = pair_get(a, "num-slaves");
		const char *se = pair_get(a, "num-other-sentinels");
		size_t want = d->cfg->nnodes - 1;

		ok = flags && !strcmp(flags, "master") && sl && se &&
			(size_t)atol(sl) >= want && (size_t)atol(se) >= want;
		if (!ok)
			sb_addf(why, "sentinel sees flags %s, %s of %zu "
				"replicas, %s of %zu other sentinels",
				flags ? flags : "?", sl ? sl : "?", want,
				se ? se : "?", want);
	}
	if (a)
		freeReplyObject(a);
	redisFree(c);
	return ok;
}

static int wait_healthy(struct db *d, struct sb *err)
{
	struct redis *r = d->priv;
	size_t n = d->cfg->nnodes, i, bad = 0;
	double deadline = ns_mono_s() + r->health_timeout_s, next_alive = 0;
	int *ok = xcalloc(2 * n, sizeof(int));
	struct sb why = SB_INIT, last = SB_INIT;
	int rc = 0;

	for (;;) {
		size_t left = 0;

		for (i = 0; i < 2 * n; i++) {
			if (!ok[i])
				ok[i] = i < n ? server_ready(d, i, &why) :
					sentinel_ready(d, i - n, &why);
			if (!ok[i]) {
				if (!left) {
					bad = i;
					sb_reset(&last);
					sb_adds(&last, why.buf);
				}
				left++;
			}
		}
		if (!left)
			break;
		/* A member that died will never be ready: say so now. */
		if (ns_mono_s() >= next_alive) {
			for (i = 0; i < n && !rc; i++) {
				long pid = 0;
				int alive = 1;

				rc = db_pid(d, i, &pid, err);
				if (!rc)
					rc = sentinel_alive(d, i, &alive,
							    err);
				if (!rc && (!pid || !alive)) {
					sb_addf(err, "redis %s on '%s' exited "
						"during set-up", !pid ?
						"server" : "sentinel",
						d->cfg->nodes[i].name);
					log_tail(d, i, err);
					rc = -NS_ESETUP;
				}
			}
			if (rc)
				break;
			next_alive = ns_mono_s() + 1;
		}
		if (ns_mono_s() >= deadline) {
			size_t node = bad % n;

			sb_addf(err, "redis %s on '%s' not ready after %g s: "
				"%s", bad < n ? "server" : "sentinel",
				d->cfg->nodes[node].name, r->health_timeout_s,
				last.buf);
			log_tail(d, node, err);
			rc = -NS_ESETUP;
			break;
		}
		usleep(200000);
	}
	free(ok);
	sb_release(&why);
	sb_release(&last);
	return rc;
}

/* ===== Setup, teardown, start ===== */

static int redis_setup(struct db *d, struct sb *err)
{
	size_t i, n = d->cfg->nnodes;
	int rc = resolve(d, err);

	for (i = 0; i < n && !rc; i++)
		rc = reset_node(d, i, 1, err);
	/* The primary (node 0) first; replicas and Sentinels retry. */
	for (i = 0; i < n && !rc; i++)
		rc = start_members(d, i, 1, err);
	if (!rc)
		rc = wait_healthy(d, err);
	return rc;
}

static int redis_teardown(struct db *d, struct sb *err)
{
	size_t i, n = d->cfg->nnodes;
	int rc = resolve(d, err), r2;

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		r2 = reset_node(d, i, 0, err);
		if (r2 && !rc)
			rc = r2;
	}
	return rc;
}

static int redis_start(struct db *d, size_t node, struct sb *err)
{
	int rc = resolve(d, err);

	return rc ? rc : start_members(d, node, 0, err);
}

/* ===== Primary ===== */

static int redis_primaries(struct db *d, size_t *out, size_t max,
			   size_t *n, struct sb *err)
{
	struct redis *r = d->priv;
	size_t nn = d->cfg->nnodes, i, answered = 0;
	size_t *votes = xcalloc(nn + 1, sizeof(*votes));
	struct sb info = SB_INIT;

	*n = 0;
	for (i = 0; i < nn; i++) {
		char host[64];
		int port, k;

		if (redis__sentinel_master(d->cfg->nodes[i].host,
					   (int)r->sentinel_port,
					   r->master_name, 500, host,
					   sizeof(host), &port, NULL))
			continue;
		answered++;
		k = redis__node_of(d->cfg, host);
		if (k >= 0 && port == (int)r->port)
			votes[k]++;
	}
	if (answered) {
		/* The node a majority of the answering Sentinels name. */
		for (i = 0; i < nn && *n < max; i++)
			if (2 * votes[i] > answered)
				out[(*n)++] = i;
	} else {
		for (i = 0; i < nn && *n < max; i++) {
			char role[32];

			if (redis__info(d->cfg->nodes[i].host, (int)r->port,
					500, &info, NULL))
				continue;
			redis__info_field(info.buf, "role", role,
					  sizeof(role));
			if (!strcmp(role, "master"))
				out[(*n)++] = i;
		}
	}
	free(votes);
	sb_release(&info);
	(void)err;
	return 0;
}

const struct db_type db_redis;

int redis__db_params(struct db *d, struct redis__params *p)
{
	struct redis *r;

	if (!d || d->type != &db_redis || !d->priv)
		return -1;
	r = d->priv;
	p->port = (int)r->port;
	p->sentinel_port = (int)r->sentinel_port;
	p->master_name = r->master_name;
	return 0;
}

const struct db_type db_redis = {
	.name = "redis",
	.help = "Redis 7 with Sentinel: a primary, replicas, a Sentinel "
		"per node",
	.init = redis_init,
	.setup = redis_setup,
	.teardown = redis_teardown,
	.start = redis_start,
	.primaries = redis_primaries,
	.paths = paths,
	.pidfile = redis_pidfile,
	.logs = redis_logs,
	.endpoint = redis_endpoint,
	.release = redis_release,
};
