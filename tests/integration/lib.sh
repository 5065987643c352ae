# tests/integration/lib.sh - helpers for integration tests (bash).
#
# Source it first thing:   . "$(dirname "$0")/lib.sh"
#
# Reporting (one line per check, as tests/run counts them):
#   pass NAME               prints "PASS: NAME"
#   fail NAME WHY           prints "FAIL: NAME (WHY)"; goes on, but the
#                           script will exit 1
#   skip NAME WHY           prints "SKIP: NAME (WHY)" (a failure under CI)
#   check NAME CMD...       pass if CMD succeeds, else fail with its output
#   check_eq NAME WANT GOT  pass if equal, else fail showing both
#   check_contains NAME NEEDLE HAYSTACK
#   die_test NAME WHY       fail and stop the script now (cleanup still runs)
#
# Cluster (scripts/cluster, always torn down):
#   cluster_up N [ARGS...]  builds an N-node cluster in a fresh directory
#                           under /tmp; sets CLUSTER_DIR, CLUSTER_CONFIG
#                           (netsplit.json), CLUSTER_KEY, CLUSTER_KNOWN_HOSTS,
#                           CLUSTER_ID; ARGS go to `scripts/cluster up`
#                           (e.g. --hash-known-hosts).  On failure it
#                           reports FAIL and exits.  May be called twice
#                           (two clusters; the variables name the last).
#   cluster_down [DIR]      tears one down now (default: the last one)
#   cluster_track DIR       have DIR torn down at exit (a cluster built by
#                           hand, e.g. two `up`s at once)
#   cluster_use DIR         point CLUSTER_* (and the node helpers) at DIR
#   cluster_leftovers DIR ID  prints what is left of cluster ID built in
#                           DIR (netns, links, routes, processes, files,
#                           registry entry); prints nothing when clean
#   node_addr nK            node's address;   node_netns nK: its netns
#   on_node nK CMD...       runs CMD inside node nK's network namespace
#                           (ip netns exec; no ssh, no hostname change)
#   node_ssh nK CMD...      runs CMD on nK over ssh with the cluster's key
#                           and known_hosts (OpenSSH client, strict host
#                           key checking); CMD words are joined by ssh
#   nap SECS                sleeps without starting a process (polling
#                           loops must not steal the CPU they wait for)
#   wait_line FILE REGEX PID [SECS]  polls (every 10 ms, no process
#                           started) until a line of FILE matches REGEX;
#                           1 if PID exits first or after SECS (20)
#   at_exit CMD...          registers cleanup (e.g. healing a fault); run
#                           in reverse order on EXIT/INT/TERM, before the
#                           clusters are torn down, even after a failure
#
# Runs against the cluster's etcd (NETSPLIT: the binary, default
# $NS_ROOT/netsplit):
#   run_ok NAME ARGS...     `netsplit run ARGS --no-progress` on the
#                           cluster's config with the faults taken in turn
#                           (nemesis.order cycle); checks "NAME exits 0
#                           (valid)" (else shows the output's tail) and
#                           results.json's linearizable verdict; sets RUN
#                           (the run directory) and RUN_HISTORY
#   windows_ok MIN          RUN_HISTORY holds at least MIN fault windows
#                           (nemesis start infos), each closed by a stop;
#                           sets WINDOWS (how many)
#   nothing_left NODE...    no netsplit iptables chain (either backend) on
#                           the NODEs, and no etcd member of the cluster
#
# The script's exit status is 1 if any check failed, else 0.
# Variables: NS_ROOT (repository root; tests/run sets it), NS_CLUSTER (the
# cluster script).

NS_ROOT=${NS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NS_CLUSTER=${NS_CLUSTER:-$NS_ROOT/scripts/cluster}
NS_FAILED=0
NS_CLUSTER_DIRS=()
NS_AT_EXIT=()

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1 (${2:-failed})"
	NS_FAILED=1
}
skip() { echo "SKIP: $1 (${2:-skipped})"; }
die_test() {
	fail "$@"
	exit 1
}

