/*
 * gnuplot.c - the report's graphs, drawn by gnuplot (5.4, pngcairo):
 *
 *   latency  latency of every completed op over time (invoke time), log y
 *            axis, one point style per op type (f), one colour per outcome
 *            (ok blue, fail orange, info pink, as Jepsen draws them);
 *   rate     completions per second over time: one colour per op type
 *            (read, write, cas, add...: a line each, in the legend), its
 *            ok completions a solid line, its fails dashed and its
 *            indeterminate (info) completions dotted;
 *   stale    how far behind reads were, when a checker measured it: the
 *            stale checker's stats "histogram" (buckets over every read
 *            it checked), else the "ms_behind" (or "lag_ms") detail of
 *            each stale-read anomaly listed, in the same buckets.
 * Fault windows are shaded bands behind the data, one colour per kind.
 *
 * Each graph is one .gp file with its data inline ($D << EOD blocks) in a
 * private temporary directory; gnuplot is run as a child process (stdout
 * and stderr captured for the note, killed after GP_TIMEOUT_S), and the
 * PNG read back.  Nothing here fails the report: a graph gnuplot could not
 * draw (missing, crashed, timed out) gets a note instead.
 *
 * Size: above LAT_MAX_POINTS completed ops the latency plot keeps one op
 * in `stride` plus the slowest op of each series in each of LAT_BUCKETS
 * time buckets (so outliers always show), and says so in its note.
 * Values from the history (f names, fault kinds) reach gnuplot only as
 * single-quoted, noenhanced strings with quotes doubled and control
 * characters replaced (gp_quote).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define LAT_MAX_POINTS 60000
#define LAT_BUCKETS 500
#define MAX_SERIES_F 8		/* op types drawn apart; the rest: "other" */
#define GP_TIMEOUT_S 60
#define MIN_SPAN_S 0.01		/* narrowest time axis, s (a rate bucket) */

static const char *const outcome_colour[3] = {
	"#2f6fce", "#e8871e", "#d6458f"		/* ok, fail, info */
};
static const char *const outcome_name[3] = { "ok", "fail", "info" };
static const int point_type[MAX_SERIES_F + 1] = {
	7, 5, 9, 11, 13, 1, 2, 3, 6
};
/* rate: one colour per op type (slot), the last for "other" */
static const char *const f_colour[MAX_SERIES_F + 1] = {
	"#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e", "#17becf",
	"#8c564b", "#e377c2", "#7f7f7f"
};
/* rate: how each outcome's line is drawn (ok, fail, info) */
static const char *const outcome_line[3] = {
	"linespoints pt 7 ps 0.45 lw 1.8 dt 1",
	"lines lw 1.2 dt 2",
	"lines lw 1.2 dt 3",
};
static const char *const fault_colour[] = {
	"#808080", "#c0392b", "#8e44ad", "#16a085", "#d4ac0d", "#2c3e50",
};

static void gp_quote(struct sb *out, const char *s)
{
	sb_addc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(out, "''");
		else if ((unsigned char)*s < 0x20)
			sb_addc(out, ' ');
		else
			sb_addc(out, *s);
	}
	sb_addc(out, '\'');
}

static double secs(const struct report_run *r, int64_t t)
{
	return (double)(t - r->t0) / 1e9;
}

/* Fault bands (and a label per kind) behind the data. */
static void fault_bands(const struct report_run *r, struct sb *gp)
{
	size_t i, j, nk = 0;
	const char *kinds[16];

	for (i = 0; i < r->nfaults; i++) {
		const struct report_fault *f = &r->faults[i];
		size_t k;

		for (k = 0; k < nk; k++)
			if (!strcmp(kinds[k], f->kind))
				break;
		if (k == nk && nk < 16)
			kinds[nk++] = f->kind;
		j = k % (sizeof(fault_colour) / sizeof(fault_colour[0]));
		sb_addf(gp, "set object %zu rect from %.6f, graph 0 to %.6f, "
			"graph 1 behind fillcolor rgb '%s' fillstyle "
			"transparent solid 0.15 noborder\n", i + 1,
			secs(r, f->start), secs(r, f->stop), fault_colour[j]);
		if (i < 40) {
			sb_addf(gp, "set label %zu ", i + 1);
			gp_quote(gp, f->kind);
			sb_addf(gp, " at %.6f, graph 0.97 left front "
				"noenhanced font ',8' textcolor rgb '%s'\n",
				secs(r, f->start), fault_colour[j]);
		}
	}
}

