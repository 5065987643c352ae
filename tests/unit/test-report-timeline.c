/*
 * test-report-timeline.c - the geometry of report.html's timeline
 * (reports/timeline.c): each op's bar lies in the lane labelled with its
 * process; a long value is shown shortened, in the bars and their data;
 * a large valid history is drawn around its faults' starts and ends.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "reports/html-internal.h"

/* The number after `key` in s (s must hold it). */
static long num_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	CHECK(p != NULL);
	return strtol(p + strlen(key), NULL, 10);
}

TEST(report_timeline_bar_in_its_process_lane)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT, out = SB_INIT;
	json_t *data = json_object();
	uint32_t anom[8] = { 0 };
	int anchored = 0;
	long label_top[8];
	const char *p;
	size_t bars = 0, i;

	/* processes 0, 1, 2 and 7, each with a session of its own (not the
	   process id), interleaved */
	test_write_file(dir, "history.jsonl",
		"{\"time\":0,\"process\":2,\"session\":12,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"time\":10,\"process\":0,\"session\":10,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n"
		"{\"time\":20,\"process\":7,\"session\":17,\"type\":\"invoke\","
		"\"f\":\"read\",\"value\":null}\n"
		"{\"time\":30,\"process\":1,\"session\":11,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":2}\n"
		"{\"time\":40,\"process\":2,\"session\":12,\"type\":\"ok\","
		"\"f\":\"write\",\"value\":1}\n"
		"{\"time\":50,\"process\":0,\"session\":10,\"type\":\"ok\","
		"\"f\":\"read\",\"value\":1}\n"
		"{\"time\":60,\"process\":7,\"session\":17,\"type\":\"ok\","
		"\"f\":\"read\",\"value\":1}\n"
		"{\"time\":70,\"process\":1,\"session\":11,\"type\":\"info\","
		"\"f\":\"write\",\"value\":2}\n");
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_EQ_INT(r.nops, 4);
	report__timeline(&r, anom, 0, &anchored, &out, data);

	/* lane labels p0, p1, p2, p7, one each */
	for (i = 0; i < 8; i++) {
		char want[32];

		label_top[i] = -1;
		snprintf(want, sizeof(want), "\">p%zu</div>", i);
		p = strstr(out.buf, want);
		if (!p)
			continue;
		while (p > out.buf && strncmp(p, "top:", 4))
			p--;
		label_top[i] = num_after(p, "top:");
	}
	CHECK(label_top[0] >= 0 && label_top[1] >= 0 && label_top[2] >= 0 &&
	      label_top[7] >= 0);
	CHECK(label_top[0] < label_top[1] && label_top[1] < label_top[2] &&
	      label_top[2] < label_top[7]);

	/* every bar 2 px below its process's label */
	for (p = strstr(out.buf, "<div class=\"op "); p;
	     p = strstr(p + 1, "<div class=\"op ")) {
		long idx = num_after(p, "data-i=\"");
		long top = num_after(p, "top:");
		int32_t proc;

		CHECK(idx >= 0 && (size_t)idx < r.hist.n);
		proc = r.hist.ev[idx].process;
		CHECK(proc >= 0 && proc < 8);
		if (top != label_top[proc] + 2)
			test_fail_(__FILE__, __LINE__, "op %ld of p%d at top "
				   "%ld, its lane at %ld", idx, (int)proc,
				   top, label_top[proc]);
		bars++;
	}
	CHECK_EQ_INT(bars, 4);
	json_decref(data);
	report_run_release(&r);
	sb_release(&out);
	sb_release(&err);
}

