/*
 * sb.h - a growable string buffer.
 *
 * Invariants (as in git's strbuf):
 *   - buf is never NULL: SB_INIT points it at a shared empty string, so an
 *     empty sb can be printed without a check;
 *   - buf[len] == '\0' always;
 *   - alloc == 0 means buf is the shared empty string and owns nothing.
 *
 * A buffer with max > 0 is capped (like curl's dynbuf "toobig"): bytes past
 * max are dropped and truncated is set.  Use it for anything a remote side
 * controls (command output, node logs).
 *
 * Allocation failure exits (see alloc.h); appends return nothing.
 *
 * Ownership: the sb owns buf.  sb_detach() hands it to the caller, who
 * free()s it; sb_release() frees it and re-initialises the sb.
 */
#ifndef NS_SB_H
#define NS_SB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sb {
	size_t alloc, len;
	size_t max;		/* 0: unlimited */
	int truncated;		/* set when bytes past max were dropped */
	char *buf;
};

extern char sb_empty_[];
#define SB_INIT { 0, 0, 0, 0, sb_empty_ }

void sb_init(struct sb *sb, size_t hint);
void sb_grow(struct sb *sb, size_t extra);
void sb_add(struct sb *sb, const void *data, size_t n);
void sb_adds(struct sb *sb, const char *s);
void sb_addc(struct sb *sb, char c);
void sb_addf(struct sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Append v in decimal (what "%" PRId64 / PRIu64 print, without printf). */
void sb_addi64(struct sb *sb, int64_t v);
void sb_addu64(struct sb *sb, uint64_t v);
void sb_setlen(struct sb *sb, size_t len);
void sb_reset(struct sb *sb);		/* len = 0, keeps the memory */
void sb_release(struct sb *sb);		/* frees, back to SB_INIT */
char *sb_detach(struct sb *sb, size_t *len);	/* caller frees */

/* Append s quoted for a POSIX shell: one literal word, whatever it holds. */
void sb_add_shquoted(struct sb *sb, const char *s);
/* Append s escaped for a JSON string (without the surrounding quotes). */
void sb_add_json_escaped(struct sb *sb, const char *s, size_t n);

/*
 * The noun that agrees with a count: one when n is 1, else many.  Every
 * count in a text people read takes its noun from here:
 *   sb_addf(sb, "%zu %s", n, sb_plural(n, "operation", "operations"));
 */
static inline const char *sb_plural(unsigned long long n, const char *one,
				    const char *many)
{
	return n == 1 ? one : many;
}

#endif
