/*
 * ssh.c - the transport of transport.h over SSH (libssh2).
 *
 * Threads: one owner thread per node.  It alone touches that node's
 * sessions (up to ssh.max_sessions of them, each carrying at most
 * ssh.max_channels concurrent channels, below sshd's MaxSessions of 10)
 * and runs every job as a non-blocking state machine:
 *
 *   exec:      open channel -> exec -> read stdout+stderr to EOF -> close
 *              -> wait_closed -> exit signal / status -> free
 *   upload:    scp_send64 -> write the file -> send_eof -> wait_eof ->
 *              wait_closed -> free
 *   download:  scp_recv2 -> read st_size bytes into the file -> free
 *
 * The loop steps every job until a whole pass makes no progress and no
 * byte arrives on any socket (libssh2 reading for one channel may queue
 * packets for another), then sleeps in poll() on the sockets in the
 * directions libssh2_session_block_directions() gives, on a wake-up pipe
 * (new jobs) and until the nearest deadline or keepalive.
 *
 * Callers (any thread) queue a job on the node and wait on its condition
 * variable.  A job whose deadline passes is marked timed_out and its
 * channel closed (the session stays usable; sshd closes the command's
 * pipes, so it ends at its next write).  A session whose socket fails
 * fails its running jobs with "connection lost"; jobs that had not yet
 * started their command are retried once on a new session, so the first
 * command after a node restarted reconnects transparently.
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

#define SSH_MAX_SESSIONS 16
#define SSH_CLOSE_GRACE_MS 1000	/* wait for the server's close after a
				   timeout before freeing the channel */
#define SSH_IDLE_CHECK_MS 2000	/* idle longer: check the socket first */

enum job_kind { JOB_CONNECT, JOB_EXEC, JOB_UPLOAD, JOB_DOWNLOAD };

enum job_state {
	JS_OPEN,		/* opening the channel (or scp) */
	JS_EXEC,		/* exec request sent, waiting for the reply */
	JS_READ,		/* draining stdout/stderr */
	JS_WRITE,		/* upload: sending the file */
	JS_SEND_EOF,
	JS_WAIT_EOF,
	JS_CLOSE,		/* channel close sent, waiting for the peer */
	JS_WAIT_CLOSED,
	JS_FREE,
	JS_DONE,
};

struct job {
	enum job_kind kind;
	enum job_state state;
	const char *cmd;		/* remote command line */
	const char *what;		/* for messages: the command as shown */
	long long deadline_ms;		/* 0: none */
	long long close_by_ms;		/* give up waiting for close */
	struct transport_result *res;
	/* files */
	int fd;				/* local file */
	const char *remote;
	int mode;
	long long size, done_bytes;	/* upload: file size; download:
					   remote size */
	char buf[32768];
	size_t buf_len, buf_off;
	/* runtime */
	struct ssh_sess *sess;
	LIBSSH2_CHANNEL *ch;
	int started;			/* the command may have run */
	int retried;
	int rc;				/* 0 or -NS_E* */
	struct sb msg;			/* error text */
	int finished;
	struct job *next;
};

struct tnode {
	struct transport *t;
	const struct node *node;
	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *queue;		/* new jobs (under mu) */
	int stop;			/* under mu */
	int wake[2];			/* pipe: a write wakes the owner */
	int connected;			/* under mu: a live session exists */
	/* owner thread only */
	struct ssh_sess sess[SSH_MAX_SESSIONS];
	int nsess;
	struct job *pending;		/* waiting for a channel slot */
	struct job *active;
};

struct transport {
	const struct config *cfg;
	size_t n;
	struct tnode *nodes;
};

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

static void msg_start(struct sb *err)
{
	if (err->len && err->buf[err->len - 1] != '\n')
		sb_addc(err, '\n');
}

/* ===== results ===== */

void transport_result_init(struct transport_result *r)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->out, 0);
	sb_init(&r->err, 0);
	r->out.max = r->err.max = TRANSPORT_DEFAULT_CAP;
	r->exit_status = -1;
}

void transport_result_release(struct transport_result *r)
{
	sb_release(&r->out);
	sb_release(&r->err);
}

int transport_result_ok(const struct transport_result *r)
{
	return !r->timed_out && !r->signal[0] && r->exit_status == 0;
}

static int needs_quotes(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-_./=:,+@%", *s)))
			return 1;
	return 0;
}

