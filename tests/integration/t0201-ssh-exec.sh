#!/usr/bin/env bash
# t0201-ssh-exec: running commands over the SSH transport on a 3-node
# cluster, through `netsplit exec` and a persistent transport
# (build/itest-ssh-driver).
#
# Parallel exec on all nodes; exit codes; several MB on stdout and stderr
# at once (intact below the cap, truncated and flagged above it); a
# hostile argument arrives literally; deadlines (the session stays
# usable; --timeout runs what the user wrote, builtins included, and
# errors name it); 20 concurrent commands on one node (sshd's
# MaxSessions is 10);
# upload then download returns identical bytes; a local file the
# transport cannot read (upload) or write (download) is a harness error
# (exit 4), not an input error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh-lib.sh"

cluster_up 3
T=$CLUSTER_DIR/t
mkdir -p "$T"
C=$CLUSTER_CONFIG

ms_since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'
}

# --- parallel exec, exit codes -------------------------------------------

out=$("$NS_BIN" exec --config "$C" -- sh -c 'echo "$NODE_ID up"' 2>&1)
check_eq "exec on all nodes: output of every node, prefixed" "0 n1: n1 up
n2: n2 up
n3: n3 up" "$? $out"
# In parallel: every node starts its 1 s sleep before any has finished
# (a check that does not depend on how loaded the machine is).
out=$("$NS_BIN" exec --config "$C" -- sh -c \
	'date +%s%N; sleep 1; date +%s%N' 2>&1)
starts=$(echo "$out" | awk 'NR % 2 == 1 { print $2 }' | sort -n | tail -1)
ends=$(echo "$out" | awk 'NR % 2 == 0 { print $2 }' | sort -n | head -1)
if [ "$(echo "$out" | wc -l)" = 6 ] && [ "$starts" -lt "$ends" ]; then
	pass "exec on all nodes: runs in parallel"
else
	fail "exec on all nodes: runs in parallel" "$out"
fi

out=$("$NS_BIN" exec --config "$C" -- sh -c \
	'echo "out $NODE_ID"; echo "err $NODE_ID" >&2; [ "$NODE_ID" != n2 ]' \
	2>"$T/err")
rc=$?
check_eq "one node fails: exit 4" 4 "$rc"
check_eq "one node fails: stdout of all" "n1: out n1
n2: out n2
n3: out n3" "$out"
check_contains "one node fails: error names node, command, status, stderr" \
	"n2: sh -c 'echo \"out \$NODE_ID\"; echo \"err \$NODE_ID\" >&2; [ \"\$NODE_ID\" != n2 ]' exited 1: err n2" \
	"$(cat "$T/err")"
check_contains "one node fails: stderr prefixed" "n3: err n3" "$(cat "$T/err")"

# Output is passed on byte for byte, a NUL included (the prefixed lines
# once stopped at it: "n1: a" for "a\0b")
"$NS_BIN" exec --config "$C" --nodes n1 -- printf 'a\000b\nc' >"$T/nul" \
	2>/dev/null
check_eq "NUL in output: the whole line, prefixed" "6e313a206100620a6e313a20630a" \
	"$(od -An -tx1 "$T/nul" | tr -d ' \n')"

"$NS_BIN" exec --config "$C" >/dev/null 2>&1
check_eq "no command: exit 3" 3 "$?"
"$NS_BIN" exec --config "$C" --nodes n1,n9 -- true >/dev/null 2>&1
check_eq "unknown node: exit 3" 3 "$?"
echo '{ "nodes": [ { "name": "n1", "host": "x", "prot": 1 } ] }' >"$T/bad.json"
out=$("$NS_BIN" exec --config "$T/bad.json" -- true 2>&1)
check_eq "bad config: exit 3 naming the key" \
	"3 netsplit: $T/bad.json: 'nodes[0].prot': unknown key (known: name host port dir)" \
	"$? $out"
out=$("$NS_BIN" exec --config "$C" --nodes n3 -- sh -c 'kill -TERM $$' 2>&1)
check_eq "signal reported" \
	"4 netsplit: n3: sh -c 'kill -TERM \$\$' killed by signal TERM" \
	"$? $out"

# --- several MB on stdout and stderr at once -----------------------------

head -c 3000000 /dev/urandom >"$T/a"
head -c 2500000 /dev/urandom >"$T/b"
"$NS_BIN" exec --config "$C" --nodes n1,n3 --out-dir "$T/big" -- \
	sh -c 'cat "$0" & cat "$1" >&2; wait' "$T/a" "$T/b" >/dev/null \
	2>"$T/big.err"
check_eq "big output: exit 0" 0 "$?"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
for n in n1 n3; do
	check_eq "big output: $n stdout intact (3 MB, sha256)" "$(sum "$T/a")" \
		"$(sum "$T/big/$n.out")"
	check_eq "big output: $n stderr intact (2.5 MB, sha256)" \
		"$(sum "$T/b")" "$(sum "$T/big/$n.err")"
