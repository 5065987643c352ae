/* Unit tests for core/hist-ops.c: client ops counted by name with their
   most common errors, and where the reports show them. */
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "histbuild.h"
#include "hist-ops.h"
#include "run-dir.h"

/* An op of f by process p ending type with error text (NULL: none). */
static size_t op(struct history *h, int64_t p, const char *f,
		 enum hist_type type, const char *error, double t)
{
	size_t inv = hb_op(h, p, f, hb_nil(), type, hb_nil(), t, t + 1);

	if (error)
		h->ev[h->ev[inv].pair].error = hist_intern(h, error,
							   strlen(error));
	return inv;
}

static const struct hist_op_count *find(const struct history *h,
					const struct hist_ops *o,
					const char *f)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(hist_str(h, o->op[i].f), f))
			return &o->op[i];
	return NULL;
}

TEST(hist_ops_counts_and_top_errors)
{
	struct history h;
	struct hist_ops o;
	const struct hist_op_count *w, *r;
	struct sb t = SB_INIT;
	int i;

	hist_init(&h);
	for (i = 0; i < 5; i++)
		op(&h, 1, "write", HIST_FAIL, "http 404: not found", i * 10);
	for (i = 0; i < 3; i++)
		op(&h, 1, "write", HIST_INFO, "timeout", 100 + i);
	op(&h, 1, "write", HIST_FAIL, "http 500", 200);
	op(&h, 1, "write", HIST_FAIL, "http 503", 201);
	op(&h, 1, "write", HIST_OK, NULL, 202);
	for (i = 0; i < 4; i++)
		op(&h, 2, "read", HIST_OK, NULL, 300 + i);
	/* a final read that failed is not counted */
	hb_final(&h, op(&h, 3, "read", HIST_FAIL, "refused", 400));
	/* a read never completed counts as info, "never completed" */
	hb_inv(&h, 4, "read", hb_nil(), 500);
	hb_nemesis(&h, "start-partition", "halves", 50);

	hist_ops_compute(&o, &h);
	CHECK_EQ_INT(o.n, 2);
	/* sorted by name */
	CHECK_EQ_STR(hist_str(&h, o.op[0].f), "read");
	w = find(&h, &o, "write");
	r = find(&h, &o, "read");
	CHECK(w && r);
	CHECK_EQ_INT(w->ok, 1);
	CHECK_EQ_INT(w->fail, 7);
	CHECK_EQ_INT(w->info, 3);
	CHECK_EQ_INT(w->nkinds, 4);
	CHECK_EQ_INT(w->nerrors, HIST_OPS_TOP);
	CHECK_EQ_INT(w->top[0].count, 5);
	CHECK_EQ_INT(w->top[0].type, HIST_FAIL);
	CHECK_EQ_STR(hist_str(&h, w->top[0].error), "http 404: not found");
	CHECK_EQ_INT(w->top[1].count, 3);
	CHECK_EQ_STR(hist_str(&h, w->top[1].error), "timeout");
	CHECK_EQ_INT(w->top[2].count, 1);
	CHECK_EQ_INT(r->ok, 4);
	CHECK_EQ_INT(r->fail, 0);
	CHECK_EQ_INT(r->info, 1);
	CHECK_EQ_INT(r->nerrors, 1);
	hist_op_error_text(&h, &r->top[0], 100, &t);
	CHECK_EQ_STR(t.buf, "1 info 'never completed'");
	sb_reset(&t);
	hist_op_error_text(&h, &w->top[0], 8, &t);
	CHECK_EQ_STR(t.buf, "5 fail 'http 404...'");
	sb_release(&t);
	hist_ops_release(&o);
	hist_release(&h);
}

TEST(hist_ops_json_form)
{
	struct history h;
	struct hist_ops o;
	json_t *j, *w;
	char long_err[600];
	int i;

	hist_init(&h);
	memset(long_err, 'x', sizeof(long_err) - 1);
	long_err[sizeof(long_err) - 1] = 0;
	memcpy(long_err, "line\none", 8);
	for (i = 0; i < 3; i++)
		op(&h, 1, "write", HIST_INFO, long_err, i);
	op(&h, 1, "cas", HIST_FAIL, NULL, 10);
	hist_ops_compute(&o, &h);
	j = hist_ops_json(&o, &h);
	CHECK_EQ_INT(json_array_size(j), 2);
	w = json_array_get(j, 1);
	CHECK_EQ_STR(json_string_value(json_object_get(w, "f")), "write");
	CHECK_EQ_INT(json_integer_value(json_object_get(w, "ok")), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(w, "info")), 3);
	w = json_array_get(json_object_get(w, "errors"), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(w, "outcome")), "info");
	CHECK_EQ_INT(json_integer_value(json_object_get(w, "count")), 3);
	/* shortened as evidence shortens a value: its length said */
	CHECK(strstr(json_string_value(json_object_get(w, "error")),
		     "... (599 bytes)") != NULL);
	w = json_array_get(json_object_get(json_array_get(j, 0), "errors"),
			   0);
	CHECK_EQ_STR(json_string_value(json_object_get(w, "error")),
		    "no error text");
	json_decref(j);
	hist_ops_release(&o);
	hist_release(&h);
}

