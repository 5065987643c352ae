#!/usr/bin/env bash
# t0102-cluster-concurrent: three clusters built at the same moment take
# distinct ids, subnets, bridges and namespaces, work side by side (one
# with a hashed known_hosts), cannot reach each other, and tearing one
# down leaves the others intact.
. "$(dirname "$0")/lib.sh"

dirs=() pids=()
for i in 0 1 2; do
	dirs[$i]=$(mktemp -d /tmp/ns-cluster.XXXXXX)
	cluster_track "${dirs[$i]}"
done
# A: 2 nodes, B: 2 nodes with hashed known_hosts, C: 1 node; all at once.
"$NS_CLUSTER" up --nodes 2 --dir "${dirs[0]}" >"${dirs[0]}.log" 2>&1 &
pids[0]=$!
"$NS_CLUSTER" up --nodes 2 --dir "${dirs[1]}" --hash-known-hosts \
	>"${dirs[1]}.log" 2>&1 &
pids[1]=$!
"$NS_CLUSTER" up --nodes 1 --dir "${dirs[2]}" >"${dirs[2]}.log" 2>&1 &
pids[2]=$!
ok=1 why=""
for i in 0 1 2; do
	if ! wait "${pids[$i]}"; then
		ok=0
		why="$why cluster $i: $(tail -n 2 "${dirs[$i]}.log" |
			tr '\n' ' ')"
	fi
	rm -f "${dirs[$i]}.log"
done
[ "$ok" = 1 ] || die_test "three concurrent ups succeed" "$why"
pass "three concurrent ups succeed"

ids=() subnets=() bridges=()
for i in 0 1 2; do
	ids[$i]=$(sed -n 's/^id //p' "${dirs[$i]}/state")
	subnets[$i]=$(sed -n 's/^subnet //p' "${dirs[$i]}/state")
	bridges[$i]=$(sed -n 's/^bridge //p' "${dirs[$i]}/state")
done
distinct() { [ "$(printf '%s\n' "$@" | sort -u | wc -l)" = "$#" ]; }
check "distinct ids (${ids[*]})" distinct "${ids[@]}"
check "distinct subnets (${subnets[*]})" distinct "${subnets[@]}"
check "distinct bridges (${bridges[*]})" distinct "${bridges[@]}"

# Every node of every cluster answers with its name; B's known_hosts is
# hashed (and strict checking still accepts its nodes).
cluster_use "${dirs[1]}"
check_eq "B: known_hosts hashed" "2 0" \
	"$(grep -c '^|1|' "$CLUSTER_KNOWN_HOSTS") $(grep -vc '^|1|' \
		"$CLUSTER_KNOWN_HOSTS")"
all_answer() {
	local d=$1 n k got
	cluster_use "$d"
	n=$(grep -c '^node ' "$d/state")
	for ((k = 1; k <= n; k++)); do
		got=$(node_ssh "n$k" 'echo $NODE_ID@$(hostname)' 2>&1)
		[ "$got" = "n$k@n$k" ] || { echo "n$k: $got"; return 1; }
	done
}
check "A: every node answers" all_answer "${dirs[0]}"
check "B: every node answers (hashed known_hosts)" all_answer "${dirs[1]}"
check "C: every node answers" all_answer "${dirs[2]}"

# Clusters are separate networks: A's n1 cannot reach B's n1.
cluster_use "${dirs[1]}"
b1=$(node_addr n1)
cluster_use "${dirs[0]}"
if on_node n1 nc -z -w 1 "$b1" 22 2>/dev/null; then
	fail "A's n1 cannot reach B's n1" "connected to $b1"
else
	pass "A's n1 cannot reach B's n1"
fi

# Down A: B and C are untouched.
"$NS_CLUSTER" down --dir "${dirs[0]}" >/dev/null 2>&1
check_eq "down A: nothing of A left" "" \
	"$(cluster_leftovers "${dirs[0]}" "${ids[0]}")"
check "down A: B still fully up" "$NS_CLUSTER" status --dir "${dirs[1]}"
check "down A: C still fully up" "$NS_CLUSTER" status --dir "${dirs[2]}"
check "down A: B's nodes still answer" all_answer "${dirs[1]}"

"$NS_CLUSTER" down --dir "${dirs[1]}" >/dev/null 2>&1
"$NS_CLUSTER" down --dir "${dirs[2]}" >/dev/null 2>&1
check_eq "down B and C: nothing left" "" \
	"$(cluster_leftovers "${dirs[1]}" "${ids[1]}"
	   cluster_leftovers "${dirs[2]}" "${ids[2]}")"
