#!/bin/bash
# SPDX-License-Identifier: MIT
# mgmt_session.sh - WFP management semantics (spec §6.2, §6.3, §10 item
# 15) against a running wfpd over its management socket: sessions
# (dynamic ones die with their client), transactions, object add/delete/
# get, the error names and HRESULTs clients see, and session changes
# reaching live traffic.  Topology in lib.sh; wfpd runs only in the
# client namespace:
#
#   client ns: wfpd (-s $SOCK_C), curl, iperf3 -c   server ns: socat :80, iperf3 -s
#
# wfpctl talks to the socket by path (Unix sockets are not per network
# namespace), curl runs inside the client namespace.  Root only; prints a
# TAP skip otherwise.  The trap in lib.sh kills what we started (by pid)
# and deletes both namespaces.
. "$(dirname "$0")/lib.sh"

require_env socat curl iperf3 python3
setup_topology
tap_plan 27

chmod 755 "$TMP"
start_wfpd "$NS_C" "$SOCK_C" --table openwfp_mgmt --socket-mode 0666 || exit 1
W() { "$WFPCTL" -s "$SOCK_C" "$@"; }
export WFPCTL SOCK_C TMP

cat >"$TMP/http.sh" <<'SH'
#!/bin/sh
while read -r l; do [ "${#l}" -le 1 ] && break; done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n'
SH
chmod +x "$TMP/http.sh"
bg "$NS_S" socat TCP-LISTEN:80,fork,reuseaddr EXEC:"$TMP/http.sh"
bg "$NS_S" iperf3 -s -p 5201 -1 --logfile "$TMP/iperf.log"
sleep 0.5
web() { ip netns exec "$NS_C" timeout 5 curl -s -m 3 http://$S4/; }

# a raw protocol client: one connection, one JSON request per stdin line,
# one reply per stdout line ("@sleep N" pauses, "@raw TEXT" sends TEXT as is)
cat >"$TMP/client.py" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("@sleep "):
        time.sleep(float(line[7:]))
        continue
    data = (line[5:] if line.startswith("@raw ") else line).encode() + b"\n"
    try:
        s.sendall(data)
    except OSError:
        pass  # wfpd hung up early; its last answer may still be queued
    try:
        r = f.readline()
    except OSError:
        r = b""
    print(r.decode().strip() or "EOF", flush=True)
PY
raw() { python3 "$TMP/client.py" "$SOCK_C"; }
# field NAME: the member of each JSON reply line on stdin
field() { python3 -c 'import json,sys
for l in sys.stdin:
    l = l.strip()
    print(json.loads(l).get(sys.argv[1], "") if l.startswith("{") else l)' "$1"; }
nfilters() { W filter list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["filters"]))'; }

F23='filter "no telnet" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 23'

# --- §10.15: a dynamic session's filter dies with the session
out=$(W session --dynamic -- sh -c "\"$WFPCTL\" filter add '$F23'")
id=${out%% *}
ok $([ -n "$id" ] && [ "$id" -gt 0 ] 2>/dev/null; echo $?) "dynamic session added filter id $id"
out=$(W filter get "$id" 2>&1)
ok $(echo "$out" | grep -q "FWP_E_FILTER_NOT_FOUND (0x80320003)"; echo $?) \
	"after the session closed: filter-get answers FWP_E_FILTER_NOT_FOUND"
reply=$(printf '{"cmd":"filter-get","id":%s}\n' "$id" | raw)
ok $([ "$(echo "$reply" | field code)" = FWP_E_FILTER_NOT_FOUND ] &&
	[ "$(echo "$reply" | field hresult)" = 0x80320003 ]; echo $?) \
	"the raw answer carries code and hresult"

# --- another dynamic session may not delete it: FWP_E_WRONG_SESSION
# not through W: $! must be wfpctl's own pid
"$WFPCTL" -s "$SOCK_C" session --dynamic -- sh -c "\"$WFPCTL\" filter add '$F23' >\"$TMP/a.id\"; exec sleep 60" &
HOLD=$!
PIDS="$PIDS $HOLD"
for _ in $(seq 50); do [ -s "$TMP/a.id" ] && break; sleep 0.1; done
aid=$(cut -d' ' -f1 "$TMP/a.id")
akey=$(cut -d' ' -f2 "$TMP/a.id")
out=$(W session --dynamic -- "$WFPCTL" filter delete "$aid" 2>&1)
ok $(echo "$out" | grep -q "FWP_E_WRONG_SESSION (0x8032000c)"; echo $?) \
	"second dynamic session deleting it: FWP_E_WRONG_SESSION"
out=$(W session --dynamic -- "$WFPCTL" filter delete "$akey" 2>&1)
ok $(echo "$out" | grep -q "FWP_E_WRONG_SESSION"; echo $?) "... by key as well"
W filter get "$aid" >/dev/null 2>&1
ok $? "the holder's filter is still there"
kill "$HOLD" # wfpctl session forwards SIGTERM to its command
wait "$HOLD" 2>/dev/null
W filter get "$aid" >/dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "holder ended: its filter is gone"

# --- transactions
script() { cat >"$TMP/s.sh"; W session --dynamic -- sh "$TMP/s.sh" 2>&1; }
out=$(script <<EOF
"$WFPCTL" txn begin --read-only
"$WFPCTL" filter add '$F23'
EOF
)
ok $(echo "$out" | grep -q "FWP_E_INCOMPATIBLE_TXN (0x80320011)"; echo $?) \
	"filter-add in a read-only transaction: FWP_E_INCOMPATIBLE_TXN"
out=$(script <<EOF
"$WFPCTL" txn begin
"$WFPCTL" txn begin
EOF
)
ok $(echo "$out" | grep -q "FWP_E_TXN_IN_PROGRESS (0x8032000e)"; echo $?) \
	"second txn-begin: FWP_E_TXN_IN_PROGRESS"

out=$(script <<EOF
"$WFPCTL" txn begin
for p in 1001 1002 1003; do
	"$WFPCTL" filter add "filter \"t\$p\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == \$p" |
		cut -d' ' -f2 >>"$TMP/abort.keys"
done
"$WFPCTL" filter list --layer ALE_AUTH_CONNECT_V4 --json >"$TMP/abort.inside"
"$WFPCTL" txn abort
"$WFPCTL" filter list --json >"$TMP/abort.after"
EOF
)
inside=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["filters"]))' "$TMP/abort.inside")
after=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["filters"]))' "$TMP/abort.after")
gone=0
for k in $(cat "$TMP/abort.keys"); do
	W filter get "$k" 2>&1 | grep -q FWP_E_FILTER_NOT_FOUND && gone=$((gone + 1))
