#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_real.sh - `wfpctl replay` of traffic made by real tools (issue 6
# acceptance): curl against a local HTTP server, ping, and an nmap SYN
# scan, recorded with tcpdump on the server's side, replayed through two
# policies; every flow's verdict is asserted from the JSON lines.
#
#   +---------------------------+          +---------------------------+
#   | $NS_C  (client)           |          | $NS_S  (server, the host) |
#   |   veth-c 10.78.0.1/24     |==========|   veth-s 10.78.0.2/24     |
#   |   curl, ping, nmap -sS    |   veth   |   http :8080, nc -l :2222 |
#   |                           |          |   tcpdump -i veth-s       |
#   +---------------------------+          +---------------------------+
#
# Root only; prints a TAP skip with the reason otherwise.  Both namespaces
# are created here and deleted by a trap, also on failure; no packet
# leaves them.  IPv6 is off inside them so that neighbour discovery does
# not take part in the host inference.  KEEP=1 keeps the capture and the
# outputs (the directory is printed) for a look afterwards.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
WFPCTL=$BUILD/tools/wfpctl/wfpctl
TAG=rp$$
NS_C=$TAG-c
NS_S=$TAG-s
C4=10.78.0.1
S4=10.78.0.2
PIDS=""
N=0

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "not root: the netns tests need CAP_NET_ADMIN"
[ -x "$WFPCTL" ] || skip_all "wfpctl not built ($WFPCTL)"
for t in ip tcpdump curl nmap nc python3; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
ip netns add "$TAG-probe" 2>/dev/null || skip_all "cannot create network namespaces"
ip netns del "$TAG-probe"

TMP=$(mktemp -d /tmp/replay-netns.XXXXXX)
cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { # ok STATUS DESCRIPTION
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
	fi
}

echo "1..9"
ip netns add "$NS_C" && ip netns add "$NS_S" || exit 1
ip link add veth-c netns "$NS_C" type veth peer name veth-s netns "$NS_S" || exit 1
for ns in "$NS_C" "$NS_S"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$NS_C" addr add $C4/24 dev veth-c
ip -n "$NS_S" addr add $S4/24 dev veth-s
ip -n "$NS_C" link set veth-c up
ip -n "$NS_S" link set veth-s up

mkdir -p "$TMP/www" && echo hello >"$TMP/www/index.html"
ip netns exec "$NS_S" python3 -m http.server 8080 --bind $S4 --directory "$TMP/www" \
	>/dev/null 2>&1 &
PIDS="$PIDS $!"
ip netns exec "$NS_S" python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("'$S4'", 2222))
s.listen(16)
time.sleep(120)' &
PIDS="$PIDS $!"
# the servers answer before the capture starts: no half-ready port in it
for i in 1 2 3 4 5 6 7 8 9 10; do
	ip netns exec "$NS_C" curl -s -o /dev/null --max-time 1 http://$S4:8080/ &&
		ip netns exec "$NS_S" ss -ltn | grep -q ":2222 " && break
	sleep 0.5
done
ip netns exec "$NS_S" tcpdump -i veth-s -U -w "$TMP/cap.pcap" >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS="$PIDS $TCPDUMP"
for i in 1 2 3 4 5 6 7 8 9 10; do
	grep -q listening "$TMP/tcpdump.err" 2>/dev/null && break
	sleep 0.3
done
sleep 0.3
ip netns exec "$NS_C" curl -s --max-time 5 http://$S4:8080/index.html >"$TMP/body"
ok $? "curl fetched the page through the veth"
ip netns exec "$NS_C" ping -c 2 -i 0.2 -W 1 $S4 >/dev/null
ip netns exec "$NS_C" nmap -sS -Pn -n -p 8080,2222,81,82 --max-retries 1 $S4 \
	>"$TMP/nmap" 2>&1
grep -q '^2222/tcp *open' "$TMP/nmap" && grep -q '^81/tcp *closed' "$TMP/nmap"
ok $? "nmap saw 2222 open and 81 closed"
# stop tcpdump once the scan's last probes are on disk
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(tcpdump -nr "$TMP/cap.pcap" 'tcp port 2222 or tcp port 82' 2>/dev/null | wc -l)" -ge 4 ] &&
		break
	sleep 0.5
done
sleep 0.3
kill -INT $TCPDUMP
wait $TCPDUMP 2>/dev/null

cat >"$TMP/a.wfp" <<POL
filter "web" layer ALE_AUTH_RECV_ACCEPT_V4 weight 10 permit where IP_LOCAL_PORT == 8080
filter "no-2222" layer ALE_AUTH_RECV_ACCEPT_V4 weight 10 block where IP_LOCAL_PORT == 2222
POL
cat >"$TMP/b.wfp" <<POL
filter "stealth-rst" layer INBOUND_TRANSPORT_V4_DISCARD block where FLAGS none-set IS_LOOPBACK
POL

