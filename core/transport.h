/*
 * transport.h - running commands on nodes (implemented over SSH by ssh.c).
 *
 * A transport holds one persistent connection per node (libssh2: one owner
 * thread per node session, channels multiplexed on it, at most
 * MaxSessions-1 concurrent channels per session).  Any thread may call
 * transport_exec(); calls for one node are queued to its owner thread and
 * run concurrently as channels.
 *
 * Shells.  A channel runs /bin/sh once and then takes commands on its
 * stdin, one at a time, each in a subshell that ends with a marker
 * (random, per command) carrying its exit status; a node keeps up to 4
 * idle shells for the next commands.  A command therefore costs a write
 * and a fork on the node, not a channel, an sshd fork and a login shell.
 * Commands get /dev/null as stdin.  A status above 128 is reported as the
 * signal it names (the shell's convention: `exit 143` reads as TERM too).
 * Output that a command's background child writes after the command
 * ended is dropped, or lands in a later command's (redirect it).
 *
 * Commands are argument vectors: each argv element reaches the remote
 * command as one literal argument, whatever it contains (they are quoted
 * for the remote shell here, never pasted together).  transport_sh() runs
 * a fixed shell script (`sh -c SCRIPT`) for plug-ins that need pipes or
 * redirections; values that come from data must then be passed as extra
 * arguments ($1, $2...), never spliced into the script.
 *
 * Commands run in the node's `dir` (config) when that directory exists,
 * else in the remote user's $HOME; relative paths given to
 * transport_upload() and transport_download() are taken in `dir` too.
 *
 * Results: stdout and stderr are always drained (capped at res->out.max
 * and res->err.max bytes, TRANSPORT_DEFAULT_CAP unless the caller changes
 * them after transport_result_init(); truncated flags), exit status or
 * signal, and timed_out when the deadline passed.  The deadline counts
 * from the call (queueing and connecting included).  On a timeout the
 * channel is closed and the session stays usable; the remote command is
 * NOT killed (libssh2 1.10 cannot send signals): sshd closes its pipes, so
 * it ends at its next write; wrap it in `timeout` where it must die.
 * A node that stops answering altogether (a partition) gets 1 s more
 * after the deadline; then its session is dropped (other commands on it
 * fail with "connection lost") and the next call reconnects.
 *
 * Connections: a node whose session was lost (sshd restarted, node
 * rebooted) is reconnected by the next call.  A command that had not been
 * started when the connection failed is retried once on a new session; a
 * command that may have run is never retried (-NS_ECONNECT, "connection
 * lost").  While a node cannot be reached, calls fail at once with the
 * connect error (bounded by ssh.connect_timeout_ms and the deadline).
 * A non-zero exit is not a transport error: the call returns 0 and the
 * caller looks at the result.  Transport errors (-NS_ECONNECT,
 * -NS_ETIMEDOUT, -NS_ESSH) name the node, e.g.
 *   "n3: 'systemctl start etcd': connection lost".
 * transport_result_error() formats the usual
 *   "n3: 'systemctl start etcd' exited 1: <stderr tail>".
 *
 * Ownership: results own their buffers (transport_result_release()).  The
 * transport borrows the nodes array of the config for its lifetime.
 */
#ifndef NS_TRANSPORT_H
#define NS_TRANSPORT_H

#include <stddef.h>

#include "config.h"
#include "sb.h"

struct transport;

struct transport_result {
	int exit_status;	/* valid when !signal[0] && !timed_out */
	char signal[16];	/* "KILL", "TERM"...; "" when none */
	int timed_out;
	struct sb out, err;	/* capped; .truncated set past the cap */
};

#define TRANSPORT_DEFAULT_CAP (8u << 20)	/* 8 MiB per stream */

void transport_result_init(struct transport_result *r);
void transport_result_release(struct transport_result *r);
/* 1 if the command ran and exited 0. */
int transport_result_ok(const struct transport_result *r);
/* Append argv as the subject of the messages naming it ("'cmd arg'";
   words quoted for the shell where needed and then no second pair
   around them: "cmd 'a b'"; cut after 200 bytes): a caller that wraps a
   command finds the wrapper's subject in them with it. */
void transport_add_subject(struct sb *sb, const char *const argv[]);
/* Append "node: 'cmd' exited N: <stderr tail>" (or signal / timeout; the
   command as transport_add_subject() gives it). */
void transport_result_error(const struct transport_result *r,
			    const char *node, const char *const argv[],
			    struct sb *err);

/*
 * Connect to every node of c in parallel.  Fails if any node fails, with
 * one line per failing node in err; *tp is then NULL.  Use
 * transport_open_partial() to keep the reachable ones.
 */
int transport_open(struct transport **tp, const struct config *c,
		   struct sb *err);
int transport_open_partial(struct transport **tp, const struct config *c,
			   struct sb *err);
void transport_close(struct transport *t);
size_t transport_nnodes(const struct transport *t);
const struct node *transport_node(const struct transport *t, size_t i);
/* 1 if node i has a live session. */
int transport_connected(const struct transport *t, size_t i);
/* Commands (exec, sh) submitted so far on all nodes: the benches count
   remote round trips with it. */
unsigned long transport_commands(const struct transport *t);

/* Run argv on node i, waiting at most timeout_ms (0 = no deadline). */
int transport_exec(struct transport *t, size_t node,
		   const char *const argv[], int timeout_ms,
		   struct transport_result *res, struct sb *err);
/* Run `sh -c script sh args...` on node i. */
int transport_sh(struct transport *t, size_t node, const char *script,
		 const char *const args[], int timeout_ms,
		 struct transport_result *res, struct sb *err);
/*
 * Run argv on every node in nodes[] (n of them) at once; res[k] and rc[k]
 * hold node nodes[k]'s outcome.  Returns 0 if all transport calls worked.
 */
int transport_exec_many(struct transport *t, const size_t *nodes, size_t n,
			const char *const argv[], int timeout_ms,
			struct transport_result *res, int *rc,
			struct sb *err);

/*
 * Run argvs[k] on node nodes[k] for every k < n, all at once (several may
 * name the same node); res[k], rc[k] and errs[k] (n buffers: the
 * transport error of that call) hold each outcome.  Returns 0 if all
 * transport calls worked, else the first error.
 */
int transport_exec_each(struct transport *t, const size_t *nodes, size_t n,
			const char *const *const argvs[], int timeout_ms,
			struct transport_result *res, int *rc,
			struct sb *errs);

/*
 * Copy a local file to node i (scp; mode's permission bits), or a file of
 * node i to a local file (created or truncated, 0644).  The local file is
 * the harness's own: one it cannot read is -NS_EREAD, one it cannot
 * write -NS_EWRITE (both harness errors, exit 4, naming the node and the
 * file); transport failures are as for commands.
 */
int transport_upload(struct transport *t, size_t node, const char *local,
		     const char *remote, int mode, struct sb *err);
int transport_download(struct transport *t, size_t node, const char *remote,
		       const char *local, struct sb *err);

#endif
