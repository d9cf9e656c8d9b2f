#!/bin/bash
# SPDX-License-Identifier: MIT
# store_kill.sh - issue 8's kill test against wfpd: a writer committing
# generation after generation of persistent filters into a store is killed
# with SIGKILL at random moments, 200 times; after each kill wfpd starts on
# that store (inside the test's own namespace) and must hold exactly one
# whole generation: the last one the writer reported committed, or the one
# it committed but could not report.  Never a mix, never a corrupt store.
#
#   +---------------------------+          +---------------------------+
#   | $NS_C                     |==========| $NS_S                     |
#   |   (unused)                |   veth   |   wfpd --store STORE      |
#   +---------------------------+          +---------------------------+
. "$(dirname "$0")/lib.sh"
require_env python3
WRITER=$BUILD/tests/store/store_writer
[ -x "$WRITER" ] || skip_all "store_writer not built"
ROUNDS=${STORE_KILL_ROUNDS:-200}
N=200
STORE=$TMP/store.json
setup_topology
tap_plan "$ROUNDS"

# the generation wfpd holds: every filter's description is "gen G"
held() {
	"$WFPCTL" -s "$SOCK_S" show --json filters | python3 -c '
import json, sys
d = json.load(sys.stdin)
fs = d.get("filters", d) if isinstance(d, dict) else d
gens = {f.get("description", "") for f in fs}
if len(fs) not in (0, '"$N"') or len(gens) > 1:
    sys.exit("mixed or partial: %d filters, %r" % (len(fs), sorted(gens)[:4]))
print(gens.pop()[4:] if gens else 0)'
}

prev=0
for i in $(seq 1 "$ROUNDS"); do
	"$WRITER" write "$STORE" $N >"$TMP/out" 2>"$TMP/err" &
	wpid=$!
	sleep "0.0$(( RANDOM % 90 + 5 ))"
	kill -9 "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	last=$(tail -n 1 "$TMP/out"); last=${last:-0}
	if ! start_wfpd "$NS_S" "$SOCK_S" --store "$STORE" >/dev/null; then
		ok 1 "round $i: wfpd did not start on the store"
		continue
	fi
	got=$(held 2>"$TMP/herr") || got="error: $(cat "$TMP/herr")"
	kill "$WFPD_PID" 2>/dev/null
	wait "$WFPD_PID" 2>/dev/null
	if [ "$got" = $((last + 1)) ] || { [ "$last" != 0 ] && [ "$got" = "$last" ]; } ||
	   { [ "$last" = 0 ] && [ "$got" = "$prev" ]; }; then
		ok 0 "round $i: killed after gen $last, wfpd holds gen $got"
	else
		ok 1 "round $i: killed after gen $last, wfpd holds '$got' (before: $prev)"
	fi
	prev=$got
done
finish
