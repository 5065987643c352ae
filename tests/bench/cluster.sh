#!/usr/bin/env bash
# tests/bench/cluster.sh - how long scripts/cluster up and down take, for 3
# and 5 nodes (wall clock, median and max of RUNS runs; the machine is
# shared, so the load average is printed too).  Needs root.
set -u
cd "$(dirname "$0")/../.." || exit 4
RUNS=${RUNS:-3}
[ "$(id -u)" -eq 0 ] || { echo "cluster bench: needs root, skipped"; exit 0; }

dir=$(mktemp -d /tmp/ns-cluster-bench.XXXXXX)
trap 'scripts/cluster down --dir "$dir/c" >/dev/null 2>&1; rm -rf "$dir"' \
	EXIT INT TERM

now() { echo "$EPOCHREALTIME"; }
stats() {	# stats VALUES...: "median M s, max X s"
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { printf "median %.2f s, max %.2f s", v[int((NR + 1) / 2)],
			v[NR] }'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in 3 5; do
	ups=() downs=()
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now)
		scripts/cluster up --nodes "$n" --dir "$dir/c" >/dev/null ||
			{ echo "cluster bench: up failed"; exit 4; }
		t1=$(now)
		scripts/cluster down --dir "$dir/c" >/dev/null ||
			{ echo "cluster bench: down failed"; exit 4; }
		t2=$(now)
		ups+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
		downs+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
	done
	echo "cluster up   $n nodes: $(stats "${ups[@]}") ($RUNS runs)"
	echo "cluster down $n nodes: $(stats "${downs[@]}") ($RUNS runs)"
done
