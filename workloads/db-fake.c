/*
 * db-fake.c - the "fake" database plug-in: one stand-in member per node,
 * a shell loop under libfaketime that writes its idea of the time to a
 * file every 0.2 s.  Nothing to check consistency on: it exists so the
 * nemesis (kill, pause, clock) can be tested on the local cluster, where
 * etcd (Go) ignores libfaketime.
 *
 * Config: "db": { "type": "fake", "faketime": true }
 *   faketime  start the member under libfaketime (default true; needs
 *             /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1).
 *
 * Remote commands (DIR = the node's working dir + "/fake"):
 *   setup/start:  echo +0 > DIR/faketime (setup only); then
 *                 setsid env LD_PRELOAD=LIB FAKETIME_TIMESTAMP_FILE=
 *                 DIR/faketime FAKETIME_NO_CACHE=1 sh -c LOOP fake-member
 *                 DIR &   and its pid into DIR/pid (and DIR/pids, every
 *                 pid it ever had).  LOOP writes
 *                 `date +%s` to DIR/now every 0.2 s.
 *   teardown:     kill -9 the pid (if its command line names DIR) and
 *                 wait until it is gone, rm -rf DIR, and the libfaketime
 *                 files its members left in /dev/shm (faketime_shm_PID,
 *                 sem.faketime_sem_PID for every pid in DIR/pids that
 *                 no longer runs).
 *   kill/pause/resume: the db.h defaults (pid file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "err.h"

#define FAKE_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

struct fake {
	int faketime;
	char **pidfiles;
	size_t n;
};

static int fake_init(struct db *d, struct sb *err)
{
	static const char *const keys[] = { "type", "faketime", NULL };
	struct fake *f = xcalloc(1, sizeof(*f));
	int rc;

	f->faketime = 1;
	d->priv = f;
	if ((rc = cfg_check_keys(d->cfg, d->cfg->db, "db", keys, err)) ||
	    (rc = cfg_get_bool(d->cfg, d->cfg->db, "db", "faketime",
			       &f->faketime, err)))
		return rc;
	return 0;
}

static const char start_script[] =
	"dir=$1 lib=$2\n"
	"cd \"$dir\" || exit 1\n"
	"[ -e faketime ] || echo +0 > faketime\n"
	"if [ -n \"$lib\" ]; then\n"
	"  [ -e \"$lib\" ] || { echo \"$lib missing\" >&2; exit 1; }\n"
	"  set -- env LD_PRELOAD=\"$lib\" "
	"FAKETIME_TIMESTAMP_FILE=\"$dir/faketime\" FAKETIME_NO_CACHE=1\n"
	"else set -- env; fi\n"
	"setsid \"$@\" sh -c 'while :; do date +%s > \"$1/now.tmp\" && "
	"mv \"$1/now.tmp\" \"$1/now\"; sleep 0.2; done' fake-member \"$dir\" "
	"</dev/null >>\"$dir/member.log\" 2>&1 &\n"
	"echo $! > pid; echo $! >> pids\n"
	"i=0; while [ ! -s now ] && [ $i -lt 50 ]; do sleep 0.05; "
	"i=$((i+1)); done\n"
	"kill -0 $(cat pid) 2>/dev/null\n";

static int fake_start(struct db *d, size_t node, struct sb *err)
{
	struct fake *f = d->priv;
	struct transport_result res;
	const char *args[] = { NULL, f->faketime ? FAKE_LIB : "", NULL };
	int rc;

	if ((rc = db_resolve(d, err)))
		return rc;
	args[0] = d->dirs[node];
	transport_result_init(&res);
	rc = transport_sh(d->t, node, start_script, args, 15000, &res, err);
	if (!rc && !transport_result_ok(&res)) {
		const char *argv[] = { "start fake member", NULL };

		transport_result_error(&res, d->cfg->nodes[node].name, argv,
				       err);
		rc = -NS_EREMOTE;
	}
	transport_result_release(&res);
	return rc;
}

static int fake_setup(struct db *d, struct sb *err)
{
	size_t i;
	int rc;

	if ((rc = db_resolve(d, err)))
		return rc;
	for (i = 0; i < d->cfg->nnodes; i++)
		if ((rc = fake_start(d, i, err)))
			return rc;
	return 0;
}

/* The libfaketime files of a member go once it is gone, never before: its
   children share them, and one started after they went makes its own
   (libfaketime takes them for stale), which no one would remove.  A pid
   that runs again is another process's: its files are left alone. */
static const char teardown_script[] =
	"dir=$1\n"
	"runs() { case $(sed -n 's/.*) \\(.\\).*/\\1/p' /proc/$1/stat "
	"2>/dev/null) in ''|Z|X) return 1;; esac; }\n"
	"p=$(cat \"$dir/pid\" 2>/dev/null)\n"
	"if [ -n \"$p\" ] && tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | "
	"grep -qF \"$dir\"; then kill -CONT \"$p\"; kill -9 \"$p\"\n"
	"  i=0; while runs $p && [ $i -lt 100 ]; do sleep 0.02; "
	"i=$((i+1)); done\n"
	"fi\n"
	"for p in $(cat \"$dir/pids\" 2>/dev/null); do\n"
	"  runs $p || "
	"rm -f /dev/shm/faketime_shm_$p /dev/shm/sem.faketime_sem_$p\n"
	"done\n"
	"rm -rf \"$dir\"\n";

static int fake_teardown(struct db *d, struct sb *err)
{
	size_t i;
	int rc = 0;

	if (!d->dirs)
		return 0;
	for (i = 0; i < d->cfg->nnodes; i++) {
		struct transport_result res;
		const char *args[] = { d->dirs[i], NULL };

		transport_result_init(&res);
		if (!rc)
			rc = transport_sh(d->t, i, teardown_script, args,
					  15000, &res, err);
		transport_result_release(&res);
	}
	return rc;
}

static const char *fake_pidfile(struct db *d, size_t node)
{
	struct fake *f = d->priv;

	if (!d->dirs)
		return NULL;
	if (!f->pidfiles) {
		size_t i;

		f->n = d->cfg->nnodes;
		f->pidfiles = xcalloc(f->n + 1, sizeof(*f->pidfiles));
		for (i = 0; i < f->n; i++) {
			f->pidfiles[i] = xmalloc(strlen(d->dirs[i]) + 5);
			sprintf(f->pidfiles[i], "%s/pid", d->dirs[i]);
		}
	}
	return node < f->n ? f->pidfiles[node] : NULL;
}

static size_t fake_logs(struct db *d, size_t node, const char **out,
			size_t max)
{
	return 0;
}

static const char *fake_endpoint(struct db *d, size_t node)
{
	return "";
}

static void fake_release(struct db *d)
{
	struct fake *f = d->priv;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->pidfiles[i]);
	free(f->pidfiles);
	free(f);
	d->priv = NULL;
}

const struct db_type db_fake = {
	.name = "fake",
	.help = "a stand-in member per node (a shell loop under "
		"libfaketime), for nemesis tests",
	.init = fake_init,
	.setup = fake_setup,
	.teardown = fake_teardown,
	.start = fake_start,
	.pidfile = fake_pidfile,
	.logs = fake_logs,
	.endpoint = fake_endpoint,
	.release = fake_release,
};
