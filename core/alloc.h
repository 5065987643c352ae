/*
 * alloc.h - allocation that never returns NULL.
 *
 * netsplit treats running out of memory as fatal: the x* wrappers print a
 * message and exit with the harness-error code.  Code that must survive a
 * memory budget (the checkers) keeps its own accounting and reports
 * "unknown" long before malloc fails.
 *
 * Ownership: every pointer returned is the caller's to free().
 */
#ifndef NS_ALLOC_H
#define NS_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/*
 * Large arrays (a checker's per-element records: tens of megabytes,
 * each page written once).  From LARGE_ALLOC_MIN bytes up, the whole
 * 2 MiB pages of the block are advised as transparent huge pages
 * (madvise(MADV_HUGEPAGE), where the system allows it), so that filling
 * it costs one page fault per 2 MiB instead of one per 4 KiB: page
 * faults were most of a set check of a million elements.  Smaller
 * requests are plain xmalloc().  The pointer is the caller's
 * to free() or xrealloc() like any other.
 */
#define LARGE_ALLOC_MIN ((size_t)4 << 20)
void *xmalloc_large(size_t n);
/* xrealloc() with the same advice: for an array that grows large while
   it is filled (a run's history, event by event). */
void *xrealloc_large(void *p, size_t n);
char *xstrndup(const char *s, size_t n);

/* Grow *p (an array of *alloc elements of size sz) to hold at least need. */
#define ALLOC_GROW(p, need, alloc)                                        \
	do {                                                              \
		if ((size_t)(need) > (alloc)) {                           \
			size_t alloc_grow_n_ = (alloc) ? (alloc) * 2 : 16;  \
			while (alloc_grow_n_ < (size_t)(need))            \
				alloc_grow_n_ *= 2;                       \
			(p) = xrealloc((p), alloc_grow_n_ * sizeof(*(p)));  \
			(alloc) = alloc_grow_n_;                          \
		}                                                         \
	} while (0)

#endif