done
case $(cat "$T/big.err") in
*truncated*) fail "big output: no truncation below the cap" \
	"$(grep truncated "$T/big.err")" ;;
*) pass "big output: no truncation below the cap" ;;
esac

"$NS_BIN" exec --config "$C" --nodes n2 --max-output 1000000 \
	--out-dir "$T/cap" -- sh -c 'cat "$0" & cat "$1" >&2; wait' \
	"$T/a" "$T/b" >/dev/null 2>"$T/cap.err"
check_eq "above the cap: exit 0 (the command succeeded)" 0 "$?"
check_eq "above the cap: stdout cut at the cap" 1000000 \
	"$(stat -c %s "$T/cap/n2.out")"
check "above the cap: kept bytes are the first ones" \
	cmp -n 1000000 "$T/a" "$T/cap/n2.out"
check_contains "above the cap: stdout flagged" \
	"n2: stdout truncated at 1000000 bytes" "$(cat "$T/cap.err")"
check_contains "above the cap: stderr flagged" \
	"n2: stderr truncated at 1000000 bytes" "$(cat "$T/cap.err")"

# --- a hostile argument arrives as one literal argument ------------------

weird="it's; \$(touch $T/pwned) \`touch $T/pwned2\` \"q\" \\ *
line 2 \$HOME

end"
"$NS_BIN" exec --config "$C" --nodes n2 --out-dir "$T/lit" -- \
	printf '%s' "$weird" >/dev/null 2>&1
check_eq "literal argument: exit 0" 0 "$?"
printf '%s' "$weird" >"$T/lit.want"
check "literal argument: arrives byte for byte" cmp "$T/lit.want" \
	"$T/lit/n2.out"
"$NS_BIN" exec --config "$C" --nodes n2 --out-dir "$T/lit2" -- \
	sh -c 'printf "%s|" "$#" "$@"' sh "$weird" "a b" \
	>/dev/null 2>&1
check_eq "literal argument: stays one argument" "2|$weird|a b|" \
	"$(cat "$T/lit2/n2.out")"
if [ -e "$T/pwned" ] || [ -e "$T/pwned2" ]; then
	fail "literal argument: nothing was executed" "a file was created"
else
	pass "literal argument: nothing was executed"
fi

# --- a persistent transport ----------------------------------------------

drv_start "$C"
drv "sh	n3	0	printf '%s|' \"\$@\"	$(printf '%s' "$weird" |
	sed 's/\\/\\\\/g' | sed ':a;N;$!ba;s/\n/\\n/g')	x"
check_eq "transport_sh: positional arguments literal" \
	"$(printf '%s|x|' "$weird" | sed 's/\\/\\\\/g' |
		sed ':a;N;$!ba;s/\n/\\n/g')" "$(field out "$DRV")"

t0=$EPOCHREALTIME
drv "exec	n1	500	sleep	30"
ms=$(ms_since "$t0")
check_eq "deadline: reported as timed out" "rc=0 to=1" \
	"rc=$(field rc "$DRV") to=$(field to "$DRV")"
check_contains "deadline: message" "n1: 'sleep 30' timed out" \
	"$(field msg "$DRV")"
if [ "$ms" -lt 5000 ]; then pass "deadline: returned after ${ms} ms"
else fail "deadline: returned after ${ms} ms" "too late"; fi
drv "exec	n1	5000	echo	still here"
check_eq "deadline: the next command on that node works" \
	"rc=0 exit=0 out=still here\\n" \
	"rc=$(field rc "$DRV") exit=$(field exit "$DRV") out=$(field out "$DRV")"
out=$("$NS_BIN" exec --config "$C" --nodes n2 --timeout 0.5 -- sleep 30 2>&1)
check_eq "netsplit exec --timeout" "4 netsplit: n2: 'sleep 30' timed out" \
	"$? $out"
# ... and the command that hung does not run on after it (the transport
# cannot signal it; timeout(1) on the node ends it, children included)
"$NS_BIN" exec --config "$C" --nodes n2 --timeout 0.5 -- \
	sh -c 'sleep 31.7 & sleep 31.6' >/dev/null 2>&1
left=""
for _ in $(seq 50); do
	left=$(pgrep -f 'sleep 31\.[67]')
	[ -z "$left" ] && break
	nap 0.1
done
check_eq "netsplit exec --timeout: nothing left running on the node" "" \
	"$left"
[ -n "$left" ] && kill $left 2>/dev/null
# --timeout runs what the user wrote as it runs without it: a shell
# builtin, a shell's exit status and a hostile argument too (they once
# went to timeout(1) as a program name: exit 127), and errors name the
# user's command, not the wrapper around it
want=$("$NS_BIN" exec --config "$C" --nodes n2 -- ulimit -n 2>&1)
out=$("$NS_BIN" exec --config "$C" --nodes n2 --timeout 5 -- ulimit -n 2>&1)
check_eq "netsplit exec --timeout: a shell builtin runs" "0 $want" "$? $out"
out=$("$NS_BIN" exec --config "$C" --nodes n2 --timeout 5 -- exit 3 2>&1)
check_eq "netsplit exec --timeout: the shell's exit status, user's command" \
	"4 netsplit: n2: 'exit 3' exited 3" "$? $out"
