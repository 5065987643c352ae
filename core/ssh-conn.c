/*
 * ssh-conn.c - establishing one SSH session to a node: non-blocking TCP
 * connect with a timeout, SO_KEEPALIVE, the libssh2 handshake, the host
 * key check against known_hosts, and authentication (ssh-agent, then the
 * key file with its passphrase).
 *
 * Host keys (like OpenSSH's StrictHostKeyChecking):
 *   - a key matching a known_hosts entry (plain, hashed or "[host]:port")
 *     is accepted;
 *   - a key differing from the recorded one is refused ("host key
 *     mismatch"), always;
 *   - an unknown host is refused unless ssh.accept_new_host_keys, which
 *     records the key (a line appended to known_hosts, as accept-new does).
 *
 * The TCP connect is bounded by ssh.connect_timeout_ms; the handshake and
 * authentication run in blocking mode bounded by
 * libssh2_session_set_timeout(handshake_timeout_ms); the session is then
 * switched to non-blocking mode for the owner thread's poll loop.
 *
 * libssh2 1.10 signs with RSA keys using SHA-1 ("ssh-rsa") only, which
 * OpenSSH >= 8.8 refuses by default: when an RSA key is refused the error
 * says exactly that.
 */
#include "ssh-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"

/* Appends to known_hosts from several owner threads. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

long long ssh__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *ssh__last_error(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	if (!s)
		return "";
	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg ? msg : "";
}

static void msg_start(struct sb *err)
{
	if (err->len && err->buf[err->len - 1] != '\n')
		sb_addc(err, '\n');
}

/* ===== socket I/O: counted, so the poll loop sees progress ===== */

static LIBSSH2_RECV_FUNC(sess_recv)
{
	struct ssh_sess *sess = *abstract;
	ssize_t n = recv(socket, buffer, length, flags);

	if (n > 0) {
		int on = 1;

		/*
		 * sshd does not set TCP_NODELAY on sessions without a tty:
		 * its small replies (exit status, EOF, close) wait for our
		 * ACK under Nagle, and a delayed ACK costs ~40 ms per
		 * command.  Quick ACKs (re-armed after each read, as Linux
		 * resets the flag) keep a round trip at a few ms.
		 */
		setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));
		sess->rx += (unsigned long long)n;
		return n;
	}
	if (n == 0) {
		sess->dead = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	sess->dead = 1;
	sess->sock_errno = errno;
	return -errno;
}

static LIBSSH2_SEND_FUNC(sess_send)
{
	struct ssh_sess *sess = *abstract;
	ssize_t n = send(socket, buffer, length, flags | MSG_NOSIGNAL);

	if (n >= 0) {
		sess->tx_pending = (size_t)n < length;
		return n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		sess->tx_pending = 1;
		return -EAGAIN;
	}
	sess->dead = 1;
	sess->sock_errno = errno;
	return -errno;
}

/* ===== TCP ===== */

