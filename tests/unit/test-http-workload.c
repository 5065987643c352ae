/*
 * test-http-workload.c - the http and exec workloads without a cluster:
 * templates (placeholders, literal braces, URL and shell quoting), answer
 * patterns (ok / fail / info, a read's value), and every config error
 * naming its key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "workloads/http-internal.h"
#include "workloads/workload.h"
#include "test.h"

static void load(struct config *c, const char *text)
{
	struct sb err = SB_INIT;

	config_init(c);
	if (config_load_str(c, "t.json", text, &err))
		test_fail_(__FILE__, __LINE__, "config: %s", err.buf);
	sb_release(&err);
}

/* Expand src for op (f, key, value) with quoting q. */
static char *expand(const char *src, unsigned mask, const char *f,
		    json_t *value, enum http__quote q, const char *prefix)
{
	struct config c;
	struct http__tmpl t;
	struct http__vars v;
	struct workload_op op;
	struct sb err = SB_INIT, out = SB_INIT;

	load(&c, "{}");
	CHECK_EQ_INT(http__tmpl_parse(&t, src, mask, &c, "workload.x",
				      &err), 0);
	workload_op_init(&op);
	op.f = f;
	snprintf(op.key, sizeof(op.key), "k7");
	op.value = value;
	http__vars_init(&v);
	http__vars_set(&v, prefix, &op, "10.0.0.1", "n1",
		       "http://10.0.0.1:2379");
	http__tmpl_expand(&t, v.v, q, &out);
	http__vars_release(&v);
	http__tmpl_release(&t);
	workload_op_release(&op);
	config_release(&c);
	sb_release(&err);
	return sb_detach(&out, NULL);
}

TEST(http_template_placeholders_and_literal_braces)
{
	char *s;

	s = expand("{\"key\":\"{key_b64}\",\"value\":\"{value_b64}\"}",
		   HTTP__PH_WRITE, "write", json_integer(12), HTTP__RAW, "p/");
	/* base64("p/k7") = cC9rNw==, base64("12") = MTI= */
	CHECK_EQ_STR(s, "{\"key\":\"cC9rNw==\",\"value\":\"MTI=\"}");
	free(s);
	s = expand("{{key} {key}={expected}->{new} {node}@{host} {endpoint}",
		   HTTP__PH_CAS, "cas", json_pack("[ii]", 3, 4), HTTP__RAW,
		   "");
	CHECK_EQ_STR(s, "{key} k7=3->4 n1@10.0.0.1 http://10.0.0.1:2379");
	free(s);
	/* a '{' not opening a name, and an unclosed one, are literal */
	s = expand("{ {} {key {-x}", HTTP__PH_READ, "read", json_null(),
		   HTTP__RAW, "");
	CHECK_EQ_STR(s, "{ {} {key {-x}");
	free(s);
}

TEST(http_template_url_encodes_values_not_the_endpoint)
{
	char *s = expand("{endpoint}/kv/{key}?v={value}", HTTP__PH_WRITE,
			 "write", json_integer(-5), HTTP__URL, "a b/&");

	CHECK_EQ_STR(s, "http://10.0.0.1:2379/kv/a%20b%2F%26k7?v=-5");
	free(s);
}

/* A hostile key prefix, shell-quoted into a command, reaches the program
   as one literal argument and runs nothing. */
TEST(http_template_shell_quoting_never_injects)
{
	static const char *const hostile[] = {
		"'; touch INJ; '", "$(touch INJ)", "`touch INJ`",
		"a\"b\\c $HOME *", "x'y'z\n; touch INJ", NULL
	};
	char cmd[4096], got[512], inj[512];
	size_t i;

	snprintf(inj, sizeof(inj), "%s/INJ", test_tmpdir());
	for (i = 0; hostile[i]; i++) {
		char *s = expand("printf %s {key}", HTTP__PH_READ, "read",
				 json_null(), HTTP__SHELL, hostile[i]);
		FILE *p;
		size_t n;

		snprintf(cmd, sizeof(cmd), "cd '%s' && %s", test_tmpdir(),
			 s);
		p = popen(cmd, "r");
		CHECK(p != NULL);
		n = fread(got, 1, sizeof(got) - 1, p);
		got[n] = '\0';
		CHECK_EQ_INT(pclose(p), 0);
		snprintf(cmd, sizeof(cmd), "%sk7", hostile[i]);
		CHECK_EQ_STR(got, cmd);
		CHECK(access(inj, F_OK) != 0);
		free(s);
	}
}

