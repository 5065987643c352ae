/*
 * options.c - the nemesis options (struct nemesis_opts): defaults, the
 * config's `nemesis` section, and the faults list ("partition-ring,kill":
 * each item a kind of the registry, or <kind>-<shape>; checked against
 * the kinds and the cluster's size), which the set (set.c) walks to build
 * its entries.  No remote commands.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "err.h"
#include "nemesis-internal.h"

void nemesis_opts_init(struct nemesis_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->faults = xstrdup("partition");
	o->seed = 1;
	o->interval_s = 10;
	o->deadman_s = NEMESIS_DEADMAN_DEFAULT;
	o->iptables = xstrdup("auto");
	o->loss_probability = 0.3;
	o->clock_delta_ms = 10000;
	o->strobe_period_ms = 200;
}

void nemesis_opts_release(struct nemesis_opts *o)
{
	free(o->faults);
	free(o->iptables);
	o->faults = o->iptables = NULL;
}

/* Parse one item of a faults list: "partition", "partition-ring". */
static int parse_item(const char *item, const struct nemesis_type **tp,
		      const char **shape)
{
	size_t i, k, len;

	for (i = 0; nemesis_types[i]; i++) {
		const struct nemesis_type *t = nemesis_types[i];

		len = strlen(t->name);
		if (strncmp(item, t->name, len))
			continue;
		if (!item[len]) {
			*tp = t;
			*shape = NULL;
			return 0;
		}
		if (item[len] != '-' || !t->shapes)
			continue;
		for (k = 0; t->shapes[k]; k++)
			if (!strcmp(item + len + 1, t->shapes[k])) {
				*tp = t;
				*shape = t->shapes[k];
				return 0;
			}
	}
	return -1;
}

int nemesis__each_fault(const char *faults, struct sb *err,
			int (*fn)(void *ctx, const struct nemesis_type *t,
				  const char *shape),
			void *ctx)
{
	char *copy = xstrdup(faults), *p, *save = NULL;
	int rc = 0, n = 0;

	for (p = strtok_r(copy, ", ", &save); p;
	     p = strtok_r(NULL, ", ", &save)) {
		const struct nemesis_type *t;
		const char *shape;

		n++;
		if (parse_item(p, &t, &shape)) {
			size_t i;

			sb_addf(err, "'%s' is not a fault kind (kinds:", p);
			for (i = 0; nemesis_types[i]; i++)
				sb_addf(err, " %s", nemesis_types[i]->name);
			sb_adds(err, ", or <kind>-<shape>: see "
				"docs/nemesis.md)");
			rc = -NS_EUSAGE;
			break;
		}
		if (fn && (rc = fn(ctx, t, shape)))
			break;
	}
	if (!rc && !n) {
		sb_adds(err, "the faults list is empty");
		rc = -NS_EUSAGE;
	}
	free(copy);
	return rc;
}

int nemesis_check_faults(const char *faults, struct sb *err)
{
	return nemesis__each_fault(faults, err, NULL, NULL);
}

size_t nemesis__min_nodes(const struct nemesis_type *t, const char *shape)
{
	size_t k, m, least = (size_t)-1;

	if (!t->min_nodes)
		return 0;
	if (shape || !t->shapes)
		return t->min_nodes(shape);
	for (k = 0; t->shapes[k]; k++)
		if ((m = t->min_nodes(t->shapes[k])) < least)
			least = m;
	return least == (size_t)-1 ? t->min_nodes(NULL) : least;
}

struct fit_ctx {
	size_t nnodes;
	struct sb *err;
};

static int check_fit(void *ctx, const struct nemesis_type *t,
		     const char *shape)
{
	struct fit_ctx *fc = ctx;
	size_t need = nemesis__min_nodes(t, shape);

	if (fc->nnodes >= need)
		return 0;
	sb_addf(fc->err, "'%s%s%s' needs at least %zu nodes, not %zu",
		t->name, shape ? "-" : "", shape ? shape : "", need,
		fc->nnodes);
	return -NS_EUSAGE;
}

int nemesis_check_fit(const char *faults, size_t nnodes, struct sb *err)
{
	struct fit_ctx fc = { nnodes, err };

	return nemesis__each_fault(faults, err, check_fit, &fc);
}

int nemesis_opts_from_config(struct nemesis_opts *o, const struct config *c,
			     struct sb *err)
{
	static const char *const keys[] = {
		"faults", "interval_s", "seed", "deadman_s", "iptables",
		"loss_probability", "clock_delta_ms", "strobe_period_ms",
		"order", NULL,
	};
	json_t *sec = c->nemesis, *v;
	long long ll;
	const char *s;
	int rc;

