/*
 * postgres-db.c - the `postgres` database plug-in: a PostgreSQL primary
 * on the first node and asynchronous streaming replicas on the next
 * db.replicas nodes (default 1: on a 3-node cluster the third node runs
 * no PostgreSQL; `"replicas": 2` puts a second replica there).
 *
 * Each instance lives in DIR = (node.dir or $HOME)/postgres: data in
 * DIR/data (owned by postgres, 0700), its Unix socket in DIR/run (one
 * directory per instance: network namespaces share /run/postgresql), log
 * DIR/postgres.log, and DIR/postgres.pid holding the postmaster's pid
 * (the first line of data/postmaster.pid, for core/db.c's kill, pause,
 * resume).  Every instance listens on the node's address (`*` when the
 * host is a name) and db.port.  The programs come from db.bindir, else
 * the newest /usr/lib/postgresql/N/bin on the node.  PostgreSQL refuses
 * to run as root: when the SSH user is root, initdb, pg_ctl, pg_basebackup
 * and psql run as the postgres user (`runuser -u postgres --`).
 *
 * Remote commands (sh scripts through the transport, data passed as
 * arguments) and how they are undone:
 *   setup     stop (below) what an earlier run left, rm -rf DIR/data
 *             DIR/run DIR/postgres.pid DIR/postgres.log; then
 *     primary initdb -D DIR/data -A trust -U postgres -N; append to
 *             postgresql.conf (listen_addresses, port,
 *             unix_socket_directories, wal_level replica, hot_standby,
 *             synchronous_commit, synchronous_standby_names,
 *             cluster_name, db.settings) and to pg_hba.conf
 *             `host all all ADDR trust` and `host replication all ADDR
 *             trust` (ADDR = db.hba_address, default samenet); start;
 *     replica pg_basebackup -h PRIMARY -p PORT -U postgres -D DIR/data
 *             -R -X stream -c fast -N -C -S netsplit_<node> (-R writes
 *             standby.signal and primary_conninfo, -C -S a replication
 *             slot on the primary); append listen_addresses,
 *             unix_socket_directories and cluster_name of its own (the
 *             copy carries the primary's); start  (undone by teardown)
 *   start     pg_ctl -D DIR/data -l DIR/postgres.log -w start, then the
 *             pid file from data/postmaster.pid      (undone by kill)
 *   stop      pg_ctl -D DIR/data -m immediate -w stop, then kill -9 a
 *             postmaster that survived (only if its command line names
 *             DIR/data)
 *   kill, pause, resume: the pid-file defaults of core/db.c
 *   teardown  stop, rm -rf DIR/data DIR/run DIR/postgres.pid (the log
 *             stays for the run directory)
 *   replica-lag (fault_script): postgres-fault.c
 * Readiness is asked from the controller with libpq: set-up waits (at
 * most db.setup_timeout_s) until the primary's pg_stat_replication shows
 * every replica `streaming` (by cluster_name = node name) and every
 * replica answers pg_is_in_recovery() = true; otherwise -NS_ESETUP names
 * the replica and shows the tail of its log.  primaries(): the instances
 * answering pg_is_in_recovery() = false.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "workloads/db-util.h"
#include "os.h"
#include "workloads/postgres-internal.h"

#define PG_CMD_TIMEOUT_MS 60000

struct pg {
	long long port;
	long long replicas;
	double setup_timeout_s;
	const char *bindir;		/* "" = newest /usr/lib/postgresql */
	const char *sync_commit;
	const char *sync_names;		/* NULL: from sync_commit */
	const char *hba_address;
	json_t *settings;		/* borrowed object, or NULL */
	char **endpoints;		/* conninfo per instance node */
	char **pidfiles, **logs;	/* per node, after resolve */
	unsigned char *made;		/* per node: set-up began its log */
};

/* ===== Layout ===== */

enum pg__role pg__role(const struct db *d, size_t node)
{
	const struct pg *p = d->priv;

