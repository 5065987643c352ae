/*
 * exec.c - the `exec` workload: integer registers in the user's own
 * service, read, written and compare-and-set by commands run on the
 * controller (a CLI such as etcdctl, redis-cli or curl), their output
 * judged with pcre2 patterns (http-internal.h), checked with the
 * cas-register model per key.
 *
 * Commands: per op the config's command template, every placeholder
 * shell-quoted (no key or value can inject shell), run here on the
 * controller as `/bin/sh -c COMMAND` (posix_spawn) in a process group of
 * its own, stdin /dev/null, SIGPIPE/SIGINT/SIGTERM at their defaults;
 * stdout (1 MiB kept) and stderr (its head goes into the op's error) are
 * read until both close and the shell has exited.  Past timeout_ms the
 * whole process group is killed (SIGKILL) and the shell reaped; when the
 * shell exits, whatever it left in its group is killed too.  Commands
 * run on the controller, not the nodes: they reach each node's service
 * over the network, so partitions cut them off as they cut off any
 * client ({host}, {endpoint} name the worker's node).
 *
 * Outcomes (http-internal.h): the subject "STATUS\nSTDOUT" (STATUS the
 * exit status, 128 + N for a signal N) against the op's ok_pattern
 * (default `\A0\n`), then its fail_pattern (default none).  A command
 * killed at its deadline is fail for a read and info for a write or cas
 * (it may have acted); one that could not be started is fail.
 *
 * Generator: the register generator (register-gen.h); without a `cas`
 * command, reads and writes only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "workloads/http-internal.h"
#include "workloads/workload.h"

extern char **environ;

struct workload_client {
	struct workload *w;
	struct http__spec *s;
	const char *host, *node, *endpoint;
	struct http__vars vars;
	struct sb cmd, out, errs, subj;
	struct http__match m;
	struct workload_regen gen;
};

static int exec_init(struct workload *w, struct sb *err)
{
	struct http__spec *s = xcalloc(1, sizeof(*s));
	int rc = http__spec_read(s, w->cfg, 1, w->concurrency, err);

	if (rc) {
		free(s);
		return rc;
	}
	w->priv = s;
	return 0;
}

static void exec_release(struct workload *w)
{
	if (w->priv)
		http__spec_release(w->priv);
	free(w->priv);
	w->priv = NULL;
}

static int exec_client_open(struct workload *w, size_t worker,
			    size_t node, uint64_t seed,
			    struct workload_client **cp, struct sb *err)
{
	struct http__spec *s = w->priv;
	struct workload_client *c = xcalloc(1, sizeof(*c));

	c->w = w;
	c->s = s;
	if (node < w->cfg->nnodes) {
		c->host = w->cfg->nodes[node].host;
		c->node = w->cfg->nodes[node].name;
	}
	c->endpoint = w->db && w->db->type->endpoint ?
		db_endpoint(w->db, node) : NULL;
	if (http__match_init_spec(&c->m, s)) {
		free(c);
		sb_addf(err, "worker %zu: out of memory for a client",
			worker);
		return -NS_EINTERNAL;
	}
	http__vars_init(&c->vars);
	sb_init(&c->cmd, 256);
	sb_init(&c->out, 256);
	sb_init(&c->errs, 256);
	sb_init(&c->subj, 256);
	c->out.max = 1u << 20;
	c->errs.max = 4096;
	workload_regen_init(&c->gen, &s->gen, seed, worker);
	*cp = c;
	return 0;
}

static void exec_client_close(struct workload_client *c)
{
	if (!c)
		return;
	http__match_release(&c->m);
	http__vars_release(&c->vars);
	sb_release(&c->cmd);
	sb_release(&c->out);
	sb_release(&c->errs);
	sb_release(&c->subj);
	free(c);
}

static void exec_next(struct workload_client *c, struct workload_op *op)
{
	workload_regen_next(&c->gen, op);
}

static int exec_final(struct workload_client *c, struct workload_op *op)
{
	return workload_regen_final(&c->gen, op);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Read what is there from fd into sb: 0 at EOF (fd closed), else 1. */
static int drain(int *fd, struct sb *sb)
{
	char buf[4096];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		sb_add(sb, buf, (size_t)n);
		return 1;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	close(*fd);
	*fd = -1;
	return 0;
}