done
ok $([ "$inside" = 3 ] && [ "$after" = 0 ] && [ $gone = 3 ]; echo $?) \
	"abort of three adds leaves none (inside the txn $inside, after $after, $gone of 3 not found)"

# commit after a failed fourth add keeps the three (a static session:
# they outlive it, so they can be counted afterwards).  The fourth fails
# in the engine: its key is the first one's.
K1='{"display":{"name":"k2001"},"key":"{5ca1ab1e-0000-4000-8000-000000002001}","layer":"ALE_AUTH_CONNECT_V4","action":{"type":"block"},"conditions":[{"field":"IP_REMOTE_PORT","value":"2001"}]}'
printf '%s' "$K1" >"$TMP/k1.json"
cat >"$TMP/s2.sh" <<EOF
"$WFPCTL" txn begin
"$WFPCTL" filter add "\$(cat "$TMP/k1.json")" >/dev/null
for p in 2002 2003; do
	"$WFPCTL" filter add "filter \"k\$p\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == \$p" >/dev/null
done
"$WFPCTL" filter add "\$(cat "$TMP/k1.json")"
echo "fourth rc=\$?"
"$WFPCTL" txn commit && echo committed
EOF
out=$(W session -- sh "$TMP/s2.sh" 2>&1)
n=$(W filter list --json | python3 -c 'import json,sys
print(sum(1 for f in json.load(sys.stdin)["filters"] if f["name"] in ("k2001","k2002","k2003")))')
ok $(echo "$out" | grep -q "FWP_E_ALREADY_EXISTS" && echo "$out" | grep -q "fourth rc=1" &&
	echo "$out" | grep -q committed && [ "$n" = 3 ]; echo $?) \
	"commit after a failed fourth add (FWP_E_ALREADY_EXISTS) keeps the three ($n)"
[ "$n" = 3 ] || note "$out"

# duplicate key
K='{"display":{"name":"dup"},"key":"{5ca1ab1e-0000-4000-8000-000000000015}","layer":"ALE_AUTH_CONNECT_V4","action":{"type":"block"},"conditions":[{"field":"IP_REMOTE_PORT","value":"24"}]}'
W filter add "$K" >/dev/null
out=$(W filter add "$K" 2>&1)
ok $(echo "$out" | grep -q "FWP_E_ALREADY_EXISTS (0x80320009)"; echo $?) \
	"adding a filter whose key exists: FWP_E_ALREADY_EXISTS"
W filter delete 5ca1ab1e-0000-4000-8000-000000000015 >/dev/null &&
	W filter delete 5ca1ab1e-0000-4000-8000-000000002001 >/dev/null
ok $? "filter-delete by key"
for p in 2002 2003; do
	W filter list --json | python3 -c 'import json,sys
for f in json.load(sys.stdin)["filters"]:
    if f["name"] == "k" + sys.argv[1]: print(f["id"])' $p | while read -r i; do W filter delete "$i"; done
done
ok $([ "$(nfilters)" = 0 ]; echo $?) "filter-delete by id: the engine is empty again"

# sublayer and provider objects
cat >"$TMP/s3.sh" <<EOF
k=\$("$WFPCTL" provider add 'provider acme "Acme"') || exit 1
s=\$("$WFPCTL" sublayer add "sublayer corp weight 0x8000 provider {\$k}") || exit 1
echo "pv=\$k"; echo "sl=\$s"
"$WFPCTL" filter add "filter \"in corp\" layer ALE_AUTH_CONNECT_V4 sublayer {\$s} block where IP_REMOTE_PORT == 25" >/dev/null
"$WFPCTL" filter list --sublayer "\$s" --json >"$TMP/sl.json"
"$WFPCTL" sublayer delete "\$s"
EOF
out=$(W session -- sh "$TMP/s3.sh" 2>&1)
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["filters"]))' "$TMP/sl.json" 2>/dev/null)
ok $([ "$n" = 1 ] && echo "$out" | grep -q FWP_E_IN_USE; echo $?) \
	"provider-add, sublayer-add, filter-enum by sublayer ($n); sublayer-delete while in use: FWP_E_IN_USE"