	if (d->type != &db_postgres || !p || node >= d->cfg->nnodes)
		return PG__NONE;
	if (node == 0)
		return PG__PRIMARY;
	return node <= (size_t)p->replicas ? PG__REPLICA : PG__NONE;
}

size_t pg__nreplicas(const struct db *d)
{
	const struct pg *p = d->priv;

	return d->type == &db_postgres && p ? (size_t)p->replicas : 0;
}

size_t pg__replica(const struct db *d, size_t k)
{
	return 1 + k;
}

size_t pg__primary(const struct db *d)
{
	return 0;
}

long long pg__port(const struct db *d)
{
	const struct pg *p = d->priv;

	return p->port;
}

const char *pg__bindir(const struct db *d)
{
	const struct pg *p = d->priv;

	return p->bindir;
}

/* ===== Config ===== */

static int name_ok(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' ||
		      strchr(extra, *s)))
			return 0;
	return 1;
}

static int check_settings(const struct config *c, json_t *o,
			  struct sb *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o)) {
		sb_addf(err, "%s: 'db.settings': expected an object of "
			"postgresql.conf settings", db__cfgname(c));
		return -NS_ECONFIG;
	}
	json_object_foreach(o, k, v) {
		if (!name_ok(k, ".")) {
			sb_addf(err, "%s: 'db.settings.%s': not a setting "
				"name", db__cfgname(c), k);
			return -NS_ECONFIG;
		}
		if (!json_is_string(v) && !json_is_number(v) &&
		    !json_is_boolean(v)) {
			sb_addf(err, "%s: 'db.settings.%s': expected a "
				"string, number or boolean", db__cfgname(c), k);
			return -NS_ECONFIG;
		}
	}
	return 0;
}