static void tmpl_error(const char *src, unsigned mask, const char *want)
{
	struct config c;
	struct http__tmpl t;
	struct sb err = SB_INIT;

	load(&c, "{}");
	CHECK_EQ_INT(http__tmpl_parse(&t, src, mask, &c, "workload.read.url",
				      &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, want);
	config_release(&c);
	sb_release(&err);
}

TEST(http_template_unknown_placeholder_names_key_and_offset)
{
	tmpl_error("/kv/{kee}", HTTP__PH_READ,
		   "t.json: 'workload.read.url': unknown placeholder "
		   "'{kee}' at offset 4");
	/* a read has no value */
	tmpl_error("/kv/{key}?v={value}", HTTP__PH_READ,
		   "no value for placeholder '{value}' at offset 12 (this "
		   "op has: key, key_b64, host, node, endpoint");
}

/* ===== Patterns ===== */

static void opdef(struct http__opdef *d, const char *ok, const char *fail,
		  const char *value, int b64)
{
	struct config c;
	struct sb err = SB_INIT;

	load(&c, "{}");
	memset(d, 0, sizeof(*d));
	if (ok)
		CHECK_EQ_INT(http__pat_compile(&d->ok, ok, &c, "w", "ok", 0,
					       &err), 0);
	if (fail)
		CHECK_EQ_INT(http__pat_compile(&d->fail, fail, &c, "w",
					       "fail", 0, &err), 0);
	if (value)
		CHECK_EQ_INT(http__pat_compile(&d->value, value, &c, "w",
					       "value", 1, &err), 0);
	d->b64 = b64;
	config_release(&c);
	sb_release(&err);
}

static void opdef_release(struct http__opdef *d)
{
	http__pat_release(&d->ok);
	http__pat_release(&d->fail);
	http__pat_release(&d->value);
}

static char last_error[256];

/* Classify subject (NULL: no answer) for f; the op's type and out. */
static enum hist_type judge(const struct http__opdef *d, const char *f,
			    const char *subject, int sent, json_t **out)
{
	struct http__match m;
	struct http__answer a;
	struct workload_op op;
	enum hist_type t;

	CHECK_EQ_INT(http__match_init(&m, 16), 0);
	workload_op_init(&op);
	op.f = f;
	memset(&a, 0, sizeof(a));
	a.answered = subject != NULL;
	a.sent = sent;
	a.failure = "timed out";
	a.subject = subject;
	a.len = subject ? strlen(subject) : 0;
	http__classify(d, &m, &op, &a);
	t = op.type;
	if (out) {
		*out = op.out ? json_incref(op.out) : NULL;
	}
	if (t != HIST_OK)
		CHECK(op.error[0] != '\0');
	snprintf(last_error, sizeof(last_error), "%s", op.error);
	workload_op_release(&op);
	http__match_release(&m);
	return t;
}

/* "200\n{"pad":"xxx...","succeeded":true}" with n bytes of padding */
static char *big_answer(size_t n, const char *tail)
{
	struct sb s = SB_INIT;
	size_t i;

	sb_adds(&s, "200\n{\"pad\":\"");
	for (i = 0; i < n; i++)
		sb_add(&s, i % 64 == 63 ? "\n" : "x", 1);
	sb_addf(&s, "\",%s}", tail);
	return s.buf;
}

TEST(http_classify_a_match_error_is_not_judged)
{
	struct http__opdef d;
	char *body;

	/* (?:.|\n)* recurses per character: on the JIT's default 32 KiB
	   stack a ~1.6 KB body fails with PCRE2_ERROR_JIT_STACKLIMIT, which
	   was taken as "no match", and the fail pattern then made a
	   successful cas FAIL (a false anomaly) */
	opdef(&d, "\\A200\\n(?:.|\\n)*\"succeeded\":true",
	      "\\A200\\n|\\A4(?!08)\\d\\d\\n",
	      "\"v\":(?<value>\\d+)(?:.|\\n)*\"succeeded\":true", 0);
	body = big_answer(1600, "\"succeeded\":true");
	CHECK_EQ_INT(judge(&d, "cas", body, 1, NULL), HIST_OK);
	free(body);
	body = big_answer(1600, "\"succeeded\":false");
	CHECK_EQ_INT(judge(&d, "cas", body, 1, NULL), HIST_FAIL);
	free(body);
	/* past the client's 1 MiB JIT stack: not judged, never fail for a
	   write (it may have acted) nor ok-nil for a read */
	body = big_answer(4u << 20, "\"succeeded\":true");
	CHECK_EQ_INT(judge(&d, "cas", body, 1, NULL), HIST_INFO);
	CHECK_CONTAINS(last_error, "ok_pattern could not be matched");
	CHECK_CONTAINS(last_error, "stack");
	CHECK_EQ_INT(judge(&d, "write", body, 1, NULL), HIST_INFO);
	CHECK_EQ_INT(judge(&d, "read", body, 1, NULL), HIST_FAIL);
	free(body);
	opdef_release(&d);
}

TEST(http_classify_ok_fail_info)
{
	struct http__opdef d;

	opdef(&d, "\\A2\\d\\d\\n", "\\A4(?!08)\\d\\d\\n|no leader",
	      "\"v\":(?<value>-?\\d+)", 0);
	CHECK_EQ_INT(judge(&d, "write", "200\n{}", 1, NULL), HIST_OK);
	CHECK_EQ_INT(judge(&d, "write", "404\n", 1, NULL), HIST_FAIL);
	CHECK_EQ_INT(judge(&d, "write", "503\nno leader", 1, NULL),
		     HIST_FAIL);
	/* 408 and 5xx say nothing about a write: info; about a read: it
	   changed nothing, fail */
	CHECK_EQ_INT(judge(&d, "write", "408\n", 1, NULL), HIST_INFO);
	CHECK_EQ_INT(judge(&d, "cas", "500\noops", 1, NULL), HIST_INFO);
	CHECK_EQ_INT(judge(&d, "read", "500\noops", 1, NULL), HIST_FAIL);
	/* no answer: a write that left is info, one that never left fail;
	   a read fail either way */
	CHECK_EQ_INT(judge(&d, "write", NULL, 1, NULL), HIST_INFO);
	CHECK_EQ_INT(judge(&d, "cas", NULL, 0, NULL), HIST_FAIL);
	CHECK_EQ_INT(judge(&d, "read", NULL, 1, NULL), HIST_FAIL);
	opdef_release(&d);
}

TEST(http_classify_extracts_a_reads_value)
{
	struct http__opdef d;
	json_t *out = NULL;

	opdef(&d, "\\A200\\n", NULL, "\"v\":\"?(?<value>[^\",}]*)", 0);
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"v\":42}", 1, &out), HIST_OK);
	CHECK(json_is_integer(out) && json_integer_value(out) == 42);
	json_decref(out);
	/* not an integer (the registers hold integers): fail with a hint,
	   never a string value the checker takes for a lost write */
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"v\":\"Nw==\"}", 1, &out),
		     HIST_FAIL);
	CHECK(out == NULL);
	CHECK_CONTAINS(last_error, "value is not an integer: 'Nw=='");
	CHECK_CONTAINS(last_error, "value_encoding");
	/* ok, but value_pattern does not match (a 200 carrying an error,
	   a misspelt field name): fail, never an ok nil read */
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"error\":\"not leader\"}", 1,
			   &out), HIST_FAIL);
	CHECK(out == NULL);
	CHECK_CONTAINS(last_error, "value_pattern did not match: 200 "
		       "{\"error\":\"not leader\"}");
	opdef_release(&d);
	/* nil: the pattern matched and its value group took no part */
	opdef(&d, "\\A200\\n", NULL,
	      "\\A200\\n\\{(?:\"v\":(?<value>\\d+))?", 0);
	CHECK_EQ_INT(judge(&d, "read", "200\n{}", 1, &out), HIST_OK);
	CHECK(json_is_null(out));
	json_decref(out);
	opdef_release(&d);

	/* base64, as etcd's gateway answers; an optional group that took no
	   part is nil too */
	opdef(&d, "\\A200\\n", NULL,
	      "(?:\"value\":\"(?<value>[^\"]*)\"|count)", 1);
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"kvs\":[{\"value\":\"MTc=\"}]}",
			   1, &out), HIST_OK);
	CHECK(json_is_integer(out) && json_integer_value(out) == 17);
	json_decref(out);
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"count\":0}", 1, &out),
		     HIST_OK);
	CHECK(json_is_null(out));
	json_decref(out);
	CHECK_EQ_INT(judge(&d, "read", "200\n{\"value\":\"@@\"}", 1, &out),
		     HIST_FAIL);
	json_decref(out);
	opdef_release(&d);
}

