# SPDX-License-Identifier: MIT
# lib.sh - shared set-up for the netns tests (sourced).  Every test gets
# two fresh network namespaces joined by one veth pair; nothing touches the
# host's namespaces or rulesets, and everything is torn down by a trap,
# also on failure:
#
#   +---------------------------+          +---------------------------+
#   | $NS_C  (client)           |          | $NS_S  (server)           |
#   |   veth-c 10.77.0.1/24     |==========|   veth-s 10.77.0.2/24     |
#   |          fd77::1/64       |   veth   |          fd77::2/64       |
#   |   [wfpd -s $SOCK_C]       |          |   wfpd -s $SOCK_S         |
#   +---------------------------+          +---------------------------+
#
# TAP output: plan with tap_plan N, then ok / not ok per check.

set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
WFPD=$BUILD/daemon/wfpd/wfpd
WFPCTL=$BUILD/tools/wfpctl/wfpctl
TAG=w$$
NS_C=$TAG-c
NS_S=$TAG-s
TMP=$(mktemp -d /tmp/wfpd-netns.XXXXXX)
SOCK_C=$TMP/c.sock
SOCK_S=$TMP/s.sock
C4=10.77.0.1 S4=10.77.0.2 C6=fd77::1 S6=fd77::2
PIDS=""
TAP_N=0
TAP_FAIL=0

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

tap_plan() { echo "1..$1"; }

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAIL=$((TAP_FAIL + 1))
	fi
}

note() { echo "# $*"; }

# Root, netns and the daemon are preconditions; anything missing skips.
require_env() {
	[ "$(id -u)" -eq 0 ] || skip_all "not root: netns tests need CAP_NET_ADMIN"
	[ -x "$WFPD" ] || skip_all "wfpd not built ($WFPD)"
	command -v ip >/dev/null || skip_all "iproute2 missing"
	ip netns add "$TAG-probe" 2>/dev/null || skip_all "cannot create network namespaces"
	ip netns del "$TAG-probe"
	"$TOP/scripts/install-deps" "$@" >/dev/null 2>&1 ||
		skip_all "cannot install client tools: $*"
}

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$TMP"
}

setup_topology() {
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$NS_C" && ip netns add "$NS_S" || exit 1
	ip link add veth-c netns "$NS_C" type veth peer name veth-s netns "$NS_S" || exit 1
	ip -n "$NS_C" addr add $C4/24 dev veth-c
	ip -n "$NS_S" addr add $S4/24 dev veth-s
	ip -n "$NS_C" addr add $C6/64 dev veth-c nodad
	ip -n "$NS_S" addr add $S6/64 dev veth-s nodad
	for ns in "$NS_C" "$NS_S"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_C" link set veth-c up
	ip -n "$NS_S" link set veth-s up
}

# bg NS CMD...: run in the background inside NS, remember the pid.
bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	PIDS="$PIDS $!"
	LAST_PID=$!
}

# start_wfpd NS SOCK [ARGS...]: wait until its socket answers (<= 10 s).
start_wfpd() {
	local ns=$1 sock=$2
	shift 2
	# eBPF attaches to a cgroup, not a namespace: never to the host's
	# root cgroup from a test, only where a test names its own
	case " $* " in
	*" --ebpf off "*) bg "$ns" "$WFPD" -s "$sock" "$@" 2>>"$TMP/wfpd-$ns.log" ;;
	*" --ebpf"*) # nsenter: `ip netns exec` remounts /sys, hiding cgroup2
		nsenter --net=/run/netns/"$ns" "$WFPD" -s "$sock" "$@" 2>>"$TMP/wfpd-$ns.log" &
		PIDS="$PIDS $!"
		LAST_PID=$! ;;
	*) bg "$ns" "$WFPD" -s "$sock" "$@" --ebpf off 2>>"$TMP/wfpd-$ns.log" ;;
	esac
	WFPD_PID=$LAST_PID
	for _ in $(seq 100); do
		[ -S "$sock" ] && "$WFPCTL" -s "$sock" show counters >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	note "wfpd did not come up:"
	sed 's/^/# /' "$TMP/wfpd-$ns.log"
	return 1
}

# load SOCK POLICY-TEXT
load() {
	printf '%s\n' "$2" >"$TMP/policy.wfp"
	"$WFPCTL" -s "$1" load "$TMP/policy.wfp"
}

finish() {
	[ "$TAP_FAIL" -eq 0 ]
	exit $?
}
