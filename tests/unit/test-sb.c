/* Unit tests for core/sb.c and core/err.c. */
#include "test.h"

#include <inttypes.h>

#include "err.h"
#include "sb.h"

TEST(sb_init_is_empty_string)
{
	struct sb sb = SB_INIT;

	CHECK_EQ_STR(sb.buf, "");
	CHECK_EQ_INT(sb.len, 0);
	sb_release(&sb);
}

TEST(sb_addf_grows)
{
	struct sb sb = SB_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		sb_addf(&sb, "%d,", i);
	CHECK(sb.len > 3000);
	CHECK(!strncmp(sb.buf, "0,1,2,", 6));
	CHECK_EQ_INT(sb.buf[sb.len], 0);
	sb_release(&sb);
}

TEST(sb_addi64_prints_what_printf_prints)
{
	static const int64_t v[] = { 0, 7, -7, 10, 99, -100, 1234567890123,
				     INT64_MAX, INT64_MIN };
	struct sb a = SB_INIT;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sb_reset(&a);
		sb_addi64(&a, v[i]);
		snprintf(want, sizeof(want), "%" PRId64, v[i]);
		CHECK_EQ_STR(a.buf, want);
	}
	sb_reset(&a);
	sb_addu64(&a, UINT64_MAX);
	snprintf(want, sizeof(want), "%" PRIu64, UINT64_MAX);
	CHECK_EQ_STR(a.buf, want);
	sb_release(&a);
}

TEST(sb_cap_truncates)
{
	struct sb sb = SB_INIT;

	sb.max = 10;
	sb_adds(&sb, "0123456");
	CHECK(!sb.truncated);
	sb_addf(&sb, "%s", "789abc");
	CHECK(sb.truncated);
	CHECK_EQ_STR(sb.buf, "0123456789");
	sb_release(&sb);
}

TEST(sb_shquote_is_one_word)
{
	struct sb sb = SB_INIT;

	sb_add_shquoted(&sb, "a'; $(rm -rf /)\n");
	CHECK_EQ_STR(sb.buf, "'a'\\''; $(rm -rf /)\n'");
	sb_release(&sb);
}

TEST(sb_detach_hands_over)
{
	struct sb sb = SB_INIT;
	size_t n;
	char *p;

	sb_adds(&sb, "hello");
	p = sb_detach(&sb, &n);
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_STR(p, "hello");
	CHECK_EQ_STR(sb.buf, "");
	free(p);
}

TEST(err_codes_map_to_exit_codes)
{
	CHECK_EQ_INT(ns_exit_code(0), 0);
	CHECK_EQ_INT(ns_exit_code(NS_EINPUT), NS_EXIT_USAGE);
	CHECK_EQ_INT(ns_exit_code(NS_EBUDGET), NS_EXIT_UNKNOWN);
	CHECK_EQ_INT(ns_exit_code(NS_ESSH), NS_EXIT_HARNESS);
	CHECK_EQ_STR(ns_errname(NS_ETIMEDOUT), "ETIMEDOUT");
}

TEST(err_exit_worse_orders_severity)
{
	CHECK_EQ_INT(ns_exit_worse(NS_EXIT_VALID, NS_EXIT_UNKNOWN),
		     NS_EXIT_UNKNOWN);
	CHECK_EQ_INT(ns_exit_worse(NS_EXIT_ANOMALY, NS_EXIT_UNKNOWN),
		     NS_EXIT_ANOMALY);
	CHECK_EQ_INT(ns_exit_worse(NS_EXIT_ANOMALY, NS_EXIT_HARNESS),
		     NS_EXIT_HARNESS);
	CHECK_EQ_INT(ns_exit_worse(NS_EXIT_USAGE, NS_EXIT_HARNESS),
		     NS_EXIT_USAGE);
	CHECK_EQ_INT(ns_exit_worse(NS_EXIT_VALID, NS_EXIT_VALID),
		     NS_EXIT_VALID);
}
