#!/usr/bin/env bash
# t0607-run-nemesis-failures: `netsplit run` (etcd, 3 nodes, partitions)
# when the nemesis itself has trouble.
#
# 1. A clean run: every fault window in the history is closed, and no
#    dead-man lease file is left on any node afterwards; --seed, not the
#    config's nemesis.seed, seeds the fault schedule.
# 2. A fault that fails to start (n1's dead-man directory is replaced by
#    a file before the first fault, so arming fails there): the run
#    exits 4, and the failed start is followed by its stop in the
#    history (every start has a stop).
# 3. Lease renewals that fail while a partition is in force (every
#    node's dead-man directory replaced by a file): the run warns naming
#    the node and fails as a harness error (exit 4) instead of letting
#    the switches heal the fault behind the history's back.
# 4. A stop that fails (another chain jumps to the fault's chain on n2):
#    the run exits 4, the stop's info is recorded only after heal-all
#    (with its error, the jump is still there): every start has its
#    stop; `netsplit heal` heals it once the jump is gone.
# Each run that failed still ends its run.json: the faults applied before
# the error (none for a start that failed), the exit code and the error.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"
tmp=$CLUSTER_DIR/t0607
mkdir -p "$tmp"

nemdir() { echo "$CLUSTER_DIR/nodes/$1/netsplit-nemesis"; }
break_dir() {	# replace nK's dead-man directory by a file
	local d
	d=$(nemdir "$1")
	rm -rf "$d.away"
	mv "$d" "$d.away" && : >"$d"
}
mend_dir() {
	local d
	d=$(nemdir "$1")
	[ -d "$d.away" ] || return 0
	rm -f "$d"
	mv "$d.away" "$d"
}
for n in n1 n2 n3; do at_exit mend_dir $n; done

windows() {	# "starts stops" (invokes) of the nemesis in history $1
	jq -s -r '[.[] | select(.process == "nemesis" and .type == "invoke")]
	  | "\([.[] | select(.f | startswith("start-"))] | length) \([.[] | select(.f | startswith("stop-"))] | length)"' "$1"
}
# run.json of the failed run in $1 ends with exit 4, an error
# containing $3, and $2 faults applied
run_json_ended() {
	local name=$1 applied=$2 why=$3 rj
	rj=$(readlink -f "$4")/run.json
	check_eq "$name: run.json: exit 4, faults applied, not interrupted" \
		"4 $applied false" \
		"$(jq -r '"\(.exit_code) \(.faults_applied | length) \(.interrupted)"' "$rj")"
	check "$name: run.json: the error, and when the run ended" \
		jq -e --arg why "$why" '(.error | contains($why)) and
		  (.end_time | length > 0)' "$rj"
}
# wait until $1 exists (or the run $2 ended)
wait_file() {
	local i
	for i in $(seq 600); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		nap 0.05
	done
	return 1
}

# --- 1. a clean run ------------------------------------------------------------
jq ".store_dir = \"$tmp/s1\" | .nemesis = {\"faults\": \"partition-halves\",
    \"interval_s\": 2, \"seed\": 99}" "$CLUSTER_CONFIG" >"$tmp/c1.json"
out=$("$NS" run --config "$tmp/c1.json" --time-limit 7 --concurrency 3 \
	--seed 3 --no-progress 2>&1)
rc=$?
check_eq "clean run: exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -n 10 | sed 's/^/    /'
h=$(readlink -f "$tmp/s1/local-cluster/latest")/history.jsonl
check_eq "clean run: --seed beats the config's nemesis.seed" 3 \
	"$(jq -r .nemesis_seed "$(dirname "$h")/run.json")"
