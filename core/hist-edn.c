/*
 * hist-edn.c - the Jepsen EDN history reader (EDN values are parsed by
 * hist-edn-value.c, which the jepsen.log reader shares).
 *
 * Input: a vector [...], a list (...) or a bare sequence of op maps
 * {:type :invoke, :f :write, :value 3, :process 0, :time 123, :index 0},
 * as Jepsen's history.edn and Knossos's test data hold them.  Op keys
 * read: :type :f :value :process (integer or :nemesis) :time :index
 * :error :node; others are ignored.  :type and :f values lose their ':'
 * ("invoke", "write"); every other keyword keeps it (":timed-out").
 * Tagged op maps (#jepsen.history.Op{...}) are read like plain maps.
 *
 * Values: as hist-edn-value.c reads them.
 *
 * If the input ends inside the last op and the file does not end with a
 * newline, the run crashed mid-write: the cut op is dropped with a
 * warning and the rest is used.  The same holds for a vector or list
 * whose closing bracket is missing.  Any other bad form is an error
 * naming FILE:LINE.  File order is history order; :time is advisory.
 */
#include "hist-internal.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

/* ===== Op maps ===== */

/* Text of a keyword, symbol or string without a leading ':'. */
static const char *plain_name(const struct history *h,
			      const struct hist_value *v)
{
	const char *s;

	if (v->kind != HV_STR)
		return NULL;
	s = hist_str(h, v->u.str);
	return *s == ':' ? s + 1 : s;
}

static int set_field(struct hist__edn *r, const char *k, size_t kn,
		     const struct hist_value *v, struct hist_event *e,
		     unsigned *have, uint32_t line)
{
	static const char *const types[] = { "invoke", "ok", "fail", "info" };
	struct history *h = r->h;
	const char *s;
	int i;

#define KEY(lit) (kn == sizeof(lit) - 1 && !memcmp(k, lit, kn))
	if (KEY(":type")) {
		s = plain_name(h, v);
		for (i = 0; s && i < 4; i++)
			if (!strcmp(s, types[i]))
				break;
		if (!s || i == 4) {
			r->line = line;
			return hist__edn_fail(r, ":type must be one of "
					      ":invoke :ok :fail :info");
		}
		e->type = (uint8_t)i;
		*have |= 1;
	} else if (KEY(":f")) {
		s = plain_name(h, v);
		if (!s || !*s) {
			r->line = line;
			return hist__edn_fail(r,
				":f must be a keyword or a string");
		}
		{	/* s lives in the string table, which may move */
			char *name = xstrdup(s);

			e->f = hist_intern(h, name, strlen(name));
			free(name);
		}
		*have |= 2;
	} else if (KEY(":process")) {
		s = plain_name(h, v);
		if (s && !strcmp(s, "nemesis")) {
			e->process = HIST_NEMESIS;
		} else if (v->kind == HV_INT && v->u.i >= 0 &&
			   v->u.i <= INT32_MAX) {
			e->process = (int32_t)v->u.i;
		} else {
			r->line = line;
			return hist__edn_fail(r, ":process must be an "
				"integer from 0 to 2147483647 or :nemesis");
		}
		*have |= 4;
	} else if (KEY(":value")) {
		e->value = *v;
	} else if (KEY(":time")) {
		if (v->kind == HV_INT)
			e->time = v->u.i;
	} else if (KEY(":index")) {
		if (v->kind == HV_INT && v->u.i >= 0) {
			r->op_index = (uint64_t)v->u.i;
			*have |= 8;
		}
	} else if (KEY(":error")) {
		struct sb text = SB_INIT;

		if (v->kind != HV_NIL) {
			hist__value_text(h, v, &text);
			e->error = hist_intern(h, text.buf, text.len);
		}
		sb_release(&text);
	} else if (KEY(":node")) {
		if (v->kind == HV_STR)
			e->node = v->u.str;
	}
#undef KEY
	return 0;
}

