#!/bin/sh
# ebpf_connect.sh - connect() latency and connections/s with the eBPF ALE
# path (10 and 10,000 ALE_AUTH_CONNECT filters) against no filtering, as
# ratios in one run (issue 7).  Root; own cgroup and netns, like the
# netns tests.  Usage: WFP_EBPF=build/bpf/wfp-ebpf bench/ebpf_connect.sh [COUNT]
# Not a pass/fail test: timings only.
. "$(dirname "$0")/../tests/netns/ebpf_lib.sh"
nsenter --net=/run/netns/"$NS" "$WFP_EBPF" bench "$CG" "${1:-3000}"
