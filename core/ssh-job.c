/*
 * ssh-job.c - one job as a non-blocking state machine on a channel of a
 * node's session, stepped by the node's owner thread (ssh-owner.c):
 *
 *   exec:      take an idle shell, or open a channel -> exec SSH_SHELL;
 *              write the command -> read stdout+stderr up to the end
 *              markers (feed()) -> the shell goes idle (or is let go).
 *              A shell that ends before its markers: close ->
 *              wait_closed -> its exit signal / status -> free
 *   upload:    scp_send64 -> write the file -> send_eof -> wait_eof ->
 *              wait_closed -> free
 *   download:  scp_recv2 -> read st_size bytes into the file -> free
 *
 * A step never blocks: every libssh2 call that would returns EAGAIN and
 * the job stays in its state.  A job whose deadline passes is marked
 * timed_out and its channel closed; a channel the peer has not closed yet
 * is handed to the session as an orphan (freed later, still counted
 * against MaxSessions).  A session whose socket fails fails its jobs with
 * "connection lost".
 *
 * Ownership: jobs live on their caller's stack; the owner thread alone
 * touches them (and their channels) between submit and finish.
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

/* ===== jobs: the owner thread's state machines ===== */

/* The job's channel or session failed with libssh2 code rc. */
static void job_fail(struct job *j, int code, const char *node,
		     const char *what, const char *why)
{
	if (j->rc)
		return;
	j->rc = code;
	ssh__msg_start(&j->msg);
	sb_addf(&j->msg, "%s: ", node);
	ssh__add_subject(&j->msg, what);
	sb_addf(&j->msg, ": %s", why);
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
 * A command on a shell ends with a marker on each stream: stdout gets
 * "\n\036NONCE STATUS SIGNAL\n", stderr "\n\036NONCE\n" (the newline
 * before is the marker's, not the command's).  feed() passes the bytes of
 * stream on to the result, holding back those that may begin the marker,
 * and parses the status when the marker is whole.
 */
static void feed(struct job *j, int stream, const char *p, size_t n)
{
	struct ssh_mark *m = &j->mark[stream];
	struct sb *out = stream ? &j->res->err : &j->res->out;
	char key[48];
	size_t klen;

	klen = (size_t)snprintf(key, sizeof(key), "\n\036%s%c", j->nonce,
				stream ? '\n' : ' ');
	while (n && !m->seen) {
		size_t take = sizeof(m->hold) - m->len;
		char *k, *nl;

		if (take > n)
			take = n;
		memcpy(m->hold + m->len, p, take);
		m->len += take;
		p += take;
		n -= take;
		k = memmem(m->hold, m->len, key, klen);
		if (!k) {
			/* all but what may begin the marker */
			if (m->len >= klen) {
				sb_add(out, m->hold, m->len - (klen - 1));
				memmove(m->hold, m->hold + m->len - (klen - 1),
					klen - 1);
				m->len = klen - 1;
			}
			continue;
		}
		sb_add(out, m->hold, (size_t)(k - m->hold));
		m->len -= (size_t)(k - m->hold);
		memmove(m->hold, k, m->len);
		if (stream == 1) {
			m->seen = 1;
			break;
		}
		nl = memchr(m->hold + klen, '\n', m->len - klen);
		if (!nl) {
			if (m->len == sizeof(m->hold))
				m->seen = 1;	/* no status: garbled */
			continue;
		}
		*nl = '\0';
		{
			char *end, *sig;
			long st = strtol(m->hold + klen, &end, 10);

			sig = end + strspn(end, " ");
			if (*sig)
				snprintf(j->res->signal,
					 sizeof(j->res->signal), "%s", sig);
			else
				j->res->exit_status = (int)st;
		}
		m->seen = 1;
	}
}

/* The shell died before the markers: what it held is output. */
static void feed_flush(struct job *j)
{
	int i;

	for (i = 0; i < 2; i++)
		if (!j->mark[i].seen) {
			sb_add(i ? &j->res->err : &j->res->out,
			       j->mark[i].hold, j->mark[i].len);
			j->mark[i].len = 0;
		}
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
				feed(j, stream, j->buf, (size_t)n);
				if (j->mark[0].seen && j->mark[1].seen)
					return 1;
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

/* Hand a channel counted in nchan to the session, which frees it once
   the peer has closed it (libssh2_channel_free() closes it first). */
static void orphan_channel(struct ssh_sess *s, LIBSSH2_CHANNEL *ch)
{
	if (s->norphans < (int)(sizeof(s->orphans) / sizeof(s->orphans[0])))
		s->orphans[s->norphans++] = ch;
	else
		s->nchan--;	/* libssh2_session_free() will free it */
}

/*
 * Hand j's channel (close sent, peer not closed yet) to the session, which
 * frees it later; j is done.  The channel keeps its slot (j's) until then.
 */
static void orphan(struct ssh_sess *s, struct job *j)
{
	orphan_channel(s, j->ch);
	s->nchan++;		/* job_leave_session() gives back j's slot */
	j->ch = NULL;
	j->state = JS_DONE;
}

/* ===== the shell pool ===== */

static int node_idle_shells(const struct tnode *tn)
{
	int i, n = 0;

	for (i = 0; i < tn->nsess; i++)
		n += tn->sess[i].nidle;
	return n;
}

/* j's command ended and its shell waits for the next one: keep it (up
   to SSH_IDLE_SHELLS per node) or let it go. */
static void shell_done(struct tnode *tn, struct job *j)
{
	struct ssh_sess *s = j->sess;

	if (s->dead || s->nidle >= (int)(sizeof(s->idle) /
					 sizeof(s->idle[0])) ||
	    node_idle_shells(tn) >= SSH_IDLE_SHELLS) {
		orphan(s, j);
		return;
	}
	s->idle[s->nidle++] = j->ch;
	s->nchan++;		/* job_leave_session() gives back j's slot */
	j->ch = NULL;
	j->state = JS_DONE;
}

/*
 * An idle shell is usable if its channel is open and its session alive:
 * read what arrived meanwhile (stray output of a command's background
 * child is dropped), which also shows a socket the peer closed.
 */
static int shell_alive(struct ssh_sess *s, LIBSSH2_CHANNEL *ch)
{
	char buf[4096];
	int stream;

	if (s->tx_pending)
		return !s->dead;	/* cannot read now: trust it */
	for (stream = 0; stream < 2 && !s->dead; stream++)
		for (;;) {
			ssize_t n = libssh2_channel_read_ex(ch, stream, buf,
							    sizeof(buf));

			if (n == LIBSSH2_ERROR_EAGAIN)
				break;
			if (n <= 0)
				return 0;
		}
	return !s->dead && !libssh2_channel_eof(ch);
}

int ssh__take_shell(struct tnode *tn, struct job *j)
{
	int i;

	for (i = 0; i < tn->nsess; i++) {
		struct ssh_sess *s = &tn->sess[i];

		while (s->s && !s->dead && s->nidle) {
			LIBSSH2_CHANNEL *ch = s->idle[--s->nidle];

			if (!shell_alive(s, ch)) {
				orphan_channel(s, ch);
				continue;
			}
			j->sess = s;
			j->ch = ch;
			j->state = JS_SEND;
			return 1;
		}
	}
	return 0;
}

int ssh__drop_shell(struct tnode *tn)
{
	int i;

	for (i = 0; i < tn->nsess; i++) {
		struct ssh_sess *s = &tn->sess[i];

		if (s->s && !s->dead && s->nidle) {
			orphan_channel(s, s->idle[--s->nidle]);
			return 1;
		}
	}
	return 0;
}

/* Free the orphaned channels the peer has closed since. */
int ssh__free_orphans(struct ssh_sess *s)
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

/*
 * Write buf[*off..len) on j's channel (JS_SEND: the command; JS_WRITE: a
 * block of the file), advancing *off and setting *progress as bytes go.
 * Returns 1 when all of it is sent, 0 when the channel would block, -1
 * when the write failed (the job failed and is to be freed).
 */
static int chan_write(struct tnode *tn, struct job *j, const char *buf,
		      size_t len, size_t *off, int *progress)
{
	while (*off < len) {
		ssize_t n = libssh2_channel_write(j->ch, buf + *off,
						  len - *off);

		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (n < 0) {
			job_error(tn, j, (int)n, "write");
			j->state = JS_FREE;
			return -1;
		}
		j->started = 1;
		*off += (size_t)n;
		*progress = 1;
	}
	return 1;
}

/* One step of job j; returns 1 if it progressed. */
int ssh__job_step(struct tnode *tn, struct job *j)
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
		/* a new shell; the command follows on its stdin */
		rc = libssh2_channel_exec(j->ch, SSH_SHELL);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return progress;
		if (rc) {
			job_error(tn, j, rc, "exec");
			j->state = JS_FREE;
			return 1;
		}
		j->state = JS_SEND;
		return 1;
	case JS_SEND:
		rc = chan_write(tn, j, j->cmd, strlen(j->cmd), &j->cmd_off,
				&progress);
		if (!rc)
			return progress;
		if (rc > 0)
			j->state = JS_READ;
		return 1;
	case JS_READ:
		rc = drain(j, &eof);
		if (rc < 0) {
			if (rc == LIBSSH2_ERROR_FILE)
				job_fail(j, -NS_EWRITE, tn->node->name,
					 j->what, strerror(errno));
			else
				job_error(tn, j, rc, "read");
			j->state = JS_FREE;
			return 1;
		}
		if (j->kind == JOB_EXEC && j->mark[0].seen &&
		    j->mark[1].seen) {
			shell_done(tn, j);
			return 1;
		}
		if (eof == 3 && (j->kind == JOB_DOWNLOAD ||
				 libssh2_channel_eof(j->ch))) {
			if (j->kind == JOB_DOWNLOAD) {
				j->state = JS_FREE;
			} else {
				/* the shell ended first: its status is
				   the command's */
				feed_flush(j);
				to_close(j);
			}
			return 1;
		}
		return progress | rc;
	case JS_WRITE:
		for (;;) {
			if (j->buf_off == j->buf_len) {
				ssize_t n = read(j->fd, j->buf,
						 sizeof(j->buf));

				if (n < 0) {
					job_fail(j, -NS_EREAD, tn->node->name,
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
			rc = chan_write(tn, j, j->buf, j->buf_len,
					&j->buf_off, &progress);
			if (rc <= 0)
				return rc ? 1 : progress;
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
