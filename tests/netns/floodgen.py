#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""floodgen.py - a bounded IPv4 flood generator for the netns tests.

usage: floodgen.py syn|udp SRC DST COUNT RATE [--dports LIST] [--seed N]

Sends exactly COUNT packets from SRC to DST through a raw socket
(IP_HDRINCL), paced to RATE packets/s, and prints one line
"sent N packets in S s".  syn: TCP SYNs from random source ports to random
destination ports (1-65535).  udp: datagrams from random source ports
(1024-65535) to the destination ports in --dports (comma list, chosen at
random).  The payload of a datagram is "flood\\n".

Why not hping3: it has no random destination port (only fixed or
incrementing), and we want the count and the rate both exact.  Only ever
run inside a test's own network namespace (tests/netns/lib.sh).
"""
import random
import socket
import struct
import sys
import time


def csum(data):
    if len(data) & 1:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def main(argv):
    if len(argv) < 6 or argv[1] not in ('syn', 'udp'):
        sys.stderr.write(__doc__)
        return 2
    mode, src, dst = argv[1], argv[2], argv[3]
    count, rate = int(argv[4]), float(argv[5])
    dports, seed = None, 1
    i = 6
    while i < len(argv):
        if argv[i] == '--dports':
            dports = [int(x) for x in argv[i + 1].split(',')]
        elif argv[i] == '--seed':
            seed = int(argv[i + 1])
        i += 2
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sa, da = socket.inet_aton(src), socket.inet_aton(dst)
    proto = 6 if mode == 'syn' else 17
    payload = b'' if mode == 'syn' else b'flood\n'
    l4len = (20 if mode == 'syn' else 8) + len(payload)
    # pseudo header + constant parts of the L4 header, ports added per packet
    pseudo = csum(sa + da + struct.pack('!BBH', 0, proto, l4len))
    if mode == 'syn':
        const = fold(pseudo + csum(struct.pack('!IIBBHHH', 1, 0, 5 << 4, 0x02, 64240, 0, 0)))
    else:
        const = fold(pseudo + l4len + csum(payload))
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + l4len, 0, 0, 64, proto, 0, sa, da)
    sent, t0 = 0, time.monotonic()
    batch = max(1, int(rate / 200))   # pace in 5 ms slices
    while sent < count:
        for _ in range(min(batch, count - sent)):
            sp = rnd.randint(1024, 65535)
            dp = rnd.randint(1, 65535) if dports is None else rnd.choice(dports)
            c = 0xffff - fold(const + sp + dp)
            if mode == 'syn':
                l4 = struct.pack('!HHIIBBHHH', sp, dp, 1, 0, 5 << 4, 0x02, 64240, c, 0)
            else:
                l4 = struct.pack('!HHHH', sp, dp, l4len, c or 0xffff) + payload
            try:
                s.sendto(ip + l4, (dst, 0))
                sent += 1
            except (BlockingIOError, OSError):
                time.sleep(0.001)  # ENOBUFS: back off, count only what left
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print('sent %d packets in %.1f s' % (sent, time.monotonic() - t0))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