static int pg_init(struct db *d, struct sb *err)
{
	static const char *const keys[] = {
		"type", "port", "replicas", "synchronous_commit",
		"synchronous_standby_names", "hba_address", "bindir",
		"setup_timeout_s", "settings", NULL
	};
	static const char *const commits[] = {
		"off", "local", "remote_write", "on", "remote_apply", NULL
	};
	const struct config *c = d->cfg;
	json_t *o = c->db;
	struct pg *p = xcalloc(1, sizeof(*p));
	size_t i;
	int rc, known = 0;

	p->port = 5432;
	p->replicas = 1;
	p->setup_timeout_s = 30;
	p->bindir = "";
	p->sync_commit = "on";
	p->hba_address = "samenet";
	rc = cfg_check_keys(c, o, "db", keys, err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "port", &p->port, err);
	if (!rc)
		rc = cfg_get_int(c, o, "db", "replicas", &p->replicas, err);
	if (!rc)
		rc = cfg_get_str(c, o, "db", "synchronous_commit",
				 &p->sync_commit, err);
	if (!rc && json_object_get(o, "synchronous_standby_names"))
		rc = cfg_get_str(c, o, "db", "synchronous_standby_names",
				 &p->sync_names, err);
	if (!rc)
		rc = cfg_get_str(c, o, "db", "hba_address", &p->hba_address,
				 err);
	if (!rc)
		rc = cfg_get_str(c, o, "db", "bindir", &p->bindir, err);
	if (!rc)
		rc = cfg_get_double(c, o, "db", "setup_timeout_s",
				    &p->setup_timeout_s, err);
	if (!rc && (p->settings = json_object_get(o, "settings")))
		rc = check_settings(c, p->settings, err);
	if (!rc && (p->port < 1 || p->port > 65535)) {
		sb_addf(err, "%s: 'db.port': must be 1..65535", db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && c->nnodes < 2) {
		sb_addf(err, "%s: 'nodes': the postgres database needs at "
			"least 2 nodes (a primary and a replica)",
			db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && (p->replicas < 1 ||
		    (size_t)p->replicas > c->nnodes - 1)) {
		sb_addf(err, "%s: 'db.replicas': must be 1..%zu (one "
			"primary, the rest of the nodes at most)",
			db__cfgname(c), c->nnodes - 1);
		rc = -NS_ECONFIG;
	}
	for (i = 0; !rc && commits[i]; i++)
		known |= !strcmp(commits[i], p->sync_commit);
	if (!rc && !known) {
		sb_addf(err, "%s: 'db.synchronous_commit': expected off, "
			"local, remote_write, on or remote_apply, not '%s'",
			db__cfgname(c), p->sync_commit);
		rc = -NS_ECONFIG;
	}
	if (!rc && p->sync_names && strchr(p->sync_names, '\'')) {
		sb_addf(err, "%s: 'db.synchronous_standby_names': must not "
			"contain a quote", db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (!rc && !name_ok(p->hba_address, ".:/")) {
		sb_addf(err, "%s: 'db.hba_address': expected a pg_hba.conf "
			"address (samenet, all, 10.0.0.0/8...), not '%s'",
			db__cfgname(c), p->hba_address);
		rc = -NS_ECONFIG;
	}
	if (!rc && p->setup_timeout_s <= 0) {
		sb_addf(err, "%s: 'db.setup_timeout_s': must be positive",
			db__cfgname(c));
		rc = -NS_ECONFIG;
	}
	if (rc) {
		free(p);
		return rc;
	}
	p->endpoints = xcalloc(c->nnodes, sizeof(char *));
	p->made = xcalloc(c->nnodes, 1);
	for (i = 0; i <= (size_t)p->replicas; i++) {
		struct sb s = SB_INIT;

		sb_addf(&s, "host=%s port=%lld user=postgres "
			"dbname=postgres", c->nodes[i].host, p->port);
		p->endpoints[i] = sb_detach(&s, NULL);
	}
	d->priv = p;
	return 0;
}

static void pg_release(struct db *d)
{
	struct pg *p = d->priv;
	size_t n = d->cfg->nnodes;

	if (!p)
		return;
	db__strv_free(p->endpoints, n);
	db__strv_free(p->pidfiles, n);
	db__strv_free(p->logs, n);
	free(p->made);
	free(p);
	d->priv = NULL;
}

/* db_type.paths: the pid file and log paths from d->dirs (idempotent). */
static int paths(struct db *d, struct sb *err)
{
	struct pg *p = d->priv;
	size_t i, n = d->cfg->nnodes;

	if (p->pidfiles)
		return 0;
	p->pidfiles = xcalloc(n, sizeof(char *));
	p->logs = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		p->pidfiles[i] = db__path_in(d->dirs[i], "postgres.pid");
		p->logs[i] = db__path_in(d->dirs[i], "postgres.log");
	}
	return 0;
}

/* The working directories, then paths() (through db_resolve()). */
static int resolve(struct db *d, struct sb *err)
{
	return db_resolve(d, err);
}

static const char *pg_pidfile(struct db *d, size_t node)
{
	struct pg *p = d->priv;

	return p->pidfiles ? p->pidfiles[node] : NULL;
}

static size_t pg_logs(struct db *d, size_t node, const char **out,
		      size_t max)
{
	struct pg *p = d->priv;

	/* Only logs set-up began: no warning about a replica never made. */
	if (!p->logs || !max || !p->made[node])
		return 0;
	out[0] = p->logs[node];
	return 1;
}

static const char *pg_endpoint(struct db *d, size_t node)
{
	struct pg *p = d->priv;

	return p->endpoints[node];
}

/* ===== Remote scripts ===== */

/*
 * Every script starts with $1 = bindir ("" = newest installed) and $2 =
 * DIR; sets b (the bin dir) and defines as_pg (run as postgres when
 * root) and own (chown to postgres when root).
 */
#define PRELUDE                                                           \
	"b=$1; d=$2; shift 2; "                                           \
	"[ -n \"$b\" ] || b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null "\
	"| sort -V | tail -n 1); "                                        \
	"if [ \"$(id -u)\" = 0 ]; then "                                  \
	"as_pg() { runuser -u postgres -- \"$@\"; }; "                    \
	"own() { chown postgres:postgres \"$@\"; }; "                     \
	"else as_pg() { \"$@\"; }; own() { :; }; fi; "

#define NEED_BIN                                                          \
	"[ -x \"$b/postgres\" ] || { echo \"no PostgreSQL server in "     \
	"'${b:-/usr/lib/postgresql/*/bin}'\" >&2; exit 1; }; "

/* Show the log's tail on stderr and fail. */
#define FAIL_LOG(what)                                                    \
	"{ echo '" what " failed; last lines of '\"$d/postgres.log\"':' "\
	">&2; tail -n 15 \"$d/postgres.log\" >&2; exit 1; }"

static const char stop_script[] =
	PRELUDE
	"if [ -x \"$b/pg_ctl\" ] && [ -f \"$d/data/postmaster.pid\" ]; then "
	"as_pg \"$b/pg_ctl\" -D \"$d/data\" -m immediate -w -t 10 stop "
	">/dev/null 2>&1; fi; "
	"p=$(head -n 1 \"$d/data/postmaster.pid\" 2>/dev/null); "
	"case \"$p\" in ''|*[!0-9]*) ;; *) "
	"if tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null | "
	"grep -qF -- \"$d/data\"; then kill -9 \"$p\"; fi;; esac; "
	"exit 0";

static const char wipe_script[] =
	PRELUDE
	"cd \"$d\" || exit 1; rm -rf data run postgres.pid; "
	"[ \"$1\" = 1 ] && rm -f postgres.log; exit 0";

/* $3 postgresql.conf lines, $4 pg_hba.conf lines. */
static const char init_primary_script[] =
	PRELUDE NEED_BIN
	"mkdir -p \"$d/data\" \"$d/run\" && chmod 700 \"$d/data\" && "
	": >>\"$d/postgres.log\" && "
	"own \"$d\" \"$d/data\" \"$d/run\" \"$d/postgres.log\" || exit 1; "
	"as_pg \"$b/initdb\" -D \"$d/data\" -A trust -U postgres -N "
	"-E UTF8 --locale=C >>\"$d/postgres.log\" 2>&1 || "
	FAIL_LOG("initdb") "; "
	"printf '%s\\n' \"$1\" >>\"$d/data/postgresql.conf\" && "
	"printf '%s\\n' \"$2\" >>\"$d/data/pg_hba.conf\"";

/* $3 primary host, $4 port, $5 slot, $6 postgresql.conf lines. */
static const char init_replica_script[] =
	PRELUDE NEED_BIN
	"mkdir -p \"$d/run\" && : >>\"$d/postgres.log\" && "
	"own \"$d\" \"$d/run\" \"$d/postgres.log\" || exit 1; "
	"as_pg \"$b/pg_basebackup\" -h \"$1\" -p \"$2\" -U postgres "
	"-D \"$d/data\" -R -X stream -c fast -N -C -S \"$3\" "
	">>\"$d/postgres.log\" 2>&1 || " FAIL_LOG("pg_basebackup") "; "
	"chmod 700 \"$d/data\" && "
	"printf '%s\\n' \"$4\" >>\"$d/data/postgresql.conf\"";

const char pg__start_script[] =
	PRELUDE NEED_BIN
	DB__REFUSE_RUNNING("\"$d/postgres.pid\"", "postgres")
	"rm -f \"$d/postgres.pid\"; "
	"as_pg \"$b/pg_ctl\" -D \"$d/data\" -l \"$d/postgres.log\" -w "
	"-t 30 start </dev/null >/dev/null 2>&1 || " FAIL_LOG("pg_ctl start")
	"; head -n 1 \"$d/data/postmaster.pid\" >\"$d/postgres.pid\"";

static int run_script(struct db *d, size_t node, const char *what,
		      const char *script, const char *const *more,
		      int setup_error, struct sb *err)
{
	struct pg *p = d->priv;
	const char *args[DB_FAULT_MAX_ARGS + 3];
	struct transport_result res;
	size_t n = 0;
	int rc;

	args[n++] = p->bindir;
	args[n++] = d->dirs[node];
	while (more && *more && n < DB_FAULT_MAX_ARGS + 2)
		args[n++] = *more++;
	args[n] = NULL;
	transport_result_init(&res);
	rc = transport_sh(d->t, node, script, args, PG_CMD_TIMEOUT_MS, &res,
			  err);
	if (!rc && !transport_result_ok(&res)) {
		const char *argv[] = { what, NULL };

		transport_result_error(&res, d->cfg->nodes[node].name, argv,
				       err);
		rc = setup_error ? -NS_ESETUP : -NS_EREMOTE;
	}
	transport_result_release(&res);
	return rc;
}

/* ===== postgresql.conf ===== */

static void conf_str(struct sb *s, const char *key, const char *val)
{
	sb_addf(s, "%s = '", key);
	for (; *val; val++) {
		if (*val == '\'' || *val == '\\')
			sb_addc(s, *val);
		sb_addc(s, *val);
	}
	sb_adds(s, "'\n");
}

static const char *listen_on(const struct node *nd)
{
	return db__is_ipv4(nd->host) ? nd->host : "*";
}

/* The settings every instance gets (the replicas' copy, then theirs). */
static void primary_conf(struct db *d, struct sb *s)
{
	struct pg *p = d->priv;
	struct sb sock = SB_INIT, names = SB_INIT;
	const char *k;
	json_t *v;

	sb_adds(s, "\n# netsplit\n");
	conf_str(s, "listen_addresses", listen_on(&d->cfg->nodes[0]));
	sb_addf(s, "port = %lld\n", p->port);
	sb_addf(&sock, "%s/run", d->dirs[0]);
	conf_str(s, "unix_socket_directories", sock.buf);
	conf_str(s, "cluster_name", d->cfg->nodes[0].name);
	sb_adds(s, "wal_level = replica\nhot_standby = on\n"
		"max_wal_senders = 10\nmax_replication_slots = 10\n"
		"shared_buffers = 32MB\nlogging_collector = off\n");
	conf_str(s, "synchronous_commit", p->sync_commit);
	if (p->sync_names)
		sb_adds(&names, p->sync_names);
	else if (!strcmp(p->sync_commit, "remote_apply") ||
		 !strcmp(p->sync_commit, "remote_write"))
		sb_addf(&names, "ANY %lld (*)", p->replicas);
	conf_str(s, "synchronous_standby_names", names.buf);
	if (p->settings)
		json_object_foreach(p->settings, k, v) {
			if (json_is_string(v))
				conf_str(s, k, json_string_value(v));
			else if (json_is_boolean(v))
				sb_addf(s, "%s = %s\n", k,
					json_is_true(v) ? "on" : "off");
			else if (json_is_integer(v))
				sb_addf(s, "%s = %" JSON_INTEGER_FORMAT "\n",
					k, json_integer_value(v));
			else
				sb_addf(s, "%s = %g\n", k,
					json_number_value(v));
		}
	sb_release(&sock);
	sb_release(&names);
}

static void replica_conf(struct db *d, size_t node, struct sb *s)
{
	struct sb sock = SB_INIT;

	sb_adds(s, "\n# netsplit: this replica's own\n");
	conf_str(s, "listen_addresses", listen_on(&d->cfg->nodes[node]));
	sb_addf(&sock, "%s/run", d->dirs[node]);
	conf_str(s, "unix_socket_directories", sock.buf);
	conf_str(s, "cluster_name", d->cfg->nodes[node].name);
	sb_release(&sock);
}

/* Replication slot name for node i: netsplit_<name>, [a-z0-9_] only. */
static void slot_name(const struct node *nd, struct sb *s)
{
	const char *c;

	sb_adds(s, "netsplit_");
	for (c = nd->name; *c && s->len < 60; c++) {
		char ch = *c;

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		sb_addc(s, (ch >= 'a' && ch <= 'z') ||
			   (ch >= '0' && ch <= '9') ? ch : '_');
	}
}

/* ===== libpq from the controller ===== */

/*
 * Run sql on node's instance; the first column of the first row into
 * out (empty when no row).  0, or -1 with why set.
 */
static int pg_ask(struct db *d, size_t node, const char *sql,
		  struct sb *out, struct sb *why)
{
	struct pg *p = d->priv;
	struct sb ci = SB_INIT;
	PGconn *conn;
	PGresult *res;
	int rc = -1;

	sb_reset(out);
	sb_reset(why);
	sb_addf(&ci, "%s connect_timeout=2 application_name=netsplit "
		"options='-c statement_timeout=2000'", p->endpoints[node]);
	conn = PQconnectdb(ci.buf);
	if (PQstatus(conn) != CONNECTION_OK) {
		sb_addf(why, "cannot connect: %s", PQerrorMessage(conn));
		goto out;
	}
	res = PQexec(conn, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (PQntuples(res) > 0)
			sb_adds(out, PQgetvalue(res, 0, 0));
		rc = 0;
	} else {
		sb_addf(why, "%s", PQresultErrorMessage(res));
	}
	PQclear(res);
out:
	while (why->len && (why->buf[why->len - 1] == '\n'))
		why->buf[--why->len] = '\0';
	PQfinish(conn);
	sb_release(&ci);
	return rc;
}

static void log_tail(struct db *d, size_t node, struct sb *err)
{
	struct pg *p = d->priv;
	const char *args[] = { p->logs[node], NULL };
	struct transport_result res;
	struct sb ignore = SB_INIT;
	static const char script[] =
		"tail -n 15 \"$1\" 2>&1 | sed 's/^/  | /'";

	transport_result_init(&res);
	if (!transport_sh(d->t, node, script, args, 5000, &res, &ignore))
		sb_addf(err, "\nlast lines of %s on '%s':\n%s",
			p->logs[node], d->cfg->nodes[node].name,
			res.out.buf);
	else
		sb_addf(err, "\n(cannot read %s on '%s': %s)", p->logs[node],
			d->cfg->nodes[node].name, ignore.buf);
	sb_release(&ignore);
	transport_result_release(&res);
}

/* Wait until every replica streams from the primary and serves reads. */
static int wait_streaming(struct db *d, struct sb *err)
{
	struct pg *p = d->priv;
	double deadline = ns_mono_s() + p->setup_timeout_s;
	struct sb out = SB_INIT, why = SB_INIT, sql = SB_INIT;
	size_t k, bad = 0;
	int rc = 0;

	for (;;) {
		int all = 1;

		for (k = 0; k < (size_t)p->replicas && all; k++) {
			size_t node = pg__replica(d, k);

			sb_reset(&sql);
			sb_adds(&sql, "SELECT count(*) FROM pg_stat_replication"
				" WHERE state = 'streaming' AND "
				"application_name = '");
			sb_adds(&sql, d->cfg->nodes[node].name);
			sb_adds(&sql, "'");
			/* node names come from the config: no quotes */
			if (strchr(d->cfg->nodes[node].name, '\'') ||
			    pg_ask(d, 0, sql.buf, &out, &why) ||
			    strcmp(out.buf, "1")) {
				if (!why.len)
					sb_addf(&why, "not streaming from "
						"'%s' (pg_stat_replication)",
						d->cfg->nodes[0].name);
				all = 0;
				bad = node;
				break;
			}
			if (pg_ask(d, node, "SELECT pg_is_in_recovery()",
				   &out, &why) || strcmp(out.buf, "t")) {
				if (!why.len)
					sb_addf(&why, "pg_is_in_recovery() "
						"is '%s'", out.buf);
				all = 0;
				bad = node;
			}
		}
		if (all)
			break;
		if (ns_mono_s() >= deadline) {
			sb_addf(err, "postgres replica on '%s' not streaming "
				"after %g s: %s", d->cfg->nodes[bad].name,
				p->setup_timeout_s, why.buf);
			log_tail(d, bad, err);
			rc = -NS_ESETUP;
			break;
		}
		usleep(100000);
	}
	sb_release(&out);
	sb_release(&why);
	sb_release(&sql);
	return rc;
}

/* ===== Setup, start, teardown ===== */

static int start_instance(struct db *d, size_t node, struct sb *err)
{
	return run_script(d, node, "pg_ctl start", pg__start_script, NULL, 1,
			  err);
}

static int pg_start(struct db *d, size_t node, struct sb *err)
{
	int rc = resolve(d, err);

	if (rc || pg__role(d, node) == PG__NONE)
		return rc;
	return start_instance(d, node, err);
}

static int stop_and_wipe(struct db *d, size_t node, int logs_too,
			 struct sb *err)
{
	const char *more[] = { logs_too ? "1" : "0", NULL };
	int rc;

	rc = run_script(d, node, "pg_ctl stop", stop_script, NULL, 0, err);
	if (!rc)
		rc = run_script(d, node, "remove postgres data", wipe_script,
				more, 0, err);
	return rc;
}

static int pg_setup(struct db *d, struct sb *err)
{
	struct pg *p = d->priv;
	size_t i, n = d->cfg->nnodes;
	struct sb conf = SB_INIT, hba = SB_INIT, port = SB_INIT;
	int rc = resolve(d, err);

	for (i = 0; i < n && !rc; i++)
		rc = stop_and_wipe(d, i, 1, err);
	if (rc)
		goto out;
	primary_conf(d, &conf);
	sb_addf(&hba, "\n# netsplit\nhost all all %s trust\n"
		"host replication all %s trust", p->hba_address,
		p->hba_address);
	{
		const char *more[] = { conf.buf, hba.buf, NULL };

		p->made[0] = 1;
		rc = run_script(d, 0, "initdb", init_primary_script, more, 1,
				err);
	}
	if (!rc)
		rc = start_instance(d, 0, err);
	sb_addf(&port, "%lld", p->port);
	for (i = 0; !rc && i < (size_t)p->replicas; i++) {
		size_t node = pg__replica(d, i);
		struct sb slot = SB_INIT, rconf = SB_INIT;
		const char *more[5];

		slot_name(&d->cfg->nodes[node], &slot);
		replica_conf(d, node, &rconf);
		more[0] = d->cfg->nodes[0].host;
		more[1] = port.buf;
		more[2] = slot.buf;
		more[3] = rconf.buf;
		more[4] = NULL;
		p->made[node] = 1;
		rc = run_script(d, node, "pg_basebackup", init_replica_script,
				more, 1, err);
		if (!rc)
			rc = start_instance(d, node, err);
		sb_release(&slot);
		sb_release(&rconf);
	}
	if (!rc)
		rc = wait_streaming(d, err);
out:
	sb_release(&conf);
	sb_release(&hba);
	sb_release(&port);
	return rc;
}

static int pg_teardown(struct db *d, struct sb *err)
{
	size_t i, n = d->cfg->nnodes;
	int rc = resolve(d, err), r;

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		r = stop_and_wipe(d, i, 0, err);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

/* ===== Primaries ===== */

static int pg_primaries(struct db *d, size_t *out, size_t max, size_t *n,
			struct sb *err)
{
	struct sb ans = SB_INIT, why = SB_INIT;
	size_t i;

	*n = 0;
	for (i = 0; i < d->cfg->nnodes; i++) {
		if (pg__role(d, i) == PG__NONE)
			continue;
		if (!pg_ask(d, i, "SELECT pg_is_in_recovery()", &ans, &why) &&
		    !strcmp(ans.buf, "f") && *n < max)
			out[(*n)++] = i;
	}
	sb_release(&ans);
	sb_release(&why);
	(void)err;
	return 0;
}

const struct db_type db_postgres = {
	.name = "postgres",
	.help = "PostgreSQL 15: a primary and asynchronous streaming "
		"replicas",
	.init = pg_init,
	.setup = pg_setup,
	.teardown = pg_teardown,
	.start = pg_start,
	.primaries = pg_primaries,
	.paths = paths,
	.pidfile = pg_pidfile,
	.logs = pg_logs,
	.endpoint = pg_endpoint,
	.fault_script = pg__fault_script,
	.release = pg_release,
};
