/*
 * test-etcd-answer.c - the etcd gateway answer's two readers agree: every
 * answer the pattern reader (etcd__answer_fast) accepts gives the op that
 * jansson's reader (etcd__answer_json) gives, for reads, writes and cas.
 * The answers are the ones etcd 3.5 wrote on this project's local
 * cluster (range hit and miss, a key with an empty value, put, txn that
 * succeeded and that failed), shapes the pattern must leave to jansson,
 * and thousands of mutations of them (a byte changed, dropped or
 * repeated).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "workloads/etcd-internal.h"
#include "workloads/workload.h"

#define HDR "{\"header\":{\"cluster_id\":\"6001611773266757492\"," \
	"\"member_id\":\"13049071153751544597\",\"revision\":\"42\"," \
	"\"raft_term\":\"2\"}"

/* What etcd answered, verbatim but for the revisions. */
static const char *const usual[] = {
	/* range of a missing key, put, txn whose compare failed */
	HDR "}",
	/* range of a key */
	HDR ",\"kvs\":[{\"key\":\"Y3RsL3IxLzEy\",\"create_revision\":\"2\","
	"\"mod_revision\":\"40\",\"version\":\"1\",\"value\":\"MTIz\"}],"
	"\"count\":\"1\"}",
	/* range of a key whose value is empty (etcd leaves it out) */
	HDR ",\"kvs\":[{\"key\":\"Y3RsL3IxLzEy\",\"create_revision\":\"2\","
	"\"mod_revision\":\"4\",\"version\":\"3\"}],\"count\":\"1\"}",
	/* a value that is not a number */
	HDR ",\"kvs\":[{\"key\":\"eA==\",\"create_revision\":\"2\","
	"\"mod_revision\":\"41\",\"version\":\"9\",\"value\":\"aGk=\"}],"
	"\"count\":\"1\"}",
	/* txn that succeeded */
	HDR ",\"succeeded\":true,\"responses\":[{\"response_put\":"
	"{\"header\":{\"revision\":\"42\"}}}]}",
};

/* Answers the pattern must leave to jansson. */
static const char *const unusual[] = {
	"{\"header\":{\"revision\":\"9\"}}",		/* fields missing */
	HDR ",\"kvs\":[{\"key\":\"eA==\",\"create_revision\":\"2\","
	"\"mod_revision\":\"4\",\"version\":\"3\",\"value\":\"MTIz\","
	"\"lease\":\"7\"}],\"count\":\"1\"}",		/* another field */
	HDR ",\"count\":\"0\"}",
	HDR " }",					/* white space */
	HDR ",\"kvs\":[{\"key\":\"eA==\",\"create_revision\":\"2\","
	"\"mod_revision\":\"4\",\"version\":\"3\",\"value\":\"MT\\u0049z\"}],"
	"\"count\":\"1\"}",				/* an escape */
	HDR ",\"kvs\":[{\"key\":\"eA==\",\"create_revision\":\"2\","
	"\"mod_revision\":\"4\",\"version\":\"3\",\"value\":\"MTIz\"},"
	"{\"key\":\"eQ==\",\"create_revision\":\"2\",\"mod_revision\":\"5\","
	"\"version\":\"1\",\"value\":\"NDU2\"}],\"count\":\"2\"}",
	HDR ",\"kvs\":[{\"key\":\"eA==\",\"create_revision\":\"2\","
	"\"mod_revision\":\"4\",\"version\":\"3\",\"value\":\"MTI\"}],"
	"\"count\":\"1\"}",				/* bad base64 */
	HDR ",\"succeeded\":false}",
	HDR "}\n",
	"",
};

static const char *const fs[] = { "read", "write", "cas" };

/* Whether the two readers agree on body for op f; *fast_took says
   whether the pattern reader accepted it. */
static int agree(const char *f, const char *body, size_t len,
		 int *fast_took)
{
	struct workload_op a, b;
	struct etcd__reply r = { 1, 200, body, len, "" };
	int same;

	workload_op_init(&a);
	workload_op_init(&b);
	a.f = b.f = f;
	*fast_took = etcd__answer_fast(&a, body, len);
	etcd__answer_json(&b, &r);
	same = !*fast_took ||
	       (a.type == b.type && a.has_version == b.has_version &&
		(!a.has_version || a.version == b.version) &&
		!strcmp(a.error, b.error) &&
		(a.out ? b.out && json_equal(a.out, b.out) : !b.out));
	if (!same)
		fprintf(stderr, "readers differ on %s of: %.*s\n", f,
			(int)len, body);
	workload_op_release(&a);
	workload_op_release(&b);
	return same;
}

