/* Unit tests for the streaming history writer (core/hist-writer.c) and
 * for hist_pair() on histories built in memory. */
#include "test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "err.h"
#include "history.h"

static size_t add(struct history *h, int64_t t, int64_t p, int type,
		  const char *f, int64_t v)
{
	struct hist_event e;

	memset(&e, 0, sizeof(e));
	e.time = t;
	e.process = p;
	e.session = p;
	e.type = (uint8_t)type;
	e.f = hist_intern(h, f, strlen(f));
	e.value.kind = HV_INT;
	e.value.u.i = v;
	e.pair = -1;
	return hist_append(h, &e);
}

struct job {
	struct hist_writer *w;
	const struct history *h;
	size_t from, to;
};

static void *writer_thread(void *arg)
{
	struct job *j = arg;
	size_t i;

	for (i = j->from; i < j->to; i++)
		if (hist_writer_write(j->w, j->h, i) < 0)
			return (void *)1;
	return NULL;
}

static void threads_write_whole_lines(unsigned flags)
{
	struct history h;
	struct sb err = SB_INIT;
	struct hist_writer *w;
	pthread_t th[4];
	struct job jobs[4];
	char path[512];
	size_t i;
	void *res;

	hist_init(&h);
	for (i = 0; i < 2000; i++) {
		add(&h, 0, (int64_t)(i % 4), HIST_INVOKE, "write",
		    (int64_t)i);
		add(&h, 0, (int64_t)(i % 4), HIST_OK, "write", (int64_t)i);
	}
	snprintf(path, sizeof(path), "%s/h.jsonl", test_tmpdir());
	w = hist_writer_open(path, flags, &err);
	CHECK(w);
	/* the threads write interleaved: every line must stay whole */
	for (i = 0; i < 4; i++) {
		jobs[i].w = w;
		jobs[i].h = &h;
		jobs[i].from = i * (h.n / 4);
		jobs[i].to = (i + 1) * (h.n / 4);
		CHECK(!pthread_create(&th[i], NULL, writer_thread, &jobs[i]));
	}
	for (i = 0; i < 4; i++) {
		CHECK(!pthread_join(th[i], &res));
		CHECK(res == NULL);
	}
	CHECK_EQ_INT(hist_writer_flush(w), 0);
	CHECK_EQ_INT(hist_writer_close(w), 0);
	/* interleaved by thread, so not a valid history: check that
	 * every event came back as one whole line */
	{
		FILE *f = fopen(path, "r");
		char line[512];
		size_t n = 0;

		CHECK(f);
		while (fgets(line, sizeof(line), f)) {
			CHECK(line[0] == '{');
			CHECK(strlen(line) > 2 &&
			      line[strlen(line) - 2] == '}');
			n++;
		}
		fclose(f);
		CHECK_EQ_INT(n, h.n);
	}
	hist_release(&h);
	sb_release(&err);
}

TEST(hist_writer_threads_write_whole_lines)
{
	threads_write_whole_lines(0);
}

TEST(hist_writer_threads_write_whole_lines_nomap)
{
	threads_write_whole_lines(HIST_WRITER_NOMAP);
}

/* Group commit: threads queue under one ordering lock and commit
   outside it.  The file keeps the queue order, and when commit returns
   the thread's own line is already in the file (a crash would not lose
   it). */
struct gc_job {
	struct hist_writer *w;
	struct history *h;
	pthread_mutex_t *lock;
	const char *path;
	size_t *next;		/* next event to queue (under lock) */
	size_t n;		/* events this thread records */
	size_t check_every;	/* look for the line in the file (0: no) */
	int bad;
};

/* Whether the file holds a line with "value":v. */
static int file_has_value(const char *path, int64_t v)
{
	FILE *f = fopen(path, "r");
	char line[512], want[64];
	int found = 0;

	snprintf(want, sizeof(want), "\"value\":%lld,", (long long)v);
	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	if (f)
		fclose(f);
	return found;
}

