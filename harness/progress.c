/*
 * progress.c - the progress line on a terminal (stderr), redrawn in place
 * about once a second:
 *   [  12/30 s]  812 ops/s  ok 9120  fail 3  info 1  fault: partition
 */
#include <stdio.h>
#include <string.h>

#include "harness/run.h"

void run_progress(struct run *r, int final_line)
{
	static unsigned long last_done;
	static double last_t;
	double t = (double)run_now_ns(r) / 1e9;
	unsigned long ok = atomic_load(&r->ok), fail = atomic_load(&r->fail),
		      info = atomic_load(&r->info), done = ok + fail + info;
	double rate = t > last_t ? (double)(done - last_done) / (t - last_t) :
		0;
	char fault[96];

	if (!r->p.progress)
		return;
	if (final_line)
		rate = t > 0 ? (double)done / t : 0;
	last_done = done;
	last_t = t;
	pthread_mutex_lock(&r->lock);
	memcpy(fault, r->fault_now, sizeof(fault));
	pthread_mutex_unlock(&r->lock);
	fprintf(stderr, "\r\033[K[%4.0f/%.0f s] %6.0f ops/s  ok %lu  fail %lu"
		"  info %lu%s%s", t, r->p.time_limit_s, rate, ok, fail, info,
		fault[0] ? "  fault: " : "", fault);
	if (final_line)
		fputc('\n', stderr);
	fflush(stderr);
}
