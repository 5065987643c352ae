/*
 * test-etcd-workload.c - the register workload without a cluster: base64,
 * how gateway answers become ok / fail / info, the generator's
 * determinism and value uniqueness, config errors, and a request to a
 * closed port (refused before sending: a definite fail), a write lost
 * with a connection libcurl reused (may have happened: info).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "test.h"
#include "workloads/etcd-internal.h"
#include "workloads/workload.h"

TEST(etcd_b64_round_trip)
{
	const char *texts[] = { "", "a", "ab", "abc", "netsplit/k17",
				"-1234567890" };
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sb enc = SB_INIT, dec = SB_INIT;

		etcd__b64enc(&enc, texts[i], strlen(texts[i]));
		CHECK_EQ_INT(enc.len % 4, 0);
		CHECK_EQ_INT(etcd__b64dec(&dec, enc.buf), 0);
		CHECK_EQ_STR(dec.buf, texts[i]);
		sb_release(&enc);
		sb_release(&dec);
	}
	{
		struct sb enc = SB_INIT, dec = SB_INIT;

		etcd__b64enc(&enc, "foo", 3);
		CHECK_EQ_STR(enc.buf, "Zm9v");
		CHECK(etcd__b64dec(&dec, "Zm9") < 0);
		sb_release(&enc);
		sb_release(&dec);
	}
}

static void answer(struct workload_op *op, const char *f, int sent,
		   long http, const char *body, const char *failure)
{
	struct etcd__reply r = { sent, http, body, body ? strlen(body) : 0,
				 failure };

	workload_op_release(op);
	op->f = f;
	etcd__answer(op, &r);
}

TEST(etcd_answers_classified)
{
	struct workload_op op;

	workload_op_init(&op);
	/* A read of an existing key: its value and mod revision. */
	answer(&op, "read", 1, 200,
	       "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"eA==\","
	       "\"mod_revision\":\"7\",\"value\":\"NDI=\"}],\"count\":\"1\"}",
	       "");
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK(json_is_integer(op.out));
	CHECK_EQ_INT(json_integer_value(op.out), 42);
	CHECK_EQ_INT(op.version, 7);
	CHECK(op.has_version);
	/* A missing key reads as nil at version 0. */
	answer(&op, "read", 1, 200, "{\"header\":{\"revision\":\"9\"}}", "");
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK(json_is_null(op.out));
	CHECK_EQ_INT(op.version, 0);
	/* A write: the header revision. */
	answer(&op, "write", 1, 200, "{\"header\":{\"revision\":\"12\"}}", "");
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK_EQ_INT(op.version, 12);
	/* A cas whose compare failed did not happen. */
	answer(&op, "cas", 1, 200, "{\"header\":{\"revision\":\"12\"},"
	       "\"responses\":[]}", "");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	answer(&op, "cas", 1, 200, "{\"header\":{\"revision\":\"13\"},"
	       "\"succeeded\":true}", "");
	CHECK_EQ_INT(op.type, HIST_OK);
	CHECK_EQ_INT(op.version, 13);
	/* Timed out after sending: a write is unknown, a read changed
	   nothing. */
	answer(&op, "write", 1, 0, NULL, "timed out");
	CHECK_EQ_INT(op.type, HIST_INFO);
	CHECK(!op.unreachable);
	CHECK_CONTAINS(op.error, "timed out");
	answer(&op, "cas", 1, 0, NULL, "connection reset");
	CHECK_EQ_INT(op.type, HIST_INFO);
	answer(&op, "read", 1, 0, NULL, "timed out");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	/* Never sent: nothing happened. */
	answer(&op, "write", 0, 0, NULL, "connection refused");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	CHECK(op.unreachable);
	/* Refused before proposing vs. a proposal that timed out. */
	answer(&op, "write", 1, 503, "{\"error\":\"etcdserver: no leader\","
	       "\"code\":14,\"message\":\"etcdserver: no leader\"}", "");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	CHECK_CONTAINS(op.error, "no leader");
	answer(&op, "write", 1, 500, "{\"error\":\"context deadline "
	       "exceeded\",\"code\":2,\"message\":\"context deadline "
	       "exceeded\"}", "");
	CHECK_EQ_INT(op.type, HIST_INFO);
	answer(&op, "cas", 1, 503, "{\"message\":\"etcdserver: request "
	       "timed out\"}", "");
	CHECK_EQ_INT(op.type, HIST_INFO);
	answer(&op, "write", 1, 400, "{\"message\":\"etcdserver: key is not "
	       "provided\"}", "");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	answer(&op, "read", 1, 503, "{\"message\":\"etcdserver: request "
	       "timed out\"}", "");
	CHECK_EQ_INT(op.type, HIST_FAIL);
	/* A 200 that is not JSON: unknown for a write. */
	answer(&op, "write", 1, 200, "<html>", "");
	CHECK_EQ_INT(op.type, HIST_INFO);
	workload_op_release(&op);
}