/* A run whose writes all failed 404 while its reads were ok. */
static const char failing_writes[] =
	"{\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\","
	"\"value\":1}\n"
	"{\"time\":2000,\"process\":0,\"type\":\"fail\",\"f\":\"write\","
	"\"value\":1,\"error\":\"http 404: <b>no</b>\"}\n"
	"{\"time\":3000,\"process\":1,\"type\":\"invoke\",\"f\":\"read\","
	"\"value\":null}\n"
	"{\"time\":4000,\"process\":1,\"type\":\"ok\",\"f\":\"read\","
	"\"value\":null}\n"
	"{\"time\":5000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\","
	"\"value\":2}\n"
	"{\"time\":6000,\"process\":0,\"type\":\"fail\",\"f\":\"write\","
	"\"value\":2,\"error\":\"http 404: <b>no</b>\"}\n";

TEST(hist_ops_in_summary_and_html)
{
	const char *dir = test_tmpdir();
	char *md, *html;

	test_write_file(dir, "history.jsonl", failing_writes);
	md = rundir_report(dir, "summary");
	CHECK(strstr(md, "| op | ok | fail | info | most common errors |")
	      != NULL);
	CHECK(strstr(md, "| write | 0 | 2 | 0 | 2 fail 'http 404: "
		     "&lt;b&gt;no&lt;/b&gt;' |") != NULL);
	CHECK(strstr(md, "| read | 1 | 0 | 0 |  |") != NULL);
	free(md);
	html = rundir_report(dir, "html");
	CHECK(strstr(html, "<table id=\"ops-by-name\">") != NULL);
	CHECK(strstr(html, "<td>write</td><td>0</td><td>2</td><td>0</td>"
		     "<td>2 fail &#39;http 404: &lt;b&gt;no&lt;/b&gt;&#39;"
		     "</td>") != NULL);
	free(html);
}

/* The rule: a read, write or add tried HIST_OPS_UNTESTED_MIN times or
   more without one success tested nothing; cas never counts. */
TEST(hist_ops_untested_rule)
{
	struct history h;
	struct hist_ops o;
	struct sb why = SB_INIT;
	int i;

	hist_init(&h);
	for (i = 0; i < 12; i++)
		op(&h, 1, "write", i < 10 ? HIST_FAIL : HIST_INFO,
		   i < 10 ? "http 404: not found" : "timeout", i * 10);
	for (i = 0; i < 30; i++)	/* a cas may lose every compare */
		op(&h, 2, "cas", HIST_FAIL, "compare failed", 500 + i);
	for (i = 0; i < HIST_OPS_UNTESTED_MIN - 1; i++)	/* too few */
		op(&h, 3, "add", HIST_FAIL, "refused", 900 + i);
	for (i = 0; i < 20; i++)	/* one ok is enough */
		op(&h, 4, "read", i ? HIST_FAIL : HIST_OK, "refused",
		   1000 + i);
	hist_ops_compute(&o, &h);
	CHECK_EQ_INT(hist_ops_untested(&o, &h, &why), 1);
	CHECK_EQ_STR(why.buf, "no write succeeded (12 attempted: 10 fail "
		     "'http 404: not found', ...)");
	hist_ops_release(&o);

	/* one more add reaches the threshold */
	op(&h, 3, "add", HIST_INFO, NULL, 950);
	sb_reset(&why);
	hist_ops_compute(&o, &h);
	CHECK_EQ_INT(hist_ops_untested(&o, &h, &why), 2);
	CHECK_CONTAINS(why.buf, "no add succeeded (10 attempted: 9 fail "
		       "'refused', ...)");
	CHECK_CONTAINS(why.buf, "; no write succeeded");
	hist_ops_release(&o);
	hist_release(&h);

	/* reads that all failed while the clients ran: a final read that
	   succeeded after the heal does not make them tested */
	hist_init(&h);
	for (i = 0; i < 10; i++)
		op(&h, 1, "read", HIST_INFO, NULL, i);
	hb_final(&h, op(&h, 2, "read", HIST_OK, NULL, 100));
	sb_reset(&why);
	hist_ops_compute(&o, &h);
	CHECK_EQ_INT(hist_ops_untested(&o, &h, &why), 1);
	CHECK_EQ_STR(why.buf, "no read succeeded (10 attempted: 10 info "
		     "'no error text')");
	hist_ops_release(&o);
	hist_release(&h);
	sb_release(&why);
}
