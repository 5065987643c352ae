/*
 * postgres.c - the `session` workload: each worker is a client session
 * that writes rows on the PostgreSQL primary and reads them back from a
 * replica, checked with the session-guarantee and stale-read checkers.
 *
 * Connections (libpq): one persistent connection per worker to the
 * primary (writes) and one to its replica (reads: the worker's own node
 * when that node runs a replica, else replica worker mod replicas), with
 * connect_timeout, statement_timeout (server side) and TCP keepalives.
 * Each statement is sent asynchronously and awaited with poll() for at
 * most statement_timeout_ms + 2 s, so a stopped server cannot hang a
 * worker; a connection found broken is reopened before the next op.
 *
 * Table netsplit_session (k text primary key, v bigint, ver bigint),
 * created by worker 0 when the clients open; every worker then waits
 * until its replica has it.  Statements:
 *   write  INSERT INTO netsplit_session VALUES ($1, $2, 1)
 *          ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v,
 *          ver = netsplit_session.ver + 1 RETURNING ver      (primary)
 *   read   SELECT v, ver FROM netsplit_session WHERE k = $1  (replica)
 *
 * Versions.  ver is a per-key counter that the primary increments under
 * the row lock, so it orders every committed write of a key; a write's
 * version is the ver it returned, a read's the ver of the row it saw (0
 * for no row: the initial value nil).  Replication replays the primary's
 * commits in order, so a read that returns version r has seen exactly the
 * writes with versions <= r.  That makes the guarantees checkable by
 * version (checkers session and stale): read-your-writes (a read's
 * version below the session's last acknowledged write's), monotonic reads
 * (a read's version below an earlier read's), monotonic writes and
 * writes-follow-reads, and the staleness of each read in versions and ms.
 * Values are unique (worker + concurrency * counter + 1), so the value
 * order holds too.
 *
 * Outcomes.  A read that failed in any way changed nothing: fail.  A
 * write: ok with its version; a statement timeout (SQLSTATE 57014), a
 * connection lost after the statement was sent, a client-side timeout or
 * a shutdown (class 08, 57P) is info (it may have committed); any other
 * server error, including 25006 (read-only transaction: not a primary),
 * is fail; so is a connection that could not be opened (nothing sent).
 * A write whose commit stopped waiting for synchronous replication
 * (statement_timeout during the wait under remote_apply: PostgreSQL
 * commits locally, warns and reports success) is ok, with the error
 * "canceling wait for synchronous replication" (from a libpq notice
 * processor) so that a later replica read missing it can be told apart.
 * PostgreSQL turns a cancelled wait for synchronous replication into a
 * WARNING after the local commit: such a write is ok (it committed), and
 * reads from a replica may then miss it - which the checkers report.
 *
 * Generator.  As the register workload: workers form groups of
 * threads_per_key sharing a sequence of keys (k0, k1, ...), each worker
 * doing ceil(ops_per_key / threads_per_key) ops on a key before moving
 * on; each op is a read or a write drawn with the mix weights from the
 * worker's random stream (seed, worker).  No final reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "os.h"
#include "workloads/postgres-internal.h"
#include "workloads/workload.h"

#define PG_TABLE "netsplit_session"

struct sess {
	unsigned mix[2];	/* read, write */
	long long ops_per_key;
	long long threads_per_key;
	long long connect_timeout_s;
	long long statement_timeout_ms;
	size_t ngroups;
};

struct pgconn {
	PGconn *conn;
	char *conninfo;
	const char *node;	/* node name, for errors */
	int sync_cancelled;	/* the last statement's commit did not wait
				   for synchronous replication */
};

#define SYNC_CANCEL_NOTE "canceling wait for synchronous replication"

/*
 * Whether a server notice says a commit stopped waiting for synchronous
 * replication (statement_timeout or a cancel): PostgreSQL then commits
 * locally, warns, and reports success.
 */
int pg__sync_cancel_notice(const char *msg)
{
	return msg && strstr(msg, SYNC_CANCEL_NOTE) != NULL;
}

