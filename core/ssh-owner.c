/*
 * ssh-owner.c - the owner thread of one node: it alone touches that
 * node's sessions (up to ssh.max_sessions of them, each carrying at most
 * ssh.max_channels concurrent channels, below sshd's MaxSessions of 10),
 * gives queued jobs a session (connecting one when needed), steps them
 * (ssh-job.c), reaps dead sessions and sends keepalives.
 *
 * The loop steps every job until a whole pass makes no progress and no
 * byte arrives on any socket (libssh2 reading for one channel may queue
 * packets for another), then sleeps in poll() on the sockets in the
 * directions libssh2_session_block_directions() gives, on a wake-up pipe
 * (new jobs) and until the nearest deadline or keepalive.
 *
 * Jobs that had not yet started their command when their session failed
 * are retried once on a new session, so the first command after a node
 * restarted reconnects transparently.
 *
 * Ownership: the owner thread owns its node's sessions; jobs belong to
 * their callers, who wait for finished (under the node's mutex).
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

/* ===== the owner thread ===== */

static void finish_job(struct tnode *tn, struct job *j)
{
	pthread_mutex_lock(&tn->mu);
	j->finished = 1;
	pthread_cond_broadcast(&tn->cv);
	pthread_mutex_unlock(&tn->mu);
}

static void set_connected(struct tnode *tn)
{
	int i, any = 0;

	for (i = 0; i < tn->nsess; i++)
		if (tn->sess[i].s && !tn->sess[i].dead)
			any = 1;
	pthread_mutex_lock(&tn->mu);
	tn->connected = any;
	pthread_mutex_unlock(&tn->mu);
}

/*
 * Release dead sessions that carry no channel.  Slots never move (jobs
 * and libssh2 point at them): a released slot is reused by the next
 * connect.
 */
static void reap_sessions(struct tnode *tn)
{
	int i;

	/* Orphaned channels die with their session (libssh2 frees them). */
	for (i = 0; i < tn->nsess; i++)
		if (tn->sess[i].s && tn->sess[i].dead &&
		    tn->sess[i].nchan ==
		    tn->sess[i].norphans + tn->sess[i].nidle)
			ssh__sess_release(&tn->sess[i]);
	while (tn->nsess && !tn->sess[tn->nsess - 1].s)
		tn->nsess--;
	set_connected(tn);
}

/* A usable session with a free channel slot, connecting one if allowed. */
static struct ssh_sess *get_session(struct tnode *tn, struct sb *err,
				    int *rc)
{
	const struct ssh_opts *o = &tn->t->cfg->ssh;
	long long now = ssh__now_ms();
	int i, limit = o->max_sessions < SSH_MAX_SESSIONS ?
		o->max_sessions : SSH_MAX_SESSIONS;

	*rc = 0;
	for (i = 0; i < tn->nsess; i++) {
		struct ssh_sess *s = &tn->sess[i];

		if (!s->s || s->dead || s->nchan >= s->cap)
			continue;
		if (!s->nchan && now - s->idle_since_ms > SSH_IDLE_CHECK_MS) {
			char c;
			ssize_t n = recv(s->fd, &c, 1,
					 MSG_PEEK | MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno != EAGAIN &&
				       errno != EWOULDBLOCK)) {
				s->dead = 1;
				continue;
			}
		}
		return s;
	}
	/* A free slot: an empty (released) entry or a new one. */
	for (i = 0; i < tn->nsess; i++)
		if (!tn->sess[i].s)
			break;
	if (i == tn->nsess) {
		if (tn->nsess >= limit)
			return NULL;	/* wait for a channel to end */
		tn->nsess++;
	}
	{
		/* Waiting jobs with a deadline bound the TCP connect. */
		int connect_ms = o->connect_timeout_ms;
		struct job *j;

		for (j = tn->pending; j; j = j->next)
			if (j->deadline_ms && j->deadline_ms - now < connect_ms)
				connect_ms = j->deadline_ms - now > 0 ?
					(int)(j->deadline_ms - now) : 1;
		*rc = ssh__sess_connect(&tn->sess[i], tn->node, o, connect_ms,
					err);
	}
	if (*rc) {
		tn->sess[i].fd = -1;
		tn->sess[i].s = NULL;
		if (i == tn->nsess - 1)
			tn->nsess--;
		set_connected(tn);
		return NULL;
	}
	set_connected(tn);
	return &tn->sess[i];
}

