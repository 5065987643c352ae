/*
 * ssh-internal.h - what the files of the SSH transport share: the job
 * (one command or file transfer), the node (its owner thread, queue and
 * sessions), the session (ssh-conn.c connects one) and the functions each
 * file offers the others:
 *   ssh.c        open/close, exec, submitting and waiting for jobs
 *   ssh-owner.c  the owner thread of a node (sessions, scheduling, poll)
 *   ssh-job.c    one job's state machine on a channel
 *   ssh-conn.c   TCP connect, handshake, host key check, authentication
 *   ssh-result.c results and messages
 *   ssh-file.c   upload and download (SCP)
 * Not for use outside core/ssh*.c.
 *
 * Ownership: a struct ssh_sess belongs to its node's owner thread; it owns
 * its socket and its libssh2 session.  ssh__sess_connect() fills one in;
 * ssh__sess_release() disconnects and frees it.  Jobs belong to the
 * callers that submit them (on their stacks); between ssh__job_submit()
 * and finished only the owner thread touches them.
 */
#ifndef NS_SSH_INTERNAL_H
#define NS_SSH_INTERNAL_H

#include <libssh2.h>
#include <pthread.h>
#include <stddef.h>

#include "config.h"
#include "sb.h"
#include "transport.h"

struct ssh_sess {
	int fd;				/* -1 when not connected */
	LIBSSH2_SESSION *s;
	int nchan;			/* channels open on it now */
	int cap;			/* max concurrent channels */
	int dead;			/* socket failed or closed */
	int sock_errno;			/* errno of that failure, 0 for EOF */
	unsigned long long rx;		/* bytes received (progress) */
	long long next_keepalive_ms;	/* monotonic ms */
	long long idle_since_ms;	/* when nchan last became 0 */
	/*
	 * libssh2 lets a partly sent packet be completed only by the call
	 * that started it (any other send fails with
	 * LIBSSH2_ERROR_BAD_USE): while tx_pending, only tx_owner's job is
	 * stepped.  Likewise only one channel opens at a time (opener):
	 * libssh2 keeps the open state in the session.
	 */
	int tx_pending;
	void *tx_owner, *opener;
	/*
	 * Channels closed after a timeout whose command still runs (sshd
	 * closes them when it ends): freed when libssh2 allows, counted in
	 * nchan until then, since sshd counts them against MaxSessions.
	 */
	LIBSSH2_CHANNEL *orphans[32];
	int norphans;
	/*
	 * Idle shells (ssh-job.c): channels running the remote /bin/sh
	 * that wait for their next command; counted in nchan.
	 */
	LIBSSH2_CHANNEL *idle[16];
	int nidle;
};

/* Monotonic clock in milliseconds. */
long long ssh__now_ms(void);

/*
 * Connect sess to node n (TCP within connect_ms, handshake,
 * host key check against known_hosts, authentication) and leave it in
 * non-blocking mode.  On failure returns -NS_ECONNECT, -NS_EHOSTKEY,
 * -NS_EAUTH or -NS_ESSH with one line in err naming the node.
 */
int ssh__sess_connect(struct ssh_sess *sess, const struct node *n,
		      const struct ssh_opts *ssh, int connect_ms,
		      struct sb *err);
void ssh__sess_release(struct ssh_sess *sess);

/* The text of libssh2's last error on s ("" when none). */
const char *ssh__last_error(LIBSSH2_SESSION *s);

#define SSH_MAX_SESSIONS 16
#define SSH_CLOSE_GRACE_MS 1000	/* wait for the server's close after a
				   timeout before freeing the channel */
#define SSH_IDLE_CHECK_MS 2000	/* idle longer: check the socket first */
#define SSH_IDLE_SHELLS 4	/* idle shells kept per node */
/* What a shell channel runs: /bin/sh reading commands on stdin, with the
   channel's stderr on fd 3 for the commands and its own on /dev/null
   (its "Terminated" notes are no command's output). */
#define SSH_SHELL "exec /bin/sh 3>&2 2>/dev/null"

enum job_kind { JOB_CONNECT, JOB_EXEC, JOB_UPLOAD, JOB_DOWNLOAD };

enum job_state {
	JS_OPEN,		/* opening the channel (or scp) */
	JS_EXEC,		/* exec request sent, waiting for the reply */
	JS_SEND,		/* exec: writing the command to the shell */
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
	const char *cmd;		/* exec: the command for the shell,
					   ending with its end markers */
	const char *nonce;		/* exec: names the end markers */
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
	/* exec on a shell: bytes of cmd written; per stream, bytes held
	   back while they may begin the end marker, and whether it came */
	size_t cmd_off;
	struct ssh_mark {
		char hold[4096];
		size_t len;
		int seen;
	} mark[2];
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
	unsigned long long nonce_base;	/* random, names end markers */
	unsigned long nonces;		/* commands so far (atomic) */
};

/* ===== ssh-result.c ===== */
/* Start a new line in err unless it is empty or ends one. */
void ssh__msg_start(struct sb *err);
/* The command as shown in messages: words, quoted where needed. */
void ssh__add_shown(struct sb *sb, const char *const argv[]);
/* A command as shown, as the subject of a message: in single quotes, as
   every subject is, unless it holds quotes of its own (a word quoted for
   the shell: sh -c 'exit 3', or a label 'pg_ctl start'), which a second
   pair would nest. */
void ssh__add_subject(struct sb *sb, const char *shown);

/* ===== ssh-job.c ===== */
/* One step of job j; returns 1 if it progressed. */
int ssh__job_step(struct tnode *tn, struct job *j);
/* Free the orphaned channels the peer has closed since; 1 if any. */
int ssh__free_orphans(struct ssh_sess *s);
/* Give j an idle shell of a live session of tn (checked first); 0 if
   there is none. */
int ssh__take_shell(struct tnode *tn, struct job *j);
/* Close one idle shell of tn to free a channel slot; 0 if none. */
int ssh__drop_shell(struct tnode *tn);

/* ===== ssh-owner.c ===== */
void *ssh__owner_main(void *arg);

/* ===== ssh.c: submitting jobs ===== */
void ssh__job_init(struct job *j, enum job_kind kind,
		   struct transport_result *res, int timeout_ms);
void ssh__job_submit(struct tnode *tn, struct job *j);
/* Wait until j is finished; its error text goes to err. */
int ssh__job_wait(struct tnode *tn, struct job *j, struct sb *err);

#endif
