/*
 * test-lin-memo.c - the linearizability search's memo and memory budget
 * (checkers/lin-memo.c) on their own: a configuration is new once, any
 * part that differs makes another one, the table grows without losing
 * any, and the budget refuses what it cannot hold and gives it all back.
 */
#include "test.h"

#include "checkers/lin.h"

#define SPREAD 0x9e3779b97f4a7c15ULL	/* spreads i over the hash */

TEST(lin_memo_sees_each_configuration_once)
{
	struct lin_budget b = { .mem_limit = 1 << 26 };
	struct lin_memo m;
	uint64_t ok[2] = { 0x5, 0x1 }, inf[1] = { 0x2 }, other[1] = { 0x3 };
	size_t mine = 0;
	uint64_t i;

	CHECK_EQ_INT(checker__lin_memo_init(&m, 1, 6, 100, &b, &mine), 0);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 0, ok, 2, inf), 1);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 0, ok, 2, inf), 0);
	/* the same hash, another state, lo, length or indeterminate set */
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 2, 0, ok, 2, inf), 1);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 1, ok, 2, inf), 1);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 0, ok, 1, inf), 1);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 0, ok, 2, other), 1);
	/* thousands more (the table grows, chunks are added): each new
	   once, and the first ones still seen */
	for (i = 0; i < 5000; i++)
		CHECK_EQ_INT(checker__lin_memo_add(&m, i * SPREAD, 7, 0, &i, 1,
						   inf), 1);
	for (i = 0; i < 5000; i += 7)
		CHECK_EQ_INT(checker__lin_memo_add(&m, i * SPREAD, 7, 0, &i, 1,
						   inf), 0);
	CHECK_EQ_INT(checker__lin_memo_add(&m, 42, 1, 0, ok, 2, inf), 0);
	CHECK(mine > 5000 * 5 * sizeof(uint64_t));
	CHECK_EQ_INT(b.mem_used, mine);
	CHECK(b.mem_peak >= mine);
	checker__lin_memo_release(&m);
	checker__lin_uncharge(&b, &mine);
	CHECK_EQ_INT(mine, 0);
	CHECK_EQ_INT(b.mem_used, 0);
}

TEST(lin_memo_refuses_past_the_budget)
{
	struct lin_budget b = { .mem_limit = 64 * 1024 };
	struct lin_memo m;
	uint64_t inf[1] = { 0 };
	size_t mine = 0;
	uint64_t i;
	int rc = 1;

	CHECK_EQ_INT(checker__lin_charge(&b, &mine, 1 << 20), -1);
	CHECK_EQ_INT(mine, 0);
	CHECK_EQ_INT(b.mem_used, 0);
	CHECK_EQ_INT(checker__lin_memo_init(&m, 1, 5, 10, &b, &mine), 0);
	for (i = 0; i < 100000 && rc == 1; i++)
		rc = checker__lin_memo_add(&m, i * SPREAD, 0, 0, &i, 1, inf);
	CHECK_EQ_INT(rc, -1);
	CHECK(b.mem_used <= b.mem_limit);
	checker__lin_memo_release(&m);
	checker__lin_uncharge(&b, &mine);
	CHECK_EQ_INT(b.mem_used, 0);
}
