/*
 * curl-easy.c - one worker's libcurl easy handle (curl-easy.h).
 */
#include "workloads/curl-easy.h"

#include <string.h>

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	sb_add(arg, p, size * n);
	return size * n;
}

/* libcurl is about to send the request (again, on a retry). */
static int before_send(void *arg, char *ip, char *local_ip, int port,
		       int local_port)
{
	struct workload__curl *c = arg;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	return ++c->attempts > 1 && c->send_once ? CURL_PREREQFUNC_ABORT :
	       CURL_PREREQFUNC_OK;
}

int workload__curl_init(struct workload__curl *c, long timeout_ms,
			long connect_timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->h = curl_easy_init();
	if (!c->h)
		return -1;
	sb_init(&c->resp, 1024);
	c->resp.max = 1u << 20;
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(c->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->resp);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_PROXY, "");
	curl_easy_setopt(c->h, CURLOPT_PREREQFUNCTION, before_send);
	curl_easy_setopt(c->h, CURLOPT_PREREQDATA, c);
	return 0;
}

void workload__curl_release(struct workload__curl *c)
{
	curl_easy_cleanup(c->h);
	sb_release(&c->resp);
	memset(c, 0, sizeof(*c));
}

void workload__curl_perform(struct workload__curl *c, int send_once,
			    struct workload__curl_result *r)
{
	long sent = 0;

	sb_reset(&c->resp);
	c->resp.truncated = 0;
	c->errbuf[0] = '\0';
	c->attempts = 0;
	c->send_once = send_once;
	memset(r, 0, sizeof(*r));
	r->cc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_REQUEST_SIZE, &sent);
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &r->http);
	r->sent = sent > 0 || c->attempts > 1;
	if (r->cc == CURLE_OK)
		r->failure = "";
	else if (r->cc == CURLE_OPERATION_TIMEDOUT)
		r->failure = "timed out";
	else if (r->cc == CURLE_ABORTED_BY_CALLBACK && c->attempts > 1)
		r->failure = "connection lost after the request was sent "
			     "(not sent again)";
	else
		r->failure = c->errbuf[0] ? c->errbuf :
			curl_easy_strerror(r->cc);
}
