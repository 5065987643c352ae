/* Unit tests for checkers/session.c (the "session" checker). */
#include "test.h"

#include "histbuild.h"

/* write x by session s over [t0, t1]. */
static size_t wr(struct history *h, int64_t s, int x, enum hist_type type,
		 double t0, double t1)
{
	return hb_op(h, s, "write", hb_int(x), type, hb_int(x), t0, t1);
}

static size_t rd(struct history *h, int64_t s, struct hist_value got,
		 double t0, double t1)
{
	return hb_op(h, s, "read", hb_nil(), HIST_OK, got, t0, t1);
}

TEST(session_ryw_violation_by_value_order)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t w2, r;
	char *j;

	hist_init(&h);
	wr(&h, 1, 5, HIST_OK, 10000, 10300);
	w2 = wr(&h, 3, 7, HIST_OK, 12000, 12300);
	hb_key(&h, w2, "k1");
	hb_key(&h, w2 - 2, "k1");
	r = rd(&h, 3, hb_int(5), 14100, 14200);
	hb_key(&h, r, "k1");
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	a = hb_find(&v, "read-your-writes");
	CHECK(a);
	CHECK_EQ_INT(a->nops, 2);
	CHECK_EQ_INT(a->ops[0], w2);
	CHECK_EQ_INT(a->ops[1], r);
	CHECK_CONTAINS(a->text, "session 3 wrote 7 (written at 12.000 s, "
		       "acknowledged at 12.300 s) to k1; its read of k1 at "
		       "14.100 s returned 5 (written at 10.000 s, "
		       "acknowledged at 10.300 s)");
	CHECK_CONTAINS(j, "\"order\":\"value order\"");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_ryw_violation_by_version)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t op;
	char *j;

	hist_init(&h);
	op = wr(&h, 3, 7, HIST_OK, 10, 11);
	hb_version(&h, op, 42);
	/* Another session's newer write is fine to read... */
	op = wr(&h, 4, 8, HIST_OK, 12, 13);
	hb_version(&h, op, 43);
	op = rd(&h, 3, hb_int(8), 14, 15);
	hb_version(&h, op, 43);
	/* ...an older version is not, even if its value looks new. */
	op = rd(&h, 3, hb_int(5), 16, 17);
	hb_version(&h, op, 40);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "read-your-writes"), 1);
	a = hb_find(&v, "read-your-writes");
	CHECK_CONTAINS(a->text, "session 3 wrote 7 (version 42); its read "
		       "at 0.016 s returned 5 (version 40)");
	CHECK_CONTAINS(j, "\"order\":\"version\"");
	/* Monotonic reads: version 43 then 40. */
	CHECK_EQ_INT(hb_count(&v, "monotonic-reads"), 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_ryw_initial_value_after_own_write)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	wr(&h, 1, 7, HIST_OK, 10, 11);
	rd(&h, 1, hb_nil(), 12, 13);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_CONTAINS(hb_find(&v, "read-your-writes")->text,
		       "returned null (the initial value)");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/* Concurrent writes have no definite order: reading the other one is
 * not a violation. */
