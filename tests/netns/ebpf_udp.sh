#!/bin/sh
# ebpf_udp.sh - unconnected UDP: sendto() to a blocked address fails with
# EPERM every time but is classified once per flow (one event, then the
# flow's verdict is reused until the policy changes); another port works.
. "$(dirname "$0")/ebpf_lib.sh"
command -v python3 >/dev/null || skip_all "python3 missing"
cat > "$TMP/policy.wfp" <<'EOP'
filter "no dns v4" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 5353 and IP_PROTOCOL == udp
filter "no dns v6" layer ALE_AUTH_CONNECT_V6 block where IP_REMOTE_PORT == 5353 and IP_PROTOCOL == udp
EOP
cat > "$TMP/send.py" <<'EOP'
import errno, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
res = []
for i in range(3):
    try:
        s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
        res.append("ok")
    except OSError as e:
        res.append(errno.errorcode[e.errno])
print(" ".join(res))
EOP
echo "1..6"
start_driver "$TMP/policy.wfp"
for a in 127.0.0.1 ::1; do
	out=$(in_ns python3 "$TMP/send.py" $a 5353)
	check "3 x sendto $a:5353: EPERM each time ($out)" [ "$out" = "EPERM EPERM EPERM" ]
	out=$(in_ns python3 "$TMP/send.py" $a 5354)
	check "3 x sendto $a:5354 work ($out)" [ "$out" = "ok ok ok" ]
done
events_settle
cnt=$(grep -c 'layer=ALE_AUTH_CONNECT_V4 verdict=block .*rport=5353 ' "$TMP/events")
check "one classification per flow, not per datagram (got $cnt)" [ "$cnt" = 1 ]
kill "$DRIVER" && wait "$DRIVER"
DRIVER=
check "counters: the later datagrams of both v4 flows reused their verdicts" \
	grep -Eq '^stats layer=ALE_AUTH_CONNECT_V4 .* cached=4 ' "$TMP/events"
exit $failed