/* A database that is only an endpoint (nothing listens there). */
static const char *fake_endpoint(struct db *d, size_t node)
{
	(void)d;
	(void)node;
	return "http://127.0.0.1:1";
}

static const struct db_type fake_db = {
	.name = "fake",
	.endpoint = fake_endpoint,
};

static const char cfg_text[] =
	"{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}],"
	"\"workload\":{\"type\":\"register\",\"ops_per_key\":20,"
	"\"threads_per_key\":3,\"timeout_ms\":500}}";

static void setup(struct config *c, struct db *d, struct workload **w,
		  size_t concurrency)
{
	struct sb err = SB_INIT;

	config_init(c);
	CHECK_EQ_INT(config_load_str(c, "t.json", cfg_text, &err), 0);
	memset(d, 0, sizeof(*d));
	d->type = &fake_db;
	d->cfg = c;
	CHECK_EQ_INT(workload_new(w, workload_find("register"), c, d,
				  concurrency, &err), 0);
	sb_release(&err);
}

TEST(register_generator_deterministic_and_unique)
{
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *a, *b, *m[3];
	struct sb err = SB_INIT, seq_a = SB_INIT, seq_b = SB_INIT;
	json_t *seen = json_object();
	size_t i, k;
	int key_changes = 0;
	char last_key[64] = "";

	setup(&c, &d, &w, 6);
	/* Same seed, same worker: the same operations. */
	CHECK_EQ_INT(w->type->client_open(w, 4, 0, 99, &a, &err), 0);
	CHECK_EQ_INT(w->type->client_open(w, 4, 0, 99, &b, &err), 0);
	for (i = 0; i < 200; i++) {
		struct workload_op x, y;
		char *jx, *jy;

		workload_op_init(&x);
		workload_op_init(&y);
		w->type->next(a, &x);
		w->type->next(b, &y);
		jx = json_dumps(x.value, JSON_ENCODE_ANY);
		jy = json_dumps(y.value, JSON_ENCODE_ANY);
		sb_addf(&seq_a, "%s %s %s\n", x.f, x.key, jx);
		sb_addf(&seq_b, "%s %s %s\n", y.f, y.key, jy);
		if (strcmp(last_key, x.key))
			key_changes++;
		snprintf(last_key, sizeof(last_key), "%s", x.key);
		free(jx);
		free(jy);
		workload_op_release(&x);
		workload_op_release(&y);
	}
	CHECK_EQ_STR(seq_a.buf, seq_b.buf);
	CHECK_CONTAINS(seq_a.buf, "read");
	CHECK_CONTAINS(seq_a.buf, "write");
	CHECK_CONTAINS(seq_a.buf, "cas");
	/* 20 ops per key over 3 threads: 7 per worker, so 200 ops visit
	   29 keys. */
	CHECK_EQ_INT(key_changes, 29);
	w->type->client_close(a);
	w->type->client_close(b);

	/* One group (workers 0..2): every value written to a key is
	   written once. */
	for (k = 0; k < 3; k++)
		CHECK_EQ_INT(w->type->client_open(w, k, 0, 7, &m[k], &err),
			     0);
	for (i = 0; i < 300; i++) {
		struct workload_op op;
		json_t *v;
		char id[96];

		workload_op_init(&op);
		w->type->next(m[i % 3], &op);
		v = !strcmp(op.f, "write") ? op.value :
			!strcmp(op.f, "cas") ? json_array_get(op.value, 1) :
			NULL;
		if (v) {
			snprintf(id, sizeof(id), "%s=%lld", op.key,
				 (long long)json_integer_value(v));
			CHECK(!json_object_get(seen, id));
			json_object_set_new(seen, id, json_true());
		}
		workload_op_release(&op);
	}
	CHECK(json_object_size(seen) > 50);
	for (k = 0; k < 3; k++)
		w->type->client_close(m[k]);
	json_decref(seen);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
	sb_release(&seq_a);
	sb_release(&seq_b);
}

