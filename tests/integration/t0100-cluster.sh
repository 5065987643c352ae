#!/usr/bin/env bash
# t0100-cluster: scripts/cluster up/status/down on 3 nodes.
#
# Identity of each node over ssh, the generated config and known_hosts,
# node-to-node reachability, iptables and tc rules confined to one node's
# namespace (root's rules untouched), status, and a down that leaves
# nothing behind.
. "$(dirname "$0")/lib.sh"

t0=$EPOCHREALTIME
cluster_up 3
pass "cluster up 3 nodes ($(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "%.2f", b - a }') s)"
check_contains "up prints the nodes" "n3  10.213.$CLUSTER_ID.3" \
	"$CLUSTER_UP_OUTPUT"

# --- config and known_hosts ------------------------------------------------

cfg=$(cat "$CLUSTER_CONFIG")
check_contains "config: node n2" "{ \"name\": \"n2\", \"host\": \"10.213.$CLUSTER_ID.2\", \"port\": 22, \"dir\": \"$CLUSTER_DIR/nodes/n2\" }" "$cfg"
check_contains "config: ssh key" "\"key\": \"$CLUSTER_KEY\"" "$cfg"
check_contains "config: known_hosts" \
	"\"known_hosts\": \"$CLUSTER_KNOWN_HOSTS\"" "$cfg"
check_contains "config: user root" '"user": "root"' "$cfg"
check_eq "config: 3 nodes" 3 "$(grep -c '"name": "n[0-9]*"' "$CLUSTER_CONFIG")"
check_eq "config: valid JSON (jq)" \
	"local-cluster 3 root $CLUSTER_DIR/store" \
	"$(jq -r '"\(.name) \(.nodes | length) \(.ssh.user) \(.store_dir)"' \
		"$CLUSTER_CONFIG" 2>&1)"
# netsplit itself accepts it (its config loader is strict).
check_eq "config: netsplit exec runs on every node" \
	"n1: n1 n2: n2 n3: n3" \
	"$("$NS_ROOT/netsplit" exec --config "$CLUSTER_CONFIG" -- \
		hostname 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"

# Plain known_hosts holding each node's real host key.
ok=1
for n in n1 n2 n3; do
	want=$(cut -d' ' -f1,2 \
		"$CLUSTER_DIR/nodes/$n/ssh/ssh_host_ed25519_key.pub")
	got=$(grep "^$(node_addr $n) " "$CLUSTER_KNOWN_HOSTS" | cut -d' ' -f2,3)
	[ "$want" = "$got" ] || { ok=0; why="$n: '$got' != '$want'"; }
done
if [ "$ok" = 1 ]; then pass "known_hosts: plain, real host keys"
else fail "known_hosts: plain, real host keys" "$why"; fi

# --- identity over ssh (strict host key checking) --------------------------

for n in n1 n2 n3; do
	check_eq "ssh $n: hostname NODE_ID HOME" \
		"$n $n $CLUSTER_DIR/nodes/$n" \
		"$(node_ssh $n 'echo $(hostname) $NODE_ID $HOME' 2>&1)"
done
# The same check can fail: n2's key recorded under n1's address is refused.
bad_kh=$CLUSTER_DIR/known_hosts.bad
printf '%s %s\n' "$(node_addr n1)" "$(cut -d' ' -f1,2 \
	"$CLUSTER_DIR/nodes/n2/ssh/ssh_host_ed25519_key.pub")" >"$bad_kh"
if out=$(CLUSTER_KNOWN_HOSTS=$bad_kh node_ssh n1 true 2>&1); then
	fail "ssh refuses a wrong host key" "ssh succeeded"
else
	check_contains "ssh refuses a wrong host key" "IDENTIFICATION HAS CHANGED" \
		"$out"
fi
rm -f "$bad_kh"

# Node directories are reachable by other users (PostgreSQL runs as its
# own user under data/).
check "node data dir reachable by an unprivileged user" \
	runuser -u nobody -- test -x "$CLUSTER_DIR/nodes/n1/data"

# --- reachability between nodes ---------------------------------------------