static void gp_header(const struct report_run *r, struct sb *gp,
		      const char *png, const char *title)
{
	sb_adds(gp, "set terminal pngcairo size 1000,360 font 'sans,9'\n");
	sb_adds(gp, "set output ");
	gp_quote(gp, png);
	sb_adds(gp, "\nset title ");
	gp_quote(gp, title);
	sb_adds(gp, " noenhanced\nset key outside right top noenhanced\n"
		"set grid lc rgb '#dddddd'\nset xlabel 'time (s)'\n");
	/* never narrower than MIN_SPAN_S: ops all within a few ns would
	   print as [0:0.000000], which gnuplot refuses ("empty x range") */
	sb_addf(gp, "set xrange [0:%.6f]\n", secs(r, r->t1) < MIN_SPAN_S ?
		MIN_SPAN_S : secs(r, r->t1));
	fault_bands(r, gp);
}

/* Index of op type fid among the first MAX_SERIES_F seen, else "other". */
static size_t f_slot(uint32_t *fs, size_t *nf, uint32_t fid)
{
	size_t i;

	for (i = 0; i < *nf; i++)
		if (fs[i] == fid)
			return i;
	if (*nf < MAX_SERIES_F) {
		fs[*nf] = fid;
		return (*nf)++;
	}
	return MAX_SERIES_F;
}

static int outcome_of(const struct history *h, int64_t comp)
{
	switch (h->ev[comp].type) {
	case HIST_OK: return 0;
	case HIST_FAIL: return 1;
	default: return 2;
	}
}

static const char *f_label(const struct history *h, const uint32_t *fs,
			   size_t slot)
{
	return slot < MAX_SERIES_F ? hist_str(h, fs[slot]) : "other";
}

#define NSER ((MAX_SERIES_F + 1) * 3)

/*
 * The plot command over the series drawn (data blocks PREFIX<s>): one
 * point type per op type, one colour per outcome, titled "f outcome".
 * style holds one %d, the point type.
 */
static void plot_series(const struct history *h, const uint32_t *fs,
			const int *drawn, const char *prefix,
			const char *style, struct sb *gp)
{
	size_t s;
	int any = 0;

	sb_adds(gp, "plot ");
	for (s = 0; s < NSER; s++) {
		struct sb t = SB_INIT;

		if (!drawn[s])
			continue;
		sb_addf(&t, "%s %s", f_label(h, fs, s / 3),
			outcome_name[s % 3]);
		sb_addf(gp, "%s%s%zu using 1:2 with ", any ? ", " : "",
			prefix, s);
		sb_addf(gp, style, point_type[s / 3]);
		sb_addf(gp, " lc rgb '%s' title ", outcome_colour[s % 3]);
		gp_quote(gp, t.buf);
		sb_release(&t);
		any = 1;
	}
	if (!any)
		sb_adds(gp, "1/0 notitle");
	sb_addc(gp, '\n');
}

static void latency_script(const struct report_run *r, struct sb *gp,
			   struct sb *note)
{
	const struct history *h = &r->hist;
	uint32_t fs[MAX_SERIES_F];
	size_t nf = 0, i, s, n = 0, stride = 1, shown = 0;
	size_t *slot = xmalloc((r->nops ? r->nops : 1) * sizeof(*slot));
	int64_t *bmax = xmalloc(sizeof(*bmax) * NSER * LAT_BUCKETS);
	struct sb data[NSER];
	double span = (double)(r->t1 - r->t0) + 1;
	int drawn[NSER];

