/* Unit tests for the JSON Lines history reader (core/hist-json.c). */
#include "histread.h"

#include <jansson.h>

#define rd(h, text, warn, err) \
	hr_read(h, "h.jsonl", text, HIST_FMT_AUTO, warn, err)
/* Expect reading text to fail with a message containing want. */
#define bad(text, want) HR_BAD("h.jsonl", HIST_FMT_AUTO, text, want)

TEST(hist_json_register)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const char *t =
		"{\"index\":0,\"time\":10,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":3}\n"
		"{\"index\":1,\"time\":20,\"process\":1,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n"
		"{\"index\":2,\"time\":30,\"process\":0,\"type\":\"ok\","
		"\"f\":\"write\",\"value\":3,\"node\":\"n1\",\"version\":7}\n"
		"{\"index\":3,\"time\":40,\"process\":1,\"type\":\"ok\","
		"\"f\":\"read\",\"value\":3,\"final\":true}\n";

	CHECK_EQ_INT(rd(&h, t, &warn, &err), 0);
	CHECK_EQ_STR(err.buf, "");
	CHECK_EQ_STR(h.format, "json");
	CHECK_EQ_INT(h.n, 4);
	CHECK_EQ_INT(h.ev[0].pair, 2);
	CHECK_EQ_INT(h.ev[2].pair, 0);
	CHECK_EQ_INT(h.ev[1].pair, 3);
	CHECK_EQ_INT(h.ev[0].type, HIST_INVOKE);
	CHECK_EQ_INT(h.ev[3].type, HIST_OK);
	CHECK_EQ_STR(hist_str(&h, h.ev[1].f), "read");
	CHECK_EQ_INT(h.ev[1].value.kind, HV_NIL);
	CHECK_EQ_INT(h.ev[3].value.kind, HV_INT);
	CHECK_EQ_INT(h.ev[3].value.u.i, 3);
	CHECK(h.ev[3].flags & HIST_F_FINAL);
	CHECK(!(h.ev[0].flags & HIST_F_FINAL));
	CHECK_EQ_STR(hist_str(&h, h.ev[2].node), "n1");
	CHECK(h.ev[2].flags & HIST_F_VERSION);
	CHECK_EQ_INT(h.ev[2].version, 7);
	CHECK_EQ_INT(h.ev[2].time, 30);
	CHECK_EQ_INT(hist_line(&h, 2), 3);
	/* session defaults to the process */
	CHECK_EQ_INT(h.ev[1].session, 1);
	CHECK(!(h.ev[1].flags & HIST_F_SESSION));
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_json_cas_key_nemesis)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const struct hist_value *v;
	const char *t =
		"{\"time\":0,\"process\":\"nemesis\",\"type\":\"invoke\","
		"\"f\":\"start\",\"value\":{\"b\":1,\"a\":[\"n1\"]}}\n"
		"{\"time\":1,\"process\":\"nemesis\",\"type\":\"ok\","
		"\"f\":\"start\",\"value\":null}\n"
		"{\"time\":2,\"process\":4,\"session\":1,\"type\":\"invoke\","
		"\"f\":\"cas\",\"value\":[1,2],\"key\":\"k9\"}\n"
		"{\"time\":3,\"process\":4,\"session\":1,\"type\":\"fail\","
		"\"f\":\"cas\",\"value\":[1,2],\"key\":7,"
		"\"error\":\"precondition\"}\n";

	CHECK_EQ_INT(rd(&h, t, &warn, &err), 0);
	CHECK_EQ_INT(h.n, 4);
	CHECK_EQ_INT(h.ev[0].process, HIST_NEMESIS);
	CHECK_EQ_INT(h.ev[0].pair, 1);
	CHECK_EQ_INT(h.ev[0].value.kind, HV_RAW);
	/* maps are kept as canonical JSON: sorted keys */
	CHECK_EQ_STR(hist_str(&h, h.ev[0].value.u.str),
		     "{\"a\":[\"n1\"],\"b\":1}");
	v = &h.ev[2].value;
	CHECK_EQ_INT(v->kind, HV_LIST);
	CHECK_EQ_INT(v->n, 2);
	CHECK_EQ_INT(hist_list_elem(&h, v, 0)->u.i, 1);
	CHECK_EQ_INT(hist_list_elem(&h, v, 1)->u.i, 2);
	CHECK(h.ev[2].flags & HIST_F_KEY);
	CHECK_EQ_STR(hist_str(&h, h.ev[2].key), "k9");
	CHECK_EQ_STR(hist_str(&h, h.ev[3].key), "7");
	CHECK_EQ_INT(h.ev[2].session, 1);
	CHECK(h.ev[2].flags & HIST_F_SESSION);
	CHECK_EQ_STR(hist_str(&h, h.ev[3].error), "precondition");
	/* index defaults to the position */
	CHECK_EQ_INT(hist_index(&h, 3), 3);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

