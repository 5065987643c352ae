/* Unit tests for checkers/stale.c (the "stale" checker). */
#include "test.h"

#include "histbuild.h"

static size_t wr(struct history *h, int64_t s, int x, double t0, double t1)
{
	return hb_op(h, s, "write", hb_int(x), HIST_OK, hb_int(x), t0, t1);
}

static size_t rd(struct history *h, int64_t s, struct hist_value got,
		 double t0, double t1)
{
	return hb_op(h, s, "read", hb_nil(), HIST_OK, got, t0, t1);
}

static double dist(const struct verdict *v, const char *name,
		   const char *field)
{
	return json_number_value(json_object_get(
		json_object_get(v->stats, name), field));
}

TEST(stale_fresh_history_is_valid)
{
	struct history h;
	struct verdict v;
	char *j;

	hist_init(&h);
	rd(&h, 1, hb_nil(), 1, 2);
	wr(&h, 1, 1, 10, 11);
	rd(&h, 2, hb_int(1), 12, 13);
	wr(&h, 1, 2, 20, 21);
	rd(&h, 2, hb_int(2), 22, 23);
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "reads_checked"), 3);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 0);
	CHECK(dist(&v, "ms_behind", "max") == 0);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_read_by_value_order)
{
	struct history h;
	struct verdict v;
	const struct anomaly *a;
	size_t w1, w2, r;
	char *j;

	hist_init(&h);
	w1 = wr(&h, 1, 1, 900, 1000);
	w2 = wr(&h, 1, 2, 1900, 2000);
	wr(&h, 1, 3, 2100, 2200);
	r = rd(&h, 2, hb_int(1), 2500, 2600);
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	a = hb_find(&v, "stale-read");
	CHECK(a);
	CHECK_EQ_INT(a->nops, 3);
	CHECK_EQ_INT(a->ops[0], w1);
	CHECK_EQ_INT(a->ops[1], w2);
	CHECK_EQ_INT(a->ops[2], r);
	CHECK_CONTAINS(a->text, "returned 1, 2 versions and 500.000 ms "
		       "behind: 2 was acknowledged at 2.000 s");
	CHECK(dist(&v, "ms_behind", "max") == 500);
	CHECK(dist(&v, "versions_behind", "max") == 2);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_read_by_version)
{
	struct history h;
	struct verdict v;
	size_t op;
	char *j;

	hist_init(&h);
	op = wr(&h, 1, 1, 10, 11);
	hb_version(&h, op, 5);
	op = wr(&h, 1, 2, 20, 21);
	hb_version(&h, op, 9);
	op = wr(&h, 3, 3, 22, 23);
	hb_version(&h, op, 7);		/* acked out of version order */
	op = rd(&h, 2, hb_int(1), 31, 32);
	hb_version(&h, op, 5);
	op = rd(&h, 2, hb_int(2), 33, 34);
	hb_version(&h, op, 9);
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(v.anomaly_count, 1);
	CHECK_EQ_INT(hb_stat(&v, "checked_by_version"), 2);
	/* superseded by version 7, acked at 23 ms: 8 ms behind. */
	CHECK_CONTAINS(hb_find(&v, "stale-read")->text,
		       "returned 1 (version 5), 2 versions and 8.000 ms "
		       "behind: 3 (version 7)");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_threshold_counts_without_anomaly)
{
	struct history h;
	struct verdict v;
	struct checker_opts o;
	char *j;

	memset(&o, 0, sizeof(o));
	o.stale_ms = 1000;
	hist_init(&h);
	wr(&h, 1, 1, 0, 100);
	wr(&h, 1, 2, 200, 300);
	rd(&h, 2, hb_int(1), 500, 510);		/* 200 ms behind */
	j = hb_check(&h, "stale", &o, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 1);
	CHECK_EQ_INT(hb_stat(&v, "stale_beyond_threshold"), 0);
	CHECK(dist(&v, "stale_ms_behind", "p50") == 200);
	free(j);
	verdict_release(&v);
	o.stale_ms = 100;
	j = hb_check(&h, "stale", &o, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_concurrent_write_is_not_stale)
{
	struct history h;
	struct verdict v;
	size_t a, b;
	char *j;

	hist_init(&h);
	a = hb_inv(&h, 1, "write", hb_int(1), 10);
	b = hb_inv(&h, 2, "write", hb_int(2), 11);
	hb_done(&h, b, HIST_OK, hb_int(2), 12);
	hb_done(&h, a, HIST_OK, hb_int(1), 13);
	rd(&h, 3, hb_int(2), 14, 15);	/* 1 may be ordered first */
	rd(&h, 3, hb_int(1), 16, 17);	/* or 2: neither is stale */
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 0);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_initial_value_and_in_flight_write)
{
	struct history h;
	struct verdict v;
	size_t w;
	char *j;

	hist_init(&h);
	wr(&h, 1, 1, 10, 20);
	w = hb_inv(&h, 1, "write", hb_int(2), 30);
	rd(&h, 2, hb_int(2), 31, 32);	/* in-flight write: fresh */
	rd(&h, 2, hb_nil(), 40, 41);	/* initial after an ack: stale */
	hb_done(&h, w, HIST_INFO, hb_nil(), 50);
	j = hb_check(&h, "stale", NULL, &v);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 1);
	CHECK_CONTAINS(hb_find(&v, "stale-read")->text, "returned null, 1 "
		       "version and 20.000 ms behind");
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

