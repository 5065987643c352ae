/*
 * ssh-driver.c - drives one persistent transport (core/ssh.c) for the
 * integration tests: reads commands on stdin, one per line, fields
 * separated by tabs (\n, \t and \\ escapes allowed in fields), and
 * answers each with exactly one line on stdout.
 *
 *   exec NODE TIMEOUT_MS ARG...     run argv on NODE
 *   sh NODE TIMEOUT_MS SCRIPT ARG...  transport_sh
 *   par NODE COUNT TIMEOUT_MS ARG...  COUNT threads run argv at once
 *   many TIMEOUT_MS ARG...          transport_exec_many on all nodes
 *   up NODE LOCAL REMOTE            upload (mode 0644)
 *   down NODE REMOTE LOCAL          download
 *   cap BYTES                       output cap for later execs
 *
 * Answers: "rc=R code=C exit=E sig=S to=T olen=N elen=N otr=X etr=Y
 * out=OUT msg=MSG" (C: the exit code rc stands for, ns_exit_code(); OUT:
 * stdout, escaped, at most 512 bytes; MSG: the error or
 * transport_result_error() text, escaped), "par ok=K of=N ms=MS" or
 * "many ok=K of=N".  Exit 0 at end of input; 3 on a config error, 4 when
 * the transport cannot open.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "config.h"
#include "err.h"
#include "sb.h"
#include "transport.h"

static struct transport *tr;
static const struct config *cfg;
static size_t cap = TRANSPORT_DEFAULT_CAP;

static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void put_escaped(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 32 || c == 127)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static long node_index(const char *name)
{
	int i = config_node_index(cfg, name);

	if (i < 0) {
		printf("rc=bad-node msg=no node %s\n", name);
		fflush(stdout);
	}
	return i;
}

static void answer(int rc, const struct transport_result *r,
		   const struct sb *msg)
{
	printf("rc=%d code=%d exit=%d sig=%s to=%d olen=%zu elen=%zu otr=%d "
	       "etr=%d out=", rc, ns_exit_code(rc), r->exit_status, r->signal,
	       r->timed_out, r->out.len, r->err.len, r->out.truncated,
	       r->err.truncated);
	put_escaped(r->out.buf, r->out.len < 512 ? r->out.len : 512);
	fputs(" msg=", stdout);
	put_escaped(msg->buf, msg->len);
	putchar('\n');
	fflush(stdout);
}

struct par_arg {
	size_t node;
	int timeout;
	const char *const *argv;
	int ok;
};

static void *par_main(void *p)
{
	struct par_arg *a = p;
	struct transport_result r;
	struct sb err = SB_INIT;

	transport_result_init(&r);
	a->ok = !transport_exec(tr, a->node, a->argv, a->timeout, &r, &err) &&
		transport_result_ok(&r);
	if (!a->ok)
		fprintf(stderr, "par: %s exit=%d\n", err.buf, r.exit_status);
	transport_result_release(&r);
	sb_release(&err);
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run(char **f, int nf)
{
	struct transport_result r;
	struct sb msg = SB_INIT;
	long node;
	int rc = 0;

	transport_result_init(&r);
	r.out.max = r.err.max = cap;
	if (!strcmp(f[0], "cap") && nf == 2) {
		cap = strtoul(f[1], NULL, 10);
		puts("ok");
		fflush(stdout);
	} else if ((!strcmp(f[0], "exec") || !strcmp(f[0], "sh")) &&
		   nf >= 4) {
		if ((node = node_index(f[1])) < 0)
			goto out;
		if (f[0][0] == 'e')
			rc = transport_exec(tr, (size_t)node,
					    (const char *const *)f + 3,
					    atoi(f[2]), &r, &msg);
		else
			rc = transport_sh(tr, (size_t)node, f[3],
					  (const char *const *)f + 4,
					  atoi(f[2]), &r, &msg);
		if (!rc && !transport_result_ok(&r))
			transport_result_error(&r, f[1],
					       (const char *const *)f + 3,
					       &msg);
		answer(rc, &r, &msg);
	} else if (!strcmp(f[0], "par") && nf >= 5) {
		int count = atoi(f[2]), i, ok = 0;
		struct par_arg *a;
		pthread_t *th;
		long long t0 = now_ms();

		if ((node = node_index(f[1])) < 0)
			goto out;
		a = xcalloc((size_t)count, sizeof(*a));
		th = xcalloc((size_t)count, sizeof(*th));
		for (i = 0; i < count; i++) {
			a[i].node = (size_t)node;
			a[i].timeout = atoi(f[3]);
			a[i].argv = (const char *const *)f + 4;
			pthread_create(&th[i], NULL, par_main, &a[i]);
		}
		for (i = 0; i < count; i++) {
			pthread_join(th[i], NULL);
			ok += a[i].ok;
		}
		printf("par ok=%d of=%d ms=%lld\n", ok, count, now_ms() - t0);
		fflush(stdout);
		free(a);
		free(th);
	} else if (!strcmp(f[0], "many") && nf >= 3) {
		size_t n = transport_nnodes(tr), i;
		size_t *idx = xcalloc(n, sizeof(*idx));
		int *rcs = xcalloc(n, sizeof(*rcs)), ok = 0;
		struct transport_result *res = xcalloc(n, sizeof(*res));

		for (i = 0; i < n; i++) {
			idx[i] = i;
			transport_result_init(&res[i]);
		}
		transport_exec_many(tr, idx, n, (const char *const *)f + 2,
				    atoi(f[1]), res, rcs, &msg);
		for (i = 0; i < n; i++) {
			ok += !rcs[i] && transport_result_ok(&res[i]);
			transport_result_release(&res[i]);
		}
		printf("many ok=%d of=%zu msg=", ok, n);
		put_escaped(msg.buf, msg.len);
		putchar('\n');
		fflush(stdout);
		free(idx);
		free(rcs);
		free(res);
	} else if ((!strcmp(f[0], "up") || !strcmp(f[0], "down")) &&
		   nf == 4) {
		if ((node = node_index(f[1])) < 0)
			goto out;
		if (f[0][0] == 'u')
			rc = transport_upload(tr, (size_t)node, f[2], f[3],
					      0644, &msg);
		else
			rc = transport_download(tr, (size_t)node, f[2], f[3],
						&msg);
		answer(rc, &r, &msg);
	} else {
		printf("rc=bad-command msg=%s\n", f[0]);
		fflush(stdout);
	}
out:
	transport_result_release(&r);
	sb_release(&msg);
}

int main(int argc, char **argv)
{
	struct config c;
	struct sb err = SB_INIT;
	char *line = NULL;
	size_t alloc = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: ssh-driver CONFIG < commands\n");
		return 3;
	}
	config_init(&c);
	if (config_load(&c, argv[1], &err)) {
		fprintf(stderr, "ssh-driver: %s\n", err.buf);
		return 3;
	}
	cfg = &c;
	rc = transport_open_partial(&tr, &c, &err);
	if (err.len)
		fprintf(stderr, "ssh-driver: %s\n", err.buf);
	if (!tr) {
		config_release(&c);
		sb_release(&err);
		return rc ? ns_exit_code(rc) : 4;
	}
	printf("ready\n");
	fflush(stdout);
	while (getline(&line, &alloc, stdin) > 0) {
		char *f[64], *save = NULL, *tok;
		int nf = 0;

		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, "\t", &save); tok && nf < 63;
		     tok = strtok_r(NULL, "\t", &save)) {
			unescape(tok);
			f[nf++] = tok;
		}
		f[nf] = NULL;
		if (nf)
			run(f, nf);
	}
	free(line);
	transport_close(tr);
	config_release(&c);
	sb_release(&err);
	return 0;
}
