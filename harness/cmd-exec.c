/*
 * cmd-exec.c - `netsplit exec`: run one command on many nodes in parallel
 * over SSH (like pssh), print each node's output prefixed by its name.
 *
 *   netsplit exec [--config C] [--nodes n1,n2] [--timeout S]
 *                 [--max-output BYTES] [--out-dir DIR] -- CMD [ARG...]
 *
 * CMD and its arguments reach the remote side as literal words (quoted
 * for the remote shell by the transport); with --timeout that same
 * command text runs under timeout(1) on the node (`sh -c TEXT`), so a
 * command that hangs does not outlive it.  Exit 0 when the command
 * succeeded on every node, 4 when any node failed, timed out or was
 * unreachable, 3 on a usage or config error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "cmd.h"
#include "config.h"
#include "err.h"
#include "sb.h"
#include "transport.h"

static const char exec_usage[] =
	"usage: netsplit exec [--config FILE] [--nodes n1,n2,...] "
	"[--timeout SECONDS]\n"
	"                     [--max-output BYTES] [--out-dir DIR] -- CMD "
	"[ARG...]\n"
	"\n"
	"Runs CMD on the nodes (all by default) in parallel and prints each\n"
	"node's stdout (to stdout) and stderr (to stderr), every line\n"
	"prefixed by the node's name.  --out-dir also writes them unprefixed\n"
	"to DIR/NODE.out and DIR/NODE.err.  --timeout: a command still\n"
	"running after SECONDS is reported as timed out and ended on the\n"
	"node (under timeout(1): TERM, then KILL 2 s later; the same\n"
	"command, shell builtins included, as without --timeout).\n"
	"Exit 0 when every node succeeded,\n"
	"4 when any failed or was unreachable, 3 on usage/config errors.\n";

/*
 * The remote side of a command with a deadline.  The transport gives up
 * on it at the deadline but cannot signal it (libssh2 1.10), so a
 * command that hangs without writing would run on; it runs under
 * timeout(1) instead, which ends it (and its children: its process
 * group) with TERM at the deadline, then KILL 2 s later.  What runs
 * there is the text the node's shell runs without --timeout (the words
 * quoted, as the transport quotes them), now given to `sh -c`: shell
 * builtins (ulimit, exit, cd) work as they do without a deadline.  A
 * node without timeout(1) evaluates that text in its shell as it is.
 */
static const char timeout_script[] =
	"if command -v timeout >/dev/null 2>&1; then "
	"exec timeout -k 2 \"$0\" sh -c \"$1\"; fi; eval \"$1\"";

/* argv as the script above takes it: sh -c SCRIPT SECS TEXT.  The
   strings live in secs and text. */
static void with_timeout(char **argv, double timeout_s, char *secs,
			 size_t size, struct sb *text, const char *w[6])
{
	size_t i;

	snprintf(secs, size, "%.3f", timeout_s);
	for (i = 0; argv[i]; i++) {
		if (i)
			sb_addc(text, ' ');
		sb_add_shquoted(text, argv[i]);
	}
	w[0] = "sh";
	w[1] = "-c";
	w[2] = timeout_script;
	w[3] = secs;
	w[4] = text->buf;
	w[5] = NULL;
}

/* In err, the wrapper's command as its subject (wrapped) becomes the
   user's (argv): transport errors name what the user typed. */
static void unwrap_errors(struct sb *err, const char *const wrapped[],
			  const char *const argv[])
{
	struct sb from = SB_INIT, to = SB_INIT, out = SB_INIT;
	const char *p, *hit;

	transport_add_subject(&from, wrapped);
	transport_add_subject(&to, argv);
	if (!err->len || !from.len || !strstr(err->buf, from.buf))
		goto out;
	for (p = err->buf; (hit = strstr(p, from.buf)); p = hit + from.len) {
		sb_add(&out, p, (size_t)(hit - p));
		sb_add(&out, to.buf, to.len);
	}
	sb_adds(&out, p);
	sb_reset(err);
	sb_add(err, out.buf, out.len);
out:
	sb_release(&from);
	sb_release(&to);
	sb_release(&out);
}

/* errorf() each line of err. */
static void print_errors(const struct sb *err)
{
	const char *p = err->buf, *end = err->buf + err->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n)
			errorf("%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* Print buf with every line prefixed by "name: ", byte for byte (a NUL
   in the output is passed on, not an end of line). */
static void print_prefixed(FILE *f, const char *name, const struct sb *buf)
{
	const char *p = buf->buf, *end = buf->buf + buf->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		fprintf(f, "%s: ", name);
		fwrite(p, 1, n, f);
		fputc('\n', f);
		p += n + (nl ? 1 : 0);
	}
}

static int write_file(const char *dir, const char *node, const char *ext,
		      const struct sb *buf)
{
	struct sb path = SB_INIT;
	FILE *f;
	int rc = 0;

	sb_addf(&path, "%s/%s.%s", dir, node, ext);
	f = fopen(path.buf, "w");
	if (!f || fwrite(buf->buf, 1, buf->len, f) != buf->len) {
		errorf("cannot write '%s': %s", path.buf, strerror(errno));
		rc = -1;
	}
	if (f && fclose(f)) {
		errorf("cannot write '%s': %s", path.buf, strerror(errno));
		rc = -1;
	}
	sb_release(&path);
	return rc;
}

/* Select the nodes named in list (comma-separated) into sub. */
static int select_nodes(const struct config *c, const char *list,
			struct config *sub)
{
	char *copy, *tok, *save = NULL;
	int ok = 1;

	*sub = *c;
	if (!list)
		return 0;
	sub->nodes = xcalloc(c->nnodes ? c->nnodes : 1, sizeof(*sub->nodes));
	sub->nnodes = 0;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i = config_node_index(c, tok);
		size_t k;

