/* Unit tests for the jepsen.log history reader (core/hist-log.c). */
#include "histread.h"

#define rd(h, text, fmt, warn, err) \
	hr_read(h, "jepsen.log", text, fmt, warn, err)
#define bad(text, want) HR_BAD("jepsen.log", HIST_FMT_AUTO, text, want)

TEST(hist_log_op_lines)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT, js = SB_INIT;
	const char *t =
		"INFO  jepsen.core - Running test\n"
		"INFO  jepsen.util - Relative time begins now\n"
		"INFO  jepsen.util - 3\t:invoke\t:write\t4\n"
		"INFO  jepsen.util - 9 :invoke :cas [1 4]\n"
		"some database output { [ (\n"
		"INFO  jepsen.util - 3\t:ok\t:write\t4\n"
		"INFO  jepsen.util - 9\t:info\t:cas\t[1 4]\t:timed-out\n"
		"INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n"
		"2017-03-16 10:23:05,123{GMT}\tINFO\t[jepsen nemesis] "
		"jepsen.util: :nemesis\t:info\t:start\tCut off {\"n1\" #{\"n2\"}\n"
		"INFO  jepsen.util - 10\t:invoke\t:read\tnil\r\n"
		"INFO  jepsen.util - 10\t:fail\t:read\tnil\tnot found here\n";

	CHECK_EQ_INT(rd(&h, t, HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(err.buf, "");
	CHECK_EQ_STR(h.format, "jepsen-log");
	CHECK_EQ_INT(h.n, 8);
	CHECK_EQ_INT(h.ev[0].process, 3);
	CHECK_EQ_INT(hist_line(&h, 0), 3);
	CHECK_EQ_STR(hist_str(&h, h.ev[0].f), "write");
	CHECK_EQ_INT(h.ev[0].value.u.i, 4);
	CHECK_EQ_INT(h.ev[0].pair, 2);
	hist_value_json(&h, &h.ev[1].value, &js);
	CHECK_EQ_STR(js.buf, "[1,4]");
	CHECK_EQ_INT(h.ev[3].type, HIST_INFO);
	CHECK_EQ_STR(hist_str(&h, h.ev[3].error), ":timed-out");
	CHECK_EQ_INT(h.ev[4].process, HIST_NEMESIS);
	CHECK_EQ_INT(h.ev[5].process, HIST_NEMESIS);
	CHECK_EQ_INT(hist_line(&h, 5), 9);
	CHECK_EQ_INT(h.ev[5].value.kind, HV_STR);
	CHECK_EQ_STR(hist_str(&h, h.ev[5].value.u.str),
		     "Cut off {\"n1\" #{\"n2\"}");
	CHECK_EQ_INT(h.ev[7].type, HIST_FAIL);
	CHECK_EQ_STR(hist_str(&h, h.ev[7].error), "not found here");
	CHECK_EQ_INT(h.ev[6].pair, 7);
	/* not every value is a pair: no keys */
	CHECK(!(h.ev[1].flags & HIST_F_KEY));
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&js);
}

TEST(hist_log_tuples_and_forced_format)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const char *t =
		"[main] jepsen.util: 0 :invoke :read [7 nil]\n"
		"[main] jepsen.util: 0 :ok :read [7 2]\n";

	CHECK_EQ_INT(rd(&h, t, HIST_FMT_LOG, &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(h.ev[1].flags & HIST_F_KEY);
	CHECK_EQ_STR(hist_str(&h, h.ev[1].key), "7");
	CHECK_EQ_INT(h.ev[1].value.u.i, 2);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_log_errors_name_the_line)
{
	bad("INFO  jepsen.util - 3\t:invoke\t:write\t[1 2\n"
	    "INFO  jepsen.util - 3\t:ok\t:write\t4\n",
	    "jepsen.log:1: unexpected end of input in a vector");
	bad("x\nINFO  jepsen.util - 3\t:invoke\n",
	    "jepsen.log:2: op line without an f");
	bad("INFO  jepsen.util - 3\t:invoke\t:write\t4\n"
	    "INFO  jepsen.util - 3\t:invoke\t:write\t5\n",
	    "jepsen.log:2: process 3 invokes while its op from line 1 is "
	    "still pending");
	bad("INFO  jepsen.util - 3\t:ok\t:write\t4\n",
	    "jepsen.log:1: process 3 completes (ok write) without a pending "
	    "invoke");
	bad("INFO  jepsen.util - 3\t:invoke\t:write\t4\n"
	    "INFO  jepsen.util - 3\t:info\t:write\t4\t:timed-out\n"
	    "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n",
	    "jepsen.log:3: process 3 is used again after its op ended with "
	    "info at line 2");
	bad("INFO  jepsen.util - Relative time begins now\n",
	    "jepsen.log: no operations found");
	bad("hello\n", "cannot tell the format");
}

TEST(hist_log_truncated_tail)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;

	CHECK_EQ_INT(rd(&h, "INFO  jepsen.util - 3\t:invoke\t:write\t4\n"
			"INFO  jepsen.util - 3\t:ok\t:write\t4\n"
			"INFO  jepsen.util - 4\t:invoke\t:cas\t[1 ",
			HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(h.truncated_tail);
	CHECK_CONTAINS(warn.buf, "jepsen.log:3: the last op line has no "
		       "newline");
	CHECK_EQ_STR(err.buf, "");
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}
