#!/usr/bin/env bash
# t0506-run-untested: a broken workload config shows why, on 3 nodes
# (db fake, the exec workload: commands on the controller, so nothing
# but the commands themselves can fail).
#
#   - a write command that is not found (every write info, exit 127)
#     beside a read that works: the console prints the ops by name with
#     the most common error under "ops:", results.json keeps them in
#     history.by_op, summary.md shows them;
#     and since no write succeeded the run tested nothing about writes:
#     unknown (exit 2), the reason naming the op and its error;
#   - a working register in a file: reads and writes ok, no error shown,
#     valid (exit 0).
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
tmp=$(mktemp -d /tmp/ns-t0506.XXXXXX)
at_exit rm -rf "$tmp"

# A register per key in a file under $tmp: written by rename (atomic),
# read with cat (a missing file reads nil).
good_wl=$(jq -n --arg d "$tmp/reg" '{
  "type": "exec",
  "timeout_ms": 2000,
  "read": {
    "command": ("cat " + $d + "/{key} 2>/dev/null; true"),
    "value_pattern": "\\A0\\n(?:(?<value>\\d+)|\\z)"
  },
  "write": {
    "command": ("mkdir -p " + $d + " && echo {value} > " + $d +
                "/{key}.$$ && mv " + $d + "/{key}.$$ " + $d + "/{key}")
  }
}')
broken_wl=$(jq -n '{
  "type": "exec",
  "timeout_ms": 2000,
  "read": { "command": "true", "value_pattern": "\\A0\\n(?:(?<value>\\d+)|\\z)" },
  "write": { "command": "netsplit-no-such-command {key} {value}" }
}')
mkconf() {	# NAME WORKLOAD-JSON
	jq --argjson wl "$2" --arg s "$tmp/store-$1" \
		'.db = {"type": "fake", "faketime": false} | .workload = $wl |
		 .store_dir = $s' "$CLUSTER_CONFIG" >"$tmp/$1.json" ||
		die_test "config $1" "jq failed"
}
run() {	# NAME ARGS...: sets OUT, RC, RUN
	local name=$1
	shift
	OUT=$("$NS" run --config "$tmp/$name.json" --nemesis none \
		--no-progress --concurrency 2 "$@" 2>&1)
	RC=$?
	RUN=$(readlink -f "$tmp/store-$name"/*/latest)
}
show() { printf '%s\n' "$OUT" | tail -n 15 | sed 's/^/    /'; }

# ===== write command not found =====
mkconf broken "$broken_wl"
run broken --time-limit 2 --seed 3
check_contains "broken: console shows the writes' error" \
	"  write: 0 ok, 0 fail, " "$OUT"
check_contains "broken: console names the error (exit 127)" "info 'unrecognised answer: 127; stderr: sh: 1: netsplit-no-such-command: not found'" "$OUT"
check_contains "broken: console shows the reads" "  read: " "$OUT"
check_eq "broken: results.json by_op write ok 0, errors counted" \
	"0 true" "$(jq -r '.history.by_op[] | select(.f == "write")
		| "\(.ok) \(.info == .errors[0].count and .info >= 10)"' \
		"$RUN/results.json" 2>/dev/null)"
check_contains "broken: results.json error text" "netsplit-no-such-command: not found" \
	"$(jq -r '.history.by_op[] | select(.f == "write") | .errors[0].error' \
		"$RUN/results.json" 2>/dev/null)"
check_contains "broken: summary.md has the ops table" \
	"| write | 0 | 0 |" "$(cat "$RUN/summary.md" 2>/dev/null)"
[ -s "$RUN/results.json" ] || show
# no write succeeded: the run tested nothing about writes (was: valid, 0)
check_eq "broken: exit 2 (unknown)" 2 "$RC"
check_contains "broken: console verdict names the op and its error" \
	"verdict: unknown (no write succeeded (" "$OUT"
check_contains "broken: results.json says why" \
	"no write succeeded (" "$(jq -r .verdict_reason "$RUN/results.json" \
		2>/dev/null)"
check_eq "broken: results.json verdict unknown" unknown \
	"$(jq -r .verdict "$RUN/results.json" 2>/dev/null)"
check_eq "broken: run.json exit_code 2" 2 \
	"$(jq -r .exit_code "$RUN/run.json" 2>/dev/null)"

# ===== a register that works: no errors =====
mkconf good "$good_wl"
run good --time-limit 2 --seed 3
check_eq "good: exit 0 (valid)" 0 "$RC"
[ "$RC" = 0 ] || show
check_eq "good: reads and writes ok, none failed" "read true 0;write true 0" \
	"$(jq -r '[.history.by_op[] | "\(.f) \(.ok > 0) \(.fail + .info)"]
		| join(";")' "$RUN/results.json" 2>/dev/null)"
