#!/bin/bash
# SPDX-License-Identifier: MIT
# hostile.sh - a hostile local user against wfpd's management socket
# (issue 9 scope 5; limits in docs/security.md).
#
#   +---------------------------+          +---------------------------+
#   | $NS_C  (client)           |==========| $NS_S  (server)           |
#   |   10.77.0.1  ncat         |   veth   |   10.77.0.2               |
#   |                           |          |   wfpd -s $SOCK_S (0666)  |
#   +---------------------------+          +---------------------------+
#        host users created here (removed by the trap):
#          $U_OUT  not in group openwfp -> refused at accept (SO_PEERCRED)
#          $U_IN   in group openwfp     -> served, but limited
#
# The socket is made 0666 (--socket-mode) so that the non-member reaches
# the credential check, the wall under test (the file mode is the other).
# Checks: the non-member is refused and changes nothing; malformed,
# mistyped and oversize requests are answered with an error (or, past
# 16 MiB, a disconnect) and change nothing; a member holding many
# connections is capped at 8 and cannot lock root out; a client that
# never reads its replies costs wfpd at most one reply buffer.
. "$(dirname "$0")/lib.sh"

require_env ncat python3 passwd
command -v useradd >/dev/null || skip_all "useradd missing"
PY=/usr/bin/python3 # readable by the test users (not a per-user pyenv)
[ -x $PY ] || skip_all "$PY missing"
setup_topology
U_OUT=wfpo$$
U_IN=wfpi$$
MADE_GROUP=0
users_cleanup() {
	userdel "$U_OUT" 2>/dev/null
	userdel "$U_IN" 2>/dev/null
	[ $MADE_GROUP -eq 1 ] && groupdel openwfp 2>/dev/null
	cleanup
}
trap users_cleanup EXIT
if ! getent group openwfp >/dev/null; then
	groupadd -r openwfp || exit 1
	MADE_GROUP=1
fi
useradd -M -N -s /usr/sbin/nologin "$U_OUT" || exit 1
useradd -M -N -s /usr/sbin/nologin -G openwfp "$U_IN" || exit 1
tap_plan 15

chmod 755 "$TMP"
start_wfpd "$NS_S" "$SOCK_S" --socket-mode 0666 || exit 1
POLICY='filter "web in" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80
filter "no telnet in" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 23'
load "$SOCK_S" "$POLICY" >/dev/null
bg "$NS_S" ncat -lk 23 -c 'echo telnet'
sleep 0.3
filters() { "$WFPCTL" -s "$SOCK_S" show filters --json | md5sum; }
ctr() {
	"$WFPCTL" -s "$SOCK_S" show counters --json |
		python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"
}
rss() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$WFPD_PID"/status; }
F0=$(filters)

# --- 1. the non-member is refused, also for load, and changes nothing
cp "$TMP/policy.wfp" "$TMP/evil.wfp" && chmod 644 "$TMP/evil.wfp"
echo 'filter "open telnet" layer ALE_AUTH_RECV_ACCEPT_V4 permit weight 15 where IP_LOCAL_PORT == 23' \
	>>"$TMP/evil.wfp"
r0=$(ctr mgmt_refused)
out=$(runuser -u "$U_OUT" -- timeout 5 "$WFPCTL" -s "$SOCK_S" show counters 2>&1)
rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q 'permission denied'; echo $?) \
	"non-member $U_OUT: show counters refused ($out)"
runuser -u "$U_OUT" -- timeout 5 "$WFPCTL" -s "$SOCK_S" load "$TMP/evil.wfp" >/dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "non-member: load refused"
runuser -u "$U_OUT" -- timeout 5 "$WFPCTL" -s "$SOCK_S" flush >/dev/null 2>&1
ok $([ $? -ne 0 ] && [ "$(filters)" = "$F0" ]; echo $?) "non-member: flush refused, policy unchanged"
r1=$(ctr mgmt_refused)
ok $([ $((r1 - r0)) -eq 3 ]; echo $?) "mgmt_refused counted $((r1 - r0)) refusals (3)"
runuser -u "$U_IN" -- timeout 5 "$WFPCTL" -s "$SOCK_S" show counters >/dev/null 2>&1
ok $? "member $U_IN (group openwfp) is served"

# --- 2. malformed and oversize requests (sent raw by a member)
cat >"$TMP/bad.py" <<'PY'
import json, os, socket, sys
path = sys.argv[1]
def ask(payload, expect_close=False):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.shutdown(socket.SHUT_WR)
    data = b''
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except ConnectionResetError:
        pass
    s.close()
    return data
cases = [
    ('garbage bytes', os.urandom(4096).replace(b'\n', b'x') + b'\n'),
    ('NUL bytes', b'\0' * 100 + b'\n'),
    ('invalid JSON', b'{"cmd":\n'),
    ('trailing junk', b'{"cmd":"flush"} junk\n'),
    ('two objects', b'{"cmd":"hello"}{"cmd":"flush"}\n'),
    ('NUL then junk', b'{"cmd":"flush"}\0junk\n'),
    ('not an object', b'[1,2,3]\n'),
    ('a string', b'"flush"\n'),
    ('cmd of wrong type', b'{"cmd":5}\n'),
    ('cmd null', b'{"cmd":null}\n'),
    ('unknown cmd', b'{"cmd":"format-disk"}\n'),
    ('load text of wrong type', b'{"cmd":"load","text":42}\n'),
    ('load text missing', b'{"cmd":"load"}\n'),
    ('load invalid policy', json.dumps({"cmd": "load", "text": "filter \"x\" layer NOPE permit"}).encode() + b'\n'),
    ('load half-valid policy', json.dumps({"cmd": "load", "text": "filter \"a\" layer ALE_AUTH_RECV_ACCEPT_V4 permit\nfilter \"b\" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 99999"}).encode() + b'\n'),
    ('show what of wrong type', b'{"cmd":"show","what":[1]}\n'),
    ('show what unknown', b'{"cmd":"show","what":"passwords"}\n'),
    ('deep nesting', b'[' * 100000 + b']' * 100000 + b'\n'),
    ('huge garbage line (8 MiB)', b'x' * (8 << 20) + b'\n'),
    ('huge string in valid JSON (8 MiB)', b'{"cmd":"load","text":"' + b'a' * (8 << 20) + b'"}\n'),
]
bad = 0
for name, payload in cases:
    r = ask(payload)
    try:
        lines = [json.loads(l) for l in r.decode().splitlines()]
        good = len(lines) >= 1 and all(l.get('ok') is False and l.get('error') for l in lines)
    except ValueError:
        good = False
    print('# %-36s -> %s' % (name, r[:90].decode('utf-8', 'replace').strip()))
    bad += not good