# can_connect FROM TO: TCP connect from node FROM to TO's sshd.
can_connect() { on_node "$1" nc -z -w 1 "$(node_addr "$2")" 22 2>/dev/null; }
n1_n3_connected() { can_connect n1 n3 && can_connect n3 n1; }

ok=1 why=""
for a in n1 n2 n3; do
	for b in n1 n2 n3; do
		[ $a = $b ] && continue
		can_connect $a $b || { ok=0; why="$why $a->$b"; }
	done
done
if [ "$ok" = 1 ]; then pass "every node reaches every other node"
else fail "every node reaches every other node" "failed:$why"; fi

# --- faults inside one namespace affect that node only ---------------------

# root_rules: the root namespace's firewall rules (both iptables backends,
# IPv4 and IPv6) and qdiscs, without counters; the qdiscs of other
# clusters' links (which come and go with concurrent tests) left out.  The *-save commands only
# read: they dump the tables that exist and create none.
root_rules() {
	local save
	for save in iptables-save iptables-legacy-save ip6tables-save \
		ip6tables-legacy-save; do
		command -v $save >/dev/null || continue
		echo "== $save"
		$save 2>&1 | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//g'
	done
	echo "== tc"
	tc qdisc show 2>&1 | awk -v me="nsc$CLUSTER_ID" '
		match($0, / dev nsc[0-9]+/) {
			d = substr($0, RSTART + 5, RLENGTH - 5)
			if (d != me) next
		}
		{ print }'
}
root_before=$(root_rules)

# iptables: n2 drops incoming ssh.  Healed at exit whatever happens.
at_exit on_node n2 iptables -w -F INPUT
if on_node n2 iptables -w -A INPUT -p tcp --dport 22 -j DROP; then
	if ! can_connect n1 n2 && ! can_connect n3 n2; then
		pass "iptables DROP in n2: n1, n3 cannot reach n2"
	else
		fail "iptables DROP in n2: n1, n3 cannot reach n2" "connected"
	fi
	if can_connect n1 n3 && can_connect n3 n1 && can_connect n2 n1; then
		pass "iptables DROP in n2: n1 <-> n3 and n2 -> n1 unaffected"
	else
		fail "iptables DROP in n2: n1 <-> n3 and n2 -> n1 unaffected" \
			"a connection failed"
	fi
	check_eq "iptables DROP in n2: n1's rules untouched" "" \
		"$(on_node n1 iptables -w -S INPUT | grep DROP)"
	check_eq "iptables DROP in n2: root's rules untouched" "$root_before" \
		"$(root_rules)"
	on_node n2 iptables -w -D INPUT -p tcp --dport 22 -j DROP
	check "iptables healed: n1 reaches n2 again" can_connect n1 n2
else
	fail "iptables DROP in n2" "iptables -A failed inside n2"
fi

# tc: n2's egress through a token bucket too small for any packet (tbf
# drops packets larger than its burst), i.e. n2 sends nothing.
at_exit on_node n2 tc qdisc del dev eth0 root
if on_node n2 tc qdisc add dev eth0 root tbf rate 1kbit burst 10 \
	latency 1ms; then
	if ! can_connect n1 n2 && ! can_connect n3 n2; then
		pass "tc drop in n2: n1, n3 cannot reach n2"
	else
		fail "tc drop in n2: n1, n3 cannot reach n2" "connected"
	fi
	check "tc drop in n2: n1 <-> n3 unaffected" n1_n3_connected
	check_eq "tc drop in n2: n1's qdiscs untouched" "" \
		"$(on_node n1 tc qdisc show dev eth0 | grep tbf)"
	check_eq "tc drop in n2: root's rules and qdiscs untouched" \
		"$root_before" "$(root_rules)"
	on_node n2 tc qdisc del dev eth0 root
	check "tc healed: n1 reaches n2 again" can_connect n1 n2
else
	fail "tc drop in n2" "tc qdisc add failed inside n2"
fi

# --- status -----------------------------------------------------------------

out=$("$NS_CLUSTER" status --dir "$CLUSTER_DIR" 2>&1)
rc=$?
check_eq "status: exit 0 when all is up" 0 "$rc"
check_contains "status: all up" "all 3 node(s) up" "$out"
check_contains "status: n2 line" \
	"n2    10.213.$CLUSTER_ID.2" "$out"

