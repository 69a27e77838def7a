#!/usr/bin/env python3
"""Writes a pcap of N TCP SYNs, each a new conversation (distinct source
address and port, 1 ms apart) to hosts of one /16, for the memory-bound
benchmark of `kensa ot monitor` (bench/ot-monitor.sh): every packet opens a
conversation the tables must either keep or age out.

    bench/synth_flows.py N OUT.pcap
"""
import random
import struct
import sys


def main() -> None:
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(6)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            src = bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 255, i & 255])
            dst = bytes([10, 200, rnd.randrange(256), rnd.randrange(1, 255)])
            sport, dport = 1024 + i % 60000, rnd.choice((22, 80, 102, 443, 445, 502, 3389))
            tcp = struct.pack("!HHIIBBHHH", sport, dport, i, 0, 0x50, 0x02, 65535, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst)
            eth = bytes([0, 0x1B, 0x1B, 0, 0, 1, 0, 0x0C, 0x29, 0, 0, 2, 8, 0])
            frame = eth + ip + tcp
            ts = 1_700_000_000_000 + i  # one per millisecond
            f.write(struct.pack("<IIII", ts // 1000, (ts % 1000) * 1000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
