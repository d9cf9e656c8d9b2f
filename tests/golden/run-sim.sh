#!/bin/sh
# SPDX-License-Identifier: MIT
# run-sim.sh - golden tests of the stack model (TAP).
#
# usage: run-sim.sh WFPCTL SRCDIR
#
# For every tests/golden/sim/NAME.expected, runs `wfpctl sim
# examples/sim/NAME.sim` and compares the trace with the expected one.
# The expected traces are written by hand from the tables of spec §2 (see
# tests/golden/sim/README); they hold one classification per line,
# "seq host event layer action filter flags", columns separated by any
# run of blanks; '#' starts a comment (the spec step a line comes from).
# Output columns are compared after squeezing blanks, so alignment is not
# part of the contract but every word is.  A second test per script
# checks that --json prints the same records.
set -u
wfpctl=$1
src=$2
n=0
fail=0

norm() {
	sed -e 's/#.*$//' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' |
		grep -v '^$'
}

tests=$(ls "$src"/tests/golden/sim/*.expected 2>/dev/null | sort)
count=$(printf '%s\n' $tests | grep -c .)
echo "1..$((count * 2))"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for exp in $tests; do
	name=$(basename "$exp" .expected)
	script=$src/examples/sim/$name.sim
	n=$((n + 1))
	if ! "$wfpctl" sim "$script" >"$tmp/out" 2>"$tmp/err"; then
		echo "not ok $n - $name: wfpctl sim failed: $(head -n 3 "$tmp/err")"
		fail=1
	else
		tail -n +2 "$tmp/out" | norm >"$tmp/got"
		norm <"$exp" >"$tmp/want"
		if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			echo "ok $n - $name"
		else
			echo "not ok $n - $name: trace differs from $name.expected"
			sed 's/^/# /' "$tmp/diff"
			fail=1
		fi
	fi
	n=$((n + 1))
	# --json: same records; rebuild the text columns from the JSON lines
	if "$wfpctl" sim --json "$script" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert set(r) == {"seq","host","event","layer","action","filter_id","flags"}, r
    print(r["seq"], r["host"], r["event"], r["layer"], r["action"],
          "-" if r["filter_id"] is None else r["filter_id"],
          ",".join(r["flags"]) or "-")
' >"$tmp/json" && diff -q "$tmp/json" "$tmp/got" >/dev/null 2>&1; then
		echo "ok $n - $name --json"
	else
		echo "not ok $n - $name --json: records differ from the text trace"
		fail=1
	fi
done
exit 0
