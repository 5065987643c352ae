/*
 * http-pattern.c - the http and exec workloads' answer patterns
 * (http-internal.h): pcre2 patterns compiled once (JIT when the library
 * has it), matched with one thread's match data, and the ok / fail /
 * info classification of an answer, with a read's value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "err.h"
#include "workloads/etcd-internal.h"
#include "workloads/http-internal.h"

int http__pat_compile(struct http__pat *p, const char *src,
		      const struct config *c, const char *where,
		      const char *key, int need_value, struct sb *err)
{
	int code;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[256];
	int n;

	memset(p, 0, sizeof(*p));
	p->code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, 0,
				&code, &off, NULL);
	if (!p->code) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		sb_addf(err, "%s: '%s.%s': %s at offset %zu",
			c->path ? c->path : "config", where, key,
			(const char *)msg, (size_t)off);
		return -NS_ECONFIG;
	}
	/* JIT is an optimisation: without it pcre2_match() interprets. */
	(void)pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE);
	pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &p->groups);
	if (need_value) {
		n = pcre2_substring_number_from_name(p->code,
						     (PCRE2_SPTR)"value");
		if (n < 0) {
			sb_addf(err, "%s: '%s.%s': no group named 'value' "
				"(write (?<value>...) around the value)",
				c->path ? c->path : "config", where, key);
			http__pat_release(p);
			return -NS_ECONFIG;
		}
		p->value_group = (uint32_t)n;
	}
	return 0;
}

void http__pat_release(struct http__pat *p)
{
	pcre2_code_free(p->code);
	memset(p, 0, sizeof(*p));
}

int http__match_init(struct http__match *m, uint32_t groups)
{
	memset(m, 0, sizeof(*m));
	m->md = pcre2_match_data_create(groups + 1, NULL);
	m->mc = pcre2_match_context_create(NULL);
	/* NULL without JIT support: pcre2_match() then interprets and
	   needs no JIT stack */
	m->js = pcre2_jit_stack_create(HTTP__JIT_STACK_MIN,
				       HTTP__JIT_STACK_MAX, NULL);
	if (!m->md || !m->mc) {
		http__match_release(m);
		return -NS_EINTERNAL;
	}
	if (m->js)
		pcre2_jit_stack_assign(m->mc, NULL, m->js);
	return 0;
}

void http__match_release(struct http__match *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mc);
	pcre2_jit_stack_free(m->js);
	memset(m, 0, sizeof(*m));
}

int http__pat_match(const struct http__pat *p, const char *subj,
		    size_t len, struct http__match *m)
{
	int rc;

	if (!p->code)
		return 0;
	rc = pcre2_match(p->code, (PCRE2_SPTR)subj, len, 0, 0, m->md,
			 m->mc);
	/* >= 0: a match (0: the ovector was too small for every group) */
	if (rc >= 0)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : rc;
}

/* "PATTERN_KIND pattern could not be matched: pcre2's message" into
   op->error, and the op not judged: a read fail, a write or cas info. */
static void not_judged(struct workload_op *op, int is_read,
		       const char *which, int rc)
{
	PCRE2_UCHAR msg[160];

	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", rc);
	json_decref(op->out);
	op->out = NULL;
	op->type = is_read ? HIST_FAIL : HIST_INFO;
	workload_op_errorf(op, "answer not judged: %s could not be "
			   "matched: %s", which, (const char *)msg);
}

