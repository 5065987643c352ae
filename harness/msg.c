/*
 * msg.c - errorf() and warnf(), the messages cmd_*() print (cmd.h).
 *
 * Kept apart from main.c so that the unit-test binary, which links every
 * harness file but main.c, can link the commands too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

void errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("netsplit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void warnf(const char *fmt, ...)
{
	va_list ap;

	fputs("netsplit: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void warn_lines(const struct sb *lines)
{
	const char *p = lines->buf, *end = lines->buf + lines->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n)
			warnf("%.*s", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}