"$NS_BIN" exec --config "$C" --nodes n2 --timeout 5 --out-dir "$T/lit3" -- \
	printf '%s' "$weird" >/dev/null 2>&1
check_eq "netsplit exec --timeout: literal argument: exit 0" 0 "$?"
check "netsplit exec --timeout: literal argument arrives byte for byte" \
	cmp "$T/lit.want" "$T/lit3/n2.out"
if [ -e "$T/pwned" ] || [ -e "$T/pwned2" ]; then
	fail "netsplit exec --timeout: nothing was executed" "a file was created"
else
	pass "netsplit exec --timeout: nothing was executed"
fi
# a transport error (the node's sshd session dies under the command)
cat >"$T/drop.sh" <<'EOS'
p=$PPID
while [ "$(ps -o comm= -p "$p")" != sshd ]; do
	p=$(ps -o ppid= -p "$p" | tr -d ' ')
	[ "$p" -gt 1 ] || exit 9
done
kill -9 "$p"
sleep 5
EOS
out=$("$NS_BIN" exec --config "$C" --nodes n2 --timeout 10 -- sh "$T/drop.sh" \
	2>&1)
check_eq "netsplit exec --timeout: a transport error names the user's command" \
	"4 netsplit: n2: 'sh $T/drop.sh': connection lost" "$? $out"

drv "par	n2	20	20000	sh	-c	sleep 0.5; echo x"
check_contains "20 concurrent commands on one node complete" \
	"par ok=20 of=20" "$DRV"
drv "many	10000	sh	-c	test -n \"\$NODE_ID\""
check_contains "exec on all nodes at once (transport_exec_many)" \
	"many ok=3 of=3" "$DRV"

head -c 3500000 /dev/urandom >"$T/up.bin"
chmod 600 "$T/up.bin"
drv "up	n1	$T/up.bin	$CLUSTER_DIR/nodes/n1/data/up.bin"
check_eq "upload: ok" 0 "$(field rc "$DRV")"
drv "down	n1	$CLUSTER_DIR/nodes/n1/data/up.bin	$T/down.bin"
check_eq "download: ok" 0 "$(field rc "$DRV")"
check "upload then download: identical bytes" cmp "$T/up.bin" "$T/down.bin"
check_eq "upload: remote file mode 0644" 644 \
	"$(stat -c %a "$CLUSTER_DIR/nodes/n1/data/up.bin")"
drv "up	n1	$T/up.bin	data/rel.bin"
check "upload: a relative path lands in the node's dir" cmp "$T/up.bin" \
	"$CLUSTER_DIR/nodes/n1/data/rel.bin"
drv "down	n1	$T/does-not-exist	$T/x.bin"
check_contains "download of a missing file: error naming the node" "n1: " \
	"$(field rc "$DRV") $(field msg "$DRV")"
drv "exec	n1	5000	true"
check_eq "session usable after a failed download" 0 "$(field exit "$DRV")"

# Local file errors: open fails, or the file opens and its read or write
# fails mid-transfer.
src=$CLUSTER_DIR/nodes/n1/data/up.bin
drv "down	n1	$src	$T/no-such-dir/x.bin"
check_eq "download into a missing local dir: exit 4" 4 "$(field code "$DRV")"
check_contains "download into a missing local dir: names the file" \
	"$T/no-such-dir/x.bin" "$(field msg "$DRV")"
drv "down	n1	$src	/dev/full"
check_eq "download, local write fails: exit 4" 4 "$(field code "$DRV")"
check_contains "download, local write fails: says why" \
	"No space left on device" "$(field msg "$DRV")"
drv "up	n1	$T/does-not-exist	data/x.bin"
check_eq "upload of a missing local file: exit 4" 4 "$(field code "$DRV")"
drv "up	n1	$T	data/x.bin"
check_eq "upload, local read fails: exit 4" 4 "$(field code "$DRV")"
check_contains "upload, local read fails: says why" "Is a directory" \
	"$(field msg "$DRV")"
drv "exec	n1	5000	true"
check_eq "session usable after local file errors" 0 "$(field exit "$DRV")"

# More channels than sshd's MaxSessions (10) on one session: the refused
# ones wait for a slot instead of failing.
write_cfg "$T/one.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$CLUSTER_KNOWN_HOSTS\", \"max_sessions\": 1, \"max_channels\": 12" n1
kill "$DRVP_PID" 2>/dev/null
wait "$DRVP_PID" 2>/dev/null
drv_start "$T/one.json"
drv "par	n1	20	20000	sh	-c	sleep 0.5; echo x"
check_contains "20 concurrent on one session, max_channels above MaxSessions" \
	"par ok=20 of=20" "$DRV"
