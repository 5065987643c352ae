/*
 * util.c - what the fault kinds share: argument vectors, the seeded rng
 * (splitmix64: same seed, same schedule on every machine), parallel remote
 * jobs, the dead-man switch and the generic undo of one target.
 *
 * Remote commands run here:
 *   dead-man arm (per target, detached; partition and loss send it in
 *   the same command as their rules):
 *     mkdir -p DIR (when missing); touch LEASE (an empty write: no
 *     process);
 *     setsid bash -c LOOP netsplit-deadman LEASE PERIOD ID DIR UNDO PACKED
 *     (sh where the node has no bash); LOOP writes DIR/ID.deadman (its
 *     pid), then measures the seconds (monotonic, /proc/uptime, never the
 *     wall clock: see deadman_loop) since LEASE last changed, with shell
 *     builtins alone (no process started while armed, under bash); once
 *     that age exceeds PERIOD (or the lease is gone) it runs the undo
 *     script with its arguments (PACKED: joined by \037), again every 2 s
 *     while it fails, removes its pid file and exits.
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

/* ===== Batches of remote jobs ===== */

struct nemesis_job *nemesis__batch_add(struct nemesis_batch *b, size_t node,
				       size_t tag, int timeout_ms)
{
	struct nemesis_job *j;

	ALLOC_GROW(b->v, b->n + 1, b->alloc);
	j = &b->v[b->n++];
	memset(j, 0, sizeof(*j));
	j->node = node;
	j->tag = tag;
	j->timeout_ms = timeout_ms;
	sb_init(&j->script, 0);
	sb_init(&j->err, 0);
	transport_result_init(&j->res);
	return j;
}

int nemesis__job_ok(const struct nemesis_job *j)
{
	return !j->rc && transport_result_ok(&j->res);
}

int nemesis__batch_run(struct transport *t, struct nemesis_batch *b,
		       const char *what, int code, struct sb *err,
		       const char *label, ...)
{
	size_t *nodes, i, k, nwords = 0, w = 0;
	const char *const **argvs;
	const char **words;
	struct transport_result *res;
	struct sb *errs;
	int *rcs, timeout_ms = 0, rc = 0;

	if (!b->n)
		return 0;
	for (i = 0; i < b->n; i++)
		nwords += b->v[i].args.n + 5;
	nodes = xcalloc(b->n, sizeof(*nodes));
	argvs = xcalloc(b->n, sizeof(*argvs));
	words = xcalloc(nwords, sizeof(*words));
	rcs = xcalloc(b->n, sizeof(*rcs));
	res = xcalloc(b->n, sizeof(*res));
	errs = xcalloc(b->n, sizeof(*errs));
	for (i = 0; i < b->n; i++) {
		struct nemesis_job *j = &b->v[i];

		nodes[i] = j->node;
		argvs[i] = &words[w];
		words[w++] = "sh";
		words[w++] = "-c";
		words[w++] = j->script.buf;
		words[w++] = "sh";
		for (k = 0; k < j->args.n; k++)
			words[w++] = j->args.v[k];
		words[w++] = NULL;
		/* one deadline for the batch: the longest asked for */
		if (j->timeout_ms > timeout_ms)
			timeout_ms = j->timeout_ms;
		res[i] = j->res;
		errs[i] = j->err;
	}
	transport_exec_each(t, nodes, b->n, argvs, timeout_ms, res, rcs,
			    errs);
	for (i = 0; i < b->n; i++) {
		struct nemesis_job *j = &b->v[i];

		j->res = res[i];
		j->err = errs[i];
		j->rc = rcs[i];
		if (nemesis__job_ok(j))
			continue;
		if (!rc)
			rc = j->rc ? j->rc : code;
		if (err) {
			va_list ap;

			va_start(ap, label);
			sb_vaddf(err, label, ap);
			va_end(ap);
			nemesis__job_error(t, j, what, err);
			sb_addc(err, '\n');
		}
	}
	free(nodes);
	free(argvs);
	free(words);
	free(rcs);
	free(res);
	free(errs);
	return rc;
}

void nemesis__batch_release(struct nemesis_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct nemesis_job *j = &b->v[i];

		sb_release(&j->script);
		nemesis_argv_release(&j->args);
		transport_result_release(&j->res);
		sb_release(&j->err);
	}
	free(b->v);
	b->v = NULL;
	b->n = b->alloc = 0;
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

#define UNDO_EVERY ((size_t)-1)

/*
 * The undo batch: target `only` of f, or (UNDO_EVERY) every live target,
 * each one job built from the kind's undo, run in parallel.
 */
static int undo_batch(struct transport *t, const struct fault *f,
		      size_t only, struct sb *err)
{
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;
	int rc;

	for (i = 0; i < f->ntargets; i++) {
		int take = only == UNDO_EVERY ? !f->targets[i].unsupported :
			   i == only;
		struct nemesis_job *j;

		if (!take)
			continue;
		j = nemesis__batch_add(&b, f->targets[i].index, i, 15000);
		f->type->undo(f, i, &j->script, &j->args);
	}
	rc = nemesis__batch_run(t, &b, "undo", -NS_EREMOTE, err,
				"fault '%s' (%s): heal: ", f->id,
				f->type->name);
	nemesis__batch_release(&b);
	return rc;
}

