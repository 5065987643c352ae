#!/usr/bin/env bash
# t0500-run-basic: `netsplit run` against etcd on 3 nodes, no faults.
#
# The run is valid with ok operations; the run directory holds run.json
# (seed, nodes, config as used), history.jsonl (parseable, every op
# completed, final reads), logs/<node>/etcd.log, results.json, and the
# `latest` link; `netsplit check` on the recorded history agrees; the
# same seed gives the same operations; nothing is left running; a
# controller killed with -9 leaves a history that still checks.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
store=$CLUSTER_DIR/store
# etcd members of this cluster still running (observed, not killed).
etcd_left() {
	pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/etcd/data" | wc -l
}

out=$("$NS" run --config "$CLUSTER_CONFIG" --time-limit 4 --seed 7 \
	--concurrency 4 2>&1)
rc=$?
check_eq "run exits 0 (valid)" 0 "$rc"
check_contains "run prints the verdict" "verdict: valid" "$out"
# stderr is no terminal here: progress as plain lines, the last at 4 s
check "progress in a log: a plain line at the end" \
	grep -qE '^\[ +4/4 s\] +[0-9]+ ops/s  ok [0-9]+' <<<"$out"
check "progress in a log: no terminal codes" \
	test "$(grep -c $'\r\|\033' <<<"$out")" = 0
run=$(readlink -f "$store/local-cluster/latest")
check "latest link points at a run directory" test -d "$run"
for f in run.json history.jsonl results.json logs/n1/etcd.log \
	logs/n2/etcd.log logs/n3/etcd.log; do
	check "file $f" test -s "$run/$f"
done

check_eq "run.json: seed, db, workload, concurrency, nodes" \
	"7 etcd register 4 n1,n2,n3" \
	"$(jq -r '"\(.seed) \(.db) \(.workload) \(.concurrency) \([.nodes[].name] | join(","))"' "$run/run.json")"
check_eq "run.json: config as used has the override" 4 \
	"$(jq -r '.config.run.concurrency' "$run/run.json")"
check_eq "results.json: verdict valid" valid \
	"$(jq -r .verdict "$run/results.json")"
check_eq "results.json: linearizable checker ran" "linearizable valid" \
	"$(jq -r '.checkers[] | select(.checker == "linearizable") | "\(.checker) \(.verdict)"' "$run/results.json")"
# The control for the session and stale checkers: linearizable reads
# without faults break no session guarantee and are never stale.
check_eq "results.json: session and stale checkers valid" \
	"session valid 0;stale valid 0" \
	"$(jq -r '[.checkers[] | select(.checker == "session" or .checker == "stale") | "\(.checker) \(.verdict) \(.anomaly_count)"] | join(";")' "$run/results.json")"
ok=$(jq -r .history.ok "$run/results.json")
if [ "${ok:-0}" -gt 50 ]; then pass "ok ops recorded ($ok)"
else fail "ok ops recorded" "only '$ok'"; fi

# The history: valid JSON Lines, every invoke completed, fields present.
h=$run/history.jsonl
check "history.jsonl is JSON Lines" jq -e . "$h"
inv=$(jq -c 'select(.type == "invoke")' "$h" | wc -l)
done_=$(jq -c 'select(.type != "invoke")' "$h" | wc -l)
check_eq "every invoke has a completion" "$inv" "$done_"
check_eq "ops carry key, node, session" 0 \
	"$(jq -c 'select(.key == null or .node == null or .session == null)' "$h" | wc -l)"
check_eq "ok reads and writes carry a version" 0 \
	"$(jq -c 'select(.type == "ok" and .version == null)' "$h" | wc -l)"
finals=$(jq -c 'select(.final == true and .type == "ok")' "$h" | wc -l)
if [ "$finals" -ge 1 ]; then pass "final reads recorded ($finals ok)"
else fail "final reads recorded" "none ok"; fi
check_eq "time never goes backwards" 0 \
	"$(jq -r .time "$h" | awk 'NR > 1 && $1 < p { n++ } { p = $1 } END { print n + 0 }')"

out2=$("$NS" check "$h" 2>&1)
check_eq "netsplit check agrees (exit 0)" 0 "$?"
check_contains "netsplit check says linearizable" "valid" "$out2"

# Same seed, same operations (the first op of each worker).
"$NS" run --config "$CLUSTER_CONFIG" --time-limit 1 --seed 7 \
	--concurrency 4 >/dev/null 2>&1
