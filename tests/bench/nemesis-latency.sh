#!/usr/bin/env bash
# tests/bench/nemesis-latency.sh - nemesis latency on a local 3-node
# cluster: time from a fault's scheduled start (nemesis_start_next) to the
# fault in force on all its targets (journal fsync'd, dead-man switches
# armed, every target's command returned), median and max, per fault kind,
# and the remote commands (round trips) each fault's start ran per target.
# Target: median <= 100 ms.  The machine's load average is printed with
# the figures: remote commands are process start-ups on the nodes, so a
# loaded machine stretches them.
set -u
cd "$(dirname "$0")/../.." || exit 4
NS_ROOT=$PWD
count=${NS_BENCH_NEMESIS_COUNT:-20}
dir=$(mktemp -d /tmp/ns-bench-nemesis.XXXXXX) || exit 4
cleanup() {
	[ -e "$dir/netsplit.json" ] &&
		./netsplit heal --config "$dir/netsplit.json" >/dev/null 2>&1
	scripts/cluster down --dir "$dir" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! scripts/cluster up --nodes 3 --dir "$dir" >"$dir.log" 2>&1; then
	echo "nemesis-latency: cluster up failed: $(tail -n 3 "$dir.log")"
	rm -f "$dir.log"
	exit 4
fi
rm -f "$dir.log"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for faults in partition loss pause kill; do
	db=
	case $faults in pause|kill) db="--db fake" ;; esac
	line=$(./netsplit nemesis --config "$dir/netsplit.json" $db \
		--faults "$faults" --count "$count" --hold 0.1 --bench \
		2>/dev/null | grep -E '^(nemesis latency|remote command)') ||
		status=4
	echo "$faults:"
	echo "${line:-failed}" | sed 's/^/  /'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
