#!/usr/bin/env bash
# t0811-postgres-replica-lag: the `session` workload against a PostgreSQL
# primary (n1) and asynchronous streaming replica (n2) on 3 nodes, under
# the replica-lag fault (WAL replay paused on n2 for 3 s), then a
# partition cutting n1 from n2 and n3 for 3 s (seed 7's schedule).
#
# The session checker must report read-your-writes violations (exit 1)
# and no monotonic-reads violation (a session reads one replica, which
# replays in order); the stale checker a depth distribution whose maximum
# shows the pause (>= 1 s behind; plain streaming lag is milliseconds).
# Every reported violation is re-checked against history.jsonl: both ops
# exist, in the same session and key, with the values and versions the
# checker claims, the read began after the write was acknowledged and saw
# an older version; some violating reads fall inside a fault window.
# Under the partition, replication stops too: reads inside its window
# are reported stale by >= 1 s.  Every fault is healed (journal, no
# iptables chain left), and nothing is left on the nodes.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"

cfg=$CLUSTER_DIR/pg.json
# Keys live for the whole run, so staleness measures the pause itself.
jq '.db = {"type": "postgres", "settings": {"fsync": false}}
    | .workload = {"type": "session", "ops_per_key": 1000000}
    | .nemesis = {"order": "cycle"} | .run = {"recover_s": 1}' \
	"$CLUSTER_CONFIG" >"$cfg"

t0=$SECONDS
out=$("$NS" run --config "$cfg" --time-limit 12 --concurrency 4 \
	--rate 200 --nemesis replica-lag,partition-halves --nemesis-interval 3 \
	--seed 7 \
	--no-progress 2>&1)