check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "'$*' exited $?: $(printf '%s' "$out" |
			tail -n 3 | tr '\n' ' ')"
	fi
}

check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

check_contains() {
	case $3 in
	*"$2"*) pass "$1" ;;
	*) fail "$1" "'$2' not in: $(printf '%s' "$3" | head -c 300 |
		tr '\n' ' ')" ;;
	esac
}

at_exit() {
	local cmd
	printf -v cmd '%q ' "$@"
	NS_AT_EXIT+=("$cmd")
}

ns__cleanup() {
	local rc=$? i d
	trap - EXIT INT TERM HUP
	for ((i = ${#NS_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${NS_AT_EXIT[$i]}" >/dev/null 2>&1
	done
	for d in "${NS_CLUSTER_DIRS[@]}"; do
		"$NS_CLUSTER" down --dir "$d" >/dev/null 2>&1 ||
			echo "FAIL: teardown (scripts/cluster down --dir $d" \
				"failed)"
		rm -rf "$d"
	done
	[ "$NS_FAILED" = 0 ] || rc=1
	exit "$rc"
}
trap ns__cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

exec {NS__NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NS__NAP_FD"; }

wait_line() {
	local f=$1 re=$2 pid=$3 end=$((SECONDS + ${4:-20})) line
	while :; do
		if [ -r "$f" ]; then
			while IFS= read -r line; do
				[[ $line =~ $re ]] && return 0
			done <"$f"
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		[ $SECONDS -lt $end ] || return 1
		nap 0.01
	done
}

run_ok() {
	local name=$1 out rc
	shift
	jq '.nemesis = {"order": "cycle"}' "$CLUSTER_CONFIG" \
		>"$CLUSTER_DIR/cycle.json"
	out=$("${NETSPLIT:-$NS_ROOT/netsplit}" run \
		--config "$CLUSTER_DIR/cycle.json" "$@" --no-progress 2>&1)
	rc=$?
	check_eq "$name exits 0 (valid)" 0 "$rc"
	[ "$rc" = 0 ] ||
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
	RUN=$(readlink -f "$CLUSTER_DIR/store/local-cluster/latest")
	RUN_HISTORY=$RUN/history.jsonl
	check_eq "results.json: linearizable valid" valid \
		"$(jq -r '.checkers[] | select(.checker == "linearizable")
			| .verdict' "$RUN/results.json" 2>/dev/null)"
}

windows_ok() {
	local starts stops
	starts=$(jq -c 'select(.process == "nemesis" and .type == "info"
		and (.f | startswith("start-")))' "$RUN_HISTORY" | wc -l)
	stops=$(jq -c 'select(.process == "nemesis" and .type == "info"
		and (.f | startswith("stop-")))' "$RUN_HISTORY" | wc -l)
	if [ "$starts" -ge "$1" ]; then
		pass "fault windows recorded ($starts)"
	else
		fail "fault windows recorded" "only $starts starts"
	fi
	check_eq "every window is closed" "$starts" "$stops"
	WINDOWS=$starts
}

nothing_left() {
	local n
	for n in "$@"; do
		check_eq "$n: no netsplit iptables chain" 0 \
			"$( { on_node "$n" iptables -S
			      on_node "$n" iptables-legacy -S; } 2>/dev/null |
			grep -c 'NS-')"
	done
	check_eq "no etcd member left" 0 \
		"$(pgrep -f -- "$CLUSTER_DIR/nodes/n[0-9]/etcd/data" | wc -l)"
}

cluster_up() {
	local n=$1 out
	shift
	CLUSTER_DIR=$(mktemp -d /tmp/ns-cluster.XXXXXX) ||
		die_test cluster_up "mktemp failed"
	# mktemp makes it 0700: let databases running as their own user
	# (PostgreSQL refuses root) reach their node directories.
	chmod 755 "$CLUSTER_DIR"
	NS_CLUSTER_DIRS+=("$CLUSTER_DIR")
	if ! out=$("$NS_CLUSTER" up --nodes "$n" --dir "$CLUSTER_DIR" \
		"$@" 2>&1); then
		die_test "cluster_up" "scripts/cluster up --nodes $n failed:" \
			"$(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
	fi
	CLUSTER_UP_OUTPUT=$out
	cluster_use "$CLUSTER_DIR"
}

cluster_track() { NS_CLUSTER_DIRS+=("$1"); }

cluster_use() {
	CLUSTER_DIR=$1
	CLUSTER_CONFIG=$1/netsplit.json
	CLUSTER_KEY=$1/id_ed25519
	CLUSTER_KNOWN_HOSTS=$1/known_hosts
	CLUSTER_ID=$(sed -n 's/^id //p' "$1/state" 2>/dev/null)
}

cluster_leftovers() {
	local d=$1 id=$2 p cmd r1 r2 names
	[ -n "$id" ] || { echo "no cluster id given"; return; }
	# Names by id; a concurrent test may take the id again as soon as
	# it is free (only once nothing with its names exists), so names
	# seen while the registry gives the id to another DIR are theirs.
	r1=$(cat "/run/netsplit-cluster/$id/dir" 2>/dev/null)
	names=$(ls /run/netns 2>/dev/null | grep "^nsc${id}n[0-9]" |
		sed 's/^/netns /'
	ip -o link show 2>/dev/null |
		awk -F': ' -v id="$id" '$2 ~ "^nsc" id "(br|v[0-9])" {
			sub(/@.*/, "", $2); print "link " $2 }'
	ip -4 route show root "10.213.$id.0/24" | sed 's/^/route /')
	r2=$(cat "/run/netsplit-cluster/$id/dir" 2>/dev/null)
	if [ -n "$names" ] && { [ -z "$r1" ] || [ "$r1" = "$d" ]; } &&
		{ [ -z "$r2" ] || [ "$r2" = "$d" ]; }; then
		printf '%s\n' "$names"
	fi
	for p in $(grep -lsaF -- "$d/" /proc/[0-9]*/cmdline); do
		p=${p#/proc/}
		p=${p%/cmdline}
		cmd=$( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)
		# Skip our grep (gone by now) and zombies (empty cmdline).
		[ -n "$cmd" ] && echo "process $p: $cmd"
	done
	[ -e "$d/state" ] && echo "file $d/state"
	[ -e "$d/nodes" ] && echo "dir $d/nodes"
	[ -e "$d/netsplit.json" ] && echo "file $d/netsplit.json"
	[ -e "$d/id_ed25519" ] && echo "file $d/id_ed25519"
	[ -e "$d/known_hosts" ] && echo "file $d/known_hosts"
	[ -d "/run/netsplit-cluster/$id" ] &&
		grep -qxF -- "$d" "/run/netsplit-cluster/$id/dir" 2>/dev/null &&
		echo "registry /run/netsplit-cluster/$id"
	return 0
}

cluster_down() {
	local d=${1:-$CLUSTER_DIR}
	"$NS_CLUSTER" down --dir "$d"
}

# ns__state_node DIR NODE FIELD (3: netns, 4: address)
ns__state_node() {
	awk -v n="$2" -v f="$3" '$1 == "node" && $2 == n { print $f }' \
		"$1/state"
}

node_netns() { ns__state_node "$CLUSTER_DIR" "$1" 3; }
node_addr() { ns__state_node "$CLUSTER_DIR" "$1" 4; }

on_node() {
	local ns
	ns=$(node_netns "$1")
	[ -n "$ns" ] || { echo "on_node: no node '$1'" >&2; return 2; }
	shift
	ip netns exec "$ns" "$@"
}

node_ssh() {
	local addr
	addr=$(node_addr "$1")
	[ -n "$addr" ] || { echo "node_ssh: no node '$1'" >&2; return 2; }
	shift
	ssh -F /dev/null -i "$CLUSTER_KEY" -o IdentitiesOnly=yes \
		-o IdentityAgent=none \
		-o UserKnownHostsFile="$CLUSTER_KNOWN_HOSTS" \
		-o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o BatchMode=yes \
		-o ConnectTimeout=3 -o LogLevel=ERROR "root@$addr" "$@"
}
