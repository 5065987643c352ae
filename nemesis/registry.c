/*
 * registry.c - every fault kind netsplit knows, by name.
 *
 * To add one: write nemesis/NAME.c defining a `const struct nemesis_type
 * nemesis_NAME` (opening with the remote commands it runs and how they
 * are undone), declare it in nemesis-internal.h, add it below and to
 * docs/nemesis.md.
 */
#include <string.h>

#include "nemesis-internal.h"

const struct nemesis_type *const nemesis_types[] = {
	&nemesis_partition,
	&nemesis_loss,
	&nemesis_kill,
	&nemesis_pause,
	&nemesis_clock,
	&nemesis_replica_lag,
	NULL,
};

const struct nemesis_type *nemesis_type_find(const char *name)
{
	size_t i;

	for (i = 0; nemesis_types[i]; i++)
		if (!strcmp(nemesis_types[i]->name, name))
			return nemesis_types[i];
	return NULL;
}
