/*
 * db.c - what every database plug-in shares: the lifecycle, each node's
 * working directory, and kill / pause / resume from the pid file.
 *
 * Remote commands (sh scripts through the transport; data are arguments,
 * never spliced into the script):
 *   resolve  mkdir -p DIR/TYPE; cd; pwd         (nothing to undo)
 *   pid      cat PIDFILE; state from /proc/PID/stat
 *   kill     kill -9 PID, then wait until /proc/PID is gone or a zombie
 *   pause    kill -STOP PID, then its children (pkill -STOP -P PID), then
 *            wait for state T                        (undone by resume)
 *   resume   kill -CONT PID's children, then PID, then wait until not T
 * Children too: a server that forks a process per connection (PostgreSQL's
 * backends, its WAL sender) would otherwise go on answering on the
 * connections it already has while its parent is "paused".  The parent
 * stops first, so it forks nobody new meanwhile; the children resume
 * first, so the parent never finds one of its own stopped.
 * A pid is only signalled if its command line names the member's working
 * directory, so a stale pid file can never hit an unrelated process.
 */
#include "db.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

#define DB_CMD_TIMEOUT_MS 15000

/* Stop / continue the direct children of $p (no children: nothing). */
#define STOP_CHILDREN "pkill -STOP -P \"$p\" 2>/dev/null; "
#define CONT_CHILDREN "pkill -CONT -P \"$p\" 2>/dev/null; "

int db_new(struct db **dp, const struct db_type *type,
	   const struct config *c, struct sb *err)
{
	struct db *d = xcalloc(1, sizeof(*d));
	int rc;

	d->type = type;
	d->cfg = c;
	rc = type->init ? type->init(d, err) : 0;
	if (rc) {
		free(d);
		*dp = NULL;
		return rc;
	}
	*dp = d;
	return 0;
}

void db_bind(struct db *d, struct transport *t)
{
	d->t = t;
}

void db_free(struct db *d)
{
	size_t i;

	if (!d)
		return;
	if (d->type->release)
		d->type->release(d);
	if (d->dirs) {
		for (i = 0; i < d->cfg->nnodes; i++)
			free(d->dirs[i]);
		free(d->dirs);
	}
	free(d);
}

static int need_transport(struct db *d, struct sb *err)
{
	if (d->t)
		return 0;
	sb_addf(err, "%s: no connection to the nodes", d->type->name);
	return -NS_EINTERNAL;
}

/* Run script on node i; a non-zero exit becomes -NS_EREMOTE. */
static int run_sh(struct db *d, size_t node, const char *what,
		  const char *script, const char *const args[],
		  struct transport_result *res, struct sb *err)
{
	int rc;

	rc = transport_sh(d->t, node, script, args, DB_CMD_TIMEOUT_MS, res,
			  err);
	if (rc)
		return rc;
	if (!transport_result_ok(res)) {
		const char *argv[] = { what, NULL };

		transport_result_error(res, d->cfg->nodes[node].name, argv,
				       err);
		return -NS_EREMOTE;
	}
	return 0;
}

int db_resolve(struct db *d, struct sb *err)
{
	static const char script[] =
		"d=${1:-$HOME}; mkdir -p \"$d/$2\" && cd \"$d/$2\" && pwd -P";
	size_t i, n = d->cfg->nnodes;
	char **dirs;
	int rc = 0;

	if (d->dirs)
		return d->type->paths ? d->type->paths(d, err) : 0;
	rc = need_transport(d, err);
	if (rc)
		return rc;
	dirs = xcalloc(n, sizeof(*dirs));
	for (i = 0; i < n && !rc; i++) {
		const struct node *nd = &d->cfg->nodes[i];
		const char *args[] = { nd->dir ? nd->dir : "", d->type->name,
				       NULL };
		struct transport_result res;
		size_t len;

		transport_result_init(&res);
		rc = run_sh(d, i, "resolve working directory", script, args,
			    &res, err);
		len = res.out.len;
		while (len && (res.out.buf[len - 1] == '\n' ||
			       res.out.buf[len - 1] == '\r'))
			len--;
		if (!rc && (len == 0 || res.out.buf[0] != '/')) {
			sb_addf(err, "%s: cannot resolve working directory "
				"'%s'", nd->name, nd->dir ? nd->dir : "$HOME");
			rc = -NS_ESETUP;
		}
		if (!rc)
			dirs[i] = xstrndup(res.out.buf, len);
		transport_result_release(&res);
	}
	if (rc) {
		for (i = 0; i < n; i++)
			free(dirs[i]);
		free(dirs);
		return rc;
	}
	d->dirs = dirs;
	return d->type->paths ? d->type->paths(d, err) : 0;
}

