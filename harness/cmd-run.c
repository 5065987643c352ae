/*
 * cmd-run.c - `netsplit run`: flags and config into run parameters, then
 * the controller (controller.c) once per --test-count, then the reports
 * (report.html, junit.xml, summary.md) of each run.
 *
 * Flags override the config: each one is written into the config's JSON
 * before the plug-ins read it (so run.json shows the config as used, and
 * a bad value is reported like a bad config key):
 *   --db T            db.type            --workload T    workload.type
 *   --read-mode M     workload.read_mode --nemesis L     nemesis.faults
 *   --nemesis-interval S  nemesis.interval_s
 *   --time-limit S    run.time_limit_s   --concurrency N run.concurrency
 *   --rate R          run.rate           --seed X        run.seed
 *   --test-count N    run.test_count     --keep          run.keep
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "harness/run.h"
#include "reports/report.h"
#include "workloads/workload.h"

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: netsplit run [--config C] [--db NAME] [--workload NAME]\n"
"                    [--nemesis KINDS] [--nemesis-interval S]\n"
"                    [--time-limit S] [--concurrency N] [--rate R]\n"
"                    [--seed X] [--test-count N] [--read-mode MODE]\n"
"                    [--keep] [--no-progress]\n"
"\n"
"Set up the database on every node of the config, run client threads\n"
"against it for the time limit while the nemesis injects faults, heal,\n"
"do final reads, collect the nodes' logs, tear the database down and\n"
"check the history.  Everything lands in STORE/<name>/<timestamp>/\n"
"(run.json, history.jsonl, logs/<node>/, results.json; a `latest` link\n"
"beside it).  Flags override the config (docs/config.md).\n"
"\n"
"options:\n"
"  --config C            config file (default ./netsplit.json)\n"
"  --db NAME             database plug-in: etcd (default), postgres,\n"
"                        redis, external (your own service, already\n"
"                        running: nothing set up)\n"
"  --workload NAME       workload: register (etcd), session (postgres),\n"
"                        set (redis); default: the database's; http or\n"
"                        exec (any db: your service's requests or\n"
"                        commands, from the config's workload section)\n"
"  --nemesis KINDS       faults, comma-separated: partition, kill, pause,\n"
"                        clock, loss, replica-lag (or finer kinds,\n"
"                        docs/nemesis.md);\n"
"                        'none' for no faults (default: the config's\n"
"                        nemesis.faults, else partition)\n"
"  --nemesis-interval S  seconds between a fault's start and stop (10)\n"
"  --time-limit S        seconds of client operations (30)\n"
"  --concurrency N       client threads (5)\n"
"  --rate R              operations per second overall, 0 = as fast as\n"
"                        the database answers (0)\n"
"  --seed X              random seed: the same seed gives the same\n"
"                        operations and fault schedule (default: random,\n"
"                        recorded in run.json)\n"
"  --test-count N        repeat the whole run N times; fail if any fails\n"
"                        (Ctrl-C or SIGTERM stops at once: no further\n"
"                        run)\n"
"  --read-mode MODE      linearizable (default) or serializable reads\n"
"  --keep                leave the database running (no teardown)\n"
"  --no-progress         no progress (else on a terminal one line redrawn\n"
"                        each second, in a log a line every 10 s)\n"
"  -h, --help            show this help\n"
"\n"
"databases:");
	for (i = 0; db_types[i]; i++)
		fprintf(f, " %s", db_types[i]->name);
	fprintf(f, "\nworkloads:");
	for (i = 0; workload_types[i]; i++)
		fprintf(f, " %s (%s)", workload_types[i]->name,
			workload_types[i]->help);
	fprintf(f,
"\n\nexit status: 0 valid, 1 an anomaly found, 2 unknown, 3 usage or\n"
"config error, 4 harness error (SSH, set-up, cluster).  A run stopped by\n"
"Ctrl-C or SIGTERM heals every fault and checks what it recorded: 1 if\n"
"that shows an anomaly, else 2 (verdict: unknown (interrupted)).  A read,\n"
"write or add tried 10 times or more that never succeeded tested nothing:\n"
"2 (verdict: unknown (no write succeeded (...))) unless an anomaly was found.\n");
}

static const char *const run_keys[] = {
	"time_limit_s", "concurrency", "rate", "seed", "test_count",
	"recover_s", "check_timeout_s", "keep", NULL
};

/* A flag's value as JSON, or NULL (then: usage error naming the flag). */
static json_t *num_arg(const char *flag, const char *arg, int integer,
		       double min)
{
	char *end;
	double d;
	long long v;

	errno = 0;
	if (integer) {
		v = strtoll(arg, &end, 10);
		if (end != arg && !*end && errno == ERANGE) {
			errorf("%s: '%s' is out of range (at most %lld)",
			       flag, arg, LLONG_MAX);
			return NULL;
		}
		if (end != arg && !*end && (double)v >= min)
			return json_integer(v);
	} else {
		d = strtod(arg, &end);
		if (end != arg && !*end && errno == ERANGE) {
			errorf("%s: '%s' is out of range", flag, arg);
			return NULL;
		}
		if (end != arg && !*end && d >= min)
			return json_real(d);
	}
	errorf("%s wants %s >= %g, not '%s'", flag, integer ? "an integer" :
	       "a number", min, arg);
	return NULL;
}

