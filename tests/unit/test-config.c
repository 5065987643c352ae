/* Unit tests for core/config.c. */
#include "test.h"

#include "config.h"
#include <sys/stat.h>

#include "err.h"

/* Load text; returns the rc, err holds the message. */
static int load(struct config *c, const char *text, struct sb *err)
{
	config_init(c);
	return config_load_str(c, "t.json", text, err);
}

TEST(config_defaults)
{
	struct config c;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\","
			  "\"host\":\"10.0.0.1\"}]}", &err), 0);
	CHECK_EQ_INT(c.nnodes, 1);
	CHECK_EQ_STR(c.nodes[0].name, "n1");
	CHECK_EQ_STR(c.nodes[0].host, "10.0.0.1");
	CHECK_EQ_INT(c.nodes[0].port, 22);
	CHECK(c.nodes[0].dir == NULL);
	CHECK_EQ_STR(c.ssh.user, "root");
	CHECK(c.ssh.key == NULL);
	CHECK(c.ssh.agent);	/* no key: agent */
	CHECK(!c.ssh.accept_new);
	CHECK_EQ_INT(c.ssh.connect_timeout_ms, 5000);
	CHECK_EQ_INT(c.ssh.handshake_timeout_ms, 15000);
	CHECK_EQ_INT(c.ssh.keepalive_s, 10);
	CHECK_EQ_INT(c.ssh.max_channels, 8);
	CHECK(c.ssh.max_channels < 10);
	CHECK_EQ_INT(c.ssh.max_sessions, 4);
	CHECK(strstr(c.ssh.known_hosts, "/.ssh/known_hosts") != NULL);
	CHECK_EQ_STR(c.store_dir, "./store");
	CHECK(c.name == NULL);
	CHECK(json_is_object(c.db) && json_object_size(c.db) == 0);
	CHECK(json_is_object(c.workload));
	CHECK(json_is_object(c.nemesis));
	CHECK_EQ_INT(config_node_index(&c, "n1"), 0);
	CHECK_EQ_INT(config_node_index(&c, "n2"), -1);
	config_release(&c);
	sb_release(&err);
}

TEST(config_full)
{
	struct config c;
	struct sb err = SB_INIT;
	const char *t = "{\"name\":\"x\",\"store_dir\":\"/s\","
		"\"nodes\":[{\"name\":\"a\",\"host\":\"h1\",\"port\":2222,"
		"\"dir\":\"/d/a\"},{\"name\":\"b\",\"host\":\"h2\"}],"
		"\"ssh\":{\"user\":\"u\",\"key\":\"/k/id\","
		"\"passphrase\":\"pw\",\"agent\":false,"
		"\"known_hosts\":\"/k/kh\",\"accept_new_host_keys\":true,"
		"\"connect_timeout_ms\":250,\"keepalive_s\":0,"
		"\"handshake_timeout_ms\":900,"
		"\"max_channels\":3,\"max_sessions\":2},"
		"\"db\":{\"type\":\"etcd\",\"n\":3}}";

	CHECK_EQ_INT(load(&c, t, &err), 0);
	CHECK_EQ_STR(c.name, "x");
	CHECK_EQ_STR(c.store_dir, "/s");
	CHECK_EQ_INT(c.nnodes, 2);
	CHECK_EQ_INT(c.nodes[0].port, 2222);
	CHECK_EQ_STR(c.nodes[0].dir, "/d/a");
	CHECK_EQ_INT(config_node_index(&c, "b"), 1);
	CHECK_EQ_STR(c.ssh.user, "u");
	CHECK_EQ_STR(c.ssh.key, "/k/id");
	CHECK_EQ_STR(c.ssh.passphrase, "pw");
	CHECK(!c.ssh.agent);
	CHECK_EQ_STR(c.ssh.known_hosts, "/k/kh");
	CHECK(c.ssh.accept_new);
	CHECK_EQ_INT(c.ssh.connect_timeout_ms, 250);
	CHECK_EQ_INT(c.ssh.handshake_timeout_ms, 900);
	CHECK_EQ_INT(c.ssh.keepalive_s, 0);
	CHECK_EQ_INT(c.ssh.max_channels, 3);
	CHECK_EQ_INT(c.ssh.max_sessions, 2);
	CHECK_EQ_INT(json_object_size(c.db), 2);
	config_release(&c);
	sb_release(&err);
}