/* libpq notice processor of every connection: notes such a commit. */
static void pg_notice(void *arg, const char *msg)
{
	struct pgconn *pc = arg;

	if (pg__sync_cancel_notice(msg))
		pc->sync_cancelled = 1;
}

struct workload_client {
	struct workload *w;
	struct sess *s;
	struct pgconn prim, rep;
	struct workload_rng rng;
	size_t worker, member, group;
	size_t prim_i, rep_i;	/* node indexes of the primary, replica */
	uint64_t keyj, slot, per_key, counter;
};

/* ===== Config ===== */

static const char *const sess_keys[] = {
	"type", "mix", "ops_per_key", "threads_per_key",
	"connect_timeout_s", "statement_timeout_ms", NULL
};

static int sess_init(struct workload *w, struct sb *err)
{
	const struct config *c = w->cfg;
	const char *cf = c->path ? c->path : "config";
	json_t *o = c->workload, *mix;
	struct sess *s = xcalloc(1, sizeof(*s));
	int rc;

	s->mix[0] = s->mix[1] = 1;
	s->ops_per_key = 100;
	s->threads_per_key = 2;
	s->connect_timeout_s = 2;
	s->statement_timeout_ms = 1000;
	rc = cfg_check_keys(c, o, "workload", sess_keys, err);
	if (!rc && (mix = json_object_get(o, "mix"))) {
		static const char *const mix_keys[] = { "read", "write",
							NULL };
		long long v;
		int i;

		rc = json_is_object(mix) ? 0 : -NS_ECONFIG;
		if (rc)
			sb_addf(err, "%s: 'workload.mix': expected an object",
				cf);
		if (!rc)
			rc = cfg_check_keys(c, mix, "workload.mix", mix_keys,
					    err);
		for (i = 0; !rc && i < 2; i++) {
			v = s->mix[i];
			rc = cfg_get_int(c, mix, "workload.mix", mix_keys[i],
					 &v, err);
			if (!rc && (v < 0 || v > 1000000)) {
				sb_addf(err, "%s: 'workload.mix.%s': must be "
					"0..1000000", cf, mix_keys[i]);
				rc = -NS_ECONFIG;
			}
			s->mix[i] = (unsigned)v;
		}
		if (!rc && !s->mix[0] && !s->mix[1]) {
			sb_addf(err, "%s: 'workload.mix': every weight is 0",
				cf);
			rc = -NS_ECONFIG;
		}
	}
#define GET_RANGE(key, field, lo, hi)                                     \
	do {                                                              \
		if (!rc)                                                  \
			rc = cfg_get_int(c, o, "workload", key, &s->field,\
					 err);                            \
		if (!rc && (s->field < (lo) || s->field > (hi))) {        \
			sb_addf(err, "%s: 'workload.%s': must be "        \
				"%lld..%lld", cf, key, (long long)(lo),   \
				(long long)(hi));                         \
			rc = -NS_ECONFIG;                                 \
		}                                                         \
	} while (0)
	GET_RANGE("ops_per_key", ops_per_key, 1, 1000000000LL);
	GET_RANGE("threads_per_key", threads_per_key, 1, 1000);
	/* libpq: whole seconds, and 1 means 2. */
	GET_RANGE("connect_timeout_s", connect_timeout_s, 2, 3600);
	GET_RANGE("statement_timeout_ms", statement_timeout_ms, 1, 3600000);
#undef GET_RANGE
	if (rc) {
		free(s);
		return rc;
	}
	if ((size_t)s->threads_per_key > w->concurrency && w->concurrency)
		s->threads_per_key = (long long)w->concurrency;
	s->ngroups = w->concurrency ?
		(w->concurrency + (size_t)s->threads_per_key - 1) /
		(size_t)s->threads_per_key : 1;
	w->priv = s;
	return 0;
}

static void sess_release(struct workload *w)
{
	free(w->priv);
	w->priv = NULL;
}

