/*
 * os.h - the few operating-system helpers every part needs: a monotonic
 * clock in seconds and `mkdir -p`.
 *
 * Ownership: nothing is allocated for the caller; ns_mkdir_p() borrows
 * the path and appends its message to the caller's err.
 */
#ifndef NS_OS_H
#define NS_OS_H

#include <sys/types.h>

#include "sb.h"

/* CLOCK_MONOTONIC in seconds: for deadlines and durations, never dates. */
double ns_mono_s(void);

/*
 * Create path and every missing parent (mode, less the umask); an
 * existing directory is fine.  Returns 0, or -NS_EWRITE with "cannot
 * create directory 'PATH': REASON" (PATH: the component that failed)
 * in err.
 */
int ns_mkdir_p(const char *path, mode_t mode, struct sb *err);

#endif
