/*
 * clock.c - clock faults: bump (a fixed offset of up to +-clock_delta_ms
 * per target) and strobe (flip between +offset and 0 every
 * strobe_period_ms), undone by a reset to the true time.
 *
 * Targets are a random non-empty subset of the nodes.  Two cases per
 * target, decided in prepare():
 *
 * 1. The node shares the controller's kernel (same boot id: the local
 *    netns cluster).  Its wall clock is the controller's, which is never
 *    touched.  Only a member started under libfaketime can be skewed:
 *    prepare reads /proc/PID/environ of the member (PID from
 *    db_pidfile()) for
 *    FAKETIME_TIMESTAMP_FILE (relative paths against /proc/PID/cwd) and a
 *    faketime LD_PRELOAD; without them (etcd is Go and ignores
 *    libfaketime; redis crashes under it) the target is reported
 *    unsupported and no window is recorded for it.
 *      bump:   printf '%+.3f' OFFSET > FILE.tmp && mv FILE.tmp FILE
 *      strobe: a detached loop (setsid) writing +OFFSET and +0 to FILE
 *              in turn every period, each through FILE.s and a rename
 *              (libfaketime never reads half a value); its pid is
 *              recorded.
 *      undo:   kill the strobe loop (only if its command line names the
 *              fault id), remove FILE.s, then write +0 to FILE.
 * 2. A node with its own kernel (a real machine; needs root there).
 *      bump:   date -s @(now + OFFSET) and DIR/ID.clock holding OFFSET;
 *      undo:   if DIR/ID.clock exists: date -s @(now - OFFSET), remove it
 *              (idempotent: a second undo finds no file).
 *      strobe: unsupported on real clocks (reported per target).
 *    Not exercised by the tests on this machine (every node shares the
 *    controller's kernel there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "db.h"
#include "err.h"
#include "nemesis-internal.h"

static const char *const shapes[] = { "bump", "strobe", NULL };

static int clock_plan(struct nemesis *n, struct fault *f, const char *shape,
		      uint64_t *rng, struct sb *err)
{
	struct nemesis_set *s = n->set;
	size_t *perm = xcalloc(s->nnodes + 1, sizeof(*perm));
	size_t i, count = 1 + nemesis__randn(rng, s->nnodes);

	f->delta_ms = s->opts.clock_delta_ms;
	if (!strcmp(shape, "strobe"))
		f->period_ms = s->opts.strobe_period_ms;
	nemesis__shuffle(rng, perm, s->nnodes);
	for (i = 0; i < count; i++) {
		const struct node *nd = transport_node(s->t, perm[i]);
		struct fault_target *tg;
		long long off;

		tg = nemesis__add_target(f, perm[i], nd->name, nd->host);
		off = 1 + (long long)nemesis__randn(rng,
						    (size_t)f->delta_ms);
		tg->offset_ms = nemesis__rand(rng) & 1 ? off : -off;
	}
	free(perm);
	return 0;
}

/* Print the faketime file (absolute) of the member whose pid file is $1,
   "none" when it runs without one, "down" when it is not running. */
static const char faketime_probe[] =
	"pid=$(cat \"$1\" 2>/dev/null)\n"
	"[ -n \"$pid\" ] && [ -r /proc/$pid/environ ] || "
	"{ echo down; exit 0; }\n"
	"env=$(tr '\\0' '\\n' < /proc/$pid/environ)\n"
	"echo \"$env\" | grep -q '^LD_PRELOAD=.*faketime' || "
	"{ echo none; exit 0; }\n"
	"f=$(echo \"$env\" | sed -n 's/^FAKETIME_TIMESTAMP_FILE=//p' | "
	"head -n 1)\n"
	"[ -n \"$f\" ] || { echo none; exit 0; }\n"
	"case $f in /*) ;; *) f=$(readlink /proc/$pid/cwd)/$f ;; esac\n"
	"echo \"$f\"\n";

static int clock_prepare(struct nemesis *n, struct fault *f,
			 struct sb *note, struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;
	int rc = 0;

	if (s->db && (rc = db_resolve(s->db, err)))
		return rc;
	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;
		const char *pf;

		if (!s->nodes[tg->index].shares_kernel) {
			if (!strcmp(f->shape, "strobe"))
				nemesis__target_unsupported(tg,
					"strobe is only implemented for "
					"members under libfaketime");
			continue;
		}
		pf = s->db ? db_pidfile(s->db, tg->index) : NULL;
		if (!pf) {
			nemesis__target_unsupported(tg,
				"shares the controller's clock and no "
				"database member runs there");
			continue;
		}
		j = nemesis__batch_add(&b, tg->index, i, 10000);
		sb_adds(&j->script, faketime_probe);
		nemesis_argv_push(&j->args, pf);
	}
	rc = nemesis__batch_run(s->t, &b, "faketime probe", -NS_EREMOTE,
				err, "clock: ");
	for (i = 0; !rc && i < b.n; i++) {
		struct fault_target *tg = &f->targets[b.v[i].tag];
		const char *out = b.v[i].res.out.buf;

		if (out[0] == '/')
			tg->clock_file = xstrndup(out, strcspn(out, "\n"));
		else if (!strncmp(out, "down", 4))
			nemesis__target_unsupported(tg, "member not running");
		else
			nemesis__target_unsupported(tg,
				"shares the controller's clock (local "
				"cluster) and its member does not run under "
				"libfaketime (Go programs such as etcd ignore "
				"it): clock faults are unsupported there");
	}
	nemesis__batch_release(&b);
	return rc;
}

