#!/usr/bin/env bash
# t0505-run-interrupt: `netsplit run` stopped by SIGINT on 3 nodes.
#
# A cancelled run (Ctrl-C, a CI job cancelled with SIGTERM) heals,
# checks what it recorded, and never passes: with no anomaly in the
# history it exits 2, "verdict: unknown (interrupted)", results.json
# says so; --test-count starts no further run; nothing is left running;
# run.json records the interruption.
# A signal after a run's verdict (raised there by the test hook
# NETSPLIT_TEST_RAISE=after-verdict) with --test-count runs left: the
# run's verdict stands (valid, and results.json agrees it was not cut
# short), but the command never exits 0 and starts no further run.
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
check "history recorded before the signal" \
	test "$(grep -c '^{' "$crun/history.jsonl")" -gt 0
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
# what a CI job reads: junit.xml is not green, and the run says which
# nemesis it ran ('none', not an empty field the reports call 'unknown')
check_eq "SIGINT: junit.xml has the interruption as an error" 1 \
	"$(xmllint --xpath 'count(//testcase[@name="run"]/error[@type="interrupted"])' \
		"$crun/junit.xml" 2>/dev/null)"
check_eq "run.json: --nemesis none is recorded as none" none \
	"$(jq -r .nemesis "$crun/run.json")"
check_contains "summary.md: nemesis none" "nemesis: none" \
	"$(cat "$crun/summary.md")"

# --- a signal between the verdict and the reports, runs left -------------
jq ".store_dir = \"$CLUSTER_DIR/store2\"" "$CLUSTER_CONFIG" \
	>"$CLUSTER_DIR/t0505-2.json"
NETSPLIT_TEST_RAISE=after-verdict "$NS" run \
	--config "$CLUSTER_DIR/t0505-2.json" --time-limit 2 --test-count 2 \
	--seed 51 --concurrency 2 --nemesis none --no-progress \
	>"$out" 2>&1
rc=$?
text=$(cat "$out")
crun=$(readlink -f "$CLUSTER_DIR/store2/local-cluster/latest")
check_eq "signal after the verdict: exit 2, not 0" 2 "$rc"
check_contains "signal after the verdict: the run's verdict stands" \
	"verdict: valid" "$text"
check_contains "signal after the verdict: says no further run" \
	"no further run" "$text"
check_eq "signal after the verdict: results.json agrees with itself" \
	"valid false" \
	"$(jq -r '"\(.verdict) \(.interrupted)"' "$crun/results.json")"
check_eq "signal after the verdict: --test-count 2 starts no second run" 1 \
	"$(ls "$CLUSTER_DIR/store2/local-cluster" | grep -c -v latest)"
check_eq "signal after the verdict: no etcd member left" 0 \
	"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/etcd/data" | wc -l)"
