#!/bin/sh
# man.sh WFPCTL SRCDIR [WFPD] - the man pages cannot silently go stale (TAP).
#   - mandoc -T lint reports nothing at level warning on every page;
#   - every command of `wfpctl --help` has its entry (.It Cm NAME) in
#     wfpctl.8, and every option its help text names is in the page;
#   - every option of `wfpd --help` is in wfpd.8 (when wfpd is built);
#   - the example policy of wfp-policy.5 passes `wfpctl check`.
# mandoc comes from scripts/install-deps (make check installs it); when it
# is missing and cannot be installed, the lint tests skip with a reason.
set -u
wfpctl=$1 src=$2 wfpd=${3:-}
man=$src/man
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

command -v mandoc >/dev/null 2>&1 || "$src/scripts/install-deps" mandoc >/dev/null 2>&1
for page in wfpctl.8 wfpd.8 wfp-policy.5 libwfp.3; do
	if ! command -v mandoc >/dev/null 2>&1; then
		skip "mandoc -T lint $page: mandoc not installed and cannot be installed"
		continue
	fi
	# "referenced manual not found" depends on what this machine has
	# installed, not on the page: STYLE level, below -W warning.
	mandoc -T lint -W warning "$man/$page" >"$tmp/lint" 2>&1
	if [ $? -le 1 ] && [ ! -s "$tmp/lint" ]; then
		ok "mandoc -T lint $page"
	else
		sed 's/^/# /' "$tmp/lint"
		nok "mandoc -T lint $page"
	fi
done

# every command in the help table has an entry in wfpctl.8
"$wfpctl" --help >"$tmp/help" || nok "wfpctl --help exits 0"
awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' "$tmp/help" >"$tmp/cmds"
check "wfpctl --help lists commands" test -s "$tmp/cmds"
while read -r c; do
	check "wfpctl.8 documents command '$c'" grep -q "^\.It Cm $c\( \|$\)" "$man/wfpctl.8"
done <"$tmp/cmds"
# and every option the help text and each command's usage show (-n, --json, ...)
while read -r c; do
	"$wfpctl" "$c" --help </dev/null 2>&1 | awk '/^usage:/ { on = 1 } on && /^ *$/ { exit } on'
done <"$tmp/cmds" >>"$tmp/help"
grep -o -- '[[ |]-\{1,2\}[a-zA-Z][a-zA-Z-]*' "$tmp/help" | cut -c2- | sort -u >"$tmp/opts"
while read -r o; do
	fl=$(printf '%s' "$o" | sed 's/^-//')
	check "wfpctl.8 documents option '$o'" grep -q "Fl $fl\( \|$\)" "$man/wfpctl.8"
done <"$tmp/opts"
# commands the page documents that this wfpctl lacks: not an error (the
# daemon's commands land with wfpd), but said
awk '/^\.Sh SYNOPSIS/ { on = 1; next } /^\.Sh/ { on = 0 }
	on && nm && /^\.Cm / { print $2 } { nm = on && /^\.Nm/ }' "$man/wfpctl.8" |
	sort -u >"$tmp/doc"
for c in $(sort -u "$tmp/cmds" | comm -13 - "$tmp/doc"); do
	skip "wfpctl.8 documents '$c', which this wfpctl does not have"
done

# wfpd.8: every long option of wfpd --help
if [ -n "$wfpd" ] && [ -x "$wfpd" ]; then
	"$wfpd" --help >"$tmp/dhelp" 2>&1
	grep -o -- '--[a-z][a-z-]*' "$tmp/dhelp" | sort -u >"$tmp/dopts"
	check "wfpd --help lists options" test -s "$tmp/dopts"
	# and the defaults it prints: (4096), (0x07ff0000), ...
	grep -o '([0-9][0-9a-fx]*)' "$tmp/dhelp" | tr -d '()' | sort -u >"$tmp/ddef"
	while read -r v; do
		check "wfpd.8 states the default $v" grep -q "\(^\|[^0-9a-fx]\)$v\([^0-9a-fx]\|$\)" "$man/wfpd.8"
	done <"$tmp/ddef"
	while read -r o; do
		check "wfpd.8 documents option '$o'" grep -q "Fl $(printf '%s' "$o" | sed 's/^-//')\( \|$\)" "$man/wfpd.8"
	done <"$tmp/dopts"
else
	skip "wfpd.8 options: wfpd is not built here"
fi

# the EXAMPLES policy of wfp-policy.5 is a valid policy
awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Bd -literal/ { on = 1; next }
	on && /^\.Ed/ { exit } on' "$man/wfp-policy.5" |
	sed 's/\\e/\\/g' >"$tmp/example.wfp"
if "$wfpctl" check "$tmp/example.wfp" >"$tmp/out" 2>&1 && grep -q '^filter' "$tmp/out"; then
	ok "wfp-policy.5 example passes wfpctl check"
else
	sed 's/^/# /' "$tmp/out"
	nok "wfp-policy.5 example passes wfpctl check"
fi
echo "1..$n"
exit $fail
