/*
 * util.c - what the fault kinds share: argument vectors, the seeded rng
 * (splitmix64: same seed, same schedule on every machine), parallel remote
 * jobs, the dead-man switch and the generic undo of one target.
 *
 * Remote commands run here:
 *   dead-man arm (per target, detached; partition and loss send it in
 *   the same command as their rules):
 *     mkdir -p DIR; touch LEASE;
 *     setsid sh -c LOOP netsplit-deadman LEASE PERIOD ID DIR UNDO PACKED
 *     LOOP writes DIR/ID.deadman (its pid), then measures the seconds
 *     (monotonic, /proc/uptime, never the wall clock: see deadman_loop)
 *     since LEASE last changed; once that age exceeds PERIOD (or the lease is
 *     gone) it runs the undo script with its arguments (PACKED: joined
 *     by \037), again every 2 s while it fails, removes its pid file and
 *     exits.
 *   dead-man disarm: kill PID, only if /proc/PID/cmdline names the fault
 *     id (a recycled pid is left alone); then rm DIR/ID.deadman, and the
 *     run's lease DIR/TAG.lease when no other fault there needs it.  The
 *     switch keeps no script on disk (its loop and undo are arguments of
 *     its sh), so nothing else is left; DIR itself stays.
 *   undo of a target: the kind's own script (type->undo).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "err.h"
#include "nemesis-internal.h"

void nemesis_argv_push(struct nemesis_argv *a, const char *s)
{
	ALLOC_GROW(a->v, a->n + 2, a->alloc);
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void nemesis_argv_pushf(struct nemesis_argv *a, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	ALLOC_GROW(a->v, a->n + 2, a->alloc);
	a->v[a->n++] = sb_detach(&sb, NULL);
	a->v[a->n] = NULL;
}

void nemesis_argv_release(struct nemesis_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->alloc = 0;
}

uint64_t nemesis__rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t nemesis__randn(uint64_t *state, size_t n)
{
	return n ? (size_t)(nemesis__rand(state) % n) : 0;
}

void nemesis__shuffle(uint64_t *state, size_t *perm, size_t n)
{
	size_t i, j, tmp;

	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n; i > 1; i--) {
		j = nemesis__randn(state, i);
		tmp = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = tmp;
	}
}

int64_t nemesis__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ===== Parallel jobs ===== */

struct job_arg {
	struct transport *t;
	struct nemesis_job *j;
};

static void *job_main(void *p)
{
	struct job_arg *a = p;
	struct nemesis_job *j = a->j;

	j->rc = transport_sh(a->t, j->node, j->script, j->args,
			     j->timeout_ms, &j->res, &j->err);
	return NULL;
}

size_t nemesis__run_jobs(struct transport *t, struct nemesis_job *jobs,
			 size_t n)
{
	struct job_arg *args;
	pthread_t *th;
	int *started;
	size_t i, failed = 0;

	for (i = 0; i < n; i++) {
		transport_result_init(&jobs[i].res);
		sb_init(&jobs[i].err, 0);
		jobs[i].rc = 0;
	}
	if (n == 1) {
		struct job_arg a = { t, &jobs[0] };

		job_main(&a);
		return jobs[0].rc != 0;
	}
	args = xcalloc(n, sizeof(*args));
	th = xcalloc(n, sizeof(*th));
	started = xcalloc(n, sizeof(*started));
	for (i = 0; i < n; i++) {
		args[i].t = t;
		args[i].j = &jobs[i];
		started[i] = !pthread_create(&th[i], NULL, job_main, &args[i]);
		if (!started[i])
			job_main(&args[i]);
	}
	for (i = 0; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		if (jobs[i].rc)
			failed++;
	}
	free(args);
	free(th);
	free(started);
	return failed;
}

void nemesis__jobs_release(struct nemesis_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		transport_result_release(&jobs[i].res);
		sb_release(&jobs[i].err);
	}
}