	for (i = 0; i < NSER * LAT_BUCKETS; i++)
		bmax[i] = -1;
	/* series of each op, and the slowest op of each bucket */
	for (i = 0; i < r->nops; i++) {
		const struct report_op *op = &r->ops[i];
		int64_t lat;
		size_t b;

		slot[i] = SIZE_MAX;
		if (op->comp < 0)
			continue;
		s = f_slot(fs, &nf, h->ev[op->inv].f) * 3 +
		    (size_t)outcome_of(h, op->comp);
		slot[i] = s;
		n++;
		lat = h->ev[op->comp].time - h->ev[op->inv].time;
		b = (size_t)((double)(h->ev[op->inv].time - r->t0) / span *
			     LAT_BUCKETS);
		if (b >= LAT_BUCKETS)
			b = LAT_BUCKETS - 1;
		b += s * LAT_BUCKETS;
		if (bmax[b] < 0 ||
		    lat > h->ev[r->ops[bmax[b]].comp].time -
			  h->ev[r->ops[bmax[b]].inv].time)
			bmax[b] = (int64_t)i;
	}
	if (n > LAT_MAX_POINTS)
		stride = (n + LAT_MAX_POINTS - 1) / LAT_MAX_POINTS;
	for (s = 0; s < NSER; s++)
		data[s] = (struct sb)SB_INIT;
	for (i = 0; i < NSER * LAT_BUCKETS; i++)
		if (bmax[i] >= 0)
			slot[bmax[i]] |= (size_t)1 << 62;	/* keep */
	for (i = 0; i < r->nops; i++) {
		const struct report_op *op = &r->ops[i];
		int keep;
		double lat_ms;

		if (slot[i] == SIZE_MAX)
			continue;
		keep = (i % stride) == 0 || (slot[i] >> 62);
		s = slot[i] & ~((size_t)1 << 62);
		if (!keep)
			continue;
		lat_ms = (double)(h->ev[op->comp].time -
				  h->ev[op->inv].time) / 1e6;
		if (lat_ms < 0.001)
			lat_ms = 0.001;
		sb_addf(&data[s], "%.6f %.4f\n",
			secs(r, h->ev[op->inv].time), lat_ms);
		shown++;
	}
	sb_adds(gp, "set logscale y\nset ylabel 'latency (ms)'\n");
	for (s = 0; s < NSER; s++) {
		if (!data[s].len)
			continue;
		sb_addf(gp, "$L%zu << EOD\n%sEOD\n", s, data[s].buf);
	}
	for (s = 0; s < NSER; s++)
		drawn[s] = data[s].len > 0;
	plot_series(h, fs, drawn, "$L", "points pt %d ps 0.5", gp);
	if (stride > 1)
		sb_addf(note, "%zu of %zu %s drawn: one in %zu, plus the "
			"slowest of each op type and outcome in each of %d "
			"time slices", shown, n, sb_plural(n, "op", "ops"),
			stride, LAT_BUCKETS);
	for (s = 0; s < NSER; s++)
		sb_release(&data[s]);
	free(slot);
	free(bmax);
}

