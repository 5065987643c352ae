/* Unit tests for the Jepsen EDN history reader (core/hist-edn.c). */
#include "histread.h"

#define rd(h, text, fmt, warn, err) hr_read(h, "h.edn", text, fmt, warn, err)
#define bad(text, want) HR_BAD("h.edn", HIST_FMT_EDN, text, want)

TEST(hist_edn_vector_of_ops)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT, js = SB_INIT;
	const char *t =
		"; a Jepsen history\n"
		"[{:type :invoke, :f :write, :value 3, :process 0, "
		":time 100, :index 0}\n"
		" {:type :invoke, :f :cas, :value [3 4], :process 1, :time 90}\n"
		" {:type :ok, :f :write, :value 3, :process 0, :time 200}\n"
		" {:type :info, :f :cas, :value [3 4], :process 1, "
		":error :timed-out}\n"
		" {:type :info, :f :start, :value nil, :process :nemesis}\n"
		" {:type :info, :f :start, :value {:n1 #{:n2}, :n2 #{:n1}},\n"
		"  :process :nemesis}]\n";

	CHECK_EQ_INT(rd(&h, t, HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(err.buf, "");
	CHECK_EQ_STR(h.format, "edn");
	CHECK_EQ_INT(h.n, 6);
	CHECK_EQ_STR(hist_str(&h, h.ev[0].f), "write");
	CHECK_EQ_INT(h.ev[0].type, HIST_INVOKE);
	CHECK_EQ_INT(h.ev[3].type, HIST_INFO);
	CHECK_EQ_INT(hist_line(&h, 0), 2);
	CHECK_EQ_INT(hist_line(&h, 5), 7);
	/* times are advisory: 90 after 100 is accepted */
	CHECK_EQ_INT(h.ev[1].time, 90);
	CHECK_EQ_INT(h.ev[0].pair, 2);
	CHECK_EQ_INT(h.ev[1].pair, 3);
	CHECK_EQ_STR(hr_json(&h, &h.ev[1].value, &js), "[3,4]");
	CHECK(!(h.ev[1].flags & HIST_F_KEY));
	CHECK_EQ_STR(hist_str(&h, h.ev[3].error), ":timed-out");
	CHECK_EQ_INT(h.ev[4].process, HIST_NEMESIS);
	/* nemesis info/info pairs loosely */
	CHECK_EQ_INT(h.ev[4].pair, 5);
	CHECK_EQ_STR(hr_json(&h, &h.ev[5].value, &js),
		     "{\":n1\":[\":n2\"],\":n2\":[\":n1\"]}");
	/* index defaults to the position */
	CHECK_EQ_INT(hist_index(&h, 2), 2);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&js);
}

