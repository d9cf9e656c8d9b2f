#!/bin/bash
# SPDX-License-Identifier: MIT
# metrics.sh - wfpd --metrics: the Prometheus endpoint, scraped with curl
# and checked by parsing (issue 8).  Also wfpd --store: persistent
# objects survive a restart of the daemon.
#
#   +---------------------------+          +---------------------------+
#   | $NS_C  (client)           |==========| $NS_S  (server)           |
#   |   10.77.0.1               |   veth   |   10.77.0.2               |
#   |                           |          |   wfpd --metrics          |
#   |                           |          |     127.0.0.1:9464        |
#   +---------------------------+          +---------------------------+
. "$(dirname "$0")/lib.sh"
require_env curl python3 socat
setup_topology
tap_plan 11

STORE=$TMP/store.json
start_wfpd "$NS_S" "$SOCK_S" --metrics 127.0.0.1:9464 --store "$STORE" || skip_all "wfpd did not start"
load "$SOCK_S" 'filter "web" layer ALE_AUTH_RECV_ACCEPT_V4 permit where IP_LOCAL_PORT == 80
filter "no telnet" layer ALE_AUTH_RECV_ACCEPT_V4 block persistent where IP_LOCAL_PORT == 23'
ok $? "policy loaded"
bg "$NS_S" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hi'
bg "$NS_S" socat TCP-LISTEN:23,fork,reuseaddr SYSTEM:'echo telnet'
sleep 0.3
for _ in 1 2 3; do ip netns exec "$NS_C" timeout 3 curl -s "http://$S4/" >/dev/null; done
ip netns exec "$NS_C" timeout 3 curl -s "http://$S4:23/" >/dev/null
sleep 0.3

scrape() { ip netns exec "$NS_S" curl -sf "http://127.0.0.1:9464$1"; }
scrape /metrics >"$TMP/m1"
ok $? "GET /metrics answers 200"
scrape /nope >/dev/null
[ $? -ne 0 ]; ok $? "other paths are 404"

# Parse the exposition format strictly and check the values.
python3 - "$TMP/m1" <<'PY' >"$TMP/parse" 2>&1
import re, sys
metrics, types = {}, {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([0-9.e+-]+)$')
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('# TYPE '):
        _, _, name, t = line.split(' ', 3)
        types[name] = t
        continue
    if line.startswith('# HELP ') or not line:
        continue
    m = line_re.match(line)
    if not m:
        sys.exit('bad line: %r' % line)
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ''))
    metrics.setdefault(m.group(1), []).append((labels, float(m.group(4))))
for name in metrics:
    base = name
    if base not in types:
        sys.exit('no TYPE for ' + name)
hits = {l['name']: v for l, v in metrics['wfp_filter_hits_total']}
assert hits['web'] >= 3, hits
assert hits['no telnet'] >= 1, hits
assert metrics['wfp_filters'][0][1] == 2, metrics['wfp_filters']
layers = {(l['layer'], l['action']): v for l, v in metrics['wfp_layer_classifications_total']}
assert layers[('ALE_AUTH_RECV_ACCEPT_V4', 'permit')] >= 3, layers
assert layers[('ALE_AUTH_RECV_ACCEPT_V4', 'block')] >= 1, layers
assert metrics['wfpd_packets_total'][0][1] > 0
assert types['wfpd_flows'] == 'gauge' and types['wfpd_packets_total'] == 'counter'
print('ok')
PY
ok $? "the exposition parses and counts what happened: $(tail -n 1 "$TMP/parse")"

# counters agree with the management socket's view (read after the
# scrape, so it may only have grown)
m=$(scrape /metrics | sed -n 's/^wfpd_packets_total //p')
pk=$("$WFPCTL" -s "$SOCK_S" show --json counters |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["packets"])')
[ -n "$m" ] && [ -n "$pk" ] && [ "$m" -gt 0 ] && [ "$m" -le "$pk" ]
ok $? "wfpd_packets_total ($m) agrees with the management socket ($pk)"

# show netevents --filter / --since: the blocked telnet connection is a
# CLASSIFY_DROP at ALE_AUTH_RECV_ACCEPT_V4 naming its filter
"$WFPCTL" -s "$SOCK_S" show --json --filter layer=ALE_AUTH_RECV_ACCEPT_V4,action=block netevents \
	>"$TMP/ne.json"
python3 - "$TMP/ne.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["netevents"]
assert ev, "no drop event"
assert all(e["layer"] == "ALE_AUTH_RECV_ACCEPT_V4" and e["action"] == "block" for e in ev), ev
assert all(e["local_port"] == 23 for e in ev), ev
PY
ok $? "show netevents --filter keeps exactly the RECV_ACCEPT drops (port 23)"
last=$("$WFPCTL" -s "$SOCK_S" show --json netevents |
	python3 -c 'import json,sys; print(max([e["seq"] for e in json.load(sys.stdin)["netevents"]] or [0]))')
n=$("$WFPCTL" -s "$SOCK_S" show --json --since "$last" netevents |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["netevents"]))')
n1=$("$WFPCTL" -s "$SOCK_S" show --json --since $((last - 1)) netevents |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["netevents"]))')
[ "$last" -gt 0 ] && [ "$n" = 0 ] && [ "$n1" = 1 ]
ok $? "show netevents --since: none after the newest ($last), one after the one before"

# --store: restart wfpd, the persistent filter is back, the static one not
kill "$WFPD_PID" 2>/dev/null; wait "$WFPD_PID" 2>/dev/null
[ -s "$STORE" ]; ok $? "the store file was written"
start_wfpd "$NS_S" "$SOCK_S" --store "$STORE"
ok $? "wfpd restarts on its store"
"$WFPCTL" -s "$SOCK_S" show filters >"$TMP/filters" 2>&1
grep -q 'no telnet' "$TMP/filters"; ok $? "the persistent filter survived the restart"
! grep -q '"web"\|  web' "$TMP/filters"; ok $? "the static filter did not"
finish