static void rate_script(const struct report_run *r, struct sb *gp)
{
	const struct history *h = &r->hist;
	uint32_t fs[MAX_SERIES_F];
	size_t nf = 0, i, s, nb;
	double dur = secs(r, r->t1), w, last;
	size_t *cnt;
	int drawn[NSER], any = 0;

	/* ~50 buckets, of whole seconds once the run is 10 s or longer */
	w = dur / 50;
	if (dur >= 10 && w < 1)
		w = 1;
	else if (dur < 10)
		w = dur > 0.1 ? dur / 10 : 0.01;
	nb = (size_t)(dur / w) + 1;
	/* the last bucket ends at the last event: divided by its own width
	   (a whole w would draw a drop at the end that never happened), and
	   one under half a bucket joins the one before it */
	last = dur - (double)(nb - 1) * w;
	if (nb > 1 && last < w / 2) {
		nb--;
		last += w;
	}
	if (last <= 0)
		last = w;
	cnt = xcalloc(NSER * nb, sizeof(*cnt));
	for (i = 0; i < r->nops; i++) {
		const struct report_op *op = &r->ops[i];
		size_t b;

		if (op->comp < 0)
			continue;
		s = f_slot(fs, &nf, h->ev[op->inv].f) * 3 +
		    (size_t)outcome_of(h, op->comp);
		b = (size_t)(secs(r, h->ev[op->comp].time) / w);
		if (b >= nb)
			b = nb - 1;
		cnt[s * nb + b]++;
	}
	sb_adds(gp, "set ylabel 'completions per second'\n"
		"set yrange [0:*]\n");
	for (s = 0; s < NSER; s++) {
		size_t tot = 0;

		for (i = 0; i < nb; i++)
			tot += cnt[s * nb + i];
		if (!tot)
			continue;
		sb_addf(gp, "$R%zu << EOD\n", s);
		for (i = 0; i < nb; i++) {
			double bw = i + 1 == nb ? last : w;

			sb_addf(gp, "%.6f %.3f\n", (double)i * w + bw / 2,
				(double)cnt[s * nb + i] / bw);
		}
		sb_adds(gp, "EOD\n");
	}
	/* one colour per op type; its outcomes as line styles, ok first */
	sb_adds(gp, "plot ");
	for (s = 0; s < NSER; s++) {
		struct sb t = SB_INIT;

		drawn[s] = 0;
		for (i = 0; i < nb; i++)
			drawn[s] |= cnt[s * nb + i] > 0;
		if (!drawn[s])
			continue;
		sb_addf(&t, "%s %s", f_label(h, fs, s / 3),
			outcome_name[s % 3]);
		sb_addf(gp, "%s$R%zu using 1:2 with %s lc rgb '%s' title ",
			any ? ", " : "", s, outcome_line[s % 3],
			f_colour[s / 3]);
		gp_quote(gp, t.buf);
		sb_release(&t);
		any = 1;
	}
	if (!any)
		sb_adds(gp, "1/0 notitle");
	sb_addc(gp, '\n');
	free(cnt);
}

#define STALE_BINS 16

struct stale_hist {
	const char *label[STALE_BINS];	/* borrowed (static or results) */
	double count[STALE_BINS];
	size_t n;
	const char *from;		/* what it was built from */
};

/*
 * The stale-read distribution: a checker's stats "histogram" (the stale
 * checker's buckets of how far behind each checked read was), else the
 * "ms_behind" (or "lag_ms") of each stale-read anomaly listed, put in the
 * same buckets.  0 bins: nothing measured.
 */
static void stale_hist(const struct report_run *r, struct stale_hist *sh)
{
	/* The bins in the order they are drawn: "0" (not behind), then by
	   how far behind.  results.json is written with sorted keys, so the
	   histogram object's own order is not this one. */
	static const char *const names[] = { "0", "<1ms", "<10ms", "<100ms",
					     "<1s", "<10s", ">=10s" };
	static const double edges[] = { 1, 10, 100, 1000, 10000 };
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	json_t *c, *x, *hist, *checkers;
	const char *k;
	size_t i, j, b;
	int any = 0;

	memset(sh, 0, sizeof(*sh));
	if (!r->results)
		return;
	checkers = json_object_get(r->results, "checkers");
	json_array_foreach(checkers, i, c) {
		hist = json_object_get(json_object_get(c, "stats"),
				       "histogram");
		if (!json_is_object(hist) || !json_object_size(hist))
			continue;
		/* known bins in names[] order, then any other in the
		   object's order */
		for (b = 0; b < nnames; b++) {
			x = json_object_get(hist, names[b]);
			if (!json_is_number(x) || sh->n == STALE_BINS)
				continue;
			sh->label[sh->n] = names[b];
			sh->count[sh->n++] = json_number_value(x);
		}
		json_object_foreach(hist, k, x) {
			for (b = 0; b < nnames && strcmp(k, names[b]); b++)
				;
			if (b < nnames || sh->n == STALE_BINS ||
			    !json_is_number(x))
				continue;
			sh->label[sh->n] = k;
			sh->count[sh->n++] = json_number_value(x);
		}
		sh->from = "all reads checked (stats.histogram of the "
			   "stale checker)";
		return;
	}
	/* stale reads only: every one is behind, so no "0" bin */
	for (b = 0; b < 6; b++)
		sh->label[b] = names[b + 1];
	sh->n = 6;
	sh->from = "the stale reads listed as anomalies";
	json_array_foreach(checkers, i, c) {
		json_array_foreach(json_object_get(c, "anomalies"), j, x) {
			json_t *d = json_object_get(x, "detail");
			json_t *ms = json_object_get(d, "ms_behind");
			double v;

			if (!json_is_number(ms))
				ms = json_object_get(d, "lag_ms");
			if (!json_is_number(ms))
				continue;
			v = json_number_value(ms);
			for (b = 0; b < 5 && v >= edges[b]; b++)
				;
			sh->count[b]++;
			any = 1;
		}
	}
	if (!any)
		sh->n = 0;
}