static int spawn(const char *cmd, int out_fd, int err_fd, pid_t *pid)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/*
 * Run cmd with a deadline: 0 with *status (exit status, 128 + signal);
 * 1 when it was killed at the deadline (or its status was lost); -1
 * when it could not start (why in failure).
 */
static int run_command(struct workload_client *c, const char *cmd,
		       long long timeout_ms, int *status, char *failure,
		       size_t fmax)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc, st = 0;
	int fds[2], timed_out = 0, lost = 0;
	double deadline = now_ms() + (double)timeout_ms;
	pid_t pid;

	sb_reset(&c->out);
	sb_reset(&c->errs);
	c->out.truncated = c->errs.truncated = 0;
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		snprintf(failure, fmax, "pipe: %s", strerror(errno));
		if (po[0] >= 0) {
			close(po[0]);
			close(po[1]);
		}
		return -1;
	}
	rc = spawn(cmd, po[1], pe[1], &pid);
	close(po[1]);
	close(pe[1]);
	if (rc) {
		snprintf(failure, fmax, "cannot run /bin/sh: %s",
			 strerror(rc));
		close(po[0]);
		close(pe[0]);
		return -1;
	}
	fds[0] = po[0];
	fds[1] = pe[0];
	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd p[2];
		double left = deadline - now_ms();
		int n = 0, i;

		if (left <= 0) {
			timed_out = 1;
			break;
		}
		for (i = 0; i < 2; i++) {
			p[i].fd = fds[i];	/* -1: ignored by poll */
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		n = poll(p, 2, (int)left + 1);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; n > 0 && i < 2; i++)
			if (p[i].revents)
				drain(&fds[i], i ? &c->errs : &c->out);
	}
	/* Output closed: wait for the shell itself, still by the deadline
	   (it may have closed its output and gone on running). */
	while (!timed_out) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			/* its status is gone (SIGCHLD ignored?): unknown */
			lost = errno;
			break;
		}
		if (now_ms() >= deadline) {
			timed_out = 1;
			break;
		}
		usleep(1000);
	}
	/* Its whole group: the shell's children too (a zombie shell keeps
	   the group's id from being reused until it is reaped). */
	kill(-pid, SIGKILL);
	if (timed_out)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (timed_out) {
		snprintf(failure, fmax, "timed out after %lld ms",
			 timeout_ms);
		return 1;
	}
	if (lost) {
		snprintf(failure, fmax, "no exit status: waitpid: %s",
			 strerror(lost));
		return 1;
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) :
		WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
	return 0;
}

static void exec_invoke(struct workload_client *c, struct workload_op *op)
{
	const struct http__opdef *d = &c->s->op[http__op_kind(op)];
	struct http__answer a;
	char failure[96], first[128];
	int status = 0, r;

	http__vars_set(&c->vars, c->s->key_prefix, op, c->host, c->node,
		       c->endpoint);
	sb_reset(&c->cmd);
	http__tmpl_expand(&d->command, c->vars.v, HTTP__SHELL, &c->cmd);
	failure[0] = '\0';
	r = run_command(c, c->cmd.buf, c->s->timeout_ms, &status, failure,
			sizeof(failure));
	memset(&a, 0, sizeof(a));
	a.answered = r == 0;
	a.sent = r >= 0;
	a.failure = failure;
	sb_reset(&c->subj);
	sb_addf(&c->subj, "%d\n", status);
	sb_add(&c->subj, c->out.buf, c->out.len);
	a.subject = c->subj.buf;
	a.len = c->subj.len;
	http__classify(d, &c->m, op, &a);
	if (op->type != HIST_OK && c->errs.len) {
		snprintf(first, sizeof(first), "%s", op->error);
		workload_op_errorf(op, "%s; stderr: %s", first, c->errs.buf);
	}
	workload_regen_saw(&c->gen, op);
}

static const char *const exec_checkers[] = { "linearizable", NULL };

const struct workload_type workload_exec = {
	.name = "exec",
	.help = "your own service's registers through commands on the "
		"controller (etcdctl, curl...), output judged by patterns, "
		"any db",
	.db = NULL,
	.checkers = exec_checkers,
	.model = "cas-register",
	.init = exec_init,
	.client_open = exec_client_open,
	.client_close = exec_client_close,
	.next = exec_next,
	.invoke = exec_invoke,
	.final = exec_final,
	.release = exec_release,
};
