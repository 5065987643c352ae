/*
 * main.c - netsplit's entry point: argv -> command table -> cmd_*().
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "err.h"

#ifndef NETSPLIT_VERSION
#define NETSPLIT_VERSION "0.1"
#endif

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd_struct commands[] = {
	{ "check", cmd_check, "check a recorded history offline" },
	{ "compare", cmd_compare, "compare two runs (verdicts, latency, "
	  "throughput)" },
	{ "exec", cmd_exec, "run a command on the nodes over SSH" },
	{ "heal", cmd_heal, "undo every fault netsplit left in force" },
	{ "help", cmd_help, "show this help" },
	{ "nemesis", cmd_nemesis, "inject faults by hand (tests, bench)" },
	{ "report", cmd_report, "write report.html, junit.xml, summary.md "
	  "for a run" },
	{ "run", cmd_run, "run a test: database, clients, faults, checkers" },
	{ "version", cmd_version, "print the version" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: netsplit <command> [options] [args]\n\n"
		"commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'netsplit <command> --help' describes a command.\n"
		"exit codes: 0 valid, 1 anomaly found, 2 unknown, "
		"3 usage/config/input error, 4 harness error\n");
}

static const struct cmd_struct *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* `netsplit help` lists the commands; `netsplit help CMD` is CMD --help. */
static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int cmd_help(int argc, char **argv)
{
	const struct cmd_struct *c;
	char *args[3];

	if (argc < 2 || is_help(argv[1])) {
		usage(stdout);
		return NS_EXIT_VALID;
	}
	c = find_command(argv[1]);
	if (!c || argc > 2) {
		errorf("help: '%s' is not a netsplit command; see "
		       "'netsplit help'", argv[1]);
		return NS_EXIT_USAGE;
	}
	if (c->fn == cmd_help) {
		usage(stdout);
		return NS_EXIT_VALID;
	}
	args[0] = argv[1];
	args[1] = "--help";
	args[2] = NULL;
	return c->fn(2, args);
}

int cmd_version(int argc, char **argv)
{
	if (argc == 2 && is_help(argv[1])) {
		printf("usage: netsplit version\n\n"
		       "Print netsplit's version (also 'netsplit "
		       "--version').\n");
		return NS_EXIT_VALID;
	}
	if (argc > 1) {
		errorf("version: unexpected argument '%s'", argv[1]);
		return NS_EXIT_USAGE;
	}
	printf("netsplit %s\n", NETSPLIT_VERSION);
	return NS_EXIT_VALID;
}

int main(int argc, char **argv)
{
	const struct cmd_struct *c;

	if (argc < 2) {
		usage(stderr);
		return NS_EXIT_USAGE;
	}
	if (is_help(argv[1]))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	c = find_command(argv[1]);
	if (c)
		return c->fn(argc - 1, argv + 1);
	errorf("'%s' is not a netsplit command; see 'netsplit help'",
	       argv[1]);
	return NS_EXIT_USAGE;
}