pid3=$(awk '$1 == "pid" && $2 == "n3" { print $3 }' "$CLUSTER_DIR/state")
kill -9 "$pid3"
out=$("$NS_CLUSTER" status --dir "$CLUSTER_DIR" 2>&1)
rc=$?
check_eq "status: exit 4 with n3's sshd killed" 4 "$rc"
line=$(grep '^n3 ' <<<"$out")
check_contains "status: n3 dead" "pid $pid3 DEAD" "$line"
check_contains "status: n3 unreachable" "UNREACHABLE" "$line"
check_contains "status: n1 still reachable" "reachable" \
	"$(grep '^n1 ' <<<"$out")"

# --- down ---------------------------------------------------------------------

# A process of a test still running inside n1 is removed too.
on_node n1 sleep 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
# So are the /dev/shm files of one that loaded libfaketime (its own pid's).
ftlib=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
on_node n1 sh -c 'echo $$ >"$1"; exec env LD_PRELOAD="$2" FAKETIME=+0 \
	sleep 300' sh "$CLUSTER_DIR/nodes/n1/faked.pid" "$ftlib" </dev/null \
	>/dev/null 2>&1 &
faked=""
for _ in $(seq 100); do
	faked=$(cat "$CLUSTER_DIR/nodes/n1/faked.pid" 2>/dev/null)
	[ -n "$faked" ] && [ -e "/dev/shm/faketime_shm_$faked" ] && break
	nap 0.02
done
ftfiles="/dev/shm/faketime_shm_$faked /dev/shm/sem.faketime_sem_$faked"
check "libfaketime process in n1 made its /dev/shm files" \
	test -n "$faked" -a -e "/dev/shm/faketime_shm_$faked"
at_exit rm -f $ftfiles
# And those of one handed a FAKETIME_SHARED whose files are gone (its
# parent's, removed early): libfaketime makes it its own pair.
on_node n1 sh -c 'echo $$ >"$1"; exec env LD_PRELOAD="$2" FAKETIME=+0 \
	FAKETIME_SHARED="/faketime_sem_gone$$ /faketime_shm_gone$$" \
	sleep 300' sh "$CLUSTER_DIR/nodes/n1/stale.pid" "$ftlib" </dev/null \
	>/dev/null 2>&1 &
stale=""
for _ in $(seq 100); do
	stale=$(cat "$CLUSTER_DIR/nodes/n1/stale.pid" 2>/dev/null)
	[ -n "$stale" ] && [ -e "/dev/shm/faketime_shm_$stale" ] && break
	nap 0.02
done
check "libfaketime process given a stale pair made its own" \
	test -n "$stale" -a -e "/dev/shm/faketime_shm_$stale"
stalefiles="/dev/shm/faketime_shm_$stale /dev/shm/sem.faketime_sem_$stale"
at_exit rm -f $stalefiles
ftfiles="$ftfiles $stalefiles"
t0=$EPOCHREALTIME
out=$(cluster_down 2>&1)
rc=$?
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
check_eq "down: exit 0 ($secs s)" 0 "$rc"
check_eq "down: nothing left" "" "$(cluster_leftovers "$CLUSTER_DIR" "$CLUSTER_ID")"
sleep 0.2
if kill -0 "$sleeper" 2>/dev/null && [ "$(ps -o stat= -p "$sleeper" |
	cut -c1)" != Z ]; then
	fail "down: kills processes started in a node's namespace" \
		"pid $sleeper alive"
	kill -9 "$sleeper"
else
	pass "down: kills processes started in a node's namespace"
fi
left=$(ls $ftfiles 2>/dev/null | xargs)
check_eq "down: the libfaketime processes' /dev/shm files are gone" "" \
	"$left"
out=$("$NS_CLUSTER" down --dir "$CLUSTER_DIR" 2>&1)
check_eq "down again: exit 0 (idempotent)" 0 "$?"
"$NS_CLUSTER" status --dir "$CLUSTER_DIR" >/dev/null 2>&1
check_eq "status after down: exit 4" 4 "$?"
