/*
 * test.h - a minimal unit-test framework.
 *
 * A test file defines tests with TEST(name) { ... } and asserts with
 * CHECK(cond), CHECK_EQ_INT(a, b), CHECK_EQ_STR(a, b).  Tests register
 * themselves (a constructor per test), so adding a file under tests/unit/
 * named test-*.c is all it takes: the Makefile picks it up.
 *
 * The runner (runner.c) forks each test, enforces a timeout (5 s, scaled
 * by NS_TEST_TIMEOUT_MULTIPLIER), and prints one line per test:
 *   PASS: unit/<name>   FAIL: unit/<name> (<why>)
 * `test-unit NAME...` runs only the named tests; `--stress NAME` reruns a
 * test until it fails.
 *
 * Ownership: a test frees all it allocates (under ASan the runner checks
 * for leaks when the test returns); test_tmpdir() is the runner's string
 * and the directory it names is removed after the test.
 */
#ifndef NS_TEST_H
#define NS_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_entry {
	const char *name;
	void (*fn)(void);
	unsigned timeout_s;
};

void test_register(const char *name, void (*fn)(void), unsigned timeout_s);
void test_fail_(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
/* A scratch directory for this test (removed by the runner afterwards). */
const char *test_tmpdir(void);

#define TEST_T(name, secs)                                                \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void test_reg_##name(void)    \
	{                                                                 \
		test_register(#name, test_##name, secs);                  \
	}                                                                 \
	static void test_##name(void)

#define TEST(name) TEST_T(name, 5)

#define CHECK(c)                                                          \
	do {                                                              \
		if (!(c))                                                 \
			test_fail_(__FILE__, __LINE__, "%s", #c);         \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                \
	do {                                                              \
		long long check_a_ = (long long)(a);                      \
		long long check_b_ = (long long)(b);                      \
		if (check_a_ != check_b_)                                 \
			test_fail_(__FILE__, __LINE__,                    \
				   "%s == %s: %lld != %lld", #a, #b,      \
				   check_a_, check_b_);                   \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                \
	do {                                                              \
		const char *check_a_ = (a), *check_b_ = (b);              \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) \
			test_fail_(__FILE__, __LINE__,                    \
				   "%s == %s: \"%s\" != \"%s\"", #a, #b,  \
				   check_a_ ? check_a_ : "(null)",        \
				   check_b_ ? check_b_ : "(null)");       \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                       \
	do {                                                              \
		const char *check_h_ = (hay), *check_n_ = (needle);       \
		if (!check_h_ || !strstr(check_h_, check_n_))             \
			test_fail_(__FILE__, __LINE__,                    \
				   "\"%s\" does not contain \"%s\"",      \
				   check_h_ ? check_h_ : "(null)",        \
				   check_n_);                             \
	} while (0)

/* Write text to DIR/NAME (a fixture file); a file that cannot be opened
   fails the test. */
static inline void test_write_file(const char *dir, const char *name,
				   const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

#endif
