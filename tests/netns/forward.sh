#!/bin/bash
# SPDX-License-Identifier: MIT
# forward.sh - wfpd on a router classifies forwarded packets at IPFORWARD
# (spec §8.3): neither from nor to the router, every packet, no ALE.
#
#   $NS_C 10.81.0.1 ==veth== 10.81.0.254 $NS_R 10.82.0.254 ==veth== $NS_S
#         fd81::1          fd81::fe  (wfpd) fd82::fe           10.82.0.2, .3
#                                                             fd82::2, ::3
#
# Root only.  Three namespaces of our own, deleted by the trap, also on
# failure; traffic only between them.
. "$(dirname "$0")/lib.sh"

require_env ncat python3 iputils-ping
NS_R=$TAG-r
trap 'cleanup; ip netns del "$NS_R" 2>/dev/null' EXIT
trap 'exit 1' INT TERM
ip netns add "$NS_C" && ip netns add "$NS_R" && ip netns add "$NS_S" || exit 1
ip link add c0 netns "$NS_C" type veth peer name r0 netns "$NS_R" || exit 1
ip link add r1 netns "$NS_R" type veth peer name s0 netns "$NS_S" || exit 1
ip -n "$NS_C" addr add 10.81.0.1/24 dev c0
ip -n "$NS_C" addr add fd81::1/64 dev c0 nodad
ip -n "$NS_R" addr add 10.81.0.254/24 dev r0
ip -n "$NS_R" addr add fd81::fe/64 dev r0 nodad
ip -n "$NS_R" addr add 10.82.0.254/24 dev r1
ip -n "$NS_R" addr add fd82::fe/64 dev r1 nodad
for a in 10.82.0.2/24 10.82.0.3/24; do ip -n "$NS_S" addr add $a dev s0; done
for a in fd82::2/64 fd82::3/64; do ip -n "$NS_S" addr add $a dev s0 nodad; done
for ns in "$NS_C" "$NS_R" "$NS_S"; do
	ip -n "$ns" link set lo up
	for l in $(ip -n "$ns" -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }'); do
		ip -n "$ns" link set "$l" up
	done
done
ip -n "$NS_C" route add default via 10.81.0.254
ip -n "$NS_C" -6 route add default via fd81::fe
ip -n "$NS_S" route add default via 10.82.0.254
ip -n "$NS_S" -6 route add default via fd82::fe
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
tap_plan 10

POLICY='filter "not to .3" layer IPFORWARD_V4 block where IP_DESTINATION_ADDRESS == 10.82.0.3
filter "not to ::3" layer IPFORWARD_V6 block where IP_DESTINATION_ADDRESS == fd82::3'
printf '%s\n' "$POLICY" >"$TMP/fwd.wfp"
bg "$NS_S" sh -c 'exec ncat -l -k 7000 -c "echo hi"'
sleep 0.3
start_wfpd "$NS_R" "$SOCK_S" --policy "$TMP/fwd.wfp" || exit 1
inc() { ip netns exec "$NS_C" timeout 5 "$@"; }
counter() { "$WFPCTL" -s "$SOCK_S" show --json counters |
	python3 -c "import json,sys; print(json.load(sys.stdin)['counters']['$1'])"; }

inc ping -c 1 -W 2 10.82.0.2 >/dev/null
ok $? "ping through the router to 10.82.0.2: forwarded"
out=$(inc ncat --recv-only -w 2 10.82.0.2 7000 </dev/null)
ok $([ "$out" = hi ]; echo $?) "TCP through the router to 10.82.0.2:7000: '$out'"
[ "$out" = hi ] || { "$WFPCTL" -s "$SOCK_S" show counters | sed 's/^/# /'; "$WFPCTL" -s "$SOCK_S" show netevents | sed 's/^/# /'; }
inc ping -c 1 -W 1 10.82.0.3 >/dev/null
ok $([ $? -ne 0 ]; echo $?) "ping to 10.82.0.3: dropped at IPFORWARD_V4"
out=$(inc ncat --recv-only -w 1 10.82.0.3 7000 </dev/null 2>&1)
ok $([ "$out" != hi ]; echo $?) "TCP to 10.82.0.3:7000 dropped too (no port fields at IPFORWARD)"
out=$(inc ncat --recv-only -w 2 fd82::2 7000 </dev/null)
inc ping -6 -c 1 -W 1 fd82::3 >/dev/null
rc=$?
ok $([ "$out" = hi ] && [ $rc -ne 0 ]; echo $?) "IPv6: fd82::2 forwarded, fd82::3 dropped"
sleep 0.3
"$WFPCTL" -s "$SOCK_S" show --json netevents >"$TMP/ne.json"
python3 - "$TMP/ne.json" <<'PY'
import json, sys
evs = json.load(open(sys.argv[1]))
evs = evs.get("netevents", evs) if isinstance(evs, dict) else evs
got = {e.get("layer") for e in evs if e.get("filter_id")}
print("# drop events at:", sorted(got))
sys.exit(0 if {"IPFORWARD_V4", "IPFORWARD_V6"} <= got else 1)
PY
ok $? "the drops are net events at IPFORWARD_V4 and _V6 naming their filters"
n4=$("$WFPCTL" -s "$SOCK_S" show counters | awk '$1 == "IPFORWARD_V4" { print $2 }')
ok $([ "${n4:-0}" -ge 4 ]; echo $?) "IPFORWARD_V4 classified every forwarded packet (${n4:-0})"
# the router sends no IPv4 of its own: every V4 classification is IPFORWARD
n=$("$WFPCTL" -s "$SOCK_S" show counters | awk '$1 ~ /_V4$/ && $1 !~ /^IPFORWARD/ { s += $2 } END { print s + 0 }')
ok $([ "$n" -eq 0 ]; echo $?) "no ALE or local packet layer saw forwarded IPv4 ($n)"

# without IPFORWARD filters the kernel forwards without asking
printf 'filter "web" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80\n' >"$TMP/none.wfp"
"$WFPCTL" -s "$SOCK_S" load "$TMP/none.wfp" >/dev/null
p0=$(counter packets)
inc ping -c 3 -i 0.2 -W 1 10.82.0.3 >/dev/null
rc=$?
p1=$(counter packets)
ok $([ $rc -eq 0 ] && [ $((p1 - p0)) -eq 0 ]; echo $?) \
	"no IPFORWARD filter: forwarded in the kernel, $((p1 - p0)) packets queued"

# fail-closed: wfpd gone, nothing is forwarded
"$WFPCTL" -s "$SOCK_S" load "$TMP/fwd.wfp" >/dev/null
kill -9 "$WFPD_PID"
wait "$WFPD_PID" 2>/dev/null
inc ping -c 1 -W 1 10.82.0.2 >/dev/null
ok $([ $? -ne 0 ]; echo $?) "kill -9 wfpd: forwarding stops (fail-closed)"
ip netns exec "$NS_R" nft delete table inet openwfp 2>/dev/null
finish