static void stale_script(const struct stale_hist *sh, struct sb *gp)
{
	size_t i;

	sb_addf(gp, "unset object\nunset label\nset xrange [-0.6:%zu.6]\n"
		"set xlabel 'how far behind the read was' noenhanced\n"
		"set ylabel 'reads'\nset yrange [0:*]\nset boxwidth 0.7\n"
		"set style fill solid 0.7 border -1\nset xtics (",
		sh->n - 1);
	for (i = 0; i < sh->n; i++) {
		sb_adds(gp, i ? ", " : "");
		gp_quote(gp, sh->label[i]);
		sb_addf(gp, " %zu", i);
	}
	sb_adds(gp, ") noenhanced\n$S << EOD\n");
	for (i = 0; i < sh->n; i++)
		sb_addf(gp, "%zu %.0f\n", i, sh->count[i]);
	sb_adds(gp, "EOD\nplot $S using 1:2 with boxes lc rgb '#e8871e' "
		"title ");
	gp_quote(gp, sh->from);
	sb_addc(gp, '\n');
}

/* Run gnuplot on script; fill png or note. */
static void run_gnuplot(const char *tmpdir, const char *name,
			const struct sb *script, struct report_graph *g)
{
	const char *gnuplot = getenv("NS_GNUPLOT");
	struct sb gp_path = SB_INIT, png_path = SB_INIT, log_path = SB_INIT;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	FILE *f;
	pid_t pid;
	int st = 0, waited = 0, fd;
	char buf[65536];
	size_t n;

	if (!gnuplot || !*gnuplot)
		gnuplot = "gnuplot";
	sb_addf(&gp_path, "%s/%s.gp", tmpdir, name);
	sb_addf(&png_path, "%s/%s.png", tmpdir, name);
	sb_addf(&log_path, "%s/%s.log", tmpdir, name);
	f = fopen(gp_path.buf, "w");
	if (!f || fwrite(script->buf, 1, script->len, f) != script->len) {
		sb_addf(&g->note, "graph not drawn: cannot write '%s': %s",
			gp_path.buf, strerror(errno));
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	pid = fork();
	if (pid < 0) {
		sb_addf(&g->note, "graph not drawn: fork: %s",
			strerror(errno));
		goto out;
	}
	if (!pid) {
		fd = open(log_path.buf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execlp(gnuplot, gnuplot, gp_path.buf, (char *)NULL);
		fprintf(stderr, "cannot run '%s': %s\n", gnuplot,
			strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (waited++ >= GP_TIMEOUT_S * 50) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			sb_addf(&g->note, "graph not drawn: gnuplot did not "
				"finish within %d s", GP_TIMEOUT_S);
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		struct sb log = SB_INIT;

		f = fopen(log_path.buf, "r");
		log.max = 400;
		while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
			sb_add(&log, buf, n);
		if (f)
			fclose(f);
		while (log.len && log.buf[log.len - 1] == '\n')
			sb_setlen(&log, log.len - 1);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			sb_addf(&g->note, "graph not drawn: gnuplot is not "
				"installed (%s)", log.buf);
		else
			sb_addf(&g->note, "graph not drawn: gnuplot failed "
				"(%s)", log.len ? log.buf : "no message");
		sb_release(&log);
		goto out;
	}
	f = fopen(png_path.buf, "rb");
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&g->png, buf, n);
	if (f)
		fclose(f);
	if (g->png.len < 8 || memcmp(g->png.buf, "\x89PNG", 4)) {
		sb_reset(&g->png);
		sb_adds(&g->note, "graph not drawn: gnuplot wrote no PNG");
	}
out:
	unlink(gp_path.buf);
	unlink(png_path.buf);
	unlink(log_path.buf);
	sb_release(&gp_path);
	sb_release(&png_path);
	sb_release(&log_path);
}

static void graph_init(struct report_graph *g, const char *name,
		       const char *title)
{
	g->name = name;
	g->title = title;
	g->png = (struct sb)SB_INIT;
	g->note = (struct sb)SB_INIT;
}

void report_graph_release(struct report_graph *g)
{
	sb_release(&g->png);
	sb_release(&g->note);
}

size_t report_graphs(const struct report_run *r,
		     struct report_graph g[REPORT_MAX_GRAPHS])
{
	const char *tmp = getenv("TMPDIR");
	struct sb dir = SB_INIT, gp = SB_INIT, png = SB_INIT;
	struct stale_hist sh;
	size_t ng = 0;
	int have_dir;

	graph_init(&g[ng++], "latency", "Latency over time");
	graph_init(&g[ng++], "rate", "Throughput over time");
	stale_hist(r, &sh);
	if (sh.n)
		graph_init(&g[ng++], "stale", "Stale reads: how stale");
	if (!r->have_hist || !r->nops) {
		sb_adds(&g[0].note, "graph not drawn: the history holds no "
			"client operations");
		sb_adds(&g[1].note, "graph not drawn: the history holds no "
			"client operations");
	} else if (!r->timed) {
		/* every event at 0: no latency, no rate, no time axis */
		sb_adds(&g[0].note, "graph not drawn: the history records no "
			"times (every event is at 0), so there is no latency "
			"to plot");
		sb_adds(&g[1].note, "graph not drawn: the history records no "
			"times (every event is at 0), so there is no rate "
			"over time to plot");
	}
	sb_addf(&dir, "%s/netsplit-report.XXXXXX",
		tmp && *tmp ? tmp : "/tmp");
	have_dir = mkdtemp(dir.buf) != NULL;
	if (!have_dir) {
		size_t i;

		for (i = 0; i < ng; i++)
			if (!g[i].note.len)
				sb_addf(&g[i].note, "graph not drawn: cannot "
					"make a temporary directory: %s",
					strerror(errno));
		goto out;
	}
	if (!g[0].note.len) {
		sb_addf(&png, "%s/latency.png", dir.buf);
		gp_header(r, &gp, png.buf, "Latency of completed operations");
		latency_script(r, &gp, &g[0].note);
		run_gnuplot(dir.buf, "latency", &gp, &g[0]);
	}
	if (!g[1].note.len) {
		sb_reset(&gp);
		sb_reset(&png);
		sb_addf(&png, "%s/rate.png", dir.buf);
		gp_header(r, &gp, png.buf, "Completions per second");
		rate_script(r, &gp);
		run_gnuplot(dir.buf, "rate", &gp, &g[1]);
	}
	if (sh.n) {
		sb_reset(&gp);
		sb_reset(&png);
		sb_addf(&png, "%s/stale.png", dir.buf);
		gp_header(r, &gp, png.buf, "Stale reads: lag distribution");
		stale_script(&sh, &gp);
		run_gnuplot(dir.buf, "stale", &gp, &g[2]);
	}
	rmdir(dir.buf);
out:
	sb_release(&dir);
	sb_release(&gp);
	sb_release(&png);
	return ng;
}