/* r->p is at '{': one op map into e. */
static int op_map(struct hist__edn *r, struct hist_event *e)
{
	uint32_t line = r->line;
	unsigned have = 0;
	int rc;

	hist__event_init(e);
	r->op_line = line;
	r->op_has_index = 0;
	r->p++;
	for (;;) {
		struct hist_value v;
		const char *k;
		size_t kn;

		rc = hist__edn_skip(r);
		if (rc < 0)
			return rc;
		if (r->p >= r->end)
			return hist__edn_fail_eof(r, "an operation map");
		if (*r->p == '}') {
			r->p++;
			break;
		}
		if (*r->p != ':')
			return hist__edn_fail(r, "operation map keys must be "
					      "keywords (:type, :f, ...)");
		k = r->p;
		kn = hist__edn_token_len(r);
		r->p += kn;
		rc = hist__edn_value(r, &v);
		if (rc < 0)
			return rc;
		rc = set_field(r, k, kn, &v, e, &have, line);
		if (rc < 0)
			return rc;
	}
	if ((have & 7) != 7) {
		r->line = line;
		return hist__edn_fail(r, "operation map without %s",
				      !(have & 1) ? ":type" :
				      !(have & 2) ? ":f" : ":process");
	}
	r->op_has_index = !!(have & 8);
	e->session = e->process;
	return 0;
}

int hist__read_edn(struct history *h, struct hist__src *src,
		   struct sb *warn, struct sb *err)
{
	struct hist__edn r = { h, src->name,
			       src->buf + hist__bom(src->buf, src->len),
			       src->buf + src->len, 1, 0, 0, err, 0, 0, 0 };
	int ends_nl = src->len && src->buf[src->len - 1] == '\n';
	char close = 0;
	int rc;

	rc = hist__edn_skip(&r);
	if (rc < 0)
		return rc;
	if (r.p < r.end && (*r.p == '[' || *r.p == '(')) {
		close = *r.p == '[' ? ']' : ')';
		r.p++;
	}
	for (;;) {
		struct hist_event e;
		size_t elen = err->len;
		uint32_t line;

		rc = hist__edn_skip(&r);
		if (rc < 0)
			return rc;
		if (r.p >= r.end) {
			if (close) {
				h->truncated_tail = 1;
				sb_addf(warn, "%s:%u: the history ends "
					"without its closing '%c' (cut "
					"short?); the rest is used",
					src->name, r.line, close);
			}
			return 0;
		}
		if (close && *r.p == close) {
			r.p++;
			rc = hist__edn_skip(&r);
			if (rc < 0)
				return rc;
			if (r.p < r.end)
				return hist__edn_fail(&r, "unexpected data "
					"after the closing '%c'", close);
			return 0;
		}
		/* #jepsen.history.Op{...} */
		if (*r.p == '#' && r.p + 1 < r.end &&
		    !hist__edn_is_term(r.p[1]) && r.p[1] != '{') {
			r.p++;
			r.p += hist__edn_token_len(&r);
			rc = hist__edn_skip(&r);
			if (rc < 0)
				return rc;
		}
		if (r.p >= r.end) {	/* a tag and nothing after it */
			if (!ends_nl)
				goto truncated;
			return hist__edn_fail_eof(&r, "an operation map");
		}
		if (*r.p != '{') {
			unsigned char c = (unsigned char)*r.p;

			if (c >= 0x20 && c < 0x7f)
				return hist__edn_fail(&r, "expected an "
					"operation map {...}, found '%c'", c);
			return hist__edn_fail(&r, "expected an operation map "
					      "{...}, found byte 0x%02x", c);
		}
		line = r.line;
		r.eof = 0;
		rc = op_map(&r, &e);
		if (rc < 0 && r.eof && !ends_nl) {
			/* not an error: the op was cut short */
			sb_setlen(err, elen);
			r.line = line;
			goto truncated;
		}
		if (rc < 0)
			return rc;
		{
			size_t i = hist_append(h, &e);

			hist_set_line(h, i, r.op_line);
			if (r.op_has_index)
				hist_set_index(h, i, r.op_index);
		}
		hist__src_consumed(src, (size_t)(r.p - src->buf));
		continue;
truncated:
		h->truncated_tail = 1;
		sb_addf(warn, "%s:%u: the last operation is cut short (the "
			"input ends inside it, without a final newline); "
			"ignored it, the rest of the history is used",
			src->name, r.line);
		return 0;
	}
}
