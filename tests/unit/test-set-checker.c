/* Unit tests for checkers/set.c (the "set" checker). */
#include "test.h"

#include "histbuild.h"
#include "checkers/checker-util.h"

/* add element x by process p over [t0, t1] with outcome type. */
static size_t add(struct history *h, int64_t p, int x, enum hist_type type,
		  double t0, double t1)
{
	return hb_op(h, p, "add", hb_int(x), type, hb_int(x), t0, t1);
}

static size_t final_read(struct history *h, int64_t p, struct hist_value v,
			 double t0, double t1)
{
	size_t r = hb_op(h, p, "read", hb_nil(), HIST_OK, v, t0, t1);

	hb_final(h, r);
	return r;
}

TEST(set_valid_history)
{
	struct history h;
	struct verdict v;
	char *j;
	int i;

	hist_init(&h);
	for (i = 1; i <= 5; i++)
		add(&h, i % 2, i, HIST_OK, i * 10, i * 10 + 5);
	hb_op(&h, 2, "read", hb_nil(), HIST_OK, hb_list(&h, 3, 1, 2, 3),
	      35, 38);
	final_read(&h, 3, hb_list(&h, 5, 5, 4, 3, 2, 1), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK(j);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(v.anomaly_count, 0);
	CHECK_EQ_INT(hb_stat(&v, "acknowledged"), 5);
	CHECK_EQ_INT(hb_stat(&v, "lost_count"), 0);
	CHECK_CONTAINS(j, "\"verdict\":\"valid\"");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_lost_element_with_fault)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t a2, fr;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	hb_nemesis(&h, "start-partition", "isolate n1", 20);
	a2 = add(&h, 0, 2, HIST_OK, 30, 31);
	hb_nemesis(&h, "stop-partition", NULL, 40);
	add(&h, 0, 3, HIST_OK, 50, 51);
	fr = final_read(&h, 1, hb_list(&h, 2, 1, 3), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK(j);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	a = hb_find(&v, "lost");
	CHECK(a);
	CHECK_EQ_INT(a->nops, 2);
	CHECK_EQ_INT(a->ops[0], a2);
	CHECK_EQ_INT(a->ops[1], fr);
	CHECK_CONTAINS(a->text, "element 2 was lost");
	CHECK_CONTAINS(a->text, "acknowledged at 0.031 s");
	CHECK_CONTAINS(a->text, "partition \"isolate n1\" (from 0.020 s "
		       "to 0.040 s)");
	CHECK_EQ_INT(hb_stat(&v, "lost_count"), 1);
	CHECK_CONTAINS(j, "\"lost\":[2]");
	CHECK_CONTAINS(j, "\"lost_by_fault\":{\"partition");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_lost_outside_fault_says_no_fault)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	hb_nemesis(&h, "start", NULL, 1);
	hb_nemesis(&h, "stop", NULL, 2);
	add(&h, 0, 7, HIST_OK, 10, 11);
	final_read(&h, 1, hb_list(&h, 0), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK(hb_find(&v, "lost"));
	CHECK_CONTAINS(hb_find(&v, "lost")->text, "during no fault");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_unexpected_elements)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	add(&h, 0, 2, HIST_FAIL, 12, 13);
	final_read(&h, 1, hb_list(&h, 3, 1, 2, 9), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "unexpected"), 2);
	CHECK_EQ_INT(hb_count(&v, "lost"), 0);
	CHECK_CONTAINS(v.anomalies[0].text, "its add failed");
	CHECK_CONTAINS(v.anomalies[1].text, "element 9 was read at 0.100 s "
		       "but nobody added it");
	CHECK_CONTAINS(j, "\"unexpected\":[2,9]");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_duplicates_in_a_read)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	add(&h, 0, 2, HIST_OK, 12, 13);
	hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 3, 1, 2, 1),
	      20, 21);
	final_read(&h, 1, hb_list(&h, 2, 1, 2), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	CHECK(hb_find(&v, "duplicate"));
	CHECK_CONTAINS(hb_find(&v, "duplicate")->text, "element 1 appears "
		       "more than once");
	CHECK_EQ_INT(hb_stat(&v, "duplicated_count"), 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_indeterminate_adds_counted_not_anomalies)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	add(&h, 1, 2, HIST_INFO, 12, 13);	/* survives */
	add(&h, 2, 3, HIST_INFO, 14, 15);	/* does not */
	hb_inv(&h, 3, "add", hb_int(4), 16);	/* never completed */
	final_read(&h, 4, hb_list(&h, 3, 1, 2, 4), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "indeterminate_survived"), 2);
	CHECK_EQ_INT(hb_stat(&v, "indeterminate_lost"), 1);
	CHECK_CONTAINS(j, "\"info\":3");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_indeterminate_add_seen_then_gone_is_lost)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 5, HIST_INFO, 10, 11);
	hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 5), 20, 21);
	final_read(&h, 1, hb_list(&h, 0), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK(hb_find(&v, "lost"));
	CHECK_CONTAINS(hb_find(&v, "lost")->text, "indeterminate, but a "
		       "read that ended at 0.021 s listed it");
	CHECK_EQ_INT(hb_find(&v, "lost")->nops, 3);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_all_final_reads_failed_is_unknown)
{
	struct history h;
	struct verdict v;
	size_t r;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	add(&h, 0, 2, HIST_OK, 12, 13);
	r = hb_op(&h, 1, "read", hb_nil(), HIST_FAIL, hb_nil(), 100, 101);
	hb_final(&h, r);
	r = hb_op(&h, 2, "read", hb_nil(), HIST_INFO, hb_nil(), 100, 105);
	hb_final(&h, r);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_EQ_INT(hb_stat(&v, "lost_count"), 0);
	CHECK_CONTAINS(v.summary.buf, "no final read succeeded (2 failed)");
	CHECK_CONTAINS(j, "\"verdict\":\"unknown\"");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_no_final_read_is_unknown)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 0), 20, 21);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_UNKNOWN);
	CHECK_CONTAINS(v.summary.buf, "no final read");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_unknown_but_unexpected_is_invalid)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 8), 20, 21);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK(hb_find(&v, "unexpected"));
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_revived_element)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t r1, r2, r3;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	r1 = hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 1),
		   20, 21);
	r2 = hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 0), 30, 31);
	r3 = hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 1),
		   40, 41);
	final_read(&h, 1, hb_list(&h, 1, 1), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	a = hb_find(&v, "revived");
	CHECK(a);
	CHECK_EQ_INT(a->nops, 4);
	CHECK_EQ_INT(a->ops[1], r1);
	CHECK_EQ_INT(a->ops[2], r2);
	CHECK_EQ_INT(a->ops[3], r3);
	CHECK_CONTAINS(a->text, "disappeared and came back");
	CHECK_EQ_INT(hb_stat(&v, "revived_count"), 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/* A read missing the element that overlaps the reads around it proves
 * nothing: it may have been served before the element was visible. */
TEST(set_concurrent_gap_is_not_revived)
{
	struct history h;
	struct verdict v;
	size_t r1, r2, r3;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	r1 = hb_inv(&h, 1, "read", hb_nil(), 20);
	r2 = hb_inv(&h, 2, "read", hb_nil(), 21);	/* begins first... */
	hb_done(&h, r1, HIST_OK, hb_list(&h, 1, 1), 22);
	r3 = hb_inv(&h, 3, "read", hb_nil(), 23);
	hb_done(&h, r2, HIST_OK, hb_list(&h, 0), 24);	/* ...ends after R3 */
	hb_done(&h, r3, HIST_OK, hb_list(&h, 1, 1), 25);
	final_read(&h, 1, hb_list(&h, 1, 1), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "revived_count"), 0);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/* The gap read overlaps the next listing read but not a later one. */
TEST(set_revived_found_by_a_later_read)
{
	struct history h;
	struct verdict v;
	size_t r2, r3;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	hb_op(&h, 1, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 1), 20, 21);
	r2 = hb_inv(&h, 2, "read", hb_nil(), 22);
	r3 = hb_inv(&h, 3, "read", hb_nil(), 23);
	hb_done(&h, r2, HIST_OK, hb_list(&h, 0), 24);
	hb_done(&h, r3, HIST_OK, hb_list(&h, 1, 1), 25);
	hb_op(&h, 3, "read", hb_nil(), HIST_OK, hb_list(&h, 1, 1), 30, 31);
	final_read(&h, 1, hb_list(&h, 1, 1), 100, 101);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_stat(&v, "revived_count"), 1);
	CHECK_EQ_INT(hb_find(&v, "revived")->ops[2], r2);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_add_acked_after_final_read_began_is_not_lost)
{
	struct history h;
	struct verdict v;
	size_t a, r;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	a = hb_inv(&h, 0, "add", hb_int(2), 90);
	r = hb_inv(&h, 1, "read", hb_nil(), 95);
	hb_done(&h, a, HIST_OK, hb_int(2), 96);
	hb_done(&h, r, HIST_OK, hb_list(&h, 1, 1), 97);
	hb_final(&h, r);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "unresolved"), 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_per_key_sets)
{
	struct history h;
	struct verdict v;
	size_t op;
	char *j;

	hist_init(&h);
	op = add(&h, 0, 1, HIST_OK, 10, 11);
	hb_key(&h, op, "a");
	op = add(&h, 0, 1, HIST_OK, 12, 13);
	hb_key(&h, op, "b");
	op = final_read(&h, 1, hb_list(&h, 1, 1), 100, 101);
	hb_key(&h, op, "a");
	op = final_read(&h, 1, hb_list(&h, 0), 102, 103);
	hb_key(&h, op, "b");
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "lost"), 1);
	CHECK_EQ_STR(hist_str(&h, hb_find(&v, "lost")->key), "b");
	CHECK_EQ_INT(hb_stat(&v, "keys"), 2);
	CHECK_CONTAINS(j, "\"lost\":[[\"b\",1]]");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(set_lost_in_one_of_two_final_reads)
{
	struct history h;
	struct verdict v;
	size_t f2;
	char *j;

	hist_init(&h);
	add(&h, 0, 1, HIST_OK, 10, 11);
	add(&h, 0, 2, HIST_OK, 12, 13);
	final_read(&h, 1, hb_list(&h, 2, 1, 2), 100, 101);
	f2 = final_read(&h, 2, hb_list(&h, 1, 2), 102, 103);
	j = hb_check(&h, "set", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_count(&v, "lost"), 1);
	CHECK_EQ_INT(hb_find(&v, "lost")->ops[1], f2);
	CHECK_CONTAINS(hb_find(&v, "lost")->text, "element 1 was lost");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/* A client op at t_ms, to ask which faults were in force then. */
static size_t probe(struct history *h, double t_ms)
{
	return hb_op(h, 9, "read", hb_nil(), HIST_OK, hb_nil(), t_ms, t_ms);
}

TEST(set_fault_windows_convention)
{
	struct history h;
	struct checker__faults f;
	struct sb out = SB_INIT;
	size_t p5, p12, p16, p25, p35;

	hist_init(&h);
	p5 = probe(&h, 5);
	hb_nemesis(&h, "start-partition", "halves", 10);
	p12 = probe(&h, 12);
	hb_nemesis(&h, "start-kill", NULL, 15);
	p16 = probe(&h, 16);
	hb_nemesis(&h, "stop-partition", NULL, 20);
	p25 = probe(&h, 25);
	hb_nemesis(&h, "start", NULL, 30);
	p35 = probe(&h, 35);
	checker__faults_build(&f, &h);
	CHECK_EQ_INT(f.n, 3);
	CHECK(f.timed);
	CHECK_EQ_INT(checker__faults_at(&f, p12, &out), 1);
	CHECK_CONTAINS(out.buf, "partition \"halves\" (from 0.010 s to "
		       "0.020 s)");
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p16, &out), 2);
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p25, &out), 1);
	CHECK_CONTAINS(out.buf, "kill (from 0.015 s, never healed)");
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p5, &out), 0);
	CHECK_EQ_STR(out.buf, "no fault");
	sb_reset(&out);
	checker__faults_at(&f, p35, &out);
	CHECK_CONTAINS(out.buf, "fault (from 0.030 s");
	sb_release(&out);
	checker__faults_release(&f);
	hist_release(&h);
}

