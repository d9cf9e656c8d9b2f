#!/bin/sh
# ebpf_accept.sh - ALE_AUTH_RECV_ACCEPT_V4/V6 decided in the kernel at
# the incoming SYN (sk_lookup in the test netns when the BPF LSM is not
# usable): a blocked listener's clients are refused at once, another
# port works, and the event names the listening app.
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null || skip_all "ncat missing"
NCAT=$(readlink -f "$(command -v ncat)")
cat > "$TMP/policy.wfp" <<'EOP'
filter "no 9000 v4" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 9000
filter "no 9000 v6" layer ALE_AUTH_RECV_ACCEPT_V6 block where IP_LOCAL_PORT == 9000
EOP
start_driver "$TMP/policy.wfp"
grep -q '^hook sk_lookup yes\|^hook lsm_cgroup yes' "$TMP/events" ||
	skip_all "no recv-accept hook"
echo "1..5"
for a in 127.0.0.1 ::1; do
	in_ns_bg ncat -l -k "$a" 9000 -c 'echo hi'
	in_ns_bg ncat -l -k "$a" 9001 -c 'echo hi'
done
sleep 0.5
out=$(in_ns ncat -w 3 127.0.0.1 9000 < /dev/null 2>&1)
check "connect to the blocked v4 listener is refused ($out)" \
	sh -c "echo '$out' | grep -q 'Connection refused'"
out=$(in_ns ncat -w 3 ::1 9000 < /dev/null 2>&1)
check "connect to the blocked v6 listener is refused ($out)" \
	sh -c "echo '$out' | grep -q 'Connection refused'"
out=$(in_ns ncat --recv-only -w 3 127.0.0.1 9001 < /dev/null 2>&1)
check "connect to port 9001 works ($out)" [ "$out" = hi ]
out=$(in_ns ncat --recv-only -w 3 ::1 9001 < /dev/null 2>/dev/null)
check "connect to [::1]:9001 works" [ "$out" = hi ]
events_settle
check "kernel event: recv-accept blocked, attributed to the listener" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block' "comm=ncat app=$NCAT " \
	'lport=9000 raddr=127.0.0.1'
exit $failed
