#!/bin/sh
# ebpf_strict.sh - strict layers (wfp_ebpf_publish_strict): with app paths
# unavailable (WFP_EBPF_DISABLE=exec) an ALE_APP_ID filter defers when its
# layer is not strict (curl passes, verdict=defer) and blocks, fail-closed,
# when it is (curl's connect() fails with EPERM, reason=unavailable), at
# ALE_AUTH_CONNECT_V4 and at ALE_AUTH_RECV_ACCEPT_V4 (a SYN from outside
# the cgroup is then dropped silently).  A layer with a callout filter is
# not complete and stays non-strict even when asked; a filter in front
# still decides with its own id.
. "$(dirname "$0")/ebpf_lib.sh"
command -v curl >/dev/null && command -v ncat >/dev/null && command -v python3 >/dev/null ||
	skip_all "curl, ncat or python3 missing"
CURL=$(readlink -f "$(command -v curl)")
cat > "$TMP/policy.wfp" <<EOP
filter "no curl" layer ALE_AUTH_CONNECT_V4 weight 1 block where ALE_APP_ID == "$CURL"
filter "no 80" layer ALE_AUTH_CONNECT_V4 weight 2 block where IP_REMOTE_PORT == 80
filter "no curl v6" layer ALE_AUTH_CONNECT_V6 weight 1 block where ALE_APP_ID == "$CURL"
callout co layer ALE_AUTH_CONNECT_V6
filter "co" layer ALE_AUTH_CONNECT_V6 weight 0 callout co
filter "only sshd" layer ALE_AUTH_RECV_ACCEPT_V4 block where ALE_APP_ID != "/usr/sbin/sshd"
EOP
# a client outside the cgroup (its connect() is not classified): what
# the listener's RECV_ACCEPT did to its SYN
cat > "$TMP/client.py" <<'EOP'
import socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5)
    print("ok")
except socket.timeout:
    print("timeout")
except ConnectionRefusedError:
    print("refused")
EOP
outside() { ip netns exec "$NS" python3 "$TMP/client.py" "$@" 2>&1; }
# bits of enum wfp_ale_klayer: BIND4/6 0x03, ACCEPT4/6 0x30, CONNECT4 0x40,
# LISTEN4/6 0x0c with the LSM or the sockops path (here);
# not CONNECT6 (a callout filter)
complete=0x73
export WFP_EBPF_DISABLE=exec
start_driver "$TMP/policy.wfp"
grep -q '^hook skb_ingress yes' "$TMP/events" ||
	skip_all "no cgroup_skb ingress: $(grep '^hook skb_ingress' "$TMP/events")"
grep -Eq '^hook (lsm_cgroup|listen_sockops) yes' "$TMP/events" && complete=0x7f # LISTEN too
echo "1..14"
http_server 8080
check "not strict: complete=$complete strict=0x00" \
	grep -q "^ready .* complete=$complete strict=0x00\$" "$TMP/events"
out=$(in_ns curl -s --max-time 5 http://127.0.0.1:8080/)
check "not strict: the app filter defers, curl passes ($out)" [ "$out" = hello ]
out=$(outside 127.0.0.1 8080)
check "not strict: a SYN for the listener is let through to userspace ($out)" [ "$out" = ok ]
events_settle
check "not strict: verdict=defer without a reason" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=defer' 'comm=curl' 'proto=6$'
check "not strict: recv-accept deferred" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=defer' 'lport=8080 ' 'proto=6$'
kill "$DRIVER" && wait "$DRIVER"
DRIVER=

WFP_EBPF_STRICT=connect4,connect6,accept4 start_driver "$TMP/policy.wfp"
# a listener whose ncat started after the programs (the older ones were
# seeded from /proc at attach, app path included)
in_ns_bg ncat -l -k 127.0.0.1 8081 -c 'echo hi'
sleep 0.5
check "strict: connect6 is not complete (callout), so strict=0x50" \
	grep -q "^ready .* complete=$complete strict=0x50\$" "$TMP/events"
in_ns curl -sS -o /dev/null --max-time 5 http://127.0.0.1:8080/ 2>/dev/null
rc=$?
check "strict: curl fails to connect (exit 7, got $rc)" [ "$rc" = 7 ]
if command -v strace >/dev/null; then
	e=$(connect_errno curl -s -o /dev/null --max-time 5 http://127.0.0.1:8080/)
	check "strict: connect() returns EPERM (got ${e:-success})" [ "$e" = EPERM ]
else
	skip "strict: connect() returns EPERM" "strace missing"
fi
out=$(in_ns curl -s --max-time 5 'http://[::1]:8080/')
check "strict requested at CONNECT6, but not complete: curl over v6 passes ($out)" \
	[ "$out" = hello ]
in_ns curl -s --max-time 5 http://127.0.0.1:80/ > /dev/null 2>&1
out=$(outside 127.0.0.1 8081)
check "strict: the SYN for the listener is dropped silently ($out)" [ "$out" = timeout ]
events_settle
check "strict: event verdict=block reason=unavailable, no filter" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=block filter=0 ' 'comm=curl' \
	'rport=8080 .* reason=unavailable$'
check "strict: the filter in front still decides, with its id" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=block filter=[1-9]' 'rport=80 proto=6$'
check "strict: recv-accept blocked, reason=unavailable" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=block' 'lport=8081 .* reason=unavailable$'
kill "$DRIVER" && wait "$DRIVER"
DRIVER=
check "counters: unavailable counted at ALE_AUTH_CONNECT_V4" \
	grep -Eq '^stats layer=ALE_AUTH_CONNECT_V4 .* unavailable=[1-9]' "$TMP/events"
exit $failed
