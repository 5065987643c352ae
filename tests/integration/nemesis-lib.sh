# tests/integration/nemesis-lib.sh - helpers for the t06xx nemesis tests.
#
# Source after lib.sh and cluster_up.  Faults are driven by
# `netsplit nemesis` (harness/cmd-nemesis.c), which prints one JSON line
# per event; every test heals through `netsplit heal` at exit, even after
# a failure (registered here with at_exit).
#
#   nem_start OUT ARGS...   start `netsplit nemesis --config C ARGS...` in
#                           the background, output in OUT; NEM_PID is set
#   nem_wait OUT EVENT [N] [SECS]  wait until OUT holds N (default 1) lines
#                           of EVENT ("start", "stop", "skip"); 1 on timeout
#   nem_stop                SIGTERM the driver (it heals), wait for it
#   nem_kill9               kill -9 the driver (nothing heals)
#   nem_chains nK           netsplit chains (NS-*) on nK, both backends
#   nem_state nK PID        process state letter of PID on nK ('' if gone)
#   nem_field OUT EVENT JQ  jq JQ applied to the first EVENT line's fault
#   nem_config KEY=JSON...  write $CLUSTER_DIR/nem.json: the cluster's
#                           config with nemesis/db keys set (a.b=value)
#   nem_shm_check           heal (checks the running fake members kept
#                           their libfaketime files), let the members run
#                           on a while, tear the cluster down; then checks
#                           that no libfaketime file (/dev/shm/
#                           faketime_shm_PID, sem.faketime_sem_PID) made
#                           since this file was sourced is left whose
#                           process is gone (a member's, or made since the
#                           heal: a concurrent test's are not counted)

NETSPLIT=${NETSPLIT:-$NS_ROOT/netsplit}
NEM_PID=
NEM_DOWN=

# pids named by the libfaketime files in /dev/shm, one per line
nem__shm_pids() {
	local f
	for f in /dev/shm/faketime_shm_* /dev/shm/sem.faketime_sem_*; do
		[ -e "$f" ] && echo "${f##*_}"
	done | sort -un
}
NEM_SHM_BEFORE=" $(nem__shm_pids | xargs) "

# whether PID runs (a zombie does not)
nem__running() {
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	case ${line%% *} in Z | X | '') return 1 ;; esac
}

nem__heal() {
	[ -z "$NEM_DOWN" ] || return 0
	[ -n "$NEM_PID" ] && kill -9 "$NEM_PID" 2>/dev/null
	"$NETSPLIT" heal --config "$CLUSTER_CONFIG" >/dev/null 2>&1
	[ -e "$CLUSTER_DIR/nem.json" ] &&
		"$NETSPLIT" heal --config "$CLUSTER_DIR/nem.json" >/dev/null 2>&1
	# libfaketime files of fake members a kill -9 left behind, only once
	# the member is gone: a live one's children share its files and make
	# their own when those are gone, which its kill -9 (cluster down)
	# would leave behind.  cluster down removes those of live ones.
	local p
	for p in $(cat "$CLUSTER_DIR"/nodes/*/fake/pids 2>/dev/null); do
		nem__running "$p" && continue
		rm -f "/dev/shm/faketime_shm_$p" "/dev/shm/sem.faketime_sem_$p"
	done
	return 0
}

at_exit nem__heal

nem_start() {
	local out=$1
	shift
	"$NETSPLIT" nemesis "$@" >"$out" 2>"$out.err" &
	NEM_PID=$!
}

nem_wait() {
	local out=$1 ev=$2 n=${3:-1} secs=${4:-30} i=0
	while [ "$(grep -c "^{\"event\":\"$ev\"" "$out" 2>/dev/null)" -lt "$n" ]; do
		i=$((i + 1))
		[ $i -gt $((secs * 10)) ] && return 1
		if [ -n "$NEM_PID" ] && ! kill -0 "$NEM_PID" 2>/dev/null &&
			[ "$(grep -c "^{\"event\":\"$ev\"" "$out")" -lt "$n" ]; then
			return 1
		fi
		sleep 0.1
	done
	return 0
}

nem_stop() {
	[ -n "$NEM_PID" ] || return 0
	kill -TERM "$NEM_PID" 2>/dev/null
	wait "$NEM_PID"
	local rc=$?
	NEM_PID=
	return $rc
}

nem_kill9() {
	kill -9 "$NEM_PID" 2>/dev/null
	wait "$NEM_PID" 2>/dev/null
	NEM_PID=
}

nem_chains() {
	{
		on_node "$1" iptables -S 2>/dev/null
		on_node "$1" iptables-legacy -S 2>/dev/null
	} | awk '$1 == "-N" && $2 ~ /^NS-/ { print $2 }'
}

nem_state() {
	on_node "$1" sed -n 's/.*) \(.\).*/\1/p' "/proc/$2/stat" 2>/dev/null
}

nem_field() {
	grep "^{\"event\":\"$2\"" "$1" | head -n 1 | jq -r ".fault | $3"
}

nem_config() {
	local filter='.' kv key val
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		filter="$filter | .$key = $val"
	done
	jq "$filter" "$CLUSTER_CONFIG" >"$CLUSTER_DIR/nem.json"
}

# member pid of the fake database on nK (db "fake": DIR/fake/pid)
nem_member_pid() {
	cat "$CLUSTER_DIR/nodes/$1/fake/pid" 2>/dev/null
}

nem_shm_check() {
	local p f c t t0 ours live="" lost="" left=""
	ours=" $(cat "$CLUSTER_DIR"/nodes/*/fake/pids 2>/dev/null | xargs) "
	t0=$EPOCHSECONDS
	nem__heal
	for p in $(cat "$CLUSTER_DIR"/nodes/*/fake/pid 2>/dev/null); do
		nem__running "$p" && tr '\0' '\n' <"/proc/$p/environ" \
			2>/dev/null | grep -q '^LD_PRELOAD=.*faketime' || continue
		live="$live $p"
		[ -e "/dev/shm/faketime_shm_$p" ] &&
			[ -e "/dev/shm/sem.faketime_sem_$p" ] || lost="$lost $p"
	done
	set -- $live
	[ $# = 0 ] || check_eq \
		"heal leaves the libfaketime files of the $# running member(s)" \
		"" "${lost# }"
	# The members run on a while (their children come and go), then each
	# is frozen with the children it has running (its process group:
	# setsid): the cluster goes down on them mid-work, not racing their
	# exits during its process scan.
	nap 0.6
	for p in $live; do
		kill -STOP -- "-$p" 2>/dev/null
	done
	cluster_down >/dev/null 2>&1 || fail "cluster down" "exited $?"
	NEM_DOWN=1
	# Ours: a member's, or made since the heal (a concurrent test's
	# process may hold files of its own a while after its death).
	for p in $(nem__shm_pids); do
		[[ $NEM_SHM_BEFORE == *" $p "* ]] && continue
		nem__running "$p" && continue
		if [[ $ours != *" $p "* ]]; then
			c=0
			for f in /dev/shm/{faketime_shm_,sem.faketime_sem_}"$p"; do
				t=$(stat -c %Z "$f" 2>/dev/null) &&
					[ "$t" -ge "$t0" ] && c=1
			done
			[ $c = 1 ] || continue
		fi
		left="$left $p"
	done
	check_eq "no libfaketime file of a dead process left in /dev/shm" \
		"" "${left# }"
}
