#!/bin/sh
# deb.sh SRCDIR - the Debian packages, built, installed and run (TAP).
# deb.sh --build-only OUTDIR  (make deb) - build only, copy the .debs out.
#
# From a copy of the tree: dpkg-buildpackage -us -uc -b (nocheck: make check
# ran the suites already), lintian without errors, then on this machine:
# apt-get install of the three packages, `wfpctl --version` and the
# tcp-connect example of wfpctl sim from the installed paths (compared with
# its golden trace), man pages, units (disabled, systemd-analyze verify),
# the openwfp group, a program built with pkg-config against the installed
# libwfp-dev; then apt-get purge, and nothing of ours is left.
#
# Root only, and only when OPENWFP_DEB_TEST=1 (make check and make pkg-test
# set it; a developer's tests/run.py does not pay its minutes).  Skips with
# the reason when openwfp is already installed here (it would be replaced),
# or when the build tools are missing and cannot be installed.  Runs under
# a lock: two checkouts on one machine must not dpkg at the same time.
set -u
build_only=
if [ "${1:-}" = --build-only ]; then
	build_only=$2
	src=$(cd "$(dirname "$0")/../.." && pwd)
else
	src=$1
fi
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
skip_all() { echo "ok 1 # SKIP $*"; echo "1..1"; exit 0; }
die() { echo "deb: $*" >&2; exit 1; }

if [ -z "$build_only" ]; then
	[ "$(id -u)" = 0 ] || skip_all "not root: installing packages needs root"
	[ "${OPENWFP_DEB_TEST:-}" = 1 ] ||
		skip_all "set OPENWFP_DEB_TEST=1 (make check, make pkg-test do) to build and install the packages"
	[ -z "${OPENWFP_IN_DEB_BUILD:-}" ] || skip_all "inside the package build"
fi
command -v dpkg >/dev/null || skip_all "not a Debian system (no dpkg)"

exec 9>/run/lock/openwfp-pkg-test.lock 2>/dev/null || exec 9>/tmp/openwfp-pkg-test.lock
flock -w 900 9 || skip_all "another package test holds the lock for 15 minutes"

if [ -z "$build_only" ] && dpkg-query -W -f='${Status}' openwfp 2>/dev/null | grep -q 'ok installed'; then
	skip_all "openwfp is already installed on this machine: not replacing it"
fi

tmp=$(mktemp -d) || exit 1
installed=
cleanup() {
	[ -n "$installed" ] && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
		openwfp libwfp0 libwfp-dev >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# build tools, then the Build-Depends dpkg-checkbuilddeps says are missing
if ! "$src/scripts/install-deps" dpkg-dev debhelper fakeroot lintian >"$tmp/deps" 2>&1; then
	[ -n "$build_only" ] && die "cannot install the build tools"
	skip_all "build tools missing and cannot be installed: $(tail -1 "$tmp/deps")"
fi
missing=$(cd "$src" && dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
	sed 's/([^)]*)//g; s/|[^ ]*//g')
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	"$src/scripts/install-deps" $missing >"$tmp/deps" 2>&1 ||
		skip_all "Build-Depends missing and cannot be installed: $missing"
fi

# a copy of the tree: the build writes debian/ and obj-*/ into it
mkdir "$tmp/openwfp"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$src" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
		tar --null -cf - -T -) | tar -xf - -C "$tmp/openwfp"
else
	tar -C "$src" --exclude='./build*' --exclude='./obj-*' -cf - . | tar -xf - -C "$tmp/openwfp"