TEST(register_config_errors_name_the_key)
{
	static const char *bad[] = {
		"{\"workload\":{\"readmode\":\"serializable\"}}",
		"{\"workload\":{\"read_mode\":\"sometimes\"}}",
		"{\"workload\":{\"ops_per_key\":0}}",
		"{\"workload\":{\"mix\":{\"read\":1,\"delete\":1}}}",
		"{\"workload\":{\"timeout_ms\":\"1s\"}}",
		"{\"workload\":{\"endpoints\":\"random\"}}",
	};
	static const char *key[] = { "readmode", "read_mode", "ops_per_key",
				     "delete", "timeout_ms", "endpoints" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		struct workload *w = NULL;
		struct sb err = SB_INIT;

		config_init(&c);
		CHECK_EQ_INT(config_load_str(&c, "t.json", bad[i], &err), 0);
		CHECK_EQ_INT(workload_new(&w, workload_find("register"), &c,
					  NULL, 3, &err), -NS_ECONFIG);
		CHECK(!w);
		CHECK_CONTAINS(err.buf, key[i]);
		config_release(&c);
		sb_release(&err);
	}
}

TEST(register_round_robin_endpoints_cycle_through_members)
{
	static const char text[] =
		"{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"},"
		"{\"name\":\"n2\",\"host\":\"127.0.0.2\"},"
		"{\"name\":\"n3\",\"host\":\"127.0.0.3\"}],"
		"\"workload\":{\"type\":\"register\","
		"\"endpoints\":\"round-robin\"}}";
	struct config c;
	struct db d;
	struct workload *w = NULL;
	struct workload_client *cl;
	struct sb err = SB_INIT;
	size_t i;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json", text, &err), 0);
	memset(&d, 0, sizeof(d));
	d.type = &fake_db;
	d.cfg = &c;
	CHECK_EQ_INT(workload_new(&w, workload_find("register"), &c, &d, 3,
				  &err), 0);
	/* Worker 1 starts at its own node, then takes the next in turn. */
	CHECK_EQ_INT(w->type->client_open(w, 1, 1, 7, &cl, &err), 0);
	for (i = 0; i < 7; i++) {
		struct workload_op op;

		workload_op_init(&op);
		w->type->next(cl, &op);
		CHECK_EQ_INT(op.node_set, 1);
		CHECK_EQ_INT(op.node, (1 + i) % 3);
		workload_op_release(&op);
	}
	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
}

TEST(register_pinned_endpoints_leave_the_node_alone)
{
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *cl;
	struct sb err = SB_INIT;
	struct workload_op op;

	setup(&c, &d, &w, 1);
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 7, &cl, &err), 0);
	workload_op_init(&op);
	w->type->next(cl, &op);
	CHECK_EQ_INT(op.node_set, 0);
	workload_op_release(&op);
	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
}

TEST(register_refused_connection_is_a_fail)
{
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *cl;
	struct sb err = SB_INIT;
	int i;

	curl_global_init(CURL_GLOBAL_ALL);
	setup(&c, &d, &w, 1);
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err), 0);
	for (i = 0; i < 6; i++) {
		struct workload_op op;

		workload_op_init(&op);
		w->type->next(cl, &op);
		w->type->invoke(cl, &op);
		CHECK_EQ_INT(op.type, HIST_FAIL);
		CHECK(op.error[0]);
		workload_op_release(&op);
	}
	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
	curl_global_cleanup();
}

/*
 * A server that answers the first request on a kept-alive connection,
 * then reads the second request whole and dies (its listening socket
 * first, then the connection, without an answer).  libcurl retries a
 * request on a reused connection that died before any answer byte came,
 * on a fresh connection, which is refused: the write reached the server
 * all the same, so it must be info, not fail.
 */
static int dying_port;

static const char *dying_endpoint(struct db *d, size_t node)
{
	static char url[64];

	(void)d;
	(void)node;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", dying_port);
	return url;
}

static const struct db_type dying_db = {
	.name = "dying",
	.endpoint = dying_endpoint,
};

/* Read one HTTP request (headers + Content-Length body) from fd. */
static int read_request(int fd)
{
	char buf[8192];
	size_t len = 0;
	char *hdr_end;
	long clen = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		hdr_end = strstr(buf, "\r\n\r\n");
		if (!hdr_end)
			continue;
		{
			const char *cl = strstr(buf, "Content-Length:");

			clen = cl ? strtol(cl + 15, NULL, 10) : 0;
		}
		if (len >= (size_t)(hdr_end + 4 - buf) + (size_t)clen)
			return 0;
	}
}

struct dying {
	int lfd;
};

