/*
 * db-util.c - small pieces the database plug-ins share (db-util.h).
 */
#include "workloads/db-util.h"

#include <stdio.h>
#include <stdlib.h>

#include "sb.h"

const char *db__cfgname(const struct config *c)
{
	return c->path ? c->path : "config";
}

int db__is_ipv4(const char *h)
{
	unsigned a, b, cc, dd;
	char rest;

	return sscanf(h, "%u.%u.%u.%u%c", &a, &b, &cc, &dd, &rest) == 4;
}

char *db__path_in(const char *dir, const char *name)
{
	struct sb s = SB_INIT;

	sb_addf(&s, "%s/%s", dir, name);
	return sb_detach(&s, NULL);
}

void db__strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
