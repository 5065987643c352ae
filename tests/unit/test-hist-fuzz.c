/*
 * Robustness of the history readers: thousands of random mutations of
 * valid histories in each format must each give either a history whose
 * pairs are consistent, or an input error whose message names the
 * input -- never a crash (these tests also run under ASan/UBSan).
 */
#include "test.h"

#include "err.h"
#include "history.h"

static const char *const samples[] = {
	"{\"index\":0,\"time\":1,\"process\":0,\"type\":\"invoke\","
	"\"f\":\"cas\",\"value\":[1,2],\"key\":\"k\"}\n"
	"{\"index\":1,\"time\":2,\"process\":\"nemesis\",\"type\":\"info\","
	"\"f\":\"start\",\"value\":{\"a\":[1,\"x\\u00e9\"]}}\n"
	"{\"index\":2,\"time\":3,\"process\":0,\"type\":\"info\","
	"\"f\":\"cas\",\"value\":[1,2],\"key\":\"k\",\"error\":\"t\"}\n"
	"{\"index\":3,\"time\":4,\"process\":5,\"session\":0,"
	"\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"final\":true}\n"
	"{\"index\":4,\"time\":5,\"process\":5,\"session\":0,\"type\":\"ok\","
	"\"f\":\"read\",\"value\":2,\"node\":\"n1\",\"version\":3}\n",

	"; comment\n[{:type :invoke, :f :write, :value [1 3], :process 0}\n"
	" {:type :ok, :f :write, :value [1 3], :process 0, :time 5}\n"
	" {:type :info, :f :start, :value {:n1 #{:n2}}, :process :nemesis}\n"
	" #_{:skipped 1}\n"
	" {:type :invoke, :f :cas, :value [2 [\"a\\\"b\" \\c]], :process 1}\n"
	" {:type :info, :f :cas, :value [2 [\"a\\\"b\" \\c]], :process 1,"
	" :error :timed-out}]\n",

	"INFO  jepsen.core - hello\n"
	"INFO  jepsen.util - 3\t:invoke\t:write\t4\n"
	"INFO  jepsen.util - 3\t:ok\t:write\t4\n"
	"INFO  jepsen.util - :nemesis\t:info\t:start\t\"Cut {:n1 #{:n2}}\"\n"
	"INFO  jepsen.util - 4\t:invoke\t:cas\t[4 1]\n"
	"INFO  jepsen.util - 4\t:info\t:cas\t[4 1]\t:timed-out\n",
};

static const char interesting[] = "{}[]()\":,\\#;_\n\t :0123456789-.eNMx";

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static void mutate(struct sb *b, unsigned *seed)
{
	int k, n = 1 + (int)(rnd(seed) % 4);

	for (k = 0; k < n && b->len; k++) {
		size_t at = rnd(seed) % b->len;

		switch (rnd(seed) % 5) {
		case 0:	/* replace */
			b->buf[at] = interesting[rnd(seed) %
						 (sizeof(interesting) - 1)];
			break;
		case 1:	/* delete */
			memmove(b->buf + at, b->buf + at + 1, b->len - at - 1);
			sb_setlen(b, b->len - 1);
			break;
		case 2:	/* truncate */
			sb_setlen(b, at);
			break;
		case 3:	/* random byte */
			b->buf[at] = (char)(rnd(seed) & 0xff);
			break;
		default: { /* duplicate a piece */
			size_t n2 = rnd(seed) % 40, i;
			struct sb tmp = SB_INIT;

			if (at + n2 > b->len)
				n2 = b->len - at;
			sb_add(&tmp, b->buf, at + n2);
			for (i = at; i < b->len; i++)
				sb_addc(&tmp, b->buf[i]);
			sb_reset(b);
			sb_add(b, tmp.buf, tmp.len);
			sb_release(&tmp);
		}
		}
	}
}

static void check_one(const char *buf, size_t len, enum hist_format fmt)
{
	struct history h;
	struct sb warn = SB_INIT, err = SB_INIT;
	size_t i;
	int rc;

	hist_init(&h);
	rc = hist_read_mem(&h, "f", buf, len, fmt, &warn, &err);
	if (rc == 0) {
		CHECK(h.n > 0);
		CHECK_EQ_STR(err.buf, "");
		for (i = 0; i < h.n; i++) {
			int64_t p = h.ev[i].pair;

			CHECK(p >= -1 && p < (int64_t)h.n);
			if (p >= 0)
				CHECK_EQ_INT(h.ev[p].pair, (int64_t)i);
		}
	} else {
		if (rc != -NS_EINPUT)
			test_fail_(__FILE__, __LINE__, "rc %d: %s", rc,
				   err.buf);
		CHECK(!strncmp(err.buf, "f:", 2));
	}
	hist_release(&h);
	sb_release(&warn);
	sb_release(&err);
}

TEST_T(hist_readers_survive_mutated_input, 30)
{
	unsigned seed = 12345;
	size_t s;
	int iter;

	for (s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		check_one(samples[s], strlen(samples[s]), HIST_FMT_AUTO);
		for (iter = 0; iter < 1500; iter++) {
			struct sb b = SB_INIT;

			sb_adds(&b, samples[s]);
			mutate(&b, &seed);
			check_one(b.buf, b.len, HIST_FMT_AUTO);
			check_one(b.buf, b.len,
				  (enum hist_format)(1 + iter % 3));
			sb_release(&b);
		}
	}
}
