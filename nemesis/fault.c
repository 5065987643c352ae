/*
 * fault.c - the fault record and its JSON form (journal lines, history
 * values).  Round trip: fault_from_json(fault_to_json(f)) == f, checked in
 * tests/unit/test-nemesis-fault.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "nemesis-internal.h"

const char *fault_kind(const struct fault *f)
{
	return f->type->name;
}

const char *fault_id(const struct fault *f)
{
	return f->id;
}

void nemesis__target_release(struct fault_target *tg)
{
	size_t k;

	free(tg->node);
	free(tg->host);
	for (k = 0; k < tg->ndrops; k++)
		free(tg->drops[k]);
	free(tg->drops);
	free(tg->clock_file);
	free(tg->pidfile);
	free(tg->member_dir);
	free(tg->dir);
	free(tg->unsupported);
	free(tg->db_apply);
	free(tg->db_undo);
	nemesis_argv_release(&tg->db_args);
	memset(tg, 0, sizeof(*tg));
}

void nemesis__clear_targets(struct fault *f)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++)
		nemesis__target_release(&f->targets[i]);
	free(f->targets);
	f->targets = NULL;
	f->ntargets = 0;
}

void fault_free(struct fault *f)
{
	if (!f)
		return;
	nemesis__clear_targets(f);
	free(f->id);
	free(f->shape);
	free(f->db);
	free(f);
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

static void set_int(json_t *o, const char *key, long long v)
{
	if (v)
		json_object_set_new(o, key, json_integer(v));
}

json_t *fault_to_json(const struct fault *f)
{
	json_t *o = json_object(), *ta = json_array();
	size_t i, k;

	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "kind", json_string(f->type->name));
	set_str(o, "shape", f->shape);
	set_str(o, "db", f->db);
	json_object_set_new(o, "k", json_integer((json_int_t)f->k));
	if (f->probability > 0)
		json_object_set_new(o, "probability",
				    json_real(f->probability));
	set_int(o, "delta_ms", f->delta_ms);
	set_int(o, "period_ms", f->period_ms);
	set_int(o, "deadman_s", f->deadman_s);
	set_int(o, "start_ns", f->start_ns);
	set_int(o, "stop_ns", f->stop_ns);
	for (i = 0; i < f->ntargets; i++) {
		const struct fault_target *tg = &f->targets[i];
		json_t *t = json_object();

		json_object_set_new(t, "node", json_string(tg->node));
		json_object_set_new(t, "host", json_string(tg->host));
		json_object_set_new(t, "index", json_integer(
					    (json_int_t)tg->index));
		if (tg->ndrops || !strcmp(f->type->name, "partition")) {
			json_t *d = json_array();

			for (k = 0; k < tg->ndrops; k++)
				json_array_append_new(
					d, json_string(tg->drops[k]));
			json_object_set_new(t, "drops", d);
		}
		set_str(t, "backend", tg->backend);
		set_str(t, "chain", tg->chain);
		set_int(t, "pid", tg->pid);
		set_int(t, "new_pid", tg->new_pid);
		set_int(t, "offset_ms", tg->offset_ms);
		set_str(t, "clock_file", tg->clock_file);
		set_str(t, "pidfile", tg->pidfile);
		set_str(t, "member_dir", tg->member_dir);
		set_str(t, "dir", tg->dir);
		set_int(t, "deadman_pid", tg->deadman_pid);
		set_str(t, "unsupported", tg->unsupported);
		set_str(t, "db_apply", tg->db_apply);
		set_str(t, "db_undo", tg->db_undo);
		if (tg->db_undo) {
			json_t *a = json_array();

			for (k = 0; k < tg->db_args.n; k++)
				json_array_append_new(
					a, json_string(tg->db_args.v[k]));
			json_object_set_new(t, "db_args", a);
		}
		json_array_append_new(ta, t);
	}
	json_object_set_new(o, "targets", ta);
	return o;
}

static const char *get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long long get_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int fault_from_json(struct fault **fp, json_t *j, struct sb *err)
{
	const struct nemesis_type *type;
	const char *id, *kind;
	struct fault *f;
	json_t *ta, *t, *v;
	size_t i, k;

	*fp = NULL;
	id = get_str(j, "id");
	kind = get_str(j, "kind");
	ta = json_object_get(j, "targets");
	if (!id || !kind || !json_is_array(ta)) {
		sb_adds(err, "fault record: 'id', 'kind' or 'targets' "
			"missing");
		return -NS_EINPUT;
	}
	type = nemesis_type_find(kind);
	if (!type) {
		sb_addf(err, "fault '%s': unknown kind '%s'", id, kind);
		return -NS_EINPUT;
	}
	f = nemesis__fault_new(type, id, get_str(j, "shape"));
	f->k = (size_t)get_int(j, "k");
	f->db = dup_or_null(get_str(j, "db"));
	v = json_object_get(j, "probability");
	f->probability = json_is_number(v) ? json_number_value(v) : 0;
	f->delta_ms = get_int(j, "delta_ms");
	f->period_ms = get_int(j, "period_ms");
	f->deadman_s = (int)get_int(j, "deadman_s");
	f->start_ns = get_int(j, "start_ns");
	f->stop_ns = get_int(j, "stop_ns");
	json_array_foreach(ta, i, t) {
		struct fault_target *tg;
		const char *node = get_str(t, "node");
		const char *host = get_str(t, "host");
		json_t *d = json_object_get(t, "drops");

		if (!node || !host) {
			sb_addf(err, "fault '%s': target %zu: 'node' or "
				"'host' missing", id, i);
			fault_free(f);
			return -NS_EINPUT;
		}
		tg = nemesis__add_target(f, (size_t)get_int(t, "index"),
					 node, host);
		if (json_is_array(d)) {
			tg->drops = xcalloc(json_array_size(d) + 1,
					    sizeof(*tg->drops));
			json_array_foreach(d, k, v)
				if (json_is_string(v))
					tg->drops[tg->ndrops++] =
						xstrdup(json_string_value(v));
		}
		snprintf(tg->backend, sizeof(tg->backend), "%s",
			 get_str(t, "backend") ? get_str(t, "backend") : "");
		snprintf(tg->chain, sizeof(tg->chain), "%s",
			 get_str(t, "chain") ? get_str(t, "chain") : "");
		tg->pid = (long)get_int(t, "pid");
		tg->new_pid = (long)get_int(t, "new_pid");
		tg->offset_ms = get_int(t, "offset_ms");
		tg->clock_file = dup_or_null(get_str(t, "clock_file"));
		tg->pidfile = dup_or_null(get_str(t, "pidfile"));
		tg->member_dir = dup_or_null(get_str(t, "member_dir"));
		tg->dir = dup_or_null(get_str(t, "dir"));
		tg->deadman_pid = (long)get_int(t, "deadman_pid");
		tg->unsupported = dup_or_null(get_str(t, "unsupported"));
		tg->db_apply = dup_or_null(get_str(t, "db_apply"));
		tg->db_undo = dup_or_null(get_str(t, "db_undo"));
		d = json_object_get(t, "db_args");
		if (json_is_array(d))
			json_array_foreach(d, k, v)
				nemesis_argv_push(&tg->db_args,
						  json_is_string(v) ?
						  json_string_value(v) : "");
	}
	*fp = f;
	return 0;
}

/* Append the supported targets' names, ", "-separated; returns how many. */
static size_t summary_targets(const struct fault *f, struct sb *out)
{
	size_t i, n = 0;

	for (i = 0; i < f->ntargets; i++) {
		if (f->targets[i].unsupported)
			continue;
		if (n++)
			sb_adds(out, ", ");
		sb_adds(out, f->targets[i].node);
	}
	return n;
}