struct override {
	const char *section;	/* "db", "workload", "nemesis", "run" */
	const char *key;
	const char *flag;	/* "--concurrency": named in messages */
	json_t *value;		/* owned */
};

static json_t *section(struct config *c, const char *name)
{
	if (!strcmp(name, "db"))
		return c->db;
	if (!strcmp(name, "workload"))
		return c->workload;
	if (!strcmp(name, "nemesis"))
		return c->nemesis;
	return c->run;
}

static int read_run_section(const struct config *c, struct run_params *p,
			    struct sb *err)
{
	json_t *o = c->run;
	long long conc = p->concurrency, count = p->test_count,
		  seed = (long long)p->seed;
	int rc;

	rc = cfg_check_keys(c, o, "run", run_keys, err);
	if (!rc)
		rc = cfg_get_double(c, o, "run", "time_limit_s",
				    &p->time_limit_s, err);
	if (!rc)
		rc = cfg_get_int(c, o, "run", "concurrency", &conc, err);
	if (!rc)
		rc = cfg_get_double(c, o, "run", "rate", &p->rate, err);
	if (!rc)
		rc = cfg_get_int(c, o, "run", "seed", &seed, err);
	if (!rc)
		rc = cfg_get_int(c, o, "run", "test_count", &count, err);
	if (!rc)
		rc = cfg_get_double(c, o, "run", "recover_s", &p->recover_s,
				    err);
	if (!rc)
		rc = cfg_get_double(c, o, "run", "check_timeout_s",
				    &p->check_timeout_s, err);
	if (!rc)
		rc = cfg_get_bool(c, o, "run", "keep", &p->keep, err);
	if (rc)
		return rc;
#define RANGE(cond, key, what)                                            \
	do {                                                              \
		if (!(cond)) {                                            \
			cfg_subject(err, c, "run", key);                  \
			sb_addf(err, ": %s", what);                       \
			return -NS_ECONFIG;                               \
		}                                                         \
	} while (0)
	RANGE(p->time_limit_s > 0 && p->time_limit_s <= 30 * 86400.0,
	      "time_limit_s", "must be a positive number of seconds");
	RANGE(conc >= 1 && conc <= 1000, "concurrency", "must be 1..1000");
	RANGE(p->rate >= 0, "rate", "must be >= 0");
	RANGE(count >= 1 && count <= 100000, "test_count",
	      "must be 1..100000");
	/* seeds are JSON integers (run.json): 0 .. 2^63 - 1, and so is the
	   seed of the last of test_count runs */
	RANGE(seed >= 0 && seed <= LLONG_MAX - (count - 1), "seed",
	      "must be 0..9223372036854775807 (minus test_count - 1)");
	RANGE(p->recover_s >= 0, "recover_s", "must be >= 0");
	RANGE(p->check_timeout_s >= 0, "check_timeout_s", "must be >= 0");
#undef RANGE
	p->concurrency = (long)conc;
	p->test_count = (long)count;
	p->seed = (uint64_t)seed;
	return 0;
}