"$WFPCTL" replay --policy "$TMP/a.wfp" "$TMP/cap.pcap" >"$TMP/a.txt" 2>&1
ok $? "wfpctl replay ran (text)"
grep -q "^host: $S4 (inferred)" "$TMP/a.txt"
ok $? "the host inferred from the capture is the server, $S4"
"$WFPCTL" replay --json --no-summary --policy "$TMP/a.wfp" "$TMP/cap.pcap" >"$TMP/a.json"
"$WFPCTL" replay --json --no-summary --policy "$TMP/b.wfp" "$TMP/cap.pcap" >"$TMP/b.json"

# per-flow verdicts: flows are grouped by their client port and server port
check() { # check FILE PYTHON-ASSERTIONS DESCRIPTION
	python3 - "$1" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"num"')]
flows = {}
for r in recs:
    if r.get("proto") != "tcp":
        continue
    srv = r["dport"] if r["dir"] == "in" else r["sport"]
    flows.setdefault((srv, r["flow"]), []).append(r)
def port(p):
    return [f for (s, _), f in flows.items() if s == p]
icmp = [r for r in recs if r.get("proto") == "icmp"]
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("# assertion failed:", e)
    sys.exit(1)
PY
}

check "$TMP/a.json" '
web = port(8080)
assert len(web) >= 2, "curl and nmap flows to 8080: %d" % len(web)
for f in web:
    syn = f[0]
    assert syn["what"] == "SYN" and syn["verdict"] == "permit" and syn["filter"] == "web" \
        and syn["layer"] == "ALE_AUTH_RECV_ACCEPT_V4", syn
    assert all(r["verdict"] == "permit" for r in f), [(r["num"], r["reason"]) for r in f]
assert any(any(r["what"].startswith("PSH") and r["dir"] == "out" for r in f) for f in web), \
    "the HTTP answer is in a permitted flow"
' 
ok $? "policy A: every flow to 8080 (curl, nmap) is permitted by filter web"

check "$TMP/a.json" '
ssh = port(2222)
assert ssh, "nmap probed 2222"
for f in ssh:
    syn = [r for r in f if r["what"] == "SYN"]
    assert syn and all(r["verdict"] == "block" and r["filter"] == "no-2222" for r in syn), syn
    sa = [r for r in f if r["what"] == "SYN|ACK"]
    assert sa and all(r["verdict"] == "block" and r["reason"] == "flow-blocked" for r in sa), sa
closed = port(81) + port(82)
assert closed, "nmap probed 81 and 82"
for f in closed:
    for r in f:
        if r["dir"] == "in":
            assert r["verdict"] == "drop" and r["reason"] == "no-listener", r
        else:
            assert r["what"].startswith("ACK|RST") or "RST" in r["what"], r
            assert r["verdict"] == "permit", r
assert icmp and all(r["verdict"] == "permit" for r in icmp), icmp
assert not [r for r in recs if r["reason"] == "malformed"], "malformed packets"
'
ok $? "policy A: 2222 blocked at RECV_ACCEPT (its SYN-ACK too), 81/82 no-listener with RST, ping permitted"

check "$TMP/b.json" '
closed = port(81) + port(82)
rst = [r for f in closed for r in f if r["dir"] == "out"]
assert rst and all(r["verdict"] == "block" and r["reason"] == "stealth" and
                   r["filter"] == "stealth-rst" for r in rst), rst
web = port(8080) + port(2222)
assert all(r["verdict"] == "permit" for f in web for r in f), "open ports unaffected"
'
ok $? "policy B (stealth): the RSTs for 81/82 are suppressed, open ports unaffected"

# the flows themselves (--flows): one outcome per connection / probe
"$WFPCTL" replay --json --no-packets --no-summary --flows --policy "$TMP/a.wfp" \
	"$TMP/cap.pcap" >"$TMP/f.json"
python3 - "$TMP/f.json" <<'PY'
import json, sys
fl = [json.loads(l)["flow_end"] for l in open(sys.argv[1]) if "flow_end" in l]
def port(p):
    return [f for f in fl if f["desc"].endswith(":%d" % p)]
assert len(port(8080)) >= 2 and all(f["verdict"] == "permit" and f["filter"] == "web"
                                    for f in port(8080)), port(8080)
assert port(2222) and all(f["verdict"] == "block" and f["filter"] == "no-2222" and
                          f["packets_permitted"] == 0 for f in port(2222)), port(2222)
assert port(81) and port(82) and all(f["verdict"] == "drop" and f["reason"] == "no-listener"
                                     for f in port(81) + port(82))
icmp = [f for f in fl if f["desc"].startswith("icmp")]
assert len(icmp) == 1 and icmp[0]["verdict"] == "permit" and icmp[0]["packets_permitted"] == 4, icmp
PY
ok $? "--flows: 8080 permitted by web, 2222 blocked by no-2222, 81/82 no listener, one ping flow"

"$WFPCTL" replay --json --no-packets --policy "$TMP/a.wfp" --diff "$TMP/b.wfp" \
	"$TMP/cap.pcap" >"$TMP/d.json"
python3 - "$TMP/d.json" <<'PY'
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if '"a_verdict"' in l]
assert d and all(x["a_filter"] == "no-2222" and x["b_verdict"] == "permit" for x in d), d
PY
ok $? "--diff A B lists exactly the 2222 flows (blocked by no-2222 in A, permitted in B)"
exit 0
