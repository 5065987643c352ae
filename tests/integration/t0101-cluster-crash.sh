#!/usr/bin/env bash
# t0101-cluster-crash: `scripts/cluster down` after a kill -9 of `up` at
# several points leaves nothing behind; down is idempotent, refuses
# nothing, and leaves alone what it did not create.
. "$(dirname "$0")/lib.sh"

# A namespace and a process that are not the cluster's: down must leave
# them alone.
decoy_ns=nsdecoy$$
ip netns add "$decoy_ns" || die_test "decoy netns" "ip netns add failed"
at_exit ip netns del "$decoy_ns"
ip netns exec "$decoy_ns" sleep 300 </dev/null >/dev/null 2>&1 &
decoy_pid=$!
at_exit kill -9 "$decoy_pid"

# crash_at NAME PATTERN: start `up --nodes 2`, kill -9 it as soon as its
# journal has a line matching PATTERN, check that something was made, run
# down, check nothing is left.
crash_at() {
	local name=$1 pat=$2 d pid id made out
	d=$(mktemp -d /tmp/ns-cluster.XXXXXX)
	cluster_track "$d"
	"$NS_CLUSTER" up --nodes 2 --dir "$d" >"$d.log" 2>&1 &
	pid=$!
	if ! wait_line "$d/state" "$pat" "$pid"; then
		fail "crash $name" "up ended before '$pat': $(tail -n 2 \
			"$d.log" | tr '\n' ' ')"
		rm -f "$d.log"
		return
	fi
	{ kill -9 "$pid"; wait "$pid"; } 2>/dev/null
	rm -f "$d.log"
	id=$(sed -n 's/^id //p' "$d/state")
	if grep -q '^ready' "$d/state"; then
		fail "crash $name" "up finished before the kill"
		return
	fi
	made=$(cluster_leftovers "$d" "$id" | grep -vE '^(file|dir|registry) ')
	# Something to clean up existed (once namespaces were made).
	case $name in
	*sshd*)
		check_contains "crash $name: namespaces existed" \
			"netns nsc${id}n2" "$made"
		check_contains "crash $name: sshds were running" \
			"sshd_config" "$made" ;;
	esac
	out=$("$NS_CLUSTER" down --dir "$d" 2>&1)
	check_eq "crash $name: down exit 0" 0 "$?"
	check_eq "crash $name: nothing left" "" \
		"$(cluster_leftovers "$d" "$id")"
}

crash_at "after the bridge" '^bridge '
# (n1's sshd spawned; n2's namespace exists, its sshd not yet.)
crash_at "after 1 sshd" '^pid n1 '
crash_at "waiting for sshds" '^pid n2 '

# The decoys survived every down.
check "decoy netns untouched" test -e "/run/netns/$decoy_ns"
check "decoy process untouched" kill -0 "$decoy_pid"

# A crashed cluster's DIR is refused by up (exit 3) until down (a new
# cluster in a used DIR is built below).
d=$(mktemp -d /tmp/ns-cluster.XXXXXX)
cluster_track "$d"
"$NS_CLUSTER" up --nodes 2 --dir "$d" >/dev/null 2>&1 &
pid=$!
wait_line "$d/state" '^pid n1 ' $pid
{ kill -9 $pid; wait $pid; } 2>/dev/null
out=$("$NS_CLUSTER" up --nodes 2 --dir "$d" 2>&1)
check_eq "up on a crashed cluster's DIR: exit 3" 3 "$?"
check_contains "up on a crashed cluster's DIR: says why" \
	"already holds a cluster" "$out"
"$NS_CLUSTER" status --dir "$d" >/dev/null 2>&1
check_eq "status of a crashed cluster: exit 4" 4 "$?"
"$NS_CLUSTER" down --dir "$d" >/dev/null 2>&1
"$NS_CLUSTER" down --dir "$d" >/dev/null 2>&1
check_eq "down twice: exit 0" 0 "$?"

# up tears down by itself when an sshd does not come up (exit 4) and on
# SIGTERM.
d=$(mktemp -d /tmp/ns-cluster.XXXXXX)
cluster_track "$d"
out=$(NS_CLUSTER_SSHD=/bin/false "$NS_CLUSTER" up --nodes 2 --dir "$d" 2>&1)
check_eq "up with a failing sshd: exit 4" 4 "$?"
check_contains "up with a failing sshd: says so" "n1: sshd exited" "$out"
id=$(sed -n 's/^.*cluster \([0-9]*\): up failed.*$/\1/p' <<<"$out")
check_eq "up with a failing sshd: nothing left" "" \
	"$(cluster_leftovers "$d" "$id")"
"$NS_CLUSTER" up --nodes 2 --dir "$d" >/dev/null 2>&1 &
pid=$!
wait_line "$d/state" '^pid n1 ' $pid
id=$(sed -n 's/^id //p' "$d/state" 2>/dev/null)
kill -TERM $pid
wait $pid
check_eq "up interrupted by SIGTERM: exit 4" 4 "$?"
check_eq "up interrupted by SIGTERM: nothing left" "" \
	"$(cluster_leftovers "$d" "$id")"

# Usage errors.
"$NS_CLUSTER" up --nodes 0 --dir "$d" >/dev/null 2>&1
check_eq "up --nodes 0: exit 3" 3 "$?"
"$NS_CLUSTER" up --dir "/tmp/has space" >/dev/null 2>&1
check_eq "up --dir with a space: exit 3" 3 "$?"
"$NS_CLUSTER" frobnicate >/dev/null 2>&1
check_eq "unknown command: exit 3" 3 "$?"

# A cluster X whose DIR was deleted without down, and a new cluster Y
# built in the same DIR: `list` shows X as an orphan; `down --id X`
# removes what exists with X's names and leaves Y (same DIR) alone.
d=$(mktemp -d /tmp/ns-cluster.XXXXXX)
cluster_track "$d"
if "$NS_CLUSTER" up --nodes 2 --dir "$d" >/dev/null 2>&1; then
	x=$(sed -n 's/^id //p' "$d/state")
	rm -rf "$d"
	check_contains "list: orphan shown" "ORPHAN $d" \
		"$("$NS_CLUSTER" list | awk -v id="$x" '$1 == id { print $3, $4 }')"
	if "$NS_CLUSTER" up --nodes 2 --dir "$d" >/dev/null 2>&1; then
		y=$(sed -n 's/^id //p' "$d/state")
		out=$("$NS_CLUSTER" down --id "$x" 2>&1)
		check_eq "down --id of an orphan: exit 0" 0 "$?"
		check_eq "down --id of an orphan: its names are gone" "" \
			"$(cluster_leftovers "$d" "$x" |
				grep -E '^(netns|link|route|registry) ')"
		check "down --id of an orphan: the new cluster in its DIR is intact" \
			"$NS_CLUSTER" status --dir "$d"
		"$NS_CLUSTER" down --dir "$d" >/dev/null 2>&1
		check_eq "down of the new cluster: nothing left" "" \
			"$(cluster_leftovers "$d" "$y"; cluster_leftovers "$d" "$x")"
	else
		fail "up in an orphan's DIR" "up --nodes 2 failed"
	fi
	# (The id itself may be taken again at once by a concurrent test.)
	check_eq "list: orphan gone" "" \
		"$("$NS_CLUSTER" list | awk -v d="$d" '$4 == d')"
else
	fail "orphan cluster" "up --nodes 2 failed"
fi
