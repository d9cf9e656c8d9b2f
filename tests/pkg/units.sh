#!/bin/sh
# units.sh SRCDIR WFPD WFPCTL - the systemd units of dist/ (TAP).
#   - systemd-analyze verify accepts both units (their ExecStart pointed at
#     this build's wfpd and /usr/sbin/nft);
#   - boot.nft is valid nft syntax;
#   - wfpd starts and serves its socket under exactly the unit's
#     CapabilityBoundingSet and NoNewPrivileges (setpriv, in a network
#     namespace of its own), and fails to without CAP_NET_ADMIN, so the
#     bounding set is shown to be both sufficient and needed;
#   - wfpd starts over the boot table and replaces it; the boot table alone
#     drops a ping between two namespaces and keeps loopback working.
# The live part needs root, unshare and setpriv; it skips otherwise.
set -u
src=$1 wfpd=${2:-} wfpctl=${3:-}
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
tmp=$(mktemp -d) || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	ip netns del "o$$a" 2>/dev/null
	ip netns del "o$$b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "$wfpd" ] || [ ! -x "$wfpd" ]; then
	echo "ok 1 # SKIP wfpd is not built here"; echo "1..1"
	exit 0
fi

wfpd=$(cd "$(dirname "$wfpd")" && pwd)/$(basename "$wfpd")
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in wfpd.service wfpd-boot.service; do
		sed "s|/usr/sbin/wfpd|$wfpd|g" "$src/dist/$u" >"$tmp/$u"
	done
	if systemd-analyze verify --man=no "$tmp/wfpd.service" "$tmp/wfpd-boot.service" \
		>"$tmp/verify" 2>&1 && ! grep -q 'wfpd' "$tmp/verify"; then
		ok "systemd-analyze verify wfpd.service wfpd-boot.service"
	else
		sed 's/^/# /' "$tmp/verify"
		nok "systemd-analyze verify wfpd.service wfpd-boot.service"
	fi
else
	skip "systemd-analyze not installed"
fi
if command -v nft >/dev/null 2>&1; then
	check "boot.nft parses (nft -c)" nft -c -f "$src/dist/boot.nft"
else
	skip "nft not installed"
fi

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$src/dist/wfpd.service")
check "wfpd.service has a CapabilityBoundingSet ($caps)" test -n "$caps"
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
	skip "wfpd under the unit's capabilities: needs root, unshare and setpriv"
	echo "1..$n"
	exit $fail