/* Connect to host:port within timeout_ms; returns the fd or -1. */
static int tcp_connect(const struct node *n, int timeout_ms, int keepalive_s,
		       struct sb *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	long long deadline = ssh__now_ms() + timeout_ms;
	int rc, fd = -1, last_errno = 0, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", n->port);
	rc = getaddrinfo(n->host, port, &hints, &res);
	if (rc) {
		msg_start(err);
		sb_addf(err, "%s: cannot resolve '%s': %s", n->name, n->host,
			gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t len = sizeof(last_errno);
		long long left;

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno != EINPROGRESS) {
			last_errno = errno;
			close(fd);
			fd = -1;
			continue;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		left = deadline - ssh__now_ms();
		do {
			rc = poll(&pfd, 1, left > 0 ? (int)left : 0);
		} while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			last_errno = ETIMEDOUT;
		} else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
						&last_errno, &len) < 0) {
			last_errno = errno;
		}
		if (rc > 0 && !last_errno)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		msg_start(err);
		if (last_errno == ETIMEDOUT)
			sb_addf(err, "%s: cannot connect to %s port %d: no "
				"answer within %d ms", n->name, n->host,
				n->port, timeout_ms);
		else
			sb_addf(err, "%s: cannot connect to %s port %d: %s",
				n->name, n->host, n->port,
				strerror(last_errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	if (keepalive_s > 0) {
		/* Notice a vanished peer within ~4 intervals, not 2 hours. */
		int cnt = 3;

		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keepalive_s,
			   sizeof(keepalive_s));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &keepalive_s,
			   sizeof(keepalive_s));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

/* ===== host keys ===== */

static int known_key_type(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	}
	return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

/* "host" for port 22, "[host]:port" otherwise (known_hosts spelling). */
static void host_label(struct sb *sb, const struct node *n)
{
	if (n->port == 22)
		sb_adds(sb, n->host);
	else
		sb_addf(sb, "[%s]:%d", n->host, n->port);
}

/* Append the key to the known_hosts file (accept-new). */
static int record_host_key(LIBSSH2_KNOWNHOSTS *kh, const struct node *n,
			   const struct ssh_opts *ssh, const char *key,
			   size_t keylen, int typemask, struct sb *err)
{
	struct libssh2_knownhost *entry = NULL;
	struct sb host = SB_INIT;
	char line[8192];
	size_t len = 0;
	FILE *f;
	int rc;

	host_label(&host, n);
	rc = libssh2_knownhost_addc(kh, host.buf, NULL, key, keylen,
				    "added by netsplit", 17,
				    LIBSSH2_KNOWNHOST_TYPE_PLAIN |
				    LIBSSH2_KNOWNHOST_KEYENC_RAW | typemask,
				    &entry);
	if (!rc)
		rc = libssh2_knownhost_writeline(kh, entry, line,
						 sizeof(line), &len,
						 LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	if (rc) {
		msg_start(err);
		sb_addf(err, "%s: cannot record the host key of '%s': "
			"libssh2 error %d", n->name, host.buf, rc);
		sb_release(&host);
		return -NS_EHOSTKEY;
	}
	pthread_mutex_lock(&known_hosts_lock);
	f = fopen(ssh->known_hosts, "a");
	if (f) {
		rc = fwrite(line, 1, len, f) != len;
		rc |= fclose(f) != 0;
	}
	pthread_mutex_unlock(&known_hosts_lock);
	if (!f || rc) {
		msg_start(err);
		sb_addf(err, "%s: cannot record the host key of '%s' in "
			"'%s': %s", n->name, host.buf, ssh->known_hosts,
			strerror(errno));
		sb_release(&host);
		return -NS_EHOSTKEY;
	}
	sb_release(&host);
	return 0;
}

static int check_host_key(LIBSSH2_SESSION *s, const struct node *n,
			  const struct ssh_opts *ssh, struct sb *err)
{
	LIBSSH2_KNOWNHOSTS *kh;
	struct libssh2_knownhost *known = NULL;
	struct sb host = SB_INIT;
	const char *key;
	size_t keylen;
	int type, typemask, rc, ret = 0;

	key = libssh2_session_hostkey(s, &keylen, &type);
	if (!key) {
		msg_start(err);
		sb_addf(err, "%s: the server sent no host key", n->name);
		return -NS_EHOSTKEY;
	}
	kh = libssh2_knownhost_init(s);
	if (!kh) {
		msg_start(err);
		sb_addf(err, "%s: cannot set up the host key check",
			n->name);
		return -NS_ESSH;
	}
	host_label(&host, n);
	pthread_mutex_lock(&known_hosts_lock);
	if (access(ssh->known_hosts, F_OK) == 0 &&
	    libssh2_knownhost_readfile(kh, ssh->known_hosts,
				       LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		pthread_mutex_unlock(&known_hosts_lock);
		msg_start(err);
		sb_addf(err, "%s: cannot read known_hosts '%s': %s", n->name,
			ssh->known_hosts, ssh__last_error(s));
		ret = -NS_EHOSTKEY;
		goto out;
	}
	pthread_mutex_unlock(&known_hosts_lock);
	typemask = known_key_type(type);
	rc = libssh2_knownhost_checkp(kh, n->host, n->port, key, keylen,
				      LIBSSH2_KNOWNHOST_TYPE_PLAIN |
				      LIBSSH2_KNOWNHOST_KEYENC_RAW | typemask,
				      &known);
	switch (rc) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		msg_start(err);
		sb_addf(err, "%s: host key mismatch for '%s': the key it "
			"offered differs from the one recorded in '%s' "
			"(someone may be intercepting the connection, or the "
			"host was reinstalled: remove the old entry to accept "
			"the new key)", n->name, host.buf, ssh->known_hosts);
		ret = -NS_EHOSTKEY;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		if (ssh->accept_new) {
			ret = record_host_key(kh, n, ssh, key, keylen,
					      typemask, err);
			break;
		}
		msg_start(err);
		sb_addf(err, "%s: unknown host key for '%s' (not in '%s'); "
			"add it (ssh-keyscan) or set "
			"ssh.accept_new_host_keys to record it", n->name,
			host.buf, ssh->known_hosts);
		ret = -NS_EHOSTKEY;
		break;
	default:
		msg_start(err);
		sb_addf(err, "%s: host key check for '%s' failed: %s",
			n->name, host.buf, ssh__last_error(s));
		ret = -NS_EHOSTKEY;
		break;
	}
out:
	libssh2_knownhost_free(kh);
	sb_release(&host);
	return ret;
}

/* ===== authentication ===== */

/* 1 if the public key blob is an RSA key. */
static int blob_is_rsa(const unsigned char *blob, size_t len)
{
	return len > 11 && !memcmp(blob, "\0\0\0\7ssh-rsa", 11);
}

/* 1 if the private key file (or its .pub) holds an RSA key. */
static int key_file_is_rsa(const char *path)
{
	struct sb pub = SB_INIT;
	char buf[4096];
	size_t n = 0;
	FILE *f;
	int rsa = 0;

	sb_addf(&pub, "%s.pub", path);
	f = fopen(pub.buf, "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		rsa = !strncmp(buf, "ssh-rsa ", 8);
		fclose(f);
		sb_release(&pub);
		return rsa;
	}
	sb_release(&pub);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	/*
	 * PEM RSA, or the OpenSSH format, whose unencrypted public part
	 * starts with the base64 of "...\0\0\0\7ssh-rsa" at a fixed offset
	 * when the cipher is "none" or "aes256-ctr" with bcrypt.
	 */
	return strstr(buf, "BEGIN RSA PRIVATE KEY") != NULL ||
	       strstr(buf, "AAAAB3NzaC1yc2EAAA") != NULL;
}

static const char rsa_hint[] =
	"libssh2 1.10 signs with RSA keys using SHA-1 ('ssh-rsa') only, "
	"which OpenSSH >= 8.8 refuses: use an ed25519 or ECDSA key";

/* Try every identity of the agent; 0 when one was accepted. */
static int auth_agent(LIBSSH2_SESSION *s, const struct node *n,
		      const struct ssh_opts *ssh, struct sb *why)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(s);
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc = -1, tried = 0, rsa = 0;

	if (!agent) {
		sb_adds(why, "cannot set up the ssh-agent client");
		return -1;
	}
	if (libssh2_agent_connect(agent)) {
		sb_addf(why, "no ssh-agent at SSH_AUTH_SOCK=%s",
			getenv("SSH_AUTH_SOCK") ? getenv("SSH_AUTH_SOCK")
			: "(unset)");
		goto out;
	}
	if (libssh2_agent_list_identities(agent)) {
		sb_adds(why, "cannot list the ssh-agent's keys");
		goto disconnect;
	}
	while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
		tried++;
		if (libssh2_agent_userauth(agent, ssh->user, id) == 0) {
			rc = 0;
			break;
		}
		if (blob_is_rsa(id->blob, id->blob_len))
			rsa++;
		prev = id;
	}
	if (rc) {
		if (!tried)
			sb_adds(why, "the ssh-agent holds no keys");
		else if (rsa == tried)
			sb_addf(why, "the server refused the ssh-agent's RSA "
				"key(s): %s", rsa_hint);
		else
			sb_addf(why, "the server refused all %d key(s) of "
				"the ssh-agent", tried);
	}
disconnect:
	libssh2_agent_disconnect(agent);
out:
	libssh2_agent_free(agent);
	(void)n;
	return rc;
}

