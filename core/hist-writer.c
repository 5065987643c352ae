/*
 * hist-writer.c - the streaming JSON Lines writer (hist_writer_*, see
 * history.h) the controller records a run with.
 *
 * Through a shared memory map.  The file is mapped MAP_SHARED and each
 * line is copied into the map by hist_writer_queue(), under the caller's
 * lock (the one that orders its events, so the file is in the history's
 * order).  A line copied into a shared file map is in the kernel's page
 * cache at once: a crash of the controller, even kill -9, loses nothing
 * already queued, and recording an event makes no system call at all
 * (one write(2) per event was most of the cost of recording).  The file
 * is grown EXTEND bytes at a time ahead of the lines, by appending blank
 * padding (hist_writer_commit() does it, outside the locks, when less
 * than half a block is left), so a live history, or one whose controller
 * was killed, ends in up to 64 KiB of spaces and a newline: blank space
 * that JSON Lines readers (ours, jq) skip.  A line's first byte is
 * stored last, so a line cut by a kill starts with padding and never
 * parses.  hist_writer_close() cuts the file to its lines.  A file cut
 * short by someone else while mapped would fault (SIGBUS) when written.
 *
 * Where the file cannot be mapped, or its file system might fail a write
 * into the map for want of space (fs_allocates()), group commit through
 * write(2) instead:
 * hist_writer_queue() formats the line onto a pending buffer, and
 * hist_writer_commit(seq) returns once that line is in the kernel: the
 * first thread to get the commit lock hands the whole pending buffer to
 * one write(2) on a file opened O_APPEND, and the threads that queued
 * behind it find their lines already written.
 *
 * Every FLUSH_MS a commit also calls fdatasync(2), so a crash of the
 * machine loses at most that much; the sync runs outside the other locks
 * (one thread at a time, under its own lock), so the other writers do
 * not wait for the disk.
 * hist_writer_flush() and hist_writer_close() write and sync at once.
 *
 * Ownership: hist_writer_open() returns a writer the caller frees with
 * hist_writer_close().  The history passed to hist_writer_queue() is
 * borrowed for the call; the caller keeps it from being resized while
 * the line is formatted.
 */
#define _GNU_SOURCE		/* mremap */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"

#define FLUSH_MS 200
#define EXTEND (64 << 10)	/* the file grows this much at a time */
#define WINDOW (1 << 20)	/* first map length (grows by doubling) */

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
	int mapped;		/* lines go to the map (set at open) */
	/* the map (NULL: write(2) instead); under qlock (moved under
	   glock too, for prefault()) */
	char *map;
	size_t maplen;		/* bytes mapped */
	size_t size;		/* the file's length (padding appended) */
	size_t off;		/* where the next line goes */
	atomic_size_t room;	/* size - off, for a look without qlock */
	pthread_mutex_t glock;	/* one padding append at a time */
	char *pad;		/* EXTEND bytes: spaces, then a newline */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether the file system keeps the space write(2) gave a file, so that
   writing into the map later cannot fail for want of space (which a map
   reports as SIGBUS): ext2/3/4, XFS and tmpfs do; copy-on-write file
   systems (btrfs, ZFS) allocate again on every write, and others are not
   known, so they get write(2). */
static int fs_allocates(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return 0;
	switch ((unsigned long)sf.f_type) {
	case 0xEF53UL:		/* ext2, ext3, ext4 */
	case 0x58465342UL:	/* XFS */
	case 0x01021994UL:	/* tmpfs */
		return 1;
	default:
		return 0;
	}
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

/* Append one block of padding; glock held, qlock not (a reader of the
   file sees blank space after the last line, which JSON Lines readers
   skip).  Returns 0 or an errno. */
static int grow(struct hist_writer *w)
{
	return write_all(w->fd, w->pad, EXTEND);
}

/* Map the pages of [from, from + n) of the file writable now, in one
   call, so the recording threads that copy lines there later take no
   page fault (the first write to each page of a shared map faults, and
   on a virtual machine a fault costs microseconds: a quarter of what
   recording an event cost).  glock held: the map is not moved
   meanwhile (map_room() moves it only under glock).  Advice only: a
   kernel without MADV_POPULATE_WRITE (before Linux 5.14) faults the
   pages in as they are written, as before. */
static void prefault(struct hist_writer *w, size_t from, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), end = from + n;

	from &= ~(pg - 1);
	if (end > w->maplen)
		end = w->maplen;
	if (from < end)
		madvise(w->map + from, end - from, MADV_POPULATE_WRITE);
#else
	(void)w;
	(void)from;
	(void)n;
#endif
}

/* Map the file from offset 0 (on failure w->map stays NULL and lines go
   through write(2)). */
static void map_open(struct hist_writer *w)
{
	struct stat st;
	size_t len = WINDOW;
	void *m;

	if (fstat(w->fd, &st) || !S_ISREG(st.st_mode) || !fs_allocates(w->fd))
		return;
	while (len < (size_t)st.st_size + EXTEND)
		len *= 2;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, 0);
	if (m == MAP_FAILED)
		return;
	w->map = m;
	w->mapped = 1;
	w->maplen = len;
	w->size = w->off = (size_t)st.st_size;
	w->pad = xmalloc(EXTEND);
	memset(w->pad, ' ', EXTEND - 1);
	w->pad[EXTEND - 1] = '\n';
	/* the first block, ready before the first line */
	if (!grow(w)) {
		prefault(w, w->size, EXTEND);
		w->size += EXTEND;
		atomic_store(&w->room, w->size - w->off);
	}
}

