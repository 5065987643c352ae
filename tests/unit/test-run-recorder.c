/*
 * test-run-recorder.c - the run's recorder without a cluster: events from
 * several threads (clients that change process after an `info`, and the
 * nemesis) land in history.jsonl in time order, read back valid and
 * paired, with keys, nodes, sessions, versions, final flags, errors and
 * fault values as recorded; an invoke never completed (a crash) reads
 * back as indeterminate.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "config.h"
#include "harness/run.h"
#include "test.h"

struct rec_thread {
	struct run *r;
	int worker;
	int infos;
};

#define WORKERS 4
#define OPS 300

static void *client(void *arg)
{
	struct rec_thread *t = arg;
	int64_t process = t->worker;
	struct workload_op op;
	int i;

	for (i = 0; i < OPS; i++) {
		workload_op_init(&op);
		op.f = i % 2 ? "write" : "read";
		snprintf(op.key, sizeof(op.key), "k%d", i / 50);
		op.value = i % 2 ? json_integer(i) : json_null();
		run_record_invoke(t->r, process, t->worker, "n1", &op);
		op.type = i % 7 == 3 ? HIST_INFO : i % 5 == 1 ? HIST_FAIL :
			HIST_OK;
		if (op.type == HIST_OK && !(i % 2))
			op.out = json_integer(i - 1);
		if (op.type == HIST_OK) {
			op.version = i;
			op.has_version = 1;
		} else {
			snprintf(op.error, sizeof(op.error), "timed out");
		}
		op.final = i == OPS - 1;
		run_record_complete(t->r, process, t->worker, "n1", &op);
		if (op.type == HIST_INFO) {
			process += WORKERS;
			t->infos++;
		}
		workload_op_release(&op);
	}
	return NULL;
}

TEST(recorder_threads_read_back_valid)
{
	struct config c;
	struct run r;
	struct rec_thread t[WORKERS];
	pthread_t th[WORKERS];
	struct history h;
	struct sb err = SB_INIT, warn = SB_INIT, path = SB_INIT;
	json_t *fault = json_pack("{ss s[ss]}", "kind", "partition",
				  "targets", "n1", "n2");
	size_t i, ok = 0, nem = 0, finals = 0, with_version = 0;
	int k;

	config_init(&c);
	memset(&r, 0, sizeof(r));
	r.cfg = &c;
	r.p.concurrency = WORKERS;
	pthread_mutex_init(&r.lock, NULL);
	hist_init(&r.h);
	r.dir = xstrdup(test_tmpdir());
	CHECK_EQ_INT(run_record_open(&r, &err), 0);
	for (k = 0; k < WORKERS; k++) {
		t[k].r = &r;
		t[k].worker = k;
		t[k].infos = 0;
		CHECK_EQ_INT(pthread_create(&th[k], NULL, client, &t[k]), 0);
	}
	run_record_nemesis(&r, HIST_INVOKE, "start-partition", fault, NULL);
	run_record_nemesis(&r, HIST_INFO, "start-partition", fault, NULL);
	for (k = 0; k < WORKERS; k++)
		pthread_join(th[k], NULL);
	run_record_nemesis(&r, HIST_INVOKE, "stop-partition", fault, NULL);
	run_record_nemesis(&r, HIST_INFO, "stop-partition", fault, NULL);
	{	/* A client op in flight when the controller died. */
		struct workload_op op;

		workload_op_init(&op);
		op.f = "write";
		snprintf(op.key, sizeof(op.key), "k0");
		op.value = json_integer(999);
		run_record_invoke(&r, 1000, 0, "n2", &op);
		workload_op_release(&op);
	}
	CHECK_EQ_INT(run_record_close(&r, &err), 0);
	CHECK_EQ_INT(atomic_load(&r.ok) + atomic_load(&r.fail) +
		     atomic_load(&r.info), WORKERS * OPS);

	hist_init(&h);
	sb_addf(&path, "%s/history.jsonl", r.dir);
	CHECK_EQ_INT(hist_read_file(&h, path.buf, HIST_FMT_JSON, &warn, &err),
		     0);
	CHECK_EQ_INT(h.n, 2 * WORKERS * OPS + 4 + 1);
	for (i = 0; i < h.n; i++) {
		const struct hist_event *e = &h.ev[i];

		if (i)
			CHECK(e->time >= h.ev[i - 1].time);
		CHECK_EQ_INT(hist_index(&h, i), i);
		if (!hist_is_client(e)) {
			nem++;
			CHECK_CONTAINS(hist_str(&h, e->f), "-partition");
			CHECK_EQ_INT(e->value.kind, HV_RAW);
			CHECK_CONTAINS(hist_str(&h, e->value.u.str),
				       "\"targets\":[\"n1\",\"n2\"]");
			continue;
		}
		CHECK(e->flags & HIST_F_KEY);
		CHECK_EQ_STR(hist_str(&h, e->node), e->process == 1000 ?
			     "n2" : "n1");
		CHECK_EQ_INT(e->session, e->process % WORKERS);
		if (e->type == HIST_INVOKE) {
			if (e->process == 1000)
				CHECK_EQ_INT(e->pair, -1);
			else
				CHECK(e->pair > (int64_t)i);
			continue;
		}
		ok += e->type == HIST_OK;
		finals += !!(e->flags & HIST_F_FINAL);
		with_version += !!(e->flags & HIST_F_VERSION);
		if (e->type != HIST_OK)
			CHECK_EQ_STR(hist_str(&h, e->error), "timed out");
	}
	CHECK_EQ_INT(nem, 4);
	CHECK_EQ_INT(ok, with_version);
	CHECK(ok > 0);
	CHECK_EQ_INT(finals, WORKERS);
	for (k = 0; k < WORKERS; k++)
		CHECK(t[k].infos > 0);
	hist_release(&h);
	hist_release(&r.h);
	pthread_mutex_destroy(&r.lock);
	json_decref(fault);
	free(r.dir);
	config_release(&c);
	sb_release(&err);
	sb_release(&warn);
	sb_release(&path);
}