TEST(hist_edn_bare_sequence_and_list)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const char *bare =
		"{:process 0, :type :invoke, :f :read, :value nil}\n"
		"{:process 0, :type :ok, :f :read, :value 0}\n";
	const char *list =
		"({:process 0 :type :invoke :f :read :value nil}\n"
		" {:process 0 :type :ok :f :read :value 0})\n";

	CHECK_EQ_INT(rd(&h, bare, HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(h.format, "edn");
	CHECK_EQ_INT(h.n, 2);
	CHECK_EQ_INT(h.ev[1].value.u.i, 0);
	hist_release(&h);
	CHECK_EQ_INT(rd(&h, list, HIST_FMT_EDN, &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK_EQ_INT(h.ev[0].pair, 1);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_edn_values)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT, js = SB_INIT;
	const char *t =
		"{:process 0 :type :invoke :f :x :value "
		"[\"a\\\"b\\\\c\\n\\u00e9\" :kw sym true false nil -12 7N "
		"1.5 2.5M 1/3 \\a \\newline (1 (2 [3])) #{} #inst \"2020\" "
		"#_ 99 #_(ignored list) ##Inf]}\n"
		"{:process 0 :type :ok :f :x, ; comment, inside\n"
		" :value 9223372036854775807, :extra #jepsen.x{:a 1}}\n";
	const struct hist_value *v;

	CHECK_EQ_INT(rd(&h, t, HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(err.buf, "");
	v = &h.ev[0].value;
	CHECK_EQ_STR(hr_json(&h, v, &js),
		     "[\"a\\\"b\\\\c\\n\xc3\xa9\",\":kw\",\"sym\",true,false,"
		     "null,-12,7,1.5,2.5,\"1/3\",\"a\",\"\\n\","
		     "[1,[2,[3]]],[],\"2020\",\"##Inf\"]");
	CHECK_EQ_INT(hist_list_elem(&h, v, 1)->kind, HV_STR);
	CHECK_EQ_INT(hist_list_elem(&h, v, 8)->kind, HV_RAW);
	CHECK_EQ_INT(h.ev[1].value.u.i, INT64_MAX);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&js);
}

TEST(hist_edn_independent_tuples)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT, js = SB_INIT;
	const char *t =
		"{:process 0 :type :invoke :f :cas :value [1 [3 4]]}\n"
		"{:process 1 :type :invoke :f :read :value [:k2 nil]}\n"
		"{:process 0 :type :ok :f :cas :value [1 [3 4]]}\n"
		"{:process :nemesis :type :info :f :start :value nil}\n"
		"{:process 1 :type :ok :f :read :value [:k2 5]}\n";

	CHECK_EQ_INT(rd(&h, t, HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(h.ev[0].flags & HIST_F_KEY);
	CHECK_EQ_STR(hist_str(&h, h.ev[0].key), "1");
	CHECK_EQ_STR(hr_json(&h, &h.ev[0].value, &js), "[3,4]");
	CHECK_EQ_STR(hist_str(&h, h.ev[1].key), ":k2");
	CHECK_EQ_INT(h.ev[1].value.kind, HV_NIL);
	CHECK_EQ_INT(h.ev[4].value.u.i, 5);
	CHECK(!(h.ev[3].flags & HIST_F_KEY));
	hist_release(&h);
	/* one client value that is not a pair: no keys at all */
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :cas :value [3 4]}\n"
			"{:process 0 :type :ok :f :cas :value [3 4]}\n"
			"{:process 0 :type :invoke :f :read :value nil}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(!(h.ev[0].flags & HIST_F_KEY));
	CHECK_EQ_STR(hr_json(&h, &h.ev[0].value, &js), "[3,4]");
	hist_release(&h);
	/* transactions of two micro-ops are not [key value] tuples */
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :txn "
			":value [[:append 1 2] [:r 1 nil]]}\n"
			"{:process 0 :type :ok :f :txn "
			":value [[:append 1 2] [:r 1 [2]]]}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(!(h.ev[0].flags & HIST_F_KEY));
	CHECK_EQ_INT(h.ev[1].value.n, 2);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&js);
}

TEST(hist_edn_tuples_completions_without_one)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT, js = SB_INIT;

	/* fail, info and nil completions take their invoke's key */
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :cas :value [1 [3 4]]}\n"
			"{:process 0 :type :fail :f :cas :value nil}\n"
			"{:process 1 :type :invoke :f :write :value [2 5]}\n"
			"{:process 1 :type :info :f :write :value :timed-out}\n"
			"{:process 2 :type :invoke :f :read :value [2 nil]}\n"
			"{:process 2 :type :ok :f :read :value nil}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(warn.buf, "");
	CHECK(h.ev[1].flags & HIST_F_KEY);
	CHECK_EQ_STR(hist_str(&h, h.ev[1].key), "1");
	CHECK_EQ_INT(h.ev[1].value.kind, HV_NIL);
	CHECK_EQ_STR(hist_str(&h, h.ev[3].key), "2");
	CHECK_EQ_STR(hr_json(&h, &h.ev[3].value, &js), "\":timed-out\"");
	CHECK_EQ_STR(hist_str(&h, h.ev[5].key), "2");
	CHECK_EQ_STR(hr_json(&h, &h.ev[0].value, &js), "[3,4]");
	hist_release(&h);
	/* an ok with a value but no tuple breaks keys: warned, by line */
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :write :value [1 3]}\n"
			"{:process 0 :type :ok :f :write :value 3}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(!(h.ev[0].flags & HIST_F_KEY));
	CHECK(strstr(warn.buf, "h.edn:2: this ok's value is not a [key "
		     "value] tuple (the invokes of 1 of 1 client ops are)"));
	hist_release(&h);
	/* so does an ok tuple of another key */
	sb_reset(&warn);
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :read :value [1 nil]}\n"
			"{:process 0 :type :ok :f :read :value [2 3]}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(!(h.ev[0].flags & HIST_F_KEY));
	CHECK(strstr(warn.buf, "h.edn:2: this ok's value is not a [key "
		     "value] tuple of its invoke's key"));
	hist_release(&h);
	/* a history that mostly is not keyed: no warning */
	sb_reset(&warn);
	CHECK_EQ_INT(rd(&h,
			"{:process 0 :type :invoke :f :cas :value [1 2]}\n"
			"{:process 0 :type :ok :f :cas :value [1 2]}\n"
			"{:process 0 :type :invoke :f :read :value nil}\n"
			"{:process 0 :type :ok :f :read :value 2}\n"
			"{:process 0 :type :invoke :f :write :value 3}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(!(h.ev[0].flags & HIST_F_KEY));
	CHECK_EQ_STR(warn.buf, "");
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&js);
}

