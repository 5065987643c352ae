/*
 * ssh-result.c - command results and the messages that name them: the
 * result buffers (capped), "n3: 'cmd' exited 1: <stderr tail>", and the
 * command as shown in messages (words, quoted where needed).
 *
 * Ownership: see transport.h (results own their buffers).
 */
#define _GNU_SOURCE
#include "transport.h"

#include <stdio.h>
#include <string.h>

#include "ssh-internal.h"

void ssh__msg_start(struct sb *err)
{
	if (err->len && err->buf[err->len - 1] != '\n')
		sb_addc(err, '\n');
}

void transport_result_init(struct transport_result *r)
{
	memset(r, 0, sizeof(*r));
	sb_init(&r->out, 0);
	sb_init(&r->err, 0);
	r->out.max = r->err.max = TRANSPORT_DEFAULT_CAP;
	r->exit_status = -1;
}

void transport_result_release(struct transport_result *r)
{
	sb_release(&r->out);
	sb_release(&r->err);
}

int transport_result_ok(const struct transport_result *r)
{
	return !r->timed_out && !r->signal[0] && r->exit_status == 0;
}

static int needs_quotes(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-_./=:,+@%", *s)))
			return 1;
	return 0;
}

/* The command as shown in messages: words, quoted where needed. */
void ssh__add_shown(struct sb *sb, const char *const argv[])
{
	size_t i, start = sb->len;

	for (i = 0; argv[i]; i++) {
		if (i)
			sb_addc(sb, ' ');
		if (needs_quotes(argv[i]))
			sb_add_shquoted(sb, argv[i]);
		else
			sb_adds(sb, argv[i]);
		if (sb->len - start > 200) {
			sb_setlen(sb, start + 200);
			sb_adds(sb, "...");
			break;
		}
	}
}

void ssh__add_subject(struct sb *sb, const char *shown)
{
	if (strchr(shown, '\''))
		sb_adds(sb, shown);
	else
		sb_addf(sb, "'%s'", shown);
}

void transport_add_subject(struct sb *sb, const char *const argv[])
{
	struct sb shown = SB_INIT;

	ssh__add_shown(&shown, argv);
	ssh__add_subject(sb, shown.buf);
	sb_release(&shown);
}

/* The last line(s) of s, at most max bytes, without trailing newlines. */
static void add_tail(struct sb *sb, const struct sb *s, size_t max)
{
	size_t end = s->len, start;

	while (end && (s->buf[end - 1] == '\n' || s->buf[end - 1] == '\r'))
		end--;
	start = end > max ? end - max : 0;
	if (start)
		sb_adds(sb, "...");
	sb_add(sb, s->buf + start, end - start);
}

void transport_result_error(const struct transport_result *r,
			    const char *node, const char *const argv[],
			    struct sb *err)
{
	ssh__msg_start(err);
	sb_addf(err, "%s: ", node);
	transport_add_subject(err, argv);
	sb_addc(err, ' ');
	if (r->timed_out)
		sb_adds(err, "timed out");
	else if (r->signal[0])
		sb_addf(err, "killed by signal %s", r->signal);
	else
		sb_addf(err, "exited %d", r->exit_status);
	if (r->err.len) {
		sb_adds(err, ": ");
		add_tail(err, &r->err, 300);
	} else if (r->out.len && !r->timed_out) {
		sb_adds(err, ": ");
		add_tail(err, &r->out, 300);
	}
}
