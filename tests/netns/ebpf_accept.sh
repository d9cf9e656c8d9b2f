#!/bin/sh
# ebpf_accept.sh - ALE_AUTH_RECV_ACCEPT_V4/V6 decided in the kernel by
# cgroup_skb/ingress, after the socket lookup: a blocked SYN is dropped
# silently (the client times out, it is not refused: spec §3.8), a blocked
# UDP datagram too (no ICMP port unreachable), UDP is classified once per
# flow, replies to the socket's own sendto() are part of its outbound flow,
# another port works, and the event names the listening app.  Then the
# fallback: WFP_EBPF_DISABLE=skb leaves RECV_ACCEPT to sk_lookup in the
# test netns, which refuses (RST / ICMP) as before.
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null && command -v python3 >/dev/null || skip_all "ncat or python3 missing"
NCAT=$(readlink -f "$(command -v ncat)")
cat > "$TMP/policy.wfp" <<'EOP'
filter "no 9000 v4" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 9000
filter "no 9000 v6" layer ALE_AUTH_RECV_ACCEPT_V6 block where IP_LOCAL_PORT == 9000
filter "no 9100 v4" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 9100
filter "not from 5300" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_REMOTE_PORT == 5300
EOP
probe() { in_ns python3 "$PROBE" "$@" 2>&1; }
start_driver "$TMP/policy.wfp"
grep -q '^hook skb_ingress yes' "$TMP/events" ||
	skip_all "no cgroup_skb ingress: $(grep '^hook skb_ingress' "$TMP/events")"
echo "1..16"
for a in 127.0.0.1 ::1; do
	in_ns_bg ncat -l -k "$a" 9000 -c 'echo hi'
	in_ns_bg ncat -l -k "$a" 9001 -c 'echo hi'
done
for p in 9000 9001 5300 5301; do
	in_ns_bg python3 "$PROBE" echo 127.0.0.1 $p
done
in_ns_bg python3 "$PROBE" echo ::1 9000
sleep 0.5
out=$(probe tcp 127.0.0.1 9000)
check "connect to the blocked v4 listener: no answer, not refused ($out)" [ "$out" = timeout ]
out=$(probe tcp ::1 9000)
check "connect to the blocked v6 listener: no answer, not refused ($out)" [ "$out" = timeout ]
out=$(probe tcp 127.0.0.1 9001)
check "connect to 127.0.0.1:9001 works ($out)" [ "$out" = ok:hi ]
out=$(probe tcp ::1 9001)
check "connect to [::1]:9001 works ($out)" [ "$out" = ok:hi ]
out=$(probe udp 127.0.0.1 9000)
check "UDP to the blocked port: dropped silently, no ICMP ($out)" \
	[ "$out" = "timeout timeout timeout" ]
out=$(probe udp ::1 9000)
check "UDP to the blocked v6 port: dropped silently ($out)" [ "$out" = "timeout timeout timeout" ]
out=$(probe udp 127.0.0.1 9001)
check "UDP to port 9001 is answered ($out)" [ "$out" = "data data data" ]
out=$(probe reply 127.0.0.1 5300)
check "the answer from port 5300 to our own sendto() is let in ($out)" [ "$out" = data ]
out=$(probe from 127.0.0.1 5301)
check "a datagram from port 5300 opening a flow is dropped ($out)" [ "$out" = timeout ]
events_settle
check "kernel event: recv-accept blocked, attributed to the listener" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block' "comm=ncat app=$NCAT " \
	'lport=9000 raddr=127.0.0.1 .* proto=6$'
check "kernel event: v6 recv-accept blocked" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V6 verdict=block' 'comm=ncat' 'lport=9000 raddr=::1 '
cnt=$(grep -c 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block .*lport=9000 .*proto=17$' "$TMP/events")
check "UDP: one classification per flow, not per datagram (got $cnt)" [ "$cnt" = 1 ]
check "kernel event: the flow from port 5300 blocked" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block' 'lport=5301 raddr=127.0.0.2 rport=5300 '
cnt=$(grep -c 'layer=ALE_AUTH_RECV_ACCEPT_V. .* cookie=0 ' "$TMP/events")
check "sk_lookup (attached too) stood by: no event of its own (got $cnt)" [ "$cnt" = 0 ]
kill "$DRIVER" && wait "$DRIVER"
DRIVER=

# the fallback: sk_lookup in the netns refuses (it has no socket yet)
WFP_EBPF_DISABLE=skb start_driver "$TMP/policy.wfp"
in_ns_bg ncat -l -k 127.0.0.1 9100 -c 'echo hi'
in_ns_bg python3 "$PROBE" echo 127.0.0.1 9100
sleep 0.5
if grep -q '^hook sk_lookup yes' "$TMP/events" && grep -q '^hook skb_ingress no' "$TMP/events"; then
	out=$(probe tcp 127.0.0.1 9100)
	check "WFP_EBPF_DISABLE=skb: sk_lookup refuses the blocked listener ($out)" [ "$out" = refused ]
	out=$(probe udp 127.0.0.1 9100)
	check "WFP_EBPF_DISABLE=skb: UDP refused by ICMP ($out)" \
		sh -c "echo '$out' | grep -q refused"
else
	skip "WFP_EBPF_DISABLE=skb: sk_lookup refuses" "no sk_lookup"
	skip "WFP_EBPF_DISABLE=skb: UDP refused" "no sk_lookup"
fi
exit $failed
