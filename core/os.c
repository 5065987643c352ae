/*
 * os.c - a monotonic clock in seconds and `mkdir -p` (see os.h).
 */
#include "os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "err.h"

double ns_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mkdir(p), where an existing directory counts as success. */
static int mkdir_one(const char *p, mode_t mode)
{
	struct stat st;

	if (!mkdir(p, mode))
		return 0;
	if (errno != EEXIST)
		return -1;
	if (!stat(p, &st) && S_ISDIR(st.st_mode))
		return 0;
	errno = ENOTDIR;
	return -1;
}

int ns_mkdir_p(const char *path, mode_t mode, struct sb *err)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	/* On failure p is cut at the component that failed. */
	for (s = *p ? p + 1 : p; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		rc = mkdir_one(p, mode);
		if (rc)
			break;
		*s = '/';
	}
	if (!rc)
		rc = mkdir_one(p, mode);
	if (rc)
		sb_addf(err, "cannot create directory '%s': %s", p,
			strerror(errno));
	free(p);
	return rc ? -NS_EWRITE : 0;
}
