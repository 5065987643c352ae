/*
 * clients.c - the worker threads: each owns one workload client bound to
 * node (worker mod nodes; a workload may send an op elsewhere, saying so
 * in op->node), takes the generator's next op, records the
 * invoke, performs it, records the completion.  After an `info` the worker
 * continues as a new process (process + concurrency), so no process ever
 * has two ops in flight (Jepsen's rule).  With a rate, each worker paces
 * itself at rate / concurrency ops per second.  A worker whose node
 * cannot be reached (killed, refusing connections) waits 100 ms before
 * its next op rather than spinning.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "harness/run.h"

struct worker {
	struct run *r;
	struct workload_client *client;
	size_t index;		/* worker number = session */
	size_t node;
	int64_t process;
	int final_phase;
	pthread_t thread;
	int started;
};

struct run_clients {
	struct run *r;
	struct worker *w;
	size_t n;
};

static void sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) ==
	       EINTR)
		;
}

static void do_op(struct worker *w, struct workload_op *op)
{
	struct run *r = w->r;
	size_t ni = op->node_set && op->node < r->cfg->nnodes ? op->node :
		    w->node;
	const char *node = r->cfg->nodes[ni].name;

	run_record_invoke(r, w->process, (int64_t)w->index, node, op);
	r->wl->type->invoke(w->client, op);
	run_record_complete(r, w->process, (int64_t)w->index, node, op);
	if (op->type == HIST_INFO)
		w->process += (int64_t)r->p.concurrency;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct workload_op op;
	struct timespec next;
	long long period_ns = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	if (r->p.rate > 0)
		period_ns = (long long)(1e9 * (double)r->p.concurrency /
					r->p.rate);
	workload_op_init(&op);
	if (w->final_phase) {
		/* A final read that fails is retried a few times: the
		   cluster may still be electing a leader. */
		while (r->wl->type->final(w->client, &op)) {
			int tries, ok = 0;

			for (tries = 0; tries < 5 && !ok; tries++) {
				struct workload_op again;

				if (tries)
					usleep(500000);
				if (run_interrupted)
					break;
				workload_op_init(&again);
				again.f = op.f;
				memcpy(again.key, op.key, sizeof(op.key));
				again.value = json_incref(op.value);
				again.final = 1;
				do_op(w, &again);
				ok = again.type == HIST_OK;
				workload_op_release(&again);
			}
			workload_op_release(&op);
		}
		return NULL;
	}
	while (!atomic_load(&r->stop_clients) && !run_interrupted) {
		r->wl->type->next(w->client, &op);
		do_op(w, &op);
		if (op.unreachable)	/* no busy loop against a dead node */
			usleep(100000);
		workload_op_release(&op);
		if (period_ns) {
			struct timespec now;

			next.tv_nsec += period_ns % 1000000000LL;
			next.tv_sec += period_ns / 1000000000LL +
				next.tv_nsec / 1000000000L;
			next.tv_nsec %= 1000000000L;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec + 1)
				next = now;	/* far behind: don't burst */
			else
				sleep_until(&next);
		}
	}
	return NULL;
}

int run_clients_start(struct run *r, struct run_clients **cp,
		      struct sb *err)
{
	struct run_clients *c = xcalloc(1, sizeof(*c));
	size_t i;
	int rc = 0;

	c->r = r;
	c->n = (size_t)r->p.concurrency;
	c->w = xcalloc(c->n, sizeof(*c->w));
	for (i = 0; i < c->n && !rc; i++) {
		struct worker *w = &c->w[i];

		w->r = r;
		w->index = i;
		w->process = (int64_t)i;
		w->node = i % r->cfg->nnodes;
		rc = r->wl->type->client_open(r->wl, i, w->node, r->p.seed,
					      &w->client, err);
	}
	for (i = 0; i < c->n && !rc; i++) {
		if (pthread_create(&c->w[i].thread, NULL, worker_main,
				   &c->w[i])) {
			sb_addf(err, "cannot start worker thread %zu", i);
			rc = -NS_EINTERNAL;
			break;
		}
		c->w[i].started = 1;
	}
	*cp = c;
	if (rc)
		run_clients_join(c);
	return rc;
}

void run_clients_join(struct run_clients *c)
{
	size_t i;

	atomic_store(&c->r->stop_clients, 1);
	for (i = 0; i < c->n; i++) {
		if (c->w[i].started)
			pthread_join(c->w[i].thread, NULL);
		c->w[i].started = 0;
	}
}

void run_clients_final(struct run_clients *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		c->w[i].final_phase = 1;
		if (c->w[i].client &&
		    !pthread_create(&c->w[i].thread, NULL, worker_main,
				    &c->w[i]))
			c->w[i].started = 1;
	}
	for (i = 0; i < c->n; i++) {
		if (c->w[i].started)
			pthread_join(c->w[i].thread, NULL);
		c->w[i].started = 0;
	}
}

void run_clients_free(struct run_clients *c)
{
	size_t i;

	if (!c)
		return;
	run_clients_join(c);
	for (i = 0; i < c->n; i++)
		if (c->w[i].client)
			c->r->wl->type->client_close(c->w[i].client);
	free(c->w);
	free(c);
}