int nemesis__undo_target(struct transport *t, const struct fault *f,
			 size_t i, struct sb *err)
{
	return undo_batch(t, f, i, err);
}

int nemesis__undo_all(struct transport *t, struct fault *f, struct sb *err)
{
	return undo_batch(t, f, UNDO_EVERY, err);
}

/*
 * The switch measures the lease's age itself, on a monotonic clock: the
 * seconds since boot in /proc/uptime (its own 1 s ticks counted where
 * that cannot be read), never the wall clock, which a clock fault or
 * anyone else may set forwards or backwards.  Every second it reads the
 * lease's content, a counter each renewal changes (nemesis_renew()
 * writes the set's renewal count; an arm's empty write changes it too);
 * content it has not seen before restarts the age at 0.  Once the age
 * exceeds PERIOD seconds, or the lease is gone, it runs the undo,
 * retrying every 2 s (up to 150 times) while the undo fails.  So it
 * never fires less than PERIOD seconds after the last renewal it saw,
 * and at most about PERIOD + 2 seconds after the last renewal made.
 *
 * While armed it starts no process: every step of the tick is a shell
 * builtin (test, read with redirections, arithmetic), and under bash the
 * 1 s wait is `read -t 1` on a pipe nobody writes (`3<> <(:)`, in an
 * eval that sh never parses: the only process it starts before firing,
 * once).  A node's database shares
 * the node with every armed switch, so a switch forking a few processes
 * a second each was load on the system under test.  Under another sh
 * (no bash on the node) the wait is sleep(1): one process a second.
 * Killed (disarm), it leaves no child behind under bash.
 */
static const char deadman_loop[] =
	"lease=$1 period=$2 id=$3 dir=$4 undo=$5 packed=$6\n"
	"echo $$ > \"$dir/$id.deadman\"\n"
	"nap() { sleep 1; }\n"
	"if [ -n \"${BASH_VERSION-}\" ] &&\n"
	"  eval 'exec 3<> <(:)' 2>/dev/null; then\n"
	"  read -r -t 0.01 -u 3 _\n"
	"  [ $? -gt 128 ] && nap() { read -r -t 1 -u 3 _; }\n"
	"fi\n"
	"last= since= ticks=0\n"
	"while [ -e \"$lease\" ]; do\n"
	"  cur=; { read -r cur <\"$lease\"; } 2>/dev/null\n"
	"  if { read -r up _ </proc/uptime; } 2>/dev/null; then up=${up%.*};\n"
	"  else up=$ticks; fi\n"
	"  ticks=$((ticks + 1))\n"
	"  if [ -z \"$since\" ] || [ \"x$cur\" != \"x$last\" ]; then\n"
	"    last=$cur since=$up; fi\n"
	"  [ $((up - since)) -gt \"$period\" ] && break\n"
	"  nap\n"
	"done\n"
	"exec 3<&-\n"
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
	"  { [ -d \"$dir\" ] || mkdir -p \"$dir\"; } &&\n"
	"    printf '' >\"$lease\" || exit 1\n"
	"  shell=sh; command -v bash >/dev/null 2>&1 && shell=bash\n"
	"  setsid \"$shell\" -c \"$loop\" netsplit-deadman \"$lease\" \"$period\" "
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
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;
	int rc;

	if (!f->deadman_s)
		return 0;
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;

		if (tg->unsupported || !tg->dir)
			continue;
		j = nemesis__batch_add(&b, tg->index, i, 10000);
		nemesis__deadman_prefix(s, f, i, &j->script, &j->args);
	}
	rc = nemesis__batch_run(s->t, &b, "arm", -NS_EREMOTE, err,
				"fault '%s': dead-man switch: ", f->id);
	for (i = 0; i < b.n; i++)
		if (nemesis__job_ok(&b.v[i]))
			nemesis__deadman_parse(&f->targets[b.v[i].tag],
					       b.v[i].res.out.buf);
	nemesis__batch_release(&b);
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
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;
	int rc;

	if (!f->deadman_s)
		return 0;
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;

		if (tg->unsupported || !tg->dir)
			continue;
		j = nemesis__batch_add(&b, tg->index, i, 10000);
		sb_adds(&j->script, deadman_kill);
		nemesis_argv_push(&j->args, f->id);
		nemesis_argv_push(&j->args, tg->dir);
		nemesis_argv_pushf(&j->args, "%ld", tg->deadman_pid);
		if (drop_lease && drop_lease[i])
			nemesis_argv_pushf(&j->args, "%s/%.*s.lease", tg->dir,
					   (int)taglen, f->id);
		else
			nemesis_argv_push(&j->args, "");
	}
	rc = nemesis__batch_run(t, &b, "disarm", -NS_EREMOTE, err,
				"fault '%s': dead-man switch: ", f->id);
	nemesis__batch_release(&b);
	return rc;
}