/* ===== Connections ===== */

static char *conninfo(const struct sess *s, const char *endpoint,
		      size_t worker)
{
	struct sb ci = SB_INIT;

	sb_addf(&ci, "%s connect_timeout=%lld application_name=netsplit-w%zu"
		" options='-c statement_timeout=%lld' keepalives=1 "
		"keepalives_idle=5 keepalives_interval=2 keepalives_count=2 "
		"tcp_user_timeout=%lld", endpoint, s->connect_timeout_s,
		worker, s->statement_timeout_ms,
		s->statement_timeout_ms + 5000);
	return sb_detach(&ci, NULL);
}

/* Open (or reopen) pc: 0, or -1 with the reason in why. */
static int pg_connect(struct pgconn *pc, char *why, size_t n)
{
	if (pc->conn && PQstatus(pc->conn) == CONNECTION_OK)
		return 0;
	if (pc->conn)
		PQfinish(pc->conn);
	pc->conn = PQconnectdb(pc->conninfo);
	if (PQstatus(pc->conn) == CONNECTION_OK) {
		PQsetNoticeProcessor(pc->conn, pg_notice, pc);
		return 0;
	}
	snprintf(why, n, "cannot connect to '%s': %s", pc->node,
		 PQerrorMessage(pc->conn));
	PQfinish(pc->conn);
	pc->conn = NULL;
	return -1;
}

static void pg_drop(struct pgconn *pc)
{
	if (pc->conn)
		PQfinish(pc->conn);
	pc->conn = NULL;
}

static int64_t mono_ms(void)
{
	return (int64_t)(ns_mono_s() * 1000);
}

enum sent { NOT_SENT, SENT };

/*
 * Send sql with params on pc and wait (at most timeout_ms) for its
 * result.  Returns the result (the caller PQclear()s it), or NULL with
 * *how = NOT_SENT (nothing left) or SENT (may have run) and why set.
 */
static PGresult *exec_wait(struct pgconn *pc, const char *sql, int nparams,
			   const char *const *params, long long timeout_ms,
			   enum sent *how, char *why, size_t n)
{
	PGresult *res = NULL, *r;
	int64_t deadline = mono_ms() + timeout_ms;

	*how = NOT_SENT;
	if (pg_connect(pc, why, n))
		return NULL;
	if (!PQsendQueryParams(pc->conn, sql, nparams, NULL, params, NULL,
			       NULL, 0)) {
		*how = SENT;	/* part of it may have left */
		snprintf(why, n, "'%s': %s", pc->node,
			 PQerrorMessage(pc->conn));
		pg_drop(pc);
		return NULL;
	}
	*how = SENT;
	for (;;) {
		struct pollfd pfd;
		int64_t left;

		if (!PQconsumeInput(pc->conn)) {
			snprintf(why, n, "'%s': %s", pc->node,
				 PQerrorMessage(pc->conn));
			pg_drop(pc);
			return NULL;
		}
		if (!PQisBusy(pc->conn))
			break;
		left = deadline - mono_ms();
		if (left <= 0) {
			snprintf(why, n, "'%s': no answer in %lld ms "
				 "(client timeout)", pc->node, timeout_ms);
			pg_drop(pc);
			return NULL;
		}
		pfd.fd = PQsocket(pc->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			snprintf(why, n, "'%s': poll: %s", pc->node,
				 strerror(errno));
			pg_drop(pc);
			return NULL;
		}
	}
	/* The first result is the statement's; drain the rest. */
	while ((r = PQgetResult(pc->conn))) {
		if (!res)
			res = r;
		else
			PQclear(r);
	}
	if (!res) {
		snprintf(why, n, "'%s': no result", pc->node);
		pg_drop(pc);
		return NULL;
	}
	if (PQstatus(pc->conn) != CONNECTION_OK)
		pg_drop(pc);
	return res;
}

