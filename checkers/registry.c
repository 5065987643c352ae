/*
 * registry.c - every checker netsplit knows, by name.
 *
 * To add a checker: write checkers/NAME.c defining a
 * `const struct checker_type checker_NAME`, declare it below and add it to
 * checker_types[].
 */
#include "checker.h"

#include <string.h>

extern const struct checker_type checker_linearizable;
extern const struct checker_type checker_set;
extern const struct checker_type checker_session;
extern const struct checker_type checker_stale;

const struct checker_type *const checker_types[] = {
	&checker_linearizable,
	&checker_set,
	&checker_session,
	&checker_stale,
	NULL
};

const struct checker_type *checker_find(const char *name)
{
	size_t i;

	for (i = 0; checker_types[i]; i++)
		if (!strcmp(checker_types[i]->name, name))
			return checker_types[i];
	return NULL;
}