rc=$?
check_eq "replica-lag run: exits 1 (anomalies)" 1 "$rc"
[ "$rc" = 1 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
echo "    (run took $((SECONDS - t0)) s)"
run=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
h=$run/history.jsonl
res=$run/results.json
[ -s "$h" ] && [ -s "$res" ] || die_test "run directory" "no history or results in '$run'"

g=$(jq -r '.checkers[] | select(.checker == "session")
	| .stats.guarantees | "\(.["read-your-writes"].violations) \(.["monotonic-reads"].violations) \(.["monotonic-reads"].checked)"' "$res")
read -r ryw mr mrc <<<"$g"
echo "    session: read-your-writes violations $ryw; monotonic reads $mr of $mrc"
if [ "${ryw:-0}" -gt 0 ]; then pass "session checker: read-your-writes violations ($ryw)"
else fail "session checker: read-your-writes violations" "got '$ryw'"; fi
if [ "${mrc:-0}" -gt 0 ] && [ "$mr" = 0 ]; then
	pass "no monotonic-reads violation ($mrc reads checked)"
else
	fail "no monotonic-reads violation" "$mr of $mrc"
fi

st=$(jq -r '.checkers[] | select(.checker == "stale") | .stats
	| "\(.ms_behind.p50) \(.ms_behind.p99) \(.ms_behind.max) \(.versions_behind.p99) \(.versions_behind.max)"' "$res")
read -r p50 p99 max vp99 vmax <<<"$st"
echo "    stale: ms behind p50 $p50 p99 $p99 max $max; versions behind p99 $vp99 max $vmax"
check "stale checker: a depth distribution (p50, p99, max in ms and versions)" \
	jq -e '.checkers[] | select(.checker == "stale") | .stats
		| (.ms_behind | has("p50") and has("p99") and has("max"))
		and (.versions_behind | has("p50") and has("p99") and has("max"))' "$res"
# window_stale KIND: the largest ms behind of the stale reads that began
# inside a KIND window (from the start's completion, when the fault is in
# force, to the stop's invoke).
window_stale() {
	jq -n --arg k "$1" --slurpfile h "$h" --slurpfile r "$res" '
	  [$h[] | select(.process == "nemesis")] as $n
	  | [$n[] | select(.type == "info" and .f == "start-" + $k) | .time] as $s
	  | [$n[] | select(.type == "invoke" and .f == "stop-" + $k) | .time] as $e
	  | [range(0; $s | length) as $i | {s: $s[$i], e: ($e[$i] // 1e18)}] as $w
	  | [$r[0].checkers[] | select(.checker == "stale") | .anomalies[]
	     | .ops[-1].time as $t
	     | select([$w[] | select($t >= .s and $t <= .e)] | length > 0)
	     | .detail.ms_behind] | max // 0'
}
lstale=$(window_stale replica-lag)
if awk -v m="${lstale:-0}" 'BEGIN { exit !(m >= 1000) }'; then
	pass "replica-lag: reads >= 1 s stale inside its window ($lstale ms)"
else
	fail "replica-lag: reads >= 1 s stale inside its window" "max '$lstale' ms"
fi

# Re-check every listed read-your-writes violation against the history.
verify=$(jq -r -n --slurpfile h "$h" --slurpfile r "$res" '
  ($h | map({key: (.index | tostring), value: .}) | from_entries) as $H
  | [$r[0].checkers[] | select(.checker == "session") | .anomalies[]
     | select(.kind == "read-your-writes")] as $A
  | [$A[] | . as $a
     | $H[$a.ops[0].index | tostring] as $wi
     | $H[$a.ops[0].complete.index | tostring] as $wc
     | $H[$a.ops[1].index | tostring] as $ri
     | $H[$a.ops[1].complete.index | tostring] as $rc
     | select(($wi != null and $wc != null and $ri != null and $rc != null
        and $wi.type == "invoke" and $wi.f == "write"
        and $wc.type == "ok" and $wc.f == "write" and $wc.process == $wi.process
        and $ri.type == "invoke" and $ri.f == "read"
        and $rc.type == "ok" and $rc.f == "read" and $rc.process == $ri.process
        and $wi.session == $a.detail.session and $ri.session == $a.detail.session
        and $wi.key == $a.key and $ri.key == $a.key
        and $wi.value == $a.detail.earlier_value
        and $wc.version == $a.detail.earlier_version
        and $rc.value == $a.detail.later_value
        and $rc.version == $a.detail.later_version
        and $rc.version < $wc.version and $ri.time > $wc.time) | not)]
  | "\($A | length) \(length)"')
read -r listed bad <<<"$verify"
if [ "${listed:-0}" -gt 0 ] && [ "$bad" = 0 ]; then
	pass "each listed violation re-checked in history.jsonl ($listed)"
else
	fail "each listed violation re-checked in history.jsonl" \
		"$bad of $listed do not match the history"
fi

# Fault windows: from the start's completion (in force) to the stop's invoke.
inwin=$(jq -n --slurpfile h "$h" --slurpfile r "$res" '
  [$h[] | select(.process == "nemesis")] as $n
  | [$n[] | select(.type == "info" and .f == "start-replica-lag") | .time] as $s
  | [$n[] | select(.type == "invoke" and .f == "stop-replica-lag") | .time] as $e
  | [range(0; $s | length) as $i | {s: $s[$i], e: ($e[$i] // 1e18)}] as $w
  | [$r[0].checkers[] | select(.checker == "session") | .anomalies[]
     | select(.kind == "read-your-writes") | .ops[1].time as $t
     | select([$w[] | select($t >= .s and $t <= .e)] | length > 0)] | length')
if [ "${inwin:-0}" -gt 0 ]; then pass "violations inside the replica-lag windows ($inwin)"
else fail "violations inside the replica-lag windows" "none"; fi

# The partition: n1 (primary) cut from n2 (replica), reads stale in it.
check "the partition cut the primary n1 from the replica n2" \
	jq -e -s '[.[] | select(.process == "nemesis" and .type == "info" and .f == "start-partition")]
		| length >= 1 and all(.value.grudge.n2 | index("n1") != null)' "$h"
pstale=$(window_stale partition)
if awk -v m="${pstale:-0}" 'BEGIN { exit !(m >= 1000) }'; then
	pass "partition: replica reads >= 1 s stale inside it ($pstale ms)"
else
	fail "partition: replica reads >= 1 s stale inside it" "max '$pstale' ms"
fi

check "the fault paused the replica (n2) only" \
	jq -e -s '[.[] | select(.process == "nemesis" and .type == "info" and .f == "start-replica-lag")]
		| length >= 1 and all(.value.targets == ["n2"])' "$h"
starts=$(grep -c '"event":"applied"' "$run/nemesis.journal")
healed=$(grep -c '"event":"healed"' "$run/nemesis.journal")
check_eq "every fault journaled as healed ($starts)" "$starts" "$healed"

for n in n1 n2 n3; do
	check_eq "$n: no netsplit iptables chain" 0 \
		"$( { on_node $n iptables -S; on_node $n iptables-legacy -S; } 2>/dev/null | grep -c 'NS-')"
done
check_eq "no dead-man switch left" 0 \
	"$(pgrep -f -- "netsplit-deadman $CLUSTER_DIR/" | wc -l)"
check_eq "no postgres left on the nodes" 0 \
	"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/postgres/data" | wc -l)"
