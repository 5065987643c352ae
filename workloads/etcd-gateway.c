/*
 * etcd-gateway.c - etcd's JSON gateway as the register workload speaks
 * it: base64 for keys and values, a register's value as stored, and what
 * one answer means for the op that asked (etcd__answer(), see
 * etcd-internal.h): ok, fail or info, the value a read saw, the revision.
 *
 * Two readers of an HTTP 200 answer, with one meaning.  The answers a run
 * gets by the thousand per second (a header, then one key's kv for a
 * read, or a txn's success and its put's response, and nothing else) are
 * recognised by one anchored pcre2 pattern of their whole text, as etcd's
 * gateway writes it: its fields in its order, numbers as strings of
 * digits, base64 without escapes (etcd__answer_fast()).  Any other answer
 * (another field, another order, white space, escapes, several kvs, an
 * error) does not match and is read with jansson (etcd__answer_json()),
 * as every answer was before.  The pattern's groups are digits and base64
 * only, so nothing it accepts reads differently as JSON.  Why two:
 * jansson took 6-9 us and ~49,000 instructions to read a 246-byte range
 * answer, more than the controller's whole recording of the op; the
 * match takes well under a microsecond.  tests/unit/test-etcd-answer.c
 * runs both readers over every answer shape, and over thousands of
 * mutated answers, and requires the same op from both whenever the
 * pattern accepts.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <openssl/evp.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "workloads/etcd-internal.h"

/* ===== base64 (OpenSSL's EVP block coder) ===== */

void etcd__b64enc(struct sb *out, const void *data, size_t n)
{
	size_t need = 4 * ((n + 2) / 3);
	unsigned char small[256], *tmp = need < sizeof(small) ? small :
		xmalloc(need + 1);

	EVP_EncodeBlock(tmp, data, (int)n);
	sb_add(out, tmp, need);
	if (tmp != small)
		free(tmp);
}

int etcd__b64dec(struct sb *out, const char *s)
{
	size_t n = strlen(s), pad = 0;
	unsigned char small[256], *tmp;
	int got;

	if (n % 4)
		return -1;
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	tmp = n < sizeof(small) ? small : xmalloc(n + 1);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	if (got >= 0 && (size_t)got >= pad)
		sb_add(out, tmp, (size_t)got - pad);
	if (tmp != small)
		free(tmp);
	return got < 0 || (size_t)got < pad ? -1 : 0;
}

