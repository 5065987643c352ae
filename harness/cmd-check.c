/*
 * cmd-check.c - `netsplit check`: read a recorded history and run
 * checkers over it offline.
 *
 * The history is read by hist_read_file() (any of the three formats,
 * validated and paired), then each checker named by --checker runs in
 * turn and its verdict is printed as text, or all of them as one JSON
 * document {"verdict", "history": {...}, "checkers": [verdict_json(),
 * ...]} whose "verdict" is the overall one (ns_exit_verdict() of the
 * exit status, the words results.json uses), so a results.json made by
 * `check --json` reports as a run's does.
 *
 * Without --checker, a history in a run directory (RUN/history.jsonl
 * beside its run.json) is checked as `netsplit run` checked it: with the
 * checkers and model of the run's workload; any other history with
 * DEFAULT_CHECKER.
 *
 * Exit status: 3 for a usage error or a history that cannot be read,
 * else 1 if any checker found an anomaly, else 2 if any could not decide
 * (time or memory budget), else 0.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkers/checker.h"
#include "cmd.h"
#include "err.h"
#include "history.h"
#include "workloads/workload.h"

#define DEFAULT_CHECKER "linearizable"

static void known_checkers(struct sb *out)
{
	size_t i;

	for (i = 0; checker_types[i]; i++)
		sb_addf(out, "%s%s", i ? ", " : "", checker_types[i]->name);
	if (!i)
		sb_adds(out, "(none)");
}

static void usage(FILE *f)
{
	struct sb known = SB_INIT;
	size_t i;

	known_checkers(&known);
	fprintf(f,
"usage: netsplit check [--checker NAME[,NAME]] [--model MODEL] [--init VALUE]\n"
"                      [--nil-reads-unknown] [--format FORMAT] [--timeout S]\n"
"                      [--stale-ms MS] [--json] HISTORY\n"
"\n"
"Check a recorded history offline.  HISTORY is netsplit's JSON Lines\n"
"(docs/history.md), a Jepsen EDN history or a jepsen.log; the format is\n"
"detected from the content.  '-' reads standard input.  The history is\n"
"validated first: a malformed one is an error naming its file and line.\n"
"\n"
"options:\n"
"  --checker NAME[,NAME]  checkers to run, in order (default: for a run\n"
"                         directory's history, its workload's, as in its\n"
"                         run.json; else %s); known: %s\n"
"  --model MODEL          data model of the register checkers: register\n"
"                         (read/write) or cas-register (read/write/cas,\n"
"                         the default)\n"
"  --init VALUE           initial value, as JSON (0, \"x\", null); default:\n"
"                         none (nil), as in Jepsen's etcd tests\n"
"  --nil-reads-unknown    a read that returned nil says nothing about the\n"
"                         value (Knossos's test data); default: nil is\n"
"                         a value (the key was absent)\n"
"  --format FORMAT        json, edn or jepsen-log instead of detecting it\n"
"  --timeout S            give up after S seconds (verdict unknown);\n"
"                         0, the default, means no time limit (the\n"
"                         memory budget still holds)\n"
"  --stale-ms MS          stale: reads at most MS ms behind the latest\n"
"                         acknowledged write are counted, not anomalies\n"
"                         (default 0: every stale read is an anomaly)\n"
"  --json                 print {\"verdict\": overall, \"history\": ...,\n"
"                         \"checkers\": [verdicts]} (a results.json for\n"
"                         'netsplit report')\n"
"  -h, --help             show this help\n"
"\n"
"checkers:\n", DEFAULT_CHECKER, known.buf);
	for (i = 0; checker_types[i]; i++)
		fprintf(f, "  %-22s %s\n", checker_types[i]->name,
			checker_types[i]->help ? checker_types[i]->help : "");
	if (!checker_types[0])
		fprintf(f, "  (none registered)\n");
	fprintf(f,
"\n"
"exit status: 0 valid, 1 an anomaly found (by any checker), 2 unknown (a\n"
"checker hit its budget and none found an anomaly), 3 usage error or a\n"
"history that cannot be read.\n");
	sb_release(&known);
}

/* Split "a,b" into checker types; on an unknown name print and fail. */
static int add_checkers(const char *list, const struct checker_type ***ts,
			size_t *n, size_t *alloc)
{
	char *copy = xstrdup(list), *save = NULL, *name;
	size_t i;
	int rc = 0;

	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		const struct checker_type *t = checker_find(name);

		if (!t) {
			struct sb known = SB_INIT;

			known_checkers(&known);
			errorf("unknown checker '%s' (known: %s)", name,
			       known.buf);
			sb_release(&known);
			rc = -1;
			break;
		}
		for (i = 0; i < *n; i++)
			if ((*ts)[i] == t)
				break;
		if (i < *n) {
			warnf("checker '%s' named twice: it runs once", name);
			continue;
		}
		ALLOC_GROW(*ts, *n + 1, *alloc);
		(*ts)[(*n)++] = t;
	}
	if (!rc && !*n) {
		errorf("--checker needs a name");
		rc = -1;
	}
	free(copy);
	return rc;
}

