/*
 * test-evidence.c - what evidence shows of an op: a value's text cut on
 * a character (checker__value_text), an event's error text shortened in
 * results.json (verdict_json) and in report.html (its ops, story and
 * timeline), as values are.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "histbuild.h"
#include "checkers/checker-util.h"
#include "reports/report.h"
#include "run-dir.h"

/* Whether s[0..n) is whole UTF-8 characters. */
static int utf8_whole(const char *s, size_t n)
{
	size_t i = 0, len, k;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 :
		      c >= 0xc0 ? 2 : 0;
		if (!len || i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

static struct hist_value str_value(struct history *h, const struct sb *s)
{
	struct hist_value v = { .kind = HV_STR };

	v.u.str = hist_intern(h, s->buf, s->len);
	return v;
}

TEST(evidence_value_text_cut_on_a_character)
{
	static const char *const chars[] = {
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};
	struct history h;
	struct sb s = SB_INIT, out = SB_INIT;
	struct hist_value v;
	size_t c, pad, cuts = 0;

	hist_init(&h);
	/* The character at every offset around the cut (byte 77 of the
	   JSON text, its quote included). */
	for (c = 0; c < 3; c++)
		for (pad = 70; pad < 78; pad++) {
			sb_reset(&s);
			sb_reset(&out);
			while (s.len < pad)
				sb_addc(&s, 'a');
			sb_adds(&s, chars[c]);
			while (s.len < 120)
				sb_addc(&s, 'b');
			sb_adds(&out, "x");	/* appended after it */
			v = str_value(&h, &s);
			checker__value_text(&h, &v, &out);
			CHECK(out.len <= 1 + CHECKER__TEXT_MAX);
			CHECK(out.len >= 1 + CHECKER__TEXT_MAX - 3);
			CHECK(!strcmp(out.buf + out.len - 3, "..."));
			CHECK(utf8_whole(out.buf, out.len));
			cuts += !strstr(out.buf, chars[c]);
		}
	/* the character went where it crossed the cut, and only there */
	CHECK(cuts > 0 && cuts < 24);
	sb_release(&s);
	sb_release(&out);
	hist_release(&h);
}

TEST(evidence_value_text_cut_not_in_an_escape)
{
	struct history h;
	struct sb s = SB_INIT, out = SB_INIT;
	struct hist_value v;
	size_t pad, back;

	hist_init(&h);
	/* '"' is written \" and a control character \u0001: neither is
	   cut in half, whatever its offset */
	for (pad = 70; pad < 80; pad++) {
		const char *esc[] = { "\"", "\x01", "\\" };
		size_t k;

		for (k = 0; k < 3; k++) {
			sb_reset(&s);
			sb_reset(&out);
			while (s.len < pad)
				sb_addc(&s, 'a');
			sb_adds(&s, esc[k]);
			while (s.len < 120)
				sb_addc(&s, 'b');
			v = str_value(&h, &s);
			checker__value_text(&h, &v, &out);
			CHECK(!strcmp(out.buf + out.len - 3, "..."));
			/* an even run of backslashes before the "..." */
			for (back = 0; back < out.len - 3 &&
			     out.buf[out.len - 4 - back] == '\\'; back++)
				;
			CHECK(back % 2 == 0);
			/* no "\u" without its four digits */
			CHECK(!strstr(out.buf + out.len - 8, "\\u") ||
			      strstr(out.buf, "\\u0001..."));
		}
	}
	sb_release(&s);
	sb_release(&out);
	hist_release(&h);
}

/* A 2 MB error text ending in TAIL, with a 2-byte character across byte
   200 (the cut). */
static void long_error(struct sb *e)
{
	while (e->len < 199)
		sb_addc(e, 'E');
	sb_adds(e, "\xc3\xa9");
	while (e->len < 2000000)
		sb_addc(e, 'e');
	sb_adds(e, "TAIL");
}

/* A list of 64 lists of 64 lists of 64 strings: every level shown whole
   (64 elements), so its shown text is over 1 MB. */
static struct hist_value nested_value(struct history *h)
{
	struct hist_value v = { .kind = HV_LIST, .n = 64 }, *e;
	size_t i, j, k;

	v.u.off = hist_alloc_vals(h, 64);
	for (i = 0; i < 64; i++) {
		uint64_t off = hist_alloc_vals(h, 64);

		e = &h->vals[v.u.off + i];
		e->kind = HV_LIST;
		e->n = 64;
		e->u.off = off;
		for (j = 0; j < 64; j++) {
			uint64_t off2 = hist_alloc_vals(h, 64);

			e = &h->vals[off + j];
			e->kind = HV_LIST;
			e->n = 64;
			e->u.off = off2;
			for (k = 0; k < 64; k++) {
				e = &h->vals[off2 + k];
				e->kind = HV_STR;
				e->u.str = hist_intern(h, "ab\"", 3);
			}
		}
	}
	return v;
}

TEST(evidence_value_text_formats_its_head_alone)
{
	struct history h;
	struct sb whole = SB_INIT, head = SB_INIT, out = SB_INIT;
	struct hist_value v;

	hist_init(&h);
	v = nested_value(&h);
	hist_value_json_show(&h, &v, &whole);
	CHECK(whole.len > 1000000);
	/* the head: what is kept and a little more, never all of it */
	sb_adds(&head, "x");
	hist_value_json_head(&h, &v, CHECKER__TEXT_MAX, &head);
	CHECK(head.len > 1 + CHECKER__TEXT_MAX);
	CHECK(head.len < 1000);
	CHECK(!memcmp(head.buf + 1, whole.buf, head.len - 1));
	/* a short value comes whole */
	sb_reset(&head);
	hist_value_json_head(&h, hist_list_elem(&h, hist_list_elem(&h, &v, 0),
						0), 1000, &head);
	CHECK_EQ_INT(head.len, 64 * 7 + 1);	/* "ab\"", */
	/* and the text shown is the cut of the whole text: \" kept whole */
	checker__value_text(&h, &v, &out);
	CHECK_EQ_INT(out.len, 76 + 3);
	CHECK(!memcmp(out.buf, whole.buf, 76));
	CHECK(!strcmp(out.buf + 76, "..."));
	sb_release(&whole);
	sb_release(&head);
	sb_release(&out);
	hist_release(&h);
}

TEST(evidence_event_line_shortened_as_formatted)
{
	struct history h;
	struct sb e = SB_INIT, line = SB_INIT, want = SB_INIT;
	size_t op;
	json_t *j;
	unsigned cut;

	hist_init(&h);
	long_error(&e);
	op = hb_op(&h, 0, "write", hb_int(1), HIST_INFO, hb_nil(), 10, 11);
	h.ev[h.ev[op].pair].error = hist_intern(&h, e.buf, e.len);
	h.ev[h.ev[op].pair].value.kind = HV_STR;
	h.ev[h.ev[op].pair].value.u.str = hist_intern(&h, e.buf + 1,
						      e.len - 1);
	cut = hist_event_json_show(&h, (size_t)h.ev[op].pair, &line);
	CHECK_EQ_INT(cut, HIST_SHOW_CUT_VALUE | HIST_SHOW_CUT_ERROR);
	CHECK(line.len < 2000);
	j = json_loadb(line.buf, line.len, 0, NULL);
	CHECK(j);
	hist_str_show(e.buf, &want);
	CHECK(!strcmp(json_string_value(json_object_get(j, "error")),
		      want.buf));
	sb_reset(&want);
	hist_str_show(e.buf + 1, &want);
	CHECK(!strcmp(json_string_value(json_object_get(j, "value")),
		      want.buf));
	json_decref(j);
	/* nothing cut: the line hist_event_json writes */
	sb_reset(&line);
	sb_reset(&want);
	CHECK_EQ_INT(hist_event_json_show(&h, op, &line), 0);
	hist_event_json(&h, op, &want);
	CHECK(!strcmp(line.buf, want.buf));
	sb_release(&e);
	sb_release(&line);
	sb_release(&want);
	hist_release(&h);
}

TEST(evidence_long_error_shortened_in_results)
{
	struct history h;
	struct verdict v;
	struct sb e = SB_INIT;
	size_t add;
	char *j;

	hist_init(&h);
	long_error(&e);
	/* an add that failed with the long error, then read: unexpected,
	   citing the add */
	add = hb_op(&h, 0, "add", hb_int(1), HIST_FAIL, hb_int(1), 10, 11);
	h.ev[h.ev[add].pair].error = hist_intern(&h, e.buf, e.len);
	hb_final(&h, hb_op(&h, 1, "read", hb_nil(), HIST_OK,
			   hb_list(&h, 1, 1), 20, 21));
	j = hb_check(&h, "set", NULL, &v);
	CHECK(j);
	CHECK_EQ_INT(hb_count(&v, "unexpected"), 1);
	CHECK(!strstr(j, "TAIL"));
	CHECK(strlen(j) < 20000);
	CHECK_CONTAINS(j, "\"error_truncated\":true");
	CHECK_CONTAINS(j, "\"error_bytes\":2000004");
	CHECK_CONTAINS(j, "EEEE... (2000004 bytes)\"");
	CHECK(!strstr(j, "\xc3\xa9"));
	free(j);
	verdict_release(&v);
	sb_release(&e);
	hist_release(&h);
}

TEST_T(evidence_long_error_shortened_in_report, 20)
{
	const char *dir = test_tmpdir();
	struct sb e = SB_INIT, hist = SB_INIT;
	char *text;

	long_error(&e);
	sb_adds(&hist, "{\"time\":10,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"add\",\"value\":1}\n"
		"{\"time\":11,\"process\":0,\"type\":\"fail\",\"f\":\"add\","
		"\"value\":1,\"error\":\"");
	sb_adds(&hist, e.buf);
	sb_adds(&hist, "\"}\n{\"time\":20,\"process\":1,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null,\"final\":true}\n"
		"{\"time\":21,\"process\":1,\"type\":\"ok\",\"f\":\"read\","
		"\"value\":[1],\"final\":true}\n");
	rundir_set_run(dir, hist.buf, hist.len, NULL, 0);
	text = rundir_report(dir, "html");
	/* the story, the ops table and the timeline's data: shortened */
	CHECK(strlen(text) < 1000000);
	CHECK(!strstr(text, "TAIL"));
	CHECK_CONTAINS(text, "EEEE... (2000004 bytes)");
	free(text);
	sb_release(&e);
	sb_release(&hist);
}
