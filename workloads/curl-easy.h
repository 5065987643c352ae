/*
 * curl-easy.h - one worker's libcurl easy handle, as every HTTP workload
 * (register against etcd, http) uses it: reused across ops, no signals,
 * TCP keepalive and nodelay, no proxy, the answer body kept (1 MiB), and
 * a write or cas never sent twice.  Module-internal to workloads/
 * (prefix workload__curl_).
 *
 * libcurl silently sends a request again on a fresh connection when the
 * reused one it went out on died before any answer byte; the first may
 * have reached the service and taken effect.  A read may go again (it
 * changes nothing); a write or cas may not: its second attempt is refused
 * in libcurl's pre-request callback, and the request counts as sent with
 * no answer (info).  "Sent" is CURLINFO_REQUEST_SIZE > 0 (bytes of the
 * requests issued by this perform) or a refused second attempt.
 *
 * Ownership: struct workload__curl owns its handle and body buffer
 * (workload__curl_release()); the caller sets the URL, method, headers
 * and body on c->h before each perform and owns those.
 */
#ifndef NS_CURL_EASY_H
#define NS_CURL_EASY_H

#include <curl/curl.h>

#include "sb.h"

struct workload__curl {
	CURL *h;
	struct sb resp;			/* the answer's body */
	char errbuf[CURL_ERROR_SIZE];
	int attempts;			/* requests sent by this perform */
	int send_once;			/* a write or cas: never twice */
};

/* How one perform ended. */
struct workload__curl_result {
	CURLcode cc;
	long http;		/* status, 0 when no answer came */
	int sent;		/* any byte of the request left */
	const char *failure;	/* "" or why no answer ("timed out") */
};

/* -1 when libcurl cannot make a handle. */
int workload__curl_init(struct workload__curl *c, long timeout_ms,
			long connect_timeout_ms);
void workload__curl_release(struct workload__curl *c);
/* Perform the request set on c->h (send_once: a write or cas). */
void workload__curl_perform(struct workload__curl *c, int send_once,
			    struct workload__curl_result *r);

#endif
