/*
 * run.c - loading a run directory for the reports (report_run_load) and
 * what every report derives from it: fault windows from the nemesis
 * events, client operations, and the anomalies of results.json resolved
 * against the history.
 *
 * Fault windows.  A nemesis event whose f is "start-KIND" (or "start")
 * opens a window of KIND at its time; the next "stop-KIND" (or "stop",
 * which closes every open window) closes it at the time of the stop's
 * completion when it has one, else at the stop's own time.  The completion
 * of a start or stop (paired by the history reader) is not a new window.
 * A window never stopped ends at the last event and is marked open.
 * Each window keeps the positions of the events that open and close it
 * too: a history without times (every event at 0, r->timed clear) holds
 * a fault from the one to the other in history order (report_clock).
 * Its description is the fault applied, the start's completion value
 * (a partition-leader planned as an isolate of a random node names the
 * leader it cut there), else the start's own value (the plan): its
 * "summary" when that value is a JSON object with one (what netsplit
 * records; the checkers' fault labels use the same words), else the value
 * as JSON text.
 * A start whose completion carries an error (the nemesis could not apply
 * it: failed, or no target could take it) opens no window; it is kept in
 * r->unapplied with the error, so the report can say so.
 *
 * Anomaly ops.  results.json cites each op with its "position" in the
 * history and its "index" field; the position is trusted when the event
 * there has that index, else the index is looked up.  A cited completion
 * is replaced by its invoke.  Ops not found are counted, never guessed.
 *
 * Cost: O(n) over the events, plus O(n log n) once if the history's
 * indices are not its positions.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alloc.h"
#include "err.h"

static char *path_join(const char *dir, const char *name)
{
	struct sb sb = SB_INIT;

	sb_addf(&sb, "%s/%s", dir, name);
	return sb_detach(&sb, NULL);
}

/* 1 if path exists, 0 if not (ENOENT), -1 with a message otherwise. */
static int exists(const char *path, struct sb *err)
{
	struct stat st;

	if (!stat(path, &st))
		return 1;
	if (errno == ENOENT)
		return 0;
	sb_addf(err, "cannot read '%s': %s", path, strerror(errno));
	return -1;
}

static int load_json(const char *path, json_t **out, struct sb *err)
{
	json_error_t je;

	*out = json_load_file(path, 0, &je);
	if (!*out) {
		sb_addf(err, "%s:%d: %s", path, je.line, je.text);
		return -NS_EINPUT;
	}
	if (!json_is_object(*out)) {
		sb_addf(err, "%s: not a JSON object", path);
		json_decref(*out);
		*out = NULL;
		return -NS_EINPUT;
	}
	return 0;
}

/* ===== Fault windows ===== */

static const char *event_fault_kind(const char *f, const char *verb)
{
	size_t n = strlen(verb);

	if (strncmp(f, verb, n))
		return NULL;
	if (!f[n])
		return "fault";
	if (f[n] == '-' && f[n + 1])
		return f + n + 1;
	return NULL;
}

void report_value_text(const struct history *h, const struct hist_value *v,
		       struct sb *out)
{
	if (v->kind == HV_STR)
		sb_adds(out, hist_str(h, v->u.str));
	else
		hist_value_json(h, v, out);
}

