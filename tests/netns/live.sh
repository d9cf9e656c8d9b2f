#!/bin/bash
# SPDX-License-Identifier: MIT
# live.sh - wfpd enforcing a WFP policy on real traffic between two
# network namespaces (topology in lib.sh): wfpd runs in both the client
# and the server namespace, each with its own table and socket.
#
#   client ns: wfpd (AUTH_CONNECT side)      server ns: wfpd (RECV_ACCEPT side)
#   curl/ncat/socat/ping/nmap/iperf3  ==veth==  socat/ncat/iperf3 servers
#
# Root only; prints a TAP skip otherwise.  Every client command is bounded
# by timeout(1); the trap in lib.sh kills what we started (by pid) and
# deletes both namespaces, also on failure.
. "$(dirname "$0")/lib.sh"

require_env socat ncat iperf3 nmap curl iputils-ping python3
setup_topology
tap_plan 27

POLICY='filter "no telnet" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 23 and IP_PROTOCOL == tcp
filter "no telnet6" layer ALE_AUTH_CONNECT_V6 block where IP_REMOTE_PORT == 23 and IP_PROTOCOL == tcp
filter "no telnet in" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 23
filter "web in" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80'
STEALTH='filter "stealth tcp" layer INBOUND_TRANSPORT_V4_DISCARD block where FLAGS none-set IS_LOOPBACK
filter "stealth tcp6" layer INBOUND_TRANSPORT_V6_DISCARD block where FLAGS none-set IS_LOOPBACK
filter "stealth udp" layer OUTBOUND_ICMP_ERROR_V4 block where ICMP_TYPE == 3
filter "stealth udp6" layer OUTBOUND_ICMP_ERROR_V6 block where ICMP_TYPE == 1'

chmod 755 "$TMP"
start_wfpd "$NS_S" "$SOCK_S" --socket-mode 0666 || exit 1
WFPD_S=$WFPD_PID
start_wfpd "$NS_C" "$SOCK_C" --table openwfp || exit 1
note "queue path: $("$WFPCTL" -s "$SOCK_S" show counters | sed -n 's/^queue path: //p')" \
	"(only the compat path can be tested where CONFIG_NFT_QUEUE is not set)"
load "$SOCK_S" "$POLICY
$STEALTH" >/dev/null
load "$SOCK_C" "$POLICY" >/dev/null

# servers in the server namespace
cat >"$TMP/http.sh" <<'SH'
#!/bin/sh
# read the request up to its blank line, then answer (no reset on close)
while read -r l; do [ "${#l}" -le 1 ] && break; done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n'
SH
chmod +x "$TMP/http.sh"
bg "$NS_S" socat TCP6-LISTEN:80,ipv6only=0,fork,reuseaddr EXEC:"$TMP/http.sh"
bg "$NS_S" socat TCP6-LISTEN:23,ipv6only=0,fork,reuseaddr SYSTEM:'echo telnet'
bg "$NS_S" socat UDP4-RECVFROM:5353,fork EXEC:cat
bg "$NS_S" socat UDP6-RECVFROM:5353,ipv6only=1,fork EXEC:cat
bg "$NS_S" iperf3 -s -p 5201 -1 -D --logfile "$TMP/iperf-5201.log"
bg "$NS_S" iperf3 -s -p 5202 -1 -D --logfile "$TMP/iperf-5202.log"
sleep 0.5

inc() { ip netns exec "$NS_C" timeout "$@"; }

# --- plain traffic through both daemons
out=$(inc 5 curl -s http://$S4/)
ok $([ "$out" = hi ]; echo $?) "TCP v4: curl through wfpd on both ends"
out=$(inc 5 curl -s -g "http://[$S6]/")
ok $([ "$out" = hi ]; echo $?) "TCP v6: curl through wfpd on both ends"
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | inc 5 ncat -6 -w 2 $S6 80 2>/dev/null | tail -1)
ok $([ "$out" = hi ]; echo $?) "TCP v6: ncat"
out=$(echo udp4 | inc 5 socat -T2 - UDP4:$S4:5353)
ok $([ "$out" = udp4 ]; echo $?) "UDP v4: socat echo"
out=$(echo udp6 | inc 5 socat -T2 - UDP6:[$S6]:5353)
ok $([ "$out" = udp6 ]; echo $?) "UDP v6: socat echo"
inc 5 ping -c1 -W2 $S4 >/dev/null
ok $? "ICMP v4: echo"
inc 5 ping -6 -c1 -W2 $S6 >/dev/null
ok $? "ICMP v6: echo"

