/*
 * hist-writer.c - the streaming JSON Lines writer (hist_writer_*, see
 * history.h) the controller records a run with.
 *
 * Group commit.  hist_writer_queue() formats an event (hist_event_json)
 * onto the end of a pending buffer and gives it a sequence number; the
 * caller does this under its own lock, the one that orders its events,
 * so the file is in the history's order.  hist_writer_commit(seq) then
 * returns once that line is in the kernel: the first thread to get the
 * commit lock hands the whole pending buffer to one write(2) on a file
 * opened O_APPEND, and the threads that queued behind it find their lines
 * already written and make no system call.  The caller's lock is not held
 * during the write, so other threads keep recording meanwhile.  A line
 * is in the kernel before hist_writer_commit() returns, so a crash of the
 * controller loses nothing already committed (a reader sees at most one
 * cut line, which the JSON reader drops with a warning).
 *
 * Every FLUSH_MS a commit also calls fdatasync(2), so a crash of the
 * machine loses at most that much; the sync runs outside the commit lock
 * (one thread at a time, under its own lock), so the other writers do
 * not wait for the disk.
 * hist_writer_flush() and hist_writer_close() write and sync at once.
 *
 * Ownership: hist_writer_open() returns a writer the caller frees with
 * hist_writer_close().  The history passed to hist_writer_queue() is
 * borrowed for the call; the caller keeps it from being resized while
 * the line is formatted.
 */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"

#define FLUSH_MS 200

struct hist_writer {
	pthread_mutex_t qlock;	/* pending, queued */
	pthread_mutex_t clock;	/* commit: one write(2) at a time */
	int fd;
	atomic_int err;		/* first write error (errno), sticky */
	char *path;
	struct sb pending;	/* lines queued, not yet written */
	struct sb out;		/* the lines being written (clock) */
	uint64_t queued;	/* sequence number of the last queued line */
	atomic_uint_fast64_t written;	/* ... of the last written one */
	atomic_llong last_sync_ms;
	atomic_int dirty;	/* written since the last sync */
	pthread_mutex_t slock;	/* one fdatasync(2) at a time */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct hist_writer *hist_writer_open(const char *path, struct sb *err)
{
	struct hist_writer *w;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		sb_addf(err, "cannot open '%s' for writing: %s", path,
			strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->qlock, NULL);
	pthread_mutex_init(&w->clock, NULL);
	pthread_mutex_init(&w->slock, NULL);
	w->fd = fd;
	w->path = xstrdup(path);
	sb_init(&w->pending, 4096);
	sb_init(&w->out, 4096);
	atomic_init(&w->err, 0);
	atomic_init(&w->written, 0);
	atomic_init(&w->last_sync_ms, now_ms());
	atomic_init(&w->dirty, 0);
	return w;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t k = write(fd, buf, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

static void set_err(struct hist_writer *w, int e)
{
	int none = 0;

	if (e)
		atomic_compare_exchange_strong(&w->err, &none, e);
}

static void sync_now(struct hist_writer *w)
{
	if (atomic_exchange(&w->dirty, 0) && fdatasync(w->fd) < 0 &&
	    errno != EINVAL)
		set_err(w, errno);
	atomic_store(&w->last_sync_ms, now_ms());
}

uint64_t hist_writer_queue(struct hist_writer *w, const struct history *h,
			   size_t i)
{
	uint64_t seq;

	pthread_mutex_lock(&w->qlock);
	hist_event_json(h, i, &w->pending);
	seq = ++w->queued;
	pthread_mutex_unlock(&w->qlock);
	return seq;
}

int hist_writer_commit(struct hist_writer *w, uint64_t seq)
{
	if (atomic_load(&w->written) < seq) {
		pthread_mutex_lock(&w->clock);
		if (atomic_load(&w->written) < seq) {
			struct sb t;
			uint64_t upto;

			/* Take everything queued so far; new lines go to
			   the emptied buffer while this one is written. */
			pthread_mutex_lock(&w->qlock);
			t = w->out;
			w->out = w->pending;
			w->pending = t;
			sb_reset(&w->pending);
			upto = w->queued;
			pthread_mutex_unlock(&w->qlock);
			if (!atomic_load(&w->err))
				set_err(w, write_all(w->fd, w->out.buf,
						     w->out.len));
			atomic_store(&w->dirty, 1);
			atomic_store(&w->written, upto);
		}
		pthread_mutex_unlock(&w->clock);
	}
	/* Due for a sync: the first thread to see it syncs; the others
	   go on (nobody waits for the disk but the one syncing). */
	if (now_ms() - atomic_load(&w->last_sync_ms) >= FLUSH_MS &&
	    !pthread_mutex_trylock(&w->slock)) {
		if (now_ms() - atomic_load(&w->last_sync_ms) >= FLUSH_MS)
			sync_now(w);
		pthread_mutex_unlock(&w->slock);
	}
	return atomic_load(&w->err) ? -NS_EWRITE : 0;
}

int hist_writer_write(struct hist_writer *w, const struct history *h,
		      size_t i)
{
	return hist_writer_commit(w, hist_writer_queue(w, h, i));
}

int hist_writer_flush(struct hist_writer *w)
{
	uint64_t seq;

	pthread_mutex_lock(&w->qlock);
	seq = w->queued;
	pthread_mutex_unlock(&w->qlock);
	hist_writer_commit(w, seq);
	pthread_mutex_lock(&w->slock);
	sync_now(w);
	pthread_mutex_unlock(&w->slock);
	return atomic_load(&w->err) ? -NS_EWRITE : 0;
}

int hist_writer_close(struct hist_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = hist_writer_flush(w);
	if (close(w->fd) < 0 && !rc)
		rc = -NS_EWRITE;
	pthread_mutex_destroy(&w->qlock);
	pthread_mutex_destroy(&w->clock);
	pthread_mutex_destroy(&w->slock);
	sb_release(&w->pending);
	sb_release(&w->out);
	free(w->path);
	free(w);
	return rc;
}