fi
# CAP_NET_ADMIN CAP_CHOWN -> -all,+net_admin,+chown
set_of() {
	printf -- '-all'
	for c in $1; do
		printf ',+%s' "$(printf '%s' "${c#CAP_}" | tr 'A-Z' 'a-z')"
	done
}
echo 'filter "no telnet" layer ALE_AUTH_CONNECT_V4 block where IP_REMOTE_PORT == 23' >"$tmp/p.wfp"

# eBPF attaches to a cgroup, never the host's root from a test: off, or
# (below) the test's own cgroup
ebpf="--ebpf off"
# run wfpd with bounding set $1 in a new netns (after the boot table when
# $2 is "boot"); 0 if it serves `show counters`
try() {
	rm -f "$tmp/sock" "$tmp/log" "$tmp/table" "$tmp/metrics"
	pre="ip link set lo up"
	[ "${2:-}" = boot ] && pre="$pre && nft -f $src/dist/boot.nft"
	# every optional facility on: the store, the metrics endpoint
	unshare -n sh -c "$pre && exec setpriv --bounding-set '$1' --no-new-privs -- \
		'$wfpd' --policy '$tmp/p.wfp' --socket '$tmp/sock' \
		--store '$tmp/store' --metrics 127.0.0.1:19433 $ebpf" >"$tmp/log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ]; do
		if [ -S "$tmp/sock" ] && "$wfpctl" show -s "$tmp/sock" counters >"$tmp/counters" 2>&1; then
			nsenter -t "$pid" -n nft list table inet openwfp >"$tmp/table" 2>&1
			command -v curl >/dev/null && nsenter -t "$pid" -n \
				curl -s -m 2 http://127.0.0.1:19433/metrics >"$tmp/metrics" 2>&1
			kill "$pid"
			wait "$pid" 2>/dev/null
			pid=
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 1
}
if try "$(set_of "$caps")"; then
	ok "wfpd enforces and serves its socket with only $caps"
	if command -v curl >/dev/null; then
		check "wfpd serves --metrics (and keeps --store) under the same capabilities" grep -q '^wfp' "$tmp/metrics"
	fi
else
	sed 's/^/# /' "$tmp/log" | tail -5
	nok "wfpd enforces and serves its socket with only $caps"
fi
# the eBPF back end under the same capabilities, on a cgroup of our own
cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cg2" ] && [ -e /sys/kernel/btf/vmlinux ] && mkdir "$cg2/openwfp-units-$$" 2>/dev/null; then
	ebpf="--ebpf on --ebpf-cgroup $cg2/openwfp-units-$$"
	if try "$(set_of "$caps")" && grep -q "eBPF on cgroup" "$tmp/log"; then
		ok "wfpd --ebpf on loads and attaches with only $caps"
	elif grep -q "built without the eBPF back end" "$tmp/log"; then
		skip "wfpd --ebpf under the unit's capabilities: built without the eBPF back end"
	else
		sed 's/^/# /' "$tmp/log" | tail -5
		nok "wfpd --ebpf on loads and attaches with only $caps"
	fi
	ebpf="--ebpf off"
	rmdir "$cg2/openwfp-units-$$"
else
	skip "wfpd --ebpf under the unit's capabilities: no cgroup2 mount or BTF"
fi
# the boot table first, as wfpd-boot.service leaves it: wfpd must start
# over it and replace it with its own (its epoch set, its queue rules)
if command -v nsenter >/dev/null && command -v nft >/dev/null; then
	if try "$(set_of "$caps")" boot && grep -q 'set epoch' "$tmp/table" &&
		grep -q 'policy drop' "$tmp/table"; then
		ok "wfpd starts over the boot table (boot.nft) and replaces it with its own"
	else
		sed 's/^/# /' "$tmp/log" "$tmp/table" 2>/dev/null | tail -8
		nok "wfpd starts over the boot table (boot.nft) and replaces it with its own"
	fi
else
	skip "boot table then wfpd: needs nsenter and nft"
fi
# the boot table really drops: two namespaces joined by a veth pair
#   [o$$a 10.199.0.1/24] ==veth== [o$$b 10.199.0.2/24]
# ping b -> a works, then a loads boot.nft: ping fails, a's loopback works
if command -v ip >/dev/null && command -v ping >/dev/null && command -v nft >/dev/null; then
	na=o$$a nb=o$$b
	ip netns add "$na" && ip netns add "$nb" &&
	ip link add "v$$a" type veth peer name "v$$b" &&
	ip link set "v$$a" netns "$na" && ip link set "v$$b" netns "$nb" &&
	ip -n "$na" addr add 10.199.0.1/24 dev "v$$a" && ip -n "$nb" addr add 10.199.0.2/24 dev "v$$b" &&
	ip -n "$na" link set "v$$a" up && ip -n "$nb" link set "v$$b" up &&
	ip -n "$na" link set lo up && ip -n "$nb" link set lo up
	if ip netns exec "$nb" ping -c1 -W2 10.199.0.1 >/dev/null 2>&1; then
		ip netns exec "$na" nft -f "$src/dist/boot.nft"
		check "boot table: a ping to the host is dropped" \
			eval '! ip netns exec "$nb" ping -c1 -W1 10.199.0.1 >/dev/null 2>&1'
		check "boot table: loopback still works" \
			eval 'ip netns exec "$na" ping -c1 -W1 127.0.0.1 >/dev/null 2>&1'
	else
		nok "boot table: the two namespaces can ping before it is loaded"
	fi
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
else
	skip "boot table drop: needs ip, ping and nft"
fi
less=$(printf '%s\n' $caps | grep -v '^CAP_NET_ADMIN$' | tr '\n' ' ')
if try "$(set_of "$less")"; then
	nok "wfpd without CAP_NET_ADMIN fails to start"
else
	ok "wfpd without CAP_NET_ADMIN fails to start ($(tail -1 "$tmp/log"))"
fi
echo "1..$n"
exit $fail
