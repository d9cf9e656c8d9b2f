#!/bin/bash
# SPDX-License-Identifier: MIT
# wfpd_ebpf.sh - wfpd with its eBPF back end (issues 7 and 10): ALE
# decided at the socket call for the sockets of the test's own cgroup, the
# kernel path (new flows never queued), attribution from the owner map,
# fail-closed when wfpd dies, and the forced fallback to NFQUEUE.
#
#   client ns (wfpd --ebpf on --ebpf-cgroup CG)        server ns
#   curl/wget/python in CG, or outside it  ==veth==   socat :80, ncat :5000/5001,
#                                                     connrate.py :7000
#
# Root only.  eBPF attaches to the test's cgroup (never the host's root),
# nftables only inside the namespaces; the trap kills what we started and
# removes the cgroup and both namespaces, also on failure.
. "$(dirname "$0")/lib.sh"

require_env socat ncat curl wget strace python3 nftables
[ -n "${WFP_EBPF:-}" ] || skip_all "eBPF back end not built (toolchain missing)"
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || skip_all "no cgroup2 mount"
case "$CG2" in /sys/fs/cgroup*) ;; *) skip_all "cgroup2 not below /sys/fs/cgroup" ;; esac
CG=$CG2/openwfp-wfpd-$$
mkdir "$CG" || skip_all "cannot create a cgroup under $CG2"
setup_topology
cg_cleanup() {
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
}
trap "cg_cleanup 2>/dev/null; cleanup" EXIT
tap_plan 23

# incg CMD...: in the client namespace, inside the test cgroup
incg() { sh -c 'echo $$ > "$0/cgroup.procs" && ns=$1 && shift && exec ip netns exec "$ns" timeout 20 "$@"' \
	"$CG" "$NS_C" "$@"; }
