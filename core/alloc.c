/*
 * alloc.c - allocation wrappers that exit on failure (see alloc.h).
 */
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "err.h"

static void oom(size_t n)
{
	fprintf(stderr, "netsplit: out of memory (allocating %zu bytes)\n", n);
	exit(NS_EXIT_HARNESS);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

#define HUGE_PAGE ((uintptr_t)2 << 20)

/*
 * Advise the whole 2 MiB pages inside [p, p + n) as huge pages.  The
 * block stays an ordinary malloc() block (no alignment of its own, so
 * the allocator reuses freed memory as before); only its first and last
 * partial 2 MiB go on with 4 kB pages.  Advice only: where the system
 * has no transparent huge pages the memory works the same.
 */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t b = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);

	if (n >= LARGE_ALLOC_MIN && b > a)
		madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}

void *xmalloc_large(size_t n)
{
	void *p = xmalloc(n);

	advise_huge(p, n);
	return p;
}

void *xrealloc_large(void *p, size_t n)
{
	/* realloc() moves a block this large with mremap(2), copying
	   nothing (the recorder grows its history under its lock); the
	   advice then covers the pages not yet touched */
	p = xrealloc(p, n);
	advise_huge(p, n);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}