[ "$n" = 1 ] || note "$out"
sl=$(echo "$out" | sed -n 's/^sl=//p')
pv=$(echo "$out" | sed -n 's/^pv=//p')
W filter list --sublayer "$sl" --json | python3 -c 'import json,sys
for f in json.load(sys.stdin)["filters"]: print(f["id"])' | while read -r i; do W filter delete "$i"; done
W sublayer delete "$sl" && W provider delete "$pv"
ok $? "sublayer-delete and provider-delete once unused"

# --- live traffic: a dynamic session's block filter, client killed -9
out=$(web)
ok $([ "$out" = hi ]; echo $?) "before: curl through wfpd works"
rm -f "$TMP/blk"
"$WFPCTL" -s "$SOCK_C" session --dynamic -- sh -c "echo \$\$ >\"$TMP/blk.pid\"
\"$WFPCTL\" filter add 'filter \"no web\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 80' >\"$TMP/blk\"
exec sleep 120" &
KILLME=$!
PIDS="$PIDS $KILLME"
for _ in $(seq 50); do [ -s "$TMP/blk" ] && break; sleep 0.1; done
PIDS="$PIDS $(cat "$TMP/blk.pid" 2>/dev/null)"
bid=$(cut -d' ' -f1 "$TMP/blk")
out=$(web)
ok $([ "$out" != hi ]; echo $?) "dynamic session's block filter $bid: curl blocked"
kill -9 "$KILLME"
wait "$KILLME" 2>/dev/null
sleep 0.3
out=$(W filter get "$bid" 2>&1)
ok $(echo "$out" | grep -q FWP_E_FILTER_NOT_FOUND; echo $?) \
	"client killed -9: its dynamic filter is gone (FWP_E_FILTER_NOT_FOUND)"
out=$(web)
ok $([ "$out" = hi ]; echo $?) "... and the traffic it blocked flows again"
kill "$(cat "$TMP/blk.pid")" 2>/dev/null

# a commit reaches established flows as a load does: new epoch, reauth
e0=$(W show --json counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["epoch"])')
ip netns exec "$NS_C" timeout 15 iperf3 -c $S4 -p 5201 -t 5 >"$TMP/c1" 2>&1 &
I1=$!
PIDS="$PIDS $I1"
sleep 2
W session --dynamic -- sh -c "\"$WFPCTL\" txn begin; \"$WFPCTL\" filter add 'filter \"cut\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 5201' >/dev/null; \"$WFPCTL\" txn commit; sleep 5"
wait "$I1"
r1=$?
e1=$(W show --json counters | python3 -c 'import json,sys; print(json.load(sys.stdin)["epoch"])')
ok $([ $r1 -ne 0 ] && [ "$e0" != "$e1" ]; echo $?) \
	"a session commit cuts the established stream it now blocks (iperf3 rc $r1, epoch $e0 -> $e1)"

# --- access, limits, malformed requests
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WFPCTL" -s "$SOCK_C" filter add "$F23" 2>&1)
rc=$?
ok $([ $rc -ne 0 ] && echo "$out" | grep -q "E_ACCESSDENIED (0x80070005)" && [ "$(nfilters)" = 0 ]; echo $?) \
	"uid 65534 refused (E_ACCESSDENIED), nothing added"

