#!/bin/bash
# SPDX-License-Identifier: MIT
# leak.sh - 1,000 policy replacements under traffic (issue 9 scope 6).
#
#   +---------------------------+          +---------------------------+
#   | $NS_C  (client)           |==========| $NS_S  (server)           |
#   |   10.77.0.1               |   veth   |   10.77.0.2               |
#   |   stream.py client -------|----------|-> stream.py server :5201  |
#   |   ncat (every 100 loads) -|----------|-> socat :80               |
#   +---------------------------+          |   wfpd; wfpctl load x1000 |
#                                          +---------------------------+
#
# Two policies of 60 filters each at ALE_AUTH_RECV_ACCEPT_V4 are loaded in
# turn, LEAK_LOADS times (1,000; `make stress`: 5,000).  Both permit ports
# 5201 and 80, so every replacement reauthorizes the running stream
# (its layer's generation changes) and must let it live.  Checks: wfpd's
# VmRSS after the first 100 loads (warm-up: malloc arenas, json-c) grows
# by at most 2 MiB over the rest (a leak of 40 bytes per filter per load
# would be 2.2 MiB); the stream survives every replacement with every byte
# delivered; a new connection to port 80 succeeds after every 100 loads;
# the blocked port stays blocked.
. "$(dirname "$0")/lib.sh"

require_env ncat socat python3
setup_topology
tap_plan 7

LOADS=${LEAK_LOADS:-1000}
BOUND_KB=2048
start_wfpd "$NS_S" "$SOCK_S" || exit 1
for v in a b; do
	python3 - "$v" >"$TMP/$v.wfp" <<'PY'
import sys
v = sys.argv[1]
print('filter "stream" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 5201')
print('filter "web" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80')
print('filter "no telnet" layer ALE_AUTH_RECV_ACCEPT_V4 block weight 15 where IP_LOCAL_PORT == 23')
for i in range(57):   # filler: a different set in each version
    print('filter "%s%d" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == %d and IP_REMOTE_ADDRESS == 192.0.2.%d'
          % (v, i, 20000 + i + (100 if v == 'b' else 0), i + 1))
PY
done
"$WFPCTL" -s "$SOCK_S" load "$TMP/a.wfp" >/dev/null
ok $? "policy loaded"

cat >"$TMP/stream.py" <<'PY'
import os, socket, sys, time
if sys.argv[1] == 'server':
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(('0.0.0.0', 5201))
    l.listen(1)
    c, _ = l.accept()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    print('RECV %d' % n)
else:
    s = socket.create_connection((sys.argv[2], 5201), timeout=10)
    buf, n = b'z' * 65536, 0
    try:
        while not os.path.exists(sys.argv[3]):
            s.sendall(buf)
            n += len(buf)
            time.sleep(0.005)   # about 12 MB/s: keep the machine usable
        s.shutdown(socket.SHUT_WR)
        s.recv(1)               # wait for the server's close
        print('SENT %d' % n)
    except OSError as e:
        print('ERROR after %d bytes: %s' % (n, e))
        sys.exit(1)
PY
ip netns exec "$NS_S" timeout 600 python3 "$TMP/stream.py" server >"$TMP/recv" 2>&1 &
SRV=$!
PIDS="$PIDS $SRV"
bg "$NS_S" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hi'
bg "$NS_S" socat TCP-LISTEN:23,fork,reuseaddr SYSTEM:'echo telnet'
sleep 0.5
ip netns exec "$NS_C" timeout 600 python3 "$TMP/stream.py" client $S4 "$TMP/stop" >"$TMP/sent" 2>&1 &
CLI=$!
PIDS="$PIDS $CLI"
sleep 1

rss() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$WFPD_PID"/status; }
rss_warm=0 rss_max=0 conn_ok=0 conn_n=0 fails=0 samples=""
t0=$(date +%s)
for i in $(seq "$LOADS"); do
	if [ $((i % 2)) -eq 1 ]; then p=b; else p=a; fi
	"$WFPCTL" -s "$SOCK_S" load "$TMP/$p.wfp" >/dev/null || fails=$((fails + 1))
	if [ $((i % 100)) -eq 0 ]; then
		r=$(rss)
		samples="$samples $r"
		[ "$i" -eq 100 ] && rss_warm=$r
		[ "$r" -gt "$rss_max" ] && rss_max=$r
		out=$(ip netns exec "$NS_C" timeout 5 ncat -w 3 $S4 80 </dev/null 2>/dev/null)
		conn_n=$((conn_n + 1))
		[ "$out" = hi ] && conn_ok=$((conn_ok + 1))
	fi
done
secs=$(($(date +%s) - t0))
touch "$TMP/stop"
wait $CLI
cli_rc=$?
wait $SRV
sent=$(awk '$1 == "SENT" { print $2 }' "$TMP/sent")
recv=$(awk '$1 == "RECV" { print $2 }' "$TMP/recv")
note "$LOADS replacements in ${secs} s, $fails failed; VmRSS every 100 loads (kB):$samples"
note "stream: sent ${sent:-?} bytes, received ${recv:-?} bytes ($(cat "$TMP/sent"))"
ok $([ $fails -eq 0 ]; echo $?) "$LOADS policy replacements, none failed"
ok $([ "$rss_warm" -gt 0 ] && [ $((rss_max - rss_warm)) -le $BOUND_KB ]; echo $?) \
	"RSS flat: grew by $((rss_max - rss_warm)) kB after the first 100 loads (<= $BOUND_KB kB)"
ok $([ $cli_rc -eq 0 ] && [ -n "$sent" ] && [ "$sent" = "$recv" ] && [ "$sent" -gt 0 ]; echo $?) \
	"the permitted stream survived every replacement (${recv:-0} bytes, none lost)"
ok $([ $conn_ok -eq $conn_n ]; echo $?) "new connections to the permitted port: $conn_ok/$conn_n"
ip netns exec "$NS_C" timeout 5 ncat -w 2 $S4 23 </dev/null >/dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "the blocked port is still blocked"
reauths=$("$WFPCTL" -s "$SOCK_S" show counters --json |
	python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['reauths'])")
note "reauths counted: $reauths"
ok $([ "${reauths:-0}" -ge $((LOADS / 2)) ]; echo $?) \
	"the stream was reauthorized at the replacements ($reauths >= $((LOADS / 2)))"
finish