/* st = the state letter of process $p ("" when it is gone), from
   /proc/$p/stat: the field after the command name's ") ". */
#define READ_STATE                                                        \
	"l=; read -r l 2>/dev/null </proc/$p/stat; st=${l##*\") \"}; "      \
	"st=${st%% *};"

/*
 * The shell prelude every pid script shares: $1 pid file, $2 the member's
 * working directory.  Sets p (empty: no live member) and st (its state).
 * Shell builtins but one grep: a loaded node starts processes slowly.
 */
#define PID_PRELUDE                                                       \
	"p=; read -r p 2>/dev/null <\"$1\"; "                               \
	"case \"$p\" in ''|*[!0-9]*) p=;; esac; "                         \
	"if [ -n \"$p\" ] && "                                             \
	"! grep -qaF -- \"$2\" /proc/$p/cmdline 2>/dev/null; then p=; fi; "\
	"st=; [ -z \"$p\" ] || { " READ_STATE " }; "                      \
	"case \"$st\" in ''|Z|X) p=;; esac; "

static int pid_script(struct db *d, size_t node, const char *what,
		      const char *body, struct transport_result *res,
		      struct sb *err)
{
	struct sb script = SB_INIT;
	const char *pf;
	int rc;

	rc = need_transport(d, err);
	if (!rc)
		rc = db_resolve(d, err);
	if (rc)
		return rc;
	pf = db_pidfile(d, node);
	if (!pf) {
		sb_addf(err, "%s: %s: no pid file known",
			d->cfg->nodes[node].name, d->type->name);
		return -NS_EINTERNAL;
	}
	{
		const char *args[] = { pf, d->dirs[node], NULL };

		sb_adds(&script, PID_PRELUDE);
		sb_adds(&script, body);
		rc = run_sh(d, node, what, script.buf, args, res, err);
	}
	sb_release(&script);
	return rc;
}

int db_pid(struct db *d, size_t node, long *pid, struct sb *err)
{
	struct transport_result res;
	int rc;

	*pid = 0;
	transport_result_init(&res);
	rc = pid_script(d, node, "read pid file", "echo \"$p\"", &res, err);
	if (!rc)
		*pid = strtol(res.out.buf, NULL, 10);
	transport_result_release(&res);
	return rc;
}

int db_proc_state(struct db *d, size_t node, long pid, char *state,
		  struct sb *err)
{
	static const char script[] =
		"p=$1; " READ_STATE " echo \"$st\"; exit 0";
	struct transport_result res;
	char num[32];
	const char *args[] = { num, NULL };
	int rc;

	*state = 0;
	rc = need_transport(d, err);
	if (rc)
		return rc;
	snprintf(num, sizeof(num), "%ld", pid);
	transport_result_init(&res);
	rc = run_sh(d, node, "read process state", script, args, &res, err);
	if (!rc && res.out.len && res.out.buf[0] != 'X')
		*state = res.out.buf[0];
	transport_result_release(&res);
	return rc;
}

/* Wait (about 5 s at most) until the state matches the case pattern in
   `until`: 100 checks at once (the signal is usually handled by then, and
   a sleep costs a process), then every 10 ms. */
#define WAIT_STATE(until)                                                 \
	"i=0; while [ $i -lt 600 ]; do " READ_STATE " "                     \
	"case \"$st\" in " until ") exit 0;; esac; "                        \
	"[ $i -lt 100 ] || sleep 0.01; i=$((i+1)); done; "                \
	"echo \"pid $p still in state $st\" >&2; exit 1"

int db_def_kill(struct db *d, size_t node, struct sb *err)
{
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = pid_script(d, node, "kill -9", "[ -n \"$p\" ] || exit 0; "
			"kill -9 \"$p\" || exit 1; " WAIT_STATE("''|Z|X"),
			&res, err);
	transport_result_release(&res);
	return rc;
}

int db_def_pause(struct db *d, size_t node, struct sb *err)
{
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = pid_script(d, node, "kill -STOP",
			"[ -n \"$p\" ] || { echo 'not running' >&2; exit 1; }; "
			"kill -STOP \"$p\" || exit 1; " STOP_CHILDREN
			WAIT_STATE("T|t"),
			&res, err);
	transport_result_release(&res);
	return rc;
}