/* Does target t drop node name? */
static int target_drops(const struct fault_target *t, const char *name)
{
	size_t k;

	for (k = 0; k < t->ndrops; k++)
		if (!strcmp(t->drops[k], name))
			return 1;
	return 0;
}

/* "n1 cut off from n2, n3; n2 cut off from n3", for a grudge that is no
   clean split (ring, bridge): every link once (a link an earlier target
   already named is left out).  O(targets^2 * drops). */
static void summary_partition(const struct fault *f, struct sb *out)
{
	size_t i, j, k, groups = 0;

	for (i = 0; i < f->ntargets; i++) {
		const struct fault_target *tg = &f->targets[i];
		size_t shown = 0;

		if (tg->unsupported)
			continue;
		for (k = 0; k < tg->ndrops; k++) {
			int seen = 0;

			for (j = 0; j < i && !seen; j++)
				seen = !f->targets[j].unsupported &&
				       !strcmp(f->targets[j].node,
					       tg->drops[k]) &&
				       target_drops(&f->targets[j],
						    tg->node);
			if (seen)
				continue;
			if (!shown++)
				sb_addf(out, "%s%s cut off from ",
					groups++ ? "; " : "", tg->node);
			else
				sb_adds(out, ", ");
			sb_adds(out, tg->drops[k]);
		}
	}
	if (!groups)
		sb_adds(out, "no link cut");
}

/* The target named name, or -1. */
static long target_named(const struct fault *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->ntargets; i++)
		if (!strcmp(f->targets[i].node, name))
			return (long)i;
	return -1;
}

/*
 * A clean split: the nodes fall into components whose members keep every
 * link among themselves and drop every node of the other components, both
 * ways (halves, isolate).  comp[i] is target i's component, numbered in
 * order of first appearance.  Returns how many components, or 0 when the
 * grudge is no clean split (ring, bridge, a target unsupported, a drop
 * naming no target).  O(targets^2 * drops).
 */
