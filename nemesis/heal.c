/*
 * heal.c - `netsplit heal`: undo every fault journaled under a store
 * directory and not recorded as healed, from the journal alone.
 *
 * Reads every nemesis.journal under store_dir (depth <= 4), except those
 * of live runs (the controller holds a flock on its journal; --force
 * heals them too).  A fault's
 * state is its last line: "apply"/"applied" = possibly in force,
 * "healed" = done.  For each fault in force: connect to the nodes it
 * names (addresses and ssh settings from the config, by node name), run
 * each target's undo script (the kind's, see partition.c, loss.c,
 * process.c, clock.c), kill its dead-man switch, append "healed".
 * A killed member that is not running is restarted with the database
 * plug-in its record names (db_pid(), then db_start()); when that is
 * impossible the fault stays unhealed and the error names the member.
 * A target whose undo failed keeps its dead-man switch (it heals on its
 * own once the lease, no longer renewed, is old).  Lease files go once
 * no unhealed fault of their run uses them on that node.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "nemesis-internal.h"

struct pending {
	char *journal;
	struct fault *f;	/* NULL once journaled healed */
	int healed;		/* healed by this heal */
};

struct scan {
	struct pending *p;
	size_t n, alloc;
	size_t journals;
	size_t live;		/* journals of live runs skipped */
	size_t bad_lines;	/* journal lines that could not be read */
	int force;		/* heal live runs too */
	/* database plug-ins opened to restart killed members, by type */
	const struct nemesis_db_opener *dbo;
	struct transport *t;
	struct db **dbs;
	char **db_types;
	size_t ndbs;
};

static struct pending *find(struct scan *sc, const char *journal,
			    const char *id)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (!strcmp(sc->p[i].journal, journal) &&
		    (sc->p[i].f ? !strcmp(sc->p[i].f->id, id) : 0))
			return &sc->p[i];
	return NULL;
}

/* The run directory of a journal path, for messages. */
static void add_run_dir(struct sb *sb, const char *journal)
{
	const char *slash = strrchr(journal, '/');

	if (slash)
		sb_add(sb, journal, (size_t)(slash - journal));
	else
		sb_adds(sb, ".");
}

/*
 * Read one journal.  A controller (or `netsplit nemesis`) holds an
 * exclusive flock on its journal for as long as its set lives: such a
 * run is live and heals its own faults, so it is skipped (said in log)
 * unless sc->force.  Only the last line may be cut short (a crash while
 * it was written): it is skipped with a warning in log.  Any other line
 * that is not a journal event is an error naming file:line (-NS_EREAD:
 * the harness's own record, which may hide a fault in force); the other
 * lines are still read, so what they record is healed.
 */
static int read_journal(struct scan *sc, const char *path, struct sb *log,
			struct sb *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, torn = 0;
	ssize_t len;
	int rc = 0;

	if (!fp) {
		sb_addf(err, "%s: %s\n", path, strerror(errno));
		sc->bad_lines++;
		return -NS_EREAD;
	}
	if (nemesis__journal_busy(fileno(fp))) {
		add_run_dir(log, path);
		if (!sc->force) {
			sb_adds(log, ": the run is live (its controller holds "
				"the journal and heals its own faults): "
				"skipped; --force heals it anyway\n");
			sc->live++;
			fclose(fp);
			return 0;
		}
		sb_adds(log, ": the run is live: healed anyway (--force)\n");
	}
	sc->journals++;
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je);
		const char *ev = json_string_value(json_object_get(j, "event"));
		struct pending *p;
		struct fault *f;

		lineno++;
		if (torn) {
			/* the bad line was not the last one */
			sb_addf(err, "%s:%zu: not a journal event (only the "
				"last line may be cut short)\n", path, torn);
			sc->bad_lines++;
			rc = -NS_EREAD;
			torn = 0;
		}
		if (!j || !ev) {
			/* a torn last line from a crash, if nothing follows */
			torn = lineno;
			json_decref(j);
			continue;
		}
		if (!strcmp(ev, "healed")) {
			const char *id = json_string_value(
				json_object_get(j, "id"));

			p = id ? find(sc, path, id) : NULL;
			if (p) {
				fault_free(p->f);
				p->f = NULL;
			}
		} else if (!fault_from_json(&f, json_object_get(j, "fault"),
					    err)) {
			p = find(sc, path, f->id);
			if (p) {
				fault_free(p->f);
				p->f = f;
			} else {
				ALLOC_GROW(sc->p, sc->n + 1, sc->alloc);
				sc->p[sc->n].journal = xstrdup(path);
				sc->p[sc->n].f = f;
				sc->n++;
			}
		} else {
			sb_addf(err, " (%s:%zu)\n", path, lineno);
			sc->bad_lines++;
			rc = -NS_EREAD;
		}
		json_decref(j);
	}
	if (torn)
		sb_addf(log, "warning: %s:%zu: last line cut short (a crash "
			"while it was written): skipped\n", path, torn);
	free(line);
	fclose(fp);
	return rc;
}

