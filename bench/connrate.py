#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# connrate.py - TCP connections per second, bounded in time.
#   connrate.py server PORT            accept and close, forever
#   connrate.py client HOST PORT SECS  connect+close in a loop; prints conn/s
# The client closes with SO_LINGER 0 (a reset) so that TIME_WAIT does not
# exhaust its ephemeral ports during a run.
import socket, struct, sys, time

def server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        c.close()

def client(host, port, secs):
    linger = struct.pack("ii", 1, 0)
    n = fail = 0
    end = time.monotonic() + secs
    t0 = time.monotonic()
    while time.monotonic() < end:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.settimeout(1.0)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        try:
            c.connect((host, port))
            n += 1
        except OSError:
            fail += 1
        c.close()
    el = time.monotonic() - t0
    print("%.0f %d" % (n / el, fail))

if sys.argv[1] == "server":
    server(int(sys.argv[2]))
else:
    client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
