/*
 * heal.c - `netsplit heal`: undo every fault journaled under a store
 * directory and not recorded as healed, from the journal alone.
 *
 * Reads every nemesis.journal under store_dir (depth <= 4).  A fault's
 * state is its last line: "apply"/"applied" = possibly in force,
 * "healed" = done.  For each fault in force: connect to the nodes it
 * names (addresses and ssh settings from the config, by node name), run
 * each target's undo script (the kind's, see partition.c, loss.c,
 * process.c, clock.c), kill its dead-man switch, append "healed".
 * A killed member is not restarted (only the database plug-in could):
 * the log says so.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "config.h"
#include "err.h"
#include "nemesis-internal.h"

struct pending {
	char *journal;
	struct fault *f;	/* NULL once healed */
};

struct scan {
	struct pending *p;
	size_t n, alloc;
	size_t journals;
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

static int read_journal(struct scan *sc, const char *path, struct sb *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;

	if (!fp) {
		sb_addf(err, "%s: %s\n", path, strerror(errno));
		return -NS_EIO;
	}
	sc->journals++;
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je);
		const char *ev = json_string_value(json_object_get(j, "event"));
		struct pending *p;
		struct fault *f;

		lineno++;
		if (!j || !ev) {
			/* a torn last line from a crash: nothing after it */
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
		}
		json_decref(j);
	}
	free(line);
	fclose(fp);
	return 0;
}

static void walk(struct scan *sc, const char *dir, int depth,
		 struct sb *err)
{
	DIR *d;
	struct dirent *e;

	if (depth > 4 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		struct sb path = SB_INIT;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		sb_addf(&path, "%s/%s", dir, e->d_name);
		if (lstat(path.buf, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				walk(sc, path.buf, depth + 1, err);
			else if (S_ISREG(st.st_mode) &&
				 !strcmp(e->d_name, "nemesis.journal"))
				read_journal(sc, path.buf, err);
		}
		sb_release(&path);
	}
	closedir(d);
}

static int heal_one(struct transport *t, const struct config *c,
		    struct pending *p, struct sb *log, struct sb *err)
{
	struct fault *f = p->f;
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
		if ((r = nemesis__undo_target(t, f, i, err))) {
			sb_addc(err, '\n');
			rc = rc ? rc : r;
			continue;
		}
		if (!strcmp(f->type->name, "kill"))
			sb_addf(log, "%s: member killed by fault '%s' (pid "
				"%ld) is not restarted by heal\n", tg->node,
				f->id, tg->pid);
	}
	/* disarm only where undo ran; unreachable nodes keep their switch */
	if ((r = nemesis__deadman_disarm(t, f, err)))
		rc = rc ? rc : r;
	if (rc)
		return rc;
	return nemesis__journal_append(p->journal, "healed", f, err);
}

int nemesis_heal_store(const struct config *c, const char *store_dir,
		       struct nemesis_heal_stats *st, struct sb *log,
		       struct sb *err)
{
	struct scan sc = { 0 };
	struct transport *t = NULL;
	struct stat sst;
	size_t i;
	int rc = 0, r;

	memset(st, 0, sizeof(*st));
	if (stat(store_dir, &sst) || !S_ISDIR(sst.st_mode)) {
		sb_addf(log, "%s: no store directory: nothing to heal\n",
			store_dir);
		return 0;
	}
	walk(&sc, store_dir, 0, err);
	st->journals = sc.journals;
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
		r = heal_one(t, c, p, log, err);
		if (r) {
			st->failed++;
			rc = rc ? rc : r;
		} else {
			st->healed++;
			sb_addf(log, "healed %s fault '%s' (%s)\n",
				p->f->type->name, p->f->id, p->journal);
		}
	}
	if (t)
		transport_close(t);
	for (i = 0; i < sc.n; i++) {
		fault_free(sc.p[i].f);
		free(sc.p[i].journal);
	}
	free(sc.p);
	return rc;
}