static void *gc_thread(void *arg)
{
	struct gc_job *j = arg;
	size_t k;

	for (k = 0; k < j->n; k++) {
		uint64_t seq;
		size_t i;

		pthread_mutex_lock(j->lock);
		i = (*j->next)++;
		seq = hist_writer_queue(j->w, j->h, i);
		pthread_mutex_unlock(j->lock);
		if (hist_writer_commit(j->w, seq) < 0)
			j->bad = 1;
		if (j->check_every && k % j->check_every == 0 &&
		    !file_has_value(j->path, j->h->ev[i].value.u.i))
			j->bad = 1;
	}
	return NULL;
}

/* threads x per_thread events recorded at once: every line in the file
   once, in queue order; every check_every-th one already in the file
   when its commit returns (0: not looked for). */
static void keeps_order_and_commits(unsigned flags, size_t threads,
				    size_t per_thread, size_t check_every)
{
	struct history h;
	struct sb err = SB_INIT;
	struct hist_writer *w;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_t th[8];
	struct gc_job jobs[8];
	char path[512], line[512];
	size_t i, next = 0, n = 0;
	long long prev = -1;
	FILE *f;

	CHECK(threads <= 8);
	hist_init(&h);
	for (i = 0; i < threads * per_thread; i++)
		add(&h, (int64_t)i, 0, HIST_INFO, "start", (int64_t)i);
	snprintf(path, sizeof(path), "%s/g.jsonl", test_tmpdir());
	w = hist_writer_open(path, flags, &err);
	CHECK(w);
	for (i = 0; i < threads; i++) {
		jobs[i] = (struct gc_job){ w, &h, &lock, path, &next,
					   per_thread, check_every, 0 };
		CHECK(!pthread_create(&th[i], NULL, gc_thread, &jobs[i]));
	}
	for (i = 0; i < threads; i++) {
		CHECK(!pthread_join(th[i], NULL));
		CHECK(!jobs[i].bad);
	}
	CHECK_EQ_INT(hist_writer_close(w), 0);
	f = fopen(path, "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		const char *v = strstr(line, "\"value\":");
		long long x;

		CHECK(v);
		x = atoll(v + 8);
		CHECK(x == prev + 1);	/* in queue order, none lost */
		prev = x;
		n++;
	}
	fclose(f);
	CHECK_EQ_INT(n, h.n);
	hist_release(&h);
	sb_release(&err);
}

TEST(hist_writer_map_keeps_order_and_commits)
{
	keeps_order_and_commits(0, 4, 300, 50);
}

/* Group commit through write(2), where the file cannot be mapped. */
TEST(hist_writer_group_commit_keeps_order_and_commits)
{
	keeps_order_and_commits(HIST_WRITER_NOMAP, 4, 300, 50);
}

/* Many threads recording fast, as the controller's workers do: the file
   grows hundreds of times, by hist_writer_commit() ahead of the lines
   and by hist_writer_queue() when lines outrun it, both at once.  (Once
   they took the writer's locks in opposite orders and hung.)  Every
   line is written once, in order. */
TEST_T(hist_writer_map_grows_under_many_threads, 30)
{
	keeps_order_and_commits(0, 6, 40000, 0);
}

/* A controller killed with -9 loses nothing it recorded: every line it
   queued is in the file (the map is the page cache), after it only the
   blank padding the file grows by, and the history reads back whole.
   20000 lines also take the map past its first length (it grows). */