static void derive_faults(struct report_run *r)
{
	const struct history *h = &r->hist;
	size_t i, j, alloc = 0, ualloc = 0, end_pos;

	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];
		const char *f, *kind;
		int64_t end;

		if (hist_is_client(e))
			continue;
		if (e->pair >= 0 && (size_t)e->pair < i)
			continue;	/* completion of a start or stop */
		f = hist_str(h, e->f);
		kind = event_fault_kind(f, "start");
		if (kind) {
			struct report_fault *ft;
			struct sb d = SB_INIT;
			const struct hist_value *v = &e->value;
			const struct hist_event *c =
				e->pair > (int64_t)i ? &h->ev[e->pair] : NULL;

			if (c && c->error) {
				/* the nemesis could not apply it */
				ALLOC_GROW(r->unapplied, r->nunapplied + 1,
					   ualloc);
				ft = &r->unapplied[r->nunapplied++];
				memset(ft, 0, sizeof(*ft));
				ft->kind = xstrdup(kind);
				hist_str_show(hist_str(h, c->error), &d);
				ft->desc = sb_detach(&d, NULL);
				ft->start = e->time;
				ft->stop = c->time;
				ft->start_pos = i;
				ft->stop_pos = (size_t)e->pair;
				continue;
			}
			/* the fault applied (the completion: a -leader
			   fault learns its target when it starts) rather
			   than the plan, when it has one */
			if (c && c->value.kind != HV_NIL)
				v = &c->value;
			if (!hist_value_summary(h, v, &d) && v->kind != HV_NIL)
				report_value_text(h, v, &d);
			ALLOC_GROW(r->faults, r->nfaults + 1, alloc);
			ft = &r->faults[r->nfaults++];
			memset(ft, 0, sizeof(*ft));
			ft->kind = xstrdup(kind);
			ft->desc = sb_detach(&d, NULL);
			ft->start = e->time;
			ft->stop = -1;
			ft->start_pos = i;
			continue;
		}
		kind = event_fault_kind(f, "stop");
		if (!kind)
			continue;
		end_pos = e->pair >= 0 ? (size_t)e->pair : i;
		end = h->ev[end_pos].time;
		for (j = r->nfaults; j-- > 0;) {
			struct report_fault *ft = &r->faults[j];

			if (ft->stop >= 0)
				continue;
			if (strcmp(kind, "fault") && strcmp(ft->kind, kind))
				continue;
			ft->stop = end;
			ft->stop_pos = end_pos;
			if (strcmp(kind, "fault"))
				break;
		}
	}
	for (j = 0; j < r->nfaults; j++)
		if (r->faults[j].stop < 0) {
			r->faults[j].stop = r->t1;
			r->faults[j].stop_pos = h->n - 1;
			r->faults[j].open = 1;
		}
}

/* ===== Anomalies ===== */

struct index_pos {
	uint64_t index;
	size_t pos;
};

