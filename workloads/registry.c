/*
 * registry.c - every database plug-in and workload netsplit knows, by name.
 *
 * To add one: write workloads/NAME.c defining a `const struct db_type
 * db_NAME` or `const struct workload_type workload_NAME`, declare it below
 * and add it to the array.
 */
#include <string.h>

#include "db.h"
#include "workloads/workload.h"

extern const struct db_type db_etcd;
extern const struct db_type db_external;
extern const struct db_type db_fake;
extern const struct db_type db_postgres;
extern const struct db_type db_redis;
extern const struct workload_type workload_exec;
extern const struct workload_type workload_http;
extern const struct workload_type workload_register;
extern const struct workload_type workload_session;
extern const struct workload_type workload_set;

const struct db_type *const db_types[] = {
	&db_etcd,
	&db_external,
	&db_fake,
	&db_postgres,
	&db_redis,
	NULL
};

const struct workload_type *const workload_types[] = {
	&workload_register,
	&workload_session,
	&workload_set,
	&workload_http,
	&workload_exec,
	NULL
};

const struct db_type *db_find(const char *name)
{
	size_t i;

	for (i = 0; db_types[i]; i++)
		if (!strcmp(db_types[i]->name, name))
			return db_types[i];
	return NULL;
}

const struct workload_type *workload_find(const char *name)
{
	size_t i;

	for (i = 0; workload_types[i]; i++)
		if (!strcmp(workload_types[i]->name, name))
			return workload_types[i];
	return NULL;
}