/* The same history without times: windows in history order, cited by
   where their events are. */
TEST(set_fault_windows_without_times)
{
	struct history h;
	struct checker__faults f;
	struct sb out = SB_INIT;
	size_t p5, p12, p16, p25, i;

	hist_init(&h);
	p5 = probe(&h, 0);
	hb_nemesis(&h, "start-partition", "halves", 0);
	p12 = probe(&h, 0);
	hb_nemesis(&h, "start-kill", NULL, 0);
	p16 = probe(&h, 0);
	hb_nemesis(&h, "stop-partition", NULL, 0);
	p25 = probe(&h, 0);
	h.source = strdup("h.edn");
	h.lines_by_position = 1;
	for (i = 0; i < h.n; i++)
		CHECK_EQ_INT(h.ev[i].time, 0);
	checker__faults_build(&f, &h);
	CHECK(!f.timed);
	CHECK_EQ_INT(checker__faults_at(&f, p12, &out), 1);
	/* opened by event 2 (line 3), closed by the stop's completion,
	   event 11 (line 12) */
	CHECK_EQ_STR(out.buf, "partition \"halves\" (from h.edn:3 to "
		     "h.edn:12)");
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p16, &out), 2);
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p25, &out), 1);
	CHECK_EQ_STR(out.buf, "kill (from h.edn:7, never healed)");
	sb_reset(&out);
	CHECK_EQ_INT(checker__faults_at(&f, p5, &out), 0);
	sb_release(&out);
	checker__faults_release(&f);
	hist_release(&h);
}