# out CMD...: in the client namespace, outside the cgroup
outcg() { ip netns exec "$NS_C" timeout 10 "$@"; }
counter() { "$WFPCTL" -s "$SOCK_C" show --json counters |
	python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"; }
kcounter() { "$WFPCTL" -s "$SOCK_C" show --json counters |
	python3 -c "import json,sys; print(json.load(sys.stdin)['kernel']['$1'])"; }
# conns N PORT: N connect+close to the server; prints how many succeeded
conns='import socket,sys
n=0
for _ in range(int(sys.argv[1])):
    s=socket.socket(); s.settimeout(1)
    try: s.connect(("'$S4'", int(sys.argv[2]))); n+=1
    except OSError: pass
    s.close()
print(n)'

CURL=$(readlink -f "$(command -v curl)")
POLICY="filter \"no curl\" layer ALE_AUTH_CONNECT_V4 block where ALE_APP_ID == \"$CURL\"
filter \"no curl6\" layer ALE_AUTH_CONNECT_V6 block where ALE_APP_ID == \"$CURL\"
filter \"no 5001\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 5001
filter \"no 7101 in\" layer ALE_AUTH_RECV_ACCEPT_V4 block where IP_LOCAL_PORT == 7101
filter \"no listen 7102\" layer ALE_AUTH_LISTEN_V4 block where IP_LOCAL_PORT == 7102"
printf '%s\n' "$POLICY" >"$TMP/policy.wfp"
cat >"$TMP/http.sh" <<'SH'
#!/bin/sh
while read -r l; do [ "${#l}" -le 1 ] && break; done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhi\n'
SH
chmod +x "$TMP/http.sh"
bg "$NS_S" socat TCP6-LISTEN:80,ipv6only=0,fork,reuseaddr EXEC:"$TMP/http.sh"
bg "$NS_S" python3 "$TOP/bench/connrate.py" server 7000
bg "$NS_S" sh -c 'exec ncat -l -k --recv-only 5000 >/dev/null'
bg "$NS_S" sh -c 'exec ncat -l -k --recv-only 5001 >/dev/null'
sleep 0.3

start_wfpd "$NS_C" "$SOCK_C" --policy "$TMP/policy.wfp" --ebpf on --ebpf-cgroup "$CG" || exit 1
WLOG=$TMP/wfpd-$NS_C.log
grep -q "eBPF on cgroup $CG" "$WLOG"
ok $? "wfpd --ebpf on: programs attached to the test cgroup"
grep -q "kernel path: out4 on, out6 on, in4 on, in6 on" "$WLOG"
ok $? "kernel path on for v4 and v6, out and in (AUTH_CONNECT, RECV_ACCEPT complete in eBPF)"

# --- ALE_APP_ID decided at connect(): EPERM at once, other apps pass
t0=$(date +%s%N)
incg strace -f -o "$TMP/st" -e trace=connect curl -s --max-time 5 http://$S4/ >/dev/null
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok $([ $rc -eq 7 ] && grep -q 'EPERM' "$TMP/st"; echo $?) \
	"curl (blocked by ALE_APP_ID) fails at once: exit $rc, connect() EPERM, ${ms} ms"
out=$(incg wget -q -O - http://$S4/)
ok $([ "$out" = hi ]; echo $?) "wget to the same address works"
incg curl -s --max-time 5 -g "http://[$S6]/" >/dev/null
rc=$?
out=$(incg wget -q -O - "http://[$S6]/")
ok $([ $rc -eq 7 ] && [ "$out" = hi ]; echo $?) "IPv6: curl blocked (exit $rc), wget works"
sleep 0.3
"$WFPCTL" -s "$SOCK_C" show --json netevents >"$TMP/ne.json"
python3 - "$TMP/ne.json" "$CURL" <<'PY'
import json, sys
evs = json.load(open(sys.argv[1]))
evs = evs.get("netevents", evs) if isinstance(evs, dict) else evs
for e in evs:
    if e.get("layer") == "ALE_AUTH_CONNECT_V4" and e.get("app") == sys.argv[2] and e.get("filter_id"):
        print("# net event: filter %s pid %s app %s" % (e["filter_id"], e.get("pid"), e["app"]))
        sys.exit(0)
print("# net events:", json.dumps(evs)[:400])
sys.exit(1)
PY
ok $? "the kernel's block is a net event naming the filter and curl"

# --- the kernel path: the cgroup's new connections never cross to userspace
p0=$(counter packets) k0=$(kcounter permit)
n=$(incg python3 -c "$conns" 30 7000)
p1=$(counter packets) k1=$(kcounter permit)
ok $([ "$n" = 30 ] && [ $((p1 - p0)) -lt 5 ] && [ $((k1 - k0)) -ge 30 ]; echo $?) \
	"kernel path: $n of 30 connections from the cgroup, $((p1 - p0)) packets queued, $((k1 - k0)) kernel permits"
n=$(outcg python3 -c "$conns" 30 7000)
p2=$(counter packets)
ok $([ "$n" = 30 ] && [ $((p2 - p1)) -ge 30 ]; echo $?) \
	"outside the cgroup: $n of 30 connections, $((p2 - p1)) packets queued (NFQUEUE path)"
n=$(incg python3 -c "$conns" 3 5001)
ok $([ "$n" = 0 ]; echo $?) "a port filter blocks in the kernel too ($n of 3 connected)"

# --- inbound: RECV_ACCEPT decided in the kernel for the cgroup's listeners
sh -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$1" python3 "$2/bench/connrate.py" server 7100' \
	"$CG" "$NS_C" "$TOP" &
PIDS="$PIDS $!"
sh -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$1" ncat -l -k 7101' "$CG" "$NS_C" \
	>/dev/null 2>&1 &
PIDS="$PIDS $!"
sleep 0.5
p1=$(counter packets)
n=$(ip netns exec "$NS_S" timeout 20 python3 -c "${conns//$S4/$C4}" 30 7100)
p2=$(counter packets)
ok $([ "$n" = 30 ] && [ $((p2 - p1)) -lt 5 ]; echo $?) \
	"kernel path in: $n of 30 connections to the cgroup's listener, $((p2 - p1)) packets queued"
r=$(ip netns exec "$NS_S" timeout 5 python3 -c '
import socket
s = socket.socket(); s.settimeout(0.8)
try: s.connect(("'$C4'", 7101)); print("connected")
except socket.timeout: print("timeout")
except OSError as e: print("error", e.errno)')
ok $([ "$r" = timeout ]; echo $?) "RECV_ACCEPT block on the listener's port: the SYN is dropped silently ($r)"
sleep 0.3
"$WFPCTL" -s "$SOCK_C" show netevents | grep ALE_AUTH_RECV_ACCEPT_V4 | tail -1 >"$TMP/ne-in"
NCAT=$(readlink -f "$(command -v ncat)")
ok $(grep -q "block .*:7101 .*app=$NCAT" "$TMP/ne-in"; echo $?) \
	"the inbound block is a net event naming the listening ncat: $(cat "$TMP/ne-in")"

# --- ALE_AUTH_LISTEN: classified at listen(); a blocked listener gets no SYN
sh -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$1" ncat -l -k 7102' "$CG" "$NS_C" \
	>/dev/null 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
sleep 0.5
"$WFPCTL" -s "$SOCK_C" show netevents | grep ALE_AUTH_LISTEN_V4 | tail -1 >"$TMP/ne-l"
ok $(grep -q "block .*:7102 .*app=$NCAT" "$TMP/ne-l"; echo $?) \
	"listen() on a blocked port is a kernel block event naming ncat: $(cat "$TMP/ne-l")"
r=$(ip netns exec "$NS_S" timeout 5 python3 -c '
import socket
s = socket.socket(); s.settimeout(0.8)
try: s.connect(("'$C4'", 7102)); print("connected")
except socket.timeout: print("timeout")
except OSError as e: print("error", e.errno)')
ld=$(kcounter listen_drops)
ok $([ "$r" = timeout ] && kill -0 $LPID 2>/dev/null && [ "$ld" -ge 1 ]; echo $?) \
	"the blocked listener gets no connection ($r, listen_drops $ld; listen() itself succeeded on this kernel)"

# --- a policy change bites on a kernel-path flow (spec §3.3)
cat >"$TMP/stream.py" <<PY
import socket, sys, time
s = socket.create_connection(("$S4", 5000), timeout=3)
end = time.time() + 8
try:
    while time.time() < end:
        s.sendall(b"x" * 100); time.sleep(0.05)
except OSError as e:
    print("cut", e.errno); sys.exit(3)
print("survived")
PY
incg python3 "$TMP/stream.py" >"$TMP/stream.out" 2>&1 &
SPID=$!
sleep 1
printf '%s\nfilter "no 5000" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 5000\n' \
	"$POLICY" >"$TMP/policy2.wfp"
"$WFPCTL" -s "$SOCK_C" load "$TMP/policy2.wfp" >/dev/null
wait $SPID
rc=$?
ok $([ $rc -eq 3 ]; echo $?) "policy change cuts the running kernel-path stream: $(cat "$TMP/stream.out")"

# --- attribution through the owner map: a process that exits at once
"$WFPCTL" -s "$SOCK_C" monitor --json >"$TMP/mon" 2>/dev/null &
MPID=$!
PIDS="$PIDS $MPID"
sleep 0.3
grep -q "kernel path: out4 off" "$WLOG"
ok $? "a monitor turns the kernel path off (every flow is traced)"
spid=$(sh -c 'echo $$ > "$0/cgroup.procs"; echo $$; exec ip netns exec "$1" ncat -z -w 2 '$S4' 80' \
	"$CG" "$NS_C" 2>/dev/null | head -1)
sleep 0.5
python3 - "$TMP/mon" "$NCAT" "$spid" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("layer") == "ALE_AUTH_CONNECT_V4" and e.get("event") != "ebpf" and e.get("remote_port") == 80:
        print("# AUTH_CONNECT on NFQUEUE: pid=%s app=%s (ncat was %s)" % (e.get("pid"), e.get("app"), sys.argv[3]))
        sys.exit(0 if e.get("app") == sys.argv[2] and str(e.get("pid")) == sys.argv[3] else 1)
sys.exit(1)
PY
ok $? "short-lived ncat named exactly (pid and path from the eBPF owner map)"
kill $MPID 2>/dev/null
wait $MPID 2>/dev/null
sleep 0.3
grep -q "kernel path: out4 on" <(tail -n 3 "$WLOG")
ok $? "monitor gone: the kernel path is back"

# --- wfpd dies: the owned kernel-path table goes with it, fail-closed
kill -9 "$WFPD_PID"
wait "$WFPD_PID" 2>/dev/null
sleep 0.3
ip netns exec "$NS_C" nft list table inet openwfp_k >/dev/null 2>&1
gone=$?
ip netns exec "$NS_C" nft list table inet openwfp >/dev/null 2>&1
main=$?
n=$(incg python3 -c "$conns" 3 7000)
ok $([ $gone -ne 0 ] && [ $main -eq 0 ] && [ "$n" = 0 ]; echo $?) \
	"kill -9: kernel-path table gone, fail-closed table kept, $n of 3 connections succeed"
ip netns exec "$NS_C" nft delete table inet openwfp

# --- forced fallback: no sock_addr hooks
WFP_EBPF_DISABLE=sock_addr start_wfpd "$NS_C" "$SOCK_C" --policy "$TMP/policy.wfp" --ebpf auto \
	--ebpf-cgroup "$CG" || exit 1
grep -q "eBPF: missing cgroup sock_addr hooks.*NFQUEUE path only" "$WLOG"
ok $? "no sock_addr hooks: wfpd names the missing feature and stays on NFQUEUE"
t0=$(date +%s%N)
incg curl -s --max-time 5 http://$S4/ >/dev/null
rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
out=$(incg wget -q -O - http://$S4/)
ok $([ $rc -eq 7 ] && [ $ms -lt 1000 ] && [ "$out" = hi ]; echo $?) \
	"fallback: curl still blocked (NFQUEUE, exit $rc, ${ms} ms), wget works"
ip netns exec "$NS_C" nft list table inet openwfp_k >/dev/null 2>&1
ok $([ $? -ne 0 ]; echo $?) "fallback: no kernel-path table"
kill "$WFPD_PID"
wait "$WFPD_PID" 2>/dev/null
WFP_EBPF_DISABLE=sock_addr nsenter --net=/run/netns/"$NS_C" "$WFPD" -s "$SOCK_C" --ebpf on \
	--ebpf-cgroup "$CG" 2>"$TMP/on.log"
rc=$?
sed 's/^/# /' "$TMP/on.log"
ok $([ $rc -ne 0 ] && grep -q "refusing to start" "$TMP/on.log"; echo $?) \
	"--ebpf on without the hooks: wfpd refuses to start (exit $rc)"
finish
