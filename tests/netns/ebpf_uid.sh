#!/bin/sh
# ebpf_uid.sh - ALE_USER_ID (a security descriptor naming uid 65534) at
# ALE_AUTH_CONNECT_V4/V6: nobody is blocked at connect(), root is not.
. "$(dirname "$0")/ebpf_lib.sh"
command -v wget >/dev/null && command -v ncat >/dev/null && command -v setpriv >/dev/null ||
	skip_all "wget, ncat or setpriv missing"
cat > "$TMP/policy.wfp" <<'EOP'
filter "nobody v4" layer ALE_AUTH_CONNECT_V4 block where ALE_USER_ID == "O:SYD:(A;;CC;;;S-1-22-1-65534)"
filter "nobody v6" layer ALE_AUTH_CONNECT_V6 block where ALE_USER_ID == "O:SYD:(A;;CC;;;S-1-22-1-65534)"
EOP
echo "1..5"
start_driver "$TMP/policy.wfp"
http_server 8080
NOBODY="setpriv --reuid 65534 --regid 65534 --clear-groups"

for url in http://127.0.0.1:8080/ "http://[::1]:8080/"; do
	out=$(in_ns $NOBODY wget -q -O - -T 5 -t 1 "$url" 2>/dev/null)
	check "wget $url as uid 65534 is blocked" [ "$out" != hello ]
	out=$(in_ns wget -q -O - -T 5 -t 1 "$url" 2>/dev/null)
	check "wget $url as root works" [ "$out" = hello ]
done
events_settle
check "kernel event: uid 65534 blocked" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=block' 'euid=65534' 'comm=wget'
exit $failed