static int cmp_index_pos(const void *a, const void *b)
{
	const struct index_pos *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

struct index_map {
	struct index_pos *v;	/* NULL: index == position */
	size_t n;
	int built;
};

static void index_map_build(struct index_map *m, const struct history *h)
{
	size_t i;

	m->built = 1;
	for (i = 0; i < h->n; i++)
		if (hist_index(h, i) != i)
			break;
	if (i == h->n)
		return;
	m->v = xmalloc((h->n ? h->n : 1) * sizeof(*m->v));
	for (i = 0; i < h->n; i++) {
		m->v[i].index = hist_index(h, i);
		m->v[i].pos = i;
	}
	m->n = h->n;
	qsort(m->v, m->n, sizeof(*m->v), cmp_index_pos);
}

static int64_t index_map_find(struct index_map *m, const struct history *h,
			      uint64_t index)
{
	struct index_pos key = { index, 0 }, *p;

	if (!m->built)
		index_map_build(m, h);
	if (!m->v)
		return index < h->n ? (int64_t)index : -1;
	p = bsearch(&key, m->v, m->n, sizeof(*m->v), cmp_index_pos);
	return p ? (int64_t)p->pos : -1;
}

static int64_t resolve_op(struct report_run *r, struct index_map *m,
			  json_t *op, uint64_t *index_out)
{
	const struct history *h = &r->hist;
	json_t *jp = json_object_get(op, "position");
	json_t *ji = json_object_get(op, "index");
	int64_t pos = -1;

	*index_out = json_is_integer(ji) ? (uint64_t)json_integer_value(ji)
					 : UINT64_MAX;
	if (json_is_integer(jp)) {
		json_int_t p = json_integer_value(jp);

		if (p >= 0 && (uint64_t)p < h->n &&
		    (!json_is_integer(ji) ||
		     hist_index(h, (size_t)p) == *index_out))
			pos = p;
		if (*index_out == UINT64_MAX && pos >= 0)
			*index_out = hist_index(h, (size_t)pos);
	}
	if (pos < 0 && json_is_integer(ji))
		pos = index_map_find(m, h, *index_out);
	if (pos >= 0 && h->ev[pos].type != HIST_INVOKE && h->ev[pos].pair >= 0)
		pos = h->ev[pos].pair;
	return pos;
}

static void derive_anomalies(struct report_run *r)
{
	json_t *checkers, *c, *a;
	size_t i, j, alloc = 0;
	struct index_map m = { NULL, 0, 0 };

	if (!r->results)
		return;
	checkers = json_object_get(r->results, "checkers");
	json_array_foreach(checkers, i, c) {
		const char *name = json_string_value(
			json_object_get(c, "checker"));
		json_t *list = json_object_get(c, "anomalies");

		json_array_foreach(list, j, a) {
			struct report_anomaly *ra;
			json_t *ops = json_object_get(a, "ops"), *op;
			size_t k, nops = json_array_size(ops);

			ALLOC_GROW(r->anomalies, r->nanomalies + 1, alloc);
			ra = &r->anomalies[r->nanomalies++];
			memset(ra, 0, sizeof(*ra));
			ra->checker = name ? name : "?";
			ra->kind = json_string_value(
				json_object_get(a, "kind"));
			if (!ra->kind)
				ra->kind = "anomaly";
			ra->text = json_string_value(
				json_object_get(a, "text"));
			if (!ra->text)
				ra->text = "";
			ra->key = json_string_value(json_object_get(a, "key"));
			ra->json = a;
			ra->ops = xcalloc(nops ? nops : 1, sizeof(*ra->ops));
			ra->op_index = xcalloc(nops ? nops : 1,
					       sizeof(*ra->op_index));
			json_array_foreach(ops, k, op) {
				uint64_t idx;
				int64_t pos = r->have_hist
					? resolve_op(r, &m, op, &idx) : -1;

				if (!r->have_hist) {
					json_t *ji = json_object_get(op,
								     "index");
					idx = json_is_integer(ji)
						? (uint64_t)
						  json_integer_value(ji)
						: UINT64_MAX;
				}
				if (pos < 0) {
					ra->unresolved++;
					continue;
				}
				ra->ops[ra->nops] = (size_t)pos;
				ra->op_index[ra->nops++] = idx;
			}
		}
	}
	free(m.v);
}

static void derive(struct report_run *r)
{
	const struct history *h = &r->hist;
	size_t i, alloc = 0;

	/*
	 * Times are ns since the test started, so the report's clock starts
	 * at 0; a foreign history with wall-clock times (more than ~11 days
	 * in ns) starts at its first event instead.
	 */
	r->t0 = h->n && h->ev[0].time > (int64_t)1000000000000000LL
		? h->ev[0].time : 0;
	r->t1 = r->t0;
	r->timed = hist_timed(h);
	for (i = 0; i < h->n; i++) {
		const struct hist_event *e = &h->ev[i];

		if (e->time > r->t1)
			r->t1 = e->time;
		if (e->time < r->t0)
			r->t0 = e->time;
		if (hist_is_client(e) && e->type == HIST_INVOKE) {
			ALLOC_GROW(r->ops, r->nops + 1, alloc);
			r->ops[r->nops].inv = i;
			r->ops[r->nops].comp = e->pair;
			r->nops++;
		}
	}
	derive_faults(r);
	derive_anomalies(r);
}

/*
 * The history of a run directory: netsplit's history.jsonl, else what a
 * Jepsen store directory holds (history.edn, then jepsen.log).  Each is
 * read as `netsplit check` reads a history: its format detected from the
 * content, unless the caller forces one.
 */
static const char *const history_names[] = {
	"history.jsonl", "history.edn", "jepsen.log",
};
#define NHISTORY_NAMES (sizeof(history_names) / sizeof(history_names[0]))

/* The first history file of dir that exists (1), else the path of
   history.jsonl (0); -1 with a message when one cannot be looked at. */
static int find_history(const char *dir, char **path, struct sb *err)
{
	size_t i;
	int e = 0;

	for (i = 0; i < NHISTORY_NAMES; i++) {
		*path = path_join(dir, history_names[i]);
		e = exists(*path, err);
		if (e)
			return e;
		free(*path);
	}
	*path = path_join(dir, history_names[0]);
	return 0;
}

/*
 * Name the history as the checkers named it in their texts: the path
 * `netsplit check` (or the run's check) was given, results.json's
 * "history": {"file"}, when it records one; else the path read here.
 * The report's own places (a history without times is cited by where
 * each event is written, hist_where()) then read as the anomalies'
 * texts beside them do.
 */
static void cite_as_checkers(struct report_run *r)
{
	const char *file = r->results ? json_string_value(json_object_get(
		json_object_get(r->results, "history"), "file")) : NULL;

	if (!r->have_hist || !file || !*file)
		return;
	free(r->hist.source);
	r->hist.source = xstrdup(file);
}

int report_run_load(struct report_run *r, const char *dir, struct sb *err)
{
	return report_run_load_as(r, dir, HIST_FMT_AUTO, err);
}

int report_run_load_as(struct report_run *r, const char *dir,
		       enum hist_format fmt, struct sb *err)
{
	char *run_path = path_join(dir, "run.json");
	char *hist_path = NULL;
	char *res_path = path_join(dir, "results.json");
	struct stat st;
	int ret = 0, e_run, e_hist, e_res;

	memset(r, 0, sizeof(*r));
	r->dir = xstrdup(dir);
	r->notes = (struct sb)SB_INIT;
	hist_init(&r->hist);
	if (stat(dir, &st)) {
		sb_addf(err, "cannot open run directory '%s': %s", dir,
			strerror(errno));
		ret = -NS_EINPUT;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		sb_addf(err, "'%s' is not a run directory", dir);
		ret = -NS_EINPUT;
		goto out;
	}
	e_run = exists(run_path, err);
	e_hist = find_history(dir, &hist_path, err);
	e_res = exists(res_path, err);
	if (e_run < 0 || e_hist < 0 || e_res < 0) {
		ret = -NS_EIO;
		goto out;
	}
	if (!e_run && !e_hist && !e_res) {
		sb_addf(err, "'%s' is not a run directory: no run.json, "
			"history.jsonl (history.edn, jepsen.log) or "
			"results.json in it", dir);
		ret = -NS_EINPUT;
		goto out;
	}
	if (!e_run)
		sb_addf(&r->notes, "%s is missing: the test's settings are "
			"unknown\n", run_path);
	else if ((ret = load_json(run_path, &r->run, err)))
		goto out;
	if (!e_res && e_hist)
		sb_addf(&r->notes, "%s is missing: the history was not "
			"checked, so there is no verdict (to check it: "
			"netsplit check --json %s > %s, then report again)\n",
			res_path, hist_path, res_path);
	else if (!e_res)
		sb_addf(&r->notes, "%s is missing: the history was not "
			"checked, so there is no verdict\n", res_path);
	else if ((ret = load_json(res_path, &r->results, err)))
		goto out;
	if (!e_hist) {
		sb_addf(&r->notes, "%s is missing (no history.edn or "
			"jepsen.log either): no timeline, graphs or op "
			"details\n", hist_path);
	} else {
		struct sb warn = SB_INIT;

		ret = hist_read_file(&r->hist, hist_path, fmt, &warn, err);
		if (warn.len)
			sb_addf(&r->notes, "%s%s", warn.buf,
				warn.buf[warn.len - 1] == '\n' ? "" : "\n");
		sb_release(&warn);
		if (ret)
			goto out;
		r->have_hist = 1;
	}
	cite_as_checkers(r);
	if (r->results) {
		json_t *w = json_object_get(r->results, "history_warnings");
		json_t *nb = json_object_get(r->results,
					     "checkers_not_built_in"), *x;
		size_t i;

		if (json_is_string(w))
			sb_addf(&r->notes, "%s: history warnings: %s\n",
				res_path, json_string_value(w));
		json_array_foreach(nb, i, x)
			if (json_is_string(x))
				sb_addf(&r->notes, "checker '%s' was asked "
					"for but is not built in: it did not "
					"run\n", json_string_value(x));
	}
	derive(r);
out:
	free(run_path);
	free(hist_path);
	free(res_path);
	return ret;
}

void report_run_release(struct report_run *r)
{
	size_t i;

	for (i = 0; i < r->nfaults; i++) {
		free(r->faults[i].kind);
		free(r->faults[i].desc);
	}
	free(r->faults);
	for (i = 0; i < r->nunapplied; i++) {
		free(r->unapplied[i].kind);
		free(r->unapplied[i].desc);
	}
	free(r->unapplied);
	for (i = 0; i < r->nanomalies; i++) {
		free(r->anomalies[i].ops);
		free(r->anomalies[i].op_index);
	}
	free(r->anomalies);
	free(r->ops);
	json_decref(r->run);
	json_decref(r->results);
	hist_release(&r->hist);
	sb_release(&r->notes);
	free(r->dir);
	memset(r, 0, sizeof(*r));
}

static void json_text(json_t *v, struct sb *out)
{
	size_t i;
	json_t *x;
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_add(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sb_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		sb_addf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		sb_adds(out, "true");
		break;
	case JSON_FALSE:
		sb_adds(out, "false");
		break;
	case JSON_NULL:
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, x) {
			json_t *name = json_object_get(x, "name");

			if (i)
				sb_adds(out, ", ");
			/* a node as {"name", "host", ...}: its name */
			json_text(json_is_string(name) ? name : x, out);
		}
		break;
	case JSON_OBJECT:
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (s)
			sb_adds(out, s);
		free(s);
		break;
	}
}

