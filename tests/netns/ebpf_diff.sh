#!/bin/sh
# ebpf_diff.sh - the differential test (issue 7 scope 5): random policies
# and socket calls from the test cgroup; every kernel verdict must equal
# wfp_classify() on the same incoming values.  CASES/SEED override.
. "$(dirname "$0")/ebpf_lib.sh"
cases=${EBPF_DIFF_CASES:-1000}
seed=${EBPF_DIFF_SEED:-$(date +%s)}
echo "# seed $seed (EBPF_DIFF_SEED=$seed reproduces)"
# nsenter, not `ip netns exec`: that remounts /sys and hides the cgroup
nsenter --net=/run/netns/"$NS" "$WFP_EBPF" diff "$CG" "$cases" "$seed" /run/netns/"$NS" < /dev/null