static void list_push(struct job **head, struct job *j)
{
	struct job **p = head;

	while (*p)
		p = &(*p)->next;
	j->next = NULL;
	*p = j;
}

/* Pending jobs whose deadline passed before they got a channel. */
static void expire_pending(struct tnode *tn)
{
	long long now = ssh__now_ms();
	struct job **p = &tn->pending, *j;

	while ((j = *p)) {
		if (!j->deadline_ms || now < j->deadline_ms) {
			p = &j->next;
			continue;
		}
		*p = j->next;
		j->res->timed_out = 1;
		finish_job(tn, j);
	}
}

/* j failed because its node cannot be reached (why: "n1: cannot ..."). */
static void connect_failed(struct tnode *tn, struct job *j, int rc,
			   const struct sb *why)
{
	size_t skip = strlen(tn->node->name) + 2;
	const char *text = why->buf;

	j->rc = rc;
	if (!j->what) {
		sb_add(&j->msg, why->buf, why->len);
		return;
	}
	if (why->len > skip && !strncmp(text, tn->node->name, skip - 2) &&
	    !strncmp(text + skip - 2, ": ", 2))
		text += skip;
	sb_addf(&j->msg, "%s: ", tn->node->name);
	ssh__add_subject(&j->msg, j->what);
	sb_addf(&j->msg, ": %s", text);
}

/* Give pending jobs a session; fail them all if none can be had. */
static void assign_jobs(struct tnode *tn)
{
	struct sb err = SB_INIT;
	struct job *j;
	int rc;

	expire_pending(tn);
	while ((j = tn->pending)) {
		struct ssh_sess *s = NULL;
		int i, any = 0;

		if (j->kind == JOB_CONNECT) {
			for (i = 0; i < tn->nsess; i++)
				if (tn->sess[i].s && !tn->sess[i].dead)
					any = 1;
			rc = 0;
			if (!any)
				get_session(tn, &err, &rc);
		} else if (j->kind == JOB_EXEC && ssh__take_shell(tn, j)) {
			/* an idle shell: no channel to open */
			tn->pending = j->next;
			list_push(&tn->active, j);
			continue;
		} else {
			s = get_session(tn, &err, &rc);
			if (!s && !rc) {
				/* all slots taken: idle shells give way */
				ssh__drop_shell(tn);
				break;	/* all sessions busy: wait */
			}
		}
		if (rc) {
			/* The node cannot be reached: fail all that wait. */
			while ((j = tn->pending)) {
				tn->pending = j->next;
				connect_failed(tn, j, rc, &err);
				finish_job(tn, j);
			}
			break;
		}
		tn->pending = j->next;
		if (j->kind == JOB_CONNECT) {
			finish_job(tn, j);
			continue;
		}
		j->sess = s;
		j->state = JS_OPEN;
		s->nchan++;	/* reserve the slot until the channel opens */
		list_push(&tn->active, j);
	}
	sb_release(&err);
}

/* j is done: give back its channel slot and its session tokens. */
static void job_leave_session(struct job *j)
{
	struct ssh_sess *s = j->sess;

	if (!s)
		return;
	if (s->opener == j)
		s->opener = NULL;
	if (s->tx_owner == j)
		s->tx_owner = NULL;
	if (!--s->nchan)
		s->idle_since_ms = ssh__now_ms();
	j->sess = NULL;
}

