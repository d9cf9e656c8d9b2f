#!/bin/sh
# ebpf_listen.sh - ALE_AUTH_LISTEN_V4/V6 in the kernel.
#
# With BPF LSM programs (lsm_cgroup): a blocked listen() makes `ncat -l`
# fail at once.  Where the kernel refuses them (every BPF trampoline is
# refused), the sockops path: the listen is classified at listen() (the
# event names the listener at once), listen() itself succeeds, and
# cgroup_skb/ingress drops every SYN to that listener silently (the
# client times out, it is not refused), before and independently of
# RECV_ACCEPT (a RECV_ACCEPT permit for the port changes nothing); a
# listener on another port works; v4, v6 and a dual-stack socket bound
# to ::ffff:127.0.0.1 (the V4 layer); a strict listen layer blocks what
# it cannot evaluate; WFP_EBPF_DISABLE=sockops turns the path off.  Each
# part skips with the probe's reason where its hook is missing.
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null && command -v python3 >/dev/null || skip_all "ncat or python3 missing"
NCAT=$(readlink -f "$(command -v ncat)")
cat > "$TMP/policy.wfp" <<'EOP'
filter "no 9000 v4" layer ALE_AUTH_LISTEN_V4 block where IP_LOCAL_PORT == 9000
filter "no 9000 v6" layer ALE_AUTH_LISTEN_V6 block where IP_LOCAL_PORT == 9000
filter "no 9002 v4" layer ALE_AUTH_LISTEN_V4 block where IP_LOCAL_PORT == 9002
filter "accept 9000" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 9000
filter "accept 9000 v6" layer ALE_AUTH_RECV_ACCEPT_V6 permit where IP_LOCAL_PORT == 9000
EOP
probe() { in_ns python3 "$PROBE" "$@" 2>&1; }
start_driver "$TMP/policy.wfp"
echo "1..21"

# 1. the LSM hook: listen() fails
if grep -q '^hook lsm_cgroup yes' "$TMP/events"; then
	in_ns timeout 5 ncat -l 127.0.0.1 9000 < /dev/null 2>/dev/null
	rc=$?
	check "ncat -l 127.0.0.1 9000 fails at once (exit $rc)" test "$rc" != 0 -a "$rc" != 124
	in_ns timeout 5 ncat -6 -l ::1 9000 < /dev/null 2>/dev/null
	rc=$?
	check "ncat -l ::1 9000 fails at once (exit $rc)" test "$rc" != 0 -a "$rc" != 124
	in_ns timeout 1 ncat -l 127.0.0.1 9001 < /dev/null 2>/dev/null
	rc=$?
	check "ncat -l 127.0.0.1 9001 listens (killed by timeout: $rc)" [ "$rc" = 124 ]
else
	why=$(grep '^hook lsm_cgroup' "$TMP/events")
	skip "ncat -l 127.0.0.1 9000 fails at once" "listen hook missing: $why"
	skip "ncat -l ::1 9000 fails at once" "listen hook missing: $why"
	skip "ncat -l 127.0.0.1 9001 listens" "listen hook missing: $why"
fi

# 2. the sockops path: listen() succeeds, nobody can connect
if ! grep -q '^hook listen_sockops yes' "$TMP/events"; then
	why=$(grep '^hook listen_sockops' "$TMP/events")
	for i in 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21; do
		skip "sockops listen check" "$why"
	done
	exit $failed
fi
in_ns_bg sh -c 'echo $$ > "$0"; exec ncat -l -k 127.0.0.1 9000 -c "echo hi"' "$TMP/pid4"
in_ns_bg sh -c 'echo $$ > "$0"; exec ncat -6 -l -k ::1 9000 -c "echo hi"' "$TMP/pid6"
in_ns_bg ncat -l -k 127.0.0.1 9001 -c 'echo hi'
in_ns_bg ncat -6 -l -k ::1 9001 -c 'echo hi'
in_ns_bg sh -c 'exec python3 "$0" mapped 9002 > "$1"' "$PROBE" "$TMP/pidm"
sleep 0.7
events_settle
p4=$(cat "$TMP/pid4") p6=$(cat "$TMP/pid6") pm=$(head -1 "$TMP/pidm")
# before any client: the event comes from listen() itself
check "listen event at listen(): ALE_AUTH_LISTEN_V4 block, the listener's pid and app" \
	has_event "layer=ALE_AUTH_LISTEN_V4 verdict=block filter=[1-9].* pid=$p4 tgid=$p4 " \
	"comm=ncat app=$NCAT laddr=127.0.0.1 lport=9000 "
