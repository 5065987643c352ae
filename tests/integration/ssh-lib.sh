# tests/integration/ssh-lib.sh - helpers for the SSH transport tests
# (t02xx), on top of lib.sh.  Source after lib.sh and cluster_up.
#
#   write_cfg FILE SSH_JSON NODE...   a config for NODEs of the cluster
#                       with the given "ssh" members (JSON, without braces)
#   sshd_stop NODE      kill every sshd of NODE (listener and sessions)
#   sshd_start NODE [ARGS...]  start NODE's sshd again (ARGS go to sshd,
#                       e.g. -p 2222 -o PidFile=...); waits until it answers
#   sshd_start_port NODE PORT  a second sshd of NODE listening on PORT
#   drv_start CFG       start build/itest-ssh-driver on CFG as a coprocess
#                       (stopped at exit); fails the test if it is not ready
#   drv LINE            send one command (fields separated by tabs), the
#                       answer line is left in $DRV
#   field NAME LINE     value of NAME=... in a driver answer

NS_DRIVER=${NS_DRIVER:-$NS_ROOT/build/itest-ssh-driver}
NS_BIN=${NS_BIN:-$NS_ROOT/netsplit}

write_cfg() {
	local f=$1 ssh=$2 n sep=""
	shift 2
	{
		echo '{ "nodes": ['
		for n in "$@"; do
			printf '%s{ "name": "%s", "host": "%s", "dir": "%s" }\n' \
				"$sep" "$n" "$(node_addr "$n")" \
				"$CLUSTER_DIR/nodes/$n"
			sep=,
		done
		echo "], \"ssh\": { $ssh } }"
	} >"$f"
}

# sshd processes of node $1 (every process of its netns named sshd).
sshd_pids() {
	local p
	for p in $(ip netns pids "$(node_netns "$1")" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sshd ] && echo "$p"
	done
}

sshd_stop() {
	local pids i
	pids=$(sshd_pids "$1")
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		# zombies linger: look at the state, not kill -0
		pids=$(for p in $(sshd_pids "$1"); do
			grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null ||
				echo "$p"
		done)
		[ -z "$pids" ] && return 0
		sleep 0.05
	done
	return 1
}

sshd_start() {
	local n=$1 ns conf i
	shift
	ns=$(node_netns "$n")
	conf=$CLUSTER_DIR/nodes/$n/ssh/sshd_config
	setsid ip netns exec "$ns" unshare --uts sh -c \
		'hostname "$1" && shift && exec "$@"' sh "$n" \
		/usr/sbin/sshd -D -f "$conf" "$@" \
		</dev/null >>"$CLUSTER_DIR/nodes/$n/logs/sshd.log" 2>&1 &
	disown
	for ((i = 0; i < 100; i++)); do
		node_ssh "$n" true </dev/null >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

drv_start() {
	coproc DRVP { "$NS_DRIVER" "$1" 2>"$CLUSTER_DIR/driver.err"; }
	at_exit kill "$DRVP_PID"
	if ! IFS= read -r -t 30 DRV <&"${DRVP[0]}" || [ "$DRV" != ready ]; then
		die_test "driver starts" "$(cat "$CLUSTER_DIR/driver.err")"
	fi
}

drv() {
	printf '%s\n' "$1" >&"${DRVP[1]}"
	DRV=""
	IFS= read -r -t 120 DRV <&"${DRVP[0]}"
}

field() {
	case $1 in
	msg) printf '%s' "${2#* msg=}" ;;
	out) local r=${2#* out=}; printf '%s' "${r% msg=*}" ;;
	*) [[ " $2" =~ \ $1=([^ ]*) ]] && printf '%s' "${BASH_REMATCH[1]}" ;;
	esac
}

# sshd_start_port NODE PORT: a second sshd of NODE on PORT (same config,
# its own pid file); waits until it listens.
sshd_start_port() {
	local n=$1 port=$2 i
	setsid ip netns exec "$(node_netns "$n")" /usr/sbin/sshd -D \
		-f "$CLUSTER_DIR/nodes/$n/ssh/sshd_config" -p "$port" \
		-o PidFile="$CLUSTER_DIR/nodes/$n/run/sshd-$port.pid" \
		</dev/null >>"$CLUSTER_DIR/nodes/$n/logs/sshd.log" 2>&1 &
	disown
	for ((i = 0; i < 100; i++)); do
		[ -n "$(on_node "$n" ss -ltnH "sport = :$port")" ] && return 0
		sleep 0.05
	done
	return 1
}
