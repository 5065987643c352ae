/* Hand-written cases for the linearizability checker (linearizable.c). */
#include "test.h"

#include "lin-build.h"

#define VALID VERDICT_VALID
#define INVALID VERDICT_INVALID

TEST(lin_nothing_to_judge_is_unknown)
{
	/* Only an ok read or cas can contradict the model. */
	CHECK_EQ_INT(lb_check_text("", NULL, NULL), VERDICT_UNKNOWN);
	CHECK_EQ_INT(lb_check_text("n invoke start; n info start", NULL,
				   NULL), VERDICT_UNKNOWN);
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 2 invoke read", NULL,
				   NULL), VERDICT_UNKNOWN);
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 fail write 1;"
				   "2 invoke read; 2 fail read", NULL, NULL),
		     VERDICT_UNKNOWN);
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 ok write 1;"
				   "2 invoke cas 1,2; 2 info cas 1,2;"
				   "3 invoke read; 3 info read", NULL, NULL),
		     VERDICT_UNKNOWN);
	/* One ok read or ok cas is enough. */
	CHECK_EQ_INT(lb_check_text("1 invoke read; 1 ok read nil", NULL,
				   NULL), VALID);
	CHECK_EQ_INT(lb_check_text("1 invoke cas 0,1; 1 ok cas 0,1", NULL,
				   "0"), VALID);
}

TEST(lin_sequential_write_read)
{
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 ok write 1;"
				   "1 invoke read; 1 ok read 1", NULL, NULL),
		     VALID);
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 ok write 1;"
				   "1 invoke read; 1 ok read 2", NULL, NULL),
		     INVALID);
}

TEST(lin_initial_value_nil_or_given)
{
	const char *h = "1 invoke read; 1 ok read 0";

	CHECK_EQ_INT(lb_check_text(h, NULL, NULL), INVALID);
	CHECK_EQ_INT(lb_check_text(h, NULL, "0"), VALID);
	CHECK_EQ_INT(lb_check_text("1 invoke read; 1 ok read nil", NULL,
				   NULL), VALID);
	CHECK_EQ_INT(lb_check_text("1 invoke read; 1 ok read nil", NULL,
				   "0"), INVALID);
}

TEST(lin_nil_reads_unknown_option)
{
	struct history h;
	struct verdict v;
	struct checker_opts o;
	struct sb err = SB_INIT;

	hist_init(&h);
	lb_parse(&h, "1 invoke write 1; 1 ok write 1;"
		     "2 invoke read; 2 ok read nil; 2 invoke read; 2 ok read 1");
	memset(&o, 0, sizeof(o));
	verdict_init(&v, "linearizable");
	CHECK_EQ_INT(checker_check(checker_find("linearizable"), &h, &o, &v,
				   &err), 0);
	CHECK_EQ_INT(v.kind, INVALID);
	verdict_release(&v);
	o.nil_reads_unknown = 1;
	verdict_init(&v, "linearizable");
	CHECK_EQ_INT(checker_check(checker_find("linearizable"), &h, &o, &v,
				   &err), 0);
	CHECK_EQ_INT(v.kind, VALID);
	verdict_release(&v);
	sb_release(&err);
	hist_release(&h);
}

TEST(lin_concurrent_read_sees_either)
{
	/* The read overlaps the write: old or new value is fine. */
	const char *fmt[] = {
		"1 invoke write 1; 1 ok write 1; 1 invoke write 2;"
		"2 invoke read; 2 ok read 1; 1 ok write 2",
		"1 invoke write 1; 1 ok write 1; 1 invoke write 2;"
		"2 invoke read; 2 ok read 2; 1 ok write 2",
	};

	CHECK_EQ_INT(lb_check_text(fmt[0], NULL, NULL), VALID);
	CHECK_EQ_INT(lb_check_text(fmt[1], NULL, NULL), VALID);
}

TEST(lin_new_then_old_is_invalid)
{
	/* Two reads during one write: once a read saw the new value, a
	   later read cannot see the old one. */
	CHECK_EQ_INT(lb_check_text(
		"1 invoke write 1; 1 ok write 1; 1 invoke write 2;"
		"2 invoke read; 2 ok read 2; 3 invoke read; 3 ok read 1;"
		"1 ok write 2", NULL, NULL), INVALID);
	/* Concurrent reads may be ordered either way. */
	CHECK_EQ_INT(lb_check_text(
		"1 invoke write 1; 1 ok write 1; 1 invoke write 2;"
		"2 invoke read; 3 invoke read; 2 ok read 2; 3 ok read 1;"
		"1 ok write 2", NULL, NULL), VALID);
}

TEST(lin_fail_never_happened)
{
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 fail write 1;"
				   "2 invoke read; 2 ok read 1", NULL, NULL),
		     INVALID);
	CHECK_EQ_INT(lb_check_text("1 invoke write 1; 1 fail write 1;"
				   "2 invoke read; 2 ok read nil", NULL, NULL),
		     VALID);
}

