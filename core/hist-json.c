/*
 * hist-json.c - the JSON Lines reader: netsplit's own history format
 * (docs/history.md); and hist_value_summary(), the words a nemesis op's
 * JSON value carries.
 *
 * One event per line, parsed with jansson's json_loadb() and converted at
 * once into a struct hist_event; the jansson object is freed before the
 * next line, so memory is the events alone.  Blank lines are allowed.
 * Unknown fields are ignored (newer writers may add some).  Defaults:
 * index = position in the file, time = the previous event's time,
 * session = process, value = null.
 *
 * A last line without its newline that does not parse is the tail of a
 * run that crashed mid-write: it is dropped with a warning and the rest
 * is used.  Any other bad line is an error naming FILE:LINE.
 */
#include "hist-internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MAX_DEPTH 64

static int json_value(struct history *h, const json_t *j,
		      struct hist_value *out, int depth)
{
	size_t i, n;
	uint64_t off;

	memset(out, 0, sizeof(*out));
	switch (json_typeof(j)) {
	case JSON_NULL:
		out->kind = HV_NIL;
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		out->kind = HV_BOOL;
		out->u.i = json_is_true(j);
		return 0;
	case JSON_INTEGER:
		out->kind = HV_INT;
		out->u.i = json_integer_value(j);
		return 0;
	case JSON_STRING:
		out->kind = HV_STR;
		out->u.str = hist_intern(h, json_string_value(j),
					 json_string_length(j));
		return 0;
	case JSON_ARRAY:
		if (depth >= MAX_DEPTH)
			return -1;
		n = json_array_size(j);
		off = hist_alloc_vals(h, n);
		for (i = 0; i < n; i++) {
			struct hist_value v;

			if (json_value(h, json_array_get(j, i), &v,
				       depth + 1) < 0)
				return -1;
			h->vals[off + i] = v;	/* vals may have moved */
		}
		out->kind = HV_LIST;
		out->n = (uint32_t)n;
		out->u.off = off;
		return 0;
	default: {
		char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
					JSON_ENCODE_ANY);

		if (!s)
			return -1;
		out->kind = HV_RAW;
		out->u.str = hist_intern(h, s, strlen(s));
		free(s);
		return 0;
	}
	}
}

int hist_value_from_json(struct history *h, const struct json_t *j,
			 struct hist_value *out)
{
	return json_value(h, j, out, 0) < 0 ? -NS_EINPUT : 0;
}

static int bad(struct sb *err, const struct hist__src *src, uint32_t line,
	       const char *field, const char *want)
{
	sb_addf(err, "%s:%u: '%s' must be %s", src->name, line, field, want);
	return -NS_EINPUT;
}

static int parse_type(const char *s, uint8_t *type)
{
	static const char *const names[] = { "invoke", "ok", "fail", "info" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*type = (uint8_t)i;
			return 0;
		}
	return -1;
}