void nemesis__job_error(struct transport *t, const struct nemesis_job *j,
			const char *what, struct sb *err)
{
	const char *name = transport_node(t, j->node)->name;
	const char *argv[] = { what, NULL };

	if (j->rc) {
		sb_add(err, j->err.buf, j->err.len);
		return;
	}
	transport_result_error(&j->res, name, argv, err);
}

/* ===== Records ===== */

struct fault *nemesis__fault_new(const struct nemesis_type *type,
				 const char *id, const char *shape)
{
	struct fault *f = xcalloc(1, sizeof(*f));

	f->type = type;
	f->id = xstrdup(id);
	f->shape = xstrdup(shape ? shape : "");
	return f;
}

struct fault_target *nemesis__add_target(struct fault *f, size_t index,
					 const char *node, const char *host)
{
	struct fault_target *tg;

	f->targets = xrealloc(f->targets,
			      (f->ntargets + 1) * sizeof(*f->targets));
	tg = &f->targets[f->ntargets++];
	memset(tg, 0, sizeof(*tg));
	tg->index = index;
	tg->node = xstrdup(node);
	tg->host = xstrdup(host);
	return tg;
}

void nemesis__target_unsupported(struct fault_target *tg, const char *fmt,
				 ...)
{
	struct sb sb = SB_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(tg->unsupported);
	tg->unsupported = sb_detach(&sb, NULL);
}

size_t nemesis__live_targets(const struct fault *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->ntargets; i++)
		if (!f->targets[i].unsupported)
			n++;
	return n;
}

void nemesis__note_once(struct nemesis_set *s, struct sb *note,
			const char *line)
{
	struct sb key = SB_INIT;

	sb_addf(&key, "\n%s\n", line);
	if (!strstr(s->said.buf, key.buf)) {
		if (!s->said.len)
			sb_addc(&s->said, '\n');
		sb_addf(&s->said, "%s\n", line);
		if (note)
			sb_addf(note, "%s\n", line);
	}
	sb_release(&key);
}

/* ===== Undo and the dead-man switch ===== */

int nemesis__undo_target(struct transport *t, const struct fault *f,
			 size_t i, struct sb *err)
{
	struct sb script = SB_INIT;
	struct nemesis_argv args = { 0 };
	struct nemesis_job job = { 0 };
	int rc = 0;

	f->type->undo(f, i, &script, &args);
	job.node = f->targets[i].index;
	job.script = script.buf;
	job.args = (const char *const *)args.v;
	job.timeout_ms = 15000;
	nemesis__run_jobs(t, &job, 1);
	if (job.rc || !transport_result_ok(&job.res)) {
		sb_addf(err, "fault '%s' (%s): heal: ", f->id,
			f->type->name);
		nemesis__job_error(t, &job, "undo", err);
		rc = job.rc ? job.rc : -NS_EREMOTE;
	}
	nemesis__jobs_release(&job, 1);
	sb_release(&script);
	nemesis_argv_release(&args);
	return rc;
}

/*
 * The switch measures the lease's age itself, on a monotonic clock: the
 * seconds since boot in /proc/uptime (its own 1 s sleeps counted where
 * that cannot be read), never the wall clock, which a clock fault or
 * anyone else may set forwards or backwards.  Every second it reads the
 * lease's stamp (its content, a renewal counter the controller writes,
 * and its mtime); a stamp it has not seen before restarts the age at 0.
 * Once the age exceeds PERIOD seconds, or the lease is gone, it runs the
 * undo, retrying every 2 s (up to 150 times) while the undo fails.  So
 * it never fires less than PERIOD seconds after the last renewal it saw,
 * and at most about PERIOD + 2 seconds after the last renewal made.
 */
