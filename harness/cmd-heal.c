/*
 * cmd-heal.c - `netsplit heal`: undo every fault journaled under the
 * store directory and not recorded as healed (after a controller crash,
 * a kill -9, a lost connection).
 *
 *   netsplit heal [--config C] [--store DIR]
 *
 * Exit 0 when nothing is left in force (also when there was nothing to
 * heal), 4 when a fault could not be healed (node unreachable, undo
 * failed: the message names the node and the fault), 3 on usage/config
 * errors.
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "config.h"
#include "err.h"
#include "nemesis/nemesis.h"
#include "sb.h"

static const char heal_usage[] =
	"usage: netsplit heal [--config FILE] [--store DIR]\n"
	"\n"
	"Heals every fault journaled under the store directory (default:\n"
	"the config's store_dir) that is not recorded as healed: removes\n"
	"netsplit's iptables chains, resumes paused processes, resets clock\n"
	"offsets, stops dead-man switches.  Exit 0 when nothing is left,\n"
	"4 when something could not be healed, 3 on usage/config errors.\n";

int cmd_heal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = "netsplit.json", *store = NULL;
	struct nemesis_heal_stats st;
	struct config cfg;
	struct sb err = SB_INIT, log = SB_INIT;
	int opt, rc, status;

	while ((opt = getopt_long(argc, argv, "+c:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			store = optarg;
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
	rc = nemesis_heal_store(&cfg, store ? store : cfg.store_dir, &st,
				&log, &err);
	fputs(log.buf, stderr);
	if (rc || st.failed) {
		errorf("%s", err.buf);
		errorf("%zu of %zu fault(s) could not be healed: run 'netsplit "
		       "heal' again once the nodes are reachable", st.failed,
		       st.faults);
		status = NS_EXIT_HARNESS;
	} else {
		if (err.len)
			warnf("%s", err.buf);
		printf("healed %zu fault(s) from %zu journal(s)\n", st.healed,
		       st.journals);
		status = NS_EXIT_VALID;
	}
	sb_release(&err);
	sb_release(&log);
	config_release(&cfg);
	return status;
}