w=$(windows "$h")
check_eq "clean run: every start has its stop" "${w% *}" "${w#* }"
leases=$(ls "$CLUSTER_DIR"/nodes/n*/netsplit-nemesis/*.lease 2>/dev/null)
check_eq "clean run: no lease file left on any node" "" "$leases"

# --- 2. a fault that fails to start -----------------------------------------
jq ".store_dir = \"$tmp/s2\" | .nemesis = {\"faults\": \"partition-halves\",
    \"interval_s\": 3}" "$CLUSTER_CONFIG" >"$tmp/c2.json"
at_exit "$NS" heal --config "$tmp/c2.json"
"$NS" run --config "$tmp/c2.json" --time-limit 20 --concurrency 3 \
	--seed 3 --no-progress >"$tmp/r2.out" 2>&1 &
pid=$!
# the nemesis probed every node (it made the directories) before run.json
wait_file "$tmp/s2/local-cluster/latest/run.json" $pid ||
	die_test "run 2 starts" "$(tail -n 5 "$tmp/r2.out" | tr '\n' ' ')"
break_dir n1
wait $pid
rc=$?
mend_dir n1
check_eq "failed start: run exits 4" 4 "$rc"
h=$(readlink -f "$tmp/s2/local-cluster/latest")/history.jsonl
check "failed start: the start's info carries the error" \
	jq -e -s '[.[] | select(.process == "nemesis" and .type == "info" and (.f | startswith("start-")))] | .[0].error | length > 0' "$h"
w=$(windows "$h")
check_eq "failed start: every start has its stop" "${w% *}" "${w#* }"
check_eq "failed start: the stop completes" "${w#* }" \
	"$(jq -s '[.[] | select(.process == "nemesis" and .type == "info" and (.f | startswith("stop-")))] | length' "$h")"
run_json_ended "failed start" 0 "nemesis: " "$tmp/s2/local-cluster/latest"
for n in n1 n2 n3; do
	check_eq "failed start: $n: no netsplit chain" 0 \
		"$(on_node $n iptables -S 2>/dev/null | grep -c -- '-N NS-')"
done

# --- 3. lease renewals that fail ----------------------------------------------
jq ".store_dir = \"$tmp/s3\" | .nemesis = {\"faults\": \"partition-halves\",
    \"interval_s\": 3, \"deadman_s\": 3}" "$CLUSTER_CONFIG" >"$tmp/c3.json"
at_exit "$NS" heal --config "$tmp/c3.json"
"$NS" run --config "$tmp/c3.json" --time-limit 30 --concurrency 3 \
	--nemesis-interval 10 --seed 3 --no-progress >"$tmp/r3.out" 2>&1 &
pid=$!
j=$tmp/s3/local-cluster/latest/nemesis.journal
wait_file "$j" $pid ||
	die_test "run 3: a fault starts" "$(tail -n 5 "$tmp/r3.out" | tr '\n' ' ')"
for i in $(seq 400); do	# the partition is in force
	grep -q '"event":"applied"' "$j" && break
	kill -0 $pid 2>/dev/null || break
	nap 0.05
done
for n in n1 n2 n3; do break_dir $n; done
wait $pid
rc=$?
for n in n1 n2 n3; do mend_dir $n; done
out=$(cat "$tmp/r3.out")
check_eq "renewals fail: run exits 4" 4 "$rc"
check_contains "renewals fail: says the lease was not renewed" \
	"dead-man lease was not renewed" "$out"
check "renewals fail: a warning names the node" grep -Eq \
	'lease not renewed \(1 in a row\): n[1-3]: ' "$tmp/r3.out"
w=$(windows "$(readlink -f "$tmp/s3/local-cluster/latest")/history.jsonl")
check_eq "renewals fail: every start has its stop" "${w% *}" "${w#* }"
run_json_ended "renewals fail" 1 "dead-man lease was not renewed" \
	"$tmp/s3/local-cluster/latest"
for n in n1 n2 n3; do
	check_eq "renewals fail: $n: no netsplit chain" 0 \
		"$(on_node $n iptables -S 2>/dev/null | grep -c -- '-N NS-')"
done

# --- 4. a stop that fails: the window stays open until heal-all ------------
jq ".store_dir = \"$tmp/s4\" | .nemesis = {\"faults\": \"partition-halves\",
    \"interval_s\": 4, \"deadman_s\": 60}" "$CLUSTER_CONFIG" >"$tmp/c4.json"
at_exit "$NS" heal --config "$tmp/c4.json"
"$NS" run --config "$tmp/c4.json" --time-limit 30 --concurrency 3 \
	--seed 3 --no-progress >"$tmp/r4.out" 2>&1 &
pid=$!
j=$tmp/s4/local-cluster/latest/nemesis.journal
wait_file "$j" $pid ||
	die_test "run 4: a fault starts" "$(tail -n 5 "$tmp/r4.out" | tr '\n' ' ')"
for i in $(seq 400); do
	grep -q '"event":"applied"' "$j" && break
	kill -0 $pid 2>/dev/null || break
	nap 0.05
done
id=$(grep '"event":"applied"' "$j" | head -n 1 | jq -r .fault.id)
unjump() { on_node n2 iptables -D FORWARD -j "$1" 2>/dev/null; }
at_exit unjump "NS-$id"
on_node n2 iptables -A FORWARD -j "NS-$id"	# its undo now fails on n2
wait $pid
rc=$?
check_eq "failed stop: run exits 4" 4 "$rc"
h=$(readlink -f "$tmp/s4/local-cluster/latest")/history.jsonl
w=$(windows "$h")
check_eq "failed stop: every start has its stop" "${w% *}" "${w#* }"
check "failed stop: the stop's info comes after heal-all, with its error" \
	jq -e -s '[.[] | select(.process == "nemesis")] | last
	  | .type == "info" and (.f | startswith("stop-")) and
	    (.error | length > 0)' "$h"
run_json_ended "failed stop" 1 "$id" "$tmp/s4/local-cluster/latest"
unjump "NS-$id"
check "failed stop: netsplit heal heals it" \
	"$NS" heal --config "$tmp/c4.json"
for n in n1 n2 n3; do
	check_eq "failed stop: $n: no netsplit chain" 0 \
		"$(on_node $n iptables -S 2>/dev/null | grep -c -- '-N NS-')"
done