TEST(lin_info_may_happen_later_or_never)
{
	/* info write, then reads after it returned: may take effect late. */
	CHECK_EQ_INT(lb_check_text(
		"1 invoke write 1; 1 info write 1; 2 invoke read;"
		"2 ok read nil; 2 invoke read; 2 ok read 1", NULL, NULL),
		VALID);
	/* ... but not un-happen. */
	CHECK_EQ_INT(lb_check_text(
		"1 invoke write 1; 1 info write 1; 2 invoke read;"
		"2 ok read 1; 2 invoke read; 2 ok read nil", NULL, NULL),
		INVALID);
	/* Not before its invoke. */
	CHECK_EQ_INT(lb_check_text(
		"2 invoke read; 2 ok read 1; 1 invoke write 1; 1 info write 1",
		NULL, NULL), INVALID);
	/* An invoke without completion is the same as info. */
	CHECK_EQ_INT(lb_check_text(
		"1 invoke write 1; 2 invoke read; 2 ok read nil;"
		"2 invoke read; 2 ok read 1", NULL, NULL), VALID);
}

TEST(lin_cas_semantics)
{
	CHECK_EQ_INT(lb_check_text("1 invoke cas 0,1; 1 ok cas 0,1;"
				   "1 invoke read; 1 ok read 1", NULL, "0"),
		     VALID);
	/* An ok cas whose expected value was not there. */
	CHECK_EQ_INT(lb_check_text("1 invoke cas 5,1; 1 ok cas 5,1",
				   NULL, "0"), INVALID);
	/* A failed cas changes nothing. */
	CHECK_EQ_INT(lb_check_text("1 invoke cas 0,1; 1 fail cas 0,1;"
				   "1 invoke read; 1 ok read 0", NULL, "0"),
		     VALID);
	/* An info cas that could not have applied (expected is stale) is
	   harmless when unobserved, and cannot explain a read. */
	CHECK_EQ_INT(lb_check_text("1 invoke cas 3,1; 1 info cas 3,1;"
				   "2 invoke read; 2 ok read 1", NULL, "0"),
		     INVALID);
	CHECK_EQ_INT(lb_check_text("1 invoke cas 0,1; 1 info cas 0,1;"
				   "2 invoke read; 2 ok read 1", NULL, "0"),
		     VALID);
}

TEST(lin_register_model_rejects_cas)
{
	CHECK_EQ_INT(lb_check_text("1 invoke cas 0,1; 1 ok cas 0,1",
				   "register", "0"), -1);
	CHECK_EQ_INT(lb_check_text("1 invoke write 0; 1 ok write 0;"
				   "1 invoke read; 1 ok read 0",
				   "register", NULL), VALID);
	CHECK_EQ_INT(lb_check_text("1 invoke write 0; 1 ok write 0",
				   "queue", NULL), -1);
	/* an op outside the model: the history is not a register's, so
	   nothing is judged (unknown, as set/session/stale say of a
	   history not theirs), not an input error */
	CHECK_EQ_INT(lb_check_text("1 invoke add 0; 1 ok add 0",
				   NULL, NULL), VERDICT_UNKNOWN);
}

TEST(lin_keys_are_independent)
{
	/* Valid per key; merged into one register it would not be. */
	const char *h = "1 invoke write 1 @a; 1 ok write 1 @a;"
			"2 invoke write 2 @b; 2 ok write 2 @b;"
			"3 invoke read @a; 3 ok read 1 @a;"
			"3 invoke read @b; 3 ok read 2 @b";
	struct history hh;
	struct verdict v;

	CHECK_EQ_INT(lb_check_text(h, NULL, NULL), VALID);
	hist_init(&hh);
	lb_parse(&hh, "1 invoke write 1 @a; 1 ok write 1 @a;"
		      "2 invoke read @b; 2 ok read 1 @b;"
		      "3 invoke read @a; 3 ok read 1 @a");
	CHECK_EQ_INT(lb_check(&hh, NULL, NULL, &v), INVALID);
	CHECK_EQ_INT(v.n, 1);
	CHECK_EQ_STR(hist_str(&hh, v.anomalies[0].key), "b");
	CHECK_EQ_INT(json_integer_value(json_object_get(v.stats, "keys")), 2);
	verdict_release(&v);
	hist_release(&hh);
}

TEST(lin_nemesis_events_ignored)
{
	CHECK_EQ_INT(lb_check_text(
		"n invoke start; n info start; 1 invoke write 1; 1 ok write 1;"
		"n invoke stop; n info stop; 2 invoke read; 2 ok read 1",
		NULL, NULL), VALID);
}

