/*
 * hist-writer.c - the streaming JSON Lines writer (hist_writer_*, see
 * history.h) the controller records a run with.
 *
 * Each event is formatted by hist_event_json() and handed to the kernel
 * at once with one write(2) of the whole line to a file opened O_APPEND,
 * under the writer's mutex: lines never interleave, and a crash of the
 * controller loses nothing already written (a reader sees at most one
 * cut line, which the JSON reader drops with a warning).  Every
 * FLUSH_MS the next write also calls fdatasync(2) so a crash of the
 * machine loses at most that much; hist_writer_flush() and
 * hist_writer_close() sync at once.
 *
 * Ownership: hist_writer_open() returns a writer the caller frees with
 * hist_writer_close().  The history passed to hist_writer_write() is
 * borrowed for the call; the caller keeps it from being resized while
 * the line is formatted.
 */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"

#define FLUSH_MS 200

struct hist_writer {
	pthread_mutex_t lock;
	int fd;
	int err;		/* first write error (errno), sticky */
	char *path;
	struct sb line;
	int64_t last_sync_ms;
	int dirty;
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
	pthread_mutex_init(&w->lock, NULL);
	w->fd = fd;
	w->path = xstrdup(path);
	sb_init(&w->line, 256);
	w->last_sync_ms = now_ms();
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

static int sync_locked(struct hist_writer *w)
{
	if (w->dirty && fdatasync(w->fd) < 0 && errno != EINVAL &&
	    !w->err)
		w->err = errno;
	w->dirty = 0;
	w->last_sync_ms = now_ms();
	return w->err ? -NS_EWRITE : 0;
}

int hist_writer_write(struct hist_writer *w, const struct history *h,
		      size_t i)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	sb_reset(&w->line);
	hist_event_json(h, i, &w->line);
	if (!w->err)
		w->err = write_all(w->fd, w->line.buf, w->line.len);
	w->dirty = 1;
	if (now_ms() - w->last_sync_ms >= FLUSH_MS)
		sync_locked(w);
	if (w->err)
		rc = -NS_EWRITE;
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int hist_writer_flush(struct hist_writer *w)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	rc = sync_locked(w);
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int hist_writer_close(struct hist_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = hist_writer_flush(w);
	if (close(w->fd) < 0 && !rc)
		rc = -NS_EWRITE;
	pthread_mutex_destroy(&w->lock);
	sb_release(&w->line);
	free(w->path);
	free(w);
	return rc;
}