struct hist_writer *hist_writer_open(const char *path, unsigned flags,
				     struct sb *err)
{
	struct hist_writer *w;
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		sb_addf(err, "cannot open '%s' for writing: %s", path,
			strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->qlock, NULL);
	pthread_mutex_init(&w->clock, NULL);
	pthread_mutex_init(&w->slock, NULL);
	pthread_mutex_init(&w->glock, NULL);
	w->fd = fd;
	w->path = xstrdup(path);
	sb_init(&w->pending, 4096);
	sb_init(&w->out, 4096);
	atomic_init(&w->err, 0);
	atomic_init(&w->written, 0);
	atomic_init(&w->last_sync_ms, now_ms());
	atomic_init(&w->dirty, 0);
	if (!(flags & HIST_WRITER_NOMAP))
		map_open(w);
	return w;
}

/* Make room in the file and the map for n more bytes; qlock held.  The
   padding is normally appended ahead of need by hist_writer_commit(),
   outside the locks; this is the fallback when lines outran it.  The
   space is taken by write(2), so a full disk is an error here, not a
   SIGBUS when the map is written. */
static int map_room(struct hist_writer *w, size_t n)
{
	size_t need = w->off + n;

	while (need > w->size) {
		int e;

		pthread_mutex_lock(&w->glock);
		e = grow(w);
		pthread_mutex_unlock(&w->glock);
		if (e)
			return e;
		w->size += EXTEND;
	}
	if (need > w->maplen) {
		size_t len = w->maplen * 2;
		void *m;

		while (len < need)
			len *= 2;
		/* glock: prefault() reads the map outside qlock */
		pthread_mutex_lock(&w->glock);
		m = mremap(w->map, w->maplen, len, MREMAP_MAYMOVE);
		if (m != MAP_FAILED) {
			w->map = m;
			w->maplen = len;
		}
		pthread_mutex_unlock(&w->glock);
		if (m == MAP_FAILED)
			return errno;
	}
	return 0;
}

/* Copy a line into the map with its first byte last: a controller killed
   in the middle leaves a line that starts with padding, which never
   reads as JSON (memcpy may store a line's end before its middle, so a
   line with a hole could otherwise end in "}\n" and parse). */
static void map_put(char *dst, const char *src, size_t n)
{
	memcpy(dst + 1, src + 1, n - 1);
	atomic_signal_fence(memory_order_seq_cst);
	*(volatile char *)dst = src[0];
}

uint64_t hist_writer_queue(struct hist_writer *w, const struct history *h,
			   size_t i)
{
	uint64_t seq;

	pthread_mutex_lock(&w->qlock);
	if (w->map) {
		int e;

		sb_reset(&w->pending);
		hist_event_json(h, i, &w->pending);
		e = atomic_load(&w->err) ? 0 : map_room(w, w->pending.len);
		if (e)
			set_err(w, e);
		else if (!atomic_load(&w->err)) {
			map_put(w->map + w->off, w->pending.buf,
				w->pending.len);
			w->off += w->pending.len;
			atomic_store(&w->room, w->size - w->off);
			atomic_store(&w->dirty, 1);
		}
		seq = ++w->queued;
		atomic_store(&w->written, seq);
	} else {
		hist_event_json(h, i, &w->pending);
		seq = ++w->queued;
	}
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
	/* Less than half a block of padding left: append the next one
	   now, outside the locks the recording threads take.  qlock is
	   never taken while glock is held (map_room() takes them in the
	   other order); a block appended meanwhile by another thread only
	   makes the file longer, and w->size counts every block. */
	if (w->mapped && atomic_load(&w->room) < EXTEND / 2 &&
	    !atomic_load(&w->err) && !pthread_mutex_trylock(&w->glock)) {
		int e = -1;

		if (atomic_load(&w->room) < EXTEND / 2) {
			off_t end = lseek(w->fd, 0, SEEK_END);

			e = grow(w);
			if (!e && end >= 0)
				prefault(w, (size_t)end, EXTEND);
		}
		pthread_mutex_unlock(&w->glock);
		if (e >= 0) {
			pthread_mutex_lock(&w->qlock);
			if (e)
				set_err(w, e);
			else
				w->size += EXTEND;
			atomic_store(&w->room, w->size - w->off);
			pthread_mutex_unlock(&w->qlock);
		}
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
	if (w->map) {
		/* cut the padding the file was grown by, then sync */
		munmap(w->map, w->maplen);
		w->map = NULL;
		free(w->pad);
		if (ftruncate(w->fd, (off_t)w->off) < 0)
			set_err(w, errno);
		atomic_store(&w->dirty, 1);
	}
	rc = hist_writer_flush(w);
	if (close(w->fd) < 0 && !rc)
		rc = -NS_EWRITE;
	pthread_mutex_destroy(&w->qlock);
	pthread_mutex_destroy(&w->clock);
	pthread_mutex_destroy(&w->slock);
	pthread_mutex_destroy(&w->glock);
	sb_release(&w->pending);
	sb_release(&w->out);
	free(w->path);
	free(w);
	return rc;
}
