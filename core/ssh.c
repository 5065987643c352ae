/*
 * ssh.c - the transport of transport.h over SSH (libssh2): opening and
 * closing a transport (one owner thread per node, ssh-owner.c), and
 * running commands: each call builds the remote command line (cd to the
 * node's dir, then the argv words quoted for the remote shell), queues a
 * job on the node and waits on its condition variable.
 *
 * The rest of the transport: ssh-conn.c (connecting one session),
 * ssh-owner.c (the owner thread), ssh-job.c (a job's state machine),
 * ssh-result.c (results and messages), ssh-file.c (upload, download).
 *
 * Ownership: see transport.h.  Jobs live on the caller's stack.
 */
#define _GNU_SOURCE
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "ssh-internal.h"

/* libssh2_init() before the first transport, libssh2_exit() after the
   last one. */
static pthread_mutex_t libssh2_lock = PTHREAD_MUTEX_INITIALIZER;
static int libssh2_users;

static int libssh2_get(void)
{
	int rc = 0;

	pthread_mutex_lock(&libssh2_lock);
	if (!libssh2_users)
		rc = libssh2_init(0);
	if (!rc)
		libssh2_users++;
	pthread_mutex_unlock(&libssh2_lock);
	return rc;
}

static void libssh2_put(void)
{
	pthread_mutex_lock(&libssh2_lock);
	if (!--libssh2_users)
		libssh2_exit();
	pthread_mutex_unlock(&libssh2_lock);
}

/* ===== submitting jobs ===== */

void ssh__job_init(struct job *j, enum job_kind kind,
		   struct transport_result *res, int timeout_ms)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->res = res;
	j->fd = -1;
	sb_init(&j->msg, 0);
	if (timeout_ms > 0)
		j->deadline_ms = ssh__now_ms() + timeout_ms;
}

void ssh__job_submit(struct tnode *tn, struct job *j)
{
	char c = 1;

	pthread_mutex_lock(&tn->mu);
	j->next = tn->queue;
	tn->queue = j;
	pthread_mutex_unlock(&tn->mu);
	if (write(tn->wake[1], &c, 1) < 0 && errno != EAGAIN)
		abort();
}

int ssh__job_wait(struct tnode *tn, struct job *j, struct sb *err)
{
	int rc;

	pthread_mutex_lock(&tn->mu);
	while (!j->finished)
		pthread_cond_wait(&tn->cv, &tn->mu);
	pthread_mutex_unlock(&tn->mu);
	rc = j->rc;
	if (rc && err) {
		ssh__msg_start(err);
		sb_add(err, j->msg.buf, j->msg.len);
	}
	sb_release(&j->msg);
	return rc;
}

/* ===== the API ===== */

static void node_release(struct tnode *tn)
{
	if (tn->thread_started) {
		char c = 1;

		pthread_mutex_lock(&tn->mu);
		tn->stop = 1;
		pthread_mutex_unlock(&tn->mu);
		if (write(tn->wake[1], &c, 1) < 0)
			abort();
		pthread_join(tn->thread, NULL);
	}
	if (tn->wake[0] >= 0)
		close(tn->wake[0]);
	if (tn->wake[1] >= 0)
		close(tn->wake[1]);
	pthread_mutex_destroy(&tn->mu);
	pthread_cond_destroy(&tn->cv);
}

void transport_close(struct transport *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		node_release(&t->nodes[i]);
	free(t->nodes);
	free(t);
	libssh2_put();
}

unsigned long transport_commands(const struct transport *t)
{
	return __atomic_load_n(&t->nonces, __ATOMIC_RELAXED);
}

/* Random bits for the end markers (never guessed by a command). */
static unsigned long long random_base(void)
{
	unsigned long long x = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &x, sizeof(x)) != (ssize_t)sizeof(x))
		x = (unsigned long long)ssh__now_ms() * 0x9e3779b97f4a7c15ULL ^
		    (unsigned long long)getpid();
	if (fd >= 0)
		close(fd);
	return x;
}

