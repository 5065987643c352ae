#!/usr/bin/env bash
# t0810-postgres-control: the `session` workload against a PostgreSQL
# primary (n1) and streaming replica (n2) on 3 nodes, with
# synchronous_commit = remote_apply and no fault: a session's read from
# the replica after its acknowledged write must see that write, so the
# session and stale checkers must find nothing (exit 0) while checking
# many replica reads that saw data (a checker that flags every replica
# read fails here).  Also: config errors name the key (exit 3), node logs
# are collected, nothing is left on the nodes after the run.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 3
at_exit "$NS" heal --config "$CLUSTER_CONFIG"

cfg=$CLUSTER_DIR/pg.json
jq '.db = {"type": "postgres", "synchronous_commit": "remote_apply",
	"settings": {"fsync": false}}
    | .workload = {"type": "session", "statement_timeout_ms": 10000}' \
	"$CLUSTER_CONFIG" >"$cfg"

# Config errors come before any node is touched.
jq '.db.bogus_key = 1' "$cfg" >"$CLUSTER_DIR/bad.json"
out=$("$NS" run --config "$CLUSTER_DIR/bad.json" --time-limit 1 \
	--no-progress 2>&1)
check_eq "unknown db key: exit 3" 3 "$?"
check_contains "unknown db key is named" "bogus_key" "$out"
jq '.db.synchronous_commit = "sometimes"' "$cfg" >"$CLUSTER_DIR/bad.json"
out=$("$NS" run --config "$CLUSTER_DIR/bad.json" --time-limit 1 \
	--no-progress 2>&1)
check_eq "bad synchronous_commit: exit 3" 3 "$?"
check_contains "bad synchronous_commit is named" "synchronous_commit" "$out"

t0=$SECONDS
out=$("$NS" run --config "$cfg" --time-limit 10 --concurrency 4 \
	--nemesis none --seed 5 --no-progress 2>&1)
rc=$?
check_eq "remote_apply, no fault: exits 0 (valid)" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -n 20 | sed 's/^/    /'
echo "    (run took $((SECONDS - t0)) s)"
run=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
h=$run/history.jsonl
res=$run/results.json
check_eq "session checker: valid" valid \
	"$(jq -r '.checkers[] | select(.checker == "session") | .verdict' "$res")"
check_eq "stale checker: valid" valid \
	"$(jq -r '.checkers[] | select(.checker == "stale") | .verdict' "$res")"
ryw=$(jq -r '.checkers[] | select(.checker == "session")
	| .stats.guarantees["read-your-writes"] | "\(.checked) \(.by_version)"' "$res")
checked=${ryw% *}
byver=${ryw#* }
if [ "${checked:-0}" -ge 200 ]; then
	pass "read-your-writes checked on many replica reads ($checked)"
else
	fail "read-your-writes checked on many replica reads" "only '$checked'"
fi
check_eq "read-your-writes checked by version" "$checked" "$byver"
# The reads saw the sessions' writes: ok reads with a row, by session.
seen=$(jq -s '[.[] | select(.type == "ok" and .f == "read" and
	.value != null and .version > 0)] | length' "$h")
if [ "${seen:-0}" -ge 200 ]; then pass "replica reads returned rows ($seen)"
else fail "replica reads returned rows" "only '$seen'"; fi
check "every op carries its session" \
	jq -e -s 'all(.[] | select(.process != "nemesis"); .session != null)' "$h"
# Each op names the node it went to: writes the primary (n1), reads the
# replica (n2), whatever the worker's home node.
check "writes name the primary, reads the replica" \
	jq -e -s '[.[] | select(.process != "nemesis" and .type == "ok")] |
	(map(select(.f == "write") | .node) | unique == ["n1"]) and
	(map(select(.f == "read") | .node) | unique == ["n2"])' "$h"
check "ok writes carry a version" \
	jq -e -s '[.[] | select(.type == "ok" and .f == "write")] |
		length > 100 and all(.version >= 1)' "$h"
check "primary log collected" grep -q 'database system is ready' \
	"$run/logs/n1/postgres.log"
check "replica log collected (streaming)" grep -q 'started streaming WAL' \
	"$run/logs/n2/postgres.log"

# Nothing left behind.
check_eq "no postgres left on the nodes" 0 \
	"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/postgres/data" | wc -l)"
check_eq "data directories removed" 0 \
	"$(ls -d "$CLUSTER_DIR"/nodes/n*/postgres/data 2>/dev/null | wc -l)"