/* The command as shown in messages: words, quoted where needed. */
static void add_shown(struct sb *sb, const char *const argv[])
{
	size_t i, start = sb->len;

	for (i = 0; argv[i]; i++) {
		if (i)
			sb_addc(sb, ' ');
		if (needs_quotes(argv[i]))
			sb_add_shquoted(sb, argv[i]);
		else
			sb_adds(sb, argv[i]);
		if (sb->len - start > 200) {
			sb_setlen(sb, start + 200);
			sb_adds(sb, "...");
			break;
		}
	}
}

/* The last line(s) of s, at most max bytes, without trailing newlines. */
static void add_tail(struct sb *sb, const struct sb *s, size_t max)
{
	size_t end = s->len, start;

	while (end && (s->buf[end - 1] == '\n' || s->buf[end - 1] == '\r'))
		end--;
	start = end > max ? end - max : 0;
	if (start)
		sb_adds(sb, "...");
	sb_add(sb, s->buf + start, end - start);
}

void transport_result_error(const struct transport_result *r,
			    const char *node, const char *const argv[],
			    struct sb *err)
{
	msg_start(err);
	sb_addf(err, "%s: '", node);
	add_shown(err, argv);
	sb_adds(err, "' ");
	if (r->timed_out)
		sb_adds(err, "timed out");
	else if (r->signal[0])
		sb_addf(err, "killed by signal %s", r->signal);
	else
		sb_addf(err, "exited %d", r->exit_status);
	if (r->err.len) {
		sb_adds(err, ": ");
		add_tail(err, &r->err, 300);
	} else if (r->out.len && !r->timed_out) {
		sb_adds(err, ": ");
		add_tail(err, &r->out, 300);
	}
}

/* ===== jobs: the owner thread's state machines ===== */

/* The job's channel or session failed with libssh2 code rc. */
static void job_fail(struct job *j, int code, const char *node,
		     const char *what, const char *why)
{
	if (j->rc)
		return;
	j->rc = code;
	msg_start(&j->msg);
	sb_addf(&j->msg, "%s: '%s': %s", node, what, why);
}

static int session_lost(struct ssh_sess *s)
{
	return s->dead ||
	       libssh2_session_last_errno(s->s) == LIBSSH2_ERROR_SOCKET_SEND ||
	       libssh2_session_last_errno(s->s) == LIBSSH2_ERROR_SOCKET_RECV ||
	       libssh2_session_last_errno(s->s) ==
	       LIBSSH2_ERROR_SOCKET_DISCONNECT;
}

/* Report a non-EAGAIN libssh2 failure; leaves the job to be freed. */
static void job_error(struct tnode *tn, struct job *j, int lrc,
		      const char *step)
{
	struct ssh_sess *s = j->sess;
	char why[512];

	if (session_lost(s)) {
		s->dead = 1;
		snprintf(why, sizeof(why), "connection lost%s%s",
			 s->sock_errno ? ": " : "",
			 s->sock_errno ? strerror(s->sock_errno) : "");
		job_fail(j, -NS_ECONNECT, tn->node->name, j->what, why);
	} else {
		snprintf(why, sizeof(why), "%s failed: %s (libssh2 %d)",
			 step, ssh__last_error(s->s), lrc);
		job_fail(j, -NS_ESSH, tn->node->name, j->what, why);
	}
}

static void exec_finish_status(struct job *j)
{
	char *sig = NULL;
	size_t siglen = 0;

	libssh2_channel_get_exit_signal(j->ch, &sig, &siglen, NULL, NULL,
					NULL, NULL);
	if (sig && siglen) {
		snprintf(j->res->signal, sizeof(j->res->signal), "%.*s",
			 (int)siglen, sig);
	} else {
		j->res->exit_status = libssh2_channel_get_exit_status(j->ch);
	}
	if (sig)
		libssh2_free(j->sess->s, sig);
}

/*
 * Read what is there on both streams; returns >0 on progress, 0 when
 * nothing more for now, 1|2 flags in *eof for streams at EOF, <0 on
 * error.
 */
