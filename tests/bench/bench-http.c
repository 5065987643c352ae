/*
 * bench-http.c - the cost the generic workloads add to each op, apart
 * from the service: building an etcd-gateway request from its templates,
 * judging a 200 answer with the read's patterns (pcre2 JIT, and the same
 * value pattern interpreted: PCRE2_NO_JIT), and one exec op (a command
 * through /bin/sh, its output judged), per op in CPU and wall time.
 *
 *   build/bench-http [OPS]   (default 200,000; exec ops: OPS / 500)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "workloads/http-internal.h"
#include "workloads/workload.h"

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char cfg_text[] =
	"{\"workload\":{\"type\":\"http\","
	"\"read\":{\"url\":\"/v3/kv/range\",\"headers\":[\"Content-Type: "
	"application/json\"],\"body\":\"{\\\"key\\\":\\\"{key_b64}\\\"}\","
	"\"ok_pattern\":\"\\\\A200\\\\n\",\"value_pattern\":"
	"\"\\\"value\\\":\\\"(?<value>[^\\\"]*)\\\"\",\"value_encoding\":"
	"\"base64\"},"
	"\"write\":{\"url\":\"/v3/kv/put\",\"body\":\"{\\\"key\\\":"
	"\\\"{key_b64}\\\",\\\"value\\\":\\\"{value_b64}\\\"}\"}}}";

static const char answer[] =
	"200\n{\"header\":{\"cluster_id\":\"306667871194746075\","
	"\"member_id\":\"15577911461112160612\",\"revision\":\"1234\","
	"\"raft_term\":\"3\"},\"kvs\":[{\"key\":\"bmV0c3BsaXQtazE=\","
	"\"create_revision\":\"1200\",\"mod_revision\":\"1234\","
	"\"version\":\"7\",\"value\":\"MTc=\"}],\"count\":\"1\"}";

static void report(const char *what, double w, double c, long n)
{
	printf("%-40s %9.0f ns/op wall  %9.0f ns/op cpu  (%ld ops)\n", what,
	       w / (double)n * 1e9, c / (double)n * 1e9, n);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000, i, nexec;
	struct config c;
	struct http__spec s;
	struct http__vars v;
	struct workload_op op;
	struct sb err = SB_INIT, url = SB_INIT, body = SB_INIT;
	struct http__match m;
	struct http__answer a = { 1, 1, "", answer, sizeof(answer) - 1 };
	double w0, c0;
	long okv = 0;

	config_init(&c);
	if (config_load_str(&c, "bench.json", cfg_text, &err) ||
	    http__spec_read(&s, &c, 0, 5, &err)) {
		fprintf(stderr, "bench-http: %s\n", err.buf);
		return 4;
	}
	http__match_init_spec(&m, &s);
	http__vars_init(&v);
	workload_op_init(&op);
	op.f = "read";
	op.value = json_null();

	w0 = wall();
	c0 = cpu();
	for (i = 0; i < n; i++) {
		snprintf(op.key, sizeof(op.key), "k%ld", i % 1000);
		http__vars_set(&v, s.key_prefix, &op, "10.0.0.1", "n1",
			       "http://10.0.0.1:2379");
		sb_reset(&url);
		sb_reset(&body);
		sb_adds(&url, "http://10.0.0.1:2379");
		http__tmpl_expand(&s.op[HTTP__READ].url, v.v, HTTP__URL,
				  &url);
		http__tmpl_expand(&s.op[HTTP__READ].body, v.v, HTTP__RAW,
				  &body);
	}
	report("request from templates (read)", wall() - w0, cpu() - c0, n);

	w0 = wall();
	c0 = cpu();
	for (i = 0; i < n; i++) {
		http__classify(&s.op[HTTP__READ], &m, &op, &a);
		okv += json_integer_value(op.out) == 17;
	}
	report("judge a 200 read answer (JIT)", wall() - w0, cpu() - c0, n);

	w0 = wall();
	c0 = cpu();
	for (i = 0; i < n; i++)
		okv += pcre2_match(s.op[HTTP__READ].value.code,
				   (PCRE2_SPTR)answer, sizeof(answer) - 1, 0,
				   PCRE2_NO_JIT, m.md, NULL) > 0;
	report("value pattern alone, interpreted", wall() - w0, cpu() - c0,
	       n);
	w0 = wall();
	c0 = cpu();
	for (i = 0; i < n; i++)
		okv += pcre2_match(s.op[HTTP__READ].value.code,
				   (PCRE2_SPTR)answer, sizeof(answer) - 1, 0,
				   0, m.md, m.mc) > 0;
	report("value pattern alone, JIT", wall() - w0, cpu() - c0, n);
	if (okv != 3 * n) {
		fprintf(stderr, "bench-http: %ld of %ld matches\n", okv,
			3 * n);
		return 4;
	}
	workload_op_release(&op);
	http__vars_release(&v);
	http__match_release(&m);
	http__spec_release(&s);
	config_release(&c);

	/* One exec op: /bin/sh -c, output judged. */
	{
		static const char exec_cfg[] =
			"{\"workload\":{\"type\":\"exec\",\"read\":"
			"{\"command\":\"echo 5\",\"value_pattern\":"
			"\"\\\\A0\\\\n(?<value>\\\\d+)\"},\"write\":"
			"{\"command\":\"true {value}\"}}}";
		struct workload *w;
		struct workload_client *cl;

		nexec = n / 500 > 10 ? n / 500 : 10;
		config_init(&c);
		if (config_load_str(&c, "bench.json", exec_cfg, &err) ||
		    workload_new(&w, workload_find("exec"), &c, NULL, 1,
				 &err) ||
		    w->type->client_open(w, 0, 0, 1, &cl, &err)) {
			fprintf(stderr, "bench-http: %s\n", err.buf);
			return 4;
		}
		w0 = wall();
		c0 = cpu();
		for (i = 0; i < nexec; i++) {
			workload_op_init(&op);
			op.f = "read";
			op.value = json_null();
			w->type->invoke(cl, &op);
			if (op.type != HIST_OK) {
				fprintf(stderr, "bench-http: exec op %s\n",
					op.error);
				return 4;
			}
			workload_op_release(&op);
		}
		report("exec op (sh -c 'echo 5'), parent only", wall() - w0,
		       cpu() - c0, nexec);
		w->type->client_close(cl);
		workload_free(w);
		config_release(&c);
	}
	sb_release(&err);
	sb_release(&url);
	sb_release(&body);
	return 0;
}
