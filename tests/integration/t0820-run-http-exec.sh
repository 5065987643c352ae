#!/usr/bin/env bash
# t0820-run-http-exec: the generic workloads drive a real etcd from the
# config alone, under partitions, and the checker judges what their
# patterns parsed.
#
#   - http: etcd's JSON gateway (base64 keys and values, a txn for cas),
#     db etcd, partitions: valid (exit 0), ok reads saw integer values,
#     every one of them written to that key;
#   - the same with a read pattern that captures a constant: the checker
#     finds the anomaly (exit 1), so the parse is what feeds the checker;
#   - exec: etcdctl get / put / txn run on the controller, partitions,
#     kept running (--keep): valid, reads saw written values;
#   - http against that etcd as db 'external' (already running: nothing
#     set up, endpoint from db.endpoint), partitions: valid;
#   - config errors before any node is touched (exit 3, naming the key).
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
command -v etcdctl >/dev/null || die_test etcdctl "etcdctl is not installed"
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"
base=$CLUSTER_CONFIG

# etcd through its JSON gateway.  A cas is ok only when the txn
# succeeded; a 200 without it (the compare failed) is a definite fail.
http_wl='{
  "type": "http",
  "read": {
    "url": "/v3/kv/range",
    "headers": ["Content-Type: application/json",
                "Grpc-Metadata-hasleader: true"],
    "body": "{\"key\":\"{key_b64}\"}",
    "ok_pattern": "\\A200\\n",
    "value_pattern": "\\A200\\n\\{\"header\":\\{[^{}]*\\}(?:,\"kvs\":\\[\\{[^]]*?\"value\":\"(?<value>[^\"]*)\")?",
    "value_encoding": "base64"
  },
  "write": {
    "url": "/v3/kv/put",
    "headers": ["Content-Type: application/json",
                "Grpc-Metadata-hasleader: true"],
    "body": "{\"key\":\"{key_b64}\",\"value\":\"{value_b64}\"}",
    "fail_pattern": "\\A4(?!08)\\d\\d\\n|no leader"
  },
  "cas": {
    "url": "/v3/kv/txn",
    "headers": ["Content-Type: application/json",
                "Grpc-Metadata-hasleader: true"],
    "body": "{\"compare\":[{\"key\":\"{key_b64}\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"{expected_b64}\"}],\"success\":[{\"requestPut\":{\"key\":\"{key_b64}\",\"value\":\"{new_b64}\"}}]}",
    "ok_pattern": "\\A200\\n.*\"succeeded\":true",
    "fail_pattern": "\\A200\\n|\\A4(?!08)\\d\\d\\n|no leader"
  }
}'
# The same with etcdctl (a command per op, shell-quoted placeholders).
exec_wl='{
  "type": "exec",
  "timeout_ms": 4000,
  "read": {
    "command": "etcdctl --endpoints={endpoint} --command-timeout=2s get {key} --print-value-only",
    "value_pattern": "\\A0\\n(?:(?<value>.+)|\\z)"
  },
  "write": {
    "command": "etcdctl --endpoints={endpoint} --command-timeout=2s put {key} {value}",
    "ok_pattern": "\\A0\\nOK"
  },
  "cas": {
    "command": "printf '"'"'value(\"%s\") = \"%s\"\\n\\nput %s %s\\n\\n\\n'"'"' {key} {expected} {key} {new} | etcdctl --endpoints={endpoint} --command-timeout=2s txn",
    "ok_pattern": "\\A0\\nSUCCESS",
    "fail_pattern": "\\A0\\nFAILURE"
  }
}'

mkconf() {	# NAME DB-JSON WORKLOAD-JSON [JQ-FILTER]
	jq --argjson db "$2" --argjson wl "$3" \
		".db = \$db | .workload = \$wl | .nemesis = {\"order\": \"cycle\"} | ${4:-.}" \
		"$base" >"$CLUSTER_DIR/$1.json" ||
		die_test "config $1" "jq failed"
}
latest() { readlink -f "$CLUSTER_DIR/store/local-cluster/latest"; }
run() {	# CONFIG ARGS...: sets OUT, RC, RUN
	local c=$1
	shift
	OUT=$("$NS" run --config "$CLUSTER_DIR/$c.json" "$@" --no-progress \
		2>&1)
	RC=$?
	RUN=$(latest)
}
show() { printf '%s\n' "$OUT" | tail -n "${1:-15}" | sed 's/^/    /'; }
# "N M": ok reads that saw a value, and how many of those saw one never
# written to their key (by a write, or as a cas's new value).
reads_written() {
	jq -rs '
	  ([.[] | select(.type == "invoke" and .f == "write")
	    | "\(.key)=\(.value)"] +
	   [.[] | select(.type == "invoke" and .f == "cas")
	    | "\(.key)=\(.value[1])"]) as $w
	  | (reduce $w[] as $x ({}; .[$x] = true)) as $set
	  | [.[] | select(.type == "ok" and .f == "read" and .value != null)]
	    as $r
	  | "\($r | length) \([$r[] | select(($set["\(.key)=\(.value)"]
	      | not) or (.value | type) != "number")] | length)"' "$1"
}
# checks on a run that should be valid: NAME MIN-READS
valid_run() {
	local n m
	check_eq "$1: exit 0 (valid)" 0 "$RC"
	[ "$RC" = 0 ] || show
	check_eq "$1: linearizable valid" valid \
		"$(jq -r '.checkers[] | select(.checker == "linearizable")
			| .verdict' "$RUN/results.json" 2>/dev/null)"
	read -r n m <<<"$(reads_written "$RUN/history.jsonl")"
	if [ "${n:-0}" -ge "$2" ]; then
		pass "$1: ok reads saw values ($n)"
	else
		fail "$1: ok reads saw values" "only '${n:-0}'"
	fi
	check_eq "$1: every value read was written to its key as an integer" \
		0 "${m:-x}"
	RUN_HISTORY=$RUN/history.jsonl
	windows_ok 1
}

