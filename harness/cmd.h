/*
 * cmd.h - the subcommands of netsplit.
 *
 * How to add a command:
 *   1. write harness/cmd-NAME.c with `int cmd_NAME(int argc, char **argv)`,
 *      parsing its own flags with getopt_long (argv[0] is "NAME");
 *   2. declare it below;
 *   3. add a row to commands[] in main.c (kept in alphabetical order);
 *   4. describe it in docs/netsplit.1 and README.md.
 * A cmd_* function returns a process exit code (enum ns_exit in err.h);
 * it is the only kind of function besides main() that prints to the user.
 *
 * Ownership: a cmd_* function borrows argv and releases everything it
 * allocates before it returns; errorf() and warnf() keep nothing.
 */
#ifndef NS_CMD_H
#define NS_CMD_H

#include "sb.h"

int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_heal(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_nemesis(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* Print "netsplit: <message>" to stderr (errorf) or a warning (warnf). */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Each non-empty line of lines as a warning. */
void warn_lines(const struct sb *lines);

#endif
