#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# probe.py - what a client of the eBPF netns tests sees, bounded by short
# timeouts (tests/netns/ebpf_accept.sh, ebpf_listen.sh).
#   tcp ADDR PORT: "ok:DATA", "timeout" (no answer to the SYN) or "refused"
#   udp ADDR PORT: a connected UDP socket sends 3 datagrams to an echo
#        server, each answered ("data"), unanswered ("timeout") or refused
#        by ICMP
#   reply ADDR PORT: an unconnected socket sends to an echo server: its answer
#   from ADDR PORT: a socket bound to 127.0.0.2:5300 sends to ADDR:PORT (an
#        echo server that did not send to it first)
#   echo ADDR PORT: the UDP echo server
#   mapped PORT: a dual-stack socket listens on ::ffff:127.0.0.1:PORT and
#        answers "hi" (its pid on the first line)
import os, socket, sys
mode = sys.argv[1]
if mode != "mapped":
    addr, port = sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
def recv1(s):
    try:
        s.recv(64)
        return "data"
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
if mode == "tcp":
    try:
        c = socket.create_connection((addr, port), timeout=0.5)
        c.settimeout(3)
        print("ok:" + c.recv(64).decode().strip())
    except socket.timeout:
        print("timeout")
    except ConnectionRefusedError:
        print("refused")
elif mode == "udp":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    s.connect((addr, port))
    res = []
    for i in range(3):
        try:
            s.send(b"x")
            res.append(recv1(s))
        except ConnectionRefusedError:
            res.append("refused")
    print(" ".join(res))
elif mode in ("reply", "from"):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if mode == "from":
        s.bind(("127.0.0.2", 5300))
    s.settimeout(0.5)
    s.sendto(b"x", (addr, port))
    print(recv1(s))
elif mode == "echo":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        d, peer = s.recvfrom(64)
        s.sendto(d, peer)
elif mode == "mapped":
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::ffff:127.0.0.1", int(sys.argv[2])))
    s.listen(4)
    print(os.getpid(), flush=True)
    while True:
        c, _ = s.accept()
        c.send(b"hi\n")
        c.close()
