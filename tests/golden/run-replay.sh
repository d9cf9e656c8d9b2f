#!/bin/sh
# SPDX-License-Identifier: MIT
# run-replay.sh - golden tests of `wfpctl replay` (TAP).
#
# usage: run-replay.sh WFPCTL GEN_PCAP SRCDIR
#
# gen_pcap writes the captures into a temporary directory.  For every
# tests/golden/replay/NAME.expected, the header lines
#   capture: CAPTURE      (a capture gen_pcap wrote, without .pcap)
#   policy: FILE          (in tests/golden/replay/)
#   args: ...             (more wfpctl replay arguments; FILE names resolve
#                          in tests/golden/replay/ too)
# say what to run; every other line is an expectation, written by hand
# from the policy's meaning (README has the reasoning):
#   NUM DIR VERDICT REASON FILTER LAYER       one per packet
#   diff FLOW A_VERDICT A_FILTER B_VERDICT B_FILTER   (--diff)
#   cut FLOW AT                               (--policy-change-at)
#   change before NUM                         (--policy-change-at)
#   flow ID DIR VERDICT REASON FILTER PERMITTED BLOCKED   (--flows, at the end)
#   explain NUM LAYER ACTION FILTER REAUTH SUBLAYERS   (--explain; SUBLAYERS:
#       action/hard|soft/applied|-[/veto] per sublayer with filters, or -)
# '-' stands for none; '#' starts a comment.  The lines are rebuilt from
# --json output; a second test checks that the text output agrees on the
# verdicts and reasons.
set -u
abs() {
	case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
}
wfpctl=$(abs "$1")
gen=$(abs "$2")
src=$(abs "$3")
dir=$src/tests/golden/replay
n=0

norm() {
	sed -e 's/#.*$//' -e 's/[[:space:]][[:space:]]*/ /g' -e 's/^ //' -e 's/ $//' |
		grep -v '^$' | grep -v -e '^capture:' -e '^policy:' -e '^args:'
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
tests=$(ls "$dir"/*.expected 2>/dev/null | sort)
count=$(printf '%s\n' $tests | grep -c .)
echo "1..$((count * 2 + 2))"
n=1
if "$gen" "$tmp"; then
	echo "ok $n - gen_pcap wrote the captures"
else
	echo "not ok $n - gen_pcap failed"
fi
for exp in $tests; do
	name=$(basename "$exp" .expected)
	cap=$(sed -n 's/^capture: *//p' "$exp")
	case $cap in *.pcapng) ;; *) cap=$cap.pcap ;; esac
	pol=$(sed -n 's/^policy: *//p' "$exp")
	args=$(sed -n 's/^args: *//p' "$exp")
	n=$((n + 1))
	# shellcheck disable=SC2086
	if ! (cd "$dir" && "$wfpctl" replay --json --no-summary --policy "$pol" $args "$tmp/$cap") \
		>"$tmp/out" 2>"$tmp/err"; then
		echo "not ok $n - $name: wfpctl replay failed: $(head -n 3 "$tmp/err")"
		n=$((n + 1))
		echo "not ok $n - $name text"
		continue
	fi
	python3 -c '
import json, sys
def s(v):
    return "-" if v is None else str(v)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "diff" in r or "a_verdict" in r:
        print("diff", r["flow"], r["a_verdict"], s(r["a_filter"]), r["b_verdict"], s(r["b_filter"]))
    elif "cut" in r:
        print("cut", r["cut"]["flow"], r["cut"]["at"])
    elif "flow_end" in r:
        x = r["flow_end"]
        print("flow", x["id"], x["dir"], x["verdict"], x["reason"], s(x["filter"]),
              x["packets_permitted"], x["packets_blocked"])
    elif "policy_change" in r:
        print("change before", r["policy_change"]["before"])
    elif "explain" in r:
        for l in r["explain"]["layers"]:
            subs = ",".join("%s/%s/%s%s" % (x["action"], "hard" if x["hard"] else "soft",
                                             "applied" if x["applied"] else "-",
                                             "/veto" if x["veto"] else "")
                            for x in l["sublayers"]) or "-"
            print("explain", r["explain"]["num"], l["layer"], l["action"], s(l["filter"]),
                  "reauth" if l["reauth"] else "-", subs)
    elif "num" in r:
        print(r["num"], r["dir"], r["verdict"], r["reason"], s(r["filter"]), s(r["layer"]))
' "$tmp/out" >"$tmp/got" 2>"$tmp/err"
	norm <"$exp" >"$tmp/want"
	if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name: differs from $name.expected"
		sed 's/^/# /' "$tmp/diff" "$tmp/err"
	fi
	n=$((n + 1))
	# the text output: one line per packet with the same verdict and reason
	# shellcheck disable=SC2086
	(cd "$dir" && "$wfpctl" replay --no-summary --policy "$pol" $args "$tmp/$cap") \
		>"$tmp/text" 2>/dev/null
	awk '$1 ~ /^[0-9]+$/ { for (i = 1; i <= NF; i++) if ($i ~ /^(permit|block|drop|skip)$/) { print $1, $i, $(i + 1); break } }' \
		"$tmp/text" >"$tmp/tv"
	awk '$1 ~ /^[0-9]+$/ { print $1, $3, $4 }' "$tmp/got" >"$tmp/jv"
	if [ -s "$tmp/jv" ] && ! diff -q "$tmp/tv" "$tmp/jv" >/dev/null; then
		echo "not ok $n - $name text: verdicts differ from --json"
		diff "$tmp/jv" "$tmp/tv" | sed 's/^/# /' | head -20
	else
		echo "ok $n - $name text"
	fi
done

# --write-permitted / --write-blocked: the split capture, counted record by
# record (closed.pcap under the stealth policy: RST and ICMP error blocked,
# SYN and datagram dropped, nothing permitted; ARP and the cut packet are
# in neither file)
n=$((n + 1))
count_pcap() {
	python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(b):
    cap = struct.unpack("<I", b[off + 8:off + 12])[0]
    off += 16 + cap
    n += 1
print(n)' "$1"
}
if (cd "$dir" && "$wfpctl" replay --no-packets --no-summary --policy stealth.wfp \
	--write-permitted "$tmp/p.pcap" --write-blocked "$tmp/b.pcap" "$tmp/closed.pcap") \
	>/dev/null 2>&1 && [ "$(count_pcap "$tmp/p.pcap")" = 0 ] &&
	[ "$(count_pcap "$tmp/b.pcap")" = 4 ] &&
	(cd "$dir" && "$wfpctl" replay --no-packets --no-summary --policy handshake.wfp \
	--write-permitted "$tmp/p.pcap" "$tmp/handshake.pcap") >/dev/null 2>&1 &&
	[ "$(count_pcap "$tmp/p.pcap")" = 9 ]; then
	echo "ok $n - split captures hold the permitted / blocked packets"
else
	echo "not ok $n - split captures"
fi
exit 0
