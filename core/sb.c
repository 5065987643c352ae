/*
 * sb.c - growable string buffer (see sb.h for the invariants).
 */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

char sb_empty_[1];

void sb_init(struct sb *sb, size_t hint)
{
	sb->alloc = sb->len = sb->max = 0;
	sb->truncated = 0;
	sb->buf = sb_empty_;
	if (hint)
		sb_grow(sb, hint);
}

void sb_grow(struct sb *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	size_t n;

	if (need <= sb->alloc)
		return;
	n = sb->alloc ? sb->alloc : 64;
	while (n < need)
		n *= 2;
	if (sb->alloc) {
		sb->buf = xrealloc(sb->buf, n);
	} else {
		sb->buf = xmalloc(n);
		sb->buf[0] = '\0';
	}
	sb->alloc = n;
}

void sb_add(struct sb *sb, const void *data, size_t n)
{
	if (sb->max && sb->len + n > sb->max) {
		n = sb->max > sb->len ? sb->max - sb->len : 0;
		sb->truncated = 1;
	}
	if (!n)
		return;
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct sb *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* u in decimal, with a '-' before it when neg. */
static void add_decimal(struct sb *sb, uint64_t u, int neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		*--p = '-';
	sb_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

void sb_addi64(struct sb *sb, int64_t v)
{
	/* the magnitude as unsigned, so INT64_MIN does not overflow */
	add_decimal(sb, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void sb_addu64(struct sb *sb, uint64_t v)
{
	add_decimal(sb, v, 0);
}

void sb_addc(struct sb *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0)
		return;
	if (sb->max) {
		char *tmp = xmalloc((size_t)n + 1);

		vsnprintf(tmp, (size_t)n + 1, fmt, ap);
		sb_add(sb, tmp, (size_t)n);
		free(tmp);
		return;
	}
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_setlen(struct sb *sb, size_t len)
{
	if (!sb->alloc)
		return;
	if (len < sb->len)
		sb->len = len;
	sb->buf[sb->len] = '\0';
}

void sb_reset(struct sb *sb)
{
	sb->truncated = 0;
	sb_setlen(sb, 0);
}

void sb_release(struct sb *sb)
{
	size_t max = sb->max;

	if (sb->alloc)
		free(sb->buf);
	sb_init(sb, 0);
	sb->max = max;
}

char *sb_detach(struct sb *sb, size_t *len)
{
	char *p;

	if (len)
		*len = sb->len;
	p = sb->alloc ? sb->buf : xstrdup("");
	sb_init(sb, 0);
	return p;
}

void sb_add_shquoted(struct sb *sb, const char *s)
{
	sb_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *s);
	}
	sb_addc(sb, '\'');
}

void sb_add_json_escaped(struct sb *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;	/* s[run..i) needs no escape */

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_add(sb, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		default: {
			char u[7] = { '\\', 'u', '0', '0',
				hex[c >> 4], hex[c & 15], 0 };

			sb_adds(sb, u);
		}
		}
	}
	sb_add(sb, s + run, n - run);
}