json_t *etcd__value_json(const char *text, size_t n)
{
	char buf[32], *end;
	long long v;

	if (n && n < sizeof(buf)) {
		memcpy(buf, text, n);
		buf[n] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		/* a number past int64 stays text, not LLONG_MAX */
		if (*end == '\0' && errno != ERANGE &&
		    (buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
			return json_integer(v);
	}
	return json_stringn(text, n);
}

/* ===== The usual answers, by pattern ===== */

/* Groups: 1 header revision, 2 the kv's mod_revision, 3 its value, 4 a
   txn's success.  A range of one key has count 1; a key with an empty
   value has no "value" field. */
static const char usual[] =
	"^\\{\"header\":\\{\"cluster_id\":\"[0-9]{1,20}\","
	"\"member_id\":\"[0-9]{1,20}\",\"revision\":\"([0-9]{1,19})\","
	"\"raft_term\":\"[0-9]{1,20}\"\\}"
	"(?:,\"kvs\":\\[\\{\"key\":\"[A-Za-z0-9+/]*={0,2}\","
	"\"create_revision\":\"[0-9]{1,19}\","
	"\"mod_revision\":\"([0-9]{1,19})\",\"version\":\"[0-9]{1,19}\""
	"(?:,\"value\":\"([A-Za-z0-9+/]*={0,2})\")?\\}\\],\"count\":\"1\""
	"|,\"succeeded\":(true),\"responses\":\\[\\{\"response_put\":"
	"\\{\"header\":\\{\"revision\":\"[0-9]{1,19}\"\\}\\}\\}\\])?"
	"\\}\\z";

static pcre2_code *usual_re;	/* NULL: every answer goes to jansson */
static pthread_once_t usual_once = PTHREAD_ONCE_INIT;

static void usual_compile(void)
{
	int e;
	PCRE2_SIZE at;

	usual_re = pcre2_compile((PCRE2_SPTR)usual, PCRE2_ZERO_TERMINATED,
				 0, &e, &at, NULL);
	if (usual_re)
		pcre2_jit_compile(usual_re, PCRE2_JIT_COMPLETE);
}

/* Group g of the match: its text and length, or NULL if it is unset. */
static const char *group(const char *body, const PCRE2_SIZE *ov, int g,
			 size_t *n)
{
	if (ov[2 * g] == PCRE2_UNSET)
		return NULL;
	*n = ov[2 * g + 1] - ov[2 * g];
	return body + ov[2 * g];
}

static int64_t digits(const char *s, size_t n)
{
	char buf[24];

	memcpy(buf, s, n);	/* n <= 19: the pattern says so */
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

int etcd__answer_fast(struct workload_op *op, const char *body,
		      size_t len)
{
	pcre2_match_data *md;
	const PCRE2_SIZE *ov;
	const char *rev, *mod, *val, *ok;
	size_t nrev = 0, nmod = 0, nval = 0, nok = 0;
	int is_read = !strcmp(op->f, "read"), done = 0;

	pthread_once(&usual_once, usual_compile);
	if (!usual_re)
		return 0;
	md = pcre2_match_data_create(5, NULL);
	if (!md)
		return 0;
	if (pcre2_match(usual_re, (PCRE2_SPTR)body, len, 0, 0, md, NULL) < 0)
		goto out;
	ov = pcre2_get_ovector_pointer(md);
	rev = group(body, ov, 1, &nrev);
	mod = group(body, ov, 2, &nmod);
	val = group(body, ov, 3, &nval);
	ok = group(body, ov, 4, &nok);
	if (is_read) {
		struct sb txt = SB_INIT, dec = SB_INIT;
		int bad = 0;

		if (ok)
			goto out;	/* a txn's answer to a read? */
		if (val) {
			sb_add(&txt, val, nval);
			bad = etcd__b64dec(&dec, txt.buf) < 0;
			sb_release(&txt);
		}
		if (bad) {
			sb_release(&dec);
			goto out;	/* jansson's reader says why */
		}
		json_decref(op->out);
		op->type = HIST_OK;
		op->has_version = 1;
		op->version = mod ? digits(mod, nmod) : 0;
		op->out = !mod ? json_null() :
			  !val ? json_string("") :
			  etcd__value_json(dec.buf, dec.len);
		sb_release(&dec);
		done = 1;
	} else if (!mod) {
		if (!strcmp(op->f, "cas") && !ok) {
			op->type = HIST_FAIL;
			workload_op_errorf(op, "compare failed");
		} else if (strcmp(op->f, "cas") && ok) {
			goto out;	/* a txn's answer to a put? */
		} else {
			op->type = HIST_OK;
			op->version = digits(rev, nrev);
			op->has_version = 1;
		}
		done = 1;
	}
out:
	pcre2_match_data_free(md);
	return done;
}

/* ===== Any answer, by jansson ===== */

/* int64 fields come as strings. */
static int get_i64(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v)) {
		*out = strtoll(json_string_value(v), NULL, 10);
		return 1;
	}
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	return 0;
}

/* Errors etcd gives before it proposes anything: nothing happened. */
static int definite_refusal(long http, const char *msg)
{
	static const char *const refusals[] = {
		"no leader", "too many requests", "proposal dropped",
		"request is too large", "not capable", "permission denied",
		"key not found", NULL
	};
	size_t i;

	if (http >= 400 && http < 500 && http != 408)
		return 1;
	for (i = 0; refusals[i]; i++)
		if (strstr(msg, refusals[i]))
			return 1;
	return 0;
}

static void answer_ok(struct workload_op *op, json_t *doc)
{
	json_t *hdr = json_object_get(doc, "header");
	int64_t rev;

	if (!strcmp(op->f, "read")) {
		json_t *kv = json_array_get(json_object_get(doc, "kvs"), 0);
		struct sb val = SB_INIT;
		const char *v64;

		json_decref(op->out);
		op->type = HIST_OK;
		op->version = 0;
		op->has_version = 1;
		if (!kv) {
			op->out = json_null();
			return;
		}
		get_i64(kv, "mod_revision", &op->version);
		v64 = json_string_value(json_object_get(kv, "value"));
		if (!v64) {	/* an empty value is left out */
			op->out = json_string("");
		} else if (etcd__b64dec(&val, v64) < 0) {
			op->out = NULL;
			op->type = HIST_FAIL;
			op->has_version = 0;
			workload_op_errorf(op, "bad base64 value in answer");
		} else {
			op->out = etcd__value_json(val.buf, val.len);
		}
		sb_release(&val);
		return;
	}
	if (!strcmp(op->f, "cas") &&
	    !json_is_true(json_object_get(doc, "succeeded"))) {
		op->type = HIST_FAIL;
		workload_op_errorf(op, "compare failed");
		return;
	}
	op->type = HIST_OK;
	if (get_i64(hdr, "revision", &rev)) {
		op->version = rev;
		op->has_version = 1;
	}
}

void etcd__answer_json(struct workload_op *op, const struct etcd__reply *r)
{
	int is_read = !strcmp(op->f, "read");
	json_t *doc = NULL;
	const char *msg = "";

	op->has_version = 0;
	op->error[0] = '\0';
	op->unreachable = r->http == 0 && !r->sent;
	if (r->http == 0) {
		/* No answer: a read changed nothing; a write that left may
		   have. */
		op->type = (is_read || !r->sent) ? HIST_FAIL : HIST_INFO;
		workload_op_errorf(op, "%s%s", r->failure && r->failure[0] ?
			  r->failure : "no answer",
			  r->sent ? "" : " (not sent)");
		return;
	}
	if (r->len)
		doc = json_loadb(r->body, r->len, 0, NULL);
	if (r->http == 200 && json_is_object(doc)) {
		answer_ok(op, doc);
		json_decref(doc);
		return;
	}
	if (json_is_object(doc)) {
		msg = json_string_value(json_object_get(doc, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(doc, "error"));
		if (!msg)
			msg = "";
	}
	if (r->http == 200)
		msg = "unreadable answer";
	workload_op_errorf(op, "http %ld: %s", r->http, msg);
	op->type = (is_read || definite_refusal(r->http, msg)) ?
		HIST_FAIL : HIST_INFO;
	json_decref(doc);
}

void etcd__answer(struct workload_op *op, const struct etcd__reply *r)
{
	if (r->http == 200 && r->len) {
		op->has_version = 0;
		op->error[0] = '\0';
		op->unreachable = 0;
		if (etcd__answer_fast(op, r->body, r->len))
			return;
	}
	etcd__answer_json(op, r);
}
