#!/usr/bin/env bash
# t0608-nemesis-kill-heal-twice: a kill healed twice restarts its member
# once ("fake" database plug-in, 3 nodes).
#
# The driver kills one member and holds the fault; meanwhile `netsplit
# heal` skips the live run (the driver holds its journal's lock), and
# `netsplit heal --force` (or a stop retried after a partial failure:
# the same state) restarts the member and journals the fault healed.  The driver's own stop then finds the member running and
# leaves it alone: the stop succeeds, the pid file still names the member
# heal started, exactly one member runs on that node, and once the driver
# tears the database down no member is left anywhere (a second start
# would have left the first one orphaned).
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out

# pids of the fake members running in nK's directory (a shell forked by a
# member, not yet exec'd, shares its command line: only the top one)
members() {
	local d=$CLUSTER_DIR/nodes/$1/fake f p pp
	for f in $(grep -lsaF -- "$d" /proc/[0-9]*/cmdline); do
		p=${f#/proc/}
		p=${p%/cmdline}
		is_member "$p" "$d" || continue
		pp=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" \
			2>/dev/null)
		is_member "$pp" "$d" || echo "$p"
	done
}
is_member() {
	local cmd
	cmd=$( { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null)
	case $cmd in *"fake-member $2 "*) return 0 ;; esac
	return 1
}

# The second fault never starts: the test stops the driver in the gap.
nem_start "$out" --config "$CLUSTER_CONFIG" --db fake --faults kill-one \
	--count 2 --hold 10 --gap 30
nem_wait "$out" start 1 60 || die_test "kill starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
node=$(nem_field "$out" start '.targets[0]')
pid=$(nem_field "$out" start ".pids.$node.pid")
st=$(nem_state "$node" "$pid")
case $st in ''|Z) pass "kill: $node's member $pid is gone" ;;
*) fail "kill: $node's member $pid is gone" "state '$st'" ;; esac

# The driver holds its journal's lock: a plain heal leaves its fault to
# it, naming its run directory; --force heals it anyway.
heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" 2>&1)
check_eq "heal during the live run exits 0" 0 $?
check_contains "heal skips the live run" "the run is live" "$heal"
check_contains "heal names the run directory" "$CLUSTER_DIR/store/nemesis/" \
	"$heal"
check_contains "heal healed nothing" "healed 0 fault(s)" "$heal"
check_contains "heal's summary counts the live run" "skipped 1 live run(s)" \
	"$heal"
# A second driver on the live run's directory is refused at once (it
# would block on the journal's lock, silently).
rundir=$(grep -o "$CLUSTER_DIR/store/nemesis/[^ :]*" <<<"$heal" | head -n 1)
t0=$SECONDS
second=$(timeout 20 "$NETSPLIT" nemesis --config "$CLUSTER_CONFIG" --db fake \
	--faults kill-one --count 1 --hold 1 --run-dir "$rundir" 2>&1)
rc=$?
check_eq "a second driver on the live run exits 3" 3 $rc
check_contains "it says the run is live" "the run is live" "$second"
check "it is refused within 10 s" [ $((SECONDS - t0)) -lt 10 ]
check_eq "$node: no member restarted by the plain heal" "" \
	"$(members "$node" | xargs)"
heal=$("$NETSPLIT" heal --config "$CLUSTER_CONFIG" --force 2>&1)
check_eq "heal --force during the kill exits 0" 0 $?
check_contains "heal --force restarted the member" "healed 1 fault(s)" \
	"$heal"
[ "$(grep -c '^{"event":"stop"' "$out")" = 0 ] ||
	die_test "heal ran before the driver's stop" "the stop came first"
p1=$(nem_member_pid "$node")
check_eq "$node: one member, the one heal started" "$p1" \
	"$(members "$node" | xargs)"

nem_wait "$out" stop 1 30 || die_test "the driver's stop succeeds" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
pass "the driver's stop succeeds"
check_eq "$node: pid file still names heal's member" "$p1" \
	"$(nem_member_pid "$node")"
check_eq "$node: still one member" "$p1" "$(members "$node" | xargs)"
for n in n1 n2 n3; do
	[ "$n" = "$node" ] && continue
	p=$(nem_member_pid $n)
	check_eq "$n: one member" "$p" "$(members $n | xargs)"
done

nem_stop
check_eq "driver exits 0" 0 $?
for n in n1 n2 n3; do
	check_eq "$n: no member left after teardown" "" "$(members $n | xargs)"
done
