#!/bin/sh
# ebpf_connect.sh - connect() latency and connections/s over a veth pair,
# in one run: no filtering, the eBPF path (10 and 10,000 ALE_AUTH_CONNECT
# filters, all walked, none matching) and the NFQUEUE-only path (wfpd
# with the same policies), as ratios to no filtering (issue 7).
#
#   netns $NS (client, test cgroup)           netns $NS-s (server)
#   c0 10.77.0.1/24  <------ veth ------>  s0 10.77.0.2/24, wfp-ebpf serve :7000
#
# Root.  Usage: WFP_EBPF=build/bpf/wfp-ebpf bench/ebpf_connect.sh [COUNT]
# Timings only, not a pass/fail test; the machine is shared, so each
# figure is the best of three runs.
. "$(dirname "$0")/../tests/netns/ebpf_lib.sh"
BUILD=${BUILD:-$(cd "$(dirname "$WFP_EBPF")/.." && pwd)}
WFPD=${WFPD:-$BUILD/daemon/wfpd/wfpd}
WFPCTL=${WFPCTL:-$BUILD/tools/wfpctl/wfpctl}
count=${1:-2000}
NS_S=$NS-s
SRV=
WFPD_PID=

bench_cleanup() {
	[ -n "$WFPD_PID" ] && kill "$WFPD_PID" 2>/dev/null && wait "$WFPD_PID"
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV"
	ip netns del "$NS_S" 2>/dev/null
	cleanup
}
trap bench_cleanup EXIT

ip netns add "$NS_S" || skip_all "cannot create the server namespace"
ip -n "$NS" link add c0 type veth peer name s0 netns "$NS_S" || skip_all "no veth"
ip -n "$NS" addr add 10.77.0.1/24 dev c0
ip -n "$NS" link set c0 up
ip -n "$NS_S" addr add 10.77.0.2/24 dev s0
ip -n "$NS_S" link set s0 up
ip -n "$NS_S" link set lo up

nsenter --net=/run/netns/"$NS_S" "$WFP_EBPF" serve 10.77.0.2 7000 > "$TMP/serve" &
SRV=$!
while ! grep -q serving "$TMP/serve" 2>/dev/null; do sleep 0.1; done

client() { nsenter --net=/run/netns/"$NS" "$WFP_EBPF" bench "$CG" "$count" 10.77.0.2 7000 "$@"; }

echo "# eBPF path and no filtering"
client > "$TMP/res" || exit 1
if [ -x "$WFPD" ]; then
	for n in 10 10000; do
		awk -v n=$n 'BEGIN { for (i = 0; i < n; i++)
			printf "filter \"f%d\" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == %d\n",
				i, 20000 + i % 40000 }' > "$TMP/p$n.wfp"
		echo "# NFQUEUE path: wfpd with $n filters"
		nsenter --net=/run/netns/"$NS" "$WFPD" -s "$TMP/wfpd.sock" --policy "$TMP/p$n.wfp" --ebpf off \
			2>> "$TMP/wfpd.log" &
		WFPD_PID=$!
		i=0
		until [ -S "$TMP/wfpd.sock" ] && "$WFPCTL" -s "$TMP/wfpd.sock" show counters \
			> /dev/null 2>&1; do
			i=$((i + 1))
			[ $i -gt 300 ] && { sed 's/^/# /' "$TMP/wfpd.log"; exit 1; }
			sleep 0.1
		done
		client plain | sed "s|result plain|result nfqueue/$n|" >> "$TMP/res"
		kill "$WFPD_PID" && wait "$WFPD_PID"
		WFPD_PID=
		rm -f "$TMP/wfpd.sock"
	done
else
	echo "# wfpd not built ($WFPD): no NFQUEUE figures"
fi
awk -v count="$count" '
	{ for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2] }
	  order[++n] = $2 }
	END {
		printf "connect() over veth, best of 3 runs of %d connections\n", count
		printf "%-16s %12s %8s %10s %8s %7s\n", "path", "connect ns", "ratio",
			"conn/s", "ratio", "failed"
		b = v["none", "connect_ns"]; p = v["none", "per_s"]
		for (i = 1; i <= n; i++) {
			k = order[i]
			printf "%-16s %12d %8.2f %10d %8.2f %7d\n", k, v[k, "connect_ns"],
				v[k, "connect_ns"] / b, v[k, "per_s"], v[k, "per_s"] / p,
				v[k, "failed"]
		}
	}' "$TMP/res"