big=$(python3 -c 'print("x" * 70000)')
reply=$(printf '{"cmd":"filter-add","text":"filter \\"%s\\" layer ALE_AUTH_CONNECT_V4 block"}\n' "$big" | raw)
ok $([ "$(echo "$reply" | field code)" = WFP_E_LIMIT ] && [ "$(nfilters)" = 0 ]; echo $?) \
	"a 70 kB filter-add is refused (WFP_E_LIMIT), nothing added"
reply=$(python3 -c 'import sys; sys.stdout.write("{\"cmd\":\"filter-add\",\"text\":\"" + "y" * (17 << 20) + "\"}\n")' | raw)
alive=$(W show counters >/dev/null 2>&1; echo $?)
ok $(echo "$reply" | grep -q "request too long" && [ "$alive" = 0 ] && [ "$(nfilters)" = 0 ]; echo $?) \
	"a 17 MiB line is refused and the connection closed; wfpd lives on"

replies=$(raw <<EOF
{"cmd":"session-attach","session":"00000000-0000-4000-8000-000000000000"}
@raw this is not json
@raw ["cmd","filter-add"]
{"cmd":"filter-add"}
{"cmd":"filter-add","text":"filter \"a\" layer NO_SUCH_LAYER block"}
{"cmd":"filter-add","text":"$(printf '%s' "$F23" | sed 's/"/\\"/g')\nfilter \"b\" layer ALE_AUTH_CONNECT_V4 block"}
{"cmd":"filter-add","text":"sublayer s1"}
{"cmd":"filter-delete","id":"x"}
{"cmd":"filter-enum","layer":"NOPE"}
{"cmd":"txn-commit"}
EOF
)
codes=$(echo "$replies" | field code | tr '\n' ' ')
note "codes: $codes"
want="FWP_E_NOT_FOUND WFP_E_INVAL WFP_E_INVAL WFP_E_INVAL FWP_E_LAYER_NOT_FOUND WFP_E_INVAL WFP_E_INVAL WFP_E_INVAL FWP_E_LAYER_NOT_FOUND FWP_E_NO_TXN_IN_PROGRESS "
ok $([ "$codes" = "$want" ] && [ "$(nfilters)" = 0 ]; echo $?) \
	"malformed requests: each answered with its error, nothing added"

# too many writes in one transaction
reply=$(python3 - "$SOCK_C" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
def req(o):
    s.sendall(json.dumps(o).encode() + b"\n"); return json.loads(f.readline())
req({"cmd": "txn-begin"})
for i in range(10000):
    req({"cmd": "filter-delete", "id": 1000000 + i})
print(req({"cmd": "filter-delete", "id": 1})["code"], req({"cmd": "txn-abort"})["ok"])
PY
)
ok $([ "$reply" = "WFP_E_LIMIT True" ]; echo $?) "write 10001 in one transaction: WFP_E_LIMIT ($reply)"

# --- the engine's one write lock (a second wfpd, in the server namespace,
# with a short transaction timeout): a dynamic session whose client leaves
# while another session holds the lock is purged at that commit; a
# transaction held past --txn-timeout is aborted, and says so
start_wfpd "$NS_S" "$SOCK_S" --table openwfp_mgmt2 --txn-timeout 2 || exit 1
reply=$(python3 - "$SOCK_S" <<'PY'
import json, socket, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); return s, s.makefile("rb")
def req(c, o):
    c[0].sendall(json.dumps(o).encode() + b"\n"); return json.loads(c[1].readline())
a, b, c = conn(), conn(), conn()
req(a, {"cmd": "session-open", "dynamic": True})
fid = req(a, {"cmd": "filter-add", "text": "filter \"x\" layer ALE_AUTH_CONNECT_V4 block"})["id"]
out = [req(b, {"cmd": "txn-begin"})["ok"]]
out.append(req(c, {"cmd": "filter-get", "id": fid}).get("code"))  # the lock: no waiting
a[1].close(); a[0].close()  # the file object holds the socket too
time.sleep(0.3)
out.append(req(b, {"cmd": "txn-commit"})["ok"])
out.append(req(c, {"cmd": "filter-get", "id": fid}).get("code"))
out.append(req(b, {"cmd": "txn-begin"})["ok"])
time.sleep(4)
out.append(req(b, {"cmd": "filter-enum"}).get("code"))
out.append(req(c, {"cmd": "filter-add", "text": "filter \"y\" layer ALE_AUTH_CONNECT_V4 block"})["ok"])
out.append(req(b, {"cmd": "filter-enum"})["ok"])
print(" ".join(str(x) for x in out))
PY
)
ok $([ "$reply" = "True FWP_E_TIMEOUT True FWP_E_FILTER_NOT_FOUND True FWP_E_TXN_ABORTED True True" ]; echo $?) \
	"write lock: deferred purge of a closed dynamic session, --txn-timeout abort ($reply)"
finish