/* Step all active jobs until nothing moves; finish the done ones. */
static void run_jobs(struct tnode *tn)
{
	for (;;) {
		unsigned long long rx_before = 0, rx_after = 0;
		struct job **p, *j;
		int i, progress = 0;

		for (i = 0; i < tn->nsess; i++)
			rx_before += tn->sess[i].rx;
		for (p = &tn->active; (j = *p);) {
			struct ssh_sess *s = j->sess;

			if (s->tx_pending && s->tx_owner && s->tx_owner != j &&
			    !s->dead) {
				p = &j->next;
				continue;	/* not ours to send now */
			}
			if (ssh__job_step(tn, j))
				progress = 1;
			if (s->tx_pending && !s->tx_owner &&
			    j->state != JS_DONE)
				s->tx_owner = j;
			else if (!s->tx_pending)
				s->tx_owner = NULL;
			if (j->state != JS_DONE) {
				p = &j->next;
				continue;
			}
			*p = j->next;
			job_leave_session(j);
			if (j->rc == -NS_ECONNECT && !j->started &&
			    !j->retried && !j->res->timed_out) {
				/* Nothing ran: retry once on a new session. */
				j->retried = 1;
				j->rc = 0;
				j->ch = NULL;
				j->cmd_off = 0;
				memset(j->mark, 0, sizeof(j->mark));
				sb_reset(&j->msg);
				list_push(&tn->pending, j);
				continue;
			}
			finish_job(tn, j);
		}
		for (i = 0; i < tn->nsess; i++) {
			if (tn->sess[i].norphans &&
			    ssh__free_orphans(&tn->sess[i]))
				progress = 1;
			rx_after += tn->sess[i].rx;
		}
		if (!progress && rx_after == rx_before)
			break;
	}
}

static void keepalives(struct tnode *tn, long long now)
{
	const struct ssh_opts *o = &tn->t->cfg->ssh;
	int i;

	if (o->keepalive_s <= 0)
		return;
	for (i = 0; i < tn->nsess; i++) {
		struct ssh_sess *s = &tn->sess[i];
		int next = 0;

		if (!s->s || s->dead || now < s->next_keepalive_ms)
			continue;
		if (libssh2_keepalive_send(s->s, &next) ==
		    LIBSSH2_ERROR_SOCKET_SEND)
			s->dead = 1;
		s->next_keepalive_ms = now + (next > 0 ? next : 1) * 1000LL;
	}
}

static int owner_wait(struct tnode *tn)
{
	struct pollfd pfd[SSH_MAX_SESSIONS + 1];
	long long now = ssh__now_ms(), wake = now + 60000;
	struct job *j;
	int i, n = 0, timeout;

	pfd[n].fd = tn->wake[0];
	pfd[n].events = POLLIN;
	n++;
	for (i = 0; i < tn->nsess; i++) {
		struct ssh_sess *s = &tn->sess[i];
		int dir;

		if (!s->s || s->dead)
			continue;
		if (tn->t->cfg->ssh.keepalive_s > 0 &&
		    s->next_keepalive_ms < wake)
			wake = s->next_keepalive_ms;
		if (s->nchan <= s->nidle)
			continue;	/* idle: checked before reuse */
		dir = libssh2_session_block_directions(s->s);
		pfd[n].fd = s->fd;
		pfd[n].events = POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			pfd[n].events |= POLLOUT;
		n++;
	}
	for (j = tn->pending; j; j = j->next)
		if (j->deadline_ms && j->deadline_ms < wake)
			wake = j->deadline_ms;
	for (j = tn->active; j; j = j->next) {
		if (j->deadline_ms && j->state < JS_CLOSE &&
		    j->deadline_ms < wake)
			wake = j->deadline_ms;
		if (j->state == JS_CLOSE || j->state == JS_WAIT_CLOSED)
			if (j->close_by_ms < wake)
				wake = j->close_by_ms;
	}
	timeout = wake > now ? (int)(wake - now) : 0;
	if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
		return -1;
	if (pfd[0].revents & POLLIN) {
		char buf[64];

		while (read(tn->wake[0], buf, sizeof(buf)) > 0)
			;
	}
	return 0;
}

void *ssh__owner_main(void *arg)
{
	struct tnode *tn = arg;
	int i;

	for (;;) {
		struct job *q;
		int stop;

		pthread_mutex_lock(&tn->mu);
		q = tn->queue;
		tn->queue = NULL;
		stop = tn->stop;
		pthread_mutex_unlock(&tn->mu);
		while (q) {
			struct job *next = q->next;

			list_push(&tn->pending, q);
			q = next;
		}
		if (stop && !tn->active && !tn->pending)
			break;
		assign_jobs(tn);
		run_jobs(tn);
		reap_sessions(tn);
		if (tn->pending)
			assign_jobs(tn);
		keepalives(tn, ssh__now_ms());
		if (tn->pending && !tn->active)
			continue;
		owner_wait(tn);
	}
	for (i = 0; i < tn->nsess; i++)
		if (tn->sess[i].s)
			ssh__sess_release(&tn->sess[i]);
	tn->nsess = 0;
	return NULL;
}