static int authenticate(LIBSSH2_SESSION *s, const struct node *n,
			const struct ssh_opts *ssh, struct sb *err)
{
	struct sb why = SB_INIT;
	int rc, timed_out = 0;

	if (ssh->agent && auth_agent(s, n, ssh, &why) == 0) {
		sb_release(&why);
		return 0;
	}
	if (ssh->key) {
		if (why.len)
			sb_adds(&why, "; ");
		if (access(ssh->key, R_OK)) {
			sb_addf(&why, "cannot read key '%s': %s", ssh->key,
				strerror(errno));
		} else {
			rc = libssh2_userauth_publickey_fromfile(
				s, ssh->user, NULL, ssh->key,
				ssh->passphrase ? ssh->passphrase : "");
			if (rc == 0) {
				sb_release(&why);
				return 0;
			}
			if (rc == LIBSSH2_ERROR_TIMEOUT) {
				sb_addf(&why, "no answer within %d ms "
					"(ssh.handshake_timeout_ms)",
					ssh->handshake_timeout_ms);
				timed_out = 1;
			} else if (rc == LIBSSH2_ERROR_FILE)
				sb_addf(&why, "cannot load key '%s' (%s%s)",
					ssh->key, ssh__last_error(s),
					ssh->passphrase ? ""
					: "; does it need ssh.passphrase?");
			else if (key_file_is_rsa(ssh->key))
				sb_addf(&why, "the server refused the RSA key "
					"'%s': %s", ssh->key, rsa_hint);
			else
				sb_addf(&why, "the server refused key '%s' "
					"(%s)", ssh->key, ssh__last_error(s));
		}
	}
	msg_start(err);
	sb_addf(err, "%s: authentication as '%s' failed: %s", n->name,
		ssh->user, why.buf);
	sb_release(&why);
	return timed_out ? -NS_ETIMEDOUT : -NS_EAUTH;
}