TEST(config_syntax_error_has_line_and_column)
{
	struct config c;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(load(&c, "{\n  \"name\": \"x\",\n  \"nodes\" [] }",
			  &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "t.json:3:");
	config_release(&c);
	sb_release(&err);
}

TEST(config_unknown_keys_are_errors)
{
	struct config c;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(load(&c, "{\"nodez\":[]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "t.json: 'nodez': unknown key");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"ssh\":{\"usr\":\"x\"}}", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'ssh.usr': unknown key");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"h\"},"
			  "{\"name\":\"n2\",\"host\":\"h\",\"prot\":1}]}",
			  &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[1].prot': unknown key");
	config_release(&c);
	sb_release(&err);
}

TEST(config_wrong_types_name_the_key)
{
	struct config c;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(load(&c, "{\"ssh\":{\"keepalive_s\":\"10\"}}", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "t.json: 'ssh.keepalive_s': expected an "
		       "integer");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"h\","
			  "\"port\":\"22\"}]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[0].port': expected an integer");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":{}}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes': expected an array");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"ssh\":{\"agent\":1}}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'ssh.agent': expected true or false");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"ssh\":{\"agent\":false}}", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "t.json: 'ssh': no way to authenticate");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"ssh\":{\"agent\":true,\"key\":\"/k\"}}",
			  &err), 0);
	CHECK(c.ssh.agent);
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"db\":[]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'db': expected an object");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "[]", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "top level");
	config_release(&c);
	sb_release(&err);
}

TEST(config_node_checks)
{
	struct config c;
	struct sb err = SB_INIT;

	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\"}]}", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[0].host': missing");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"a\"},"
			  "{\"name\":\"n1\",\"host\":\"b\"}]}", &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[1].name': node 'n1' is listed twice");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n 1\",\"host\":\"a\""
			  "}]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "not a valid node name");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"a\","
			  "\"port\":70000}]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[0].port': 70000 is out of range");
	config_release(&c);
	sb_reset(&err);
	CHECK_EQ_INT(load(&c, "{\"nodes\":[]}", &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes': empty");
	config_release(&c);
	sb_release(&err);
}

TEST(config_paths_relative_to_file)
{
	struct config c;
	struct sb err = SB_INIT;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cl/netsplit.json", test_tmpdir());
	{
		char dir[512];

		snprintf(dir, sizeof(dir), "%s/cl", test_tmpdir());
		CHECK_EQ_INT(mkdir(dir, 0700), 0);
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("{\"ssh\":{\"key\":\"id_ed25519\",\"known_hosts\":\"kh\"}}\n",
	      f);
	fclose(f);
	config_init(&c);
	CHECK_EQ_INT(config_load(&c, path, &err), 0);
	CHECK(!strncmp(c.ssh.key, path, strlen(path) - strlen("netsplit.json")));
	CHECK_CONTAINS(c.ssh.key, "/cl/id_ed25519");
	CHECK_CONTAINS(c.ssh.known_hosts, "/cl/kh");
	CHECK(!c.ssh.agent);
	config_release(&c);
	config_init(&c);
	snprintf(path, sizeof(path), "%s/none.json", test_tmpdir());
	CHECK_EQ_INT(config_load(&c, path, &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "none.json");
	config_release(&c);
	sb_release(&err);
}

TEST(cfg_getters_are_strict)
{
	struct config c;
	struct sb err = SB_INIT;
	static const char *const keys[] = { "type", "n", "rate", "on",
					    NULL };
	long long n = 7;
	double rate = 0;
	int on = 0;
	const char *type = "none";

	CHECK_EQ_INT(load(&c, "{\"db\":{\"type\":\"etcd\",\"n\":3,"
			  "\"rate\":2,\"on\":true}}", &err), 0);
	CHECK_EQ_INT(cfg_check_keys(&c, c.db, "db", keys, &err), 0);
	CHECK_EQ_INT(cfg_get_str(&c, c.db, "db", "type", &type, &err), 0);
	CHECK_EQ_STR(type, "etcd");
	CHECK_EQ_INT(cfg_get_int(&c, c.db, "db", "n", &n, &err), 0);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(cfg_get_double(&c, c.db, "db", "rate", &rate, &err), 0);
	CHECK(rate == 2.0);
	CHECK_EQ_INT(cfg_get_bool(&c, c.db, "db", "on", &on, &err), 0);
	CHECK_EQ_INT(on, 1);
	n = 9;
	CHECK_EQ_INT(cfg_get_int(&c, c.db, "db", "absent", &n, &err), 0);
	CHECK_EQ_INT(n, 9);
	CHECK_EQ_INT(cfg_get_int(&c, c.db, "db", "type", &n, &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "t.json: 'db.type': expected an integer");
	CHECK_EQ_INT(cfg_check_keys(&c, c.db, "db", keys + 1, &err),
		     -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'db.type': unknown key");
	config_release(&c);
	sb_release(&err);
}
