/*
 * Linearizability checker on longer histories (65 to 2,000 operations, so
 * the bitsets cross 64-bit word boundaries): histories linearizable by
 * construction (lin-gen.h) must be found linearizable, and single-value
 * mutations that the construction proves invalid must be found invalid.
 *
 * The proofs use unique written values (each value is written by exactly
 * one operation, and the register starts nil):
 *   - future read: a read returns the value of a write invoked only after
 *     the read completed; no order can put that write first.
 *   - stale read: a read returns the value of write W1 although W1
 *     completed before another write W2 was invoked, and W2 completed
 *     before the read was invoked; W1 -> W2 -> read in real time, and only
 *     W1 ever sets that value.
 *   - impossible cas: an ok cas expects a value nobody ever wrote.
 */
#include "test.h"

#include "lin-gen.h"

static const size_t sizes[] = { 65, 127, 129, 300, 1000, 2000 };

static int check_h(const struct history *h, struct verdict *v)
{
	return lb_check(h, NULL, NULL, v);
}

static int setter_ok(const struct lg_op *o)
{
	return o->type == HIST_OK && o->kind != LG_READ;
}

static int64_t new_value(const struct lg_op *o)
{
	return o->kind == LG_CAS ? o->b : o->a;
}

TEST_T(lin_big_constructed_histories_are_valid, 30)
{
	size_t si;
	int np, cas, info, uniq;

	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (np = 3; np <= 12; np += 4)
			for (cas = 0; cas < 2; cas++)
				for (info = 0; info < 2; info++)
					for (uniq = 0; uniq < 2; uniq++) {
		struct lg_opts o = { .nops = sizes[si], .nproc = np,
				     .cas = cas, .info = info ? 0.15 : 0,
				     .unique = uniq, .seed = si * 97 + np };
		struct history h;
		struct verdict v;

		hist_init(&h);
		lg_gen(&h, &o, NULL);
		if (check_h(&h, &v) != VERDICT_VALID)
			fprintf(stderr, "size %zu nproc %d cas %d info %d "
				"unique %d: %s\n", sizes[si], np, cas, info,
				uniq, v.summary.buf);
		CHECK_EQ_INT(v.kind, VERDICT_VALID);
		verdict_release(&v);
		hist_release(&h);
	}
}

/* Mutate op r's read value and expect "invalid". */
static void expect_invalid_read(struct history *h, const struct lg_op *r,
				int64_t val, const char *why)
{
	struct verdict v;
	struct hist_value old = h->ev[r->ret].value;

	h->ev[r->ret].value = lb_val(val);
	if (check_h(h, &v) != VERDICT_INVALID)
		fprintf(stderr, "%s mutation at event %zu not found\n", why,
			r->inv);
	CHECK_EQ_INT(v.kind, VERDICT_INVALID);
	CHECK(v.n == 1);
	CHECK_EQ_STR(v.anomalies[0].kind, "nonlinearizable");
	CHECK(json_integer_value(json_object_get(v.anomalies[0].detail,
						 "prefix_length")) > 0);
	verdict_release(&v);
	h->ev[r->ret].value = old;
}