		if (i < 0) {
			errorf("--nodes: no node '%s' in '%s'", tok, c->path);
			ok = 0;
			continue;
		}
		for (k = 0; k < sub->nnodes; k++)
			if (!strcmp(sub->nodes[k].name, tok))
				break;
		if (k == sub->nnodes)
			sub->nodes[sub->nnodes++] = c->nodes[i];
	}
	free(copy);
	if (ok && !sub->nnodes) {
		errorf("--nodes: no node given");
		ok = 0;
	}
	if (!ok) {
		free(sub->nodes);
		sub->nodes = c->nodes;
	}
	return ok ? 0 : -1;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-output", required_argument, NULL, 'm' },
		{ "out-dir", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = "netsplit.json", *nodes = NULL;
	const char *out_dir = NULL;
	double timeout_s = 0;
	unsigned long long max_output = TRANSPORT_DEFAULT_CAP;
	struct config cfg, sub;
	struct transport *t = NULL;
	struct transport_result *res = NULL;
	struct sb err = SB_INIT;
	size_t *idx = NULL, i, k;
	int *rcs = NULL, opt, rc, status = NS_EXIT_VALID;
	char *end, secs[32];
	const char *remote[6];
	struct sb text = SB_INIT;

	while ((opt = getopt_long(argc, argv, "+c:n:t:m:o:h", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			nodes = optarg;
			break;
		case 't':
			errno = 0;
			timeout_s = strtod(optarg, &end);
			if (errno || *end || timeout_s < 0 ||
			    timeout_s > 86400 * 7) {
				errorf("--timeout: '%s' is not a number of "
				       "seconds", optarg);
				return NS_EXIT_USAGE;
			}
			break;
		case 'm':
			errno = 0;
			max_output = strtoull(optarg, &end, 10);
			if (errno || *end || !max_output) {
				errorf("--max-output: '%s' is not a positive "
				       "number of bytes", optarg);
				return NS_EXIT_USAGE;
			}
			break;
		case 'o':
			out_dir = optarg;
			break;
		case 'h':
			fputs(exec_usage, stdout);
			return NS_EXIT_VALID;
		default:
			fputs(exec_usage, stderr);
			return NS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		errorf("exec: no command given");
		fputs(exec_usage, stderr);
		return NS_EXIT_USAGE;
	}
	if (out_dir && mkdir(out_dir, 0777) && errno != EEXIST) {
		errorf("cannot create '%s': %s", out_dir, strerror(errno));
		return NS_EXIT_USAGE;
	}
	config_init(&cfg);
	rc = config_load(&cfg, config_path, &err);
	if (!rc && !cfg.nnodes) {
		sb_addf(&err, "%s: no nodes configured ('nodes')",
			config_path);
		rc = -NS_ECONFIG;
	}
	if (rc) {
		print_errors(&err);
		sb_release(&err);
		config_release(&cfg);
		return NS_EXIT_USAGE;
	}
	if (select_nodes(&cfg, nodes, &sub)) {
		config_release(&cfg);
		return NS_EXIT_USAGE;
	}
	rc = transport_open_partial(&t, &sub, &err);
	print_errors(&err);
	sb_reset(&err);
	if (!t) {
		status = rc ? ns_exit_code(rc) : NS_EXIT_HARNESS;
		goto out;
	}
	idx = xcalloc(sub.nnodes, sizeof(*idx));
	rcs = xcalloc(sub.nnodes, sizeof(*rcs));
	res = xcalloc(sub.nnodes, sizeof(*res));
	for (i = k = 0; i < sub.nnodes; i++) {
		if (!transport_connected(t, i)) {
			status = NS_EXIT_HARNESS;
			continue;
		}
		transport_result_init(&res[k]);
		res[k].out.max = res[k].err.max = (size_t)max_output;
		idx[k++] = i;
	}
	if (timeout_s > 0)
		with_timeout(argv + optind, timeout_s, secs, sizeof(secs),
			     &text, remote);
	transport_exec_many(t, idx, k, timeout_s > 0 ? remote
			    : (const char *const *)argv + optind,
			    (int)(timeout_s * 1000 + 0.5), res, rcs, &err);
	if (timeout_s > 0)
		unwrap_errors(&err, remote,
			      (const char *const *)argv + optind);
	for (i = 0; i < k; i++) {
		const char *name = sub.nodes[idx[i]].name;
		struct sb msg = SB_INIT;

		fflush(stderr);
		print_prefixed(stdout, name, &res[i].out);
		fflush(stdout);
		print_prefixed(stderr, name, &res[i].err);
		if (out_dir && (write_file(out_dir, name, "out", &res[i].out) ||
				write_file(out_dir, name, "err", &res[i].err)))
			status = NS_EXIT_HARNESS;
		if (res[i].out.truncated)
			warnf("%s: stdout truncated at %zu bytes", name,
			      res[i].out.max);
		if (res[i].err.truncated)
			warnf("%s: stderr truncated at %zu bytes", name,
			      res[i].err.max);
		if (rcs[i]) {
			status = NS_EXIT_HARNESS;
		} else if (!transport_result_ok(&res[i])) {
			transport_result_error(&res[i], name,
					       (const char *const *)argv +
					       optind, &msg);
			print_errors(&msg);
			status = NS_EXIT_HARNESS;
		}
		sb_release(&msg);
		transport_result_release(&res[i]);
	}
	print_errors(&err);
out:
	transport_close(t);
	sb_release(&text);
	free(idx);
	free(rcs);
	free(res);
	if (sub.nodes != cfg.nodes)
		free(sub.nodes);
	config_release(&cfg);
	sb_release(&err);
	return status;
}
