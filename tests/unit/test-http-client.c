/*
 * test-http-client.c - the http workload's requests and outcomes against
 * a one-request HTTP server on loopback (a thread per request): the
 * method, URL (percent-encoded placeholders), headers and body the
 * templates make, and how each answer, a refused connection and a
 * timeout end the op.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "workloads/workload.h"
#include "test.h"

struct server {
	int lfd, port;
	const char *reply;	/* the whole HTTP answer */
	int delay_ms;
	char got[8192];		/* the request as received */
	pthread_t th;
};

/* Read one request from fd into buf: 0, or -1 when the peer closed
   first. */
static int read_req(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = recv(fd, buf + n, size - 1 - n, 0);
		char *end, *cl;

		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "content-length:");
		if (!cl || cl > end ||
		    n >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
			return 0;
	}
}

static void *serve_one(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	read_req(fd, s->got, sizeof(s->got));
	if (s->delay_ms)
		usleep((useconds_t)s->delay_ms * 1000);
	send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static void server_open(struct server *s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s->lfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(!bind(s->lfd, (struct sockaddr *)&a, sizeof(a)));
	CHECK(!listen(s->lfd, 4));
	CHECK(!getsockname(s->lfd, (struct sockaddr *)&a, &len));
	s->port = ntohs(a.sin_port);
}

struct fixture {
	struct config c;
	struct workload *w;
	struct workload_client *cl;
};

static void open_http(struct fixture *f, int port)
{
	char text[4096];
	struct sb err = SB_INIT;

	snprintf(text, sizeof(text),
		 "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}],"
		 "\"workload\":{\"type\":\"http\",\"key_prefix\":\"a b/\","
		 "\"timeout_ms\":300,"
		 "\"read\":{\"url\":\"http://{host}:%d/kv/{key}\","
		 "\"value_pattern\":\"\\\\A200\\\\n(?:(?<value>\\\\d+)|\\\\z)\"},"
		 "\"write\":{\"method\":\"PUT\",\"url\":"
		 "\"http://{host}:%d/kv/{key}?v={value}&n={node}\","
		 "\"headers\":[\"X-Key: {key}\",\"Content-Type: text/plain\"],"
		 "\"body\":\"{\\\"v\\\":{value}}\"}}}", port, port);
	config_init(&f->c);
	CHECK_EQ_INT(config_load_str(&f->c, "t.json", text, &err), 0);
	CHECK_EQ_INT(workload_new(&f->w, workload_find("http"), &f->c, NULL,
				  1, &err), 0);
	CHECK_EQ_INT(f->w->type->client_open(f->w, 0, 0, 1, &f->cl, &err),
		     0);
	sb_release(&err);
}

static void close_http(struct fixture *f)
{
	f->w->type->client_close(f->cl);
	workload_free(f->w);
	config_release(&f->c);
}

/* One op against one answer (reply NULL: nobody serves); its type, the
   read's value into *v (-1 for nil). */
static enum hist_type one(struct fixture *f, struct server *s,
			  const char *fn, long value, const char *reply,
			  int delay_ms, long *v)
{
	struct workload_op op;
	enum hist_type t;

	if (reply) {
		s->reply = reply;
		s->delay_ms = delay_ms;
		CHECK(!pthread_create(&s->th, NULL, serve_one, s));
	}
	workload_op_init(&op);
	op.f = fn;
	snprintf(op.key, sizeof(op.key), "k1");
	op.value = !strcmp(fn, "write") ? json_integer(value) : json_null();
	f->w->type->invoke(f->cl, &op);
	if (reply)
		pthread_join(s->th, NULL);
	t = op.type;
	if (v)
		*v = json_is_integer(op.out) ? (long)json_integer_value(op.out)
			: -1;
	workload_op_release(&op);
	return t;
}

static char *answer(const char *code, const char *body)
{
	char *a = malloc(512);

	snprintf(a, 512, "HTTP/1.1 %s\r\nConnection: close\r\n"
		 "Content-Length: %zu\r\n\r\n%s", code, strlen(body), body);
	return a;
}

TEST(http_client_builds_the_request_from_templates)
{
	struct server s;
	struct fixture f;
	char *a = answer("204 No Content", "");

	server_open(&s);
	open_http(&f, s.port);
	CHECK_EQ_INT(one(&f, &s, "write", 42, a, 0, NULL), HIST_OK);
	CHECK_CONTAINS(s.got, "PUT /kv/a%20b%2Fk1?v=42&n=n1 HTTP/1.1\r\n");
	CHECK_CONTAINS(s.got, "\r\nX-Key: a b/k1\r\n");
	CHECK_CONTAINS(s.got, "\r\nContent-Type: text/plain\r\n");
	CHECK_CONTAINS(s.got, "\r\n\r\n{\"v\":42}");
	CHECK(!strstr(s.got, "Expect:"));
	free(a);
	a = answer("200 OK", "17");
	CHECK_EQ_INT(one(&f, &s, "read", 0, a, 0, NULL), HIST_OK);
	CHECK_CONTAINS(s.got, "GET /kv/a%20b%2Fk1 HTTP/1.1\r\n");
	free(a);
	close_http(&f);
	close(s.lfd);
}

TEST_T(http_client_outcomes, 10)
{
	struct server s;
	struct fixture f;
	char *ok17 = answer("200 OK", "17"), *empty = answer("200 OK", ""),
	     *nf = answer("404 Not Found", "no"),
	     *busy = answer("503 Service Unavailable", "later");
	long v;
	int port;

	server_open(&s);
	open_http(&f, s.port);
	CHECK_EQ_INT(one(&f, &s, "read", 0, ok17, 0, &v), HIST_OK);
	CHECK_EQ_INT(v, 17);
	/* ok without a value: nil */
	CHECK_EQ_INT(one(&f, &s, "read", 0, empty, 0, &v), HIST_OK);
	CHECK_EQ_INT(v, -1);
	/* 4xx: a definite fail (the default fail_pattern) */
	CHECK_EQ_INT(one(&f, &s, "write", 1, nf, 0, NULL), HIST_FAIL);
	/* 503 matches neither: a write is unknown, a read fail */
	CHECK_EQ_INT(one(&f, &s, "write", 1, busy, 0, NULL), HIST_INFO);
	CHECK_EQ_INT(one(&f, &s, "read", 0, busy, 0, NULL), HIST_FAIL);
	/* sent, then no answer by the deadline: info for a write */
	CHECK_EQ_INT(one(&f, &s, "write", 1, ok17, 600, NULL), HIST_INFO);
	CHECK_EQ_INT(one(&f, &s, "read", 0, ok17, 600, NULL), HIST_FAIL);
	close_http(&f);
	/* nobody listening: nothing left, a write is a fail */
	port = s.port;
	close(s.lfd);
	open_http(&f, port);
	CHECK_EQ_INT(one(&f, &s, "write", 1, NULL, 0, NULL), HIST_FAIL);
	close_http(&f);
	free(ok17);
	free(empty);
	free(nf);
	free(busy);
}

/*
 * A server that answers a first write on a kept-alive connection, takes
 * a second write whole (as if it applied it) and closes without an
 * answer, then answers anything sent again.  libcurl would silently send
 * the write again on a fresh connection: it may have happened already,
 * so it must be info and sent once.
 */
static void *lose_second(void *arg)
{
	struct server *s = arg;
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: "
		"0\r\n\r\n";
	struct pollfd p;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (!read_req(fd, s->got, sizeof(s->got))) {
		s->delay_ms++;	/* requests seen */
		if (send(fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL) > 0 &&
		    !read_req(fd, s->got, sizeof(s->got)))
			s->delay_ms++;
	}
	close(fd);
	p.fd = s->lfd;
	p.events = POLLIN;
	if (poll(&p, 1, 1000) == 1) {
		fd = accept(s->lfd, NULL, NULL);
		if (fd >= 0 && !read_req(fd, s->got, sizeof(s->got))) {
			s->delay_ms++;
			send(fd, ok, sizeof(ok) - 1, MSG_NOSIGNAL);
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

TEST_T(http_client_write_lost_after_sending_is_not_sent_again, 10)
{
	struct server s;
	struct fixture f;
	struct workload_op op;

	server_open(&s);
	open_http(&f, s.port);
	CHECK(!pthread_create(&s.th, NULL, lose_second, &s));
	workload_op_init(&op);
	op.f = "write";
	snprintf(op.key, sizeof(op.key), "k1");
	op.value = json_integer(1);
	f.w->type->invoke(f.cl, &op);
	CHECK_EQ_INT(op.type, HIST_OK);
	workload_op_release(&op);
	workload_op_init(&op);
	op.f = "write";
	snprintf(op.key, sizeof(op.key), "k1");
	op.value = json_integer(2);
	f.w->type->invoke(f.cl, &op);
	if (op.type != HIST_INFO)
		test_fail_(__FILE__, __LINE__, "write lost after sending "
			   "ended %d (%s), not info", (int)op.type, op.error);
	CHECK_CONTAINS(op.error, "not sent again");
	workload_op_release(&op);
	pthread_join(s.th, NULL);
	CHECK_EQ_INT(s.delay_ms, 2);	/* each write once */
	close_http(&f);
	close(s.lfd);
}