static void *dying_server(void *p)
{
	struct dying *s = p;
	static const char body[] = "{\"header\":{\"revision\":\"2\"}}";
	char answer[256];
	int fd = accept(s->lfd, NULL, NULL), n;

	if (fd < 0)
		return NULL;
	n = snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1,
		     body);
	if (!read_request(fd) && write(fd, answer, (size_t)n) == n)
		read_request(fd);
	close(s->lfd);		/* the retry's connect is refused */
	close(fd);		/* and the request got no answer */
	return NULL;
}

/* A listening socket on a loopback port of the kernel's choosing, which
   dying_endpoint() then names. */
static int listen_loopback(void)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK(!listen(fd, 4));
	CHECK(!getsockname(fd, (struct sockaddr *)&sa, &salen));
	dying_port = ntohs(sa.sin_port);
	return fd;
}

/* Invoke f on key k1 (value v, taken) through client cl into op. */
static void invoke_k1(struct workload *w, struct workload_client *cl,
		      struct workload_op *op, const char *f, json_t *v)
{
	workload_op_init(op);
	op->f = f;
	snprintf(op->key, sizeof(op->key), "k1");
	op->value = v;
	w->type->invoke(cl, op);
}

TEST(register_write_lost_after_reuse_retry_is_info)
{
	struct dying srv;
	pthread_t th;
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *cl;
	struct workload_op op;
	struct sb err = SB_INIT;

	curl_global_init(CURL_GLOBAL_ALL);
	srv.lfd = listen_loopback();
	CHECK(!pthread_create(&th, NULL, dying_server, &srv));

	setup(&c, &d, &w, 1);
	d.type = &dying_db;
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err), 0);
	invoke_k1(w, cl, &op, "write", json_integer(1));
	CHECK_EQ_INT(op.type, HIST_OK);
	workload_op_release(&op);

	invoke_k1(w, cl, &op, "write", json_integer(2));
	if (op.type != HIST_INFO)
		test_fail_(__FILE__, __LINE__, "write whose bytes reached the "
			   "server ended %d (%s), not info", (int)op.type,
			   op.error);
	workload_op_release(&op);

	/* the next write finds nobody listening: it never left, fail */
	pthread_join(th, NULL);
	invoke_k1(w, cl, &op, "write", json_integer(3));
	CHECK_EQ_INT(op.type, HIST_FAIL);
	CHECK_CONTAINS(op.error, "not sent");
	workload_op_release(&op);

	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
	curl_global_cleanup();
}

/*
 * A server that answers a first write on a kept-alive connection, takes
 * a cas on it whole (as if it applied it) and closes the connection
 * without an answer, then, still listening, answers any request sent
 * again with a compare failure, as etcd would once the first cas had
 * applied.  The cas may have happened: it must be info, and it must not
 * have been sent again.
 */
struct resender {
	int lfd;
	int requests;		/* requests read, over both connections */
};

static void *resend_server(void *p)
{
	struct resender *s = p;
	static const char body[] = "{\"header\":{\"revision\":\"2\"}}";
	char answer[256];
	struct pollfd pfd;
	int fd = accept(s->lfd, NULL, NULL), n;

	if (fd < 0)
		return NULL;
	n = snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1,
		     body);
	if (!read_request(fd)) {
		s->requests++;
		if (write(fd, answer, (size_t)n) == n && !read_request(fd))
			s->requests++;
	}
	close(fd);
	/* a second attempt, if libcurl makes one, within a second */
	pfd.fd = s->lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 1000) == 1) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd >= 0 && !read_request(fd)) {
			s->requests++;
			if (write(fd, answer, (size_t)n) != n)
				s->requests += 100;
		}
		if (fd >= 0)
			close(fd);
	}
	close(s->lfd);
	return NULL;
}

TEST(register_cas_lost_after_sending_is_not_sent_again)
{
	struct resender srv = { -1, 0 };
	pthread_t th;
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *cl;
	struct workload_op op;
	struct sb err = SB_INIT;

	curl_global_init(CURL_GLOBAL_ALL);
	srv.lfd = listen_loopback();
	CHECK(!pthread_create(&th, NULL, resend_server, &srv));

	setup(&c, &d, &w, 1);
	d.type = &dying_db;
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 1, &cl, &err), 0);
	invoke_k1(w, cl, &op, "write", json_integer(1));
	CHECK_EQ_INT(op.type, HIST_OK);
	workload_op_release(&op);

	invoke_k1(w, cl, &op, "cas", json_pack("[ii]", 1, 2));
	if (op.type != HIST_INFO)
		test_fail_(__FILE__, __LINE__, "cas lost after sending ended "
			   "%d (%s), not info", (int)op.type, op.error);
	CHECK_CONTAINS(op.error, "not sent again");
	workload_op_release(&op);
	pthread_join(th, NULL);
	CHECK_EQ_INT(srv.requests, 2);	/* the write and the cas, once */

	w->type->client_close(cl);
	workload_free(w);
	config_release(&c);
	sb_release(&err);
	curl_global_cleanup();
}