static int drain(struct job *j, int *eof)
{
	int stream, progress = 0;

	*eof = 0;
	for (stream = 0; stream < 2; stream++) {
		for (;;) {
			ssize_t n = libssh2_channel_read_ex(j->ch, stream,
							    j->buf,
							    sizeof(j->buf));

			if (n == LIBSSH2_ERROR_EAGAIN)
				break;
			if (n < 0)
				return (int)n;
			if (n == 0) {
				*eof |= 1 << stream;
				break;
			}
			progress = 1;
			if (j->kind == JOB_DOWNLOAD) {
				if (stream == 1) {
					sb_add(&j->res->err, j->buf,
					       (size_t)n);
					continue;
				}
				if (n > j->size - j->done_bytes)
					n = j->size - j->done_bytes;
				if (write(j->fd, j->buf, (size_t)n) != n)
					return LIBSSH2_ERROR_FILE;
				j->done_bytes += n;
				if (j->done_bytes >= j->size) {
					*eof = 3;
					return 1;
				}
			} else {
				sb_add(stream ? &j->res->err : &j->res->out,
				       j->buf, (size_t)n);
			}
		}
	}
	return progress;
}

/* Start closing the channel (timeout or end). */
static void to_close(struct job *j)
{
	j->state = JS_CLOSE;
	j->close_by_ms = ssh__now_ms() + SSH_CLOSE_GRACE_MS;
}

/*
 * The deadline of j passed.  A job blocked inside a libssh2 call that
 * cannot be abandoned (a channel being opened, a packet half sent) gets
 * SSH_CLOSE_GRACE_MS more; then its session is given up.  Returns 1 when
 * the job changed state.
 */
static int job_deadline(struct job *j, long long now)
{
	struct ssh_sess *s = j->sess;

	if (j->state == JS_OPEN && s->opener != j) {
		j->res->timed_out = 1;
		j->state = JS_DONE;
		return 1;
	}
	if (s->opener == j || s->tx_owner == j) {
		if (now < j->deadline_ms + SSH_CLOSE_GRACE_MS)
			return 0;
		j->res->timed_out = 1;
		s->dead = 1;
		s->sock_errno = ETIMEDOUT;
		j->state = j->ch ? JS_FREE : JS_DONE;
		return 1;
	}
	j->res->timed_out = 1;
	to_close(j);
	return 1;
}

/*
 * Hand j's channel (close sent, peer not closed yet) to the session, which
 * frees it later; j is done.  The channel keeps its slot (j's) until then.
 */
static void orphan(struct ssh_sess *s, struct job *j)
{
	if (s->norphans < (int)(sizeof(s->orphans) / sizeof(s->orphans[0])))
		s->orphans[s->norphans++] = j->ch;
	else
		s->nchan--;	/* libssh2_session_free() will free it */
	s->nchan++;		/* job_leave_session() gives back j's slot */
	j->ch = NULL;
	j->state = JS_DONE;
}

/* Free the orphaned channels the peer has closed since. */
static int free_orphans(struct ssh_sess *s)
{
	int i, freed = 0;

	for (i = 0; i < s->norphans && !s->tx_pending && !s->dead;) {
		int rc = libssh2_channel_free(s->orphans[i]);

		if (rc == LIBSSH2_ERROR_EAGAIN) {
			i++;
			continue;
		}
		s->orphans[i] = s->orphans[--s->norphans];
		if (!--s->nchan)
			s->idle_since_ms = ssh__now_ms();
		freed = 1;
	}
	return freed;
}