/* The first line of the subject's answer part, cut, for op->error. */
static void answer_head(const char *subj, size_t len, char *out,
			size_t max)
{
	size_t i, n = 0;
	int lines = 0;

	for (i = 0; i < len && n + 1 < max && lines < 2; i++) {
		if (subj[i] == '\n' || subj[i] == '\r') {
			if (subj[i] == '\n')
				lines++;
			if (n && out[n - 1] != ' ')
				out[n++] = ' ';
			continue;
		}
		out[n++] = (unsigned char)subj[i] < 0x20 ? '?' : subj[i];
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* A value that is not an integer, when the register generator writes
   only integers: a read that saw nothing the checker can compare. */
static void not_integer(const struct http__opdef *d, struct workload_op *op)
{
	const char *v = json_string_value(op->out);

	op->type = HIST_FAIL;
	workload_op_errorf(op, "value is not an integer: '%.40s' (the "
			   "registers hold integers%s)", v ? v : "",
			   d->b64 ? "" : "; a base64 answer needs "
			   "value_encoding: \"base64\"");
	json_decref(op->out);
	op->out = NULL;
}

/* A read's value from the value group: an integer when it is decimal. */
static void read_value(const struct http__opdef *d, struct http__match *m,
		       struct workload_op *op, const char *subj, size_t len)
{
	PCRE2_SIZE *ov;
	uint32_t g = d->value.value_group;
	struct sb dec = SB_INIT;
	size_t s, e;
	int rc;

	op->out = NULL;
	rc = pcre2_match(d->value.code, (PCRE2_SPTR)subj, len, 0, 0, m->md,
			 m->mc);
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
		not_judged(op, 1, "value_pattern", rc);
		return;
	}
	if (rc == PCRE2_ERROR_NOMATCH) {
		/* an ok answer that is not what the pattern describes (a
		   200 {"error":...}, a CLI's warning, a misspelt field): a
		   read that saw nothing known, never nil */
		char head[96];

		answer_head(subj, len, head, sizeof(head));
		op->type = HIST_FAIL;
		workload_op_errorf(op, "value_pattern did not match: %s",
				   head);
		return;
	}
	if (rc <= (int)g) {
		/* the group did not take part: nil */
		op->out = json_null();
		return;
	}
	ov = pcre2_get_ovector_pointer(m->md);
	s = ov[2 * g];
	e = ov[2 * g + 1];
	if (s == PCRE2_UNSET || e < s) {
		op->out = json_null();
		return;
	}
	if (!d->b64) {
		op->out = etcd__value_json(subj + s, e - s);
		if (!json_is_integer(op->out))
			not_integer(d, op);
		return;
	}
	{
		char *tmp = xmalloc(e - s + 1);

		memcpy(tmp, subj + s, e - s);
		tmp[e - s] = '\0';
		if (etcd__b64dec(&dec, tmp) < 0) {
			op->type = HIST_FAIL;
			workload_op_errorf(op, "value is not base64: '%.40s'",
					   tmp);
		} else {
			op->out = etcd__value_json(dec.buf, dec.len);
			if (!json_is_integer(op->out))
				not_integer(d, op);
		}
		free(tmp);
	}
	sb_release(&dec);
}

void http__classify(const struct http__opdef *d, struct http__match *m,
		    struct workload_op *op, const struct http__answer *a)
{
	int is_read = !strcmp(op->f, "read");
	char head[96];
	int rc;

	json_decref(op->out);
	op->out = NULL;
	op->has_version = 0;
	op->error[0] = '\0';
	op->unreachable = !a->answered && !a->sent;
	if (!a->answered) {
		/* No answer: a read changed nothing; a write that left may
		   have. */
		op->type = (is_read || !a->sent) ? HIST_FAIL : HIST_INFO;
		workload_op_errorf(op, "%s%s", a->failure && a->failure[0] ?
				   a->failure : "no answer",
				   a->sent ? "" : " (not sent)");
		return;
	}
	rc = http__pat_match(&d->ok, a->subject, a->len, m);
	if (rc < 0) {
		not_judged(op, is_read, "ok_pattern", rc);
		return;
	}
	if (rc) {
		op->type = HIST_OK;
		if (is_read)
			read_value(d, m, op, a->subject, a->len);
		return;
	}
	answer_head(a->subject, a->len, head, sizeof(head));
	rc = http__pat_match(&d->fail, a->subject, a->len, m);
	if (rc < 0) {
		not_judged(op, is_read, "fail_pattern", rc);
		return;
	}
	if (rc) {
		op->type = HIST_FAIL;
		workload_op_errorf(op, "failed: %s", head);
		return;
	}
	/* Neither: nothing known about a write; a read changed nothing. */
	op->type = is_read ? HIST_FAIL : HIST_INFO;
	workload_op_errorf(op, "unrecognised answer: %s", head);
}
