#!/bin/sh
# run.sh WFPCTL SRCDIR - the example policies are valid and do what they
# say (TAP): every policy passes `wfpctl check`; every NAME.sim runs, and
# each of its "#expect HOST EVENT LAYER ACTION" lines matches a line of
# the trace (columns host, event, layer, action).
set -u
wfpctl=$1 dir=$2/examples/policies
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fail=1; echo "not ok $n - $*"; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

for p in "$dir"/*.wfp "$dir"/*.json "$dir"/*.xml; do
	[ -e "$p" ] || continue
	if "$wfpctl" check "$p" >/dev/null 2>"$tmp/err"; then
		ok "wfpctl check ${p##*/}"
	else
		sed 's/^/# /' "$tmp/err"
		nok "wfpctl check ${p##*/}"
	fi
done
for s in "$dir"/*.sim; do
	name=${s##*/}
	if ! "$wfpctl" sim "$s" >"$tmp/out" 2>&1; then
		sed 's/^/# /' "$tmp/out" | tail -5
		nok "wfpctl sim $name"
		continue
	fi
	ok "wfpctl sim $name"
	awk 'NR > 1 { print $2, $3, $4, $5 }' "$tmp/out" >"$tmp/got"
	sed -n 's/^#expect[[:space:]]*//p' "$s" | while read -r host ev layer action; do
		if grep -qx "$host $ev $layer $action" "$tmp/got"; then
			echo "ok - $name: $host $ev $layer $action"
		else
			echo "not ok - $name: $host $ev $layer $action"
		fi
	done >"$tmp/exp"
	[ -s "$tmp/exp" ] || echo "not ok - $name has no #expect line" >"$tmp/exp"
	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		*) nok "${line#not ok - }" ;;
		esac
	done <"$tmp/exp"
done
echo "1..$n"
exit $fail