static int open_common(struct transport **tp, const struct config *c,
		       int partial, struct sb *err)
{
	struct transport *t;
	struct job *jobs;
	size_t i;
	int rc = 0, any_ok = 0;

	*tp = NULL;
	if (!c->nnodes) {
		ssh__msg_start(err);
		sb_addf(err, "%s: no nodes configured ('nodes')", c->path ?
			c->path : "config");
		return -NS_ECONFIG;
	}
	if (libssh2_get()) {
		ssh__msg_start(err);
		sb_adds(err, "libssh2_init failed");
		return -NS_ESSH;
	}
	t = xcalloc(1, sizeof(*t));
	t->cfg = c;
	t->nonce_base = random_base();
	t->n = c->nnodes;
	t->nodes = xcalloc(t->n, sizeof(*t->nodes));
	for (i = 0; i < t->n; i++) {
		struct tnode *tn = &t->nodes[i];
		int k;

		tn->t = t;
		tn->node = &c->nodes[i];
		pthread_mutex_init(&tn->mu, NULL);
		pthread_cond_init(&tn->cv, NULL);
		tn->wake[0] = tn->wake[1] = -1;
		for (k = 0; k < SSH_MAX_SESSIONS; k++)
			tn->sess[k].fd = -1;
	}
	for (i = 0; i < t->n; i++) {
		struct tnode *tn = &t->nodes[i];

		if (pipe2(tn->wake, O_NONBLOCK | O_CLOEXEC)) {
			tn->wake[0] = tn->wake[1] = -1;
			ssh__msg_start(err);
			sb_addf(err, "%s: pipe: %s", tn->node->name,
				strerror(errno));
			transport_close(t);
			return -NS_EINTERNAL;
		}
		if (pthread_create(&tn->thread, NULL, ssh__owner_main, tn)) {
			ssh__msg_start(err);
			sb_addf(err, "%s: cannot start a thread",
				tn->node->name);
			transport_close(t);
			return -NS_EINTERNAL;
		}
		tn->thread_started = 1;
	}
	jobs = xcalloc(t->n, sizeof(*jobs));
	for (i = 0; i < t->n; i++) {
		ssh__job_init(&jobs[i], JOB_CONNECT, NULL, 0);
		ssh__job_submit(&t->nodes[i], &jobs[i]);
	}
	for (i = 0; i < t->n; i++) {
		int r = ssh__job_wait(&t->nodes[i], &jobs[i], err);

		if (r && !rc)
			rc = r;
		if (!r)
			any_ok = 1;
	}
	free(jobs);
	if (rc && (!partial || !any_ok)) {
		transport_close(t);
		return rc;
	}
	*tp = t;
	return partial ? 0 : rc;
}

int transport_open(struct transport **tp, const struct config *c,
		   struct sb *err)
{
	return open_common(tp, c, 0, err);
}

int transport_open_partial(struct transport **tp, const struct config *c,
			   struct sb *err)
{
	return open_common(tp, c, 1, err);
}

size_t transport_nnodes(const struct transport *t)
{
	return t->n;
}

const struct node *transport_node(const struct transport *t, size_t i)
{
	return i < t->n ? t->nodes[i].node : NULL;
}

int transport_connected(const struct transport *t, size_t i)
{
	struct tnode *tn;
	int c;

	if (i >= t->n)
		return 0;
	tn = &t->nodes[i];
	pthread_mutex_lock(&tn->mu);
	c = tn->connected;
	pthread_mutex_unlock(&tn->mu);
	return c;
}

/*
 * The text a node's shell (SSH_SHELL) runs for argv: in a subshell
 * (whatever the command does to its shell stays there; stdin /dev/null,
 * stderr the channel's, on the shell's fd 3), cd to the
 * node's dir, then the argv words quoted; then the end markers with the
 * exit status, and the signal name when the status says the command was
 * killed by one (above 128: the shell's convention).
 */
static void build_cmdline(struct sb *sb, const struct node *n,
			  const char *const argv[], const char *nonce)
{
	size_t i;

	sb_adds(sb, "( ");
	if (n->dir) {
		sb_adds(sb, "cd ");
		sb_add_shquoted(sb, n->dir);
		sb_adds(sb, " 2>/dev/null; ");
	}
	for (i = 0; argv[i]; i++) {
		if (i)
			sb_addc(sb, ' ');
		sb_add_shquoted(sb, argv[i]);
	}
	sb_addf(sb, "\n) 2>&3 3>&- </dev/null; st=$? sig=; "
		"[ $st -gt 128 ] && sig=$(kill -l $st); "
		"printf '\\n\\036%s %%d %%s\\n' $st \"$sig\"; "
		"printf '\\n\\036%s\\n' >&3\n", nonce, nonce);
}

