#!/usr/bin/env bash
# t0200-ssh-auth: the SSH transport's authentication and host key checks
# on a 3-node cluster, through `netsplit exec`.
#
# Key auth and ssh-agent auth succeed; a wrong key, an RSA key (refused by
# OpenSSH >= 8.8 since libssh2 1.10 signs with SHA-1), an unknown host key
# and a mismatched host key are each refused with their own message;
# accept_new_host_keys records unknown keys (and still refuses a mismatch);
# hashed and [host]:port known_hosts entries work.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ssh-lib.sh"

cluster_up 3
T=$CLUSTER_DIR/t
mkdir -p "$T"
addr1=$(node_addr n1)
key1=$(cut -d' ' -f1,2 "$CLUSTER_DIR/nodes/n1/ssh/ssh_host_ed25519_key.pub")
key2=$(cut -d' ' -f1,2 "$CLUSTER_DIR/nodes/n2/ssh/ssh_host_ed25519_key.pub")

# run_exec CFG CMD...: sets OUT (stdout+stderr) and RC
run_exec() {
	local cfg=$1
	shift
	OUT=$("$NS_BIN" exec --config "$cfg" -- "$@" 2>&1)
	RC=$?
}

# --- key and agent auth ------------------------------------------------

run_exec "$CLUSTER_CONFIG" hostname
check_eq "key auth: exit 0" 0 "$RC"
check_eq "key auth: each node answers" "n1: n1
n2: n2
n3: n3" "$OUT"

eval "$(ssh-agent -s)" >/dev/null
at_exit kill "$SSH_AGENT_PID"
ssh-add -q "$CLUSTER_KEY" 2>/dev/null
write_cfg "$T/agent.json" "\"agent\": true, \"known_hosts\": \
\"$CLUSTER_KNOWN_HOSTS\"" n1 n2 n3
run_exec "$T/agent.json" sh -c 'echo $NODE_ID'
check_eq "agent auth: exit 0" 0 "$RC"
check_eq "agent auth: each node answers" "n1: n1
n2: n2
n3: n3" "$OUT"
ssh-add -q -D 2>/dev/null
run_exec "$T/agent.json" true
check_eq "agent without keys: exit 4" 4 "$RC"
check_contains "agent without keys: says so" \
	"n1: authentication as 'root' failed: the ssh-agent holds no keys" "$OUT"
kill "$SSH_AGENT_PID"
unset SSH_AUTH_SOCK SSH_AGENT_PID

# --- wrong keys --------------------------------------------------------

ssh-keygen -q -t ed25519 -N "" -f "$T/other" </dev/null
write_cfg "$T/wrong.json" "\"key\": \"$T/other\", \"known_hosts\": \
\"$CLUSTER_KNOWN_HOSTS\"" n1 n2
run_exec "$T/wrong.json" true
check_eq "wrong key: exit 4" 4 "$RC"
check_contains "wrong key: refused, node named" \
	"n1: authentication as 'root' failed: the server refused key '$T/other'" \
	"$OUT"
check_contains "wrong key: every node reported" "n2: authentication" "$OUT"

# An RSA key the server would accept (it is authorized) fails anyway.
ssh-keygen -q -t rsa -b 2048 -N "" -f "$T/rsa" </dev/null
cat "$T/rsa.pub" >>"$CLUSTER_DIR/authorized_keys"
write_cfg "$T/rsa.json" "\"key\": \"$T/rsa\", \"known_hosts\": \
\"$CLUSTER_KNOWN_HOSTS\"" n1
run_exec "$T/rsa.json" true
check_eq "rsa key: exit 4" 4 "$RC"
check_contains "rsa key: explains libssh2 1.10 vs OpenSSH >= 8.8" \
	"libssh2 1.10 signs with RSA keys using SHA-1 ('ssh-rsa') only, which OpenSSH >= 8.8 refuses" \
	"$OUT"

# --- host keys ---------------------------------------------------------

: >"$T/kh.empty"
write_cfg "$T/unknown.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.empty\"" n1
run_exec "$T/unknown.json" true
check_eq "unknown host key: exit 4" 4 "$RC"
check_contains "unknown host key: refused as unknown" \
	"n1: unknown host key for '$addr1'" "$OUT"
case $OUT in *mismatch*) fail "unknown host key: not called a mismatch" \
	"$OUT" ;; *) pass "unknown host key: not called a mismatch" ;; esac
check_eq "unknown host key: nothing recorded" 0 \
	"$(wc -l <"$T/kh.empty")"

printf '%s %s\n' "$addr1" "$key2" >"$T/kh.bad"
write_cfg "$T/mismatch.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.bad\"" n1
run_exec "$T/mismatch.json" true
check_eq "mismatched host key: exit 4" 4 "$RC"
check_contains "mismatched host key: refused as mismatch" \
	"n1: host key mismatch for '$addr1'" "$OUT"
write_cfg "$T/mismatch-new.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.bad\", \"accept_new_host_keys\": true" n1
run_exec "$T/mismatch-new.json" true
check_contains "accept-new still refuses a mismatch" \
	"n1: host key mismatch for '$addr1'" "$OUT"

: >"$T/kh.new"
write_cfg "$T/new.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.new\", \"accept_new_host_keys\": true" n1 n2 n3
run_exec "$T/new.json" hostname
check_eq "accept-new: exit 0" 0 "$RC"
check_eq "accept-new: 3 keys recorded" 3 "$(wc -l <"$T/kh.new")"
check_contains "accept-new: n1's real key recorded" "$addr1 $key1" \
	"$(cat "$T/kh.new")"
write_cfg "$T/new2.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.new\"" n1 n2 n3
run_exec "$T/new2.json" true
check_eq "recorded keys verify without accept-new" 0 "$RC"

cp "$CLUSTER_KNOWN_HOSTS" "$T/kh.hashed"
ssh-keygen -q -H -f "$T/kh.hashed" >/dev/null 2>&1
rm -f "$T/kh.hashed.old"
if grep -q "$addr1" "$T/kh.hashed"; then
	fail "hashed known_hosts" "ssh-keygen -H left plain names"
fi
write_cfg "$T/hashed.json" "\"key\": \"$CLUSTER_KEY\", \"known_hosts\": \
\"$T/kh.hashed\"" n1 n2 n3
run_exec "$T/hashed.json" true
check_eq "hashed known_hosts: exit 0" 0 "$RC"

# [host]:port: a second sshd on n1, port 2222.
sshd_start_port n1 2222 || die_test "second sshd on n1:2222" "not listening"
kh_port() { printf '[%s]:2222 %s\n' "$addr1" "$1" >"$T/kh.port"; }
port_cfg() {
	{
		printf '{ "nodes": [ { "name": "n1", "host": "%s", ' "$addr1"
		printf '"port": 2222 } ], "ssh": { "key": "%s", ' "$CLUSTER_KEY"
		printf '"known_hosts": "%s" } }\n' "$T/kh.port"
	} >"$T/port.json"
}
port_cfg
kh_port "$key1"
run_exec "$T/port.json" sh -c 'echo $NODE_ID'
check_eq "[host]:port entry: exit 0" "0 n1: n1" "$RC $OUT"
ssh-keygen -q -H -f "$T/kh.port" >/dev/null 2>&1
run_exec "$T/port.json" true
check_eq "hashed [host]:port entry: exit 0" 0 "$RC"
kh_port "$key2"
run_exec "$T/port.json" true
check_contains "[host]:port mismatch refused" \
	"n1: host key mismatch for '[$addr1]:2222'" "$OUT"