/* ===== Config ===== */

static const char http_ok[] =
	"\"read\":{\"url\":\"/v3/kv/range\",\"body\":\"{\\\"key\\\":"
	"\\\"{key_b64}\\\"}\",\"value_pattern\":\"\\\"value\\\":\\\""
	"(?<value>[^\\\"]+)\\\"\",\"value_encoding\":\"base64\"},"
	"\"write\":{\"url\":\"/v3/kv/put\",\"method\":\"POST\",\"body\":"
	"\"{\\\"key\\\":\\\"{key_b64}\\\",\\\"value\\\":\\\"{value_b64}"
	"\\\"}\",\"headers\":[\"Content-Type: application/json\"]}";

static int workload_with(const char *type, const char *extra,
			 struct sb *err)
{
	struct config c;
	struct workload *w = NULL;
	char text[4096];
	int rc;

	snprintf(text, sizeof(text), "{\"workload\":{\"type\":\"%s\",%s}}",
		 type, extra);
	load(&c, text);
	rc = workload_new(&w, workload_find(type), &c, NULL, 3, err);
	CHECK(rc ? !w : w != NULL);
	workload_free(w);
	config_release(&c);
	return rc;
}

TEST(http_config_good_one_loads_and_generates_without_cas)
{
	struct config c;
	struct workload *w = NULL;
	struct workload_client *cl;
	struct sb err = SB_INIT;
	char text[4096];
	int i, cas = 0, reads = 0;

	snprintf(text, sizeof(text), "{\"workload\":{\"type\":\"http\",%s}}",
		 http_ok);
	load(&c, text);
	CHECK_EQ_INT(workload_new(&w, workload_find("http"), &c, NULL, 3,
				  &err), 0);
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err), -NS_ECONFIG);
	CHECK_CONTAINS(err.buf, "'workload.read.url': relative, but db "
		       "'(none)' has no endpoint");
	workload_free(w);
	config_release(&c);
	/* absolute URLs need no endpoint; no cas: reads and writes only */
	snprintf(text, sizeof(text), "{\"workload\":{\"type\":\"http\","
		 "\"read\":{\"url\":\"http://{host}:1/r/{key}\","
		 "\"value_pattern\":\"(?<value>\\\\d+)\"},"
		 "\"write\":{\"url\":\"http://{host}:1/w/{key}/{value}\"}},"
		 "\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}]}");
	load(&c, text);
	CHECK_EQ_INT(workload_new(&w, workload_find("http"), &c, NULL, 3,
				  &err), 0);
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err), 0);
	for (i = 0; i < 100; i++) {
		struct workload_op op;

		workload_op_init(&op);
		w->type->next(cl, &op);
		cas += !strcmp(op.f, "cas");
		reads += !strcmp(op.f, "read");
		workload_op_release(&op);
	}
	CHECK_EQ_INT(cas, 0);
	CHECK(reads > 20 && reads < 80);
	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
}

