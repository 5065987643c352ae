#!/usr/bin/env bash
# check-e2e.sh - end-to-end `netsplit check` of a large generated history.
#
# Generates a register history of NS_BENCH_E2E_OPS ops (default
# 10,000,000 = 20,000,000 events: 100 sessions, 1,000 keys, versions, 10%
# stale reads) as JSON Lines under /tmp, runs
#   netsplit check --checker session,stale FILE
# under /usr/bin/time and prints wall time, events/s and MB/s through the
# whole command, and its peak RSS (target: < 2 GB).  Then, to say where
# the time goes, build/bench-checkers --phases times reading and each
# checker separately, in one process, on a smaller file of the same shape
# (NS_BENCH_E2E_PHASE_OPS, default 1,000,000 ops; every phase is linear,
# so the shares carry over; 0 skips it).  Files are deleted afterwards.
set -u
cd "$(dirname "$0")/../.." || exit 4
ops=${NS_BENCH_E2E_OPS:-10000000}
tmp=$(mktemp -d /tmp/ns-bench-e2e.XXXXXX) || exit 4
trap 'rm -rf "$tmp"' EXIT
file=$tmp/history.jsonl

start=$(date +%s.%N)
build/bench-checkers --gen "$file" "$ops" || exit 4
gen=$(echo "$(date +%s.%N) - $start" | bc)
bytes=$(stat -c %s "$file")
events=$((ops * 2))
printf 'generated %d ops (%d events, %.0f MB) in %.1f s\n' "$ops" \
	"$events" "$(echo "$bytes / 1048576" | bc -l)" "$gen"

/usr/bin/time -f '%e %M %U %S' -o "$tmp/time" \
	./netsplit check --checker session,stale "$file" >"$tmp/out" 2>&1
rc=$?
# (GNU time writes "Command exited with non-zero status N" first.)
read -r wall rss_kb user sys < <(tail -n 1 "$tmp/time")
printf 'netsplit check --checker session,stale: exit %d, %.1f s wall ' \
	"$rc" "$wall"
printf '(%.1f s user, %.1f s sys), %.2f M events/s, %.0f MB/s, ' \
	"$user" "$sys" "$(echo "$events / $wall / 1000000" | bc -l)" \
	"$(echo "$bytes / 1048576 / $wall" | bc -l)"
printf 'peak RSS %.0f MB (target < 2048 MB)\n' \
	"$(echo "$rss_kb / 1024" | bc -l)"
grep -E '^(session|stale):' "$tmp/out" | cut -c1-160
# exit 1: the history has stale reads on purpose (anything else is wrong)
[ "$rc" = 1 ] || { echo "unexpected exit $rc"; cat "$tmp/out" | head; exit 1; }

rm -f "$file"
pops=${NS_BENCH_E2E_PHASE_OPS:-1000000}
if [ "$pops" != 0 ]; then
	echo "where the time goes ($pops ops, one process):"
	build/bench-checkers --gen "$file" "$pops" || exit 4
	build/bench-checkers --phases "$file" session,stale | sed 's/^/  /'
fi