run2=$(readlink -f "$store/local-cluster/latest")
first() {
	jq -r 'select(.type == "invoke") | "\(.session) \(.f) \(.key) \(.value)"' \
		"$1/history.jsonl" | sort -n -s -k1,1 | awk '!seen[$1]++'
}
if [ "$run2" != "$run" ] && [ "$(first "$run")" = "$(first "$run2")" ]; then
	pass "same seed, same first op per worker"
else
	fail "same seed, same first op per worker" \
		"$(first "$run" | tr '\n' ';') vs $(first "$run2" | tr '\n' ';')"
fi

# --test-count repeats the whole run, each with the next seed, each in its
# own run directory.
before=$(ls "$store/local-cluster" | grep -c -v latest)
out3=$("$NS" run --config "$CLUSTER_CONFIG" --time-limit 1 --seed 40 \
	--test-count 2 --concurrency 2 --no-progress 2>&1)
check_eq "--test-count 2 exits 0" 0 "$?"
check_contains "--test-count announces run 1/2" "run 1/2 (seed 40)" "$out3"
check_contains "--test-count announces run 2/2" "run 2/2 (seed 41)" "$out3"
# the last lines judge all the runs, not only the last one (a CI log
# read from the bottom would see run 2's verdict alone)
check_eq "--test-count ends with the verdict over every run" \
	"runs: 2 of 2 (2 valid, 0 invalid, 0 unknown); verdict over all: valid" \
	"$(tail -n 1 <<<"$out3")"
after=$(ls "$store/local-cluster" | grep -c -v latest)
check_eq "--test-count 2 writes two run directories" 2 "$((after - before))"
check_eq "the two runs carry seeds 40 and 41" "40 41" \
	"$(for d in $(ls -d "$store"/local-cluster/2*/ | sort | tail -n 2); do jq -r .seed "$d/run.json"; done | sort -n | tr '\n' ' ' | sed 's/ $//')"

# Torn down: no etcd member left, data removed, logs kept.
left=$(etcd_left)
check_eq "no etcd process left" 0 "$left"
check "data dir removed" test ! -e "$CLUSTER_DIR/nodes/n1/etcd/data"

# --keep leaves the members running (then we stop them).
"$NS" run --config "$CLUSTER_CONFIG" --time-limit 1 --keep \
	>/dev/null 2>&1
left=$(etcd_left)
check_eq "--keep leaves 3 members running" 3 "$left"

# A controller killed with -9 mid-run loses nothing already recorded: the
# history it streamed reads back, ops in flight count as indeterminate.
# (The next run's set-up also replaces the members --keep left running.)
prev=$(readlink -f "$store/local-cluster/latest")
"$NS" run --config "$CLUSTER_CONFIG" --time-limit 30 --no-progress \
	>/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do
	crun=$(readlink -f "$store/local-cluster/latest")
	[ "$crun" != "$prev" ] && [ -f "$crun/history.jsonl" ] &&
		[ "$(grep -c "^{" "$crun/history.jsonl")" -gt 200 ] && break
	sleep 0.2
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
check "controller crash: history.jsonl recorded" \
	test "$(grep -c '^{' "$crun/history.jsonl")" -gt 0
out=$("$NS" check "$crun/history.jsonl" 2>&1)
check_eq "controller crash: the history checks (exit 0)" 0 "$?"
# without --checker, as the run would have: its workload's checkers
check_contains "check: the run's workload's checkers, said" \
	"workload 'register' (its run.json): linearizable,session,stale" "$out"
check_eq "check: each of them ran" "linearizable session stale" \
	"$(grep -oE '^(linearizable|session|stale):' <<<"$out" | tr -d : |
	   tr '\n' ' ' | sed 's/ $//')"
# (a line the kill cut short is skipped, as netsplit check skips it)
pending=$(jq -R 'fromjson? | .type' "$crun/history.jsonl" |
	jq -s '(map(select(. == "invoke")) | length) - (map(select(. != "invoke")) | length)')
if [ "${pending:-0}" -ge 1 ]; then
	pass "controller crash: $pending op(s) in flight recorded as invoked"
else
	fail "controller crash: ops in flight recorded as invoked" \
		"pending '$pending'"
fi
for n in n1 n2 n3; do
	kill -9 "$(cat "$CLUSTER_DIR/nodes/$n/etcd/etcd.pid")" 2>/dev/null
done
