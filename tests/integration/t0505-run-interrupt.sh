#!/usr/bin/env bash
# t0505-run-interrupt: `netsplit run` stopped by SIGINT on 3 nodes.
#
# A cancelled run (Ctrl-C, a CI job cancelled with SIGTERM) heals,
# checks what it recorded, and never passes: with no anomaly in the
# history it exits 2, "verdict: unknown (interrupted)", results.json
# says so; --test-count starts no further run; nothing is left running;
# run.json records the interruption.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
store=$CLUSTER_DIR/store
out=$CLUSTER_DIR/t0505.out

"$NS" run --config "$CLUSTER_CONFIG" --time-limit 30 --test-count 3 \
	--seed 50 --concurrency 2 --nemesis none --no-progress \
	>"$out" 2>&1 &
pid=$!
stop_run() { [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null; }
at_exit stop_run
crun=
for _ in $(seq 150); do
	crun=$(readlink -f "$store/local-cluster/latest" 2>/dev/null)
	[ -n "$crun" ] && [ -f "$crun/history.jsonl" ] &&
		[ "$(grep -c "^{" "$crun/history.jsonl")" -gt 50 ] && break
	nap 0.2
done
check "history recorded before the signal" test -s "$crun/history.jsonl"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
text=$(cat "$out")
check_eq "SIGINT: exit 2 (unknown), not 0" 2 "$rc"
check_contains "SIGINT: verdict unknown (interrupted)" \
	"verdict: unknown (interrupted)" "$text"
check_eq "results.json: verdict unknown, reason interrupted" \
	"unknown interrupted true" \
	"$(jq -r '"\(.verdict) \(.verdict_reason) \(.interrupted)"' "$crun/results.json")"
check_eq "SIGINT: --test-count 3 starts no further run" 1 \
	"$(ls "$store/local-cluster" | grep -c -v latest)"
check_eq "SIGINT: no etcd member left" 0 \
	"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/etcd/data" | wc -l)"
check_eq "SIGINT: run.json records the interruption" "2 true" \
	"$(jq -r '"\(.exit_code) \(.interrupted)"' "$crun/run.json")"

