#!/usr/bin/env bash
# t0812-postgres-lag-heal: a replica-lag fault (WAL replay paused on both
# PostgreSQL replicas, n2 and n3; primary n1) outlives its controller's
# kill -9.  On n2 the dead-man switch alone (3 s period) resumes replay;
# n3's switch is killed first, so n3 stays paused until `netsplit heal`
# resumes it from the journal alone.  Each replica reports its state
# through pg_get_wal_replay_pause_state() on its own socket.
# Then a pause of the primary stops the postmaster and every child it
# forked (backends, WAL senders), and its stop resumes them all.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
NS=$NETSPLIT
cfg=$CLUSTER_DIR/pg.json
jq '.db = {"type": "postgres", "replicas": 2, "settings": {"fsync": false}}' \
	"$CLUSTER_CONFIG" >"$cfg"
at_exit "$NS" heal --config "$cfg"
out=$CLUSTER_DIR/nem.out
period=3

replay() {
	on_node "$1" runuser -u postgres -- psql -X -At \
		-h "$CLUSTER_DIR/nodes/$1/postgres/run" -U postgres \
		-d postgres -c 'SELECT pg_get_wal_replay_pause_state()' 2>&1
}
switches() { pgrep -f -- "netsplit-deadman $CLUSTER_DIR/" | wc -l; }

nem_start "$out" --config "$cfg" --db postgres --faults replica-lag-all \
	--deadman $period --hold 300
nem_wait "$out" start 1 90 || die_test "replica-lag starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
check_eq "the fault's targets are the replicas" n2,n3 \
	"$(grep -m1 '"event":"start"' "$out" |
		jq -r '.fault.targets | sort | join(",")')"
check_eq "replay paused on n2" paused "$(replay n2)"
check_eq "replay paused on n3" paused "$(replay n3)"
check_eq "a dead-man switch per replica" 2 "$(switches)"

# n3 loses its switch (killed by pid, from the journal), then the
# controller dies: nothing renews the leases any more.
j=$(ls "$CLUSTER_DIR"/store/nemesis/*/nemesis.journal | head -n 1)
sw3=$(grep '"event":"applied"' "$j" | tail -n 1 |
	jq -r '.fault.targets[] | select(.node == "n3") | .deadman_pid')
if [ "${sw3:-0}" -gt 0 ] 2>/dev/null &&
	tr '\0' ' ' <"/proc/$sw3/cmdline" | grep -q netsplit-deadman; then
	kill -9 "$sw3"
	pass "n3's dead-man switch killed (pid $sw3)"
else
	fail "n3's dead-man switch killed" "no switch pid '$sw3' in $j"
fi
nem_kill9
t0=$EPOCHREALTIME
while [ "$(replay n2)" = paused ]; do
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v p=$period \
		'BEGIN { exit !(b - a > p + 12) }' && break
	sleep 0.2
done
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
check_eq "dead-man switch resumed replay on n2 (${took} s)" "not paused" \
	"$(replay n2)"
if awk -v t="$took" -v p=$period 'BEGIN { exit !(t <= p + 8) }'; then
	pass "healed within period + 8 s: ${took} s"
else
	fail "healed within period + 8 s" "${took} s for a ${period} s period"
fi
check_eq "without a switch, n3 stays paused" paused "$(replay n3)"
check "journal: the fault is not recorded as healed" \
	sh -c "! grep -q '\"event\":\"healed\"' '$j'"

hout=$("$NS" heal --config "$cfg" 2>&1)
check_eq "netsplit heal exits 0" 0 "$?"
[ -n "$hout" ] && echo "$hout" | sed 's/^/    /' | tail -n 4
check_eq "netsplit heal resumed replay on n3" "not paused" "$(replay n3)"
check_eq "n2 still not paused (undo is idempotent)" "not paused" \
	"$(replay n2)"
check "journal: healed" grep -q '"event":"healed"' "$j"
check_eq "no dead-man switch left" 0 "$(switches)"

# --- pause: the primary's whole process family, not only the postmaster ---
out2=$CLUSTER_DIR/nem2.out
pmpid() { head -n 1 "$CLUSTER_DIR/nodes/n1/postgres/data/postmaster.pid" 2>/dev/null; }
# children of PID on n1 in state T, and in all
kids() {
	local k st t=0 all=0
	for k in $(on_node n1 pgrep -P "$1"); do
		st=$(nem_state n1 "$k")
		[ -n "$st" ] || continue
		all=$((all + 1))
		[ "$st" = T ] && t=$((t + 1))
	done
	echo "$t/$all"
}
# (a second pause, 30 s later, keeps the driver and so the database alive
# while the first one's end is checked)
nem_start "$out2" --config "$cfg" --db postgres --faults pause-leader \
	--count 2 --hold 5 --gap 30
nem_wait "$out2" start 1 90 || die_test "pause-leader starts" \
	"$(tail -n 5 "$out2.err" | tr '\n' ' ')"
pm=$(pmpid)
check_eq "pause: the postmaster (pid $pm) in state T" T "$(nem_state n1 "$pm")"
k=$(kids "$pm")
if [ "${k#*/}" -gt 0 ] && [ "${k%/*}" = "${k#*/}" ]; then
	pass "pause: every child of the postmaster stopped ($k)"
else
	fail "pause: every child of the postmaster stopped" "$k in state T"
fi
nem_wait "$out2" stop 1 30 || die_test "pause stops" "no stop event"
st=$(nem_state n1 "$pm")
case $st in
T | Z | '') fail "pause over: the postmaster runs" "state '$st'" ;;
*) pass "pause over: the postmaster runs ($st)" ;;
esac
k=$(kids "$pm")
check_eq "pause over: no child of the postmaster stopped" 0 "${k%/*}"
nem_stop