/* Read every journal under dir; the first error reading one. */
static int walk(struct scan *sc, const char *dir, int depth, struct sb *log,
		struct sb *err)
{
	DIR *d;
	struct dirent *e;
	int rc = 0, r = 0;

	if (depth > 4 || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d))) {
		struct sb path = SB_INIT;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		sb_addf(&path, "%s/%s", dir, e->d_name);
		if (lstat(path.buf, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				r = walk(sc, path.buf, depth + 1, log, err);
			else if (S_ISREG(st.st_mode) &&
				 !strcmp(e->d_name, "nemesis.journal"))
				r = read_journal(sc, path.buf, log, err);
			rc = rc ? rc : r;
		}
		sb_release(&path);
	}
	closedir(d);
	return rc;
}

/* The database plug-in of type (NULL: the config's), opened once. */
static struct db *get_db(struct scan *sc, const char *type, struct sb *err)
{
	const char *key = type ? type : "";
	struct db *d;
	size_t i;

	for (i = 0; i < sc->ndbs; i++)
		if (!strcmp(sc->db_types[i], key))
			return sc->dbs[i];
	if (!sc->dbo || !sc->dbo->open) {
		sb_adds(err, "no database plug-in to restart it with");
		return NULL;
	}
	d = sc->dbo->open(type, sc->t, sc->dbo->ctx, err);
	if (!d)
		return NULL;
	sc->dbs = xrealloc(sc->dbs, (sc->ndbs + 1) * sizeof(*sc->dbs));
	sc->db_types = xrealloc(sc->db_types,
				(sc->ndbs + 1) * sizeof(*sc->db_types));
	sc->dbs[sc->ndbs] = d;
	sc->db_types[sc->ndbs++] = xstrdup(key);
	return d;
}

/* Restart target i of kill fault f unless its member runs already. */
static int restart_member(struct scan *sc, const struct fault *f, size_t i,
			  struct sb *log, struct sb *err)
{
	const struct fault_target *tg = &f->targets[i];
	struct sb why = SB_INIT;
	struct db *d = get_db(sc, f->db, &why);
	long pid = 0;
	int rc = d ? 0 : -NS_ESETUP;

	if (d)
		rc = db_pid(d, tg->index, &pid, &why);
	if (!rc && pid <= 0)
		rc = db_start(d, tg->index, &why);
	if (!rc && pid <= 0)
		rc = db_pid(d, tg->index, &pid, &why);
	if (!rc && pid <= 0) {
		sb_adds(&why, "started, but its pid file names no live "
			"process");
		rc = -NS_EREMOTE;
	}
	if (rc) {
		sb_addf(err, "fault '%s' (kill): %s: the member it killed "
			"(pid %ld) was not restarted: %s", f->id, tg->node,
			tg->pid, why.buf);
	} else {
		sb_addf(log, "%s: member killed by fault '%s' (pid %ld) "
			"runs (pid %ld)\n", tg->node, f->id, tg->pid, pid);
	}
	sb_release(&why);
	return rc;
}

static size_t tag_len(const char *id)
{
	const char *dash = strrchr(id, '-');

	return dash ? (size_t)(dash - id) : strlen(id);
}

/* Does an unhealed fault other than p's, of p's run, arm a switch on
   node? */
static int lease_in_use(const struct scan *sc, const struct pending *p,
			const char *node)
{
	const char *id = p->f->id;
	size_t i, k, len = tag_len(id);

	for (i = 0; i < sc->n; i++) {
		const struct fault *g = sc->p[i].f;

		if (&sc->p[i] == p || !g || sc->p[i].healed ||
		    !g->deadman_s || tag_len(g->id) != len ||
		    strncmp(g->id, id, len))
			continue;
		for (k = 0; k < g->ntargets; k++)
			if (!strcmp(g->targets[k].node, node))
				return 1;
	}
	return 0;
}

