/*
 * progress.c - the progress of a run on stderr: on a terminal one line
 * redrawn in place about once a second,
 *   [  12/30 s]  812 ops/s  ok 9120  fail 3  info 1  fault: partition
 * and in a log (stderr not a terminal: a CI job's output) the same line
 * every LOG_EVERY_S seconds and at the end, so a long run does not sit
 * silent.
 */
#include <stdio.h>
#include <string.h>

#include "harness/run.h"

#define LOG_EVERY_S 10

void run_progress(struct run *r, int final_line)
{
	static unsigned long last_done;
	static double last_t;
	double t = (double)run_now_ns(r) / 1e9, rate;
	unsigned long ok = atomic_load(&r->ok), fail = atomic_load(&r->fail),
		      info = atomic_load(&r->info), done = ok + fail + info;
	int tty = r->p.progress == RUN_PROGRESS_TTY;
	char fault[96];

	if (!r->p.progress)
		return;
	if (t < last_t)		/* a new run of --test-count */
		last_t = 0, last_done = 0;
	if (!tty && !final_line && t - last_t < LOG_EVERY_S)
		return;
	rate = t > last_t ? (double)(done - last_done) / (t - last_t) : 0;
	if (final_line)
		rate = t > 0 ? (double)done / t : 0;
	last_done = done;
	last_t = t;
	pthread_mutex_lock(&r->lock);
	memcpy(fault, r->fault_now, sizeof(fault));
	pthread_mutex_unlock(&r->lock);
	fprintf(stderr, "%s[%4.0f/%.0f s] %6.0f ops/s  ok %lu  fail %lu"
		"  info %lu%s%s", tty ? "\r\033[K" : "", t, r->p.time_limit_s,
		rate, ok, fail, info, fault[0] ? "  fault: " : "", fault);
	if (final_line || !tty)
		fputc('\n', stderr);
	fflush(stderr);
}