TEST(session_concurrent_write_is_not_older)
{
	struct history h;
	struct verdict v;
	size_t a, b;
	char *j;

	hist_init(&h);
	a = hb_inv(&h, 1, "write", hb_int(7), 10);
	b = hb_inv(&h, 2, "write", hb_int(9), 11);
	hb_done(&h, b, HIST_OK, hb_int(9), 12);
	hb_done(&h, a, HIST_OK, hb_int(7), 13);
	rd(&h, 1, hb_int(9), 14, 15);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(v.anomaly_count, 0);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_monotonic_reads_violation)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t r1, r2;
	char *j;

	hist_init(&h);
	wr(&h, 9, 1, HIST_OK, 10, 11);
	wr(&h, 9, 2, HIST_OK, 12, 13);
	r1 = rd(&h, 1, hb_int(2), 20, 21);
	r2 = rd(&h, 1, hb_int(1), 22, 23);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	a = hb_find(&v, "monotonic-reads");
	CHECK(a);
	CHECK_EQ_INT(a->ops[0], r1);
	CHECK_EQ_INT(a->ops[1], r2);
	CHECK_CONTAINS(a->text, "session 1's read at 0.020 s returned 2");
	CHECK_CONTAINS(a->text, "its later read at 0.022 s returned 1");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_monotonic_writes_violation_by_version)
{
	struct history h;
	struct verdict v;
	size_t op;
	char *j;

	hist_init(&h);
	op = wr(&h, 1, 1, HIST_OK, 10, 11);
	hb_version(&h, op, 10);
	op = wr(&h, 1, 2, HIST_OK, 12, 13);
	hb_version(&h, op, 8);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "monotonic-writes"), 1);
	CHECK_CONTAINS(hb_find(&v, "monotonic-writes")->text,
		       "session 1 wrote 1 (version 10), then 2 (version 8)");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_writes_follow_reads_violation_by_version)
{
	struct history h;
	struct verdict v;
	size_t op;
	char *j;

	hist_init(&h);
	op = wr(&h, 2, 1, HIST_OK, 10, 11);
	hb_version(&h, op, 10);
	op = rd(&h, 1, hb_int(1), 12, 13);
	hb_version(&h, op, 10);
	op = wr(&h, 1, 2, HIST_OK, 14, 15);
	hb_version(&h, op, 9);
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "writes-follow-reads"), 1);
	CHECK_EQ_INT(v.anomaly_count, 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/* A replica behind by seconds, but each session reads its own writes
 * and never goes backwards: no session guarantee is broken. */
TEST(session_control_replica_lag_without_violation)
{
	struct history h;
	struct verdict v;
	int i;
	char *j;

	hist_init(&h);
	for (i = 0; i < 5; i++) {
		/* session 1 writes i; session 2 reads a lagging value. */
		wr(&h, 1, i + 1, HIST_OK, 1000.0 * i, 1000.0 * i + 1);
		rd(&h, 1, hb_int(i + 1), 1000.0 * i + 2, 1000.0 * i + 3);
		rd(&h, 2, i ? hb_int(i) : hb_nil(), 1000.0 * i + 4,
		   1000.0 * i + 5);
	}
	j = hb_check(&h, "session", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(v.anomaly_count, 0);
	CHECK(strstr(j, "\"read-your-writes\":{\"checked\":5"));
	CHECK_EQ_INT(hb_stat(&v, "sessions"), 2);
	CHECK_EQ_INT(hb_stat(&v, "session_keys"), 2);
	free(j);
	verdict_release(&v);
	/* The same history is stale, and the stale checker says so. */
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 5);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_per_key_and_indeterminate_writes)
{
	struct history h;
	struct verdict v;
	size_t op;
	char *j;

	hist_init(&h);
	op = wr(&h, 1, 1, HIST_OK, 10, 11);
	hb_key(&h, op, "k1");
	op = rd(&h, 1, hb_nil(), 12, 13);	/* other key: fine */
	hb_key(&h, op, "k2");
	op = wr(&h, 1, 2, HIST_INFO, 14, 15);	/* not acknowledged */
	hb_key(&h, op, "k3");
	op = rd(&h, 7, hb_nil(), 16, 17);
	hb_session(&h, op, 1);			/* new process, session 1 */
	hb_key(&h, op, "k3");
	j = hb_check(&h, "session", NULL, &v);
	/* Nothing here could be a violation: not invalid, and since no
	 * check could have failed, unknown rather than valid. */
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_EQ_INT(hb_stat(&v, "decidable_checks"), 0);
	CHECK_EQ_INT(hb_stat(&v, "session_keys"), 3);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(session_ambiguous_and_unexplained_values_skipped)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	wr(&h, 2, 1, HIST_OK, 10, 11);
	wr(&h, 1, 2, HIST_OK, 12, 13);
	wr(&h, 2, 1, HIST_OK, 14, 15);		/* 1 written twice */
	rd(&h, 1, hb_int(1), 16, 17);
	rd(&h, 1, hb_int(99), 18, 19);		/* nobody wrote 99 */
	j = hb_check(&h, "session", NULL, &v);
	/* Skipped, not flagged: and as every comparison was skipped, the
	 * verdict is unknown. */
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_EQ_INT(hb_stat(&v, "decidable_checks"), 0);
	CHECK_EQ_INT(hb_stat(&v, "ambiguous_values"), 1);
	CHECK_EQ_INT(hb_stat(&v, "unexplained_reads"), 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}