# ===== http against the etcd plug-in, partitions =====
mkconf http '{"type": "etcd"}' "$http_wl"
run http --time-limit 8 --concurrency 5 --nemesis partition \
	--nemesis-interval 3 --seed 11
valid_run "http (etcd gateway)" 20
check_eq "http: run.json names the workload and db" "http etcd" \
	"$(jq -r '"\(.workload) \(.db)"' "$RUN/run.json")"
check_eq "http: cas ops ran, some ok" yes \
	"$(jq -rs '[.[] | select(.f == "cas" and .type == "ok")] |
		if length > 0 then "yes" else "none" end' "$RUN/history.jsonl")"

# ===== a read pattern that captures a constant: an anomaly =====
mkconf bad '{"type": "etcd"}' "$http_wl" \
	'.workload.read.value_pattern = "\\A(?<value>2)00" |
	 .workload.read.value_encoding = "text"'
run bad --time-limit 3 --concurrency 3 --nemesis none --seed 11
check_eq "constant read pattern: exit 1 (anomaly)" 1 "$RC"
[ "$RC" = 1 ] || show
check_eq "constant read pattern: linearizable invalid" invalid \
	"$(jq -r '.checkers[] | select(.checker == "linearizable") | .verdict' \
		"$RUN/results.json" 2>/dev/null)"
check_eq "constant read pattern: every ok read saw 2" 0 \
	"$(jq -c 'select(.type == "ok" and .f == "read" and .value != 2)' \
		"$RUN/history.jsonl" | wc -l)"

# ===== exec: etcdctl, partitions; etcd kept for the next run =====
mkconf exec '{"type": "etcd"}' "$exec_wl"
run exec --time-limit 8 --concurrency 4 --nemesis partition \
	--nemesis-interval 3 --seed 12 --keep
valid_run "exec (etcdctl)" 5
# etcdctl exiting 0 says SUCCESS or FAILURE: never an unknown outcome
# (an info is a timeout or an error exit under the partition)
check_eq "exec: every cas etcdctl answered is ok or fail" 0 \
	"$(jq -c 'select(.f == "cas" and .type == "info" and
		(.error | startswith("unrecognised answer: 0 ")))' \
		"$RUN/history.jsonl" | wc -l)"
check_eq "exec: cas outcomes parsed (ok on SUCCESS, fail on FAILURE)" yes \
	"$(jq -rs '[.[] | select(.f == "cas" and (.type == "ok" or
		(.type == "fail" and .error == "failed: 0 FAILURE")))] |
		if length > 0 then "yes" else "none" end' \
		"$RUN/history.jsonl")"

# ===== http against that etcd as an external service =====
# (keys of its own: the exec run's keys still hold its values, which a
# register starting at nil must not read)
mkconf ext '{"type": "external", "endpoint": "http://{host}:2379"}' \
	"$http_wl" '.workload.key_prefix = "ext-"'

run ext --time-limit 6 --concurrency 4 --nemesis partition \
	--nemesis-interval 2 --seed 13
valid_run "http (db external)" 10
check_eq "external: run.json db" external "$(jq -r .db "$RUN/run.json")"

# ===== config errors, before any node is touched =====
mkconf badpat '{"type": "etcd"}' "$http_wl" \
	'.workload.read.value_pattern = "(?<value>[0-9]+"'
run badpat --time-limit 1
check_eq "bad pattern: exit 3" 3 "$RC"
check_contains "bad pattern: names the key, pcre2's message and offset" \
	"'workload.read.value_pattern': missing closing parenthesis at offset 15" \
	"$OUT"
mkconf badph '{"type": "external"}' "$exec_wl" \
	'.workload.write.command = "etcdctl put {key} {valeu}"'
run badph --time-limit 1
check_eq "unknown placeholder: exit 3" 3 "$RC"
check_contains "unknown placeholder: names the key and offset" \
	"'workload.write.command': unknown placeholder '{valeu}' at offset 18" \
	"$OUT"
run ext --time-limit 1 --workload register
check_eq "external with the register workload: exit 3" 3 "$RC"
check_contains "external with register: says what register runs against" \
	"workload 'register' runs against db 'etcd', not 'external'" "$OUT"
