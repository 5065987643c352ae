#!/usr/bin/env bash
# t0601-nemesis-loss: random packet loss (iptables statistic) on every
# node of 3, through `netsplit nemesis`.
#
# While in force: each node's NS-<id> chain holds the statistic DROP rule
# (probability from the config) behind the controller's RETURN; traffic
# between nodes loses packets (the DROP counters move), the controller
# still reaches every node; the netem note is given once.  After heal: no
# netsplit chain anywhere.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out
a2=$(node_addr n2)

nem_config 'nemesis.loss_probability=0.5'
nem_start "$out" --config "$CLUSTER_DIR/nem.json" --faults loss-all \
	--hold 120
nem_wait "$out" start 1 60 || die_test "loss starts" \
	"$(tail -n 5 "$out.err" | tr '\n' ' ')"
pass "loss starts"
id=$(nem_field "$out" start .id)
chain=NS-$id
check_eq "targets: every node" '["n1","n2","n3"]' \
	"$(nem_field "$out" start .targets | jq -c .)"
for n in n1 n2 n3; do
	rules=$(on_node $n iptables -S "$chain" 2>/dev/null)
	check_contains "$n: statistic drop rule" \
		"-m statistic --mode random --probability 0.5" "$rules"
	check_contains "$n: controller kept" \
		"-s 10.213.$CLUSTER_ID.254/32 -j RETURN" "$rules"
done
check_eq "netem reported missing, once" 1 \
	"$(grep -c "delay, duplicate and reorder are unsupported" "$out.err")"
# 20 connection attempts n1 -> n2 (SYN, SYN-ACK, ACK each cross a chain)
for i in $(seq 20); do
	on_node n1 nc -z -w 1 "$a2" 22 </dev/null >/dev/null 2>&1 &
done
wait_pids=$(jobs -p | grep -v "^$NEM_PID\$")
for p in $wait_pids; do wait "$p"; done
drops=0
for n in n1 n2; do
	c=$(on_node $n iptables -L "$chain" -v -x -n 2>/dev/null |
		awk '/statistic/ { print $1 }')
	drops=$((drops + ${c:-0}))
done
if [ "$drops" -gt 0 ]; then pass "packets dropped between nodes ($drops)"
else fail "packets dropped between nodes" "DROP counters are 0"; fi
for n in n1 n2 n3; do
	check "controller reaches $n over ssh during loss" node_ssh $n true
done
nem_stop
check_eq "driver heals on SIGTERM and exits 0" 0 $?
for n in n1 n2 n3; do
	check_eq "$n: no netsplit chain after heal" "" "$(nem_chains $n)"
done