TEST(report_timeline_long_value_shortened)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT, out = SB_INIT, hist = SB_INIT;
	json_t *data = json_object();
	uint32_t anom[2] = { 0 };
	int anchored = 0;
	char *js;
	size_t i;

	/* a 3000-byte value ending in a marker (and a multibyte character
	   at the cut) */
	sb_adds(&hist, "{\"time\":0,\"process\":0,\"type\":\"invoke\","
		"\"f\":\"write\",\"value\":\"");
	for (i = 0; i < 199; i++)
		sb_addc(&hist, 'a');
	sb_adds(&hist, "\xc3\xa9");
	for (i = 0; i < 2800; i++)
		sb_addc(&hist, 'b');
	sb_adds(&hist, "TAIL\"}\n{\"time\":10,\"process\":0,\"type\":\"ok\","
		"\"f\":\"write\",\"value\":null}\n");
	{
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/history.jsonl", dir);
		f = fopen(path, "w");
		CHECK(f != NULL);
		fputs(hist.buf, f);
		fclose(f);
	}
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	report__timeline(&r, anom, 0, &anchored, &out, data);
	js = json_dumps(data, JSON_COMPACT);
	CHECK(!strstr(out.buf, "TAIL"));
	CHECK(!strstr(js, "TAIL"));
	/* whole characters: the 2-byte one that crosses byte 200 goes */
	CHECK_CONTAINS(out.buf, "aaaa... (3005 bytes)");
	CHECK(!strstr(out.buf, "\xc3\xa9"));
	CHECK_CONTAINS(js, "aaaa... (3005 bytes)");
	free(js);
	json_decref(data);
	report_run_release(&r);
	sb_release(&out);
	sb_release(&hist);
	sb_release(&err);
}

/* 4,000 ops, no anomaly, a partition from op 1,500 to op 2,500: the
   windows drawn are the events around its start and its end, not the
   first ops, and the page says so. */
TEST(report_timeline_valid_large_history_shows_its_faults)
{
	const char *dir = test_tmpdir();
	struct report_run r;
	struct sb err = SB_INIT, out = SB_INIT, hist = SB_INIT;
	json_t *data = json_object();
	uint32_t *anom;
	int anchored = 0, i;
	size_t start = 0, stop = 0, pos = 0, bars = 0, off = 0;
	const char *p;

	for (i = 0; i < 4000; i++) {
		if (i == 1500 || i == 2500) {
			const char *f = i == 1500 ? "start-partition" :
				"stop-partition";

			sb_addf(&hist, "{\"time\":%d,\"process\":\"nemesis\","
				"\"type\":\"invoke\",\"f\":\"%s\","
				"\"value\":null}\n{\"time\":%d,\"process\":"
				"\"nemesis\",\"type\":\"info\",\"f\":\"%s\","
				"\"value\":null}\n", i * 100, f, i * 100 + 1,
				f);
			if (i == 1500)
				start = pos;
			else
				stop = pos;
			pos += 2;
		}
		sb_addf(&hist, "{\"time\":%d,\"process\":%d,\"type\":"
			"\"invoke\",\"f\":\"write\",\"value\":%d}\n"
			"{\"time\":%d,\"process\":%d,\"type\":\"ok\","
			"\"f\":\"write\",\"value\":%d}\n", i * 100 + 2,
			i % 5, i, i * 100 + 50, i % 5, i);
		pos += 2;
	}
	test_write_file(dir, "history.jsonl", hist.buf);
	CHECK_EQ_INT(report_run_load(&r, dir, &err), 0);
	CHECK_EQ_INT(r.nops, 4000);
	CHECK_EQ_INT(r.nfaults, 1);
	anom = calloc(r.nops, sizeof(*anom));
	report__timeline(&r, anom, 0, &anchored, &out, data);
	free(anom);
	CHECK_CONTAINS(out.buf, "windows around each fault's start and end");
	for (p = strstr(out.buf, "<div class=\"op "); p;
	     p = strstr(p + 1, "<div class=\"op ")) {
		long idx = num_after(p, "data-i=\"");

		if (!((size_t)idx + 70 >= start && (size_t)idx <= start + 70) &&
		    !((size_t)idx + 70 >= stop && (size_t)idx <= stop + 70))
			off++;
		bars++;
	}
	CHECK(bars >= 40);
	CHECK_EQ_INT(off, 0);
	json_decref(data);
	report_run_release(&r);
	sb_release(&out);
	sb_release(&err);
	sb_release(&hist);
}
