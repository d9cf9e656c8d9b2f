#!/bin/sh
# ebpf_listen.sh - ALE_AUTH_LISTEN_V4/V6: a blocked listen() makes
# `ncat -l` fail at once.  Needs BPF LSM programs (lsm_cgroup); on a
# kernel that refuses them the test says so and skips.
. "$(dirname "$0")/ebpf_lib.sh"
command -v ncat >/dev/null || skip_all "ncat missing"
cat > "$TMP/policy.wfp" <<'EOP'
filter "no 9000 v4" layer ALE_AUTH_LISTEN_V4 block where IP_LOCAL_PORT == 9000
filter "no 9000 v6" layer ALE_AUTH_LISTEN_V6 block where IP_LOCAL_PORT == 9000
EOP
start_driver "$TMP/policy.wfp"
grep -q '^hook lsm_cgroup yes' "$TMP/events" ||
	skip_all "listen hook missing: $(grep '^hook lsm_cgroup' "$TMP/events")"
echo "1..3"
in_ns timeout 5 ncat -l 127.0.0.1 9000 < /dev/null 2>/dev/null
rc=$?
check "ncat -l 127.0.0.1 9000 fails at once (exit $rc)" test "$rc" != 0 -a "$rc" != 124
in_ns timeout 5 ncat -6 -l ::1 9000 < /dev/null 2>/dev/null
rc=$?
check "ncat -l ::1 9000 fails at once (exit $rc)" test "$rc" != 0 -a "$rc" != 124
in_ns timeout 1 ncat -l 127.0.0.1 9001 < /dev/null 2>/dev/null
rc=$?
check "ncat -l 127.0.0.1 9001 listens (killed by timeout: $rc)" [ "$rc" = 124 ]
exit $failed
