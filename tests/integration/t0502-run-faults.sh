#!/usr/bin/env bash
# t0502-run-faults: `netsplit run` against etcd on 3 nodes under partitions
# and kills (KINDS, taken in turn, one every 4 s).
#
# etcd stays linearizable: the run is valid; every fault window is in the
# history (nemesis start/stop pairs, each an invoke then an info); ok ops
# complete outside the windows and fail/info ops inside them; after the
# run no netsplit iptables chain and no member is left on any node.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
KINDS=partition,kill
cluster_up 3
# Whatever happens, heal what a crashed run may have left.
at_exit "$NS" heal --config "$CLUSTER_CONFIG"

run_ok "run under $KINDS" --time-limit 23 --nemesis "$KINDS" \
	--nemesis-interval 4 --concurrency 6 --seed 11
run=$RUN
h=$RUN_HISTORY
windows_ok 3
check_eq "every kind ran" "$(echo "$KINDS" | tr ',' '\n' | sed 's/^/start-/' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(jq -r 'select(.process == "nemesis" and .type == "info" and (.f | startswith("start-"))) | .f' "$h" | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "nemesis events carry the fault (targets)" \
	jq -e -s '[.[] | select(.process == "nemesis" and .type == "info" and (.f | startswith("start-")))] | all(.value.targets | length > 0)' "$h"
check "run.json: fault schedule" \
	jq -e '.fault_schedule | length >= 3' "$run/run.json"
check_eq "run.json: faults applied, as results.json lists them" \
	"$(jq -c '.faults' "$run/results.json")" \
	"$(jq -c '.faults_applied' "$run/run.json")"
check "run.json: one fault applied per window" \
	jq -e --argjson n "$WINDOWS" '.faults_applied | length == $n' \
	"$run/run.json"
check "nemesis journal in the run directory" test -s "$run/nemesis.journal"

# Completions inside [start invoke, stop info] of some window, or outside.
counts=$(jq -s -r '
  ([.[] | select(.process == "nemesis")]) as $n
  | ([$n[] | select(.type == "invoke" and (.f | startswith("start-"))) | .time]) as $s
  | ([$n[] | select(.type == "info" and (.f | startswith("stop-"))) | .time]) as $e
  | [range(0; $s | length) as $i | {s: $s[$i], e: ($e[$i] // 1e18)}] as $w
  | [.[] | select(.process != "nemesis" and .type != "invoke" and (.final | not))
      | . as $x | {t: .type, in: ([$w[] | select($x.time >= .s and $x.time <= .e)] | length > 0)}]
  | "\([.[] | select(.t == "ok" and (.in | not))] | length) \([.[] | select(.t != "ok" and .in)] | length)"' "$h")
ok_out=${counts% *}
bad_in=${counts#* }
if [ "${ok_out:-0}" -gt 50 ]; then pass "ok ops outside the windows ($ok_out)"
else fail "ok ops outside the windows" "only '$ok_out'"; fi
if [ "${bad_in:-0}" -gt 0 ]; then pass "fail/info ops inside the windows ($bad_in)"
else fail "fail/info ops inside the windows" "none"; fi

nothing_left n1 n2 n3
