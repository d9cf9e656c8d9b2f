#!/bin/sh
# install.sh BUILDDIR SRCDIR - meson install into a temporary DESTDIR (TAP):
#   - exactly the files docs/install.md lists appear (no more, no fewer);
#   - libwfp.so.0 is the SONAME, only wfp_/Fwpm/FWPM_ symbols are exported;
#   - pkg-config --cflags --libs libwfp works from the staged tree, and
#     tests/pkg/hello.c compiled with it runs against the installed library;
#   - the installed wfpctl runs; scripts/uninstall (make uninstall) removes
#     every file again.
set -u
build=$1 src=$2
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
check() {
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

# the build's own prefix and libdir: the list is relative to them
eval "$(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("prefix=%s libdir=%s" % (o["prefix"], o["libdir"]))')"
version=$(meson introspect --projectinfo "$build" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
case $libdir in /*) libdir=${libdir#"$prefix"/} ;; esac
root=$dest$prefix

# the install log of the real run would be overwritten: keep it
log=$build/meson-logs/install-log.txt
[ -e "$log" ] && cp "$log" "$tmp/saved-log"
if meson install -C "$build" --no-rebuild --destdir "$dest" >"$tmp/install.out" 2>&1; then
	ok "meson install --destdir"
else
	sed 's/^/# /' "$tmp/install.out" | tail -20
	nok "meson install --destdir"
fi
cp "$log" "$tmp/log" 2>/dev/null
[ -e "$tmp/saved-log" ] && cp "$tmp/saved-log" "$log"

# expected: the documented list; "(wfpd)" lines only when wfpd is built
have_wfpd=0
[ -x "$build/daemon/wfpd/wfpd" ] && have_wfpd=1
awk '/<!-- install-list -->/ { on = 1; next } /<!-- end -->/ { on = 0 }
	on && !/^```/ && NF' "$src/docs/install.md" |
while read -r path note; do
	case $note in "(wfpd)"*) [ $have_wfpd = 1 ] || continue ;; esac
	path=$(printf '%s' "$path" | sed "s|LIBDIR|$libdir|; s|VERSION|$version|")
	# globs expand against the source directory the files come from
	case $path in
	include/wfp/*'*'*) from=$src/include/wfp ;;
	*/examples/*/*'*'*) from=${path%/*}; from=$src/examples/${from##*/} ;;
	*'*'*) echo "unknown glob $path" ;;
	esac
	case $path in
	*'*'*) for f in "$from/"${path##*/}; do
			[ -e "$f" ] && echo "${path%/*}/${f##*/}"
		done ;;
	*) echo "$path" ;;
	esac
done | sort >"$tmp/expected"
(cd "$root" 2>/dev/null && find . -type f -o -type l) | sed 's|^\./||' | sort >"$tmp/actual"
if cmp -s "$tmp/expected" "$tmp/actual"; then
	ok "installed files are exactly docs/install.md's list ($(wc -l <"$tmp/actual") files)"
else
	diff "$tmp/expected" "$tmp/actual" | sed 's/^/# /'
	nok "installed files are exactly docs/install.md's list"
fi
# everything outside PREFIX is an error too
outside=$(cd "$dest" && find . \( -type f -o -type l \) ! -path ".$prefix/*" | head -5)
check "nothing installed outside PREFIX${outside:+: $outside}" test -z "$outside"

so=$root/$libdir/libwfp.so.$version
soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "SONAME is libwfp.so.0 (got '$soname')" test "$soname" = libwfp.so.0
check "libwfp.so.0 -> libwfp.so.$version" test "$(readlink "$root/$libdir/libwfp.so.0")" = "libwfp.so.$version"
bad=$(nm -D --defined-only "$so" | awk '{ print $3 }' | grep -v '^wfp_\|^Fwpm\|^FWPM_\|^LIBWFP_0$' | head -5)
check "only wfp_*, Fwpm*, FWPM_* exported${bad:+ (also: $bad)}" test -z "$bad"

# pkg-config from the staged tree (sysroot = DESTDIR), then a real program
export PKG_CONFIG_PATH="$root/$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs libwfp 2>&1)
check "pkg-config --cflags --libs libwfp: $flags" pkg-config --exists libwfp
check "pkg-config --modversion libwfp is $version" test "$(pkg-config --modversion libwfp)" = "$version"
# shellcheck disable=SC2086
if cc -Wall -Werror -o "$tmp/hello" "$src/tests/pkg/hello.c" $flags 2>"$tmp/cc.out"; then
	ok "hello.c builds with the installed headers and pkg-config"
else
	sed 's/^/# /' "$tmp/cc.out"
	nok "hello.c builds with the installed headers and pkg-config"
fi
out=$(LD_LIBRARY_PATH="$root/$libdir" "$tmp/hello" 2>&1)
check "hello runs against the installed libwfp: $(printf "%s" "$out" | head -1)" \
	test "$(printf '%s\n' "$out" | head -1)" = "libwfp $version: 2 filters"
lib=$(LD_LIBRARY_PATH="$root/$libdir" ldd "$tmp/hello" | awk '/libwfp/ { print $3 }')
check "hello loads libwfp from the staged tree ($lib)" test "$lib" = "$root/$libdir/libwfp.so.0"
v=$(LD_LIBRARY_PATH="$root/$libdir" "$root/bin/wfpctl" --version 2>&1)
check "installed wfpctl --version: $v" test "$v" = "wfpctl (openwfp) $version"

# make uninstall's script removes every file and openwfp's directories
"$src/scripts/uninstall" "$tmp/log" >/dev/null
left=$(cd "$dest" 2>/dev/null && find . \( -type f -o -type l \) | head -5)
check "scripts/uninstall removes every installed file${left:+ (left: $left)}" test -z "$left"
check "scripts/uninstall removes include/wfp and share/doc/openwfp" \
	test ! -e "$root/include/wfp" -a ! -e "$root/share/doc/openwfp"
echo "1..$n"
exit $fail
