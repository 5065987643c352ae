/*
 * ssh-internal.h - what ssh.c (the node owner threads and their channels)
 * and ssh-conn.c (TCP connect, handshake, host key check, authentication)
 * share.  Not for use outside core/ssh*.c.
 *
 * Ownership: a struct ssh_sess belongs to its node's owner thread; it owns
 * its socket and its libssh2 session.  ssh__sess_connect() fills one in;
 * ssh__sess_release() disconnects and frees it.
 */
#ifndef NS_SSH_INTERNAL_H
#define NS_SSH_INTERNAL_H

#include <libssh2.h>
#include <stddef.h>

#include "config.h"
#include "sb.h"

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

#endif