TEST(hist_edn_errors_name_the_line)
{
	bad("{:process 0 :type :invoke :f :r}\n\n{:process 0 :type :ok}\n",
	    "h.edn:3: operation map without :f");
	bad("[{:process 0 :type :begin :f :r}]\n",
	    "h.edn:1: :type must be one of");
	bad("{:process -1 :type :invoke :f :r}\n",
	    "h.edn:1: :process must be");
	bad("{:process 0 :type :invoke :f :r :value \"a\\qb\"}\n",
	    "h.edn:1: unknown escape '\\q'");
	bad("{:process 0 :type :invoke :f :r :value [1 2)}\n",
	    "h.edn:1: unexpected ')'");
	bad("{:process 0 :type :invoke :f :r}\n[1 2]\n",
	    "h.edn:2: expected an operation map");
	bad("[{:process 0 :type :invoke :f :r}] {:a 1}\n",
	    "h.edn:1: unexpected data after the closing ']'");
	bad("{:process 0 :type :invoke :f :r :value {:a}}\n",
	    "odd number of forms");
	bad("{\"process\" 0}\n", "h.edn:1: operation map keys must be");
	bad("{:process 0 :type :invoke :f :r}\n\x01\n",
	    "h.edn:2: expected an operation map {...}, found byte 0x01");
	bad("{:process 0 :type :invoke :f :r}\n#jepsen.history.Op\n",
	    "h.edn:3: unexpected end of input in an operation map");
	bad("{:process 0 :type :invoke :f :r :value 12abc}\n",
	    "h.edn:1: bad number '12abc'");
	/* the input ends inside an op, but ends with a newline */
	bad("{:process 0 :type :invoke :f :r}\n{:process 0\n",
	    "h.edn:3: unexpected end of input in an operation map");
	/* validation names the line */
	bad("{:process 2 :type :invoke :f :r}\n"
	    "{:process 2 :type :invoke :f :r}\n",
	    "h.edn:2: process 2 invokes while its op from line 1 is still "
	    "pending");
	bad("{:process 2 :type :ok :f :r}\n",
	    "h.edn:1: process 2 completes (ok r) without a pending invoke");
	bad("{:process 2 :type :invoke :f :r}\n"
	    "{:process 2 :type :info :f :r}\n"
	    "{:process 2 :type :invoke :f :r}\n",
	    "h.edn:3: process 2 is used again after its op ended with info "
	    "at line 2");
}

TEST(hist_edn_deep_nesting_is_an_error)
{
	struct sb t = SB_INIT;
	int i;

	sb_adds(&t, "{:process 0 :type :invoke :f :r :value ");
	for (i = 0; i < 100000; i++)
		sb_addc(&t, '[');
	bad(t.buf, "nested more than");
	/* discarded forms nest as deeply */
	sb_reset(&t);
	sb_adds(&t, "{:process 0 :type :invoke :f :r :value ");
	for (i = 0; i < 100000; i++)
		sb_adds(&t, "#_");
	for (i = 0; i < 100001; i++)
		sb_adds(&t, "1 ");
	sb_adds(&t, "}\n");
	bad(t.buf, "nested more than");
	sb_release(&t);
}

TEST(hist_edn_truncated_tail)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;

	CHECK_EQ_INT(rd(&h, "[{:process 0 :type :invoke :f :r}\n"
			" {:process 0 :type :ok :f :r :value \"ab",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_INT(h.n, 1);
	CHECK(h.truncated_tail);
	CHECK_CONTAINS(warn.buf, "h.edn:2: the last operation is cut short");
	CHECK_EQ_STR(err.buf, "");
	hist_release(&h);
	sb_reset(&warn);
	/* a vector without its closing bracket */
	CHECK_EQ_INT(rd(&h, "[{:process 0 :type :invoke :f :r}\n",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK(h.truncated_tail);
	CHECK_CONTAINS(warn.buf, "without its closing ']'");
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}
