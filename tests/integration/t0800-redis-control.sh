#!/usr/bin/env bash
# t0800-redis-control: the `redis` plug-in (a primary, two replicas, three
# Sentinels over SSH) and the `set` workload on 3 nodes, no faults.
#
# Config errors name the key (exit 3) before any node is touched; a
# server that cannot start fails set-up (exit 4) naming the node, with
# its log tail; the control run is valid: no element lost, every add
# acknowledged, one final read that lists them all; both logs of every
# node are in the run directory and show the replicas synced and the
# Sentinels finding each other; nothing is left running on the nodes.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"
# redis members of this cluster still running (observed, not killed).
redis_left() {
	pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/redis/" | wc -l
}
cfg() {
	jq "$1" "$CLUSTER_CONFIG" >"$CLUSTER_DIR/c.json"
	echo "$CLUSTER_DIR/c.json"
}

# Config errors: no node touched.
out=$("$NS" run --config "$(cfg '.db = {"type": "redis", "quorom": 2} |
	.workload = {"type": "set"}')" --nemesis none --no-progress 2>&1)
check_eq "unknown db key: exit 3" 3 "$?"
check_contains "unknown db key named" "'db.quorom'" "$out"
out=$("$NS" run --config "$(cfg '.db = {"type": "redis"} |
	.workload = {"type": "set", "mode": "sticky"}')" --nemesis none \
	--no-progress 2>&1)
check_eq "bad workload.mode: exit 3" 3 "$?"
check_contains "bad workload.mode named" "'workload.mode'" "$out"

# A server that refuses its config: set-up fails with its log.
out=$("$NS" run --config "$(cfg '.db = {"type": "redis",
	"extra_config": ["no-such-directive yes"]} |
	.workload = {"type": "set"}')" --nemesis none --no-progress 2>&1)
check_eq "broken server config: exit 4" 4 "$?"
check_contains "set-up error names the node" "on 'n1' exited during set-up" \
	"$out"
check_contains "set-up error shows the log" "no-such-directive" "$out"
check_eq "failed set-up leaves nothing running" 0 "$(redis_left)"

# The control run.
start=$SECONDS
out=$("$NS" run --config "$(cfg '.db = {"type": "redis"} |
	.workload = {"type": "set", "mode": "sentinel"}')" --nemesis none \
	--time-limit 5 --rate 400 --concurrency 4 --seed 3 --no-progress 2>&1)
rc=$?
check_eq "control run exits 0 (valid)" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
echo "    (control run: $((SECONDS - start)) s)"
run=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
r=$run/results.json
h=$run/history.jsonl
check_eq "set checker: valid, none lost" "valid 0" \
	"$(jq -r '.checkers[] | select(.checker == "set") | "\(.verdict) \(.stats.lost_count)"' "$r")"
acked=$(jq -r '.checkers[] | select(.checker == "set") | .stats.acknowledged' "$r")
adds=$(jq -c 'select(.type == "invoke" and .f == "add")' "$h" | wc -l)
if [ "${acked:-0}" -gt 500 ]; then pass "adds acknowledged ($acked)"
else fail "adds acknowledged" "only '$acked'"; fi
check_eq "every add acknowledged" "$adds" "$acked"
check_eq "one ok final read listing every element" "1 $acked" \
	"$(jq -s -r '[.[] | select(.final and .type == "ok")] | "\(length) \(.[0].value | length)"' "$h")"
check_eq "elements are unique" "$adds" \
	"$(jq -r 'select(.type == "invoke" and .f == "add") | .value' "$h" | sort -u | wc -l)"
for n in n1 n2 n3; do
	check "$n: redis and sentinel logs collected" \
		test -s "$run/logs/$n/redis.log" -a -s "$run/logs/$n/sentinel.log"
done
for n in n2 n3; do
	check "$n: replica synced from n1" \
		grep -q 'MASTER <-> REPLICA sync: Finished with success' \
		"$run/logs/$n/redis.log"
done
check_eq "n1's Sentinel found the other two" 2 \
	"$(grep -c '+sentinel sentinel' "$run/logs/n1/sentinel.log")"
check_eq "no failover in the control run" 0 \
	"$(cat "$run"/logs/n*/sentinel.log | grep -c '+switch-master')"
check_eq "nothing left running" 0 "$(redis_left)"
for n in n1 n2 n3; do
	check "$n: data removed, logs kept" \
		test ! -e "$CLUSTER_DIR/nodes/$n/redis/data" -a \
		-s "$CLUSTER_DIR/nodes/$n/redis/redis.log"
done