/* One statement outside the run (table set-up): 0 or -NS_ESETUP. */
static int setup_exec(struct pgconn *pc, const char *sql, PGresult **out,
		      struct sb *err)
{
	char why[512];
	enum sent how;
	PGresult *res = exec_wait(pc, sql, 0, NULL, 10000, &how, why,
				  sizeof(why));
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (!res || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)) {
		sb_addf(err, "session workload: %s on '%s': %s", sql,
			pc->node, res ? PQresultErrorMessage(res) : why);
		PQclear(res);
		return -NS_ESETUP;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

/* Create the table (worker 0) and wait until the replica has it. */
static int table_ready(struct workload_client *c, struct sb *err)
{
	int64_t deadline = mono_ms() + 15000;
	int rc = 0;

	if (c->worker == 0)
		rc = setup_exec(&c->prim, "CREATE TABLE IF NOT EXISTS "
				PG_TABLE " (k text PRIMARY KEY, v bigint NOT "
				"NULL, ver bigint NOT NULL)", NULL, err);
	while (!rc) {
		PGresult *res = NULL;
		int there;

		rc = setup_exec(&c->rep, "SELECT to_regclass('" PG_TABLE
				"') IS NOT NULL", &res, err);
		if (rc)
			break;
		there = PQntuples(res) == 1 &&
			!strcmp(PQgetvalue(res, 0, 0), "t");
		PQclear(res);
		if (there)
			break;
		if (mono_ms() > deadline) {
			sb_addf(err, "session workload: table " PG_TABLE
				" never reached the replica on '%s' (15 s)",
				c->rep.node);
			rc = -NS_ESETUP;
			break;
		}
		usleep(50000);
	}
	return rc;
}

/* ===== Client ===== */

static void sess_client_close(struct workload_client *c)
{
	if (!c)
		return;
	pg_drop(&c->prim);
	pg_drop(&c->rep);
	free(c->prim.conninfo);
	free(c->rep.conninfo);
	free(c);
}

static int sess_client_open(struct workload *w, size_t worker, size_t node,
			    uint64_t seed, struct workload_client **cp,
			    struct sb *err)
{
	struct sess *s = w->priv;
	struct workload_client *c;
	size_t prim, rep;
	int rc;

	*cp = NULL;
	if (!w->db || !pg__nreplicas(w->db)) {
		sb_addf(err, "session workload: needs the postgres database");
		return -NS_EINTERNAL;
	}
	prim = pg__primary(w->db);
	rep = pg__role(w->db, node) == PG__REPLICA ? node :
		pg__replica(w->db, worker % pg__nreplicas(w->db));
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->s = s;
	c->worker = worker;
	c->prim.conninfo = conninfo(s, db_endpoint(w->db, prim), worker);
	c->prim.node = w->cfg->nodes[prim].name;
	c->rep.conninfo = conninfo(s, db_endpoint(w->db, rep), worker);
	c->rep.node = w->cfg->nodes[rep].name;
	c->prim_i = prim;
	c->rep_i = rep;
	workload_rng_seed(&c->rng, seed, worker);
	c->member = worker % (size_t)s->threads_per_key;
	c->group = worker / (size_t)s->threads_per_key;
	c->per_key = ((uint64_t)s->ops_per_key +
		      (uint64_t)s->threads_per_key - 1) /
		(uint64_t)s->threads_per_key;
	rc = table_ready(c, err);
	if (rc) {
		sess_client_close(c);
		return rc;
	}
	*cp = c;
	return 0;
}

static void sess_next(struct workload_client *c, struct workload_op *op)
{
	struct sess *s = c->s;

	if (c->slot >= c->per_key) {
		c->slot = 0;
		c->keyj++;
	}
	snprintf(op->key, sizeof(op->key), "k%" PRIu64,
		 c->group + c->keyj * c->s->ngroups);
	if (workload_rng_below(&c->rng, s->mix[0] + s->mix[1]) <
	    s->mix[0]) {
		op->f = "read";
		op->value = json_null();
		op->node = c->rep_i;
	} else {
		op->f = "write";
		op->node = c->prim_i;
		op->value = json_integer((json_int_t)(
			c->worker + c->w->concurrency * c->counter++ + 1));
	}
	op->node_set = 1;	/* the node the op goes to, not the home */
	c->slot++;
}

static int sess_final(struct workload_client *c, struct workload_op *op)
{
	return 0;
}

/* Whether a server error on a write leaves its outcome unknown. */
static int write_unknown(const char *sqlstate)
{
	return !strcmp(sqlstate, "57014") ||	/* statement timeout */
	       !strncmp(sqlstate, "08", 2) ||	/* connection exception */
	       !strncmp(sqlstate, "57P", 3);	/* shutdown, crash */
}

static void do_read(struct workload_client *c, struct workload_op *op)
{
	static const char sql[] =
		"SELECT v, ver FROM " PG_TABLE " WHERE k = $1";
	const char *params[] = { op->key };
	char why[sizeof(op->error)];
	enum sent how;
	PGresult *res;

	res = exec_wait(&c->rep, sql, 1, params,
			c->s->statement_timeout_ms + 2000, &how, why,
			sizeof(why));
	op->type = HIST_FAIL;
	if (!res) {
		op->unreachable = how == NOT_SENT;
		workload_op_errorf(op, "%s", why);
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		workload_op_errorf(op, "%s: %s", st ? st : "error",
			  PQresultErrorMessage(res));
	} else if (PQntuples(res) == 0) {
		op->type = HIST_OK;
		op->out = json_null();
		op->version = 0;
		op->has_version = 1;
	} else {
		op->type = HIST_OK;
		op->out = json_integer((json_int_t)strtoll(
			PQgetvalue(res, 0, 0), NULL, 10));
		op->version = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		op->has_version = 1;
	}
	PQclear(res);
}

static void do_write(struct workload_client *c, struct workload_op *op)
{
	static const char sql[] =
		"INSERT INTO " PG_TABLE " (k, v, ver) VALUES ($1, $2, 1) "
		"ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, "
		"ver = " PG_TABLE ".ver + 1 RETURNING ver";
	char val[32], why[sizeof(op->error)];
	const char *params[] = { op->key, val };
	enum sent how;
	PGresult *res;
	const char *st;

	snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(op->value));
	c->prim.sync_cancelled = 0;
	res = exec_wait(&c->prim, sql, 2, params,
			c->s->statement_timeout_ms + 2000, &how, why,
			sizeof(why));
	if (!res) {
		op->type = how == SENT ? HIST_INFO : HIST_FAIL;
		op->unreachable = how == NOT_SENT;
		workload_op_errorf(op, "%s", why);
		return;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		op->type = HIST_OK;
		op->version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		op->has_version = 1;
		if (c->prim.sync_cancelled)
			workload_op_errorf(op, SYNC_CANCEL_NOTE);
		PQclear(res);
		return;
	}
	st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* No SQLSTATE: libpq's own error (the connection broke). */
	op->type = !st || write_unknown(st) ? HIST_INFO : HIST_FAIL;
	workload_op_errorf(op, "%s: %s", st ? st : "connection",
		  PQresultErrorMessage(res));
	PQclear(res);
}

static void sess_invoke(struct workload_client *c, struct workload_op *op)
{
	op->has_version = 0;
	op->error[0] = '\0';
	op->unreachable = 0;
	json_decref(op->out);
	op->out = NULL;
	if (!strcmp(op->f, "read"))
		do_read(c, op);
	else
		do_write(c, op);
}

static const char *const sess_checkers[] = { "session", "stale", NULL };

const struct workload_type workload_session = {
	.name = "session",
	.help = "PostgreSQL sessions: write on the primary, read back from "
		"a replica",
	.db = "postgres",
	.checkers = sess_checkers,
	.model = "register",
	.init = sess_init,
	.client_open = sess_client_open,
	.client_close = sess_client_close,
	.next = sess_next,
	.invoke = sess_invoke,
	.final = sess_final,
	.release = sess_release,
};
