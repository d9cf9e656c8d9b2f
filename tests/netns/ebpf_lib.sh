# ebpf_lib.sh - shared setup of the eBPF netns tests (sourced, POSIX sh).
#
# Every test gets its own cgroup (under the cgroup2 mount) and its own
# network namespace, attaches programs only to that cgroup, talks only on
# loopback inside the namespace, and removes both on exit, failure
# included.  It ends only processes it started: the driver by pid, and
# what runs inside its own cgroup.

n=0
failed=0
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
check() { # check DESC CMD...: ok if CMD succeeds
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

[ "$(id -u)" = 0 ] || skip_all "not root"
[ -n "$WFP_EBPF" ] && [ -x "$WFP_EBPF" ] || skip_all "wfp-ebpf not built (eBPF toolchain missing)"
command -v ip >/dev/null || skip_all "ip (iproute2) missing"
# the client/server probe shared by the tests (tests/netns/probe.py)
PROBE=$(cd "$(dirname "$0")" && pwd)/probe.py
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || skip_all "no cgroup2 mount"

TMP=$(mktemp -d /tmp/openwfp-ebpf.XXXXXX)
CG=$CG2/openwfp-test-$$
NS=openwfp-test-$$
DRIVER=

cleanup() {
	[ -n "$DRIVER" ] && kill "$DRIVER" 2>/dev/null && wait "$DRIVER" 2>/dev/null
	if [ -d "$CG" ]; then
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$CG" 2>/dev/null && break
			sleep 0.2
		done
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

mkdir "$CG" || skip_all "cannot create a cgroup under $CG2"
ip netns add "$NS" || skip_all "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up

# in_ns CMD...: run CMD in the test cgroup and netns.  The cgroup is
# joined first: `ip netns exec` remounts /sys, hiding the cgroup2 mount.
in_ns() {
	sh -c 'echo $$ > "$0/cgroup.procs" && ns=$1 && shift && exec ip netns exec "$ns" "$@"' \
		"$CG" "$NS" "$@"
}

# in_ns_bg CMD...: the same in the background.
in_ns_bg() {
	sh -c 'echo $$ > "$0/cgroup.procs" && ns=$1 && shift && exec ip netns exec "$ns" "$@"' \
		"$CG" "$NS" "$@" &
}

# start_driver POLICY: load POLICY, attach to the cgroup, wait for ready.
start_driver() {
	"$WFP_EBPF" run "$CG" "$1" /run/netns/"$NS" > "$TMP/events" 2> "$TMP/driver.err" &
	DRIVER=$!
	i=0
	while ! grep -q '^ready' "$TMP/events" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$DRIVER" 2>/dev/null; then
			cat "$TMP/driver.err" >&2
			skip_all "wfp-ebpf could not load or attach: $(head -1 "$TMP/driver.err")"
		fi
		sleep 0.1
	done
	grep -q '^hook sock_addr yes' "$TMP/events" || skip_all "cgroup sock_addr hooks missing"
}

# events_settle: give the driver a moment to print pending events.
events_settle() { sleep 0.5; }

# has_event PATTERN...: an event line matching every PATTERN (grep -E).
has_event() {
	cp "$TMP/events" "$TMP/m0"
	for p in "$@"; do
		grep -E -- "$p" "$TMP/m0" > "$TMP/m1" || return 1
		mv "$TMP/m1" "$TMP/m0"
	done
}

# connect_errno CMD...: the errno of CMD's first failed connect(), via strace.
connect_errno() {
	in_ns strace -f -qq -e trace=connect -o "$TMP/strace" "$@" >/dev/null 2>&1
	grep -E 'AF_INET6?.*= -1 E[A-Z]+' "$TMP/strace" | head -1 |
		sed 's/.*= -1 \(E[A-Z]*\).*/\1/'
}

# http_server PORT: a tiny HTTP server on 127.0.0.1 and ::1, in the netns.
http_server() {
	in_ns_bg ncat -l -k 127.0.0.1 "$1" -c 'printf "HTTP/1.0 200 OK\r\n\r\nhello\n"'
	in_ns_bg ncat -6 -l -k ::1 "$1" -c 'printf "HTTP/1.0 200 OK\r\n\r\nhello\n"'
	sleep 0.5
}