TEST(stale_distribution_percentiles)
{
	struct history h;
	struct verdict v;
	struct checker_opts o;
	int i;
	char *j;

	memset(&o, 0, sizeof(o));
	o.stale_ms = 1e9;
	hist_init(&h);
	/* 100 rounds: write i+1; read i (stale by i ms) or i+1. */
	for (i = 0; i < 100; i++) {
		double t = 1000.0 * i;

		wr(&h, 1, i + 1, t, t + 1);
		if (i % 2)
			rd(&h, 2, hb_int(i), t + 1 + i, t + 2 + i);
		else
			rd(&h, 2, hb_int(i + 1), t + 2, t + 3);
	}
	j = hb_check(&h, "stale", &o, &v);
	CHECK_EQ_INT(v.kind, VERDICT_VALID);
	CHECK_EQ_INT(hb_stat(&v, "stale_reads"), 50);
	CHECK(dist(&v, "ms_behind", "max") == 99);
	CHECK(dist(&v, "ms_behind", "p50") == 0);
	CHECK(dist(&v, "ms_behind", "p99") == 97);
	CHECK(dist(&v, "stale_ms_behind", "p50") == 49);
	CHECK(dist(&v, "versions_behind", "max") == 1);
	free(j);
	verdict_release(&v);
	hist_release(&h);
}

/*
 * Property test: random small concurrent register histories (unique
 * written values, reads of any written value or nil) against a brute
 * force of the definition in value order: the value's write w; the first
 * write acknowledged before the read began, in acknowledgement order,
 * invoked after w was acknowledged; versions behind = acknowledged
 * writes from that one on.
 */
static uint64_t st_rng = 0x2545f4914f6cdd1dULL;

static unsigned st_rnd(unsigned n)
{
	st_rng ^= st_rng << 13;
	st_rng ^= st_rng >> 7;
	st_rng ^= st_rng << 17;
	return (unsigned)(st_rng % n);
}

TEST_T(stale_matches_brute_force, 60)
{
	int iter, total_stale = 0;

	for (iter = 0; iter < 600; iter++) {
		struct history h;
		struct verdict v;
		struct checker_opts o;
		size_t winv[16], wcmp[16], rinv[16];
		int wval[16], rval[16], nw = 0, nr = 0, pend[4], ptype[4];
		int want = 0, steps, i, j;
		long long want_ver = 0;
		char *js;

		memset(&o, 0, sizeof(o));
		o.stale_ms = 1e12;	/* count only: check the stats */
		hist_init(&h);
		memset(pend, -1, sizeof(pend));
		for (steps = 0; steps < 20; steps++) {
			unsigned p = st_rnd(4);

			if (pend[p] < 0) {
				if (st_rnd(2) && nw < 15) {
					wval[nw] = nw + 1;
					winv[nw] = hb_inv(&h, p, "write",
							  hb_int(wval[nw]),
							  h.n);
					wcmp[nw] = SIZE_MAX;
					pend[p] = nw++;
					ptype[p] = 1;
				} else if (nr < 15) {
					rinv[nr] = hb_inv(&h, p, "read",
							  hb_nil(), h.n);
					pend[p] = nr++;
					ptype[p] = 0;
				}
				continue;
			}
			if (ptype[p]) {
				wcmp[pend[p]] = hb_done(&h, winv[pend[p]],
							HIST_OK,
							hb_int(wval[pend[p]]),
							h.n);
			} else {
				/* Any value written so far, or nil. */
				int x = (int)st_rnd((unsigned)nw + 1);

				rval[pend[p]] = x;	/* 0 = nil */
				hb_done(&h, rinv[pend[p]], HIST_OK,
					x ? hb_int(x) : hb_nil(), h.n);
			}
			pend[p] = -1;
		}
		for (i = 0; i < 4; i++)
			if (pend[i] >= 0 && !ptype[i]) {
				rval[pend[i]] = 0;
				hb_done(&h, rinv[pend[i]], HIST_INFO, hb_nil(),
					h.n);
			}
		/* Brute force per ok read. */
		for (i = 0; i < nr; i++) {
			size_t vc, best = SIZE_MAX;
			int first = -1, behind = 0;

			if (h.ev[h.ev[rinv[i]].pair].type != HIST_OK)
				continue;
			vc = rval[i] ? wcmp[rval[i] - 1] : 0;
			if (rval[i] && (vc == SIZE_MAX || vc > rinv[i]))
				continue;	/* not acknowledged before */
			/* first acked-before-read write, by ack order,
			 * invoked after vc */
			for (j = 0; j < nw; j++)
				if (wcmp[j] < rinv[i] &&
				    (!rval[i] || winv[j] > vc) &&
				    wcmp[j] < best) {
					best = wcmp[j];
					first = j;
				}
			if (first < 0)
				continue;
			for (j = 0; j < nw; j++)
				behind += wcmp[j] < rinv[i] &&
					  wcmp[j] >= wcmp[first];
			want++;
			want_ver += behind;
		}
		js = hb_check(&h, "stale", &o, &v);
		if (hb_stat(&v, "stale_reads") != want)
			test_fail_(__FILE__, __LINE__, "iter %d: %lld stale, "
				   "want %d", iter, hb_stat(&v, "stale_reads"),
				   want);
		if (want) {
			json_t *d = json_object_get(v.stats,
						    "stale_versions_behind");
			double mean = json_number_value(
				json_object_get(d, "mean"));

			if (mean * want < (double)want_ver - 1e-6 ||
			    mean * want > (double)want_ver + 1e-6)
				test_fail_(__FILE__, __LINE__, "iter %d: "
					   "versions behind %f, want %lld",
					   iter, mean * want, want_ver);
		}
		total_stale += want;
		free(js);
		verdict_release(&v);
		hist_release(&h);
	}
	CHECK(total_stale > 180);
}
