#!/bin/sh
# ebpf_attr.sh - attribution of a process that exits right after
# connect(): the event names its pid, executable and user, recorded at
# socket() in the kernel, not looked up later; and of a listener that
# existed before the programs (seeded from /proc at attach).
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null && command -v python3 >/dev/null || skip_all "ncat or python3 missing"
NCAT=$(readlink -f "$(command -v ncat)")
cat > "$TMP/policy.wfp" <<EOP
filter "block 9" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 9
filter "old ncat" layer ALE_AUTH_RECV_ACCEPT_V4 block where ALE_APP_ID == "$NCAT" and IP_LOCAL_PORT == 9300
EOP
echo "1..6"
# a listener that exists before the programs: its owner is seeded from
# /proc when they are attached (sock_create never saw its socket)
in_ns_bg ncat -l -k 127.0.0.1 9300 -c 'echo hi'
old=$!
sleep 0.5
start_driver "$TMP/policy.wfp"

# nobody listens on 8081: the connection is refused and ncat exits at once
in_ns sh -c 'echo $$ > "$0"; exec ncat 127.0.0.1 8081 < /dev/null' "$TMP/pid1" 2>/dev/null
in_ns sh -c 'echo $$ > "$0"; exec ncat 127.0.0.1 9 < /dev/null' "$TMP/pid2" 2>/dev/null
p1=$(cat "$TMP/pid1") p2=$(cat "$TMP/pid2")
gone() { # gone PID...: each ran (has a pid) and has exited
	for p in "$@"; do
		[ -n "$p" ] && ! kill -0 "$p" 2>/dev/null || return 1
	done
}
check "both processes ran and are gone" gone "$p1" "$p2"
events_settle
check "permitted connect attributed to pid $p1, $NCAT" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=permit' " tgid=$p1 " "app=$NCAT " 'uid=0'
check "blocked connect attributed to pid $p2, $NCAT" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=block' " tgid=$p2 " "app=$NCAT " 'rport=9 '
check "the owner's cgroup is the test cgroup" \
	has_event " tgid=$p1 " " cgroup=$(stat -c %i "$CG") "
if grep -q '^hook skb_ingress yes' "$TMP/events"; then
	out=$(in_ns python3 -c 'import socket
try:
    socket.create_connection(("127.0.0.1", 9300), timeout=0.5); print("ok")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(e)' 2>&1)
	check "the older listener's app is known: its filter drops the SYN ($out)" [ "$out" = timeout ]
	events_settle
	check "recv-accept event attributed to the older listener (pid $old, $NCAT)" \
		has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block' " tgid=$old " \
		"comm=ncat app=$NCAT " 'lport=9300 '
else
	skip "the older listener's app is known" "no skb_ingress"
	skip "recv-accept event attributed to the older listener" "no skb_ingress"
fi
exit $failed