# --- a blocked connect fails at once (the client's wfpd rejects the SYN)
t0=$(date +%s%N)
inc 5 ncat -w 3 $S4 23 </dev/null >/dev/null 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ $rc -ne 0 ] && [ $ms -lt 1000 ]; echo $?) "blocked connect (AUTH_CONNECT) fails in ${ms} ms (< 1000)"
t0=$(date +%s%N)
inc 5 ncat -6 -w 3 $S6 23 </dev/null >/dev/null 2>&1
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ $rc -ne 0 ] && [ $ms -lt 1000 ]; echo $?) "blocked connect v6 fails in ${ms} ms (< 1000)"

# --- the §2.1 trace of one TCP connection, one half per host (step 6,
# CONNECT_REDIRECT, is classified with AUTH_CONNECT when the SYN is seen)
"$WFPCTL" -s "$SOCK_C" monitor --json >"$TMP/mon-c" 2>/dev/null &
PIDS="$PIDS $!"
"$WFPCTL" -s "$SOCK_S" monitor --json >"$TMP/mon-s" 2>/dev/null &
PIDS="$PIDS $!"
sleep 0.3
inc 5 curl -s --local-port 40080 http://$S4/ >/dev/null
sleep 0.5
python3 - "$TMP/mon-c" "$TMP/mon-s" <<'PY'
import json, sys
def layers(path, port_key):
    out = []
    for line in open(path):
        e = json.loads(line)
        if e[port_key] == 40080:
            out.append(e["layer"])
    return out
c = layers(sys.argv[1], "local_port")
s = layers(sys.argv[2], "remote_port")
want_c = ["ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4", "OUTBOUND_TRANSPORT_V4", "OUTBOUND_IPPACKET_V4",
          "INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4", "ALE_FLOW_ESTABLISHED_V4",
          "OUTBOUND_TRANSPORT_V4", "OUTBOUND_IPPACKET_V4"]
want_s = ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4", "ALE_AUTH_RECV_ACCEPT_V4",
          "OUTBOUND_TRANSPORT_V4", "OUTBOUND_IPPACKET_V4", "INBOUND_IPPACKET_V4",
          "INBOUND_TRANSPORT_V4", "ALE_FLOW_ESTABLISHED_V4"]
print("# client:", " ".join(c[:9]))
print("# server:", " ".join(s[:8]))
sys.exit(0 if c[:9] == want_c and s[:8] == want_s else 1)
PY
ok $? "trace: spec §2.1 steps 6-22 in order (client and server halves)"
python3 - "$TMP/mon-c" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["local_port"] == 40080 and e["layer"] == "ALE_AUTH_CONNECT_V4":
        print("# AUTH_CONNECT owner: uid=%s pid=%s app=%s" % (e.get("uid"), e.get("pid"), e.get("app")))
        sys.exit(0 if e.get("uid") == 0 and e.get("app", "").endswith("/curl") else 1)
sys.exit(1)
PY
ok $? "process attribution: AUTH_CONNECT carries curl's uid and executable"

# --- stealth: nmap -sS sees a closed port as filtered, then as closed
scan() { inc 30 nmap -n -Pn -sS -p 81 --max-retries 1 --host-timeout 20s "$@" 2>/dev/null |
	awk '$1 ~ /^81\/tcp/ { print $2 }'; }
st=$(scan $S4)
ok $([ "$st" = filtered ]; echo $?) "nmap -sS closed port with stealth: '$st' (want filtered)"
st=$(scan -6 $S6)
ok $([ "$st" = filtered ]; echo $?) "nmap -sS v6 closed port with stealth: '$st' (want filtered)"
out=$(echo x | inc 5 socat -T1 - UDP4:$S4:5999 2>&1)
ok $([ -z "$out" ]; echo $?) "UDP to a closed port with stealth: no port unreachable (socat: '${out:0:40}')"
load "$SOCK_S" "$POLICY" >/dev/null
st=$(scan $S4)
ok $([ "$st" = closed ]; echo $?) "nmap -sS closed port without stealth: '$st' (want closed)"
out=$(echo x | inc 5 socat -T1 - UDP4:$S4:5999 2>&1)
ok $(echo "$out" | grep -qi refused; echo $?) "UDP to a closed port without stealth: port unreachable"

