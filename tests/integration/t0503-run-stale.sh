#!/usr/bin/env bash
# t0503-run-stale: serializable reads from a member cut off by a partition
# are stale, and the checkers say so with evidence that is really in
# history.jsonl.
#
# Clients are bound to nodes (thread i -> node i mod 3) and share keys, so
# while one member is isolated its clients keep reading its old state
# (`--read-mode serializable` lets it answer alone) while the others write
# through the majority.  The run must report the anomaly (exit 1), and
# every op an anomaly cites must be in the history with the values and
# process it claims.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"

jq '.nemesis = {"order": "cycle"}' "$CLUSTER_CONFIG" >"$CLUSTER_DIR/s.json"
out=$("$NS" run --config "$CLUSTER_DIR/s.json" --time-limit 20 \
	--nemesis partition-isolate --nemesis-interval 5 --concurrency 6 \
	--read-mode serializable --seed 5 --no-progress 2>&1)
rc=$?
check_eq "serializable reads under isolation: exit 1 (anomaly)" 1 "$rc"
[ "$rc" = 1 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
run=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
h=$run/history.jsonl
r=$run/results.json
check_eq "results.json: verdict invalid" invalid "$(jq -r .verdict "$r")"
stale=$(jq -r '[.checkers[] | select(.checker == "stale") | .anomaly_count] | add // 0' "$r")
lin=$(jq -r '.checkers[] | select(.checker == "linearizable") | .verdict' "$r")
if [ "${stale:-0}" -gt 0 ]; then pass "stale checker finds stale reads ($stale)"
else fail "stale checker finds stale reads" "anomaly_count '$stale'"; fi
check_eq "linearizable checker: invalid" invalid "$lin"
check_contains "the run says so" "verdict: invalid" "$out"

# Every cited op is in the history with the process, f, key and values
# claimed (invoke and completion).
jq -s 'map({key: (.index | tostring), value: .}) | from_entries' "$h" \
	>"$CLUSTER_DIR/byindex.json"
bad=$(jq -r --slurpfile H "$CLUSTER_DIR/byindex.json" '
  [.checkers[] | select(.verdict == "invalid") | .anomalies[] | .ops[]
   | . as $o | $H[0][$o.index | tostring] as $e
   | select($e == null or $e.process != $o.process or $e.f != $o.f
            or $e.value != $o.value or $e.key != $o.key
            or ($o.complete != null and
                ($H[0][$o.complete.index | tostring].value != $o.complete.value
                 or $H[0][$o.complete.index | tostring].type != $o.complete.type)))]
  | length' "$r")
cited=$(jq -r '[.checkers[] | select(.verdict == "invalid") | .anomalies[] | .ops[]] | length' "$r")
if [ "${cited:-0}" -gt 0 ]; then pass "anomalies cite ops ($cited)"
else fail "anomalies cite ops" "none"; fi
check_eq "every cited op is in history.jsonl as claimed" 0 "$bad"
check "the stale anomalies cite reads" jq -e '
  [.checkers[] | select(.checker == "stale") | .anomalies[] | .ops[]
   | select(.f == "read")] | length > 0' "$r"
for n in n1 n2 n3; do
	check_eq "$n: no netsplit iptables chain" 0 \
		"$( { on_node $n iptables -S; on_node $n iptables-legacy -S; } 2>/dev/null | grep -c 'NS-')"
done