/* The options given (CHECKER_OPT_*), by their flags. */
static const struct {
	unsigned opt;
	const char *flag;
} opt_flags[] = {
	{ CHECKER_OPT_MODEL, "--model" },
	{ CHECKER_OPT_INIT, "--init" },
	{ CHECKER_OPT_NIL_READS, "--nil-reads-unknown" },
	{ CHECKER_OPT_TIMEOUT, "--timeout" },
	{ CHECKER_OPT_STALE_MS, "--stale-ms" },
};

/*
 * Before the history is read: each checker refuses the options it cannot
 * use (an unknown --model), and an option no selected checker reads is
 * warned about, naming the checkers that do.
 */
static int check_options(const struct checker_type **ts, size_t nts,
			 const struct checker_opts *o, unsigned given)
{
	struct sb err = SB_INIT, who = SB_INIT;
	unsigned read = 0;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < nts && !rc; i++) {
		read |= ts[i]->opts;
		if (checker_validate(ts[i], o, &err) < 0) {
			errorf("%s: %s", ts[i]->name, err.buf);
			rc = -1;
		}
	}
	for (k = 0; !rc && k < sizeof(opt_flags) / sizeof(opt_flags[0]);
	     k++) {
		if (!(given & opt_flags[k].opt) || (read & opt_flags[k].opt))
			continue;
		sb_reset(&who);
		for (i = 0; checker_types[i]; i++)
			if (checker_types[i]->opts & opt_flags[k].opt)
				sb_addf(&who, "%s%s", who.len ? ", " : "",
					checker_types[i]->name);
		warnf("%s is ignored: it is read by %s, not run (see "
		      "--checker)", opt_flags[k].flag,
		      who.len ? who.buf : "no checker");
	}
	sb_release(&err);
	sb_release(&who);
	return rc;
}

/* --init: JSON text, kept canonical; "nil" and "null" mean none. */
static int parse_init(const char *arg, char **out)
{
	json_error_t jerr;
	json_t *j;

	if (!strcmp(arg, "nil") || !strcmp(arg, "null")) {
		*out = NULL;
		return 0;
	}
	j = json_loads(arg, JSON_DECODE_ANY, &jerr);
	if (!j) {
		errorf("--init '%s' is not a JSON value (%s); write strings "
		       "quoted: --init '\"x\"'", arg, jerr.text);
		return -1;
	}
	*out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	json_decref(j);
	return 0;
}

static void print_indented(const char *text, const char *indent)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);

		printf("%s%.*s\n", indent, n, p);
		p += n + (nl ? 1 : 0);
	}
}

