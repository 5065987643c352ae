/*
 * runner.c - runs the registered unit tests, each in its own process with
 * a timeout, and prints PASS/FAIL lines for tests/run to count.
 */
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

/*
 * Each test ends with _exit(), so the sanitizer's leak check, which runs
 * at exit(), would never see it: under ASan the child asks for the check
 * itself before leaving (a leak makes the child exit non-zero, so the test
 * fails with the sanitizer's report on stderr).
 */
#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define NS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)	/* clang */
#define NS_ASAN 1
#endif
#endif
#ifdef NS_ASAN
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_leak_check()
#else
#define LEAK_CHECK() do { } while (0)
#endif

static struct test_entry *tests;
static size_t ntests, tests_alloc;
static char tmpdir[256];

void test_register(const char *name, void (*fn)(void), unsigned timeout_s)
{
	ALLOC_GROW(tests, ntests + 1, tests_alloc);
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	tests[ntests].timeout_s = timeout_s;
	ntests++;
}

void test_fail_(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(1);
}

const char *test_tmpdir(void)
{
	return tmpdir;
}

static int cmp_test(const void *a, const void *b)
{
	return strcmp(((const struct test_entry *)a)->name,
		      ((const struct test_entry *)b)->name);
}

static double multiplier(void)
{
	const char *m = getenv("NS_TEST_TIMEOUT_MULTIPLIER");
	double v = m ? atof(m) : 1.0;

	return v > 0 ? v : 1.0;
}

static void remove_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "runner: could not remove %s\n", tmpdir);
}

/* Run one test in a child; returns 0 pass, 1 fail, with why filled in. */
static int run_one(const struct test_entry *t, char *why, size_t whylen)
{
	unsigned limit = (unsigned)(t->timeout_s * multiplier() + 0.5);
	pid_t pid;
	int status;
	time_t start;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ns-unit-%d-XXXXXX",
		 (int)getpid());
	if (!mkdtemp(tmpdir)) {
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		return 1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		remove_tmpdir();
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		t->fn();
		fflush(NULL);
		LEAK_CHECK();
		_exit(0);
	}
	start = time(NULL);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (time(NULL) - start >= (time_t)limit) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "timed out after %u s", limit);
			remove_tmpdir();
			return 1;
		}
		usleep(2000);
	}
	remove_tmpdir();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(why, whylen, "exit %d", WEXITSTATUS(status));
	return 1;
}

int main(int argc, char **argv)
{
	size_t i;
	int failed = 0, passed = 0, stress = 0, a;

	qsort(tests, ntests, sizeof(*tests), cmp_test);
	a = 1;
	if (a < argc && !strcmp(argv[a], "--stress")) {
		stress = 1;
		a++;
	}
	if (a < argc && !strcmp(argv[a], "--list")) {
		for (i = 0; i < ntests; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	do {
		for (i = 0; i < ntests; i++) {
			char why[256] = "";
			int j, selected = a >= argc;

			for (j = a; j < argc; j++)
				if (!strcmp(argv[j], tests[i].name))
					selected = 1;
			if (!selected)
				continue;
			if (run_one(&tests[i], why, sizeof(why))) {
				printf("FAIL: unit/%s (%s)\n", tests[i].name,
				       why);
				failed++;
				stress = 0;
			} else {
				printf("PASS: unit/%s\n", tests[i].name);
				passed++;
			}
			fflush(stdout);
		}
	} while (stress);
	fprintf(stderr, "unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