TEST(lin_evidence_names_the_stale_read)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	json_t *d;

	hist_init(&h);
	lb_parse(&h, "1 invoke write 4; 1 ok write 4;"	/* 0 1 */
		     "1 invoke write 5; 1 ok write 5;"	/* 2 3 */
		     "2 invoke read; 2 ok read 5;"	/* 4 5 */
		     "3 invoke read; 3 ok read 2");	/* 6 7 */
	CHECK_EQ_INT(lb_check(&h, NULL, NULL, &v), INVALID);
	CHECK_EQ_INT(v.n, 1);
	a = &v.anomalies[0];
	CHECK_EQ_STR(a->kind, "nonlinearizable");
	CHECK(a->nops >= 1);
	CHECK_EQ_INT(a->ops[0], 6);
	CHECK_CONTAINS(a->text, "read by process 3 returned 2");
	CHECK_CONTAINS(a->text, "could only be 5");
	CHECK_CONTAINS(a->text, "prefix of 3 operations");
	d = a->detail;
	CHECK(d);
	CHECK_EQ_INT(json_integer_value(json_object_get(d, "prefix_length")),
		     3);
	CHECK_EQ_INT(json_integer_value(json_object_get(d, "state")), 5);
	CHECK_EQ_INT(json_integer_value(json_object_get(d, "blocked")), 6);
	CHECK_EQ_INT(json_array_size(json_object_get(d, "prefix")), 3);
	/* The op that set the state is named too. */
	CHECK(a->nops >= 2);
	CHECK_EQ_INT(a->ops[1], 2);
	verdict_release(&v);
	hist_release(&h);
}

TEST(lin_evidence_lists_possible_states)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;

	hist_init(&h);
	/* write 4 done; write 5 in flight; read returns 2. */
	lb_parse(&h, "1 invoke write 4; 1 ok write 4;"
		     "1 invoke write 5 @k1;"
		     "1 ok write 5 @k1;"
		     "1 invoke write 4 @k1; 1 ok write 4 @k1;"
		     "1 invoke write 5 @k1;"
		     "3 invoke read @k1; 3 ok read 2 @k1;"
		     "1 ok write 5 @k1");
	CHECK_EQ_INT(lb_check(&h, NULL, NULL, &v), INVALID);
	a = &v.anomalies[0];
	CHECK_CONTAINS(a->text, "read of k1 by process 3 returned 2 at");
	CHECK_CONTAINS(a->text, "could only be 5 or 4 at that point");
	CHECK_EQ_INT(json_array_size(json_object_get(a->detail, "states")),
		     2);
	verdict_release(&v);
	hist_release(&h);
}

TEST(lin_stats_and_summary)
{
	struct history h;
	struct verdict v;

	hist_init(&h);
	lb_parse(&h, "1 invoke write 1; 1 ok write 1; 2 invoke read;"
		     "2 info read; 3 invoke write 9; 3 info write 9;"
		     "4 invoke read; 4 ok read 1");
	CHECK_EQ_INT(lb_check(&h, NULL, NULL, &v), VALID);
	CHECK_EQ_INT(json_integer_value(json_object_get(v.stats, "ops")), 4);
	/* the info read and the unobserved info write are pruned */
	CHECK_EQ_INT(json_integer_value(json_object_get(v.stats,
							"ops_pruned")), 2);
	CHECK_CONTAINS(v.summary.buf, "linearizable");
	verdict_release(&v);
	hist_release(&h);
}

TEST(lin_budget_gives_unknown)
{
	struct history h;
	struct verdict v;
	struct checker_opts o;
	struct sb err = SB_INIT;
	size_t pend[40];
	int i;

	/* 40 concurrent writes of distinct values, all read later in an
	   impossible order: the search space is huge. */
	hist_init(&h);
	for (i = 0; i < 40; i++)
		pend[i] = lb_invoke(&h, i, "write", lb_val(i), NULL);
	for (i = 0; i < 40; i++)
		lb_complete(&h, pend[i], HIST_OK, lb_val(i));
	for (i = 0; i < 40; i++)
		pend[i] = lb_invoke(&h, 100 + i, "read", lb_val(LB_NIL), NULL);
	for (i = 0; i < 40; i++)
		lb_complete(&h, pend[i], HIST_OK, lb_val(i));
	memset(&o, 0, sizeof(o));
	o.mem_limit = 4 << 20;
	verdict_init(&v, "linearizable");
	CHECK_EQ_INT(checker_check(checker_find("linearizable"), &h, &o, &v,
				   &err), 0);
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_CONTAINS(v.summary.buf, "memory budget");
	verdict_release(&v);

	o.mem_limit = 0;
	o.timeout_s = 0.2;
	verdict_init(&v, "linearizable");
	CHECK_EQ_INT(checker_check(checker_find("linearizable"), &h, &o, &v,
				   &err), 0);
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_CONTAINS(v.summary.buf, "time budget");
	verdict_release(&v);
	sb_release(&err);
	hist_release(&h);
}

TEST(lin_evidence_states_respect_real_time)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;

	hist_init(&h);
	/* write 3 is still in flight when the read returns 1; write 2 had
	   completed before the read began: the read could see 2 or 3. */
	lb_parse(&h, "1 invoke write 1; 1 ok write 1;"
		     "3 invoke write 3; 2 invoke write 2; 2 ok write 2;"
		     "4 invoke read; 4 ok read 1; 3 ok write 3");
	CHECK_EQ_INT(lb_check(&h, NULL, NULL, &v), VERDICT_INVALID);
	a = &v.anomalies[0];
	CHECK_EQ_INT(a->ops[0], 5);
	CHECK_CONTAINS(a->text, "read by process 4 returned 1");
	CHECK_CONTAINS(a->text, "could only be 3 or 2 at that point");
	verdict_release(&v);
	hist_release(&h);
}