TEST(set_percentile_nearest_rank)
{
	int64_t a[] = { 5, 1, 4, 2, 3, 9, 7, 8, 6, 10 };

	CHECK_EQ_INT(checker__percentile(a, 10, 50), 5);
	CHECK_EQ_INT(checker__percentile(a, 10, 99), 10);
	CHECK_EQ_INT(checker__percentile(a, 10, 0), 1);
	CHECK_EQ_INT(checker__percentile(a, 10, 10), 1);
	CHECK_EQ_INT(checker__percentile(a, 10, 11), 2);
	CHECK_EQ_INT(checker__percentile(a, 0, 50), 0);
}

/* The (key, value) map against a plain array: integers dense and sparse,
 * the same integer under several keys, strings, lists. */
TEST(checker_valmap_matches_linear_search)
{
	struct history h;
	struct checker__valmap m;
	struct checker__vkey *ref = NULL;
	size_t nref = 0, i, j;
	uint64_t x = 88172645463325252ULL;
	uint32_t keys[3];

	hist_init(&h);
	keys[0] = CHECKER__NOKEY;
	keys[1] = hist_intern(&h, "a", 1);
	keys[2] = hist_intern(&h, "b", 1);
	ref = calloc(20000, sizeof(*ref));
	checker__valmap_init(&m, 0);
	for (i = 0; i < 20000; i++) {
		struct checker__vkey k;
		uint32_t id, want = CHECKER__NONE;
		int added;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k.key = keys[x % 3];
		switch ((x >> 8) % 5) {
		case 0:		/* dense */
			k.v = hb_int((int64_t)((x >> 16) % 3000));
			break;
		case 1:		/* far away, both signs */
			k.v = hb_int((int64_t)((x >> 16) % 50) * 1000000007LL *
				     ((x >> 40) % 2 ? 1 : -1));
			break;
		case 2:		/* huge */
			k.v = hb_int((int64_t)(x >> 1));
			break;
		case 3:
			k.v.kind = HV_STR;
			k.v.n = 0;
			k.v.u.str = hist_intern(&h, (x >> 20) % 2 ? "x" : "y",
						1);
			break;
		default:
			k.v = hb_list(&h, 2, (int)((x >> 16) % 7), 1);
			break;
		}
		for (j = 0; j < nref; j++)
			if (ref[j].key == k.key &&
			    hist_value_eq(&h, &ref[j].v, &k.v)) {
				want = (uint32_t)j;
				break;
			}
		if (x % 4 == 0) {
			CHECK_EQ_INT(checker__valmap_get(&m, &h, k.key, &k.v),
				     want);
			continue;
		}
		id = checker__valmap_put(&m, &h, k.key, &k.v, &added);
		if (want == CHECKER__NONE) {
			CHECK(added);
			CHECK_EQ_INT(id, nref);
			ref[nref++] = k;
		} else {
			CHECK(!added);
			CHECK_EQ_INT(id, want);
		}
	}
	CHECK(m.direct);
	CHECK(m.hashed_ints > 0);
	free(ref);
	checker__valmap_release(&m);
	hist_release(&h);
}