TEST_T(lin_big_mutations_are_invalid, 30)
{
	size_t si;
	int np, cas, info, nfuture = 0, nstale = 0, ncas = 0;

	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (np = 2; np <= 10; np += 4)
			for (cas = 0; cas < 2; cas++)
				for (info = 0; info < 2; info++) {
		struct lg_opts o = { .nops = sizes[si], .nproc = np,
				     .cas = cas, .info = info ? 0.1 : 0,
				     .unique = 1, .seed = si * 31 + np + 7 };
		struct history h;
		struct lg_op *ops;
		size_t n, i, j, k;
		int done;

		hist_init(&h);
		n = lg_gen(&h, &o, &ops);

		/* Future read: pick reads spread over the history. */
		done = 0;
		for (i = n / 3; i < n && done < 2; i++) {
			if (ops[i].kind != LG_READ || ops[i].type != HIST_OK)
				continue;
			for (j = i + 1; j < n; j++)
				if (setter_ok(&ops[j]) &&
				    ops[j].inv > ops[i].ret &&
				    new_value(&ops[j]) != ops[i].a)
					break;
			if (j == n)
				continue;
			expect_invalid_read(&h, &ops[i], new_value(&ops[j]),
					    "future read");
			nfuture++;
			done++;
			i += n / 3;
		}

		/* Stale read. */
		done = 0;
		for (i = n / 2; i < n && !done; i++) {
			if (ops[i].kind != LG_READ || ops[i].type != HIST_OK)
				continue;
			/* W2: a setter completed before the read began. */
			for (j = i; j-- > 0;)
				if (setter_ok(&ops[j]) &&
				    ops[j].ret < ops[i].inv)
					break;
			if (j == SIZE_MAX)
				continue;
			for (k = j; k-- > 0;)
				if (setter_ok(&ops[k]) &&
				    ops[k].ret < ops[j].inv &&
				    new_value(&ops[k]) != ops[i].a)
					break;
			if (k == SIZE_MAX)
				continue;
			expect_invalid_read(&h, &ops[i], new_value(&ops[k]),
					    "stale read");
			nstale++;
			done = 1;
		}

		/* Impossible cas. */
		for (i = n / 2; cas && i < n; i++) {
			const struct hist_value *cv;
			struct verdict v;
			int64_t old;

			if (ops[i].kind != LG_CAS || ops[i].type != HIST_OK)
				continue;
			cv = &h.ev[ops[i].inv].value;
			old = h.vals[cv->u.off].u.i;
			h.vals[cv->u.off] = lb_val(1000000000);
			CHECK_EQ_INT(check_h(&h, &v), VERDICT_INVALID);
			verdict_release(&v);
			h.vals[cv->u.off] = lb_val(old);
			ncas++;
			break;
		}

		/* Unmutated, it is still valid (the mutations were undone). */
		{
			struct verdict v;

			CHECK_EQ_INT(check_h(&h, &v), VERDICT_VALID);
			verdict_release(&v);
		}
		free(ops);
		hist_release(&h);
	}
	/* The mutations were actually exercised. */
	CHECK(nfuture > 40);
	CHECK(nstale > 40);
	CHECK(ncas > 15);
}

TEST_T(lin_big_many_keys_in_threads, 30)
{
	struct history h;
	struct verdict v;
	struct lg_op *ops[20];
	size_t n[20], i, j;
	char key[16];

	hist_init(&h);
	for (i = 0; i < 20; i++) {
		struct lg_opts o = { .nops = 150, .nproc = 4, .cas = 1,
				     .info = 0.05, .unique = 1, .seed = i,
				     .pid_base = (int64_t)i * 1000,
				     .key = key };

		snprintf(key, sizeof(key), "k%zu", i);
		n[i] = lg_gen(&h, &o, &ops[i]);
	}
	CHECK_EQ_INT(check_h(&h, &v), VERDICT_VALID);
	CHECK_EQ_INT(json_integer_value(json_object_get(v.stats, "keys")), 20);
	verdict_release(&v);

	/* Key k13: a read returns a value written later. */
	for (i = 0; i < n[13]; i++)
		if (ops[13][i].kind == LG_READ && ops[13][i].type == HIST_OK)
			break;
	CHECK(i < n[13]);
	for (j = i + 1; j < n[13]; j++)
		if (setter_ok(&ops[13][j]) && ops[13][j].inv > ops[13][i].ret)
			break;
	CHECK(j < n[13]);
	h.ev[ops[13][i].ret].value = lb_val(new_value(&ops[13][j]));
	CHECK_EQ_INT(check_h(&h, &v), VERDICT_INVALID);
	CHECK_EQ_INT(v.n, 1);
	CHECK_EQ_STR(hist_str(&h, v.anomalies[0].key), "k13");
	CHECK_CONTAINS(v.summary.buf, "k13");
	verdict_release(&v);
	for (i = 0; i < 20; i++)
		free(ops[i]);
	hist_release(&h);
}