TEST(etcd_answer_readers_agree_on_usual_answers)
{
	size_t i, j;
	int took;

	for (i = 0; i < sizeof(usual) / sizeof(usual[0]); i++)
		for (j = 0; j < 3; j++) {
			CHECK(agree(fs[j], usual[i], strlen(usual[i]), &took));
			/* every usual answer is taken by the pattern, but a
			   read of a txn's answer and a put of one */
			CHECK_EQ_INT(took, !(i == 4 && j != 2) &&
					   !(i >= 1 && i <= 3 && j != 0));
		}
}

TEST(etcd_answer_pattern_leaves_the_rest_to_jansson)
{
	size_t i, j;
	int took;

	for (i = 0; i < sizeof(unusual) / sizeof(unusual[0]); i++)
		for (j = 0; j < 3; j++) {
			CHECK(agree(fs[j], unusual[i], strlen(unusual[i]),
				    &took));
			CHECK_EQ_INT(took, 0);
		}
}

TEST(etcd_answer_fast_reads_what_etcd_sent)
{
	struct workload_op op;

	workload_op_init(&op);
	op.f = "read";
	CHECK(etcd__answer_fast(&op, usual[1], strlen(usual[1])));
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK_EQ_INT(json_integer_value(op.out), 123);
	CHECK_EQ_INT(op.version, 40);
	workload_op_release(&op);
	op.f = "read";
	CHECK(etcd__answer_fast(&op, usual[0], strlen(usual[0])));
	CHECK(json_is_null(op.out));
	CHECK_EQ_INT(op.version, 0);
	workload_op_release(&op);
	op.f = "cas";
	CHECK(etcd__answer_fast(&op, usual[0], strlen(usual[0])));
	CHECK_EQ_INT(op.type, HIST_FAIL);
	CHECK_EQ_STR(op.error, "compare failed");
	workload_op_release(&op);
	op.f = "cas";
	CHECK(etcd__answer_fast(&op, usual[4], strlen(usual[4])));
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK_EQ_INT(op.version, 42);
	workload_op_release(&op);
}

/* Every answer one byte away from a usual one (changed to each of a few
   telling bytes, dropped, or repeated): wherever the pattern still
   accepts, the readers agree. */
TEST_T(etcd_answer_readers_agree_on_mutations, 30)
{
	static const char subst[] = "0 9\"\\{}[],:=+/aZ";
	char buf[512];
	size_t i, j, k, p, n, bad = 0, took_n = 0, tried = 0;
	int took;

	for (i = 0; i < sizeof(usual) / sizeof(usual[0]); i++) {
		n = strlen(usual[i]);
		for (p = 0; p < n; p++) {
			for (k = 0; k + 1 < sizeof(subst) + 2; k++) {
				size_t len;

				if (k < sizeof(subst) - 1) {	/* change */
					memcpy(buf, usual[i], n);
					buf[p] = subst[k];
					len = n;
				} else if (k == sizeof(subst) - 1) {	/* drop */
					memcpy(buf, usual[i], p);
					memcpy(buf + p, usual[i] + p + 1,
					       n - p - 1);
					len = n - 1;
				} else {			/* repeat */
					memcpy(buf, usual[i], p + 1);
					memcpy(buf + p + 1, usual[i] + p,
					       n - p);
					len = n + 1;
				}
				for (j = 0; j < 3; j++) {
					bad += !agree(fs[j], buf, len, &took);
					took_n += took;
					tried++;
				}
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	/* the mutations reach both readers: many still match (a digit
	   for a digit), most do not */
	CHECK(took_n > 100);
	CHECK(took_n < tried / 2);
}

/* A stored number past int64 stays its text, not INT64_MAX. */
TEST(etcd_value_past_int64_stays_text)
{
	json_t *v = etcd__value_json("99999999999999999999", 20);

	CHECK(json_is_string(v));
	CHECK_EQ_STR(json_string_value(v), "99999999999999999999");
	json_decref(v);
	v = etcd__value_json("-9223372036854775808", 20);
	CHECK(json_is_integer(v));
	CHECK(json_integer_value(v) == INT64_MIN);
	json_decref(v);
}
