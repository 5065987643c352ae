/*
 * cmd-heal.c - `netsplit heal`: undo every fault journaled under the
 * store directory and not recorded as healed (after a controller crash,
 * a kill -9, a lost connection).
 *
 *   netsplit heal [--config C] [--store DIR] [--force]
 *
 * A run whose controller (or `netsplit nemesis`) still lives holds a lock
 * on its journal and heals its own faults: heal skips it, naming its run
 * directory, unless --force.
 * Killed members are restarted with the database plug-in the fault
 * record names (its settings from the config's db section).
 *
 * Exit 0 when nothing is left in force but the faults of live runs,
 * which their controllers heal (the summary counts the runs skipped;
 * also 0 when there was nothing to heal), 4 when a fault could not be healed (node unreachable, undo
 * failed, a killed member not restarted: the message names the node and
 * the fault, or a journal line that cannot be read: the harness's own
 * record, which may hide a fault still in force; file:line named), 3 on
 * usage/config errors.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "nemesis/nemesis.h"
#include "sb.h"
#include "workloads/workload.h"

static const char heal_usage[] =
	"usage: netsplit heal [--config FILE] [--store DIR] [--force]\n"
	"\n"
	"Heals every fault journaled under the store directory (default:\n"
	"the config's store_dir) that is not recorded as healed: removes\n"
	"netsplit's iptables chains, resumes paused processes, restarts\n"
	"killed members, resets clock offsets, stops dead-man switches.\n"
	"A run still in progress (its controller holds a lock on its\n"
	"journal and heals its own faults) is skipped, naming its run\n"
	"directory; --force heals it too.\n"
	"Exit 0 when nothing is left but live runs' faults (the summary\n"
	"counts them), 4 when something could not be healed\n"
	"or a journal line could not be read (the file and line are named;\n"
	"a torn last line is only a warning), 3 on usage/config errors.\n";

/* The database plug-in of type (NULL: the config's db.type), bound to t. */
static struct db *open_db(const char *type, struct transport *t, void *ctx,
			  struct sb *err)
{
	const struct config *c = ctx;
	const struct db_type *dt;
	struct db *d = NULL;

	if (!type)
		type = json_string_value(json_object_get(c->db, "type"));
	if (!type) {
		sb_addf(err, "the fault record names no database and %s has "
			"no 'db.type'", c->path);
		return NULL;
	}
	dt = db_find(type);
	if (!dt) {
		sb_addf(err, "unknown database plug-in '%s'", type);
		return NULL;
	}
	if (db_new(&d, dt, c, err))
		return NULL;
	db_bind(d, t);
	return d;
}

int cmd_heal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = "netsplit.json", *store = NULL;
	struct nemesis_heal_stats st;
	struct config cfg;
	struct nemesis_db_opener dbo = { open_db, &cfg };
	struct sb err = SB_INIT, log = SB_INIT;
	int opt, rc, status;
	unsigned flags = 0;

	while ((opt = getopt_long(argc, argv, "+c:s:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'f':
			flags |= NEMESIS_HEAL_FORCE;
			break;
		case 'h':
			fputs(heal_usage, stdout);
			return NS_EXIT_VALID;
		default:
			fputs(heal_usage, stderr);
			return NS_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		errorf("heal: unexpected argument '%s'", argv[optind]);
		return NS_EXIT_USAGE;
	}
	config_init(&cfg);
	if ((rc = config_load(&cfg, config_path, &err))) {
		errorf("%s", err.buf);
		sb_release(&err);
		config_release(&cfg);
		return NS_EXIT_USAGE;
	}
	rc = nemesis_heal_store(&cfg, store ? store : cfg.store_dir, &dbo,
				flags, &st, &log, &err);
	fputs(log.buf, stderr);
	if (rc || st.failed || st.bad_lines) {
		errorf("%s", err.buf);
		if (st.failed)
			errorf("%zu of %zu fault(s) could not be healed: run "
			       "'netsplit heal' again once the nodes are "
			       "reachable", st.failed, st.faults);
		if (st.bad_lines)
			errorf("%zu journal line(s) could not be read (above): "
			       "a fault they record may still be in force",
			       st.bad_lines);
		status = NS_EXIT_HARNESS;
	} else {
		if (err.len)
			warnf("%s", err.buf);
		printf("healed %zu fault(s) from %zu journal(s)", st.healed,
		       st.journals);
		if (st.live)
			printf("; skipped %zu live run(s): their controllers "
			       "heal their faults (--force heals them now)",
			       st.live);
		printf("\n");
		status = NS_EXIT_VALID;
	}
	sb_release(&err);
	sb_release(&log);
	config_release(&cfg);
	return status;
}