static const char *type_of(const struct config *c, json_t *sec,
			   const char *where, const char *def, int *rc,
			   struct sb *err)
{
	const char *t = def;

	if (!*rc)
		*rc = cfg_get_str(c, sec, where, "type", &t, err);
	return t;
}

/* The workload a database is tested with when none is named: the first
   registered for it ("register" for etcd, "set" for redis...); NULL when
   there is none (fake, external: run_check_config() says so).  The
   workloads that run against any database (http, exec) need a config of
   their own: never a default. */
static const char *default_workload(const char *db)
{
	size_t i;

	for (i = 0; workload_types[i]; i++)
		if (workload_types[i]->db &&
		    !strcmp(workload_types[i]->db, db))
			return workload_types[i]->name;
	return NULL;
}

/*
 * results.json's history.by_op, one line per op name under the "ops:"
 * line: "  write: 0 ok, 412 fail, 0 info: 412 fail 'http 404: ...'", the
 * most common errors only where some op did not succeed (each cut to
 * ERROR_SHOWN bytes, control characters as spaces: results.json has
 * more, history.jsonl all).
 */
#define ERROR_SHOWN 100
static void print_by_op(const json_t *by_op)
{
	const json_t *op, *e;
	size_t i, k;

	json_array_foreach(by_op, i, op) {
		const json_t *errs = json_object_get(op, "errors");

		printf("  %s: %lld ok, %lld fail, %lld info",
		       json_string_value(json_object_get(op, "f")),
		       (long long)json_integer_value(json_object_get(op, "ok")),
		       (long long)json_integer_value(json_object_get(op,
								     "fail")),
		       (long long)json_integer_value(json_object_get(op,
								     "info")));
		json_array_foreach(errs, k, e) {
			const char *t = json_string_value(
				json_object_get(e, "error"));
			size_t len = t ? strlen(t) : 0;
			size_t n = len > ERROR_SHOWN ? ERROR_SHOWN : len, c;

			while (n && n < len && ((unsigned char)t[n] & 0xc0) ==
			       0x80)
				n--;	/* whole UTF-8 characters */
			printf("%s%lld %s '", k ? ", " : ": ",
			       (long long)json_integer_value(
				       json_object_get(e, "count")),
			       json_string_value(json_object_get(e,
								 "outcome")));
			for (c = 0; c < n; c++)	/* one line each */
				putchar((unsigned char)t[c] < 0x20 ||
					t[c] == 0x7f ? ' ' : t[c]);
			printf("%s'", n < len ? "..." : "");
		}
		putchar('\n');
	}
}