static void print_text(const struct history *h, const struct verdict *v)
{
	size_t i;

	printf("%s: %s", v->checker, verdict_name(v->kind));
	if (v->summary.len)
		printf(": %s", v->summary.buf);
	putchar('\n');
	for (i = 0; i < v->n; i++) {
		const struct anomaly *a = &v->anomalies[i];

		printf("  %s", a->kind);
		if (a->key != UINT32_MAX)
			printf(" (key %s)", hist_str(h, a->key));
		printf(":\n");
		print_indented(a->text, "    ");
	}
	if (v->anomaly_count > v->n)
		printf("  ... and %zu more %s\n", v->anomaly_count - v->n,
		       sb_plural(v->anomaly_count - v->n, "anomaly",
				 "anomalies"));
}

static json_t *history_json(const struct history *h, const char *warn)
{
	json_t *j = json_object();
	size_t i, ops = 0;

	for (i = 0; i < h->n; i++)
		ops += h->ev[i].type == HIST_INVOKE &&
		       hist_is_client(&h->ev[i]);
	json_object_set_new(j, "file", json_string(h->source));
	json_object_set_new(j, "format", json_string(h->format));
	json_object_set_new(j, "events", json_integer((json_int_t)h->n));
	json_object_set_new(j, "ops", json_integer((json_int_t)ops));
	json_object_set_new(j, "truncated_tail",
			    json_boolean(h->truncated_tail));
	json_object_set_new(j, "warnings", json_string(warn));
	return j;
}

/*
 * The workload of the run whose directory holds history file hist (its
 * run.json's "workload"), if there is one and netsplit knows it.
 */