/* ===== the session ===== */

void ssh__sess_release(struct ssh_sess *sess)
{
	if (sess->s) {
		/* Blocking, so that freeing never stops at EAGAIN; a dead
		   socket is shut down so that nothing waits on it. */
		libssh2_session_set_blocking(sess->s, 1);
		libssh2_session_set_timeout(sess->s, 200);
		if (!sess->dead && !sess->tx_pending)
			libssh2_session_disconnect(sess->s, "netsplit done");
		shutdown(sess->fd, SHUT_RDWR);
		libssh2_session_free(sess->s);
	}
	if (sess->fd >= 0)
		close(sess->fd);
	memset(sess, 0, sizeof(*sess));
	sess->fd = -1;
}

int ssh__sess_connect(struct ssh_sess *sess, const struct node *n,
		      const struct ssh_opts *ssh, int connect_ms,
		      struct sb *err)
{
	int rc;

	memset(sess, 0, sizeof(*sess));
	sess->fd = tcp_connect(n, connect_ms, ssh->keepalive_s, err);
	if (sess->fd < 0)
		return -NS_ECONNECT;
	sess->s = libssh2_session_init_ex(NULL, NULL, NULL, sess);
	if (!sess->s) {
		msg_start(err);
		sb_addf(err, "%s: cannot create an SSH session", n->name);
		ssh__sess_release(sess);
		return -NS_ESSH;
	}
	libssh2_session_callback_set(sess->s, LIBSSH2_CALLBACK_RECV,
				     (void *)sess_recv);
	libssh2_session_callback_set(sess->s, LIBSSH2_CALLBACK_SEND,
				     (void *)sess_send);
	/*
	 * Prefer the host key types known_hosts files usually record first.
	 * Only names libssh2 1.10 supports: it drops unknown ones with an
	 * overlapping memcpy.
	 */
	libssh2_session_method_pref(sess->s, LIBSSH2_METHOD_HOSTKEY,
				    "ssh-ed25519,ecdsa-sha2-nistp256,"
				    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
				    "ssh-rsa");
	libssh2_session_set_blocking(sess->s, 1);
	libssh2_session_set_timeout(sess->s, ssh->handshake_timeout_ms);
	rc = libssh2_session_handshake(sess->s, sess->fd);
	if (rc) {
		msg_start(err);
		sb_addf(err, "%s: SSH handshake with %s port %d failed: %s",
			n->name, n->host, n->port,
			rc == LIBSSH2_ERROR_TIMEOUT ? "timed out (ssh."
			"handshake_timeout_ms)" : ssh__last_error(sess->s));
		ssh__sess_release(sess);
		return -NS_ECONNECT;
	}
	rc = check_host_key(sess->s, n, ssh, err);
	if (!rc)
		rc = authenticate(sess->s, n, ssh, err);
	if (rc) {
		ssh__sess_release(sess);
		return rc;
	}
	libssh2_session_set_timeout(sess->s, 0);
	libssh2_session_set_blocking(sess->s, 0);
	if (ssh->keepalive_s > 0) {
		libssh2_keepalive_config(sess->s, 1,
					 (unsigned)ssh->keepalive_s);
		sess->next_keepalive_ms = ssh__now_ms() +
			ssh->keepalive_s * 1000LL;
	}
	sess->cap = ssh->max_channels;
	sess->idle_since_ms = ssh__now_ms();
	return 0;
}
