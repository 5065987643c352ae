/*
 * postgres-fault.c - the database-level faults of the `postgres` database
 * plug-in (its db_type.fault_script slot; nemesis/dbfault.c runs each
 * script on the node and journals it, the dead-man switch runs the undo
 * if the controller goes away).  The set-up, start and stop scripts are
 * postgres-db.c's.
 *
 * Remote commands (sh scripts; $1 bindir or "auto", $2 the instance's
 * DIR, $3 db.port) and how they are undone:
 *   replica-lag (a replica only):
 *     apply   psql on the replica's socket: SELECT pg_wal_replay_pause(),
 *             then poll pg_get_wal_replay_pause_state() until `paused`
 *             (5 s; `pause requested` already stops replay and is
 *             accepted after that, with a note on stderr);
 *     undo    SELECT pg_wal_replay_resume() if the server runs and is in
 *             recovery; nothing when it is down (a restart never keeps a
 *             pause) or was promoted.
 */
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "workloads/postgres-internal.h"

/* timeout cannot run a shell function: psql through runuser here. */
#define PSQL_PRELUDE                                                      \
	"b=$1; d=$2; port=$3; [ \"$b\" = auto ] && b=; "                 \
	"[ -n \"$b\" ] || b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null "\
	"| sort -V | tail -n 1); "                                        \
	"if [ \"$(id -u)\" = 0 ]; then "                                  \
	"q() { timeout 10 runuser -u postgres -- \"$b/psql\" -X -q -At "  \
	"-h \"$d/run\" -p \"$port\" -U postgres -d postgres -c \"$1\"; }; "\
	"else q() { timeout 10 \"$b/psql\" -X -q -At -h \"$d/run\" "      \
	"-p \"$port\" -U postgres -d postgres -c \"$1\"; }; fi; "

static const char lag_apply[] =
	PSQL_PRELUDE
	"q 'SELECT pg_wal_replay_pause()' >/dev/null || exit 1; "
	"i=0; while [ $i -lt 100 ]; do "
	"st=$(q 'SELECT pg_get_wal_replay_pause_state()') || exit 1; "
	"[ \"$st\" = paused ] && exit 0; sleep 0.05; i=$((i+1)); done; "
	"[ \"$st\" = 'pause requested' ] && { echo 'replay pause still "
	"requested after 5 s (no WAL to replay): replay is stopped' >&2; "
	"exit 0; }; echo \"replay pause state '$st'\" >&2; exit 1";

static const char lag_undo[] =
	PSQL_PRELUDE
	"[ -S \"$d/run/.s.PGSQL.$port\" ] || exit 0; "
	"r=$(q 'SELECT pg_is_in_recovery()' 2>&1) || { case $r in "
	"*'No such file'*|*'Connection refused'*|*'shutting down'*|"
	"*'starting up'*|*'not yet accepting connections'*|"
	"*'recovery is in progress'*) exit 0;; esac; "
	"echo \"$r\" >&2; exit 1; }; "
	"[ \"$r\" = t ] || exit 0; "
	"q 'SELECT pg_wal_replay_resume()' >/dev/null";

int pg__fault_script(struct db *d, const char *kind, size_t node,
		     struct db_fault_script *out, struct sb *why)
{
	const char *bindir = pg__bindir(d);
	struct sb port = SB_INIT;
	int rc;

	if (strcmp(kind, "replica-lag")) {
		sb_addf(why, "database 'postgres' has no '%s' fault", kind);
		return 1;
	}
	if (pg__role(d, node) != PG__REPLICA) {
		sb_addf(why, "%s", pg__role(d, node) == PG__PRIMARY ?
			"the primary (replay pause needs a replica)" :
			"no PostgreSQL instance there");
		return 1;
	}
	if ((rc = db_resolve(d, why)))
		return rc;
	sb_addf(&port, "%lld", pg__port(d));
	out->apply = lag_apply;
	out->undo = lag_undo;
	/* "auto", not "": the dead-man switch drops empty arguments */
	out->args[0] = xstrdup(bindir[0] ? bindir : "auto");
	out->args[1] = xstrdup(d->dirs[node]);
	out->args[2] = sb_detach(&port, NULL);
	return 0;
}

