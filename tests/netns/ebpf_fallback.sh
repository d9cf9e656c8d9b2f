#!/bin/sh
# ebpf_fallback.sh - degrading clearly (issue 7): hooks forced missing
# with WFP_EBPF_DISABLE.  Without the sock_addr hooks wfp-ebpf names the
# missing feature and exits 3 (the daemon's cue to stay on NFQUEUE) and
# nothing is attached; without app paths an ALE_APP_ID filter defers
# instead of guessing; without the LSM hooks listen() is not decided.
. "$(dirname "$0")/ebpf_lib.sh"
command -v curl >/dev/null && command -v ncat >/dev/null || skip_all "curl or ncat missing"
CURL=$(readlink -f "$(command -v curl)")
cat > "$TMP/policy.wfp" <<EOP
filter "no curl" layer ALE_AUTH_CONNECT_V4 weight 1 block where ALE_APP_ID == "$CURL"
filter "no 80" layer ALE_AUTH_CONNECT_V4 weight 2 block where IP_REMOTE_PORT == 80
filter "no 9000" layer ALE_AUTH_LISTEN_V4 block where IP_LOCAL_PORT == 9000
EOP
echo "1..6"
http_server 8080

WFP_EBPF_DISABLE=sock_addr "$WFP_EBPF" run "$CG" "$TMP/policy.wfp" > /dev/null 2> "$TMP/err"
rc=$?
check "no sock_addr hooks: exit 3 (got $rc)" [ "$rc" = 3 ]
check "no sock_addr hooks: the message names them" grep -q 'missing cgroup sock_addr hooks' "$TMP/err"
out=$(in_ns curl -s --max-time 5 http://127.0.0.1:8080/)
check "no sock_addr hooks: nothing attached, curl works" [ "$out" = hello ]

export WFP_EBPF_DISABLE=exec,lsm
start_driver "$TMP/policy.wfp"
check "no LSM hooks: reported" grep -q '^hook lsm_cgroup no' "$TMP/events"
out=$(in_ns curl -s --max-time 5 http://127.0.0.1:8080/)
events_settle
check "no app paths: the curl filter defers, curl is let through" \
	sh -c "[ '$out' = hello ] && grep -q 'verdict=defer .*comm=curl app=? ' '$TMP/events'"
in_ns curl -s --max-time 5 http://127.0.0.1:80/ > /dev/null 2>&1
events_settle
check "a filter in front of the app filter still blocks in the kernel" \
	has_event 'verdict=block' 'comm=curl' 'rport=80 '
exit $failed