fi
if (cd "$tmp/openwfp" && OPENWFP_IN_DEB_BUILD=1 DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	sed 's/^/# /' "$tmp/build.log" | tail -30
	nok "dpkg-buildpackage -us -uc -b"
	echo "1..$n"
	exit 1
fi
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
debs=
for p in openwfp libwfp0 libwfp-dev; do
	f=$tmp/${p}_${version}_$arch.deb
	check "package $p built" test -e "$f"
	debs="$debs $f"
done
if [ -n "$build_only" ]; then
	mkdir -p "$build_only" && cp $debs "$build_only"/ && echo "debs in $build_only/"
	exit $fail
fi

lintian --fail-on error "$tmp/openwfp_${version}_$arch.changes" >"$tmp/lintian" 2>&1
grep '^[WI]:' "$tmp/lintian" | sed 's/^/# /'
if ! grep -q '^E:' "$tmp/lintian"; then
	ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian") warnings)"
else
	grep '^E:' "$tmp/lintian" | sed 's/^/# /'
	nok "lintian: no errors"
fi

# install on this machine (apt resolves the run-time dependencies)
installed=1
# shellcheck disable=SC2086
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=300 $debs >"$tmp/apt.log" 2>&1; then
	ok "apt-get install openwfp libwfp0 libwfp-dev"
else
	sed 's/^/# /' "$tmp/apt.log" | tail -20
	nok "apt-get install openwfp libwfp0 libwfp-dev"
fi
v=$(/usr/bin/wfpctl --version 2>&1)
check "/usr/bin/wfpctl --version: $v" test "$v" = "wfpctl (openwfp) ${version%%-*}"
ex=/usr/share/doc/openwfp/examples/sim/tcp-connect.sim
/usr/bin/wfpctl sim "$ex" >"$tmp/sim.out" 2>&1
rc=$?
norm() {
	sed -e 's/#.*$//' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' | grep -v '^$'
}
tail -n +2 "$tmp/sim.out" | norm >"$tmp/got"
norm <"$src/tests/golden/sim/tcp-connect.expected" >"$tmp/want"
if [ $rc = 0 ] && cmp -s "$tmp/got" "$tmp/want"; then
	ok "installed wfpctl sim $ex gives the golden trace ($(wc -l <"$tmp/got") classifications)"
else
	diff "$tmp/want" "$tmp/got" | head -20 | sed 's/^/# /'
	nok "installed wfpctl sim $ex gives the golden trace"
fi
for m in wfpctl.8 wfp-policy.5 libwfp.3; do
	check "man page $m installed" test -n "$(man -w "${m%.*}" 2>/dev/null)"
done
if [ -e /usr/sbin/wfpd ]; then
	v=$(/usr/sbin/wfpd --version 2>&1)
	check "/usr/sbin/wfpd --version: $v" test "$v" = "wfpd (openwfp) ${version%%-*}"
	check "man page wfpd.8 installed" test -e /usr/share/man/man8/wfpd.8.gz
	for u in wfpd.service wfpd-boot.service; do
		check "$u installed" test -e "/lib/systemd/system/$u"
		st=$(systemctl is-enabled "$u" 2>/dev/null)
		check "$u not enabled by the package ($st)" test "$st" != enabled
	done
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify /lib/systemd/system/wfpd.service \
			/lib/systemd/system/wfpd-boot.service >"$tmp/verify" 2>&1
		sed 's/^/# /' "$tmp/verify"
		if ! grep -i 'wfpd' "$tmp/verify" | grep -qv 'Failed to put bus name\|Failed to connect'; then
			ok "systemd-analyze verify wfpd.service wfpd-boot.service"
		else
			nok "systemd-analyze verify wfpd.service wfpd-boot.service"
		fi
	fi
	check "boot.nft parses (nft -c)" nft -c -f /usr/share/openwfp/boot.nft
fi
check "group openwfp exists" eval 'getent group openwfp >/dev/null'
cflags=$(pkg-config --cflags --libs libwfp 2>&1)
# shellcheck disable=SC2086
if cc -Wall -Werror -o "$tmp/hello" "$src/tests/pkg/hello.c" $cflags 2>"$tmp/cc" &&
	"$tmp/hello" | head -1 | grep -q "^libwfp ${version%%-*}: 2 filters$"; then
	ok "hello.c built with pkg-config ($cflags) runs"
else
	sed 's/^/# /' "$tmp/cc"
	nok "hello.c built with pkg-config ($cflags) runs"
fi

if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 \
	openwfp libwfp0 libwfp-dev >"$tmp/purge.log" 2>&1; then
	installed=
	ok "apt-get purge"
else
	sed 's/^/# /' "$tmp/purge.log" | tail -10
	nok "apt-get purge"
fi
left=$(ls -d /usr/bin/wfpctl /usr/sbin/wfpd /usr/include/wfp /usr/share/doc/openwfp \
	/lib/systemd/system/wfpd*.service /usr/lib/*/libwfp.so* 2>/dev/null)
check "nothing left after purge${left:+: $left}" test -z "$left"
echo "1..$n"
exit $fail