#define INV(p, f, t) "{\"time\":" #t ",\"process\":" #p \
	",\"type\":\"invoke\",\"f\":\"" f "\"}\n"
#define DONE(p, ty, f, t) "{\"time\":" #t ",\"process\":" #p \
	",\"type\":\"" ty "\",\"f\":\"" f "\"}\n"

TEST(hist_json_errors_name_the_line)
{
	bad(INV(1, "read", 1) "{\"time\":2,\"process\":1,\"type\":\"ok\"\n",
	    "h.jsonl:2: invalid JSON");
	bad(INV(1, "read", 1) "[1,2]\n", "h.jsonl:2: expected one JSON object");
	bad("\n\n" INV(1, "read", 1) "{\"time\":3,\"process\":1,"
	    "\"type\":\"done\",\"f\":\"read\"}\n",
	    "h.jsonl:4: 'type' must be one of");
	bad("{\"time\":1,\"process\":-4,\"type\":\"invoke\",\"f\":\"r\"}\n",
	    "h.jsonl:1: 'process' must be");
	bad("{\"time\":1.5,\"process\":1,\"type\":\"invoke\",\"f\":\"r\"}\n",
	    "h.jsonl:1: 'time' must be an integer");
	bad("{\"time\":1,\"process\":1,\"type\":\"invoke\"}\n",
	    "h.jsonl:1: missing field 'f'");
	bad("{\"time\":1,\"f\":\"r\",\"type\":\"invoke\"}\n",
	    "h.jsonl:1: missing field 'process'");
	bad("{\"time\":1,\"process\":1,\"type\":\"invoke\",\"f\":\"r\","
	    "\"f\":\"w\"}\n", "h.jsonl:1: invalid JSON");
	bad(INV(1, "r", 1) "{\"time\":2,\"process\":1,\"type\":\"ok\","
	    "\"f\":\"r\",\"final\":1}\n", "h.jsonl:2: 'final' must be");
	bad(INV(1, "r", 1) "{\"time\":2,\"process\":1,\"type\":\"ok\","
	    "\"f\":\"r\",\"key\":[1]}\n", "h.jsonl:2: 'key' must be");
	bad("", "h.jsonl: empty history");
	bad("\n  \n", "h.jsonl: empty history");
}

TEST(hist_json_validation)
{
	/* invoke while pending */
	bad(INV(3, "read", 1) INV(4, "read", 2) INV(3, "write", 3),
	    "h.jsonl:3: process 3 invokes while its op from line 1 is "
	    "still pending");
	/* completion without invoke */
	bad(INV(3, "read", 1) DONE(5, "ok", "read", 2),
	    "h.jsonl:2: process 5 completes (ok read) without a pending "
	    "invoke");
	/* completion of another f */
	bad(INV(3, "read", 1) DONE(3, "ok", "write", 2),
	    "h.jsonl:2: process 3 completes 'write' but invoked 'read' at "
	    "line 1");
	/* reuse after info */
	bad(INV(3, "read", 1) DONE(3, "info", "read", 2) INV(3, "read", 3),
	    "h.jsonl:3: process 3 is used again after its op ended with "
	    "info at line 2");
	/* time going backwards, nemesis events included */
	bad(INV(3, "read", 5) DONE(3, "ok", "read", 4),
	    "h.jsonl:2: time goes backwards (4 ns after 5 ns at line 1)");
	bad(INV(3, "read", 5) "{\"time\":2,\"process\":\"nemesis\","
	    "\"type\":\"info\",\"f\":\"start\"}\n",
	    "h.jsonl:2: time goes backwards");
}

