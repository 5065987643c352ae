#!/usr/bin/env bash
# t0606-nemesis-heal-failures: heals that fail, and heals after a crash.
#
# 1. A partition whose undo fails on one node (another chain jumps to the
#    fault's chain, so `iptables -X` refuses): the driver exits 4, the
#    fault is not journaled as healed, the dead-man switch on that node
#    stays armed, and so does the run's lease there.  `netsplit heal`
#    fails the same way (exit 4, switch kept); once the jump is gone it
#    heals, and no switch, chain or lease file is left on any node.
# 2. A member killed, then the driver killed -9: `netsplit heal` restarts
#    the member (new pid); with a database config it cannot use, it says
#    the member was not restarted, exits 4 and journals nothing.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out

deadmen() {	# pids of dead-man switches of fault $1 (all nodes)
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null |
			grep -q "netsplit-deadman $CLUSTER_DIR/.* $1 " &&
			echo "${p#/proc/}"
	done
}
leases() {	# lease files left on any node
	ls "$CLUSTER_DIR"/nodes/n*/netsplit-nemesis/*.lease 2>/dev/null | wc -l
}
journal_events() {	# events of fault $1, in order
	cat "$CLUSTER_DIR"/store/nemesis/*/nemesis.journal | jq -r \
		"select(.id == \"$1\" or .fault.id == \"$1\") | .event" | xargs
}

# --- 1. an undo that fails on n2 -------------------------------------------
nem_start "$out" --config "$CLUSTER_CONFIG" --faults partition-halves \
	--hold 3 --deadman 60
nem_wait "$out" start 1 60 || die_test "partition starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
id=$(nem_field "$out" start .id)
chain=NS-$id
unjump() { on_node n2 iptables -D FORWARD -j "$1" 2>/dev/null; }
at_exit unjump "$chain"
on_node n2 iptables -A FORWARD -j "$chain" ||
	die_test "a second jump to $chain on n2" "iptables failed"
wait "$NEM_PID"
check_eq "undo fails on n2: driver exits 4" 4 $?
NEM_PID=
check_contains "the error names n2" "n2" "$(cat "$out.err")"
check_eq "not journaled as healed" "apply applied" "$(journal_events "$id")"
check_eq "n2: chain still there" "$chain" "$(nem_chains n2)"
n2pids=$(for p in $(deadmen "$id"); do
	ip netns identify "$p" 2>/dev/null; done | grep -c "$(node_netns n2)")
check_eq "n2: its dead-man switch is still armed" 1 "$n2pids"
check "n2: the run's lease is still there" \
	test -n "$(ls "$CLUSTER_DIR"/nodes/n2/netsplit-nemesis/*.lease 2>/dev/null)"

heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "netsplit heal while the undo fails: exit 4" 4 $?
check_contains "heal names the fault" "$id" "$heal"
n2pids=$(for p in $(deadmen "$id"); do
	ip netns identify "$p" 2>/dev/null; done | grep -c "$(node_netns n2)")
check_eq "n2: switch still armed after the failed heal" 1 "$n2pids"
check_eq "still not journaled as healed" "apply applied" \
	"$(journal_events "$id")"

unjump "$chain"
heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "netsplit heal once the undo works: exit 0" 0 $?
check_contains "healed 1 fault" "healed 1 fault(s)" "$heal"
check_eq "journaled healed" "apply applied healed" "$(journal_events "$id")"
for n in n1 n2 n3; do
	check_eq "$n: no netsplit chain" "" "$(nem_chains $n)"
done
sleep 0.3
check_eq "no dead-man switch left" "" "$(deadmen "$id" | xargs)"
check_eq "no lease file left on any node" 0 "$(leases)"

# --- 2. a killed member after a controller crash ----------------------------
nem_config 'db.type="fake"'
nem_start "$out" --config "$CLUSTER_DIR/nem.json" --db fake \
	--faults kill-one --hold 300
nem_wait "$out" start 1 60 || die_test "kill starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
node=$(nem_field "$out" start '.targets[0]')
pid=$(nem_field "$out" start ".pids.$node.pid")
kid=$(nem_field "$out" start .id)
nem_kill9
st=$(nem_state "$node" "$pid")
case $st in ''|Z) pass "kill: $node's member $pid is gone" ;;
*) fail "kill: $node's member $pid is gone" "state '$st'" ;; esac

jq '.db.bogus = 1' "$CLUSTER_DIR/nem.json" >"$CLUSTER_DIR/bad-db.json"
heal=$("$NETSPLIT" heal --config "$CLUSTER_DIR/bad-db.json" 2>&1)
check_eq "heal without a usable db plug-in: exit 4" 4 $?
check_contains "says the member was not restarted" \
	"$node: the member it killed (pid $pid) was not restarted" "$heal"
check_eq "kill not journaled as healed" "apply applied" \
	"$(journal_events "$kid")"

heal=$("$NETSPLIT" heal --config "$CLUSTER_DIR/nem.json" 2>&1)
check_eq "heal restarts the member: exit 0" 0 $?
new=$(nem_member_pid "$node")
if [ -n "$new" ] && [ "$new" != "$pid" ]; then
	pass "kill: restarted by heal under a new pid ($pid -> $new)"
else
	fail "kill: restarted by heal under a new pid" "pid file says '$new'"
fi
st=$(nem_state "$node" "$new")
case $st in S|R) pass "kill: the restarted member runs ($st)" ;;
*) fail "kill: the restarted member runs" "state '$st'" ;; esac
check_eq "kill journaled healed" "apply applied healed" \
	"$(journal_events "$kid")"
