/*
 * config.h - the netsplit config file (JSON): parsing and strict access.
 *
 * One file (--config, default ./netsplit.json) with sections `name`,
 * `nodes`, `ssh`, `db`, `workload`, `nemesis`, `run`, `store_dir`.  This
 * module parses the file, types the sections everything shares (nodes,
 * ssh, store_dir, name) and hands the plug-in sections (db, workload,
 * nemesis, run) out as JSON objects that each plug-in reads with the strict cfg_get_*()
 * helpers: an unknown key or a wrong type is an error naming the file and
 * the key path (e.g. "netsplit.json: 'ssh.port': expected an integer"),
 * exit code 3.  docs/config.md documents every key.
 *
 *   {
 *     "name": "etcd-register",
 *     "nodes": [ { "name": "n1", "host": "10.77.0.1", "port": 22,
 *                  "dir": "/var/lib/netsplit" }, ... ],
 *     "ssh": { "user": "root", "key": "/path/id_ed25519",
 *              "passphrase": null, "agent": false,
 *              "known_hosts": "/path/known_hosts",
 *              "accept_new_host_keys": false,
 *              "connect_timeout_ms": 5000,
 *              "handshake_timeout_ms": 15000, "keepalive_s": 10,
 *              "max_channels": 8, "max_sessions": 4 },
 *     "db": { "type": "etcd", ... },
 *     "workload": { "type": "register", ... },
 *     "nemesis": { "faults": ["partition", "kill"], "interval_s": 10 },
 *     "run": { "time_limit_s": 30, "concurrency": 5, ... },
 *     "store_dir": "./store"
 *   }
 *
 * Relative `ssh.key` and `ssh.known_hosts` paths are taken relative to the
 * config file's directory; a leading "~/" means $HOME.  A JSON null counts
 * as absent everywhere.
 *
 * Ownership: struct config owns every string and the JSON; plug-ins
 * borrow the section objects.  config_release() frees it all.
 */
#ifndef NS_CONFIG_H
#define NS_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "sb.h"

struct node {
	char *name;		/* "n1" */
	char *host;		/* address or host name */
	int port;		/* ssh port, default 22 */
	char *dir;		/* node's working directory; NULL: remote $HOME */
};

struct ssh_opts {
	char *user;		/* default "root" */
	char *key;		/* private key file; NULL: agent only */
	char *passphrase;	/* NULL: none */
	int agent;		/* try ssh-agent ($SSH_AUTH_SOCK) first */
	char *known_hosts;	/* default ~/.ssh/known_hosts */
	int accept_new;		/* record unknown host keys (accept-new) */
	int connect_timeout_ms;	/* TCP connect, default 5000 */
	int handshake_timeout_ms;	/* SSH handshake + auth, default 15000 */
	int keepalive_s;	/* default 10; 0 disables */
	int max_channels;	/* concurrent channels per session, default 8
				   (below sshd's MaxSessions, 10) */
	int max_sessions;	/* sessions per node, default 4 */
};

struct config {
	char *path;		/* file it came from, for messages */
	char *name;		/* NULL: <db>-<workload> */
	struct node *nodes;
	size_t nnodes;
	struct ssh_opts ssh;
	char *store_dir;	/* default "./store" */
	json_t *root;		/* the whole document */
	json_t *run;		/* the `run` section (netsplit run: time
				   limit, concurrency...; docs/config.md) */
	json_t *db, *workload, *nemesis;	/* borrowed from root; may be
						   empty objects, never NULL */
	json_t *flags;		/* "section.key" -> "--flag": values a
				   command line set (cfg_set_flag), blamed
				   on the flag in messages; NULL: none */
};

void config_init(struct config *c);
void config_release(struct config *c);
/* Parse path; errors name the file and line or key (-NS_ECONFIG). */
int config_load(struct config *c, const char *path, struct sb *err);
/* Same from a string (tests); name is used in messages. */
int config_load_str(struct config *c, const char *name, const char *text,
		    struct sb *err);
/*
 * Record that the value at where.key came from a command-line flag
 * (e.g. "run", "concurrency", "--concurrency"): messages about it then
 * name the flag, not the file.  Call after config_load().
 */
void cfg_set_flag(struct config *c, const char *where, const char *key,
		  const char *flag);
/*
 * Append the subject of a message about where.key: the flag that set it
 * ("--concurrency"), else "FILE: 'where.key'".
 */
void cfg_subject(struct sb *sb, const struct config *c, const char *where,
		 const char *key);
/* Index of the node called name, or -1. */
int config_node_index(const struct config *c, const char *name);

/*
 * Strict section access.  `where` is the key path of obj for messages
 * ("db", "workload").  cfg_check_keys() fails on any key not in allowed
 * (a NULL-terminated list).  The getters leave *out untouched when the key
 * is absent (so set the default first) and fail on a wrong type.
 */
int cfg_check_keys(const struct config *c, json_t *obj, const char *where,
		   const char *const allowed[], struct sb *err);
int cfg_get_int(const struct config *c, json_t *obj, const char *where,
		const char *key, long long *out, struct sb *err);
int cfg_get_double(const struct config *c, json_t *obj, const char *where,
		   const char *key, double *out, struct sb *err);
int cfg_get_bool(const struct config *c, json_t *obj, const char *where,
		 const char *key, int *out, struct sb *err);
/* *out is borrowed from the JSON document. */
int cfg_get_str(const struct config *c, json_t *obj, const char *where,
		const char *key, const char **out, struct sb *err);

#endif
