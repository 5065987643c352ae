#!/usr/bin/env bash
# t0605-nemesis-deadman: the dead-man switch alone heals.  A renewed
# lease keeps the fault in force past the period; after kill -9 of the
# controller (no `netsplit heal`), the partition and the pause are gone
# within the period (3 s) + 2 s (whole-second lease age, 1 s tick) + the
# time the undo itself takes; on this shared 2-core machine (load ~13)
# that has been seen at ~8 s, so the bound checked is period + 8 s.
# While the faults are armed, the switches start no process (strace).
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out
period=3

nem_start "$out" --config "$CLUSTER_CONFIG" --db fake --cycle --together \
	--faults partition-isolate,pause-one --count 2 --deadman $period \
	--hold 300
nem_wait "$out" start 2 90 || die_test "faults start" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
pline=$(grep '"kind":"pause"' "$out" | head -n 1)
pnode=$(echo "$pline" | jq -r '.fault.targets[0]')
ppid=$(echo "$pline" | jq -r ".fault.pids.$pnode.pid")
chains() { local n c=0; for n in n1 n2 n3; do
	c=$((c + $(nem_chains $n | wc -l))); done; echo $c; }
check_eq "partition in force on 3 nodes" 3 "$(chains)"

# While armed, a switch starts no process: the database under test shares
# its node with every switch (the loop used to start ~3 a second each).
# Every process the switches start in 5 s is counted through strace -f.
t1=$EPOCHREALTIME
switches=$(pgrep -f -- "netsplit-deadman $CLUSTER_DIR/" | xargs)
nsw=$(echo $switches | wc -w)
check_eq "a switch per armed target (partition on 3, pause on 1)" 4 "$nsw"
if ! command -v strace >/dev/null; then
	skip "armed switches start no process" "strace missing"
elif [ "$nsw" -gt 0 ]; then
	st=$CLUSTER_DIR/switches.strace
	timeout 5 strace -f -qq -o "$st" \
		-e trace=fork,vfork,clone,clone3 $(printf -- '-p %s ' $switches)
	forks=$(grep -cE '(fork|clone3?)\(' "$st")
	# bound: 1 process per switch per 5 s (the old loop: ~12)
	if [ "$forks" -le "$nsw" ]; then
		pass "armed switches start no process: $forks in 5 s ($nsw switches)"
	else
		fail "armed switches start no process" \
			"$forks processes in 5 s from $nsw switches"
	fi
fi
# the rest of 2 periods + 1 s since the faults started
nap "$(awk -v a="$t1" -v b="$EPOCHREALTIME" -v p=$period \
	'BEGIN { r = p * 2 + 1 - (b - a); printf "%.2f", (r > 0 ? r : 0) }')"
check_eq "renewed: partition still in force after 2 periods" 3 "$(chains)"
check_eq "renewed: $pnode still paused" T "$(nem_state "$pnode" "$ppid")"

nem_kill9
t0=$EPOCHREALTIME
left=1
while [ "$left" != 0 ] || [ "$(nem_state "$pnode" "$ppid")" = T ]; do
	left=$(nem_chains n1 | wc -l)
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v p=$period \
		'BEGIN { exit !(b - a > p + 10) }' && break
	sleep 0.2
done
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
sleep 1	# the other nodes' switches run at the same time
check_eq "dead-man switch removed the partition (${took} s)" 0 "$(chains)"
st=$(nem_state "$pnode" "$ppid")
case $st in T) fail "dead-man switch resumed $pnode" "still T" ;;
*) pass "dead-man switch resumed $pnode ($st, ${took} s)" ;; esac
if awk -v t="$took" -v p=$period 'BEGIN { exit !(t <= p + 8) }'; then
	pass "healed within period + 8 s: ${took} s"
else
	fail "healed within period + 8 s" "${took} s for a ${period} s period"
fi