/* Convert one parsed line into e; returns 0 or -NS_EINPUT. */
static int event_from(struct history *h, const struct hist__src *src,
		      uint32_t line, json_t *obj, struct hist_event *e,
		      uint64_t *index, int64_t *last_time, struct sb *err)
{
	const char *k;
	json_t *v;
	int have = 0;	/* 1 process, 2 type, 4 f, 8 time, 16 index */

	if (!json_is_object(obj)) {
		sb_addf(err, "%s:%u: expected one JSON object per line",
			src->name, line);
		return -NS_EINPUT;
	}
	hist__event_init(e);
	json_object_foreach(obj, k, v) {
		if (!strcmp(k, "index")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return bad(err, src, line, k,
					   "a non-negative integer");
			*index = (uint64_t)json_integer_value(v);
			have |= 16;
		} else if (!strcmp(k, "time")) {
			if (!json_is_integer(v))
				return bad(err, src, line, k,
					   "an integer (nanoseconds)");
			e->time = json_integer_value(v);
			have |= 8;
		} else if (!strcmp(k, "process")) {
			if (json_is_string(v) &&
			    !strcmp(json_string_value(v), "nemesis"))
				e->process = HIST_NEMESIS;
			else if (json_is_integer(v) &&
				 json_integer_value(v) >= 0 &&
				 json_integer_value(v) <= INT32_MAX)
				e->process = (int32_t)json_integer_value(v);
			else
				return bad(err, src, line, k,
					   "an integer from 0 to 2147483647 "
					   "or \"nemesis\"");
			have |= 1;
		} else if (!strcmp(k, "type")) {
			if (!json_is_string(v) ||
			    parse_type(json_string_value(v), &e->type) < 0)
				return bad(err, src, line, k,
					   "one of \"invoke\", \"ok\", "
					   "\"fail\", \"info\"");
			have |= 2;
		} else if (!strcmp(k, "f")) {
			if (!json_is_string(v) || !json_string_length(v))
				return bad(err, src, line, k,
					   "a non-empty string");
			e->f = hist_intern(h, json_string_value(v),
					   json_string_length(v));
			have |= 4;
		} else if (!strcmp(k, "value")) {
			if (json_value(h, v, &e->value, 0) < 0)
				return bad(err, src, line, k,
					   "a value nested less than 64 "
					   "deep");
		} else if (!strcmp(k, "key")) {
			char num[32];

			if (json_is_string(v)) {
				e->key = hist_intern(h, json_string_value(v),
						     json_string_length(v));
			} else if (json_is_integer(v)) {
				snprintf(num, sizeof(num),
					 "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
				e->key = hist_intern(h, num, strlen(num));
			} else {
				return bad(err, src, line, k,
					   "a string or an integer");
			}
			e->flags |= HIST_F_KEY;
		} else if (!strcmp(k, "session")) {
			if (!json_is_integer(v) ||
			    !hist_id_ok(json_integer_value(v)))
				return bad(err, src, line, k,
					   "a 32-bit integer");
			e->session = (int32_t)json_integer_value(v);
			e->flags |= HIST_F_SESSION;
		} else if (!strcmp(k, "node")) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v))
				return bad(err, src, line, k, "a string");
			e->node = hist_intern(h, json_string_value(v),
					      json_string_length(v));
		} else if (!strcmp(k, "version")) {
			if (json_is_null(v))
				continue;
			if (!json_is_integer(v))
				return bad(err, src, line, k, "an integer");
			e->version = json_integer_value(v);
			e->flags |= HIST_F_VERSION;
		} else if (!strcmp(k, "final")) {
			if (!json_is_boolean(v))
				return bad(err, src, line, k,
					   "true or false");
			if (json_is_true(v))
				e->flags |= HIST_F_FINAL;
		} else if (!strcmp(k, "error")) {
			char *s;

			if (json_is_null(v))
				continue;
			if (json_is_string(v)) {
				e->error = hist_intern(h, json_string_value(v),
						       json_string_length(v));
				continue;
			}
			s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
					  JSON_ENCODE_ANY);
			if (s)
				e->error = hist_intern(h, s, strlen(s));
			free(s);
		}
	}
	if ((have & 7) != 7) {
		sb_addf(err, "%s:%u: missing field '%s'", src->name, line,
			!(have & 1) ? "process" : !(have & 2) ? "type" : "f");
		return -NS_EINPUT;
	}
	if (!(have & 8))
		e->time = *last_time;
	*last_time = e->time;
	if (!(have & 16))
		*index = h->n;
	if (!(e->flags & HIST_F_SESSION))
		e->session = e->process;
	return 0;
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n')
			return 0;
	return 1;
}

int hist__read_json(struct history *h, struct hist__src *src,
		    struct sb *warn, struct sb *err)
{
	const char *buf = src->buf;
	size_t pos = hist__bom(buf, src->len), len = src->len;
	uint32_t line = 0;
	int64_t last_time = 0;

	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		struct hist_event e;
		json_error_t jerr;
		json_t *obj;
		uint64_t index = 0;
		size_t i;
		int rc;

		line++;
		pos += n + (nl ? 1 : 0);
		if (blank(s, n))
			continue;
		obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &jerr);
		if (!obj) {
			/* Cut by a crash: no newline after it, or nothing
			   after it but the blank padding the controller's
			   writer grows its file by, and padding in it (the
			   writer copies a line's first byte last). */
			if (!nl || (blank(buf + pos, len - pos) &&
				    ((n && (s[0] == ' ' || s[n - 1] == ' ')) ||
				     (pos < len && buf[pos] == ' ')))) {
				h->truncated_tail = 1;
				sb_addf(warn, "%s:%u: last line is cut short "
					"(%s and not valid JSON: %s); "
					"ignored it, the rest of the history "
					"is used", src->name, line,
					nl ? "only blank space after it" :
					"no newline at the end", jerr.text);
				break;
			}
			sb_addf(err, "%s:%u: invalid JSON at column %d: %s",
				src->name, line, jerr.column, jerr.text);
			return -NS_EINPUT;
		}
		rc = event_from(h, src, line, obj, &e, &index, &last_time,
				err);
		json_decref(obj);
		if (rc < 0)
			return rc;
		i = hist_append(h, &e);
		hist_set_line(h, i, line);
		hist_set_index(h, i, index);
		hist__src_consumed(src, pos);
	}
	return 0;
}

int hist_value_summary(const struct history *h, const struct hist_value *v,
		       struct sb *out)
{
	json_t *j, *s;
	int found;

	if (v->kind != HV_RAW)
		return 0;
	j = json_loads(hist_str(h, v->u.str), 0, NULL);
	s = json_object_get(j, "summary");
	found = json_is_string(s);
	if (found)
		hist_str_show(json_string_value(s), out);
	json_decref(j);
	return found;
}
