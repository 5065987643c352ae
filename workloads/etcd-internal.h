/*
 * etcd-internal.h - pieces of the etcd workload shared with its tests:
 * base64 as etcd's JSON gateway wants it, and the classification of one
 * gateway answer into ok / fail / info.
 *
 * Ownership: etcd__b64enc/dec append to the caller's sb; etcd__answer()
 * sets op->out to a new reference (replacing any previous one).
 */
#ifndef NS_ETCD_INTERNAL_H
#define NS_ETCD_INTERNAL_H

#include <stddef.h>

#include "sb.h"
#include "workloads/workload.h"

void etcd__b64enc(struct sb *out, const void *data, size_t n);
/* -1 if s is not valid base64. */
int etcd__b64dec(struct sb *out, const char *s);

/*
 * How one request ended, as the transport saw it: sent is 1 when any byte
 * of the request left (a timeout or reset after that is indeterminate for
 * a write); http is the status (0 when no answer came); body is the
 * answer; failure names the transport error ("" if none).
 */
struct etcd__reply {
	int sent;
	long http;
	const char *body;
	size_t len;
	const char *failure;
};

/* Fill op's completion (type, out, version, error) from a reply. */
void etcd__answer(struct workload_op *op, const struct etcd__reply *r);
/*
 * Its two readers (etcd-gateway.c): etcd__answer_fast() fills op from an
 * HTTP 200 answer of the usual shape and returns 1, or returns 0 and
 * leaves op alone; etcd__answer_json() reads any reply with jansson.
 * They agree on every answer the first accepts.
 */
int etcd__answer_fast(struct workload_op *op, const char *body, size_t len);
void etcd__answer_json(struct workload_op *op, const struct etcd__reply *r);

/*
 * Tell the register generator how op ended (type, and out for a read):
 * an ok op leaves the value its worker's next cas on the key expects.
 * reg_invoke() calls it; so does a bench's bare client, to send the same
 * ops.
 */
void etcd__saw(struct workload_client *c, const struct workload_op *op);

/*
 * The value stored in etcd for an integer register value and back: the
 * decimal text.  A stored value that is not a decimal integer comes back
 * as a JSON string.
 */
json_t *etcd__value_json(const char *text, size_t n);

/*
 * The etcd plug-in's start script (etcd-db.c), for its tests: sh -c
 * SCRIPT sh DIR PIDFILE LOG ETCD ARGS... starts ETCD ARGS... in DIR in
 * the background (its pid in PIDFILE, output in LOG) unless PIDFILE
 * names a live member already (exit 1, "member already running").
 */
extern const char etcd__start_script[];

#endif