void report_run_field(const struct report_run *r, const char *name,
		      struct sb *out)
{
	/* names `netsplit run` also uses for the same field */
	static const char *const alias[][2] = {
		{ "time_limit", "time_limit_s" },
		{ "version", "netsplit_version" },
	};
	json_t *v = r->run ? json_object_get(r->run, name) : NULL;
	size_t i;

	for (i = 0; !v && r->run && i < sizeof(alias) / sizeof(alias[0]);
	     i++)
		if (!strcmp(name, alias[i][0]))
			v = json_object_get(r->run, alias[i][1]);
	if (v)
		json_text(v, out);
}

const char *report_checker_verdict(json_t *c)
{
	const char *v = json_string_value(json_object_get(c, "verdict"));

	if (v && (!strcmp(v, "valid") || !strcmp(v, "invalid")))
		return v;
	return "unknown";
}

size_t report_checker_count(json_t *c)
{
	json_t *n = json_object_get(c, "anomaly_count");
	size_t listed = json_array_size(json_object_get(c, "anomalies"));

	if (json_is_integer(n) && json_integer_value(n) > 0 &&
	    (size_t)json_integer_value(n) > listed)
		return (size_t)json_integer_value(n);
	return listed;
}

size_t report_anomaly_total(const struct report_run *r)
{
	size_t i, total = 0;
	json_t *c;

	if (r->results)
		json_array_foreach(json_object_get(r->results, "checkers"),
				   i, c)
			total += report_checker_count(c);
	return total > r->nanomalies ? total : r->nanomalies;
}

