/*
 * hist-src.c - what every history reader uses while it reads: a fresh
 * event, and giving a mapped file's pages back once they are read.
 * hist-read.c opens the source and calls the readers; the readers call
 * these, so neither depends on the other.
 */
#include "hist-internal.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DROP_CHUNK ((size_t)16 << 20)	/* give back pages every 16 MB */

void hist__event_init(struct hist_event *e)
{
	memset(e, 0, sizeof(*e));
	e->pair = -1;
	e->value.kind = HV_NIL;
}

void hist__src_consumed(struct hist__src *src, size_t off)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t upto;

	if (!src->mapped || off < src->dropped + DROP_CHUNK)
		return;
	upto = off & ~((size_t)pg - 1);
	if (upto <= src->dropped)
		return;
	madvise((char *)src->buf + src->dropped, upto - src->dropped,
		MADV_DONTNEED);
	src->dropped = upto;
}
