/*
 * config.c - loading the netsplit config file (see config.h, and
 * docs/config.md for every key).
 *
 * The document is parsed with jansson (syntax errors carry line and
 * column); then the shared sections are typed strictly: an unknown key or
 * a value of the wrong type is an error that names the file and the key
 * path ("netsplit.json: 'nodes[2].port': expected an integer").
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

#define CFG_DEFAULT_PORT 22
#define CFG_DEFAULT_CONNECT_TIMEOUT_MS 5000
#define CFG_DEFAULT_HANDSHAKE_TIMEOUT_MS 15000
#define CFG_DEFAULT_KEEPALIVE_S 10
#define CFG_DEFAULT_MAX_CHANNELS 8
#define CFG_DEFAULT_MAX_SESSIONS 4

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
}

static void free_ssh(struct ssh_opts *o)
{
	free(o->user);
	free(o->key);
	free(o->passphrase);
	free(o->known_hosts);
}

void config_release(struct config *c)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++) {
		free(c->nodes[i].name);
		free(c->nodes[i].host);
		free(c->nodes[i].dir);
	}
	free(c->nodes);
	free_ssh(&c->ssh);
	free(c->path);
	free(c->name);
	free(c->store_dir);
	if (c->root)
		json_decref(c->root);
	json_decref(c->flags);
	config_init(c);
}

/* ===== strict accessors ===== */

static const char *cfg_name(const struct config *c)
{
	return c && c->path ? c->path : "config";
}

/* Messages are lines: separate this one from what err already holds. */
static void msg_start(struct sb *err)
{
	if (err->len && err->buf[err->len - 1] != '\n')
		sb_addc(err, '\n');
}

/* "where.key", or just key when where is empty. */
static void add_path(struct sb *sb, const char *where, const char *key)
{
	if (where && *where) {
		sb_adds(sb, where);
		sb_addc(sb, '.');
	}
	sb_adds(sb, key);
}

/* The flag that set where.key, or NULL. */
static const char *flag_of(const struct config *c, const char *where,
			   const char *key)
{
	struct sb path = SB_INIT;
	const char *flag;

	if (!c || !c->flags)
		return NULL;
	add_path(&path, where, key);
	flag = json_string_value(json_object_get(c->flags, path.buf));
	sb_release(&path);
	return flag;
}

void cfg_set_flag(struct config *c, const char *where, const char *key,
		  const char *flag)
{
	struct sb path = SB_INIT;

	if (!c->flags)
		c->flags = json_object();
	add_path(&path, where, key);
	json_object_set_new(c->flags, path.buf, json_string(flag));
	sb_release(&path);
}

void cfg_subject(struct sb *sb, const struct config *c, const char *where,
		 const char *key)
{
	const char *flag = flag_of(c, where, key);

	if (flag) {
		sb_adds(sb, flag);
		return;
	}
	sb_addf(sb, "%s: '", cfg_name(c));
	add_path(sb, where, key);
	sb_addc(sb, '\'');
}

static int type_error(const struct config *c, const char *where,
		      const char *key, const char *want, struct sb *err)
{
	msg_start(err);
	cfg_subject(err, c, where, key);
	sb_addf(err, ": expected %s", want);
	return -NS_ECONFIG;
}

int cfg_check_keys(const struct config *c, json_t *obj, const char *where,
		   const char *const allowed[], struct sb *err)
{
	const char *key;
	json_t *v;
	int rc = 0;

	if (!json_is_object(obj)) {
		msg_start(err);
		sb_addf(err, "%s: '%s': expected an object", cfg_name(c),
			where && *where ? where : "(top level)");
		return -NS_ECONFIG;
	}
	json_object_foreach(obj, key, v) {
		size_t i;
		int ok = 0;

		(void)v;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(allowed[i], key))
				ok = 1;
		if (ok)
			continue;
		msg_start(err);
		if (flag_of(c, where, key)) {
			/* a flag this section's plug-in does not take */
			sb_addf(err, "%s: not a setting of this %s "
				"('", flag_of(c, where, key),
				where && *where ? where : "config");
			add_path(err, where, key);
			sb_adds(err, "' unknown; known:");
		} else {
			sb_addf(err, "%s: '", cfg_name(c));
			add_path(err, where, key);
			sb_adds(err, "': unknown key (known:");
		}
		for (i = 0; allowed[i]; i++)
			sb_addf(err, " %s", allowed[i]);
		sb_addc(err, ')');
		rc = -NS_ECONFIG;
	}
	return rc;
}