static const struct workload_type *run_workload(const char *hist)
{
	const char *slash = strrchr(hist, '/');
	struct sb path = SB_INIT;
	const struct workload_type *t = NULL;
	const char *name;
	json_t *run;

	if (slash)
		sb_add(&path, hist, (size_t)(slash - hist) + 1);
	sb_adds(&path, "run.json");
	run = json_load_file(path.buf, 0, NULL);
	name = json_string_value(json_object_get(run, "workload"));
	if (name)
		t = workload_find(name);
	json_decref(run);
	sb_release(&path);
	return t && t->checkers ? t : NULL;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "checker", required_argument, NULL, 'c' },
		{ "model", required_argument, NULL, 'm' },
		{ "init", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stale-ms", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "nil-reads-unknown", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct checker_type **ts = NULL;
	size_t nts = 0, ts_alloc = 0, i;
	struct checker_opts o;
	enum hist_format fmt = HIST_FMT_AUTO;
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	json_t *doc = NULL, *arr = NULL;
	char *init = NULL, *end;
	int as_json = 0, c, rc, status = NS_EXIT_VALID;
	unsigned given = 0;	/* CHECKER_OPT_* on the command line */

	memset(&o, 0, sizeof(o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (add_checkers(optarg, &ts, &nts, &ts_alloc) < 0)
				goto usage_error;
			break;
		case 'm':
			o.model = optarg;
			given |= CHECKER_OPT_MODEL;
			break;
		case 'i':
			given |= CHECKER_OPT_INIT;
			free(init);
			init = NULL;
			if (parse_init(optarg, &init) < 0)
				goto usage_error;
			break;
		case 'f':
			rc = hist_format_parse(optarg);
			if (rc < 0) {
				errorf("unknown --format '%s' (json, edn, "
				       "jepsen-log)", optarg);
				goto usage_error;
			}
			fmt = (enum hist_format)rc;
			break;
		case 't':
			given |= CHECKER_OPT_TIMEOUT;
			o.timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || o.timeout_s < 0) {
				errorf("--timeout wants seconds (a number "
				       ">= 0), not '%s'", optarg);
				goto usage_error;
			}
			break;
		case 's':
			given |= CHECKER_OPT_STALE_MS;
			o.stale_ms = strtod(optarg, &end);
			if (end == optarg || *end || o.stale_ms < 0) {
				errorf("--stale-ms wants milliseconds (a "
				       "number >= 0), not '%s'", optarg);
				goto usage_error;
			}
			break;
		case 'j':
			as_json = 1;
			break;
		case 'N':
			given |= CHECKER_OPT_NIL_READS;
			o.nil_reads_unknown = 1;
			break;
		case 'h':
			usage(stdout);
			free(ts);
			free(init);
			return NS_EXIT_VALID;
		default:
			errorf("check: unknown option or missing value in "
			       "'%s' (see 'netsplit check --help')",
			       argv[optind - 1]);
			goto usage_error;
		}
	}
	if (optind != argc - 1) {
		errorf(optind >= argc ? "check: which history? (see "
		       "'netsplit check --help')" :
		       "check: one history at a time (see 'netsplit check "
		       "--help')");
		goto usage_error;
	}
	if (!nts) {
		const struct workload_type *wt = run_workload(argv[optind]);
		struct sb names = SB_INIT;

		for (i = 0; wt && wt->checkers[i]; i++)
			if (checker_find(wt->checkers[i]))
				sb_addf(&names, "%s%s", names.len ? "," : "",
					wt->checkers[i]);
		if (names.len) {
			fprintf(stderr, "netsplit: checkers of the run's "
				"workload '%s' (its run.json): %s\n",
				wt->name, names.buf);
			if (!(given & CHECKER_OPT_MODEL) && wt->model)
				o.model = wt->model;
		}
		rc = add_checkers(names.len ? names.buf : DEFAULT_CHECKER,
				  &ts, &nts, &ts_alloc);
		sb_release(&names);
		if (rc < 0)
			goto usage_error;
	}
	o.init = init;
	if (check_options(ts, nts, &o, given) < 0)
		goto usage_error;

	hist_init(&h);
	rc = hist_read_file(&h, argv[optind], fmt, &warn, &err);
	if (warn.len)
		warnf("%s", warn.buf);
	if (rc < 0) {
		errorf("%s", err.buf);
		status = ns_exit_code(rc);
		goto out;
	}
	if (as_json) {
		doc = json_object();
		arr = json_array();
		/* first in the document; set once every checker ran */
		json_object_set_new(doc, "verdict", json_string("unknown"));
		json_object_set_new(doc, "history",
				    history_json(&h, warn.buf));
		json_object_set_new(doc, "checkers", arr);
	} else {
		size_t k, ops = 0;

		for (k = 0; k < h.n; k++)
			ops += h.ev[k].type == HIST_INVOKE &&
			       hist_is_client(&h.ev[k]);
		printf("%s: %zu %s, %zu client %s (%s%s)\n", h.source,
		       h.n, sb_plural(h.n, "event", "events"), ops,
		       sb_plural(ops, "op", "ops"), h.format,
		       h.truncated_tail ? ", last line cut short" : "");
	}
	for (i = 0; i < nts; i++) {
		struct verdict v;
		int code;

		verdict_init(&v, ts[i]->name);
		sb_reset(&err);
		rc = checker_check(ts[i], &h, &o, &v, &err);
		if (rc < 0 && ns_exit_code(rc) != NS_EXIT_UNKNOWN) {
			errorf("%s: %s", ts[i]->name, err.len ? err.buf :
			       ns_strerror(rc));
			verdict_release(&v);
			status = ns_exit_code(rc);
			goto out;
		}
		if (rc < 0) {	/* budget: unknown, whatever v says */
			v.kind = VERDICT_UNKNOWN;
			if (!v.summary.len)
				sb_addf(&v.summary, "%s", err.len ? err.buf :
					ns_strerror(rc));
		}
		code = (int)v.kind;
		status = ns_exit_worse(status, code);
		if (as_json)
			json_array_append_new(arr, verdict_json(&h, &v));
		else
			print_text(&h, &v);
		verdict_release(&v);
	}
	if (as_json) {
		json_object_set_new(doc, "verdict",
				    json_string(ns_exit_verdict(status)));
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
	}
out:
	fflush(stdout);
	json_decref(doc);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	free(ts);
	free(init);
	return status;

usage_error:
	free(ts);
	free(init);
	return NS_EXIT_USAGE;
}