int db_def_resume(struct db *d, size_t node, struct sb *err)
{
	struct transport_result res;
	int rc;

	transport_result_init(&res);
	rc = pid_script(d, node, "kill -CONT", "[ -n \"$p\" ] || exit 0; "
			CONT_CHILDREN "kill -CONT \"$p\" || exit 1; "
			WAIT_STATE("R|S|D|I|''|Z|X"), &res, err);
	transport_result_release(&res);
	return rc;
}

int db_signal(struct db *d, size_t node, int pause, const char *prefix,
	      const char *const prefix_args[], long *pid,
	      struct transport_result *res, struct sb *err)
{
	const char *pf, **args;
	struct sb script = SB_INIT;
	const char *p;
	size_t n = 0, i;
	int rc;

	*pid = 0;
	if ((rc = need_transport(d, err)) || (rc = db_resolve(d, err)))
		return rc;
	if (pause ? d->type->pause : d->type->kill) {
		/* the plug-in's own: three commands */
		if (prefix && (rc = run_sh(d, node, "prefix", prefix,
					   prefix_args, res, err)))
			return rc;
		if ((rc = db_pid(d, node, pid, err)) || !*pid)
			return rc;
		return pause ? db_pause(d, node, err) : db_kill(d, node, err);
	}
	while (prefix && prefix_args && prefix_args[n])
		n++;
	args = xcalloc(n + 3, sizeof(*args));
	for (i = 0; i < n; i++)
		args[i] = prefix_args[i];
	pf = db_pidfile(d, node);
	args[n] = pf;
	args[n + 1] = d->dirs[node];
	if (prefix)
		sb_adds(&script, prefix);
	sb_adds(&script, PID_PRELUDE "[ -n \"$p\" ] || "
		"{ echo pid=0; exit 0; }; ");
	if (pause)
		sb_adds(&script, "kill -STOP \"$p\" || exit 1; "
			STOP_CHILDREN "echo \"pid=$p\"; " WAIT_STATE("T|t"));
	else
		sb_adds(&script, "kill -9 \"$p\" || exit 1; "
			"echo \"pid=$p\"; " WAIT_STATE("''|Z|X"));
	rc = run_sh(d, node, pause ? "kill -STOP" : "kill -9", script.buf,
		    args, res, err);
	for (p = res->out.buf; p && *p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, "pid=", 4))
			*pid = strtol(p + 4, NULL, 10);
	}
	sb_release(&script);
	free(args);
	return rc;
}

const char db_resume_script[] =
	"[ \"${1:-0}\" -gt 0 ] 2>/dev/null && p=$1 || { shift; "
	PID_PRELUDE "}; "
	"[ -n \"$p\" ] || exit 0; " READ_STATE " "
	CONT_CHILDREN "case \"$st\" in T|t) kill -CONT \"$p\";; esac; exit 0";

int db_kill(struct db *d, size_t node, struct sb *err)
{
	return d->type->kill ? d->type->kill(d, node, err) :
		db_def_kill(d, node, err);
}

int db_pause(struct db *d, size_t node, struct sb *err)
{
	return d->type->pause ? d->type->pause(d, node, err) :
		db_def_pause(d, node, err);
}

int db_resume(struct db *d, size_t node, struct sb *err)
{
	return d->type->resume ? d->type->resume(d, node, err) :
		db_def_resume(d, node, err);
}

int db_primaries(struct db *d, size_t *out, size_t max, size_t *n,
		 struct sb *err)
{
	*n = 0;
	return d->type->primaries ? d->type->primaries(d, out, max, n, err) :
		0;
}

int db_fault_script(struct db *d, const char *kind, size_t node,
		    struct db_fault_script *out, struct sb *why)
{
	memset(out, 0, sizeof(*out));
	if (!d->type->fault_script) {
		sb_addf(why, "database '%s' has no '%s' fault", d->type->name,
			kind);
		return 1;
	}
	return d->type->fault_script(d, kind, node, out, why);
}

void db_fault_script_release(struct db_fault_script *s)
{
	size_t i;

	for (i = 0; i < DB_FAULT_MAX_ARGS; i++) {
		free(s->args[i]);
		s->args[i] = NULL;
	}
}
