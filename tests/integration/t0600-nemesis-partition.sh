#!/usr/bin/env bash
# t0600-nemesis-partition: a partition (halves) on 3 nodes, applied and
# healed through `netsplit nemesis`.
#
# While in force: each node's NS-<id> chain holds a DROP per node of its
# grudge row and a RETURN for the controller; a TCP connect across the cut
# fails, one inside a half works, the controller still reaches every node
# over ssh.  After heal: no netsplit chain, connects work again, a user's
# own rule and chain (there before) are untouched.  Then the same with the
# iptables-legacy backend.
. "$(dirname "$0")/lib.sh"

cluster_up 3
. "$(dirname "$0")/nemesis-lib.sh"
out=$CLUSTER_DIR/nem.out
a1=$(node_addr n1) a2=$(node_addr n2) a3=$(node_addr n3)

# a user's rule and chain that must survive
on_node n2 iptables -N USERCHAIN
on_node n2 iptables -A INPUT -s 192.0.2.7 -j DROP
on_node n2 iptables -A INPUT -j USERCHAIN
user_before=$(on_node n2 iptables -S 2>/dev/null | grep -v NS-)

connects() { on_node "$1" nc -z -w 2 "$2" 22 </dev/null >/dev/null 2>&1; }

nem_start "$out" --config "$CLUSTER_CONFIG" --faults partition-halves \
	--hold 120
nem_wait "$out" start 1 60 || die_test "partition starts" \
	"$(cat "$out" "$out.err" | tail -n 5 | tr '\n' ' ')"
pass "partition starts"
check_eq "grudge: halves {n1} | {n2,n3}" \
	'{"n1":["n2","n3"],"n2":["n1"],"n3":["n1"]}' \
	"$(nem_field "$out" start '.grudge' | jq -c .)"
id=$(nem_field "$out" start .id)
chain=NS-$id
for n in n1 n2 n3; do
	check_eq "$n: one netsplit chain" "$chain" "$(nem_chains $n)"
	check_contains "$n: chain jumped to from INPUT" \
		"-A INPUT -m comment --comment netsplit -j $chain" \
		"$(on_node $n iptables -S INPUT 2>/dev/null)"
	check_contains "$n: controller kept" \
		"-A $chain -s 10.213.$CLUSTER_ID.254/32 -j RETURN" \
		"$(on_node $n iptables -S $chain 2>/dev/null)"
done
check_eq "n1 drops n2 and n3" 2 \
	"$(on_node n1 iptables -S $chain | grep -c -- '-j DROP')"
check_contains "n2 drops n1" "-A $chain -s $a1/32 -j DROP" \
	"$(on_node n2 iptables -S $chain)"
if connects n1 "$a2"; then fail "n1 -> n2 cut" "connect worked"
else pass "n1 -> n2 cut"; fi
if connects n3 "$a1"; then fail "n3 -> n1 cut" "connect worked"
else pass "n3 -> n1 cut"; fi
check "n2 -> n3 still connected" connects n2 "$a3"
for n in n1 n2 n3; do
	check "controller reaches $n over ssh" node_ssh $n true
done

nem_stop
check_eq "driver heals on SIGTERM and exits 0" 0 $?
check_contains "stop event" '"event":"stop"' "$(cat "$out")"
for n in n1 n2 n3; do
	check_eq "$n: no netsplit chain after heal" "" "$(nem_chains $n)"
	check_eq "$n: no netsplit jump" 0 \
		"$(on_node $n iptables -S INPUT 2>/dev/null | grep -c netsplit)"
done
check "n1 -> n2 connects after heal" connects n1 "$a2"
check "n3 -> n1 connects after heal" connects n3 "$a1"
check_eq "user rules untouched" "$user_before" "$(on_node n2 iptables -S 2>/dev/null)"
check_eq "journal: apply, applied, healed" "apply applied healed" \
	"$(cat "$CLUSTER_DIR"/store/nemesis/*/nemesis.journal | jq -r \
	"select(.id == \"$id\" or .fault.id == \"$id\") | .event" | xargs)"

# --- the legacy backend: cut and healed with iptables-legacy -------------
nem_config 'nemesis.iptables="iptables-legacy"'
nem_start "$out" --config "$CLUSTER_DIR/nem.json" \
	--faults partition-isolate --seed 7 --hold 120
nem_wait "$out" start 1 60 || die_test "legacy partition starts" \
	"$(tail -n 3 "$out.err" | tr '\n' ' ')"
victim=$(nem_field "$out" start '.grudge | to_entries |
	map(select(.value | length == 2)) | .[0].key')
check_eq "legacy: backend recorded" "iptables-legacy" \
	"$(cat "$CLUSTER_DIR"/store/nemesis/*/nemesis.journal |
	grep '"event":"applied"' | tail -n 1 |
	jq -r '.fault.targets[0].backend')"
check_eq "legacy: $victim drops 2 nodes (iptables-legacy)" 2 \
	"$(on_node "$victim" iptables-legacy -S | grep -c -- '-j DROP')"
check_eq "legacy: nothing in the nft backend" 0 \
	"$(on_node "$victim" iptables -S 2>/dev/null | grep -c NS-)"
nem_stop
check_eq "legacy: heals on SIGTERM and exits 0" 0 $?
for n in n1 n2 n3; do
	check_eq "legacy: $n clean after heal" "" "$(nem_chains $n)"
done
on_node n2 iptables -D INPUT -s 192.0.2.7 -j DROP 2>/dev/null
on_node n2 iptables -D INPUT -j USERCHAIN 2>/dev/null
on_node n2 iptables -X USERCHAIN 2>/dev/null