# --- a policy change cuts the stream it now blocks and leaves the other
pk0=$(ip netns exec "$NS_C" true; "$WFPCTL" -s "$SOCK_C" show --json counters |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
ip netns exec "$NS_C" timeout 15 iperf3 -c $S4 -p 5201 -t 5 >"$TMP/c1" 2>&1 &
i1=$!
ip netns exec "$NS_C" timeout 15 iperf3 -c $S4 -p 5202 -t 5 >"$TMP/c2" 2>&1 &
i2=$!
PIDS="$PIDS $i1 $i2"
sleep 2
load "$SOCK_C" "$POLICY
filter \"cut 5202\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 5202" >/dev/null
wait $i1; r1=$?
wait $i2; r2=$?
ok $([ $r1 -eq 0 ] && [ $r2 -ne 0 ]; echo $?) "policy change: stream to 5202 cut (rc $r2), stream to 5201 runs on (rc $r1)"
pk1=$("$WFPCTL" -s "$SOCK_C" show --json counters |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
bytes=$(awk '/sender$/ { print $5, $6 }' "$TMP/c1" | tail -1)
note "5201 sent $bytes while wfpd saw $((pk1 - pk0)) packets"
ok $([ $((pk1 - pk0)) -lt 2000 ]; echo $?) "fast path: an established stream does not cross to userspace"

# --- the fast-path rule: a per-packet filter that cannot match a flow
# leaves it on the fast path; one that matches sends every packet up
pkts() { "$WFPCTL" -s "$SOCK_C" show --json counters |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])'; }
stream() { ip netns exec "$NS_C" timeout 10 iperf3 -c $S4 -p $1 -t 2 >/dev/null 2>&1; }
bg "$NS_S" iperf3 -s -p 5203 --logfile "$TMP/iperf-5203.log"
sleep 0.3
load "$SOCK_C" "$POLICY
filter \"other net\" layer OUTBOUND_TRANSPORT_V4 block where IP_REMOTE_ADDRESS == 192.0.2.0/24" >/dev/null
p0=$(pkts); stream 5203; p1=$(pkts)
ok $([ $((p1 - p0)) -lt 2000 ]; echo $?) "5-tuple filter that cannot match: still fast path ($((p1 - p0)) packets up)"
load "$SOCK_C" "$POLICY
filter \"count it\" layer OUTBOUND_TRANSPORT_V4 permit where IP_REMOTE_PORT == 5203" >/dev/null
p0=$(pkts); stream 5203; p1=$(pkts)
ok $([ $((p1 - p0)) -gt 5000 ]; echo $?) "per-packet filter matching the flow: every packet classified ($((p1 - p0)) packets up)"

# --- ALE_USER_ID: the socket owner's uid decides (NFQUEUE uid at the SYN)
load "$SOCK_C" "$POLICY
filter \"no web for nobody\" layer ALE_AUTH_CONNECT_V4 block where ALE_USER_ID == \"O:LSD:(A;;CC;;;S-1-22-1-65534)\"" >/dev/null
ip netns exec "$NS_C" timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
	curl -s -m 3 http://$S4/ >/dev/null 2>&1
rc=$?
ok $([ $rc -eq 7 ]; echo $?) "ALE_USER_ID: uid 65534 blocked at AUTH_CONNECT (curl exit $rc: could not connect)"
out=$(inc 5 curl -s http://$S4/)
ok $([ "$out" = hi ]; echo $?) "ALE_USER_ID: root still allowed"

# --- unauthorised management client
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WFPCTL" -s "$SOCK_S" show counters 2>&1)
rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "permission denied"; echo $?) \
	"uid 65534 refused by the management socket"

# --- kill -9: fail closed until restart
kill -9 "$WFPD_S" 2>/dev/null
wait "$WFPD_S" 2>/dev/null
sleep 0.2
fails=0
for i in 1 2 3; do
	inc 3 curl -s -m 2 http://$S4/ >/dev/null || fails=$((fails + 1))
done
ok $([ $fails -eq 3 ]; echo $?) "wfpd killed -9: $fails of 3 new connections failed (want 3)"
printf '%s\n' "$POLICY" >"$TMP/persist.wfp"
start_wfpd "$NS_S" "$SOCK_S" --policy "$TMP/persist.wfp" || exit 1
out=$(inc 5 curl -sS http://$S4/ 2>&1)
ok $([ "$out" = hi ]; echo $?) "wfpd restarted with its persistent policy: connections work again"
[ "$out" = hi ] || { note "curl: $out"; sed "s/^/# /" "$TMP"/wfpd-*.log; dmesg 2>/dev/null | tail -3 | sed "s/^/# /"; "$WFPCTL" -s "$SOCK_S" show netevents | sed 's/^/# /' | tail -5; }

# --- the same without a monitor: endpoints known from the table's socket
# lookup (no sock_diag), early fast path
load "$SOCK_S" "$POLICY
$STEALTH" >/dev/null
st=$(scan $S4)
ok $([ "$st" = filtered ]; echo $?) "no monitor: nmap -sS closed port with stealth: '$st' (want filtered)"
out=$(inc 5 curl -sS http://$S4/ 2>&1)
ok $([ "$out" = hi ]; echo $?) "no monitor: listener found, web allowed"
finish