check "listen event at listen(): ALE_AUTH_LISTEN_V6 block, the listener's pid" \
	has_event "layer=ALE_AUTH_LISTEN_V6 verdict=block filter=[1-9].* pid=$p6 " \
	"comm=ncat app=$NCAT laddr=::1 lport=9000 "
check "dual-stack socket on ::ffff:127.0.0.1: classified at ALE_AUTH_LISTEN_V4 (pid $pm)" \
	has_event "layer=ALE_AUTH_LISTEN_V4 verdict=block .* pid=$pm " 'laddr=127.0.0.1 lport=9002 '
check "the blocked listeners' listen() succeeded (ncat still runs)" \
	kill -0 "$p4" "$p6" "$pm"
out=$(probe tcp 127.0.0.1 9000)
check "connect to the blocked v4 listener: no answer, not refused ($out)" [ "$out" = timeout ]
out=$(probe tcp ::1 9000)
check "connect to the blocked v6 listener: no answer, not refused ($out)" [ "$out" = timeout ]
out=$(probe tcp 127.0.0.1 9002)
check "connect to the blocked dual-stack listener: no answer ($out)" [ "$out" = timeout ]
out=$(probe tcp 127.0.0.1 9001)
check "connect to 127.0.0.1:9001 works ($out)" [ "$out" = ok:hi ]
out=$(probe tcp ::1 9001)
check "connect to [::1]:9001 works ($out)" [ "$out" = ok:hi ]
events_settle
check "listen on 9001 permitted in the kernel (event)" \
	has_event 'layer=ALE_AUTH_LISTEN_V4 verdict=permit ' 'laddr=127.0.0.1 lport=9001 '
cnt=$(grep -c 'layer=ALE_AUTH_RECV_ACCEPT_V. .* lport=900[02] ' "$TMP/events")
check "SYNs to a blocked listener dropped before RECV_ACCEPT (its events: $cnt)" [ "$cnt" = 0 ]
check "SYNs to port 9001 still classified at RECV_ACCEPT" \
	has_event 'layer=ALE_AUTH_RECV_ACCEPT_V4 verdict=permit ' 'lport=9001 '
kill "$DRIVER" && wait "$DRIVER"
DRIVER=
check "the drops are counted (stats listen_drop)" \
	grep -Eq '^stats layer=ALE_AUTH_LISTEN_V4 .* listen_drop=[1-9]' "$TMP/events"
for p in $(cat "$CG/cgroup.procs"); do kill "$p"; done
sleep 0.3

# 3. a strict listen layer: with app paths unavailable an app filter
# blocks (fail-closed, reason=unavailable) instead of deferring
cat > "$TMP/strict.wfp" <<'EOP'
filter "app" layer ALE_AUTH_LISTEN_V4 block where ALE_APP_ID == "/usr/bin/none"
EOP
WFP_EBPF_DISABLE=exec WFP_EBPF_STRICT=listen4 start_driver "$TMP/strict.wfp"
check "LISTEN_V4 complete, hence strict (listen4 asked for)" \
	grep -Eq '^ready .* complete=0xff strict=0x04$' "$TMP/events"
in_ns_bg ncat -l -k 127.0.0.1 9003 -c 'echo hi'
sleep 0.5
out=$(probe tcp 127.0.0.1 9003)
check "strict listen, app unknown: the listener is not answered ($out)" [ "$out" = timeout ]
events_settle
check "strict listen: event verdict=block reason=unavailable" \
	has_event 'layer=ALE_AUTH_LISTEN_V4 verdict=block filter=0 ' 'lport=9003 .*reason=unavailable$'
kill "$DRIVER" && wait "$DRIVER"
DRIVER=
for p in $(cat "$CG/cgroup.procs"); do kill "$p"; done
sleep 0.3

# 4. WFP_EBPF_DISABLE=sockops: listen not enforced, the listener works
WFP_EBPF_DISABLE=sockops start_driver "$TMP/policy.wfp"
check "WFP_EBPF_DISABLE=sockops: hook listen_sockops no, listen not enforced" \
	sh -c "grep -q '^hook listen_sockops no (Operation not supported)' '$TMP/events' &&
	       grep -q '^listen not enforced' '$TMP/events'"
in_ns_bg ncat -l -k 127.0.0.1 9000 -c 'echo hi'
sleep 0.5
out=$(probe tcp 127.0.0.1 9000)
check "WFP_EBPF_DISABLE=sockops: the listener on 9000 answers ($out)" [ "$out" = ok:hi ]
exit $failed