static void print_results(const char *dir, int status)
{
	struct sb path = SB_INIT;
	json_t *doc, *arr, *v;
	size_t i;

	sb_addf(&path, "%s/results.json", dir);
	doc = json_load_file(path.buf, 0, NULL);
	arr = json_object_get(doc, "checkers");
	json_array_foreach(arr, i, v) {
		printf("%s: %s", json_string_value(json_object_get(v,
								   "checker")),
		       json_string_value(json_object_get(v, "verdict")));
		if (json_string_length(json_object_get(v, "summary")))
			printf(": %s", json_string_value(
				json_object_get(v, "summary")));
		putchar('\n');
	}
	json_array_foreach(json_object_get(doc, "faults"), i, v)
		if (json_string_value(json_object_get(v, "unsupported")))
			warnf("%s", json_string_value(json_object_get(
				v, "unsupported")));
	if (json_string_length(json_object_get(doc, "warnings")))
		warnf("%s", json_string_value(json_object_get(doc,
							      "warnings")));
	v = json_object_get(doc, "history");
	if (v)
		printf("ops: %lld (ok %lld, fail %lld, info %lld)\n",
		       (long long)json_integer_value(json_object_get(v,
								     "ops")),
		       (long long)json_integer_value(json_object_get(v, "ok")),
		       (long long)json_integer_value(json_object_get(v,
								     "fail")),
		       (long long)json_integer_value(json_object_get(v,
								     "info")));
	print_by_op(json_object_get(v, "by_op"));
	v = json_object_get(doc, "verdict_reason");
	printf("verdict: %s%s%s%s\nrun directory: %s\n",
	       status == NS_EXIT_VALID ? "valid" :
	       status == NS_EXIT_ANOMALY ? "invalid" : "unknown",
	       json_string_value(v) ? " (" : "",
	       json_string_value(v) ? json_string_value(v) : "",
	       json_string_value(v) ? ")" : "", dir);
	json_decref(doc);
	sb_release(&path);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "workload", required_argument, NULL, 'w' },
		{ "nemesis", required_argument, NULL, 'n' },
		{ "nemesis-interval", required_argument, NULL, 'I' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 's' },
		{ "test-count", required_argument, NULL, 'N' },
		{ "read-mode", required_argument, NULL, 'm' },
		{ "keep", no_argument, NULL, 'k' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct override ov[32];
	size_t nov = 0, i;
	const char *config_path = "netsplit.json";
	struct config c;
	struct run_params p;
	struct sb err = SB_INIT;
	int ch, rc, status = NS_EXIT_VALID, no_progress = 0, seed_given = 0;
	int li = -1;
	char flag[64];
	long k;
	size_t verdicts[3] = { 0, 0, 0 };	/* runs valid, invalid, unknown */

	memset(&p, 0, sizeof(p));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, &li)) != -1) {
		json_t *v = NULL;
		const char *sec = "run", *key = NULL;

		switch (ch) {
		case 'c':
			config_path = optarg;
			continue;
		case 'd':
			sec = "db", key = "type", v = json_string(optarg);
			break;
		case 'w':
			sec = "workload", key = "type";
			v = json_string(optarg);
			break;
		case 'm':
			sec = "workload", key = "read_mode";
			v = json_string(optarg);
			break;
		case 'n':
			sec = "nemesis", key = "faults";
			v = json_string(strcmp(optarg, "none") ? optarg : "");
			break;
		case 'I':
			sec = "nemesis", key = "interval_s";
			v = num_arg("--nemesis-interval", optarg, 1, 1);
			break;
		case 't':
			key = "time_limit_s";
			v = num_arg("--time-limit", optarg, 0, 0.001);
			break;
		case 'C':
			key = "concurrency";
			v = num_arg("--concurrency", optarg, 1, 1);
			break;
		case 'r':
			key = "rate";
			v = num_arg("--rate", optarg, 0, 0);
			break;
		case 's':
			key = "seed";
			v = num_arg("--seed", optarg, 1, 0);
			break;
		case 'N':
			key = "test_count";
			v = num_arg("--test-count", optarg, 1, 1);
			break;
		case 'k':
			key = "keep", v = json_true();
			break;
		case 'P':
			no_progress = 1;
			continue;
		case 'h':
			usage(stdout);
			goto done_ok;
		default:
			errorf("run: unknown option or missing value in '%s' "
			       "(see 'netsplit run --help')",
			       argv[optind - 1]);
			goto usage_error;
		}
		if (!v)
			goto usage_error;
		if (nov == sizeof(ov) / sizeof(ov[0])) {
			json_decref(v);
			errorf("run: too many options");
			goto usage_error;
		}
		ov[nov].section = sec;
		ov[nov].key = key;
		ov[nov].flag = li >= 0 ? opts[li].name : key;
		li = -1;
		ov[nov++].value = v;
	}
	if (optind != argc) {
		errorf("run: unexpected argument '%s' (see 'netsplit run "
		       "--help')", argv[optind]);
		goto usage_error;
	}

	config_init(&c);
	rc = config_load(&c, config_path, &err);
	if (rc) {
		errorf("%s", err.buf);
		status = ns_exit_code(rc);
		goto out_cfg;
	}
	for (i = 0; i < nov; i++) {
		if (!strcmp(ov[i].key, "seed"))
			seed_given = p.seed_flag = 1;
		json_object_set(section(&c, ov[i].section), ov[i].key,
				ov[i].value);
		snprintf(flag, sizeof(flag), "--%s", ov[i].flag);
		cfg_set_flag(&c, ov[i].section, ov[i].key, flag);
	}
	if (json_object_get(c.run, "seed"))
		seed_given = 1;
	p.time_limit_s = 30;
	p.concurrency = 5;
	p.test_count = 1;
	p.recover_s = 3;
	p.check_timeout_s = 120;
	rc = 0;
	p.db = type_of(&c, c.db, "db", "etcd", &rc, &err);
	p.workload = type_of(&c, c.workload, "workload",
			     default_workload(p.db), &rc, &err);
	if (!rc)
		rc = read_run_section(&c, &p, &err);
	if (!rc && !c.nnodes) {
		sb_addf(&err, "%s: 'nodes': no nodes to run on", config_path);
		rc = -NS_ECONFIG;
	}
	/* every plug-in's config errors before anything is printed */
	if (!rc)
		rc = run_check_config(&c, &p, &err);
	if (rc) {
		errorf("%s", err.buf);
		status = ns_exit_code(rc);
		goto out_cfg;
	}
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		p.seed = ((uint64_t)ts.tv_sec * 1000003u ^
			  (uint64_t)ts.tv_nsec ^ (uint64_t)getpid()) &
			 0x7fffffffffffffffULL;
	}
	p.progress = no_progress ? RUN_PROGRESS_OFF : isatty(2) ?
		     RUN_PROGRESS_TTY : RUN_PROGRESS_LOG;
	curl_global_init(CURL_GLOBAL_ALL);
	for (k = 0; k < p.test_count; k++) {
		struct run_params pk = p;
		char *dir = NULL;

		pk.seed = p.seed + (uint64_t)k;
		if (p.test_count > 1)
			printf("run %ld/%ld (seed %" PRIu64 ")\n", k + 1,
			       p.test_count, pk.seed);
		else
			printf("seed %" PRIu64 "\n", pk.seed);
		fflush(stdout);
		sb_reset(&err);
		rc = controller_run(&c, &pk, &dir, &err);
		if (rc >= NS_EXIT_USAGE) {
			errorf("%s", err.len ? err.buf : "run failed");
			if (dir)
				fprintf(stderr, "run directory: %s\n", dir);
		} else if (dir) {
			struct sb rerr = SB_INIT, rwarn = SB_INIT;

			print_results(dir, rc);
			if (report_write_all(dir, &rwarn, &rerr))
				warnf("report not written: %s", rerr.buf);
			else
				printf("report: %s/report.html\n", dir);
			if (rwarn.len)
				warnf("%s", rwarn.buf);
			sb_release(&rerr);
			sb_release(&rwarn);
		}
		free(dir);
		if (run_interrupted && rc < NS_EXIT_USAGE)
			warnf("interrupted: the run stopped early; every fault "
			      "was healed and the history so far checked "
			      "(unknown unless it shows an anomaly)%s",
			      k + 1 < p.test_count ? "; no further run" :
			      "");
		else if (run_interrupted)
			warnf("interrupted: the run stopped early with an "
			      "error (above); run 'netsplit heal' if a fault "
			      "may be left");
		status = ns_exit_worse(status, rc);
		if (rc >= 0 && rc < NS_EXIT_USAGE)
			verdicts[rc]++;
		if (rc >= NS_EXIT_USAGE)
			break;
		if (run_interrupted) {
			/* A signal after this run's verdict (while its
			   report was written) still leaves runs undone:
			   never 0. */
			if (k + 1 < p.test_count)
				status = ns_exit_worse(status,
						       NS_EXIT_UNKNOWN);
			break;
		}
	}
	/* Each run printed its own verdict; the last lines of the output
	   (what a CI log shows first) must judge them all. */
	if (p.test_count > 1 && status < NS_EXIT_USAGE)
		printf("runs: %zu of %ld (%zu valid, %zu invalid, %zu "
		       "unknown); verdict over all: %s\n",
		       verdicts[0] + verdicts[1] + verdicts[2], p.test_count,
		       verdicts[0], verdicts[1], verdicts[2],
		       status == NS_EXIT_VALID ? "valid" :
		       status == NS_EXIT_ANOMALY ? "invalid" : "unknown");
	curl_global_cleanup();
out_cfg:
	config_release(&c);
	for (i = 0; i < nov; i++)
		json_decref(ov[i].value);
	sb_release(&err);
	return status;
done_ok:
	for (i = 0; i < nov; i++)
		json_decref(ov[i].value);
	return NS_EXIT_VALID;
usage_error:
	for (i = 0; i < nov; i++)
		json_decref(ov[i].value);
	return NS_EXIT_USAGE;
}
