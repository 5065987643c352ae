#!/usr/bin/env bash
# t0504-run-five: `netsplit run` against a 5-member etcd cluster under the
# partitions that need more than three nodes: the majorities ring and the
# bridge, taken in turn.
#
# Under a ring every node still sees a majority, but no two nodes see the
# same one; under a bridge one node sees both halves.  etcd stays
# linearizable through both: the run is valid, both shapes appear in the
# history as closed fault windows whose grudges have the shape claimed, and
# no rule or member is left behind on any of the five nodes.
. "$(dirname "$0")/lib.sh"

NS=${NETSPLIT:-$NS_ROOT/netsplit}
cluster_up 5
at_exit "$NS" heal --config "$CLUSTER_CONFIG"

run_ok "5-node run under ring and bridge" --time-limit 24 \
	--nemesis partition-ring,partition-bridge --nemesis-interval 4 \
	--concurrency 5 --seed 5
check_eq "run.json names five nodes" 5 \
	"$(jq '.nodes | length' "$RUN/run.json" 2>/dev/null)"
windows_ok 2

# The shapes, from the journal's records (each fault's grudge: for each
# target, the nodes it drops).
j=$RUN/nemesis.journal
shapes=$(jq -r 'select(.event == "applied") | .fault.shape' "$j" 2>/dev/null | sort -u | tr '\n' ' ')
check_contains "a ring was applied" ring "$shapes"
check_contains "a bridge was applied" bridge "$shapes"
# Ring: every node drops someone, and nobody drops a majority (n=5: <= 2).
check "ring: every node cut from some, none from a majority" \
	jq -e -s '[.[] | select(.event == "applied" and .fault.shape == "ring")]
	  | length > 0 and all(.fault.targets | length == 5
	      and all(.drops | length >= 1 and length <= 2))' "$j"
# Bridge (2 + 3 nodes, the bridge in the second half): the four others
# each drop the two nodes across, and the bridge drops nobody.
check "bridge: four nodes cut across, one sees both sides" \
	jq -e -s '[.[] | select(.event == "applied" and .fault.shape == "bridge")]
	  | length > 0 and all([.fault.targets[] | select(.drops | length == 2)] | length == 4)
	  and all([.fault.targets[] | select((.drops // []) | length == 0)] | length <= 1)' "$j"

nothing_left n1 n2 n3 n4 n5
