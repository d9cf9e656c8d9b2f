#!/bin/sh
# ebpf_app.sh - ALE_APP_ID at ALE_AUTH_CONNECT_V4/V6, decided at connect():
# curl is blocked with EPERM at once, wget to the same address works,
# over IPv4 and IPv6 (issue 7 acceptance).
. "$(dirname "$0")/ebpf_lib.sh"
command -v curl >/dev/null && command -v wget >/dev/null && command -v ncat >/dev/null ||
	skip_all "curl, wget or ncat missing"
CURL=$(readlink -f "$(command -v curl)")
cat > "$TMP/policy.wfp" <<EOP
filter "no curl v4" layer ALE_AUTH_CONNECT_V4 block where ALE_APP_ID == "$CURL"
filter "no curl v6" layer ALE_AUTH_CONNECT_V6 block where ALE_APP_ID == "$CURL"
EOP
echo "1..9"
start_driver "$TMP/policy.wfp"
http_server 8080

for url in http://127.0.0.1:8080/ "http://[::1]:8080/"; do
	in_ns curl -sS -o /dev/null --max-time 5 "$url" 2>/dev/null
	rc=$?
	check "curl $url fails to connect (exit 7, got $rc)" [ "$rc" = 7 ]
	if command -v strace >/dev/null; then
		e=$(connect_errno curl -s -o /dev/null --max-time 5 "$url")
		check "curl $url: connect() returns EPERM (got ${e:-success})" [ "$e" = EPERM ]
	else
		skip "curl $url: connect() returns EPERM" "strace missing"
	fi
	out=$(in_ns wget -q -O - -T 5 -t 1 "$url" 2>/dev/null)
	check "wget $url works" [ "$out" = hello ]
done
events_settle
check "kernel event: curl blocked, app path known" \
	has_event 'layer=ALE_AUTH_CONNECT_V4 verdict=block' "comm=curl app=$CURL "
check "kernel event: wget permitted over IPv6" \
	has_event 'layer=ALE_AUTH_CONNECT_V6 verdict=permit' 'comm=wget' 'raddr=::1 rport=8080'
kill "$DRIVER" && wait "$DRIVER"
DRIVER=
check "counters: curl blocked at least twice at ALE_AUTH_CONNECT_V4" \
	grep -Eq '^stats layer=ALE_AUTH_CONNECT_V4 permit=[0-9]+ block=([2-9]|[1-9][0-9]+) ' \
	"$TMP/events"
exit $failed