static const char deadman_loop[] =
	"lease=$1 period=$2 id=$3 dir=$4 undo=$5 packed=$6\n"
	"echo $$ > \"$dir/$id.deadman\"\n"
	"last= since= ticks=0\n"
	"while :; do\n"
	"  cur=$(cat \"$lease\" 2>/dev/null && "
	"stat -c %y \"$lease\" 2>/dev/null) || break\n"
	"  if read -r up _ 2>/dev/null </proc/uptime; then up=${up%.*};\n"
	"  else up=$ticks; fi\n"
	"  ticks=$((ticks + 1))\n"
	"  if [ \"$cur\" != \"$last\" ]; then last=$cur since=$up; fi\n"
	"  [ $((up - since)) -gt \"$period\" ] && break\n"
	"  sleep 1\n"
	"done\n"
	"IFS=$(printf '\\037'); set -f; set -- $packed; unset IFS; set +f\n"
	"n=0\n"
	"until sh -c \"$undo\" sh \"$@\"; do\n"
	"  n=$((n + 1)); [ $n -ge 150 ] && break; sleep 2\n"
	"done\n"
	"rm -f \"$dir/$id.deadman\"\n";

const char *nemesis__deadman_loop(void)
{
	return deadman_loop;
}

/*
 * Arm the switch (when PERIOD > 0), print "deadman=PID"; consumes its 7
 * arguments, so a kind's own script can follow it in the same command.
 */
static const char deadman_arm[] =
	"lease=$1 period=$2 id=$3 dir=$4 loop=$5 undo=$6 packed=$7; shift 7\n"
	"if [ \"$period\" -gt 0 ]; then\n"
	"  mkdir -p \"$dir\" && touch \"$lease\" || exit 1\n"
	"  setsid sh -c \"$loop\" netsplit-deadman \"$lease\" \"$period\" "
	"\"$id\" \"$dir\" \"$undo\" \"$packed\" </dev/null >/dev/null 2>&1 &\n"
	"  echo \"deadman=$!\"\n"
	"fi\n";

/* The lease of a run on a node: one file, renewed for all its faults. */
static void lease_path(const struct nemesis_set *s, const char *dir,
		       struct sb *out)
{
	sb_addf(out, "%s/%s.lease", dir, s->tag);
}

void nemesis__deadman_prefix(const struct nemesis_set *s,
			     const struct fault *f, size_t i,
			     struct sb *script, struct nemesis_argv *args)
{
	const struct fault_target *tg = &f->targets[i];
	struct sb lease = SB_INIT, undo = SB_INIT, packed = SB_INIT;
	struct nemesis_argv uargs = { 0 };
	int armed = f->deadman_s > 0 && tg->dir && !tg->unsupported;
	size_t k;

	if (armed) {
		f->type->undo(f, i, &undo, &uargs);
		lease_path(s, tg->dir, &lease);
		for (k = 0; k < uargs.n; k++)
			sb_addf(&packed, "%s%s", k ? "\037" : "", uargs.v[k]);
	}
	sb_adds(script, deadman_arm);
	nemesis_argv_push(args, lease.buf);
	nemesis_argv_pushf(args, "%d", armed ? f->deadman_s : 0);
	nemesis_argv_push(args, f->id);
	nemesis_argv_push(args, tg->dir && armed ? tg->dir : "");
	nemesis_argv_push(args, deadman_loop);
	nemesis_argv_push(args, undo.buf);
	nemesis_argv_push(args, packed.buf);
	nemesis_argv_release(&uargs);
	sb_release(&lease);
	sb_release(&undo);
	sb_release(&packed);
}

void nemesis__deadman_parse(struct fault_target *tg, const char *out)
{
	const char *p = strstr(out, "deadman=");

	if (p)
		tg->deadman_pid = strtol(p + 8, NULL, 10);
}

int nemesis__deadman_arm(struct nemesis_set *s, struct fault *f,
			 struct sb *err)
{
	struct nemesis_job *jobs;
	struct nemesis_argv *args;
	struct sb *scripts;
	size_t i, n = 0, *map;
	int rc = 0;

