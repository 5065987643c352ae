#!/usr/bin/env bash
# t0603-nemesis-clock: clock bump and strobe on the local cluster, where
# nodes share the controller's kernel and clock: only members started
# under libfaketime (the "fake" database) are skewed; with faketime off
# the fault is reported unsupported and no window is recorded.  The
# controller's own clock is never touched.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out

# the member's clock (DIR/now, written every 0.2 s) minus the real one
skew() {
	sleep 0.6
	echo $(($(cat "$CLUSTER_DIR/nodes/$1/fake/now") - $(date +%s)))
}
near() {	# near GOT WANT: |GOT - WANT| <= 2
	local d=$(($1 - $2))
	[ "${d#-}" -le 2 ]
}

nem_config 'nemesis.clock_delta_ms=100000'
t0=$(date +%s)
nem_start "$out" --config "$CLUSTER_DIR/nem.json" --db fake \
	--faults clock-bump --seed 3 --count 2 --hold 10 --gap 60
nem_wait "$out" start 1 60 || die_test "bump starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
pass "bump starts"
targets=$(nem_field "$out" start '.targets | join(" ")')
for n in n1 n2 n3; do
	off=$(nem_field "$out" start ".offset_ms.$n // 0")
	want=$((off / 1000))
	got=$(skew $n)
	if near "$got" "$want"; then
		pass "bump: $n's member runs ${got}s off (offset ${off} ms)"
	else
		fail "bump: $n's member clock" "skew ${got}s, want ${want}s"
	fi
done
check_contains "bump: offsets recorded for targets $targets" '"offset_ms"' \
	"$(grep '^{"event":"start"' "$out")"
now=$(date +%s)
if [ $((now - t0)) -ge 0 ] && [ $((now - t0)) -lt 120 ]; then
	pass "controller clock untouched"
else
	fail "controller clock untouched" "moved by $((now - t0)) s"
fi
nem_wait "$out" stop 1 30 || die_test "bump stops" "no stop event"
for n in n1 n2 n3; do
	got=$(skew $n)
	if near "$got" 0; then pass "bump: $n's member back on time after heal"
	else fail "bump: $n's member back on time" "skew ${got}s"; fi
done
nem_stop
check_eq "bump: driver exits 0 on SIGTERM" 0 $?

# --- strobe: the faketime file flips between +offset and +0 ---------------
nem_start "$out" --config "$CLUSTER_DIR/nem.json" --db fake \
	--faults clock-strobe --seed 5 --count 2 --hold 10 --gap 60
nem_wait "$out" start 1 60 || die_test "strobe starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
node=$(nem_field "$out" start '.targets[0]')
loop=$(nem_field "$out" start ".pids.$node.pid")
check_eq "strobe: loop runs" S "$(nem_state $node $loop | tr R S)"
seen=""
for i in $(seq 12); do
	seen="$seen $(cat "$CLUSTER_DIR/nodes/$node/fake/faketime")"
	sleep 0.07
done
vals=$(echo $seen | tr ' ' '\n' | sort -u | xargs)
case $vals in *+0*" "*|*" "*+0*) pass "strobe: $node flips ($vals)" ;;
*) fail "strobe: $node flips" "saw only '$vals'" ;; esac
nem_wait "$out" stop 1 30 || die_test "strobe stops" "no stop event"
check_eq "strobe: reset to +0 after heal" +0 \
	"$(cat "$CLUSTER_DIR/nodes/$node/fake/faketime")"
st=$(nem_state $node $loop)
case $st in ''|Z) pass "strobe: loop gone" ;;	# a zombie counts as gone
*) fail "strobe: loop gone" "state '$st'" ;; esac
nem_stop
check_eq "strobe: driver exits 0 on SIGTERM" 0 $?

# --- members not under libfaketime: unsupported, no window ---------------
nem_config 'db.faketime=false'
nem_start "$out" --config "$CLUSTER_DIR/nem.json" --db fake \
	--faults clock-bump --hold 1
wait "$NEM_PID"
check_eq "no faketime: driver exits 0" 0 $?
NEM_PID=
check_eq "no faketime: no window (skip event)" 1 \
	"$(grep -c '^{"event":"skip"' "$out")"
check_eq "no faketime: no start event" 0 \
	"$(grep -c '^{"event":"start"' "$out")"
check_contains "no faketime: reported unsupported" \
	"does not run under libfaketime" "$(cat "$out.err")"

nem_shm_check
