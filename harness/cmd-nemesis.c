/*
 * cmd-nemesis.c - `netsplit nemesis`: inject faults by hand, without a
 * run (the nemesis tests and the latency bench drive faults with it).
 *
 *   netsplit nemesis [--config C] [--faults LIST] [--seed X] [--count N]
 *                    [--hold S] [--gap S] [--together] [--cycle]
 *                    [--deadman S] [--db TYPE] [--run-dir DIR] [--bench]
 *
 * Follows the schedule of --faults/--seed (or the config's nemesis
 * section) for N faults: each is journaled, applied, held S seconds
 * (dead-man leases renewed meanwhile), then healed; with --together all
 * N are applied first, held, then healed.  One JSON line per event on
 * stdout: {"event":"ready"|"start"|"stop"|"skip", ...}, flushed, so a test
 * can wait for "start" and look at the nodes.  SIGINT/SIGTERM heal
 * everything before exiting; kill -9 leaves the faults to `netsplit heal`
 * and the dead-man switches.  --db TYPE sets up that database plug-in
 * first (needed by kill, pause, clock, replica-lag) and tears it down at the end.
 * The journal goes to --run-dir, default STORE/nemesis/<timestamp>.
 * --bench prints the start latency (schedule -> in force on all targets)
 * median and max, and the remote commands each start ran per target.  Exit 0, 3 usage/config, 4 harness error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cmd.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "nemesis/nemesis.h"
#include "os.h"
#include "sb.h"
#include "transport.h"
#include "workloads/workload.h"

static const char nemesis_usage[] =
	"usage: netsplit nemesis [--config FILE] [--faults LIST] "
	"[--seed X] [--count N]\n"
	"                        [--hold S] [--gap S] [--together] "
	"[--cycle] [--deadman S]\n"
	"                        [--db TYPE] [--run-dir DIR] [--bench]\n"
	"\n"
	"Injects N faults of the schedule (default 1), holds each S seconds\n"
	"(default 5), heals it.  LIST: partition, loss, kill, pause, clock,\n"
	"replica-lag or <kind>-<shape> (docs/nemesis.md).  One JSON line per\n"
	"event on stdout.  Ctrl-C heals; after kill -9 use 'netsplit heal'.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void emit(const char *event, json_t *fault, double latency_ms)
{
	json_t *o = json_object();
	char *s;

	json_object_set_new(o, "event", json_string(event));
	if (fault)
		json_object_set_new(o, "fault", fault);
	if (latency_ms >= 0)
		json_object_set_new(o, "latency_ms", json_real(latency_ms));
	s = json_dumps(o, JSON_COMPACT);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(o);
}

/* Sleep secs in slices, renewing the leases; 1 if interrupted. */
static int hold(struct nemesis_set *s, double secs, int deadman_s)
{
	double end = ns_mono_s() + secs, last = ns_mono_s();
	double every = deadman_s / 3.0;
	struct sb err = SB_INIT;

	while (!stop_flag && ns_mono_s() < end) {
		double left = end - ns_mono_s();
		struct timespec ts;

		if (left > 0.2)
			left = 0.2;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
		if (ns_mono_s() - last >= every) {
			if (nemesis_renew(s, &err)) {
				warnf("%s", err.buf);
				sb_reset(&err);
			}
			last = ns_mono_s();
		}
	}
	sb_release(&err);
	return stop_flag != 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct drv {
	int count, together, bench, deadman_s;
	double hold_s, gap_s;
	double *lat;
	size_t nlat;
	struct transport *t;
	double *cmds;		/* remote commands each start ran */
	double *targets;	/* targets of each fault */
};

/* Start one fault; *f NULL when it was skipped. */
static int start_one(struct drv *d, struct nemesis_set *s,
		     struct fault **f)
{
	struct sb note = SB_INIT, err = SB_INIT;
	unsigned long c0 = transport_commands(d->t);
	double t0 = ns_mono_s(), ms;
	int rc;

	rc = nemesis_start_next(s, f, &note, &err);
	ms = (ns_mono_s() - t0) * 1000;
	if (note.len)
		fprintf(stderr, "netsplit: %s", note.buf);
	if (rc) {
		errorf("%s", err.buf);
	} else if (*f) {
		json_t *desc = fault_describe(*f);

		d->cmds[d->nlat] = (double)(transport_commands(d->t) - c0);
		d->targets[d->nlat] = (double)json_array_size(
			json_object_get(desc, "targets"));
		d->lat[d->nlat++] = ms;
		emit("start", desc, ms);
	} else {
		emit("skip", NULL, -1);
	}
	sb_release(&note);
	sb_release(&err);
	return rc;
}

static int stop_one(struct nemesis_set *s, struct fault *f)
{
	struct sb err = SB_INIT;
	json_t *desc = fault_describe(f);
	int rc = nemesis_stop(s, f, &err);

	if (rc) {
		errorf("%s", err.buf);
		json_decref(desc);
	} else {
		emit("stop", desc, -1);
	}
	sb_release(&err);
	return rc;
}

static int drive(struct drv *d, struct nemesis_set *s)
{
	struct fault **live = xcalloc((size_t)d->count + 1, sizeof(*live));
	int i, rc = 0, r;

	for (i = 0; i < d->count && !stop_flag && !rc; i++) {
		rc = start_one(d, s, &live[i]);
		if (rc || d->together)
			continue;
		if (live[i]) {
			hold(s, d->hold_s, d->deadman_s);
			rc = stop_one(s, live[i]);
			live[i] = NULL;
		}
		if (i + 1 < d->count)
			hold(s, d->gap_s, d->deadman_s);
	}
	if (d->together && !rc)
		hold(s, d->hold_s, d->deadman_s);
	for (i = 0; i < d->count; i++)
		if (live[i] && (r = stop_one(s, live[i])) && !rc)
			rc = r;
	free(live);
	return rc;
}

static void print_stats(const char *what, const double *lat, size_t n)
{
	double *v = xcalloc(n + 1, sizeof(*v));
	double med;

	if (!n) {
		printf("%s: nothing measured\n", what);
		free(v);
		return;
	}
	memcpy(v, lat, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%s: %zu, median %.1f ms, max %.1f ms\n", what, n, med,
	       v[n - 1]);
	free(v);
}

/*
 * The floor under any fault's latency: one remote command (`true`) on
 * every node at once, over the same persistent connections.
 */
static void bench_floor(struct transport *t, int rounds)
{
	size_t n = transport_nnodes(t), i;
	size_t *idx = xcalloc(n + 1, sizeof(*idx));
	struct transport_result *res = xcalloc(n + 1, sizeof(*res));
	int *rcs = xcalloc(n + 1, sizeof(*rcs)), r;
	double *lat = xcalloc((size_t)rounds + 1, sizeof(*lat));
	const char *const argv[] = { "true", NULL };
	struct sb err = SB_INIT;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (r = 0; r < rounds; r++) {
		double t0 = ns_mono_s();

		for (i = 0; i < n; i++)
			transport_result_init(&res[i]);
		transport_exec_many(t, idx, n, argv, 10000, res, rcs, &err);
		lat[r] = (ns_mono_s() - t0) * 1000;
		for (i = 0; i < n; i++)
			transport_result_release(&res[i]);
	}
	print_stats("remote command floor ('true' on every node at once)",
		    lat, (size_t)rounds);
	sb_release(&err);
	free(idx);
	free(res);
	free(rcs);
	free(lat);
}

static void print_bench(const struct drv *d)
{
	double c = 0, n = 0;
	size_t i;

	print_stats("nemesis latency (schedule -> in force on all targets)",
		    d->lat, d->nlat);
	for (i = 0; i < d->nlat; i++) {
		c += d->cmds[i];
		n += d->targets[i];
	}
	if (d->nlat)
		printf("remote commands per fault: %.1f, targets per fault: "
		       "%.1f (round trips per target: %.2f)\n",
		       c / (double)d->nlat, n / (double)d->nlat,
		       n > 0 ? c / n : 0);
}

int cmd_nemesis(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "faults", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'H' },
		{ "gap", required_argument, NULL, 'g' },
		{ "together", no_argument, NULL, 'T' },
		{ "cycle", no_argument, NULL, 'C' },
		{ "deadman", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'D' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "bench", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = "netsplit.json", *faults = NULL;
	const char *db_name = NULL, *run_dir = NULL;
	long long seed = -1, deadman = -1;
	int cycle = 0, opt, rc, status = NS_EXIT_VALID;
	struct drv d = { .count = 1, .hold_s = 5, .gap_s = 0 };
	struct nemesis_opts o;
	struct config cfg;
	struct transport *t = NULL;
	struct db *db = NULL;
	struct nemesis_set *s = NULL;
	struct sb err = SB_INIT, dir = SB_INIT;
	struct sigaction sa;
	char *end;

	while ((opt = getopt_long(argc, argv, "+c:f:s:n:H:g:TCd:D:r:bh",
				  lopts, NULL)) != -1) {
		errno = 0;
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'f': faults = optarg; break;
		case 'D': db_name = optarg; break;
		case 'r': run_dir = optarg; break;
		case 'T': d.together = 1; break;
		case 'C': cycle = 1; break;
		case 'b': d.bench = 1; break;
		case 's':
			seed = strtoll(optarg, &end, 0);
			if (errno || *end || seed < 0)
				goto bad;
			break;
		case 'n':
			d.count = (int)strtol(optarg, &end, 10);
			if (errno || *end || d.count < 1 || d.count > 100000)
				goto bad;
			break;
		case 'd':
			deadman = strtoll(optarg, &end, 10);
			if (errno || *end || deadman < 2)
				goto bad;
			break;
		case 'H':
		case 'g': {
			double v = strtod(optarg, &end);

			if (errno || *end || v < 0 || v > 86400)
				goto bad;
			if (opt == 'H')
				d.hold_s = v;
			else
				d.gap_s = v;
			break;
		}
		case 'h':
			fputs(nemesis_usage, stdout);
			return NS_EXIT_VALID;
		default:
			fputs(nemesis_usage, stderr);
			return NS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		errorf("nemesis: unexpected argument '%s'", argv[optind]);
		return NS_EXIT_USAGE;
	}
	config_init(&cfg);
	nemesis_opts_init(&o);
	o.faults_flag = "--faults";
	if ((rc = config_load(&cfg, config_path, &err)))
		goto fail;
	if (faults) {
		/* --faults overrides nemesis.faults, checked (and blamed)
		   like it: kinds, and shapes that fit the nodes */
		json_object_set_new(cfg.nemesis, "faults",
				    json_string(faults));
		cfg_set_flag(&cfg, "nemesis", "faults", "--faults");
	}
	if ((rc = nemesis_opts_from_config(&o, &cfg, &err)))
		goto fail;
	if (!o.faults[0]) {
		sb_addf(&err, "no faults to inject (%s%s is empty or none)",
			faults ? "--faults" : cfg.path,
			faults ? "" : ": 'nemesis.faults'");
		rc = -NS_EUSAGE;
		goto fail;
	}
	if (seed >= 0)
		o.seed = (uint64_t)seed;
	if (deadman > 0)
		o.deadman_s = (int)deadman;
	if (cycle)
		o.cycle = 1;
	d.deadman_s = o.deadman_s;
	d.lat = xcalloc((size_t)d.count + 1, sizeof(*d.lat));
	d.cmds = xcalloc((size_t)d.count + 1, sizeof(*d.cmds));
	d.targets = xcalloc((size_t)d.count + 1, sizeof(*d.targets));
	if (run_dir) {
		sb_adds(&dir, run_dir);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char ts[32];

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
		sb_addf(&dir, "%s/nemesis/%s-%d", cfg.store_dir, ts,
			(int)getpid());
	}
	if ((rc = ns_mkdir_p(dir.buf, 0777, &err)))
		goto fail;
	/* Before any set-up on the nodes: a live run's members are not
	   ours to set up again or tear down. */
	if (run_dir && nemesis_run_live(run_dir)) {
		sb_addf(&err, "%s: the run is live: another netsplit holds "
			"its journal", run_dir);
		rc = -NS_EUSAGE;
		goto fail;
	}
	if (db_name) {
		const struct db_type *type = db_find(db_name);

		if (!type) {
			sb_addf(&err, "--db: no database plug-in '%s'",
				db_name);
			rc = -NS_EUSAGE;
			goto fail;
		}
		if ((rc = db_new(&db, type, &cfg, &err)))
			goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((rc = transport_open(&t, &cfg, &err)))
		goto fail;
	if (db) {
		db_bind(db, t);
		if ((rc = db_setup(db, &err)))
			goto fail;
	}
	d.t = t;
	if ((rc = nemesis_set_new(&s, &o, t, db, dir.buf, &err)))
		goto fail;
	fprintf(stderr, "netsplit: journal %s/nemesis.journal\n", dir.buf);
	emit("ready", NULL, -1);
	if (drive(&d, s))
		status = NS_EXIT_HARNESS;
	if (nemesis_heal_all(s, &err)) {
		errorf("%s", err.buf);
		status = NS_EXIT_HARNESS;
	}
	if (d.bench) {
		bench_floor(t, d.count);
		print_bench(&d);
	}
	goto out;
bad:
	errorf("nemesis: bad value '%s'", optarg);
	return NS_EXIT_USAGE;
fail:
	errorf("%s", err.buf);
	status = ns_exit_code(rc);
out:
	nemesis_set_free(s);
	if (db && db->t) {
		sb_reset(&err);
		if (db_teardown(db, &err))
			errorf("%s", err.buf);
	}
	db_free(db);
	if (t)
		transport_close(t);
	nemesis_opts_release(&o);
	config_release(&cfg);
	sb_release(&err);
	sb_release(&dir);
	free(d.lat);
	free(d.cmds);
	free(d.targets);
	return status;
}
