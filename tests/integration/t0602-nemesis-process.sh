#!/usr/bin/env bash
# t0602-nemesis-process: pause and kill of database members (the "fake"
# database plug-in: a shell loop per node with a pid file) on 3 nodes.
#
# pause: the member is in state T while in force, running again after
# heal, same pid.  kill: the member's pid is gone while in force; after
# heal a new member runs under a new pid.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out

# A third fault (a pause again) keeps the driver, and so the members, alive
# while the kill's heal is checked: after its last fault the driver tears
# the database down.
nem_start "$out" --config "$CLUSTER_CONFIG" --db fake \
	--faults pause-one,kill-one --cycle --count 3 --hold 4 --gap 3
nem_wait "$out" start 1 60 || die_test "pause starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
node=$(nem_field "$out" start '.targets[0]')
pid=$(nem_field "$out" start ".pids.$node.pid")
check_eq "pause: recorded pid is $node's member" "$(nem_member_pid $node)" \
	"$pid"
check_eq "pause: $node's member in state T" T "$(nem_state $node $pid)"
for n in n1 n2 n3; do
	[ $n = "$node" ] && continue
	st=$(nem_state $n "$(nem_member_pid $n)")
	case $st in T|'') fail "pause: $n untouched" "state '$st'" ;;
	*) pass "pause: $n untouched" ;; esac
done
nem_wait "$out" stop 1 30 || die_test "pause stops" "no stop event"
st=$(nem_state $node $pid)
case $st in S|R) pass "pause: $node resumed ($st)" ;;
*) fail "pause: $node resumed" "state '$st'" ;; esac

nem_wait "$out" start 2 30 || die_test "kill starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
line=$(grep '^{"event":"start"' "$out" | sed -n 2p)
node=$(echo "$line" | jq -r '.fault.targets[0]')
pid=$(echo "$line" | jq -r ".fault.pids.$node.pid")
check_eq "kill: kind" kill "$(echo "$line" | jq -r .fault.kind)"
st=$(nem_state $node $pid)
case $st in ''|Z) pass "kill: $node's member $pid is gone" ;;
*) fail "kill: $node's member $pid is gone" "state '$st'" ;; esac
nem_wait "$out" stop 2 30 || die_test "kill stops" "no stop event"
new=$(nem_member_pid $node)
if [ -n "$new" ] && [ "$new" != "$pid" ]; then
	pass "kill: restarted under a new pid ($pid -> $new)"
else
	fail "kill: restarted under a new pid" "pid file says '$new'"
fi
st=$(nem_state $node "$new")
case $st in S|R) pass "kill: new member runs ($st)" ;;
*) fail "kill: new member runs" "state '$st'" ;; esac
wait "$NEM_PID"
check_eq "driver exits 0" 0 $?
NEM_PID=
