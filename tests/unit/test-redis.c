/*
 * test-redis.c - the redis plug-in and the set workload without a
 * cluster: INFO fields, config errors naming their key, the generator's
 * unique elements, and adds against a closed port (a definite fail,
 * nothing sent).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "test.h"
#include "workloads/redis-internal.h"
#include "workloads/workload.h"

TEST(redis_info_field)
{
	static const char info[] =
		"# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\n"
		"master_link_status:up\r\nslave_repl_offset:42\r\n";
	char v[16];

	CHECK_EQ_INT(redis__info_field(info, "role", v, sizeof(v)), 1);
	CHECK_EQ_STR(v, "slave");
	CHECK_EQ_INT(redis__info_field(info, "master_link_status", v,
				       sizeof(v)), 1);
	CHECK_EQ_STR(v, "up");
	/* A field is a whole name, not a prefix. */
	CHECK_EQ_INT(redis__info_field(info, "master", v, sizeof(v)), 0);
	CHECK_EQ_STR(v, "");
	/* Cut to the buffer. */
	CHECK_EQ_INT(redis__info_field(info, "master_host", v, 5), 1);
	CHECK_EQ_STR(v, "10.0");
}

static const char nodes3[] =
	"\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"},"
	"{\"name\":\"n2\",\"host\":\"127.0.0.2\"},"
	"{\"name\":\"n3\",\"host\":\"127.0.0.3\"}]";

static int new_db(struct config *c, const char *db_json, struct db **d,
		  struct sb *err)
{
	struct sb text = SB_INIT;
	int rc;

	config_init(c);
	sb_addf(&text, "{%s,\"db\":%s}", nodes3, db_json);
	rc = config_load_str(c, "t.json", text.buf, err);
	sb_release(&text);
	if (rc)
		return rc;
	return db_new(d, db_find("redis"), c, err);
}

TEST(redis_db_config_errors_name_the_key)
{
	static const char *bad[] = {
		"{\"type\":\"redis\",\"quorom\":2}",
		"{\"type\":\"redis\",\"quorum\":4}",
		"{\"type\":\"redis\",\"port\":70000}",
		"{\"type\":\"redis\",\"down_after_ms\":\"2s\"}",
		"{\"type\":\"redis\",\"master_name\":\"my master\"}",
		"{\"type\":\"redis\",\"extra_config\":[\"a\\nb\"]}",
	};
	static const char *key[] = { "'db.quorom'", "'db.quorum'",
				     "'db.port'", "down_after_ms",
				     "'db.master_name'",
				     "'db.extra_config[0]'" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct db *d = NULL;
		struct sb err = SB_INIT;

		CHECK_EQ_INT(new_db(&c, bad[i], &d, &err), -NS_ECONFIG);
		CHECK(!d);
		CHECK_CONTAINS(err.buf, key[i]);
		config_release(&c);
		sb_release(&err);
	}
}

TEST(redis_db_needs_ipv4_hosts)
{
	struct config c;
	struct db *d = NULL;
	struct sb err = SB_INIT;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json",
				     "{\"nodes\":[{\"name\":\"n1\","
				     "\"host\":\"db1.example\"}],"
				     "\"db\":{\"type\":\"redis\"}}", &err), 0);
	CHECK_EQ_INT(db_new(&d, db_find("redis"), &c, &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'nodes[0].host'");
	config_release(&c);
	sb_release(&err);
}

TEST(set_workload_config_errors_name_the_key)
{
	static const char *bad[] = {
		"{\"type\":\"set\",\"mode\":\"sticky\"}",
		"{\"type\":\"set\",\"modes\":\"pinned\"}",
		"{\"type\":\"set\",\"timeout_ms\":0}",
		"{\"type\":\"set\",\"final_wait_s\":-1}",
	};
	static const char *key[] = { "'workload.mode'", "'workload.modes'",
				     "'workload.timeout_ms'",
				     "'workload.final_wait_s'" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct workload *w = NULL;
		struct sb err = SB_INIT, text = SB_INIT;

		config_init(&c);
		sb_addf(&text, "{%s,\"workload\":%s}", nodes3, bad[i]);
		CHECK_EQ_INT(config_load_str(&c, "t.json", text.buf, &err), 0);
		CHECK_EQ_INT(workload_new(&w, workload_find("set"), &c, NULL,
					  3, &err), -NS_ECONFIG);
		CHECK(!w);
		CHECK_CONTAINS(err.buf, key[i]);
		config_release(&c);
		sb_release(&err);
		sb_release(&text);
	}
}

/* Nothing listens on these ports on 127.0.0.x: adds fail, unsent. */
TEST(set_workload_unique_elements_and_refused_adds)
{
	struct config c;
	struct db *d = NULL;
	struct workload *w = NULL;
	struct workload_client *cl[3];
	struct sb err = SB_INIT;
	json_t *seen = json_object();
	size_t i, k;

	CHECK_EQ_INT(new_db(&c, "{\"type\":\"redis\",\"port\":1,"
			    "\"sentinel_port\":2}", &d, &err), 0);
	CHECK_EQ_INT(workload_new(&w, workload_find("set"), &c, d, 3, &err),
		     0);
	for (i = 0; i < 3; i++)
		CHECK_EQ_INT(w->type->client_open(w, i, i, 7, &cl[i], &err),
			     0);
	for (k = 0; k < 4; k++)
		for (i = 0; i < 3; i++) {
			struct workload_op op;
			char num[32];

			workload_op_init(&op);
			w->type->next(cl[i], &op);
			CHECK_EQ_STR(op.f, "add");
			CHECK(json_is_integer(op.value));
			snprintf(num, sizeof(num), "%lld",
				 (long long)json_integer_value(op.value));
			CHECK(!json_object_get(seen, num));
			json_object_set_new(seen, num, json_true());
			if (k == 0) {
				w->type->invoke(cl[i], &op);
				CHECK_EQ_INT(op.type, HIST_FAIL);
				CHECK(op.unreachable);
				CHECK_CONTAINS(op.error, "no primary known");
			}
			workload_op_release(&op);
		}
	CHECK_EQ_INT(json_object_size(seen), 12);
	/* One final read, by worker 0. */
	for (i = 0; i < 3; i++) {
		struct workload_op op;

		workload_op_init(&op);
		CHECK_EQ_INT(w->type->final(cl[i], &op), i == 0);
		if (i == 0) {
			CHECK(op.final);
			CHECK_EQ_STR(op.f, "read");
		}
		workload_op_release(&op);
		w->type->client_close(cl[i]);
	}
	json_decref(seen);
	workload_free(w);
	db_free(d);
	config_release(&c);
	sb_release(&err);
}
