#!/usr/bin/env bash
# t0503-run-stale: serializable reads from a member cut off by a partition
# are stale and break read-your-writes, and the checkers say so with
# evidence that is really in history.jsonl; linearizable reads without
# faults break neither (the control).
#
# Clients send each op to the next member in turn (`workload.endpoints:
# "round-robin"`, as etcd's Go client balances over its endpoints) and
# share keys.  While one member is isolated, a session's write goes
# through the majority and its next read may land on the isolated member,
# which (`--read-mode serializable`) answers alone from its old state: the
# read misses the session's own acknowledged write.  The run must report
# stale reads and read-your-writes violations (exit 1), every op an
# anomaly cites must be in the history with the values and process it
# claims, and every read-your-writes violation is re-checked against
# history.jsonl: both ops exist, in the same session and key, the write
# was acknowledged (with the version claimed) before the read began, and
# the read returned the value and the older version claimed.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"
latest() { readlink -f "$CLUSTER_DIR/store/local-cluster/latest"; }
# verdict / anomaly_count / a stats field of one checker in results.json
ck() {
	jq -r --arg c "$2" ".checkers[] | select(.checker == \$c) | $3" "$1"
}

# ===== Control: linearizable reads, round-robin, no faults =====
jq '.workload.endpoints = "round-robin"' "$CLUSTER_CONFIG" \
	>"$CLUSTER_DIR/rr.json"
out=$("$NS" run --config "$CLUSTER_DIR/rr.json" --time-limit 6 \
	--nemesis none --concurrency 6 --seed 5 --no-progress 2>&1)
rc=$?
check_eq "control (linearizable reads, no faults): exit 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
r=$(latest)/results.json
check_eq "control: session checker valid" valid "$(ck "$r" session .verdict)"
check_eq "control: no session violation" 0 \
	"$(ck "$r" session .anomaly_count)"
d=$(ck "$r" session .stats.decidable_checks)
if [ "${d:-0}" -gt 0 ]; then pass "control: session checks made ($d)"
else fail "control: session checks made" "decidable_checks '$d'"; fi
check_eq "control: stale checker valid" valid "$(ck "$r" stale .verdict)"
check_eq "control: ops went to every member" 3 \
	"$(jq -r 'select(.type == "invoke" and .final != true) | .node' \
		"$(latest)/history.jsonl" | sort -u | wc -l)"

# ===== Serializable reads under isolation =====
jq '.nemesis = {"order": "cycle"} | .workload.endpoints = "round-robin"' \
	"$CLUSTER_CONFIG" >"$CLUSTER_DIR/s.json"
out=$("$NS" run --config "$CLUSTER_DIR/s.json" --time-limit 20 \
	--nemesis partition-isolate --nemesis-interval 5 --concurrency 6 \
	--read-mode serializable --seed 5 --no-progress 2>&1)
rc=$?
check_eq "serializable reads under isolation: exit 1 (anomaly)" 1 "$rc"
[ "$rc" = 1 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
run=$(latest)
h=$run/history.jsonl
r=$run/results.json
check_eq "results.json: verdict invalid" invalid "$(jq -r .verdict "$r")"
stale=$(ck "$r" stale .anomaly_count)
if [ "${stale:-0}" -gt 0 ]; then pass "stale checker finds stale reads ($stale)"
else fail "stale checker finds stale reads" "anomaly_count '$stale'"; fi
check_eq "linearizable checker: invalid" invalid "$(ck "$r" linearizable .verdict)"
ryw=$(ck "$r" session '.stats.guarantees["read-your-writes"].violations')
if [ "${ryw:-0}" -gt 0 ]; then
	pass "session checker finds read-your-writes violations ($ryw)"
else
	fail "session checker finds read-your-writes violations" "'$ryw'"
fi
check_eq "session checker: invalid" invalid "$(ck "$r" session .verdict)"
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

# Each read-your-writes violation, re-checked from history.jsonl alone.
jq -c --slurpfile H "$CLUSTER_DIR/byindex.json" '
  def ev($i): $H[0][$i | tostring];
  .checkers[] | select(.checker == "session") | .anomalies[]
  | select(.kind == "read-your-writes")
  | .detail as $d
  | ev(.ops[0].index) as $w | ev(.ops[0].complete.index) as $wc
  | ev(.ops[1].index) as $r | ev(.ops[1].complete.index) as $rc
  | {w: .ops[0].index, r: .ops[1].index,
     ok: ($w != null and $wc != null and $r != null and $rc != null
          and ($w.f == "write" or $w.f == "cas") and $r.f == "read"
          and $w.session == $d.session and $r.session == $d.session
          and $w.key == $r.key and $wc.type == "ok" and $rc.type == "ok"
          and (if $w.f == "cas" then $w.value[1] else $w.value end)
              == $d.earlier_value
          and $wc.version == $d.earlier_version
          and $rc.value == $d.later_value
          and $rc.version == $d.later_version
          and $rc.version < $wc.version
          and $wc.index < $r.index and $wc.time <= $r.time),
     other_member: ($wc.node != $rc.node)}' "$r" >"$CLUSTER_DIR/ryw.jsonl"
n=$(wc -l <"$CLUSTER_DIR/ryw.jsonl")
if [ "$n" -gt 0 ]; then pass "read-your-writes anomalies listed ($n)"
else fail "read-your-writes anomalies listed" "none in results.json"; fi
check_eq "each read-your-writes violation holds in history.jsonl" 0 \
	"$(jq -c 'select(.ok | not)' "$CLUSTER_DIR/ryw.jsonl" | wc -l)"
check_eq "each stale own-write read went to another member than the write" \
	0 "$(jq -c 'select(.other_member | not)' "$CLUSTER_DIR/ryw.jsonl" |
		wc -l)"
for n in n1 n2 n3; do
	check_eq "$n: no netsplit iptables chain" 0 \
		"$( { on_node $n iptables -S; on_node $n iptables-legacy -S; } 2>/dev/null | grep -c 'NS-')"
done