TEST(http_config_errors_name_the_key)
{
	static const struct { const char *type, *extra, *want; } bad[] = {
		{ "http", "\"reed\":{}", "'workload.reed': unknown key" },
		{ "http", "\"write\":{\"url\":\"/w\"}",
		  "'workload.read': missing" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"}", "'workload.write': missing" },
		{ "http", "\"read\":{\"value_pattern\":\"(?<value>x)\"},"
		  "\"write\":{\"url\":\"/w\"}", "'workload.read.url': missing" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x\"},\"write\":{\"url\":\"/w\"}",
		  "'workload.read.value_pattern': missing closing "
		  "parenthesis at offset 10" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(\\\\d+)\"},\"write\":{\"url\":\"/w\"}",
		  "'workload.read.value_pattern': no group named 'value'" },
		{ "http", "\"read\":{\"url\":\"/r\"},\"write\":{\"url\":\"/w\"}",
		  "'workload.read.value_pattern': missing" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\",\"ok_pattern\":\"[\"},\"write\":{\"url\":"
		  "\"/w\"}", "'workload.read.ok_pattern': missing terminating "
		  "] for character class at offset 1" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"fail_pattern\":"
		  "\"a{2,1}\"}", "'workload.write.fail_pattern': numbers out "
		  "of order in {} quantifier at offset 5" },
		{ "http", "\"read\":{\"url\":\"/r/{value}\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\"}",
		  "'workload.read.url': no value for placeholder '{value}'" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"body\":"
		  "\"{vaule}\"}", "'workload.write.body': unknown placeholder "
		  "'{vaule}' at offset 0" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"headers\":"
		  "[\"X-Key {key}\"]}", "'workload.write.headers[0]': expected "
		  "a string \"Name: value\"" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"headers\":"
		  "[\"X-Key: {kye}\"]}", "'workload.write.headers[0]': "
		  "unknown placeholder '{kye}' at offset 7" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"method\":"
		  "\"put\"}", "'workload.write.method': expected an HTTP "
		  "method" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\",\"value_encoding\":\"hex\"},\"write\":"
		  "{\"url\":\"/w\"}", "'workload.read.value_encoding': "
		  "expected \"text\" or \"base64\"" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"value_pattern\":"
		  "\"(?<value>x)\"}", "'workload.write.value_pattern': only a "
		  "read" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\"},\"mix\":"
		  "{\"cas\":1}", "'workload.mix.cas': must be 0 without a "
		  "'workload.cas' request" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\"},\"cas\":"
		  "{\"url\":\"/c/{expected}/{nwe}\"}",
		  "'workload.cas.url': unknown placeholder '{nwe}'" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\"},\"timeout_ms\":0",
		  "'workload.timeout_ms': must be 1..3600000" },
		{ "http", "\"read\":{\"url\":\"/r\",\"value_pattern\":"
		  "\"(?<value>x)\"},\"write\":{\"url\":\"/w\",\"command\":\"x\"}",
		  "'workload.write.command': unknown key" },
		{ "exec", "\"read\":{\"command\":\"get {key}\","
		  "\"value_pattern\":\"(?<value>x)\"},\"write\":{\"url\":\"/w\"}",
		  "'workload.write.url': unknown key" },
		{ "exec", "\"read\":{\"command\":\"get {key}\","
		  "\"value_pattern\":\"(?<value>x)\"},\"write\":{}",
		  "'workload.write.command': missing" },
		{ "exec", "\"read\":{\"command\":\"get {key}\","
		  "\"value_pattern\":\"(?<value>x)\"},\"write\":{\"command\":"
		  "\"put {key} {value}\"},\"connect_timeout_ms\":5",
		  "'workload.connect_timeout_ms': unknown key" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sb err = SB_INIT;

		CHECK(workload_find(bad[i].type) != NULL);
		CHECK_EQ_INT(workload_with(bad[i].type, bad[i].extra, &err),
			     -NS_ECONFIG);
		if (!strstr(err.buf, bad[i].want))
			test_fail_(__FILE__, __LINE__, "case %zu: '%s' lacks "
				   "'%s'", i, err.buf, bad[i].want);
		CHECK_CONTAINS(err.buf, "t.json: ");
		sb_release(&err);
	}
	/* the good one loads */
	{
		struct sb err = SB_INIT;

		CHECK_EQ_INT(workload_with("http", http_ok, &err), 0);
		sb_release(&err);
	}
}

/* ===== The exec workload, against files in a scratch directory ===== */

struct exec_fixture {
	struct config c;
	struct workload *w;
	struct workload_client *cl;
};

static void exec_open(struct exec_fixture *f, const char *read_cmd,
		      const char *write_cmd, const char *prefix,
		      long timeout_ms)
{
	json_t *doc = json_pack(
		"{s:[{s:s,s:s}],s:{s:s,s:s,s:i,s:{s:s,s:s},"
		"s:{s:s,s:s}}}",
		"nodes", "name", "n1", "host", "127.0.0.1",
		"workload", "type", "exec", "key_prefix", prefix,
		"timeout_ms", (int)timeout_ms,
		"read", "command", read_cmd, "value_pattern",
		"\\A0\\n(?:(?<value>.+)|\\z)",
		"write", "command", write_cmd, "fail_pattern", "\\A3\\n");
	char *text = json_dumps(doc, 0);
	struct sb err = SB_INIT;

	load(&f->c, text);
	free(text);
	json_decref(doc);
	CHECK_EQ_INT(workload_new(&f->w, workload_find("exec"), &f->c, NULL,
				  1, &err), 0);
	CHECK_EQ_INT(f->w->type->client_open(f->w, 0, 0, 3, &f->cl, &err),
		     0);
	sb_release(&err);
}

static void exec_close(struct exec_fixture *f)
{
	f->w->type->client_close(f->cl);
	workload_free(f->w);
	config_release(&f->c);
}

/* Invoke f on key k (value v for a write); the op's type, its read
   value into *out. */
static enum hist_type exec_op(struct exec_fixture *f, const char *fn,
			      const char *k, long v, json_t **out)
{
	struct workload_op op;
	enum hist_type t;

	workload_op_init(&op);
	op.f = fn;
	snprintf(op.key, sizeof(op.key), "%s", k);
	op.value = !strcmp(fn, "write") ? json_integer(v) : json_null();
	f->w->type->invoke(f->cl, &op);
	t = op.type;
	if (out)
		*out = op.out ? json_incref(op.out) : NULL;
	workload_op_release(&op);
	return t;
}

TEST(exec_reads_writes_and_parses_output)
{
	struct exec_fixture f;
	char rd[1024], wr[1024];
	json_t *out = NULL;

	snprintf(rd, sizeof(rd), "cat '%s'/{key} 2>/dev/null || true",
		 test_tmpdir());
	snprintf(wr, sizeof(wr), "[ {value} -ge 0 ] || exit 3; "
		 "printf '%%s\\n' {value} > '%s'/{key}", test_tmpdir());
	exec_open(&f, rd, wr, "p-", 3000);
	CHECK_EQ_INT(exec_op(&f, "read", "k1", 0, &out), HIST_OK);
	CHECK(json_is_null(out));	/* no file: nothing printed, nil */
	json_decref(out);
	CHECK_EQ_INT(exec_op(&f, "write", "k1", 42, NULL), HIST_OK);
	CHECK_EQ_INT(exec_op(&f, "read", "k1", 0, &out), HIST_OK);
	CHECK(json_is_integer(out) && json_integer_value(out) == 42);
	json_decref(out);
	/* exit 3 is the config's definite failure */
	CHECK_EQ_INT(exec_op(&f, "write", "k1", -1, NULL), HIST_FAIL);
	exec_close(&f);
}

/* A hostile key prefix reaches the command as one word: the file is
   named by it, nothing else runs. */
TEST(exec_key_cannot_inject_shell)
{
	struct exec_fixture f;
	char rd[1024], wr[1024], path[1024];
	const char *prefix = "x'; touch INJ; echo '$(touch INJ)`touch INJ`";

	snprintf(rd, sizeof(rd), "cd '%s' && cat -- {key}", test_tmpdir());
	snprintf(wr, sizeof(wr), "cd '%s' && echo {value} > {key}",
		 test_tmpdir());
	exec_open(&f, rd, wr, prefix, 3000);
	CHECK_EQ_INT(exec_op(&f, "write", "k2", 7, NULL), HIST_OK);
	snprintf(path, sizeof(path), "%s/%sk2", test_tmpdir(), prefix);
	CHECK(access(path, F_OK) == 0);
	snprintf(path, sizeof(path), "%s/INJ", test_tmpdir());
	CHECK(access(path, F_OK) != 0);
	exec_close(&f);
}

/* Past its deadline the command's whole process group is killed and
   reaped: a write is info, a read fail. */
TEST_T(exec_timeout_kills_the_group, 10)
{
	struct exec_fixture f;
	char rd[256], wr[2048], pidf[1024];
	FILE *p;
	long pid = 0;

	snprintf(pidf, sizeof(pidf), "%s/child.pid", test_tmpdir());
	snprintf(wr, sizeof(wr), "sleep 30 & echo $! > '%s'; wait", pidf);
	snprintf(rd, sizeof(rd), "sleep 30");
	exec_open(&f, rd, wr, "", 300);
	CHECK_EQ_INT(exec_op(&f, "write", "k3", 1, NULL), HIST_INFO);
	p = fopen(pidf, "r");
	CHECK(p != NULL);
	CHECK_EQ_INT(fscanf(p, "%ld", &pid), 1);
	fclose(p);
	/* the background sleep died with its group (reaped by init, or a
	   zombie for a moment: check its state) */
	{
		char st[64];
		FILE *s;
		int n, gone = 0;

		for (n = 0; n < 100 && !gone; n++) {
			snprintf(st, sizeof(st), "/proc/%ld/stat", pid);
			s = fopen(st, "r");
			if (!s) {
				gone = 1;
				break;
			}
			if (fscanf(s, "%*d %*s %63s", st) == 1 &&
			    st[0] == 'Z')
				gone = 1;
			fclose(s);
			usleep(10000);
		}
		CHECK(gone);
	}
	CHECK_EQ_INT(exec_op(&f, "read", "k3", 0, NULL), HIST_FAIL);
	exec_close(&f);
}

/* ===== db 'external' ===== */

TEST(external_db_endpoints_and_config_errors)
{
	static const struct { const char *db, *want; } bad[] = {
		{ "{\"type\":\"external\",\"endpoint\":\"http://{hots}:1\"}",
		  "t.json: 'db.endpoint': unknown placeholder at offset 7" },
		{ "{\"type\":\"external\",\"port\":1}",
		  "t.json: 'db.port': unknown key" },
		{ "{\"type\":\"external\",\"endpoint\":7}",
		  "t.json: 'db.endpoint': expected a string" },
	};
	struct config c;
	struct db *d = NULL;
	struct sb err = SB_INIT;
	char text[512];
	size_t i;

	load(&c, "{\"nodes\":[{\"name\":\"n1\",\"host\":\"10.0.0.1\"},"
	     "{\"name\":\"n2\",\"host\":\"10.0.0.2\"}],\"db\":{\"type\":"
	     "\"external\",\"endpoint\":\"http://{host}:8080/{node}/{x-y}\"}}");
	CHECK_EQ_INT(db_new(&d, db_find("external"), &c, &err), 0);
	CHECK_EQ_STR(db_endpoint(d, 0), "http://10.0.0.1:8080/n1/{x-y}");
	CHECK_EQ_STR(db_endpoint(d, 1), "http://10.0.0.2:8080/n2/{x-y}");
	/* nothing to set up or tear down; no process to kill */
	CHECK_EQ_INT(db_setup(d, &err), 0);
	CHECK_EQ_INT(db_teardown(d, &err), 0);
	CHECK(db_pidfile(d, 0) == NULL);
	db_free(d);
	config_release(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"nodes\":[{\"name\":\"n1\","
			 "\"host\":\"h\"}],\"db\":%s}", bad[i].db);
		load(&c, text);
		sb_reset(&err);
		d = NULL;
		CHECK_EQ_INT(db_new(&d, db_find("external"), &c, &err),
			     -NS_ECONFIG);
		CHECK_CONTAINS(err.buf, bad[i].want);
		db_free(d);
		config_release(&c);
	}
	sb_release(&err);
}