static size_t split_components(const struct fault *f, size_t *comp)
{
	size_t i, j, k, n = f->ntargets, ncomp = 0;

	for (i = 0; i < n; i++) {
		if (f->targets[i].unsupported)
			return 0;
		for (k = 0; k < f->targets[i].ndrops; k++)
			if (target_named(f, f->targets[i].drops[k]) < 0)
				return 0;
		comp[i] = SIZE_MAX;
	}
	for (i = 0; i < n; i++) {
		if (comp[i] != SIZE_MAX)
			continue;
		comp[i] = ncomp++;
		for (j = i + 1; j < n; j++)
			if (comp[j] == SIZE_MAX &&
			    !target_drops(&f->targets[i], f->targets[j].node))
				comp[j] = comp[i];
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j &&
			    target_drops(&f->targets[i], f->targets[j].node) !=
			    (comp[i] != comp[j]))
				return 0;
	return ncomp;
}

/* "n1, n2, n3 | n4, n5" for a clean split; returns 0 for any other
   grudge, writing nothing. */
static int summary_split(const struct fault *f, struct sb *out)
{
	size_t *comp = xcalloc(f->ntargets + 1, sizeof(*comp));
	size_t c, i, ncomp = split_components(f, comp);

	for (c = 0; ncomp > 1 && c < ncomp; c++) {
		int first = 1;

		if (c)
			sb_adds(out, " | ");
		for (i = 0; i < f->ntargets; i++) {
			if (comp[i] != c)
				continue;
			if (!first)
				sb_adds(out, ", ");
			first = 0;
			sb_adds(out, f->targets[i].node);
		}
	}
	free(comp);
	return ncomp > 1;
}

void fault_summary(const struct fault *f, struct sb *out)
{
	const char *kind = f->type->name;
	size_t i, n = 0;

	if (!strcmp(kind, "partition")) {
		if (!summary_split(f, out))
			summary_partition(f, out);
	} else if (!strcmp(kind, "loss")) {
		if (!summary_targets(f, out))
			sb_adds(out, "no node");
		sb_addf(out, " drop %g%% of packets",
			f->probability * 100.0);
	} else if (!strcmp(kind, "kill") || !strcmp(kind, "pause")) {
		if (!summary_targets(f, out))
			sb_adds(out, "no node");
	} else if (!strcmp(kind, "clock")) {
		for (i = 0; i < f->ntargets; i++) {
			const struct fault_target *tg = &f->targets[i];

			if (tg->unsupported)
				continue;
			sb_addf(out, "%s%s %+lld ms", n++ ? ", " : "",
				tg->node, (long long)tg->offset_ms);
		}
		if (!n)
			sb_adds(out, "no node");
	} else {
		sb_addf(out, "%s on ", kind);
		if (!summary_targets(f, out))
			sb_adds(out, "no node");
	}
}

json_t *fault_describe(const struct fault *f)
{
	json_t *o = json_object(), *targets = json_array();
	json_t *grudge = NULL, *offsets = NULL, *pids = NULL, *unsup = NULL;
	struct sb summary = SB_INIT;
	size_t i, k;

	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "kind", json_string(f->type->name));
	set_str(o, "shape", f->shape);
	if (f->probability > 0)
		json_object_set_new(o, "probability",
				    json_real(f->probability));
	if (f->period_ms)
		json_object_set_new(o, "period_ms",
				    json_integer(f->period_ms));
	for (i = 0; i < f->ntargets; i++) {
		const struct fault_target *tg = &f->targets[i];

		if (tg->unsupported) {
			if (!unsup)
				unsup = json_object();
			json_object_set_new(unsup, tg->node,
					    json_string(tg->unsupported));
			continue;
		}
		json_array_append_new(targets, json_string(tg->node));
		if (!strcmp(f->type->name, "partition")) {
			json_t *d = json_array();

			if (!grudge)
				grudge = json_object();
			for (k = 0; k < tg->ndrops; k++)
				json_array_append_new(
					d, json_string(tg->drops[k]));
			json_object_set_new(grudge, tg->node, d);
		}
		if (!strcmp(f->type->name, "clock")) {
			if (!offsets)
				offsets = json_object();
			json_object_set_new(offsets, tg->node,
					    json_integer(tg->offset_ms));
		}
		if (tg->pid) {
			json_t *p = json_object();

			if (!pids)
				pids = json_object();
			json_object_set_new(p, "pid", json_integer(tg->pid));
			if (tg->new_pid)
				json_object_set_new(p, "new_pid",
						    json_integer(tg->new_pid));
			json_object_set_new(pids, tg->node, p);
		}
	}
	json_object_set_new(o, "targets", targets);
	if (grudge)
		json_object_set_new(o, "grudge", grudge);
	if (offsets)
		json_object_set_new(o, "offset_ms", offsets);
	if (pids)
		json_object_set_new(o, "pids", pids);
	if (unsup)
		json_object_set_new(o, "unsupported", unsup);
	fault_summary(f, &summary);
	json_object_set_new(o, "summary", json_string(summary.buf));
	sb_release(&summary);
	return o;
}
