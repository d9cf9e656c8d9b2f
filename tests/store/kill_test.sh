#!/bin/bash
# kill_test.sh WRITER [ROUNDS] - the store survives kill -9 (issue 8).
#
# A writer commits generation after generation of persistent filters; we
# SIGKILL it at a random moment, ROUNDS times (default 200).  After each
# kill a fresh engine must load exactly one whole generation: the last one
# the writer reported committed, or the one after it (killed between the
# rename and its report).  Never a mix, never a corrupt store.
set -u
writer=$1
rounds=${2:-200}
dir=$(mktemp -d /tmp/wfp-kill-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
store=$dir/store.json
n=200
fail=0
prev=0
echo "1..$rounds"
for i in $(seq 1 "$rounds"); do
	"$writer" write "$store" $n >"$dir/out" 2>"$dir/err" &
	pid=$!
	sleep "0.0$(( RANDOM % 90 + 5 ))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	last=$(tail -n 1 "$dir/out"); last=${last:-0}
	before=$(head -n 1 "$dir/out"); before=${before:-0}
	if ! got=$("$writer" check "$store" $n 2>"$dir/cerr"); then
		echo "not ok $i - store unreadable after kill: $(cat "$dir/cerr")"
		fail=1
		continue
	fi
	# generations restart at 1 each round, on top of the previous store:
	# killed before its first report, the writer may have committed gen 1
	# or nothing (the previous round's store, $prev, remains)
	if [ "$got" = $((last + 1)) ] || { [ "$last" != 0 ] && [ "$got" = "$last" ]; } ||
	   { [ "$last" = 0 ] && [ "$got" = "$prev" ]; }; then
		echo "ok $i - killed after gen $last, store holds gen $got"
	else
		echo "not ok $i - killed after gen $last, store holds gen $got (before: $prev)"
		fail=1
	fi
	prev=$got
done
exit $fail
