#!/bin/sh
# ebpf_attr.sh - attribution of a process that exits right after
# connect(): the event names its pid, executable and user, recorded at
# socket() in the kernel, not looked up later.
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null || skip_all "ncat missing"
NCAT=$(readlink -f "$(command -v ncat)")
cat > "$TMP/policy.wfp" <<'EOP'
filter "block 9" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 9
EOP
echo "1..4"
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
exit $failed
