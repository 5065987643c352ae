/*
 * err.h - error codes and exit codes, one table each.
 *
 * Convention: a function that can fail returns 0 or -NS_E* (a negative
 * number: the NS_E* constants are positive)
 * and appends a message naming its subject to a `struct sb *err` the
 * caller passes (never clearing what is already there).  Only main() and
 * the cmd_*() functions print messages or exit.
 *
 * Each error code maps to one process exit code (ns_exit_code()), so the
 * CLI's exit status follows from the first error that stopped it.
 * NS_EIO is an input file that cannot be read (the user's: exit 3);
 * NS_EREAD is a local file the harness itself cannot read (a file the
 * transport uploads: exit 4); NS_EWRITE is a file the harness itself
 * cannot write (run directory, history, journal, reports, a file the
 * transport downloads: exit 4).
 *
 * Ownership: nothing here allocates; ns_strerror() and ns_errname()
 * return static strings the caller must not free.  The message of an
 * error belongs to the caller's `struct sb *err`.
 */
#ifndef NS_ERR_H
#define NS_ERR_H

/* Exit codes, everywhere (README keeps this table). */
enum ns_exit {
	NS_EXIT_VALID = 0,	/* every checker said valid */
	NS_EXIT_ANOMALY = 1,	/* some checker found an anomaly */
	NS_EXIT_UNKNOWN = 2,	/* a checker hit its time or memory budget */
	NS_EXIT_USAGE = 3,	/* usage, config or input error */
	NS_EXIT_HARNESS = 4,	/* SSH, set-up or cluster error */
};

/*       name          exit code           text */
#define NS_ERRNO_MAP(XX)                                                   \
	XX(EUSAGE,     NS_EXIT_USAGE,   "usage error")                     \
	XX(ECONFIG,    NS_EXIT_USAGE,   "configuration error")             \
	XX(EINPUT,     NS_EXIT_USAGE,   "bad input")                       \
	XX(EIO,        NS_EXIT_USAGE,   "i/o error")                       \
	XX(EREAD,      NS_EXIT_HARNESS, "read failed")                     \
	XX(EWRITE,     NS_EXIT_HARNESS, "write failed")                    \
	XX(EBUDGET,    NS_EXIT_UNKNOWN, "budget exhausted")                \
	XX(ECONNECT,   NS_EXIT_HARNESS, "cannot connect")                  \
	XX(EAUTH,      NS_EXIT_HARNESS, "authentication failed")           \
	XX(EHOSTKEY,   NS_EXIT_HARNESS, "host key verification failed")    \
	XX(ESSH,       NS_EXIT_HARNESS, "ssh error")                       \
	XX(ETIMEDOUT,  NS_EXIT_HARNESS, "timed out")                       \
	XX(EREMOTE,    NS_EXIT_HARNESS, "remote command failed")           \
	XX(ESETUP,     NS_EXIT_HARNESS, "set-up failed")                   \
	XX(EINTERNAL,  NS_EXIT_HARNESS, "internal error")

enum ns_errno {
	NS_OK = 0,
#define XX(name, code, text) NS_##name##_I,
	NS_ERRNO_MAP(XX)
#undef XX
	NS_ERRNO_MAX
};

/* Positive constants: functions return their negation, -NS_EINPUT. */
#define XX(name, code, text) enum { NS_##name = NS_##name##_I };
NS_ERRNO_MAP(XX)
#undef XX

const char *ns_strerror(int err);	/* err is negative */
const char *ns_errname(int err);	/* "ETIMEDOUT" */
int ns_exit_code(int err);		/* 0 for 0 */
/*
 * The more severe of two exit codes, for commands that run several
 * checks: valid < unknown < anomaly < usage/harness error (of two errors,
 * the first stays).
 */
int ns_exit_worse(int a, int b);
/*
 * The verdict word for a verdict's exit code, as results.json and
 * `check --json` write it: "valid" (0), "invalid" (1), anything else
 * "unknown".
 */
const char *ns_exit_verdict(int code);

#endif