/* The value of key in obj, or NULL when absent or null. */
static json_t *get(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

int cfg_get_int(const struct config *c, json_t *obj, const char *where,
		const char *key, long long *out, struct sb *err)
{
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return type_error(c, where, key, "an integer", err);
	*out = json_integer_value(v);
	return 0;
}

int cfg_get_double(const struct config *c, json_t *obj, const char *where,
		   const char *key, double *out, struct sb *err)
{
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return type_error(c, where, key, "a number", err);
	*out = json_number_value(v);
	return 0;
}

int cfg_get_bool(const struct config *c, json_t *obj, const char *where,
		 const char *key, int *out, struct sb *err)
{
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return type_error(c, where, key, "true or false", err);
	*out = json_is_true(v);
	return 0;
}

int cfg_get_str(const struct config *c, json_t *obj, const char *where,
		const char *key, const char **out, struct sb *err)
{
	json_t *v = get(obj, key);

	if (!v)
		return 0;
	if (!json_is_string(v))
		return type_error(c, where, key, "a string", err);
	*out = json_string_value(v);
	return 0;
}

/* ===== typed sections ===== */

static int get_int_range(const struct config *c, json_t *obj,
			 const char *where, const char *key, int *out,
			 long long lo, long long hi, struct sb *err)
{
	long long v = *out;
	int rc = cfg_get_int(c, obj, where, key, &v, err);

	if (rc)
		return rc;
	if (v < lo || v > hi) {
		msg_start(err);
		cfg_subject(err, c, where, key);
		sb_addf(err, ": %lld is out of range [%lld, %lld]", v, lo,
			hi);
		return -NS_ECONFIG;
	}
	*out = (int)v;
	return 0;
}

/* A copy of the string at key (NULL when absent), or an error. */
static int dup_str(const struct config *c, json_t *obj, const char *where,
		   const char *key, char **out, struct sb *err)
{
	const char *s = NULL;
	int rc = cfg_get_str(c, obj, where, key, &s, err);

	if (!rc && s) {
		free(*out);
		*out = xstrdup(s);
	}
	return rc;
}

/*
 * A path from the config: "~/x" is $HOME/x; a relative path is taken
 * relative to the directory of the config file.
 */
static char *resolve_path(const struct config *c, const char *p)
{
	struct sb sb = SB_INIT;
	const char *slash;

	if (p[0] == '~' && p[1] == '/') {
		const char *home = getenv("HOME");

		sb_addf(&sb, "%s%s", home ? home : "", p + 1);
	} else if (p[0] != '/' && c->path &&
		   (slash = strrchr(c->path, '/'))) {
		sb_add(&sb, c->path, (size_t)(slash - c->path) + 1);
		sb_adds(&sb, p);
	} else {
		sb_adds(&sb, p);
	}
	return sb_detach(&sb, NULL);
}

static int valid_node_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return 0;
	return 1;
}

static int load_node(struct config *c, json_t *o, size_t i, struct sb *err)
{
	static const char *const keys[] = { "name", "host", "port", "dir",
					    NULL };
	struct node *n = &c->nodes[i];
	char where[32];
	int rc;

	snprintf(where, sizeof(where), "nodes[%zu]", i);
	n->port = CFG_DEFAULT_PORT;
	rc = cfg_check_keys(c, o, where, keys, err);
	if (rc)
		return rc;
	rc = dup_str(c, o, where, "name", &n->name, err);
	if (!rc)
		rc = dup_str(c, o, where, "host", &n->host, err);
	if (!rc)
		rc = get_int_range(c, o, where, "port", &n->port, 1, 65535,
				   err);
	if (!rc)
		rc = dup_str(c, o, where, "dir", &n->dir, err);
	if (rc)
		return rc;
	if (!n->name || !n->host) {
		msg_start(err);
		sb_addf(err, "%s: '%s.%s': missing (every node needs a name "
			"and a host)", cfg_name(c), where,
			!n->name ? "name" : "host");
		return -NS_ECONFIG;
	}
	if (!valid_node_name(n->name)) {
		msg_start(err);
		sb_addf(err, "%s: '%s.name': '%s' is not a valid node name "
			"(letters, digits, '-', '_', '.')", cfg_name(c),
			where, n->name);
		return -NS_ECONFIG;
	}
	if (config_node_index(c, n->name) != (int)i) {
		msg_start(err);
		sb_addf(err, "%s: '%s.name': node '%s' is listed twice",
			cfg_name(c), where, n->name);
		return -NS_ECONFIG;
	}
	return 0;
}

