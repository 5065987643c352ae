/*
 * err.c - names, texts and exit codes of the NS_E* error codes.
 */
#include "err.h"

static const struct {
	const char *name;
	int exit_code;
	const char *text;
} table[NS_ERRNO_MAX] = {
	[0] = { "OK", 0, "success" },
#define XX(name, code, text) [NS_##name##_I] = { #name, code, text },
	NS_ERRNO_MAP(XX)
#undef XX
};

static int idx(int err)
{
	int i = err < 0 ? -err : err;

	return i < NS_ERRNO_MAX ? i : NS_EINTERNAL_I;
}

const char *ns_strerror(int err)
{
	return table[idx(err)].text;
}

const char *ns_errname(int err)
{
	return table[idx(err)].name;
}

int ns_exit_code(int err)
{
	return err ? table[idx(err)].exit_code : 0;
}

static int exit_rank(int code)
{
	switch (code) {
	case NS_EXIT_VALID: return 0;
	case NS_EXIT_UNKNOWN: return 1;
	case NS_EXIT_ANOMALY: return 2;
	default: return 3;
	}
}

int ns_exit_worse(int a, int b)
{
	return exit_rank(b) > exit_rank(a) ? b : a;
}

const char *ns_exit_verdict(int code)
{
	return code == NS_EXIT_VALID ? "valid" :
	       code == NS_EXIT_ANOMALY ? "invalid" : "unknown";
}
