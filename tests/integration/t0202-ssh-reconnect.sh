#!/usr/bin/env bash
# t0202-ssh-reconnect: a node whose sshd is stopped, on a 3-node cluster.
#
# With sshd down on n2 (listener and sessions killed), `netsplit exec`
# names n2 in a clear error and exits 4 while n1 and n3 succeed; a
# persistent transport reports the lost session naming n2, keeps serving
# the other nodes, and reconnects by itself once sshd is back.  The
# connect timeout bounds a node that does not answer at all; a partition
# under an open session makes commands time out, and heals.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh-lib.sh"

cluster_up 3
T=$CLUSTER_DIR/t
mkdir -p "$T"
C=$CLUSTER_CONFIG
addr2=$(node_addr n2)

drv_start "$C"
drv "exec	n2	5000	hostname"
check_eq "n2 answers before the stop" "n2\\n" "$(field out "$DRV")"

sshd_stop n2 || die_test "stop n2's sshd" "sshd still running"
at_exit sshd_start n2

out=$("$NS_BIN" exec --config "$C" -- hostname 2>&1)
rc=$?
check_eq "sshd down: exit 4" 4 "$rc"
check_contains "sshd down: error names n2 and why" \
	"n2: cannot connect to $addr2 port 22: Connection refused" "$out"
check_contains "sshd down: n1 still runs" "n1: n1" "$out"
check_contains "sshd down: n3 still runs" "n3: n3" "$out"

drv "exec	n2	5000	hostname"
check_contains "persistent transport: n2's error names it" "n2: " \
	"$(field msg "$DRV")"
if [ "$(field rc "$DRV")" = 0 ]; then
	fail "persistent transport: n2 fails while down" "$DRV"
else
	pass "persistent transport: n2 fails while down"
fi
drv "exec	n1	5000	hostname"
check_eq "persistent transport: n1 unaffected" "n1\\n" "$(field out "$DRV")"

sshd_start n2 || die_test "restart n2's sshd" "no ssh after restart"
drv "exec	n2	5000	hostname"
check_eq "persistent transport: reconnects after sshd restarts" \
	"rc=0 out=n2\\n" "rc=$(field rc "$DRV") out=$(field out "$DRV")"
out=$("$NS_BIN" exec --config "$C" -- hostname 2>&1)
check_eq "netsplit exec works again" "0 n1: n1
n2: n2
n3: n3" "$? $out"

# A node that drops every packet: the connect timeout bounds the wait.
on_node n3 iptables -A INPUT -p tcp --dport 22 -j DROP
at_exit on_node n3 iptables -D INPUT -p tcp --dport 22 -j DROP
write_cfg "$T/slow.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$CLUSTER_KNOWN_HOSTS\", \"connect_timeout_ms\": 700" n1 n3
t0=$EPOCHREALTIME
out=$("$NS_BIN" exec --config "$T/slow.json" -- hostname 2>&1)
rc=$?
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%d", (b - a) * 1000 }')
check_contains "silent node: connect timeout named" \
	"n3: cannot connect to $(node_addr n3) port 22: no answer within 700 ms" \
	"$out"
check_eq "silent node: exit 4, n1 still answers" "4 n1: n1" \
	"$rc $(echo "$out" | grep '^n1:')"
if [ "$ms" -lt 5000 ]; then pass "silent node: gave up after ${ms} ms"
else fail "silent node: gave up after ${ms} ms" "connect timeout ignored"; fi
on_node n3 iptables -D INPUT -p tcp --dport 22 -j DROP

# A partition under an open session: commands time out at their deadline
# (no hang), and the node serves again once healed.
drv "exec	n3	5000	hostname"
check_eq "n3 answers before the partition" "n3\\n" "$(field out "$DRV")"
on_node n3 iptables -A INPUT -p tcp --dport 22 -j DROP
at_exit on_node n3 iptables -D INPUT -p tcp --dport 22 -j DROP
t0=$EPOCHREALTIME
drv "exec	n3	1000	hostname"
ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%d", (b - a) * 1000 }')
check_eq "partitioned session: command times out" "to=1" \
	"to=$(field to "$DRV")"
if [ "$ms" -lt 6000 ]; then pass "partitioned session: returned after ${ms} ms"
else fail "partitioned session: returned after ${ms} ms" "deadline ignored"; fi
drv "exec	n3	1000	hostname"
if [ "$(field rc "$DRV")" != 0 ] || [ "$(field to "$DRV")" = 1 ]; then
	pass "partitioned node: next command fails or times out"
else
	fail "partitioned node: next command fails or times out" "$DRV"
fi
drv "exec	n1	5000	hostname"
check_eq "partitioned node: n1 unaffected" "n1\\n" "$(field out "$DRV")"
on_node n3 iptables -D INPUT -p tcp --dport 22 -j DROP
drv "exec	n3	10000	hostname"
check_eq "healed: n3 answers again" "rc=0 out=n3\\n" \
	"rc=$(field rc "$DRV") out=$(field out "$DRV")"