/*
 * Property test: random small concurrent set histories (3 keys' worth of
 * elements in one set, overlapping reads) against a brute force over all
 * read triples, sharing no code with the checker.
 */
struct pt_read {
	size_t inv, cmp;
	int has[8];
	int final;
};

static uint64_t pt_rng = 0x853c49e6748fea9bULL;

static unsigned pt_rnd(unsigned n)
{
	pt_rng ^= pt_rng << 13;
	pt_rng ^= pt_rng >> 7;
	pt_rng ^= pt_rng << 17;
	return (unsigned)(pt_rng % n);
}

TEST_T(set_revived_and_lost_match_brute_force, 60)
{
	int iter, total_rev = 0, total_lost = 0;

	for (iter = 0; iter < 600; iter++) {
		struct history h;
		struct verdict v;
		struct pt_read rd[12];
		size_t add_inv[8], add_cmp[8], nrd = 0, i, j, k;
		int add_ok[8], want_rev[8], want_lost[8], pending[4];
		int nel = 1 + (int)pt_rnd(6), e, nops = 0;
		int got_rev = 0, got_lost = 0, n_rev = 0, n_lost = 0;
		char *js;

		hist_init(&h);
		memset(pending, -1, sizeof(pending));
		memset(want_rev, 0, sizeof(want_rev));
		memset(want_lost, 0, sizeof(want_lost));
		/* Adds first, sequential. */
		for (e = 0; e < nel; e++) {
			add_ok[e] = pt_rnd(4) != 0;
			add_inv[e] = hb_inv(&h, 0, "add", hb_int(e), h.n);
			add_cmp[e] = hb_done(&h, add_inv[e],
					     add_ok[e] ? HIST_OK : HIST_INFO,
					     hb_int(e), h.n);
		}
		/* Up to 4 readers with overlapping reads. */
		while (nops < 16) {
			unsigned p = pt_rnd(4);

			if (pending[p] < 0) {
				if (nrd >= 11)
					break;
				rd[nrd].inv = hb_inv(&h, 1 + p, "read",
						     hb_nil(), h.n);
				rd[nrd].final = 0;
				pending[p] = (int)nrd++;
			} else {
				struct pt_read *r = &rd[pending[p]];
				struct hist_value l = { .kind = HV_LIST };
				size_t n = 0;

				l.u.off = hist_alloc_vals(&h, 8);
				for (e = 0; e < nel; e++) {
					r->has[e] = pt_rnd(3) != 0;
					if (r->has[e])
						h.vals[l.u.off + n++] =
							hb_int(e);
				}
				l.n = (uint32_t)n;
				r->cmp = hb_done(&h, r->inv, HIST_OK, l, h.n);
				pending[p] = -1;
			}
			nops++;
		}
		for (i = 0; i < 4; i++)
			if (pending[i] >= 0) {
				struct pt_read *r = &rd[pending[i]];
				struct hist_value l = { .kind = HV_LIST };

				r->cmp = hb_done(&h, r->inv, HIST_OK, l, h.n);
				memset(r->has, 0, sizeof(r->has));
			}
		/* One final read. */
		{
			struct pt_read *r = &rd[nrd];
			struct hist_value l = { .kind = HV_LIST };
			size_t n = 0;

			l.u.off = hist_alloc_vals(&h, 8);
			for (e = 0; e < nel; e++) {
				r->has[e] = pt_rnd(4) != 0;
				if (r->has[e])
					h.vals[l.u.off + n++] = hb_int(e);
			}
			l.n = (uint32_t)n;
			r->inv = hb_inv(&h, 9, "read", hb_nil(), h.n);
			r->cmp = hb_done(&h, r->inv, HIST_OK, l, h.n);
			r->final = 1;
			hb_final(&h, r->inv);
			nrd++;
		}
		/* Brute force. */
		for (e = 0; e < nel; e++) {
			size_t known = add_ok[e] ? add_cmp[e] : SIZE_MAX;

			for (i = 0; i < nrd; i++)
				for (j = 0; j < nrd; j++)
					for (k = 0; k < nrd; k++)
						if (rd[i].has[e] &&
						    !rd[j].has[e] &&
						    rd[k].has[e] &&
						    rd[j].inv > rd[i].cmp &&
						    rd[k].inv > rd[j].cmp)
							want_rev[e] = 1;
			for (i = 0; i < nrd; i++)
				if (rd[i].has[e] && rd[i].cmp < known)
					known = rd[i].cmp;
			want_lost[e] = !rd[nrd - 1].has[e] &&
				       known < rd[nrd - 1].inv;
			n_rev += want_rev[e];
			n_lost += want_lost[e];
		}
		js = hb_check(&h, "set", NULL, &v);
		for (i = 0; i < v.n; i++) {
			const struct anomaly *a = &v.anomalies[i];
			json_t *el = json_object_get(a->detail, "element");

			e = (int)json_integer_value(el);
			if (!strcmp(a->kind, "revived")) {
				if (!want_rev[e])
					test_fail_(__FILE__, __LINE__, "iter %d: "
						   "%d not revived: %s", iter,
						   e, a->text);
				got_rev++;
			} else if (!strcmp(a->kind, "lost")) {
				if (!want_lost[e])
					test_fail_(__FILE__, __LINE__, "iter %d: "
						   "%d not lost: %s", iter, e,
						   a->text);
				got_lost++;
			}
		}
		if (got_rev != n_rev || got_lost != n_lost)
			test_fail_(__FILE__, __LINE__, "iter %d: revived %d/%d "
				   "lost %d/%d", iter, got_rev, n_rev, got_lost,
				   n_lost);
		total_rev += n_rev;
		total_lost += n_lost;
		free(js);
		verdict_release(&v);
		hist_release(&h);
	}
	/* The generator must exercise both kinds, often. */
	CHECK(total_rev > 60);
	CHECK(total_lost > 60);
}
