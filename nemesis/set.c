/*
 * set.c - the nemesis set: registry, seeded schedule, journal, start /
 * stop / heal-all / renew (see nemesis.h for the protocol; its options
 * and the faults list are options.c's).
 *
 * Remote commands run here:
 *   probe (once per node): mkdir -p DIR/netsplit-nemesis, read
 *     /proc/sys/kernel/random/boot_id, find the iptables binary that
 *     works (`iptables -w 5 -S INPUT`, then iptables-legacy).  Nothing to
 *     undo (the directory holds the dead-man files and stays).
 *   renew: echo N > DIR/netsplit-nemesis/<run tag>.lease (N counts the
 *     renewals: the dead-man loop sees a change whatever the node's
 *     clock says).  The lease goes (rm -f, with the disarm) when the
 *     last fault in force on that node is healed, or at heal-all.
 * Everything else is the kinds' (partition.c, loss.c, process.c,
 * clock.c) and the dead-man switch's (util.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "err.h"
#include "nemesis-internal.h"

/* ===== Journal ===== */

int nemesis__journal_append(const char *path, const char *event,
			    const struct fault *f, struct sb *err)
{
	json_t *line = json_object();
	char *text;
	int fd, rc = 0;
	size_t len;

	json_object_set_new(line, "event", json_string(event));
	json_object_set_new(line, "time_ns",
			    json_integer(nemesis__now_ns()));
	if (!strcmp(event, "healed"))
		json_object_set_new(line, "id", json_string(f->id));
	else
		json_object_set_new(line, "fault", fault_to_json(f));
	text = json_dumps(line, JSON_COMPACT);
	json_decref(line);
	len = strlen(text);
	text[len++] = '\n';	/* over the NUL: write() needs none */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		  0644);
	/* "applied" only adds what was learned (heal works from "apply"):
	   written, so a controller crash keeps it, but not waited for */
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    (strcmp(event, "applied") && fsync(fd))) {
		sb_addf(err, "%s: %s", path, strerror(errno));
		rc = -NS_EWRITE;
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

static int journal_write(struct nemesis_set *s, const char *event,
			 const struct fault *f, struct sb *err)
{
	return nemesis__journal_append(s->journal, event, f, err);
}

/* ===== The set ===== */

static const char probe_script[] =
	"dir=$1 want=$2\n"
	"d=${dir:-$HOME}/netsplit-nemesis\n"
	"mkdir -p \"$d\" || exit 1\n"
	"echo \"dir=$d\"\n"
	"echo \"boot=$(cat /proc/sys/kernel/random/boot_id)\"\n"
	"if [ \"$want\" = auto ]; then set -- iptables iptables-legacy;\n"
	"else set -- \"$want\"; fi\n"
	"for b in \"$@\"; do\n"
	"  if command -v \"$b\" >/dev/null 2>&1 &&\n"
	"     \"$b\" -w 5 -S INPUT >/dev/null 2>&1; then\n"
	"    echo \"backend=$b\"; break\n"
	"  fi\n"
	"done\n";

static char *line_value(const char *out, const char *key)
{
	size_t klen = strlen(key);
	const char *p = out;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;

			return xstrndup(v, strcspn(v, "\n"));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static void local_boot_id(char *buf, size_t n)
{
	FILE *fp = fopen("/proc/sys/kernel/random/boot_id", "r");

	buf[0] = '\0';
	if (fp) {
		if (fgets(buf, (int)n, fp))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
}

static int probe(struct nemesis_set *s, struct sb *err)
{
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	char boot[64];
	size_t i;
	int rc;

	local_boot_id(boot, sizeof(boot));
	for (i = 0; i < s->nnodes; i++) {
		const struct node *nd = transport_node(s->t, i);
		struct nemesis_job *j = nemesis__batch_add(&b, i, i, 15000);

		sb_adds(&j->script, probe_script);
		nemesis_argv_push(&j->args, nd->dir ? nd->dir : "");
		nemesis_argv_push(&j->args, s->opts.iptables);
	}
	rc = nemesis__batch_run(s->t, &b, "probe", -NS_ESETUP, err,
				"nemesis set-up: ");
	for (i = 0; i < b.n; i++) {
		struct nemesis_node *nn = &s->nodes[i];
		const char *out = b.v[i].res.out.buf;
		char *bk, *id;

		if (!nemesis__job_ok(&b.v[i]))
			continue;
		nn->dir = line_value(out, "dir");
		bk = line_value(out, "backend");
		id = line_value(out, "boot");
		snprintf(nn->backend, sizeof(nn->backend), "%s",
			 bk ? bk : "");
		/* shared unless both boot ids are known and differ: a
		   node's clock is only ever set when it surely is not
		   the controller's */
		nn->shares_kernel = !(id && id[0] && boot[0] &&
				      strcmp(id, boot));
		nn->probed = 1;
		free(bk);
		free(id);
	}
	nemesis__batch_release(&b);
	return rc;
}

struct build_ctx {
	struct nemesis_set *s;
};

static int add_entry(void *ctx, const struct nemesis_type *t,
		     const char *shape)
{
	struct nemesis_set *s = ((struct build_ctx *)ctx)->s;
	struct nemesis *n = NULL;
	size_t i;

	for (i = 0; i < s->nkinds; i++)
		if (s->kinds[i].type == t)
			n = &s->kinds[i];
	if (!n) {
		n = &s->kinds[s->nkinds++];
		n->type = t;
		n->set = s;
	}
	s->entries = xrealloc(s->entries,
			      (s->nentries + 1) * sizeof(*s->entries));
	s->entries[s->nentries].n = n;
	s->entries[s->nentries].shape = shape;
	s->nentries++;
	return 0;
}

/* Take the journal's lock, held while the set lives.  `netsplit heal`
   takes it only for a moment (to probe, or to heal a dead run), so a
   busy lock is retried for 2 s; after that another controller or
   `netsplit nemesis` owns the run: -1 with errno EWOULDBLOCK, at once
   rather than a silent wait. */
static int lock_journal(int fd)
{
	int tries;

	for (tries = 0; tries < 20; tries++) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		usleep(100000);
	}
	errno = EWOULDBLOCK;
	return -1;
}

int nemesis__journal_busy(int fd)
{
	return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int nemesis_run_live(const char *run_dir)
{
	char path[4096];
	int fd, live;

	snprintf(path, sizeof(path), "%s/nemesis.journal", run_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	live = nemesis__journal_busy(fd);
	close(fd);
	return live;
}

static void random_tag(char *tag)
{
	unsigned char b[4] = { 0 };
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		uint64_t x = (uint64_t)nemesis__now_ns() ^ (uint64_t)getpid();

		x = nemesis__rand(&x);
		memcpy(b, &x, sizeof(b));
	}
	if (fd >= 0)
		close(fd);
	snprintf(tag, 9, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

int nemesis_set_new(struct nemesis_set **sp, const struct nemesis_opts *o,
		    struct transport *t, struct db *db, const char *run_dir,
		    struct sb *err)
{
	struct nemesis_set *s = xcalloc(1, sizeof(*s));
	struct build_ctx ctx = { s };
	size_t i;
	int rc;

	*sp = NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->opts = *o;
	s->opts.faults = xstrdup(o->faults);
	s->opts.iptables = xstrdup(o->iptables ? o->iptables : "auto");
	s->t = t;
	s->db = db;
	s->run_dir = xstrdup(run_dir);
	sb_init(&s->said, 0);
	s->journal = xmalloc(strlen(run_dir) + sizeof("/nemesis.journal"));
	sprintf(s->journal, "%s/nemesis.journal", run_dir);
	/* held until nemesis_set_free(): `netsplit heal` leaves a live
	   run's faults alone (heal only probes it, never holds it long) */
	s->journal_fd = open(s->journal, O_WRONLY | O_APPEND | O_CREAT |
			     O_CLOEXEC, 0644);
	if (s->journal_fd < 0) {
		sb_addf(err, "%s: %s", s->journal, strerror(errno));
		rc = -NS_EWRITE;
		goto fail;
	}
	if (lock_journal(s->journal_fd)) {
		int busy = errno == EWOULDBLOCK;

		sb_addf(err, "%s: %s", s->journal, busy ?
			"the run is live: another netsplit holds its journal" :
			strerror(errno));
		close(s->journal_fd);
		rc = busy ? -NS_EUSAGE : -NS_EWRITE;
		goto fail;
	}
	s->journal_locked = 1;
	random_tag(s->tag);
	s->nnodes = transport_nnodes(t);
	s->nodes = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*s->nodes));
	for (i = 0; nemesis_types[i]; i++)
		;
	s->kinds = xcalloc(i + 1, sizeof(*s->kinds));
	if ((rc = nemesis__each_fault(o->faults, err, add_entry, &ctx)))
		goto fail;
	for (i = 0; i < s->nkinds; i++)
		if (!db && s->kinds[i].type->needs_db) {
			sb_addf(err, "fault '%s' needs a database plug-in",
				s->kinds[i].type->name);
			rc = -NS_EUSAGE;
			goto fail;
		}
	if ((rc = probe(s, err)))
		goto fail;
	for (i = 0; i < s->nkinds; i++)
		if (s->kinds[i].type->setup &&
		    (rc = s->kinds[i].type->setup(&s->kinds[i], err)))
			goto fail;
	*sp = s;
	return 0;
fail:
	nemesis_set_free(s);
	return rc;
}

void nemesis_set_free(struct nemesis_set *s)
{
	struct fault *f, *next;
	size_t i;

	if (!s)
		return;
	for (f = s->active; f; f = next) {
		next = f->next;
		fault_free(f);
	}
	for (i = 0; i < s->nkinds; i++)
		if (s->kinds[i].type->release)
			s->kinds[i].type->release(&s->kinds[i]);
	for (i = 0; i < s->nnodes; i++)
		free(s->nodes[i].dir);
	free(s->nodes);
	free(s->kinds);
	free(s->entries);
	free(s->run_dir);
	free(s->journal);
	if (s->journal_locked)
		close(s->journal_fd);
	sb_release(&s->said);
	nemesis_opts_release(&s->opts);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ===== Schedule ===== */

static int plan_locked(struct nemesis_set *s, size_t k, struct fault **fp,
		       struct sb *err)
{
	uint64_t rng = s->opts.seed * 0x2545f4914f6cdd1dULL + k + 1;
	const struct nemesis_entry *e;
	const char *shape, *fit[32];
	struct fault *f;
	struct sb id = SB_INIT;
	size_t nfit = 0, i;
	int rc;

	*fp = NULL;
	nemesis__rand(&rng);
	e = &s->entries[s->opts.cycle ? k % s->nentries :
			nemesis__randn(&rng, s->nentries)];
	shape = e->shape;
	if (!shape && e->n->type->shapes) {
		/* only the shapes this cluster can take (the same draw as
		   over all of them when every one fits) */
		for (i = 0; e->n->type->shapes[i] && nfit < 32; i++)
			if (nemesis__min_nodes(e->n->type,
					       e->n->type->shapes[i]) <=
			    s->nnodes)
				fit[nfit++] = e->n->type->shapes[i];
		if (!nfit) {
			sb_addf(err, "'%s' needs at least %zu nodes, not %zu",
				e->n->type->name,
				nemesis__min_nodes(e->n->type, NULL),
				s->nnodes);
			return -NS_EUSAGE;
		}
		shape = fit[nemesis__randn(&rng, nfit)];
	}
	sb_addf(&id, "%s-%zu", s->tag, k);
	f = nemesis__fault_new(e->n->type, id.buf, shape);
	sb_release(&id);
	f->k = k;
	f->deadman_s = s->opts.deadman_s;
	if ((rc = e->n->type->plan(e->n, f, f->shape, &rng, err))) {
		fault_free(f);
		return rc;
	}
	*fp = f;
	return 0;
}

int nemesis_plan(struct nemesis_set *s, size_t k, struct fault **f,
		 struct sb *err)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = plan_locked(s, k, f, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

json_t *nemesis_schedule_json(struct nemesis_set *s, size_t n)
{
	json_t *a = json_array();
	struct sb err = SB_INIT;
	size_t k;

	for (k = 0; k < n; k++) {
		struct fault *f;

		if (nemesis_plan(s, k, &f, &err))
			break;
		json_array_append_new(a, fault_describe(f));
		fault_free(f);
	}
	sb_release(&err);
	return a;
}

static struct nemesis *instance(struct nemesis_set *s,
				const struct nemesis_type *t)
{
	size_t i;

	for (i = 0; i < s->nkinds; i++)
		if (s->kinds[i].type == t)
			return &s->kinds[i];
	return NULL;
}

/* Does a fault in force other than f keep a dead-man lease on node? */
static int lease_needed(const struct nemesis_set *s, const struct fault *f,
			size_t node)
{
	const struct fault *g;
	size_t i;

	for (g = s->active; g; g = g->next)
		for (i = 0; g != f && g->deadman_s && i < g->ntargets; i++)
			if (g->targets[i].index == node &&
			    !g->targets[i].unsupported)
				return 1;
	return 0;
}

/*
 * Heal f.  Only a fault healed on every target is disarmed, journaled
 * "healed" and dropped: when the undo fails anywhere, f stays in force
 * and owned by the set, every switch it armed stays armed and its lease
 * keeps being renewed (nemesis_renew() renews every fault in force), so
 * the switches still heal it if the controller dies before a retry
 * (nemesis_heal_all(), `netsplit heal`) succeeds.  A node's lease file
 * goes with the last fault in force there.
 */
static int stop_locked(struct nemesis_set *s, struct fault *f,
		       struct sb *err)
{
	struct nemesis *n = instance(s, f->type);
	unsigned char *drop = xcalloc(f->ntargets + 1, 1);
	struct sb derr = SB_INIT;
	struct fault **pp;
	size_t i;
	int rc;

	if (n && f->type->stop)
		rc = f->type->stop(n, f, err);
	else
		rc = nemesis__undo_all(s->t, f, err);
	if (rc) {
		free(drop);
		return rc;
	}
	for (i = 0; i < f->ntargets; i++) {
		size_t node = f->targets[i].index;

		drop[i] = f->deadman_s && node < s->nnodes &&
			  !lease_needed(s, f, node);
		if (drop[i])
			s->nodes[node].leased = 0;
	}
	/* A switch left armed (disarm failed) finds its lease gone and
	   runs the undo again: harmless, undo steps are idempotent. */
	nemesis__deadman_disarm(s->t, f, drop, &derr);
	sb_release(&derr);
	free(drop);
	f->stop_ns = nemesis__now_ns();
	if ((rc = journal_write(s, "healed", f, err)))
		return rc;
	for (pp = &s->active; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	fault_free(f);
	return 0;
}

struct arm_arg {
	struct nemesis_set *s;
	struct fault *f;
	struct sb err;
	int rc;
};

static void *arm_main(void *p)
{
	struct arm_arg *a = p;

	a->rc = nemesis__deadman_arm(a->s, a->f, &a->err);
	return NULL;
}

/*
 * Arm the dead-man switches and inject the fault at the same time: both
 * are journaled already, and neither needs the other, so the fault is in
 * force after one round trip instead of two.  Kinds that arm in their own
 * start command (partition, loss) save even the second channel.
 */
static int arm_and_start(struct nemesis_set *s, struct nemesis *n,
			 struct fault *f, struct sb *note, struct sb *err)
{
	struct arm_arg a = { s, f, SB_INIT, 0 };
	pthread_t th;
	int separate = f->deadman_s && !f->type->arms_deadman;
	int threaded, rc;

	threaded = separate && !pthread_create(&th, NULL, arm_main, &a);
	if (separate && !threaded)
		arm_main(&a);
	rc = f->type->start(n, f, note, err);
	if (threaded)
		pthread_join(th, NULL);
	for (size_t i = 0; i < f->ntargets; i++)
		if (f->deadman_s && !f->targets[i].unsupported)
			s->nodes[f->targets[i].index].leased = 1;
	if (a.rc) {
		sb_add(err, a.err.buf, a.err.len);
		rc = rc ? rc : a.rc;
	}
	sb_release(&a.err);
	return rc;
}

int nemesis_start_next(struct nemesis_set *s, struct fault **fp,
		       struct sb *note, struct sb *err)
{
	struct nemesis *n;
	struct fault *f;
	struct sb herr = SB_INIT;
	size_t i;
	int rc;

	*fp = NULL;
	pthread_mutex_lock(&s->lock);
	if ((rc = plan_locked(s, s->next++, &f, err)))
		goto out;
	n = instance(s, f->type);
	for (i = 0; i < f->ntargets; i++) {
		struct nemesis_node *nn = &s->nodes[f->targets[i].index];

		if (nn->dir && !f->targets[i].dir)
			f->targets[i].dir = xstrdup(nn->dir);
	}
	if (f->type->prepare && (rc = f->type->prepare(n, f, note, err))) {
		fault_free(f);
		goto out;
	}
	if (!nemesis__live_targets(f)) {
		for (i = 0; i < f->ntargets; i++) {
			struct sb line = SB_INIT;

			sb_addf(&line, "%s: %s: %s", f->type->name,
				f->targets[i].node, f->targets[i].unsupported);
			nemesis__note_once(s, note, line.buf);
			sb_release(&line);
		}
		fault_free(f);
		goto out;
	}
	for (i = 0; i < f->ntargets; i++)
		if (f->targets[i].unsupported) {
			struct sb line = SB_INIT;

			sb_addf(&line, "%s: %s: %s", f->type->name,
				f->targets[i].node, f->targets[i].unsupported);
			nemesis__note_once(s, note, line.buf);
			sb_release(&line);
		}
	f->start_ns = nemesis__now_ns();
	if ((rc = journal_write(s, "apply", f, err))) {
		fault_free(f);
		goto out;
	}
	f->next = s->active;
	s->active = f;
	if ((rc = arm_and_start(s, n, f, note, err))) {
		if (stop_locked(s, f, &herr)) {
			sb_addf(err, "\nand healing it failed: %s", herr.buf);
			sb_adds(err, "(run 'netsplit heal')");
		}
		goto out;
	}
	{
		struct sb jerr = SB_INIT;

		/* The fault is in force and journaled ("apply"): a lost
		   "applied" line is worth a warning, not a failed start. */
		if (journal_write(s, "applied", f, &jerr)) {
			struct sb line = SB_INIT;

			sb_addf(&line, "warning: fault '%s': %s", f->id,
				jerr.buf);
			nemesis__note_once(s, note, line.buf);
			sb_release(&line);
		}
		sb_release(&jerr);
	}
	*fp = f;
out:
	sb_release(&herr);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int nemesis_stop(struct nemesis_set *s, struct fault *f, struct sb *err)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = stop_locked(s, f, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Nothing in force any more: remove this run's lease files (best
   effort; a stale lease only ever makes a switch fire sooner). */
static void remove_leases(struct nemesis_set *s)
{
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	size_t i;

	for (i = 0; i < s->nnodes; i++) {
		struct nemesis_job *j;

		if (!s->nodes[i].dir || !s->nodes[i].leased)
			continue;
		j = nemesis__batch_add(&b, i, i, 5000);
		sb_adds(&j->script, "rm -f \"$1\"");
		nemesis_argv_pushf(&j->args, "%s/%s.lease", s->nodes[i].dir,
				   s->tag);
		s->nodes[i].leased = 0;
	}
	nemesis__batch_run(s->t, &b, "rm", 0, NULL, "lease: ");
	nemesis__batch_release(&b);
}

int nemesis_heal_all(struct nemesis_set *s, struct sb *err)
{
	struct fault *f, *next;
	int rc = 0, r;

	pthread_mutex_lock(&s->lock);
	for (f = s->active; f; f = next) {
		next = f->next;
		r = stop_locked(s, f, err);
		if (r && !rc)
			rc = r;
	}
	if (!s->active)
		remove_leases(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

size_t nemesis_active(const struct nemesis_set *s)
{
	const struct fault *f;
	size_t n = 0;

	for (f = s->active; f; f = f->next)
		n++;
	return n;
}

int nemesis_renew(struct nemesis_set *s, struct sb *err)
{
	struct nemesis_batch b = NEMESIS_BATCH_INIT;
	unsigned char *want;
	struct fault *f;
	size_t i;
	int rc;

	pthread_mutex_lock(&s->lock);
	want = xcalloc(s->nnodes + 1, 1);
	s->renewals++;
	for (f = s->active; f; f = f->next)
		for (i = 0; i < f->ntargets; i++)
			if (f->deadman_s && !f->targets[i].unsupported &&
			    f->targets[i].index < s->nnodes)
				want[f->targets[i].index] = 1;
	for (i = 0; i < s->nnodes; i++) {
		struct nemesis_job *j;

		if (!want[i] || !s->nodes[i].dir)
			continue;
		j = nemesis__batch_add(&b, i, i, 5000);
		sb_adds(&j->script, "echo \"$2\" > \"$1\"");
		nemesis_argv_pushf(&j->args, "%s/%s.lease", s->nodes[i].dir,
				   s->tag);
		nemesis_argv_pushf(&j->args, "%lu", s->renewals);
	}
	if (err->len && err->buf[err->len - 1] != '\n')
		sb_addc(err, '\n');
	/* one line per node, starting with its name */
	rc = nemesis__batch_run(s->t, &b, "renew", -NS_EREMOTE, err, "%s",
				"");
	nemesis__batch_release(&b);
	free(want);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
