#!/usr/bin/env bash
# t0801-redis-lost-writes: Redis with Sentinel on 3 nodes loses
# acknowledged SADDs when the primary is cut off from the other nodes
# (partition-leader; the clients on the controller still reach it).
#
# For each client mode (pinned: stick to the first primary found;
# sentinel: ask a Sentinel before every add): `netsplit run` exits 1; the
# partition isolated the node that was primary (n1); the nodes' logs show
# the failover (a Sentinel's +switch-master away from n1, a replica's
# MASTER MODE enabled) and the old primary resyncing from the new one;
# results.json lists lost elements, and each is re-checked against
# history.jsonl: an ok add of it exists and no final read lists it, each
# anomaly's ops are that element's add and its ok completion; the
# lost count equals the acknowledged adds the final read lacks, counted
# here from the history alone.  The fault is healed and nothing is left
# on the nodes.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"
n1=$(node_addr n1)

lost_writes() {
	local mode=$1 out rc run r h start=$SECONDS
	jq --arg m "$mode" '.db = {"type": "redis"} |
		.workload = {"type": "set", "mode": $m} |
		.nemesis = {"faults": ["partition-leader"], "interval_s": 6}' \
		"$CLUSTER_CONFIG" >"$CLUSTER_DIR/$mode.json"
	out=$("$NS" run --config "$CLUSTER_DIR/$mode.json" --time-limit 12 \
		--rate 100 --concurrency 4 --seed 5 --no-progress 2>&1)
	rc=$?
	check_eq "$mode: run exits 1 (lost writes)" 1 "$rc"
	[ "$rc" = 1 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
	run=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
	r=$run/results.json
	h=$run/history.jsonl
	echo "    ($mode run: $((SECONDS - start)) s; $(echo "$out" |
		grep '^set:' | cut -c1-110))"

	# The fault: the primary (n1) cut off from n2 and n3, then healed.
	check_eq "$mode: partition-leader isolated the primary n1" \
		'["n2","n3"] 1' \
		"$(jq -s -c '[.[] | select(.process == "nemesis" and .type == "info" and .f == "start-partition")] | "\(.[0].value.grudge.n1 | sort | tojson) \(length)"' -r "$h")"
	check_eq "$mode: the partition was healed" 1 \
		"$(jq -c 'select(.process == "nemesis" and .type == "info" and .f == "stop-partition")' "$h" | wc -l)"

	# The failover, from the nodes' logs.
	check "$mode: a Sentinel switched the master away from n1" \
		grep -q "+switch-master mymaster $n1 6379 " \
		"$run"/logs/n*/sentinel.log
	check "$mode: a replica was promoted (MASTER MODE enabled)" \
		grep -q 'MASTER MODE enabled' "$run"/logs/n[23]/redis.log
	check "$mode: the old primary resynced from the new one" \
		grep -q 'MASTER <-> REPLICA sync: Flushing old data' \
		"$run/logs/n1/redis.log"

	# Timing, from the journal (wall clock, ns) and the logs' stamps.
	local cut heal sw rs
	cut=$(jq -r 'select(.event == "applied") | .time_ns' "$run/nemesis.journal")
	heal=$(jq -r 'select(.event == "healed") | .time_ns' "$run/nemesis.journal")
	sw=$(cat "$run"/logs/n*/sentinel.log | grep '+switch-master' |
		awk '{print $2, $3, $4, $5}' | sort -k4 | head -n 1)
	rs=$(grep 'Flushing old data' "$run/logs/n1/redis.log" | tail -n 1 |
		awk '{print $2, $3, $4, $5}')
	if [ -n "$cut" ] && [ -n "$heal" ] && [ -n "$sw" ] && [ -n "$rs" ]; then
		sw=$(date -u -d "$sw" +%s.%N)
		rs=$(date -u -d "$rs" +%s.%N)
		echo "    ($mode: failover $(echo "$sw - $cut / 1000000000" | bc -l | cut -c1-4) s after the cut; old primary resynced $(echo "$rs - $heal / 1000000000" | bc -l | cut -c1-4) s after the heal)"
		check "$mode: the failover came after the cut" \
			test "$(echo "$sw > $cut / 1000000000" | bc -l)" = 1
	fi

	# results.json (read once: its anomalies are large): lost elements.
	local lost s=$run/t-set.json
	jq '.checkers[] | select(.checker == "set") | {verdict, stats}' \
		"$r" >"$s"
	lost=$(jq -r .stats.lost_count "$s")
	check_eq "$mode: set checker verdict invalid" invalid \
		"$(jq -r .verdict "$s")"
	if [ "${lost:-0}" -gt 0 ]; then pass "$mode: lost writes found ($lost)"
	else fail "$mode: lost writes found" "lost_count '$lost'"; fi
	check_eq "$mode: every lost element listed" "$lost" \
		"$(jq -r '.stats.lost | length' "$s")"

	# Each reported element re-checked against the history.
	jq -r '.stats.lost[]' "$s" | sort -u >"$run/t-lost"
	jq -r 'select(.type == "ok" and .f == "add") | .value' "$h" |
		sort -u >"$run/t-acked"
	jq -r 'select(.type == "ok" and .f == "read" and .final) | .value[]' \
		"$h" | sort -u >"$run/t-read"
	check_eq "$mode: one ok final read" 1 \
		"$(jq -c 'select(.type == "ok" and .f == "read" and .final)' "$h" | wc -l)"
	check_eq "$mode: every lost element has an ok add" 0 \
		"$(comm -23 "$run/t-lost" "$run/t-acked" | wc -l)"
	check_eq "$mode: no lost element is in a final read" 0 \
		"$(comm -12 "$run/t-lost" "$run/t-read" | wc -l)"
	check_eq "$mode: lost = acknowledged adds the final read lacks" \
		"$lost" "$(comm -23 "$run/t-acked" "$run/t-read" | wc -l)"
	# Each "lost" anomaly cites its add: the history's event at that
	# index adds that element, and its completion is an ok.
	jq '[.checkers[] | select(.checker == "set") | .anomalies[] |
		select(.kind == "lost") | {i: .ops[0].index,
		c: .ops[0].complete.index, e: .detail.element}]' "$r" \
		>"$run/t-anom.json"
	local nanom
	nanom=$(jq length "$run/t-anom.json")
	if [ "${nanom:-0}" -gt 0 ]; then pass "$mode: lost anomalies with evidence ($nanom)"
	else fail "$mode: lost anomalies with evidence" "none"; fi
	check_eq "$mode: each anomaly's ops are the element's ok add" 0 \
		"$(jq -n -r --slurpfile h "$h" --slurpfile a "$run/t-anom.json" '
		($h | map({key: (.index | tostring), value: .}) | from_entries) as $m
		| [$a[0][] | select($m[(.i | tostring)].f != "add" or
			$m[(.i | tostring)].value != .e or
			$m[(.c | tostring)].type != "ok" or
			$m[(.c | tostring)].value != .e)] | length')"

	# They were acknowledged while n1 was cut off (or after the heal,
	# before it was demoted): none before the partition began.
	check_eq "$mode: no lost add acknowledged before the partition" 0 \
		"$(jq -s -r --slurpfile l <(jq .stats.lost "$s") '
		([.[] | select(.process == "nemesis" and .type == "invoke" and .f == "start-partition")][0].time) as $t
		| ($l[0] | map({key: tostring, value: 1}) | from_entries) as $set
		| [.[] | select(.type == "ok" and .f == "add" and $set[(.value | tostring)] and .time < $t)] | length' "$h")"
}

lost_writes pinned
lost_writes sentinel

# Nothing left behind.
for n in n1 n2 n3; do
	check_eq "$n: no netsplit iptables chain" 0 \
		"$( { on_node $n iptables -S; on_node $n iptables-legacy -S; } 2>/dev/null | grep -c 'NS-')"
done
check_eq "no redis member left" 0 \
	"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/redis/" | wc -l)"