static const char faketime_bump[] =
	"f=$1 off=$2\n"
	"printf '%s\\n' \"$off\" > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n";

static const char faketime_strobe[] =
	"f=$1 off=$2 period=$3 id=$4\n"
	"setsid sh -c 'while :; do"
	" printf \"%s\\n\" \"$1\" > \"$3.s\" && mv \"$3.s\" \"$3\";"
	" sleep \"$2\";"
	" printf \"+0\\n\" > \"$3.s\" && mv \"$3.s\" \"$3\";"
	" sleep \"$2\"; done'"
	" netsplit-strobe \"$off\" \"$period\" \"$f\" \"$id\""
	" </dev/null >/dev/null 2>&1 &\n"
	"echo $!\n";

static const char real_bump[] =
	"off=$1 state=$2\n"
	"[ \"$(id -u)\" = 0 ] || { echo 'clock: needs root' >&2; exit 1; }\n"
	"[ -e \"$state\" ] && exit 0\n"
	"echo \"$off\" > \"$state\" || exit 1\n"
	"now=$(date +%s.%N)\n"
	"date -s \"@$(echo \"$now $off\" | "
	"awk '{printf \"%.6f\", $1 + $2 / 1000}')\" >/dev/null\n";

static void seconds(struct sb *sb, long long ms)
{
	sb_addf(sb, "%s%lld.%03lld", ms < 0 ? "-" : "+",
		(ms < 0 ? -ms : ms) / 1000, (ms < 0 ? -ms : ms) % 1000);
}

static int clock_start(struct nemesis *n, struct fault *f, struct sb *note,
		       struct sb *err)
{
	struct nemesis_set *s = n->set;
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;
	int rc;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		struct nemesis_job *j;
		struct sb off = SB_INIT;

		if (tg->unsupported)
			continue;
		j = nemesis__batch_add(&b, tg->index, i, 10000);
		if (tg->clock_file) {
			seconds(&off, tg->offset_ms);
			nemesis_argv_push(&j->args, tg->clock_file);
			nemesis_argv_push(&j->args, off.buf);
			if (f->period_ms) {
				nemesis_argv_pushf(&j->args, "%lld.%03lld",
						   f->period_ms / 1000,
						   f->period_ms % 1000);
				nemesis_argv_push(&j->args, f->id);
				sb_adds(&j->script, faketime_strobe);
			} else {
				sb_adds(&j->script, faketime_bump);
			}
		} else {
			nemesis_argv_pushf(&j->args, "%lld", tg->offset_ms);
			nemesis_argv_pushf(&j->args, "%s/%s.clock",
					   tg->dir ? tg->dir : "/tmp",
					   f->id);
			sb_adds(&j->script, real_bump);
		}
		sb_release(&off);
	}
	rc = nemesis__batch_run(s->t, &b, "clock", -NS_EREMOTE, err,
				"fault '%s' (clock): ", f->id);
	for (i = 0; i < b.n; i++) {
		struct fault_target *tg = &f->targets[b.v[i].tag];

		if (nemesis__job_ok(&b.v[i]) && tg->clock_file &&
		    f->period_ms)
			tg->pid = strtol(b.v[i].res.out.buf, NULL, 10);
	}
	nemesis__batch_release(&b);
	return rc;
}

static void clock_undo(const struct fault *f, size_t i, struct sb *script,
		       struct nemesis_argv *args)
{
	const struct fault_target *tg = &f->targets[i];

	if (tg->clock_file) {
		sb_adds(script,
			"f=$1 pid=$2 id=$3\n"
			"if [ \"$pid\" -gt 0 ] 2>/dev/null && "
			"tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | "
			"grep -qF \" $id\"; then kill \"$pid\"; fi\n"
			"rm -f \"$f.s\"\n"
			"printf '+0\\n' > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n");
		nemesis_argv_push(args, tg->clock_file);
		nemesis_argv_pushf(args, "%ld", tg->pid);
		nemesis_argv_push(args, f->id);
		return;
	}
	sb_adds(script,
		"state=$1\n"
		"[ -e \"$state\" ] || exit 0\n"
		"off=$(cat \"$state\")\n"
		"now=$(date +%s.%N)\n"
		"date -s \"@$(echo \"$now $off\" | "
		"awk '{printf \"%.6f\", $1 - $2 / 1000}')\" >/dev/null &&\n"
		"rm -f \"$state\"\n");
	nemesis_argv_pushf(args, "%s/%s.clock", tg->dir ? tg->dir : "/tmp",
			   f->id);
}

const struct nemesis_type nemesis_clock = {
	.name = "clock",
	.shapes = shapes,
	.plan = clock_plan,
	.prepare = clock_prepare,
	.start = clock_start,
	.undo = clock_undo,
};
