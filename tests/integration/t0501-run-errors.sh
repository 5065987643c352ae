#!/usr/bin/env bash
# t0501-run-errors: `netsplit run` failing cleanly on 3 nodes.
#
# A bad config key or type exits 3 naming the key before touching any
# node; an unreachable node exits 4 naming it and creates nothing; a
# database that never becomes healthy (a bad etcd flag) exits 4 with the
# node's log tail, and no member is left running; its run.json says how
# the run ended (exit 4, the error).
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
tmp=$(mktemp -d /tmp/ns-t0501.XXXXXX)
at_exit rm -rf "$tmp"

members() {
	pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/etcd/data" | wc -l
}

# --- config errors: exit 3, naming the key, nothing created ---------------
bad() {	# NAME JQ-FILTER KEY [FLAGS...]
	local name=$1 filter=$2 key=$3 out rc
	shift 3
	jq "$filter | .store_dir = \"$tmp/store-$name\"" "$CLUSTER_CONFIG" \
		>"$tmp/$name.json"
	out=$("$NS" run --config "$tmp/$name.json" --time-limit 1 "$@" 2>&1)
	rc=$?
	check_eq "$name: exit 3" 3 "$rc"
	case $key in
	--*) check_contains "$name: names $key" "$key:" "$out" ;;
	*) check_contains "$name: names '$key'" "'$key'" "$out" ;;
	esac
	check "$name: no run directory" test ! -e "$tmp/store-$name"
}
bad unknown-run-key '.run = {"time_limt_s": 3}' run.time_limt_s
bad wrong-type '.run = {"concurrency": "many"}' run.concurrency
bad unknown-db-key '.db = {"type": "etcd", "clientport": 1}' db.clientport
bad unknown-workload-key '.workload = {"read_mod": "serializable"}' \
	workload.read_mod
bad bad-read-mode '.' --read-mode --read-mode eventually
bad bad-read-mode-in-file '.workload = {"read_mode": "eventually"}' \
	workload.read_mode
bad unknown-db '.db = {"type": "cassandra"}' db.type
out=$("$NS" run --config "$CLUSTER_CONFIG" --time-limit soon 2>&1)
check_eq "bad flag value: exit 3" 3 "$?"
check_contains "bad flag value: names the flag" "--time-limit" "$out"
check_eq "config errors started no member" 0 "$(members)"

# --- an unreachable node: exit 4 naming it, nothing left behind -----------
jq ".nodes[2].host = \"10.213.$CLUSTER_ID.99\" | .ssh.connect_timeout_ms = 1500
    | .store_dir = \"$tmp/store-unreachable\"" "$CLUSTER_CONFIG" \
	>"$tmp/unreachable.json"
out=$("$NS" run --config "$tmp/unreachable.json" --time-limit 1 2>&1)
check_eq "unreachable node: exit 4" 4 "$?"
check_contains "unreachable node: named" "n3" "$out"
check_contains "unreachable node: address named" "10.213.$CLUSTER_ID.99" \
	"$out"
check "unreachable node: no run directory" test ! -e "$tmp/store-unreachable"
check_eq "unreachable node: no member started" 0 "$(members)"

# --- a database that never becomes healthy: exit 4 with its log -----------
jq ".db = {\"extra_args\": [\"--no-such-flag\"]}
    | .store_dir = \"$tmp/store-unhealthy\"" "$CLUSTER_CONFIG" \
	>"$tmp/unhealthy.json"
out=$("$NS" run --config "$tmp/unhealthy.json" --time-limit 1 2>&1)
check_eq "unhealthy db: exit 4" 4 "$?"
check_contains "unhealthy db: names the node" "etcd on 'n" "$out"
check_contains "unhealthy db: log tail shows etcd's error" \
	"flag provided but not defined: -no-such-flag" "$out"
check_eq "unhealthy db: no member left" 0 "$(members)"
run=$(readlink -f "$tmp/store-unhealthy/local-cluster/latest")
check "unhealthy db: node logs collected" test -s "$run/logs/n1/etcd.log"
check "unhealthy db: no results.json" test ! -e "$run/results.json"
check_eq "unhealthy db: run.json says how the run ended" "4 0 false" \
	"$(jq -r '"\(.exit_code) \(.faults_applied | length) \(.interrupted)"' "$run/run.json")"
check "unhealthy db: run.json: the error, no schedule it never made" \
	jq -e '(.error | contains("no-such-flag")) and
	  (has("fault_schedule") | not) and .seed != null' "$run/run.json"

# Members that form a cluster but whose client port the controller
# cannot reach (they listen on their loopback only) are reported after
# health_timeout_s.
jq ".db = {\"health_timeout_s\": 3, \"extra_args\":
      [\"--listen-client-urls\", \"http://127.0.0.1:2379\"]}
    | .store_dir = \"$tmp/store-stuck\"" "$CLUSTER_CONFIG" >"$tmp/stuck.json"
out=$("$NS" run --config "$tmp/stuck.json" --time-limit 1 2>&1)
check_eq "stuck db: exit 4" 4 "$?"
check_contains "stuck db: never healthy" "never became healthy in 3 s" "$out"
check_contains "stuck db: log tail" "last lines of" "$out"
check_eq "stuck db: no member left" 0 "$(members)"