struct exec_call {
	struct job job;
	struct sb cmd, shown;
	char nonce[40];
};

static int exec_prepare(struct transport *t, size_t node,
			const char *const argv[], int timeout_ms,
			struct transport_result *res, struct exec_call *x,
			struct sb *err)
{
	sb_init(&x->cmd, 0);
	sb_init(&x->shown, 0);
	if (node >= t->n || !argv || !argv[0]) {
		ssh__msg_start(err);
		sb_addf(err, "transport: bad call (node %zu of %zu, %s)",
			node, t->n, argv && argv[0] ? "argv" : "empty argv");
		return -NS_EINTERNAL;
	}
	sb_reset(&res->out);
	sb_reset(&res->err);
	res->exit_status = -1;
	res->signal[0] = '\0';
	res->timed_out = 0;
	snprintf(x->nonce, sizeof(x->nonce), "ns%016llx.%lx",
		 t->nonce_base,
		 __atomic_fetch_add(&t->nonces, 1, __ATOMIC_RELAXED));
	build_cmdline(&x->cmd, t->nodes[node].node, argv, x->nonce);
	ssh__add_shown(&x->shown, argv);
	ssh__job_init(&x->job, JOB_EXEC, res, timeout_ms);
	x->job.cmd = x->cmd.buf;
	x->job.nonce = x->nonce;
	x->job.what = x->shown.buf;
	return 0;
}

static void exec_call_release(struct exec_call *x)
{
	sb_release(&x->cmd);
	sb_release(&x->shown);
}

int transport_exec(struct transport *t, size_t node,
		   const char *const argv[], int timeout_ms,
		   struct transport_result *res, struct sb *err)
{
	struct exec_call x;
	int rc;

	rc = exec_prepare(t, node, argv, timeout_ms, res, &x, err);
	if (!rc) {
		ssh__job_submit(&t->nodes[node], &x.job);
		rc = ssh__job_wait(&t->nodes[node], &x.job, err);
	}
	exec_call_release(&x);
	return rc;
}

int transport_sh(struct transport *t, size_t node, const char *script,
		 const char *const args[], int timeout_ms,
		 struct transport_result *res, struct sb *err)
{
	const char **argv;
	size_t n = 0, i;
	int rc;

	while (args && args[n])
		n++;
	argv = xcalloc(n + 5, sizeof(*argv));
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "sh";
	for (i = 0; i < n; i++)
		argv[4 + i] = args[i];
	rc = transport_exec(t, node, argv, timeout_ms, res, err);
	free(argv);
	return rc;
}

int transport_exec_each(struct transport *t, const size_t *nodes, size_t n,
			const char *const *const argvs[], int timeout_ms,
			struct transport_result *res, int *rc,
			struct sb *errs)
{
	struct exec_call *x = xcalloc(n ? n : 1, sizeof(*x));
	size_t k;
	int ret = 0;

	for (k = 0; k < n; k++) {
		rc[k] = exec_prepare(t, nodes[k], argvs[k], timeout_ms,
				     &res[k], &x[k], &errs[k]);
		if (!rc[k])
			ssh__job_submit(&t->nodes[nodes[k]], &x[k].job);
	}
	for (k = 0; k < n; k++) {
		if (!rc[k])
			rc[k] = ssh__job_wait(&t->nodes[nodes[k]], &x[k].job,
					      &errs[k]);
		if (rc[k] && !ret)
			ret = rc[k];
		exec_call_release(&x[k]);
	}
	free(x);
	return ret;
}

int transport_exec_many(struct transport *t, const size_t *nodes, size_t n,
			const char *const argv[], int timeout_ms,
			struct transport_result *res, int *rc,
			struct sb *err)
{
	const char *const **argvs = xcalloc(n ? n : 1, sizeof(*argvs));
	struct sb *errs = xcalloc(n ? n : 1, sizeof(*errs));
	size_t k;
	int ret;

	for (k = 0; k < n; k++) {
		argvs[k] = argv;
		sb_init(&errs[k], 0);
	}
	ret = transport_exec_each(t, nodes, n, argvs, timeout_ms, res, rc,
				  errs);
	for (k = 0; k < n; k++) {
		if (errs[k].len) {
			ssh__msg_start(err);
			sb_add(err, errs[k].buf, errs[k].len);
		}
		sb_release(&errs[k]);
	}
	free(argvs);
	free(errs);
	return ret;
}