TEST(hist_json_pending_at_end_is_indeterminate)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;

	CHECK_EQ_INT(rd(&h, INV(1, "write", 1) INV(2, "read", 2)
			DONE(2, "ok", "read", 3), &warn, &err), 0);
	CHECK_EQ_INT(h.ev[0].pair, -1);
	CHECK_EQ_INT(h.ev[1].pair, 2);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_json_truncated_tail)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;

	CHECK_EQ_INT(rd(&h, INV(1, "write", 1) DONE(1, "ok", "write", 2)
			"{\"time\":3,\"process\":1,\"ty", &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(h.truncated_tail);
	CHECK_CONTAINS(warn.buf, "h.jsonl:3: last line is cut short");
	hist_release(&h);
	sb_reset(&warn);
	/* cut by a crash inside the writer's blank padding: the cut line
	   is followed by spaces and a newline */
	CHECK_EQ_INT(rd(&h, INV(1, "write", 1) DONE(1, "ok", "write", 2)
			"{\"time\":3,\"process\":1,\"ty        \n",
			&warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(h.truncated_tail);
	CHECK_CONTAINS(warn.buf, "h.jsonl:3: last line is cut short (only "
		       "blank space after it");
	hist_release(&h);
	sb_reset(&warn);
	/* cut with its first byte still padding (the writer copies it
	   last): the rest may end in "}\n" and still never parses */
	CHECK_EQ_INT(rd(&h, INV(1, "write", 1) DONE(1, "ok", "write", 2)
			" \"time\":3,\"process\":1,\"type\":\"invoke\","
			"\"f\":\"read\"}\n", &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(h.truncated_tail);
	hist_release(&h);
	sb_reset(&warn);
	/* a bad last line with only a blank line after it, and no
	   padding, is an error as ever */
	bad(INV(1, "write", 1) "{\"time\":3,\"process\":1,\"valu\n\n",
	    "h.jsonl:2: invalid JSON");
	/* but a bad line with a line after it is an error */
	bad(INV(1, "write", 1) "{\"time\":3,\"process\n   \n"
	    DONE(1, "ok", "write", 2), "h.jsonl:2: invalid JSON");
	/* a complete last line without its newline is fine */
	CHECK_EQ_INT(rd(&h, INV(1, "write", 1)
			"{\"time\":2,\"process\":1,\"type\":\"ok\","
			"\"f\":\"write\"}", &warn, &err), 0);
	CHECK_EQ_INT(h.n, 2);
	CHECK(!h.truncated_tail);
	CHECK_EQ_STR(warn.buf, "");
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_json_defaults_time_and_ignores_unknown_fields)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const char *t =
		"{\"time\":5,\"process\":0,\"type\":\"invoke\",\"f\":\"r\"}\n"
		"{\"process\":0,\"type\":\"ok\",\"f\":\"r\",\"extra\":[1]}\n";

	CHECK_EQ_INT(rd(&h, t, &warn, &err), 0);
	CHECK_EQ_INT(h.ev[1].time, 5);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_json_round_trip)
{
	struct history h, h2;
	struct sb warn = SB_INIT, err = SB_INIT, out = SB_INIT, out2 = SB_INIT;
	const char *t =
		"{\"index\":0,\"time\":1,\"process\":\"nemesis\","
		"\"type\":\"info\",\"f\":\"start\",\"value\":[\"n1\",\"n2\"]}\n"
		"{\"index\":1,\"time\":2,\"process\":7,\"type\":\"invoke\","
		"\"f\":\"cas\",\"value\":[1,[2,\"x\\\"y\"]],\"key\":\"a\","
		"\"session\":2}\n"
		"{\"index\":2,\"time\":3,\"process\":7,\"type\":\"info\","
		"\"f\":\"cas\",\"value\":{\"z\":1.5,\"a\":true},\"key\":\"a\","
		"\"session\":2,\"node\":\"n3\",\"version\":-1,\"final\":true,"
		"\"error\":\"timeout\\n\"}\n";
	size_t i;

	CHECK_EQ_INT(rd(&h, t, &warn, &err), 0);
	for (i = 0; i < h.n; i++)
		hist_event_json(&h, i, &out);
	CHECK_EQ_INT(rd(&h2, out.buf, &warn, &err), 0);
	CHECK_EQ_INT(h2.n, h.n);
	for (i = 0; i < h2.n; i++) {
		hist_event_json(&h2, i, &out2);
		CHECK(hist_value_eq(&h2, &h2.ev[i].value, &h2.ev[i].value));
		CHECK_EQ_INT(h2.ev[i].pair, h.ev[i].pair);
	}
	CHECK_EQ_STR(out2.buf, out.buf);
	CHECK_CONTAINS(out.buf, "\"value\":[1,[2,\"x\\\"y\"]]");
	CHECK_CONTAINS(out.buf, "\"version\":-1,\"final\":true");
	hist_release(&h);
	hist_release(&h2);
	sb_release(&warn);
	sb_release(&err);
	sb_release(&out);
	sb_release(&out2);
}

TEST(hist_read_file_and_format_names)
{
	char path[512];
	FILE *f;
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;

	CHECK_EQ_INT(hist_format_parse("json"), HIST_FMT_JSON);
	CHECK_EQ_INT(hist_format_parse("edn"), HIST_FMT_EDN);
	CHECK_EQ_INT(hist_format_parse("jepsen-log"), HIST_FMT_LOG);
	CHECK_EQ_INT(hist_format_parse("xml"), -1);
	snprintf(path, sizeof(path), "%s/h.jsonl", test_tmpdir());
	f = fopen(path, "w");
	CHECK(f);
	fputs(INV(1, "write", 1) INV(2, "read", 2) "\n"
	      DONE(2, "ok", "read", 3) INV(1, "read", 4), f);
	fclose(f);
	hist_init(&h);
	CHECK_EQ_INT(hist_read_file(&h, path, HIST_FMT_AUTO, &warn, &err),
		     -NS_EINPUT);
	CHECK_CONTAINS(err.buf, "/h.jsonl:5: process 1 invokes while its "
		       "op from line 1 is still pending");
	hist_release(&h);
	hist_init(&h);
	sb_reset(&err);
	CHECK_EQ_INT(hist_read_file(&h, "/nonexistent/x.jsonl", HIST_FMT_AUTO,
				    &warn, &err), -NS_EIO);
	CHECK_CONTAINS(err.buf, "cannot open '/nonexistent/x.jsonl'");
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_byte_order_mark_is_skipped)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	const char *json = "\xef\xbb\xbf" "{\"time\":1,\"process\":0,"
			   "\"type\":\"invoke\",\"f\":\"r\"}\n";
	const char *edn = "\xef\xbb\xbf" "[{:type :invoke :f :r :process 0}]";

	CHECK_EQ_INT(rd(&h, json, &warn, &err), 0);
	CHECK_EQ_STR(h.format, "json");
	CHECK_EQ_INT(h.n, 1);
	hist_release(&h);
	hist_init(&h);
	CHECK_EQ_INT(hist_read_mem(&h, "h.edn", edn, strlen(edn),
				   HIST_FMT_AUTO, &warn, &err), 0);
	CHECK_EQ_STR(h.format, "edn");
	CHECK_EQ_INT(h.n, 1);
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST(hist_value_from_json_kinds)
{
	struct history h;
	struct hist_value v;
	struct sb out = SB_INIT;
	json_t *j = json_loads("[null,true,-3,\"s\",[1,[2]],{\"b\":1,\"a\":2},"
			       "1.5]", 0, NULL);
	json_t *deep = json_array(), *inner = deep;
	int d;

	for (d = 0; d < 70; d++) {	/* deeper than the reader allows */
		json_t *a = json_array();

		json_array_append_new(inner, a);
		inner = a;
	}

	CHECK(j && deep);
	hist_init(&h);
	CHECK_EQ_INT(hist_value_from_json(&h, j, &v), 0);
	CHECK_EQ_INT(v.kind, HV_LIST);
	CHECK_EQ_INT(hist_list_elem(&h, &v, 1)->kind, HV_BOOL);
	CHECK_EQ_INT(hist_list_elem(&h, &v, 5)->kind, HV_RAW);
	hist_value_json(&h, &v, &out);
	CHECK_EQ_STR(out.buf, "[null,true,-3,\"s\",[1,[2]],{\"a\":2,\"b\":1},"
		     "1.5]");
	CHECK_EQ_INT(hist_value_from_json(&h, deep, &v), -NS_EINPUT);
	json_decref(j);
	json_decref(deep);
	hist_release(&h);
	sb_release(&out);
}

/* Read dir/name (auto-detected) into fresh warn and err; returns rc. */
static int read_named(const char *dir, const char *name, struct sb *warn,
		      struct sb *err)
{
	char path[512];
	struct history h;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sb_reset(warn);
	sb_reset(err);
	hist_init(&h);
	rc = hist_read_file(&h, path, HIST_FMT_AUTO, warn, err);
	hist_release(&h);
	return rc;
}

/*
 * A run's history.jsonl whose controller was killed while writing its
 * first line: the line's first byte never stored (blank padding), then
 * the file's padding.  Beside run.json it is JSON Lines by construction:
 * the cut line is told as such, not "cannot tell the format".
 */
TEST(hist_run_history_is_json_lines_whatever_its_first_byte)
{
	const char *dir = test_tmpdir();
	const char cut[] = " \"index\":0,\"time\":5,\"process\":0,"
			   "\"type\":\"invoke\",\"f\":\"read\"        "
			   "                              \n";
	struct sb warn = SB_INIT, err = SB_INIT;

	test_write_file(dir, "history.jsonl", cut);
	test_write_file(dir, "other.jsonl", cut);
	/* no run.json yet: detected, and nothing to detect */
	CHECK_EQ_INT(read_named(dir, "history.jsonl", &warn, &err),
		     -NS_EINPUT);
	CHECK_CONTAINS(err.buf, "cannot tell the format");
	test_write_file(dir, "run.json", "{}");
	CHECK_EQ_INT(read_named(dir, "history.jsonl", &warn, &err),
		     -NS_EINPUT);
	CHECK_CONTAINS(warn.buf, "history.jsonl:1: last line is cut short");
	CHECK_CONTAINS(err.buf, "no operations found (read as json)");
	/* another name beside run.json is still detected */
	CHECK_EQ_INT(read_named(dir, "other.jsonl", &warn, &err),
		     -NS_EINPUT);
	CHECK_CONTAINS(err.buf, "cannot tell the format");
	sb_release(&warn);
	sb_release(&err);
}