static int load_nodes(struct config *c, json_t *arr, struct sb *err)
{
	size_t i;
	int rc;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return type_error(c, "", "nodes", "an array of objects", err);
	if (!json_array_size(arr)) {
		msg_start(err);
		sb_addf(err, "%s: 'nodes': empty (list at least one node)",
			cfg_name(c));
		return -NS_ECONFIG;
	}
	c->nodes = xcalloc(json_array_size(arr), sizeof(*c->nodes));
	for (i = 0; i < json_array_size(arr); i++) {
		c->nnodes = i + 1;
		rc = load_node(c, json_array_get(arr, i), i, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int load_ssh(struct config *c, json_t *o, struct sb *err)
{
	static const char *const keys[] = {
		"user", "key", "passphrase", "agent", "known_hosts",
		"accept_new_host_keys", "connect_timeout_ms",
		"handshake_timeout_ms", "keepalive_s",
		"max_channels", "max_sessions", NULL
	};
	struct ssh_opts *s = &c->ssh;
	char *p;
	int rc = 0;

	s->user = xstrdup("root");
	s->agent = -1;		/* not given */
	s->connect_timeout_ms = CFG_DEFAULT_CONNECT_TIMEOUT_MS;
	s->handshake_timeout_ms = CFG_DEFAULT_HANDSHAKE_TIMEOUT_MS;
	s->keepalive_s = CFG_DEFAULT_KEEPALIVE_S;
	s->max_channels = CFG_DEFAULT_MAX_CHANNELS;
	s->max_sessions = CFG_DEFAULT_MAX_SESSIONS;
	if (o) {
		rc = cfg_check_keys(c, o, "ssh", keys, err);
		if (!rc)
			rc = dup_str(c, o, "ssh", "user", &s->user, err);
		if (!rc)
			rc = dup_str(c, o, "ssh", "key", &s->key, err);
		if (!rc)
			rc = dup_str(c, o, "ssh", "passphrase",
				     &s->passphrase, err);
		if (!rc)
			rc = cfg_get_bool(c, o, "ssh", "agent", &s->agent,
					  err);
		if (!rc)
			rc = dup_str(c, o, "ssh", "known_hosts",
				     &s->known_hosts, err);
		if (!rc)
			rc = cfg_get_bool(c, o, "ssh", "accept_new_host_keys",
					  &s->accept_new, err);
		if (!rc)
			rc = get_int_range(c, o, "ssh", "connect_timeout_ms",
					   &s->connect_timeout_ms, 1,
					   INT_MAX / 2, err);
		if (!rc)
			rc = get_int_range(c, o, "ssh", "handshake_timeout_ms",
					   &s->handshake_timeout_ms, 1,
					   INT_MAX / 2, err);
		if (!rc)
			rc = get_int_range(c, o, "ssh", "keepalive_s",
					   &s->keepalive_s, 0, 86400, err);
		if (!rc)
			rc = get_int_range(c, o, "ssh", "max_channels",
					   &s->max_channels, 1, 64, err);
		if (!rc)
			rc = get_int_range(c, o, "ssh", "max_sessions",
					   &s->max_sessions, 1, 16, err);
		if (rc)
			return rc;
	}
	if (s->agent < 0) {
		/* Not given: the agent when there is no key. */
		s->agent = !s->key;
	} else if (!s->agent && !s->key) {
		msg_start(err);
		sb_addf(err, "%s: 'ssh': no way to authenticate: 'agent' is "
			"false and no 'key' is given", cfg_name(c));
		return -NS_ECONFIG;
	}
	if (s->key) {
		p = resolve_path(c, s->key);
		free(s->key);
		s->key = p;
	}
	p = resolve_path(c, s->known_hosts ? s->known_hosts
			 : "~/.ssh/known_hosts");
	free(s->known_hosts);
	s->known_hosts = p;
	return 0;
}

/* Section key of root: an object (created empty when absent). */
static int plugin_section(struct config *c, const char *key, json_t **out,
			  struct sb *err)
{
	json_t *v = get(c->root, key);

	if (!v) {
		v = json_object();
		json_object_set_new(c->root, key, v);
	} else if (!json_is_object(v)) {
		return type_error(c, "", key, "an object", err);
	}
	*out = v;
	return 0;
}

static int load_doc(struct config *c, struct sb *err)
{
	static const char *const keys[] = { "name", "nodes", "ssh", "db",
					    "workload", "nemesis", "run",
					    "store_dir", NULL };
	json_t *ssh;
	int rc;

	if (!json_is_object(c->root)) {
		msg_start(err);
		sb_addf(err, "%s: expected a JSON object at the top level",
			cfg_name(c));
		return -NS_ECONFIG;
	}
	rc = cfg_check_keys(c, c->root, "", keys, err);
	if (!rc)
		rc = dup_str(c, c->root, "", "name", &c->name, err);
	if (!rc)
		rc = dup_str(c, c->root, "", "store_dir", &c->store_dir, err);
	if (rc)
		return rc;
	/* STORE/<name>/<timestamp>: one directory level, inside the store
	   (and within the depth `netsplit heal` searches) */
	if (c->name && (!*c->name || strchr(c->name, '/') ||
			c->name[0] == '.')) {
		msg_start(err);
		sb_addf(err, "%s: 'name': '%s' must be a plain directory name "
			"(no '/', not starting with '.'): it names the run's "
			"directory under store_dir", cfg_name(c), c->name);
		return -NS_ECONFIG;
	}
	if (!c->store_dir)
		c->store_dir = xstrdup("./store");
	rc = load_nodes(c, get(c->root, "nodes"), err);
	if (rc)
		return rc;
	ssh = get(c->root, "ssh");
	if (ssh && !json_is_object(ssh))
		return type_error(c, "", "ssh", "an object", err);
	rc = load_ssh(c, ssh, err);
	if (!rc)
		rc = plugin_section(c, "db", &c->db, err);
	if (!rc)
		rc = plugin_section(c, "workload", &c->workload, err);
	if (!rc)
		rc = plugin_section(c, "nemesis", &c->nemesis, err);
	if (!rc)
		rc = plugin_section(c, "run", &c->run, err);
	return rc;
}

static int finish(struct config *c, json_error_t *jerr, struct sb *err)
{
	int rc;

	if (!c->root) {
		msg_start(err);
		if (jerr->line > 0)
			sb_addf(err, "%s:%d:%d: %s", cfg_name(c),
				jerr->line, jerr->column, jerr->text);
		else
			sb_addf(err, "%s: %s", cfg_name(c), jerr->text);
		rc = -NS_ECONFIG;
	} else {
		rc = load_doc(c, err);
	}
	if (rc) {
		char *path = c->path;

		c->path = NULL;
		config_release(c);
		c->path = path;
	}
	return rc;
}

int config_load(struct config *c, const char *path, struct sb *err)
{
	json_error_t jerr;

	config_release(c);
	c->path = xstrdup(path);
	c->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->root && jerr.line <= 0 && errno == ENOENT) {
		msg_start(err);
		sb_addf(err, "%s: no such file (see docs/config.md)", path);
		return -NS_ECONFIG;
	}
	return finish(c, &jerr, err);
}

int config_load_str(struct config *c, const char *name, const char *text,
		    struct sb *err)
{
	json_error_t jerr;

	config_release(c);
	c->path = xstrdup(name);
	c->root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	return finish(c, &jerr, err);
}

int config_node_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnodes; i++)
		if (c->nodes[i].name && !strcmp(c->nodes[i].name, name))
			return (int)i;
	return -1;
}