const char *report_run_verdict(const struct report_run *r)
{
	json_t *jv = r->results ? json_object_get(r->results, "verdict")
				: NULL;
	const char *v = json_string_value(jv);
	json_t *c;
	size_t i;
	int code = NS_EXIT_VALID;

	if (v && (!strcmp(v, "valid") || !strcmp(v, "invalid")))
		return v;
	if (jv || !r->results ||
	    !json_array_size(json_object_get(r->results, "checkers")))
		return "unknown";
	/* no overall verdict (a results.json from an older 'check --json'):
	   the checkers', combined as check combines them */
	json_array_foreach(json_object_get(r->results, "checkers"), i, c) {
		const char *cv = report_checker_verdict(c);

		code = ns_exit_worse(code, !strcmp(cv, "valid")
				     ? NS_EXIT_VALID
				     : !strcmp(cv, "invalid")
				     ? NS_EXIT_ANOMALY : NS_EXIT_UNKNOWN);
	}
	return ns_exit_verdict(code);
}

int report_run_exit(const struct report_run *r)
{
	const char *v = report_run_verdict(r);

	if (!strcmp(v, "valid"))
		return NS_EXIT_VALID;
	if (!strcmp(v, "invalid"))
		return NS_EXIT_ANOMALY;
	return NS_EXIT_UNKNOWN;
}

size_t report_faults_during(const struct report_run *r, int64_t c0,
			    int64_t c1, size_t *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < r->nfaults && n < max; i++)
		if (report_fault_start(r, &r->faults[i]) <= c1 &&
		    report_fault_stop(r, &r->faults[i]) >= c0)
			out[n++] = i;
	return n;
}

size_t report_op_at(const struct report_run *r, size_t pos)
{
	size_t lo = 0, hi = r->nops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->ops[mid].inv < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t report_op_end(const struct report_run *r, size_t inv)
{
	int64_t c = r->hist.ev[inv].pair;

	return c >= 0 ? report_clock(r, (size_t)c) : report_clock_end(r);
}

const char *report_op_outcome(const struct report_run *r, size_t inv)
{
	int64_t c = r->hist.ev[inv].pair;

	if (c < 0)
		return "pending";
	return hist_type_name(r->hist.ev[c].type);
}

/* Written whole to PATH.tmp and renamed, so a reader (a CI job collecting
   artifacts, a browser) never sees half a report. */
int report_write_path(const char *path, const char *data, size_t len,
		      struct sb *err)
{
	struct sb tmp = SB_INIT;
	int fd, ret = 0;
	size_t off = 0;

	sb_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sb_addf(err, "cannot write '%s': %s", tmp.buf,
			strerror(errno));
		ret = -NS_EWRITE;
		goto out;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			sb_addf(err, "cannot write '%s': %s", tmp.buf,
				strerror(errno));
			ret = -NS_EWRITE;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) && !ret) {
		sb_addf(err, "cannot write '%s': %s", tmp.buf,
			strerror(errno));
		ret = -NS_EWRITE;
	}
	if (!ret && rename(tmp.buf, path)) {
		sb_addf(err, "cannot rename '%s' to '%s': %s", tmp.buf,
			path, strerror(errno));
		ret = -NS_EWRITE;
	}
	if (ret)
		unlink(tmp.buf);
out:
	sb_release(&tmp);
	return ret;
}

int report_write_file(const char *dir, const char *name, const char *data,
		      size_t len, struct sb *err)
{
	struct sb path = SB_INIT;
	int ret;

	sb_addf(&path, "%s/%s", dir, name);
	ret = report_write_path(path.buf, data, len, err);
	sb_release(&path);
	return ret;
}
