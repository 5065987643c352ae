/*
 * recorder.c - the run's history: every event is timed, appended to the
 * in-memory history and written whole to RUN_DIR/history.jsonl under one
 * lock, so the file is in time order and a crash of the controller loses
 * nothing already written (the writer flushes on its own period).  An
 * invoke whose completion never came reads back as indeterminate.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "err.h"
#include "harness/run.h"

int64_t run_now_ns(const struct run *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)(ts.tv_sec - r->t0.tv_sec) * 1000000000LL +
		(ts.tv_nsec - r->t0.tv_nsec);
}

int run_record_open(struct run *r, struct sb *err)
{
	struct sb path = SB_INIT;

	sb_addf(&path, "%s/history.jsonl", r->dir);
	r->writer = hist_writer_open(path.buf, 0, err);
	sb_release(&path);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	return r->writer ? 0 : -NS_EWRITE;
}

int run_record_close(struct run *r, struct sb *err)
{
	int rc = 0;

	if (r->writer) {
		rc = hist_writer_close(r->writer);
		r->writer = NULL;
		if (rc)
			sb_addf(err, "%s/history.jsonl: write failed",
				r->dir);
	}
	if (!rc && r->write_error) {
		sb_addf(err, "%s/history.jsonl: write failed", r->dir);
		rc = -NS_EWRITE;
	}
	return rc;
}

/* A value too deeply nested to record becomes its canonical JSON text. */
static void to_value(struct history *h, json_t *j, struct hist_value *out)
{
	if (hist_value_from_json(h, j, out)) {
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
				     JSON_ENCODE_ANY);

		memset(out, 0, sizeof(*out));
		out->kind = HV_RAW;
		out->u.str = hist_intern(h, s ? s : "null",
					 s ? strlen(s) : 4);
		free(s);
	}
}

static uint32_t intern(struct history *h, const char *s)
{
	return s && *s ? hist_intern(h, s, strlen(s)) : 0;
}

/* Append e (time set here) and queue its line; r->lock held.  Returns
   the line's sequence number for commit() (0: no writer). */
static uint64_t append_locked(struct run *r, struct hist_event *e)
{
	size_t i;

	e->time = run_now_ns(r);
	e->pair = -1;
	i = hist_append(&r->h, e);
	return r->writer ? hist_writer_queue(r->writer, &r->h, i) : 0;
}

/* Wait until the line queued as seq is written (r->lock not held: the
   write(2) covers the lines other threads queued meanwhile too). */
static void commit(struct run *r, uint64_t seq)
{
	if (seq && hist_writer_commit(r->writer, seq) &&
	    !atomic_load(&r->write_error))
		atomic_store(&r->write_error, 1);
}

static void client_event(struct run *r, enum hist_type type,
			 int64_t process, int64_t session, const char *node,
			 const struct workload_op *op)
{
	struct hist_event e;
	json_t *v = type == HIST_INVOKE || !op->out ? op->value : op->out;
	uint64_t seq;

	memset(&e, 0, sizeof(e));
	e.type = (uint8_t)type;
	e.process = process;
	e.session = session;
	pthread_mutex_lock(&r->lock);
	e.f = intern(&r->h, op->f);
	e.node = intern(&r->h, node);
	to_value(&r->h, v ? v : json_null(), &e.value);
	if (op->key[0]) {
		e.key = intern(&r->h, op->key);
		e.flags |= HIST_F_KEY;
	}
	if (op->final)
		e.flags |= HIST_F_FINAL;
	if (type != HIST_INVOKE) {
		if (op->has_version) {
			e.version = op->version;
			e.flags |= HIST_F_VERSION;
		}
		e.error = intern(&r->h, op->error);
	}
	seq = append_locked(r, &e);
	pthread_mutex_unlock(&r->lock);
	commit(r, seq);
}

void run_record_invoke(struct run *r, int64_t process, int64_t session,
		       const char *node, const struct workload_op *op)
{
	client_event(r, HIST_INVOKE, process, session, node, op);
}

void run_record_complete(struct run *r, int64_t process, int64_t session,
			 const char *node, const struct workload_op *op)
{
	client_event(r, op->type, process, session, node, op);
	if (op->type == HIST_OK)
		atomic_fetch_add(&r->ok, 1);
	else if (op->type == HIST_FAIL)
		atomic_fetch_add(&r->fail, 1);
	else
		atomic_fetch_add(&r->info, 1);
}

void run_record_nemesis(struct run *r, enum hist_type type, const char *f,
			json_t *value, const char *error)
{
	struct hist_event e;
	uint64_t seq;

	memset(&e, 0, sizeof(e));
	e.type = (uint8_t)type;
	e.process = HIST_NEMESIS;
	pthread_mutex_lock(&r->lock);
	e.f = intern(&r->h, f);
	to_value(&r->h, value ? value : json_null(), &e.value);
	e.error = intern(&r->h, error);
	seq = append_locked(r, &e);
	pthread_mutex_unlock(&r->lock);
	commit(r, seq);
}

void run_warn(struct run *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->lock);
	va_start(ap, fmt);
	sb_vaddf(&r->warnings, fmt, ap);
	va_end(ap);
	if (r->warnings.len && r->warnings.buf[r->warnings.len - 1] != '\n')
		sb_addc(&r->warnings, '\n');
	pthread_mutex_unlock(&r->lock);
}

void run_fail(struct run *r, int rc, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->lock);
	if (!r->thread_rc) {
		r->thread_rc = rc;
		va_start(ap, fmt);
		sb_vaddf(&r->thread_err, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->lock);
	atomic_store(&r->stop_clients, 1);
}