	if ((rc = cfg_check_keys(c, sec, "nemesis", keys, err)))
		return rc;
	v = json_object_get(sec, "faults");
	if (json_is_array(v)) {
		struct sb list = SB_INIT;
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (!json_is_string(e)) {
				sb_addf(err, "%s: 'nemesis.faults[%zu]': "
					"expected a string", c->path, i);
				sb_release(&list);
				return -NS_ECONFIG;
			}
			sb_addf(&list, "%s%s", i ? "," : "",
				json_string_value(e));
		}
		free(o->faults);
		o->faults = sb_detach(&list, NULL);
	} else if (v) {
		if ((rc = cfg_get_str(c, sec, "nemesis", "faults", &s, err)))
			return rc;
		free(o->faults);
		o->faults = xstrdup(s);
	}
	/* "none", "" or [] mean: no faults at all. */
	if (!strcmp(o->faults, "none"))
		o->faults[0] = '\0';
	if (v && o->faults[0] &&
	    ((rc = nemesis_check_faults(o->faults, err)) ||
	     (c->nnodes && (rc = nemesis_check_fit(o->faults, c->nnodes,
						   err))))) {
		sb_adds(err, " (");
		cfg_subject(err, c, "nemesis", "faults");
		sb_adds(err, ")");
		return -NS_ECONFIG;
	}
#define INT_KEY(key, field, min)                                          \
	do {                                                              \
		ll = o->field;                                            \
		if ((rc = cfg_get_int(c, sec, "nemesis", key, &ll, err))) \
			return rc;                                        \
		if (ll < (min)) {                                         \
			cfg_subject(err, c, "nemesis", key);              \
			sb_addf(err, ": must be >= %d", (int)(min));      \
			return -NS_ECONFIG;                               \
		}                                                         \
		o->field = ll;                                            \
	} while (0)
	INT_KEY("interval_s", interval_s, 1);
	INT_KEY("deadman_s", deadman_s, 2);
	INT_KEY("clock_delta_ms", clock_delta_ms, 1);
	INT_KEY("strobe_period_ms", strobe_period_ms, 10);
#undef INT_KEY
	ll = (long long)o->seed;
	if ((rc = cfg_get_int(c, sec, "nemesis", "seed", &ll, err)))
		return rc;
	if (ll < 0) {
		cfg_subject(err, c, "nemesis", "seed");
		sb_adds(err, ": must be 0..9223372036854775807");
		return -NS_ECONFIG;
	}
	o->seed = (uint64_t)ll;
	if ((rc = cfg_get_double(c, sec, "nemesis", "loss_probability",
				 &o->loss_probability, err)))
		return rc;
	if (o->loss_probability <= 0 || o->loss_probability > 1) {
		sb_addf(err, "%s: 'nemesis.loss_probability': must be in "
			"(0, 1]", c->path);
		return -NS_ECONFIG;
	}
	s = NULL;
	if ((rc = cfg_get_str(c, sec, "nemesis", "order", &s, err)))
		return rc;
	if (s && strcmp(s, "random") && strcmp(s, "cycle")) {
		sb_addf(err, "%s: 'nemesis.order': expected \"random\" or "
			"\"cycle\"", c->path);
		return -NS_ECONFIG;
	}
	if (s)
		o->cycle = !strcmp(s, "cycle");
	s = NULL;
	if ((rc = cfg_get_str(c, sec, "nemesis", "iptables", &s, err)))
		return rc;
	if (s) {
		if (strcmp(s, "auto") && strcmp(s, "iptables") &&
		    strcmp(s, "iptables-legacy") && strcmp(s, "iptables-nft")) {
			sb_addf(err, "%s: 'nemesis.iptables': expected "
				"\"auto\", \"iptables\", \"iptables-legacy\" "
				"or \"iptables-nft\"", c->path);
			return -NS_ECONFIG;
		}
		free(o->iptables);
		o->iptables = xstrdup(s);
	}
	/*
	 * The default faults list must fit the cluster too: a default
	 * `partition` on one node would otherwise fail at the first fault,
	 * with the database set up and the clients running.  Checked last,
	 * so an error in another key is named first.
	 */
	if (!v && o->faults[0] && c->nnodes &&
	    nemesis_check_fit(o->faults, c->nnodes, err)) {
		sb_adds(err, ": it is the default of ");
		cfg_subject(err, c, "nemesis", "faults");
		sb_addf(err, "; set %s%s to faults that fit (e.g. kill) "
			"or to none", o->faults_flag ? "that key or " : "it",
			o->faults_flag ? o->faults_flag : "");
		return -NS_ECONFIG;
	}
	return 0;
}