TEST_T(hist_writer_map_survives_kill_9, 20)
{
	struct history h, back;
	struct sb warn = SB_INIT, err = SB_INIT;
	char path[512];
	struct stat st;
	pid_t pid;
	int status;
	size_t i;

	hist_init(&h);
	for (i = 0; i < 20000; i++)
		add(&h, (int64_t)i, HIST_NEMESIS, HIST_INFO, "start",
		    (int64_t)i);
	snprintf(path, sizeof(path), "%s/k.jsonl", test_tmpdir());
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct hist_writer *w = hist_writer_open(path, 0, &err);

		for (i = 0; w && i < h.n; i++)
			if (hist_writer_write(w, &h, i) < 0)
				_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(!stat(path, &st));
	CHECK_EQ_INT(st.st_size % (64 << 10), 0);	/* padding left */
	hist_init(&back);
	hist_read_file(&back, path, HIST_FMT_AUTO, &warn, &err);
	CHECK_EQ_STR(err.buf, "");
	CHECK_EQ_STR(warn.buf, "");
	CHECK_EQ_INT(back.n, h.n);
	CHECK_EQ_INT(back.ev[h.n - 1].value.u.i, 19999);
	hist_release(&back);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

/* A full disk (here a file size limit) through the map is an error from
   then on, not a SIGBUS: the space for the map is taken by write(2)
   first.  Closing cuts the file to the whole lines written. */
TEST(hist_writer_map_full_disk_is_an_error)
{
	char path[512];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/f.jsonl", test_tmpdir());
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 100000, 100000 };
		struct history h;
		struct sb err = SB_INIT;
		struct hist_writer *w;
		size_t i;
		int rc = 0;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(10);
		hist_init(&h);
		for (i = 0; i < 3000; i++)
			add(&h, (int64_t)i, HIST_NEMESIS, HIST_INFO, "start",
			    (int64_t)i);
		w = hist_writer_open(path, 0, &err);
		if (!w)
			_exit(11);
		for (i = 0; i < h.n && !rc; i++)
			rc = hist_writer_write(w, &h, i);
		if (rc != -NS_EWRITE || i == h.n)
			_exit(12);	/* the error came, and early */
		if (hist_writer_write(w, &h, 0) != -NS_EWRITE)
			_exit(13);	/* sticky */
		if (hist_writer_close(w) != -NS_EWRITE)
			_exit(14);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	{
		struct history back;
		struct sb warn = SB_INIT, err = SB_INIT;

		hist_init(&back);
		CHECK_EQ_INT(hist_read_file(&back, path, HIST_FMT_AUTO,
					    &warn, &err), 0);
		CHECK(back.n > 100);
		CHECK_EQ_STR(warn.buf, "");
		hist_release(&back);
		sb_release(&warn);
		sb_release(&err);
	}
}

/* Closed, the file holds its lines and nothing after them. */
TEST(hist_writer_close_cuts_the_padding)
{
	struct history h;
	struct sb err = SB_INIT, want = SB_INIT;
	struct hist_writer *w;
	char path[512];
	struct stat st;
	size_t i;

	hist_init(&h);
	for (i = 0; i < 300; i++) {
		add(&h, (int64_t)i, 0, HIST_INVOKE, "write", (int64_t)i);
		hist_event_json(&h, i, &want);
	}
	snprintf(path, sizeof(path), "%s/c.jsonl", test_tmpdir());
	w = hist_writer_open(path, 0, &err);
	CHECK(w);
	for (i = 0; i < h.n; i++)
		CHECK_EQ_INT(hist_writer_write(w, &h, i), 0);
	CHECK(!stat(path, &st));
	CHECK_EQ_INT(st.st_size, 64 << 10);	/* grown ahead, padded */
	CHECK_EQ_INT(hist_writer_close(w), 0);
	CHECK(!stat(path, &st));
	CHECK_EQ_INT(st.st_size, want.len);
	{
		struct sb got = SB_INIT;
		FILE *f = fopen(path, "r");
		char buf[4096];
		size_t k;

		CHECK(f);
		while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
			sb_add(&got, buf, k);
		fclose(f);
		CHECK_EQ_STR(got.buf, want.buf);
		sb_release(&got);
	}
	hist_release(&h);
	sb_release(&err);
	sb_release(&want);
}