static int heal_one(struct scan *sc, const struct config *c,
		    struct pending *p, struct sb *log, struct sb *err)
{
	struct transport *t = sc->t;
	struct fault *f = p->f;
	unsigned char *drop = xcalloc(f->ntargets + 1, 1);
	size_t i;
	int rc = 0, r;

	for (i = 0; i < f->ntargets; i++) {
		struct fault_target *tg = &f->targets[i];
		int idx;

		if (tg->unsupported)
			continue;
		idx = config_node_index(c, tg->node);
		if (idx < 0) {
			sb_addf(err, "fault '%s': node '%s' is not in %s\n",
				f->id, tg->node, c->path);
			rc = rc ? rc : -NS_ECONFIG;
			tg->unsupported = xstrdup("not in the config");
			continue;
		}
		tg->index = (size_t)idx;
		if (!transport_connected(t, tg->index)) {
			sb_addf(err, "fault '%s': %s: not reachable\n",
				f->id, tg->node);
			rc = rc ? rc : -NS_ECONNECT;
			tg->unsupported = xstrdup("not reachable");
			continue;
		}
		if (!strcmp(f->type->name, "kill"))
			r = restart_member(sc, f, i, log, err);
		else
			r = nemesis__undo_target(t, f, i, err);
		if (r) {
			sb_addc(err, '\n');
			rc = rc ? rc : r;
			/* its switch stays armed: skipped by the disarm */
			tg->unsupported = xstrdup("heal failed");
			continue;
		}
		drop[i] = !lease_in_use(sc, p, tg->node);
	}
	/* disarm only where undo ran; the other nodes keep their switch */
	r = nemesis__deadman_disarm(t, f, drop, err);
	free(drop);
	if (r)
		rc = rc ? rc : r;
	if (rc)
		return rc;
	p->healed = 1;
	return nemesis__journal_append(p->journal, "healed", f, err);
}

int nemesis_heal_store(const struct config *c, const char *store_dir,
		       const struct nemesis_db_opener *dbo, unsigned flags,
		       struct nemesis_heal_stats *st, struct sb *log,
		       struct sb *err)
{
	struct scan sc = { 0 };
	struct transport *t = NULL;
	struct stat sst;
	size_t i;
	int rc = 0, r, rread;

	memset(st, 0, sizeof(*st));
	if (stat(store_dir, &sst) || !S_ISDIR(sst.st_mode)) {
		sb_addf(log, "%s: no store directory: nothing to heal\n",
			store_dir);
		return 0;
	}
	sc.dbo = dbo;
	sc.force = !!(flags & NEMESIS_HEAL_FORCE);
	rread = walk(&sc, store_dir, 0, log, err);
	st->journals = sc.journals;
	st->live = sc.live;
	st->bad_lines = sc.bad_lines;
	for (i = 0; i < sc.n; i++)
		if (sc.p[i].f)
			st->faults++;
	if (st->faults) {
		struct sb oerr = SB_INIT;

		r = transport_open_partial(&t, c, &oerr);
		if (!t) {
			sb_addf(err, "%s", oerr.buf);
			rc = r ? r : -NS_ECONNECT;
		} else if (oerr.len) {
			sb_addf(log, "%s", oerr.buf);
		}
		sb_release(&oerr);
	}
	for (i = 0; i < sc.n; i++) {
		struct pending *p = &sc.p[i];

		if (!p->f)
			continue;
		if (!t) {
			st->failed++;
			continue;
		}
		sc.t = t;
		r = heal_one(&sc, c, p, log, err);
		if (r) {
			st->failed++;
			rc = rc ? rc : r;
		} else {
			st->healed++;
			sb_addf(log, "healed %s fault '%s' (%s)\n",
				p->f->type->name, p->f->id, p->journal);
		}
	}
	for (i = 0; i < sc.ndbs; i++) {
		db_free(sc.dbs[i]);
		free(sc.db_types[i]);
	}
	free(sc.dbs);
	free(sc.db_types);
	if (t)
		transport_close(t);
	for (i = 0; i < sc.n; i++) {
		fault_free(sc.p[i].f);
		free(sc.p[i].journal);
	}
	free(sc.p);
	/* what could be read was healed; a journal that could not be read
	   may still hide a fault in force */
	return rc ? rc : rread;
}
