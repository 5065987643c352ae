#!/usr/bin/env bash
# t0002-cli-help.sh - every command `netsplit help` lists takes --help
# (exit 0, a usage line on stdout), and `netsplit help CMD` says the same.
# No cluster.
. "$(dirname "$0")/lib.sh"
cd "$NS_ROOT" || exit 4

NS=${NS_BIN:-$NS_ROOT/netsplit}
cmds=$("$NS" help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ -n "$cmds" ] || die_test help-lists-commands "no command in 'netsplit help'"
for c in $cmds; do
	out=$("$NS" "$c" --help 2>&1)
	check_eq "$c --help exits 0" 0 "$?"
	check_contains "$c --help prints its usage" "usage: netsplit" "$out"
	out=$("$NS" help "$c" 2>&1)
	check_eq "help $c exits 0" 0 "$?"
	check_contains "help $c prints its usage" "usage: netsplit" "$out"
done
"$NS" version --bogus >/dev/null 2>&1
check_eq "version with an unknown argument exits 3" 3 "$?"
