/*
 * msg.c - errorf() and warnf(), the messages cmd_*() print (cmd.h).
 *
 * Kept apart from main.c so that the unit-test binary, which links every
 * harness file but main.c, can link the commands too.
 */
#include <stdarg.h>
#include <stdio.h>

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