/* One step of job j; returns 1 if it progressed. */
static int job_step(struct tnode *tn, struct job *j)
{
	struct ssh_sess *s = j->sess;
	long long now = ssh__now_ms();
	int rc, eof, progress = 0;

	if (j->state < JS_CLOSE && j->deadline_ms && now >= j->deadline_ms &&
	    !j->res->timed_out && !j->rc) {
		progress = job_deadline(j, now);
		if (j->state == JS_DONE)
			return 1;
	}
	if (s->dead && j->state < JS_FREE) {
		if (!j->res->timed_out)
			job_error(tn, j, LIBSSH2_ERROR_SOCKET_DISCONNECT,
				  "read");
		j->state = j->ch ? JS_FREE : JS_DONE;
		return 1;
	}
	switch (j->state) {
	case JS_OPEN:
		if (s->opener && s->opener != j)
			return progress;	/* one open at a time */
		s->opener = j;
		if (j->kind == JOB_UPLOAD)
			j->ch = libssh2_scp_send64(s->s, j->remote, j->mode,
						   j->size, 0, 0);
		else if (j->kind == JOB_DOWNLOAD) {
			libssh2_struct_stat st;

			memset(&st, 0, sizeof(st));
			j->ch = libssh2_scp_recv2(s->s, j->remote, &st);
			if (j->ch)
				j->size = st.st_size;
		} else
			j->ch = libssh2_channel_open_session(s->s);
		if (!j->ch) {
			rc = libssh2_session_last_errno(s->s);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return progress;
			s->opener = NULL;
			if (rc == LIBSSH2_ERROR_CHANNEL_FAILURE &&
			    !session_lost(s)) {
				/* sshd's MaxSessions is lower than
				   ssh.max_channels: wait for a slot. */
				s->cap = s->nchan > 1 ? s->nchan - 1 : 1;
				j->rc = -NS_ECONNECT;
				j->state = JS_DONE;
				sb_addf(&j->msg, "%s: channel refused",
					tn->node->name);
				return 1;
			}
			job_error(tn, j, rc, j->kind == JOB_EXEC ?
				  "opening a channel" : "scp");
			j->state = JS_DONE;
			return 1;
		}
		s->opener = NULL;
		j->state = j->kind == JOB_EXEC ? JS_EXEC
			   : j->kind == JOB_UPLOAD ? JS_WRITE : JS_READ;
		return 1;
	case JS_EXEC:
		rc = libssh2_channel_exec(j->ch, j->cmd);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		j->started = 1;
		if (rc) {
			job_error(tn, j, rc, "exec");
			j->state = JS_FREE;
			return 1;
		}
		j->state = JS_READ;
		return 1;
	case JS_READ:
		rc = drain(j, &eof);
		if (rc < 0) {
			if (rc == LIBSSH2_ERROR_FILE)
				job_fail(j, -NS_EIO, tn->node->name, j->what,
					 strerror(errno));
			else
				job_error(tn, j, rc, "read");
			j->state = JS_FREE;
			return 1;
		}
		if (eof == 3 && (j->kind == JOB_DOWNLOAD ||
				 libssh2_channel_eof(j->ch))) {
			if (j->kind == JOB_DOWNLOAD) {
				j->state = JS_FREE;
			} else {
				to_close(j);
			}
			return 1;
		}
		return progress | rc;
	case JS_WRITE:
		for (;;) {
			ssize_t n;

			if (j->buf_off == j->buf_len) {
				n = read(j->fd, j->buf, sizeof(j->buf));
				if (n < 0) {
					job_fail(j, -NS_EIO, tn->node->name,
						 j->what, strerror(errno));
					j->state = JS_FREE;
					return 1;
				}
				if (n == 0) {
					j->state = JS_SEND_EOF;
					return 1;
				}
				j->buf_len = (size_t)n;
				j->buf_off = 0;
			}
			n = libssh2_channel_write(j->ch, j->buf + j->buf_off,
						  j->buf_len - j->buf_off);
			if (n == LIBSSH2_ERROR_EAGAIN)
				return progress;
			if (n < 0) {
				job_error(tn, j, (int)n, "write");
				j->state = JS_FREE;
				return 1;
			}
			j->started = 1;
			j->buf_off += (size_t)n;
			progress = 1;
		}
	case JS_SEND_EOF:
		rc = libssh2_channel_send_eof(j->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		j->state = rc ? JS_CLOSE : JS_WAIT_EOF;
		if (rc)
			job_error(tn, j, rc, "send eof");
		return 1;
	case JS_WAIT_EOF:
		rc = libssh2_channel_wait_eof(j->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		to_close(j);
		return 1;
	case JS_CLOSE:
		rc = libssh2_channel_close(j->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (s->tx_pending) {
				if (now < j->close_by_ms)
					return progress;
				/* The peer reads nothing: give up on it. */
				s->dead = 1;
				s->sock_errno = ETIMEDOUT;
				j->state = JS_FREE;
				return 1;
			}
			if (j->res->timed_out || now >= j->close_by_ms) {
				/* Close sent; the command still runs. */
				orphan(s, j);
				return 1;
			}
			return progress;
		}
		j->state = rc ? JS_FREE : JS_WAIT_CLOSED;
		return 1;
	case JS_WAIT_CLOSED:
		rc = libssh2_channel_wait_closed(j->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (now >= j->close_by_ms) {
				j->state = JS_FREE;
				return 1;
			}
			return progress;
		}
		if (!rc && !j->res->timed_out && !j->rc &&
		    j->kind == JOB_EXEC)
			exec_finish_status(j);
		j->state = JS_FREE;
		return 1;
	case JS_FREE:
		rc = libssh2_channel_free(j->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN && !s->dead) {
			if (s->tx_pending)
				return progress;
			orphan(s, j);	/* waits for the peer's close */
			return 1;
		}
		j->ch = NULL;
		j->state = JS_DONE;
		return 1;
	case JS_DONE:
		return progress;
	}
	return progress;
}

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
		    tn->sess[i].nchan == tn->sess[i].norphans)
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
	sb_addf(&j->msg, "%s: '%s': %s", tn->node->name, j->what, text);
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
		} else {
			s = get_session(tn, &err, &rc);
			if (!s && !rc)
				break;	/* all sessions busy: wait */
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
			if (job_step(tn, j))
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
				sb_reset(&j->msg);
				list_push(&tn->pending, j);
				continue;
			}
			finish_job(tn, j);
		}
		for (i = 0; i < tn->nsess; i++) {
			if (tn->sess[i].norphans && free_orphans(&tn->sess[i]))
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
		if (!s->nchan)
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

static void *owner_main(void *arg)
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

/* ===== submitting jobs ===== */

static void job_init(struct job *j, enum job_kind kind,
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

static void job_submit(struct tnode *tn, struct job *j)
{
	char c = 1;

	pthread_mutex_lock(&tn->mu);
	j->next = tn->queue;
	tn->queue = j;
	pthread_mutex_unlock(&tn->mu);
	if (write(tn->wake[1], &c, 1) < 0 && errno != EAGAIN)
		abort();
}

static int job_wait(struct tnode *tn, struct job *j, struct sb *err)
{
	int rc;

	pthread_mutex_lock(&tn->mu);
	while (!j->finished)
		pthread_cond_wait(&tn->cv, &tn->mu);
	pthread_mutex_unlock(&tn->mu);
	rc = j->rc;
	if (rc && err) {
		msg_start(err);
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

static int open_common(struct transport **tp, const struct config *c,
		       int partial, struct sb *err)
{
	struct transport *t;
	struct job *jobs;
	size_t i;
	int rc = 0, any_ok = 0;

	*tp = NULL;
	if (!c->nnodes) {
		msg_start(err);
		sb_addf(err, "%s: no nodes configured ('nodes')", c->path ?
			c->path : "config");
		return -NS_ECONFIG;
	}
	if (libssh2_get()) {
		msg_start(err);
		sb_adds(err, "libssh2_init failed");
		return -NS_ESSH;
	}
	t = xcalloc(1, sizeof(*t));
	t->cfg = c;
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
			msg_start(err);
			sb_addf(err, "%s: pipe: %s", tn->node->name,
				strerror(errno));
			transport_close(t);
			return -NS_EINTERNAL;
		}
		if (pthread_create(&tn->thread, NULL, owner_main, tn)) {
			msg_start(err);
			sb_addf(err, "%s: cannot start a thread",
				tn->node->name);
			transport_close(t);
			return -NS_EINTERNAL;
		}
		tn->thread_started = 1;
	}
	jobs = xcalloc(t->n, sizeof(*jobs));
	for (i = 0; i < t->n; i++) {
		job_init(&jobs[i], JOB_CONNECT, NULL, 0);
		job_submit(&t->nodes[i], &jobs[i]);
	}
	for (i = 0; i < t->n; i++) {
		int r = job_wait(&t->nodes[i], &jobs[i], err);

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

/* The remote command line: cd to the node's dir, then argv quoted. */
static void build_cmdline(struct sb *sb, const struct node *n,
			  const char *const argv[])
{
	size_t i;

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
}

struct exec_call {
	struct job job;
	struct sb cmd, shown;
};

static int exec_prepare(struct transport *t, size_t node,
			const char *const argv[], int timeout_ms,
			struct transport_result *res, struct exec_call *x,
			struct sb *err)
{
	sb_init(&x->cmd, 0);
	sb_init(&x->shown, 0);
	if (node >= t->n || !argv || !argv[0]) {
		msg_start(err);
		sb_addf(err, "transport: bad call (node %zu of %zu, %s)",
			node, t->n, argv && argv[0] ? "argv" : "empty argv");
		return -NS_EINTERNAL;
	}
	sb_reset(&res->out);
	sb_reset(&res->err);
	res->exit_status = -1;
	res->signal[0] = '\0';
	res->timed_out = 0;
	build_cmdline(&x->cmd, t->nodes[node].node, argv);
	add_shown(&x->shown, argv);
	job_init(&x->job, JOB_EXEC, res, timeout_ms);
	x->job.cmd = x->cmd.buf;
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
		job_submit(&t->nodes[node], &x.job);
		rc = job_wait(&t->nodes[node], &x.job, err);
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

int transport_exec_many(struct transport *t, const size_t *nodes, size_t n,
			const char *const argv[], int timeout_ms,
			struct transport_result *res, int *rc,
			struct sb *err)
{
	struct exec_call *x = xcalloc(n ? n : 1, sizeof(*x));
	size_t k;
	int ret = 0;

	for (k = 0; k < n; k++) {
		rc[k] = exec_prepare(t, nodes[k], argv, timeout_ms, &res[k],
				     &x[k], err);
		if (!rc[k])
			job_submit(&t->nodes[nodes[k]], &x[k].job);
	}
	for (k = 0; k < n; k++) {
		if (!rc[k])
			rc[k] = job_wait(&t->nodes[nodes[k]], &x[k].job, err);
		if (rc[k] && !ret)
			ret = rc[k];
		exec_call_release(&x[k]);
	}
	free(x);
	return ret;
}

/* A relative remote path is taken in the node's dir, as commands are. */
static const char *remote_path(struct sb *sb, const struct node *n,
			       const char *remote)
{
	if (remote[0] == '/' || !n->dir)
		return remote;
	sb_addf(sb, "%s/%s", n->dir, remote);
	return sb->buf;
}

int transport_upload(struct transport *t, size_t node, const char *local,
		     const char *remote, int mode, struct sb *err)
{
	struct transport_result res;
	struct job j;
	struct stat st;
	struct sb shown = SB_INIT, path = SB_INIT;
	int fd, rc;

	if (node >= t->n)
		return -NS_EINTERNAL;
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		msg_start(err);
		sb_addf(err, "%s: upload of '%s': %s", t->nodes[node].node->name,
			local, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -NS_EIO;
	}
	transport_result_init(&res);
	sb_addf(&shown, "upload %s to %s", local, remote);
	job_init(&j, JOB_UPLOAD, &res, 0);
	j.fd = fd;
	j.remote = remote_path(&path, t->nodes[node].node, remote);
	j.mode = mode & 0777;
	j.size = st.st_size;
	j.what = shown.buf;
	job_submit(&t->nodes[node], &j);
	rc = job_wait(&t->nodes[node], &j, err);
	close(fd);
	sb_release(&shown);
	sb_release(&path);
	transport_result_release(&res);
	return rc;
}

int transport_download(struct transport *t, size_t node, const char *remote,
		       const char *local, struct sb *err)
{
	struct transport_result res;
	struct job j;
	struct sb shown = SB_INIT, path = SB_INIT;
	int fd, rc;

	if (node >= t->n)
		return -NS_EINTERNAL;
	fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		msg_start(err);
		sb_addf(err, "%s: download to '%s': %s",
			t->nodes[node].node->name, local, strerror(errno));
		return -NS_EIO;
	}
	transport_result_init(&res);
	sb_addf(&shown, "download %s to %s", remote, local);
	job_init(&j, JOB_DOWNLOAD, &res, 0);
	j.fd = fd;
	j.remote = remote_path(&path, t->nodes[node].node, remote);
	j.what = shown.buf;
	job_submit(&t->nodes[node], &j);
	rc = job_wait(&t->nodes[node], &j, err);
	if (!rc && j.done_bytes < j.size) {
		msg_start(err);
		sb_addf(err, "%s: '%s': got %lld of %lld bytes",
			t->nodes[node].node->name, shown.buf, j.done_bytes,
			j.size);
		rc = -NS_ESSH;
	}
	if (close(fd) && !rc) {
		msg_start(err);
		sb_addf(err, "%s: download to '%s': %s",
			t->nodes[node].node->name, local, strerror(errno));
		rc = -NS_EIO;
	}
	sb_release(&shown);
	sb_release(&path);
	transport_result_release(&res);
	return rc;
}