	if (!f->deadman_s)
		return 0;
	jobs = xcalloc(f->ntargets + 1, sizeof(*jobs));
	args = xcalloc(f->ntargets + 1, sizeof(*args));
	scripts = xcalloc(f->ntargets + 1, sizeof(*scripts));
	map = xcalloc(f->ntargets + 1, sizeof(*map));
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];

		if (tg->unsupported || !tg->dir)
			continue;
		sb_init(&scripts[n], 0);
		nemesis__deadman_prefix(s, f, i, &scripts[n], &args[n]);
		jobs[n].node = tg->index;
		jobs[n].script = scripts[n].buf;
		jobs[n].args = (const char *const *)args[n].v;
		jobs[n].timeout_ms = 10000;
		map[n++] = i;
	}
	nemesis__run_jobs(s->t, jobs, n);
	for (i = 0; i < n; i++) {
		if (jobs[i].rc || !transport_result_ok(&jobs[i].res)) {
			sb_addf(err, "fault '%s': dead-man switch: ", f->id);
			nemesis__job_error(s->t, &jobs[i], "arm", err);
			sb_addc(err, '\n');
			if (!rc)
				rc = jobs[i].rc ? jobs[i].rc : -NS_EREMOTE;
			continue;
		}
		nemesis__deadman_parse(&f->targets[map[i]],
				       jobs[i].res.out.buf);
	}
	nemesis__jobs_release(jobs, n);
	for (i = 0; i < n; i++) {
		nemesis_argv_release(&args[i]);
		sb_release(&scripts[i]);
	}
	free(jobs);
	free(args);
	free(scripts);
	free(map);
	return rc;
}

/*
 * Kill the switch by pid: the recorded one, else the one its pid file
 * names (a crash between arming and journaling); only if its command
 * line carries the fault id.
 */
static const char deadman_kill[] =
	"id=$1 dir=$2 pid=$3\n"
	"[ \"$pid\" -gt 0 ] 2>/dev/null || "
	"pid=$(cat \"$dir/$id.deadman\" 2>/dev/null || echo 0)\n"
	"if [ \"$pid\" -gt 0 ] 2>/dev/null && "
	"tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | "
	"grep -qF \" $id \"; then kill \"$pid\" 2>/dev/null; fi\n"
	"rm -f \"$dir/$id.deadman\"\n"
	"[ -z \"$4\" ] || rm -f \"$4\"\n";

int nemesis__deadman_disarm(struct transport *t, struct fault *f,
			    const unsigned char *drop_lease, struct sb *err)
{
	size_t taglen = strrchr(f->id, '-') ? (size_t)(strrchr(f->id, '-') -
						       f->id) :
		strlen(f->id);
	struct nemesis_job *jobs;
	struct nemesis_argv *args;
	size_t i, n = 0;
	int rc = 0;

	if (!f->deadman_s)
		return 0;
	jobs = xcalloc(f->ntargets, sizeof(*jobs));
	args = xcalloc(f->ntargets, sizeof(*args));
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];

		if (tg->unsupported || !tg->dir)
			continue;
		nemesis_argv_push(&args[n], f->id);
		nemesis_argv_push(&args[n], tg->dir);
		nemesis_argv_pushf(&args[n], "%ld", tg->deadman_pid);
		if (drop_lease && drop_lease[i])
			nemesis_argv_pushf(&args[n], "%s/%.*s.lease", tg->dir,
					   (int)taglen, f->id);
		else
			nemesis_argv_push(&args[n], "");
		jobs[n].node = tg->index;
		jobs[n].script = deadman_kill;
		jobs[n].args = (const char *const *)args[n].v;
		jobs[n].timeout_ms = 10000;
		n++;
	}
	nemesis__run_jobs(t, jobs, n);
	for (i = 0; i < n; i++) {
		if (jobs[i].rc || !transport_result_ok(&jobs[i].res)) {
			sb_addf(err, "fault '%s': dead-man switch: ", f->id);
			nemesis__job_error(t, &jobs[i], "disarm", err);
			sb_addc(err, '\n');
			if (!rc)
				rc = jobs[i].rc ? jobs[i].rc : -NS_EREMOTE;
		}
	}
	nemesis__jobs_release(jobs, n);
	for (i = 0; i < n; i++)
		nemesis_argv_release(&args[i]);
	free(jobs);
	free(args);
	return rc;
}