TEST(workload_op_errorf_one_line_cut_to_fit)
{
	struct workload_op op;
	char big[400];

	workload_op_init(&op);
	workload_op_errorf(&op, "%s: %d\nsecond line \n\n", "n1", 7);
	CHECK_EQ_STR(op.error, "n1: 7 second line");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	workload_op_errorf(&op, "%s", big);
	CHECK_EQ_INT(strlen(op.error), sizeof(op.error) - 1);
	workload_op_release(&op);
}

/*
 * A server that answers every request on every connection with HTTP 200
 * and a txn that succeeded: each write and cas is ok, each read finds no
 * key.  Stops when the test closes its listening socket.
 */
static void *agreeing_server(void *p)
{
	struct dying *s = p;
	static const char body[] =
		"{\"header\":{\"revision\":\"2\"},\"succeeded\":true}";
	char answer[256];
	int fd, n;

	n = snprintf(answer, sizeof(answer), "HTTP/1.1 200 OK\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s", sizeof(body) - 1,
		     body);
	while ((fd = accept(s->lfd, NULL, NULL)) >= 0) {
		while (!read_request(fd) &&
		       write(fd, answer, (size_t)n) == n)
			;
		close(fd);
	}
	return NULL;
}

/*
 * A cas expects the value its worker last saw on the key (here: the
 * value of its last ok write or cas), not a value drawn from the other
 * workers' slots, which is rarely current: cas then mostly succeeds.
 * Without anything seen (a fresh key, a read of a missing key) it still
 * expects the generator's pick; written values stay unique per key.
 */
TEST_T(register_cas_expects_the_value_last_seen, 20)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct dying srv;
	pthread_t th;
	struct config c;
	struct db d;
	struct workload *w;
	struct workload_client *cl;
	struct sb err = SB_INIT;
	json_t *seen = json_object();
	char key[64] = "";
	long long last = -1;
	int i, cas = 0, cas_after_seen = 0;

	curl_global_init(CURL_GLOBAL_ALL);
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!bind(srv.lfd, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK(!listen(srv.lfd, 4));
	CHECK(!getsockname(srv.lfd, (struct sockaddr *)&sa, &salen));
	dying_port = ntohs(sa.sin_port);
	CHECK(!pthread_create(&th, NULL, agreeing_server, &srv));

	setup(&c, &d, &w, 1);
	d.type = &dying_db;
	CHECK_EQ_INT(w->type->client_open(w, 0, 0, 5, &cl, &err), 0);
	for (i = 0; i < 200; i++) {
		struct workload_op op;
		char id[96];
		json_t *nv = NULL;

		workload_op_init(&op);
		w->type->next(cl, &op);
		if (strcmp(key, op.key)) {
			snprintf(key, sizeof(key), "%s", op.key);
			last = -1;
		}
		if (!strcmp(op.f, "cas")) {
			cas++;
			if (last >= 0) {
				cas_after_seen++;
				CHECK_EQ_INT(json_integer_value(
					json_array_get(op.value, 0)), last);
			}
			nv = json_array_get(op.value, 1);
		} else if (!strcmp(op.f, "write")) {
			nv = op.value;
		}
		if (nv) {
			snprintf(id, sizeof(id), "%s=%lld", op.key,
				 (long long)json_integer_value(nv));
			CHECK(!json_object_get(seen, id));
			json_object_set_new(seen, id, json_true());
		}
		w->type->invoke(cl, &op);
		CHECK_EQ_INT(op.type, HIST_OK);
		if (nv)
			last = json_integer_value(nv);
		else if (!strcmp(op.f, "read"))
			last = -1;	/* no key: nothing seen */
		workload_op_release(&op);
	}
	CHECK(cas > 20);
	CHECK(cas_after_seen > 10);
	w->type->client_close(cl);
	shutdown(srv.lfd, SHUT_RDWR);
	close(srv.lfd);
	pthread_join(th, NULL);
	workload_free(w);
	config_release(&c);
	json_decref(seen);
	sb_release(&err);
	curl_global_cleanup();
}