TEST(hist_writer_round_trip)
{
	struct history h, back;
	struct sb warn = SB_INIT, err = SB_INIT, a = SB_INIT, b = SB_INIT;
	struct hist_writer *w;
	char path[512];
	size_t i;

	hist_init(&h);
	add(&h, 1, 0, HIST_INVOKE, "write", 3);
	add(&h, 2, 1, HIST_INVOKE, "read", 0);
	add(&h, 3, 0, HIST_OK, "write", 3);
	add(&h, 4, 1, HIST_INFO, "read", 0);
	h.ev[3].error = hist_intern(&h, "timed out", 9);
	add(&h, 5, HIST_NEMESIS, HIST_INFO, "start", 0);
	snprintf(path, sizeof(path), "%s/r.jsonl", test_tmpdir());
	w = hist_writer_open(path, 0, &err);
	CHECK(w);
	for (i = 0; i < h.n; i++)
		CHECK_EQ_INT(hist_writer_write(w, &h, i), 0);
	CHECK_EQ_INT(hist_writer_close(w), 0);
	hist_init(&back);
	CHECK_EQ_INT(hist_read_file(&back, path, HIST_FMT_AUTO, &warn, &err),
		     0);
	CHECK_EQ_INT(back.n, h.n);
	for (i = 0; i < h.n; i++) {
		hist_event_json(&h, i, &a);
		hist_event_json(&back, i, &b);
	}
	CHECK_EQ_STR(b.buf, a.buf);
	CHECK_EQ_INT(back.ev[1].pair, 3);
	CHECK_EQ_STR(hist_str(&back, back.ev[3].error), "timed out");
	hist_release(&back);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&a);
	sb_release(&b);
}

/* The event array moves to huge-page-advised blocks past
   LARGE_ALLOC_MIN (xrealloc_large copies it over): nothing is lost or
   moved on the way. */
TEST(hist_append_keeps_events_across_large_growth)
{
	struct history h;
	size_t i, n = 3 * LARGE_ALLOC_MIN / sizeof(struct hist_event);
	int bad = 0;

	hist_init(&h);
	for (i = 0; i < n; i++)
		CHECK_EQ_INT(add(&h, (int64_t)i, (int64_t)(i % 7),
				 i % 2 ? HIST_OK : HIST_INVOKE, "write",
				 (int64_t)(i * 3)), i);
	CHECK(h.alloc * sizeof(*h.ev) > LARGE_ALLOC_MIN);
	for (i = 0; i < n; i++)
		bad += h.ev[i].time != (int64_t)i ||
		       h.ev[i].value.u.i != (int64_t)(i * 3) ||
		       h.ev[i].process != (int32_t)(i % 7);
	CHECK_EQ_INT(bad, 0);
	hist_release(&h);
}

TEST(hist_writer_open_fails_with_a_message)
{
	struct sb err = SB_INIT;

	CHECK(!hist_writer_open("/nonexistent/dir/h.jsonl", 0, &err));
	CHECK_CONTAINS(err.buf, "cannot open '/nonexistent/dir/h.jsonl'");
	sb_release(&err);
}

TEST(hist_pair_in_memory_names_events)
{
	struct history h;
	struct sb err = SB_INIT;

	hist_init(&h);
	add(&h, 1, 0, HIST_INVOKE, "write", 3);
	add(&h, 2, 0, HIST_INVOKE, "write", 4);
	CHECK_EQ_INT(hist_pair(&h, &err), -NS_EINPUT);
	CHECK_CONTAINS(err.buf, "history: event 1: process 0 invokes while "
		       "its op from event 0 is still pending");
	hist_release(&h);
	sb_reset(&err);
	/* nemesis: invoke/ok pairs, stray completions are not errors */
	hist_init(&h);
	add(&h, 1, HIST_NEMESIS, HIST_OK, "stop", 0);
	add(&h, 2, HIST_NEMESIS, HIST_INVOKE, "start", 0);
	add(&h, 3, 0, HIST_INVOKE, "read", 0);
	add(&h, 4, HIST_NEMESIS, HIST_OK, "start", 0);
	add(&h, 5, 0, HIST_OK, "read", 0);
	CHECK_EQ_INT(hist_pair(&h, &err), 0);
	CHECK_EQ_INT(h.ev[0].pair, -1);
	CHECK_EQ_INT(h.ev[1].pair, 3);
	CHECK_EQ_INT(h.ev[2].pair, 4);
	hist_release(&h);
	sb_release(&err);
}