# past the 16 MiB line limit: disconnected (an error line may or may not arrive)
r = ask(b'y' * (17 << 20))
print('# %-36s -> %d bytes, then closed' % ('oversize line (17 MiB, no newline)', len(r)))
print('TRIED %d' % (len(cases) + 1))
print('BAD %d' % bad)
PY
runuser -u "$U_IN" -- timeout 120 $PY "$TMP/bad.py" "$SOCK_S" >"$TMP/bad.out" 2>&1
grep '^#' "$TMP/bad.out"
tried=$(awk '$1 == "TRIED" { print $2 }' "$TMP/bad.out")
nbad=$(awk '$1 == "BAD" { print $2 }' "$TMP/bad.out")
note "malformed requests tried: $tried, answered other than with an error: $nbad"
ok $([ -n "$nbad" ] && [ "$nbad" -eq 0 ]; echo $?) "every malformed request answered with ok:false"
kill -0 "$WFPD_PID"
ok $? "wfpd alive after $tried malformed requests"
ok $([ "$(filters)" = "$F0" ]; echo $?) "policy unchanged after the malformed requests"
ip netns exec "$NS_C" timeout 5 ncat -w 2 $S4 23 </dev/null >/dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "the blocked port is still blocked"

# --- 3. many connections: a member gets 8, root still gets in
cat >"$TMP/many.py" <<'PY'
import socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
held, busy = [], 0
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(0.3)
    try:
        if b'too many' in s.recv(4096):
            busy += 1
            s.close()
            continue
    except socket.timeout:
        pass          # nothing said: the connection is being served
    held.append(s)
print('HELD %d' % len(held))
print('BUSY %d' % busy)
sys.stdout.flush()
time.sleep(float(sys.argv[3]))   # hold them while root talks to wfpd
PY
l0=$(ctr mgmt_limited)
runuser -u "$U_IN" -- timeout 60 $PY "$TMP/many.py" "$SOCK_S" 40 6 >"$TMP/many.out" 2>&1 &
MANY=$!
PIDS="$PIDS $MANY"
for _ in $(seq 150); do grep -q BUSY "$TMP/many.out" && break; sleep 0.1; done
held=$(awk '$1 == "HELD" { print $2 }' "$TMP/many.out")
busy=$(awk '$1 == "BUSY" { print $2 }' "$TMP/many.out")
note "member opened 40 connections: $held held, $busy refused as too many"
ok $([ "$held" = 8 ] && [ "$busy" = 32 ]; echo $?) "a member holds at most 8 connections"
timeout 5 "$WFPCTL" -s "$SOCK_S" show counters >/dev/null
ok $? "root is served while the member holds its connections"
ok $([ $(($(ctr mgmt_limited) - l0)) -eq 32 ]; echo $?) "mgmt_limited counted the 32 refused"
wait $MANY

# --- 4. a client that sends requests and never reads
cat >"$TMP/noread.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.setblocking(False)
req, sent = b'{"cmd":"show","what":"filters"}\n', 0
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        s.send(req)
        sent += 1
    except BlockingIOError:
        time.sleep(0.01)   # wfpd stopped reading us: its buffers are full
print('SENT %d' % sent)
sys.stdout.flush()
time.sleep(float(sys.argv[3]))
PY
# a policy with big replies: 2,000 filters
python3 -c "
for i in range(2000):
    print('filter \"f%d\" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == %d' % (i, 10000 + i))
print('filter \"no telnet in\" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 23')
" >"$TMP/big.wfp"
"$WFPCTL" -s "$SOCK_S" load "$TMP/big.wfp" >/dev/null
rss0=$(rss VmRSS)
runuser -u "$U_IN" -- timeout 60 $PY "$TMP/noread.py" "$SOCK_S" 5 5 >"$TMP/noread.out" 2>&1 &
NR=$!
PIDS="$PIDS $NR"
sleep 6
timeout 5 "$WFPCTL" -s "$SOCK_S" show counters >/dev/null
ok $? "root is served while a client never reads its replies"
rss1=$(rss VmRSS)
wait $NR
sent=$(awk '$1 == "SENT" { print $2 }' "$TMP/noread.out")
note "never-reading client: $sent requests written; wfpd RSS ${rss0} -> ${rss1} kB"
# one reply buffer (4 MiB) + one input buffer (<= 16 MiB) + slack
ok $([ $((rss1 - rss0)) -le 24576 ]; echo $?) \
	"never-reading client: RSS grew by $((rss1 - rss0)) kB <= 24576 kB"
kill -0 "$WFPD_PID"
ok $? "wfpd alive at the end"
finish
