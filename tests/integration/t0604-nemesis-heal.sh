#!/usr/bin/env bash
# t0604-nemesis-heal: the controller dies (kill -9) while a partition, a
# pause and a clock bump are in force; `netsplit heal` then leaves no
# netsplit rule, paused member, clock offset or dead-man switch on any
# node, from the journal alone.  A second heal has nothing to do; a fault
# on a node the config does not know makes heal exit 4.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out

nem_start "$out" --config "$CLUSTER_CONFIG" --db fake --cycle --together \
	--faults partition-halves,pause-one,clock-bump --count 3 \
	--deadman 300 --hold 300
nem_wait "$out" start 3 90 || die_test "three faults start" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
pass "three faults start"
pline=$(grep '"kind":"pause"' "$out" | head -n 1)
pnode=$(echo "$pline" | jq -r '.fault.targets[0]')
ppid=$(echo "$pline" | jq -r ".fault.pids.$pnode.pid")
cline=$(grep '"kind":"clock"' "$out" | head -n 1)
cnodes=$(echo "$cline" | jq -r '.fault.targets | join(" ")')
check_eq "partition in force on n1" 1 "$(nem_chains n1 | wc -l)"
check_eq "pause in force: $pnode's member in state T" T \
	"$(nem_state "$pnode" "$ppid")"
for n in $cnodes; do
	check "clock offset in force on $n" test "$(cat \
		"$CLUSTER_DIR/nodes/$n/fake/faketime")" != +0
done
deadmen() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null |
			grep -q "netsplit-deadman $CLUSTER_DIR/" && echo "${p#/proc/}"
	done
}
check "dead-man switches armed" test -n "$(deadmen)"

nem_kill9
check_eq "after kill -9: partition still in force" 1 "$(nem_chains n1 | wc -l)"
check_eq "after kill -9: $pnode's member still paused" T \
	"$(nem_state "$pnode" "$ppid")"

heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "netsplit heal exits 0" 0 $?
check_contains "heal healed the three faults" "healed 3 fault(s)" "$heal"
for n in n1 n2 n3; do
	check_eq "$n: no netsplit chain" "" "$(nem_chains $n)"
	st=$(nem_state $n "$(nem_member_pid $n)")
	case $st in T) fail "$n: member not paused" "state T" ;;
	*) pass "$n: member not paused ($st)" ;; esac
	check_eq "$n: no clock offset" +0 \
		"$(cat "$CLUSTER_DIR/nodes/$n/fake/faketime")"
done
sleep 0.3
check_eq "no dead-man switch left" "" "$(deadmen | xargs)"

heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "second heal exits 0" 0 $?
check_contains "second heal has nothing to do" "healed 0 fault(s)" "$heal"

# a journaled fault on a node the config does not know: exit 4
mkdir -p "$CLUSTER_DIR/store/nemesis/stray"
echo '{"event":"apply","fault":{"id":"ffffffff-0","kind":"partition","targets":[{"node":"n9","host":"10.0.0.9","index":8,"drops":["n1"],"backend":"iptables","chain":"NS-ffffffff-0"}]}}' \
	>"$CLUSTER_DIR/store/nemesis/stray/nemesis.journal"
heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "unknown node: heal exits 4" 4 $?
check_contains "unknown node: named" "'n9'" "$heal"
rm -rf "$CLUSTER_DIR/store/nemesis/stray"

nem_shm_check
